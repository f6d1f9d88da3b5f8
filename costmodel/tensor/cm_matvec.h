/*
 * cm_matvec.h - functional y = W x for dense, TT and HT weights, following a
 * contraction order, in double precision and in b-bit fixed point.
 *
 * Factor data layouts are those of cm_net.h.  The fixed-point semantics
 * (the "fixed-point reference" that the cycle-level model must match bit for
 * bit):
 *   - a value v in format (bits b, frac f) is the integer q = sat_b(round(v 2^f)),
 *     round = half away from zero, sat_b clamps to [-2^(b-1), 2^(b-1)-1];
 *   - weights use frac_w fractional bits, activations (x, every intermediate,
 *     y) use frac_a;
 *   - one contraction step computes each output element as an exact integer
 *     sum of products in a 64-bit accumulator (2b + ceil(log2 K) bits are
 *     needed; b <= 16 and K < 2^31 keep it exact), then rescales once:
 *     out = sat_b(floor((acc + 2^(frac_w-1)) / 2^frac_w))  (round half up);
 *     with frac_w = 0 the sum is only saturated.
 * Because the sum is exact before the single rounding, the summation order
 * of an implementation cannot change the result.
 */
#ifndef CM_MATVEC_H
#define CM_MATVEC_H

#include "cm_net.h"

typedef struct {
    cm_net net;
    double *f[CM_NET_MAXF];   /* factor data, owned (cm_weights_free) */
} cm_weights;

typedef struct {
    int bits;     /* 2..16 */
    int frac_w;   /* 0..bits-1 */
    int frac_a;   /* 0..bits-1 */
} cm_fix;

typedef struct {
    cm_net net;
    cm_fix fix;
    int32_t *f[CM_NET_MAXF];
} cm_qweights;

/* Allocate zeroed factors for a format; -1 on a bad format or no memory. */
int cm_weights_alloc(const cm_format *fmt, cm_weights *w, char *err, size_t errlen);
void cm_weights_free(cm_weights *w);
/* Fill every factor with uniform values in [-scale, scale) from a seeded generator. */
void cm_weights_random(cm_weights *w, uint64_t seed, double scale);
/* Dense M x N matrix (row-major) that the weights represent. */
int cm_weights_to_dense(const cm_weights *w, double *W, char *err, size_t errlen);

/* Largest |T| along the order, in elements: size the work buffers with it. */
int64_t cm_matvec_work_size(const cm_net *net, const cm_order *o);

/* y = W x along order o; work holds 2 * cm_matvec_work_size doubles. */
void cm_matvec(const cm_weights *w, const cm_order *o, const double *x, double *y,
               double *work);

/* Fixed point. */
int cm_fix_check(const cm_fix *fx, char *err, size_t errlen);
int32_t cm_fix_quantize(double v, int bits, int frac);
double cm_fix_value(int32_t q, int frac);
int32_t cm_fix_saturate(int64_t v, int bits);
int32_t cm_fix_rescale(int64_t acc, int shift, int bits); /* round half up, saturate */
int cm_qweights_from(const cm_weights *w, const cm_fix *fx, cm_qweights *q,
                     char *err, size_t errlen);
void cm_qweights_free(cm_qweights *q);
/* y = W x in fixed point along o (x, y in frac_a); work: 2 * work_size int32. */
void cm_qmatvec(const cm_qweights *q, const cm_order *o, const int32_t *x, int32_t *y,
                int32_t *work);

/* Deterministic generator shared by tests and sweeps (splitmix64). */
uint64_t cm_rand_next(uint64_t *state);
double cm_rand_uniform(uint64_t *state); /* [0, 1) */

#endif
