/*
 * drive.h - the one sweep driver behind `dse run` and `dse reproduce`: a
 * spec's space goes through four stages,
 *
 *   search -> evaluate -> store -> front
 *
 * search: the spec's strategy (map_search_run) orders the indices, and two
 * filters may drop a point before it is evaluated: the caller's (dse
 * reproduce's parameter window) and the resume set (points this run
 * already stored, dse run);
 * evaluate: the mapper's evaluator (map_eval: caches, cheap rejections,
 * the analytical model);
 * store: each visited point as a row through a db_writer as it comes
 * (DRIVE_STORE_ALL), or only the final front's members, in index order,
 * once the search is over (DRIVE_STORE_FRONT);
 * front: a running Pareto front over the caller's objectives that keeps
 * the result of each of its members, so that nothing is re-evaluated after
 * the search (printing, selecting and storing the front read those).
 *
 * A fifth stage, accuracy (accstage.h), runs when the spec has an accuracy
 * section, once every point is stored (the writer flushed): the distinct
 * networks of the stored valid points are trained by successive halving
 * (or all at the final budget) into table train (drive_accuracy).
 *
 * The caller owns the spec, the database, its run row and the writer; the
 * driver owns the evaluator, the front, the resume set and the accuracy
 * stage.
 */
#ifndef DRIVE_H
#define DRIVE_H

#include "accstage.h"
#include "db.h"
#include "map_search.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef struct drive drive;

typedef enum { DRIVE_STORE_NONE, DRIVE_STORE_ALL, DRIVE_STORE_FRONT } drive_store;

/* The objective vector of an evaluated point (nobj values): 0 it is offered
 * to the front, -1 it is not. */
typedef int (*drive_vec_fn)(const map_result *r, double *v, void *ud);
/* Called every 1024 visited (or resume-skipped) points. */
typedef void (*drive_tick_fn)(const drive *d, void *ud);

typedef struct {
    map_search_opts search;     /* strategy, seed, budget, shard */
    /* front: nobj objectives with directions; vec NULL: the metrics
     * search.obj of every point the model accepted */
    int nobj;
    map_dir dir[MAP_MAX_OBJ];
    drive_vec_fn vec;
    /* evaluate: filter(r, pos, ud) = 1 drops a decoded point unevaluated */
    map_skip_fn filter;
    /* store */
    drive_store store;
    db_writer *w;               /* borrowed (or drive_set_writer); needed unless NONE */
    int breakdowns;             /* rows carry the per-component breakdown */
    int collect;                /* keep each visited valid point's string and the metrics
                                 * search.obj for the accuracy stage (drive_accuracy) */
    /* control */
    volatile const sig_atomic_t *stop; /* non-zero: stop after the current point */
    double time_limit;          /* seconds from drive_run's start, 0 = none */
    drive_tick_fn tick;
    void *ud;                   /* for vec, filter and tick */
} drive_opts;

typedef struct {
    uint64_t total;             /* points this shard of the strategy visits */
    uint64_t visited;           /* evaluated and passed to the stages */
    uint64_t skipped;           /* already stored (resume) */
    uint64_t valid;             /* visited and accepted by the model and budgets */
    uint64_t offered;           /* with an objective vector (offered to the front) */
    uint64_t rows;              /* rows handed to the writer */
    int time_up;                /* stopped by time_limit */
    double t0;                  /* drive_run's start (CLOCK_MONOTONIC seconds) */
} drive_stats;

/* A member of the final front: its index, objective values, result and
 * canonical point string. */
typedef struct {
    uint64_t index;
    const double *v;            /* nobj values */
    const map_result *r;        /* as evaluated during the search */
    const char *point;          /* cm_point_format of r->pt; NULL if it would not fit */
} drive_member;

/* An evaluator and an empty front over sp (borrowed, as tech, lim, ref and
 * o's writer).  NULL with a message. */
drive *drive_new(const map_space *sp, const cm_tech *tech, const map_limits *lim,
                 const map_ref *ref, const drive_opts *o, char *err, size_t errlen);
void drive_free(drive *d);

/* The writer of the store stage, when it can only be opened after the
 * resume set was read (the writer owns the connection from then on). */
void drive_set_writer(drive *d, db_writer *w);

/* Resume: the points already stored in run_id of db are skipped (each hash
 * hit is confirmed through a read connection to path, opened here when
 * there are any).  Returns how many were loaded, or -1 with a message. */
long drive_resume(drive *d, db_conn *db, int64_t run_id, const char *path, char *err,
                  size_t errlen);

/* Runs the stages.  0 when the search ended (done, stopped or time up),
 * -1 on a failure (drive_error says which). */
int drive_run(drive *d);
const char *drive_error(const drive *d);

const drive_stats *drive_get_stats(const drive *d);
/* Per-reason counters of the evaluator (map_eval_counts). */
const uint64_t *drive_counts(const drive *d);

/*
 * The smallest value a budgeted quantity reached over the visited points,
 * whatever rejected them, and the first point that reached it: for a
 * budget nothing meets, how close the space came.  rej is MAP_REJ_PARAMS
 * (params), MAP_REJ_ERROR (err_upper) or MAP_REJ_AREA (the modeled area of
 * the points the model accepted); v is INFINITY when no point had a value.
 */
typedef struct {
    double v;
    uint64_t index;
    cm_point pt;
} drive_least;
const drive_least *drive_least_of(const drive *d, int rej);

/* The front after drive_run, in increasing index order. */
size_t drive_front_size(const drive *d);
const drive_member *drive_front_member(const drive *d, size_t i);

/* The accuracy stage over the valid points this run visited (collect) and
 * those stored by the runs of o->spec_hash in db (after drive_run and the
 * writer's flush, or alone for one rung of a sweep): 0 done, stopped or waiting for other shards
 * (drive_acc's stats say), -1 on a failure (drive_error). */
int drive_accuracy(drive *d, db_conn *db, const acc_opts *o);
/* The stage after drive_accuracy (NULL before). */
acc_stage *drive_acc(const drive *d);

/* Seconds on CLOCK_MONOTONIC (progress and time limits). */
double drive_now(void);
/* CPU seconds of the process (CLOCK_PROCESS_CPUTIME_ID): rates that the
 * other jobs of a shared machine do not skew. */
double drive_cpu_now(void);

#endif
