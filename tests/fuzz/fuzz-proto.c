/* tests/fuzz/fuzz-proto.c: libFuzzer target for the wire format between tockd and tockctl.
 *
 * An input is a message as it comes off the socket: 12 header bytes, then the body (inputs
 * shorter than a header are padded with zeros). The header goes through proto_hdr_unpack() and
 * must pack back to the same 12 bytes. Whatever the header says, the body is then read twice:
 *   1. as the message its type names, field by field as proto.h specifies (a request as tockd
 *      reads it, a reply as tockctl does), counted lists included;
 *   2. as a script: the 24 nibbles of the header pick, in turn, a u32, i32, i64, string, JOB or
 *      a counted list of strings, so the fuzzer reaches every sequence of getters by mutating
 *      the header.
 * Every field read is written again with proto_put_*(); while the reader has not failed, those
 * bytes must be exactly the bytes it consumed (one encoding per value). Once a getter fails the
 * reader must stay failed (0 and NULL from then on) and proto_reader_end() must say -EBADMSG.
 * Everything is freed, so LeakSanitizer reports a getter that leaks on a bad body.
 *
 * Built with clang -fsanitize=fuzzer for fuzzing, or with tests/fuzz/run-corpus.c (a plain
 * main()) to replay corpus/proto/ as a test. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(cond)                                                                                  \
        do {                                                                                         \
                if (!(cond)) {                                                                       \
                        fprintf(stderr, "fuzz-proto: check failed: %s (%s:%d)\n", #cond, __FILE__, \
                                __LINE__);                                                           \
                        abort();                                                                     \
                }                                                                                    \
        } while (0)

#define LIST_MAX 4096 /* counted lists: a lying count ends at the short body long before this */

/* A reader, and every field it gave back written again. */
struct walk {
        struct proto_reader r;
        const uint8_t *start;
        struct proto_buf echo;
};

static void walk_begin(struct walk *w, const uint8_t *body, size_t len) {
        proto_reader_init(&w->r, body, len);
        w->start = body;
        w->echo = (struct proto_buf) {};
        proto_begin(&w->echo, PROTO_OK);
}

static uint32_t get_u32(struct walk *w) {
        uint32_t v = proto_get_u32(&w->r);

        if (w->r.bad)
                check(v == 0);
        else
                proto_put_u32(&w->echo, v);
        return v;
}

static void get_i32(struct walk *w) {
        int32_t v = proto_get_i32(&w->r);

        if (w->r.bad)
                check(v == 0);
        else
                proto_put_i32(&w->echo, v);
}

static void get_i64(struct walk *w) {
        int64_t v = proto_get_i64(&w->r);

        if (w->r.bad)
                check(v == 0);
        else
                proto_put_i64(&w->echo, v);
}

static void get_str(struct walk *w) {
        char *s = proto_get_str(&w->r);

        check((s == NULL) == w->r.bad);
        if (s)
                proto_put_str(&w->echo, s);
        free(s);
}

static void get_job(struct walk *w) {
        struct proto_job j = { .line = 4242 };
        int r = proto_get_job(&w->r, &j);

        check(r == 0 || r == -EBADMSG);
        check((r < 0) == w->r.bad);
        if (r < 0) {
                check(j.line == 4242 && !j.table); /* untouched on failure */
                return;
        }
        check(j.table && j.name && j.user && j.schedule && j.command && j.zone);
        proto_put_job(&w->echo, &j);
        proto_job_done(&j);
        check(!j.table && j.line == 0);
}

/* u32 n, then n times `item` */
static void get_list(struct walk *w, void (*item)(struct walk *)) {
        uint32_t n = get_u32(w);

        for (uint32_t i = 0; i < n && i < LIST_MAX && !w->r.bad; i++)
                item(w);
}

/* Checks what the walk read against what it wrote, and frees it. */
static void walk_end(struct walk *w) {
        size_t used = (size_t) (w->r.p - w->start);

        if (w->r.bad) {
                check(proto_reader_end(&w->r) == -EBADMSG);
                /* a failed reader stays failed */
                check(proto_get_u32(&w->r) == 0 && proto_get_i64(&w->r) == 0 && !proto_get_str(&w->r));
                check(w->r.bad);
        } else {
                check(proto_reader_end(&w->r) == (w->r.p == w->r.end ? 0 : -EBADMSG));
        }
        if (!w->r.bad && used <= PROTO_MAX_BODY) {
                check(!w->echo.oom);
                check(w->echo.len == PROTO_HDR_SIZE + used);
                check(memcmp(w->echo.data + PROTO_HDR_SIZE, w->start, used) == 0);
                check(proto_finish(&w->echo) == 0);
        }
        proto_buf_done(&w->echo);
}

