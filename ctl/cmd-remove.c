/* ctl/cmd-remove.c: tockctl remove [-u USER] [-i] [--json]
 *
 * tockd keeps the removed table as the previous version: `tockctl restore` brings it back. */
#include <getopt.h>
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_remove(int argc, char **argv) {
        static const struct option longopts[] = {
                { "user", required_argument, NULL, 'u' },
                { "interactive", no_argument, NULL, 'i' },
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct simple_request s = { .cmd = "remove", .type = PROTO_REMOVE, .has_user = true, .json_key = "message" };
        _cleanup_free_ char *question = NULL;
        bool ask = false;
        char me[256];
        int c, r;

        while ((c = getopt_long(argc, argv, "u:ih", longopts, NULL)) >= 0) {
                switch (c) {
                case 'u':
                        s.user = optarg;
                        break;
                case 'i':
                        ask = true;
                        break;
                case 'J':
                        s.json = true;
                        break;
                case 'h':
                        printf("usage: tockctl remove [-u USER] [-i] [--json]   (-i asks first)\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                usage_error("remove", "unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        s.enoent_user = s.user ? s.user : caller_name(me, sizeof me);
        if (ask) {
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
