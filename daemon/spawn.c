/* daemon/spawn.c: starting a job as its owner, tockd's side. The only file that plans ids.
 *
 * tockd does not fork jobs itself. At start it forks one small helper, the spawner (spawner.c),
 * whose only descriptors are a socket to tockd and its signalfd. For each run tockd sends it a
 * request (ids, groups, home, shell, argv, environment; spawn-wire.h) with the job's stdin and
 * stdout as SCM_RIGHTS, and the spawner forks the job. This keeps every fork cheap and
 * independent of tockd's size: a child of tockd would copy a descriptor table holding the pipes
 * of every running job and close them all again at exec, making a burst of 10,000 simultaneous
 * jobs quadratic. The spawner answers each request (in request order, but for PAM runs) and
 * reports every exit. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef TOCK_PAM
#include <security/pam_appl.h>
#endif

#include "log.h"
#include "spawn-wire.h"
#include "tockd.h"
#include "util.h"

static const char *stage_name(int s) {
        static const char *const names[] = {
                [SPAWN_STAGE_SETSID] = "starting a session", [SPAWN_STAGE_STDIO] = "setting up standard input and output",
                [SPAWN_STAGE_GROUPS] = "setting supplementary groups", [SPAWN_STAGE_GID] = "setting the group id",
                [SPAWN_STAGE_UID] = "setting the user id", [SPAWN_STAGE_VERIFY] = "verifying the dropped privileges",
                [SPAWN_STAGE_CHDIR] = "changing to the home directory", [SPAWN_STAGE_EXEC] = "executing the shell",
                [SPAWN_STAGE_FORK] = "forking", [SPAWN_STAGE_LIMITS] = "setting the resource limits and nice level",
                [SPAWN_STAGE_PAM_START] = "starting PAM", [SPAWN_STAGE_PAM_ACCOUNT] = "PAM's account check",
                [SPAWN_STAGE_PAM_CREDENTIALS] = "setting PAM credentials", [SPAWN_STAGE_PAM_SESSION] = "opening the PAM session",
        };
        return s > 0 && s < (int) ELEMENTSOF(names) && names[s] ? names[s] : "starting";
}

/* Why a stage failed: an errno, or for the PAM stages, PAM's own words */
static const char *stage_error(int stage, int err) {
#ifdef TOCK_PAM
        if (stage >= SPAWN_STAGE_PAM_START)
                return pam_strerror(NULL, err);
#else
        (void) stage;
#endif
        return strerror(err);
}

/* ---- tockd's side ---- */

int spawner_start(struct daemon *d) {
        int sv[2], size = 1 << 20;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return log_errno(errno, "cannot create the spawner's socket");
        (void) setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        (void) setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        (void) setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        (void) setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        pid = fork();
        if (pid < 0) {
                close(sv[0]);
                close(sv[1]);
                return log_errno(errno, "cannot start the spawner");
        }
        if (pid == 0) {
                /* keep only the socket: this process's small descriptor table is the point */
                if (dup2(sv[1], 3) < 0)
                        _exit(1);
                (void) syscall(SYS_close_range, 4U, ~0U, 0U);
                (void) fcntl(3, F_SETFD, FD_CLOEXEC);
                spawner_main(3);
        }
        close(sv[1]);
        (void) fcntl(sv[0], F_SETFL, O_NONBLOCK);
        d->spawner_pid = pid;
        d->spawner_io = (struct io_source) { .kind = IO_SPAWNER, .fd = sv[0] };
        if (loop_add(d, &d->spawner_io, EPOLLIN) < 0)
                return log_errno(errno, "cannot watch the spawner");
        log_debug("spawner started, pid %d", (int) pid);
        return 0;
}

/* Jobs go through jobs.pam_service when tockd was built with PAM, runs as root (it changes to
 * the jobs' users) and the service exists, as Debian's cron package installs /etc/pam.d/cron:
 * without it PAM would use its "other" service, which on Debian refuses everyone. */
