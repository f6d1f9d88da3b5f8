/*
 * db.h - the results database (SQLite, embedded): runs, design points keyed
 * by their canonical point string, metrics, per-component breakdowns,
 * imported measured accuracies and trained accuracies.  The schema is
 * schemas/results.sql (compiled in); plain `sqlite3` users query the
 * `results`, `breakdowns` and `runs` views.  The SQL of dse lives behind
 * this header, in the files dse/io/db_*.c (which share db_int.h); the
 * commands read through the query functions and db_rows below; no SQLite
 * call is made anywhere else.
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
#include "map_metric.h"

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
const char *db_path(const db_conn *d);
/* SQLite's message about the last failure on d (for a report that gives
 * its own context). */
const char *db_last_error(db_conn *d);

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
    const char *workload;     /* the spec's workload name, e.g. LSTM-UCF (may be NULL) */
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
    const char *name;  /* "mult", "wsram", "work_rd", "dram", "leak", ... */
    double area_um2;   /* NaN: not applicable (stored as NULL) */
    double energy_pj;  /* per frame; NaN: not applicable */
    int64_t accesses;  /* < 0 (stored NULL): the model fills none yet */
} db_comp;

/*
 * One evaluated design point.  Unknown values are stored as NULL (a Pareto
 * query then excludes the point for that objective): metrics that are NaN,
 * counts < 0, descriptors (pes, lanes, banks, bits) <= 0, NULL or empty
 * strings.  All pointers are borrowed for the duration of the call.
 */
typedef struct {
    const char *point;          /* canonical point string: the key */
    double m[MAP_M_COUNT];      /* the metrics of map_metric.h (NaN: unknown);
                                   counts are stored as INTEGER */
    /* descriptors, for filters (--where "banks = 16") */
    const char *format;         /* W_x's: "ht", "tt", "dense" */
    int pes, lanes, banks, bits;
    double freq_mhz;
    int valid;                  /* 0: infeasible point, see reason */
    const char *reason;
    int ncomp;
    const db_comp *comp;
} db_row;

/* Components of a result's area and energy breakdowns, merged by name into
 * c (room for DB_MAX_COMPS); returns how many (15 with today's model: the
 * 9 area and 12 energy components of cm_accel.h share 6 names).  Names are
 * borrowed. */
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
/* Number of points of run_id (0: all runs): stored by it or shared (db_pick). */
int db_point_count(db_conn *d, int64_t run_id, int64_t *n, char *err, size_t errlen);
/*
 * Calls fn(point, ctx) for every point of run_id (0: all runs; stored by it
 * or shared, db_pick), in insertion order; a non-zero return of fn stops
 * the walk (returned as is).  For resume: load the run's points into a
 * set, skip them.
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

/* The key of a training, its measured fields NaN (NULL) and 0: the one
 * place that says which fields the key has. */
db_train_row db_train_key(const char *net, const char *dataset, const char *data_hash,
                          int epochs, int batch, double lr, uint64_t seed);
/* Stores (replaces) one trained network's accuracy, in one transaction. */
int db_put_train(db_conn *d, const db_train_row *r, char *err, size_t errlen);
/* The stored test and validation accuracies of the same key, trained as
 * this network (not a copy: db_share_train) (*val NaN when the data had no
 * validation split): 1 found, 0 none, -1 error. */
int db_get_train(db_conn *d, const db_train_row *key, double *test, double *val, char *err,
                 size_t errlen);
/* Copies the stored row of key (the training of a network) to each network
 * of nets (the others of its class: cm_netclass.h) that has no training of
 * its own under the same key, shared_from naming the network trained, in
 * one transaction.  replace: a copy already stored (of another member)
 * is replaced; else it stays.  Nothing when key has no row.  0 or -1. */
int db_share_train(db_conn *d, const db_train_row *key, const char *const *nets, size_t n,
                   int replace, char *err, size_t errlen);
/* db_share_train to every other network of key->net's class (a key that
 * is not a network string: nothing). */
int db_share_class(db_conn *d, const db_train_row *key, int replace, char *err, size_t errlen);

/* ---- spectra of the error proxy's reference (db_spectra.c) ---- */

