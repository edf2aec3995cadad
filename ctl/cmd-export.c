/* ctl/cmd-export.c: tockctl export --to kubernetes|systemd [--system] [--image IMAGE]
 *                   [--namespace NS] [--prefix NAME] [--tz ZONE] [--from T] [--strict] [-o DIR] FILE
 *
 * Offline, like check and next: the table is read by tockd's parser, and each entry becomes a
 * Kubernetes CronJob or a systemd .service and .timer with the same meaning. What the target
 * cannot express is said per line: a warning (an error with --strict, and then nothing is
 * written). The schedule strings and the daylight-saving comparison come from common/export.c;
 * export-write.c writes the files. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "export-ctx.h"
#include "export.h"
#include "tzdb.h"
#include "util.h"

#define HORIZON_YEARS 5
#define NIGHTS_SHOWN 64

static const char *const target_names[] = { [EXPORT_K8S] = "Kubernetes", [EXPORT_SYSTEMD] = "systemd" };

/* The column where line `line` (1-based) starts its first non-blank, for messages. */
static unsigned first_col(const char *text, size_t len, unsigned line) {
        size_t off = 0;
        unsigned col = 1;

        for (unsigned n = 1; n < line && off < len; n++) {
                const char *nl = memchr(text + off, '\n', len - off);
                off = nl ? (size_t) (nl - text) + 1 : len;
        }
        while (off < len && (text[off] == ' ' || text[off] == '\t')) {
                off++;
                col++;
        }
        return col;
}

/* A warning, or an error with --strict: what the target cannot express. */
_printf_(4, 5) static void cannot(struct export_ctx *x, unsigned line, unsigned col, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        diag_add(&x->diags, x->strict ? DIAG_ERROR : DIAG_WARNING, line, col, "%s", r < 0 ? "out of memory" : msg);
}

static void format_day(int64_t day, char buf[static 48]) {
        struct civil c;

        civil_from_days(day, &c);
        snprintf(buf, 48, "%04lld-%02d-%02d", (long long) c.year, c.mon, c.mday);
}

/* cron's daylight-saving rule against the target's, over the horizon: the nights that differ. */
static int dst_check(struct export_ctx *x, struct export_job *j, unsigned col) {
        int64_t days[NIGHTS_SHOWN];
        char from[48], buf[48];
        _cleanup_free_ char *list = NULL;
        size_t size = 0;
        FILE *f;
        int n;

        if (!j->zone)
                return 0;
        n = export_dst_nights(&j->v.sched, j->zone, x->from, x->to,
                              x->target == EXPORT_K8S ? EXPORT_DST_WALL : EXPORT_DST_FIRST, days, NIGHTS_SHOWN);
        if (n == -ERANGE) {
                cannot(x, j->v.line, col, "daylight saving: the years from --from on are past what tock computes (9999)");
                return 0;
        }
        if (n <= 0)
                return n;
        f = open_memstream(&list, &size);
        if (!f)
                return -ENOMEM;
        for (int i = 0; i < MIN(n, NIGHTS_SHOWN); i++) {
                format_day(days[i], buf);
                fprintf(f, "%s%s", i ? ", " : "", buf);
        }
        if (n > NIGHTS_SHOWN)
                fprintf(f, " and %d more", n - NIGHTS_SHOWN);
        if (fclose(f) != 0)
                return -ENOMEM;
        format_day(floor_div(x->from + tz_offset(j->zone, x->from), 86400), from);
        cannot(x, j->v.line, col,
               "daylight saving: %s runs this job at other times than cron on %d night%s in %s in the %d years from %s: %s "
               "(cron runs a fixed time that spring forward skips once at the change and a repeated one once, and a "
               "wildcard job in both passes of a repeated hour; %s)",
               target_names[x->target], n, n == 1 ? "" : "s", tz_name(j->zone), HORIZON_YEARS, from, list,
               x->target == EXPORT_K8S ? "a CronJob never runs a skipped time and runs a repeated one twice"
                                       : "a timer never runs a skipped time and runs nothing in the second pass of a "
                                         "repeated hour");
        return 0;
}

