/* common/sched.c: next fire time from bit masks, on wall-clock time, with cron(8)'s DST rule.
 *
 * The search never steps minute by minute: it works field by field from the month down, jumping
 * to the next set bit of each mask. Time zones enter only through tz_offset() and
 * tz_next_change(): the timeline is cut into spans of constant UTC offset, and in each span the
 * wall clock is a plain linear count of seconds ("wall seconds"). */
#include <errno.h>

#include "sched.h"
#include "util.h"

#define MIN_AFTER (-62135596800LL)   /* 0001-01-01T00:00:00Z */
#define MAX_AFTER (253402300799LL)   /* 9999-12-31T23:59:59Z */
#define SEARCH_YEARS 401             /* the Gregorian calendar repeats every 400 years */

/* Lowest set bit of `mask` at position >= from, or -1. */
static int next_bit(uint64_t mask, int from) {
        if (from >= 64)
                return -1;
        mask &= ~0ULL << from;
        return mask ? __builtin_ctzll(mask) : -1;
}

bool sched_day_matches(const struct sched *s, int mday, int mon, int wday) {
        bool dom = s->dom & (1u << mday), dow = s->dow & (1u << wday);

        if (!(s->mon & (1u << mon)))
                return false;
        if (s->flags & (SCHED_DOM_STAR | SCHED_DOW_STAR))
                return dom && dow;
        return dom || dow;
}

bool sched_matches(const struct sched *s, const struct civil *c) {
        return (s->sec >> c->sec & 1) && (s->min >> c->min & 1) && (s->hour >> c->hour & 1) &&
               sched_day_matches(s, c->mday, c->mon, c->wday);
}

