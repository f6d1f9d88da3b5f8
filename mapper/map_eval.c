/*
 * map_eval.c - evaluating the points of a space: decoding with a cache of
 * everything that depends on the algorithm only, cheap rejections before
 * the model, the analytical model, and the metrics of a result.
 *
 * What is cached and why (a point's parts vary at different rates; hardware
 * varies fastest in the index order, see map_space.h):
 *   - per algorithm (decomposition, structures, ranks, orders): the point's
 *     matrices with their orders (cm_order_best is a DP: not per point),
 *     parameter count, peak intermediate, error-proxy bounds and the verdict
 *     of the parameter and error budgets;
 *   - per factorization and mode set: the singular values of the reference
 *     matricization (the expensive part of the error proxy), computed on
 *     first use and kept for the evaluator's life.
 * The hot path (same algorithm) copies the cached point, sets the mapping
 * and hardware fields, and calls the model: no allocation, no formatting.
 */
#include "map_search.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- metrics (map_metric.h) ---- */

#define STR_(x) #x
#define METRIC_ROW_(ID, name, dir, integer, what) {STR_(name), MAP_##dir, integer, what},
static const struct {
    const char *name;
    map_dir dir;
    int integer;
    const char *what;
} metrics[MAP_M_COUNT] = {MAP_METRICS(METRIC_ROW_)};
#undef METRIC_ROW_

#define ALIAS_ROW_(alias, ID) {STR_(alias), MAP_M_##ID},
static const struct {
    const char *alias;
    map_metric m;
} aliases[] = {MAP_METRIC_ALIASES(ALIAS_ROW_)};
#undef ALIAS_ROW_

const char *map_metric_name(map_metric m)
{
    return (unsigned)m < MAP_M_COUNT ? metrics[m].name : "?";
}

int map_metric_integer(map_metric m) { return (unsigned)m < MAP_M_COUNT && metrics[m].integer; }

const char *map_metric_what(map_metric m)
{
    return (unsigned)m < MAP_M_COUNT ? metrics[m].what : "?";
}

map_dir map_metric_dir(map_metric m)
{
    return (unsigned)m < MAP_M_COUNT ? metrics[m].dir : MAP_MIN;
}

int map_metric_lookup(const char *name)
{
    for (int i = 0; i < MAP_M_COUNT; i++)
        if (!strcmp(name, metrics[i].name))
            return i;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(name, aliases[i].alias))
            return (int)aliases[i].m;
    return -1;
}

int map_metric_list(char *buf, size_t len)
{
    size_t u = 0;
    buf[0] = '\0';
    for (int i = 0; i < MAP_M_COUNT && u < len; i++)
        u += (size_t)snprintf(buf + u, len - u, "%s%s", i ? ", " : "", metrics[i].name);
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0] && u < len; i++)
        u += (size_t)snprintf(buf + u, len - u, ", %s = %s", aliases[i].alias,
                              metrics[aliases[i].m].name);
    return u < len ? 0 : -1;
}

int map_objective_parse(const char *s, map_metric *m, map_dir *dir)
{
    char name[64];
    const char *colon = strchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    if (n == 0 || n >= sizeof name)
        return -1;
    memcpy(name, s, n);
    name[n] = '\0';
    int found = map_metric_lookup(name);
    if (found < 0)
        return -1;
    *m = (map_metric)found;
    *dir = metrics[found].dir;
    if (colon) {
        if (!strcmp(colon + 1, "min"))
            *dir = MAP_MIN;
        else if (!strcmp(colon + 1, "max"))
            *dir = MAP_MAX;
        else
            return -1;
    }
    return 0;
}

const char *map_reject_name(int r)
{
    switch (r) {
    case MAP_REJ_PARAMS: return "params_budget";
    case MAP_REJ_ERROR: return "error_budget";
    case MAP_REJ_AREA: return "area_budget";
    default: return r >= 0 && r < CM_REJ_COUNT ? cm_reject_name((cm_reject)r) : "?";
    }
}

/* ---- spectra cache (error proxy) ---- */

typedef struct {
    int which;                 /* MAP_REF_* */
    cm_modes modes;
    unsigned have[(1u << CM_MAX_D) / 32];
    cm_spectrum sp[1u << CM_MAX_D];
} spectra;

/* Generations of the algorithm caches of all evaluators: unique, so that a
 * result's mark (map_result.held) names the evaluator and the algorithm. */
static atomic_uint_fast64_t next_gen;
#define HELD_DF (CM_DF_COUNT + 1)