/* The schedule as the target takes it; false when the entry cannot move at all. */
static bool entry_schedule_for(struct export_ctx *x, struct export_job *j, unsigned col) {
        int r;

        if (x->target == EXPORT_SYSTEMD) {
                if (j->v.sched.flags & SCHED_REBOOT)
                        return true; /* OnBootSec=0 */
                r = export_calendar(&j->v.sched, j->zone_name, j->calendar);
                if (r < 0) {
                        cannot(x, j->v.line, col, "the schedule is too long for OnCalendar=: not exported");
                        return false;
                }
                j->n_calendar = r;
                return true;
        }
        r = export_cron_fields(&j->v.sched, j->cron, sizeof j->cron);
        if (r == -ENOENT)
                cannot(x, j->v.line, col, "@reboot has no meaning for a CronJob: not exported");
        else if (r == -EDOM)
                cannot(x, j->v.line, col, "the job runs at seconds other than :00 ([sec:...]); a CronJob schedule has no "
                                          "seconds field: not exported");
        else if (r == -ENOTSUP)
                cannot(x, j->v.line, col,
                       "both day fields are restricted and one starts with '*', so cron runs on the days that match both; "
                       "a CronJob runs on the days that match either: not exported");
        else if (r < 0)
                cannot(x, j->v.line, col, "the schedule is too long for a CronJob: not exported");
        return r >= 0;
}

/* Whether s is UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF) */
static bool utf8_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                unsigned n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : 4;
                uint32_t c = n == 0 ? *p : *p & (0x3f >> n);
                if (n == 4 || (n == 1 && *p < 0xc2))
                        return false;
                for (unsigned i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        c = c << 6 | (p[i] & 0x3f);
                }
                if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n == 3 && (c < 0x10000 || c > 0x10ffff)))
                        return false;
                p += n + 1;
        }
        return true;
}

/* YAML and unit files carry only UTF-8 (the '%' input goes to systemd as base64) */
static bool text_check(struct export_ctx *x, const struct export_job *j, unsigned col) {
        bool ok = utf8_valid(j->v.command) && (x->target == EXPORT_SYSTEMD || !j->v.input || utf8_valid(j->v.input));

        for (size_t i = 0; ok && i < j->v.n_env; i++)
                ok = utf8_valid(x->table->env[i].name) && utf8_valid(x->table->env[i].value);
        if (!ok)
                cannot(x, j->v.line, col, "the command, its input or its environment is not UTF-8, which %s cannot carry: "
                                          "not exported",
                       x->target == EXPORT_K8S ? "YAML" : "a unit file");
        return ok;
}

/* Every per-job option and environment variable the target cannot carry. */
static void options_check(struct export_ctx *x, struct export_job *j, unsigned col) {
        const struct job_opts *o = &j->v.opts;
        const char *mailto = crontab_env_get_n(x->table, j->v.n_env, "MAILTO");
        enum overlap ov = o->overlap == OVERLAP_UNSET ? OVERLAP_RUN : o->overlap;

        if (x->target == EXPORT_K8S) {
                if (ov == OVERLAP_QUEUE)
                        cannot(x, j->v.line, col, "overlap:queue: a CronJob cannot queue a run behind the one going; "
                                                  "exported as concurrencyPolicy: Forbid, which skips it");
                if (o->jitter_s > 0)
                        cannot(x, j->v.line, col, "jitter: a CronJob has no random delay; dropped");
                if (j->v.user)
                        cannot(x, j->v.line, col,
                               "the job runs as '%s' here; a CronJob runs as its image's user (set the pod's "
                               "securityContext.runAsUser)",
                               j->v.user);
        } else {
                if (ov == OVERLAP_RUN)
                        cannot(x, j->v.line, col,
                               "overlap: cron starts a run while the previous one is still going; a timer does not "
                               "start a service that is running (write [overlap:skip] to accept that)");
                else if (ov == OVERLAP_QUEUE)
                        cannot(x, j->v.line, col, "overlap:queue: a timer does not queue a run behind the one going; "
                                                  "the run is skipped");
        }
        if (mailto && *mailto)
                cannot(x, j->v.line, col, "MAILTO=%s: cron mails the job's output; %s", mailto,
                       x->target == EXPORT_K8S ? "a CronJob's output goes to its pod's log"
                                               : "a service's output goes to the journal");
}

