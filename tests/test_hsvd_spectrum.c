/*
 * test_hsvd_spectrum.c - spectra, the Gram route and the HSVD bounds by
 * hand (cm_hsvd.h, cm_spectrum.c); test_hsvd.c holds HSVD and TT-SVD.
 *
 * Expectations come from constructions whose answer is known without the
 * code under test: hand-computable singular values, matrices built as exact
 * Kronecker sums or U diag(s) V^T of a chosen spectrum, and Grasedyck's
 * bounds worked out by hand on a small tree.
 */
#include "test_util.h"
#include "test_hsvd_util.h"
#include "test_modes_util.h"
#include "cm_hsvd.h"

/* ---------------------------------------------------------------- spectra */

/*
 * d = 2, m = (2, 2), n = (2, 2): W[i1*2+i2][j1*2+j2] = T[i1*2+j1][i2*2+j2],
 * the leaf-1 matricization T.  With T = diag(1, 2, 3, 4) (placed through
 * that index formula, written out here independently) the singular values
 * are 4, 3, 2, 1.
 */
static void test_sv_diagonal_interleaved(void **state)
{
    (void)state;
    int m[2] = {2, 2}, n[2] = {2, 2};
    cm_modes md = modes_of(2, m, n);
    double *W = dense_alloc(&md);
    for (int a = 0; a < 4; a++) {     /* a = (i1, j1), b = a = (i2, j2) */
        int i1 = a / 2, j1 = a % 2, i2 = a / 2, j2 = a % 2;
        W[(i1 * 2 + i2) * 4 + (j1 * 2 + j2)] = a + 1;
    }
    cm_spectrum s;
    char err[CM_ERRLEN];
    assert_int_equal(cm_spectrum_compute(W, &md, 1u, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 4);
    for (int i = 0; i < 4; i++)
        assert_true(fabs(s.sv[i] - (4 - i)) < 1e-14);
    assert_true(fabs(cm_spectrum_tail(&s, 2) - sqrt(1 + 4)) < 1e-14);
    assert_true(fabs(cm_spectrum_tail(&s, 0) - sqrt(30)) < 1e-13);
    assert_true(cm_spectrum_tail(&s, 4) == 0);
    assert_true(cm_spectrum_tail(&s, 99) == 0);
    cm_spectrum_free(&s);
    /* The complement has the same singular values. */
    assert_int_equal(cm_spectrum_compute(W, &md, 2u, &s, err, sizeof err), 0);
    for (int i = 0; i < 4; i++)
        assert_true(fabs(s.sv[i] - (4 - i)) < 1e-14);
    cm_spectrum_free(&s);
    free(W);
}

/* A rank-1 outer product a b^T has one singular value |a| |b|. */
static void test_sv_rank1(void **state)
{
    (void)state;
    int m[2] = {5, 1}, n[2] = {1, 7}; /* leaf-1 matricization = W itself (5 x 7) */
    cm_modes md = modes_of(2, m, n);
    double *W = dense_alloc(&md), a[5] = {1, -2, 3, 0.5, 2}, b[7] = {2, 0, 1, -1, 3, 1, 1};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 7; j++)
            W[i * 7 + j] = a[i] * b[j];
    cm_spectrum s;
    char err[CM_ERRLEN];
    assert_int_equal(cm_spectrum_compute(W, &md, 1u, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 5);
    assert_true(tu_rel(s.sv[0], norm2(a, 5) * norm2(b, 7)) < 1e-14);
    for (int i = 1; i < 5; i++)
        assert_true(s.sv[i] < 1e-14);
    cm_spectrum_free(&s);
    free(W);
}

/*
 * W = sum_s c_s kron(E(1,s), E(2,s), E(3,s)) with E(k,s) one-hot matrices at
 * distinct positions per mode: the Kronecker vectors are orthonormal across
 * s in every matricization, so every node has singular values |c_s|.
 */
static void test_sv_kronecker_sum(void **state)
{
    (void)state;
    int m[3] = {2, 3, 2}, n[3] = {3, 2, 2};
    cm_modes md = modes_of(3, m, n);
    int64_t N = cm_modes_cols(&md);
    double *W = dense_alloc(&md), c[3] = {5, 3, 0.5};
    for (int s = 0; s < 3; s++) {
        /* positions (i_k, j_k) of the one in E(k, s); distinct for each k */
        int i1 = s % 2, j1 = s, i2 = s, j2 = s % 2, i3 = s % 2, j3 = s / 2 + (s == 1);
        int64_t i = (int64_t)i1 * m[1] * m[2] + i2 * m[2] + i3;
        int64_t j = (int64_t)j1 * n[1] * n[2] + j2 * n[2] + j3;
        W[i * N + j] += c[s];
    }
    char err[CM_ERRLEN];
    for (unsigned mask = 1; mask < 7; mask++) {
        cm_spectrum s;
        assert_int_equal(cm_spectrum_compute(W, &md, mask, &s, err, sizeof err), 0);
        for (int k = 0; k < 3; k++)
            assert_true(fabs(s.sv[k] - c[k]) < 1e-14);
        for (int k = 3; k < s.n; k++)
            assert_true(s.sv[k] < 1e-14);
        assert_true(fabs(cm_spectrum_tail(&s, 1) - sqrt(9 + 0.25)) < 1e-13);
        cm_spectrum_free(&s);
    }
    free(W);
}

static void test_spectrum_set_and_tail(void **state)
{
    (void)state;
    cm_spectrum s;
    char err[CM_ERRLEN];
    double sv[3] = {3, 2, 1}, bad[3] = {1, 2, 3};
    assert_int_equal(cm_spectrum_set(&s, 3u, sv, 3, 4.0, err, sizeof err), 0);
    assert_true(fabs(cm_spectrum_tail(&s, 0) - sqrt(9 + 4 + 1 + 4)) < 1e-15);
    assert_true(fabs(cm_spectrum_tail(&s, 2) - sqrt(1 + 4)) < 1e-15);
    assert_true(fabs(cm_spectrum_tail(&s, 3) - 2) < 1e-15);
    assert_true(fabs(cm_spectrum_tail(&s, -1) - cm_spectrum_tail(&s, 0)) < 1e-15);
    /* Without the cumulative table the tail is summed: same values. */
    double *keep = s.tail2;
    s.tail2 = NULL;
    assert_true(fabs(cm_spectrum_tail(&s, 1) - sqrt(4 + 1 + 4)) < 1e-15);
    s.tail2 = keep;
    cm_spectrum_free(&s);
    assert_int_equal(cm_spectrum_set(&s, 3u, bad, 3, 0, err, sizeof err), -1);
    assert_true(strlen(err) > 0);
    cm_spectrum_free(&s);
}

/*
 * Large matricizations take another values-only route (band reduction,
 * then the bidiagonal SVD) than the vectors route of the HSVD (dgesdd):
 * both must give the same tails, and tail(0)^2 = ||W||^2.
 */
static void test_sv_large_two_routes(void **state)
{
    (void)state;
    int m[2] = {16, 16}, n[2] = {33, 33}; /* leaf 1: 528 x 528, above CM_TWO_STAGE_MIN */
    cm_modes md = modes_of(2, m, n);
    int64_t M = cm_modes_rows(&md), N = cm_modes_cols(&md);
    double *W = dense_alloc(&md);
    char err[CM_ERRLEN];
    for (int kind = 0; kind < 2; kind++) {
        assert_int_equal(cm_synth_matrix(kind ? "decay" : "gaussian", 17, M, N, W, err,
                                         sizeof err), 0);
        cm_spectrum s;
        assert_int_equal(cm_spectrum_compute(W, &md, 1u, &s, err, sizeof err), 0);
        assert_int_equal(s.n, 528);
        double nrm = norm2(W, M * N);
        assert_true(tu_rel(cm_spectrum_tail(&s, 0), nrm) < 1e-12);
        for (int i = 1; i < s.n; i++)
            assert_true(s.sv[i] <= s.sv[i - 1]);
        int ranks[2][2] = {{1, 400}, {50, 200}}; /* per kind: gaussian, decay */
        for (int i = 0; i < 2; i++) {
            char tree[64];
            int rk = ranks[kind][i];
            snprintf(tree, sizeof tree, "(1:%d,2:%d)", rk, rk);
            ht_tree t;
            assert_int_equal(ht_parse(tree, &t, err, sizeof err), 0);
            cm_weights out;
            cm_hsvd_report rep;
            if (cm_hsvd(W, &md, &t, 0, &out, &rep, err, sizeof err))
                fail_msg("cm_hsvd: %s", err);
            double a = cm_spectrum_tail(&s, rk), b = rep.tail[0];
            assert_true(fabs(a - b) <= 1e-11 * nrm);
            assert_true(tu_rel(rep.rel_error, b / rep.norm) < 1e-9);
            cm_weights_free(&out);
        }
        cm_spectrum_free(&s);
    }
    free(W);
}

/* ---------------------------------------------------------------- Gram route */

/* A = U diag(s) V^T (test_hsvd_util.h); the test fails when memory is short. */
static double *known_spectrum(int p, int q, const double *s, uint64_t seed)
{
    double *a = tu_known_spectrum(p, q, s, seed);
    assert_non_null(a);
    return a;
}

/*
 * The Gram route against a known spectrum s_i = 10^(-8 i / 127), i < 128
 * (1 down to 1e-8), A = U diag(s) V^T of 128 x 900 placed as one
 * matricization of a d = 4 matrix (tests/bench_hsvd.c prints the same
 * figures for 256 x 3600; this size keeps the suite fast under valgrind).
 * Two placements, so that both panel layouts and the choice of the Gram
 * side are exercised: mask {1,3} (mode 4 on the long side) and {1,4}
 * (mode 4 on the Gram side), each with 30 alpha values (row digits of the
 * long side) in panels of 8, the last one short, and each also through
 * its complement (the Gram side is then the complement of the mask).
 * Expectations: within 1e-6 relative for s_i >= CM_SPECTRUM_GRAM_FLOOR s_1
 * (the 64 largest), |s_i^2 - sigma_i^2| <= 1e-13 s_1^2 for all i (c eps
 * with c <= 450; about 5 is typical), the same for the tails; the exact
 * route within 1e-13 s_1 absolute for all i.
 */
static void test_gram_known_spectrum(void **state)
{
    (void)state;
    enum { P = 128, Q = 900 };
    static const int cm1[4] = {4, 5, 2, 6}, cn1[4] = {4, 5, 4, 6};
    static const int cm2[4] = {4, 5, 6, 2}, cn2[4] = {4, 5, 6, 4};
    struct {
        const int *m, *n;
        unsigned mask;
    } cfg[2] = {{cm1, cn1, 0x5u}, {cm2, cn2, 0x9u}};
    double s[P], t2[P + 1];
    for (int i = 0; i < P; i++)
        s[i] = pow(10.0, -8.0 * i / (P - 1));
    t2[P] = 0;
    for (int i = P - 1; i >= 0; i--)
        t2[i] = t2[i + 1] + s[i] * s[i];
    double *A = known_spectrum(P, Q, s, 99);
    char err[CM_ERRLEN];
    for (int c = 0; c < 2; c++) {
        cm_modes md = modes_of(4, cfg[c].m, cfg[c].n);
        assert_int_equal(cm_modes_rows(&md) * cm_modes_cols(&md), (int64_t)P * Q);
        double *W = dense_alloc(&md);
        tu_place(&md, cfg[c].mask, A, Q, W);
        for (int side = 0; side < 2; side++) {
            unsigned mask = side ? (0xfu & ~cfg[c].mask) : cfg[c].mask;
            cm_spectrum g, e;
            assert_int_equal(cm_spectrum_compute_with(W, &md, mask, CM_SPECTRUM_GRAM, &g, err,
                                                      sizeof err), 0);
            /* the exact route: the default below the threshold, or asked for */
            assert_int_equal(side ? cm_spectrum_compute_with(W, &md, mask, CM_SPECTRUM_EXACT,
                                                             &e, err, sizeof err)
                                  : cm_spectrum_compute(W, &md, mask, &e, err, sizeof err),
                             0);
            assert_int_equal(g.n, P);
            assert_int_equal(e.n, P);
            assert_true(g.mask == mask);
            int above = 0;
            for (int i = 0; i < P; i++) {
                if (s[i] >= CM_SPECTRUM_GRAM_FLOOR * s[0]) {
                    above++;
                    assert_true(tu_rel(g.sv[i], s[i]) <= 1e-6);
                }
                assert_true(fabs(g.sv[i] * g.sv[i] - s[i] * s[i]) <= 1e-13);
                assert_true(fabs(g.tail2[i] - t2[i]) <= 1e-13);
                assert_true(fabs(e.sv[i] - s[i]) <= 1e-13);
                if (i > 0)
                    assert_true(g.sv[i] <= g.sv[i - 1]);
            }
            assert_int_equal(above, 64); /* i <= 63.5: 10^(-8 i/127) >= 1e-4 */
            assert_true(fabs(cm_spectrum_tail(&g, 0) - sqrt(t2[0])) <= 1e-13);
            cm_spectrum_free(&g);
            cm_spectrum_free(&e);
        }
        free(W);
    }
    free(A);
}

/*
 * Every mode set of small random matrices (d = 3, 4, 5, modes of size 1 to
 * 3 on either side, so that some sides are single digits): the Gram route
 * against the exact route (well-conditioned Gaussian spectra: 1e-10
 * relative), and a mode set against its complement.
 */
static void test_gram_all_masks(void **state)
{
    (void)state;
    uint64_t st = 77;
    char err[CM_ERRLEN];
    for (int d = 3; d <= 5; d++) {
        int m[5], n[5];
        for (int k = 0; k < d; k++) {
            m[k] = 1 + (int)(cm_rand_next(&st) % 3);
            n[k] = 1 + (int)(cm_rand_next(&st) % 3);
        }
        cm_modes md = modes_of(d, m, n);
        int64_t M = cm_modes_rows(&md), N = cm_modes_cols(&md);
        double *W = dense_alloc(&md);
        assert_int_equal(cm_synth_matrix("gaussian", st, M, N, W, err, sizeof err), 0);
        unsigned all = (1u << d) - 1;
        for (unsigned mask = 1; mask < all; mask++) {
            cm_spectrum g, e, gc;
            assert_int_equal(cm_spectrum_compute_with(W, &md, mask, CM_SPECTRUM_GRAM, &g, err,
                                                      sizeof err), 0);
            assert_int_equal(cm_spectrum_compute_with(W, &md, mask, CM_SPECTRUM_EXACT, &e, err,
                                                      sizeof err), 0);
            assert_int_equal(cm_spectrum_compute_with(W, &md, all & ~mask, CM_SPECTRUM_GRAM,
                                                      &gc, err, sizeof err), 0);
            assert_int_equal(g.n, e.n);
            assert_int_equal(gc.n, e.n);
            /* Gaussian: every value within 1e-10 of s_1, the big ones relative */
            for (int i = 0; i < e.n; i++) {
                assert_true(fabs(g.sv[i] - e.sv[i]) <= 1e-10 * e.sv[0]);
                assert_true(fabs(gc.sv[i] - e.sv[i]) <= 1e-10 * e.sv[0]);
                if (e.sv[i] >= 1e-2 * e.sv[0])
                    assert_true(tu_rel(g.sv[i], e.sv[i]) <= 1e-10);
            }
            assert_true(tu_rel(cm_spectrum_tail(&g, 0), norm2(W, M * N)) < 1e-12);
            cm_spectrum_free(&g);
            cm_spectrum_free(&e);
            cm_spectrum_free(&gc);
        }
        free(W);
    }
}

/*
 * The default route switches at CM_SPECTRUM_GRAM_MIN_ENTRIES entries: one
 * entry short it is the exact route, at the threshold the Gram route (bit
 * for bit the same as asking for it).  4 x 2^20 with a 4-row Gram side is
 * cheap either way.
 */
static void test_gram_auto_threshold(void **state)
{
    (void)state;
    char err[CM_ERRLEN];
    int64_t cols = CM_SPECTRUM_GRAM_MIN_ENTRIES / 4;
    assert_true(cols * 4 == CM_SPECTRUM_GRAM_MIN_ENTRIES && cols <= INT32_MAX);
    for (int under = 0; under < 2; under++) {
        int m[2] = {4, 1}, n[2] = {1, (int)cols - under};
        cm_modes md = modes_of(2, m, n);
        double *W = dense_alloc(&md);
        for (int64_t k = 0; k < 4 * (cols - under); k++) /* cheap, full rank */
            W[k] = (double)((uint64_t)k * 2654435761u % 1009u) / 1009.0 - 0.5;
        cm_spectrum a, x;
        cm_spectrum_method how = under ? CM_SPECTRUM_EXACT : CM_SPECTRUM_GRAM;
        assert_int_equal(cm_spectrum_compute(W, &md, 1u, &a, err, sizeof err), 0);
        assert_int_equal(cm_spectrum_compute_with(W, &md, 1u, how, &x, err, sizeof err), 0);
        assert_int_equal(a.n, 4);
        assert_memory_equal(a.sv, x.sv, 4 * sizeof *a.sv);
        cm_spectrum_free(&a);
        cm_spectrum_free(&x);
        free(W);
    }
}

/*
 * The Gram route squares the entries: a rank-1 a b^T (|a| |b| known) scaled
 * by 1e200 or 1e-200 would overflow or underflow without the exact
 * power-of-two scaling of the panels.  Zero singular values come out at
 * the Gram route's noise level (~sqrt(eps) s_1), far below 1e-6 s_1.
 */
static void test_gram_extreme_scale(void **state)
{
    (void)state;
    int m[2] = {5, 1}, n[2] = {1, 7};
    cm_modes md = modes_of(2, m, n);
    double *W = dense_alloc(&md), a[5] = {1, -2, 3, 0.5, 2}, b[7] = {2, 0, 1, -1, 3, 1, 1};
    const double scales[3] = {1e200, 1e-200, 1.0};
    char err[CM_ERRLEN];
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 7; j++)
                W[i * 7 + j] = a[i] * b[j] * scales[k];
        cm_spectrum s;
        assert_int_equal(cm_spectrum_compute_with(W, &md, 1u, CM_SPECTRUM_GRAM, &s, err,
                                                  sizeof err), 0);
        assert_int_equal(s.n, 5);
        double want = norm2(a, 5) * norm2(b, 7) * scales[k];
        assert_true(tu_rel(s.sv[0], want) < 1e-14);
        for (int i = 1; i < 5; i++)
            assert_true(s.sv[i] <= 1e-6 * want);
        if (k == 2) /* tail2 holds squares: 1e400 and 1e-400 are not doubles */
            assert_true(tu_rel(cm_spectrum_tail(&s, 0), want) < 1e-14);
        cm_spectrum_free(&s);
    }
    free(W);
}

