/* daemon/control.c: the control socket: listening, accepting, framing, and each client's life.
 *
 * Who asks comes from SO_PEERCRED only (struct caller); what they may ask is request.c's business.
 * Clients are non-blocking with bounded buffers: a request is read whole (its length is checked
 * before anything is allocated), handed to request_handle(), its reply queued in an output buffer
 * and written as the socket takes it, so a slow or broken client never delays scheduling or other
 * clients. Malformed, oversized or unexpected messages end that connection, never the daemon.
 *
 * What one uid can make tockd hold is bounded (issue 10): a client is not read while its uid's
 * buffers (requests being read, replies waiting to be written) come to UID_BUDGET or everyone's
 * to TOTAL_BUDGET, so replies are built only as fast as clients take them; a waiting client
 * holds nothing but its struct client. (A cap on a uid's connections, closing or queueing the
 * 17th, locked a user out behind its own stalled connections: the bytes are what is bounded.)
 * root is never locked out: the last ROOT_RESERVE slots are root's, root's clients are read
 * whatever the budgets say, and when tockd is full the connection closed for room is the oldest
 * idle one of a user other than root if there is one. */
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
#define ROOT_RESERVE 16           /* of MAX_CLIENTS, only root may take */
#define UID_BUDGET (16u << 20)   /* bytes of one uid's requests and replies in tockd's buffers */
#define TOTAL_BUDGET (64u << 20)
#define USER_MAX_REPLY (64u << 20) /* one reply to a user other than root; a user's own STATUS of
                                    * CRONTAB_MAX_ENTRIES jobs and CRONTAB_MAX_BYTES fits */

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
        bool waiting; /* not read because of the budgets: read again once replies drain */
        bool dead;    /* closed: on d->control.dead until the batch of events is done */
        struct reply_stream *stream; /* a reply whose next part is written once `out` is out */
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
        /* every message then carries its sender's credentials (client_read() checks them) */
        (void) setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int) { 1 }, sizeof(int));
        spare_take();
        d->control.listen_io = (struct io_source) { .kind = IO_LISTEN, .fd = fd };
        if (loop_add(d, &d->control.listen_io, EPOLLIN) < 0) {
                close(fd);
                d->control.listen_io.fd = -1;
                return log_errno(errno, "cannot watch the control socket");
        }
        return 0;
}

static void clients_wake(struct daemon *d);

/* The caller's user name, looked up again at every request: a user deleted while connected has
 * none, and a name given since to another uid is not the caller's. */
static void caller_name(struct caller *who) {
        struct passwd *pw = getpwuid(who->uid);

        free(who->user);
        who->user = pw ? strdup(pw->pw_name) : NULL;
}

/* Closes c. It is freed after this batch of events, which may still hold one of c's (a client
 * closed to make room for another, in control_accept()), by control_free_dead(). */
static void client_free(struct daemon *d, struct client *c) {
        loop_del(d, &c->io);
        close(c->io.fd);
        for (size_t i = 0; i < c->n_fds; i++)
                close(c->fds[i]);
        c->n_fds = 0;
        runs_client_gone(d, c); /* the jobs go on; nobody waits for them */
        request_stream_free(c->stream);
        c->stream = NULL;
        if (c->prev)
                c->prev->next = c->next;
        else
                d->control.clients = c->next;
        if (c->next)
                c->next->prev = c->prev;
        d->control.n_clients--;
        c->dead = true;
        c->next = d->control.dead;
        d->control.dead = c;
        if (!d->stopping)
                clients_wake(d); /* some budget may have come free */
}

void control_free_dead(struct daemon *d) {
        while (d->control.dead) {
                struct client *c = d->control.dead;
                d->control.dead = c->next;
                free(c->who.user);
                free(c->body);
                free(c->out);
                free(c);
        }
}

void control_stop(struct daemon *d) {
        while (d->control.clients)
                client_free(d, d->control.clients);
        control_free_dead(d);
        if (d->control.listen_io.fd >= 0) {
                loop_del(d, &d->control.listen_io);
                close(d->control.listen_io.fd);
                d->control.listen_io.fd = -1;
                if (*d->cfg.socket && sd_listen_fd() < 0)
                        (void) unlink(d->cfg.socket);
        }
        closep(&spare_fd);
}

/* Bytes in a client's buffers: the request body being read, the replies waiting to be written. */
static size_t client_bytes(const struct client *c) {
        return (c->body ? c->h.len : 0) + c->out_len - c->out_off + request_stream_bytes(c->stream);
}

/* Bytes in the buffers of uid's clients, and of every client. O(clients). */
static void held_bytes(const struct daemon *d, uid_t uid, size_t *ret_uid, size_t *ret_all) {
        size_t mine = 0, all = 0;

        for (const struct client *c = d->control.clients; c; c = c->next) {
                all += client_bytes(c);
                if (c->who.uid == uid)
                        mine += client_bytes(c);
        }
        *ret_uid = mine;
        *ret_all = all;
}