static int job_name(struct export_ctx *x, struct export_job *j) {
        _cleanup_free_ char *raw = NULL;
        size_t room = EXPORT_NAME_MAX;

        if (j->v.opts.name)
                raw = strdup_printf("%s-%s", x->prefix, j->v.opts.name);
        else
                raw = strdup_printf("%s-line-%u", x->prefix, j->v.line);
        if (!raw)
                return -ENOMEM;
        if (x->target == EXPORT_SYSTEMD)
                room = sizeof j->name - 1 - strlen(".service");
        if (export_dns_name(raw, j->name, sizeof j->name, room) < 0) {
                diag_add(&x->diags, DIAG_ERROR, j->v.line, 0, "no name can be made of '%s'", raw);
                return 0;
        }
        for (size_t i = 0; i < x->n_jobs; i++)
                if (&x->jobs[i] != j && x->jobs[i].name[0] && streq(x->jobs[i].name, j->name))
                        diag_add(&x->diags, DIAG_ERROR, j->v.line, 0,
                                 "the name '%s' is also line %u's (names are made lower case, of letters, digits "
                                 "and '-', at most %zu characters): give one of them another [name:...]",
                                 j->name, x->jobs[i].v.line, room);
        return 0;
}

static int export_entry(struct export_ctx *x, size_t i) {
        struct export_job *j = &x->jobs[i];
        const struct entry *e = &x->table->entries[i];
        unsigned col = first_col(x->text, x->len, e->line);
        const char *cron_tz = crontab_env_get(x->table, e, "CRON_TZ");

        entry_view(x->table, e, &j->v);
        j->zone_name = cron_tz ? cron_tz : x->local_name;
        j->zone = cron_tz ? tzdb_cache_get(&x->zones, NULL, cron_tz) : x->local;
        if (!j->zone) {
                diag_add(&x->diags, DIAG_ERROR, e->line, 0, "cannot load time zone '%s'", cron_tz);
                return 0;
        }
        if (!j->zone_name && !(j->v.sched.flags & SCHED_REBOOT))
                cannot(x, e->line, col,
                       "the local time zone has no name here ($TZ is a rule, or /etc/localtime is not a link into the zone "
                       "files): "
                       "the %s runs in its own machine's zone; give --tz ZONE or CRON_TZ",
                       x->target == EXPORT_K8S ? "CronJob" : "timer");
        if (job_name(x, j) < 0)
                return -ENOMEM;
        j->exported = entry_schedule_for(x, j, col) && text_check(x, j, col);
        if (!j->exported)
                return 0;
        options_check(x, j, col);
        return dst_check(x, j, col);
}

static int export_parse(struct export_ctx *x) {
        const struct crontab_opts opts = { .mode = x->mode, .seed = table_seed(x->file), .zone_check = zone_check };
        struct diag_list diags = {};
        int r;

        r = crontab_parse(x->text, x->len, &opts, &x->table, &diags);
        print_diags(&diags, x->shown, x->text, x->len);
        diag_list_done(&diags);
        if (r == -ENOMEM)
                return EXIT_IO;
        if (r < 0) {
                fprintf(stderr, "%s: the table has errors; nothing was exported\n", x->shown);
                return EXIT_INVALID;
        }
        return -1;
}

/* The zone of the entries without CRON_TZ: --tz, else the local zone, named when it can be. */
static int export_zone(struct export_ctx *x, const char *zone_name) {
        int r = zone_load(zone_name, &x->local);

        if (r < 0) {
                fprintf(stderr, "tockctl export: unknown time zone '%s'\n", zone_name ? zone_name : "(local)");
                return EXIT_IO;
        }
        x->local_name = zone_name ? zone_name : tz_name(x->local);
        if (!zone_name && !tzdb_name_is_valid(x->local_name))
                x->local_name = NULL; /* "localtime": a copy, not a link */
        return -1;
}

static int export_from(struct export_ctx *x, const char *from) {
        int64_t wall;
        bool skipped;

        if (!from) {
                x->from = (int64_t) time(NULL);
        } else if (timefmt_parse_wall(from, &wall) < 0 || timefmt_wall_to_utc(x->local, wall, &x->from, &skipped) < 0) {
                usage_error("export", "--from '%s': expected YYYY-MM-DDTHH:MM[:SS]", from);
                return EXIT_USAGE;
        }
        x->to = x->from + HORIZON_YEARS * 146097LL * 86400 / 400;
        return -1;
}

