/*
 * tr_pass.c - one mini-batch through the LSTM classifier: forward, loss,
 * and backpropagation through time into the flat gradient (tr_model.h).
 *
 * Rows of the per-batch state are (clip b, frame t) -> b T + t, the order
 * of the input x, so frame t of every clip is a strided matrix (leading
 * dimension T times the row width) that BLAS reads in place.  The gate
 * pre-activations z of all frames start as W_x x + b; the recurrence adds
 * W_h h_{t-1} frame by frame.  Backward keeps dz of every frame, so the
 * input-side and dense recurrent weight gradients are one GEMM each over
 * all nb T rows at the end.
 */
#include "tr_impl.h"

#include <math.h>
#include <string.h>

/* A dense view of W's columns [off, off + cols) (ld = W's columns). */
typedef struct {
    const tn_real *W;
    tn_real *dW;
    int64_t off, ld;
} tr_view;

static tr_view view_x(tr_model *m)
{
    tr_mat *mm = &m->mat[0];
    return (tr_view){mm->W, mm->dW, 0, mm->cols};
}

static tr_view view_h(tr_model *m)
{
    if (m->decomp == CM_DECOMP_CONCAT) {
        tr_mat *mm = &m->mat[0];
        return (tr_view){mm->W, mm->dW, m->n_in, mm->cols};
    }
    tr_mat *mm = &m->mat[1];
    return (tr_view){mm->W, mm->dW, 0, mm->cols};
}

/* Whether the recurrent product is a dense view (else factored or joint). */
static int h_dense(const tr_model *m)
{
    return m->decomp == CM_DECOMP_CONCAT ? m->mat[0].dense : m->mat[1].dense;
}

static void factor_ptrs(tr_model *m, const tr_mat *mm, tn_real **f, tn_real **g)
{
    for (int i = 0; i < mm->net.nf; i++) {
        f[i] = m->theta + mm->foff[i];
        g[i] = m->grad + mm->foff[i];
    }
}

/* Before a batch (finish = 0), every matrix readied: a dense one
 * reconstructed once for the batch; after it (finish = 1), the gradients of
 * reconstructions and plans into the flat gradient. */
static void mats_sync(tr_model *m, int finish)
{
    for (int k = 0; k < 2; k++) {
        tr_mat *mm = &m->mat[k];
        tn_real *f[CM_NET_MAXF], *g[CM_NET_MAXF];
        if (!mm->present)
            continue;
        factor_ptrs(m, mm, f, g);
        if (mm->dense && mm->recon && !finish) {
            tn_recon_forward(mm->recon, f, mm->W);
            memset(mm->dW, 0, (size_t)(mm->rows * mm->cols) * sizeof(tn_real));
        } else if (mm->dense && mm->recon) {
            tn_recon_backward(mm->recon, mm->dW, g);
        } else if (mm->plan && !finish) {
            tn_gplan_prepare(mm->plan, f);
        } else if (mm->plan) {
            tn_gplan_finish(mm->plan, g);
        }
    }
}

static tn_real sigm(tn_real v) { return (tn_real)1 / ((tn_real)1 + (tn_real)exp(-v)); }

/* ---------------------------------------------------------------- forward */

/* z of every frame = W_x x + b (zero + b for a joint layer). */
static void input_side(tr_model *m, int nb, const tn_real *x)
{
    int R = nb * m->T, H4 = 4 * m->H;
    if (m->joint) {
        memset(m->zx, 0, (size_t)R * (size_t)H4 * sizeof(tn_real));
    } else if (m->mat[0].dense) {
        tr_view v = view_x(m);
        tr_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, H4, m->n_in, 1, x, m->n_in,
                v.W + v.off, (int)v.ld, 0, m->zx, H4);
    } else {
        tn_gplan_forward(m->mat[0].plan, R, x, m->zx, m->xtape);
    }
    const tn_real *b = m->theta + m->off_bias;
    for (int r = 0; r < R; r++)
        for (int j = 0; j < H4; j++)
            m->zx[(int64_t)r * H4 + j] += b[j];
}

