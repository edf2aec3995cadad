/* common/export.c: schedules as Kubernetes CronJob strings and systemd OnCalendar= values, the
 * nights where their daylight-saving behaviour differs from cron's, and DNS-safe names. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "util.h"

#define DOM_ALL 0xfffffffeu /* days 1..31 */
#define DOW_ALL 0x7fu       /* Sunday..Saturday */

struct out {
        char *buf;
        size_t size, len;
        bool over;
};

_printf_(2, 3) static void put(struct out *o, const char *fmt, ...) {
        va_list ap;
        int n;

        if (o->over)
                return;
        va_start(ap, fmt);
        n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= o->size - o->len)
                o->over = true;
        else
                o->len += (size_t) n;
}

enum syntax {
        SYNTAX_CRON,    /* a-b, a-b/s, * */
        SYNTAX_SYSTEMD, /* a..b, a/s, * */
};

static const char *const weekdays[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

/* Values lo..hi of `mask`, as a list. A mask with every value is '*'. A progression that runs to
 * the end of the field is one step item; other runs of three or more consecutive values are
 * ranges. `names`: systemd's weekdays. */
static void put_value(struct out *o, int v, const char *const *names, bool pad) {
        if (names)
                put(o, "%s", names[v]);
        else
                put(o, pad ? "%02d" : "%d", v);
}

static void put_field(struct out *o, uint64_t mask, int lo, int hi, enum syntax syn, const char *const *names,
                      bool pad) {
        int v[64], n = 0;

        for (int i = lo; i <= hi; i++)
                if (mask >> i & 1)
                        v[n++] = i;
        if (n == hi - lo + 1) {
                put(o, "*");
                return;
        }
        if (n >= 3 && !names) {
                int step = v[1] - v[0];
                bool prog = step > 1 && v[n - 1] + step > hi;
                for (int i = 2; prog && i < n; i++)
                        prog = v[i] - v[i - 1] == step;
                if (prog) {
                        if (syn == SYNTAX_SYSTEMD)
                                put_value(o, v[0], NULL, pad), put(o, "/%d", step);
                        else
                                put(o, "%d-%d/%d", v[0], hi, step);
                        return;
                }
        }
        for (int i = 0; i < n;) {
                int j = i;
                while (j + 1 < n && v[j + 1] == v[j] + 1)
                        j++;
                if (i > 0)
                        put(o, ",");
                put_value(o, v[i], names, pad);
                if (j - i >= 2) {
                        put(o, "%s", syn == SYNTAX_SYSTEMD ? ".." : "-");
                        put_value(o, v[j], names, pad);
                        i = j + 1;
                } else {
                        i++;
                }
        }
}

static bool and_rule(const struct sched *s) {
        return s->flags & (SCHED_DOM_STAR | SCHED_DOW_STAR);
}

int export_cron_fields(const struct sched *s, char *buf, size_t size) {
        struct out o = { buf, size, 0, false };
        bool dom_all = (s->dom & DOM_ALL) == DOM_ALL, dow_all = (s->dow & DOW_ALL) == DOW_ALL;
        uint32_t dom = s->dom, dow = s->dow;

        if (s->flags & SCHED_REBOOT)
                return -ENOENT;
        if (s->sec != 1)
                return -EDOM;
        /* robfig/cron ANDs the day fields when either is written '*' and ORs them otherwise,
         * whatever follows the '*' (its "*\/2" is not a star): so '*' is written only for a full
         * field, and cron's OR with a full field is every day. */
        if (and_rule(s) && !dom_all && !dow_all)
                return -ENOTSUP;
        if (!and_rule(s) && (dom_all || dow_all)) {
                dom = DOM_ALL;
                dow = DOW_ALL;
        }
        put_field(&o, s->min, 0, 59, SYNTAX_CRON, NULL, false);
        put(&o, " ");
        put_field(&o, s->hour, 0, 23, SYNTAX_CRON, NULL, false);
        put(&o, " ");
        put_field(&o, dom, 1, 31, SYNTAX_CRON, NULL, false);
        put(&o, " ");
        put_field(&o, s->mon, 1, 12, SYNTAX_CRON, NULL, false);
        put(&o, " ");
        put_field(&o, dow, 0, 6, SYNTAX_CRON, NULL, false);
        return o.over ? -ENOBUFS : 0;
}

/* One OnCalendar= value: [weekdays] *-months-days hours:minutes:seconds [zone] */
static bool put_calendar(const struct sched *s, uint32_t dom, uint8_t dow, const char *zone, char *buf) {
        struct out o = { buf, EXPORT_SPEC_MAX, 0, false };

        if ((dow & DOW_ALL) != DOW_ALL) {
                put_field(&o, dow, 0, 6, SYNTAX_SYSTEMD, weekdays, false);
                put(&o, " ");
        }
        put(&o, "*-");
        put_field(&o, s->mon, 1, 12, SYNTAX_SYSTEMD, NULL, true);
        put(&o, "-");
        put_field(&o, dom, 1, 31, SYNTAX_SYSTEMD, NULL, true);
        put(&o, " ");
        put_field(&o, s->hour, 0, 23, SYNTAX_SYSTEMD, NULL, true);
        put(&o, ":");
        put_field(&o, s->min, 0, 59, SYNTAX_SYSTEMD, NULL, true);
        put(&o, ":");
        put_field(&o, s->sec, 0, 59, SYNTAX_SYSTEMD, NULL, true);
        if (zone && *zone)
                put(&o, " %s", zone);
        return !o.over;
}

int export_calendar(const struct sched *s, const char *zone, char buf[static 2][EXPORT_SPEC_MAX]) {
        bool dom_all = (s->dom & DOM_ALL) == DOM_ALL, dow_all = (s->dow & DOW_ALL) == DOW_ALL;

        if (s->flags & SCHED_REBOOT)
                return -ENOENT;
        /* systemd ANDs a weekday with a date, as cron does when a day field starts with '*' */
        if (and_rule(s))
                return put_calendar(s, s->dom, s->dow, zone, buf[0]) ? 1 : -ENOBUFS;
        if (dom_all || dow_all)
                return put_calendar(s, DOM_ALL, DOW_ALL, zone, buf[0]) ? 1 : -ENOBUFS;
        /* cron's OR: the days of the month on one line, the weekdays on another */
        if (!put_calendar(s, s->dom, DOW_ALL, zone, buf[0]) || !put_calendar(s, DOM_ALL, s->dow, zone, buf[1]))
                return -ENOBUFS;
        return 2;
}

static bool wall_matches(const struct sched *s, const struct tz *zone, int64_t at) {
        struct civil c;

        tz_local(zone, at, &c);
        return sched_matches(s, &c);
}

/* Whether the target fires at `at`, which lies near the offset change at `change`. */
static bool target_fires(const struct sched *s, const struct tz *zone, int64_t at, int64_t change, int32_t before,
                         int32_t after, enum export_dst rule) {
        if (rule == EXPORT_DST_FIRST && before > after && at >= change && at < change + (before - after))
                return false; /* the second pass of a repeated interval */
        return wall_matches(s, zone, at);
}

/* Whether cron's instants and the target's differ around one change. Away from a change every
 * wall time exists once and both fire at the same instants, so a window a little wider than the
 * change itself holds every difference. Cost: one wall time per second of the window. */
static int change_differs(const struct sched *s, const struct tz *zone, int64_t change, int32_t before,
                          int32_t after, enum export_dst rule) {
        int64_t jump = before > after ? before - after : after - before;
        int64_t lo = change - jump - 60, hi = change + jump + 60, cron_at = lo - 1;
        int r;

        r = sched_next(s, cron_at, zone, &cron_at);
        if (r == -ENOENT)
                cron_at = INT64_MAX;
        else if (r < 0)
                return r;
        for (int64_t t = lo; t <= hi; t++) {
                bool cron = t == cron_at;
                if (cron != target_fires(s, zone, t, change, before, after, rule))
                        return 1;
                if (cron) {
                        r = sched_next(s, t, zone, &cron_at);
                        if (r == -ENOENT)
                                cron_at = INT64_MAX;
                        else if (r < 0)
                                return r;
                }
        }
        return 0;
}

int export_dst_nights(const struct sched *s, const struct tz *zone, int64_t from, int64_t to, enum export_dst rule,
                      int64_t *ret_days, size_t max) {
        int64_t at = from, change;
        int32_t before, after;
        size_t n = 0;
        int r;

        if (s->flags & SCHED_REBOOT || sched_never(s))
                return 0;
        while (tz_next_change(zone, at, &change, &before, &after) && change <= to) {
                r = change_differs(s, zone, change, before, after, rule);
                if (r < 0)
                        return r;
                if (r > 0) {
                        if (n < max)
                                ret_days[n] = floor_div(change - 1 + before, 86400);
                        n++;
                }
                at = change;
        }
        return (int) MIN(n, (size_t) INT32_MAX);
}

int export_dns_name(const char *name, char *buf, size_t size, size_t max) {
        size_t n = 0;
        bool dash = false;

        if (size == 0)
                return -EINVAL;
        max = MIN(max, size - 1);
        for (const char *p = name; *p && n < max; p++) {
                char c = *p;
                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                        if (dash && n > 0) {
                                if (n + 2 > max)
                                        break; /* no room for '-' and a character: cut here */
                                buf[n++] = '-';
                        }
                        dash = false;
                        buf[n++] = c;
                } else {
                        dash = true;
                }
        }
        buf[n] = 0;
        while (n > 0 && buf[n - 1] == '-')
                buf[--n] = 0;
        return n > 0 ? (int) n : -EINVAL;
}
