/*
 * train_run.h - one `dse train` run: the network a point names, trained
 * from scratch in its factored form (tr_model.h), on the built-in
 * moving-fmnist clips or a directory of .npy clips (traindata.h); the test
 * accuracy reported, and with --save checkpointed every epoch and exported
 * (train_ckpt.h), with --db stored with its provenance (db.h).
 */
#ifndef TRAIN_RUN_H
#define TRAIN_RUN_H

#include "db.h"
#include "tr_model.h"

#include <signal.h>
#include <stdint.h>

/* train_fit's status when opts.stop ended it early (cmd_run's "interrupted"). */
#define TRAIN_STOPPED 130

typedef struct {
    const char *point, *data, *save, *db, *write_data;
    int epochs, batch, json, quiet, progress, bench, frames, iters, classes;
    double lr, clip;
    uint64_t seed;
    tr_contract contract;
    volatile const sig_atomic_t *stop; /* train_fit: non-zero stops it before the next
                                        * epoch (the checkpoint keeps those done) */
} train_opts;

/* Runs it; returns the exit status (cli.h). */
int train_main(const train_opts *o);

/* What train_fit measured. */
typedef struct {
    double test_accuracy, test_loss, train_accuracy, val_accuracy;
    double seconds;             /* training time of every epoch, resumed ones included */
    int64_t params, clips;      /* weight parameters; training clips per epoch */
    int epochs_run;             /* epochs trained by this call */
    int resumed_from;           /* epochs the checkpoint held (0: from scratch) */
} train_result;

struct td_set;
/*
 * The library form of a training (the accuracy stage, accstage.h): o->point
 * trained on data (opened by the caller, o->data unused) to o->epochs,
 * quietly, nothing exported or stored.  With o->save, checkpointed every
 * epoch and continued from the checkpoint there when it holds fewer epochs
 * of the same run: the bits of a training of o->epochs from scratch (the
 * run's identity excludes the epoch count, and no schedule depends on it).
 * A checkpoint of more epochs is left alone and the budget trained from
 * scratch unsaved.  Returns an exit status (cli.h; messages on stderr), or
 * TRAIN_STOPPED when o->stop was set before the last epoch (res unset).
 */
int train_fit(const train_opts *o, struct td_set *data, train_result *res);

/* The checkpoint directory under root of the training of net on data
 * data_hash with (batch, lr, seed): every budget of that training continues
 * there, whoever asks (the accuracy stage, dse reproduce --accuracy). */
void train_ckpt_dir(const char *root, const char *net, const char *data_hash, int batch,
                    double lr, uint64_t seed, char *buf, size_t len);

/* Fills the measured columns of a `train` row (clips, params, accuracies,
 * loss, seconds) from what train_fit measured; the key is the caller's. */
void train_result_to_row(const train_result *r, db_train_row *row);

#endif
