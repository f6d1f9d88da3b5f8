/*
 * db_query.c - the read queries of the commands (db.h): the columns of a
 * relation, the db_rows cursor, and the queries of dse show (a point's
 * results row, its run, breakdown and accuracies), dse pareto (the scan of
 * the objectives, the check of --where), and of several databases read as
 * one (dbset.c: largest ids, point strings by id, the specs of shards).
 */
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db_rows {
    db_conn *d;
    sqlite3_stmt *st;
};

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
        return dbi_sqlfail(d, err, errlen, "cannot read the schema");
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
        return dbi_sqlfail(d, err, errlen, "cannot read the schema");
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


int db_has_table(db_conn *d, const char *name, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                 " AND name = ?1", -1, &st, NULL) != SQLITE_OK)
        return dbi_sqlfail(d, err, errlen, "cannot read the schema");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return dbi_sqlfail(d, err, errlen, "cannot read the schema");
    return n > 0;
}

/* ---- which points: a run's, a workload's (db_pick) ---- */

/* 1 when relation has the column, 0 when not (or the question fails). */
static int has_col(db_conn *d, const char *relation, const char *col)
{
    sqlite3_stmt *st;
    int n = 0;
    if (sqlite3_prepare_v2(d->h, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, relation, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, col, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n > 0;
}

/*
 * A run's points are the ones it stored (point.run_id) and the ones it
 * shares (run_point): an OR of a column test and a subquery that SQLite
 * computes once into a temporary index, so the scan stays one pass.
 */
int dbi_pick_sql(db_conn *d, int run, int workload, char *buf, size_t len, char *err,
                 size_t errlen)
{
    int members = 0;
    if ((run || workload) && (members = db_has_table(d, "run_point", err, errlen)) < 0)
        return -1;
    size_t u = 0;
    buf[0] = '\0';
    if (run)
        u += (size_t)snprintf(buf, len, members ? " AND (run_id = :run OR id IN"
                              " (SELECT point_id FROM run_point WHERE run_id = :run))"
                              : " AND run_id = :run");
    /* an older file read as it is may lack run.workload: no run has a name */
    if (workload && u < len && !has_col(d, "run", "workload"))
        u += (size_t)snprintf(buf + u, len - u, " AND 0");
    else if (workload && u < len)
        u += (size_t)snprintf(buf + u, len - u, " AND (run_id IN (SELECT id FROM run"
                              " WHERE workload = :workload)%s)", members ? " OR id IN"
                              " (SELECT m.point_id FROM run_point m JOIN run r ON r.id ="
                              " m.run_id WHERE r.workload = :workload)" : "");
    return u < len ? 0 : cm_fail(err, errlen, "%s: query too long", d->path);
}

/* Binds what a statement made with dbi_pick_sql names. */
static void pick_bind(sqlite3_stmt *st, const db_pick *pk)
{
    int i;
    if (!pk)
        return;
    if (pk->run && (i = sqlite3_bind_parameter_index(st, ":run")) > 0)
        sqlite3_bind_int64(st, i, pk->run);
    if (pk->workload && (i = sqlite3_bind_parameter_index(st, ":workload")) > 0)
        sqlite3_bind_text(st, i, pk->workload, -1, SQLITE_TRANSIENT);
}

static int pick_sql(db_conn *d, const db_pick *pk, char *buf, size_t len, char *err,
                    size_t errlen)
{
    return dbi_pick_sql(d, pk && pk->run, pk && pk->workload, buf, len, err, errlen);
}

/* ---- db_rows ---- */

/* A cursor over sql prepared on d (not persistent: most are run once). */
static int rows_new(db_conn *d, const char *sql, db_rows **out, char *err, size_t errlen)
{
    *out = NULL;
    db_rows *r = calloc(1, sizeof *r);
    if (!r)
        return cm_fail(err, errlen, "out of memory");
    r->d = d;
    if (sqlite3_prepare_v2(d->h, sql, -1, &r->st, NULL) != SQLITE_OK) {
        free(r);
        return dbi_readfail(d, err, errlen);
    }
    *out = r;
    return 0;
}

int db_rows_next(db_rows *r, char *err, size_t errlen)
{
    int rc = sqlite3_step(r->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return dbi_readfail(r->d, err, errlen);
}

void db_rows_reset(db_rows *r) { sqlite3_reset(r->st); }

void db_rows_bind_id(db_rows *r, int64_t id)
{
    sqlite3_reset(r->st);
    sqlite3_bind_int64(r->st, 1, id);
}

int db_rows_ncol(const db_rows *r) { return sqlite3_column_count(r->st); }
const char *db_rows_name(const db_rows *r, int col) { return sqlite3_column_name(r->st, col); }

int db_rows_col(const db_rows *r, const char *name)
{
    for (int c = 0; c < sqlite3_column_count(r->st); c++)
        if (!strcmp(sqlite3_column_name(r->st, c), name))
            return c;
    return -1;
}

int db_rows_is_null(db_rows *r, int col) { return sqlite3_column_type(r->st, col) == SQLITE_NULL; }
int64_t db_rows_int(db_rows *r, int col) { return sqlite3_column_int64(r->st, col); }
double db_rows_real(db_rows *r, int col) { return sqlite3_column_double(r->st, col); }

const char *db_rows_text(db_rows *r, int col)
{
    return (const char *)sqlite3_column_text(r->st, col);
}

char *db_rows_value(db_rows *r, int col, db_outfmt fmt) { return dbi_value_text(r->st, col, fmt); }

void db_rows_free(db_rows *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->st);
    free(r);
}

/* ---- dse show ---- */

/* `"name"` appended to sql (at *u, len bytes in all). */
static void add_ident(char *sql, size_t len, size_t *u, const char *name)
{
    *u += (size_t)snprintf(sql + *u, len - *u, ", \"%s\"", name);
}

int db_results_rows(db_conn *d, const char *const *cols, int ncol, int64_t id_off,
                    int64_t run_off, db_rows **out, char *err, size_t errlen)
{
    db_column *all = NULL;
    int n = ncol;
    *out = NULL;
    if (!cols && db_columns(d, "results", &all, &n, err, errlen))
        return -1;
    size_t len = 128 + 64 * (size_t)n;
    for (int i = 0; cols && i < n; i++)
        len += strlen(cols[i]);
    char *sql = malloc(len);
    int rc = -1;
    if (!sql) {
        cm_fail(err, errlen, "out of memory");
    } else if (cols) {
        /* the id in the set's id space, then the columns as they are */
        size_t u = (size_t)snprintf(sql, len, "SELECT id + %lld", (long long)id_off);
        for (int i = 0; i < n; i++)
            add_ident(sql, len, &u, cols[i]);
        snprintf(sql + u, len - u, " FROM results WHERE id = ?1");
        rc = rows_new(d, sql, out, err, errlen);
    } else {
        /* whole numbers spliced in: nothing of the user's */
        size_t u = (size_t)snprintf(sql, len, "SELECT ");
        for (int i = 0; i < n; i++) {
            const char *c = all[i].name, *sep = i ? ", " : "";
            if (!strcmp(c, "id") || !strcmp(c, "run_id"))
                u += (size_t)snprintf(sql + u, len - u, "%s%s + %lld AS %s", sep, c,
                                      (long long)(c[0] == 'i' ? id_off : run_off), c);
            else
                u += (size_t)snprintf(sql + u, len - u, "%s\"%s\"", sep, c);
        }
        snprintf(sql + u, len - u, " FROM results WHERE id = ?1");
        rc = rows_new(d, sql, out, err, errlen);
    }
    free(sql);
    db_columns_free(all, cols ? 0 : n);
    return rc;
}

int db_run_rows(db_conn *d, int64_t run_off, db_rows **out, char *err, size_t errlen)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT id + %lld AS id, uuid, status, started, ended, seed,"
             " spec_hash, tool_version, tech_name, tech_hash, shard_i, shard_n, command,"
             " spec_text FROM run WHERE id = ?1", (long long)run_off);
    return rows_new(d, sql, out, err, errlen);
}

