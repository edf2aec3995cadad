/* common/proto.c: packing and unpacking tockd's messages, field by field and body by body, both
 * ways: tockd, tockctl and the fuzz target all go through these. Pure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

static uint16_t get16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

void proto_hdr_pack(const struct proto_hdr *h, uint8_t out[static PROTO_HDR_SIZE]) {
        put16(out, h->magic);
        put16(out + 2, h->version);
        put16(out + 4, h->type);
        put16(out + 6, h->flags);
        put32(out + 8, h->len);
}

int proto_hdr_unpack(const uint8_t in[static PROTO_HDR_SIZE], struct proto_hdr *ret) {
        ret->magic = get16(in);
        ret->version = get16(in + 2);
        ret->type = get16(in + 4);
        ret->flags = get16(in + 6);
        ret->len = get32(in + 8);
        if (ret->magic != PROTO_MAGIC)
                return -EPROTO;
        if (ret->version != PROTO_VERSION)
                return -EPROTONOSUPPORT;
        if (ret->len > PROTO_MAX_BODY)
                return -EMSGSIZE;
        return 0;
}

static size_t max_body(const struct proto_buf *b) {
        if (!b->max_body)
                return PROTO_MAX_BODY;
        return b->max_body < PROTO_MAX_REPLY ? b->max_body : PROTO_MAX_REPLY;
}

static uint8_t *grow(struct proto_buf *b, size_t n) {
        if (b->oom || b->too_big)
                return NULL;
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap : 256;
                while (cap < b->len + n)
                        cap *= 2;
                if (b->len + n > PROTO_HDR_SIZE + max_body(b)) {
                        b->too_big = true;
                        return NULL;
                }
                uint8_t *d = realloc(b->data, cap);
                if (!d) {
                        b->oom = true;
                        return NULL;
                }
                b->data = d;
                b->cap = cap;
        }
        uint8_t *p = b->data + b->len;
        b->len += n;
        return p;
}

void proto_begin(struct proto_buf *b, enum proto_type type) {
        uint8_t *p;

        b->len = 0;
        b->oom = b->too_big = false;
        p = grow(b, PROTO_HDR_SIZE);
        if (p) {
                memset(p, 0, PROTO_HDR_SIZE);
                put16(p + 4, (uint16_t) type);
        }
}

void proto_put_u32(struct proto_buf *b, uint32_t v) {
        uint8_t *p = grow(b, 4);
        if (p)
                put32(p, v);
}

void proto_put_i32(struct proto_buf *b, int32_t v) {
        proto_put_u32(b, (uint32_t) v);
}

void proto_put_i64(struct proto_buf *b, int64_t v) {
        uint8_t *p = grow(b, 8);
        if (p) {
                put32(p, (uint32_t) ((uint64_t) v & 0xffffffffu));
                put32(p + 4, (uint32_t) ((uint64_t) v >> 32));
        }
}

void proto_put_strn(struct proto_buf *b, const char *s, size_t n) {
        uint8_t *p;

        if (n > max_body(b)) {
                b->too_big = true;
                return;
        }
        proto_put_u32(b, (uint32_t) n);
        p = grow(b, n);
        if (p && n)
                memcpy(p, s, n);
}

void proto_put_str(struct proto_buf *b, const char *s) {
        proto_put_strn(b, s ? s : "", s ? strlen(s) : 0);
}

int proto_finish(struct proto_buf *b) {
        if (b->too_big)
                return -EMSGSIZE;
        if (b->oom || !b->data)
                return -ENOMEM;
        if (b->len - PROTO_HDR_SIZE > max_body(b))
                return -EMSGSIZE;
        put16(b->data, PROTO_MAGIC);
        put16(b->data + 2, PROTO_VERSION);
        put16(b->data + 6, b->flags);
        put32(b->data + 8, (uint32_t) (b->len - PROTO_HDR_SIZE));
        return 0;
}

static size_t n_parts(const struct proto_buf *b) {
        size_t body = b->len - PROTO_HDR_SIZE;
        return body <= PROTO_MAX_BODY ? 1 : (body + PROTO_MAX_BODY - 1) / PROTO_MAX_BODY;
}

size_t proto_wire_len(const struct proto_buf *b) {
        return b->len + (n_parts(b) - 1) * PROTO_HDR_SIZE;
}

void proto_wire(const struct proto_buf *b, uint8_t *out) {
        const uint8_t *body = b->data + PROTO_HDR_SIZE;
        size_t left = b->len - PROTO_HDR_SIZE, parts = n_parts(b);

        for (size_t i = 0; i < parts; i++) {
                size_t n = left < PROTO_MAX_BODY ? left : PROTO_MAX_BODY;
                memcpy(out, b->data, PROTO_HDR_SIZE);
                put16(out + 6, (uint16_t) (b->flags | (i + 1 < parts ? PROTO_FLAG_MORE : 0)));
                put32(out + 8, (uint32_t) n);
                memcpy(out + PROTO_HDR_SIZE, body, n);
                out += PROTO_HDR_SIZE + n;
                body += n;
                left -= n;
        }
}

void proto_buf_done(struct proto_buf *b) {
        free(b->data);
        *b = (struct proto_buf) {};
}

void proto_reader_init(struct proto_reader *r, const void *body, size_t len) {
        static const uint8_t empty[1];
        r->p = body ? body : empty;
        r->end = r->p + (body ? len : 0);
        r->bad = false;
}

static const uint8_t *take(struct proto_reader *r, size_t n) {
        const uint8_t *p = r->p;
        if (r->bad || (size_t) (r->end - r->p) < n) {
                r->bad = true;
                return NULL;
        }
        r->p += n;
        return p;
}

uint32_t proto_get_u32(struct proto_reader *r) {
        const uint8_t *p = take(r, 4);
        return p ? get32(p) : 0;
}

int32_t proto_get_i32(struct proto_reader *r) {
        return (int32_t) proto_get_u32(r);
}

int64_t proto_get_i64(struct proto_reader *r) {
        const uint8_t *p = take(r, 8);
        return p ? (int64_t) ((uint64_t) get32(p) | (uint64_t) get32(p + 4) << 32) : 0;
}

char *proto_get_str(struct proto_reader *r) {
        uint32_t n = proto_get_u32(r);
        const uint8_t *p = take(r, n);
        char *s;

        if (!p)
                return NULL;
        if (memchr(p, 0, n)) {
                r->bad = true;
                return NULL;
        }
        s = malloc((size_t) n + 1);
        if (!s) {
                r->bad = true;
                return NULL;
        }
        memcpy(s, p, n);
        s[n] = 0;
        return s;
}

int proto_reader_end(const struct proto_reader *r) {
        return r->bad || r->p != r->end ? -EBADMSG : 0;
}

void proto_put_job(struct proto_buf *b, const struct proto_job *j) {
        proto_put_str(b, j->table);
        proto_put_u32(b, j->line);
        proto_put_str(b, j->name);
        proto_put_str(b, j->user);
        proto_put_str(b, j->schedule);
        proto_put_str(b, j->command);
        proto_put_str(b, j->zone);
        proto_put_i64(b, j->next_at);
        proto_put_i64(b, j->last_at);
        proto_put_i32(b, j->last_wstatus);
        proto_put_i64(b, j->last_duration_ms);
        proto_put_i64(b, j->last_success_at);
        proto_put_u32(b, j->runs);
        proto_put_u32(b, j->failures);
        proto_put_i32(b, j->running_pid);
        proto_put_i64(b, j->running_since);
        proto_put_str(b, j->fleet_host ? j->fleet_host : "");
        proto_put_i64(b, j->fleet_at);
}

void proto_job_done(struct proto_job *j) {
        free(j->table);
        free(j->name);
        free(j->user);
        free(j->schedule);
        free(j->command);
        free(j->zone);
        free(j->fleet_host);
        *j = (struct proto_job) {};
}

int proto_get_job(struct proto_reader *r, struct proto_job *ret) {
        struct proto_job j = {};

        j.table = proto_get_str(r);
        j.line = proto_get_u32(r);
        j.name = proto_get_str(r);
        j.user = proto_get_str(r);
        j.schedule = proto_get_str(r);
        j.command = proto_get_str(r);
        j.zone = proto_get_str(r);
        j.next_at = proto_get_i64(r);
        j.last_at = proto_get_i64(r);
        j.last_wstatus = proto_get_i32(r);
        j.last_duration_ms = proto_get_i64(r);
        j.last_success_at = proto_get_i64(r);
        j.runs = proto_get_u32(r);
        j.failures = proto_get_u32(r);
        j.running_pid = proto_get_i32(r);
        j.running_since = proto_get_i64(r);
        j.fleet_host = proto_get_str(r);
        j.fleet_at = proto_get_i64(r);
        if (r->bad) {
                proto_job_done(&j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

/* ---- message bodies ---- */

