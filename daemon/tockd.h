/* daemon/tockd.h: the daemon's shared types. Each daemon/ file owns one job; this header is the
 * map between them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "crontab.h"
#include "heap.h"
#include "hmap.h"
#include "tz.h"
#include "tzdb.h"
#include "writefile.h"

/* ---- config.c ---- */

enum log_target { LOG_TARGET_AUTO, LOG_TARGET_JOURNAL, LOG_TARGET_SYSLOG, LOG_TARGET_STDERR, LOG_TARGET_STDOUT };
enum on_stop { ON_STOP_LEAVE, ON_STOP_TERM, ON_STOP_WAIT };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };
enum job_output { JOB_OUTPUT_LINES, JOB_OUTPUT_END };
enum fleet_unreachable { FLEET_UNREACHABLE_SKIP, FLEET_UNREACHABLE_LOCAL };

struct config {
        char *config_file;
        bool config_explicit; /* given with -c: then it must exist, also on reload */
        /* [paths] */
        char *crontab;     /* system table; "" disables */
        char *cron_d;      /* directory of system tables; "" disables */
        char *spool;       /* per-user tables, one file per user named after the user; "" disables */
        char *table;       /* user-format tables (files or directories, ':' between) run as tockd's own user */
        char *state_dir;   /* boot id, catch-up times, kept tables, the lock; "" none */
        char *zoneinfo;    /* TZif files */
        char *localtime;   /* the system zone (a TZif file, usually a symlink into zoneinfo) */
        char *boot_id;     /* where this boot's id is read */
        char *socket;      /* the control socket; "" disables it */
        char *cron_allow, *cron_deny;
        char *metrics_file; /* Prometheus text written here for node_exporter; "" disables */
        char *pam_dir;      /* PAM's configuration directory; "" for PAM's own (/etc/pam.d, /usr/lib/pam.d) */
        /* [log] */
        enum log_target log_target;
        int log_level;     /* syslog levels: LOG_ERR .. LOG_DEBUG */
        enum log_format log_format;  /* on stdout or stderr: text lines, or one JSON object a line */
        enum job_output job_output;  /* a job's output lines logged as they come, or at its end */
        /* [jobs] */
        char *shell;       /* default SHELL */
        char *path;        /* default PATH */
        unsigned umask;
        enum on_stop on_stop;
        int64_t stop_timeout_s;
        size_t max_output; /* bytes of a run's output kept for the log or the mail */
        char *sendmail;    /* mails output as cron does; "" disables mail */
        char *pam_service; /* jobs go through this PAM service when it exists; "" disables PAM */
        size_t max_running, max_running_per_user; /* 0: no cap */
        size_t max_manual_runs_per_user;          /* tockctl runs of one uid but root; 0: no cap */
        int nice;             /* jobs' nice level (added to tockd's) */
        int64_t rlimits[6];   /* nofile, nproc, as, cpu, core, fsize: -1 inherits, -2 is infinity */
        char *on_failure;     /* a command run as the owner when a run fails or times out; "" none */
        int64_t timeout_s;    /* default per-job timeout; 0: none */
        int64_t kill_grace_s; /* from SIGTERM at a timeout to SIGKILL */
        enum overlap overlap; /* default overlap policy */
        int64_t jitter_s;     /* default per-job random delay bound */
        bool catchup;         /* default of [catchup:...] */
        bool fleet;           /* default of [fleet]: every job is a fleet job */
        /* [fleet] (fleet.c) */
        char *fleet_endpoints;  /* etcd client URLs, ',' or blanks between; "" disables the fleet */
        char *fleet_name;       /* the keys' prefix: /tock/NAME/ */
        char *fleet_host;       /* this member's name; "" the host name */
        int64_t fleet_lease_ttl_s;
        enum fleet_unreachable fleet_unreachable;
        char *fleet_cacert, *fleet_cert, *fleet_key; /* TLS files; "" none */
        bool inherit_env;     /* jobs start from tockd's environment (the container mode's default) */
        bool foreground;
        bool container;       /* tockd --table FILE alone: config_container_defaults() */
};

void config_init(struct config *c);
void config_container_defaults(struct config *c);
void config_done(struct config *c);
/* Reads the INI file; a missing default file is fine, a missing explicit one is not. Unknown
 * keys warn. Returns 0 or negative errno (logged). */
int config_load(struct config *c, const char *path, bool explicit);
/* The same from `len` bytes of text (NULs and all, as if read from a file), named `name` in
 * messages and in config_dump(). Returns 0, -EINVAL (logged) or -ENOMEM. */
int config_load_text(struct config *c, const char *name, const char *text, size_t len);
/* Sets one key from "section.key=value" or a command-line flag. Returns 0 or -EINVAL. */
int config_set(struct config *c, const char *section, const char *key, const char *value);
/* One --set argument, "SECTION.KEY=VALUE": SECTION runs to the first '.', KEY from there to the
 * first '=' (which must come after the '.'). Returns 0, -EBADMSG when `s` has not that shape,
 * -ENOENT for an unknown key, -EINVAL for a bad value, or -ENOMEM. Logs nothing. */
