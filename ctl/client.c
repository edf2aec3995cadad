/* ctl/client.c: tockctl's side of tockd's Unix socket.
 *
 * One connection per request: connect, send the request (with the caller's fds for RUN), read
 * replies, each a 12-byte header (checked by proto_hdr_unpack() before anything is allocated)
 * and exactly `len` body bytes; a reply too big for one message comes in parts (PROTO_FLAG_MORE),
 * joined here, so the commands see one reply. tockd knows who is asking from SO_PEERCRED; nothing here says it.
 * Failures come back as negative errno; client_error() turns them into one sentence and an exit
 * code, so every command reports "tockd is not running" the same way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

static const char *socket_override;

void client_set_socket(const char *path) {
        socket_override = path;
}

const char *client_socket_path(void) {
        const char *e;

        if (socket_override)
                return socket_override;
        e = getenv("TOCK_SOCKET");
        return e && *e ? e : CLIENT_DEFAULT_SOCKET;
}

void reply_done(struct reply *rep) {
        free(rep->body);
        free(rep->error_msg);
        *rep = (struct reply) {};
}

static int set_timeout(int fd, int seconds) {
        const struct timeval tv = { .tv_sec = seconds };

        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
                return -errno;
        return 0;
}

int client_connect(struct client *c) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        int r;

        *c = (struct client) { .fd = -1, .path = client_socket_path() };
        /* sun_path holds 108 bytes with the NUL; a longer path cannot be connected to directly */
        if (strlen(c->path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, c->path, strlen(c->path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        r = set_timeout(fd, CLIENT_TIMEOUT_S);
        if (r < 0)
                return r;
        c->fd = TAKE_FD(fd);
        return 0;
}

void client_close(struct client *c) {
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
}

static int send_error(int e) {
        if (e == EAGAIN || e == EWOULDBLOCK)
                return -ETIMEDOUT;
        return e == EPIPE ? -ECONNRESET : -e;
}

int client_send(struct client *c, const struct proto_buf *b, const int *fds, size_t n_fds) {
        union {
                char buf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS)];
                struct cmsghdr align;
        } control = {};
        struct iovec iov = { .iov_base = b->data, .iov_len = b->len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        size_t done = 0;
        ssize_t k;

        if (n_fds > PROTO_MAX_FDS)
                return -EINVAL;
        if (n_fds > 0) {
                struct cmsghdr *cm;

                mh.msg_control = control.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
        }
        /* the fds ride with the first bytes; the rest of a long message follows without them */
        do
                k = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return send_error(errno);
        for (done = (size_t) k; done < b->len; done += (size_t) k) {
                k = send(c->fd, b->data + done, b->len - done, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR) {
                        k = 0;
                        continue;
                }
                if (k < 0)
                        return send_error(errno);
        }
        return 0;
}

/* Reads exactly n bytes. -ECONNRESET when the peer closed first, -ETIMEDOUT on the timeout. */
static int read_full(int fd, void *buf, size_t n) {
        uint8_t *p = buf;

        while (n > 0) {
                ssize_t k = read(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
                if (k == 0)
                        return -ECONNRESET;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* ERROR (i32 -errno, str message) is the same for every request: decode it here. */
static int decode_error(struct reply *rep) {
        struct proto_reader r = rep->r;
        struct proto_error e;

        if (proto_get_error(&r, &e) < 0)
                return -EBADMSG;
        rep->error = e.err > 0 ? -e.err : e.err;
        rep->error_msg = TAKE_PTR(e.msg);
        return 0;
}

/* Reads one message's header; the caller reads its body. */
static int recv_header(struct client *c, struct proto_hdr *ret) {
        uint8_t hdr[PROTO_HDR_SIZE];
        int r = read_full(c->fd, hdr, sizeof hdr);

        if (r < 0)
                return r;
        r = proto_hdr_unpack(hdr, ret);
        if (r == -EPROTONOSUPPORT)
                c->peer_version = ret->version;
        return r;
}

/* A reply in parts (PROTO_FLAG_MORE): the next part's body joined to rep's, within
 * PROTO_MAX_REPLY, each part of the same type. */
static int recv_part(struct client *c, struct reply *rep) {
        struct proto_hdr h;
        uint8_t *body;
        int r = recv_header(c, &h);

        if (r < 0)
                return r;
        if (h.type == PROTO_ERROR && (h.flags & PROTO_FLAG_ABORT)) {
                /* the parts so far are void: the reply is this error */
                body = malloc(h.len + 1);
                if (!body)
                        return -ENOMEM;
                free(rep->body);
                rep->body = body;
                rep->len = h.len;
                rep->type = PROTO_ERROR;
                r = read_full(c->fd, body, h.len);
                return r < 0 ? r : 0;
        }
        if (h.type != rep->type)
                return -EBADMSG;
        if (h.len > PROTO_MAX_REPLY - rep->len)
                return -EMSGSIZE;
        body = realloc(rep->body, rep->len + h.len + 1);
        if (!body)
                return -ENOMEM;
        rep->body = body;
        r = read_full(c->fd, body + rep->len, h.len);
        if (r < 0)
                return r;
        rep->len += h.len;
        return h.flags & PROTO_FLAG_MORE ? 1 : 0;
}

int client_recv(struct client *c, bool wait, struct reply *ret) {
        struct reply rep = {};
        struct proto_hdr h;
        int r;

        r = set_timeout(c->fd, wait ? 0 : CLIENT_TIMEOUT_S);
        if (r < 0)
                return r;
        r = recv_header(c, &h);
        if (r < 0)
                return r;
        c->last_type = h.type;
        rep.type = h.type;
        rep.len = h.len;
        rep.body = malloc(h.len ? h.len : 1); /* never NULL: the reader does arithmetic on it */
        if (!rep.body)
                return -ENOMEM;
        r = read_full(c->fd, rep.body, h.len);
        while (r == 0 && h.flags & PROTO_FLAG_MORE && (r = recv_part(c, &rep)) == 1)
                r = 0;
        if (r == 0 && rep.type == PROTO_ERROR) { /* an ERROR, or one that called the parts off */
                proto_reader_init(&rep.r, rep.body, rep.len);
                r = decode_error(&rep);
        }
        if (r < 0) {
                reply_done(&rep);
                return r;
        }
        proto_reader_init(&rep.r, rep.body, rep.len);
        *ret = rep;
        return 0;
}

int client_error(const struct client *c, int r) {
        const char *me = program_invocation_short_name, *path = c->path ? c->path : client_socket_path();

        switch (r) {
        case -ENOENT:
                fprintf(stderr, "%s: tockd is not running (no socket at %s)\n", me, path);
                return EXIT_DAEMON;
        case -ECONNREFUSED:
                fprintf(stderr, "%s: tockd is not running (nothing listens on %s)\n", me, path);
                return EXIT_DAEMON;
        case -EACCES:
        case -EPERM:
                fprintf(stderr, "%s: permission denied: cannot connect to tockd's socket %s\n", me, path);
                return EXIT_DENIED;
        case -ENOTSOCK:
                fprintf(stderr, "%s: %s is not a socket; is tockd's socket elsewhere? (--socket, $TOCK_SOCKET)\n",
                        me, path);
                return EXIT_DAEMON;
        case -ENAMETOOLONG:
                fprintf(stderr, "%s: the socket path is longer than %zu bytes: %s\n", me,
                        sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1, path);
                return EXIT_USAGE;
        case -EPROTONOSUPPORT:
                fprintf(stderr, "%s: tockd speaks protocol version %u, this tockctl speaks %u: use the tockctl that "
                        "came with tockd\n", me, c->peer_version, PROTO_VERSION);
                return EXIT_DAEMON;
        case -EPROTO:
                fprintf(stderr, "%s: %s does not speak tockd's protocol\n", me, path);
                return EXIT_DAEMON;
        case -EMSGSIZE:
                fprintf(stderr, "%s: tockd sent a reply over the limit (%u bytes a message, %u in all)\n", me,
                        PROTO_MAX_BODY, PROTO_MAX_REPLY);
                return EXIT_DAEMON;
        case -ECONNRESET:
                fprintf(stderr, "%s: tockd closed the connection before answering\n", me);
                return EXIT_DAEMON;
        case -ETIMEDOUT:
                fprintf(stderr, "%s: tockd did not answer within %d seconds\n", me, CLIENT_TIMEOUT_S);
                return EXIT_DAEMON;
        case -EBADMSG:
                fprintf(stderr, "%s: tockd sent a malformed %s reply\n", me, proto_type_to_string(c->last_type));
                return EXIT_DAEMON;
        case -ENOMEM:
                fprintf(stderr, "%s: out of memory\n", me);
                return EXIT_IO;
        default:
                fprintf(stderr, "%s: cannot talk to tockd at %s: %s\n", me, path, strerror(-r));
                return EXIT_DAEMON;
        }
}

int client_request(struct proto_buf *req, struct reply *ret) {
        struct client c = { .fd = -1 };
        int r;

        req->flags |= PROTO_FLAG_PARTS; /* client_recv() joins a reply sent in parts */
        r = proto_finish(req);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", program_invocation_short_name,
                        r == -EMSGSIZE ? "the request is larger than tockd accepts" : "out of memory");
                return r == -EMSGSIZE ? EXIT_INVALID : EXIT_IO;
        }
        for (int tries = 1;; tries++) {
                r = client_connect(&c);
                if (r >= 0)
                        r = client_send(&c, req, NULL, 0);
                if (r >= 0)
                        r = client_recv(&c, false, ret);
                client_close(&c);
                /* a reply in parts that tockd called off because its tables changed meanwhile */
                if (r < 0 || ret->type != PROTO_ERROR || ret->error != -EAGAIN || tries == CLIENT_TRIES)
                        break;
                reply_done(ret);
        }
        return r < 0 ? client_error(&c, r) : EXIT_OK;
}

static void prefix(const char *cmd) {
        if (streq(program_invocation_short_name, "tockctl") && cmd)
                fprintf(stderr, "tockctl %s: ", cmd);
        else
                fprintf(stderr, "%s: ", program_invocation_short_name);
}

int reply_malformed(const char *cmd, const struct reply *rep) {
        prefix(cmd);
        fprintf(stderr, "tockd sent a malformed %s reply\n", proto_type_to_string(rep->type));
        return EXIT_DAEMON;
}

int reply_fail(const char *cmd, const struct reply *rep) {
        prefix(cmd);
        if (rep->type != PROTO_ERROR) {
                fprintf(stderr, "unexpected %s reply from tockd\n", proto_type_to_string(rep->type));
                return EXIT_DAEMON;
        }
        put_safe(stderr, rep->error_msg && *rep->error_msg ? rep->error_msg : strerror(-rep->error), false);
        fputc('\n', stderr);
        switch (rep->error) {
        case -EPERM:
        case -EACCES:
                return EXIT_DENIED;
        case -EPROTONOSUPPORT:
        case -EPROTO:
        case -EBADMSG:
                return EXIT_DAEMON;
        default:
                return EXIT_INVALID;
        }
}

int reply_ok_string(const char *cmd, struct reply *rep, char **ret_msg) {
        char *s;

        if (rep->type != PROTO_OK)
                return reply_fail(cmd, rep);
        if (proto_get_ok(&rep->r, &s) < 0)
                return reply_malformed(cmd, rep);
        *ret_msg = s;
        return EXIT_OK;
}

int simple_request(const struct simple_request *s) {
        _cleanup_free_ char *msg = NULL;
        struct proto_buf req = {};
        struct reply rep = {};
        int r;

        /* the table in proto.c says whether the type carries a user */
        proto_put_request(&req, s->type, &(struct proto_request) { .user = (char *) s->user });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK)
                return r;
        if (rep.type == PROTO_ERROR && rep.error == -ENOENT && s->enoent_user) {
                fprintf(stderr, "no crontab for %s\n", s->enoent_user);
                r = EXIT_INVALID;
        } else if (rep.type == PROTO_DIAGS) {
                /* restore: the kept version no longer passes the check */
                r = print_diags_reply(s->cmd, &rep, "<kept version>", s->json);
        } else {
                r = reply_ok_string(s->cmd, &rep, &msg);
        }
        reply_done(&rep);
        if (r != EXIT_OK)
                return r;
        if (s->quiet) {
                return EXIT_OK;
        } else if (s->json) {
                struct json j = { .f = stdout };
                json_open(&j, NULL, '{');
                json_string(&j, s->json_key, msg);
                json_close(&j);
        } else if (s->raw) {
                fputs(msg, stdout);
        } else if (*msg) {
                put_safe(stdout, msg, true);
                if (msg[strlen(msg) - 1] != '\n')
                        fputc('\n', stdout);
        }
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
}
