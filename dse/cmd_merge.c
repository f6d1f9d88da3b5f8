/*
 * cmd_merge.c - `dse merge OUT IN...`: merges shard databases into OUT.
 *
 * Every input (a database, a directory of them, a shard-set file: dbset.h)
 * is opened read-only and checked (SQLite, ours, a version this dse reads,
 * no shard of another spec among them) before OUT is touched.  Then: runs
 * (deduplicated by uuid, so merging twice adds nothing), component names,
 * points (a point present in several inputs is stored once, with the
 * breakdown of its first copy), breakdowns (re-keyed to OUT's ids),
 * accuracies and trained accuracies.  Columns are copied generically from
 * the schema, by name; one loop over the tables (tables[]), each with its
 * own row function.
 *
 * Speed (merge_fast.h): a new OUT starts as a page copy of the largest
 * input; the points of the others go in by one INSERT ... SELECT each from
 * the input attached to OUT, keys reused; only the rare rest row by row.
 * Atomicity: an OUT that existed gets everything in ONE transaction (more
 * inputs than SQLite attaches at once are first merged into a new
 * temporary file); a new OUT is written group by group without a journal
 * and removed on any error, so either way OUT ends complete or as it was.
 */
#include "cli.h"
#include "db.h"
#include "dbset.h"
#include "merge_fast.h"

#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "merge"

typedef struct {
    int64_t src, dst;
} idmap; /* sorted by src */

typedef struct {
    idmap *m;
    size_t n, cap;
} idmaps;

typedef struct {
    int64_t runs, points, dup_points, breakdowns, accuracies, trained;
} merge_stats;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dse merge OUT IN...\n\n"
        "Merges results databases (e.g. the shards of one sweep) into OUT, created\n"
        "when missing.  A point stored in several inputs is stored once; runs are\n"
        "copied (once, however often merged).  All inputs must have this dse's\n"
        "schema version.  On error OUT is left as it was.\n");
}

static int put_map(idmaps *mp, int64_t src, int64_t dst)
{
    if (mp->n == mp->cap) {
        size_t cap = mp->cap ? 2 * mp->cap : 1024;
        idmap *g = realloc(mp->m, cap * sizeof *g);
        if (!g)
            return -1;
        mp->m = g;
        mp->cap = cap;
    }
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

static int sqlerr(sqlite3 *h, const char *what)
{
    cli_bad(CMD, "%s: %s", what, sqlite3_errmsg(h));
    return -1;
}

/* What the tables of one input share: the id maps (the input's id -> OUT's)
 * that later tables are re-keyed through, and the counts. */
typedef struct {
    db_conn *out, *in;
    idmaps runs, comps, added;
    merge_stats *st;
} merge_ctx;

/*
 * A copy statement pair for one table: SELECT id, cols FROM IN; INSERT OR
 * IGNORE INTO OUT(cols).  cols = every column but "id" (and "key" of point,
 * which OUT assigns: ?1 of the insert, bound by db_insert_point_stmt), from
 * OUT's schema; a table without "id" selects NULL in its place.  ident is
 * the column that names a row in every database (run uuid, component name,
 * point string): look finds OUT's id by it (for every table with one but
 * point, whose id db_insert_point_stmt returns).
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

static int copier_prepare(copier *c, db_conn *out, db_conn *in, const char *sel,
                          const char *ins, const char *look)
{
    if (sqlite3_prepare_v2(db_sqlite(in), sel, -1, &c->sel, NULL) != SQLITE_OK)
        return sqlerr(db_sqlite(in), db_path(in));
    if (sqlite3_prepare_v2(db_sqlite(out), ins, -1, &c->ins, NULL) != SQLITE_OK ||
        (look[0] && sqlite3_prepare_v2(db_sqlite(out), look, -1, &c->look, NULL) != SQLITE_OK))
        return sqlerr(db_sqlite(out), db_path(out));
    return 0;
}

static int copier_init(copier *c, db_conn *out, db_conn *in, const char *table, int keyed,
                       const char *ident, const char *where)
{
    char err[512];
    if (db_columns(out, table, &c->cols, &c->ncol, err, sizeof err)) {
        cli_bad(CMD, "%s", err);
        return -1;
    }
    int has_id = 0;
    for (int i = 0; i < c->ncol; i++)
        has_id |= !strcmp(c->cols[i].name, "id");
    size_t len = 256 + (size_t)c->ncol * 48;
    char *sel = malloc(len), *ins = malloc(len), *vals = malloc(len), *look = malloc(len);
    int rc = -1;
    if (!sel || !ins || !vals || !look) {
        cli_bad(CMD, "out of memory");
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
        size_t u = strlen(sel);
        snprintf(sel + u, len - u, ", \"%s\"", c->cols[i].name);
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
    rc = copier_prepare(c, out, in, sel, ins, look);
out:
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
 * 0, 1 to skip the row, or -1 (reported). */
static int bind_copy(copier *c, const remap *rm, int nrm, db_conn *in)
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
        if (dst < 0) {
            cli_bad(CMD, "%s: %s", db_path(in), rm[j].missing);
            return -1;
        }
        sqlite3_bind_int64(c->ins, param, dst);
    }
    return 0;
}

