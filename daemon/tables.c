/* daemon/tables.c: which files are tables, whose they are, and their jobs in the queue.
 *
 * cron's rules (cron(8) of Debian and cronie): in cron.d only names of letters, digits, '_' and
 * '-' count; system tables belong to root and are not writable by group or others; a user's
 * table in the spool is a regular file (not a symlink) owned by that user and not writable by
 * group or others, and is skipped when the user no longer exists. A table that fails to parse is
 * refused whole and its last good version stays in force. Every refusal is logged with why. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "mem.h"
#include "readfile.h"
#include "seed.h"
#include "timefmt.h"
#include "tockd.h"
#include "tzdb.h"
#include "util.h"

static char machine_id[SEED_MACHINE_ID_MAX]; /* read once: it does not change while tockd runs */

/* ---- zones ---- */

const struct tz *zone_get(struct daemon *d, const char *name) {
        /* bounded: only names of existing zone files are kept, a few hundred at most */
        return name ? tzdb_cache_get(&d->tables.zones, d->cfg.zoneinfo, name) : d->tables.local_zone;
}

static int zone_check_cb(const char *name, void *userdata) {
        return zone_get(userdata, name) ? 0 : -ENOENT;
}

/* ---- the table list ---- */

static struct table *table_find(struct daemon *d, const char *path) {
        for (size_t i = 0; i < d->tables.n; i++)
                if (streq(d->tables.v[i]->path, path))
                        return d->tables.v[i];
        return NULL;
}

static void table_unplan(struct daemon *d, struct table *t) {
        for (size_t i = 0; i < t->n_jobs; i++) {
                if (job_queued(&t->jobs[i]))
                        heap_remove(&d->sched.queue, &t->jobs[i].node);
                if (t->jobs[i].stats && t->jobs[i].stats->job == &t->jobs[i])
                        t->jobs[i].stats->job = NULL;
                job_stats_unref(t->jobs[i].stats);
        }
        d->tables.n_jobs -= t->n_jobs;
        d->tables.changed = true;
        d->tables.gen++;
        free(t->jobs);
        t->jobs = NULL;
        t->n_jobs = 0;
}

static void table_drop(struct daemon *d, struct table *t) {
        table_unplan(d, t);
        crontab_free(t->ct);
        free(t->zones);
        free(t->path);
        free(t->name);
        free(t->owner);
        free(t->refused_why);
        for (size_t i = 0; i < d->tables.n; i++)
                if (d->tables.v[i] == t) {
                        d->tables.v[i] = d->tables.v[--d->tables.n];
                        break;
                }
        free(t);
}

void tables_done(struct daemon *d) {
        while (d->tables.n)
                table_drop(d, d->tables.v[0]);
        free(d->tables.v);
        d->tables.v = NULL;
        tzdb_cache_done(&d->tables.zones);
        tz_free(d->tables.local_zone);
        d->tables.local_zone = NULL;
}

