/*
 * cmd_show.c - `dse show POINT|ID`: everything stored about one design
 * point (metrics, area and energy breakdown with shares, the run that
 * stored it, measured accuracies) as a readable stats report or JSON.
 * Several databases read as one (dbset.h): the point is looked up in each,
 * in order, the first holding it answers, its ids shown in the set's id
 * space.
 *
 * Metrics are printed generically from the columns of the `results` view,
 * so a column added to the schema shows up without a change here.
 *
 * Breakdowns: `dse run` stores them only with --breakdowns.  For a valid
 * point without breakdown rows the model recomputes them from the point
 * string (deterministic), with the technology table of the run that stored
 * the point: the table of that name found now must have the run's hash
 * (else the spec text stored with the run is tried), and the recomputed
 * totals are compared with the stored ones; the report says which it was.
 */
#include "cli.h"
#include "db.h"
#include "dbset.h"
#include "spec.h"
#include "tech.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "show"

typedef struct {
    const char **db; /* --db arguments (ndb; none: DB_DEFAULT_PATH) */
    int ndb;
    const char *key;
    int json;
} show_opts;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dse show POINT|ID [--db F]... [--json]\n\n"
        "Everything stored about one design point: metrics, per-component area and\n"
        "energy breakdown, the run that stored it, measured accuracies.\n\n"
        "  POINT      the canonical point string (as printed by dse pareto), or its id\n"
        "  --db F     results database (default " DB_DEFAULT_PATH "); never modified.\n"
        "             Repeat it, or name a directory of databases or the shard-set file\n"
        "             of dse sweep --no-merge: the databases are read as one\n"
        "  --json     one JSON object instead of the text report\n");
}

static int parse_args(int argc, char **argv, show_opts *o)
{
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hd:j", lo, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return -1;
        case 'd': o->db[o->ndb++] = optarg; break;
        case 'j': o->json = 1; break;
        default:
            return cli_bad(CMD, "unknown or incomplete option '%s' (try --help)",
                           argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_bad(CMD, "no point given (try --help)");
    if (optind + 1 < argc)
        return cli_bad(CMD, "unexpected argument '%s' (one point at a time)", argv[optind + 1]);
    o->key = argv[optind];
    return 0;
}

/* Prepared statement or a message; NULL on failure (already reported). */
static sqlite3_stmt *prep(db_conn *d, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db_sqlite(d), sql, -1, &st, NULL) != SQLITE_OK) {
        cli_bad(CMD, "%s: %s", db_path(d), sqlite3_errmsg(db_sqlite(d)));
        return NULL;
    }
    return st;
}

/* The point's database and its own id: by string first (hash lookup, each
 * database in order), then by id (of the set's id space) when the argument
 * is a number.  *m -1 when none holds it. */
static int locate(const dbset *set, const char *key, int *m, int64_t *id)
{
    char err[512];
    long num;
    for (*m = 0; *m < set->n; ++*m) {
        int found = db_point_id(set->m[*m].d, key, id, err, sizeof err);
        if (found < 0)
            return cli_bad(CMD, "%s", err);
        if (found)
            return 0;
    }
    *m = -1;
    if (cli_parse_long(key, 1, LONG_MAX, &num) == 0)
        *m = dbset_member_of_id(set, num, id);
    return 0;
}

/* "SELECT <results columns> FROM results WHERE id = ?1" with id and run_id
 * shifted into the set's id space (whole numbers: nothing of the user's). */
static sqlite3_stmt *row_query(const dbset_member *mb)
{
    char err[512];
    db_column *cols;
    int n;
    if (db_columns(mb->d, "results", &cols, &n, err, sizeof err)) {
        cli_bad(CMD, "%s", err);
        return NULL;
    }
    size_t len = 128 + 64 * (size_t)n;
    char *sql = malloc(len);
    sqlite3_stmt *st = NULL;
    if (sql) {
        size_t u = (size_t)snprintf(sql, len, "SELECT ");
        for (int i = 0; i < n; i++) {
            const char *c = cols[i].name, *sep = i ? ", " : "";
            if (!strcmp(c, "id") || !strcmp(c, "run_id"))
                u += (size_t)snprintf(sql + u, len - u, "%s%s + %lld AS %s", sep, c,
                                      (long long)(c[0] == 'i' ? mb->id_off : mb->run_off), c);
            else
                u += (size_t)snprintf(sql + u, len - u, "%s\"%s\"", sep, c);
        }
        snprintf(sql + u, len - u, " FROM results WHERE id = ?1");
        st = prep(mb->d, sql);
        free(sql);
    } else {
        cli_bad(CMD, "out of memory");
    }
    db_columns_free(cols, n);
    return st;
}

