/* tests/unit/test_tz.c: time zones (common/tz.c) and loading them from disk (common/tzdb.c).
 *
 * Known transitions of real zones, POSIX strings, hostile TZif data, zone names, and a cross-check
 * of ~55 zones and a few POSIX strings against glibc's localtime_r() (allowed here, never in
 * common/) over pseudo-random instants from 1900 to 2200. Deterministic: fixed PRNG seeds. */

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tz.h"
#include "tzdb.h"
#include "util.h"

#define HOUR 3600
#define AT_1900 INT64_C(-2208988800) /* 1900-01-01 00:00:00 UTC */
#define AT_2200 INT64_C(7258118400)  /* 2200-01-01 00:00:00 UTC */

/* ---- helpers ---- */

/* "YYYY-MM-DD hh:mm:ss" read as UTC. */
static int64_t at_utc(const char *s) {
        struct civil c = {};
        long long y;

        cr_assert_eq(sscanf(s, "%lld-%d-%d %d:%d:%d", &y, &c.mon, &c.mday, &c.hour, &c.min, &c.sec), 6,
                     "bad date %s", s);
        c.year = y;
        return civil_to_secs(&c);
}

/* The wall clock as "YYYY-MM-DD hh:mm:ss", in a static buffer (one use per expression). */
static const char *wall(const struct tz *z, int64_t at) {
        static char buf[64];
        struct civil c;

        tz_local(z, at, &c);
        snprintf(buf, sizeof(buf), "%04lld-%02d-%02d %02d:%02d:%02d", (long long) c.year, c.mon, c.mday, c.hour,
                 c.min, c.sec);
        return buf;
}

static struct tz *load(const char *name) {
        struct tz *z = NULL;
        int r = tzdb_load(NULL, name, &z);

        cr_assert_eq(r, 0, "tzdb_load(%s) = %d", name, r);
        cr_assert_str_eq(tz_name(z), name);
        return z;
}

static struct tz *posix(const char *spec) {
        struct tz *z = NULL;
        int r = tz_from_posix(NULL, spec, &z);

        cr_assert_eq(r, 0, "tz_from_posix(%s) = %d", spec, r);
        return z;
}

static void *read_file(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "rbe");
        char *buf;
        long n;

        cr_assert_not_null(f, "%s", path);
        cr_assert_eq(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        cr_assert_gt(n, 0);
        rewind(f);
        buf = malloc((size_t) n);
        cr_assert_not_null(buf);
        cr_assert_eq(fread(buf, 1, (size_t) n, f), (size_t) n);
        fclose(f);
        *ret_len = (size_t) n;
        return buf;
}

/* Asserts the next offset change after `after` is at `at_s`, from `before` to `after_off`. */
static void expect_change(const struct tz *z, int64_t after, const char *at_s, int32_t before, int32_t after_off) {
        int64_t at;
        int32_t b, a;

        cr_assert(tz_next_change(z, after, &at, &b, &a), "%s: no change after %lld", tz_name(z), (long long) after);
        cr_expect_eq(at, at_utc(at_s), "%s: change at %lld, expected %s (%lld)", tz_name(z), (long long) at, at_s,
                     (long long) at_utc(at_s));
        cr_expect_eq(b, before, "%s: before %d, expected %d", tz_name(z), b, before);
        cr_expect_eq(a, after_off, "%s: after %d, expected %d", tz_name(z), a, after_off);
        cr_expect_eq(tz_offset(z, at - 1), b);
        cr_expect_eq(tz_offset(z, at), a);
}

static void expect_no_change(const struct tz *z, int64_t after) {
        int64_t at = 12345;
        int32_t b = 1, a = 2;

        cr_expect_not(tz_next_change(z, after, &at, &b, &a), "%s: unexpected change at %lld", tz_name(z),
                      (long long) at);
        cr_expect(at == 12345 && b == 1 && a == 2, "outputs written on false");
}

