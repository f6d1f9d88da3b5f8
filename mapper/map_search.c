/*
 * map_search.c - the search strategies over a space (map_search.h):
 *   - exhaustive: positions 0..size-1, index = position;
 *   - random: positions 0..budget-1 of a seeded permutation of the space
 *     (sampling without replacement, O(1) memory: a Feistel bijection);
 *   - guided: Pareto local search.  A seeded random start, then repeatedly
 *     the oldest unexplored member of the running front has its whole
 *     one-digit neighbourhood evaluated (every other value of every digit:
 *     structure, ranks, order, dataflow, bank map, each hardware axis, and
 *     the same-shaped W_x in the other decompositions), plus one fresh
 *     random point; members that a better neighbour pushes off the front
 *     are skipped.  When every member is explored it restarts from fresh
 *     random points.
 *     Contraction orders are exact per point when the spec says
 *     `orders: best` (a DP), so the local search works on the rest.
 * Exhaustive and random are split into shards by blocks of positions; the
 * guided search is sequential.
 */
#include "map_search.h"

#include "cm_hash.h"
#include "cm_hset.h"

#include <stdlib.h>
#include <stddef.h>
#include <string.h>

const char *map_strategy_name(map_strategy s)
{
    switch (s) {
    case MAP_EXHAUSTIVE: return "exhaustive";
    case MAP_RANDOM: return "random";
    case MAP_GUIDED: return "guided";
    }
    return "?";
}

int map_strategy_parse(const char *s, map_strategy *out)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, map_strategy_name((map_strategy)i))) {
            *out = (map_strategy)i;
            return 0;
        }
    return -1;
}

/* ---- the random permutation ---- */

/* A bijection of [0, 2^(2h)) (4 Feistel rounds), walked until < n. */
uint64_t map_permute(uint64_t x, uint64_t n, uint64_t seed)
{
    if (n <= 1)
        return 0;
    int bits = 0;
    while (bits < 64 && (n - 1) >> bits)
        bits++;
    int h = (bits + 1) / 2;
    if (h < 1)
        h = 1;
    uint64_t mask = (h >= 32) ? UINT64_C(0xffffffff) : ((UINT64_C(1) << h) - 1);
    do {
        uint64_t l = (x >> h) & mask, r = x & mask;
        for (int round = 0; round < 4; round++) {
            uint64_t f = cm_mix64(r ^ cm_mix64(seed + (uint64_t)round)) & mask;
            uint64_t t = r;
            r = l ^ f;
            l = t;
        }
        x = (l << h) | r;
    } while (x >= n);
    return x;
}

static uint64_t default_budget(const map_space *sp, const map_search_opts *o)
{
    uint64_t b = o->budget ? o->budget : (o->strategy == MAP_GUIDED ? 20000 : 10000);
    return b < sp->size ? b : sp->size;
}

/*
 * Shards.  Random positions have no locality: position p goes to shard
 * p mod N.  The exhaustive sequence is cut so that the shards share as
 * little cached work as possible (docs/SPEC.md, "Shards"):
 *   - by unit, when the space has at least 2N of them.  A unit is the part
 *     of the hardware digits that keys the model's counting memo: (wp,
 *     bank map, bank count) for the wp dataflow, whose input-read counts
 *     do not depend on the PE count, and (op, bank map, bank count, PE
 *     count) for op, whose counts all do.  Unit u of every algorithm goes
 *     to shard u mod N, so no two shards count the same access pattern;
 *     the (cheap) per-algorithm set-up and the matrix geometries are
 *     repeated in every shard.  Many small units balance the shards' work.
 *   - otherwise by algorithm: a block is every mapping and hardware variant
 *     of one algorithm (hw_size consecutive positions) and block b goes to
 *     shard pi(b) mod N through a fixed permutation pi, because
 *     neighbouring algorithms differ in a regular way (the last rank digit
 *     cycles) and dealing them in turn would give one shard the cheap ones.
 */
#define SHARD_SEED 0x5eedb10cULL