/* The fields of each request, in wire order: user, then job or text, then count. */
enum { REQ_USER = 1 << 0, REQ_JOB = 1 << 1, REQ_TEXT = 1 << 2, REQ_COUNT = 1 << 3 };
static const uint8_t request_fields[_PROTO_REQUEST_END - PROTO_HELLO] = {
        [PROTO_HELLO - PROTO_HELLO] = 0,
        [PROTO_LIST - PROTO_HELLO] = REQ_USER,
        [PROTO_INSTALL - PROTO_HELLO] = REQ_USER | REQ_TEXT,
        [PROTO_REMOVE - PROTO_HELLO] = REQ_USER,
        [PROTO_RESTORE - PROTO_HELLO] = REQ_USER,
        [PROTO_STATUS - PROTO_HELLO] = REQ_USER,
        [PROTO_NEXT - PROTO_HELLO] = REQ_USER | REQ_COUNT,
        [PROTO_WHY - PROTO_HELLO] = REQ_USER | REQ_JOB,
        [PROTO_RUN - PROTO_HELLO] = REQ_USER | REQ_JOB,
        [PROTO_RELOAD - PROTO_HELLO] = 0,
        [PROTO_METRICS - PROTO_HELLO] = 0,
        [PROTO_REFUSED - PROTO_HELLO] = REQ_USER,
        [PROTO_FLEET - PROTO_HELLO] = 0,
};

