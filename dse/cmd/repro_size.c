/*
 * repro_size.c - the model-size table of `dse reproduce` (repro.h): dense,
 * TT-LSTM (the published TT-RNN configuration), TR/BT-LSTM (not computed)
 * and the mapper's FDHT-LSTM per dataset, each with the error proxy of its
 * decomposed matrix and the rank curve (docs/REPRODUCE.md explains both).
 */
#include "repro_impl.h"
#include "cm_hsvd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURVE_MAX_RANK 12

const repro_dataset repro_datasets[REPRO_NDATASET] = {
    {"UCF11", 57600, "8x20x20x18", 0},
    {"YouTube Celebrities", 57600, "4x20x20x36", 1},
    {"Hollywood2", 70200, "10x18x13x30", -1},
};

/* ---- error proxy ---- */

/* The proxy of one decomposed matrix: a seeded "decay" matrix of its shape
 * with every input mode scaled by 1/REPRO_PROXY_DIV, and the node spectra. */
typedef struct {
    cm_kind kind;
    cm_modes pm;
    double norm;
    int have[CM_MAX_NODES];
    cm_spectrum sp[CM_MAX_NODES];
} proxy;

static void proxy_free(proxy *p)
{
    for (int i = 0; i < CM_MAX_NODES; i++)
        if (p->have[i])
            cm_spectrum_free(&p->sp[i]);
    memset(p, 0, sizeof *p);
}

static int proxy_build(const cm_format *f, proxy *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->kind = f->kind;
    p->pm = f->modes;
    for (int k = 0; k < p->pm.d; k++)
        p->pm.n[k] = (f->modes.n[k] + REPRO_PROXY_DIV - 1) / REPRO_PROXY_DIV;
    int64_t rows = cm_modes_rows(&p->pm), cols = cm_modes_cols(&p->pm);
    double *W = malloc(sizeof(double) * (size_t)(rows * cols));
    if (!W)
        return cm_fail(err, errlen, "out of memory (proxy reference)");
    int rc = cm_synth_matrix("decay", REPRO_PROXY_SEED, rows, cols, W, err, errlen);
    double s2 = 0;
    for (int64_t i = 0; !rc && i < rows * cols; i++)
        s2 += W[i] * W[i];
    p->norm = sqrt(s2);
    const ht_tree *t = &f->tree;
    int nsp = f->kind == CM_HT ? t->nnodes : f->modes.d - 1;
    for (int v = 0; !rc && v < nsp; v++) {
        unsigned mask;
        if (f->kind == CM_HT) {
            if (v == t->root || v == t->right[t->root])
                continue; /* not read by cm_ht_bounds */
            mask = t->mask[v];
        } else {
            mask = (1u << (v + 1)) - 1; /* TT bond v+1: unfolding {1..v+1} */
        }
        rc = cm_spectrum_compute(W, &p->pm, mask, &p->sp[v], err, errlen);
        p->have[v] = !rc;
    }
    free(W);
    if (rc)
        proxy_free(p);
    return rc;
}

static void proxy_bounds(const proxy *p, const cm_format *f, double *lo, double *up)
{
    if (f->kind == CM_HT)
        cm_ht_bounds(&f->tree, p->sp, p->norm, lo, up);
    else
        cm_tt_bounds(f->modes.d, f->tt_rank, p->sp, p->norm, lo, up);
}

/* The format with every rank set to r (params at full size). */
static void uniform_ranks(const cm_format *f, int r, cm_format *g)
{
    *g = *f;
    if (g->kind == CM_HT) {
        for (int v = 0; v < g->tree.nnodes; v++)
            g->tree.rank[v] = v == g->tree.root ? 1 : r;
    } else {
        for (int k = 1; k < g->modes.d; k++)
            g->tt_rank[k] = r;
    }
}

/* Error proxy of the row's format and its rank curve. */
static int size_proxy(repro *R, const char *dataset, const char *model, const cm_format *f,
                      repro_size_row *row, char *err, size_t errlen)
{
    proxy p;
    if (proxy_build(f, &p, err, errlen))
        return -1;
    proxy_bounds(&p, f, &row->err_lower, &row->err_upper);
    for (int r = 1; r <= CURVE_MAX_RANK && R->ncurve < REPRO_MAX_CURVE; r++) {
        cm_format g;
        repro_curve_pt *c = &R->curve[R->ncurve++];
        uniform_ranks(f, r, &g);
        c->dataset = dataset;
        c->model = model;
        c->rank = r;
        c->params = cm_format_params(&g);
        proxy_bounds(&p, &g, &c->err_lower, &c->err_upper);
    }
    proxy_free(&p);
    return 0;
}

