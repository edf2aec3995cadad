/* tests/unit/test_proto_bodies.c: every message body's put/get pair in common/proto.c.
 *
 * A round trip each, the same bytes as the fields packed one by one (as tockd and tockctl did
 * before the bodies had functions, so the wire did not change), and every getter refusing a body
 * cut short or one byte too long without keeping anything half-read. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "helpers.h"
#include "proto.h"
#include "util.h"

/* ---- message bodies: each put/get pair round trip, and the bytes the hand-packed bodies had --- */

/* Finishes b, checks its type, and points r at its body. */
static void finish_and_read(struct proto_buf *b, enum proto_type type, struct proto_reader *r) {
        struct proto_hdr h;

        cr_assert_eq(proto_finish(b), 0);
        cr_assert_eq(proto_hdr_unpack(b->data, &h), 0);
        cr_assert_eq(h.type, type);
        test_body_reader(b, r);
}

/* The same fields packed one by one, as tockd and tockctl did before the bodies had functions. */
static void assert_same_body(const struct proto_buf *got, const struct proto_buf *want) {
        cr_assert_eq(got->len, want->len);
        cr_assert_eq(memcmp(got->data, want->data, got->len), 0);
}

Test(proto_bodies, every_request_comes_back_with_the_fields_its_type_carries) {
        /* which fields each type carries: user, job, text, count */
        static const struct {
                enum proto_type type;
                bool user, job, text, count;
        } types[] = {
                { PROTO_HELLO, false, false, false, false },   { PROTO_LIST, true, false, false, false },
                { PROTO_INSTALL, true, false, true, false },   { PROTO_REMOVE, true, false, false, false },
                { PROTO_RESTORE, true, false, false, false },  { PROTO_STATUS, true, false, false, false },
                { PROTO_NEXT, true, false, false, true },      { PROTO_WHY, true, true, false, false },
                { PROTO_RUN, true, true, false, false },       { PROTO_RELOAD, false, false, false, false },
                { PROTO_METRICS, false, false, false, false },  { PROTO_REFUSED, true, false, false, false },
                { PROTO_FLEET, false, false, false, false },
        };
        const struct proto_request q = {
                .user = (char *) "alice", .job = (char *) "backup", .text = (char *) "@daily true\nignored", .text_len = 12,
                .count = 7,
        };

        cr_assert_eq(ELEMENTSOF(types), _PROTO_REQUEST_END - PROTO_HELLO);
        for (size_t k = 0; k < ELEMENTSOF(types); k++) {
                _cleanup_buf_ struct proto_buf b = {};
                struct proto_request got = {};
                struct proto_reader r;

                proto_put_request(&b, types[k].type, &q);
                finish_and_read(&b, types[k].type, &r);
                cr_assert_eq(proto_get_request(&r, types[k].type, &got), 0, "%s", proto_type_to_string(types[k].type));
                cr_assert_eq(got.user != NULL, types[k].user);
                if (got.user)
                        cr_assert_str_eq(got.user, "alice");
                cr_assert_eq(got.job != NULL, types[k].job);
                if (got.job)
                        cr_assert_str_eq(got.job, "backup");
                cr_assert_eq(got.text != NULL, types[k].text);
                if (got.text) {
                        cr_assert_str_eq(got.text, "@daily true\n");
                        cr_assert_eq(got.text_len, 12);
                }
                cr_assert_eq(got.count, types[k].count ? 7u : 0u);
                proto_request_done(&got);
                cr_assert_null(got.user);
        }
}

Test(proto_bodies, requests_are_the_fields_one_after_another) {
        _cleanup_buf_ struct proto_buf got = {}, want = {};

        proto_put_request(&got, PROTO_NEXT, &(struct proto_request) { .count = 5 }); /* NULL user: "" */
        proto_begin(&want, PROTO_NEXT);
        proto_put_str(&want, "");
        proto_put_u32(&want, 5);
        cr_assert_eq(proto_finish(&got), 0);
        cr_assert_eq(proto_finish(&want), 0);
        assert_same_body(&got, &want);

        proto_put_request(&got, PROTO_RUN, &(struct proto_request) { .user = (char *) "bob", .job = (char *) "3" });
        proto_begin(&want, PROTO_RUN);
        proto_put_str(&want, "bob");
        proto_put_str(&want, "3");
        cr_assert_eq(proto_finish(&got), 0);
        cr_assert_eq(proto_finish(&want), 0);
        assert_same_body(&got, &want);
}