/* splitmix64, for reproducible pseudo-random instants */
static uint64_t rnd_next(uint64_t *state) {
        uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

static int64_t rnd_between(uint64_t *state, int64_t lo, int64_t hi) {
        return lo + (int64_t) (rnd_next(state) % (uint64_t) (hi - lo));
}

/* Every reported change is real, strictly increasing, and agrees with tz_offset() on both
 * sides and halfway to the previous one. */
static void check_consistent(const struct tz *z) {
        int64_t at = INT64_MIN;
        int32_t off = tz_offset(z, at);

        for (int i = 0; i < 400; i++) {
                int64_t next;
                int32_t b, a;
                if (!tz_next_change(z, at, &next, &b, &a))
                        break;
                cr_assert_gt(next, at);
                cr_assert_eq(b, off, "before %d, expected %d at %lld", b, off, (long long) next);
                cr_assert_neq(b, a);
                cr_assert_eq(tz_offset(z, next - 1), b);
                cr_assert_eq(tz_offset(z, next), a);
                if (at > INT64_MIN)
                        cr_assert_eq(tz_offset(z, at + (next - at) / 2), b, "between %lld and %lld", (long long) at,
                                     (long long) next);
                at = next;
                off = a;
        }
}

/* ---- real zones: known transitions ---- */

Test(tz, new_york_spring_forward_2026_is_at_0700_utc) {
        _cleanup_(tz_freep) struct tz *z = load("America/New_York");

        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-03-08 07:00:00", -5 * HOUR, -4 * HOUR);
        cr_expect_str_eq(wall(z, at_utc("2026-03-08 06:59:59")), "2026-03-08 01:59:59");
        cr_expect_str_eq(wall(z, at_utc("2026-03-08 07:00:00")), "2026-03-08 03:00:00");
}

Test(tz, new_york_fall_back_2026_is_at_0600_utc_and_repeats_0100) {
        _cleanup_(tz_freep) struct tz *z = load("America/New_York");

        expect_change(z, at_utc("2026-03-08 07:00:00"), "2026-11-01 06:00:00", -4 * HOUR, -5 * HOUR);
        cr_expect_str_eq(wall(z, at_utc("2026-11-01 05:59:59")), "2026-11-01 01:59:59");
        cr_expect_str_eq(wall(z, at_utc("2026-11-01 06:00:00")), "2026-11-01 01:00:00");
}

Test(tz, next_change_is_strictly_after_the_given_instant) {
        _cleanup_(tz_freep) struct tz *z = load("America/New_York");

        expect_change(z, at_utc("2026-03-08 06:59:59"), "2026-03-08 07:00:00", -5 * HOUR, -4 * HOUR);
        expect_change(z, at_utc("2026-03-08 07:00:00"), "2026-11-01 06:00:00", -4 * HOUR, -5 * HOUR);
}

Test(tz, berlin_changes_at_0100_utc_on_the_last_sundays_of_march_and_october) {
        _cleanup_(tz_freep) struct tz *z = load("Europe/Berlin");

        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-03-29 01:00:00", HOUR, 2 * HOUR);
        expect_change(z, at_utc("2026-06-01 00:00:00"), "2026-10-25 01:00:00", 2 * HOUR, HOUR);
        cr_expect_str_eq(wall(z, at_utc("2026-07-01 12:00:00")), "2026-07-01 14:00:00");
}

Test(tz, lord_howe_shifts_by_thirty_minutes) {
        _cleanup_(tz_freep) struct tz *z = load("Australia/Lord_Howe");

        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-04-04 15:00:00", 39600, 37800);
        expect_change(z, at_utc("2026-04-04 15:00:00"), "2026-10-03 15:30:00", 37800, 39600);
        cr_expect_str_eq(wall(z, at_utc("2026-10-03 15:30:00")), "2026-10-04 02:30:00");
        cr_expect_str_eq(wall(z, at_utc("2026-04-04 15:00:00")), "2026-04-05 01:30:00");
}

Test(tz, kolkata_never_changes_after_1945) {
        _cleanup_(tz_freep) struct tz *z = load("Asia/Kolkata");

        expect_change(z, at_utc("1945-01-01 00:00:00"), "1945-10-14 17:30:00", 23400, 19800);
        expect_no_change(z, at_utc("1945-10-14 17:30:00"));
        expect_no_change(z, at_utc("2026-01-01 00:00:00"));
        cr_expect_eq(tz_offset(z, at_utc("2150-06-01 00:00:00")), 19800);
        cr_expect_str_eq(wall(z, at_utc("2026-05-01 20:00:00")), "2026-05-02 01:30:00");
}

Test(tz, utc_is_zero_everywhere_and_never_changes) {
        _cleanup_(tz_freep) struct tz *z = load("UTC");

        for (int64_t at = -(INT64_C(1) << 40); at < (INT64_C(1) << 40); at += INT64_C(1) << 35)
                cr_expect_eq(tz_offset(z, at), 0);
        expect_no_change(z, INT64_MIN);
        expect_no_change(z, 0);
        cr_expect_str_eq(wall(z, 0), "1970-01-01 00:00:00");
}

Test(tz, apia_skips_december_30_2011) {
        _cleanup_(tz_freep) struct tz *z = load("Pacific/Apia");

        expect_change(z, at_utc("2011-10-01 00:00:00"), "2011-12-30 10:00:00", -10 * HOUR, 14 * HOUR);
        cr_expect_str_eq(wall(z, at_utc("2011-12-30 09:59:59")), "2011-12-29 23:59:59");
        cr_expect_str_eq(wall(z, at_utc("2011-12-30 10:00:00")), "2011-12-31 00:00:00");
}

Test(tz, sao_paulo_has_no_change_after_dst_was_abolished_in_2019) {
        _cleanup_(tz_freep) struct tz *z = load("America/Sao_Paulo");

        expect_change(z, at_utc("2018-06-01 00:00:00"), "2018-11-04 03:00:00", -3 * HOUR, -2 * HOUR);
        expect_change(z, at_utc("2018-11-04 03:00:00"), "2019-02-17 02:00:00", -2 * HOUR, -3 * HOUR);
        expect_no_change(z, at_utc("2019-02-17 02:00:00"));
        cr_expect_eq(tz_offset(z, at_utc("2150-01-01 00:00:00")), -3 * HOUR);
}

Test(tz, new_york_2100_and_2400_follow_the_footer_rule) {
        _cleanup_(tz_freep) struct tz *z = load("America/New_York");

        expect_change(z, at_utc("2100-01-01 00:00:00"), "2100-03-14 07:00:00", -5 * HOUR, -4 * HOUR);
        expect_change(z, at_utc("2100-03-14 07:00:00"), "2100-11-07 06:00:00", -4 * HOUR, -5 * HOUR);
        expect_change(z, at_utc("2400-01-01 00:00:00"), "2400-03-12 07:00:00", -5 * HOUR, -4 * HOUR);
        expect_change(z, at_utc("2400-06-01 00:00:00"), "2400-11-05 06:00:00", -4 * HOUR, -5 * HOUR);
        cr_expect_str_eq(wall(z, at_utc("2400-11-05 05:59:59")), "2400-11-05 01:59:59");
        cr_expect_str_eq(wall(z, at_utc("2400-11-05 06:00:00")), "2400-11-05 01:00:00");
}

Test(tz, berlin_and_lord_howe_2400_follow_the_footer_rule) {
        _cleanup_(tz_freep) struct tz *berlin = load("Europe/Berlin");
        _cleanup_(tz_freep) struct tz *lhi = load("Australia/Lord_Howe");

        expect_change(berlin, at_utc("2400-01-01 00:00:00"), "2400-03-26 01:00:00", HOUR, 2 * HOUR);
        expect_change(berlin, at_utc("2400-03-26 01:00:00"), "2400-10-29 01:00:00", 2 * HOUR, HOUR);
        expect_change(lhi, at_utc("2400-01-01 00:00:00"), "2400-04-01 15:00:00", 39600, 37800);
        expect_change(lhi, at_utc("2400-04-01 15:00:00"), "2400-09-30 15:30:00", 37800, 39600);
}

Test(tz, next_change_crosses_from_the_table_to_the_footer) {
        _cleanup_(tz_freep) struct tz *z = load("America/New_York");

        /* Debian's files are "fat": the table ends with 2037; 2038 on comes from the footer. */
        expect_change(z, at_utc("2037-06-01 00:00:00"), "2037-11-01 06:00:00", -4 * HOUR, -5 * HOUR);
        expect_change(z, at_utc("2037-11-01 06:00:00"), "2038-03-14 07:00:00", -5 * HOUR, -4 * HOUR);
        expect_change(z, at_utc("2037-11-01 05:59:59"), "2037-11-01 06:00:00", -4 * HOUR, -5 * HOUR);
}

Test(tz, new_york_1960_dst_is_found_at_negative_instants) {
        _cleanup_(tz_freep) struct tz *z = load("America/New_York");

        expect_change(z, at_utc("1960-01-01 00:00:00"), "1960-04-24 07:00:00", -5 * HOUR, -4 * HOUR);
        expect_change(z, at_utc("1960-04-24 07:00:00"), "1960-10-30 06:00:00", -4 * HOUR, -5 * HOUR);
        cr_expect_str_eq(wall(z, at_utc("1960-07-04 16:00:00")), "1960-07-04 12:00:00");
}

Test(tz, new_york_before_1883_is_local_mean_time) {
        _cleanup_(tz_freep) struct tz *z = load("America/New_York");

        cr_expect_eq(tz_offset(z, at_utc("1850-01-01 00:00:00")), -17762);
        cr_expect_eq(tz_offset(z, INT64_MIN), -17762);
        expect_change(z, INT64_MIN, "1883-11-18 17:00:00", -17762, -5 * HOUR);
        cr_expect_str_eq(wall(z, at_utc("1883-11-18 16:59:59")), "1883-11-18 12:03:57");
}

Test(tz, next_change_skips_changes_of_abbreviation_alone) {
        _cleanup_(tz_freep) struct tz *z = load("America/New_York");

        /* 1945-08-14 23:00 UTC: EWT became EPT, both UTC-4. */
        expect_change(z, at_utc("1945-08-01 00:00:00"), "1945-09-30 06:00:00", -4 * HOUR, -5 * HOUR);
}

Test(tz, dublin_negative_dst_winter_is_the_dst_period) {
        _cleanup_(tz_freep) struct tz *z = load("Europe/Dublin");

        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-03-29 01:00:00", 0, HOUR);
        expect_change(z, at_utc("2026-03-29 01:00:00"), "2026-10-25 01:00:00", HOUR, 0);
        expect_change(z, at_utc("2150-06-01 00:00:00"), "2150-10-25 01:00:00", HOUR, 0);
}

Test(tz, extreme_instants_do_not_overflow) {
        static const char *const zones[] = { "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC" };

        for (size_t i = 0; i < ELEMENTSOF(zones); i++) {
                _cleanup_(tz_freep) struct tz *z = load(zones[i]);
                static const int64_t ats[] = { INT64_MIN, INT64_MIN + 1, -(INT64_C(1) << 56), (INT64_C(1) << 56),
                                               INT64_MAX - 1, INT64_MAX };
                for (size_t j = 0; j < ELEMENTSOF(ats); j++) {
                        struct civil c;
                        int64_t at;
                        int32_t b, a;
                        int32_t off = tz_local(z, ats[j], &c);
                        cr_expect(off > -26 * HOUR && off < 26 * HOUR);
                        cr_expect(c.mon >= 1 && c.mon <= 12 && c.hour >= 0 && c.hour < 24);
                        if (tz_next_change(z, ats[j], &at, &b, &a))
                                cr_expect(at > ats[j] && b != a);
                }
                expect_no_change(z, INT64_MAX);
        }
}

Test(tz, changes_near_the_arithmetic_bound_stay_consistent) {
        _cleanup_(tz_freep) struct tz *z = load("America/New_York");
        int64_t at = (INT64_C(1) << 56) - 3 * 366 * 86400, next;
        int32_t b, a;
        int n = 0;

        /* Past 2^56 s the rule arithmetic stops: no change is reported, the offset stays. */
        while (tz_next_change(z, at, &next, &b, &a)) {
                cr_assert_eq(tz_offset(z, next - 1), b);
                cr_assert_eq(tz_offset(z, next), a);
                cr_assert_leq(next, INT64_C(1) << 56);
                at = next;
                n++;
        }
        cr_expect_geq(n, 4);
        cr_expect_eq(tz_offset(z, INT64_MAX), tz_offset(z, at));
}

Test(tz, local_wall_clock_fields_and_weekday) {
        _cleanup_(tz_freep) struct tz *z = load("Asia/Tokyo");
        struct civil c;

        cr_expect_eq(tz_local(z, at_utc("2026-12-31 15:00:00"), &c), 9 * HOUR);
        cr_expect(c.year == 2027 && c.mon == 1 && c.mday == 1 && c.hour == 0 && c.min == 0 && c.sec == 0);
        cr_expect_eq(c.wday, 5); /* a Friday */
        cr_expect_eq(tz_local(z, at_utc("1969-12-31 14:59:59"), &c), 9 * HOUR);
        cr_expect(c.year == 1969 && c.mon == 12 && c.mday == 31 && c.hour == 23 && c.min == 59 && c.sec == 59);
}

/* ---- POSIX TZ strings ---- */

Test(tz_posix, utc0_is_fixed_at_zero) {
        _cleanup_(tz_freep) struct tz *z = posix("UTC0");

        cr_expect_eq(tz_offset(z, 0), 0);
        cr_expect_eq(tz_offset(z, at_utc("2400-07-01 00:00:00")), 0);
        expect_no_change(z, INT64_MIN);
        cr_expect_str_eq(tz_name(z), "UTC0");
}

Test(tz_posix, quoted_names_and_minutes_and_the_inverted_sign) {
        _cleanup_(tz_freep) struct tz *ist = posix("<+0530>-5:30");
        _cleanup_(tz_freep) struct tz *est = posix("EST5");
        _cleanup_(tz_freep) struct tz *nst = posix("<-0330>+3:30:15");
        _cleanup_(tz_freep) struct tz *named = NULL;

        cr_expect_eq(tz_offset(ist, 0), 19800);
        cr_expect_eq(tz_offset(est, 0), -5 * HOUR);
        cr_expect_eq(tz_offset(nst, 0), -(3 * HOUR + 30 * 60 + 15));
        expect_no_change(ist, 0);
        cr_assert_eq(tz_from_posix("India", "<+0530>-5:30", &named), 0);
        cr_expect_str_eq(tz_name(named), "India");
}

Test(tz_posix, est5edt_rule_matches_new_york) {
        _cleanup_(tz_freep) struct tz *z = posix("EST5EDT,M3.2.0,M11.1.0");

        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-03-08 07:00:00", -5 * HOUR, -4 * HOUR);
        expect_change(z, at_utc("2026-03-08 07:00:00"), "2026-11-01 06:00:00", -4 * HOUR, -5 * HOUR);
        expect_change(z, at_utc("1960-01-01 00:00:00"), "1960-03-13 07:00:00", -5 * HOUR, -4 * HOUR);
}

Test(tz_posix, dst_without_rule_uses_march_second_sunday_to_november_first_sunday) {
        _cleanup_(tz_freep) struct tz *z = posix("EST5EDT");

        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-03-08 07:00:00", -5 * HOUR, -4 * HOUR);
        expect_change(z, at_utc("2026-03-08 07:00:00"), "2026-11-01 06:00:00", -4 * HOUR, -5 * HOUR);
}

Test(tz_posix, dst_offset_defaults_to_one_hour_ahead_and_can_be_given) {
        _cleanup_(tz_freep) struct tz *def = posix("CET-1CEST,M3.5.0,M10.5.0/3");
        _cleanup_(tz_freep) struct tz *troll = posix("<+00>0<+02>-2,M3.5.0/1,M10.5.0/3");

        cr_expect_eq(tz_offset(def, at_utc("2026-07-01 00:00:00")), 2 * HOUR);
        cr_expect_eq(tz_offset(troll, at_utc("2026-07-01 00:00:00")), 2 * HOUR);
        expect_change(troll, at_utc("2026-01-01 00:00:00"), "2026-03-29 01:00:00", 0, 2 * HOUR);
        expect_change(troll, at_utc("2026-03-29 01:00:00"), "2026-10-25 01:00:00", 2 * HOUR, 0);
}

Test(tz_posix, lord_howe_rule_with_a_thirty_minute_shift) {
        _cleanup_(tz_freep) struct tz *z = posix("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");

        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-04-04 15:00:00", 39600, 37800);
        expect_change(z, at_utc("2026-04-04 15:00:00"), "2026-10-03 15:30:00", 37800, 39600);
        cr_expect_eq(tz_offset(z, at_utc("2026-12-31 23:00:00")), 39600);
}

Test(tz_posix, southern_hemisphere_dst_spans_new_year) {
        _cleanup_(tz_freep) struct tz *z = posix("AEST-10AEDT,M10.1.0,M4.1.0/3");

        cr_expect_eq(tz_offset(z, at_utc("2025-12-31 23:59:59")), 11 * HOUR);
        cr_expect_eq(tz_offset(z, at_utc("2026-01-01 00:00:00")), 11 * HOUR);
        cr_expect_eq(tz_offset(z, at_utc("2026-07-01 00:00:00")), 10 * HOUR);
        cr_expect_str_eq(wall(z, at_utc("2025-12-31 13:00:00")), "2026-01-01 00:00:00");
        expect_change(z, at_utc("2025-12-31 00:00:00"), "2026-04-04 16:00:00", 11 * HOUR, 10 * HOUR);
        expect_change(z, at_utc("2026-04-04 16:00:00"), "2026-10-03 16:00:00", 10 * HOUR, 11 * HOUR);
        expect_change(z, at_utc("2026-10-03 16:00:00"), "2027-04-03 16:00:00", 11 * HOUR, 10 * HOUR);
}

Test(tz_posix, negative_rule_times_from_rfc8536) {
        _cleanup_(tz_freep) struct tz *z = posix("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1");

        /* Sunday March 29 2026 at -2:00 is Saturday 22:00 at UTC-3; Sunday October 25 at -1:00 is
         * Saturday 23:00 at UTC-2: both 01:00 UTC on the Sunday. */
        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-03-29 01:00:00", -3 * HOUR, -2 * HOUR);
        expect_change(z, at_utc("2026-03-29 01:00:00"), "2026-10-25 01:00:00", -2 * HOUR, -3 * HOUR);
}

Test(tz_posix, rule_times_beyond_24_hours) {
        _cleanup_(tz_freep) struct tz *z = posix("EET-2EEST,M3.4.4/50,M10.4.4/50");

        /* Thursday March 26 2026 + 50 h = Saturday 02:00 EET; Thursday October 22 + 50 h = Saturday 02:00 EEST. */
        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-03-28 00:00:00", 2 * HOUR, 3 * HOUR);
        expect_change(z, at_utc("2026-03-28 00:00:00"), "2026-10-23 23:00:00", 3 * HOUR, 2 * HOUR);
}

Test(tz_posix, julian_rules_skip_or_count_february_29) {
        _cleanup_(tz_freep) struct tz *j = posix("AAA0BBB-1,J60/0,J300/0");
        _cleanup_(tz_freep) struct tz *n = posix("AAA0BBB-1,59/0,300/0");

        /* J60 is March 1 every year; zero-based 59 is February 29 in a leap year. */
        expect_change(j, at_utc("2024-01-01 00:00:00"), "2024-03-01 00:00:00", 0, HOUR);
        expect_change(j, at_utc("2023-01-01 00:00:00"), "2023-03-01 00:00:00", 0, HOUR);
        expect_change(n, at_utc("2024-01-01 00:00:00"), "2024-02-29 00:00:00", 0, HOUR);
        expect_change(n, at_utc("2023-01-01 00:00:00"), "2023-03-01 00:00:00", 0, HOUR);
        /* J300 is October 27 every year; zero-based 300 is October 28 in a common year, 27 in a
         * leap year. Midnight at UTC+1 is 23:00 UTC the day before. */
        expect_change(j, at_utc("2023-06-01 00:00:00"), "2023-10-26 23:00:00", HOUR, 0);
        expect_change(j, at_utc("2024-06-01 00:00:00"), "2024-10-26 23:00:00", HOUR, 0);
        expect_change(n, at_utc("2023-06-01 00:00:00"), "2023-10-27 23:00:00", HOUR, 0);
        expect_change(n, at_utc("2024-06-01 00:00:00"), "2024-10-26 23:00:00", HOUR, 0);
}

Test(tz_posix, fifth_week_means_the_last_one) {
        _cleanup_(tz_freep) struct tz *z = posix("AAA0BBB-1,M2.5.0/0,M5.5.6/0");

        /* Last Sunday of February 2026 is the 22nd (4th); of February 2032, the 29th (5th). */
        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-02-22 00:00:00", 0, HOUR);
        expect_change(z, at_utc("2032-01-01 00:00:00"), "2032-02-29 00:00:00", 0, HOUR);
        /* Last Saturday of May 2026 is the 30th. */
        expect_change(z, at_utc("2026-03-01 00:00:00"), "2026-05-29 23:00:00", HOUR, 0);
}

Test(tz_posix, rfc8536_all_year_dst_rule_never_changes) {
        _cleanup_(tz_freep) struct tz *z = posix("EST5EDT4,0/0,J365/25");

        /* RFC 8536 3.3.1: starts January 1 00:00, ends December 31 at 24:00 plus the DST shift. */
        for (int64_t at = at_utc("2025-12-30 00:00:00"); at < at_utc("2026-01-03 00:00:00"); at += 600)
                cr_assert_eq(tz_offset(z, at), -4 * HOUR, "at %lld", (long long) at);
        cr_expect_eq(tz_offset(z, at_utc("2026-07-01 00:00:00")), -4 * HOUR);
        expect_no_change(z, at_utc("2026-01-01 00:00:00"));
}

Test(tz_posix, rules_with_changes_straying_out_of_their_year_stay_consistent) {
        static const char *const specs[] = {
                "AAA0BBB-1,J365/100,J365/160", /* both changes in the next year */
                "AAA0BBB-1,J1/-100,J2/-160",   /* both in the previous year */
                "AAA0BBB-1,M3.2.0,M3.2.1",     /* second Sunday, second Monday: order changes by year */
                "AAA3BBB,J365/-167,0/167",     /* DST around new year, from either side */
                "EST5EDT4,0/0,J365/26",        /* DST periods overlapping by an hour */
                "EST5EDT4,0/0,J365/25",
        };

        for (size_t i = 0; i < ELEMENTSOF(specs); i++) {
                _cleanup_(tz_freep) struct tz *z = posix(specs[i]);
                check_consistent(z);
        }
}

Test(tz_posix, random_rules_are_consistent_between_offset_and_next_change) {
        uint64_t seed = 8536;

        for (int i = 0; i < 1500; i++) {
                char spec[128], date[2][32];
                for (int k = 0; k < 2; k++) {
                        int kind = (int) (rnd_next(&seed) % 3), h = (int) (rnd_next(&seed) % 335) - 167;
                        int v = (int) (rnd_next(&seed) % 365);
                        if (kind == 0)
                                snprintf(date[k], sizeof(date[k]), "J%d/%d", v + 1, h);
                        else if (kind == 1)
                                snprintf(date[k], sizeof(date[k]), "%d/%d", v, h);
                        else
                                snprintf(date[k], sizeof(date[k]), "M%d.%d.%d/%d", (int) (rnd_next(&seed) % 12) + 1,
                                         (int) (rnd_next(&seed) % 5) + 1, (int) (rnd_next(&seed) % 7), h);
                }
                snprintf(spec, sizeof(spec), "AAA%dBBB%d,%s,%s", (int) (rnd_next(&seed) % 49) - 24,
                         (int) (rnd_next(&seed) % 49) - 24, date[0], date[1]);
                _cleanup_(tz_freep) struct tz *z = NULL;
                cr_assert_eq(tz_from_posix(NULL, spec, &z), 0, "%s", spec);
                check_consistent(z);
        }
}

Test(tz_posix, rule_with_equal_offsets_never_changes) {
        _cleanup_(tz_freep) struct tz *z = posix("AAA3BBB3,M3.2.0,M11.1.0");

        cr_expect_eq(tz_offset(z, at_utc("2026-07-01 00:00:00")), -3 * HOUR);
        expect_no_change(z, 0);
}

Test(tz_posix, malformed_strings_are_einval) {
        static const char *const bad[] = {
                "", "EST", "ES5", "5", "EST+", "EST5x", "EST5EDT,", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,",
                "EST25", "EST-25", "EST5:60", "EST5:00:60", "EST123", "<AB>5", "<ABC5", "<AB C>5", "<>5",
                "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M0.1.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
                "EST5EDT,M3.0.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0", "EST5EDT,M3.2,M11.1.0", "EST5EDT,J0,J365",
                "EST5EDT,J366,J1", "EST5EDT,366,1", "EST5EDT,M3.2.0/168,M11.1.0", "EST5EDT,M3.2.0/-168,M11.1.0",
                "EST5EDT,M3.2.0/2:,M11.1.0", "EST5EDT,M3.2.0,M11.1.0,", "EST5EDT,M3.2.0,M11.1.0x", "EST5EDT25",
                "EST 5", " EST5", "EST5\n", "ÉST5", "EST5EDT;M3.2.0,M11.1.0", "EST0000005",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct tz *z = NULL;
                cr_expect_eq(tz_from_posix(NULL, bad[i], &z), -EINVAL, "\"%s\" accepted", bad[i]);
                cr_expect_null(z);
        }
        struct tz *z = NULL;
        cr_expect_eq(tz_from_posix(NULL, NULL, &z), -EINVAL);
}

Test(tz_posix, edge_values_are_accepted) {
        static const char *const good[] = {
                "EST5EDT,M3.2.0/167,M11.1.0/-167", "EST24", "EST-24", "EST+5", "<UTC+5>-5", "<-00>0",
                "EST5EDT,J1,J365", "EST5EDT,0,365", "EST05:00:00EDT04:00:00,M3.2.0/02:00:00,M11.1.0/02:00:00",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_(tz_freep) struct tz *z = NULL;
                cr_expect_eq(tz_from_posix(NULL, good[i], &z), 0, "\"%s\" refused", good[i]);
                if (z)
                        (void) tz_offset(z, at_utc("2026-07-01 00:00:00"));
        }
}

/* ---- TZif data ---- */

struct tzif_spec {
        char version;           /* 0, '2', '3', '4' */
        size_t n_times;
        const int64_t *times;
        const uint8_t *idx;
        size_t n_types;
        const int32_t *utoffs;
        size_t n_leaps;
        const char *footer;     /* without the newlines; NULL for none (v2+ gets an empty one) */
};

static uint8_t *put32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24), p[1] = (uint8_t) (v >> 16), p[2] = (uint8_t) (v >> 8), p[3] = (uint8_t) v;
        return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v) {
        return put32(put32(p, (uint32_t) (v >> 32)), (uint32_t) v);
}

