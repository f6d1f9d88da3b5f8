/*
 * funcdata.h - one run of the functional model (cm_func_eval) on seeded
 * random b-bit data, with its output checked against the fixed-point
 * reference cm_qmatvec.  `dse eval --model functional|both` and the
 * cross-check of `dse reproduce` both run it, so that the two set up the
 * same data: the same seed gives the same weights, x, h and counts.
 *
 * The data: matrix i gets random weights in [-1, 1) from seed + i,
 * quantized with b-2 fractional bits; x (and h) are uniform in [-1, 1)
 * with b-4 fractional bits, from a generator seeded by seed.  For concat,
 * x = [x; h; 0]: the padding stays zero.
 */
#ifndef FUNCDATA_H
#define FUNCDATA_H

#include "cm_accel.h"

/* What funcdata_run returns. */
#define FUNCDATA_OK 0      /* r filled in; *differs set */
#define FUNCDATA_FAIL 1    /* cm_func_eval failed: r->reject and r->why say why
                            * (r->reject == CM_OK: it ran out of memory) */
#define FUNCDATA_NOMEM -1  /* the data could not be set up; err says why */

/*
 * Runs the functional model of pt on the data of seed into r.  *differs is
 * -1 when every y equals the fixed-point reference, else the first matrix
 * (0: W_x, 1: W_h) whose y does not: a model bug.
 */
int funcdata_run(const cm_point *pt, const cm_tech *tech, uint64_t seed, cm_result *r,
                 int *differs, char *err, size_t errlen);

#endif
