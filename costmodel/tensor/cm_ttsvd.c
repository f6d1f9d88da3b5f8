/*
 * cm_ttsvd.c - truncation of a dense matrix to TT (TT-SVD, left to right;
 * see cm_hsvd.h): each step factors the remainder with the SVD of
 * cm_lapack.c, keeps its leading left vectors as the next core and carries
 * diag(s) V^T on; ranks are given or chosen by tolerance (cm_spectrum.c),
 * and rel_error is measured by rebuilding W (cm_rebuild.c).
 */
#include "cm_svd_impl.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    ms.t.a = svd_dalloc(p * q);
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
    int cap = svd_cap_of(p, q);
    char what[32];
    snprintf(what, sizeof what, "TT bond %d", k);
    int r = svd_settle_rank(cap_given, cap, &sp, thr, use_tol, what, err, errlen);
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
    if (svd_check_w(W, md, err, errlen))
        return -1;
    if (!(tol >= 0) || !isfinite(tol))
        return cm_fail(err, errlen, "tolerance must be finite and >= 0");
    int d = md->d;
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    double norm = svd_frob(W, MN);
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
    double *c = svd_dalloc(MN);
    if (!c)
        return cm_fail(err, errlen, "out of memory (TT-SVD of %lld entries)", (long long)MN);
    if (svd_matricize(W, md, (1u << d) - 1, 1, 0, c)) {
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
    if (svd_exact_error(W, md, &fmt, out, norm, &rep->rel_error, err, errlen))
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