static uint64_t cdiv_u64(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

/* A hardware digit of the unit: its stride in the hardware index and its radix. */
typedef struct {
    uint64_t stride, n;
} digit;

#define DM_MAX (CM_DF_COUNT * CM_MAP_COUNT)

typedef struct {
    uint64_t n, i;      /* shards, this one */
    uint64_t blk;       /* positions per algorithm block (1: random) */
    uint64_t units;     /* units per block (0: deal whole blocks) */
    digit b, p;         /* the bank-count and PE-count digits */
    uint64_t hwprod;    /* hardware combinations per (dataflow, map) */
    uint64_t run;       /* aligned runs of this many positions share a unit */
    uint64_t ndm;       /* (dataflow, map) combinations */
    uint64_t first[DM_MAX]; /* number of the first unit of each of them */
    unsigned char byp[DM_MAX]; /* whether the PE count is part of their units */
} sharding;

static sharding shard_plan(const map_space *sp, const map_search_opts *o)
{
    sharding z = {.n = o->shard_n ? o->shard_n : 1, .i = o->shard_i, .blk = 1,
                  .b = {1, 1}, .p = {1, 1}, .hwprod = 1, .run = 1};
    if (o->strategy != MAP_EXHAUSTIVE || sp->hw_size == 0)
        return z;
    const map_space_def *def = &sp->def;
    z.blk = sp->hw_size;
    for (int a = def->naxis - 1; a >= 0; a--) {
        digit dg = {z.hwprod, (uint64_t)def->axis[a].n};
        for (int j = 0; j < def->axis[a].nparam; j++) {
            if (def->axis[a].param[j] == MAP_HW_BANKS)
                z.b = dg;
            if (def->axis[a].param[j] == MAP_HW_PES)
                z.p = dg;
        }
        z.hwprod *= dg.n;
    }
    if (z.p.stride == z.b.stride) /* one zipped axis sets both */
        z.p = (digit){1, 1};
    z.ndm = (uint64_t)def->ndataflow * (uint64_t)def->nbankmap;
    uint64_t u = 0;
    for (uint64_t dm = 0; dm < z.ndm && dm < DM_MAX; dm++) {
        z.byp[dm] = def->dataflow[dm / (uint64_t)def->nbankmap] != CM_DF_WP;
        z.first[dm] = u;
        u += z.b.n * (z.byp[dm] ? z.p.n : 1);
    }
    if (z.ndm <= DM_MAX && u >= 2 * z.n && z.blk == z.ndm * z.hwprod)
        z.units = u;
    /* the fastest unit digit sets the run length (digits of one value
     * do not change the unit) */
    z.run = z.hwprod;
    if (z.b.n > 1 && z.b.stride < z.run)
        z.run = z.b.stride;
    if (z.p.n > 1 && z.p.stride < z.run)
        z.run = z.p.stride;
    return z;
}

/* The shard of unit u, in turn.  Measured on bench.yaml, two shards
 * (callgrind, G instructions; one process 10.56): these units 5.74 + 5.14;
 * units (dataflow, map, B, P) for both dataflows 5.80 + 5.55 (the wp read
 * counts done twice); (dataflow, map, B) 5.77 + 4.82 (op units too coarse
 * to balance); these units dealt by decreasing B (linear) or B^2 (skew,
 * xor) 5.61 + 5.20, a heuristic left out for 2%. */
static uint64_t unit_shard(const sharding *z, uint64_t u)
{
    return u % z->n;
}

/* The unit of hardware digits (dataflow x map) dm, bank digit b, PE digit p. */
static uint64_t unit_of(const sharding *z, uint64_t dm, uint64_t b, uint64_t p)
{
    return z->byp[dm] ? z->first[dm] + b * z->p.n + p : z->first[dm] + b;
}

/* The shard of position pos. */
static uint64_t shard_of(const sharding *z, uint64_t total, uint64_t pos)
{
    if (z->blk == 1)
        return pos % z->n;
    if (!z->units)
        return map_permute(pos / z->blk, cdiv_u64(total, z->blk), SHARD_SEED) % z->n;
    uint64_t hp = pos % z->blk, dm = hp / z->hwprod, hw = hp % z->hwprod;
    uint64_t b = hw / z->b.stride % z->b.n, p = hw / z->p.stride % z->p.n;
    return unit_shard(z, unit_of(z, dm, b, p));
}

uint64_t map_search_count(const map_space *sp, const map_search_opts *o)
{
    sharding z = shard_plan(sp, o);
    switch (o->strategy) {
    case MAP_EXHAUSTIVE: {
        uint64_t nblk = sp->size / z.blk, c, rest = sp->size % z.blk;
        if (z.units) { /* each (dm, b, p) cell holds the same number of positions */
            uint64_t mine = 0;
            for (uint64_t dm = 0; dm < z.ndm; dm++)
                for (uint64_t b = 0; b < z.b.n; b++)
                    for (uint64_t p = 0; p < z.p.n; p++)
                        mine += unit_shard(&z, unit_of(&z, dm, b, p)) == z.i;
            c = nblk * (z.blk / (z.ndm * z.b.n * z.p.n)) * mine;
        }
        else /* pi is a bijection of the blocks */
            c = map_shard_count(nblk, 1, z.i, z.n) * z.blk;
        for (uint64_t p = sp->size - rest; p < sp->size; p++) /* (bases are whole blocks) */
            c += shard_of(&z, sp->size, p) == z.i;
        return c;
    }
    case MAP_RANDOM:
        return map_shard_count(default_budget(sp, o), 1, z.i, z.n);
    case MAP_GUIDED:
        return default_budget(sp, o);
    }
    return 0;
}

uint64_t map_search_index(const map_space *sp, const map_search_opts *o, uint64_t pos)
{
    if (o->strategy == MAP_RANDOM)
        return map_permute(pos, sp->size, o->seed);
    return pos;
}

/* ---- sequential strategies ---- */

static int run_sequence(map_eval *e, const map_space *sp, const map_search_opts *o,
                        map_visit_fn visit, map_skip_fn skip, void *ud, volatile const sig_atomic_t *stop)
{
    uint64_t n = o->shard_n ? o->shard_n : 1;
    uint64_t total = o->strategy == MAP_RANDOM ? default_budget(sp, o) : sp->size;
    map_result *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    int rc = 0;
    sharding z = shard_plan(sp, o);
    uint64_t step = z.blk == 1 ? n : 1;
    for (uint64_t pos = z.blk == 1 ? o->shard_i : 0; pos < total; pos += step) {
        if (n > 1 && z.blk > 1) {
            if (!z.units)
                while (pos % z.blk == 0 && pos < total && shard_of(&z, total, pos) != z.i)
                    pos += z.blk; /* another shard's block */
            else if (pos % z.run == 0 && shard_of(&z, total, pos) != z.i) {
                pos += z.run - 1; /* another shard's unit, for a whole run */
                continue;
            }
        }
        if (pos >= total)
            break;
        if (stop && *stop)
            break;
        uint64_t k = map_search_index(sp, o, pos);
        if (map_eval_decode(e, k, r)) {
            rc = -1;
            break;
        }
        if (skip && skip(r, pos, ud))
            continue;
        if (map_eval_decoded(e, r)) {
            rc = -1;
            break;
        }
        if ((rc = visit(r, pos, ud)) != 0)
            break;
    }
    free(r);
    return rc;
}

/* ---- guided: Pareto local search ---- */

typedef struct {
    map_eval *e;
    const map_space *sp;
    const map_search_opts *o;
    map_visit_fn visit;
    map_skip_fn skip;
    void *ud;
    volatile const sig_atomic_t *stop;
    map_front *front;
    cm_hset seen;        /* evaluated indices */
    uint64_t budget, used, pos;
    uint64_t rand_pos;          /* next position of the random restart sequence */
    /* exploration queue: front members in order of arrival */
    uint64_t *queue;
    size_t qn, qcap, qhead;
    cm_hset explored;
    map_result *r;
    int rc;
} guided;

static int queue_push(guided *g, uint64_t k)
{
    if (g->qn == g->qcap) {
        size_t cap = g->qcap ? g->qcap * 2 : 1024;
        uint64_t *q = realloc(g->queue, sizeof *q * cap);
        if (!q)
            return -1;
        g->queue = q;
        g->qcap = cap;
    }
    g->queue[g->qn++] = k;
    return 0;
}

/* Evaluate k once; offer it to the front.  0 continue, else stop. */
static int g_eval(guided *g, uint64_t k)
{
    if (g->used >= g->budget || (g->stop && *g->stop))
        return 1;
    int dup = cm_hset_add(&g->seen, k);
    if (dup < 0)
        return g->rc = -1;
    if (dup)
        return 0;
    map_result *r = g->r;
    if (map_eval_decode(g->e, k, r))
        return g->rc = -1;
    int skipped = g->skip && g->skip(r, g->pos, g->ud);
    if (map_eval_decoded(g->e, r))
        return g->rc = -1;
    g->used++;
    if (!skipped && (g->rc = g->visit(r, g->pos, g->ud)) != 0)
        return 1;
    g->pos++;
    if (r->reject)
        return 0;
    double v[MAP_MAX_OBJ];
    for (int i = 0; i < g->o->nobj; i++)
        v[i] = r->m[g->o->obj[i]];
    int in = map_front_add(g->front, v, (int64_t)k);
    if (in < 0)
        return g->rc = -1;
    if (in == 1 && queue_push(g, k))
        return g->rc = -1;
    return 0;
}

static int in_front(const map_front *f, uint64_t k)
{
    for (size_t i = 0; i < map_front_size(f); i++)
        if ((uint64_t)map_front_id(f, i) == k)
            return 1;
    return 0;
}

/* Radix of each role digit, for neighbours. */
static int slot_radix(const map_space *sp, const map_struct *s, int i)
{
    int list = s->slot_list[i];
    const map_space_def *d = &sp->def;
    if (list == 1 && d->rank_leaf.n)
        return d->rank_leaf.n;
    if (list == 2 && d->rank_internal.n)
        return d->rank_internal.n;
    return d->rank_values.n;
}

/* Clamp rank/order digits after a structure change. */
static void fit_role(const map_space *sp, const map_role *r, int s, int *rd, int *o)
{
    const map_struct *st = &r->s[s];
    for (int i = 0; i < st->nslot; i++) {
        int rad = slot_radix(sp, st, i);
        if (rd[i] >= rad)
            rd[i] = rad - 1;
        if (rd[i] < 0)
            rd[i] = 0;
    }
    if (*o >= st->norders)
        *o = st->norders - 1;
}

#define G_MAX_STRUCT_NEIGH 48

/* Neighbours over one role's digits. */
static int role_neighbours(guided *g, const map_coord *c0, int h)
{
    const map_space *sp = g->sp;
    const map_role *r = h ? &sp->d[c0->d].h : &sp->d[c0->d].x;
    if (r->n == 0 || r->dense)
        return 0;
    int s0 = h ? c0->sh : c0->sx;
    const map_struct *st = &r->s[s0];
    map_coord c;
    /* ranks */
    for (int i = 0; i < st->nslot; i++) {
        int rad = slot_radix(sp, st, i);
        for (int v = 0; v < rad; v++) {
            c = *c0;
            int *rd = h ? c.rh : c.rx;
            if (rd[i] == v)
                continue;
            rd[i] = v;
            if (g_eval(g, map_space_encode(sp, &c)))
                return 1;
        }
    }
    /* orders */
    for (int v = 0; v < st->norders; v++) {
        c = *c0;
        int *o = h ? &c.oh : &c.ox;
        if (*o == v)
            continue;
        *o = v;
        if (g_eval(g, map_space_encode(sp, &c)))
            return 1;
    }
    /* structures: all, or a deterministic sample when there are many */
    int ns = r->n, step = ns > G_MAX_STRUCT_NEIGH ? ns / G_MAX_STRUCT_NEIGH : 1;
    int off = (int)(cm_mix64((uint64_t)s0 ^ g->o->seed) % (uint64_t)step);
    for (int v = off; v < ns; v += step) {
        if (v == s0)
            continue;
        c = *c0;
        if (h) {
            c.sh = v;
            fit_role(sp, r, v, c.rh, &c.oh);
        } else {
            c.sx = v;
            fit_role(sp, r, v, c.rx, &c.ox);
        }
        if (g_eval(g, map_space_encode(sp, &c)))
            return 1;
    }
    return 0;
}

/* Same format, number of modes, output modes and tree (the input side
 * differs between decompositions: N_in or N_in + H padded). */
static int same_shape(const cm_format *a, const cm_format *b)
{
    if (a->kind != b->kind || a->modes.d != b->modes.d)
        return 0;
    for (int k = 0; k < a->modes.d; k++)
        if (a->modes.m[k] != b->modes.m[k])
            return 0;
    return a->kind != CM_HT || !memcmp(&a->tree, &b->tree, sizeof a->tree);
}

#define G_MAX_DECOMP_NEIGH 16

/* Neighbours in decomposition v: W_x of the same shape, the rest kept. */
static int other_decomp(guided *g, const map_coord *c0, int v)
{
    const map_space *sp = g->sp;
    const map_dspace *from = &sp->d[c0->d], *ds = &sp->d[v];
    const cm_format *fx = &from->x.s[c0->sx].fmt;
    int cnt = 0;
    for (int i = 0; i < ds->x.n && cnt < G_MAX_DECOMP_NEIGH; i++) {
        if (!same_shape(fx, &ds->x.s[i].fmt))
            continue;
        map_coord c = *c0;
        c.d = v;
        c.sx = i;
        fit_role(sp, &ds->x, c.sx, c.rx, &c.ox);
        if (ds->h.n) {
            c.sh = from->h.n ? c0->sh % ds->h.n : 0;
            fit_role(sp, &ds->h, c.sh, c.rh, &c.oh);
        }
        cnt++;
        if (g_eval(g, map_space_encode(sp, &c)))
            return 1;
    }
    return 0;
}

/* The points that differ from c0 in one digit only, the int at byte
 * offset off of a map_coord (values 0..n-1), evaluated in value order;
 * 1 when the search is done. */
static int vary_digit(guided *g, const map_coord *c0, size_t off, int n)
{
    int v0;
    memcpy(&v0, (const char *)c0 + off, sizeof v0);
    for (int v = 0; v < n; v++)
        if (v != v0) {
            map_coord c = *c0;
            memcpy((char *)&c + off, &v, sizeof v);
            if (g_eval(g, map_space_encode(g->sp, &c)))
                return 1;
        }
    return 0;
}

static int neighbours(guided *g, uint64_t k)
{
    const map_space *sp = g->sp;
    const map_space_def *def = &sp->def;
    map_coord c0;
    map_space_decode(sp, k, &c0);
    for (int i = 0; i < def->naxis; i++)
        if (vary_digit(g, &c0, offsetof(map_coord, hw) + (size_t)i * sizeof c0.hw[0],
                       def->axis[i].n))
            return 1;
    if (vary_digit(g, &c0, offsetof(map_coord, df), def->ndataflow) ||
        vary_digit(g, &c0, offsetof(map_coord, bm), def->nbankmap))
        return 1;
    if (role_neighbours(g, &c0, 0) || role_neighbours(g, &c0, 1))
        return 1;
    /* other decompositions: the structures of the same shape there */
    for (int v = 0; v < sp->nd; v++)
        if (v != c0.d && other_decomp(g, &c0, v))
            return 1;
    return 0;
}

static int random_start(guided *g, uint64_t count)
{
    for (uint64_t i = 0; i < count && g->rand_pos < g->sp->size; i++)
        if (g_eval(g, map_permute(g->rand_pos++, g->sp->size, g->o->seed)))
            return 1;
    return 0;
}

static int run_guided(map_eval *e, const map_space *sp, const map_search_opts *o,
                      map_visit_fn visit, map_skip_fn skip, void *ud, volatile const sig_atomic_t *stop)
{
    guided g = {.e = e, .sp = sp, .o = o, .visit = visit, .skip = skip, .ud = ud, .stop = stop,
                .budget = default_budget(sp, o)};
    g.front = map_front_new(o->nobj, o->dir);
    g.r = calloc(1, sizeof *g.r);
    if (!g.front || !g.r) {
        map_front_free(g.front);
        free(g.r);
        return -1;
    }
    /* a start of 2% of the budget (at least 16) spreads the search */
    uint64_t start = g.budget / 50 < 16 ? 16 : g.budget / 50;
    int done = random_start(&g, start);
    while (!done && g.used < g.budget) {
        if (g.qhead == g.qn) {
            if (g.rand_pos >= sp->size)
                break; /* everything reachable was evaluated */
            done = random_start(&g, start);
            continue;
        }
        uint64_t k = g.queue[g.qhead++];
        if (!in_front(g.front, k))
            continue; /* dominated since it joined */
        int ex = cm_hset_add(&g.explored, k);
        if (ex < 0) {
            g.rc = -1;
            break;
        }
        if (ex)
            continue;
        /* one fresh random point per exploration keeps the search from
         * settling in one region */
        done = neighbours(&g, k) || random_start(&g, 1);
    }
    map_front_free(g.front);
    free(g.r);
    cm_hset_free(&g.seen);
    cm_hset_free(&g.explored);
    free(g.queue);
    return g.rc;
}

int map_search_run(map_eval *e, const map_space *sp, const map_search_opts *o,
                   map_visit_fn visit, map_skip_fn skip, void *ud, volatile const sig_atomic_t *stop)
{
    if (o->strategy == MAP_GUIDED) {
        if (o->shard_n > 1 || o->nobj < 1)
            return -1;
        return run_guided(e, sp, o, visit, skip, ud, stop);
    }
    return run_sequence(e, sp, o, visit, skip, ud, stop);
}
