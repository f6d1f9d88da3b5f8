/*
 * cm_svd_impl.h - the insides shared by the truncation files only, nothing
 * else includes this (the interface is cm_hsvd.h): cm_lapack.c (LAPACK,
 * norms, matricization, the SVD of a matricization), cm_spectrum.c
 * (spectra, bounds, ranks), cm_hsvd.c and cm_ttsvd.c (the truncations),
 * cm_rebuild.c (their exact error) and cm_synth.c.
 *
 * Index conventions (cm_common.h, cm_net.h): the matricization of mode set S
 * has rows (i_k, j_k) for k in S, increasing k, i_k before j_k, row-major;
 * columns the same over the complement.  Frames are stored row-major
 * (rows x rank), which is exactly the HT leaf layout (m_k, n_k, r_k).
 */
#ifndef CM_SVD_IMPL_H
#define CM_SVD_IMPL_H

#include "cm_hsvd.h"

/* ---- cm_lapack.c: dense helpers ---- */

/* Row-major C (m x n) = alpha op(A) op(B) + beta C through dgemm. */
void svd_gemm_rm(char ta, char tb, int m, int n, int k, double alpha, const double *a,
                 int lda, const double *b, int ldb, double beta, double *c, int ldc);
/* The size a LAPACK workspace query returned; -1 when an int cannot hold it. */
int svd_lwork_of(double q, int *lw);
/* n doubles (at least one) from malloc; NULL on overflow or no memory. */
double *svd_dalloc(int64_t n);
/* ||x||_F and ||a - b||_F of n values, scaled so that they cannot overflow. */
double svd_frob(const double *x, int64_t n);
double svd_frob_diff(const double *a, const double *b, int64_t n);
/* Checks W (valid modes, every entry finite); _amax also gives max |W_ij|
 * (amax may be NULL). */
int svd_check_w_amax(const double *W, const cm_modes *md, double *amax, char *err,
                     size_t errlen);
int svd_check_w(const double *W, const cm_modes *md, char *err, size_t errlen);

/* ---- cm_lapack.c: matricization ---- */

/* Size of the row side (mode set mask) of a matricization. */
int64_t svd_mask_size(const cm_modes *md, unsigned mask);
/* A = matricization of W by mask, row stride srow, column stride scol;
 * -1 when out of memory.  svd_unmatricize is its inverse. */
int svd_matricize(const double *W, const cm_modes *md, unsigned mask, int64_t srow,
                  int64_t scol, double *A);
int svd_unmatricize(const double *A, const cm_modes *md, unsigned mask, int64_t srow,
                    int64_t scol, double *W);
/* out[i] = sum_k digit_k(i) wt[k] over i < prod radix[k], the digits of i
 * mixed-radix with the last fastest (row-major tensor indices). */
void svd_digit_sums(const int *radix, int d, const int64_t *wt, int64_t *out);
/* z[x]: the row of the parent's matricization (mode set mt) holding row x of
 * the child's (mode set m, a subset); malloc'd, NULL when out of memory. */
int64_t *svd_child_offsets(const cm_modes *md, unsigned mt, unsigned m);
/* Rows per block so that a block of rows x per doubles stays near 64 MiB. */
int64_t svd_block_rows(int64_t n, int64_t per);

/* ---- cm_lapack.c: SVD of a tall column-major matrix: QR, then SVD of R ---- */

typedef struct {
    double *a;     /* tall x shrt, column-major; QR reflectors after factoring */
    double *tau;   /* shrt */
    int tall, shrt;
    double *s;     /* shrt singular values, descending */
    double *u;     /* shrt x shrt left vectors of R (column-major), or NULL */
    double *vt;    /* shrt x shrt V^T of R (column-major), or NULL */
} tsvd;

void tsvd_free(tsvd *t);
/* Factors t->a (filled by the caller, owned): values, and vectors if asked. */
int tsvd_factor(tsvd *t, int vectors, char *err, size_t errlen);

/*
 * The SVD of one matricization A (p x q, rows = mode set mask).  The long
 * side becomes the rows of the tall matrix: with p >= q, A itself stored
 * column-major; with p < q, A^T, which is A stored row-major.  Records
 * which side is which so that left/right vectors can be fetched later.
 */
typedef struct {
    tsvd t;
    int64_t p, q;
    int transposed; /* 1: t factors A^T (p < q) */
} msvd;

/* Matricizes W by mask and factors it (free with tsvd_free(&ms->t), also
 * on failure). */
int msvd_factor(const double *W, const cm_modes *md, unsigned mask, int vectors,
                msvd *ms, char *err, size_t errlen);
/* First k left vectors, row-major p x k; first k right vectors, column-major
 * (_cm) or row-major q x k.  *out is malloc'd. */
int msvd_left(const msvd *ms, int k, double **out, char *err, size_t errlen);
int msvd_right_cm(const msvd *ms, int k, double **out, char *err, size_t errlen);
int msvd_right(const msvd *ms, int k, double **out, char *err, size_t errlen);

/* ---- cm_spectrum.c: ranks ---- */

/* min(p, q), capped at INT_MAX: the largest rank a p x q matrix allows. */
int svd_cap_of(int64_t p, int64_t q);
/* The rank of one node (what names it in messages): given (capped at cap)
 * or, with use_tol, the smallest whose tail is <= thr; -1 when neither. */
int svd_settle_rank(int given, int cap, const cm_spectrum *s, double thr, int use_tol,
                    const char *what, char *err, size_t errlen);

/* ---- cm_rebuild.c ---- */

/* rel = ||W - W_approx|| / ||W|| (norm), W_approx rebuilt from the HT or TT
 * factors w of format f. */
int svd_exact_error(const double *W, const cm_modes *md, const cm_format *f,
                    const cm_weights *w, double norm, double *rel, char *err,
                    size_t errlen);

#endif
