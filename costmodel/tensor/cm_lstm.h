/*
 * cm_lstm.h - one LSTM cell step with decomposed weights (docs/TRAIN.md, "LSTM layer").
 *
 *   z_t = W_x x_t + W_h h_{t-1} + b,   z = [i; f; g; o], each H rows
 *   c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
 *   h_t = sigmoid(o) * tanh(c_t)
 *
 * Decompositions:
 *   partial   - wx is 4H x N_in (any format), wh is dense 4H x H;
 *   separate  - wx 4H x N_in and wh 4H x H, each in its own format;
 *   concat    - wx is one 4H x n_pad matrix applied to [x; h; 0...0]
 *               (n_pad >= N_in + H, zero padding at the end); wh unused.
 */
#ifndef CM_LSTM_H
#define CM_LSTM_H

#include "cm_matvec.h"

typedef enum { CM_DECOMP_PARTIAL = 0, CM_DECOMP_SEPARATE = 1, CM_DECOMP_CONCAT = 2 } cm_decomp;

const char *cm_decomp_name(cm_decomp d);
int cm_decomp_parse(const char *s, cm_decomp *d);

typedef struct {
    int n_in, hidden, n_pad;   /* n_pad: concat only */
    cm_decomp decomp;
    const cm_weights *wx, *wh; /* borrowed */
    cm_order ox, oh;           /* n == 0: use cm_order_default */
    const double *bias;        /* 4H, or NULL for zero */
} cm_lstm;

/* Checks the shapes of wx / wh against n_in, hidden, n_pad and decomp. */
int cm_lstm_check(const cm_lstm *L, char *err, size_t errlen);
/* Doubles of scratch that cm_lstm_step needs. */
size_t cm_lstm_work_size(const cm_lstm *L);
/* One time step: h and c (H each) are updated in place. */
void cm_lstm_step(const cm_lstm *L, const double *x, double *h, double *c, double *work);

#endif
