/*
 * test_hsvd.c - HSVD and TT-SVD (cm_hsvd.h); test_hsvd_spectrum.c holds the
 * spectra, the Gram route and the bounds by hand.
 *
 * Expectations come from constructions whose answer is known without the
 * code under test: matrices built as exact HT/TT sums (zero tails beyond
 * their ranks), the HSVD error bounds of Grasedyck (lower <= error <=
 * upper) and the TT-SVD identity error^2 = sum of squared discarded tails.
 */
#include "test_util.h"
#include "test_hsvd_util.h"
#include "test_modes_util.h"
#include "cm_hsvd.h"

/*
 * ||W - dense(w)|| / ||W|| through cm_weights_to_dense (cm_matvec.c), an
 * implementation independent of the reconstruction inside cm_hsvd: it also
 * checks that the factors follow the layouts of cm_net.h.
 */
static double rel_error_via_net(const double *W, const cm_modes *md, const cm_weights *w)
{
    int64_t n = cm_modes_rows(md) * cm_modes_cols(md);
    double *D = malloc((size_t)n * sizeof *D);
    char err[CM_ERRLEN];
    assert_non_null(D);
    if (cm_weights_to_dense(w, D, err, sizeof err))
        fail_msg("cm_weights_to_dense: %s", err);
    double e = 0;
    for (int64_t i = 0; i < n; i++)
        e += (W[i] - D[i]) * (W[i] - D[i]);
    free(D);
    double nw = norm2(W, n);
    return nw > 0 ? sqrt(e) / nw : sqrt(e);
}

/* ---------------------------------------------------------------- HSVD */

typedef struct {
    cm_modes md;
    uint64_t seed;
    int count;
    int ranks_mode;   /* 0: random small ranks; 1: full (capped) ranks */
} tree_ctx;

static void random_ranks(ht_tree *t, uint64_t *st, int maxr)
{
    for (int v = 0; v < t->nnodes; v++)
        t->rank[v] = v == t->root ? 1 : 1 + (int)(cm_rand_next(st) % (uint64_t)maxr);
}

/* A matrix that is an exact HT on tree t (random factors) -> HSVD is exact. */
static int visit_exact(const ht_tree *tree, void *ud)
{
    tree_ctx *c = ud;
    char err[CM_ERRLEN];
    cm_format f;
    memset(&f, 0, sizeof f);
    f.kind = CM_HT;
    f.modes = c->md;
    f.tree = *tree;
    uint64_t st = c->seed + (uint64_t)c->count;
    random_ranks(&f.tree, &st, 3);
    cm_weights w, out;
    assert_int_equal(cm_weights_alloc(&f, &w, err, sizeof err), 0);
    cm_weights_random(&w, st, 1.0);
    double *W = dense_alloc(&c->md);
    assert_int_equal(cm_weights_to_dense(&w, W, err, sizeof err), 0);
    ht_tree t = f.tree;
    cm_hsvd_report rep;
    int rc = cm_hsvd(W, &c->md, &t, 0, &out, &rep, err, sizeof err);
    if (rc)
        fail_msg("cm_hsvd: %s", err);
    assert_true(rep.rel_error < 1e-12);
    assert_true(rel_error_via_net(W, &c->md, &out) < 1e-12);
    assert_true(rep.bound_upper < 1e-12);
    for (int v = 0; v < t.nnodes; v++) {
        assert_true(t.rank[v] <= f.tree.rank[v]);
        assert_true(rep.tail[v] <= 1e-12 * rep.norm);
    }
    cm_weights_free(&out);
    cm_weights_free(&w);
    free(W);
    c->count++;
    return 0;
}

static void test_hsvd_exact_on_ht_matrices(void **state)
{
    (void)state;
    int m[5] = {2, 3, 2, 2, 1}, n[5] = {2, 2, 3, 1, 2};
    for (int d = 2; d <= 5; d++) {
        tree_ctx c = {modes_of(d, m, n), 1000u * (uint64_t)d, 0, 0};
        assert_int_equal(ht_enumerate(d, visit_exact, &c), 0);
        assert_int_equal(c.count, (int)ht_count_trees(d));
    }
}