/* The results row of the point (ids of the set's id space). */
static int find_point(const dbset *set, const char *key, sqlite3_stmt **row, int *m)
{
    int64_t id = 0;
    int rc = locate(set, key, m, &id);
    if (rc)
        return rc;
    if (*m < 0)
        return cli_bad(CMD, "%s: no point '%s' stored", db_path(set->m[0].d), key);
    if (!(*row = row_query(&set->m[*m])))
        return CLI_FAIL;
    sqlite3_bind_int64(*row, 1, id);
    if (sqlite3_step(*row) == SQLITE_ROW)
        return 0;
    sqlite3_finalize(*row);
    *row = NULL;
    return cli_bad(CMD, "%s: no point '%s' stored", db_path(set->m[*m].d), key);
}

static int col_index(sqlite3_stmt *st, const char *name)
{
    for (int c = 0; c < sqlite3_column_count(st); c++)
        if (!strcmp(sqlite3_column_name(st, c), name))
            return c;
    return -1;
}

/* Prints "sep"name": value" pairs of all columns of st's current row. */
static int json_fields(sqlite3_stmt *st, const char *indent)
{
    for (int c = 0; c < sqlite3_column_count(st); c++) {
        char *k = db_quote(sqlite3_column_name(st, c), DB_OUT_JSON);
        char *v = db_value_text(st, c, DB_OUT_JSON);
        if (!k || !v) {
            free(k);
            free(v);
            return -1;
        }
        printf("%s%s%s: %s", c ? "," : "", indent, k, v);
        free(k);
        free(v);
    }
    return 0;
}

/* One related table as a JSON array of objects (rows of a prepared query). */
static int json_rows(sqlite3_stmt *st, const char *name)
{
    int rc, n = 0;
    printf(",\n  \"%s\": [", name);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        printf("%s\n    {", n++ ? "," : "");
        if (json_fields(st, " "))
            return -1;
        printf(" }");
    }
    printf("%s]", n ? "\n  " : "");
    return rc == SQLITE_DONE ? 0 : -1;
}

static void text_value(sqlite3_stmt *st, int c, const char *label)
{
    char *v = db_value_text(st, c, DB_OUT_TABLE);
    printf("  %-16s %s\n", label, v ? v : "?");
    free(v);
}

static void text_metrics(sqlite3_stmt *row)
{
    printf("metrics\n");
    for (int c = 0; c < sqlite3_column_count(row); c++) {
        const char *n = sqlite3_column_name(row, c);
        if (strcmp(n, "id") && strcmp(n, "point") && strcmp(n, "run_id"))
            text_value(row, c, n);
    }
}

static void text_run(sqlite3_stmt *run)
{
    if (sqlite3_step(run) != SQLITE_ROW) {
        printf("run\n  (not stored)\n");
        return;
    }
    printf("run\n");
    for (int c = 0; c < sqlite3_column_count(run); c++)
        if (strcmp(sqlite3_column_name(run, c), "spec_text"))
            text_value(run, c, sqlite3_column_name(run, c));
}

/* A total like db_value_text prints reals in tables. */
static const char *num(char *buf, size_t len, double v)
{
    snprintf(buf, len, fabs(v) >= 1e5 && fabs(v) < 1e15 ? "%.0f" : "%.6g", v);
    return buf;
}

/* "12.5%" of a total, "-" for a NULL value. */
static void share(char *buf, size_t len, sqlite3_stmt *st, int col, double total)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL || !(total > 0))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f%%", 100 * sqlite3_column_double(st, col) / total);
}

