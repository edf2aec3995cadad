/* daemon/reap.c: the end of every run.
 *
 * Jobs are children of the spawner (spawn.c), which reaps them and reports each exit; tockd
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

/* ---- pid -> run ---- */

static size_t bucket_of(const struct pid_map *m, pid_t pid) {
        return ((size_t) pid * 0x9e3779b97f4a7c15ULL) >> 7 & (m->n_buckets - 1);
}

int pid_map_add(struct pid_map *m, struct run *r) {
        if (m->n >= m->n_buckets) {
                size_t nb = m->n_buckets ? m->n_buckets * 2 : 64;
                struct run **b = calloc(nb, sizeof(*b));
                if (!b)
                        return -ENOMEM;
                for (size_t i = 0; i < m->n_buckets; i++)
                        for (struct run *x = m->buckets[i], *nx; x; x = nx) {
                                nx = x->hnext;
                                size_t k = ((size_t) x->pid * 0x9e3779b97f4a7c15ULL) >> 7 & (nb - 1);
                                x->hnext = b[k];
                                b[k] = x;
                        }
                free(m->buckets);
                m->buckets = b;
                m->n_buckets = nb;
        }
        size_t k = bucket_of(m, r->pid);
        r->hnext = m->buckets[k];
        m->buckets[k] = r;
        m->n++;
        return 0;
}

struct run *pid_map_get(const struct pid_map *m, pid_t pid) {
        if (!m->n_buckets)
                return NULL;
        for (struct run *x = m->buckets[bucket_of(m, pid)]; x; x = x->hnext)
                if (x->pid == pid)
                        return x;
        return NULL;
}

static void pid_map_del(struct pid_map *m, struct run *r) {
        if (!m->n_buckets)
                return;
        for (struct run **p = &m->buckets[bucket_of(m, r->pid)]; *p; p = &(*p)->hnext)
                if (*p == r) {
                        *p = r->hnext;
                        m->n--;
                        return;
                }
}

/* ---- runs ---- */

static struct log_job run_log(const struct run *r) {
        return (struct log_job) { .table = r->table, .line = r->line, .user = r->user, .command = r->command,
                                  .pid = r->pid, .exit_status = -1, .duration_ms = -1 };
}

/* Takes a run out of the daemon's list and index and closes its pipes; it is freed later by
 * runs_free_dead(), since events already fetched in this loop iteration may still point at it. */
static void run_unlink(struct daemon *d, struct run *r) {
        if (r->output.fd >= 0) {
                loop_del(d, &r->output);
                close(r->output.fd);
                r->output.fd = -1;
        }
        if (r->pid > 0 && pid_map_get(&d->pids, r->pid) == r)
                pid_map_del(&d->pids, r);
        if (r->prev)
                r->prev->next = r->next;
        else if (d->runs == r)
                d->runs = r->next;
        if (r->next)
                r->next->prev = r->prev;
        r->prev = r->next = NULL;
}

static void run_destroy(struct run *r) {
        job_stats_unref(r->stats);
        free(r->mail_to);
        free(r->mail_head);
        free(r->mail_buf);
        closep(&r->req_fds[0]);
        closep(&r->req_fds[1]);
        closep(&r->req_fds[2]);
        free(r->req);
        free(r->table);
        free(r->user);
        free(r->command);
        free(r);
}

void run_free(struct daemon *d, struct run *r) {
        run_unlink(d, r);
        run_destroy(r);
}

void runs_free_dead(struct daemon *d) {
        while (d->dead) {
                struct run *r = d->dead;
                d->dead = r->next;
                run_destroy(r);
        }
}

static void flush_line(struct run *r) {
        struct log_job lj = run_log(r);

        if (r->line_len == 0)
                return;
        log_job(LOG_INFO, &lj, "output: %.*s", (int) r->line_len, r->line_buf);
        r->line_len = 0;
}

