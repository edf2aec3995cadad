/* ctl/cmd-run.c: tockctl run [-u USER] [--json] JOB
 *
 * Asks tockd to run a job now, as it would at its time (same user, environment, limits), with
 * tockctl's standard input, output and error handed over as the job's (SCM_RIGHTS), so the
 * job's output appears here. Exits with the job's exit status, or 128+N when signal N killed
 * it, as a shell does. tockd owns the job: ^C ends tockctl, not the job.
 *
 * With --json the job writes its output to tockctl's standard error, so that standard output
 * carries only the JSON document. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

/* fd, or /dev/null in its place when it is closed (tockd gets three fds whatever happens). */
static int usable_fd(int fd, int *ret_opened) {
        if (fcntl(fd, F_GETFD) >= 0)
                return fd;
        *ret_opened = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        return *ret_opened;
}

static int exit_code(int32_t wstatus) {
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return EXIT_INVALID;
}

/* Reads RUN_STARTED, then RUN_DONE. Returns the exit code. */
static int follow(struct client *c, const char *job, bool json) {
        int32_t pid = -1, wstatus = -1;
        int64_t duration_ms = -1;
        bool done = false;
        int r;

        while (!done) {
                struct reply rep = {};

                /* the first answer comes at once; the job then takes as long as it takes */
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

static int run(const char *user, const char *job, bool json) {
        struct client c = { .fd = -1 };
        struct proto_buf req = {};
        _cleanup_close_ int null_in = -1, null_out = -1, null_err = -1;
        int fds[3], r;

        fds[0] = usable_fd(STDIN_FILENO, &null_in);
        fds[1] = usable_fd(json ? STDERR_FILENO : STDOUT_FILENO, &null_out);
        fds[2] = usable_fd(STDERR_FILENO, &null_err);
        if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
                fprintf(stderr, "tockctl run: cannot open /dev/null: %m\n");
                return EXIT_IO;
        }
        proto_put_request(&req, PROTO_RUN, &(struct proto_request) { .user = (char *) user, .job = (char *) job });
        r = proto_finish(&req);
        if (r < 0) {
                proto_buf_done(&req);
                fprintf(stderr, "tockctl run: %s\n", r == -EMSGSIZE ? "the job name is too long" : "out of memory");
                return r == -EMSGSIZE ? EXIT_USAGE : EXIT_IO;
        }
        fflush(NULL);
        r = client_connect(&c);
        if (r >= 0)
                r = client_send(&c, &req, fds, ELEMENTSOF(fds));
        proto_buf_done(&req);
        r = r < 0 ? client_error(&c, r) : follow(&c, job, json);
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