void spawn_pam_check(struct daemon *d) {
        const char *service = d->cfg.pam_service, *why = NULL;
        char path[PATH_MAX] = "";

        d->pam = false;
#ifndef TOCK_PAM
        why = "tockd was built without PAM";
        (void) service;
#else
        if (!*service)
                why = "jobs.pam_service is empty";
        else if (*d->cfg.table && !*d->cfg.crontab && !*d->cfg.cron_d && !*d->cfg.spool)
                why = "only a --table, whose jobs run as tockd's own user (containers)";
        else if (d->uid != 0)
                why = "tockd does not run as root";
        else if (strchr(service, '/'))
                why = "jobs.pam_service is a name, not a path";
        else {
                const char *dirs[2] = { d->cfg.pam_dir, NULL };
                if (!*d->cfg.pam_dir) {
                        dirs[0] = "/etc/pam.d";
                        dirs[1] = "/usr/lib/pam.d";
                }
                for (size_t i = 0; i < 2 && dirs[i] && !d->pam; i++) {
                        snprintf(path, sizeof path, "%s/%s", dirs[i], service);
                        d->pam = access(path, R_OK) == 0;
                }
                if (!d->pam)
                        why = "the system has no such PAM service";
        }
#endif
        if (d->pam)
                log_info("jobs go through the PAM service '%s' (%s)", service, path);
        else
                log_info("jobs run without PAM: %s", why);
}

struct spawn_plan {
        uid_t uid;
        gid_t gid;
        gid_t groups[SPAWN_MAX_GROUPS];
        int n_groups;
        bool drop, pam;
        char *home, *user, *shell;
        char **envp;
        size_t n_env;
};

static void plan_done(struct spawn_plan *p) {
        for (size_t i = 0; i < p->n_env; i++)
                free(p->envp[i]);
        free(p->envp);
        free(p->home);
        free(p->user);
        free(p->shell);
}

/* Sets NAME=value in the plan's environment, replacing an earlier value. */
static int env_set(struct spawn_plan *p, const char *name, const char *value) {
        size_t nl = strlen(name);
        char *s;

        if (asprintf(&s, "%s=%s", name, value) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_env; i++)
                if (strncmp(p->envp[i], name, nl) == 0 && p->envp[i][nl] == '=') {
                        free(p->envp[i]);
                        p->envp[i] = s;
                        return 0;
                }
        char **v = reallocarray(p->envp, p->n_env + 1, sizeof(*v));
        if (!v) {
                free(s);
                return -ENOMEM;
        }
        p->envp = v;
        p->envp[p->n_env++] = s;
        return 0;
}

/* cron's environment: HOME, LOGNAME, USER, SHELL and PATH from the owner and the defaults, then
 * the table's own lines, which may change all but LOGNAME and USER (crontab(5)). */
static int plan_env(struct spawn_plan *p, struct daemon *d, const struct job *j) {
        const struct crontab *ct = j->table->ct;
        int r = 0;

        r |= env_set(p, "HOME", p->home);
        r |= env_set(p, "LOGNAME", p->user);
        r |= env_set(p, "USER", p->user);
        r |= env_set(p, "SHELL", d->cfg.shell);
        r |= env_set(p, "PATH", d->cfg.path);
        for (size_t i = 0; i < j->e->n_env && r == 0; i++) {
                const struct env_var *ev = &ct->env[i];
                if (streq(ev->name, "LOGNAME") || streq(ev->name, "USER"))
                        continue;
                r |= env_set(p, ev->name, ev->value);
        }
        if (r < 0)
                return -ENOMEM;
        const char *shell = crontab_env_get(ct, j->e, "SHELL");
        const char *home = crontab_env_get(ct, j->e, "HOME");
        p->shell = strdup(shell ? shell : d->cfg.shell);
        if (!p->shell)
                return -ENOMEM;
        if (home) { /* cron runs the job in $HOME, also when the table sets it */
                char *h = strdup(home);
                if (!h)
                        return -ENOMEM;
                free(p->home);
                p->home = h;
        }
        return 0;
}

static int plan_identity(struct spawn_plan *p, struct daemon *d, const char *user) {
        const struct user_info *u = users_get(&d->users, user);

        if (!u)
                return -ESRCH;
        p->uid = u->uid;
        p->gid = u->gid;
        p->home = strdup(u->home);
        p->user = strdup(u->name);
        if (!p->home || !p->user)
                return -ENOMEM;
        if (d->uid != 0) {
                if (u->uid != d->uid)
                        return -EPERM;
                p->drop = false;
                return 0;
        }
        if (u->n_groups < 0 || u->n_groups > SPAWN_MAX_GROUPS)
                return -E2BIG;
        p->drop = true;
        p->n_groups = u->n_groups;
        memcpy(p->groups, u->groups, (size_t) u->n_groups * sizeof(gid_t));
        return 0;
}

