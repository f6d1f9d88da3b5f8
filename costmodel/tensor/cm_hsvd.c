/*
 * cm_hsvd.c - truncation of a dense matrix to HT (root-to-leaves HSVD,
 * Grasedyck 2010) and to TT (TT-SVD), per-node spectra, error bounds and
 * seeded synthetic reference matrices (see cm_hsvd.h).
 *
 * Every SVD with vectors here is "QR, then SVD of the small triangular
 * factor": the matricization is laid out column-major with its long side
 * as the rows, dgeqrf reduces it to R (short x short), dgesdd factors R,
 * and the long-side singular vectors are recovered by applying Q (dormqr).
 * The Gram-matrix route squares the condition number and loses the small
 * singular values, so the HSVD and TT-SVD never take it.  Values without
 * vectors (cm_spectrum_compute_with) take it on request or, by default,
 * for large matrices, where it is about 3x faster and accurate to 1e-6
 * relative down to CM_SPECTRUM_GRAM_FLOOR s_1 (see spectrum_gram); the
 * exact values-only route on a large R is two-stage instead of dgesdd
 * (band reduction, then dgbbrd + dbdsqr; see sv_two_stage).
 *
 * rel_error is measured by rebuilding W_approx with GEMMs (HT frames bottom
 * up, TT cores left to right), not with cm_weights_to_dense, whose generic
 * contraction order can need intermediates far larger than W; the tests
 * check the two against each other.
 *
 * Index conventions (cm_common.h, cm_net.h): the matricization of mode set S
 * has rows (i_k, j_k) for k in S, increasing k, i_k before j_k, row-major;
 * columns the same over the complement.  Frames are stored row-major
 * (rows x rank), which is exactly the HT leaf layout (m_k, n_k, r_k).
 */
#include "cm_hsvd.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- LAPACK / BLAS (Fortran ABI, column-major, hidden string lengths) ---- */

extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
                    double *work, const int *lwork, int *info);
extern void dormqr_(const char *side, const char *trans, const int *m, const int *n,
                    const int *k, const double *a, const int *lda, const double *tau,
                    double *c, const int *ldc, double *work, const int *lwork, int *info,
                    size_t side_len, size_t trans_len);
extern void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
                    double *s, double *u, const int *ldu, double *vt, const int *ldvt,
                    double *work, const int *lwork, int *iwork, int *info, size_t jobz_len);
extern void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n,
                    double *a, const int *lda, double *s, double *u, const int *ldu,
                    double *vt, const int *ldvt, double *work, const int *lwork, int *info,
                    size_t jobu_len, size_t jobvt_len);
extern void dgelqf_(const int *m, const int *n, double *a, const int *lda, double *tau,
                    double *work, const int *lwork, int *info);
extern void dormlq_(const char *side, const char *trans, const int *m, const int *n,
                    const int *k, const double *a, const int *lda, const double *tau,
                    double *c, const int *ldc, double *work, const int *lwork, int *info,
                    size_t side_len, size_t trans_len);
extern void dgbbrd_(const char *vect, const int *m, const int *n, const int *ncc,
                    const int *kl, const int *ku, double *ab, const int *ldab, double *d,
                    double *e, double *q, const int *ldq, double *pt, const int *ldpt,
                    double *c, const int *ldc, double *work, int *info, size_t vect_len);
extern void dbdsqr_(const char *uplo, const int *n, const int *ncvt, const int *nru,
                    const int *ncc, double *d, double *e, double *vt, const int *ldvt,
                    double *u, const int *ldu, double *c, const int *ldc, double *work,
                    int *info, size_t uplo_len);
extern void dgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
                   const double *alpha, const double *a, const int *lda, const double *b,
                   const int *ldb, const double *beta, double *c, const int *ldc,
                   size_t ta_len, size_t tb_len);

/* Row-major C (m x n) = alpha op(A) op(B) + beta C, via the column-major
 * identity C^T = op(B)^T op(A)^T: no data is moved. */
static void gemm_rm(char ta, char tb, int m, int n, int k, double alpha, const double *a,
                    int lda, const double *b, int ldb, double beta, double *c, int ldc)
{
    if (m == 0 || n == 0)
        return;
    dgemm_(&tb, &ta, &n, &m, &k, &alpha, b, &ldb, a, &lda, &beta, c, &ldc, 1, 1);
}

/* LAPACK workspace queries return a double; refuse what an int cannot hold. */
static int lwork_of(double q, int *lw)
{
    if (!(q >= 1.0) || q > (double)INT_MAX)
        return -1;
    *lw = (int)q;
    if (*lw < 1)
        *lw = 1;
    return 0;
}

static double *dalloc(int64_t n)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof(double))
        return NULL;
    return malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
}

/* ---- norms ---- */

/* Frobenius norm of n values, scaled so that it cannot overflow. */
static double frob(const double *x, int64_t n)
{
    double amax = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(x[i]) > amax)
            amax = fabs(x[i]);
    if (amax == 0 || !isfinite(amax))
        return amax;
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = x[i] / amax;
        s += v * v;
    }
    return amax * sqrt(s);
}

/* ||a - b||_F, scaled the same way. */
static double frob_diff(const double *a, const double *b, int64_t n)
{
    double amax = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(a[i] - b[i]) > amax)
            amax = fabs(a[i] - b[i]);
    if (amax == 0 || !isfinite(amax))
        return amax;
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = (a[i] - b[i]) / amax;
        s += v * v;
    }
    return amax * sqrt(s);
}

/* ---- matricization ---- */

/* Size of the row side (mode set mask) of a matricization. */
static int64_t mask_size(const cm_modes *md, unsigned mask)
{
    int64_t p = 1;
    for (int k = 0; k < md->d; k++)
        if (mask & (1u << k))
            p *= (int64_t)md->m[k] * md->n[k];
    return p;
}

/*
 * Destination offsets of a permutation of W: element W[i][j] goes to
 * offi[i] + offj[j], where the matricization by mask is stored with row
 * stride srow and column stride scol.  The row index is separable: digit
 * (i_k, j_k) contributes (i_k n_k + j_k) * stride_k, so an i part and a j
 * part can be tabulated once and added (no per-element division).
 */
static void perm_offsets(const cm_modes *md, unsigned mask, int64_t srow, int64_t scol,
                         int64_t *offi, int64_t *offj)
{
    int d = md->d;
    int64_t rs[CM_MAX_D], cs[CM_MAX_D]; /* stride of combined digit k in rows / cols */
    int64_t r = 1, c = 1;
    for (int k = d - 1; k >= 0; k--) {
        int64_t sz = (int64_t)md->m[k] * md->n[k];
        if (mask & (1u << k)) {
            rs[k] = r * srow;
            cs[k] = 0;
            r *= sz;
        } else {
            cs[k] = c * scol;
            rs[k] = 0;
            c *= sz;
        }
    }
    /* i = (i_1..i_d) row-major: walk the digits with a counter. */
    int dig[CM_MAX_D] = {0};
    int64_t M = cm_modes_rows(md), N = cm_modes_cols(md);
    for (int64_t i = 0; i < M; i++) {
        int64_t o = 0;
        for (int k = 0; k < d; k++)
            o += (int64_t)dig[k] * md->n[k] * (rs[k] + cs[k]);
        offi[i] = o;
        for (int k = d - 1; k >= 0; k--) {
            if (++dig[k] < md->m[k])
                break;
            dig[k] = 0;
        }
    }
    memset(dig, 0, sizeof dig);
    for (int64_t j = 0; j < N; j++) {
        int64_t o = 0;
        for (int k = 0; k < d; k++)
            o += (int64_t)dig[k] * (rs[k] + cs[k]);
        offj[j] = o;
        for (int k = d - 1; k >= 0; k--) {
            if (++dig[k] < md->n[k])
                break;
            dig[k] = 0;
        }
    }
}

/* A = matricization of W by mask, row stride srow, column stride scol. */
static int matricize(const double *W, const cm_modes *md, unsigned mask, int64_t srow,
                     int64_t scol, double *A)
{
    int64_t M = cm_modes_rows(md), N = cm_modes_cols(md);
    int64_t *offi = malloc((size_t)M * sizeof *offi);
    int64_t *offj = malloc((size_t)N * sizeof *offj);
    if (!offi || !offj) {
        free(offi);
        free(offj);
        return -1;
    }
    perm_offsets(md, mask, srow, scol, offi, offj);
    for (int64_t i = 0; i < M; i++) {
        const double *w = W + i * N;
        double *a = A + offi[i];
        for (int64_t j = 0; j < N; j++)
            a[offj[j]] = w[j];
    }
    free(offi);
    free(offj);
    return 0;
}

/* Inverse of matricize: W[i][j] = A[offset of (i, j)]. */
static int unmatricize(const double *A, const cm_modes *md, unsigned mask, int64_t srow,
                       int64_t scol, double *W)
{
    int64_t M = cm_modes_rows(md), N = cm_modes_cols(md);
    int64_t *offi = malloc((size_t)M * sizeof *offi);
    int64_t *offj = malloc((size_t)N * sizeof *offj);
    if (!offi || !offj) {
        free(offi);
        free(offj);
        return -1;
    }
    perm_offsets(md, mask, srow, scol, offi, offj);
    for (int64_t i = 0; i < M; i++) {
        double *w = W + i * N;
        const double *a = A + offi[i];
        for (int64_t j = 0; j < N; j++)
            w[j] = a[offj[j]];
    }
    free(offi);
    free(offj);
    return 0;
}