/* The insert of the bound row; OUT's changes (0 or 1), or -1 (reported). */
static int insert_row(copier *c, db_conn *out)
{
    int rc = sqlite3_step(c->ins);
    sqlite3_reset(c->ins);
    if (rc != SQLITE_DONE)
        return sqlerr(db_sqlite(out), db_path(out));
    return sqlite3_changes(db_sqlite(out));
}

/* The row copied as it is; OUT's changes (0 or 1), or -1 (reported). */
static int copy_row(copier *c, db_conn *out, db_conn *in)
{
    return bind_copy(c, NULL, 0, in) ? -1 : insert_row(c, out);
}

/* Copies the row, then records OUT's id of it (looked up by ident, since
 * a row OUT had already is not inserted) in map.  OUT's changes, or -1. */
static int copy_mapped(merge_ctx *m, copier *c, idmaps *map)
{
    int changes = copy_row(c, m->out, m->in);
    if (changes < 0)
        return -1;
    sqlite3_bind_value(c->look, 1, sqlite3_column_value(c->sel, c->ident));
    if (sqlite3_step(c->look) != SQLITE_ROW) {
        sqlerr(db_sqlite(m->out), db_path(m->out));
        sqlite3_reset(c->look);
        return -1;
    }
    int bad = put_map(map, sqlite3_column_int64(c->sel, 0), sqlite3_column_int64(c->look, 0));
    sqlite3_reset(c->look);
    if (bad) {
        cli_bad(CMD, "out of memory");
        return -1;
    }
    return changes;
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
    char err[512];
    int64_t id;
    if (bind_copy(c, rm, 1, m->in))
        return -1;
    const char *point = (const char *)sqlite3_column_text(c->sel, c->ident);
    int ins = db_insert_point_stmt(m->out, c->ins, point, &id, err, sizeof err);
    if (ins < 0) {
        cli_bad(CMD, "%s", err);
        return -1;
    }
    if (ins == 0) {
        m->st->dup_points++;
        return 0;
    }
    m->st->points++;
    if (put_map(&m->added, sqlite3_column_int64(c->sel, 0), id)) {
        cli_bad(CMD, "out of memory");
        return -1;
    }
    return 0;
}

/* Breakdowns of the points added from this input only: a point OUT had
 * already keeps its own (point_id precedes comp_id in the schema, so such a
 * row is skipped before its component is looked at). */
static int row_breakdown(merge_ctx *m, copier *c)
{
    const remap rm[] = {{"point_id", &m->added, NULL},
                        {"comp_id", &m->comps, "breakdown with an unknown component id"}};
    int rc = bind_copy(c, rm, 2, m->in);
    if (rc)
        return rc < 0 ? -1 : 0;
    int changes = insert_row(c, m->out);
    m->st->breakdowns += changes > 0;
    return changes < 0 ? -1 : 0;
}

static int row_accuracy(merge_ctx *m, copier *c)
{
    int changes = copy_row(c, m->out, m->in);
    m->st->accuracies += changes > 0;
    return changes < 0 ? -1 : 0;
}

static int row_train(merge_ctx *m, copier *c)
{
    int changes = copy_row(c, m->out, m->in);
    m->st->trained += changes > 0;
    return changes < 0 ? -1 : 0;
}