int config_set_override(struct config *c, const char *s);
void config_dump(const struct config *c, FILE *f);

/* ---- the daemon's state ---- */

enum table_kind {
        TABLE_SYSTEM,  /* /etc/crontab: system format */
        TABLE_CROND,   /* /etc/cron.d/NAME: system format */
        TABLE_SPOOL,   /* spool/USER: user format, owned by USER */
        TABLE_SINGLE,  /* --table FILE: user format, run as tockd's user */
};

/* What is known of a job's runs. Shared (refcounted) by the job and its runs, and carried over
 * to the same entry (schedule, user, command) when its table is reloaded. Allocated when
 * something happens to the job (a fire time, a run, a note): most jobs of a large table have
 * none, and read as job_stats_none (job_stats_view()). */
#define JOB_TAIL_MAX 2048
struct job_stats {
        /* ordered so that it takes 104 bytes: one of these per job */
        int64_t last_due_at;      /* the last fire time that came, run or not */
        int64_t last_at;          /* the last start */
        int64_t last_duration_ms;
        int64_t last_success_at;
        int64_t running_since;
        struct job *job;          /* the job these stats belong to now, or NULL */
        char *note;               /* the last thing that kept it from running, or NULL */
        char *tail;               /* the end of the last run's output (JOB_TAIL_MAX bytes, allocated
                                   * at the first output: most jobs never print) */
        uint32_t tail_len;
        unsigned refs;
        int last_wstatus;         /* -1 before the first end */
        uint32_t runs, failures;
        pid_t running_pid;
        unsigned n_running;       /* scheduled runs going on */
        uint32_t skipped;         /* runs skipped by overlap:skip (or a full queue) */
        uint32_t timeouts;
        bool queued_run;          /* overlap:queue: one run waits for the running one */
};

