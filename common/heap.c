/* common/heap.c: the scheduler's priority queue. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "heap.h"
#include "util.h"

static bool less(const struct heap_node *a, const struct heap_node *b) {
        return a->at < b->at || (a->at == b->at && (int32_t) (a->seq - b->seq) < 0);
}

static void place(struct heap *h, size_t i, struct heap_node *n) {
        h->v[i] = n;
        n->idx = (uint32_t) i;
}

static void sift_up(struct heap *h, size_t i) {
        struct heap_node *n = h->v[i];
        while (i > 0 && less(n, h->v[(i - 1) / 2])) {
                place(h, i, h->v[(i - 1) / 2]);
                i = (i - 1) / 2;
        }
        place(h, i, n);
}

static void sift_down(struct heap *h, size_t i) {
        struct heap_node *n = h->v[i];
        for (;;) {
                size_t c = 2 * i + 1;
                if (c >= h->n)
                        break;
                if (c + 1 < h->n && less(h->v[c + 1], h->v[c]))
                        c++;
                if (!less(h->v[c], n))
                        break;
                place(h, i, h->v[c]);
                i = c;
        }
        place(h, i, n);
}

/* Grows by half at least, so that tables added one after the other (tockd's start: each reserves
 * room for its jobs) copy the array O(log n) times, not once per table. */
int heap_reserve(struct heap *h, size_t n) {
        struct heap_node **v;

        if (n <= h->cap)
                return 0;
        n = MAX(n, h->cap + h->cap / 2);
        v = reallocarray(h->v, n, sizeof(*v));
        if (!v)
                return -ENOMEM;
        h->v = v;
        h->cap = n;
        return 0;
}

void heap_trim(struct heap *h) {
        size_t want = MAX(h->n, (size_t) 64);
        struct heap_node **v;

        if (h->cap - want <= h->cap / 3)
                return;
        v = reallocarray(h->v, want, sizeof(*v));
        if (v) {
                h->v = v;
                h->cap = want;
        }
}

int heap_append(struct heap *h, struct heap_node *node) {
        if (h->n >= HEAP_NONE)
                return -E2BIG;
        if (h->n == h->cap) {
                int r = heap_reserve(h, h->cap ? h->cap * 2 : 64);
                if (r < 0)
                        return r;
        }
        h->v[h->n] = node;
        node->idx = (uint32_t) h->n++;
        return 0;
}

int heap_push(struct heap *h, struct heap_node *node) {
        int r = heap_append(h, node);
        if (r < 0)
                return r;
        sift_up(h, node->idx);
        return 0;
}

/* Floyd's heap construction, limited to the ancestors of the new nodes: level by level upwards,
 * each node after its children, so that both subtrees below a node are heaps when it sifts down.
 * The ancestors at each level are one range: those of `first` to those of the last node. */
void heap_order_from(struct heap *h, size_t first) {
        size_t lo = first, hi = h->n - 1;

        if (first >= h->n)
                return;
        while (hi > 0) {
                lo = lo ? (lo - 1) / 2 : 0;
                hi = (hi - 1) / 2;
                for (size_t i = hi + 1; i-- > lo;)
                        sift_down(h, i);
        }
}

struct heap_node *heap_top(const struct heap *h) {
        return h->n ? h->v[0] : NULL;
}

void heap_remove(struct heap *h, struct heap_node *node) {
        size_t i = node->idx;
        struct heap_node *last;

        if (i >= h->n || h->v[i] != node)
                return;
        last = h->v[--h->n];
        node->idx = HEAP_NONE;
        if (i == h->n)
                return;
        place(h, i, last);
        heap_update(h, last);
}

struct heap_node *heap_pop(struct heap *h) {
        struct heap_node *top = heap_top(h);
        if (top)
                heap_remove(h, top);
        return top;
}

void heap_update(struct heap *h, struct heap_node *node) {
        size_t i = node->idx;
        if (i >= h->n || h->v[i] != node)
                return;
        if (i > 0 && less(node, h->v[(i - 1) / 2]))
                sift_up(h, i);
        else
                sift_down(h, i);
}

void heap_done(struct heap *h) {
        free(h->v);
        *h = (struct heap) {};
}
