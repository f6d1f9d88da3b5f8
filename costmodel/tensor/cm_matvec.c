/*
 * cm_matvec.c - the functional model: y = W x along a contraction order, in
 * double precision and in the b-bit fixed-point reference of cm_matvec.h,
 * plus the weight containers and the deterministic generator.
 *
 * One engine serves every format and order: a step contracts the running
 * tensor T (indices by increasing id) with one factor F (indices in its
 * idx[] order) into T' = T XOR F.  Each index of the step is kept (T and T'),
 * consumed (T and F) or produced (F and T'); a step plan lists the three
 * groups with their strides in the two tensors each one touches, merging
 * dimensions that are contiguous in both so that the inner loops are flat.
 * The weights-to-dense product reuses the engine, starting from the scalar 1
 * instead of x.
 */
#include "cm_matvec.h"

#include "cm_hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- generator */

uint64_t cm_rand_next(uint64_t *state)
{
    return cm_splitmix_next(state);
}

double cm_rand_uniform(uint64_t *state)
{
    return (double)(cm_rand_next(state) >> 11) * 0x1.0p-53;
}

/* ---------------------------------------------------------------- weights */

/* Elements of factor f, or -1 if it cannot be allocated on this machine. */
static int64_t factor_elems(const cm_net *net, int f, size_t elem)
{
    int64_t n = cm_net_mask_size(net, net->fmask[f]);
    if (n == INT64_MAX || (uint64_t)n > SIZE_MAX / elem)
        return -1;
    return n;
}

int cm_weights_alloc(const cm_format *fmt, cm_weights *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    if (cm_net_build(fmt, &w->net, err, errlen))
        return -1;
    for (int f = 0; f < w->net.nf; f++) {
        int64_t n = factor_elems(&w->net, f, sizeof(double));
        if (n >= 0)
            w->f[f] = calloc((size_t)n, sizeof(double));
        if (!w->f[f]) {
            cm_weights_free(w);
            return cm_fail(err, errlen, "no memory for factor '%s' (%lld elements)",
                           w->net.label[f], (long long)n);
        }
    }
    return 0;
}

/* Safe on a zeroed struct and after a failed alloc. */
void cm_weights_free(cm_weights *w)
{
    for (int f = 0; f < CM_NET_MAXF; f++) {
        free(w->f[f]);
        w->f[f] = NULL;
    }
}

/* Factors in order 0..nf-1, elements in layout order: one stream per seed. */
void cm_weights_random(cm_weights *w, uint64_t seed, double scale)
{
    uint64_t st = seed;
    for (int f = 0; f < w->net.nf; f++) {
        int64_t n = cm_net_mask_size(&w->net, w->net.fmask[f]);
        for (int64_t e = 0; e < n; e++)
            w->f[f][e] = (2.0 * cm_rand_uniform(&st) - 1.0) * scale;
    }
}

/* -------------------------------------------------------------- step plans */

typedef struct {
    int nd;
    int64_t n[CM_NET_MAXIDX];
    int64_t sa[CM_NET_MAXIDX], sb[CM_NET_MAXIDX]; /* strides in the two tensors */
} mv_group;

typedef struct {
    mv_group kept;  /* a = T_in, b = T_out */
    mv_group cons;  /* a = T_in, b = F; all but the innermost dimension */
    mv_group prod;  /* a = F,    b = T_out */
    int64_t nkept, nprod, nouter;
    int64_t cn, csa, csb; /* innermost consumed dimension (1, 0, 0 if none) */
} mv_plan;

/* stride[id] of a tensor laid out by increasing id over mask. */
static void mask_strides(const cm_net *net, uint32_t mask, int64_t *stride)
{
    int64_t s = 1;
    for (int id = CM_NET_MAXIDX - 1; id >= 0; id--)
        if (mask & (1u << id)) {
            stride[id] = s;
            s *= net->size[id];
        }
}

/* Appends a dimension, merging it into the previous one when contiguous in both. */
static void group_add(mv_group *g, int64_t n, int64_t sa, int64_t sb)
{
    if (n == 1)
        return;
    if (g->nd > 0) {
        int i = g->nd - 1;
        if (g->sa[i] == sa * n && g->sb[i] == sb * n) {
            g->n[i] *= n;
            g->sa[i] = sa;
            g->sb[i] = sb;
            return;
        }
    }
    g->n[g->nd] = n;
    g->sa[g->nd] = sa;
    g->sb[g->nd] = sb;
    g->nd++;
}

