/*
 * db_merge.c - copying one database into another (db.h: db_merge_input,
 * for dse merge): runs (deduplicated by uuid, so merging twice adds
 * nothing), component names, points (a point present in several inputs is
 * stored once, with the breakdown of its first copy), breakdowns (re-keyed
 * to OUT's ids), accuracies, trained accuracies and run membership (a
 * point a run evaluated that OUT had stored by another).  Columns are copied
 * generically from the schema, by name; one loop over the tables
 * (tables[]), each with its own row function.  An input attached to OUT
 * has its points copied set-based first (db_merge_fast.c), and only the
 * rest row by row here.  Also the small pieces dse merge needs around it:
 * the wholesale copy's counts, the bulk mode of a new OUT.
 */
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t src, dst;
} idmap; /* sorted by src */

typedef struct {
    idmap *m;
    size_t n, cap;
} idmaps;

static int put_map(idmaps *mp, int64_t src, int64_t dst)
{
    idmap *g = cm_grow(mp->m, mp->n, &mp->cap, sizeof *g, 1024);
    if (!g)
        return -1;
    mp->m = g;
    mp->m[mp->n++] = (idmap){src, dst};
    return 0;
}

/* Binary search: dst of src, or -1 (maps are filled in increasing src). */
static int64_t get_map(const idmaps *mp, int64_t src)
{
    size_t lo = 0, hi = mp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mp->m[mid].src < src)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < mp->n && mp->m[lo].src == src ? mp->m[lo].dst : -1;
}

/* What the tables of one input share: the id maps (the input's id -> OUT's)
 * that later tables are re-keyed through, the counts, the error. */
typedef struct {
    db_conn *out, *in;
    idmaps runs, comps, added;
    db_merge_stats *st;
    char *err;
    size_t errlen;
} merge_ctx;

/*
 * A copy statement pair for one table: SELECT id, cols FROM IN; INSERT OR
 * IGNORE INTO OUT(cols).  cols = every column but "id" (and "key" of point,
 * which OUT assigns: ?1 of the insert, bound by dbi_insert_point_key), from
 * OUT's schema; a table without "id" selects NULL in its place.  ident is
 * the column that names a row in every database (run uuid, component name,
 * point string): look finds OUT's id by it (for every table with one but
 * point, whose id dbi_insert_point_key returns).
 */
typedef struct {
    sqlite3_stmt *sel, *ins, *look;
    int ncol, keyed, ident;
    db_column *cols;
} copier;

static void copier_free(copier *c)
{
    sqlite3_finalize(c->sel);
    sqlite3_finalize(c->ins);
    sqlite3_finalize(c->look);
    db_columns_free(c->cols, c->ncol);
    memset(c, 0, sizeof *c);
}

static int copier_prepare(merge_ctx *m, copier *c, const char *sel, const char *ins,
                          const char *look)
{
    if (sqlite3_prepare_v2(m->in->h, sel, -1, &c->sel, NULL) != SQLITE_OK)
        return dbi_readfail(m->in, m->err, m->errlen);
    if (sqlite3_prepare_v2(m->out->h, ins, -1, &c->ins, NULL) != SQLITE_OK ||
        (look[0] && sqlite3_prepare_v2(m->out->h, look, -1, &c->look, NULL) != SQLITE_OK))
        return dbi_readfail(m->out, m->err, m->errlen);
    return 0;
}

