/*
 * db.h - the results database (SQLite, embedded): runs, design points keyed
 * by their canonical point string, metrics, per-component breakdowns and
 * imported measured accuracies.  The schema is schemas/results.sql (compiled
 * in); plain `sqlite3` users query the `results` and `breakdowns` views.
 *
 * Conventions: functions return 0 on success and -1 on failure with a
 * one-line reason in err (errlen bytes); predicates return 1 / 0, -1 on error.
 * A db_conn is used by one thread at a time.
 *
 * Writes: db_insert_batch adds each batch atomically inside a write
 * transaction that is committed every DB_COMMIT_SECONDS (and by db_flush,
 * db_run_end, db_close): committing every few thousand rows would rewrite
 * most index pages each time and cut the insert rate several-fold.  A crash
 * or kill leaves a consistent database holding whole batches; at most the
 * last commit interval is lost (a resumed run redoes it).  Several processes
 * may write one database: writers wait for each other (busy timeout).
 * Bulk writers (dse run) go through a db_writer, which batches rows and, by
 * default, does the SQLite work on a thread of its own.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>

#include "cm_accel.h"

/* PRAGMA user_version of the schema this build writes (and reads). */
#define DB_SCHEMA_VERSION 2
/* The oldest version the read-only commands still read (version 1 differs
 * only by its point-key hash; `dse merge NEW OLD` converts). */
#define DB_SCHEMA_VERSION_READ 1
/* PRAGMA application_id of an FDHT-DSE database ("FDHT"). */
#define DB_APPLICATION_ID 0x46444854
/* Where commands look when no --db is given. */
#define DB_DEFAULT_PATH "results/dse.db"
/* A good number of rows per db_insert_batch call. */
#define DB_BATCH 4096
/* Default time between commits of inserted batches (db_set_commit_interval). */
#define DB_COMMIT_SECONDS 2.0

typedef struct db_conn db_conn;
struct sqlite3;

typedef enum {
    DB_READONLY = 0, /* must exist; never written (queries: pareto, show) */
    DB_WRITE = 1,    /* must exist; read-write (import-accuracy) */
    DB_CREATE = 2    /* created with the schema when missing (run, merge OUT) */
} db_mode;

/* db_open's return value when the database could not be written while it
 * was being created or set up (disk full, file size limit, quota, I/O
 * error): a failure of the output, not bad input. */
#define DB_FAIL_WRITE (-2)

/*
 * Opens and checks a database: a file that is not SQLite, not an FDHT-DSE
 * database, or of another schema version (DB_READONLY: older than
 * DB_SCHEMA_VERSION_READ) is refused without being modified.  Returns 0,
 * -1 or DB_FAIL_WRITE.  DB_CREATE: a file this call created is removed
 * again when it stays empty because the schema could not be written; a file
 * that existed before (and its -wal, -shm) is never removed.
 */
int db_open(const char *path, db_mode mode, db_conn **out, char *err, size_t errlen);
void db_close(db_conn *d); /* NULL is fine */
/* The underlying handle, for read queries of dse/ commands. */
struct sqlite3 *db_sqlite(db_conn *d);
const char *db_path(const db_conn *d);

/* ---- runs ---- */

typedef struct {
    const char *spec_text;    /* the whole spec (may be NULL) */
    const char *spec_hash;    /* hex digest of spec_text (may be NULL) */
    uint64_t seed;
    const char *tool_version; /* NULL: this build's version */
    const char *tech_name;    /* technology table name and hash (may be NULL) */
    const char *tech_hash;
    int shard_i, shard_n;     /* 0-based shard i of n; 0/1 when unsharded */
    const char *command;      /* command line, for the record (may be NULL) */
} db_run_info;

/* Inserts a run with status "running" and start time now; *run_id is its id. */
int db_run_begin(db_conn *d, const db_run_info *ri, int64_t *run_id, char *err, size_t errlen);
/* Sets the end time and status ("done", "interrupted", "failed", ...). */
int db_run_end(db_conn *d, int64_t run_id, const char *status, char *err, size_t errlen);
/*
 * The latest run with this spec hash and shard (for resume): 1 found (*run_id
 * set), 0 none, -1 error.
 */
int db_run_find(db_conn *d, const char *spec_hash, int shard_i, int shard_n,
                int64_t *run_id, char *err, size_t errlen);

/* ---- points ---- */

/* One component of the area and energy breakdown. */
typedef struct {
    const char *name;  /* "mac", "wmem", "workmem", "dram", "leakage", ... */
    double area_um2;   /* NaN: not applicable (stored as NULL) */
    double energy_pj;  /* per frame; NaN: not applicable */
    int64_t accesses;  /* per frame; < 0: not applicable */
} db_comp;

