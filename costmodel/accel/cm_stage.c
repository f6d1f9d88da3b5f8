/*
 * cm_stage.c - per-step geometry of a mapped matrix (cm_stage.h): GEMM
 * sizes, blockings and the offset maps of the kept / consumed / produced
 * linear indices in the input tensor, output tensor and factor layouts.
 */
#include "cm_stage.h"

#include <string.h>

int64_t cm_dims_count(const cm_dims *d)
{
    int64_t c = 1;
    for (int i = 0; i < d->nd; i++)
        c *= d->n[i];
    return c;
}

int64_t cm_dims_off(const cm_dims *d, int64_t lin)
{
    int64_t off = 0;
    for (int i = d->nd - 1; i >= 0; i--) {
        off += (lin % d->n[i]) * d->s[i];
        lin /= d->n[i];
    }
    return off;
}

void cm_dims_offsets(const cm_dims *d, int64_t *out)
{
    /* odometer: amortized O(1) per index */
    int64_t cnt[CM_NET_MAXIDX] = {0};
    int64_t n = cm_dims_count(d), off = 0;
    for (int64_t j = 0; j < n; j++) {
        out[j] = off;
        for (int i = d->nd - 1; i >= 0; i--) {
            off += d->s[i];
            if (++cnt[i] < d->n[i])
                break;
            cnt[i] = 0;
            off -= d->s[i] * d->n[i];
        }
    }
}

/* Row-major strides of a tensor with index mask m (lowest id most significant). */
static void tensor_strides(const cm_net *net, uint32_t m, int64_t *stride)
{
    int64_t s = 1;
    for (int id = CM_NET_MAXIDX - 1; id >= 0; id--) {
        stride[id] = 0;
        if (m & (1u << id)) {
            stride[id] = s;
            s *= net->size[id];
        }
    }
}

static void dims_of(const cm_net *net, uint32_t m, const int64_t *stride, cm_dims *d)
{
    d->nd = 0;
    for (int id = 0; id < CM_NET_MAXIDX; id++)
        if (m & (1u << id)) {
            d->n[d->nd] = net->size[id];
            d->s[d->nd] = stride[id];
            d->nd++;
        }
}

void cm_mgeom_from_net(const cm_matmap *mm, const cm_net *src, int pes, int lanes,
                       cm_mgeom *mg)
{
    cm_order_cost oc;
    /* no memset of the whole struct (tens of KB): every used field is set */
    mg->n = 0;
    mg->peak_inter = mg->factor_words = 0;
    mg->max_c = 1;
    if (src != &mg->net)
        mg->net = *src;
    /* the order was checked on this network by cm_matmap_check_net (cm_stage.h) */
    const cm_net *net = &mg->net;
    cm_order_cost_of(net, &mm->order, &oc);
    mg->n = oc.n;
    mg->in_words = cm_net_mask_size(net, net->xmask);
    mg->out_words = cm_net_mask_size(net, net->ymask);
    for (int s = 0; s < oc.n; s++) {
        cm_geom *g = &mg->g[s];
        const cm_step *st = &oc.step[s];
        int64_t sin[CM_NET_MAXIDX], sout[CM_NET_MAXIDX], sf[CM_NET_MAXIDX];
        g->st = *st;
        g->df = mm->df[s];
        g->K = st->kept_size;
        g->C = st->consumed_size;
        g->Pn = st->produced_size;
        g->NPb = cm_cdiv(g->Pn, pes);
        g->NKb = cm_cdiv(g->K, pes);
        g->NCb = cm_cdiv(g->C, lanes);
        g->first = s == 0;
        g->last = s == oc.n - 1;
        tensor_strides(net, st->in_mask, sin);
        tensor_strides(net, st->out_mask, sout);
        /* factor layout: row-major over idx[f] */
        memset(sf, 0, sizeof sf);
        int64_t m = 1;
        for (int j = net->nidx[st->f] - 1; j >= 0; j--) {
            sf[net->idx[st->f][j]] = m;
            m *= net->size[net->idx[st->f][j]];
        }
        dims_of(net, st->kept, sin, &g->kin);
        dims_of(net, st->consumed, sin, &g->cin);
        dims_of(net, st->kept, sout, &g->kout);
        dims_of(net, st->produced, sout, &g->pout);
        dims_of(net, st->consumed, sf, &g->cf);
        dims_of(net, st->produced, sf, &g->pf);
        if (!g->last && st->out_size > mg->peak_inter)
            mg->peak_inter = st->out_size;
        if (g->C > mg->max_c)
            mg->max_c = g->C;
        mg->factor_words += st->factor_size;
    }
}

void cm_mgeom_reblock(const cm_mgeom *src, int pes, int lanes, cm_mgeom *dst)
{
    /* the used part only: a whole cm_mgeom is tens of KB */
    dst->net = src->net;
    dst->n = src->n;
    dst->in_words = src->in_words;
    dst->out_words = src->out_words;
    dst->peak_inter = src->peak_inter;
    dst->factor_words = src->factor_words;
    dst->max_c = src->max_c;
    for (int s = 0; s < src->n; s++) {
        cm_geom *g = &dst->g[s];
        *g = src->g[s];
        g->NPb = cm_cdiv(g->Pn, pes);
        g->NKb = cm_cdiv(g->K, pes);
        g->NCb = cm_cdiv(g->C, lanes);
    }
}