Test(proto_bodies, a_next_count_outside_its_limits_or_a_reply_type_is_refused) {
        static const uint32_t bad[] = { 0, PROTO_NEXT_MAX + 1, UINT32_MAX };
        struct proto_request got = { .user = (char *) "untouched" };
        struct proto_reader r;

        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                _cleanup_buf_ struct proto_buf b = {};
                proto_put_request(&b, PROTO_NEXT, &(struct proto_request) { .count = bad[k] });
                finish_and_read(&b, PROTO_NEXT, &r);
                cr_assert_eq(proto_get_request(&r, PROTO_NEXT, &got), -EBADMSG, "count %u", bad[k]);
                cr_assert_str_eq(got.user, "untouched");
        }
        for (uint32_t n = PROTO_NEXT_MIN; n <= PROTO_NEXT_MAX; n += PROTO_NEXT_MAX - 1) {
                _cleanup_buf_ struct proto_buf b = {};
                proto_put_request(&b, PROTO_NEXT, &(struct proto_request) { .count = n });
                finish_and_read(&b, PROTO_NEXT, &r);
                cr_assert_eq(proto_get_request(&r, PROTO_NEXT, &got), 0, "count %u", n);
                proto_request_done(&got);
        }
        proto_reader_init(&r, "", 0);
        cr_assert_eq(proto_get_request(&r, PROTO_OK, &got), -EINVAL);
}

Test(proto_bodies, an_install_text_with_a_nul_is_malformed) {
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_request got = {};
        struct proto_reader r;

        proto_put_request(&b, PROTO_INSTALL, &(struct proto_request) { .text = (char *) "a\0b", .text_len = 3 });
        finish_and_read(&b, PROTO_INSTALL, &r);
        cr_assert_eq(proto_get_request(&r, PROTO_INSTALL, &got), -EBADMSG);
        cr_assert_null(got.user);
}

Test(proto_bodies, ok_hello_and_error_come_back) {
        _cleanup_buf_ struct proto_buf b = {};
        _cleanup_free_ char *text = NULL;
        struct proto_hello h = {};
        struct proto_error e = {};
        struct proto_reader r;

        proto_put_ok(&b, "0 3 * * * backup\nmore", 17);
        finish_and_read(&b, PROTO_OK, &r);
        cr_assert_eq(proto_get_ok(&r, &text), 0);
        cr_assert_str_eq(text, "0 3 * * * backup\n");

        proto_put_hello(&b, &(struct proto_hello) { .version = (char *) "0.1.0", .uid = 1000, .user = NULL });
        finish_and_read(&b, PROTO_OK, &r);
        cr_assert_eq(proto_get_hello(&r, &h), 0);
        cr_assert_str_eq(h.version, "0.1.0");
        cr_assert_eq(h.uid, 1000);
        cr_assert_str_eq(h.user, "");
        proto_hello_done(&h);
        cr_assert_null(h.version);

        proto_put_error(&b, &(struct proto_error) { .err = -ENOENT, .msg = (char *) "no crontab for alice" });
        finish_and_read(&b, PROTO_ERROR, &r);
        cr_assert_eq(proto_get_error(&r, &e), 0);
        cr_assert_eq(e.err, -ENOENT);
        cr_assert_str_eq(e.msg, "no crontab for alice");
        proto_error_done(&e);
        cr_assert_null(e.msg);

        /* HELLO's OK is not OK(str): a plain OK reader finds bytes left over */
        proto_put_hello(&b, &(struct proto_hello) { .version = (char *) "v", .uid = 0, .user = (char *) "root" });
        finish_and_read(&b, PROTO_OK, &r);
        cr_assert_eq(proto_get_ok(&r, &text), -EBADMSG);
}