/* ---- SVD of a tall column-major matrix: QR, then SVD of R ---- */

typedef struct {
    double *a;     /* tall x shrt, column-major; QR reflectors after factoring */
    double *tau;   /* shrt */
    int tall, shrt;
    double *s;     /* shrt singular values, descending */
    double *u;     /* shrt x shrt left vectors of R (column-major), or NULL */
    double *vt;    /* shrt x shrt V^T of R (column-major), or NULL */
} tsvd;

static void tsvd_free(tsvd *t)
{
    free(t->a);
    free(t->tau);
    free(t->s);
    free(t->u);
    free(t->vt);
    memset(t, 0, sizeof *t);
}

/*
 * Singular values only of a square n x n matrix (column-major, destroyed),
 * in two stages.  dgesdd would bidiagonalize with dgebrd, half of whose
 * flops are matrix-vector products over the whole trailing matrix: memory
 * bound, it dominated the time on large matricizations.  Stage 1 here
 * reduces to upper band form (bandwidth CM_BAND) with blocked Householder
 * QR / LQ panels, all matrix-matrix work; stage 2 chases the band to
 * bidiagonal (dgbbrd, O(n^2 CM_BAND)) and dbdsqr (dqds) takes the values.
 * Every transformation is orthogonal, so the values are those of the
 * matrix to the same backward accuracy as dgesdd's.
 */
#define CM_BAND 64
#define CM_TWO_STAGE_MIN 512  /* below this, dgesdd is as fast */

/* Work buffer that grows to what a LAPACK query asks for. */
typedef struct {
    double *w;
    int n;
} lwbuf;

static int lw_need(lwbuf *b, double q)
{
    int lw;
    if (lwork_of(q, &lw))
        return -1;
    if (lw > b->n) {
        double *nw = dalloc(lw);
        if (!nw)
            return -1;
        free(b->w);
        b->w = nw;
        b->n = lw;
    }
    return 0;
}

/* Stage 1: A -> upper band of bandwidth nb (entries outside are garbage). */
static int band_reduce(double *a, int n, int nb, lwbuf *wb, double *tau)
{
    int info = 0, lw = -1;
    double q;
    for (int j = 0; j < n; j += nb) {
        int jb = n - j < nb ? n - j : nb, mr = n - j, nc = n - j - jb;
        double *pan = a + (size_t)j * n + j;
        lw = -1;
        dgeqrf_(&mr, &jb, pan, &n, tau, &q, &lw, &info);
        if (info || lw_need(wb, q))
            return -1;
        dgeqrf_(&mr, &jb, pan, &n, tau, wb->w, &wb->n, &info);
        if (info)
            return -1;
        if (nc == 0)
            break;
        double *right = a + (size_t)(j + jb) * n + j; /* rows j.., cols j+jb.. */
        lw = -1;
        dormqr_("L", "T", &mr, &nc, &jb, pan, &n, tau, right, &n, &q, &lw, &info, 1, 1);
        if (info || lw_need(wb, q))
            return -1;
        dormqr_("L", "T", &mr, &nc, &jb, pan, &n, tau, right, &n, wb->w, &wb->n, &info, 1,
                1);
        if (info)
            return -1;
        /* Row panel: rows j..j+jb of the columns right of the diagonal block. */
        lw = -1;
        dgelqf_(&jb, &nc, right, &n, tau, &q, &lw, &info);
        if (info || lw_need(wb, q))
            return -1;
        dgelqf_(&jb, &nc, right, &n, tau, wb->w, &wb->n, &info);
        if (info)
            return -1;
        double *trail = a + (size_t)(j + jb) * n + (j + jb);
        int kr = jb < nc ? jb : nc; /* reflectors of the row panel */
        lw = -1;
        dormlq_("R", "T", &nc, &nc, &kr, right, &n, tau, trail, &n, &q, &lw, &info, 1, 1);
        if (info || lw_need(wb, q))
            return -1;
        dormlq_("R", "T", &nc, &nc, &kr, right, &n, tau, trail, &n, wb->w, &wb->n, &info,
                1, 1);
        if (info)
            return -1;
    }
    return 0;
}

static int sv_two_stage(double *a, int n, double *s, char *err, size_t errlen)
{
    int nb = CM_BAND, ld = nb + 1, info = 0, zero = 0, one = 1;
    lwbuf wb = {NULL, 0};
    double *tau = dalloc(nb), *ab = dalloc((int64_t)ld * n), *e = dalloc(n);
    double *work = dalloc(4 * (int64_t)n);
    int rc = -1;
    if (!tau || !ab || !e || !work) {
        cm_fail(err, errlen, "out of memory (SVD of a %d x %d factor)", n, n);
        goto done;
    }
    if (band_reduce(a, n, nb, &wb, tau)) {
        cm_fail(err, errlen, "LAPACK band reduction failed (n = %d)", n);
        goto done;
    }
    /* LAPACK band storage: AB(ku + i - c, c) = A(i, c) for c - ku <= i <= c. */
    for (int c = 0; c < n; c++)
        for (int i = 0; i <= nb; i++) {
            int row = c - nb + i;
            ab[(size_t)c * ld + i] = row >= 0 ? a[(size_t)c * n + row] : 0.0;
        }
    double dummy = 0;
    dgbbrd_("N", &n, &n, &zero, &zero, &nb, ab, &ld, s, e, &dummy, &one, &dummy, &one,
            &dummy, &one, work, &info, 1);
    if (info == 0)
        dbdsqr_("U", &n, &zero, &zero, &zero, s, e, &dummy, &one, &dummy, &one, &dummy, &one,
                work, &info, 1);
    if (info) {
        cm_fail(err, errlen, "LAPACK bidiagonal SVD failed (info %d, n = %d)", info, n);
        goto done;
    }
    rc = 0;
done:
    free(wb.w);
    free(tau);
    free(ab);
    free(e);
    free(work);
    return rc;
}

/* dgesdd on the square R; falls back to dgesvd if divide and conquer fails. */
static int svd_square(double *r, int n, double *s, double *u, double *vt, char *err,
                      size_t errlen)
{
    char job = u ? 'S' : 'N';
    int info = 0, lw = -1, ld = n;
    double q = 0;
    double *rc = NULL;
    int *iw = malloc((size_t)8 * (size_t)n * sizeof *iw);
    if (!iw)
        return cm_fail(err, errlen, "out of memory (SVD of a %d x %d factor)", n, n);
    /* dgesdd may fail to converge on rare inputs: keep a copy for dgesvd. */
    rc = dalloc((int64_t)n * n);
    if (!rc) {
        free(iw);
        return cm_fail(err, errlen, "out of memory (SVD of a %d x %d factor)", n, n);
    }
    memcpy(rc, r, (size_t)n * (size_t)n * sizeof *r);
    dgesdd_(&job, &n, &n, r, &ld, s, u, &ld, vt, &ld, &q, &lw, iw, &info, 1);
    double *work = NULL;
    if (info == 0 && lwork_of(q, &lw) == 0 && (work = dalloc(lw)) != NULL)
        dgesdd_(&job, &n, &n, r, &ld, s, u, &ld, vt, &ld, work, &lw, iw, &info, 1);
    else if (info == 0)
        info = -1000;
    free(work);
    free(iw);
    if (info > 0) {
        /* Retry with the QR-iteration SVD on the saved copy. */
        lw = -1;
        dgesvd_(&job, &job, &n, &n, rc, &ld, s, u, &ld, vt, &ld, &q, &lw, &info, 1, 1);
        work = NULL;
        if (info == 0 && lwork_of(q, &lw) == 0 && (work = dalloc(lw)) != NULL)
            dgesvd_(&job, &job, &n, &n, rc, &ld, s, u, &ld, vt, &ld, work, &lw, &info, 1, 1);
        else if (info == 0)
            info = -1000;
        free(work);
    }
    free(rc);
    if (info == -1000)
        return cm_fail(err, errlen, "out of memory (SVD workspace, n = %d)", n);
    if (info != 0)
        return cm_fail(err, errlen, "LAPACK SVD failed (info %d, n = %d)", info, n);
    return 0;
}

/*
 * Factor t->a (tall x shrt, column-major, owned): QR, then the SVD of R.
 * With vectors, R = u diag(s) vt, so A = (Q u) diag(s) vt.
 */
