/*
 * cm_spectrum.c - per-node spectra of a dense matrix (cm_hsvd.h): singular
 * values of a matricization, exact (QR, then the SVD of R; cm_lapack.c) or
 * through the Gram matrix for large matrices, where it is faster and
 * accurate to 1e-6 relative down to CM_SPECTRUM_GRAM_FLOOR s_1 (see
 * spectrum_gram); the error bounds of HT and TT ranks from spectra, and the
 * choice of a rank by tolerance that the truncations share.
 */
#include "cm_svd_impl.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    s->tail2 = svd_dalloc((int64_t)s->n + 1);
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
    s->sv = svd_dalloc(n);
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
 * CM_SPECTRUM_GRAM_FLOOR s_1 (checked by tests/test_hsvd_spectrum.c,
 * printed by tests/bench_hsvd.c), absolute ~ sqrt(c eps) s_1 for the values below.
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
    int64_t gsr[CM_MAX_D]; /* a row digit of W weighs n_k in the row of the Gram block */
    for (int k = 0; k < d; k++)
        gsr[k] = md->n[k] * gs[k];
    svd_digit_sums(md->m, d, gsr, g->row_g);
    svd_digit_sums(md->m, d, as, g->row_alpha);
    svd_digit_sums(md->n, d, gs, g->col_g);
    svd_digit_sums(md->n, d, bs, g->col_b);
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
    double *P = svd_dalloc(per * g.nbeta * n);
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
        if (svd_lwork_of(q, &lw) || iq < 1)
            return -2;
        liw = iq;
        work = svd_dalloc(lw);
        iw = malloc((size_t)liw * sizeof *iw);
        if (work && iw) {
            dsyevd_("N", "L", &n, G, &n, w, work, &lw, iw, &liw, info, 1, 1);
            rc = *info ? -1 : 0;
        }
        goto done;
    }
    int kd = CM_EIG_BAND, ldab = kd + 1;
    ab = svd_dalloc((int64_t)ldab * n);
    tau = svd_dalloc(n);
    e = svd_dalloc(n);
    if (!ab || !tau || !e)
        goto done;
    dsytrd_sy2sb_("L", &n, &kd, G, &n, ab, &ldab, tau, &q, &lw, info, 1);
    if (*info) {
        rc = -1;
        goto done;
    }
    if (svd_lwork_of(q, &lw))
        goto done;
    if (lw < n)
        lw = n; /* the same buffer serves dsbtrd (n) */
    work = svd_dalloc(lw);
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
    int64_t p = svd_mask_size(md, mask), q = svd_mask_size(md, all & ~mask);
    unsigned gmask = p <= q ? mask : (all & ~mask);
    int64_t n = p <= q ? p : q;
    if (n > INT_MAX || n > INT64_MAX / n)
        return cm_fail(err, errlen, "Gram matrix of side %lld is too large", (long long)n);
    gram_plan g;
    if (gram_plan_make(md, gmask, &g))
        return cm_fail(err, errlen, "out of memory (Gram index maps)");
    double *G = svd_dalloc(n * n), *w = svd_dalloc(n);
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

double cm_sumsq(const double *v, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return s;
}

int cm_spectrum_compute_with(const double *W, const cm_modes *md, unsigned mask,
                             cm_spectrum_method how, cm_spectrum *out, char *err,
                             size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (how != CM_SPECTRUM_AUTO && how != CM_SPECTRUM_EXACT && how != CM_SPECTRUM_GRAM)
        return cm_fail(err, errlen, "unknown spectrum method %d", (int)how);
    double amax = 0;
    if (svd_check_w_amax(W, md, &amax, err, errlen))
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

/* ---- ranks ---- */

/* Smallest r in 1..cap with tail(r) <= thr. */
static int rank_for_tol(const cm_spectrum *s, int cap, double thr)
{
    for (int r = 1; r < cap; r++)
        if (cm_spectrum_tail(s, r) <= thr)
            return r;
    return cap;
}

int svd_cap_of(int64_t p, int64_t q)
{
    int64_t c = p < q ? p : q;
    return c > INT_MAX ? INT_MAX : (int)c;
}

/* Settle the rank of one node: given (capped) or chosen by tol. */
int svd_settle_rank(int given, int cap, const cm_spectrum *s, double thr, int use_tol,
                    const char *what, char *err, size_t errlen)
{
    if (given > 0)
        return given < cap ? given : cap;
    if (!use_tol)
        return cm_fail(err, errlen, "rank of %s is not given (and no tolerance)", what);
    return rank_for_tol(s, cap, thr);
}
