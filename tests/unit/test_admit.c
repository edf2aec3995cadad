/* tests/unit/test_admit.c: whether a run starts (daemon/admit.c), as pure functions of counts.
 *
 * The overlap rule ([overlap:...], jobs.overlap): overlap:run always starts another run beside
 * the one still going (cron's behaviour); overlap:skip skips a fire time while a run is going;
 * overlap:queue queues one run behind the running one and skips further ones. No run going:
 * every policy runs. The caps (jobs.max_running, jobs.max_running_per_user): 0 is no cap; a run
 * meets a cap when the count it limits has reached it, the cap on all runs first. */
#include <criterion/criterion.h>

#include "tockd.h"
#include "util.h"

Test(admit_overlap, with_no_run_going_every_policy_runs) {
        static const enum overlap policies[] = { OVERLAP_UNSET, OVERLAP_RUN, OVERLAP_SKIP, OVERLAP_QUEUE };

        for (size_t i = 0; i < ELEMENTSOF(policies); i++) {
                cr_assert_eq(admit_overlap(policies[i], 0, false), ADMIT_RUN, "policy %d", policies[i]);
                /* a run left queued after its predecessor ended does not hold back a new one */
                cr_assert_eq(admit_overlap(policies[i], 0, true), ADMIT_RUN, "policy %d, queued", policies[i]);
        }
}

Test(admit_overlap, overlap_run_starts_another_run_beside_those_going) {
        static const unsigned running[] = { 1, 2, 100 };

        for (size_t i = 0; i < ELEMENTSOF(running); i++) {
                cr_assert_eq(admit_overlap(OVERLAP_RUN, running[i], false), ADMIT_RUN, "%u running", running[i]);
                cr_assert_eq(admit_overlap(OVERLAP_RUN, running[i], true), ADMIT_RUN, "%u running", running[i]);
        }
}

Test(admit_overlap, overlap_skip_skips_while_a_run_is_going) {
        cr_assert_eq(admit_overlap(OVERLAP_SKIP, 1, false), ADMIT_SKIP);
        cr_assert_eq(admit_overlap(OVERLAP_SKIP, 3, false), ADMIT_SKIP);
}

Test(admit_overlap, overlap_queue_queues_one_run_and_skips_further_ones) {
        /* the running one is going, nothing queued: this fire time waits behind it */
        cr_assert_eq(admit_overlap(OVERLAP_QUEUE, 1, false), ADMIT_QUEUE);
        /* one already waits: at most one does, so this one is skipped */
        cr_assert_eq(admit_overlap(OVERLAP_QUEUE, 1, true), ADMIT_SKIP_QUEUED);
}

Test(admit_caps_check, zero_means_no_cap) {
        cr_assert_eq(admit_caps_check(0, 0, 0, 0), ADMIT_CAP_FREE);
        cr_assert_eq(admit_caps_check(0, 0, 100000, 100000), ADMIT_CAP_FREE);
        cr_assert_eq(admit_caps_check(0, 5, 1000, 4), ADMIT_CAP_FREE, "no cap on all runs");
        cr_assert_eq(admit_caps_check(5, 0, 4, 1000), ADMIT_CAP_FREE, "no cap per user");
}

Test(admit_caps_check, a_cap_is_met_when_its_count_reaches_it_and_the_cap_on_all_comes_first) {
        static const struct {
                size_t max_all, max_user, all, mine;
                enum admit_cap want;
        } rows[] = {
                /* below both caps */
                { 4, 2, 3, 1, ADMIT_CAP_FREE },
                { 1, 1, 0, 0, ADMIT_CAP_FREE },
                /* the cap on all runs: met at equality and above (a lowered cap after a reload) */
                { 4, 2, 4, 0, ADMIT_CAP_ALL },
                { 4, 0, 9, 0, ADMIT_CAP_ALL },
                /* the user's own cap */
                { 4, 2, 3, 2, ADMIT_CAP_USER },
                { 0, 2, 3, 5, ADMIT_CAP_USER },
                /* both met: all runs is the one named (it holds back every user) */
                { 4, 2, 4, 2, ADMIT_CAP_ALL },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                cr_assert_eq(admit_caps_check(rows[i].max_all, rows[i].max_user, rows[i].all, rows[i].mine), rows[i].want,
                             "row %zu: max_all %zu max_user %zu, %zu running, %zu mine", i, rows[i].max_all,
                             rows[i].max_user, rows[i].all, rows[i].mine);
}
