/*
 * tn_group.c - a network applied to a batch with some of its factors
 * merged ahead of time (weight-side pre-contraction),
 * chosen by a cost model, for the trainer (tn.h: tn_gplan).
 *
 * The chain of one factor per step has the fewest MACs, but its GEMMs are
 * thin (a consumed and a produced size of 4 to 30): they stream the whole
 * running tensor through memory for a few MACs per element, and BLAS spends
 * as long packing operands as multiplying.  Merging a group of factors into
 * one (e.g. an HT node with its two leaves) costs a small contraction per
 * mini-batch and gives one fat GEMM per application in place of three thin
 * ones.  Merging every factor is the dense reconstruction.  The plan tries
 * every partition of the factors into groups (Bell(7) = 877 for an HT tree
 * on four modes; above TN_GROUP_MAXF factors only all-separate and all-merged)
 * and keeps the cheapest by
 *   cost = sum over steps of rows (MACs + TN_MOVE_COST (consumed + produced))
 *          + TN_MERGE_FACTOR merge MACs (per application row of a batch),
 * a model in which moving an element costs as much as TN_MOVE_COST MACs.
 * The choice depends on the shapes only, never on timing, so it is the same
 * on every run.
 */
#include "tn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TN_GROUP_MAXF 7
#define TN_MOVE_COST 24.0
#define TN_MERGE_FACTOR 3.0

struct tn_gplan {
    int ng;                          /* groups */
    int nf;                          /* factors of the original network */
    int group_of[CM_NET_MAXF];
    int single[CM_NET_MAXF];         /* group g is the single factor single[g], or -1 */
    tn_plan *merge[CM_NET_MAXF];     /* group g's pre-contraction (recon plan) */
    tn_real *mtape[CM_NET_MAXF];
    tn_real *mf[CM_NET_MAXF], *dmf[CM_NET_MAXF]; /* merged factor, its gradient */
    int64_t msize[CM_NET_MAXF];
    tn_plan *outer;                  /* the chain over the groups */
    tn_real *gf[CM_NET_MAXF];        /* factor pointers of the outer plan */
    int64_t merge_macs;
    double cost;                     /* of the chosen partition, the model's units */
    char desc[128];
};

/* Indices of group members (mask of factors) shared with the outside:
 * an index is internal when two members carry it. */
static uint32_t group_mask(const cm_net *net, uint32_t members)
{
    uint32_t once = 0, twice = 0;
    for (int f = 0; f < net->nf; f++)
        if (members & (1u << f)) {
            twice |= once & net->fmask[f];
            once ^= net->fmask[f];
        }
    return once & ~twice;
}

static void ids_into(uint32_t mask, int *idx, int *n)
{
    *n = 0;
    for (int id = 0; id < CM_NET_MAXIDX; id++)
        if (mask & (1u << id))
            idx[(*n)++] = id;
}

/* The network of the groups: one factor per group, indices increasing. */
static void outer_net(const cm_net *net, const uint32_t *members, int ng, cm_net *o)
{
    *o = *net;
    o->nf = ng;
    memset(o->pred, 0, sizeof o->pred);
    for (int g = 0; g < ng; g++) {
        o->fmask[g] = group_mask(net, members[g]);
        if (__builtin_popcount(members[g]) == 1) {
            /* a factor on its own keeps its layout */
            int f = __builtin_ctz(members[g]);
            o->nidx[g] = net->nidx[f];
            memcpy(o->idx[g], net->idx[f], sizeof o->idx[g]);
            memcpy(o->label[g], net->label[f], sizeof o->label[g]);
            continue;
        }
        /* a merged group is laid out as its recon writes it: increasing ids */
        ids_into(o->fmask[g], o->idx[g], &o->nidx[g]);
        o->label[g][0] = 'g';
        o->label[g][1] = (char)('a' + g); /* g < CM_NET_MAXF = 15 */
        o->label[g][2] = '\0';
    }
}

/* Group g's pre-contraction network (its members; output: its outer
 * indices) and its best order; returns the order's MACs. */
static int64_t merge_net(const cm_net *net, uint32_t members, cm_net *m, cm_order *o)
{
    memset(m, 0, sizeof *m);
    m->kind = net->kind;
    m->d = net->d;
    memcpy(m->size, net->size, sizeof m->size);
    for (int f = 0; f < net->nf; f++)
        if (members & (1u << f)) {
            m->fmask[m->nf] = net->fmask[f];
            m->nidx[m->nf] = net->nidx[f];
            memcpy(m->idx[m->nf], net->idx[f], sizeof m->idx[0]);
            memcpy(m->label[m->nf], net->label[f], sizeof m->label[0]);
            m->nf++;
        }
    m->xmask = 0;
    m->ymask = group_mask(net, members);
    cm_order_cost c;
    cm_order_best(m, o, &c);
    return c.macs;
}

