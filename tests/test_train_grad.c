/*
 * test_train_grad.c - the trainer's numerics, in the double-precision build
 * of the very code `dse train` runs in single precision (the Makefile
 * compiles costmodel/tensor/tn*.c and tr_*.c with -DTN_DOUBLE for this program):
 *   - tn (the batched contraction engine) against cm_matvec, the functional
 *     model's independent contraction, for HT (two tree shapes), TT and
 *     dense, every order of a 3-mode HT tree; reconstruction against
 *     cm_weights_to_dense;
 *   - the model's loss against an independent forward pass: cm_lstm_step (the
 *     functional model's LSTM cell on the decomposed weights) then the
 *     classifier and cross-entropy written out here;
 *   - every analytic gradient (every factor of every format, the bias, the
 *     classifier) against central finite differences of the loss, in
 *     partial, separate and concat, contracted factored and dense.
 */
#include "test_util.h"

#include "cm_lstm.h"
#include "cm_point.h"
#include "tn.h"
#include "tr_model.h"

_Static_assert(sizeof(tn_real) == sizeof(double), "this test needs the -DTN_DOUBLE build");

/* ------------------------------------------------------------ tn vs matvec */

static void fill_random(cm_weights *w, uint64_t seed)
{
    cm_weights_random(w, seed, 1.0);
}

typedef struct {
    cm_weights w;
    const cm_order *o;
    int checked;
} order_ctx;

/* y of every row through tn equals cm_matvec row by row. */
static int check_order(const cm_order *o, void *ud)
{
    order_ctx *c = ud;
    const cm_net *net = &c->w.net;
    tn_plan *p;
    char err[256];
    int nb = 3;
    assert_int_equal(tn_plan_new(net, o, 0, nb, &p, err, sizeof err), 0);
    int64_t N = tn_in_size(p), M = tn_out_size(p);
    double *x = malloc((size_t)(nb * N) * sizeof *x), *y = malloc((size_t)(nb * M) * sizeof *y);
    double *yr = malloc((size_t)M * sizeof *yr);
    double *tape = malloc((size_t)(nb * tn_tape_size(p)) * sizeof *tape);
    double *work = malloc((size_t)(2 * cm_matvec_work_size(net, o)) * sizeof *work);
    uint64_t st = 7;
    for (int64_t i = 0; i < nb * N; i++)
        x[i] = 2 * cm_rand_uniform(&st) - 1;
    tn_prepare(p, c->w.f);
    tn_forward(p, nb, x, y, tape);
    for (int b = 0; b < nb; b++) {
        cm_matvec(&c->w, o, x + b * N, yr, work);
        for (int64_t i = 0; i < M; i++)
            assert_true(fabs(y[b * M + i] - yr[i]) <= 1e-12 * (1 + fabs(yr[i])));
    }
    free(x);
    free(y);
    free(yr);
    free(tape);
    free(work);
    tn_plan_free(p);
    c->checked++;
    return 0;
}

static void format_of(const char *spec, cm_format *f)
{
    /* spec: "ht M N TREE" | "tt M N RANKS" | "dense M N" via a network string */
    char err[256];
    cm_point p;
    if (cm_point_parse_net(spec, &p, err, sizeof err))
        fail_msg("%s: %s", spec, err);
    *f = p.wx.fmt;
}

/* A grouped plan chosen for batch_rows rows: y = cm_matvec's. */
static void check_gplan(cm_weights *w, int64_t batch_rows, int *merged)
{
    tn_gplan *g;
    char err[256];
    int nb = 3;
    assert_int_equal(tn_gplan_new(&w->net, nb, batch_rows, 1, &g, err, sizeof err), 0);
    *merged += strchr(tn_gplan_describe(g), '+') != NULL;
    cm_order o;
    cm_order_default(&w->net, &o);
    int64_t N = cm_net_mask_size(&w->net, w->net.xmask), M = cm_net_mask_size(&w->net, w->net.ymask);
    double *x = malloc((size_t)(nb * N) * sizeof *x), *y = malloc((size_t)(nb * M) * sizeof *y);
    double *yr = malloc((size_t)M * sizeof *yr);
    double *tape = malloc((size_t)(nb * tn_gplan_tape_size(g)) * sizeof *tape);
    double *work = malloc((size_t)(2 * cm_matvec_work_size(&w->net, &o)) * sizeof *work);
    uint64_t st = 9;
    for (int64_t i = 0; i < nb * N; i++)
        x[i] = 2 * cm_rand_uniform(&st) - 1;
    tn_gplan_prepare(g, w->f);
    tn_gplan_forward(g, nb, x, y, tape);
    for (int b = 0; b < nb; b++) {
        cm_matvec(w, &o, x + b * N, yr, work);
        for (int64_t i = 0; i < M; i++)
            if (fabs(y[b * M + i] - yr[i]) > 1e-12 * (1 + fabs(yr[i])))
                fail_msg("groups %s: y[%lld] %.17g, matvec %.17g", tn_gplan_describe(g),
                         (long long)i, y[b * M + i], yr[i]);
    }
    free(x);
    free(y);
    free(yr);
    free(tape);
    free(work);
    tn_gplan_free(g);
}

