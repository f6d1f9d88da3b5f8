/*
 * map_decode.c - reading a built space (map_space.h): index <-> coordinates
 * (mixed radix over the prefix sums of map_space.c's tables), coordinates
 * -> design point (ranks into the structure's format, the order from the
 * table or by the order mode, the mapping and hardware digits), and the
 * names and setting of the hardware parameters.
 */
#include "map_space.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Hardware parameters                                                  */
/* ------------------------------------------------------------------ */

static const char *const hw_names[MAP_HW_NPARAM] = {
    "pes", "lanes", "bits", "banks", "work_words", "wgt_words", "dram_mbps", "sfu_lanes",
    "freq_mhz"};

const char *map_hw_param_name(map_hw_param p) { return cm_name_of(hw_names, MAP_HW_NPARAM, (int)p); }

int map_hw_param_parse(const char *s, map_hw_param *p)
{
    int i = cm_name_find(hw_names, MAP_HW_NPARAM, s);
    if (i >= 0)
        *p = (map_hw_param)i;
    return i < 0 ? -1 : 0;
}

void map_hw_param_set(cm_hw *hw, map_hw_param p, int64_t v)
{
    switch (p) {
    case MAP_HW_PES: hw->pes = (int)v; break;
    case MAP_HW_LANES: hw->lanes = (int)v; break;
    case MAP_HW_BITS: hw->bits = (int)v; break;
    case MAP_HW_BANKS: hw->banks = (int)v; break;
    case MAP_HW_WORK_WORDS: hw->work_words = v; break;
    case MAP_HW_WGT_WORDS: hw->wgt_words = v; break;
    case MAP_HW_DRAM_MBPS: hw->dram_mbps = (int)v; break;
    case MAP_HW_SFU_LANES: hw->sfu_lanes = (int)v; break;
    case MAP_HW_FREQ_MHZ: hw->freq_mhz = (int)v; break;
    default: break;
    }
}

/* ------------------------------------------------------------------ */
/* Ranks                                                                */
/* ------------------------------------------------------------------ */

const map_ints *map_slot_values(const map_space_def *def, int list)
{
    if (list == 1 && def->rank_leaf.n)
        return &def->rank_leaf;
    if (list == 2 && def->rank_internal.n)
        return &def->rank_internal;
    return &def->rank_values;
}

static int lowest_bit(uint32_t m)
{
    int k = 0;
    while (k < 31 && !(m & (1u << k)))
        k++;
    return k;
}

