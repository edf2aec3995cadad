/* tests/unit/test_hmap.c: the intrusive hash map (common/hmap.c) and the hash functions
 * (common/hash.h), whose values are kept on disk and must never change. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "hash.h"
#include "hmap.h"

struct item {
        struct hmap_node node;
        int key, value;
};

static struct item *find(const struct hmap *m, int key) {
        for (struct hmap_node *n = hmap_first(m, (uint64_t) key); n; n = hmap_next(n)) {
                struct item *it = HMAP_ENTRY(n, struct item, node);
                if (it->key == key)
                        return it;
        }
        return NULL;
}

Test(hmap, finds_every_key_through_many_growths_and_misses_absent_ones) {
        enum { N = 20000 };
        struct item *v = calloc(N, sizeof(*v));
        struct hmap m = {};

        cr_assert(v);
        for (int i = 0; i < N; i++) {
                v[i] = (struct item) { .key = i * 7, .value = i };
                cr_assert_eq(hmap_add(&m, &v[i].node, (uint64_t) v[i].key), 0);
        }
        cr_assert_eq(m.n, N);
        cr_assert_geq(m.n_buckets, N, "buckets double as the map fills");
        for (int i = 0; i < N; i++) {
                struct item *it = find(&m, i * 7);
                cr_assert(it && it->value == i, "key %d", i * 7);
                cr_assert_null(find(&m, i * 7 + 3));
        }
        hmap_done(&m);
        free(v);
}

Test(hmap, deleting_leaves_the_others_and_a_second_delete_changes_nothing) {
        struct item v[100];
        struct hmap m = {};

        for (int i = 0; i < 100; i++) {
                v[i] = (struct item) { .key = i };
                cr_assert_eq(hmap_add(&m, &v[i].node, (uint64_t) i), 0);
        }
        for (int i = 0; i < 100; i += 2)
                hmap_del(&m, &v[i].node);
        hmap_del(&m, &v[0].node);
        cr_assert_eq(m.n, 50);
        for (int i = 0; i < 100; i++)
                cr_assert_eq(find(&m, i) != NULL, i % 2 == 1, "key %d", i);
        hmap_done(&m);
}

Test(hmap, equal_hashes_come_out_newest_first_also_after_growing) {
        struct item v[40];
        struct hmap m = {};
        int seen = 0;

        /* the same hash 40 times, interleaved with others so that the map grows meanwhile */
        static struct item other[200];
        for (int i = 0; i < 40; i++) {
                v[i] = (struct item) { .key = 5, .value = i };
                cr_assert_eq(hmap_add(&m, &v[i].node, 5), 0);
                for (int k = 0; k < 5; k++) {
                        other[i * 5 + k] = (struct item) { .key = 1000 + i * 5 + k };
                        cr_assert_eq(hmap_add(&m, &other[i * 5 + k].node, (uint64_t) (1000 + i * 5 + k)), 0);
                }
        }
        for (struct hmap_node *n = hmap_first(&m, 5); n; n = hmap_next(n)) {
                cr_assert_eq(HMAP_ENTRY(n, struct item, node)->value, 39 - seen);
                seen++;
        }
        cr_assert_eq(seen, 40);
        hmap_done(&m);
}

Test(hmap, an_empty_map_finds_nothing_and_deletes_nothing) {
        struct hmap m = {};
        struct item it = { .key = 1 };

        cr_assert_null(hmap_first(&m, 1));
        hmap_del(&m, &it.node);
        cr_assert_eq(m.n, 0);
        hmap_done(&m);
}

/* These values are in users' state files (catch-up keys) and decide '~' times: fixed forever. */
Test(hash, fnv1a_and_splitmix64_keep_their_values) {
        cr_assert_eq(hash_fnv1a(HASH_FNV_OFFSET, ""), 0xcbf29ce484222325ULL);
        cr_assert_eq(hash_fnv1a(HASH_FNV_OFFSET, "a"), 0xaf63dc4c8601ec8cULL);
        cr_assert_eq(hash_fnv1a(HASH_FNV_OFFSET, "foobar"), 0x85944171f73967e8ULL);
        cr_assert_eq(hash_fnv1a(HASH_FNV_OFFSET, NULL), HASH_FNV_OFFSET);
        cr_assert_eq(hash_fnv1a_field(HASH_FNV_OFFSET, "a"), (0xaf63dc4c8601ec8cULL ^ 0xff) * HASH_FNV_PRIME);
        cr_assert_neq(hash_fnv1a_field(hash_fnv1a_field(HASH_FNV_OFFSET, "ab"), "c"),
                      hash_fnv1a_field(hash_fnv1a_field(HASH_FNV_OFFSET, "a"), "bc"));
        cr_assert_eq(hash_splitmix64(0), 0xe220a8397b1dcdafULL);
        cr_assert_eq(hash_splitmix64(1), 0x910a2dec89025cc1ULL);
}

/* A table's identity in a fleet: members built from the same source must agree, so the values are
 * pinned (a deliberate change changes the claim keys of every fleet, all members at once). */
Test(hash, bytes_keep_their_values) {
        cr_assert_eq(hash_bytes("", 0), 0x3f4cb136b73c60dcULL);
        cr_assert_eq(hash_bytes("0 * * * * /usr/bin/backup --id 1 >/dev/null\n", 45), 0xb82f2eff535d2f3cULL);
}

/* Every bit of the text counts, in the lanes and in the tail, and so does the length */
Test(hash, bytes_see_every_bit_and_the_length) {
        enum { N = 100 };
        unsigned char buf[N] = { 0 };
        uint64_t seen[N * 8 + N + 1];
        size_t n = 0;

        for (size_t len = 0; len <= N; len++)
                seen[n++] = hash_bytes(buf, len);
        for (size_t i = 0; i < N; i++)
                for (unsigned b = 0; b < 8; b++) {
                        buf[i] ^= (unsigned char) (1u << b);
                        seen[n++] = hash_bytes(buf, N);
                        buf[i] ^= (unsigned char) (1u << b);
                }
        for (size_t i = 0; i < n; i++)
                for (size_t k = i + 1; k < n; k++)
                        cr_assert_neq(seen[i], seen[k], "hashes %zu and %zu collide", i, k);
}
