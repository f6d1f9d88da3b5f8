/*
 * ht_class.h - rooted HT trees that are one unrooted tree with the same
 * edge ranks (issue 13, item 1).
 *
 * Removing the root of a rooted dimension tree merges the edges to its two
 * children into one edge; what remains is an unrooted binary tree whose d
 * leaves are the modes, with 2d-3 edges, each a split of the modes into two
 * sides and each with a rank.  Two rooted trees with the same unrooted tree
 * and the same rank on every edge represent the same set of matrices (each
 * edge's rank bounds the rank of the same matricization), so they are one
 * *class*.  The merged root edge has a rank only when the root's two
 * children have equal ranks; a tree whose root children's ranks differ is a
 * class of its own.  So a class is 2d-3 rooted trees (one rooting on each
 * edge, e.g. d = 4: 15 rooted trees in 3 classes, d = 5: 105 in 15), or 1.
 *
 * The representative of a class is the member whose canonical text
 * (ht_format) is smallest in strcmp order: it depends on the class alone,
 * not on which members a caller has seen.
 */
#ifndef HT_CLASS_H
#define HT_CLASS_H

#include "ht_tree.h"

#define HT_CLASS_MAX (2 * CM_MAX_D - 3) /* members of a class, at most */

/* 1 when the root's two children have the same rank (the tree has an
 * unrooted form with one rank per edge), else 0; d <= 1: 0. */
int ht_class_unrooted(const ht_tree *t);

/*
 * Every member of t's class (t itself included), canonical, in increasing
 * ht_format order, into out (room for HT_CLASS_MAX); returns how many.
 * Ranks must be given (>= 1).
 */
int ht_class_members(const ht_tree *t, ht_tree *out);

/* The class's representative (the first of ht_class_members). */
void ht_class_rep(const ht_tree *t, ht_tree *rep);

#endif
