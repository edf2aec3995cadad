/* common/sched.h: a schedule as bit masks, and the next time it fires.
 *
 * A struct sched is a plain value: one bit per allowed second, minute, hour, day of month, month
 * and day of week, plus the flags of cron's two special rules. Everything here is pure: the time
 * and the zone come in as arguments. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "civil.h"
#include "tz.h"

enum {
        SCHED_MIN_STAR = 1u << 0,  /* the minute field starts with '*' (for the DST rule) */
        SCHED_HOUR_STAR = 1u << 1, /* the hour field starts with '*' (for the DST rule) */
        SCHED_DOM_STAR = 1u << 2,  /* the day-of-month field starts with '*' (for the day rule) */
        SCHED_DOW_STAR = 1u << 3,  /* the day-of-week field starts with '*' (for the day rule) */
        SCHED_REBOOT = 1u << 4,    /* @reboot: no time fields, runs once per boot */
};

/* 64 bits aligned on 4 bytes: a struct sched takes 28 bytes, not 32 (struct entry packs it) */
typedef uint64_t sched_mask64 __attribute__((aligned(4)));

struct sched {
        sched_mask64 sec; /* bit n: second n, 0..59 (classic entries: second 0 only) */
        sched_mask64 min; /* bit n: minute n, 0..59 */
        uint32_t hour; /* bit n: hour n, 0..23 */
        uint32_t dom;  /* bit n: day n of the month, 1..31 */
        uint16_t mon;  /* bit n: month n, 1..12 */
        uint8_t dow;   /* bit n: weekday n, 0..6, Sunday = 0 (7 is folded into 0 by the parser) */
        uint8_t flags; /* SCHED_* */
};

/* cron(8): clock changes (daylight saving or a set clock) of less than this are "small" and get
 * the special treatment; larger ones are corrections and the new time is used at once. */
#define SCHED_SMALL_JUMP (3 * 3600)

/* A fixed-time entry is one whose minute and hour fields both do not start with '*'. cron(8)
 * treats fixed-time and wildcard entries differently around small clock changes. */
static inline bool sched_is_fixed_time(const struct sched *s) {
        return !(s->flags & (SCHED_MIN_STAR | SCHED_HOUR_STAR));
}

/* Vixie's day rule: if either day field starts with '*', both must match; otherwise either. */
bool sched_day_matches(const struct sched *s, int mday, int mon, int wday);

/* Whether the wall-clock time `c` (seconds included) matches the schedule. */
bool sched_matches(const struct sched *s, const struct civil *c);

/* Whether the schedule can never fire: no day of any allowed month exists ("0 0 30 2 *"). */
bool sched_never(const struct sched *s);

/* The first instant strictly after `after` at which the entry fires in `zone`, daylight-saving
 * rule of cron(8) included:
 *   - when the offset grows by less than SCHED_SMALL_JUMP (spring forward), fixed-time entries
 *     whose wall time was skipped fire once, at the instant of the change;
 *   - when the offset shrinks by less than SCHED_SMALL_JUMP (fall back), fixed-time entries fire
 *     only at the first occurrence of a repeated wall time;
 *   - wildcard entries, and every entry around larger changes, follow the wall clock as it is.
 * Returns 0 and sets *ret_at; -ENOENT when the schedule never fires (or is @reboot); -ERANGE when
 * `after` is outside years 1..9999. */
int sched_next(const struct sched *s, int64_t after, const struct tz *zone, int64_t *ret_at);

/* cron(8)'s rule for a change of the system clock (not of the zone): the daemon believed it was
 * `before` and finds it is `now`. `planned_at` is the entry's next fire time computed before the
 * change. Sets *ret_at to when the entry fires next:
 *   - a forward jump under SCHED_SMALL_JUMP: a fixed-time entry whose planned time was skipped
 *     fires once at `now`; other entries keep or re-plan their next time after `now`;
 *   - a backward jump under SCHED_SMALL_JUMP: fixed-time entries keep their planned time, so
 *     nothing runs twice; wildcard entries re-plan from `now` at once;
 *   - larger jumps either way: every entry re-plans from `now`, nothing is caught up.
 * Returns 0 or what sched_next() returns. */
int sched_after_jump(const struct sched *s, int64_t planned_at, int64_t before, int64_t now, const struct tz *zone,
                     int64_t *ret_at);
