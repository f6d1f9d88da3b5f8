/*
 * cm_net.c - a weight format (dense, TT, HT) as a tensor network, the cost
 * of a contraction order, and the exact best order.
 *
 * Everything here is integer bookkeeping on index masks (cm_net.h): the
 * running tensor after a set S of factors is xmask XOR the masks of S, so
 * the cost of a step depends only on S and the factor, which is what makes
 * the dynamic programme over down-sets exact.  Sizes are products of user
 * ranks and may be huge, so every product saturates at INT64_MAX instead of
 * overflowing.
 */
#include "cm_net.h"

#include <string.h>

/* ---------------------------------------------------------------- helpers */

/* Sizes are >= 0.  The builtin avoids a division on the DP's hot path. */
static int64_t sat_mul(int64_t a, int64_t b)
{
#if defined(__GNUC__)
    int64_t p;
    return __builtin_mul_overflow(a, b, &p) ? INT64_MAX : p;
#else
    if (a == 0 || b == 0)
        return 0;
    return a > INT64_MAX / b ? INT64_MAX : a * b;
#endif
}

static int64_t sat_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int lowest_bit(uint32_t m)
{
#if defined(__GNUC__)
    return __builtin_ctz(m);
#else
    int k = 0;
    while (!(m & 1u)) {
        m >>= 1;
        k++;
    }
    return k;
#endif
}

int64_t cm_net_mask_size(const cm_net *net, uint32_t m)
{
    int64_t p = 1;
    while (m) {
        p = sat_mul(p, net->size[lowest_bit(m)]);
        m &= m - 1;
    }
    return p;
}

/* Adds index id to factor f (layout order = call order). */
static void add_idx(cm_net *net, int f, int id)
{
    net->idx[f][net->nidx[f]++] = id;
    net->fmask[f] |= 1u << id;
}

/* ------------------------------------------------------------------ build */

static void build_dense(const cm_format *fmt, cm_net *net)
{
    int d = fmt->modes.d;
    net->nf = 1;
    for (int k = 0; k < d; k++)
        add_idx(net, 0, CM_ID_M(k));
    for (int k = 0; k < d; k++)
        add_idx(net, 0, CM_ID_N(k));
    strcpy(net->label[0], "W");
}

static void build_tt(const cm_format *fmt, cm_net *net)
{
    int d = fmt->modes.d;
    net->nf = d;
    for (int k = 1; k < d; k++)
        net->size[CM_ID_R(k)] = fmt->tt_rank[k];
    for (int k = 0; k < d; k++) {
        if (k > 0)
            add_idx(net, k, CM_ID_R(k));
        add_idx(net, k, CM_ID_M(k));
        add_idx(net, k, CM_ID_N(k));
        if (k < d - 1)
            add_idx(net, k, CM_ID_R(k + 1));
        net->label[k][0] = (char)('1' + k);
        net->label[k][1] = '\0';
    }
}

/*
 * Mode set and descendants of every node, recomputed from the child links
 * rather than trusted from the tree, so that a hand-built tree works too.
 * Returns -1 on a malformed tree (cycle, bad link).
 */
static int ht_walk(const ht_tree *t, int node, int depth, uint32_t *modes, uint32_t *below)
{
    if (node < 0 || node >= t->nnodes || depth > t->nnodes)
        return -1;
    if (node < t->d) {
        if (t->left[node] != -1 || t->right[node] != -1)
            return -1;
        modes[node] = 1u << node;
        below[node] = 0;
        return 0;
    }
    int l = t->left[node], r = t->right[node];
    if (ht_walk(t, l, depth + 1, modes, below) || ht_walk(t, r, depth + 1, modes, below))
        return -1;
    if (modes[l] & modes[r])
        return -1;
    modes[node] = modes[l] | modes[r];
    below[node] = below[l] | below[r] | (1u << l) | (1u << r);
    return 0;
}

