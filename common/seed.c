/* common/seed.c: the recipe for a table's '~' seed, used by tockd (tables.c, which caches the
 * machine id) and tockctl (check and next show the values tockd will use).
 *
 * The one file in common/ that reads the system: /etc/machine-id and realpath(). The hash itself
 * is crontab_seed(), pure; this file only gathers its inputs, so that both binaries agree. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crontab.h"
#include "seed.h"

void seed_machine_id(char id[static SEED_MACHINE_ID_MAX]) {
        int fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);
        ssize_t k;

        id[0] = 0;
        if (fd < 0)
                return;
        k = read(fd, id, SEED_MACHINE_ID_MAX - 1);
        id[k > 0 ? k : 0] = 0;
        id[strcspn(id, "\n")] = 0;
        close(fd);
}

uint64_t seed_table(const char *machine_id, const char *path) {
        char abs[PATH_MAX];

        if (!path)
                return crontab_seed(machine_id, NULL);
        return crontab_seed(machine_id, realpath(path, abs) ? abs : path);
}