static bool is_request(enum proto_type type) {
        return type >= PROTO_HELLO && type < _PROTO_REQUEST_END;
}

void proto_put_request(struct proto_buf *b, enum proto_type type, const struct proto_request *q) {
        unsigned f = is_request(type) ? request_fields[type - PROTO_HELLO] : 0;

        proto_begin(b, type);
        if (f & REQ_USER)
                proto_put_str(b, q->user);
        if (f & REQ_JOB)
                proto_put_str(b, q->job);
        if (f & REQ_TEXT)
                proto_put_strn(b, q->text, q->text ? q->text_len : 0);
        if (f & REQ_COUNT)
                proto_put_u32(b, q->count);
}

void proto_request_done(struct proto_request *q) {
        free(q->user);
        free(q->job);
        free(q->text);
        *q = (struct proto_request) {};
}

int proto_get_request(struct proto_reader *r, enum proto_type type, struct proto_request *ret) {
        struct proto_request q = {};
        unsigned f;

        if (!is_request(type))
                return -EINVAL;
        f = request_fields[type - PROTO_HELLO];
        if (f & REQ_USER)
                q.user = proto_get_str(r);
        if (f & REQ_JOB)
                q.job = proto_get_str(r);
        if ((f & REQ_TEXT) && (q.text = proto_get_str(r)))
                q.text_len = strlen(q.text);
        if (f & REQ_COUNT)
                q.count = proto_get_u32(r);
        if (proto_reader_end(r) < 0 || ((f & REQ_COUNT) && (q.count < PROTO_NEXT_MIN || q.count > PROTO_NEXT_MAX))) {
                proto_request_done(&q);
                return -EBADMSG;
        }
        *ret = q;
        return 0;
}

void proto_put_ok(struct proto_buf *b, const char *text, size_t len) {
        proto_begin(b, PROTO_OK);
        proto_put_strn(b, text, text ? len : 0);
}

int proto_get_ok(struct proto_reader *r, char **ret_text) {
        char *s = proto_get_str(r);

        if (proto_reader_end(r) < 0) {
                free(s);
                return -EBADMSG;
        }
        *ret_text = s;
        return 0;
}

void proto_put_hello(struct proto_buf *b, const struct proto_hello *h) {
        proto_begin(b, PROTO_OK);
        proto_put_str(b, h->version);
        proto_put_u32(b, h->uid);
        proto_put_str(b, h->user);
}

void proto_hello_done(struct proto_hello *h) {
        free(h->version);
        free(h->user);
        *h = (struct proto_hello) {};
}