static int copier_init(merge_ctx *m, copier *c, const char *table, int keyed, const char *ident,
                       const char *where)
{
    db_column *incols = NULL;
    int nin = 0;
    if (db_columns(m->out, table, &c->cols, &c->ncol, m->err, m->errlen) ||
        db_columns(m->in, table, &incols, &nin, m->err, m->errlen))
        return -1;
    int has_id = 0;
    for (int i = 0; i < c->ncol; i++)
        has_id |= !strcmp(c->cols[i].name, "id");
    size_t len = 256 + (size_t)c->ncol * 48;
    char *sel = malloc(len), *ins = malloc(len), *vals = malloc(len), *look = malloc(len);
    int rc = -1;
    if (!sel || !ins || !vals || !look) {
        cm_fail(m->err, m->errlen, "out of memory");
        goto out;
    }
    c->keyed = keyed;
    c->ident = -1;
    snprintf(sel, len, "SELECT %s", has_id ? "id" : "NULL");
    snprintf(ins, len, "INSERT OR IGNORE INTO \"%s\"(%s", table, keyed ? "key" : "");
    snprintf(vals, len, "%s", keyed ? "?1" : "");
    int k = keyed;
    for (int i = 0; i < c->ncol; i++) {
        if (!strcmp(c->cols[i].name, "id") || (keyed && !strcmp(c->cols[i].name, "key")))
            continue;
        if (ident && !strcmp(c->cols[i].name, ident))
            c->ident = k - keyed + 1;
        /* a column added to version 2 since the input was made: NULL */
        int there = 0;
        for (int j = 0; j < nin && !there; j++)
            there = !strcmp(incols[j].name, c->cols[i].name);
        size_t u = strlen(sel);
        snprintf(sel + u, len - u, there ? ", \"%s\"" : ", NULL", c->cols[i].name);
        u = strlen(ins);
        snprintf(ins + u, len - u, "%s\"%s\"", k ? ", " : "", c->cols[i].name);
        u = strlen(vals);
        snprintf(vals + u, len - u, "%s?%d", k ? ", " : "", k + 1);
        k++;
    }
    size_t u = strlen(sel);
    snprintf(sel + u, len - u, " FROM \"%s\"%s%s", table, where, has_id ? " ORDER BY id" : "");
    u = strlen(ins);
    snprintf(ins + u, len - u, ") VALUES (%s)", vals);
    look[0] = '\0';
    if (ident && !keyed)
        snprintf(look, len, "SELECT id FROM \"%s\" WHERE \"%s\" = ?1", table, ident);
    rc = copier_prepare(m, c, sel, ins, look);
out:
    db_columns_free(incols, nin);
    free(sel);
    free(ins);
    free(vals);
    free(look);
    return rc;
}

/* A column of ids that OUT knows by other ids: the row's is replaced through
 * map.  An id missing from map is the error `missing`, or (NULL) skips the
 * row. */
typedef struct {
    const char *col;
    const idmaps *map;
    const char *missing;
} remap;

/* Binds the selected row (columns 1..) to the insert, through the nrm remaps.
 * 0, 1 to skip the row, or -1 (err). */
static int bind_copy(merge_ctx *m, copier *c, const remap *rm, int nrm)
{
    for (int i = 1; i < sqlite3_column_count(c->sel); i++) {
        const char *name = sqlite3_column_name(c->sel, i);
        int param = i + c->keyed, j = 0;
        while (j < nrm && strcmp(name, rm[j].col))
            j++;
        if (j == nrm) {
            sqlite3_bind_value(c->ins, param, sqlite3_column_value(c->sel, i));
            continue;
        }
        int64_t dst = get_map(rm[j].map, sqlite3_column_int64(c->sel, i));
        if (dst < 0 && !rm[j].missing)
            return 1;
        if (dst < 0)
            return cm_fail(m->err, m->errlen, "%s: %s", m->in->path, rm[j].missing);
        sqlite3_bind_int64(c->ins, param, dst);
    }
    return 0;
}

/* The insert of the bound row; OUT's changes (0 or 1), or -1 (err). */
static int insert_row(merge_ctx *m, copier *c)
{
    int rc = sqlite3_step(c->ins);
    sqlite3_reset(c->ins);
    if (rc != SQLITE_DONE)
        return dbi_readfail(m->out, m->err, m->errlen);
    return sqlite3_changes(m->out->h);
}

