/*
 * spec_space.c - the half of the spec conversion (spec.c) that builds the
 * mapper's space definition: the workload, the algorithm space (formats,
 * mode factorizations, trees, ranks, orders, dataflows, bank maps) and the
 * hardware parameters with their technology table, with the semantic
 * checks a schema cannot express, reported at the offending node.
 */
#include "spec_int.h"
#include "valparse.h"
#include "tech.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* An intset (value, list or range) into sorted-as-given values. */
static int intset(conv *v, const ynode *n, map_ints *out)
{
    int64_t tmp[MAP_MAX_VALUES];
    int cnt = 0;
    out->n = 0;
    out->v = NULL;
    if (!n)
        return 0;
    if (n->kind == YN_SCALAR) {
        tmp[cnt++] = spec_ival(n);
    } else if (n->kind == YN_SEQ) {
        for (const ynode *x = n->first; x && cnt < MAP_MAX_VALUES; x = x->next) {
            for (int i = 0; i < cnt; i++)
                if (tmp[i] == spec_ival(x)) {
                    ERR(v->c, x, "value %lld given twice", spec_ival(x));
                    return -1;
                }
            tmp[cnt++] = spec_ival(x);
        }
    } else {
        const ynode *from = ymap_get(n, "from"), *to = ymap_get(n, "to");
        const ynode *step = ymap_get(n, "step"), *mul = ymap_get(n, "mul");
        if (step && mul) {
            ERR(v->c, n, "a range takes step or mul, not both");
            return -1;
        }
        if (!from || !to)
            return -1; /* reported by the schema */
        if (spec_ival(from) > spec_ival(to)) {
            ERR(v->c, n, "empty range: from %lld > to %lld", spec_ival(from), spec_ival(to));
            return -1;
        }
        if (mul && spec_ival(from) < 1) {
            ERR(v->c, n, "a geometric range (mul) needs from >= 1");
            return -1;
        }
        cnt = map_range(spec_ival(from), spec_ival(to), step ? spec_ival(step) : 1, mul ? spec_ival(mul) : 0, tmp,
                        MAP_MAX_VALUES);
        if (cnt < 0) {
            ERR(v->c, n, "range has more than %d values", MAP_MAX_VALUES);
            return -1;
        }
    }
    out->v = spec_alloc(v, sizeof(int64_t) * (size_t)cnt);
    if (!out->v)
        return -1;
    memcpy(out->v, tmp, sizeof(int64_t) * (size_t)cnt);
    out->n = cnt;
    return 0;
}

/* Items of a str-or-list node (a scalar counts as a list of one). */
static int str_items(const ynode *n, const ynode **items, int max)
{
    int k = 0;
    if (!n)
        return 0;
    if (n->kind == YN_SCALAR) {
        items[k++] = n;
        return k;
    }
    for (const ynode *x = n->first; x && k < max; x = x->next)
        items[k++] = x;
    return k;
}

static int no_dup_items(conv *v, const ynode **it, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(it[i]->text, it[j]->text)) {
                ERR(v->c, it[i], "'%s' given twice", it[i]->text);
                return -1;
            }
    return 0;
}

int spec_conv_workload(conv *v, const ynode *w)
{
    map_space_def *d = &v->s->def;
    const ynode *n;
    d->n_in = (int)spec_ival(ymap_get(w, "n_in"));
    d->hidden = (int)spec_ival(ymap_get(w, "hidden"));
    if ((n = ymap_get(w, "name")))
        snprintf(v->s->workload_name, sizeof v->s->workload_name, "%s", n->text);
    const ynode *it[8];
    int k = str_items(ymap_get(w, "decomposition"), it, 8);
    if (no_dup_items(v, it, k))
        return -1;
    d->ndecomp = 0;
    for (int i = 0; i < k; i++)
        cm_decomp_parse(it[i]->text, &d->decomp[d->ndecomp++]);
    if (k == 0)
        d->decomp[d->ndecomp++] = CM_DECOMP_CONCAT;
    if ((int64_t)d->n_in + d->hidden > INT_MAX / 2) {
        ERR(v->c, ymap_get(w, "n_in"), "n_in + hidden too large");
        return -1;
    }
    return 0;
}

