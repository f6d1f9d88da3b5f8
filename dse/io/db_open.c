/*
 * db_open.c - opening a results database (db.h): checking the file before
 * anything is written (SQLite? ours? this schema version?), creating the
 * schema on a new file, tuning the connection, and the transactions of the
 * module and of its callers (db_begin, db_flush ...).  Also the error
 * helpers of the module (db_int.h), which tell a full disk or a file size
 * limit from other failures.
 *
 * Safety comes from checking the file before writing, and from BEGIN
 * IMMEDIATE, so that concurrent writers queue on the busy timeout instead
 * of failing with "database is locked".  A file that db_open creates but
 * cannot make a database (a full disk) is removed again, never one that
 * was there before.
 */
#include "db_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#define DB_OPEN_TRIES 3   /* db_open retries a file removed under it (create_schema) */
#define DB_MOVED (-3)     /* create_schema: the file was removed meanwhile; open again */

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

int dbi_sqlfail(db_conn *d, char *err, size_t errlen, const char *what)
{
    note_disk(d);
    return cm_fail(err, errlen, "%s: %s: %s%s", d->path, what, disk_cause(d), sqlite3_errmsg(d->h));
}

int dbi_readfail(db_conn *d, char *err, size_t errlen)
{
    return cm_fail(err, errlen, "%s: %s", d->path, sqlite3_errmsg(d->h));
}

const char *db_last_error(db_conn *d) { return sqlite3_errmsg(d->h); }
const char *db_tool_version(void) { return "fdht-dse " DSE_VERSION; }
const char *db_path(const db_conn *d) { return d->path; }

int dbi_exec(db_conn *d, const char *sql, char *err, size_t errlen)
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

int dbi_query_int(db_conn *d, const char *sql, int64_t *v, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
        return dbi_sqlfail(d, err, errlen, "cannot read the database");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot read the database");
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
        return dbi_sqlfail(d, err, errlen, "cannot read the database");
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
static int add_columns(db_conn *d, char *err, size_t errlen);

static int create_schema(db_conn *d, char *err, size_t errlen)
{
    file_kind k;
    int64_t v;
    /* 16 KB pages: shallower trees, faster inserts.  Only effective before
     * the first write, and not inside a transaction. */
    if (dbi_exec(d, "PRAGMA page_size = 16384", err, errlen))
        return -1;
    if (dbi_exec(d, "BEGIN IMMEDIATE", err, errlen))
        return file_moved(d) ? DB_MOVED : -1;
    if (file_moved(d)) {
        db_rollback(d);
        return DB_MOVED;
    }
    if (classify(d, &k, &v, err, errlen))
        goto bad;
    if (k == FILE_OURS) {
        /* A version-2 file made before the columns and tables added since:
         * add the columns, then what the schema adds (every statement is IF
         * NOT EXISTS: tables train, algo, run_point, spectrum), and renew the views,
         * the only objects whose text changed. */
        if (add_columns(d, err, errlen) ||
            dbi_exec(d, "DROP VIEW IF EXISTS results; DROP VIEW IF EXISTS runs;"
                        " DROP VIEW IF EXISTS run_points", err, errlen) ||
            dbi_exec(d, embed_results_sql, err, errlen))
            goto bad;
    } else if (k == FILE_EMPTY) {
        if (dbi_exec(d, embed_results_sql, err, errlen))
            goto bad;
        if (dbi_query_int(d, "PRAGMA user_version", &v, err, errlen))
            goto bad;
        if (v != DB_SCHEMA_VERSION) {
            cm_fail(err, errlen, "%s: schemas/results.sql sets user_version %lld, db.h expects %d",
                 d->path, (long long)v, DB_SCHEMA_VERSION);
            goto bad;
        }
    }
    if (dbi_exec(d, "COMMIT", err, errlen))
        goto bad;
    return 0;
bad:
    db_rollback(d);
    return -1;
}

/* Columns added to version 2 after its first files (schemas/results.sql). */
static const struct {
    const char *table, *column, *type;
} added[] = {
    {"run", "front_points", "INTEGER"}, {"run", "workload", "TEXT"},
    {"point", "latency", "INTEGER"},    {"point", "akey", "INTEGER"},
    {"train", "shared_from", "TEXT"},
};

/* 1 when the column exists, 0 when not, -1 on error. */
static int has_column(db_conn *d, const char *table, const char *column, char *err,
                      size_t errlen)
{
    char sql[192];
    int64_t n = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
             table, column);
    return dbi_query_int(d, sql, &n, err, errlen) ? -1 : n > 0;
}

