/* ctl/zones.c: time zones by name (and a cache of them for showing tockd's times), and the seed
 * for '~' values. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "seed.h"
#include "tzdb.h"
#include "util.h"

int zone_load(const char *name, struct tz **ret_zone) {
        if (!name || !*name)
                return tzdb_load_local(getenv("TZ"), NULL, NULL, ret_zone);
        return tzdb_load(NULL, name, ret_zone);
}

int zone_check(const char *name, void *userdata) {
        struct tz *z = NULL;
        int r;

        (void) userdata;
        r = tzdb_load(NULL, name, &z);
        tz_free(z);
        return r;
}

/* The same seed tockd uses for the table at `path`, so '~' values shown here are tockd's. */
uint64_t table_seed(const char *path) {
        char id[SEED_MACHINE_ID_MAX];

        seed_machine_id(id);
        return seed_table(id, path && !streq(path, "-") ? path : NULL);
}

const struct tz *zone_cache_get(struct zone_cache *zc, const char *name) {
        const struct tz *z = NULL;

        if (!name || !*name)
                z = zc->local || zone_load(NULL, &zc->local) == 0 ? zc->local : NULL;
        else
                z = tzdb_cache_get(&zc->zones, NULL, name);
        if (z)
                return z;
        /* a zone this machine does not have: show the instant in UTC, which says so */
        if (!zc->utc && tz_from_posix("UTC", "UTC0", &zc->utc) < 0)
                return NULL;
        return zc->utc;
}

void zone_cache_done(struct zone_cache *zc) {
        tzdb_cache_done(&zc->zones);
        tz_free(zc->local);
        tz_free(zc->utc);
        *zc = (struct zone_cache) {};
}

void zone_cache_iso(struct zone_cache *zc, const char *name, int64_t at, char buf[static TIMEFMT_ISO_MAX]) {
        const struct tz *z;

        if (at == PROTO_NO_TIME || !(z = zone_cache_get(zc, name))) {
                snprintf(buf, TIMEFMT_ISO_MAX, "-");
                return;
        }
        timefmt_iso(z, at, buf);
}
