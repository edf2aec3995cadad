/* ctl/cmd-list.c: tockctl list [-u USER] [--json]
 *
 * Prints a user's table exactly as tockd keeps it, so that `tockctl list | grep` and
 * `tockctl list > saved.cron` work as with `crontab -l`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

int cmd_list(int argc, char **argv) {
        static const struct option longopts[] = {
                { "user", required_argument, NULL, 'u' },
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_free_ char *text = NULL;
        struct proto_buf req = {};
        struct reply rep = {};
        const char *user = NULL;
        char me[256];
        bool json = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "u:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'u':
                        user = optarg;
                        break;
                case 'J':
                        json = true;
                        break;
                case 'h':
                        printf("usage: tockctl list [-u USER] [--json]\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                usage_error("list", "unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        proto_begin(&req, PROTO_LIST);
        proto_put_str(&req, user);
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
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
}
