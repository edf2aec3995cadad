/* bench/rename.c: `rename FROM TO`, how the daemon benchmark (bench/daemon.sh) puts a table in
 * place: rename(2), as crontab(1) and editors do, so that the daemon sees the whole file at once.
 * Prints CLOCK_REALTIME in nanoseconds taken just before the rename, the instant from which the
 * delay until the daemon has the table is counted (a `date` before `mv` would add a fork and an
 * exec to it). Exit status: 0, or 1 with a message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
        struct timespec ts;

        if (argc != 3) {
                fprintf(stderr, "usage: rename FROM TO\n");
                return 1;
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        if (rename(argv[1], argv[2]) < 0) {
                fprintf(stderr, "rename %s %s: %s\n", argv[1], argv[2], strerror(errno));
                return 1;
        }
        printf("%lld\n", (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
        return 0;
}