/* One cached spectrum, keyed by (ref, fact, mask) (schemas/results.sql,
 * table spectrum): n values sv (n may be 0) and the squared rest.  Put
 * replaces, in one transaction of its own (a resumed run keeps every
 * spectrum stored before a kill).  Get: 1 found (*sv malloc'd, the
 * caller frees), 0 none (also on a file without the table: read-only
 * opens of older files), -1 error. */
int db_put_spectrum(db_conn *d, const char *ref, const char *fact, unsigned mask,
                    const double *sv, int n, double rest, char *err, size_t errlen);
int db_get_spectrum(db_conn *d, const char *ref, const char *fact, unsigned mask, double **sv,
                    int *n, double *rest, char *err, size_t errlen);
/* Rows of table spectrum (0 without the table), or -1. */
int64_t db_count_spectra(db_conn *d, char *err, size_t errlen);

/* ---- the accuracy stage (db_acc.c) ---- */

#define DB_VALID_MAXCOLS 16
typedef int (*db_valid_fn)(const char *point, const double *v, void *ctx);
/* The valid points the runs of spec_hash evaluated (every shard; also those
 * another spec's run stored first: view run_points), in id
 * order, each with the values of the metric columns cols (NaN for NULL);
 * fn's non-zero return stops and is returned.  -1 on an error. */
int db_each_valid(db_conn *d, const char *spec_hash, int ncols, const char *const *cols,
                  db_valid_fn fn, void *ctx, char *err, size_t errlen);

/* ---- transactions for multi-statement updates of dse/ commands ---- */

int db_begin(db_conn *d, char *err, size_t errlen);    /* flush, BEGIN IMMEDIATE */
int db_commit(db_conn *d, char *err, size_t errlen);
void db_rollback(db_conn *d);                           /* no-op outside one */

/* This build's tool version string (stored in runs). */
const char *db_tool_version(void);

/* ---- reading: the queries of the commands (pareto, show, merge, sets) ---- */

typedef struct {
    char *name;
    char *type; /* declared type ("INTEGER", "REAL", "TEXT", "" for expressions) */
} db_column;

/* 1 when the database has the table, 0 when not (files made before it was
 * added to the schema), -1 on error. */
int db_has_table(db_conn *d, const char *name, char *err, size_t errlen);

/* Columns of a table or view, in order (db_columns_free); -1 with err when
 * there is no such relation. */
int db_columns(db_conn *d, const char *relation, db_column **cols, int *n, char *err,
               size_t errlen);
void db_columns_free(db_column *cols, int n);

typedef enum { DB_OUT_TABLE = 0, DB_OUT_CSV = 1, DB_OUT_JSON = 2 } db_outfmt;
/* s as a CSV field (quoted when needed) or a JSON string literal; malloc'd. */
char *db_quote(const char *s, db_outfmt fmt);

/*
 * db_rows: the rows of one read query, one at a time (a cursor), made by
 * the functions below.  Queries "by id" take their id with db_rows_bind_id
 * and may be run again for another.  Column accessors read the current row
 * (after db_rows_next returned 1); text stays valid until the next step.
 */
typedef struct db_rows db_rows;

/* Steps to the next row: 1 a row, 0 no more, -1 with err ("PATH: message"). */
int db_rows_next(db_rows *r, char *err, size_t errlen);
/* Back before the first row (the id kept). */
void db_rows_reset(db_rows *r);
/* Resets and sets the id of a query by id. */
void db_rows_bind_id(db_rows *r, int64_t id);
int db_rows_ncol(const db_rows *r);
const char *db_rows_name(const db_rows *r, int col);
/* The index of the column called name; -1 when none. */
int db_rows_col(const db_rows *r, const char *name);
int db_rows_is_null(db_rows *r, int col);
int64_t db_rows_int(db_rows *r, int col);   /* NULL: 0 */
double db_rows_real(db_rows *r, int col);   /* NULL: 0 */
const char *db_rows_text(db_rows *r, int col); /* NULL: NULL */
/*
 * Column col as text (malloc'd, NULL: no memory):
 * table - integers, reals to 6 digits (whole numbers from 1e5), text as is,
 *         NULL "-";
 * csv   - reals in the shortest form that reads back exactly, text quoted
 *         when needed, NULL empty;
 * json  - reals as csv, non-finite and NULL null, text a JSON string.
 */
