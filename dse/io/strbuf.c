/*
 * strbuf.c - the growing string of strbuf.h: doubles its room when full,
 * so n appends cost O(total length).
 */
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

int sb_put(strbuf *b, const char *p, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        size_t cap = (b->n + len + 1) * 2;
        char *g = realloc(b->s, cap);
        if (!g)
            return -1;
        b->s = g;
        b->cap = cap;
    }
    memcpy(b->s + b->n, p, len);
    b->n += len;
    b->s[b->n] = '\0';
    return 0;
}
