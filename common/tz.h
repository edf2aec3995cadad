/* common/tz.h: a time zone as a value you pass in.
 *
 * A struct tz is built once from the bytes of a TZif file (RFC 8536, versions 1 to 4, including
 * the POSIX TZ footer that extends the rules past the last transition) or from a POSIX TZ string,
 * and then converts between UTC instants and wall-clock time without touching the process's
 * TZ, the filesystem or any global state. Instants are int64 UTC seconds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "civil.h"

struct tz;

/* Parses TZif data. `name` (e.g. "America/New_York") is copied and only used for display.
 * Returns 0, -EINVAL for malformed data, -ENOMEM. */
int tz_from_tzif(const char *name, const void *buf, size_t len, struct tz **ret_zone);

/* Builds a zone from a POSIX TZ rule string such as "UTC0", "EST5EDT,M3.2.0,M11.1.0" or
 * "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0". Returns 0, -EINVAL, -ENOMEM. */
int tz_from_posix(const char *name, const char *spec, struct tz **ret_zone);

/* Frees a zone; accepts NULL; returns NULL. */
struct tz *tz_free(struct tz *zone);
static inline void tz_freep(struct tz **z) {
        if (*z)
                tz_free(*z);
}

const char *tz_name(const struct tz *zone);

/* UTC offset in seconds (east positive) in force at instant `at`. */
int32_t tz_offset(const struct tz *zone, int64_t at);

/* The wall-clock time at instant `at`; returns the offset in force. */
int32_t tz_local(const struct tz *zone, int64_t at, struct civil *ret);

/* The first change of UTC offset strictly after `at` (changes of abbreviation or DST flag alone
 * that keep the offset are skipped). Sets the instant and the offsets before and after it and
 * returns true, or returns false when the offset never changes again. */
bool tz_next_change(const struct tz *zone, int64_t at, int64_t *ret_at, int32_t *ret_before, int32_t *ret_after);
