/*
 * cm_conflict.c - exact bank-conflict counting for the analytical model
 * (cm_conflict.h): for a bank map, B banks and a budget, the stall cycles
 * and conflicts of groups of addresses, either by a closed form (transform
 * map) or by counting over one period of the address pattern (linear,
 * skew, xor).  cm_analytic.c calls it and memoizes the results.
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
#include "cm_conflict.h"
#include "cm_hash.h"

#include <stdlib.h>
#include <string.h>

void cm_conflict_arm(cm_cctx *x, cm_bankmap map, int B, int64_t budget)
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
static void ctx_tables(cm_cctx *x)
{
    if (x->tables)
        return;
    if (x->qres <= CM_BTAB_MAXQ)
        for (int64_t a = 0; a < 2 * x->qres; a++)
            x->btab[a] = (int16_t)cm_bank_of(x->map, a, x->B);
    if (x->qrot <= CM_BTAB_MAXQ)
        memset(x->qcnt, 0, (size_t)x->qrot * sizeof x->qcnt[0]);
    x->tables = 1;
}

/*
 * Bank of a residue address: the counting calls work on addresses reduced
 * mod qres (a base residue plus an offset residue, so a < 2 qres), which
 * the decoders cannot tell from the real ones (cm_bank_of depends on
 * a mod qres only).
 */
static inline int res_bank(const cm_cctx *x, int64_t a)
{
    return x->qres <= CM_BTAB_MAXQ ? x->btab[a] : cm_bank_of(x->map, a, x->B);
}

/* Add one address, by its bank, to the current group. */
static inline void grp_bank(cm_cctx *x, int b)
{
    if (x->cnt[b]++ == 0)
        x->touched[x->nt++] = b;
    if (x->cnt[b] > x->maxk)
        x->maxk = x->cnt[b];
}

static inline void grp_add(cm_cctx *x, int64_t a) { grp_bank(x, cm_bank_of(x->map, a, x->B)); }

/* Close the group of n addresses: stall = max_b k_b - 1, conflicts = n - banks hit. */
static inline void grp_done(cm_cctx *x, int64_t n, int64_t mult, cm_tally *t)
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
static void lower(int64_t g, int B, int64_t mult, cm_tally *t)
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
 * The digits of kd from the first one whose stride is not a multiple of q,
 * strides reduced mod q, into *sub: their count W is the period of the
 * base residues mod q in the linear index.
 */
int64_t cm_conflict_period(const cm_dims *kd, int64_t q, cm_dims *sub)
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

static int chunks_group(const cm_cctx *x, const int64_t *off, int64_t N, int64_t g, chunkset *cs)
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
static void rows_of_residue(cm_cctx *x, int64_t rho, int64_t mult, int64_t N, int64_t g,
                            const chunkset *cs, cm_tally *t)
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
void cm_conflict_rows(cm_cctx *x, const cm_dims *kd, const int64_t *off, int64_t N, int64_t g,
                      cm_tally *t)
{
    int64_t K = cm_dims_count(kd), nch = cm_cdiv(N, g);
    if (x->map == CM_MAP_TRANSFORM) {
        lower(g, x->B, K * (nch - 1), t);
        lower(chunk_len(N, g, nch - 1), x->B, K, t);
        return;
    }
    cm_dims sub;
    int64_t W = cm_conflict_period(kd, x->qrot, &sub);
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
    if (x->qrot <= CM_BTAB_MAXQ) { /* group equal residues by counting (qrot is small) */
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
static void block_cost(cm_cctx *x, const int64_t *base, int64_t pa, int64_t N, int64_t g,
                       const chunkset *cs, cm_tally *c)
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
void cm_conflict_blocks(cm_cctx *x, const cm_dims *kd, int64_t P, const int64_t *off, int64_t N,
                        int64_t g, cm_tally *t)
{
    int64_t K = cm_dims_count(kd), nch = cm_cdiv(N, g);
    int64_t NF = K / P, part = K % P;
    if (x->map != CM_MAP_TRANSFORM) {
        cm_dims sub;
        int64_t W = cm_conflict_period(kd, x->qres, &sub);
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
                    cm_tally c = {0, 0, 1};
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
void cm_conflict_chunks(cm_cctx *x, int64_t start, int64_t len, int64_t w, cm_tally *t)
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
