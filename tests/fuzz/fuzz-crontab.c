/* tests/fuzz/fuzz-crontab.c: libFuzzer target for the crontab parser.
 *
 * Feeds the input to crontab_parse() as a user table (default limits) and as a system table
 * (small limits, a CRON_TZ check that refuses zones starting with 'X'), and, when it is short,
 * to crontab_parse_expr() as one NUL-terminated expression. Then walks everything that came
 * out: each schedule through sched_never() and one sched_next() in UTC, the environment through
 * crontab_env_get(), every message through diag_format(), and frees it all.
 *
 * On the way it checks the parser's contract and aborts on a breach, so that libFuzzer reports
 * it like a crash: a table exactly when there is no error, every message at a line and column
 * inside the input, masks inside their fields, a next fire time after the start that matches
 * the schedule, options within their documented ranges.
 *
 * Built with clang -fsanitize=fuzzer for `make fuzz`, or with tests/fuzz/run-corpus.c (a plain
 * main()) to replay the saved corpus in `make check`. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crontab.h"
#include "sched.h"
#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXPR_MAX 256            /* longer inputs are not tried as expressions */
#define START_AT 1767225600LL   /* 2026-01-01T00:00:00Z: where sched_next() starts */
#define SEED 0x746f636b2d667a7aULL

#define check(cond)                                                                                   \
        do {                                                                                          \
                if (!(cond)) {                                                                        \
                        fprintf(stderr, "fuzz-crontab: check failed: %s (%s:%d)\n", #cond, __FILE__, \
                                __LINE__);                                                            \
                        abort();                                                                      \
                }                                                                                     \
        } while (0)

/* UTC, built once and kept for the life of the process. */
static const struct tz *utc(void) {
        static struct tz *zone;

        if (!zone)
                check(tz_from_posix("UTC", "UTC0", &zone) == 0);
        return zone;
}

static int refuse_x_zones(const char *name, void *userdata) {
        (void) userdata;
        return name[0] == 'X' ? -ENOENT : 0;
}

/* Length of line `line` (1-based) of text, '\r' included, '\n' not; or -1 if there is none. */
static long line_length(const char *text, size_t len, unsigned line) {
        const char *p = text, *end = text + len;

        for (unsigned n = 1; n < line; n++) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl)
                        return -1;
                p = nl + 1;
        }
        if (p >= end)
                return -1;
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        return (long) ((nl ? nl : end) - p);
}

static void walk_diags(const struct diag_list *d, const char *text, size_t len) {
        size_t errors = 0, warnings = 0;

        check(d->n <= DIAG_MAX);
        for (size_t i = 0; i < d->n; i++) {
                const struct diag *m = &d->items[i];
                char *s;

                errors += m->severity == DIAG_ERROR;
                warnings += m->severity == DIAG_WARNING;
                check(m->msg && m->msg[0]);
                check(!strchr(m->msg, '\n'));
                if (m->line == 0) {
                        check(m->col == 0);
                } else {
                        long ll = line_length(text, len, m->line);
                        check(ll >= 0);
                        check(m->col >= 1 && (long) m->col <= ll + 1);
                }
                s = diag_format(m, "fuzz.cron", text, len);
                check(s);
                free(s);
        }
        if (d->n_dropped == 0)
                check(errors == d->n_errors && warnings == d->n_warnings);
}

static void walk_sched(const struct sched *s) {
        int64_t at;
        int r;

        check(s->sec >> 60 == 0 && s->min >> 60 == 0 && s->hour >> 24 == 0);
        check((s->dom & 1) == 0 && (s->mon & ~0x1ffeu) == 0 && (s->dow & 0x80) == 0);
        check((s->flags & ~0x1fu) == 0);
        check(s->sec != 0);
        r = sched_next(s, START_AT, utc(), &at);
        if (s->flags & SCHED_REBOOT) {
                check(r == -ENOENT);
                return;
        }
        check(s->min && s->hour && s->dom && s->mon && s->dow);
        if (sched_never(s)) {
                check(r == -ENOENT);
                return;
        }
        /* in UTC nothing is skipped or repeated: the next time exists and matches */
        check(r == 0);
        check(at > START_AT);
        struct civil c;
        tz_local(utc(), at, &c);
        check(sched_matches(s, &c));
}

