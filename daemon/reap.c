/* daemon/reap.c: the end of every run: its output and its exit.
 *
 * Jobs are children of the spawner (spawner.c), which reaps them and reports each exit; tockd
 * itself reaps the spawner and, as a child subreaper (or PID 1 in a container), whatever ends up
 * reparented to it. A run ends when its process has exited; its output pipe is read as data
 * arrives and logged line by line, up to a bound per run, so no amount of output grows tockd's
 * memory. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "tockd.h"
#include "util.h"

static struct log_job run_log(const struct run *r) {
        return (struct log_job) { .table = r->table, .line = r->line, .user = r->user, .command = r->command,
                                  .pid = r->pid, .exit_status = -1, .duration_ms = -1, .name = r->name };
}

/* Which stream a run's line buffer `s` holds: one pipe for both, or stdout and stderr apart */
static const char *stream_name(const struct run *r, int s) {
        return s ? "stderr" : r->errput.fd >= 0 || r->split ? "stdout" : "output";
}

/* log.job_output=end: the line is kept ("0text\n" or "1text\n"), within max_output's bound */
static void keep_line(struct run *r, int s) {
        size_t n = r->lines[s].len + 2;
        char *k = realloc(r->kept, r->kept_len + n);

        if (!k)
                return;
        r->kept = k;
        k[r->kept_len] = (char) ('0' + s);
        memcpy(k + r->kept_len + 1, r->lines[s].buf, r->lines[s].len);
        k[r->kept_len + n - 1] = '\n';
        r->kept_len += n;
}

/* Logs the lines kept for the end (or until the run's start is logged), in the order they came. */
void run_emit_kept(struct run *r) {
        struct log_job lj = run_log(r);

        for (size_t i = 0; i < r->kept_len;) {
                char *nl = memchr(r->kept + i, '\n', r->kept_len - i);
                log_job_output(&lj, stream_name(r, r->kept[i] == '1'), r->kept + i + 1, (size_t) (nl - r->kept - i - 1));
                i = (size_t) (nl - r->kept) + 1;
        }
        free(r->kept);
        r->kept = NULL;
        r->kept_len = 0;
}

static void flush_line(struct daemon *d, struct run *r, int s) {
        struct log_job lj = run_log(r);

        if (r->lines[s].len == 0)
                return;
        /* a job may print before the spawner's answer with its pid comes: its start is logged first */
        if ((d->cfg.job_output == JOB_OUTPUT_END && r->kind != RUN_MANUAL) || r->pid == 0)
                keep_line(r, s);
        else
                log_job_output(&lj, stream_name(r, s), r->lines[s].buf, r->lines[s].len);
        r->lines[s].len = 0;
}

/* Takes output bytes of stream `s` (0 stdout or both, 1 stderr): whole lines are logged, up to
 * cfg.max_output bytes per run. */
static void take_output(struct daemon *d, struct run *r, int s, const char *buf, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (r->out_logged >= d->cfg.max_output) {
                        r->out_dropped += n - i;
                        return;
                }
                r->out_logged++;
                if (run_mails_output(r)) {
                        if (r->mail_len % 4096 == 0) {
                                char *nb = realloc(r->mail_buf, r->mail_len + 4096);
                                if (!nb) {
                                        r->out_dropped += n - i;
                                        return;
                                }
                                r->mail_buf = nb;
                        }
                        r->mail_buf[r->mail_len++] = buf[i];
                }
                if (r->kind == RUN_SCHEDULED) { /* keep the last bytes for tockctl why */
                        struct job_stats *st = r->stats;
                        if (!st->tail && !(st->tail = malloc(JOB_TAIL_MAX)))
                                goto no_tail;
                        if (st->tail_len == JOB_TAIL_MAX) {
                                memmove(st->tail, st->tail + JOB_TAIL_MAX / 2, JOB_TAIL_MAX / 2);
                                st->tail_len = JOB_TAIL_MAX / 2;
                        }
                        st->tail[st->tail_len++] = buf[i];
                }
        no_tail:
                if (run_mails_output(r))
                        continue; /* mailed, not logged */
                if (buf[i] == '\n') {
                        flush_line(d, r, s);
                        continue;
                }
                if (r->lines[s].len == sizeof r->lines[s].buf)
                        flush_line(d, r, s);
                r->lines[s].buf[r->lines[s].len++] = buf[i] == '\0' ? '?' : buf[i];
        }
}

/* The run's output pipes are closed (or it never had one): an exited run is over. */
static void output_closed(struct daemon *d, struct run *r) {
        if (r->output.fd >= 0 || r->errput.fd >= 0)
                return; /* the other one is still open */
        if (r->pid != 0) /* else its start comes first (run_started(), run_exited()) */
                run_emit_kept(r);
        run_event(d, r, RUN_EV_OUTPUT_CLOSED);
        if (r->state == RUN_DEAD)
                admit_retry(d); /* its descriptors are free again */
}

static void close_io(struct daemon *d, struct io_source *io) {
        loop_del(d, io);
        close(io->fd);
        io->fd = -1;
}

