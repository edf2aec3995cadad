/* daemon/dispatch.c: the queue against the clock.
 *
 * One CLOCK_REALTIME timerfd, armed absolute at the earliest fire time with
 * TFD_TIMER_CANCEL_ON_SET, is the daemon's only wall-clock wake-up (everything else that waits
 * for a time is a CLOCK_MONOTONIC timer in timer.c). When it fires, every job due by now starts
 * and gets its next fire time. When the clock is set, the read fails with
 * ECANCELED and cron(8)'s rule for clock changes re-plans the queue (sched_after_jump()).
 * Daylight-saving changes are not clock changes: they live inside sched_next(). */
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "readfile.h"
#include "sd.h"
#include "timefmt.h"
#include "tockd.h"
#include "util.h"

int64_t now_real(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return ts.tv_sec;
}

int64_t now_mono_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t now_boot_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* How late a run of `j` due at `nominal` starts: cronie's RANDOM_DELAY (minutes, per table; one
 * random factor per daemon start, as cronie draws it) plus the job's jitter (a fresh draw per fire
 * time, spread evenly over [0, jitter]). */
static int64_t start_delay(struct daemon *d, const struct job *j, int64_t nominal) {
        const char *rd = crontab_env_get(j->table->ct, job_entry(j), "RANDOM_DELAY");
        int64_t jitter = job_opts(j)->jitter_s >= 0 ? job_opts(j)->jitter_s : d->cfg.jitter_s, delay = 0;

        if (rd && *rd && strspn(rd, "0123456789") == strlen(rd) && strlen(rd) <= 6) {
                int64_t span = atoll(rd) * 60;
                delay += (int64_t) ((d->sched.random_delay_factor % 1000000) * (uint64_t) span / 1000000);
        }
        if (jitter > 0)
                delay += (int64_t) (hash_splitmix64(j->table->seed ^ hash_splitmix64((uint64_t) nominal) ^ job_entry(j)->line) % (uint64_t) (jitter + 1));
        return delay;
}

/* Queues j for `nominal`; `bulk`: appended, and put in order by dispatch_batch_end() */
static void queue_add(struct daemon *d, struct job *j, int64_t nominal, bool bulk) {
        int64_t at = nominal + start_delay(d, j, nominal);

        j->nominal_at = nominal;
        j->node.at = at;
        j->node.seq = d->sched.seq++;
        if ((bulk ? heap_append : heap_push)(&d->sched.queue, &j->node) < 0) {
                struct log_job lj = log_job_of(j);
                log_job(LOG_ERR, &lj, "out of memory queueing the job; it will not run until its table is reloaded");
                return;
        }
}

static void queue_push(struct daemon *d, struct job *j, int64_t nominal) {
        queue_add(d, j, nominal, false);
}

void dispatch_batch_begin(struct daemon *d, struct dispatch_batch *b) {
        /* after what was dispatched, and never before now: an idle tockd's last wake-up may be
         * hours old, and a new entry must not run for a fire time that passed before it existed */
        *b = (struct dispatch_batch) { .from = MAX(d->sched.last_real, now_real() - 1), .first = d->sched.queue.n };
}

/* A new or reloaded job: its first fire time after everything already dispatched. */
void dispatch_job_added(struct daemon *d, struct dispatch_batch *b, struct job *j) {
        int64_t at;
        int r;

        if (job_entry(j)->sched.flags & SCHED_REBOOT)
                return;
        r = sched_next(&job_entry(j)->sched, b->from, job_zone(j), &at);
        if (r == -ENOENT) {
                log_debug("%s:%u: never fires", j->table->name, job_entry(j)->line);
                return;
        }
        if (r < 0)
                return;
        queue_add(d, j, at, true);
}

void dispatch_batch_end(struct daemon *d, struct dispatch_batch *b) {
        heap_order_from(&d->sched.queue, b->first);
}

/* A fire time of j came: a fleet job is claimed first, any other is admitted here */
static void fire(struct daemon *d, struct job *j, int64_t nominal) {
        if (fleet_job(d, j))
                return fleet_fire(d, j, nominal);
        d->sched.firing_at = nominal;
        admit_fire(d, j);
        d->sched.firing_at = 0;
}

