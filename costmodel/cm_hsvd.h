/*
 * cm_hsvd.h - truncation of a dense matrix to HT (root-to-leaves HSVD,
 * Grasedyck 2010) and to TT (TT-SVD), per-node spectra and error bounds.
 *
 * The dense M x N matrix W is tensorized as in cm_common.h; the node t of a
 * tree with mode set S_t has the matricization whose rows are the indices
 * (i_k, j_k) for k in S_t (in increasing k, i_k before j_k) and whose
 * columns are the rest.  Singular vectors come from QR then the SVD of R
 * (LAPACK), never from a Gram matrix.
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
} cm_spectrum;

typedef struct {
    double norm;         /* ||W||_F */
    double rel_error;    /* ||W - W_approx||_F / ||W||_F, exact */
    double bound_lower, bound_upper;
    double tail[CM_MAX_NODES]; /* absolute discarded tail per node (0 at the root) */
} cm_hsvd_report;

/* Singular values of the matricization of W by mode set mask. */
int cm_spectrum_compute(const double *W, const cm_modes *md, unsigned mask,
                        cm_spectrum *out, char *err, size_t errlen);
void cm_spectrum_free(cm_spectrum *s);
/* tail(r) from a spectrum. */
double cm_spectrum_tail(const cm_spectrum *s, int r);

/* Bounds of a tree with ranks from per-node spectra (spec[t] for node t), O(d). */
void cm_ht_bounds(const ht_tree *t, const cm_spectrum *spec, double norm,
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

/* TT-SVD, left to right; tt_rank[1..d-1] given (non-zero) or chosen by tol. */
int cm_ttsvd(const double *W, const cm_modes *md, int *tt_rank, double tol,
             cm_weights *out, cm_hsvd_report *rep, char *err, size_t errlen);

/* Seeded synthetic reference matrices: "gaussian", "decay" (power-law spectrum). */
int cm_synth_matrix(const char *kind, uint64_t seed, int64_t rows, int64_t cols,
                    double *W, char *err, size_t errlen);

#endif
