/*
 * tn_recon.c - W from a network's factors, and dW back to them (tn.h).
 *
 * A chain recon plan (tn.c with no input) contracts the factors one at a
 * time into one running tensor: right for TT, whose chain is its structure,
 * but for an HT tree the running tensor soon holds the frames of two
 * subtrees side by side with all their rank pairs.  So an HT network is
 * reconstructed node by node, in post-order: node t's frame U_t (the m and n
 * indices of its modes, then r_t, in increasing id order) is the recon of a
 * three-factor network {U_l, U_r, B_t}; the root's frame is W.  The backward
 * runs the nodes in reverse, each one's dU_t feeding its children.
 */
#include "tn.h"

#include <stdlib.h>
#include <string.h>

struct tn_recon {
    int ht, root, nodes;
    int left[CM_MAX_NODES], right[CM_MAX_NODES];
    tn_plan *plan[CM_MAX_NODES];     /* chain: plan[0]; HT: internal nodes */
    tn_real *tape[CM_MAX_NODES];
    tn_real *u[CM_MAX_NODES], *du[CM_MAX_NODES]; /* internal non-root frames */
    int64_t usize[CM_MAX_NODES];
    int64_t macs;
};

static int64_t mask_size(const cm_net *net, uint32_t m)
{
    return cm_net_mask_size(net, m);
}

/* Indices (ids) of node v's frame: its modes' m and n, and r_v but at the root. */
static uint32_t frame_mask(const ht_tree *t, int v)
{
    uint32_t m = 0;
    for (int k = 0; k < t->d; k++)
        if (t->mask[v] & (1u << k))
            m |= (1u << CM_ID_M(k)) | (1u << CM_ID_N(k));
    if (v != t->root)
        m |= 1u << CM_ID_R(v);
    return m;
}

/* The three-factor network of internal node v: U_l, U_r, B_v. */
static void node_net(const cm_net *net, const ht_tree *t, int v, cm_net *sub)
{
    memset(sub, 0, sizeof *sub);
    sub->kind = CM_HT;
    sub->d = net->d;
    sub->nf = 3;
    memcpy(sub->size, net->size, sizeof sub->size);
    int kids[2] = {t->left[v], t->right[v]};
    for (int f = 0; f < 2; f++) {
        uint32_t m = frame_mask(t, kids[f]);
        sub->fmask[f] = m;
        for (int id = 0; id < CM_NET_MAXIDX; id++)
            if (m & (1u << id))
                sub->idx[f][sub->nidx[f]++] = id;
        memcpy(sub->label[f], net->label[kids[f]], sizeof sub->label[f]);
    }
    sub->fmask[2] = net->fmask[v];
    sub->nidx[2] = net->nidx[v];
    memcpy(sub->idx[2], net->idx[v], sizeof sub->idx[2]);
    memcpy(sub->label[2], net->label[v], sizeof sub->label[2]);
    sub->xmask = 0;
    sub->ymask = frame_mask(t, v);
}

static int add_plan(tn_recon *r, int slot, const cm_net *net, char *err, size_t errlen)
{
    cm_order o;
    cm_order_cost c;
    cm_order_best(net, &o, &c);
    if (tn_plan_new(net, &o, 1, 1, &r->plan[slot], err, errlen))
        return -1;
    r->macs += tn_macs(r->plan[slot]);
    r->tape[slot] = malloc((size_t)tn_tape_size(r->plan[slot]) * sizeof(tn_real));
    return r->tape[slot] ? 0 : cm_fail(err, errlen, "out of memory");
}

int tn_recon_new(const cm_net *net, const ht_tree *tree, tn_recon **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    tn_recon *r = calloc(1, sizeof *r);
    if (!r)
        return cm_fail(err, errlen, "out of memory");
    int rc = 0;
    if (!tree || net->kind != CM_HT || tree->nnodes == 1) {
        cm_net rn = *net;
        rn.ymask |= rn.xmask;
        rn.xmask = 0;
        rc = add_plan(r, 0, &rn, err, errlen);
    } else {
        r->ht = 1;
        r->root = tree->root;
        r->nodes = tree->nnodes;
        memcpy(r->left, tree->left, sizeof r->left);
        memcpy(r->right, tree->right, sizeof r->right);
        for (int v = tree->d; v < tree->nnodes && !rc; v++) {
            cm_net sub;
            node_net(net, tree, v, &sub);
            rc = add_plan(r, v, &sub, err, errlen);
            if (!rc && v != tree->root) {
                r->usize[v] = mask_size(net, sub.ymask);
                r->u[v] = malloc((size_t)r->usize[v] * sizeof(tn_real));
                r->du[v] = malloc((size_t)r->usize[v] * sizeof(tn_real));
                if (!r->u[v] || !r->du[v])
                    rc = cm_fail(err, errlen, "out of memory");
            }
        }
    }
    if (rc) {
        tn_recon_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void tn_recon_free(tn_recon *r)
{
    if (!r)
        return;
    for (int v = 0; v < CM_MAX_NODES; v++) {
        tn_plan_free(r->plan[v]);
        free(r->tape[v]);
        free(r->u[v]);
        free(r->du[v]);
    }
    free(r);
}

int64_t tn_recon_macs(const tn_recon *r) { return r->macs; }

/* The three factors (or their gradients) of internal node v. */
static void node_ptrs(tn_recon *r, int v, tn_real *const *fac, tn_real *const *own,
                      tn_real **p)
{
    int kids[2] = {r->left[v], r->right[v]};
    for (int f = 0; f < 2; f++)
        p[f] = own[kids[f]] ? own[kids[f]] : fac[kids[f]];
    p[2] = fac[v];
}

void tn_recon_forward(tn_recon *r, tn_real *const *factors, tn_real *W)
{
    if (!r->ht) {
        tn_prepare(r->plan[0], factors);
        tn_forward(r->plan[0], 1, NULL, W, r->tape[0]);
        return;
    }
    /* Internal nodes are numbered in post-order: children first. */
    for (int v = 0; v <= r->root; v++) {
        if (!r->plan[v])
            continue;
        tn_real *p[3];
        node_ptrs(r, v, factors, r->u, p);
        tn_prepare(r->plan[v], p);
        tn_forward(r->plan[v], 1, NULL, v == r->root ? W : r->u[v], r->tape[v]);
    }
}

void tn_recon_backward(tn_recon *r, const tn_real *dW, tn_real *const *grads)
{
    if (!r->ht) {
        tn_backward(r->plan[0], 1, r->tape[0], dW, NULL);
        tn_finish(r->plan[0], grads);
        return;
    }
    for (int v = 0; v < r->nodes; v++)
        if (r->du[v])
            memset(r->du[v], 0, (size_t)r->usize[v] * sizeof(tn_real));
    for (int v = r->root; v >= 0; v--) {
        if (!r->plan[v])
            continue;
        tn_real *g[3];
        node_ptrs(r, v, grads, r->du, g);
        tn_backward(r->plan[v], 1, r->tape[v], v == r->root ? dW : r->du[v], NULL);
        tn_finish(r->plan[v], g);
    }
}
