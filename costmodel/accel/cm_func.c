/*
 * cm_func.c - the functional accelerator model: executes a mapping slot by
 * slot on real b-bit data.  Every tensor lives in simulated banks
 * (data[bank * rows + row]); every slot generates the address of every
 * lane, maps it to a bank, counts bank multiplicities exactly, and reads
 * the value from where the placement put it, so a wrong placement shows up
 * as a wrong y.  Loads are detected by comparing tile identities slot to
 * slot (not by formula), accumulation is exact in 64 bits with one
 * rounding per output (cm_fix_rescale), so y equals cm_qmatvec bit for bit.
 *
 * The transform placement is built here for real: for each banked tensor,
 * the bipartite multigraph (reader groups x writer groups, one edge per
 * element; groups larger than B split into copies of B) is edge-coloured
 * with B colours by alternating-path recolouring (Konig: always possible
 * when every degree <= B), then the colour classes are balanced by
 * swapping alternating paths so that no bank holds more than ceil(N/B)
 * elements.  Colour = bank, rank in the class = row.
 */
#include "cm_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t n, rows;
    int32_t *data;   /* B * rows */
    int32_t *bank;   /* transform only: bank of each element */
    int64_t *row;    /* transform only: row of each element */
} region;

typedef struct {
    cm_bankmap map;
    int B, P, L, shift, bits;
    int *cnt, *touched;
    int nt, maxk;
} fctx;

/* ------------------------------------------------------------ banks */

static inline int64_t phys(const fctx *x, const region *m, int64_t a, int *bank)
{
    if (m->bank) {
        *bank = m->bank[a];
        return (int64_t)*bank * m->rows + m->row[a];
    }
    *bank = cm_bank_of(x->map, a, x->B);
    return (int64_t)*bank * m->rows + a / x->B;
}

static inline void cnt_add(fctx *x, int b)
{
    if (x->cnt[b]++ == 0)
        x->touched[x->nt++] = b;
    if (x->cnt[b] > x->maxk)
        x->maxk = x->cnt[b];
}

static inline void cnt_done(fctx *x, int64_t n, int64_t *stall, int64_t *conf)
{
    if (n > 0) {
        *stall += x->maxk - 1;
        *conf += n - x->nt;
    }
    for (int i = 0; i < x->nt; i++)
        x->cnt[x->touched[i]] = 0;
    x->nt = x->maxk = 0;
}

