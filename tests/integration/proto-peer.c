/* tests/integration/proto-peer.c: a misbehaving peer for tockd's control socket, and a fake tockd
 * for tockctl. The bytes are packed here by hand, from common/proto.h's layout, so that nothing
 * of tock's own code can hide a mistake in it.
 *
 *   proto-peer SOCK hello              a good HELLO: "OK version=V uid=U user=NAME"
 *   proto-peer SOCK half-header        6 of the 12 header bytes, then close
 *   proto-peer SOCK promise-close      a header promising 64 body bytes, 8 of them, then close
 *   proto-peer SOCK oversize           a header announcing PROTO_MAX_BODY + 1 bytes (prints
 *                                      "limit PROTO_MAX_BODY" first)
 *   proto-peer SOCK malformed          STATUS whose string runs past the end of its body
 *   proto-peer SOCK trailing           HELLO with 4 bytes left over in its body
 *   proto-peer SOCK garbage            4 KiB of bytes that are no header
 *   proto-peer SOCK version V          HELLO in protocol version V
 *   proto-peer SOCK fds                STATUS with a file descriptor attached
 *   proto-peer SOCK hold N             N connections left half-open (nothing, half a header, or a
 *                                      header and part of its body) until stdin ends; prints
 *                                      "held K" once all are connected
 *   proto-peer SOCK pipeline N         N requests NEXT (count 10000) sent without reading a reply,
 *                                      then the connection is held until stdin ends; prints
 *                                      "sent K" (K < N when tockd stopped reading for 5 s)
 *   proto-peer SOCK flood N COUNT PID KB
 *                                      N connections, each sending one NEXT (count COUNT) and
 *                                      never reading, while tockd (PID) is under KB kB of RSS;
 *                                      prints "sent K maxrss M" (M in kB, what /proc showed
 *                                      after each connection), then holds them until stdin ends
 *   proto-peer SOCK stall N PID         N connections, each sending STATUS (taking parts) and never
 *                                      reading; prints "sent N maxrss M" (tockd's, PID, in kB, the
 *                                      most /proc showed, 2 s after the last), then holds them
 *                                      until stdin ends
 *   proto-peer SOCK status-pause       STATUS (taking parts): reads the first part, prints
 *                                      "paused", waits for a line on stdin, then reads the rest;
 *                                      prints "parts K" and the last message ("ERROR E MSG flags=F"
 *                                      or "REPLY type=T flags=F")
 *   proto-peer SOCK hold-runs N JOB    N connections, each a RUN of the caller's JOB whose stdin
 *                                      is one pipe that stays open (a `cat` job waits on it) and
 *                                      whose stdout and stderr are /dev/null; prints "started K"
 *                                      (the RUN_STARTED replies), then, once stdin ends, closes
 *                                      the pipe and prints "done K" (the RUN_DONE replies)
 *   proto-peer SOCK passed UID          connects as the caller (root), then hands the connection to
 *                                      a child that becomes UID and sends HELLO on it: what a
 *                                      descriptor passed from root to another uid can do
 *   proto-peer SOCK later hello|list   connects, prints "connected", waits for a line on stdin,
 *                                      then sends HELLO or LIST (of the caller's own table)
 *   proto-peer SOCK run-file USER JOB PATH
 *                                      RUN of USER's JOB with PATH (opened for appending) as its
 *                                      three standard streams, as a tockctl that hands over its own
 *                                      descriptors would; prints the first reply
 *   proto-peer SOCK status-whole       STATUS without PROTO_FLAG_PARTS, as a tockctl older than
 *                                      replies in parts: the first reply message and whether
 *                                      tockd then closed
 *   proto-peer SOCK serve MODE         a fake tockd: answers every request with a reply in
 *                                      protocol version 9 (MODE version), with bytes that are no
 *                                      header (garbage), or by closing (close)
 *   proto-peer SOCK serve abort N      a fake tockd whose first N answers are a STATUS part and
 *                                      then ERROR(-EAGAIN) flagged PROTO_FLAG_ABORT (its tables
 *                                      changed meanwhile), and the next ones an empty STATUS of a
 *                                      tockd "fake-K" (K: the connection's number); prints
 *                                      "conn K" for each connection; another request than
 *                                      STATUS is closed unanswered, as a tockd older than it does
 *   proto-peer SOCK bind-only          binds SOCK and exits: a socket nobody listens on
 *
 * The client modes print what came back, one line each: "ERROR -ERRNO MESSAGE", "OK ...",
 * "REPLY type=T version=V len=L", then "closed" when tockd then closed the connection, or
 * "closed without a reply". Replies are awaited for 10 s at most ("timeout"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"

static const char *sock_path;

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static void header(uint8_t h[PROTO_HDR_SIZE], uint16_t version, uint16_t type, uint32_t len) {
        put16(h, PROTO_MAGIC);
        put16(h + 2, version);
        put16(h + 4, type);
        put16(h + 6, 0);
        put32(h + 8, len);
}

/* tockd's VmRSS in kB, 0 when it cannot be read */
static long rss_kb(const char *pid) {
        char path[64], line[256];
        long kb = 0;
        FILE *f;

        snprintf(path, sizeof path, "/proc/%s/status", pid);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "VmRSS: %ld", &kb) == 1)
                        break;
        if (f)
                fclose(f);
        return kb;
}

