/* common/hmap.h: an intrusive hash map keyed on 64-bit hashes, the one tockd uses everywhere
 * (runs by pid, users by name, a table's old jobs by entry, PAM sessions by holder).
 *
 * The caller embeds a struct hmap_node in its object and computes the hash; the map chains
 * nodes per bucket and doubles its buckets when it holds as many nodes, so lookups stay O(1)
 * on average. Equal hashes are allowed (several nodes, or a real collision): walk them with
 * hmap_first()/hmap_next() and compare keys. Nodes of one hash come out newest first. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct hmap_node {
        struct hmap_node *next;
        uint64_t hash;
};

struct hmap {
        struct hmap_node **buckets;
        size_t n_buckets, n;
};

/* Adds the node under `hash`: 0, or -ENOMEM when there is no memory for a first bucket (later,
 * a map that cannot grow just gets longer chains). */
int hmap_add(struct hmap *m, struct hmap_node *node, uint64_t hash);
/* The newest node with this hash, or NULL; then the next older one with the same hash. */
struct hmap_node *hmap_first(const struct hmap *m, uint64_t hash);
struct hmap_node *hmap_next(const struct hmap_node *node);
/* Removes a node that is in the map (a node that is not changes nothing). */
void hmap_del(struct hmap *m, struct hmap_node *node);
/* Frees the buckets, not the nodes. */
void hmap_done(struct hmap *m);

#define HMAP_ENTRY(node, type, member) ((type *) (void *) ((char *) (node) - offsetof(type, member)))