/* Canonical masks by hand (d = 4): the smaller of a set and its complement. */
static void test_canonical_mask(void **state)
{
    (void)state;
    static const unsigned want[15] = {0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1};
    unsigned seen = 0;
    for (unsigned mask = 1; mask < 15; mask++) {
        assert_int_equal(cm_spectrum_canonical_mask(4, mask), want[mask]);
        seen |= 1u << cm_spectrum_canonical_mask(4, mask);
    }
    assert_int_equal(seen, 0xfeu); /* 7 distinct matricizations: 1..7 */
    assert_int_equal(cm_spectrum_canonical_mask(2, 2u), 1u);
    assert_int_equal(cm_spectrum_canonical_mask(3, 6u), 1u);
}

/* Bad method, non-finite entries and out-of-range modes on both routes. */
static void test_spectrum_method_errors(void **state)
{
    (void)state;
    int m[2] = {2, 2}, n[2] = {2, 2};
    cm_modes md = modes_of(2, m, n);
    double *W = dense_alloc(&md);
    char err[CM_ERRLEN];
    cm_spectrum s;
    assert_int_equal(cm_spectrum_compute_with(W, &md, 1u, (cm_spectrum_method)7, &s, err,
                                              sizeof err), -1);
    assert_true(strstr(err, "method") != NULL);
    assert_true(s.sv == NULL && s.tail2 == NULL);
    assert_int_equal(cm_spectrum_compute_with(W, &md, 4u, CM_SPECTRUM_GRAM, &s, err,
                                              sizeof err), -1);
    W[5] = NAN;
    assert_int_equal(cm_spectrum_compute_with(W, &md, 1u, CM_SPECTRUM_GRAM, &s, err,
                                              sizeof err), -1);
    assert_true(strstr(err, "not finite") != NULL);
    /* All zero: every value 0 on the Gram route too. */
    memset(W, 0, 16 * sizeof *W);
    assert_int_equal(cm_spectrum_compute_with(W, &md, 1u, CM_SPECTRUM_GRAM, &s, err,
                                              sizeof err), 0);
    for (int i = 0; i < s.n; i++)
        assert_true(s.sv[i] == 0);
    assert_true(cm_spectrum_tail(&s, 0) == 0);
    cm_spectrum_free(&s);
    free(W);
}

