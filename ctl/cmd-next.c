/* ctl/cmd-next.c: tockctl next [--from T] [--tz ZONE] [--count N] (EXPR | --file FILE)
 *
 * Prints the instants at which tockd will run a schedule, the daylight-saving rule included,
 * computed by the same core as the daemon. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "heap.h"
#include "timefmt.h"
#include "util.h"

#define NEXT_MAX_COUNT 100000

struct next_args {
        const char *from, *zone_name, *file;
        long count;
        enum crontab_mode mode;
        struct tz *zone;
        int64_t after;
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

static int next_expr(struct next_args *a, const char *expr) {
        struct diag_list diags = {};
        struct sched s;
        char buf[TIMEFMT_ISO_MAX];
        int64_t at = a->after;
        int r;

        r = crontab_parse_expr(expr, table_seed(NULL), &s, &diags);
        print_diags(&diags, "<expression>", expr, strlen(expr));
        diag_list_done(&diags);
        if (r < 0) {
                fprintf(stderr, "tockctl next: '%s' is not a valid schedule\n", expr);
                return EXIT_INVALID;
        }
        if (s.flags & SCHED_REBOOT) {
                printf("@reboot: once when tockd starts after a boot\n");
                return EXIT_OK;
        }
        for (long i = 0; i < a->count; i++) {
                r = sched_next(&s, at, a->zone, &at);
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
                puts(buf);
        }
        return EXIT_OK;
}

/* ---- a whole table ---- */

struct job {
        struct heap_node node; /* first: the heap hands back a pointer to it */
        const struct entry *e;
        struct tz *zone; /* borrowed from the zone list */
};

struct zone_list {
        char *names[64];
        struct tz *zones[64];
        size_t n;
};

static struct tz *zone_for(struct zone_list *zl, struct tz *dflt, const char *name) {
        if (!name)
                return dflt;
        for (size_t i = 0; i < zl->n; i++)
                if (streq(zl->names[i], name))
                        return zl->zones[i];
        if (zl->n == ELEMENTSOF(zl->names))
                return NULL;
        if (zone_load(name, &zl->zones[zl->n]) < 0)
                return NULL;
        zl->names[zl->n] = strdup(name);
        if (!zl->names[zl->n]) {
                tz_free(zl->zones[zl->n]);
                return NULL;
        }
        return zl->zones[zl->n++];
}

static void zone_list_done(struct zone_list *zl) {
        for (size_t i = 0; i < zl->n; i++) {
                free(zl->names[i]);
                tz_free(zl->zones[i]);
        }
}

static void print_job(const struct job *j, int64_t at) {
        char buf[TIMEFMT_ISO_MAX];

        if (at == INT64_MIN)
                snprintf(buf, sizeof buf, "@reboot");
        else
                timefmt_iso(j->zone, at, buf);
        printf("%-25s  line %-4u  %s%s%s\n", buf, j->e->line, j->e->user ? j->e->user : "", j->e->user ? "  " : "",
               j->e->command);
}

static int next_file(struct next_args *a) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(crontab_freep) struct crontab *t = NULL;
        _cleanup_free_ struct job *jobs = NULL;
        struct zone_list zl = {};
        struct heap h = {};
        struct diag_list diags = {};
        const char *shown = streq(a->file, "-") ? "<stdin>" : a->file;
        size_t len;
        int r, ret = EXIT_OK;

        r = read_input(a->file, CRONTAB_MAX_BYTES, &text, &len);
        if (r < 0) {
                fprintf(stderr, "%s: error: cannot read: %s\n", shown, strerror(-r));
                return EXIT_IO;
        }
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
        for (size_t i = 0; i < t->n_entries; i++) {
                struct job *j = &jobs[i];
                j->e = &t->entries[i];
                j->zone = zone_for(&zl, a->zone, crontab_env_get(t, j->e, "CRON_TZ"));
                j->node.seq = i;
                if (!j->zone) {
                        fprintf(stderr, "%s:%u: error: cannot load time zone '%s'\n", shown, j->e->line,
                                crontab_env_get(t, j->e, "CRON_TZ"));
                        ret = EXIT_IO;
                        goto out;
                }
                if (j->e->sched.flags & SCHED_REBOOT) {
                        print_job(j, INT64_MIN);
                        continue;
                }
                if (sched_next(&j->e->sched, a->after, j->zone, &j->node.at) < 0)
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
                print_job(j, j->node.at);
                if (sched_next(&j->e->sched, j->node.at, j->zone, &j->node.at) == 0 && heap_push(&h, &j->node) < 0) {
                        ret = EXIT_IO;
                        goto out;
                }
        }
out:
        heap_done(&h);
        zone_list_done(&zl);
        return ret;
}

int cmd_next(int argc, char **argv) {
        static const struct option longopts[] = {
                { "from", required_argument, NULL, 'f' },   { "tz", required_argument, NULL, 'z' },
                { "count", required_argument, NULL, 'n' },  { "file", required_argument, NULL, 'F' },
                { "system", no_argument, NULL, 's' },       { "help", no_argument, NULL, 'h' },
                {},
        };
        struct next_args a = { .count = -1 };
        _cleanup_(tz_freep) struct tz *zone = NULL;
        _cleanup_free_ char *expr = NULL;
        size_t elen = 0;
        char *end;
        int c, r;

        /* '+' stops at the first non-option, so "-5" in an expression is not taken as a flag */
        while ((c = getopt_long(argc, argv, "+f:z:n:F:sh", longopts, NULL)) >= 0) {
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
                        if (errno || *end || a.count < 1 || a.count > NEXT_MAX_COUNT) {
                                usage_error("next", "--count takes a number from 1 to %d", NEXT_MAX_COUNT);
                                return EXIT_USAGE;
                        }
                        break;
                case 'F':
                        a.file = optarg;
                        break;
                case 's':
                        a.mode = CRONTAB_SYSTEM;
                        break;
                case 'h':
                        printf("usage: tockctl next [--from YYYY-MM-DDTHH:MM[:SS]] [--tz ZONE] [--count N] EXPR\n"
                               "       tockctl next [--from ...] [--tz ZONE] [--count N] [--system] --file FILE\n");
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (!a.file == (optind >= argc)) {
                usage_error("next", a.file ? "give either EXPR or --file, not both" : "no expression given");
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
