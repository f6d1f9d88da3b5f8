/*
 * cm_lstm.c - one LSTM time step on decomposed weights (cm_lstm.h): the
 * gate pre-activations come from one or two cm_matvec calls depending on
 * the decomposition (partial, separate, concatenated), then the usual cell
 * update.  Double precision only: this is the functional reference the
 * fixed-point and cycle-level models are compared against.
 */
#include "cm_lstm.h"

#include <math.h>
#include <string.h>

static const char *const decomp_names[] = {"partial", "separate", "concat"};

const char *cm_decomp_name(cm_decomp d) { return cm_name_of(decomp_names, 3, (int)d); }

int cm_decomp_parse(const char *s, cm_decomp *d)
{
    int i = cm_name_find(decomp_names, 3, s);
    if (i >= 0)
        *d = (cm_decomp)i;
    return i < 0 ? -1 : 0;
}

static int64_t rows_of(const cm_weights *w)
{
    return cm_net_mask_size(&w->net, w->net.ymask);
}

static int64_t cols_of(const cm_weights *w)
{
    return cm_net_mask_size(&w->net, w->net.xmask);
}

/* The order to use: o itself, or the default when o is empty (n == 0). */
static void pick_order(const cm_weights *w, const cm_order *o, cm_order *out)
{
    if (o->n == 0)
        cm_order_default(&w->net, out);
    else
        *out = *o;
}

static int check_matrix(const char *name, const cm_weights *w, const cm_order *o,
                        int64_t rows, int64_t cols, char *err, size_t errlen)
{
    char why[CM_ERRLEN];
    if (!w)
        return cm_fail(err, errlen, "%s: no weights", name);
    if (rows_of(w) != rows || cols_of(w) != cols)
        return cm_fail(err, errlen, "%s is %lld x %lld, expected %lld x %lld", name,
                       (long long)rows_of(w), (long long)cols_of(w), (long long)rows,
                       (long long)cols);
    if (o->n != 0 && cm_order_check(&w->net, o, why, sizeof why))
        return cm_fail(err, errlen, "%s order: %s", name, why);
    return 0;
}

int cm_lstm_check(const cm_lstm *L, char *err, size_t errlen)
{
    if (L->hidden < 1 || L->n_in < 1)
        return cm_fail(err, errlen, "LSTM sizes must be >= 1 (n_in %d, hidden %d)",
                       L->n_in, L->hidden);
    int64_t H4 = 4 * (int64_t)L->hidden, nx = L->n_in;
    switch (L->decomp) {
    case CM_DECOMP_PARTIAL:
        if (L->wh && L->wh->net.kind != CM_DENSE)
            return cm_fail(err, errlen, "partial decomposition needs a dense W_h");
        /* fall through */
    case CM_DECOMP_SEPARATE:
        if (check_matrix("W_x", L->wx, &L->ox, H4, nx, err, errlen))
            return -1;
        return check_matrix("W_h", L->wh, &L->oh, H4, L->hidden, err, errlen);
    case CM_DECOMP_CONCAT:
        if ((int64_t)L->n_pad < nx + L->hidden)
            return cm_fail(err, errlen, "n_pad %d is smaller than n_in + hidden = %lld",
                           L->n_pad, (long long)(nx + L->hidden));
        return check_matrix("[W_x|W_h]", L->wx, &L->ox, H4, L->n_pad, err, errlen);
    }
    return cm_fail(err, errlen, "unknown decomposition %d", (int)L->decomp);
}

static int64_t order_work(const cm_weights *w, const cm_order *o)
{
    cm_order use;
    pick_order(w, o, &use);
    return cm_matvec_work_size(&w->net, &use);
}

/*
 * Scratch layout: z (4H) | zh (4H) | xin (n_pad, concat only) | matvec work
 * (2 x the larger work size of the two products).
 */
size_t cm_lstm_work_size(const cm_lstm *L)
{
    int64_t H4 = 4 * (int64_t)L->hidden, ws = order_work(L->wx, &L->ox);
    int64_t xin = 0;
    if (L->decomp == CM_DECOMP_CONCAT) {
        xin = L->n_pad;
    } else {
        int64_t wh = order_work(L->wh, &L->oh);
        ws = wh > ws ? wh : ws;
    }
    return (size_t)(2 * H4 + xin + 2 * ws);
}

static double sigmoid(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

void cm_lstm_step(const cm_lstm *L, const double *x, double *h, double *c, double *work)
{
    int H = L->hidden;
    double *z = work, *zh = work + 4 * (size_t)H, *mv;
    cm_order o;

    if (L->decomp == CM_DECOMP_CONCAT) {
        double *xin = zh + 4 * (size_t)H;
        mv = xin + L->n_pad;
        memcpy(xin, x, (size_t)L->n_in * sizeof *x);
        memcpy(xin + L->n_in, h, (size_t)H * sizeof *h);
        memset(xin + L->n_in + H, 0, (size_t)(L->n_pad - L->n_in - H) * sizeof *xin);
        pick_order(L->wx, &L->ox, &o);
        cm_matvec(L->wx, &o, xin, z, mv);
    } else {
        mv = zh + 4 * (size_t)H;
        pick_order(L->wx, &L->ox, &o);
        cm_matvec(L->wx, &o, x, z, mv);
        pick_order(L->wh, &L->oh, &o);
        cm_matvec(L->wh, &o, h, zh, mv); /* h_{t-1}: read before the update below */
        for (int r = 0; r < 4 * H; r++)
            z[r] += zh[r];
    }
    if (L->bias)
        for (int r = 0; r < 4 * H; r++)
            z[r] += L->bias[r];
    for (int k = 0; k < H; k++) {
        double ig = sigmoid(z[k]), fg = sigmoid(z[H + k]);
        double gg = tanh(z[2 * H + k]), og = sigmoid(z[3 * H + k]);
        c[k] = fg * c[k] + ig * gg;
        h[k] = og * tanh(c[k]);
    }
}