struct job_stats *job_stats_new(void);
extern const struct job_stats job_stats_none; /* what job_stats_new() holds: a job that never ran */
struct job;
/* j's statistics, allocated at the first call (NULL when out of memory) */
struct job_stats *job_stats_get(struct job *j);
struct job_stats *job_stats_ref(struct job_stats *s);
void job_stats_unref(struct job_stats *s);
void job_stats_note(struct job_stats *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void job_stats_started(struct job_stats *s);
struct log_job;
/* Logs an event of a job and keeps the same words as its note (NULL s: no note). */
int job_event(int level, const struct log_job *lj, struct job_stats *s, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* One per entry of a table, in an array beside the table's entries (the same index): 40 bytes. */
struct job {
        struct heap_node node; /* first: the queue hands back a pointer to it; queued when in it */
        struct table *table;
        struct job_stats *stats; /* NULL until something happens to the job: job_stats_get() */
        int64_t nominal_at;    /* the fire time of the schedule; node.at adds jitter and RANDOM_DELAY */
};

struct file_sig {
        dev_t dev;
        ino_t ino;
        off_t size;
        int64_t mtime_ns, ctime_ns;
};

struct table {
        enum table_kind kind;
        char *path;
        char *name;       /* as logged: the path, or "user NAME" */
        char *owner;      /* spool and single tables: the user the entries run as */
        uid_t owner_uid;  /* spool tables: the uid that owned the file of the version in force */
        uint64_t seed;
        uint64_t text_hash; /* hash_bytes() of the text in force: with the path, its identity in a fleet */
        struct crontab *ct;
        struct job *jobs;      /* jobs[i] is entry ct->entries[i] */
        size_t n_jobs;
        /* zones[k]: the zone of the entries that see ct->env[0 .. k) (CRON_TZ's, or the local
         * zone when unset), borrowed from the zone cache; NULL when it cannot be loaded */
        const struct tz **zones;
        struct file_sig sig;
        bool seen;        /* mark for a rescan */
        bool refused;     /* the current file on disk was refused (the old version may run) */
        /* why, for tockctl status and why: the first error (line and column, 0 when the file
         * itself was refused), its message, and how many errors followed it */
        unsigned refused_line, refused_col;
        char *refused_why;
        size_t refused_more;
};

static inline const struct entry *job_entry(const struct job *j) {
        return &j->table->ct->entries[j - j->table->jobs];
}

static inline const char *job_schedule(const struct job *j) {
        return entry_schedule(j->table->ct, job_entry(j));
}

static inline const char *job_command(const struct job *j) {
        return entry_command(j->table->ct, job_entry(j));
}

/* the user field of a system table's entry, NULL in user tables (job_user() says who runs it) */
static inline const char *job_user_field(const struct job *j) {
        return entry_user(j->table->ct, job_entry(j));
}

static inline const struct job_opts *job_opts(const struct job *j) {
        return entry_opts(j->table->ct, job_entry(j));
}

/* The zone j's schedule is in; NULL when its CRON_TZ cannot be loaded (then it does not run) */
static inline const struct tz *job_zone(const struct job *j) {
        return j->table->zones[job_entry(j)->n_env];
}

static inline bool job_queued(const struct job *j) {
        return heap_node_queued(&j->node);
}

/* j's statistics to read: its own, or job_stats_none when it has none yet */
static inline const struct job_stats *job_stats_view(const struct job *j) {
        return j->stats ? j->stats : &job_stats_none;
}

/* Who a job runs as: the system table's user field, or the owner of its table */
static inline const char *job_user(const struct job *j) {
        const char *u = job_user_field(j);
        return u ? u : j->table->owner;
}


struct user_info {
        char *name;
        bool exists;
        uid_t uid;
        gid_t gid;
        char *home;
        gid_t *groups;  /* supplementary groups from the group database, the primary one included */
        int n_groups;   /* -1: more than tockd can set */
        bool groups_known; /* groups and n_groups are set: users_get_with_groups() */
};

/* cron.allow or cron.deny as last read: read again only when the file changes (a stat() a
 * check instead of reading both files at every request and every start of a spool job) */
struct access_list {
        char *path;
        struct file_sig sig;
        char *text;            /* NULL: not read yet */
};
struct access_lists {
        struct access_list allow, deny;
};

struct user_cache {
        struct hmap map; /* struct user_cache_entry by name */
        struct user_info self; /* tockd's own uid when it has no passwd entry (name NULL: it has one) */
        int64_t passwd_sig, group_sig, filled_ns;
};

struct daemon;
struct log_job;

/* watch.c: the watches of one paths.table item */
struct table_watch {
        int wd_dir;  /* the item when it is a directory, else its parent; -1 none */
        int wd_file; /* the file itself (a bind-mounted file's own writes reach no parent); -1 none */
        bool is_dir;
};

/* ---- event sources and runs ---- */

enum io_kind { IO_SIGNAL, IO_TIMER, IO_INOTIFY, IO_SPAWNER, IO_RUN_OUTPUT, IO_LISTEN, IO_CLIENT, IO_MONOTONIC, IO_ETCD };

/* What an epoll event points at. */
struct io_source {
        enum io_kind kind;
        int fd;
        struct run *run;       /* IO_RUN_* */
        struct client *client; /* IO_CLIENT */
};

/* Something to do at a CLOCK_MONOTONIC time (timer.c). Embedded in its owner; off until set. */
struct timer;
typedef void (*timer_fn)(struct daemon *d, struct timer *t);
struct timer {
        struct heap_node node; /* node.at: CLOCK_MONOTONIC ns */
        timer_fn fire;
};

/* What a run is for. */
enum run_kind {
        RUN_SCHEDULED, /* a fire time of its job came: counts against the caps, updates the job's stats */
        RUN_MANUAL,    /* tockctl run: the caller's terminal, answered through its client */
        RUN_MAIL,      /* sendmail with a scheduled run's output */
        RUN_HOOK,      /* jobs.on_failure after a scheduled run failed */
};

/* Where a run is in its life; run.c's table says which events move it where. Each state but
 * RUN_NEW has a list of its runs (struct daemon's runs[]), in the order they entered it. */
enum run_state {
        RUN_NEW,     /* being prepared, in no list */
        RUN_CAPPED,  /* waiting for a place under jobs.max_running(_per_user) */
        RUN_UNSENT,  /* its request waits for room in the spawner's socket */
        RUN_PENDING, /* its request is sent; the spawner's answer has not come */
        RUN_RUNNING, /* started (or failed to: exec_stage), its process not reaped yet */
        RUN_EXITED,  /* its process is gone, its output pipe still open */
        RUN_DEAD,    /* over: freed after the current loop iteration */
        RUN_N_STATES,
};

enum run_event {
        RUN_EV_CAP,           /* prepared, but over the caps */
        RUN_EV_SUBMIT,        /* prepared (or let through the caps): goes to the spawner */
        RUN_EV_SENT,          /* its request is in the spawner's socket */
        RUN_EV_ANSWERED,      /* the spawner answered (or died, which fails it) */
        RUN_EV_EXITED,        /* its process was reaped */
        RUN_EV_OUTPUT_CLOSED, /* its output pipe reached end of file (or it had none) */
        RUN_N_EVENTS,
};

struct run_list {
        struct run *head, *tail;
};

/* One job process (or one about to start, or just ended). It copies what it logs, since its
 * table may be reloaded or removed while it runs. */
struct run {
        struct run *prev, *next;  /* its state's list; changed by run_event() only */
        struct hmap_node pid_node; /* in d->runs.pids while RUN_RUNNING with a pid */
        enum run_kind kind;
        enum run_state state;
        pid_t pid;                /* 0 until the spawner answers */
        pid_t holder_pid;         /* its PAM session holder (the job's parent), or 0 */
        char *table;
        unsigned line;
        char *user;
        char *command;
        int64_t started_at;       /* UTC seconds */
        int64_t start_ns;         /* CLOCK_MONOTONIC */
        char *req;                /* the request to the spawner, while RUN_CAPPED or RUN_UNSENT */
        size_t req_len;
        int req_fds[3];           /* the job's stdin, stdout and stderr (-1: as stdout), as req */
        struct io_source output;  /* the job's stdout (and stderr but with JSON logs); fd -1 when tockctl run gave its own */
        struct io_source errput;  /* with JSON logs: the job's stderr, its lines tagged "stderr"; else fd -1 */
        bool split;               /* its stdout and stderr came through two pipes */
        char *name;               /* its job's [name:...], or NULL */
        struct job_stats *stats;  /* a reference (RUN_SCHEDULED, RUN_MANUAL) */
        struct client *client;    /* RUN_MANUAL: tockctl run waiting for this run, or NULL once gone */
        struct {                  /* a partial output line: [0] stdout (or both), [1] stderr */
                char buf[1024];
                size_t len;
        } lines[2];
        char *kept;               /* log.job_output=end: the lines so far, each "0text\n" or "1text\n" */
        size_t kept_len;
        size_t out_logged, out_dropped;
        int wstatus;
        int exec_stage, exec_errno; /* from the spawner when the job could not exec */
        uint32_t spawn_id;        /* matches the spawner's answer to the request */
        bool pam;                 /* it runs in a PAM session (so do its mail and on_failure runs) */
        char *mail_to;            /* RUN_SCHEDULED: its output is mailed there; RUN_MAIL: the recipients */
        char *mail_head, *mail_buf; /* RUN_SCHEDULED: the mail's headers and the output so far */
        size_t mail_len;
        struct timer timeout;     /* a run with a timeout: SIGTERM at it, SIGKILL kill_grace later */
        int64_t timeout_s;
        bool timed_out;           /* SIGTERM sent at its timeout */
};

/* Whether the run's output goes by mail (then it is not logged) */
static inline bool run_mails_output(const struct run *r) {
        return r->kind == RUN_SCHEDULED && r->mail_to;
}


/* The daemon's state, in parts each owned by one module: only that module writes its part (the
 * others may read it). Each part is torn down by its owner's *_done(). */
struct daemon {
        struct config cfg;     /* config.c; main.c loads and reloads it */
        char **argv_overrides; /* main.c: "section.key=value" from the command line, re-applied on SIGHUP */
        size_t n_overrides;
        bool container;        /* main.c: the command line asked for the container mode */
        uid_t uid;             /* tockd's own uid: 0 for the system cron */
        int lock_fd;           /* state/tockd.lock, held while tockd runs */
        int64_t started_at;    /* UTC seconds */
        int64_t started_ns;    /* CLOCK_MONOTONIC */
        bool ready;            /* past start-up: status lines may go to systemd */
        bool stopping;         /* SIGTERM came: no new runs */
        enum on_stop stop_policy; /* loop.c: what the stop does to running jobs (on_stop, or term as PID 1) */
        size_t stop_jobs;      /* jobs running when the stop began */
        bool stop_killed;      /* a job had to be SIGKILLed at the stop: tockd exits 1 */
        struct user_cache users; /* users.c */

        struct {               /* loop.c */
                int epoll_fd;
                struct io_source signal_io;
                struct timer stop_timer;     /* on_stop=term or wait: SIGKILL to what is left at stop_timeout */
                struct timer watchdog_timer; /* systemd's WatchdogSec=, at half of it */
        } loop;

        struct {               /* timer.c */
                struct io_source io;   /* a CLOCK_MONOTONIC timerfd, armed at the earliest */
                struct heap heap;
                uint32_t seq;
                int64_t armed_ns;
        } timers;

        struct {               /* tables.c */
                struct table **v;
                size_t n, cap;
                size_t n_jobs;
                bool changed;          /* a table was planned or dropped since catchup_sync() */
                uint64_t gen;          /* bumped whenever a job may have gone: a reply being
                                        * streamed (request.c) holds job pointers only while it is
                                        * the same */
                struct tz *local_zone;
                struct tzdb_cache zones; /* CRON_TZ zones */
        } tables;

        struct {               /* watch.c: inotify */
                struct io_source io;
                int wd_crontab_dir, wd_cron_d, wd_spool, wd_localtime_dir;
                struct table_watch *tables; /* one per paths.table item, in order */
                size_t n_tables;
        } watch;

        struct {               /* dispatch.c: the queue against the clock */
                struct heap queue;
                uint32_t seq;
                struct io_source timer_io;     /* CLOCK_REALTIME, at the earliest fire time */
                int64_t last_real;             /* every fire time <= this has been dispatched */
                int64_t last_boot_ns;          /* CLOCK_BOOTTIME when last_real was taken */
                int64_t armed_at;              /* what the timer is armed for, or INT64_MAX */
                uint64_t random_delay_factor;  /* cronie's RANDOM_DELAY: one draw per daemon start */
                int64_t firing_at;             /* the fire time being admitted (TOCK_FIRE_TIME), or 0 */
        } sched;

        struct {               /* spawn.c: the link to the spawner */
                struct io_source io;
                pid_t pid;
                uint32_t seq;  /* the last request's id */
                bool out;      /* waiting for EPOLLOUT on its socket */
                bool pam;      /* jobs.pam_service exists and tockd can use it (spawn_pam_check) */
        } spawner;

        struct {               /* run.c */
                struct run_list by_state[RUN_N_STATES]; /* RUN_NEW's stays empty */
                size_t n_running;      /* runs in RUN_UNSENT, RUN_PENDING and RUN_RUNNING */
                struct hmap pids;      /* RUN_RUNNING runs by pid */
        } runs;

        struct {               /* admit.c */
                struct job_stats **retry; /* jobs whose run found no file descriptor, in order */
                size_t n_retry;
                struct timer retry_timer; /* tries them again every second */
        } admit;

        struct {               /* catchup.c */
                struct catchup_entry *v; /* last fire times of catchup jobs, by key */
                size_t n;
                bool dirty;            /* changed since last written */
                bool urgent;           /* ... by more than a frequent job's next fire time: write now */
                int64_t written_ns;    /* CLOCK_MONOTONIC */
                struct timer timer;    /* the lazy write of a change */
        } catchup;

        struct access_lists access; /* access.c */

        struct {               /* control.c */
                struct io_source listen_io;
                struct client *clients;
                size_t n_clients;
                struct client *dead;   /* closed, freed by control_free_dead() after the batch */
        } control;

        struct fleet *fleet;   /* fleet.c: the fleet this tockd is in (issue 14) */

        struct {               /* metrics.c */
                int64_t written_ns;
                struct timer timer;    /* the write of a change that came within a second of the last */
        } metrics;
};

/* Every job of every table, in table order: `struct job *j; FOREACH_JOB(d, j) { ... }` */
struct job_iter {
        size_t table, job;
};
static inline struct job *job_iter_next(const struct daemon *d, struct job_iter *it) {
        for (; it->table < d->tables.n; it->table++, it->job = 0)
                if (it->job < d->tables.v[it->table]->n_jobs)
                        return &d->tables.v[it->table]->jobs[it->job++];
        return NULL;
}
#define FOREACH_JOB(d, j) for (struct job_iter _job_it = {}; ((j) = job_iter_next((d), &_job_it));)

#define LATE_SLACK_S 60 /* a wake-up later than this after a fire time counts as a clock jump */

/* carry.c: a reload hands each new job the run statistics of the old job for the same entry */
struct carry_item {
        struct hmap_node node;
        const struct job *job;
        const struct entry *e; /* the old job's entry */
};
struct carry {
        const struct crontab *old_ct; /* the old jobs' entries */
        struct hmap map;       /* old jobs not claimed yet, by entry */
        struct carry_item *v;
        size_t compared;       /* entry comparisons made, for tests */
};
/* old[i] is the job of old_ct->entries[i] */
void carry_init(struct carry *c, const struct job *old, const struct crontab *old_ct, size_t n_old);
struct job_stats *carry_take(struct carry *c, const struct crontab *ct, const struct entry *e);
void carry_done(struct carry *c);

/* tables.c */
int tables_rescan(struct daemon *d);
/* The next item of paths.table (a file or directory; ':' between them), owned, moving *list on;
 * NULL at the end (or out of memory). */
char *tables_item_next(const char **list);
int table_reload_path(struct daemon *d, const char *path);
void tables_done(struct daemon *d);
const struct tz *zone_get(struct daemon *d, const char *name);
void tables_replan_local(struct daemon *d);

/* users.c */
const struct user_info *users_get(struct user_cache *c, const char *name); /* NULL: no such user */
/* The same with u->groups filled (looked up on first use): 0, -ESRCH (no such user), -ENOMEM */
int users_get_with_groups(struct user_cache *c, const char *name, const struct user_info **ret);
void users_flush(struct user_cache *c);
void users_done(struct user_cache *c);
int users_init_self(struct user_cache *c, uid_t uid, gid_t gid);
const char *users_self_name(struct user_cache *c, uid_t uid);

/* watch.c: inotify */
int watch_open(struct daemon *d);
int watch_setup(struct daemon *d);
void watch_restart(struct daemon *d);
void watch_done(struct daemon *d);
int watch_handle(struct daemon *d);

/* dispatch.c */
int64_t now_real(void);
int64_t now_mono_ns(void);
int64_t now_boot_ns(void);
int dispatch_due(struct daemon *d);
int dispatch_clock_jump(struct daemon *d);
int dispatch_setup(struct daemon *d);
void dispatch_done(struct daemon *d);
int dispatch_arm(struct daemon *d);
/* Jobs new or reloaded together (a table's): after dispatch_batch_begin(), dispatch_job_added()
 * gives each its first fire time after everything already dispatched and adds it to the queue,
 * which dispatch_batch_end() puts in order once (O(n), not n sift-ups). Nothing may look at the
 * queue or remove from it in between. */
struct dispatch_batch {
        int64_t from;  /* the instant the jobs plan from */
        size_t first;  /* the queue's size at the start */
};
void dispatch_batch_begin(struct daemon *d, struct dispatch_batch *b);
void dispatch_job_added(struct daemon *d, struct dispatch_batch *b, struct job *j);
void dispatch_batch_end(struct daemon *d, struct dispatch_batch *b);
void dispatch_reboot_jobs(struct daemon *d);
void dispatch_status(struct daemon *d);

/* spawn.c */
int spawner_start(struct daemon *d);
/* Decides whether jobs go through PAM (jobs.pam_service, see spawn.c) and logs it. */
void spawn_pam_check(struct daemon *d);
int spawner_handle(struct daemon *d, uint32_t events);
int spawner_flush(struct daemon *d);
void spawner_lost(struct daemon *d);
void spawner_done(struct daemon *d);
/* Starts a run of j. `fds`: NULL for a scheduled run (output captured), or stdin, stdout and
 * stderr for tockctl run, with `client` to answer when it ends. */
int job_spawn(struct daemon *d, struct job *j, const int fds[3], struct client *client);
/* Sends a prepared run's request to the spawner (now, or when its socket has room). */
void spawn_submit(struct daemon *d, struct run *r);

/* admit.c: whether and when a run starts */
enum admit_verdict { ADMIT_RUN, ADMIT_SKIP, ADMIT_QUEUE, ADMIT_SKIP_QUEUED };
/* The overlap policy for a fire time of a job with `n_running` scheduled runs going on and a run
 * already queued behind them or not. */
enum admit_verdict admit_overlap(enum overlap policy, unsigned n_running, bool queued_run);
enum admit_cap { ADMIT_CAP_FREE, ADMIT_CAP_ALL, ADMIT_CAP_USER };
/* Which cap (ADMIT_CAP_FREE: none) a run meets with `all` scheduled runs going on, `mine` of them
 * its user's. */
enum admit_cap admit_caps_check(size_t max_all, size_t max_user, size_t all, size_t mine);
void admit_fire(struct daemon *d, struct job *j);
bool admit_over_caps(struct daemon *d, const struct run *run);
/* Whether a run of j started now would wait under the caps */
bool admit_job_capped(struct daemon *d, const struct job *j);
void admit_run_ended(struct daemon *d, struct job_stats *s);
void admit_defer(struct daemon *d, const struct job *j, const struct log_job *lj);
void admit_retry(struct daemon *d);
void admit_done(struct daemon *d);
void admit_init(struct daemon *d);

/* mail.c: what a scheduled run's end sends out: its output by mail, the on_failure hook */
/* The headers of a mail of a job's output (text ending in the blank line), or NULL. */
char *mail_headers(const char *from, const char *to, const char *user, const char *host, const char *command,
                   char *const *envp, size_t n_env);
int mail_output(struct daemon *d, const struct run *job_run);
int mail_on_failure(struct daemon *d, const struct run *job_run, int wstatus, int64_t duration_ms);

/* catchup.c */
void catchup_load(struct daemon *d);
void catchup_record(struct daemon *d, const struct job *j, int64_t due);
void catchup_startup(struct daemon *d, int64_t now);
/* Whether a fire time of j missed while down (or asleep) is caught up: [catchup:] or jobs.catchup */
bool catchup_wanted(const struct daemon *d, const struct job *j);
/* Makes the state hold exactly the catchup jobs there are (after tables changed at run time). */
void catchup_sync(struct daemon *d, int64_t now);
/* Writes the state file if it changed. */
void catchup_flush(struct daemon *d);
void catchup_done(struct daemon *d);
void catchup_init(struct daemon *d);

/* timer.c */
void timer_init(struct timer *t, timer_fn fire);
bool timer_is_set(const struct daemon *d, const struct timer *t);
int timer_set(struct daemon *d, struct timer *t, int64_t at_ns);
int timer_set_once(struct daemon *d, struct timer *t, int64_t delay_ns);
void timer_cancel(struct daemon *d, struct timer *t);
void timer_handle(struct daemon *d);
int timers_setup(struct daemon *d);
void timers_done(struct daemon *d);

/* timeout.c: [timeout:] and jobs.timeout */
void run_timeout_start(struct daemon *d, struct run *r);
void run_timeout_stop(struct daemon *d, struct run *r);

/* run.c: a run's life (the transition table), its lists and the pid map */
struct run *run_new(enum run_kind kind, const char *table, unsigned line, const char *user, const char *command,
                    struct job_stats *stats);
/* Moves `r` as the table says for `ev`; the only way a run changes state or list. */
void run_event(struct daemon *d, struct run *r, enum run_event ev);
struct run *run_by_pid(struct daemon *d, pid_t pid);
struct run *run_by_holder(struct daemon *d, pid_t holder);
struct run *run_pending(struct daemon *d, uint32_t spawn_id);
void run_free(struct daemon *d, struct run *r);
void runs_free_dead(struct daemon *d);
void runs_free_all(struct daemon *d);
void runs_done(struct daemon *d);
void runs_client_gone(struct daemon *d, const struct client *c);
void runs_signal_all(struct daemon *d, int sig);

/* reap.c: the end of runs (their output and their exit) */
void run_exited(struct daemon *d, struct run *r, int wstatus);
int reap_children(struct daemon *d);
int run_handle_io(struct daemon *d, struct io_source *io);
void run_emit_kept(struct run *r);

/* fileio.c */
struct stat;
void file_sig_of(const struct stat *st, struct file_sig *ret);
bool file_sig_eq(const struct file_sig *a, const struct file_sig *b);

/* control.c: the socket, its clients and their bounded buffers */
struct proto_buf;

/* Who sent a request: from SO_PEERCRED, never from the message. */
struct caller {
        uid_t uid;
        gid_t gid;
        pid_t pid;
        char *user; /* the uid's name, or NULL when it has none */
};

int control_start(struct daemon *d);
void control_stop(struct daemon *d);
void control_accept(struct daemon *d);
void control_handle(struct daemon *d, struct io_source *io, uint32_t events);
/* Frees the clients closed during this batch of events (their events may still be in it). */
void control_free_dead(struct daemon *d);
void control_run_started(struct daemon *d, struct client *c, pid_t pid, int err, const char *why);
void control_run_done(struct daemon *d, struct client *c, int wstatus, int64_t duration_ms);
/* For request.c: the caller of c, the fds that came with its request, and its replies. */
const struct caller *control_caller(const struct client *c);
size_t control_fds(const struct client *c, const int **ret_fds);
void control_set_running(struct client *c, bool running);
size_t control_runs_of(const struct daemon *d, uid_t uid); /* clients of uid in a RUN */
/* How big a reply to c may grow (struct proto_buf's max_body): over PROTO_MAX_BODY only when c
 * takes replies in parts, and less for a user than for root. */
size_t control_reply_max(const struct client *c);
void control_close_after_reply(struct client *c);
/* Queues a message begun with a proto_put_*() (finished here; an unfinishable one closes c). */
void control_send(struct daemon *d, struct client *c, struct proto_buf *b);
struct reply_stream;
bool control_takes_parts(const struct client *c);
void control_reply_too_big(struct daemon *d, struct client *c);
/* Queues one part of a reply written as it is sent (request.c's streams): a message of `type`
 * whose body is body[0..n), flagged PROTO_FLAG_MORE when another follows. */
int control_queue_part(struct daemon *d, struct client *c, uint16_t type, bool more, const void *body, size_t n);
/* c's reply goes on with s once its queued output is out; c owns s from here. */
void control_stream(struct daemon *d, struct client *c, struct reply_stream *s);
void control_reply_error(struct daemon *d, struct client *c, int err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void control_reply_ok(struct daemon *d, struct client *c, const char *msg);

/* request.c: the request table, who may send what, and the handlers */
/* Answers one whole request of `type` from c (a request type: control.c checked the header). */
void request_handle(struct daemon *d, struct client *c, uint16_t type, const void *body, size_t len);
/* A reply written as the socket drains (STATUS, NEXT): control.c calls request_stream_fill() each
 * time c's output is written out, until it returns false (the last part, or an error, is queued;
 * the caller then frees the stream). request_stream_bytes(): what it holds, for the budgets. */
bool request_stream_fill(struct daemon *d, struct client *c, struct reply_stream *s);
size_t request_stream_bytes(const struct reply_stream *s);
void request_stream_free(struct reply_stream *s);

/* access.c: who may do what; answers and messages, never replies */
enum access_rule {
        ACCESS_ANYONE,      /* no user named; the handler filters by the caller itself */
        ACCESS_SELF,        /* the caller, or for root any user: "" is the caller */
        ACCESS_SELF_OR_ALL, /* as ACCESS_SELF, but root naming nobody means every user ("") */
        ACCESS_CRON,        /* ACCESS_SELF, and for everyone but root cron.allow / cron.deny */
        ACCESS_TABLE,       /* ACCESS_SELF on a spool table: a spool, and cron.allow / cron.deny */
        ACCESS_ROOT,        /* root only */
};
void access_lists_done(struct access_lists *l);
/* Whether `user` is listed, one name a line, in `path`: 1, 0, -ENOENT (no such file, or path
 * "") or -errno. */
int access_listed_in(struct access_list *l, const char *path, const char *user);
/* Debian's crontab(1) rule: cron.allow, when it exists, lists who may; otherwise cron.deny lists
 * who may not; root always may. "" paths are absent files. */
bool access_cron_allowed(struct access_lists *l, const char *allow_path, const char *deny_path, const char *user);
/* The same with tockd's paths.cron_allow and paths.cron_deny */
bool access_user_allowed(struct daemon *d, const char *user);
/* The uid that owns a user's file (spool table, kept version) tockd wrote: the user's, or tockd's
 * own when tockd is not root and cannot give files away (write_atomic()). A file of that name
 * owned by another uid is not the user's: a former user of the same name left it. */
uid_t access_file_owner(uid_t tockd_uid, uid_t user_uid);
/* Whether `by` may see job j when asking about `user`: jobs that run as `user`, when that is the
 * caller or the caller is root. */
bool access_job_visible(const struct caller *by, const struct job *j, const char *user);
/* The job `spec` names ("LINE" in `spool_path`, "TABLE:LINE" or a [name:...]) among `tables`, if
 * `by` may see it; `any`: root asked without naming a user, and sees every job. */
struct job *access_find_job(struct table *const *tables, size_t n_tables, const char *spool_path,
                            const struct caller *by, const char *user, const char *spec, bool any);
/* Applies `rule` to `by` asking about `asked` ("" or NULL: nobody named); `what` the request does,
 * for ACCESS_ROOT's message. Returns 0 and the target user in *ret_user (asked, by->user, or "";
 * NULL for ANYONE and ROOT), or the -errno and the message to send in *ret_msg (owned, or NULL
 * when out of memory). */
int access_check(struct daemon *d, enum access_rule rule, const char *what, const struct caller *by,
                 const char *asked, const char **ret_user, char **ret_msg);

/* spool.c: users' tables in the spool, and the previous version of each kept for restore */
/* What a spool operation did: a message for a person (OK's when it returned 0, ERROR's when it
 * returned -errno), or, when `refused` (it returned -EINVAL), the table and the parser's reasons
 * (DIAGS). Owned. */
struct spool_result {
        char *msg;
        bool refused;
        char *text;
        struct diag_list diags;
};
void spool_result_done(struct spool_result *r);
/* NULL on out-of-memory. */
char *spool_path(const struct daemon *d, const char *user);
/* The table of `user` (owned, NUL-terminated) in *ret_text; -ENOENT when there is none. */
int spool_read(struct daemon *d, const char *user, char **ret_text, size_t *ret_len, struct spool_result *ret);
/* Checks `text` and installs it whole, keeping the table it replaces; `by` is logged. */
int spool_install(struct daemon *d, const char *user, const char *text, size_t len, const struct caller *by,
                  struct spool_result *ret);
int spool_remove(struct daemon *d, const char *user, const struct caller *by, struct spool_result *ret);
/* Installs the kept table again: with no current table the kept one is used up, otherwise the two
 * swap. */
int spool_restore(struct daemon *d, const char *user, const struct caller *by, struct spool_result *ret);

/* metrics.c */
char *metrics_text(struct daemon *d, const char *only_user); /* only_user NULL: every job */
void metrics_changed(struct daemon *d);
void metrics_init(struct daemon *d);

/* reload.c */
/* The configuration in `path` with the command line's --set overrides applied; config_done() it. */
int daemon_load_config(struct daemon *d, struct config *c, const char *path, bool explicit);
/* d->local_zone from TZ or paths.localtime, UTC when unreadable. */
int daemon_load_local_zone(struct daemon *d);
/* SIGHUP or tockctl reload: the configuration and every table again. A bad configuration keeps
 * the old one. `cause` follows "reloading" in the log (" on SIGHUP from ..."). */
int daemon_reload(struct daemon *d, const char *cause);

/* fleet.c (fleet-off.c in a build without libcurl and jansson): fleet jobs, claimed in etcd */
int fleet_init(struct daemon *d);
/* Refuses a configuration that needs fleet support this build lacks: 0 or -EINVAL (logged). */
int fleet_config_check(const struct config *c);
/* Takes d->cfg's [fleet] (at start and each reload); a configuration it cannot use is logged and
 * leaves fleet jobs to fleet.unreachable. */
void fleet_configure(struct daemon *d);
/* Why [fleet] in a table is an error in this build, or NULL. */
const char *fleet_refused_reason(void);
bool fleet_job(const struct daemon *d, const struct job *j);
/* A fire time of fleet job j came: claim it; admit_fire() when this host wins. */
void fleet_fire(struct daemon *d, struct job *j, int64_t nominal);
void fleet_run_ended(struct daemon *d, struct job_stats *s, int wstatus);
void fleet_where(struct daemon *d, const struct job *j, char *buf, size_t size);
/* The host that ran j's last fire time claimed in the fleet, when another host won it (and that
 * fire time in *ret_at); else "" (and *ret_at untouched) */
const char *fleet_elsewhere(const struct daemon *d, const struct job *j, int64_t *ret_at);
char *fleet_status_text(struct daemon *d);
void fleet_metrics(struct daemon *d, FILE *m);
void fleet_handle_io(struct daemon *d, struct io_source *io, uint32_t events);
void fleet_free_dead(struct daemon *d);
void fleet_done(struct daemon *d);

/* loop.c */
int loop_add(struct daemon *d, struct io_source *io, uint32_t events);
void loop_del(struct daemon *d, struct io_source *io);
int loop_run(struct daemon *d);
int loop_setup(struct daemon *d);
void loop_start_watchdog(struct daemon *d);
void loop_done(struct daemon *d);

/* thp.c: execs tockd once more with glibc's malloc on transparent huge pages when the configured
 * tables are large (before the configuration is read for real; returns when it does not exec, and
 * in the new image, whose environment it puts back) */
void thp_reexec(struct daemon *d, char **argv, const char *config_path, bool explicit);
bool thp_active(void); /* this image is the one thp_reexec() started */