/* The row copied as it is; OUT's changes (0 or 1), or -1 (err). */
static int copy_row(merge_ctx *m, copier *c)
{
    return bind_copy(m, c, NULL, 0) ? -1 : insert_row(m, c);
}

/* Copies the row, then records OUT's id of it (looked up by ident, since
 * a row OUT had already is not inserted) in map.  OUT's changes, or -1. */
static int copy_mapped(merge_ctx *m, copier *c, idmaps *map)
{
    int changes = copy_row(m, c);
    if (changes < 0)
        return -1;
    sqlite3_bind_value(c->look, 1, sqlite3_column_value(c->sel, c->ident));
    if (sqlite3_step(c->look) != SQLITE_ROW) {
        dbi_readfail(m->out, m->err, m->errlen);
        sqlite3_reset(c->look);
        return -1;
    }
    int bad = put_map(map, sqlite3_column_int64(c->sel, 0), sqlite3_column_int64(c->look, 0));
    sqlite3_reset(c->look);
    if (bad)
        return cm_fail(m->err, m->errlen, "out of memory");
    return changes;
}

/*
 * Run membership (table run_point): each row of the input's, as OUT's run
 * and point ids (the point found by its string), unless OUT's point is that
 * run's own.  Points OUT had already got their rows where they were met
 * (row_point, dbi_copy_points).  Rows are few (shared points only): one
 * probe each.
 */
static int copy_members(merge_ctx *m)
{
    int has = db_has_table(m->in, "run_point", m->err, m->errlen);
    sqlite3_stmt *st;
    if (has <= 0)
        return has;
    if (sqlite3_prepare_v2(m->in->h, "SELECT r.run_id, p.point FROM run_point r"
                           " JOIN point p ON p.id = r.point_id", -1, &st, NULL) != SQLITE_OK)
        return dbi_readfail(m->in, m->err, m->errlen);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *pt = (const char *)sqlite3_column_text(st, 1);
        int64_t run = get_map(&m->runs, sqlite3_column_int64(st, 0)), id = 0, k;
        int found;
        if (dbi_probe(m->out, pt, dbi_key_of(m->out, pt, strlen(pt)), &found, &id, &k, m->err,
                      m->errlen) ||
            (found && run > 0 && dbi_add_member(m->out, run, id, m->err, m->errlen)))
            break;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return -1;
    return rc == SQLITE_DONE ? 0 : dbi_readfail(m->in, m->err, m->errlen);
}

/* Runs: deduplicated by uuid, so that merging twice adds none. */
static int row_run(merge_ctx *m, copier *c)
{
    int changes = copy_mapped(m, c, &m->runs);
    m->st->runs += changes > 0;
    return changes < 0 ? -1 : 0;
}

/* Component names: small, shared by name. */
static int row_component(merge_ctx *m, copier *c)
{
    return copy_mapped(m, c, &m->comps) < 0 ? -1 : 0;
}

/* Points: the ones OUT did not have are recorded in added (src -> dst id). */
static int row_point(merge_ctx *m, copier *c)
{
    const remap rm[] = {{"run_id", &m->runs, "a row refers to a missing run_id"}};
    int64_t id;
    if (bind_copy(m, c, rm, 1))
        return -1;
    const char *point = (const char *)sqlite3_column_text(c->sel, c->ident);
    int ins = dbi_insert_point_key(m->out, c->ins, point, dbi_key_of(m->out, point, strlen(point)),
                                   &id, m->err, m->errlen);
    if (ins < 0)
        return -1;
    if (ins == 0) { /* OUT has it: the input's run evaluated it too */
        m->st->dup_points++;
        int r = 1, nc = sqlite3_column_count(c->sel);
        while (r < nc && strcmp(sqlite3_column_name(c->sel, r), "run_id"))
            r++;
        return dbi_add_member(m->out, get_map(&m->runs, sqlite3_column_int64(c->sel, r)), id,
                              m->err, m->errlen);
    }
    m->st->points++;
    if (put_map(&m->added, sqlite3_column_int64(c->sel, 0), id))
        return cm_fail(m->err, m->errlen, "out of memory");
    return 0;
}