static void region_free(region *m)
{
    free(m->data);
    free(m->bank);
    free(m->row);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------- transform placement */

/*
 * Groups of a tensor: grp[a] = the copy (a group of at most B elements)
 * that element a belongs to on one side.  Built by walking the reader's or
 * the writer's access order.
 */
typedef struct {
    int32_t *id;    /* per element */
    int64_t n;      /* copies */
} sides;

static void side_add(sides *s, int64_t *next, int64_t a, int64_t pos, int B)
{
    s->id[a] = (int32_t)(*next + pos / B);
}

static void side_close(int64_t *next, int64_t g, int B)
{
    *next += cm_cdiv(g, B);
}

/* One group, {A[p] + C[l] : p < na, l < nc}, at positions p nc + l. */
static void side_group(sides *s, int64_t *next, const int64_t *A, int64_t na, const int64_t *C,
                       int64_t nc, int B)
{
    for (int64_t p = 0; p < na; p++)
        for (int64_t l = 0; l < nc; l++)
            side_add(s, next, A[p] + C[l], p * nc + l, B);
    side_close(next, na * nc, B);
}

/* Size of block i of n items in blocks of b (the last may be short). */
static int64_t blk(int64_t n, int64_t i, int64_t b) { return n - i * b < b ? n - i * b : b; }

/* Reader groups of the input tensor of step g: wp, one kept index by a
 * lane block; op, a PE block of kept indices by a lane block. */
static void reader_groups(const fctx *x, const cm_geom *g, const int64_t *Ak, const int64_t *Ac,
                          sides *s)
{
    int64_t next = 0;
    for (int64_t kb = 0; kb < (g->df == CM_DF_WP ? g->K : g->NKb); kb++)
        for (int64_t cb = 0; cb < g->NCb; cb++) {
            int64_t lc = blk(g->C, cb, x->L);
            if (g->df == CM_DF_WP)
                side_group(s, &next, &Ak[kb], 1, &Ac[cb * x->L], lc, x->B);
            else
                side_group(s, &next, &Ak[kb * x->P], blk(g->K, kb, x->P), &Ac[cb * x->L], lc,
                           x->B);
        }
    s->n = next;
}

/* Writer groups of the output tensor of step g: wp, one kept index by a
 * PE block of produced ones; op, a PE block of kept indices by one
 * produced index. */
static void writer_groups(const fctx *x, const cm_geom *g, const int64_t *Ok, const int64_t *Op,
                          sides *s)
{
    int64_t next = 0;
    if (g->df == CM_DF_WP) {
        for (int64_t pb = 0; pb < g->NPb; pb++)
            for (int64_t k = 0; k < g->K; k++)
                side_group(s, &next, &Ok[k], 1, &Op[pb * x->P], blk(g->Pn, pb, x->P), x->B);
    } else {
        for (int64_t kb = 0; kb < g->NKb; kb++)
            for (int64_t p = 0; p < g->Pn; p++)
                side_group(s, &next, &Ok[kb * x->P], blk(g->K, kb, x->P), &Op[p], 1, x->B);
    }
    s->n = next;
}

/* Writer groups of an input tensor: the DMA / SFU chunks; others singletons. */
static void input_writer_groups(const fctx *x, const cm_inwrites *iw, int64_t n, sides *s)
{
    int64_t next = 0;
    for (int64_t a = 0; a < n; a++)
        s->id[a] = -1;
    for (int k = 0; k < iw->n; k++)
        for (int64_t j = 0; j * iw->w[k] < iw->len[k]; j++) {
            int64_t g = iw->len[k] - j * iw->w[k] < iw->w[k] ? iw->len[k] - j * iw->w[k] : iw->w[k];
            for (int64_t u = 0; u < g; u++)
                side_add(s, &next, iw->start[k] + j * iw->w[k] + u, u, x->B);
            side_close(&next, g, x->B);
        }
    for (int64_t a = 0; a < n; a++)
        if (s->id[a] < 0)
            s->id[a] = (int32_t)next++;
    s->n = next;
}

typedef struct {
    int B;
    int64_t n;
    const int32_t *L, *R;    /* left / right vertex of each edge */
    int32_t *atL, *atR;      /* [vertex * B + colour] = edge or -1 */
    uint64_t *mL, *mR;       /* B <= 64: used-colour masks per vertex */
    int32_t *col;            /* colour of each edge */
    int64_t *cls;            /* class sizes */
    int32_t *path;           /* scratch */
} colouring;

static void set_col(colouring *c, int32_t e, int32_t k)
{
    c->col[e] = k;
    c->atL[(int64_t)c->L[e] * c->B + k] = e;
    c->atR[(int64_t)c->R[e] * c->B + k] = e;
    if (c->mL) {
        c->mL[c->L[e]] |= UINT64_C(1) << k;
        c->mR[c->R[e]] |= UINT64_C(1) << k;
    }
    c->cls[k]++;
}

static void unset_col(colouring *c, int32_t e)
{
    int32_t k = c->col[e];
    if (c->atL[(int64_t)c->L[e] * c->B + k] == e) {
        c->atL[(int64_t)c->L[e] * c->B + k] = -1;
        if (c->mL)
            c->mL[c->L[e]] &= ~(UINT64_C(1) << k);
    }
    if (c->atR[(int64_t)c->R[e] * c->B + k] == e) {
        c->atR[(int64_t)c->R[e] * c->B + k] = -1;
        if (c->mR)
            c->mR[c->R[e]] &= ~(UINT64_C(1) << k);
    }
    c->cls[k]--;
    c->col[e] = -1;
}

/* First colour set in mask at or after `from` (cyclically); mask != 0. */
static int32_t pick_mask(uint64_t mask, int from, int B)
{
    uint64_t hi = mask >> from;
    if (hi)
        return from + __builtin_ctzll(hi);
    (void)B;
    return __builtin_ctzll(mask);
}

/* A free colour at a vertex, searching cyclically from `from` (the
 * rotating start spreads the classes; balance() evens out the rest). */
static int32_t free_col(const colouring *c, const int32_t *at, int from)
{
    for (int i = 0; i < c->B; i++) {
        int k = (from + i) % c->B;
        if (at[k] < 0)
            return k;
    }
    return -1;
}

/*
 * Swap colours a <-> b along the alternating path that starts at the
 * vertex `v` (right side if right) with an edge of colour a.  Returns the
 * number of edges swapped.
 */
static int64_t swap_path(colouring *c, int right, int32_t v, int32_t a, int32_t b)
{
    int64_t n = 0;
    int32_t k = a;
    for (;;) {
        int32_t e = (right ? c->atR : c->atL)[(int64_t)v * c->B + k];
        if (e < 0)
            break;
        c->path[n++] = e;
        v = right ? c->L[e] : c->R[e];
        right = !right;
        k = k == a ? b : a;
    }
    for (int64_t i = 0; i < n; i++)
        unset_col(c, c->path[i]);
    for (int64_t i = 0; i < n; i++)
        set_col(c, c->path[i], i % 2 == 0 ? b : a);
    return n;
}

static void colour_edges(colouring *c)
{
    uint64_t all = c->B >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << c->B) - 1; /* masks: B <= 64 */
    for (int64_t e = 0; e < c->n; e++) {
        int32_t u = c->L[e], v = c->R[e], a, b;
        int from = (int)(e % c->B);
        if (c->mL) {
            uint64_t both = all & ~c->mL[u] & ~c->mR[v];
            if (both) { /* the common case: one colour free at both ends */
                set_col(c, (int32_t)e, pick_mask(both, from, c->B));
                continue;
            }
            a = pick_mask(all & ~c->mL[u], from, c->B);
            b = pick_mask(all & ~c->mR[v], from, c->B);
        } else {
            a = free_col(c, c->atL + (int64_t)u * c->B, from);
            b = free_col(c, c->atR + (int64_t)v * c->B, from);
            if (c->atR[(int64_t)v * c->B + a] < 0) {
                set_col(c, (int32_t)e, a);
                continue;
            }
            if (c->atL[(int64_t)u * c->B + b] < 0) {
                set_col(c, (int32_t)e, b);
                continue;
            }
        }
        /* a is free at u, b at v, and no colour at both: v has an a-edge.
         * Flip the (a, b) path from v; it cannot reach u (u has no a-edge
         * and left vertices are entered by a-edges), so a becomes free at v. */
        swap_path(c, 1, v, a, b);
        set_col(c, (int32_t)e, a);
    }
}