/* The tables in the order of their references: points name runs,
 * breakdowns name points and components.  `train` is missing from inputs
 * made before it (same schema version): nothing to copy there. */
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
};

/* Every row of one table of the input through its row function; where
 * (with ?1 = id, unless "") selects some. */
static int copy_rows(merge_ctx *m, size_t t, const char *where, int64_t id)
{
    copier c = {0};
    int r, rc = -1;
    if (tables[t].optional) {
        db_column *cols;
        int ncol;
        char err[512];
        if (db_columns(m->in, tables[t].table, &cols, &ncol, err, sizeof err)) {
            cli_bad(CMD, "%s", err);
            return -1;
        }
        db_columns_free(cols, ncol);
        if (ncol == 0)
            return 0;
    }
    if (copier_init(&c, m->out, m->in, tables[t].table, tables[t].keyed, tables[t].ident, where))
        goto out;
    if (*where)
        sqlite3_bind_int64(c.sel, 1, id);
    while ((r = sqlite3_step(c.sel)) == SQLITE_ROW)
        if (tables[t].row(m, &c))
            goto out;
    if (r != SQLITE_DONE)
        sqlerr(db_sqlite(m->in), db_path(m->in));
    else
        rc = 0;
out:
    copier_free(&c);
    return rc;
}

static int copy_table(merge_ctx *m, size_t t) { return copy_rows(m, t, "", 0); }

static int64_t map_of(const void *mp, int64_t src) { return get_map(mp, src); }

enum { T_RUN, T_COMPONENT, T_POINT, T_BREAKDOWN, T_ACCURACY, T_TRAIN, T_COUNT };
_Static_assert(sizeof tables / sizeof tables[0] == T_COUNT, "T_* follow tables[]");

/*
 * The tables of one input attached to OUT as alias: points and their
 * breakdowns set-based (merge_fast.h), then the rows that path leaves one
 * by one, with their breakdowns (row_breakdown keeps those of the points
 * added here only).
 */
