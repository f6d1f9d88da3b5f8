/*
 * cm_hash.h - the tree's hash functions, in one place (static inline, no
 * state): FNV-1a 64 over bytes and its one-word step, the splitmix64 step
 * and finalizer, the murmur3 fmix64 finalizer and a combine built on it.
 * Hashes that are stored (the database's point keys, technology table,
 * spec and training-data hashes, checkpoint sums) are made of these, so
 * their bits never change.  cm_hset.h is the one hash set built on them.
 */
#ifndef CM_HASH_H
#define CM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CM_FNV_OFFSET UINT64_C(0xcbf29ce484222325) /* FNV-1a 64 offset basis */
#define CM_FNV_PRIME UINT64_C(0x100000001b3)       /* 2^40 + 2^8 + 0xb3 */
#define CM_GOLDEN UINT64_C(0x9e3779b97f4a7c15)     /* 2^64 / golden ratio */

/* One FNV-1a step over a whole word (hashes of integer keys). */
static inline uint64_t cm_fnv_step(uint64_t h, uint64_t w) { return (h ^ w) * CM_FNV_PRIME; }

/* FNV-1a 64 over n bytes, continuing from h (start with CM_FNV_OFFSET). */
static inline uint64_t cm_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = cm_fnv_step(h, b[i]);
    return h;
}

/* Word-wise FNV of n integers, seeded by n (not finalized: low bits are weak). */
static inline uint64_t cm_hash_i64(const int64_t *v, int64_t n)
{
    uint64_t h = (uint64_t)n * CM_GOLDEN;
    for (int64_t i = 0; i < n; i++)
        h = cm_fnv_step(h, (uint64_t)v[i]);
    return h;
}

/* MurmurHash3's fmix64 finalizer (a full avalanche). */
static inline uint64_t cm_fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

/* Combine v into h with a full avalanche, so that keys differing only in
 * high bits (e.g. doubles) still spread over a table. */
static inline uint64_t cm_hash_combine(uint64_t h, uint64_t v) { return cm_fmix64(h ^ v * CM_GOLDEN); }

/* splitmix64's output function of z + golden (a bijection; a good mixer). */
static inline uint64_t cm_mix64(uint64_t z)
{
    z += CM_GOLDEN;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The splitmix64 generator: advances *state, returns the next output. */
static inline uint64_t cm_splitmix_next(uint64_t *state)
{
    uint64_t z = cm_mix64(*state);
    *state += CM_GOLDEN;
    return z;
}

static inline uint64_t cm_rotl64(uint64_t x, int r) { return x << r | x >> (64 - r); }

#endif
