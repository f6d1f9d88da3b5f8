/*
 * tr_model.h - the network `dse train` learns: one LSTM layer whose weights
 * are the factors of its decomposed matrices (cm_lstm.h: gates i, f,
 * g, o; zero initial state) and a linear classifier on the last hidden
 * state, with softmax cross-entropy; forward and backpropagation through
 * time over a mini-batch of clips, and Adam with gradient-norm clipping.
 *
 * Every parameter lives in one flat vector (tr_params): the factors of wx,
 * then of wh (partial, separate), the gate bias (4H), the classifier
 * weight (classes x H) and bias (classes); tr_tensor describes each piece.
 * Computation is tn_real (float; double in the gradient-check build) through
 * BLAS, one thread, in a fixed order: the same inputs give the same bits.
 *
 * Each matrix is contracted either factored (tn.h: per row, one GEMM a
 * step) or through its dense reconstruction, made once per mini-batch
 * (then the input-side product of all frames is one large GEMM); TR_AUTO
 * picks per matrix by MACs (tr_model_new's comment says how).
 */
#ifndef TR_MODEL_H
#define TR_MODEL_H

#include "cm_lstm.h"
#include "tn.h"

/* The training recipe's defaults (`dse train`'s flags, a spec's accuracy
 * section).  dse keys a stored training by network, data, epochs, batch, lr
 * and seed, not by the clip: every stored training uses TR_DEFAULT_CLIP. */
#define TR_DEFAULT_EPOCHS 10
#define TR_DEFAULT_BATCH 32
#define TR_DEFAULT_LR 0.01
#define TR_DEFAULT_CLIP 1.0

/* auto: the cheaper of dense and grouped by the cost model (tn_group.c);
 * factored: one factor a step; dense: W once per mini-batch; grouped: the
 * cheapest merging of factors, never dense. */
typedef enum { TR_AUTO = 0, TR_FACTORED = 1, TR_DENSE = 2, TR_GROUPED = 3 } tr_contract;

typedef struct {
    int classes;       /* >= 2 */
    int frames;        /* T, >= 1 */
    int maxbatch;      /* clips per mini-batch at most */
    tr_contract contract;
} tr_opts;

/* The LSTM layer to learn, in the algebra's terms (cm_lstm.h): its shapes,
 * decomposition and the formats of its matrices (read by tr_model_new
 * only, which copies them; wh is not read for concat).  A caller holding a
 * design point passes its workload part. */
typedef struct {
    int n_in, hidden, n_pad;   /* n_pad: concat only */
    cm_decomp decomp;
    const cm_format *wx, *wh;
} tr_layer;

typedef struct tr_model tr_model;

/* The model of an LSTM layer; -1 with a reason when the options are out of
 * range or memory runs out. */
int tr_model_new(const tr_layer *l, const tr_opts *o, tr_model **out, char *err, size_t errlen);
void tr_model_free(tr_model *m);

int64_t tr_nparams(const tr_model *m);      /* the whole flat vector */
int64_t tr_weight_params(const tr_model *m); /* the LSTM weights' factors only */
tn_real *tr_params(tr_model *m);
tn_real *tr_grads(tr_model *m);
/* "factored" or "dense" for matrix 0 (wx) / 1 (wh); NULL when absent. */
const char *tr_contract_name(const tr_model *m, int mat);
/* The factored plan's groups ("4 3+34 ..."), "" when dense or absent. */
const char *tr_groups(const tr_model *m, int mat);
/* MACs per clip of one training step (forward and backward, every matrix,
 * reconstructions shared over the batch of nb clips). */
double tr_macs_per_clip(const tr_model *m, int nb);

/* Variance-preserving initialization (tr_model.c says which), from seed. */
void tr_init(tr_model *m, uint64_t seed);

/*
 * One mini-batch: x is nb clips x T frames x n_in (C order), y their labels.
 * Returns the mean cross-entropy; *correct counts the right argmax.  With
 * train, tr_grads receives the gradient of that mean (overwritten).
 */
double tr_batch(tr_model *m, int nb, const tn_real *x, const int32_t *y, int train,
                int *correct);

/* ---- the pieces of the parameter vector (for saving) ---- */

typedef struct {
    char name[32];       /* file stem: "wx_12", "wh_W", "bias", "fc_weight", "fc_bias" */
    char role[48];       /* "ht leaf", "ht transfer", "ht root transfer", "tt core", ... */
    char indices[96];    /* "m1,n1,r1" ... */
    int ndim;
    int64_t shape[2 * CM_MAX_D];
    int64_t off, size;   /* in the flat vector */
} tr_tensor;

int tr_ntensors(const tr_model *m);
void tr_tensor_info(const tr_model *m, int i, tr_tensor *t);

/* The dense matrices of the trained network in PyTorch's layout: wih
 * (4H x n_in) and whh (4H x H); for concat the x and h columns of the one
 * matrix (the padding columns dropped). */
int tr_dense(tr_model *m, tn_real *wih, tn_real *whh, char *err, size_t errlen);

/* ---- Adam with global gradient-norm clipping ---- */

typedef struct {
    double lr, beta1, beta2, eps, clip;
    int64_t step;
    tn_real *mom, *vel;  /* tr_nparams each, owned */
} tr_adam;

int tr_adam_init(tr_adam *a, const tr_model *m, double lr, double clip);
void tr_adam_free(tr_adam *a);
/* Clips the gradient to norm clip (when above), takes one Adam step;
 * returns the norm before clipping. */
double tr_adam_step(tr_adam *a, tr_model *m);

#endif