static int connect_sock(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = 10 };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                printf("connect failed: %s\n", strerror(errno));
                exit(1);
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return fd;
}

static void send_all(int fd, const void *p, size_t n) {
        const uint8_t *b = p;
        while (n > 0) {
                ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        printf("send failed: %s\n", strerror(errno));
                        return;
                }
                b += k;
                n -= (size_t) k;
        }
}

/* 1 read, 0 EOF before anything, -1 EOF midway or error ("timeout" printed on the timeout) */
static int read_all(int fd, void *p, size_t n) {
        uint8_t *b = p;
        size_t got = 0;
        while (got < n) {
                ssize_t k = read(fd, b + got, n - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        printf("timeout\n");
                        return -1;
                }
                if (k < 0 && errno == ECONNRESET && got == 0)
                        return 0; /* closed with our bytes unread: a reset, but a close all the same */
                if (k < 0)
                        return -1;
                if (k == 0)
                        return got ? -1 : 0;
                got += (size_t) k;
        }
        return 1;
}

/* Prints one reply; returns false when there was none. */
static int print_reply(int fd) {
        uint8_t h[PROTO_HDR_SIZE];
        int r = read_all(fd, h, sizeof h);
        uint16_t version = (uint16_t) (h[2] | h[3] << 8), type = (uint16_t) (h[4] | h[5] << 8);
        uint32_t len = get32(h + 8);

        if (r == 0) {
                printf("closed without a reply\n");
                return 0;
        }
        if (r < 0) {
                printf("broken reply\n");
                return 0;
        }
        if (len > 1u << 20) {
                printf("REPLY type=%u version=%u len=%u (too long to read)\n", type, version, len);
                return 0;
        }
        uint8_t *body = malloc(len + 1);
        if (!body || read_all(fd, body, len) != (len ? 1 : 0)) {
                printf("REPLY type=%u version=%u len=%u (body cut short)\n", type, version, len);
                free(body);
                return 0;
        }
        if (type == PROTO_ERROR && len >= 8 && get32(body + 4) == len - 8) {
                printf("ERROR %d %.*s\n", (int32_t) get32(body), (int) (len - 8), (char *) body + 8);
        } else if (type == PROTO_OK && len >= 4) {
                /* HELLO: str version, u32 uid, str user; other OKs: show the first string's length */
                uint32_t n1 = get32(body);
                if (n1 + 8 <= len) {
                        uint32_t uid = get32(body + 4 + n1);
                        uint32_t n2 = n1 + 12 <= len ? get32(body + 8 + n1) : 0;
                        if (n1 + 12 + n2 == len)
                                printf("OK version=%.*s uid=%u user=%.*s\n", (int) n1, (char *) body + 4, uid, (int) n2,
                                       (char *) body + 12 + n1);
                        else
                                printf("OK len=%u\n", len);
                } else
                        printf("OK len=%u\n", len);
        } else {
                printf("REPLY type=%u version=%u len=%u\n", type, version, len);
        }
        free(body);
        return 1;
}