static int build_ht(const cm_format *fmt, cm_net *net, char *err, size_t errlen)
{
    const ht_tree *t = &fmt->tree;
    int d = t->d;
    uint32_t modes[CM_MAX_NODES], below[CM_MAX_NODES];

    if (t->nnodes != 2 * d - 1 || t->root != 2 * d - 2)
        return cm_fail(err, errlen, "HT tree on %d modes must have %d nodes", d, 2 * d - 1);
    if (ht_walk(t, t->root, 0, modes, below) || modes[t->root] != (1u << d) - 1)
        return cm_fail(err, errlen, "HT tree is not a binary tree over modes 1..%d", d);
    net->nf = t->nnodes;
    for (int v = 0; v < t->nnodes; v++)
        if (v != t->root)
            net->size[CM_ID_R(v)] = t->rank[v];
    for (int v = 0; v < t->nnodes; v++) {
        if (v < d) {
            add_idx(net, v, CM_ID_M(v));
            add_idx(net, v, CM_ID_N(v));
        } else {
            add_idx(net, v, CM_ID_R(t->left[v]));
            add_idx(net, v, CM_ID_R(t->right[v]));
        }
        if (v != t->root)
            add_idx(net, v, CM_ID_R(v));
        /* Every descendant must precede a node: the transitive closure. */
        net->pred[v] = below[v];
        int n = 0;
        for (int k = 0; k < d; k++)
            if (modes[v] & (1u << k))
                net->label[v][n++] = (char)('1' + k);
        net->label[v][n] = '\0';
    }
    return 0;
}

int cm_net_build(const cm_format *f, cm_net *net, char *err, size_t errlen)
{
    if (cm_format_check(f, err, errlen))
        return -1;
    memset(net, 0, sizeof *net);
    int d = f->modes.d;
    net->kind = f->kind;
    net->d = d;
    for (int i = 0; i < CM_NET_MAXIDX; i++)
        net->size[i] = 1;
    for (int k = 0; k < d; k++) {
        net->size[CM_ID_M(k)] = f->modes.m[k];
        net->size[CM_ID_N(k)] = f->modes.n[k];
        net->ymask |= 1u << CM_ID_M(k);
        net->xmask |= 1u << CM_ID_N(k);
    }
    switch (f->kind) {
    case CM_DENSE:
        build_dense(f, net);
        return 0;
    case CM_TT:
        build_tt(f, net);
        return 0;
    case CM_HT:
        return build_ht(f, net, err, errlen);
    }
    return cm_fail(err, errlen, "unknown weight format %d", (int)f->kind);
}

/* ------------------------------------------------------------ order basics */

static int enabled(const cm_net *net, uint32_t done, int f)
{
    return !(done & (1u << f)) && !(net->pred[f] & ~done);
}

/* Factor f as the next step after the factors in *done: not twice (where
 * ends that message), not before a factor it needs; adds it to *done. */
static int order_take(const cm_net *net, int f, uint32_t *done, const char *where, char *err,
                      size_t errlen)
{
    if (*done & (1u << f))
        return cm_fail(err, errlen, "factor '%s' appears twice%s", net->label[f], where);
    uint32_t missing = net->pred[f] & ~*done;
    if (missing)
        return cm_fail(err, errlen, "factor '%s' comes before '%s', which it needs",
                       net->label[f], net->label[lowest_bit(missing)]);
    *done |= 1u << f;
    return 0;
}

int cm_order_check(const cm_net *net, const cm_order *o, char *err, size_t errlen)
{
    if (o->n != net->nf)
        return cm_fail(err, errlen, "order has %d steps, the network has %d factors",
                       o->n, net->nf);
    uint32_t done = 0;
    for (int s = 0; s < o->n; s++) {
        int f = o->f[s];
        if (f < 0 || f >= net->nf)
            return cm_fail(err, errlen, "step %d: no factor %d", s + 1, f);
        if (order_take(net, f, &done, "", err, errlen))
            return -1;
    }
    return 0;
}

