/*
 * db.c - the results database (see db.h and schemas/results.sql).
 *
 * Speed comes from reusing prepared statements, one transaction per batch,
 * WAL with synchronous=NORMAL and a large page cache; safety from checking
 * the file (SQLite? ours? this schema version?) before anything is written,
 * and from BEGIN IMMEDIATE, so that concurrent writers queue on the busy
 * timeout instead of failing with "database is locked".
 */
#include "db.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef DSE_VERSION
#define DSE_VERSION "0.1.0"
#endif

extern const char embed_results_sql[];
extern const unsigned long embed_results_sql_len;

#define DB_BUSY_MS 120000 /* writers of one database wait this long for each other */
#define DB_MAX_COMP_CACHE 64

struct db_conn {
    sqlite3 *h;
    char *path;
    db_mode mode;
    sqlite3_stmt *ins_point, *ins_bd, *key_point, *ins_comp, *sel_comp, *ins_acc;
    int pending;           /* our write transaction holds uncommitted batches */
    double txn_start;      /* when it began (monotonic seconds) */
    double last_call_end;  /* end of the previous db_insert_batch */
    double commit_every;   /* seconds */
    int ncomp;                         /* component-name -> id cache */
    char *comp_name[DB_MAX_COMP_CACHE];
    int64_t comp_id[DB_MAX_COMP_CACHE];
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int sqlfail(db_conn *d, char *err, size_t errlen, const char *what)
{
    return fail(err, errlen, "%s: %s: %s", d->path, what, sqlite3_errmsg(d->h));
}

const char *db_tool_version(void) { return "fdht-dse " DSE_VERSION; }
struct sqlite3 *db_sqlite(db_conn *d) { return d->h; }
const char *db_path(const db_conn *d) { return d->path; }

static int exec(db_conn *d, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail(err, errlen, "%s: %s", d->path, msg ? msg : sqlite3_errmsg(d->h));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* One integer from a one-row query (pragmas, counts). */
static int query_int(db_conn *d, const char *sql, int64_t *v, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
        return sqlfail(d, err, errlen, "cannot read the database");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot read the database");
    return 0;
}

/* ---- opening ---- */

typedef enum { FILE_OURS, FILE_EMPTY, FILE_OTHER_VERSION, FILE_FOREIGN } file_kind;

/* Reads the header fields only: nothing is written to the file.  One
 * statement, so one read snapshot: a creator committing meanwhile is seen
 * either entirely or not at all. */
static int classify(db_conn *d, file_kind *k, int64_t *version, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int64_t app = 0, nobj = 0;
    int rc = sqlite3_prepare_v2(d->h, "SELECT (SELECT application_id FROM pragma_application_id),"
                                " (SELECT user_version FROM pragma_user_version),"
                                " (SELECT count(*) FROM sqlite_master)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            app = sqlite3_column_int64(st, 0);
            *version = sqlite3_column_int64(st, 1);
            nobj = sqlite3_column_int64(st, 2);
        }
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_ROW) {
        int code = sqlite3_errcode(d->h);
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
            return fail(err, errlen, "%s: not an SQLite database", d->path);
        return sqlfail(d, err, errlen, "cannot read the database");
    }
    if (app == DB_APPLICATION_ID)
        *k = *version == DB_SCHEMA_VERSION ? FILE_OURS : FILE_OTHER_VERSION;
    else if (app == 0 && nobj == 0 && *version == 0)
        *k = FILE_EMPTY;
    else
        *k = FILE_FOREIGN;
    return 0;
}

/* Applies the schema in a write transaction; re-checks under the lock since
 * another process may have created it meanwhile. */
static int create_schema(db_conn *d, char *err, size_t errlen)
{
    file_kind k;
    int64_t v;
    /* 16 KB pages: shallower trees, faster inserts.  Only effective before
     * the first write, and not inside a transaction. */
    if (exec(d, "PRAGMA page_size = 16384", err, errlen) || exec(d, "BEGIN IMMEDIATE", err, errlen))
        return -1;
    if (classify(d, &k, &v, err, errlen))
        goto bad;
    if (k == FILE_EMPTY) {
        if (exec(d, embed_results_sql, err, errlen))
            goto bad;
        if (query_int(d, "PRAGMA user_version", &v, err, errlen))
            goto bad;
        if (v != DB_SCHEMA_VERSION) {
            fail(err, errlen, "%s: schemas/results.sql sets user_version %lld, db.h expects %d",
                 d->path, (long long)v, DB_SCHEMA_VERSION);
            goto bad;
        }
    }
    if (exec(d, "COMMIT", err, errlen))
        goto bad;
    return 0;
bad:
    db_rollback(d);
    return -1;
}

static int check_kind(db_conn *d, file_kind k, int64_t version, char *err, size_t errlen)
{
    switch (k) {
    case FILE_OURS:
        return 0;
    case FILE_EMPTY:
        if (d->mode == DB_CREATE)
            return 0;
        return fail(err, errlen, "%s: empty database, not an FDHT-DSE results database", d->path);
    case FILE_OTHER_VERSION:
        return fail(err, errlen,
                    "%s: another schema version (%lld; this dse reads version %d); "
                    "left untouched", d->path, (long long)version, DB_SCHEMA_VERSION);
    case FILE_FOREIGN:
        break;
    }
    return fail(err, errlen, "%s: an SQLite database, but not an FDHT-DSE results database",
                d->path);
}

static int tune(db_conn *d, char *err, size_t errlen)
{
    /* Readers scan: memory-mapped pages are not copied, and a big page cache
     * would only cost page faults. */
    if (d->mode == DB_READONLY)
        return exec(d, "PRAGMA mmap_size = 1073741824; PRAGMA temp_store = MEMORY", err, errlen);
    /* Writers: up to 256 MB of page cache, so that the random inserts into
     * the key index stay in memory between commits.  WAL: readers never
     * block the writer; NORMAL: a crash may lose the last transactions but
     * never corrupts the file. */
    return exec(d, "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;"
                   " PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", err, errlen);
}

static int open_checks(const char *path, db_mode mode, char *err, size_t errlen)
{
    struct stat sb;
    if (!path || !*path)
        return fail(err, errlen, "empty database path");
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT && mode == DB_CREATE)
            return 0;
        return fail(err, errlen, "%s: %s", path,
                    errno == ENOENT ? "no such database" : strerror(errno));
    }
    if (S_ISDIR(sb.st_mode))
        return fail(err, errlen, "%s: is a directory, not a database", path);
    return 0;
}

