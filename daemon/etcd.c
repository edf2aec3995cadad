/* daemon/etcd.c: an asynchronous client of etcd's v3 JSON gateway (POST /v3/..., keys and values
 * base64), for the fleet (fleet.c).
 *
 * libcurl's multi interface is driven from tockd's one epoll loop: curl tells us which sockets to
 * watch (CURLMOPT_SOCKETFUNCTION: each becomes an io_source of kind IO_ETCD) and when to call it
 * back (CURLMOPT_TIMERFUNCTION: one monotonic timer of timer.c). Nothing here blocks: a slow or
 * dead etcd delays only the requests' callbacks, never the loop.
 *
 * Several endpoints: a request goes to the endpoint that answered last; when it cannot be reached
 * (connection refused, timeout, an HTTP 5xx such as a member without a leader) it is sent to the
 * next one, each endpoint tried once. No consensus of our own: whichever member answers, etcd
 * itself decides. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "etcd.h"
#include "log.h"
#include "tockd.h"
#include "util.h"

#define ETCD_TRY_TIMEOUT_MS   1500L   /* one endpoint's time to answer */
#define ETCD_CONNECT_MS       500L
#define ETCD_MAX_REPLY        (1u << 20)

struct etcd_sock {
        struct io_source io;   /* first: the loop hands back a pointer to it */
        struct etcd *e;        /* NULL once curl let go of it (freed after the loop's batch) */
        struct etcd_sock *next; /* e's live ones, then its dead ones */
};

struct etcd_req {
        struct etcd *e;
        struct etcd_req *prev, *next;
        CURL *easy;
        char *path;            /* "/v3/kv/txn" */
        char *body;
        char *reply;
        size_t reply_len;
        size_t tries;          /* endpoints tried so far */
        size_t endpoint;       /* the one tried now */
        etcd_done_fn done;
        void *userdata;
};

struct etcd {
        struct daemon *d;
        CURLM *multi;
        char **endpoints;
        size_t n_endpoints, current;
        char *cacert, *cert, *key;
        struct timer timer;    /* first member: etcd_of_timer() */
        struct etcd_req *reqs; /* in flight */
        struct etcd_sock *live; /* sockets curl watches */
        struct etcd_sock *dead; /* sockets curl let go, freed by etcd_free_dead() */
};

static struct etcd *etcd_of_timer(struct timer *t) {
        return (struct etcd *) (void *) ((char *) t - offsetof(struct etcd, timer));
}

static void check_done(struct etcd *e);

/* es leaves the loop and e's live list; freed by etcd_free_dead() */
static void sock_bury(struct etcd *e, struct etcd_sock *es) {
        struct etcd_sock **p = &e->live;

        while (*p && *p != es)
                p = &(*p)->next;
        if (*p)
                *p = es->next;
        loop_del(e->d, &es->io);
        es->e = NULL;
        es->next = e->dead;
        e->dead = es;
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
        struct etcd *e = userp;
        struct etcd_sock *es = socketp;
        uint32_t events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);

        (void) easy;
        if (what == CURL_POLL_REMOVE) {
                if (es && es->e) {
                        sock_bury(e, es);
                        curl_multi_assign(e->multi, s, NULL);
                }
                return 0;
        }
        if (!es) {
                es = calloc(1, sizeof *es);
                if (!es)
                        return -1;
                *es = (struct etcd_sock) { .io = { .kind = IO_ETCD, .fd = s }, .e = e };
                if (loop_add(e->d, &es->io, events) < 0) {
                        free(es);
                        return -1;
                }
                curl_multi_assign(e->multi, s, es);
                es->next = e->live;
                e->live = es;
                return 0;
        }
        struct epoll_event ev = { .events = events, .data.ptr = &es->io };
        return epoll_ctl(e->d->loop.epoll_fd, EPOLL_CTL_MOD, s, &ev) < 0 ? -1 : 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
        struct etcd *e = userp;

        (void) multi;
        if (timeout_ms < 0)
                timer_cancel(e->d, &e->timer);
        else
                (void) timer_set(e->d, &e->timer, now_mono_ns() + (int64_t) timeout_ms * 1000000);
        return 0;
}

static void timer_fire(struct daemon *d, struct timer *t) {
        struct etcd *e = etcd_of_timer(t);
        int running;

        (void) d;
        curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_done(e);
}

