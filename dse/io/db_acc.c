/*
 * db_acc.c - what the accuracy stage (accstage.h) reads (db.h): the valid
 * points every run of a spec evaluated (all its shards, also after a merge,
 * and points another spec's run stored first), each with the metric columns
 * asked for.
 */
#include "db_int.h"

#include <stdio.h>
#include <string.h>

int db_each_valid(db_conn *d, const char *spec_hash, int ncols, const char *const *cols,
                  db_valid_fn fn, void *ctx, char *err, size_t errlen)
{
    char sql[1024];
    size_t n = (size_t)snprintf(sql, sizeof sql, "SELECT point");
    double v[DB_VALID_MAXCOLS];
    if (ncols < 0 || ncols > DB_VALID_MAXCOLS)
        return cm_fail(err, errlen, "db_each_valid: %d columns", ncols);
    for (int i = 0; i < ncols; i++) {
        /* metric names only (map_metric.h): letters, digits, '_' */
        if (strspn(cols[i], "abcdefghijklmnopqrstuvwxyz_0123456789") != strlen(cols[i]))
            return cm_fail(err, errlen, "db_each_valid: bad column '%s'", cols[i]);
        n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", cols[i]);
    }
    /* every point a run of the spec evaluated (run_points: also those
     * another spec's run stored first), not only those it stored */
    snprintf(sql + n, sizeof sql - n, " FROM point WHERE valid = 1 AND id IN"
             " (SELECT point_id FROM run_points WHERE run_id IN"
             " (SELECT id FROM run WHERE spec_hash = ?1)) ORDER BY id");
    sqlite3_stmt *st = NULL;
    if (dbi_prepare(d, &st, sql, err, errlen))
        return -1;
    sqlite3_bind_text(st, 1, spec_hash, -1, SQLITE_STATIC);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < ncols; i++)
            v[i] = sqlite3_column_type(st, i + 1) == SQLITE_NULL ? NAN
                                                                 : sqlite3_column_double(st, i + 1);
        if ((ret = fn((const char *)sqlite3_column_text(st, 0), v, ctx)) != 0)
            break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot read points");
    return ret;
}