Test(proto_bodies, diags_come_back_with_their_counts_and_unknown_severities_as_notes) {
        _cleanup_buf_ struct proto_buf b = {}, want = {};
        struct proto_diags g = { .text = (char *) "bad line\n" }, got = {};
        struct proto_reader r;

        cr_assert_eq(diag_add(&g.list, DIAG_ERROR, 1, 5, "no such month '%s'", "Foo"), 0);
        cr_assert_eq(diag_add(&g.list, DIAG_WARNING, 2, 0, "%s", "no newline at the end"), 0);
        cr_assert_eq(diag_add(&g.list, DIAG_NOTE, 0, 0, "%s", "a note"), 0);
        proto_put_diags(&b, &g);
        proto_begin(&want, PROTO_DIAGS);
        proto_put_str(&want, "bad line\n");
        proto_put_u32(&want, 3);
        for (size_t k = 0; k < 3; k++) {
                proto_put_u32(&want, (uint32_t) g.list.items[k].severity);
                proto_put_u32(&want, g.list.items[k].line);
                proto_put_u32(&want, g.list.items[k].col);
                proto_put_str(&want, g.list.items[k].msg);
        }
        cr_assert_eq(proto_finish(&want), 0);
        finish_and_read(&b, PROTO_DIAGS, &r);
        assert_same_body(&b, &want);
        cr_assert_eq(proto_get_diags(&r, &got), 0);
        cr_assert_str_eq(got.text, "bad line\n");
        cr_assert_eq(got.list.n, 3);
        cr_assert_eq(got.list.n_errors, 1);
        cr_assert_eq(got.list.n_warnings, 1);
        cr_assert_eq(got.list.items[0].line, 1);
        cr_assert_eq(got.list.items[0].col, 5);
        cr_assert_str_eq(got.list.items[0].msg, "no such month 'Foo'");
        cr_assert_eq(got.list.items[2].severity, DIAG_NOTE);
        proto_diags_done(&got);
        diag_list_done(&g.list);

        /* a severity tockctl does not know is shown as a note */
        proto_begin(&b, PROTO_DIAGS);
        proto_put_str(&b, "");
        proto_put_u32(&b, 1);
        proto_put_u32(&b, 77);
        proto_put_u32(&b, 1);
        proto_put_u32(&b, 1);
        proto_put_str(&b, "from a newer tockd");
        finish_and_read(&b, PROTO_DIAGS, &r);
        cr_assert_eq(proto_get_diags(&r, &got), 0);
        cr_assert_eq(got.list.items[0].severity, DIAG_NOTE);
        proto_diags_done(&got);
}

Test(proto_bodies, status_comes_back_with_every_job) {
        struct proto_job jobs[2] = { test_proto_job(), test_proto_job() };
        const struct proto_status s = { .version = (char *) "0.1.0", .started_at = 1767225600, .tables = 3,
                                        .jobs = 9, .running = 1, .job = jobs, .n = 2 };
        _cleanup_buf_ struct proto_buf b = {}, want = {};
        struct proto_status got = {};
        struct proto_reader r;

        jobs[1].line = 13;
        jobs[1].name = NULL;
        proto_put_status(&b, &s);
        proto_begin(&want, PROTO_STATUS_REPLY);
        proto_put_str(&want, "0.1.0");
        proto_put_i64(&want, 1767225600);
        proto_put_u32(&want, 3);
        proto_put_u32(&want, 9);
        proto_put_u32(&want, 1);
        proto_put_u32(&want, 2);
        proto_put_job(&want, &jobs[0]);
        proto_put_job(&want, &jobs[1]);
        cr_assert_eq(proto_finish(&want), 0);
        finish_and_read(&b, PROTO_STATUS_REPLY, &r);
        assert_same_body(&b, &want);
        cr_assert_eq(proto_get_status(&r, &got), 0);
        cr_assert_str_eq(got.version, "0.1.0");
        cr_assert_eq(got.started_at, 1767225600);
        cr_assert_eq(got.tables, 3);
        cr_assert_eq(got.jobs, 9);
        cr_assert_eq(got.running, 1);
        cr_assert_eq(got.n, 2);
        test_assert_job_eq(&got.job[0], &jobs[0]);
        test_assert_job_eq(&got.job[1], &jobs[1]);
        proto_status_done(&got);
        cr_assert_null(got.job);
}

