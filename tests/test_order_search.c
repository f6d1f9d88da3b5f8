/*
 * test_order_search.c - searching contraction orders (cm_net.c): the exact
 * best order against exhaustive search with an independent cost model on
 * random shapes, and the order enumeration's counts (against the
 * hook-length formula) and lexicographic sequence.  test_order.c holds the
 * network layout, hand-computed costs and the text form of orders.
 */
#include "test_util.h"
#include "test_net_util.h"
#include "test_order_util.h"

/* ------------------------------- exhaustive search vs DP, random shapes */

/*
 * Independent cost model, written from the definition of a contraction order rather than from
 * index masks: the running tensor holds the unconsumed input modes, the
 * produced output modes and the open ranks.
 */
typedef struct {
    const cm_format *f;
    int done[CM_NET_MAXF];
} sim;

static int sim_open_rank(const sim *s, int v) /* HT: node v done, parent not */
{
    const ht_tree *t = &s->f->tree;
    return v != t->root && s->done[v] && !s->done[t->parent[v]];
}

static int64_t sim_size(const sim *s)
{
    const cm_format *f = s->f;
    int d = f->modes.d;
    int64_t p = 1;
    for (int k = 0; k < d; k++) {
        int leaf_done = s->done[k]; /* TT core k / HT leaf k */
        p *= leaf_done ? f->modes.m[k] : f->modes.n[k];
    }
    if (f->kind == CM_HT) {
        for (int v = 0; v < f->tree.nnodes; v++)
            if (sim_open_rank(s, v))
                p *= f->tree.rank[v];
    } else if (f->kind == CM_TT) {
        for (int b = 1; b < d; b++) /* bond b between cores b-1 and b */
            if (s->done[b - 1] != s->done[b])
                p *= f->tt_rank[b];
    }
    return p;
}

/* Elements the step produces per element of T (HT leaf: m_k r_k, ...). */
static int64_t sim_produced(const sim *s, int v)
{
    const cm_format *f = s->f;
    int d = f->modes.d;
    if (f->kind == CM_DENSE)
        return cm_modes_rows(&f->modes);
    if (f->kind == CM_TT) {
        int64_t p = f->modes.m[v];
        if (v > 0 && !s->done[v - 1])
            p *= f->tt_rank[v];
        if (v < d - 1 && !s->done[v + 1])
            p *= f->tt_rank[v + 1];
        return p;
    }
    const ht_tree *t = &f->tree;
    int64_t p = v < d ? f->modes.m[v] : 1;
    return v == t->root ? p : p * t->rank[v];
}

static void sim_cost(const cm_format *f, const cm_order *o, int64_t *macs, int64_t *peak)
{
    sim s;
    memset(&s, 0, sizeof s);
    s.f = f;
    *macs = 0;
    *peak = sim_size(&s);
    for (int i = 0; i < o->n; i++) {
        *macs += sim_size(&s) * sim_produced(&s, o->f[i]);
        s.done[o->f[i]] = 1;
        if (f->kind == CM_DENSE)
            for (int k = 0; k < f->modes.d; k++)
                s.done[k] = 1;
        int64_t z = sim_size(&s);
        if (z > *peak)
            *peak = z;
    }
}

typedef struct {
    const cm_format *f;
    const cm_net *net;
    int64_t count, macs, peak;
    cm_order best;
} exhaustive;

static int lex_less(const cm_order *a, const cm_order *b)
{
    for (int i = 0; i < a->n; i++)
        if (a->f[i] != b->f[i])
            return a->f[i] < b->f[i];
    return 0;
}

static int exhaustive_visit(const cm_order *o, void *ud)
{
    exhaustive *e = ud;
    int64_t macs, peak;
    cm_order_cost c;
    sim_cost(e->f, o, &macs, &peak);
    cm_order_cost_of(e->net, o, &c); /* cross-check the library's cost on every order */
    assert_int_equal(c.macs, macs);
    assert_int_equal(c.peak, peak);
    assert_int_equal(cm_order_check(e->net, o, NULL, 0), 0);
    if (e->count++ == 0 || macs < e->macs ||
        (macs == e->macs && (peak < e->peak || (peak == e->peak && lex_less(o, &e->best))))) {
        e->macs = macs;
        e->peak = peak;
        e->best = *o;
    }
    return 0;
}

