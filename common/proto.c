/* common/proto.c: packing and unpacking tockd's messages, field by field. Pure. */
#include <errno.h>
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

static uint8_t *grow(struct proto_buf *b, size_t n) {
        if (b->oom || b->too_big)
                return NULL;
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap : 256;
                while (cap < b->len + n)
                        cap *= 2;
                if (b->len + n > PROTO_HDR_SIZE + PROTO_MAX_BODY) {
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

        if (n > PROTO_MAX_BODY) {
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
        if (b->len - PROTO_HDR_SIZE > PROTO_MAX_BODY)
                return -EMSGSIZE;
        put16(b->data, PROTO_MAGIC);
        put16(b->data + 2, PROTO_VERSION);
        put32(b->data + 8, (uint32_t) (b->len - PROTO_HDR_SIZE));
        return 0;
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
}

void proto_job_done(struct proto_job *j) {
        free(j->table);
        free(j->name);
        free(j->user);
        free(j->schedule);
        free(j->command);
        free(j->zone);
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
        if (r->bad) {
                proto_job_done(&j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

const char *proto_type_to_string(uint16_t type) {
        static const char *const req[] = { "HELLO", "LIST", "INSTALL", "REMOVE", "RESTORE", "STATUS",
                                           "NEXT", "WHY", "RUN", "RELOAD", "METRICS" };
        static const char *const rep[] = { "OK", "ERROR", "DIAGS", "STATUS", "NEXT", "WHY", "RUN_STARTED", "RUN_DONE" };

        if (type >= PROTO_HELLO && type < _PROTO_REQUEST_END)
                return req[type - PROTO_HELLO];
        if (type >= PROTO_OK && type <= PROTO_RUN_DONE)
                return rep[type - PROTO_OK];
        return "?";
}
