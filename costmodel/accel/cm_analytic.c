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
#include "cm_stage.h"
#include "cm_acache_impl.h"
#include "cm_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STACK_OFFS 2048

typedef struct {
    int64_t stall, conf;
    int exact;
} tally;

/* Bank tables cover residues up to this modulus (B <= 64 for skew/xor). */
#define BTAB_MAXQ 4096

/*
 * The counting context of one (map, B, budget): per-bank counters of the
 * open group, and two tables built on the first count that needs them.
 * A sweep keeps one in its cache (cm_acache_scratch) and re-arms it only
 * when the map, B or budget change, so that evaluations whose counts all
 * come from the memo pay nothing for it.
 */
typedef struct {
    cm_bankmap map;
    int B;
    int64_t budget; /* bank evaluations allowed per counting call */
    int64_t qrot, qres;
    int cnt[4096];
    int touched[4096];
    int nt, maxk;
    int tables;               /* btab / qcnt built for this (map, B) */
    int16_t btab[2 * BTAB_MAXQ]; /* bank of a, 0 <= a < 2 qres (qres <= BTAB_MAXQ) */
    int64_t qcnt[BTAB_MAXQ];  /* counters of base residues (qrot <= BTAB_MAXQ) */
} actx;

static void ctx_arm(actx *x, cm_bankmap map, int B, int64_t budget)
{
    if (x->map == map && x->B == B && x->budget == budget && x->qres > 0)
        return;
    x->map = map;
    x->B = B;
    x->budget = budget;
    int64_t b = B;
    x->qrot = map == CM_MAP_LINEAR ? 1 : map == CM_MAP_SKEW ? b : b * b;
    x->qres = map == CM_MAP_LINEAR ? b : b * b;
    x->nt = 0;
    x->maxk = 0;
    x->tables = 0;
}

/* Called by every counting loop before its first address. */
static void ctx_tables(actx *x)
{
    if (x->tables)
        return;
    if (x->qres <= BTAB_MAXQ)
        for (int64_t a = 0; a < 2 * x->qres; a++)
            x->btab[a] = (int16_t)cm_bank_of(x->map, a, x->B);
    if (x->qrot <= BTAB_MAXQ)
        memset(x->qcnt, 0, (size_t)x->qrot * sizeof x->qcnt[0]);
    x->tables = 1;
}

/*
 * Bank of a residue address: the counting calls work on addresses reduced
 * mod qres (a base residue plus an offset residue, so a < 2 qres), which
 * the decoders cannot tell from the real ones (cm_bank_of depends on
 * a mod qres only).
 */
static inline int res_bank(const actx *x, int64_t a)
{
    return x->qres <= BTAB_MAXQ ? x->btab[a] : cm_bank_of(x->map, a, x->B);
}

/* Add one address, by its bank, to the current group. */
static inline void grp_bank(actx *x, int b)
{
    if (x->cnt[b]++ == 0)
        x->touched[x->nt++] = b;
    if (x->cnt[b] > x->maxk)
        x->maxk = x->cnt[b];
}

static inline void grp_add(actx *x, int64_t a) { grp_bank(x, cm_bank_of(x->map, a, x->B)); }

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
 * The chunks of off[0..N) in chunks of g, grouped by content.  A chunk's
 * groups depend only on its offset residues as a set, and a common shift
 * of the set by a multiple of qrot only permutes the banks; chunks repeat
 * (offsets are mixed-radix sums), so each distinct canonical chunk (sorted,
 * shifted down by the largest multiple of qrot that keeps it non-negative)
 * is counted once and weighted by how often it occurs.  Fills vec (the
 * canonical chunks, g words apart), first[i] / mult[i] (pattern i is
 * vec + first[i] * g, occurring mult[i] times); -1 when out of memory.
 */
typedef struct {
    int64_t n, *first, *mult, *vec;
} chunkset;

static uint64_t chunk_hash(const int64_t *o, int64_t n)
{
    uint64_t h = cm_hash_i64(o, n);
    return h ^ (h >> 29);
}