/*
 * One evaluated design point.  Unknown values are stored as NULL (a Pareto
 * query then excludes the point for that objective): doubles that are NaN,
 * counts < 0, descriptors (pes, lanes, banks, bits) <= 0, NULL strings.
 * All pointers are borrowed for the duration of the call.
 */
typedef struct {
    const char *point;          /* canonical point string: the key */
    /* counts */
    int64_t params, macs, cycles, conflicts, stall_cycles, dram_bytes;
    /* hardware and efficiency */
    double area_mm2, energy_pj, power_mw, throughput_fps;
    double area_eff;            /* frames/s/mm^2 */
    double energy_eff;          /* frames/J */
    double utilization;         /* 0..1 */
    /* accuracy proxies (relative error bounds of the decomposition) */
    double err_upper, err_lower;
    /* descriptors, for filters (--where "banks = 16") */
    const char *format;         /* "ht", "tt", "dense", ... */
    int pes, lanes, banks, bits;
    double freq_mhz;
    int valid;                  /* 0: infeasible point, see reason */
    const char *reason;
    int ncomp;
    const db_comp *comp;
} db_row;

/* Components of a result's area and energy breakdowns, merged by name into
 * c (room for DB_MAX_COMPS); returns how many.  Names are borrowed. */
#define DB_MAX_COMPS (CM_A_COUNT + CM_E_COUNT)
int db_comps_from_result(const cm_result *res, db_comp *c);

/* A row with every value unknown (NaN, -1, 0, NULL), no breakdown, valid = 1. */
void db_row_init(db_row *r, const char *point);

/*
 * Stores rows[0..n-1] for run run_id, atomically (prepared statements
 * reused).  A point already stored (by any run, or earlier in rows) is left
 * as it is (INSERT OR IGNORE semantics), so resumed and repeated runs never
 * store a point twice.  Rows are inserted in the order of their keys
 * (db_point_key; ties in the order given), so that the key index is filled
 * in runs instead of at random places: ids increase from batch to batch,
 * and within one batch follow the keys.  *ninserted (may be NULL) counts
 * the rows actually added.  On error nothing of the batch is stored (earlier
 * batches stay, unless the error was the commit itself, see db_flush).
 * Inside a transaction of the caller (db_begin) nothing is committed here.
 */
int db_insert_batch(db_conn *d, int64_t run_id, const db_row *rows, size_t n,
                    size_t *ninserted, char *err, size_t errlen);
/* Commits the batches inserted so far (no-op when none are pending); on
 * failure they are rolled back (the database stays consistent). */
int db_flush(db_conn *d, char *err, size_t errlen);
/*
 * Seconds between commits of inserted batches (default DB_COMMIT_SECONDS);
 * 0 commits every batch.  A producer slower than a quarter of the interval
 * between batches gets a commit per batch anyway, so that the write lock is
 * not held while it computes.
 */
void db_set_commit_interval(db_conn *d, double seconds);

/* 1 when the point string is stored, 0 when not, -1 on error. */
int db_has_point(db_conn *d, const char *point, char *err, size_t errlen);
/* Like db_has_point, and *id (may be NULL) is its row id when found. */
int db_point_id(db_conn *d, const char *point, int64_t *id, char *err, size_t errlen);
/*
 * The 63-bit key that indexes point strings (schemas/results.sql): the high
 * 31 bits hash the string up to its last '/' (a point's workload and
 * matrices), the low 32 bits the rest (its hardware) seeded with the former,
 * so that the points of one algorithm, which sweeps visit together, fill one
 * region of the index.  Part of the schema version, so never changed within
 * one.  Also handy for in-memory sets of points.
 */
int64_t db_point_key(const char *point);
struct sqlite3_stmt;
/*
 * For commands that copy whole point rows (dse merge): ins is an INSERT OR
 * IGNORE INTO point(key, ...) VALUES (?1, ...) prepared on db_sqlite(d), all
 * parameters but ?1 bound; ?1 is bound here by probing from the point's hash.
 * 1 inserted (*id its row id), 0 already stored, -1 error.  ins is reset.
 */
int db_insert_point_stmt(db_conn *d, struct sqlite3_stmt *ins, const char *point, int64_t *id,
                         char *err, size_t errlen);
/* Number of points stored by run_id (0: all runs). */
int db_point_count(db_conn *d, int64_t run_id, int64_t *n, char *err, size_t errlen);
/*
 * Calls fn(point, ctx) for every point stored by run_id (0: all runs), in
 * insertion order; a non-zero return of fn stops the walk (returned as is).
 * For resume: load the stored points into a set, skip them.
 */
int db_each_point(db_conn *d, int64_t run_id, int (*fn)(const char *point, void *ctx),
                  void *ctx, char *err, size_t errlen);

/* ---- bulk inserts: db_writer ---- */