/* The request for a run; *ret_id is what the spawner's answer will carry. */
static int encode_req(const struct spawn_plan *p, struct daemon *d, const char *command, char **ret, size_t *ret_len,
                      uint32_t *ret_id) {
        struct spawn_order o = {
                .id = d->spawn_seq + 1, .uid = p->uid, .gid = p->gid, .groups = p->groups,
                .n_groups = p->drop ? p->n_groups : 0, .drop = p->drop, .pam = p->pam, .umask = d->cfg.umask,
                .nice = d->cfg.nice, .home = p->home, .shell = p->shell, .command = command, .user = p->user,
                .pam_service = p->pam ? d->cfg.pam_service : "", .pam_dir = p->pam ? d->cfg.pam_dir : "",
                .envp = p->envp, .n_env = p->n_env,
        };
        int r;

        memcpy(o.rlimits, d->cfg.rlimits, sizeof o.rlimits);
        r = spawn_wire_encode(&o, ret, ret_len);
        if (r < 0)
                return r;
        *ret_id = ++d->spawn_seq;
        return 0;
}

static int open_input(const struct entry *e, int *ret_read_fd) {
        int fds[2];

        if (!e->input) {
                int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                *ret_read_fd = fd;
                return 0;
        }
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        /* the input is at most one line (CRONTAB_MAX_LINE), far below a pipe's capacity, so it is
         * written whole now and the write end closed: the job reads it, then end of file */
        size_t len = strlen(e->input);
        (void) fcntl(fds[1], F_SETFL, O_NONBLOCK);
        if (write(fds[1], e->input, len) != (ssize_t) len) {
                int r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r ? r : -EPIPE;
        }
        close(fds[1]);
        *ret_read_fd = fds[0];
        return 0;
}

static struct run *run_new(const struct job *j, const char *user) {
        struct run *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->table = strdup(j->table->name);
        r->user = strdup(user);
        r->command = strdup(j->e->command);
        r->line = j->e->line;
        r->stats = job_stats_ref(j->stats);
        r->output = (struct io_source) { .kind = IO_RUN_OUTPUT, .fd = -1, .run = r };
        r->req_fds[0] = r->req_fds[1] = r->req_fds[2] = -1;
        if (!r->table || !r->user || !r->command) {
                job_stats_unref(r->stats);
                free(r->table);
                free(r->user);
                free(r->command);
                free(r);
                return NULL;
        }
        return r;
}

/* Sends the requests waiting in order; stops at a full socket (then EPOLLOUT brings us back). */
int spawner_flush(struct daemon *d) {
        while (d->unsent) {
                struct run *r = d->unsent;
                size_t n_fds = r->req_fds[2] >= 0 ? 3 : 2;
                char cbuf[CMSG_SPACE(3 * sizeof(int))] = {};
                struct iovec iov = { r->req, r->req_len };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                                     .msg_controllen = CMSG_SPACE(n_fds * sizeof(int)) };
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
                memcpy(CMSG_DATA(c), r->req_fds, n_fds * sizeof(int));
                if (sendmsg(d->spawner_io.fd, &mh, MSG_NOSIGNAL) < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                if (!d->spawner_out) {
                                        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = &d->spawner_io };
                                        (void) epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, d->spawner_io.fd, &ev);
                                        d->spawner_out = true;
                                }
                                return 0;
                        }
                        return log_errno(errno, "cannot reach the spawner");
                }
                d->unsent = r->unsent_next;
                if (!d->unsent)
                        d->unsent_tail = NULL;
                free(r->req);
                r->req = NULL;
                closep(&r->req_fds[0]);
                closep(&r->req_fds[1]);
                closep(&r->req_fds[2]);
                r->req_fds[0] = r->req_fds[1] = r->req_fds[2] = -1;
        }
        if (d->spawner_out) {
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->spawner_io };
                (void) epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, d->spawner_io.fd, &ev);
                d->spawner_out = false;
        }
        return 0;
}

/* Puts a prepared run in the list of runs and in the queue to the spawner (its answers come in
 * request order). */
static void run_enqueue(struct daemon *d, struct run *run) {
        run->next = d->runs;
        if (d->runs)
                d->runs->prev = run;
        d->runs = run;
        d->n_running++;
        if (d->pending_tail)
                d->pending_tail->pending_next = run;
        else
                d->pending = run;
        d->pending_tail = run;
        if (d->unsent_tail)
                d->unsent_tail->unsent_next = run;
        else
                d->unsent = run;
        d->unsent_tail = run;
        if (run->output.fd >= 0 && loop_add(d, &run->output, EPOLLIN) < 0)
                log_error("%s:%u: cannot watch the run's output; it is lost", run->table, run->line);
        if (!d->spawner_out)
                (void) spawner_flush(d);
}

