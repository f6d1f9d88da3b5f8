/*
 * cm_format.c - the weight-format value (dense, TT, HT): names, validity
 * checks and parameter counts, plus the TR and BT counts that only the
 * reproduction tables use.
 *
 * Every count is int64 arithmetic with explicit overflow checks; a count
 * that would overflow, or whose inputs are invalid (a mode or rank < 1, a
 * rank not given, a tree that does not match the modes), is -1.
 */
#include "cm_format.h"

#include <string.h>

static const char *const kind_names[] = {"dense", "tt", "ht"};
#define NKINDS ((int)(sizeof kind_names / sizeof kind_names[0]))

const char *cm_kind_name(cm_kind k)
{
    if ((int)k < 0 || (int)k >= NKINDS)
        return "unknown";
    return kind_names[k];
}

int cm_kind_parse(const char *s, cm_kind *k)
{
    int i = cm_name_find(kind_names, NKINDS, s);
    if (i >= 0)
        *k = (cm_kind)i;
    return i < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Overflow-safe arithmetic on non-negative counts; -1 is sticky.       */
/* ------------------------------------------------------------------ */

static int64_t mul(int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        return -1;
    if (a != 0 && b > INT64_MAX / a)
        return -1;
    return a * b;
}

static int64_t add(int64_t a, int64_t b)
{
    if (a < 0 || b < 0 || a > INT64_MAX - b)
        return -1;
    return a + b;
}

/* Shape sanity shared by every count: 1 <= d <= CM_MAX_D, modes >= 1. */
static int modes_ok(const cm_modes *md)
{
    if (!md || md->d < 1 || md->d > CM_MAX_D)
        return 0;
    for (int k = 0; k < md->d; k++)
        if (md->m[k] < 1 || md->n[k] < 1)
            return 0;
    return 1;
}

/* m_k n_k, the size of mode k of the tensorized matrix. */
static int64_t mode_size(const cm_modes *md, int k)
{
    return mul(md->m[k], md->n[k]);
}

/* ------------------------------------------------------------------ */
/* Parameter counts                                                     */
/* ------------------------------------------------------------------ */

int64_t cm_dense_params(const cm_modes *md)
{
    if (!modes_ok(md))
        return -1;
    int64_t p = 1;
    for (int k = 0; k < md->d; k++)
        p = mul(p, mode_size(md, k));
    return p;
}

/* sum_k r[k] m_k n_k r[k+1]: the common shape of TT and TR. */
static int64_t chain_params(const cm_modes *md, const int *r)
{
    if (!modes_ok(md) || !r)
        return -1;
    int64_t sum = 0;
    for (int k = 0; k <= md->d; k++)
        if (r[k] < 1)
            return -1;
    for (int k = 0; k < md->d; k++)
        sum = add(sum, mul(mul(r[k], mode_size(md, k)), r[k + 1]));
    return sum;
}

int64_t cm_tt_params(const cm_modes *md, const int *r)
{
    if (!modes_ok(md) || !r || r[0] != 1 || r[md->d] != 1)
        return -1;
    return chain_params(md, r);
}

int64_t cm_tr_params(const cm_modes *md, const int *r)
{
    if (!modes_ok(md) || !r || r[0] != r[md->d])
        return -1;
    return chain_params(md, r);
}

/*
 * Structure of t as far as counting needs it: children precede parents (so
 * there is no cycle) and every non-root node is a child exactly once (so the
 * d-1 internal nodes' 2d-2 child slots cover all other nodes: a binary tree).
 */
static int tree_shape_ok(const ht_tree *t, int d)
{
    int uses[CM_MAX_NODES] = {0};

    if (d < 1 || d > CM_MAX_D || t->d != d || t->nnodes != 2 * d - 1 ||
        t->root != 2 * d - 2)
        return 0;
    for (int v = d; v < t->nnodes; v++) {
        int l = t->left[v], r = t->right[v];
        if (l < 0 || l >= v || r < 0 || r >= v || ++uses[l] > 1 || ++uses[r] > 1)
            return 0;
    }
    return 1;
}

int64_t cm_ht_params(const cm_modes *md, const ht_tree *t)
{
    if (!modes_ok(md) || !t || !tree_shape_ok(t, md->d))
        return -1;
    for (int v = 0; v < t->nnodes; v++)
        if (t->rank[v] < 1)
            return -1;
    int64_t sum = 0;
    for (int k = 0; k < md->d; k++) /* frames U_k: (m_k n_k) x r_k */
        sum = add(sum, mul(mode_size(md, k), t->rank[k]));
    for (int v = md->d; v < t->nnodes; v++) /* transfers B_t: r_l x r_r x r_t */
        sum = add(sum, mul(mul(t->rank[t->left[v]], t->rank[t->right[v]]), t->rank[v]));
    return sum;
}

int64_t cm_bt_params(const cm_modes *md, int nb, int rank)
{
    if (!modes_ok(md) || nb < 1 || rank < 1)
        return -1;
    int64_t block = 1; /* rank^d core */
    for (int k = 0; k < md->d; k++)
        block = mul(block, rank);
    for (int k = 0; k < md->d; k++)
        block = add(block, mul(mode_size(md, k), rank));
    return mul(nb, block);
}

int64_t cm_format_params(const cm_format *f)
{
    switch (f->kind) {
    case CM_DENSE:
        return cm_dense_params(&f->modes);
    case CM_TT:
        return cm_tt_params(&f->modes, f->tt_rank);
    case CM_HT:
        return cm_ht_params(&f->modes, &f->tree);
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Validity                                                             */
/* ------------------------------------------------------------------ */

static int check_tt(const cm_format *f, char *err, size_t errlen)
{
    int d = f->modes.d;
    if (f->tt_rank[0] != 1 || f->tt_rank[d] != 1)
        return cm_fail(err, errlen, "TT end ranks must be 1, got r0 = %d, r%d = %d",
                       f->tt_rank[0], d, f->tt_rank[d]);
    for (int k = 1; k < d; k++)
        if (f->tt_rank[k] < 1)
            return cm_fail(err, errlen, "TT rank r%d is %d; ranks must be >= 1",
                           k, f->tt_rank[k]);
    return 0;
}

static int check_ht(const cm_format *f, char *err, size_t errlen)
{
    const ht_tree *t = &f->tree;
    if (t->d != f->modes.d)
        return cm_fail(err, errlen, "HT tree has %d modes but the matrix has %d",
                       t->d, f->modes.d);
    if (ht_check_ranks(t, err, errlen))
        return -1;
    if (!tree_shape_ok(t, t->d))
        return cm_fail(err, errlen, "HT tree is malformed");
    /* Later stages rely on the canonical numbering, masks and parents. */
    ht_tree c = *t;
    ht_canonicalize(&c);
    if (memcmp(&c, t, sizeof c) != 0)
        return cm_fail(err, errlen, "HT tree is not in canonical form");
    return 0;
}

int cm_format_check(const cm_format *f, char *err, size_t errlen)
{
    if (cm_modes_check(&f->modes, err, errlen))
        return -1;
    switch (f->kind) {
    case CM_DENSE:
        break;
    case CM_TT:
        if (check_tt(f, err, errlen))
            return -1;
        break;
    case CM_HT:
        if (check_ht(f, err, errlen))
            return -1;
        break;
    default:
        return cm_fail(err, errlen, "unknown weight format kind %d", (int)f->kind);
    }
    if (cm_format_params(f) < 0)
        return cm_fail(err, errlen, "parameter count of the %s format overflows",
                       cm_kind_name(f->kind));
    return 0;
}
