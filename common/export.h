/* common/export.h: a schedule written for another scheduler, and where that scheduler's meaning
 * differs from cron's (tockctl export).
 *
 * Everything is computed from the struct sched (the bit masks), not from the text as written, so
 * names, ranges, steps, lists, '~' values and nicknames all come out as plain numbers that mean
 * exactly what tock runs. Pure: the zone and the horizon come in as arguments. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sched.h"
#include "tz.h"

#define EXPORT_SPEC_MAX 512 /* one cron string or OnCalendar= value, zone name included */
#define EXPORT_NAME_MAX 52  /* a CronJob's name: 63 less the 11 characters its Jobs add */

/* The five fields of a Kubernetes CronJob `schedule` (robfig/cron's standard parser) that fire
 * exactly when `s` does, day rule included. Returns 0; -ENOENT for @reboot; -EDOM when `s` fires
 * at a second other than 0 (a CronJob has no seconds field); -ENOTSUP when both day fields are
 * restricted but cron's rule is AND (a field starting with '*', as in "*\/2 * fri"): that parser
 * ORs any two restricted day fields; -ENOBUFS when `size` is too small. */
int export_cron_fields(const struct sched *s, char *buf, size_t size);

/* The OnCalendar= values (systemd.time(7)) that together fire exactly when `s` does: one, or two
 * for cron's OR of two restricted day fields. `zone` (may be NULL) is appended to each. Returns the
 * number of values (1 or 2), -ENOENT for @reboot, -ENOBUFS. */
int export_calendar(const struct sched *s, const char *zone, char buf[static 2][EXPORT_SPEC_MAX]);

/* How a target meets a change of UTC offset, as its next-elapse computation does it:
 *   EXPORT_DST_WALL    every instant whose wall time matches: a skipped wall time never fires, a
 *                      repeated one fires twice (Kubernetes' robfig/cron)
 *   EXPORT_DST_FIRST   as WALL, but a repeated wall time fires only the first time round, and
 *                      nothing at all fires in the second pass of a repeated interval (systemd:
 *                      its next elapse is the next matching wall time after the last one) */
enum export_dst {
        EXPORT_DST_WALL,
        EXPORT_DST_FIRST,
};

/* The local dates (days since 1970-01-01, of the wall time just before the change) of the offset
 * changes in (from, to] around which `s` fires at other instants under `rule` than under cron's
 * rule (sched_next()). Up to `max` days go into ret_days; returns how many differ (which may be
 * more than max), or -ERANGE. Cost: a few hours of seconds per change of the zone in the horizon. */
int export_dst_nights(const struct sched *s, const struct tz *zone, int64_t from, int64_t to, enum export_dst rule,
                      int64_t *ret_days, size_t max);

/* `name` made a DNS-1123 label (what a CronJob's name and a unit name may be): lower case,
 * [a-z0-9-], other runs of characters made one '-', no '-' at either end, at most `max` bytes
 * (max < size). Returns the length, or -EINVAL when nothing is left. */
int export_dns_name(const char *name, char *buf, size_t size, size_t max);