int proto_get_hello(struct proto_reader *r, struct proto_hello *ret) {
        struct proto_hello h = {};

        h.version = proto_get_str(r);
        h.uid = proto_get_u32(r);
        h.user = proto_get_str(r);
        if (proto_reader_end(r) < 0) {
                proto_hello_done(&h);
                return -EBADMSG;
        }
        *ret = h;
        return 0;
}

void proto_put_error(struct proto_buf *b, const struct proto_error *e) {
        proto_begin(b, PROTO_ERROR);
        proto_put_i32(b, e->err);
        proto_put_str(b, e->msg);
}

void proto_error_done(struct proto_error *e) {
        free(e->msg);
        *e = (struct proto_error) {};
}

int proto_get_error(struct proto_reader *r, struct proto_error *ret) {
        struct proto_error e = {};

        e.err = proto_get_i32(r);
        e.msg = proto_get_str(r);
        if (proto_reader_end(r) < 0) {
                proto_error_done(&e);
                return -EBADMSG;
        }
        *ret = e;
        return 0;
}

void proto_put_diags(struct proto_buf *b, const struct proto_diags *g) {
        proto_begin(b, PROTO_DIAGS);
        proto_put_str(b, g->text);
        proto_put_u32(b, (uint32_t) g->list.n);
        for (size_t i = 0; i < g->list.n; i++) {
                proto_put_u32(b, (uint32_t) g->list.items[i].severity);
                proto_put_u32(b, g->list.items[i].line);
                proto_put_u32(b, g->list.items[i].col);
                proto_put_str(b, g->list.items[i].msg);
        }
}

void proto_diags_done(struct proto_diags *g) {
        free(g->text);
        diag_list_done(&g->list);
        *g = (struct proto_diags) {};
}

static enum diag_severity severity_from_wire(uint32_t v) {
        return v == DIAG_ERROR ? DIAG_ERROR : v == DIAG_WARNING ? DIAG_WARNING : DIAG_NOTE;
}

int proto_get_diags(struct proto_reader *r, struct proto_diags *ret) {
        struct proto_diags g = {};
        uint32_t n;

        g.text = proto_get_str(r);
        n = proto_get_u32(r);
        for (uint32_t i = 0; i < n && !r->bad; i++) {
                uint32_t sev = proto_get_u32(r), line = proto_get_u32(r), col = proto_get_u32(r);
                char *msg = proto_get_str(r);
                int k = msg ? diag_add(&g.list, severity_from_wire(sev), line, col, "%s", msg) : 0;

                free(msg);
                if (k < 0) {
                        proto_diags_done(&g);
                        return -ENOMEM;
                }
        }
        if (proto_reader_end(r) < 0) {
                proto_diags_done(&g);
                return -EBADMSG;
        }
        *ret = g;
        return 0;
}

void proto_put_status_head(struct proto_buf *b, const struct proto_status *s) {
        proto_put_str(b, s->version);
        proto_put_i64(b, s->started_at);
        proto_put_u32(b, s->tables);
        proto_put_u32(b, s->jobs);
        proto_put_u32(b, s->running);
        proto_put_u32(b, (uint32_t) s->n);
}

void proto_put_status(struct proto_buf *b, const struct proto_status *s) {
        proto_begin(b, PROTO_STATUS_REPLY);
        proto_put_status_head(b, s);
        for (size_t i = 0; i < s->n; i++)
                proto_put_job(b, &s->job[i]);
}

void proto_status_done(struct proto_status *s) {
        for (size_t i = 0; i < s->n; i++)
                proto_job_done(&s->job[i]);
        free(s->job);
        free(s->version);
        *s = (struct proto_status) {};
}

/* Makes room for one more of n items of `size` in *v (capacity *cap). */
static int grow_array(void **v, size_t n, size_t *cap, size_t size) {
        void *p;

        if (n < *cap)
                return 0;
        p = reallocarray(*v, *cap ? *cap * 2 : 16, size);
        if (!p)
                return -ENOMEM;
        *v = p;
        *cap = *cap ? *cap * 2 : 16;
        return 0;
}

