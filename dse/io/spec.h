/*
 * spec.h - sweep specs: the YAML language of schemas/spec.schema.yaml
 * (documented in docs/SPEC.md), loaded into the mapper's space definition
 * and the run options.
 *
 * Loading is all-or-nothing: every problem found is reported as
 * "FILE:LINE:COL: error: KEY: what was expected" into a spec_diag, and the
 * caller exits with status 2 before running or storing anything.
 */
#ifndef SPEC_H
#define SPEC_H

#include "map_search.h"
#include "ydoc.h"

#include <stddef.h>
#include <stdint.h>

#define SPEC_VERSION 1          /* the language version this build reads */
#define SPEC_NAME_MAX 64

/* Collected diagnostics: one line per error (ydoc.h: nerr counts them all,
 * the first YDIAG_MAX_LINES are kept; internal marks an error that is not
 * the spec's fault, such as no memory). */
typedef ydiag spec_diag;

void spec_diag_init(spec_diag *g);
void spec_diag_free(spec_diag *g);
void spec_diag_add(spec_diag *g, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
const char *spec_diag_text(const spec_diag *g);

/* The accuracy section (docs/SPEC.md, "accuracy"): what the accuracy stage
 * (accstage.h) trains the distinct networks of the valid points on. */
#define SPEC_ACC_MAX_RUNGS 16
#define SPEC_ACC_MAX_SEEDS 16
typedef struct {
    int on;                     /* the spec has the section */
    int objective;              /* accuracy (:max) is among search.objectives */
    char *data;                 /* as dse train --data takes it (a directory resolved) */
    int batch;
    double lr;
    int nseeds;
    uint64_t seed[SPEC_ACC_MAX_SEEDS];
    int halving;                /* schedule: halving (else all) */
    int eta;                    /* keep about 1/eta of the networks per rung */
    int nrungs;                 /* budgets: epochs of each rung, increasing; */
    int budget[SPEC_ACC_MAX_RUNGS]; /* the last is the final budget (epochs) */
} spec_acc;

typedef struct {
    /* identity */
    char name[SPEC_NAME_MAX];
    char workload_name[SPEC_NAME_MAX];
    char *path;                 /* as given */
    char *text;                 /* the whole file */
    size_t len;
    int version;

    /* the space */
    map_space_def def;
    map_space space;            /* built */
    char tech[32];              /* as the spec names it (hardware.tech) */
    cm_tech tech_table;         /* loaded (dse/io/tech.h); space hw_base.tech = its name */

    /* the search */
    map_search_opts search;     /* strategy, seed, budget, objectives */
    int seed_given;             /* the spec set search.seed */
    double time_limit;          /* seconds, 0 = none */
    int batch;                  /* points per database transaction */
    map_limits limits;

    /* the error proxy's reference */
    char *ref_npy, *ref_npy_wh; /* resolved paths (relative to the spec's directory) */
    char ref_synth[16];         /* "gaussian", "decay" or "" */
    uint64_t ref_seed;
    int has_ref;

    spec_acc acc;               /* the accuracy section */

    char *db_path;              /* output.db or NULL */

    yarena *arena;              /* every array the def points into */
} spec;

/*
 * Load, check and expand a spec file.  0 on success (*out allocated,
 * spec_free), -1 with diagnostics in g.  A missing, unreadable or
 * non-regular file is reported as "PATH: error: ...".
 */
int spec_load_file(const char *path, spec **out, spec_diag *g);
/* The same from text in memory; name is used in messages. */
int spec_load_text(const char *name, const char *text, size_t len, spec **out, spec_diag *g);
void spec_free(spec *s);

/* Hex FNV-1a 64 of the spec text and the effective seed (dse run passes 0
 * for the exhaustive strategy): the identity of a run for resume (buf of at
 * least 17 bytes). */
void spec_hash(const spec *s, uint64_t seed, char *buf);

/* Parse "I/N" (0 <= I < N <= 1000000). */
int spec_parse_shard(const char *s, uint64_t *i, uint64_t *n);

#endif
