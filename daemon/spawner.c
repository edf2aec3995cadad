/* daemon/spawner.c: the spawner, a helper process tockd forks at start (spawn.c); all code here
 * runs in it or in the processes it forks. The only code that changes ids.
 *
 * Its only descriptors are its socket to tockd and a SIGCHLD signalfd, so every fork is cheap
 * and independent of tockd's size. For each request (spawn-wire.h) it forks the job's child,
 * which drops privileges and execs the job (child()), or, for a PAM run, a session holder
 * (pam_holder()) that opens the session and forks the child. Between fork() and exec() only
 * async-signal-safe calls are made; a failure is reported with the step that failed through a
 * close-on-exec pipe, so a failed drop of privileges is logged and never becomes a job running as
 * root. The spawner reaps its children (it is their subreaper, double-forks included) and reports
 * every exit to tockd. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef TOCK_PAM
#include <security/pam_appl.h>
#endif

#include "hmap.h"
#include "spawn-wire.h"
#include "util.h"

/* ---- the job's child: async-signal-safe calls only ---- */

/* What a job's child (and a PAM session holder) tell the spawner through the status pipe, one
 * message each (atomic: far below PIPE_BUF). End of file: the job is running. */
enum { STATUS_FAILED = 1, STATUS_JOB_PID };

static void status_send(int fd, int kind, int a, int b) {
        int msg[3] = { kind, a, b };
        (void) !write(fd, msg, sizeof msg);
}

_Noreturn static void child_fail(int fd, int stage, int err) {
        status_send(fd, STATUS_FAILED, stage, err);
        _exit(127);
}

static bool same_groups(const gid_t *want, int n_want) {
        gid_t have[SPAWN_MAX_GROUPS];
        int n = getgroups(SPAWN_MAX_GROUPS, have);

        if (n < 0)
                return false;
        for (int i = 0; i < n_want; i++) {
                bool found = false;
                for (int k = 0; k < n && !found; k++)
                        found = have[k] == want[i];
                if (!found)
                        return false;
        }
        for (int k = 0; k < n; k++) {
                bool found = false;
                for (int i = 0; i < n_want && !found; i++)
                        found = have[k] == want[i];
                if (!found)
                        return false;
        }
        return true;
}

_Noreturn static void child(const struct spawn_order *p, int status_fd, int in_fd, int out_fd, int err_fd) {
        static const int resources[6] = SPAWN_RLIMIT_RESOURCES;
        sigset_t none;
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        /* tockd blocks signals to read them from a signalfd; a job starts with none blocked */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                signal(s, SIG_DFL);
        if (setsid() < 0)
                child_fail(status_fd, SPAWN_STAGE_SETSID, errno);
        if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(err_fd >= 0 ? err_fd : out_fd, STDERR_FILENO) < 0)
                child_fail(status_fd, SPAWN_STAGE_STDIO, errno);
        /* limits and niceness while still privileged (raising them needs it) */
        for (int i = 0; i < 6; i++) {
                if (p->rlimits[i] == -1)
                        continue;
                rlim_t v = p->rlimits[i] == -2 ? RLIM_INFINITY : (rlim_t) p->rlimits[i];
                struct rlimit rl = { v, v };
                if (setrlimit(resources[i], &rl) < 0)
                        child_fail(status_fd, SPAWN_STAGE_LIMITS, errno);
        }
        if (p->nice) {
                errno = 0;
                if (nice(p->nice) == -1 && errno)
                        child_fail(status_fd, SPAWN_STAGE_LIMITS, errno);
        }
        if (p->drop) {
                /* raw system calls: this process has one thread, and nothing else is wanted */
                if (syscall(SYS_setgroups, (size_t) p->n_groups, p->groups) < 0)
                        child_fail(status_fd, SPAWN_STAGE_GROUPS, errno);
                if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
                        child_fail(status_fd, SPAWN_STAGE_GID, errno);
                if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
                        child_fail(status_fd, SPAWN_STAGE_UID, errno);
                /* getting root back must now be impossible */
                if (p->uid != 0 && syscall(SYS_setresuid, 0, 0, 0) == 0)
                        child_fail(status_fd, SPAWN_STAGE_VERIFY, EPERM);
                if (getresuid(&ru, &eu, &su) < 0 || ru != p->uid || eu != p->uid || su != p->uid)
                        child_fail(status_fd, SPAWN_STAGE_VERIFY, EPERM);
                if (getresgid(&rg, &eg, &sg) < 0 || rg != p->gid || eg != p->gid || sg != p->gid)
                        child_fail(status_fd, SPAWN_STAGE_VERIFY, EPERM);
                if (!same_groups(p->groups, p->n_groups))
                        child_fail(status_fd, SPAWN_STAGE_VERIFY, EPERM);
        }
        if (chdir(p->home) < 0)
                child_fail(status_fd, SPAWN_STAGE_CHDIR, errno);
        umask(p->umask);
        /* the spawner's descriptors are all close-on-exec; make sure of it for any that leaked */
        (void) syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
        char *const argv[] = { (char *) p->shell, (char *) "-c", (char *) p->command, NULL };
        execve(p->shell, argv, p->envp);
        child_fail(status_fd, SPAWN_STAGE_EXEC, errno);
}

