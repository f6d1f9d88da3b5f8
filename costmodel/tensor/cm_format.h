/*
 * cm_format.h - weight formats (dense, TT, HT) as one value, and parameter
 * counts of every format the reproduction tables need (also TR and BT).
 *
 * TT: cores G_k of r_{k-1} x m_k x n_k x r_k, tt_rank[0] = tt_rank[d] = 1.
 * HT: a dimension tree (ht_tree.h); leaf k holds U_k of (m_k n_k) x r_k,
 * internal node t with children l, r holds B_t of r_l x r_r x r_t.
 */
#ifndef CM_FORMAT_H
#define CM_FORMAT_H

#include "cm_common.h"
#include "ht_tree.h"

typedef enum { CM_DENSE = 0, CM_TT = 1, CM_HT = 2 } cm_kind;

typedef struct {
    cm_kind kind;
    cm_modes modes;
    ht_tree tree;                 /* CM_HT only; tree.d == modes.d */
    int tt_rank[CM_MAX_D + 1];    /* CM_TT only; [0] = [d] = 1 */
} cm_format;

/* "dense", "tt", "ht" and back; -1 for an unknown name. */
const char *cm_kind_name(cm_kind k);
int cm_kind_parse(const char *s, cm_kind *k);

/* Checks modes, ranks (all >= 1, TT ends 1) and tree/modes agreement. */
int cm_format_check(const cm_format *f, char *err, size_t errlen);

int64_t cm_dense_params(const cm_modes *md);             /* M N */
int64_t cm_tt_params(const cm_modes *md, const int *r);   /* sum r_{k-1} m_k n_k r_k */
int64_t cm_ht_params(const cm_modes *md, const ht_tree *t);
int64_t cm_format_params(const cm_format *f);
/* Tensor ring: TT with r[0] = r[d] = R (ring rank); r has d+1 entries, r[0]==r[d]. */
int64_t cm_tr_params(const cm_modes *md, const int *r);
/*
 * Block term: nb Tucker blocks, each with d factor matrices (m_k n_k) x rank
 * and a rank^d core: nb * (sum_k m_k n_k rank + rank^d).
 */
int64_t cm_bt_params(const cm_modes *md, int nb, int rank);

#endif
