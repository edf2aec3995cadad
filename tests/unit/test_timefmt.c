/* tests/unit/test_timefmt.c: timefmt_iso(), timefmt_parse_wall(), timefmt_wall_to_utc().
 *
 * Instants are written as UTC wall times read by timefmt_parse_wall(), which is itself pinned to
 * well-known epoch values below. Offsets were checked with zdump(8). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "timefmt.h"
#include "util.h"

Test(timefmt_parse_wall, reads_well_known_instants) {
        static const struct {
                const char *wall;
                int64_t want;
        } cases[] = {
                { "1970-01-01 00:00", 0 },
                { "1970-01-01T00:00:01", 1 },
                { "1969-12-31 23:59:59", -1 },
                { "2000-01-01T00:00", 946684800 },
                { "2038-01-19T03:14:07", 2147483647 },   /* the last second of 32-bit time_t */
                { "2038-01-19 03:14:07", 2147483647 },   /* a space may stand for 'T' */
                { "0001-01-01 00:00", -62135596800LL },  /* the first second of year 1 */
                { "9999-12-31 23:59:59", 253402300799LL }, /* the last second of year 9999 */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int64_t w = 0;
                cr_assert_eq(timefmt_parse_wall(cases[i].wall, &w), 0, "%s", cases[i].wall);
                cr_assert_eq(w, cases[i].want, "%s: got %lld", cases[i].wall, (long long) w);
        }
}

Test(timefmt_parse_wall, knows_leap_years) {
        /* 2024 and 2000 are leap years: Feb 29 is the day before Mar 1 */
        cr_assert_eq(test_utc("2024-02-29 00:00"), test_utc("2024-03-01 00:00") - 86400);
        cr_assert_eq(test_utc("2000-02-29 12:00"), test_utc("2000-03-01 12:00") - 86400);
        cr_assert_eq(test_utc("2400-02-29 00:00"), test_utc("2400-03-01 00:00") - 86400);
}

Test(timefmt_parse_wall, refuses_anything_else) {
        static const char *const bad[] = {
                "",
                "2026-02-29 00:00",           /* 2026 is not a leap year */
                "2100-02-29 00:00",           /* nor is 2100 */
                "2026-04-31 00:00",
                "2026-13-01 00:00",
                "2026-00-10 00:00",
                "2026-01-00 00:00",
                "0000-01-01 00:00",           /* there is no year 0 */
                "2026-01-01 24:00",
                "2026-01-01 23:60",
                "2026-01-01 23:59:60",        /* no leap seconds */
                "2026-1-01 00:00",
                "2026-01-01",
                "2026-01-01T00",
                "2026-01-01T00:00:5",
                "2026-01-01_00:00",
                "2026-01-01  00:00",
                " 2026-01-01 00:00",
                "2026-01-01 00:00 ",
                "2026-01-01T00:00Z",          /* a wall time has no zone */
                "2026-01-01T00:00:00+01:00",
                "20260101T0000",
                "12026-01-01 00:00",
                "2026-01-01 00:00:00.5",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int64_t w = 4242;
                cr_assert_eq(timefmt_parse_wall(bad[i], &w), -EINVAL, "'%s' was accepted", bad[i]);
                cr_assert_eq(w, 4242, "'%s': output written on failure", bad[i]);
        }
}

Test(timefmt_iso, writes_the_offset_in_force) {
        static const struct {
                const char *zone, *utc, *want;
        } cases[] = {
                { "UTC", "2026-01-01 00:00", "2026-01-01T00:00:00+00:00" },
                { "America/New_York", "2026-03-08 06:59:59", "2026-03-08T01:59:59-05:00" },
                { "America/New_York", "2026-03-08 07:00", "2026-03-08T03:00:00-04:00" },
                { "Asia/Kolkata", "2026-01-01 00:00", "2026-01-01T05:30:00+05:30" },
                { "Asia/Kathmandu", "2026-01-01 00:00", "2026-01-01T05:45:00+05:45" },
                { "Australia/Lord_Howe", "2026-06-01 00:00", "2026-06-01T10:30:00+10:30" },
                { "Australia/Lord_Howe", "2026-01-01 00:00", "2026-01-01T11:00:00+11:00" },
                { "Etc/GMT+12", "2026-01-01 00:00", "2025-12-31T12:00:00-12:00" },
                { "Pacific/Apia", "2011-12-30 10:00", "2011-12-31T00:00:00+14:00" },
                { "Pacific/Apia", "2011-12-30 09:59:59", "2011-12-29T23:59:59-10:00" },
                /* local mean time, before standard time: offsets with seconds */
                { "America/New_York", "1800-01-01 00:00", "1799-12-31T19:03:58-04:56:02" },
                { "Asia/Kolkata", "1800-01-01 00:00", "1800-01-01T05:53:28+05:53:28" },
                { "UTC", "0999-06-01 00:00", "0999-06-01T00:00:00+00:00" },
                { "UTC", "9999-12-31 23:59:59", "9999-12-31T23:59:59+00:00" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[TIMEFMT_ISO_MAX];
                timefmt_iso(test_zone(cases[i].zone), test_utc(cases[i].utc), buf);
                cr_assert_str_eq(buf, cases[i].want, "%s at %sZ", cases[i].zone, cases[i].utc);
        }
}

struct w2u_case {
        const char *zone, *wall, *want_utc;
        bool skipped;
};

static void check_wall_to_utc(const struct w2u_case *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const struct w2u_case *c = &cases[i];
                int64_t at = 0;
                bool skipped = !c->skipped;

                cr_assert_eq(timefmt_wall_to_utc(test_zone(c->zone), test_utc(c->wall), &at, &skipped), 0, "%s %s",
                             c->zone, c->wall);
                cr_assert_eq(at, test_utc(c->want_utc), "%s %s: got %s", c->zone, c->wall,
                             test_iso(test_zone("UTC"), at));
                cr_assert_eq(skipped, c->skipped, "%s %s: skipped is %d", c->zone, c->wall, skipped);
        }
}
#define CHECK_W2U(...)                                                  \
        do {                                                            \
                static const struct w2u_case cases_[] = { __VA_ARGS__ }; \
                check_wall_to_utc(cases_, ELEMENTSOF(cases_));          \
        } while (0)