#ifdef TOCK_PAM
/* Closes every descriptor from 3 up but the (up to four) given ones. */
static void close_all_but(int a, int b, int c, int e) {
        int keep[4] = { a, b, c, e }, from = 3;

        for (int i = 0; i < 4; i++) /* sort, few elements */
                for (int k = i + 1; k < 4; k++)
                        if (keep[k] < keep[i]) {
                                int t = keep[i];
                                keep[i] = keep[k];
                                keep[k] = t;
                        }
        for (int i = 0; i < 4; i++) {
                if (keep[i] < from)
                        continue;
                if (keep[i] > from)
                        (void) syscall(SYS_close_range, (unsigned) from, (unsigned) keep[i] - 1, 0U);
                from = keep[i] + 1;
        }
        (void) syscall(SYS_close_range, (unsigned) from, ~0U, 0U);
}

/* PAM's conversation: a cron job has no one to answer questions; messages are dropped */
static int conv_none(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
        (void) data;
        *resp = NULL;
        for (int i = 0; i < n; i++)
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
                        return PAM_CONV_ERR;
        return PAM_SUCCESS;
}

/* Ends this process the way the job ended: its exit status, or its signal (without a core). */
_Noreturn static void exit_like(int wstatus) {
        if (WIFSIGNALED(wstatus)) {
                int sig = WTERMSIG(wstatus);
                struct rlimit none = { 0, 0 };
                sigset_t m;

                (void) prctl(PR_SET_DUMPABLE, 0);
                (void) setrlimit(RLIMIT_CORE, &none);
                signal(sig, SIG_DFL);
                sigemptyset(&m);
                sigaddset(&m, sig);
                sigprocmask(SIG_UNBLOCK, &m, NULL);
                raise(sig);
                _exit(128 + sig);
        }
        _exit(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 127);
}

/* PAM's environment (pam_env) first, the job's on top: cronie's order */
static char **env_merge(char **pam_env, char **job_env) {
        size_t n = 0, k = 0;
        char **v;

        for (char **e = pam_env; e && *e; e++)
                n++;
        for (char **e = job_env; *e; e++)
                n++;
        v = calloc(n + 1, sizeof(*v));
        if (!v)
                return job_env;
        for (char **e = pam_env; e && *e; e++) {
                size_t nl = strcspn(*e, "=");
                bool overridden = false;
                for (char **j = job_env; *j && !overridden; j++)
                        overridden = strncmp(*j, *e, nl) == 0 && (*j)[nl] == '=';
                if (!overridden)
                        v[k++] = *e;
        }
        for (char **e = job_env; *e; e++)
                v[k++] = *e;
        return v;
}

/* A job in a PAM session, as cron(8) runs one: this process, still root, goes through the
 * service's account and session steps, forks the job, which inherits what the session set up
 * (pam_limits' limits, pam_loginuid's login uid, pam_env's variables), waits for it, closes the
 * session and ends as the job ended. The job's pid goes to the spawner through the status pipe. */
