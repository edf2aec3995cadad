/* daemon/catchup.c: [catchup] jobs (what anacron and systemd's Persistent= give).
 *
 * For each job marked catchup, the last fire time that came is kept in the state directory
 * (state/catchup, one "KEY TIME" line a job, rewritten atomically when a fire time comes). At
 * start, a catchup job whose schedule had a fire time between that one and now — the machine was
 * off or tockd stopped — runs once, soon after start. The key hashes the table, the user, the
 * schedule and the command, so an edit that changes the job starts it afresh. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "tockd.h"
#include "util.h"

struct catchup_entry {
        uint64_t key;
        int64_t at;
};

/* kept in the state file: the recipe must not change */
static uint64_t job_key(const struct job *j) {
        uint64_t h = HASH_FNV_OFFSET;
        h = hash_fnv1a_field(h, j->table->path);
        h = hash_fnv1a_field(h, job_user(j));
        h = hash_fnv1a_field(h, job_schedule(j));
        return hash_fnv1a_field(h, job_command(j));
}

bool catchup_wanted(const struct daemon *d, const struct job *j) {
        if (job_entry(j)->sched.flags & SCHED_REBOOT)
                return false;
        return job_opts(j)->catchup >= 0 ? job_opts(j)->catchup == 1 : d->cfg.catchup;
}

/* NULL without a state directory (the container mode's default): nothing is kept */
static char *state_file(struct daemon *d) {
        char *p;
        if (!*d->cfg.state_dir)
                return NULL;
        return asprintf(&p, "%s/catchup", d->cfg.state_dir) < 0 ? NULL : p;
}

static int entry_cmp(const void *a, const void *b) {
        uint64_t x = ((const struct catchup_entry *) a)->key, y = ((const struct catchup_entry *) b)->key;
        return x < y ? -1 : x > y;
}

/* d->catchup.v is kept sorted by key */
void catchup_load(struct daemon *d) {
        _cleanup_free_ char *path = state_file(d);
        FILE *f = path ? fopen(path, "re") : NULL;
        unsigned long long key;
        long long at;

        if (!f)
                return;
        while (fscanf(f, "%llx %lld\n", &key, &at) == 2) {
                struct catchup_entry *v = reallocarray(d->catchup.v, d->catchup.n + 1, sizeof(*v));
                if (!v)
                        break;
                d->catchup.v = v;
                v[d->catchup.n++] = (struct catchup_entry) { .key = key, .at = at };
        }
        fclose(f);
        if (d->catchup.n > 1)
                qsort(d->catchup.v, d->catchup.n, sizeof(*d->catchup.v), entry_cmp);
}

static struct catchup_entry *find(struct daemon *d, uint64_t key) {
        struct catchup_entry k = { .key = key };
        return d->catchup.n ? bsearch(&k, d->catchup.v, d->catchup.n, sizeof(k), entry_cmp) : NULL;
}

/* Writes the state file when something changed, once per round of fire times, not per job. A
 * change that matters (the fire time of a job whose next one is a minute or more away, a new or
 * forgotten job) is written at once: after a crash, a daily job must not run again. Jobs that fire
 * more often than once a minute are written at most once a minute (two fsync()s a second for a
 * per-second job would be a disk's worth of wear for nothing): after a crash one of them may run
 * once more. tockd's stop writes whatever is left. */
#define CATCHUP_LAZY_S 60

void catchup_flush(struct daemon *d) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        int64_t now = now_mono_ns();
        size_t len = 0;
        FILE *f;
        int r;

        if (!d->catchup.dirty)
                return;
        if (!d->catchup.urgent && now - d->catchup.written_ns < CATCHUP_LAZY_S * 1000000000LL) {
                /* written within a minute, also when nothing else happens by then */
                if (!timer_is_set(d, &d->catchup.timer))
                        (void) timer_set(d, &d->catchup.timer, d->catchup.written_ns + CATCHUP_LAZY_S * 1000000000LL);
                return;
        }
        timer_cancel(d, &d->catchup.timer);
        d->catchup.dirty = d->catchup.urgent = false;
        d->catchup.written_ns = now;
        path = state_file(d);
        f = open_memstream(&text, &len);
        if (!path || !f) {
                if (f)
                        fclose(f);
                return;
        }
        for (size_t i = 0; i < d->catchup.n; i++)
                fprintf(f, "%016" PRIx64 " %lld\n", d->catchup.v[i].key, (long long) d->catchup.v[i].at);
        if (fclose(f) != 0)
                return;
        (void) mkdir(d->cfg.state_dir, 0755);
        r = write_atomic(path, text, len, (uid_t) -1, (gid_t) -1, 0644);
        if (r < 0)
                log_warning_errno(r, "cannot write %s; missed runs of catchup jobs cannot be known", path);
}

