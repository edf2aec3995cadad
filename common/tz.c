/* common/tz.c: time zones from TZif data (RFC 8536) and POSIX TZ strings.
 *
 * A zone is kept as the list of instants where its UTC offset changes (transitions that change
 * only the abbreviation or the DST flag are dropped at construction), the offset before the first
 * of them, and optionally a POSIX rule (the TZif footer) that decides from the file's last
 * transition on. A lookup is a binary search in the list, or, past it, the two transitions of
 * one rule year computed with civil.h arithmetic: no allocation, no cache, no global state, no
 * libc time functions. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"
#include "util.h"

#define SECS_PER_DAY 86400
#define SECS_PER_HOUR 3600

/* RFC 8536 3.2: utoff "SHOULD be in the range -89999 through 93599" (about -25 h to +26 h). The
 * bound also keeps every offset below a day, which tz_local() relies on. */
#define TZ_UTOFF_MIN (-89999)
#define TZ_UTOFF_MAX 93599

/* Rule arithmetic is exact within ±2^56 s (about ±2.28 billion years); instants beyond are
 * answered as at the bound, and no change is reported past it. Keeps every product in range. */
#define TZ_RULE_AT_MAX (INT64_C(1) << 56)

enum tz_date_kind {
        TZ_DATE_JULIAN1, /* Jn: day 1..365 of the year, February 29 never counted */
        TZ_DATE_JULIAN0, /* n: day 0..365 of the year, February 29 counted */
        TZ_DATE_MONTH,   /* Mm.w.d: weekday d of week w (5 = last) of month m */
};

/* One transition date of a POSIX rule. */
struct tz_date {
        enum tz_date_kind kind;
        int day;          /* JULIAN1, JULIAN0 */
        int mon, week, wday;
        int32_t time;     /* local time of day of the change, -167 h..+167 h (RFC 8536 3.3.1) */
        int64_t delta;    /* seconds from 00:00 UTC of the rule's day to the change */
};

struct tz_rule {
        int32_t std_off, dst_off; /* east positive */
        bool varies;              /* has a DST part with an offset different from std */
        bool tame;                /* every change of rule year y falls inside UTC year y */
        struct tz_date start;     /* std → dst, time given in std local time */
        struct tz_date end;       /* dst → std, time given in dst local time */
};

struct tz {
        char *name;
        size_t n_changes;
        int64_t *change_at;  /* ascending instants where the offset changes… */
        int32_t *change_off; /* …and the offset from each of them on */
        int32_t initial_off; /* the offset before change_at[0] (or always, with no changes and no rule) */
        bool has_rule;
        int64_t rule_from;   /* the rule decides at and after this instant */
        struct tz_rule rule;
};

/* Days before month m (1-based) in a common year. */
static const int16_t tz_days_before_month[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };

/* ---- instants and years ---- */

/* Splits an instant into a day number and the seconds into that day, without overflow. */
static inline int64_t tz_split_day(int64_t at, int64_t *ret_secs) {
        int64_t days = at / SECS_PER_DAY, secs = at % SECS_PER_DAY;
        if (secs < 0) {
                secs += SECS_PER_DAY;
                days--;
        }
        *ret_secs = secs;
        return days;
}

/* A calendar year as rule arithmetic needs it. */
struct tz_year {
        int64_t y;
        int64_t jan1; /* day number of January 1 */
        bool leap;
};

/* The UTC year of an instant (civil_from_days(), stopping at the year). */
static inline void tz_year_of(int64_t at, struct tz_year *ret) {
        int64_t secs, days = tz_split_day(at, &secs);
        int64_t z = days + 719468;
        int64_t era = floor_div(z, 146097);
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* days since March 1 */
        int64_t y = yoe + era * 400;

        if (doy >= 306) { /* January or February of y + 1, which began 306 days after March 1 */
                ret->y = y + 1;
                ret->leap = civil_is_leap(y + 1);
                ret->jan1 = days - (doy - 306);
        } else {
                ret->y = y;
                ret->leap = civil_is_leap(y);
                ret->jan1 = days - doy - 59 - ret->leap;
        }
}

