/*
 * map_space.c - expansion of a space definition into tables (structures,
 * rank slots, order lists, hardware axes; see map_space.h).  Reading the
 * tables back, index <-> coordinates <-> design point, is map_decode.c.
 *
 * Everything that depends on fewer parameters than a point is computed here
 * once: the structures of each matrix role (format x factorization x tree),
 * their rank slots and, for `orders: all` or given orders, the order lists.
 * Decoding a point is then arithmetic on these tables (map_decode.c).
 */
#include "map_space.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_STRUCT_CAP 1000000

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static int mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a && b > UINT64_MAX / a)
        return 0;
    *out = a * b;
    return 1;
}

int map_range(int64_t from, int64_t to, int64_t step, int64_t mul, int64_t *v, int max)
{
    int n = 0;
    if (from > to)
        return -1;
    if (mul > 1) {
        if (from < 1)
            return -1;
        for (int64_t x = from; x <= to; x *= mul) {
            if (n == max)
                return -1;
            v[n++] = x;
            if (x > INT64_MAX / mul)
                break;
        }
        return n;
    }
    if (step < 1)
        step = 1;
    for (int64_t x = from; x <= to; x += step) {
        if (n == max)
            return -1;
        v[n++] = x;
        if (x > INT64_MAX - step)
            break;
    }
    return n;
}

uint64_t map_shard_count(uint64_t size, uint64_t block, uint64_t i, uint64_t n)
{
    if (n == 0 || i >= n || block == 0)
        return 0;
    uint64_t nb = size / block, last = size % block; /* full blocks; the partial one */
    uint64_t c = (nb / n + (i < nb % n)) * block;
    if (last && nb % n == i) /* the partial block is block number nb */
        c += last;
    return c;
}

/* ------------------------------------------------------------------ */
/* Building the structures of a matrix role                             */
/* ------------------------------------------------------------------ */

typedef struct {
    int d;
    int64_t f[CM_MAX_D];
} side_fact;

typedef struct {
    side_fact *v;
    int n, cap;
} side_list;

/* Array v of n used and *cap allocated elements of size elem, with room
 * for one more (doubling, from `first`): the array, or NULL when out of
 * memory (v is then unchanged). */
static void *grow(void *v, int n, int *cap, size_t elem, int first)
{
    if (n < *cap)
        return v;
    int nc = *cap ? *cap * 2 : first;
    void *nv = realloc(v, elem * (size_t)nc);
    if (nv)
        *cap = nc;
    return nv;
}

static int side_push(side_list *l, int d, const int64_t *f)
{
    side_fact *nv = grow(l->v, l->n, &l->cap, sizeof *nv, 16);
    if (!nv)
        return -1;
    l->v = nv;
    side_fact *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    s->d = d;
    memcpy(s->f, f, sizeof(int64_t) * (size_t)d);
    return 0;
}

typedef struct {
    const map_space_def *def;
    map_src *bad;
    char *err;
    size_t errlen;
} build_ctx;

