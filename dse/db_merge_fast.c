/*
 * db_merge_fast.c - the set-based parts of `dse merge` (db_int.h says why
 * they are right): the page copy of the largest input into a new OUT
 * (db_copy_whole), attaching inputs, and the INSERT ... SELECT of an
 * attached input's points that reuses their stored keys (dbi_copy_points).
 */
#include "db_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail_sql(sqlite3 *h, const char *path, char *err, size_t errlen)
{
    return cm_fail(err, errlen, "%s: %s", path, sqlite3_errmsg(h));
}

int db_copy_whole(const char *out_path, db_conn *in, char *err, size_t errlen)
{
    int fd = open(out_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return cm_fail(err, errlen, "%s: cannot create: %s", out_path, strerror(errno));
    close(fd);
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(out_path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    /* A new file that the caller removes on any failure: no journal, no sync. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL,
                          NULL);
    sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(h, "main", in->h, "main")
                                        : NULL;
    if (b) {
        rc = sqlite3_backup_step(b, -1);
        int fin = sqlite3_backup_finish(b);
        rc = rc == SQLITE_DONE ? fin : rc;
        /* WAL now, unsynced: db_open would switch it synchronously (FULL),
         * an fsync of the whole copy */
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    } else if (rc == SQLITE_OK) {
        rc = SQLITE_ERROR;
    }
    int bad = rc != SQLITE_OK ? fail_sql(h, out_path, err, errlen) : 0;
    sqlite3_close(h);
    return bad;
}

/* "file:PATH?mode=ro" with PATH percent-encoded (SQLite reads URIs here). */
static char *ro_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = malloc(3 * n + 32), *w = u;
    if (!u)
        return NULL;
    w += sprintf(w, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/._-", *p))
            *w++ = (char)*p;
        else
            w += sprintf(w, "%%%02X", *p);
    }
    strcpy(w, "?mode=ro");
    return u;
}

int db_attach(db_conn *out, const char *path, const char *alias, char *err, size_t errlen)
{
    sqlite3 *h = out->h;
    char sql[64];
    char *uri = ro_uri(path);
    if (!uri)
        return cm_fail(err, errlen, "out of memory");
    snprintf(sql, sizeof sql, "ATTACH ?1 AS \"%s\"", alias);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        if (rc != SQLITE_OK)
            cm_fail(err, errlen, "%s: cannot attach: %s", path, sqlite3_errmsg(h));
        sqlite3_finalize(st);
    } else {
        fail_sql(h, db_path(out), err, errlen);
    }
    free(uri);
    return rc == SQLITE_OK ? 0 : -1;
}

void db_detach(db_conn *out, const char *alias)
{
    char sql[64];
    snprintf(sql, sizeof sql, "DETACH \"%s\"", alias);
    sqlite3_exec(out->h, sql, NULL, NULL, NULL);
}

int db_schema_version(db_conn *d)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(d->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* ---- the SQL functions of the copy ---- */

static void fn_key(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *p = sqlite3_value_text(argv[0]);
    sqlite3_result_int64(cx, p ? db_point_key((const char *)p) : -1);
}

/* dse_run_id(x) / dse_comp_id(x): OUT's id of the input's id x. */
typedef struct {
    dbi_map_fn map;
    const void *m;
    const char *what;
} fn_map_ctx;

static void fn_map(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const fn_map_ctx *c = sqlite3_user_data(cx);
    int64_t dst = c->map(c->m, sqlite3_value_int64(argv[0]));
    if (dst < 0)
        sqlite3_result_error(cx, c->what, -1);
    else
        sqlite3_result_int64(cx, dst);
}

static int register_fns(sqlite3 *h, fn_map_ctx *run, fn_map_ctx *comp)
{
    const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    return sqlite3_create_function(h, "dse_key", 1, flags, NULL, fn_key, NULL, NULL) ||
           sqlite3_create_function(h, "dse_run_id", 1, flags, run, fn_map, NULL, NULL) ||
           sqlite3_create_function(h, "dse_comp_id", 1, flags, comp, fn_map, NULL, NULL);
}

static void unregister_fns(sqlite3 *h)
{
    sqlite3_create_function(h, "dse_run_id", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
    sqlite3_create_function(h, "dse_comp_id", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
}

/* ---- the copy ---- */

/* "c1, c2, ..." of OUT's point columns but id, key, point and run_id, each
 * written pre.name (malloc'd). */
static char *point_cols(db_conn *out, const char *pre, char *err, size_t errlen)
{
    db_column *cols;
    int n;
    if (db_columns(out, "point", &cols, &n, err, errlen))
        return NULL;
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(cols[i].name) + strlen(pre) + 5;
    char *s = malloc(len), *w = s;
    if (s) {
        *w = '\0';
        for (int i = 0; i < n; i++) {
            const char *c = cols[i].name;
            if (strcmp(c, "id") && strcmp(c, "key") && strcmp(c, "point") && strcmp(c, "run_id"))
                w += sprintf(w, ", %s\"%s\"", pre, c);
        }
    } else {
        cm_fail(err, errlen, "out of memory");
    }
    db_columns_free(cols, n);
    return s;
}

/* Runs sql (one statement; ?1, when it has one, = off) on OUT; *changes:
 * its first column when it returns a row, else the rows it changed. */
static int run_sql(db_conn *out, const char *sql, int64_t off, int64_t *changes, char *err,
                   size_t errlen)
{
    sqlite3 *h = out->h;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return fail_sql(h, db_path(out), err, errlen);
    sqlite3_bind_int64(st, 1, off);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fail_sql(h, db_path(out), err, errlen);
        sqlite3_finalize(st);
        return -1;
    }
    if (changes)
        *changes = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : sqlite3_changes(h);
    sqlite3_finalize(st);
    return 0;
}

/* The input ids that neither went in by the fast copy (OUT's id = id + off)
 * nor are stored in OUT at the same key: the probing path's. */
static int slow_rows(db_conn *out, const char *alias, int64_t off, dbi_copy_result *r, char *err,
                     size_t errlen)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT s.id FROM \"%s\".point s"
             " WHERE NOT EXISTS (SELECT 1 FROM main.point m WHERE m.id = s.id + ?1)"
             " AND NOT EXISTS (SELECT 1 FROM main.point m WHERE m.key = s.key"
             " AND m.point = s.point) ORDER BY s.id", alias);
    sqlite3 *h = out->h;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return fail_sql(h, db_path(out), err, errlen);
    sqlite3_bind_int64(st, 1, off);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->nslow == cap) {
            cap = cap ? 2 * cap : 256;
            int64_t *g = realloc(r->slow, cap * sizeof *g);
            if (!g) {
                sqlite3_finalize(st);
                return cm_fail(err, errlen, "out of memory");
            }
            r->slow = g;
        }
        r->slow[r->nslow++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail_sql(h, db_path(out), err, errlen);
}

