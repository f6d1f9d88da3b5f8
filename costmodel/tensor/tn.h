/*
 * tn.h - a tensor network (cm_net.h) applied to a batch of rows, with
 * gradients: the contraction engine of the trainer.
 *
 * Forward: Y = X W^T for nb rows at once, where W is the matrix the factors
 * represent, by contracting each row's input with one factor at a time
 * along an order; every step is one GEMM over the whole batch (rows x
 * consumed x produced).  Backward: from dY, each step costs two GEMMs (the
 * factor's gradient and the input's), so a mini-batch never forms W.
 * Setting recon builds the network without its input (xmask 0): the
 * "forward" of one row is then W itself, M x N row-major, and the backward
 * of a dW gives the factors' gradients, so the same engine serves a dense
 * reconstruction once per mini-batch.
 *
 * Conventions: X is nb x N, row-major, each row in cm_net's input layout
 * (n_1..n_d, row-major); Y is nb x M (m_1..m_d).  Factors in cm_net's
 * layouts.  The batch index is the outermost of every intermediate; within
 * a step the kept indices keep their order, the consumed and produced ones
 * take the factor's order, so a step needs a permuted copy of its input
 * only when the consumed indices are not already its innermost ones in
 * that order (and of its factor only when neither (consumed, produced) nor
 * (produced, consumed) is the factor's own layout).
 *
 * tn_real is float (sgemm); a build with -DTN_DOUBLE makes it double
 * (dgemm): the gradient tests check the very same code in double precision.
 */
#ifndef TN_H
#define TN_H

#include "cm_net.h"

#include <stddef.h>
#include <stdint.h>

#ifdef TN_DOUBLE
typedef double tn_real;
#else
typedef float tn_real;
#endif

typedef struct tn_plan tn_plan;

/* A plan for order o of net (complete and valid) on batches of at most
 * maxrows rows; recon: contract the factors alone (rows = 1, output W). */
int tn_plan_new(const cm_net *net, const cm_order *o, int recon, int maxrows, tn_plan **out,
                char *err, size_t errlen);
void tn_plan_free(tn_plan *p);

int64_t tn_in_size(const tn_plan *p);   /* per row: N (1 for recon) */
int64_t tn_out_size(const tn_plan *p);  /* per row: M (M N for recon) */
/* Elements of tape one row of one application keeps for the backward. */
int64_t tn_tape_size(const tn_plan *p);
/* MACs per row of the forward (the order's cost). */
int64_t tn_macs(const tn_plan *p);

/* Readies the factors for a mini-batch (the permuted copies some steps use)
 * and zeroes the plan's gradient accumulators. */
void tn_prepare(tn_plan *p, tn_real *const *factors);
/* y = the rows of x through the network; tape (nb * tn_tape_size) keeps what
 * the backward needs.  x may be NULL for recon. */
void tn_forward(tn_plan *p, int nb, const tn_real *x, tn_real *y, tn_real *tape);
/* Accumulates the factors' gradients of dy for this application; dx (may be
 * NULL) receives the input's gradient (overwritten).  dy is not changed. */
void tn_backward(tn_plan *p, int nb, const tn_real *tape, const tn_real *dy, tn_real *dx);
/* Adds the accumulated gradients into grads[f] (factor layouts). */
void tn_finish(tn_plan *p, tn_real *const *grads);

/*
 * The dense W (M x N, row-major) of a network's factors and the way back
 * from dW to the factors' gradients.  An HT network is reconstructed up its
 * tree: each internal node's frame U_t (its modes' m and n, then r_t) from
 * its children's by a three-factor recon plan, so no intermediate is larger
 * than a frame times a rank; other formats use one chain recon plan.
 */
typedef struct tn_recon tn_recon;

/* tree: the HT tree of net (NULL for TT and dense). */
int tn_recon_new(const cm_net *net, const ht_tree *tree, tn_recon **out, char *err,
                 size_t errlen);
void tn_recon_free(tn_recon *r);
int64_t tn_recon_macs(const tn_recon *r);
void tn_recon_forward(tn_recon *r, tn_real *const *factors, tn_real *W);
/* Adds the factors' gradients of dW into grads[f]. */
void tn_recon_backward(tn_recon *r, const tn_real *dW, tn_real *const *grads);

/*
 * A network applied to a batch with groups of factors merged ahead of time
 * (tn_group.c says how the groups are chosen): the same contract as a plan,
 * with tn_gplan_prepare merging the groups once per mini-batch and
 * tn_gplan_finish taking the merged gradients back to the factors.
 * batch_rows: rows of one mini-batch over all its applications (the weight
 * of the per-row cost against the merging); merge = 0 keeps every factor
 * on its own.
 */
typedef struct tn_gplan tn_gplan;

int tn_gplan_new(const cm_net *net, int maxrows, int64_t batch_rows, int merge,
                 tn_gplan **out, char *err, size_t errlen);
void tn_gplan_free(tn_gplan *p);
int64_t tn_gplan_tape_size(const tn_gplan *p);
int64_t tn_gplan_macs(const tn_gplan *p);         /* per row */
int64_t tn_gplan_merge_macs(const tn_gplan *p);   /* per mini-batch */
const char *tn_gplan_describe(const tn_gplan *p); /* the groups, e.g. "3+4+34 1 2 12 1234" */
/* The cost model's figure for the plan's mini-batch, and for a dense W
 * (rows x cols, reconstructed with recon_macs) over the same batch rows. */
double tn_gplan_cost(const tn_gplan *p);
double tn_dense_cost(int64_t rows, int64_t cols, int64_t batch_rows, int64_t recon_macs);
void tn_gplan_prepare(tn_gplan *p, tn_real *const *factors);
void tn_gplan_forward(tn_gplan *p, int nb, const tn_real *x, tn_real *y, tn_real *tape);
void tn_gplan_backward(tn_gplan *p, int nb, const tn_real *tape, const tn_real *dy, tn_real *dx);
void tn_gplan_finish(tn_gplan *p, tn_real *const *grads);

#endif
