/*
 * ht_tree.h - binary dimension trees of the hierarchical-Tucker format.
 *
 * A tree over d modes has 2d-1 nodes.  Node numbering is canonical, so two
 * trees that differ only by swapping the children of a node are stored
 * identically (memcmp-equal after ht_canonicalize):
 *   - nodes 0..d-1 are the leaves, node k holding mode k (0-based);
 *   - nodes d..2d-2 are the internal nodes in post-order (children before
 *     parents), the left child being the one whose smallest mode is smaller;
 *   - the root is node 2d-2 and its rank is always 1.
 * A rank of 0 means "not given" (ht_fill_ranks sets those).
 *
 * Text notation: nested parentheses over 1-based mode
 * numbers, ranks after a colon: "((1:4,2:4):6,(3:4,4:4):6)".  The printed
 * form is canonical (smallest mode first in every pair); the root rank is not
 * printed (a parsed ":1" after the root is accepted, any other value refused).
 */
#ifndef HT_TREE_H
#define HT_TREE_H

#include "cm_common.h"

typedef struct {
    int d;      /* number of modes = leaves, 1..CM_MAX_D */
    int nnodes; /* 2d-1 */
    int root;   /* 2d-2 */
    int left[CM_MAX_NODES];   /* -1 for leaves */
    int right[CM_MAX_NODES];  /* -1 for leaves */
    int parent[CM_MAX_NODES]; /* -1 for the root */
    int rank[CM_MAX_NODES];   /* r_t; 0 = not given; root = 1 */
    unsigned mask[CM_MAX_NODES]; /* bit k set <=> mode k below the node */
} ht_tree;

/*
 * Parse the notation; d is inferred (modes must be exactly 1..d, once each).
 * d = 1 is the bare leaf "1" (the root; "(1)" is refused).  On failure *t is
 * left untouched.
 */
int ht_parse(const char *s, ht_tree *t, char *err, size_t errlen);

/* Canonical text with every given rank; returns the length (snprintf-like). */
int ht_format(const ht_tree *t, char *buf, size_t buflen);

/* Set every non-root rank that is 0 to r. */
void ht_fill_ranks(ht_tree *t, int r);

/* Every non-root rank >= 1 (after filling); root rank 1. */
int ht_check_ranks(const ht_tree *t, char *err, size_t errlen);

/* Balanced tree: modes split into the first ceil(d/2) and the rest, recursively. */
void ht_balanced(int d, ht_tree *t);
/* Caterpillar (((1,2),3),4): the TT-like degenerate tree. */
void ht_caterpillar(int d, ht_tree *t);

/*
 * Re-number an arbitrary tree into canonical form.  The input must have its
 * d, root, left/right (internal nodes) and rank fields set; leaves are
 * nodes 0..d-1 = modes 0..d-1.  Recomputes parent, mask, nnodes.
 */
void ht_canonicalize(ht_tree *t);

/* Number of distinct trees on d leaves: (2d-3)!! (1 for d = 1). */
int64_t ht_count_trees(int d);

/*
 * Call fn once for every distinct tree on d modes (canonical; ranks all 0
 * but the root's 1), in a stable order.  Stops early and returns fn's value
 * if fn returns non-zero; otherwise returns 0.
 */
typedef int (*ht_visit_fn)(const ht_tree *t, void *ud);
int ht_enumerate(int d, ht_visit_fn fn, void *ud);

/* Label of a node: its 1-based modes in increasing order, e.g. "34" (leaf "3"). */
void ht_node_label(const ht_tree *t, int node, char *buf, size_t buflen);

#endif