int db_point_runs(db_conn *d, int64_t run_off, db_rows **out, char *err, size_t errlen)
{
    char sql[700];
    int members = db_has_table(d, "run_point", err, errlen);
    if (members < 0)
        return -1;
    /* run_point is keyed by run: its rows of one point are a scan, of the
     * shared points only */
    snprintf(sql, sizeof sql, "SELECT r.id + %lld AS id, %s AS workload, r.id = (SELECT run_id"
             " FROM point WHERE id = ?1) AS stored FROM run r WHERE r.id IN (SELECT run_id FROM"
             " point WHERE id = ?1%s) ORDER BY r.id", (long long)run_off,
             has_col(d, "run", "workload") ? "r.workload" : "NULL",
             members ? " UNION SELECT run_id FROM run_point WHERE point_id = ?1" : "");
    return rows_new(d, sql, out, err, errlen);
}

/* Adds name to names[0..*n) unless there; counts up to max + 1. */
static void add_name(char (*names)[DB_WORKLOAD_NAME], int max, int *n, const char *name)
{
    for (int i = 0; i < *n && i < max; i++)
        if (!strcmp(names[i], name))
            return;
    if (*n < max)
        snprintf(names[*n], DB_WORKLOAD_NAME, "%s", name);
    if (*n <= max)
        ++*n;
}

