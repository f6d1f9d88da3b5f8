/*
 * cm_hset.c - the set of 64-bit keys (cm_hset.h): linear probing in a
 * power-of-two table that doubles before it is half full.
 */
#include "cm_hset.h"

#include "cm_hash.h"

#include <stdlib.h>

static int grow(cm_hset *s)
{
    size_t cap = s->cap ? 2 * s->cap : 1024;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->t[i]) {
            size_t j = cm_mix64(s->t[i]) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = s->t[i];
        }
    free(s->t);
    s->t = t;
    s->cap = cap;
    return 0;
}

int cm_hset_add(cm_hset *s, uint64_t k)
{
    if (!k) {
        if (s->zero)
            return 1;
        s->zero = 1;
        s->n++;
        return 0;
    }
    if ((s->n + 1) * 2 > s->cap && grow(s))
        return -1;
    size_t j = cm_mix64(k) & (s->cap - 1);
    while (s->t[j]) {
        if (s->t[j] == k)
            return 1;
        j = (j + 1) & (s->cap - 1);
    }
    s->t[j] = k;
    s->n++;
    return 0;
}

int cm_hset_has(const cm_hset *s, uint64_t k)
{
    if (!k)
        return s->zero;
    if (!s->cap)
        return 0;
    size_t j = cm_mix64(k) & (s->cap - 1);
    while (s->t[j]) {
        if (s->t[j] == k)
            return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

size_t cm_hset_count(const cm_hset *s) { return s->n; }

void cm_hset_free(cm_hset *s)
{
    free(s->t);
    s->t = NULL;
    s->cap = s->n = 0;
    s->zero = 0;
}
