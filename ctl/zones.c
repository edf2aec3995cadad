/* ctl/zones.c: time zones by name, and the seed for '~' values. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "tzdb.h"
#include "util.h"

int zone_load(const char *name, struct tz **ret_zone) {
        if (!name || !*name)
                return tzdb_load_local(getenv("TZ"), NULL, NULL, ret_zone);
        return tzdb_load(NULL, name, ret_zone);
}

int zone_check(const char *name, void *userdata) {
        struct tz *z = NULL;
        int r;

        (void) userdata;
        r = tzdb_load(NULL, name, &z);
        tz_free(z);
        return r;
}

/* The same seed tockd uses for the table at `path`, so '~' values shown here are tockd's. */
uint64_t table_seed(const char *path) {
        char id[64] = "", abs[PATH_MAX];
        int fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);

        if (fd >= 0) {
                ssize_t k = read(fd, id, sizeof(id) - 1);
                id[k > 0 ? k : 0] = 0;
                id[strcspn(id, "\n")] = 0;
                close(fd);
        }
        return crontab_seed(id, path && !streq(path, "-") && realpath(path, abs) ? abs : NULL);
}