/* Explicit factorization strings of one side. */
static int conv_mode_list(conv *v, const ynode *n, int out_side, const cm_modes **list,
                          const map_src **srcs, int *cnt)
{
    const ynode *it[1024];
    int k = str_items(n, it, 1024);
    *cnt = 0;
    if (!n)
        return 0;
    if (no_dup_items(v, it, k))
        return -1;
    cm_modes *m = spec_alloc(v, sizeof *m * (size_t)k);
    map_src *s = spec_alloc(v, sizeof *s * (size_t)k);
    if (!m || !s)
        return -1;
    for (int i = 0; i < k; i++) {
        int vals[CM_MAX_D], dd;
        char err[CM_ERRLEN];
        if (vp_modes(it[i]->text, vals, &dd, err, sizeof err)) {
            ERR(v->c, it[i], "expected mode sizes like 16x4x4x4 (1 to %d sizes >= 1): %s",
                CM_MAX_D, err);
            return -1;
        }
        memset(&m[i], 0, sizeof m[i]);
        m[i].d = dd;
        for (int j = 0; j < dd; j++) {
            if (out_side)
                m[i].m[j] = vals[j];
            else
                m[i].n[j] = vals[j];
        }
        s[i] = spec_src_of(v, it[i]);
    }
    *list = m;
    *srcs = s;
    *cnt = k;
    return 0;
}

static void set_bounds(const map_ints *s, int64_t *lo, int64_t *hi, int64_t dlo, int64_t dhi)
{
    *lo = dlo;
    *hi = dhi;
    if (s->n) {
        *lo = *hi = s->v[0];
        for (int i = 1; i < s->n; i++) {
            if (s->v[i] < *lo)
                *lo = s->v[i];
            if (s->v[i] > *hi)
                *hi = s->v[i];
        }
    }
}

static int conv_modes(conv *v, const ynode *n, map_modes_def *md, int64_t ncols)
{
    const ynode *x;
    memset(md, 0, sizeof *md);
    md->src = spec_src_of(v, n);
    if (conv_mode_list(v, ymap_get(n, "out"), 1, &md->out, &md->out_src, &md->nout) ||
        conv_mode_list(v, ymap_get(n, "in"), 0, &md->in, &md->in_src, &md->nin))
        return -1;
    if (md->nout && md->nin) {
        /* every explicit out d must have an in of the same d and back */
        for (int i = 0; i < md->nout; i++) {
            int ok = 0;
            for (int j = 0; j < md->nin; j++)
                ok |= md->in[j].d == md->out[i].d;
            if (!ok) {
                ERR(v->c, v->src[md->out_src[i]], "no input factorization has %d modes",
                    md->out[i].d);
                return -1;
            }
        }
    }
    map_ints ob, ib;
    if (intset(v, ymap_get(n, "d"), &md->d) || intset(v, ymap_get(n, "out_factor"), &ob) ||
        intset(v, ymap_get(n, "in_factor"), &ib))
        return -1;
    if ((md->nout || md->nin) && md->d.n) {
        ERR(v->c, ymap_get(n, "d"), "d is implied by the explicit out/in lists; remove it");
        return -1;
    }
    if (!md->d.n && !md->nout && !md->nin) {
        static int64_t four = 4;
        md->d.n = 1;
        md->d.v = &four;
    }
    set_bounds(&ob, &md->out_lo, &md->out_hi, 2, 4 * (int64_t)v->s->def.hidden);
    set_bounds(&ib, &md->in_lo, &md->in_hi, 2, ncols);
    md->pad = (x = ymap_get(n, "pad")) ? spec_nval(x) : 0.0;
    md->any_order = (x = ymap_get(n, "shape")) && !strcmp(x->text, "any");
    md->limit = (x = ymap_get(n, "limit")) ? (int)spec_ival(x) : 16;
    return 0;
}