/* Linear extensions of the tree poset: n! / prod subtree sizes (hook length). */
static int64_t count_extensions(const ht_tree *t)
{
    int sub[CM_MAX_NODES];
    int64_t num = 1, den = 1;
    for (int v = 0; v < t->nnodes; v++) /* children before parents in numbering */
        sub[v] = v < t->d ? 1 : 1 + sub[t->left[v]] + sub[t->right[v]];
    for (int i = 2; i <= t->nnodes; i++)
        num *= i;
    for (int v = 0; v < t->nnodes; v++)
        den *= sub[v];
    return num / den;
}

static void random_format(cm_format *f, int d, int kind, int maxrank)
{
    tu_random_format(f, d, (cm_kind)kind, 5, maxrank, rnd);
}

static void check_dp_against_exhaustive(const cm_format *f)
{
    cm_net net;
    cm_order o;
    cm_order_cost c;
    build(f, &net);
    exhaustive e;
    memset(&e, 0, sizeof e);
    e.f = f;
    e.net = &net;
    assert_int_equal(cm_order_enumerate(&net, exhaustive_visit, &e), 0);
    int64_t want = 1;
    if (f->kind == CM_HT)
        want = count_extensions(&f->tree);
    else if (f->kind == CM_TT)
        for (int k = 2; k <= f->modes.d; k++)
            want *= k;
    assert_int_equal(e.count, want);
    cm_order_best(&net, &o, &c);
    assert_int_equal(c.macs, e.macs);
    assert_int_equal(c.peak, e.peak);
    assert_int_equal(o.n, e.best.n);
    for (int i = 0; i < o.n; i++)
        assert_int_equal(o.f[i], e.best.f[i]);
}

static void test_dp_vs_exhaustive(void **state)
{
    (void)state;
    rng_state = 12345;
    int shapes = 0;
    for (int it = 0; it < 300; it++) {
        cm_format f;
        int d = rnd(2, 6);
        int kind = rnd(0, 3) == 0 ? CM_TT : CM_HT;
        /* Small ranks make ties (equal MACs) common: the tie-break is tested too. */
        random_format(&f, d, kind, it % 2 ? 2 : 6);
        if (it % 3 == 2) {
            /* Output modes 1 and ranks <= 2: x is the peak of most orders and
             * many orders tie on MACs, so ties of the peak must fall back to
             * the factor sequence, not to the largest intermediate. */
            for (int k = 0; k < d; k++)
                f.modes.m[k] = rnd(1, 2) == 1 ? 1 : f.modes.m[k];
        }
        check_dp_against_exhaustive(&f);
        shapes++;
    }
    /*
     * Larger networks: a TT of 8 cores (40,320 orders) and a caterpillar of
     * 7 leaves (13 nodes, 46,080 orders; 8 leaves would be 645,120, too slow
     * under valgrind).
     */
    cm_format f;
    rng_state = 99;
    random_format(&f, 8, CM_TT, 5);
    check_dp_against_exhaustive(&f);
    random_format(&f, 7, CM_HT, 5);
    ht_caterpillar(7, &f.tree);
    for (int v = 0; v < f.tree.nnodes; v++)
        f.tree.rank[v] = v == f.tree.root ? 1 : rnd(1, 5);
    check_dp_against_exhaustive(&f);
    random_format(&f, 3, CM_DENSE, 1);
    check_dp_against_exhaustive(&f);
    assert_true(shapes >= 200);
}

static void test_dp_d8_balanced(void **state)
{
    (void)state;
    /* 677 down-sets (the largest count of any 8-leaf tree): the DP must cope. */
    cm_format f;
    cm_net net;
    cm_order o;
    cm_order_cost c;
    int m[] = {2, 3, 2, 2, 3, 2, 2, 2}, n[] = {3, 2, 2, 3, 2, 2, 3, 2};
    make_ht(&f, "(((1:3,2:3):4,(3:3,4:3):4):5,((5:3,6:3):4,(7:3,8:3):4):5)", m, n);
    build(&f, &net);
    cm_order_best(&net, &o, &c);
    assert_int_equal(cm_order_check(&net, &o, NULL, 0), 0);
    /* Not worse than a few hand-picked valid orders. */
    cm_order d;
    cm_order_cost dc;
    cm_order_default(&net, &d);
    cm_order_cost_of(&net, &d, &dc);
    assert_true(c.macs <= dc.macs);
    parse_ok(&net, "8,7,78,6,5,56,5678,4,3,34,2,1,12,1234,12345678", &d);
    cm_order_cost_of(&net, &d, &dc);
    assert_true(c.macs <= dc.macs);
}

