/*
 * test_lstm.c - one LSTM time step on decomposed weights (cm_lstm.c) against
 * a dense LSTM written out here from the textbook equations, for the
 * partial, separate and concatenated decompositions, plus shape checks.
 */
#include "test_util.h"

#include "cm_lstm.h"

enum { H = 4, NIN = 12, NPAD = 18, STEPS = 5 };

static void make_format(cm_format *f, cm_kind kind, const char *tree, int d, const int *m,
                        const int *n, const int *tt_rank)
{
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->modes.d = d;
    memcpy(f->modes.m, m, (size_t)d * sizeof *m);
    memcpy(f->modes.n, n, (size_t)d * sizeof *n);
    if (kind == CM_HT)
        assert_int_equal(ht_parse(tree, &f->tree, NULL, 0), 0);
    if (kind == CM_TT)
        memcpy(f->tt_rank, tt_rank, (size_t)(d + 1) * sizeof *tt_rank);
}

static void make_weights(const cm_format *f, uint64_t seed, cm_weights *w, double **dense)
{
    char err[CM_ERRLEN] = "";
    int rc = cm_weights_alloc(f, w, err, sizeof err);
    if (rc)
        fprintf(stderr, "cm_weights_alloc: %s\n", err);
    assert_int_equal(rc, 0);
    cm_weights_random(w, seed, 0.6);
    int64_t M = cm_modes_rows(&f->modes), N = cm_modes_cols(&f->modes);
    *dense = malloc((size_t)(M * N) * sizeof **dense);
    assert_int_equal(cm_weights_to_dense(w, *dense, NULL, 0), 0);
}

static double sig(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

/*
 * Dense reference: z = Wx x + Wh h + b with Wx a 4H x nx block starting at
 * column 0 of a matrix with ldx columns (so the concatenated matrix can be
 * passed with Wh = its columns NIN..NIN+H-1), then the gates i, f, g, o.
 */
static void dense_step(const double *Wx, int ldx, int nx, const double *Wh, int ldh,
                       const double *b, const double *x, double *h, double *c)
{
    double z[4 * H];
    for (int r = 0; r < 4 * H; r++) {
        double s = b ? b[r] : 0.0;
        for (int j = 0; j < nx; j++)
            s += Wx[r * ldx + j] * x[j];
        for (int j = 0; j < H; j++)
            s += Wh[r * ldh + j] * h[j];
        z[r] = s;
    }
    for (int k = 0; k < H; k++) {
        double ig = sig(z[k]), fg = sig(z[H + k]), gg = tanh(z[2 * H + k]);
        double og = sig(z[3 * H + k]);
        c[k] = fg * c[k] + ig * gg;
        h[k] = og * tanh(c[k]);
    }
}

/* Runs STEPS steps of L and of the dense reference; h and c must agree. */
static void run_and_compare(const cm_lstm *L, const double *Wx, int ldx, const double *Wh,
                            int ldh)
{
    char err[CM_ERRLEN] = "";
    int rc = cm_lstm_check(L, err, sizeof err);
    if (rc)
        fprintf(stderr, "cm_lstm_check: %s\n", err);
    assert_int_equal(rc, 0);
    size_t nw = cm_lstm_work_size(L);
    double *work = malloc(nw * sizeof *work);
    for (size_t k = 0; k < nw; k++) /* stale scratch must never leak into z */
        work[k] = 1e30;
    double h[H] = {0.1, -0.2, 0.3, 0.0}, c[H] = {0.5, -0.5, 0.0, 0.2};
    double hr[H], cr[H], x[NIN];
    memcpy(hr, h, sizeof h);
    memcpy(cr, c, sizeof c);
    uint64_t st = 99;
    for (int t = 0; t < STEPS; t++) {
        for (int j = 0; j < NIN; j++)
            x[j] = 2.0 * cm_rand_uniform(&st) - 1.0;
        cm_lstm_step(L, x, h, c, work);
        dense_step(Wx, ldx, NIN, Wh, ldh, L->bias, x, hr, cr);
        for (int k = 0; k < H; k++) {
            assert_true(fabs(h[k] - hr[k]) <= 1e-12);
            assert_true(fabs(c[k] - cr[k]) <= 1e-12);
        }
    }
    /* The state moved: the comparison was not between two constants. */
    assert_true(fabs(h[0] - 0.1) > 1e-6 || fabs(h[1] + 0.2) > 1e-6);
    free(work);
}

static void bias16(double *b)
{
    for (int r = 0; r < 4 * H; r++)
        b[r] = 0.05 * (r - 8);
}

/* A layer of two matrices (partial or separate) of formats fx, fh, with
 * seeded weights (seeds sx, sy), their dense forms and the bias; orders
 * unset. */
typedef struct {
    cm_weights wx, wh;
    double *Wx, *Wh, b[4 * H];
    cm_lstm L;
} two_mats;

static void two_mats_make(two_mats *t, const cm_format *fx, const cm_format *fh, uint64_t sx,
                          uint64_t sh, cm_decomp dc)
{
    make_weights(fx, sx, &t->wx, &t->Wx);
    make_weights(fh, sh, &t->wh, &t->Wh);
    bias16(t->b);
    memset(&t->L, 0, sizeof t->L);
    t->L.n_in = NIN;
    t->L.hidden = H;
    t->L.decomp = dc;
    t->L.wx = &t->wx;
    t->L.wh = &t->wh;
}

static void two_mats_free(two_mats *t)
{
    free(t->Wx);
    free(t->Wh);
    cm_weights_free(&t->wx);
    cm_weights_free(&t->wh);
}

static void test_partial(void **state)
{
    (void)state;
    cm_format fx, fh;
    int mx[] = {4, 4}, nx[] = {3, 4}, mh[] = {4, 4}, nh[] = {2, 2};
    make_format(&fx, CM_HT, "(1:3,2:3)", 2, mx, nx, NULL);
    make_format(&fh, CM_DENSE, NULL, 2, mh, nh, NULL);
    two_mats t;
    two_mats_make(&t, &fx, &fh, 1, 2, CM_DECOMP_PARTIAL);
    cm_lstm L = t.L;
    cm_weights *wx = &t.wx, *wh = &t.wh;
    double *Wx = t.Wx, *Wh = t.Wh, *b = t.b;
    cm_order_cost cost;
    cm_order_best(&wx->net, &L.ox, &cost);
    L.oh.n = 0; /* default */
    L.bias = b;
    run_and_compare(&L, Wx, NIN, Wh, H);
    L.bias = NULL;
    run_and_compare(&L, Wx, NIN, Wh, H);

    /* Shape errors. */
    char err[CM_ERRLEN] = "";
    L.hidden = 5;
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);
    assert_non_null(strstr(err, "expected"));
    L.hidden = H;
    L.n_in = NIN + 1;
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);
    L.n_in = NIN;
    L.wh = wx; /* not dense */
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);
    assert_non_null(strstr(err, "dense"));
    L.wh = wh;
    L.ox.n = 2;
    L.ox.f[0] = L.ox.f[1] = 0;
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);
    assert_non_null(strstr(err, "order"));
    L.ox.n = 0;
    L.hidden = 0;
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);
    L.hidden = H;
    L.decomp = (cm_decomp)7;
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);

    two_mats_free(&t);
}

