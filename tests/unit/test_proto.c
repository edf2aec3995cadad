/* tests/unit/test_proto.c: the wire format between tockd and tockctl (common/proto.c).
 *
 * Round trips of every field type and of a whole job, the exact bytes on the wire (little-endian,
 * strings as a u32 length and the bytes), the header checks (magic, version, size), and the
 * readers failing, and staying failed, on short bodies, a NUL inside a string and trailing bytes;
 * then every message body's put/get pair: a round trip each, the same bytes as the fields packed
 * one by one, and every getter refusing a body cut short or one byte too long. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "util.h"

static void proto_buf_donep(struct proto_buf *b) {
        proto_buf_done(b);
}
#define _cleanup_buf_ _cleanup_(proto_buf_donep)

static void proto_job_donep(struct proto_job *j) {
        proto_job_done(j);
}
#define _cleanup_job_ _cleanup_(proto_job_donep)

/* The body of a finished message, for a reader. */
static void body_reader(const struct proto_buf *b, struct proto_reader *r) {
        proto_reader_init(r, b->data + PROTO_HDR_SIZE, b->len - PROTO_HDR_SIZE);
}

/* ---- fields ----------------------------------------------------------------------------------- */

Test(proto_fields, u32_i32_and_i64_come_back_as_they_went) {
        static const uint32_t u[] = { 0, 1, 0x7f, 0x80, 0xff, 0x100, 0x01020304u, 0x7fffffffu, 0x80000000u, UINT32_MAX };
        static const int32_t i[] = { INT32_MIN, -65536, -1, 0, 1, 255, INT32_MAX };
        static const int64_t l[] = { INT64_MIN, PROTO_NO_TIME, -4294967296LL, -1, 0, 1, 4294967296LL,
                                     1767225600LL, INT64_MAX };
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_reader r;

        proto_begin(&b, PROTO_STATUS_REPLY);
        for (size_t k = 0; k < ELEMENTSOF(u); k++)
                proto_put_u32(&b, u[k]);
        for (size_t k = 0; k < ELEMENTSOF(i); k++)
                proto_put_i32(&b, i[k]);
        for (size_t k = 0; k < ELEMENTSOF(l); k++)
                proto_put_i64(&b, l[k]);
        cr_assert_eq(proto_finish(&b), 0);
        cr_assert_eq(b.len, PROTO_HDR_SIZE + 4 * ELEMENTSOF(u) + 4 * ELEMENTSOF(i) + 8 * ELEMENTSOF(l));

        body_reader(&b, &r);
        for (size_t k = 0; k < ELEMENTSOF(u); k++)
                cr_assert_eq(proto_get_u32(&r), u[k], "u32 #%zu", k);
        for (size_t k = 0; k < ELEMENTSOF(i); k++)
                cr_assert_eq(proto_get_i32(&r), i[k], "i32 #%zu", k);
        for (size_t k = 0; k < ELEMENTSOF(l); k++)
                cr_assert_eq(proto_get_i64(&r), l[k], "i64 #%zu", k);
        cr_assert_not(r.bad);
        cr_assert_eq(proto_reader_end(&r), 0);
}

Test(proto_fields, strings_come_back_as_they_went_null_as_empty) {
        static const char *const s[] = { "", "a", "hello, world", "caf\xc3\xa9 \xe2\x8f\xb0", "tab\tnew\nline\r",
                                         "\xff\xfe not UTF-8", "30 2 * * *" };
        _cleanup_buf_ struct proto_buf b = {};
        _cleanup_free_ char *big = malloc(CRONTAB_MAX_LINE * 4 + 1);
        struct proto_reader r;

        cr_assert_not_null(big);
        memset(big, 'x', CRONTAB_MAX_LINE * 4);
        big[CRONTAB_MAX_LINE * 4] = 0;
        proto_begin(&b, PROTO_OK);
        for (size_t k = 0; k < ELEMENTSOF(s); k++)
                proto_put_str(&b, s[k]);
        proto_put_str(&b, NULL);
        proto_put_strn(&b, "abcdef", 3);
        proto_put_strn(&b, NULL, 0);
        proto_put_str(&b, big);
        cr_assert_eq(proto_finish(&b), 0);

        body_reader(&b, &r);
        for (size_t k = 0; k < ELEMENTSOF(s); k++) {
                _cleanup_free_ char *got = proto_get_str(&r);
                cr_assert_str_eq(got, s[k], "string #%zu", k);
        }
        const char *want[] = { "", "abc", "", big };
        for (size_t k = 0; k < ELEMENTSOF(want); k++) {
                _cleanup_free_ char *got = proto_get_str(&r);
                cr_assert_not_null(got);
                cr_assert_str_eq(got, want[k], "string after the table #%zu", k);
        }
        cr_assert_eq(proto_reader_end(&r), 0);
}

