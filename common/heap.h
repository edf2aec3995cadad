/* common/heap.h: a binary min-heap of nodes keyed on (fire time, sequence).
 *
 * Intrusive: the caller embeds a struct heap_node in its own object, and the heap keeps each
 * node's index, so any node can be removed or re-keyed in O(log n). Equal times come out in the
 * order of their `seq`, which keeps dispatch order stable. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct heap_node {
        int64_t at;   /* UTC seconds */
        uint64_t seq; /* tie-breaker */
        size_t idx;   /* position in the heap, maintained by the heap; SIZE_MAX when not in it */
};

struct heap {
        struct heap_node **v;
        size_t n, cap;
};

int heap_push(struct heap *h, struct heap_node *node); /* 0 or -ENOMEM */
struct heap_node *heap_top(const struct heap *h);      /* NULL when empty */
struct heap_node *heap_pop(struct heap *h);
void heap_remove(struct heap *h, struct heap_node *node);
void heap_update(struct heap *h, struct heap_node *node); /* after changing node->at or ->seq */
void heap_done(struct heap *h);
