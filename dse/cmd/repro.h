/*
 * repro.h - the paper reproduction behind `dse reproduce` (issue 5): the
 * model-size table (dense / TT / TR / BT / FDHT LSTMs per dataset), the
 * hardware table (TIE and the mapper's best FDHT point per workload, the
 * FDHT/TIE ratios beside the published ones) and TIE's area beside the
 * published 1.74 mm^2.  docs/REPRODUCE.md explains every rule used here.
 *
 * Everything is computed, nothing is looked up: the published figures below
 * are only printed beside the modeled ones.  One calibration for all rows
 * (repro.c: the sweep specs and the selection rule); no per-row constant.
 * Results are deterministic: no time, thread count or run order enters any
 * number (timings go to repro.sweep[].seconds, which no table prints).
 */
#ifndef REPRO_H
#define REPRO_H

#include "cm_accel.h"

#include <signal.h>

#define REPRO_NDATASET 3     /* UCF11, YouTube Celebrities, Hollywood2 */
#define REPRO_NWORK 2        /* LSTM-UCF, LSTM-Youtube */
#define REPRO_NMETRIC 3      /* throughput, area efficiency, energy efficiency */
#define REPRO_MAX_SIZE_ROWS (REPRO_NDATASET * 5)
#define REPRO_MAX_CURVE 256
#define REPRO_MAX_XCHECK 32
#define REPRO_MISS 1.5       /* a row "misses" when off by more than this factor */

/* Published figures (the papers' tables), printed beside the modeled ones. */
#define REPRO_TIE_AREA_MM2 1.74
#define REPRO_FDHT_PARAMS_MIN 3132   /* FDHT-LSTM total sizes, CVPR 2021 */
#define REPRO_FDHT_PARAMS_MAX 8808

/* One row of the model-size table. */
typedef struct {
    const char *dataset;           /* "UCF11", "YouTube", "Hollywood2" */
    const char *model;             /* "dense LSTM", "TT-LSTM", "TR-LSTM", "BT-LSTM", "FDHT-LSTM" */
    int config_published;          /* 0: the row only says "not published" */
    char config[400];              /* modes, ranks, tree ("" when not published) */
    int64_t params_ih;             /* input-to-hidden (FDHT: the joint [W_x|W_h]); -1 unknown */
    int64_t params_hh;             /* hidden-to-hidden; -1 unknown or joint */
    int64_t params_total;          /* -1 unknown */
    double compression;            /* dense total / total; NaN unknown */
    double err_upper, err_lower;   /* error proxy of the decomposed matrix; NaN none */
    char note[200];
} repro_size_row;

/* One design of the hardware table. */
typedef struct {
    char point[CM_POINT_MAXLEN];   /* canonical string */
    cm_point pt;
    cm_result res;                 /* analytical model */
    int64_t params;
    double echip_pj;               /* per frame, without DRAM (see REPRODUCE.md) */
    double eeff_chip;              /* frames/J on chip */
    double score;                  /* the selection score (repro.c: score_of) */
} repro_design;

typedef struct {
    const char *workload;          /* "LSTM-UCF", "LSTM-Youtube" */
    repro_design tie, fdht;
    /* for explanation: TIE with the seed's transform-on-write map, FDHT with linear */
    repro_design tie_transform, fdht_linear;
    /* FDHT optimum of each metric alone (different designs; reference only) */
    repro_design fdht_best[REPRO_NMETRIC];
} repro_hw;

/* One row of the ratio table. */
typedef struct {
    const char *workload;
    const char *metric;            /* "throughput", "area_efficiency", "energy_efficiency" */
    const char *unit;              /* of tie / fdht */
    double published, modeled;     /* FDHT / TIE */
    double deviation;              /* modeled / published */
    int miss;                      /* off by more than REPRO_MISS either way */
    double tie, fdht;              /* the absolute figures */
    char why[400];                 /* for a miss: the measured cause */
} repro_ratio_row;

/* Rank vs error proxy (uniform ranks) of a structure. */
typedef struct {
    const char *dataset, *model;
    int rank;
    int64_t params;
    double err_lower, err_upper;
} repro_curve_pt;

/* Analytical vs functional model on a selected point under one map and dataflow. */
typedef struct {
    const char *workload, *design, *map, *dataflow;
    int64_t cycles_ana, cycles_fun, conflicts_ana, conflicts_fun;
    int y_exact;                   /* functional y == fixed-point reference */
} repro_xcheck;

