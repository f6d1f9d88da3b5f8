/*
 * test_db.c - the results database API (dse/io/db.h): round trip of runs,
 * points, metrics and breakdowns; a point stored twice is one row; whole
 * batches or nothing; refusal of foreign files and other schema versions
 * without touching them; two writer processes; a killed writer leaves a
 * consistent database; an empty file removed while being made a database
 * is created anew.  test_db_bulk.c holds the bulk path.  Expectations are
 * written out here, not derived from the database module (dse/io/db_*.c).
 */
#include "test_util.h"
#include "test_db_util.h"
#include "test_dbapi_util.h"

#include "db.h"
#include "spec.h"
#include "store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The shared helpers (test_util.h, test_db_util.h) under this file's names. */
#define tmpdir tu_dir
#define path_of(name) tu_path(name)
#define count(path, sql) tu_sql_int(path, sql)

/* A synthetic point with every metric a function of i. */
static void make_row(db_row *r, char *name, size_t len, int i, db_comp *comp)
{
    snprintf(name, len, "ht:8x20x20x18,r=%d,%d/pe=16/b=%d", i % 7 + 1, i % 5 + 1, i);
    db_row_init(r, name);
    r->m[MAP_M_PARAMS] = 1000 + i;
    r->m[MAP_M_MACS] = 5000 + 2 * i;
    r->m[MAP_M_CYCLES] = 300 + i % 11;
    r->m[MAP_M_CONFLICTS] = i % 3;
    r->m[MAP_M_STALLS] = 2 * (i % 3);
    r->m[MAP_M_AREA] = 1.5 + i * 0.25;
    r->m[MAP_M_ENERGY] = 100.0 / (i + 1);
    r->m[MAP_M_THROUGHPUT] = 1e6 / (300 + i % 11);
    r->m[MAP_M_ERR_UPPER] = 0.01 * (i % 9);
    r->banks = 16;
    r->format = "ht";
    if (comp) {
        comp[0] = (db_comp){"mac", 1000.0 + i, 50.0, 5000 + 2 * i};
        comp[1] = (db_comp){"wmem", 2000.0, 25.5 + i, -1};
        comp[2] = (db_comp){"leakage", NAN, 1.25, -1};
        r->ncomp = 3;
        r->comp = comp;
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *p = path_of("rt.db");
    db_conn *d = open_ok(p, DB_CREATE);
    int64_t run = begin_run(d, "h1", 0, 1);
    db_row rows[10];
    char names[10][96];
    db_comp comps[10][3];
    for (int i = 0; i < 10; i++)
        make_row(&rows[i], names[i], sizeof names[i], i, comps[i]);
    rows[3].valid = 0;
    rows[3].reason = "capacity";
    size_t nin = 0;
    char err[512];
    assert_int_equal(db_insert_batch(d, run, rows, 10, &nin, err, sizeof err), 0);
    assert_int_equal(nin, 10);
    assert_int_equal(db_run_end(d, run, "done", err, sizeof err), 0);
    db_close(d);

    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT r.point, r.params, r.macs, r.cycles,"
        " r.conflicts, r.stall_cycles, r.area_mm2, r.energy_pj, r.throughput_fps, r.err_upper,"
        " r.err_lower, r.banks, r.lanes, r.format, r.valid, r.reason, r.run_id, r.dram_bytes,"
        " p.key FROM results r JOIN point p ON p.id = r.id ORDER BY r.id", -1, &st, NULL),
        SQLITE_OK);
    int64_t prev_key = -1;
    int seen[10] = {0};
    for (int n = 0; n < 10; n++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        /* ids follow the keys within a batch */
        int64_t key = sqlite3_column_int64(st, 18);
        assert_true(key > prev_key);
        prev_key = key;
        int i = 0;
        while (i < 10 && strcmp((const char *)sqlite3_column_text(st, 0), names[i]))
            i++;
        assert_true(i < 10 && !seen[i]);
        seen[i] = 1;
        assert_int_equal(key, db_point_key(names[i]));
        assert_int_equal(sqlite3_column_int64(st, 1), 1000 + i);
        assert_int_equal(sqlite3_column_int64(st, 2), 5000 + 2 * i);
        assert_int_equal(sqlite3_column_int64(st, 3), 300 + i % 11);
        assert_int_equal(sqlite3_column_int64(st, 4), i % 3);
        assert_int_equal(sqlite3_column_int64(st, 5), 2 * (i % 3));
        assert_true(sqlite3_column_double(st, 6) == 1.5 + i * 0.25);
        assert_true(sqlite3_column_double(st, 7) == 100.0 / (i + 1));
        assert_true(sqlite3_column_double(st, 8) == 1e6 / (300 + i % 11));
        assert_true(sqlite3_column_double(st, 9) == 0.01 * (i % 9));
        assert_int_equal(sqlite3_column_type(st, 10), SQLITE_NULL); /* NaN */
        assert_int_equal(sqlite3_column_int(st, 11), 16);
        assert_int_equal(sqlite3_column_type(st, 12), SQLITE_NULL); /* 0 descriptor */
        assert_string_equal((const char *)sqlite3_column_text(st, 13), "ht");
        assert_int_equal(sqlite3_column_int(st, 14), i == 3 ? 0 : 1);
        if (i == 3)
            assert_string_equal((const char *)sqlite3_column_text(st, 15), "capacity");
        else
            assert_int_equal(sqlite3_column_type(st, 15), SQLITE_NULL);
        assert_int_equal(sqlite3_column_int64(st, 16), run);
        assert_int_equal(sqlite3_column_type(st, 17), SQLITE_NULL); /* count -1 */
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    /* Breakdowns of point 4 through the view. */
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT component, area_um2, energy_pj, accesses"
        " FROM breakdowns WHERE point = ?1 ORDER BY component", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, names[4], -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "leakage");
    assert_int_equal(sqlite3_column_type(st, 1), SQLITE_NULL);
    assert_true(sqlite3_column_double(st, 2) == 1.25);
    assert_int_equal(sqlite3_column_type(st, 3), SQLITE_NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "mac");
    assert_true(sqlite3_column_double(st, 1) == 1004.0);
    assert_int_equal(sqlite3_column_int64(st, 3), 5008);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wmem");
    assert_true(sqlite3_column_double(st, 2) == 29.5);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    /* The run. */
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT status, seed, spec_hash, tech_name,"
        " ended IS NOT NULL, length(uuid), tool_version FROM run", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "done");
    assert_int_equal(sqlite3_column_int64(st, 1), 42);
    assert_string_equal((const char *)sqlite3_column_text(st, 2), "h1");
    assert_string_equal((const char *)sqlite3_column_text(st, 3), "tech28");
    assert_int_equal(sqlite3_column_int(st, 4), 1);
    assert_int_equal(sqlite3_column_int(st, 5), 32);
    assert_string_equal((const char *)sqlite3_column_text(st, 6), db_tool_version());
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_int_equal(count(p, "PRAGMA user_version"), DB_SCHEMA_VERSION);
    assert_int_equal(count(p, "PRAGMA application_id"), DB_APPLICATION_ID);
    assert_int_equal(count(p, "SELECT count(*) FROM breakdown"), 30);
}

