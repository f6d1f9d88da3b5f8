/*
 * cmd_show.c - `dse show POINT|ID`: everything stored about one design
 * point (metrics, area and energy breakdown with shares, the run that
 * stored it and every run that evaluated it, measured accuracies) as a
 * readable stats report or JSON.
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
 *
 * A rejected point: the database keeps only the reason (workmem, ...); the
 * sentence that explains it is recomputed here (explain()): the model's
 * own message for its rejections, the one `dse eval --point` prints, and
 * for the budgets the value against the constraint of the run's spec.
 */
#include "cli.h"
#include "db.h"
#include "dbset.h"
#include "spec.h"
#include "tech.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "show"

typedef struct {
    const char **db; /* --db arguments (ndb; none: DB_DEFAULT_PATH) */
    int ndb;
    const char *key;
    int json, wide;
} show_opts;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dse show POINT|ID [--db F]... [--json] [--wide]\n\n"
        "Everything stored about one design point: metrics, per-component area and\n"
        "energy breakdown, the run that stored it and every run that evaluated it,\n"
        "measured accuracies; for a rejected point the sentence that explains it (as\n"
        "dse eval --point prints it).\n\n"
        "  POINT      the canonical point string (as dse pareto --wide or --format csv\n"
        "             prints it), or its id (as dse pareto prints it)\n"
        "  --db F     results database (default " DB_DEFAULT_PATH "); never modified.\n"
        "             Repeat it, or name a directory of databases or the shard-set file\n"
        "             of dse sweep --no-merge: the databases are read as one\n"
        "  --json     one JSON object instead of the text report (with the full point)\n"
        "  --wide     the text report names the point by its full string too, not only\n"
        "             by its id and short design label (W_x's format, ranks and tree;\n"
        "             decomposition; PxL, banks, bank map), e.g.\n"
        "             `ht r4 ((1,2),(3,4)) concat | 16x16 B16 transform`\n");
}

static int parse_args(int argc, char **argv, show_opts *o)
{
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"wide", no_argument, NULL, 'W'},
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
        case 'W': o->wide = 1; break;
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
    if (vp_long(key, 1, LONG_MAX, &num) == 0)
        *m = dbset_member_of_id(set, num, id);
    return 0;
}

/* The results row of the point (ids of the set's id space), current in *row. */
static int find_point(const dbset *set, const char *key, db_rows **row, int *m)
{
    char err[512];
    int64_t id = 0;
    int rc = locate(set, key, m, &id);
    if (rc)
        return rc;
    if (*m < 0)
        return cli_bad(CMD, "%s: no point '%s' stored", db_path(set->m[0].d), key);
    const dbset_member *mb = &set->m[*m];
    if (db_results_rows(mb->d, NULL, 0, mb->id_off, mb->run_off, row, err, sizeof err)) {
        cli_bad(CMD, "%s", err);
        return CLI_FAIL;
    }
    db_rows_bind_id(*row, id);
    if (db_rows_next(*row, NULL, 0) == 1)
        return 0;
    db_rows_free(*row);
    *row = NULL;
    return cli_bad(CMD, "%s: no point '%s' stored", db_path(mb->d), key);
}