Test(proto_bodies, next_comes_back_run_by_run) {
        struct proto_next_run runs[3] = {
                { 1767231000, (char *) "Europe/Berlin", (char *) "/etc/crontab", 4, (char *) "root", (char *) "run-parts" },
                { 1767231060, (char *) "", (char *) "user alice", 1, (char *) "alice", (char *) "true" },
                { PROTO_NO_TIME, NULL, NULL, 0, NULL, NULL },
        };
        _cleanup_buf_ struct proto_buf b = {}, want = {};
        struct proto_next got = {};
        struct proto_reader r;

        proto_put_next(&b, &(struct proto_next) { .runs = runs, .n = 3 });
        proto_begin(&want, PROTO_NEXT_REPLY);
        proto_put_u32(&want, 3);
        for (size_t k = 0; k < 3; k++) {
                proto_put_i64(&want, runs[k].at);
                proto_put_str(&want, runs[k].zone);
                proto_put_str(&want, runs[k].table);
                proto_put_u32(&want, runs[k].line);
                proto_put_str(&want, runs[k].user);
                proto_put_str(&want, runs[k].command);
        }
        cr_assert_eq(proto_finish(&want), 0);
        finish_and_read(&b, PROTO_NEXT_REPLY, &r);
        assert_same_body(&b, &want);
        cr_assert_eq(proto_get_next(&r, &got), 0);
        cr_assert_eq(got.n, 3);
        for (size_t k = 0; k < 3; k++) {
                cr_assert_eq(got.runs[k].at, runs[k].at);
                cr_assert_str_eq(got.runs[k].zone, runs[k].zone ? runs[k].zone : "");
                cr_assert_str_eq(got.runs[k].table, runs[k].table ? runs[k].table : "");
                cr_assert_eq(got.runs[k].line, runs[k].line);
                cr_assert_str_eq(got.runs[k].user, runs[k].user ? runs[k].user : "");
                cr_assert_str_eq(got.runs[k].command, runs[k].command ? runs[k].command : "");
        }
        proto_next_done(&got);
        cr_assert_null(got.runs);

        proto_put_next(&b, &(struct proto_next) {});
        finish_and_read(&b, PROTO_NEXT_REPLY, &r);
        cr_assert_eq(proto_get_next(&r, &got), 0);
        cr_assert_eq(got.n, 0);
        proto_next_done(&got);
}

Test(proto_bodies, why_comes_back_and_its_output_is_sent_by_length) {
        const struct proto_why w = { .job = test_proto_job(), .state = (char *) "loaded, 2 jobs", .note = (char *) "",
                                     .output = (char *) "line 1\nline 2\nnot sent", .output_len = 14 };
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_why got = {};
        struct proto_reader r;

        proto_put_why(&b, &w);
        finish_and_read(&b, PROTO_WHY_REPLY, &r);
        cr_assert_eq(proto_get_why(&r, &got), 0);
        test_assert_job_eq(&got.job, &w.job);
        cr_assert_str_eq(got.state, "loaded, 2 jobs");
        cr_assert_str_eq(got.note, "");
        cr_assert_str_eq(got.output, "line 1\nline 2\n");
        cr_assert_eq(got.output_len, 14);
        proto_why_done(&got);
        cr_assert_null(got.state);

        /* output with a NUL (a job printed one): sent as is, and tockctl cannot read it */
        proto_put_why(&b, &(struct proto_why) { .job = test_proto_job(), .output = (char *) "a\0b", .output_len = 3 });
        finish_and_read(&b, PROTO_WHY_REPLY, &r);
        cr_assert_eq(proto_get_why(&r, &got), -EBADMSG);
        cr_assert_null(got.job.table);
}

Test(proto_bodies, run_started_and_run_done_come_back) {
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_run_done x = {};
        struct proto_reader r;
        int32_t pid = 0;

        proto_put_run_started(&b, 4242);
        finish_and_read(&b, PROTO_RUN_STARTED, &r);
        cr_assert_eq(proto_get_run_started(&r, &pid), 0);
        cr_assert_eq(pid, 4242);
        proto_put_run_done(&b, &(struct proto_run_done) { .wstatus = 9, .duration_ms = 8123456789LL });
        finish_and_read(&b, PROTO_RUN_DONE, &r);
        cr_assert_eq(proto_get_run_done(&r, &x), 0);
        cr_assert_eq(x.wstatus, 9);
        cr_assert_eq(x.duration_ms, 8123456789LL);
}