struct map_eval {
    const map_space *sp;
    const cm_tech *tech;
    map_limits lim;
    map_ref ref;
    int64_t rows, n_in, hidden;
    int has_ref, have_norms;  /* an error proxy; norm2_* known (on first use) */
    double norm2_x, norm2_h;
    uint64_t counts[MAP_REJ_COUNT];
    cm_acache *acache;        /* the model's memo, shared across points */

    /* the algorithm cache */
    int have;
    uint64_t alg_key, gen;
    cm_point base;            /* matrices and orders; mapping/hw overwritten */
    cm_net net[2];            /* their networks, built once, for the model */
    const cm_net *netp[2];    /* net[i], or NULL when none was built */
    int64_t params, peak[2];
    double eu, el;
    int alg_reject;
    char alg_why[CM_ERRLEN];

    spectra **spc;
    int nspc, capspc;
    double *concat;           /* [W_x | W_h | 0], the last n_pad built */
    int64_t concat_cols;
};

map_eval *map_eval_new(const map_space *sp, const cm_tech *tech, const map_limits *lim,
                       const map_ref *ref, char *err, size_t errlen)
{
    map_eval *e = calloc(1, sizeof *e);
    if (!e) {
        cm_fail(err, errlen, "out of memory");
        return NULL;
    }
    e->sp = sp;
    e->tech = tech;
    if (!(e->acache = cm_acache_new())) {
        free(e);
        cm_fail(err, errlen, "out of memory");
        return NULL;
    }
    if (lim)
        e->lim = *lim;
    else {
        e->lim.max_params = 0;
        e->lim.max_area_mm2 = -1;
        e->lim.max_error = -1;
    }
    if (ref)
        e->ref = *ref;
    e->rows = 4 * (int64_t)sp->def.hidden;
    e->n_in = sp->def.n_in;
    e->hidden = sp->def.hidden;
    e->has_ref = e->ref.wx || e->ref.src;
    return e;
}

void map_eval_free(map_eval *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nspc; i++) {
        for (unsigned m = 0; m < (1u << CM_MAX_D); m++)
            if (e->spc[i]->have[m / 32] & (1u << (m % 32)))
                cm_spectrum_free(&e->spc[i]->sp[m]);
        free(e->spc[i]);
    }
    free(e->spc);
    free(e->concat);
    cm_acache_free(e->acache);
    free(e);
}

const uint64_t *map_eval_counts(const map_eval *e) { return e->counts; }

static spectra *spectra_for(map_eval *e, int which, const cm_modes *md)
{
    for (int i = 0; i < e->nspc; i++)
        if (e->spc[i]->which == which && !memcmp(&e->spc[i]->modes, md, sizeof *md))
            return e->spc[i];
    if (e->nspc == e->capspc) {
        int cap = e->capspc ? 2 * e->capspc : 16;
        spectra **n = realloc(e->spc, sizeof *n * (size_t)cap);
        if (!n)
            return NULL;
        e->spc = n;
        e->capspc = cap;
    }
    spectra *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->which = which;
    s->modes = *md;
    e->spc[e->nspc++] = s;
    return s;
}

/* The reference matrix a structure's matricizations come from. */
static const double *ref_matrix(map_eval *e, int which, const cm_modes *md)
{
    if (which == MAP_REF_WX)
        return e->ref.wx;
    if (which == MAP_REF_WH)
        return e->ref.wh;
    int64_t cols = cm_modes_cols(md);
    if (e->concat && e->concat_cols == cols)
        return e->concat;
    free(e->concat);
    e->concat = calloc((size_t)(e->rows * cols), sizeof(double));
    if (!e->concat)
        return NULL;
    e->concat_cols = cols;
    for (int64_t i = 0; i < e->rows; i++) {
        memcpy(e->concat + i * cols, e->ref.wx + i * e->n_in, sizeof(double) * (size_t)e->n_in);
        if (e->ref.wh)
            memcpy(e->concat + i * cols + e->n_in, e->ref.wh + i * e->hidden,
                   sizeof(double) * (size_t)e->hidden);
    }
    return e->concat;
}

