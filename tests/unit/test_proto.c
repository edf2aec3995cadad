/* tests/unit/test_proto.c: the wire format between tockd and tockctl (common/proto.c).
 *
 * Round trips of every field type and of a whole job, the exact bytes on the wire (little-endian,
 * strings as a u32 length and the bytes), the header checks (magic, version, size), and the
 * readers failing, and staying failed, on short bodies, a NUL inside a string and trailing bytes.
 * The message bodies' put/get pairs are in test_proto_bodies.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "proto.h"
#include "util.h"

static void proto_job_donep(struct proto_job *j) {
        proto_job_done(j);
}
#define _cleanup_job_ _cleanup_(proto_job_donep)

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

        test_body_reader(&b, &r);
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

        test_body_reader(&b, &r);
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

/* issue 10: a STATUS or NEXT reply over PROTO_MAX_BODY hung tockctl; it now goes in parts */
Test(proto_build, issue10_a_reply_over_the_limit_goes_in_parts_every_one_but_the_last_flagged_more) {
        _cleanup_buf_ struct proto_buf b = { .max_body = 3 * (size_t) PROTO_MAX_BODY };
        size_t n = 2 * (size_t) PROTO_MAX_BODY + 100, body_len = n + 4, at = 0, parts = 0;
        _cleanup_free_ char *s = malloc(n);
        _cleanup_free_ uint8_t *wire = NULL, *joined = malloc(body_len);
        size_t wire_len;

        cr_assert(s && joined);
        for (size_t i = 0; i < n; i++)
                s[i] = (char) ('a' + i % 26);
        proto_begin(&b, PROTO_NEXT_REPLY);
        proto_put_strn(&b, s, n);
        cr_assert_eq(proto_finish(&b), 0);
        wire_len = proto_wire_len(&b);
        cr_assert_eq(wire_len, b.len + 2 * PROTO_HDR_SIZE, "three parts: two more headers");
        wire = malloc(wire_len);
        cr_assert_not_null(wire);
        proto_wire(&b, wire);
        for (size_t off = 0; off < wire_len; parts++) {
                struct proto_hdr h;
                cr_assert_eq(proto_hdr_unpack(wire + off, &h), 0, "part %zu is a valid message", parts);
                cr_assert_eq(h.type, PROTO_NEXT_REPLY);
                off += PROTO_HDR_SIZE;
                cr_assert_eq(!!(h.flags & PROTO_FLAG_MORE), off + h.len < wire_len, "MORE on all but the last");
                memcpy(joined + at, wire + off, h.len);
                at += h.len;
                off += h.len;
        }
        cr_assert_eq(parts, 3);
        cr_assert_eq(at, body_len);
        cr_assert_arr_eq(joined, b.data + PROTO_HDR_SIZE, body_len, "the parts joined are the body");
}

Test(proto_build, a_body_within_the_limit_is_one_message_on_the_wire_and_carries_the_flags) {
        _cleanup_buf_ struct proto_buf b = { .max_body = PROTO_MAX_REPLY, .flags = PROTO_FLAG_PARTS };
        uint8_t wire[64];
        struct proto_hdr h;

        proto_begin(&b, PROTO_STATUS);
        proto_put_str(&b, "");
        cr_assert_eq(proto_finish(&b), 0);
        cr_assert_eq(proto_wire_len(&b), b.len);
        proto_wire(&b, wire);
        cr_assert_arr_eq(wire, b.data, b.len);
        cr_assert_eq(proto_hdr_unpack(wire, &h), 0);
        cr_assert_eq(h.flags, PROTO_FLAG_PARTS);
}

Test(proto_build, a_reply_in_parts_still_stops_at_its_max_body) {
        _cleanup_buf_ struct proto_buf b = { .max_body = (size_t) PROTO_MAX_BODY + 8 };
        _cleanup_free_ char *s = calloc(1, PROTO_MAX_BODY);

        cr_assert_not_null(s);
        proto_begin(&b, PROTO_STATUS_REPLY);
        proto_put_strn(&b, s, PROTO_MAX_BODY);
        cr_assert_eq(proto_finish(&b), 0, "4 + PROTO_MAX_BODY fits in PROTO_MAX_BODY + 8");
        proto_put_u32(&b, 0);
        proto_put_u32(&b, 0);
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
        test_body_reader(&b, &r);
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

Test(proto_job, a_job_comes_back_field_by_field) {
        const struct proto_job want = test_proto_job();
        _cleanup_buf_ struct proto_buf b = {};
        _cleanup_job_ struct proto_job got = {};
        struct proto_reader r;

        proto_begin(&b, PROTO_WHY_REPLY);
        proto_put_job(&b, &want);
        proto_put_str(&b, "after");
        cr_assert_eq(proto_finish(&b), 0);
        test_body_reader(&b, &r);
        cr_assert_eq(proto_get_job(&r, &got), 0);
        test_assert_job_eq(&got, &want);
        _cleanup_free_ char *after = proto_get_str(&r);
        cr_assert_str_eq(after, "after", "the job is read exactly, no more");
        cr_assert_eq(proto_reader_end(&r), 0);
}

Test(proto_job, a_job_that_never_ran_keeps_its_no_time_markers_and_null_strings_become_empty) {
        struct proto_job want = test_proto_job();
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
        test_body_reader(&b, &r);
        cr_assert_eq(proto_get_job(&r, &got), 0);
        test_assert_job_eq(&got, &want);
        cr_assert_eq(proto_reader_end(&r), 0);
}

Test(proto_job, a_cut_job_fails_at_every_length_and_leaves_nothing_behind) {
        const struct proto_job want = test_proto_job();
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
        struct proto_job want = test_proto_job();
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
        test_body_reader(&b, &r);
        cr_assert_eq(proto_get_job(&r, &got), -EBADMSG);
        cr_assert_null(got.table);
}

Test(proto_job, job_done_frees_and_zeroes_and_can_run_twice) {
        const struct proto_job want = test_proto_job();
        _cleanup_buf_ struct proto_buf b = {};
        struct proto_job got = {};
        struct proto_reader r;

        proto_begin(&b, PROTO_STATUS_REPLY);
        proto_put_job(&b, &want);
        cr_assert_eq(proto_finish(&b), 0);
        test_body_reader(&b, &r);
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
        cr_assert_str_eq(proto_type_to_string(PROTO_REFUSED), "REFUSED");
        cr_assert_str_eq(proto_type_to_string(PROTO_REFUSED_REPLY), "REFUSED");
        cr_assert_str_eq(proto_type_to_string(PROTO_FLEET), "FLEET");
        const uint16_t unknown[] = { 0, 99, _PROTO_REQUEST_END, 199, PROTO_REFUSED_REPLY + 1, 0xffff };
        for (size_t k = 0; k < ELEMENTSOF(unknown); k++)
                cr_assert_str_eq(proto_type_to_string(unknown[k]), "?", "type %u", unknown[k]);
        for (unsigned t = PROTO_HELLO; t < _PROTO_REQUEST_END; t++)
                cr_assert_str_neq(proto_type_to_string((uint16_t) t), "?", "request %u", t);
        for (unsigned t = PROTO_OK; t <= PROTO_REFUSED_REPLY; t++)
                cr_assert_str_neq(proto_type_to_string((uint16_t) t), "?", "reply %u", t);
}