/* ---- messages as proto.h specifies them ---- */

static void diag_item(struct walk *w) {
        get_u32(w);
        get_u32(w);
        get_u32(w);
        get_str(w);
}

static void next_item(struct walk *w) {
        get_i64(w);
        get_str(w);
        get_str(w);
        get_u32(w);
        get_str(w);
        get_str(w);
}

static void read_message(struct walk *w, uint16_t type) {
        switch (type) {
        case PROTO_HELLO:
        case PROTO_RELOAD:
        case PROTO_METRICS:
                break;
        case PROTO_LIST:
        case PROTO_REMOVE:
        case PROTO_RESTORE:
        case PROTO_STATUS:
                get_str(w);
                break;
        case PROTO_INSTALL:
        case PROTO_WHY:
        case PROTO_RUN:
                get_str(w);
                get_str(w);
                break;
        case PROTO_NEXT:
                get_str(w);
                get_u32(w);
                break;
        case PROTO_OK:
                get_str(w);
                break;
        case PROTO_ERROR:
                get_i32(w);
                get_str(w);
                break;
        case PROTO_DIAGS:
                get_str(w);
                get_list(w, diag_item);
                break;
        case PROTO_STATUS_REPLY:
                get_str(w);
                get_i64(w);
                get_u32(w);
                get_u32(w);
                get_u32(w);
                get_list(w, get_job);
                break;
        case PROTO_NEXT_REPLY:
                get_list(w, next_item);
                break;
        case PROTO_WHY_REPLY:
                get_job(w);
                get_str(w);
                get_str(w);
                get_str(w);
                break;
        case PROTO_RUN_STARTED:
                get_i32(w);
                break;
        case PROTO_RUN_DONE:
                get_i32(w);
                get_i64(w);
                break;
        default:
                /* unknown types are read as OK's string, and as HELLO's OK (str, u32, str) */
                get_str(w);
                get_u32(w);
                get_str(w);
                break;
        }
}

static void read_script(struct walk *w, const uint8_t hdr[static PROTO_HDR_SIZE]) {
        for (size_t i = 0; i < 2 * PROTO_HDR_SIZE && !w->r.bad; i++) {
                unsigned op = (hdr[i / 2] >> (4 * (i % 2))) & 0xfu;

                switch (op % 6) {
                case 0:
                        get_u32(w);
                        break;
                case 1:
                        get_i32(w);
                        break;
                case 2:
                        get_i64(w);
                        break;
                case 3:
                        get_str(w);
                        break;
                case 4:
                        get_job(w);
                        break;
                case 5:
                        get_list(w, get_str);
                        break;
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t hdr[PROTO_HDR_SIZE] = {}, again[PROTO_HDR_SIZE];
        static const uint8_t none[1];
        const uint8_t *body = size > PROTO_HDR_SIZE ? data + PROTO_HDR_SIZE : none;
        size_t len = size > PROTO_HDR_SIZE ? size - PROTO_HDR_SIZE : 0;
        struct proto_hdr h;
        struct walk w;
        int r;

        memcpy(hdr, data, size < PROTO_HDR_SIZE ? size : PROTO_HDR_SIZE);
        r = proto_hdr_unpack(hdr, &h);
        check(r == 0 || r == -EPROTO || r == -EPROTONOSUPPORT || r == -EMSGSIZE);
        check((r == -EPROTO) == (h.magic != PROTO_MAGIC));
        if (r == 0)
                check(h.version == PROTO_VERSION && h.len <= PROTO_MAX_BODY);
        proto_hdr_pack(&h, again);
        check(memcmp(hdr, again, PROTO_HDR_SIZE) == 0);
        check(proto_type_to_string(h.type) != NULL);

        walk_begin(&w, body, len);
        read_message(&w, h.type);
        walk_end(&w);

        walk_begin(&w, body, len);
        read_script(&w, hdr);
        walk_end(&w);
        return 0;
}