static int conv_trees(conv *v, const ynode *n)
{
    map_space_def *d = &v->s->def;
    const ynode *it[1024];
    int k = str_items(n, it, 1024);
    if (no_dup_items(v, it, k))
        return -1;
    map_tree_def *t = spec_alloc(v, sizeof *t * (size_t)(k ? k : 1));
    if (!t)
        return -1;
    if (k == 0) {
        t[0].kind = MAP_TREE_BALANCED;
        k = 1;
    }
    for (int i = 0; i < k && n; i++) {
        const char *s = it[i]->text;
        t[i].src = spec_src_of(v, it[i]);
        if (!strcmp(s, "all"))
            t[i].kind = MAP_TREE_ALL;
        else if (!strcmp(s, "balanced"))
            t[i].kind = MAP_TREE_BALANCED;
        else if (!strcmp(s, "caterpillar"))
            t[i].kind = MAP_TREE_CATERPILLAR;
        else {
            char err[CM_ERRLEN];
            t[i].kind = MAP_TREE_GIVEN;
            if (ht_parse(s, &t[i].tree, err, sizeof err)) {
                ERR(v->c, it[i], "expected all, balanced, caterpillar or a tree like "
                    "((1,2),(3,4)): %s", err);
                return -1;
            }
            for (int j = 0; j < t[i].tree.nnodes; j++)
                if (j != t[i].tree.root && t[i].tree.rank[j]) {
                    ERR(v->c, it[i], "a tree in a spec has no ranks (the ranks key sets "
                        "them): write '%s' without ':r'", s);
                    return -1;
                }
        }
    }
    d->tree = t;
    d->ntree = k;
    return 0;
}

static int conv_ranks(conv *v, const ynode *n)
{
    map_space_def *d = &v->s->def;
    const ynode *m = ymap_get(n, "mode");
    d->ranks_src = spec_src_of(v, n);
    d->rank_mode = MAP_RANK_UNIFORM;
    if (m) {
        if (!strcmp(m->text, "leaf_internal"))
            d->rank_mode = MAP_RANK_LEAF_INTERNAL;
        else if (!strcmp(m->text, "per_level"))
            d->rank_mode = MAP_RANK_PER_LEVEL;
        else if (!strcmp(m->text, "per_node"))
            d->rank_mode = MAP_RANK_PER_NODE;
    }
    if (intset(v, ymap_get(n, "values"), &d->rank_values) ||
        intset(v, ymap_get(n, "leaf"), &d->rank_leaf) ||
        intset(v, ymap_get(n, "internal"), &d->rank_internal))
        return -1;
    if ((d->rank_leaf.n || d->rank_internal.n) && d->rank_mode != MAP_RANK_LEAF_INTERNAL) {
        ERR(v->c, ymap_get(n, d->rank_leaf.n ? "leaf" : "internal"),
            "leaf and internal ranks need mode: leaf_internal");
        return -1;
    }
    if (!d->rank_values.n &&
        !(d->rank_mode == MAP_RANK_LEAF_INTERNAL && d->rank_leaf.n && d->rank_internal.n)) {
        ERR(v->c, n, "missing required key 'values' (rank values)");
        return -1;
    }
    return 0;
}

static int conv_orders(conv *v, const ynode *n)
{
    map_space_def *d = &v->s->def;
    static const struct { const char *k; map_order_mode m; } kw[] = {
        {"best", MAP_ORD_BEST}, {"min_peak", MAP_ORD_MIN_PEAK}, {"default", MAP_ORD_DEFAULT},
        {"all", MAP_ORD_ALL}};
    const ynode *it[1024];
    int k = str_items(n, it, 1024);
    d->orders_src = spec_src_of(v, n);
    d->order_mode = MAP_ORD_BEST;
    if (k == 0)
        return 0;
    for (size_t j = 0; j < sizeof kw / sizeof kw[0]; j++)
        if (!strcmp(it[0]->text, kw[j].k)) {
            if (k > 1) {
                ERR(v->c, it[1], "'%s' stands alone; a list holds orders like 1,2,12,3,4,34,1234",
                    kw[j].k);
                return -1;
            }
            d->order_mode = kw[j].m;
            return 0;
        }
    if (no_dup_items(v, it, k))
        return -1;
    const char **s = spec_alloc(v, sizeof *s * (size_t)k);
    if (!s)
        return -1;
    for (int i = 0; i < k; i++) {
        for (size_t j = 0; j < sizeof kw / sizeof kw[0]; j++)
            if (!strcmp(it[i]->text, kw[j].k)) {
                ERR(v->c, it[i], "'%s' stands alone, not in a list of orders", kw[j].k);
                return -1;
            }
        s[i] = it[i]->text;
    }
    d->order_mode = MAP_ORD_GIVEN;
    d->order = s;
    d->norder = k;
    return 0;
}

