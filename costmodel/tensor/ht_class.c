/*
 * ht_class.c - the class of a rooted HT tree (ht_class.h): its unrooted
 * tree's edges, the rooting on each edge, and the representative.
 *
 * The unrooted tree keeps the rooted tree's node ids, less the root: an
 * edge joins each non-root node v to its parent (rank r_v), except that the
 * root's children c1, c2 are joined to each other (rank r_c1 = r_c2).
 * Rooting on edge (a, b) of rank r puts a new root above a and b, both of
 * rank r, and orients every other edge away from it.
 */
#include "ht_class.h"

#include <string.h>

typedef struct {
    int a, b, rank;
} edge;

int ht_class_unrooted(const ht_tree *t)
{
    if (t->d < 2)
        return 0;
    return t->rank[t->left[t->root]] == t->rank[t->right[t->root]];
}

/* The 2d-3 edges of the unrooted form (the tree must have one). */
static int edges_of(const ht_tree *t, edge *e)
{
    int n = 0, root = t->root, c1 = t->left[root], c2 = t->right[root];
    for (int v = 0; v < t->nnodes; v++)
        if (v != root && v != c1 && v != c2)
            e[n++] = (edge){v, t->parent[v], t->rank[v]};
    e[n++] = (edge){c1, c2, t->rank[c1]};
    return n;
}

typedef struct {
    int n, to[3], rank[3];
} adj;

/* Orient u's subtree away from `from`: its other neighbours are its
 * children, each ranked by the edge that joins it to u. */
static void orient(const adj *g, int u, int from, ht_tree *r, int depth)
{
    if (depth > CM_MAX_NODES)
        return; /* a valid tree never gets here */
    int k = 0;
    for (int i = 0; i < g[u].n; i++) {
        int c = g[u].to[i];
        if (c == from)
            continue;
        r->rank[c] = g[u].rank[i];
        if (k == 0)
            r->left[u] = c;
        else
            r->right[u] = c;
        k++;
        orient(g, c, u, r, depth + 1);
    }
}

/* The rooting of the unrooted tree (edges e, n of them) on edge k. */
static void root_on(const ht_tree *t, const edge *e, int n, int k, ht_tree *r)
{
    adj g[CM_MAX_NODES];
    memset(g, 0, sizeof g);
    for (int i = 0; i < n; i++) {
        if (i == k)
            continue;
        adj *x = &g[e[i].a], *y = &g[e[i].b];
        if (x->n < 3 && y->n < 3) {
            x->to[x->n] = e[i].b;
            x->rank[x->n++] = e[i].rank;
            y->to[y->n] = e[i].a;
            y->rank[y->n++] = e[i].rank;
        }
    }
    memset(r, 0, sizeof *r);
    r->d = t->d;
    r->nnodes = t->nnodes;
    r->root = t->root;
    for (int v = 0; v < CM_MAX_NODES; v++)
        r->left[v] = r->right[v] = r->parent[v] = -1;
    r->left[r->root] = e[k].a;
    r->right[r->root] = e[k].b;
    r->rank[e[k].a] = r->rank[e[k].b] = e[k].rank;
    orient(g, e[k].a, r->root, r, 0);
    orient(g, e[k].b, r->root, r, 0);
    ht_canonicalize(r);
}

int ht_class_members(const ht_tree *t, ht_tree *out)
{
    if (!ht_class_unrooted(t)) {
        out[0] = *t;
        return 1;
    }
    edge e[HT_CLASS_MAX];
    char txt[HT_CLASS_MAX][256];
    int n = edges_of(t, e), m = 0;
    for (int k = 0; k < n; k++) {
        ht_tree r;
        char s[256];
        root_on(t, e, n, k, &r);
        ht_format(&r, s, sizeof s);
        /* insert in strcmp order (each edge gives a different root split,
         * so no two rootings are equal) */
        int at = m;
        while (at > 0 && strcmp(txt[at - 1], s) > 0) {
            out[at] = out[at - 1];
            memcpy(txt[at], txt[at - 1], sizeof txt[at]);
            at--;
        }
        out[at] = r;
        memcpy(txt[at], s, sizeof s);
        m++;
    }
    return m;
}

void ht_class_rep(const ht_tree *t, ht_tree *rep)
{
    ht_tree all[HT_CLASS_MAX];
    ht_class_members(t, all);
    *rep = all[0];
}
