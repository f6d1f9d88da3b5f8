/*
 * db_int.h - what the files of the database module (dse/io/db_*.c) share and
 * nothing outside it includes: the connection, the error and statement
 * helpers, the key functions the insert path probes with, and the
 * set-based merge copy.  The public interface is db.h.
 *
 * The module: db_open.c (opening, checking, creating, transactions),
 * db_insert.c (runs, batch inserts in key order), db_writer.c (the writer
 * thread), db_key.c (point keys, probing, point lookups), db_train.c
 * (measured and trained accuracies), db_value.c (values as text),
 * db_query.c (the read queries of the commands), db_merge.c,
 * db_merge_fast.c and db_copy.c (dse merge's copy).
 */
#ifndef DB_INT_H
#define DB_INT_H

#include "db.h"

#include <math.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define DB_MAX_COMP_CACHE 64

/* A row of a batch with its key, for inserting in key order. */
typedef struct {
    int64_t key;
    size_t i;     /* position in the batch (ties keep it) */
    size_t len;   /* strlen of the point string */
    int64_t akey; /* algo.akey of its algorithm */
} keyed_row;

/* Recent algorithm keys a connection knows are stored (direct-mapped). */
#define DB_ALGO_CACHE 256

struct db_conn {
    sqlite3 *h;
    char *path;
    db_mode mode;
    int version;           /* schema version of the file (decides the key hash) */
    int disk_failed;       /* a failure came from the storage (full, size limit, I/O) */
    sqlite3_stmt *ins_point, *ins_bd, *key_point, *ins_comp, *sel_comp, *ins_acc;
    sqlite3_stmt *ins_chunk, *max_id, *point_by_id, *ins_algo, *ins_member, *ins_members;
    int64_t algo_seen[DB_ALGO_CACHE]; /* algo keys stored (db_insert.c), 0: none */
    int64_t probe_run;     /* run_id of the point dbi_probe last found */
    int pending;           /* our write transaction holds uncommitted batches */
    double txn_start;      /* when it began (monotonic seconds) */
    double last_call_end;  /* end of the previous db_insert_batch */
    double commit_every;   /* seconds */
    int ncomp;                         /* component-name -> id cache */
    char *comp_name[DB_MAX_COMP_CACHE];
    int64_t comp_id[DB_MAX_COMP_CACHE];
    keyed_row *order;      /* db_insert_batch's scratch */
    size_t order_cap;
};

/* ---- errors and statements (db_open.c) ---- */

/* "PATH: what: [disk cause: ]SQLite's message"; notes a storage failure; -1. */
int dbi_sqlfail(db_conn *d, char *err, size_t errlen, const char *what);
/* "PATH: SQLite's message" (the read commands' form); -1. */
int dbi_readfail(db_conn *d, char *err, size_t errlen);

/* Steps st (then finalizes it), calling fn on column 0's text of each row
 * until fn returns nonzero; that value, 0, or -1 after a read error (which
 * *sqlrc then holds). */
int dbi_each_text(sqlite3_stmt *st, int (*fn)(const char *text, void *ctx), void *ctx,
                  int *sqlrc);
/* sqlite3_exec; on failure "PATH: [disk cause: ]message", -1. */
int dbi_exec(db_conn *d, const char *sql, char *err, size_t errlen);
/* One integer from a one-row query (pragmas, counts). */
int dbi_query_int(db_conn *d, const char *sql, int64_t *v, char *err, size_t errlen);
/* Prepares *st (persistent) unless it is prepared already. */
int dbi_prepare(db_conn *d, sqlite3_stmt **st, const char *sql, char *err, size_t errlen);
/* Ends a one-statement write: finalizes st, then commits when ok (0 or -1
 * with err) or rolls back and returns -1 (err already says why). */
int dbi_end(db_conn *d, sqlite3_stmt *st, int ok, char *err, size_t errlen);
/* Monotonic seconds. */
double dbi_now_s(void);

