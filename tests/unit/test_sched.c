/* tests/unit/test_sched.c: sched_next(), sched_after_jump(), sched_matches(), sched_never().
 *
 * Every expected instant is a wall time in the row's zone ("2026-03-08 03:00"), with the offset
 * written out (" -04:00") where the wall time alone is ambiguous or the offset is the point.
 * Dates were checked against a calendar: 2026-01-01 is a Thursday; New York springs forward on
 * 2026-03-08 (02:00 EST -> 03:00 EDT) and falls back on 2026-11-01 (02:00 EDT -> 01:00 EST). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers.h"
#include "sched.h"
#include "util.h"

#define NY "America/New_York"
#define BERLIN "Europe/Berlin"
#define LORD_HOWE "Australia/Lord_Howe"
#define TROLL "Antarctica/Troll"
#define APIA "Pacific/Apia"
/* Made-up zones with large DST shifts, each springing forward on the last Sunday of March
 * (2026-03-29) at 02:00 and falling back on the last Sunday of October (2026-10-25) at 03:00. */
#define SHIFT_4H "posix:<-02>2<+02>-2,M3.5.0/2,M10.5.0/3"    /* 4 h: a correction */
#define SHIFT_3H "posix:<-01>1<+02>-2,M3.5.0/2,M10.5.0/3"    /* exactly 3 h: still a correction */
#define SHIFT_2H59 "posix:<-01>1<+0159>-1:59,M3.5.0/2,M10.5.0/3" /* 2 h 59 min: small */

struct next_case {
        const char *zone;
        const char *expr;
        const char *after;
        const char *want[6]; /* successive fire times, each the next one after the one before */
};

static void check_next(const struct next_case *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const struct next_case *c = &cases[i];
                const struct tz *zone = test_zone(c->zone);
                struct sched s = test_sched(c->expr);
                int64_t t = test_at(zone, c->after);

                for (size_t k = 0; k < ELEMENTSOF(c->want) && c->want[k]; k++) {
                        int64_t want = test_at(zone, c->want[k]), got = 0;
                        int r = sched_next(&s, t, zone, &got);

                        cr_assert_eq(r, 0, "'%s' in %s after %s: returned %s", c->expr, c->zone, test_iso(zone, t),
                                     strerror(-r));
                        cr_assert_eq(got, want, "'%s' in %s after %s: got %s, want %s", c->expr, c->zone,
                                     test_iso(zone, t), test_iso(zone, got), test_iso(zone, want));
                        t = got;
                }
        }
}
#define CHECK_NEXT(...)                                                 \
        do {                                                            \
                static const struct next_case cases_[] = { __VA_ARGS__ }; \
                check_next(cases_, ELEMENTSOF(cases_));                 \
        } while (0)

/* ---- the fields ------------------------------------------------------------------------- */

Test(sched_next, every_minute_fires_at_the_next_whole_minute) {
        CHECK_NEXT({ "UTC", "* * * * *", "2026-01-01 00:00", { "2026-01-01 00:01", "2026-01-01 00:02" } },
                   { "UTC", "* * * * *", "2026-01-01 00:00:30", { "2026-01-01 00:01" } },
                   { "UTC", "* * * * *", "2026-12-31 23:59", { "2027-01-01 00:00" } });
}

Test(sched_next, is_strictly_after_an_instant_that_matches) {
        CHECK_NEXT({ "UTC", "5 * * * *", "2026-01-01 00:05", { "2026-01-01 01:05" } },
                   { "UTC", "5 * * * *", "2026-01-01 00:04:59", { "2026-01-01 00:05" } },
                   { "UTC", "0 0 1 1 *", "2026-01-01 00:00", { "2027-01-01 00:00" } });
}

Test(sched_next, minute_field_takes_values_ranges_lists_and_steps) {
        CHECK_NEXT({ "UTC", "17 * * * *", "2026-05-05 10:17", { "2026-05-05 11:17" } },
                   { "UTC", "59 * * * *", "2026-05-05 23:59", { "2026-05-06 00:59" } },
                   { "UTC", "*/15 * * * *", "2026-05-05 10:07",
                     { "2026-05-05 10:15", "2026-05-05 10:30", "2026-05-05 10:45", "2026-05-05 11:00" } },
                   /* 7 does not divide 60: 56 is the last, then 0 of the next hour */
                   { "UTC", "*/7 * * * *", "2026-05-05 10:50", { "2026-05-05 10:56", "2026-05-05 11:00" } },
                   { "UTC", "10-30/10 * * * *", "2026-05-05 10:30", { "2026-05-05 11:10", "2026-05-05 11:20" } },
                   { "UTC", "1,2,58 * * * *", "2026-05-05 10:02", { "2026-05-05 10:58", "2026-05-05 11:01" } },
                   { "UTC", "0-1,50-59/4 * * * *", "2026-05-05 10:01",
                     { "2026-05-05 10:50", "2026-05-05 10:54", "2026-05-05 10:58", "2026-05-05 11:00",
                       "2026-05-05 11:01" } });
}