Test(proto_fields, the_wire_is_little_endian_and_strings_are_a_length_then_the_bytes) {
        static const uint8_t want[] = {
                0x04, 0x03, 0x02, 0x01,                         /* u32 0x01020304 */
                0xfe, 0xff, 0xff, 0xff,                         /* i32 -2 */
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* i64 0x0102030405060708 */
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, /* i64 INT64_MIN: PROTO_NO_TIME */
                0x02, 0x00, 0x00, 0x00, 'o', 'k',               /* str "ok", no NUL */
                0x00, 0x00, 0x00, 0x00,                         /* str "" */
        };
        _cleanup_buf_ struct proto_buf b = {};

        proto_begin(&b, PROTO_OK);
        proto_put_u32(&b, 0x01020304u);
        proto_put_i32(&b, -2);
        proto_put_i64(&b, 0x0102030405060708LL);
        proto_put_i64(&b, PROTO_NO_TIME);
        proto_put_str(&b, "ok");
        proto_put_str(&b, "");
        cr_assert_eq(proto_finish(&b), 0);
        cr_assert_eq(b.len, PROTO_HDR_SIZE + sizeof want);
        cr_assert_arr_eq(b.data + PROTO_HDR_SIZE, want, sizeof want);
}

/* ---- the header ------------------------------------------------------------------------------- */

Test(proto_header, finish_writes_magic_version_type_and_the_body_length) {
        static const uint8_t want[PROTO_HDR_SIZE] = { 0x54, 0x4b, PROTO_VERSION, 0, PROTO_INSTALL, 0, 0, 0,
                                                      18, 0, 0, 0 };
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_hdr h;

        proto_begin(&b, PROTO_INSTALL);
        proto_put_str(&b, "");
        proto_put_str(&b, "* * * * *\n");
        cr_assert_eq(proto_finish(&b), 0);
        cr_assert_arr_eq(b.data, want, PROTO_HDR_SIZE, "\"TK\", version, type 102, flags 0, length 4 + 14");
        cr_assert_eq(proto_hdr_unpack(b.data, &h), 0);
        cr_assert_eq(h.magic, PROTO_MAGIC);
        cr_assert_eq(h.version, PROTO_VERSION);
        cr_assert_eq(h.type, PROTO_INSTALL);
        cr_assert_eq(h.flags, 0);
        cr_assert_eq(h.len, b.len - PROTO_HDR_SIZE);
}

Test(proto_header, pack_and_unpack_are_inverses) {
        const struct proto_hdr hs[] = {
                { PROTO_MAGIC, PROTO_VERSION, PROTO_HELLO, 0, 0 },
                { PROTO_MAGIC, PROTO_VERSION, PROTO_RUN_DONE, 0xbeef, 12 },
                { PROTO_MAGIC, PROTO_VERSION, 0xffff, 0xffff, PROTO_MAX_BODY },
        };

        for (size_t k = 0; k < ELEMENTSOF(hs); k++) {
                uint8_t wire[PROTO_HDR_SIZE];
                struct proto_hdr h;

                proto_hdr_pack(&hs[k], wire);
                cr_assert_eq(proto_hdr_unpack(wire, &h), 0, "header #%zu", k);
                cr_assert_eq(memcmp(&h, &hs[k], sizeof h), 0, "header #%zu", k);
        }
}

