/* daemon/access.c: who may do what with the control socket.
 *
 * Who asks comes from SO_PEERCRED only (struct caller). root may act on any user; everyone else on
 * themselves, and on their spool table or with `tockctl run` only when cron.allow / cron.deny let
 * them (as Debian's crontab(1): cron.allow, when it exists, lists who may; otherwise cron.deny lists
 * who may not; root always may). request.c applies one rule per request type, through access_check(), before
 * the handler runs; the handlers then see jobs through access_job_visible() and
 * access_find_job(). Nothing here writes a reply. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tockd.h"
#include "util.h"

int access_listed_in(const char *path, const char *user) {
        _cleanup_free_ char *line = NULL;
        FILE *f = fopen(path, "re");
        size_t cap = 0;
        int found = 0;

        if (!f)
                return errno == ENOENT ? -ENOENT : -errno;
        while (getline(&line, &cap, f) >= 0) {
                char *s = line + strspn(line, " \t");
                s[strcspn(s, " \t\r\n")] = 0;
                if (streq(s, user)) {
                        found = 1;
                        break;
                }
        }
        fclose(f);
        return found;
}

bool access_cron_allowed(const char *allow_path, const char *deny_path, const char *user) {
        int r;

        if (streq(user, "root"))
                return true;
        r = *allow_path ? access_listed_in(allow_path, user) : -ENOENT;
        if (r != -ENOENT)
                return r == 1;
        r = *deny_path ? access_listed_in(deny_path, user) : -ENOENT;
        return r != 1;
}

uid_t access_file_owner(uid_t tockd_uid, uid_t user_uid) {
        return tockd_uid == 0 ? user_uid : tockd_uid;
}

/* root sees everything; everyone else the jobs that run as them */
bool access_job_visible(const struct caller *by, const struct job *j, const char *user) {
        return streq(job_user(j), user) && (by->uid == 0 || streq(user, by->user));
}

/* Whether the caller may see job j: root asking without -u sees every job (`any`); otherwise the
 * jobs that run as `user`. */
static bool may_see(const struct caller *by, const struct job *j, const char *user, bool any) {
        return (any && by->uid == 0) || access_job_visible(by, j, user);
}

static struct job *find_by_line(struct table *t, unsigned long line, const struct caller *by, const char *user,
                                bool any) {
        for (size_t k = 0; k < t->n_jobs; k++)
                if (t->jobs[k].e->line == line && may_see(by, &t->jobs[k], user, any))
                        return &t->jobs[k];
        return NULL;
}

struct job *access_find_job(struct table *const *tables, size_t n_tables, const char *spool_path,
                            const struct caller *by, const char *user, const char *spec, bool any) {
        const char *colon = strrchr(spec, ':');
        unsigned long line;
        char *end;

        errno = 0;
        line = strtoul(colon ? colon + 1 : spec, &end, 10);
        bool by_line = !errno && *end == 0 && (colon ? colon[1] : spec[0]) != 0;
        for (size_t i = 0; i < n_tables; i++) {
                struct table *t = tables[i];
                if (by_line) {
                        bool this_table = colon ? strncmp(t->name, spec, (size_t) (colon - spec)) == 0 && !t->name[colon - spec]
                                                : streq(t->name, spool_path);
                        struct job *j = this_table ? find_by_line(t, line, by, user, any) : NULL;
                        if (j)
                                return j;
                        continue;
                }
                for (size_t k = 0; k < t->n_jobs; k++)
                        if (streq(t->jobs[k].e->opts.name, spec) && may_see(by, &t->jobs[k], user, any))
                                return &t->jobs[k];
        }
        return NULL;
}

/* Sets *ret_msg and returns err. */
static int deny(char **ret_msg, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int deny(char **ret_msg, int err, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_msg, fmt, ap) < 0)
                *ret_msg = NULL;
        va_end(ap);
        return err;
}

/* The user a request is about ("" is the caller), when the caller may act on them; `spool`: the
 * request needs the spool; `cron`: a caller other than root must be let by cron.allow / cron.deny. */
static int check_user(struct daemon *d, const struct caller *by, const char *asked, bool spool, bool cron,
                      const char **ret_user, char **ret_msg) {
        const char *user = *asked ? asked : by->user;

        if (spool && !*d->cfg.spool)
                return deny(ret_msg, -ENOTSUP, "tockd has no spool directory for users' tables (paths.spool is empty)");
        if (!user)
                return deny(ret_msg, -ESRCH, "your uid %u has no user name", (unsigned) by->uid);
        if (by->uid != 0 && !streq(user, by->user))
                return deny(ret_msg, -EPERM, "only root may act on another user's table");
        if (cron && by->uid != 0 && !access_cron_allowed(d->cfg.cron_allow, d->cfg.cron_deny, user))
                return deny(ret_msg, -EACCES, "you (%s) are not allowed to use cron (%s / %s)", user, d->cfg.cron_allow,
                            d->cfg.cron_deny);
        if (!users_get(&d->users, user))
                return deny(ret_msg, -ESRCH, "no such user '%s'", user);
        *ret_user = user;
        return 0;
}

int access_check(struct daemon *d, enum access_rule rule, const char *what, const struct caller *by,
                 const char *asked, const char **ret_user, char **ret_msg) {
        if (!asked)
                asked = "";
        switch (rule) {
        case ACCESS_ANYONE:
                *ret_user = NULL;
                return 0;
        case ACCESS_ROOT:
                if (by->uid != 0)
                        return deny(ret_msg, -EPERM, "only root may %s", what);
                *ret_user = NULL;
                return 0;
        case ACCESS_SELF_OR_ALL:
                if (!*asked && by->uid == 0) {
                        *ret_user = ""; /* root naming nobody: every user */
                        return 0;
                }
                return check_user(d, by, asked, false, false, ret_user, ret_msg);
        case ACCESS_SELF:
                return check_user(d, by, asked, false, false, ret_user, ret_msg);
        case ACCESS_CRON:
                return check_user(d, by, asked, false, true, ret_user, ret_msg);
        case ACCESS_TABLE:
                return check_user(d, by, asked, true, true, ret_user, ret_msg);
        }
        return -EINVAL;
}
