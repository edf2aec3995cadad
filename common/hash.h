/* common/hash.h: the two hash functions tock uses, in one place.
 *
 * FNV-1a (64-bit) for strings: table seeds for '~', catch-up keys (kept in the state directory,
 * so their values must never change), hash map keys. splitmix64 to mix integers: '~' values,
 * jitter draws, pid hashing. */
#pragma once

#include <stdint.h>

#define HASH_FNV_OFFSET 0xcbf29ce484222325ULL
#define HASH_FNV_PRIME 0x100000001b3ULL

/* FNV-1a of the string s (NULL is empty), continuing from h. */
static inline uint64_t hash_fnv1a(uint64_t h, const char *s) {
        for (; s && *s; s++)
                h = (h ^ (unsigned char) *s) * HASH_FNV_PRIME;
        return h;
}

/* The same, then a separator byte, so that ("ab","c") and ("a","bc") hash differently. */
static inline uint64_t hash_fnv1a_field(uint64_t h, const char *s) {
        return (hash_fnv1a(h, s) ^ 0xff) * HASH_FNV_PRIME;
}

static inline uint64_t hash_splitmix64(uint64_t x) {
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
}
