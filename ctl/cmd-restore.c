/* ctl/cmd-restore.c: tockctl restore [-u USER] [--json]
 *
 * tockd keeps the previous version of a table when it is replaced or removed; RESTORE brings it
 * back (and keeps the one it replaces, so a second restore undoes the first). */
#include <stdio.h>

#include "ctl.h"
#include "util.h"

int cmd_restore(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "restore",
                .usage = "restore [-u USER] [--json]",
                .takes = TAKES_USER | TAKES_JSON,
        };
        struct simple_request s = { .cmd = "restore", .type = PROTO_RESTORE, .json_key = "message" };
        struct cmd_opts o;
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        s.user = o.user;
        s.json = o.json;
        return simple_request(&s);
}
