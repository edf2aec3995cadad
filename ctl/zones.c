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

static uint64_t fnv1a(uint64_t h, const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char) s[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

/* The seed tockd uses for a table: the machine id and the table's absolute path, so that a '~'
 * value stays the same across reloads and restarts on one machine, and differs between machines. */
uint64_t table_seed(const char *path) {
        char id[64] = "", abs[PATH_MAX];
        uint64_t h = 0xcbf29ce484222325ULL;
        int fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);

        if (fd >= 0) {
                ssize_t k = read(fd, id, sizeof(id) - 1);
                id[k > 0 ? k : 0] = 0;
                close(fd);
        }
        h = fnv1a(h, id, strcspn(id, "\n"));
        if (path && !streq(path, "-") && realpath(path, abs))
                h = fnv1a(h, abs, strlen(abs));
        return h;
}
