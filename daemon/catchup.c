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

#include "log.h"
#include "tockd.h"
#include "util.h"

struct catchup_entry {
        uint64_t key;
        int64_t at;
};

static uint64_t fnv(uint64_t h, const char *s) {
        for (; s && *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
        return (h ^ 0xff) * 0x100000001b3ULL;
}

static uint64_t job_key(const struct job *j) {
        uint64_t h = 0xcbf29ce484222325ULL;
        h = fnv(h, j->table->path);
        h = fnv(h, j->e->user ? j->e->user : j->table->owner);
        h = fnv(h, j->e->schedule);
        return fnv(h, j->e->command);
}

static bool wants_catchup(const struct job *j) {
        return j->e->opts.catchup == 1;
}

static char *state_file(struct daemon *d) {
        char *p;
        return asprintf(&p, "%s/catchup", d->cfg.state_dir) < 0 ? NULL : p;
}

void catchup_load(struct daemon *d) {
        _cleanup_free_ char *path = state_file(d);
        FILE *f = path ? fopen(path, "re") : NULL;
        unsigned long long key;
        long long at;

        if (!f)
                return;
        while (fscanf(f, "%llx %lld\n", &key, &at) == 2) {
                struct catchup_entry *v = reallocarray(d->catchup, d->n_catchup + 1, sizeof(*v));
                if (!v)
                        break;
                d->catchup = v;
                v[d->n_catchup++] = (struct catchup_entry) { .key = key, .at = at };
        }
        fclose(f);
}

static struct catchup_entry *find(struct daemon *d, uint64_t key) {
        for (size_t i = 0; i < d->n_catchup; i++)
                if (d->catchup[i].key == key)
                        return &d->catchup[i];
        return NULL;
}

/* Rewrites the state file with what is known. */
static void save(struct daemon *d) {
        _cleanup_free_ char *path = state_file(d), *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int r;

        if (!path || !f) {
                if (f)
                        fclose(f);
                return;
        }
        for (size_t i = 0; i < d->n_catchup; i++)
                fprintf(f, "%016" PRIx64 " %lld\n", d->catchup[i].key, (long long) d->catchup[i].at);
        if (fclose(f) != 0)
                return;
        (void) mkdir(d->cfg.state_dir, 0755);
        r = write_atomic(path, text, len, (uid_t) -1, (gid_t) -1, 0644);
        if (r < 0)
                log_warning_errno(r, "cannot write %s; missed runs of catchup jobs cannot be known", path);
}

/* A fire time of j came (run, skipped or missed). */
void catchup_record(struct daemon *d, const struct job *j, int64_t due) {
        struct catchup_entry *e;
        uint64_t key;

        if (!wants_catchup(j))
                return;
        key = job_key(j);
        e = find(d, key);
        if (!e) {
                struct catchup_entry *v = reallocarray(d->catchup, d->n_catchup + 1, sizeof(*v));
                if (!v)
                        return;
                d->catchup = v;
                e = &v[d->n_catchup++];
                e->key = key;
        }
        e->at = due;
        save(d);
}

/* At start: catchup jobs that missed a fire time while tockd was not running run once now. */
void catchup_startup(struct daemon *d, int64_t now) {
        for (size_t i = 0; i < d->n_tables; i++)
                for (size_t k = 0; k < d->tables[i]->n_jobs; k++) {
                        struct job *j = &d->tables[i]->jobs[k];
                        struct catchup_entry *e;
                        int64_t missed;

                        if (!wants_catchup(j) || !j->zone || (j->e->sched.flags & SCHED_REBOOT))
                                continue;
                        e = find(d, job_key(j));
                        if (!e) {
                                catchup_record(d, j, now); /* first seen: nothing missed yet */
                                continue;
                        }
                        if (sched_next(&j->e->sched, e->at, j->zone, &missed) < 0 || missed >= now)
                                continue;
                        log_job(LOG_INFO, &(struct log_job) { .table = j->table->name, .line = j->e->line, .exit_status = -1, .duration_ms = -1 },
                                "catching up: its run at %lld was missed while tockd was not running", (long long) missed);
                        job_stats_note(j->stats, "its run at %lld was missed while tockd was not running; caught up at start",
                                       (long long) missed);
                        catchup_record(d, j, now);
                        dispatch_start(d, j, now);
                }
}
