/*
 * test_net_util.h - picking formats, trees and orders for the tests of the
 * tensor algebra and the models (test_matvec, test_order_search,
 * test_crosscheck): the k-th tree or order of the enumerations, and a
 * random format drawn with the test's own generator; and the comparison
 * of a step's counts between the analytical and the functional model
 * (test_accel, test_crosscheck).  Include after test_util.h.
 */
#ifndef TEST_NET_UTIL_H
#define TEST_NET_UTIL_H

#include "cm_accel.h"
#include "cm_net.h"

/* Enumeration visitor state: keeps item number want (of size bytes) in dst. */
typedef struct {
    int64_t want, seen;
    void *dst;
    size_t size;
} tu_pick;

static inline int tu_pick_take(tu_pick *p, const void *item)
{
    if (p->seen++ != p->want)
        return 0;
    memcpy(p->dst, item, p->size);
    return 1;
}

static inline int tu_pick_tree_visit(const ht_tree *t, void *ud) { return tu_pick_take(ud, t); }
static inline int tu_pick_order_visit(const cm_order *o, void *ud) { return tu_pick_take(ud, o); }

/* Tree k (0 <= k < ht_count_trees(d)) in ht_enumerate's order. */
static inline ht_tree tu_tree_at(int d, int64_t k)
{
    ht_tree t;
    tu_pick p = {k, 0, &t, sizeof t};
    assert_int_equal(ht_enumerate(d, tu_pick_tree_visit, &p), 1);
    return t;
}

/* Order k of net (k below the number of its orders) in cm_order_enumerate's order. */
static inline cm_order tu_order_at(const cm_net *net, int64_t k)
{
    cm_order o;
    tu_pick p = {k, 0, &o, sizeof o};
    cm_order_enumerate(net, tu_pick_order_visit, &p);
    assert_true(p.seen > k);
    return o;
}

/* A random format of kind TT or HT on d modes of sizes 1..maxmode, ranks
 * 1..maxrank (the HT root's 1), drawn with rnd(lo, hi) (inclusive). */
static inline void tu_random_format(cm_format *f, int d, cm_kind kind, int maxmode, int maxrank,
                                    int (*rnd)(int, int))
{
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->modes.d = d;
    for (int k = 0; k < d; k++) {
        f->modes.m[k] = rnd(1, maxmode);
        f->modes.n[k] = rnd(1, maxmode);
    }
    if (kind == CM_TT) {
        f->tt_rank[0] = f->tt_rank[d] = 1;
        for (int k = 1; k < d; k++)
            f->tt_rank[k] = rnd(1, maxrank);
    } else if (kind == CM_HT) {
        f->tree = tu_tree_at(d, rnd(0, (int)ht_count_trees(d) - 1));
        for (int v = 0; v < f->tree.nnodes; v++)
            f->tree.rank[v] = v == f->tree.root ? 1 : rnd(1, maxrank);
    }
}

/* The counts of a step that both models derive exactly, whatever the bank map. */
static inline void tu_assert_stage_counts(const cm_stage_stats *a, const cm_stage_stats *f)
{
    assert_int_equal(a->slots, f->slots);
    assert_int_equal(a->fill, f->fill);
    assert_int_equal(a->macs, f->macs);
    assert_int_equal(a->in_loads, f->in_loads);
    assert_int_equal(a->in_reads, f->in_reads);
    assert_int_equal(a->out_writes, f->out_writes);
    assert_int_equal(a->wgt_loads, f->wgt_loads);
    assert_int_equal(a->wgt_words, f->wgt_words);
}

/* A step's stalls and conflicts, equal (the analytical count is exact). */
static inline void tu_assert_stage_conflicts(const cm_stage_stats *a, const cm_stage_stats *f)
{
    assert_int_equal(a->rd_stall, f->rd_stall);
    assert_int_equal(a->wr_stall, f->wr_stall);
    assert_int_equal(a->rd_conflicts, f->rd_conflicts);
    assert_int_equal(a->wr_conflicts, f->wr_conflicts);
}

#endif
