/*
 * valparse.h - strict parsers of the small values that flags and specs
 * carry: whole-string integers and doubles, mode lists ("8x20x20x18") and
 * integer lists ("1,4,4,4,1").  Used by the command layer (cli.h includes
 * this) and by the spec loader, so both refuse the same text.
 */
#ifndef VALPARSE_H
#define VALPARSE_H

#include <stddef.h>

/* "8x20x20x18" -> v[0..*d-1]; each 1..2^31-1, at most CM_MAX_D values. */
int vp_modes(const char *s, int *v, int *d, char *err, size_t errlen);
/* "4" or "1,4,4,4,1" -> v[0..*n-1], each 1..2^31-1, at most maxn values. */
int vp_ints(const char *s, int *v, int *n, int maxn, char *err, size_t errlen);
/* Strict integer / double parse of a whole string. */
int vp_long(const char *s, long lo, long hi, long *out);
int vp_double(const char *s, double *out);

#endif
