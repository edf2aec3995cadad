/* bench/forkexec.c: `forkexec N PAR PROG [ARG...]`, the machine's fork+exec ceiling, for context
 * beside the daemons' bursts (bench/peers.sh): starts PROG N times, fork() then execv(), keeping
 * up to PAR children at once (reaped with waitpid), and prints "N SECONDS STARTS_PER_S". No
 * daemon starts jobs faster than this on the same machine; a job run through /bin/sh -c costs
 * a second exec. Exit status: 0, or 1 when a fork or an exec failed. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct timespec a, b;
        int n, par, running = 0, bad = 0, st;

        if (argc < 4 || (n = atoi(argv[1])) < 1 || (par = atoi(argv[2])) < 1) {
                fprintf(stderr, "usage: forkexec N PAR PROG [ARG...]\n");
                return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < n; i++) {
                pid_t p;

                while (running >= par) {
                        if (wait(&st) < 0)
                                return 1;
                        bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
                        running--;
                }
                p = fork();
                if (p < 0)
                        return 1;
                if (p == 0) {
                        execv(argv[3], argv + 3);
                        _exit(127);
                }
                running++;
        }
        while (running > 0 && wait(&st) > 0) {
                bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
                running--;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9;
        printf("%d %.3f %.0f\n", n, s, n / s);
        return bad;
}