static int64_t group_count(const mv_group *g)
{
    int64_t c = 1;
    for (int i = 0; i < g->nd; i++)
        c *= g->n[i];
    return c;
}

/* Plan for contracting factor f into a tensor with indices T. */
static void plan_step(const cm_net *net, uint32_t T, int f, mv_plan *p)
{
    int64_t sin[CM_NET_MAXIDX], sout[CM_NET_MAXIDX], sf[CM_NET_MAXIDX];
    uint32_t F = net->fmask[f], out = T ^ F;

    mask_strides(net, T, sin);
    mask_strides(net, out, sout);
    int64_t s = 1;
    for (int j = net->nidx[f] - 1; j >= 0; j--) {
        sf[net->idx[f][j]] = s;
        s *= net->size[net->idx[f][j]];
    }
    p->kept.nd = p->cons.nd = p->prod.nd = 0;
    /* Increasing id = most significant first in T_in and T_out. */
    for (int id = 0; id < CM_NET_MAXIDX; id++) {
        uint32_t b = 1u << id;
        if ((T & b) && !(F & b))
            group_add(&p->kept, net->size[id], sin[id], sout[id]);
        else if ((T & b) && (F & b))
            group_add(&p->cons, net->size[id], sin[id], sf[id]);
        else if (F & b)
            group_add(&p->prod, net->size[id], sf[id], sout[id]);
    }
    p->nkept = group_count(&p->kept);
    p->nprod = group_count(&p->prod);
    /* Split off the innermost consumed dimension: the dot product's flat loop. */
    p->cn = 1;
    p->csa = p->csb = 0;
    if (p->cons.nd > 0) {
        int i = --p->cons.nd;
        p->cn = p->cons.n[i];
        p->csa = p->cons.sa[i];
        p->csb = p->cons.sb[i];
    }
    p->nouter = group_count(&p->cons);
}

/* Odometer over a group: offsets a, b advance in amortized O(1). */
typedef struct {
    int64_t cnt[CM_NET_MAXIDX];
    int64_t a, b;
} mv_odo;

static void odo_init(mv_odo *o, const mv_group *g)
{
    memset(o->cnt, 0, (size_t)g->nd * sizeof o->cnt[0]);
    o->a = o->b = 0;
}

static void odo_next(mv_odo *o, const mv_group *g)
{
    for (int i = g->nd - 1; i >= 0; i--) {
        o->a += g->sa[i];
        o->b += g->sb[i];
        if (++o->cnt[i] < g->n[i])
            return;
        o->cnt[i] = 0;
        o->a -= g->sa[i] * g->n[i];
        o->b -= g->sb[i] * g->n[i];
    }
}

/*
 * The consumed sum for one output element: the innermost dimension is a
 * flat strided loop, the outer ones an odometer.  One body, two versions:
 * double (dot_d) and exact int64 over int32 (dot_q).
 */
#define DEFINE_DOT(name, acc_t, elem_t)                                              \
    static acc_t name(const mv_plan *p, const elem_t *a, const elem_t *b)            \
    {                                                                                \
        int64_t n = p->cn, sa = p->csa, sb = p->csb;                                 \
        acc_t acc = 0;                                                               \
        mv_odo o;                                                                    \
        o.a = o.b = 0;                      /* one outer pass needs no odometer */   \
        if (p->nouter > 1)                                                           \
            odo_init(&o, &p->cons);                                                  \
        for (int64_t q = 0; q < p->nouter; q++) {                                    \
            const elem_t *pa = a + o.a, *pb = b + o.b;                               \
            for (int64_t i = 0; i < n; i++)                                          \
                acc += (acc_t)pa[i * sa] * pb[i * sb];                               \
            if (p->nouter > 1)                                                       \
                odo_next(&o, &p->cons);                                              \
        }                                                                            \
        return acc;                                                                  \
    }
DEFINE_DOT(dot_d, double, double)
DEFINE_DOT(dot_q, int64_t, int32_t)

