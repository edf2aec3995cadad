/* common/heap.h: a binary min-heap of nodes keyed on (fire time, sequence).
 *
 * Intrusive: the caller embeds a struct heap_node in its own object, and the heap keeps each
 * node's index, so any node can be removed or re-keyed in O(log n). Equal times come out in the
 * order of their `seq`, which keeps dispatch order stable. A node takes 16 bytes (one per job of
 * every table): `seq` is 32 bits and compared as a serial number (RFC 1982), so equal times keep
 * their order as long as their seqs were drawn fewer than 2^31 apart; past that only the order
 * of equal times can change, never the order of times. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAP_NONE UINT32_MAX

struct heap_node {
        int64_t at;   /* UTC seconds */
        uint32_t seq; /* tie-breaker */
        uint32_t idx; /* position in the heap, maintained by the heap; HEAP_NONE when not in it */
};

static inline bool heap_node_queued(const struct heap_node *n) {
        return n->idx != HEAP_NONE;
}

struct heap {
        struct heap_node **v;
        size_t n, cap;
};

int heap_push(struct heap *h, struct heap_node *node); /* 0, -ENOMEM or -E2BIG (HEAP_NONE nodes) */
/* Many nodes at once: heap_append() adds each without ordering it (0, -ENOMEM or -E2BIG), then
 * heap_order_from(h, first), `first` being h->n before the first of them, puts the heap in order
 * again. O(k + log² n) for k nodes, not O(k log n); the heap is not one in between. */
int heap_append(struct heap *h, struct heap_node *node);
void heap_order_from(struct heap *h, size_t first);
int heap_reserve(struct heap *h, size_t n);            /* room for n nodes in all: 0 or -ENOMEM */
void heap_trim(struct heap *h); /* gives back the room for nodes when over a third of it is unused */
struct heap_node *heap_top(const struct heap *h);      /* NULL when empty */
struct heap_node *heap_pop(struct heap *h);
void heap_remove(struct heap *h, struct heap_node *node);
void heap_update(struct heap *h, struct heap_node *node); /* after changing node->at or ->seq */
void heap_done(struct heap *h);