static const char *default_prefix(const char *file, char buf[static EXPORT_NAME_MAX + 1]) {
        const char *base = strrchr(file, '/');
        char *dot;

        if (streq(file, "-"))
                return "crontab";
        snprintf(buf, EXPORT_NAME_MAX + 1, "%s", base ? base + 1 : file);
        dot = strchr(buf, '.');
        if (dot && dot != buf)
                *dot = 0;
        return buf;
}

static int export_run(struct export_ctx *x) {
        int r;

        r = read_input(x->file, 0, &x->text, &x->len);
        if (r < 0)
                return input_failed(x->file, r);
        r = export_parse(x);
        if (r >= 0)
                return r;
        x->jobs = calloc(x->table->n_entries ? x->table->n_entries : 1, sizeof *x->jobs);
        if (!x->jobs)
                return EXIT_IO;
        x->n_jobs = x->table->n_entries;
        for (size_t i = 0; i < x->n_jobs; i++)
                if (export_entry(x, i) < 0)
                        return EXIT_IO;
        print_diags(&x->diags, x->shown, x->text, x->len);
        if (x->diags.n_errors > 0) {
                fprintf(stderr, "%s: %zu error%s, %zu warning%s; nothing was exported\n", x->shown, x->diags.n_errors,
                        x->diags.n_errors == 1 ? "" : "s", x->diags.n_warnings, x->diags.n_warnings == 1 ? "" : "s");
                return EXIT_INVALID;
        }
        r = export_write(x);
        if (r < 0)
                return EXIT_IO;
        fprintf(stderr, "%s: %zu of %zu entr%s exported to %s, %zu warning%s\n", x->shown, (size_t) r, x->n_jobs,
                x->n_jobs == 1 ? "y" : "ies", target_names[x->target], x->diags.n_warnings,
                x->diags.n_warnings == 1 ? "" : "s");
        return EXIT_OK;
}

static void export_done(struct export_ctx *x) {
        free(x->jobs);
        crontab_free(x->table);
        free(x->text);
        tz_free(x->local);
        tzdb_cache_done(&x->zones);
        diag_list_done(&x->diags);
}

int cmd_export(int argc, char **argv) {
        static const struct option longopts[] = {
                { "to", required_argument, NULL, 't' },     { "system", no_argument, NULL, 's' },
                { "image", required_argument, NULL, 'i' },  { "namespace", required_argument, NULL, 'n' },
                { "prefix", required_argument, NULL, 'p' }, { "strict", no_argument, NULL, 'S' },
                { "tz", required_argument, NULL, 'z' },     { "from", required_argument, NULL, 'f' },
                { "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
                {},
        };
        struct export_ctx x = { .mode = CRONTAB_USER, .image = EXPORT_DEFAULT_IMAGE };
        const char *to = NULL, *zone_name = NULL, *from = NULL;
        char prefix[EXPORT_NAME_MAX + 1];
        int c, r;

        while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 't':
                        to = optarg;
                        break;
                case 's':
                        x.mode = CRONTAB_SYSTEM;
                        break;
                case 'i':
                        x.image = optarg;
                        break;
                case 'n':
                        x.namespace = optarg;
                        break;
                case 'p':
                        x.prefix = optarg;
                        break;
                case 'S':
                        x.strict = true;
                        break;
                case 'z':
                        zone_name = optarg;
                        break;
                case 'f':
                        from = optarg;
                        break;
                case 'o':
                        x.dir = optarg;
                        break;
                case 'h':
                        printf("usage: tockctl %s\n", EXPORT_USAGE);
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        }
        if (!to || (!streq(to, "kubernetes") && !streq(to, "k8s") && !streq(to, "systemd"))) {
                usage_error("export", to ? "unknown target '%s': --to kubernetes or --to systemd" : "%s",
                            to ? to : "--to kubernetes or --to systemd is needed");
                return EXIT_USAGE;
        }
        x.target = streq(to, "systemd") ? EXPORT_SYSTEMD : EXPORT_K8S;
        if (optind + 1 != argc) {
                usage_error("export", optind >= argc ? "no file given ('-' reads standard input)" : "one file at a time");
                return EXIT_USAGE;
        }
        x.file = argv[optind];
        x.shown = streq(x.file, "-") ? "<stdin>" : x.file;
        if (!x.prefix)
                x.prefix = default_prefix(x.file, prefix);
        r = export_zone(&x, zone_name);
        if (r < 0)
                r = export_from(&x, from);
        if (r < 0)
                r = export_run(&x);
        export_done(&x);
        return r;
}