static const cm_spectrum *spectrum(map_eval *e, spectra *s, int which, unsigned mask,
                                   char *err, size_t errlen)
{
    /* a mode set and its complement have one spectrum: compute it once */
    mask = cm_spectrum_canonical_mask(s->modes.d, mask);
    if (!(s->have[mask / 32] & (1u << (mask % 32))) && e->ref.src) {
        if (e->ref.src->spectrum(e->ref.src->ud, which, &s->modes, mask, &s->sp[mask], err,
                                 errlen))
            return NULL;
        s->have[mask / 32] |= 1u << (mask % 32);
    }
    if (!(s->have[mask / 32] & (1u << (mask % 32)))) {
        const double *W = ref_matrix(e, which, &s->modes);
        if (!W) {
            cm_fail(err, errlen, "out of memory (reference matrix)");
            return NULL;
        }
        if (cm_spectrum_compute(W, &s->modes, mask, &s->sp[mask], err, errlen))
            return NULL;
        s->have[mask / 32] |= 1u << (mask % 32);
    }
    return &s->sp[mask];
}

/* The matricizations the bounds of a decomposed structure read: TT's bonds
 * (modes 1..k), HT's nodes but the root and the root's right child (which
 * shares its left sibling's matricization); slot[i] is where the bounds
 * functions (cm_tt_bounds, cm_ht_bounds) expect masks[i]'s spectrum. */
static int format_masks(const cm_format *f, unsigned *masks, int *slot)
{
    int n = 0;
    if (f->kind == CM_TT) {
        for (int k = 1; k < f->modes.d; k++, n++) {
            masks[n] = (1u << k) - 1;
            slot[n] = k - 1;
        }
        return n;
    }
    const ht_tree *t = &f->tree;
    for (int v = 0; v < t->nnodes; v++)
        if (v != t->root && v != t->right[t->root]) {
            masks[n] = t->mask[v];
            slot[n++] = v;
        }
    return n;
}

/* Absolute error bounds of one matrix against its reference. */
static int matrix_bounds(map_eval *e, int which, const cm_format *f, double *lo, double *up,
                         char *err, size_t errlen)
{
    *lo = *up = 0;
    if (f->kind == CM_DENSE)
        return 0;
    spectra *s = spectra_for(e, which, &f->modes);
    if (!s)
        return cm_fail(err, errlen, "out of memory (spectra)");
    cm_spectrum sp[CM_MAX_NODES];
    memset(sp, 0, sizeof sp);
    unsigned masks[CM_MAX_NODES];
    int slot[CM_MAX_NODES], n = format_masks(f, masks, slot);
    for (int i = 0; i < n; i++) {
        const cm_spectrum *x = spectrum(e, s, which, masks[i], err, errlen);
        if (!x)
            return -1;
        sp[slot[i]] = *x;
    }
    if (f->kind == CM_TT)
        cm_tt_bounds(f->modes.d, f->tt_rank, sp, 1.0, lo, up);
    else
        cm_ht_bounds(&f->tree, sp, 1.0, lo, up);
    return 0;
}

/* The canonical masks matrix_bounds reads for one structure, each once. */
static int format_needs(int which, const cm_format *f, map_spectrum_need_fn fn, void *ud)
{
    unsigned masks[CM_MAX_NODES], seen[(1u << CM_MAX_D) / 32] = {0};
    int slot[CM_MAX_NODES], rc;
    if (f->kind == CM_DENSE)
        return 0;
    int n = format_masks(f, masks, slot);
    for (int i = 0; i < n; i++) {
        unsigned m = cm_spectrum_canonical_mask(f->modes.d, masks[i]);
        if (seen[m / 32] & (1u << (m % 32)))
            continue;
        seen[m / 32] |= 1u << (m % 32);
        if ((rc = fn(ud, which, &f->modes, m)))
            return rc;
    }
    return 0;
}

/* Mirrors layer_bounds: W_x's structures (concat's [W_x | W_h]), and W_h's
 * of separate.  A spectrum several structures share is offered each time
 * (the caller dedups: it keys them anyway). */
int map_spectra_each(const map_space *sp, map_spectrum_need_fn fn, void *ud)
{
    int rc;
    for (int i = 0; i < sp->nd; i++) {
        const map_dspace *ds = &sp->d[i];
        int which = ds->decomp == CM_DECOMP_CONCAT ? MAP_REF_CONCAT : MAP_REF_WX;
        for (int j = 0; j < ds->x.n; j++)
            if ((rc = format_needs(which, &ds->x.s[j].fmt, fn, ud)))
                return rc;
        if (ds->decomp != CM_DECOMP_SEPARATE || ds->h.dense)
            continue;
        for (int j = 0; j < ds->h.n; j++)
            if ((rc = format_needs(MAP_REF_WH, &ds->h.s[j].fmt, fn, ud)))
                return rc;
    }
    return 0;
}

