/* daemon/spool.c: users' tables in the spool directory, and the previous version of each.
 *
 * A table is checked whole with the parser tockctl check uses and then replaced atomically
 * (write_atomic()); the version it replaces, or removes, is kept in STATE/previous/USER for
 * `tockctl restore`. The spool is created as Debian's crontab(1) has it.
 *
 * Files are found by user name, and names are reused: both files are the user's only while their
 * owner is the uid tockd gives the user's files (access_file_owner()), so a new user given a
 * deleted user's name neither lists, keeps nor restores what the old one left. Kept versions
 * written before they had that owner (root's) are root's only.
 *
 * These functions write no replies: they return 0 or -errno with a message in struct spool_result
 * (or, for a refused table, the parser's diagnostics), and request.c answers with it. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "readfile.h"
#include "tockd.h"
#include "util.h"

void spool_result_done(struct spool_result *r) {
        free(r->msg);
        free(r->text);
        diag_list_done(&r->diags);
        *r = (struct spool_result) {};
}

/* Sets r->msg and returns err (a negative errno, or 0). */
static int result(struct spool_result *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int result(struct spool_result *r, int err, const char *fmt, ...) {
        va_list ap;

        free(r->msg);
        va_start(ap, fmt);
        if (vasprintf(&r->msg, fmt, ap) < 0)
                r->msg = NULL;
        va_end(ap);
        return err;
}

char *spool_path(const struct daemon *d, const char *user) {
        char *p;
        return asprintf(&p, "%s/%s", d->cfg.spool, user) < 0 ? NULL : p;
}

static char *previous_path(const struct daemon *d, const char *user) {
        char *p;
        return asprintf(&p, "%s/previous/%s", d->cfg.state_dir, user) < 0 ? NULL : p;
}

/* A regular file of at most `max` bytes, NUL-terminated, and its owner; not a symlink nor a hard
 * link (-EMLINK), never a FIFO to block on. */
static int read_file(const char *path, size_t max, char **ret, size_t *ret_len, uid_t *ret_owner) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        struct stat st;
        int r;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_nlink != 1) /* another name for someone's file, planted where tockd looks */
                return -EMLINK;
        r = read_bounded(fd, max, ret, ret_len);
        if (r < 0)
                return r;
        *ret_owner = st.st_uid;
        return 0;
}

/* The file of `u` at `path`, as read_file(); -ESTALE when it is owned by another uid than the
 * one tockd gives u's files: a former user's of the same name, not u's. */
static int read_users_file(const struct daemon *d, const struct user_info *u, const char *path, char **ret,
                           size_t *ret_len) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        uid_t owner = (uid_t) -1;
        int r = read_file(path, CRONTAB_MAX_BYTES, &text, &len, &owner);

        if (r < 0)
                return r;
        if (owner != access_file_owner(d->uid, u->uid))
                return -ESTALE;
        *ret = TAKE_PTR(text);
        *ret_len = len;
        return 0;
}

/* Whether `path` is a directory (not a symlink to one) that no one but tockd (or root) can change:
 * else whoever may write in it could swap in links to other files, or another directory, between
 * tockd's checks and its use of a name. 0, or -errno with *ret_why. */
static int dir_is_tockds(const char *path, const char **ret_why) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0) {
                *ret_why = errno == ENOTDIR || errno == ELOOP ? "not a directory (a symlink?)" : strerror(errno);
                return errno == ELOOP ? -ENOTDIR : -errno;
        }
        if (fstat(fd, &st) < 0)
                return *ret_why = strerror(errno), -errno;
        if (st.st_uid != geteuid() && st.st_uid != 0)
                return *ret_why = "owned by another user than tockd's", -EPERM;
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return *ret_why = "writable by group or others (chmod go-w it)", -EPERM;
        return 0;
}

/* STATE/previous, made when missing, and checked (dir_is_tockds()) with STATE: the kept versions
 * are read and written there only when no one else can plant anything in them. */
