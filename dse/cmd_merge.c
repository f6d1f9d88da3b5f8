/*
 * cmd_merge.c - `dse merge OUT IN...`: merges shard databases into OUT.
 *
 * Every input is opened read-only and checked (SQLite, ours, this schema
 * version) before OUT is touched.  Everything is then copied in ONE
 * transaction of OUT: runs (deduplicated by uuid, so merging twice adds
 * nothing), component names, points (INSERT OR IGNORE on the point string:
 * a point present in several inputs is stored once, with the breakdown of
 * its first copy), breakdowns (re-keyed to OUT's ids) and accuracies.  On
 * any error the transaction rolls back, and an OUT this command created is
 * removed.  Columns are copied generically from the schema, by name.
 */
#include "cli.h"
#include "db.h"

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
    int64_t runs, points, dup_points, breakdowns, accuracies;
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

/*
 * A copy statement pair for one table: SELECT id, cols FROM IN; INSERT OR
 * IGNORE INTO OUT(cols).  cols = every column but "id" (and "key" of point,
 * which OUT assigns: ?1 of the insert, bound by db_insert_point_stmt), from
 * OUT's schema.
 */
typedef struct {
    sqlite3_stmt *sel, *ins;
    int ncol, keyed;
    db_column *cols;
} copier;

static void copier_free(copier *c)
{
    sqlite3_finalize(c->sel);
    sqlite3_finalize(c->ins);
    db_columns_free(c->cols, c->ncol);
    memset(c, 0, sizeof *c);
}

static int copier_init(copier *c, db_conn *out, db_conn *in, const char *table, int has_id,
                       int keyed)
{
    char err[512];
    if (db_columns(out, table, &c->cols, &c->ncol, err, sizeof err)) {
        cli_bad(CMD, "%s", err);
        return -1;
    }
    size_t len = 256 + (size_t)c->ncol * 48;
    char *sel = malloc(len), *ins = malloc(len), *vals = malloc(len);
    int rc = -1;
    if (!sel || !ins || !vals) {
        cli_bad(CMD, "out of memory");
        goto out;
    }
    c->keyed = keyed;
    snprintf(sel, len, "SELECT %s", has_id ? "id" : "NULL");
    snprintf(ins, len, "INSERT OR IGNORE INTO \"%s\"(%s", table, keyed ? "key" : "");
    snprintf(vals, len, "%s", keyed ? "?1" : "");
    int k = keyed;
    for (int i = 0; i < c->ncol; i++) {
        if (!strcmp(c->cols[i].name, "id") || (keyed && !strcmp(c->cols[i].name, "key")))
            continue;
        size_t u = strlen(sel);
        snprintf(sel + u, len - u, ", \"%s\"", c->cols[i].name);
        u = strlen(ins);
        snprintf(ins + u, len - u, "%s\"%s\"", k ? ", " : "", c->cols[i].name);
        u = strlen(vals);
        snprintf(vals + u, len - u, "%s?%d", k ? ", " : "", k + 1);
        k++;
    }
    size_t u = strlen(sel);
    snprintf(sel + u, len - u, " FROM \"%s\"%s", table, has_id ? " ORDER BY id" : "");
    u = strlen(ins);
    snprintf(ins + u, len - u, ") VALUES (%s)", vals);
    if (sqlite3_prepare_v2(db_sqlite(in), sel, -1, &c->sel, NULL) != SQLITE_OK)
        sqlerr(db_sqlite(in), db_path(in));
    else if (sqlite3_prepare_v2(db_sqlite(out), ins, -1, &c->ins, NULL) != SQLITE_OK)
        sqlerr(db_sqlite(out), db_path(out));
    else
        rc = 0;
out:
    free(sel);
    free(ins);
    free(vals);
    return rc;
}

/* Binds the selected row (columns 1..) to the insert; column `remap_col`
 * (a name, or NULL) is replaced through map.  Reports errors. */
static int bind_copy(copier *c, const char *remap_col, const idmaps *map, db_conn *in)
{
    for (int i = 1; i < sqlite3_column_count(c->sel); i++) {
        const char *name = sqlite3_column_name(c->sel, i);
        int param = i + c->keyed;
        if (remap_col && !strcmp(name, remap_col)) {
            int64_t dst = get_map(map, sqlite3_column_int64(c->sel, i));
            if (dst < 0) {
                cli_bad(CMD, "%s: a row refers to a missing %s", db_path(in), remap_col);
                return -1;
            }
            sqlite3_bind_int64(c->ins, param, dst);
        } else {
            sqlite3_bind_value(c->ins, param, sqlite3_column_value(c->sel, i));
        }
    }
    return 0;
}

/* bind_copy, then the insert.  Reports errors. */
static int copy_row(copier *c, const char *remap_col, const idmaps *map, db_conn *out,
                    db_conn *in)
{
    if (bind_copy(c, remap_col, map, in))
        return -1;
    int rc = sqlite3_step(c->ins);
    sqlite3_reset(c->ins);
    return rc == SQLITE_DONE ? 0 : sqlerr(db_sqlite(out), db_path(out));
}