/* ---------------------------------------------------------------- bounds */

/* Bounds by hand for d = 3, balanced ((1,2),3): nodes 0,1,2 leaves, 3 = {1,2}, 4 root. */
static void test_bounds_by_hand(void **state)
{
    (void)state;
    ht_tree t;
    char err[CM_ERRLEN];
    assert_int_equal(ht_parse("((1:1,2:2):1,3:2)", &t, err, sizeof err), 0);
    cm_spectrum sp[CM_MAX_NODES];
    memset(sp, 0, sizeof sp);
    double s0[3] = {4, 3, 0}, s1[3] = {5, 2, 1}, s3[3] = {6, 2, 2};
    assert_int_equal(cm_spectrum_set(&sp[0], 1u, s0, 3, 0, err, sizeof err), 0);
    assert_int_equal(cm_spectrum_set(&sp[1], 2u, s1, 3, 0, err, sizeof err), 0);
    /* node 3 = {1,2} and leaf 3 are the root's pair: spec[left of root] is read */
    int l = t.left[t.root];
    assert_int_equal(cm_spectrum_set(&sp[l], t.mask[l], s3, 3, 0, err, sizeof err), 0);
    double lo, up;
    cm_ht_bounds(&t, sp, 10.0, &lo, &up);
    /* tails: leaf1 r=1 -> 3; leaf2 r=2 -> 1; pair min(1,2)=1 -> sqrt(8) */
    assert_true(fabs(lo - 3.0 / 10) < 1e-15);
    assert_true(fabs(up - sqrt(9 + 1 + 8) / 10) < 1e-15);
    cm_ht_bounds(&t, sp, 0.0, &lo, &up);
    assert_true(lo == 0 && up == 0);
    for (int v = 0; v < CM_MAX_NODES; v++)
        cm_spectrum_free(&sp[v]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sv_diagonal_interleaved),
        cmocka_unit_test(test_sv_rank1),
        cmocka_unit_test(test_sv_kronecker_sum),
        cmocka_unit_test(test_spectrum_set_and_tail),
        cmocka_unit_test(test_sv_large_two_routes),
        cmocka_unit_test(test_gram_known_spectrum),
        cmocka_unit_test(test_gram_all_masks),
        cmocka_unit_test(test_gram_auto_threshold),
        cmocka_unit_test(test_gram_extreme_scale),
        cmocka_unit_test(test_canonical_mask),
        cmocka_unit_test(test_spectrum_method_errors),
        cmocka_unit_test(test_bounds_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
