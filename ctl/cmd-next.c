/* ctl/cmd-next.c: tockctl next [--from T] [--tz ZONE] [--count N] [--json] (EXPR | --file FILE)
 *                 tockctl next [-u USER] [--tz ZONE] [--count N] [--json]
 *
 * Prints the instants at which tockd will run a schedule or a table, the daylight-saving rule
 * included, computed offline by the same core as the daemon. Without EXPR or --file it asks
 * tockd for the upcoming runs of every job of the user, in time order. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "heap.h"
#include "timefmt.h"
#include "tzdb.h"
#include "util.h"

struct next_args {
        const char *from, *zone_name, *file, *user;
        long count;
        enum crontab_mode mode;
        struct tz *zone;
        int64_t after;
        struct json *json; /* non-NULL: a JSON document on stdout */
};

static int parse_from(struct next_args *a) {
        int64_t wall;
        bool skipped;

        if (!a->from) {
                a->after = (int64_t) time(NULL);
                return 0;
        }
        if (timefmt_parse_wall(a->from, &wall) < 0) {
                usage_error("next", "--from '%s': expected YYYY-MM-DDTHH:MM[:SS]", a->from);
                return -EINVAL;
        }
        if (timefmt_wall_to_utc(a->zone, wall, &a->after, &skipped) < 0) {
                usage_error("next", "--from '%s' is out of range", a->from);
                return -ERANGE;
        }
        /* "strictly after" a wall time that the clock skipped: after the instant just before it */
        if (skipped)
                a->after -= 1;
        return 0;
}

static int next_expr_runs(struct next_args *a, const struct sched *sp, const char *expr);

static int next_expr(struct next_args *a, const char *expr) {
        struct diag_list diags = {};
        struct sched s;
        int r;

        r = crontab_parse_expr(expr, table_seed(NULL), &s, &diags);
        print_diags(&diags, "<expression>", expr, strlen(expr));
        diag_list_done(&diags);
        if (r < 0) {
                fprintf(stderr, "tockctl next: '%s' is not a valid schedule\n", expr);
                return EXIT_INVALID;
        }
        if (a->json) {
                json_open(a->json, NULL, '{');
                json_string(a->json, "expression", expr);
                json_bool(a->json, "reboot", s.flags & SCHED_REBOOT);
                json_open(a->json, "runs", '[');
        }
        r = next_expr_runs(a, &s, expr);
        if (a->json) {
                json_close(a->json);
                json_close(a->json);
        }
        return r;
}

static int next_expr_runs(struct next_args *a, const struct sched *s, const char *expr) {
        char buf[TIMEFMT_ISO_MAX];
        int64_t at = a->after;
        int r;

        if (s->flags & SCHED_REBOOT) {
                if (!a->json)
                        printf("@reboot: once when tockd starts after a boot\n");
                return EXIT_OK;
        }
        for (long i = 0; i < a->count; i++) {
                r = sched_next(s, at, a->zone, &at);
                if (r == -ENOENT) {
                        if (i == 0) {
                                fprintf(stderr, "tockctl next: '%s' never fires\n", expr);
                                return EXIT_INVALID;
                        }
                        break;
                }
                if (r < 0)
                        break;
                timefmt_iso(a->zone, at, buf);
                if (a->json)
                        json_string(a->json, NULL, buf);
                else
                        puts(buf);
        }
        return EXIT_OK;
}

/* ---- a whole table ---- */

struct job {
        struct heap_node node; /* first: the heap hands back a pointer to it */
        struct entry_view v;   /* the entry */
        const struct tz *zone; /* borrowed from the zone cache */
};

