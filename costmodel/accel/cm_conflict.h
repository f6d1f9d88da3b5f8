/*
 * cm_conflict.h - bank-conflict counting of the analytical model (internal
 * to costmodel/accel; cm_analytic.c is its only caller): the counting
 * context of one (bank map, B, budget) and the three access patterns a
 * step produces (row groups, block groups, consecutive chunks), each
 * counted exactly over one period of its residues or, over budget, bounded
 * below and marked inexact.  Implemented in cm_conflict.c.
 */
#ifndef CM_CONFLICT_H
#define CM_CONFLICT_H

#include "cm_stage.h"

/* Stall cycles and conflicts of some groups; exact = 0 once a bound stood in. */
typedef struct {
    int64_t stall, conf;
    int exact;
} cm_tally;

/* Bank tables cover residues up to this modulus (B <= 64 for skew/xor). */
#define CM_BTAB_MAXQ 4096

/*
 * The counting context of one (map, B, budget): per-bank counters of the
 * open group, and two tables built on the first count that needs them.
 * A sweep keeps one in its cache (cm_acache_scratch) and re-arms it only
 * when the map, B or budget change, so that evaluations whose counts all
 * come from the memo pay nothing for it.
 */
typedef struct {
    cm_bankmap map;
    int B;
    int64_t budget; /* bank evaluations allowed per counting call */
    int64_t qrot, qres;
    int cnt[4096];
    int touched[4096];
    int nt, maxk;
    int tables;               /* btab / qcnt built for this (map, B) */
    int16_t btab[2 * CM_BTAB_MAXQ]; /* bank of a, 0 <= a < 2 qres (qres <= CM_BTAB_MAXQ) */
    int64_t qcnt[CM_BTAB_MAXQ];  /* counters of base residues (qrot <= CM_BTAB_MAXQ) */
} cm_cctx;

/* Sets x up for (map, B, budget); a no-op when it is set up for them already. */
void cm_conflict_arm(cm_cctx *x, cm_bankmap map, int B, int64_t budget);

/* The digits of kd from the first one whose stride is not a multiple of q,
 * strides reduced mod q, into *sub; returns their count W, the period of
 * the base residues mod q in the linear index. */
int64_t cm_conflict_period(const cm_dims *kd, int64_t q, cm_dims *sub);

/* Row groups: for every k of kd and every chunk of g of off[0..N), the
 * group {base(k) + off[t] : t in the chunk}; off[] holds residues mod qres
 * (NULL for the transform map, which needs none).  Adds to *t. */
void cm_conflict_rows(cm_cctx *x, const cm_dims *kd, const int64_t *off, int64_t N, int64_t g,
                      cm_tally *t);
/* Block groups: every P consecutive k (the last block may be partial) with
 * every chunk of g of off[0..N).  Adds to *t. */
void cm_conflict_blocks(cm_cctx *x, const cm_dims *kd, int64_t P, const int64_t *off, int64_t N,
                        int64_t g, cm_tally *t);
/* Consecutive addresses [start, start + len) written in chunks of w.  Adds to *t. */
void cm_conflict_chunks(cm_cctx *x, int64_t start, int64_t len, int64_t w, cm_tally *t);

#endif
