/* tests/unit/test_sched_prop.c: sched_next() against a brute-force oracle, over random
 * expressions, zones and start instants.
 *
 * The oracle shares no code with sched.c. It walks UTC instants one at a time (every minute, or
 * every second for schedules with a [sec:] option), reads the wall clock with tz_local() and
 * applies cron(8)'s rules as sched.h states them:
 *   - an instant fires when its wall time matches (Vixie's day rule included);
 *   - at a change that moves the clock forward by less than 3 h, a fixed-time entry also fires at
 *     the change instant if any skipped wall second matches;
 *   - during the d seconds after a change that moves the clock back by d < 3 h, a fixed-time
 *     entry does not fire: those wall times were already shown before the change.
 * To stay fast it jumps over stretches of constant offset in which nothing can match (the rest of
 * a local day that does not match, of an hour, of a minute). It finds offset changes by sampling
 * tz_offset() every ORACLE_SAMPLE seconds and bisecting, so it assumes that no two changes are
 * closer than that, which holds for every zone used here.
 *
 * Deterministic: the seed is fixed (TOCK_PROP_SEED overrides it, to explore) and printed with the
 * expression, zone and start of any disagreement. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crontab.h"
#include "helpers.h"
#include "sched.h"
#include "timefmt.h"

#define PROP_SEED UINT64_C(0x7c0c5eed2026)
#define ORACLE_SMALL (3 * 3600) /* cron(8): changes under 3 h are small */
#define ORACLE_SAMPLE 3600
#define FIRES_PER_CASE 5
#define CASES_PER_ZONE 2000
#define DAY 86400LL
#define YEAR (365 * DAY)

/* ---- the oracle ------------------------------------------------------------------------- */

struct oracle_stats {
        unsigned gap_fires;       /* fixed-time runs at a small spring-forward change */
        unsigned fold_suppressed; /* matching instants not run, being a repeat after a fall back */
};

struct oracle {
        struct oracle_stats *stats;
        const struct sched *s;
        const struct tz *zone;
        int64_t step; /* 60, or 1 when seconds other than 0 can match */
        bool fixed;   /* neither the minute nor the hour field starts with '*' */
};

/* cron(8): a fixed-time entry has neither its minute nor its hour field starting with '*' */
static bool oracle_fixed(const struct sched *s) {
        return !(s->flags & SCHED_MIN_STAR) && !(s->flags & SCHED_HOUR_STAR);
}

static bool oracle_day(const struct sched *s, const struct civil *c) {
        bool by_dom = s->dom >> c->mday & 1, by_dow = s->dow >> c->wday & 1;

        if (!(s->mon >> c->mon & 1))
                return false;
        /* Vixie: a day field starting with '*' makes both fields count; otherwise either */
        if (s->flags & (SCHED_DOM_STAR | SCHED_DOW_STAR))
                return by_dom && by_dow;
        return by_dom || by_dow;
}

static bool oracle_match(const struct sched *s, const struct civil *c) {
        return oracle_day(s, c) && (s->hour >> c->hour & 1) && (s->min >> c->min & 1) && (s->sec >> c->sec & 1);
}

/* The first instant in (t, end] whose offset differs from the one at t; false if none. */
static bool oracle_change(const struct tz *zone, int64_t t, int64_t end, int64_t *ret) {
        int32_t off = tz_offset(zone, t);
        int64_t lo = t, hi;

        if (end <= t)
                return false;
        for (;;) {
                hi = MIN(lo + ORACLE_SAMPLE, end);
                if (tz_offset(zone, hi) != off)
                        break;
                if (hi == end)
                        return false;
                lo = hi;
        }
        while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (tz_offset(zone, mid) == off)
                        lo = mid;
                else
                        hi = mid;
        }
        *ret = hi;
        return true;
}

/* Whether any wall second in [lo, hi) matches. */
static bool oracle_any_wall(const struct sched *s, int64_t lo, int64_t hi) {
        struct civil c;

        for (int64_t w = lo; w < hi; w++) {
                civil_from_secs(w, &c);
                if (oracle_match(s, &c))
                        return true;
        }
        return false;
}

/* Where the scan may go next from t (wall time c) without passing an instant that could match,
 * as long as the offset stays the same. */
