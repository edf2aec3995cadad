/* daemon/admit.c: whether and when a run starts. A fire time meets the job's overlap policy
 * ([overlap:...], jobs.overlap); a run meets the concurrency caps (jobs.max_running and
 * jobs.max_running_per_user) and waits in order under them; a run that found no file descriptor
 * waits, in order, for one. The decisions themselves (admit_overlap(), admit_caps_check()) are
 * pure functions of counts. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tockd.h"
#include "util.h"

/* ---- overlap ---- */

enum admit_verdict admit_overlap(enum overlap policy, unsigned n_running, bool queued_run) {
        if (n_running == 0)
                return ADMIT_RUN;
        switch (policy) {
        case OVERLAP_SKIP:
                return ADMIT_SKIP;
        case OVERLAP_QUEUE:
                return queued_run ? ADMIT_SKIP_QUEUED : ADMIT_QUEUE;
        default:
                return ADMIT_RUN;
        }
}

static enum overlap overlap_of(struct daemon *d, const struct job *j) {
        return job_opts(j)->overlap != OVERLAP_UNSET ? job_opts(j)->overlap : d->cfg.overlap;
}

/* A fire time came: start a run, unless the last one is still going and the job says otherwise. */
void admit_fire(struct daemon *d, struct job *j) {
        struct log_job lj = log_job_of(j);
        struct job_stats *s = job_stats_get(j);

        if (!s) {
                log_job(LOG_ERR, &lj, "not run: out of memory");
                return;
        }
        switch (admit_overlap(overlap_of(d, j), s->n_running, s->queued_run)) {
        case ADMIT_RUN:
                (void) job_spawn(d, j, NULL, NULL);
                return;
        case ADMIT_SKIP:
                s->skipped++;
                job_event(LOG_WARNING, &lj, s, "skipped: the previous run (pid %d) is still going (overlap:skip)",
                          (int) s->running_pid);
                return;
        case ADMIT_SKIP_QUEUED:
                s->skipped++;
                job_event(LOG_WARNING, &lj, s, "skipped: a run is already queued behind the running one (overlap:queue)");
                return;
        case ADMIT_QUEUE:
                s->queued_run = true;
                log_job(LOG_INFO, &lj, "queued: starts when the running one (pid %d) ends (overlap:queue)",
                        (int) s->running_pid);
                return;
        }
}

/* ---- concurrency caps ---- */

enum admit_cap admit_caps_check(size_t max_all, size_t max_user, size_t all, size_t mine) {
        if (max_all && all >= max_all)
                return ADMIT_CAP_ALL;
        if (max_user && mine >= max_user)
                return ADMIT_CAP_USER;
        return ADMIT_CAP_FREE;
}

/* Scheduled runs going on (or on their way), all and `user`'s. The count walks them: caps are for
 * small numbers, and without caps nothing is counted. */
static void count_runs(struct daemon *d, const char *user, size_t *ret_all, size_t *ret_mine) {
        static const enum run_state counted[] = { RUN_UNSENT, RUN_PENDING, RUN_RUNNING };
        size_t all = 0, mine = 0;

        for (size_t i = 0; i < ELEMENTSOF(counted); i++)
                for (const struct run *r = d->runs.by_state[counted[i]].head; r; r = r->next)
                        if (r->kind == RUN_SCHEDULED) {
                                all++;
                                mine += streq(r->user, user);
                        }
        *ret_all = all;
        *ret_mine = mine;
}

static enum admit_cap caps_check(struct daemon *d, const char *user) {
        size_t all, mine;

        if (!d->cfg.max_running && !d->cfg.max_running_per_user)
                return ADMIT_CAP_FREE;
        count_runs(d, user, &all, &mine);
        return admit_caps_check(d->cfg.max_running, d->cfg.max_running_per_user, all, mine);
}

/* Whether starting `run` now would pass jobs.max_running or jobs.max_running_per_user. */
bool admit_over_caps(struct daemon *d, const struct run *run) {
        return caps_check(d, run->user) != ADMIT_CAP_FREE;
}