static int tsvd_factor(tsvd *t, int vectors, char *err, size_t errlen)
{
    int m = t->tall, n = t->shrt, info = 0, lw = -1;
    double q = 0;
    t->tau = dalloc(n);
    t->s = dalloc(n);
    double *r = dalloc((int64_t)n * n);
    if (vectors) {
        t->u = dalloc((int64_t)n * n);
        t->vt = dalloc((int64_t)n * n);
    }
    if (!t->tau || !t->s || !r || (vectors && (!t->u || !t->vt))) {
        free(r);
        return cm_fail(err, errlen, "out of memory (SVD of a %d x %d matrix)", m, n);
    }
    dgeqrf_(&m, &n, t->a, &m, t->tau, &q, &lw, &info);
    double *work = NULL;
    if (info == 0 && lwork_of(q, &lw) == 0 && (work = dalloc(lw)) != NULL)
        dgeqrf_(&m, &n, t->a, &m, t->tau, work, &lw, &info);
    else
        info = info ? info : -1000;
    free(work);
    if (info != 0) {
        free(r);
        return info == -1000 ? cm_fail(err, errlen, "out of memory (QR workspace)")
                             : cm_fail(err, errlen, "LAPACK dgeqrf failed (info %d)", info);
    }
    /* R = upper triangle of the factored a; zero below. */
    for (int c = 0; c < n; c++) {
        for (int i = 0; i <= c; i++)
            r[(size_t)c * n + i] = t->a[(size_t)c * m + i];
        for (int i = c + 1; i < n; i++)
            r[(size_t)c * n + i] = 0;
    }
    int rc = (!vectors && n >= CM_TWO_STAGE_MIN)
                 ? sv_two_stage(r, n, t->s, err, errlen)
                 : svd_square(r, n, t->s, t->u, t->vt, err, errlen);
    free(r);
    /* LAPACK sorts its values; keep them >= 0 and non-increasing exactly,
     * which cm_spectrum_set insists on. */
    for (int i = 0; rc == 0 && i < n; i++) {
        if (!(t->s[i] > 0))
            t->s[i] = 0;
        if (i > 0 && t->s[i] > t->s[i - 1])
            t->s[i] = t->s[i - 1];
    }
    return rc;
}

/* First k tall-side singular vectors: Q [u(:, 1:k); 0], column-major tall x k. */
static int tsvd_tall_vectors(const tsvd *t, int k, double *out, char *err, size_t errlen)
{
    int m = t->tall, n = t->shrt, info = 0, lw = -1;
    if (k == 0)
        return 0;
    memset(out, 0, (size_t)m * (size_t)k * sizeof *out);
    for (int c = 0; c < k; c++)
        memcpy(out + (size_t)c * m, t->u + (size_t)c * n, (size_t)n * sizeof *out);
    double q = 0;
    dormqr_("L", "N", &m, &k, &n, t->a, &m, t->tau, out, &m, &q, &lw, &info, 1, 1);
    double *work = NULL;
    if (info == 0 && lwork_of(q, &lw) == 0 && (work = dalloc(lw)) != NULL)
        dormqr_("L", "N", &m, &k, &n, t->a, &m, t->tau, out, &m, work, &lw, &info, 1, 1);
    else
        info = info ? info : -1000;
    free(work);
    if (info == -1000)
        return cm_fail(err, errlen, "out of memory (dormqr workspace)");
    if (info != 0)
        return cm_fail(err, errlen, "LAPACK dormqr failed (info %d)", info);
    return 0;
}

/* First k short-side singular vectors: rows of vt, column-major shrt x k. */
static void tsvd_short_vectors(const tsvd *t, int k, double *out)
{
    int n = t->shrt;
    for (int c = 0; c < k; c++)
        for (int i = 0; i < n; i++)
            out[(size_t)c * n + i] = t->vt[(size_t)i * n + c];
}

/* Column-major rows x k -> row-major rows x k. */
static double *to_row_major(const double *cm, int64_t rows, int k)
{
    double *rm = dalloc(rows * k);
    if (!rm)
        return NULL;
    for (int c = 0; c < k; c++)
        for (int64_t i = 0; i < rows; i++)
            rm[i * k + c] = cm[(size_t)c * (size_t)rows + (size_t)i];
    return rm;
}

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

static int msvd_factor(const double *W, const cm_modes *md, unsigned mask, int vectors,
                       msvd *ms, char *err, size_t errlen)
{
    memset(ms, 0, sizeof *ms);
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    ms->p = mask_size(md, mask);
    ms->q = MN / ms->p;
    ms->transposed = ms->p < ms->q;
    int64_t tall = ms->transposed ? ms->q : ms->p, shrt = ms->transposed ? ms->p : ms->q;
    if (tall > INT_MAX)
        return cm_fail(err, errlen,
                       "matricization %lld x %lld is too large for LAPACK (32-bit sizes)",
                       (long long)ms->p, (long long)ms->q);
    ms->t.tall = (int)tall;
    ms->t.shrt = (int)shrt;
    ms->t.a = dalloc(MN);
    if (!ms->t.a)
        return cm_fail(err, errlen, "out of memory (matricization of %lld entries)",
                       (long long)MN);
    /* Row-major A (srow q, scol 1) is column-major A^T; column-major A is srow 1, scol p. */
    int rc = ms->transposed ? matricize(W, md, mask, ms->q, 1, ms->t.a)
                            : matricize(W, md, mask, 1, ms->p, ms->t.a);
    if (rc)
        return cm_fail(err, errlen, "out of memory (matricization offsets)");
    return tsvd_factor(&ms->t, vectors, err, errlen);
}

/* First k left (mode-set side) vectors of A, row-major p x k, allocated. */
static int msvd_left(const msvd *ms, int k, double **out, char *err, size_t errlen)
{
    double *cmv = dalloc(ms->p * k);
    if (!cmv)
        return cm_fail(err, errlen, "out of memory (singular vectors)");
    if (ms->transposed)
        tsvd_short_vectors(&ms->t, k, cmv);
    else if (tsvd_tall_vectors(&ms->t, k, cmv, err, errlen)) {
        free(cmv);
        return -1;
    }
    *out = to_row_major(cmv, ms->p, k);
    free(cmv);
    return *out ? 0 : cm_fail(err, errlen, "out of memory (singular vectors)");
}

/* First k right (complement side) vectors of A, column-major q x k, allocated. */
static int msvd_right_cm(const msvd *ms, int k, double **out, char *err, size_t errlen)
{
    double *cmv = dalloc(ms->q * k);
    if (!cmv)
        return cm_fail(err, errlen, "out of memory (singular vectors)");
    if (!ms->transposed)
        tsvd_short_vectors(&ms->t, k, cmv);
    else if (tsvd_tall_vectors(&ms->t, k, cmv, err, errlen)) {
        free(cmv);
        return -1;
    }
    *out = cmv;
    return 0;
}

static int msvd_right(const msvd *ms, int k, double **out, char *err, size_t errlen)
{
    double *cmv;
    if (msvd_right_cm(ms, k, &cmv, err, errlen))
        return -1;
    *out = to_row_major(cmv, ms->q, k);
    free(cmv);
    return *out ? 0 : cm_fail(err, errlen, "out of memory (singular vectors)");
}

/* ---- spectra ---- */

void cm_spectrum_free(cm_spectrum *s)
{
    if (!s)
        return;
    free(s->sv);
    free(s->tail2);
    memset(s, 0, sizeof *s);
}

/* tail2[r] = sum_{i >= r} sv_i^2 + rest, summed from the small end for accuracy. */
static int spectrum_cumulate(cm_spectrum *s)
{
    s->tail2 = dalloc((int64_t)s->n + 1);
    if (!s->tail2)
        return -1;
    s->tail2[s->n] = s->tail2_rest;
    for (int i = s->n - 1; i >= 0; i--)
        s->tail2[i] = s->tail2[i + 1] + s->sv[i] * s->sv[i];
    return 0;
}

int cm_spectrum_set(cm_spectrum *s, unsigned mask, const double *sv, int n, double tail2_rest,
                    char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (n < 0 || !(tail2_rest >= 0) || !isfinite(tail2_rest))
        return cm_fail(err, errlen, "bad spectrum: n %d, rest %g", n, tail2_rest);
    for (int i = 0; i < n; i++)
        if (!(sv[i] >= 0) || !isfinite(sv[i]) || (i > 0 && sv[i] > sv[i - 1]))
            return cm_fail(err, errlen, "bad spectrum: value %d is negative, not finite "
                                        "or out of order", i + 1);
    s->mask = mask;
    s->n = n;
    s->tail2_rest = tail2_rest;
    s->sv = dalloc(n);
    if (!s->sv)
        return cm_fail(err, errlen, "out of memory (spectrum of %d values)", n);
    if (n)
        memcpy(s->sv, sv, (size_t)n * sizeof *sv);
    if (spectrum_cumulate(s)) {
        cm_spectrum_free(s);
        return cm_fail(err, errlen, "out of memory (spectrum of %d values)", n);
    }
    return 0;
}

/* Take ownership of sv (n values from LAPACK, descending). */
static int spectrum_adopt(cm_spectrum *s, unsigned mask, double *sv, int n)
{
    memset(s, 0, sizeof *s);
    s->mask = mask;
    s->n = n;
    s->sv = sv;
    if (spectrum_cumulate(s)) {
        cm_spectrum_free(s);
        return -1;
    }
    return 0;
}

double cm_spectrum_tail(const cm_spectrum *s, int r)
{
    if (r < 0)
        r = 0;
    if (r >= s->n)
        return sqrt(s->tail2_rest);
    if (s->tail2)
        return sqrt(s->tail2[r]);
    double t = s->tail2_rest;
    for (int i = s->n - 1; i >= r; i--)
        t += s->sv[i] * s->sv[i];
    return sqrt(t);
}

/* Checks W (every entry finite) and gives max |W_ij| (amax may be NULL). */
static int check_w_amax(const double *W, const cm_modes *md, double *amax, char *err,
                        size_t errlen)
{
    if (!W)
        return cm_fail(err, errlen, "no matrix given");
    if (cm_modes_check(md, err, errlen))
        return -1;
    /* LAPACK would turn a NaN into garbage or a convergence failure. */
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    double mx = 0;
    for (int64_t i = 0; i < MN; i++) {
        double a = fabs(W[i]);
        if (!(a <= DBL_MAX))
            return cm_fail(err, errlen, "matrix entry %lld is not finite", (long long)i);
        if (a > mx)
            mx = a;
    }
    if (amax)
        *amax = mx;
    return 0;
}

