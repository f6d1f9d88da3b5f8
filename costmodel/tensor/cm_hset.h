/*
 * cm_hset.h - a set of 64-bit keys (open addressing, linear probing, load
 * at most 1/2, slots picked by cm_mix64 so any keys spread): the resume set
 * of the sweep driver, the guided search's seen and explored indices.
 * Zero-initialise (CM_HSET_INIT) before use; cm_hset_free releases it.
 */
#ifndef CM_HSET_H
#define CM_HSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t *t; /* cap slots, 0 = empty */
    size_t cap, n;
    int zero;    /* key 0 (it cannot sit in a slot) */
} cm_hset;

#define CM_HSET_INIT {NULL, 0, 0, 0}

/* 1 if k was there already, 0 if added, -1 when out of memory. */
int cm_hset_add(cm_hset *s, uint64_t k);
/* 1 if k is in the set, else 0. */
int cm_hset_has(const cm_hset *s, uint64_t k);
/* Number of keys. */
size_t cm_hset_count(const cm_hset *s);
void cm_hset_free(cm_hset *s);

#endif
