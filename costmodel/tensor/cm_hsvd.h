/*
 * cm_hsvd.h - truncation of a dense matrix to HT (root-to-leaves HSVD,
 * Grasedyck 2010) and to TT (TT-SVD), per-node spectra and error bounds.
 *
 * The dense M x N matrix W is tensorized as in cm_common.h; the node t of a
 * tree with mode set S_t has the matricization whose rows are the indices
 * (i_k, j_k) for k in S_t (in increasing k, i_k before j_k) and whose
 * columns are the rest.  Singular vectors (cm_hsvd, cm_ttsvd) come from QR
 * then the SVD of R (LAPACK), never from a Gram matrix; values-only spectra
 * of large matricizations may (cm_spectrum_compute_with).
 *
 * Error proxies, with tail_t(r) = sqrt(sum_{i > r} sigma_{t,i}^2):
 *   bound_lower = max_t tail_t(r_t) / ||W||
 *   bound_upper = sqrt(sum_t tail_t(r_t)^2) / ||W||
 * over the non-root nodes; the root's two children share one
 * matricization and count once, with the smaller of their two ranks.
 */
#ifndef CM_HSVD_H
#define CM_HSVD_H

#include "cm_matvec.h"

typedef struct {
    unsigned mask;  /* mode set of the matricization (0-based bits) */
    int n;          /* number of singular values kept (min(rows, cols), or top-k) */
    double *sv;     /* descending; owned */
    double tail2_rest; /* sum of sigma^2 beyond the n stored (0 if all stored) */
    double *tail2;  /* n+1 cumulative tails: tail2[r] = sum_{i >= r} sv_i^2 + tail2_rest;
                       owned; NULL allowed (cm_spectrum_tail then sums, O(n)) */
} cm_spectrum;

typedef struct {
    double norm;         /* ||W||_F */
    double rel_error;    /* ||W - W_approx||_F / ||W||_F, exact */
    double bound_lower, bound_upper;
    double tail[CM_MAX_NODES]; /* absolute discarded tail per node (0 at the root) */
} cm_hsvd_report;
/*
 * For TT (cm_ttsvd), tail[k-1] is the tail discarded at bond k (k = 1..d-1)
 * by the sequential sweep, so rel_error = sqrt(sum tail^2) / ||W|| up to
 * rounding; bound_upper is that value and bound_lower = max tail / ||W||, a
 * valid lower bound of the best TT error (each step's matrix is an
 * orthogonal projection of the original unfolding, so its tails are no
 * larger).  cm_tt_bounds gives the a-priori bounds from unfolding spectra.
 */

/*
 * Singular values of the matricization of W by mode set mask (all
 * min(rows, cols) of them, tail2_rest = 0).  Two routes:
 *
 *   CM_SPECTRUM_EXACT: QR of the matricization, then the SVD of R.
 *     Backward stable: |s_i - sigma_i| <= c eps s_1 for every i.
 *   CM_SPECTRUM_GRAM: eigenvalues of the Gram matrix of the shorter side
 *     (dsyrk over panels gathered straight from W, no copy of the whole
 *     matricization; a two-stage symmetric eigensolver).  On the 1024 x
 *     57600 reference, 2.5x (pair nodes) to 10x (leaves) less CPU than
 *     EXACT, but it squares the condition number: |s_i^2 - sigma_i^2| <=
 *     c eps s_1^2, so s_i is within 1e-6 relative of the exact value only
 *     for s_i >= CM_SPECTRUM_GRAM_FLOOR s_1, the accuracy floor (measured:
 *     ~5e-10 there; tests/test_hsvd_spectrum.c checks 1e-6 on a known
 *     spectrum from 1 to 1e-8, tests/bench_hsvd.c prints the figure).  Values below the
 *     floor carry an absolute error of order sqrt(eps) s_1 (~1e-8 s_1;
 *     exact zeros come out as such values).  Tails: tail(r)^2 within a few
 *     n eps s_1^2 absolute, which is what the error proxies (tails / ||W||)
 *     need.
 *   CM_SPECTRUM_AUTO: EXACT below CM_SPECTRUM_GRAM_MIN_ENTRIES entries of W,
 *     GRAM from there (cm_spectrum_compute).
 *
 * A mode set and its complement give the same spectrum: callers that cache
 * spectra should key them by cm_spectrum_canonical_mask so that e.g. a
 * caterpillar tree's {1,2,3} reuses leaf {4}.  For d = 4, the 7 canonical
 * masks (1, 2, 4, 7 leaves; 3, 5, 6 pairs) cover every node of every tree.
 */