static inline void tz_year_step(struct tz_year *ry, int dir) {
        if (dir > 0) {
                ry->jan1 += 365 + ry->leap;
                ry->leap = civil_is_leap(++ry->y);
        } else {
                ry->leap = civil_is_leap(--ry->y);
                ry->jan1 -= 365 + ry->leap;
        }
}

static inline int64_t tz_clamp_rule_at(int64_t at) {
        return at > TZ_RULE_AT_MAX ? TZ_RULE_AT_MAX : at < -TZ_RULE_AT_MAX ? -TZ_RULE_AT_MAX : at;
}

/* ---- POSIX rules ---- */

/* The instant of `d` in year `ry`. */
static inline int64_t tz_date_at(const struct tz_date *d, const struct tz_year *ry) {
        int64_t doy;

        switch (d->kind) {
        case TZ_DATE_JULIAN1:
                doy = d->day - 1 + (ry->leap && d->day >= 60);
                break;
        case TZ_DATE_JULIAN0:
                doy = d->day;
                break;
        default: {
                int first = tz_days_before_month[d->mon - 1] + (ry->leap && d->mon > 2);
                int mday0 = (d->wday - civil_wday(ry->jan1 + first) + 7) % 7 + (d->week - 1) * 7;
                if (mday0 >= civil_month_days(ry->leap ? 2000 : 2001, d->mon))
                        mday0 -= 7; /* week 5 means the last one, which may be the 4th */
                doy = first + mday0;
                break;
        }
        }
        return (ry->jan1 + doy) * SECS_PER_DAY + d->delta;
}

/* The start (std → dst) and end (dst → std) instants of rule year `ry`. */
static inline void tz_rule_year(const struct tz_rule *r, const struct tz_year *ry, int64_t *ret_start,
                                int64_t *ret_end) {
        *ret_start = tz_date_at(&r->start, ry);
        *ret_end = tz_date_at(&r->end, ry);
}

/* DST at `at`, knowing only the start and end of its own year: right for tame rules. */
static inline bool tz_in_year_is_dst(int64_t at, int64_t s, int64_t e) {
        if (s < e)
                return at >= s && at < e;
        if (s > e)
                return !(at >= e && at < s);
        return false; /* DST starts and ends at the same instant: none (glibc agrees) */
}

/* Changes stray less than this out of their year: a date in the year, plus a time of day of
 * at most ±(167:59:59 + 26 h) (RFC 8536 3.3.1 and the utoff bounds). */
#define TZ_STRAY_DAYS 10

/* Rules that are not tame (none in tzdata; see tz_rule_finish()): the state is the one set by
 * the latest change at or before `at`, a start winning over an end at the same instant, so that
 * RFC 8536's "EST5EDT4,0/0,J365/25" (an end touching the next start) means DST all year round,
 * as 3.3.1 asks. The changes of year y - 2 all lie before any instant of year y, and those of
 * y + 2 after it. */
static bool tz_wild_is_dst(const struct tz_rule *r, int64_t at) {
        struct tz_year ry;
        int64_t best = INT64_MIN;
        bool dst = false;

        tz_year_of(at, &ry);
        tz_year_step(&ry, -1);
        tz_year_step(&ry, -1);
        for (int i = 0; i < 4; i++) {
                int64_t s, e;
                tz_rule_year(r, &ry, &s, &e);
                if (e <= at && e > best) {
                        best = e;
                        dst = false;
                }
                if (s <= at && s >= best) {
                        best = s;
                        dst = true;
                }
                tz_year_step(&ry, 1);
        }
        return dst;
}

/* Whether DST is in force at `at` (already clamped). For tame rules, from the two changes of
 * the UTC year of `at`, as glibc does. */
static bool tz_rule_is_dst(const struct tz_rule *r, int64_t at) {
        struct tz_year ry;
        int64_t s, e;

        if (!r->tame)
                return tz_wild_is_dst(r, at);
        tz_year_of(at, &ry);
        tz_rule_year(r, &ry, &s, &e);
        return tz_in_year_is_dst(at, s, e);
}