static uint8_t *put_header(uint8_t *p, char version, uint32_t timecnt, uint32_t typecnt, uint32_t leapcnt) {
        memcpy(p, "TZif", 4);
        p[4] = (uint8_t) version;
        memset(p + 5, 0, 15);
        p += 20;
        p = put32(p, 0);       /* isutcnt */
        p = put32(p, 0);       /* isstdcnt */
        p = put32(p, leapcnt); /* leapcnt */
        p = put32(p, timecnt);
        p = put32(p, typecnt);
        return put32(p, 4); /* charcnt: "ABC\0" */
}

static uint8_t *put_block(uint8_t *p, const struct tzif_spec *s, unsigned time_size) {
        for (size_t i = 0; i < s->n_times; i++)
                p = time_size == 8 ? put64(p, (uint64_t) s->times[i]) : put32(p, (uint32_t) s->times[i]);
        for (size_t i = 0; i < s->n_times; i++)
                *p++ = s->idx[i];
        for (size_t i = 0; i < s->n_types; i++) {
                p = put32(p, (uint32_t) s->utoffs[i]);
                *p++ = 0; /* isdst */
                *p++ = 0; /* desigidx */
        }
        memcpy(p, "ABC", 4);
        p += 4;
        for (size_t i = 0; i < s->n_leaps; i++) {
                p = time_size == 8 ? put64(p, 78796800 + i * 15768000) : put32(p, 78796800 + i * 15768000);
                p = put32(p, (uint32_t) (i + 1));
        }
        return p;
}