/* Sorted, then shifted down by the largest multiple of q keeping v >= 0. */
static void set_canon(int64_t *v, int64_t n, int64_t q)
{
    for (int64_t i = 1; i < n; i++) { /* insertion sort: short and often sorted */
        int64_t y = v[i], j = i;
        while (j > 0 && v[j - 1] > y) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = y;
    }
    int64_t shift = n ? v[0] - v[0] % q : 0;
    for (int64_t i = 0; i < n; i++)
        v[i] -= shift;
}

static void chunks_free(chunkset *cs)
{
    free(cs->first);
    free(cs->mult);
    free(cs->vec);
}

static int chunks_group(const actx *x, const int64_t *off, int64_t N, int64_t g, chunkset *cs)
{
    int64_t nch = cm_cdiv(N, g), cap = 16;
    while (cap < 2 * nch)
        cap *= 2;
    int64_t *tab = malloc((size_t)cap * sizeof *tab);
    cs->first = malloc((size_t)nch * sizeof *cs->first);
    cs->mult = malloc((size_t)nch * sizeof *cs->mult);
    cs->vec = malloc((size_t)N * sizeof *cs->vec);
    cs->n = 0;
    if (!tab || !cs->first || !cs->mult || !cs->vec) {
        free(tab);
        chunks_free(cs);
        return -1;
    }
    for (int64_t i = 0; i < cap; i++)
        tab[i] = -1;
    for (int64_t j = 0; j < nch; j++) {
        int64_t n = chunk_len(N, g, j);
        int64_t *o = cs->vec + j * g;
        memcpy(o, off + j * g, (size_t)n * sizeof *o);
        set_canon(o, n, x->qrot);
        uint64_t h = chunk_hash(o, n);
        for (int64_t i = (int64_t)(h & (uint64_t)(cap - 1));; i = (i + 1) & (cap - 1)) {
            if (tab[i] < 0) { /* a new pattern */
                tab[i] = cs->n;
                cs->first[cs->n] = j;
                cs->mult[cs->n++] = 1;
                break;
            }
            int64_t f = cs->first[tab[i]];
            if (chunk_len(N, g, f) == n && !memcmp(cs->vec + f * g, o, (size_t)n * sizeof *o)) {
                cs->mult[tab[i]]++;
                break;
            }
        }
    }
    free(tab);
    return 0;
}

/* The groups of one base residue rho (mult bases share it) over every chunk. */
static void rows_of_residue(actx *x, int64_t rho, int64_t mult, int64_t N, int64_t g,
                            const chunkset *cs, tally *t)
{
    for (int64_t i = 0; i < cs->n; i++) {
        int64_t c = cs->first[i], n = chunk_len(N, g, c);
        const int64_t *o = cs->vec + c * g;
        for (int64_t u = 0; u < n; u++)
            grp_bank(x, res_bank(x, rho + o[u]));
        grp_done(x, n, mult * cs->mult[i], t);
    }
}

/*
 * Row groups: for every k in [0, K) (K = count of kd) and every chunk j of
 * off[0..N) in chunks of g, the group {base(k) + off[t] : t in chunk j}.
 * (wp reads: base = kept offsets, off = consumed offsets, g = L;
 *  wp writes: base = kept offsets in the output, off = produced, g = P.)
 * off[] holds residues mod qres.
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
    ctx_tables(x);
    chunkset cs;
    int64_t one = 0, *res = W == 1 ? &one : malloc((size_t)W * sizeof *res);
    if (res && chunks_group(x, off, N, g, &cs) < 0) {
        if (res != &one)
            free(res);
        res = NULL;
    }
    if (!res) { /* no memory: the bound is still a correct answer, marked inexact */
        t->exact = 0;
        lower(g, x->B, K * (nch - 1), t);
        lower(chunk_len(N, g, nch - 1), x->B, K, t);
        return;
    }
    if (W > 1)
        cm_dims_offsets(&sub, res);
    for (int64_t i = 0; i < W; i++)
        res[i] %= x->qrot;
    int64_t rep = K / W;
    if (x->qrot <= BTAB_MAXQ) { /* group equal residues by counting (qrot is small) */
        for (int64_t i = 0; i < W; i++)
            x->qcnt[res[i]]++;
        for (int64_t rho = 0; rho < x->qrot; rho++)
            if (x->qcnt[rho]) {
                rows_of_residue(x, rho, rep * x->qcnt[rho], N, g, &cs, t);
                x->qcnt[rho] = 0;
            }
    } else {
        qsort(res, (size_t)W, sizeof *res, cmp_i64);
        for (int64_t i = 0; i < W;) {
            int64_t j = i;
            while (j < W && res[j] == res[i])
                j++;
            rows_of_residue(x, res[i], rep * (j - i), N, g, &cs, t);
            i = j;
        }
    }
    chunks_free(&cs);
    if (res != &one)
        free(res);
}

