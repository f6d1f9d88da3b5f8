/*
 * db.c - the results database (see db.h and schemas/results.sql).
 *
 * Speed comes from reusing prepared statements, transactions of many
 * batches (committed every few seconds), WAL with synchronous=NORMAL, a
 * 64 MB page cache, point keys that fill the key index in runs (keys of one
 * algorithm share their high bits, db_point_key, and every batch is
 * inserted in key order), and INSERTs of DB_CHUNK rows each.  Bulk writers
 * hand whole batches to a writer thread (db_writer).  Safety comes from checking the file (SQLite? ours? this
 * schema version?) before anything is written, and from BEGIN IMMEDIATE, so
 * that concurrent writers queue on the busy timeout instead of failing with
 * "database is locked".  A file that db_open creates but cannot make a
 * database (a full disk) is removed again, never one that was there before.
 */
#include "db.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef DSE_VERSION
#define DSE_VERSION "0.1.0"
#endif

extern const char embed_results_sql[];
extern const unsigned long embed_results_sql_len;

#define DB_BUSY_MS 120000 /* writers of one database wait this long for each other */
#define DB_MAX_COMP_CACHE 64
#define DB_OPEN_TRIES 3   /* db_open retries a file removed under it (create_schema) */
#define DB_MOVED (-3)     /* create_schema: the file was removed meanwhile; open again */

/* A row of a batch with its key, for inserting in key order. */
typedef struct {
    int64_t key;
    size_t i;   /* position in the batch (ties keep it) */
    size_t len; /* strlen of the point string */
} keyed_row;

struct db_conn {
    sqlite3 *h;
    char *path;
    db_mode mode;
    int version;           /* schema version of the file (decides the key hash) */
    int disk_failed;       /* a failure came from the storage (full, size limit, I/O) */
    sqlite3_stmt *ins_point, *ins_bd, *key_point, *ins_comp, *sel_comp, *ins_acc;
    sqlite3_stmt *ins_chunk, *max_id;
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

static int64_t key_of(const db_conn *d, const char *point, size_t len);

/* 1 when the file size limit (RLIMIT_FSIZE) is finite and the database,
 * its WAL or its journal is within two pages of it: the likely cause of a
 * failed write whose errno is unknown (a failed growth of the -shm). */
static int at_fsize_limit(const db_conn *d)
{
    static const char *const sfx[] = {"", "-wal", "-journal"};
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        char p[4096];
        struct stat sb;
        snprintf(p, sizeof p, "%s%s", d->path, sfx[i]);
        if (stat(p, &sb) == 0 && (uint64_t)sb.st_size + 2 * 65536 >= (uint64_t)rl.rlim_cur)
            return 1;
    }
    return 0;
}

/* The errno of the last failed system call on one of SQLite's files (0:
 * none, or not a unix file). */
static int file_errno(sqlite3_file *f)
{
    int e = 0;
    if (!f || !f->pMethods ||
        f->pMethods->xFileControl(f, SQLITE_FCNTL_LAST_ERRNO, &e) != SQLITE_OK)
        return 0;
    return e;
}

/*
 * The errno of a failed write: sqlite3_system_errno reads the global errno
 * only after SQLite has made other calls, so it is 0 after EFBIG; each
 * file of SQLite's keeps its own (SQLITE_FCNTL_LAST_ERRNO).  The journal
 * or WAL first (where a write transaction writes first), then the
 * database; 0 when unknown (a rollback journal already closed).
 */
static int write_errno(const db_conn *d)
{
    sqlite3_file *j = NULL, *m = NULL;
    int e = 0;
    if (sqlite3_file_control(d->h, "main", SQLITE_FCNTL_JOURNAL_POINTER, &j) == SQLITE_OK)
        e = file_errno(j);
    if (!e && sqlite3_file_control(d->h, "main", SQLITE_FCNTL_FILE_POINTER, &m) == SQLITE_OK)
        e = file_errno(m);
    return e ? e : sqlite3_system_errno(d->h);
}

/* What the disk did, when a failure came from it ("" otherwise). */
static const char *disk_cause(const db_conn *d)
{
    int code = sqlite3_errcode(d->h), sys = write_errno(d);
    if (code == SQLITE_FULL || sys == ENOSPC)
        return "disk full: ";
    if (sys == EFBIG || (code == SQLITE_IOERR && !sys && at_fsize_limit(d)))
        return "file size limit reached (RLIMIT_FSIZE): ";
    if (sys == EDQUOT)
        return "disk quota exceeded: ";
    return "";
}

/* Notes a failure that came from the storage, for db_open's DB_FAIL_WRITE:
 * read right at the failure, since a later ROLLBACK resets the error code. */
static void note_disk(db_conn *d)
{
    int code = sqlite3_errcode(d->h);
    if (code == SQLITE_FULL || code == SQLITE_IOERR || *disk_cause(d))
        d->disk_failed = 1;
}

static int sqlfail(db_conn *d, char *err, size_t errlen, const char *what)
{
    note_disk(d);
    return cm_fail(err, errlen, "%s: %s: %s%s", d->path, what, disk_cause(d), sqlite3_errmsg(d->h));
}

const char *db_tool_version(void) { return "fdht-dse " DSE_VERSION; }
struct sqlite3 *db_sqlite(db_conn *d) { return d->h; }
const char *db_path(const db_conn *d) { return d->path; }

