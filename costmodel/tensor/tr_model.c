/*
 * tr_model.c - the LSTM classifier of tr_model.h: parameters, contraction
 * choice, initialization, forward and backpropagation through time.
 *
 * Per mini-batch of nb clips of T frames, all state is kept in (clip,
 * frame) row order, so that the input side of partial and separate layers
 * (z_x = W_x x for every frame) is one application over nb T rows and its
 * backward one more; only the recurrence goes frame by frame.  A concat
 * layer contracted factored applies its one matrix to [x_t; h_{t-1}; 0]
 * frame by frame; contracted dense it is a separate layer whose W_x and W_h
 * are the x and h columns of the reconstruction.
 */
#include "tr_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ set-up */

static int mat_setup(tr_mat *mm, const cm_format *fmt, int64_t rows, int64_t cols,
                     int64_t fan_in, int64_t *off, char *err, size_t errlen)
{
    mm->present = 1;
    mm->fmt = *fmt;
    mm->rows = rows;
    mm->cols = cols;
    mm->fan_in = fan_in;
    if (cm_net_build(&mm->fmt, &mm->net, err, errlen))
        return -1;
    /* Training may contract the factors in any order (the tree's "children
     * first" is the accelerator's rule, not the algebra's): the fewest MACs
     * over all orders, whatever order a design point maps. */
    memset(mm->net.pred, 0, sizeof mm->net.pred);
    cm_order_cost oc;
    cm_order_best(&mm->net, &mm->order, &oc);
    for (int f = 0; f < mm->net.nf; f++) {
        mm->foff[f] = *off;
        *off += cm_net_mask_size(&mm->net, mm->net.fmask[f]);
    }
    mm->nelem = *off - mm->foff[0];
    if (mm->fmt.kind == CM_DENSE)
        return 0;
    return tn_recon_new(&mm->net, mm->fmt.kind == CM_HT ? &mm->fmt.tree : NULL, &mm->recon,
                        err, errlen);
}

/*
 * How matrix mm is contracted (tr_model.h): dense (W reconstructed once per
 * mini-batch, then one GEMM over view_cols columns), or a factored plan whose
 * groups of factors tn_group.c merges ahead of time.  TR_AUTO takes the one
 * its cost model prices lower for a mini-batch of batch_rows rows.
 */
static int mat_alloc(tr_model *m, tr_mat *mm, tr_contract c, int app_rows, int64_t batch_rows,
                     int64_t view_cols, char *err, size_t errlen)
{
    mm->dense = mm->fmt.kind == CM_DENSE || c == TR_DENSE;
    if (!mm->dense) {
        if (tn_gplan_new(&mm->net, app_rows, batch_rows, c != TR_FACTORED, &mm->plan, err,
                         errlen))
            return -1;
        double dense = tn_dense_cost(mm->rows, view_cols, batch_rows, tn_recon_macs(mm->recon));
        if (c != TR_AUTO || tn_gplan_cost(mm->plan) <= dense)
            return 0;
        tn_gplan_free(mm->plan);
        mm->plan = NULL;
        mm->dense = 1;
    }
    if (mm->fmt.kind == CM_DENSE) {
        mm->W = m->theta + mm->foff[0];
        mm->dW = m->grad + mm->foff[0];
        return 0;
    }
    size_t n = (size_t)(mm->rows * mm->cols);
    mm->W = malloc(n * sizeof(tn_real));
    mm->dW = malloc(n * sizeof(tn_real));
    if (!mm->W || !mm->dW)
        return cm_fail(err, errlen, "out of memory for a %lld x %lld matrix",
                       (long long)mm->rows, (long long)mm->cols);
    return 0;
}

static void *zalloc(size_t n, size_t sz, int *ok)
{
    void *p = calloc(n ? n : 1, sz);
    *ok &= p != NULL;
    return p;
}