/* Full ranks: capped at min(rows, cols) of each matricization; exact. */
static void test_hsvd_full_rank(void **state)
{
    (void)state;
    int m[4] = {2, 3, 2, 2}, n[4] = {3, 2, 2, 2};
    cm_modes md = modes_of(4, m, n);
    double *W = dense_alloc(&md);
    char err[CM_ERRLEN];
    int64_t MN = cm_modes_rows(&md) * cm_modes_cols(&md);
    assert_int_equal(cm_synth_matrix("gaussian", 7, cm_modes_rows(&md), cm_modes_cols(&md),
                                     W, err, sizeof err), 0);
    const char *trees[3] = {"((1,2),(3,4))", "(((1,2),3),4)", "((1,3),(2,4))"};
    for (int i = 0; i < 3; i++) {
        ht_tree t;
        assert_int_equal(ht_parse(trees[i], &t, err, sizeof err), 0);
        ht_fill_ranks(&t, 100000);
        cm_weights out;
        cm_hsvd_report rep;
        assert_int_equal(cm_hsvd(W, &md, &t, 0, &out, &rep, err, sizeof err), 0);
        assert_true(rep.rel_error < 1e-13);
        for (int v = 0; v < t.nnodes; v++) {
            if (v == t.root)
                continue;
            int64_t p = 1;
            for (int k = 0; k < 4; k++)
                if (t.mask[v] & (1u << k))
                    p *= m[k] * n[k];
            int64_t cap = p < MN / p ? p : MN / p;
            assert_int_equal(t.rank[v], (int)cap);
        }
        assert_int_equal(t.rank[t.root], 1);
        cm_weights_free(&out);
    }
    free(W);
}

/* lower <= exact error <= upper on random data, every tree, random ranks. */
static int visit_bounds(const ht_tree *tree, void *ud)
{
    tree_ctx *c = ud;
    char err[CM_ERRLEN];
    int64_t M = cm_modes_rows(&c->md), N = cm_modes_cols(&c->md);
    double *W = dense_alloc(&c->md);
    uint64_t st = c->seed * 7919u + (uint64_t)c->count;
    assert_int_equal(cm_synth_matrix(c->count % 2 ? "gaussian" : "decay", st, M, N, W, err,
                                     sizeof err), 0);
    int trials = c->md.d >= 5 ? 1 : 3; /* d = 5 has 105 trees: one draw each */
    for (int trial = 0; trial < trials; trial++) {
        ht_tree t = *tree;
        random_ranks(&t, &st, 6);
        cm_weights out;
        cm_hsvd_report rep;
        if (cm_hsvd(W, &c->md, &t, 0, &out, &rep, err, sizeof err))
            fail_msg("cm_hsvd: %s", err);
        double e = rep.rel_error;
        assert_true(fabs(e - rel_error_via_net(W, &c->md, &out)) < 1e-12);
        assert_true(rep.bound_lower <= e * (1 + 1e-10) + 1e-14);
        assert_true(e <= rep.bound_upper * (1 + 1e-10) + 1e-14);
        /* The bounds again from values-only spectra: same numbers. */
        cm_spectrum sp[CM_MAX_NODES];
        memset(sp, 0, sizeof sp);
        for (int v = 0; v < t.nnodes; v++)
            if (v != t.root)
                assert_int_equal(cm_spectrum_compute(W, &c->md, t.mask[v], &sp[v], err,
                                                     sizeof err), 0);
        double lo, up;
        cm_ht_bounds(&t, sp, rep.norm, &lo, &up);
        assert_true(fabs(lo - rep.bound_lower) <= 1e-10 * (lo + 1e-300) + 1e-15);
        assert_true(fabs(up - rep.bound_upper) <= 1e-10 * (up + 1e-300) + 1e-15);
        for (int v = 0; v < CM_MAX_NODES; v++)
            cm_spectrum_free(&sp[v]);
        cm_weights_free(&out);
    }
    free(W);
    c->count++;
    return 0;
}