int db_workloads(db_conn *d, const char *where, const db_pick *pick,
                 char (*names)[DB_WORKLOAD_NAME], int max, int *n, char *err, size_t errlen)
{
    /* Distinct algorithm keys first (a plain column: the view's joins are
     * not evaluated), then their rows of algo; points without one (stored
     * before the algo table, or not a parseable point) by the point string's
     * workload prefix. */
    static const char *const q[2] = {
        "SELECT DISTINCT coalesce((SELECT CASE WHEN g.workload = 'lstm' THEN 'lstm N_in ' ||"
        " g.n_in || ', H ' || g.hidden ELSE g.workload END FROM algo g WHERE g.akey = k.akey),"
        " 'unknown') FROM (SELECT DISTINCT akey FROM results WHERE akey IN (SELECT akey FROM algo)"
        " AND (%s\n)%s) k",
        "SELECT DISTINCT CASE WHEN point LIKE 'lstm;nin=%%;h=%%;dec=%%' THEN 'lstm N_in ' ||"
        " substr(point, 10, instr(point, ';h=') - 10) || ', H ' ||"
        " substr(point, instr(point, ';h=') + 3, instr(point, ';dec=') - instr(point, ';h=') - 3)"
        " WHEN point LIKE 'mv/%%' THEN 'mv' ELSE 'unknown' END"
        " FROM results WHERE (akey IS NULL OR akey NOT IN (SELECT akey FROM algo)) AND (%s\n)%s"};
    char pk[512];
    *n = 0;
    if (pick_sql(d, pick, pk, sizeof pk, err, errlen))
        return -1;
    for (int k = 0; k < 2; k++) {
        size_t len = 1024 + sizeof pk + (where ? strlen(where) : 0);
        char *sql = malloc(len);
        if (!sql)
            return cm_fail(err, errlen, "out of memory");
        snprintf(sql, len, q[k], where ? where : "1", pk);
        db_rows *r;
        int rc = rows_new(d, sql, &r, err, errlen);
        free(sql);
        if (rc)
            return -1;
        pick_bind(r->st, pick);
        while ((rc = db_rows_next(r, err, errlen)) == 1)
            add_name(names, max, n, db_rows_text(r, 0) ? db_rows_text(r, 0) : "?");
        db_rows_free(r);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/*
 * Spec workload names first (a few runs), then, per name, whether some row
 * of its runs holds where: EXISTS stops at the first, so a database of one
 * workload, or rows of every workload, cost no scan of the table.
 */
int db_run_workloads(db_conn *d, const char *where, char (*names)[DB_WORKLOAD_NAME], int max,
                     int *n, char *err, size_t errlen)
{
    *n = 0;
    if (!has_col(d, "run", "workload"))
        return 0;
    db_rows *r, *q = NULL;
    char pk[512];
    if (rows_new(d, "SELECT DISTINCT workload FROM run WHERE workload IS NOT NULL"
                    " ORDER BY workload", &r, err, errlen))
        return -1;
    size_t len = 1024 + sizeof pk + (where ? strlen(where) : 0);
    char *sql = malloc(len);
    int rc = sql ? pick_sql(d, &(db_pick){0, ""}, pk, sizeof pk, err, errlen)
                 : cm_fail(err, errlen, "out of memory");
    if (!rc) {
        snprintf(sql, len, "SELECT EXISTS (SELECT 1 FROM %s WHERE (%s\n)%s)",
                 where ? "results" : "point", where ? where : "1", pk);
        rc = rows_new(d, sql, &q, err, errlen);
    }
    while (!rc && (rc = db_rows_next(r, err, errlen)) == 1) {
        const char *w = db_rows_text(r, 0);
        sqlite3_reset(q->st);
        pick_bind(q->st, &(db_pick){0, w});
        if ((rc = db_rows_next(q, err, errlen)) == 1 && db_rows_int(q, 0))
            add_name(names, max, n, w);
        rc = rc < 0 ? -1 : 0;
    }
    free(sql);
    db_rows_free(q);
    db_rows_free(r);
    return rc < 0 ? -1 : 0;
}

int db_run_set_front_points(db_conn *d, int64_t run_id, int64_t n, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, "UPDATE run SET front_points = ?1 WHERE id = ?2", -1, &st,
                           NULL) != SQLITE_OK)
        return dbi_sqlfail(d, err, errlen, "cannot record a run's front");
    sqlite3_bind_int64(st, 1, n);
    sqlite3_bind_int64(st, 2, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : dbi_sqlfail(d, err, errlen, "cannot record a run's front");
}

int db_run_find_front(db_conn *d, const char *spec_hash, const char *tech_hash,
                      int64_t *run_id, int64_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h,
                           "SELECT r.id, r.front_points, (SELECT count(*) FROM point p"
                           " WHERE p.run_id = r.id) + (SELECT count(*) FROM run_point m"
                           " WHERE m.run_id = r.id) FROM run r WHERE r.spec_hash = ?1 AND"
                           " r.status = 'done' AND r.tech_hash = ?2 AND r.tool_version = ?3"
                           " ORDER BY r.id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return dbi_sqlfail(d, err, errlen, "cannot read the runs");
    sqlite3_bind_text(st, 1, spec_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, tech_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, db_tool_version(), -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL &&
        sqlite3_column_int64(st, 1) == sqlite3_column_int64(st, 2)) {
        *run_id = sqlite3_column_int64(st, 0);
        *n = sqlite3_column_int64(st, 1);
        found = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot read the runs");
    return found;
}

int db_front_rows(db_conn *d, int64_t run_id, db_rows **out, char *err, size_t errlen)
{
    int rc = rows_new(d,
                      "SELECT p.point, p.params, p.throughput_fps, p.area_mm2, p.energy_pj,"
                      " (SELECT b.energy_pj FROM breakdown b JOIN component c ON c.id = b.comp_id"
                      " WHERE b.point_id = p.id AND c.name = 'dram') FROM point p"
                      " WHERE (p.run_id = ?1 OR p.id IN (SELECT point_id FROM run_point"
                      " WHERE run_id = ?1)) AND p.valid = 1 ORDER BY p.id", out, err, errlen);
    if (!rc)
        db_rows_bind_id(*out, run_id);
    return rc;
}

int db_breakdown_rows(db_conn *d, db_rows **out, char *err, size_t errlen)
{
    return rows_new(d, "SELECT component, area_um2, energy_pj, accesses FROM breakdowns"
                       " WHERE id = ?1 ORDER BY component", out, err, errlen);
}

int db_comp_rows(db_conn *d, const db_comp *c, int n, db_rows **out, char *err,
                 size_t errlen)
{
    char sql[128 + 20 * DB_MAX_COMPS];
    *out = NULL;
    if (n < 1 || n > DB_MAX_COMPS)
        return cm_fail(err, errlen, "%s: %d components", d->path, n);
    size_t len = (size_t)snprintf(sql, sizeof sql, "SELECT column1 AS component, column2 AS "
                                  "area_um2, column3 AS energy_pj, column4 AS accesses FROM "
                                  "(VALUES ");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s(?, ?, ?, NULL)", i ? ", " : "");
    snprintf(sql + len, sizeof sql - len, ")");
    if (rows_new(d, sql, out, err, errlen))
        return -1;
    sqlite3_stmt *st = (*out)->st;
    for (int i = 0; i < n; i++) {
        sqlite3_bind_text(st, 3 * i + 1, c[i].name, -1, SQLITE_TRANSIENT);
        dbi_bind_real(st, 3 * i + 2, c[i].area_um2);
        dbi_bind_real(st, 3 * i + 3, c[i].energy_pj);
    }
    return 0;
}

int db_accuracy_rows(db_conn *d, const char *point, db_rows **out, char *err, size_t errlen)
{
    if (rows_new(d, "SELECT dataset, accuracy, source, imported FROM accuracy"
                    " WHERE point = ?1 ORDER BY dataset", out, err, errlen))
        return -1;
    sqlite3_bind_text((*out)->st, 1, point, -1, SQLITE_TRANSIENT);
    return 0;
}

int db_run_tech(db_conn *d, int64_t id, char **tech_hash, char **spec_text, char *err,
                size_t errlen)
{
    sqlite3_stmt *st;
    *tech_hash = *spec_text = NULL;
    if (sqlite3_prepare_v2(d->h, "SELECT tech_hash, spec_text FROM run WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return cm_fail(err, errlen, "%s", sqlite3_errmsg(d->h));
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(st, 0);
        const char *x = (const char *)sqlite3_column_text(st, 1);
        *tech_hash = h ? strdup(h) : NULL;
        *spec_text = x ? strdup(x) : NULL;
    }
    sqlite3_finalize(st);
    return 0;
}

/* ---- dse pareto ---- */

int db_where_check(db_conn *d, const char *where, int *at, char *err, size_t errlen)
{
    static const char pre[] = "SELECT 1 FROM results WHERE ";
    size_t wl = strlen(where), len = sizeof pre + wl;
    char *sql = malloc(len);
    *at = 0;
    if (!sql)
        return cm_fail(err, errlen, "out of memory");
    snprintf(sql, len, "%s%s", pre, where);
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, &tail) != SQLITE_OK) {
        int off = sqlite3_error_offset(d->h) - (int)(sizeof pre - 1);
        if (off >= 0 && (size_t)off < wl)
            *at = off + 1;
        rc = cm_fail(err, errlen, "%s", sqlite3_errmsg(d->h));
    } else if (tail && tail[strspn(tail, " \t\r\n;")]) {
        rc = 1;
    }
    sqlite3_finalize(st);
    free(sql);
    return rc;
}

int db_front_scan(db_conn *d, const char *const *obj, int nobj, const char *where,
                  const db_pick *pick, db_rows **out, char *err, size_t errlen)
{
    size_t len = 4096 + (where ? strlen(where) : 0);
    char *sql = malloc(len), pk[512];
    *out = NULL;
    if (!sql)
        return cm_fail(err, errlen, "out of memory");
    if (pick_sql(d, pick, pk, sizeof pk, err, errlen)) {
        free(sql);
        return -1;
    }
    size_t u = (size_t)snprintf(sql, len, "SELECT id");
    for (int i = 0; i < nobj; i++)
        add_ident(sql, len, &u, obj[i]);
    snprintf(sql + u, len - u, " FROM results WHERE %s%s%s%s", where ? "(" : "",
             where ? where : "1", where ? "\n)" : "", pk);
    db_rows *r = calloc(1, sizeof *r);
    const char *tail = NULL;
    int rc = 0;
    if (!r) {
        rc = cm_fail(err, errlen, "out of memory");
    } else if (sqlite3_prepare_v2(d->h, sql, -1, &r->st, &tail) != SQLITE_OK) {
        rc = cm_fail(err, errlen, "%s", sqlite3_errmsg(d->h));
    } else if (tail && tail[strspn(tail, " \t\r\n;")]) {
        rc = 1;
    } else {
        r->d = d;
        pick_bind(r->st, pick);
        *out = r;
        r = NULL;
    }
    db_rows_free(r);
    free(sql);
    return rc;
}

int db_run_exists(db_conn *d, int64_t id, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, "SELECT 1 FROM run WHERE id = ?1", -1, &st, NULL))
        return dbi_readfail(d, err, errlen);
    sqlite3_bind_int64(st, 1, id);
    int found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* ---- several databases read as one (dbset.c) ---- */