/* May c's next request be read now? One at a time, and within the budgets unless c is root's
 * (a request already begun is read on: its body is counted already). */
static bool client_may_read(const struct daemon *d, const struct client *c) {
        size_t mine, all;

        if (c->running || c->closing || c->out_len > c->out_off || c->stream)
                return false;
        if (c->who.uid == 0 || c->body)
                return true;
        held_bytes(d, c->who.uid, &mine, &all);
        return mine < UID_BUDGET && all < TOTAL_BUDGET;
}

/* A client is read only when it has nothing pending: no reply waiting to be written, no RUN
 * going on, and it is within the budgets. So one client holds at most one reply in tockd's
 * memory, however many requests it sends without reading. A closing client is watched for
 * EPOLLOUT even with nothing left to write, so that it is closed at once rather than left with
 * nothing to send and nothing to read. EPOLLHUP and EPOLLERR come anyway. */
static void client_update_events(struct daemon *d, struct client *c) {
        struct epoll_event ev = { .data.ptr = &c->io };
        bool may_read = client_may_read(d, c);

        ev.events = c->out_len > c->out_off || c->closing ? EPOLLOUT : may_read ? EPOLLIN : 0;
        c->waiting = !may_read && !c->running && !c->closing && c->out_len == c->out_off;
        (void) epoll_ctl(d->loop.epoll_fd, EPOLL_CTL_MOD, c->io.fd, &ev);
}

/* Replies drained or a client left: the clients waiting on the budgets may be read again. */
static void clients_wake(struct daemon *d) {
        for (struct client *c = d->control.clients; c; c = c->next)
                if (c->waiting)
                        client_update_events(d, c);
}

/* How big a reply to c may grow: in parts only when c takes them. */
size_t control_reply_max(const struct client *c) {
        if (!(c->h.flags & PROTO_FLAG_PARTS))
                return PROTO_MAX_BODY;
        return c->who.uid == 0 ? PROTO_MAX_REPLY : USER_MAX_REPLY;
}

bool control_takes_parts(const struct client *c) {
        return c->h.flags & PROTO_FLAG_PARTS;
}

/* A reply too big to send: the client learns why, and its connection ends after it. */
void control_reply_too_big(struct daemon *d, struct client *c) {
        c->closing = true;
        if (!(c->h.flags & PROTO_FLAG_PARTS))
                return control_reply_error(d, c, -EMSGSIZE,
                                           "the reply is over %u bytes and this tockctl cannot take one in parts: "
                                           "use the tockctl that came with tockd %s",
                                           PROTO_MAX_BODY, TOCK_VERSION);
        control_reply_error(d, c, -EMSGSIZE, "the reply is over the limit of %zu MiB; ask for less",
                            control_reply_max(c) >> 20);
}

void control_send(struct daemon *d, struct client *c, struct proto_buf *b) {
        size_t n;
        uint8_t *o;
        int r;

        r = proto_finish(b);
        if (r == -EMSGSIZE) {
                proto_buf_done(b);
                return control_reply_too_big(d, c);
        }
        n = r < 0 ? 0 : proto_wire_len(b);
        o = n ? realloc(c->out, c->out_len + n) : NULL;
        if (!o) {
                c->closing = true; /* out of memory: closed once what is queued is out */
        } else {
                proto_wire(b, o + c->out_len);
                c->out = o;
                c->out_len += n;
        }
        proto_buf_done(b);
        client_update_events(d, c);
}

int control_queue_part(struct daemon *d, struct client *c, uint16_t type, bool more, const void *body, size_t n) {
        struct proto_hdr h = { .magic = PROTO_MAGIC, .version = PROTO_VERSION, .type = type,
                               .flags = more ? PROTO_FLAG_MORE : 0, .len = (uint32_t) n };
        uint8_t *o = realloc(c->out, c->out_len + PROTO_HDR_SIZE + n);

        if (!o)
                return -ENOMEM;
        proto_hdr_pack(&h, o + c->out_len);
        memcpy(o + c->out_len + PROTO_HDR_SIZE, body, n);
        c->out = o;
        c->out_len += PROTO_HDR_SIZE + n;
        client_update_events(d, c);
        return 0;
}

