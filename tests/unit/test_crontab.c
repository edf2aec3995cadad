/* tests/unit/test_crontab.c: the crontab parser, one syntax element or message at a time.
 *
 * Each test parses a small table and checks what it yields: the masks and flags of each
 * schedule, the command, its input, user and options, the environment, or the diagnostics
 * (severity, line, column and a distinctive part of the text). Every message crontab.c can emit
 * is triggered by at least one row of a diag_case table (but "missing %s value", which no input
 * reaches). Cases that show a bug in crontab.c are skipped tests in suite crontab_bugs, saying
 * what is wrong, so that removing the skip turns them into the regression test. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crontab.h"
#include "util.h"

#define BIT(n) (1ULL << (n))
#define ALL_MIN ((1ULL << 60) - 1)
#define ALL_HOUR ((1ULL << 24) - 1)
#define ALL_DOM 0xfffffffeULL
#define ALL_MON 0x1ffeULL
#define ALL_DOW 0x7fULL
#define ALL_STARS (SCHED_MIN_STAR | SCHED_HOUR_STAR | SCHED_DOM_STAR | SCHED_DOW_STAR)

enum { POS_MIN, POS_HOUR, POS_DOM, POS_MON, POS_DOW };

/* ---- helpers ------------------------------------------------------------------------------- */

/* Bits lo..hi, stepping by step. */
static uint64_t bits(int lo, int hi, int step) {
        uint64_t m = 0;
        for (int v = lo; v <= hi; v += step)
                m |= BIT(v);
        return m;
}

struct parsed {
        int r;
        struct crontab *t;
        struct diag_list d;
};

static void parsed_done(struct parsed *p) {
        crontab_free(p->t);
        diag_list_done(&p->d);
}
#define _cleanup_parsed_ _cleanup_(parsed_done)

static struct parsed parse_opts(const char *text, size_t len, const struct crontab_opts *o) {
        struct parsed p = {};
        p.r = crontab_parse(text, len, o, &p.t, &p.d);
        return p;
}

static struct parsed parse_in(enum crontab_mode mode, const char *text) {
        const struct crontab_opts o = { .mode = mode, .seed = 1 };
        return parse_opts(text, strlen(text), &o);
}

static struct parsed parse(const char *text) {
        return parse_in(CRONTAB_USER, text);
}

/* `s` with control characters escaped, for failure messages; a ring of 4 buffers. */
static const char *esc(const char *s) {
        static char ring[4][1024];
        static unsigned k;
        char *buf = ring[k++ % 4];
        size_t o = 0;

        for (; *s && o + 5 < sizeof ring[0]; s++) {
                if (*s == '\n')
                        o += (size_t) snprintf(buf + o, sizeof ring[0] - o, "\\n");
                else if (*s == '\t')
                        o += (size_t) snprintf(buf + o, sizeof ring[0] - o, "\\t");
                else if ((unsigned char) *s < 0x20)
                        o += (size_t) snprintf(buf + o, sizeof ring[0] - o, "\\x%02x", (unsigned char) *s);
                else
                        buf[o++] = *s;
        }
        buf[o] = 0;
        return buf;
}

/* All messages of a list on one string, for failure messages (cut at 8 KiB). */
static const char *diags_str(const struct diag_list *d) {
        static char buf[8192];
        size_t o = 0;

        buf[0] = 0;
        for (size_t i = 0; i < d->n && o + 1 < sizeof buf; i++)
                o += (size_t) snprintf(buf + o, sizeof buf - o, "\n    %u:%u: %s: %s", d->items[i].line, d->items[i].col,
                                       diag_severity_to_string(d->items[i].severity), d->items[i].msg);
        return d->n ? buf : " (no messages)";
}

static const struct diag *find_diag(const struct diag_list *d, enum diag_severity sev, unsigned line, unsigned col,
                                    const char *needle) {
        for (size_t i = 0; i < d->n; i++)
                if (d->items[i].severity == sev && d->items[i].line == line && d->items[i].col == col &&
                    strstr(d->items[i].msg, needle))
                        return &d->items[i];
        return NULL;
}

static void expect_diag(const struct parsed *p, enum diag_severity sev, unsigned line, unsigned col, const char *needle,
                        const char *what) {
        cr_expect_not_null(find_diag(&p->d, sev, line, col, needle), "%s: no %s at %u:%u containing \"%s\"; got:%s", what,
                           diag_severity_to_string(sev), line, col, needle, diags_str(&p->d));
}

/* Entry i of p's table with its strings found (valid until the next call) */
static const struct entry_view *view_of(const struct parsed *p, size_t i) {
        static struct entry_view v[2];
        static unsigned k;
        k = (k + 1) % 2;
        entry_view(p->t, &p->t->entries[i], &v[k]);
        return &v[k];
}

/* Asserts that `text` parsed into a valid table (warnings allowed) of exactly one entry; returns it. */
static const struct entry_view *one_entry(const struct parsed *p, const char *text) {
        cr_assert_eq(p->r, 0, "\"%s\": r = %d; messages:%s", esc(text), p->r, diags_str(&p->d));
        cr_assert_eq(p->t->n_entries, 1, "\"%s\": %zu entries", esc(text), p->t->n_entries);
        return view_of(p, 0);
}

/* The schedule of a one-entry user table; warnings are allowed, errors are not. */
static struct sched sched_seeded(const char *text, uint64_t seed) {
        const struct crontab_opts o = { .mode = CRONTAB_USER, .seed = seed };
        _cleanup_parsed_ struct parsed p = parse_opts(text, strlen(text), &o);
        return one_entry(&p, text)->sched;
}

static struct sched sched_of(const char *text) {
        return sched_seeded(text, 1);
}

static uint64_t field_mask(const struct sched *s, int pos) {
        switch (pos) {
        case POS_MIN:
                return s->min;
        case POS_HOUR:
                return s->hour;
        case POS_DOM:
                return s->dom;
        case POS_MON:
                return s->mon;
        default:
                return s->dow;
        }
}

/* A user-table line with `value` in field `pos` and '*' in the others; sets the field's column. */
static void line_with(char *buf, size_t size, int pos, const char *value, unsigned *ret_col) {
        const char *f[5] = { "*", "*", "*", "*", "*" };
        unsigned col = 1;
        int n;

        f[pos] = value;
        for (int i = 0; i < pos; i++)
                col += (unsigned) strlen(f[i]) + 1;
        n = snprintf(buf, size, "%s %s %s %s %s cmd\n", f[0], f[1], f[2], f[3], f[4]);
        cr_assert(n > 0 && (size_t) n < size, "test line too long");
        if (ret_col)
                *ret_col = col;
}

static uint64_t mask_with(int pos, const char *value, uint64_t seed) {
        char line[256];
        line_with(line, sizeof line, pos, value, NULL);
        struct sched s = sched_seeded(line, seed);
        return field_mask(&s, pos);
}

/* Rows of (table, severity, line, column, part of the message): the table must give that
 * message; an error refuses the table and leaves *ret_table alone, a warning does not. */
struct diag_case {
        enum crontab_mode mode;
        const char *text;
        enum diag_severity sev;
        unsigned line, col;
        const char *needle;
};
#define U CRONTAB_USER
#define S CRONTAB_SYSTEM
#define E DIAG_ERROR
#define W DIAG_WARNING

static void check_diag_cases(const struct diag_case *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const struct diag_case *c = &cases[i];
                const struct crontab_opts o = { .mode = c->mode, .seed = 1 };
                struct crontab sentinel = {}, *t = &sentinel;
                struct parsed p = {};

                p.r = crontab_parse(c->text, strlen(c->text), &o, &t, &p.d);
                if (c->sev == DIAG_ERROR) {
                        cr_expect_eq(p.r, -EINVAL, "\"%s\": r = %d, want -EINVAL", esc(c->text), p.r);
                        cr_expect_eq(t, &sentinel, "\"%s\": *ret_table was written although the table has errors",
                                     esc(c->text));
                } else {
                        cr_expect_eq(p.r, 0, "\"%s\": r = %d; messages:%s", esc(c->text), p.r, diags_str(&p.d));
                }
                expect_diag(&p, c->sev, c->line, c->col, c->needle, esc(c->text));
                if (t != &sentinel)
                        crontab_free(t);
                diag_list_done(&p.d);
        }
}

/* ---- fields: bounds, '*', lists, ranges, steps ---------------------------------------------- */

static const struct field_bounds {
        const char *unit;
        int pos, lo, hi;
} field_bounds[] = {
        { "minute", POS_MIN, 0, 59 }, { "hour", POS_HOUR, 0, 23 }, { "day", POS_DOM, 1, 31 },
        { "month", POS_MON, 1, 12 },  { "weekday", POS_DOW, 0, 7 },
};

Test(crontab_fields, each_field_accepts_its_lowest_and_highest_value) {
        for (size_t i = 0; i < ELEMENTSOF(field_bounds); i++) {
                const struct field_bounds *b = &field_bounds[i];
                char lo[16], hi[16];

                snprintf(lo, sizeof lo, "%d", b->lo);
                snprintf(hi, sizeof hi, "%d", b->hi);
                cr_expect_eq(mask_with(b->pos, lo, 1), BIT(b->lo), "%s %s", b->unit, lo);
                /* weekday 7 is Sunday, folded into bit 0 */
                cr_expect_eq(mask_with(b->pos, hi, 1), b->pos == POS_DOW ? BIT(0) : BIT(b->hi), "%s %s", b->unit, hi);
        }
}

Test(crontab_fields, each_field_refuses_one_past_its_highest_value_at_the_field_column) {
        for (size_t i = 0; i < ELEMENTSOF(field_bounds); i++) {
                const struct field_bounds *b = &field_bounds[i];
                char value[16], line[128], want[64];
                unsigned col;

                snprintf(value, sizeof value, "%d", b->hi + 1);
                line_with(line, sizeof line, b->pos, value, &col);
                snprintf(want, sizeof want, "%s %d is out of range %d-%d", b->unit, b->hi + 1, b->lo, b->hi);
                _cleanup_parsed_ struct parsed p = parse(line);
                cr_expect_eq(p.r, -EINVAL, "%s", esc(line));
                expect_diag(&p, DIAG_ERROR, 1, col, want, esc(line));
        }
}