void etcd_handle_io(struct io_source *io, uint32_t events) {
        struct etcd_sock *es = (struct etcd_sock *) io;
        struct etcd *e = es->e;
        int running, mask = (events & EPOLLIN ? CURL_CSELECT_IN : 0) | (events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                            (events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);

        if (!e) /* curl let go of it earlier in this batch */
                return;
        curl_multi_socket_action(e->multi, io->fd, mask, &running);
        check_done(e);
}

static size_t on_data(char *p, size_t size, size_t n, void *userp) {
        struct etcd_req *q = userp;
        size_t k = size * n;
        char *b;

        if (q->reply_len + k > ETCD_MAX_REPLY)
                return 0; /* fails the transfer */
        b = realloc(q->reply, q->reply_len + k + 1);
        if (!b)
                return 0;
        memcpy(b + q->reply_len, p, k);
        q->reply = b;
        q->reply_len += k;
        b[q->reply_len] = 0;
        return k;
}

static int req_start(struct etcd_req *q) {
        struct etcd *e = q->e;
        _cleanup_free_ char *url = NULL;
        static const char *const headers_text = "Content-Type: application/json";
        static struct curl_slist headers = { (char *) headers_text, NULL };

        if (asprintf(&url, "%s%s", e->endpoints[q->endpoint], q->path) < 0)
                return -ENOMEM;
        free(q->reply);
        q->reply = NULL;
        q->reply_len = 0;
        if (!q->easy && !(q->easy = curl_easy_init()))
                return -ENOMEM;
        curl_easy_reset(q->easy);
        curl_easy_setopt(q->easy, CURLOPT_URL, url);
        curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->body);
        curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, &headers);
        curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
        curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
        curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, ETCD_TRY_TIMEOUT_MS);
        curl_easy_setopt(q->easy, CURLOPT_CONNECTTIMEOUT_MS, ETCD_CONNECT_MS);
        curl_easy_setopt(q->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(q->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        if (*e->cacert)
                curl_easy_setopt(q->easy, CURLOPT_CAINFO, e->cacert);
        if (*e->cert)
                curl_easy_setopt(q->easy, CURLOPT_SSLCERT, e->cert);
        if (*e->key)
                curl_easy_setopt(q->easy, CURLOPT_SSLKEY, e->key);
        if (curl_multi_add_handle(e->multi, q->easy) != CURLM_OK)
                return -EIO;
        return 0;
}

static void req_free(struct etcd_req *q) {
        struct etcd *e = q->e;

        if (q->easy) {
                curl_multi_remove_handle(e->multi, q->easy);
                curl_easy_cleanup(q->easy);
        }
        if (q->prev)
                q->prev->next = q->next;
        else
                e->reqs = q->next;
        if (q->next)
                q->next->prev = q->prev;
        free(q->path);
        free(q->body);
        free(q->reply);
        free(q);
}

/* Whether an answer means "ask another member": no answer at all, or an HTTP 5xx (a member
 * without a leader or whose request timed out says so with 503 or 500) */
static bool try_elsewhere(CURLcode cr, long http) {
        return cr != CURLE_OK || http >= 500 || http == 0;
}

static void req_finished(struct etcd *e, struct etcd_req *q, CURLcode cr) {
        long http = 0;
        json_t *reply = NULL;
        json_error_t jerr;
        int err = 0;

        curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &http);
        curl_multi_remove_handle(e->multi, q->easy);
        if (try_elsewhere(cr, http)) {
                log_debug("etcd %s%s: %s", e->endpoints[q->endpoint], q->path,
                          cr != CURLE_OK ? curl_easy_strerror(cr) : q->reply ? q->reply : "no reply");
                if (++q->tries < e->n_endpoints) {
                        q->endpoint = (q->endpoint + 1) % e->n_endpoints;
                        e->current = q->endpoint;
                        if (req_start(q) == 0)
                                return;
                }
                err = -EHOSTUNREACH;
        } else {
                e->current = q->endpoint;
                reply = q->reply ? json_loads(q->reply, 0, &jerr) : NULL;
                if (!json_is_object(reply))
                        err = -EBADMSG;
                else if (http != 200)
                        err = -EPROTO; /* etcd refused the request; the reply says why */
        }
        q->done(e->d, q->userdata, err, reply);
        json_decref(reply);
        req_free(q);
}