static int previous_dir(struct daemon *d) {
        _cleanup_free_ char *dir = NULL;
        const char *why = NULL, *bad = d->cfg.state_dir;
        int r;

        if (asprintf(&dir, "%s/previous", d->cfg.state_dir) < 0)
                return -ENOMEM;
        (void) mkdir(d->cfg.state_dir, 0755);
        (void) mkdir(dir, 0700);
        r = dir_is_tockds(d->cfg.state_dir, &why);
        if (r >= 0)
                r = dir_is_tockds(bad = dir, &why);
        if (r < 0)
                log_error("%s: %s; previous versions of users' tables are not kept nor restored there", bad, why);
        return r;
}

/* Keeps the current table of `u` as the previous one, for restore; owned by u's uid, whose it is. */
static int keep_previous(struct daemon *d, const struct user_info *u, const char *text, size_t len) {
        _cleanup_free_ char *prev = previous_path(d, u->name);
        int r;

        if (!prev)
                return -ENOMEM;
        r = previous_dir(d);
        if (r < 0)
                return r;
        return write_atomic(prev, text, len, u->uid, 0, 0600);
}

/* Debian's crontab(1) leaves tables with group crontab; so do we, when that group exists */
static gid_t spool_gid(const struct user_info *u) {
        struct group *g = getgrnam("crontab");
        return g ? g->gr_gid : u->gid;
}

/* Debian's spool: 1730 root:crontab, so that crontab(1) and tock can share it */
static void spool_make_dir(struct daemon *d) {
        if (mkdir(d->cfg.spool, 01730) == 0) {
                struct group *g = getgrnam("crontab");
                (void) chmod(d->cfg.spool, 01730);
                if (g && geteuid() == 0)
                        (void) !chown(d->cfg.spool, 0, g->gr_gid);
        }
}

/* A table changed on disk: tockd plans it now rather than when inotify tells. */
static void spool_changed(struct daemon *d, const char *path) {
        (void) table_reload_path(d, path);
        catchup_sync(d, now_real());
        (void) dispatch_arm(d);
}

static int zone_check_cb(const char *name, void *userdata) {
        return zone_get(userdata, name) ? 0 : -ENOENT;
}

/* "installed the table of alice: 3 entries", and the parser's warnings, one a line */
static char *installed_message(const char *what, const char *user, const struct crontab *ct,
                               const struct diag_list *diags) {
        char *w = NULL;
        size_t wl = 0;
        FILE *f = open_memstream(&w, &wl);

        if (!f)
                return NULL;
        fprintf(f, "%s the table of %s: %zu entr%s", what, user, ct->n_entries, ct->n_entries == 1 ? "y" : "ies");
        for (size_t i = 0; i < diags->n; i++)
                fprintf(f, "\n%s:%u:%u: warning: %s", user, diags->items[i].line, diags->items[i].col, diags->items[i].msg);
        fclose(f);
        return w;
}

/* Installs `text` as the table of `user`; `what` says what to call it ("installed", "restored"). */
static int install(struct daemon *d, const char *user, const char *text, size_t len, const char *what,
                   const struct caller *by, struct spool_result *ret) {
        _cleanup_free_ char *path = spool_path(d, user), *old = NULL;
        _cleanup_(crontab_freep) struct crontab *ct = NULL;
        _cleanup_(diag_list_done) struct diag_list diags = {};
        const struct user_info *u = users_get(&d->users, user);
        size_t old_len = 0;
        int r;

        if (!path || !u)
                return result(ret, -ENOMEM, "out of memory");
        const struct crontab_opts opts = { .mode = CRONTAB_USER, .seed = 0, .zone_check = zone_check_cb, .userdata = d };
        r = crontab_parse(text, len, &opts, &ct, &diags);
        if (r == -EINVAL) {
                ret->refused = true;
                ret->text = strdup(text);
                ret->diags = diags;
                diags = (struct diag_list) {};
                return -EINVAL;
        }
        if (r < 0)
                return result(ret, r, "cannot check the table: %s", strerror(-r));
        if (read_users_file(d, u, path, &old, &old_len) == 0) { /* another uid's is replaced, not kept */
                if (old_len == len && memcmp(old, text, len) == 0)
                        return result(ret, 0, "no changes to the table of %s", user);
                r = keep_previous(d, u, old, old_len);
                if (r < 0)
                        log_warning_errno(r, "cannot keep the previous table of %s", user);
        }
        spool_make_dir(d);
        r = write_atomic(path, text, len, u->uid, spool_gid(u), 0600);
        if (r < 0) {
                log_errno(r, "cannot install the table of %s", user);
                return result(ret, r, "cannot install the table of %s: %s", user, strerror(-r));
        }
        spool_changed(d, path);
        log_info("%s: %s by uid %u (pid %d)", path, what, (unsigned) by->uid, (int) by->pid);
        ret->msg = installed_message(what, user, ct, &diags);
        if (!ret->msg)
                ret->msg = strdup("installed");
        return 0;
}

