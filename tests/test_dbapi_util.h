/*
 * test_dbapi_util.h - helpers of the tests of the results database API
 * (test_db, test_db_bulk): db_open and db_run_begin that must succeed, raw
 * SQL on a connection of its own, SQLite's integrity check, and the number
 * of points stored so far.  Include after test_util.h and test_db_util.h.
 */
#ifndef TEST_DBAPI_UTIL_H
#define TEST_DBAPI_UTIL_H

#include "db.h"

#include <sqlite3.h>
#include <unistd.h>

static inline db_conn *open_ok(const char *path, db_mode mode)
{
    char err[512] = "";
    db_conn *d = NULL;
    int rc = db_open(path, mode, &d, err, sizeof err);
    if (rc)
        fprintf(stderr, "db_open: %s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(d);
    return d;
}

static inline int64_t begin_run(db_conn *d, const char *hash, int si, int sn)
{
    db_run_info ri = {.spec_text = "workload: {}\n", .spec_hash = hash, .seed = 42,
                      .tech_name = "tech28", .tech_hash = "abc", .shard_i = si, .shard_n = sn};
    int64_t id = 0;
    char err[512];
    assert_int_equal(db_run_begin(d, &ri, &id, err, sizeof err), 0);
    assert_true(id > 0);
    return id;
}

/* Runs sql on its own connection to path (raw SQL the database module
 * would never write, e.g. a forged key collision). */
static inline void raw_exec(const char *path, const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

static inline void assert_integrity(const char *path)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* Points stored so far, or -1 while the file is not readable yet. */
static inline int64_t try_count(const char *path)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    int64_t v = -1;
    if (access(path, F_OK) || sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL))
        return -1;
    sqlite3_busy_timeout(h, 1000);
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM point", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return v;
}

#endif
