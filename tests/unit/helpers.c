/* tests/unit/helpers.c: zones by name, wall times to instants, expressions to schedules. */
#include <criterion/criterion.h>
#include <string.h>

#include "crontab.h"
#include "proto.h"
#include "helpers.h"
#include "timefmt.h"
#include "tzdb.h"

static struct {
        char name[128];
        struct tz *zone;
} zones[16];

const struct tz *test_zone(const char *name) {
        size_t i;
        int r;

        for (i = 0; i < ELEMENTSOF(zones) && zones[i].zone; i++)
                if (streq(zones[i].name, name))
                        return zones[i].zone;
        cr_assert_lt(i, ELEMENTSOF(zones), "too many zones in one test");
        cr_assert_lt(strlen(name), sizeof(zones[i].name));
        if (strncmp(name, "posix:", 6) == 0)
                r = tz_from_posix(name + 6, name + 6, &zones[i].zone);
        else
                r = tzdb_load(NULL, name, &zones[i].zone);
        cr_assert_eq(r, 0, "loading zone %s: %s", name, strerror(-r));
        strcpy(zones[i].name, name);
        return zones[i].zone;
}

int64_t test_utc(const char *wall) {
        int64_t w;

        cr_assert_eq(timefmt_parse_wall(wall, &w), 0, "bad wall time '%s' in a test", wall);
        return w;
}

/* Splits "WALL ±HH:MM" into WALL and the offset; returns false when there is no offset. */
static bool split_offset(const char *s, char wall[static 32], int32_t *ret_off) {
        const char *sp = strrchr(s, ' '), *o;
        int h, m;

        if (!sp || (sp[1] != '+' && sp[1] != '-'))
                return false;
        o = sp + 1;
        cr_assert(strlen(o) == 6 && strspn(o + 1, "0123456789:") == 5 && o[3] == ':', "bad offset in '%s'", s);
        cr_assert_lt((size_t) (sp - s), (size_t) 32);
        memcpy(wall, s, (size_t) (sp - s));
        wall[sp - s] = 0;
        h = (o[1] - '0') * 10 + (o[2] - '0');
        m = (o[4] - '0') * 10 + (o[5] - '0');
        *ret_off = (o[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
        return true;
}

int64_t test_at(const struct tz *zone, const char *wall) {
        char buf[32];
        int32_t off;
        int64_t at;
        bool skipped;

        if (split_offset(wall, buf, &off)) {
                at = test_utc(buf) - off;
                cr_assert_eq(tz_offset(zone, at), off, "%s does not exist in %s", wall, tz_name(zone));
                return at;
        }
        cr_assert_eq(timefmt_wall_to_utc(zone, test_utc(wall), &at, &skipped), 0, "%s in %s", wall, tz_name(zone));
        cr_assert(!skipped, "%s is skipped in %s: a test must not expect it", wall, tz_name(zone));
        return at;
}

struct sched test_sched(const char *expr) {
        struct diag_list diags = {};
        struct sched s;
        int r = crontab_parse_expr(expr, 0, &s, &diags);

        cr_assert_eq(r, 0, "'%s' does not parse: %s", expr, diags.n ? diags.items[0].msg : strerror(-r));
        diag_list_done(&diags);
        return s;
}

const char *test_iso(const struct tz *zone, int64_t at) {
        static char ring[8][TIMEFMT_ISO_MAX];
        static unsigned next;
        char *buf = ring[next++ % ELEMENTSOF(ring)];

        timefmt_iso(zone, at, buf);
        return buf;
}

/* ---- wire format ---- */

void test_proto_buf_donep(struct proto_buf *b) {
        proto_buf_done(b);
}

void test_body_reader(const struct proto_buf *b, struct proto_reader *r) {
        proto_reader_init(r, b->data + PROTO_HDR_SIZE, b->len - PROTO_HDR_SIZE);
}

struct proto_job test_proto_job(void) {
        return (struct proto_job) {
                .table = (char *) "/var/spool/cron/crontabs/alice",
                .line = 12,
                .name = (char *) "backup",
                .user = (char *) "alice",
                .schedule = (char *) "[timeout:2h] 30 3 * * *",
                .command = (char *) "/usr/local/bin/backup --all",
                .zone = (char *) "Europe/Berlin",
                .next_at = 1767231000,
                .last_at = 1767144600,
                .last_wstatus = 1 << 8,
                .last_duration_ms = 8123456789LL,
                .last_success_at = 1767058200,
                .runs = 400,
                .failures = 3,
                .running_pid = 4242,
                .running_since = 1767144600,
                .fleet_host = (char *) "web-2",
                .fleet_at = 1767144540,
        };
}

void test_assert_job_eq(const struct proto_job *got, const struct proto_job *want) {
        cr_assert_str_eq(got->table, want->table);
        cr_assert_eq(got->line, want->line);
        cr_assert_str_eq(got->name, want->name ? want->name : "");
        cr_assert_str_eq(got->user, want->user ? want->user : "");
        cr_assert_str_eq(got->schedule, want->schedule);
        cr_assert_str_eq(got->command, want->command);
        cr_assert_str_eq(got->zone, want->zone ? want->zone : "");
        cr_assert_eq(got->next_at, want->next_at);
        cr_assert_eq(got->last_at, want->last_at);
        cr_assert_eq(got->last_wstatus, want->last_wstatus);
        cr_assert_eq(got->last_duration_ms, want->last_duration_ms);
        cr_assert_eq(got->last_success_at, want->last_success_at);
        cr_assert_eq(got->runs, want->runs);
        cr_assert_eq(got->failures, want->failures);
        cr_assert_eq(got->running_pid, want->running_pid);
        cr_assert_eq(got->running_since, want->running_since);
        cr_assert_str_eq(got->fleet_host, want->fleet_host ? want->fleet_host : "");
        cr_assert_eq(got->fleet_at, want->fleet_at);
}
