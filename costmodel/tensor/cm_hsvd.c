/*
 * cm_hsvd.c - truncation of a dense matrix to HT: root-to-leaves HSVD
 * (Grasedyck 2010; see cm_hsvd.h).  Each non-root node's frame is the
 * leading left singular vectors of its matricization (cm_lapack.c), the
 * root's two children share one SVD, and the transfer tensors are the
 * Galerkin projections of each frame onto its children's; ranks are given
 * or chosen from the node spectra (cm_spectrum.c), and rel_error is
 * measured by rebuilding W (cm_rebuild.c).
 */
#include "cm_svd_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * B_t[a][b][c] = sum_{x,y} U_l[x][a] U_r[y][b] U_t[z(x,y)][c], the Galerkin
 * projection of the node frame onto the children's frames.  z(x, y) is the
 * row of the parent's matricization: the children's mode sets may
 * interleave ({1,3} and {2,4}), so z is tabulated as zl[x] + zr[y].
 * Blocks of x keep the intermediate (x, b, c) bounded.
 */
static int transfer_tensor(const cm_modes *md, unsigned ml, unsigned mr, const double *ul,
                           int rl, const double *ur, int rr, const double *ut, int rt,
                           double *B, char *err, size_t errlen)
{
    int64_t nl = svd_mask_size(md, ml), nr = svd_mask_size(md, mr);
    int64_t per = (int64_t)rr * rt, blk = svd_block_rows(nl, per);
    int64_t *zl = svd_child_offsets(md, ml | mr, ml), *zr = svd_child_offsets(md, ml | mr, mr);
    double *px = svd_dalloc(nr * rt), *c1 = svd_dalloc(blk * per);
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
            svd_gemm_rm('T', 'N', rr, rt, (int)nr, 1.0, ur, rr, px, rt, 0.0,
                        c1 + (x - x0) * per, rt);
        }
        /* B (rl x rr rt) += U_l[x0 .. x0+nb]^T c1 */
        svd_gemm_rm('T', 'N', rl, (int)per, (int)nb, 1.0, ul + x0 * rl, rl, c1, (int)per,
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
    int cap = svd_cap_of(ms.p, ms.q);
    char what[48];
    mask_name(t->mask[v], what, sizeof what);
    int r = svd_settle_rank(t->rank[v], cap, &st->spec[v], thr, use_tol, what, err, errlen);
    if (r < 0)
        goto done;
    t->rank[v] = r;
    if (msvd_left(&ms, r, &st->frame[v], err, errlen))
        goto done;
    if (pair) {
        mask_name(t->mask[rr], what, sizeof what);
        int r2 = svd_settle_rank(t->rank[rr], cap, &st->spec[v], thr, use_tol, what, err, errlen);
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
               (size_t)(svd_mask_size(md, t->mask[v]) * t->rank[v]) * sizeof(double));
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

int cm_hsvd(const double *W, const cm_modes *md, ht_tree *tree, double tol,
            cm_weights *out, cm_hsvd_report *rep, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    memset(rep, 0, sizeof *rep);
    if (svd_check_w(W, md, err, errlen) || tree_check(tree, md, err, errlen))
        return -1;
    if (!(tol >= 0) || !isfinite(tol))
        return cm_fail(err, errlen, "tolerance must be finite and >= 0");
    int64_t MN = cm_modes_rows(md) * cm_modes_cols(md);
    hsvd_state *st = calloc(1, sizeof *st);
    if (!st)
        return cm_fail(err, errlen, "out of memory");
    ht_tree t = *tree;
    double norm = svd_frob(W, MN);
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
    if (svd_exact_error(W, md, &fmt, out, norm, &rep->rel_error, err, errlen))
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
