/*
 * map_pareto.h - exact Pareto fronts (skylines) over k objectives, each
 * minimized or maximized: a batch skyline for `dse pareto` and an
 * incremental running front for searches that keep only the front.
 *
 * Definitions: a dominates b when a is at least as good in every objective
 * and strictly better in one.  Two rows with identical objective vectors do
 * not dominate each other, so duplicates on the front are all kept.  A row
 * with a NaN objective (an unknown, NULL, value) is excluded and counted.
 * Infinities are ordinary values.  Pure computation: no I/O.
 */
#ifndef MAP_PARETO_H
#define MAP_PARETO_H

#include <stddef.h>
#include <stdint.h>

#define MAP_PARETO_MAXK 32

typedef enum { MAP_MIN = 0, MAP_MAX = 1 } map_dir;

/* 1 when a dominates b (k objectives, directions dir), else 0. */
int map_dominates(const double *a, const double *b, int k, const map_dir *dir);

/* The same on values all minimized (a row never dominates itself). */
int map_dominates_min(const double *a, const double *b, int k);

/*
 * The non-dominated rows of v (n rows of k values, row-major).  front must
 * hold n indices; it receives *nfront row indices in increasing order.
 * *nnan (may be NULL) counts the rows excluded for a NaN.  Output-sensitive:
 * k = 1 a scan, k = 2 an O(n log n) sort and sweep, k >= 3 sort-filter-
 * skyline (presort by a monotone score, compare each row with the front
 * found so far only).  Returns 0, or -1 for bad arguments or no memory.
 */
int map_pareto(const double *v, size_t n, int k, const map_dir *dir, size_t *front,
               size_t *nfront, size_t *nnan);

/* ---- incremental front ---- */

typedef struct map_front map_front;

/* NULL for a bad k or direction, or no memory. */
map_front *map_front_new(int k, const map_dir *dir);
void map_front_free(map_front *f); /* NULL is fine */
/*
 * Offers a row with a caller id: 1 it joins the front (the members it
 * dominates leave), 0 it is dominated or has a NaN (front unchanged), -1 no
 * memory.  After any sequence of adds the front equals map_pareto of all
 * rows offered.
 */
int map_front_add(map_front *f, const double *v, int64_t id);
/* 1 when some member dominates v (or v has a NaN), else 0; nothing changes. */
int map_front_dominated(const map_front *f, const double *v);
/* Members in no particular order: i in 0..size-1. */
size_t map_front_size(const map_front *f);
int64_t map_front_id(const map_front *f, size_t i);
const double *map_front_values(const map_front *f, size_t i);
/* Rows offered so far that had a NaN. */
size_t map_front_nan(const map_front *f);

#endif