char *db_rows_value(db_rows *r, int col, db_outfmt fmt);
void db_rows_free(db_rows *r); /* NULL is fine */

/*
 * The `results` row of a point, by its id (db_rows_bind_id).  cols NULL:
 * every column of the view, with id and run_id shifted by id_off and
 * run_off (the id space of a set of databases, dbset.h); else the id
 * (shifted) followed by the named columns (checked by the caller against
 * db_columns: they are spliced into the SQL, quoted).  Errors of the
 * statement: "PATH: message".
 */
int db_results_rows(db_conn *d, const char *const *cols, int ncol, int64_t id_off,
                    int64_t run_off, db_rows **out, char *err, size_t errlen);
/* The run, by its id: id (shifted by run_off), uuid, status, started, ended,
 * seed, spec_hash, tool_version, tech_name, tech_hash, shard_i, shard_n,
 * command, spec_text. */
int db_run_rows(db_conn *d, int64_t run_off, db_rows **out, char *err, size_t errlen);
/* The runs that evaluated a point, by its id (db_rows_bind_id): id
 * (shifted by run_off), workload (the spec's name), stored (1 for the run
 * that stored it, 0 for one that shares it, db_pick), by id. */
int db_point_runs(db_conn *d, int64_t run_off, db_rows **out, char *err, size_t errlen);
/*
 * Which points a read query takes: a run's (run > 0) and the ones of the
 * runs of a spec workload (workload non-NULL; the spec's `workload: name`,
 * run.workload): the points they stored and those they evaluated after
 * another run had stored them (table run_point, view run_points).  One
 * point may so belong to several runs and workloads (LSTM-UCF's and
 * LSTM-Youtube's concat points are the same designs).  NULL: every point.
 */
typedef struct {
    int64_t run;          /* 0: any */
    const char *workload; /* NULL: any */
} db_pick;

/*
 * The workloads of the `results` rows where `where` (NULL: all) holds and
 * pick takes: their layers' names ("lstm N_in 57600, H 256", "mv") into
 * names[0..max), *n how many distinct (at most max are named; the count
 * stops at max + 1).  0, or -1 with a reason.
 */
#define DB_WORKLOAD_NAME 48
int db_workloads(db_conn *d, const char *where, const db_pick *pick,
                 char (*names)[DB_WORKLOAD_NAME], int max, int *n, char *err, size_t errlen);
/*
 * The spec workload names (run.workload, sorted) of the runs that stored or
 * share some `results` row where `where` (NULL: any row) holds, as
 * db_workloads counts them.  Runs without a name are left out.
 */
int db_run_workloads(db_conn *d, const char *where, char (*names)[DB_WORKLOAD_NAME], int max,
                     int *n, char *err, size_t errlen);
/* dse reproduce's reuse: records that run_id stored n points, its whole
 * front (run.front_points). */
int db_run_set_front_points(db_conn *d, int64_t run_id, int64_t n, char *err, size_t errlen);
/* The latest finished run of this spec hash, technology hash and this tool
 * version that stored exactly the front it recorded: 1 found (*run_id, *n),
 * 0 none, -1 error. */
int db_run_find_front(db_conn *d, const char *spec_hash, const char *tech_hash,
                      int64_t *run_id, int64_t *n, char *err, size_t errlen);
/* The valid points of run_id (stored or shared, db_pick), by id: point,
 * params, throughput_fps, area_mm2, energy_pj and the stored DRAM energy
 * (component dram). */
int db_front_rows(db_conn *d, int64_t run_id, db_rows **out, char *err, size_t errlen);
/* The stored breakdown of a point, by its id: component, area_um2,
 * energy_pj, accesses, by component name. */
int db_breakdown_rows(db_conn *d, db_rows **out, char *err, size_t errlen);
/* c[0..n) as rows with the columns of db_breakdown_rows (accesses NULL),
 * in the order given: a breakdown recomputed by the model prints the same
 * way as a stored one. */
int db_comp_rows(db_conn *d, const db_comp *c, int n, db_rows **out, char *err,
                 size_t errlen);
/* The measured accuracies of a point: dataset, accuracy, source, imported,
 * by data set. */
