/* daemon/reload.c: loading the configuration (the file, then the command line's overrides) and
 * the local zone, at start and again on SIGHUP or tockctl reload. Out of main.c so that the
 * objects calling daemon_reload() (loop.c, request.c) link without main(), into the unit tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sd.h"
#include "tockd.h"
#include "tzdb.h"
#include "util.h"

static int apply_overrides(struct daemon *d, struct config *c) {
        for (size_t i = 0; i < d->n_overrides; i++) {
                const char *s = d->argv_overrides[i];
                int r = config_set_override(c, s);

                if (r == -EBADMSG) {
                        fprintf(stderr, "tockd: --set takes SECTION.KEY=VALUE, not '%s'\n", s);
                        return -EINVAL;
                }
                if (r == -ENOMEM)
                        return r;
                if (r < 0) { /* names SECTION.KEY: what comes before the '=' */
                        fprintf(stderr, "tockd: %s '%.*s'\n", r == -ENOENT ? "unknown key" : "bad value for",
                                (int) strcspn(s, "="), s);
                        return -EINVAL;
                }
        }
        return 0;
}

int daemon_load_config(struct daemon *d, struct config *c, const char *path, bool explicit) {
        int r;

        config_init(c);
        if (d->container)
                config_container_defaults(c);
        r = *path ? config_load(c, path, explicit) : 0;
        if (r < 0)
                return r;
        if (!*path) { /* no file: dumped and reloaded as such */
                free(c->config_file);
                c->config_file = strdup("");
        }
        r = apply_overrides(d, c);
        return r < 0 ? r : fleet_config_check(c);
}

int daemon_load_local_zone(struct daemon *d) {
        int r = tzdb_load_local(getenv("TZ"), d->cfg.zoneinfo, d->cfg.localtime, &d->tables.local_zone);
        if (r < 0) {
                log_warning_errno(r, "cannot read the system time zone from %s; using UTC", d->cfg.localtime);
                r = tz_from_posix("UTC", "UTC0", &d->tables.local_zone);
        }
        return r;
}

/* SIGHUP: the configuration and every table again. A bad configuration keeps the old one. */
int daemon_reload(struct daemon *d, const char *cause) {
        struct config c;
        char mono[64];

        snprintf(mono, sizeof mono, "RELOADING=1\nMONOTONIC_USEC=%lld", (long long) (now_mono_ns() / 1000));
        sd_notify_text(mono);
        log_info("reloading%s", cause);
        if (daemon_load_config(d, &c, d->cfg.config_file, d->cfg.config_explicit) < 0) {
                log_error("the configuration has errors; keeping the one in force");
                config_done(&c);
        } else {
                c.foreground = d->cfg.foreground;
                c.config_explicit = d->cfg.config_explicit;
                config_done(&d->cfg);
                d->cfg = c;
                log_setup(d->cfg.log_target, d->cfg.log_level, d->cfg.log_format);
                spawn_pam_check(d);
                fleet_configure(d);
        }
        struct tz *old = d->tables.local_zone;
        d->tables.local_zone = NULL;
        if (daemon_load_local_zone(d) < 0)
                d->tables.local_zone = old;
        else {
                tables_replan_local(d);
                tz_free(old);
        }
        watch_restart(d);
        for (size_t i = 0; i < d->tables.n; i++)
                d->tables.v[i]->sig = (struct file_sig) {}; /* re-read every file */
        tables_rescan(d);
        catchup_sync(d, now_real());
        (void) dispatch_arm(d);
        sd_notify_text("READY=1");
        dispatch_status(d);
        return 0;
}