/* Takes output bytes: whole lines are logged, up to cfg.max_output bytes per run. */
static void take_output(struct daemon *d, struct run *r, const char *buf, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (r->out_logged >= d->cfg.max_output) {
                        r->out_dropped += n - i;
                        return;
                }
                r->out_logged++;
                if (r->mail) {
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
                if (r->stats && !r->client) { /* keep the last bytes for tockctl why */
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
                if (r->mail)
                        continue; /* mailed, not logged */
                if (buf[i] == '\n') {
                        flush_line(r);
                        continue;
                }
                if (r->line_len == sizeof r->line_buf)
                        flush_line(r);
                r->line_buf[r->line_len++] = buf[i] == '\0' ? '?' : buf[i];
        }
}

static void run_maybe_done(struct daemon *d, struct run *r) {
        if (r->exited && r->output.fd < 0) {
                run_unlink(d, r);
                r->next = d->dead;
                d->dead = r;
                spawn_retry(d); /* its descriptors are free again */
        }
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
        if (!r->started)
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
                take_output(d, r, buf, (size_t) k);
                if (i == 15)
                        return 0;
        }
        flush_line(r);
        close_io(d, io);
        run_maybe_done(d, r);
        return 0;
}

void run_exited(struct daemon *d, struct run *r, int wstatus) {
        struct log_job lj = run_log(r);
        int64_t ms = (now_mono_ns() - r->start_ns) / 1000000;

        r->exited = true;
        r->wstatus = wstatus;
        pid_map_del(&d->pids, r);
        d->n_running--;
        /* read what the job wrote before it exited, so its output comes before its end */
        if (r->output.fd >= 0) {
                char buf[16384];
                ssize_t k;
                while (r->out_logged < d->cfg.max_output && (k = read(r->output.fd, buf, sizeof buf)) > 0)
                        take_output(d, r, buf, (size_t) k);
                flush_line(r);
        }
        lj.duration_ms = ms;
        run_timeout_stop(d, r);
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
        if (r->out_dropped)
                log_job(LOG_WARNING, &lj, "output past %zu bytes dropped: %zu bytes", d->cfg.max_output, r->out_dropped);
        if (r->is_mail && r->mail_to && !r->exec_stage && !(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)) {
                /* a sendmail run: it failed, and with it the mail (its own output is logged above) */
                if (WIFEXITED(wstatus))
                        log_job(LOG_ERR, &lj, "mail to %s failed: sendmail exited with status %d; the output is lost",
                                r->mail_to, WEXITSTATUS(wstatus));
                else
                        log_job(LOG_ERR, &lj, "mail to %s failed: sendmail was killed by signal %d; the output is lost",
                                r->mail_to, WTERMSIG(wstatus));
        }
        if (r->mail && r->mail_len > 0) {
                if (spawn_mail(d, r) == 0)
                        log_job(LOG_INFO, &lj, "output (%zu bytes) handed to sendmail for %s", r->mail_len, r->mail_to);
        }
        if (r->client) {
                control_run_done(d, r->client, wstatus, ms);
                r->client = NULL;
        } else if (r->stats) {
                struct job_stats *st = r->stats;
                bool ok = !r->exec_stage && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
                st->last_wstatus = wstatus;
                st->last_duration_ms = ms;
                if (ok) {
                        st->last_success_at = r->started_at;
                        free(st->note);
                        st->note = NULL;
                } else {
                        st->failures++;
                        (void) spawn_on_failure(d, r, wstatus, ms);
                }
                if (st->running_pid == r->pid)
                        st->running_pid = 0;
                if (st->n_running > 0)
                        st->n_running--;
                spawn_release_capped(d);
                dispatch_run_ended(d, st);
        }
        metrics_changed(d);
        run_maybe_done(d, r);
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
                if (pid == d->spawner_pid) {
                        d->spawner_pid = 0;
                        if (d->spawner_io.fd >= 0)
                                spawner_lost(d);
                        continue;
                }
                /* jobs come here only when the spawner died and they were reparented to us; a PAM
                 * job's parent is its session holder, which ends as the job did */
                r = pid_map_get(&d->pids, pid);
                if (!r)
                        for (r = d->runs; r && (r->holder_pid != pid || r->exited); r = r->next)
                                ;
                if (r)
                        run_exited(d, r, wstatus);
                else
                        log_debug("reaped pid %d, left behind by a job", (int) pid);
        }
}

void runs_signal_all(struct daemon *d, int sig) {
        for (struct run *r = d->runs; r; r = r->next)
                if (r->started && !r->exited && r->pid > 0)
                        (void) kill(-r->pid, sig); /* its whole process group: the job made its own session */
}