/* Starts every job due by `now`. */
static void run_due(struct daemon *d, int64_t now) {
        struct heap_node *top;

        while ((top = heap_top(&d->sched.queue)) && top->at <= now) {
                struct job *j = (struct job *) heap_pop(&d->sched.queue);
                int64_t at = j->nominal_at, next;
                int r;

                catchup_record(d, j, at);
                if (now - j->node.at > LATE_SLACK_S && catchup_wanted(d, j)) {
                        /* a catchup job runs once for what the machine slept through */
                        job_stats_note(job_stats_get(j), "its run at %lld came %llds late (the machine slept or stalled); caught up",
                                       (long long) at, (long long) (now - j->node.at));
                        if (j->stats)
                                j->stats->last_due_at = at;
                        fire(d, j, at);
                        if (sched_next(&job_entry(j)->sched, now - 1, job_zone(j), &next) == 0)
                                queue_push(d, j, next);
                        continue;
                }
                if (now - j->node.at > LATE_SLACK_S) {
                        /* Woken long after the fire time (suspend, a stalled machine): cron(8)
                         * treats that as the clock jumping forward from `at` to `now`. */
                        r = sched_after_jump(&job_entry(j)->sched, at, at, now, job_zone(j), &next);
                        if (r == 0)
                                queue_push(d, j, next);
                        if (job_stats_get(j))
                                j->stats->last_due_at = at;
                        if (r == 0 && next > now) {
                                struct log_job lj = log_job_of(j);
                                job_event(LOG_INFO, &lj, j->stats,
                                          "missed its run of %llds ago (the machine slept or stalled); not caught up",
                                          (long long) (now - at));
                        }
                        continue;
                }
                if (job_stats_get(j))
                        j->stats->last_due_at = at;
                fire(d, j, at);
                r = sched_next(&job_entry(j)->sched, at, job_zone(j), &next);
                if (r == 0)
                        queue_push(d, j, next);
        }
}

int dispatch_setup(struct daemon *d) {
        /* cronie's RANDOM_DELAY factor: drawn once per daemon start */
        int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        d->sched.random_delay_factor = (uint64_t) now_mono_ns();
        if (rfd >= 0) {
                uint64_t f;
                if (read(rfd, &f, sizeof f) == (ssize_t) sizeof f)
                        d->sched.random_delay_factor = f;
                close(rfd);
        }
        d->sched.timer_io = (struct io_source) { .kind = IO_TIMER, .fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC) };
        if (d->sched.timer_io.fd < 0)
                return -errno;
        return loop_add(d, &d->sched.timer_io, EPOLLIN);
}

void dispatch_done(struct daemon *d) {
        heap_done(&d->sched.queue);
        closep(&d->sched.timer_io.fd);
        d->sched.timer_io.fd = -1;
}

