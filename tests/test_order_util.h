/*
 * test_order_util.h - building formats, networks and orders for the tests
 * of contraction orders (test_order, test_order_search): the test's own
 * seeded generator, TT and HT formats from their shapes, and cm_net_build /
 * cm_order_parse that must succeed.  Include after test_util.h.
 */
#ifndef TEST_ORDER_UTIL_H
#define TEST_ORDER_UTIL_H

#include "cm_hash.h"
#include "cm_net.h"

static uint64_t rng_state;

static inline int rnd(int lo, int hi) /* uniform in [lo, hi] */
{
    uint64_t z = cm_splitmix_next(&rng_state);
    return lo + (int)(z % (uint64_t)(hi - lo + 1));
}

static inline void make_tt(cm_format *f, int d, const int *m, const int *n, const int *r)
{
    memset(f, 0, sizeof *f);
    f->kind = CM_TT;
    f->modes.d = d;
    for (int k = 0; k < d; k++) {
        f->modes.m[k] = m[k];
        f->modes.n[k] = n[k];
    }
    for (int k = 0; k <= d; k++)
        f->tt_rank[k] = r[k];
}

static inline void make_ht(cm_format *f, const char *tree, const int *m, const int *n)
{
    char err[CM_ERRLEN];
    memset(f, 0, sizeof *f);
    f->kind = CM_HT;
    assert_int_equal(ht_parse(tree, &f->tree, err, sizeof err), 0);
    f->modes.d = f->tree.d;
    for (int k = 0; k < f->tree.d; k++) {
        f->modes.m[k] = m[k];
        f->modes.n[k] = n[k];
    }
}

static inline void build(const cm_format *f, cm_net *net)
{
    char err[CM_ERRLEN] = "";
    int rc = cm_net_build(f, net, err, sizeof err);
    if (rc)
        fprintf(stderr, "cm_net_build: %s\n", err);
    assert_int_equal(rc, 0);
}

static inline void parse_ok(const cm_net *net, const char *s, cm_order *o)
{
    char err[CM_ERRLEN] = "";
    int rc = cm_order_parse(net, s, o, err, sizeof err);
    if (rc)
        fprintf(stderr, "cm_order_parse(%s): %s\n", s, err);
    assert_int_equal(rc, 0);
}

#endif
