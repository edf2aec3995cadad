/* daemon/spawn.c: starting a job as its owner. The only file that changes ids.
 *
 * Everything the child needs (argv, envp, groups, home, the '%' input) is built before fork();
 * between fork() and exec() the child makes only async-signal-safe calls and reports a failure,
 * with the step that failed, through a close-on-exec pipe. A failed drop of privileges is logged
 * and never becomes a job running as root. */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "tockd.h"
#include "util.h"

#define MAX_GROUPS 1024

enum child_stage {
        STAGE_SETSID = 1,
        STAGE_STDIO,
        STAGE_GROUPS,
        STAGE_GID,
        STAGE_UID,
        STAGE_VERIFY,
        STAGE_CHDIR,
        STAGE_EXEC,
};

static const char *stage_name(int s) {
        static const char *const names[] = {
                [STAGE_SETSID] = "starting a session", [STAGE_STDIO] = "setting up standard input and output",
                [STAGE_GROUPS] = "setting supplementary groups", [STAGE_GID] = "setting the group id",
                [STAGE_UID] = "setting the user id", [STAGE_VERIFY] = "verifying the dropped privileges",
                [STAGE_CHDIR] = "changing to the home directory", [STAGE_EXEC] = "executing the shell",
        };
        return s > 0 && s < (int) ELEMENTSOF(names) && names[s] ? names[s] : "starting";
}

struct spawn_plan {
        uid_t uid;
        gid_t gid;
        gid_t groups[MAX_GROUPS];
        int n_groups;
        char *home, *user, *shell;
        char **envp;
        size_t n_env;
        char *argv[4];
        bool drop; /* change ids (tockd is root) */
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
        char **v = reallocarray(p->envp, p->n_env + 2, sizeof(*v));
        if (!v) {
                free(s);
                return -ENOMEM;
        }
        p->envp = v;
        p->envp[p->n_env++] = s;
        p->envp[p->n_env] = NULL;
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
        p->shell = strdup(shell ? shell : d->cfg.shell);
        if (!p->shell)
                return -ENOMEM;
        p->argv[0] = p->shell;
        p->argv[1] = (char *) "-c";
        p->argv[2] = j->e->command;
        p->argv[3] = NULL;
        return 0;
}

static const char *job_user(struct daemon *d, const struct job *j) {
        (void) d;
        return j->e->user ? j->e->user : j->table->owner;
}

