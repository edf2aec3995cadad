/* ctl/cmd-status.c: tockctl status [-u USER] [--json]
 *
 * The daemon (version, uptime, counts) and one line per job: when it runs next, how its last
 * run ended, what is running now. Times are shown in each job's own zone, as ISO 8601 with the
 * offset, so that a job under CRON_TZ reads the way its table is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

/* One row of the table, every cell a string. */
enum { COL_JOB, COL_USER, COL_SCHEDULE, COL_NEXT, COL_LAST, COL_RESULT, COL_RUNNING, _COL_MAX };
static const char *const headings[_COL_MAX] = { "JOB", "USER", "SCHEDULE", "NEXT RUN", "LAST RUN", "RESULT",
                                                "RUNNING" };

struct row {
        char *cell[_COL_MAX];
};

static void row_done(struct row *w) {
        for (int c = 0; c < _COL_MAX; c++)
                free(w->cell[c]);
}

/* A cell as it is shown: a tab (/etc/crontab has them between fields) becomes a space and any other
 * control character '?', so that every cell is one line of known width. NULL stays NULL. */
static char *cell_safe(char *s) {
        for (unsigned char *p = (unsigned char *) s; p && *p; p++)
                if (*p == '\t')
                        *p = ' ';
                else if (*p < 0x20 || *p == 0x7f)
                        *p = '?';
        return s;
}

/* The columns a cell takes: one a character, UTF-8 continuation bytes taking none (wide
 * characters are not told apart: close enough for commands and paths) */
static size_t cell_width(const char *s) {
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                n += (*p & 0xc0) != 0x80;
        return n;
}

static char *job_id(const struct proto_job *j) {
        if (j->name && *j->name)
                return strdup(j->name);
        return strdup_printf("%s:%u", j->table, j->line);
}

static int make_row(const struct proto_job *j, struct zone_cache *zc, struct row *ret) {
        char next[TIMEFMT_ISO_MAX], last[TIMEFMT_ISO_MAX], since[TIMEFMT_ISO_MAX], how[WSTATUS_MAX],
                took[DURATION_MAX];
        struct row w = {};

        zone_cache_iso(zc, j->zone, j->next_at, next);
        zone_cache_iso(zc, j->zone, j->last_at, last);
        zone_cache_iso(zc, j->zone, j->running_since, since);
        format_wstatus(j->last_wstatus, how);
        format_duration_ms(j->last_duration_ms, took);
        w.cell[COL_JOB] = job_id(j);
        w.cell[COL_USER] = strdup(j->user);
        w.cell[COL_SCHEDULE] = strdup(j->schedule);
        w.cell[COL_NEXT] = strdup(next);
        w.cell[COL_LAST] = strdup(last);
        if (j->fleet_host && *j->fleet_host && j->fleet_at != PROTO_NO_TIME && j->fleet_at >= j->last_at) {
                /* a fleet job whose last fire time another host of the fleet ran */
                zone_cache_iso(zc, j->zone, j->fleet_at, last);
                free(w.cell[COL_LAST]);
                w.cell[COL_LAST] = strdup(last);
                w.cell[COL_RESULT] = strdup_printf("ran on %s", j->fleet_host);
        } else if (j->last_wstatus == -1)
                w.cell[COL_RESULT] = strdup(how);
        else
                w.cell[COL_RESULT] = strdup_printf("%s, %s", how, took);
        if (j->running_pid > 0)
                w.cell[COL_RUNNING] = strdup_printf("pid %d since %s", j->running_pid, since);
        else
                w.cell[COL_RUNNING] = strdup("-");
        for (int c = 0; c < _COL_MAX; c++)
                if (!cell_safe(w.cell[c])) {
                        row_done(&w);
                        return -ENOMEM;
                }
        *ret = w;
        return 0;
}

static void put_cell(const char *s, size_t width, bool last) {
        fputs(s, stdout);
        if (!last)
                printf("%*s", (int) (width - cell_width(s) + 2), "");
}