/* build_tzif() puts the v2 header after a 44-byte v1 header and a 10-byte v1 block. */
#define V2_HEADER (44 + 6 + 4)

/* Writes a TZif file for `s` into `buf` (4 KiB) and returns its length. */
static size_t build_tzif(const struct tzif_spec *s, uint8_t *buf) {
        uint8_t *p = buf;
        static const int32_t zero[] = { 0 };
        static const struct tzif_spec empty_v1 = { .n_types = 1, .utoffs = zero };

        if (s->version == 0) {
                p = put_header(p, 0, (uint32_t) s->n_times, (uint32_t) s->n_types, (uint32_t) s->n_leaps);
                return (size_t) (put_block(p, s, 4) - buf);
        }
        p = put_header(p, s->version, 0, 1, 0);
        p = put_block(p, &empty_v1, 4);
        p = put_header(p, s->version, (uint32_t) s->n_times, (uint32_t) s->n_types, (uint32_t) s->n_leaps);
        p = put_block(p, s, 8);
        p += sprintf((char *) p, "\n%s\n", s->footer ?: "");
        return (size_t) (p - buf);
}

static int parse_copy(const void *buf, size_t len, struct tz **ret) {
        /* An exact-size heap copy, so that ASan and valgrind see any read past the end. */
        _cleanup_free_ void *copy = malloc(len ?: 1);

        cr_assert_not_null(copy);
        memcpy(copy, buf, len);
        return tz_from_tzif("test", copy, len, ret);
}

