/*
 * cm_lapack.c - the dense linear algebra under the truncations (cm_hsvd.h):
 * LAPACK / BLAS through the Fortran ABI, norms and checks of W, the
 * matricization of W by a mode set, and the SVD of a matricization.
 *
 * Every SVD with vectors here is "QR, then SVD of the small triangular
 * factor": the matricization is laid out column-major with its long side
 * as the rows, dgeqrf reduces it to R (short x short), dgesdd factors R,
 * and the long-side singular vectors are recovered by applying Q (dormqr).
 * The Gram-matrix route (cm_spectrum.c) squares the condition number and
 * loses the small singular values, so the HSVD and TT-SVD never take it;
 * the exact values-only route on a large R is two-stage instead of dgesdd
 * (band reduction, then dgbbrd + dbdsqr; see sv_two_stage).
 *
 * Index conventions (cm_svd_impl.h) are those of cm_common.h and cm_net.h.
 */
#include "cm_svd_impl.h"

#include <float.h>
#include <limits.h>
#include <math.h>
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
void svd_gemm_rm(char ta, char tb, int m, int n, int k, double alpha, const double *a,
                 int lda, const double *b, int ldb, double beta, double *c, int ldc)
{
    if (m == 0 || n == 0)
        return;
    dgemm_(&tb, &ta, &n, &m, &k, &alpha, b, &ldb, a, &lda, &beta, c, &ldc, 1, 1);
}

/* LAPACK workspace queries return a double; refuse what an int cannot hold. */
int svd_lwork_of(double q, int *lw)
{
    if (!(q >= 1.0) || q > (double)INT_MAX)
        return -1;
    *lw = (int)q;
    if (*lw < 1)
        *lw = 1;
    return 0;
}

double *svd_dalloc(int64_t n)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof(double))
        return NULL;
    return malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
}

/* ---- norms and checks of W ---- */

/* Frobenius norm of n values, scaled so that it cannot overflow. */
double svd_frob(const double *x, int64_t n)
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
double svd_frob_diff(const double *a, const double *b, int64_t n)
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

/* Checks W (every entry finite) and gives max |W_ij| (amax may be NULL). */
int svd_check_w_amax(const double *W, const cm_modes *md, double *amax, char *err,
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

int svd_check_w(const double *W, const cm_modes *md, char *err, size_t errlen)
{
    return svd_check_w_amax(W, md, NULL, err, errlen);
}

/* ---- matricization ---- */

/* Size of the row side (mode set mask) of a matricization. */
int64_t svd_mask_size(const cm_modes *md, unsigned mask)
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
    /* i = (i_1..i_d) and j = (j_1..j_d) row-major */
    int64_t wi[CM_MAX_D], wj[CM_MAX_D];
    for (int k = 0; k < d; k++) {
        wj[k] = rs[k] + cs[k];
        wi[k] = md->n[k] * wj[k];
    }
    svd_digit_sums(md->m, d, wi, offi);
    svd_digit_sums(md->n, d, wj, offj);
}

void svd_digit_sums(const int *radix, int d, const int64_t *wt, int64_t *out)
{
    int dig[CM_MAX_D] = {0};
    int64_t n = 1;
    for (int k = 0; k < d; k++)
        n *= radix[k];
    for (int64_t i = 0; i < n; i++) {
        int64_t o = 0;
        for (int k = 0; k < d; k++)
            o += (int64_t)dig[k] * wt[k];
        out[i] = o;
        for (int k = d - 1; k >= 0; k--) { /* a counter: the last digit fastest */
            if (++dig[k] < radix[k])
                break;
            dig[k] = 0;
        }
    }
}

/* W <-> its matricization A by mask (row stride srow, column stride scol):
 * to_a, A[offset of (i, j)] = W[i][j]; otherwise the inverse. */
static int permute(double *W, double *A, const cm_modes *md, unsigned mask, int64_t srow,
                   int64_t scol, int to_a)
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
        double *w = W + i * N, *a = A + offi[i];
        if (to_a)
            for (int64_t j = 0; j < N; j++)
                a[offj[j]] = w[j];
        else
            for (int64_t j = 0; j < N; j++)
                w[j] = a[offj[j]];
    }
    free(offi);
    free(offj);
    return 0;
}

