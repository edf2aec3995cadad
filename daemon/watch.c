/* daemon/watch.c: noticing changed tables with inotify.
 *
 * tockd watches directories, never table files themselves, so that editors and tools that
 * replace a file by rename are seen like any other write: the parent of /etc/crontab (also for
 * the system zone, /etc/localtime), cron.d, the spool and the --table tables' directories. A
 * changed name is re-read at once and only that table is re-planned. A queue overflow means
 * events were lost: everything is rescanned.
 *
 * --table files are also watched themselves: a file bind-mounted into a container is written in
 * place on the host, and its parent directory in the container hears nothing of it. A Kubernetes
 * ConfigMap volume changes no file: it writes a new hidden directory and swaps the "..data"
 * symlink the tables point through; any ".." name changing in a table's directory makes a rescan,
 * which re-reads the tables whose files (followed through the links) changed. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tockd.h"
#include "tzdb.h"
#include "util.h"

#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB | \
                    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

static char *dir_of(const char *path) {
        char *d = strdup(path), *slash = d ? strrchr(d, '/') : NULL;

        if (!d)
                return NULL;
        if (!slash)
                strcpy(d, ".");
        else if (slash == d)
                d[1] = 0;
        else
                *slash = 0;
        return d;
}

/* Watches a directory. One that does not exist yet (a spool no cron has made, a cron.d removed
 * and made again) is waited for through its parent: a directory appearing there makes a rescan. */
static int add_watch(struct daemon *d, const char *dir) {
        int wd = inotify_add_watch(d->watch.io.fd, dir, DIR_EVENTS);

        if (wd < 0 && errno == ENOENT) {
                _cleanup_free_ char *parent = dir_of(dir);
                if (parent && inotify_add_watch(d->watch.io.fd, parent, DIR_EVENTS) >= 0) {
                        log_info("%s does not exist; its tables are read when it appears", dir);
                        return -1;
                }
        }
        if (wd < 0)
                log_warning_errno(errno, "cannot watch %s; changes there are seen only on SIGHUP", dir);
        return wd;
}

/* The inotify instance (its watches come with watch_setup()). */
int watch_open(struct daemon *d) {
        d->watch.io = (struct io_source) { .kind = IO_INOTIFY, .fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC) };
        if (d->watch.io.fd < 0)
                return -errno;
        return loop_add(d, &d->watch.io, EPOLLIN);
}

/* New watches for possibly new paths (a reload): a fresh inotify instance drops the old ones. */
void watch_restart(struct daemon *d) {
        watch_done(d);
        if (watch_open(d) < 0)
                log_errno(errno, "cannot watch the tables any more; changes are seen on SIGHUP only");
        else
                watch_setup(d);
}

void watch_done(struct daemon *d) {
        free(d->watch.tables);
        d->watch.tables = NULL;
        d->watch.n_tables = 0;
        if (d->watch.io.fd < 0)
                return;
        loop_del(d, &d->watch.io);
        close(d->watch.io.fd);
        d->watch.io.fd = -1;
}

#define FILE_EVENTS (IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

static void watch_tables(struct daemon *d) {
        const char *list = d->cfg.table;
        size_t n = 0;
        char *item;

        free(d->watch.tables);
        d->watch.tables = NULL;
        d->watch.n_tables = 0;
        while ((item = tables_item_next(&list))) {
                struct table_watch *v = reallocarray(d->watch.tables, n + 1, sizeof(*v));
                _cleanup_free_ char *dir = NULL;
                struct stat st;

                if (!v) {
                        free(item);
                        break;
                }
                d->watch.tables = v;
                v[n] = (struct table_watch) { .wd_dir = -1, .wd_file = -1 };
                v[n].is_dir = stat(item, &st) == 0 && S_ISDIR(st.st_mode);
                if (v[n].is_dir)
                        v[n].wd_dir = add_watch(d, item);
                else if ((dir = dir_of(item))) {
                        v[n].wd_dir = add_watch(d, dir);
                        v[n].wd_file = inotify_add_watch(d->watch.io.fd, item, FILE_EVENTS);
                }
                d->watch.n_tables = ++n;
                free(item);
        }
}

int watch_setup(struct daemon *d) {
        _cleanup_free_ char *crontab_dir = NULL;

        /* watches are per inode and deduplicated by the kernel: adding one twice gives the same wd */
        if (*d->cfg.crontab && (crontab_dir = dir_of(d->cfg.crontab)))
                d->watch.wd_crontab_dir = add_watch(d, crontab_dir);
        if (*d->cfg.cron_d)
                d->watch.wd_cron_d = add_watch(d, d->cfg.cron_d);
        if (*d->cfg.spool)
                d->watch.wd_spool = add_watch(d, d->cfg.spool);
        watch_tables(d);
        if (*d->cfg.localtime) {
                _cleanup_free_ char *lt_dir = dir_of(d->cfg.localtime);
                if (lt_dir)
                        d->watch.wd_localtime_dir = add_watch(d, lt_dir);
        }
        return 0;
}