Test(proto_header, bad_magic_is_refused) {
        const struct proto_hdr in = { 0x4b55, PROTO_VERSION, PROTO_LIST, 0, 4 };
        uint8_t wire[PROTO_HDR_SIZE];
        struct proto_hdr h;

        proto_hdr_pack(&in, wire);
        cr_assert_eq(proto_hdr_unpack(wire, &h), -EPROTO);
        memcpy(wire, "GET / HTTP/1.0", PROTO_HDR_SIZE);
        cr_assert_eq(proto_hdr_unpack(wire, &h), -EPROTO, "not tockctl at all");
        /* the magic is checked first: a stranger with another "version" is still a stranger */
        const struct proto_hdr both = { 0x1234, PROTO_VERSION + 1, PROTO_LIST, 0, 4 };
        proto_hdr_pack(&both, wire);
        cr_assert_eq(proto_hdr_unpack(wire, &h), -EPROTO);
}

Test(proto_header, another_version_is_refused_but_still_decoded_for_the_message) {
        const struct proto_hdr in = { PROTO_MAGIC, PROTO_VERSION + 1, PROTO_OK, 3, 42 };
        uint8_t wire[PROTO_HDR_SIZE];
        struct proto_hdr h;

        proto_hdr_pack(&in, wire);
        cr_assert_eq(proto_hdr_unpack(wire, &h), -EPROTONOSUPPORT);
        cr_assert_eq(h.version, PROTO_VERSION + 1);
        cr_assert_eq(h.type, PROTO_OK);
        cr_assert_eq(h.len, 42);
        const struct proto_hdr old = { PROTO_MAGIC, 0, PROTO_OK, 0, 0 };
        proto_hdr_pack(&old, wire);
        cr_assert_eq(proto_hdr_unpack(wire, &h), -EPROTONOSUPPORT);
}

Test(proto_header, a_length_over_the_limit_is_refused_before_any_allocation) {
        const uint32_t lens[] = { PROTO_MAX_BODY + 1, PROTO_MAX_BODY + 65536, UINT32_MAX };
        uint8_t wire[PROTO_HDR_SIZE];
        struct proto_hdr h;

        for (size_t k = 0; k < ELEMENTSOF(lens); k++) {
                const struct proto_hdr in = { PROTO_MAGIC, PROTO_VERSION, PROTO_INSTALL, 0, lens[k] };
                proto_hdr_pack(&in, wire);
                cr_assert_eq(proto_hdr_unpack(wire, &h), -EMSGSIZE, "length %u", lens[k]);
        }
        const struct proto_hdr max = { PROTO_MAGIC, PROTO_VERSION, PROTO_INSTALL, 0, PROTO_MAX_BODY };
        proto_hdr_pack(&max, wire);
        cr_assert_eq(proto_hdr_unpack(wire, &h), 0, "exactly the limit is fine");
}

/* ---- building --------------------------------------------------------------------------------- */

Test(proto_build, a_body_of_exactly_the_limit_is_accepted) {
        _cleanup_buf_ struct proto_buf b = {};
        _cleanup_free_ char *s = malloc(PROTO_MAX_BODY - 4);
        struct proto_hdr h;

        cr_assert_not_null(s);
        memset(s, 'x', PROTO_MAX_BODY - 4);
        proto_begin(&b, PROTO_INSTALL);
        proto_put_strn(&b, s, PROTO_MAX_BODY - 4);
        cr_assert_eq(proto_finish(&b), 0);
        cr_assert_eq(proto_hdr_unpack(b.data, &h), 0);
        cr_assert_eq(h.len, PROTO_MAX_BODY);
}

Test(proto_build, finish_refuses_a_body_over_the_limit) {
        _cleanup_buf_ struct proto_buf b = {};
        _cleanup_free_ char *s = malloc(PROTO_MAX_BODY);

        cr_assert_not_null(s);
        memset(s, 'x', PROTO_MAX_BODY);
        proto_begin(&b, PROTO_INSTALL);
        proto_put_strn(&b, s, PROTO_MAX_BODY - 4); /* exactly the limit ... */
        proto_put_u32(&b, 0);                      /* ... and 4 bytes more */
        cr_assert_lt(proto_finish(&b), 0);

        proto_begin(&b, PROTO_INSTALL);
        proto_put_str(&b, "");
        proto_put_strn(&b, s, PROTO_MAX_BODY); /* a string longer than any body */
        cr_assert_lt(proto_finish(&b), 0);

        proto_begin(&b, PROTO_INSTALL);
        proto_put_strn(&b, s, (size_t) PROTO_MAX_BODY + 1);
        cr_assert_lt(proto_finish(&b), 0);
}