static inline int32_t tz_rule_offset(const struct tz_rule *r, int64_t at) {
        if (!r->varies)
                return r->std_off;
        return tz_rule_is_dst(r, tz_clamp_rule_at(at)) ? r->dst_off : r->std_off;
}

/* Tame rules: year k's changes lie in UTC year k and alternate with those of other years. */
static bool tz_tame_next(const struct tz_rule *r, int64_t at, int64_t *ret_at, bool *ret_dst) {
        struct tz_year ry;
        int64_t s, e;
        bool dst;

        tz_year_of(at, &ry);
        tz_rule_year(r, &ry, &s, &e);
        dst = tz_in_year_is_dst(at, s, e);
        for (int i = 0; i < 2; i++) {
                int64_t first = MIN(s, e), second = MAX(s, e);
                if (first > at && (first == s) != dst) {
                        *ret_at = first;
                        *ret_dst = dst;
                        return true;
                }
                if (second > at && (second == s) != dst) {
                        *ret_at = second;
                        *ret_dst = dst;
                        return true;
                }
                tz_year_step(&ry, 1);
                tz_rule_year(r, &ry, &s, &e);
        }
        return false;
}

struct tz_event {
        int64_t at;
        bool start;
};

static inline bool tz_event_before(const struct tz_event *a, const struct tz_event *b) {
        return a->at < b->at || (a->at == b->at && !a->start && b->start);
}

/* Other rules: sweep the changes of years y - 1 to y + 3 in order (an end before a start at the
 * same instant, so that the start wins) for the first after `at` that leaves another state. The
 * list holds every change before TZ_STRAY_DAYS ahead of year y + 4, more than three years. */
static bool tz_wild_next(const struct tz_rule *r, int64_t at, int64_t *ret_at, bool *ret_dst) {
        struct tz_event ev[10];
        struct tz_year ry;
        bool dst = tz_wild_is_dst(r, at);

        tz_year_of(at, &ry);
        tz_year_step(&ry, -1);
        for (size_t i = 0; i < ELEMENTSOF(ev); i += 2) {
                int64_t s, e;
                tz_rule_year(r, &ry, &s, &e);
                ev[i] = (struct tz_event) { s, true };
                ev[i + 1] = (struct tz_event) { e, false };
                tz_year_step(&ry, 1);
        }
        int64_t complete_until = (ry.jan1 - TZ_STRAY_DAYS) * SECS_PER_DAY; /* ry is now year y + 4 */

        for (size_t i = 1; i < ELEMENTSOF(ev); i++) /* insertion sort */
                for (size_t j = i; j > 0 && tz_event_before(&ev[j], &ev[j - 1]); j--) {
                        struct tz_event t = ev[j];
                        ev[j] = ev[j - 1];
                        ev[j - 1] = t;
                }
        for (size_t i = 0; i < ELEMENTSOF(ev) && ev[i].at < complete_until; i++) {
                if (ev[i].at <= at || (i + 1 < ELEMENTSOF(ev) && ev[i + 1].at == ev[i].at))
                        continue; /* the last of the changes at one instant decides */
                if (ev[i].start != dst) {
                        *ret_at = ev[i].at;
                        *ret_dst = dst;
                        return true;
                }
        }
        return false;
}

/* The first instant after `at` where the rule's DST state changes, looking one to three years
 * ahead: a rule that does not change within them never does. Also says whether DST is in force
 * at `at`, hence until the change. */
static bool tz_rule_next(const struct tz_rule *r, int64_t at, int64_t *ret_at, bool *ret_dst) {
        int64_t next = 0;
        bool found;

        if (!r->varies || at >= TZ_RULE_AT_MAX)
                return false;
        at = tz_clamp_rule_at(at);
        found = r->tame ? tz_tame_next(r, at, &next, ret_dst) : tz_wild_next(r, at, &next, ret_dst);
        if (!found || next > TZ_RULE_AT_MAX) /* beyond, the offset stays the one at the bound */
                return false;
        *ret_at = next;
        return true;
}