/* zt (nb x 4H) = frame t's z plus the recurrent (or joint) product. */
static void recurrent(tr_model *m, int nb, int t, const tn_real *x)
{
    int T = m->T, H = m->H, H4 = 4 * H;
    for (int b = 0; b < nb; b++)
        memcpy(m->zt + (int64_t)b * H4, m->zx + ((int64_t)b * T + t) * H4,
               (size_t)H4 * sizeof(tn_real));
    if (m->joint) {
        int64_t np = m->mat[0].cols;
        for (int b = 0; b < nb; b++) {
            tn_real *u = m->u + (int64_t)b * np;
            memcpy(u, x + ((int64_t)b * T + t) * m->n_in, (size_t)m->n_in * sizeof(tn_real));
            if (t > 0)
                memcpy(u + m->n_in, m->hid + ((int64_t)b * T + t - 1) * H,
                       (size_t)H * sizeof(tn_real));
            else
                memset(u + m->n_in, 0, (size_t)H * sizeof(tn_real));
            memset(u + m->n_in + H, 0, (size_t)(np - m->n_in - H) * sizeof(tn_real));
        }
        tn_gplan_forward(m->mat[0].plan, nb, m->u, m->zo, m->rtapes[t]);
    } else if (t == 0) {
        return; /* h_{-1} = 0 */
    } else if (h_dense(m)) {
        tr_view v = view_h(m);
        tr_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, H4, H, 1, m->hid + (int64_t)(t - 1) * H,
                T * H, v.W + v.off, (int)v.ld, 1, m->zt, H4);
        return;
    } else {
        for (int b = 0; b < nb; b++)
            memcpy(m->hin + (int64_t)b * H, m->hid + ((int64_t)b * T + t - 1) * H,
                   (size_t)H * sizeof(tn_real));
        tn_gplan_forward(m->mat[1].plan, nb, m->hin, m->zo, m->rtapes[t]);
    }
    for (int64_t i = 0; i < (int64_t)nb * H4; i++)
        m->zt[i] += m->zo[i];
}

/* Gates, cell and hidden state of frame t from zt. */
static void cell_step(tr_model *m, int nb, int t)
{
    int T = m->T, H = m->H, H4 = 4 * H;
    for (int b = 0; b < nb; b++) {
        int64_t r = (int64_t)b * T + t;
        const tn_real *z = m->zt + (int64_t)b * H4;
        tn_real *g = m->gate + r * H4, *c = m->cell + r * H, *h = m->hid + r * H;
        const tn_real *cp = t > 0 ? m->cell + (r - 1) * H : NULL;
        for (int j = 0; j < H; j++) {
            tn_real gi = sigm(z[j]), gf = sigm(z[H + j]);
            tn_real gg = (tn_real)tanh(z[2 * H + j]), go = sigm(z[3 * H + j]);
            g[j] = gi;
            g[H + j] = gf;
            g[2 * H + j] = gg;
            g[3 * H + j] = go;
            c[j] = gf * (cp ? cp[j] : 0) + gi * gg;
            h[j] = go * (tn_real)tanh(c[j]);
        }
    }
}

/* Logits of the last hidden state, mean cross-entropy, and (train) dlogits
 * in place of the logits. */
static double classify(tr_model *m, int nb, const int32_t *y, int train, int *correct)
{
    int T = m->T, H = m->H, C = m->classes;
    const tn_real *hl = m->hid + (int64_t)(T - 1) * H;
    tr_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, C, H, 1, hl, T * H,
            m->theta + m->off_fcw, H, 0, m->logits, C);
    double loss = 0;
    int right = 0;
    for (int b = 0; b < nb; b++) {
        tn_real *z = m->logits + (int64_t)b * C;
        int arg = 0;
        for (int k = 0; k < C; k++) {
            z[k] += m->theta[m->off_fcb + k];
            if (z[k] > z[arg])
                arg = k;
        }
        double sum = 0, top = (double)z[arg];
        for (int k = 0; k < C; k++)
            sum += exp((double)z[k] - top);
        loss += log(sum) - ((double)z[y[b]] - top);
        right += arg == y[b];
        if (train)
            for (int k = 0; k < C; k++)
                z[k] = (tn_real)((exp((double)z[k] - top) / sum - (k == y[b])) / nb);
    }
    *correct = right;
    return loss / nb;
}

/* --------------------------------------------------------------- backward */

/* Classifier gradients; dh = dlogits fc_W. */
static void classify_back(tr_model *m, int nb)
{
    int T = m->T, H = m->H, C = m->classes;
    const tn_real *hl = m->hid + (int64_t)(T - 1) * H;
    tr_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, H, nb, 1, m->logits, C, hl, T * H, 1,
            m->grad + m->off_fcw, H);
    for (int b = 0; b < nb; b++)
        for (int k = 0; k < C; k++)
            m->grad[m->off_fcb + k] += m->logits[(int64_t)b * C + k];
    tr_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, H, C, 1, m->logits, C,
            m->theta + m->off_fcw, H, 0, m->dh, H);
    memset(m->dc, 0, (size_t)nb * (size_t)H * sizeof(tn_real));
}

