/* ctl/cmd-list.c: tockctl list [-u USER] [--json]
 *
 * Prints a user's table exactly as tockd keeps it, so that `tockctl list | grep` and
 * `tockctl list > saved.cron` work as with `crontab -l`. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

int cmd_list(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "list",
                .usage = "list [-u USER] [--json]",
                .takes = TAKES_USER | TAKES_JSON,
        };
        _cleanup_free_ char *text = NULL;
        struct proto_buf req = {};
        struct reply rep = {};
        const char *user;
        struct cmd_opts o;
        char me[256];
        bool json;
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        user = o.user;
        json = o.json;
        proto_put_request(&req, PROTO_LIST, &(struct proto_request) { .user = (char *) user });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK)
                return r;
        if (rep.type == PROTO_ERROR && rep.error == -ENOENT) {
                fprintf(stderr, "no crontab for %s\n", user ? user : caller_name(me, sizeof me));
                r = EXIT_INVALID;
        } else {
                r = reply_ok_string("list", &rep, &text);
        }
        reply_done(&rep);
        if (r != EXIT_OK)
                return r;
        if (json) {
                struct json j = { .f = stdout };
                json_open(&j, NULL, '{');
                json_string(&j, "user", user ? user : caller_name(me, sizeof me));
                json_string(&j, "table", text);
                json_close(&j);
        } else {
                fputs(text, stdout);
        }
        if (fflush(stdout) != 0)
                return EXIT_IO;
        refused_note(user); /* the table listed is the one on disk: it may not be the one in force */
        return EXIT_OK;
}
