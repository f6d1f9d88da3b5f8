/*
 * test_matvec.c - the functional model (cm_matvec.c): weights-to-dense
 * against element formulas written out here, y = W x along random orders
 * against the dense product, order independence, the fixed-point datapath
 * against a naive per-step reference bit for bit, the rounding helpers on
 * hand-worked cases, and the timing of the LSTM-UCF input layer.
 */
#include "test_util.h"
#include "test_net_util.h"
#include "cm_hash.h"

#include "cm_matvec.h"

#include <time.h>

static uint64_t rng_state;

static int rnd(int lo, int hi) /* uniform in [lo, hi], test-local generator */
{
    uint64_t z = cm_splitmix_next(&rng_state);
    return lo + (int)(z % (uint64_t)(hi - lo + 1));
}

static double rnd_unit(void)
{
    return rnd(0, 1 << 30) / (double)(1 << 29) - 1.0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ------------------------------------------------------------ formats */

static void random_format(cm_format *f, int d, cm_kind kind, int maxmode, int maxrank)
{
    tu_random_format(f, d, kind, maxmode, maxrank, rnd);
}

static void alloc_ok(const cm_format *f, cm_weights *w)
{
    char err[CM_ERRLEN] = "";
    int rc = cm_weights_alloc(f, w, err, sizeof err);
    if (rc)
        fprintf(stderr, "cm_weights_alloc: %s\n", err);
    assert_int_equal(rc, 0);
}

/* A random linear extension, from the tree itself (children before parents). */
static void random_order(const cm_format *f, const cm_net *net, cm_order *o)
{
    int done[CM_NET_MAXF] = {0};
    o->n = 0;
    while (o->n < net->nf) {
        int cand[CM_NET_MAXF], nc = 0;
        for (int v = 0; v < net->nf; v++) {
            if (done[v])
                continue;
            if (f->kind == CM_HT && v >= f->tree.d &&
                !(done[f->tree.left[v]] && done[f->tree.right[v]]))
                continue;
            cand[nc++] = v;
        }
        int v = cand[rnd(0, nc - 1)];
        done[v] = 1;
        o->f[o->n++] = v;
    }
}

/* ------------------------------------------------ element formulas */

static void split_index(const int *sizes, int d, int64_t lin, int *idx)
{
    for (int k = d - 1; k >= 0; k--) {
        idx[k] = (int)(lin % sizes[k]);
        lin /= sizes[k];
    }
}

/*
 * TT: W[i][j] = sum over a_1..a_{d-1} of prod_k G_k[a_{k-1}, i_k, j_k, a_k]
 * (a_0 = a_d = 0), core k stored as (r_{k-1}, m_k, n_k, r_k) row-major.
 */
static double tt_elem(const cm_weights *w, const cm_format *f, const int *i, const int *j)
{
    int d = f->modes.d;
    const int *r = f->tt_rank;
    int a[CM_MAX_D + 1] = {0};
    double sum = 0;
    for (;;) {
        double p = 1;
        for (int k = 0; k < d; k++) {
            int64_t off = (((int64_t)a[k] * f->modes.m[k] + i[k]) * f->modes.n[k] + j[k]) *
                              r[k + 1] + a[k + 1];
            p *= w->f[k][off];
        }
        sum += p;
        int k = d - 1; /* next rank tuple a_1..a_{d-1} */
        while (k >= 1 && ++a[k] == r[k])
            a[k--] = 0;
        if (k < 1)
            return sum;
    }
}

/*
 * HT, recursively: the vector of node v over its rank r_v.  Leaf:
 * U_k[(i_k, j_k), :]; internal: v_t[c] = sum_{a,b} v_l[a] v_r[b] B_t[a, b, c].
 */
static void ht_vec(const cm_weights *w, const cm_format *f, int v, const int *i,
                   const int *j, double *out)
{
    const ht_tree *t = &f->tree;
    int rv = v == t->root ? 1 : t->rank[v];
    if (v < t->d) {
        int64_t row = (int64_t)i[v] * f->modes.n[v] + j[v];
        for (int a = 0; a < rv; a++)
            out[a] = w->f[v][row * rv + a];
        return;
    }
    int l = t->left[v], r = t->right[v], rl = t->rank[l], rr = t->rank[r];
    double vl[16], vr[16]; /* the tests keep ranks small */
    assert_true(rl <= 16 && rr <= 16);
    ht_vec(w, f, l, i, j, vl);
    ht_vec(w, f, r, i, j, vr);
    for (int c = 0; c < rv; c++) {
        double s = 0;
        for (int a = 0; a < rl; a++)
            for (int b = 0; b < rr; b++)
                s += vl[a] * vr[b] * w->f[v][((int64_t)a * rr + b) * rv + c];
        out[c] = s;
    }
}

static double ht_elem(const cm_weights *w, const cm_format *f, const int *i, const int *j)
{
    double y;
    ht_vec(w, f, f->tree.root, i, j, &y);
    return y;
}

static double elem(const cm_weights *w, const cm_format *f, int64_t row, int64_t col)
{
    int i[CM_MAX_D], j[CM_MAX_D];
    split_index(f->modes.m, f->modes.d, row, i);
    split_index(f->modes.n, f->modes.d, col, j);
    return f->kind == CM_TT ? tt_elem(w, f, i, j) : ht_elem(w, f, i, j);
}

static double rel_err(const double *a, const double *b, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t k = 0; k < n; k++) {
        num += (a[k] - b[k]) * (a[k] - b[k]);
        den += b[k] * b[k];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static void check_to_dense(const cm_format *f, uint64_t seed)
{
    cm_weights w;
    alloc_ok(f, &w);
    cm_weights_random(&w, seed, 1.0);
    int64_t M = cm_modes_rows(&f->modes), N = cm_modes_cols(&f->modes);
    double *W = malloc((size_t)(M * N) * sizeof *W), *R = malloc((size_t)(M * N) * sizeof *R);
    assert_int_equal(cm_weights_to_dense(&w, W, NULL, 0), 0);
    for (int64_t r = 0; r < M; r++)
        for (int64_t c = 0; c < N; c++)
            R[r * N + c] = elem(&w, f, r, c);
    assert_true(rel_err(W, R, M * N) <= 1e-12);
    free(W);
    free(R);
    cm_weights_free(&w);
}

/* check_to_dense on reps random formats of kind for each d = 1..6 (the
 * generator seeded with rng, the weights with seed0 + rep). */
static void to_dense_random(cm_kind kind, uint64_t rng, int reps, uint64_t seed0)
{
    rng_state = rng;
    for (int d = 1; d <= 6; d++)
        for (int rep = 0; rep < reps; rep++) {
            cm_format f;
            random_format(&f, d, kind, d <= 3 ? 4 : d == 4 ? 3 : 2, 4);
            check_to_dense(&f, seed0 + (uint64_t)rep);
        }
}

static void test_to_dense_tt(void **state)
{
    (void)state;
    to_dense_random(CM_TT, 1, 4, 100);
}

static void test_to_dense_ht(void **state)
{
    (void)state;
    to_dense_random(CM_HT, 2, 6, 200);
}

/* Balanced d = 4 written out as one formula, no recursion. */
static void test_to_dense_ht_explicit(void **state)
{
    (void)state;
    cm_format f;
    cm_weights w;
    char err[CM_ERRLEN];
    memset(&f, 0, sizeof f);
    f.kind = CM_HT;
    assert_int_equal(ht_parse("((1:2,2:3):2,(3:3,4:2):3)", &f.tree, err, sizeof err), 0);
    int m[] = {2, 1, 3, 2}, n[] = {2, 3, 1, 2};
    f.modes.d = 4;
    memcpy(f.modes.m, m, sizeof m);
    memcpy(f.modes.n, n, sizeof n);
    /* Node numbers of the canonical form: 4 = {1,2}, 5 = {3,4}, 6 = root. */
    assert_int_equal(f.tree.left[4], 0);
    assert_int_equal(f.tree.right[4], 1);
    assert_int_equal(f.tree.left[5], 2);
    assert_int_equal(f.tree.right[5], 3);
    assert_int_equal(f.tree.left[6], 4);
    assert_int_equal(f.tree.right[6], 5);
    alloc_ok(&f, &w);
    cm_weights_random(&w, 7, 1.0);
    const int r1 = 2, r2 = 3, r3 = 3, r4 = 2, r12 = 2, r34 = 3;
    const double *U1 = w.f[0], *U2 = w.f[1], *U3 = w.f[2], *U4 = w.f[3];
    const double *B12 = w.f[4], *B34 = w.f[5], *Br = w.f[6];
    int M = 12, N = 12;
    double W[144];
    assert_int_equal(cm_weights_to_dense(&w, W, NULL, 0), 0);
    double maxerr = 0, maxv = 0;
    for (int i1 = 0; i1 < 2; i1++) for (int i2 = 0; i2 < 1; i2++)
    for (int i3 = 0; i3 < 3; i3++) for (int i4 = 0; i4 < 2; i4++)
    for (int j1 = 0; j1 < 2; j1++) for (int j2 = 0; j2 < 3; j2++)
    for (int j3 = 0; j3 < 1; j3++) for (int j4 = 0; j4 < 2; j4++) {
        /* W = sum U1[i1 j1, a] U2[i2 j2, b] B12[a, b, p]
         *         U3[i3 j3, c] U4[i4 j4, e] B34[c, e, q] Broot[p, q] */
        double s = 0;
        for (int a = 0; a < r1; a++) for (int b = 0; b < r2; b++)
        for (int c = 0; c < r3; c++) for (int e = 0; e < r4; e++)
        for (int p = 0; p < r12; p++) for (int q = 0; q < r34; q++)
            s += U1[(i1 * 2 + j1) * r1 + a] * U2[(i2 * 3 + j2) * r2 + b] *
                 B12[(a * r2 + b) * r12 + p] * U3[(i3 * 1 + j3) * r3 + c] *
                 U4[(i4 * 2 + j4) * r4 + e] * B34[(c * r4 + e) * r34 + q] *
                 Br[p * r34 + q];
        int i = ((i1 * 1 + i2) * 3 + i3) * 2 + i4, j = ((j1 * 3 + j2) * 1 + j3) * 2 + j4;
        double e = fabs(W[i * N + j] - s);
        maxerr = e > maxerr ? e : maxerr;
        maxv = fabs(s) > maxv ? fabs(s) : maxv;
    }
    assert_true(maxv > 0);
    assert_true(maxerr <= 1e-12 * maxv);
    (void)M;
    cm_weights_free(&w);
}

/* -------------------------------------------------- double matvec */

static void dense_product(const double *W, int64_t M, int64_t N, const double *x, double *y)
{
    for (int64_t i = 0; i < M; i++) {
        double s = 0;
        for (int64_t j = 0; j < N; j++)
            s += W[i * N + j] * x[j];
        y[i] = s;
    }
}

static void run_matvec(const cm_weights *w, const cm_order *o, const double *x, double *y)
{
    int64_t ws = cm_matvec_work_size(&w->net, o);
    double *work = malloc((size_t)(2 * ws) * sizeof *work);
    cm_matvec(w, o, x, y, work);
    free(work);
}

static void test_matvec_random(void **state)
{
    (void)state;
    rng_state = 3;
    for (int it = 0; it < 120; it++) {
        int d = 2 + it % 5;
        cm_format f;
        random_format(&f, d, it % 3 == 0 ? CM_TT : CM_HT, d <= 4 ? 4 : 3, 5);
        cm_weights w;
        alloc_ok(&f, &w);
        cm_weights_random(&w, (uint64_t)it, 0.7);
        int64_t M = cm_modes_rows(&f.modes), N = cm_modes_cols(&f.modes);
        double *W = malloc((size_t)(M * N) * sizeof *W);
        double *x = malloc((size_t)N * sizeof *x), *y = malloc((size_t)M * sizeof *y);
        double *yr = malloc((size_t)M * sizeof *yr);
        assert_int_equal(cm_weights_to_dense(&w, W, NULL, 0), 0);
        for (int64_t j = 0; j < N; j++)
            x[j] = rnd_unit();
        dense_product(W, M, N, x, yr);
        for (int rep = 0; rep < 3; rep++) {
            cm_order o;
            random_order(&f, &w.net, &o);
            assert_int_equal(cm_order_check(&w.net, &o, NULL, 0), 0);
            run_matvec(&w, &o, x, y);
            assert_true(rel_err(y, yr, M) <= 1e-12);
        }
        free(W);
        free(x);
        free(y);
        free(yr);
        cm_weights_free(&w);
    }
}

static void test_matvec_dense_format(void **state)
{
    (void)state;
    cm_format f;
    memset(&f, 0, sizeof f);
    f.kind = CM_DENSE;
    f.modes.d = 2;
    f.modes.m[0] = 2; f.modes.m[1] = 2;
    f.modes.n[0] = 1; f.modes.n[1] = 3;
    cm_weights w;
    alloc_ok(&f, &w);
    for (int k = 0; k < 12; k++)
        w.f[0][k] = k + 1; /* W = [1 2 3; 4 5 6; 7 8 9; 10 11 12] */
    double x[3] = {1, -1, 2}, y[4], W[12];
    cm_order o;
    cm_order_default(&w.net, &o);
    run_matvec(&w, &o, x, y);
    assert_true(y[0] == 1 - 2 + 6 && y[1] == 4 - 5 + 12 && y[2] == 7 - 8 + 18 &&
                y[3] == 10 - 11 + 24);
    assert_int_equal(cm_weights_to_dense(&w, W, NULL, 0), 0);
    for (int k = 0; k < 12; k++)
        assert_true(W[k] == k + 1);
    cm_weights_free(&w);
}

typedef struct {
    const cm_weights *w;
    const double *x;
    double *y0, *y;
    int64_t M, count;
} all_orders;

static int all_orders_visit(const cm_order *o, void *ud)
{
    all_orders *a = ud;
    run_matvec(a->w, o, a->x, a->count == 0 ? a->y0 : a->y);
    if (a->count++ > 0)
        assert_true(rel_err(a->y, a->y0, a->M) <= 1e-12);
    return 0;
}

static void test_every_order_same_y(void **state)
{
    (void)state;
    const char *trees[] = {"((1:3,2:2):4,(3:2,4:3):2)", "(((1:2,2:3):2,3:4):3,4:2)",
                           "((1:2,(2:3,3:2):3):2,(4:2,5:3):2)"};
    int m[] = {2, 3, 2, 1, 3}, n[] = {3, 2, 2, 3, 1};
    rng_state = 4;
    for (int t = 0; t < 4; t++) {
        cm_format f;
        memset(&f, 0, sizeof f);
        if (t < 3) {
            f.kind = CM_HT;
            assert_int_equal(ht_parse(trees[t], &f.tree, NULL, 0), 0);
            f.modes.d = f.tree.d;
        } else {
            f.kind = CM_TT;
            f.modes.d = 5;
            int r[] = {1, 3, 2, 4, 2, 1};
            memcpy(f.tt_rank, r, sizeof r);
        }
        memcpy(f.modes.m, m, sizeof m);
        memcpy(f.modes.n, n, sizeof n);
        cm_weights w;
        alloc_ok(&f, &w);
        cm_weights_random(&w, 11, 1.0);
        int64_t M = cm_modes_rows(&f.modes), N = cm_modes_cols(&f.modes);
        double *x = malloc((size_t)N * sizeof *x);
        double *y0 = malloc((size_t)M * sizeof *y0), *y = malloc((size_t)M * sizeof *y);
        for (int64_t j = 0; j < N; j++)
            x[j] = rnd_unit();
        all_orders a = {&w, x, y0, y, M, 0};
        cm_order_enumerate(&w.net, all_orders_visit, &a);
        assert_true(a.count >= 24);
        free(x);
        free(y0);
        free(y);
        cm_weights_free(&w);
    }
}

static void test_weights_random(void **state)
{
    (void)state;
    cm_format f;
    rng_state = 5;
    random_format(&f, 3, CM_HT, 3, 3);
    cm_weights a, b;
    alloc_ok(&f, &a);
    alloc_ok(&f, &b);
    for (int k = 0; k < a.net.nf; k++) /* zeroed */
        assert_true(a.f[k][0] == 0.0);
    cm_weights_random(&a, 42, 0.5);
    cm_weights_random(&b, 42, 0.5);
    int differ = 0;
    for (int k = 0; k < a.net.nf; k++) {
        int64_t n = cm_net_mask_size(&a.net, a.net.fmask[k]);
        assert_memory_equal(a.f[k], b.f[k], (size_t)n * sizeof(double));
        for (int64_t e = 0; e < n; e++)
            assert_true(a.f[k][e] >= -0.5 && a.f[k][e] < 0.5);
    }
    cm_weights_random(&b, 43, 0.5);
    for (int k = 0; k < a.net.nf; k++)
        differ |= a.f[k][0] != b.f[k][0];
    assert_true(differ);
    cm_weights_free(&a);
    cm_weights_free(&b);
    cm_weights_free(&b); /* idempotent */

    /* splitmix64 reference values (seed 0), from the published algorithm. */
    uint64_t s = 0;
    assert_true(cm_rand_next(&s) == UINT64_C(0xe220a8397b1dcdaf));
    assert_true(cm_rand_next(&s) == UINT64_C(0x6e789e6aa1b965f4));
    double u = cm_rand_uniform(&s);
    assert_true(u >= 0 && u < 1);

    char err[CM_ERRLEN] = "";
    f.tt_rank[0] = 1;
    f.kind = CM_TT;
    f.tt_rank[1] = 0; /* bad rank */
    assert_int_equal(cm_weights_alloc(&f, &a, err, sizeof err), -1);
    assert_true(strlen(err) > 0);
    cm_weights_free(&a);
}

/* ------------------------------------------------ fixed-point helpers */

static void test_fix_helpers(void **state)
{
    (void)state;
    /* Quantize: round half away from zero, then saturate. */
    assert_int_equal(cm_fix_quantize(0.5, 8, 0), 1);
    assert_int_equal(cm_fix_quantize(-0.5, 8, 0), -1);
    assert_int_equal(cm_fix_quantize(1.5, 8, 0), 2);
    assert_int_equal(cm_fix_quantize(-1.5, 8, 0), -2);
    assert_int_equal(cm_fix_quantize(2.5, 8, 0), 3);
    assert_int_equal(cm_fix_quantize(-2.5, 8, 0), -3);
    assert_int_equal(cm_fix_quantize(0.49, 8, 0), 0);
    assert_int_equal(cm_fix_quantize(0.25, 8, 1), 1);   /* 0.5 -> 1 */
    assert_int_equal(cm_fix_quantize(-0.25, 8, 1), -1);
    assert_int_equal(cm_fix_quantize(-0.125, 8, 2), -1);
    assert_int_equal(cm_fix_quantize(0.1, 16, 15), 3277); /* 3276.8 */
    assert_int_equal(cm_fix_quantize(-0.1, 16, 15), -3277);
    assert_int_equal(cm_fix_quantize(127.4, 8, 0), 127);
    assert_int_equal(cm_fix_quantize(127.5, 8, 0), 127); /* 128 saturates */
    assert_int_equal(cm_fix_quantize(-128.4, 8, 0), -128);
    assert_int_equal(cm_fix_quantize(-128.5, 8, 0), -128); /* -129 saturates */
    assert_int_equal(cm_fix_quantize(1.0, 8, 7), 127);      /* 128 saturates */
    assert_int_equal(cm_fix_quantize(-1.0, 8, 7), -128);
    assert_int_equal(cm_fix_quantize(1e300, 16, 4), 32767);
    assert_int_equal(cm_fix_quantize(-1e300, 16, 4), -32768);
    assert_int_equal(cm_fix_quantize(INFINITY, 8, 0), 127);
    assert_int_equal(cm_fix_quantize(-INFINITY, 8, 0), -128);
    assert_int_equal(cm_fix_quantize(NAN, 8, 0), 0);
    assert_int_equal(cm_fix_quantize(1.0, 2, 0), 1);
    assert_int_equal(cm_fix_quantize(-3.0, 2, 0), -2);

    assert_true(cm_fix_value(3, 1) == 1.5);
    assert_true(cm_fix_value(-5, 2) == -1.25);
    assert_true(cm_fix_value(-32768, 15) == -1.0);

    assert_int_equal(cm_fix_saturate(200, 8), 127);
    assert_int_equal(cm_fix_saturate(-200, 8), -128);
    assert_int_equal(cm_fix_saturate(-128, 8), -128);
    assert_int_equal(cm_fix_saturate(32767, 16), 32767);
    assert_int_equal(cm_fix_saturate(32768, 16), 32767);
    assert_int_equal(cm_fix_saturate(INT64_MIN, 16), -32768);
    assert_int_equal(cm_fix_saturate(INT64_MAX, 16), 32767);

    /* Rescale: floor((acc + 2^(s-1)) / 2^s), i.e. round half up, then saturate. */
    assert_int_equal(cm_fix_rescale(3, 1, 8), 2);    /*  1.5  ->  2 */
    assert_int_equal(cm_fix_rescale(-3, 1, 8), -1);  /* -1.5  -> -1 */
    assert_int_equal(cm_fix_rescale(1, 1, 8), 1);    /*  0.5  ->  1 */
    assert_int_equal(cm_fix_rescale(-1, 1, 8), 0);   /* -0.5  ->  0 */
    assert_int_equal(cm_fix_rescale(-2, 2, 8), 0);   /* -0.5  ->  0 */
    assert_int_equal(cm_fix_rescale(-6, 2, 8), -1);  /* -1.5  -> -1 */
    assert_int_equal(cm_fix_rescale(6, 2, 8), 2);    /*  1.5  ->  2 */
    assert_int_equal(cm_fix_rescale(-7, 2, 8), -2);  /* -1.75 -> -2 */
    assert_int_equal(cm_fix_rescale(-5, 2, 8), -1);  /* -1.25 -> -1 */
    assert_int_equal(cm_fix_rescale(5, 2, 8), 1);    /*  1.25 ->  1 */
    assert_int_equal(cm_fix_rescale(-9, 3, 8), -1);  /* -1.125 -> -1 */
    assert_int_equal(cm_fix_rescale(1000, 2, 8), 127);
    assert_int_equal(cm_fix_rescale(-1000, 2, 8), -128);
    assert_int_equal(cm_fix_rescale(-129, 0, 8), -128); /* frac_w = 0: saturate only */
    assert_int_equal(cm_fix_rescale(-100, 0, 8), -100);
    assert_int_equal(cm_fix_rescale(INT64_MAX, 4, 16), 32767);
    assert_int_equal(cm_fix_rescale(INT64_MIN, 4, 16), -32768);
    /* (-2^63 + 2^61) / 2^62 = -1.5 -> -2 ; (2^63 - 1 + 2^61) / 2^62 < 2.5 -> 2 */
    assert_int_equal(cm_fix_rescale(INT64_MIN, 62, 16), -2);
    assert_int_equal(cm_fix_rescale(INT64_MAX, 62, 16), 2);
    assert_int_equal(cm_fix_rescale(INT64_MIN, 63, 16), -1);
    assert_int_equal(cm_fix_rescale(INT64_MAX, 63, 16), 1);
    assert_int_equal(cm_fix_rescale(12345, 70, 16), 0);

    cm_fix fx = {8, 6, 4};
    assert_int_equal(cm_fix_check(&fx, NULL, 0), 0);
    char err[CM_ERRLEN] = "";
    fx.bits = 17;
    assert_int_equal(cm_fix_check(&fx, err, sizeof err), -1);
    assert_true(strlen(err) > 0);
    fx.bits = 1;
    assert_int_equal(cm_fix_check(&fx, NULL, 0), -1);
    fx.bits = 8;
    fx.frac_w = 8;
    assert_int_equal(cm_fix_check(&fx, NULL, 0), -1);
    fx.frac_w = 0;
    fx.frac_a = -1;
    assert_int_equal(cm_fix_check(&fx, NULL, 0), -1);
}

/* ------------------------------------------- fixed-point reference */

static int64_t ref_rescale(int64_t acc, int shift, int bits)
{
    int64_t d = (int64_t)1 << shift, a = acc + (shift ? d / 2 : 0);
    int64_t q = a / d;
    if (a % d != 0 && a < 0)
        q--;
    int64_t hi = ((int64_t)1 << (bits - 1)) - 1, lo = -hi - 1;
    return q > hi ? hi : q < lo ? lo : q;
}

/* Offset of the element with index values val[] in a tensor listing ids in order. */
static int64_t offset_of(const cm_net *net, const int *ids, int nids, const int *val)
{
    int64_t off = 0;
    for (int k = 0; k < nids; k++)
        off = off * net->size[ids[k]] + val[ids[k]];
    return off;
}

static int mask_ids(uint32_t m, int *ids)
{
    int n = 0;
    for (int id = 0; id < 32; id++)
        if (m & (1u << id))
            ids[n++] = id;
    return n;
}

/* One step, the obvious way: every output element, every consumed combination. */
static int64_t ref_qstep(const cm_net *net, uint32_t T, int f, const int32_t *in,
                         const int32_t *F, int32_t *out, int shift, int bits, int64_t *nsat)
{
    int tid[32], oid[32], cid[32];
    int nt = mask_ids(T, tid), no = mask_ids(T ^ net->fmask[f], oid);
    int nc = mask_ids(T & net->fmask[f], cid);
    int64_t nout = 1, ncons = 1;
    for (int k = 0; k < no; k++)
        nout *= net->size[oid[k]];
    for (int k = 0; k < nc; k++)
        ncons *= net->size[cid[k]];
    int64_t hi = ((int64_t)1 << (bits - 1)) - 1;
    for (int64_t e = 0; e < nout; e++) {
        int val[32] = {0};
        int64_t r = e;
        for (int k = no - 1; k >= 0; k--) {
            val[oid[k]] = (int)(r % net->size[oid[k]]);
            r /= net->size[oid[k]];
        }
        int64_t acc = 0;
        for (int64_t c = 0; c < ncons; c++) {
            r = c;
            for (int k = nc - 1; k >= 0; k--) {
                val[cid[k]] = (int)(r % net->size[cid[k]]);
                r /= net->size[cid[k]];
            }
            acc += (int64_t)in[offset_of(net, tid, nt, val)] *
                   F[offset_of(net, net->idx[f], net->nidx[f], val)];
        }
        out[e] = (int32_t)ref_rescale(acc, shift, bits);
        *nsat += out[e] == hi || out[e] == -hi - 1;
    }
    return nout;
}

static void ref_qmatvec(const cm_qweights *q, const cm_order *o, const int32_t *x,
                        int32_t *y, int64_t *nsat)
{
    const cm_net *net = &q->net;
    int64_t cap = cm_matvec_work_size(net, o);
    int32_t *a = malloc((size_t)cap * sizeof *a), *b = malloc((size_t)cap * sizeof *b);
    memcpy(a, x, (size_t)cm_net_mask_size(net, net->xmask) * sizeof *a);
    uint32_t T = net->xmask;
    for (int s = 0; s < o->n; s++) {
        int64_t n = ref_qstep(net, T, o->f[s], a, q->f[o->f[s]], b, q->fix.frac_w,
                              q->fix.bits, nsat);
        T ^= net->fmask[o->f[s]];
        memcpy(a, b, (size_t)n * sizeof *a);
    }
    memcpy(y, a, (size_t)cm_net_mask_size(net, net->ymask) * sizeof *y);
    free(a);
    free(b);
}

static void check_qmatvec(const cm_format *f, const cm_fix *fx, double wscale,
                          double xscale, uint64_t seed, int64_t *nsat)
{
    cm_weights w;
    cm_qweights q;
    alloc_ok(f, &w);
    cm_weights_random(&w, seed, wscale);
    assert_int_equal(cm_qweights_from(&w, fx, &q, NULL, 0), 0);
    for (int k = 0; k < w.net.nf; k++) /* quantized with frac_w */
        assert_int_equal(q.f[k][0], cm_fix_quantize(w.f[k][0], fx->bits, fx->frac_w));
    int64_t M = cm_net_mask_size(&w.net, w.net.ymask), N = cm_net_mask_size(&w.net, w.net.xmask);
    int32_t *x = malloc((size_t)N * sizeof *x), *y = malloc((size_t)M * sizeof *y);
    int32_t *yr = malloc((size_t)M * sizeof *yr);
    for (int64_t j = 0; j < N; j++)
        x[j] = cm_fix_quantize(xscale * rnd_unit(), fx->bits, fx->frac_a);
    for (int rep = 0; rep < 2; rep++) {
        cm_order o;
        random_order(f, &w.net, &o);
        int64_t ws = cm_matvec_work_size(&w.net, &o);
        int32_t *work = malloc((size_t)(2 * ws) * sizeof *work);
        cm_qmatvec(&q, &o, x, y, work);
        ref_qmatvec(&q, &o, x, yr, nsat);
        assert_memory_equal(y, yr, (size_t)M * sizeof *y);
        free(work);
    }
    free(x);
    free(y);
    free(yr);
    cm_qweights_free(&q);
    cm_weights_free(&w);
}

static void test_qmatvec_reference(void **state)
{
    (void)state;
    rng_state = 6;
    int64_t sat_normal = 0, sat_forced = 0;
    for (int bits = 8; bits <= 16; bits++) {
        for (int rep = 0; rep < 6; rep++) {
            int d = rnd(2, 5);
            cm_format f;
            random_format(&f, d, rep % 3 == 0 ? CM_TT : CM_HT, 3, 4);
            cm_fix fx = {bits, bits - 2, bits / 2};
            /* Moderate values: rounding in every step, little saturation. */
            check_qmatvec(&f, &fx, 0.9, 1.0, 1000 + (uint64_t)rep, &sat_normal);
            /* Large values: weights, x and intermediates saturate. */
            cm_fix fs = {bits, bits - 3, 1};
            check_qmatvec(&f, &fs, 6.0, 1e9, 2000 + (uint64_t)rep, &sat_forced);
            /* frac_w = 0: products are only summed and saturated. */
            cm_fix fz = {bits, 0, 0};
            check_qmatvec(&f, &fz, 3.0, 5.0, 3000 + (uint64_t)rep, &sat_forced);
        }
    }
    assert_true(sat_forced > 1000); /* the saturation paths were exercised */

    /* A bad fixed-point format is refused. */
    cm_format f;
    cm_weights w;
    cm_qweights q;
    random_format(&f, 2, CM_TT, 2, 2);
    alloc_ok(&f, &w);
    cm_fix bad = {20, 2, 2};
    char err[CM_ERRLEN] = "";
    assert_int_equal(cm_qweights_from(&w, &bad, &q, err, sizeof err), -1);
    assert_true(strlen(err) > 0);
    cm_qweights_free(&q);
    cm_weights_free(&w);
}

/* -------------------------------------------- the LSTM-UCF input layer */

static void time_ucf(const cm_format *f, const char *name)
{
    cm_weights w;
    cm_qweights q;
    cm_order o;
    cm_order_cost c;
    alloc_ok(f, &w);
    cm_weights_random(&w, 77, 0.5);
    cm_order_best(&w.net, &o, &c);
    int64_t N = 57600, M = 1024, ws = cm_matvec_work_size(&w.net, &o);
    assert_int_equal(cm_net_mask_size(&w.net, w.net.xmask), N);
    double *x = malloc((size_t)N * sizeof *x), *y = malloc((size_t)M * sizeof *y);
    double *work = malloc((size_t)(2 * ws) * sizeof *work);
    for (int64_t j = 0; j < N; j++)
        x[j] = rnd_unit();

    /* Best of REPS calls: the machine may be shared. */
    enum { REPS = 8 };
    double td = 1e30, tq = 1e30;
    for (int r = 0; r < REPS; r++) {
        double t0 = now_s();
        cm_matvec(&w, &o, x, y, work);
        t0 = now_s() - t0;
        td = t0 < td ? t0 : td;
    }

    /* Spot-check two rows with the element formula (no 59 M dense matrix). */
    int64_t rows[] = {0, 1023};
    for (int k = 0; k < 2; k++) {
        double s = 0, sa = 0;
        for (int64_t j = 0; j < N; j++) {
            double e = elem(&w, f, rows[k], j) * x[j];
            s += e;
            sa += fabs(e);
        }
        assert_true(fabs(y[rows[k]] - s) <= 1e-12 * sa);
    }

    cm_fix fx = {16, 14, 10};
    assert_int_equal(cm_qweights_from(&w, &fx, &q, NULL, 0), 0);
    int32_t *qx = malloc((size_t)N * sizeof *qx), *qy = malloc((size_t)M * sizeof *qy);
    int32_t *qwork = malloc((size_t)(2 * ws) * sizeof *qwork);
    for (int64_t j = 0; j < N; j++)
        qx[j] = cm_fix_quantize(x[j], fx.bits, fx.frac_a);
    for (int r = 0; r < REPS; r++) {
        double t0 = now_s();
        cm_qmatvec(&q, &o, qx, qy, qwork);
        t0 = now_s() - t0;
        tq = t0 < tq ? t0 : tq;
    }
    /* The 16-bit datapath tracks double precision. */
    double num = 0, den = 0;
    for (int64_t i = 0; i < M; i++) {
        double e = cm_fix_value(qy[i], fx.frac_a) - y[i];
        num += e * e;
        den += y[i] * y[i];
    }
    double sqnr = 10 * log10(den / num);
    char buf[64];
    cm_order_format(&w.net, &o, buf, sizeof buf);
    printf("UCF %s: order %s, %lld MACs; double matvec %.3f ms, 16-bit matvec %.3f ms, "
           "SQNR %.1f dB\n", name, buf, (long long)c.macs, td * 1e3, tq * 1e3, sqnr);
    assert_true(sqnr > 40);
    free(x);
    free(y);
    free(work);
    free(qx);
    free(qy);
    free(qwork);
    cm_qweights_free(&q);
    cm_weights_free(&w);
}

static void test_ucf_timing(void **state)
{
    (void)state;
    cm_format f;
    int m[] = {16, 4, 4, 4}, n[] = {8, 20, 20, 18};
    rng_state = 8;
    memset(&f, 0, sizeof f);
    f.kind = CM_HT;
    f.modes.d = 4;
    memcpy(f.modes.m, m, sizeof m);
    memcpy(f.modes.n, n, sizeof n);
    assert_int_equal(ht_parse("((1:4,2:4):4,(3:4,4:4):4)", &f.tree, NULL, 0), 0);
    time_ucf(&f, "HT balanced rank 4");
    f.kind = CM_TT;
    int r[] = {1, 4, 4, 4, 1};
    memcpy(f.tt_rank, r, sizeof r);
    time_ucf(&f, "TT rank 4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_to_dense_tt),
        cmocka_unit_test(test_to_dense_ht),
        cmocka_unit_test(test_to_dense_ht_explicit),
        cmocka_unit_test(test_matvec_random),
        cmocka_unit_test(test_matvec_dense_format),
        cmocka_unit_test(test_every_order_same_y),
        cmocka_unit_test(test_weights_random),
        cmocka_unit_test(test_fix_helpers),
        cmocka_unit_test(test_qmatvec_reference),
        cmocka_unit_test(test_ucf_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