static void test_tn_matches_matvec(void **state)
{
    (void)state;
    int merged = 0;
    static const char *nets[] = {
        "mv/wx;f=ht;m=2x3x2;n=3x2x4;t=((1:2,2:3):2,3:2)",
        "mv/wx;f=ht;m=2x3x2;n=3x2x4;t=(1:2,(2:3,3:2):3)",
        "mv/wx;f=ht;m=2x2x2x2;n=2x3x2x2;t=((1:2,2:2):3,(3:2,4:3):2)",
        "mv/wx;f=tt;m=2x3x2;n=3x2x4;r=1,3,2,1",
        "mv/wx;f=dense;m=6;n=8",
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        cm_format f;
        char err[256];
        format_of(nets[i], &f);
        order_ctx c = {0};
        assert_int_equal(cm_weights_alloc(&f, &c.w, err, sizeof err), 0);
        fill_random(&c.w, 100 + i);
        assert_int_equal(cm_order_enumerate(&c.w.net, check_order, &c), 0);
        assert_true(c.checked >= 1);
        /* grouped plans (factors merged ahead) give the same y */
        for (int64_t rows = 1; rows <= 1000000; rows *= 1000)
            check_gplan(&c.w, rows, &merged);
        /* reconstruction (up the tree for HT) = cm_weights_to_dense, and its
         * backward = the adjoint: <dW, W(f + e_i)> - <dW, W(f)> is linear in
         * each factor, so a random dW's gradient equals a finite difference */
        tn_recon *r;
        assert_int_equal(tn_recon_new(&c.w.net, f.kind == CM_HT ? &f.tree : NULL, &r, err,
                                      sizeof err), 0);
        int64_t MN = cm_modes_rows(&f.modes) * cm_modes_cols(&f.modes);
        double *W = malloc((size_t)MN * sizeof *W), *Wr = malloc((size_t)MN * sizeof *Wr);
        double *dW = malloc((size_t)MN * sizeof *dW), *g[CM_NET_MAXF];
        tn_recon_forward(r, c.w.f, W);
        assert_int_equal(cm_weights_to_dense(&c.w, Wr, err, sizeof err), 0);
        for (int64_t k = 0; k < MN; k++)
            assert_true(fabs(W[k] - Wr[k]) <= 1e-12 * (1 + fabs(Wr[k])));
        uint64_t st = 77;
        for (int64_t k = 0; k < MN; k++)
            dW[k] = 2 * cm_rand_uniform(&st) - 1;
        for (int fi = 0; fi < c.w.net.nf; fi++)
            g[fi] = calloc((size_t)cm_net_mask_size(&c.w.net, c.w.net.fmask[fi]), sizeof(double));
        tn_recon_backward(r, dW, g);
        for (int fi = 0; fi < c.w.net.nf; fi++) {
            int64_t n = cm_net_mask_size(&c.w.net, c.w.net.fmask[fi]);
            for (int64_t e = 0; e < n; e++) {
                double keep = c.w.f[fi][e], lp = 0, lm = 0;
                c.w.f[fi][e] = keep + 1e-4;
                tn_recon_forward(r, c.w.f, W);
                for (int64_t k = 0; k < MN; k++)
                    lp += dW[k] * W[k];
                c.w.f[fi][e] = keep - 1e-4;
                tn_recon_forward(r, c.w.f, W);
                for (int64_t k = 0; k < MN; k++)
                    lm += dW[k] * W[k];
                c.w.f[fi][e] = keep;
                double fd = (lp - lm) / 2e-4;
                if (fabs(fd - g[fi][e]) > 1e-8 * (1 + fabs(fd)))
                    fail_msg("%s: factor %d element %lld: recon gradient %.12g, fd %.12g",
                             nets[i], fi, (long long)e, g[fi][e], fd);
            }
            free(g[fi]);
        }
        free(W);
        free(Wr);
        free(dW);
        tn_recon_free(r);
        cm_weights_free(&c.w);
    }
    assert_true(merged > 0); /* some plan merged factors: the grouped path ran */
}