/* Range of the seconds from 00:00 UTC of January 1 to the change of `d`, over every year. */
static void tz_date_range(const struct tz_date *d, int64_t *ret_min, int64_t *ret_max) {
        int64_t lo, hi;

        switch (d->kind) {
        case TZ_DATE_JULIAN1:
                lo = d->day - 1;
                hi = d->day - 1 + (d->day >= 60);
                break;
        case TZ_DATE_JULIAN0:
                lo = hi = d->day;
                break;
        default:
                lo = tz_days_before_month[d->mon - 1];
                hi = lo + (d->mon > 2);
                if (d->week < 5) {
                        lo += (d->week - 1) * 7;
                        hi += (d->week - 1) * 7 + 6;
                } else {
                        lo += civil_month_days(2001, d->mon) - 7;
                        hi += civil_month_days(2000, d->mon) - 1;
                }
                break;
        }
        *ret_min = lo * SECS_PER_DAY + d->delta;
        *ret_max = hi * SECS_PER_DAY + d->delta;
}

static void tz_rule_finish(struct tz_rule *r) {
        int64_t smin, smax, emin, emax;

        r->start.delta = r->start.time - r->std_off;
        r->end.delta = r->end.time - r->dst_off;
        tz_date_range(&r->start, &smin, &smax);
        tz_date_range(&r->end, &emin, &emax);
        /* Tame: in every year, both changes fall inside the UTC year and come in the same order;
         * then each UTC year alone decides its instants, which is also what glibc computes. */
        r->tame = smin >= 0 && emin >= 0 && smax < 365 * SECS_PER_DAY && emax < 365 * SECS_PER_DAY &&
                  (smax < emin || emax < smin);
}

/* ---- POSIX TZ string parser ---- */

struct tz_cursor {
        const char *p, *end;
};

static inline char tz_peek(const struct tz_cursor *c) {
        return c->p < c->end ? *c->p : '\0';
}

static inline bool tz_is_digit(char ch) {
        return ch >= '0' && ch <= '9';
}

