/*
 * run_ref.h - the error proxy's reference for `dse run`: the reference's
 * identity, its matrices (loaded only when a spectrum must be computed),
 * and every spectrum the space's points read, prepared before the search
 * from the results database's cache (table spectrum) or computed once and
 * stored there.  The evaluator then takes them through a map_spectra_src
 * and never sees the matrices.
 */
#ifndef RUN_REF_H
#define RUN_REF_H

#include "db.h"
#include "map_search.h"
#include "spec.h"

#include <stdint.h>

typedef struct run_ref run_ref;

/* The spec's reference (NULL in *out when it has none): its files read and
 * checked (a synthetic one is generated later, only if needed).  0, or the
 * exit status (2 bad input, 1 no memory) after one line on stderr. */
int run_ref_open(const spec *s, run_ref **out);

/*
 * Every spectrum sp's points read, and the norms: from db's cache when it
 * has them (db may be NULL), else computed (a progress line on stderr when
 * progress) and stored in db one by one, so that a killed run keeps them.
 * The matrices are freed afterwards.  0, or the exit status after one line.
 */
int run_ref_prepare(run_ref *r, const map_space *sp, db_conn *db, int progress);

/* The evaluator's source of spectra (valid while r lives). */
const map_spectra_src *run_ref_src(run_ref *r);

typedef struct {
    int needed;      /* distinct spectra the space reads */
    int computed;    /* of them computed by this process */
    int cached;      /* of them read from the database */
    double seconds;  /* wall time of run_ref_prepare */
} run_ref_stats;
const run_ref_stats *run_ref_get_stats(const run_ref *r);

void run_ref_free(run_ref *r);

#endif