/* ------------------------------------------------------ enumeration counts */

static int count_visit(const cm_order *o, void *ud)
{
    (void)o;
    (*(int64_t *)ud)++;
    return 0;
}

static int stop_visit(const cm_order *o, void *ud)
{
    (void)o;
    return ++*(int64_t *)ud == 5 ? 42 : 0;
}

static void test_enumerate_counts(void **state)
{
    (void)state;
    cm_format f;
    cm_net net;
    int m[] = {2, 2, 2, 2}, n[] = {2, 2, 2, 2};
    int64_t cnt = 0;

    /*
     * Balanced d=4: 7 nodes, subtree sizes 7 (root), 3, 3, 1, 1, 1, 1, so
     * 7! / (7*3*3) = 5040 / 63 = 80 linear extensions.  By hand: the root
     * is last; the six others interleave two chains "a,b before ab" and
     * "c,d before cd": C(6,3) = 20 ways to interleave the two groups, times
     * 2 orders of the leaves inside each group: 20 * 2 * 2 = 80.
     */
    make_ht(&f, "((1:2,2:2):2,(3:2,4:2):2)", m, n);
    build(&f, &net);
    assert_int_equal(cm_order_enumerate(&net, count_visit, &cnt), 0);
    assert_int_equal(cnt, 80);
    assert_int_equal(count_extensions(&f.tree), 80);

    /* Caterpillar d=4: 7! / (7*5*3) = 48. */
    make_ht(&f, "(((1:2,2:2):2,3:2):2,4:2)", m, n);
    build(&f, &net);
    cnt = 0;
    cm_order_enumerate(&net, count_visit, &cnt);
    assert_int_equal(cnt, 48);

    /* TT: no precedence, 4! = 24. */
    int r[] = {1, 2, 2, 2, 1};
    make_tt(&f, 4, m, n, r);
    build(&f, &net);
    cnt = 0;
    cm_order_enumerate(&net, count_visit, &cnt);
    assert_int_equal(cnt, 24);

    /* Early stop returns the visitor's value. */
    cnt = 0;
    assert_int_equal(cm_order_enumerate(&net, stop_visit, &cnt), 42);
    assert_int_equal(cnt, 5);
}

typedef struct {
    const cm_net *net;
    char prev[128];
    int n;
} lexcheck;

static int lex_visit(const cm_order *o, void *ud)
{
    lexcheck *l = ud;
    char buf[128];
    cm_order_format(l->net, o, buf, sizeof buf);
    if (l->n++ == 0) {
        /* The first one is the default order. */
        cm_order d;
        cm_order_default(l->net, &d);
        char db[128];
        cm_order_format(l->net, &d, db, sizeof db);
        assert_string_equal(buf, db);
    } else {
        cm_order a, b;
        assert_int_equal(cm_order_parse(l->net, l->prev, &a, NULL, 0), 0);
        assert_int_equal(cm_order_parse(l->net, buf, &b, NULL, 0), 0);
        assert_true(lex_less(&a, &b));
    }
    strcpy(l->prev, buf);
    return 0;
}

static void test_enumerate_lexicographic(void **state)
{
    (void)state;
    cm_format f;
    cm_net net;
    int m[] = {2, 2, 2}, n[] = {2, 2, 2};
    make_ht(&f, "((1:2,3:2):2,2:2)", m, n);
    build(&f, &net);
    lexcheck l = {&net, "", 0};
    cm_order_enumerate(&net, lex_visit, &l);
    /* 5 nodes, subtree sizes 5, 3, 1, 1, 1: 5!/15 = 8. */
    assert_int_equal(l.n, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dp_vs_exhaustive),
        cmocka_unit_test(test_dp_d8_balanced),
        cmocka_unit_test(test_enumerate_counts),
        cmocka_unit_test(test_enumerate_lexicographic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