void cm_order_cost_of(const cm_net *net, const cm_order *o, cm_order_cost *c)
{
    uint32_t T = net->xmask;
    c->n = o->n;
    c->macs = 0;
    c->peak = cm_net_mask_size(net, T);
    for (int s = 0; s < o->n; s++) {
        cm_step *st = &c->step[s];
        uint32_t F = net->fmask[o->f[s]];
        st->f = o->f[s];
        st->in_mask = T;
        st->consumed = T & F;
        st->produced = F & ~T;
        st->kept = T & ~F;
        st->out_mask = T ^ F;
        st->in_size = cm_net_mask_size(net, T);
        st->out_size = cm_net_mask_size(net, st->out_mask);
        st->kept_size = cm_net_mask_size(net, st->kept);
        st->consumed_size = cm_net_mask_size(net, st->consumed);
        st->produced_size = cm_net_mask_size(net, st->produced);
        st->macs = sat_mul(sat_mul(st->kept_size, st->consumed_size), st->produced_size);
        st->factor_size = cm_net_mask_size(net, F);
        c->macs = sat_add(c->macs, st->macs);
        if (st->out_size > c->peak)
            c->peak = st->out_size;
        T = st->out_mask;
    }
}

/* The lexicographically smallest valid order: always the smallest enabled factor. */
void cm_order_default(const cm_net *net, cm_order *o)
{
    uint32_t done = 0;
    o->n = 0;
    while (o->n < net->nf) {
        int f = 0;
        while (f < net->nf && !enabled(net, done, f))
            f++;
        if (f == net->nf)
            break; /* cyclic pred: cannot happen for a built network */
        o->f[o->n++] = f;
        done |= 1u << f;
    }
}

/* ------------------------------------------------------------- enumeration */

typedef struct {
    const cm_net *net;
    cm_order_visit_fn fn;
    void *ud;
    cm_order o;
} enum_ctx;

static int enum_rec(enum_ctx *e, uint32_t done)
{
    const cm_net *net = e->net;
    if (e->o.n == net->nf)
        return e->fn(&e->o, e->ud);
    for (int f = 0; f < net->nf; f++) {
        if (!enabled(net, done, f))
            continue;
        e->o.f[e->o.n++] = f;
        int rc = enum_rec(e, done | (1u << f));
        e->o.n--;
        if (rc)
            return rc;
    }
    return 0;
}

int cm_order_enumerate(const cm_net *net, cm_order_visit_fn fn, void *ud)
{
    enum_ctx e;
    e.net = net;
    e.fn = fn;
    e.ud = ud;
    e.o.n = 0;
    return enum_rec(&e, 0);
}

/* ------------------------------------------------------------- best order */

/*
 * Backward dynamic programme over the down-sets S (sets of factors closed
 * under pred): g(S) = the lexicographically smallest (macs, peak) of the
 * remaining steps from S to the full set, where peak counts x and the
 * tensors those steps produce.  Combining a step (c, o) with a suffix
 * (m, p) gives (c + m, max(o, p)), which is monotone in (m, p) under the
 * lexicographic order, so keeping only the best suffix per state is exact.  The order is
 * then rebuilt forward, taking at every state the smallest factor that can
 * still reach the optimum: that yields the lexicographically smallest
 * optimal factor sequence (a forward DP could not, because it drops prefix
 * ties that a later max() would have made equal).
 *
 * States live in fixed arrays on the stack (about 35 KB), found through a
 * small open-addressing hash, so a call does no allocation.  A tree of 15
 * nodes has at most 677 down-sets and a TT of 8 cores 256, well under
 * DP_MAXSTATES; a hand-built network with more falls back to enumeration.
 */
#define DP_MAXSTATES 1024
#define DP_MAXHASH 2048

typedef struct {
    const cm_net *net;
    uint32_t full;
    int nstates, hmask;
    int16_t hash[DP_MAXHASH];
    uint16_t set[DP_MAXSTATES];
    uint8_t done[DP_MAXSTATES];
    uint32_t tmask[DP_MAXSTATES];
    int64_t tsize[DP_MAXSTATES];
    int64_t gm[DP_MAXSTATES], gp[DP_MAXSTATES];
} dp_ctx;

static unsigned dp_slot(const dp_ctx *c, uint32_t set)
{
    return (unsigned)((set * 0x9E3779B1u) >> 16) & (unsigned)c->hmask;
}