static void check_done(struct etcd *e) {
        CURLMsg *m;
        int left;

        while ((m = curl_multi_info_read(e->multi, &left)))
                if (m->msg == CURLMSG_DONE) {
                        struct etcd_req *q;
                        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &q);
                        req_finished(e, q, m->data.result);
                }
}

int etcd_call(struct etcd *e, const char *path, json_t *body, etcd_done_fn done, void *userdata) {
        struct etcd_req *q = calloc(1, sizeof *q);
        int r;

        if (!q) {
                json_decref(body);
                return -ENOMEM;
        }
        *q = (struct etcd_req) { .e = e, .path = strdup(path), .body = json_dumps(body, JSON_COMPACT),
                                 .endpoint = e->current, .done = done, .userdata = userdata, .next = e->reqs };
        json_decref(body);
        if (e->reqs)
                e->reqs->prev = q;
        e->reqs = q;
        if (!q->path || !q->body) {
                req_free(q);
                return -ENOMEM;
        }
        r = req_start(q);
        if (r < 0)
                req_free(q);
        return r;
}

int etcd_new(struct daemon *d, char **endpoints, size_t n, const char *cacert, const char *cert, const char *key,
             struct etcd **ret) {
        struct etcd *e = calloc(1, sizeof *e);

        if (!e)
                return -ENOMEM;
        e->d = d;
        e->multi = curl_multi_init();
        e->cacert = strdup(cacert);
        e->cert = strdup(cert);
        e->key = strdup(key);
        if (!e->multi || !e->cacert || !e->cert || !e->key) {
                etcd_free(e);
                etcd_free_dead(e, true);
                return -ENOMEM;
        }
        e->endpoints = endpoints;
        e->n_endpoints = n;
        timer_init(&e->timer, timer_fire);
        curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
        curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
        *ret = e;
        return 0;
}

/* Every request in flight is cancelled: its callback gets -ECANCELED. The sockets are left to
 * etcd_free_dead(): events of this loop batch may still point at them. */
void etcd_free(struct etcd *e) {
        if (!e)
                return;
        while (e->reqs) {
                struct etcd_req *q = e->reqs;
                q->done(e->d, q->userdata, -ECANCELED, NULL);
                req_free(q);
        }
        if (e->multi)
                curl_multi_cleanup(e->multi);
        e->multi = NULL;
        while (e->live)
                sock_bury(e, e->live);
        timer_cancel(e->d, &e->timer);
        for (size_t i = 0; i < e->n_endpoints; i++)
                free(e->endpoints[i]);
        free(e->endpoints);
        free(e->cacert);
        free(e->cert);
        free(e->key);
        e->endpoints = NULL;
        e->n_endpoints = 0;
        e->cacert = e->cert = e->key = NULL;
}

/* The etcd and its sockets let go of; `e` may be one etcd_free() released (then it is freed too). */
void etcd_free_dead(struct etcd *e, bool whole) {
        while (e->dead) {
                struct etcd_sock *s = e->dead;
                e->dead = s->next;
                free(s);
        }
        if (whole)
                free(e);
}

const char *etcd_endpoint(const struct etcd *e) {
        return e->endpoints[e->current];
}

/* ---- JSON and base64 helpers ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_b64(const char *s, size_t n) {
        char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) (unsigned char) s[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t) (unsigned char) s[i + 1] << 8;
                if (i + 2 < n)
                        v |= (unsigned char) s[i + 2];
                *o++ = b64[v >> 18 & 63];
                *o++ = b64[v >> 12 & 63];
                *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? b64[v & 63] : '=';
        }
        *o = 0;
        return out;
}

char *etcd_unb64(const char *s, size_t *ret_len) {
        size_t n = strlen(s), k = 0;
        char *out = malloc(n / 4 * 3 + 1);
        uint32_t v = 0;
        int bits = 0;

        if (!out)
                return NULL;
        for (; *s && *s != '='; s++) {
                const char *c = strchr(b64, *s);
                if (!c || !*s) {
                        free(out);
                        return NULL;
                }
                v = v << 6 | (uint32_t) (c - b64);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[k++] = (char) (v >> bits & 0xff);
                }
        }
        out[k] = 0;
        if (ret_len)
                *ret_len = k;
        return out;
}