/* proto.h: "Returns 0, -ENOMEM, or -EMSGSIZE when the body grew past PROTO_MAX_BODY." (a bug
 * found in issue 4: it said -ENOMEM) */
Test(proto_build, finish_says_emsgsize_for_a_body_over_the_limit) {
        _cleanup_buf_ struct proto_buf b = {};
        _cleanup_free_ char *s = malloc(PROTO_MAX_BODY);

        cr_assert_not_null(s);
        proto_begin(&b, PROTO_INSTALL);
        proto_put_strn(&b, s, PROTO_MAX_BODY - 4);
        proto_put_u32(&b, 0);
        cr_assert_eq(proto_finish(&b), -EMSGSIZE);
        proto_begin(&b, PROTO_INSTALL);
        proto_put_strn(&b, s, (size_t) PROTO_MAX_BODY + 1);
        cr_assert_eq(proto_finish(&b), -EMSGSIZE);
}

Test(proto_build, a_buffer_is_reused_from_the_start_by_proto_begin) {
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_reader r;
        struct proto_hdr h;

        proto_begin(&b, PROTO_OK);
        proto_put_str(&b, "a first, longer message");
        cr_assert_eq(proto_finish(&b), 0);
        proto_begin(&b, PROTO_ERROR);
        proto_put_i32(&b, -ENOENT);
        proto_put_str(&b, "no table");
        cr_assert_eq(proto_finish(&b), 0);
        cr_assert_eq(proto_hdr_unpack(b.data, &h), 0);
        cr_assert_eq(h.type, PROTO_ERROR);
        cr_assert_eq(h.len, 4 + 4 + 8);
        body_reader(&b, &r);
        cr_assert_eq(proto_get_i32(&r), -ENOENT);
        _cleanup_free_ char *msg = proto_get_str(&r);
        cr_assert_str_eq(msg, "no table");
        cr_assert_eq(proto_reader_end(&r), 0);
}

Test(proto_build, finish_without_begin_fails_and_done_accepts_an_empty_buffer) {
        struct proto_buf b = {};

        cr_assert_lt(proto_finish(&b), 0);
        proto_buf_done(&b);
        proto_buf_done(&b);
        cr_assert_null(b.data);
}

/* ---- reading ---------------------------------------------------------------------------------- */

Test(proto_read, every_getter_fails_on_a_short_body_and_the_reader_stays_failed) {
        static const uint8_t three[] = { 1, 2, 3 }, seven[] = { 1, 2, 3, 4, 5, 6, 7 };
        struct proto_reader r;

        proto_reader_init(&r, three, sizeof three);
        cr_assert_eq(proto_get_u32(&r), 0);
        cr_assert(r.bad);
        proto_reader_init(&r, three, sizeof three);
        cr_assert_eq(proto_get_i32(&r), 0);
        cr_assert(r.bad);
        proto_reader_init(&r, seven, sizeof seven);
        cr_assert_eq(proto_get_i64(&r), 0);
        cr_assert(r.bad);
        cr_assert_eq(proto_reader_end(&r), -EBADMSG);

        /* once failed, even a field that is there is not read */
        proto_reader_init(&r, seven, sizeof seven);
        cr_assert_eq(proto_get_i64(&r), 0);
        cr_assert_eq(proto_get_u32(&r), 0);
        cr_assert_null(proto_get_str(&r));
        cr_assert(r.bad);
        cr_assert_eq(proto_reader_end(&r), -EBADMSG);
}

Test(proto_read, a_string_longer_than_the_rest_of_the_body_fails) {
        static const uint8_t body[] = { 5, 0, 0, 0, 'a', 'b', 'c', 'd' };
        static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
        static const uint8_t cut_length[] = { 1, 0 };
        struct proto_reader r;

        proto_reader_init(&r, body, sizeof body);
        cr_assert_null(proto_get_str(&r));
        cr_assert(r.bad);
        proto_reader_init(&r, huge, sizeof huge);
        cr_assert_null(proto_get_str(&r));
        cr_assert(r.bad);
        proto_reader_init(&r, cut_length, sizeof cut_length);
        cr_assert_null(proto_get_str(&r));
        cr_assert(r.bad);
}