/* Relative error bounds of the whole layer [W_x | W_h]. */
static int layer_bounds(map_eval *e, const cm_point *p, double *lo, double *up, char *err,
                        size_t errlen)
{
    double l1, u1, l2 = 0, u2 = 0;
    if (!e->have_norms) {
        if (e->ref.src) {
            if (e->ref.src->norms(e->ref.src->ud, &e->norm2_x, &e->norm2_h, err, errlen))
                return -1;
        } else {
            e->norm2_x = cm_sumsq(e->ref.wx, e->rows * e->n_in);
            e->norm2_h = e->ref.wh ? cm_sumsq(e->ref.wh, e->rows * e->hidden) : 0;
        }
        e->have_norms = 1;
    }
    double norm = sqrt(e->norm2_x + e->norm2_h);
    int which = p->decomp == CM_DECOMP_CONCAT ? MAP_REF_CONCAT : MAP_REF_WX;
    if (matrix_bounds(e, which, &p->wx.fmt, &l1, &u1, err, errlen))
        return -1;
    if (p->decomp == CM_DECOMP_SEPARATE) {
        if (!e->ref.wh && !e->ref.src)
            return cm_fail(err, errlen, "separate decomposition needs a reference W_h");
        if (matrix_bounds(e, MAP_REF_WH, &p->wh.fmt, &l2, &u2, err, errlen))
            return -1;
    }
    *lo = norm > 0 ? sqrt(l1 * l1 + l2 * l2) / norm : 0;
    *up = norm > 0 ? sqrt(u1 * u1 + u2 * u2) / norm : 0;
    return 0;
}

/* Largest intermediate along an order (x and y excluded). */
static int64_t peak_inter(const cm_order_cost *c)
{
    int64_t pk = 0;
    for (int s = 0; s + 1 < c->n; s++)
        if (c->step[s].out_size > pk)
            pk = c->step[s].out_size;
    return pk;
}

/* Rebuild the per-algorithm cache for index k: the point's matrices and
 * orders (map_space_alg builds each network once; the model gets them
 * too), the order's peak, the parameter count, the error bounds and the
 * budgets' verdict. */
static int load_alg(map_eval *e, uint64_t k, const map_coord *c, char *err, size_t errlen)
{
    cm_order_cost cost[2];
    e->have = 0;
    if (map_space_alg(e->sp, c, &e->base, cost, e->net, err, errlen))
        return -1;
    for (int i = 0; i < 2; i++)
        e->netp[i] = cost[i].n > 0 ? &e->net[i] : NULL;
    int nm = cm_point_nmat(&e->base);
    e->params = cm_format_params(&e->base.wx.fmt);
    e->peak[0] = peak_inter(&cost[0]);
    e->peak[1] = 0;
    if (nm > 1) {
        e->params += cm_format_params(&e->base.wh.fmt);
        e->peak[1] = peak_inter(&cost[1]);
    }
    e->eu = e->el = NAN;
    if (e->has_ref && layer_bounds(e, &e->base, &e->el, &e->eu, err, errlen))
        return -1;
    e->alg_reject = 0;
    if (e->lim.max_params > 0 && e->params > e->lim.max_params) {
        e->alg_reject = MAP_REJ_PARAMS;
        snprintf(e->alg_why, sizeof e->alg_why, "%lld parameters > budget %lld",
                 (long long)e->params, (long long)e->lim.max_params);
    } else if (e->lim.max_error >= 0 && e->eu > e->lim.max_error) {
        e->alg_reject = MAP_REJ_ERROR;
        snprintf(e->alg_why, sizeof e->alg_why, "error bound %.4g > budget %.4g", e->eu,
                 e->lim.max_error);
    }
    e->alg_key = map_space_alg_key(e->sp, k);
    e->gen = atomic_fetch_add(&next_gen, 1) + 1;
    e->have = 1;
    return 0;
}

int map_eval_decode(map_eval *e, uint64_t k, map_result *r)
{
    map_coord c;
    char err[CM_ERRLEN];
    r->index = k;
    int same_alg = e->have && e->alg_key == map_space_alg_key(e->sp, k);
    if (same_alg)
        map_space_decode_hw(e->sp, k, &c); /* the algorithm digits are cached */
    else
        map_space_decode(e->sp, k, &c);
    if (!same_alg) {
        if (load_alg(e, k, &c, err, sizeof err)) {
            snprintf(r->res.why, sizeof r->res.why, "%s", err);
            r->why = r->res.why;
            return -1;
        }
    }
    const map_space_def *def = &e->sp->def;
    /* r->held = gen * HELD_DF + the dataflow pt's steps hold (+1; 0 unset):
     * when gen is this cache's, r->pt holds these matrices already */
    int df_set = -1;
    if (r->held / HELD_DF != e->gen)
        r->pt = e->base;
    else
        df_set = (int)(r->held % HELD_DF) - 1;
    cm_dataflow df = def->dataflow[c.df];
    if (df_set != (int)df) { /* one dataflow for every step of the point */
        cm_matmap_set_df(&r->pt.wx, df);
        if (cm_point_nmat(&r->pt) > 1)
            cm_matmap_set_df(&r->pt.wh, df);
    }
    r->held = e->gen * HELD_DF + (uint64_t)df + 1;
    map_space_mapping(e->sp, &c, &r->pt);
    r->params = e->params;
    r->err_upper = e->eu;
    r->err_lower = e->el;
    return 0;
}

