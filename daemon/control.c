/* daemon/control.c: the control socket: listening, accepting, framing, and each client's life.
 *
 * Who asks comes from SO_PEERCRED only (struct caller); what they may ask is request.c's business.
 * Clients are non-blocking with bounded buffers: a request is read whole (its length is checked
 * before anything is allocated), handed to request_handle(), its reply queued in an output buffer
 * and written as the socket takes it, so a slow or broken client never delays scheduling or other
 * clients. Malformed, oversized or unexpected messages end that connection, never the daemon. */
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "sd.h"
#include "tockd.h"
#include "util.h"

#define MAX_CLIENTS 256

struct client {
        struct io_source io;
        struct client *prev, *next;
        struct caller who;
        uint8_t hdr[PROTO_HDR_SIZE];
        size_t hdr_got;
        struct proto_hdr h;
        uint8_t *body;
        size_t body_got;
        int fds[PROTO_MAX_FDS];
        size_t n_fds;
        uint8_t *out;
        size_t out_len, out_off;
        bool closing; /* close once the output is written */
        bool running; /* a RUN is in progress: no other request until it is done */
};

/* ---- the socket ---- */

/* A descriptor held in reserve: when tockd has no descriptor left, a waiting connection could not
 * be accepted, and the listening socket would wake tockd again and again. The reserve is let go
 * to accept that connection and close it at once (the client sees tockd close), then taken back. */
static int spare_fd = -1;

static void spare_take(void) {
        if (spare_fd < 0)
                spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int control_start(struct daemon *d) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *dir = NULL;
        int fd = sd_listen_fd();
        char *slash;

        if (fd >= 0) {
                log_info("control socket passed by systemd (socket activation)");
                goto have_fd;
        }
        if (!*d->cfg.socket)
                return 0;
        if (strlen(d->cfg.socket) >= sizeof sa.sun_path)
                return log_error("control socket path too long: %s", d->cfg.socket), -ENAMETOOLONG;
        strcpy(sa.sun_path, d->cfg.socket);
        dir = strdup(d->cfg.socket);
        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = 0;
                (void) mkdir(dir, 0755);
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_errno(errno, "cannot create the control socket");
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0) {
                close(fd);
                return log_error("another tockd answers on %s; not taking its socket", d->cfg.socket), -EADDRINUSE;
        }
        (void) unlink(sa.sun_path); /* a stale socket of an earlier tockd */
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || chmod(sa.sun_path, 0666) < 0 || listen(fd, 128) < 0) {
                int r = log_errno(errno, "cannot listen on %s", d->cfg.socket);
                close(fd);
                return r;
        }
have_fd:
        (void) fcntl(fd, F_SETFL, O_NONBLOCK);
        spare_take();
        d->control.listen_io = (struct io_source) { .kind = IO_LISTEN, .fd = fd };
        if (loop_add(d, &d->control.listen_io, EPOLLIN) < 0) {
                close(fd);
                d->control.listen_io.fd = -1;
                return log_errno(errno, "cannot watch the control socket");
        }
        return 0;
}

static void client_free(struct daemon *d, struct client *c) {
        loop_del(d, &c->io);
        close(c->io.fd);
        for (size_t i = 0; i < c->n_fds; i++)
                close(c->fds[i]);
        runs_client_gone(d, c); /* the jobs go on; nobody waits for them */
        if (c->prev)
                c->prev->next = c->next;
        else
                d->control.clients = c->next;
        if (c->next)
                c->next->prev = c->prev;
        d->control.n_clients--;
        free(c->who.user);
        free(c->body);
        free(c->out);
        free(c);
}

void control_stop(struct daemon *d) {
        while (d->control.clients)
                client_free(d, d->control.clients);
        if (d->control.listen_io.fd >= 0) {
                loop_del(d, &d->control.listen_io);
                close(d->control.listen_io.fd);
                d->control.listen_io.fd = -1;
                if (*d->cfg.socket && sd_listen_fd() < 0)
                        (void) unlink(d->cfg.socket);
        }
        closep(&spare_fd);
}

/* A client is read only when it has nothing pending: no reply waiting to be written, no RUN
 * going on. So one client holds at most one reply in tockd's memory, however many requests it
 * sends without reading. EPOLLHUP and EPOLLERR come anyway. */