/* State index of set, created (with its tensor) if new; -1 when full. */
static int dp_state(dp_ctx *c, uint32_t set, uint32_t tmask)
{
    unsigned h = dp_slot(c, set);
    while (c->hash[h] >= 0) {
        if (c->set[c->hash[h]] == set)
            return c->hash[h];
        h = (h + 1) & (unsigned)c->hmask;
    }
    if (c->nstates == DP_MAXSTATES)
        return -1;
    int s = c->nstates++;
    c->hash[h] = (int16_t)s;
    c->set[s] = (uint16_t)set;
    c->done[s] = 0;
    c->tmask[s] = tmask;
    c->tsize[s] = cm_net_mask_size(c->net, tmask);
    return s;
}

static int dp_lookup(const dp_ctx *c, uint32_t set)
{
    unsigned h = dp_slot(c, set);
    /* Linear probing: slots before a present key are never empty. */
    while (c->hash[h] >= 0 && c->set[c->hash[h]] != set)
        h = (h + 1) & (unsigned)c->hmask;
    return c->hash[h];
}

/* Fills gm/gp of state s and of every state reachable from it; -1 on overflow. */
static int dp_solve(dp_ctx *c, int s)
{
    const cm_net *net = c->net;
    uint32_t S = c->set[s];
    int64_t bm = INT64_MAX, bp = INT64_MAX;

    if (S == c->full) {
        /* x counts in every order's peak: seeding it here makes orders whose
         * peak is x tie, so that the factor sequence decides between them. */
        c->gm[s] = 0;
        c->gp[s] = c->tsize[0];
        c->done[s] = 1;
        return 0;
    }
    for (int f = 0; f < net->nf; f++) {
        if (!enabled(net, S, f))
            continue;
        uint32_t F = net->fmask[f];
        int t = dp_state(c, S | (1u << f), c->tmask[s] ^ F);
        if (t < 0 || (!c->done[t] && dp_solve(c, t)))
            return -1;
        int64_t m = sat_add(sat_mul(c->tsize[s], cm_net_mask_size(net, F & ~c->tmask[s])),
                            c->gm[t]);
        int64_t p = c->tsize[t] > c->gp[t] ? c->tsize[t] : c->gp[t];
        if (m < bm || (m == bm && p < bp)) {
            bm = m;
            bp = p;
        }
    }
    c->gm[s] = bm;
    c->gp[s] = bp;
    c->done[s] = 1;
    return 0;
}

typedef struct {
    const cm_net *net;
    cm_order best;
    cm_order_cost bc;
} brute_ctx;

static int brute_visit(const cm_order *o, void *ud)
{
    brute_ctx *b = ud;
    cm_order_cost c;
    cm_order_cost_of(b->net, o, &c);
    /* Enumeration is lexicographic, so a strict improvement keeps the first tie. */
    if (b->best.n == 0 || c.macs < b->bc.macs ||
        (c.macs == b->bc.macs && c.peak < b->bc.peak)) {
        b->best = *o;
        b->bc = c;
    }
    return 0;
}

static void best_by_enumeration(const cm_net *net, cm_order *o, cm_order_cost *c)
{
    brute_ctx b;
    memset(&b, 0, sizeof b); /* a cyclic hand-built pred has no order: n = 0 */
    b.net = net;
    cm_order_enumerate(net, brute_visit, &b);
    *o = b.best;
    *c = b.bc;
}

