/*
 * merge_fast.h - the set-based parts of `dse merge` (cmd_merge.c keeps the
 * row-by-row copy for what these leave): a new OUT starts as a page copy of
 * the largest input, and the points of the other inputs go in by one
 * INSERT ... SELECT per input from the input ATTACHed to OUT's connection,
 * reusing the stored keys and shifting the ids, so that SQLite copies rows
 * without a round trip through C per row.
 *
 * Why the stored keys may be reused: a point is stored at its hash key
 * (db_point_key) unless that key was taken when it was stored, and keys are
 * never freed.  So a row of the input stored at its own hash key, whose key
 * OUT does not use, is a point OUT does not have, and may take that key in
 * OUT.  Every other row (a displaced key, a key OUT uses for another
 * string, an input of schema version 1) goes through the probing path.
 */
#ifndef MERGE_FAST_H
#define MERGE_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* The id of OUT that an id of the input maps to (-1: none). */
typedef int64_t (*mf_map_fn)(const void *map, int64_t src);

/*
 * A new, empty file at out_path, created here (O_EXCL: never one that
 * exists), holding a page copy of in (sqlite3_backup: the input's WAL
 * included): its runs, points with their ids and keys, breakdowns,
 * accuracies.  The caller opens it with db_open afterwards.  0, -1 with err
 * (out_path may then exist: the caller removes it).
 */
int mf_copy_whole(const char *out_path, db_conn *in, char *err, size_t errlen);

/* ATTACH path read-only as alias on OUT's connection (outside transactions). */
int mf_attach(db_conn *out, const char *path, const char *alias, char *err, size_t errlen);
void mf_detach(db_conn *out, const char *alias);

/* The schema version (user_version) of a database; -1 on error. */
int mf_version(db_conn *d);

/* What mf_copy_points did. */
typedef struct {
    int64_t total;     /* rows of the input's point table */
    int64_t fast;      /* inserted by the set-based copy */
    int64_t dup;       /* stored in OUT already, at the same key */
    int64_t breakdown; /* breakdown rows copied with the fast rows */
    int64_t *slow;     /* input ids left to the probing path (malloc'd) */
    size_t nslow;
} mf_result;

/*
 * Inside OUT's write transaction: copies the points of the input attached
 * as alias (runs and components already copied: map(runs, id) and
 * map(comps, id) give OUT's ids), with their breakdowns, as described
 * above.  0, or -1 with err (the caller rolls back).
 */
int mf_copy_points(db_conn *out, const char *alias, mf_map_fn map, const void *runs,
                   const void *comps, mf_result *r, char *err, size_t errlen);

#endif