Test(sched_next, hour_field_takes_values_ranges_lists_and_steps) {
        CHECK_NEXT({ "UTC", "45 5 * * *", "2026-05-05 05:46", { "2026-05-06 05:45" } },
                   { "UTC", "0 */6 * * *", "2026-05-05 06:00",
                     { "2026-05-05 12:00", "2026-05-05 18:00", "2026-05-06 00:00" } },
                   { "UTC", "30 9-17/4 * * *", "2026-05-05 13:30", { "2026-05-05 17:30", "2026-05-06 09:30" } },
                   { "UTC", "0 0,23 * * *", "2026-05-05 00:00", { "2026-05-05 23:00", "2026-05-06 00:00" } });
}

Test(sched_next, day_of_month_field_skips_months_without_that_day) {
        CHECK_NEXT({ "UTC", "0 0 15 * *", "2026-01-15 00:00", { "2026-02-15 00:00" } },
                   { "UTC", "0 0 31 * *", "2026-01-31 00:00",
                     { "2026-03-31 00:00", "2026-05-31 00:00", "2026-07-31 00:00", "2026-08-31 00:00" } },
                   { "UTC", "0 0 30 * *", "2026-01-30 00:00", { "2026-03-30 00:00" } },
                   { "UTC", "0 0 */10 * *", "2026-01-01 00:00",
                     { "2026-01-11 00:00", "2026-01-21 00:00", "2026-01-31 00:00", "2026-02-01 00:00" } },
                   { "UTC", "0 0 1-3,28-31/2 * *", "2026-02-03 00:00",
                     { "2026-02-28 00:00", "2026-03-01 00:00" } });
}

Test(sched_next, month_field_takes_numbers_and_names) {
        CHECK_NEXT({ "UTC", "0 0 1 6 *", "2026-06-01 00:00", { "2027-06-01 00:00" } },
                   { "UTC", "0 0 1 jun *", "2026-06-01 00:00", { "2027-06-01 00:00" } },
                   { "UTC", "0 0 1 JUN-Aug *", "2026-06-01 00:00",
                     { "2026-07-01 00:00", "2026-08-01 00:00", "2027-06-01 00:00" } },
                   { "UTC", "0 0 1 jan,dec *", "2026-01-01 00:00", { "2026-12-01 00:00", "2027-01-01 00:00" } },
                   { "UTC", "0 0 1 */5 *", "2026-01-01 00:00",
                     { "2026-06-01 00:00", "2026-11-01 00:00", "2027-01-01 00:00" } });
}

Test(sched_next, day_of_week_field_takes_numbers_names_ranges_and_steps) {
        CHECK_NEXT(/* Thursday 1 January 2026 -> Monday 5 January */
                   { "UTC", "0 12 * * mon", "2026-01-01 00:00", { "2026-01-05 12:00", "2026-01-12 12:00" } },
                   { "UTC", "0 12 * * 1-5", "2026-01-02 12:00", { "2026-01-05 12:00" } },
                   { "UTC", "0 12 * * MON-wed,fri", "2026-01-01 00:00",
                     { "2026-01-02 12:00", "2026-01-05 12:00", "2026-01-06 12:00", "2026-01-07 12:00",
                       "2026-01-09 12:00" } },
                   /* 0,2,4,6: Sunday, Tuesday, Thursday, Saturday */
                   { "UTC", "0 12 * * */2", "2026-01-01 00:00",
                     { "2026-01-01 12:00", "2026-01-03 12:00", "2026-01-04 12:00", "2026-01-06 12:00" } },
                   /* "5-0" is Friday to Sunday, as cronie reads it */
                   { "UTC", "0 12 * * 5-0", "2026-01-03 12:00", { "2026-01-04 12:00", "2026-01-09 12:00" } });
}

Test(sched_next, sunday_is_both_0_and_7) {
        CHECK_NEXT({ "UTC", "0 12 * * 0", "2026-01-01 00:00", { "2026-01-04 12:00", "2026-01-11 12:00" } },
                   { "UTC", "0 12 * * 7", "2026-01-01 00:00", { "2026-01-04 12:00", "2026-01-11 12:00" } },
                   { "UTC", "0 12 * * sun", "2026-01-01 00:00", { "2026-01-04 12:00", "2026-01-11 12:00" } },
                   { "UTC", "0 12 * * 6-7", "2026-01-01 00:00",
                     { "2026-01-03 12:00", "2026-01-04 12:00", "2026-01-10 12:00" } });
}