static int add_columns(db_conn *d, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof added / sizeof added[0]; i++) {
        int has = has_column(d, added[i].table, added[i].column, err, errlen);
        int table = db_has_table(d, added[i].table, err, errlen);
        char sql[192];
        if (has < 0 || table < 0)
            return -1;
        if (!table)
            continue; /* created by the schema, with the column */
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", added[i].table,
                 added[i].column, added[i].type);
        if (!has && dbi_exec(d, sql, err, errlen))
            return -1;
    }
    return 0;
}

/* 1 when the file has every table and column added within version 2
 * (train, algo, run_point, spectrum, the added columns); 0 also when the question
 * cannot be answered (the upgrade then reports the error). */
static int is_current(db_conn *d)
{
    int64_t n = 0;
    if (dbi_query_int(d, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                         " AND name IN ('train', 'algo', 'run_point', 'spectrum')", &n, NULL,
                       0) || n != 4)
        return 0;
    for (size_t i = 0; i < sizeof added / sizeof added[0]; i++)
        if (has_column(d, added[i].table, added[i].column, NULL, 0) != 1)
            return 0;
    return has_column(d, "results", "akey", NULL, 0) == 1 && /* the views' latest text */
           has_column(d, "runs", "stored", NULL, 0) == 1 &&
           has_column(d, "run_points", "point_id", NULL, 0) == 1;
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
        return dbi_exec(d, "PRAGMA mmap_size = 1073741824; PRAGMA temp_store = MEMORY", err, errlen);
    /* Writers: 64 MB of page cache holds the key index of a few million
     * points (appended table pages are not read again); 256 MB measured
     * slower (page faults, bigger commits).  WAL: readers never block the
     * writer; NORMAL: a process crash or kill loses nothing committed, a
     * power loss or OS crash may lose the last transactions but never
     * corrupts the file (a resumed run redoes them).  A rollback journal
     * (DELETE, TRUNCATE) would write a new file's pages once, not twice,
     * and save some of the writer's CPU, but then a reader blocks the
     * writer's commit (and a reader and a writer of one process could wait
     * on each other): WAL stays (docs/SPEC.md, "Merge or not", has the
     * figures).  secure_delete off: Debian's SQLite zeroes the space every
     * page split frees, work for rows dse never deletes. */
    if (dbi_exec(d, "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
                 " PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                 " PRAGMA secure_delete = OFF", err, errlen))
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
    if (!rc && (k == FILE_EMPTY || (k == FILE_OURS && d->mode != DB_READONLY && !is_current(d))))
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
    sqlite3_finalize(d->ins_algo);
    sqlite3_finalize(d->ins_bd);
    sqlite3_finalize(d->key_point);
    sqlite3_finalize(d->ins_comp);
    sqlite3_finalize(d->sel_comp);
    sqlite3_finalize(d->ins_acc);
    sqlite3_finalize(d->ins_chunk);
    sqlite3_finalize(d->max_id);
    sqlite3_finalize(d->point_by_id);
    sqlite3_finalize(d->ins_member);
    sqlite3_finalize(d->ins_members);
    for (int i = 0; i < d->ncomp; i++)
        free(d->comp_name[i]);
    free(d->order);
    sqlite3_close(d->h);
    free(d->path);
    free(d);
}

/* ---- transactions ---- */

double dbi_now_s(void)
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
    if (dbi_exec(d, "COMMIT", err, errlen)) {
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
    return dbi_exec(d, "BEGIN IMMEDIATE", err, errlen);
}

int db_commit(db_conn *d, char *err, size_t errlen)
{
    return dbi_exec(d, "COMMIT", err, errlen);
}

void db_rollback(db_conn *d)
{
    if (!sqlite3_get_autocommit(d->h))
        sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
    d->pending = 0;
    memset(d->algo_seen, 0, sizeof d->algo_seen); /* rolled back with the rest */
}

int dbi_prepare(db_conn *d, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
    if (*st)
        return 0;
    if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return dbi_sqlfail(d, err, errlen, "cannot prepare a statement");
    return 0;
}

int dbi_end(db_conn *d, sqlite3_stmt *st, int ok, char *err, size_t errlen)
{
    sqlite3_finalize(st);
    if (ok)
        return db_commit(d, err, errlen);
    db_rollback(d);
    return -1;
}