int spool_install(struct daemon *d, const char *user, const char *text, size_t len, const struct caller *by,
                  struct spool_result *ret) {
        return install(d, user, text, len, "installed", by, ret);
}

int spool_read(struct daemon *d, const char *user, char **ret_text, size_t *ret_len, struct spool_result *ret) {
        _cleanup_free_ char *path = spool_path(d, user);
        const struct user_info *u = users_get(&d->users, user);
        int r;

        if (!path || !u)
                return result(ret, -ENOMEM, "out of memory");
        r = read_users_file(d, u, path, ret_text, ret_len);
        if (r == -ENOENT)
                return result(ret, -ENOENT, "no crontab for %s", user);
        if (r == -ESTALE)
                return result(ret, -ENOENT, "no crontab for %s (%s belongs to another uid than %s's %u)", user, path,
                              user, (unsigned) u->uid);
        if (r == -EMLINK || r == -ELOOP)
                return result(ret, r, "no crontab for %s: %s is %s, not a table", user, path,
                              r == -ELOOP ? "a symlink" : "a hard link to a file with other names");
        if (r < 0)
                return result(ret, r, "cannot read the table of %s: %s", user, strerror(-r));
        return 0;
}

int spool_remove(struct daemon *d, const char *user, const struct caller *by, struct spool_result *ret) {
        _cleanup_free_ char *path = spool_path(d, user), *old = NULL;
        const struct user_info *u = users_get(&d->users, user);
        size_t len;
        int r;

        if (!path || !u)
                return result(ret, -ENOMEM, "out of memory");
        r = read_users_file(d, u, path, &old, &len);
        if (r == -ENOENT || r == -ESTALE) /* another uid's file is not the user's to remove */
                return result(ret, -ENOENT, "no crontab for %s", user);
        if (r == 0 && (r = keep_previous(d, u, old, len)) < 0)
                log_warning_errno(r, "cannot keep the previous table of %s", user);
        if (unlink(path) < 0)
                return result(ret, -errno, "cannot remove the table of %s: %s", user, strerror(errno));
        spool_changed(d, path);
        log_info("%s: removed by uid %u (pid %d)", path, (unsigned) by->uid, (int) by->pid);
        return result(ret, 0, "removed the table of %s (tockctl restore brings it back)", user);
}

int spool_restore(struct daemon *d, const char *user, const struct caller *by, struct spool_result *ret) {
        _cleanup_free_ char *prev = previous_path(d, user), *cur_path = spool_path(d, user), *text = NULL, *cur = NULL;
        const struct user_info *u = users_get(&d->users, user);
        size_t len, cur_len;
        int r;

        if (!prev || !cur_path || !u)
                return result(ret, -ENOMEM, "out of memory");
        r = previous_dir(d);
        if (r < 0)
                return result(ret, r, "cannot restore the table of %s: tockd's state directory %s is not safe (see the log)",
                              user, d->cfg.state_dir);
        r = read_users_file(d, u, prev, &text, &len);
        if (r == -ENOENT || r == -ESTALE) /* a kept version is the uid's that made it */
                return result(ret, -ENOENT, "no previous version of the table of %s is kept", user);
        if (r == -EMLINK || r == -ELOOP)
                return result(ret, r, "cannot restore the table of %s: %s is %s, not a kept version", user, prev,
                              r == -ELOOP ? "a symlink" : "a hard link to a file with other names");
        if (r < 0)
                return result(ret, r, "cannot read the previous table of %s: %s", user, strerror(-r));
        bool had_current = read_users_file(d, u, cur_path, &cur, &cur_len) == 0;
        r = install(d, user, text, len, "restored", by, ret);
        if (r == 0 && !had_current)
                (void) unlink(prev);
        return r;
}