static int plan_identity(struct spawn_plan *p, struct daemon *d, const char *user) {
        struct passwd *pw = getpwnam(user);

        if (!pw)
                return -ESRCH;
        p->uid = pw->pw_uid;
        p->gid = pw->pw_gid;
        p->home = strdup(pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
        p->user = strdup(pw->pw_name);
        if (!p->home || !p->user)
                return -ENOMEM;
        if (d->uid != 0) {
                if (pw->pw_uid != d->uid)
                        return -EPERM;
                p->drop = false;
                return 0;
        }
        p->drop = true;
        p->n_groups = MAX_GROUPS;
        if (getgrouplist(pw->pw_name, pw->pw_gid, p->groups, &p->n_groups) < 0)
                return -E2BIG;
        return 0;
}

/* ---- the child: async-signal-safe calls only ---- */

_Noreturn static void child_fail(int fd, int stage, int err) {
        int msg[2] = { stage, err };
        (void) !write(fd, msg, sizeof msg);
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

_Noreturn static void child(const struct spawn_plan *p, int status_fd, int in_fd, int out_fd, unsigned um) {
        sigset_t none;
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        /* the daemon blocks signals to read them from a signalfd; a job starts with none blocked */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                signal(s, SIG_DFL);
        if (setsid() < 0)
                child_fail(status_fd, STAGE_SETSID, errno);
        if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
                child_fail(status_fd, STAGE_STDIO, errno);
        if (p->drop) {
                if (setgroups((size_t) p->n_groups, p->groups) < 0)
                        child_fail(status_fd, STAGE_GROUPS, errno);
                if (setresgid(p->gid, p->gid, p->gid) < 0)
                        child_fail(status_fd, STAGE_GID, errno);
                if (setresuid(p->uid, p->uid, p->uid) < 0)
                        child_fail(status_fd, STAGE_UID, errno);
                /* getting root back must now be impossible */
                if (p->uid != 0 && setresuid(0, 0, 0) == 0)
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
        umask(um);
        /* every fd of tockd's is close-on-exec; make sure of it for any that leaked in */
        (void) syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
        execve(p->shell, p->argv, p->envp);
        child_fail(status_fd, STAGE_EXEC, errno);
}

/* ---- the parent ---- */

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
        r->status = (struct io_source) { .kind = IO_RUN_STATUS, .fd = -1, .run = r };
        r->output = (struct io_source) { .kind = IO_RUN_OUTPUT, .fd = -1, .run = r };
        if (!r->table || !r->user || !r->command) {
                free(r->table);
                free(r->user);
                free(r->command);
                free(r);
                return NULL;
        }
        return r;
}


int job_spawn(struct daemon *d, const struct job *j, int64_t at) {
        struct spawn_plan p = {};
        const char *user = job_user(d, j);
        struct log_job lj = { .table = j->table->name, .line = j->e->line, .user = user, .command = j->e->command,
                              .exit_status = -1, .duration_ms = -1 };
        _cleanup_close_ int in_fd = -1, st_r = -1, st_w = -1, out_r = -1, out_w = -1;
        int fds[2], r;
        struct run *run = NULL;
        pid_t pid;

        (void) at;
        r = plan_identity(&p, d, user);
        if (r == -ESRCH) {
                log_job(LOG_ERR, &lj, "not run: no such user '%s'", user);
                goto out;
        }
        if (r == -EPERM) {
                log_job(LOG_ERR, &lj, "not run: tockd runs as uid %u and cannot run jobs as '%s'", (unsigned) d->uid, user);
                goto out;
        }
        if (r < 0 || (r = plan_env(&p, d, j)) < 0) {
                log_job(LOG_ERR, &lj, "not run: %s while preparing it", strerror(-r));
                goto out;
        }
        r = open_input(j->e, &in_fd);
        if (r < 0) {
                log_job(LOG_ERR, &lj, "not run: cannot set up its standard input: %s", strerror(-r));
                goto out;
        }
        if (pipe2(fds, O_CLOEXEC) < 0) {
                r = -errno;
                log_job(LOG_ERR, &lj, "not run: %s", strerror(errno));
                goto out;
        }
        st_r = fds[0];
        st_w = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0) {
                r = -errno;
                log_job(LOG_ERR, &lj, "not run: %s", strerror(errno));
                goto out;
        }
        out_r = fds[0];
        out_w = fds[1];
        run = run_new(j, p.user);
        if (!run) {
                r = -ENOMEM;
                log_job(LOG_ERR, &lj, "not run: out of memory");
                goto out;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                log_job(LOG_ERR, &lj, "not run: fork failed: %s", strerror(errno));
                goto out;
        }
        if (pid == 0)
                child(&p, st_w, in_fd, out_w, d->cfg.umask);

        run->pid = pid;
        run->started_at = now_real();
        run->start_ns = now_mono_ns();
        run->status.fd = TAKE_FD(st_r);
        run->output.fd = TAKE_FD(out_r);
        (void) fcntl(run->status.fd, F_SETFL, O_NONBLOCK);
        (void) fcntl(run->output.fd, F_SETFL, O_NONBLOCK);
        run->next = d->runs;
        if (d->runs)
                d->runs->prev = run;
        d->runs = run;
        d->n_running++;
        (void) pid_map_add(&d->pids, run);
        if (loop_add(d, &run->status, EPOLLIN) < 0 || loop_add(d, &run->output, EPOLLIN) < 0)
                log_job(LOG_WARNING, &lj, "cannot watch the run's pipes; its output is lost");
        lj.pid = pid;
        log_job(LOG_INFO, &lj, "started pid %d: %s", (int) pid, j->e->command);
        run = NULL;
        r = 0;
out:
        if (run)
                run_free(d, run);
        plan_done(&p);
        return r;
}

/* Called by reap.c when the child's status pipe reports a failure before exec. */
void spawn_log_failure(const struct run *r) {
        struct log_job lj = { .table = r->table, .line = r->line, .user = r->user, .pid = r->pid, .exit_status = -1,
                              .duration_ms = -1 };
        log_job(LOG_ERR, &lj, "failed before running: %s: %s", stage_name(r->exec_stage), strerror(r->exec_errno));
}
