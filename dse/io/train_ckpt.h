/*
 * train_ckpt.h - what `dse train --save DIR` keeps on disk: the checkpoint
 * written atomically after every epoch (so a killed run resumes with the
 * bits of an uninterrupted one), and the trained network at the end: each
 * factor as .npy, the same network in PyTorch's nn.LSTM layout, and a
 * manifest.json that says which file is what (docs/TRAIN.md).
 */
#ifndef TRAIN_CKPT_H
#define TRAIN_CKPT_H

#include "tr_model.h"

#include <stddef.h>
#include <stdint.h>

#define CKPT_FILE "checkpoint.bin"
#define CKPT_MAX_EPOCHS 100000

/* The state of a training run after `epochs` whole epochs. */
typedef struct {
    uint64_t ident;        /* hash of what fixes the run's bits (not the epoch count) */
    int epochs;            /* done */
    double seconds;        /* training time so far */
    double *train_loss, *train_acc, *val_acc; /* per epoch, epochs entries (owned) */
} ckpt_state;

/* Writes DIR/checkpoint.bin (via a temporary file, fsync, rename). */
int ckpt_write(const char *dir, const ckpt_state *s, tr_model *m, const tr_adam *a,
               char *err, size_t errlen);
/*
 * Reads DIR/checkpoint.bin into s, m and a: 1 read, 0 no checkpoint, -1 a
 * checkpoint of another run (ident differs) or a damaged file (err says
 * which).  s's arrays are allocated (ckpt_free).
 */
int ckpt_read(const char *dir, ckpt_state *s, tr_model *m, tr_adam *a, char *err,
              size_t errlen);
void ckpt_free(ckpt_state *s);
/* Appends one epoch's figures to s's history; -1 out of memory. */
int ckpt_push(ckpt_state *s, double loss, double acc, double val);

/* What the manifest records beside the tensors. */
typedef struct {
    const char *point, *net, *dataset, *data_hash;
    int n_in, hidden, classes, frames, n_pad, epochs, batch;
    const char *decomp;
    double lr, test_accuracy;
    uint64_t seed;
} ckpt_meta;

/* The trained network into dir: factors, PyTorch layout, manifest.json. */
int ckpt_export(const char *dir, tr_model *m, const ckpt_meta *meta, char *err, size_t errlen);

#endif