static void print_job(const struct next_args *a, const struct job *j, int64_t at) {
        char buf[TIMEFMT_ISO_MAX];

        if (at == INT64_MIN)
                snprintf(buf, sizeof buf, "@reboot");
        else
                timefmt_iso(j->zone, at, buf);
        if (a->json) {
                json_open(a->json, NULL, '{');
                if (at == INT64_MIN)
                        json_null(a->json, "at");
                else
                        json_string(a->json, "at", buf);
                json_bool(a->json, "reboot", at == INT64_MIN);
                json_int(a->json, "line", j->v.line);
                json_string(a->json, "user", j->v.user);
                json_string(a->json, "command", j->v.command);
                json_close(a->json);
                return;
        }
        printf("%-25s  line %-4u  %s%s%s\n", buf, j->v.line, j->v.user ? j->v.user : "", j->v.user ? "  " : "",
               j->v.command);
}

static int next_file(struct next_args *a) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(crontab_freep) struct crontab *t = NULL;
        _cleanup_free_ struct job *jobs = NULL;
        struct tzdb_cache zones = {};
        struct heap h = {};
        struct diag_list diags = {};
        const char *shown = streq(a->file, "-") ? "<stdin>" : a->file;
        size_t len;
        int r, ret = EXIT_OK;

        r = read_input(a->file, 0, &text, &len);
        if (r < 0)
                return input_failed(a->file, r);
        const struct crontab_opts opts = { .mode = a->mode, .seed = table_seed(a->file), .zone_check = zone_check };
        r = crontab_parse(text, len, &opts, &t, &diags);
        print_diags(&diags, shown, text, len);
        diag_list_done(&diags);
        if (r < 0) {
                fprintf(stderr, "%s: the table has errors; tockd would refuse it\n", shown);
                return EXIT_INVALID;
        }
        jobs = calloc(t->n_entries ? t->n_entries : 1, sizeof(*jobs));
        if (!jobs)
                return EXIT_IO;
        if (a->json) {
                json_open(a->json, NULL, '{');
                json_string(a->json, "file", shown);
                json_open(a->json, "runs", '[');
        }
        for (size_t i = 0; i < t->n_entries; i++) {
                struct job *j = &jobs[i];
                entry_view(t, &t->entries[i], &j->v);
                const char *tz_name = crontab_env_get(t, &t->entries[i], "CRON_TZ");
                j->zone = tz_name ? tzdb_cache_get(&zones, NULL, tz_name) : a->zone;
                j->node.seq = i;
                if (!j->zone) {
                        fprintf(stderr, "%s:%u: error: cannot load time zone '%s'\n", shown, j->v.line,
                                tz_name);
                        ret = EXIT_IO;
                        goto out;
                }
                if (j->v.sched.flags & SCHED_REBOOT) {
                        print_job(a, j, INT64_MIN);
                        continue;
                }
                if (sched_next(&j->v.sched, a->after, j->zone, &j->node.at) < 0)
                        continue;
                if (heap_push(&h, &j->node) < 0) {
                        ret = EXIT_IO;
                        goto out;
                }
        }
        for (long n = 0; n < a->count; n++) {
                struct job *j = (struct job *) heap_pop(&h);
                if (!j)
                        break;
                print_job(a, j, j->node.at);
                if (sched_next(&j->v.sched, j->node.at, j->zone, &j->node.at) == 0 && heap_push(&h, &j->node) < 0) {
                        ret = EXIT_IO;
                        goto out;
                }
        }
out:
        if (a->json) {
                json_close(a->json);
                json_close(a->json);
        }
        heap_done(&h);
        tzdb_cache_done(&zones);
        return ret;
}

/* ---- tockd's plan: every job of the user ---- */

struct planned {
        int64_t at;
        char *zone, *table, *user, *command, *job;
        uint32_t line;
};

struct plan {
        struct planned *runs;
        size_t n;
};

static void plan_done(struct plan *p) {
        for (size_t i = 0; i < p->n; i++) {
                struct planned *x = &p->runs[i];
                free(x->zone);
                free(x->table);
                free(x->user);
                free(x->command);
                free(x->job);
        }
        free(p->runs);
        *p = (struct plan) {};
}