Test(proto_bodies, refused_comes_back_table_by_table) {
        struct proto_refusal v[2] = {
                { (char *) "/var/spool/cron/crontabs/alice", (char *) "alice", 1, 6, (char *) "reversed range 22-2", 2, 1, 3 },
                { (char *) "/etc/cron.d/loose", NULL, 0, 0, (char *) "writable by group or others", 0, 0, 0 },
        };
        const struct proto_refused x = { .total = 5, .v = v, .n = 2 };
        _cleanup_buf_ struct proto_buf b = {}, want = {};
        struct proto_refused got = {};
        struct proto_reader r;

        proto_put_refused(&b, &x);
        proto_begin(&want, PROTO_REFUSED_REPLY);
        proto_put_u32(&want, 5);
        proto_put_u32(&want, 2);
        for (size_t k = 0; k < 2; k++) {
                proto_put_str(&want, v[k].table);
                proto_put_str(&want, v[k].user);
                proto_put_u32(&want, v[k].line);
                proto_put_u32(&want, v[k].col);
                proto_put_str(&want, v[k].reason);
                proto_put_u32(&want, v[k].more);
                proto_put_u32(&want, v[k].in_force);
                proto_put_u32(&want, v[k].jobs);
        }
        cr_assert_eq(proto_finish(&want), 0);
        finish_and_read(&b, PROTO_REFUSED_REPLY, &r);
        assert_same_body(&b, &want);
        cr_assert_eq(proto_get_refused(&r, &got), 0);
        cr_assert_eq(got.total, 5);
        cr_assert_eq(got.n, 2);
        for (size_t k = 0; k < 2; k++) {
                cr_assert_str_eq(got.v[k].table, v[k].table);
                cr_assert_str_eq(got.v[k].user, v[k].user ? v[k].user : "");
                cr_assert_eq(got.v[k].line, v[k].line);
                cr_assert_eq(got.v[k].col, v[k].col);
                cr_assert_str_eq(got.v[k].reason, v[k].reason);
                cr_assert_eq(got.v[k].more, v[k].more);
                cr_assert_eq(got.v[k].in_force, v[k].in_force);
                cr_assert_eq(got.v[k].jobs, v[k].jobs);
        }
        proto_refused_done(&got);
        cr_assert_null(got.v);

        proto_put_refused(&b, &(struct proto_refused) {});
        finish_and_read(&b, PROTO_REFUSED_REPLY, &r);
        cr_assert_eq(proto_get_refused(&r, &got), 0);
        cr_assert_eq(got.total, 0);
        cr_assert_eq(got.n, 0);
        proto_refused_done(&got);
}

Test(proto_bodies, a_refusal_is_told_with_its_place_and_the_version_in_force) {
        static const struct {
                struct proto_refusal u;
                const char *lead, *want;
        } cases[] = {
                { { (char *) "/s/alice", (char *) "alice", 1, 6, (char *) "reversed range 22-2", 0, 1, 1 },
                  "your table on disk was refused",
                  "your table on disk was refused: /s/alice:1:6: reversed range 22-2; the previous version is in force (1 job)" },
                { { (char *) "/s/bob", (char *) "bob", 3, 1, (char *) "minute 61 is out of range 0-59", 2, 1, 0 },
                  NULL, "/s/bob:3:1: minute 61 is out of range 0-59 (and 2 more errors); the previous version is in force (0 jobs)" },
                { { (char *) "/etc/crontab", NULL, 2, 0, (char *) "a line without a command", 1, 0, 4 },
                  "the table on disk was refused",
                  "the table on disk was refused: /etc/crontab:2: a line without a command (and 1 more error); no version of it is in force" },
                { { (char *) "/etc/cron.d/loose", NULL, 0, 0, (char *) "writable by group or others", 0, 0, 0 },
                  NULL, "/etc/cron.d/loose: writable by group or others; no version of it is in force" },
        };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *s = proto_refusal_text(&cases[k].u, cases[k].lead);
                cr_assert_not_null(s);
                cr_assert_str_eq(s, cases[k].want, "case %zu", k);
        }
}

/* Each getter as int (*)(reader): the result, with whatever it returned freed. */
static int get_diags_and_free(struct proto_reader *r) {
        struct proto_diags x = {};
        int k = proto_get_diags(r, &x);
        cr_assert(k == 0 || !x.text);
        proto_diags_done(&x);
        return k;
}

static int get_status_and_free(struct proto_reader *r) {
        struct proto_status x = {};
        int k = proto_get_status(r, &x);
        cr_assert(k == 0 || !x.job);
        proto_status_done(&x);
        return k;
}

static int get_next_and_free(struct proto_reader *r) {
        struct proto_next x = {};
        int k = proto_get_next(r, &x);
        cr_assert(k == 0 || !x.runs);
        proto_next_done(&x);
        return k;
}

static int get_why_and_free(struct proto_reader *r) {
        struct proto_why x = {};
        int k = proto_get_why(r, &x);
        cr_assert(k == 0 || !x.job.table);
        proto_why_done(&x);
        return k;
}

