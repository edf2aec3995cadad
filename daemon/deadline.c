/* daemon/deadline.c: run timeouts ([timeout:...] and jobs.timeout).
 *
 * Runs with a timeout sit in a heap keyed on their deadline (CLOCK_MONOTONIC, so a clock change
 * does not move them), watched by one timerfd armed at the earliest. At the deadline the run's
 * whole process group gets SIGTERM; jobs.kill_grace later, SIGKILL. */
#include <signal.h>
#include <stddef.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "tockd.h"

#define RUN_OF(n) ((struct run *) ((char *) (n) - offsetof(struct run, tnode)))

static void arm(struct daemon *d) {
        struct heap_node *top = heap_top(&d->deadlines);
        struct itimerspec its = {};

        if (top) {
                its.it_value.tv_sec = (time_t) (top->at / 1000000000LL);
                its.it_value.tv_nsec = (long) (top->at % 1000000000LL);
                if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
                        its.it_value.tv_nsec = 1;
        }
        if (timerfd_settime(d->deadline_io.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
                log_warning_errno(errno, "cannot arm the timeout timer");
}

void deadline_add(struct daemon *d, struct run *r) {
        r->tnode.at = now_mono_ns() + r->timeout_s * 1000000000LL;
        r->tnode.seq = (uint64_t) r->pid;
        if (heap_push(&d->deadlines, &r->tnode) < 0) {
                log_error("out of memory: the timeout of pid %d is not enforced", (int) r->pid);
                r->tnode.idx = SIZE_MAX;
                return;
        }
        arm(d);
}

void deadline_remove(struct daemon *d, struct run *r) {
        if (r->tnode.idx >= d->deadlines.n || d->deadlines.v[r->tnode.idx] != &r->tnode)
                return;
        heap_remove(&d->deadlines, &r->tnode);
        arm(d);
}

void deadline_handle(struct daemon *d) {
        struct heap_node *top;
        int64_t now = now_mono_ns();
        uint64_t n;

        (void) !read(d->deadline_io.fd, &n, sizeof n);
        while ((top = heap_top(&d->deadlines)) && top->at <= now) {
                struct run *r = RUN_OF(heap_pop(&d->deadlines));
                struct log_job lj = { .table = r->table, .line = r->line, .user = r->user, .pid = r->pid,
                                      .exit_status = -1, .duration_ms = -1 };
                if (!r->timed_out) {
                        r->timed_out = true;
                        if (r->stats)
                                r->stats->timeouts++;
                        job_stats_note(r->stats, "its run of pid %d was stopped at its timeout of %llds", (int) r->pid,
                                       (long long) r->timeout_s);
                        log_job(LOG_WARNING, &lj, "timed out after %llds: SIGTERM to its process group, SIGKILL in %llds",
                                (long long) r->timeout_s, (long long) d->cfg.kill_grace_s);
                        (void) kill(-r->pid, SIGTERM);
                        r->tnode.at = now + d->cfg.kill_grace_s * 1000000000LL;
                        (void) heap_push(&d->deadlines, &r->tnode);
                } else {
                        log_job(LOG_WARNING, &lj, "still running %llds after SIGTERM: SIGKILL to its process group",
                                (long long) d->cfg.kill_grace_s);
                        (void) kill(-r->pid, SIGKILL);
                }
        }
        arm(d);
}