/* The runs in tockd's NEXT reply, as planned runs (their strings move over). */
static int read_plan(struct proto_reader *r, struct plan *p) {
        struct proto_next x = {};
        int k = proto_get_next(r, &x);

        if (k < 0)
                return k;
        p->runs = calloc(x.n ? x.n : 1, sizeof *p->runs);
        k = p->runs ? 0 : -ENOMEM;
        for (size_t i = 0; k == 0 && i < x.n; i++) {
                struct proto_next_run *u = &x.runs[i];
                struct planned *y = &p->runs[p->n++];

                *y = (struct planned) { .at = u->at, .zone = TAKE_PTR(u->zone), .table = TAKE_PTR(u->table),
                                        .line = u->line, .user = TAKE_PTR(u->user), .command = TAKE_PTR(u->command) };
                y->job = strdup_printf("%s:%u", y->table, y->line);
                if (!y->job)
                        k = -ENOMEM;
        }
        proto_next_done(&x);
        return k;
}

static void plan_json(const struct next_args *a, const struct plan *p, struct zone_cache *zc) {
        struct json *j = a->json;

        json_open(j, NULL, '{');
        json_open(j, "runs", '[');
        for (size_t i = 0; i < p->n; i++) {
                const struct planned *x = &p->runs[i];
                json_open(j, NULL, '{');
                json_time(j, "at", zc, a->zone_name ? a->zone_name : x->zone, x->at);
                json_int(j, "at_unix", x->at);
                json_string(j, "zone", x->zone);
                json_string(j, "table", x->table);
                json_int(j, "line", x->line);
                json_string(j, "user", x->user);
                json_string(j, "command", x->command);
                json_close(j);
        }
        json_close(j);
        json_close(j);
}

/* Like --file: time, job, command; the user too when the runs are not all one user's. */
static void plan_text(const struct next_args *a, const struct plan *p, struct zone_cache *zc) {
        size_t width = 0;
        bool users = false;

        for (size_t i = 0; i < p->n; i++) {
                width = MAX(width, strlen(p->runs[i].job));
                users = users || !streq(p->runs[i].user, p->runs[0].user);
        }
        for (size_t i = 0; i < p->n; i++) {
                const struct planned *x = &p->runs[i];
                char buf[TIMEFMT_ISO_MAX];

                zone_cache_iso(zc, a->zone_name ? a->zone_name : x->zone, x->at, buf);
                printf("%-25s  ", buf);
                put_safe(stdout, x->job, false);
                printf("%*s", (int) (width - strlen(x->job) + 2), "");
                if (users) {
                        put_safe(stdout, x->user, false);
                        printf("  ");
                }
                put_safe(stdout, x->command, false);
                putchar('\n');
        }
        if (p->n == 0)
                fprintf(stderr, "tockctl next: no upcoming runs\n");
}

static int next_daemon(struct next_args *a) {
        struct zone_cache zc = {};
        struct proto_buf req = {};
        struct reply rep = {};
        struct plan p = {};
        int r;

        proto_put_request(&req, PROTO_NEXT, &(struct proto_request) { .user = (char *) a->user, .count = (uint32_t) a->count });
        r = client_request(&req, &rep);
        proto_buf_done(&req);
        if (r != EXIT_OK)
                return r;
        if (rep.type != PROTO_NEXT_REPLY) {
                r = reply_fail("next", &rep);
        } else {
                r = read_plan(&rep.r, &p);
                if (r == -ENOMEM) {
                        fprintf(stderr, "tockctl next: out of memory\n");
                        r = EXIT_IO;
                } else if (r < 0) {
                        r = reply_malformed("next", &rep);
                } else if (a->json) {
                        plan_json(a, &p, &zc);
                } else {
                        plan_text(a, &p, &zc);
                }
        }
        plan_done(&p);
        reply_done(&rep);
        zone_cache_done(&zc);
        return r;
}