int db_open(const char *path, db_mode mode, db_conn **out, char *err, size_t errlen)
{
    *out = NULL;
    if (open_checks(path, mode, err, errlen))
        return -1;
    db_conn *d = calloc(1, sizeof *d);
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return fail(err, errlen, "out of memory");
    }
    d->mode = mode;
    d->commit_every = DB_COMMIT_SECONDS;
    /* NOMUTEX: a connection is used by one thread at a time (db.h). */
    int flags = SQLITE_OPEN_NOMUTEX | (mode == DB_READONLY ? SQLITE_OPEN_READONLY
              : mode == DB_WRITE    ? SQLITE_OPEN_READWRITE
                                    : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &d->h, flags, NULL) != SQLITE_OK) {
        fail(err, errlen, "%s: cannot open: %s", path,
             d->h ? sqlite3_errmsg(d->h) : "out of memory");
        goto bad;
    }
    sqlite3_extended_result_codes(d->h, 0);
    sqlite3_busy_timeout(d->h, DB_BUSY_MS);
    file_kind k;
    int64_t version;
    if (classify(d, &k, &version, err, errlen) || check_kind(d, k, version, err, errlen))
        goto bad;
    if (k == FILE_EMPTY && create_schema(d, err, errlen))
        goto bad;
    if (tune(d, err, errlen))
        goto bad;
    *out = d;
    return 0;
bad:
    db_close(d);
    return -1;
}

void db_close(db_conn *d)
{
    if (!d)
        return;
    if (d->pending && db_flush(d, NULL, 0))
        db_rollback(d);
    sqlite3_finalize(d->ins_point);
    sqlite3_finalize(d->ins_bd);
    sqlite3_finalize(d->key_point);
    sqlite3_finalize(d->ins_comp);
    sqlite3_finalize(d->sel_comp);
    sqlite3_finalize(d->ins_acc);
    for (int i = 0; i < d->ncomp; i++)
        free(d->comp_name[i]);
    sqlite3_close(d->h);
    free(d->path);
    free(d);
}

