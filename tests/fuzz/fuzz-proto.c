/* tests/fuzz/fuzz-proto.c: libFuzzer target for the wire format between tockd and tockctl.
 *
 * An input is a message as it comes off the socket: 12 header bytes, then the body (inputs
 * shorter than a header are padded with zeros). The header goes through proto_hdr_unpack() and
 * must pack back to the same 12 bytes. Whatever the header says, the body is then read twice:
 *   1. as the message its type names, with the real getter of common/proto.c (a request as tockd
 *      reads it, a reply as tockctl does); when it succeeds, the matching putter must write the
 *      same bytes back (one encoding per value) and when it fails, what it was given is untouched;
 *   2. as a script: the 24 nibbles of the header pick, in turn, a u32, i32, i64, string, JOB or
 *      a counted list of strings, so the fuzzer reaches every sequence of getters by mutating
 *      the header.
 * In the script, every field read is written again with proto_put_*(); while the reader has not
 * failed, those bytes must be exactly the bytes it consumed. Once a getter fails the
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

#include "diag.h"
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

/* ---- messages as proto.h specifies them: the real getters of common/proto.c ---- */

/* A body getter's result: on success the matching putter must give back exactly the body read
 * (`exact`), or at least a body that reads back to itself (DIAGS: severities tockctl does not know
 * become notes). `again` re-reads an echo and puts it once more, for that second check. */
struct body_check {
        const uint8_t *body;
        size_t len;
        struct proto_buf echo;
};

static void echo_matches(struct body_check *c, bool exact, void (*again)(const struct proto_buf *in, struct proto_buf *out)) {
        if (c->len > PROTO_MAX_BODY) {
                /* past what a message may carry: the echo is refused by proto_finish() */
        } else if (exact) {
                check(proto_finish(&c->echo) == 0);
                check(c->echo.len == PROTO_HDR_SIZE + c->len);
                check(memcmp(c->echo.data + PROTO_HDR_SIZE, c->body, c->len) == 0);
        } else if (again) {
                check(proto_finish(&c->echo) == 0);
                struct proto_buf twice = {};
                again(&c->echo, &twice);
                check(twice.len == c->echo.len && memcmp(twice.data, c->echo.data, twice.len) == 0);
                proto_buf_done(&twice);
        }
        proto_buf_done(&c->echo);
}

static void reader_of(const struct body_check *c, struct proto_reader *r) {
        proto_reader_init(r, c->body, c->len);
}

static void msg_request(struct body_check *c, uint16_t type) {
        struct proto_request q = { .user = (char *) "untouched" };
        struct proto_reader r;
        int k;

        reader_of(c, &r);
        k = proto_get_request(&r, type, &q);
        check(k == 0 || k == -EBADMSG);
        if (k < 0) {
                check(q.user && !strcmp(q.user, "untouched") && !q.job && !q.text);
                return;
        }
        check(q.count == 0 || (q.count >= PROTO_NEXT_MIN && q.count <= PROTO_NEXT_MAX));
        check(!q.text || strlen(q.text) == q.text_len);
        proto_put_request(&c->echo, type, &q);
        proto_request_done(&q);
        check(!q.user && !q.job && !q.text);
        echo_matches(c, true, NULL);
}

static void msg_ok(struct body_check *c) {
        char *text = (char *) "untouched";
        struct proto_reader r;
        int k;

        reader_of(c, &r);
        k = proto_get_ok(&r, &text);
        check(k == 0 || k == -EBADMSG);
        if (k < 0) {
                check(!strcmp(text, "untouched"));
                return;
        }
        proto_put_ok(&c->echo, text, strlen(text));
        free(text);
        echo_matches(c, true, NULL);
}

static void msg_hello(struct body_check *c) {
        struct proto_hello h = { .uid = 4242 };
        struct proto_reader r;
        int k;

        reader_of(c, &r);
        k = proto_get_hello(&r, &h);
        check(k == 0 || k == -EBADMSG);
        if (k < 0) {
                check(h.uid == 4242 && !h.version && !h.user);
                return;
        }
        proto_put_hello(&c->echo, &h);
        proto_hello_done(&h);
        echo_matches(c, true, NULL);
}

static void msg_error(struct body_check *c) {
        struct proto_error e = { .err = 4242 };
        struct proto_reader r;
        int k;

        reader_of(c, &r);
        k = proto_get_error(&r, &e);
        check(k == 0 || k == -EBADMSG);
        if (k < 0) {
                check(e.err == 4242 && !e.msg);
                return;
        }
        proto_put_error(&c->echo, &e);
        proto_error_done(&e);
        echo_matches(c, true, NULL);
}

static void diags_again(const struct proto_buf *in, struct proto_buf *out) {
        struct proto_diags g = {};
        struct proto_reader r;

        proto_reader_init(&r, in->data + PROTO_HDR_SIZE, in->len - PROTO_HDR_SIZE);
        check(proto_get_diags(&r, &g) == 0);
        proto_put_diags(out, &g);
        check(proto_finish(out) == 0);
        proto_diags_done(&g);
}

