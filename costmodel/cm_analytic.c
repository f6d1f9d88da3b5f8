/*
 * cm_analytic.c - the analytical accelerator model: closed forms for the
 * cycle, MAC and access counts of every step, and for bank conflicts
 * either a closed form (transform map) or an exact count over one period
 * of the address pattern (linear, skew, xor).  See docs/MODEL.md for the
 * derivations; cm_func.c executes the same mapping cycle by cycle and
 * tests/test_crosscheck.c checks that the two agree.
 *
 * Periods.  A bank decoder sees only a mod Qres (linear: B; skew, xor: B^2),
 * and a common shift of a whole access group by a multiple of Qrot only
 * permutes the banks (linear: Qrot = 1, skew: B, xor: B^2), which leaves
 * stall and conflict counts unchanged.  The base offset of a group is a
 * mixed-radix sum over the kept digits; the leading digits whose stride is
 * a multiple of the modulus drop out, so the residues repeat with a period
 * W = product of the remaining radices.  Counting over one period and
 * scaling is exact.  Only when a period would cost more than `budget` bank
 * evaluations does the model fall back to the map-independent lower bound
 * ceil(g/B) - 1 per group of g addresses (and g - min(g, B) conflicts); the
 * stage is then marked inexact (st->exact = 0).
 */
#include "cm_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STACK_OFFS 2048

typedef struct {
    int64_t stall, conf;
    int exact;
} tally;

typedef struct {
    cm_bankmap map;
    int B;
    int64_t budget; /* bank evaluations allowed per counting call */
    int64_t qrot, qres;
    int cnt[4096];
    int touched[4096];
    int nt, maxk;
} actx;

static void ctx_init(actx *x, cm_bankmap map, int B)
{
    x->map = map;
    x->B = B;
    int64_t b = B;
    x->qrot = map == CM_MAP_LINEAR ? 1 : map == CM_MAP_SKEW ? b : b * b;
    x->qres = map == CM_MAP_LINEAR ? b : b * b;
    memset(x->cnt, 0, (size_t)B * sizeof x->cnt[0]);
    x->nt = 0;
    x->maxk = 0;
}

/* Add one address of the current group (addresses in a group are distinct). */
static inline void grp_add(actx *x, int64_t a)
{
    int b = cm_bank_of(x->map, a, x->B);
    if (x->cnt[b]++ == 0)
        x->touched[x->nt++] = b;
    if (x->cnt[b] > x->maxk)
        x->maxk = x->cnt[b];
}

/* Close the group of n addresses: stall = max_b k_b - 1, conflicts = n - banks hit. */
static inline void grp_done(actx *x, int64_t n, int64_t mult, tally *t)
{
    if (n > 0) {
        t->stall += mult * (x->maxk - 1);
        t->conf += mult * (n - x->nt);
    }
    for (int i = 0; i < x->nt; i++)
        x->cnt[x->touched[i]] = 0;
    x->nt = 0;
    x->maxk = 0;
}

/* The best any placement can do for a group of g addresses on B banks;
 * exactly what the transform placement achieves. */