Test(sched_next, restricted_day_fields_fire_when_either_one_matches) {
        /* crontab(5): "30 4 1,15 * 5" runs on the 1st and 15th of each month, plus every Friday */
        CHECK_NEXT({ "UTC", "30 4 1,15 * 5", "2026-01-01 04:30",
                     { "2026-01-02 04:30", "2026-01-09 04:30", "2026-01-15 04:30", "2026-01-16 04:30" } },
                   /* Tuesday the 13th, then Friday the 16th */
                   { "UTC", "0 0 13 * fri", "2026-01-10 00:00", { "2026-01-13 00:00", "2026-01-16 00:00" } },
                   /* "30 2 mon": every Monday, February 30 never comes */
                   { "UTC", "0 0 30 2 mon", "2026-01-01 00:00", { "2026-02-02 00:00", "2026-02-09 00:00" } });
}

Test(sched_next, a_day_field_starting_with_star_makes_both_required) {
        CHECK_NEXT(/* odd days that are Fridays: Jan 2 and 16 are even, Feb 6 and 20 too */
                   { "UTC", "0 0 */2 * fri", "2026-01-01 00:00",
                     { "2026-01-09 00:00", "2026-01-23 00:00", "2026-02-13 00:00" } },
                   /* "*\/7" in day-of-week is {0, 7}: Sunday; Sundays the 13th */
                   { "UTC", "0 0 13 * */7", "2026-01-01 00:00",
                     { "2026-09-13 00:00", "2026-12-13 00:00", "2027-06-13 00:00" } },
                   { "UTC", "0 0 * * 5", "2026-01-01 00:00", { "2026-01-02 00:00", "2026-01-09 00:00" } },
                   { "UTC", "0 0 13 * *", "2026-01-01 00:00", { "2026-01-13 00:00", "2026-02-13 00:00" } });
}

Test(sched_next, nicknames_stand_for_their_five_fields) {
        CHECK_NEXT({ "UTC", "@yearly", "2026-03-01 00:00", { "2027-01-01 00:00" } },
                   { "UTC", "@annually", "2026-03-01 00:00", { "2027-01-01 00:00" } },
                   { "UTC", "@monthly", "2026-01-31 12:00", { "2026-02-01 00:00" } },
                   { "UTC", "@weekly", "2026-01-01 00:00", { "2026-01-04 00:00", "2026-01-11 00:00" } },
                   { "UTC", "@daily", "2026-01-01 00:00", { "2026-01-02 00:00" } },
                   { "UTC", "@midnight", "2026-01-01 00:00", { "2026-01-02 00:00" } },
                   { "UTC", "@hourly", "2026-01-01 10:00", { "2026-01-01 11:00" } });
}

Test(sched_next, feb_29_waits_for_the_next_leap_year) {
        CHECK_NEXT({ "UTC", "0 0 29 2 *", "2024-03-01 00:00", { "2028-02-29 00:00", "2032-02-29 00:00" } },
                   /* 2000 is a leap year (divisible by 400), 2100 is not (by 100 only) */
                   { "UTC", "0 0 29 2 *", "1999-01-01 00:00", { "2000-02-29 00:00", "2004-02-29 00:00" } },
                   { "UTC", "0 0 29 2 *", "2096-02-29 00:00", { "2104-02-29 00:00" } },
                   /* Feb 29 that is a Sunday: 2032, 2060, 2088, then 2128 (2116 is a Saturday) */
                   { "UTC", "0 0 29 2 */7", "2026-01-01 00:00",
                     { "2032-02-29 00:00", "2060-02-29 00:00", "2088-02-29 00:00", "2128-02-29 00:00" } });
}

Test(sched_next, reboot_has_no_next_time) {
        struct sched s = test_sched("@reboot");
        int64_t at = 0;

        cr_assert(s.flags & SCHED_REBOOT);
        cr_assert_eq(sched_next(&s, test_utc("2026-01-01 00:00"), test_zone("UTC"), &at), -ENOENT);
}

Test(sched_next, never_firing_schedules_return_enoent) {
        static const char *const never[] = {
                "0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 feb *", "0 0 31 2,4 */7", "[sec:10] 0 0 30 2 *",
        };
        const struct tz *utc = test_zone("UTC");

        for (size_t i = 0; i < ELEMENTSOF(never); i++) {
                struct sched s = test_sched(never[i]);
                int64_t at = 12345;

                cr_assert_eq(sched_next(&s, test_utc("2026-01-01 00:00"), utc, &at), -ENOENT, "%s", never[i]);
                cr_assert_eq(at, 12345, "%s: *ret_at written on failure", never[i]);
        }
}

/* ---- daylight saving: New York ---------------------------------------------------------- */

