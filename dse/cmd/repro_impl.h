/*
 * repro_impl.h - what the two halves of `dse reproduce` share (internal to
 * repro.c and repro_size.c): the datasets, the error proxy's constants and
 * the model-size rows.
 */
#ifndef REPRO_IMPL_H
#define REPRO_IMPL_H

#include "repro.h"

#define REPRO_HIDDEN 256
#define REPRO_PROXY_DIV 3     /* error proxy: input modes scaled by 1/3 */
#define REPRO_PROXY_SEED 1

typedef struct {
    const char *name;         /* table label */
    int n_in;
    const char *tt_in;        /* TT-LSTM input modes (published; the TIE
                                 sweeps of schemas/reproduce/ use the same) */
    int work;                 /* hardware workload, -1: none published */
} repro_dataset;

extern const repro_dataset repro_datasets[REPRO_NDATASET];

/* The rows of dataset di (dense, TT, TR, BT, FDHT = the selected design)
 * and their rank curves, appended to R. */
int repro_size_rows(repro *R, int di, const repro_design *fdht, char *err, size_t errlen);

#endif
