/* daemon/fleet-off.c: fleet.c in a build without libcurl and jansson (make FLEET=0, make static).
 * A configuration or a table that asks for the fleet is refused, saying why; nothing else
 * changes. */
#include <string.h>

#include "log.h"
#include "tockd.h"

#define FLEET_OFF "this tockd was built without fleet support (libcurl and jansson; make FLEET=1)"

int fleet_config_check(const struct config *c) {
        if (*c->fleet_endpoints)
                return log_error("%s: fleet.endpoints is set, but %s", c->config_file, FLEET_OFF), -EINVAL;
        if (c->fleet)
                return log_error("%s: jobs.fleet is yes, but %s", c->config_file, FLEET_OFF), -EINVAL;
        return 0;
}

const char *fleet_refused_reason(void) {
        return "[fleet] needs a tockd built with fleet support (libcurl and jansson; make FLEET=1)";
}

int fleet_init(struct daemon *d) {
        d->fleet = NULL;
        return 0;
}

void fleet_configure(struct daemon *d) {
        (void) d;
}

bool fleet_job(const struct daemon *d, const struct job *j) {
        (void) d;
        (void) j;
        return false; /* no table with [fleet] loads, and jobs.fleet cannot be set */
}

void fleet_fire(struct daemon *d, struct job *j, int64_t nominal) {
        (void) nominal;
        admit_fire(d, j);
}

void fleet_run_ended(struct daemon *d, struct job_stats *s, int wstatus) {
        (void) d;
        (void) s;
        (void) wstatus;
}

void fleet_where(struct daemon *d, const struct job *j, char *buf, size_t size) {
        (void) d;
        (void) j;
        if (size)
                buf[0] = 0;
}

const char *fleet_elsewhere(const struct daemon *d, const struct job *j, int64_t *ret_at) {
        (void) d;
        (void) j;
        (void) ret_at;
        return "";
}

char *fleet_status_text(struct daemon *d) {
        (void) d;
        return strdup(FLEET_OFF "\n");
}

void fleet_metrics(struct daemon *d, FILE *m) {
        (void) d;
        (void) m;
}

void fleet_handle_io(struct daemon *d, struct io_source *io, uint32_t events) {
        (void) d;
        (void) io;
        (void) events;
}

void fleet_free_dead(struct daemon *d) {
        (void) d;
}

void fleet_done(struct daemon *d) {
        (void) d;
}