/*
 * Balance: while the largest class exceeds the smallest by 2 or more, find
 * a component of the two classes that is a path with one more edge of the
 * large class (it starts at a vertex without a small-class edge) and swap.
 */
static void balance(colouring *c)
{
    for (;;) {
        int32_t hi = 0, lo = 0;
        for (int k = 1; k < c->B; k++) {
            if (c->cls[k] > c->cls[hi])
                hi = k;
            if (c->cls[k] < c->cls[lo])
                lo = k;
        }
        if (c->cls[hi] - c->cls[lo] <= 1)
            return;
        int done = 0;
        for (int64_t e = 0; e < c->n && !done; e++) {
            if (c->col[e] != hi)
                continue;
            for (int side = 0; side < 2 && !done; side++) {
                int32_t v = side ? c->R[e] : c->L[e];
                const int32_t *at = (side ? c->atR : c->atL) + (int64_t)v * c->B;
                if (at[lo] >= 0)
                    continue; /* not a path end */
                /* walk without changing anything: odd length => more hi edges */
                int64_t len = 0;
                int32_t w = v, k = hi;
                int right = side;
                for (;;) {
                    int32_t f = (right ? c->atR : c->atL)[(int64_t)w * c->B + k];
                    if (f < 0)
                        break;
                    len++;
                    w = right ? c->L[f] : c->R[f];
                    right = !right;
                    k = k == hi ? lo : hi;
                }
                if (len % 2 == 1) {
                    swap_path(c, side, v, hi, lo);
                    done = 1;
                }
            }
        }
        if (!done)
            return; /* cannot happen for a proper colouring (see above) */
    }
}