Test(sched_next, spring_forward_runs_skipped_job_at_3am) {
        CHECK_NEXT({ NY, "30 2 * * *", "2026-03-08 01:00", { "2026-03-08 03:00 -04:00", "2026-03-09 02:30" } },
                   { NY, "0 2 * * *", "2026-03-07 02:00",
                     { "2026-03-08 03:00 -04:00", "2026-03-09 02:00" } },
                   { NY, "59 2 * * sun", "2026-03-01 12:00", { "2026-03-08 03:00 -04:00", "2026-03-15 02:59" } },
                   { NY, "[sec:30] 30 2 * * *", "2026-03-08 01:00",
                     { "2026-03-08 03:00 -04:00", "2026-03-09 02:30:30" } },
                   /* from two seconds before the change, and from the change itself */
                   { NY, "30 2 * * *", "2026-03-08 01:59:58", { "2026-03-08 03:00 -04:00" } },
                   { NY, "30 2 * * *", "2026-03-08 03:00", { "2026-03-09 02:30" } });
}

Test(sched_next, spring_forward_from_the_second_before_the_change_runs_skipped_job_issue2) {
        CHECK_NEXT({ NY, "30 2 * * *", "2026-03-08 01:59:59", { "2026-03-08 03:00 -04:00", "2026-03-09 02:30" } },
                   { NY, "[sec:59] 59 1,2 * * *", "2026-03-08 01:59:59", { "2026-03-08 03:00 -04:00" } },
                   { LORD_HOWE, "15 2 * * *", "2025-10-05 01:59:59", { "2025-10-05 02:30 +11:00" } },
                   { TROLL, "7 1 * * *", "2026-03-29 00:59:59", { "2026-03-29 03:00 +02:00" } });
}

Test(sched_next, spring_forward_runs_skipped_jobs_once_beside_the_jobs_of_3am) {
        CHECK_NEXT({ NY, "30 2,3 * * *", "2026-03-08 01:00",
                     { "2026-03-08 03:00", "2026-03-08 03:30", "2026-03-09 02:30" } },
                   /* 02:00 and 02:30 are skipped and 03:00 is due: one run at 03:00 */
                   { NY, "0,30 2-3 * * *", "2026-03-08 01:00",
                     { "2026-03-08 03:00", "2026-03-08 03:30", "2026-03-09 02:00" } },
                   { NY, "0 3 * * *", "2026-03-08 01:00", { "2026-03-08 03:00", "2026-03-09 03:00" } },
                   { NY, "59 1 * * *", "2026-03-08 01:00", { "2026-03-08 01:59 -05:00", "2026-03-09 01:59" } });
}

Test(sched_next, spring_forward_skips_wildcard_jobs_in_the_missing_hour) {
        CHECK_NEXT({ NY, "10 * * * *", "2026-03-08 01:30", { "2026-03-08 03:10", "2026-03-08 04:10" } },
                   { NY, "* 2 * * *", "2026-03-08 01:00", { "2026-03-09 02:00", "2026-03-09 02:01" } },
                   { NY, "*/20 * * * *", "2026-03-08 01:40", { "2026-03-08 03:00", "2026-03-08 03:20" } });
}

Test(sched_next, fall_back_runs_fixed_job_only_at_first_occurrence) {
        CHECK_NEXT({ NY, "30 1 * * *", "2026-11-01 00:00", { "2026-11-01 01:30 -04:00", "2026-11-02 01:30" } },
                   { NY, "0 1 * * *", "2026-10-31 01:00",
                     { "2026-11-01 01:00 -04:00", "2026-11-02 01:00 -05:00" } },
                   { NY, "[sec:*/20] 59 1 * * *", "2026-11-01 01:00 -04:00",
                     { "2026-11-01 01:59:00 -04:00", "2026-11-01 01:59:20 -04:00", "2026-11-01 01:59:40 -04:00",
                       "2026-11-02 01:59" } },
                   /* starting inside the repeated hour: its times already went by */
                   { NY, "30 1 * * *", "2026-11-01 01:10 -05:00", { "2026-11-02 01:30" } },
                   { NY, "0 2 * * *", "2026-11-01 01:30 -04:00", { "2026-11-01 02:00 -05:00", "2026-11-02 02:00" } });
}

Test(sched_next, fall_back_runs_wildcard_jobs_in_both_hours) {
        CHECK_NEXT({ NY, "30 * * * *", "2026-11-01 00:30",
                     { "2026-11-01 01:30 -04:00", "2026-11-01 01:30 -05:00", "2026-11-01 02:30 -05:00" } },
                   { NY, "*/20 1 * * *", "2026-11-01 01:30 -04:00",
                     { "2026-11-01 01:40 -04:00", "2026-11-01 01:00 -05:00", "2026-11-01 01:20 -05:00",
                       "2026-11-01 01:40 -05:00", "2026-11-02 01:00" } },
                   { NY, "[sec:30] * 1 * * *", "2026-11-01 01:59:30 -04:00",
                     { "2026-11-01 01:00:30 -05:00", "2026-11-01 01:01:30 -05:00" } });
}