void cm_order_best(const cm_net *net, cm_order *o, cm_order_cost *c)
{
    dp_ctx ctx;
    dp_ctx *x = &ctx;
    int hsize = 2;

    x->net = net;
    x->full = (1u << net->nf) - 1; /* nf <= CM_NET_MAXF = 15 */
    x->nstates = 0;
    /* Twice the possible number of states, capped: short probe chains. */
    while (hsize < DP_MAXHASH && hsize < (2 << net->nf))
        hsize *= 2;
    x->hmask = hsize - 1;
    memset(x->hash, 0xff, (size_t)hsize * sizeof x->hash[0]);

    int s0 = dp_state(x, 0, net->xmask);
    if (dp_solve(x, s0)) {
        best_by_enumeration(net, o, c);
        return;
    }

    /* Forward rebuild: smallest factor that keeps the optimum reachable. */
    int64_t pm = 0, pp = 0;
    int s = s0;
    o->n = 0;
    while (x->set[s] != x->full) {
        uint32_t S = x->set[s];
        int f, t = -1;
        int64_t m = 0, p = 0;
        for (f = 0; f < net->nf; f++) {
            if (!enabled(net, S, f))
                continue;
            t = dp_lookup(x, S | (1u << f));
            m = sat_add(pm, sat_mul(x->tsize[s],
                                    cm_net_mask_size(net, net->fmask[f] & ~x->tmask[s])));
            p = pp > x->tsize[t] ? pp : x->tsize[t];
            int64_t tm = sat_add(m, x->gm[t]);
            int64_t tp = p > x->gp[t] ? p : x->gp[t];
            if (tm == x->gm[s0] && tp == x->gp[s0])
                break;
        }
        if (f == net->nf) { /* only if sizes saturated or pred is cyclic */
            best_by_enumeration(net, o, c);
            return;
        }
        o->f[o->n++] = f;
        pm = m;
        pp = p;
        s = t;
    }
    cm_order_cost_of(net, o, c);
}

/* ------------------------------------------------------------ text form */

int cm_order_format(const cm_net *net, const cm_order *o, char *buf, size_t buflen)
{
    size_t len = 0; /* what the full text needs; only len < buflen is written */
    int n = o->n < 0 ? 0 : o->n > CM_NET_MAXF ? CM_NET_MAXF : o->n;
    for (int s = 0; s < n; s++) {
        int f = o->f[s];
        const char *lab = (f >= 0 && f < net->nf) ? net->label[f] : "?";
        for (const char *p = s ? "," : ""; *p; p++, len++)
            if (buf && len + 1 < buflen)
                buf[len] = *p;
        for (const char *p = lab; *p; p++, len++)
            if (buf && len + 1 < buflen)
                buf[len] = *p;
    }
    if (buf && buflen)
        buf[len < buflen ? len : buflen - 1] = '\0';
    return (int)len; /* at most 15 labels of 8 characters */
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Copy of a token for an error message: bounded, non-printables shown as '?'. */
static void token_for_msg(const char *p, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < outlen; i++) {
        unsigned char ch = (unsigned char)p[i];
        out[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    if (len > n && n + 4 <= outlen) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

int cm_order_parse(const cm_net *net, const char *s, cm_order *o, char *err, size_t errlen)
{
    cm_order tmp;
    uint32_t seen = 0;
    char shown[24];

    if (!s)
        return cm_fail(err, errlen, "no order given");
    tmp.n = 0;
    const char *p = s;
    for (;;) {
        while (is_space(*p))
            p++;
        const char *b = p;
        while (*p && *p != ',')
            p++;
        const char *e = p;
        while (e > b && is_space(e[-1]))
            e--;
        size_t len = (size_t)(e - b);
        if (len == 0) { /* the order as shown: bounded, non-printables as '?' */
            char whole[45];
            token_for_msg(s, strlen(s), whole, sizeof whole);
            return cm_fail(err, errlen, "order '%s': empty label at step %d", whole, tmp.n + 1);
        }
        int f;
        for (f = 0; f < net->nf; f++)
            if (strlen(net->label[f]) == len && !memcmp(net->label[f], b, len))
                break;
        if (f == net->nf) {
            token_for_msg(b, len, shown, sizeof shown);
            return cm_fail(err, errlen, "unknown factor '%s' in order (labels are %s)", shown,
                           net->kind == CM_HT ? "tree node labels such as 12"
                           : net->kind == CM_TT ? "core numbers 1..d" : "W");
        }
        if (order_take(net, f, &seen, " in order", err, errlen))
            return -1;
        tmp.f[tmp.n++] = f; /* n <= nf: a repeat would have failed above */
        if (*p == '\0')
            break;
        p++; /* the comma */
    }
    if (tmp.n != net->nf) {
        for (int f = 0; f < net->nf; f++)
            if (!(seen & (1u << f)))
                return cm_fail(err, errlen, "order misses factor '%s'", net->label[f]);
    }
    *o = tmp;
    return 0;
}
