/* tests/unit/test_heap.c: the scheduler's priority queue (common/heap.c), above all that nodes
 * added in bulk (heap_append() + heap_order_from()) come out exactly as pushed ones do. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "heap.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

/* Every node's index is its place, and no child comes before its parent. */
static void assert_heap(const struct heap *h) {
        for (size_t i = 0; i < h->n; i++) {
                cr_assert_eq(h->v[i]->idx, i);
                if (i > 0) {
                        const struct heap_node *p = h->v[(i - 1) / 2], *c = h->v[i];
                        cr_assert(p->at < c->at || (p->at == c->at && (int32_t) (p->seq - c->seq) < 0),
                                  "node %zu comes before its parent", i);
                }
        }
}

/* Pushes `pushed` nodes one by one into one heap, and into another the same first `before` one
 * by one and the rest in bulk; both must pop the same nodes in the same order. */
static void compare_bulk(size_t before, size_t pushed, int64_t spread) {
        struct heap_node *a = calloc(pushed ? pushed : 1, sizeof(*a)), *b = calloc(pushed ? pushed : 1, sizeof(*b));
        struct heap ha = {}, hb = {};

        cr_assert(a && b);
        for (size_t i = 0; i < pushed; i++) {
                a[i] = b[i] = (struct heap_node) { .at = (int64_t) (rng() % (uint64_t) spread), .seq = (uint32_t) i };
                cr_assert_eq(heap_push(&ha, &a[i]), 0);
                if (i < before)
                        cr_assert_eq(heap_push(&hb, &b[i]), 0);
                else
                        cr_assert_eq(heap_append(&hb, &b[i]), 0);
        }
        heap_order_from(&hb, before);
        assert_heap(&hb);
        for (size_t i = 0; i < pushed; i++) {
                struct heap_node *x = heap_pop(&ha), *y = heap_pop(&hb);
                cr_assert(x && y);
                cr_assert_eq(x - a, y - b, "pop %zu of %zu (%zu before the bulk)", i, pushed, before);
        }
        cr_assert_null(heap_pop(&hb));
        heap_done(&ha);
        heap_done(&hb);
        free(a);
        free(b);
}

Test(heap, nodes_added_in_bulk_come_out_as_pushed_ones_do) {
        static const size_t sizes[] = { 0, 1, 2, 3, 7, 8, 100, 1023, 1024, 5000 };
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
                for (size_t j = 0; j <= i; j++) {
                        compare_bulk(sizes[j], sizes[i], 1000000);
                        compare_bulk(sizes[j], sizes[i], 3); /* many equal times: seq decides */
                }
}

Test(heap, a_few_nodes_added_in_bulk_to_a_large_heap_are_ordered) {
        for (size_t k = 1; k <= 40; k++)
                compare_bulk(20000, 20000 + k, 1000000);
}

Test(heap, removal_and_update_keep_the_order) {
        enum { N = 3000 };
        struct heap_node *v = calloc(N, sizeof(*v));
        struct heap h = {};

        cr_assert(v);
        for (size_t i = 0; i < N; i++) {
                v[i] = (struct heap_node) { .at = (int64_t) (rng() % 5000), .seq = (uint32_t) i };
                cr_assert_eq(heap_append(&h, &v[i]), 0);
        }
        heap_order_from(&h, 0);
        assert_heap(&h);
        for (size_t i = 0; i < N; i += 3)
                heap_remove(&h, &v[i]);
        for (size_t i = 1; i < N; i += 3) {
                v[i].at = (int64_t) (rng() % 5000);
                heap_update(&h, &v[i]);
        }
        assert_heap(&h);
        int64_t last = -1;
        while (h.n) {
                struct heap_node *x = heap_pop(&h);
                cr_assert_geq(x->at, last);
                cr_assert_eq(x->idx, HEAP_NONE);
                last = x->at;
        }
        heap_done(&h);
        free(v);
}

/* tockd reserves room for each table's jobs as it loads it: the array must grow by half at least
 * (not to the exact count each time, which copies it once per table), and heap_trim() gives the
 * room back when over a third of it is unused, keeping the heap intact. */
Test(heap, reserve_grows_by_half_and_trim_gives_the_room_back) {
        enum { TABLES = 100, PER = 1000 };
        struct heap_node *nodes = calloc(TABLES * PER, sizeof(*nodes));
        struct heap h = {};
        size_t reallocs = 0, cap = 0;

        cr_assert(nodes);
        for (size_t t = 0; t < TABLES; t++) {
                size_t first = h.n;
                cr_assert_eq(heap_reserve(&h, h.n + PER), 0);
                if (h.cap != cap) {
                        reallocs++;
                        cap = h.cap;
                }
                for (size_t i = 0; i < PER; i++) {
                        struct heap_node *n = &nodes[t * PER + i];
                        *n = (struct heap_node) { .at = (int64_t) (rng() % 100000), .seq = (uint32_t) (t * PER + i) };
                        cr_assert_eq(heap_append(&h, n), 0);
                }
                heap_order_from(&h, first);
        }
        cr_assert_leq(reallocs, 12, "the array grew %zu times for %d tables", reallocs, TABLES);
        cr_assert(h.cap >= h.n && h.cap <= h.n + h.n / 2, "room for %zu with %zu nodes", h.cap, h.n);
        cap = h.cap;
        heap_trim(&h); /* less than a third unused: kept, for the next table */
        cr_assert_eq(h.cap, cap);
        int64_t last = -1;
        for (size_t i = 0; i < TABLES * PER * 4 / 5; i++) { /* most tables dropped */
                struct heap_node *n = heap_pop(&h);
                cr_assert_geq(n->at, last);
                last = n->at;
        }
        heap_trim(&h);
        cr_assert_eq(h.cap, h.n, "trimmed to %zu for %zu nodes", h.cap, h.n);
        assert_heap(&h);
        while (h.n) {
                struct heap_node *n = heap_pop(&h);
                cr_assert_geq(n->at, last);
                last = n->at;
        }
        heap_trim(&h);
        cr_assert_eq(h.cap, 64, "an empty heap keeps room for 64");
        heap_done(&h);
        free(nodes);
}
