/* common/hmap.c: see hmap.h. */
#include <errno.h>
#include <stdlib.h>

#include "hash.h"
#include "hmap.h"

static size_t bucket_of(size_t n_buckets, uint64_t hash) {
        /* the hash may be a pid or other small integer: mix before masking */
        return (size_t) hash_splitmix64(hash) & (n_buckets - 1);
}

static int grow(struct hmap *m) {
        size_t nb = m->n_buckets ? m->n_buckets * 2 : 16;
        struct hmap_node **b = calloc(nb, sizeof(*b));

        if (!b)
                return -ENOMEM;
        /* walking each chain and pushing on the new heads reverses equal-hash runs; walk them in
         * order of age by moving chains tail-first instead: collect, then re-add oldest first */
        for (size_t i = 0; i < m->n_buckets; i++) {
                struct hmap_node *rev = NULL;
                for (struct hmap_node *x = m->buckets[i], *nx; x; x = nx) {
                        nx = x->next;
                        x->next = rev;
                        rev = x;
                }
                for (struct hmap_node *x = rev, *nx; x; x = nx) {
                        nx = x->next;
                        size_t k = bucket_of(nb, x->hash);
                        x->next = b[k];
                        b[k] = x;
                }
        }
        free(m->buckets);
        m->buckets = b;
        m->n_buckets = nb;
        return 0;
}

int hmap_add(struct hmap *m, struct hmap_node *node, uint64_t hash) {
        /* a failed grow costs only speed, unless there is no bucket at all */
        if (m->n >= m->n_buckets && grow(m) < 0 && !m->n_buckets)
                return -ENOMEM;
        size_t k = bucket_of(m->n_buckets, hash);
        node->hash = hash;
        node->next = m->buckets[k];
        m->buckets[k] = node;
        m->n++;
        return 0;
}

static struct hmap_node *same_hash(struct hmap_node *x, uint64_t hash) {
        while (x && x->hash != hash)
                x = x->next;
        return x;
}

struct hmap_node *hmap_first(const struct hmap *m, uint64_t hash) {
        if (!m->n_buckets)
                return NULL;
        return same_hash(m->buckets[bucket_of(m->n_buckets, hash)], hash);
}

struct hmap_node *hmap_next(const struct hmap_node *node) {
        return same_hash(node->next, node->hash);
}

void hmap_del(struct hmap *m, struct hmap_node *node) {
        if (!m->n_buckets)
                return;
        for (struct hmap_node **p = &m->buckets[bucket_of(m->n_buckets, node->hash)]; *p; p = &(*p)->next)
                if (*p == node) {
                        *p = node->next;
                        node->next = NULL;
                        m->n--;
                        return;
                }
}

void hmap_done(struct hmap *m) {
        free(m->buckets);
        *m = (struct hmap) {};
}