static int get_error_and_free(struct proto_reader *r) {
        struct proto_error x = {};
        int k = proto_get_error(r, &x);
        cr_assert(k == 0 || !x.msg);
        proto_error_done(&x);
        return k;
}

static int get_hello_and_free(struct proto_reader *r) {
        struct proto_hello x = {};
        int k = proto_get_hello(r, &x);
        cr_assert(k == 0 || !x.version);
        proto_hello_done(&x);
        return k;
}

static int get_why_request_and_free(struct proto_reader *r) {
        struct proto_request x = {};
        int k = proto_get_request(r, PROTO_WHY, &x);
        cr_assert(k == 0 || !x.user);
        proto_request_done(&x);
        return k;
}

static int get_refused_and_free(struct proto_reader *r) {
        struct proto_refused x = {};
        int k = proto_get_refused(r, &x);
        cr_assert(k == 0 || !x.v);
        proto_refused_done(&x);
        return k;
}

static int get_run_done(struct proto_reader *r) {
        struct proto_run_done x;
        return proto_get_run_done(r, &x);
}

/* Every getter, given each proper prefix of a good body (and the body plus a byte), fails with
 * -EBADMSG; ASan's leak check then shows that nothing half-read is kept. */
Test(proto_bodies, every_body_cut_short_or_with_a_byte_more_is_malformed) {
        struct proto_job jobs[1] = { test_proto_job() };
        struct proto_next_run runs[1] = { { 1, (char *) "UTC", (char *) "t", 1, (char *) "u", (char *) "c" } };
        struct proto_diags g = { .text = (char *) "x" };
        struct proto_refusal refusals[1] = { { (char *) "t", (char *) "u", 1, 2, (char *) "r", 3, 1, 4 } };
        struct proto_buf bodies[9] = {};
        int (*check[9])(struct proto_reader *) = {};
        size_t n = 0;

        cr_assert_eq(diag_add(&g.list, DIAG_ERROR, 1, 1, "%s", "bad"), 0);
#define BODY(put, getter, ...)                                                    \
        do {                                                                      \
                put(&bodies[n], __VA_ARGS__);                                     \
                cr_assert_eq(proto_finish(&bodies[n]), 0);                        \
                check[n++] = getter;                                              \
        } while (0)
        BODY(proto_put_diags, get_diags_and_free, &g);
        BODY(proto_put_status, get_status_and_free,
             &(struct proto_status) { .version = (char *) "v", .job = jobs, .n = 1 });
        BODY(proto_put_next, get_next_and_free, &(struct proto_next) { .runs = runs, .n = 1 });
        BODY(proto_put_why, get_why_and_free,
             &(struct proto_why) { .job = test_proto_job(), .state = (char *) "s", .output = (char *) "o", .output_len = 1 });
        BODY(proto_put_error, get_error_and_free, &(struct proto_error) { .err = -EPERM, .msg = (char *) "m" });
        BODY(proto_put_hello, get_hello_and_free, &(struct proto_hello) { .version = (char *) "v", .user = (char *) "u" });
        BODY(proto_put_request, get_why_request_and_free,
             PROTO_WHY, &(struct proto_request) { .user = (char *) "u", .job = (char *) "j" });
        BODY(proto_put_run_done, get_run_done, &(struct proto_run_done) { .wstatus = 1 });
        BODY(proto_put_refused, get_refused_and_free, &(struct proto_refused) { .total = 1, .v = refusals, .n = 1 });
#undef BODY
        diag_list_done(&g.list);
        for (size_t k = 0; k < n; k++) {
                size_t len = bodies[k].len - PROTO_HDR_SIZE;
                _cleanup_free_ uint8_t *more = malloc(len + 1);
                struct proto_reader r;

                cr_assert_not_null(more);
                memcpy(more, bodies[k].data + PROTO_HDR_SIZE, len);
                more[len] = 0;
                proto_reader_init(&r, more, len);
                cr_assert_eq(check[k](&r), 0, "body #%zu whole", k);
                for (size_t cut = 0; cut < len; cut++) {
                        proto_reader_init(&r, more, cut);
                        cr_assert_eq(check[k](&r), -EBADMSG, "body #%zu cut at %zu", k, cut);
                }
                proto_reader_init(&r, more, len + 1);
                cr_assert_eq(check[k](&r), -EBADMSG, "body #%zu with a byte more", k);
                proto_buf_done(&bodies[k]);
        }
}
