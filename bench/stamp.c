/* bench/stamp.c: `stamp FILE ID`, the job of the daemon benchmark (bench/daemon.sh).
 *
 * Appends one line "ID NS" to FILE, NS being CLOCK_REALTIME in nanoseconds when the job got to
 * run, then exits. FILE is opened with O_APPEND and the line written with one write(), under
 * PIPE_BUF bytes, so that 10,000 jobs appending at once never interleave. It is linked statically
 * when libc.a is there, so that its own start-up (no dynamic loader) adds as little as possible
 * to the delay being measured. Exit status: 0, or 1 with nothing written. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct timespec ts;
        char line[128];
        int fd, n;

        clock_gettime(CLOCK_REALTIME, &ts);
        if (argc != 3 || strlen(argv[2]) > 64)
                return 1;
        n = snprintf(line, sizeof line, "%s %lld\n", argv[2], (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
        fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
                return 1;
        if (write(fd, line, (size_t) n) != n)
                return 1;
        return close(fd) < 0;
}