static inline void dbi_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* A count, NULL when < 0. */
static inline void dbi_bind_count(sqlite3_stmt *st, int i, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* A double, NULL for NaN. */
static inline void dbi_bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

/* A descriptor, NULL when <= 0. */
static inline void dbi_bind_desc(sqlite3_stmt *st, int i, int v)
{
    if (v > 0)
        sqlite3_bind_int(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* ---- run membership (db_insert.c, db_query.c) ---- */

/*
 * Records that run evaluated point_id: a row of run_point unless the run
 * stored that point itself (then point.run_id says it) or the row exists.
 * Inside the caller's write transaction.  0, or -1 with err.
 */
int dbi_add_member(db_conn *d, int64_t run, int64_t point_id, char *err, size_t errlen);
/*
 * " AND <the rows of run :run>" for a query over point / results (columns
 * id and run_id), and, when workload is set, " AND <the rows of the runs
 * of spec workload :workload>": the points they stored or share (table
 * run_point, when the file has it; a read-only older file has not).
 * Written into buf (len bytes); -1 with err when the question about the
 * table fails.
 */
int dbi_pick_sql(db_conn *d, int run, int workload, char *buf, size_t len, char *err,
                 size_t errlen);

/* ---- keys (db_key.c) ---- */

/* The key of a point string of length len under d's schema version. */
int64_t dbi_key_of(const db_conn *d, const char *point, size_t len);
/* The key of a point (as dbi_key_of) and algo.akey of its algorithm: the
 * 64-bit hash of the string up to its last '/' that the key's high bits
 * come from (schema version 2), computed once for both. */
int64_t dbi_keys_of(const db_conn *d, const char *point, size_t len, int64_t *akey);
/*
 * Probes from key k (the point's key): *found = 1 and *id (may be NULL)
 * when the string is stored at one (d->probe_run then the run that stored
 * it); otherwise *found = 0 and *free_key is the first key not in use.
 */
int dbi_probe(db_conn *d, const char *point, int64_t k, int *found, int64_t *id,
              int64_t *free_key, char *err, size_t errlen);
/*
 * ins: an INSERT OR IGNORE INTO point(key, ...) VALUES (?1, ...) with every
 * parameter but ?1 bound; ?1 is bound here, from key on, probing past keys
 * taken by other strings.  1 inserted (*id its row id), 0 already stored
 * (*id its id, d->probe_run its run), -1 error.  ins is reset.
 */
int dbi_insert_point_key(db_conn *d, sqlite3_stmt *ins, const char *point, int64_t key,
                         int64_t *id, char *err, size_t errlen);

/* ---- values (db_value.c) ---- */

/* Column col of st's current row as text in fmt (db_rows_value). */
char *dbi_value_text(sqlite3_stmt *st, int col, db_outfmt fmt);

/* ---- the set-based merge copy (db_merge_fast.c) ---- */

/*
 * The set-based parts of `dse merge` (db_merge.c keeps the row-by-row copy
 * for what these leave): a new OUT starts as a copy of the largest input
 * (db_copy_whole, db_copy.c), and the points of the other inputs go in by
 * one INSERT ... SELECT per input from the input ATTACHed to OUT's
 * connection, reusing the stored keys and shifting the ids, so that SQLite
 * copies rows without a round trip through C per row.  The rows it leaves
 * out are noted while it runs (db_merge_fast.c: take_ctx), not looked for
 * afterwards.
 *
 * Why the stored keys may be reused: a point is stored at its hash key
 * (db_point_key) unless that key was taken when it was stored, and keys are
 * never freed.  So a row of the input stored at its own hash key, whose key
 * OUT does not use, is a point OUT does not have, and may take that key in
 * OUT.  Every other row (a displaced key, a key OUT uses for another
 * string, an input of schema version 1) goes through the probing path.
 */

/* The id of OUT that an id of the input maps to (-1: none). */
typedef int64_t (*dbi_map_fn)(const void *map, int64_t src);

/* The tables that refer to points, copied with them set-based
 * (db_merge_fast.c: refs[]). */
enum { DBI_REF_BREAKDOWN, DBI_REF_COUNT };

/* What dbi_copy_points did. */
typedef struct {
    int64_t total;     /* rows of the input's point table */
    int64_t fast;      /* inserted by the set-based copy */
    int64_t dup;       /* stored in OUT already, at the same key */
    int64_t refs[DBI_REF_COUNT]; /* rows of each referring table copied with the fast rows */
    int64_t *slow;     /* input ids left to the probing path (malloc'd) */
    size_t nslow;
} dbi_copy_result;

/*
 * Inside OUT's write transaction: copies the points of the input attached
 * as alias (runs and components already copied: map(runs, id) and
 * map(comps, id) give OUT's ids), with their breakdowns, as described
 * above.  0, or -1 with err (the caller rolls back).
 */
int dbi_copy_points(db_conn *out, const char *alias, dbi_map_fn map, const void *runs,
                    const void *comps, dbi_copy_result *r, char *err, size_t errlen);

#endif