bool admit_job_capped(struct daemon *d, const struct job *j) {
        return caps_check(d, job_user(j)) != ADMIT_CAP_FREE;
}

/* A run ended: waiting runs start, in order, as far as the caps allow (one held back only by its
 * user's cap does not hold back the others). */
static void release_capped(struct daemon *d) {
        for (struct run *r = d->runs.by_state[RUN_CAPPED].head, *next; r; r = next) {
                enum admit_cap cap = caps_check(d, r->user);

                next = r->next;
                if (cap == ADMIT_CAP_ALL)
                        break;
                if (cap == ADMIT_CAP_USER)
                        continue;
                r->start_ns = now_mono_ns();
                r->started_at = now_real();
                if (r->stats)
                        r->stats->last_at = r->started_at;
                spawn_submit(d, r);
        }
}

/* A scheduled run of the job behind `s` ended: runs waiting under the caps start, then a run
 * queued behind this one (overlap:queue). */
void admit_run_ended(struct daemon *d, struct job_stats *s) {
        release_capped(d);
        if (!s->queued_run || s->n_running > 0)
                return;
        s->queued_run = false;
        if (s->job && !d->stopping)
                (void) job_spawn(d, s->job, NULL, NULL);
}

/* ---- out of file descriptors ---- */

void admit_defer(struct daemon *d, const struct job *j, const struct log_job *lj) {
        struct job_stats **v = reallocarray(d->admit.retry, d->admit.n_retry + 1, sizeof(*v));

        if (!v) {
                log_job(LOG_ERR, lj, "not run: out of file descriptors and of memory");
                return;
        }
        d->admit.retry = v;
        v[d->admit.n_retry++] = job_stats_ref(j->stats);
        (void) timer_set_once(d, &d->admit.retry_timer, 1000000000LL);
        if (d->admit.n_retry == 1 || d->admit.n_retry % 1000 == 0)
                log_job(LOG_WARNING, lj, "out of file descriptors: %zu run%s for running jobs to end", d->admit.n_retry,
                        d->admit.n_retry == 1 ? " waits" : "s wait");
}

/* Runs waiting for a descriptor are tried again every second, also when no run is going whose
 * end would bring them back (descriptors held by clients, or by something else). */
static void admit_retry_fire(struct daemon *d, struct timer *t) {
        admit_retry(d);
        if (d->admit.n_retry > 0 && !d->stopping)
                (void) timer_set_once(d, t, 1000000000LL);
}

void admit_init(struct daemon *d) {
        timer_init(&d->admit.retry_timer, admit_retry_fire);
}

void admit_done(struct daemon *d) {
        for (size_t i = 0; i < d->admit.n_retry; i++)
                job_stats_unref(d->admit.retry[i]);
        free(d->admit.retry);
        d->admit.retry = NULL;
        d->admit.n_retry = 0;
        timer_cancel(d, &d->admit.retry_timer);
}

/* A run ended and freed descriptors: deferred runs start in order, as far as they fit. */
void admit_retry(struct daemon *d) {
        size_t done = 0;

        if (d->admit.n_retry == 0)
                return;
        while (done < d->admit.n_retry) {
                struct job_stats *s = d->admit.retry[done];
                size_t before = d->admit.n_retry;

                if (!s->job || d->stopping) { /* the job is gone */
                        job_stats_unref(s);
                        done++;
                        continue;
                }
                /* job_spawn() defers again when it still finds no descriptor: stop there */
                d->admit.retry[done] = NULL;
                (void) job_spawn(d, s->job, NULL, NULL);
                job_stats_unref(s);
                done++;
                if (d->admit.n_retry > before)
                        break;
        }
        memmove(d->admit.retry, d->admit.retry + done, (d->admit.n_retry - done) * sizeof(*d->admit.retry));
        d->admit.n_retry -= done;
}
