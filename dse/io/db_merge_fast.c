/*
 * db_merge_fast.c - the set-based part of `dse merge` (db_int.h says why
 * it is right): the INSERT ... SELECT of the points of an input attached to
 * OUT (db_copy.c), reusing their stored keys, with the tables that refer to
 * them; the few rows it leaves go to the probing path (db_merge.c).
 */
#include "db_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail_sql(sqlite3 *h, const char *path, char *err, size_t errlen)
{
    return cm_fail(err, errlen, "%s: %s", path, sqlite3_errmsg(h));
}

/* ---- the SQL functions of the copy ---- */

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

/*
 * The rows the set-based insert leaves out, noted as it runs (no second
 * pass over the tables): dse_take(id, key, point), the insert's WHERE, is
 * false for a row not at its own hash key (noted), and otherwise makes the
 * row pending; the update hook clears it when OUT stores it as id + off.
 * A row still pending when the next one is taken was ignored (its key is
 * in OUT already).  This relies on SQLite inserting each selected row
 * before it selects the next (true for an INSERT ... SELECT from another
 * table); a hook that does not match the pending row says otherwise, and
 * dbi_copy_points then finds the rows by walking the key indexes.
 */
typedef struct {
    int64_t off, pending; /* pending: input id taken, not yet stored (-1: none) */
    int64_t stored, odd;  /* hooks for the pending row, and others */
    dbi_copy_result *r;
    size_t cap;
    int oom;
} take_ctx;

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Appends id to r->slow (malloc'd). */
static int push_id(dbi_copy_result *r, size_t *cap, int64_t id)
{
    if (r->nslow == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        int64_t *g = realloc(r->slow, *cap * sizeof *g);
        if (!g)
            return -1;
        r->slow = g;
    }
    r->slow[r->nslow++] = id;
    return 0;
}

static void take_note(take_ctx *t, int64_t id)
{
    if (push_id(t->r, &t->cap, id))
        t->oom = 1;
}

static void fn_take(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    take_ctx *t = sqlite3_user_data(cx);
    int64_t id = sqlite3_value_int64(argv[0]);
    const unsigned char *p = sqlite3_value_text(argv[2]);
    if (t->pending >= 0)
        take_note(t, t->pending);
    t->pending = -1;
    if (p && sqlite3_value_int64(argv[1]) == db_point_key((const char *)p))
        t->pending = id;
    else
        take_note(t, id);
    sqlite3_result_int(cx, t->pending >= 0);
}

static void on_store(void *ctx, int op, const char *db, const char *table, sqlite3_int64 id)
{
    take_ctx *t = ctx;
    if (op != SQLITE_INSERT || strcmp(db, "main") || strcmp(table, "point"))
        return;
    if (t->pending >= 0 && id == t->pending + t->off) {
        t->stored++;
        t->pending = -1;
    } else {
        t->odd++;
    }
}

static int register_fns(sqlite3 *h, fn_map_ctx *run, fn_map_ctx *comp, take_ctx *take)
{
    const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    return sqlite3_create_function(h, "dse_take", 3, SQLITE_UTF8, take, fn_take, NULL, NULL) ||
           sqlite3_create_function(h, "dse_run_id", 1, flags, run, fn_map, NULL, NULL) ||
           sqlite3_create_function(h, "dse_comp_id", 1, flags, comp, fn_map, NULL, NULL);
}

static void unregister_fns(sqlite3 *h)
{
    static const char *const fn[] = {"dse_take", "dse_run_id", "dse_comp_id"};
    static const int nargs[] = {3, 1, 1};
    for (int i = 0; i < 3; i++)
        sqlite3_create_function(h, fn[i], nargs[i], SQLITE_UTF8, NULL, NULL, NULL, NULL);
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

/* Steps st; 1 with *k, *id its two columns, 0 at the end, -1 on error. */
static int next_row(sqlite3_stmt *st, int64_t *k, int64_t *id)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *k = sqlite3_column_int64(st, 0);
        *id = sqlite3_column_int64(st, 1);
    }
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The input ids that the set-based insert left out, found after it (when
 * the notes of take_ctx cannot be trusted): OUT's row at the input row's
 * key is not id + off, or there is none.  A walk of the input's key index
 * beside OUT's, both in key order (covering indexes of 20-odd bytes a row;
 * the tables would be every stored string).
 */
static int walk_left_out(db_conn *out, const char *alias, int64_t off, dbi_copy_result *r,
                         char *err, size_t errlen)
{
    char sql[2][128];
    snprintf(sql[0], sizeof sql[0], "SELECT key, id FROM \"%s\".point ORDER BY key", alias);
    snprintf(sql[1], sizeof sql[1], "SELECT key, id FROM main.point ORDER BY key");
    sqlite3 *h = out->h;
    sqlite3_stmt *st[2] = {NULL, NULL};
    int rc = 0;
    for (int i = 0; i < 2 && !rc; i++)
        rc = sqlite3_prepare_v2(h, sql[i], -1, &st[i], NULL) != SQLITE_OK ? -1 : 0;
    size_t cap = 0;
    int64_t ka, ia, kb = 0, ib = 0;
    int more_b = rc ? -1 : next_row(st[1], &kb, &ib), more_a = 0, oom = 0;
    while (!oom && more_b >= 0 && (more_a = next_row(st[0], &ka, &ia)) > 0) {
        while (more_b > 0 && kb < ka)
            more_b = next_row(st[1], &kb, &ib);
        if (!(more_b > 0 && kb == ka && ib == ia + off))
            oom = push_id(r, &cap, ia);
    }
    if (oom)
        rc = cm_fail(err, errlen, "out of memory");
    else if (rc || more_b < 0 || more_a < 0)
        rc = fail_sql(h, db_path(out), err, errlen);
    for (int i = 0; i < 2; i++)
        sqlite3_finalize(st[i]);
    if (!rc && r->nslow > 1) /* the probing path copies in the input's id order */
        qsort(r->slow, r->nslow, sizeof *r->slow, cmp_id);
    return rc;
}

