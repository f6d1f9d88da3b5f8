/*
 * db_spectra.c - the cache of the error proxy's spectra (db.h, table
 * spectrum of schemas/results.sql): one row per (reference, factorization,
 * canonical mode set), the singular values as a blob of little-endian
 * doubles, written bit for bit so that a run reading them back gives the
 * bounds of the run that computed them.
 */
#include "db_int.h"

#include <stdlib.h>
#include <string.h>

/* The table is absent from files made before it and opened read-only. */
static int has_table(db_conn *d, char *err, size_t errlen)
{
    int64_t n = 0;
    if (dbi_query_int(d, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                         " AND name = 'spectrum'", &n, err, errlen))
        return -1;
    return n > 0;
}

static void put_le(unsigned char *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i));
}

static double get_le(const unsigned char *b)
{
    uint64_t u = 0;
    double v;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)b[i] << (8 * i);
    memcpy(&v, &u, sizeof v);
    return v;
}

int db_put_spectrum(db_conn *d, const char *ref, const char *fact, unsigned mask,
                    const double *sv, int n, double rest, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO spectrum(ref, fact, mask, n, rest, sv, created)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
    if (n < 0 || !ref || !fact)
        return cm_fail(err, errlen, "db_put_spectrum: bad arguments");
    unsigned char *blob = malloc((size_t)n * 8 + 1);
    if (!blob)
        return cm_fail(err, errlen, "out of memory (spectrum of %d values)", n);
    for (int i = 0; i < n; i++)
        put_le(blob + 8 * (size_t)i, sv[i]);
    sqlite3_stmt *st = NULL;
    if (db_begin(d, err, errlen)) {
        free(blob);
        return -1;
    }
    if (dbi_prepare(d, &st, sql, err, errlen))
        goto bad;
    sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fact, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)mask);
    sqlite3_bind_int(st, 4, n);
    sqlite3_bind_double(st, 5, rest);
    sqlite3_bind_blob(st, 6, blob, n * 8, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        dbi_sqlfail(d, err, errlen, "cannot store a spectrum");
        goto bad;
    }
    free(blob);
    return dbi_end(d, st, 1, err, errlen);
bad:
    free(blob);
    return dbi_end(d, st, 0, err, errlen);
}

int db_get_spectrum(db_conn *d, const char *ref, const char *fact, unsigned mask, double **sv,
                    int *n, double *rest, char *err, size_t errlen)
{
    int has = has_table(d, err, errlen);
    if (has <= 0)
        return has;
    sqlite3_stmt *st = NULL;
    if (dbi_prepare(d, &st, "SELECT n, rest, sv FROM spectrum WHERE ref = ?1 AND fact = ?2"
                            " AND mask = ?3", err, errlen))
        return -1;
    sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fact, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)mask);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        int64_t k = sqlite3_column_int64(st, 0);
        const unsigned char *b = sqlite3_column_blob(st, 2);
        int64_t bytes = sqlite3_column_bytes(st, 2);
        /* a row not of this writer's making is a miss, recomputed and replaced */
        if (k >= 0 && k <= INT32_MAX && bytes == 8 * k && (b || k == 0)) {
            double *v = malloc((size_t)k * sizeof *v + 1);
            if (!v) {
                sqlite3_finalize(st);
                return cm_fail(err, errlen, "out of memory (spectrum of %lld values)",
                               (long long)k);
            }
            for (int64_t i = 0; i < k; i++)
                v[i] = get_le(b + 8 * i);
            *sv = v;
            *n = (int)k;
            *rest = sqlite3_column_double(st, 1);
            found = 1;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot read spectra");
    return found;
}

int64_t db_count_spectra(db_conn *d, char *err, size_t errlen)
{
    int64_t n = 0;
    int has = has_table(d, err, errlen);
    if (has <= 0)
        return has;
    if (dbi_query_int(d, "SELECT count(*) FROM spectrum", &n, err, errlen))
        return -1;
    return n;
}
