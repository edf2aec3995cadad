/* ctl/cmd-restore.c: tockctl restore [-u USER] [--json]
 *
 * tockd keeps the previous version of a table when it is replaced or removed; RESTORE brings it
 * back (and keeps the one it replaces, so a second restore undoes the first). */
#include <getopt.h>
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_restore(int argc, char **argv) {
        static const struct option longopts[] = {
                { "user", required_argument, NULL, 'u' },
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct simple_request s = { .cmd = "restore", .type = PROTO_RESTORE, .has_user = true, .json_key = "message" };
        int c;

        while ((c = getopt_long(argc, argv, "u:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'u':
                        s.user = optarg;
                        break;
                case 'J':
                        s.json = true;
                        break;
                case 'h':
                        printf("usage: tockctl restore [-u USER] [--json]\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                usage_error("restore", "unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        return simple_request(&s);
}
