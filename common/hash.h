/* common/hash.h: the two hash functions tock uses, in one place.
 *
 * FNV-1a (64-bit) for strings: table seeds for '~', catch-up keys (kept in the state directory,
 * so their values must never change), hash map keys. splitmix64 to mix integers: '~' values,
 * jitter draws, pid hashing. hash_bytes() for long texts: a table's identity in a fleet. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

static inline uint64_t hash_rotl64(uint64_t x, unsigned r) {
        return (x << r) | (x >> (64 - r));
}

/* The 8 bytes at p as a little-endian number, on any host */
static inline uint64_t hash_load_le64(const unsigned char *p) {
        uint64_t w;
        memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        return w;
}

/* A 64-bit hash of p[0..n): 32 bytes a step in four independent lanes, each word multiplied in
 * and rotated, then the lanes and the tail mixed with splitmix64. FNV-1a's multiply per byte,
 * each waiting for the last, took 70 ms of tockd's start on the 50 MB of a million entries'
 * tables; this takes a few. Words are read little-endian, so every host of a fleet agrees. Not
 * for adversaries: a table's identity, not a MAC. */
static inline uint64_t hash_bytes(const void *p, size_t n) {
        const unsigned char *s = p;
        uint64_t h[4] = { 0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL, 0x94d049bb133111ebULL, HASH_FNV_OFFSET };
        uint64_t r;
        size_t i = 0;

        for (; i + 32 <= n; i += 32)
                for (unsigned k = 0; k < 4; k++)
                        h[k] = hash_rotl64(h[k] + hash_load_le64(s + i + 8 * k) * 0xc2b2ae3d27d4eb4fULL, 31) * 0x9e3779b97f4a7c15ULL;
        r = hash_splitmix64(n);
        for (; i < n; i++)
                r = (r ^ s[i]) * HASH_FNV_PRIME;
        for (unsigned k = 0; k < 4; k++)
                r = hash_splitmix64(r ^ h[k]);
        return r;
}