static void fill_metrics(map_result *r)
{
    const cm_result *x = &r->res;
    for (int i = 0; i < MAP_M_COUNT; i++)
        r->m[i] = NAN;
    r->m[MAP_M_PARAMS] = (double)r->params;
    r->m[MAP_M_ERR_UPPER] = r->err_upper;
    r->m[MAP_M_ERR_LOWER] = r->err_lower;
    if (!r->modeled || r->reject)
        return;
    r->m[MAP_M_MACS] = (double)x->macs;
    r->m[MAP_M_CYCLES] = (double)x->cycles;
    r->m[MAP_M_LATENCY] = (double)x->latency;
    r->m[MAP_M_AREA] = x->area_mm2;
    r->m[MAP_M_ENERGY] = x->energy_pj;
    r->m[MAP_M_POWER] = x->power_mw;
    r->m[MAP_M_THROUGHPUT] = x->throughput_fps;
    r->m[MAP_M_AREA_EFF] = x->area_eff;
    r->m[MAP_M_ENERGY_EFF] = x->energy_eff;
    r->m[MAP_M_UTIL] = x->utilization;
    r->m[MAP_M_CONFLICTS] = (double)x->conflicts;
    r->m[MAP_M_STALLS] = (double)x->stall_cycles;
    r->m[MAP_M_DRAM] = (double)x->dram_bytes;
}

static int reject(map_eval *e, map_result *r, int why, const char *text)
{
    r->reject = why;
    r->why = text;
    e->counts[why]++;
    fill_metrics(r);
    return 0;
}

int map_eval_decoded(map_eval *e, map_result *r)
{
    const cm_hw *hw = &r->pt.hw;
    r->modeled = 0;
    r->reject = 0;
    r->why = "";
    if (e->alg_reject)
        return reject(e, r, e->alg_reject, e->alg_why);
    /* the model's own order of checks: the bank map (its rule), then capacities */
    const char *unfit = cm_bankmap_unfit(r->pt.map, hw->banks);
    if (unfit)
        return reject(e, r, CM_REJ_MAP, unfit);
    /* a mapping whose largest intermediate exceeds one ping-pong half can
     * never fit, whatever the banking (the model's check is at least this
     * strict) */
    if (e->peak[0] > hw->work_words / 2 || e->peak[1] > hw->work_words / 2)
        return reject(e, r, CM_REJ_WORKMEM, "an intermediate exceeds a working-memory half");
    if (e->lim.max_area_mm2 >= 0) {
        /* the multipliers alone: a lower bound of the modeled area */
        double lb = (double)hw->pes * hw->lanes * cm_tech_mult_um2(e->tech, hw->bits) * 1e-6;
        if (lb > e->lim.max_area_mm2)
            return reject(e, r, MAP_REJ_AREA, "multiplier area alone exceeds the area budget");
    }
    r->modeled = 1;
    /* the networks are those of r->pt's matrices when it holds this cache's */
    int ours = e->have && r->held / HELD_DF == e->gen;
    if (cm_analytic_eval_cached(&r->pt, e->tech, e->acache, ours ? e->netp : NULL, &r->res)) {
        int why = (int)r->res.reject;
        if (why <= 0 || why >= CM_REJ_COUNT)
            why = CM_REJ_POINT;
        r->modeled = 0;
        return reject(e, r, why, r->res.why);
    }
    if (e->lim.max_area_mm2 >= 0 && r->res.area_mm2 > e->lim.max_area_mm2)
        return reject(e, r, MAP_REJ_AREA, "area over the budget");
    e->counts[0]++;
    fill_metrics(r);
    return 0;
}

int map_eval_index(map_eval *e, uint64_t k, map_result *r)
{
    if (map_eval_decode(e, k, r))
        return -1;
    return map_eval_decoded(e, r);
}