static int collect(const char *point, void *ctx)
{
    int *n = ctx;
    (void)point;
    ++*n;
    return 0;
}

static int stop_at_two(const char *point, void *ctx)
{
    int *n = ctx;
    (void)point;
    return ++*n == 2 ? 7 : 0;
}

static void test_point_stored_once(void **state)
{
    (void)state;
    const char *p = path_of("once.db");
    db_conn *d = open_ok(p, DB_CREATE);
    int64_t r1 = begin_run(d, "h", 0, 1), r2 = begin_run(d, "h", 0, 1);
    db_row rows[4];
    char names[4][96];
    db_comp comps[4][3];
    for (int i = 0; i < 4; i++)
        make_row(&rows[i], names[i], sizeof names[i], i % 2, comps[i]); /* 0,1,0,1 */
    rows[2].m[MAP_M_AREA] = 99; /* a later copy with other metrics: ignored */
    size_t nin;
    char err[512];
    assert_int_equal(db_insert_batch(d, r1, rows, 4, &nin, err, sizeof err), 0);
    assert_int_equal(nin, 2);
    assert_int_equal(db_insert_batch(d, r2, rows, 4, &nin, err, sizeof err), 0);
    assert_int_equal(nin, 0);
    assert_int_equal(db_has_point(d, names[1], err, sizeof err), 1);
    assert_int_equal(db_has_point(d, "nope", err, sizeof err), 0);
    int64_t n;
    assert_int_equal(db_point_count(d, 0, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(db_point_count(d, r1, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    /* r2 evaluated both again: they are its points too (run_point), none
     * stored by it */
    assert_int_equal(db_point_count(d, r2, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    int cnt = 0;
    assert_int_equal(db_each_point(d, r1, collect, &cnt, err, sizeof err), 0);
    assert_int_equal(cnt, 2);
    cnt = 0;
    assert_int_equal(db_each_point(d, 0, stop_at_two, &cnt, err, sizeof err), 7);
    int64_t found = 0;
    assert_int_equal(db_run_find(d, "h", 0, 1, &found, err, sizeof err), 1);
    assert_int_equal(found, r2);
    assert_int_equal(db_run_find(d, "h", 1, 2, &found, err, sizeof err), 0);
    db_close(d);
    assert_int_equal(count(p, "SELECT count(*) FROM point"), 2);
    assert_int_equal(count(p, "SELECT count(*) FROM breakdown"), 6);
    assert_int_equal(count(p, "SELECT count(*) FROM point WHERE area_mm2 = 99"), 0);
    assert_int_equal(count(p, "SELECT count(*) FROM point WHERE run_id = 2"), 0);
    assert_int_equal(count(p, "SELECT count(*) FROM run_point WHERE run_id = 2"), 2);
    assert_int_equal(count(p, "SELECT count(*) FROM run_point WHERE run_id = 1"), 0);
}

static void test_batch_all_or_nothing(void **state)
{
    (void)state;
    const char *p = path_of("atomic.db");
    db_conn *d = open_ok(p, DB_CREATE);
    int64_t run = begin_run(d, "h", 0, 1);
    db_row rows[3];
    char names[3][96];
    db_comp comps[3][3];
    for (int i = 0; i < 3; i++)
        make_row(&rows[i], names[i], sizeof names[i], i, comps[i]);
    comps[2][2].name = "mac"; /* a component given twice: the batch fails */
    char err[512] = "";
    size_t nin = 99;
    assert_int_equal(db_insert_batch(d, run, rows, 3, &nin, err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
    int64_t n;
    assert_int_equal(db_point_count(d, 0, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    /* The component-id cache must not keep ids of the rolled-back batch. */
    comps[2][2].name = "leakage";
    assert_int_equal(db_insert_batch(d, run, rows, 3, &nin, err, sizeof err), 0);
    assert_int_equal(nin, 3);
    db_row empty;
    db_row_init(&empty, "");
    assert_int_equal(db_insert_batch(d, run, &empty, 1, &nin, err, sizeof err), -1);
    /* Inside a caller's transaction: a savepoint, the caller decides. */
    assert_int_equal(db_begin(d, err, sizeof err), 0);
    make_row(&rows[0], names[0], sizeof names[0], 50, NULL);
    assert_int_equal(db_insert_batch(d, run, rows, 1, &nin, err, sizeof err), 0);
    db_rollback(d);
    db_close(d);
    assert_int_equal(count(p, "SELECT count(*) FROM point"), 3);
    assert_int_equal(count(p, "SELECT count(*) FROM component"), 3);
    assert_integrity(p);
}

/* Whole-file bytes and mtime, to prove a refused file was not touched. */
typedef struct {
    char *bytes;
    size_t len;
    struct timespec mtime;
} snapshot;

static snapshot snap(const char *path)
{
    snapshot s = {0};
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    s.mtime = sb.st_mtim;
    s.len = (size_t)sb.st_size;
    s.bytes = malloc(s.len + 1);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(s.bytes, 1, s.len, f), s.len);
    fclose(f);
    return s;
}

static void assert_unchanged(const char *path, snapshot *before)
{
    snapshot now = snap(path);
    assert_int_equal(now.len, before->len);
    assert_memory_equal(now.bytes, before->bytes, now.len);
    assert_int_equal(now.mtime.tv_sec, before->mtime.tv_sec);
    assert_int_equal(now.mtime.tv_nsec, before->mtime.tv_nsec);
    free(now.bytes);
}

static void refused(const char *path, const char *msg)
{
    snapshot s = snap(path);
    for (int m = DB_READONLY; m <= DB_CREATE; m++) {
        char err[512] = "";
        db_conn *d = (db_conn *)1;
        assert_int_equal(db_open(path, (db_mode)m, &d, err, sizeof err), -1);
        assert_null(d);
        if (!strstr(err, msg))
            fprintf(stderr, "message: %s\n", err);
        assert_non_null(strstr(err, msg));
    }
    assert_unchanged(path, &s);
    free(s.bytes);
}

static void test_other_schema_version_refused(void **state)
{
    (void)state;
    const char *p = path_of("v99.db");
    db_conn *d = open_ok(p, DB_CREATE);
    db_close(d);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    refused(p, "another schema version");
}

static void test_foreign_files_refused(void **state)
{
    (void)state;
    const char *txt = path_of("notes.txt");
    FILE *f = fopen(txt, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fprintf(f, "this is not a database, line %d\n", i);
    fclose(f);
    refused(txt, "not an SQLite database");

    const char *other = path_of("other.db");
    sqlite3 *h;
    assert_int_equal(sqlite3_open(other, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(h);
    refused(other, "not an FDHT-DSE results database");
}

static void test_missing_not_created(void **state)
{
    (void)state;
    const char *p = path_of("missing.db");
    char err[512];
    db_conn *d;
    assert_int_equal(db_open(p, DB_READONLY, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "no such database"));
    assert_int_equal(db_open(p, DB_WRITE, &d, err, sizeof err), -1);
    assert_int_equal(access(p, F_OK), -1);
    /* An empty file is not a results database for the read-only modes. */
    FILE *f = fopen(p, "w");
    fclose(f);
    assert_int_equal(db_open(p, DB_READONLY, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    d = open_ok(p, DB_CREATE); /* but may become one */
    db_close(d);
    d = open_ok(p, DB_READONLY);
    db_close(d);
    assert_int_equal(db_open(tmpdir, DB_READONLY, &d, err, sizeof err), -1);
}

static void test_accuracy(void **state)
{
    (void)state;
    const char *p = path_of("acc.db");
    db_conn *d = open_ok(p, DB_CREATE);
    int64_t run = begin_run(d, "h", 0, 1);
    db_row r;
    char name[96];
    make_row(&r, name, sizeof name, 1, NULL);
    char err[512];
    assert_int_equal(db_insert_batch(d, run, &r, 1, NULL, err, sizeof err), 0);
    assert_int_equal(db_put_accuracy(d, name, "timit", 0.75, "lab", err, sizeof err), 0);
    assert_int_equal(db_put_accuracy(d, name, "timit", 0.80, "lab", err, sizeof err), 0);
    assert_int_equal(db_put_accuracy(d, name, "ucf11", 0.60, NULL, err, sizeof err), 0);
    assert_int_equal(db_put_accuracy(d, name, "x", NAN, NULL, err, sizeof err), -1);
    db_close(d);
    assert_int_equal(count(p, "SELECT count(*) FROM accuracy"), 2);
    assert_int_equal(count(p, "SELECT accuracy_n FROM results"), 2);
    assert_int_equal(count(p, "SELECT round(accuracy * 1000) FROM results"), 700);
}

/* A different point already sits at the hash key of a new one (forged with
 * raw SQL, real 63-bit collisions being too rare to find): the new point
 * takes the next key and is still found, and stored once. */
static void test_hash_collision_probing(void **state)
{
    (void)state;
    const char *p = path_of("collide.db");
    db_conn *d = open_ok(p, DB_CREATE);
    int64_t run = begin_run(d, "h", 0, 1);
    char sql[256];
    int64_t k = db_point_key("victim");
    snprintf(sql, sizeof sql, "INSERT INTO point(key, point, run_id) VALUES (%lld, 'squatter', %lld)",
             (long long)k, (long long)run);
    raw_exec(p, sql);
    char err[512];
    assert_int_equal(db_has_point(d, "victim", err, sizeof err), 0);
    db_row r;
    db_row_init(&r, "victim");
    r.m[MAP_M_PARAMS] = 7;
    size_t nin;
    assert_int_equal(db_insert_batch(d, run, &r, 1, &nin, err, sizeof err), 0);
    assert_int_equal(nin, 1);
    assert_int_equal(db_insert_batch(d, run, &r, 1, &nin, err, sizeof err), 0);
    assert_int_equal(nin, 0);
    int64_t id = 0;
    assert_int_equal(db_point_id(d, "victim", &id, err, sizeof err), 1);
    assert_true(id > 0);
    db_close(d);
    snprintf(sql, sizeof sql, "SELECT key FROM point WHERE point = 'victim'");
    assert_int_equal(count(p, sql), k == INT64_MAX ? 0 : k + 1);
    assert_int_equal(count(p, "SELECT count(*) FROM point"), 2);
    assert_true(db_point_key("victim") >= 0);
    assert_int_equal(db_point_key("victim"), k); /* stable */
}

/* Two processes append disjoint points to one database at once. */
static void writer(const char *p, int base, int n)
{
    char err[512];
    db_conn *d;
    if (db_open(p, DB_CREATE, &d, err, sizeof err)) {
        fprintf(stderr, "writer: %s\n", err);
        _exit(3);
    }
    int64_t run;
    db_run_info ri = {.spec_hash = "c", .shard_n = 1};
    if (db_run_begin(d, &ri, &run, err, sizeof err)) {
        fprintf(stderr, "writer: %s\n", err);
        _exit(4);
    }
    for (int b = 0; b < n; b += 100) {
        db_row rows[100];
        char names[100][96];
        for (int i = 0; i < 100; i++)
            make_row(&rows[i], names[i], sizeof names[i], base + b + i, NULL);
        if (db_insert_batch(d, run, rows, 100, NULL, err, sizeof err)) {
            fprintf(stderr, "writer: %s\n", err);
            _exit(5);
        }
    }
    db_close(d);
    _exit(0);
}

static void test_two_writers(void **state)
{
    (void)state;
    const char *p = path_of("two.db");
    pid_t a = fork();
    if (a == 0)
        writer(p, 0, 5000);
    pid_t b = fork();
    if (b == 0)
        writer(p, 100000, 5000);
    int sa, sb;
    assert_int_equal(waitpid(a, &sa, 0), a);
    assert_int_equal(waitpid(b, &sb, 0), b);
    assert_true(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
    assert_true(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
    assert_int_equal(count(p, "SELECT count(*) FROM point"), 10000);
    assert_int_equal(count(p, "SELECT count(*) FROM run"), 2);
}

/* A writer killed mid-sweep: the database opens, is intact, holds whole batches. */
static void test_killed_writer_consistent(void **state)
{
    (void)state;
    const char *p = path_of("killed.db");
    pid_t c = fork();
    if (c == 0)
        writer(p, 0, 1000000);
    /* Kill it once some batches are in (slow under valgrind: poll). */
    for (int i = 0; i < 600 && try_count(p) < 1000; i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    kill(c, SIGKILL);
    int s;
    assert_int_equal(waitpid(c, &s, 0), c);
    assert_true(WIFSIGNALED(s));
    db_conn *d = open_ok(p, DB_WRITE);
    db_close(d);
    assert_integrity(p);
    int64_t n = count(p, "SELECT count(*) FROM point");
    assert_true(n >= 1000);
    assert_int_equal(n % 100, 0);
}


/* Child of test_created_file_removed: once a byte arrives on fd go, creates
 * p and records a run in it. */
static void create_and_record(const char *p, int go)
{
    char err[512], b;
    db_conn *d;
    if (read(go, &b, 1) != 1)
        _exit(3);
    if (db_open(p, DB_CREATE, &d, err, sizeof err)) {
        fprintf(stderr, "db_open: %s\n", err);
        _exit(1);
    }
    db_run_info ri = {.spec_hash = "moved", .shard_n = 1};
    int64_t id;
    int rc = db_run_begin(d, &ri, &id, err, sizeof err) ? 2 : 0;
    db_close(d);
    _exit(rc);
}

/*
 * An empty database file removed while another process is about to create
 * the schema in it (what a dse that created the file and found its disk
 * full does, db.h): that process must notice and create the file anew,
 * rather than write the schema and its run into the removed file, where
 * they would be lost.  Here the parent plays the remover: it holds the
 * write lock of the empty file, lets the child open it and wait for the
 * lock, removes the file and releases the lock.  (The child is forked
 * before the parent opens the file: SQLite's locks of a process do not
 * survive a fork.)
 */
static void test_created_file_removed(void **state)
{
    (void)state;
    const char *p = path_of("removed.db");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    int go[2];
    assert_int_equal(pipe(go), 0);
    fflush(NULL); /* no buffered output duplicated in the child */
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0)
        create_and_record(p, go[0]);
    close(go[0]);
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(p, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(write(go[1], "g", 1), 1);
    close(go[1]);
    nanosleep(&(struct timespec){0, 500000000}, NULL); /* the child waits for the lock */
    assert_int_equal(unlink(p), 0);
    assert_int_equal(sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    int s;
    assert_int_equal(waitpid(c, &s, 0), c);
    assert_true(WIFEXITED(s));
    assert_int_equal(WEXITSTATUS(s), 0);
    /* the run is in the file at p, which is a results database */
    assert_int_equal(count(p, "SELECT count(*) FROM run WHERE spec_hash = 'moved'"), 1);
    assert_int_equal(count(p, "PRAGMA application_id"), DB_APPLICATION_ID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_point_stored_once),
        cmocka_unit_test(test_batch_all_or_nothing),
        cmocka_unit_test(test_other_schema_version_refused),
        cmocka_unit_test(test_foreign_files_refused),
        cmocka_unit_test(test_missing_not_created),
        cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_hash_collision_probing),
        cmocka_unit_test(test_two_writers),
        cmocka_unit_test(test_killed_writer_consistent),
        cmocka_unit_test(test_created_file_removed),
    };
    return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
