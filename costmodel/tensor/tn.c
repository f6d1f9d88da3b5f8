/*
 * tn.c - the batched contraction engine of tn.h: a plan per (network,
 * order), one GEMM per step forward and two backward.
 *
 * A step contracts the running tensor T (batch outermost) with factor F.
 * Its GEMM wants T as a (batch x kept) x consumed matrix and F as consumed x
 * produced; the plan decides once which copies that needs (tn.h) and keeps
 * permuted factor copies and gradient accumulators per factor, so that a
 * mini-batch permutes each factor once, however many applications (time
 * steps) it has.  The output of a step is written straight into the next
 * step's tape slot when that step needs no permutation.
 */
#include "tn.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#ifdef TN_DOUBLE
#define tn_gemm cblas_dgemm
#else
#define tn_gemm cblas_sgemm
#endif

#define TN_MAXD CM_NET_MAXIDX

/* A permutation of a row: dst, contiguous, walks dims dn[] whose strides in
 * src are ss[] (dims contiguous in both are merged). */
typedef struct {
    int nd;
    int64_t dn[TN_MAXD], ss[TN_MAXD];
} tn_perm;

typedef enum { F_CP = 0, F_PC = 1, F_COPY = 2 } f_mode;

typedef struct {
    int f;
    f_mode mode;
    int aperm;               /* the input is permuted into (kept, consumed) */
    int64_t K, C, P;         /* per row: kept, consumed, produced sizes */
    tn_perm pa, pa_inv;      /* input layout -> (K, C) and back */
    tn_perm pf, pf_inv;      /* factor layout -> (C, P) and back (F_COPY) */
    int64_t tape_off;        /* per row: where A (K x C) is kept */
} tn_step;

struct tn_plan {
    int nsteps, nf, recon, maxrows;
    tn_step st[CM_NET_MAXF];
    int64_t in_size, out_size, tape_size, macs, work_size;
    int yperm;               /* the last output is permuted into y */
    tn_perm py, py_inv;
    int64_t fsize[CM_NET_MAXF];
    tn_real *fm[CM_NET_MAXF];   /* F_COPY: the permuted factor */
    tn_real *dfm[CM_NET_MAXF];  /* gradient in the step's layout */
    const tn_real *fp[CM_NET_MAXF]; /* the factor as the GEMM reads it */
    tn_real *w1, *w2;           /* work: maxrows * work_size each */
};

/* ------------------------------------------------------------ permutations */

/* dims n[0..nd) of a row-major src; dst dim j is src dim perm[j]. */
static void perm_build(tn_perm *p, int nd, const int64_t *n, const int *perm)
{
    int64_t ss[TN_MAXD], s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        ss[i] = s;
        s *= n[i];
    }
    p->nd = 0;
    for (int j = 0; j < nd; j++) {
        int64_t dn = n[perm[j]], st = ss[perm[j]];
        if (dn == 1)
            continue;
        if (p->nd > 0 && p->ss[p->nd - 1] == st * dn) {
            p->dn[p->nd - 1] *= dn;
            p->ss[p->nd - 1] = st;
            continue;
        }
        p->dn[p->nd] = dn;
        p->ss[p->nd] = st;
        p->nd++;
    }
}

/* The identity after merging: one dim of stride 1 (or none). */
static int perm_is_identity(const tn_perm *p)
{
    return p->nd == 0 || (p->nd == 1 && p->ss[0] == 1);
}

/* One row: the two innermost destination dims as plain loops, the rest by
 * an odometer (a permutation's innermost runs are often 4 to 30 long). */
