/* common/timefmt.c: ISO 8601 in and out, and wall time to UTC. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "timefmt.h"

void timefmt_iso(const struct tz *zone, int64_t at, char buf[static TIMEFMT_ISO_MAX]) {
        struct civil c;
        int32_t off = tz_local(zone, at, &c);
        char sign = off < 0 ? '-' : '+';
        int32_t a = off < 0 ? -off : off;

        if (a % 60)
                snprintf(buf, TIMEFMT_ISO_MAX, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d:%02d", (long long) c.year,
                         c.mon, c.mday, c.hour, c.min, c.sec, sign, a / 3600, a / 60 % 60, a % 60);
        else
                snprintf(buf, TIMEFMT_ISO_MAX, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", (long long) c.year, c.mon,
                         c.mday, c.hour, c.min, c.sec, sign, a / 3600, a / 60 % 60);
}

static int digits(const char **pp, int n, int lo, int hi, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                char ch = (*pp)[i];
                if (ch < '0' || ch > '9')
                        return -EINVAL;
                v = v * 10 + (ch - '0');
        }
        if (v < lo || v > hi)
                return -EINVAL;
        *pp += n;
        *ret = v;
        return 0;
}

int timefmt_parse_wall(const char *s, int64_t *ret_wall) {
        struct civil c = {};
        int y;

        if (digits(&s, 4, 1, 9999, &y) < 0 || *s++ != '-' || digits(&s, 2, 1, 12, &c.mon) < 0 || *s++ != '-' ||
            digits(&s, 2, 1, 31, &c.mday) < 0 || (*s != 'T' && *s != 't' && *s != ' ') || (s++, 0) ||
            digits(&s, 2, 0, 23, &c.hour) < 0 || *s++ != ':' || digits(&s, 2, 0, 59, &c.min) < 0)
                return -EINVAL;
        if (*s == ':' && (s++, digits(&s, 2, 0, 59, &c.sec) < 0))
                return -EINVAL;
        if (*s)
                return -EINVAL;
        c.year = y;
        if (c.mday > civil_month_days(c.year, c.mon))
                return -EINVAL;
        *ret_wall = civil_to_secs(&c);
        return 0;
}

int timefmt_wall_to_utc(const struct tz *zone, int64_t wall, int64_t *ret_at, bool *ret_skipped) {
        /* Offsets stay within +-26 h, so every instant showing `wall` lies in [wall-26h, wall+26h].
         * Walk the spans of constant offset there and take the first that contains it. */
        const int64_t reach = 26 * 3600;
        int64_t t, change;
        int32_t before, after;

        if (wall < -62135596800LL + 2 * reach || wall > 253402300799LL - 2 * reach)
                return -ERANGE;
        t = wall - reach;
        for (;;) {
                int32_t off = tz_offset(zone, t);
                bool more = tz_next_change(zone, t, &change, &before, &after);
                int64_t end = more ? change : INT64_MAX;

                if (wall - off >= t && wall - off < end) {
                        *ret_at = wall - off;
                        *ret_skipped = false;
                        return 0;
                }
                if (!more || change > wall + reach)
                        break;
                if (after > before && wall >= change + before && wall < change + after) {
                        *ret_at = change;
                        *ret_skipped = true;
                        return 0;
                }
                t = change;
        }
        return -ERANGE;
}