_Noreturn static void pam_holder(struct spawn_order *p, int status_fd, int in_fd, int out_fd, int err_fd) {
        struct pam_conv conv = { conv_none, NULL };
        pam_handle_t *h = NULL;
        sigset_t none;
        int r, wstatus = 127 << 8;
        pid_t pid;

        close_all_but(status_fd, in_fd, out_fd, err_fd);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        (void) setsid(); /* out of tockd's process group: a Ctrl-C to tockd does not end sessions */
        (void) prctl(PR_SET_NAME, "tockd-pam");
        r = pam_start_confdir(p->pam_service, p->user, &conv, *p->pam_dir ? p->pam_dir : NULL, &h);
        if (r != PAM_SUCCESS)
                child_fail(status_fd, SPAWN_STAGE_PAM_START, r);
        (void) pam_set_item(h, PAM_TTY, "cron");
        r = pam_acct_mgmt(h, PAM_SILENT);
        if (r != PAM_SUCCESS) {
                pam_end(h, r);
                child_fail(status_fd, SPAWN_STAGE_PAM_ACCOUNT, r);
        }
        r = pam_setcred(h, PAM_ESTABLISH_CRED | PAM_SILENT);
        if (r != PAM_SUCCESS) {
                pam_end(h, r);
                child_fail(status_fd, SPAWN_STAGE_PAM_CREDENTIALS, r);
        }
        r = pam_open_session(h, PAM_SILENT);
        if (r != PAM_SUCCESS) {
                (void) pam_setcred(h, PAM_DELETE_CRED | PAM_SILENT);
                pam_end(h, r);
                child_fail(status_fd, SPAWN_STAGE_PAM_SESSION, r);
        }
        char **pam_env = pam_getenvlist(h);
        p->envp = env_merge(pam_env, p->envp);
        free(pam_env); /* its strings are the merged list's now */
        pid = fork();
        if (pid == 0)
                child(p, status_fd, in_fd, out_fd, err_fd);
        if (pid < 0)
                status_send(status_fd, STATUS_FAILED, SPAWN_STAGE_FORK, errno);
        else
                status_send(status_fd, STATUS_JOB_PID, pid, 0);
        close(status_fd);
        close(in_fd);
        close(out_fd);
        if (err_fd >= 0)
                close(err_fd);
        while (pid > 0 && waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
                ;
        (void) pam_setcred(h, PAM_DELETE_CRED | PAM_SILENT);
        (void) pam_close_session(h, PAM_SILENT);
        pam_end(h, PAM_SUCCESS);
        exit_like(wstatus);
}
#endif

/* ---- the spawner process ---- */

/* PAM runs: the session holder takes as long as PAM's modules take, so the spawner does not wait
 * for it. Its status pipe is watched (holders) until end of file, then the run's answer goes to
 * tockd; while the job runs, its holder's exit stands for the job's (sessions). */
struct holder {
        int fd;
        uint32_t id;
        pid_t pid, job;
        int stage, err;
};

struct session {
        struct hmap_node node; /* in S.sessions, by the holder's pid */
        pid_t holder, job;
};

/* The spawner's whole state. Static: there is one spawner per process, and what it holds stays
 * reachable when it _exit()s (valgrind). */
static struct spawner {
        int sock;                /* to tockd */
        int sfd;                 /* SIGCHLD signalfd */
        char *buf;               /* one request, SPAWN_MSG_MAX bytes */
        char **envp;             /* its environment, decoded (here: reachable in a child that exits) */
        struct holder *holders;
        size_t n_holders, cap_holders;
        struct hmap sessions;    /* struct session of the jobs running under a holder */
        struct pollfd *pfd;      /* the socket, the signalfd, then one per holder */
        size_t cap_pfd;
} S = { .sock = -1, .sfd = -1 };

static void spawner_send(const struct spawn_reply *rep) {
        while (send(S.sock, rep, sizeof *rep, MSG_NOSIGNAL) < 0 && errno == EINTR)
                ;
}

static void session_put(pid_t holder, pid_t job) {
        struct session *x = malloc(sizeof(*x));

        /* out of memory: the exit is then reported under the holder's pid, which tockd ignores */
        if (!x)
                return;
        *x = (struct session) { .holder = holder, .job = job };
        if (hmap_add(&S.sessions, &x->node, (uint64_t) holder) < 0)
                free(x);
}

/* Returns the job of a holder and forgets it, or 0. */
static pid_t session_take(pid_t holder) {
        for (struct hmap_node *n = hmap_first(&S.sessions, (uint64_t) holder); n; n = hmap_next(n)) {
                struct session *x = HMAP_ENTRY(n, struct session, node);
                if (x->holder == holder) {
                        pid_t job = x->job;
                        hmap_del(&S.sessions, n);
                        free(x);
                        return job;
                }
        }
        return 0;
}

/* Reads what the status pipe holds; returns true at end of file. */
static bool status_read(int fd, int *stage, int *err, pid_t *job) {
        int msg[3];
        ssize_t k;

        for (;;) {
                k = read(fd, msg, sizeof msg);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return errno != EAGAIN;
                if (k == 0)
                        return true;
                if (k != (ssize_t) sizeof msg)
                        continue;
                if (msg[0] == STATUS_FAILED && !*stage) {
                        *stage = msg[1];
                        *err = msg[2];
                } else if (msg[0] == STATUS_JOB_PID)
                        *job = msg[1];
        }
}

static bool holder_read(struct holder *h) {
        return status_read(h->fd, &h->stage, &h->err, &h->job);
}

/* The holder's pipe is done: the answer goes to tockd, under the job's pid when there is a job. */
static void holder_answer(const struct holder *h) {
        struct spawn_reply rep = { .type = SPAWN_MSG_STARTED, .id = h->id, .pid = h->job > 0 ? h->job : h->pid,
                                   .stage = h->stage, .err = h->err, .holder = h->job > 0 ? h->pid : 0 };

        if (h->job > 0)
                session_put(h->pid, h->job);
        close(h->fd);
        spawner_send(&rep);
}

static void holder_finish(size_t i) {
        holder_answer(&S.holders[i]);
        S.holders[i] = S.holders[--S.n_holders];
}

static void holder_add(uint32_t id, pid_t pid, int fd) {
        struct holder h = { .fd = fd, .id = id, .pid = pid };

        if (S.n_holders == S.cap_holders) {
                size_t cap = S.cap_holders ? S.cap_holders * 2 : 16;
                struct holder *v = reallocarray(S.holders, cap, sizeof(*v));
                if (!v) {
                        /* no room to watch it: wait for it instead */
                        while (!holder_read(&h))
                                ;
                        holder_answer(&h);
                        return;
                }
                S.holders = v;
                S.cap_holders = cap;
        }
        (void) fcntl(fd, F_SETFL, O_NONBLOCK);
        S.holders[S.n_holders++] = h;
}

static void sigchld_drain(void) {
        struct signalfd_siginfo si;
        while (read(S.sfd, &si, sizeof si) > 0)
                ;
}

static void spawner_reap(void) {
        for (;;) {
                int wstatus;
                pid_t pid = waitpid(-1, &wstatus, WNOHANG), job;
                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid <= 0)
                        return;
                /* a holder that ended before its pipe was read: its answer first */
                for (size_t i = 0; i < S.n_holders; i++)
                        if (S.holders[i].pid == pid) {
                                (void) fcntl(S.holders[i].fd, F_SETFL, 0);
                                while (!holder_read(&S.holders[i]))
                                        ;
                                holder_finish(i);
                                break;
                        }
                job = session_take(pid);
                struct spawn_reply rep = { .type = SPAWN_MSG_EXITED, .pid = job > 0 ? job : pid, .wstatus = wstatus };
                spawner_send(&rep);
        }
}

