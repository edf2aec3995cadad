/* daemon/loop.c: the one epoll set and what wakes it.
 *
 * Signals are blocked and read from a signalfd; the queue timer (CLOCK_REALTIME, dispatch.c), the
 * monotonic timers (timer.c), inotify and each run's pipes are fds too. epoll_wait() sleeps with no timeout: tockd wakes only when something happened. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "sd.h"
#include "tockd.h"
#include "util.h"

int loop_add(struct daemon *d, struct io_source *io, uint32_t events) {
        struct epoll_event ev = { .events = events, .data.ptr = io };
        if (epoll_ctl(d->loop.epoll_fd, EPOLL_CTL_ADD, io->fd, &ev) < 0)
                return -errno;
        return 0;
}

void loop_del(struct daemon *d, struct io_source *io) {
        (void) epoll_ctl(d->loop.epoll_fd, EPOLL_CTL_DEL, io->fd, NULL);
}


/* What SIGTERM does to running jobs: jobs.on_stop, but as PID 1 (a container's init) "leave"
 * would not leave them: the kernel kills what is left in the namespace, with SIGKILL, the moment
 * tockd ends. There they get SIGTERM and stop_timeout to end, as "term" gives. */
static enum on_stop stop_policy(const struct daemon *d) {
        if (d->cfg.on_stop == ON_STOP_LEAVE && getpid() == 1)
                return ON_STOP_TERM;
        return d->cfg.on_stop;
}

static void begin_stop(struct daemon *d, int sig) {
        size_t n = d->runs.n_running;
        const char *s = n == 1 ? "" : "s";

        if (d->stopping) {
                if (sig == SIGINT || sig == SIGTERM) {
                        log_info("second %s: killing the remaining jobs", strsignal(sig));
                        d->stop_killed |= n > 0;
                        runs_signal_all(d, SIGKILL);
                }
                return;
        }
        d->stopping = true;
        d->stop_policy = stop_policy(d);
        d->stop_jobs = n;
        sd_notify_text("STOPPING=1");
        (void) dispatch_arm(d);
        switch (d->stop_policy) {
        case ON_STOP_LEAVE:
                log_info("stopping on %s; %zu running job%s left to finish on %s own", strsignal(sig), n,
                         n == 1 ? " is" : "s are", n == 1 ? "its" : "their");
                break;
        case ON_STOP_TERM:
                if (n)
                        log_info("stopping on %s%s; sending SIGTERM to %zu running job%s, SIGKILL to what is left in %llds",
                                 strsignal(sig), d->cfg.on_stop != ON_STOP_TERM ? " as PID 1" : "", n, s,
                                 (long long) d->cfg.stop_timeout_s);
                else
                        log_info("stopping on %s; no job is running", strsignal(sig));
                runs_signal_all(d, SIGTERM);
                break;
        case ON_STOP_WAIT:
                log_info("stopping on %s; waiting up to %llds for %zu running job%s, then SIGKILL", strsignal(sig),
                         (long long) d->cfg.stop_timeout_s, n, s);
                break;
        }
        if (d->stop_policy != ON_STOP_LEAVE && n)
                (void) timer_set(d, &d->loop.stop_timer, now_mono_ns() + d->cfg.stop_timeout_s * 1000000000LL);
}

/* on_stop=term or wait: what still runs at stop_timeout is killed */
static void stop_timeout_fire(struct daemon *d, struct timer *t) {
        (void) t;
        if (d->runs.n_running) {
                log_warning("stop timeout: killing %zu remaining job%s with SIGKILL (jobs.stop_timeout %llds)",
                            d->runs.n_running, d->runs.n_running == 1 ? "" : "s", (long long) d->cfg.stop_timeout_s);
                d->stop_killed = true;
                runs_signal_all(d, SIGKILL);
        }
}

/* systemd's watchdog (WatchdogSec=): pinged at half its interval */
static void watchdog_fire(struct daemon *d, struct timer *t) {
        uint64_t usec = sd_watchdog_usec();

        sd_notify_text("WATCHDOG=1");
        if (usec)
                (void) timer_set(d, t, now_mono_ns() + (int64_t) (usec / 2) * 1000);
}

