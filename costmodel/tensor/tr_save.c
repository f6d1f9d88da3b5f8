/*
 * tr_save.c - what the flat parameter vector of tr_model holds, piece by
 * piece (names, roles, index lists and shapes, for the files `dse train
 * --save` writes), and the trained network as dense matrices in PyTorch's
 * nn.LSTM layout.
 */
#include "tr_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tr_ntensors(const tr_model *m)
{
    int n = 3; /* bias, fc_weight, fc_bias */
    for (int k = 0; k < 2; k++)
        if (m->mat[k].present)
            n += m->mat[k].net.nf;
    return n;
}

/* Name of index id of net: m1, n3, r12 (HT node 12's rank), r2 (TT bond). */
static void index_name(const cm_net *net, const cm_format *fmt, int id, char *buf, size_t len)
{
    if (id < 8)
        snprintf(buf, len, "m%d", id + 1);
    else if (id < 16)
        snprintf(buf, len, "n%d", id - 7);
    else if (fmt->kind == CM_HT)
        snprintf(buf, len, "r%s", net->label[id - 16]);
    else
        snprintf(buf, len, "r%d", id - 16);
}

static const char *role_of(const tr_mat *mm, int f)
{
    if (mm->fmt.kind == CM_DENSE)
        return "dense matrix";
    if (mm->fmt.kind == CM_TT)
        return "tt core";
    const ht_tree *t = &mm->fmt.tree;
    if (t->left[f] < 0)
        return "ht leaf frame";
    return f == t->root ? "ht root transfer" : "ht transfer";
}

static void factor_info(const tr_mat *mm, int k, int f, tr_tensor *t)
{
    const cm_net *net = &mm->net;
    snprintf(t->name, sizeof t->name, "%s_%s", k ? "wh" : "wx", net->label[f]);
    snprintf(t->role, sizeof t->role, "%s", role_of(mm, f));
    t->off = mm->foff[f];
    t->size = cm_net_mask_size(net, net->fmask[f]);
    if (mm->fmt.kind == CM_DENSE) {
        t->ndim = 2;
        t->shape[0] = mm->rows;
        t->shape[1] = mm->cols;
        snprintf(t->indices, sizeof t->indices, "m,n");
        return;
    }
    t->ndim = net->nidx[f];
    size_t u = 0;
    t->indices[0] = '\0';
    for (int i = 0; i < net->nidx[f]; i++) {
        char nm[16];
        int id = net->idx[f][i];
        t->shape[i] = net->size[id];
        index_name(net, &mm->fmt, id, nm, sizeof nm);
        u += (size_t)snprintf(t->indices + u, sizeof t->indices - u, "%s%s", i ? "," : "", nm);
        if (u >= sizeof t->indices)
            u = sizeof t->indices - 1;
    }
}

void tr_tensor_info(const tr_model *m, int i, tr_tensor *t)
{
    memset(t, 0, sizeof *t);
    for (int k = 0; k < 2; k++) {
        const tr_mat *mm = &m->mat[k];
        if (!mm->present)
            continue;
        if (i < mm->net.nf) {
            factor_info(mm, k, i, t);
            return;
        }
        i -= mm->net.nf;
    }
    int H4 = 4 * m->H;
    if (i == 0) {
        snprintf(t->name, sizeof t->name, "bias");
        snprintf(t->role, sizeof t->role, "gate bias (i, f, g, o)");
        snprintf(t->indices, sizeof t->indices, "gate row");
        t->ndim = 1;
        t->shape[0] = H4;
        t->off = m->off_bias;
        t->size = H4;
    } else if (i == 1) {
        snprintf(t->name, sizeof t->name, "fc_weight");
        snprintf(t->role, sizeof t->role, "classifier weight");
        snprintf(t->indices, sizeof t->indices, "class,hidden");
        t->ndim = 2;
        t->shape[0] = m->classes;
        t->shape[1] = m->H;
        t->off = m->off_fcw;
        t->size = (int64_t)m->classes * m->H;
    } else {
        snprintf(t->name, sizeof t->name, "fc_bias");
        snprintf(t->role, sizeof t->role, "classifier bias");
        snprintf(t->indices, sizeof t->indices, "class");
        t->ndim = 1;
        t->shape[0] = m->classes;
        t->off = m->off_fcb;
        t->size = m->classes;
    }
}

/* W (rows x cols) of matrix k from its factors. */
static int dense_of(tr_model *m, int k, tn_real *W, char *err, size_t errlen)
{
    tr_mat *mm = &m->mat[k];
    if (mm->fmt.kind == CM_DENSE) {
        memcpy(W, m->theta + mm->foff[0], (size_t)(mm->rows * mm->cols) * sizeof(tn_real));
        return 0;
    }
    tn_real *f[CM_NET_MAXF];
    for (int i = 0; i < mm->net.nf; i++)
        f[i] = m->theta + mm->foff[i];
    (void)err;
    (void)errlen;
    tn_recon_forward(mm->recon, f, W);
    return 0;
}

int tr_dense(tr_model *m, tn_real *wih, tn_real *whh, char *err, size_t errlen)
{
    int64_t H4 = 4 * (int64_t)m->H, H = m->H, n = m->n_in;
    if (m->decomp != CM_DECOMP_CONCAT)
        return dense_of(m, 0, wih, err, errlen) || dense_of(m, 1, whh, err, errlen) ? -1 : 0;
    int64_t np = m->mat[0].cols;
    tn_real *W = malloc((size_t)(H4 * np) * sizeof(tn_real));
    if (!W)
        return cm_fail(err, errlen, "out of memory");
    int rc = dense_of(m, 0, W, err, errlen);
    for (int64_t r = 0; !rc && r < H4; r++) {
        memcpy(wih + r * n, W + r * np, (size_t)n * sizeof(tn_real));
        memcpy(whh + r * H, W + r * np + n, (size_t)H * sizeof(tn_real));
    }
    free(W);
    return rc;
}
