/* tests/unit/helpers.h: small helpers shared by the unit tests of the scheduler and the wire format.
 *
 * Each one asserts (Criterion) instead of returning an error, so a table row with a typo fails
 * loudly and names itself. Expected instants are written as wall times in a zone, so a reviewer
 * can check them against a calendar. */
#pragma once

#include <stdint.h>

#include "proto.h"
#include "sched.h"
#include "tz.h"

/* Zone `name` from the tz database, or "posix:SPEC" built from a POSIX TZ string. Kept for the
 * life of the test process; do not free. */
const struct tz *test_zone(const char *name);

/* "YYYY-MM-DD HH:MM[:SS]" read as UTC (timefmt_parse_wall). */
int64_t test_utc(const char *wall);

/* The instant at which `zone` shows "YYYY-MM-DD HH:MM[:SS]": the first occurrence of a repeated
 * wall time; a skipped one fails the test. A trailing " +HH:MM" or " -HH:MM" names the offset
 * instead (to pick the second occurrence of a repeated time), and the zone must have that
 * offset at that instant. */
int64_t test_at(const struct tz *zone, const char *wall);

/* The schedule of a crontab expression ("30 2 * * *", "@daily", "[sec:*\/10] * * * * *"). */
struct sched test_sched(const char *expr);

/* `at` as ISO 8601 in `zone`, for messages; a ring of 8 static buffers. */
const char *test_iso(const struct tz *zone, int64_t at);

/* ---- wire format ---- */

void test_proto_buf_donep(struct proto_buf *b);
#define _cleanup_buf_ _cleanup_(test_proto_buf_donep)
/* The body of a finished message, for a reader. */
void test_body_reader(const struct proto_buf *b, struct proto_reader *r);
/* A job with every field set (strings borrowed from static storage). */
struct proto_job test_proto_job(void);
/* Field by field; NULL strings in `want` are expected back as "". */
void test_assert_job_eq(const struct proto_job *got, const struct proto_job *want);