/* Size of a file's header and version 1 block, from its first header. */
static size_t v1_size(const uint8_t *buf) {
        uint32_t c[6]; /* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */

        for (int i = 0; i < 6; i++) {
                const uint8_t *p = buf + 20 + 4 * i;
                c[i] = (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
        }
        return 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
}

Test(tz_tzif, truncated_files_are_einval_and_never_crash) {
        static const char *const zones[] = { "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Gaza" };

        for (size_t i = 0; i < ELEMENTSOF(zones); i++) {
                char path[256];
                size_t len;
                snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zones[i]);
                _cleanup_free_ void *buf = read_file(path, &len);
                for (size_t n = 0; n < len; n++) {
                        struct tz *z = NULL;
                        int r = parse_copy(buf, n, &z);
                        cr_assert(r == -EINVAL || r == 0, "%s cut at %zu: %d", zones[i], n, r);
                        if (r == 0) {
                                check_consistent(z);
                                tz_free(z);
                        }
                }
                struct tz *z = NULL;
                cr_assert_eq(parse_copy(buf, len, &z), 0);
                check_consistent(z);
                tz_free(z);
        }
}

Test(tz_tzif, flipped_bytes_never_crash_and_what_parses_stays_consistent) {
        size_t len;
        _cleanup_free_ uint8_t *buf = read_file("/usr/share/zoneinfo/Europe/Berlin", &len);
        static const uint8_t masks[] = { 0x01, 0x10, 0x80, 0xff };

        for (size_t i = 0; i < len; i++)
                for (size_t m = 0; m < ELEMENTSOF(masks); m++) {
                        struct tz *z = NULL;
                        struct civil c;
                        int64_t at;
                        int32_t b, a;
                        buf[i] ^= masks[m];
                        int r = parse_copy(buf, len, &z);
                        buf[i] ^= masks[m];
                        cr_assert(r == -EINVAL || r == 0, "byte %zu ^ %#x: %d", i, masks[m], r);
                        if (r < 0)
                                continue;
                        for (int64_t t = -(INT64_C(1) << 36); t < (INT64_C(1) << 36); t += INT64_C(1) << 31) {
                                (void) tz_local(z, t, &c);
                                (void) tz_next_change(z, t, &at, &b, &a);
                        }
                        check_consistent(z);
                        tz_free(z);
                }
}

Test(tz_tzif, version_1_data_matches_version_2_data) {
        size_t len;
        _cleanup_free_ uint8_t *buf = read_file("/usr/share/zoneinfo/America/New_York", &len);
        _cleanup_(tz_freep) struct tz *v1 = NULL, *v2 = NULL;
        size_t v1_len;

        v1_len = v1_size(buf);
        cr_assert_lt(v1_len, len);
        cr_assert_eq(parse_copy(buf, len, &v2), 0);
        buf[4] = 0;
        cr_assert_eq(parse_copy(buf, v1_len, &v1), 0);

        uint64_t seed = 1;
        for (int i = 0; i < 20000; i++) {
                int64_t at = rnd_between(&seed, INT32_MIN, INT32_MAX);
                cr_assert_eq(tz_offset(v1, at), tz_offset(v2, at), "at %lld", (long long) at);
        }
        /* no footer in version 1: the last type (EST) stays */
        cr_expect_eq(tz_offset(v1, at_utc("2100-07-01 00:00:00")), -5 * HOUR);
        expect_no_change(v1, at_utc("2038-01-01 00:00:00"));
        /* version 1 allows nothing after the data */
        struct tz *z = NULL;
        cr_expect_eq(parse_copy(buf, v1_len + 1, &z), -EINVAL);
}