static int check_w(const double *W, const cm_modes *md, char *err, size_t errlen)
{
    return check_w_amax(W, md, NULL, err, errlen);
}

/* ---- values-only spectra through the Gram matrix ---- */

/*
 * For a p x q matricization A with n = min(p, q) on the "Gram side", the
 * squared singular values are the eigenvalues of the n x n Gram matrix
 * G = A A^T (p <= q) or A^T A.  G is accumulated with dsyrk over panels
 * of A's long side, each gathered straight from W (the permutation into
 * the matricization is fused with forming G: no copy of the whole
 * matricization), and its eigenvalues come from a two-stage reduction for
 * n >= CM_EIG_TWO_STAGE_MIN: dsytrd_sy2sb to band form (all of the O(n^3)
 * work in matrix-matrix products), dsbtrd to tridiagonal (Givens rotations,
 * O(n^2 CM_EIG_BAND)), dsterf; below, dsyevd.  Half the flops of QR and a
 * symmetric instead of a general reduction.  (Not dsyevd_2stage: its
 * band-to-tridiagonal stage, dsytrd_sb2st, makes thousands of small dsymv
 * calls that a threaded BLAS runs on all its threads; with OpenBLAS on two
 * busy cores that stage alone was ten times slower than dsbtrd.)  The
 * entries are scaled by a power of two (exact) on the way into the panels
 * so that G can neither overflow nor underflow.
 *
 * Accuracy (the price, see cm_hsvd.h): the computed eigenvalues are those
 * of G + E with ||E|| ~ c eps s_1^2, so |s_i^2 - sigma_i^2| <= c eps s_1^2
 * for every i: relative error ~ c eps (s_1 / s_i)^2, below 1e-6 for s_i >=
 * CM_SPECTRUM_GRAM_FLOOR s_1 (checked by tests/test_hsvd.c, printed by
 * tests/bench_hsvd.c), absolute ~ sqrt(c eps) s_1 for the values below.
 *
 * Index maps.  Let S be the Gram-side mode set and S' the rest.  A row i
 * of W has digits i_k, a column j digits j_k.  The Gram-side index is
 * g = gi(i) + gj(j) (digits (i_k, j_k), k in S, as in the matricization);
 * the long side is split into alpha(i) (the digits i_k, k in S') and
 * beta(j) (the digits j_k, k in S'), whose order does not matter to G.  A
 * panel holds whole alpha values: all rows i with those alpha, all
 * columns j, which is exactly na * nbeta long-side columns of A.
 */
extern void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k,
                   const double *alpha, const double *a, const int *lda, const double *beta,
                   double *c, const int *ldc, size_t uplo_len, size_t trans_len);
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
                    const int *lda, double *w, double *work, const int *lwork, int *iwork,
                    const int *liwork, int *info, size_t jobz_len, size_t uplo_len);
extern void dsytrd_sy2sb_(const char *uplo, const int *n, const int *kd, double *a,
                          const int *lda, double *ab, const int *ldab, double *tau,
                          double *work, const int *lwork, int *info, size_t uplo_len);
extern void dsbtrd_(const char *vect, const char *uplo, const int *n, const int *kd,
                    double *ab, const int *ldab, double *d, double *e, double *q,
                    const int *ldq, double *work, int *info, size_t vect_len,
                    size_t uplo_len);
extern void dsterf_(const int *n, double *d, double *e, int *info);

#define CM_GRAM_KTARGET 1024                      /* dsyrk inner size per panel, at least */
#define CM_GRAM_PANEL_DOUBLES (INT64_C(1) << 21)  /* or this many doubles (16 MiB) */
#define CM_EIG_TWO_STAGE_MIN 128 /* below, one-stage dsyevd (as fast; the tests take both) */
#define CM_EIG_BAND 64           /* bandwidth of the first stage */

typedef struct {
    int n;                  /* Gram side size */
    int64_t ncols;          /* columns of W */
    int64_t nalpha, nbeta;  /* long side = nalpha * nbeta */
    int64_t rows_per_alpha; /* rows of W sharing one alpha */
    int64_t *row_g;         /* gi(i) per row of W */
    int64_t *row_alpha;     /* alpha(i) per row */
    int64_t *rows_sorted;   /* rows of W grouped by alpha, increasing */
    int64_t *col_g, *col_b; /* gj(j), beta(j) per column of W */
    int64_t *col_off;       /* panel offset of column j (layout-dependent) */
    int kcontig;            /* 1: panel K x n column-major (long index contiguous) */
} gram_plan;

static void gram_plan_free(gram_plan *g)
{
    free(g->row_g);
    free(g->row_alpha);
    free(g->rows_sorted);
    free(g->col_g);
    free(g->col_b);
    free(g->col_off);
    memset(g, 0, sizeof *g);
}

static int gram_plan_make(const cm_modes *md, unsigned gmask, gram_plan *g)
{
    int d = md->d;
    int64_t M = cm_modes_rows(md), N = cm_modes_cols(md);
    int64_t gs[CM_MAX_D] = {0}, as[CM_MAX_D] = {0}, bs[CM_MAX_D] = {0};
    int64_t ng = 1, na = 1, nb = 1, rpa = 1;
    for (int k = d - 1; k >= 0; k--) {
        if (gmask & (1u << k)) {
            gs[k] = ng;
            ng *= (int64_t)md->m[k] * md->n[k];
            rpa *= md->m[k];
        } else {
            as[k] = na;
            bs[k] = nb;
            na *= md->m[k];
            nb *= md->n[k];
        }
    }
    memset(g, 0, sizeof *g);
    if (ng > INT_MAX)
        return -1;
    g->n = (int)ng;
    g->ncols = N;
    g->nalpha = na;
    g->nbeta = nb;
    g->rows_per_alpha = rpa;
    /* Mode d's column digit is the fastest in a row of W: keep its runs contiguous. */
    g->kcontig = !(gmask & (1u << (d - 1)));
    g->row_g = malloc((size_t)M * sizeof(int64_t));
    g->row_alpha = malloc((size_t)M * sizeof(int64_t));
    g->rows_sorted = malloc((size_t)M * sizeof(int64_t));
    g->col_g = malloc((size_t)N * sizeof(int64_t));
    g->col_b = malloc((size_t)N * sizeof(int64_t));
    g->col_off = malloc((size_t)N * sizeof(int64_t));
    int64_t *cursor = malloc((size_t)na * sizeof(int64_t));
    if (!g->row_g || !g->row_alpha || !g->rows_sorted || !g->col_g || !g->col_b ||
        !g->col_off || !cursor) {
        free(cursor);
        gram_plan_free(g);
        return -1;
    }
    int dig[CM_MAX_D] = {0};
    for (int64_t i = 0; i < M; i++) { /* row-major digits, i_1 most significant */
        int64_t o = 0, a = 0;
        for (int k = 0; k < d; k++) {
            o += (int64_t)dig[k] * md->n[k] * gs[k];
            a += (int64_t)dig[k] * as[k];
        }
        g->row_g[i] = o;
        g->row_alpha[i] = a;
        for (int k = d - 1; k >= 0; k--) {
            if (++dig[k] < md->m[k])
                break;
            dig[k] = 0;
        }
    }
    memset(dig, 0, sizeof dig);
    for (int64_t j = 0; j < N; j++) {
        int64_t o = 0, b = 0;
        for (int k = 0; k < d; k++) {
            o += (int64_t)dig[k] * gs[k];
            b += (int64_t)dig[k] * bs[k];
        }
        g->col_g[j] = o;
        g->col_b[j] = b;
        for (int k = d - 1; k >= 0; k--) {
            if (++dig[k] < md->n[k])
                break;
            dig[k] = 0;
        }
    }
    /* Counting sort of the rows by alpha: each alpha has rows_per_alpha rows. */
    for (int64_t a = 0; a < na; a++)
        cursor[a] = a * rpa;
    for (int64_t i = 0; i < M; i++)
        g->rows_sorted[cursor[g->row_alpha[i]]++] = i;
    free(cursor);
    return 0;
}

/* Panel offsets of the columns for panels K long-side columns wide. */
static void gram_col_offsets(gram_plan *g, int64_t K)
{
    for (int64_t j = 0; j < g->ncols; j++)
        g->col_off[j] = g->kcontig ? g->col_b[j] + K * g->col_g[j]
                                   : g->col_g[j] + g->n * g->col_b[j];
}

/* Lower triangle of G (n x n, column-major) of scale * W by the plan (col_off is
 * rewritten). */
