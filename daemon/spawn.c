/* daemon/spawn.c: starting a job as its owner, tockd's side: who a run runs as and with what
 * environment (its plan), its request to the spawner, and the spawner's answers.
 *
 * tockd does not fork jobs itself. At start it forks one small helper, the spawner (spawner.c),
 * whose only descriptors are a socket to tockd and its signalfd. For each run tockd sends it a
 * request (ids, groups, home, shell, argv, environment; spawn-wire.h) with the job's stdin and
 * stdout as SCM_RIGHTS, and the spawner forks the job. This keeps every fork cheap and
 * independent of tockd's size: a child of tockd would copy a descriptor table holding the pipes
 * of every running job and close them all again at exec, making a burst of 10,000 simultaneous
 * jobs quadratic. The spawner answers each request (in request order, but for PAM runs) and
 * reports every exit. Changing ids is the spawner's alone (spawner.c). */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef TOCK_PAM
#include <security/pam_appl.h>
#endif

#include "log.h"
#include "spawn.h"
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

/* ---- the spawner process, from tockd ---- */

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
        d->spawner.pid = pid;
        d->spawner.io = (struct io_source) { .kind = IO_SPAWNER, .fd = sv[0] };
        if (loop_add(d, &d->spawner.io, EPOLLIN) < 0)
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

        d->spawner.pam = false;
#ifndef TOCK_PAM
        why = "tockd was built without PAM";
        (void) service;
#else
        if (d->cfg.container && !*service)
                why = "the container mode (--table alone)";
        else if (!*service)
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
                for (size_t i = 0; i < 2 && dirs[i] && !d->spawner.pam; i++) {
                        snprintf(path, sizeof path, "%s/%s", dirs[i], service);
                        d->spawner.pam = access(path, R_OK) == 0;
                }
                if (!d->spawner.pam)
                        why = "the system has no such PAM service";
        }
#endif
        if (d->spawner.pam)
                log_info("jobs go through the PAM service '%s' (%s)", service, path);
        else
                log_info("jobs run without PAM: %s", why);
}


void spawn_plan_done(struct spawn_plan *p) {
        for (size_t i = 0; i < p->n_env; i++)
                free(p->envp[i]);
        free(p->envp);
        free(p->home);
        free(p->user);
        free(p->shell);
}