/* After a reply: does tockd close the connection? */
static void print_close(int fd) {
        uint8_t b;
        ssize_t k = read(fd, &b, 1);
        if (k == 0)
                printf("closed\n");
        else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                printf("still open\n");
        else if (k < 0)
                printf("closed (%s)\n", strerror(errno));
        else
                printf("more data\n");
}

static int client(const char *mode, char **args, int nargs) {
        uint8_t msg[64];
        int fd;

        if (!strcmp(mode, "hello")) {
                fd = connect_sock();
                header(msg, PROTO_VERSION, PROTO_HELLO, 0);
                send_all(fd, msg, PROTO_HDR_SIZE);
                print_reply(fd);
        } else if (!strcmp(mode, "half-header")) {
                fd = connect_sock();
                header(msg, PROTO_VERSION, PROTO_STATUS, 4);
                send_all(fd, msg, 6);
                printf("sent\n");
        } else if (!strcmp(mode, "promise-close")) {
                fd = connect_sock();
                header(msg, PROTO_VERSION, PROTO_STATUS, 64);
                memset(msg + PROTO_HDR_SIZE, 0, 8);
                send_all(fd, msg, PROTO_HDR_SIZE + 8);
                printf("sent\n");
        } else if (!strcmp(mode, "oversize")) {
                fd = connect_sock();
                printf("limit %u\n", PROTO_MAX_BODY);
                header(msg, PROTO_VERSION, PROTO_INSTALL, PROTO_MAX_BODY + 1);
                send_all(fd, msg, PROTO_HDR_SIZE);
                if (print_reply(fd))
                        print_close(fd);
        } else if (!strcmp(mode, "malformed")) {
                fd = connect_sock();
                header(msg, PROTO_VERSION, PROTO_STATUS, 6);
                put32(msg + PROTO_HDR_SIZE, 1000); /* a string of 1000 bytes, in a body of 6 */
                memcpy(msg + PROTO_HDR_SIZE + 4, "ab", 2);
                send_all(fd, msg, PROTO_HDR_SIZE + 6);
                print_reply(fd);
        } else if (!strcmp(mode, "trailing")) {
                fd = connect_sock();
                header(msg, PROTO_VERSION, PROTO_HELLO, 4);
                put32(msg + PROTO_HDR_SIZE, 7);
                send_all(fd, msg, PROTO_HDR_SIZE + 4);
                print_reply(fd);
        } else if (!strcmp(mode, "garbage")) {
                static uint8_t junk[4096];
                uint32_t x = 12345;
                for (size_t i = 0; i < sizeof junk; i++) {
                        x = x * 1103515245u + 12345u;
                        junk[i] = (uint8_t) (x >> 16);
                }
                junk[0] = 'G', junk[1] = 'E', junk[2] = 'T', junk[3] = ' '; /* not the magic "TK" */
                fd = connect_sock();
                send_all(fd, junk, sizeof junk);
                print_reply(fd);
        } else if (!strcmp(mode, "version") && nargs == 1) {
                fd = connect_sock();
                header(msg, (uint16_t) strtoul(args[0], NULL, 10), PROTO_HELLO, 0);
                send_all(fd, msg, PROTO_HDR_SIZE);
                if (print_reply(fd))
                        print_close(fd);
        } else if (!strcmp(mode, "fds")) {
                union {
                        char buf[CMSG_SPACE(sizeof(int))];
                        struct cmsghdr align;
                } control = {};
                int one = 0;
                struct iovec iov = { msg, PROTO_HDR_SIZE + 4 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                                     .msg_controllen = sizeof control.buf };
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &one, sizeof one);
                fd = connect_sock();
                header(msg, PROTO_VERSION, PROTO_STATUS, 4);
                put32(msg + PROTO_HDR_SIZE, 0);
                if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
                        printf("sendmsg failed: %s\n", strerror(errno));
                if (print_reply(fd))
                        print_close(fd);
        } else if (!strcmp(mode, "hold") && nargs == 1) {
                int n = (int) strtol(args[0], NULL, 10), held = 0;
                int *fds = calloc((size_t) n, sizeof(int));
                char c;
                for (int i = 0; fds && i < n; i++) {
                        fds[i] = connect_sock();
                        header(msg, PROTO_VERSION, PROTO_STATUS, 100);
                        if (i % 3 == 1)
                                send_all(fds[i], msg, 5);
                        else if (i % 3 == 2)
                                send_all(fds[i], msg, PROTO_HDR_SIZE + 10);
                        held++;
                }
                printf("held %d\n", held);
                fflush(stdout);
                while (read(0, &c, 1) > 0)
                        ;
                for (int i = 0; i < held; i++)
                        close(fds[i]);
                printf("released\n");
                return 0;
        } else if (!strcmp(mode, "pipeline") && nargs == 1) {
                long n = strtol(args[0], NULL, 10), sent = 0;
                struct timeval tv = { .tv_sec = 5 };
                uint8_t req[PROTO_HDR_SIZE + 8];
                char c;
                fd = connect_sock();
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
                header(req, PROTO_VERSION, PROTO_NEXT, 8);
                put32(req + PROTO_HDR_SIZE, 0);         /* user "" */
                put32(req + PROTO_HDR_SIZE + 4, 10000); /* count */
                for (; sent < n; sent++)
                        if (send(fd, req, sizeof req, MSG_NOSIGNAL) != (ssize_t) sizeof req)
                                break;
                printf("sent %ld\n", sent);
                fflush(stdout);
                while (read(0, &c, 1) > 0)
                        ;
                return 0;
        } else if (!strcmp(mode, "flood") && nargs == 4) {
                long n = strtol(args[0], NULL, 10), limit = strtol(args[3], NULL, 10), sent = 0, max = 0;
                uint8_t req[PROTO_HDR_SIZE + 8];
                int *fds = calloc((size_t) n, sizeof(int));
                char c;
                header(req, PROTO_VERSION, PROTO_NEXT, 8);
                put16(req + 6, PROTO_FLAG_PARTS);
                put32(req + PROTO_HDR_SIZE, 0); /* user "" */
                put32(req + PROTO_HDR_SIZE + 4, (uint32_t) strtoul(args[1], NULL, 10));
                for (; fds && sent < n && max <= limit; sent++) {
                        long kb;
                        fds[sent] = connect_sock();
                        (void) send(fds[sent], req, sizeof req, MSG_NOSIGNAL | MSG_DONTWAIT);
                        usleep(2000);
                        kb = rss_kb(args[2]);
                        max = kb > max ? kb : max;
                }
                printf("sent %ld maxrss %ld\n", sent, max);
                fflush(stdout);
                while (read(0, &c, 1) > 0)
                        ;
                return 0;
        } else if (!strcmp(mode, "stall") && nargs == 2) {
                long n = strtol(args[0], NULL, 10), max = 0, kb;
                uint8_t req[PROTO_HDR_SIZE + 4];
                char c;
                header(req, PROTO_VERSION, PROTO_STATUS, 4);
                put16(req + 6, PROTO_FLAG_PARTS);
                put32(req + PROTO_HDR_SIZE, 0); /* user "": root's view of every job */
                for (long i = 0; i < n; i++) {
                        fd = connect_sock();
                        (void) send(fd, req, sizeof req, MSG_NOSIGNAL | MSG_DONTWAIT);
                        usleep(20000);
                        kb = rss_kb(args[1]);
                        max = kb > max ? kb : max;
                }
                for (int i = 0; i < 20; i++) {
                        usleep(100000);
                        kb = rss_kb(args[1]);
                        max = kb > max ? kb : max;
                }
                printf("sent %ld maxrss %ld\n", n, max);
                fflush(stdout);
                while (read(0, &c, 1) > 0)
                        ;
                return 0;
        } else if (!strcmp(mode, "status-pause")) {
                uint8_t req[PROTO_HDR_SIZE + 4], h[PROTO_HDR_SIZE];
                long parts = 0;
                char line[16];
                header(req, PROTO_VERSION, PROTO_STATUS, 4);
                put16(req + 6, PROTO_FLAG_PARTS);
                put32(req + PROTO_HDR_SIZE, 0);
                fd = connect_sock();
                send_all(fd, req, sizeof req);
                for (;;) {
                        if (read_all(fd, h, sizeof h) != 1) {
                                printf("closed after %ld parts\n", parts);
                                return 0;
                        }
                        uint16_t type = (uint16_t) (h[4] | h[5] << 8), flags = (uint16_t) (h[6] | h[7] << 8);
                        uint32_t len = get32(h + 8);
                        uint8_t *body = malloc(len + 1);
                        if (!body || read_all(fd, body, len) != (len ? 1 : 0)) {
                                printf("body cut short\n");
                                return 0;
                        }
                        parts++;
                        if (parts == 1) {
                                printf("paused\n");
                                fflush(stdout);
                                if (!fgets(line, sizeof line, stdin))
                                        return 0;
                        }
                        if (!(flags & PROTO_FLAG_MORE)) {
                                printf("parts %ld\n", parts);
                                if (type == PROTO_ERROR && len >= 8)
                                        printf("ERROR %d %.*s flags=%u\n", (int32_t) get32(body), (int) (len - 8),
                                               (char *) body + 8, flags);
                                else
                                        printf("REPLY type=%u flags=%u\n", type, flags);
                                free(body);
                                return 0;
                        }
                        free(body);
                }
        } else if (!strcmp(mode, "hold-runs") && nargs == 2) {
                long n = strtol(args[0], NULL, 10), started = 0, done = 0;
                size_t nj = strlen(args[1]), len = 8 + nj;
                int in[2], null = open("/dev/null", O_WRONLY | O_CLOEXEC), *fds = calloc((size_t) n, sizeof(int));
                uint8_t *m = malloc(PROTO_HDR_SIZE + len), h[PROTO_HDR_SIZE];
                char c;
                if (!m || !fds || null < 0 || pipe2(in, O_CLOEXEC) < 0) {
                        printf("setup failed: %s\n", strerror(errno));
                        return 1;
                }
                header(m, PROTO_VERSION, PROTO_RUN, (uint32_t) len);
                put32(m + PROTO_HDR_SIZE, 0); /* user "" */
                put32(m + PROTO_HDR_SIZE + 4, (uint32_t) nj);
                memcpy(m + PROTO_HDR_SIZE + 8, args[1], nj);
                for (long i = 0; i < n; i++) {
                        union {
                                char buf[CMSG_SPACE(3 * sizeof(int))];
                                struct cmsghdr align;
                        } control = {};
                        int three[3] = { in[0], null, null };
                        struct iovec iov = { m, PROTO_HDR_SIZE + len };
                        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                                             .msg_controllen = sizeof control.buf };
                        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                        cm->cmsg_level = SOL_SOCKET;
                        cm->cmsg_type = SCM_RIGHTS;
                        cm->cmsg_len = CMSG_LEN(sizeof three);
                        memcpy(CMSG_DATA(cm), three, sizeof three);
                        fds[i] = connect_sock();
                        (void) sendmsg(fds[i], &mh, MSG_NOSIGNAL);
                }
                close(in[0]);
                for (long i = 0; i < n; i++) /* RUN_STARTED, or an ERROR, or a close */
                        if (read_all(fds[i], h, sizeof h) == 1) {
                                uint32_t blen = get32(h + 8);
                                uint8_t b[256];
                                if (blen <= sizeof b && read_all(fds[i], b, blen) == (blen ? 1 : 0) &&
                                    (h[4] | h[5] << 8) == PROTO_RUN_STARTED)
                                        started++;
                        }
                printf("started %ld\n", started);
                fflush(stdout);
                while (read(0, &c, 1) > 0)
                        ;
                close(in[1]); /* every cat ends */
                for (long i = 0; i < n; i++)
                        if (read_all(fds[i], h, sizeof h) == 1 && (h[4] | h[5] << 8) == PROTO_RUN_DONE)
                                done++;
                printf("done %ld\n", done);
                return 0;
        } else if (!strcmp(mode, "passed") && nargs == 1) {
                uid_t uid = (uid_t) strtoul(args[0], NULL, 10);
                int status;
                fd = connect_sock();
                fflush(stdout);
                pid_t pid = fork();
                if (pid == 0) {
                        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
                                printf("cannot become uid %u: %s\n", (unsigned) uid, strerror(errno));
                                _exit(1);
                        }
                        header(msg, PROTO_VERSION, PROTO_HELLO, 0);
                        send_all(fd, msg, PROTO_HDR_SIZE);
                        if (print_reply(fd))
                                print_close(fd);
                        fflush(stdout);
                        _exit(0);
                }
                close(fd); /* the child alone holds it now */
                if (pid < 0 || waitpid(pid, &status, 0) < 0)
                        printf("fork failed: %s\n", strerror(errno));
        } else if (!strcmp(mode, "later") && nargs == 1) {
                char line[16];
                fd = connect_sock();
                printf("connected\n");
                fflush(stdout);
                if (!fgets(line, sizeof line, stdin))
                        return 0;
                if (!strcmp(args[0], "list")) {
                        header(msg, PROTO_VERSION, PROTO_LIST, 4);
                        put32(msg + PROTO_HDR_SIZE, 0); /* user "": the caller */
                        send_all(fd, msg, PROTO_HDR_SIZE + 4);
                } else {
                        header(msg, PROTO_VERSION, PROTO_HELLO, 0);
                        send_all(fd, msg, PROTO_HDR_SIZE);
                }
                print_reply(fd);
        } else if (!strcmp(mode, "run-file") && nargs == 3) {
                union {
                        char buf[CMSG_SPACE(3 * sizeof(int))];
                        struct cmsghdr align;
                } control = {};
                size_t nu = strlen(args[0]), nj = strlen(args[1]), len = 8 + nu + nj;
                uint8_t *m = malloc(PROTO_HDR_SIZE + len);
                int f = open(args[2], O_WRONLY | O_APPEND | O_CLOEXEC), three[3] = { f, f, f };
                if (!m || f < 0) {
                        printf("cannot open %s: %s\n", args[2], strerror(errno));
                        return 1;
                }
                header(m, PROTO_VERSION, PROTO_RUN, (uint32_t) len);
                put32(m + PROTO_HDR_SIZE, (uint32_t) nu);
                memcpy(m + PROTO_HDR_SIZE + 4, args[0], nu);
                put32(m + PROTO_HDR_SIZE + 4 + nu, (uint32_t) nj);
                memcpy(m + PROTO_HDR_SIZE + 8 + nu, args[1], nj);
                struct iovec iov = { m, PROTO_HDR_SIZE + len };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                                     .msg_controllen = sizeof control.buf };
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof three);
                memcpy(CMSG_DATA(cm), three, sizeof three);
                fd = connect_sock();
                if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
                        printf("sendmsg failed: %s\n", strerror(errno));
                print_reply(fd);
                free(m);
        } else if (!strcmp(mode, "status-whole")) {
                fd = connect_sock();
                header(msg, PROTO_VERSION, PROTO_STATUS, 4);
                put32(msg + PROTO_HDR_SIZE, 0); /* user "" */
                send_all(fd, msg, PROTO_HDR_SIZE + 4);
                if (print_reply(fd))
                        print_close(fd);
        } else {
                fprintf(stderr, "proto-peer: unknown mode '%s'\n", mode);
                return 2;
        }
        return 0;
}

