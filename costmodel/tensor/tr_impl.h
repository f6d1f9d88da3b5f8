/*
 * tr_impl.h - the insides of tr_model, shared by its files only (tr_model.c:
 * set-up and initialization; tr_pass.c: forward and backward; tr_save.c:
 * the pieces of the parameter vector and the dense export).  Nothing
 * outside the trainer includes this.
 */
#ifndef TR_IMPL_H
#define TR_IMPL_H

#include "tr_model.h"

#include <cblas.h>

#ifdef TN_DOUBLE
#define tr_gemm cblas_dgemm
#else
#define tr_gemm cblas_sgemm
#endif

typedef struct {
    int present;
    cm_format fmt;
    cm_net net;
    cm_order order;
    int64_t rows, cols;       /* 4H x N (n_pad for concat) */
    int dense;                /* contracted through W */
    int64_t foff[CM_NET_MAXF];
    tn_gplan *plan;           /* factored application (groups merged ahead) */
    tn_recon *recon;          /* decomposed formats: W from the factors */
    tn_real *W, *dW;          /* dense mode: W and its gradient (rows x cols) */
    int64_t fan_in;
    int64_t nelem;            /* elements of all its factors */
} tr_mat;

struct tr_model {
    int n_in, H, classes, T, maxbatch;
    cm_decomp decomp;
    tr_mat mat[2];
    int joint;                /* concat, factored: [x; h; 0] per frame */
    int64_t nparams, nweights, off_bias, off_fcw, off_fcb;
    tn_real *theta, *grad;
    /* per mini-batch state, (clip, frame) rows */
    tn_real *zx, *gate, *cell, *hid, *dz, *hprev;   /* nb T rows */
    tn_real *zt, *zo, *hin, *dh, *dc, *u, *du;       /* nb rows */
    tn_real *xtape;           /* input-side factored tape (nb T rows) */
    tn_real **rtapes;         /* per frame: recurrent / joint tape (nb rows) */
    tn_real *logits;
};

#endif
