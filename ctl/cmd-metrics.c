/* ctl/cmd-metrics.c: tockctl metrics [--json]: tockd's counters in the Prometheus text format,
 * printed as is (for node_exporter's textfile collector or a scrape wrapper). */
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_metrics(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "metrics",
                .usage = "metrics [--json]   (Prometheus text format; --json: {\"metrics\": TEXT})",
                .takes = TAKES_JSON,
        };
        struct simple_request s = { .cmd = "metrics", .type = PROTO_METRICS, .raw = true, .json_key = "metrics" };
        struct cmd_opts o;
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        s.json = o.json;
        return simple_request(&s);
}