/* Runs: insert by uuid, then read OUT's id of that uuid. */
static int copy_runs(db_conn *out, db_conn *in, idmaps *runs, merge_stats *st)
{
    copier c = {0};
    sqlite3_stmt *look = NULL;
    int rc = -1;
    if (copier_init(&c, out, in, "run", 1, 0))
        return -1;
    if (sqlite3_prepare_v2(db_sqlite(out), "SELECT id FROM run WHERE uuid = ?1", -1, &look,
                           NULL) != SQLITE_OK) {
        sqlerr(db_sqlite(out), db_path(out));
        goto out;
    }
    int uuid_col = -1;
    for (int i = 1; i < sqlite3_column_count(c.sel); i++)
        if (!strcmp(sqlite3_column_name(c.sel, i), "uuid"))
            uuid_col = i;
    int r;
    while ((r = sqlite3_step(c.sel)) == SQLITE_ROW) {
        if (copy_row(&c, NULL, NULL, out, in))
            goto out;
        st->runs += sqlite3_changes(db_sqlite(out));
        sqlite3_bind_value(look, 1, sqlite3_column_value(c.sel, uuid_col));
        if (sqlite3_step(look) != SQLITE_ROW) {
            sqlerr(db_sqlite(out), db_path(out));
            goto out;
        }
        if (put_map(runs, sqlite3_column_int64(c.sel, 0), sqlite3_column_int64(look, 0))) {
            cli_bad(CMD, "out of memory");
            goto out;
        }
        sqlite3_reset(look);
    }
    if (r != SQLITE_DONE) {
        sqlerr(db_sqlite(in), db_path(in));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(look);
    copier_free(&c);
    return rc;
}

/* Component names: small, copied by name. */
static int copy_components(db_conn *out, db_conn *in, idmaps *comps)
{
    sqlite3_stmt *sel = NULL, *ins = NULL, *look = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db_sqlite(in), "SELECT id, name FROM component ORDER BY id", -1,
                           &sel, NULL) ||
        sqlite3_prepare_v2(db_sqlite(out), "INSERT OR IGNORE INTO component(name) VALUES (?1)",
                           -1, &ins, NULL) ||
        sqlite3_prepare_v2(db_sqlite(out), "SELECT id FROM component WHERE name = ?1", -1,
                           &look, NULL)) {
        cli_bad(CMD, "cannot read the components");
        goto out;
    }
    int r;
    while ((r = sqlite3_step(sel)) == SQLITE_ROW) {
        sqlite3_bind_value(ins, 1, sqlite3_column_value(sel, 1));
        sqlite3_bind_value(look, 1, sqlite3_column_value(sel, 1));
        if (sqlite3_step(ins) != SQLITE_DONE || sqlite3_step(look) != SQLITE_ROW) {
            sqlerr(db_sqlite(out), db_path(out));
            goto out;
        }
        if (put_map(comps, sqlite3_column_int64(sel, 0), sqlite3_column_int64(look, 0))) {
            cli_bad(CMD, "out of memory");
            goto out;
        }
        sqlite3_reset(ins);
        sqlite3_reset(look);
    }
    if (r != SQLITE_DONE) {
        sqlerr(db_sqlite(in), db_path(in));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    sqlite3_finalize(look);
    return rc;
}

/* Points: the ones OUT did not have are recorded in added (src -> dst id). */
static int copy_points(db_conn *out, db_conn *in, const idmaps *runs, idmaps *added,
                       merge_stats *st)
{
    copier c = {0};
    char err[512];
    int rc = -1, pcol = -1;
    if (copier_init(&c, out, in, "point", 1, 1))
        return -1;
    for (int i = 1; i < sqlite3_column_count(c.sel); i++)
        if (!strcmp(sqlite3_column_name(c.sel, i), "point"))
            pcol = i;
    int r;
    while ((r = sqlite3_step(c.sel)) == SQLITE_ROW) {
        int64_t id;
        if (bind_copy(&c, "run_id", runs, in))
            goto out;
        int ins = db_insert_point_stmt(out, c.ins, (const char *)sqlite3_column_text(c.sel, pcol),
                                       &id, err, sizeof err);
        if (ins < 0) {
            cli_bad(CMD, "%s", err);
            goto out;
        }
        if (ins == 0) {
            st->dup_points++;
            continue;
        }
        st->points++;
        if (put_map(added, sqlite3_column_int64(c.sel, 0), id)) {
            cli_bad(CMD, "out of memory");
            goto out;
        }
    }
    if (r != SQLITE_DONE) {
        sqlerr(db_sqlite(in), db_path(in));
        goto out;
    }
    rc = 0;
out:
    copier_free(&c);
    return rc;
}