Test(proto_read, a_nul_inside_a_string_is_refused) {
        static const uint8_t inside[] = { 3, 0, 0, 0, 'a', 0, 'b' };
        static const uint8_t at_end[] = { 2, 0, 0, 0, 'a', 0 };
        static const uint8_t alone[] = { 1, 0, 0, 0, 0 };
        const struct { const uint8_t *p; size_t n; } cases[] = {
                { inside, sizeof inside }, { at_end, sizeof at_end }, { alone, sizeof alone } };

        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                struct proto_reader r;
                proto_reader_init(&r, cases[k].p, cases[k].n);
                cr_assert_null(proto_get_str(&r), "case %zu", k);
                cr_assert(r.bad, "case %zu", k);
                cr_assert_eq(proto_reader_end(&r), -EBADMSG, "case %zu", k);
        }
}

Test(proto_read, trailing_bytes_make_the_body_malformed) {
        static const uint8_t body[] = { 7, 0, 0, 0, 0 };
        struct proto_reader r;

        proto_reader_init(&r, body, sizeof body);
        cr_assert_eq(proto_get_u32(&r), 7);
        cr_assert_not(r.bad, "reading was fine ...");
        cr_assert_eq(proto_reader_end(&r), -EBADMSG, "... but a byte is left over");
        proto_reader_init(&r, body, 4);
        cr_assert_eq(proto_get_u32(&r), 7);
        cr_assert_eq(proto_reader_end(&r), 0);
}

Test(proto_read, an_empty_body_is_complete_and_has_no_fields) {
        static const uint8_t none[1];
        struct proto_reader r;

        proto_reader_init(&r, none, 0);
        cr_assert_eq(proto_reader_end(&r), 0, "HELLO, RELOAD and METRICS have empty bodies");
        cr_assert_eq(proto_get_u32(&r), 0);
        cr_assert(r.bad);
}

/* ---- jobs ------------------------------------------------------------------------------------- */

static struct proto_job sample_job(void) {
        return (struct proto_job) {
                .table = (char *) "/var/spool/cron/crontabs/alice",
                .line = 12,
                .name = (char *) "backup",
                .user = (char *) "alice",
                .schedule = (char *) "[timeout:2h] 30 3 * * *",
                .command = (char *) "/usr/local/bin/backup --all",
                .zone = (char *) "Europe/Berlin",
                .next_at = 1767231000,
                .last_at = 1767144600,
                .last_wstatus = 1 << 8,
                .last_duration_ms = 8123456789LL,
                .last_success_at = 1767058200,
                .runs = 400,
                .failures = 3,
                .running_pid = 4242,
                .running_since = 1767144600,
        };
}

static void assert_job_eq(const struct proto_job *got, const struct proto_job *want) {
        cr_assert_str_eq(got->table, want->table);
        cr_assert_eq(got->line, want->line);
        cr_assert_str_eq(got->name, want->name ? want->name : "");
        cr_assert_str_eq(got->user, want->user ? want->user : "");
        cr_assert_str_eq(got->schedule, want->schedule);
        cr_assert_str_eq(got->command, want->command);
        cr_assert_str_eq(got->zone, want->zone ? want->zone : "");
        cr_assert_eq(got->next_at, want->next_at);
        cr_assert_eq(got->last_at, want->last_at);
        cr_assert_eq(got->last_wstatus, want->last_wstatus);
        cr_assert_eq(got->last_duration_ms, want->last_duration_ms);
        cr_assert_eq(got->last_success_at, want->last_success_at);
        cr_assert_eq(got->runs, want->runs);
        cr_assert_eq(got->failures, want->failures);
        cr_assert_eq(got->running_pid, want->running_pid);
        cr_assert_eq(got->running_since, want->running_since);
}