Test(tz_tzif, versions_3_and_4_are_accepted_and_others_refused) {
        size_t len, v1_len;
        _cleanup_free_ uint8_t *buf = read_file("/usr/share/zoneinfo/Europe/Berlin", &len);

        v1_len = v1_size(buf);

        static const struct { uint8_t version; int r; } cases[] = {
                { '3', 0 }, { '4', 0 }, { '2', 0 }, { '1', -EINVAL }, { '5', -EINVAL }, { 'x', -EINVAL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct tz *z = NULL;
                buf[4] = buf[v1_len + 4] = cases[i].version;
                cr_expect_eq(parse_copy(buf, len, &z), cases[i].r, "version %c", cases[i].version);
                z = tz_free(z);
        }
        /* the two headers must agree */
        struct tz *z = NULL;
        buf[4] = '2';
        buf[v1_len + 4] = '3';
        cr_expect_eq(parse_copy(buf, len, &z), -EINVAL);
}

Test(tz_tzif, synthetic_file_with_leap_seconds_skips_them) {
        uint8_t buf[4096];
        static const int64_t times[] = { 1000000000, 1100000000 };
        static const uint8_t idx[] = { 1, 0 };
        static const int32_t utoffs[] = { 3600, 7200 };
        _cleanup_(tz_freep) struct tz *z = NULL;

        for (char v = 0; v <= '4'; v = v == 0 ? '2' : v + 1) {
                struct tzif_spec s = { .version = v, .n_times = 2, .times = times, .idx = idx, .n_types = 2,
                                       .utoffs = utoffs, .n_leaps = 3 };
                size_t len = build_tzif(&s, buf);
                z = tz_free(z);
                cr_assert_eq(parse_copy(buf, len, &z), 0, "version %d", v);
                cr_expect_eq(tz_offset(z, 999999999), 3600);
                cr_expect_eq(tz_offset(z, 1000000000), 7200);
                cr_expect_eq(tz_offset(z, 1100000000), 3600);
                expect_change(z, 0, "2001-09-09 01:46:40", 3600, 7200);
                expect_no_change(z, 1100000000);
        }
}

Test(tz_tzif, footer_only_file_applies_the_footer_everywhere) {
        uint8_t buf[4096];
        static const int32_t utoffs[] = { -5 * HOUR };
        struct tzif_spec s = { .version = '2', .n_types = 1, .utoffs = utoffs, .footer = "EST5EDT,M3.2.0,M11.1.0" };
        _cleanup_(tz_freep) struct tz *z = NULL;

        cr_assert_eq(parse_copy(buf, build_tzif(&s, buf), &z), 0);
        expect_change(z, at_utc("1960-01-01 00:00:00"), "1960-03-13 07:00:00", -5 * HOUR, -4 * HOUR);
        expect_change(z, at_utc("2026-01-01 00:00:00"), "2026-03-08 07:00:00", -5 * HOUR, -4 * HOUR);
}

Test(tz_tzif, footer_takes_over_at_the_last_transition) {
        uint8_t buf[4096];
        static const int64_t times[] = { 0, 100000 }; /* 1970-01-02 03:46:40 */
        static const uint8_t idx[] = { 1, 0 };
        static const int32_t utoffs[] = { -5 * HOUR, -4 * HOUR };
        struct tzif_spec s = { .version = '2', .n_times = 2, .times = times, .idx = idx, .n_types = 2,
                               .utoffs = utoffs, .footer = "EST5EDT,M3.2.0,M11.1.0" };
        _cleanup_(tz_freep) struct tz *z = NULL;

        cr_assert_eq(parse_copy(buf, build_tzif(&s, buf), &z), 0);
        cr_expect_eq(tz_offset(z, -1), -5 * HOUR);
        cr_expect_eq(tz_offset(z, 0), -4 * HOUR);
        cr_expect_eq(tz_offset(z, 99999), -4 * HOUR);
        cr_expect_eq(tz_offset(z, 100000), -5 * HOUR);
        expect_change(z, 0, "1970-01-02 03:46:40", -4 * HOUR, -5 * HOUR);
        expect_change(z, 100000, "1970-03-08 07:00:00", -5 * HOUR, -4 * HOUR); /* the rule, not 1970's law */
        check_consistent(z);
}

Test(tz_tzif, footer_disagreeing_with_the_last_type_wins_and_stays_consistent) {
        uint8_t buf[4096];
        static const int64_t times[] = { 15000000 }; /* June 1970: DST by the footer */
        static const uint8_t idx[] = { 0 };
        static const int32_t utoffs[] = { -5 * HOUR };
        struct tzif_spec s = { .version = '2', .n_times = 1, .times = times, .idx = idx, .n_types = 1,
                               .utoffs = utoffs, .footer = "EST5EDT,M3.2.0,M11.1.0" };
        _cleanup_(tz_freep) struct tz *z = NULL;

        cr_assert_eq(parse_copy(buf, build_tzif(&s, buf), &z), 0);
        cr_expect_eq(tz_offset(z, 15000000), -4 * HOUR);
        expect_change(z, 0, "1970-06-23 14:40:00", -5 * HOUR, -4 * HOUR);
        check_consistent(z);
}

Test(tz_tzif, malformed_synthetic_files_are_einval) {
        uint8_t buf[4096];
        static const int64_t sorted[] = { 10, 20 }, unsorted[] = { 20, 10 }, dup[] = { 10, 10 };
        static const uint8_t idx_ok[] = { 0, 1 }, idx_bad[] = { 0, 2 };
        static const int32_t ok[] = { 0, 3600 }, too_east[] = { 0, 93600 }, too_west[] = { 0, -90000 },
                             int_min[] = { 0, INT32_MIN };
        const struct {
                const char *what;
                struct tzif_spec s;
        } cases[] = {
                { "unsorted times", { '2', 2, unsorted, idx_ok, 2, ok, 0, "" } },
                { "repeated time", { '2', 2, dup, idx_ok, 2, ok, 0, "" } },
                { "type index out of range", { '2', 2, sorted, idx_bad, 2, ok, 0, "" } },
                { "utoff too far east", { '2', 2, sorted, idx_ok, 2, too_east, 0, "" } },
                { "utoff too far west", { '2', 2, sorted, idx_ok, 2, too_west, 0, "" } },
                { "utoff -2^31", { '2', 2, sorted, idx_ok, 2, int_min, 0, "" } },
                { "no types", { '2', 0, sorted, idx_ok, 0, ok, 0, "" } },
                { "bad footer", { '2', 2, sorted, idx_ok, 2, ok, 0, "EST5EDT," } },
                { "footer with a newline", { '2', 2, sorted, idx_ok, 2, ok, 0, "UTC0\nUTC0" } },
                { "v1 unsorted", { 0, 2, unsorted, idx_ok, 2, ok, 0, NULL } },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct tz *z = NULL;
                size_t len = build_tzif(&cases[i].s, buf);
                cr_expect_eq(parse_copy(buf, len, &z), -EINVAL, "%s accepted", cases[i].what);
                cr_expect_null(z);
        }

        /* a valid base to break by hand */
        struct tzif_spec s = { '2', 2, sorted, idx_ok, 2, ok, 0, "UTC0" };
        size_t len = build_tzif(&s, buf);
        struct tz *z = NULL;
        cr_assert_eq(parse_copy(buf, len, &z), 0);
        z = tz_free(z);

        cr_expect_eq(parse_copy(buf, len + 1, &z), -EINVAL, "trailing byte"); /* buf[len] is leftover */
        buf[len - 1] = 'x';
        cr_expect_eq(parse_copy(buf, len, &z), -EINVAL, "footer without its final newline");
        buf[len - 1] = '\n';
        buf[len - 3] = '\0';
        cr_expect_eq(parse_copy(buf, len, &z), -EINVAL, "NUL in footer");
        len = build_tzif(&s, buf);
        buf[0] = 'X';
        cr_expect_eq(parse_copy(buf, len, &z), -EINVAL, "bad magic");
        len = build_tzif(&s, buf);
        buf[V2_HEADER + 32] = 0xff; /* timecnt of the v2 header: huge */
        cr_expect_eq(parse_copy(buf, len, &z), -EINVAL, "huge timecnt");
        len = build_tzif(&s, buf);
        buf[V2_HEADER + 28] = 0xff; /* leapcnt of the v2 header: huge */
        cr_expect_eq(parse_copy(buf, len, &z), -EINVAL, "huge leapcnt");
        memset(buf, 0xff, sizeof(buf));
        memcpy(buf, "TZif2", 5);
        cr_expect_eq(parse_copy(buf, sizeof(buf), &z), -EINVAL, "all counts 2^32-1");
        cr_expect_eq(tz_from_tzif("x", NULL, 0, &z), -EINVAL);
        cr_expect_null(z);
}

/* ---- loading zones from disk ---- */

Test(tzdb, bad_names_are_einval) {
        static const char *const bad[] = {
                "", "/abs", "/etc/passwd", "../etc/passwd", "Europe/../../etc/passwd", "Europe/..", "..", ".",
                "./UTC", "Europe//Berlin", "Europe/Berlin/", "Europe/Ber lin", "Europe/Berlin;rm", "Europe\\Berlin",
                "Europe/Berlín",
        };
        char long_name[TZDB_NAME_MAX + 2];

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct tz *z = NULL;
                cr_expect_eq(tzdb_load(NULL, bad[i], &z), -EINVAL, "\"%s\" accepted", bad[i]);
                cr_expect_not(tzdb_name_is_valid(bad[i]));
                cr_expect_null(z);
        }
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        cr_expect_not(tzdb_name_is_valid(long_name));
        cr_expect_not(tzdb_name_is_valid(NULL));
        cr_expect(tzdb_name_is_valid("Etc/GMT+5"));
        cr_expect(tzdb_name_is_valid("America/Port-au-Prince"));
        cr_expect(tzdb_name_is_valid("America/Argentina/Buenos_Aires"));
}

