/*
 * cm_analytic.c - the analytical accelerator model: closed forms for the
 * cycle, MAC and access counts of every step, and for bank conflicts
 * either a closed form (transform map) or an exact count over one period
 * of the address pattern (linear, skew, xor).  See docs/MODEL.md for the
 * derivations; cm_func.c executes the same mapping cycle by cycle and
 * tests/test_crosscheck.c checks that the two agree.  This file turns a
 * step's geometry into its counts and memoizes the counting calls; the
 * counting itself (periods, exactness, the fallback bound) is
 * cm_conflict.c.
 *
 * Sweeps.  The same invariances make counts shareable: every counting call
 * is reduced to a canonical key (map, B, budget, the base digits that
 * matter, offset strides mod Qres) and memoized in the sweep's cm_acache,
 * so one access pattern is counted once per run whatever the algorithm or
 * array shape it comes from; inside a call, chunks and blocks with equal
 * canonical residue sets (sorted, shifted by a multiple of Qrot) are
 * counted once and weighted.  Results are exactly the uncached ones
 * (test_crosscheck compares them).
 */
#include "cm_conflict.h"
#include "cm_acache_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STACK_OFFS 2048

/* ---- counting calls, memoized by canonical content ---- */

/* The offsets a counting call walks: made (reduced mod qres) on first need. */
typedef struct {
    const cm_dims *d;
    int64_t *v;
    int ready;
} offs;

static const int64_t *offs_get(const cm_cctx *x, offs *o)
{
    if (!o->ready) {
        int64_t n = cm_dims_count(o->d);
        cm_dims_offsets(o->d, o->v);
        for (int64_t i = 0; i < n; i++)
            o->v[i] %= x->qres;
        o->ready = 1;
    }
    return o->v;
}

/* Appends dims with strides reduced mod q and radix-1 digits dropped, one
 * word per digit (radix << 32 | stride residue: radices are tensor index
 * sizes and q <= 4096^2, both below 2^31); short keys compare fast. */
static int key_dims(int64_t *key, int n, const cm_dims *d, int64_t q)
{
    int at = n++;
    key[at] = 0;
    for (int i = 0; i < d->nd; i++)
        if (d->n[i] > 1) {
            key[n++] = (int64_t)((uint64_t)d->n[i] << 32 | (uint64_t)(d->s[i] % q));
            key[at]++;
        }
    return n;
}

/*
 * The canonical content of a rows (P = 0) or blocks (P > 0) call: the map,
 * B, budget, K, g, P, the base digits from the first one that matters
 * (period_of) and the offset digits, strides reduced to the residues the
 * bank decoder sees.  Two calls with equal keys count exactly the same
 * groups of banks, so they share one result across algorithms and PEs.
 */
static int count_key(const cm_cctx *x, int64_t *key, const cm_dims *kd, int64_t P,
                     const cm_dims *od, int64_t g, int64_t *rep)
{
    cm_dims sub;
    int64_t q = P ? x->qres : x->qrot;
    int64_t W = cm_conflict_period(kd, q, &sub), K = cm_dims_count(kd);
    int n = 0;
    key[n++] = (int64_t)((uint64_t)x->B << 16 | (uint64_t)x->map << 8 | (P ? 2u : 1u));
    key[n++] = x->budget;
    /* rows repeat the same W residues K / W times, and every count (and
     * the bound used instead) is linear in that: a rows entry is stored
     * per period and scaled by rep */
    *rep = P ? 1 : K / W;
    key[n++] = P ? K : W;
    key[n++] = g;
    key[n++] = P;
    n = key_dims(key, n, &sub, q);
    return key_dims(key, n, od, x->qres);
}

static int memo_get(cm_acache *c, const int64_t *key, int n, int64_t rep, cm_tally *t)
{
    int64_t v[CM_ACACHE_NV];
    if (!c || !cm_acache_count_get(c, key, n, v))
        return 0;
    t->stall += rep * v[0];
    t->conf += rep * v[1];
    t->exact &= (int)v[2];
    return 1;
}

static void memo_put(cm_acache *c, const int64_t *key, int n, int64_t rep, const cm_tally *t)
{
    int64_t v[CM_ACACHE_NV] = {t->stall / rep, t->conf / rep, t->exact};
    if (c)
        cm_acache_count_put(c, key, n, v);
}

/* rows_cost (P = 0) or blocks_cost through the memo; t must start at zero. */
static void count_call(cm_cctx *x, cm_acache *c, const cm_dims *kd, int64_t P, offs *o,
                       int64_t g, cm_tally *t)
{
    int64_t N = cm_dims_count(o->d);
    if (x->map == CM_MAP_TRANSFORM) { /* closed forms: nothing to remember */
        if (P)
            cm_conflict_blocks(x, kd, P, NULL, N, g, t);
        else
            cm_conflict_rows(x, kd, NULL, N, g, t);
        return;
    }
    int64_t key[CM_ACACHE_KEYMAX], rep;
    int n = count_key(x, key, kd, P, o->d, g, &rep);
    if (memo_get(c, key, n, rep, t))
        return;
    if (P)
        cm_conflict_blocks(x, kd, P, offs_get(x, o), N, g, t);
    else
        cm_conflict_rows(x, kd, offs_get(x, o), N, g, t);
    memo_put(c, key, n, rep, t);
}