static int conv_names(conv *v, const ynode *n, int (*parse)(const char *, int *), int *out,
                      int *cnt, int dflt)
{
    const ynode *it[16];
    int k = str_items(n, it, 16);
    if (no_dup_items(v, it, k))
        return -1;
    *cnt = 0;
    for (int i = 0; i < k; i++)
        if (parse(it[i]->text, &out[(*cnt)++]))
            return -1;
    if (!k) {
        out[0] = dflt;
        *cnt = 1;
    }
    return 0;
}

static int parse_df(const char *s, int *o)
{
    cm_dataflow d;
    int r = cm_dataflow_parse(s, &d);
    *o = (int)d;
    return r;
}

static int parse_bm(const char *s, int *o)
{
    cm_bankmap m;
    int r = cm_bankmap_parse(s, &m);
    *o = (int)m;
    return r;
}

static int parse_fmt(const char *s, int *o)
{
    cm_kind k;
    int r = cm_kind_parse(s, &k);
    *o = (int)k;
    return r;
}

int spec_conv_space(conv *v, const ynode *n)
{
    map_space_def *d = &v->s->def;
    const ynode *x;
    int tmp[8], cnt;
    if (conv_names(v, ymap_get(n, "formats"), parse_fmt, tmp, &cnt, CM_HT))
        return -1;
    d->nformat = cnt;
    for (int i = 0; i < cnt; i++)
        d->format[i] = (cm_kind)tmp[i];
    if (conv_names(v, ymap_get(n, "dataflows"), parse_df, tmp, &cnt, CM_DF_WP))
        return -1;
    d->ndataflow = cnt;
    for (int i = 0; i < cnt; i++)
        d->dataflow[i] = (cm_dataflow)tmp[i];
    if (conv_names(v, ymap_get(n, "bank_maps"), parse_bm, tmp, &cnt, CM_MAP_LINEAR))
        return -1;
    d->nbankmap = cnt;
    for (int i = 0; i < cnt; i++)
        d->bankmap[i] = (cm_bankmap)tmp[i];

    const ynode *modes = ymap_get(n, "modes");
    int has_sep = 0, has_concat = 0;
    for (int i = 0; i < d->ndecomp; i++) {
        has_sep |= d->decomp[i] == CM_DECOMP_SEPARATE;
        has_concat |= d->decomp[i] == CM_DECOMP_CONCAT;
    }
    int64_t ncols = (int64_t)d->n_in + (has_concat ? d->hidden : 0);
    if (conv_modes(v, ymap_get(modes, "wx"), &d->modes_x, ncols))
        return -1;
    if ((x = ymap_get(modes, "wh"))) {
        if (!has_sep) {
            ERRK(v->c, x, "modes of W_h apply to decomposition separate only");
            return -1;
        }
        if (conv_modes(v, x, &d->modes_h, d->hidden))
            return -1;
        d->has_modes_h = 1;
    } else if (has_sep) {
        ERR(v->c, modes, "decomposition separate needs modes.wh (the factorizations of W_h)");
        return -1;
    }
    if (d->modes_x.pad > 0 && !has_concat) {
        ERR(v->c, ymap_get(ymap_get(modes, "wx"), "pad"), "padding applies to decomposition concat only");
        return -1;
    }
    if (conv_trees(v, ymap_get(n, "trees")) || conv_ranks(v, ymap_get(n, "ranks")) ||
        conv_orders(v, ymap_get(n, "orders")))
        return -1;
    d->max_orders = (x = ymap_get(n, "max_orders")) ? (int)spec_ival(x) : MAP_MAX_ORDERS_DEFAULT;
    return 0;
}

/* Directory part of the spec's path ("." when none). */
static void spec_dir(const spec *s, char *buf, size_t n)
{
    const char *p = s->path ? s->path : "";
    const char *slash = strrchr(p, '/');
    if (!slash)
        snprintf(buf, n, ".");
    else
        snprintf(buf, n, "%.*s", (int)(slash - p), p);
}

/* The technology table the spec names (default 28nm), relative paths from
 * the spec's directory; its name becomes the points' tech field. */
