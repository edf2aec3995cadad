/* tests/unit/test_export.c: export_cron_fields(), export_calendar(), export_dst_nights(),
 * export_dns_name() (tockctl export).
 *
 * The strings are the ones tockctl export writes; test-tockctl-export.sh checks that the targets'
 * own tools (systemd-analyze, a cron library) read them as tock does. New York springs forward on
 * 2027-03-14 and 2028-03-12 and falls back on 2027-11-07; Lord Howe moves by 30 minutes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "export.h"
#include "helpers.h"
#include "util.h"

struct fields_case {
        const char *expr;
        int ret;
        const char *want;
};

Test(export_cron_fields, writes_numbers_ranges_steps_and_the_day_rule) {
        static const struct fields_case cases[] = {
                { "30 2 * * *", 0, "30 2 * * *" },
                { "*/15 9-17 * jan-mar,oct mon-fri", 0, "0-59/15 9-17 * 1-3,10 1-5" },
                { "0 0 1,15 * fri", 0, "0 0 1,15 * 5" },           /* cron's OR: both restricted */
                { "0 12 1-31 * 5", 0, "0 12 * * *" },              /* OR with a full field: every day */
                { "0 0 */2 * *", 0, "0 0 1-31/2 * *" },            /* AND with a full weekday field */
                { "0 0 * * 7", 0, "0 0 * * 0" },                   /* 7 is Sunday */
                { "@weekly", 0, "0 0 * * 0" },
                { "5,6,7,20 * * * *", 0, "5-7,20 * * * *" },
                { "0 0 */2 * fri", -ENOTSUP, NULL },               /* AND of two restricted fields */
                { "[sec:*/10] * * * * *", -EDOM, NULL },
                { "@reboot", -ENOENT, NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sched s = test_sched(cases[i].expr);
                char buf[EXPORT_SPEC_MAX];
                int r = export_cron_fields(&s, buf, sizeof buf);
                cr_assert_eq(r, cases[i].ret, "%s: %d", cases[i].expr, r);
                if (r == 0)
                        cr_assert_str_eq(buf, cases[i].want, "%s", cases[i].expr);
        }
}

Test(export_cron_fields, says_when_the_buffer_is_too_small) {
        struct sched s = test_sched("1,3,5,7,11 * * * *");
        char buf[8];
        cr_assert_eq(export_cron_fields(&s, buf, sizeof buf), -ENOBUFS);
}

struct calendar_case {
        const char *expr;
        int n;
        const char *want[2];
};

Test(export_calendar, writes_one_line_or_two_for_the_or_rule) {
        static const struct calendar_case cases[] = {
                { "30 2 * * *", 1, { "*-*-* 02:30:00 Z" } },
                { "*/15 9-17 * jan-mar,oct mon-fri", 1, { "Mon..Fri *-01..03,10-* 09..17:00/15:00 Z" } },
                { "0 0 1,15 * fri", 2, { "*-*-01,15 00:00:00 Z", "Fri *-*-* 00:00:00 Z" } },
                { "0 0 */2 * fri", 1, { "Fri *-*-01/2 00:00:00 Z" } }, /* systemd ANDs weekday and date */
                { "0 12 1-31 * 5", 1, { "*-*-* 12:00:00 Z" } },
                { "[sec:*/20] */5 * * * *", 1, { "*-*-* *:00/5:00/20 Z" } },
                { "0 9 * feb-nov/3 1-5", 1, { "Mon..Fri *-02/3-* 09:00:00 Z" } },
                { "0 0 * * 0,6", 1, { "Sun,Sat *-*-* 00:00:00 Z" } },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sched s = test_sched(cases[i].expr);
                char buf[2][EXPORT_SPEC_MAX];
                int n = export_calendar(&s, "Z", buf);
                cr_assert_eq(n, cases[i].n, "%s: %d", cases[i].expr, n);
                for (int k = 0; k < n; k++)
                        cr_assert_str_eq(buf[k], cases[i].want[k], "%s", cases[i].expr);
        }
        struct sched reboot = test_sched("@reboot");
        char buf[2][EXPORT_SPEC_MAX];
        cr_assert_eq(export_calendar(&reboot, NULL, buf), -ENOENT);
}

