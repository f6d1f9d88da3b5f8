/*
 * repro_impl.h - what the two halves of `dse reproduce` share (internal to
 * repro.c and repro_size.c): the datasets, the error proxy's constants and
 * the model-size rows.
 */
#ifndef REPRO_IMPL_H
#define REPRO_IMPL_H

#include "repro.h"
#include "db.h"

#include <stdio.h>

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

/* ---- the accuracy section (repro_acc.c) ---- */

#define REPRO_ACC_NIN 57600   /* the paper's frame, 160x120x3 (UCF11, YouTube) */
#define REPRO_TOP 64          /* front points kept, best hardware score first */

/* The best points of the FDHT front by the hardware score (repro.c
 * score_of), best first; equal scores in point-string order. */
typedef struct {
    int n;
    struct {
        double score;
        char point[CM_POINT_MAXLEN];
    } c[REPRO_TOP];
} repro_top;

void repro_top_offer(repro_top *t, double score, const char *point);

struct td_set;
/* Opens the data set of the accuracy section (-1 with err: bad input). */
int repro_acc_open(const repro_acc_opts *o, struct td_set **data, char *err, size_t errlen);
/*
 * The accuracy section into A: TIE's TT-LSTM network (tie_point), the first
 * REPRO_ACC_CANDS distinct networks of top, the dense LSTM when o->dense;
 * each found in db's train table or trained and stored there; A->selected
 * by repro_acc_pick.  0, or -1 with err.
 */
int repro_acc_run(const repro_acc_opts *o, db_conn *db, struct td_set *data,
                  const char *tie_point, const repro_top *top, int quiet, repro_acc *A,
                  char *err, size_t errlen);
/* row's stored accuracies under A's data and budget: 1 found, 0 not, -1 error. */
int repro_acc_lookup(db_conn *db, const repro_acc *A, repro_acc_row *row, char *err,
                     size_t errlen);
/*
 * The accuracy rule: among the FDHT rows with an accuracy, the largest
 * validation accuracy (test accuracy where there is no validation split);
 * equal accuracies go to the larger hardware score, then to the smaller
 * point string.  The index, or -1 when no FDHT row has an accuracy.
 */
int repro_acc_pick(const repro_acc_row *rows, int n);

/* The Markdown section, and the JSON member (",\"accuracy\":{...}", only
 * when measured) of the report (repro_acc_out.c). */
void repro_acc_md(FILE *f, const repro *R);
void repro_acc_json(FILE *f, const repro *R);
void repro_acc_csv(FILE *f, const repro *R);

#endif
