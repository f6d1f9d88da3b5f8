/*
 * map_factor.h - the factorization generator of the design space: the ways
 * to write one side of a matrix (any size in a range) as the product of d
 * mode sizes within bounds, most balanced first.  map_space.c builds each
 * matrix role's factorizations from these when a spec gives bounds rather
 * than explicit lists.
 *
 * Pure computation: no I/O, no printing.
 */
#ifndef MAP_FACTOR_H
#define MAP_FACTOR_H

#include "cm_common.h"

#define MAP_FACT_CAP 200000   /* candidate factorizations before ranking */

/*
 * Sorted (non-increasing) or, with any_order, all ordered factorizations of
 * any number in [lo_prod, hi_prod] into d factors in [fmin, fmax].  The
 * multisets are ranked by (sum of factors, product, larger leading factor
 * first) and at most limit of them kept, each then expanded into its
 * distinct orders with any_order.  *out (n rows, factors beyond d zero) is
 * malloc'd.  Returns 0, -1 on bad arguments or no memory, -2 when there are
 * more than MAP_FACT_CAP candidates.
 */
int map_factorize(int64_t lo_prod, int64_t hi_prod, int d, int64_t fmin, int64_t fmax,
                  int any_order, int limit, int64_t (**out)[CM_MAX_D], int *n);

#endif
