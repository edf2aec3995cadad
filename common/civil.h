/* common/civil.h: the proleptic Gregorian calendar as arithmetic on day numbers.
 *
 * Day 0 is 1970-01-01. The algorithms are Howard Hinnant's "chrono-compatible low-level date
 * algorithms" (public domain description), valid for every int64 day count we can meet. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A wall-clock date and time, with no zone attached. */
struct civil {
        int64_t year;
        int mon;  /* 1..12 */
        int mday; /* 1..31 */
        int hour; /* 0..23 */
        int min;  /* 0..59 */
        int sec;  /* 0..59 */
        int wday; /* 0..6, Sunday = 0 */
};

static inline int64_t floor_div(int64_t a, int64_t b) {
        int64_t q = a / b;
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline bool civil_is_leap(int64_t y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline int civil_month_days(int64_t y, int m) {
        static const int8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        return m == 2 && civil_is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31). */
static inline int64_t civil_to_days(int64_t y, int m, int d) {
        y -= m <= 2;
        int64_t era = floor_div(y, 400);
        int64_t yoe = y - era * 400;                                   /* [0, 399] */
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
        return era * 146097 + doe - 719468;
}

/* Weekday (Sunday = 0) of a day number. */
static inline int civil_wday(int64_t days) {
        int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
        return (int) (w < 0 ? w + 7 : w);
}

static inline void civil_from_days(int64_t days, struct civil *c) {
        int64_t z = days + 719468;
        int64_t era = floor_div(z, 146097);
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        c->mday = (int) (doy - (153 * mp + 2) / 5 + 1);
        c->mon = (int) (mp < 10 ? mp + 3 : mp - 9);
        c->year = yoe + era * 400 + (c->mon <= 2);
        c->wday = civil_wday(days);
}

/* Seconds since the epoch, reading the civil time as if it were UTC ("wall seconds"). */
static inline int64_t civil_to_secs(const struct civil *c) {
        return civil_to_days(c->year, c->mon, c->mday) * 86400 + c->hour * 3600 + c->min * 60 + c->sec;
}

static inline void civil_from_secs(int64_t s, struct civil *c) {
        int64_t days = floor_div(s, 86400);
        int64_t rem = s - days * 86400;
        civil_from_days(days, c);
        c->hour = (int) (rem / 3600);
        c->min = (int) (rem / 60 % 60);
        c->sec = (int) (rem % 60);
}
