/* daemon/spawn.c: starting a job as its owner. The only file that changes ids.
 *
 * tockd does not fork jobs itself. At start it forks one small helper, the spawner, whose only
 * descriptors are a socket to tockd and its signalfd. For each run tockd sends it a request (ids,
 * groups, home, shell, argv, environment) with the job's stdin and stdout as SCM_RIGHTS, and the
 * spawner forks the job. This keeps every fork cheap and independent of tockd's size: a child of
 * tockd would copy a descriptor table holding the pipes of every running job and close them all
 * again at exec, making a burst of 10,000 simultaneous jobs quadratic.
 *
 * In the job's child, between fork() and exec(), only async-signal-safe calls are made; a failure
 * is reported with the step that failed through a close-on-exec pipe, so a failed drop of
 * privileges is logged and never becomes a job running as root. The spawner reaps its children
 * (it is their subreaper, double-forks included) and reports every exit to tockd. */
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef TOCK_PAM
#include <security/pam_appl.h>
#endif

#include "log.h"
#include "tockd.h"
#include "util.h"

#define MAX_GROUPS 1024
#define SPAWN_MSG_MAX (256u * 1024) /* one request: a table's environment must fit in it */

enum child_stage {
        STAGE_SETSID = 1,
        STAGE_STDIO,
        STAGE_GROUPS,
        STAGE_GID,
        STAGE_UID,
        STAGE_VERIFY,
        STAGE_CHDIR,
        STAGE_EXEC,
        STAGE_FORK,
        STAGE_LIMITS,
        STAGE_PAM_START, /* the PAM stages carry a PAM error code, not an errno */
        STAGE_PAM_ACCOUNT,
        STAGE_PAM_CREDENTIALS,
        STAGE_PAM_SESSION,
};

static const char *stage_name(int s) {
        static const char *const names[] = {
                [STAGE_SETSID] = "starting a session", [STAGE_STDIO] = "setting up standard input and output",
                [STAGE_GROUPS] = "setting supplementary groups", [STAGE_GID] = "setting the group id",
                [STAGE_UID] = "setting the user id", [STAGE_VERIFY] = "verifying the dropped privileges",
                [STAGE_CHDIR] = "changing to the home directory", [STAGE_EXEC] = "executing the shell",
                [STAGE_FORK] = "forking", [STAGE_LIMITS] = "setting the resource limits and nice level",
                [STAGE_PAM_START] = "starting PAM", [STAGE_PAM_ACCOUNT] = "PAM's account check",
                [STAGE_PAM_CREDENTIALS] = "setting PAM credentials", [STAGE_PAM_SESSION] = "opening the PAM session",
        };
        return s > 0 && s < (int) ELEMENTSOF(names) && names[s] ? names[s] : "starting";
}

/* Why a stage failed: an errno, or for the PAM stages, PAM's own words */
static const char *stage_error(int stage, int err) {
#ifdef TOCK_PAM
        if (stage >= STAGE_PAM_START)
                return pam_strerror(NULL, err);
#else
        (void) stage;
#endif
        return strerror(err);
}

/* ---- the wire between tockd and the spawner (one SOCK_SEQPACKET message each) ---- */

enum { MSG_SPAWN = 1, MSG_STARTED, MSG_EXITED };

/* tockd -> spawner; followed by n_groups gid_t, then NUL-terminated strings: home, shell,
 * command, user, PAM service, PAM directory, then n_env "NAME=value"; with two or three fds: the
 * job's stdin, its stdout (and stderr), its stderr */
struct spawn_req {
        uint32_t type, uid, gid, n_groups, umask, drop, n_env, len_strings;
        int32_t nice;
        uint32_t id;  /* comes back in MSG_STARTED */
        uint32_t pam; /* open a PAM session (in a process that holds it while the job runs) */
        uint32_t pad;
        int64_t rlimits[6]; /* as struct config: -1 inherit, -2 infinity */
};

static const int rlimit_resources[6] = { RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_AS, RLIMIT_CPU, RLIMIT_CORE, RLIMIT_FSIZE };