static int print_text(const struct proto_status *s, struct zone_cache *zc) {
        _cleanup_free_ struct row *rows = calloc(s->n ? s->n : 1, sizeof *rows);
        size_t width[_COL_MAX];
        char since[TIMEFMT_ISO_MAX], up[DURATION_MAX];
        int r = 0;

        if (!rows)
                return -ENOMEM;
        zone_cache_iso(zc, "", s->started_at, since);
        format_duration_ms(s->started_at == PROTO_NO_TIME ? -1 : ((int64_t) time(NULL) - s->started_at) * 1000, up);
        printf("tockd ");
        put_safe(stdout, s->version, false);
        printf(", up %s (since %s); %u table%s, %u job%s, %u running\n", up, since, s->tables, s->tables == 1 ? "" : "s",
               s->jobs, s->jobs == 1 ? "" : "s", s->running);
        if (s->n == 0) {
                printf("no jobs\n");
                return 0;
        }
        for (int c = 0; c < _COL_MAX; c++)
                width[c] = cell_width(headings[c]);
        for (size_t i = 0; i < s->n && r == 0; i++) {
                r = make_row(&s->job[i], zc, &rows[i]);
                for (int c = 0; c < _COL_MAX && r == 0; c++)
                        width[c] = MAX(width[c], cell_width(rows[i].cell[c]));
        }
        if (r == 0) {
                putchar('\n');
                for (int c = 0; c < _COL_MAX; c++)
                        put_cell(headings[c], width[c], c == _COL_MAX - 1);
                putchar('\n');
                for (size_t i = 0; i < s->n; i++) {
                        for (int c = 0; c < _COL_MAX; c++)
                                put_cell(rows[i].cell[c], width[c], c == _COL_MAX - 1);
                        putchar('\n');
                }
        }
        for (size_t i = 0; i < s->n; i++)
                row_done(&rows[i]);
        return r;
}

/* After the jobs: root naming nobody gets every refused table, anyone else their own. */
static int print_refused(const struct proto_refused *x, const char *user) {
        if (!x->total)
                return 0;
        putchar('\n');
        return refused_print(stdout, x, user, !user && geteuid() == 0);
}

static void print_json(const struct proto_status *s, const struct proto_refused *x, struct zone_cache *zc) {
        struct json j = { .f = stdout };

        json_open(&j, NULL, '{');
        json_string(&j, "version", s->version);
        json_time(&j, "started_at", zc, "", s->started_at);
        if (s->started_at == PROTO_NO_TIME)
                json_null(&j, "uptime_s");
        else
                json_int(&j, "uptime_s", (int64_t) time(NULL) - s->started_at);
        json_int(&j, "tables", s->tables);
        json_int(&j, "job_count", s->jobs);
        json_int(&j, "running", s->running);
        json_open(&j, "jobs", '[');
        for (size_t i = 0; i < s->n; i++)
                json_job(&j, NULL, &s->job[i], zc);
        json_close(&j);
        refused_json(&j, "refused", x);
        json_close(&j);
}

int cmd_status(int argc, char **argv) {
        static const struct cmd_spec spec = {
                .name = "status",
                .usage = "status [-u USER] [--json]",
                .takes = TAKES_USER | TAKES_JSON,
        };
        struct zone_cache zc = {};
        struct proto_refused x = {};
        struct proto_status s = {};
        struct proto_buf req = {};
        struct reply rep = {};
        const char *user;
        struct cmd_opts o;
        bool json;
        int r = cmd_options(argc, argv, &spec, &o);

        if (r >= 0)
                return r;
        user = o.user;
        json = o.json;
        proto_put_request(&req, PROTO_STATUS, &(struct proto_request) { .user = (char *) user });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK)
                return r;
        if (rep.type != PROTO_STATUS_REPLY) {
                r = reply_fail("status", &rep);
                reply_done(&rep);
                return r;
        }
        r = proto_get_status(&rep.r, &s);
        if (r >= 0)
                (void) refused_fetch(user, &x); /* none from a tockd that cannot say */
        if (r == -ENOMEM) {
                fprintf(stderr, "tockctl status: out of memory\n");
                r = EXIT_IO;
        } else if (r < 0) {
                r = reply_malformed("status", &rep);
        } else if (json) {
                print_json(&s, &x, &zc);
        } else if (print_text(&s, &zc) < 0 || print_refused(&x, user) < 0) {
                fprintf(stderr, "tockctl status: out of memory\n");
                r = EXIT_IO;
        }
        reply_done(&rep);
        proto_refused_done(&x);
        proto_status_done(&s);
        zone_cache_done(&zc);
        return r;
}
