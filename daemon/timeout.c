/* daemon/timeout.c: run timeouts ([timeout:...] and jobs.timeout).
 *
 * A run with a timeout has a timer (timer.c, CLOCK_MONOTONIC, so a clock change does not move it)
 * set when it starts. At the deadline the run's whole process group gets SIGTERM; jobs.kill_grace
 * later, SIGKILL. */
#include <signal.h>
#include <stddef.h>

#include "log.h"
#include "tockd.h"

static void timeout_fire(struct daemon *d, struct timer *t) {
        struct run *r = (struct run *) ((char *) t - offsetof(struct run, timeout));
        struct log_job lj = { .table = r->table, .line = r->line, .user = r->user, .pid = r->pid,
                              .exit_status = -1, .duration_ms = -1 };

        if (r->timed_out) {
                log_job(LOG_WARNING, &lj, "still running %llds after SIGTERM: SIGKILL to its process group",
                        (long long) d->cfg.kill_grace_s);
                (void) kill(-r->pid, SIGKILL);
                return;
        }
        r->timed_out = true;
        if (r->stats)
                r->stats->timeouts++;
        job_event(LOG_WARNING, &lj, r->stats, "timed out after %llds: SIGTERM to its process group, SIGKILL in %llds",
                  (long long) r->timeout_s, (long long) d->cfg.kill_grace_s);
        (void) kill(-r->pid, SIGTERM);
        (void) timer_set(d, &r->timeout, now_mono_ns() + d->cfg.kill_grace_s * 1000000000LL);
}

void run_timeout_start(struct daemon *d, struct run *r) {
        timer_init(&r->timeout, timeout_fire);
        if (timer_set(d, &r->timeout, now_mono_ns() + r->timeout_s * 1000000000LL) < 0)
                log_error("out of memory: the timeout of pid %d is not enforced", (int) r->pid);
}

void run_timeout_stop(struct daemon *d, struct run *r) {
        timer_cancel(d, &r->timeout);
}