/* ---- the model-size table ---- */

static repro_size_row *size_row(repro *R, const char *dataset, const char *model)
{
    repro_size_row *row = &R->size[R->nsize++];
    memset(row, 0, sizeof *row);
    row->dataset = dataset;
    row->model = model;
    row->params_ih = row->params_hh = row->params_total = -1;
    row->compression = row->err_upper = row->err_lower = NAN;
    return row;
}

static void modes_text(const int *v, int d, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < d && len + 1 < n; k++) {
        int w = snprintf(buf + len, n - len, "%s%d", k ? "x" : "", v[k]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

int repro_size_rows(repro *R, int di, const repro_design *fdht, char *err, size_t errlen)
{
    const repro_dataset *ds = &repro_datasets[di];
    int64_t ih = 4 * (int64_t)REPRO_HIDDEN * ds->n_in, hh = 4 * (int64_t)REPRO_HIDDEN * REPRO_HIDDEN;
    double dense = (double)(ih + hh);
    char in[64], out[64], tree[128];

    repro_size_row *row = size_row(R, ds->name, "dense LSTM");
    row->config_published = 1;
    snprintf(row->config, sizeof row->config, "W_x %d x %d, W_h %d x %d", 4 * REPRO_HIDDEN, ds->n_in,
             4 * REPRO_HIDDEN, REPRO_HIDDEN);
    row->params_ih = ih;
    row->params_hh = hh;
    row->params_total = ih + hh;
    row->compression = 1.0;
    row->err_upper = row->err_lower = 0.0;

    /* TT-LSTM: the published TT-RNN configuration */
    cm_format tt;
    int d = 0;
    memset(&tt, 0, sizeof tt);
    tt.kind = CM_TT;
    tt.modes.d = 4;
    sscanf(ds->tt_in, "%dx%dx%dx%d", &tt.modes.n[0], &tt.modes.n[1], &tt.modes.n[2],
           &tt.modes.n[3]);
    tt.modes.m[0] = 16;
    tt.modes.m[1] = tt.modes.m[2] = tt.modes.m[3] = 4;
    tt.tt_rank[0] = tt.tt_rank[4] = 1;
    for (int k = 1; k < 4; k++)
        tt.tt_rank[k] = 4;
    if (cm_format_check(&tt, err, errlen))
        return -1;
    row = size_row(R, ds->name, "TT-LSTM");
    row->config_published = 1;
    modes_text(tt.modes.m, 4, out, sizeof out);
    snprintf(row->config, sizeof row->config, "TT in %s out %s ranks 1,4,4,4,1; W_h dense",
             ds->tt_in, out);
    row->params_ih = cm_tt_params(&tt.modes, tt.tt_rank);
    row->params_hh = hh;
    row->params_total = row->params_ih + hh;
    row->compression = dense / (double)row->params_total;
    snprintf(row->note, sizeof row->note, "Yang et al. ICML 2017 (TT-RNN code); %.0fx on W_x",
             (double)ih / (double)row->params_ih);
    if (size_proxy(R, ds->name, "TT-LSTM", &tt, row, err, errlen))
        return -1;

    row = size_row(R, ds->name, "TR-LSTM");
    snprintf(row->note, sizeof row->note, "no size computed");
    row = size_row(R, ds->name, "BT-LSTM");
    snprintf(row->note, sizeof row->note, "%s",
             di == 0 ? "no size computed; the BT-LSTM abstract claims 17,388x fewer parameters "
                       "than the standard LSTM on UCF11"
                     : "no size computed");

    /* FDHT-LSTM: the mapper's selection */
    const cm_format *f = &fdht->pt.wx.fmt;
    d = f->modes.d;
    modes_text(f->modes.n, d, in, sizeof in);
    modes_text(f->modes.m, d, out, sizeof out);
    ht_format(&f->tree, tree, sizeof tree);
    row = size_row(R, ds->name, "FDHT-LSTM");
    row->config_published = 1;
    snprintf(row->config, sizeof row->config, "HT of [W_x W_h 0] in %s (N_pad %d) out %s tree %s", in,
             fdht->pt.n_pad, out, tree);
    row->params_total = fdht->params;
    row->params_ih = fdht->params; /* the joint layer: W_x and W_h in one */
    row->compression = dense / (double)fdht->params;
    snprintf(row->note, sizeof row->note,
             "found by the mapper; W_x and W_h decomposed jointly (no separate W_h count); "
             "published FDHT-LSTM sizes %d..%d", REPRO_FDHT_PARAMS_MIN, REPRO_FDHT_PARAMS_MAX);
    return size_proxy(R, ds->name, "FDHT-LSTM", f, row, err, errlen);
}