static void perm_row(const tn_perm *p, const tn_real *src, tn_real *d, int add)
{
    int nd = p->nd, no = nd >= 2 ? nd - 2 : 0;
    int64_t n1 = p->dn[nd - 1], s1 = p->ss[nd - 1];
    int64_t n2 = nd >= 2 ? p->dn[nd - 2] : 1, s2 = nd >= 2 ? p->ss[nd - 2] : 0;
    int64_t cnt[TN_MAXD] = {0}, off = 0;
    for (;;) {
        const tn_real *q = src + off;
        for (int64_t j = 0; j < n2; j++, q += s2, d += n1) {
            if (s1 == 1 && add)
                for (int64_t k = 0; k < n1; k++)
                    d[k] += q[k];
            else if (s1 == 1)
                for (int64_t k = 0; k < n1; k++)
                    d[k] = q[k];
            else if (add)
                for (int64_t k = 0; k < n1; k++)
                    d[k] += q[k * s1];
            else
                for (int64_t k = 0; k < n1; k++)
                    d[k] = q[k * s1];
        }
        int i = no - 1;
        for (; i >= 0; i--) {
            off += p->ss[i];
            if (++cnt[i] < p->dn[i])
                break;
            off -= p->ss[i] * p->dn[i];
            cnt[i] = 0;
        }
        if (i < 0)
            return;
    }
}

/* rows rows of rowsize elements; dst = (or +=) src permuted. */
static void perm_apply(const tn_perm *p, int64_t rows, int64_t rowsize, const tn_real *src,
                       tn_real *dst, int add)
{
    if (perm_is_identity(p)) {
        int64_t n = rows * rowsize;
        if (add)
            for (int64_t i = 0; i < n; i++)
                dst[i] += src[i];
        else if (dst != src)
            memcpy(dst, src, (size_t)n * sizeof *dst);
        return;
    }
    for (int64_t r = 0; r < rows; r++)
        perm_row(p, src + r * rowsize, dst + r * rowsize, add);
}

/* A layout (list of ids) and the permutation taking it to dst ids. */
static void perm_between(const cm_net *net, const int *src, int ns, const int *dst, tn_perm *fw,
                         tn_perm *bw)
{
    int64_t n[TN_MAXD] = {0}, nd[TN_MAXD] = {0};
    int perm[TN_MAXD] = {0}, inv[TN_MAXD] = {0};
    for (int i = 0; i < ns; i++)
        n[i] = net->size[src[i]];
    for (int j = 0; j < ns; j++)
        for (int i = 0; i < ns; i++)
            if (src[i] == dst[j]) {
                perm[j] = i;
                inv[i] = j;
            }
    perm_build(fw, ns, n, perm);
    for (int j = 0; j < ns; j++)
        nd[j] = n[perm[j]];
    perm_build(bw, ns, nd, inv);
}

/* ------------------------------------------------------------------- plan */

static int64_t prod_ids(const cm_net *net, const int *ids, int n)
{
    int64_t s = 1;
    for (int i = 0; i < n; i++)
        s *= net->size[ids[i]];
    return s;
}

/* Ids of mask in increasing order. */
static int ids_of(uint32_t mask, int *ids)
{
    int n = 0;
    for (int id = 0; id < TN_MAXD; id++)
        if (mask & (1u << id))
            ids[n++] = id;
    return n;
}

/* Plans step s: lay is T_in's layout (updated to T_out's). */
static void plan_step(tn_plan *p, const cm_net *net, int s, int f, int *lay, int *nlay)
{
    tn_step *st = &p->st[s];
    uint32_t F = net->fmask[f];
    int kept[TN_MAXD], cons[TN_MAXD], prod[TN_MAXD], nk = 0, nc = 0, np = 0;
    for (int i = 0; i < *nlay; i++)
        if (!(F & (1u << lay[i])))
            kept[nk++] = lay[i];
    for (int i = 0; i < net->nidx[f]; i++) {
        int id = net->idx[f][i];
        int in_t = 0;
        for (int j = 0; j < *nlay; j++)
            in_t |= lay[j] == id;
        if (in_t)
            cons[nc++] = id;
        else
            prod[np++] = id;
    }
    st->f = f;
    st->K = prod_ids(net, kept, nk);
    st->C = prod_ids(net, cons, nc);
    st->P = prod_ids(net, prod, np);
    int want[TN_MAXD];
    memcpy(want, kept, (size_t)nk * sizeof *want);
    memcpy(want + nk, cons, (size_t)nc * sizeof *want);
    perm_between(net, lay, *nlay, want, &st->pa, &st->pa_inv);
    st->aperm = !perm_is_identity(&st->pa);
    /* The factor: (C, P) or (P, C) as laid out, else a permuted copy. */
    int cfirst = 1, pfirst = 1;
    for (int i = 0; i < nc; i++)
        cfirst &= net->idx[f][i] == cons[i];
    for (int i = 0; i < np; i++)
        pfirst &= net->idx[f][i] == prod[i];
    if (cfirst)
        st->mode = F_CP;
    else if (pfirst)
        st->mode = F_PC;
    else {
        int cp[TN_MAXD];
        memcpy(cp, cons, (size_t)nc * sizeof *cp);
        memcpy(cp + nc, prod, (size_t)np * sizeof *cp);
        st->mode = F_COPY;
        perm_between(net, net->idx[f], net->nidx[f], cp, &st->pf, &st->pf_inv);
    }
    memcpy(lay, kept, (size_t)nk * sizeof *lay);
    memcpy(lay + nk, prod, (size_t)np * sizeof *lay);
    *nlay = nk + np;
}