int proto_get_status(struct proto_reader *r, struct proto_status *ret) {
        struct proto_status s = {};
        size_t cap = 0;
        uint32_t n;

        s.version = proto_get_str(r);
        s.started_at = proto_get_i64(r);
        s.tables = proto_get_u32(r);
        s.jobs = proto_get_u32(r);
        s.running = proto_get_u32(r);
        n = proto_get_u32(r);
        for (uint32_t i = 0; i < n && !r->bad; i++) {
                if (grow_array((void **) &s.job, s.n, &cap, sizeof *s.job) < 0) {
                        proto_status_done(&s);
                        return -ENOMEM;
                }
                if (proto_get_job(r, &s.job[s.n]) < 0)
                        break;
                s.n++;
        }
        if (proto_reader_end(r) < 0) {
                proto_status_done(&s);
                return -EBADMSG;
        }
        *ret = s;
        return 0;
}

void proto_put_next_head(struct proto_buf *b, size_t n) {
        proto_put_u32(b, (uint32_t) n);
}

void proto_put_next_run(struct proto_buf *b, const struct proto_next_run *u) {
        proto_put_i64(b, u->at);
        proto_put_str(b, u->zone);
        proto_put_str(b, u->table);
        proto_put_u32(b, u->line);
        proto_put_str(b, u->user);
        proto_put_str(b, u->command);
}

void proto_put_next(struct proto_buf *b, const struct proto_next *x) {
        proto_begin(b, PROTO_NEXT_REPLY);
        proto_put_next_head(b, x->n);
        for (size_t i = 0; i < x->n; i++)
                proto_put_next_run(b, &x->runs[i]);
}

static void next_run_done(struct proto_next_run *u) {
        free(u->zone);
        free(u->table);
        free(u->user);
        free(u->command);
}

void proto_next_done(struct proto_next *x) {
        for (size_t i = 0; i < x->n; i++)
                next_run_done(&x->runs[i]);
        free(x->runs);
        *x = (struct proto_next) {};
}

int proto_get_next(struct proto_reader *r, struct proto_next *ret) {
        struct proto_next x = {};
        size_t cap = 0;
        uint32_t n = proto_get_u32(r);

        for (uint32_t i = 0; i < n && !r->bad; i++) {
                struct proto_next_run u = {};

                if (grow_array((void **) &x.runs, x.n, &cap, sizeof *x.runs) < 0) {
                        proto_next_done(&x);
                        return -ENOMEM;
                }
                u.at = proto_get_i64(r);
                u.zone = proto_get_str(r);
                u.table = proto_get_str(r);
                u.line = proto_get_u32(r);
                u.user = proto_get_str(r);
                u.command = proto_get_str(r);
                x.runs[x.n++] = u; /* freed with the rest, whole or not */
        }
        if (proto_reader_end(r) < 0) {
                proto_next_done(&x);
                return -EBADMSG;
        }
        *ret = x;
        return 0;
}

void proto_put_why(struct proto_buf *b, const struct proto_why *w) {
        proto_begin(b, PROTO_WHY_REPLY);
        proto_put_job(b, &w->job);
        proto_put_str(b, w->state);
        proto_put_str(b, w->note);
        proto_put_strn(b, w->output, w->output ? w->output_len : 0);
}

void proto_why_done(struct proto_why *w) {
        proto_job_done(&w->job);
        free(w->state);
        free(w->note);
        free(w->output);
        *w = (struct proto_why) {};
}

int proto_get_why(struct proto_reader *r, struct proto_why *ret) {
        struct proto_why w = {};

        if (proto_get_job(r, &w.job) < 0)
                return -EBADMSG;
        w.state = proto_get_str(r);
        w.note = proto_get_str(r);
        w.output = proto_get_str(r);
        w.output_len = w.output ? strlen(w.output) : 0;
        if (proto_reader_end(r) < 0) {
                proto_why_done(&w);
                return -EBADMSG;
        }
        *ret = w;
        return 0;
}

void proto_put_run_started(struct proto_buf *b, int32_t pid) {
        proto_begin(b, PROTO_RUN_STARTED);
        proto_put_i32(b, pid);
}

int proto_get_run_started(struct proto_reader *r, int32_t *ret_pid) {
        int32_t pid = proto_get_i32(r);

        if (proto_reader_end(r) < 0)
                return -EBADMSG;
        *ret_pid = pid;
        return 0;
}

