/* daemon/timer.c: every "do X at time T" of tockd's, on CLOCK_MONOTONIC.
 *
 * One heap of timers keyed on their deadline (CLOCK_MONOTONIC nanoseconds, so setting the clock
 * moves none of them) and one timerfd armed absolute at the earliest. Its users: run timeouts and
 * the kill grace after them, the stop deadline, systemd's watchdog, the retry of runs that found
 * no file descriptor, and the rate-limited writes of the catch-up state and the metrics file.
 * The schedule itself is not here: fire times are wall-clock times, on dispatch.c's
 * CLOCK_REALTIME timer, which also notices the clock being set.
 *
 * A timer is embedded in whatever it belongs to and names the function to call; a fired timer is
 * off until set again, so a periodic one re-arms itself from its callback. */
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "tockd.h"

void timer_init(struct timer *t, timer_fn fire) {
        *t = (struct timer) { .node.idx = HEAP_NONE, .fire = fire };
}

bool timer_is_set(const struct daemon *d, const struct timer *t) {
        return t->node.idx < d->timers.heap.n && d->timers.heap.v[t->node.idx] == &t->node;
}

static void arm(struct daemon *d) {
        struct heap_node *top = heap_top(&d->timers.heap);
        int64_t want = top ? top->at : INT64_MAX;
        struct itimerspec its = {};

        if (want == d->timers.armed_ns)
                return;
        d->timers.armed_ns = want;
        if (top) {
                its.it_value.tv_sec = (time_t) (top->at / 1000000000LL);
                its.it_value.tv_nsec = (long) (top->at % 1000000000LL);
                if (its.it_value.tv_sec <= 0 && its.it_value.tv_nsec <= 0)
                        its.it_value.tv_nsec = 1; /* zero would disarm it */
        }
        if (timerfd_settime(d->timers.io.fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
                log_warning_errno(errno, "cannot arm the monotonic timer");
}

/* Sets t to fire at `at_ns` (CLOCK_MONOTONIC), moving it if it was set. Out of memory, the timer
 * is off: returns -ENOMEM for the caller to say what will not happen. */
int timer_set(struct daemon *d, struct timer *t, int64_t at_ns) {
        t->node.at = at_ns;
        t->node.seq = d->timers.seq++;
        if (timer_is_set(d, t))
                heap_update(&d->timers.heap, &t->node);
        else if (heap_push(&d->timers.heap, &t->node) < 0) {
                t->node.idx = HEAP_NONE;
                return -ENOMEM;
        }
        arm(d);
        return 0;
}

/* Sets t to fire `delay_ns` from now, unless it is set already (for an earlier time). */
int timer_set_once(struct daemon *d, struct timer *t, int64_t delay_ns) {
        if (timer_is_set(d, t))
                return 0;
        return timer_set(d, t, now_mono_ns() + delay_ns);
}

void timer_cancel(struct daemon *d, struct timer *t) {
        if (!timer_is_set(d, t))
                return;
        heap_remove(&d->timers.heap, &t->node);
        arm(d);
}

/* The timerfd fired: every timer due by now, in deadline order. A callback may set or cancel
 * timers, its own included. */
void timer_handle(struct daemon *d) {
        struct heap_node *top;
        int64_t now = now_mono_ns();
        uint64_t n;

        (void) !read(d->timers.io.fd, &n, sizeof n);
        d->timers.armed_ns = INT64_MIN; /* expired: arm() must program it again */
        while ((top = heap_top(&d->timers.heap)) && top->at <= now) {
                struct timer *t = (struct timer *) ((char *) heap_pop(&d->timers.heap) - offsetof(struct timer, node));
                t->fire(d, t);
        }
        arm(d);
}

int timers_setup(struct daemon *d) {
        d->timers.io = (struct io_source) { .kind = IO_MONOTONIC, .fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) };
        d->timers.armed_ns = INT64_MAX;
        if (d->timers.io.fd < 0)
                return -errno;
        return loop_add(d, &d->timers.io, EPOLLIN);
}

void timers_done(struct daemon *d) {
        heap_done(&d->timers.heap);
        if (d->timers.io.fd >= 0)
                close(d->timers.io.fd);
        d->timers.io.fd = -1;
}