/* A = matricization of W by mask, row stride srow, column stride scol. */
int svd_matricize(const double *W, const cm_modes *md, unsigned mask, int64_t srow,
                  int64_t scol, double *A)
{
    /* W is only read on this direction */
    return permute((double *)W, A, md, mask, srow, scol, 1);
}

/* Inverse of svd_matricize: W[i][j] = A[offset of (i, j)]. */
int svd_unmatricize(const double *A, const cm_modes *md, unsigned mask, int64_t srow,
                    int64_t scol, double *W)
{
    /* A is only read on this direction */
    return permute(W, (double *)A, md, mask, srow, scol, 0);
}

/*
 * z[x] = the row of the parent's matricization (mode set mt) holding row x
 * of the child's (mode set m, a subset): children may interleave ({1,3}
 * under {1,2,3,4}), so the map is tabulated digit by digit.
 */
int64_t *svd_child_offsets(const cm_modes *md, unsigned mt, unsigned m)
{
    int64_t stride[CM_MAX_D] = {0}, s = 1, n = svd_mask_size(md, m);
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
int64_t svd_block_rows(int64_t n, int64_t per)
{
    int64_t blk = n;
    if (per > 0 && blk > (INT64_C(1) << 23) / per)
        blk = (INT64_C(1) << 23) / per;
    return blk < 1 ? 1 : blk;
}

/* ---- SVD of a tall column-major matrix: QR, then SVD of R ---- */

void tsvd_free(tsvd *t)
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
    if (svd_lwork_of(q, &lw))
        return -1;
    if (lw > b->n) {
        double *nw = svd_dalloc(lw);
        if (!nw)
            return -1;
        free(b->w);
        b->w = nw;
        b->n = lw;
    }
    return 0;
}

/*
 * A LAPACK call the way its workspace convention asks: first a query (WORK
 * = &q, LWORK = -1: the optimal size comes back in q), then the call itself
 * with wb's workspace, grown to that size.  CALL names its work arguments
 * WORK and LWORK and its status `info`; returns -1 from the caller on any
 * failure.
 */
#define WITH_WORKSPACE(wb, CALL)                                                          \
    do {                                                                                \
        double q_;                                                                      \
        int lw_ = -1;                                                                   \
        double *WORK = &q_;                                                             \
        int *LWORK = &lw_;                                                              \
        CALL;                                                                           \
        if (info || lw_need(wb, q_))                                                    \
            return -1;                                                                  \
        WORK = (wb)->w;                                                                 \
        LWORK = &(wb)->n;                                                               \
        CALL;                                                                           \
        if (info)                                                                       \
            return -1;                                                                  \
    } while (0)

/* Stage 1: A -> upper band of bandwidth nb (entries outside are garbage). */
static int band_reduce(double *a, int n, int nb, lwbuf *wb, double *tau)
{
    int info = 0;
    for (int j = 0; j < n; j += nb) {
        int jb = n - j < nb ? n - j : nb, mr = n - j, nc = n - j - jb;
        double *pan = a + (size_t)j * n + j;
        WITH_WORKSPACE(wb, dgeqrf_(&mr, &jb, pan, &n, tau, WORK, LWORK, &info));
        if (nc == 0)
            break;
        double *right = a + (size_t)(j + jb) * n + j; /* rows j.., cols j+jb.. */
        WITH_WORKSPACE(wb, dormqr_("L", "T", &mr, &nc, &jb, pan, &n, tau, right, &n, WORK,
                                   LWORK, &info, 1, 1));
        /* Row panel: rows j..j+jb of the columns right of the diagonal block. */
        WITH_WORKSPACE(wb, dgelqf_(&jb, &nc, right, &n, tau, WORK, LWORK, &info));
        double *trail = a + (size_t)(j + jb) * n + (j + jb);
        int kr = jb < nc ? jb : nc; /* reflectors of the row panel */
        WITH_WORKSPACE(wb, dormlq_("R", "T", &nc, &nc, &kr, right, &n, tau, trail, &n, WORK,
                                   LWORK, &info, 1, 1));
    }
    return 0;
}