/* Breakdowns of the points added from this input only: a point OUT had
 * already keeps its own (point_id precedes comp_id in the schema, so such a
 * row is skipped before its component is looked at). */
static int row_breakdown(merge_ctx *m, copier *c)
{
    const remap rm[] = {{"point_id", &m->added, NULL},
                        {"comp_id", &m->comps, "breakdown with an unknown component id"}};
    int rc = bind_copy(m, c, rm, 2);
    if (rc)
        return rc < 0 ? -1 : 0;
    int changes = insert_row(m, c);
    m->st->breakdowns += changes > 0;
    return changes < 0 ? -1 : 0;
}

static int row_accuracy(merge_ctx *m, copier *c)
{
    int changes = copy_row(m, c);
    m->st->accuracies += changes > 0;
    return changes < 0 ? -1 : 0;
}

static int row_train(merge_ctx *m, copier *c)
{
    int changes = copy_row(m, c);
    m->st->trained += changes > 0;
    return changes < 0 ? -1 : 0;
}

/* The design columns of an algorithm: every database derives the same row
 * for one akey, so the first copy stays. */
static int row_algo(merge_ctx *m, copier *c)
{
    return copy_row(m, c) < 0 ? -1 : 0;
}

/* The tables in the order of their references: points name runs,
 * breakdowns name points and components.  `train` and `algo` are missing
 * from inputs made before them (same schema version): nothing to copy there. */
static const struct {
    const char *table;
    int keyed;                      /* OUT assigns the point key */
    int optional;                   /* an input may lack the table */
    const char *ident;              /* copier.ident, or NULL */
    int (*row)(merge_ctx *, copier *);
} tables[] = {
    {"run", 0, 0, "uuid", row_run},
    {"component", 0, 0, "name", row_component},
    {"point", 1, 0, "point", row_point},
    {"breakdown", 0, 0, NULL, row_breakdown},
    {"accuracy", 0, 0, NULL, row_accuracy},
    {"train", 0, 1, NULL, row_train},
    {"algo", 0, 1, NULL, row_algo},
};

/* Every row of one table of the input through its row function; where
 * (with ?1 = id, unless "") selects some. */
static int copy_rows(merge_ctx *m, size_t t, const char *where, int64_t id)
{
    copier c = {0};
    int r, rc = -1;
    if (tables[t].optional) {
        int has = db_has_table(m->in, tables[t].table, m->err, m->errlen);
        if (has <= 0)
            return has;
    }
    if (copier_init(m, &c, tables[t].table, tables[t].keyed, tables[t].ident, where))
        goto out;
    if (*where)
        sqlite3_bind_int64(c.sel, 1, id);
    while ((r = sqlite3_step(c.sel)) == SQLITE_ROW)
        if (tables[t].row(m, &c))
            goto out;
    if (r != SQLITE_DONE)
        dbi_readfail(m->in, m->err, m->errlen);
    else
        rc = 0;
out:
    copier_free(&c);
    return rc;
}

static int copy_table(merge_ctx *m, size_t t) { return copy_rows(m, t, "", 0); }

static int64_t map_of(const void *mp, int64_t src) { return get_map(mp, src); }

enum { T_RUN, T_COMPONENT, T_POINT, T_BREAKDOWN, T_ACCURACY, T_TRAIN, T_ALGO, T_COUNT };
_Static_assert(sizeof tables / sizeof tables[0] == T_COUNT, "T_* follow tables[]");

/*
 * The tables of one input attached to OUT as alias: points and their
 * breakdowns set-based (db_merge_fast.c), then the rows that path leaves
 * one by one, with their breakdowns (row_breakdown keeps those of the
 * points added here only).
 */