/* ------------------------------------------------------------ the model */

enum { NB = 2, T = 3, CLASSES = 3 };

/* Tiny LSTM points: n_in 12, H 2 (4H = 8). */
static const char *const g_points[] = {
    "lstm;nin=12;h=2;dec=partial/wx;f=ht;m=2x2x2;n=2x3x2;t=((1:2,2:2):2,3:2)"
    "/wh;f=dense;m=8;n=2",
    "lstm;nin=12;h=2;dec=partial/wx;f=ht;m=2x2x2;n=2x3x2;t=(1:2,(2:3,3:2):2)"
    "/wh;f=dense;m=8;n=2",
    "lstm;nin=12;h=2;dec=separate/wx;f=tt;m=2x2x2;n=2x3x2;r=1,2,3,1"
    "/wh;f=ht;m=2x2x2;n=1x2x1;t=((1:2,2:2):2,3:2)",
    "lstm;nin=12;h=2;dec=separate/wx;f=dense;m=8;n=12/wh;f=tt;m=2x4;n=2x1;r=1,2,1",
    "lstm;nin=12;h=2;dec=concat;pad=16/wx;f=ht;m=2x2x2;n=2x4x2;t=((1:2,2:2):3,3:2)",
    "lstm;nin=12;h=2;dec=concat;pad=16/wx;f=ht;m=2x2x2;n=2x4x2;t=(1:2,(2:2,3:2):2)",
    "lstm;nin=12;h=2;dec=concat;pad=14/wx;f=tt;m=2x4;n=2x7;r=1,3,1",
    "lstm;nin=12;h=2;dec=concat;pad=14/wx;f=dense;m=8;n=14",
};

static tr_model *model_of(const char *pt, tr_contract c, cm_point *p)
{
    char err[256];
    tr_model *m;
    if (cm_point_parse_net(pt, p, err, sizeof err))
        fail_msg("%s: %s", pt, err);
    tr_opts o = {CLASSES, T, NB, c};
    tr_layer l = {p->n_in, p->hidden, p->n_pad, p->decomp, &p->wx.fmt, &p->wh.fmt};
    if (tr_model_new(&l, &o, &m, err, sizeof err))
        fail_msg("%s: %s", pt, err);
    tr_init(m, 11);
    /* Larger, non-zero biases and classifier so every path carries signal. */
    uint64_t st = 5;
    tn_real *th = tr_params(m);
    for (int64_t i = tr_weight_params(m); i < tr_nparams(m); i++)
        th[i] = 0.5 * (2 * cm_rand_uniform(&st) - 1);
    return m;
}

static void data(double *x, int32_t *y)
{
    uint64_t st = 3;
    for (int i = 0; i < NB * T * 12; i++)
        x[i] = 2 * cm_rand_uniform(&st) - 1;
    y[0] = 2;
    y[1] = 0;
}