static int gram_lower(const double *W, gram_plan *gp, double scale, double *G, char *err,
                      size_t errlen)
{
    const gram_plan g = *gp; /* shares the arrays: g.col_off follows gp's updates */
    int64_t N = g.ncols, n = g.n;
    if (g.nbeta > INT_MAX)
        return cm_fail(err, errlen, "Gram panel of %lld columns is too large for BLAS",
                       (long long)g.nbeta);
    /*
     * alpha values per panel: a dsyrk inner size of CM_GRAM_KTARGET or a
     * panel of CM_GRAM_PANEL_DOUBLES, whichever is more, but at least four
     * panels when there are four alpha values (a panel then never holds
     * more than a quarter of the matricization), and at least one.
     */
    int64_t kt = CM_GRAM_PANEL_DOUBLES / n > CM_GRAM_KTARGET ? CM_GRAM_PANEL_DOUBLES / n
                                                            : CM_GRAM_KTARGET;
    int64_t per = kt / g.nbeta, quarter = (g.nalpha + 3) / 4;
    if (per > quarter)
        per = quarter;
    if (per > INT_MAX / g.nbeta)
        per = INT_MAX / g.nbeta;
    if (per < 1)
        per = 1;
    double *P = dalloc(per * g.nbeta * n);
    if (!P)
        return cm_fail(err, errlen, "out of memory (Gram panel of %lld x %lld)",
                       (long long)n, (long long)(per * g.nbeta));
    int64_t Kcur = -1;
    const double one = 1.0;
    for (int64_t a0 = 0; a0 < g.nalpha; a0 += per) {
        int64_t na = g.nalpha - a0 < per ? g.nalpha - a0 : per, K = na * g.nbeta;
        if (K != Kcur) {
            gram_col_offsets(gp, K);
            Kcur = K;
        }
        const int64_t *rows = g.rows_sorted + a0 * g.rows_per_alpha;
        for (int64_t r = 0; r < na * g.rows_per_alpha; r++) {
            int64_t i = rows[r], al = g.row_alpha[i] - a0;
            int64_t base = g.kcontig ? al * g.nbeta + K * g.row_g[i]
                                     : g.row_g[i] + n * g.nbeta * al;
            const double *w = W + i * N;
            double *p = P + base;
            for (int64_t j = 0; j < N; j++)
                p[g.col_off[j]] = w[j] * scale;
        }
        int ni = (int)n, ki = (int)K;
        double beta = a0 == 0 ? 0.0 : 1.0;
        if (g.kcontig)
            dsyrk_("L", "T", &ni, &ki, &one, P, &ki, &beta, G, &ni, 1, 1);
        else
            dsyrk_("L", "N", &ni, &ki, &one, P, &ni, &beta, G, &ni, 1, 1);
    }
    free(P);
    return 0;
}

/*
 * Eigenvalues (ascending) of the symmetric G (lower triangle, destroyed).
 * Returns 0, -1 with *info set (LAPACK failure; > 0: no convergence) or -2
 * (out of memory).
 */
static int sym_eigvals(double *G, int n, double *w, int *info)
{
    int lw = -1, liw = -1, iq = 0, one = 1;
    double q = 0, *work = NULL, *ab = NULL, *tau = NULL, *e = NULL;
    int *iw = NULL, rc = -2;
    *info = 0;
    if (n < CM_EIG_TWO_STAGE_MIN) {
        dsyevd_("N", "L", &n, G, &n, w, &q, &lw, &iq, &liw, info, 1, 1);
        if (*info)
            return -1;
        if (lwork_of(q, &lw) || iq < 1)
            return -2;
        liw = iq;
        work = dalloc(lw);
        iw = malloc((size_t)liw * sizeof *iw);
        if (work && iw) {
            dsyevd_("N", "L", &n, G, &n, w, work, &lw, iw, &liw, info, 1, 1);
            rc = *info ? -1 : 0;
        }
        goto done;
    }
    int kd = CM_EIG_BAND, ldab = kd + 1;
    ab = dalloc((int64_t)ldab * n);
    tau = dalloc(n);
    e = dalloc(n);
    if (!ab || !tau || !e)
        goto done;
    dsytrd_sy2sb_("L", &n, &kd, G, &n, ab, &ldab, tau, &q, &lw, info, 1);
    if (*info) {
        rc = -1;
        goto done;
    }
    if (lwork_of(q, &lw))
        goto done;
    if (lw < n)
        lw = n; /* the same buffer serves dsbtrd (n) */
    work = dalloc(lw);
    if (!work)
        goto done;
    dsytrd_sy2sb_("L", &n, &kd, G, &n, ab, &ldab, tau, work, &lw, info, 1);
    if (*info == 0) {
        double dummy = 0;
        dsbtrd_("N", "L", &n, &kd, ab, &ldab, w, e, &dummy, &one, work, info, 1, 1);
    }
    if (*info == 0)
        dsterf_(&n, w, e, info);
    rc = *info ? -1 : 0;
done:
    free(work);
    free(iw);
    free(ab);
    free(tau);
    free(e);
    return rc;
}

/*
 * Singular values (descending, n = min(p, q) of them) of the matricization
 * by mask through the Gram matrix.  Returns 1 (nothing allocated, no error
 * text) when the eigensolver did not converge, so that the caller can take
 * the exact route instead.
 */
static int spectrum_gram(const double *W, const cm_modes *md, unsigned mask, double amax,
                         double **sv, int *nsv, char *err, size_t errlen)
{
    unsigned all = (1u << md->d) - 1;
    int64_t p = mask_size(md, mask), q = mask_size(md, all & ~mask);
    unsigned gmask = p <= q ? mask : (all & ~mask);
    int64_t n = p <= q ? p : q;
    if (n > INT_MAX || n > INT64_MAX / n)
        return cm_fail(err, errlen, "Gram matrix of side %lld is too large", (long long)n);
    gram_plan g;
    if (gram_plan_make(md, gmask, &g))
        return cm_fail(err, errlen, "out of memory (Gram index maps)");
    double *G = dalloc(n * n), *w = dalloc(n);
    int rc = -1, info = 0;
    if (!G || !w) {
        cm_fail(err, errlen, "out of memory (Gram matrix of side %lld)", (long long)n);
        goto done;
    }
    /* scale * amax in [0.5, 1): G's entries are at most the long side. */
    int ex = 0;
    if (amax > 0)
        (void)frexp(amax, &ex);
    if (gram_lower(W, &g, ldexp(1.0, -ex), G, err, errlen))
        goto done;
    int e = sym_eigvals(G, (int)n, w, &info);
    if (e == -2) {
        cm_fail(err, errlen, "out of memory (eigensolver workspace, n = %lld)", (long long)n);
        goto done;
    }
    if (e == -1) {
        rc = info > 0 ? 1 : cm_fail(err, errlen, "LAPACK dsyevd failed (info %d)", info);
        goto done;
    }
    /* Ascending eigenvalues -> descending singular values; rounding can
     * leave tiny negative eigenvalues: they are zeros. */
    for (int64_t i = 0; i < n; i++) {
        double l = w[n - 1 - i];
        G[i] = l > 0 ? ldexp(sqrt(l), ex) : 0.0;
        if (i > 0 && G[i] > G[i - 1])
            G[i] = G[i - 1];
    }
    memcpy(w, G, (size_t)n * sizeof *w);
    *sv = w;
    w = NULL;
    *nsv = (int)n;
    rc = 0;
done:
    free(G);
    free(w);
    gram_plan_free(&g);
    return rc;
}

unsigned cm_spectrum_canonical_mask(int d, unsigned mask)
{
    if (d < 1 || d > CM_MAX_D)
        return mask;
    unsigned all = (1u << d) - 1, c = all & ~mask;
    mask &= all;
    return c < mask ? c : mask;
}

int cm_spectrum_compute_with(const double *W, const cm_modes *md, unsigned mask,
                             cm_spectrum_method how, cm_spectrum *out, char *err,
                             size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (how != CM_SPECTRUM_AUTO && how != CM_SPECTRUM_EXACT && how != CM_SPECTRUM_GRAM)
        return cm_fail(err, errlen, "unknown spectrum method %d", (int)how);
    double amax = 0;
    if (check_w_amax(W, md, &amax, err, errlen))
        return -1;
    unsigned all = (md->d >= 32) ? ~0u : ((1u << md->d) - 1);
    if ((mask & ~all) != 0)
        return cm_fail(err, errlen, "mode set 0x%x has modes beyond d = %d", mask, md->d);
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    if (how == CM_SPECTRUM_AUTO)
        how = MN >= CM_SPECTRUM_GRAM_MIN_ENTRIES ? CM_SPECTRUM_GRAM : CM_SPECTRUM_EXACT;
    double *sv = NULL;
    int n = 0;
    if (how == CM_SPECTRUM_GRAM) {
        int rc = spectrum_gram(W, md, mask, amax, &sv, &n, err, errlen);
        if (rc < 0)
            return -1;
        if (rc > 0)
            how = CM_SPECTRUM_EXACT; /* eigensolver did not converge: the exact route */
    }
    if (how == CM_SPECTRUM_EXACT) {
        msvd ms;
        if (msvd_factor(W, md, mask, 0, &ms, err, errlen)) {
            tsvd_free(&ms.t);
            return -1;
        }
        sv = ms.t.s;
        n = ms.t.shrt;
        ms.t.s = NULL;
        tsvd_free(&ms.t);
    }
    if (spectrum_adopt(out, mask, sv, n))
        return cm_fail(err, errlen, "out of memory (spectrum)");
    return 0;
}

int cm_spectrum_compute(const double *W, const cm_modes *md, unsigned mask,
                        cm_spectrum *out, char *err, size_t errlen)
{
    return cm_spectrum_compute_with(W, md, mask, CM_SPECTRUM_AUTO, out, err, errlen);
}

/* ---- bounds ---- */