Test(tzdb, unknown_zone_is_enoent) {
        struct tz *z = NULL;

        cr_expect_eq(tzdb_load(NULL, "Nowhere/Atlantis", &z), -ENOENT);
        cr_expect_eq(tzdb_load("/nonexistent-dir", "UTC", &z), -ENOENT);
        cr_expect_null(z);
}

Test(tzdb, files_that_are_not_tzif_are_refused) {
        char dir[] = "/tmp/test-tz-XXXXXX", path[64];
        struct tz *z = NULL;
        FILE *f;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/Notzif", dir);
        f = fopen(path, "we");
        cr_assert_not_null(f);
        fputs("# not a zone\n", f);
        fclose(f);

        cr_expect_eq(tzdb_load(NULL, "America", &z), -EINVAL);
        cr_expect_eq(tzdb_load(NULL, "zone1970.tab", &z), -EINVAL);
        cr_expect_eq(tzdb_load(dir, "Notzif", &z), -EINVAL);
        cr_expect_eq(tzdb_load("/dev", "null", &z), -EINVAL);
        unlink(path);

        snprintf(path, sizeof(path), "%s/Fifo", dir);
        cr_assert_eq(mkfifo(path, 0600), 0);
        cr_expect_eq(tzdb_load(dir, "Fifo", &z), -EINVAL); /* and does not wait for a writer */
        unlink(path);

        snprintf(path, sizeof(path), "%s/Huge", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        cr_assert_geq(fd, 0);
        cr_assert_eq(ftruncate(fd, TZDB_MAX_BYTES + 1), 0);
        close(fd);
        cr_expect_eq(tzdb_load(dir, "Huge", &z), -EFBIG);
        unlink(path);

        cr_expect_null(z);
        rmdir(dir);
}

Test(tzdb, links_load_under_their_own_name) {
        _cleanup_(tz_freep) struct tz *z = NULL;

        cr_assert_eq(tzdb_load("/usr/share/zoneinfo", "US/Eastern", &z), 0);
        cr_expect_str_eq(tz_name(z), "US/Eastern");
        cr_expect_eq(tz_offset(z, at_utc("2026-07-01 00:00:00")), -4 * HOUR);
}

/* tzdb_load_local() in a scratch directory holding a "localtime" of the kind given. */
struct local_case {
        const char *tz_env;
        const char *localtime_link; /* symlink target, or "copy:ZONE", or NULL for none */
        int r;
        const char *name;
        int32_t july_offset;
};

static void run_local_case(const struct local_case *c) {
        char dir[] = "/tmp/test-tz-XXXXXX", lt[64];
        _cleanup_(tz_freep) struct tz *z = NULL;
        int r;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(lt, sizeof(lt), "%s/localtime", dir);
        if (c->localtime_link && strncmp(c->localtime_link, "copy:", 5) == 0) {
                char src[256];
                size_t len;
                snprintf(src, sizeof(src), "/usr/share/zoneinfo/%s", c->localtime_link + 5);
                _cleanup_free_ void *buf = read_file(src, &len);
                FILE *f = fopen(lt, "we");
                cr_assert_not_null(f);
                cr_assert_eq(fwrite(buf, 1, len, f), len);
                fclose(f);
        } else if (c->localtime_link)
                cr_assert_eq(symlink(c->localtime_link, lt), 0);

        r = tzdb_load_local(c->tz_env, NULL, lt, &z);
        unlink(lt);
        rmdir(dir);
        cr_assert_eq(r, c->r, "TZ=%s: %d, expected %d", c->tz_env ?: "(unset)", r, c->r);
        if (r < 0)
                return;
        cr_expect_str_eq(tz_name(z), c->name, "TZ=%s", c->tz_env ?: "(unset)");
        cr_expect_eq(tz_offset(z, at_utc("2026-07-01 00:00:00")), c->july_offset, "TZ=%s", c->tz_env ?: "(unset)");
}

Test(tzdb, local_zone_follows_glibc_rules) {
        static const struct local_case cases[] = {
                { NULL, "/usr/share/zoneinfo/Europe/Berlin", 0, "Europe/Berlin", 2 * HOUR },
                { NULL, "../../usr/share/zoneinfo/Asia/Tokyo", 0, "Asia/Tokyo", 9 * HOUR },
                { NULL, "copy:America/New_York", 0, "localtime", -4 * HOUR },
                { NULL, NULL, 0, "UTC", 0 },
                { NULL, "/nonexistent/zoneinfo/Europe/Berlin", 0, "UTC", 0 }, /* dangling */
                { "", "/usr/share/zoneinfo/Europe/Berlin", 0, "UTC", 0 },
                { ":", "/usr/share/zoneinfo/Europe/Berlin", 0, "UTC", 0 },
                { ":Europe/London", NULL, 0, "Europe/London", HOUR },
                { ":/usr/share/zoneinfo/Asia/Kolkata", NULL, 0, "Asia/Kolkata", 19800 },
                { ":/usr/share/zoneinfo/../zoneinfo/Asia/Kolkata", NULL, 0, "Asia/Kolkata", 19800 },
                { ":Nowhere/Atlantis", NULL, -ENOENT, NULL, 0 },
                { ":../etc/passwd", NULL, -EINVAL, NULL, 0 },
                { "Australia/Lord_Howe", NULL, 0, "Australia/Lord_Howe", 37800 },
                { "/usr/share/zoneinfo/Europe/Dublin", NULL, 0, "Europe/Dublin", HOUR },
                { "EST5EDT,M3.2.0,M11.1.0", NULL, 0, "EST5EDT,M3.2.0,M11.1.0", -4 * HOUR },
                { "<+0530>-5:30", NULL, 0, "<+0530>-5:30", 19800 },
                { "JST-9", NULL, 0, "JST-9", 9 * HOUR },
                { "Nowhere/Atlantis", NULL, -ENOENT, NULL, 0 },
                { "not a zone!", NULL, -EINVAL, NULL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                run_local_case(&cases[i]);
}

/* ---- cross-check against glibc ---- */

static const char *const cross_zones[] = {
        "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "Pacific/Apia",
        "America/Sao_Paulo", "Europe/London", "Asia/Tehran", "America/St_Johns", "Antarctica/Troll",
        "Africa/Casablanca", "Europe/Dublin", "Asia/Gaza", "Asia/Hebron", "America/Los_Angeles", "America/Chicago",
        "America/Denver", "America/Phoenix", "America/Anchorage", "Pacific/Honolulu", "America/Havana",
        "America/Santiago", "America/Asuncion", "America/Nuuk", "America/Scoresbysund", "America/Mexico_City",
        "America/Caracas", "America/Metlakatla", "Europe/Moscow", "Europe/Kyiv", "Europe/Lisbon", "Europe/Paris",
        "Europe/Istanbul", "Europe/Chisinau", "Europe/Volgograd", "Africa/Cairo", "Africa/Johannesburg",
        "Africa/Juba", "Asia/Jerusalem", "Asia/Beirut", "Asia/Tokyo", "Asia/Shanghai", "Asia/Kathmandu",
        "Asia/Dhaka", "Asia/Pyongyang", "Asia/Almaty", "Australia/Sydney", "Australia/Adelaide", "Australia/Perth",
        "Australia/Eucla", "Pacific/Auckland", "Pacific/Chatham", "Pacific/Norfolk", "Pacific/Kiritimati",
        "Pacific/Fiji", "Etc/GMT+12", "America/Argentina/San_Luis",
};

static void use_glibc_zone(const char *tz) {
        cr_assert_eq(setenv("TZ", tz, 1), 0);
        tzset();
}

static int32_t glibc_offset(int64_t at, struct tm *ret) {
        time_t t = (time_t) at;

        cr_assert_not_null(localtime_r(&t, ret), "localtime_r(%lld)", (long long) at);
        return (int32_t) ret->tm_gmtoff;
}

static void compare_local(const struct tz *z, int64_t at) {
        struct civil c;
        struct tm tm;
        int32_t off = tz_local(z, at, &c), want = glibc_offset(at, &tm);

        cr_assert(off == want && c.year == tm.tm_year + 1900 && c.mon == tm.tm_mon + 1 && c.mday == tm.tm_mday &&
                          c.hour == tm.tm_hour && c.min == tm.tm_min && c.sec == tm.tm_sec && c.wday == tm.tm_wday,
                  "%s at %lld: %lld-%02d-%02d %02d:%02d:%02d w%d %+d, glibc %d-%02d-%02d %02d:%02d:%02d w%d %+d",
                  tz_name(z), (long long) at, (long long) c.year, c.mon, c.mday, c.hour, c.min, c.sec, c.wday, off,
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_wday, want);
        cr_assert_eq(tz_offset(z, at), off);
}

/* Walks every change from `lo` to 2200 and checks it against glibc at both sides, plus a few
 * instants between consecutive changes; then scans one random year hour by hour and checks the
 * offset the walk predicts at each hour, so a change the walk skipped would show. */
static void compare_changes(const struct tz *z, int64_t lo, uint64_t *seed) {
        struct tm tm;
        int64_t at = lo, next;
        int32_t off = tz_offset(z, at), b, a;

        cr_assert_eq(off, glibc_offset(at, &tm), "%s at %lld", tz_name(z), (long long) lo);
        while (tz_next_change(z, at, &next, &b, &a) && next < AT_2200) {
                cr_assert_eq(b, off, "%s: change at %lld from %d, expected from %d", tz_name(z), (long long) next,
                             b, off);
                cr_assert_eq(glibc_offset(next - 1, &tm), b, "%s: before the change at %lld", tz_name(z),
                             (long long) next);
                cr_assert_eq(glibc_offset(next, &tm), a, "%s: after the change at %lld", tz_name(z), (long long) next);
                for (int i = 0; i < 3 && next - at > 2; i++) {
                        int64_t mid = rnd_between(seed, at + 1, next);
                        cr_assert_eq(glibc_offset(mid, &tm), off, "%s: change between %lld and %lld missed at %lld",
                                     tz_name(z), (long long) at, (long long) next, (long long) mid);
                }
                at = next;
                off = a;
        }
        cr_assert_eq(glibc_offset(AT_2200 - 1, &tm), off, "%s: offset at the end of 2199", tz_name(z));

        int64_t from = rnd_between(seed, lo, AT_2200 - 366 * 86400);
        at = from;
        off = tz_offset(z, at);
        cr_assert_eq(off, glibc_offset(at, &tm));
        for (int64_t t = from + HOUR; t < from + 366 * 86400; t += HOUR) {
                while (tz_next_change(z, at, &next, &b, &a) && next <= t) {
                        at = next;
                        off = a;
                }
                at = t;
                cr_assert_eq(off, glibc_offset(t, &tm), "%s: walk says %d at %lld, glibc %d", tz_name(z), off,
                             (long long) t, glibc_offset(t, &tm));
        }
}

Test(tz_glibc, zones_agree_with_localtime_from_1900_to_2200, .timeout = 120) {
        uint64_t seed = 20260308;

        for (size_t i = 0; i < ELEMENTSOF(cross_zones); i++) {
                _cleanup_(tz_freep) struct tz *z = load(cross_zones[i]);

                use_glibc_zone(cross_zones[i]);
                for (int k = 0; k < 3000; k++)
                        compare_local(z, rnd_between(&seed, AT_1900, AT_2200));
                /* and around every change, where mistakes hide */
                int64_t at = AT_1900, next;
                int32_t b, a;
                while (tz_next_change(z, at, &next, &b, &a) && next < AT_2200) {
                        compare_local(z, next - 1);
                        compare_local(z, next);
                        at = next;
                }
        }
}

Test(tz_glibc, next_change_agrees_with_a_scan_of_localtime, .timeout = 120) {
        uint64_t seed = 1883;

        for (size_t i = 0; i < ELEMENTSOF(cross_zones); i++) {
                _cleanup_(tz_freep) struct tz *z = load(cross_zones[i]);

                use_glibc_zone(cross_zones[i]);
                compare_changes(z, AT_1900, &seed);
        }
}

/* glibc computes POSIX rules for years before 1970 as if they were 1970 (compute_change() in
 * time/tzset.c starts every such year at the epoch), so strings are compared from 1970 on. */
Test(tz_glibc, posix_strings_agree_with_localtime, .timeout = 120) {
        static const char *const specs[] = {
                "UTC0", "<+0530>-5:30", "EST5EDT,M3.2.0,M11.1.0", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
                "AEST-10AEDT,M10.1.0,M4.1.0/3", "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "EET-2EEST,M3.4.4/50,M10.4.4/50",
                "IST-1GMT0,M10.5.0,M3.5.0/1", "NZST-12NZDT,M9.5.0,M4.1.0/3", "<-04>4<-03>,M9.1.6/24,M4.1.6/24",
                "CET-1CEST,M3.5.0,M10.5.0/3", "AAA0BBB-1,J60/0,J300/0", "AAA0BBB-1,59/0,300/0",
                "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", "NST3:30NDT,M3.2.0,M11.1.0",
        };
        uint64_t seed = 2400;

        for (size_t i = 0; i < ELEMENTSOF(specs); i++) {
                _cleanup_(tz_freep) struct tz *z = posix(specs[i]);

                use_glibc_zone(specs[i]);
                for (int k = 0; k < 3000; k++)
                        compare_local(z, rnd_between(&seed, 0, AT_2200));
                compare_changes(z, 0, &seed);
        }
}