static int state_alloc(tr_model *m, char *err, size_t errlen)
{
    int ok = 1;
    size_t R = (size_t)m->maxbatch * (size_t)m->T, H = (size_t)m->H, nb = (size_t)m->maxbatch;
    size_t s = sizeof(tn_real);
    m->zx = zalloc(R * 4 * H, s, &ok);
    m->gate = zalloc(R * 4 * H, s, &ok);
    m->dz = zalloc(R * 4 * H, s, &ok);
    m->cell = zalloc(R * H, s, &ok);
    m->hid = zalloc(R * H, s, &ok);
    m->hprev = zalloc(R * H, s, &ok);
    m->zt = zalloc(nb * 4 * H, s, &ok);
    m->zo = zalloc(nb * 4 * H, s, &ok);
    m->hin = zalloc(nb * H, s, &ok);
    m->dh = zalloc(nb * H, s, &ok);
    m->dc = zalloc(nb * H, s, &ok);
    m->logits = zalloc(nb * (size_t)m->classes, s, &ok);
    if (m->joint) {
        m->u = zalloc(nb * (size_t)m->mat[0].cols, s, &ok);
        m->du = zalloc(nb * (size_t)m->mat[0].cols, s, &ok);
    }
    tr_mat *xm = &m->mat[0];
    if (!m->joint && !xm->dense)
        m->xtape = zalloc(R * (size_t)tn_gplan_tape_size(xm->plan), s, &ok);
    const tn_gplan *rp = m->joint ? m->mat[0].plan : (!m->mat[1].dense ? m->mat[1].plan : NULL);
    if (rp && ok) {
        m->rtapes = zalloc((size_t)m->T, sizeof *m->rtapes, &ok);
        for (int t = 0; t < m->T && ok; t++)
            m->rtapes[t] = zalloc(nb * (size_t)tn_gplan_tape_size(rp), s, &ok);
    }
    return ok ? 0 : cm_fail(err, errlen, "out of memory for a mini-batch of %d clips",
                            m->maxbatch);
}