void cm_ht_bounds(const ht_tree *t, const cm_spectrum *spec, double norm, double *lower,
                  double *upper)
{
    double mx = 0, sum2 = 0;
    int root = t->root, rl = t->left[root], rr = t->right[root];
    for (int v = 0; v < t->nnodes; v++) {
        if (v == root || v == rr)
            continue;
        int r = t->rank[v];
        if (v == rl && rr >= 0 && t->rank[rr] < r)
            r = t->rank[rr]; /* shared matricization: the smaller rank binds */
        double tl = cm_spectrum_tail(&spec[v], r);
        if (tl > mx)
            mx = tl;
        sum2 += tl * tl;
    }
    if (norm > 0) {
        *lower = mx / norm;
        *upper = sqrt(sum2) / norm;
    } else {
        *lower = *upper = 0;
    }
}

void cm_tt_bounds(int d, const int *tt_rank, const cm_spectrum *spec, double norm,
                  double *lower, double *upper)
{
    double mx = 0, sum2 = 0;
    for (int k = 1; k < d; k++) {
        double tl = cm_spectrum_tail(&spec[k - 1], tt_rank[k]);
        if (tl > mx)
            mx = tl;
        sum2 += tl * tl;
    }
    if (norm > 0) {
        *lower = mx / norm;
        *upper = sqrt(sum2) / norm;
    } else {
        *lower = *upper = 0;
    }
}

/* ---- HSVD ---- */

/* Light structural check of a tree coming from ht_tree.c (no trust in garbage). */
static int tree_check(const ht_tree *t, const cm_modes *md, char *err, size_t errlen)
{
    int d = md->d;
    if (t->d != d)
        return cm_fail(err, errlen, "tree has %d modes, the matrix %d", t->d, d);
    if (d < 2)
        return cm_fail(err, errlen, "HT needs at least 2 modes");
    if (t->nnodes != 2 * d - 1 || t->root != 2 * d - 2)
        return cm_fail(err, errlen, "malformed tree (node count)");
    for (int v = 0; v < t->nnodes; v++) {
        if (v < d) {
            if (t->left[v] != -1 || t->right[v] != -1 || t->mask[v] != (1u << v))
                return cm_fail(err, errlen, "malformed tree (leaf %d)", v + 1);
            continue;
        }
        int l = t->left[v], r = t->right[v];
        if (l < 0 || r < 0 || l >= v || r >= v || (t->mask[l] & t->mask[r]) ||
            t->mask[v] != (t->mask[l] | t->mask[r]))
            return cm_fail(err, errlen, "malformed tree (node %d)", v);
    }
    if (t->mask[t->root] != ((1u << d) - 1))
        return cm_fail(err, errlen, "malformed tree (root)");
    return 0;
}

/* "node 34": the 1-based modes of a mode set, as ht_node_label prints them. */
static void mask_name(unsigned mask, char *buf, size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "node ");
    for (int k = 0; k < CM_MAX_D && o + 2 < len; k++)
        if (mask & (1u << k))
            buf[o++] = (char)('1' + k);
    buf[o < len ? o : len - 1] = '\0';
}

/* Smallest r in 1..cap with tail(r) <= thr. */
static int rank_for_tol(const cm_spectrum *s, int cap, double thr)
{
    for (int r = 1; r < cap; r++)
        if (cm_spectrum_tail(s, r) <= thr)
            return r;
    return cap;
}

static int cap_of(int64_t p, int64_t q)
{
    int64_t c = p < q ? p : q;
    return c > INT_MAX ? INT_MAX : (int)c;
}

/* Settle the rank of one node: given (capped) or chosen by tol. */
static int settle_rank(int given, int cap, const cm_spectrum *s, double thr, int use_tol,
                       const char *what, char *err, size_t errlen)
{
    if (given > 0)
        return given < cap ? given : cap;
    if (!use_tol)
        return cm_fail(err, errlen, "rank of %s is not given (and no tolerance)", what);
    return rank_for_tol(s, cap, thr);
}

/*
 * B_t[a][b][c] = sum_{x,y} U_l[x][a] U_r[y][b] U_t[z(x,y)][c], the Galerkin
 * projection of the node frame onto the children's frames.  z(x, y) is the
 * row of the parent's matricization: the children's mode sets may
 * interleave ({1,3} and {2,4}), so z is tabulated as zl[x] + zr[y].
 * Blocks of x keep the intermediate (x, b, c) bounded.
 */
/*
 * z[x] = the row of the parent's matricization (mode set mt) holding row x
 * of the child's (mode set m, a subset): children may interleave ({1,3}
 * under {1,2,3,4}), so the map is tabulated digit by digit.
 */
static int64_t *child_offsets(const cm_modes *md, unsigned mt, unsigned m)
{
    int64_t stride[CM_MAX_D] = {0}, s = 1, n = mask_size(md, m);
    for (int k = md->d - 1; k >= 0; k--)
        if (mt & (1u << k)) {
            stride[k] = s;
            s *= (int64_t)md->m[k] * md->n[k];
        }
    int64_t *z = malloc((size_t)n * sizeof *z);
    if (!z)
        return NULL;
    for (int64_t x = 0; x < n; x++) {
        int64_t rem = x, o = 0;
        for (int k = md->d - 1; k >= 0; k--)
            if (m & (1u << k)) {
                int64_t sz = (int64_t)md->m[k] * md->n[k];
                o += (rem % sz) * stride[k];
                rem /= sz;
            }
        z[x] = o;
    }
    return z;
}

/* Rows of x per block so that a block of nb x per doubles stays near 64 MiB. */
static int64_t block_rows(int64_t n, int64_t per)
{
    int64_t blk = n;
    if (per > 0 && blk > (INT64_C(1) << 23) / per)
        blk = (INT64_C(1) << 23) / per;
    return blk < 1 ? 1 : blk;
}

static int transfer_tensor(const cm_modes *md, unsigned ml, unsigned mr, const double *ul,
                           int rl, const double *ur, int rr, const double *ut, int rt,
                           double *B, char *err, size_t errlen)
{
    int64_t nl = mask_size(md, ml), nr = mask_size(md, mr);
    int64_t per = (int64_t)rr * rt, blk = block_rows(nl, per);
    int64_t *zl = child_offsets(md, ml | mr, ml), *zr = child_offsets(md, ml | mr, mr);
    double *px = dalloc(nr * rt), *c1 = dalloc(blk * per);
    if (!zl || !zr || !px || !c1) {
        free(zl), free(zr), free(px), free(c1);
        return cm_fail(err, errlen, "out of memory (transfer tensor)");
    }
    for (int64_t x0 = 0; x0 < nl; x0 += blk) {
        int64_t nb = nl - x0 < blk ? nl - x0 : blk;
        for (int64_t x = x0; x < x0 + nb; x++) {
            for (int64_t y = 0; y < nr; y++)
                memcpy(px + y * rt, ut + (zl[x] + zr[y]) * rt, (size_t)rt * sizeof *px);
            /* c1[x] (rr x rt) = U_r^T px */
            gemm_rm('T', 'N', rr, rt, (int)nr, 1.0, ur, rr, px, rt, 0.0,
                    c1 + (x - x0) * per, rt);
        }
        /* B (rl x rr rt) += U_l[x0 .. x0+nb]^T c1 */
        gemm_rm('T', 'N', rl, (int)per, (int)nb, 1.0, ul + x0 * rl, rl, c1, (int)per,
                x0 == 0 ? 0.0 : 1.0, B, (int)per);
    }
    free(zl), free(zr), free(px), free(c1);
    return 0;
}

typedef struct {
    cm_spectrum spec[CM_MAX_NODES];
    double *frame[CM_MAX_NODES]; /* row-major (rows x rank) frame of each non-root node */
    double *root_sv;             /* singular values shared by the root's children */
} hsvd_state;

static void hsvd_state_free(hsvd_state *s)
{
    for (int v = 0; v < CM_MAX_NODES; v++) {
        cm_spectrum_free(&s->spec[v]);
        free(s->frame[v]);
    }
}

/*
 * One node (or the root's pair of children, which share a matricization):
 * factor once with vectors, settle the rank from the spectrum, keep the
 * frame.  For the pair, the right child's frame is the right singular
 * vectors of the same SVD, so the two are consistent even when singular
 * values repeat, and the root transfer is exactly diag(sigma).
 */
static int hsvd_node(const double *W, const cm_modes *md, ht_tree *t, int v, double thr,
                     int use_tol, hsvd_state *st, char *err, size_t errlen)
{
    int rr = t->right[t->root];
    int pair = v == t->left[t->root];
    msvd ms;
    int rc = -1;
    if (msvd_factor(W, md, t->mask[v], 1, &ms, err, errlen))
        goto done;
    if (cm_spectrum_set(&st->spec[v], t->mask[v], ms.t.s, ms.t.shrt, 0, err, errlen))
        goto done;
    int cap = cap_of(ms.p, ms.q);
    char what[48];
    mask_name(t->mask[v], what, sizeof what);
    int r = settle_rank(t->rank[v], cap, &st->spec[v], thr, use_tol, what, err, errlen);
    if (r < 0)
        goto done;
    t->rank[v] = r;
    if (msvd_left(&ms, r, &st->frame[v], err, errlen))
        goto done;
    if (pair) {
        mask_name(t->mask[rr], what, sizeof what);
        int r2 = settle_rank(t->rank[rr], cap, &st->spec[v], thr, use_tol, what, err, errlen);
        if (r2 < 0)
            goto done;
        t->rank[rr] = r2;
        if (cm_spectrum_set(&st->spec[rr], t->mask[rr], ms.t.s, ms.t.shrt, 0, err, errlen))
            goto done;
        if (msvd_right(&ms, r2, &st->frame[rr], err, errlen))
            goto done;
        st->root_sv = st->spec[v].sv;
    }
    rc = 0;
done:
    tsvd_free(&ms.t);
    return rc;
}

