/* ctl/cmd-metrics.c: tockctl metrics [--json]: tockd's counters in the Prometheus text format,
 * printed as is (for node_exporter's textfile collector or a scrape wrapper). */
#include <getopt.h>
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_metrics(int argc, char **argv) {
        static const struct option longopts[] = {
                { "json", no_argument, NULL, 'J' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct simple_request s = { .cmd = "metrics", .type = PROTO_METRICS, .raw = true, .json_key = "metrics" };
        int c;

        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'J':
                        s.json = true;
                        break;
                case 'h':
                        printf("usage: tockctl metrics [--json]   (Prometheus text format; --json: {\"metrics\": TEXT})\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                usage_error("metrics", "unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        return simple_request(&s);
}