int tn_plan_new(const cm_net *net, const cm_order *o, int recon, int maxrows, tn_plan **out,
                char *err, size_t errlen)
{
    *out = NULL;
    if (cm_order_check(net, o, err, errlen))
        return -1;
    if (maxrows < 1)
        return cm_fail(err, errlen, "a batch needs at least one row");
    tn_plan *p = calloc(1, sizeof *p);
    if (!p)
        return cm_fail(err, errlen, "out of memory");
    p->nsteps = o->n;
    p->nf = net->nf;
    p->recon = recon;
    p->maxrows = recon ? 1 : maxrows;
    int lay[TN_MAXD], nlay = recon ? 0 : ids_of(net->xmask, lay);
    p->in_size = prod_ids(net, lay, nlay);
    int64_t work = p->in_size;
    for (int s = 0; s < o->n; s++) {
        tn_step *st = &p->st[s];
        st->tape_off = p->tape_size;
        p->tape_size += prod_ids(net, lay, nlay); /* A = T_in permuted */
        plan_step(p, net, s, o->f[s], lay, &nlay);
        p->macs += st->K * st->C * st->P;
        int64_t osz = st->K * st->P;
        if (osz > work)
            work = osz;
    }
    int ys[TN_MAXD];
    int ny = ids_of(recon ? (net->ymask | net->xmask) : net->ymask, ys);
    p->out_size = prod_ids(net, ys, ny);
    perm_between(net, lay, nlay, ys, &p->py, &p->py_inv);
    p->yperm = !perm_is_identity(&p->py);
    p->work_size = work;
    size_t wn = (size_t)(p->maxrows * work);
    p->w1 = malloc(wn * sizeof(tn_real));
    p->w2 = malloc(wn * sizeof(tn_real));
    int ok = p->w1 && p->w2;
    for (int f = 0; f < net->nf && ok; f++) {
        p->fsize[f] = cm_net_mask_size(net, net->fmask[f]);
        p->dfm[f] = malloc((size_t)p->fsize[f] * sizeof(tn_real));
        ok = p->dfm[f] != NULL;
    }
    for (int s = 0; s < o->n && ok; s++)
        if (p->st[s].mode == F_COPY) {
            int f = p->st[s].f;
            p->fm[f] = malloc((size_t)p->fsize[f] * sizeof(tn_real));
            ok = p->fm[f] != NULL;
        }
    if (!ok) {
        tn_plan_free(p);
        return cm_fail(err, errlen, "out of memory for a contraction plan");
    }
    *out = p;
    return 0;
}

void tn_plan_free(tn_plan *p)
{
    if (!p)
        return;
    for (int f = 0; f < CM_NET_MAXF; f++) {
        free(p->fm[f]);
        free(p->dfm[f]);
    }
    free(p->w1);
    free(p->w2);
    free(p);
}

int64_t tn_in_size(const tn_plan *p) { return p->in_size; }
int64_t tn_out_size(const tn_plan *p) { return p->out_size; }
int64_t tn_tape_size(const tn_plan *p) { return p->tape_size; }
int64_t tn_macs(const tn_plan *p) { return p->macs; }

