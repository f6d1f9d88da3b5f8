/*
 * cm_common.c - mode products with overflow checks and the error helper.
 */
#include "cm_common.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define CM_EXACT_LIMIT (INT64_C(1) << 53)

const char *cm_name_of(const char *const *names, int n, int i)
{
    return i >= 0 && i < n ? names[i] : "?";
}

int cm_name_find(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

int cm_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int64_t product(const int *v, int d)
{
    int64_t p = 1;
    for (int k = 0; k < d; k++) {
        if (v[k] < 1 || p > CM_EXACT_LIMIT / v[k])
            return -1;
        p *= v[k];
    }
    return p;
}

int64_t cm_modes_rows(const cm_modes *md) { return product(md->m, md->d); }
int64_t cm_modes_cols(const cm_modes *md) { return product(md->n, md->d); }

int cm_modes_check(const cm_modes *md, char *err, size_t errlen)
{
    if (md->d < 1 || md->d > CM_MAX_D)
        return cm_fail(err, errlen, "number of modes must be 1..%d, got %d", CM_MAX_D, md->d);
    for (int k = 0; k < md->d; k++)
        if (md->m[k] < 1 || md->n[k] < 1)
            return cm_fail(err, errlen, "mode %d has size %dx%d; sizes must be >= 1",
                           k + 1, md->m[k], md->n[k]);
    int64_t M = cm_modes_rows(md), N = cm_modes_cols(md);
    if (M < 0 || N < 0 || M > CM_EXACT_LIMIT / N)
        return cm_fail(err, errlen, "matrix size M x N exceeds 2^53 elements");
    return 0;
}

void *cm_grow(void *v, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? 2 * *cap : first;
    void *nv = nc <= SIZE_MAX / elem ? realloc(v, nc * elem) : NULL;
    if (nv)
        *cap = nc;
    return nv;
}
