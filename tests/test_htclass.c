/*
 * test_htclass.c - classes of rooted HT trees (costmodel/tensor/ht_class.c)
 * and of networks (costmodel/accel/cm_netclass.c), issue 13 item 1.
 *
 * The reference is a second, independent algorithm: two rooted trees are one
 * class exactly when their sets of (split, rank) are equal, a split being a
 * non-root node's mode set taken with the side that does not hold mode 1
 * (so a node and its complement are one split), the root's two children
 * giving one split that has a rank only when their ranks are equal (else the
 * tree keeps a marker of its rooting and is a class of its own).  Counts by
 * hand: the rooted trees on d leaves are (2d-3)!!, the unrooted ones
 * (2d-5)!!, each with 2d-3 edges: d = 3: 3 rooted, 1 unrooted; d = 4: 15, 3;
 * d = 5: 105, 15; d = 6: 945, 105.
 */
#include "test_util.h"

#include "cm_netclass.h"
#include "ht_class.h"

static const char *fmt(const ht_tree *t)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    ht_format(t, buf[k], sizeof buf[k]);
    return buf[k];
}

static ht_tree parse_ok(const char *s)
{
    ht_tree t;
    char err[CM_ERRLEN] = "";
    if (ht_parse(s, &t, err, sizeof err))
        fail_msg("ht_parse(\"%s\"): %s", s, err);
    return t;
}

/* ---- the reference: (split, rank) sets ---- */

typedef struct {
    int n;
    unsigned long long key[CM_MAX_NODES]; /* split << 32 | rank, sorted */
} splits;

static int cmp_u64(const void *a, const void *b)
{
    unsigned long long p = *(const unsigned long long *)a, q = *(const unsigned long long *)b;
    return (p > q) - (p < q);
}

static splits split_set(const ht_tree *t)
{
    splits s = {0};
    unsigned all = (1u << t->d) - 1;
    int c1 = t->left[t->root], c2 = t->right[t->root];
    for (int v = 0; v < t->nnodes; v++) {
        if (v == t->root || v == c2)
            continue;
        unsigned m = t->mask[v] & 1u ? all & ~t->mask[v] : t->mask[v];
        unsigned long long r = (unsigned long long)t->rank[v];
        if (v == c1 && t->rank[c1] != t->rank[c2])
            r = 1000000ull + 1000ull * (unsigned long long)t->rank[c1] +
                (unsigned long long)t->rank[c2]; /* rooted here: its own class */
        s.key[s.n++] = (unsigned long long)m << 32 | r;
    }
    qsort(s.key, (size_t)s.n, sizeof s.key[0], cmp_u64);
    return s;
}

static int same_splits(const splits *a, const splits *b)
{
    return a->n == b->n && !memcmp(a->key, b->key, (size_t)a->n * sizeof a->key[0]);
}

/* ---- every tree on d modes, ranks from a rule ---- */

typedef struct {
    int d, n, rule;
    ht_tree t[945];
} forest;