/* Breakdowns of the points added from this input only. */
static int copy_breakdowns(db_conn *out, db_conn *in, const idmaps *added,
                           const idmaps *comps, merge_stats *st)
{
    sqlite3_stmt *sel = NULL, *ins = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db_sqlite(in), "SELECT point_id, comp_id, area_um2, energy_pj,"
                           " accesses FROM breakdown ORDER BY point_id, comp_id", -1, &sel,
                           NULL) ||
        sqlite3_prepare_v2(db_sqlite(out), "INSERT OR IGNORE INTO breakdown(point_id, comp_id,"
                           " area_um2, energy_pj, accesses) VALUES (?1, ?2, ?3, ?4, ?5)", -1,
                           &ins, NULL)) {
        cli_bad(CMD, "cannot read the breakdowns");
        goto out;
    }
    int r;
    while ((r = sqlite3_step(sel)) == SQLITE_ROW) {
        int64_t p = get_map(added, sqlite3_column_int64(sel, 0));
        int64_t c = get_map(comps, sqlite3_column_int64(sel, 1));
        if (p < 0)
            continue; /* the point was already in OUT: its breakdown stays */
        if (c < 0) {
            cli_bad(CMD, "%s: breakdown with an unknown component id", db_path(in));
            goto out;
        }
        sqlite3_bind_int64(ins, 1, p);
        sqlite3_bind_int64(ins, 2, c);
        for (int i = 2; i < 5; i++)
            sqlite3_bind_value(ins, i + 1, sqlite3_column_value(sel, i));
        if (sqlite3_step(ins) != SQLITE_DONE) {
            sqlerr(db_sqlite(out), db_path(out));
            goto out;
        }
        st->breakdowns += sqlite3_changes(db_sqlite(out));
        sqlite3_reset(ins);
    }
    if (r != SQLITE_DONE) {
        sqlerr(db_sqlite(in), db_path(in));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    return rc;
}

static int copy_accuracies(db_conn *out, db_conn *in, merge_stats *st)
{
    copier c = {0};
    int rc = -1;
    if (copier_init(&c, out, in, "accuracy", 0, 0))
        return -1;
    int r;
    while ((r = sqlite3_step(c.sel)) == SQLITE_ROW) {
        if (copy_row(&c, NULL, NULL, out, in))
            goto out;
        st->accuracies += sqlite3_changes(db_sqlite(out));
    }
    if (r != SQLITE_DONE) {
        sqlerr(db_sqlite(in), db_path(in));
        goto out;
    }
    rc = 0;
out:
    copier_free(&c);
    return rc;
}

/* All tables of one input, inside OUT's transaction and IN's read snapshot. */
static int merge_one(db_conn *out, db_conn *in, merge_stats *st)
{
    idmaps runs = {0}, comps = {0}, added = {0};
    int rc = -1;
    if (sqlite3_exec(db_sqlite(in), "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return sqlerr(db_sqlite(in), db_path(in));
    if (!copy_runs(out, in, &runs, st) && !copy_components(out, in, &comps) &&
        !copy_points(out, in, &runs, &added, st) &&
        !copy_breakdowns(out, in, &added, &comps, st) && !copy_accuracies(out, in, st))
        rc = 0;
    sqlite3_exec(db_sqlite(in), "COMMIT", NULL, NULL, NULL);
    free(runs.m);
    free(comps.m);
    free(added.m);
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
    return 0;
}

static int merge_all(const char *out_path, db_conn **in, int n, merge_stats *st)
{
    char err[512];
    struct stat sb;
    int created = stat(out_path, &sb) != 0;
    db_conn *out;
    int orc = db_open(out_path, DB_CREATE, &out, err, sizeof err);
    if (orc) { /* a full disk is a write failure (1), not bad input (2) */
        cli_bad(CMD, "%s", err);
        return orc == DB_FAIL_WRITE ? CLI_FAIL : CLI_BADINPUT;
    }
    int rc = CLI_OK;
    if (db_begin(out, err, sizeof err)) {
        rc = cli_bad(CMD, "%s", err);
    } else {
        for (int i = 0; i < n && rc == CLI_OK; i++)
            if (merge_one(out, in[i], st))
                rc = CLI_FAIL;
        if (rc == CLI_OK && db_commit(out, err, sizeof err)) {
            cli_bad(CMD, "%s", err);
            rc = CLI_FAIL;
        }
    }
    if (rc != CLI_OK)
        db_rollback(out);
    db_close(out);
    if (rc != CLI_OK && created)
        remove_created(out_path);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    int rc = parse_args(argc, argv);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *out = argv[optind];
    char **paths = argv + optind + 1;
    int n = argc - optind - 1;
    db_conn **in = calloc((size_t)n, sizeof *in);
    if (!in) {
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
    if (!rc)
        fprintf(stderr, "dse merge: %s: %lld points added (%lld already present), %lld runs, "
                "%lld breakdown rows, %lld accuracies from %d inputs\n", out,
                (long long)st.points, (long long)st.dup_points, (long long)st.runs,
                (long long)st.breakdowns, (long long)st.accuracies, n);
    return rc;
}