/* Signals are blocked and read from a signalfd: SIGCHLD, SIGTERM, SIGINT, SIGHUP. */
int loop_setup(struct daemon *d) {
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        signal(SIGPIPE, SIG_IGN);
        d->loop.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (d->loop.epoll_fd < 0)
                return -errno;
        d->loop.signal_io = (struct io_source) { .kind = IO_SIGNAL, .fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC) };
        if (d->loop.signal_io.fd < 0)
                return -errno;
        if (loop_add(d, &d->loop.signal_io, EPOLLIN) < 0)
                return -errno;
        /* orphans of jobs that double-fork become our children, so that we reap them */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                log_warning_errno(errno, "cannot become a child subreaper; double-forked jobs are reaped by init");
        timer_init(&d->loop.stop_timer, stop_timeout_fire);
        timer_init(&d->loop.watchdog_timer, watchdog_fire);
        return 0;
}

/* From now on systemd's watchdog is pinged, when the unit asks for it. */
void loop_start_watchdog(struct daemon *d) {
        if (sd_watchdog_usec())
                (void) timer_set(d, &d->loop.watchdog_timer, now_mono_ns() + (int64_t) (sd_watchdog_usec() / 2) * 1000);
}

void loop_done(struct daemon *d) {
        closep(&d->loop.signal_io.fd);
        closep(&d->loop.epoll_fd);
        d->loop.signal_io.fd = d->loop.epoll_fd = -1;
}

static bool stop_done(struct daemon *d) {
        return d->stopping && (d->stop_policy == ON_STOP_LEAVE || d->runs.n_running == 0);
}

static int handle_signal(struct daemon *d) {
        struct signalfd_siginfo si;

        while (read(d->loop.signal_io.fd, &si, sizeof si) == (ssize_t) sizeof si) {
                switch (si.ssi_signo) {
                case SIGCHLD:
                        (void) reap_children(d);
                        break;
                case SIGHUP:
                        if (!d->stopping) {
                                char cause[96];
                                snprintf(cause, sizeof cause, " on SIGHUP from uid %u (pid %u)", (unsigned) si.ssi_uid,
                                         (unsigned) si.ssi_pid);
                                (void) daemon_reload(d, cause);
                        }
                        break;
                case SIGTERM:
                case SIGINT:
                        begin_stop(d, (int) si.ssi_signo);
                        break;
                default:
                        break;
                }
        }
        dispatch_status(d);
        return 0;
}

static void handle_timer(struct daemon *d) {
        uint64_t n;
        ssize_t k = read(d->sched.timer_io.fd, &n, sizeof n);

        if (k < 0 && errno == ECANCELED) {
                (void) dispatch_clock_jump(d);
                return;
        }
        if (k < 0 && errno == EAGAIN)
                return;
        if (!d->stopping)
                (void) dispatch_due(d);
}

int loop_run(struct daemon *d) {
        struct epoll_event evs[64];

        while (!stop_done(d)) {
                int n = epoll_wait(d->loop.epoll_fd, evs, (int) ELEMENTSOF(evs), -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_errno(errno, "epoll_wait failed");
                }
                for (int i = 0; i < n; i++) {
                        struct io_source *io = evs[i].data.ptr;
                        switch (io->kind) {
                        case IO_SIGNAL:
                                handle_signal(d);
                                break;
                        case IO_TIMER:
                                handle_timer(d);
                                break;
                        case IO_INOTIFY:
                                (void) watch_handle(d);
                                break;
                        case IO_SPAWNER:
                                (void) spawner_handle(d, evs[i].events);
                                break;
                        case IO_MONOTONIC:
                                timer_handle(d);
                                break;
                        case IO_LISTEN:
                                control_accept(d);
                                break;
                        case IO_CLIENT:
                                control_handle(d, io, evs[i].events);
                                break;
                        case IO_RUN_OUTPUT:
                                (void) run_handle_io(d, io);
                                break;
                        case IO_ETCD:
                                fleet_handle_io(d, io, evs[i].events);
                                break;
                        }
                }
                runs_free_dead(d);
                control_free_dead(d);
                fleet_free_dead(d);
        }
        if (d->stop_policy != ON_STOP_LEAVE && d->stop_jobs && !d->stop_killed)
                log_info("every running job ended within the grace period");
        return 0;
}