static int32_t fix_rescale(int64_t acc, int shift, int bits);

/* ---------------------------------------------------------------- matvec */

int64_t cm_matvec_work_size(const cm_net *net, const cm_order *o)
{
    cm_order_cost c;
    cm_order_cost_of(net, o, &c);
    return c.peak;
}

/*
 * One step (every kept x produced element: the consumed sum, finished by
 * FIN(acc, shift, bits)) and the whole order (ping-pong between the two
 * halves of work; the last step writes y).  One body, two versions: double
 * (step_d, run_d) and fixed point with rescaling (step_q, run_q).
 */
#define KEEP_D(acc, shift, bits) (acc)
#define DEFINE_RUN(step, run, elem_t, dot, FIN)                                         \
    static void step(const mv_plan *p, const elem_t *in, const elem_t *F, elem_t *out,   \
                     int shift, int bits)                                                \
    {                                                                                    \
        (void)shift, (void)bits;                                                         \
        mv_odo ko, po;                                                                   \
        odo_init(&ko, &p->kept);                                                         \
        for (int64_t k = 0; k < p->nkept; k++) {                                         \
            odo_init(&po, &p->prod);                                                     \
            for (int64_t j = 0; j < p->nprod; j++) {                                     \
                out[ko.b + po.b] = FIN(dot(p, in + ko.a, F + po.a), shift, bits);        \
                odo_next(&po, &p->prod);                                                 \
            }                                                                            \
            odo_next(&ko, &p->kept);                                                     \
        }                                                                                \
    }                                                                                    \
    static void run(const cm_net *net, elem_t *const *fac, const cm_order *o, uint32_t T, \
                    const elem_t *x, elem_t *y, elem_t *work, int64_t ws, int shift,     \
                    int bits)                                                            \
    {                                                                                    \
        const elem_t *cur = x;                                                           \
        for (int s = 0; s < o->n; s++) {                                                 \
            int f = o->f[s];                                                             \
            elem_t *out = s == o->n - 1 ? y : work + (s % 2) * ws;                       \
            mv_plan p;                                                                   \
            plan_step(net, T, f, &p);                                                    \
            step(&p, cur, fac[f], out, shift, bits);                                     \
            T ^= net->fmask[f];                                                          \
            cur = out;                                                                   \
        }                                                                                \
    }
DEFINE_RUN(step_d, run_d, double, dot_d, KEEP_D)
DEFINE_RUN(step_q, run_q, int32_t, dot_q, fix_rescale)

void cm_matvec(const cm_weights *w, const cm_order *o, const double *x, double *y,
               double *work)
{
    int64_t ws = cm_matvec_work_size(&w->net, o);
    run_d(&w->net, w->f, o, w->net.xmask, x, y, work, ws, 0, 0);
}

int cm_weights_to_dense(const cm_weights *w, double *W, char *err, size_t errlen)
{
    /* The same network with an empty input: contracting every factor into
     * the scalar 1 leaves the indices m_1..m_d n_1..n_d, i.e. W row-major. */
    cm_net net = w->net;
    cm_order o;
    cm_order_cost c;
    const double one = 1.0;

    net.xmask = 0;
    cm_order_best(&net, &o, &c);
    if (c.peak == INT64_MAX || (uint64_t)c.peak > SIZE_MAX / (2 * sizeof(double)))
        return cm_fail(err, errlen, "dense product too large");
    double *work = malloc((size_t)c.peak * 2 * sizeof(double));
    if (!work)
        return cm_fail(err, errlen, "no memory for the dense product (%lld elements)",
                       (long long)c.peak);
    run_d(&net, w->f, &o, 0, &one, W, work, c.peak, 0, 0);
    free(work);
    return 0;
}

/* ------------------------------------------------------------ fixed point */

int cm_fix_check(const cm_fix *fx, char *err, size_t errlen)
{
    if (fx->bits < 2 || fx->bits > 16)
        return cm_fail(err, errlen, "fixed-point width must be 2..16 bits, got %d", fx->bits);
    if (fx->frac_w < 0 || fx->frac_w >= fx->bits)
        return cm_fail(err, errlen, "weight fraction bits must be 0..%d, got %d",
                       fx->bits - 1, fx->frac_w);
    if (fx->frac_a < 0 || fx->frac_a >= fx->bits)
        return cm_fail(err, errlen, "activation fraction bits must be 0..%d, got %d",
                       fx->bits - 1, fx->frac_a);
    return 0;
}

