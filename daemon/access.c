/* daemon/access.c: who may do what with the control socket.
 *
 * Who asks comes from SO_PEERCRED only (struct caller). root may act on any user; everyone else on
 * themselves, and on their spool table or with `tockctl run` only when cron.allow / cron.deny let
 * them (as Debian's crontab(1): cron.allow, when it exists, lists who may; otherwise cron.deny lists
 * who may not; root always may). request.c applies one rule per request type, through access_check(), before
 * the handler runs; the handlers then see jobs through access_job_visible() and
 * access_find_job(). Nothing here writes a reply. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "readfile.h"
#include "tockd.h"
#include "util.h"

/* Whether a line of `text` holds `user` whole: blanks around it, anything after it ignored. */
static bool list_has(const char *text, const char *user) {
        size_t n = strlen(user);

        for (const char *s = text; *s; s += strcspn(s, "\n"), s += *s == '\n') {
                s += strspn(s, " \t");
                if (strncmp(s, user, n) == 0 && (s[n] == 0 || strchr(" \t\r\n", s[n])))
                        return true;
        }
        return false;
}

static void list_forget(struct access_list *l) {
        free(l->path);
        free(l->text);
        *l = (struct access_list) {};
}

void access_lists_done(struct access_lists *l) {
        list_forget(&l->allow);
        list_forget(&l->deny);
}

/* Reads `path` into l, unless l holds this version of it already. */
static int list_load(struct access_list *l, const char *path) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL, *p = NULL;
        struct file_sig sig;
        struct stat st;
        size_t len;
        int r;

        if (stat(path, &st) < 0) {
                list_forget(l);
                return -errno;
        }
        file_sig_of(&st, &sig);
        if (l->text && streq(l->path, path) && file_sig_eq(&l->sig, &sig))
                return 0;
        list_forget(l);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        r = read_bounded(fd, CRONTAB_MAX_BYTES, &text, &len);
        if (r < 0)
                return r;
        if (!(p = strdup(path)))
                return -ENOMEM;
        file_sig_of(&st, &l->sig);
        l->path = TAKE_PTR(p);
        l->text = TAKE_PTR(text);
        return 0;
}

int access_listed_in(struct access_list *l, const char *path, const char *user) {
        int r = *path ? list_load(l, path) : -ENOENT;

        if (r < 0)
                return r;
        return list_has(l->text, user);
}

bool access_cron_allowed(struct access_lists *l, const char *allow_path, const char *deny_path, const char *user) {
        int r;

        if (streq(user, "root"))
                return true;
        r = access_listed_in(&l->allow, allow_path, user);
        if (r != -ENOENT)
                return r == 1;
        /* a list that exists but cannot be read lets nobody but root in, as Debian's cron */
        r = access_listed_in(&l->deny, deny_path, user);
        return r == 0 || r == -ENOENT;
}

bool access_user_allowed(struct daemon *d, const char *user) {
        return access_cron_allowed(&d->access, d->cfg.cron_allow, d->cfg.cron_deny, user);
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
                if (job_entry(&t->jobs[k])->line == line && may_see(by, &t->jobs[k], user, any))
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
                        if (streq(job_opts(&t->jobs[k])->name, spec) && may_see(by, &t->jobs[k], user, any))
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
        if (cron && by->uid != 0 && !access_user_allowed(d, user))
                return deny(ret_msg, -EACCES, "you (%s) are not allowed to use cron (%s / %s)", user, d->cfg.cron_allow,
                            d->cfg.cron_deny);
        const struct user_info *u = users_get(&d->users, user);
        if (!u)
                return deny(ret_msg, -ESRCH, "no such user '%s'", user);
        if (by->uid != 0 && u->uid != by->uid) /* passwd changed under us, or two names for one uid */
                return deny(ret_msg, -EPERM, "the user %s is uid %u, not your uid %u", user, (unsigned) u->uid,
                            (unsigned) by->uid);
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