/*
 * A db_writer stores rows for one run in batches of db_insert_batch: each
 * batch atomically, committed every commit interval (db_set_commit_interval)
 * like direct db_insert_batch calls, so the database holds the same rows
 * (ids included) whether the writer is threaded or not.
 *
 * Threaded, a writer thread does all SQLite work while the caller goes on:
 * db_writer_add copies the row into the current batch and hands full
 * batches over through a queue of `queue` batches (it blocks while the
 * queue is full).  The writer commits when the interval is over, and also
 * when it has been idle for a quarter of it with a transaction open, so the
 * write lock is not held while the caller computes.  Until db_writer_close
 * returns, d must not be used by anyone else; signals are blocked in the
 * writer thread.  An error of the writer is kept and returned by the next
 * db_writer_add / db_writer_flush / db_writer_close; no later batch is
 * stored after it.
 */
typedef struct db_writer db_writer;

typedef struct {
    int batch;    /* rows per batch (<= 0: DB_BATCH) */
    int threaded; /* 1: a writer thread; 0: db_writer_add stores full batches itself */
    int queue;    /* threaded: full batches waiting at most (<= 0: 4) */
} db_writer_opts;

int db_writer_open(db_conn *d, int64_t run_id, const db_writer_opts *o, db_writer **out,
                   char *err, size_t errlen);
/* Copies *row (strings, breakdown) into the current batch. */
int db_writer_add(db_writer *w, const db_row *row, char *err, size_t errlen);
/* Stores and commits every row added so far. */
int db_writer_flush(db_writer *w, char *err, size_t errlen);
/* db_writer_flush, stops the thread, frees w (NULL is fine); -1 when the
 * flush or an earlier batch failed. */
int db_writer_close(db_writer *w, char *err, size_t errlen);
/* Rows actually added to the database so far (after a flush: all). */
uint64_t db_writer_stored(db_writer *w);
/* CPU seconds used by the writer thread so far (0 when not threaded). */
double db_writer_cpu_s(db_writer *w);

/* ---- measured accuracy ---- */

/* Stores (replaces) the measured accuracy of a point on a dataset. */
int db_put_accuracy(db_conn *d, const char *point, const char *dataset, double accuracy,
                    const char *source, char *err, size_t errlen);

/* ---- trained accuracy (dse train --db) ---- */

/* One trained network: the key is (net, data_hash, epochs, batch, lr, seed). */
typedef struct {
    const char *net;           /* network string (cm_point_format_net) */
    const char *dataset;       /* canonical description of the data set */
    const char *data_hash;
    int epochs, batch;
    double lr;
    uint64_t seed;             /* stored as its int64 bits */
    int64_t clips;             /* training clips per epoch */
    int64_t params;
    double test_accuracy, test_loss, train_accuracy, val_accuracy; /* NaN: NULL */
    double seconds;
} db_train_row;

/* Stores (replaces) one trained network's accuracy, in one transaction. */
int db_put_train(db_conn *d, const db_train_row *r, char *err, size_t errlen);
/* The stored test accuracy of the same key: 1 found (*acc set), 0 none, -1 error. */
int db_get_train(db_conn *d, const db_train_row *key, double *acc, char *err, size_t errlen);

/* ---- transactions for multi-statement updates of dse/ commands ---- */

int db_begin(db_conn *d, char *err, size_t errlen);    /* flush, BEGIN IMMEDIATE */
int db_commit(db_conn *d, char *err, size_t errlen);
void db_rollback(db_conn *d);                           /* no-op outside one */

/* This build's tool version string (stored in runs). */
const char *db_tool_version(void);

/* ---- helpers of the query commands (pareto, show, merge) ---- */

typedef struct {
    char *name;
    char *type; /* declared type ("INTEGER", "REAL", "TEXT", "" for expressions) */
} db_column;

/* Columns of a table or view, in order (db_columns_free). */
int db_columns(db_conn *d, const char *relation, db_column **cols, int *n, char *err,
               size_t errlen);
void db_columns_free(db_column *cols, int n);

typedef enum { DB_OUT_TABLE = 0, DB_OUT_CSV = 1, DB_OUT_JSON = 2 } db_outfmt;
/*
 * Column col of the current row of st as text (malloc'd, NULL: no memory):
 * table - integers, reals to 6 digits (whole numbers from 1e5), text as is,
 *         NULL "-";
 * csv   - reals in the shortest form that reads back exactly, text quoted
 *         when needed, NULL empty;
 * json  - reals as csv, non-finite and NULL null, text a JSON string.
 */
char *db_value_text(struct sqlite3_stmt *st, int col, db_outfmt fmt);
/* s as a CSV field (quoted when needed) or a JSON string literal; malloc'd. */
char *db_quote(const char *s, db_outfmt fmt);

#endif