static int table_new(struct daemon *d, enum table_kind kind, const char *path, const char *owner,
                     struct table **ret) {
        _cleanup_free_ struct table *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        if (d->tables.n == d->tables.cap) {
                size_t cap = d->tables.cap ? d->tables.cap * 2 : 16;
                struct table **v = reallocarray(d->tables.v, cap, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                d->tables.v = v;
                d->tables.cap = cap;
        }
        if (!machine_id[0])
                seed_machine_id(machine_id);
        t->kind = kind;
        t->path = strdup(path);
        t->owner = owner ? strdup(owner) : NULL;
        t->name = strdup(path);
        if (!t->path || !t->name || (owner && !t->owner)) {
                free(t->path);
                free(t->owner);
                free(t->name);
                return -ENOMEM;
        }
        t->seed = seed_table(machine_id, path);
        d->tables.v[d->tables.n++] = t;
        d->tables.gen++;
        *ret = TAKE_PTR(t);
        return 0;
}

/* ---- planning jobs ---- */


/* t->zones for t->ct: the zone of each prefix of its environment, the last CRON_TZ in it or the
 * local zone (what crontab_env_get() finds, once per environment line instead of once a job) */
static int table_zones(struct daemon *d, struct table *t) {
        const struct crontab *ct = t->ct;
        const struct tz **z = reallocarray(NULL, ct->n_env + 1, sizeof(*z));

        if (!z)
                return -ENOMEM;
        z[0] = zone_get(d, NULL);
        for (size_t k = 0; k < ct->n_env; k++)
                z[k + 1] = streq(ct->env[k].name, "CRON_TZ") ? zone_get(d, ct->env[k].value) : z[k];
        free(t->zones);
        t->zones = z;
        return 0;
}

static void table_plan(struct daemon *d, struct table *t, const struct job *old, const struct crontab *old_ct,
                       size_t n_old) {
        struct dispatch_batch b;
        struct carry o;

        /* not calloc(): each job is written whole below, and calloc() clears reused memory first */
        t->jobs = reallocarray(NULL, t->ct->n_entries ? t->ct->n_entries : 1, sizeof(*t->jobs));
        if (!t->jobs || table_zones(d, t) < 0) {
                log_error("%s: out of memory planning its jobs", t->name);
                free(t->jobs);
                t->jobs = NULL;
                return;
        }
        if (heap_reserve(&d->sched.queue, d->sched.queue.n + t->ct->n_entries) < 0)
                log_warning("%s: out of memory making room in the queue", t->name); /* heap_push() says which job */
        else /* the jobs and their places in the queue are all written below: fault them in at once */
                mem_populate(d->sched.queue.v + d->sched.queue.n, t->ct->n_entries * sizeof(*d->sched.queue.v));
        mem_populate(t->jobs, t->ct->n_entries * sizeof(*t->jobs));
        t->n_jobs = t->ct->n_entries;
        d->tables.n_jobs += t->n_jobs;
        d->tables.changed = true;
        carry_init(&o, old, old_ct, n_old);
        dispatch_batch_begin(d, &b);
        for (size_t i = 0; i < t->n_jobs; i++) {
                struct job *j = &t->jobs[i];
                const struct user_info *u;

                *j = (struct job) { .node.idx = HEAP_NONE, .table = t };
                j->stats = carry_take(&o, t->ct, job_entry(j));
                if (j->stats)
                        j->stats->job = j;
                if (!job_zone(j)) {
                        const char *tzname = crontab_env_get(t->ct, job_entry(j), "CRON_TZ");
                        log_error("%s:%u: cannot load time zone '%s', the job will not run", t->name, job_entry(j)->line, tzname);
                        job_stats_note(job_stats_get(j), "not run: cannot load time zone '%s'", tzname);
                        continue;
                }
                if (job_user_field(j) && (!(u = users_get(&d->users, job_user_field(j))) || (d->uid != 0 && u->uid != d->uid))) {
                        job_stats_note(job_stats_get(j), "not run: %s '%s'", u ? "tockd is not root and cannot run jobs as" : "no such user",
                                       job_user_field(j));
                        if (u)
                                log_warning("%s:%u: tockd runs as uid %u and cannot run jobs as '%s'; the job will not run",
                                            t->name, job_entry(j)->line, (unsigned) d->uid, job_user_field(j));
                        else
                                log_warning("%s:%u: no such user '%s'; the job will not run until the user exists and the table is reloaded",
                                            t->name, job_entry(j)->line, job_user_field(j));
                        continue;
                }
                dispatch_job_added(d, &b, j);
        }
        dispatch_batch_end(d, &b);
        carry_done(&o);
}

/* ---- reading one file ---- */

static bool valid_crond_name(const char *n) {
        if (!*n)
                return false;
        for (; *n; n++)
                if (!(('a' <= *n && *n <= 'z') || ('A' <= *n && *n <= 'Z') || ('0' <= *n && *n <= '9') || *n == '_' ||
                      *n == '-'))
                        return false;
        return true;
}

/* Opens a table and checks it is one we may run. Returns the fd, or -errno with *ret_why set
 * (a refusal to log) or -ENOENT (gone: not worth a message). */
static int table_open(struct daemon *d, enum table_kind kind, const char *path, const char *owner, struct stat *st,
                      const char **ret_why) {
        _cleanup_close_ int fd = -1;
        int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

        *ret_why = NULL;
        if (kind == TABLE_SPOOL)
                flags |= O_NOFOLLOW; /* a user's table is never a symlink */
        fd = open(path, flags);
        if (fd < 0) {
                if (errno == ELOOP)
                        *ret_why = "it is a symlink; a user's table must be a regular file";
                return -errno;
        }
        if (fstat(fd, st) < 0)
                return -errno;
        if (!S_ISREG(st->st_mode)) {
                *ret_why = "not a regular file";
                return -EINVAL;
        }
        if (st->st_mode & (S_IWGRP | S_IWOTH)) {
                *ret_why = "writable by group or others (chmod go-w it)";
                return -EPERM;
        }
        if (kind == TABLE_SPOOL) {
                const struct user_info *u = users_get(&d->users, owner);
                if (!u) {
                        *ret_why = "no such user";
                        return -ESRCH;
                }
                if (st->st_uid != u->uid) {
                        *ret_why = "not owned by the user it is named after";
                        return -EPERM;
                }
                if (st->st_nlink != 1) { /* as Debian's cron: a link planted in the spool */
                        *ret_why = "it has more than one hard link; a user's table has one (another name for one of "
                                   "the user's files is not their table)";
                        return -EPERM;
                }
                if (d->uid != 0 && u->uid != d->uid) {
                        *ret_why = "tockd does not run as root and cannot run another user's jobs";
                        return -EPERM;
                }
        } else if (st->st_uid != 0 && st->st_uid != d->uid) {
                *ret_why = kind == TABLE_SINGLE ? "owned by another user than tockd's or root's"
                                                : "not owned by root";
                return -EPERM;
        }
        return TAKE_FD(fd);
}

static void log_diags(const struct table *t, const struct diag_list *diags) {
        for (size_t i = 0; i < diags->n; i++) {
                const struct diag *g = &diags->items[i];
                log_full(g->severity == DIAG_ERROR ? LOG_ERR : LOG_WARNING, 0, "%s:%u:%u: %s: %s", t->name, g->line,
                         g->col, diag_severity_to_string(g->severity), g->msg);
        }
        if (diags->n_dropped)
                log_error("%s: %zu more messages not shown", t->name, diags->n_dropped);
}

/* Marks t refused for `why` (its first error at line:col, `more` errors after it); why NULL: not
 * refused. Out of memory loses the reason, never the mark. */
static void table_refuse(struct table *t, unsigned line, unsigned col, const char *why, size_t more) {
        free(t->refused_why);
        t->refused_why = why ? strdup(why) : NULL;
        t->refused = why != NULL;
        t->refused_line = line;
        t->refused_col = col;
        t->refused_more = more;
}

static void table_refuse_diags(struct table *t, const struct diag_list *diags, int r) {
        for (size_t i = 0; i < diags->n; i++)
                if (diags->items[i].severity == DIAG_ERROR)
                        return table_refuse(t, diags->items[i].line, diags->items[i].col, diags->items[i].msg,
                                            diags->n_errors - 1);
        table_refuse(t, 0, 0, r == -EINVAL ? "it has errors" : strerror(-r), 0);
}

/* A file refused before it was read (table_open()'s `why`): its jobs go, and it stays in the list
 * with no version in force, read again at the next rescan. Returns err. */
static int table_refused_file(struct daemon *d, struct table *t, enum table_kind kind, const char *path,
                              const char *owner, const char *why, int err) {
        if (!t && table_new(d, kind, path, owner, &t) < 0)
                return err;
        if (t->jobs)
                table_unplan(d, t);
        t->ct = crontab_free(t->ct);
        t->sig = (struct file_sig) {};
        t->seen = true;
        table_refuse(t, 0, 0, why, 0);
        return err;
}

/* (Re)reads one table. Unchanged files (same inode, size, mtime, ctime) are not parsed again. */
static int table_load(struct daemon *d, enum table_kind kind, const char *path, const char *owner) {
        struct table *t = table_find(d, path);
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        struct crontab *ct = NULL;
        struct diag_list diags = {};
        struct file_sig sig;
        const char *why;
        struct stat st;
        size_t len = 0;
        int r;

        fd = table_open(d, kind, path, owner, &st, &why);
        if (fd < 0) {
                if (why)
                        log_error("%s: refused: %s", path, why);
                else if (fd != -ENOENT)
                        log_errno(fd, "%s: cannot open", path);
                if (t && t->ct) {
                        if (fd == -ENOENT)
                                log_info("%s: removed, its jobs are dropped", t->name);
                        else
                                log_warning("%s: its jobs are dropped", t->name);
                }
                /* a refused file stays listed (tockctl status), with no version in force; not a
                 * spool file named after no user: anyone in group crontab could make those */
                if (why && !(kind == TABLE_SPOOL && fd == -ESRCH))
                        return table_refused_file(d, t, kind, path, owner, why, fd);
                if (t)
                        table_drop(d, t);
                return fd;
        }
        file_sig_of(&st, &sig);
        if (t && file_sig_eq(&t->sig, &sig)) {
                t->seen = true;
                return 0;
        }
        if (!t) {
                r = table_new(d, kind, path, owner, &t);
                if (r < 0)
                        return log_errno(r, "%s: cannot load", path);
        }
        t->seen = true;
        t->sig = sig;
        r = read_bounded(fd, CRONTAB_MAX_BYTES, &text, &len);
        if (r < 0) {
                log_errno(r, "%s: refused: cannot read%s", t->name, t->ct ? ", keeping the previous version" : "");
                table_refuse(t, 0, 0, strerror(-r), 0);
                return r;
        }
        const struct crontab_opts opts = {
                .mode = kind == TABLE_SYSTEM || kind == TABLE_CROND ? CRONTAB_SYSTEM : CRONTAB_USER,
                .seed = t->seed,
                .zone_check = zone_check_cb,
                .userdata = d,
                .fleet_refused = fleet_refused_reason(),
        };
        r = crontab_parse(text, len, &opts, &ct, &diags);
        log_diags(t, &diags);
        if (r < 0)
                table_refuse_diags(t, &diags, r);
        diag_list_done(&diags);
        if (r < 0) {
                if (t->ct)
                        log_error("%s: refused with %s, keeping the previous version (%zu job%s)", t->name,
                                  r == -EINVAL ? "errors" : strerror(-r), t->n_jobs, t->n_jobs == 1 ? "" : "s");
                else
                        log_error("%s: refused with %s, no jobs from it will run", t->name,
                                  r == -EINVAL ? "errors" : strerror(-r));
                return r;
        }
        {
                struct job *old = t->jobs;
                size_t n_old = t->n_jobs;
                struct crontab *old_ct = t->ct;

                /* plan the new jobs first, taking over the old ones' stats, then drop the old */
                t->jobs = NULL;
                t->n_jobs = 0;
                t->ct = ct;
                t->owner_uid = st.st_uid;
                t->text_hash = hash_bytes(text, len);
                table_refuse(t, 0, 0, NULL, 0);
                table_plan(d, t, old, old_ct, n_old);
                for (size_t i = 0; i < n_old; i++) {
                        if (job_queued(&old[i]))
                                heap_remove(&d->sched.queue, &old[i].node);
                        if (old[i].stats && old[i].stats->job == &old[i])
                                old[i].stats->job = NULL;
                        job_stats_unref(old[i].stats);
                }
                d->tables.n_jobs -= n_old;
                d->tables.gen++;
                free(old);
                crontab_free(old_ct);
        }
        log_info("%s: loaded, %zu job%s", t->name, t->n_jobs, t->n_jobs == 1 ? "" : "s");
        return 0;
}

/* Loading a table leaves holes in the heap (the file's text, arrays that grew by doubling) and
 * room in the queue that grew by half; the queue gives its room back (heap_trim()), and glibc's
 * malloc_trim() the holes' whole pages, so that the memory tockd holds is what its jobs take. */
static void tables_trim(struct daemon *d) {
        heap_trim(&d->sched.queue);
#ifdef __GLIBC__
        (void) malloc_trim(0);
#endif
}

/* ---- which files are tables ---- */

static char *path_join(const char *dir, const char *name) {
        char *p;
        return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

/* In a directory of --table tables every visible name counts but backups ("~"): hidden names
 * are editors' files and a Kubernetes ConfigMap's "..data" and its timestamped directories */
static bool valid_single_name(const char *n) {
        size_t len = strlen(n);
        return len && n[0] != '.' && n[len - 1] != '~';
}

static void scan_dir(struct daemon *d, const char *dir, enum table_kind kind, const char *owner) {
        DIR *dp = opendir(dir);
        struct dirent *de;

        if (!dp) {
                if (errno != ENOENT)
                        log_warning_errno(errno, "cannot read %s", dir);
                return;
        }
        while ((de = readdir(dp))) {
                _cleanup_free_ char *p = NULL;
                if (de->d_name[0] == '.')
                        continue;
                if (kind == TABLE_CROND && !valid_crond_name(de->d_name)) {
                        log_info("%s/%s: skipped: only names of letters, digits, '_' and '-' count in cron.d", dir,
                                 de->d_name);
                        continue;
                }
                if (kind == TABLE_SPOOL && strncmp(de->d_name, "tmp.", 4) == 0)
                        continue; /* crontab(1)'s temporary files */
                if (kind == TABLE_SINGLE && !valid_single_name(de->d_name))
                        continue;
                p = path_join(dir, de->d_name);
                if (!p) {
                        log_error("out of memory scanning %s", dir);
                        break;
                }
                (void) table_load(d, kind, p, kind == TABLE_SPOOL ? de->d_name : owner);
        }
        closedir(dp);
}

char *tables_item_next(const char **list) {
        const char *p = *list, *end;

        while (*p == ':')
                p++;
        if (!*p)
                return NULL;
        end = strchrnul(p, ':');
        *list = end;
        return strndup(p, (size_t) (end - p));
}

/* One item of paths.table: a table, or a directory of them. A missing one is read when it
 * appears (watch.c watches its parent). */
static void load_single_item(struct daemon *d, const char *item, const char *me) {
        struct stat st;

        if (stat(item, &st) == 0 && S_ISDIR(st.st_mode)) {
                scan_dir(d, item, TABLE_SINGLE, me);
                return;
        }
        if (table_load(d, TABLE_SINGLE, item, me) == -ENOENT && !table_find(d, item))
                log_warning("%s: no such file; its jobs run when it appears", item);
}

int tables_rescan(struct daemon *d) {
        for (size_t i = 0; i < d->tables.n; i++)
                d->tables.v[i]->seen = false;
        if (*d->cfg.crontab)
                (void) table_load(d, TABLE_SYSTEM, d->cfg.crontab, NULL);
        if (*d->cfg.cron_d)
                scan_dir(d, d->cfg.cron_d, TABLE_CROND, NULL);
        if (*d->cfg.spool)
                scan_dir(d, d->cfg.spool, TABLE_SPOOL, NULL);
        if (*d->cfg.table) {
                const char *me = users_self_name(&d->users, d->uid), *list = d->cfg.table;
                char *item;
                while ((item = tables_item_next(&list))) {
                        load_single_item(d, item, me);
                        free(item);
                }
        }
        /* what was not seen is gone */
        for (size_t i = 0; i < d->tables.n;) {
                struct table *t = d->tables.v[i];
                if (t->seen) {
                        i++;
                        continue;
                }
                log_info("%s: gone, its jobs are dropped", t->name);
                table_drop(d, t);
        }
        tables_trim(d);
        return 0;
}

static int reload_path(struct daemon *d, const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        const char *base = slash ? slash + 1 : path;

        if (!dir)
                return -ENOMEM;
        if (slash)
                *slash = 0;
        if (*d->cfg.crontab && streq(path, d->cfg.crontab))
                return table_load(d, TABLE_SYSTEM, path, NULL);
        if (*d->cfg.table) {
                const char *me = users_self_name(&d->users, d->uid), *list = d->cfg.table;
                char *item;
                while ((item = tables_item_next(&list))) {
                        bool file = streq(path, item), in_dir = streq(dir, item);
                        free(item);
                        if (file)
                                return table_load(d, TABLE_SINGLE, path, me);
                        if (in_dir)
                                return valid_single_name(base) ? table_load(d, TABLE_SINGLE, path, me) : 0;
                }
        }
        if (*d->cfg.cron_d && streq(dir, d->cfg.cron_d)) {
                if (base[0] == '.')
                        return 0;
                if (!valid_crond_name(base)) {
                        log_info("%s: skipped: only names of letters, digits, '_' and '-' count in cron.d", path);
                        return 0;
                }
                return table_load(d, TABLE_CROND, path, NULL);
        }
        if (*d->cfg.spool && streq(dir, d->cfg.spool)) {
                if (base[0] == '.' || strncmp(base, "tmp.", 4) == 0)
                        return 0;
                return table_load(d, TABLE_SPOOL, path, base);
        }
        return 0;
}

/* Re-reads the table at `path` after a change; it may be new or gone. */
int table_reload_path(struct daemon *d, const char *path) {
        int r = reload_path(d, path);
        tables_trim(d);
        return r;
}

/* The system zone changed: jobs on local time get their next fire time again, from the last
 * instant already dispatched, so that nothing is skipped or run twice. */
void tables_replan_local(struct daemon *d) {
        struct dispatch_batch b;
        struct job *j;

        for (size_t i = 0; i < d->tables.n; i++)
                if (d->tables.v[i]->jobs && table_zones(d, d->tables.v[i]) < 0)
                        log_error("%s: out of memory: its jobs keep the old local zone", d->tables.v[i]->name);
        FOREACH_JOB(d, j) {
                if (!crontab_env_get(j->table->ct, job_entry(j), "CRON_TZ") && job_queued(j))
                        heap_remove(&d->sched.queue, &j->node);
        }
        dispatch_batch_begin(d, &b); /* no removal from here on: the batch only appends */
        FOREACH_JOB(d, j) {
                if (!crontab_env_get(j->table->ct, job_entry(j), "CRON_TZ"))
                        dispatch_job_added(d, &b, j);
        }
        dispatch_batch_end(d, &b);
}