/* Place a tensor of n elements: bank[] and row[]; rows = largest class. */
static int place_transform(const fctx *x, region *m, const sides *rd, const sides *wr)
{
    colouring c;
    int B = x->B;
    memset(&c, 0, sizeof c);
    c.B = B;
    c.n = m->n;
    c.L = rd->id;
    c.R = wr->id;
    c.atL = malloc((size_t)(rd->n * B) * sizeof *c.atL);
    c.atR = malloc((size_t)(wr->n * B) * sizeof *c.atR);
    c.col = malloc((size_t)m->n * sizeof *c.col);
    c.cls = calloc((size_t)B, sizeof *c.cls);
    c.path = malloc((size_t)(m->n + 1) * sizeof *c.path);
    if (B <= 64) {
        c.mL = calloc((size_t)rd->n, sizeof *c.mL);
        c.mR = calloc((size_t)wr->n, sizeof *c.mR);
    }
    m->bank = malloc((size_t)m->n * sizeof *m->bank);
    m->row = malloc((size_t)m->n * sizeof *m->row);
    int64_t *next = calloc((size_t)B, sizeof *next);
    int ok = c.atL && c.atR && c.col && c.cls && c.path && m->bank && m->row && next &&
             (B > 64 || (c.mL && c.mR));
    if (ok) {
        memset(c.atL, 0xff, (size_t)(rd->n * B) * sizeof *c.atL);
        memset(c.atR, 0xff, (size_t)(wr->n * B) * sizeof *c.atR);
        colour_edges(&c);
        balance(&c);
        m->rows = 0;
        for (int64_t a = 0; a < m->n; a++) {
            m->bank[a] = c.col[a];
            m->row[a] = next[c.col[a]]++;
            if (next[c.col[a]] > m->rows)
                m->rows = next[c.col[a]];
        }
    }
    free(c.atL);
    free(c.atR);
    free(c.col);
    free(c.cls);
    free(c.path);
    free(c.mL);
    free(c.mR);
    free(next);
    return ok ? 0 : -1;
}

/* ------------------------------------------------------------ one matrix */

typedef struct {
    int64_t *Ak, *Ac, *Ok, *Op, *Fc, *Fp; /* offsets of step s */
} offs;

static void offs_free(offs *o)
{
    free(o->Ak);
    free(o->Ac);
    free(o->Ok);
    free(o->Op);
    free(o->Fc);
    free(o->Fp);
    memset(o, 0, sizeof *o);
}

static int offs_build(const cm_geom *g, offs *o)
{
    memset(o, 0, sizeof *o);
    o->Ak = malloc((size_t)g->K * sizeof *o->Ak);
    o->Ok = malloc((size_t)g->K * sizeof *o->Ok);
    o->Ac = malloc((size_t)g->C * sizeof *o->Ac);
    o->Fc = malloc((size_t)g->C * sizeof *o->Fc);
    o->Op = malloc((size_t)g->Pn * sizeof *o->Op);
    o->Fp = malloc((size_t)g->Pn * sizeof *o->Fp);
    if (!o->Ak || !o->Ok || !o->Ac || !o->Fc || !o->Op || !o->Fp) {
        offs_free(o);
        return -1;
    }
    cm_dims_offsets(&g->kin, o->Ak);
    cm_dims_offsets(&g->kout, o->Ok);
    cm_dims_offsets(&g->cin, o->Ac);
    cm_dims_offsets(&g->cf, o->Fc);
    cm_dims_offsets(&g->pout, o->Op);
    cm_dims_offsets(&g->pf, o->Fp);
    return 0;
}

/* Storage of a region once its rows are known (decoders: ceil(n/B)). */
static int region_alloc(const fctx *x, region *m)
{
    if (!m->bank)
        m->rows = cm_cdiv(m->n, x->B);
    m->data = calloc((size_t)(m->rows * x->B), sizeof *m->data);
    return m->data ? 0 : -1;
}

/*
 * One (outer, middle) pair of a step's loops, as the dataflow lays it out:
 * wp: outer pb (PE block of produced), middle k; op: outer kb (PE block of
 * kept), middle p.  A slot reads an input tile (na rows of the kept
 * offsets, one per PE under op, one broadcast under wp), loads nw weight
 * rows (one per PE under wp, one broadcast under op), and PE q multiplies
 * tile row q * tstride by weight row q * wstride; its output goes to
 * Ok[q * okstride] + Op[q * opstride].
 */
