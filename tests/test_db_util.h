/*
 * test_db_util.h - helpers of the tests that read the results databases
 * `dse` writes (through plain SQLite, not dse/io/db.c: an independent reader).
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

/* Databases a and b hold the same points (the same number, the same
 * strings); returns how many. */
static inline long tu_assert_same_points(const char *a, const char *b)
{
    long na, nb;
    char *x = tu_points_of(a, &na), *y = tu_points_of(b, &nb);
    assert_int_equal(na, nb);
    assert_string_equal(x, y);
    free(x);
    free(y);
    return nb;
}

/* The first column of the first row of a query on database path (-1 when
 * there is no row), through a read-only connection of its own. */
static inline int64_t tu_sql_int(const char *path, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    int64_t v = -1;
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* Appends the rows of a query on connection h to the heap string *b (*n
 * bytes used of *cap, NUL-terminated): values separated by '|', a row a
 * line, NULL as "NULL".  Equal texts, equal results (to compare databases). */
static inline void tu_sql_rows(sqlite3 *h, const char *sql, char **b, size_t *n, size_t *cap)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *t = (const char *)sqlite3_column_text(st, c);
            size_t l = (t ? strlen(t) : 4) + 2;
            while (*n + l + 1 > *cap) {
                *b = realloc(*b, *cap *= 2);
                assert_non_null(*b);
            }
            *n += (size_t)snprintf(*b + *n, *cap - *n, "%s%c", t ? t : "NULL",
                                   c + 1 < sqlite3_column_count(st) ? '|' : '\n');
        }
    sqlite3_finalize(st);
}

/* The rows of nq queries on database path (tu_sql_rows), one after the
 * other, as a heap string; tu_sql_dump: of one query. */
static inline char *tu_sql_dump_all(const char *path, const char *const *q, size_t nq)
{
    sqlite3 *h;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    b[0] = '\0';
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (size_t k = 0; k < nq; k++)
        tu_sql_rows(h, q[k], &b, &n, &cap);
    sqlite3_close(h);
    return b;
}

static inline char *tu_sql_dump(const char *path, const char *sql)
{
    return tu_sql_dump_all(path, &sql, 1);
}

/* Each of the nq queries gives the same rows on databases a and b. */
static inline void tu_sql_same(const char *a, const char *b, const char *const *q, size_t nq)
{
    for (size_t i = 0; i < nq; i++) {
        char *x = tu_sql_dump(a, q[i]), *y = tu_sql_dump(b, q[i]);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
}

#endif
