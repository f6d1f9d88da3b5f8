/*
 * cm_common.h - limits and small shared types of the cost model.
 *
 * costmodel/ is pure computation: no YAML, no SQL, no printing.  Functions
 * that can fail return 0 on success and -1 on failure, writing a one-line,
 * human-readable reason into a caller-supplied buffer (err, errlen); the
 * caller (dse/) decides how to report it.
 */
#ifndef CM_COMMON_H
#define CM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define CM_MAX_D 8                       /* modes of a tensorized matrix */
#define CM_MAX_NODES (2 * CM_MAX_D - 1) /* nodes of a binary dimension tree */
#define CM_ERRLEN 256

/*
 * A tensorized M x N matrix: M = m[0]*...*m[d-1] (rows, output side),
 * N = n[0]*...*n[d-1] (columns, input side).  Row index i <-> (i_1..i_d) and
 * column index j <-> (j_1..j_d), both row-major (mode 1 most significant).
 */
typedef struct {
    int d;
    int m[CM_MAX_D];
    int n[CM_MAX_D];
} cm_modes;

/* Product of the out modes / in modes; -1 when it would exceed 2^53. */
int64_t cm_modes_rows(const cm_modes *md);
int64_t cm_modes_cols(const cm_modes *md);

/* Checks 1 <= d <= CM_MAX_D, every mode >= 1 and M*N < 2^53. */
int cm_modes_check(const cm_modes *md, char *err, size_t errlen);

/* Enum names kept in one table: names[i] for 0 <= i < n, otherwise "?";
 * and the index of s among names[0..n) (-1 if absent or s is NULL). */
const char *cm_name_of(const char *const *names, int n, int i);
int cm_name_find(const char *const *names, int n, const char *s);

/*
 * Room for one more element in a growable array of n elements of elem bytes
 * with capacity *cap: v itself when n < *cap, else v reallocated to twice
 * *cap (first when *cap is 0), *cap updated.  NULL when out of memory (v
 * and *cap then unchanged: the caller still owns v).
 */
void *cm_grow(void *v, size_t n, size_t *cap, size_t elem, size_t first);

/* printf into err if err != NULL; always returns -1 (for `return cm_fail(..)`). */
int cm_fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
