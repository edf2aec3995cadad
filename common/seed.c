/* common/seed.c: the recipe for a table's '~' seed, used by tockd (tables.c, which caches the
 * machine id) and tockctl (check and next show the values tockd will use).
 *
 * The one file in common/ that reads the system: /etc/machine-id and realpath(). The hash itself
 * is crontab_seed(), pure; this file only gathers its inputs, so that both binaries agree. */
#include <limits.h>
#include <stdlib.h>

#include "crontab.h"
#include "readfile.h"
#include "seed.h"

void seed_machine_id(char id[static SEED_MACHINE_ID_MAX]) {
        (void) read_first_line("/etc/machine-id", id, SEED_MACHINE_ID_MAX);
}

uint64_t seed_table(const char *machine_id, const char *path) {
        char abs[PATH_MAX];

        if (!path)
                return crontab_seed(machine_id, NULL);
        return crontab_seed(machine_id, realpath(path, abs) ? abs : path);
}