static int merge_attached(merge_ctx *m, const char *alias)
{
    dbi_copy_result r;
    int rc = copy_table(m, T_RUN) || copy_table(m, T_COMPONENT) ? -1 : 0;
    if (!rc && dbi_copy_points(m->out, alias, map_of, &m->runs, &m->comps, &r, m->err,
                               m->errlen))
        rc = -1;
    if (!rc) {
        m->st->points += r.fast;
        m->st->dup_points += r.dup;
        m->st->breakdowns += r.refs[DBI_REF_BREAKDOWN];
        for (size_t i = 0; i < r.nslow && !rc; i++)
            rc = copy_rows(m, T_POINT, " WHERE id = ?1", r.slow[i]);
        if (!rc && m->added.n)
            rc = copy_table(m, T_BREAKDOWN);
        free(r.slow);
    }
    for (size_t t = T_ACCURACY; t < T_COUNT && !rc; t++)
        rc = copy_table(m, t);
    return rc;
}

/* 1 when in's point table has every column of out's (the fast copy
 * selects them by name). */
static int same_point_columns(db_conn *out, db_conn *in)
{
    db_column *a = NULL, *b = NULL;
    int na = 0, nb = 0, all = 1;
    if (db_columns(out, "point", &a, &na, NULL, 0) || db_columns(in, "point", &b, &nb, NULL, 0))
        all = 0;
    for (int i = 0; i < na && all; i++) {
        int there = 0;
        for (int j = 0; j < nb && !there; j++)
            there = !strcmp(a[i].name, b[j].name);
        all = there;
    }
    db_columns_free(a, na);
    db_columns_free(b, nb);
    return all;
}

int db_merge_input(db_conn *out, db_conn *in, const char *alias, db_merge_stats *st,
                   char *err, size_t errlen)
{
    merge_ctx m = {out, in, {0}, {0}, {0}, st, err, errlen};
    int rc = 0;
    if (sqlite3_exec(in->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return dbi_readfail(in, err, errlen);
    if (alias && !same_point_columns(out, in))
        alias = NULL; /* an input older than OUT's columns: row by row */
    if (alias)
        rc = merge_attached(&m, alias);
    for (size_t t = 0; !alias && t < T_COUNT && !rc; t++)
        rc = copy_table(&m, t);
    if (!rc)
        rc = copy_members(&m);
    sqlite3_exec(in->h, "COMMIT", NULL, NULL, NULL);
    free(m.runs.m);
    free(m.comps.m);
    free(m.added.m);
    return rc;
}

/* ---- around the copy ---- */

int db_attach_max(db_conn *d) { return sqlite3_limit(d->h, SQLITE_LIMIT_ATTACHED, -1); }

void db_merge_count(db_conn *in, db_merge_stats *st)
{
    static const char *const q[] = {"SELECT count(*) FROM point", "SELECT count(*) FROM run",
                                    "SELECT count(*) FROM breakdown",
                                    "SELECT count(*) FROM accuracy"};
    int64_t *dst[] = {&st->points, &st->runs, &st->breakdowns, &st->accuracies};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(in->h, q[i], -1, &s, NULL) != SQLITE_OK)
            continue;
        if (sqlite3_step(s) == SQLITE_ROW)
            *dst[i] += sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
}

int db_bulk_mode(db_conn *d, int on, char *err, size_t errlen)
{
    /* synchronous first: leaving WAL would otherwise sync the whole file.
     * secure_delete (Debian's SQLite turns it on) zeroes the space cells
     * leave when pages split: nothing of a new file's is deleted, and it
     * cost 3% of the merge's instructions. */
    const char *sql = on ? "PRAGMA synchronous = OFF; PRAGMA journal_mode = OFF;"
                           " PRAGMA secure_delete = OFF"
                         : "PRAGMA journal_mode = WAL";
    char *msg = NULL;
    if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    cm_fail(err, errlen, "%s: %s", d->path, msg ? msg : sqlite3_errmsg(d->h));
    sqlite3_free(msg);
    return -1;
}