static void test_separate(void **state)
{
    (void)state;
    cm_format fx, fh;
    int mx[] = {2, 2, 4}, nx[] = {2, 2, 3}, rx[] = {1, 3, 2, 1};
    int mh[] = {4, 4}, nh[] = {2, 2};
    make_format(&fx, CM_TT, NULL, 3, mx, nx, rx);
    make_format(&fh, CM_HT, "(1:2,2:3)", 2, mh, nh, NULL);
    two_mats t;
    two_mats_make(&t, &fx, &fh, 3, 4, CM_DECOMP_SEPARATE);
    cm_lstm L = t.L;
    assert_int_equal(cm_order_parse(&t.wx.net, "3,1,2", &L.ox, NULL, 0), 0);
    assert_int_equal(cm_order_parse(&t.wh.net, "2,1,12", &L.oh, NULL, 0), 0);
    L.bias = t.b;
    run_and_compare(&L, t.Wx, NIN, t.Wh, H);

    char err[CM_ERRLEN] = "";
    L.wh = NULL;
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);
    L.wh = &t.wx; /* 16 x 12, not 16 x 4 */
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);

    two_mats_free(&t);
}

static void test_concat(void **state)
{
    (void)state;
    cm_format f;
    cm_weights w;
    double *W, b[4 * H];
    /* [Wx | Wh | pad]: 16 x 18, n_pad = 18 >= 12 + 4. */
    int m[] = {2, 2, 4}, n[] = {2, 3, 3};
    make_format(&f, CM_HT, "((1:2,2:3):3,3:2)", 3, m, n, NULL);
    make_weights(&f, 5, &w, &W);
    bias16(b);
    cm_lstm L;
    memset(&L, 0, sizeof L);
    L.n_in = NIN;
    L.hidden = H;
    L.n_pad = NPAD;
    L.decomp = CM_DECOMP_CONCAT;
    L.wx = &w;
    L.wh = NULL;
    cm_order_cost cost;
    cm_order_best(&w.net, &L.ox, &cost);
    L.bias = b;
    /* The reference never reads columns 16 and 17: the padding must be zero. */
    run_and_compare(&L, W, NPAD, W + NIN, NPAD);

    char err[CM_ERRLEN] = "";
    L.n_pad = 15;
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);
    assert_non_null(strstr(err, "n_pad"));
    L.n_pad = 20; /* does not match the matrix */
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), -1);

    free(W);
    cm_weights_free(&w);
}

static void test_decomp_names(void **state)
{
    (void)state;
    cm_decomp d;
    assert_string_equal(cm_decomp_name(CM_DECOMP_PARTIAL), "partial");
    assert_string_equal(cm_decomp_name(CM_DECOMP_SEPARATE), "separate");
    assert_string_equal(cm_decomp_name(CM_DECOMP_CONCAT), "concat");
    assert_int_equal(cm_decomp_parse("concat", &d), 0);
    assert_int_equal(d, CM_DECOMP_CONCAT);
    assert_int_equal(cm_decomp_parse("separate", &d), 0);
    assert_int_equal(d, CM_DECOMP_SEPARATE);
    assert_int_equal(cm_decomp_parse("Partial", &d), -1);
    assert_int_equal(cm_decomp_parse("", &d), -1);
    assert_int_equal(cm_decomp_parse(NULL, &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partial),
        cmocka_unit_test(test_separate),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_decomp_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