/* "  name  value  share%" rows of the breakdown, with a total line. */
static int text_breakdown(sqlite3_stmt *bd, const char *note)
{
    double ta = 0, te = 0;
    char na[32], ne[32];
    int rc, n = 0;
    while ((rc = sqlite3_step(bd)) == SQLITE_ROW) {
        ta += sqlite3_column_double(bd, 1);
        te += sqlite3_column_double(bd, 2);
        n++;
    }
    if (rc != SQLITE_DONE)
        return -1;
    printf("breakdown (area; energy per frame)\n");
    if (n == 0) {
        printf("  (%s)\n", note && *note ? note : "none stored");
        return 0;
    }
    if (note && *note)
        printf("  (%s)\n", note);
    printf("  %-16s %14s %7s %14s %7s %14s\n", "component", "area_um2", "area%", "energy_pj",
           "energy%", "accesses");
    sqlite3_reset(bd);
    while (sqlite3_step(bd) == SQLITE_ROW) {
        char *sa = db_value_text(bd, 1, DB_OUT_TABLE), *se = db_value_text(bd, 2, DB_OUT_TABLE);
        char *sx = db_value_text(bd, 3, DB_OUT_TABLE);
        char pa[16], pe[16];
        share(pa, sizeof pa, bd, 1, ta);
        share(pe, sizeof pe, bd, 2, te);
        printf("  %-16s %14s %7s %14s %7s %14s\n", (const char *)sqlite3_column_text(bd, 0),
               sa ? sa : "?", pa, se ? se : "?", pe, sx ? sx : "?");
        free(sa);
        free(se);
        free(sx);
    }
    printf("  %-16s %14s %7s %14s %7s\n", "total", num(na, sizeof na, ta), "100.0%",
           num(ne, sizeof ne, te), "100.0%");
    return 0;
}

static int text_accuracy(sqlite3_stmt *acc)
{
    int rc, n = 0;
    printf("measured accuracy\n");
    while ((rc = sqlite3_step(acc)) == SQLITE_ROW) {
        char *v = db_value_text(acc, 1, DB_OUT_TABLE);
        printf("  %-16s %-12s source %s, imported %s\n", (const char *)sqlite3_column_text(acc, 0),
               v ? v : "?", sqlite3_column_text(acc, 2) ? (const char *)sqlite3_column_text(acc, 2)
                                                        : "-",
               (const char *)sqlite3_column_text(acc, 3));
        free(v);
        n++;
    }
    if (n == 0)
        printf("  (none imported)\n");
    return rc == SQLITE_DONE ? 0 : -1;
}

typedef struct {
    sqlite3_stmt *row, *run, *bd, *acc;
    int64_t id, run_id;    /* the database's own ids of the point and its run */
    const char *bd_source; /* "stored", "recomputed" or "none" */
    char bd_note[600];     /* why none, or how it was recomputed */
} show_stmts;

/* A text column of the current row of st by name (NULL: NULL or missing). */
static const char *col_text(sqlite3_stmt *st, const char *name)
{
    int c = col_index(st, name);
    return c < 0 ? NULL : (const char *)sqlite3_column_text(st, c);
}

static int cmp_comp(const void *a, const void *b)
{
    return strcmp(((const db_comp *)a)->name, ((const db_comp *)b)->name);
}

/* The technology table of run_id: by the name in the point when its hash is
 * the run's, else from the spec text stored with the run.  *t set, 0; -1
 * with the reason in why. */
static int run_tech(db_conn *d, int64_t run_id, const char *name, cm_tech *t, char *why,
                    size_t len)
{
    sqlite3_stmt *st = NULL;
    char err[CM_ERRLEN] = "", hash[17] = "";
    char *text = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db_sqlite(d), "SELECT tech_hash, spec_text FROM run WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(why, len, "cannot read the run: %s", sqlite3_errmsg(db_sqlite(d)));
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(st, 0);
        const char *x = (const char *)sqlite3_column_text(st, 1);
        snprintf(hash, sizeof hash, "%s", h ? h : "");
        text = x ? strdup(x) : NULL;
    }
    sqlite3_finalize(st);
    if (!hash[0]) {
        snprintf(why, len, "the run that stored it does not record its technology table");
        goto out;
    }
    if (tech_find(name, t, err, sizeof err) == 0 && !strcmp(t->hash, hash)) {
        rc = 0;
        goto out;
    }
    if (text) {
        spec *sp = NULL;
        spec_diag g;
        spec_diag_init(&g);
        if (spec_load_text("(the run's spec)", text, strlen(text), &sp, &g) == 0 &&
            !strcmp(sp->tech_table.hash, hash) && !strcmp(sp->tech_table.name, name)) {
            *t = sp->tech_table;
            rc = 0;
        }
        spec_free(sp);
        spec_diag_free(&g);
        if (rc == 0)
            goto out;
    }
    if (err[0])
        snprintf(why, len, "technology table %s of the run (hash %s): %s", name, hash, err);
    else
        snprintf(why, len, "technology table %s has changed since the run (hash %s, the run "
                 "used %s)", name, t->hash, hash);