Test(crontab_fields, day_of_month_and_month_refuse_0_one_below_their_lowest_value) {
        static const struct diag_case cases[] = {
                { U, "* * 0 * * x\n", E, 1, 5, "day 0 is out of range 1-31" },
                { U, "* * * 0 * x\n", E, 1, 7, "month 0 is out of range 1-12" },
                { U, "* * 1-0 * * x\n", E, 1, 7, "day 0 is out of range 1-31" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_fields, star_covers_the_whole_field) {
        struct sched s = sched_of("* * * * * x\n");

        cr_expect_eq(s.sec, BIT(0), "classic entries fire at second 0");
        cr_expect_eq(s.min, ALL_MIN);
        cr_expect_eq(s.hour, ALL_HOUR);
        cr_expect_eq(s.dom, ALL_DOM);
        cr_expect_eq(s.mon, ALL_MON);
        cr_expect_eq(s.dow, ALL_DOW);
}

struct mask_case {
        int pos;
        const char *value;
        uint64_t mask;
};

Test(crontab_fields, lists_ranges_and_steps_set_the_expected_bits) {
        const struct mask_case mask_cases[] = {
                /* lists and ranges */
                { POS_MIN, "1,5,10", BIT(1) | BIT(5) | BIT(10) },
                { POS_MIN, "10-20", bits(10, 20, 1) },
                { POS_MIN, "0-59", ALL_MIN },
                { POS_MIN, "5-5", BIT(5) },
                { POS_MIN, "1,10-12,40", BIT(1) | bits(10, 12, 1) | BIT(40) },
                { POS_MIN, "3,3,3", BIT(3) },
                { POS_HOUR, "9-17", bits(9, 17, 1) },
                { POS_DOM, "1,15,31", BIT(1) | BIT(15) | BIT(31) },
                { POS_MON, "6-8", bits(6, 8, 1) },
                { POS_DOW, "1-5", bits(1, 5, 1) },
                { POS_DOW, "0-7", ALL_DOW },
                { POS_MIN, "007", BIT(7) },
                /* steps on '*' */
                { POS_MIN, "*/15", bits(0, 59, 15) },
                { POS_MIN, "*/1", ALL_MIN },
                { POS_HOUR, "*/6", bits(0, 23, 6) },
                { POS_DOM, "*/10", bits(1, 31, 10) },
                { POS_DOM, "*/2", bits(1, 31, 2) },
                { POS_MON, "*/3", bits(1, 12, 3) },
                { POS_DOW, "*/2", bits(0, 6, 2) },
                /* steps on ranges */
                { POS_MIN, "0-30/10", bits(0, 30, 10) },
                { POS_MIN, "5-10/20", BIT(5) },
                { POS_HOUR, "8-18/2", bits(8, 18, 2) },
                { POS_DOW, "1-7/2", BIT(1) | BIT(3) | BIT(5) | BIT(0) },
                { POS_MIN, "1-5/2,*/30", BIT(1) | BIT(3) | BIT(5) | BIT(0) | BIT(30) },
                /* a '*' item inside a list */
                { POS_MIN, "1,*", ALL_MIN },
        };

        for (size_t i = 0; i < ELEMENTSOF(mask_cases); i++) {
                const struct mask_case *c = &mask_cases[i];
                uint64_t got = mask_with(c->pos, c->value, 1);
                cr_expect_eq(got, c->mask, "field %d \"%s\": mask %#llx, want %#llx", c->pos, c->value,
                             (unsigned long long) got, (unsigned long long) c->mask);
        }
}

Test(crontab_fields, fields_are_separated_by_any_run_of_blanks_and_tabs) {
        _cleanup_parsed_ struct parsed p = parse("  \t1\t\t2  3 \t4\t5   cmd\targ\n");
        const struct entry_view *e = one_entry(&p, "blanks and tabs");

        cr_expect_eq(e->sched.min, BIT(1));
        cr_expect_eq(e->sched.hour, BIT(2));
        cr_expect_eq(e->sched.dom, BIT(3));
        cr_expect_eq(e->sched.mon, BIT(4));
        cr_expect_eq(e->sched.dow, BIT(5));
        cr_expect_str_eq(e->command, "cmd\targ");
}

/* ---- names -------------------------------------------------------------------------------- */

Test(crontab_names, month_names_are_read_in_any_case_in_values_ranges_lists_and_steps) {
        const struct mask_case cases[] = {
                { POS_MON, "jan", BIT(1) },         { POS_MON, "JAN", BIT(1) },
                { POS_MON, "Jan", BIT(1) },         { POS_MON, "dEc", BIT(12) },
                { POS_MON, "jan-mar", bits(1, 3, 1) }, { POS_MON, "JUN-aug", bits(6, 8, 1) },
                { POS_MON, "jan,Jul,DEC", BIT(1) | BIT(7) | BIT(12) },
                { POS_MON, "jan-dec/3", bits(1, 12, 3) },
                { POS_MON, "2-apr", bits(2, 4, 1) },
                { POS_MON, "feb,5", BIT(2) | BIT(5) },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t got = mask_with(cases[i].pos, cases[i].value, 1);
                cr_expect_eq(got, cases[i].mask, "\"%s\": %#llx", cases[i].value, (unsigned long long) got);
        }
}

Test(crontab_names, weekday_names_are_read_in_any_case_in_values_ranges_lists_and_steps) {
        const struct mask_case cases[] = {
                { POS_DOW, "sun", BIT(0) },           { POS_DOW, "SAT", BIT(6) },
                { POS_DOW, "Wed", BIT(3) },           { POS_DOW, "mon-fri", bits(1, 5, 1) },
                { POS_DOW, "MON-Fri", bits(1, 5, 1) }, { POS_DOW, "mon,WED,fri", BIT(1) | BIT(3) | BIT(5) },
                { POS_DOW, "mon-fri/2", BIT(1) | BIT(3) | BIT(5) },
                { POS_DOW, "sun-sat", ALL_DOW },
                { POS_DOW, "tue,4-5", BIT(2) | BIT(4) | BIT(5) },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                uint64_t got = mask_with(cases[i].pos, cases[i].value, 1);
                cr_expect_eq(got, cases[i].mask, "\"%s\": %#llx", cases[i].value, (unsigned long long) got);
        }
}

Test(crontab_names, sunday_as_0_7_and_sun_gives_the_same_mask) {
        static const char *const sundays[] = { "0", "7", "sun", "SUN", "0,7", "7,sun" };

        for (size_t i = 0; i < ELEMENTSOF(sundays); i++)
                cr_expect_eq(mask_with(POS_DOW, sundays[i], 1), BIT(0), "\"%s\"", sundays[i]);
}

Test(crontab_names, a_weekday_range_ending_at_sunday_0_runs_through_sunday_with_a_warning) {
        static const struct {
                const char *line, *shown;
                uint64_t dow;
        } cases[] = {
                { "* * * * 5-0 x\n", "'5-0' is read as 5-7 (through Sunday); Debian's cron accepts it but never runs it",
                  BIT(5) | BIT(6) | BIT(0) },
                { "* * * * fri-sun x\n", "'fri-sun' is read as 5-7", BIT(5) | BIT(6) | BIT(0) },
                { "* * * * mon-sun x\n", "'mon-sun' is read as 1-7", ALL_DOW },
                { "* * * * 6-0/1 x\n", "'6-0' is read as 6-7", BIT(6) | BIT(0) },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_parsed_ struct parsed p = parse(cases[i].line);
                cr_assert_eq(p.r, 0, "%s:%s", esc(cases[i].line), diags_str(&p.d));
                cr_expect_eq(p.t->entries[0].sched.dow, cases[i].dow, "%s", esc(cases[i].line));
                cr_expect_eq(p.d.n_warnings, 1, "%s:%s", esc(cases[i].line), diags_str(&p.d));
                expect_diag(&p, DIAG_WARNING, 1, 9, cases[i].shown, esc(cases[i].line));
        }
}

Test(crontab_names, names_outside_months_and_weekdays_and_long_names_are_refused) {
        static const struct diag_case cases[] = {
                { U, "mon * * * * x\n", E, 1, 1,
                  "'mon' in the minute field: names are only for months (jan..dec) and weekdays (sun..sat)" },
                { U, "* jan * * * x\n", E, 1, 3, "'jan' in the hour field" },
                { U, "* * fri * * x\n", E, 1, 5, "'fri' in the day-of-month field" },
                { U, "* * * january * x\n", E, 1, 7, "'january': cron knows only three-letter names; write 'jan'" },
                { U, "* * * * Sunday x\n", E, 1, 9, "'Sunday': cron knows only three-letter names; write 'sun'" },
                { U, "* * * * mon-thursday x\n", E, 1, 13, "write 'thu'" },
                { U, "* * * foo * x\n", E, 1, 7, "unknown month name 'foo' (names are jan..dec)" },
                { U, "* * * * mo x\n", E, 1, 9, "unknown weekday name 'mo' (names are sun..sat)" },
                { U, "* * * * x x\n", E, 1, 9, "unknown weekday name 'x'" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

/* ---- '~': a random value ----------------------------------------------------------------- */

static const struct random_case {
        int pos;
        const char *value;
        int lo, hi; /* the values it may take */
} random_cases[] = {
        { POS_MIN, "10~20", 10, 20 }, { POS_MIN, "~", 0, 59 },  { POS_MIN, "~5", 0, 5 },
        { POS_MIN, "55~", 55, 59 },   { POS_HOUR, "~", 0, 23 }, { POS_DOM, "~", 1, 31 },
        { POS_DOM, "~3", 1, 3 },      { POS_MON, "~", 1, 12 },  { POS_MON, "jun~aug", 6, 8 },
        { POS_DOW, "mon~fri", 1, 5 }, { POS_DOW, "~", 0, 6 },   { POS_MIN, "7~7", 7, 7 },
};

/* TOCK_PROP_SCALE (e.g. 0.05, for runs under valgrind) draws from fewer seeds, but never fewer
 * than 600: enough for every value of a 60-value field to come up. */
static unsigned seeds_to_try(unsigned full) {
        const char *e = getenv("TOCK_PROP_SCALE");
        double f = e && *e ? strtod(e, NULL) : 1.0;

        if (!(f > 0 && f < 1))
                return full;
        return MAX((unsigned) (full * f), 600u);
}

Test(crontab_random, a_random_value_stays_within_its_bounds_and_spreads_over_them) {
        const unsigned full = 2000, seeds = seeds_to_try(full);

        for (size_t i = 0; i < ELEMENTSOF(random_cases); i++) {
                const struct random_case *c = &random_cases[i];
                unsigned count[64] = {};
                int n_values = c->hi - c->lo + 1, seen = 0;

                for (uint64_t seed = 0; seed < seeds; seed++) {
                        uint64_t m = mask_with(c->pos, c->value, seed);
                        cr_assert_eq(__builtin_popcountll(m), 1, "\"%s\" seed %llu: mask %#llx is not one value", c->value,
                                     (unsigned long long) seed, (unsigned long long) m);
                        int v = __builtin_ctzll(m);
                        cr_assert(v >= c->lo && v <= c->hi, "\"%s\" seed %llu: %d is outside %d..%d", c->value,
                                  (unsigned long long) seed, v, c->lo, c->hi);
                        count[v]++;
                }
                for (int v = c->lo; v <= c->hi; v++) {
                        seen += count[v] > 0;
                        /* a fair draw gives seeds/n_values each; a third of that is far below any
                         * reasonable hash, and the seeds are fixed, so this never flakes */
                        if (seeds == full)
                                cr_expect_geq(count[v], seeds / (unsigned) n_values / 3,
                                              "\"%s\": value %d drawn %u times of %u", c->value, v, count[v], seeds);
                }
                cr_expect_eq(seen, n_values, "\"%s\": only %d of its %d values ever drawn", c->value, seen, n_values);
        }
}

Test(crontab_random, the_same_seed_gives_the_same_values) {
        static const char line[] = "~ ~ ~ ~ ~ x\n";

        for (uint64_t seed = 0; seed < 50; seed++) {
                struct sched a = sched_seeded(line, seed * 7919), b = sched_seeded(line, seed * 7919);
                cr_expect(a.min == b.min && a.hour == b.hour && a.dom == b.dom && a.mon == b.mon && a.dow == b.dow,
                          "seed %llu gave two different schedules", (unsigned long long) seed * 7919);
        }
}

Test(crontab_random, different_lines_of_one_table_draw_different_values) {
        enum { LINES = 40 };
        const struct crontab_opts o = { .mode = CRONTAB_USER, .seed = 99 };
        char text[LINES * 16] = "";
        unsigned count[60] = {};
        int distinct = 0;

        for (int i = 0; i < LINES; i++)
                strcat(text, "~ * * * * x\n");
        _cleanup_parsed_ struct parsed p = parse_opts(text, strlen(text), &o);
        cr_assert_eq(p.r, 0);
        cr_assert_eq(p.t->n_entries, LINES);
        for (int i = 0; i < LINES; i++)
                count[__builtin_ctzll(p.t->entries[i].sched.min)]++;
        for (int v = 0; v < 60; v++)
                distinct += count[v] > 0;
        /* 40 fair draws from 60 values give about 29 distinct ones */
        cr_expect_geq(distinct, 20, "40 identical '~' lines drew only %d distinct minutes", distinct);
}

Test(crontab_random, each_item_of_a_list_draws_its_own_value) {
        int two = 0;

        for (uint64_t seed = 0; seed < 100; seed++)
                two += __builtin_popcountll(mask_with(POS_MIN, "~,~", seed)) == 2;
        /* the two draws coincide about once in 60 */
        cr_expect_geq(two, 90, "'~,~' gave two values for only %d seeds of 100", two);
}

Test(crontab_random, the_seconds_option_takes_a_random_value_too) {
        unsigned seen = 0;
        uint64_t all = 0;

        for (uint64_t seed = 0; seed < 1000; seed++) {
                struct sched s = sched_seeded("[sec:~] * * * * * x\n", seed);
                cr_assert_eq(__builtin_popcountll(s.sec), 1);
                cr_assert_lt(s.sec, BIT(60));
                all |= s.sec;
        }
        seen = (unsigned) __builtin_popcountll(all);
        cr_expect_eq(seen, 60, "[sec:~] drew only %u of 60 seconds over 1000 seeds", seen);
}

Test(crontab_random, the_table_seed_is_stable_and_differs_by_machine_and_path) {
        const uint64_t s = crontab_seed("0123456789abcdef", "/etc/crontab");

        cr_expect_eq(crontab_seed("0123456789abcdef", "/etc/crontab"), s);
        cr_expect_neq(crontab_seed("0123456789abcdee", "/etc/crontab"), s, "another machine");
        cr_expect_neq(crontab_seed("0123456789abcdef", "/etc/cron.d/backup"), s, "another table");
        cr_expect_neq(crontab_seed("ab", "/c"), crontab_seed("a", "b/c"), "where the machine id ends counts");
        cr_expect_neq(crontab_seed("m", NULL), crontab_seed(NULL, "m"));
        cr_expect_eq(crontab_seed(NULL, NULL), crontab_seed("", ""), "NULL is read as empty");
}

Test(crontab_random, random_ranges_refuse_reversed_bounds_steps_and_bad_values) {
        static const struct diag_case cases[] = {
                { U, "20~10 * * * * x\n", E, 1, 1, "reversed random range 20~10: write the low bound first" },
                { U, "~/2 * * * * x\n", E, 1, 2, "a random value ('~') takes no step" },
                { U, "1~5/2 * * * * x\n", E, 1, 4, "a random value ('~') takes no step" },
                { U, "~70 * * * * x\n", E, 1, 2, "minute 70 is out of range 0-59" },
                { U, "5~70 * * * * x\n", E, 1, 3, "minute 70 is out of range 0-59" },
                { U, "~~ * * * * x\n", E, 1, 2, "expected a minute value, found '~'" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

/* ---- the '*' flags of cron's two special rules --------------------------------------------- */

Test(crontab_flags, star_flags_are_set_exactly_when_the_field_starts_with_star) {
        static const struct {
                const char *line;
                unsigned flags;
        } cases[] = {
                { "* * * * * x\n", ALL_STARS },
                { "*/2 */3 */4 * */2 x\n", ALL_STARS },
                { "*/5,7 0 1 * 1 x\n", SCHED_MIN_STAR },
                { "1,* 1,* 1,* * 1,* x\n", 0 },
                { "0-59 0-23 1-31 * 0-7 x\n", 0 },
                { "0 * 1 * 1 x\n", SCHED_HOUR_STAR },
                { "0 0 * 1 1 x\n", SCHED_DOM_STAR },
                { "0 0 1 1 * x\n", SCHED_DOW_STAR },
                { "~ ~ ~ * ~ x\n", 0 },
                { "0 0 1 * 1 x\n", 0 },
                /* the month field has no flag */
                { "0 0 1 */2 1 x\n", 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sched s = sched_of(cases[i].line);
                cr_expect_eq(s.flags, cases[i].flags, "%s: flags %#x, want %#x", esc(cases[i].line), s.flags, cases[i].flags);
        }
}

Test(crontab_flags, fixed_time_means_neither_minute_nor_hour_starts_with_star) {
        struct sched fixed = sched_of("30 2 * * * x\n"), every_hour = sched_of("30 * * * * x\n"),
                     every_min = sched_of("*/5 2 * * * x\n"), list = sched_of("1,* 2 * * * x\n");

        cr_expect(sched_is_fixed_time(&fixed));
        cr_expect_not(sched_is_fixed_time(&every_hour));
        cr_expect_not(sched_is_fixed_time(&every_min));
        cr_expect(sched_is_fixed_time(&list), "'1,*' does not start with '*'");
}

/* ---- nicknames ---------------------------------------------------------------------------- */

Test(crontab_nicknames, every_nickname_gives_the_masks_and_flags_of_its_five_fields) {
        static const struct {
                const char *line;
                uint64_t min, hour, dom, mon, dow;
                unsigned flags;
        } cases[] = {
                { "@yearly x\n", BIT(0), BIT(0), BIT(1), BIT(1), ALL_DOW, SCHED_DOW_STAR },
                { "@annually x\n", BIT(0), BIT(0), BIT(1), BIT(1), ALL_DOW, SCHED_DOW_STAR },
                { "@monthly x\n", BIT(0), BIT(0), BIT(1), ALL_MON, ALL_DOW, SCHED_DOW_STAR },
                { "@weekly x\n", BIT(0), BIT(0), ALL_DOM, ALL_MON, BIT(0), SCHED_DOM_STAR },
                { "@daily x\n", BIT(0), BIT(0), ALL_DOM, ALL_MON, ALL_DOW, SCHED_DOM_STAR | SCHED_DOW_STAR },
                { "@midnight x\n", BIT(0), BIT(0), ALL_DOM, ALL_MON, ALL_DOW, SCHED_DOM_STAR | SCHED_DOW_STAR },
                /* cron(8): @hourly is a wildcard job for the daylight-saving rule */
                { "@hourly x\n", BIT(0), ALL_HOUR, ALL_DOM, ALL_MON, ALL_DOW,
                  SCHED_HOUR_STAR | SCHED_DOM_STAR | SCHED_DOW_STAR },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_parsed_ struct parsed p = parse(cases[i].line);
                const struct entry_view *e = one_entry(&p, cases[i].line);
                const struct sched *s = &e->sched;
                const char *l = esc(cases[i].line);

                cr_expect_eq(s->sec, BIT(0), "%s", l);
                cr_expect_eq(s->min, cases[i].min, "%s min", l);
                cr_expect_eq(s->hour, cases[i].hour, "%s hour", l);
                cr_expect_eq(s->dom, cases[i].dom, "%s dom", l);
                cr_expect_eq(s->mon, cases[i].mon, "%s mon", l);
                cr_expect_eq(s->dow, cases[i].dow, "%s dow", l);
                cr_expect_eq(s->flags, cases[i].flags, "%s flags %#x", l, s->flags);
                cr_expect_str_eq(e->command, "x", "%s", l);
        }
}

Test(crontab_nicknames, reboot_sets_only_the_reboot_flag) {
        _cleanup_parsed_ struct parsed p = parse("@reboot /usr/bin/start --now\n");
        const struct entry_view *e = one_entry(&p, "@reboot");

        cr_expect_eq(e->sched.flags, SCHED_REBOOT);
        cr_expect_str_eq(e->command, "/usr/bin/start --now");
}

Test(crontab_nicknames, options_before_a_nickname_apply_and_its_seconds_are_kept) {
        _cleanup_parsed_ struct parsed p = parse("[sec:30 timeout:1m]@hourly x\n");
        const struct entry_view *e = one_entry(&p, "[sec:30 timeout:1m]@hourly x");

        cr_expect_eq(e->sched.sec, BIT(30));
        cr_expect_eq(e->sched.hour, ALL_HOUR);
        cr_expect_eq(e->opts.timeout_s, 60);
}

/* Issue 10, item 9: Debian's "catch a common typo" check comes after the nickname too. */
Test(crontab_nicknames, a_command_or_user_starting_with_star_after_a_nickname_is_refused) {
        static const struct diag_case cases[] = {
                { U, "@daily * /usr/bin/true\n", E, 1, 8,
                  "the command starts with '*': @daily takes the place of all five time fields" },
                { U, "@reboot *\n", E, 1, 9, "the command starts with '*': @reboot takes the place" },
                { U, "@hourly\t*/5 x\n", E, 1, 9, "the command starts with '*': @hourly" },
                { U, "@yearly * x\n", E, 1, 9, "the command starts with '*': @yearly" },
                { U, "@annually * x\n", E, 1, 11, "the command starts with '*': @annually" },
                { U, "@monthly * x\n", E, 1, 10, "the command starts with '*': @monthly" },
                { U, "@weekly * x\n", E, 1, 9, "the command starts with '*': @weekly" },
                { U, "@midnight * x\n", E, 1, 11, "the command starts with '*': @midnight" },
                { U, "[sec:30] @daily * x\n", E, 1, 17, "the command starts with '*': @daily" },
                { S, "@daily * root x\n", E, 1, 8, "the user field starts with '*': @daily takes the place" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_nicknames, a_star_later_in_the_command_after_a_nickname_is_kept) {
        _cleanup_parsed_ struct parsed p = parse("@daily ls * x\n");
        cr_expect_str_eq(one_entry(&p, "@daily ls * x")->command, "ls * x");
}

Test(crontab_nicknames, unknown_nicknames_are_refused_and_names_are_case_sensitive_as_in_cron) {
        static const struct diag_case cases[] = {
                { U, "@foo x\n", E, 1, 1,
                  "unknown nickname '@foo' (known: @reboot @yearly @annually @monthly @weekly @daily @midnight @hourly)" },
                { U, "@DAILY x\n", E, 1, 1, "unknown nickname '@DAILY'" },
                { U, "@ x\n", E, 1, 1, "unknown nickname '@'" },
                { U, "  @dailyx x\n", E, 1, 3, "unknown nickname '@dailyx'" },
                { U, "[name:n] @weakly x\n", E, 1, 10, "unknown nickname '@weakly'" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

/* ---- system tables: the user field -------------------------------------------------------- */

Test(crontab_system, system_tables_read_a_user_before_the_command) {
        _cleanup_parsed_ struct parsed p = parse_in(CRONTAB_SYSTEM, "0 5 * * *\troot\t/usr/sbin/backup --full\n"
                                                                    "@reboot  www-data  run %in\n");

        cr_assert_eq(p.r, 0, "%s", diags_str(&p.d));
        cr_assert_eq(p.t->n_entries, 2);
        cr_expect_str_eq(view_of(&p, 0)->user, "root");
        cr_expect_str_eq(view_of(&p, 0)->command, "/usr/sbin/backup --full");
        cr_expect_str_eq(view_of(&p, 1)->user, "www-data");
        cr_expect_str_eq(view_of(&p, 1)->command, "run ");
        cr_expect_str_eq(view_of(&p, 1)->input, "in");
        cr_expect_eq(p.d.n, 0, "%s", diags_str(&p.d));
}

Test(crontab_system, user_tables_have_no_user_field) {
        _cleanup_parsed_ struct parsed p = parse("0 5 * * * root /usr/sbin/backup\n");
        const struct entry_view *e = NULL;

        cr_assert_eq(p.r, 0);
        e = view_of(&p, 0);
        cr_expect_null(e->user);
        cr_expect_str_eq(e->command, "root /usr/sbin/backup");
        expect_diag(&p, DIAG_WARNING, 1, 11,
                    "the command starts with 'root': user tables have no user field, so 'root' will be run as a command",
                    "root in a user table");
}

Test(crontab_system, a_user_named_root_in_a_system_table_gives_no_warning) {
        _cleanup_parsed_ struct parsed p = parse_in(CRONTAB_SYSTEM, "* * * * * root x\n");
        cr_expect_eq(p.r, 0);
        cr_expect_eq(p.d.n, 0, "%s", diags_str(&p.d));
}

Test(crontab_system, a_missing_user_or_command_is_an_error_at_the_end_of_the_line) {
        static const struct diag_case cases[] = {
                { S, "* * * * *\n", E, 1, 10, "missing user field (system tables name the user before the command)" },
                { S, "* * * * *   \n", E, 1, 13, "missing user field" },
                { S, "* * * * * root\n", E, 1, 15, "missing command" },
                { S, "@daily root\n", E, 1, 12, "missing command" },
                { S, "* * * * * * x\n", E, 1, 11,
                  "the user field starts with '*': cron has five time fields (for seconds, tock has the [sec:...] option)" },
                { S, "* *\n", E, 1, 4,
                  "missing day-of-month field (a line has minute, hour, day-of-month, month, day-of-week, user, "
                  "then the command)" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

/* ---- environment lines -------------------------------------------------------------------- */

static const struct env_case {
        const char *line, *name, *value;
} env_cases[] = {
        { "FOO=bar\n", "FOO", "bar" },
        { "FOO = bar\n", "FOO", "bar" },
        { "  FOO\t=\tbar\n", "FOO", "bar" },
        { "FOO=bar baz   \t\n", "FOO", "bar baz" },
        { "FOO=a # not a comment\n", "FOO", "a # not a comment" },
        { "FOO=\"a  b\"\n", "FOO", "a  b" },
        { "FOO='a # b'\n", "FOO", "a # b" },
        { "FOO=\"it's\"\n", "FOO", "it's" },
        { "FOO='say \"hi\"'  \n", "FOO", "say \"hi\"" },
        { "MAILTO=\"\"\n", "MAILTO", "" },
        { "MAILTO=''\n", "MAILTO", "" },
        { "\"FOO\"=bar\n", "FOO", "bar" },
        { "'FOO' = \"x y\"\n", "FOO", "x y" },
        { "PATH=/usr/bin:/bin\n", "PATH", "/usr/bin:/bin" },
        { "X=a=b\n", "X", "a=b" },
        { "FOO=bar\r\n", "FOO", "bar" },
};

Test(crontab_env, assignments_give_name_and_value_with_quotes_and_trailing_blanks_removed) {
        for (size_t i = 0; i < ELEMENTSOF(env_cases); i++) {
                const struct env_case *c = &env_cases[i];
                _cleanup_parsed_ struct parsed p = parse(c->line);

                cr_assert_eq(p.r, 0, "%s:%s", esc(c->line), diags_str(&p.d));
                cr_assert_eq(p.t->n_env, 1, "%s", esc(c->line));
                cr_assert_eq(p.t->n_entries, 0, "%s", esc(c->line));
                cr_expect_str_eq(p.t->env[0].name, c->name, "%s", esc(c->line));
                cr_expect_str_eq(p.t->env[0].value, c->value, "%s: value \"%s\"", esc(c->line), esc(p.t->env[0].value));
                cr_expect_eq(p.t->env[0].line, 1);
                cr_expect_eq(p.d.n, 0, "%s:%s", esc(c->line), diags_str(&p.d));
        }
}

Test(crontab_env, an_empty_unquoted_value_or_an_open_quote_makes_a_bad_entry_not_an_assignment) {
        static const struct diag_case cases[] = {
                /* Debian reads "FOO=" as an entry */
                { U, "FOO=\n", E, 1, 1, "'FOO' in the minute field" },
                { U, "FOO=   \n", E, 1, 1, "'FOO' in the minute field" },
                { U, "FOO=\"abc\n", E, 1, 1, "'FOO' in the minute field" },
                { U, "FOO='abc\n", E, 1, 1, "'FOO' in the minute field" },
                { U, "FOO=\"a\" b\n", E, 1, 1, "'FOO' in the minute field" },
                { U, "\"FOO=bar\n", E, 1, 1, "expected a minute value, found '\"'" },
                { U, "=bar\n", E, 1, 1, "expected a minute value, found '='" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_env, a_variable_applies_only_to_the_entries_below_it_and_later_definitions_win) {
        static const char text[] = "A=1\n"
                                   "* * * * * first\n"
                                   "A=2\n"
                                   "B=3\n"
                                   "* * * * * second\n"
                                   "A=4\n";
        _cleanup_parsed_ struct parsed p = parse(text);

        cr_assert_eq(p.r, 0, "%s", diags_str(&p.d));
        cr_assert_eq(p.t->n_entries, 2);
        cr_assert_eq(p.t->n_env, 4);
        const struct entry *first = &p.t->entries[0], *second = &p.t->entries[1];
        cr_expect_eq(first->n_env, 1);
        cr_expect_eq(second->n_env, 3);
        cr_expect_str_eq(crontab_env_get(p.t, first, "A"), "1");
        cr_expect_null(crontab_env_get(p.t, first, "B"));
        cr_expect_str_eq(crontab_env_get(p.t, second, "A"), "2");
        cr_expect_str_eq(crontab_env_get(p.t, second, "B"), "3");
        cr_expect_null(crontab_env_get(p.t, second, "C"));
        cr_expect_null(crontab_env_get(p.t, second, "a"), "names are case-sensitive");
        cr_expect_eq(p.t->env[3].line, 6);
}

Test(crontab_env, names_that_the_shell_cannot_see_give_a_warning) {
        static const struct diag_case cases[] = {
                { U, "\"MY VAR\"=x\n", W, 1, 2,
                  "'MY VAR' is not a valid shell variable name; the job's shell will not see it" },
                { U, "1X=y\n", W, 1, 1, "'1X' is not a valid shell variable name" },
                { U, "A-B=y\n", W, 1, 1, "'A-B' is not a valid shell variable name" },
                /* "[timeout=5m] ..." is an assignment, as in cron: say how options are written */
                { U, "[timeout=5m] * * * * * x\n", W, 1, 1,
                  "'[timeout' is not a valid shell variable name; the job's shell will not see it "
                  "(per-job options are written [key:value])" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

struct zone_calls {
        unsigned n;
        char last[64];
};

static int zone_check_no_mars(const char *name, void *userdata) {
        struct zone_calls *c = userdata;

        c->n++;
        snprintf(c->last, sizeof c->last, "%s", name);
        return strncmp(name, "Mars/", 5) == 0 ? -ENOENT : 0;
}

Test(crontab_env, cron_tz_is_checked_by_the_callback_and_an_unknown_zone_is_an_error_at_the_value) {
        static const char text[] = "CRON_TZ=Europe/Paris\n"
                                   "CRON_TZ = Mars/Olympus\n"
                                   "CRON_TZ=\"Mars/Base\"\n"
                                   "TZ=Mars/Other\n"
                                   "* * * * * x\n";
        struct zone_calls calls = {};
        const struct crontab_opts o = { .mode = CRONTAB_USER, .zone_check = zone_check_no_mars, .userdata = &calls };
        struct crontab sentinel = {}, *t = &sentinel;
        struct parsed p = {};

        p.r = crontab_parse(text, strlen(text), &o, &t, &p.d);
        cr_expect_eq(p.r, -EINVAL);
        cr_expect_eq(t, &sentinel);
        cr_expect_eq(calls.n, 3, "the callback sees CRON_TZ values only, got %u calls", calls.n);
        cr_expect_str_eq(calls.last, "Mars/Base", "the value is passed without its quotes");
        cr_expect_eq(p.d.n_errors, 2, "%s", diags_str(&p.d));
        expect_diag(&p, DIAG_ERROR, 2, 11, "unknown time zone 'Mars/Olympus' in CRON_TZ", "CRON_TZ = Mars/Olympus");
        expect_diag(&p, DIAG_ERROR, 3, 10, "unknown time zone 'Mars/Base' in CRON_TZ", "CRON_TZ=\"Mars/Base\"");
        diag_list_done(&p.d);
}

Test(crontab_env, cron_tz_is_not_checked_without_a_callback) {
        _cleanup_parsed_ struct parsed p = parse("CRON_TZ=Mars/Olympus\n* * * * * x\n");

        cr_expect_eq(p.r, 0);
        cr_expect_eq(p.d.n, 0, "%s", diags_str(&p.d));
        cr_expect_str_eq(crontab_env_get(p.t, &p.t->entries[0], "CRON_TZ"), "Mars/Olympus");
}

Test(crontab_env, random_delay_that_is_not_a_whole_number_of_minutes_gives_a_warning) {
        static const struct diag_case cases[] = {
                { U, "RANDOM_DELAY=soon\n", W, 1, 14, "RANDOM_DELAY is a whole number of minutes; 'soon' is ignored" },
                { U, "RANDOM_DELAY=1234567\n", W, 1, 14, "'1234567' is ignored" },
                { U, "RANDOM_DELAY=-5\n", W, 1, 14, "'-5' is ignored" },
                { U, "RANDOM_DELAY=\"\"\n", W, 1, 15, "'' is ignored" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));

        _cleanup_parsed_ struct parsed ok = parse("RANDOM_DELAY=30\n");
        cr_expect_eq(ok.r, 0);
        cr_expect_eq(ok.d.n, 0, "RANDOM_DELAY=30:%s", diags_str(&ok.d));
}

Test(crontab_env, more_than_1000_environment_lines_is_an_error) {
        size_t size = (CRONTAB_MAX_ENV + 1) * 16 + 32, len = 0;
        _cleanup_free_ char *text = malloc(size);

        cr_assert_not_null(text);
        for (unsigned i = 0; i < CRONTAB_MAX_ENV; i++)
                len += (size_t) snprintf(text + len, size - len, "V%u=x\n", i);
        len += (size_t) snprintf(text + len, size - len, "* * * * * x\n");
        {
                _cleanup_parsed_ struct parsed p = parse(text);
                cr_expect_eq(p.r, 0, "exactly %u environment lines are accepted:%s", CRONTAB_MAX_ENV, diags_str(&p.d));
        }
        len += (size_t) snprintf(text + len, size - len, "  LAST=x\n");
        _cleanup_parsed_ struct parsed p = parse(text);
        cr_expect_eq(p.r, -EINVAL);
        expect_diag(&p, DIAG_ERROR, CRONTAB_MAX_ENV + 2, 3, "more than 1000 environment lines", "1001 env lines");
}

/* ---- '%': the command and its standard input ---------------------------------------------- */

Test(crontab_percent, the_first_unescaped_percent_ends_the_command_and_later_ones_become_newlines) {
        static const struct {
                const char *cmd, *command, *input; /* input NULL: no '%' */
        } cases[] = {
                { "echo hi", "echo hi", NULL },
                { "cat%line 1%line 2", "cat", "line 1\nline 2" },
                { "echo 100\\%", "echo 100%", NULL },
                { "date +\\%F\\%T", "date +%F%T", NULL },
                { "mail -s hi me%50\\% done%bye", "mail -s hi me", "50% done\nbye" },
                { "echo 100%", "echo 100", "" },
                { "cat%%", "cat", "\n" },
                { "%in", "", "in" },
                { "echo a\\b", "echo a\\b", NULL },
                { "cat%a\\b", "cat", "a\\b" },
                { "echo a # b", "echo a # b", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char line[128];
                snprintf(line, sizeof line, "* * * * * %s\n", cases[i].cmd);
                _cleanup_parsed_ struct parsed p = parse(line);
                const struct entry_view *e = one_entry(&p, line);

                cr_expect_str_eq(e->command, cases[i].command, "%s: command \"%s\"", esc(line), esc(e->command));
                if (cases[i].input)
                        cr_expect(e->input && streq(e->input, cases[i].input), "%s: input \"%s\", want \"%s\"", esc(line),
                                  e->input ? esc(e->input) : "(null)", esc(cases[i].input));
                else
                        cr_expect_null(e->input, "%s: input \"%s\", want none", esc(line), esc(e->input));
        }
}

Test(crontab_percent, a_percent_that_probably_was_meant_literally_gives_a_warning) {
        static const struct diag_case cases[] = {
                { U, "* * * * * date +%F\n", W, 1, 17,
                  "'%' ends the command here and the rest becomes its standard input; write '\\%' for a literal percent sign" },
                { U, "* * * * * tar czf /b/$(date +%Y).tgz /etc\n", W, 1, 30, "'%' ends the command here" },
                { U, "* * * * * echo '50%' done\n", W, 1, 19, "'%' ends the command here" },
                { U, "* * * * * echo \"50%\" done\n", W, 1, 19, "'%' ends the command here" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_percent, a_percent_that_starts_real_input_gives_no_warning) {
        static const char *const lines[] = {
                "* * * * * mail -s hi root%body\n",
                "* * * * * echo 100%\n",
                "* * * * * echo '50\\%' done\n",
                "* * * * * echo 'x' \"y\" \\'%in\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                _cleanup_parsed_ struct parsed p = parse(lines[i]);
                cr_expect_eq(p.r, 0);
                cr_expect_eq(p.d.n, 0, "%s:%s", esc(lines[i]), diags_str(&p.d));
        }
}

/* ---- lines: comments, blanks, line endings, NUL ------------------------------------------- */

Test(crontab_lines, blank_lines_and_comment_lines_are_skipped_and_still_counted) {
        static const char text[] = "\n"
                                   "# a comment\n"
                                   "   # an indented comment\n"
                                   "\t\n"
                                   "#* * * * * not an entry\n"
                                   "* * * * * x # part of the command\n";
        _cleanup_parsed_ struct parsed p = parse(text);
        const struct entry_view *e = one_entry(&p, text);

        cr_expect_eq(e->line, 6);
        cr_expect_str_eq(e->command, "x # part of the command");
        cr_expect_eq(p.d.n, 0, "%s", diags_str(&p.d));
}

Test(crontab_lines, a_command_may_start_with_a_bracket_or_a_dash) {
        /* options are read only at the start of a line */
        _cleanup_parsed_ struct parsed p = parse("0 * * * * [ -x /usr/bin/foo ] && foo\n* * * * * -x\n");

        cr_assert_eq(p.r, 0, "%s", diags_str(&p.d));
        cr_expect_str_eq(view_of(&p, 0)->command, "[ -x /usr/bin/foo ] && foo");
        cr_expect_str_eq(view_of(&p, 1)->command, "-x");
        cr_expect_eq(p.d.n, 0, "%s", diags_str(&p.d));
}

Test(crontab_lines, an_empty_table_is_valid) {
        _cleanup_parsed_ struct parsed p = parse("");

        cr_assert_eq(p.r, 0);
        cr_assert_not_null(p.t);
        cr_expect_eq(p.t->n_entries + p.t->n_env, 0);
        cr_expect_eq(p.d.n, 0);
}

Test(crontab_lines, crlf_line_endings_are_read_like_lf) {
        static const char text[] = "A=\"x y\"\r\nB=z\r\n* * * * * first\r\n0 0 * * * second%in\r\n";
        _cleanup_parsed_ struct parsed p = parse(text);

        cr_assert_eq(p.r, 0, "%s", diags_str(&p.d));
        cr_assert_eq(p.t->n_entries, 2);
        cr_expect_str_eq(p.t->env[0].value, "x y");
        cr_expect_str_eq(p.t->env[1].value, "z");
        cr_expect_str_eq(view_of(&p, 0)->command, "first");
        cr_expect_str_eq(view_of(&p, 1)->input, "in");
        cr_expect_eq(p.t->entries[1].line, 4);
        cr_expect_eq(p.d.n, 0, "%s", diags_str(&p.d));
}

Test(crontab_lines, a_last_line_without_newline_is_read_with_a_warning_at_its_end) {
        static const struct diag_case cases[] = {
                { U, "* * * * * x\n0 0 * * * y", W, 2, 12,
                  "no newline at the end of the file; tock reads this last line, but Debian's crontab refuses the file" },
                { U, "* * * * * x\r", W, 1, 12, "no newline at the end of the file" },
                { U, "FOO=bar", W, 1, 8, "no newline at the end of the file" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));

        _cleanup_parsed_ struct parsed p = parse("* * * * * x\n0 0 * * * y");
        cr_assert_eq(p.r, 0);
        cr_assert_eq(p.t->n_entries, 2);
        cr_expect_str_eq(view_of(&p, 1)->command, "y");
}

Test(crontab_lines, a_last_line_of_only_blanks_needs_no_newline) {
        _cleanup_parsed_ struct parsed p = parse("* * * * * x\n  \t");
        cr_expect_eq(p.r, 0);
        cr_expect_eq(p.d.n, 0, "%s", diags_str(&p.d));
}

Test(crontab_lines, a_nul_byte_is_an_error_at_its_column_even_in_a_comment) {
        static const struct {
                const char *text;
                size_t len;
                unsigned line, col;
        } cases[] = {
                { "* * * * * a\0b\n", 14, 1, 12 },
                { "\0\n", 2, 1, 1 },
                { "# ok\n# a\0b\n", 11, 2, 4 },
                { "* * * * * x\n\0", 13, 2, 1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct crontab_opts o = { .mode = CRONTAB_USER };
                struct crontab sentinel = {}, *t = &sentinel;
                struct parsed p = {};

                p.r = crontab_parse(cases[i].text, cases[i].len, &o, &t, &p.d);
                cr_expect_eq(p.r, -EINVAL, "case %zu", i);
                cr_expect_eq(t, &sentinel, "case %zu", i);
                expect_diag(&p, DIAG_ERROR, cases[i].line, cases[i].col, "NUL byte in the line", "NUL");
                diag_list_done(&p.d);
        }
}

Test(crontab_lines, columns_count_bytes_from_the_start_of_the_line_including_leading_blanks) {
        static const struct diag_case cases[] = {
                { U, "  61 * * * * x\n", E, 1, 3, "minute 61 is out of range" },
                { U, "\t* 24 * * * x\n", E, 1, 4, "hour 24 is out of range" },
                { U, "# c\n\n* * * * 9 x\n", E, 3, 9, "weekday 9 is out of range 0-7" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

/* ---- limits ------------------------------------------------------------------------------- */

Test(crontab_limits, a_line_longer_than_max_line_is_an_error_and_the_next_lines_are_still_read) {
        /* "* * * * * " is 10 bytes; the commands make lines of 20 and 21 bytes */
        static const char text[] = "* * * * * 1234567890\n"
                                   "* * * * * 12345678901\n"
                                   "61 * * * * x\n";
        const struct crontab_opts o = { .mode = CRONTAB_USER, .max_line = 20 };
        _cleanup_parsed_ struct parsed p = parse_opts(text, strlen(text), &o);

        cr_expect_eq(p.r, -EINVAL);
        cr_expect_eq(p.d.n_errors, 2, "%s", diags_str(&p.d));
        expect_diag(&p, DIAG_ERROR, 2, 1, "line is 21 bytes long; the limit is 20", "max_line 20");
        expect_diag(&p, DIAG_ERROR, 3, 1, "minute 61", "line after the long one");
}

Test(crontab_limits, the_default_line_limit_is_8192_bytes) {
        _cleanup_free_ char *text = malloc(CRONTAB_MAX_LINE + 2);
        char want[64];

        cr_assert_not_null(text);
        memset(text, 'x', CRONTAB_MAX_LINE + 1);
        memcpy(text, "* * * * * ", 10);
        text[CRONTAB_MAX_LINE] = '\n';
        {
                _cleanup_parsed_ struct parsed p = parse_opts(text, CRONTAB_MAX_LINE + 1, &(struct crontab_opts) {});
                cr_expect_eq(p.r, 0, "a line of exactly %u bytes is accepted:%s", CRONTAB_MAX_LINE, diags_str(&p.d));
        }
        text[CRONTAB_MAX_LINE] = 'x';
        text[CRONTAB_MAX_LINE + 1] = '\n';
        snprintf(want, sizeof want, "line is %u bytes long; the limit is %u", CRONTAB_MAX_LINE + 1, CRONTAB_MAX_LINE);
        _cleanup_parsed_ struct parsed p = parse_opts(text, CRONTAB_MAX_LINE + 2, &(struct crontab_opts) {});
        cr_expect_eq(p.r, -EINVAL);
        expect_diag(&p, DIAG_ERROR, 1, 1, want, "8193-byte line");
}

/* `n` digits: zeros, then `last` (a string of digits) at the end. */
static void digits(char *buf, size_t size, size_t n, const char *last) {
        size_t k = strlen(last);
        cr_assert(n >= k && n < size);
        memset(buf, '0', n - k);
        memcpy(buf + n - k, last, k + 1);
}

/* Issue 10, item 9: Debian's cron refuses a number of 100 characters or more (MAX_TEMPSTR). */
Test(crontab_limits, a_number_of_more_than_99_digits_is_refused_even_when_its_value_fits_and_99_are_read) {
        static const struct {
                int pos;
                size_t n;
                const char *last, *needle;
        } cases[] = {
                { POS_MIN, 200, "0", "number too long in the minute field: 200 digits (at most 99)" },
                { POS_MIN, 100, "5", "number too long in the minute field: 100 digits (at most 99)" },
                { POS_HOUR, 100, "1", "number too long in the hour field" },
                { POS_DOM, 100, "1", "number too long in the day-of-month field" },
                { POS_MON, 100, "1", "number too long in the month field" },
                { POS_DOW, 100, "1", "number too long in the day-of-week field" },
        };
        char value[256], line[512];
        unsigned col;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                digits(value, sizeof value, cases[i].n, cases[i].last);
                line_with(line, sizeof line, cases[i].pos, value, &col);
                _cleanup_parsed_ struct parsed p = parse(line);
                cr_expect_eq(p.r, -EINVAL, "%zu digits in field %d: r = %d", cases[i].n, cases[i].pos, p.r);
                expect_diag(&p, DIAG_ERROR, 1, col, cases[i].needle, cases[i].needle);
        }
        digits(value, sizeof value, 99, "7");
        cr_expect_eq(mask_with(POS_MIN, value, 1), BIT(7));
        digits(value, sizeof value, 99, "12");
        cr_expect_eq(mask_with(POS_MON, value, 1), BIT(12));
}

Test(crontab_limits, a_step_of_more_than_99_digits_is_refused_and_99_are_read) {
        char value[256], line[512];

        memcpy(value, "*/", 2);
        digits(value + 2, sizeof value - 2, 100, "15");
        line_with(line, sizeof line, POS_MIN, value, NULL);
        {
                _cleanup_parsed_ struct parsed p = parse(line);
                cr_expect_eq(p.r, -EINVAL);
                expect_diag(&p, DIAG_ERROR, 1, 3, "number too long in the minute field: 100 digits", "*/000...015");
        }
        digits(value + 2, sizeof value - 2, 99, "15");
        cr_expect_eq(mask_with(POS_MIN, value, 1), bits(0, 59, 15));
}

Test(crontab_limits, more_entries_than_max_entries_is_an_error_at_the_first_one_too_many) {
        static const char text[] = "A=1\n"
                                   "# comments and assignments do not count\n"
                                   "* * * * * one\n"
                                   "@daily two\n"
                                   "* * * * * three\n";
        const struct crontab_opts o2 = { .mode = CRONTAB_USER, .max_entries = 2 };
        const struct crontab_opts o3 = { .mode = CRONTAB_USER, .max_entries = 3 };
        _cleanup_parsed_ struct parsed p = parse_opts(text, strlen(text), &o2);
        _cleanup_parsed_ struct parsed q = parse_opts(text, strlen(text), &o3);

        cr_expect_eq(p.r, -EINVAL);
        expect_diag(&p, DIAG_ERROR, 5, 1, "more than 2 entries in one table", "max_entries 2");
        cr_expect_eq(q.r, 0, "3 entries with max_entries 3:%s", diags_str(&q.d));
}

Test(crontab_limits, a_table_larger_than_max_bytes_is_refused_whole_with_a_line_0_error) {
        static const char text[] = "* * * * * 1234567890123456789012\n"; /* 33 bytes */
        const struct crontab_opts small = { .mode = CRONTAB_USER, .max_bytes = 32 };
        const struct crontab_opts exact = { .mode = CRONTAB_USER, .max_bytes = 33 };
        struct crontab sentinel = {}, *t = &sentinel;
        struct parsed p = {};

        p.r = crontab_parse(text, strlen(text), &small, &t, &p.d);
        cr_expect_eq(p.r, -EINVAL);
        cr_expect_eq(t, &sentinel);
        cr_expect_eq(p.d.n, 1, "%s", diags_str(&p.d));
        expect_diag(&p, DIAG_ERROR, 0, 0, "the table is 33 bytes; the limit is 32", "max_bytes 32");
        diag_list_done(&p.d);

        _cleanup_parsed_ struct parsed q = parse_opts(text, strlen(text), &exact);
        cr_expect_eq(q.r, 0, "a table of exactly max_bytes is accepted:%s", diags_str(&q.d));
}

/* ---- per-job options ---------------------------------------------------------------------- */

Test(crontab_options, an_entry_without_options_leaves_every_option_unset) {
        _cleanup_parsed_ struct parsed p = parse("* * * * * x\n");
        const struct entry_view *e = one_entry(&p, "no options");

        cr_expect_null(e->opts.name);
        cr_expect_eq(e->opts.timeout_s, -1);
        cr_expect_eq(e->opts.jitter_s, -1);
        cr_expect_eq(e->opts.overlap, OVERLAP_UNSET);
        cr_expect_eq(e->opts.catchup, -1);
        cr_expect_eq(e->sched.sec, BIT(0));
}

Test(crontab_options, options_in_brackets_set_name_timeout_jitter_overlap_catchup_and_seconds) {
        const struct {
                const char *line;
                const char *name;
                int64_t timeout_s, jitter_s;
                enum overlap overlap;
                int catchup;
                uint64_t sec;
        } cases[] = {
                { "[sec:*/10 timeout:5s overlap:skip name:heartbeat] * * * * * x\n", "heartbeat", 5, -1, OVERLAP_SKIP, -1,
                  bits(0, 59, 10) },
                { "[timeout:2h jitter:10m catchup] 30 3 * * * x\n", NULL, 7200, 600, OVERLAP_UNSET, 1, BIT(0) },
                { "[catchup:yes overlap:run] * * * * * x\n", NULL, -1, -1, OVERLAP_RUN, 1, BIT(0) },
                { "[catchup:no overlap:queue] * * * * * x\n", NULL, -1, -1, OVERLAP_QUEUE, 0, BIT(0) },
                { "[ name:a_b.c-D9   jitter:90 ]* * * * * x\n", "a_b.c-D9", -1, 90, OVERLAP_UNSET, -1, BIT(0) },
                { "  [sec:0,30 sec:15] * * * * * x\n", NULL, -1, -1, OVERLAP_UNSET, -1, BIT(15) },
                { "[sec:5-10/5,59] * * * * * x\n", NULL, -1, -1, OVERLAP_UNSET, -1, BIT(5) | BIT(10) | BIT(59) },
                { "[] * * * * * x\n", NULL, -1, -1, OVERLAP_UNSET, -1, BIT(0) },
                { "[name:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "] * * * * * x\n",
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -1, -1, OVERLAP_UNSET, -1, BIT(0) },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_parsed_ struct parsed p = parse(cases[i].line);
                const struct entry_view *e = one_entry(&p, cases[i].line);
                const char *l = esc(cases[i].line);

                if (cases[i].name)
                        cr_expect(streq(e->opts.name, cases[i].name), "%s: name %s", l, e->opts.name);
                else
                        cr_expect_null(e->opts.name, "%s", l);
                cr_expect_eq(e->opts.timeout_s, cases[i].timeout_s, "%s: timeout %lld", l, (long long) e->opts.timeout_s);
                cr_expect_eq(e->opts.jitter_s, cases[i].jitter_s, "%s: jitter %lld", l, (long long) e->opts.jitter_s);
                cr_expect_eq(e->opts.overlap, cases[i].overlap, "%s: overlap %d", l, e->opts.overlap);
                cr_expect_eq(e->opts.catchup, cases[i].catchup, "%s: catchup %d", l, e->opts.catchup);
                cr_expect_eq(e->sched.sec, cases[i].sec, "%s: sec %#llx", l, (unsigned long long) e->sched.sec);
                cr_expect_str_eq(e->command, "x", "%s", l);
        }
}

Test(crontab_options, durations_take_seconds_minutes_hours_and_days_up_to_366_days) {
        static const struct {
                const char *text;
                int64_t secs;
        } good[] = {
                { "90", 90 },     { "90s", 90 },       { "10m", 600 },         { "2h", 7200 },
                { "1d", 86400 },  { "1h30m", 5400 },   { "1d1s", 86401 },      { "366d", 366 * 86400 },
                { "1h30", 3630 }, { "0m5s", 5 },
        };
        static const char *const bad[] = { "0",  "0s", "367d", "366d1s",    "1x",  "s",
                                           "1h30x", "-5", "100000001", "h1", "1.5h" };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                char line[64];
                snprintf(line, sizeof line, "[timeout:%s jitter:%s] * * * * * x\n", good[i].text, good[i].text);
                _cleanup_parsed_ struct parsed p = parse(line);
                const struct entry_view *e = one_entry(&p, line);
                cr_expect_eq(e->opts.timeout_s, good[i].secs, "timeout:%s gave %lld", good[i].text,
                             (long long) e->opts.timeout_s);
                cr_expect_eq(e->opts.jitter_s, good[i].secs, "jitter:%s gave %lld", good[i].text,
                             (long long) e->opts.jitter_s);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char line[64];
                snprintf(line, sizeof line, "[timeout:%s] * * * * * x\n", bad[i]);
                _cleanup_parsed_ struct parsed p = parse(line);
                cr_expect_eq(p.r, -EINVAL, "timeout:%s accepted", bad[i]);
                expect_diag(&p, DIAG_ERROR, 1, 10,
                            "timeout takes a duration such as 90s, 10m, 2h or 1h30m (at most 366d)", line);
        }
}

Test(crontab_options, bad_option_values_are_errors_at_the_value) {
        static const struct diag_case cases[] = {
                { U, "[name:] * * * * * x\n", E, 1, 7, "a job name has 1 to 64 characters" },
                { U, "[name] * * * * * x\n", E, 1, 6, "a job name has 1 to 64 characters" },
                { U, "[name:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa] * * * * * x\n", E, 1, 7,
                  "a job name has 1 to 64 characters" },
                { U, "[name:a/b] * * * * * x\n", E, 1, 8, "a job name has only letters, digits, '_', '.' and '-'" },
                { U, "[name:a:b] * * * * * x\n", E, 1, 8, "a job name has only letters" },
                { U, "[jitter:5x] * * * * * x\n", E, 1, 9, "jitter takes a duration such as 90s" },
                { U, "[timeout] * * * * * x\n", E, 1, 9, "timeout takes a duration" },
                { U, "[overlap:never] * * * * * x\n", E, 1, 10, "overlap is run, skip or queue" },
                { U, "[overlap] * * * * * x\n", E, 1, 9, "overlap is run, skip or queue" },
                { U, "[catchup:maybe] * * * * * x\n", E, 1, 10, "catchup is yes or no" },
                { U, "[catchup:] * * * * * x\n", E, 1, 10, "catchup is yes or no" },
                { U, "[sec:] * * * * * x\n", E, 1, 6, "sec takes a seconds field such as 0,30 or */10" },
                { U, "[sec] * * * * * x\n", E, 1, 5, "sec takes a seconds field" },
                { U, "[sec:60] * * * * * x\n", E, 1, 6, "second 60 is out of range 0-59" },
                { U, "[sec:5/2] * * * * * x\n", E, 1, 7, "a step needs a range: write 5-59/... or */..." },
                { U, "[sec:*/7] * * * * * x\n", W, 1, 8,
                  "step 7 does not divide 60 evenly: from second 56 back to 0 the gap is 4, not 7" },
                /* an error in the options does not hide one in the schedule */
                { U, "[overlap:x] 61 * * * * x\n", E, 1, 13, "minute 61 is out of range" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_options, an_unknown_option_is_a_warning_so_older_versions_still_read_newer_tables) {
        static const char line[] = "[frob:1 timeout:1m future] * * * * * x\n";
        _cleanup_parsed_ struct parsed p = parse(line);

        cr_assert_eq(p.r, 0, "%s", diags_str(&p.d));
        cr_expect_eq(view_of(&p, 0)->opts.timeout_s, 60);
        cr_expect_eq(p.d.n_warnings, 2, "%s", diags_str(&p.d));
        expect_diag(&p, DIAG_WARNING, 1, 2,
                    "unknown option 'frob', ignored (known: name, timeout, jitter, overlap, catchup, fleet, sec)", line);
        expect_diag(&p, DIAG_WARNING, 1, 20, "unknown option 'future', ignored", line);
}

Test(crontab_options, an_unterminated_option_list_or_a_missing_schedule_is_an_error) {
        static const struct diag_case cases[] = {
                { U, "[name:x * * * * * x\n", E, 1, 1, "option list '[' has no closing ']'" },
                { U, "  [timeout:5m\n", E, 1, 3, "option list '[' has no closing ']'" },
                { U, "[name:x]\n", E, 1, 9, "missing schedule after the options" },
                { U, "[name:x]   \n", E, 1, 12, "missing schedule after the options" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_options, seconds_on_reboot_are_ignored_with_a_warning) {
        static const struct diag_case cases[] = {
                { U, "[sec:5] @reboot x\n", W, 1, 1, "@reboot has no time fields; the sec option is ignored" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));

        _cleanup_parsed_ struct parsed p = parse("[sec:0] @reboot x\n");
        cr_expect_eq(p.r, 0);
        cr_expect_eq(p.d.n, 0, "sec:0 is the default:%s", diags_str(&p.d));
}

/* ---- errors in the schedule --------------------------------------------------------------- */

Test(crontab_errors, values_out_of_range_and_huge_numbers_are_refused) {
        static const struct diag_case cases[] = {
                { U, "61 * * * * x\n", E, 1, 1, "minute 61 is out of range 0-59" },
                { U, "* 24 * * * x\n", E, 1, 3, "hour 24 is out of range 0-23" },
                { U, "* * 32 * * x\n", E, 1, 5, "day 32 is out of range 1-31" },
                { U, "* * * 13 * x\n", E, 1, 7, "month 13 is out of range 1-12" },
                { U, "* * * * 8 x\n", E, 1, 9, "weekday 8 is out of range 0-7" },
                { U, "1-60 * * * * x\n", E, 1, 3, "minute 60 is out of range 0-59" },
                { U, "1000001 * * * * x\n", E, 1, 1, "minute 1000001 is out of range 0-59" },
                /* Debian wraps this around to 0; cronie and tock refuse it */
                { U, "4294967296 * * * * x\n", E, 1, 1, "minute 4294967296 is out of range 0-59" },
                { U, "* 18446744073709551617 * * * x\n", E, 1, 3, "hour 18446744073709551617 is out of range 0-23" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_errors, a_huge_number_is_quoted_with_at_most_24_digits) {
        _cleanup_parsed_ struct parsed p = parse("9999999999999999999999999999999999999999 * * * * x\n");

        cr_assert_eq(p.d.n, 1, "%s", diags_str(&p.d));
        cr_expect_str_eq(p.d.items[0].msg, "minute 999999999999999999999999 is out of range 0-59");
}

Test(crontab_errors, reversed_ranges_are_refused_spelling_out_the_wrap_around) {
        static const struct diag_case cases[] = {
                { U, "22-2 * * * * x\n", E, 1, 4,
                  "reversed range 22-2: a range goes from low to high; to wrap around write 22-59,0-2" },
                { U, "* 22-2 * * * x\n", E, 1, 6,
                  "reversed range 22-2: a range goes from low to high; to wrap around write 22-23,0-2" },
                { U, "* 23-0 * * * x\n", E, 1, 6, "to wrap around write 23,0" },
                { U, "* * 31-1 * * x\n", E, 1, 8,
                  "reversed range 31-1: a range goes from low to high; to wrap around write 31,1" },
                { U, "* * 20-10 * * x\n", E, 1, 8, "to wrap around write 20-31,1-10" },
                { U, "* * * dec-jan * x\n", E, 1, 11,
                  "reversed range 12-1: a range goes from low to high; to wrap around write 12,1" },
                { U, "* * * * 6-2 x\n", E, 1, 11,
                  "reversed range 6-2: a range goes from low to high; to wrap around write 6-7,0-2" },
                { U, "* * * * 7-0 x\n", E, 1, 11, "reversed range 7-0" },
                { U, "[sec:50-10] * * * * * x\n", E, 1, 9, "to wrap around write 50-59,0-10" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_errors, bad_steps_are_refused) {
        static const struct diag_case cases[] = {
                { U, "*/0 * * * * x\n", E, 1, 3, "step 0 is out of range: it must be at least 1" },
                { U, "0-30/0 * * * * x\n", E, 1, 6, "step 0 is out of range" },
                { U, "*/99999999 * * * * x\n", E, 1, 3, "step 99999999 is out of range: it must be at least 1" },
                { U, "5/2 * * * * x\n", E, 1, 2, "a step needs a range: write 5-59/... or */..." },
                { U, "* * * jan/2 * x\n", E, 1, 10, "a step needs a range: write 1-12/... or */..." },
                { U, "*/1.5 * * * * x\n", E, 1, 4, "unexpected '.' in the minute field" },
                { U, "*/x * * * * x\n", E, 1, 3, "step must be a number, found 'x'" },
                { U, "*/-1 * * * * x\n", E, 1, 3, "step must be a number, found '-'" },
                { U, "*/ * * * * x\n", E, 1, 3, "missing step after '/'" },
                { U, "*/,5 * * * * x\n", E, 1, 3, "missing step after '/'" },
                { U, "1-5/ * * * * x\n", E, 1, 5, "missing step after '/'" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_errors, star_steps_that_do_not_divide_the_cycle_give_a_warning) {
        static const struct diag_case cases[] = {
                { U, "*/7 * * * * x\n", W, 1, 3,
                  "step 7 does not divide 60 evenly: from minute 56 back to 0 the gap is 4, not 7" },
                { U, "* */5 * * * x\n", W, 1, 5,
                  "step 5 does not divide 24 evenly: from hour 20 back to 0 the gap is 4, not 5" },
                { U, "* * * */5 * x\n", W, 1, 9,
                  "step 5 does not divide 12 evenly: from month 11 back to 1 the gap is 2, not 5" },
                { U, "* * * * */3 x\n", W, 1, 11,
                  "step 3 does not divide 7 evenly: from weekday 6 back to 0 the gap is 1, not 3" },
                { U, "*/61 * * * * x\n", W, 1, 3,
                  "step 61 is not less than the 60 minutes of the cycle: only minute 0 matches" },
                { U, "* */25 * * * x\n", W, 1, 5,
                  "step 25 is not less than the 24 hours of the cycle: only hour 0 matches" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_errors, steps_that_divide_the_cycle_and_day_of_month_steps_give_no_warning) {
        static const char *const lines[] = {
                "*/15 */6 * */3 */7 x\n",  "*/60 * * * * x\n", "* * */7 * * x\n",
                "0-50/7 * * * * x\n",      "* * */31 * * x\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                _cleanup_parsed_ struct parsed p = parse(lines[i]);
                cr_expect_eq(p.r, 0, "%s", esc(lines[i]));
                cr_expect_eq(p.d.n, 0, "%s:%s", esc(lines[i]), diags_str(&p.d));
        }
}

Test(crontab_errors, trailing_garbage_and_empty_list_items_are_refused) {
        static const struct diag_case cases[] = {
                { U, "5; * * * * x\n", E, 1, 2, "unexpected ';' in the minute field" },
                { U, "*0 * * * * x\n", E, 1, 2, "unexpected '0' in the minute field" },
                { U, "0* * * * * x\n", E, 1, 2, "unexpected '*' in the minute field" },
                { U, "** * * * * x\n", E, 1, 2, "unexpected '*' in the minute field" },
                { U, "1-5-7 * * * * x\n", E, 1, 4, "unexpected '-' in the minute field" },
                { U, "* * * * 1,2x x\n", E, 1, 12, "unexpected 'x' in the day-of-week field" },
                { U, "* * * * 1\x7f x\n", E, 1, 10, "unexpected 0x7f in the day-of-week field" },
                { U, "\x01 * * * * x\n", E, 1, 1, "expected a minute value, found 0x01" },
                { U, "-1 * * * * x\n", E, 1, 1, "expected a minute value, found '-'" },
                { U, "1-+ * * * * x\n", E, 1, 3, "expected a minute value, found '+'" },
                { U, "1- * * * * x\n", E, 1, 3, "range '1-' has no end" },
                { U, "* * * * mon-,fri x\n", E, 1, 13, "range 'mon-' has no end" },
                { U, "1-/2 * * * * x\n", E, 1, 3, "range '1-' has no end" },
                { U, "1,,2 * * * * x\n", E, 1, 3, "empty item in the minute list" },
                { U, "1, * * * * x\n", E, 1, 3, "empty item in the minute list" },
                { U, "* ,1 * * * x\n", E, 1, 3, "empty item in the hour list" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_errors, quartz_and_jenkins_syntax_is_refused_saying_what_it_is) {
        static const struct diag_case cases[] = {
                { U, "0 0 ? * mon x\n", E, 1, 5, "'?' (Quartz's \"no specific value\") is not cron syntax; use '*'" },
                { U, "0 0 * * ? x\n", E, 1, 9, "'?' (Quartz's \"no specific value\")" },
                { U, "0 0 L * * x\n", E, 1, 5, "'L' (Quartz's \"last\") is not cron syntax" },
                { U, "0 0 l * * x\n", E, 1, 5, "'L' (Quartz's \"last\")" },
                { U, "0 0 * * 5L x\n", E, 1, 10, "'L' (Quartz's \"last\")" },
                { U, "0 0 W * * x\n", E, 1, 5, "'W' (Quartz's \"nearest weekday\") is not cron syntax" },
                { U, "0 0 15W * * x\n", E, 1, 7, "'W' (Quartz's \"nearest weekday\")" },
                { U, "0 0 LW * * x\n", E, 1, 5, "'LW' (Quartz's \"last weekday\") is not cron syntax" },
                { U, "0 0 * * 5#3 x\n", E, 1, 10, "'#' (Quartz's \"n-th weekday\") is not cron syntax" },
                { U, "H * * * * x\n", E, 1, 1,
                  "'H' (Jenkins's hashed value) is not cron syntax; tock's '~' picks a random value" },
                { U, "H/15 H * * * x\n", E, 1, 1, "'H' (Jenkins's hashed value)" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_errors, a_sixth_time_field_and_missing_fields_or_command_are_refused) {
        static const struct diag_case cases[] = {
                { U, "* * * * * * x\n", E, 1, 11,
                  "the command starts with '*': cron has five time fields (for seconds, tock has the [sec:...] option)" },
                { U, "0 0 * * * */5 x\n", E, 1, 11, "the command starts with '*'" },
                { U, "* * *\n", E, 1, 6,
                  "missing month field (a line has minute, hour, day-of-month, month, day-of-week, then the command)" },
                { U, "*\n", E, 1, 2, "missing hour field" },
                { U, "1 2 3 4\n", E, 1, 8, "missing day-of-week field" },
                { U, "* * * * *\n", E, 1, 10, "missing command" },
                { U, "* * * * *  \t\n", E, 1, 13, "missing command" },
                { U, "@daily\n", E, 1, 7, "missing command" },
                { U, "@reboot   \n", E, 1, 11, "missing command" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));
}

Test(crontab_errors, schedules_that_never_fire_or_restrict_both_day_fields_give_a_warning) {
        static const struct diag_case cases[] = {
                { U, "0 0 30 2 * x\n", W, 1, 5, "this schedule never fires: none of its days exists in its months" },
                { U, "0 0 31 4,6,9,11 * x\n", W, 1, 5, "this schedule never fires" },
                { U, "0 0 1 * fri x\n", W, 1, 5,
                  "both day-of-month and day-of-week are restricted: the job runs on days that match EITHER one "
                  "(cron's rule), not both" },
                { U, "0 0 1,* * 1 x\n", W, 1, 5, "both day-of-month and day-of-week are restricted" },
        };
        check_diag_cases(cases, ELEMENTSOF(cases));

        /* Feb 30 restricted together with a weekday does fire, on that weekday */
        _cleanup_parsed_ struct parsed p = parse("0 0 30 2 mon x\n");
        cr_expect_eq(p.r, 0);
        cr_expect_null(find_diag(&p.d, DIAG_WARNING, 1, 5, "never fires"), "%s", diags_str(&p.d));
}

Test(crontab_errors, a_bad_field_does_not_hide_the_errors_in_the_next_ones) {
        _cleanup_parsed_ struct parsed p = parse("61 25 0 13 8 x\n");

        cr_expect_eq(p.r, -EINVAL);
        cr_expect_eq(p.d.n_errors, 5, "%s", diags_str(&p.d));
        expect_diag(&p, DIAG_ERROR, 1, 1, "minute 61", "field 1");
        expect_diag(&p, DIAG_ERROR, 1, 4, "hour 25", "field 2");
        expect_diag(&p, DIAG_ERROR, 1, 7, "day 0", "field 3");
        expect_diag(&p, DIAG_ERROR, 1, 9, "month 13", "field 4");
        expect_diag(&p, DIAG_ERROR, 1, 12, "weekday 8", "field 5");
}

Test(crontab_errors, every_bad_line_of_a_table_is_reported_and_the_table_is_left_untouched) {
        static const char text[] = "61 * * * * a\n"
                                   "* * * * * good\n"
                                   "* 24 * * * b\n"
                                   "FOO=bar\n"
                                   "* * * * * * c\n"
                                   "@foo d\n"
                                   "[overlap:maybe] * * * * * e\n";
        const struct crontab_opts o = { .mode = CRONTAB_USER };
        struct crontab sentinel = {}, *t = &sentinel;
        struct parsed p = {};

        p.r = crontab_parse(text, strlen(text), &o, &t, &p.d);
        cr_expect_eq(p.r, -EINVAL);
        cr_expect_eq(t, &sentinel, "*ret_table is written only on success");
        cr_expect_eq(p.d.n_errors, 5, "%s", diags_str(&p.d));
        expect_diag(&p, DIAG_ERROR, 1, 1, "minute 61", "line 1");
        expect_diag(&p, DIAG_ERROR, 3, 3, "hour 24", "line 3");
        expect_diag(&p, DIAG_ERROR, 5, 11, "the command starts with '*'", "line 5");
        expect_diag(&p, DIAG_ERROR, 6, 1, "unknown nickname", "line 6");
        expect_diag(&p, DIAG_ERROR, 7, 10, "overlap is run, skip or queue", "line 7");
        diag_list_done(&p.d);
}

Test(crontab_errors, warnings_alone_do_not_refuse_a_table) {
        _cleanup_parsed_ struct parsed p = parse("0 0 1 * fri x\n* * * * 5-0 y\n[what:ever] * * * * * z");

        cr_expect_eq(p.r, 0);
        cr_expect_eq(p.d.n_errors, 0);
        cr_expect_eq(p.d.n_warnings, 4, "%s", diags_str(&p.d));
        cr_expect_eq(p.t->n_entries, 3);
}

Test(crontab_errors, only_errors_of_this_parse_refuse_the_table_when_the_list_is_shared) {
        const struct crontab_opts o = { .mode = CRONTAB_USER };
        _cleanup_parsed_ struct parsed p = {};

        cr_assert_eq(diag_add(&p.d, DIAG_ERROR, 1, 1, "an earlier file's error"), 0);
        p.r = crontab_parse("* * * * * x\n", 12, &o, &p.t, &p.d);
        cr_expect_eq(p.r, 0);
        cr_expect_not_null(p.t);
        cr_expect_eq(p.d.n, 1);
}

/* ---- crontab_parse_expr --------------------------------------------------------------------- */

Test(crontab_expr, five_fields_or_a_nickname_make_a_schedule) {
        const struct {
                const char *expr;
                uint64_t sec, min, hour;
                unsigned flags;
        } cases[] = {
                { "*/5 * * * *", BIT(0), bits(0, 59, 5), ALL_HOUR, ALL_STARS },
                { "30 2 * * *", BIT(0), BIT(30), BIT(2), SCHED_DOM_STAR | SCHED_DOW_STAR },
                { "  30\t2 * * *  ", BIT(0), BIT(30), BIT(2), SCHED_DOM_STAR | SCHED_DOW_STAR },
                { "@daily", BIT(0), BIT(0), BIT(0), SCHED_DOM_STAR | SCHED_DOW_STAR },
                { "@hourly", BIT(0), BIT(0), ALL_HOUR, SCHED_HOUR_STAR | SCHED_DOM_STAR | SCHED_DOW_STAR },
                { "@reboot", BIT(0), 0, 0, SCHED_REBOOT },
                { "[sec:*/20] * * * * *", bits(0, 59, 20), ALL_MIN, ALL_HOUR, ALL_STARS },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sched s = {};
                struct diag_list d = {};
                int r = crontab_parse_expr(cases[i].expr, 0, &s, &d);

                cr_expect_eq(r, 0, "\"%s\": r = %d%s", cases[i].expr, r, diags_str(&d));
                cr_expect_eq(s.sec, cases[i].sec, "\"%s\" sec", cases[i].expr);
                cr_expect_eq(s.min, cases[i].min, "\"%s\" min", cases[i].expr);
                cr_expect_eq(s.hour, cases[i].hour, "\"%s\" hour", cases[i].expr);
                cr_expect_eq(s.flags, cases[i].flags, "\"%s\" flags %#x", cases[i].expr, s.flags);
                diag_list_done(&d);
        }
}

Test(crontab_expr, a_command_extra_fields_or_anything_else_is_refused) {
        static const struct {
                const char *expr, *needle;
                unsigned col;
        } cases[] = {
                { "* * * * * echo hi", "an expression ends after the day-of-week field", 11 },
                { "@daily echo hi", "an expression ends after the day-of-week field (or the nickname)", 8 },
                { "* * * * * %", "an expression ends after", 11 },
                { "FOO=bar", "not a schedule expression", 1 },
                { "# a comment", "not a schedule expression", 1 },
                { "", "not a schedule expression: give five fields or a nickname", 1 },
                { "* * * * * *", "the command starts with '*'", 11 },
                { "* * * *", "missing day-of-week field", 8 },
                { "61 * * * *", "minute 61 is out of range", 1 },
                { "0 0 * * *\n0 1 * * *", "an expression is one line", 1 },
                { "@sometimes", "unknown nickname", 1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct sched s = { .min = 12345 }, before = s;
                struct diag_list d = {};
                int r = crontab_parse_expr(cases[i].expr, 0, &s, &d);
                const struct parsed p = { .d = d };

                cr_expect_eq(r, -EINVAL, "\"%s\" accepted", esc(cases[i].expr));
                cr_expect(memcmp(&s, &before, sizeof s) == 0, "\"%s\": *ret written on error", esc(cases[i].expr));
                expect_diag(&p, DIAG_ERROR, 1, cases[i].col, cases[i].needle, esc(cases[i].expr));
                diag_list_done(&d);
        }
}

Test(crontab_expr, the_seed_picks_the_random_values) {
        struct sched a, b;
        struct diag_list d = {};
        int differ = 0;

        for (uint64_t seed = 0; seed < 20; seed++) {
                cr_assert_eq(crontab_parse_expr("~ ~ * * *", seed, &a, &d), 0);
                cr_assert_eq(crontab_parse_expr("~ ~ * * *", seed, &b, &d), 0);
                cr_expect(a.min == b.min && a.hour == b.hour, "seed %llu", (unsigned long long) seed);
                cr_assert_eq(crontab_parse_expr("~ ~ * * *", seed + 1000, &b, &d), 0);
                differ += a.min != b.min || a.hour != b.hour;
        }
        cr_expect_geq(differ, 15, "other seeds gave the same values %d times of 20", 20 - differ);
        diag_list_done(&d);
}

Test(crontab_expr, warnings_are_reported_but_the_expression_is_accepted) {
        struct sched s;
        struct diag_list d = {};

        cr_expect_eq(crontab_parse_expr("0 0 30 2 *", 0, &s, &d), 0);
        cr_expect_eq(d.n_warnings, 1);
        cr_expect(d.n == 1 && strstr(d.items[0].msg, "never fires"), "%s", diags_str(&d));
        diag_list_done(&d);
}

/* ---- regressions: bugs found while writing these tests (issue 2) -------------------------- */

Test(crontab_regressions, a_doubled_backslash_before_percent_does_not_escape_it) {
        _cleanup_parsed_ struct parsed p = parse("* * * * * echo a\\\\%b\n");
        const struct entry_view *e = one_entry(&p, "double backslash");
        cr_expect_str_eq(e->command, "echo a\\\\");
        cr_expect(e->input && streq(e->input, "b"));
}

Test(crontab_regressions, a_step_over_1000_is_quoted_as_written) {
        _cleanup_parsed_ struct parsed p = parse("*/5000 * * * * x\n");
        expect_diag(&p, DIAG_WARNING, 1, 3, "step 5000 is not less than the 60 minutes", "*/5000");
}

Test(crontab_regressions, a_random_weekday_gives_sunday_no_more_weight_than_other_days) {
        enum { SEEDS = 7000 };
        unsigned count[7] = {};

        for (uint64_t seed = 0; seed < SEEDS; seed++)
                count[__builtin_ctzll(mask_with(POS_DOW, "~", seed))]++;
        for (int d = 0; d < 7; d++)
                cr_expect(count[d] > SEEDS / 7 * 3 / 4 && count[d] < SEEDS / 7 * 5 / 4, "weekday %d drawn %u times of %d", d,
                          count[d], SEEDS);
}

Test(crontab_regressions, a_four_field_expression_says_which_field_is_missing) {
        struct sched s;
        struct diag_list d = {};
        const struct parsed p = { .r = crontab_parse_expr("* * * *", 0, &s, &d), .d = d };

        cr_expect_eq(p.r, -EINVAL);
        expect_diag(&p, DIAG_ERROR, 1, 8, "missing day-of-week field", "* * * *");
        diag_list_done(&d);
}

/* issue 14: [fleet], [fleet:once], [fleet:no]; refused with the reason a build gives */
Test(crontab_opts, fleet_option_is_parsed_and_refused_where_the_build_lacks_it) {
        static const struct {
                const char *line;
                int fleet;
        } cases[] = {
                { "[fleet] * * * * * true\n", 1 },
                { "[fleet:once] * * * * * true\n", 1 },
                { "[fleet:no] * * * * * true\n", 0 },
                { "[sec:* fleet name:x] * * * * * true\n", 1 },
                { "* * * * * true\n", -1 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct crontab_opts o = { .mode = CRONTAB_USER };
                struct crontab *t = NULL;
                struct diag_list diags = {};
                struct entry_view v;

                cr_assert_eq(crontab_parse(cases[i].line, strlen(cases[i].line), &o, &t, &diags), 0, "%s", cases[i].line);
                entry_view(t, &t->entries[0], &v);
                cr_expect_eq(v.opts.fleet, cases[i].fleet, "%s", cases[i].line);
                crontab_free(t);
                diag_list_done(&diags);

                o.fleet_refused = "no fleet here";
                t = NULL;
                diags = (struct diag_list) {};
                cr_expect_eq(crontab_parse(cases[i].line, strlen(cases[i].line), &o, &t, &diags), cases[i].fleet == 1 ? -EINVAL : 0,
                             "%s", cases[i].line);
                crontab_free(t);
                diag_list_done(&diags);
        }
        struct crontab_opts o = { .mode = CRONTAB_USER };
        struct crontab *t = NULL;
        struct diag_list diags = {};
        cr_expect_eq(crontab_parse("[fleet:maybe] * * * * * true\n", 29, &o, &t, &diags), -EINVAL);
        diag_list_done(&diags);
}
