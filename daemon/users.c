/* daemon/users.c: who a user is (uid, gid, home, groups), cached.
 *
 * Looking a user up through NSS parses /etc/passwd and /etc/group each time; a table of a
 * million lines or a burst of 10,000 jobs would do it a million or 10,000 times. The cache is
 * dropped whenever /etc/passwd or /etc/group changes, and after USERS_TTL_NS in any case, for
 * users that come from elsewhere (LDAP, sssd). */
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "tockd.h"
#include "util.h"

#define USERS_TTL_NS (60LL * 1000000000LL)
#define USERS_MAX_GROUPS 1024

struct user_cache_entry {
        struct user_cache_entry *next;
        struct user_info info;
};

static uint64_t hash_name(const char *s) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
        return h;
}

static void entry_free(struct user_cache_entry *e) {
        free(e->info.name);
        free(e->info.home);
        free(e->info.groups);
        free(e);
}

void users_flush(struct user_cache *c) {
        for (size_t i = 0; i < c->n_buckets; i++)
                while (c->buckets[i]) {
                        struct user_cache_entry *e = c->buckets[i];
                        c->buckets[i] = e->next;
                        entry_free(e);
                }
        free(c->buckets);
        c->buckets = NULL;
        c->n_buckets = c->n = 0;
}

static int64_t mtime_of(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return 0;
        return (st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec) ^ (int64_t) st.st_ino;
}

/* Drops the cache when the user database may have changed. Cheap: two stat() calls. */
static void users_check(struct user_cache *c) {
        int64_t p = mtime_of("/etc/passwd"), g = mtime_of("/etc/group"), now = now_mono_ns();

        if (p != c->passwd_sig || g != c->group_sig || now - c->filled_ns > USERS_TTL_NS) {
                users_flush(c);
                c->passwd_sig = p;
                c->group_sig = g;
                c->filled_ns = now;
        }
}

static struct user_cache_entry *lookup(struct user_cache *c, const char *name) {
        _cleanup_free_ struct user_cache_entry *e = calloc(1, sizeof(*e));
        struct passwd *pw = getpwnam(name);
        gid_t groups[USERS_MAX_GROUPS];
        int n = USERS_MAX_GROUPS;

        (void) c;
        if (!e)
                return NULL;
        e->info.name = strdup(name);
        if (!e->info.name)
                return NULL;
        if (!pw)
                return TAKE_PTR(e); /* remembered as absent */
        e->info.exists = true;
        e->info.uid = pw->pw_uid;
        e->info.gid = pw->pw_gid;
        e->info.home = strdup(pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
        if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
                n = -1; /* too many groups: refused at spawn time */
        if (n > 0) {
                e->info.groups = malloc((size_t) n * sizeof(gid_t));
                if (e->info.groups)
                        memcpy(e->info.groups, groups, (size_t) n * sizeof(gid_t));
        }
        e->info.n_groups = n;
        if (!e->info.home || (n > 0 && !e->info.groups)) {
                free(e->info.name);
                free(e->info.home);
                free(e->info.groups);
                return NULL;
        }
        return TAKE_PTR(e);
}

const struct user_info *users_get(struct user_cache *c, const char *name) {
        struct user_cache_entry *e;
        size_t k;

        users_check(c);
        if (c->n_buckets) {
                for (e = c->buckets[hash_name(name) & (c->n_buckets - 1)]; e; e = e->next)
                        if (streq(e->info.name, name))
                                return e->info.exists ? &e->info : NULL;
        }
        if (c->n >= c->n_buckets) {
                size_t nb = c->n_buckets ? c->n_buckets * 2 : 64;
                struct user_cache_entry **b = calloc(nb, sizeof(*b));
                if (!b)
                        return NULL;
                for (size_t i = 0; i < c->n_buckets; i++)
                        while (c->buckets[i]) {
                                e = c->buckets[i];
                                c->buckets[i] = e->next;
                                k = hash_name(e->info.name) & (nb - 1);
                                e->next = b[k];
                                b[k] = e;
                        }
                free(c->buckets);
                c->buckets = b;
                c->n_buckets = nb;
        }
        e = lookup(c, name);
        if (!e)
                return NULL;
        k = hash_name(name) & (c->n_buckets - 1);
        e->next = c->buckets[k];
        c->buckets[k] = e;
        c->n++;
        return e->info.exists ? &e->info : NULL;
}