typedef struct {
    int64_t pa;                   /* PEs in use */
    int64_t tile_id, w_id;        /* which tile / weight rows (reloaded when they change) */
    const int64_t *Ak, *Fp;       /* kept offsets of the tile rows, produced of the weight rows */
    int64_t na, nw, tstride, wstride;
    const int64_t *Ok, *Op;
    int64_t okstride, opstride;
} slot_shape;

static inline void shape_of(const cm_geom *g, const offs *o, int wp, int P, int L, int64_t ob,
                            int64_t m, slot_shape *sh)
{
    if (wp) {
        int64_t pa = g->Pn - ob * P < P ? g->Pn - ob * P : P;
        *sh = (slot_shape){pa, m, ob, o->Ak + m, o->Fp + ob * P, 1, pa, 0, L,
                           o->Ok + m, o->Op + ob * P, 0, 1};
    } else {
        int64_t pa = g->K - ob * P < P ? g->K - ob * P : P;
        *sh = (slot_shape){pa, ob, m, o->Ak + ob * P, o->Fp + m, pa, 1, L, 0,
                           o->Ok + ob * P, o->Op + m, 1, 0};
    }
}

/* Step g: PEs over produced (wp) or kept (op), lanes over consumed; loops
 * outer block, middle index, cb.  wp = (g->df == CM_DF_WP), a constant at
 * each call, so that the compiler makes one loop nest per dataflow. */
static inline void run_step(fctx *x, const cm_geom *g, int wp, const offs *o, const int32_t *F,
                            const region *in, region *out, int32_t *y, cm_stage_stats *st,
                            int64_t *acc, int32_t *tile, int32_t *wreg)
{
    int P = x->P, L = x->L, bank;
    int64_t prev_in = -1, prev_w = -1;
    slot_shape sh;
    for (int64_t ob = 0; ob < (wp ? g->NPb : g->NKb); ob++)
        for (int64_t m = 0; m < (wp ? g->K : g->Pn); m++) {
            shape_of(g, o, wp, P, L, ob, m, &sh);
            int64_t pa = sh.pa;
            for (int64_t cb = 0; cb < g->NCb; cb++) {
                int64_t la = g->C - cb * L < L ? g->C - cb * L : L;
                const int64_t *ac = o->Ac + cb * L;
                st->slots++;
                int64_t tid = sh.tile_id * g->NCb + cb;
                if (tid != prev_in) { /* wp: a broadcast tile; op: every PE its own slice */
                    for (int64_t q = 0; q < sh.na; q++)
                        for (int64_t l = 0; l < la; l++) {
                            int64_t ph = phys(x, in, sh.Ak[q] + ac[l], &bank);
                            cnt_add(x, bank);
                            tile[q * L + l] = in->data[ph];
                        }
                    cnt_done(x, sh.na * la, &st->rd_stall, &st->rd_conflicts);
                    st->in_loads++;
                    st->in_reads += sh.na * la;
                    prev_in = tid;
                }
                int64_t wid = sh.w_id * g->NCb + cb;
                if (wid != prev_w) { /* wp: a row per PE; op: broadcast weights */
                    for (int64_t r = 0; r < sh.nw; r++)
                        for (int64_t l = 0; l < la; l++)
                            wreg[r * L + l] = F[o->Fc[cb * L + l] + sh.Fp[r]];
                    st->wgt_loads += sh.nw;
                    st->wgt_words += sh.nw * la;
                    prev_w = wid;
                }
                for (int64_t q = 0; q < pa; q++) {
                    int64_t s = cb ? acc[q] : 0;
                    const int32_t *t = tile + q * sh.tstride, *w = wreg + q * sh.wstride;
                    for (int64_t l = 0; l < la; l++)
                        s += (int64_t)t[l] * w[l];
                    acc[q] = s;
                }
                st->macs += pa * la;
                if (cb < g->NCb - 1)
                    continue;
                for (int64_t q = 0; q < pa; q++) {
                    int32_t v = cm_fix_rescale(acc[q], x->shift, x->bits);
                    int64_t a = sh.Ok[q * sh.okstride] + sh.Op[q * sh.opstride];
                    if (g->last) {
                        y[a] = v;
                    } else {
                        int64_t ph = phys(x, out, a, &bank);
                        cnt_add(x, bank);
                        out->data[ph] = v;
                    }
                }
                if (!g->last)
                    cnt_done(x, pa, &st->wr_stall, &st->wr_conflicts);
                st->out_writes += pa;
            }
        }
}

