/*
 * cmd_show.c - `dse show POINT|ID`: everything stored about one design
 * point (metrics, area and energy breakdown with shares, the run that
 * stored it, measured accuracies) as a readable stats report or JSON.
 *
 * Metrics are printed generically from the columns of the `results` view,
 * so a column added to the schema shows up without a change here.
 */
#include "cli.h"
#include "db.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "show"

typedef struct {
    const char *db_path, *key;
    int json;
} show_opts;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dse show POINT|ID [--db F] [--json]\n\n"
        "Everything stored about one design point: metrics, per-component area and\n"
        "energy breakdown, the run that stored it, measured accuracies.\n\n"
        "  POINT      the canonical point string (as printed by dse pareto), or its id\n"
        "  --db F     results database (default " DB_DEFAULT_PATH "); never modified\n"
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
        case 'd': o->db_path = optarg; break;
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

/* The results row of the point: by string first (hash lookup), then by id
 * when the argument is a number. */
static int find_point(db_conn *d, const char *key, sqlite3_stmt **row)
{
    char err[512];
    int64_t id = 0;
    long num;
    int found = db_point_id(d, key, &id, err, sizeof err);
    if (found < 0)
        return cli_bad(CMD, "%s", err);
    if (!found && cli_parse_long(key, 1, LONG_MAX, &num) == 0)
        id = num;
    else if (!found)
        return cli_bad(CMD, "%s: no point '%s' stored", db_path(d), key);
    *row = prep(d, "SELECT * FROM results WHERE id = ?1");
    if (!*row)
        return CLI_FAIL;
    sqlite3_bind_int64(*row, 1, id);
    if (sqlite3_step(*row) == SQLITE_ROW)
        return 0;
    sqlite3_finalize(*row);
    *row = NULL;
    return cli_bad(CMD, "%s: no point '%s' stored", db_path(d), key);
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
static int text_breakdown(sqlite3_stmt *bd)
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
        printf("  (none stored)\n");
        return 0;
    }
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
} show_stmts;

static int prepare_related(db_conn *d, show_stmts *s)
{
    int64_t id = sqlite3_column_int64(s->row, col_index(s->row, "id"));
    int64_t run = sqlite3_column_int64(s->row, col_index(s->row, "run_id"));
    s->run = prep(d, "SELECT id, uuid, status, started, ended, seed, spec_hash, tool_version,"
                     " tech_name, tech_hash, shard_i, shard_n, command, spec_text"
                     " FROM run WHERE id = ?1");
    s->bd = prep(d, "SELECT component, area_um2, energy_pj, accesses FROM breakdowns"
                    " WHERE id = ?1 ORDER BY component");
    s->acc = prep(d, "SELECT dataset, accuracy, source, imported FROM accuracy"
                     " WHERE point = ?1 ORDER BY dataset");
    if (!s->run || !s->bd || !s->acc)
        return -1;
    sqlite3_bind_int64(s->run, 1, run);
    sqlite3_bind_int64(s->bd, 1, id);
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
    if (text_breakdown(s->bd))
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
    if (json_rows(s->bd, "breakdown") || json_rows(s->acc, "accuracy"))
        return -1;
    printf("\n}\n");
    return 0;
}

int cmd_show(int argc, char **argv)
{
    show_opts o = {.db_path = DB_DEFAULT_PATH};
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    char err[512];
    db_conn *d;
    if (db_open(o.db_path, DB_READONLY, &d, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    show_stmts s = {0};
    rc = find_point(d, o.key, &s.row);
    if (!rc && prepare_related(d, &s))
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
    db_close(d);
    return rc;
}