static void msg_diags(struct body_check *c) {
        struct proto_diags g = { .list.n_dropped = 4242 };
        struct proto_reader r;
        int k;

        reader_of(c, &r);
        k = proto_get_diags(&r, &g);
        check(k == 0 || k == -EBADMSG || k == -ENOMEM);
        if (k < 0) {
                check(g.list.n_dropped == 4242 && !g.text && !g.list.items);
                return;
        }
        check(g.list.n <= DIAG_MAX && g.list.n_errors + g.list.n_warnings <= g.list.n + g.list.n_dropped);
        proto_put_diags(&c->echo, &g);
        /* exact unless a severity was mapped or a message dropped */
        bool exact = g.list.n_dropped == 0;
        for (size_t i = 0; exact && i < g.list.n; i++)
                exact = g.list.items[i].severity == DIAG_ERROR || g.list.items[i].severity == DIAG_WARNING;
        proto_diags_done(&g);
        echo_matches(c, exact, diags_again);
}

static void msg_status(struct body_check *c) {
        struct proto_status s = { .tables = 4242 };
        struct proto_reader r;
        int k;

        reader_of(c, &r);
        k = proto_get_status(&r, &s);
        check(k == 0 || k == -EBADMSG || k == -ENOMEM);
        if (k < 0) {
                check(s.tables == 4242 && !s.version && !s.job);
                return;
        }
        for (size_t i = 0; i < s.n; i++)
                check(s.job[i].table && s.job[i].name && s.job[i].user && s.job[i].schedule && s.job[i].command &&
                      s.job[i].zone);
        proto_put_status(&c->echo, &s);
        proto_status_done(&s);
        check(!s.job && !s.version);
        echo_matches(c, true, NULL);
}

static void msg_next(struct body_check *c) {
        struct proto_next x = { .n = 4242 };
        struct proto_reader r;
        int k;

        reader_of(c, &r);
        k = proto_get_next(&r, &x);
        check(k == 0 || k == -EBADMSG || k == -ENOMEM);
        if (k < 0) {
                check(x.n == 4242 && !x.runs);
                return;
        }
        for (size_t i = 0; i < x.n; i++)
                check(x.runs[i].zone && x.runs[i].table && x.runs[i].user && x.runs[i].command);
        proto_put_next(&c->echo, &x);
        proto_next_done(&x);
        echo_matches(c, true, NULL);
}

static void msg_why(struct body_check *c) {
        struct proto_why w = { .output_len = 4242 };
        struct proto_reader r;
        int k;

        reader_of(c, &r);
        k = proto_get_why(&r, &w);
        check(k == 0 || k == -EBADMSG);
        if (k < 0) {
                check(w.output_len == 4242 && !w.job.table && !w.state && !w.output);
                return;
        }
        check(w.state && w.note && w.output && strlen(w.output) == w.output_len);
        proto_put_why(&c->echo, &w);
        proto_why_done(&w);
        echo_matches(c, true, NULL);
}

static void msg_run(struct body_check *c, uint16_t type) {
        struct proto_run_done x = { .wstatus = 4242 };
        struct proto_reader r;
        int32_t pid = 4242;
        int k;

        reader_of(c, &r);
        k = type == PROTO_RUN_STARTED ? proto_get_run_started(&r, &pid) : proto_get_run_done(&r, &x);
        check(k == 0 || k == -EBADMSG);
        if (k < 0) {
                check(pid == 4242 && x.wstatus == 4242);
                return;
        }
        if (type == PROTO_RUN_STARTED)
                proto_put_run_started(&c->echo, pid);
        else
                proto_put_run_done(&c->echo, &x);
        echo_matches(c, true, NULL);
}

static void msg_refused(struct body_check *c) {
        struct proto_refused x = { .total = 4242 };
        struct proto_reader r;
        int k;

        reader_of(c, &r);
        k = proto_get_refused(&r, &x);
        check(k == 0 || k == -EBADMSG || k == -ENOMEM);
        if (k < 0) {
                check(x.total == 4242 && !x.v);
                return;
        }
        for (size_t i = 0; i < x.n; i++) {
                check(x.v[i].table && x.v[i].user && x.v[i].reason);
                char *s = proto_refusal_text(&x.v[i], i % 2 ? "lead" : NULL);
                check(s && strstr(s, x.v[i].reason));
                free(s);
        }
        proto_put_refused(&c->echo, &x);
        proto_refused_done(&x);
        check(!x.v);
        echo_matches(c, true, NULL);
}

static void read_message(const uint8_t *body, size_t len, uint16_t type) {
        struct body_check c = { .body = body, .len = len };

        if (type >= PROTO_HELLO && type < _PROTO_REQUEST_END)
                return msg_request(&c, type);
        switch (type) {
        case PROTO_ERROR:
                return msg_error(&c);
        case PROTO_DIAGS:
                return msg_diags(&c);
        case PROTO_STATUS_REPLY:
                return msg_status(&c);
        case PROTO_NEXT_REPLY:
                return msg_next(&c);
        case PROTO_WHY_REPLY:
                return msg_why(&c);
        case PROTO_RUN_STARTED:
        case PROTO_RUN_DONE:
                return msg_run(&c, type);
        case PROTO_REFUSED_REPLY:
                return msg_refused(&c);
        default:
                /* OK, and types nobody sends, are read both as OK's string and as HELLO's OK */
                msg_ok(&c);
                c = (struct body_check) { .body = body, .len = len };
                msg_hello(&c);
                check(proto_get_request(&(struct proto_reader) {}, (enum proto_type) type, &(struct proto_request) {}) == -EINVAL);
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

        read_message(body, len, h.type);

        walk_begin(&w, body, len);
        read_script(&w, hdr);
        walk_end(&w);
        return 0;
}