/* wp: PEs over produced, lanes over consumed, loops pb, k, cb. */
static void stage_wp(cm_cctx *x, cm_acache *c, const cm_hw *hw, const cm_geom *g, offs *ac,
                     offs *op, cm_stage_stats *st)
{
    int64_t K = g->K, C = g->C, Pn = g->Pn;
    cm_tally rd = {0, 0, 1}, wr = {0, 0, 1};
    st->slots = g->NPb * K * g->NCb;
    if (K * g->NCb == 1) {
        /* one input tile for the whole stage: loaded once */
        st->in_loads = 1;
        st->in_reads = C;
        cm_dims none = {0, {0}, {0}};
        count_call(x, c, &none, 0, ac, hw->lanes, &rd);
    } else {
        st->in_loads = st->slots;
        st->in_reads = g->NPb * K * C;
        count_call(x, c, &g->kin, 0, ac, hw->lanes, &rd);
        rd.stall *= g->NPb;
        rd.conf *= g->NPb;
    }
    if (g->NCb == 1) { /* weights stay in the PE registers for a pb block */
        st->wgt_loads = Pn;
        st->wgt_words = Pn * C;
    } else {
        st->wgt_loads = K * g->NCb * Pn;
        st->wgt_words = K * C * Pn;
    }
    st->out_writes = K * Pn;
    if (!g->last)
        count_call(x, c, &g->kout, 0, op, hw->pes, &wr);
    st->rd_stall = rd.stall;
    st->rd_conflicts = rd.conf;
    st->wr_stall = wr.stall;
    st->wr_conflicts = wr.conf;
    st->exact = rd.exact && wr.exact;
}

/* op: PEs over kept, lanes over consumed, loops kb, p, cb. */
static void stage_op(cm_cctx *x, cm_acache *c, const cm_hw *hw, const cm_geom *g, offs *ac,
                     offs *op, cm_stage_stats *st)
{
    int64_t K = g->K, C = g->C, Pn = g->Pn;
    cm_tally rd = {0, 0, 1}, wr = {0, 0, 1};
    st->slots = g->NKb * Pn * g->NCb;
    count_call(x, c, &g->kin, hw->pes, ac, hw->lanes, &rd);
    if (g->NCb == 1) { /* the input tile stays in the PE registers for a kb block */
        st->in_loads = g->NKb;
        st->in_reads = K * C;
    } else {
        st->in_loads = st->slots;
        st->in_reads = Pn * K * C;
        rd.stall *= Pn;
        rd.conf *= Pn;
    }
    if (Pn * g->NCb == 1) {
        st->wgt_loads = 1;
        st->wgt_words = C;
    } else {
        st->wgt_loads = st->slots;
        st->wgt_words = g->NKb * Pn * C;
    }
    st->out_writes = K * Pn;
    if (!g->last)
        count_call(x, c, &g->kout, hw->pes, op, 1, &wr);
    st->rd_stall = rd.stall;
    st->rd_conflicts = rd.conf;
    st->wr_stall = wr.stall;
    st->wr_conflicts = wr.conf;
    st->exact = rd.exact && wr.exact;
}

/* One step of a matrix: fills st from the geometry (c: the memo, or NULL). */
static int analytic_stage(cm_cctx *x, cm_acache *c, const cm_hw *hw, const cm_mgeom *mg, int s,
                          cm_stage_stats *st)
{
    const cm_geom *g = &mg->g[s];
    int64_t stackbuf[STACK_OFFS], *buf = stackbuf;
    if (g->C + g->Pn > STACK_OFFS) {
        buf = malloc((size_t)(g->C + g->Pn) * sizeof *buf);
        if (!buf)
            return -1;
    }
    offs ac = {&g->cin, buf, 0}, op = {&g->pout, buf + g->C, 0};
    cm_stage_shape(mg, s, st);
    st->macs = g->st.macs;
    st->fill = cm_hw_pipe_depth(hw);
    if (g->df == CM_DF_WP)
        stage_wp(x, c, hw, g, &ac, &op, st);
    else
        stage_op(x, c, hw, g, &ac, &op, st);
    if (buf != stackbuf)
        free(buf);
    return 0;
}

/*
 * The counting context for the point's (map, B): one of CTX_SLOTS kept in
 * the cache (so a sweep builds each bank table once), or, for an uncached
 * evaluation, one allocated for this call (*own).
 */
#define CTX_SLOTS 16
typedef struct {
    int next;
    cm_cctx x[CTX_SLOTS];
} actxs;

