/* tests/integration/notify-listen.c: a tiny sd_notify listener for the integration tests.
 *
 * Binds a datagram Unix socket at PATH and prints each message it receives on its own line
 * (a message of several "KEY=value" lines stays several lines), flushing after each, until it
 * is killed. Built by the test script with plain `cc`; not part of tock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char buf[8192];
        int fd;

        if (argc != 2) {
                fprintf(stderr, "usage: notify-listen SOCKET-PATH\n");
                return 2;
        }
        if (strlen(argv[1]) >= sizeof sa.sun_path) {
                fprintf(stderr, "notify-listen: socket path too long: %s\n", argv[1]);
                return 2;
        }
        strcpy(sa.sun_path, argv[1]);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                perror("notify-listen: socket");
                return 1;
        }
        (void) unlink(argv[1]);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                perror("notify-listen: bind");
                return 1;
        }
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("notify-listen: recv");
                        return 1;
                }
                fwrite(buf, 1, (size_t) n, stdout);
                if (n == 0 || buf[n - 1] != '\n')
                        putchar('\n');
                fflush(stdout);
        }
}