/* Leaf frames, transfer tensors (children first: post-order numbering), root. */
static int hsvd_fill(const cm_modes *md, const ht_tree *t, const hsvd_state *st,
                     cm_weights *w, char *err, size_t errlen)
{
    int root = t->root;
    for (int v = 0; v < t->d; v++)
        memcpy(w->f[v], st->frame[v],
               (size_t)(mask_size(md, t->mask[v]) * t->rank[v]) * sizeof(double));
    for (int v = t->d; v < t->nnodes; v++) {
        if (v == root)
            continue;
        int l = t->left[v], r = t->right[v];
        if (transfer_tensor(md, t->mask[l], t->mask[r], st->frame[l], t->rank[l],
                            st->frame[r], t->rank[r], st->frame[v], t->rank[v], w->f[v],
                            err, errlen))
            return -1;
    }
    int a = t->rank[t->left[root]], b = t->rank[t->right[root]];
    double *B = w->f[root];
    memset(B, 0, (size_t)a * (size_t)b * sizeof *B);
    for (int i = 0; i < a && i < b; i++)
        B[(size_t)i * b + i] = st->root_sv[i];
    return 0;
}

/* ---- reconstruction ---- */

/*
 * Full frame of an internal node from its children's full frames:
 * F_t[z(x,y)][c] = sum_{a,b} F_l[x][a] F_r[y][b] B_t[a][b][c], as
 * G = F_l B (x, b c) then, per x, F_r G_x, in blocks of x.
 */
static double *ht_frame(const cm_modes *md, unsigned ml, unsigned mr, const double *fl,
                        int rl, const double *fr, int rr, const double *B, int rt)
{
    int64_t nl = mask_size(md, ml), nr = mask_size(md, mr);
    int64_t per = (int64_t)rr * rt, blk = block_rows(nl, per);
    int64_t *zl = child_offsets(md, ml | mr, ml), *zr = child_offsets(md, ml | mr, mr);
    double *g = dalloc(blk * per), *h = dalloc(nr * rt), *ft = dalloc(nl * nr * rt);
    if (!zl || !zr || !g || !h || !ft) {
        free(ft);
        ft = NULL;
        goto done;
    }
    for (int64_t x0 = 0; x0 < nl; x0 += blk) {
        int64_t nb = nl - x0 < blk ? nl - x0 : blk;
        gemm_rm('N', 'N', (int)nb, (int)per, rl, 1.0, fl + x0 * rl, rl, B, (int)per, 0.0, g,
                (int)per);
        for (int64_t x = x0; x < x0 + nb; x++) {
            gemm_rm('N', 'N', (int)nr, rt, rr, 1.0, fr, rr, g + (x - x0) * per, rt, 0.0, h,
                    rt);
            for (int64_t y = 0; y < nr; y++)
                memcpy(ft + (zl[x] + zr[y]) * rt, h + y * rt, (size_t)rt * sizeof *h);
        }
    }
done:
    free(zl), free(zr), free(g), free(h);
    return ft;
}

/* Dense W (M x N, row-major) of HT factors: frames bottom-up, then the root. */
static int ht_to_dense(const cm_modes *md, const ht_tree *t, const cm_weights *w, double *W)
{
    double *full[CM_MAX_NODES] = {0};
    int root = t->root, rc = -1;
    for (int v = t->d; v < t->nnodes && v != root; v++) {
        int l = t->left[v], r = t->right[v];
        full[v] = ht_frame(md, t->mask[l], t->mask[r], l < t->d ? w->f[l] : full[l],
                           t->rank[l], r < t->d ? w->f[r] : full[r], t->rank[r], w->f[v],
                           t->rank[v]);
        if (!full[v])
            goto done;
    }
    int l = t->left[root], r = t->right[root], rl = t->rank[l], rr = t->rank[r];
    const double *fl = l < t->d ? w->f[l] : full[l], *fr = r < t->d ? w->f[r] : full[r];
    int64_t nl = mask_size(md, t->mask[l]), nr = mask_size(md, t->mask[r]);
    double *g = dalloc(nl * rr), *a = dalloc(nl * nr);
    if (g && a) {
        /* matricization by the left child's modes: A = F_l B F_r^T */
        gemm_rm('N', 'N', (int)nl, rr, rl, 1.0, fl, rl, w->f[root], rr, 0.0, g, rr);
        gemm_rm('N', 'T', (int)nl, (int)nr, rr, 1.0, g, rr, fr, rr, 0.0, a, (int)nr);
        rc = unmatricize(a, md, t->mask[l], nr, 1, W);
    }
    free(g);
    free(a);
done:
    for (int v = 0; v < CM_MAX_NODES; v++)
        free(full[v]);
    return rc;
}

/* Dense W of TT cores: T_k = T_{k-1} G_k left to right, then un-permute. */
static int tt_to_dense(const cm_modes *md, const int *rank, const cm_weights *w, double *W)
{
    int64_t rows = 1;
    double *t = dalloc(1);
    if (!t)
        return -1;
    t[0] = 1;
    for (int k = 0; k < md->d; k++) {
        int64_t sz = (int64_t)md->m[k] * md->n[k], cols = sz * rank[k + 1];
        double *nt = dalloc(rows * cols);
        if (!nt) {
            free(t);
            return -1;
        }
        /* (rows x r_k) (r_k x m n r_{k+1}) = (rows m n) x r_{k+1}, row-major */
        gemm_rm('N', 'N', (int)rows, (int)cols, rank[k], 1.0, t, rank[k], w->f[k], (int)cols,
                0.0, nt, (int)cols);
        free(t);
        t = nt;
        rows *= sz;
    }
    int rc = unmatricize(t, md, (1u << md->d) - 1, 1, 0, W);
    free(t);
    return rc;
}

/* rel_error = ||W - W_approx|| / ||W||, reconstructing W_approx. */
static int exact_error(const double *W, const cm_modes *md, const cm_format *f,
                       const cm_weights *w, double norm, double *rel, char *err,
                       size_t errlen)
{
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    double *A = dalloc(MN);
    int rc = -1;
    if (A)
        rc = f->kind == CM_HT ? ht_to_dense(md, &f->tree, w, A) : tt_to_dense(md, f->tt_rank,
                                                                             w, A);
    if (rc) {
        free(A);
        return cm_fail(err, errlen, "out of memory (reconstruction)");
    }
    double e = frob_diff(W, A, MN);
    free(A);
    *rel = norm > 0 ? e / norm : e;
    return 0;
}

int cm_hsvd(const double *W, const cm_modes *md, ht_tree *tree, double tol,
            cm_weights *out, cm_hsvd_report *rep, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    memset(rep, 0, sizeof *rep);
    if (check_w(W, md, err, errlen) || tree_check(tree, md, err, errlen))
        return -1;
    if (!(tol >= 0) || !isfinite(tol))
        return cm_fail(err, errlen, "tolerance must be finite and >= 0");
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    hsvd_state *st = calloc(1, sizeof *st);
    if (!st)
        return cm_fail(err, errlen, "out of memory");
    ht_tree t = *tree;
    double norm = frob(W, MN);
    double thr = tol > 0 ? tol * norm / sqrt((double)(2 * md->d - 3)) : 0;
    for (int v = 0; v < t.nnodes; v++)
        if (v != t.root && v != t.right[t.root] &&
            hsvd_node(W, md, &t, v, thr, tol > 0, st, err, errlen))
            goto fail;
    t.rank[t.root] = 1;
    cm_format fmt;
    memset(&fmt, 0, sizeof fmt);
    fmt.kind = CM_HT;
    fmt.modes = *md;
    fmt.tree = t;
    if (cm_weights_alloc(&fmt, out, err, errlen) || hsvd_fill(md, &t, st, out, err, errlen))
        goto fail;
    rep->norm = norm;
    for (int v = 0; v < t.nnodes; v++)
        if (v != t.root)
            rep->tail[v] = cm_spectrum_tail(&st->spec[v], t.rank[v]);
    cm_ht_bounds(&t, st->spec, norm, &rep->bound_lower, &rep->bound_upper);
    if (exact_error(W, md, &fmt, out, norm, &rep->rel_error, err, errlen))
        goto fail;
    hsvd_state_free(st);
    free(st);
    *tree = t;
    return 0;
fail:
    hsvd_state_free(st);
    free(st);
    cm_weights_free(out);
    memset(rep, 0, sizeof *rep);
    return -1;
}

/* ---- TT-SVD ---- */

/*
 * Left to right: C (rows (r_{k-1}, i_k, j_k), columns the later modes) is
 * factored, core k = its first r_k left vectors, and diag(s) V^T (r_k x
 * rest) becomes the next C after a free row-major reshape.
 */
