/* daemon/users.c: who a user is (uid, gid, home, groups), cached; and tockd's own user, also
 * when its uid has no passwd entry.
 *
 * Looking a user up through NSS parses /etc/passwd and /etc/group each time; a table of a
 * million lines or a burst of 10,000 jobs would do it a million or 10,000 times. The cache is
 * dropped whenever /etc/passwd or /etc/group changes, and after USERS_TTL_NS in any case, for
 * users that come from elsewhere (LDAP, sssd). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hash.h"
#include "log.h"
#include "tockd.h"
#include "util.h"

#define USERS_TTL_NS (60LL * 1000000000LL)
#define USERS_MAX_GROUPS 1024

struct user_cache_entry {
        struct hmap_node node; /* by the hash of the name */
        struct user_info info;
};

static void entry_free(struct user_cache_entry *e) {
        free(e->info.name);
        free(e->info.home);
        free(e->info.groups);
        free(e);
}

void users_flush(struct user_cache *c) {
        for (size_t i = 0; i < c->map.n_buckets; i++)
                for (struct hmap_node *n = c->map.buckets[i], *next; n; n = next) {
                        next = n->next;
                        entry_free(HMAP_ENTRY(n, struct user_cache_entry, node));
                }
        hmap_done(&c->map);
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
        if (!e->info.home) {
                free(e->info.name);
                return NULL;
        }
        return TAKE_PTR(e);
}

/* The supplementary groups of u, looked up the first time a job of u starts, not when a table
 * of u is loaded: getgrouplist() reads the whole group database and asks every NSS source
 * (with nss-systemd, some 50 system calls probing userdb's directories and sockets), which was
 * most of what 100 users' small tables cost tockd's start. 0, or -ENOMEM. */
static int fill_groups(struct user_info *u) {
        gid_t groups[USERS_MAX_GROUPS];
        int n = USERS_MAX_GROUPS;

        if (u->groups_known)
                return 0;
        if (getgrouplist(u->name, u->gid, groups, &n) < 0)
                n = -1; /* too many groups: refused at spawn time */
        if (n > 0) {
                u->groups = malloc((size_t) n * sizeof(gid_t));
                if (!u->groups)
                        return -ENOMEM;
                memcpy(u->groups, groups, (size_t) n * sizeof(gid_t));
        }
        u->n_groups = n;
        u->groups_known = true;
        return 0;
}

/* tockd's own uid with no passwd entry (docker run --user 12345, OpenShift's arbitrary uids): a
 * user made from the environment, named $USER unless that names another user (then the number),
 * with home $HOME, else /. No supplementary groups: the jobs run with tockd's ids unchanged. */
int users_init_self(struct user_cache *c, uid_t uid, gid_t gid) {
        const char *name = getenv("USER"), *home = getenv("HOME");
        char num[16];

        if (getpwuid(uid))
                return 0;
        if (!name || !*name || strchr(name, '/') || getpwnam(name)) {
                snprintf(num, sizeof num, "%u", (unsigned) uid);
                name = num;
        }
        c->self = (struct user_info) { .exists = true, .uid = uid, .gid = gid, .groups_known = true };
        c->self.name = strdup(name);
        c->self.home = strdup(home && home[0] == '/' ? home : "/");
        if (!c->self.name || !c->self.home)
                return -ENOMEM;
        log_info("uid %u has no passwd entry: its jobs run as '%s', home %s", (unsigned) uid, c->self.name, c->self.home);
        return 0;
}

/* The name jobs of tockd's own tables run under: its passwd entry's, or the one made up. */
const char *users_self_name(struct user_cache *c, uid_t uid) {
        struct passwd *pw = getpwuid(uid);
        return pw ? pw->pw_name : c->self.name;
}

void users_done(struct user_cache *c) {
        users_flush(c);
        free(c->self.name);
        free(c->self.home);
        c->self = (struct user_info) {};
}

static struct user_info *get(struct user_cache *c, const char *name) {
        uint64_t h = hash_fnv1a(HASH_FNV_OFFSET, name);
        struct user_cache_entry *e;

        users_check(c);
        for (struct hmap_node *n = hmap_first(&c->map, h); n; n = hmap_next(n)) {
                e = HMAP_ENTRY(n, struct user_cache_entry, node);
                if (!streq(e->info.name, name))
                        continue;
                if (!e->info.exists && c->self.name && streq(name, c->self.name))
                        return &c->self;
                return e->info.exists ? &e->info : NULL;
        }
        e = lookup(c, name);
        if (!e)
                return NULL;
        if (hmap_add(&c->map, &e->node, h) < 0) {
                entry_free(e);
                return NULL;
        }
        if (!e->info.exists && c->self.name && streq(name, c->self.name))
                return &c->self;
        return e->info.exists ? &e->info : NULL;
}

const struct user_info *users_get(struct user_cache *c, const char *name) {
        return get(c, name);
}

int users_get_with_groups(struct user_cache *c, const char *name, const struct user_info **ret) {
        struct user_info *u = get(c, name);
        int r;

        if (!u)
                return -ESRCH;
        if ((r = fill_groups(u)) < 0)
                return r;
        *ret = u;
        return 0;
}