/* ---- daylight saving elsewhere ---------------------------------------------------------- */

Test(sched_next, europe_berlin_follows_the_same_rule) {
        /* 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET */
        CHECK_NEXT({ BERLIN, "30 2 * * *", "2026-03-29 00:00", { "2026-03-29 03:00 +02:00", "2026-03-30 02:30" } },
                   { BERLIN, "*/30 * * * *", "2026-03-29 01:30", { "2026-03-29 03:00", "2026-03-29 03:30" } },
                   { BERLIN, "30 2 * * *", "2026-10-25 00:00",
                     { "2026-10-25 02:30 +02:00", "2026-10-26 02:30 +01:00" } },
                   { BERLIN, "*/30 * * * *", "2026-10-25 02:30 +02:00",
                     { "2026-10-25 02:00 +01:00", "2026-10-25 02:30 +01:00", "2026-10-25 03:00" } });
}

Test(sched_next, lord_howe_half_hour_change_runs_skipped_job_at_0230) {
        /* 2025-10-05 02:00 +10:30 -> 02:30 +11; 2026-04-05 02:00 +11 -> 01:30 +10:30 */
        CHECK_NEXT({ LORD_HOWE, "15 2 * * *", "2025-10-05 01:00",
                     { "2025-10-05 02:30 +11:00", "2025-10-06 02:15" } },
                   { LORD_HOWE, "0 2 * * *", "2025-10-05 01:00", { "2025-10-05 02:30 +11:00" } },
                   { LORD_HOWE, "15 * * * *", "2025-10-05 01:30", { "2025-10-05 03:15" } },
                   { LORD_HOWE, "45 * * * *", "2025-10-05 01:50", { "2025-10-05 02:45 +11:00" } },
                   { LORD_HOWE, "45 1 * * *", "2026-04-05 01:00",
                     { "2026-04-05 01:45 +11:00", "2026-04-06 01:45 +10:30" } },
                   { LORD_HOWE, "45 * * * *", "2026-04-05 01:00",
                     { "2026-04-05 01:45 +11:00", "2026-04-05 01:45 +10:30", "2026-04-05 02:45 +10:30" } });
}

Test(sched_next, troll_two_hour_change_is_still_small) {
        /* 2026-03-29 01:00 +00 -> 03:00 +02; 2026-10-25 03:00 +02 -> 01:00 +00 */
        CHECK_NEXT({ TROLL, "30 1 * * *", "2026-03-29 00:00", { "2026-03-29 03:00 +02:00", "2026-03-30 01:30" } },
                   { TROLL, "30 1 * * *", "2026-10-25 00:00",
                     { "2026-10-25 01:30 +02:00", "2026-10-26 01:30 +00:00" } },
                   { TROLL, "30 * * * *", "2026-10-25 02:00 +02:00",
                     { "2026-10-25 02:30 +02:00", "2026-10-25 01:30 +00:00", "2026-10-25 02:30 +00:00" } });
}

Test(sched_next, apia_skipped_day_is_a_correction_and_not_caught_up) {
        /* Samoa went from 2011-12-29 23:59:59 -10 to 2011-12-31 00:00:00 +14: a 24 h jump */
        CHECK_NEXT({ APIA, "0 12 * * *", "2011-12-29 13:00 -10:00", { "2011-12-31 12:00 +14:00" } },
                   { APIA, "0 12 30 12 *", "2011-12-01 00:00", { "2012-12-30 12:00" } },
                   { APIA, "30 * * * *", "2011-12-29 23:00", { "2011-12-29 23:30 -10:00", "2011-12-31 00:30 +14:00" } },
                   { APIA, "0 0 * * *", "2011-12-29 12:00", { "2011-12-31 00:00 +14:00", "2012-01-01 00:00" } });
}