/* Cost of one block of pa base residues over every distinct chunk. */
static void block_cost(actx *x, const int64_t *base, int64_t pa, int64_t N, int64_t g,
                       const chunkset *cs, tally *c)
{
    for (int64_t i = 0; i < cs->n; i++) {
        int64_t j = cs->first[i], n = chunk_len(N, g, j);
        const int64_t *o = cs->vec + j * g;
        for (int64_t p = 0; p < pa; p++)
            for (int64_t u = 0; u < n; u++)
                grp_bank(x, res_bank(x, base[p] + o[u]));
        grp_done(x, pa * n, cs->mult[i], c);
    }
}

/*
 * Block groups: for every group kb of P consecutive k (the last may be
 * partial) and every chunk j of off in chunks of g, the group
 * {base(k) + off[t] : k in kb, t in chunk j}.
 * (op reads: g = L; op writes: off = produced offsets, g = 1.)
 * off[] holds residues mod qres.  The block patterns repeat with the
 * period of the base residues; within one period, blocks whose canonical
 * residue sets are equal are counted once.
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
            ctx_tables(x);
            int64_t one = 0, *res = W == 1 ? &one : malloc((size_t)W * sizeof *res);
            int64_t *grp = malloc((size_t)(E + 1) * 2 * sizeof *grp);
            int64_t *vec = malloc((size_t)(E + 1) * (size_t)P * sizeof *vec);
            int64_t cap = 16;
            while (cap < 2 * (E + 1))
                cap *= 2;
            int64_t *tab = malloc((size_t)cap * sizeof *tab);
            chunkset cs = {0, NULL, NULL, NULL};
            if (res && grp && vec && tab && chunks_group(x, off, N, g, &cs) == 0) {
                if (W > 1)
                    cm_dims_offsets(&sub, res);
                for (int64_t i = 0; i < W; i++)
                    res[i] %= x->qres;
                for (int64_t i = 0; i < cap; i++)
                    tab[i] = -1;
                /* cost of group kb (all chunks), kb = 0..E-1, and the partial one */
                for (int64_t kb = 0; kb <= E; kb++) {
                    int64_t pa = kb < E ? P : part;
                    int64_t k0 = kb < E ? kb * P : NF * P;
                    int64_t *v = vec + kb * P;
                    for (int64_t p = 0; p < pa; p++)
                        v[p] = res[(k0 + p) % W];
                    set_canon(v, pa, x->qrot); /* a block is a set too */
                    uint64_t h = chunk_hash(v, pa);
                    int64_t i = (int64_t)(h & (uint64_t)(cap - 1)), same = -1;
                    for (; tab[i] >= 0; i = (i + 1) & (cap - 1)) {
                        int64_t o = tab[i], po = o < E ? P : part;
                        if (po == pa && !memcmp(vec + o * P, v, (size_t)pa * sizeof *v)) {
                            same = o;
                            break;
                        }
                    }
                    if (same >= 0) {
                        grp[2 * kb] = grp[2 * same];
                        grp[2 * kb + 1] = grp[2 * same + 1];
                        continue;
                    }
                    tab[i] = kb;
                    tally c = {0, 0, 1};
                    if (pa > 0)
                        block_cost(x, v, pa, N, g, &cs, &c);
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
                chunks_free(&cs);
                free(tab);
                free(vec);
                free(grp);
                if (res != &one)
                    free(res);
                return;
            }
            free(tab);
            free(vec);
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

/* ---- counting calls, memoized by canonical content ---- */

/* The offsets a counting call walks: made (reduced mod qres) on first need. */
typedef struct {
    const cm_dims *d;
    int64_t *v;
    int ready;
} offs;