out:
    free(text);
    return rc;
}

/* Binds a double, NULL for NaN (as db_insert_batch stores it). */
static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

/*
 * The breakdown of the current point recomputed by the model, as a query
 * with the columns of the stored one (component, area_um2, energy_pj,
 * accesses) over bound values, so that it prints the same way.  NULL with
 * the reason in s->bd_note when it cannot be recomputed.
 */
static sqlite3_stmt *recompute(db_conn *d, show_stmts *s)
{
    const char *point = col_text(s->row, "point");
    int vc = col_index(s->row, "valid");
    char err[CM_ERRLEN];
    cm_point pt;
    cm_tech tech;
    cm_result res;
    db_comp c[DB_MAX_COMPS];
    if (vc >= 0 && sqlite3_column_int(s->row, vc) == 0) {
        snprintf(s->bd_note, sizeof s->bd_note, "none: an infeasible point");
        return NULL;
    }
    if (!point || cm_point_parse(point, &pt, err, sizeof err)) {
        snprintf(s->bd_note, sizeof s->bd_note, "none stored, and not a model point (%s)",
                 point ? err : "no string");
        return NULL;
    }
    char why[400];
    if (run_tech(d, s->run_id, pt.hw.tech, &tech, why, sizeof why)) {
        snprintf(s->bd_note, sizeof s->bd_note, "none stored, cannot recompute: %s", why);
        return NULL;
    }
    if (cm_analytic_eval(&pt, &tech, &res)) {
        snprintf(s->bd_note, sizeof s->bd_note, "none stored; the model now rejects the "
                 "point: %s", res.why);
        return NULL;
    }
    int n = db_comps_from_result(&res, c);
    qsort(c, (size_t)n, sizeof *c, cmp_comp);
    /* the stored totals must be the model's, else the model has changed */
    const char *tot[] = {"area_mm2", "energy_pj"};
    double mine[] = {res.area_mm2, res.energy_pj};
    int same = 1;
    for (int i = 0; i < 2; i++) {
        int k = col_index(s->row, tot[i]);
        if (k >= 0 && (sqlite3_column_type(s->row, k) == SQLITE_NULL ||
                       sqlite3_column_double(s->row, k) != mine[i]))
            same = 0;
    }
    snprintf(s->bd_note, sizeof s->bd_note,
             same ? "recomputed by the model from the point string (technology table %s, "
                    "hash %s); the stored totals agree"
                  : "recomputed by the model from the point string (technology table %s, "
                    "hash %s), but its totals differ from the stored ones: the model has "
                    "changed since the run",
             tech.name, tech.hash);
    char sql[128 + 20 * DB_MAX_COMPS];
    size_t len = (size_t)snprintf(sql, sizeof sql, "SELECT column1 AS component, column2 AS "
                                  "area_um2, column3 AS energy_pj, column4 AS accesses FROM "
                                  "(VALUES ");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s(?, ?, ?, NULL)", i ? ", " : "");
    snprintf(sql + len, sizeof sql - len, ")");
    sqlite3_stmt *st = prep(d, sql);
    if (!st)
        return NULL;
    for (int i = 0; i < n; i++) {
        sqlite3_bind_text(st, 3 * i + 1, c[i].name, -1, SQLITE_TRANSIENT);
        bind_real(st, 3 * i + 2, c[i].area_um2);
        bind_real(st, 3 * i + 3, c[i].energy_pj);
    }
    s->bd_source = "recomputed";
    return st;
}