Test(proto_job, a_job_comes_back_field_by_field) {
        const struct proto_job want = sample_job();
        _cleanup_buf_ struct proto_buf b = {};
        _cleanup_job_ struct proto_job got = {};
        struct proto_reader r;

        proto_begin(&b, PROTO_WHY_REPLY);
        proto_put_job(&b, &want);
        proto_put_str(&b, "after");
        cr_assert_eq(proto_finish(&b), 0);
        body_reader(&b, &r);
        cr_assert_eq(proto_get_job(&r, &got), 0);
        assert_job_eq(&got, &want);
        _cleanup_free_ char *after = proto_get_str(&r);
        cr_assert_str_eq(after, "after", "the job is read exactly, no more");
        cr_assert_eq(proto_reader_end(&r), 0);
}

Test(proto_job, a_job_that_never_ran_keeps_its_no_time_markers_and_null_strings_become_empty) {
        struct proto_job want = sample_job();
        _cleanup_buf_ struct proto_buf b = {};
        _cleanup_job_ struct proto_job got = {};
        struct proto_reader r;

        want.name = NULL;
        want.zone = NULL;
        want.user = NULL;
        want.next_at = want.last_at = want.last_success_at = want.running_since = PROTO_NO_TIME;
        want.last_wstatus = -1;
        want.last_duration_ms = -1;
        want.runs = want.failures = 0;
        want.running_pid = 0;
        proto_begin(&b, PROTO_STATUS_REPLY);
        proto_put_job(&b, &want);
        cr_assert_eq(proto_finish(&b), 0);
        body_reader(&b, &r);
        cr_assert_eq(proto_get_job(&r, &got), 0);
        assert_job_eq(&got, &want);
        cr_assert_eq(proto_reader_end(&r), 0);
}

Test(proto_job, a_cut_job_fails_at_every_length_and_leaves_nothing_behind) {
        const struct proto_job want = sample_job();
        _cleanup_buf_ struct proto_buf b = {};

        proto_begin(&b, PROTO_STATUS_REPLY);
        proto_put_job(&b, &want);
        cr_assert_eq(proto_finish(&b), 0);
        for (size_t n = 0; n < b.len - PROTO_HDR_SIZE; n++) {
                struct proto_job got = { .line = 77 };
                struct proto_reader r;

                proto_reader_init(&r, b.data + PROTO_HDR_SIZE, n);
                cr_assert_eq(proto_get_job(&r, &got), -EBADMSG, "cut at %zu", n);
                cr_assert_eq(got.line, 77, "*ret untouched on failure (cut at %zu)", n);
                cr_assert_null(got.table);
        }
}

Test(proto_job, a_nul_in_a_job_string_fails_the_job) {
        struct proto_job want = sample_job();
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_job got = {};
        struct proto_reader r;

        want.command = (char *) "rm -rf /tmp/x";
        proto_begin(&b, PROTO_STATUS_REPLY);
        proto_put_job(&b, &want);
        cr_assert_eq(proto_finish(&b), 0);
        /* overwrite the command's 'x' with a NUL on the wire */
        uint8_t *x = memmem(b.data, b.len, "/tmp/x", 6);
        cr_assert_not_null(x);
        x[5] = 0;
        body_reader(&b, &r);
        cr_assert_eq(proto_get_job(&r, &got), -EBADMSG);
        cr_assert_null(got.table);
}

Test(proto_job, job_done_frees_and_zeroes_and_can_run_twice) {
        const struct proto_job want = sample_job();
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_job got = {};
        struct proto_reader r;

        proto_begin(&b, PROTO_STATUS_REPLY);
        proto_put_job(&b, &want);
        cr_assert_eq(proto_finish(&b), 0);
        body_reader(&b, &r);
        cr_assert_eq(proto_get_job(&r, &got), 0);
        proto_job_done(&got);
        cr_assert_null(got.table);
        cr_assert_null(got.command);
        cr_assert_eq(got.line, 0);
        proto_job_done(&got);
}

/* ---- names ------------------------------------------------------------------------------------ */