static void client_update_events(struct daemon *d, struct client *c) {
        struct epoll_event ev = { .data.ptr = &c->io };

        ev.events = c->out_len > c->out_off ? EPOLLOUT : (c->running || c->closing) ? 0 : EPOLLIN;
        (void) epoll_ctl(d->loop.epoll_fd, EPOLL_CTL_MOD, c->io.fd, &ev);
}

void control_send(struct daemon *d, struct client *c, struct proto_buf *b) {
        uint8_t *n;

        if (proto_finish(b) < 0) {
                proto_buf_done(b);
                c->closing = true;
                client_update_events(d, c);
                return;
        }
        n = realloc(c->out, c->out_len + b->len);
        if (!n) {
                c->closing = true;
        } else {
                memcpy(n + c->out_len, b->data, b->len);
                c->out = n;
                c->out_len += b->len;
        }
        proto_buf_done(b);
        client_update_events(d, c);
}

void control_reply_error(struct daemon *d, struct client *c, int err, const char *fmt, ...) {
        struct proto_buf b = {};
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        proto_put_error(&b, &(struct proto_error) { .err = err < 0 ? err : -err, .msg = msg ? msg : (char *) "error" });
        control_send(d, c, &b);
}

void control_reply_ok(struct daemon *d, struct client *c, const char *msg) {
        struct proto_buf b = {};
        proto_put_ok(&b, msg, msg ? strlen(msg) : 0);
        control_send(d, c, &b);
}

void control_accept(struct daemon *d) {
        for (int i = 0; i < 64; i++) {
                struct ucred cred;
                socklen_t len = sizeof cred;
                int fd = accept4(d->control.listen_io.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                struct client *c;

                if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
                        static int64_t warned_ns;
                        int64_t now = now_mono_ns();
                        closep(&spare_fd);
                        fd = accept4(d->control.listen_io.fd, NULL, NULL, SOCK_CLOEXEC);
                        if (fd >= 0)
                                close(fd);
                        spare_take();
                        if (now - warned_ns > 60 * 1000000000LL || !warned_ns) {
                                warned_ns = now;
                                log_warning("out of file descriptors: a tockctl connection was closed unanswered");
                        }
                        if (fd < 0 || spare_fd < 0)
                                return;
                        continue;
                }
                if (fd < 0)
                        return;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                        close(fd);
                        continue;
                }
                if (d->control.n_clients >= MAX_CLIENTS) {
                        /* full: the oldest idle client makes room (the list is newest first) */
                        struct client *old = d->control.clients;
                        while (old && old->next)
                                old = old->next;
                        while (old && old->running)
                                old = old->prev;
                        if (!old) {
                                close(fd);
                                continue;
                        }
                        log_debug("too many control clients; closing the oldest (pid %d)", (int) old->who.pid);
                        client_free(d, old);
                }
                c = calloc(1, sizeof(*c));
                if (!c) {
                        close(fd);
                        continue;
                }
                c->io = (struct io_source) { .kind = IO_CLIENT, .fd = fd, .client = c };
                c->who.uid = cred.uid;
                c->who.gid = cred.gid;
                c->who.pid = cred.pid;
                struct passwd *pw = getpwuid(cred.uid);
                c->who.user = pw ? strdup(pw->pw_name) : NULL;
                if (loop_add(d, &c->io, EPOLLIN) < 0) {
                        free(c->who.user);
                        free(c);
                        close(fd);
                        continue;
                }
                c->next = d->control.clients;
                if (d->control.clients)
                        d->control.clients->prev = c;
                d->control.clients = c;
                d->control.n_clients++;
        }
}

/* ---- for request.c ---- */

const struct caller *control_caller(const struct client *c) {
        return &c->who;
}

size_t control_fds(const struct client *c, const int **ret_fds) {
        *ret_fds = c->fds;
        return c->n_fds;
}

void control_set_running(struct client *c, bool running) {
        c->running = running;
}

void control_close_after_reply(struct client *c) {
        c->closing = true;
}

/* ---- a RUN's answers, from reap.c and spawn.c ---- */

void control_run_started(struct daemon *d, struct client *c, pid_t pid, int err, const char *why) {
        struct proto_buf b = {};

        if (err) {
                c->running = false;
                return control_reply_error(d, c, -err, "the job could not be started: %s", why ? why : strerror(err));
        }
        proto_put_run_started(&b, pid);
        control_send(d, c, &b);
}

void control_run_done(struct daemon *d, struct client *c, int wstatus, int64_t duration_ms) {
        struct proto_buf b = {};

        if (!c->running)
                return; /* a failure to start was answered already */
        c->running = false; /* control_send() below reads the client again once the reply is out */
        proto_put_run_done(&b, &(struct proto_run_done) { .wstatus = wstatus, .duration_ms = duration_ms });
        control_send(d, c, &b);
}