int db_point_string(db_conn *d, int64_t id, char **point, char *err, size_t errlen)
{
    *point = NULL;
    if (!d->point_by_id && sqlite3_prepare_v3(d->h, "SELECT point FROM point WHERE id = ?1", -1,
                                              SQLITE_PREPARE_PERSISTENT, &d->point_by_id,
                                              NULL) != SQLITE_OK)
        return dbi_readfail(d, err, errlen);
    sqlite3_stmt *st = d->point_by_id;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && !(*point = strdup((const char *)sqlite3_column_text(st, 0))))
        rc = -1;
    sqlite3_reset(st);
    if (rc == -1)
        return cm_fail(err, errlen, "out of memory");
    return rc == SQLITE_ROW;
}

/* One integer from a one-row query of d (0 for NULL); "PATH: message". */
static int read_i64(db_conn *d, const char *sql, int64_t *v, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    *v = 0;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
        return dbi_readfail(d, err, errlen);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dbi_readfail(d, err, errlen);
    return 0;
}

int db_max_ids(db_conn *d, int64_t *max_point, int64_t *max_run, char *err, size_t errlen)
{
    return read_i64(d, "SELECT max(id) FROM point", max_point, err, errlen) ||
                   read_i64(d, "SELECT max(id) FROM run", max_run, err, errlen)
               ? -1
               : 0;
}

int db_each_shard_spec(db_conn *d, int (*fn)(const char *hash, void *ctx), void *ctx,
                       char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, "SELECT DISTINCT coalesce(spec_hash, '') FROM run"
                                 " WHERE shard_n > 1", -1, &st, NULL) != SQLITE_OK)
        return dbi_readfail(d, err, errlen);
    int rc, ret = dbi_each_text(st, fn, ctx, &rc);
    return ret == -1 && rc != SQLITE_OK ? dbi_readfail(d, err, errlen) : ret;
}

int dbi_each_text(sqlite3_stmt *st, int (*fn)(const char *text, void *ctx), void *ctx,
                  int *sqlrc)
{
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if ((ret = fn((const char *)sqlite3_column_text(st, 0), ctx)) != 0)
            break;
    sqlite3_finalize(st);
    *sqlrc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    return *sqlrc != SQLITE_OK ? -1 : ret;
}