/* Out of processes or memory for a moment (EAGAIN, ENOMEM): the runs that ended are reaped first
 * (a zombie still counts against RLIMIT_NPROC and a pids cgroup), then the fork is tried again,
 * up to 3 more times over at most 350 ms, each wait cut short when a child exits. */
static pid_t fork_retry(void) {
        for (int attempt = 0;; attempt++) {
                pid_t pid = fork();
                if (pid >= 0 || (errno != EAGAIN && errno != ENOMEM) || attempt == 3)
                        return pid;
                int err = errno;
                spawner_reap();
                if (S.sfd >= 0) {
                        struct pollfd p = { .fd = S.sfd, .events = POLLIN };
                        (void) poll(&p, 1, 50 << attempt); /* 50, 100, 200 ms */
                        sigchld_drain();
                }
                spawner_reap();
                errno = err;
        }
}

static void answer_failed(uint32_t id, int stage, int err) {
        struct spawn_reply rep = { .type = SPAWN_MSG_STARTED, .pid = -1, .id = id, .stage = stage, .err = err };
        spawner_send(&rep);
}

/* Forks the job (or its PAM session holder) of a decoded request and answers tockd, or leaves
 * the answer to the holder's pipe. */
static void start_order(struct spawn_order *p, int in_fd, int out_fd, int err_fd) {
        struct spawn_reply rep = { .type = SPAWN_MSG_STARTED, .pid = -1, .id = p->id };
        int st[2];
        pid_t pid;

#ifndef TOCK_PAM
        if (p->pam) {
                answer_failed(p->id, SPAWN_STAGE_PAM_START, 0);
                return;
        }
#endif
        if (pipe2(st, O_CLOEXEC) < 0) {
                answer_failed(p->id, SPAWN_STAGE_FORK, errno);
                return;
        }
        pid = fork_retry();
        if (pid == 0) {
#ifdef TOCK_PAM
                if (p->pam)
                        pam_holder(p, st[1], in_fd, out_fd, err_fd);
#endif
                child(p, st[1], in_fd, out_fd, err_fd);
        }
        close(st[1]);
        if (pid > 0 && p->pam) {
                holder_add(p->id, pid, st[0]);
                return;
        }
        if (pid < 0) {
                rep.stage = SPAWN_STAGE_FORK;
                rep.err = errno;
        } else {
                /* end of file: the exec happened; a message: where the child failed */
                pid_t job = 0;
                rep.pid = pid;
                while (!status_read(st[0], &rep.stage, &rep.err, &job))
                        ;
        }
        close(st[0]);
        spawner_send(&rep);
}

