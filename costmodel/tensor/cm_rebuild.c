/*
 * cm_rebuild.c - the exact error of a truncation (cm_hsvd, cm_ttsvd):
 * rel_error is measured by rebuilding W_approx with GEMMs (HT frames bottom
 * up, TT cores left to right), not with cm_weights_to_dense, whose generic
 * contraction order can need intermediates far larger than W; the tests
 * check the two against each other.
 */
#include "cm_svd_impl.h"

#include <stdlib.h>
#include <string.h>

/*
 * Full frame of an internal node from its children's full frames:
 * F_t[z(x,y)][c] = sum_{a,b} F_l[x][a] F_r[y][b] B_t[a][b][c], as
 * G = F_l B (x, b c) then, per x, F_r G_x, in blocks of x.
 */
static double *ht_frame(const cm_modes *md, unsigned ml, unsigned mr, const double *fl,
                        int rl, const double *fr, int rr, const double *B, int rt)
{
    int64_t nl = svd_mask_size(md, ml), nr = svd_mask_size(md, mr);
    int64_t per = (int64_t)rr * rt, blk = svd_block_rows(nl, per);
    int64_t *zl = svd_child_offsets(md, ml | mr, ml), *zr = svd_child_offsets(md, ml | mr, mr);
    double *g = svd_dalloc(blk * per), *h = svd_dalloc(nr * rt), *ft = svd_dalloc(nl * nr * rt);
    if (!zl || !zr || !g || !h || !ft) {
        free(ft);
        ft = NULL;
        goto done;
    }
    for (int64_t x0 = 0; x0 < nl; x0 += blk) {
        int64_t nb = nl - x0 < blk ? nl - x0 : blk;
        svd_gemm_rm('N', 'N', (int)nb, (int)per, rl, 1.0, fl + x0 * rl, rl, B, (int)per, 0.0, g,
                    (int)per);
        for (int64_t x = x0; x < x0 + nb; x++) {
            svd_gemm_rm('N', 'N', (int)nr, rt, rr, 1.0, fr, rr, g + (x - x0) * per, rt, 0.0, h,
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
    int64_t nl = svd_mask_size(md, t->mask[l]), nr = svd_mask_size(md, t->mask[r]);
    double *g = svd_dalloc(nl * rr), *a = svd_dalloc(nl * nr);
    if (g && a) {
        /* matricization by the left child's modes: A = F_l B F_r^T */
        svd_gemm_rm('N', 'N', (int)nl, rr, rl, 1.0, fl, rl, w->f[root], rr, 0.0, g, rr);
        svd_gemm_rm('N', 'T', (int)nl, (int)nr, rr, 1.0, g, rr, fr, rr, 0.0, a, (int)nr);
        rc = svd_unmatricize(a, md, t->mask[l], nr, 1, W);
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
    double *t = svd_dalloc(1);
    if (!t)
        return -1;
    t[0] = 1;
    for (int k = 0; k < md->d; k++) {
        int64_t sz = (int64_t)md->m[k] * md->n[k], cols = sz * rank[k + 1];
        double *nt = svd_dalloc(rows * cols);
        if (!nt) {
            free(t);
            return -1;
        }
        /* (rows x r_k) (r_k x m n r_{k+1}) = (rows m n) x r_{k+1}, row-major */
        svd_gemm_rm('N', 'N', (int)rows, (int)cols, rank[k], 1.0, t, rank[k], w->f[k], (int)cols,
                    0.0, nt, (int)cols);
        free(t);
        t = nt;
        rows *= sz;
    }
    int rc = svd_unmatricize(t, md, (1u << md->d) - 1, 1, 0, W);
    free(t);
    return rc;
}

/* rel_error = ||W - W_approx|| / ||W||, reconstructing W_approx. */
int svd_exact_error(const double *W, const cm_modes *md, const cm_format *f,
                    const cm_weights *w, double norm, double *rel, char *err,
                    size_t errlen)
{
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    double *A = svd_dalloc(MN);
    int rc = -1;
    if (A)
        rc = f->kind == CM_HT ? ht_to_dense(md, &f->tree, w, A) : tt_to_dense(md, f->tt_rank,
                                                                             w, A);
    if (rc) {
        free(A);
        return cm_fail(err, errlen, "out of memory (reconstruction)");
    }
    double e = svd_frob_diff(W, A, MN);
    free(A);
    *rel = norm > 0 ? e / norm : e;
    return 0;
}