Test(sched_next, changes_of_three_hours_or_more_follow_the_wall_clock) {
        CHECK_NEXT(/* 02:00 -02 -> 06:00 +02: 03:30 is skipped and not caught up */
                   { SHIFT_4H, "30 3 * * *", "2026-03-29 00:00", { "2026-03-30 03:30 +02:00" } },
                   /* 03:00 +02 -> 23:00 -02 the day before: 01:30 comes twice and runs twice */
                   { SHIFT_4H, "30 1 * * *", "2026-10-25 00:00 +02:00",
                     { "2026-10-25 01:30 +02:00", "2026-10-25 01:30 -02:00", "2026-10-26 01:30 -02:00" } },
                   /* exactly 3 h is not small: 02:00 -01 -> 05:00 +02 */
                   { SHIFT_3H, "30 3 * * *", "2026-03-29 00:00", { "2026-03-30 03:30 +02:00" } },
                   { SHIFT_3H, "30 1 * * *", "2026-10-25 00:00 +02:00",
                     { "2026-10-25 01:30 +02:00", "2026-10-25 01:30 -01:00", "2026-10-26 01:30 -01:00" } },
                   /* 2 h 59 min is small: 02:00 -01 -> 04:59 +01:59, 03:30 runs at the change */
                   { SHIFT_2H59, "30 3 * * *", "2026-03-29 00:00",
                     { "2026-03-29 04:59 +01:59", "2026-03-30 03:30 +01:59" } },
                   { SHIFT_2H59, "30 1 * * *", "2026-10-25 00:00 +01:59",
                     { "2026-10-25 01:30 +01:59", "2026-10-26 01:30 -01:00" } });
}

/* ---- years, zones, seconds -------------------------------------------------------------- */

Test(sched_next, far_future_years_follow_the_zone_rules) {
        CHECK_NEXT(/* second Sunday of March 2150 is the 8th, first Sunday of November the 1st */
                   { NY, "30 2 * * *", "2150-03-08 01:00", { "2150-03-08 03:00 -04:00", "2150-03-09 02:30 -04:00" } },
                   { NY, "30 1 * * *", "2150-11-01 00:00",
                     { "2150-11-01 01:30 -04:00", "2150-11-02 01:30 -05:00" } },
                   /* last Sunday of March 2400 is the 26th */
                   { BERLIN, "30 2 * * *", "2400-03-26 00:00",
                     { "2400-03-26 03:00 +02:00", "2400-03-27 02:30 +02:00" } },
                   /* 2400 is a leap year */
                   { "UTC", "0 0 29 2 *", "2399-01-01 00:00", { "2400-02-29 00:00", "2404-02-29 00:00" } },
                   { "UTC", "0 0 1 1 *", "9998-06-01 00:00", { "9999-01-01 00:00" } });
}

Test(sched_next, fixed_offset_zones_and_utc_shift_the_wall_clock_only) {
        CHECK_NEXT({ "UTC", "30 5 * * *", "2026-01-01 00:00", { "2026-01-01 05:30 +00:00" } },
                   { "Asia/Kolkata", "30 5 * * *", "2026-01-01 00:00", { "2026-01-01 05:30 +05:30" } },
                   /* Etc/GMT+12 is UTC-12 (POSIX signs) */
                   { "Etc/GMT+12", "0 0 1 1 *", "2026-06-01 00:00", { "2027-01-01 00:00 -12:00" } },
                   { "Etc/GMT-14", "0 0 * * *", "2026-01-01 00:00", { "2026-01-02 00:00 +14:00" } },
                   { "posix:<+0545>-5:45", "45 23 31 12 *", "2026-01-01 00:00", { "2026-12-31 23:45 +05:45" } });
}

Test(sched_next, second_resolution_schedules_fire_on_their_seconds) {
        CHECK_NEXT({ "UTC", "[sec:*/15] * * * * *", "2026-01-01 10:00:00",
                     { "2026-01-01 10:00:15", "2026-01-01 10:00:30", "2026-01-01 10:00:45", "2026-01-01 10:01:00" } },
                   { "UTC", "[sec:0-2] * * * * *", "2026-01-01 10:00:02",
                     { "2026-01-01 10:01:00", "2026-01-01 10:01:01" } },
                   { "UTC", "[sec:30] 0 12 * * *", "2026-01-01 12:00:00",
                     { "2026-01-01 12:00:30", "2026-01-02 12:00:30" } },
                   { "UTC", "[sec:5,10] @hourly", "2026-01-01 10:00:05",
                     { "2026-01-01 10:00:10", "2026-01-01 11:00:05" } },
                   { "UTC", "[sec:59] 59 23 31 12 *", "2026-12-31 23:59:59", { "2027-12-31 23:59:59" } },
                   { NY, "[sec:*/10] 59 1 * * *", "2026-03-08 01:59:45",
                     { "2026-03-08 01:59:50 -05:00", "2026-03-09 01:59:00" } });
}

Test(sched_next, outside_years_1_to_9999_is_erange) {
        const struct tz *utc = test_zone("UTC");
        struct sched s = test_sched("* * * * *");
        int64_t first = test_utc("0001-01-01 00:00"), last = test_utc("9999-12-31 23:59:59"), at = 0;

        cr_assert_eq(sched_next(&s, first - 1, utc, &at), -ERANGE);
        cr_assert_eq(sched_next(&s, last + 1, utc, &at), -ERANGE);
        cr_assert_eq(sched_next(&s, INT64_MIN, utc, &at), -ERANGE);
        cr_assert_eq(sched_next(&s, first, utc, &at), 0);
        cr_assert_eq(at, test_utc("0001-01-01 00:01"));
        cr_assert_eq(sched_next(&s, last - 60, utc, &at), 0);
        cr_assert_eq(at, test_utc("9999-12-31 23:59"));
}