static inline bool tz_is_alpha(char ch) {
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool tz_accept(struct tz_cursor *c, char ch) {
        if (tz_peek(c) != ch)
                return false;
        c->p++;
        return true;
}

/* A zone abbreviation: 3 or more letters, or <3 or more of [A-Za-z0-9+-]> (POSIX). */
static int tz_parse_name(struct tz_cursor *c) {
        size_t n = 0;

        if (tz_accept(c, '<')) {
                while (tz_is_alpha(tz_peek(c)) || tz_is_digit(tz_peek(c)) || tz_peek(c) == '+' || tz_peek(c) == '-') {
                        c->p++;
                        n++;
                }
                if (!tz_accept(c, '>'))
                        return -EINVAL;
        } else
                while (tz_is_alpha(tz_peek(c))) {
                        c->p++;
                        n++;
                }
        return n >= 3 ? 0 : -EINVAL;
}

/* A decimal number of 1 to `max_digits` digits, in [min, max]. */
static int tz_parse_uint(struct tz_cursor *c, int max_digits, int min, int max, int *ret) {
        int v = 0, n = 0;

        while (tz_is_digit(tz_peek(c))) {
                if (++n > max_digits)
                        return -EINVAL;
                v = v * 10 + (*c->p++ - '0');
        }
        if (n == 0 || v < min || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* [+-]hh[:mm[:ss]] in seconds, hours at most `max_hours`. */
static int tz_parse_hms(struct tz_cursor *c, int max_hours, int32_t *ret) {
        int h, m = 0, s = 0, sign = 1, r;

        if (tz_accept(c, '-'))
                sign = -1;
        else
                (void) tz_accept(c, '+');
        r = tz_parse_uint(c, 3, 0, max_hours, &h);
        if (r >= 0 && tz_accept(c, ':')) {
                r = tz_parse_uint(c, 2, 0, 59, &m);
                if (r >= 0 && tz_accept(c, ':'))
                        r = tz_parse_uint(c, 2, 0, 59, &s);
        }
        if (r < 0)
                return r;
        *ret = sign * (h * SECS_PER_HOUR + m * 60 + s);
        return 0;
}

/* A UTC offset as POSIX writes it (west positive), returned east positive. */
static int tz_parse_offset(struct tz_cursor *c, int32_t *ret) {
        int32_t v;
        int r;

        r = tz_parse_hms(c, 24, &v);
        if (r < 0)
                return r;
        if (-v < TZ_UTOFF_MIN || -v > TZ_UTOFF_MAX)
                return -EINVAL;
        *ret = -v;
        return 0;
}

/* Jn, n or Mm.w.d, then an optional /time (RFC 8536 3.3.1: -167..167 hours); time defaults to 02:00. */
static int tz_parse_date(struct tz_cursor *c, struct tz_date *ret) {
        struct tz_date d = { .time = 2 * SECS_PER_HOUR };
        int r;

        if (tz_accept(c, 'J')) {
                d.kind = TZ_DATE_JULIAN1;
                r = tz_parse_uint(c, 3, 1, 365, &d.day);
        } else if (tz_accept(c, 'M')) {
                d.kind = TZ_DATE_MONTH;
                r = tz_parse_uint(c, 2, 1, 12, &d.mon);
                if (r >= 0)
                        r = tz_accept(c, '.') ? tz_parse_uint(c, 1, 1, 5, &d.week) : -EINVAL;
                if (r >= 0)
                        r = tz_accept(c, '.') ? tz_parse_uint(c, 1, 0, 6, &d.wday) : -EINVAL;
        } else {
                d.kind = TZ_DATE_JULIAN0;
                r = tz_parse_uint(c, 3, 0, 365, &d.day);
        }
        if (r < 0)
                return r;
        if (tz_accept(c, '/')) {
                r = tz_parse_hms(c, 167, &d.time);
                if (r < 0)
                        return r;
        }
        *ret = d;
        return 0;
}

/* std offset [dst [offset] [,start[/time],end[/time]]], the whole of [p, end). */
static int tz_parse_rule(const char *p, const char *end, struct tz_rule *ret) {
        struct tz_cursor c = { p, end };
        struct tz_rule rule = {};
        int r;

        r = tz_parse_name(&c);
        if (r < 0)
                return r;
        r = tz_parse_offset(&c, &rule.std_off);
        if (r < 0)
                return r;
        if (c.p == c.end) {
                rule.dst_off = rule.std_off;
                *ret = rule;
                return 0;
        }

        r = tz_parse_name(&c);
        if (r < 0)
                return r;
        rule.dst_off = rule.std_off + SECS_PER_HOUR;
        if (c.p < c.end && tz_peek(&c) != ',') {
                r = tz_parse_offset(&c, &rule.dst_off);
                if (r < 0)
                        return r;
        }
        if (tz_accept(&c, ',')) {
                r = tz_parse_date(&c, &rule.start);
                if (r < 0)
                        return r;
                if (!tz_accept(&c, ','))
                        return -EINVAL;
                r = tz_parse_date(&c, &rule.end);
                if (r < 0)
                        return r;
        } else {
                /* No rule: the US rule since 2007, as glibc assumes without a posixrules file. */
                rule.start = (struct tz_date) { .kind = TZ_DATE_MONTH, .mon = 3, .week = 2, .time = 2 * SECS_PER_HOUR };
                rule.end = (struct tz_date) { .kind = TZ_DATE_MONTH, .mon = 11, .week = 1, .time = 2 * SECS_PER_HOUR };
        }
        if (c.p != c.end)
                return -EINVAL;
        if (rule.dst_off < TZ_UTOFF_MIN || rule.dst_off > TZ_UTOFF_MAX)
                return -EINVAL;

        rule.varies = rule.dst_off != rule.std_off;
        tz_rule_finish(&rule);
        *ret = rule;
        return 0;
}

/* ---- construction ---- */

struct tz *tz_free(struct tz *zone) {
        if (!zone)
                return NULL;
        free(zone->name);
        free(zone->change_at);
        free(zone->change_off);
        free(zone);
        return NULL;
}

static struct tz *tz_new(const char *name, size_t max_changes) {
        _cleanup_(tz_freep) struct tz *z = NULL;

        z = calloc(1, sizeof(*z));
        if (!z)
                return NULL;
        z->name = strdup(name ?: "");
        if (!z->name)
                return NULL;
        if (max_changes > 0) {
                z->change_at = calloc(max_changes, sizeof(*z->change_at));
                z->change_off = calloc(max_changes, sizeof(*z->change_off));
                if (!z->change_at || !z->change_off)
                        return NULL;
        }
        return TAKE_PTR(z);
}

int tz_from_posix(const char *name, const char *spec, struct tz **ret_zone) {
        struct tz_rule rule;
        struct tz *z;
        int r;

        if (!spec)
                return -EINVAL;
        r = tz_parse_rule(spec, spec + strlen(spec), &rule);
        if (r < 0)
                return r;
        z = tz_new(name ?: spec, 0);
        if (!z)
                return -ENOMEM;
        z->initial_off = rule.std_off;
        z->has_rule = true;
        z->rule_from = INT64_MIN;
        z->rule = rule;
        *ret_zone = z;
        return 0;
}

/* ---- TZif (RFC 8536) ---- */

#define TZIF_HEADER_SIZE 44

struct tzif_header {
        uint8_t version; /* 0 for version 1, else '2', '3', '4' */
        uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

struct tzif_reader {
        const uint8_t *p, *end;
};

static inline uint32_t tzif_be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static inline int64_t tzif_be64(const uint8_t *p) {
        return (int64_t) ((uint64_t) tzif_be32(p) << 32 | tzif_be32(p + 4));
}

/* Hands out the next `n` bytes, or NULL when fewer are left. */
static const uint8_t *tzif_take(struct tzif_reader *rd, uint64_t n) {
        const uint8_t *p = rd->p;

        if (n > (uint64_t) (rd->end - rd->p))
                return NULL;
        rd->p += n;
        return p;
}

static int tzif_read_header(struct tzif_reader *rd, struct tzif_header *ret) {
        const uint8_t *p = tzif_take(rd, TZIF_HEADER_SIZE);
        struct tzif_header h;

        if (!p || memcmp(p, "TZif", 4) != 0)
                return -EINVAL;
        h.version = p[4];
        if (h.version != 0 && (h.version < '2' || h.version > '4'))
                return -EINVAL;
        h.isutcnt = tzif_be32(p + 20);
        h.isstdcnt = tzif_be32(p + 24);
        h.leapcnt = tzif_be32(p + 28);
        h.timecnt = tzif_be32(p + 32);
        h.typecnt = tzif_be32(p + 36);
        h.charcnt = tzif_be32(p + 40);
        *ret = h;
        return 0;
}

/* The data block that follows a header, sliced into its arrays (RFC 8536 3.2). */
struct tzif_block {
        const struct tzif_header *h;
        unsigned time_size; /* 4 in the version 1 block, 8 in the second one */
        const uint8_t *times, *idx, *types, *chars, *leaps, *isstd, *isut;
};

static uint64_t tzif_block_size(const struct tzif_header *h, unsigned time_size) {
        return (uint64_t) h->timecnt * (time_size + 1) + (uint64_t) h->typecnt * 6 + h->charcnt +
               (uint64_t) h->leapcnt * (time_size + 4) + h->isstdcnt + h->isutcnt;
}

/* Takes the block after header `h` from the reader. */
static int tzif_take_block(struct tzif_reader *rd, const struct tzif_header *h, unsigned time_size,
                           struct tzif_block *ret) {
        const uint8_t *p = tzif_take(rd, tzif_block_size(h, time_size));

        if (!p)
                return -EINVAL;
        ret->h = h;
        ret->time_size = time_size;
        ret->times = p;
        ret->idx = ret->times + (size_t) h->timecnt * time_size;
        ret->types = ret->idx + h->timecnt;
        ret->chars = ret->types + (size_t) h->typecnt * 6;
        ret->leaps = ret->chars + h->charcnt;
        ret->isstd = ret->leaps + (size_t) h->leapcnt * (time_size + 4);
        ret->isut = ret->isstd + h->isstdcnt;
        return 0;
}

static inline int64_t tzif_time(const struct tzif_block *b, uint32_t i) {
        return b->time_size == 8 ? tzif_be64(b->times + 8 * i) : (int32_t) tzif_be32(b->times + 4 * i);
}

static inline int32_t tzif_utoff(const struct tzif_block *b, uint8_t type) {
        return (int32_t) tzif_be32(b->types + 6 * type);
}

/* RFC 8536 3.1 and 3.2: the counts and every field of the block we use. Leap-second records are
 * not read (Debian's zoneinfo has none outside right/), nor are the designations. */
static int tzif_check_block(const struct tzif_block *b) {
        const struct tzif_header *h = b->h;

        if (h->typecnt == 0 || h->charcnt == 0)
                return -EINVAL;
        if ((h->isstdcnt != 0 && h->isstdcnt != h->typecnt) || (h->isutcnt != 0 && h->isutcnt != h->typecnt))
                return -EINVAL;
        for (uint32_t i = 0; i < h->timecnt; i++)
                if (b->idx[i] >= h->typecnt || (i > 0 && tzif_time(b, i) <= tzif_time(b, i - 1)))
                        return -EINVAL;
        for (uint32_t i = 0; i < h->typecnt; i++) {
                int32_t utoff = tzif_utoff(b, (uint8_t) i);
                uint8_t isdst = b->types[6 * i + 4], desigidx = b->types[6 * i + 5];
                uint8_t isstd = h->isstdcnt ? b->isstd[i] : 0, isut = h->isutcnt ? b->isut[i] : 0;

                if (utoff < TZ_UTOFF_MIN || utoff > TZ_UTOFF_MAX || isdst > 1 || desigidx >= h->charcnt)
                        return -EINVAL;
                if (isstd > 1 || isut > 1 || (isut && !isstd)) /* UT implies standard time */
                        return -EINVAL;
        }
        return 0;
}

/* The footer: "\n" TZ-string "\n", the end of the data. An empty string means no rule. */
static int tzif_read_footer(struct tzif_reader *rd, bool *ret_has_rule, struct tz_rule *ret_rule) {
        const char *s = (const char *) rd->p, *end = (const char *) rd->end, *nl;
        int r;

        if (s == end || *s != '\n')
                return -EINVAL;
        s++;
        nl = memchr(s, '\n', end - s);
        if (!nl || nl + 1 != end || memchr(s, '\0', nl - s))
                return -EINVAL;
        if (nl == s) {
                *ret_has_rule = false;
                return 0;
        }
        r = tz_parse_rule(s, nl, ret_rule);
        if (r < 0)
                return r;
        *ret_has_rule = true;
        return 0;
}

/* Reads the header and block a version 1 reader would use, or for version 2 and later, skips
 * them and reads the second header, the 64-bit block and the footer (RFC 8536 4). */
static int tzif_read(struct tzif_reader *rd, struct tzif_header *h, struct tzif_block *ret_block,
                     bool *ret_has_rule, struct tz_rule *ret_rule) {
        uint8_t version;
        int r;

        r = tzif_read_header(rd, h);
        if (r < 0)
                return r;
        r = tzif_take_block(rd, h, 4, ret_block);
        if (r < 0)
                return r;
        if (h->version == 0) {
                *ret_has_rule = false;
                return rd->p == rd->end ? 0 : -EINVAL;
        }
        version = h->version;
        r = tzif_read_header(rd, h);
        if (r < 0)
                return r;
        if (h->version != version)
                return -EINVAL;
        r = tzif_take_block(rd, h, 8, ret_block);
        if (r < 0)
                return r;
        return tzif_read_footer(rd, ret_has_rule, ret_rule);
}

int tz_from_tzif(const char *name, const void *buf, size_t len, struct tz **ret_zone) {
        _cleanup_(tz_freep) struct tz *z = NULL;
        struct tzif_reader rd = { buf, (const uint8_t *) buf + len };
        struct tzif_header h;
        struct tzif_block b;
        struct tz_rule rule = {};
        bool has_rule = false;
        int32_t prev;
        int r;

        if (!buf)
                return -EINVAL;
        r = tzif_read(&rd, &h, &b, &has_rule, &rule);
        if (r < 0)
                return r;
        r = tzif_check_block(&b);
        if (r < 0)
                return r;

        z = tz_new(name, h.timecnt);
        if (!z)
                return -ENOMEM;
        z->initial_off = tzif_utoff(&b, 0); /* RFC 8536 3.2: type 0 applies before the first transition */
        z->has_rule = has_rule;
        z->rule = rule;
        z->rule_from = INT64_MIN;

        prev = z->initial_off;
        for (uint32_t i = 0; i < h.timecnt; i++) {
                int64_t at = tzif_time(&b, i);
                int32_t off = tzif_utoff(&b, b.idx[i]);

                if (has_rule && i == h.timecnt - 1) {
                        /* RFC 8536 3.3: the footer covers the last transition on (glibc: at >= it). */
                        z->rule_from = at;
                        off = tz_rule_offset(&z->rule, at);
                }
                if (off == prev)
                        continue; /* a change of abbreviation or DST flag alone */
                z->change_at[z->n_changes] = at;
                z->change_off[z->n_changes] = off;
                z->n_changes++;
                prev = off;
        }

        *ret_zone = TAKE_PTR(z);
        return 0;
}

/* ---- lookups ---- */

const char *tz_name(const struct tz *zone) {
        return zone->name;
}

/* Index of the first change after `at`, that is, the number of changes at or before it. */
static inline size_t tz_upper_bound(const struct tz *z, int64_t at) {
        size_t lo = 0, hi = z->n_changes;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (z->change_at[mid] <= at)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

int32_t tz_offset(const struct tz *zone, int64_t at) {
        size_t i;

        if (zone->has_rule && at >= zone->rule_from)
                return tz_rule_offset(&zone->rule, at);
        i = tz_upper_bound(zone, at);
        return i == 0 ? zone->initial_off : zone->change_off[i - 1];
}

int32_t tz_local(const struct tz *zone, int64_t at, struct civil *ret) {
        int32_t off = tz_offset(zone, at);
        int64_t secs, days = tz_split_day(at, &secs);

        /* |off| < 1 day, so one step brings secs back into the day. */
        secs += off;
        if (secs < 0) {
                secs += SECS_PER_DAY;
                days--;
        } else if (secs >= SECS_PER_DAY) {
                secs -= SECS_PER_DAY;
                days++;
        }
        civil_from_days(days, ret);
        ret->hour = (int) (secs / SECS_PER_HOUR);
        ret->min = (int) (secs / 60 % 60);
        ret->sec = (int) (secs % 60);
        return off;
}

bool tz_next_change(const struct tz *zone, int64_t at, int64_t *ret_at, int32_t *ret_before, int32_t *ret_after) {
        int64_t next;
        bool dst = false;

        if (!zone->has_rule || at < zone->rule_from) {
                size_t i = tz_upper_bound(zone, at);
                if (i < zone->n_changes) {
                        *ret_at = zone->change_at[i];
                        *ret_before = i == 0 ? zone->initial_off : zone->change_off[i - 1];
                        *ret_after = zone->change_off[i];
                        return true;
                }
                if (!zone->has_rule)
                        return false;
                /* Past the table (which ends with the change at rule_from, if any): the rule. */
                at = zone->rule_from;
        }
        if (!tz_rule_next(&zone->rule, at, &next, &dst))
                return false;
        *ret_at = next;
        *ret_before = dst ? zone->rule.dst_off : zone->rule.std_off;
        *ret_after = dst ? zone->rule.std_off : zone->rule.dst_off;
        return true;
}
