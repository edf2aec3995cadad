/* common/tzdb.c: zones from the tz database on disk, and the local zone as glibc picks it.
 *
 * The one file in common/ allowed to read files: it turns a zone name, a path or the value of TZ
 * that the caller read into bytes, and hands them to tz_from_tzif() (or the string to
 * tz_from_posix()). No environment, no clock, no global state: the caller passes getenv("TZ"). */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "readfile.h"
#include "tzdb.h"
#include "util.h"

static bool tzdb_char_is_valid(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
               c == '.' || c == '-';
}

bool tzdb_name_is_valid(const char *name) {
        size_t len;

        if (!name)
                return false;
        len = strlen(name);
        if (len == 0 || len > TZDB_NAME_MAX)
                return false;
        for (const char *p = name;; p++) {
                size_t n = strcspn(p, "/");

                if (n == 0 || (n <= 2 && strncmp(p, "..", n) == 0))
                        return false; /* empty (leading '/', "//", trailing '/'), "." or ".." */
                for (size_t i = 0; i < n; i++)
                        if (!tzdb_char_is_valid(p[i]))
                                return false;
                p += n;
                if (*p == '\0')
                        return true;
        }
}

/* Reads all of a regular file, refusing more than `max` bytes. */
static int tzdb_read_fd(int fd, size_t max, char **ret_buf, size_t *ret_len) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        return read_bounded(fd, max, ret_buf, ret_len);
}

/* Loads the TZif file `path`, relative to `dir_fd`, as a zone called `name`. */
static int tzdb_load_at(int dir_fd, const char *path, const char *name, struct tz **ret_zone) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -1;
        size_t len = 0;
        int r;

        /* No O_NOFOLLOW: zoneinfo is full of symlinks (links between zone names, /etc/localtime). */
        fd = openat(dir_fd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = tzdb_read_fd(fd, TZDB_MAX_BYTES, &buf, &len);
        if (r < 0)
                return r;
        return tz_from_tzif(name, buf, len, ret_zone);
}

int tzdb_load(const char *dir, const char *name, struct tz **ret_zone) {
        _cleanup_close_ int dir_fd = -1;

        if (!tzdb_name_is_valid(name))
                return -EINVAL;
        dir_fd = open(dir ?: TZDB_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        return tzdb_load_at(dir_fd, name, name, ret_zone);
}

/* The zone name in a path such as "/usr/share/zoneinfo/Europe/Berlin" or
 * "../usr/share/zoneinfo/Europe/Berlin", or NULL. */
static const char *tzdb_name_from_path(const char *path) {
        const char *p = path;

        for (;;) {
                const char *z = strstr(p, "zoneinfo/");
                if (!z)
                        return NULL;
                if ((z == path || z[-1] == '/') && tzdb_name_is_valid(z + strlen("zoneinfo/")))
                        return z + strlen("zoneinfo/");
                p = z + 1;
        }
}

/* Loads the file at absolute `path`, named after its place under zoneinfo/ when it is there,
 * else `fallback_name`. */
static int tzdb_load_path(const char *path, const char *fallback_name, struct tz **ret_zone) {
        return tzdb_load_at(AT_FDCWD, path, tzdb_name_from_path(path) ?: fallback_name, ret_zone);
}

static int tzdb_load_localtime(const char *path, struct tz **ret_zone) {
        char target[PATH_MAX];
        const char *name = NULL;
        ssize_t n;
        int r;

        n = readlink(path, target, sizeof(target));
        if (n > 0 && (size_t) n < sizeof(target)) {
                target[n] = '\0';
                name = tzdb_name_from_path(target);
        }
        r = tzdb_load_at(AT_FDCWD, path, name ?: "localtime", ret_zone);
        if (r == -ENOENT) /* glibc: no /etc/localtime means UTC */
                return tz_from_posix("UTC", "UTC0", ret_zone);
        return r;
}

int tzdb_load_local(const char *tz_env, const char *dir, const char *localtime_path, struct tz **ret_zone) {
        int r, q;

        if (!tz_env)
                return tzdb_load_localtime(localtime_path ?: TZDB_LOCALTIME, ret_zone);
        if (tz_env[0] == ':') {
                /* POSIX: implementation-defined; glibc reads the file named after the colon. */
                tz_env++;
                if (tz_env[0] == '\0')
                        return tz_from_posix("UTC", "UTC0", ret_zone);
                if (tz_env[0] == '/')
                        return tzdb_load_path(tz_env, tz_env, ret_zone);
                return tzdb_load(dir, tz_env, ret_zone);
        }
        if (tz_env[0] == '\0')
                return tz_from_posix("UTC", "UTC0", ret_zone);

        r = tz_env[0] == '/' ? tzdb_load_path(tz_env, tz_env, ret_zone) : tzdb_load(dir, tz_env, ret_zone);
        if (r >= 0 || r == -ENOMEM)
                return r;
        /* glibc: a value that is not a readable zone file is tried as a rule, e.g. "EST5EDT,M3.2.0,M11.1.0". */
        q = tz_from_posix(tz_env, tz_env, ret_zone);
        return q >= 0 || q == -ENOMEM ? q : r;
}

/* ---- the cache ---- */

struct cached_zone {
        struct hmap_node node;
        struct tz *zone;
        char name[];
};

const struct tz *tzdb_cache_get(struct tzdb_cache *c, const char *dir, const char *name) {
        uint64_t h = hash_fnv1a(HASH_FNV_OFFSET, name);
        struct cached_zone *z;

        for (struct hmap_node *n = hmap_first(&c->map, h); n; n = hmap_next(n)) {
                z = HMAP_ENTRY(n, struct cached_zone, node);
                if (streq(z->name, name))
                        return z->zone;
        }
        z = calloc(1, sizeof(*z) + strlen(name) + 1);
        if (!z)
                return NULL;
        strcpy(z->name, name);
        if (tzdb_load(dir, name, &z->zone) < 0 || hmap_add(&c->map, &z->node, h) < 0) {
                tz_free(z->zone);
                free(z);
                return NULL;
        }
        return z->zone;
}

void tzdb_cache_done(struct tzdb_cache *c) {
        for (size_t i = 0; i < c->map.n_buckets; i++)
                for (struct hmap_node *n = c->map.buckets[i], *next; n; n = next) {
                        struct cached_zone *z = HMAP_ENTRY(n, struct cached_zone, node);
                        next = n->next;
                        tz_free(z->zone);
                        free(z);
                }
        hmap_done(&c->map);
}