/* spawner -> tockd */
struct spawn_reply {
        uint32_t type;
        int32_t pid;
        int32_t stage, err; /* MSG_STARTED: 0, or where and why the job could not start */
        int32_t wstatus;    /* MSG_EXITED */
        uint32_t id;        /* MSG_STARTED: the request's */
        int32_t holder;     /* MSG_STARTED: the PAM session holder whose child the job is, or 0 */
};

/* ---- the job's child: async-signal-safe calls only ---- */

struct child_plan {
        int nice;
        int64_t rlimits[6];
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        int n_groups;
        bool drop, pam;
        unsigned umask;
        const char *home, *shell, *user, *pam_service, *pam_dir;
        char *argv[4];
        char **envp;
};

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
        gid_t have[MAX_GROUPS];
        int n = getgroups(MAX_GROUPS, have);

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

_Noreturn static void child(const struct child_plan *p, int status_fd, int in_fd, int out_fd, int err_fd) {
        sigset_t none;
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        /* tockd blocks signals to read them from a signalfd; a job starts with none blocked */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                signal(s, SIG_DFL);
        if (setsid() < 0)
                child_fail(status_fd, STAGE_SETSID, errno);
        if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(err_fd >= 0 ? err_fd : out_fd, STDERR_FILENO) < 0)
                child_fail(status_fd, STAGE_STDIO, errno);
        /* limits and niceness while still privileged (raising them needs it) */
        for (int i = 0; i < 6; i++) {
                if (p->rlimits[i] == -1)
                        continue;
                rlim_t v = p->rlimits[i] == -2 ? RLIM_INFINITY : (rlim_t) p->rlimits[i];
                struct rlimit rl = { v, v };
                if (setrlimit(rlimit_resources[i], &rl) < 0)
                        child_fail(status_fd, STAGE_LIMITS, errno);
        }
        if (p->nice) {
                errno = 0;
                if (nice(p->nice) == -1 && errno)
                        child_fail(status_fd, STAGE_LIMITS, errno);
        }
        if (p->drop) {
                /* raw system calls: this process has one thread, and nothing else is wanted */
                if (syscall(SYS_setgroups, (size_t) p->n_groups, p->groups) < 0)
                        child_fail(status_fd, STAGE_GROUPS, errno);
                if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
                        child_fail(status_fd, STAGE_GID, errno);
                if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
                        child_fail(status_fd, STAGE_UID, errno);
                /* getting root back must now be impossible */
                if (p->uid != 0 && syscall(SYS_setresuid, 0, 0, 0) == 0)
                        child_fail(status_fd, STAGE_VERIFY, EPERM);
                if (getresuid(&ru, &eu, &su) < 0 || ru != p->uid || eu != p->uid || su != p->uid)
                        child_fail(status_fd, STAGE_VERIFY, EPERM);
                if (getresgid(&rg, &eg, &sg) < 0 || rg != p->gid || eg != p->gid || sg != p->gid)
                        child_fail(status_fd, STAGE_VERIFY, EPERM);
                if (!same_groups(p->groups, p->n_groups))
                        child_fail(status_fd, STAGE_VERIFY, EPERM);
        }
        if (chdir(p->home) < 0)
                child_fail(status_fd, STAGE_CHDIR, errno);
        umask(p->umask);
        /* the spawner's descriptors are all close-on-exec; make sure of it for any that leaked */
        (void) syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
        execve(p->shell, p->argv, p->envp);
        child_fail(status_fd, STAGE_EXEC, errno);
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
_Noreturn static void pam_holder(struct child_plan *p, int status_fd, int in_fd, int out_fd, int err_fd) {
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
                child_fail(status_fd, STAGE_PAM_START, r);
        (void) pam_set_item(h, PAM_TTY, "cron");
        r = pam_acct_mgmt(h, PAM_SILENT);
        if (r != PAM_SUCCESS) {
                pam_end(h, r);
                child_fail(status_fd, STAGE_PAM_ACCOUNT, r);
        }
        r = pam_setcred(h, PAM_ESTABLISH_CRED | PAM_SILENT);
        if (r != PAM_SUCCESS) {
                pam_end(h, r);
                child_fail(status_fd, STAGE_PAM_CREDENTIALS, r);
        }
        r = pam_open_session(h, PAM_SILENT);
        if (r != PAM_SUCCESS) {
                (void) pam_setcred(h, PAM_DELETE_CRED | PAM_SILENT);
                pam_end(h, r);
                child_fail(status_fd, STAGE_PAM_SESSION, r);
        }
        char **pam_env = pam_getenvlist(h);
        p->envp = env_merge(pam_env, p->envp);
        free(pam_env); /* its strings are the merged list's now */
        pid = fork();
        if (pid == 0)
                child(p, status_fd, in_fd, out_fd, err_fd);
        if (pid < 0)
                status_send(status_fd, STATUS_FAILED, STAGE_FORK, errno);
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

static void spawner_send(int sock, const struct spawn_reply *rep) {
        while (send(sock, rep, sizeof *rep, MSG_NOSIGNAL) < 0 && errno == EINTR)
                ;
}

/* Decodes one request; returns false when it is malformed (then nothing is started). */
static bool decode_req(char *buf, size_t len, struct child_plan *p, char ***ret_envp, uint32_t *ret_id) {
        struct spawn_req req;
        char *s, *end = buf + len;
        char **envp;

        if (len < sizeof req)
                return false;
        memcpy(&req, buf, sizeof req);
        if (req.type != MSG_SPAWN || req.n_groups > MAX_GROUPS || req.n_env > 100000 ||
            sizeof req + req.n_groups * sizeof(gid_t) + req.len_strings != len || req.len_strings == 0 ||
            end[-1] != '\0')
                return false;
        *ret_id = req.id;
        p->uid = req.uid;
        p->gid = req.gid;
        p->nice = req.nice;
        memcpy(p->rlimits, req.rlimits, sizeof p->rlimits);
        p->drop = req.drop;
        p->pam = req.pam;
        p->umask = req.umask & 0777;
        p->n_groups = (int) req.n_groups;
        p->groups = (const gid_t *) (void *) (buf + sizeof req); /* buf is malloc-aligned, the header 32 bytes */
        s = buf + sizeof req + req.n_groups * sizeof(gid_t);
        const char *fields[6];
        for (int i = 0; i < 6; i++) {
                if (s >= end)
                        return false;
                fields[i] = s;
                s += strlen(s) + 1;
        }
        envp = calloc(req.n_env + 1, sizeof(*envp));
        if (!envp)
                return false;
        for (uint32_t i = 0; i < req.n_env; i++) {
                if (s >= end) {
                        free(envp);
                        return false;
                }
                envp[i] = s;
                s += strlen(s) + 1;
        }
        p->home = fields[0];
        p->shell = fields[1];
        p->user = fields[3];
        p->pam_service = fields[4];
        p->pam_dir = fields[5];
        p->argv[0] = (char *) fields[1];
        p->argv[1] = (char *) "-c";
        p->argv[2] = (char *) fields[2];
        p->argv[3] = NULL;
        p->envp = envp;
        *ret_envp = envp;
        return true;
}

/* PAM runs: the session holder takes as long as PAM's modules take, so the spawner does not wait
 * for it. Its status pipe is watched (holders) until end of file, then the run's answer goes to
 * tockd; while the job runs, its holder's exit stands for the job's (sessions). */
struct holder {
        int fd;
        uint32_t id;
        pid_t pid, job;
        int stage, err;
};
static struct holder *holders;
static size_t n_holders, cap_holders;

struct session {
        pid_t holder, job; /* holder 0: a free slot */
};
static struct session *sessions; /* open addressing, a power of two long */
static size_t n_sessions, cap_sessions;

static size_t session_slot(pid_t pid) {
        return ((size_t) pid * 2654435761u) & (cap_sessions - 1);
}

static void session_put(pid_t holder, pid_t job) {
        if ((n_sessions + 1) * 2 > cap_sessions) {
                size_t old_cap = cap_sessions, new_cap = old_cap ? old_cap * 2 : 64;
                struct session *old = sessions, *v = calloc(new_cap, sizeof(*v));
                if (!v)
                        return; /* the exit is then reported under the holder's pid: tockd ignores it */
                sessions = v;
                cap_sessions = new_cap;
                n_sessions = 0;
                for (size_t i = 0; i < old_cap; i++)
                        if (old[i].holder)
                                session_put(old[i].holder, old[i].job);
                free(old);
        }
        size_t i = session_slot(holder);
        while (sessions[i].holder)
                i = (i + 1) & (cap_sessions - 1);
        sessions[i] = (struct session) { holder, job };
        n_sessions++;
}

/* Returns the job of a holder and forgets it (backward-shift deletion), or 0. */
static pid_t session_take(pid_t holder) {
        if (!cap_sessions)
                return 0;
        size_t i = session_slot(holder);
        while (sessions[i].holder && sessions[i].holder != holder)
                i = (i + 1) & (cap_sessions - 1);
        if (!sessions[i].holder)
                return 0;
        pid_t job = sessions[i].job;
        size_t hole = i;
        for (size_t k = (i + 1) & (cap_sessions - 1); sessions[k].holder; k = (k + 1) & (cap_sessions - 1)) {
                size_t home = session_slot(sessions[k].holder);
                /* k's entry may move into the hole when its home is not cyclically in (hole, k] */
                if (((k - home) & (cap_sessions - 1)) >= ((k - hole) & (cap_sessions - 1))) {
                        sessions[hole] = sessions[k];
                        hole = k;
                }
        }
        sessions[hole] = (struct session) {};
        n_sessions--;
        return job;
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

/* The holder's pipe is done: the answer goes to tockd, under the job's pid when there is a job. */
static void holder_answer(int sock, const struct holder *h) {
        struct spawn_reply rep = { .type = MSG_STARTED, .id = h->id, .pid = h->job > 0 ? h->job : h->pid,
                                   .stage = h->stage, .err = h->err, .holder = h->job > 0 ? h->pid : 0 };

        if (h->job > 0)
                session_put(h->pid, h->job);
        close(h->fd);
        spawner_send(sock, &rep);
}

static void holder_finish(int sock, size_t i) {
        holder_answer(sock, &holders[i]);
        holders[i] = holders[--n_holders];
}

static void holder_add(int sock, uint32_t id, pid_t pid, int fd) {
        struct holder h = { .fd = fd, .id = id, .pid = pid };

        if (n_holders == cap_holders) {
                size_t cap = cap_holders ? cap_holders * 2 : 16;
                struct holder *v = reallocarray(holders, cap, sizeof(*v));
                if (!v) {
                        /* no room to watch it: wait for it instead */
                        while (!status_read(fd, &h.stage, &h.err, &h.job))
                                ;
                        holder_answer(sock, &h);
                        return;
                }
                holders = v;
                cap_holders = cap;
        }
        (void) fcntl(fd, F_SETFL, O_NONBLOCK);
        holders[n_holders++] = h;
}

static int spawner_sfd = -1; /* the spawner's SIGCHLD signalfd */
static void spawner_reap(int sock);

static void sigchld_drain(void) {
        struct signalfd_siginfo si;
        while (read(spawner_sfd, &si, sizeof si) > 0)
                ;
}

/* Out of processes or memory for a moment (EAGAIN, ENOMEM): the runs that ended are reaped first
 * (a zombie still counts against RLIMIT_NPROC and a pids cgroup), then the fork is tried again,
 * up to 3 more times over at most 350 ms, each wait cut short when a child exits. */
static pid_t fork_retry(int sock) {
        for (int attempt = 0;; attempt++) {
                pid_t pid = fork();
                if (pid >= 0 || (errno != EAGAIN && errno != ENOMEM) || attempt == 3)
                        return pid;
                int err = errno;
                spawner_reap(sock);
                if (spawner_sfd >= 0) {
                        struct pollfd p = { .fd = spawner_sfd, .events = POLLIN };
                        (void) poll(&p, 1, 50 << attempt); /* 50, 100, 200 ms */
                        sigchld_drain();
                }
                spawner_reap(sock);
                errno = err;
        }
}

static void spawner_start_one(int sock, char *buf, size_t len, int in_fd, int out_fd, int err_fd) {
        struct spawn_reply rep = { .type = MSG_STARTED, .pid = -1 };
        struct child_plan p = {};
        char **envp = NULL;
        int st[2];
        pid_t pid;

        if (!decode_req(buf, len, &p, &envp, &rep.id) || in_fd < 0 || out_fd < 0) {
                rep.stage = STAGE_FORK;
                rep.err = EBADMSG;
                spawner_send(sock, &rep);
                return;
        }
#ifndef TOCK_PAM
        if (p.pam) {
                rep.stage = STAGE_PAM_START;
                rep.err = 0;
                spawner_send(sock, &rep);
                free(envp);
                return;
        }
#endif
        if (pipe2(st, O_CLOEXEC) < 0) {
                rep.stage = STAGE_FORK;
                rep.err = errno;
                spawner_send(sock, &rep);
                free(envp);
                return;
        }
        pid = fork_retry(sock);
        if (pid == 0) {
#ifdef TOCK_PAM
                if (p.pam)
                        pam_holder(&p, st[1], in_fd, out_fd, err_fd);
#endif
                child(&p, st[1], in_fd, out_fd, err_fd);
        }
        close(st[1]);
        free(envp);
        if (pid > 0 && p.pam) {
                holder_add(sock, rep.id, pid, st[0]);
                return;
        }
        if (pid < 0) {
                rep.stage = STAGE_FORK;
                rep.err = errno;
        } else {
                /* end of file: the exec happened; a message: where the child failed */
                pid_t job = 0;
                rep.pid = pid;
                while (!status_read(st[0], &rep.stage, &rep.err, &job))
                        ;
        }
        close(st[0]);
        spawner_send(sock, &rep);
}

static void spawner_reap(int sock) {
        for (;;) {
                int wstatus;
                pid_t pid = waitpid(-1, &wstatus, WNOHANG), job;
                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid <= 0)
                        return;
                /* a holder that ended before its pipe was read: its answer first */
                for (size_t i = 0; i < n_holders; i++)
                        if (holders[i].pid == pid) {
                                (void) fcntl(holders[i].fd, F_SETFL, 0);
                                while (!status_read(holders[i].fd, &holders[i].stage, &holders[i].err, &holders[i].job))
                                        ;
                                holder_finish(sock, i);
                                break;
                        }
                job = session_take(pid);
                struct spawn_reply rep = { .type = MSG_EXITED, .pid = job > 0 ? job : pid, .wstatus = wstatus };
                spawner_send(sock, &rep);
        }
}

_Noreturn static void spawner_main(int sock) {
        char *buf = malloc(SPAWN_MSG_MAX);
        static struct pollfd *pfd; /* static: still reachable when the spawner _exit()s */
        static size_t cap_pfd;
        sigset_t mask;
        int sfd;

        (void) prctl(PR_SET_NAME, "tockd-spawner");
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (!buf || sfd < 0)
                _exit(1);
        spawner_sfd = sfd;
        for (;;) {
                if (cap_pfd < n_holders + 2) {
                        struct pollfd *v = reallocarray(pfd, n_holders + 2, sizeof(*v));
                        if (!v)
                                _exit(1);
                        pfd = v;
                        cap_pfd = n_holders + 2;
                }
                pfd[0] = (struct pollfd) { .fd = sock, .events = POLLIN };
                pfd[1] = (struct pollfd) { .fd = sfd, .events = POLLIN };
                for (size_t i = 0; i < n_holders; i++)
                        pfd[2 + i] = (struct pollfd) { .fd = holders[i].fd, .events = POLLIN };
                size_t n_polled = n_holders;
                if (poll(pfd, 2 + n_polled, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(1);
                }
                /* holders first (backwards: finishing one moves the last into its place) */
                for (size_t i = n_polled; i-- > 0;)
                        if (pfd[2 + i].revents && i < n_holders && holders[i].fd == pfd[2 + i].fd &&
                            status_read(holders[i].fd, &holders[i].stage, &holders[i].err, &holders[i].job))
                                holder_finish(sock, i);
                if (pfd[1].revents) {
                        sigchld_drain();
                        spawner_reap(sock);
                }
                if (!pfd[0].revents)
                        continue;
                char cbuf[CMSG_SPACE(3 * sizeof(int))];
                struct iovec iov = { buf, SPAWN_MSG_MAX };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
                ssize_t k = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        _exit(0); /* tockd is gone: jobs go on, reparented to init */
                int fds[3] = { -1, -1, -1 };
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
                spawner_start_one(sock, buf, (mh.msg_flags & MSG_TRUNC) ? 0 : (size_t) k, fds[0], fds[1], fds[2]);
                for (int i = 0; i < 3; i++)
                        if (fds[i] >= 0)
                                close(fds[i]);
        }
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
        gid_t groups[MAX_GROUPS];
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
        if (u->n_groups < 0 || u->n_groups > MAX_GROUPS)
                return -E2BIG;
        p->drop = true;
        p->n_groups = u->n_groups;
        memcpy(p->groups, u->groups, (size_t) u->n_groups * sizeof(gid_t));
        return 0;
}

/* The request for a run; *ret_id is what the spawner's answer will carry. */
static int encode_req(const struct spawn_plan *p, struct daemon *d, const char *command, char **ret, size_t *ret_len,
                      uint32_t *ret_id) {
        struct spawn_req req = {
                .type = MSG_SPAWN, .uid = p->uid, .gid = p->gid, .n_groups = p->drop ? (uint32_t) p->n_groups : 0,
                .umask = d->cfg.umask, .drop = p->drop, .n_env = (uint32_t) p->n_env, .nice = d->cfg.nice,
                .id = ++d->spawn_seq, .pam = p->pam,
        };
        const char *service = p->pam ? d->cfg.pam_service : "", *pam_dir = p->pam ? d->cfg.pam_dir : "";
        size_t len_strings = strlen(p->home) + strlen(p->shell) + strlen(command) + strlen(p->user) + strlen(service) +
                             strlen(pam_dir) + 6,
               off;

        memcpy(req.rlimits, d->cfg.rlimits, sizeof req.rlimits);
        char *buf;

        for (size_t i = 0; i < p->n_env; i++)
                len_strings += strlen(p->envp[i]) + 1;
        req.len_strings = (uint32_t) len_strings;
        *ret_len = sizeof req + req.n_groups * sizeof(gid_t) + len_strings;
        if (*ret_len > SPAWN_MSG_MAX)
                return -E2BIG;
        buf = malloc(*ret_len);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, &req, sizeof req);
        off = sizeof req;
        memcpy(buf + off, p->groups, req.n_groups * sizeof(gid_t));
        off += req.n_groups * sizeof(gid_t);
#define PUT(s) (memcpy(buf + off, (s), strlen(s) + 1), off += strlen(s) + 1)
        PUT(p->home);
        PUT(p->shell);
        PUT(command);
        PUT(p->user);
        PUT(service);
        PUT(pam_dir);
        for (size_t i = 0; i < p->n_env; i++)
                PUT(p->envp[i]);
#undef PUT
        *ret = buf;
        *ret_id = req.id;
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
        (void) timer_set_once(d, &d->retry_timer, 1000000000LL);
        if (d->n_retry == 1 || d->n_retry % 1000 == 0)
                log_job(LOG_WARNING, lj, "out of file descriptors: %zu run%s for running jobs to end", d->n_retry,
                        d->n_retry == 1 ? " waits" : "s wait");
}

/* Runs waiting for a descriptor are tried again every second, also when no run is going whose
 * end would bring them back (descriptors held by clients, or by something else). */
void spawn_retry_fire(struct daemon *d, struct timer *t) {
        spawn_retry(d);
        if (d->n_retry > 0 && !d->stopping)
                (void) timer_set_once(d, t, 1000000000LL);
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
                                    !rep->stage ? 0 : rep->stage >= STAGE_PAM_START ? EPERM : rep->err, why);
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
                run_timeout_start(d, r);
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
                if (rep.type == MSG_STARTED) {
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
                } else if (rep.type == MSG_EXITED) {
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
                struct spawn_reply rep = { .type = MSG_STARTED, .pid = -1, .stage = STAGE_FORK, .err = ECONNRESET };
                d->pending = r->pending_next;
                run_started(d, r, &rep);
        }
        d->pending_tail = NULL;
        d->unsent = d->unsent_tail = NULL;
        if (!d->stopping)
                (void) spawner_start(d);
}