/* Cost of a chain per row, with moves, of the best order by MACs. */
static double chain_cost(const cm_net *net, cm_order *o)
{
    cm_order_cost c;
    cm_order_best(net, o, &c);
    double cost = 0;
    for (int s = 0; s < c.n; s++) {
        const cm_step *st = &c.step[s];
        cost += (double)st->macs +
                TN_MOVE_COST * (double)st->kept_size * (double)(st->consumed_size + st->produced_size);
    }
    return cost;
}

static double partition_cost(const cm_net *net, const uint32_t *members, int ng, double rows)
{
    cm_net o;
    cm_order ord;
    outer_net(net, members, ng, &o);
    double cost = rows * chain_cost(&o, &ord);
    for (int g = 0; g < ng; g++) {
        if (__builtin_popcount(members[g]) < 2)
            continue;
        cm_net m;
        cm_order mo;
        cost += TN_MERGE_FACTOR * (double)merge_net(net, members[g], &m, &mo);
    }
    return cost;
}

/* Every set partition of nf factors (restricted growth strings). */
typedef struct {
    const cm_net *net;
    double rows, best;
    int a[CM_NET_MAXF];
    uint32_t best_members[CM_NET_MAXF];
    int best_ng;
} search;

static void visit(search *s, int i, int ng)
{
    if (i == s->net->nf) {
        uint32_t members[CM_NET_MAXF] = {0};
        for (int f = 0; f < s->net->nf; f++)
            members[s->a[f]] |= 1u << f;
        double c = partition_cost(s->net, members, ng, s->rows);
        if (c < s->best) {
            s->best = c;
            s->best_ng = ng;
            memcpy(s->best_members, members, sizeof members);
        }
        return;
    }
    for (int g = 0; g <= ng && g < CM_NET_MAXF; g++) {
        s->a[i] = g;
        visit(s, i + 1, g == ng ? ng + 1 : ng);
    }
}

static double choose(const cm_net *net, double rows, uint32_t *members, int *ng)
{
    search s = {net, rows, 1e300, {0}, {0}, 0};
    if (net->nf <= TN_GROUP_MAXF) {
        visit(&s, 0, 0);
    } else {
        uint32_t one[CM_NET_MAXF] = {0}, all[1] = {(1u << net->nf) - 1};
        for (int f = 0; f < net->nf; f++)
            one[f] = 1u << f;
        double c1 = partition_cost(net, one, net->nf, rows);
        double c2 = partition_cost(net, all, 1, rows);
        s.best_ng = c1 <= c2 ? net->nf : 1;
        s.best = c1 <= c2 ? c1 : c2;
        memcpy(s.best_members, c1 <= c2 ? one : all, sizeof(uint32_t) * (size_t)s.best_ng);
    }
    *ng = s.best_ng;
    memcpy(members, s.best_members, sizeof(uint32_t) * (size_t)s.best_ng);
    return s.best;
}

static void describe(tn_gplan *p, const cm_net *net, const uint32_t *members)
{
    size_t u = 0;
    for (int g = 0; g < p->ng && u + 2 < sizeof p->desc; g++) {
        u += (size_t)snprintf(p->desc + u, sizeof p->desc - u, "%s", g ? " " : "");
        int first = 1;
        for (int f = 0; f < net->nf && u + 2 < sizeof p->desc; f++)
            if (members[g] & (1u << f)) {
                u += (size_t)snprintf(p->desc + u, sizeof p->desc - u, "%s%s", first ? "" : "+",
                                      net->label[f]);
                first = 0;
            }
    }
}

static int build_merges(tn_gplan *p, const cm_net *net, const uint32_t *members, char *err,
                        size_t errlen)
{
    for (int g = 0; g < p->ng; g++) {
        p->single[g] = -1;
        for (int f = 0; f < net->nf; f++)
            if (members[g] & (1u << f))
                p->group_of[f] = g;
        if (__builtin_popcount(members[g]) == 1) {
            p->single[g] = __builtin_ctz(members[g]);
            continue;
        }
        cm_net m;
        cm_order mo;
        p->merge_macs += merge_net(net, members[g], &m, &mo);
        if (tn_plan_new(&m, &mo, 1, 1, &p->merge[g], err, errlen))
            return -1;
        p->msize[g] = cm_net_mask_size(net, m.ymask);
        p->mtape[g] = malloc((size_t)tn_tape_size(p->merge[g]) * sizeof(tn_real));
        p->mf[g] = malloc((size_t)p->msize[g] * sizeof(tn_real));
        p->dmf[g] = malloc((size_t)p->msize[g] * sizeof(tn_real));
        if (!p->mtape[g] || !p->mf[g] || !p->dmf[g])
            return cm_fail(err, errlen, "out of memory");
    }
    return 0;
}

