/* common/timefmt.h: reading and writing instants as people write them (ISO 8601). Pure. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "tz.h"

/* "2026-03-08T03:00:00-04:00" */
#define TIMEFMT_ISO_MAX 40
void timefmt_iso(const struct tz *zone, int64_t at, char buf[static TIMEFMT_ISO_MAX]);

/* Parses "YYYY-MM-DDTHH:MM[:SS]" (a space may stand for 'T') into wall seconds (civil time read
 * as UTC). Returns 0 or -EINVAL. */
int timefmt_parse_wall(const char *s, int64_t *ret_wall);

/* The instant at which the wall clock of `zone` shows `wall`. A repeated wall time (fall back)
 * gives its first occurrence. A skipped one (spring forward) gives the instant of the change and
 * sets *ret_skipped. Returns 0 or -ERANGE. */
int timefmt_wall_to_utc(const struct tz *zone, int64_t wall, int64_t *ret_at, bool *ret_skipped);
