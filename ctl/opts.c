/* ctl/opts.c: the options the table and job commands share (-u USER, -i, --json, -h) and their
 * operand, parsed one way for all, with one set of messages. */
#include <getopt.h>
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_options(int argc, char **argv, const struct cmd_spec *spec, struct cmd_opts *o) {
        static const struct option all[] = {
                { "user", required_argument, NULL, 'u' },
                { "interactive", no_argument, NULL, 'i' },
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
        };
        struct option longopts[ELEMENTSOF(all) + 1] = {};
        char shortopts[8], *s = shortopts;
        size_t n = 0;
        int c;

        /* only what the command takes: anything else is getopt's "unrecognized option" */
        if (spec->takes & TAKES_IN_ORDER)
                *s++ = '+'; /* options stop at the operand */
        if (spec->takes & TAKES_USER) {
                longopts[n++] = all[0];
                *s++ = 'u';
                *s++ = ':';
        }
        if (spec->takes & TAKES_ASK) {
                longopts[n++] = all[1];
                *s++ = 'i';
        }
        if (spec->takes & TAKES_JSON)
                longopts[n++] = all[2];
        longopts[n++] = all[3];
        *s++ = 'h';
        *s = 0;
        *o = (struct cmd_opts) {};
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
                switch (c) {
                case 'u':
                        o->user = optarg;
                        break;
                case 'i':
                        o->ask = true;
                        break;
                case 'J':
                        o->json = true;
                        break;
                case 'h':
                        printf("usage: tockctl %s\n", spec->usage);
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (!spec->operand) {
                if (optind < argc) {
                        usage_error(spec->name, "unexpected argument '%s'", argv[optind]);
                        return EXIT_USAGE;
                }
                return -1;
        }
        if (optind + 1 != argc) {
                if (optind >= argc)
                        usage_error(spec->name, "no %s given%s", spec->operand, spec->operand_hint ? spec->operand_hint : "");
                else
                        usage_error(spec->name, "one %s at a time", spec->operand);
                return EXIT_USAGE;
        }
        o->arg = argv[optind];
        return -1;
}