typedef enum {
    CM_SPECTRUM_AUTO = 0,
    CM_SPECTRUM_EXACT = 1,
    CM_SPECTRUM_GRAM = 2
} cm_spectrum_method;

#define CM_SPECTRUM_GRAM_MIN_ENTRIES (INT64_C(1) << 22) /* 4 Mi entries (32 MiB) */
#define CM_SPECTRUM_GRAM_FLOOR 1e-4

int cm_spectrum_compute_with(const double *W, const cm_modes *md, unsigned mask,
                             cm_spectrum_method how, cm_spectrum *out, char *err,
                             size_t errlen);
/* cm_spectrum_compute_with(..., CM_SPECTRUM_AUTO, ...). */
int cm_spectrum_compute(const double *W, const cm_modes *md, unsigned mask,
                        cm_spectrum *out, char *err, size_t errlen);
/* The smaller (as a number) of mask and its complement within d modes. */
unsigned cm_spectrum_canonical_mask(int d, unsigned mask);
/* sum of v[i]^2 in index order: the squared norm the error proxy divides
 * by.  One function so that the evaluator and the spectra cache (dse run's
 * reference) give the same bits. */
double cm_sumsq(const double *v, int64_t n);
void cm_spectrum_free(cm_spectrum *s);
/* tail(r) from a spectrum, O(1) with tail2; r >= n gives sqrt(tail2_rest). */
double cm_spectrum_tail(const cm_spectrum *s, int r);
/* Build a spectrum from n descending values (e.g. read back from a cache). */
int cm_spectrum_set(cm_spectrum *s, unsigned mask, const double *sv, int n,
                    double tail2_rest, char *err, size_t errlen);

/*
 * Bounds of a tree with ranks from per-node spectra (spec[t] for node t), O(d).
 * spec[root] and spec[right child of root] are not read: the root's pair
 * uses spec[left child of root] with the smaller of the two ranks.
 */
void cm_ht_bounds(const ht_tree *t, const cm_spectrum *spec, double norm,
                  double *lower, double *upper);
/*
 * A-priori TT bounds from the spectra of the unfoldings {1..k} (spec[k-1]
 * for bond k = 1..d-1, mask (1 << k) - 1): lower = max_k tail_k(r_k) / ||W||,
 * upper = sqrt(sum_k tail_k(r_k)^2) / ||W||; tt_rank has d+1 entries.
 */
void cm_tt_bounds(int d, const int *tt_rank, const cm_spectrum *spec, double norm,
                  double *lower, double *upper);

/*
 * HSVD.  Ranks: those set in tree (non-zero) are used (capped at what the
 * matricization allows); with tol > 0, ranks that are 0 are chosen as the
 * smallest with tail_t <= tol ||W|| / sqrt(number of counted nodes), so
 * that rel_error <= bound_upper <= tol.  The chosen ranks are written back
 * into tree.  out is allocated (cm_weights_free).
 */
int cm_hsvd(const double *W, const cm_modes *md, ht_tree *tree, double tol,
            cm_weights *out, cm_hsvd_report *rep, char *err, size_t errlen);

/*
 * TT-SVD, left to right; tt_rank[1..d-1] given (non-zero, capped at what the
 * step matrix allows) or chosen by tol: the smallest rank whose discarded
 * tail is <= tol ||W|| / sqrt(d-1), so that rel_error <= tol.  The ranks used
 * are written back (tt_rank[0] = tt_rank[d] = 1).
 */
int cm_ttsvd(const double *W, const cm_modes *md, int *tt_rank, double tol,
             cm_weights *out, cm_hsvd_report *rep, char *err, size_t errlen);

/*
 * Seeded synthetic reference matrices, deterministic on any thread count:
 *   "gaussian": i.i.d. standard normal entries (Box-Muller on cm_rand_*);
 *   "decay":    sum_{k=1..32} (1/k) g_k(i) h_k(j) + 1e-3 rms noise, with g_k, h_k
 *               seeded cosines of the row / column index.  A cosine of an index
 *               is rank 2 across any split of the index into digits, so every
 *               node matricization of every tensorization has a spectrum that
 *               falls like 1/k (power law) down to the noise floor.
 */
int cm_synth_matrix(const char *kind, uint64_t seed, int64_t rows, int64_t cols,
                    double *W, char *err, size_t errlen);

#endif