static cm_cctx *need_ctx(cm_cctx **x, cm_cctx **own, cm_acache *cache, const cm_point *pt,
                      int64_t budget)
{
    if (*x)
        return *x;
    if (!cache) {
        if ((*x = *own = calloc(1, sizeof **x)))
            cm_conflict_arm(*x, pt->map, pt->hw.banks, budget);
        return *x;
    }
    actxs *all = cm_acache_scratch(cache, sizeof *all);
    if (!all)
        return NULL;
    for (int i = 0; i < CTX_SLOTS; i++) {
        cm_cctx *c = &all->x[i];
        if (c->qres > 0 && c->map == pt->map && c->B == pt->hw.banks && c->budget == budget)
            return *x = c;
    }
    *x = &all->x[all->next];
    all->next = (all->next + 1) % CTX_SLOTS;
    cm_conflict_arm(*x, pt->map, pt->hw.banks, budget);
    return *x;
}

static int oom(cm_result *r)
{
    r->reject = CM_REJ_POINT;
    snprintf(r->why, sizeof r->why, "out of memory");
    return -1;
}

static int analytic_eval(const cm_point *pt, const cm_tech *tech, int64_t budget,
                         cm_acache *cache, const cm_net *const net[2], cm_result *r)
{
    cm_mgeom *mgs = NULL;
    const cm_mgeom *mg[2] = {NULL, NULL};
    uint64_t gid[2];
    cm_cctx *x = NULL, *own = NULL;
    int rc = -1;
    if (!cache && !(mgs = malloc(2 * sizeof *mgs)))
        return oom(r);
    if (cm_accel_prepare(pt, tech, cache, net, mgs, mg, gid, r) < 0)
        goto out;
    r->exact = 1;
    for (int i = 0; i < r->nmat; i++) {
        cm_stage_stats *sts = r->mat[i].st;
        int n = mg[i]->n, B = pt->hw.banks, map = (int)pt->map;
        if (cache && cm_acache_mat_get(cache, i, gid[i], B, map, budget, sts, n)) {
            for (int s = 0; s < n; s++)
                r->exact &= sts[s].exact;
        } else {
            /* a stage is cheap once its counts are in the memo: stage
             * results themselves are not kept beyond the matrix's last use */
            for (int s = 0; s < n; s++) {
                cm_stage_stats *st = &sts[s];
                if (!need_ctx(&x, &own, cache, pt, budget) ||
                    analytic_stage(x, cache, &pt->hw, mg[i], s, st) < 0) {
                    oom(r);
                    goto out;
                }
                r->exact &= st->exact;
            }
            if (cache)
                cm_acache_mat_put(cache, i, gid[i], B, map, budget, sts, n);
        }
        cm_inwrites iw;
        cm_input_writes(pt, i, &iw);
        for (int k = 0; k < iw.n; k++) {
            cm_tally t = {0, 0, 1};
            int64_t key[6] = {iw.start[k], iw.len[k], iw.w[k], pt->hw.banks, pt->map, budget};
            int64_t v[3];
            if (cache && cm_acache_chunks_get(cache, key, v)) {
                t.stall = v[0];
                t.conf = v[1];
                t.exact = (int)v[2];
            } else {
                if (!need_ctx(&x, &own, cache, pt, budget)) {
                    oom(r);
                    goto out;
                }
                cm_conflict_chunks(x, iw.start[k], iw.len[k], iw.w[k], &t);
                v[0] = t.stall;
                v[1] = t.conf;
                v[2] = t.exact;
                if (cache)
                    cm_acache_chunks_put(cache, key, v);
            }
            r->exact &= t.exact;
            if (iw.is_dma[k]) {
                r->dma_words += iw.len[k];
                r->dma_groups += cm_cdiv(iw.len[k], iw.w[k]);
                r->dma_stall += t.stall;
                r->dma_conflicts += t.conf;
            } else {
                r->h_words += iw.len[k];
                r->h_groups += cm_cdiv(iw.len[k], iw.w[k]);
                r->h_stall += t.stall;
                r->h_conflicts += t.conf;
            }
        }
    }
    cm_result_finish_c(pt, tech, cache, r);
    rc = 0;
out:
    free(own);
    free(mgs);
    return rc;
}

int cm_analytic_eval(const cm_point *pt, const cm_tech *tech, cm_result *r)
{
    return analytic_eval(pt, tech, CM_ANALYTIC_BUDGET, NULL, NULL, r);
}

int cm_analytic_eval_budget(const cm_point *pt, const cm_tech *tech, int64_t budget,
                            cm_result *r)
{
    return analytic_eval(pt, tech, budget, NULL, NULL, r);
}

int cm_analytic_eval_cached(const cm_point *pt, const cm_tech *tech, cm_acache *c,
                            const cm_net *const net[2], cm_result *r)
{
    return analytic_eval(pt, tech, CM_ANALYTIC_BUDGET, c, net, r);
}