static int exec(db_conn *d, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        note_disk(d);
        cm_fail(err, errlen, "%s: %s%s", d->path, disk_cause(d), msg ? msg : sqlite3_errmsg(d->h));
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

typedef enum { FILE_OURS, FILE_EMPTY, FILE_OLD_VERSION, FILE_OTHER_VERSION, FILE_FOREIGN } file_kind;

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
            return cm_fail(err, errlen, "%s: not an SQLite database", d->path);
        return sqlfail(d, err, errlen, "cannot read the database");
    }
    if (app == DB_APPLICATION_ID)
        *k = *version == DB_SCHEMA_VERSION ? FILE_OURS
           : *version >= DB_SCHEMA_VERSION_READ && *version < DB_SCHEMA_VERSION ? FILE_OLD_VERSION
                                                                            : FILE_OTHER_VERSION;
    else if (app == 0 && nobj == 0 && *version == 0)
        *k = FILE_EMPTY;
    else
        *k = FILE_FOREIGN;
    return 0;
}

/* 1 when the file d has open is no longer at d->path (removed or renamed). */
static int file_moved(db_conn *d)
{
    int moved = 0;
    if (sqlite3_file_control(d->h, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
        return 0;
    return moved;
}

/*
 * Applies the schema in a write transaction; re-checks under the lock since
 * another process may have created it meanwhile.  DB_MOVED: the empty file
 * was removed meanwhile (by the dse that created it and then found its disk
 * full, discard_created): a schema written now would vanish with it.  SQLite
 * itself refuses to start the transaction then (it cannot create the
 * journal beside a file that is gone: "disk I/O error"), hence the check
 * after a failure too.
 */
static int create_schema(db_conn *d, char *err, size_t errlen)
{
    file_kind k;
    int64_t v;
    /* 16 KB pages: shallower trees, faster inserts.  Only effective before
     * the first write, and not inside a transaction. */
    if (exec(d, "PRAGMA page_size = 16384", err, errlen))
        return -1;
    if (exec(d, "BEGIN IMMEDIATE", err, errlen))
        return file_moved(d) ? DB_MOVED : -1;
    if (file_moved(d)) {
        db_rollback(d);
        return DB_MOVED;
    }
    if (classify(d, &k, &v, err, errlen))
        goto bad;
    if (k == FILE_OURS) {
        /* A version-2 file made before the train table: add what the schema
         * adds (every statement is IF NOT EXISTS) and renew the results view,
         * which is the only object whose text changed. */
        if (exec(d, "DROP VIEW IF EXISTS results", err, errlen) ||
            exec(d, embed_results_sql, err, errlen))
            goto bad;
    } else if (k == FILE_EMPTY) {
        if (exec(d, embed_results_sql, err, errlen))
            goto bad;
        if (query_int(d, "PRAGMA user_version", &v, err, errlen))
            goto bad;
        if (v != DB_SCHEMA_VERSION) {
            cm_fail(err, errlen, "%s: schemas/results.sql sets user_version %lld, db.h expects %d",
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

/* 1 when the file has the train table (version-2 files made before dse 0.4
 * do not); 0 also when the question cannot be answered (the upgrade then
 * reports the error). */
static int has_train(db_conn *d)
{
    int64_t n = 0;
    return !query_int(d, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                         " AND name = 'train'", &n, NULL, 0) && n > 0;
}

static int check_kind(db_conn *d, file_kind k, int64_t version, char *err, size_t errlen)
{
    switch (k) {
    case FILE_OURS:
        return 0;
    case FILE_EMPTY:
        if (d->mode == DB_CREATE)
            return 0;
        return cm_fail(err, errlen, "%s: empty database, not an FDHT-DSE results database", d->path);
    case FILE_OLD_VERSION:
        if (d->mode == DB_READONLY)
            return 0;
        return cm_fail(err, errlen,
                    "%s: another schema version (%lld; this dse writes version %d, whose point "
                    "keys differ); left untouched: `dse merge NEW.db %s` copies it into a new "
                    "database", d->path, (long long)version, DB_SCHEMA_VERSION, d->path);
    case FILE_OTHER_VERSION:
        return cm_fail(err, errlen,
                    "%s: another schema version (%lld; this dse reads version %d); "
                    "left untouched", d->path, (long long)version, DB_SCHEMA_VERSION);
    case FILE_FOREIGN:
        break;
    }
    return cm_fail(err, errlen, "%s: an SQLite database, but not an FDHT-DSE results database",
                d->path);
}

static int tune(db_conn *d, char *err, size_t errlen)
{
    /* Readers scan: memory-mapped pages are not copied, and a big page cache
     * would only cost page faults. */
    if (d->mode == DB_READONLY)
        return exec(d, "PRAGMA mmap_size = 1073741824; PRAGMA temp_store = MEMORY", err, errlen);
    /* Writers: 64 MB of page cache holds the key index of a few million
     * points (appended table pages are not read again); 256 MB measured
     * slower (page faults, bigger commits).  WAL: readers never block the
     * writer; NORMAL: a process crash or kill loses nothing committed, a
     * power loss or OS crash may lose the last transactions but never
     * corrupts the file (a resumed run redoes them). */
    if (exec(d, "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
                   " PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", err, errlen))
        return -1;
    return 0;
}

static int open_checks(const char *path, db_mode mode, char *err, size_t errlen)
{
    struct stat sb;
    if (!path || !*path)
        return cm_fail(err, errlen, "empty database path");
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT && mode == DB_CREATE)
            return 0;
        return cm_fail(err, errlen, "%s: %s", path,
                    errno == ENOENT ? "no such database" : strerror(errno));
    }
    if (S_ISDIR(sb.st_mode))
        return cm_fail(err, errlen, "%s: is a directory, not a database", path);
    return 0;
}

/*
 * DB_CREATE: creates the file when it does not exist, exclusively, so that
 * *created says for sure that this db_open made it (and may remove it
 * again, discard_created); 0 when it exists (another process may have just
 * created it).  Mode 0644 before the umask, as SQLite would create it.
 */
static int create_file(db_conn *d, int *created, char *err, size_t errlen)
{
    *created = 0;
    int fd = open(d->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            return 0;
        if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG || errno == EIO)
            d->disk_failed = 1;
        return cm_fail(err, errlen, "%s: cannot create: %s%s", d->path,
                       errno == ENOSPC ? "disk full: " : "", strerror(errno));
    }
    close(fd);
    *created = 1;
    return 0;
}

/*
 * Removes the file this db_open created (create_file) when it could not be
 * made a database, e.g. on a full disk, so that no empty file is left
 * behind.  Under the write lock, and only while the file is still empty and
 * still at its path: a file another process has filled meanwhile is kept.
 * Its -journal goes too (no other writer can own one while we hold the
 * lock); a -wal or -shm never exists for an empty file, and is left alone.
 * A process that opened the empty file meanwhile sees it moved when it gets
 * the lock (create_schema) and opens the path again.  The lock is taken at
 * the VFS: BEGIN IMMEDIATE would write page 1 of the empty file into a
 * journal first, which a full disk refuses.
 */
static void discard_created(db_conn *d)
{
    sqlite3_file *f = NULL;
    struct stat sb;
    if (!d->h || sqlite3_file_control(d->h, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
        !f || !f->pMethods || f->pMethods->xLock(f, SQLITE_LOCK_SHARED) != SQLITE_OK)
        return;
    if (f->pMethods->xLock(f, SQLITE_LOCK_RESERVED) == SQLITE_OK && !file_moved(d) &&
        stat(d->path, &sb) == 0 && sb.st_size == 0 && unlink(d->path) == 0) {
        size_t len = strlen(d->path) + sizeof "-journal";
        char *j = malloc(len);
        if (j) {
            snprintf(j, len, "%s-journal", d->path);
            unlink(j);
            free(j);
        }
    }
    f->pMethods->xUnlock(f, SQLITE_LOCK_NONE);
}

/* SQLite's memory statistics take a global mutex on every allocation; dse
 * does not read them.  Only possible before SQLite initializes (else a
 * harmless SQLITE_MISUSE). */
static void sqlite_setup(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

/* One attempt of db_open on d (path and mode set): 0, -1, DB_FAIL_WRITE
 * (err set), or DB_MOVED (open again). */
static int open_once(db_conn *d, char *err, size_t errlen)
{
    int created = 0;
    if (d->mode == DB_CREATE && create_file(d, &created, err, errlen))
        return d->disk_failed ? DB_FAIL_WRITE : -1;
    /* NOMUTEX: a connection is used by one thread at a time (db.h). */
    int flags = SQLITE_OPEN_NOMUTEX | (d->mode == DB_READONLY ? SQLITE_OPEN_READONLY
              : d->mode == DB_WRITE    ? SQLITE_OPEN_READWRITE
                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(d->path, &d->h, flags, NULL) != SQLITE_OK)
        return cm_fail(err, errlen, "%s: cannot open: %s", d->path,
                       d->h ? sqlite3_errmsg(d->h) : "out of memory");
    sqlite3_extended_result_codes(d->h, 0);
    sqlite3_busy_timeout(d->h, DB_BUSY_MS);
    file_kind k;
    int64_t version;
    int rc = classify(d, &k, &version, err, errlen);
    if (!rc)
        rc = check_kind(d, k, version, err, errlen);
    if (!rc && (k == FILE_EMPTY || (k == FILE_OURS && d->mode != DB_READONLY && !has_train(d))))
        rc = create_schema(d, err, errlen);
    if (rc == DB_MOVED)
        return DB_MOVED;
    if (!rc) {
        d->version = k == FILE_OLD_VERSION ? (int)version : DB_SCHEMA_VERSION;
        rc = tune(d, err, errlen);
    }
    if (rc && created)
        discard_created(d);
    return !rc ? 0 : d->disk_failed ? DB_FAIL_WRITE : -1;
}

int db_open(const char *path, db_mode mode, db_conn **out, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    *out = NULL;
    for (int tries = 0; tries < DB_OPEN_TRIES; tries++) {
        if (open_checks(path, mode, err, errlen))
            return -1;
        db_conn *d = calloc(1, sizeof *d);
        if (!d || !(d->path = strdup(path))) {
            free(d);
            return cm_fail(err, errlen, "out of memory");
        }
        d->mode = mode;
        d->commit_every = DB_COMMIT_SECONDS;
        int rc = open_once(d, err, errlen);
        if (!rc) {
            *out = d;
            return 0;
        }
        db_close(d);
        if (rc != DB_MOVED)
            return rc;
    }
    return cm_fail(err, errlen, "%s: removed %d times while being created; try again", path,
                   DB_OPEN_TRIES);
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
    sqlite3_finalize(d->ins_chunk);
    sqlite3_finalize(d->max_id);
    for (int i = 0; i < d->ncomp; i++)
        free(d->comp_name[i]);
    free(d->order);
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
    if (d->pending && sqlite3_get_autocommit(d->h))
        d->pending = 0; /* rolled back by SQLite after an I/O error: nothing to commit */
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
        return cm_fail(err, errlen, "bad shard %d/%d", ri->shard_i, ri->shard_n);
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
        return cm_fail(err, errlen, "%s: no run %lld", d->path, (long long)run_id);
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

/* Rows per statement of the bulk insert: one multi-row INSERT pays the
 * statement's fixed cost (cursors, savepoint journal) once for all. */
#define DB_CHUNK 8

/* ?1 is the key (bound while probing), ?26 the point string. */
static const char ins_point_sql[] =
    "INSERT OR IGNORE INTO point(key, run_id, params, macs, cycles, conflicts,"
    " stall_cycles, dram_bytes, area_mm2, energy_pj, power_mw, throughput_fps, area_eff,"
    " energy_eff, utilization, err_upper, err_lower, format, pes, lanes, banks, bits,"
    " freq_mhz, valid, reason, point) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
    " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";

/* Binds every column of r but the key: parameters o + 2 .. o + 26 (o = 0
 * for ins_point_sql, 26 k for row k of a chunk). */
static void bind_row(sqlite3_stmt *st, int o, int64_t run_id, const db_row *r, size_t len)
{
    sqlite3_bind_text(st, o + 26, r->point, len <= INT32_MAX ? (int)len : -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, o + 2, run_id);
    bind_count(st, o + 3, r->params);
    bind_count(st, o + 4, r->macs);
    bind_count(st, o + 5, r->cycles);
    bind_count(st, o + 6, r->conflicts);
    bind_count(st, o + 7, r->stall_cycles);
    bind_count(st, o + 8, r->dram_bytes);
    bind_real(st, o + 9, r->area_mm2);
    bind_real(st, o + 10, r->energy_pj);
    bind_real(st, o + 11, r->power_mw);
    bind_real(st, o + 12, r->throughput_fps);
    bind_real(st, o + 13, r->area_eff);
    bind_real(st, o + 14, r->energy_eff);
    bind_real(st, o + 15, r->utilization);
    bind_real(st, o + 16, r->err_upper);
    bind_real(st, o + 17, r->err_lower);
    bind_text(st, o + 18, r->format);
    bind_desc(st, o + 19, r->pes);
    bind_desc(st, o + 20, r->lanes);
    bind_desc(st, o + 21, r->banks);
    bind_desc(st, o + 22, r->bits);
    bind_real(st, o + 23, r->freq_mhz);
    sqlite3_bind_int(st, o + 24, r->valid != 0);
    bind_text(st, o + 25, r->reason);
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
            return cm_fail(err, errlen, "out of memory");
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
            return cm_fail(err, errlen, "%s: point '%s': component without a name", d->path,
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
            return cm_fail(err, errlen, "%s: point '%s': component '%s' given twice", d->path,
                        r->point, cp->name);
        if (rc != SQLITE_DONE)
            return sqlfail(d, err, errlen, "cannot store a breakdown");
    }
    return 0;
}

static int insert_point_key(db_conn *d, sqlite3_stmt *ins, const char *point, int64_t key,
                            int64_t *id, char *err, size_t errlen);
static int probe(db_conn *d, const char *point, int64_t k, int *found, int64_t *id,
                 int64_t *free_key, char *err, size_t errlen);

static int keyed_before(const keyed_row *p, const keyed_row *q)
{
    return p->key < q->key || (p->key == q->key && p->i < q->i);
}

/* Stable bottom-up merge sort of a[0..n-1] by (key, i), tmp as large; the
 * result ends in a. */
static void sort_keyed(keyed_row *a, keyed_row *tmp, size_t n)
{
    keyed_row *src = a, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = keyed_before(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        keyed_row *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* The rows in key order (ties: as given), into d->order. */
static int order_rows(db_conn *d, const db_row *rows, size_t n, char *err, size_t errlen)
{
    if (n > d->order_cap) {
        keyed_row *o = realloc(d->order, 2 * n * sizeof *o); /* and the sort's room */
        if (!o)
            return cm_fail(err, errlen, "out of memory (batch of %zu rows)", n);
        d->order = o;
        d->order_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        const db_row *r = &rows[i];
        if (!r->point || !*r->point)
            return cm_fail(err, errlen, "%s: row %zu has an empty point string", d->path, i);
        if (r->ncomp < 0 || (r->ncomp > 0 && !r->comp))
            return cm_fail(err, errlen, "%s: point '%s': bad breakdown", d->path, r->point);
        size_t len = strlen(r->point);
        d->order[i] = (keyed_row){key_of(d, r->point, len), i, len};
    }
    sort_keyed(d->order, d->order + d->order_cap, n);
    return 0;
}

/* The largest point id (0: none). */
static int max_point_id(db_conn *d, int64_t *id, char *err, size_t errlen)
{
    if (prepare(d, &d->max_id, "SELECT max(id) FROM point", err, errlen))
        return -1;
    int rc = sqlite3_step(d->max_id);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(d->max_id, 0) : 0;
    sqlite3_reset(d->max_id);
    return rc == SQLITE_ROW ? 0 : sqlfail(d, err, errlen, "cannot read the point ids");
}

/* The multi-row statement of DB_CHUNK rows, prepared once per connection. */
static int prepare_chunk(db_conn *d, char *err, size_t errlen)
{
    if (d->ins_chunk)
        return 0;
    const char *vals = strstr(ins_point_sql, " VALUES");
    size_t head = (size_t)(vals - ins_point_sql), cap = head + 16 + DB_CHUNK * 26 * 3;
    char *sql = malloc(cap);
    if (!sql)
        return cm_fail(err, errlen, "out of memory");
    memcpy(sql, ins_point_sql, head);
    size_t len = head + (size_t)snprintf(sql + head, cap - head, " VALUES ");
    for (int k = 0; k < DB_CHUNK; k++) {
        sql[len++] = k ? ',' : '(';
        if (k)
            sql[len++] = '(';
        for (int c = 0; c < 26; c++) {
            sql[len++] = '?';
            sql[len++] = c < 25 ? ',' : ')';
        }
    }
    sql[len] = '\0';
    int rc = prepare(d, &d->ins_chunk, sql, err, errlen);
    free(sql);
    return rc;
}

/*
 * Rows order[j .. j + DB_CHUNK - 1] through one multi-row INSERT OR IGNORE.
 * All new (the usual case): their ids are base + 1, ... in that order.
 * Otherwise each row is settled by probing: stored now (an id above base
 * that no row of the chunk has claimed yet), stored before, or its key taken
 * by another string (inserted alone at the next free key).
 */
static int insert_chunk(db_conn *d, int64_t run_id, const db_row *rows, size_t j,
                        int64_t *base, size_t *ninserted, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->ins_chunk;
    const keyed_row *o = d->order + j;
    for (int k = 0; k < DB_CHUNK; k++) {
        sqlite3_bind_int64(st, 26 * k + 1, o[k].key);
        bind_row(st, 26 * k, run_id, &rows[o[k].i], o[k].len);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot store a point");
    int64_t ids[DB_CHUNK];
    int inserted[DB_CHUNK], all = sqlite3_changes(d->h) == DB_CHUNK;
    if (all) {
        for (int k = 0; k < DB_CHUNK; k++) {
            ids[k] = *base + 1 + k;
            inserted[k] = 1;
        }
    } else {
        for (int k = 0; k < DB_CHUNK; k++) {
            const db_row *r = &rows[o[k].i];
            int found;
            int64_t id = 0, free_key;
            if (probe(d, r->point, o[k].key, &found, &id, &free_key, err, errlen))
                return -1;
            inserted[k] = 0;
            if (found) {
                int claimed = id <= *base;
                for (int q = 0; q < k && !claimed; q++)
                    claimed = inserted[q] && ids[q] == id;
                inserted[k] = !claimed; /* else stored before, or earlier in rows */
            } else {
                bind_row(d->ins_point, 0, run_id, r, o[k].len);
                if (insert_point_key(d, d->ins_point, r->point, free_key, &id, err, errlen) < 0)
                    return -1;
                inserted[k] = 1;
            }
            ids[k] = id;
        }
    }
    for (int k = 0; k < DB_CHUNK; k++) {
        if (!inserted[k])
            continue;
        ++*ninserted;
        const db_row *r = &rows[o[k].i];
        if (r->ncomp && insert_breakdown(d, ids[k], r, err, errlen))
            return -1;
    }
    if (all) {
        *base += DB_CHUNK;
        return 0;
    }
    return max_point_id(d, base, err, errlen);
}

static int insert_rows(db_conn *d, int64_t run_id, const db_row *rows, size_t n,
                       size_t *ninserted, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->ins_point;
    int64_t base = 0;
    if (order_rows(d, rows, n, err, errlen))
        return -1;
    if (n >= DB_CHUNK && (prepare_chunk(d, err, errlen) || max_point_id(d, &base, err, errlen)))
        return -1;
    size_t j = 0;
    for (; j + DB_CHUNK <= n; j += DB_CHUNK)
        if (insert_chunk(d, run_id, rows, j, &base, ninserted, err, errlen))
            return -1;
    for (; j < n; j++) {
        const db_row *r = &rows[d->order[j].i];
        bind_row(st, 0, run_id, r, d->order[j].len);
        int64_t id;
        int rc = insert_point_key(d, st, r->point, d->order[j].key, &id, err, errlen);
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
        if (sqlite3_get_autocommit(d->h))
            d->pending = 0; /* SQLite rolled the whole transaction back (disk full...) */
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

/* ---- bulk inserts: db_writer ---- */

#define NO_OFF ((size_t)-1)

/* One batch of copied rows.  Strings live in arena; rows hold offsets
 * (off[3 i + 0..2]: point, format, reason) until the batch is stored. */
typedef struct wbatch {
    struct wbatch *next;
    int n;
    db_row *rows;
    size_t *off;
    int *comp0;             /* first component of row i in comps */
    db_comp *comps;
    size_t *name_off;       /* of comps[j].name */
    size_t ncomp, comp_cap;
    char *arena;
    size_t alen, acap;
} wbatch;

struct db_writer {
    db_conn *d;
    int64_t run_id;
    int batch, threaded, queue;
    wbatch *cur;            /* being filled by the caller */
    /* shared with the writer thread: under mu */
    pthread_mutex_t mu;
    pthread_cond_t work;    /* to the writer: a batch, a flush request, closing */
    pthread_cond_t done;    /* to the caller: room in the queue, a flush done */
    pthread_t thread;
    int started, closing, failed;
    wbatch *head, *tail, *spare;
    int queued;
    uint64_t flush_req, flush_done, stored;
    double cpu;
    char err[512];
};

static void wbatch_free(wbatch *b)
{
    if (!b)
        return;
    free(b->rows);
    free(b->off);
    free(b->comp0);
    free(b->comps);
    free(b->name_off);
    free(b->arena);
    free(b);
}

static wbatch *wbatch_new(int n)
{
    wbatch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->rows = malloc((size_t)n * sizeof *b->rows);
    b->off = malloc(3 * (size_t)n * sizeof *b->off);
    b->comp0 = malloc((size_t)n * sizeof *b->comp0);
    b->acap = (size_t)n * 256;
    b->arena = malloc(b->acap);
    if (!b->rows || !b->off || !b->comp0 || !b->arena) {
        wbatch_free(b);
        return NULL;
    }
    return b;
}

/* Copies s (NULL: NO_OFF) into the arena; -1 when out of memory. */
static int arena_put(wbatch *b, const char *s, size_t *off)
{
    if (!s) {
        *off = NO_OFF;
        return 0;
    }
    size_t len = strlen(s) + 1;
    if (b->alen + len > b->acap) {
        size_t cap = 2 * (b->alen + len);
        char *a = realloc(b->arena, cap);
        if (!a)
            return -1;
        b->arena = a;
        b->acap = cap;
    }
    memcpy(b->arena + b->alen, s, len);
    *off = b->alen;
    b->alen += len;
    return 0;
}

static int copy_row(wbatch *b, const db_row *r)
{
    int i = b->n;
    db_row *c = &b->rows[i];
    *c = *r;
    c->point = c->format = c->reason = NULL;
    c->comp = NULL;
    if (arena_put(b, r->point, &b->off[3 * i]) || arena_put(b, r->format, &b->off[3 * i + 1]) ||
        arena_put(b, r->reason, &b->off[3 * i + 2]))
        return -1;
    b->comp0[i] = (int)b->ncomp;
    if (r->ncomp > 0 && r->comp) {
        if (b->ncomp + (size_t)r->ncomp > b->comp_cap) {
            size_t cap = 2 * (b->ncomp + (size_t)r->ncomp);
            db_comp *cp = realloc(b->comps, cap * sizeof *cp);
            if (!cp)
                return -1;
            b->comps = cp;
            size_t *no = realloc(b->name_off, cap * sizeof *no);
            if (!no)
                return -1;
            b->name_off = no;
            b->comp_cap = cap;
        }
        for (int k = 0; k < r->ncomp; k++) {
            b->comps[b->ncomp] = r->comp[k];
            b->comps[b->ncomp].name = NULL;
            if (arena_put(b, r->comp[k].name, &b->name_off[b->ncomp]))
                return -1;
            b->ncomp++;
        }
    }
    b->n++;
    return 0;
}

static const char *at(const wbatch *b, size_t off) { return off == NO_OFF ? NULL : b->arena + off; }

/* db_insert_batch of a batch (pointers resolved first), then empties it. */
static int store_batch(db_conn *d, int64_t run_id, wbatch *b, size_t *ins, char *err,
                       size_t errlen)
{
    for (size_t j = 0; j < b->ncomp; j++)
        b->comps[j].name = at(b, b->name_off[j]);
    for (int i = 0; i < b->n; i++) {
        db_row *r = &b->rows[i];
        r->point = at(b, b->off[3 * i]);
        r->format = at(b, b->off[3 * i + 1]);
        r->reason = at(b, b->off[3 * i + 2]);
        r->comp = r->ncomp > 0 ? b->comps + b->comp0[i] : NULL;
    }
    int rc = db_insert_batch(d, run_id, b->rows, (size_t)b->n, ins, err, errlen);
    b->n = 0;
    b->alen = 0;
    b->ncomp = 0;
    return rc;
}

static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static struct timespec mono_after(double s)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double ns = (double)t.tv_nsec + s * 1e9;
    t.tv_sec += (time_t)(ns / 1e9);
    t.tv_nsec = (long)fmod(ns, 1e9);
    return t;
}

/* The writer thread: batches in queue order; flush requests once the queue
 * is empty; a commit after a quarter interval idle. */
static void *writer_main(void *arg)
{
    db_writer *w = arg;
    db_conn *d = w->d;
    char err[512];
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (w->head) {
            wbatch *b = w->head;
            w->head = b->next;
            if (!w->head)
                w->tail = NULL;
            w->queued--;
            int skip = w->failed;
            pthread_mutex_unlock(&w->mu);
            size_t ins = 0;
            int rc = 0;
            if (skip) {
                b->n = 0;
                b->alen = b->ncomp = 0;
            } else {
                rc = store_batch(d, w->run_id, b, &ins, err, sizeof err);
            }
            pthread_mutex_lock(&w->mu);
            if (rc && !w->failed) {
                w->failed = 1;
                snprintf(w->err, sizeof w->err, "%s", err);
            }
            w->stored += ins;
            w->cpu = thread_cpu_s();
            b->next = w->spare;
            w->spare = b;
            pthread_cond_broadcast(&w->done);
            continue;
        }
        if (w->flush_done != w->flush_req) {
            uint64_t req = w->flush_req;
            int skip = w->failed;
            pthread_mutex_unlock(&w->mu);
            int rc = skip ? 0 : db_flush(d, err, sizeof err);
            pthread_mutex_lock(&w->mu);
            if (rc && !w->failed) {
                w->failed = 1;
                snprintf(w->err, sizeof w->err, "%s", err);
            }
            w->flush_done = req;
            w->cpu = thread_cpu_s();
            pthread_cond_broadcast(&w->done);
            continue;
        }
        if (w->closing)
            break;
        if (d->pending && d->commit_every > 0) {
            struct timespec until = mono_after(d->commit_every / 4);
            int rc = pthread_cond_timedwait(&w->work, &w->mu, &until);
            if (rc == ETIMEDOUT && !w->head && w->flush_done == w->flush_req && !w->failed &&
                d->pending) {
                pthread_mutex_unlock(&w->mu);
                rc = db_flush(d, err, sizeof err);
                pthread_mutex_lock(&w->mu);
                if (rc && !w->failed) {
                    w->failed = 1;
                    snprintf(w->err, sizeof w->err, "%s", err);
                }
            }
        } else {
            pthread_cond_wait(&w->work, &w->mu);
        }
    }
    w->cpu = thread_cpu_s();
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int db_writer_open(db_conn *d, int64_t run_id, const db_writer_opts *o, db_writer **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    db_writer *w = calloc(1, sizeof *w);
    if (!w)
        return cm_fail(err, errlen, "out of memory");
    w->d = d;
    w->run_id = run_id;
    w->batch = o && o->batch > 0 ? o->batch : DB_BATCH;
    w->threaded = o && o->threaded;
    w->queue = o && o->queue > 0 ? o->queue : 4;
    if (!(w->cur = wbatch_new(w->batch))) {
        int n = w->batch;
        free(w);
        return cm_fail(err, errlen, "out of memory (batch of %d rows)", n);
    }
    if (!w->threaded) {
        *out = w;
        return 0;
    }
    pthread_condattr_t ca;
    int ok = pthread_mutex_init(&w->mu, NULL) == 0;
    if (ok && pthread_condattr_init(&ca) == 0) {
        ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&w->work, &ca) == 0;
        ok = ok && pthread_cond_init(&w->done, NULL) == 0;
        pthread_condattr_destroy(&ca);
    } else {
        ok = 0;
    }
    /* Signals go to the caller's threads: the writer runs with all blocked. */
    sigset_t all, old;
    sigfillset(&all);
    if (ok && pthread_sigmask(SIG_BLOCK, &all, &old) == 0) {
        ok = pthread_create(&w->thread, NULL, writer_main, w) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    } else {
        ok = 0;
    }
    if (!ok) {
        wbatch_free(w->cur);
        free(w);
        return cm_fail(err, errlen, "cannot start the writer thread");
    }
    w->started = 1;
    *out = w;
    return 0;
}

/* Hands the current batch to the writer thread (waits for room). */
static int submit(db_writer *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    while (w->queued >= w->queue && !w->failed)
        pthread_cond_wait(&w->done, &w->mu);
    if (w->failed) {
        cm_fail(err, errlen, "%s", w->err);
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    wbatch *b = w->cur;
    b->next = NULL;
    if (w->tail)
        w->tail->next = b;
    else
        w->head = b;
    w->tail = b;
    w->queued++;
    wbatch *next = w->spare;
    if (next)
        w->spare = next->next;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    if (!next && !(next = wbatch_new(w->batch))) {
        w->cur = NULL;
        return cm_fail(err, errlen, "out of memory (batch of %d rows)", w->batch);
    }
    w->cur = next;
    return 0;
}

int db_writer_add(db_writer *w, const db_row *row, char *err, size_t errlen)
{
    if (!w->threaded && w->failed)
        return cm_fail(err, errlen, "%s", w->err);
    if (!w->cur)
        return cm_fail(err, errlen, "out of memory");
    if (copy_row(w->cur, row))
        return cm_fail(err, errlen, "out of memory (copying a row)");
    if (w->cur->n < w->batch)
        return 0;
    if (w->threaded)
        return submit(w, err, errlen);
    size_t ins = 0;
    if (store_batch(w->d, w->run_id, w->cur, &ins, w->err, sizeof w->err)) {
        w->failed = 1;
        return cm_fail(err, errlen, "%s", w->err);
    }
    w->stored += ins;
    return 0;
}

int db_writer_flush(db_writer *w, char *err, size_t errlen)
{
    if (!w->threaded) {
        size_t ins = 0;
        if (!w->failed && w->cur && w->cur->n &&
            store_batch(w->d, w->run_id, w->cur, &ins, w->err, sizeof w->err))
            w->failed = 1;
        w->stored += ins;
        if (!w->failed && db_flush(w->d, w->err, sizeof w->err))
            w->failed = 1;
        return w->failed ? cm_fail(err, errlen, "%s", w->err) : 0;
    }
    if (w->cur && w->cur->n && submit(w, err, errlen))
        return -1;
    pthread_mutex_lock(&w->mu);
    uint64_t req = ++w->flush_req;
    pthread_cond_signal(&w->work);
    while (w->flush_done < req)
        pthread_cond_wait(&w->done, &w->mu);
    int rc = w->failed ? cm_fail(err, errlen, "%s", w->err) : 0;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int db_writer_close(db_writer *w, char *err, size_t errlen)
{
    if (!w)
        return 0;
    int rc = db_writer_flush(w, err, errlen);
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->closing = 1;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->done);
    }
    for (wbatch *b = w->head, *n; b; b = n) {
        n = b->next;
        wbatch_free(b);
    }
    for (wbatch *b = w->spare, *n; b; b = n) {
        n = b->next;
        wbatch_free(b);
    }
    wbatch_free(w->cur);
    free(w);
    return rc;
}

uint64_t db_writer_stored(db_writer *w)
{
    if (!w->threaded)
        return w->stored;
    pthread_mutex_lock(&w->mu);
    uint64_t n = w->stored;
    pthread_mutex_unlock(&w->mu);
    return n;
}

double db_writer_cpu_s(db_writer *w)
{
    if (!w->threaded)
        return 0;
    pthread_mutex_lock(&w->mu);
    double c = w->cpu;
    pthread_mutex_unlock(&w->mu);
    return c;
}

/* Version 1 key: FNV-1a 64 of the string, the murmur3 finalizer, >> 1. */
static int64_t key_v1(const char *point)
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

static uint64_t rotl64(uint64_t x, int r) { return x << r | x >> (64 - r); }

static uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* Little-endian 8 bytes, whatever the host (compilers make it one load). */
static uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/* 64-bit hash of n bytes: MurmurHash3 x64's mixing on one lane of
 * little-endian words, its finalizer at the end (8 bytes a step: a few
 * times faster than FNV over point strings). */
static uint64_t hash64(const unsigned char *p, size_t n, uint64_t seed)
{
    const uint64_t c1 = 0x87c37b91114253d5ull, c2 = 0x4cf5ad432745937full;
    uint64_t h = seed, k;
    size_t len = n;
    for (; n >= 8; p += 8, n -= 8) {
        k = rotl64(load_le64(p) * c1, 31) * c2;
        h = rotl64(h ^ k, 27) * 5 + 0x52dce729;
    }
    k = 0;
    for (size_t i = 0; i < n; i++)
        k |= (uint64_t)p[i] << (8 * i);
    h ^= rotl64(k * c1, 31) * c2;
    return fmix64(h ^ (uint64_t)len);
}

/* Version 2 key (db.h): 31 bits of the part before the last '/', 32 of the
 * rest seeded with the former. */
static int64_t key_v2(const char *point, size_t len)
{
    const unsigned char *p = (const unsigned char *)point;
    const char *slash = strrchr(point, '/');
    size_t cut = slash ? (size_t)(slash - point) : 0; /* the '/' goes with the rest */
    uint64_t hi = hash64(p, cut, 0x46444854u);
    uint64_t lo = hash64(p + cut, len - cut, hi);
    return (int64_t)((hi >> 33) << 32 | lo >> 32);
}

int64_t db_point_key(const char *point) { return key_v2(point, strlen(point)); }

static int64_t key_of(const db_conn *d, const char *point, size_t len)
{
    return d->version == 1 ? key_v1(point) : key_v2(point, len);
}

static int64_t next_key(int64_t k) { return k == INT64_MAX ? 0 : k + 1; }

/*
 * Probes from key k (the point's key): *found = 1 and *id when the string is
 * stored at one; otherwise *found = 0 and *free_key is the first key not in
 * use.
 */
static int probe(db_conn *d, const char *point, int64_t k, int *found, int64_t *id,
                 int64_t *free_key, char *err, size_t errlen)
{
    if (prepare(d, &d->key_point, "SELECT id, point FROM point WHERE key = ?1", err, errlen))
        return -1;
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
    return insert_point_key(d, ins, point, key_of(d, point, strlen(point)), id, err, errlen);
}

static int insert_point_key(db_conn *d, sqlite3_stmt *ins, const char *point, int64_t key,
                            int64_t *id, char *err, size_t errlen)
{
    /* Fast path: the hash key is free (the usual case of a new point). */
    sqlite3_bind_int64(ins, 1, key);
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
    if (probe(d, point, key, &found, id, &k, err, errlen))
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
    if (probe(d, point, key_of(d, point, strlen(point)), &found, id ? id : &tmp, &k, err,
              errlen))
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
        return cm_fail(err, errlen, "accuracy needs a point, a dataset and a finite value");
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

/* ---- trained accuracy ---- */

static void bind_train_key(sqlite3_stmt *st, const db_train_row *r)
{
    sqlite3_bind_text(st, 1, r->net, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->data_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, r->epochs);
    sqlite3_bind_int(st, 4, r->batch);
    sqlite3_bind_double(st, 5, r->lr);
    sqlite3_bind_int64(st, 6, (int64_t)r->seed);
}

int db_put_train(db_conn *d, const db_train_row *r, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO train(net, data_hash, epochs, batch, lr, seed, dataset, clips,"
        " params, test_accuracy, test_loss, train_accuracy, val_accuracy, seconds,"
        " tool_version, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?14, ?15, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
    if (!r->net || !*r->net || !r->dataset || !r->data_hash || !isfinite(r->test_accuracy))
        return cm_fail(err, errlen, "a trained accuracy needs a network, a data set and a value");
    sqlite3_stmt *st = NULL;
    if (db_begin(d, err, errlen))
        return -1;
    if (prepare(d, &st, sql, err, errlen))
        goto bad;
    bind_train_key(st, r);
    sqlite3_bind_text(st, 7, r->dataset, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, r->clips);
    sqlite3_bind_int64(st, 9, r->params);
    sqlite3_bind_double(st, 10, r->test_accuracy);
    bind_real(st, 11, r->test_loss);
    bind_real(st, 12, r->train_accuracy);
    bind_real(st, 13, r->val_accuracy);
    bind_real(st, 14, r->seconds);
    sqlite3_bind_text(st, 15, db_tool_version(), -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        sqlfail(d, err, errlen, "cannot store a trained accuracy");
        goto bad;
    }
    sqlite3_finalize(st);
    return db_commit(d, err, errlen);
bad:
    sqlite3_finalize(st);
    db_rollback(d);
    return -1;
}

int db_get_train(db_conn *d, const db_train_row *key, double *acc, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (prepare(d, &st, "SELECT test_accuracy FROM train WHERE net = ?1 AND data_hash = ?2"
                        " AND epochs = ?3 AND batch = ?4 AND lr = ?5 AND seed = ?6",
                err, errlen))
        return -1;
    bind_train_key(st, key);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
    if (found)
        *acc = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sqlfail(d, err, errlen, "cannot read trained accuracies");
    return found;
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
        return cm_fail(err, errlen, "%s: no table or view '%s'", d->path, relation);
    *cols = c;
    *n = cnt;
    return 0;
oom:
    sqlite3_finalize(st);
    db_columns_free(c, cnt);
    return cm_fail(err, errlen, "out of memory");
}

static char *json_quote(const char *s)
{
    strbuf b = {0};
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
    strbuf b = {0};
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