/* ---- transactions ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int db_flush(db_conn *d, char *err, size_t errlen)
{
    if (!d->pending)
        return 0;
    if (exec(d, "COMMIT", err, errlen)) {
        db_rollback(d); /* a consistent state: the uncommitted batches are dropped */
        return -1;
    }
    d->pending = 0;
    return 0;
}

void db_set_commit_interval(db_conn *d, double seconds)
{
    d->commit_every = seconds > 0 ? seconds : 0;
}

int db_begin(db_conn *d, char *err, size_t errlen)
{
    if (db_flush(d, err, errlen))
        return -1;
    return exec(d, "BEGIN IMMEDIATE", err, errlen);
}

int db_commit(db_conn *d, char *err, size_t errlen)
{
    return exec(d, "COMMIT", err, errlen);
}

void db_rollback(db_conn *d)
{
    if (!sqlite3_get_autocommit(d->h))
        sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
    d->pending = 0;
}

static int prepare(db_conn *d, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
    if (*st)
        return 0;
    if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return sqlfail(d, err, errlen, "cannot prepare a statement");
    return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* ---- runs ---- */

int db_run_begin(db_conn *d, const db_run_info *ri, int64_t *run_id, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT INTO run(uuid, spec_text, spec_hash, seed, tool_version, tech_name, tech_hash,"
        " shard_i, shard_n, command, started, status) VALUES (lower(hex(randomblob(16))),"
        " ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'running')";
    sqlite3_stmt *st = NULL;
    if (db_flush(d, err, errlen))
        return -1;
    if (ri->shard_n < 1 || ri->shard_i < 0 || ri->shard_i >= ri->shard_n)
        return fail(err, errlen, "bad shard %d/%d", ri->shard_i, ri->shard_n);
    if (prepare(d, &st, sql, err, errlen))
        return -1;
    bind_text(st, 1, ri->spec_text);
    bind_text(st, 2, ri->spec_hash);
    sqlite3_bind_int64(st, 3, (int64_t)ri->seed); /* two's complement bits kept */
    bind_text(st, 4, ri->tool_version ? ri->tool_version : db_tool_version());
    bind_text(st, 5, ri->tech_name);
    bind_text(st, 6, ri->tech_hash);
    sqlite3_bind_int(st, 7, ri->shard_i);
    sqlite3_bind_int(st, 8, ri->shard_n);
    bind_text(st, 9, ri->command);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot store the run");
    *run_id = sqlite3_last_insert_rowid(d->h);
    return 0;
}

int db_run_end(db_conn *d, int64_t run_id, const char *status, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (db_flush(d, err, errlen))
        return -1;
    if (prepare(d, &st, "UPDATE run SET status = ?1, ended = strftime('%Y-%m-%dT%H:%M:%fZ',"
                        " 'now') WHERE id = ?2", err, errlen))
        return -1;
    bind_text(st, 1, status ? status : "done");
    sqlite3_bind_int64(st, 2, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot update the run");
    if (sqlite3_changes(d->h) != 1)
        return fail(err, errlen, "%s: no run %lld", d->path, (long long)run_id);
    return 0;
}

int db_run_find(db_conn *d, const char *spec_hash, int shard_i, int shard_n,
                int64_t *run_id, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (prepare(d, &st, "SELECT id FROM run WHERE spec_hash IS ?1 AND shard_i = ?2"
                        " AND shard_n = ?3 ORDER BY id DESC LIMIT 1", err, errlen))
        return -1;
    bind_text(st, 1, spec_hash);
    sqlite3_bind_int(st, 2, shard_i);
    sqlite3_bind_int(st, 3, shard_n);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
    if (found)
        *run_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot read runs");
    return found;
}

/* ---- points ---- */

void db_row_init(db_row *r, const char *point)
{
    memset(r, 0, sizeof *r);
    r->point = point;
    r->params = r->macs = r->cycles = r->conflicts = r->stall_cycles = r->dram_bytes = -1;
    r->area_mm2 = r->energy_pj = r->power_mw = r->throughput_fps = NAN;
    r->area_eff = r->energy_eff = r->utilization = NAN;
    r->err_upper = r->err_lower = r->freq_mhz = NAN;
    r->valid = 1;
}

static void bind_count(sqlite3_stmt *st, int i, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

static void bind_desc(sqlite3_stmt *st, int i, int v)
{
    if (v > 0)
        sqlite3_bind_int(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* ?1 is the key (bound while probing), ?26 the point string. */
static const char ins_point_sql[] =
    "INSERT OR IGNORE INTO point(key, run_id, params, macs, cycles, conflicts,"
    " stall_cycles, dram_bytes, area_mm2, energy_pj, power_mw, throughput_fps, area_eff,"
    " energy_eff, utilization, err_upper, err_lower, format, pes, lanes, banks, bits,"
    " freq_mhz, valid, reason, point) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
    " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";

static void bind_row(sqlite3_stmt *st, int64_t run_id, const db_row *r)
{
    bind_text(st, 26, r->point);
    sqlite3_bind_int64(st, 2, run_id);
    bind_count(st, 3, r->params);
    bind_count(st, 4, r->macs);
    bind_count(st, 5, r->cycles);
    bind_count(st, 6, r->conflicts);
    bind_count(st, 7, r->stall_cycles);
    bind_count(st, 8, r->dram_bytes);
    bind_real(st, 9, r->area_mm2);
    bind_real(st, 10, r->energy_pj);
    bind_real(st, 11, r->power_mw);
    bind_real(st, 12, r->throughput_fps);
    bind_real(st, 13, r->area_eff);
    bind_real(st, 14, r->energy_eff);
    bind_real(st, 15, r->utilization);
    bind_real(st, 16, r->err_upper);
    bind_real(st, 17, r->err_lower);
    bind_text(st, 18, r->format);
    bind_desc(st, 19, r->pes);
    bind_desc(st, 20, r->lanes);
    bind_desc(st, 21, r->banks);
    bind_desc(st, 22, r->bits);
    bind_real(st, 23, r->freq_mhz);
    sqlite3_bind_int(st, 24, r->valid != 0);
    bind_text(st, 25, r->reason);
}

/* Id of a component name, inserting it when new; cached per connection
 * (the cache is dropped when a batch rolls back). */
static int comp_id(db_conn *d, const char *name, int64_t *id, char *err, size_t errlen)
{
    for (int i = 0; i < d->ncomp; i++)
        if (!strcmp(d->comp_name[i], name)) {
            *id = d->comp_id[i];
            return 0;
        }
    if (prepare(d, &d->ins_comp, "INSERT OR IGNORE INTO component(name) VALUES (?1)", err,
                errlen) ||
        prepare(d, &d->sel_comp, "SELECT id FROM component WHERE name = ?1", err, errlen))
        return -1;
    sqlite3_bind_text(d->ins_comp, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(d->ins_comp);
    sqlite3_reset(d->ins_comp);
    if (rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot store a component name");
    sqlite3_bind_text(d->sel_comp, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(d->sel_comp);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(d->sel_comp, 0);
    sqlite3_reset(d->sel_comp);
    if (rc != SQLITE_ROW)
        return sqlfail(d, err, errlen, "cannot read a component id");
    if (d->ncomp < DB_MAX_COMP_CACHE) {
        char *copy = strdup(name);
        if (!copy)
            return fail(err, errlen, "out of memory");
        d->comp_name[d->ncomp] = copy;
        d->comp_id[d->ncomp++] = *id;
    }
    return 0;
}

static void comp_cache_clear(db_conn *d)
{
    for (int i = 0; i < d->ncomp; i++)
        free(d->comp_name[i]);
    d->ncomp = 0;
}

static int insert_breakdown(db_conn *d, int64_t point_id, const db_row *r, char *err,
                            size_t errlen)
{
    for (int c = 0; c < r->ncomp; c++) {
        const db_comp *cp = &r->comp[c];
        int64_t cid = 0;
        if (!cp->name || !*cp->name)
            return fail(err, errlen, "%s: point '%s': component without a name", d->path,
                        r->point);
        if (comp_id(d, cp->name, &cid, err, errlen))
            return -1;
        sqlite3_stmt *st = d->ins_bd;
        sqlite3_bind_int64(st, 1, point_id);
        sqlite3_bind_int64(st, 2, cid);
        bind_real(st, 3, cp->area_um2);
        bind_real(st, 4, cp->energy_pj);
        bind_count(st, 5, cp->accesses);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_CONSTRAINT)
            return fail(err, errlen, "%s: point '%s': component '%s' given twice", d->path,
                        r->point, cp->name);
        if (rc != SQLITE_DONE)
            return sqlfail(d, err, errlen, "cannot store a breakdown");
    }
    return 0;
}

static int insert_rows(db_conn *d, int64_t run_id, const db_row *rows, size_t n,
                       size_t *ninserted, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->ins_point;
    for (size_t i = 0; i < n; i++) {
        const db_row *r = &rows[i];
        if (!r->point || !*r->point)
            return fail(err, errlen, "%s: row %zu has an empty point string", d->path, i);
        if (r->ncomp < 0 || (r->ncomp > 0 && !r->comp))
            return fail(err, errlen, "%s: point '%s': bad breakdown", d->path, r->point);
        bind_row(st, run_id, r);
        int64_t id;
        int rc = db_insert_point_stmt(d, st, r->point, &id, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue; /* stored before: the first evaluation stays */
        ++*ninserted;
        if (r->ncomp && insert_breakdown(d, id, r, err, errlen))
            return -1;
    }
    return 0;
}

/* Opens our write transaction unless one (ours or the caller's) is open. */
static int writer_begin(db_conn *d, int *nested, char *err, size_t errlen)
{
    *nested = !d->pending && !sqlite3_get_autocommit(d->h);
    if (*nested || d->pending)
        return 0;
    if (exec(d, "BEGIN IMMEDIATE", err, errlen))
        return -1;
    d->pending = 1;
    d->txn_start = now_s();
    return 0;
}

int db_insert_batch(db_conn *d, int64_t run_id, const db_row *rows, size_t n,
                    size_t *ninserted, char *err, size_t errlen)
{
    size_t cnt = 0;
    int nested;
    double t0 = now_s();
    if (ninserted)
        *ninserted = 0;
    if (n == 0)
        return 0;
    if (prepare(d, &d->ins_point, ins_point_sql, err, errlen) ||
        prepare(d, &d->ins_bd, "INSERT INTO breakdown(point_id, comp_id, area_um2, energy_pj,"
                               " accesses) VALUES (?1, ?2, ?3, ?4, ?5)", err, errlen) ||
        writer_begin(d, &nested, err, errlen))
        return -1;
    /* A savepoint per batch: a failing batch leaves the earlier ones intact. */
    if (exec(d, "SAVEPOINT db_batch", err, errlen))
        return -1;
    if (insert_rows(d, run_id, rows, n, &cnt, err, errlen) ||
        exec(d, "RELEASE db_batch", err, errlen)) {
        sqlite3_exec(d->h, "ROLLBACK TO db_batch; RELEASE db_batch", NULL, NULL, NULL);
        comp_cache_clear(d);
        return -1;
    }
    if (ninserted)
        *ninserted = cnt;
    /* Commit when the interval is over, or when the producer is slow (do not
     * hold the write lock while it computes the next batch). */
    double t1 = now_s();
    int slow = d->last_call_end > 0 && t0 - d->last_call_end >= d->commit_every / 4;
    d->last_call_end = t1;
    if (d->pending && (t1 - d->txn_start >= d->commit_every || slow))
        return db_flush(d, err, errlen);
    return 0;
}

int64_t db_point_key(const char *point)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */
    for (const unsigned char *p = (const unsigned char *)point; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33; /* murmur3 fmix64: FNV's low bits mix poorly */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (int64_t)(h >> 1);
}

static int64_t next_key(int64_t k) { return k == INT64_MAX ? 0 : k + 1; }

/*
 * Probes from the point's key: *found = 1 and *id when the string is stored
 * at one; otherwise *found = 0 and *free_key is the first key not in use.
 */
static int probe(db_conn *d, const char *point, int *found, int64_t *id, int64_t *free_key,
                 char *err, size_t errlen)
{
    if (prepare(d, &d->key_point, "SELECT id, point FROM point WHERE key = ?1", err, errlen))
        return -1;
    int64_t k = db_point_key(point);
    for (;;) {
        sqlite3_bind_int64(d->key_point, 1, k);
        int rc = sqlite3_step(d->key_point);
        if (rc == SQLITE_DONE) {
            sqlite3_reset(d->key_point);
            *found = 0;
            *free_key = k;
            return 0;
        }
        if (rc != SQLITE_ROW) {
            sqlite3_reset(d->key_point);
            return sqlfail(d, err, errlen, "cannot look up a point");
        }
        int same = !strcmp((const char *)sqlite3_column_text(d->key_point, 1), point);
        if (same && id)
            *id = sqlite3_column_int64(d->key_point, 0);
        sqlite3_reset(d->key_point);
        if (same) {
            *found = 1;
            return 0;
        }
        k = next_key(k); /* a hash collision: keep probing */
    }
}

int db_insert_point_stmt(db_conn *d, struct sqlite3_stmt *ins, const char *point, int64_t *id,
                         char *err, size_t errlen)
{
    /* Fast path: the hash key is free (the usual case of a new point). */
    sqlite3_bind_int64(ins, 1, db_point_key(point));
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot store a point");
    if (sqlite3_changes(d->h)) {
        *id = sqlite3_last_insert_rowid(d->h);
        return 1;
    }
    /* The key is taken: by this point (a repeat), or by a collision. */
    int found;
    int64_t k;
    if (probe(d, point, &found, id, &k, err, errlen))
        return -1;
    if (found)
        return 0;
    sqlite3_bind_int64(ins, 1, k);
    rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE || sqlite3_changes(d->h) != 1)
        return sqlfail(d, err, errlen, "cannot store a point");
    *id = sqlite3_last_insert_rowid(d->h);
    return 1;
}

int db_point_id(db_conn *d, const char *point, int64_t *id, char *err, size_t errlen)
{
    int found;
    int64_t k, tmp;
    if (probe(d, point, &found, id ? id : &tmp, &k, err, errlen))
        return -1;
    return found;
}

int db_has_point(db_conn *d, const char *point, char *err, size_t errlen)
{
    return db_point_id(d, point, NULL, err, errlen);
}

int db_point_count(db_conn *d, int64_t run_id, int64_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (prepare(d, &st, run_id ? "SELECT count(*) FROM point WHERE run_id = ?1"
                               : "SELECT count(*) FROM point", err, errlen))
        return -1;
    if (run_id)
        sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return sqlfail(d, err, errlen, "cannot count points");
    return 0;
}

int db_each_point(db_conn *d, int64_t run_id, int (*fn)(const char *point, void *ctx),
                  void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (prepare(d, &st, run_id ? "SELECT point FROM point WHERE run_id = ?1 ORDER BY id"
                               : "SELECT point FROM point ORDER BY id", err, errlen))
        return -1;
    if (run_id)
        sqlite3_bind_int64(st, 1, run_id);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if ((ret = fn((const char *)sqlite3_column_text(st, 0), ctx)) != 0)
            break;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot read points");
    return ret;
}

/* ---- measured accuracy ---- */

int db_put_accuracy(db_conn *d, const char *point, const char *dataset, double accuracy,
                    const char *source, char *err, size_t errlen)
{
    if (!point || !*point || !dataset || !*dataset || !isfinite(accuracy))
        return fail(err, errlen, "accuracy needs a point, a dataset and a finite value");
    if (prepare(d, &d->ins_acc, "INSERT OR REPLACE INTO accuracy(point, dataset, accuracy,"
                                " source, imported) VALUES (?1, ?2, ?3, ?4,"
                                " strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", err, errlen))
        return -1;
    sqlite3_stmt *st = d->ins_acc;
    sqlite3_bind_text(st, 1, point, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, dataset, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, accuracy);
    bind_text(st, 4, source);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot store an accuracy");
    return 0;
}

/* ---- helpers of the query commands ---- */

void db_columns_free(db_column *cols, int n)
{
    if (!cols)
        return;
    for (int i = 0; i < n; i++) {
        free(cols[i].name);
        free(cols[i].type);
    }
    free(cols);
}

int db_columns(db_conn *d, const char *relation, db_column **cols, int *n, char *err,
               size_t errlen)
{
    sqlite3_stmt *st;
    db_column *c = NULL;
    int cnt = 0, cap = 0, rc;
    *cols = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(d->h, "SELECT name, coalesce(type, '') FROM pragma_table_info(?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlfail(d, err, errlen, "cannot read the schema");
    sqlite3_bind_text(st, 1, relation, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? 2 * cap : 32;
            db_column *g = realloc(c, (size_t)cap * sizeof *c);
            if (!g)
                goto oom;
            c = g;
        }
        c[cnt].name = strdup((const char *)sqlite3_column_text(st, 0));
        c[cnt].type = strdup((const char *)sqlite3_column_text(st, 1));
        cnt++;
        if (!c[cnt - 1].name || !c[cnt - 1].type)
            goto oom;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_columns_free(c, cnt);
        return sqlfail(d, err, errlen, "cannot read the schema");
    }
    if (cnt == 0)
        return fail(err, errlen, "%s: no table or view '%s'", d->path, relation);
    *cols = c;
    *n = cnt;
    return 0;
oom:
    sqlite3_finalize(st);
    db_columns_free(c, cnt);
    return fail(err, errlen, "out of memory");
}

/* A growing string (for quoting). */
typedef struct {
    char *s;
    size_t n, cap;
} sbuf;

static int sb_put(sbuf *b, const char *p, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        size_t cap = (b->n + len + 1) * 2;
        char *g = realloc(b->s, cap);
        if (!g)
            return -1;
        b->s = g;
        b->cap = cap;
    }
    memcpy(b->s + b->n, p, len);
    b->n += len;
    b->s[b->n] = '\0';
    return 0;
}

static char *json_quote(const char *s)
{
    sbuf b = {0};
    int bad = sb_put(&b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p && !bad; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            bad = sb_put(&b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            bad = sb_put(&b, esc, 6);
        } else {
            bad = sb_put(&b, (const char *)p, 1);
        }
    }
    if (bad || sb_put(&b, "\"", 1)) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* RFC 4180: quoted when it holds a comma, quote, line break or edge blanks. */
static char *csv_quote(const char *s)
{
    size_t len = strlen(s);
    int need = len && (s[0] == ' ' || s[len - 1] == ' ');
    need |= strpbrk(s, ",\"\r\n") != NULL;
    if (!need)
        return strdup(s);
    sbuf b = {0};
    int bad = sb_put(&b, "\"", 1);
    for (const char *p = s; *p && !bad; p++)
        bad = *p == '"' ? sb_put(&b, "\"\"", 2) : sb_put(&b, p, 1);
    if (bad || sb_put(&b, "\"", 1)) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

char *db_quote(const char *s, db_outfmt fmt)
{
    if (fmt == DB_OUT_JSON)
        return json_quote(s);
    if (fmt == DB_OUT_CSV)
        return csv_quote(s);
    return strdup(s);
}

/* For reading: 6 significant digits, but large magnitudes as whole numbers
 * (1250000, not 1.25e+06). */
static void table_real(char *buf, size_t len, double v)
{
    if (fabs(v) >= 1e5 && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.6g", v);
}

/* For machines: the shortest text that reads back as the same double
 * (0.05, not 0.050000000000000003). */
static void shortest_real(char *buf, size_t len, double v)
{
    for (int prec = 15; prec < 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
    snprintf(buf, len, "%.17g", v);
}

char *db_value_text(struct sqlite3_stmt *st, int col, db_outfmt fmt)
{
    char buf[64];
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        return strdup(fmt == DB_OUT_TABLE ? "-" : fmt == DB_OUT_JSON ? "null" : "");
    case SQLITE_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)sqlite3_column_int64(st, col));
        return strdup(buf);
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(st, col);
        if (fmt == DB_OUT_JSON && !isfinite(v))
            return strdup("null");
        if (fmt == DB_OUT_TABLE)
            table_real(buf, sizeof buf, v);
        else
            shortest_real(buf, sizeof buf, v);
        return strdup(buf);
    }
    default: {
        const char *t = (const char *)sqlite3_column_text(st, col);
        return db_quote(t ? t : "", fmt);
    }
    }
}

/* See db.h: one row per component name, area and energy side by side. */
int db_comps_from_result(const cm_result *res, db_comp *c)
{
    int n = 0;
    for (int i = 0; i < CM_A_COUNT; i++) {
        c[n].name = cm_area_name(i);
        c[n].area_um2 = res->area_um2[i];
        c[n].energy_pj = NAN;
        c[n].accesses = -1;
        n++;
    }
    for (int i = 0; i < CM_E_COUNT; i++) {
        const char *nm = cm_energy_name(i);
        int j = 0;
        while (j < CM_A_COUNT && strcmp(c[j].name, nm))
            j++;
        if (j == CM_A_COUNT) {
            j = n++;
            c[j].name = nm;
            c[j].area_um2 = NAN;
            c[j].accesses = -1;
        }
        c[j].energy_pj = res->energy_c[i];
    }
    return n;
}
