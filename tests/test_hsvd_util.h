/*
 * test_hsvd_util.h - matrices with a known spectrum, for the tests and the
 * benchmark of the truncation code (test_hsvd, test_hsvd_spectrum,
 * bench_hsvd): seeded orthonormal columns, A = U diag(s) V^T, and the W
 * whose matricization is A, placed by the index convention of cm_hsvd.h
 * written out digit by digit (an independent derivation of what
 * cm_lapack's permutation does).
 * No cmocka here (the benchmark does without): NULL when memory is short.
 */
#ifndef TEST_HSVD_UTIL_H
#define TEST_HSVD_UTIL_H

#include "cm_hsvd.h"

#include <stdlib.h>

/* LAPACK / BLAS (Fortran ABI). */
extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
                    double *work, const int *lwork, int *info);
extern void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
                    const double *tau, double *work, const int *lwork, int *info);
extern void dgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
                   const double *alpha, const double *a, const int *lda, const double *b,
                   const int *ldb, const double *beta, double *c, const int *ldc,
                   size_t ta_len, size_t tb_len);

/* Q (rows x cols, column-major, orthonormal columns) of a seeded Gaussian matrix. */
static inline double *tu_orthonormal(int rows, int cols, uint64_t seed)
{
    char err[CM_ERRLEN];
    int info = 0, lw = 64 * cols;
    double *q = malloc((size_t)rows * (size_t)cols * sizeof *q);
    double *tau = malloc((size_t)cols * sizeof *tau), *work = malloc((size_t)lw * sizeof *work);
    if (!q || !tau || !work ||
        cm_synth_matrix("gaussian", seed, rows, cols, q, err, sizeof err)) {
        free(q), free(tau), free(work);
        return NULL;
    }
    dgeqrf_(&rows, &cols, q, &rows, tau, work, &lw, &info);
    if (info == 0)
        dorgqr_(&rows, &cols, &cols, q, &rows, tau, work, &lw, &info);
    free(tau);
    free(work);
    if (info) {
        free(q);
        return NULL;
    }
    return q;
}

/* A = U diag(s) V^T, p x q (p <= q), row-major; U, V orthonormal of seeds
 * seed and seed + 1. */
static inline double *tu_known_spectrum(int p, int q, const double *s, uint64_t seed)
{
    double *u = tu_orthonormal(p, p, seed), *v = tu_orthonormal(q, p, seed + 1);
    double *a = malloc((size_t)p * (size_t)q * sizeof *a);
    if (!u || !v || !a) {
        free(u), free(v), free(a);
        return NULL;
    }
    for (int k = 0; k < p; k++) /* U diag(s): scale column k */
        for (int i = 0; i < p; i++)
            u[(size_t)k * p + i] *= s[k];
    /* column-major A^T (q x p) = V (U diag(s))^T, i.e. row-major A */
    double one = 1, zero = 0;
    dgemm_("N", "T", &q, &p, &p, &one, v, &q, u, &p, &zero, a, &q, 1, 1);
    free(u);
    free(v);
    return a;
}

/*
 * W such that its matricization by mask is A (q columns, row-major):
 * W[i][j], i and j row-major over (i_1..i_d), (j_1..j_d); row of A = the
 * digits (i_k, j_k), k in mask, increasing k, i_k before j_k; column the
 * same over the rest.
 */
static inline void tu_place(const cm_modes *md, unsigned mask, const double *A, int64_t q,
                            double *W)
{
    int d = md->d;
    int64_t M = cm_modes_rows(md), N = cm_modes_cols(md);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            int ik[CM_MAX_D], jk[CM_MAX_D];
            int64_t ri = i, rj = j;
            for (int k = d - 1; k >= 0; k--) {
                ik[k] = (int)(ri % md->m[k]);
                ri /= md->m[k];
                jk[k] = (int)(rj % md->n[k]);
                rj /= md->n[k];
            }
            int64_t row = 0, col = 0;
            for (int k = 0; k < d; k++) {
                if (mask & (1u << k))
                    row = (row * md->m[k] + ik[k]) * md->n[k] + jk[k];
                else
                    col = (col * md->m[k] + ik[k]) * md->n[k] + jk[k];
            }
            W[i * N + j] = A[row * q + col];
        }
}

#endif