void proto_put_run_done(struct proto_buf *b, const struct proto_run_done *x) {
        proto_begin(b, PROTO_RUN_DONE);
        proto_put_i32(b, x->wstatus);
        proto_put_i64(b, x->duration_ms);
}

int proto_get_run_done(struct proto_reader *r, struct proto_run_done *ret) {
        struct proto_run_done x;

        x.wstatus = proto_get_i32(r);
        x.duration_ms = proto_get_i64(r);
        if (proto_reader_end(r) < 0)
                return -EBADMSG;
        *ret = x;
        return 0;
}

void proto_put_refused(struct proto_buf *b, const struct proto_refused *x) {
        proto_begin(b, PROTO_REFUSED_REPLY);
        proto_put_u32(b, x->total);
        proto_put_u32(b, (uint32_t) x->n);
        for (size_t i = 0; i < x->n; i++) {
                const struct proto_refusal *u = &x->v[i];
                proto_put_str(b, u->table);
                proto_put_str(b, u->user);
                proto_put_u32(b, u->line);
                proto_put_u32(b, u->col);
                proto_put_str(b, u->reason);
                proto_put_u32(b, u->more);
                proto_put_u32(b, u->in_force);
                proto_put_u32(b, u->jobs);
        }
}

void proto_refused_done(struct proto_refused *x) {
        for (size_t i = 0; i < x->n; i++) {
                free(x->v[i].table);
                free(x->v[i].user);
                free(x->v[i].reason);
        }
        free(x->v);
        *x = (struct proto_refused) {};
}

int proto_get_refused(struct proto_reader *r, struct proto_refused *ret) {
        struct proto_refused x = {};
        size_t cap = 0;
        uint32_t n;

        x.total = proto_get_u32(r);
        n = proto_get_u32(r);
        for (uint32_t i = 0; i < n && !r->bad; i++) {
                struct proto_refusal u = {};

                if (grow_array((void **) &x.v, x.n, &cap, sizeof *x.v) < 0) {
                        proto_refused_done(&x);
                        return -ENOMEM;
                }
                u.table = proto_get_str(r);
                u.user = proto_get_str(r);
                u.line = proto_get_u32(r);
                u.col = proto_get_u32(r);
                u.reason = proto_get_str(r);
                u.more = proto_get_u32(r);
                u.in_force = proto_get_u32(r);
                u.jobs = proto_get_u32(r);
                x.v[x.n++] = u; /* freed with the rest, whole or not */
        }
        if (proto_reader_end(r) < 0) {
                proto_refused_done(&x);
                return -EBADMSG;
        }
        *ret = x;
        return 0;
}

char *proto_refusal_text(const struct proto_refusal *x, const char *lead) {
        char where[32] = "", more[64] = "", force[64];
        char *s;

        if (x->line && x->col)
                snprintf(where, sizeof where, ":%u:%u", x->line, x->col);
        else if (x->line)
                snprintf(where, sizeof where, ":%u", x->line);
        if (x->more)
                snprintf(more, sizeof more, " (and %u more error%s)", x->more, x->more == 1 ? "" : "s");
        if (x->in_force)
                snprintf(force, sizeof force, "the previous version is in force (%u job%s)", x->jobs,
                         x->jobs == 1 ? "" : "s");
        else
                snprintf(force, sizeof force, "no version of it is in force");
        if (asprintf(&s, "%s%s%s%s: %s%s; %s", lead ? lead : "", lead ? ": " : "", x->table ? x->table : "", where,
                     x->reason ? x->reason : "", more, force) < 0)
                return NULL;
        return s;
}

const char *proto_type_to_string(uint16_t type) {
        static const char *const req[] = { "HELLO", "LIST", "INSTALL", "REMOVE", "RESTORE", "STATUS",
                                           "NEXT", "WHY", "RUN", "RELOAD", "METRICS", "REFUSED", "FLEET" };
        static const char *const rep[] = { "OK", "ERROR", "DIAGS", "STATUS", "NEXT", "WHY", "RUN_STARTED", "RUN_DONE",
                                           "REFUSED" };

        if (type >= PROTO_HELLO && type < _PROTO_REQUEST_END)
                return req[type - PROTO_HELLO];
        if (type >= PROTO_OK && type <= PROTO_REFUSED_REPLY)
                return rep[type - PROTO_OK];
        return "?";
}
