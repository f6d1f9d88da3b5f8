/*
 * train_run.h - one `dse train` run: the network a point names, trained
 * from scratch in its factored form (tr_model.h), on the built-in
 * moving-fmnist clips or a directory of .npy clips (traindata.h); the test
 * accuracy reported, and with --save checkpointed every epoch and exported
 * (train_ckpt.h), with --db stored with its provenance (db.h).
 */
#ifndef TRAIN_RUN_H
#define TRAIN_RUN_H

#include "tr_model.h"

#include <stdint.h>

typedef struct {
    const char *point, *data, *save, *db, *write_data;
    int epochs, batch, json, quiet, progress, bench, frames, iters, classes;
    double lr, clip;
    uint64_t seed;
    tr_contract contract;
} train_opts;

/* Runs it; returns the exit status (cli.h). */
int train_main(const train_opts *o);

#endif