void control_stream(struct daemon *d, struct client *c, struct reply_stream *s) {
        c->stream = s;
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

/* The oldest client not in a RUN (the list is newest first): of `uid`, or with `any`, of any
 * uid but root's; NULL when there is none. */
static struct client *oldest_idle(struct daemon *d, uid_t uid, bool any) {
        struct client *old = d->control.clients, *found = NULL;

        for (; old; old = old->next)
                if (!old->running && (any ? old->who.uid != 0 : old->who.uid == uid))
                        found = old;
        return found;
}

/* Makes room for a connection of uid, closing an idle one if need be; false: none can be had. */
static bool client_admit(struct daemon *d, uid_t uid) {
        struct client *old;

        if (d->control.n_clients < (uid == 0 ? MAX_CLIENTS : MAX_CLIENTS - ROOT_RESERVE))
                return true;
        old = oldest_idle(d, 0, true);
        if (!old && uid == 0)
                old = oldest_idle(d, 0, false);
        if (!old)
                return false;
        log_debug("too many control clients; closing the oldest idle one (pid %d)", (int) old->who.pid);
        client_free(d, old);
        return true;
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
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
                    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int) { 1 }, sizeof(int)) < 0) {
                        close(fd);
                        continue;
                }
                if (!client_admit(d, cred.uid)) {
                        close(fd);
                        continue;
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
                caller_name(&c->who);
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
                client_update_events(d, c); /* past its uid's budget, it waits */
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

size_t control_runs_of(const struct daemon *d, uid_t uid) {
        size_t n = 0;

        for (const struct client *c = d->control.clients; c; c = c->next)
                n += c->running && c->who.uid == uid;
        return n;
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

/* Bytes sent by another uid than the one that connected: the connection's descriptor was passed
 * on (SCM_RIGHTS, or inherited across a change of uid). Who holds a descriptor is not who opened
 * it, and a request is the sender's, so the connection is refused and closed. Returns true (the
 * error reply is written, then the connection closed). */
static bool client_wrong_sender(struct daemon *d, struct client *c, const struct ucred *from) {
        log_warning("control: a request from uid %d (pid %d) on a connection opened by uid %u (pid %d): refused, "
                    "closing it", from->uid == (uid_t) -1 ? -1 : (int) from->uid, (int) from->pid,
                    (unsigned) c->who.uid, (int) c->who.pid);
        c->closing = true;
        client_request_done(c);
        control_reply_error(d, c, -EPERM,
                            "this connection was opened by uid %u; a request sent on it by uid %d is refused "
                            "(connect to tockd yourself)",
                            (unsigned) c->who.uid, from->uid == (uid_t) -1 ? -1 : (int) from->uid);
        return true;
}

/* Reads what is there; returns false when the client is to be dropped. */
static bool client_read(struct daemon *d, struct client *c) {
        for (int rounds = 0; rounds < 16; rounds++) {
                uint8_t *dst;
                size_t want;
                if (!client_may_read(d, c)) {
                        client_update_events(d, c); /* not EPOLLIN until it may */
                        return true; /* one request at a time, within the budgets; a RUN is answered when it ends */
                }
                if (c->hdr_got < PROTO_HDR_SIZE) {
                        dst = c->hdr + c->hdr_got;
                        want = PROTO_HDR_SIZE - c->hdr_got;
                } else {
                        dst = c->body + c->body_got;
                        want = c->h.len - c->body_got;
                }
                union {
                        char buf[CMSG_SPACE(PROTO_MAX_FDS * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
                        struct cmsghdr align;
                } cbuf;
                struct ucred from = { .uid = (uid_t) -1 };
                struct iovec iov = { dst, want };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof cbuf.buf };
                ssize_t k = want ? recvmsg(c->io.fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) : 0;
                if (k < 0 && (errno == EAGAIN || errno == EINTR))
                        return true;
                if (k < 0 || (k == 0 && want))
                        return false; /* gone, perhaps mid-message: that is fine */
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
                            cm->cmsg_len >= CMSG_LEN(sizeof from))
                                memcpy(&from, CMSG_DATA(cm), sizeof from);
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
                if (k > 0 && from.uid != c->who.uid)
                        return client_wrong_sender(d, c, &from);
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
                        caller_name(&c->who);
                        request_handle(d, c, c->h.type, c->body, c->h.len);
                        client_request_done(c);
                        client_update_events(d, c);
                        return true; /* the next request once this reply is written */
                }
        }
        return true;
}

static bool client_write(struct daemon *d, struct client *c) {
        bool had_out = c->out_len > 0;

        for (;;) {
                while (c->out_off < c->out_len) {
                        ssize_t k = send(c->io.fd, c->out + c->out_off, c->out_len - c->out_off,
                                         MSG_NOSIGNAL | MSG_DONTWAIT);
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
                if (!c->stream)
                        break;
                /* the next part of a reply written as the socket drains */
                if (!request_stream_fill(d, c, c->stream)) {
                        request_stream_free(c->stream);
                        c->stream = NULL;
                }
        }
        if (c->closing)
                return false;
        client_update_events(d, c);
        if (had_out)
                clients_wake(d);
        return true;
}

void control_handle(struct daemon *d, struct io_source *io, uint32_t events) {
        struct client *c = io->client;

        if (c->dead)
                return; /* closed earlier in this batch */
        if ((events & (EPOLLHUP | EPOLLERR)) && (c->running || c->out_len > c->out_off || c->closing || c->waiting)) {
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