bool sched_never(const struct sched *s) {
        static const uint8_t max_days[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        if (s->flags & SCHED_REBOOT)
                return false;
        if (!s->sec || !s->min || !s->hour || !s->mon || !s->dom || !s->dow)
                return true;
        if (!(s->flags & (SCHED_DOM_STAR | SCHED_DOW_STAR)))
                return false; /* either day field is enough, and every weekday comes round */
        /* Both day fields must match: some allowed day must exist in some allowed month; every
         * date, Feb 29 included, falls on each weekday within 400 years. */
        for (int m = 1; m <= 12; m++)
                if ((s->mon >> m & 1) && (s->dom & (((2u << max_days[m]) - 1) & ~1u)))
                        return false;
        return true;
}

/* Advances c to the start of the next day; keeps *days in step. */
static void next_day(struct civil *c, int64_t *days) {
        (*days)++;
        c->hour = c->min = c->sec = 0;
        c->wday = (c->wday + 1) % 7;
        if (++c->mday > civil_month_days(c->year, c->mon)) {
                c->mday = 1;
                if (++c->mon > 12) {
                        c->mon = 1;
                        c->year++;
                }
        }
}

/* The first wall-clock second in [lo, hi) that matches s. Returns false if none. */
static bool find_wall(const struct sched *s, int64_t lo, int64_t hi, int64_t *ret) {
        struct civil c;
        int64_t days, last_year;
        bool both = s->flags & (SCHED_DOM_STAR | SCHED_DOW_STAR);

        if (lo >= hi)
                return false;
        civil_from_secs(lo, &c);
        days = floor_div(lo, 86400);
        last_year = c.year + SEARCH_YEARS;
        for (;;) {
                if (days * 86400 >= hi || c.year > last_year)
                        return false;
                if (!(s->mon >> c.mon & 1)) {
                        int m = next_bit(s->mon, c.mon + 1);
                        if (m < 0) {
                                c.year++;
                                m = next_bit(s->mon, 1);
                        }
                        c.mon = m;
                        c.mday = 1;
                        c.hour = c.min = c.sec = 0;
                        days = civil_to_days(c.year, c.mon, 1);
                        c.wday = civil_wday(days);
                        continue;
                }
                if (both && !(s->dom >> c.mday & 1)) {
                        /* both fields must match: jump straight to the next allowed day */
                        int d = next_bit(s->dom, c.mday + 1);
                        if (d < 0 || d > civil_month_days(c.year, c.mon)) {
                                c.mday = civil_month_days(c.year, c.mon);
                                days = civil_to_days(c.year, c.mon, c.mday);
                                c.wday = civil_wday(days);
                                next_day(&c, &days);
                        } else {
                                days += d - c.mday;
                                c.wday = civil_wday(days);
                                c.mday = d;
                                c.hour = c.min = c.sec = 0;
                        }
                        continue;
                }
                if (!sched_day_matches(s, c.mday, c.mon, c.wday)) {
                        next_day(&c, &days);
                        continue;
                }
                int h = next_bit(s->hour, c.hour);
                if (h < 0) {
                        next_day(&c, &days);
                        continue;
                }
                if (h != c.hour) {
                        c.hour = h;
                        c.min = c.sec = 0;
                }
                int m = next_bit(s->min, c.min);
                if (m < 0) {
                        c.min = 60; /* carry into the next hour */
                } else {
                        if (m != c.min) {
                                c.min = m;
                                c.sec = 0;
                        }
                        int sc = next_bit(s->sec, c.sec);
                        if (sc >= 0) {
                                c.sec = sc;
                                int64_t w = days * 86400 + c.hour * 3600 + c.min * 60 + c.sec;
                                if (w >= hi)
                                        return false;
                                *ret = w;
                                return true;
                        }
                        c.min++;
                        c.sec = 0;
                }
                if (c.min >= 60) {
                        c.min = 0;
                        c.sec = 0;
                        if (++c.hour >= 24)
                                next_day(&c, &days);
                }
        }
}

/* For fixed-time entries after a small fall-back change: the wall times below the returned bound
 * were already lived through before the change, so they must not fire again. */
static int64_t fold_floor(const struct tz *zone, int64_t t) {
        int64_t at;
        int32_t before, after;

        if (tz_next_change(zone, t - SCHED_SMALL_JUMP, &at, &before, &after) && at <= t && before > after &&
            before - after < SCHED_SMALL_JUMP)
                return at + before;
        return INT64_MIN;
}

int sched_next(const struct sched *s, int64_t after, const struct tz *zone, int64_t *ret_at) {
        bool fixed = sched_is_fixed_time(s);
        int64_t t, change, w;
        int32_t before, after_off;

        if (after < MIN_AFTER || after > MAX_AFTER)
                return -ERANGE;
        if ((s->flags & SCHED_REBOOT) || sched_never(s))
                return -ENOENT;
        t = after + 1;
        /* A change at t itself: its skipped interval comes before every wall time of the span
         * that starts at t, which the loop below looks at first. */
        if (fixed && tz_next_change(zone, after, &change, &before, &after_off) && change == t && after_off > before &&
            after_off - before < SCHED_SMALL_JUMP && find_wall(s, change + before, change + after_off, &w)) {
                *ret_at = change;
                return 0;
        }

        /* The next matching wall time w is found once, ignoring the zone; then the spans of
         * constant offset [t, change) are walked until one contains w. A span costs one
         * tz_next_change(); w is searched again only when the wall clock goes back (a repeated
         * interval may hold earlier matches) or w fell into a skipped interval. A zone changes its
         * offset a few times a year, and every schedule that can fire does so within 400 years. */
        int32_t off = tz_offset(zone, t);
        int64_t lo = t + off;
        if (fixed)
                lo = MAX(lo, fold_floor(zone, t));
        if (!find_wall(s, lo, INT64_MAX, &w))
                return -ENOENT;
        for (unsigned round = 0; round < 4 * SEARCH_YEARS; round++) {
                bool more = tz_next_change(zone, t, &change, &before, &after_off);

                if (!more || w < change + off) {
                        *ret_at = w - off;
                        return 0;
                }
                /* w lies past this span. Spring forward by less than 3 hours: a fixed-time entry
                 * whose wall time falls in the skipped interval runs once, at the change (cron(8)). */
                if (fixed && after_off > before && after_off - before < SCHED_SMALL_JUMP && w < change + after_off) {
                        *ret_at = change;
                        return 0;
                }
                t = change;
                off = after_off;
                lo = t + off;
                if (fixed && before > after_off && before - after_off < SCHED_SMALL_JUMP)
                        lo = change + before; /* fall back: the repeated interval ran already */
                if (w < lo || (after_off < before && lo < change + before)) {
                        if (!find_wall(s, lo, INT64_MAX, &w))
                                return -ENOENT;
                }
        }
        return -ENOENT;
}

int sched_after_jump(const struct sched *s, int64_t planned_at, int64_t before, int64_t now, const struct tz *zone,
                     int64_t *ret_at) {
        int64_t delta;
        bool small;

        if (s->flags & SCHED_REBOOT)
                return -ENOENT;
        if (now < MIN_AFTER || now > MAX_AFTER || before < MIN_AFTER || before > MAX_AFTER)
                return -ERANGE;
        delta = now - before;
        small = delta > -SCHED_SMALL_JUMP && delta < SCHED_SMALL_JUMP;

        if (small && sched_is_fixed_time(s)) {
                if (delta >= 0 && planned_at <= now) {
                        *ret_at = now; /* skipped by the jump: run once, now */
                        return 0;
                }
                if (delta < 0) {
                        *ret_at = planned_at; /* times between now and before already ran */
                        return 0;
                }
                if (planned_at > now) {
                        *ret_at = planned_at;
                        return 0;
                }
        }
        /* wildcard entries, and everything after a large jump: follow the new time at once */
        return sched_next(s, now - 1, zone, ret_at);
}
