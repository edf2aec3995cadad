/* tests/unit/test_nicknames.c: each nickname means exactly its five fields (crontab(5)), with the
 * flags those fields give, except @hourly, a wildcard job for the DST rule as in cron. */
#include <criterion/criterion.h>
#include <string.h>

#include "crontab.h"

static void same(const char *nick, const char *fields, uint8_t extra_flags) {
        struct diag_list d = {};
        struct sched a, b;

        cr_assert_eq(crontab_parse_expr(nick, 0, &a, &d), 0, "%s", nick);
        cr_assert_eq(crontab_parse_expr(fields, 0, &b, &d), 0, "%s", fields);
        b.flags |= extra_flags;
        cr_expect_eq(a.sec, b.sec, "%s sec", nick);
        cr_expect_eq(a.min, b.min, "%s min", nick);
        cr_expect_eq(a.hour, b.hour, "%s hour", nick);
        cr_expect_eq(a.dom, b.dom, "%s dom", nick);
        cr_expect_eq(a.mon, b.mon, "%s mon", nick);
        cr_expect_eq(a.dow, b.dow, "%s dow", nick);
        cr_expect_eq(a.flags, b.flags, "%s flags %#x, want %#x", nick, a.flags, b.flags);
        diag_list_done(&d);
}

Test(nicknames, each_means_its_five_fields) {
        same("@yearly", "0 0 1 1 *", 0);
        same("@annually", "0 0 1 1 *", 0);
        same("@monthly", "0 0 1 * *", 0);
        same("@weekly", "0 0 * * 0", 0);
        same("@daily", "0 0 * * *", 0);
        same("@midnight", "0 0 * * *", 0);
        same("@hourly", "0 * * * *", 0);
}

Test(nicknames, seconds_option_applies_on_top) {
        struct diag_list d = {};
        struct sched s;

        cr_assert_eq(crontab_parse_expr("[sec:15] @daily", 0, &s, &d), 0);
        cr_expect_eq(s.sec, 1ULL << 15);
        cr_expect_eq(s.hour, 1u);
        diag_list_done(&d);
}