/* One sweep (a spec run through the mapper, or reused from a database). */
typedef struct {
    char name[64];                 /* spec name */
    uint64_t space, evaluated, valid, in_window;
    int reused;                    /* 1: read back from the database */
    int front;                     /* Pareto-front points the selection saw */
    int stored;                    /* points stored in the database now */
    double seconds;                /* wall time (never printed in tables) */
} repro_sweep;

/* The accuracy section (repro_acc.c, docs/REPRODUCE.md "Accuracy"). */
#define REPRO_ACC_CANDS 3            /* FDHT networks trained for the selection */
#define REPRO_ACC_ROWS (REPRO_ACC_CANDS + 2) /* + TT-LSTM, dense LSTM */
/* The default budget: 8 frames of 160x120x3, 3,000 training clips, 4 epochs. */
#define REPRO_ACC_DATA "moving-fmnist:frames=8,train=3000,val=500,test=1000"
#define REPRO_ACC_EPOCHS 4
#define REPRO_ACC_BATCH 32
#define REPRO_ACC_LR 0.01
#define REPRO_ACC_SEED 1

typedef struct {
    const char *data;              /* dse train's --data (NULL: REPRO_ACC_DATA) */
    int epochs;                    /* 0: REPRO_ACC_EPOCHS */
    int dense;                     /* train the dense LSTM as well (slow) */
    volatile const sig_atomic_t *stop; /* non-zero: stop before the next epoch */
} repro_acc_opts;

/* One trained network of the accuracy table. */
typedef struct {
    const char *model;             /* "TT-LSTM (TIE)", "FDHT-LSTM", "dense LSTM" */
    char net[CM_POINT_MAXLEN];     /* the network (cm_point_format_net) */
    char point[CM_POINT_MAXLEN];   /* FDHT: the candidate's best-scoring design point */
    int fdht;                      /* 1: an FDHT candidate */
    int64_t params;                /* weight parameters */
    double score;                  /* FDHT: the hardware score of point; NaN otherwise */
    double test_acc, val_acc;      /* NaN: none */
    double seconds;                /* stored training time (CPU of the trainer) */
    int trained;                   /* 1: trained by this run, 0: found stored */
} repro_acc_row;

typedef struct {
    int measured;                  /* 0: --accuracy not given (the section says how) */
    char data[512], data_hash[17];
    int epochs, batch, frames;
    double lr;
    uint64_t seed;
    int64_t clips;                 /* training clips per epoch */
    int nrow;
    repro_acc_row row[REPRO_ACC_ROWS];
    int selected;                  /* index of the selected FDHT row */
    int trained, found;            /* trainings run now / read from the database */
    double cpu_s;                  /* CPU seconds of this run's trainings (stderr only) */
    volatile const sig_atomic_t *stop; /* the options' */
    int stopped;                   /* 1: stopped by it (repro_run failed, err says) */
} repro_acc;

typedef struct {
    const char *db_path;           /* NULL: no database */
    int functional;                /* run the functional cross-check (default 1) */
    int quiet;                     /* no progress lines on stderr */
    const repro_acc_opts *acc;     /* NULL: no accuracy (the hardware rule selects) */
} repro_opts;

typedef struct {
    int nsize;
    repro_size_row size[REPRO_MAX_SIZE_ROWS];
    repro_hw hw[REPRO_NWORK];
    repro_ratio_row ratio[REPRO_NWORK * REPRO_NMETRIC];
    double tie_area_mm2;           /* modeled (LSTM-UCF TIE point) */
    double tie_area_dev;           /* modeled / published */
    double area_scale;             /* the uniform factor 1.74 / modeled (not applied) */
    int ncurve;
    repro_curve_pt curve[REPRO_MAX_CURVE];
    int nxcheck;
    repro_xcheck xcheck[REPRO_MAX_XCHECK];
    int nsweep;
    repro_sweep sweep[8];
    char tech_name[32], tech_hash[17];
    char proxy_note[200];          /* how the error proxy reference was built */
    repro_acc acc;                 /* the accuracy section */
} repro;

/* Runs the whole reproduction.  0, or -1 with a message (err).  *bad_input
 * is set when the failure is the user's (unreadable database, bad table). */
int repro_run(const repro_opts *o, repro *r, int *bad_input, char *err, size_t errlen);

/* Published ratios (the FDHT paper): FDHT/TIE per workload and metric. */
double repro_published_ratio(int workload, int metric);
const char *repro_metric_name(int metric);
const char *repro_workload_name(int workload);

#endif