static void test_hsvd_bounds_random(void **state)
{
    (void)state;
    uint64_t st = 42;
    for (int d = 2; d <= 5; d++) {
        for (int rep = 0; rep < 2; rep++) {
            int m[5], n[5];
            for (int k = 0; k < d; k++) {
                m[k] = 1 + (int)(cm_rand_next(&st) % 3);
                n[k] = 1 + (int)(cm_rand_next(&st) % 3);
                if (m[k] * n[k] == 1)
                    n[k] = 2;
            }
            tree_ctx c = {modes_of(d, m, n), st, 0, 0};
            assert_int_equal(ht_enumerate(d, visit_bounds, &c), 0);
        }
    }
}

/* d = 2: the only truncation is the shared pair; error = tail(min rank) exactly. */
static void test_hsvd_d2_pair(void **state)
{
    (void)state;
    int m[2] = {3, 4}, n[2] = {5, 2};
    cm_modes md = modes_of(2, m, n);
    double *W = dense_alloc(&md);
    char err[CM_ERRLEN];
    assert_int_equal(cm_synth_matrix("gaussian", 3, 12, 10, W, err, sizeof err), 0);
    cm_spectrum s;
    assert_int_equal(cm_spectrum_compute(W, &md, 1u, &s, err, sizeof err), 0);
    ht_tree t;
    assert_int_equal(ht_parse("(1:5,2:3)", &t, err, sizeof err), 0);
    cm_weights out;
    cm_hsvd_report rep;
    assert_int_equal(cm_hsvd(W, &md, &t, 0, &out, &rep, err, sizeof err), 0);
    double want = cm_spectrum_tail(&s, 3) / rep.norm;
    assert_true(tu_rel(rep.rel_error, want) < 1e-12);
    assert_true(tu_rel(rep.bound_lower, want) < 1e-12);
    assert_true(tu_rel(rep.bound_upper, want) < 1e-12);
    cm_weights_free(&out);
    cm_spectrum_free(&s);
    free(W);
}

/* Tolerance mode: missing ranks chosen so that error <= upper <= tol. */
static void test_hsvd_tol(void **state)
{
    (void)state;
    int m[4] = {2, 2, 3, 2}, n[4] = {3, 2, 2, 2};
    cm_modes md = modes_of(4, m, n);
    double *W = dense_alloc(&md);
    char err[CM_ERRLEN];
    assert_int_equal(cm_synth_matrix("decay", 11, cm_modes_rows(&md), cm_modes_cols(&md), W,
                                     err, sizeof err), 0);
    double tols[4] = {0.5, 0.1, 0.01, 1e-4};
    int prev = 0;
    for (int i = 0; i < 4; i++) {
        ht_tree t;
        ht_balanced(4, &t);
        cm_weights out;
        cm_hsvd_report rep;
        assert_int_equal(cm_hsvd(W, &md, &t, tols[i], &out, &rep, err, sizeof err), 0);
        assert_true(rep.rel_error <= rep.bound_upper * (1 + 1e-10) + 1e-13);
        assert_true(rep.bound_upper <= tols[i]);
        int sum = 0;
        for (int v = 0; v < t.nnodes; v++) {
            assert_true(t.rank[v] >= 1);
            sum += t.rank[v];
        }
        assert_true(sum >= prev); /* tighter tolerance, no smaller ranks */
        prev = sum;
        cm_weights_free(&out);
    }
    /* A given rank is kept; only the missing ones are chosen. */
    ht_tree t;
    assert_int_equal(ht_parse("((1:1,2),(3,4))", &t, err, sizeof err), 0);
    cm_weights out;
    cm_hsvd_report rep;
    assert_int_equal(cm_hsvd(W, &md, &t, 0.1, &out, &rep, err, sizeof err), 0);
    assert_int_equal(t.rank[0], 1);
    cm_weights_free(&out);
    free(W);
}

