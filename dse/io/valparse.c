/*
 * valparse.c - strict parsers of small values (see valparse.h).
 */
#include "valparse.h"
#include "cm_common.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int vp_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int vp_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || v != v)
        return -1;
    *out = v;
    return 0;
}

/* Split s on sep into integers in 1..INT_MAX. */
static int parse_list(const char *s, char sep, int *v, int *n, int maxn,
                      const char *what, char *err, size_t errlen)
{
    if (!s || !*s)
        return cm_fail(err, errlen, "empty %s", what);
    int cnt = 0;
    const char *p = s;
    for (;;) {
        const char *q = strchr(p, sep);
        size_t len = q ? (size_t)(q - p) : strlen(p);
        char tok[32];
        long val;
        if (len == 0 || len >= sizeof tok)
            return cm_fail(err, errlen, "bad %s '%s': empty or over-long entry", what, s);
        memcpy(tok, p, len);
        tok[len] = '\0';
        if (vp_long(tok, 1, INT_MAX, &val))
            return cm_fail(err, errlen, "bad %s '%s': '%s' is not an integer >= 1", what, s, tok);
        if (cnt == maxn)
            return cm_fail(err, errlen, "bad %s '%s': more than %d entries", what, s, maxn);
        v[cnt++] = (int)val;
        if (!q)
            break;
        p = q + 1;
    }
    *n = cnt;
    return 0;
}

int vp_modes(const char *s, int *v, int *d, char *err, size_t errlen)
{
    return parse_list(s, 'x', v, d, CM_MAX_D, "mode list", err, errlen);
}

int vp_ints(const char *s, int *v, int *n, int maxn, char *err, size_t errlen)
{
    return parse_list(s, ',', v, n, maxn, "integer list", err, errlen);
}