static int sv_two_stage(double *a, int n, double *s, char *err, size_t errlen)
{
    int nb = CM_BAND, ld = nb + 1, info = 0, zero = 0, one = 1;
    lwbuf wb = {NULL, 0};
    double *tau = svd_dalloc(nb), *ab = svd_dalloc((int64_t)ld * n), *e = svd_dalloc(n);
    double *work = svd_dalloc(4 * (int64_t)n);
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
    rc = svd_dalloc((int64_t)n * n);
    if (!rc) {
        free(iw);
        return cm_fail(err, errlen, "out of memory (SVD of a %d x %d factor)", n, n);
    }
    memcpy(rc, r, (size_t)n * (size_t)n * sizeof *r);
    dgesdd_(&job, &n, &n, r, &ld, s, u, &ld, vt, &ld, &q, &lw, iw, &info, 1);
    double *work = NULL;
    if (info == 0 && svd_lwork_of(q, &lw) == 0 && (work = svd_dalloc(lw)) != NULL)
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
        if (info == 0 && svd_lwork_of(q, &lw) == 0 && (work = svd_dalloc(lw)) != NULL)
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
int tsvd_factor(tsvd *t, int vectors, char *err, size_t errlen)
{
    int m = t->tall, n = t->shrt, info = 0, lw = -1;
    double q = 0;
    t->tau = svd_dalloc(n);
    t->s = svd_dalloc(n);
    double *r = svd_dalloc((int64_t)n * n);
    if (vectors) {
        t->u = svd_dalloc((int64_t)n * n);
        t->vt = svd_dalloc((int64_t)n * n);
    }
    if (!t->tau || !t->s || !r || (vectors && (!t->u || !t->vt))) {
        free(r);
        return cm_fail(err, errlen, "out of memory (SVD of a %d x %d matrix)", m, n);
    }
    dgeqrf_(&m, &n, t->a, &m, t->tau, &q, &lw, &info);
    double *work = NULL;
    if (info == 0 && svd_lwork_of(q, &lw) == 0 && (work = svd_dalloc(lw)) != NULL)
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
    if (info == 0 && svd_lwork_of(q, &lw) == 0 && (work = svd_dalloc(lw)) != NULL)
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
    double *rm = svd_dalloc(rows * k);
    if (!rm)
        return NULL;
    for (int c = 0; c < k; c++)
        for (int64_t i = 0; i < rows; i++)
            rm[i * k + c] = cm[(size_t)c * (size_t)rows + (size_t)i];
    return rm;
}

/* ---- the SVD of one matricization (msvd, cm_svd_impl.h) ---- */

int msvd_factor(const double *W, const cm_modes *md, unsigned mask, int vectors,
                msvd *ms, char *err, size_t errlen)
{
    memset(ms, 0, sizeof *ms);
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    ms->p = svd_mask_size(md, mask);
    ms->q = MN / ms->p;
    ms->transposed = ms->p < ms->q;
    int64_t tall = ms->transposed ? ms->q : ms->p, shrt = ms->transposed ? ms->p : ms->q;
    if (tall > INT_MAX)
        return cm_fail(err, errlen,
                       "matricization %lld x %lld is too large for LAPACK (32-bit sizes)",
                       (long long)ms->p, (long long)ms->q);
    ms->t.tall = (int)tall;
    ms->t.shrt = (int)shrt;
    ms->t.a = svd_dalloc(MN);
    if (!ms->t.a)
        return cm_fail(err, errlen, "out of memory (matricization of %lld entries)",
                       (long long)MN);
    /* Row-major A (srow q, scol 1) is column-major A^T; column-major A is srow 1, scol p. */
    int rc = ms->transposed ? svd_matricize(W, md, mask, ms->q, 1, ms->t.a)
                            : svd_matricize(W, md, mask, 1, ms->p, ms->t.a);
    if (rc)
        return cm_fail(err, errlen, "out of memory (matricization offsets)");
    return tsvd_factor(&ms->t, vectors, err, errlen);
}

/* First k left (mode-set side) vectors of A, row-major p x k, allocated. */
int msvd_left(const msvd *ms, int k, double **out, char *err, size_t errlen)
{
    double *cmv = svd_dalloc(ms->p * k);
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
int msvd_right_cm(const msvd *ms, int k, double **out, char *err, size_t errlen)
{
    double *cmv = svd_dalloc(ms->q * k);
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

int msvd_right(const msvd *ms, int k, double **out, char *err, size_t errlen)
{
    double *cmv;
    if (msvd_right_cm(ms, k, &cmv, err, errlen))
        return -1;
    *out = to_row_major(cmv, ms->q, k);
    free(cmv);
    return *out ? 0 : cm_fail(err, errlen, "out of memory (singular vectors)");
}