/* dz of frame t from dh, dc (dc becomes the carry to frame t - 1). */
static void cell_back(tr_model *m, int nb, int t)
{
    int T = m->T, H = m->H, H4 = 4 * H;
    for (int b = 0; b < nb; b++) {
        int64_t r = (int64_t)b * T + t;
        const tn_real *g = m->gate + r * H4, *c = m->cell + r * H;
        const tn_real *cp = t > 0 ? m->cell + (r - 1) * H : NULL;
        tn_real *dz = m->dz + r * H4, *dh = m->dh + (int64_t)b * H, *dc = m->dc + (int64_t)b * H;
        for (int j = 0; j < H; j++) {
            tn_real gi = g[j], gf = g[H + j], gg = g[2 * H + j], go = g[3 * H + j];
            tn_real tc = (tn_real)tanh(c[j]);
            tn_real dcv = dc[j] + dh[j] * go * (1 - tc * tc);
            dz[j] = dcv * gg * gi * (1 - gi);
            dz[H + j] = dcv * (cp ? cp[j] : 0) * gf * (1 - gf);
            dz[2 * H + j] = dcv * gi * (1 - gg * gg);
            dz[3 * H + j] = dh[j] * tc * go * (1 - go);
            dc[j] = dcv * gf;
        }
    }
}

/* dh of frame t - 1 from dz of frame t through the recurrent product. */
static void recurrent_back(tr_model *m, int nb, int t)
{
    int T = m->T, H = m->H, H4 = 4 * H;
    if (!m->joint && t == 0)
        return;
    if (!m->joint && h_dense(m)) {
        tr_view v = view_h(m);
        tr_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, H, H4, 1,
                m->dz + (int64_t)t * H4, T * H4, v.W + v.off, (int)v.ld, 0, m->dh, H);
        return;
    }
    for (int b = 0; b < nb; b++)
        memcpy(m->zt + (int64_t)b * H4, m->dz + ((int64_t)b * T + t) * H4,
               (size_t)H4 * sizeof(tn_real));
    if (!m->joint) {
        tn_gplan_backward(m->mat[1].plan, nb, m->rtapes[t], m->zt, m->dh);
        return;
    }
    int64_t np = m->mat[0].cols;
    tn_gplan_backward(m->mat[0].plan, nb, m->rtapes[t], m->zt, t > 0 ? m->du : NULL);
    if (t > 0)
        for (int b = 0; b < nb; b++)
            memcpy(m->dh + (int64_t)b * H, m->du + (int64_t)b * np + m->n_in,
                   (size_t)H * sizeof(tn_real));
}

/* Bias, input-side and dense recurrent weight gradients over all rows. */
static void weights_back(tr_model *m, int nb, const tn_real *x)
{
    int T = m->T, H = m->H, H4 = 4 * H, R = nb * T;
    tn_real *gb = m->grad + m->off_bias;
    for (int r = 0; r < R; r++)
        for (int j = 0; j < H4; j++)
            gb[j] += m->dz[(int64_t)r * H4 + j];
    if (m->joint)
        return;
    if (m->mat[0].dense) {
        tr_view v = view_x(m);
        tr_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, H4, m->n_in, R, 1, m->dz, H4, x,
                m->n_in, 1, v.dW + v.off, (int)v.ld);
    } else {
        tn_gplan_backward(m->mat[0].plan, R, m->xtape, m->dz, NULL);
    }
    if (h_dense(m)) {
        for (int b = 0; b < nb; b++) {
            tn_real *hp = m->hprev + (int64_t)b * T * H;
            memset(hp, 0, (size_t)H * sizeof(tn_real));
            memcpy(hp + H, m->hid + (int64_t)b * T * H, (size_t)(T - 1) * (size_t)H * sizeof(tn_real));
        }
        tr_view v = view_h(m);
        tr_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, H4, H, R, 1, m->dz, H4, m->hprev, H, 1,
                v.dW + v.off, (int)v.ld);
    }
}

double tr_batch(tr_model *m, int nb, const tn_real *x, const int32_t *y, int train,
                int *correct)
{
    if (train)
        memset(m->grad, 0, (size_t)m->nparams * sizeof(tn_real));
    mats_sync(m, 0);
    input_side(m, nb, x);
    for (int t = 0; t < m->T; t++) {
        recurrent(m, nb, t, x);
        cell_step(m, nb, t);
    }
    double loss = classify(m, nb, y, train, correct);
    if (!train)
        return loss;
    classify_back(m, nb);
    for (int t = m->T - 1; t >= 0; t--) {
        cell_back(m, nb, t);
        recurrent_back(m, nb, t);
    }
    weights_back(m, nb, x);
    mats_sync(m, 1);
    return loss;
}