/* The input tensor arrives: DMA / SFU chunks with conflict counting, the
 * rest (zero padding) written once at configuration. */
static void write_input(fctx *x, const cm_inwrites *iw, const int32_t *v, region *m,
                        cm_result *r)
{
    int bank;
    char *done = calloc((size_t)m->n, 1);
    for (int k = 0; k < iw->n; k++)
        for (int64_t j = 0; j * iw->w[k] < iw->len[k]; j++) {
            int64_t g = iw->len[k] - j * iw->w[k] < iw->w[k] ? iw->len[k] - j * iw->w[k] : iw->w[k];
            for (int64_t u = 0; u < g; u++) {
                int64_t a = iw->start[k] + j * iw->w[k] + u;
                m->data[phys(x, m, a, &bank)] = v[a];
                cnt_add(x, bank);
                if (done)
                    done[a] = 1;
            }
            if (iw->is_dma[k]) {
                cnt_done(x, g, &r->dma_stall, &r->dma_conflicts);
                r->dma_groups++;
                r->dma_words += g;
            } else {
                cnt_done(x, g, &r->h_stall, &r->h_conflicts);
                r->h_groups++;
                r->h_words += g;
            }
        }
    for (int64_t a = 0; a < m->n; a++)
        if (!done || !done[a])
            m->data[phys(x, m, a, &bank)] = v[a];
    free(done);
}

static int same_net(const cm_net *a, const cm_net *b)
{
    if (a->kind != b->kind || a->d != b->d || a->nf != b->nf || a->xmask != b->xmask ||
        a->ymask != b->ymask)
        return 0;
    for (int i = 0; i < CM_NET_MAXIDX; i++)
        if (a->size[i] != b->size[i])
            return 0;
    for (int f = 0; f < a->nf; f++)
        if (a->fmask[f] != b->fmask[f] || a->nidx[f] != b->nidx[f] ||
            memcmp(a->idx[f], b->idx[f], (size_t)a->nidx[f] * sizeof a->idx[f][0]))
            return 0;
    return 1;
}

static int fail(cm_result *r, cm_reject why, const char *msg)
{
    r->reject = why;
    snprintf(r->why, sizeof r->why, "%s", msg);
    return -1;
}

/* Build the placement of a banked tensor (transform) and its storage. */
static int make_region(fctx *x, region *m, int64_t n, const cm_geom *reader, const offs *ro,
                       const cm_geom *writer, const offs *wo, const cm_inwrites *iw)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    if (n > INT32_MAX)
        return -1; /* edge and group ids are 32-bit */
    if (x->map == CM_MAP_TRANSFORM) {
        sides rd = {malloc((size_t)n * sizeof(int32_t)), 0};
        sides wr = {malloc((size_t)n * sizeof(int32_t)), 0};
        int rc = -1;
        if (rd.id && wr.id) {
            reader_groups(x, reader, ro->Ak, ro->Ac, &rd);
            if (writer)
                writer_groups(x, writer, wo->Ok, wo->Op, &wr);
            else
                input_writer_groups(x, iw, n, &wr);
            rc = place_transform(x, m, &rd, &wr);
        }
        free(rd.id);
        free(wr.id);
        if (rc < 0)
            return -1;
    }
    return region_alloc(x, m);
}