int tn_gplan_new(const cm_net *net, int maxrows, int64_t batch_rows, int merge,
                 tn_gplan **out, char *err, size_t errlen)
{
    *out = NULL;
    tn_gplan *p = calloc(1, sizeof *p);
    if (!p)
        return cm_fail(err, errlen, "out of memory");
    cm_net base = *net;
    memset(base.pred, 0, sizeof base.pred);
    uint32_t members[CM_NET_MAXF];
    if (merge) {
        p->cost = choose(&base, (double)batch_rows, members, &p->ng);
    } else {
        p->ng = base.nf;
        for (int f = 0; f < base.nf; f++)
            members[f] = 1u << f;
        p->cost = partition_cost(&base, members, p->ng, (double)batch_rows);
    }
    p->nf = base.nf;
    describe(p, &base, members);
    cm_net o;
    cm_order ord;
    outer_net(&base, members, p->ng, &o);
    chain_cost(&o, &ord);
    if (build_merges(p, &base, members, err, errlen) ||
        tn_plan_new(&o, &ord, 0, maxrows, &p->outer, err, errlen)) {
        tn_gplan_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void tn_gplan_free(tn_gplan *p)
{
    if (!p)
        return;
    for (int g = 0; g < CM_NET_MAXF; g++) {
        tn_plan_free(p->merge[g]);
        free(p->mtape[g]);
        free(p->mf[g]);
        free(p->dmf[g]);
    }
    tn_plan_free(p->outer);
    free(p);
}

int64_t tn_gplan_tape_size(const tn_gplan *p) { return tn_tape_size(p->outer); }
int64_t tn_gplan_macs(const tn_gplan *p) { return tn_macs(p->outer); }
int64_t tn_gplan_merge_macs(const tn_gplan *p) { return p->merge_macs; }
double tn_gplan_cost(const tn_gplan *p) { return p->cost; }

double tn_dense_cost(int64_t rows, int64_t cols, int64_t batch_rows, int64_t recon_macs)
{
    return (double)batch_rows * ((double)rows * (double)cols +
                                 TN_MOVE_COST * (double)(rows + cols)) +
           TN_MERGE_FACTOR * (double)recon_macs;
}
const char *tn_gplan_describe(const tn_gplan *p) { return p->desc; }

/* The members of group g, in the merge plan's factor order (increasing). */
static void members_of(const tn_gplan *p, int g, tn_real *const *src, tn_real **dst)
{
    int n = 0;
    for (int f = 0; f < p->nf; f++)
        if (p->group_of[f] == g)
            dst[n++] = src[f];
}

void tn_gplan_prepare(tn_gplan *p, tn_real *const *factors)
{
    for (int g = 0; g < p->ng; g++) {
        if (p->single[g] >= 0) {
            p->gf[g] = factors[p->single[g]];
            continue;
        }
        tn_real *m[CM_NET_MAXF];
        members_of(p, g, factors, m);
        tn_prepare(p->merge[g], m);
        tn_forward(p->merge[g], 1, NULL, p->mf[g], p->mtape[g]);
        p->gf[g] = p->mf[g];
    }
    tn_prepare(p->outer, p->gf);
}

void tn_gplan_forward(tn_gplan *p, int nb, const tn_real *x, tn_real *y, tn_real *tape)
{
    tn_forward(p->outer, nb, x, y, tape);
}

void tn_gplan_backward(tn_gplan *p, int nb, const tn_real *tape, const tn_real *dy, tn_real *dx)
{
    tn_backward(p->outer, nb, tape, dy, dx);
}

void tn_gplan_finish(tn_gplan *p, tn_real *const *grads)
{
    tn_real *gg[CM_NET_MAXF];
    for (int g = 0; g < p->ng; g++) {
        if (p->single[g] >= 0) {
            gg[g] = grads[p->single[g]];
        } else {
            memset(p->dmf[g], 0, (size_t)p->msize[g] * sizeof(tn_real));
            gg[g] = p->dmf[g];
        }
    }
    tn_finish(p->outer, gg);
    for (int g = 0; g < p->ng; g++) {
        if (p->single[g] >= 0)
            continue;
        tn_real *m[CM_NET_MAXF];
        members_of(p, g, grads, m);
        tn_backward(p->merge[g], 1, p->mtape[g], p->dmf[g], NULL);
        tn_finish(p->merge[g], m);
    }
}
