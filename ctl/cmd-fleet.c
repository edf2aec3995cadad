/* ctl/cmd-fleet.c: tockctl fleet [--json]: the fleet this tockd is in, the members it saw at its
 * last look (each tockd keeps a key under a lease) and its recent claims, as tockd words them. */
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_fleet(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "fleet",
                .usage = "fleet [--json]   (members seen and recent claims; --json: {\"fleet\": TEXT})",
                .takes = TAKES_JSON,
        };
        struct simple_request s = { .cmd = "fleet", .type = PROTO_FLEET, .raw = true, .json_key = "fleet" };
        struct cmd_opts o;
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        s.json = o.json;
        return simple_request(&s);
}
