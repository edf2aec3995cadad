/* ctl/cmd-run.c: tockctl run [-u USER] [--json] JOB
 *
 * Asks tockd to run a job now, as it would at its time (same user, environment, limits). The
 * job's standard input, output and error are pipes that tockctl relays to and from its own, so
 * that the job's output appears here and no descriptor of the caller's (a file, a terminal)
 * ever reaches the job: root's `tockctl run -u USER` hands USER's job nothing of root's, and a
 * process the job leaves behind cannot write into root's files or type into root's terminal
 * (TIOCSTI) once tockctl has returned. tockd refuses a run of another uid's job whose
 * descriptors are not pipes. Exits with the job's exit status, or 128+N when signal N killed
 * it, as a shell does. tockd owns the job: ^C ends tockctl, not the job.
 *
 * With --json the job writes its output to tockctl's standard error, so that standard output
 * carries only the JSON document. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

/* The job's ends of three pipes go to tockd; tockctl keeps the others and relays: its standard
 * input into the job's (`in`), the job's output to its own (`out`, `err`). */
struct relay {
        int in, out, err;  /* tockctl's ends, -1 once closed */
        int to_out, to_err; /* where the job's output goes: tockctl's fds, -1 to drop it */
        char buf[4096];    /* read from stdin, not yet taken by the job */
        size_t len, off;
        bool stdin_done;
};

static void relay_close(struct relay *y) {
        closep(&y->in);
        closep(&y->out);
        closep(&y->err);
}

static int64_t mono_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool fd_open(int fd) {
        return fcntl(fd, F_GETFD) >= 0;
}

/* Writes all of p to fd, a descriptor of tockctl's own (it may block, as any writer would);
 * false when it cannot take more (a closed pipe: the reader is gone). */
static bool write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return false;
                p += k;
                n -= (size_t) k;
        }
        return true;
}

/* Moves what the job wrote on *from to `to`, at most `max` bytes; closes *from at its end, or
 * when `to` takes no more (the job then sees a closed pipe, as it would have on `to`). */
static void relay_output(int *from, int to, size_t max) {
        char b[65536];

        while (*from >= 0 && max > 0) {
                ssize_t k = read(*from, b, max < sizeof b ? max : sizeof b);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return;
                if (k <= 0 || (to >= 0 && !write_all(to, b, (size_t) k))) {
                        closep(from);
                        return;
                }
                max -= (size_t) k;
                if ((size_t) k < sizeof b)
                        return; /* one read a wake-up: the socket gets its turn */
        }
}

