/*
 * strbuf.h - a growing, always NUL-terminated string, for the few places of
 * dse/ that build a string of unknown length (shell-quoted command lines,
 * quoted SQL and JSON literals).  A zeroed strbuf is empty; the caller owns
 * and frees s.
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stddef.h>

typedef struct {
    char *s;
    size_t n, cap;
} strbuf;

/* Appends p[0..len); -1 when out of memory (the buffer is left as it was). */
int sb_put(strbuf *b, const char *p, size_t len);

#endif