static int load_tech(conv *v, const ynode *at)
{
    spec *s = v->s;
    char dir[4096], path[4096], err[CM_ERRLEN];
    spec_dir(s, dir, sizeof dir);
    if (tech_resolve(s->tech, dir, path, sizeof path, err, sizeof err) ||
        tech_load_file(path, &s->tech_table, err, sizeof err)) {
        if (at)
            ERR(v->c, at, "technology table: %s", err);
        else
            spec_diag_add(v->c->diag, "%s: error: default technology table %s: %s",
                          v->c->file, s->tech, err);
        return -1;
    }
    snprintf(s->def.hw_base.tech, sizeof s->def.hw_base.tech, "%s", s->tech_table.name);
    return 0;
}

int spec_conv_hardware(conv *v, const ynode *n)
{
    map_space_def *d = &v->s->def;
    const ynode *x;
    cm_hw_default(&d->hw_base);
    snprintf(v->s->tech, sizeof v->s->tech, "%s", d->hw_base.tech);
    if (!n)
        return load_tech(v, NULL);
    if ((x = ymap_get(n, "tech"))) {
        if (strlen(x->text) >= sizeof d->hw_base.tech || !x->text[0]) {
            ERR(v->c, x, "expected a technology table name like 28nm");
            return -1;
        }
        snprintf(d->hw_base.tech, sizeof d->hw_base.tech, "%s", x->text);
        snprintf(v->s->tech, sizeof v->s->tech, "%s", x->text);
    }
    const ynode *seen[MAP_HW_NPARAM] = {0};
    for (x = n->first; x; x = x->next) {
        map_hw_param p;
        if (map_hw_param_parse(x->key, &p))
            continue; /* tech, zip */
        map_ints vals;
        if (intset(v, x, &vals))
            return -1;
        seen[p] = x;
        if (vals.n == 1) {
            map_hw_param_set(&d->hw_base, p, vals.v[0]);
            continue;
        }
        if (d->naxis == MAP_MAX_HW_AXES) {
            ERR(v->c, x, "more than %d varying hardware parameters", MAP_MAX_HW_AXES);
            return -1;
        }
        map_hw_axis *ax = &d->axis[d->naxis++];
        memset(ax, 0, sizeof *ax);
        ax->nparam = 1;
        ax->param[0] = p;
        ax->n = vals.n;
        ax->v[0] = vals.v;
        ax->src = spec_src_of(v, x);
    }
    const ynode *zip = ymap_get(n, "zip");
    for (const ynode *g = zip ? zip->first : NULL; g; g = g->next) {
        if (d->naxis == MAP_MAX_HW_AXES) {
            ERR(v->c, g, "more than %d varying hardware parameters", MAP_MAX_HW_AXES);
            return -1;
        }
        if (g->n == 0) {
            ERR(v->c, g, "an empty zip group; expected parameter: [values...]");
            return -1;
        }
        map_hw_axis *ax = &d->axis[d->naxis];
        memset(ax, 0, sizeof *ax);
        ax->src = spec_src_of(v, g);
        for (const ynode *y = g->first; y; y = y->next) {
            map_hw_param p;
            if (map_hw_param_parse(y->key, &p))
                return -1;
            if (seen[p]) {
                ERRK(v->c, y, "%s is already set at line %d; a parameter is set once",
                     y->key, seen[p]->line);
                return -1;
            }
            seen[p] = y;
            if (ax->nparam && y->n != ax->n) {
                ERR(v->c, y, "zip lists must have equal lengths: %s has %d values, %s has %d",
                    y->key, y->n, map_hw_param_name(ax->param[0]), ax->n);
                return -1;
            }
            map_ints vals;
            if (intset(v, y, &vals))
                return -1;
            ax->param[ax->nparam] = p;
            ax->v[ax->nparam] = vals.v;
            ax->nparam++;
            ax->n = vals.n;
        }
        d->naxis++;
    }
    char err[CM_ERRLEN];
    if (load_tech(v, ymap_get(n, "tech")))
        return -1;
    if (cm_hw_check(&d->hw_base, err, sizeof err)) {
        ERR(v->c, n, "hardware parameters out of range: %s", err);
        return -1;
    }
    return 0;
}