static int server(const char *mode, long abort_n) {
        long conns = 0;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
        unlink(sock_path);
        if (lfd < 0 || bind(lfd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                perror("proto-peer: bind");
                return 1;
        }
        chmod(sock_path, 0666); /* test users connect too */
        if (!strcmp(mode, "bind-only"))
                return 0; /* the socket file stays; nothing listens on it */
        if (listen(lfd, 16) < 0) {
                perror("proto-peer: listen");
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        for (;;) {
                uint8_t h[PROTO_HDR_SIZE] = { 0 }, reply[PROTO_HDR_SIZE + 8];
                int fd = accept(lfd, NULL, NULL);
                if (fd < 0)
                        continue;
                struct timeval tv = { .tv_sec = 5 };
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                if (read_all(fd, h, sizeof h) == 1) {
                        uint32_t len = get32(h + 8);
                        uint8_t skip[4096];
                        while (len > 0) { /* the body, unread */
                                ssize_t k = read(fd, skip, len < sizeof skip ? len : sizeof skip);
                                if (k <= 0)
                                        break;
                                len -= (uint32_t) k;
                        }
                }
                if (!strcmp(mode, "version")) {
                        header(reply, 9, PROTO_ERROR, 8);
                        put32(reply + PROTO_HDR_SIZE, (uint32_t) -EPROTONOSUPPORT);
                        put32(reply + PROTO_HDR_SIZE + 4, 0);
                        send(fd, reply, sizeof reply, MSG_NOSIGNAL);
                } else if (!strcmp(mode, "garbage")) {
                        static const char http[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
                        send(fd, http, sizeof http - 1, MSG_NOSIGNAL);
                } else if (!strcmp(mode, "abort") && (h[4] | h[5] << 8) != PROTO_STATUS) {
                        /* as a tockd older than the request (REFUSED after status): no answer */
                } else if (!strcmp(mode, "abort")) {
                        /* STATUS: str version, i64 started_at, u32 tables, jobs, running, n */
                        uint8_t m[PROTO_HDR_SIZE + 64] = { 0 };
                        char version[16];
                        size_t nv = (size_t) snprintf(version, sizeof version, "fake-%ld", ++conns);
                        size_t len = 4 + nv + 8 + 16;
                        printf("conn %ld\n", conns);
                        fflush(stdout);
                        put32(m + PROTO_HDR_SIZE, (uint32_t) nv);
                        memcpy(m + PROTO_HDR_SIZE + 4, version, nv);
                        if (conns <= abort_n) { /* half of it, then the abort */
                                static const char msg[] = "the tables changed";
                                uint8_t e[PROTO_HDR_SIZE + 8 + sizeof msg];
                                header(m, PROTO_VERSION, PROTO_STATUS_REPLY, (uint32_t) (len / 2));
                                put16(m + 6, PROTO_FLAG_MORE);
                                send(fd, m, PROTO_HDR_SIZE + len / 2, MSG_NOSIGNAL);
                                header(e, PROTO_VERSION, PROTO_ERROR, 8 + sizeof msg - 1);
                                put16(e + 6, PROTO_FLAG_ABORT);
                                put32(e + PROTO_HDR_SIZE, (uint32_t) -EAGAIN);
                                put32(e + PROTO_HDR_SIZE + 4, sizeof msg - 1);
                                memcpy(e + PROTO_HDR_SIZE + 8, msg, sizeof msg - 1);
                                send(fd, e, PROTO_HDR_SIZE + 8 + sizeof msg - 1, MSG_NOSIGNAL);
                        } else {
                                header(m, PROTO_VERSION, PROTO_STATUS_REPLY, (uint32_t) len);
                                send(fd, m, PROTO_HDR_SIZE + len, MSG_NOSIGNAL);
                        }
                }
                close(fd);
        }
}

int main(int argc, char **argv) {
        if (argc < 3) {
                fprintf(stderr, "usage: proto-peer SOCK MODE [ARG...]\n");
                return 2;
        }
        sock_path = argv[1];
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!strcmp(argv[2], "serve") && argc == 4)
                return server(argv[3], 0);
        if (!strcmp(argv[2], "serve") && argc == 5 && !strcmp(argv[3], "abort"))
                return server("abort", strtol(argv[4], NULL, 10));
        if (!strcmp(argv[2], "bind-only"))
                return server("bind-only", 0);
        return client(argv[2], argv + 3, argc - 3);
}