int cmd_next(int argc, char **argv) {
        static const struct option longopts[] = {
                { "from", required_argument, NULL, 'f' },   { "tz", required_argument, NULL, 'z' },
                { "count", required_argument, NULL, 'n' },  { "file", required_argument, NULL, 'F' },
                { "system", no_argument, NULL, 's' },       { "help", no_argument, NULL, 'h' },
                { "user", required_argument, NULL, 'u' },   { "json", no_argument, NULL, 'J' },
                {},
        };
        struct next_args a = { .count = -1 };
        struct json json = { .f = stdout };
        _cleanup_(tz_freep) struct tz *zone = NULL;
        _cleanup_free_ char *expr = NULL;
        size_t elen = 0;
        char *end;
        int c, r;

        /* '+' stops at the first non-option, so "-5" in an expression is not taken as a flag */
        while ((c = getopt_long(argc, argv, "+f:z:n:F:shu:", longopts, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        a.from = optarg;
                        break;
                case 'z':
                        a.zone_name = optarg;
                        break;
                case 'n':
                        errno = 0;
                        a.count = strtol(optarg, &end, 10);
                        if (errno || *end || a.count < PROTO_NEXT_MIN || a.count > PROTO_NEXT_MAX) {
                                usage_error("next", "--count takes a number from 1 to %d", PROTO_NEXT_MAX);
                                return EXIT_USAGE;
                        }
                        break;
                case 'F':
                        a.file = optarg;
                        break;
                case 's':
                        a.mode = CRONTAB_SYSTEM;
                        break;
                case 'u':
                        a.user = optarg;
                        break;
                case 'J':
                        a.json = &json;
                        break;
                case 'h':
                        printf("usage: tockctl next [--from YYYY-MM-DDTHH:MM[:SS]] [--tz ZONE] [--count N] [--json] EXPR\n"
                               "       tockctl next [--from ...] [--tz ZONE] [--count N] [--json] [--system] --file FILE\n"
                               "       tockctl next [-u USER] [--tz ZONE] [--count N] [--json]   (asks tockd)\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (a.file && optind < argc) {
                usage_error("next", "give either EXPR or --file, not both");
                return EXIT_USAGE;
        }
        if (!a.file && optind >= argc) {
                /* tockd plans from its own clock, for the tables it has */
                if (a.from || a.mode == CRONTAB_SYSTEM) {
                        usage_error("next", "%s goes with EXPR or --file", a.from ? "--from" : "--system");
                        return EXIT_USAGE;
                }
                if (a.zone_name && zone_load(a.zone_name, &zone) < 0) {
                        fprintf(stderr, "tockctl next: unknown time zone '%s'\n", a.zone_name);
                        return EXIT_IO;
                }
                if (a.count < 0)
                        a.count = 10;
                return next_daemon(&a);
        }
        if (a.user) {
                usage_error("next", "-u asks tockd: it goes without EXPR and --file");
                return EXIT_USAGE;
        }
        r = zone_load(a.zone_name, &zone);
        if (r < 0) {
                fprintf(stderr, "tockctl next: unknown time zone '%s'\n", a.zone_name ? a.zone_name : "(local)");
                return EXIT_IO;
        }
        a.zone = zone;
        if (parse_from(&a) < 0)
                return EXIT_USAGE;
        if (a.file) {
                if (a.count < 0)
                        a.count = 10;
                return next_file(&a);
        }
        if (a.count < 0)
                a.count = 5;
        /* "tockctl next 0 3 '*' '*' '*'" and "tockctl next '0 3 * * *'" are the same */
        for (int i = optind; i < argc; i++)
                elen += strlen(argv[i]) + 1;
        expr = calloc(elen + 1, 1);
        if (!expr)
                return EXIT_IO;
        for (int i = optind; i < argc; i++) {
                strcat(expr, argv[i]);
                if (i + 1 < argc)
                        strcat(expr, " ");
        }
        return next_expr(&a, expr);
}