int spawn_plan_setenv(struct spawn_plan *p, const char *name, const char *value) {
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
int spawn_plan_env(struct spawn_plan *p, const char *shell_default, const char *path_default, const struct crontab *ct,
                   const struct entry *e) {
        int r = 0;

        r |= spawn_plan_setenv(p, "HOME", p->home);
        r |= spawn_plan_setenv(p, "LOGNAME", p->user);
        r |= spawn_plan_setenv(p, "USER", p->user);
        r |= spawn_plan_setenv(p, "SHELL", shell_default);
        r |= spawn_plan_setenv(p, "PATH", path_default);
        for (size_t i = 0; i < e->n_env && r == 0; i++) {
                const struct env_var *ev = &ct->env[i];
                if (streq(ev->name, "LOGNAME") || streq(ev->name, "USER"))
                        continue;
                r |= spawn_plan_setenv(p, ev->name, ev->value);
        }
        if (r < 0)
                return -ENOMEM;
        const char *shell = crontab_env_get(ct, e, "SHELL");
        const char *home = crontab_env_get(ct, e, "HOME");
        p->shell = strdup(shell ? shell : shell_default);
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

/* jobs.inherit_env: tockd's own environment, as supercronic gives it, less what speaks to tockd
 * alone (systemd's notify socket, socket activation, the watchdog, the journal stream) */
static int plan_inherit_env(struct spawn_plan *p) {
        static const char *const own[] = { "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
                                           "WATCHDOG_PID", "WATCHDOG_USEC", "JOURNAL_STREAM" };

        for (char **e = environ; *e; e++) {
                size_t nl = strcspn(*e, "=");
                bool skip = nl == 0 || !(*e)[nl];
                _cleanup_free_ char *name = NULL;

                for (size_t i = 0; i < ELEMENTSOF(own) && !skip; i++)
                        skip = strlen(own[i]) == nl && strncmp(*e, own[i], nl) == 0;
                if (skip)
                        continue;
                if (!(name = strndup(*e, nl)) || spawn_plan_setenv(p, name, *e + nl + 1) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int plan_identity(struct spawn_plan *p, struct daemon *d, const char *user) {
        const struct user_info *u;
        int r = d->uid == 0 ? users_get_with_groups(&d->users, user, &u)
                            : (u = users_get(&d->users, user)) ? 0 : -ESRCH;

        if (r < 0)
                return r;
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
                .id = d->spawner.seq + 1, .uid = p->uid, .gid = p->gid, .groups = p->groups,
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
        *ret_id = ++d->spawner.seq;
        return 0;
}

/* `input`: the entry's standard input, or NULL for /dev/null */
static int open_input(const char *input, int *ret_read_fd) {
        int fds[2];

        if (!input) {
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
        size_t len = strlen(input);
        (void) fcntl(fds[1], F_SETFL, O_NONBLOCK);
        if (write(fds[1], input, len) != (ssize_t) len) {
                int r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r ? r : -EPIPE;
        }
        close(fds[1]);
        *ret_read_fd = fds[0];
        return 0;
}

/* ---- the queue to the spawner ---- */

/* Sends the requests waiting in order; stops at a full socket (then EPOLLOUT brings us back). */
int spawner_flush(struct daemon *d) {
        struct run *r;

        while ((r = d->runs.by_state[RUN_UNSENT].head)) {
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
                if (sendmsg(d->spawner.io.fd, &mh, MSG_NOSIGNAL) < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                if (!d->spawner.out) {
                                        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = &d->spawner.io };
                                        (void) epoll_ctl(d->loop.epoll_fd, EPOLL_CTL_MOD, d->spawner.io.fd, &ev);
                                        d->spawner.out = true;
                                }
                                return 0;
                        }
                        return log_errno(errno, "cannot reach the spawner");
                }
                run_event(d, r, RUN_EV_SENT); /* closes our copies of the job's descriptors */
        }
        if (d->spawner.out) {
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->spawner.io };
                (void) epoll_ctl(d->loop.epoll_fd, EPOLL_CTL_MOD, d->spawner.io.fd, &ev);
                d->spawner.out = false;
        }
        return 0;
}

/* Its answers come in request order (but for PAM runs): the request queues behind the others. */
void spawn_submit(struct daemon *d, struct run *r) {
        run_event(d, r, RUN_EV_SUBMIT);
        if (r->output.fd >= 0 && loop_add(d, &r->output, EPOLLIN) < 0)
                log_error("%s:%u: cannot watch the run's output; it is lost", r->table, r->line);
        if (r->errput.fd >= 0 && loop_add(d, &r->errput, EPOLLIN) < 0)
                log_error("%s:%u: cannot watch the run's standard error; it is lost", r->table, r->line);
        if (!d->spawner.out)
                (void) spawner_flush(d);
}

/* The job's descriptors for a run: fd[0] its stdin, fd[1] its stdout (and stderr), fd[2] its
 * stderr or -1, and out_read (err_read) tockd's end of the output (stderr) pipe or -1. */
struct run_fds {
        int fd[3];
        int out_read, err_read;
};

static void run_fds_done(struct run_fds *f) {
        for (int i = 0; i < 3; i++)
                closep(&f->fd[i]);
        closep(&f->out_read);
        closep(&f->err_read);
}

/* Gives a prepared run its request and descriptors (taken) and starts its clock. */
static void run_load(struct run *run, uint32_t id, char **req, size_t req_len, struct run_fds *f) {
        run->spawn_id = id;
        run->req = TAKE_PTR(*req);
        run->req_len = req_len;
        for (int i = 0; i < 3; i++)
                run->req_fds[i] = TAKE_FD(f->fd[i]);
        run->output.fd = TAKE_FD(f->out_read);
        if (run->output.fd >= 0)
                (void) fcntl(run->output.fd, F_SETFL, O_NONBLOCK);
        run->errput.fd = TAKE_FD(f->err_read);
        run->split = run->errput.fd >= 0;
        if (run->errput.fd >= 0)
                (void) fcntl(run->errput.fd, F_SETFL, O_NONBLOCK);
        run->start_ns = now_mono_ns();
        run->started_at = now_real();
}

/* ---- helper runs (mail.c) ---- */

int spawn_plan_helper(struct daemon *d, const struct run *jr, struct spawn_plan *p) {
        int r = plan_identity(p, d, jr->user);
        if (r < 0)
                return r;
        p->pam = jr->pam && p->drop && d->spawner.pam;
        if (spawn_plan_setenv(p, "HOME", p->home) < 0 || spawn_plan_setenv(p, "LOGNAME", p->user) < 0 ||
            spawn_plan_setenv(p, "USER", p->user) < 0 || spawn_plan_setenv(p, "PATH", d->cfg.path) < 0 ||
            spawn_plan_setenv(p, "SHELL", "/bin/sh") < 0)
                return -ENOMEM;
        return 0;
}

int spawn_helper(struct daemon *d, const struct run *jr, enum run_kind kind, struct spawn_plan *p, const char *command,
                 int in_fd, const char *what, const char *mail_to) {
        struct run_fds f = { { in_fd, -1, -1 }, -1, -1 };
        _cleanup_free_ char *req = NULL;
        struct run *run = NULL;
        size_t req_len;
        uint32_t id;
        int fds[2], r;

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
        f.out_read = fds[0];
        f.fd[1] = fds[1];
        run = run_new(kind, jr->table, jr->line, jr->user, what, NULL); /* no stats, no caps */
        if (!run || (mail_to && !(run->mail_to = strdup(mail_to)))) {
                r = -ENOMEM;
                goto out;
        }
        run->pam = p->pam;
        run_load(run, id, &req, req_len, &f);
        spawn_submit(d, TAKE_PTR(run));
        r = 0;
out:
        if (run)
                run_free(d, run);
        run_fds_done(&f);
        return r;
}

/* ---- a job's run ---- */

/* Plans the run of `j` as `user` and encodes its request; logs why not. `scheduled`: not a
 * `tockctl run` (which access.c has already checked against cron.allow / cron.deny). */
static int job_plan(struct daemon *d, const struct job *j, const char *user, bool scheduled, const struct log_job *lj,
                    struct spawn_plan *p, char **ret_req, size_t *ret_len, uint32_t *ret_id) {
        int r = plan_identity(p, d, user);

        if (r == -ESRCH) {
                job_event(LOG_ERR, lj, j->stats, "not run: no such user '%s'", user);
                return r;
        }
        if (r == -EPERM) {
                job_event(LOG_ERR, lj, j->stats, "not run: tockd runs as uid %u and cannot run jobs as '%s'", (unsigned) d->uid,
                          user);
                return r;
        }
        /* the table was loaded as the file of a user of that name who is gone: the name went to
         * another uid since (the loader refuses the file at its next reading) */
        if (r == 0 && j->table->kind == TABLE_SPOOL && j->table->owner_uid != access_file_owner(d->uid, p->uid)) {
                job_event(LOG_ERR, lj, j->stats, "not run: its table belongs to uid %u, and '%s' is now uid %u",
                          (unsigned) j->table->owner_uid, user, (unsigned) p->uid);
                return -EPERM;
        }
        /* cron(8): the table of a user cron.allow / cron.deny refuses does not run */
        if (r == 0 && scheduled && j->table->kind == TABLE_SPOOL &&
            !access_user_allowed(d, user)) {
                job_event(LOG_WARNING, lj, j->stats, "not run: %s is not allowed to use cron (%s / %s)", user,
                          d->cfg.cron_allow, d->cfg.cron_deny);
                return -EACCES;
        }
        /* PAM as cron(8) uses it, for the system's tables; not for a single table (containers) */
        p->pam = r == 0 && p->drop && d->spawner.pam && j->table->kind != TABLE_SINGLE;
        /* inherited: PATH too, when tockd has one; HOME, LOGNAME, USER and SHELL are cron's */
        const char *path = d->cfg.inherit_env && getenv("PATH") ? getenv("PATH") : d->cfg.path;
        if (r == 0 && d->cfg.inherit_env)
                r = plan_inherit_env(p);
        char fire[24];
        snprintf(fire, sizeof fire, "%lld", (long long) d->sched.firing_at);
        if (r < 0 || (r = spawn_plan_env(p, d->cfg.shell, path, j->table->ct, job_entry(j))) < 0 ||
            (scheduled && d->sched.firing_at && (r = spawn_plan_setenv(p, "TOCK_FIRE_TIME", fire)) < 0) ||
            (r = encode_req(p, d, job_command(j), ret_req, ret_len, ret_id)) < 0) {
                const char *why = r == -E2BIG ? "too many groups or too large an environment" : strerror(-r);
                job_event(LOG_ERR, lj, j->stats, "not run: %s while preparing it", why);
                return r;
        }
        return 0;
}

/* The job's descriptors: tockctl run's own (`client_fds`), or /dev/null or its % input and a
 * pipe for its output. Returns -EMFILE or -ENFILE unlogged (the run then waits), other errors
 * logged. */
static int job_fds(struct daemon *d, const struct job *j, const int client_fds[3], const struct log_job *lj,
                   struct run_fds *f) {
        int fds[2], r;

        if (client_fds) {
                /* tockctl run: the job reads and writes the caller's terminal, its output is not captured */
                for (int i = 0; i < 3; i++)
                        if ((f->fd[i] = fcntl(client_fds[i], F_DUPFD_CLOEXEC, 3)) < 0) {
                                r = -errno;
                                log_job(LOG_ERR, lj, "not run: %s", strerror(-r));
                                return r == -EMFILE || r == -ENFILE ? -EIO : r; /* not deferred: the caller waits */
                        }
                return 0;
        }
        r = open_input(entry_input(j->table->ct, job_entry(j)), &f->fd[0]);
        if (r >= 0 && pipe2(fds, O_CLOEXEC) < 0)
                r = -errno;
        if (r == -EMFILE || r == -ENFILE)
                return r;
        if (r < 0) {
                log_job(LOG_ERR, lj, "not run: cannot set up its standard input and output: %s", strerror(-r));
                return r;
        }
        f->out_read = fds[0];
        f->fd[1] = fds[1];
        /* JSON logs tag each line with its stream: stderr gets a pipe of its own */
        if (d->cfg.log_format == LOG_FORMAT_JSON) {
                if (pipe2(fds, O_CLOEXEC) < 0) {
                        r = -errno;
                        if (r != -EMFILE && r != -ENFILE)
                                log_job(LOG_ERR, lj, "not run: cannot set up its standard error: %s", strerror(-r));
                        return r;
                }
                f->err_read = fds[0];
                f->fd[2] = fds[1];
        }
        return 0;
}

int job_spawn(struct daemon *d, struct job *j, const int client_fds[3], struct client *client) {
        const char *user = job_user(j);
        struct log_job lj = { .table = j->table->name, .line = job_entry(j)->line, .user = user, .command = job_command(j),
                              .exit_status = -1, .duration_ms = -1, .name = job_opts(j)->name };
        enum run_kind kind = client_fds ? RUN_MANUAL : RUN_SCHEDULED;
        struct run_fds f = { { -1, -1, -1 }, -1, -1 };
        _cleanup_free_ char *req = NULL;
        struct spawn_plan p = {};
        struct run *run;
        size_t req_len;
        uint32_t id = 0;
        int r;

        if (!job_stats_get(j)) {
                log_job(LOG_ERR, &lj, "not run: out of memory");
                return -ENOMEM;
        }
        r = job_plan(d, j, user, kind == RUN_SCHEDULED, &lj, &p, &req, &req_len, &id);
        if (r < 0)
                goto out;
        r = job_fds(d, j, client_fds, &lj, &f);
        if (r == -EMFILE || r == -ENFILE) {
                /* a burst used every descriptor: the run waits, in order, for a run to end */
                admit_defer(d, j, &lj);
                r = 0;
                goto out;
        }
        if (r < 0)
                goto out;
        run = run_new(kind, j->table->name, job_entry(j)->line, p.user, job_command(j), j->stats);
        if (!run) {
                r = -ENOMEM;
                log_job(LOG_ERR, &lj, "not run: out of memory");
                goto out;
        }
        run->client = client;
        run->pam = p.pam;
        if (job_opts(j)->name && !(run->name = strdup(job_opts(j)->name)))
                log_job(LOG_WARNING, &lj, "out of memory: its name is left out of the log");
        run_load(run, id, &req, req_len, &f);
        if (kind == RUN_SCHEDULED) {
                j->stats->runs++;
                j->stats->n_running++;
                j->stats->last_at = run->started_at;
                j->stats->tail_len = 0;
                run->timeout_s = job_opts(j)->timeout_s >= 0 ? job_opts(j)->timeout_s : d->cfg.timeout_s;
                mail_prepare(d, run, j, &p);
        }
        if (kind == RUN_SCHEDULED && admit_over_caps(d, run)) {
                /* waits, in order, for a run to end (admit_run_ended()) */
                run_event(d, run, RUN_EV_CAP);
                log_job(LOG_INFO, &lj, "waiting: the concurrency cap is reached (jobs.max_running %zu, per user %zu)",
                        d->cfg.max_running, d->cfg.max_running_per_user);
        } else
                spawn_submit(d, run);
        r = 0;
out:
        run_fds_done(&f);
        spawn_plan_done(&p);
        return r;
}

/* The spawner's answer to a run's request: its job runs, or could not start. */
static void run_started(struct daemon *d, struct run *r, const struct spawn_reply *rep) {
        struct log_job lj = { .table = r->table, .line = r->line, .user = r->user, .command = r->command,
                              .pid = rep->pid, .exit_status = -1, .duration_ms = -1, .name = r->name };

        r->pid = rep->pid;
        r->holder_pid = rep->holder;
        run_event(d, r, RUN_EV_ANSWERED);
        if (r->client) {
                char why[256];
                snprintf(why, sizeof why, "%s: %s", stage_name(rep->stage), stage_error(rep->stage, rep->err));
                control_run_started(d, r->client, r->pid,
                                    !rep->stage ? 0 : rep->stage >= SPAWN_STAGE_PAM_START ? EPERM : rep->err, why);
        }
        if (rep->stage) {
                r->exec_stage = rep->stage;
                r->exec_errno = rep->err;
                lj.event = "failed";
                job_event(LOG_ERR, &lj, r->stats, "failed before running: %s: %s", stage_name(rep->stage),
                          stage_error(rep->stage, rep->err));
                if (r->pid <= 0)
                        run_exited(d, r, 127 << 8);
                return;
        }
        if (r->kind == RUN_SCHEDULED) {
                r->stats->running_pid = r->pid;
                r->stats->running_since = r->started_at;
                job_stats_started(r->stats);
        }
        if (r->timeout_s > 0 && r->pid > 0)
                run_timeout_start(d, r);
        lj.event = "started";
        log_job(LOG_INFO, &lj, "started pid %d%s: %s", (int) r->pid, r->kind == RUN_MANUAL ? " for tockctl run" : "",
                r->command);
        if (d->cfg.job_output == JOB_OUTPUT_LINES)
                run_emit_kept(r); /* what it printed before this answer came */
        /* on_stop=term sent SIGTERM to the runs going on when the stop began: one whose start was
         * still on its way gets it now */
        if (d->stopping && d->stop_policy == ON_STOP_TERM && r->pid > 0)
                (void) kill(-r->pid, SIGTERM);
}

/* Answers from the spawner: a run started (in request order), or a process exited. */
int spawner_handle(struct daemon *d, uint32_t events) {
        if (events & EPOLLOUT)
                (void) spawner_flush(d);
        if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;
        for (int i = 0; i < 1024; i++) {
                struct spawn_reply rep;
                ssize_t k = recv(d->spawner.io.fd, &rep, sizeof rep, 0);
                struct run *r = NULL;

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return 0;
                if (k != (ssize_t) sizeof rep) {
                        spawner_lost(d);
                        return 0;
                }
                if (rep.type == SPAWN_MSG_STARTED && (r = run_pending(d, rep.id)))
                        run_started(d, r, &rep);
                else if (rep.type == SPAWN_MSG_EXITED && (r = run_by_pid(d, rep.pid)))
                        run_exited(d, r, rep.wstatus);
        }
        return 0;
}

/* The spawner died (it should not): what waited for it is failed, in request order, and a new one
 * starts. Jobs it had started are reparented to tockd, a subreaper, and reaped by reap_children(). */
/* At stop: the spawner sees end of file and exits; it is waited for, so that it is gone when
 * tockd is (its jobs go on, reparented to init). */
void spawner_done(struct daemon *d) {
        closep(&d->spawner.io.fd);
        d->spawner.io.fd = -1;
        if (d->spawner.pid > 0)
                (void) waitpid(d->spawner.pid, NULL, 0);
        d->spawner.pid = 0;
}

void spawner_lost(struct daemon *d) {
        struct spawn_reply rep = { .type = SPAWN_MSG_STARTED, .pid = -1, .stage = SPAWN_STAGE_FORK, .err = ECONNRESET };
        struct run *r;

        log_error("the spawner process died; starting a new one");
        loop_del(d, &d->spawner.io);
        closep(&d->spawner.io.fd);
        d->spawner.io.fd = -1;
        d->spawner.out = false;
        while ((r = d->runs.by_state[RUN_PENDING].head) || (r = d->runs.by_state[RUN_UNSENT].head))
                run_started(d, r, &rep);
        if (!d->stopping)
                (void) spawner_start(d);
}