static int merge_attached(merge_ctx *m, const char *alias)
{
    char err[512];
    mf_result r;
    int rc = copy_table(m, T_RUN) || copy_table(m, T_COMPONENT) ? -1 : 0;
    if (!rc && mf_copy_points(m->out, alias, map_of, &m->runs, &m->comps, &r, err, sizeof err))
        rc = cli_bad(CMD, "%s", err);
    if (!rc) {
        m->st->points += r.fast;
        m->st->dup_points += r.dup;
        m->st->breakdowns += r.breakdown;
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

/* All tables of one input, inside OUT's transaction and IN's read snapshot;
 * alias: where the input is attached to OUT (NULL: row by row). */
static int merge_one(db_conn *out, db_conn *in, const char *alias, merge_stats *st)
{
    merge_ctx m = {out, in, {0}, {0}, {0}, st};
    int rc = 0;
    if (sqlite3_exec(db_sqlite(in), "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return sqlerr(db_sqlite(in), db_path(in));
    if (alias)
        rc = merge_attached(&m, alias);
    for (size_t t = 0; !alias && t < sizeof tables / sizeof tables[0] && !rc; t++)
        rc = copy_table(&m, t);
    sqlite3_exec(db_sqlite(in), "COMMIT", NULL, NULL, NULL);
    free(m.runs.m);
    free(m.comps.m);
    free(m.added.m);
    return rc;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Removes an OUT this command created (and its WAL files). */
static void remove_created(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        size_t len = strlen(path) + 16;
        char *p = malloc(len);
        if (!p)
            return;
        snprintf(p, len, "%s%s", path, sfx[i]);
        unlink(p);
        free(p);
    }
}

static int parse_args(int argc, char **argv)
{
    static const struct option lo[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        return cli_bad(CMD, "unknown option '%s' (try --help)", argv[optind - 1]);
    }
    if (argc - optind < 2)
        return cli_bad(CMD, "expected OUT and at least one IN (try --help)");
    return 0;
}

/* Opens and checks every input before OUT is touched. */
static int open_inputs(const char *out, char **paths, int n, db_conn **in)
{
    char err[512];
    for (int i = 0; i < n; i++) {
        if (same_file(out, paths[i]))
            return cli_bad(CMD, "input '%s' is the output", paths[i]);
        if (db_open(paths[i], DB_READONLY, &in[i], err, sizeof err))
            return cli_bad(CMD, "%s", err);
    }
    if (dbset_check_specs(in, n, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    return 0;
}

/* Inputs attached to OUT at once: SQLite's limit (10 here), less one, at
 * most MERGE_GROUP_MAX. */
#define MERGE_GROUP_MAX 16
static int group_size(db_conn *out)
{
    int lim = sqlite3_limit(db_sqlite(out), SQLITE_LIMIT_ATTACHED, -1) - 1;
    return lim < 1 ? 1 : lim > MERGE_GROUP_MAX ? MERGE_GROUP_MAX : lim;
}

/* The largest input of the current schema version (a page copy keeps its
 * keys, which version 1 files hash otherwise); -1 when none. */
static int largest_input(db_conn **in, int n)
{
    int best = -1;
    off_t size = -1;
    for (int i = 0; i < n; i++) {
        struct stat sb;
        if (mf_version(in[i]) == DB_SCHEMA_VERSION && stat(db_path(in[i]), &sb) == 0 &&
            sb.st_size > size) {
            size = sb.st_size;
            best = i;
        }
    }
    return best;
}

/* What the page copy of in brought into OUT, for the summary. */
static void count_copied(db_conn *in, merge_stats *st)
{
    static const char *const q[] = {"SELECT count(*) FROM point", "SELECT count(*) FROM run",
                                    "SELECT count(*) FROM breakdown",
                                    "SELECT count(*) FROM accuracy"};
    int64_t *dst[] = {&st->points, &st->runs, &st->breakdowns, &st->accuracies};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db_sqlite(in), q[i], -1, &s, NULL) != SQLITE_OK)
            continue;
        if (sqlite3_step(s) == SQLITE_ROW)
            *dst[i] += sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
}

/* Inputs in[lo..hi) but skip, each attached when it has this schema version,
 * in one transaction of OUT. */
static int merge_group(db_conn *out, db_conn **in, int lo, int hi, int skip, merge_stats *st)
{
    char err[512], alias[MERGE_GROUP_MAX][16];
    int att[MERGE_GROUP_MAX] = {0}, rc = CLI_OK;
    for (int i = lo; i < hi && rc == CLI_OK; i++) {
        snprintf(alias[i - lo], sizeof alias[0], "in%d", i - lo);
        if (i == skip || mf_version(in[i]) != DB_SCHEMA_VERSION)
            continue;
        if (mf_attach(out, db_path(in[i]), alias[i - lo], err, sizeof err))
            rc = cli_bad(CMD, "%s", err);
        att[i - lo] = 1;
    }
    if (rc == CLI_OK && db_begin(out, err, sizeof err))
        rc = cli_bad(CMD, "%s", err);
    for (int i = lo; i < hi && rc == CLI_OK; i++)
        if (i != skip && merge_one(out, in[i], att[i - lo] ? alias[i - lo] : NULL, st))
            rc = CLI_FAIL;
    if (rc == CLI_OK && db_commit(out, err, sizeof err))
        rc = CLI_FAIL, cli_bad(CMD, "%s", err);
    if (rc != CLI_OK)
        db_rollback(out);
    for (int i = lo; i < hi; i++)
        if (att[i - lo])
            mf_detach(out, alias[i - lo]);
    return rc;
}

static int pragma(db_conn *out, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db_sqlite(out), sql, NULL, NULL, &msg) == SQLITE_OK)
        return CLI_OK;
    cli_bad(CMD, "%s: %s", db_path(out), msg ? msg : sqlite3_errmsg(db_sqlite(out)));
    sqlite3_free(msg);
    return CLI_FAIL;
}

/*
 * A new OUT: the page copy of the largest input, then the others group by
 * group, written without a journal (a failure removes the file: the caller);
 * the file is left in WAL mode like every database of dse.
 */
static int merge_new(const char *out_path, db_conn **in, int n, merge_stats *st)
{
    char err[512];
    int first = largest_input(in, n);
    if (first >= 0 && mf_copy_whole(out_path, in[first], err, sizeof err))
        return cli_bad(CMD, "%s", err), CLI_FAIL;
    if (first >= 0)
        count_copied(in[first], st);
    db_conn *out;
    int orc = db_open(out_path, DB_CREATE, &out, err, sizeof err);
    if (orc) { /* a full disk is a write failure (1), not bad input (2) */
        cli_bad(CMD, "%s", err);
        return orc == DB_FAIL_WRITE ? CLI_FAIL : CLI_BADINPUT;
    }
    /* synchronous first: leaving WAL would otherwise sync the whole file */
    int rc = pragma(out, "PRAGMA synchronous = OFF; PRAGMA journal_mode = OFF");
    for (int lo = 0, g = group_size(out); lo < n && rc == CLI_OK; lo += g)
        rc = merge_group(out, in, lo, lo + g < n ? lo + g : n, first, st);
    if (rc == CLI_OK)
        rc = pragma(out, "PRAGMA journal_mode = WAL");
    db_close(out);
    return rc;
}

static int merge_all(const char *out_path, db_conn **in, int n, merge_stats *st);

/* An existing OUT and more inputs than attach at once: they are merged into
 * a new temporary file first, which then goes into OUT in one transaction. */
static int merge_staged(const char *out_path, db_conn **in, int n, merge_stats *st)
{
    size_t len = strlen(out_path) + 32;
    char *tmp = malloc(len), err[512];
    if (!tmp)
        return cli_bad(CMD, "out of memory"), CLI_FAIL;
    snprintf(tmp, len, "%s.merging%ld", out_path, (long)getpid());
    merge_stats st1 = {0};
    int rc = merge_all(tmp, in, n, &st1);
    db_conn *t = NULL;
    if (rc == CLI_OK && db_open(tmp, DB_READONLY, &t, err, sizeof err)) {
        cli_bad(CMD, "%s", err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK)
        rc = merge_all(out_path, &t, 1, st);
    db_close(t);
    remove_created(tmp);
    free(tmp);
    return rc;
}

static int merge_all(const char *out_path, db_conn **in, int n, merge_stats *st)
{
    char err[512];
    struct stat sb;
    if (stat(out_path, &sb) != 0) {
        int rc = merge_new(out_path, in, n, st);
        if (rc != CLI_OK)
            remove_created(out_path);
        return rc;
    }
    db_conn *out;
    int orc = db_open(out_path, DB_CREATE, &out, err, sizeof err);
    if (orc) { /* a full disk is a write failure (1), not bad input (2) */
        cli_bad(CMD, "%s", err);
        return orc == DB_FAIL_WRITE ? CLI_FAIL : CLI_BADINPUT;
    }
    int rc = n > group_size(out) ? merge_staged(out_path, in, n, st)
                                 : merge_group(out, in, 0, n, -1, st);
    db_close(out);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    int rc = parse_args(argc, argv);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *out = argv[optind];
    char **paths = NULL, err[512];
    int n = 0;
    if (dbset_expand((const char *const *)argv + optind + 1, argc - optind - 1, &paths, &n, err,
                     sizeof err))
        return cli_bad(CMD, "%s", err);
    db_conn **in = calloc((size_t)n, sizeof *in);
    if (!in) {
        dbset_paths_free(paths, n);
        cli_bad(CMD, "out of memory");
        return CLI_FAIL;
    }
    merge_stats st = {0};
    rc = open_inputs(out, paths, n, in);
    if (!rc)
        rc = merge_all(out, in, n, &st);
    for (int i = 0; i < n; i++)
        db_close(in[i]);
    free(in);
    dbset_paths_free(paths, n);
    if (!rc)
        fprintf(stderr, "dse merge: %s: %lld points added (%lld already present), %lld runs, "
                "%lld breakdown rows, %lld accuracies from %d inputs\n", out,
                (long long)st.points, (long long)st.dup_points, (long long)st.runs,
                (long long)st.breakdowns, (long long)st.accuracies, n);
    if (!rc && st.trained)
        fprintf(stderr, "dse merge: %s: %lld trained accuracies added\n", out,
                (long long)st.trained);
    return rc;
}
