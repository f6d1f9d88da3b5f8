/*
 * test_modes_util.h - small dense-matrix helpers shared by the truncation
 * tests (test_hsvd, test_hsvd_spectrum): a cm_modes from its mode sizes,
 * a zeroed dense W of that shape, and the Euclidean norm.
 */
#ifndef TEST_MODES_UTIL_H
#define TEST_MODES_UTIL_H

#include "test_util.h"
#include "cm_hsvd.h"

static inline cm_modes modes_of(int d, const int *m, const int *n)
{
    cm_modes md;
    memset(&md, 0, sizeof md);
    md.d = d;
    for (int k = 0; k < d; k++) {
        md.m[k] = m[k];
        md.n[k] = n[k];
    }
    return md;
}

static inline double *dense_alloc(const cm_modes *md)
{
    double *W = calloc((size_t)(cm_modes_rows(md) * cm_modes_cols(md)), sizeof *W);
    assert_non_null(W);
    return W;
}

static inline double norm2(const double *x, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return sqrt(s);
}


#endif