/* ---- out of file descriptors ---- */

static void defer_run(struct daemon *d, const struct job *j, const struct log_job *lj) {
        struct job_stats **v = reallocarray(d->retry, d->n_retry + 1, sizeof(*v));

        if (!v) {
                log_job(LOG_ERR, lj, "not run: out of file descriptors and of memory");
                return;
        }
        d->retry = v;
        v[d->n_retry++] = job_stats_ref(j->stats);
        if (d->n_retry == 1 || d->n_retry % 1000 == 0)
                log_job(LOG_WARNING, lj, "out of file descriptors: %zu run%s for running jobs to end", d->n_retry,
                        d->n_retry == 1 ? " waits" : "s wait");
}

/* A run ended and freed descriptors: deferred runs start in order, as far as they fit. */
void spawn_retry(struct daemon *d) {
        size_t done = 0;

        if (d->n_retry == 0)
                return;
        while (done < d->n_retry) {
                struct job_stats *s = d->retry[done];
                size_t before = d->n_retry;

                if (!s->job || d->stopping) { /* the job is gone */
                        job_stats_unref(s);
                        done++;
                        continue;
                }
                /* job_spawn() defers again when it still finds no descriptor: stop there */
                d->retry[done] = NULL;
                (void) job_spawn(d, s->job, NULL, NULL);
                job_stats_unref(s);
                done++;
                if (d->n_retry > before)
                        break;
        }
        memmove(d->retry, d->retry + done, (d->n_retry - done) * sizeof(*d->retry));
        d->n_retry -= done;
}

/* ---- concurrency caps ---- */

static bool counts(const struct run *r) {
        return r->stats && !r->client && !r->is_mail && !r->exited;
}

static void count_runs(struct daemon *d, const char *user, size_t *ret_all, size_t *ret_mine) {
        size_t all = 0, mine = 0;

        for (const struct run *r = d->runs; r; r = r->next)
                if (counts(r)) {
                        all++;
                        mine += streq(r->user, user);
                }
        *ret_all = all;
        *ret_mine = mine;
}

/* Whether starting `run` now would pass jobs.max_running or jobs.max_running_per_user. The
 * count walks the running runs: caps are for small numbers, and without caps nothing is counted. */
static bool over_caps(struct daemon *d, const struct run *run) {
        size_t all, mine;

        if (!d->cfg.max_running && !d->cfg.max_running_per_user)
                return false;
        count_runs(d, run->user, &all, &mine);
        return (d->cfg.max_running && all >= d->cfg.max_running) ||
               (d->cfg.max_running_per_user && mine >= d->cfg.max_running_per_user);
}

/* A run ended: waiting runs start, in order, as far as the caps allow (one held back only by its
 * user's cap does not hold back the others). */
void spawn_release_capped(struct daemon *d) {
        struct run **pp = &d->capped, *prev = NULL;

        while (*pp) {
                struct run *r = *pp;
                size_t all, mine;

                count_runs(d, r->user, &all, &mine);
                if (d->cfg.max_running && all >= d->cfg.max_running)
                        break;
                if (d->cfg.max_running_per_user && mine >= d->cfg.max_running_per_user) {
                        prev = r;
                        pp = &r->capped_next;
                        continue;
                }
                *pp = r->capped_next;
                if (d->capped_tail == r)
                        d->capped_tail = prev;
                r->capped_next = NULL;
                r->start_ns = now_mono_ns();
                r->started_at = now_real();
                if (r->stats)
                        r->stats->last_at = r->started_at;
                run_enqueue(d, r);
        }
}

/* ---- mail (cron(8): a job's output is mailed to MAILTO, the owner by default) ---- */