struct dst_case {
        const char *zone, *expr;
        enum export_dst rule;
        const char *from, *to;
        int n;
        const char *days[3];
};

Test(export_dst_nights, names_the_nights_where_the_target_differs_from_cron) {
        static const struct dst_case cases[] = {
                /* spring forward: cron runs 02:30 at 03:00; both targets skip it */
                { "America/New_York", "30 2 * * *", EXPORT_DST_FIRST, "2027-01-01 00:00", "2028-12-31 00:00", 2,
                  { "2027-03-14 00:00", "2028-03-12 00:00" } },
                { "America/New_York", "30 2 * * *", EXPORT_DST_WALL, "2027-01-01 00:00", "2027-12-31 00:00", 1,
                  { "2027-03-14 00:00" } },
                /* fall back: cron runs a fixed 01:30 once, robfig/cron twice, systemd once */
                { "America/New_York", "30 1 * * *", EXPORT_DST_WALL, "2027-06-01 00:00", "2027-12-31 00:00", 1,
                  { "2027-11-07 00:00" } },
                { "America/New_York", "30 1 * * *", EXPORT_DST_FIRST, "2027-06-01 00:00", "2027-12-31 00:00", 0, { NULL } },
                /* a wildcard job runs in both passes of the repeated hour under cron; systemd skips the second */
                { "America/New_York", "*/20 1 * * *", EXPORT_DST_FIRST, "2027-06-01 00:00", "2027-12-31 00:00", 1,
                  { "2027-11-07 00:00" } },
                { "America/New_York", "*/20 1 * * *", EXPORT_DST_WALL, "2027-01-01 00:00", "2027-12-31 00:00", 0, { NULL } },
                /* nothing near the change: no night */
                { "America/New_York", "0 12 * * *", EXPORT_DST_WALL, "2027-01-01 00:00", "2031-12-31 00:00", 0, { NULL } },
                { "Etc/UTC", "30 2 * * *", EXPORT_DST_WALL, "2027-01-01 00:00", "2031-12-31 00:00", 0, { NULL } },
                /* Lord Howe: 02:00 -> 02:30 in October, 02:00 -> 01:30 in April */
                { "Australia/Lord_Howe", "15 2 * * *", EXPORT_DST_WALL, "2027-01-01 00:00", "2027-12-31 00:00", 1,
                  { "2027-10-03 00:00" } },
                { "Australia/Lord_Howe", "45 1 * * *", EXPORT_DST_WALL, "2027-01-01 00:00", "2027-12-31 00:00", 1,
                  { "2027-04-04 00:00" } },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct dst_case *c = &cases[i];
                const struct tz *zone = test_zone(c->zone);
                struct sched s = test_sched(c->expr);
                int64_t days[8];
                int n = export_dst_nights(&s, zone, test_utc(c->from), test_utc(c->to), c->rule, days, ELEMENTSOF(days));
                cr_assert_eq(n, c->n, "%s in %s, rule %d: %d nights", c->expr, c->zone, c->rule, n);
                for (int k = 0; k < n; k++)
                        cr_assert_eq(days[k] * 86400, test_utc(c->days[k]),
                                     "%s in %s: night %d is %s, not %s", c->expr, c->zone, k,
                                     test_iso(test_zone("Etc/UTC"), days[k] * 86400), c->days[k]);
        }
}

Test(export_dns_name, makes_a_dns_1123_label) {
        char buf[EXPORT_NAME_MAX + 1];

        cr_assert_eq(export_dns_name("Host-1-Nightly_Backup", buf, sizeof buf, EXPORT_NAME_MAX), 21);
        cr_assert_str_eq(buf, "host-1-nightly-backup");
        cr_assert_gt(export_dns_name("--a..b--", buf, sizeof buf, EXPORT_NAME_MAX), 0);
        cr_assert_str_eq(buf, "a-b");
        cr_assert_eq(export_dns_name("___", buf, sizeof buf, EXPORT_NAME_MAX), -EINVAL);
        cr_assert_eq(export_dns_name("abcdefgh-ijk", buf, sizeof buf, 9), 8);
        cr_assert_str_eq(buf, "abcdefgh"); /* cut, with no '-' left at the end */
}