static const int64_t *offs_get(const actx *x, offs *o)
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
static int count_key(const actx *x, int64_t *key, const cm_dims *kd, int64_t P,
                     const cm_dims *od, int64_t g, int64_t *rep)
{
    cm_dims sub;
    int64_t q = P ? x->qres : x->qrot;
    int64_t W = period_of(kd, q, &sub), K = cm_dims_count(kd);
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

static int memo_get(cm_acache *c, const int64_t *key, int n, int64_t rep, tally *t)
{
    int64_t v[CM_ACACHE_NV];
    if (!c || !cm_acache_count_get(c, key, n, v))
        return 0;
    t->stall += rep * v[0];
    t->conf += rep * v[1];
    t->exact &= (int)v[2];
    return 1;
}

static void memo_put(cm_acache *c, const int64_t *key, int n, int64_t rep, const tally *t)
{
    int64_t v[CM_ACACHE_NV] = {t->stall / rep, t->conf / rep, t->exact};
    if (c)
        cm_acache_count_put(c, key, n, v);
}

/* rows_cost (P = 0) or blocks_cost through the memo; t must start at zero. */
static void count_call(actx *x, cm_acache *c, const cm_dims *kd, int64_t P, offs *o,
                       int64_t g, tally *t)
{
    int64_t N = cm_dims_count(o->d);
    if (x->map == CM_MAP_TRANSFORM) { /* closed forms: nothing to remember */
        if (P)
            blocks_cost(x, kd, P, NULL, N, g, t);
        else
            rows_cost(x, kd, NULL, N, g, t);
        return;
    }
    int64_t key[CM_ACACHE_KEYMAX], rep;
    int n = count_key(x, key, kd, P, o->d, g, &rep);
    if (memo_get(c, key, n, rep, t))
        return;
    if (P)
        blocks_cost(x, kd, P, offs_get(x, o), N, g, t);
    else
        rows_cost(x, kd, offs_get(x, o), N, g, t);
    memo_put(c, key, n, rep, t);
}

/* wp: PEs over produced, lanes over consumed, loops pb, k, cb. */
static void stage_wp(actx *x, cm_acache *c, const cm_hw *hw, const cm_geom *g, offs *ac,
                     offs *op, cm_stage_stats *st)
{
    int64_t K = g->K, C = g->C, Pn = g->Pn;
    tally rd = {0, 0, 1}, wr = {0, 0, 1};
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
static void stage_op(actx *x, cm_acache *c, const cm_hw *hw, const cm_geom *g, offs *ac,
                     offs *op, cm_stage_stats *st)
{
    int64_t K = g->K, C = g->C, Pn = g->Pn;
    tally rd = {0, 0, 1}, wr = {0, 0, 1};
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
static int analytic_stage(actx *x, cm_acache *c, const cm_hw *hw, const cm_mgeom *mg, int s,
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
    actx x[CTX_SLOTS];
} actxs;

static actx *need_ctx(actx **x, actx **own, cm_acache *cache, const cm_point *pt,
                      int64_t budget)
{
    if (*x)
        return *x;
    if (!cache) {
        if ((*x = *own = calloc(1, sizeof **x)))
            ctx_arm(*x, pt->map, pt->hw.banks, budget);
        return *x;
    }
    actxs *all = cm_acache_scratch(cache, sizeof *all);
    if (!all)
        return NULL;
    for (int i = 0; i < CTX_SLOTS; i++) {
        actx *c = &all->x[i];
        if (c->qres > 0 && c->map == pt->map && c->B == pt->hw.banks && c->budget == budget)
            return *x = c;
    }
    *x = &all->x[all->next];
    all->next = (all->next + 1) % CTX_SLOTS;
    ctx_arm(*x, pt->map, pt->hw.banks, budget);
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
    actx *x = NULL, *own = NULL;
    int rc = -1;
    if (!cache && !(mgs = malloc(2 * sizeof *mgs)))
        return oom(r);
    if (cm_accel_prepare(pt, tech, cache, mgs, mg, gid, r) < 0)
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
            tally t = {0, 0, 1};
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
    free(own);
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
