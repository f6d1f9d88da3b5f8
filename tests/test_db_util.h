/*
 * test_db_util.h - helpers of the tests that read the results databases
 * `dse` writes (through plain SQLite, not dse/db.c: an independent reader).
 * Include after test_util.h; the test programs link SQLite anyway.
 */
#ifndef TEST_DB_UTIL_H
#define TEST_DB_UTIL_H

#include <sqlite3.h>

/*
 * The point strings stored in database db, sorted and each followed by a
 * newline (malloc'd); *count is how many.  Fails the test when db cannot be
 * read, so that an unreadable database never compares equal to another.
 */
static inline char *tu_points_of(const char *db, long *count)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT point FROM point ORDER BY point", -1, &st, NULL),
                     SQLITE_OK);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        size_t l = strlen(p);
        while (len + l + 2 > cap) {
            buf = realloc(buf, cap *= 2);
            assert_non_null(buf);
        }
        memcpy(buf + len, p, l);
        len += l;
        buf[len++] = '\n';
        n++;
    }
    assert_int_equal(rc, SQLITE_DONE);
    buf[len] = '\0';
    sqlite3_finalize(st);
    sqlite3_close(h);
    *count = n;
    return buf;
}

#endif