/* Prints "sep"name": value" pairs of all columns of st's current row. */
static int json_fields(db_rows *st, const char *indent)
{
    for (int c = 0; c < db_rows_ncol(st); c++) {
        char *k = db_quote(db_rows_name(st, c), DB_OUT_JSON);
        char *v = db_rows_value(st, c, DB_OUT_JSON);
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
static int json_rows(db_rows *st, const char *name)
{
    int rc, n = 0;
    printf(",\n  \"%s\": [", name);
    while ((rc = db_rows_next(st, NULL, 0)) == 1) {
        printf("%s\n    {", n++ ? "," : "");
        if (json_fields(st, " "))
            return -1;
        printf(" }");
    }
    printf("%s]", n ? "\n  " : "");
    return rc == 0 ? 0 : -1;
}

static void text_value(db_rows *st, int c, const char *label)
{
    char *v = db_rows_value(st, c, DB_OUT_TABLE);
    printf("  %-16s %s\n", label, v ? v : "?");
    free(v);
}

static void text_metrics(db_rows *row)
{
    printf("metrics\n");
    for (int c = 0; c < db_rows_ncol(row); c++) {
        const char *n = db_rows_name(row, c);
        if (strcmp(n, "id") && strcmp(n, "point") && strcmp(n, "run_id"))
            text_value(row, c, n);
    }
}

static void text_run(db_rows *run)
{
    if (db_rows_next(run, NULL, 0) != 1) {
        printf("run\n  (not stored)\n");
        return;
    }
    printf("run\n");
    for (int c = 0; c < db_rows_ncol(run); c++)
        if (strcmp(db_rows_name(run, c), "spec_text"))
            text_value(run, c, db_rows_name(run, c));
}

/* "evaluated by  run 1 (lstm-ucf; stored it), run 2 (lstm-youtube)": a
 * point is stored once, by the first run that evaluated it, and belongs to
 * every run that did (run membership). */
static int text_runs(db_rows *runs)
{
    int rc, n = 0;
    printf("  %-16s ", "evaluated by");
    while ((rc = db_rows_next(runs, NULL, 0)) == 1) {
        const char *w = db_rows_text(runs, 1);
        printf("%srun %lld%s%s%s%s", n++ ? ", " : "", (long long)db_rows_int(runs, 0),
               w || db_rows_int(runs, 2) ? " (" : "", w ? w : "",
               db_rows_int(runs, 2) ? (w ? "; stored it" : "stored it") : "",
               w || db_rows_int(runs, 2) ? ")" : "");
    }
    printf("%s\n", n ? "" : "-");
    return rc == 0 ? 0 : -1;
}

/* A total like db_rows_value prints reals in tables. */
static const char *num(char *buf, size_t len, double v)
{
    snprintf(buf, len, fabs(v) >= 1e5 && fabs(v) < 1e15 ? "%.0f" : "%.6g", v);
    return buf;
}

/* "12.5%" of a total, "-" for a NULL value. */
static void share(char *buf, size_t len, db_rows *st, int col, double total)
{
    if (db_rows_is_null(st, col) || !(total > 0))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.1f%%", 100 * db_rows_real(st, col) / total);
}

/* "  name  value  share%" rows of the breakdown, with a total line. */
static int text_breakdown(db_rows *bd, const char *note)
{
    double ta = 0, te = 0;
    char na[32], ne[32];
    int rc, n = 0;
    while ((rc = db_rows_next(bd, NULL, 0)) == 1) {
        ta += db_rows_real(bd, 1);
        te += db_rows_real(bd, 2);
        n++;
    }
    if (rc != 0)
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
    db_rows_reset(bd);
    while (db_rows_next(bd, NULL, 0) == 1) {
        char *sa = db_rows_value(bd, 1, DB_OUT_TABLE), *se = db_rows_value(bd, 2, DB_OUT_TABLE);
        char *sx = db_rows_value(bd, 3, DB_OUT_TABLE);
        char pa[16], pe[16];
        share(pa, sizeof pa, bd, 1, ta);
        share(pe, sizeof pe, bd, 2, te);
        printf("  %-16s %14s %7s %14s %7s %14s\n", db_rows_text(bd, 0),
               sa ? sa : "?", pa, se ? se : "?", pe, sx ? sx : "?");
        free(sa);
        free(se);
        free(sx);
    }
    printf("  %-16s %14s %7s %14s %7s\n", "total", num(na, sizeof na, ta), "100.0%",
           num(ne, sizeof ne, te), "100.0%");
    return 0;
}

static int text_accuracy(db_rows *acc)
{
    int rc, n = 0;
    printf("measured accuracy\n");
    while ((rc = db_rows_next(acc, NULL, 0)) == 1) {
        char *v = db_rows_value(acc, 1, DB_OUT_TABLE);
        const char *src = db_rows_text(acc, 2);
        printf("  %-16s %-12s source %s, imported %s\n", db_rows_text(acc, 0), v ? v : "?",
               src ? src : "-", db_rows_text(acc, 3));
        free(v);
        n++;
    }
    if (n == 0)
        printf("  (none imported)\n");
    return rc == 0 ? 0 : -1;
}

typedef struct {
    db_rows *row, *run, *bd, *acc;
    db_rows *runs;         /* every run that evaluated the point */
    int64_t id, run_id;    /* the database's own ids of the point and its run */
    const char *bd_source; /* "stored", "recomputed" or "none" */
    char bd_note[600];     /* why none, or how it was recomputed */
    /* a rejected point: the sentence that explains it ("" when it cannot be
     * given, why_note then says why), e.g. "wx: the intermediate after step
     * 2 (...) has 737280 words, a working half holds 131072 (...)" */
    int rejected;
    char why[CM_ERRLEN + 128];
    char why_note[600];
} show_stmts;

/* A text column of the current row of st by name (NULL: NULL or missing). */
static const char *col_text(db_rows *st, const char *name)
{
    int c = db_rows_col(st, name);
    return c < 0 ? NULL : db_rows_text(st, c);
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
    char err[CM_ERRLEN] = "", hash[17] = "";
    char *text = NULL, *h = NULL;
    int rc = -1;
    if (db_run_tech(d, run_id, &h, &text, err, sizeof err)) {
        snprintf(why, len, "cannot read the run: %s", err);
        return -1;
    }
    snprintf(hash, sizeof hash, "%s", h ? h : "");
    free(h);
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

/*
 * The breakdown of the current point recomputed by the model, as a query
 * with the columns of the stored one (component, area_um2, energy_pj,
 * accesses) over bound values, so that it prints the same way.  NULL with
 * the reason in s->bd_note when it cannot be recomputed.
 */
static db_rows *recompute(db_conn *d, show_stmts *s)
{
    const char *point = col_text(s->row, "point");
    int vc = db_rows_col(s->row, "valid");
    char err[CM_ERRLEN];
    cm_point pt;
    cm_tech tech;
    cm_result res;
    db_comp c[DB_MAX_COMPS];
    if (vc >= 0 && db_rows_int(s->row, vc) == 0) {
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
        int k = db_rows_col(s->row, tot[i]);
        if (k >= 0 && (db_rows_is_null(s->row, k) || db_rows_real(s->row, k) != mine[i]))
            same = 0;
    }
    snprintf(s->bd_note, sizeof s->bd_note,
             same ? "recomputed by the model from the point string (technology table %s, "
                    "hash %s); the stored totals agree"
                  : "recomputed by the model from the point string (technology table %s, "
                    "hash %s), but its totals differ from the stored ones: the model has "
                    "changed since the run",
             tech.name, tech.hash);
    db_rows *st;
    if (db_comp_rows(d, c, n, &st, err, sizeof err)) {
        cli_bad(CMD, "%s", err);
        return NULL;
    }
    s->bd_source = "recomputed";
    return st;
}

/* The constraints of the spec stored with run_id (*lim), 0; -1 with the
 * reason in why. */
static int run_limits(db_conn *d, int64_t run_id, map_limits *lim, char *why, size_t len)
{
    char err[CM_ERRLEN] = "";
    char *text = NULL, *h = NULL;
    if (db_run_tech(d, run_id, &h, &text, err, sizeof err)) {
        snprintf(why, len, "cannot read the run: %s", err);
        return -1;
    }
    free(h);
    if (!text) {
        snprintf(why, len, "the run that stored it does not record its spec");
        return -1;
    }
    spec *sp = NULL;
    spec_diag g;
    spec_diag_init(&g);
    int rc = spec_load_text("(the run's spec)", text, strlen(text), &sp, &g);
    if (rc == 0)
        *lim = sp->limits;
    else
        snprintf(why, len, "the run's spec cannot be loaded now: %.*s", 300,
                 spec_diag_text(&g));
    spec_free(sp);
    spec_diag_free(&g);
    free(text);
    for (char *p = why; rc && *p; p++) /* one line */
        if (*p == '\n')
            *p = *(p + 1) ? ' ' : '\0';
    return rc ? -1 : 0;
}

/* A real column of the current row by name; NaN when NULL or missing. */
static double col_real(db_rows *st, const char *name)
{
    int c = db_rows_col(st, name);
    return c < 0 || db_rows_is_null(st, c) ? NAN : db_rows_real(st, c);
}

/*
 * The sentence that explains a rejected point.  The model's own rejections
 * (workmem, wgtmem, map, point, tech) are recomputed from the point string,
 * so that the text is the one `dse eval --point` prints; the budgets
 * (params_budget, error_budget, area_budget) compare the stored or
 * recomputed value with the constraint of the spec stored with the run.
 */
static void explain(db_conn *d, show_stmts *s)
{
    const char *point = col_text(s->row, "point"), *reason = col_text(s->row, "reason");
    int vc = db_rows_col(s->row, "valid");
    char err[CM_ERRLEN], why[400];
    cm_point pt;
    cm_tech tech;
    cm_result res;
    if (vc < 0 || db_rows_is_null(s->row, vc) || db_rows_int(s->row, vc) != 0)
        return;
    s->rejected = 1;
    if (!reason)
        reason = "?";
    if (!point || cm_point_parse(point, &pt, err, sizeof err)) {
        snprintf(s->why_note, sizeof s->why_note, "not a model point (%s)",
                 point ? err : "no string");
        return;
    }
    const char *tnote = "";
    if (run_tech(d, s->run_id, pt.hw.tech, &tech, why, sizeof why)) {
        /* the capacities do not depend on the technology: the table of that
         * name found now will do, said so */
        if (tech_find(pt.hw.tech, &tech, err, sizeof err)) {
            snprintf(s->why_note, sizeof s->why_note, "cannot recompute it: %s", why);
            return;
        }
        tnote = "recomputed with the technology table found now";
    }
    int params = !strcmp(reason, "params_budget"), error = !strcmp(reason, "error_budget"),
        area = !strcmp(reason, "area_budget");
    int model_ok = cm_analytic_eval(&pt, &tech, &res) == 0;
    if (!params && !error && !area) { /* the model's own reasons */
        if (model_ok) {
            snprintf(s->why_note, sizeof s->why_note, "stored as %s, but the model now "
                     "accepts the point%s%s", reason, *tnote ? "; " : "", tnote);
            return;
        }
        snprintf(s->why, sizeof s->why, "%s", res.why);
        if (strcmp(cm_reject_name(res.reject), reason))
            snprintf(s->why_note, sizeof s->why_note, "stored as %s, the model now says %s%s%s",
                     reason, cm_reject_name(res.reject), *tnote ? "; " : "", tnote);
        else
            snprintf(s->why_note, sizeof s->why_note, "%s", tnote);
        return;
    }
    /* the budgets, checked in the run's order (mapper/map_eval.c): params
     * and error per algorithm before anything else, the area on the
     * multipliers alone before the model, then on the modeled area */
    map_limits lim;
    if (run_limits(d, s->run_id, &lim, why, sizeof why)) {
        snprintf(s->why_note, sizeof s->why_note, "over a budget of the run's spec; %s", why);
        return;
    }
    if (params) {
        snprintf(s->why, sizeof s->why, "%.0f parameters > budget %lld (constraints.max_params)",
                 col_real(s->row, "params"), (long long)lim.max_params);
    } else if (error) {
        snprintf(s->why, sizeof s->why, "error bound %.4g > budget %.4g (constraints.max_error)",
                 col_real(s->row, "err_upper"), lim.max_error);
    } else {
        double lb = (double)pt.hw.pes * pt.hw.lanes * cm_tech_mult_um2(&tech, pt.hw.bits) * 1e-6;
        if (lb > lim.max_area_mm2 || !model_ok)
            snprintf(s->why, sizeof s->why, "the multipliers alone take %.6g mm2 > budget "
                     "%.6g mm2 (constraints.max_area_mm2)", lb, lim.max_area_mm2);
        else
            snprintf(s->why, sizeof s->why, "area %.6g mm2 > budget %.6g mm2 "
                     "(constraints.max_area_mm2)", res.area_mm2, lim.max_area_mm2);
        snprintf(s->why_note, sizeof s->why_note, "%s", tnote);
    }
}

static int prepare_related(const dbset_member *mb, show_stmts *s)
{
    db_conn *d = mb->d;
    char err[512];
    int64_t id = s->id = db_rows_int(s->row, db_rows_col(s->row, "id")) - mb->id_off;
    int64_t run = s->run_id = db_rows_int(s->row, db_rows_col(s->row, "run_id")) - mb->run_off;
    if (db_run_rows(d, mb->run_off, &s->run, err, sizeof err) ||
        db_point_runs(d, mb->run_off, &s->runs, err, sizeof err) ||
        db_breakdown_rows(d, &s->bd, err, sizeof err) ||
        db_accuracy_rows(d, col_text(s->row, "point"), &s->acc, err, sizeof err)) {
        cli_bad(CMD, "%s", err);
        return -1;
    }
    db_rows_bind_id(s->run, run);
    db_rows_bind_id(s->runs, id);
    db_rows_bind_id(s->bd, id);
    s->bd_source = "stored";
    int rc = db_rows_next(s->bd, NULL, 0);
    db_rows_reset(s->bd);
    if (rc == 0) { /* none stored: recompute */
        db_rows *r = recompute(d, s);
        s->bd_source = r ? "recomputed" : "none";
        if (r) {
            db_rows_free(s->bd);
            s->bd = r;
        }
    } else if (rc != 1) {
        return -1;
    }
    explain(d, s);
    return 0;
}

/* The point by its short design label (cli_point_label) and id; the full
 * string too with --wide, and alone for a string that is no model point. */
static int report_text(show_stmts *s, int wide)
{
    char label[CM_LABEL_MAX];
    const char *point = col_text(s->row, "point");
    int labelled = cli_point_label(point, label, sizeof label);
    if (labelled)
        printf("design %s\n", label);
    if (!labelled || wide)
        printf("point  %s\n", point ? point : "-");
    printf("id     %lld\n", (long long)db_rows_int(s->row, db_rows_col(s->row, "id")));
    if (s->rejected) {
        const char *reason = col_text(s->row, "reason");
        printf("status REJECTED (%s)%s%s\n", reason ? reason : "?", s->why[0] ? ": " : "",
               s->why);
        if (s->why_note[0])
            printf("       (%s)\n", s->why_note);
    }
    putchar('\n');
    text_metrics(s->row);
    putchar('\n');
    if (text_breakdown(s->bd, strcmp(s->bd_source, "stored") ? s->bd_note : NULL))
        return -1;
    putchar('\n');
    if (text_accuracy(s->acc))
        return -1;
    putchar('\n');
    text_run(s->run);
    return text_runs(s->runs);
}

static int report_json(show_stmts *s)
{
    printf("{\n  \"metrics\": {");
    if (json_fields(s->row, "\n    "))
        return -1;
    printf("\n  }");
    printf(",\n  \"run\": ");
    if (db_rows_next(s->run, NULL, 0) == 1) {
        printf("{");
        if (json_fields(s->run, "\n    "))
            return -1;
        printf("\n  }");
    } else {
        printf("null");
    }
    if (json_rows(s->runs, "runs") || json_rows(s->bd, "breakdown"))
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
    if (s->rejected) {
        char *w = db_quote(s->why, DB_OUT_JSON), *n = db_quote(s->why_note, DB_OUT_JSON);
        if (w && n) {
            printf(",\n  \"why\": %s", s->why[0] ? w : "null");
            if (s->why_note[0])
                printf(",\n  \"why_note\": %s", n);
        }
        free(w);
        free(n);
        if (!w || !n)
            return -1;
    }
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
    if (!rc && (o.json ? report_json(&s) : report_text(&s, o.wide))) {
        cli_bad(CMD, "%s: %s", db_path(d), db_last_error(d));
        rc = CLI_FAIL;
    }
    if (!rc && (fflush(stdout) || ferror(stdout))) {
        cli_bad(CMD, "cannot write the output");
        rc = CLI_FAIL;
    }
    db_rows_free(s.row);
    db_rows_free(s.run);
    db_rows_free(s.runs);
    db_rows_free(s.bd);
    db_rows_free(s.acc);
    dbset_close(set);
    free(dbs);
    return rc;
}