/* The three statements of one input: count, points, breakdowns. */
static int copy_sql(db_conn *out, const char *alias, int64_t off, dbi_copy_result *r, char *err,
                    size_t errlen)
{
    char *cols = point_cols(out, "", err, errlen), *scols = point_cols(out, "s.", err, errlen);
    size_t len = 1024 + (cols ? 2 * strlen(cols) : 0);
    char *sql = malloc(len);
    int rc = -1;
    if (!cols || !scols || !sql) {
        if (cols && scols)
            cm_fail(err, errlen, "out of memory");
        goto out;
    }
    snprintf(sql, len, "SELECT count(*) FROM \"%s\".point", alias);
    if (run_sql(out, sql, off, &r->total, err, errlen))
        goto out;
    /* In the input's id order, ids shifted past OUT's: OUT's table is
     * appended to, and its key index (64 MB of cache: millions of keys)
     * stays in memory; the input's key order measured no faster here.  OR
     * IGNORE: a key OUT uses already (the same point, or a rare collision
     * that slow_rows finds) skips the row; no other constraint can fail,
     * the input having the same ones. */
    snprintf(sql, len, "INSERT OR IGNORE INTO main.point(id, key, point, run_id%s)"
             " SELECT s.id + ?1, s.key, s.point, dse_run_id(s.run_id)%s FROM \"%s\".point s"
             " WHERE s.key = dse_key(s.point)", cols, scols, alias);
    if (run_sql(out, sql, off, &r->fast, err, errlen))
        goto out;
    /* before any probed row takes an id above off: OUT's ids above off are
     * exactly the fast rows' (input id + off) */
    snprintf(sql, len, "INSERT INTO main.breakdown(point_id, comp_id, area_um2, energy_pj,"
             " accesses) SELECT b.point_id + ?1, dse_comp_id(b.comp_id), b.area_um2,"
             " b.energy_pj, b.accesses FROM \"%s\".breakdown b"
             " WHERE EXISTS (SELECT 1 FROM main.point m WHERE m.id = b.point_id + ?1)", alias);
    if (run_sql(out, sql, off, &r->breakdown, err, errlen))
        goto out;
    rc = 0;
out:
    free(cols);
    free(scols);
    free(sql);
    return rc;
}

/*
 * Run membership of the points OUT had already, at the same key (r->dup of
 * them): the input's run evaluated them too, unless OUT's copy is that
 * run's own.  Only when there are such points: merging shards finds none,
 * and pays nothing.  The input's own run_point rows go row by row
 * (db_merge.c).
 */
static int dup_members(db_conn *out, const char *alias, const dbi_copy_result *r, char *err,
                       size_t errlen)
{
    char sql[512];
    if (r->dup <= 0)
        return 0;
    snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO main.run_point(run_id, point_id)"
             " SELECT dse_run_id(s.run_id), m.id FROM \"%s\".point s JOIN main.point m"
             " ON m.key = s.key AND m.point = s.point WHERE m.run_id <> dse_run_id(s.run_id)",
             alias);
    return run_sql(out, sql, 0, NULL, err, errlen);
}

int dbi_copy_points(db_conn *out, const char *alias, dbi_map_fn map, const void *runs,
                    const void *comps, dbi_copy_result *r, char *err, size_t errlen)
{
    sqlite3 *h = out->h;
    fn_map_ctx rc_run = {map, runs, "a row refers to a missing run_id"};
    fn_map_ctx rc_comp = {map, comps, "breakdown with an unknown component id"};
    int64_t off = 0;
    memset(r, 0, sizeof *r);
    if (register_fns(h, &rc_run, &rc_comp)) {
        fail_sql(h, db_path(out), err, errlen);
        unregister_fns(h);
        return -1;
    }
    int rc = run_sql(out, "SELECT coalesce(max(id), 0) FROM main.point", 0, &off, err,
                     errlen);
    if (!rc)
        rc = copy_sql(out, alias, off, r, err, errlen);
    /* all in (the shards of a sweep): nothing left to look for */
    if (!rc && r->fast < r->total)
        rc = slow_rows(out, alias, off, r, err, errlen);
    if (!rc)
        r->dup = r->total - r->fast - (int64_t)r->nslow;
    if (!rc)
        rc = dup_members(out, alias, r, err, errlen);
    unregister_fns(h);
    return rc;
}