static int func_matrix(fctx *x, const cm_point *pt, int mi, const cm_mgeom *mg,
                       const cm_qweights *q, const int32_t *xin, int32_t *y, cm_result *r)
{
    cm_mat_stats *ms = &r->mat[mi];
    int depth = cm_hw_pipe_depth(&pt->hw);
    int64_t rows_half = cm_work_rows_half(&pt->hw);
    offs o[CM_NET_MAXF];
    region cur, nxt;
    int rc = -1;
    cm_inwrites iw;
    int64_t *acc = malloc((size_t)x->P * sizeof *acc);
    int32_t *tile = malloc((size_t)x->P * x->L * sizeof *tile);
    int32_t *wreg = malloc((size_t)x->P * x->L * sizeof *wreg);
    memset(o, 0, sizeof o);
    memset(&cur, 0, sizeof cur);
    memset(&nxt, 0, sizeof nxt);
    if (!acc || !tile || !wreg)
        goto out;
    for (int s = 0; s < mg->n; s++)
        if (offs_build(&mg->g[s], &o[s]) < 0)
            goto out;
    cm_input_writes(pt, mi, &iw);
    if (make_region(x, &cur, mg->in_words, &mg->g[0], &o[0], NULL, NULL, &iw) < 0)
        goto out;
    write_input(x, &iw, xin, &cur, r);
    for (int s = 0; s < mg->n; s++) {
        const cm_geom *g = &mg->g[s];
        cm_stage_stats *st = &ms->st[s];
        cm_stage_shape(mg, s, st);
        st->fill = depth;
        st->exact = 1;
        if (!g->last) {
            if (make_region(x, &nxt, g->st.out_size, &mg->g[s + 1], &o[s + 1], g, &o[s], NULL) < 0)
                goto out;
            if (nxt.rows > rows_half) {
                fail(r, CM_REJ_WORKMEM, "functional: an intermediate needs more rows than a "
                                        "working half has");
                goto out;
            }
        }
        if (g->df == CM_DF_WP)
            run_step(x, g, 1, &o[s], q->f[g->st.f], &cur, &nxt, y, st, acc, tile, wreg);
        else
            run_step(x, g, 0, &o[s], q->f[g->st.f], &cur, &nxt, y, st, acc, tile, wreg);
        region_free(&cur);
        cur = nxt;
        memset(&nxt, 0, sizeof nxt);
    }
    rc = 0;
out:
    region_free(&cur);
    region_free(&nxt);
    for (int s = 0; s < CM_NET_MAXF; s++)
        offs_free(&o[s]);
    free(acc);
    free(tile);
    free(wreg);
    if (rc < 0 && r->reject == CM_OK)
        fail(r, CM_REJ_POINT, "functional model: out of memory");
    return rc;
}

int cm_func_eval(const cm_point *pt, const cm_tech *tech, const cm_qweights *const q[2],
                 const int32_t *x, const int32_t *h, int32_t *const y[2], cm_result *r)
{
    cm_mgeom *mgs = malloc(2 * sizeof *mgs);
    const cm_mgeom *mg[2];
    uint64_t gid[2];
    if (!mgs)
        return fail(r, CM_REJ_POINT, "functional model: out of memory");
    if (cm_accel_prepare(pt, tech, NULL, NULL, mgs, mg, gid, r) < 0) {
        free(mgs);
        return -1;
    }
    for (int i = 0; i < r->nmat; i++) {
        const char *bad = NULL;
        if (!q[i] || !same_net(&q[i]->net, &mg[i]->net))
            bad = "functional: the weights do not match the point's format";
        else if (q[i]->fix.bits != pt->hw.bits)
            bad = "functional: the weights' bit width is not the hardware's";
        else if (!y[i] || (i == 0 ? !x : !h))
            bad = "functional: missing input or output vector";
        if (bad) {
            free(mgs);
            return fail(r, CM_REJ_POINT, bad);
        }
    }
    fctx fx;
    memset(&fx, 0, sizeof fx);
    fx.map = pt->map;
    fx.B = pt->hw.banks;
    fx.P = pt->hw.pes;
    fx.L = pt->hw.lanes;
    fx.bits = pt->hw.bits;
    fx.cnt = calloc((size_t)fx.B, sizeof *fx.cnt);
    fx.touched = malloc((size_t)fx.B * sizeof *fx.touched);
    int rc = 0;
    if (!fx.cnt || !fx.touched)
        rc = fail(r, CM_REJ_POINT, "functional model: out of memory");
    for (int i = 0; i < r->nmat && rc == 0; i++) {
        fx.shift = q[i]->fix.frac_w;
        rc = func_matrix(&fx, pt, i, mg[i], q[i], i == 0 ? x : h, y[i], r);
    }
    free(mgs);
    free(fx.cnt);
    free(fx.touched);
    if (rc < 0)
        return -1;
    r->functional = 1;
    r->exact = 1;
    cm_result_finish(pt, tech, r);
    return 0;
}