static void test_hsvd_errors(void **state)
{
    (void)state;
    int m[3] = {2, 2, 2}, n[3] = {2, 2, 2};
    cm_modes md = modes_of(3, m, n);
    double *W = dense_alloc(&md);
    char err[CM_ERRLEN];
    cm_weights out;
    cm_hsvd_report rep;
    ht_tree t;
    ht_balanced(3, &t); /* ranks 0, no tolerance */
    err[0] = 0;
    assert_int_equal(cm_hsvd(W, &md, &t, 0, &out, &rep, err, sizeof err), -1);
    assert_true(strstr(err, "not given") != NULL);
    ht_balanced(4, &t);
    ht_fill_ranks(&t, 2);
    assert_int_equal(cm_hsvd(W, &md, &t, 0, &out, &rep, err, sizeof err), -1);
    ht_balanced(3, &t);
    ht_fill_ranks(&t, 2);
    assert_int_equal(cm_hsvd(W, &md, &t, -1, &out, &rep, err, sizeof err), -1);
    assert_int_equal(cm_hsvd(W, &md, &t, NAN, &out, &rep, err, sizeof err), -1);
    /* Non-finite entries are refused by every entry point. */
    W[3] = NAN;
    assert_int_equal(cm_hsvd(W, &md, &t, 0, &out, &rep, err, sizeof err), -1);
    assert_non_null(strstr(err, "not finite"));
    int tr[4] = {1, 2, 2, 1};
    assert_int_equal(cm_ttsvd(W, &md, tr, 0, &out, &rep, err, sizeof err), -1);
    cm_spectrum sp;
    assert_int_equal(cm_spectrum_compute(W, &md, 1u, &sp, err, sizeof err), -1);
    assert_int_equal(cm_spectrum_compute(W, &md, 16u, &sp, err, sizeof err), -1);
    W[3] = INFINITY;
    assert_int_equal(cm_spectrum_compute(W, &md, 1u, &sp, err, sizeof err), -1);
    W[3] = 0;
    assert_int_equal(cm_spectrum_compute(W, &md, 16u, &sp, err, sizeof err), -1);
    assert_non_null(strstr(err, "beyond"));
    /* An all-zero matrix is fine: zero error, zero bounds. */
    assert_int_equal(cm_hsvd(W, &md, &t, 0, &out, &rep, err, sizeof err), 0);
    assert_true(rep.rel_error == 0 && rep.bound_lower == 0 && rep.bound_upper == 0);
    cm_weights_free(&out);
    free(W);
}

/* ---------------------------------------------------------------- TT-SVD */

/* TT-SVD is exact in the sense error^2 = sum of squared discarded tails. */
static void test_ttsvd_tail_identity(void **state)
{
    (void)state;
    uint64_t st = 5;
    char err[CM_ERRLEN];
    for (int d = 1; d <= 5; d++) {
        for (int trial = 0; trial < 4; trial++) {
            int m[5], n[5], r[CM_MAX_D + 1] = {0};
            for (int k = 0; k < d; k++) {
                m[k] = 1 + (int)(cm_rand_next(&st) % 3);
                n[k] = 1 + (int)(cm_rand_next(&st) % 4);
            }
            for (int k = 1; k < d; k++)
                r[k] = 1 + (int)(cm_rand_next(&st) % 5);
            cm_modes md = modes_of(d, m, n);
            double *W = dense_alloc(&md);
            assert_int_equal(cm_synth_matrix(trial % 2 ? "gaussian" : "decay", st,
                                             cm_modes_rows(&md), cm_modes_cols(&md), W, err,
                                             sizeof err), 0);
            cm_weights out;
            cm_hsvd_report rep;
            if (cm_ttsvd(W, &md, r, 0, &out, &rep, err, sizeof err))
                fail_msg("cm_ttsvd: %s", err);
            double s2 = 0;
            for (int k = 0; k + 1 < d; k++)
                s2 += rep.tail[k] * rep.tail[k];
            double want = rep.norm > 0 ? sqrt(s2) / rep.norm : 0;
            assert_true(fabs(rep.rel_error - want) < 1e-10);
            assert_true(fabs(rep.rel_error - rel_error_via_net(W, &md, &out)) < 1e-12);
            assert_true(rep.bound_lower <= rep.rel_error + 1e-12);
            assert_true(r[0] == 1 && r[d] == 1);
            cm_weights_free(&out);
            free(W);
        }
    }
}