Test(sched_next, int64_max_is_erange_without_overflow) {
        const struct sched s = test_sched("* * * * *");
        int64_t at = 0;

        cr_assert_eq(sched_next(&s, INT64_MAX, test_zone("UTC"), &at), -ERANGE);
}

/* ---- clock jumps ------------------------------------------------------------------------ */

struct jump_case {
        const char *zone;
        const char *expr;
        const char *planned, *before, *now;
        const char *want;
};

static void check_jump(const struct jump_case *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const struct jump_case *c = &cases[i];
                const struct tz *zone = test_zone(c->zone);
                struct sched s = test_sched(c->expr);
                int64_t want = test_at(zone, c->want), got = 0;
                int r = sched_after_jump(&s, test_at(zone, c->planned), test_at(zone, c->before), test_at(zone, c->now),
                                         zone, &got);

                cr_assert_eq(r, 0, "'%s' planned %s, clock %s -> %s: returned %s", c->expr, c->planned, c->before,
                             c->now, strerror(-r));
                cr_assert_eq(got, want, "'%s' planned %s, clock %s -> %s: got %s, want %s", c->expr, c->planned,
                             c->before, c->now, test_iso(zone, got), test_iso(zone, want));
        }
}
#define CHECK_JUMP(...)                                                 \
        do {                                                            \
                static const struct jump_case cases_[] = { __VA_ARGS__ }; \
                check_jump(cases_, ELEMENTSOF(cases_));                 \
        } while (0)

Test(sched_after_jump, small_forward_jump_runs_a_skipped_fixed_job_now) {
        CHECK_JUMP({ "UTC", "0 12 * * *", "2026-01-01 12:00", "2026-01-01 11:30", "2026-01-01 13:00", "2026-01-01 13:00" },
                   { "UTC", "0 12 * * *", "2026-01-01 12:00", "2026-01-01 11:00", "2026-01-01 12:00", "2026-01-01 12:00" },
                   /* 2 h 59 min 59 s is still small */
                   { "UTC", "0 12 * * *", "2026-01-01 12:00", "2026-01-01 11:59:59", "2026-01-01 14:59:58",
                     "2026-01-01 14:59:58" },
                   { NY, "15 9 * * 1-5", "2026-01-05 09:15", "2026-01-05 09:00", "2026-01-05 10:30", "2026-01-05 10:30" });
}

Test(sched_after_jump, small_forward_jump_short_of_the_planned_time_keeps_it) {
        CHECK_JUMP({ "UTC", "0 12 * * *", "2026-01-01 12:00", "2026-01-01 10:00", "2026-01-01 11:00", "2026-01-01 12:00" },
                   { "UTC", "0 12 * * *", "2026-01-01 12:00", "2026-01-01 11:58", "2026-01-01 11:59:59",
                     "2026-01-01 12:00" });
}

Test(sched_after_jump, small_backward_jump_keeps_a_fixed_job_planned_time) {
        /* 12:00 on the 1st already ran; going back to 11:30 must not run it again */
        CHECK_JUMP({ "UTC", "0 12 * * *", "2026-01-02 12:00", "2026-01-01 12:30", "2026-01-01 11:30", "2026-01-02 12:00" },
                   { "UTC", "0 12 * * *", "2026-01-02 12:00", "2026-01-01 12:00:30", "2026-01-01 09:00:31",
                     "2026-01-02 12:00" },
                   { "UTC", "[sec:*/5] 0 12 * * *", "2026-01-01 12:00:10", "2026-01-01 12:00:07", "2026-01-01 11:59",
                     "2026-01-01 12:00:10" });
}

Test(sched_after_jump, wildcard_jobs_replan_from_the_new_time) {
        CHECK_JUMP(/* backward: the times between now and before come again */
                   { "UTC", "*/10 * * * *", "2026-01-01 12:40", "2026-01-01 12:35", "2026-01-01 11:35",
                     "2026-01-01 11:40" },
                   /* forward: nothing is caught up */
                   { "UTC", "*/10 * * * *", "2026-01-01 12:40", "2026-01-01 12:35", "2026-01-01 13:05",
                     "2026-01-01 13:10" },
                   { "UTC", "@hourly", "2026-01-01 12:00", "2026-01-01 11:30", "2026-01-01 13:30", "2026-01-01 14:00" },
                   { "UTC", "* 12 * * *", "2026-01-01 12:00", "2026-01-01 11:30", "2026-01-01 13:30",
                     "2026-01-02 12:00" },
                   /* now itself can be the next run */
                   { "UTC", "*/10 * * * *", "2026-01-01 12:40", "2026-01-01 12:35", "2026-01-01 13:10",
                     "2026-01-01 13:10" });
}