int dispatch_arm(struct daemon *d) {
        struct heap_node *top = heap_top(&d->sched.queue);
        struct itimerspec its = {};

        if (d->stopping)
                top = NULL;
        d->sched.armed_at = top ? top->at : INT64_MAX;
        /* with nothing queued the timer still watches for clock changes, armed far away */
        its.it_value.tv_sec = top ? (time_t) top->at : (time_t) (now_real() + 365 * 86400);
        if (timerfd_settime(d->sched.timer_io.fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0)
                return log_errno(errno, "cannot arm the timer");
        return 0;
}

static void mark_time(struct daemon *d, int64_t now) {
        d->sched.last_real = now;
        d->sched.last_boot_ns = now_boot_ns();
}

int dispatch_due(struct daemon *d) {
        int64_t now = now_real();

        admit_retry(d);
        run_due(d, now);
        catchup_flush(d);
        if (now > d->sched.last_real)
                mark_time(d, now);
        dispatch_status(d);
        return dispatch_arm(d);
}

/* The clock was set. Where the daemon believed it was comes from CLOCK_BOOTTIME, which neither
 * jumps nor stops in suspend. */
int dispatch_clock_jump(struct daemon *d) {
        int64_t now = now_real();
        int64_t before = d->sched.last_real + (now_boot_ns() - d->sched.last_boot_ns) / 1000000000LL;
        int64_t delta = now - before;

        if (delta == 0) {
                log_debug("clock set without a change");
                return dispatch_due(d);
        }
        log_info("the clock moved %s by %llds; %s", delta > 0 ? "forward" : "back", (long long) (delta > 0 ? delta : -delta),
                 delta > -SCHED_SMALL_JUMP && delta < SCHED_SMALL_JUMP
                         ? "fixed-time jobs keep their times (cron's rule), wildcard jobs follow the new time"
                         : "a correction: every job follows the new time, nothing is caught up");
        struct job *j;
        FOREACH_JOB(d, j) {
                int64_t next;
                if (!job_queued(j))
                        continue;
                heap_remove(&d->sched.queue, &j->node);
                int64_t planned = j->nominal_at;
                if (sched_after_jump(&job_entry(j)->sched, planned, before, now, job_zone(j), &next) == 0) {
                        if (planned <= now && next > now)
                                job_stats_note(job_stats_get(j), "its run at %lld was skipped: the clock moved %s by %llds (cron's rule for clock changes)",
                                               (long long) planned, delta > 0 ? "forward" : "back",
                                               (long long) (delta > 0 ? delta : -delta));
                        queue_push(d, j, next);
                }
        }
        /* a backward jump: fixed-time jobs keep their planned times, so "dispatched up to" must
         * not move back with the clock; a forward one has been handled job by job */
        d->sched.last_real = now - 1;
        d->sched.last_boot_ns = now_boot_ns();
        return dispatch_due(d);
}

/* ---- @reboot ---- */

/* @reboot jobs run once per boot: the boot id they last ran for is kept in the state directory,
 * so restarting tockd does not run them again. */
void dispatch_reboot_jobs(struct daemon *d) {
        char boot[64] = "", last[64] = "", *state = NULL;
        int r;

        if (!*d->cfg.state_dir) { /* a container: each start of tockd is a boot */
                struct job *j;
                FOREACH_JOB(d, j) {
                        if ((job_entry(j)->sched.flags & SCHED_REBOOT) && job_zone(j))
                                (void) job_spawn(d, j, NULL, NULL);
                }
                return;
        }
        r = read_first_line(d->cfg.boot_id, boot, sizeof boot);
        if (r < 0 || !boot[0]) {
                log_warning_errno(r, "cannot read the boot id from %s; @reboot jobs run at every start", d->cfg.boot_id);
                boot[0] = 0;
        }
        if (asprintf(&state, "%s/reboot-boot-id", d->cfg.state_dir) < 0)
                return;
        if (boot[0] && read_first_line(state, last, sizeof last) == 0 && streq(last, boot)) {
                log_info("@reboot jobs already ran in this boot (%s); not again", boot);
                free(state);
                return;
        }
        free(state);
        struct job *j;
        FOREACH_JOB(d, j) {
                if ((job_entry(j)->sched.flags & SCHED_REBOOT) && job_zone(j))
                        (void) job_spawn(d, j, NULL, NULL);
        }
        if (boot[0]) {
                char text[80], *path = NULL;
                (void) mkdir(d->cfg.state_dir, 0755);
                snprintf(text, sizeof text, "%s\n", boot);
                r = asprintf(&path, "%s/reboot-boot-id", d->cfg.state_dir) < 0
                            ? -ENOMEM
                            : write_atomic(path, text, strlen(text), (uid_t) -1, (gid_t) -1, 0644);
                free(path);
                if (r < 0)
                        log_warning_errno(r, "cannot record the boot id in %s; @reboot jobs would run again at the next start",
                                          d->cfg.state_dir);
        }
}

void dispatch_status(struct daemon *d) {
        struct heap_node *top = heap_top(&d->sched.queue);
        char when[TIMEFMT_ISO_MAX] = "none";

        if (!d->ready)
                return;
        if (top)
                timefmt_iso(d->tables.local_zone, top->at, when);
        sd_notifyf_text("STATUS=%zu tables, %zu jobs, %zu running, next run %s", d->tables.n, d->tables.n_jobs, d->runs.n_running, when);
}