static void reload_local_zone(struct daemon *d) {
        struct tz *z = NULL;
        int r = tzdb_load_local(getenv("TZ"), d->cfg.zoneinfo, d->cfg.localtime, &z);

        if (r < 0) {
                log_warning_errno(r, "the system time zone changed but cannot be read; keeping %s", tz_name(d->tables.local_zone));
                return;
        }
        log_info("the system time zone is now %s; jobs without CRON_TZ follow it", tz_name(z));
        struct tz *old = d->tables.local_zone;
        d->tables.local_zone = z;
        tables_replan_local(d);
        d->tables.gen++; /* a reply being streamed may name the old zone */
        tz_free(old);
}

/* A name just created in a table's directory: a symlink has no close to wait for. `dir` the
 * directory item, or NULL when the name is a file item's `base` (its own path then). */
static bool created_symlink(const char *dir, const char *name, const char *item) {
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (dir && asprintf(&path, "%s/%s", dir, name) < 0)
                return false;
        return lstat(dir ? path : item, &st) == 0 && S_ISLNK(st.st_mode);
}

/* An event of watch `wd` about a --table item: `name` in its directory, or (NULL) the file itself. */
static void handle_table_event(struct daemon *d, int wd, const char *name, uint32_t mask, bool *rescan) {
        const char *list = d->cfg.table;
        char *item;

        for (size_t i = 0; (item = tables_item_next(&list)); i++) {
                const struct table_watch *w = i < d->watch.n_tables ? &d->watch.tables[i] : NULL;
                _cleanup_free_ char *path = NULL;
                const char *base = strrchr(item, '/');

                base = base ? base + 1 : item;
                if (w && !name && w->wd_file == wd && (mask & (IN_CLOSE_WRITE | IN_ATTRIB)))
                        (void) table_reload_path(d, item);
                else if (w && name && w->wd_dir == wd) {
                        if (strncmp(name, "..", 2) == 0) /* a ConfigMap's atomic swap */
                                *rescan = true;
                        else if (mask & IN_ISDIR)
                                ; /* not a table; a directory of ours appearing makes a rescan */
                        else if ((mask & IN_CREATE) && !created_symlink(w->is_dir ? item : NULL, name, item))
                                ; /* read when it is closed */
                        else if (w->is_dir && asprintf(&path, "%s/%s", item, name) >= 0)
                                (void) table_reload_path(d, path);
                        else if (!w->is_dir && streq(base, name))
                                (void) table_reload_path(d, item);
                }
                free(item);
        }
}

/* Which of our paths lives in the directory of watch `wd` under `name`. */
static void handle_name(struct daemon *d, int wd, const char *name, uint32_t mask, bool *rescan) {
        const struct {
                const char *path;
                int wd;
        } files[] = { { d->cfg.crontab, d->watch.wd_crontab_dir }, { d->cfg.localtime, d->watch.wd_localtime_dir } };
        _cleanup_free_ char *path = NULL;

        if (*d->cfg.table)
                handle_table_event(d, wd, name, mask, rescan);
        if (mask & IN_ISDIR) {
                /* perhaps a directory of ours that was missing */
                if (mask & (IN_CREATE | IN_MOVED_TO))
                        *rescan = true;
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                const char *base;
                if (!*files[i].path || files[i].wd != wd)
                        continue;
                base = strrchr(files[i].path, '/');
                if (!streq(base ? base + 1 : files[i].path, name))
                        continue;
                if (i == 1)
                        reload_local_zone(d);
                else
                        (void) table_reload_path(d, files[i].path);
                return;
        }
        /* a file being created is read when it is closed; a new symlink, FIFO or hard link has no
         * close, and is read (and refused) at once */
        if (wd == d->watch.wd_cron_d || wd == d->watch.wd_spool) {
                const char *dir = wd == d->watch.wd_cron_d ? d->cfg.cron_d : d->cfg.spool;
                if (asprintf(&path, "%s/%s", dir, name) < 0)
                        return;
                if (mask & IN_CREATE) {
                        struct stat st;
                        if (lstat(path, &st) < 0 || (S_ISREG(st.st_mode) && st.st_nlink == 1))
                                return;
                }
                (void) table_reload_path(d, path);
        }
}

int watch_handle(struct daemon *d) {
        char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool rescan = false;
        ssize_t k;

        for (;;) {
                k = read(d->watch.io.fd, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                for (char *p = buf; p < buf + k;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        p += sizeof(*ev) + ev->len;
                        if (ev->mask & IN_Q_OVERFLOW) {
                                log_warning("inotify queue overflowed; rescanning every table");
                                rescan = true;
                        } else if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                                rescan = true;
                        } else if (ev->len > 0 && !rescan) {
                                handle_name(d, ev->wd, ev->name, ev->mask, &rescan);
                        } else if (ev->len == 0 && !rescan && *d->cfg.table) {
                                handle_table_event(d, ev->wd, NULL, ev->mask, &rescan);
                        }
                }
        }
        if (rescan) {
                watch_setup(d);
                tables_rescan(d);
        }
        catchup_sync(d, now_real());
        dispatch_status(d);
        return dispatch_arm(d);
}