static bool header_safe(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

/* jobs.sendmail is a program and optionally leading arguments: the program must be executable */
static bool sendmail_usable(const char *sendmail) {
        char prog[PATH_MAX];
        size_t n = strcspn(sendmail, " \t");

        if (n == 0 || n >= sizeof prog)
                return false;
        memcpy(prog, sendmail, n);
        prog[n] = 0;
        return access(prog, X_OK) == 0;
}

/* Decides whether the run's output is mailed, and prepares the headers while the job's
 * environment is at hand. No mail: MAILTO="" or no sendmail; then the output is logged. */
static void mail_prepare(struct daemon *d, struct run *run, const struct job *j, const struct spawn_plan *p) {
        const char *to = crontab_env_get(j->table->ct, j->e, "MAILTO");
        const char *from = crontab_env_get(j->table->ct, j->e, "MAILFROM");
        char host[256] = "localhost", *h = NULL;
        size_t hl = 0;
        FILE *f;

        if (!to)
                to = p->user;
        if (!*to || !sendmail_usable(d->cfg.sendmail))
                return;
        if (!header_safe(to) || (from && !header_safe(from))) {
                log_warning("%s:%u: MAILTO or MAILFROM holds control characters; the output is logged instead",
                            j->table->name, j->e->line);
                return;
        }
        (void) gethostname(host, sizeof host - 1);
        f = open_memstream(&h, &hl);
        if (!f)
                return;
        if (from && *from)
                fprintf(f, "From: %s\n", from);
        else
                fprintf(f, "From: root (Cron Daemon)\n");
        fprintf(f, "To: %s\nSubject: Cron <%s@%s> ", to, p->user, host);
        for (const char *c = j->e->command; *c && c - j->e->command < 200; c++)
                fputc((unsigned char) *c < 0x20 ? ' ' : *c, f);
        fprintf(f, "\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
                   "Auto-Submitted: auto-generated\nPrecedence: bulk\n");
        for (size_t i = 0; i < p->n_env; i++)
                if (header_safe(p->envp[i]))
                        fprintf(f, "X-Cron-Env: <%s>\n", p->envp[i]);
        fputc('\n', f);
        if (fclose(f) != 0) {
                free(h);
                return;
        }
        run->mail_to = strdup(to);
        run->mail_head = h;
        run->mail = run->mail_to != NULL;
}

/* Starts a helper run for a job's run `jr` (a mail, an on_failure command): `command` by
 * /bin/sh as the job's owner, stdin from `in_fd` (taken), its output logged under `what`. */
static int spawn_aux(struct daemon *d, const struct run *jr, struct spawn_plan *p, const char *command, int in_fd,
                     const char *what, const char *mail_to) {
        struct run *run = NULL;
        char *req = NULL;
        size_t req_len;
        uint32_t id;
        int fds[2] = { -1, -1 }, r;

        if (!(p->shell = strdup("/bin/sh"))) {
                r = -ENOMEM;
                goto out;
        }
        r = encode_req(p, d, command, &req, &req_len, &id);
        if (r < 0)
                goto out;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                r = -errno;
                goto out;
        }
        run = calloc(1, sizeof(*run));
        if (!run || !(run->table = strdup(jr->table)) || !(run->user = strdup(jr->user)) || !(run->command = strdup(what)) ||
            (mail_to && !(run->mail_to = strdup(mail_to)))) {
                r = -ENOMEM;
                goto out;
        }
        run->line = jr->line;
        run->spawn_id = id;
        run->pam = p->pam;
        run->is_mail = true; /* a helper run: no stats, no caps */
        run->output = (struct io_source) { .kind = IO_RUN_OUTPUT, .fd = fds[0], .run = run };
        fds[0] = -1;
        (void) fcntl(run->output.fd, F_SETFL, O_NONBLOCK);
        run->start_ns = now_mono_ns();
        run->started_at = now_real();
        run->req = TAKE_PTR(req);
        run->req_len = req_len;
        run->req_fds[0] = in_fd;
        run->req_fds[1] = fds[1];
        run->req_fds[2] = -1;
        in_fd = fds[1] = -1;
        run_enqueue(d, run);
        run = NULL;
        r = 0;
out:
        if (run) {
                closep(&run->output.fd);
                free(run->mail_to);
                free(run->table);
                free(run->user);
                free(run->command);
                free(run);
        }
        closep(&in_fd);
        closep(&fds[0]);
        closep(&fds[1]);
        free(req);
        return r;
}

static int aux_identity(struct daemon *d, const struct run *jr, struct spawn_plan *p) {
        int r = plan_identity(p, d, jr->user);
        if (r < 0)
                return r;
        p->pam = jr->pam && p->drop && d->pam;
        if (env_set(p, "HOME", p->home) < 0 || env_set(p, "LOGNAME", p->user) < 0 || env_set(p, "USER", p->user) < 0 ||
            env_set(p, "PATH", d->cfg.path) < 0 || env_set(p, "SHELL", "/bin/sh") < 0)
                return -ENOMEM;
        return 0;
}