int run_handle_io(struct daemon *d, struct io_source *io) {
        struct run *r = io->run;
        char buf[16384];
        ssize_t k;

        if (io->fd < 0)
                return 0; /* closed earlier in this loop iteration */
        if (r->state == RUN_UNSENT || r->state == RUN_PENDING)
                (void) spawner_handle(d, EPOLLIN); /* log "started" before the first output */
        /* a bounded number of reads per wake-up, so one chatty job cannot starve the loop */
        for (int i = 0; i < 16; i++) {
                k = read(io->fd, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return 0;
                if (k <= 0)
                        break;
                take_output(d, r, io == &r->errput, buf, (size_t) k);
                if (i == 15)
                        return 0;
        }
        flush_line(d, r, io == &r->errput);
        close_io(d, io);
        output_closed(d, r);
        return 0;
}

/* Logs how the run ended; returns what was logged of it. */
static struct log_job log_end(struct daemon *d, const struct run *r, int wstatus, int64_t ms) {
        struct log_job lj = run_log(r);

        lj.duration_ms = ms;
        lj.event = "ended";
        if (r->exec_stage) {
                /* already logged as a failure to start */
        } else if (WIFEXITED(wstatus)) {
                lj.exit_status = WEXITSTATUS(wstatus);
                log_job(lj.exit_status ? LOG_WARNING : LOG_INFO, &lj, "ended: pid %d, exit status %d, %lld ms%s",
                        (int) r->pid, lj.exit_status, (long long) ms, r->out_dropped ? ", output cut" : "");
        } else if (WIFSIGNALED(wstatus)) {
                lj.signal = WTERMSIG(wstatus);
                log_job(LOG_WARNING, &lj, "ended: pid %d, killed by signal %d (%s)%s, %lld ms", (int) r->pid, lj.signal,
                        strsignal(lj.signal), r->timed_out ? " at its timeout" : "", (long long) ms);
        }
        lj.event = NULL;
        if (r->out_dropped)
                log_job(LOG_WARNING, &lj, "output past %zu bytes dropped: %zu bytes", d->cfg.max_output, r->out_dropped);
        return lj;
}

/* A sendmail run failed, and with it the mail (its own output is logged already). */
static void mail_run_ended(const struct run *r, int wstatus, const struct log_job *lj) {
        if (r->exec_stage || (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0))
                return;
        if (WIFEXITED(wstatus))
                log_job(LOG_ERR, lj, "mail to %s failed: sendmail exited with status %d; the output is lost", r->mail_to,
                        WEXITSTATUS(wstatus));
        else
                log_job(LOG_ERR, lj, "mail to %s failed: sendmail was killed by signal %d; the output is lost",
                        r->mail_to, WTERMSIG(wstatus));
}

/* A scheduled run ended: its job's stats, on_failure, and the runs that waited for it. */
static void scheduled_run_ended(struct daemon *d, const struct run *r, int wstatus, int64_t ms) {
        struct job_stats *st = r->stats;
        bool ok = !r->exec_stage && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;

        st->last_wstatus = wstatus;
        st->last_duration_ms = ms;
        fleet_run_ended(d, st, wstatus);
        if (ok) {
                st->last_success_at = r->started_at;
                free(st->note);
                st->note = NULL;
        } else {
                st->failures++;
                (void) mail_on_failure(d, r, wstatus, ms);
        }
        if (st->running_pid == r->pid)
                st->running_pid = 0;
        if (st->n_running > 0)
                st->n_running--;
        admit_run_ended(d, st);
}

void run_exited(struct daemon *d, struct run *r, int wstatus) {
        int64_t ms = (now_mono_ns() - r->start_ns) / 1000000;
        struct log_job lj;

        run_event(d, r, RUN_EV_EXITED);
        r->wstatus = wstatus;
        /* read what the job wrote before it exited, so its output comes before its end */
        for (int s = 0; s < 2; s++) {
                int fd = s ? r->errput.fd : r->output.fd;
                char buf[16384];
                ssize_t k;
                if (fd < 0)
                        continue;
                while (r->out_logged < d->cfg.max_output && (k = read(fd, buf, sizeof buf)) > 0)
                        take_output(d, r, s, buf, (size_t) k);
                flush_line(d, r, s);
        }
        run_emit_kept(r);
        run_timeout_stop(d, r);
        lj = log_end(d, r, wstatus, ms);
        if (r->kind == RUN_MAIL)
                mail_run_ended(r, wstatus, &lj);
        if (run_mails_output(r) && r->mail_len > 0 && mail_output(d, r) == 0)
                log_job(LOG_INFO, &lj, "output (%zu bytes) handed to sendmail for %s", r->mail_len, r->mail_to);
        if (r->kind == RUN_MANUAL && r->client) {
                control_run_done(d, r->client, wstatus, ms);
                r->client = NULL;
        } else if (r->kind == RUN_SCHEDULED)
                scheduled_run_ended(d, r, wstatus, ms);
        metrics_changed(d);
        output_closed(d, r);
}

int reap_children(struct daemon *d) {
        for (;;) {
                int wstatus;
                pid_t pid = waitpid(-1, &wstatus, WNOHANG);
                struct run *r;

                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid <= 0)
                        return 0;
                if (pid == d->spawner.pid) {
                        d->spawner.pid = 0;
                        if (d->spawner.io.fd >= 0)
                                spawner_lost(d);
                        continue;
                }
                /* jobs come here only when the spawner died and they were reparented to us; a PAM
                 * job's parent is its session holder, which ends as the job did */
                r = run_by_pid(d, pid);
                if (!r)
                        r = run_by_holder(d, pid);
                if (r)
                        run_exited(d, r, wstatus);
                else
                        log_debug("reaped pid %d, left behind by a job", (int) pid);
        }
}