static int bits(unsigned m)
{
    int n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

/* rule 0: every rank 2; rule 1: a rank per split (2 + popcount of the
 * split's side without mode 1, mod 3), so the root's children agree;
 * rule 2: a rank per node id and tree number, so they often do not. */
static int collect(const ht_tree *t, void *ud)
{
    forest *f = ud;
    ht_tree x = *t;
    unsigned all = (1u << x.d) - 1;
    for (int v = 0; v < x.nnodes; v++) {
        if (v == x.root)
            continue;
        unsigned m = x.mask[v] & 1u ? all & ~x.mask[v] : x.mask[v];
        x.rank[v] = f->rule == 0 ? 2
                  : f->rule == 1 ? 2 + bits(m) % 3
                                 : 2 + (v * 7 + f->n * 3) % 3;
    }
    f->t[f->n++] = x;
    return 0;
}

static forest *all_trees(int d, int rule)
{
    forest *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->d = d;
    f->rule = rule;
    assert_int_equal(ht_enumerate(d, collect, f), 0);
    return f;
}

static void check_against_splits(int d, int rule, int want_classes)
{
    forest *f = all_trees(d, rule);
    char (*rep)[256] = calloc((size_t)f->n, sizeof *rep);
    assert_non_null(rep);
    for (int i = 0; i < f->n; i++) {
        ht_tree r;
        ht_class_rep(&f->t[i], &r);
        snprintf(rep[i], sizeof rep[i], "%s", fmt(&r));
        /* the representative is a member of the class */
        splits a = split_set(&f->t[i]), b = split_set(&r);
        assert_true(same_splits(&a, &b));
    }
    splits *sp = malloc((size_t)f->n * sizeof *sp);
    assert_non_null(sp);
    for (int i = 0; i < f->n; i++)
        sp[i] = split_set(&f->t[i]);
    int classes = 0;
    for (int i = 0; i < f->n; i++) {
        int first = 1;
        for (int j = 0; j < f->n; j++) {
            int same = same_splits(&sp[i], &sp[j]);
            if (same != !strcmp(rep[i], rep[j]))
                fail_msg("d=%d rule %d: %s and %s: splits %s, representatives %s / %s", d,
                         rule, fmt(&f->t[i]), fmt(&f->t[j]), same ? "equal" : "differ", rep[i],
                         rep[j]);
            if (same && j < i)
                first = 0;
        }
        classes += first;
    }
    if (want_classes)
        assert_int_equal(classes, want_classes);
    free(sp);
    free(rep);
    free(f);
}

static void test_classes_equal_ranks(void **state)
{
    (void)state;
    check_against_splits(3, 0, 1);
    check_against_splits(4, 0, 3);
    check_against_splits(5, 0, 15);
    check_against_splits(6, 0, 105);
    /* ranks that follow the split: still one class per unrooted tree */
    check_against_splits(4, 1, 3);
    check_against_splits(5, 1, 15);
}

static void test_classes_mixed_ranks(void **state)
{
    (void)state;
    check_against_splits(4, 2, 0);
    check_against_splits(5, 2, 0);
}

/* Each member list: 2d-3 distinct trees, increasing, all of the class, t
 * among them. */
static void test_members(void **state)
{
    (void)state;
    for (int d = 2; d <= 6; d++) {
        forest *f = all_trees(d, 1);
        for (int i = 0; i < f->n; i++) {
            ht_tree m[HT_CLASS_MAX];
            int n = ht_class_members(&f->t[i], m), self = 0;
            assert_int_equal(n, 2 * d - 3);
            splits a = split_set(&f->t[i]);
            for (int k = 0; k < n; k++) {
                splits b = split_set(&m[k]);
                assert_true(same_splits(&a, &b));
                if (k)
                    assert_true(strcmp(fmt(&m[k - 1]), fmt(&m[k])) < 0);
                self |= !strcmp(fmt(&m[k]), fmt(&f->t[i]));
            }
            assert_true(self);
        }
        free(f);
    }
}

/* By hand: d = 3 with equal ranks, the 3 rootings are ((1,2),3),
 * ((1,3),2) and (1,(2,3)); in strcmp order '(' < '1' and then "2:" < "3:",
 * so ((1:2,2:2):2,3:2) represents all three. */
static void test_by_hand(void **state)
{
    (void)state;
    const char *d3[] = {"((1:2,2:2):2,3:2)", "((1:2,3:2):2,2:2)", "(1:2,(2:2,3:2):2)"};
    for (int i = 0; i < 3; i++) {
        ht_tree t = parse_ok(d3[i]), r;
        ht_class_rep(&t, &r);
        assert_string_equal(fmt(&r), d3[0]);
    }
    /* d = 4: the balanced tree ((1,2),(3,4)) with leaf ranks 2 and rank 3
     * on both root children has the splits 1, 2, 3, 4 (rank 2) and 12|34
     * (rank 3); so has the caterpillar (((1:2,2:2):3,3:2):2,4:2), rooted on
     * leaf 4's edge: one class. */
    ht_tree bal = parse_ok("((1:2,2:2):3,(3:2,4:2):3)");
    ht_tree cat = parse_ok("(((1:2,2:2):3,3:2):2,4:2)"), rb, rc;
    ht_class_rep(&bal, &rb);
    ht_class_rep(&cat, &rc);
    assert_string_equal(fmt(&rb), fmt(&rc));
    /* another edge rank: another class */
    ht_tree bal2 = parse_ok("((1:2,2:2):2,(3:2,4:2):2)"), rb2;
    ht_class_rep(&bal2, &rb2);
    assert_string_not_equal(fmt(&rb), fmt(&rb2));
    /* root children of ranks 3 and 2: no merged edge, a class of one */
    ht_tree odd = parse_ok("((1:2,2:2):3,(3:2,4:2):2)"), m[HT_CLASS_MAX];
    assert_false(ht_class_unrooted(&odd));
    assert_int_equal(ht_class_members(&odd, m), 1);
    assert_string_equal(fmt(&m[0]), "((1:2,2:2):3,(3:2,4:2):2)");
}

/* ---- networks ---- */

static int count_net(const cm_point *p, void *ud)
{
    char s[CM_POINT_MAXLEN];
    assert_true(cm_point_format_net(p, s, sizeof s) > 0);
    ++*(int *)ud;
    return 0;
}

static void test_networks(void **state)
{
    (void)state;
    char err[CM_ERRLEN], a[CM_POINT_MAXLEN], b[CM_POINT_MAXLEN];
    cm_point p, q, r;
    /* concat, one HT matrix on 3 modes: 3 members; two rootings share the
     * representative (the point strings differ only in t=) */
    const char *n1 = "lstm;nin=784;h=8;dec=concat;pad=840/wx;f=ht;m=2x4x4;n=7x8x15;"
                     "t=(1:2,(2:2,3:2):2)";
    const char *n2 = "lstm;nin=784;h=8;dec=concat;pad=840/wx;f=ht;m=2x4x4;n=7x8x15;"
                     "t=((1:2,3:2):2,2:2)";
    if (cm_point_parse_net(n1, &p, err, sizeof err) || cm_point_parse_net(n2, &q, err, sizeof err))
        fail_msg("%s", err);
    int n = 0;
    assert_int_equal(cm_net_class_each(&p, count_net, &n), 0);
    assert_int_equal(n, 3);
    cm_net_class_rep(&p, &r);
    cm_point_format_net(&r, a, sizeof a);
    cm_net_class_rep(&q, &r);
    cm_point_format_net(&r, b, sizeof b);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, ";t=((1:2,2:2):2,3:2)"));
    /* other modes: another class */
    const char *n3 = "lstm;nin=784;h=8;dec=concat;pad=840/wx;f=ht;m=4x2x4;n=7x8x15;"
                     "t=((1:2,3:2):2,2:2)";
    if (cm_point_parse_net(n3, &q, err, sizeof err))
        fail_msg("%s", err);
    cm_net_class_rep(&q, &r);
    cm_point_format_net(&r, b, sizeof b);
    assert_string_not_equal(a, b);
    /* TT: its own class */
    const char *tt = "lstm;nin=784;h=8;dec=concat;pad=840/wx;f=tt;m=2x4x4;n=7x8x15;r=1,2,2,1";
    if (cm_point_parse_net(tt, &q, err, sizeof err))
        fail_msg("%s", err);
    n = 0;
    cm_net_class_each(&q, count_net, &n);
    assert_int_equal(n, 1);
    cm_net_class_rep(&q, &r);
    cm_point_format_net(&r, b, sizeof b);
    assert_string_equal(b, tt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes_equal_ranks),
        cmocka_unit_test(test_classes_mixed_ranks),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_by_hand),
        cmocka_unit_test(test_networks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