Test(proto_names, every_type_has_its_name_and_others_are_unknown) {
        cr_assert_str_eq(proto_type_to_string(PROTO_HELLO), "HELLO");
        cr_assert_str_eq(proto_type_to_string(PROTO_INSTALL), "INSTALL");
        cr_assert_str_eq(proto_type_to_string(PROTO_METRICS), "METRICS");
        cr_assert_str_eq(proto_type_to_string(PROTO_OK), "OK");
        cr_assert_str_eq(proto_type_to_string(PROTO_DIAGS), "DIAGS");
        cr_assert_str_eq(proto_type_to_string(PROTO_STATUS_REPLY), "STATUS");
        cr_assert_str_eq(proto_type_to_string(PROTO_RUN_DONE), "RUN_DONE");
        const uint16_t unknown[] = { 0, 99, _PROTO_REQUEST_END, 199, PROTO_RUN_DONE + 1, 0xffff };
        for (size_t k = 0; k < ELEMENTSOF(unknown); k++)
                cr_assert_str_eq(proto_type_to_string(unknown[k]), "?", "type %u", unknown[k]);
        for (unsigned t = PROTO_HELLO; t < _PROTO_REQUEST_END; t++)
                cr_assert_str_neq(proto_type_to_string((uint16_t) t), "?", "request %u", t);
        for (unsigned t = PROTO_OK; t <= PROTO_RUN_DONE; t++)
                cr_assert_str_neq(proto_type_to_string((uint16_t) t), "?", "reply %u", t);
}

/* ---- message bodies: each put/get pair round trip, and the bytes the hand-packed bodies had --- */

/* Finishes b, checks its type, and points r at its body. */
static void finish_and_read(struct proto_buf *b, enum proto_type type, struct proto_reader *r) {
        struct proto_hdr h;

        cr_assert_eq(proto_finish(b), 0);
        cr_assert_eq(proto_hdr_unpack(b->data, &h), 0);
        cr_assert_eq(h.type, type);
        body_reader(b, r);
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
                { PROTO_METRICS, false, false, false, false },
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
        struct proto_job jobs[2] = { sample_job(), sample_job() };
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
        assert_job_eq(&got.job[0], &jobs[0]);
        assert_job_eq(&got.job[1], &jobs[1]);
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
        const struct proto_why w = { .job = sample_job(), .state = (char *) "loaded, 2 jobs", .note = (char *) "",
                                     .output = (char *) "line 1\nline 2\nnot sent", .output_len = 14 };
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_why got = {};
        struct proto_reader r;

        proto_put_why(&b, &w);
        finish_and_read(&b, PROTO_WHY_REPLY, &r);
        cr_assert_eq(proto_get_why(&r, &got), 0);
        assert_job_eq(&got.job, &w.job);
        cr_assert_str_eq(got.state, "loaded, 2 jobs");
        cr_assert_str_eq(got.note, "");
        cr_assert_str_eq(got.output, "line 1\nline 2\n");
        cr_assert_eq(got.output_len, 14);
        proto_why_done(&got);
        cr_assert_null(got.state);

        /* output with a NUL (a job printed one): sent as is, and tockctl cannot read it */
        proto_put_why(&b, &(struct proto_why) { .job = sample_job(), .output = (char *) "a\0b", .output_len = 3 });
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

static int get_run_done(struct proto_reader *r) {
        struct proto_run_done x;
        return proto_get_run_done(r, &x);
}

/* Every getter, given each proper prefix of a good body (and the body plus a byte), fails with
 * -EBADMSG; ASan's leak check then shows that nothing half-read is kept. */
Test(proto_bodies, every_body_cut_short_or_with_a_byte_more_is_malformed) {
        struct proto_job jobs[1] = { sample_job() };
        struct proto_next_run runs[1] = { { 1, (char *) "UTC", (char *) "t", 1, (char *) "u", (char *) "c" } };
        struct proto_diags g = { .text = (char *) "x" };
        struct proto_buf bodies[8] = {};
        int (*check[8])(struct proto_reader *) = {};
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
             &(struct proto_why) { .job = sample_job(), .state = (char *) "s", .output = (char *) "o", .output_len = 1 });
        BODY(proto_put_error, get_error_and_free, &(struct proto_error) { .err = -EPERM, .msg = (char *) "m" });
        BODY(proto_put_hello, get_hello_and_free, &(struct proto_hello) { .version = (char *) "v", .user = (char *) "u" });
        BODY(proto_put_request, get_why_request_and_free,
             PROTO_WHY, &(struct proto_request) { .user = (char *) "u", .job = (char *) "j" });
        BODY(proto_put_run_done, get_run_done, &(struct proto_run_done) { .wstatus = 1 });
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
