/* tests/unit/test_carry.c: what a reload keeps (daemon/carry.c). Each new job gets the run
 * statistics of the old job for the same entry, duplicates in order, and the work stays linear
 * in the table's size whatever it holds (issue 10: 100,000 identical lines made the old
 * open-addressing map compare each lookup against every earlier line, N²/2 comparisons). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tockd.h"

struct fixture {
        struct crontab *ct;
        struct job *jobs;
};

/* A parsed user table and a job per entry; with `stats`, each job has stats of its own. */
static struct fixture make(const char *text, bool stats) {
        const struct crontab_opts opts = { .mode = CRONTAB_USER };
        struct diag_list diags = {};
        struct fixture f = {};

        cr_assert_eq(crontab_parse(text, strlen(text), &opts, &f.ct, &diags), 0, "the fixture parses");
        diag_list_done(&diags);
        f.jobs = calloc(f.ct->n_entries ? f.ct->n_entries : 1, sizeof(*f.jobs));
        cr_assert(f.jobs);
        for (size_t i = 0; i < f.ct->n_entries; i++) {
                f.jobs[i].stats = stats ? job_stats_new() : NULL;
        }
        return f;
}

static void fixture_done(struct fixture *f) {
        for (size_t i = 0; i < f->ct->n_entries; i++)
                job_stats_unref(f->jobs[i].stats);
        free(f->jobs);
        crontab_free(f->ct);
}

/* N lines: "0 0 1 1 * x...x" (identical, 148 x's) or "... x...x I" (distinct) */
static char *lines(size_t n, bool distinct, const char *first) {
        size_t cap = n * 180 + strlen(first) + 1, len = 0;
        char *s = malloc(cap);
        cr_assert(s);
        len += (size_t) snprintf(s, cap, "%s", first);
        for (size_t i = 0; i < n; i++)
                len += (size_t) snprintf(s + len, cap - len, distinct ? "0 0 1 1 * %.148s %zu\n" : "0 0 1 1 * %.148s\n",
                                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                         i);
        return s;
}

Test(carry, each_entry_gets_the_stats_of_the_same_entry_duplicates_in_order) {
        struct fixture old = make("0 1 * * * a\n5 * * * * b\n0 1 * * * a\n@daily a\n", true);
        struct fixture new = make("# edited\n0 1 * * * a\n@daily a\n0 1 * * * a\n0 1 * * * a\n7 * * * * b\n", false);
        struct carry c;

        carry_init(&c, old.jobs, old.ct, old.ct->n_entries);
        struct job_stats *got[5];
        for (size_t i = 0; i < 5; i++)
                got[i] = carry_take(&c, new.ct, &new.ct->entries[i]);
        cr_assert_eq(got[0], old.jobs[0].stats, "the first '0 1 * * * a' gets the first one's");
        cr_assert_eq(got[1], old.jobs[3].stats, "@daily a is not '0 0 * * * a': flags and schedule text count");
        cr_assert_eq(got[2], old.jobs[2].stats, "the second duplicate gets the second one's");
        cr_assert_null(got[3], "a third '0 1 * * * a' is new");
        cr_assert_null(got[4], "'7 * * * * b' is not '5 * * * * b'");
        for (size_t i = 0; i < 5; i++)
                job_stats_unref(got[i]);
        carry_done(&c);
        fixture_done(&old);
        fixture_done(&new);
}

/* Statistics are allocated when a job first runs (or its fire time comes): a job without any
 * still holds its place, so that the next duplicate does not take its history. */
Test(carry, a_duplicate_that_never_ran_keeps_its_place) {
        struct fixture old = make("0 1 * * * a\n0 1 * * * a\n0 1 * * * a\n", true);
        struct fixture new = make("0 1 * * * a\n0 1 * * * a\n0 1 * * * a\n", false);
        struct carry c;

        job_stats_unref(old.jobs[0].stats);
        old.jobs[0].stats = NULL; /* the first never ran */
        carry_init(&c, old.jobs, old.ct, old.ct->n_entries);
        struct job_stats *got[3];
        for (size_t i = 0; i < 3; i++)
                got[i] = carry_take(&c, new.ct, &new.ct->entries[i]);
        cr_assert_null(got[0], "the first has no history, as before");
        cr_assert_eq(got[1], old.jobs[1].stats, "the second keeps the second one's");
        cr_assert_eq(got[2], old.jobs[2].stats, "the third keeps the third one's");
        for (size_t i = 0; i < 3; i++)
                job_stats_unref(got[i]);
        carry_done(&c);
        fixture_done(&old);
        fixture_done(&new);
}

Test(carry, identical_lines_take_one_comparison_each) {
        enum { N = 20000 };
        char *a = lines(N, false, ""), *b = lines(N, false, "# a comment added\n");
        struct fixture old = make(a, true), new = make(b, false);
        struct carry c;

        carry_init(&c, old.jobs, old.ct, N);
        for (size_t i = 0; i < N; i++) {
                struct job_stats *s = carry_take(&c, new.ct, &new.ct->entries[i]);
                cr_assert_eq(s, old.jobs[i].stats, "line %zu keeps its own stats", i);
                job_stats_unref(s);
        }
        /* the old map compared each lookup with every earlier line: N(N-1)/2, 2 * 10^8 here */
        cr_assert_leq(c.compared, N, "%zu comparisons for %d lines", c.compared, N);
        carry_done(&c);
        fixture_done(&old);
        fixture_done(&new);
        free(a);
        free(b);
}

Test(carry, distinct_lines_after_identical_ones_compare_almost_nothing) {
        enum { N = 20000 };
        char *a = lines(N, false, ""), *b = lines(N, true, "");
        struct fixture old = make(a, true), new = make(b, false);
        struct carry c;

        carry_init(&c, old.jobs, old.ct, N);
        for (size_t i = 0; i < N; i++)
                cr_assert_null(carry_take(&c, new.ct, &new.ct->entries[i]));
        /* only a 64-bit hash collision would cost a comparison */
        cr_assert_leq(c.compared, 10, "%zu comparisons", c.compared);
        carry_done(&c);
        fixture_done(&old);
        fixture_done(&new);
        free(a);
        free(b);
}