/* ---- reading requests, writing replies ---- */

static void client_request_done(struct client *c) {
        for (size_t i = 0; i < c->n_fds; i++)
                close(c->fds[i]);
        c->n_fds = 0;
        free(c->body);
        c->body = NULL;
        c->hdr_got = c->body_got = 0;
}

/* Reads what is there; returns false when the client is to be dropped. */
static bool client_read(struct daemon *d, struct client *c) {
        for (int rounds = 0; rounds < 16; rounds++) {
                uint8_t *dst;
                size_t want;
                if (c->running || c->closing)
                        return true; /* one request at a time; a RUN is answered when it ends */
                if (c->hdr_got < PROTO_HDR_SIZE) {
                        dst = c->hdr + c->hdr_got;
                        want = PROTO_HDR_SIZE - c->hdr_got;
                } else {
                        dst = c->body + c->body_got;
                        want = c->h.len - c->body_got;
                }
                char cbuf[CMSG_SPACE(PROTO_MAX_FDS * sizeof(int))];
                struct iovec iov = { dst, want };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
                ssize_t k = want ? recvmsg(c->io.fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) : 0;
                if (k < 0 && (errno == EAGAIN || errno == EINTR))
                        return true;
                if (k < 0 || (k == 0 && want))
                        return false; /* gone, perhaps mid-message: that is fine */
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                                continue;
                        size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        int *fds = (int *) (void *) CMSG_DATA(cm);
                        for (size_t i = 0; i < n; i++) {
                                if (c->n_fds < PROTO_MAX_FDS)
                                        c->fds[c->n_fds++] = fds[i];
                                else
                                        close(fds[i]);
                        }
                }
                if (mh.msg_flags & MSG_CTRUNC)
                        return false;
                if (c->hdr_got < PROTO_HDR_SIZE) {
                        c->hdr_got += (size_t) k;
                        if (c->hdr_got < PROTO_HDR_SIZE)
                                continue;
                        int r = proto_hdr_unpack(c->hdr, &c->h);
                        if (r == -EPROTONOSUPPORT) {
                                c->closing = true;
                                control_reply_error(d, c, -EPROTONOSUPPORT,
                                            "tockctl speaks protocol version %u, tockd %s speaks %u: use the tockctl that came with tockd",
                                            c->h.version, TOCK_VERSION, PROTO_VERSION);
                                return true;
                        }
                        if (r == -EMSGSIZE) {
                                c->closing = true;
                                control_reply_error(d, c, -EMSGSIZE, "message of %u bytes is over the limit of %u", c->h.len,
                                            PROTO_MAX_BODY);
                                return true;
                        }
                        if (r < 0 || c->h.type < PROTO_HELLO || c->h.type >= _PROTO_REQUEST_END)
                                return false; /* not a tockctl: no answer */
                        c->body = malloc(c->h.len ? c->h.len : 1);
                        if (!c->body)
                                return false;
                        c->body_got = 0;
                } else
                        c->body_got += (size_t) k;
                if (c->hdr_got == PROTO_HDR_SIZE && c->body_got == c->h.len) {
                        request_handle(d, c, c->h.type, c->body, c->h.len);
                        client_request_done(c);
                        client_update_events(d, c);
                        return true; /* the next request once this reply is written */
                }
        }
        return true;
}

static bool client_write(struct daemon *d, struct client *c) {
        while (c->out_off < c->out_len) {
                ssize_t k = send(c->io.fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return true;
                if (k < 0)
                        return false;
                c->out_off += (size_t) k;
        }
        free(c->out);
        c->out = NULL;
        c->out_len = c->out_off = 0;
        client_update_events(d, c);
        return !c->closing;
}

void control_handle(struct daemon *d, struct io_source *io, uint32_t events) {
        struct client *c = io->client;

        if ((events & (EPOLLHUP | EPOLLERR)) && (c->running || c->out_len > c->out_off || c->closing)) {
                client_free(d, c); /* gone while we were not reading: a RUN goes on without it */
                return;
        }
        if ((events & EPOLLOUT) && !client_write(d, c))
                return client_free(d, c);
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                if (!client_read(d, c)) {
                        client_free(d, c);
                        return;
                }
                if (c->out_len && !client_write(d, c))
                        client_free(d, c);
        }
}
