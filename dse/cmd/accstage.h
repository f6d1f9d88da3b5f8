/*
 * accstage.h - the accuracy stage of the sweep driver (drive.h), run once
 * the hardware of every point is evaluated and stored: the distinct
 * networks of the valid points (cm_point_format_net) are trained on the
 * spec's data set (spec.h, accuracy section), by successive halving or all
 * at the final budget, and every (network, data set, budget, seed) result
 * is stored in table train (db.h), where every point of the network shows
 * it (results.accuracy).
 *
 * Networks that differ only in the rooting of their HT trees (one unrooted
 * tree, the same edge ranks: cm_netclass.h) are one class: the class's
 * representative is trained, its row copied to every other network of the
 * class (db_share_class), and below "network" means a class, its hardware
 * values the best over the points of all its networks.
 *
 * Halving: rung 0 trains every network at the smallest budget; at each
 * later rung the networks of the previous one are ordered by non-dominated
 * sorting over (the network's best value of each hardware objective over
 * its points, its accuracy at the previous rung), and whole fronts are kept
 * until at least ceil(n/eta) are (acc_keep): a network is never dropped
 * while one it dominates survives.  A survivor continues from its
 * checkpoint of the previous rung (same bits as training the larger budget
 * from scratch: train_run.h).
 *
 * Stored results are never trained again (a run killed at any moment and
 * started again redoes only the training in progress, from its last
 * epoch's checkpoint).  Shards: the (class, seed) trainings of a rung,
 * in representative-string order, are dealt round robin; a shard trains its
 * share up to its last rung and needs the other shards' results of the
 * earlier rungs (dse sweep runs the rungs one after the other).
 */
#ifndef ACCSTAGE_H
#define ACCSTAGE_H

#include "db.h"
#include "map_metric.h"
#include "map_search.h"
#include "spec.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct td_set;

typedef struct {
    const spec_acc *acc;
    int nobj;                           /* the hardware objectives */
    map_metric obj[MAP_MAX_OBJ];
    map_dir dir[MAP_MAX_OBJ];
    const char *spec_hash;              /* the runs whose points count */
    uint64_t shard_i, shard_n;          /* trainings dealt to this process */
    int last_rung;                      /* stop after this rung; -1: the last */
    const char *ckpt_root;              /* checkpoints (continuation); NULL: none */
    struct td_set *data;                /* borrowed, opened on the spec's dataset */
    volatile const sig_atomic_t *stop;  /* non-zero: stop before the next epoch */
    int progress;                       /* a bar on stderr */
} acc_opts;

typedef struct {
    size_t nets;                        /* classes of the valid points' networks
                                         * (cm_netclass.h), each trained once */
    size_t variants;                    /* distinct networks of the valid points */
    size_t points;                      /* valid points */
    int rungs;                          /* rungs complete (every result stored) */
    size_t alive[SPEC_ACC_MAX_RUNGS];   /* networks of each rung reached */
    uint64_t trained, found;            /* trainings done now; results found stored */
    uint64_t epochs;                    /* epochs trained now */
    double seconds;                     /* CPU seconds of the trainings now (with
                                         * their test evaluations) */
    size_t missing;                     /* results of other shards not stored yet */
    int stopped;                        /* by opts.stop */
} acc_stats;

typedef struct acc_stage acc_stage;

acc_stage *acc_new(const acc_opts *o, char *err, size_t errlen);
void acc_free(acc_stage *s);

/* A valid point with its nobj hardware values (those the driver visited
 * now); -1 out of memory. */
int acc_add(acc_stage *s, const char *point, const double *v);
/* Adds the valid points of the spec's runs in db, then groups every point
 * (each point string once) by network. */
int acc_load(acc_stage *s, db_conn *db, char *err, size_t errlen);
/* Runs the rungs (after acc_load).  0 done (or stopped, or waiting for
 * other shards: acc_get_stats says), -1 on a failure. */
int acc_run(acc_stage *s, db_conn *db, char *err, size_t errlen);
const acc_stats *acc_get_stats(const acc_stage *s);

/* The final budget's accuracy-aware front: the points of the networks that
 * reached the last rung, over the hardware objectives and accuracy (max).
 * Valid after a complete acc_run; members in point-string order. */
typedef struct {
    const char *point;
    const double *v;                    /* nobj hardware values, then the accuracy */
} acc_member;
int acc_front(acc_stage *s, char *err, size_t errlen);
size_t acc_front_size(const acc_stage *s);
const acc_member *acc_front_member(const acc_stage *s, size_t i);

/*
 * The halving rule on n rows of k values, all minimized (row-major v):
 * keep[i] = 1 for the rows of the first fronts of a non-dominated sorting,
 * whole fronts, until at least need rows are kept (all when need >= n).
 * Returns how many were kept, or -1 out of memory.
 */
long acc_keep(const double *v, size_t n, int k, size_t need, unsigned char *keep);

#endif