static int fail_at(build_ctx *b, map_src src, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail_at(build_ctx *b, map_src src, const char *fmt, ...)
{
    if (b->bad)
        *b->bad = src;
    if (b->err && b->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->err, b->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/*
 * The factorizations of one side: explicit entries with a product in
 * [lo, hi] (used[] marks them), else generated for every d in ds.
 */
static int side_facts(build_ctx *b, const map_modes_def *md, int out_side, int64_t lo,
                      int64_t hi, const int *ds, int nds, side_list *l, char *used)
{
    int nexp = out_side ? md->nout : md->nin;
    if (nexp) {
        for (int i = 0; i < nexp; i++) {
            const cm_modes *m = out_side ? &md->out[i] : &md->in[i];
            int64_t f[CM_MAX_D];
            for (int k = 0; k < m->d; k++)
                f[k] = out_side ? m->m[k] : m->n[k];
            int64_t p = out_side ? cm_modes_rows(m) : cm_modes_cols(m); /* -1: overflow */
            if (p < lo || p > hi)
                continue;
            used[i] = 1;
            if (side_push(l, m->d, f))
                return fail_at(b, -1, "out of memory");
        }
        return 0;
    }
    for (int j = 0; j < nds; j++) {
        int64_t(*res)[CM_MAX_D];
        int n;
        int64_t flo = out_side ? md->out_lo : md->in_lo, fhi = out_side ? md->out_hi : md->in_hi;
        int rc = map_factorize(lo, hi, ds[j], flo, fhi, md->any_order, md->limit, &res, &n);
        if (rc == -2)
            return fail_at(b, md->src, "more than %d candidate factorizations of %s side; "
                           "narrow the factor bounds or the padding", MAP_FACT_CAP,
                           out_side ? "the output" : "the input");
        if (rc)
            return fail_at(b, md->src, "bad factorization bounds");
        for (int i = 0; i < n; i++)
            if (side_push(l, ds[j], res[i])) {
                free(res);
                return fail_at(b, -1, "out of memory");
            }
        free(res);
    }
    return 0;
}

/* Trees of the space with d modes, deduplicated, in definition order. */
typedef struct {
    ht_tree *t;
    int n, cap;
} tree_list;

static int tree_push(tree_list *l, const ht_tree *t)
{
    for (int i = 0; i < l->n; i++)
        if (!memcmp(&l->t[i], t, sizeof *t))
            return 0;
    ht_tree *nt = grow(l->t, l->n, &l->cap, sizeof *nt, 16);
    if (!nt)
        return -1;
    l->t = nt;
    l->t[l->n++] = *t;
    return 0;
}

static int tree_visit(const ht_tree *t, void *ud) { return tree_push(ud, t) ? 1 : 0; }

static int trees_for(const map_space_def *def, int d, tree_list *l)
{
    for (int i = 0; i < def->ntree; i++) {
        ht_tree t;
        memset(&t, 0, sizeof t);
        switch (def->tree[i].kind) {
        case MAP_TREE_ALL:
            if (ht_enumerate(d, tree_visit, l))
                return -1;
            continue;
        case MAP_TREE_BALANCED:
            ht_balanced(d, &t);
            break;
        case MAP_TREE_CATERPILLAR:
            ht_caterpillar(d, &t);
            break;
        case MAP_TREE_GIVEN:
            if (def->tree[i].tree.d != d)
                continue;
            t = def->tree[i].tree;
            break;
        }
        if (tree_push(l, &t))
            return -1;
    }
    return 0;
}

static int depth_of(const ht_tree *t, int node)
{
    int dep = 0;
    while (node != t->root && node >= 0 && dep <= CM_MAX_NODES) {
        node = t->parent[node];
        dep++;
    }
    return dep;
}

static void add_slot(map_struct *s, int list, uint32_t nodes)
{
    if (!nodes)
        return;
    s->slot_list[s->nslot] = list;
    s->slot_nodes[s->nslot] = nodes;
    s->nslot++;
}

/* Rank slots of a structure by the rank mode. */
static void make_slots(const map_space_def *def, map_struct *s)
{
    const cm_format *f = &s->fmt;
    int d = f->modes.d;
    s->nslot = 0;
    if (f->kind == CM_DENSE)
        return;
    if (f->kind == CM_TT) {
        uint32_t all = 0;
        for (int k = 1; k < d; k++)
            all |= 1u << k;
        if (def->rank_mode == MAP_RANK_UNIFORM || def->rank_mode == MAP_RANK_LEAF_INTERNAL) {
            add_slot(s, def->rank_mode == MAP_RANK_UNIFORM ? 0 : 2, all);
        } else {
            for (int k = 1; k < d; k++)
                add_slot(s, 0, 1u << k);
        }
        return;
    }
    const ht_tree *t = &f->tree;
    uint32_t leaves = 0, internal = 0;
    for (int v = 0; v < t->nnodes; v++) {
        if (v == t->root)
            continue;
        if (v < d)
            leaves |= 1u << v;
        else
            internal |= 1u << v;
    }
    switch (def->rank_mode) {
    case MAP_RANK_UNIFORM:
        add_slot(s, 0, leaves | internal);
        break;
    case MAP_RANK_LEAF_INTERNAL:
        add_slot(s, 1, leaves);
        add_slot(s, 2, internal);
        break;
    case MAP_RANK_PER_LEVEL:
        for (int dep = 1; dep < CM_MAX_NODES; dep++) {
            uint32_t m = 0;
            for (int v = 0; v < t->nnodes; v++)
                if (v != t->root && depth_of(t, v) == dep)
                    m |= 1u << v;
            add_slot(s, 0, m);
        }
        break;
    case MAP_RANK_PER_NODE:
        /* the root's two children share one matricization: one slot */
        for (int v = 0; v < t->nnodes; v++) {
            if (v == t->root || v == t->right[t->root])
                continue;
            uint32_t m = 1u << v;
            if (v == t->left[t->root])
                m |= 1u << t->right[t->root];
            add_slot(s, 0, m);
        }
        break;
    }
}

/* A copy of the format with every rank 1 (order validity ignores ranks). */
static void unit_ranks(const cm_format *in, cm_format *out)
{
    *out = *in;
    if (out->kind == CM_HT)
        ht_fill_ranks(&out->tree, 1);
    for (int k = 0; k <= out->modes.d; k++)
        out->tt_rank[k] = 1;
}

typedef struct {
    cm_order *o;
    int n, cap;
} order_list;

static int order_visit(const cm_order *o, void *ud)
{
    order_list *l = ud;
    if (l->n == l->cap)
        return 1;
    l->o[l->n++] = *o;
    return 0;
}

/* Order tables of modes all / given. */
static int make_orders(build_ctx *b, map_struct *s)
{
    const map_space_def *def = b->def;
    s->norders = 1;
    s->orders = NULL;
    if (def->order_mode != MAP_ORD_ALL && def->order_mode != MAP_ORD_GIVEN)
        return 0;
    cm_format f;
    cm_net net;
    char err[CM_ERRLEN];
    unit_ranks(&s->fmt, &f);
    if (cm_net_build(&f, &net, err, sizeof err))
        return fail_at(b, def->orders_src, "%s", err);
    int cap = def->order_mode == MAP_ORD_ALL ? def->max_orders : def->norder;
    order_list l = {calloc((size_t)cap + 1, sizeof(cm_order)), 0, cap};
    if (!l.o)
        return fail_at(b, -1, "out of memory");
    if (def->order_mode == MAP_ORD_ALL) {
        l.cap = cap + 1;
        cm_order_enumerate(&net, order_visit, &l);
        if (l.n > cap) {
            free(l.o);
            char tb[128] = "";
            if (s->fmt.kind == CM_HT)
                ht_format(&s->fmt.tree, tb, sizeof tb);
            return fail_at(b, def->orders_src,
                           "orders: all gives more than %d orders for %s %s; use best or "
                           "min_peak, or raise max_orders", cap, cm_kind_name(s->fmt.kind), tb);
        }
    } else {
        char first[CM_ERRLEN] = "";
        for (int i = 0; i < def->norder; i++) {
            cm_order o;
            if (cm_order_parse(&net, def->order[i], &o, err, sizeof err) == 0)
                l.o[l.n++] = o;
            else if (!first[0])
                snprintf(first, sizeof first, "%s", err);
        }
        if (l.n == 0) {
            free(l.o);
            char tb[128] = "";
            if (s->fmt.kind == CM_HT)
                ht_format(&s->fmt.tree, tb, sizeof tb);
            return fail_at(b, def->orders_src, "no given order is valid for the %s format %s "
                           "(d = %d; '%s': %s); give trees that match the orders",
                           cm_kind_name(s->fmt.kind), tb, s->fmt.modes.d, def->order[0], first);
        }
    }
    s->orders = l.o;
    s->norders = l.n;
    return 0;
}

static void role_free(map_role *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->s[i].orders);
    free(r->s);
    memset(r, 0, sizeof *r);
}

static int role_push(build_ctx *b, map_role *r, int *cap, const map_struct *s)
{
    if (r->n >= MAP_STRUCT_CAP)
        return fail_at(b, -1, "more than %d structures for one matrix", MAP_STRUCT_CAP);
    map_struct *ns = grow(r->s, r->n, cap, sizeof *ns, 64);
    if (!ns)
        return fail_at(b, -1, "out of memory");
    r->s = ns;
    r->s[r->n++] = *s;
    return 0;
}

/* Finish a structure (slots, orders, size) and append it. */
static int add_struct(build_ctx *b, map_role *r, int *cap, map_struct *s)
{
    make_slots(b->def, s);
    uint64_t nr = 1;
    for (int i = 0; i < s->nslot; i++) {
        const map_ints *vals = map_slot_values(b->def, s->slot_list[i]);
        if (!mul_ok(nr, (uint64_t)vals->n, &nr))
            return fail_at(b, b->def->ranks_src, "too many rank combinations");
    }
    s->nranks = nr;
    if (make_orders(b, s))
        return -1;
    if (!mul_ok(s->nranks, (uint64_t)s->norders, &s->size)) {
        free(s->orders);
        return fail_at(b, b->def->ranks_src, "space too large (over 2^64 points)");
    }
    if (role_push(b, r, cap, s)) {
        free(s->orders);
        return -1;
    }
    return 0;
}

/* A dense rows x cols structure (one mode), nothing else set. */
static void dense_struct(map_struct *s, int64_t rows, int64_t cols)
{
    memset(s, 0, sizeof *s);
    s->fmt.kind = CM_DENSE;
    s->fmt.modes.d = 1;
    s->fmt.modes.m[0] = (int)rows;
    s->fmt.modes.n[0] = (int)cols;
}

/*
 * The structures of one decomposed matrix of rows x [clo, chi] columns:
 * every format x (out, in) factorization pair of equal d x tree.
 */
static int build_role(build_ctx *b, const map_modes_def *md, const char *what, int64_t rows,
                      int64_t clo, int64_t chi, map_role *r, char *used_out, char *used_in)
{
    const map_space_def *def = b->def;
    int ds[CM_MAX_D], nds = 0;
    side_list lo = {0}, li = {0};
    int cap = 0, rc = -1;
    memset(r, 0, sizeof *r);
    /* the d values: those of explicit lists, else the def's d list */
    for (int k = 1; k <= CM_MAX_D; k++) {
        int want = 0;
        for (int i = 0; i < md->nout; i++)
            want |= md->out[i].d == k;
        for (int i = 0; i < md->nin; i++)
            want |= md->in[i].d == k;
        if (!md->nout && !md->nin)
            for (int i = 0; i < md->d.n; i++)
                want |= md->d.v[i] == k;
        if (want)
            ds[nds++] = k;
    }
    if (side_facts(b, md, 1, rows, rows, ds, nds, &lo, used_out) ||
        side_facts(b, md, 0, clo, chi, ds, nds, &li, used_in))
        goto out;
    for (int fi = 0; fi < def->nformat; fi++) {
        cm_kind kind = def->format[fi];
        if (kind == CM_DENSE) {
            map_struct s;
            dense_struct(&s, rows, clo);
            if (add_struct(b, r, &cap, &s))
                goto out;
            continue;
        }
        for (int a = 0; a < lo.n; a++)
            for (int c = 0; c < li.n; c++) {
                if (lo.v[a].d != li.v[c].d)
                    continue;
                map_struct s;
                memset(&s, 0, sizeof s);
                s.fmt.kind = kind;
                s.fmt.modes.d = lo.v[a].d;
                for (int k = 0; k < lo.v[a].d; k++) {
                    s.fmt.modes.m[k] = (int)lo.v[a].f[k];
                    s.fmt.modes.n[k] = (int)li.v[c].f[k];
                }
                if (kind == CM_TT) {
                    s.fmt.tt_rank[0] = s.fmt.tt_rank[s.fmt.modes.d] = 1;
                    if (add_struct(b, r, &cap, &s))
                        goto out;
                    continue;
                }
                tree_list tl = {0};
                if (trees_for(def, s.fmt.modes.d, &tl)) {
                    free(tl.t);
                    fail_at(b, -1, "out of memory");
                    goto out;
                }
                for (int t = 0; t < tl.n; t++) {
                    s.fmt.tree = tl.t[t];
                    if (add_struct(b, r, &cap, &s)) {
                        free(tl.t);
                        goto out;
                    }
                }
                free(tl.t);
            }
    }
    if (r->n == 0) {
        fail_at(b, md->src, "no structure for %s: %d output factorizations of %lld and %d "
                "input factorizations of %lld..%lld with a common number of modes (and a "
                "tree)", what, lo.n, (long long)rows, li.n, (long long)clo, (long long)chi);
        goto out;
    }
    uint64_t base = 0;
    for (int i = 0; i < r->n; i++) {
        r->s[i].base = base;
        if (base + r->s[i].size < base) {
            fail_at(b, md->src, "space too large (over 2^64 points)");
            goto out;
        }
        base += r->s[i].size;
    }
    r->total = base;
    rc = 0;
out:
    free(lo.v);
    free(li.v);
    if (rc)
        role_free(r);
    return rc;
}

static int build_dense_role(build_ctx *b, int64_t rows, int64_t cols, map_role *r)
{
    int cap = 0;
    memset(r, 0, sizeof *r);
    map_struct s;
    dense_struct(&s, rows, cols);
    s.nranks = 1;
    s.norders = 1;
    s.size = 1;
    if (role_push(b, r, &cap, &s))
        return -1;
    r->total = 1;
    r->dense = 1;
    return 0;
}

/* Every explicit entry must serve some decomposition. */
static int check_used(build_ctx *b, const map_modes_def *md, const char *uo, const char *ui,
                      int64_t rows, const char *cols_text)
{
    char rows_text[64];
    snprintf(rows_text, sizeof rows_text, "%lld (4 x hidden)", (long long)rows);
    for (int out = 1; out >= 0; out--) /* the output side first */
        for (int i = 0; i < (out ? md->nout : md->nin); i++) {
            if ((out ? uo : ui)[i])
                continue;
            const cm_modes *m = out ? &md->out[i] : &md->in[i];
            const map_src *src = out ? md->out_src : md->in_src;
            int64_t p = 1;
            for (int k = 0; k < m->d; k++)
                p *= out ? m->m[k] : m->n[k];
            return fail_at(b, src ? src[i] : md->src,
                           "%s factorization has product %lld, expected %s",
                           out ? "output" : "input", (long long)p, out ? rows_text : cols_text);
        }
    return 0;
}

/* Column range of W_x for a decomposition: N_in, or N_in + H padded. */
static void x_cols(const map_space_def *def, cm_decomp dc, int64_t *lo, int64_t *hi)
{
    *lo = *hi = def->n_in;
    if (dc == CM_DECOMP_CONCAT) {
        *lo = (int64_t)def->n_in + def->hidden;
        *hi = (int64_t)((double)*lo * (1.0 + def->modes_x.pad) + 1e-9);
    }
}

/* Explicit factorizations must fit some decomposition: report the entry. */
static int precheck(build_ctx *b, int64_t rows)
{
    const map_space_def *def = b->def;
    char cols[200];
    int n = 0;
    cols[0] = '\0';
    for (int i = 0; i < def->ndecomp; i++) {
        int64_t lo, hi;
        x_cols(def, def->decomp[i], &lo, &hi);
        int w = lo == hi ? snprintf(cols + n, sizeof cols - (size_t)n, "%s%lld (%s)", i ? " or " : "",
                                    (long long)lo, cm_decomp_name(def->decomp[i]))
                         : snprintf(cols + n, sizeof cols - (size_t)n, "%s%lld..%lld (%s, padded)",
                                    i ? " or " : "", (long long)lo, (long long)hi,
                                    cm_decomp_name(def->decomp[i]));
        if (w < 0 || (size_t)w >= sizeof cols - (size_t)n)
            break;
        n += w;
    }
    const map_modes_def *md = &def->modes_x;
    for (int i = 0; i < md->nout; i++) {
        int64_t p = 1;
        for (int k = 0; k < md->out[i].d; k++)
            p *= md->out[i].m[k];
        if (p != rows)
            return fail_at(b, md->out_src ? md->out_src[i] : md->src,
                           "output factorization has product %lld, expected %lld (4 x hidden)",
                           (long long)p, (long long)rows);
    }
    for (int i = 0; i < md->nin; i++) {
        int64_t p = 1, ok = 0;
        for (int k = 0; k < md->in[i].d; k++)
            p *= md->in[i].n[k];
        for (int j = 0; j < def->ndecomp; j++) {
            int64_t lo, hi;
            x_cols(def, def->decomp[j], &lo, &hi);
            ok |= p >= lo && p <= hi;
        }
        if (!ok)
            return fail_at(b, md->in_src ? md->in_src[i] : md->src,
                           "input factorization has product %lld, expected %s", (long long)p, cols);
    }
    return 0;
}

int map_space_build(const map_space_def *def, map_space *sp, map_src *bad_src, char *err,
                    size_t errlen)
{
    build_ctx b = {def, bad_src, err, errlen};
    memset(sp, 0, sizeof *sp);
    sp->def = *def;
    if (bad_src)
        *bad_src = -1;
    int64_t rows = 4 * (int64_t)def->hidden;
    char *uxo = calloc((size_t)def->modes_x.nout + 1, 1), *uxi = calloc((size_t)def->modes_x.nin + 1, 1);
    char *uho = calloc((size_t)def->modes_h.nout + 1, 1), *uhi = calloc((size_t)def->modes_h.nin + 1, 1);
    int rc = -1;
    if (!uxo || !uxi || !uho || !uhi) {
        fail_at(&b, -1, "out of memory");
        goto out;
    }
    /* hardware size */
    sp->hw_size = (uint64_t)def->ndataflow * (uint64_t)def->nbankmap;
    for (int i = 0; i < def->naxis; i++)
        if (!mul_ok(sp->hw_size, (uint64_t)def->axis[i].n, &sp->hw_size)) {
            fail_at(&b, def->axis[i].src, "hardware space too large");
            goto out;
        }
    if (sp->hw_size == 0) {
        fail_at(&b, -1, "empty hardware space");
        goto out;
    }
    if (precheck(&b, rows))
        goto out;
    for (int i = 0; i < def->ndecomp; i++) {
        map_dspace *ds = &sp->d[sp->nd++];
        ds->decomp = def->decomp[i];
        int64_t h = def->hidden, x_lo, x_hi;
        x_cols(def, ds->decomp, &x_lo, &x_hi);
        char what[64];
        snprintf(what, sizeof what, "W_x of decomposition %s", cm_decomp_name(ds->decomp));
        if (build_role(&b, &def->modes_x, what, rows, x_lo, x_hi, &ds->x, uxo, uxi))
            goto out;
        if (ds->decomp == CM_DECOMP_PARTIAL) {
            if (build_dense_role(&b, rows, h, &ds->h))
                goto out;
        } else if (ds->decomp == CM_DECOMP_SEPARATE) {
            if (build_role(&b, &def->modes_h, "W_h (separate)", rows, h, h, &ds->h, uho, uhi))
                goto out;
        } else {
            ds->h.total = 1;
        }
        uint64_t s;
        if (!mul_ok(ds->x.total, ds->h.total, &s) || !mul_ok(s, sp->hw_size, &ds->size)) {
            fail_at(&b, def->modes_x.src, "space too large (over 2^64 points)");
            goto out;
        }
        ds->base = sp->size;
        if (sp->size + ds->size < sp->size) {
            fail_at(&b, def->modes_x.src, "space too large (over 2^64 points)");
            goto out;
        }
        sp->size += ds->size;
    }
    {
        char cols[160];
        int n = 0;
        cols[0] = '\0';
        for (int i = 0; i < def->ndecomp; i++) {
            int64_t lo = def->decomp[i] == CM_DECOMP_CONCAT ? def->n_in + def->hidden : def->n_in;
            if (def->decomp[i] == CM_DECOMP_CONCAT)
                n += snprintf(cols + n, sizeof cols - (size_t)n, "%s%lld..%lld (concat: N_in + H, padded)",
                              i ? " or " : "", (long long)lo,
                              (long long)((double)lo * (1.0 + def->modes_x.pad) + 1e-9));
            else
                n += snprintf(cols + n, sizeof cols - (size_t)n, "%s%lld (N_in)", i ? " or " : "",
                              (long long)lo);
            if (n < 0 || (size_t)n >= sizeof cols)
                break;
        }
        if (check_used(&b, &def->modes_x, uxo, uxi, rows, cols))
            goto out;
        char hcols[32];
        snprintf(hcols, sizeof hcols, "%d (H)", def->hidden);
        for (int i = 0; i < def->ndecomp; i++)
            if (def->decomp[i] == CM_DECOMP_SEPARATE &&
                check_used(&b, &def->modes_h, uho, uhi, rows, hcols))
                goto out;
    }
    rc = 0;
out:
    free(uxo);
    free(uxi);
    free(uho);
    free(uhi);
    if (rc)
        map_space_free(sp);
    return rc;
}

void map_space_free(map_space *sp)
{
    for (int i = 0; i < sp->nd; i++) {
        role_free(&sp->d[i].x);
        role_free(&sp->d[i].h);
    }
    memset(sp, 0, sizeof *sp);
}