static void walk_entry(const struct crontab *t, const struct entry *e, enum crontab_mode mode) {
        const struct job_opts *o = entry_opts(t, e);
        const char *command = entry_command(t, e), *user = entry_user(t, e), *input = entry_input(t, e);

        check(command && !strchr(command, '\n'));
        check(!input == !(e->flags & ENTRY_INPUT));
        check(entry_schedule(t, e)[0]);
        if (mode == CRONTAB_SYSTEM)
                check(user && user[0] && !strpbrk(user, " \t\n"));
        else
                check(!user);
        check(e->n_env <= t->n_env);
        check(o->timeout_s == -1 || (o->timeout_s > 0 && o->timeout_s <= 366 * 86400));
        check(o->jitter_s == -1 || (o->jitter_s > 0 && o->jitter_s <= 366 * 86400));
        check(o->overlap >= OVERLAP_UNSET && o->overlap <= OVERLAP_QUEUE);
        check(o->catchup >= -1 && o->catchup <= 1);
        check(!o->name || (strlen(o->name) >= 1 && strlen(o->name) <= 64));
        (void) crontab_env_get(t, e, "SHELL");
        (void) crontab_env_get(t, e, "CRON_TZ");
        if (e->n_env > 0) {
                const char *v = crontab_env_get(t, e, t->env[e->n_env - 1].name);
                check(v == t->env[e->n_env - 1].value);
        }
        walk_sched(&e->sched);
}

static void parse_table(const char *text, size_t len, const struct crontab_opts *o) {
        struct crontab *t = NULL;
        struct diag_list d = {};
        int r = crontab_parse(text, len, o, &t, &d);

        check(r == 0 || r == -EINVAL || r == -ENOMEM);
        check((r == 0) == (t != NULL));
        if (r == 0)
                check(d.n_errors == 0);
        if (r == -EINVAL)
                check(d.n_errors > 0);
        walk_diags(&d, text, len);
        if (t) {
                for (size_t i = 0; i < t->n_env; i++)
                        check(t->env[i].name && t->env[i].name[0] && t->env[i].value && t->env[i].line >= 1);
                for (size_t i = 0; i < t->n_entries; i++) {
                        check(t->entries[i].line >= 1);
                        check(i == 0 || t->entries[i].line > t->entries[i - 1].line);
                        walk_entry(t, &t->entries[i], o->mode);
                }
        }
        crontab_free(t);
        diag_list_done(&d);
}

static void parse_expression(const uint8_t *data, size_t size) {
        char expr[EXPR_MAX + 1], line[EXPR_MAX + 4];
        struct sched s = { .min = 42 }, before = s;
        struct diag_list d = {};
        int r;

        memcpy(expr, data, size);
        expr[size] = 0;
        r = crontab_parse_expr(expr, SEED, &s, &d);
        check(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r == 0) {
                check(d.n_errors == 0);
                walk_sched(&s);
        } else {
                check(memcmp(&s, &before, sizeof s) == 0);
        }
        /* the parser saw the expression as the line "EXPR :" */
        snprintf(line, sizeof line, "%s :\n", expr);
        if (!strchr(expr, '\n'))
                walk_diags(&d, line, strlen(line));
        diag_list_done(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const struct crontab_opts user = { .mode = CRONTAB_USER, .seed = SEED };
        const struct crontab_opts sys = {
                .mode = CRONTAB_SYSTEM,
                .seed = SEED,
                .zone_check = refuse_x_zones,
                .max_line = 200,
                .max_entries = 8,
                .max_bytes = 4000,
        };

        parse_table((const char *) data, size, &user);
        parse_table((const char *) data, size, &sys);
        if (size <= EXPR_MAX)
                parse_expression(data, size);
        return 0;
}