int tr_model_new(const tr_layer *p, const tr_opts *o, tr_model **out, char *err, size_t errlen)
{
    *out = NULL;
    if (o->classes < 2 || o->frames < 1 || o->maxbatch < 1)
        return cm_fail(err, errlen, "training needs >= 2 classes, >= 1 frame and a batch");
    tr_model *m = calloc(1, sizeof *m);
    if (!m)
        return cm_fail(err, errlen, "out of memory");
    *m = (tr_model){.n_in = p->n_in, .H = p->hidden, .classes = o->classes, .T = o->frames,
                    .maxbatch = o->maxbatch, .decomp = p->decomp};
    int64_t H4 = 4 * (int64_t)p->hidden, off = 0;
    int concat = p->decomp == CM_DECOMP_CONCAT;
    int rc = mat_setup(&m->mat[0], p->wx, H4, concat ? p->n_pad : p->n_in,
                       concat ? (int64_t)p->n_in + p->hidden : p->n_in, &off, err, errlen);
    if (!rc && !concat)
        rc = mat_setup(&m->mat[1], p->wh, H4, p->hidden, p->hidden, &off, err, errlen);
    if (rc) {
        tr_model_free(m);
        return -1;
    }
    m->nweights = off;
    m->off_bias = off;
    m->off_fcw = off + H4;
    m->off_fcb = m->off_fcw + (int64_t)o->classes * p->hidden;
    m->nparams = m->off_fcb + o->classes;
    m->theta = calloc((size_t)m->nparams, sizeof(tn_real));
    m->grad = calloc((size_t)m->nparams, sizeof(tn_real));
    if (!m->theta || !m->grad) {
        tr_model_free(m);
        return cm_fail(err, errlen, "out of memory for %lld parameters", (long long)m->nparams);
    }
    int64_t R = (int64_t)o->maxbatch * o->frames;
    if (concat) {
        /* Dense: x columns over all frames, h columns per frame; factored:
         * [x; h; 0] frame by frame. */
        rc = mat_alloc(m, &m->mat[0], o->contract, o->maxbatch, R, p->n_in + p->hidden, err,
                       errlen);
        m->joint = !m->mat[0].dense;
    } else {
        rc = mat_alloc(m, &m->mat[0], o->contract, (int)R, R, p->n_in, err, errlen);
        if (!rc)
            rc = mat_alloc(m, &m->mat[1], o->contract, o->maxbatch, R, p->hidden, err, errlen);
    }
    if (!rc)
        rc = state_alloc(m, err, errlen);
    if (rc) {
        tr_model_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

void tr_model_free(tr_model *m)
{
    if (!m)
        return;
    for (int k = 0; k < 2; k++) {
        tr_mat *mm = &m->mat[k];
        tn_gplan_free(mm->plan);
        tn_recon_free(mm->recon);
        if (mm->fmt.kind != CM_DENSE) {
            free(mm->W);
            free(mm->dW);
        }
    }
    if (m->rtapes)
        for (int t = 0; t < m->T; t++)
            free(m->rtapes[t]);
    free(m->rtapes);
    free(m->xtape);
    tn_real *bufs[] = {m->zx, m->gate, m->cell, m->hid, m->dz, m->hprev, m->zt, m->zo,
                       m->hin, m->dh, m->dc, m->u, m->du, m->logits, m->theta, m->grad};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(m);
}

int64_t tr_nparams(const tr_model *m) { return m->nparams; }

const char *tr_groups(const tr_model *m, int mat)
{
    if (mat < 0 || mat > 1 || !m->mat[mat].plan)
        return "";
    return tn_gplan_describe(m->mat[mat].plan);
}
int64_t tr_weight_params(const tr_model *m) { return m->nweights; }
tn_real *tr_params(tr_model *m) { return m->theta; }
tn_real *tr_grads(tr_model *m) { return m->grad; }

const char *tr_contract_name(const tr_model *m, int mat)
{
    if (mat < 0 || mat > 1 || !m->mat[mat].present)
        return NULL;
    if (m->mat[mat].dense)
        return "dense";
    return strchr(tn_gplan_describe(m->mat[mat].plan), '+') ? "grouped" : "factored";
}

double tr_macs_per_clip(const tr_model *m, int nb)
{
    double T = m->T, H = m->H, macs = 0;
    for (int k = 0; k < 2; k++) {
        const tr_mat *mm = &m->mat[k];
        if (!mm->present)
            continue;
        double cols = m->decomp == CM_DECOMP_CONCAT ? (double)m->n_in + H : (double)mm->cols;
        if (mm->dense) {
            macs += 3.0 * T * (double)mm->rows * cols;
            if (mm->recon)
                macs += 3.0 * (double)tn_recon_macs(mm->recon) / nb;
        } else {
            macs += 3.0 * T * (double)tn_gplan_macs(mm->plan) +
                    3.0 * (double)tn_gplan_merge_macs(mm->plan) / nb;
        }
    }
    return macs + 3.0 * H * m->classes;
}

/* ------------------------------------------------------------ init */

static double gauss(uint64_t *st)
{
    double u1 = cm_rand_uniform(st), u2 = cm_rand_uniform(st);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/*
 * Variance-preserving initialization of the factors: every factor of a
 * network of nf factors is iid N(0, s^2) with s^(2 nf) R = 1 / fan_in, R the
 * product of the network's rank sizes (each summed once per entry of W), so
 * that every entry of the reconstructed W has variance 1 / fan_in (LeCun),
 * fan_in = the columns the matrix multiplies (N_in, H, or N_in + H for
 * concat, the padding excluded).  Gate bias 0 but the forget gate's 1;
 * classifier N(0, 1/H), bias 0.
 */
void tr_init(tr_model *m, uint64_t seed)
{
    uint64_t st = seed ^ UINT64_C(0x5DEECE66D2545F49);
    for (int k = 0; k < 2; k++) {
        const tr_mat *mm = &m->mat[k];
        if (!mm->present)
            continue;
        double R = 1;
        for (int id = 16; id < CM_NET_MAXIDX; id++)
            R *= (double)mm->net.size[id];
        double s = pow(1.0 / ((double)mm->fan_in * R), 1.0 / (2.0 * mm->net.nf));
        for (int64_t i = 0; i < mm->nelem; i++)
            m->theta[mm->foff[0] + i] = (tn_real)(s * gauss(&st));
    }
    memset(m->theta + m->off_bias, 0, (size_t)(4 * m->H) * sizeof(tn_real));
    for (int j = 0; j < m->H; j++)
        m->theta[m->off_bias + m->H + j] = 1;
    double sc = 1.0 / sqrt((double)m->H);
    for (int64_t i = m->off_fcw; i < m->off_fcb; i++)
        m->theta[i] = (tn_real)(sc * gauss(&st));
    memset(m->theta + m->off_fcb, 0, (size_t)m->classes * sizeof(tn_real));
}
