/* ctl/cmd-reload.c: tockctl reload [--json]: tockd rereads its configuration and every table
 * (root only; tockd says no to others). */
#include <getopt.h>
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_reload(int argc, char **argv) {
        static const struct option longopts[] = {
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct simple_request s = { .cmd = "reload", .type = PROTO_RELOAD, .json_key = "message" };
        int c;

        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'J':
                        s.json = true;
                        break;
                case 'h':
                        printf("usage: tockctl reload [--json]   (root only)\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                usage_error("reload", "unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        return simple_request(&s);
}
