/* ctl/cmd-why.c: tockctl why [-u USER] [--json] JOB
 *
 * Everything tockd knows about why a job did or did not run: its schedule, its last run and how
 * it ended, the end of its output, the state of its table (a refused edit keeps the old table
 * running) and tockd's note (user denied by cron.allow, run missed while the machine slept,
 * skipped by a clock change, skipped because the previous run was still going, ...). */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

static void field(const char *label, const char *value) {
        printf("%-13s", label);
        put_safe(stdout, value, false);
        putchar('\n');
}

static void print_last_run(const struct proto_job *j, struct zone_cache *zc) {
        char at[TIMEFMT_ISO_MAX], how[WSTATUS_MAX], took[DURATION_MAX];

        zone_cache_iso(zc, j->zone, j->last_at, at);
        format_wstatus(j->last_wstatus, how);
        format_duration_ms(j->last_duration_ms, took);
        if (j->last_at == PROTO_NO_TIME && j->last_wstatus == -1)
                printf("%-13s%s\n", "last run", "never ran");
        else if (j->last_wstatus == -1)
                printf("%-13s%s, no result yet\n", "last run", at);
        else
                printf("%-13s%s, %s after %s\n", "last run", at, how, took);
        zone_cache_iso(zc, j->zone, j->last_success_at, at);
        printf("%-13s%s (%u run%s, %u failure%s)\n", "last success", j->last_success_at == PROTO_NO_TIME ? "never" : at,
               j->runs, j->runs == 1 ? "" : "s", j->failures, j->failures == 1 ? "" : "s");
        if (j->running_pid > 0) {
                zone_cache_iso(zc, j->zone, j->running_since, at);
                printf("%-13spid %d since %s\n", "running", j->running_pid, at);
        }
}

static void print_output(const char *out) {
        const char *p = out;

        if (!*out) {
                printf("%-13s%s\n", "last output", "(none)");
                return;
        }
        printf("last output (its end):\n");
        while (*p) {
                size_t n = strcspn(p, "\n");
                _cleanup_free_ char *line = strndup(p, n);

                printf("    ");
                put_safe(stdout, line ? line : "", false);
                putchar('\n');
                p += n;
                if (*p == '\n')
                        p++;
        }
}

static void print_text(const struct proto_why *w, struct zone_cache *zc) {
        const struct proto_job *j = &w->job;
        char next[TIMEFMT_ISO_MAX];

        printf("%-13s", "job");
        if (j->name && *j->name) {
                put_safe(stdout, j->name, false);
                printf(" (");
        }
        put_safe(stdout, j->table, false);
        printf(":%u%s\n", j->line, j->name && *j->name ? ")" : "");
        field("user", j->user);
        field("command", j->command);
        printf("%-13s", "schedule");
        put_safe(stdout, j->schedule, false);
        printf("   (zone ");
        put_safe(stdout, j->zone && *j->zone ? j->zone : "local", false);
        printf(")\n");
        field("table", *w->state ? w->state : "in force");
        zone_cache_iso(zc, j->zone, j->next_at, next);
        field("next run", j->next_at == PROTO_NO_TIME ? "none planned" : next);
        print_last_run(j, zc);
        if (*w->note)
                field("why", w->note);
        print_output(w->output);
}

static void print_json(const struct proto_why *w, struct zone_cache *zc) {
        struct json j = { .f = stdout };

        json_open(&j, NULL, '{');
        json_job(&j, "job", &w->job, zc);
        json_string(&j, "table_state", w->state);
        json_string(&j, "note", w->note);
        json_string(&j, "output_tail", w->output);
        json_close(&j);
}

int cmd_why(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "why",
                .usage = "why [-u USER] [--json] JOB   (JOB: LINE, TABLE:LINE or a [name:...])",
                .takes = TAKES_USER | TAKES_JSON,
                .operand = "job",
                .operand_hint = " (LINE, TABLE:LINE or a name)",
        };
        struct zone_cache zc = {};
        struct proto_buf req = {};
        struct reply rep = {};
        struct proto_why w = {};
        struct cmd_opts o;
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        proto_put_request(&req, PROTO_WHY, &(struct proto_request) { .user = (char *) o.user, .job = (char *) o.arg });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK)
                return r;
        if (rep.type != PROTO_WHY_REPLY)
                r = reply_fail("why", &rep);
        else if (proto_get_why(&rep.r, &w) < 0)
                r = reply_malformed("why", &rep);
        else if (o.json)
                print_json(&w, &zc);
        else
                print_text(&w, &zc);
        proto_why_done(&w);
        reply_done(&rep);
        zone_cache_done(&zc);
        return r;
}