Test(sched_after_jump, large_jumps_replan_every_job) {
        CHECK_JUMP(/* forward by exactly 3 h, and by more: no catch-up */
                   { "UTC", "0 12 * * *", "2026-01-01 12:00", "2026-01-01 11:00", "2026-01-01 14:00", "2026-01-02 12:00" },
                   { "UTC", "0 12 * * *", "2026-01-01 12:00", "2026-01-01 11:00", "2026-01-01 15:00", "2026-01-02 12:00" },
                   { "UTC", "0 12 * * *", "2026-01-05 12:00", "2026-01-01 00:00", "2026-01-10 00:00", "2026-01-10 12:00" },
                   /* backward by exactly 3 h, and by more: today's 12:00 comes again */
                   { "UTC", "0 12 * * *", "2026-01-02 12:00", "2026-01-01 12:30", "2026-01-01 09:30", "2026-01-01 12:00" },
                   { "UTC", "0 12 * * *", "2026-01-02 12:00", "2026-01-01 13:00", "2026-01-01 08:00", "2026-01-01 12:00" },
                   /* the new plan is made on New York's wall clock */
                   { NY, "0 12 * * *", "2026-07-01 12:00", "2026-07-01 06:00", "2026-07-01 15:00", "2026-07-02 12:00 -04:00" },
                   { NY, "*/10 * * * *", "2026-07-01 12:10", "2026-07-01 12:05", "2026-06-30 12:01",
                     "2026-06-30 12:10 -04:00" });
}

Test(sched_after_jump, large_jump_of_a_never_firing_schedule_is_enoent) {
        struct sched s = test_sched("0 0 30 2 *");
        const struct tz *utc = test_zone("UTC");
        int64_t at = 0;

        cr_assert_eq(sched_after_jump(&s, 0, test_utc("2026-01-01 00:00"), test_utc("2026-02-01 00:00"), utc, &at),
                     -ENOENT);
}

/* ---- sched_matches, sched_never --------------------------------------------------------- */

Test(sched_matches, applies_every_field_and_the_day_rule) {
        static const struct {
                const char *expr, *wall;
                bool want;
        } cases[] = {
                { "30 4 1,15 * 5", "2026-01-02 04:30", true },  /* a Friday */
                { "30 4 1,15 * 5", "2026-01-15 04:30", true },  /* the 15th, a Thursday */
                { "30 4 1,15 * 5", "2026-01-14 04:30", false }, /* Wednesday the 14th */
                { "30 4 1,15 * 5", "2026-01-02 04:31", false },
                { "30 4 1,15 * 5", "2026-01-02 05:30", false },
                { "0 0 */2 * fri", "2026-01-09 00:00", true },  /* odd and Friday */
                { "0 0 */2 * fri", "2026-01-02 00:00", false }, /* Friday, even */
                { "0 0 */2 * fri", "2026-01-11 00:00", false }, /* odd, Sunday */
                { "0 0 * 2 *", "2026-03-01 00:00", false },
                { "0 0 * 2 *", "2026-02-01 00:00", true },
                { "0 0 * * 7", "2026-01-04 00:00", true }, /* Sunday */
                { "* * * * *", "2026-01-01 00:00:01", false },
                { "[sec:30] * * * * *", "2026-01-01 00:00:30", true },
                { "[sec:30] * * * * *", "2026-01-01 00:00:31", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sched s = test_sched(cases[i].expr);
                struct civil c;

                civil_from_secs(test_utc(cases[i].wall), &c);
                cr_assert_eq(sched_matches(&s, &c), cases[i].want, "'%s' at %s", cases[i].expr, cases[i].wall);
        }
}

Test(sched_never, is_true_only_when_no_allowed_day_exists) {
        static const struct {
                const char *expr;
                bool want;
        } cases[] = {
                { "0 0 30 2 *", true },         { "0 0 31 4,6,9,11 *", true }, { "0 0 30,31 feb *", true },
                { "0 0 31 2,4 */7", true },     { "0 0 29 2 *", false },       { "0 0 31 4,6,9,11,12 *", false },
                { "0 0 30 2 mon", false },      { "@daily", false },           { "@reboot", false },
                { "[sec:7] 0 0 31 6 *", true },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sched s = test_sched(cases[i].expr);
                cr_assert_eq(sched_never(&s), cases[i].want, "%s", cases[i].expr);
        }
}