/* The loss written out: cm_lstm_step on the factors, then fc and CE. */
static double reference_loss(tr_model *m, const cm_point *p, const double *x, const int32_t *y)
{
    char err[256];
    cm_weights w[2];
    const tn_real *th = tr_params(m);
    int nmat = p->decomp == CM_DECOMP_CONCAT ? 1 : 2, H = p->hidden;
    int64_t off = 0;
    for (int k = 0; k < nmat; k++) {
        assert_int_equal(cm_weights_alloc(k ? &p->wh.fmt : &p->wx.fmt, &w[k], err, sizeof err), 0);
        for (int f = 0; f < w[k].net.nf; f++) {
            int64_t n = cm_net_mask_size(&w[k].net, w[k].net.fmask[f]);
            memcpy(w[k].f[f], th + off, (size_t)n * sizeof(double));
            off += n;
        }
    }
    assert_int_equal(off, tr_weight_params(m));
    const double *bias = th + off, *fcw = bias + 4 * H, *fcb = fcw + CLASSES * H;
    cm_lstm L = {p->n_in, H, p->n_pad, p->decomp, &w[0], nmat == 2 ? &w[1] : NULL,
                 p->wx.order, p->wh.order, bias};
    assert_int_equal(cm_lstm_check(&L, err, sizeof err), 0);
    double *work = malloc(cm_lstm_work_size(&L) * sizeof *work), loss = 0;
    for (int b = 0; b < NB; b++) {
        double h[2] = {0, 0}, c[2] = {0, 0}, z[CLASSES];
        for (int t = 0; t < T; t++)
            cm_lstm_step(&L, x + (b * T + t) * 12, h, c, work);
        double mx = -1e300, s = 0;
        for (int k = 0; k < CLASSES; k++) {
            z[k] = fcb[k] + fcw[k * H] * h[0] + fcw[k * H + 1] * h[1];
            mx = z[k] > mx ? z[k] : mx;
        }
        for (int k = 0; k < CLASSES; k++)
            s += exp(z[k] - mx);
        loss += log(s) + mx - z[y[b]];
    }
    free(work);
    for (int k = 0; k < nmat; k++)
        cm_weights_free(&w[k]);
    return loss / NB;
}

/* check(m, p, name, x, y) on a model of every point of g_points in every
 * contraction, all on the same batch. */
static void each_model(void (*check)(tr_model *m, const cm_point *p, const char *name,
                                     const double *x, const int32_t *y))
{
    double x[NB * T * 12];
    int32_t y[NB];
    data(x, y);
    for (size_t i = 0; i < sizeof g_points / sizeof g_points[0]; i++)
        for (int c = TR_FACTORED; c <= TR_GROUPED; c++) {
            cm_point p;
            tr_model *m = model_of(g_points[i], (tr_contract)c, &p);
            check(m, &p, g_points[i], x, y);
            tr_model_free(m);
        }
}

static void forward_matches(tr_model *m, const cm_point *p, const char *name, const double *x,
                            const int32_t *y)
{
    int right;
    double l = tr_batch(m, NB, x, y, 0, &right), r = reference_loss(m, p, x, y);
    if (fabs(l - r) > 1e-12 * (1 + fabs(r)))
        fail_msg("%s (%s %s): loss %.17g, reference %.17g", name, tr_contract_name(m, 0),
                 tr_groups(m, 0), l, r);
    assert_true(right >= 0 && right <= NB);
}

static void test_forward_matches_reference(void **state)
{
    (void)state;
    each_model(forward_matches);
}

static void gradients_match(tr_model *m, const cm_point *p, const char *name, const double *x,
                            const int32_t *y)
{
    (void)p;
    int right;
    int64_t n = tr_nparams(m);
    tr_batch(m, NB, x, y, 1, &right);
    double *g = malloc((size_t)n * sizeof *g);
    assert_non_null(g);
    memcpy(g, tr_grads(m), (size_t)n * sizeof *g);
    tn_real *th = tr_params(m);
    double worst = 0, gmax = 0;
    for (int64_t k = 0; k < n; k++) {
        double keep = th[k], h = 1e-6;
        th[k] = keep + h;
        double lp = tr_batch(m, NB, x, y, 0, &right);
        th[k] = keep - h;
        double lm = tr_batch(m, NB, x, y, 0, &right);
        th[k] = keep;
        double fd = (lp - lm) / (2 * h), e = fabs(fd - g[k]);
        worst = e > worst ? e : worst;
        gmax = fabs(g[k]) > gmax ? fabs(g[k]) : gmax;
    }
    /* Central differences in double: error ~h^2 f''' + eps/h ~ 1e-10. */
    if (worst > 1e-7 || gmax < 1e-3)
        fail_msg("%s (%s): worst |fd - analytic| %.3g, largest gradient %.3g", name,
                 tr_contract_name(m, 0), worst, gmax);
    if (getenv("TG_VERBOSE"))
        fprintf(stderr, "%s %s: %lld parameters, worst %.2g, largest %.2g\n", name,
                tr_contract_name(m, 0), (long long)n, worst, gmax);
    free(g);
}

static void test_gradients_match_finite_differences(void **state)
{
    (void)state;
    each_model(gradients_match);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tn_matches_matvec),
        cmocka_unit_test(test_forward_matches_reference),
        cmocka_unit_test(test_gradients_match_finite_differences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
