/* daemon/carry.c: what a reload keeps of a table's jobs. Each new job gets the run statistics of
 * the old job for the same entry (flags, schedule, command, user), so that status, why, metrics
 * and catch-up go on across an edit; duplicates are matched in order.
 *
 * Linear in the table's size whatever its content: old jobs sit in a hash map by entry, and one is
 * taken out as its statistics are handed on, so a table of 100,000 identical lines (one chain of
 * equal hashes) finds each next unclaimed one at the head of the chain. `compared` counts the
 * entry comparisons, for the test that holds this to one per lookup. */
#include <stdlib.h>

#include "hash.h"
#include "tockd.h"
#include "util.h"

static bool same_entry(const struct entry *a, const struct entry *b) {
        return a->sched.flags == b->sched.flags && streq(a->schedule, b->schedule) && streq(a->command, b->command) &&
               ((!a->user && !b->user) || streq(a->user, b->user));
}

static uint64_t entry_hash(const struct entry *e) {
        uint64_t h = HASH_FNV_OFFSET ^ e->sched.flags;
        h = hash_fnv1a_field(h, e->schedule);
        h = hash_fnv1a_field(h, e->command);
        return hash_fnv1a_field(h, e->user);
}

void carry_init(struct carry *c, const struct job *old, size_t n_old) {
        *c = (struct carry) {};
        if (!n_old || !(c->v = calloc(n_old, sizeof(*c->v))))
                return; /* none, or out of memory: history starts afresh */
        /* newest first within a hash: added backwards, the first old job comes out first */
        for (size_t i = n_old; i-- > 0;) {
                c->v[i].job = &old[i];
                if (old[i].stats && hmap_add(&c->map, &c->v[i].node, entry_hash(old[i].e)) < 0)
                        break;
        }
}

/* The statistics (a new reference) of the first unclaimed old job for entry e, or NULL. */
struct job_stats *carry_take(struct carry *c, const struct entry *e) {
        for (struct hmap_node *n = hmap_first(&c->map, entry_hash(e)); n; n = hmap_next(n)) {
                struct carry_item *it = HMAP_ENTRY(n, struct carry_item, node);
                c->compared++;
                if (same_entry(it->job->e, e)) {
                        hmap_del(&c->map, n);
                        return job_stats_ref(it->job->stats);
                }
        }
        return NULL;
}

void carry_done(struct carry *c) {
        hmap_done(&c->map);
        free(c->v);
        *c = (struct carry) {};
}