static int64_t oracle_skip(const struct oracle *o, int64_t t, const struct civil *c) {
        if (!oracle_day(o->s, c))
                return t + DAY - (c->hour * 3600 + c->min * 60 + c->sec);
        if (!(o->s->hour >> c->hour & 1))
                return t + 3600 - (c->min * 60 + c->sec);
        if (!(o->s->min >> c->min & 1))
                return t + 60 - c->sec;
        return t + o->step;
}

/* The first fire time in (after, limit]; false if there is none. */
static bool oracle_next(const struct oracle *o, int64_t after, int64_t limit, int64_t *ret) {
        int64_t t = floor_div(after, o->step) * o->step + o->step, fold_end = INT64_MIN, u, ch;
        int32_t prev;

        /* a fall back in the last 3 h may still be repeating wall times that were shown */
        for (u = t - ORACLE_SMALL; oracle_change(o->zone, u, t - 1, &ch); u = ch) {
                int32_t b = tz_offset(o->zone, ch - 1), a = tz_offset(o->zone, ch);
                if (a < b && b - a < ORACLE_SMALL)
                        fold_end = ch + (b - a);
        }
        prev = tz_offset(o->zone, t - 1);
        while (t <= limit) {
                struct civil c;
                int32_t off = tz_local(o->zone, t, &c);
                int64_t next;

                cr_assert(o->step == 1 || off % 60 == 0, "oracle: offset %d at %lld is not whole minutes", off,
                          (long long) t);
                if (off != prev && o->fixed) {
                        int32_t d = off - prev;
                        if (d > 0 && d < ORACLE_SMALL && oracle_any_wall(o->s, t + prev, t + off)) {
                                *ret = t; /* skipped by a small spring forward: runs at the change */
                                o->stats->gap_fires++;
                                return true;
                        }
                        if (d < 0 && -d < ORACLE_SMALL)
                                fold_end = t - d;
                }
                if (oracle_match(o->s, &c)) {
                        if (!(o->fixed && t < fold_end)) {
                                *ret = t;
                                return true;
                        }
                        o->stats->fold_suppressed++;
                }
                next = oracle_skip(o, t, &c);
                if (oracle_change(o->zone, t, next, &ch))
                        next = ch;
                cr_assert(next % o->step == 0, "oracle: offset change at %lld is not on a whole minute",
                          (long long) next);
                prev = off;
                t = next;
        }
        return false;
}

/* ---- random expressions ----------------------------------------------------------------- */

struct rng {
        uint64_t s;
};