int db_accuracy_rows(db_conn *d, const char *point, db_rows **out, char *err, size_t errlen);

/*
 * The scan of dse pareto: id and the columns obj[0..nobj) of every
 * `results` row where the SQL expression `where` (NULL: all) holds and
 * that pick (NULL: all) takes.  0; 1 when where is more than one
 * expression; -1 with SQLite's message in err.
 */
int db_front_scan(db_conn *d, const char *const *obj, int nobj, const char *where,
                  const db_pick *pick, db_rows **out, char *err, size_t errlen);
/*
 * Checks an SQL expression over the columns of `results` on its own: 0
 * valid; 1 followed by more text (not one expression); -1 not valid, with
 * SQLite's message in err and *at the 1-based character of where it points
 * at (0: none within where).
 */
int db_where_check(db_conn *d, const char *where, int *at, char *err, size_t errlen);

/* 1 when run id is stored, 0 when not; -1 with err ("PATH: message"). */
int db_run_exists(db_conn *d, int64_t id, char *err, size_t errlen);
/* The technology table hash and spec text stored with run id (malloc'd,
 * NULL when not stored); -1 with SQLite's message in err. */
int db_run_tech(db_conn *d, int64_t id, char **tech_hash, char **spec_text, char *err,
                size_t errlen);
/* The point string of point id (*point malloc'd): 1, 0 when none, -1 with err. */
int db_point_string(db_conn *d, int64_t id, char **point, char *err, size_t errlen);
/* The largest point and run ids (0: none); -1 with err ("PATH: message"). */
int db_max_ids(db_conn *d, int64_t *max_point, int64_t *max_run, char *err, size_t errlen);
/*
 * Calls fn(hash, ctx) for each distinct spec hash of the runs that are
 * shards (shard_n > 1; "" for none); a non-zero return of fn stops the
 * walk (returned as is).  -1 with err ("PATH: message").
 */
int db_each_shard_spec(db_conn *d, int (*fn)(const char *hash, void *ctx), void *ctx,
                       char *err, size_t errlen);

/* ---- merging (dse merge) ---- */

/* What a merge added to OUT. */
typedef struct {
    int64_t runs, points, dup_points, breakdowns, accuracies, trained;
} db_merge_stats;

/* The schema version of the file (PRAGMA user_version); -1 on error. */
int db_schema_version(db_conn *d);
/*
 * A new file at out_path, created here (O_EXCL: never one that exists),
 * holding a copy of in: its runs, points with their ids and keys,
 * breakdowns, accuracies.  The file's bytes, copied in the kernel, when
 * in's WAL is empty (as an exited dse leaves it), else SQLite's page copy
 * (the WAL's rows included).  The caller opens it with db_open afterwards.
 * 0, -1 with err (out_path may then exist: the caller removes it).
 */
int db_copy_whole(const char *out_path, db_conn *in, char *err, size_t errlen);
/* Adds what db_copy_whole of in brings (points, runs, breakdown rows,
 * accuracies) to st; counts it cannot read are left out. */
void db_merge_count(db_conn *in, db_merge_stats *st);
/* How many databases SQLite attaches to d at most. */
int db_attach_max(db_conn *d);
/* Attaches path read-only to out as alias (outside transactions). */
int db_attach(db_conn *out, const char *path, const char *alias, char *err, size_t errlen);
void db_detach(db_conn *out, const char *alias);
/*
 * Copies every table of in into out, inside out's transaction (db_begin)
 * and one read snapshot of in: runs (once per uuid), component names,
 * points (a point out has already is left as it is, with its breakdown),
 * breakdowns, accuracies, trained accuracies.  alias: where in is attached
 * to out (db_attach): the points go in set-based, their stored keys reused
 * (db_int.h); NULL: row by row.  Counts are added to st.  0, or -1 with err
 * (the caller rolls back).
 */
int db_merge_input(db_conn *out, db_conn *in, const char *alias, db_merge_stats *st,
                   char *err, size_t errlen);
/* on: no journal and no syncing, for a new file that is removed on any
 * failure; off: back to WAL (the journal of every database of dse). */
int db_bulk_mode(db_conn *d, int on, char *err, size_t errlen);

#endif