/* Mails what the run printed: sendmail runs as the job's owner, with the message on its stdin
 * (a memfd: nothing to block on), its recipients taken from the headers (-t), never from
 * arguments a table could inject into. */
int spawn_mail(struct daemon *d, const struct run *jr) {
        struct spawn_plan p = {};
        _cleanup_free_ char *cmd = NULL, *what = NULL;
        int mfd = -1, r;

        r = aux_identity(d, jr, &p);
        if (r < 0)
                goto out;
        r = -ENOMEM;
        if (asprintf(&cmd, "exec %s -FCronDaemon -i -oem -oi -t", d->cfg.sendmail) < 0 ||
            asprintf(&what, "mail to %s", jr->mail_to) < 0)
                goto out;
        mfd = memfd_create("tock-mail", MFD_CLOEXEC);
        if (mfd < 0 || write(mfd, jr->mail_head, strlen(jr->mail_head)) < 0 || write(mfd, jr->mail_buf, jr->mail_len) < 0) {
                r = -errno;
                goto out;
        }
        if (jr->out_dropped) {
                char note[128];
                int n = snprintf(note, sizeof note, "\n[tock: %zu more bytes of output were dropped]\n", jr->out_dropped);
                if (write(mfd, note, (size_t) n) < 0) {
                        r = -errno;
                        goto out;
                }
        }
        if (lseek(mfd, 0, SEEK_SET) < 0) {
                r = -errno;
                goto out;
        }
        r = spawn_aux(d, jr, &p, cmd, TAKE_FD(mfd), what, jr->mail_to);
out:
        if (r < 0)
                log_error("%s:%u: cannot mail the output to %s: %s; it is lost", jr->table, jr->line, jr->mail_to,
                          strerror(-r));
        closep(&mfd);
        plan_done(&p);
        return r;
}

/* jobs.on_failure: run as the job's owner when a run failed, with what is known of the run in
 * its environment, for alerting without mail. */