Test(timefmt_wall_to_utc, converts_ordinary_wall_times) {
        CHECK_W2U({ "UTC", "2026-07-04 12:00", "2026-07-04 12:00", false },
                  { "America/New_York", "2026-07-04 12:00", "2026-07-04 16:00", false },
                  { "America/New_York", "2026-01-15 08:00", "2026-01-15 13:00", false },
                  { "Asia/Kolkata", "2026-01-01 05:29:59", "2025-12-31 23:59:59", false },
                  { "Etc/GMT-14", "2026-01-01 00:00", "2025-12-31 10:00", false },
                  /* the edges of a change */
                  { "America/New_York", "2026-03-08 01:59:59", "2026-03-08 06:59:59", false },
                  { "America/New_York", "2026-03-08 03:00", "2026-03-08 07:00", false },
                  { "America/New_York", "2026-11-01 00:59:59", "2026-11-01 04:59:59", false },
                  { "America/New_York", "2026-11-01 02:00", "2026-11-01 07:00", false });
}

Test(timefmt_wall_to_utc, gives_the_first_occurrence_of_a_repeated_wall_time) {
        CHECK_W2U({ "America/New_York", "2026-11-01 01:30", "2026-11-01 05:30", false },
                  { "America/New_York", "2026-11-01 01:00", "2026-11-01 05:00", false },
                  { "America/New_York", "2026-11-01 01:59:59", "2026-11-01 05:59:59", false },
                  { "Europe/Berlin", "2026-10-25 02:30", "2026-10-25 00:30", false },
                  { "Australia/Lord_Howe", "2026-04-05 01:45", "2026-04-04 14:45", false },
                  /* 2018-02-17 23:xx came twice: 00:00 -02 went back to 23:00 -03 */
                  { "America/Sao_Paulo", "2018-02-17 23:30", "2018-02-18 01:30", false });
}

Test(timefmt_wall_to_utc, gives_the_change_instant_for_a_skipped_wall_time) {
        CHECK_W2U({ "America/New_York", "2026-03-08 02:30", "2026-03-08 07:00", true },
                  { "America/New_York", "2026-03-08 02:00", "2026-03-08 07:00", true },
                  { "America/New_York", "2026-03-08 02:59:59", "2026-03-08 07:00", true },
                  { "Australia/Lord_Howe", "2025-10-05 02:15", "2025-10-04 15:30", true },
                  /* midnight itself was skipped: 00:00 -03 became 01:00 -02 */
                  { "America/Sao_Paulo", "2018-11-04 00:30", "2018-11-04 03:00", true },
                  /* the whole day of 2011-12-30 */
                  { "Pacific/Apia", "2011-12-30 12:00", "2011-12-30 10:00", true });
}

Test(timefmt_wall_to_utc, refuses_instants_outside_the_calendar) {
        const struct tz *utc = test_zone("UTC");
        int64_t at = 4242;
        bool skipped = true;

        cr_assert_eq(timefmt_wall_to_utc(utc, INT64_MAX, &at, &skipped), -ERANGE);
        cr_assert_eq(timefmt_wall_to_utc(utc, test_utc("0001-01-01 00:00") - 366 * 86400, &at, &skipped), -ERANGE);
        cr_assert_eq(at, 4242);
        cr_assert(skipped);
        cr_assert_eq(timefmt_wall_to_utc(utc, test_utc("0002-01-01 00:00"), &at, &skipped), 0);
        cr_assert_eq(timefmt_wall_to_utc(utc, test_utc("9998-12-31 00:00"), &at, &skipped), 0);
        cr_assert_eq(at, test_utc("9998-12-31 00:00"));
}

Test(timefmt_wall_to_utc, refuses_int64_min_without_overflow) {
        int64_t at = 0;
        bool skipped;

        cr_assert_eq(timefmt_wall_to_utc(test_zone("UTC"), INT64_MIN, &at, &skipped), -ERANGE);
}