/* Drops from r->slow the rows OUT holds already at the same key with the
 * same string (duplicates: nothing to copy); the rest is the probing
 * path's. */
static int drop_stored(db_conn *out, const char *alias, dbi_copy_result *r, char *err,
                       size_t errlen)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM \"%s\".point s, main.point m"
             " WHERE s.id = ?1 AND m.key = s.key AND m.point = s.point), 0", alias);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(out->h, sql, -1, &st, NULL) != SQLITE_OK)
        return fail_sql(out->h, db_path(out), err, errlen);
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < r->nslow && !rc; i++) {
        int64_t dup = 0, unused;
        sqlite3_bind_int64(st, 1, r->slow[i]);
        rc = next_row(st, &dup, &unused) < 0 ? fail_sql(out->h, db_path(out), err, errlen) : 0;
        sqlite3_reset(st);
        if (!dup)
            r->slow[n++] = r->slow[i];
    }
    sqlite3_finalize(st);
    r->nslow = n;
    return rc;
}

/*
 * The tables that refer to points, copied with the points that the
 * set-based insert put in (one INSERT ... SELECT each; %s: the input's
 * alias, ?1: the id shift off).  Those points are exactly OUT's ids above
 * off, as long as no probed row has taken one (these run before).  A point
 * OUT had already keeps its own rows.  `optional`: older inputs may lack
 * the table.  One more such table is one more line (and its DBI_REF_*).
 */
static const struct {
    const char *table;
    int optional;
    const char *sql;
} refs[DBI_REF_COUNT] = {
    [DBI_REF_BREAKDOWN] = {"breakdown", 0,
        "INSERT INTO main.breakdown(point_id, comp_id, area_um2, energy_pj, accesses)"
        " SELECT b.point_id + ?1, dse_comp_id(b.comp_id), b.area_um2, b.energy_pj, b.accesses"
        " FROM \"%s\".breakdown b"
        " WHERE EXISTS (SELECT 1 FROM main.point m WHERE m.id = b.point_id + ?1)"},
};

/* 1 when the attached input has the table, 0 not, -1 error. */
static int input_has(db_conn *out, const char *alias, const char *table, char *err,
                     size_t errlen)
{
    char sql[256];
    int64_t n = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\".sqlite_master WHERE type = 'table'"
             " AND name = '%s'", alias, table);
    return run_sql(out, sql, 0, &n, err, errlen) ? -1 : n > 0;
}

/* The referring tables of one input (refs[]), rows counted in r->refs. */
static int copy_refs(db_conn *out, const char *alias, int64_t off, dbi_copy_result *r,
                     char *err, size_t errlen)
{
    for (int t = 0; t < DBI_REF_COUNT; t++) {
        char sql[1024];
        int has = refs[t].optional ? input_has(out, alias, refs[t].table, err, errlen) : 1;
        if (has < 0)
            return -1;
        snprintf(sql, sizeof sql, refs[t].sql, alias);
        if (has && run_sql(out, sql, off, &r->refs[t], err, errlen))
            return -1;
    }
    return 0;
}

/* The count and the set-based insert of one input's points. */
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
    /* In the input's id order (its table's own order: no sort), ids
     * shifted past OUT's: OUT's table is appended to, and its key index
     * (64 MB of cache: millions of keys) stays in memory; the input's key
     * order measured slower (an index walk with a table lookup per row).
     * OR IGNORE: a key OUT uses already (the same point, or a rare
     * collision) skips the row, noted by take_ctx; no other constraint can
     * fail, the input having the same ones. */
    snprintf(sql, len, "INSERT OR IGNORE INTO main.point(id, key, point, run_id%s)"
             " SELECT s.id + ?1, s.key, s.point, dse_run_id(s.run_id)%s FROM \"%s\".point s"
             " WHERE dse_take(s.id, s.key, s.point) ORDER BY s.id", cols, scols, alias);
    if (run_sql(out, sql, off, &r->fast, err, errlen))
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
    take_ctx take = {.pending = -1, .r = r};
    memset(r, 0, sizeof *r);
    if (register_fns(h, &rc_run, &rc_comp, &take)) {
        fail_sql(h, db_path(out), err, errlen);
        unregister_fns(h);
        return -1;
    }
    int rc = run_sql(out, "SELECT coalesce(max(id), 0) FROM main.point", 0, &take.off, err,
                     errlen);
    sqlite3_update_hook(h, on_store, &take); /* the module sets no other */
    if (!rc)
        rc = copy_sql(out, alias, take.off, r, err, errlen);
    sqlite3_update_hook(h, NULL, NULL);
    if (take.pending >= 0) /* the last row taken was ignored */
        take_note(&take, take.pending);
    if (!rc && take.oom)
        rc = cm_fail(err, errlen, "out of memory");
    /* notes that do not add up: find the rows again */
    if (!rc && (take.odd || take.stored != r->fast || r->total - r->fast != (int64_t)r->nslow)) {
        r->nslow = 0;
        rc = walk_left_out(out, alias, take.off, r, err, errlen);
    }
    if (!rc)
        rc = copy_refs(out, alias, take.off, r, err, errlen);
    if (!rc && r->nslow)
        rc = drop_stored(out, alias, r, err, errlen);
    if (!rc)
        r->dup = r->total - r->fast - (int64_t)r->nslow;
    if (!rc)
        rc = dup_members(out, alias, r, err, errlen);
    unregister_fns(h);
    return rc;
}
