/*
 * map_search.h - evaluating the points of a space (with caches and cheap
 * rejections) and searching it: exhaustive, random without replacement,
 * and a guided Pareto local search.
 *
 * Determinism: every strategy visits a sequence of indices that depends
 * only on the space, the seed and the budget.  Sharding splits that
 * sequence into N fixed, disjoint parts (random: position mod N; exhaustive:
 * by the hardware units that key the model's memo, map_search.c), so the
 * union of the N shards is the unsharded sequence whatever N is.  The guided search is
 * sequential (each step depends on all results before it) and runs as one
 * shard only.
 *
 * Evaluation order per point (cheapest first, Timeloop style): parameter
 * budget and error budget (per algorithm, cached), a lower bound of the
 * area from the hardware alone, then the analytical model, then the
 * area budget on the modeled area.  Each rejection is counted by reason.
 *
 * Pure computation (costmodel only): no I/O.  Callers receive every point
 * through a callback, which stores, prints or counts it.
 */
#ifndef MAP_SEARCH_H
#define MAP_SEARCH_H

#include "cm_accel.h"
#include "cm_hsvd.h"
#include "map_pareto.h"
#include "map_metric.h"
#include "map_space.h"

#include <signal.h>

/* ---- objectives / metrics: map_metric.h ---- */

#define MAP_MAX_OBJ 8

/* ---- rejection reasons: the model's (cm_reject) and the mapper's ---- */

enum {
    MAP_REJ_PARAMS = CM_REJ_COUNT, /* over the parameter budget */
    MAP_REJ_ERROR,                 /* error proxy over its budget */
    MAP_REJ_AREA,                  /* over the area budget */
    MAP_REJ_COUNT
};
const char *map_reject_name(int r);

typedef struct {
    int64_t max_params;   /* <= 0: none */
    double max_area_mm2;  /* < 0: none */
    double max_error;     /* < 0: none */
} map_limits;

/* The reference matrices a spectrum is taken of: W_x, the padded
 * [W_x | W_h | 0] of concat (its width is the factorization's), W_h. */
enum { MAP_REF_WX = 0, MAP_REF_CONCAT = 1, MAP_REF_WH = 2 };

/* A source of spectra in place of the matrices (a cache, dse/cmd/run_ref.c):
 * spectrum fills out (owned by the caller) with the spectrum of the
 * matricization by canonical mode set mask of reference matrix which under
 * factorization md; norms gives ||W_x||_F^2 and ||W_h||_F^2.  0 or -1 with a
 * message. */
typedef struct {
    int (*spectrum)(void *ud, int which, const cm_modes *md, unsigned mask, cm_spectrum *out,
                    char *err, size_t errlen);
    int (*norms)(void *ud, double *norm2_x, double *norm2_h, char *err, size_t errlen);
    void *ud;
} map_spectra_src;

/* Reference weights of the error proxy: W_x (4H x N_in) and W_h (4H x H),
 * row-major, borrowed.  wx NULL and no src: no error proxy.  src (borrowed,
 * may be NULL): spectra and norms come from it, never from wx and wh. */
typedef struct {
    const double *wx, *wh;
    const map_spectra_src *src;
} map_ref;

/* Every spectrum the error proxy of sp's points reads (each (which,
 * factorization, canonical mask) once, in a fixed order): fn returns 0 to
 * go on, non-zero to stop (returned). */
typedef int (*map_spectrum_need_fn)(void *ud, int which, const cm_modes *md, unsigned mask);
int map_spectra_each(const map_space *sp, map_spectrum_need_fn fn, void *ud);

/* ---- evaluation ---- */

typedef struct map_eval map_eval;

/* A result; reusing one for consecutive points of one evaluator lets the
 * decoder skip copying the matrices when only mapping/hardware change
 * (zero it before first use). */
typedef struct {
    uint64_t index;
    int reject;                 /* 0, a cm_reject or a MAP_REJ_* */
    const char *why;            /* short reason text (static or in res.why) */
    cm_point pt;
    cm_result res;              /* the model's result (reject 0 or a model reason) */
    int modeled;                /* res was filled by the model */
    int64_t params;
    double err_upper, err_lower; /* NaN without a reference */
    double m[MAP_M_COUNT];      /* metrics (NaN when unknown) */
    uint64_t held;              /* the evaluator's mark of what pt holds; callers
                                   leave it alone */
} map_result;

/*
 * An evaluator over a built space.  tech is borrowed.  With ref.wx set,
 * spectra are computed lazily per factorization and mode set (needs the
 * matrices of the space's shapes).  NULL with a message on failure.
 */
map_eval *map_eval_new(const map_space *sp, const cm_tech *tech, const map_limits *lim,
                       const map_ref *ref, char *err, size_t errlen);
void map_eval_free(map_eval *e);

/* Evaluate index k into r.  Returns 0 (r->reject says valid or why not),
 * -1 on an internal failure (message in r->why).  It is map_eval_decode
 * (r->index, r->pt and the per-algorithm values, from the cache) followed
 * by map_eval_decoded (the checks and the model). */
int map_eval_index(map_eval *e, uint64_t k, map_result *r);
int map_eval_decode(map_eval *e, uint64_t k, map_result *r);
int map_eval_decoded(map_eval *e, map_result *r);

/* Per-reason counters (index = reason; [0] counts valid points). */
const uint64_t *map_eval_counts(const map_eval *e);

/* ---- searches ---- */

typedef enum { MAP_EXHAUSTIVE = 0, MAP_RANDOM = 1, MAP_GUIDED = 2 } map_strategy;
const char *map_strategy_name(map_strategy s);
int map_strategy_parse(const char *s, map_strategy *out);

typedef struct {
    map_strategy strategy;
    uint64_t seed;
    uint64_t budget;            /* random, guided: points to evaluate; 0 = default */
    int nobj;
    map_metric obj[MAP_MAX_OBJ];
    map_dir dir[MAP_MAX_OBJ];
    uint64_t shard_i, shard_n;  /* 0/1 unsharded */
} map_search_opts;

/*
 * Called once per evaluated point, in sequence order.  pos is the position
 * in the strategy's sequence (for resume and progress).  A non-zero return
 * stops the search (returned by map_search_run).
 */
typedef int (*map_visit_fn)(const map_result *r, uint64_t pos, void *ud);

/* Number of points this shard of the strategy visits (guided: its budget). */
uint64_t map_search_count(const map_space *sp, const map_search_opts *o);

/*
 * The index at position pos of the strategy's (unsharded) sequence, for
 * exhaustive (pos itself) and random (a seeded permutation of the space,
 * without replacement).  Used by map_search_run and by tests.
 */
uint64_t map_search_index(const map_space *sp, const map_search_opts *o, uint64_t pos);

/*
 * Run the search.  skip(r, pos, ud) (may be NULL) is asked after a point is
 * decoded (r->pt set) whether it is already done (resume): such points are
 * neither evaluated nor visited, except in the guided search, which
 * evaluates them to steer but does not visit them.  stop (may be NULL) is
 * polled between points: non-zero stops the search.
 */
typedef int (*map_skip_fn)(const map_result *r, uint64_t pos, void *ud);
int map_search_run(map_eval *e, const map_space *sp, const map_search_opts *o,
                   map_visit_fn visit, map_skip_fn skip, void *ud,
                   volatile const sig_atomic_t *stop);

/* The random sequence: a bijection of [0, n) from a seed (Feistel network
 * with cycle walking); exposed for tests. */
uint64_t map_permute(uint64_t x, uint64_t n, uint64_t seed);

#endif