/* Feeds what stdin had into the job's input; closes it when stdin ended or the job closed it. */
static void relay_input(struct relay *y) {
        while (y->in >= 0 && y->off < y->len) {
                ssize_t k = write(y->in, y->buf + y->off, y->len - y->off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return;
                if (k < 0) {
                        closep(&y->in); /* EPIPE: the job reads no more */
                        break;
                }
                y->off += (size_t) k;
        }
        if (y->off == y->len)
                y->len = y->off = 0;
        if (y->in >= 0 && y->stdin_done && !y->len)
                closep(&y->in);
}

static void relay_read_stdin(struct relay *y) {
        ssize_t k = read(STDIN_FILENO, y->buf, sizeof y->buf);

        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (k <= 0)
                y->stdin_done = true;
        else
                y->len = (size_t) k, y->off = 0;
        relay_input(y);
}

/* Once the job has ended: what it wrote before it ended is in the pipes, and is shown; what a
 * process it left behind writes later is not, and that process finds the pipes closed. */
static void relay_finish(struct relay *y) {
        int n;

        if (y->out >= 0 && ioctl(y->out, FIONREAD, &n) == 0)
                relay_output(&y->out, y->to_out, (size_t) n);
        if (y->err >= 0 && ioctl(y->err, FIONREAD, &n) == 0)
                relay_output(&y->err, y->to_err, (size_t) n);
        relay_close(y);
}

/* Waits for the socket to be readable, relaying meanwhile; `wait`: as long as it takes, else
 * CLIENT_TIMEOUT_S. Returns 0, or -ETIMEDOUT. */
static int relay_until_reply(struct relay *y, int sock, bool wait) {
        int64_t left_ms = wait ? -1 : CLIENT_TIMEOUT_S * 1000LL;

        for (;;) {
                struct pollfd all[5] = {
                        { .fd = sock, .events = POLLIN },
                        { .fd = y->in >= 0 && !y->stdin_done && !y->len ? STDIN_FILENO : -1, .events = POLLIN },
                        { .fd = y->in >= 0 && y->len ? y->in : -1, .events = POLLOUT },
                        { .fd = y->out, .events = POLLIN },
                        { .fd = y->err, .events = POLLIN },
                };
                int64_t t0 = mono_ms();
                int k = poll(all, ELEMENTSOF(all), left_ms < 0 ? -1 : (int) left_ms);

                if (k < 0 && errno != EINTR)
                        return -errno;
                if (all[0].revents)
                        return 0;
                if (all[1].revents)
                        relay_read_stdin(y);
                if (all[2].revents)
                        relay_input(y);
                if (all[3].revents)
                        relay_output(&y->out, y->to_out, SIZE_MAX);
                if (all[4].revents)
                        relay_output(&y->err, y->to_err, SIZE_MAX);
                if (left_ms >= 0) {
                        left_ms -= mono_ms() - t0;
                        if (left_ms <= 0)
                                return -ETIMEDOUT;
                }
        }
}

static int exit_code(int32_t wstatus) {
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return EXIT_INVALID;
}

/* Reads RUN_STARTED, then RUN_DONE, relaying the job's streams meanwhile. Returns the exit code. */
static int follow(struct client *c, struct relay *y, const char *job, bool json) {
        int32_t pid = -1, wstatus = -1;
        int64_t duration_ms = -1;
        bool done = false;
        int r;

        while (!done) {
                struct reply rep = {};

                /* the first answer comes at once; the job then takes as long as it takes */
                r = relay_until_reply(y, c->fd, pid > 0);
                if (r >= 0)
                        r = client_recv(c, pid > 0, &rep);
                if (r < 0)
                        return client_error(c, r);
                if (rep.type == PROTO_RUN_STARTED && pid < 0) {
                        if (proto_get_run_started(&rep.r, &pid) < 0)
                                r = reply_malformed("run", &rep);
                        else
                                fprintf(stderr, "started pid %d\n", pid);
                } else if (rep.type == PROTO_RUN_DONE) {
                        struct proto_run_done x;
                        r = proto_get_run_done(&rep.r, &x) < 0 ? reply_malformed("run", &rep) : EXIT_OK;
                        if (r == EXIT_OK) {
                                wstatus = x.wstatus;
                                duration_ms = x.duration_ms;
                        }
                        done = true;
                } else {
                        r = reply_fail("run", &rep);
                }
                reply_done(&rep);
                if (r != EXIT_OK)
                        return r;
        }
        relay_finish(y);
        fflush(stderr);
        if (json) {
                struct json j = { .f = stdout };
                json_open(&j, NULL, '{');
                json_string(&j, "job", job);
                json_int(&j, "pid", pid);
                if (WIFEXITED(wstatus))
                        json_int(&j, "exit_status", WEXITSTATUS(wstatus));
                else
                        json_null(&j, "exit_status");
                if (WIFSIGNALED(wstatus))
                        json_int(&j, "signal", WTERMSIG(wstatus));
                else
                        json_null(&j, "signal");
                json_int(&j, "duration_ms", duration_ms);
                json_close(&j);
        } else if (!WIFEXITED(wstatus)) {
                char how[WSTATUS_MAX], took[DURATION_MAX];
                format_wstatus(wstatus, how);
                format_duration_ms(duration_ms, took);
                fprintf(stderr, "tockctl run: %s after %s\n", how, took);
        }
        return exit_code(wstatus);
}

/* Three pipes: the job's ends in job_fds (closed by the caller once sent), tockctl's in y. */
static int relay_open(struct relay *y, int job_fds[3], bool json) {
        int p[3][2];

        for (int i = 0; i < 3; i++)
                if (pipe2(p[i], O_CLOEXEC) < 0) {
                        int r = -errno;
                        for (int k = 0; k < i; k++)
                                close(p[k][0]), close(p[k][1]);
                        return r;
                }
        job_fds[0] = p[0][0], y->in = p[0][1];
        job_fds[1] = p[1][1], y->out = p[1][0];
        job_fds[2] = p[2][1], y->err = p[2][0];
        (void) fcntl(y->in, F_SETFL, O_NONBLOCK);
        (void) fcntl(y->out, F_SETFL, O_NONBLOCK);
        (void) fcntl(y->err, F_SETFL, O_NONBLOCK);
        y->to_out = json ? STDERR_FILENO : STDOUT_FILENO;
        y->to_err = STDERR_FILENO;
        if (!fd_open(y->to_out))
                y->to_out = -1;
        if (!fd_open(y->to_err))
                y->to_err = -1;
        if (!fd_open(STDIN_FILENO)) /* a closed stdin is an empty one */
                y->stdin_done = true, closep(&y->in);
        return 0;
}

static int run(const char *user, const char *job, bool json) {
        struct client c = { .fd = -1 };
        struct proto_buf req = {};
        struct relay y = { .in = -1, .out = -1, .err = -1 };
        int fds[3], r;

        proto_put_request(&req, PROTO_RUN, &(struct proto_request) { .user = (char *) user, .job = (char *) job });
        r = proto_finish(&req);
        if (r < 0) {
                proto_buf_done(&req);
                fprintf(stderr, "tockctl run: %s\n", r == -EMSGSIZE ? "the job name is too long" : "out of memory");
                return r == -EMSGSIZE ? EXIT_USAGE : EXIT_IO;
        }
        r = relay_open(&y, fds, json);
        if (r < 0) {
                proto_buf_done(&req);
                fprintf(stderr, "tockctl run: cannot make the job's pipes: %s\n", strerror(-r));
                return EXIT_IO;
        }
        /* a closed pipe is an error to handle (the job's input, our output), not a signal */
        signal(SIGPIPE, SIG_IGN);
        fflush(NULL);
        r = client_connect(&c);
        if (r >= 0)
                r = client_send(&c, &req, fds, ELEMENTSOF(fds));
        proto_buf_done(&req);
        for (int i = 0; i < 3; i++)
                close(fds[i]); /* tockd and the job hold them now */
        r = r < 0 ? client_error(&c, r) : follow(&c, &y, job, json);
        relay_close(&y);
        client_close(&c);
        return r;
}

int cmd_run(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "run",
                .usage = "run [-u USER] [--json] JOB   (JOB: LINE, TABLE:LINE or a [name:...])",
                .takes = TAKES_USER | TAKES_JSON | TAKES_IN_ORDER,
                .operand = "job",
                .operand_hint = " (LINE, TABLE:LINE or a name)",
        };
        struct cmd_opts o;
        int r = cmd_options(argc, argv, &spec, &o);

        return r >= 0 ? r : run(o.user, o.arg, o.json);
}
