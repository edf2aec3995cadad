/* daemon/control.c: the control socket. tockctl's requests, answered without blocking.
 *
 * Who asks comes from SO_PEERCRED only. root may act on any user's table; everyone else on their
 * own, and only when cron.allow / cron.deny let them (as Debian's crontab(1): cron.allow, when it
 * exists, lists who may; otherwise cron.deny lists who may not; root always may). Clients are
 * non-blocking with bounded buffers: a request is read whole (its length is checked before
 * anything is allocated), answered into an output buffer, and written as the socket takes it, so
 * a slow or broken client never delays scheduling or other clients. Malformed, oversized or
 * unexpected messages end that connection, never the daemon. */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heap.h"
#include "log.h"
#include "proto.h"
#include "sd.h"
#include "timefmt.h"
#include "tockd.h"
#include "util.h"

#define MAX_CLIENTS 256

struct client {
        struct io_source io;
        struct client *prev, *next;
        uid_t uid;
        gid_t gid;
        pid_t pid;
        char *user; /* the caller's name, or NULL when the uid has none */
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
        d->listen_io = (struct io_source) { .kind = IO_LISTEN, .fd = fd };
        if (loop_add(d, &d->listen_io, EPOLLIN) < 0) {
                close(fd);
                d->listen_io.fd = -1;
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
                d->clients = c->next;
        if (c->next)
                c->next->prev = c->prev;
        d->n_clients--;
        free(c->user);
        free(c->body);
        free(c->out);
        free(c);
}

void control_stop(struct daemon *d) {
        while (d->clients)
                client_free(d, d->clients);
        if (d->listen_io.fd >= 0) {
                loop_del(d, &d->listen_io);
                close(d->listen_io.fd);
                d->listen_io.fd = -1;
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
        (void) epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, c->io.fd, &ev);
}

/* Queues a finished message for the client. */
static void client_send(struct daemon *d, struct client *c, struct proto_buf *b) {
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

static void reply_error(struct daemon *d, struct client *c, int err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void reply_error(struct daemon *d, struct client *c, int err, const char *fmt, ...) {
        struct proto_buf b = {};
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        proto_begin(&b, PROTO_ERROR);
        proto_put_i32(&b, err < 0 ? err : -err);
        proto_put_str(&b, msg ? msg : "error");
        client_send(d, c, &b);
}

static void reply_ok(struct daemon *d, struct client *c, const char *msg) {
        struct proto_buf b = {};
        proto_begin(&b, PROTO_OK);
        proto_put_str(&b, msg);
        client_send(d, c, &b);
}

void control_accept(struct daemon *d) {
        for (int i = 0; i < 64; i++) {
                struct ucred cred;
                socklen_t len = sizeof cred;
                int fd = accept4(d->listen_io.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                struct client *c;

                if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
                        static int64_t warned_ns;
                        int64_t now = now_mono_ns();
                        closep(&spare_fd);
                        fd = accept4(d->listen_io.fd, NULL, NULL, SOCK_CLOEXEC);
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
                if (d->n_clients >= MAX_CLIENTS) {
                        /* full: the oldest idle client makes room (the list is newest first) */
                        struct client *old = d->clients;
                        while (old && old->next)
                                old = old->next;
                        while (old && old->running)
                                old = old->prev;
                        if (!old) {
                                close(fd);
                                continue;
                        }
                        log_debug("too many control clients; closing the oldest (pid %d)", (int) old->pid);
                        client_free(d, old);
                }
                c = calloc(1, sizeof(*c));
                if (!c) {
                        close(fd);
                        continue;
                }
                c->io = (struct io_source) { .kind = IO_CLIENT, .fd = fd, .client = c };
                c->uid = cred.uid;
                c->gid = cred.gid;
                c->pid = cred.pid;
                struct passwd *pw = getpwuid(cred.uid);
                c->user = pw ? strdup(pw->pw_name) : NULL;
                if (loop_add(d, &c->io, EPOLLIN) < 0) {
                        free(c->user);
                        free(c);
                        close(fd);
                        continue;
                }
                c->next = d->clients;
                if (d->clients)
                        d->clients->prev = c;
                d->clients = c;
                d->n_clients++;
        }
}

/* ---- who may do what ---- */

/* Whether `user` is listed, one name a line, in `path`; -ENOENT when the file does not exist. */
static int listed_in(const char *path, const char *user) {
        FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        int found = 0;

        if (!f)
                return errno == ENOENT ? -ENOENT : -errno;
        while (getline(&line, &cap, f) >= 0) {
                char *s = line + strspn(line, " \t");
                s[strcspn(s, " \t\r\n")] = 0;
                if (streq(s, user)) {
                        found = 1;
                        break;
                }
        }
        fclose(f);
        return found;
}

static bool cron_allowed(struct daemon *d, const char *user) {
        int r;

        if (streq(user, "root"))
                return true;
        r = *d->cfg.cron_allow ? listed_in(d->cfg.cron_allow, user) : -ENOENT;
        if (r != -ENOENT)
                return r == 1;
        r = *d->cfg.cron_deny ? listed_in(d->cfg.cron_deny, user) : -ENOENT;
        return r != 1;
}

/* The user a request is about: "" is the caller. Replies with an error and returns NULL when
 * the caller may not act on that user's table. */
static const char *target_user(struct daemon *d, struct client *c, const char *asked, bool table_op) {
        const char *user = *asked ? asked : c->user;

        if (table_op && !*d->cfg.spool) {
                reply_error(d, c, -ENOTSUP, "tockd has no spool directory for users' tables (paths.spool is empty)");
                return NULL;
        }
        if (!user) {
                reply_error(d, c, -ESRCH, "your uid %u has no user name", (unsigned) c->uid);
                return NULL;
        }
        if (c->uid != 0 && !streq(user, c->user)) {
                reply_error(d, c, -EPERM, "only root may act on another user's table");
                return NULL;
        }
        if (table_op && c->uid != 0 && !cron_allowed(d, user)) {
                reply_error(d, c, -EACCES, "you (%s) are not allowed to use cron (%s / %s)", user, d->cfg.cron_allow,
                            d->cfg.cron_deny);
                return NULL;
        }
        if (!users_get(&d->users, user)) {
                reply_error(d, c, -ESRCH, "no such user '%s'", user);
                return NULL;
        }
        return user;
}

static const char *job_user(const struct job *j) {
        return j->e->user ? j->e->user : j->table->owner;
}

/* root sees everything; everyone else the jobs that run as them */
static bool job_visible(const struct client *c, const struct job *j, const char *user) {
        return streq(job_user(j), user) && (c->uid == 0 || streq(user, c->user));
}

/* ---- tables in the spool ---- */

static char *spool_path(struct daemon *d, const char *user) {
        char *p;
        return asprintf(&p, "%s/%s", d->cfg.spool, user) < 0 ? NULL : p;
}

static char *previous_path(struct daemon *d, const char *user) {
        char *p;
        return asprintf(&p, "%s/previous/%s", d->cfg.state_dir, user) < 0 ? NULL : p;
}

static int read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((size_t) st.st_size > max)
                return -EFBIG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + len, (size_t) st.st_size - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* Keeps the current table of `user` as the previous one, for restore. */
static int keep_previous(struct daemon *d, const char *user, const char *text, size_t len) {
        _cleanup_free_ char *prev = previous_path(d, user), *dir = NULL;

        if (!prev || asprintf(&dir, "%s/previous", d->cfg.state_dir) < 0)
                return -ENOMEM;
        (void) mkdir(d->cfg.state_dir, 0755);
        (void) mkdir(dir, 0700);
        return write_atomic(prev, text, len, 0, 0, 0600);
}

/* Debian's crontab(1) leaves tables with group crontab; so do we, when that group exists */
static gid_t spool_gid(const struct user_info *u) {
        struct group *g = getgrnam("crontab");
        return g ? g->gr_gid : u->gid;
}

static void reply_diags(struct daemon *d, struct client *c, const char *text, const struct diag_list *diags) {
        struct proto_buf b = {};

        proto_begin(&b, PROTO_DIAGS);
        proto_put_str(&b, text);
        proto_put_u32(&b, (uint32_t) diags->n);
        for (size_t i = 0; i < diags->n; i++) {
                proto_put_u32(&b, (uint32_t) diags->items[i].severity);
                proto_put_u32(&b, diags->items[i].line);
                proto_put_u32(&b, diags->items[i].col);
                proto_put_str(&b, diags->items[i].msg);
        }
        client_send(d, c, &b);
}

static int zone_check_cb(const char *name, void *userdata) {
        return zone_get(userdata, name) ? 0 : -ENOENT;
}

/* Installs `text` as the table of `user`; `what` says what to call it in the reply. */
static bool install_table(struct daemon *d, struct client *c, const char *user, const char *text, size_t len,
                          const char *what) {
        _cleanup_free_ char *path = spool_path(d, user), *old = NULL, *msg = NULL;
        _cleanup_(crontab_freep) struct crontab *ct = NULL;
        struct diag_list diags = {};
        const struct user_info *u = users_get(&d->users, user);
        size_t old_len = 0;
        int r;

        if (!path || !u) {
                reply_error(d, c, -ENOMEM, "out of memory");
                return false;
        }
        const struct crontab_opts opts = { .mode = CRONTAB_USER, .seed = 0, .zone_check = zone_check_cb, .userdata = d };
        r = crontab_parse(text, len, &opts, &ct, &diags);
        if (r == -EINVAL) {
                reply_diags(d, c, text, &diags);
                diag_list_done(&diags);
                return false;
        }
        if (r < 0) {
                diag_list_done(&diags);
                reply_error(d, c, r, "cannot check the table: %s", strerror(-r));
                return false;
        }
        if (read_file(path, CRONTAB_MAX_BYTES, &old, &old_len) == 0) {
                if (old_len == len && memcmp(old, text, len) == 0) {
                        diag_list_done(&diags);
                        xasprintf(&msg, "no changes to the table of %s", user);
                        reply_ok(d, c, msg);
                        return true;
                }
                r = keep_previous(d, user, old, old_len);
                if (r < 0)
                        log_warning_errno(r, "cannot keep the previous table of %s", user);
        }
        if (mkdir(d->cfg.spool, 01730) == 0) {
                /* Debian's spool: 1730 root:crontab, so that crontab(1) and tock can share it */
                struct group *g = getgrnam("crontab");
                (void) chmod(d->cfg.spool, 01730);
                if (g && geteuid() == 0)
                        (void) !chown(d->cfg.spool, 0, g->gr_gid);
        }
        r = write_atomic(path, text, len, u->uid, spool_gid(u), 0600);
        if (r < 0) {
                diag_list_done(&diags);
                log_errno(r, "cannot install the table of %s", user);
                reply_error(d, c, r, "cannot install the table of %s: %s", user, strerror(-r));
                return false;
        }
        (void) table_reload_path(d, path);
        catchup_sync(d, now_real());
        (void) dispatch_arm(d);
        log_info("%s: %s by uid %u (pid %d)", path, what, (unsigned) c->uid, (int) c->pid);
        {
                char *w = NULL;
                size_t wl = 0;
                FILE *f = open_memstream(&w, &wl);
                if (f) {
                        fprintf(f, "%s the table of %s: %zu entr%s", what, user, ct->n_entries, ct->n_entries == 1 ? "y" : "ies");
                        for (size_t i = 0; i < diags.n; i++)
                                fprintf(f, "\n%s:%u:%u: warning: %s", user, diags.items[i].line, diags.items[i].col,
                                        diags.items[i].msg);
                        fclose(f);
                }
                reply_ok(d, c, w ? w : "installed");
                free(w);
        }
        diag_list_done(&diags);
        return true;
}

static void req_list(struct daemon *d, struct client *c, struct proto_reader *rd) {
        _cleanup_free_ char *asked = proto_get_str(rd), *path = NULL, *text = NULL;
        const char *user;
        size_t len;
        int r;

        if (proto_reader_end(rd) < 0)
                return reply_error(d, c, -EBADMSG, "malformed request");
        if (!(user = target_user(d, c, asked, true)))
                return;
        path = spool_path(d, user);
        if (!path)
                return reply_error(d, c, -ENOMEM, "out of memory");
        r = read_file(path, CRONTAB_MAX_BYTES, &text, &len);
        if (r == -ENOENT)
                return reply_error(d, c, -ENOENT, "no crontab for %s", user);
        if (r < 0)
                return reply_error(d, c, r, "cannot read the table of %s: %s", user, strerror(-r));
        struct proto_buf b = {};
        proto_begin(&b, PROTO_OK);
        proto_put_strn(&b, text, len);
        client_send(d, c, &b);
}

static void req_install(struct daemon *d, struct client *c, struct proto_reader *rd) {
        _cleanup_free_ char *asked = proto_get_str(rd);
        uint32_t n = 0;
        const char *user;

        /* the text is read in place: it may be large */
        n = proto_get_u32(rd);
        const uint8_t *text = rd->p;
        if (rd->bad || (size_t) (rd->end - rd->p) != n || memchr(text, 0, n))
                return reply_error(d, c, -EBADMSG, "malformed request (a table has no NUL bytes)");
        if (!(user = target_user(d, c, asked, true)))
                return;
        _cleanup_free_ char *copy = strndup((const char *) text, n);
        if (!copy)
                return reply_error(d, c, -ENOMEM, "out of memory");
        (void) install_table(d, c, user, copy, n, "installed");
}

static void req_remove(struct daemon *d, struct client *c, struct proto_reader *rd) {
        _cleanup_free_ char *asked = proto_get_str(rd), *path = NULL, *old = NULL, *msg = NULL;
        const char *user;
        size_t len;
        int r;

        if (proto_reader_end(rd) < 0)
                return reply_error(d, c, -EBADMSG, "malformed request");
        if (!(user = target_user(d, c, asked, true)))
                return;
        path = spool_path(d, user);
        if (!path)
                return reply_error(d, c, -ENOMEM, "out of memory");
        r = read_file(path, CRONTAB_MAX_BYTES, &old, &len);
        if (r == -ENOENT)
                return reply_error(d, c, -ENOENT, "no crontab for %s", user);
        if (r == 0 && (r = keep_previous(d, user, old, len)) < 0)
                log_warning_errno(r, "cannot keep the previous table of %s", user);
        if (unlink(path) < 0)
                return reply_error(d, c, -errno, "cannot remove the table of %s: %s", user, strerror(errno));
        (void) table_reload_path(d, path);
        catchup_sync(d, now_real());
        (void) dispatch_arm(d);
        log_info("%s: removed by uid %u (pid %d)", path, (unsigned) c->uid, (int) c->pid);
        xasprintf(&msg, "removed the table of %s (tockctl restore brings it back)", user);
        reply_ok(d, c, msg);
}

static void req_restore(struct daemon *d, struct client *c, struct proto_reader *rd) {
        _cleanup_free_ char *asked = proto_get_str(rd), *prev = NULL, *text = NULL, *cur_path = NULL, *cur = NULL;
        const char *user;
        size_t len, cur_len;
        int r;

        if (proto_reader_end(rd) < 0)
                return reply_error(d, c, -EBADMSG, "malformed request");
        if (!(user = target_user(d, c, asked, true)))
                return;
        prev = previous_path(d, user);
        cur_path = spool_path(d, user);
        if (!prev || !cur_path)
                return reply_error(d, c, -ENOMEM, "out of memory");
        r = read_file(prev, CRONTAB_MAX_BYTES, &text, &len);
        if (r == -ENOENT)
                return reply_error(d, c, -ENOENT, "no previous version of the table of %s is kept", user);
        if (r < 0)
                return reply_error(d, c, r, "cannot read the previous table of %s: %s", user, strerror(-r));
        /* with no current table, the previous one is used up; otherwise they swap */
        bool had_current = read_file(cur_path, CRONTAB_MAX_BYTES, &cur, &cur_len) == 0;
        if (install_table(d, c, user, text, len, "restored") && !had_current)
                (void) unlink(prev);
}

static void put_job(struct daemon *d, struct proto_buf *b, const struct job *j) {
        const struct job_stats *s = j->stats;
        struct proto_job pj = {
                .table = j->table->name,
                .line = j->e->line,
                .name = j->e->opts.name,
                .user = (char *) job_user(j),
                .schedule = j->e->schedule,
                .command = j->e->command,
                .zone = (char *) (j->zone ? tz_name(j->zone) : ""),
                .next_at = j->queued ? j->node.at : PROTO_NO_TIME,
                .last_at = s ? s->last_at : PROTO_NO_TIME,
                .last_wstatus = s ? s->last_wstatus : -1,
                .last_duration_ms = s ? s->last_duration_ms : -1,
                .last_success_at = s ? s->last_success_at : PROTO_NO_TIME,
                .runs = s ? s->runs : 0,
                .failures = s ? s->failures : 0,
                .running_pid = s ? s->running_pid : 0,
                .running_since = s && s->running_pid ? s->running_since : PROTO_NO_TIME,
        };
        (void) d;
        proto_put_job(b, &pj);
}

static size_t count_visible(struct daemon *d, const struct client *c, const char *user) {
        size_t n = 0;
        for (size_t i = 0; i < d->n_tables; i++)
                for (size_t k = 0; k < d->tables[i]->n_jobs; k++)
                        n += c->uid == 0 && !*user ? 1 : job_visible(c, &d->tables[i]->jobs[k], user);
        return n;
}

static void req_status(struct daemon *d, struct client *c, struct proto_reader *rd) {
        _cleanup_free_ char *asked = proto_get_str(rd);
        struct proto_buf b = {};
        const char *user = "";

        if (proto_reader_end(rd) < 0)
                return reply_error(d, c, -EBADMSG, "malformed request");
        /* root without a user sees every job; everyone else their own */
        if ((*asked || c->uid != 0) && !(user = target_user(d, c, asked, false)))
                return;
        bool all = c->uid == 0 && !*user;
        size_t n_visible = count_visible(d, c, user), tables = d->n_tables, running = d->n_running;
        if (!all) {
                /* a user learns about their own tables and runs only */
                tables = running = 0;
                for (size_t i = 0; i < d->n_tables; i++) {
                        bool mine = false;
                        for (size_t k = 0; k < d->tables[i]->n_jobs; k++)
                                if (job_visible(c, &d->tables[i]->jobs[k], user)) {
                                        mine = true;
                                        running += d->tables[i]->jobs[k].stats ? d->tables[i]->jobs[k].stats->n_running : 0;
                                }
                        tables += mine;
                }
        }
        proto_begin(&b, PROTO_STATUS_REPLY);
        proto_put_str(&b, TOCK_VERSION);
        proto_put_i64(&b, d->started_at);
        proto_put_u32(&b, (uint32_t) tables);
        proto_put_u32(&b, (uint32_t) (all ? d->n_jobs : n_visible));
        proto_put_u32(&b, (uint32_t) running);
        proto_put_u32(&b, (uint32_t) n_visible);
        for (size_t i = 0; i < d->n_tables; i++)
                for (size_t k = 0; k < d->tables[i]->n_jobs; k++) {
                        const struct job *j = &d->tables[i]->jobs[k];
                        if ((c->uid == 0 && !*user) || job_visible(c, j, user))
                                put_job(d, &b, j);
                }
        client_send(d, c, &b);
}

struct next_item {
        struct heap_node node;
        const struct job *j;
};

static void req_next(struct daemon *d, struct client *c, struct proto_reader *rd) {
        _cleanup_free_ char *asked = proto_get_str(rd);
        uint32_t count = proto_get_u32(rd);
        _cleanup_free_ struct next_item *items = NULL;
        struct heap h = {};
        struct proto_buf b = {};
        const char *user = "";
        size_t n = 0, cap;
        uint32_t sent = 0;

        if (proto_reader_end(rd) < 0 || count == 0 || count > 100000)
                return reply_error(d, c, -EBADMSG, "malformed request (count 1..100000)");
        if ((*asked || c->uid != 0) && !(user = target_user(d, c, asked, false)))
                return;
        cap = count_visible(d, c, user);
        items = calloc(cap ? cap : 1, sizeof(*items));
        if (!items)
                return reply_error(d, c, -ENOMEM, "out of memory");
        for (size_t i = 0; i < d->n_tables; i++)
                for (size_t k = 0; k < d->tables[i]->n_jobs; k++) {
                        const struct job *j = &d->tables[i]->jobs[k];
                        if (!((c->uid == 0 && !*user) || job_visible(c, j, user)) || !j->queued)
                                continue;
                        items[n] = (struct next_item) { .node = { .at = j->nominal_at, .seq = n }, .j = j };
                        if (heap_push(&h, &items[n].node) < 0)
                                break;
                        n++;
                }
        /* the count of records goes first: build them in a second buffer */
        struct proto_buf recs = {};
        proto_begin(&recs, PROTO_NEXT_REPLY);
        while (sent < count) {
                struct next_item *it = (struct next_item *) heap_pop(&h);
                if (!it)
                        break;
                proto_put_i64(&recs, it->node.at);
                proto_put_str(&recs, tz_name(it->j->zone));
                proto_put_str(&recs, it->j->table->name);
                proto_put_u32(&recs, it->j->e->line);
                proto_put_str(&recs, job_user(it->j));
                proto_put_str(&recs, it->j->e->command);
                sent++;
                if (sched_next(&it->j->e->sched, it->node.at, it->j->zone, &it->node.at) == 0)
                        (void) heap_push(&h, &it->node);
        }
        heap_done(&h);
        proto_begin(&b, PROTO_NEXT_REPLY);
        proto_put_u32(&b, sent);
        if (recs.oom || recs.too_big) {
                b.oom = recs.oom;
                b.too_big = recs.too_big;
        } else if (recs.len > PROTO_HDR_SIZE) {
                /* the records follow the count */
                size_t extra = recs.len - PROTO_HDR_SIZE;
                uint8_t *nd = realloc(b.data, b.len + extra);
                if (!nd)
                        b.oom = true;
                else {
                        memcpy(nd + b.len, recs.data + PROTO_HDR_SIZE, extra);
                        b.data = nd;
                        b.len += extra;
                        b.cap = b.len;
                }
        }
        proto_buf_done(&recs);
        client_send(d, c, &b);
}

/* Whether the caller may see job j: root asking without -u sees every job (`any`); otherwise the
 * jobs that run as `user`. */
static bool may_see(const struct client *c, const struct job *j, const char *user, bool any) {
        return (any && c->uid == 0) || job_visible(c, j, user);
}

/* Finds a job by "LINE" (in the user's spool table), "TABLE:LINE" or its [name:...]. */
static struct job *find_job(struct daemon *d, const struct client *c, const char *user, const char *spec, bool any) {
        _cleanup_free_ char *spool = spool_path(d, user);
        const char *colon = strrchr(spec, ':');
        char *end;
        unsigned long line;

        if (!spool)
                return NULL;
        errno = 0;
        line = strtoul(colon ? colon + 1 : spec, &end, 10);
        bool by_line = !errno && *end == 0 && (colon ? colon[1] : spec[0]) != 0;
        for (size_t i = 0; i < d->n_tables; i++) {
                struct table *t = d->tables[i];
                if (by_line) {
                        if (colon ? strncmp(t->name, spec, (size_t) (colon - spec)) != 0 || t->name[colon - spec]
                                  : !streq(t->name, spool))
                                continue;
                        for (size_t k = 0; k < t->n_jobs; k++)
                                if (t->jobs[k].e->line == line && may_see(c, &t->jobs[k], user, any))
                                        return &t->jobs[k];
                        continue;
                }
                for (size_t k = 0; k < t->n_jobs; k++)
                        if (streq(t->jobs[k].e->opts.name, spec) && may_see(c, &t->jobs[k], user, any))
                                return &t->jobs[k];
        }
        return NULL;
}

static const struct table *table_of_spool(struct daemon *d, const char *user) {
        _cleanup_free_ char *p = spool_path(d, user);
        for (size_t i = 0; p && i < d->n_tables; i++)
                if (streq(d->tables[i]->path, p))
                        return d->tables[i];
        return NULL;
}

static void req_why(struct daemon *d, struct client *c, struct proto_reader *rd) {
        _cleanup_free_ char *asked = proto_get_str(rd), *spec = proto_get_str(rd), *state = NULL;
        struct proto_buf b = {};
        const char *user;
        struct job *j;

        if (proto_reader_end(rd) < 0)
                return reply_error(d, c, -EBADMSG, "malformed request");
        if (!(user = target_user(d, c, asked, false)))
                return;
        j = find_job(d, c, user, spec, !*asked);
        if (!j) {
                const struct table *t = table_of_spool(d, user);
                if (t && t->refused && !t->ct)
                        return reply_error(d, c, -ENOENT, "no job '%s': the table of %s was refused (%s)", spec, user,
                                           t->refusal ? t->refusal : "see the log");
                if (!cron_allowed(d, user))
                        return reply_error(d, c, -ENOENT, "no job '%s'; note that %s is not allowed to use cron", spec, user);
                return reply_error(d, c, -ENOENT, "no job '%s' of %s (name it LINE, TABLE:LINE or by [name:...])", spec, user);
        }
        if (j->table->refused)
                state = strdup(j->table->refusal ? j->table->refusal : "the file on disk was refused");
        else
                xasprintf(&state, "loaded, %zu job%s", j->table->n_jobs, j->table->n_jobs == 1 ? "" : "s");
        proto_begin(&b, PROTO_WHY_REPLY);
        put_job(d, &b, j);
        proto_put_str(&b, state);
        {
                char note[512] = "";
                const struct job_stats *s = j->stats;
                if (s && s->note)
                        snprintf(note, sizeof note, "%s", s->note);
                else if (j->e->user && !users_get(&d->users, j->e->user))
                        snprintf(note, sizeof note, "no such user '%s'", j->e->user);
                else if (j->table->kind == TABLE_SPOOL && !cron_allowed(d, job_user(j)))
                        snprintf(note, sizeof note, "%s is not allowed to use cron (%s / %s)", job_user(j), d->cfg.cron_allow,
                                 d->cfg.cron_deny);
                else if (s && s->last_due_at != INT64_MIN && s->last_at < s->last_due_at)
                        snprintf(note, sizeof note, "its last fire time came but it did not start");
                proto_put_str(&b, note);
        }
        proto_put_strn(&b, j->stats && j->stats->tail ? j->stats->tail : "", j->stats && j->stats->tail ? j->stats->tail_len : 0);
        client_send(d, c, &b);
}

static void req_run(struct daemon *d, struct client *c, struct proto_reader *rd) {
        _cleanup_free_ char *asked = proto_get_str(rd), *spec = proto_get_str(rd);
        const char *user;
        struct job *j;

        if (proto_reader_end(rd) < 0)
                return reply_error(d, c, -EBADMSG, "malformed request");
        if (c->n_fds != 3)
                return reply_error(d, c, -EBADMSG, "run needs the caller's stdin, stdout and stderr");
        if (!(user = target_user(d, c, asked, false)))
                return;
        j = find_job(d, c, user, spec, !*asked);
        if (!j)
                return reply_error(d, c, -ENOENT, "no job '%s' of %s", spec, user);
        if (d->stopping)
                return reply_error(d, c, -ESHUTDOWN, "tockd is stopping");
        log_info("%s:%u: run now by uid %u (pid %d)", j->table->name, j->e->line, (unsigned) c->uid, (int) c->pid);
        c->running = true;
        if (job_spawn(d, j, c->fds, c) < 0) {
                c->running = false;
                return reply_error(d, c, -EIO, "the job could not be started (see the log)");
        }
}

void control_run_started(struct daemon *d, struct client *c, pid_t pid, int err, const char *why) {
        struct proto_buf b = {};

        if (err) {
                c->running = false;
                return reply_error(d, c, -err, "the job could not be started: %s", why ? why : strerror(err));
        }
        proto_begin(&b, PROTO_RUN_STARTED);
        proto_put_i32(&b, pid);
        client_send(d, c, &b);
}

void control_run_done(struct daemon *d, struct client *c, int wstatus, int64_t duration_ms) {
        struct proto_buf b = {};

        if (!c->running)
                return; /* a failure to start was answered already */
        c->running = false; /* client_send() below reads the client again once the reply is out */
        proto_begin(&b, PROTO_RUN_DONE);
        proto_put_i32(&b, wstatus);
        proto_put_i64(&b, duration_ms);
        client_send(d, c, &b);
}

static void req_reload(struct daemon *d, struct client *c, struct proto_reader *rd) {
        if (proto_reader_end(rd) < 0)
                return reply_error(d, c, -EBADMSG, "malformed request");
        if (c->uid != 0)
                return reply_error(d, c, -EPERM, "only root may reload tockd");
        (void) daemon_reload(d);
        reply_ok(d, c, "reloaded the configuration and every table");
}

static void req_metrics(struct daemon *d, struct client *c, struct proto_reader *rd) {
        _cleanup_free_ char *text = NULL;

        if (proto_reader_end(rd) < 0)
                return reply_error(d, c, -EBADMSG, "malformed request");
        text = metrics_text(d, c->uid == 0 ? NULL : (c->user ? c->user : ""));
        if (!text)
                return reply_error(d, c, -ENOMEM, "out of memory");
        reply_ok(d, c, text);
}

static void req_hello(struct daemon *d, struct client *c, struct proto_reader *rd) {
        struct proto_buf b = {};

        if (proto_reader_end(rd) < 0)
                return reply_error(d, c, -EBADMSG, "malformed request");
        proto_begin(&b, PROTO_OK);
        proto_put_str(&b, TOCK_VERSION);
        proto_put_u32(&b, c->uid);
        proto_put_str(&b, c->user);
        client_send(d, c, &b);
}

/* Each request type, and whether fds may come with it. Who may send it is checked inside, on
 * the users it names: every request is open to every local user for their own tables. */
static const struct request {
        uint16_t type;
        void (*handle)(struct daemon *d, struct client *c, struct proto_reader *rd);
        bool takes_fds;
} requests[] = {
        { PROTO_HELLO, req_hello, false },     { PROTO_LIST, req_list, false },
        { PROTO_INSTALL, req_install, false }, { PROTO_REMOVE, req_remove, false },
        { PROTO_RESTORE, req_restore, false }, { PROTO_STATUS, req_status, false },
        { PROTO_NEXT, req_next, false },       { PROTO_WHY, req_why, false },
        { PROTO_RUN, req_run, true },          { PROTO_RELOAD, req_reload, false },
        { PROTO_METRICS, req_metrics, false },
};

static void handle_request(struct daemon *d, struct client *c) {
        struct proto_reader rd;

        proto_reader_init(&rd, c->body, c->h.len);
        for (size_t i = 0; i < ELEMENTSOF(requests); i++)
                if (requests[i].type == c->h.type) {
                        if (c->n_fds && !requests[i].takes_fds) {
                                c->closing = true;
                                return reply_error(d, c, -EBADMSG, "unexpected file descriptors");
                        }
                        requests[i].handle(d, c, &rd);
                        return;
                }
        c->closing = true;
        reply_error(d, c, -EBADMSG, "unknown request %u", c->h.type);
}

static void request_done(struct client *c) {
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
                                reply_error(d, c, -EPROTONOSUPPORT,
                                            "tockctl speaks protocol version %u, tockd %s speaks %u: use the tockctl that came with tockd",
                                            c->h.version, TOCK_VERSION, PROTO_VERSION);
                                return true;
                        }
                        if (r == -EMSGSIZE) {
                                c->closing = true;
                                reply_error(d, c, -EMSGSIZE, "message of %u bytes is over the limit of %u", c->h.len,
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
                        handle_request(d, c);
                        request_done(c);
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
