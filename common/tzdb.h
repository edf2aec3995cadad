/* common/tzdb.h: zones from the tz database on disk (/usr/share/zoneinfo) and the local zone.
 *
 * The only part of common/ that reads files; the conversions themselves live in tz.h. */
#pragma once

#include <stdbool.h>

#include "hmap.h"
#include "tz.h"

#define TZDB_DIR "/usr/share/zoneinfo"
#define TZDB_LOCALTIME "/etc/localtime"
#define TZDB_MAX_BYTES (1024 * 1024) /* the largest zone in tzdata 2025b is under 4 KiB */
#define TZDB_NAME_MAX 255

/* Whether `name` can name a zone under a zoneinfo directory: non-empty, at most TZDB_NAME_MAX
 * bytes of [A-Za-z0-9/_+.-], relative, no empty, "." or ".." component. Says nothing about
 * whether the zone exists. */
bool tzdb_name_is_valid(const char *name);

/* Loads zone `name` (e.g. "Europe/Berlin") from TZif file `dir`/`name`; `dir` NULL means
 * TZDB_DIR. Returns 0, -EINVAL for a bad name or a file that is not TZif, -ENOENT for a missing
 * zone, -EFBIG for a file over TZDB_MAX_BYTES, -ENOMEM or another -errno from reading. */
int tzdb_load(const char *dir, const char *name, struct tz **ret_zone);

/* Loads the local zone the way glibc's tzset() picks it, from `tz_env`, the caller's getenv("TZ"):
 *   NULL       the TZif file `localtime_path` (NULL means TZDB_LOCALTIME), or UTC if it is missing;
 *   "" or ":"  UTC;
 *   ":name"    the file `name`: an absolute path, or a zone name under `dir`;
 *   otherwise  a zone under `dir` (or an absolute path), failing that a POSIX TZ string.
 * The zone is named after the zone when known: the symlink target of `localtime_path` below
 * ".../zoneinfo/", else "localtime". Returns 0 or the -errno of tzdb_load() / tz_from_posix(). */
int tzdb_load_local(const char *tz_env, const char *dir, const char *localtime_path, struct tz **ret_zone);

/* Zones by name, each loaded once: tockd's CRON_TZ zones, tockctl's zones of the times it shows. */
struct tzdb_cache {
        struct hmap map;
};
/* Zone `name` under `dir` (NULL: TZDB_DIR), loaded at its first use; NULL when it cannot be
 * loaded (a later call tries again). The zone is the cache's until tzdb_cache_done(). */
const struct tz *tzdb_cache_get(struct tzdb_cache *c, const char *dir, const char *name);
void tzdb_cache_done(struct tzdb_cache *c);