/* An exact TT is recovered; ranks are capped by the step matrices. */
static void test_ttsvd_exact_and_caps(void **state)
{
    (void)state;
    int m[4] = {2, 3, 2, 2}, n[4] = {2, 2, 3, 2};
    cm_modes md = modes_of(4, m, n);
    cm_format f;
    memset(&f, 0, sizeof f);
    f.kind = CM_TT;
    f.modes = md;
    int rr[5] = {1, 3, 4, 2, 1};
    memcpy(f.tt_rank, rr, sizeof rr);
    char err[CM_ERRLEN];
    cm_weights w, out;
    assert_int_equal(cm_weights_alloc(&f, &w, err, sizeof err), 0);
    cm_weights_random(&w, 99, 1.0);
    double *W = dense_alloc(&md);
    assert_int_equal(cm_weights_to_dense(&w, W, err, sizeof err), 0);
    int r[5] = {0, 3, 4, 2, 0};
    cm_hsvd_report rep;
    assert_int_equal(cm_ttsvd(W, &md, r, 0, &out, &rep, err, sizeof err), 0);
    assert_true(rep.rel_error < 1e-12);
    assert_true(rel_error_via_net(W, &md, &out) < 1e-12);
    cm_weights_free(&out);
    /* Huge ranks: capped at min(r_{k-1} m_k n_k, rest) -> 4, 24, 4. */
    int big[5] = {0, 1000, 1000, 1000, 0};
    assert_int_equal(cm_ttsvd(W, &md, big, 0, &out, &rep, err, sizeof err), 0);
    assert_int_equal(big[1], 4);
    assert_int_equal(big[2], 24);
    assert_int_equal(big[3], 4);
    assert_true(rep.rel_error < 1e-13);
    cm_weights_free(&out);
    /* Tolerance. */
    int zero[5] = {0};
    assert_int_equal(cm_ttsvd(W, &md, zero, 0.3, &out, &rep, err, sizeof err), 0);
    assert_true(rep.rel_error <= 0.3);
    assert_true(zero[1] <= 3 && zero[2] <= 4 && zero[3] <= 2);
    cm_weights_free(&out);
    /* Missing ranks without a tolerance. */
    int miss[5] = {0, 2, 0, 2, 0};
    assert_int_equal(cm_ttsvd(W, &md, miss, 0, &out, &rep, err, sizeof err), -1);
    assert_true(strstr(err, "bond 2") != NULL);
    cm_weights_free(&w);
    free(W);
}

/* A-priori TT bounds from the unfoldings bracket the TT-SVD error. */
static void test_tt_bounds(void **state)
{
    (void)state;
    int m[4] = {2, 3, 2, 2}, n[4] = {3, 2, 2, 3};
    cm_modes md = modes_of(4, m, n);
    double *W = dense_alloc(&md);
    char err[CM_ERRLEN];
    assert_int_equal(cm_synth_matrix("gaussian", 21, cm_modes_rows(&md), cm_modes_cols(&md),
                                     W, err, sizeof err), 0);
    int r[5] = {1, 3, 5, 2, 1};
    cm_weights out;
    cm_hsvd_report rep;
    assert_int_equal(cm_ttsvd(W, &md, r, 0, &out, &rep, err, sizeof err), 0);
    cm_spectrum sp[3];
    for (int k = 1; k < 4; k++)
        assert_int_equal(cm_spectrum_compute(W, &md, (1u << k) - 1, &sp[k - 1], err,
                                             sizeof err), 0);
    double lo, up;
    cm_tt_bounds(4, r, sp, rep.norm, &lo, &up);
    assert_true(lo <= rep.rel_error * (1 + 1e-10));
    assert_true(rep.rel_error <= up * (1 + 1e-10));
    assert_true(rep.bound_lower <= lo * (1 + 1e-10)); /* sequential tails are smaller */
    for (int k = 0; k < 3; k++)
        cm_spectrum_free(&sp[k]);
    cm_weights_free(&out);
    free(W);
}