static int prepare_related(const dbset_member *mb, show_stmts *s)
{
    db_conn *d = mb->d;
    int64_t id = s->id = sqlite3_column_int64(s->row, col_index(s->row, "id")) - mb->id_off;
    int64_t run = s->run_id =
        sqlite3_column_int64(s->row, col_index(s->row, "run_id")) - mb->run_off;
    s->run = prep(d, "SELECT id + ?2 AS id, uuid, status, started, ended, seed, spec_hash,"
                     " tool_version, tech_name, tech_hash, shard_i, shard_n, command, spec_text"
                     " FROM run WHERE id = ?1");
    s->bd = prep(d, "SELECT component, area_um2, energy_pj, accesses FROM breakdowns"
                    " WHERE id = ?1 ORDER BY component");
    s->acc = prep(d, "SELECT dataset, accuracy, source, imported FROM accuracy"
                     " WHERE point = ?1 ORDER BY dataset");
    if (!s->run || !s->bd || !s->acc)
        return -1;
    sqlite3_bind_int64(s->run, 1, run);
    sqlite3_bind_int64(s->run, 2, mb->run_off);
    sqlite3_bind_int64(s->bd, 1, id);
    s->bd_source = "stored";
    int rc = sqlite3_step(s->bd);
    sqlite3_reset(s->bd);
    if (rc == SQLITE_DONE) { /* none stored: recompute */
        sqlite3_stmt *r = recompute(d, s);
        s->bd_source = r ? "recomputed" : "none";
        if (r) {
            sqlite3_finalize(s->bd);
            s->bd = r;
        }
    } else if (rc != SQLITE_ROW) {
        return -1;
    }
    sqlite3_bind_text(s->acc, 1, (const char *)sqlite3_column_text(s->row, col_index(s->row, "point")), -1,
                      SQLITE_TRANSIENT);
    return 0;
}

static int report_text(show_stmts *s)
{
    printf("point  %s\n", (const char *)sqlite3_column_text(s->row, col_index(s->row, "point")));
    printf("id     %lld\n\n", (long long)sqlite3_column_int64(s->row, col_index(s->row, "id")));
    text_metrics(s->row);
    putchar('\n');
    if (text_breakdown(s->bd, strcmp(s->bd_source, "stored") ? s->bd_note : NULL))
        return -1;
    putchar('\n');
    if (text_accuracy(s->acc))
        return -1;
    putchar('\n');
    text_run(s->run);
    return 0;
}

static int report_json(show_stmts *s)
{
    printf("{\n  \"metrics\": {");
    if (json_fields(s->row, "\n    "))
        return -1;
    printf("\n  }");
    printf(",\n  \"run\": ");
    if (sqlite3_step(s->run) == SQLITE_ROW) {
        printf("{");
        if (json_fields(s->run, "\n    "))
            return -1;
        printf("\n  }");
    } else {
        printf("null");
    }
    if (json_rows(s->bd, "breakdown"))
        return -1;
    char *src = db_quote(s->bd_source, DB_OUT_JSON), *note = db_quote(s->bd_note, DB_OUT_JSON);
    if (!src || !note) {
        free(src);
        free(note);
        return -1;
    }
    printf(",\n  \"breakdown_source\": %s", src);
    if (s->bd_note[0])
        printf(",\n  \"breakdown_note\": %s", note);
    free(src);
    free(note);
    if (json_rows(s->acc, "accuracy"))
        return -1;
    printf("\n}\n");
    return 0;
}

int cmd_show(int argc, char **argv)
{
    const char **dbs = calloc((size_t)argc + 1, sizeof *dbs);
    show_opts o = {.db = dbs};
    if (!dbs)
        return cli_bad(CMD, "out of memory"), CLI_FAIL;
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        free(dbs);
        return rc < 0 ? CLI_OK : rc;
    }
    if (o.ndb == 0)
        dbs[o.ndb++] = DB_DEFAULT_PATH;
    char err[512];
    dbset *set;
    if (dbset_open(dbs, o.ndb, &set, err, sizeof err)) {
        free(dbs);
        return cli_bad(CMD, "%s", err);
    }
    show_stmts s = {0};
    int m = -1;
    rc = find_point(set, o.key, &s.row, &m);
    db_conn *d = set->m[m < 0 ? 0 : m].d;
    if (!rc && prepare_related(&set->m[m], &s))
        rc = CLI_FAIL;
    if (!rc && (o.json ? report_json(&s) : report_text(&s))) {
        cli_bad(CMD, "%s: %s", db_path(d), sqlite3_errmsg(db_sqlite(d)));
        rc = CLI_FAIL;
    }
    if (!rc && (fflush(stdout) || ferror(stdout))) {
        cli_bad(CMD, "cannot write the output");
        rc = CLI_FAIL;
    }
    sqlite3_finalize(s.row);
    sqlite3_finalize(s.run);
    sqlite3_finalize(s.bd);
    sqlite3_finalize(s.acc);
    dbset_close(set);
    free(dbs);
    return rc;
}
