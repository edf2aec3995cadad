/* tests/integration/pty-run.c: pty-run [ANSWER...] -- CMD [ARG...]
 *
 * Runs CMD in a new session with a pseudo-terminal as its controlling terminal and as its stdin,
 * stdout and stderr, so that a question it asks "on the terminal" can be answered by a script.
 * Everything CMD writes is copied to our stdout. Each time its output since the last answer
 * contains "(y/n)", the next ANSWER is typed (with a newline); with no ANSWER left, nothing is.
 * Exits with CMD's exit status (128+N for signal N); 124 when CMD is still running after
 * PTY_RUN_TIMEOUT seconds (default 30), after killing it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char seen[8192];
static size_t seen_len;

int main(int argc, char **argv) {
        int sep = 1, master, status = 0, timeout = 30;
        char **answers, *e = getenv("PTY_RUN_TIMEOUT"), buf[4096];
        size_t n_answers, next = 0;
        struct timespec t0, now;
        pid_t pid;

        while (sep < argc && strcmp(argv[sep], "--") != 0)
                sep++;
        if (sep + 1 >= argc) {
                fprintf(stderr, "usage: pty-run [ANSWER...] -- CMD [ARG...]\n");
                return 2;
        }
        if (e && *e)
                timeout = (int) strtol(e, NULL, 10);
        answers = argv + 1;
        n_answers = (size_t) (sep - 1);

        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
                perror("pty-run: posix_openpt");
                return 125;
        }
        pid = fork();
        if (pid < 0) {
                perror("pty-run: fork");
                return 125;
        }
        if (pid == 0) {
                int slave;
                setsid();
                slave = open(ptsname(master), O_RDWR);
                if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
                        perror("pty-run: the terminal");
                        _exit(125);
                }
                dup2(slave, 0);
                dup2(slave, 1);
                dup2(slave, 2);
                if (slave > 2)
                        close(slave);
                execvp(argv[sep + 1], argv + sep + 1);
                perror("pty-run: exec");
                _exit(127);
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                struct pollfd p = { .fd = master, .events = POLLIN };
                ssize_t k;
                int pr = poll(&p, 1, 200);

                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - t0.tv_sec > timeout) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &status, 0);
                        fprintf(stderr, "pty-run: timed out after %d s\n", timeout);
                        return 124;
                }
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr <= 0)
                        continue;
                k = read(master, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break; /* EIO: every holder of the slave side is gone */
                fwrite(buf, 1, (size_t) k, stdout);
                fflush(stdout);
                for (ssize_t i = 0; i < k; i++) {
                        if (seen_len == sizeof seen - 1) {
                                memmove(seen, seen + sizeof seen / 2, sizeof seen / 2);
                                seen_len -= sizeof seen / 2;
                        }
                        seen[seen_len++] = buf[i];
                }
                seen[seen_len] = 0;
                if (strstr(seen, "(y/n)") && next < n_answers) {
                        dprintf(master, "%s\n", answers[next++]);
                        seen_len = 0;
                        seen[0] = 0;
                }
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 125;
}