/* ---------------------------------------------------------------- passes */

void tn_prepare(tn_plan *p, tn_real *const *factors)
{
    for (int s = 0; s < p->nsteps; s++) {
        const tn_step *st = &p->st[s];
        int f = st->f;
        if (st->mode == F_COPY) {
            perm_apply(&st->pf, 1, p->fsize[f], factors[f], p->fm[f], 0);
            p->fp[f] = p->fm[f];
        } else {
            p->fp[f] = factors[f];
        }
        memset(p->dfm[f], 0, (size_t)p->fsize[f] * sizeof(tn_real));
    }
}

void tn_forward(tn_plan *p, int nb, const tn_real *x, tn_real *y, tn_real *tape)
{
    static const tn_real one = 1;
    const tn_real *cur = p->recon ? &one : x;
    for (int s = 0; s < p->nsteps; s++) {
        const tn_step *st = &p->st[s];
        tn_real *a = tape + (int64_t)nb * st->tape_off;
        int64_t insz = st->K * st->C;
        if (cur != a)
            perm_apply(&st->pa, nb, insz, cur, a, 0);
        int last = s == p->nsteps - 1;
        tn_real *o;
        if (last)
            o = p->yperm ? p->w1 : y;
        else
            o = p->st[s + 1].aperm ? p->w1 : tape + (int64_t)nb * p->st[s + 1].tape_off;
        const tn_real *F = p->fp[st->f];
        int M = (int)(nb * st->K), N = (int)st->P, K = (int)st->C;
        if (st->mode == F_PC)
            tn_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, a, K, F, K, 0, o, N);
        else
            tn_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, a, K, F, N, 0, o, N);
        cur = o;
    }
    if (p->yperm)
        perm_apply(&p->py, nb, p->out_size, p->w1, y, 0);
}

void tn_backward(tn_plan *p, int nb, const tn_real *tape, const tn_real *dy, tn_real *dx)
{
    const tn_real *g = dy;
    tn_real *buf[2] = {p->w1, p->w2};
    int nxt = 0;
    if (p->yperm) {
        perm_apply(&p->py_inv, nb, p->out_size, dy, buf[nxt], 0);
        g = buf[nxt];
        nxt ^= 1;
    }
    for (int s = p->nsteps - 1; s >= 0; s--) {
        const tn_step *st = &p->st[s];
        const tn_real *a = tape + (int64_t)nb * st->tape_off;
        const tn_real *F = p->fp[st->f];
        tn_real *dF = p->dfm[st->f];
        int M = (int)(nb * st->K), N = (int)st->P, K = (int)st->C;
        if (st->mode == F_PC) /* dF (P x C) += g^T a */
            tn_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1, g, N, a, K, 1, dF, K);
        else                  /* dF (C x P) += a^T g */
            tn_gemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, N, M, 1, a, K, g, N, 1, dF, N);
        if (s == 0 && !dx)
            break;
        /* dA = g F^T: straight into dx when no permutation follows. */
        tn_real *da = (s == 0 && !st->aperm) ? dx : buf[nxt];
        if (st->mode == F_PC)
            tn_gemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1, g, N, F, K, 0, da, K);
        else
            tn_gemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, N, 1, g, N, F, N, 0, da, K);
        if (st->aperm) {
            tn_real *dst = s == 0 ? dx : buf[nxt ^ 1];
            perm_apply(&st->pa_inv, nb, st->K * st->C, da, dst, 0);
            g = dst;
        } else {
            g = da;
            nxt ^= 1;
        }
    }
}

void tn_finish(tn_plan *p, tn_real *const *grads)
{
    for (int s = 0; s < p->nsteps; s++) {
        const tn_step *st = &p->st[s];
        int f = st->f;
        if (st->mode == F_COPY)
            perm_apply(&st->pf_inv, 1, p->fsize[f], p->dfm[f], grads[f], 1);
        else
            for (int64_t i = 0; i < p->fsize[f]; i++)
                grads[f][i] += p->dfm[f][i];
    }
}
