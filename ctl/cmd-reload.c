/* ctl/cmd-reload.c: tockctl reload [--json]: tockd rereads its configuration and every table
 * (root only; tockd says no to others). */
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_reload(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "reload",
                .usage = "reload [--json]   (root only)",
                .takes = TAKES_JSON,
        };
        struct simple_request s = { .cmd = "reload", .type = PROTO_RELOAD, .json_key = "message" };
        struct cmd_opts o;
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        s.json = o.json;
        return simple_request(&s);
}