static void lower(int64_t g, int B, int64_t mult, tally *t)
{
    if (g <= 0)
        return;
    t->stall += mult * (cm_cdiv(g, B) - 1);
    t->conf += mult * (g - (g < B ? g : B));
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * The digits of kd from the first one whose stride is not a multiple of q:
 * returns their count W (the period of the base residues mod q in the
 * linear index) and, if res != NULL, the W residues in linear order.
 */
static int64_t period_of(const cm_dims *kd, int64_t q, cm_dims *sub)
{
    int i0 = 0;
    while (i0 < kd->nd && kd->s[i0] % q == 0)
        i0++;
    sub->nd = kd->nd - i0;
    for (int i = i0; i < kd->nd; i++) {
        sub->n[i - i0] = kd->n[i];
        sub->s[i - i0] = kd->s[i] % q;
    }
    return cm_dims_count(sub);
}

/* Chunk j of an offset list of length N in chunks of g: [j g, min((j+1) g, N)). */
static int64_t chunk_len(int64_t N, int64_t g, int64_t j)
{
    int64_t e = (j + 1) * g < N ? (j + 1) * g : N;
    return e - j * g;
}

/*
 * Row groups: for every k in [0, K) (K = count of kd) and every chunk j of
 * off[0..N) in chunks of g, the group {base(k) + off[t] : t in chunk j}.
 * (wp reads: base = kept offsets, off = consumed offsets, g = L;
 *  wp writes: base = kept offsets in the output, off = produced, g = P.)
 */
static void rows_cost(actx *x, const cm_dims *kd, const int64_t *off, int64_t N, int64_t g,
                      tally *t)
{
    int64_t K = cm_dims_count(kd), nch = cm_cdiv(N, g);
    if (x->map == CM_MAP_TRANSFORM) {
        lower(g, x->B, K * (nch - 1), t);
        lower(chunk_len(N, g, nch - 1), x->B, K, t);
        return;
    }
    cm_dims sub;
    int64_t W = period_of(kd, x->qrot, &sub);
    if (W > x->budget || W * N > x->budget) {
        t->exact = 0;
        lower(g, x->B, K * (nch - 1), t);
        lower(chunk_len(N, g, nch - 1), x->B, K, t);
        return;
    }
    int64_t one = 0, *res = W == 1 ? &one : malloc((size_t)W * sizeof *res);
    if (!res) { /* no memory: the bound is still a correct answer, marked inexact */
        t->exact = 0;
        lower(g, x->B, K * (nch - 1), t);
        lower(chunk_len(N, g, nch - 1), x->B, K, t);
        return;
    }
    if (W > 1) {
        cm_dims_offsets(&sub, res);
        for (int64_t i = 0; i < W; i++)
            res[i] %= x->qrot;
        qsort(res, (size_t)W, sizeof *res, cmp_i64);
    }
    int64_t rep = K / W;
    for (int64_t i = 0; i < W;) {
        int64_t j = i;
        while (j < W && res[j] == res[i])
            j++;
        int64_t mult = rep * (j - i), rho = res[i];
        for (int64_t c = 0; c < nch; c++) {
            int64_t n = chunk_len(N, g, c);
            for (int64_t u = 0; u < n; u++)
                grp_add(x, rho + off[c * g + u]);
            grp_done(x, n, mult, t);
        }
        i = j;
    }
    if (res != &one)
        free(res);
}

/*
 * Block groups: for every group kb of P consecutive k (the last may be
 * partial) and every chunk j of off in chunks of g, the group
 * {base(k) + off[t] : k in kb, t in chunk j}.
 * (op reads: g = L; op writes: off = produced offsets, g = 1.)
 */
static void blocks_cost(actx *x, const cm_dims *kd, int64_t P, const int64_t *off, int64_t N,
                        int64_t g, tally *t)
{
    int64_t K = cm_dims_count(kd), nch = cm_cdiv(N, g);
    int64_t NF = K / P, part = K % P;
    if (x->map != CM_MAP_TRANSFORM) {
        cm_dims sub;
        int64_t W = period_of(kd, x->qres, &sub);
        int64_t G = W / gcd64(W, P); /* groups per period: lcm(W, P) / P */
        int64_t E = NF < G ? NF : G;
        if (W <= x->budget && (E + 1) * P * N <= x->budget) {
            int64_t one = 0, *res = W == 1 ? &one : malloc((size_t)W * sizeof *res);
            int64_t *grp = malloc((size_t)(E + 1) * 2 * sizeof *grp);
            if (res && grp) {
                if (W > 1)
                    cm_dims_offsets(&sub, res);
                /* cost of group kb (all chunks), kb = 0..E-1, and the partial one */
                for (int64_t kb = 0; kb <= E; kb++) {
                    int64_t pa = kb < E ? P : (part ? part : 0);
                    int64_t k0 = kb < E ? kb * P : NF * P;
                    tally c = {0, 0, 1};
                    for (int64_t j = 0; j < nch && pa > 0; j++) {
                        int64_t n = chunk_len(N, g, j);
                        for (int64_t p = 0; p < pa; p++) {
                            int64_t base = res[(k0 + p) % W];
                            for (int64_t u = 0; u < n; u++)
                                grp_add(x, base + off[j * g + u]);
                        }
                        grp_done(x, pa * n, 1, &c);
                    }
                    grp[2 * kb] = c.stall;
                    grp[2 * kb + 1] = c.conf;
                }
                int64_t a = E ? NF / E : 0, rem = E ? NF % E : 0;
                for (int64_t kb = 0; kb < E; kb++) {
                    int64_t m = a + (kb < rem);
                    t->stall += m * grp[2 * kb];
                    t->conf += m * grp[2 * kb + 1];
                }
                t->stall += grp[2 * E];
                t->conf += grp[2 * E + 1];
                free(grp);
                if (res != &one)
                    free(res);
                return;
            }
            free(grp);
            if (res != &one)
                free(res);
        }
        t->exact = 0;
    }
    /* transform (exact) or the lower bound (inexact, flagged above) */
    for (int64_t j = 0; j < nch; j++) {
        int64_t n = chunk_len(N, g, j);
        lower(P * n, x->B, NF, t);
        lower(part * n, x->B, 1, t);
    }
}

/* Consecutive addresses [start, start + len) written in chunks of w. */
static void chunks_cost(actx *x, int64_t start, int64_t len, int64_t w, tally *t)
{
    int64_t NF = len / w, part = len % w;
    if (x->map == CM_MAP_TRANSFORM) {
        lower(w, x->B, NF, t);
        lower(part, x->B, 1, t);
        return;
    }
    int64_t q = x->qrot, per = q / gcd64(w % q, q); /* chunk start mod q repeats */
    int64_t E = NF < per ? NF : per;
    if ((E + 1) * w > x->budget) {
        t->exact = 0;
        lower(w, x->B, NF, t);
        lower(part, x->B, 1, t);
        return;
    }
    int64_t a = E ? NF / E : 0, rem = E ? NF % E : 0;
    for (int64_t j = 0; j < E; j++) {
        int64_t s0 = start + j * w;
        for (int64_t u = 0; u < w; u++)
            grp_add(x, s0 + u);
        grp_done(x, w, a + (j < rem), t);
    }
    for (int64_t u = 0; u < part; u++)
        grp_add(x, start + NF * w + u);
    grp_done(x, part, 1, t);
}

/* wp: PEs over produced, lanes over consumed, loops pb, k, cb. */
static void stage_wp(actx *x, const cm_hw *hw, const cm_geom *g, const int64_t *ac,
                     const int64_t *op, cm_stage_stats *st)
{
    int64_t K = g->K, C = g->C, Pn = g->Pn;
    tally rd = {0, 0, 1}, wr = {0, 0, 1};
    st->slots = g->NPb * K * g->NCb;
    if (K * g->NCb == 1) {
        /* one input tile for the whole stage: loaded once */
        st->in_loads = 1;
        st->in_reads = C;
        cm_dims none = {0, {0}, {0}};
        rows_cost(x, &none, ac, C, hw->lanes, &rd);
    } else {
        st->in_loads = st->slots;
        st->in_reads = g->NPb * K * C;
        rows_cost(x, &g->kin, ac, C, hw->lanes, &rd);
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
        rows_cost(x, &g->kout, op, Pn, hw->pes, &wr);
    st->rd_stall = rd.stall;
    st->rd_conflicts = rd.conf;
    st->wr_stall = wr.stall;
    st->wr_conflicts = wr.conf;
    st->exact = rd.exact && wr.exact;
}

/* op: PEs over kept, lanes over consumed, loops kb, p, cb. */
static void stage_op(actx *x, const cm_hw *hw, const cm_geom *g, const int64_t *ac,
                     const int64_t *op, cm_stage_stats *st)
{
    int64_t K = g->K, C = g->C, Pn = g->Pn;
    tally rd = {0, 0, 1}, wr = {0, 0, 1};
    st->slots = g->NKb * Pn * g->NCb;
    blocks_cost(x, &g->kin, hw->pes, ac, C, hw->lanes, &rd);
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
        blocks_cost(x, &g->kout, hw->pes, op, Pn, 1, &wr);
    st->rd_stall = rd.stall;
    st->rd_conflicts = rd.conf;
    st->wr_stall = wr.stall;
    st->wr_conflicts = wr.conf;
    st->exact = rd.exact && wr.exact;
}

/* One step of a matrix: fills st from the geometry (no cache). */
static int analytic_stage(actx *x, const cm_hw *hw, const cm_mgeom *mg, int s, cm_stage_stats *st)
{
    const cm_geom *g = &mg->g[s];
    int64_t stackbuf[STACK_OFFS], *buf = stackbuf;
    if (g->C + g->Pn > STACK_OFFS) {
        buf = malloc((size_t)(g->C + g->Pn) * sizeof *buf);
        if (!buf)
            return -1;
    }
    int64_t *ac = buf, *op = buf + g->C;
    cm_dims_offsets(&g->cin, ac);
    if (!g->last)
        cm_dims_offsets(&g->pout, op);
    memset(st, 0, sizeof *st);
    st->factor = g->st.f;
    memcpy(st->label, mg->net.label[g->st.f], sizeof st->label);
    st->df = g->df;
    st->K = g->K;
    st->C = g->C;
    st->Pn = g->Pn;
    st->in_words = g->st.in_size;
    st->out_words = g->st.out_size;
    st->factor_words = g->st.factor_size;
    st->in_mem = g->first ? CM_MEM_INBUF : CM_MEM_WORK;
    st->out_mem = g->last ? CM_MEM_ZBUF : CM_MEM_WORK;
    st->macs = g->st.macs;
    st->fill = cm_hw_pipe_depth(hw);
    if (g->df == CM_DF_WP)
        stage_wp(x, hw, g, ac, op, st);
    else
        stage_op(x, hw, g, ac, op, st);
    if (buf != stackbuf)
        free(buf);
    return 0;
}

/* The counting context is large (two B-sized arrays up to 4096): made on
 * first need, so that an all-hits cached evaluation allocates nothing. */
static actx *need_ctx(actx **x, const cm_point *pt, int64_t budget)
{
    if (!*x) {
        *x = malloc(sizeof **x);
        if (*x) {
            ctx_init(*x, pt->map, pt->hw.banks);
            (*x)->budget = budget;
        }
    }
    return *x;
}

static int oom(cm_result *r)
{
    r->reject = CM_REJ_POINT;
    snprintf(r->why, sizeof r->why, "out of memory");
    return -1;
}

static int analytic_eval(const cm_point *pt, const cm_tech *tech, int64_t budget,
                         cm_acache *cache, cm_result *r)
{
    cm_mgeom *mgs = NULL;
    const cm_mgeom *mg[2] = {NULL, NULL};
    uint64_t gid[2];
    actx *x = NULL;
    int rc = -1;
    if (!cache && !(mgs = malloc(2 * sizeof *mgs)))
        return oom(r);
    if (cm_accel_prepare(pt, tech, cache, mgs, mg, gid, r) < 0)
        goto out;
    r->exact = 1;
    for (int i = 0; i < r->nmat; i++) {
        for (int s = 0; s < mg[i]->n; s++) {
            cm_stage_stats *st = &r->mat[i].st[s];
            if (cache && cm_acache_stage_get(cache, gid[i], s, pt->hw.banks, (int)pt->map, budget,
                                             st)) {
                r->exact &= st->exact;
                continue;
            }
            if (!need_ctx(&x, pt, budget) || analytic_stage(x, &pt->hw, mg[i], s, st) < 0) {
                oom(r);
                goto out;
            }
            if (cache)
                cm_acache_stage_put(cache, gid[i], s, pt->hw.banks, (int)pt->map, budget, st);
            r->exact &= st->exact;
        }
        cm_inwrites iw;
        cm_input_writes(pt, i, &iw);
        for (int k = 0; k < iw.n; k++) {
            tally t = {0, 0, 1};
            int64_t key[6] = {iw.start[k], iw.len[k], iw.w[k], pt->hw.banks, pt->map, budget};
            int64_t v[3];
            if (cache && cm_acache_chunks_get(cache, key, v)) {
                t.stall = v[0];
                t.conf = v[1];
                t.exact = (int)v[2];
            } else {
                if (!need_ctx(&x, pt, budget)) {
                    oom(r);
                    goto out;
                }
                chunks_cost(x, iw.start[k], iw.len[k], iw.w[k], &t);
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
    free(x);
    free(mgs);
    return rc;
}

int cm_analytic_eval(const cm_point *pt, const cm_tech *tech, cm_result *r)
{
    return analytic_eval(pt, tech, CM_ANALYTIC_BUDGET, NULL, r);
}

int cm_analytic_eval_budget(const cm_point *pt, const cm_tech *tech, int64_t budget,
                            cm_result *r)
{
    return analytic_eval(pt, tech, budget, NULL, r);
}

int cm_analytic_eval_cached(const cm_point *pt, const cm_tech *tech, cm_acache *c,
                            cm_result *r)
{
    return analytic_eval(pt, tech, CM_ANALYTIC_BUDGET, c, r);
}
