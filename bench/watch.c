/* bench/watch.c: `watch TIMEOUT_S FROM TO [FIFO]`, how bench/peers.sh times a table change on any
 * daemon, tockd or a peer, without its logs: it watches FROM with inotify (the watch follows the
 * inode through the rename), takes CLOCK_REALTIME, renames FROM to TO (as crontab(1) does), writes
 * one byte to FIFO if given (bcron-spool's trigger, which tells bcron-sched to rescan), then waits
 * up to TIMEOUT_S seconds for the daemon to open the new file and to close it having read it.
 * Prints "RENAME_NS OPEN_NS CLOSE_NS" (CLOCK_REALTIME), "-" for what did not happen in time.
 * The close is when the daemon has read the table: the new schedule is in force from about then.
 * Exit status: 0, or 1 with a message. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put(long long ns) {
        if (ns)
                printf(" %lld", ns);
        else
                printf(" -");
}

int main(int argc, char **argv) {
        long long t_rename, t_open = 0, t_close = 0, deadline;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        int fd, wd;

        if (argc < 4 || argc > 5) {
                fprintf(stderr, "usage: watch TIMEOUT_S FROM TO [FIFO]\n");
                return 1;
        }
        fd = inotify_init1(IN_CLOEXEC);
        if (fd < 0 || (wd = inotify_add_watch(fd, argv[2], IN_OPEN | IN_CLOSE_NOWRITE)) < 0) {
                fprintf(stderr, "watch %s: %s\n", argv[2], strerror(errno));
                return 1;
        }
        t_rename = now_ns();
        if (rename(argv[2], argv[3]) < 0) {
                fprintf(stderr, "rename %s %s: %s\n", argv[2], argv[3], strerror(errno));
                return 1;
        }
        if (argc == 5) {
                int ff = open(argv[4], O_WRONLY | O_NONBLOCK | O_CLOEXEC);

                if (ff < 0 || write(ff, "\n", 1) != 1)
                        fprintf(stderr, "trigger %s: %s\n", argv[4], strerror(errno));
                if (ff >= 0)
                        close(ff);
        }
        deadline = t_rename + atoll(argv[1]) * 1000000000LL;
        while (!t_close) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                long long left = deadline - now_ns();
                ssize_t n;

                if (left <= 0 || poll(&p, 1, (int) (left / 1000000 + 1)) <= 0)
                        break;
                n = read(fd, buf, sizeof buf);
                for (char *q = buf; n > 0 && q < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) q;

                        if ((e->mask & IN_OPEN) && !t_open)
                                t_open = now_ns();
                        if ((e->mask & IN_CLOSE_NOWRITE) && t_open)
                                t_close = now_ns();
                        q += sizeof *e + e->len;
                }
        }
        printf("%lld", t_rename);
        put(t_open);
        put(t_close);
        printf("\n");
        return 0;
}
