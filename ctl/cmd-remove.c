/* ctl/cmd-remove.c: tockctl remove [-u USER] [-i] [--json]
 *
 * tockd keeps the removed table as the previous version: `tockctl restore` brings it back. */
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_remove(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "remove",
                .usage = "remove [-u USER] [-i] [--json]   (-i asks first)",
                .takes = TAKES_USER | TAKES_ASK | TAKES_JSON,
        };
        struct simple_request s = { .cmd = "remove", .type = PROTO_REMOVE, .json_key = "message" };
        _cleanup_free_ char *question = NULL;
        struct cmd_opts o;
        char me[256];
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        s.user = o.user;
        s.json = o.json;
        s.enoent_user = s.user ? s.user : caller_name(me, sizeof me);
        if (o.ask) {
                question = strdup_printf("Remove the table of %s? (y/n) ", s.enoent_user);
                if (!question)
                        return EXIT_IO;
                /* like rm -i: the answer comes from standard input, so `yes | tockctl remove -i` works */
                r = ask_yes_no(question, stderr, false);
                if (r < 0) {
                        fprintf(stderr, "tockctl remove: no answer; nothing removed\n");
                        return EXIT_INVALID;
                }
                if (r == 0)
                        return EXIT_OK;
        }
        return simple_request(&s);
}