/* ---------------------------------------------------------------- synthetic */

static void test_synth(void **state)
{
    (void)state;
    char err[CM_ERRLEN];
    int64_t M = 128, N = 256, n = M * N;
    double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(cm_synth_matrix("gaussian", 5, M, N, a, err, sizeof err), 0);
    assert_int_equal(cm_synth_matrix("gaussian", 5, M, N, b, err, sizeof err), 0);
    assert_memory_equal(a, b, (size_t)n * sizeof *a);
    double mean = 0, var = 0;
    for (int64_t i = 0; i < n; i++)
        mean += a[i];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++)
        var += (a[i] - mean) * (a[i] - mean);
    var /= (double)n;
    assert_true(fabs(mean) < 0.02);      /* 5 sigma of the sample mean ~ 0.028 */
    assert_true(fabs(var - 1) < 0.05);
    assert_int_equal(cm_synth_matrix("gaussian", 6, M, N, b, err, sizeof err), 0);
    assert_true(memcmp(a, b, (size_t)n * sizeof *a) != 0);
    assert_int_equal(cm_synth_matrix("decay", 5, M, N, b, err, sizeof err), 0);
    double *c = malloc((size_t)n * sizeof *c);
    assert_non_null(c);
    assert_int_equal(cm_synth_matrix("decay", 5, M, N, c, err, sizeof err), 0);
    assert_memory_equal(b, c, (size_t)n * sizeof *b);
    /*
     * A power-law spectrum.  Each of the 32 terms (weight 1/k) has rank <= 4
     * in every matricization (a cosine of an index is rank 2 across any digit
     * split), so keeping 4K singular values leaves at most the terms k > K:
     * tail(4K)/||W|| ~ sqrt(sum_{k>K} k^-2 / sum_k k^-2), up to the slight
     * non-orthogonality of the cosines (slack 1.5) and the 1e-3 noise.
     */
    int mm[4] = {4, 2, 4, 4}, nn[4] = {4, 4, 4, 4};
    cm_modes md = modes_of(4, mm, nn);
    for (unsigned mask = 1; mask < 8; mask++) {
        cm_spectrum sg, sd;
        assert_int_equal(cm_spectrum_compute(a, &md, mask, &sg, err, sizeof err), 0);
        assert_int_equal(cm_spectrum_compute(b, &md, mask, &sd, err, sizeof err), 0);
        int K = sd.n / 8;
        double all = 0, rest = 0;
        for (int k = 1; k <= 32; k++) {
            all += 1.0 / ((double)k * k);
            if (k > K)
                rest += 1.0 / ((double)k * k);
        }
        double td = cm_spectrum_tail(&sd, 4 * K) / cm_spectrum_tail(&sd, 0);
        double tg = cm_spectrum_tail(&sg, 4 * K) / cm_spectrum_tail(&sg, 0);
        assert_true(td <= 1.5 * sqrt(rest / all));
        assert_true(td < tg);
        cm_spectrum_free(&sg);
        cm_spectrum_free(&sd);
    }
    assert_int_equal(cm_synth_matrix("nope", 5, M, N, c, err, sizeof err), -1);
    assert_int_equal(cm_synth_matrix("gaussian", 5, 0, N, c, err, sizeof err), -1);
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hsvd_exact_on_ht_matrices),
        cmocka_unit_test(test_hsvd_full_rank),
        cmocka_unit_test(test_hsvd_bounds_random),
        cmocka_unit_test(test_hsvd_d2_pair),
        cmocka_unit_test(test_hsvd_tol),
        cmocka_unit_test(test_hsvd_errors),
        cmocka_unit_test(test_ttsvd_tail_identity),
        cmocka_unit_test(test_ttsvd_exact_and_caps),
        cmocka_unit_test(test_tt_bounds),
        cmocka_unit_test(test_synth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