/* At stop: what was written lazily is written now. */
void catchup_done(struct daemon *d) {
        d->catchup.urgent = true;
        catchup_flush(d);
        free(d->catchup.v);
        d->catchup.v = NULL;
        d->catchup.n = 0;
}

static void catchup_flush_fire(struct daemon *d, struct timer *t) {
        (void) t;
        if (!d->stopping)
                catchup_flush(d);
}

void catchup_init(struct daemon *d) {
        timer_init(&d->catchup.timer, catchup_flush_fire);
}

static void set_at(struct daemon *d, uint64_t key, int64_t at, bool urgent) {
        struct catchup_entry *e = find(d, key);

        if (!e) {
                struct catchup_entry *v = reallocarray(d->catchup.v, d->catchup.n + 1, sizeof(*v));
                size_t i = d->catchup.n;
                if (!v)
                        return;
                d->catchup.v = v;
                while (i > 0 && v[i - 1].key > key)
                        i--;
                memmove(v + i + 1, v + i, (d->catchup.n - i) * sizeof(*v));
                d->catchup.n++;
                e = &v[i];
                e->key = key;
                urgent = true;
        }
        if (urgent)
                d->catchup.urgent = true;
        e->at = at;
        d->catchup.dirty = true;
}

/* A fire time of j came (run, skipped or missed). */
void catchup_record(struct daemon *d, const struct job *j, int64_t due) {
        int64_t next;

        if (!catchup_wanted(d, j))
                return;
        /* only a job that fires again within a minute may wait for the lazy write */
        bool frequent = job_zone(j) && sched_next(&job_entry(j)->sched, due, job_zone(j), &next) == 0 && next - due < CATCHUP_LAZY_S;
        set_at(d, job_key(j), due, !frequent);
}

/* The state holds exactly the catchup jobs there are: a new one is "first seen" now (nothing
 * missed yet), one that is gone (its table or line removed, edited, no longer catchup) is
 * forgotten, so the file does not grow with every edit. After tables change at run time. */
void catchup_sync(struct daemon *d, int64_t now) {
        struct catchup_entry *v = NULL;
        size_t n = 0;

        if (!d->tables.changed) /* an event that changed no table: nothing to look at */
                return;
        d->tables.changed = false;
        const struct job *j;
        FOREACH_JOB(d, j) {
                if (!catchup_wanted(d, j))
                        continue;
                struct catchup_entry *w = reallocarray(v, n + 1, sizeof(*v));
                if (!w) {
                        free(v);
                        return; /* keep what there is */
                }
                v = w;
                uint64_t key = job_key(j);
                const struct catchup_entry *e = find(d, key);
                v[n++] = (struct catchup_entry) { .key = key, .at = e ? e->at : now };
        }
        if (n > 1)
                qsort(v, n, sizeof(*v), entry_cmp);
        /* the same job twice in a table (same line text) gives the same key: keep one */
        size_t u = 0;
        for (size_t i = 0; i < n; i++)
                if (u == 0 || v[u - 1].key != v[i].key)
                        v[u++] = v[i];
        if (u != d->catchup.n || (u && memcmp(v, d->catchup.v, u * sizeof(*v)) != 0))
                d->catchup.dirty = d->catchup.urgent = true;
        free(d->catchup.v);
        d->catchup.v = v;
        d->catchup.n = u;
        catchup_flush(d);
}

/* At start: catchup jobs that missed a fire time while tockd was not running run once now. */
void catchup_startup(struct daemon *d, int64_t now) {
        struct job *j;
        FOREACH_JOB(d, j) {
                struct catchup_entry *e;
                int64_t missed;

                if (!catchup_wanted(d, j) || !job_zone(j))
                        continue;
                e = find(d, job_key(j));
                if (!e) {
                        catchup_record(d, j, now); /* first seen: nothing missed yet */
                        continue;
                }
                if (sched_next(&job_entry(j)->sched, e->at, job_zone(j), &missed) < 0 || missed >= now)
                        continue;
                struct log_job lj = log_job_of(j);
                job_event(LOG_INFO, &lj, job_stats_get(j), "catching up: its run at %lld was missed while tockd was not running",
                          (long long) missed);
                catchup_record(d, j, now);
                admit_fire(d, j);
        }
        d->tables.changed = false; /* every job is known now */
        catchup_flush(d);
}