/* Starts the job of one request. `in_fd`, `out_fd`, `err_fd` stay the caller's. */
static void spawner_start_one(size_t len, int in_fd, int out_fd, int err_fd) {
        struct spawn_order p;

        if (spawn_wire_decode(S.buf, len, &p) < 0) {
                struct spawn_req h = {}; /* its id, when there is one, so that tockd can fail the run */
                if (len >= sizeof h)
                        memcpy(&h, S.buf, sizeof h);
                answer_failed(h.id, SPAWN_STAGE_FORK, EBADMSG);
                return;
        }
        if (in_fd < 0 || out_fd < 0)
                answer_failed(p.id, SPAWN_STAGE_FORK, EBADMSG);
        else {
                S.envp = p.envp;
                start_order(&p, in_fd, out_fd, err_fd);
        }
        free(p.envp);
        S.envp = NULL;
}

/* Receives one request with its descriptors and starts it; returns false when tockd is gone. */
static bool spawner_receive(void) {
        char cbuf[CMSG_SPACE(3 * sizeof(int))];
        struct iovec iov = { S.buf, SPAWN_MSG_MAX };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
        int fds[3] = { -1, -1, -1 };
        ssize_t k = recvmsg(S.sock, &mh, MSG_CMSG_CLOEXEC);

        if (k < 0 && errno == EINTR)
                return true;
        if (k <= 0)
                return false;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            (c->cmsg_len == CMSG_LEN(2 * sizeof(int)) || c->cmsg_len == CMSG_LEN(3 * sizeof(int))))
                memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
        else if (c && c->cmsg_type == SCM_RIGHTS) {
                /* close whatever came, it is not what we expect */
                int *got = (int *) (void *) CMSG_DATA(c);
                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                        close(got[i]);
        }
        spawner_start_one((mh.msg_flags & MSG_TRUNC) ? 0 : (size_t) k, fds[0], fds[1], fds[2]);
        for (int i = 0; i < 3; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        return true;
}

/* Waits for the socket, the signalfd and the holders' pipes; returns how many holders it polled. */
static size_t spawner_poll(void) {
        for (;;) {
                if (S.cap_pfd < S.n_holders + 2) {
                        struct pollfd *v = reallocarray(S.pfd, S.n_holders + 2, sizeof(*v));
                        if (!v)
                                _exit(1);
                        S.pfd = v;
                        S.cap_pfd = S.n_holders + 2;
                }
                S.pfd[0] = (struct pollfd) { .fd = S.sock, .events = POLLIN };
                S.pfd[1] = (struct pollfd) { .fd = S.sfd, .events = POLLIN };
                for (size_t i = 0; i < S.n_holders; i++)
                        S.pfd[2 + i] = (struct pollfd) { .fd = S.holders[i].fd, .events = POLLIN };
                if (poll(S.pfd, 2 + S.n_holders, -1) >= 0)
                        return S.n_holders;
                if (errno != EINTR)
                        _exit(1);
        }
}

_Noreturn void spawner_main(int sock) {
        sigset_t mask;

        (void) prctl(PR_SET_NAME, "tockd-spawner");
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        S.sock = sock;
        S.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        S.buf = malloc(SPAWN_MSG_MAX);
        if (!S.buf || S.sfd < 0)
                _exit(1);
        for (;;) {
                size_t n_polled = spawner_poll();

                /* holders first (backwards: finishing one moves the last into its place) */
                for (size_t i = n_polled; i-- > 0;)
                        if (S.pfd[2 + i].revents && i < S.n_holders && S.holders[i].fd == S.pfd[2 + i].fd &&
                            holder_read(&S.holders[i]))
                                holder_finish(i);
                if (S.pfd[1].revents) {
                        sigchld_drain();
                        spawner_reap();
                }
                if (S.pfd[0].revents && !spawner_receive())
                        _exit(0); /* tockd is gone: jobs go on, reparented to init */
        }
}