static uint64_t rnd(struct rng *r) {
        uint64_t x = (r->s += 0x9e3779b97f4a7c15ULL);
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t rnd_in(struct rng *r, int64_t lo, int64_t hi) {
        return lo + (int64_t) (rnd(r) % (uint64_t) (hi - lo + 1));
}

static bool chance(struct rng *r, int percent) {
        return rnd_in(r, 0, 99) < percent;
}

struct buf {
        char s[512];
        size_t n;
};

_printf_(2, 3) static void put(struct buf *b, const char *fmt, ...) {
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
        va_end(ap);
        cr_assert(k >= 0 && (size_t) k < sizeof(b->s) - b->n, "expression too long");
        b->n += (size_t) k;
}

enum field_kind { K_SEC, K_MIN, K_HOUR, K_DOM, K_MON, K_DOW };

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static const struct field_spec {
        int lo, hi;
        const char *const *names;
        int name_base;
} specs[] = {
        [K_SEC] = { 0, 59, NULL, 0 },
        [K_MIN] = { 0, 59, NULL, 0 },
        [K_HOUR] = { 0, 23, NULL, 0 },
        [K_DOM] = { 1, 31, NULL, 0 },
        [K_MON] = { 1, 12, month_names, 1 },
        [K_DOW] = { 0, 7, dow_names, 0 },
};

static void put_value(struct rng *r, struct buf *b, enum field_kind k, int v) {
        const struct field_spec *f = &specs[k];

        if (f->names && v <= (k == K_DOW ? 6 : 12) && chance(r, 30)) {
                const char *name = f->names[v - f->name_base];
                int style = (int) rnd_in(r, 0, 2); /* "mon", "MON", "Mon" */
                for (int i = 0; i < 3; i++) {
                        char ch = name[i];
                        if (style == 1 || (style == 2 && i == 0))
                                ch = (char) (ch - 'a' + 'A');
                        put(b, "%c", ch);
                }
        } else
                put(b, "%d", v);
}

/* One list item: "*", "*\/n", "v", "a-b", "a-b/n", and for weekdays "a-0" (a through Sunday). */
static void put_item(struct rng *r, struct buf *b, enum field_kind k, int star_percent) {
        const struct field_spec *f = &specs[k];
        int lo = f->lo, hi = f->hi, a, c;

        if (chance(r, star_percent)) {
                put(b, "*");
                if (chance(r, 50))
                        put(b, "/%d", (int) rnd_in(r, 1, hi - lo + 1));
                return;
        }
        a = (int) rnd_in(r, lo, hi);
        switch (rnd_in(r, 0, 5)) {
        case 0:
        case 1:
                put_value(r, b, k, a);
                break;
        case 2:
        case 3:
                c = (int) rnd_in(r, a, hi);
                put_value(r, b, k, a);
                put(b, "-");
                put_value(r, b, k, c);
                break;
        case 4:
                c = (int) rnd_in(r, a, hi);
                put(b, "%d-%d/%d", a, c, (int) rnd_in(r, 1, 10));
                break;
        default:
                if (k == K_DOW && a > 0 && a < 7)
                        put(b, "%d-0", a);
                else
                        put_value(r, b, k, a);
                break;
        }
}

static void put_field(struct rng *r, struct buf *b, enum field_kind k, int star_percent, int max_items) {
        int n = (int) rnd_in(r, 1, max_items);

        for (int i = 0; i < n; i++) {
                if (i)
                        put(b, ",");
                put_item(r, b, k, i == 0 ? star_percent : star_percent / 4);
        }
}

enum mode {
        MODE_DENSE,  /* fires often: every field likely '*' or a step */
        MODE_RANDOM, /* every field random */
        MODE_SPARSE, /* fires rarely: Feb 29, a day of a month, both day fields required */
        MODE_DST,    /* hours around a change of the zone's offset */
        _MODE_MAX,
};

static const char *const mode_names[] = { "dense", "random", "sparse", "dst" };

/* Hours whose wall times lie around the change at `ch`: the hour before it, the skipped or
 * repeated ones, the hour after. */
static void put_dst_hours(struct rng *r, struct buf *b, const struct tz *zone, int64_t ch) {
        int32_t before = tz_offset(zone, ch - 1), after = tz_offset(zone, ch);
        int64_t lo = ch + MIN(before, after), hi = ch + MAX(before, after) - 1;
        int n = (int) rnd_in(r, 1, 3);

        for (int i = 0; i < n; i++) {
                struct civil c;
                int64_t margin = chance(r, 70) ? 0 : 3600; /* mostly inside the skipped or repeated span */
                civil_from_secs(rnd_in(r, lo - margin, hi + margin), &c);
                put(b, "%s%d", i ? "," : "", c.hour);
        }
}

static void put_sparse_days(struct rng *r, struct buf *b) {
        static const char *const fixed_forms[] = {
                "29 2 *",  "29 feb */7", "31 * *",           "31 1-6 *", "30,31 2,4 *", "13 * fri",
                "*/10 2 1", "1 jan *",    "31 4,6,9,11,12 *", "29 2,3 0", "29 2 mon",
        };
        int day = (int) rnd_in(r, 1, 31), mon = (int) rnd_in(r, 1, 12), wday = (int) rnd_in(r, 0, 7);

        switch (rnd_in(r, 0, 3)) {
        case 0: /* one day of one month, possibly one that never comes */
                put(b, "%d %d *", day, mon);
                break;
        case 1: /* either that day or that weekday */
                put(b, "%d %d %d", day, mon, wday);
                break;
        case 2: /* that day, and a Sunday */
                put(b, "%d * */7", day);
                break;
        default:
                put(b, "%s", fixed_forms[rnd_in(r, 0, (int64_t) ELEMENTSOF(fixed_forms) - 1)]);
                break;
        }
}

struct prop_case {
        char expr[512];
        enum mode mode;
        int64_t after, window;
};

static void make_case(struct rng *r, const struct tz *zone, int64_t lo, int64_t hi, struct prop_case *ret) {
        static const char *const nicknames[] = {
                "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
        };
        struct buf b = { .n = 0 };
        int64_t ch = 0, after = rnd_in(r, lo, hi);
        int32_t x, y;
        bool near = chance(r, 50) && tz_next_change(zone, after, &ch, &x, &y) && ch < hi;
        enum mode mode = near && chance(r, 50) ? MODE_DST : (enum mode) rnd_in(r, 0, _MODE_MAX - 2);

        if (near) {
                static const int64_t edges[] = { -3600, -60, -1, 0, 1 };
                after = chance(r, 20) ? ch + edges[rnd_in(r, 0, (int64_t) ELEMENTSOF(edges) - 1)]
                                      : ch + rnd_in(r, -4 * 3600, 4 * 3600);
        }
        if (chance(r, 15)) {
                put(&b, "[sec:");
                put_field(r, &b, K_SEC, 30, 3);
                put(&b, "] ");
        }
        if (mode != MODE_DST && chance(r, 5)) {
                put(&b, "%s", nicknames[rnd_in(r, 0, (int64_t) ELEMENTSOF(nicknames) - 1)]);
                mode = MODE_DENSE;
        } else {
                switch (mode) {
                case MODE_DENSE:
                        put_field(r, &b, K_MIN, 60, 3);
                        put(&b, " ");
                        put_field(r, &b, K_HOUR, 60, 3);
                        put(&b, " ");
                        put_field(r, &b, K_DOM, 85, 2);
                        put(&b, " ");
                        put_field(r, &b, K_MON, 85, 2);
                        put(&b, " ");
                        put_field(r, &b, K_DOW, 70, 2);
                        break;
                case MODE_RANDOM:
                        put_field(r, &b, K_MIN, 25, 3);
                        put(&b, " ");
                        put_field(r, &b, K_HOUR, 25, 3);
                        put(&b, " ");
                        put_field(r, &b, K_DOM, 40, 3);
                        put(&b, " ");
                        put_field(r, &b, K_MON, 40, 3);
                        put(&b, " ");
                        put_field(r, &b, K_DOW, 40, 3);
                        break;
                case MODE_SPARSE:
                        put_field(r, &b, K_MIN, 10, 2);
                        put(&b, " ");
                        put_field(r, &b, K_HOUR, 10, 2);
                        put(&b, " ");
                        put_sparse_days(r, &b);
                        break;
                default:
                        put_field(r, &b, K_MIN, 20, 3);
                        put(&b, " ");
                        if (chance(r, 20))
                                put_field(r, &b, K_HOUR, 100, 1);
                        else
                                put_dst_hours(r, &b, zone, ch);
                        put(&b, chance(r, 80) ? " * * *" : " * * 0");
                        break;
                }
        }
        cr_assert_lt(b.n, sizeof(ret->expr));
        memcpy(ret->expr, b.s, b.n + 1);
        ret->mode = mode;
        ret->after = after;
        ret->window = mode == MODE_SPARSE ? 40 * YEAR : mode == MODE_RANDOM ? 3 * YEAR : 60 * DAY;
}

/* ---- the comparison --------------------------------------------------------------------- */

struct prop_stats {
        unsigned cases, second_cases, fires, beyond_window;
};

static uint64_t prop_seed(void) {
        const char *e = getenv("TOCK_PROP_SEED");
        return e && *e ? strtoull(e, NULL, 0) : PROP_SEED;
}

#define FAIL_CASE(fmt, ...)                                                                                    \
        cr_assert_fail("seed %#llx case %u (%s): '%s' in %s after %lld (%s): " fmt, (unsigned long long) seed, i, \
                       mode_names[pc->mode], pc->expr, tz_name(zone), (long long) t, test_iso(zone, t), __VA_ARGS__)

/* Compares the next FIRES_PER_CASE fire times of one case; fails saying how to replay it. */
static void check_case(uint64_t seed, unsigned i, const struct prop_case *pc, const struct tz *zone,
                       struct oracle_stats *os, struct prop_stats *st) {
        struct diag_list diags = {};
        struct sched s;
        int64_t t = pc->after, limit = pc->after + pc->window;

        cr_assert_eq(crontab_parse_expr(pc->expr, seed, &s, &diags), 0, "seed %#llx: '%s' does not parse: %s",
                     (unsigned long long) seed, pc->expr, diags.n ? diags.items[0].msg : "?");
        diag_list_done(&diags);

        struct oracle o = {
                .stats = os, .s = &s, .zone = zone, .step = s.sec == 1 ? 60 : 1, .fixed = oracle_fixed(&s),
        };
        st->cases++;
        st->second_cases += o.step == 1;
        for (int k = 0; k < FIRES_PER_CASE; k++) {
                int64_t want = 0, got = 0;
                bool found = oracle_next(&o, t, limit, &want);
                int r = sched_next(&s, t, zone, &got);
                const char *got_s = r == 0 ? test_iso(zone, got) : strerror(-r);

                if (!found) {
                        if (!(r == -ENOENT || (r == 0 && got > limit)))
                                FAIL_CASE("oracle: nothing up to %s, sched_next: %s", test_iso(zone, limit), got_s);
                        st->beyond_window++;
                        return;
                }
                if (r == 0 && got == want) {
                        st->fires++;
                        t = got;
                        continue;
                }
                FAIL_CASE("oracle %s, sched_next %s", test_iso(zone, want), got_s);
        }
}

/* Runs `n` random cases in `zone` with starts in [lo, hi). `dst`: the zone has small changes,
 * and the cases must have exercised both halves of the rule. */
/* TOCK_PROP_SCALE (e.g. 0.05) shrinks the number of cases, for runs under valgrind. */
static double prop_scale(void) {
        const char *e = getenv("TOCK_PROP_SCALE");
        double f = e && *e ? strtod(e, NULL) : 1.0;
        return f > 0 && f <= 1 ? f : 1.0;
}

static void check_zone(const char *zone_name, unsigned n, int64_t lo, int64_t hi, bool dst) {
        const struct tz *zone = test_zone(zone_name);
        uint64_t seed = prop_seed();
        struct rng r = { .s = seed };
        struct prop_stats st = { 0 };
        struct oracle_stats os = { 0 };

        double scale = prop_scale();

        n = (unsigned) (n * scale) + 1;
        for (size_t k = 0; zone_name[k]; k++) /* each zone its own stream */
                r.s = r.s * 31 + (unsigned char) zone_name[k];
        for (unsigned i = 0; i < n; i++) {
                struct prop_case pc;

                make_case(&r, zone, lo, hi, &pc);
                check_case(seed, i, &pc, zone, &os, &st);
        }
        cr_log_info("%s: seed %#llx: %u cases (%u by the second), %u fire times agreed (%u at a spring-forward "
                    "change, %u repeats held back), %u cases went past their window",
                    zone_name, (unsigned long long) seed, st.cases, st.second_cases, st.fires, os.gap_fires,
                    os.fold_suppressed, st.beyond_window);
        if (dst && scale == 1.0) {
                cr_expect_gt(os.gap_fires, n / 250, "%s: too few cases ran a skipped job at the change", zone_name);
                cr_expect_gt(os.fold_suppressed, n / 250, "%s: too few cases held back a repeated wall time", zone_name);
        }
}

#define Y1990 INT64_C(631152000)  /* 1990-01-01T00:00:00Z */
#define Y2020 INT64_C(1577836800) /* 2020-01-01T00:00:00Z */
#define Y2100 INT64_C(4102444800) /* 2100-01-01T00:00:00Z */

Test(sched_prop, agrees_with_brute_force_in_utc) {
        check_zone("UTC", CASES_PER_ZONE, Y1990, Y2100, false);
}

Test(sched_prop, agrees_with_brute_force_in_new_york) {
        check_zone("America/New_York", CASES_PER_ZONE, Y1990, Y2100, true);
}

Test(sched_prop, agrees_with_brute_force_in_new_york_after_2100) {
        /* far from the zone's table: the POSIX rule of its footer decides */
        check_zone("America/New_York", CASES_PER_ZONE / 4, Y2100, INT64_C(16725225600) /* 2500 */, true);
}

Test(sched_prop, agrees_with_brute_force_in_berlin) {
        check_zone("Europe/Berlin", CASES_PER_ZONE, Y1990, Y2100, true);
}

Test(sched_prop, agrees_with_brute_force_in_lord_howe) {
        check_zone("Australia/Lord_Howe", CASES_PER_ZONE, Y1990, Y2100, true);
}

Test(sched_prop, agrees_with_brute_force_in_kolkata) {
        check_zone("Asia/Kolkata", CASES_PER_ZONE, Y1990, Y2100, false);
}

Test(sched_prop, agrees_with_brute_force_in_sao_paulo) {
        /* changes at midnight (00:00 -> 01:00, and 00:00 -> 23:00 the day before) until 2019 */
        check_zone("America/Sao_Paulo", CASES_PER_ZONE, Y1990, Y2020, true);
}

Test(sched_prop, agrees_with_brute_force_in_apia) {
        /* small changes from 2010 to 2021, and the 24 h jump of 2011-12-30 */
        check_zone("Pacific/Apia", CASES_PER_ZONE, Y1990, Y2100, false);
}

Test(sched_prop, agrees_with_brute_force_in_apia_2010_to_2021) {
        check_zone("Pacific/Apia", CASES_PER_ZONE, INT64_C(1262304000), INT64_C(1609459200), true);
}

Test(sched_prop, agrees_with_brute_force_in_troll) {
        check_zone("Antarctica/Troll", CASES_PER_ZONE, Y1990, Y2100, true);
}

Test(sched_prop, agrees_with_brute_force_around_a_4h_shift) {
        /* a correction both ways: no special treatment */
        check_zone("posix:<-02>2<+02>-2,M3.5.0/2,M10.5.0/3", CASES_PER_ZONE, Y1990, Y2100, false);
}

Test(sched_prop, oracle_applies_the_dst_rule) {
        /* the oracle itself, on hand-checked cases: it must not merely mirror sched_next */
        static const struct {
                const char *zone, *expr, *after, *want;
        } cases[] = {
                { "America/New_York", "30 2 * * *", "2026-03-08 01:00", "2026-03-08 03:00 -04:00" },
                { "America/New_York", "10 * * * *", "2026-03-08 01:30", "2026-03-08 03:10" },
                { "America/New_York", "30 1 * * *", "2026-11-01 01:30 -04:00", "2026-11-02 01:30" },
                { "America/New_York", "30 1 * * *", "2026-11-01 01:10 -05:00", "2026-11-02 01:30" },
                { "America/New_York", "30 * * * *", "2026-11-01 01:30 -04:00", "2026-11-01 01:30 -05:00" },
                { "America/New_York", "[sec:30] 30 2 * * *", "2026-03-08 01:00", "2026-03-08 03:00 -04:00" },
                { "America/New_York", "30 2 * * *", "2026-03-08 01:59:59", "2026-03-08 03:00 -04:00" },
                { "Australia/Lord_Howe", "15 2 * * *", "2025-10-05 01:00", "2025-10-05 02:30 +11:00" },
                { "Pacific/Apia", "0 12 * * *", "2011-12-29 13:00", "2011-12-31 12:00" },
                { "posix:<-02>2<+02>-2,M3.5.0/2,M10.5.0/3", "30 1 * * *", "2026-10-25 01:30 +02:00",
                  "2026-10-25 01:30 -02:00" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct tz *zone = test_zone(cases[i].zone);
                struct sched s = test_sched(cases[i].expr);
                struct oracle_stats os = { 0 };
                struct oracle o = {
                        .stats = &os, .s = &s, .zone = zone, .step = s.sec == 1 ? 60 : 1, .fixed = oracle_fixed(&s),
                };
                int64_t after = test_at(zone, cases[i].after), got = 0;

                cr_assert(oracle_next(&o, after, after + 3 * DAY, &got), "%s", cases[i].expr);
                cr_assert_eq(got, test_at(zone, cases[i].want), "%s in %s: the oracle says %s", cases[i].expr,
                             cases[i].zone, test_iso(zone, got));
        }
}