void map_struct_ranks(const map_space *sp, const map_struct *s, const int *digits,
                      cm_format *f)
{
    *f = s->fmt;
    for (int i = 0; i < s->nslot; i++) {
        const map_ints *vals = map_slot_values(&sp->def, s->slot_list[i]);
        int r = (int)vals->v[digits[i]];
        for (uint32_t m = s->slot_nodes[i]; m; m &= m - 1) {
            int v = lowest_bit(m);
            if (f->kind == CM_HT)
                f->tree.rank[v] = r;
            else
                f->tt_rank[v] = r;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Index <-> coordinates                                                */
/* ------------------------------------------------------------------ */

/* The structure holding offset k of a role (binary search on base). */
static int find_struct(const map_role *r, uint64_t k)
{
    int lo = 0, hi = r->n - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (r->s[mid].base <= k)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void decode_role(const map_space *sp, const map_role *r, uint64_t k, int *s, int *rd,
                        int *o)
{
    *s = find_struct(r, k);
    const map_struct *st = &r->s[*s];
    uint64_t w = k - st->base;
    *o = (int)(w % (uint64_t)st->norders);
    w /= (uint64_t)st->norders;
    for (int i = st->nslot - 1; i >= 0; i--) {
        uint64_t n = (uint64_t)map_slot_values(&sp->def, st->slot_list[i])->n;
        rd[i] = (int)(w % n);
        w /= n;
    }
}

static uint64_t encode_role(const map_space *sp, const map_role *r, int s, const int *rd, int o)
{
    const map_struct *st = &r->s[s];
    uint64_t w = 0;
    for (int i = 0; i < st->nslot; i++)
        w = w * (uint64_t)map_slot_values(&sp->def, st->slot_list[i])->n + (uint64_t)rd[i];
    return st->base + w * (uint64_t)st->norders + (uint64_t)o;
}

static int find_decomp(const map_space *sp, uint64_t k)
{
    int i = 0;
    while (i + 1 < sp->nd && k >= sp->d[i + 1].base)
        i++;
    return i;
}

void map_space_decode(const map_space *sp, uint64_t k, map_coord *c)
{
    memset(c, 0, sizeof *c);
    map_space_decode_hw(sp, k, c);
    const map_dspace *ds = &sp->d[c->d];
    uint64_t alg = (k - ds->base) / sp->hw_size;
    uint64_t xi = alg / ds->h.total, hi = alg % ds->h.total;
    decode_role(sp, &ds->x, xi, &c->sx, c->rx, &c->ox);
    if (ds->h.n)
        decode_role(sp, &ds->h, hi, &c->sh, c->rh, &c->oh);
}

void map_space_decode_hw(const map_space *sp, uint64_t k, map_coord *c)
{
    c->d = find_decomp(sp, k);
    uint64_t hwp = (k - sp->d[c->d].base) % sp->hw_size;
    const map_space_def *def = &sp->def;
    for (int i = def->naxis - 1; i >= 0; i--) {
        c->hw[i] = (int)(hwp % (uint64_t)def->axis[i].n);
        hwp /= (uint64_t)def->axis[i].n;
    }
    c->bm = (int)(hwp % (uint64_t)def->nbankmap);
    c->df = (int)(hwp / (uint64_t)def->nbankmap);
}

uint64_t map_space_encode(const map_space *sp, const map_coord *c)
{
    const map_dspace *ds = &sp->d[c->d];
    const map_space_def *def = &sp->def;
    uint64_t xi = encode_role(sp, &ds->x, c->sx, c->rx, c->ox);
    uint64_t hi = ds->h.n ? encode_role(sp, &ds->h, c->sh, c->rh, c->oh) : 0;
    uint64_t alg = xi * ds->h.total + hi;
    uint64_t hwp = (uint64_t)c->df * (uint64_t)def->nbankmap + (uint64_t)c->bm;
    for (int i = 0; i < def->naxis; i++)
        hwp = hwp * (uint64_t)def->axis[i].n + (uint64_t)c->hw[i];
    return ds->base + alg * sp->hw_size + hwp;
}

uint64_t map_space_alg_key(const map_space *sp, uint64_t k)
{
    /* decomposition bases are multiples of hw_size, so k / hw_size is unique
     * per (decomposition, algorithm) */
    return k / sp->hw_size;
}

/* ------------------------------------------------------------------ */
/* Coordinates -> point                                                 */
/* ------------------------------------------------------------------ */

typedef struct {
    cm_order best;
    int64_t peak, macs;
    int have;
} peak_best;

static int peak_visit(const cm_order *o, void *ud)
{
    void **a = ud;
    const cm_net *net = a[0];
    peak_best *pb = a[1];
    cm_order_cost c;
    cm_order_cost_of(net, o, &c);
    if (!pb->have || c.peak < pb->peak || (c.peak == pb->peak && c.macs < pb->macs)) {
        pb->best = *o;
        pb->peak = c.peak;
        pb->macs = c.macs;
        pb->have = 1;
    }
    return 0;
}

/* The order of a matrix (from the table or by the order mode) and its cost
 * on the matrix's network, which is built here once, into *net (valid when
 * cost->n > 0). */
static int matmap_order(const map_space *sp, const map_struct *st, int o, cm_matmap *mm,
                        cm_order_cost *cost, cm_net *net, char *err, size_t errlen)
{
    if (st->orders) {
        mm->order = st->orders[o];
        /* the table's orders were checked on this structure's network */
        if (cm_net_build(&mm->fmt, net, NULL, 0)) {
            cost->n = 0;
            cost->macs = cost->peak = 0;
        } else {
            cm_order_cost_of(net, &mm->order, cost);
        }
        return 0;
    }
    if (cm_net_build(&mm->fmt, net, err, errlen))
        return -1;
    if (mm->fmt.kind == CM_DENSE || sp->def.order_mode == MAP_ORD_DEFAULT) {
        cm_order_default(net, &mm->order);
    } else if (sp->def.order_mode == MAP_ORD_MIN_PEAK) {
        peak_best pb = {.have = 0};
        void *a[2] = {net, &pb};
        cm_order_enumerate(net, peak_visit, a);
        mm->order = pb.best;
    } else {
        cm_order_best(net, &mm->order, cost);
    }
    cm_order_cost_of(net, &mm->order, cost);
    return 0;
}

int map_space_alg(const map_space *sp, const map_coord *c, cm_point *p, cm_order_cost cost[2],
                  cm_net net[2], char *err, size_t errlen)
{
    const map_space_def *def = &sp->def;
    const map_dspace *ds = &sp->d[c->d];
    memset(p, 0, sizeof *p);
    p->layer = CM_LAYER_LSTM;
    p->n_in = def->n_in;
    p->hidden = def->hidden;
    p->decomp = ds->decomp;
    const map_struct *sx = &ds->x.s[c->sx];
    map_struct_ranks(sp, sx, c->rx, &p->wx.fmt);
    if (matmap_order(sp, sx, c->ox, &p->wx, &cost[0], &net[0], err, errlen))
        return -1;
    if (ds->decomp == CM_DECOMP_CONCAT)
        p->n_pad = (int)cm_modes_cols(&p->wx.fmt.modes);
    cost[1].n = 0;
    cost[1].macs = cost[1].peak = 0;
    if (ds->h.n) {
        const map_struct *sh = &ds->h.s[c->sh];
        map_struct_ranks(sp, sh, c->rh, &p->wh.fmt);
        if (matmap_order(sp, sh, c->oh, &p->wh, &cost[1], &net[1], err, errlen))
            return -1;
    }
    p->hw = def->hw_base;
    return 0;
}

int map_space_point(const map_space *sp, const map_coord *c, cm_point *p, char *err,
                    size_t errlen)
{
    const map_space_def *def = &sp->def;
    cm_order_cost cost[2];
    cm_net net[2];
    if (map_space_alg(sp, c, p, cost, net, err, errlen))
        return -1;
    cm_dataflow df = def->dataflow[c->df];
    cm_matmap_set_df(&p->wx, df);
    if (sp->d[c->d].h.n)
        cm_matmap_set_df(&p->wh, df);
    map_space_mapping(sp, c, p);
    return 0;
}

void map_space_mapping(const map_space *sp, const map_coord *c, cm_point *p)
{
    const map_space_def *def = &sp->def;
    p->map = def->bankmap[c->bm];
    for (int i = 0; i < def->naxis; i++) {
        const map_hw_axis *ax = &def->axis[i];
        for (int j = 0; j < ax->nparam; j++)
            map_hw_param_set(&p->hw, ax->param[j], ax->v[j][c->hw[i]]);
    }
}
