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

/* An entry and the table it belongs to (whose text holds its strings) */
struct carry_key {
        const struct crontab *ct;
        const struct entry *e;
};

static bool same_entry(struct carry_key a, struct carry_key b) {
        const char *ua = entry_user(a.ct, a.e), *ub = entry_user(b.ct, b.e);
        return a.e->sched.flags == b.e->sched.flags && streq(entry_schedule(a.ct, a.e), entry_schedule(b.ct, b.e)) &&
               streq(entry_command(a.ct, a.e), entry_command(b.ct, b.e)) && ((!ua && !ub) || streq(ua, ub));
}

static uint64_t entry_hash(struct carry_key k) {
        uint64_t h = HASH_FNV_OFFSET ^ k.e->sched.flags;
        h = hash_fnv1a_field(h, entry_schedule(k.ct, k.e));
        h = hash_fnv1a_field(h, entry_command(k.ct, k.e));
        return hash_fnv1a_field(h, entry_user(k.ct, k.e));
}

void carry_init(struct carry *c, const struct job *old, const struct crontab *old_ct, size_t n_old) {
        *c = (struct carry) { .old_ct = old_ct };
        if (!n_old || !(c->v = calloc(n_old, sizeof(*c->v))))
                return; /* none, or out of memory: history starts afresh */
        /* newest first within a hash: added backwards, the first old job comes out first */
        for (size_t i = n_old; i-- > 0;) {
                c->v[i].job = &old[i];
                c->v[i].e = &old_ct->entries[i];
                if (hmap_add(&c->map, &c->v[i].node, entry_hash((struct carry_key) { old_ct, &old_ct->entries[i] })) < 0)
                        break;
        }
}

/* The statistics (a new reference) of the first unclaimed old job for entry e of ct, or NULL (no
 * such job, or it had none: it never ran). Old jobs without statistics are claimed too, so that
 * the n-th of equal entries gets the n-th one's history. */
struct job_stats *carry_take(struct carry *c, const struct crontab *ct, const struct entry *e) {
        struct carry_key k = { ct, e };

        if (!c->map.n)
                return NULL; /* a first load, or every old job claimed: no hash to compute */
        for (struct hmap_node *n = hmap_first(&c->map, entry_hash(k)); n; n = hmap_next(n)) {
                struct carry_item *it = HMAP_ENTRY(n, struct carry_item, node);
                c->compared++;
                if (same_entry((struct carry_key) { c->old_ct, it->e }, k)) {
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