static int tt_step(double *c, int64_t p, int64_t q, int cap_given, int *rank, double thr,
                   int use_tol, int k, double **core, double **next, double *tail,
                   char *err, size_t errlen)
{
    msvd ms;
    memset(&ms, 0, sizeof ms);
    ms.p = p;
    ms.q = q;
    ms.transposed = p < q;
    int64_t tall = ms.transposed ? q : p, shrt = ms.transposed ? p : q;
    if (tall > INT_MAX)
        return cm_fail(err, errlen, "TT step %d: %lld x %lld is too large for LAPACK", k,
                       (long long)p, (long long)q);
    ms.t.tall = (int)tall;
    ms.t.shrt = (int)shrt;
    ms.t.a = dalloc(p * q);
    if (!ms.t.a)
        return cm_fail(err, errlen, "out of memory (TT step %d)", k);
    if (ms.transposed) {
        memcpy(ms.t.a, c, (size_t)(p * q) * sizeof *c); /* row-major C = col-major C^T */
    } else {
        for (int64_t i = 0; i < p; i++)
            for (int64_t j = 0; j < q; j++)
                ms.t.a[j * p + i] = c[i * q + j];
    }
    int rc = -1;
    cm_spectrum sp;
    memset(&sp, 0, sizeof sp);
    if (tsvd_factor(&ms.t, 1, err, errlen))
        goto done;
    if (cm_spectrum_set(&sp, 0, ms.t.s, ms.t.shrt, 0, err, errlen))
        goto done;
    int cap = cap_of(p, q);
    char what[32];
    snprintf(what, sizeof what, "TT bond %d", k);
    int r = settle_rank(cap_given, cap, &sp, thr, use_tol, what, err, errlen);
    if (r < 0)
        goto done;
    *rank = r;
    *tail = cm_spectrum_tail(&sp, r);
    if (msvd_left(&ms, r, core, err, errlen))
        goto done;
    double *v;
    if (msvd_right_cm(&ms, r, &v, err, errlen))
        goto done;
    /* column-major V (q x r) scaled by s per column = row-major diag(s) V^T */
    for (int a = 0; a < r; a++)
        for (int64_t j = 0; j < q; j++)
            v[(size_t)a * (size_t)q + (size_t)j] *= ms.t.s[a];
    *next = v;
    rc = 0;
done:
    cm_spectrum_free(&sp);
    tsvd_free(&ms.t);
    return rc;
}

int cm_ttsvd(const double *W, const cm_modes *md, int *tt_rank, double tol,
             cm_weights *out, cm_hsvd_report *rep, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    memset(rep, 0, sizeof *rep);
    if (check_w(W, md, err, errlen))
        return -1;
    if (!(tol >= 0) || !isfinite(tol))
        return cm_fail(err, errlen, "tolerance must be finite and >= 0");
    int d = md->d;
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    double norm = frob(W, MN);
    double thr = (tol > 0 && d > 1) ? tol * norm / sqrt((double)(d - 1)) : 0;
    int rank[CM_MAX_D + 1];
    for (int k = 1; k < d; k++) {
        rank[k] = tt_rank[k];
        if (rank[k] < 0)
            return cm_fail(err, errlen, "TT rank %d is negative", k);
    }
    rank[0] = rank[d] = 1;
    double *core[CM_MAX_D] = {0};
    double tail[CM_MAX_D] = {0};
    /* C_1: W as the tensor (i_1 j_1 ... i_d j_d), row-major = rows of mask "all". */
    double *c = dalloc(MN);
    if (!c)
        return cm_fail(err, errlen, "out of memory (TT-SVD of %lld entries)", (long long)MN);
    if (matricize(W, md, (1u << d) - 1, 1, 0, c)) {
        free(c);
        return cm_fail(err, errlen, "out of memory (TT-SVD offsets)");
    }
    int64_t q = MN;
    for (int k = 1; k < d; k++) {
        int64_t sz = (int64_t)md->m[k - 1] * md->n[k - 1];
        int64_t p = rank[k - 1] * sz;
        q /= sz;
        double *next = NULL;
        if (tt_step(c, p, q, rank[k], &rank[k], thr, tol > 0, k, &core[k - 1], &next,
                    &tail[k - 1], err, errlen)) {
            free(c);
            goto fail;
        }
        free(c);
        c = next;
    }
    core[d - 1] = c; /* r_{d-1} x m_d n_d */
    cm_format fmt;
    memset(&fmt, 0, sizeof fmt);
    fmt.kind = CM_TT;
    fmt.modes = *md;
    for (int k = 0; k <= d; k++)
        fmt.tt_rank[k] = rank[k];
    if (cm_weights_alloc(&fmt, out, err, errlen))
        goto fail;
    for (int k = 0; k < d; k++) {
        int64_t n = (int64_t)rank[k] * md->m[k] * md->n[k] * rank[k + 1];
        memcpy(out->f[k], core[k], (size_t)n * sizeof(double));
    }
    rep->norm = norm;
    double mx = 0, s2 = 0;
    for (int k = 0; k + 1 < d; k++) {
        rep->tail[k] = tail[k];
        if (tail[k] > mx)
            mx = tail[k];
        s2 += tail[k] * tail[k];
    }
    rep->bound_lower = norm > 0 ? mx / norm : 0;
    rep->bound_upper = norm > 0 ? sqrt(s2) / norm : 0;
    if (exact_error(W, md, &fmt, out, norm, &rep->rel_error, err, errlen))
        goto fail;
    for (int k = 0; k < d; k++)
        free(core[k]);
    for (int k = 1; k < d; k++)
        tt_rank[k] = rank[k];
    tt_rank[0] = tt_rank[d] = 1;
    return 0;
fail:
    for (int k = 0; k < d; k++)
        free(core[k]);
    cm_weights_free(out);
    memset(rep, 0, sizeof *rep);
    return -1;
}

/* ---- synthetic matrices ---- */

/* Standard normal pairs by Box-Muller; 1 - u keeps the log argument in (0, 1]. */
static void gaussian_fill(uint64_t *st, double *x, int64_t n)
{
    const double two_pi = 6.283185307179586476925286766559;
    for (int64_t i = 0; i < n; i += 2) {
        double u1 = 1.0 - cm_rand_uniform(st), u2 = cm_rand_uniform(st);
        double rad = sqrt(-2.0 * log(u1));
        x[i] = rad * cos(two_pi * u2);
        if (i + 1 < n)
            x[i + 1] = rad * sin(two_pi * u2);
    }
}

/*
 * "decay": W[i][j] = sum_{k<K} k'^-1 g_k(i) h_k(j) + eta G[i][j], k' = k+1,
 * with g_k(i) = sqrt(2) cos(w_k i + phi_k), h_k(j) = sqrt(2) cos(v_k j + psi_k)
 * (seeded frequencies and phases) and G standard normal.  A cosine of the
 * row index is rank 2 across any split of i into digits (cos(a+b) = cos a
 * cos b - sin a sin b), so each term has rank <= 4 in every matricization,
 * whatever the mode sizes: the node spectra fall off like the 1/k' weights
 * (a power law) down to the noise floor eta (1e-3 of the rms entry).
 */
#define SYNTH_K 32
#define SYNTH_ETA 1e-3

static int synth_decay(uint64_t *st, int64_t rows, int64_t cols, double *W)
{
    double *g = dalloc(rows * SYNTH_K), *h = dalloc(cols * SYNTH_K);
    if (!g || !h) {
        free(g);
        free(h);
        return -1;
    }
    const double pi = 3.14159265358979323846;
    double wsum = 0;
    for (int k = 0; k < SYNTH_K; k++) {
        double w = 1.0 / (k + 1);
        wsum += w * w;
        double fr = pi * cm_rand_uniform(st), ph = 2 * pi * cm_rand_uniform(st);
        double fc = pi * cm_rand_uniform(st), pc = 2 * pi * cm_rand_uniform(st);
        for (int64_t i = 0; i < rows; i++)
            g[i * SYNTH_K + k] = w * sqrt(2.0) * cos(fr * (double)i + ph);
        for (int64_t j = 0; j < cols; j++)
            h[j * SYNTH_K + k] = sqrt(2.0) * cos(fc * (double)j + pc);
    }
    gaussian_fill(st, W, rows * cols);
    double eta = SYNTH_ETA * sqrt(wsum);
    /* Plain loops, fixed summation order: the same bits on any thread count. */
    for (int64_t i = 0; i < rows; i++) {
        const double *gi = g + i * SYNTH_K;
        double *wi = W + i * cols;
        for (int64_t j = 0; j < cols; j++) {
            const double *hj = h + j * SYNTH_K;
            double s = 0;
            for (int k = 0; k < SYNTH_K; k++)
                s += gi[k] * hj[k];
            wi[j] = s + eta * wi[j];
        }
    }
    free(g);
    free(h);
    return 0;
}

int cm_synth_matrix(const char *kind, uint64_t seed, int64_t rows, int64_t cols,
                    double *W, char *err, size_t errlen)
{
    if (!kind)
        return cm_fail(err, errlen, "no synthetic matrix kind given");
    if (rows < 1 || cols < 1 || rows > (INT64_C(1) << 53) / cols)
        return cm_fail(err, errlen, "bad synthetic matrix size %lld x %lld",
                       (long long)rows, (long long)cols);
    uint64_t st = seed;
    if (!strcmp(kind, "gaussian")) {
        gaussian_fill(&st, W, rows * cols);
        return 0;
    }
    if (!strcmp(kind, "decay")) {
        if (synth_decay(&st, rows, cols, W))
            return cm_fail(err, errlen, "out of memory (synthetic matrix)");
        return 0;
    }
    return cm_fail(err, errlen, "unknown synthetic matrix kind '%s' (gaussian, decay)", kind);
}