int spawn_on_failure(struct daemon *d, const struct run *jr, int wstatus, int64_t duration_ms) {
        struct spawn_plan p = {};
        char num[32], job[PATH_MAX + 16];
        int r, in_fd;

        if (!*d->cfg.on_failure)
                return 0;
        r = aux_identity(d, jr, &p);
        if (r < 0)
                goto out;
        snprintf(job, sizeof job, "%s:%u", jr->table, jr->line);
        r = -ENOMEM;
        if (env_set(&p, "TOCK_JOB", job) < 0 || env_set(&p, "TOCK_TABLE", jr->table) < 0 ||
            env_set(&p, "TOCK_COMMAND", jr->command) < 0 || env_set(&p, "TOCK_USER", jr->user) < 0)
                goto out;
        snprintf(num, sizeof num, "%u", jr->line);
        if (env_set(&p, "TOCK_LINE", num) < 0)
                goto out;
        snprintf(num, sizeof num, "%d", jr->exec_stage ? -1 : WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
        if (env_set(&p, "TOCK_EXIT_STATUS", num) < 0)
                goto out;
        snprintf(num, sizeof num, "%d", !jr->exec_stage && WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
        if (env_set(&p, "TOCK_SIGNAL", num) < 0)
                goto out;
        snprintf(num, sizeof num, "%lld", (long long) duration_ms);
        if (env_set(&p, "TOCK_DURATION_MS", num) < 0 || env_set(&p, "TOCK_TIMED_OUT", jr->timed_out ? "1" : "0") < 0)
                goto out;
        if (jr->stats && jr->stats->tail) {
                /* the tail of the output, printable text only */
                char tail[JOB_TAIL_MAX + 1];
                size_t n = 0;
                for (size_t i = 0; i < jr->stats->tail_len; i++) {
                        char c = jr->stats->tail[i];
                        tail[n++] = c == '\n' || c == '\t' || ((unsigned char) c >= 0x20 && c != 0x7f) ? c : '?';
                }
                tail[n] = 0;
                if (env_set(&p, "TOCK_OUTPUT_TAIL", tail) < 0)
                        goto out;
        }
        in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in_fd < 0) {
                r = -errno;
                goto out;
        }
        r = spawn_aux(d, jr, &p, d->cfg.on_failure, in_fd, "on_failure", NULL);
out:
        if (r < 0)
                log_error("%s:%u: cannot run jobs.on_failure: %s", jr->table, jr->line, strerror(-r));
        plan_done(&p);
        return r;
}

int job_spawn(struct daemon *d, const struct job *j, const int client_fds[3], struct client *client) {
        struct spawn_plan p = {};
        const char *user = j->e->user ? j->e->user : j->table->owner;
        struct log_job lj = { .table = j->table->name, .line = j->e->line, .user = user, .command = j->e->command,
                              .exit_status = -1, .duration_ms = -1 };
        int fds[2] = { -1, -1 }, in_fd = -1, err_fd = -1, r;
        struct run *run = NULL;
        char *req = NULL;
        size_t req_len;
        uint32_t id = 0;

        r = plan_identity(&p, d, user);
        if (r == -ESRCH) {
                log_job(LOG_ERR, &lj, "not run: no such user '%s'", user);
                job_stats_note(j->stats, "not run: no such user '%s'", user);
                goto out;
        }
        if (r == -EPERM) {
                log_job(LOG_ERR, &lj, "not run: tockd runs as uid %u and cannot run jobs as '%s'", (unsigned) d->uid, user);
                job_stats_note(j->stats, "not run: tockd runs as uid %u and cannot run jobs as '%s'", (unsigned) d->uid, user);
                goto out;
        }
        /* PAM as cron(8) uses it, for the system's tables; not for a single table (containers) */
        p.pam = r == 0 && p.drop && d->pam && j->table->kind != TABLE_SINGLE;
        if (r < 0 || (r = plan_env(&p, d, j)) < 0 || (r = encode_req(&p, d, j->e->command, &req, &req_len, &id)) < 0) {
                const char *why = r == -E2BIG ? "too many groups or too large an environment" : strerror(-r);
                log_job(LOG_ERR, &lj, "not run: %s while preparing it", why);
                job_stats_note(j->stats, "not run: %s", why);
                goto out;
        }
        if (client_fds) {
                /* tockctl run: the job reads and writes the caller's terminal, its output is not captured */
                in_fd = fcntl(client_fds[0], F_DUPFD_CLOEXEC, 3);
                fds[0] = -1;
                fds[1] = fcntl(client_fds[1], F_DUPFD_CLOEXEC, 3);
                err_fd = fcntl(client_fds[2], F_DUPFD_CLOEXEC, 3);
                if (in_fd < 0 || fds[1] < 0 || err_fd < 0) {
                        r = -errno;
                        log_job(LOG_ERR, &lj, "not run: %s", strerror(errno));
                        goto out;
                }
        } else {
                r = open_input(j->e, &in_fd);
                if (r >= 0 && pipe2(fds, O_CLOEXEC) < 0)
                        r = -errno;
                if (r == -EMFILE || r == -ENFILE) {
                        /* a burst used every descriptor: the run waits, in order, for a run to end */
                        defer_run(d, j, &lj);
                        r = 0;
                        goto out;
                }
                if (r < 0) {
                        log_job(LOG_ERR, &lj, "not run: cannot set up its standard input and output: %s", strerror(-r));
                        goto out;
                }
        }
        run = run_new(j, p.user);
        if (!run) {
                r = -ENOMEM;
                log_job(LOG_ERR, &lj, "not run: out of memory");
                goto out;
        }
        run->client = client;
        run->spawn_id = id;
        run->pam = p.pam;
        run->start_ns = now_mono_ns();
        run->started_at = now_real();
        if (fds[0] >= 0) {
                run->output.fd = fds[0];
                fds[0] = -1;
                (void) fcntl(run->output.fd, F_SETFL, O_NONBLOCK);
        }
        run->req = TAKE_PTR(req);
        run->req_len = req_len;
        run->req_fds[0] = in_fd;
        run->req_fds[1] = fds[1];
        run->req_fds[2] = err_fd;
        in_fd = fds[1] = err_fd = -1;
        if (!client) {
                j->stats->runs++;
                j->stats->n_running++;
                j->stats->last_at = run->started_at;
                j->stats->tail_len = 0;
                run->timeout_s = j->e->opts.timeout_s >= 0 ? j->e->opts.timeout_s : d->cfg.timeout_s;
        }
        if (!client)
                mail_prepare(d, run, j, &p);
        if (!client && over_caps(d, run)) {
                /* waits, in order, for a run to end (spawn_release_capped) */
                if (d->capped_tail)
                        d->capped_tail->capped_next = run;
                else
                        d->capped = run;
                d->capped_tail = run;
                log_job(LOG_INFO, &lj, "waiting: the concurrency cap is reached (jobs.max_running %zu, per user %zu)",
                        d->cfg.max_running, d->cfg.max_running_per_user);
        } else
                run_enqueue(d, run);
        r = 0;
out:
        if (in_fd >= 0)
                close(in_fd);
        if (err_fd >= 0)
                close(err_fd);
        if (fds[0] >= 0)
                close(fds[0]);
        if (fds[1] >= 0)
                close(fds[1]);
        free(req);
        plan_done(&p);
        return r;
}

static void run_started(struct daemon *d, struct run *r, const struct spawn_reply *rep) {
        struct log_job lj = { .table = r->table, .line = r->line, .user = r->user, .command = r->command,
                              .pid = rep->pid, .exit_status = -1, .duration_ms = -1 };

        r->pid = rep->pid;
        r->holder_pid = rep->holder;
        r->started = true;
        if (r->pid > 0)
                (void) pid_map_add(&d->pids, r);
        if (r->client) {
                char why[256];
                snprintf(why, sizeof why, "%s: %s", stage_name(rep->stage), stage_error(rep->stage, rep->err));
                control_run_started(d, r->client, r->pid,
                                    !rep->stage ? 0 : rep->stage >= SPAWN_STAGE_PAM_START ? EPERM : rep->err, why);
        }
        if (rep->stage) {
                r->exec_stage = rep->stage;
                r->exec_errno = rep->err;
                log_job(LOG_ERR, &lj, "failed before running: %s: %s", stage_name(rep->stage), stage_error(rep->stage, rep->err));
                job_stats_note(r->stats, "failed before running: %s: %s", stage_name(rep->stage),
                               stage_error(rep->stage, rep->err));
                if (r->pid <= 0)
                        run_exited(d, r, 127 << 8);
                return;
        }
        if (!r->client && r->stats) {
                r->stats->running_pid = r->pid;
                r->stats->running_since = r->started_at;
        }
        if (r->timeout_s > 0 && r->pid > 0)
                deadline_add(d, r);
        log_job(LOG_INFO, &lj, "started pid %d%s: %s", (int) r->pid, r->client ? " for tockctl run" : "", r->command);
}

/* Answers from the spawner: a run started (in request order), or a process exited. */
int spawner_handle(struct daemon *d, uint32_t events) {
        if (events & EPOLLOUT)
                (void) spawner_flush(d);
        if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;
        for (int i = 0; i < 1024; i++) {
                struct spawn_reply rep;
                ssize_t k = recv(d->spawner_io.fd, &rep, sizeof rep, 0);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return 0;
                if (k != (ssize_t) sizeof rep) {
                        spawner_lost(d);
                        return 0;
                }
                if (rep.type == SPAWN_MSG_STARTED) {
                        /* in request order but for PAM runs, which answer when their session is open */
                        struct run *r = d->pending, *prev = NULL;
                        while (r && r->spawn_id != rep.id) {
                                prev = r;
                                r = r->pending_next;
                        }
                        if (!r)
                                continue;
                        if (prev)
                                prev->pending_next = r->pending_next;
                        else
                                d->pending = r->pending_next;
                        if (d->pending_tail == r)
                                d->pending_tail = prev;
                        r->pending_next = NULL;
                        run_started(d, r, &rep);
                } else if (rep.type == SPAWN_MSG_EXITED) {
                        struct run *r = pid_map_get(&d->pids, rep.pid);
                        if (r)
                                run_exited(d, r, rep.wstatus);
                }
        }
        return 0;
}

/* The spawner died (it should not): what waited for it is failed, and a new one starts. Jobs it
 * had started are reparented to tockd, a subreaper, and reaped by reap_children(). */
void spawner_lost(struct daemon *d) {
        log_error("the spawner process died; starting a new one");
        loop_del(d, &d->spawner_io);
        closep(&d->spawner_io.fd);
        d->spawner_io.fd = -1;
        d->spawner_out = false;
        while (d->pending) {
                struct run *r = d->pending;
                struct spawn_reply rep = { .type = SPAWN_MSG_STARTED, .pid = -1, .stage = SPAWN_STAGE_FORK, .err = ECONNRESET };
                d->pending = r->pending_next;
                run_started(d, r, &rep);
        }
        d->pending_tail = NULL;
        d->unsent = d->unsent_tail = NULL;
        if (!d->stopping)
                (void) spawner_start(d);
}