/* Range of a b-bit two's-complement value; bits is clamped to 1..32. */
static int64_t fix_max(int bits)
{
    bits = bits < 1 ? 1 : bits > 32 ? 32 : bits;
    return (INT64_C(1) << (bits - 1)) - 1;
}

int32_t cm_fix_saturate(int64_t v, int bits)
{
    int64_t hi = fix_max(bits), lo = -hi - 1;
    return (int32_t)(v > hi ? hi : v < lo ? lo : v);
}

/* round(v 2^frac) half away from zero, clamped before any integer conversion. */
int32_t cm_fix_quantize(double v, int bits, int frac)
{
    int64_t hi = fix_max(bits), lo = -hi - 1;
    if (v != v)
        return 0; /* NaN */
    double r = round(ldexp(v, frac)); /* exact scaling; round() = half away */
    if (r >= (double)hi)
        return (int32_t)hi;
    if (r <= (double)lo)
        return (int32_t)lo;
    return (int32_t)(int64_t)r;
}

double cm_fix_value(int32_t q, int frac)
{
    return ldexp((double)q, -frac);
}

/*
 * sat_b(floor((acc + 2^(shift-1)) / 2^shift)) without shifting a negative
 * number: for v < 0, floor(v / 2^s) = ~(~v >> s), and ~v = -v-1 >= 0
 * (int64_t is two's complement by definition).  acc + 2^(shift-1) can only
 * overflow for |acc| near 2^63, far beyond what a b <= 16 datapath makes;
 * that case takes the floor quotient and remainder instead.
 */
static int32_t fix_rescale(int64_t acc, int shift, int bits)
{
    if (shift <= 0)
        return cm_fix_saturate(acc, bits);
    if (shift >= 63) {
        /* |acc| <= 2^63: the quotient is -1, 0 or 1 (63) or 0 (64 and up). */
        int64_t q = 0;
        if (shift == 63)
            q = acc >= (INT64_C(1) << 62) ? 1 : acc < -(INT64_C(1) << 62) ? -1 : 0;
        return cm_fix_saturate(q, bits);
    }
    int64_t half = INT64_C(1) << (shift - 1);
    if (acc <= INT64_MAX - half) {
        int64_t v = acc + half;
        return cm_fix_saturate(v >= 0 ? v >> shift : ~(~v >> shift), bits);
    }
    int64_t d = INT64_C(1) << shift;
    int64_t q = acc / d, r = acc % d; /* acc > 0 here: no floor correction */
    return cm_fix_saturate(q + (r >= half), bits);
}

int32_t cm_fix_rescale(int64_t acc, int shift, int bits)
{
    return fix_rescale(acc, shift, bits);
}

void cm_qweights_free(cm_qweights *q)
{
    for (int f = 0; f < CM_NET_MAXF; f++) {
        free(q->f[f]);
        q->f[f] = NULL;
    }
}

int cm_qweights_from(const cm_weights *w, const cm_fix *fx, cm_qweights *q,
                     char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    if (cm_fix_check(fx, err, errlen))
        return -1;
    q->net = w->net;
    q->fix = *fx;
    for (int f = 0; f < q->net.nf; f++) {
        int64_t n = factor_elems(&q->net, f, sizeof(int32_t));
        if (n >= 0)
            q->f[f] = malloc((size_t)(n ? n : 1) * sizeof(int32_t));
        if (!q->f[f]) {
            cm_qweights_free(q);
            return cm_fail(err, errlen, "no memory for factor '%s'", q->net.label[f]);
        }
        for (int64_t e = 0; e < n; e++)
            q->f[f][e] = cm_fix_quantize(w->f[f][e], fx->bits, fx->frac_w);
    }
    return 0;
}

void cm_qmatvec(const cm_qweights *q, const cm_order *o, const int32_t *x, int32_t *y,
                int32_t *work)
{
    const cm_net *net = &q->net;
    run_q(net, q->f, o, net->xmask, x, y, work, cm_matvec_work_size(net, o), q->fix.frac_w,
          q->fix.bits);
}
