/*
 * cmd_pareto.c - `dse pareto`: the exact non-dominated set of the stored
 * points over any metric columns of the `results` view, as a table, CSV or
 * JSON, over one database or several read as one (dbset.h: --db repeated,
 * a directory of shard databases, a shard-set file).
 *
 * The objective columns are read in one scan per database (only id and the
 * objectives), the skyline is computed in memory by map_pareto
 * (output-sensitive, not a quadratic SQL query), and only the front's rows
 * are fetched again for printing.  Several databases: the front of a union
 * is the front of the union of the fronts, so each database's front is
 * computed on its own, on as many threads as there are cores (each with its
 * own connection), and only the fronts are combined; a point stored in
 * several databases then counts once (the first database's copy).  Column
 * names are checked against the view; the only text spliced into SQL
 * unchecked is the user's --where expression, on read-only connections.
 */
#include "cli.h"
#include "map_metric.h"
#include "db.h"
#include "dbset.h"
#include "map_pareto.h"
#include "pareto_workloads.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "pareto"

typedef struct {
    const char **db; /* --db arguments (ndb; none: DB_DEFAULT_PATH) */
    int ndb;
    const char *where;
    const char *workload; /* --workload: the points of that spec workload's runs */
    long run, limit;
    int all_workloads;
    db_outfmt fmt;
    int wide;        /* table: the full point string instead of the label */
    int nobj, nextra;
    char *obj[MAP_PARETO_MAXK];
    map_dir dir[MAP_PARETO_MAXK];
    char *extra[64];
} pareto_opts;

/* The scanned rows: id and the objective values (NaN for NULL). */
typedef struct {
    size_t n, cap;
    int64_t *id;
    double *v;
} pareto_rows;

/* An internal failure (no memory, output error): exit status 1. */
static int internal(const char *what)
{
    cli_bad(CMD, "%s", what);
    return CLI_FAIL;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dse pareto [--db F]... --objective COL:min|max [--objective ...]\n"
        "                  [--where SQL] [--run ID] [--workload NAME] [--columns C1,C2..]\n"
        "                  [--format table|csv|json] [--wide] [--limit N]\n\n"
        "The exact Pareto front (non-dominated set) of the stored design points over\n"
        "the given columns of the `results` view, each minimized or maximized.\n\n"
        "  --db F          results database (default " DB_DEFAULT_PATH "); never modified.\n"
        "                  Repeat it, or name a directory of databases or the shard-set\n"
        "                  file of dse sweep --no-merge: the databases are read as one\n"
        "  --all-workloads one front over rows of several workloads (layer sizes or\n"
        "                  spec workload names); by default such rows are refused,\n"
        "                  naming the workloads\n"
        "  --objective O   COL:min or COL:max, or a metric alone (its natural direction:\n"
        "                  params min, throughput_fps max, accuracy max ...); aliases area, energy,\n"
        "                  power, throughput, error, util; repeat, or separate by commas (1..%d)\n"
        "  --where SQL     an SQL expression over the columns of `results`, e.g.\n"
        "                  \"valid AND banks = 16\" (only rows where it is true count)\n"
        "  --run ID        only the points run ID evaluated (also those another run\n"
        "                  had stored first)\n"
        "  --workload NAME only the points the runs of spec workload NAME evaluated\n"
        "                  (the spec's `workload: name`; the runs view lists them); a\n"
        "                  point can belong to two workloads\n"
        "  --columns LIST  more columns of `results` to print for each front point\n"
        "  --format F      table (default), csv (header row, a `point` column) or json\n"
        "                  The table shows each point as its id and a short design label\n"
        "                  (W_x's format, ranks and tree; decomposition; PxL, banks, bank\n"
        "                  map), e.g. `ht r4 ((1,2),(3,4)) concat | 16x16 B16 transform`;\n"
        "                  CSV and JSON give the full point string\n"
        "  --wide          the table with the full point string instead of the label\n"
        "  --limit N       print at most N front points (the front is still exact)\n\n"
        "Points with identical objective values are all kept.  Rows with NULL in an\n"
        "objective are excluded; their number is reported on stderr.  Numeric columns:\n"
        "  sqlite3 F 'select name from pragma_table_info(\"results\")'\n",
        MAP_PARETO_MAXK);
}

static void opts_free(pareto_opts *o)
{
    for (int i = 0; i < o->nobj; i++)
        free(o->obj[i]);
    for (int i = 0; i < o->nextra; i++)
        free(o->extra[i]);
}

/*
 * "COL:min" -> o->obj / o->dir; a comma separates several.  COL is a column
 * of `results` or a metric alias (map_metric.h: energy = energy_pj ...);
 * without ":min" / ":max" a metric takes its natural direction.
 */
static int parse_objectives(pareto_opts *o, const char *arg)
{
    const char *p = arg;
    for (;;) {
        size_t len = strcspn(p, ",");
        char item[256];
        if (len == 0 || len >= sizeof item)
            return cli_bad(CMD, "bad objective list '%s'", arg);
        memcpy(item, p, len);
        item[len] = '\0';
        char *colon = strrchr(item, ':');
        const char *d = colon ? colon + 1 : NULL;
        if (colon == item)
            return cli_bad(CMD, "bad objective '%s': expected COL, COL:min or COL:max", item);
        if (colon)
            *colon = '\0';
        if (d && strcmp(d, "min") && strcmp(d, "max"))
            return cli_bad(CMD, "bad direction '%s' in objective '%s:%s': expected min or max",
                           d, item, d);
        int m = map_metric_lookup(item);
        const char *col = m >= 0 ? map_metric_name((map_metric)m) : item;
        int acc = !strcmp(item, "accuracy"); /* a column of results, naturally max */
        map_dir dir = d ? (d[1] == 'a' ? MAP_MAX : MAP_MIN)
                        : m >= 0 ? map_metric_dir((map_metric)m) : acc ? MAP_MAX : MAP_MIN;
        if (!d && m < 0 && !acc)
            return cli_bad(CMD, "objective '%s' needs a direction ('%s:min' or '%s:max'): it is "
                           "not a metric with a natural one", item, item, item);
        if (o->nobj == MAP_PARETO_MAXK)
            return cli_bad(CMD, "more than %d objectives", MAP_PARETO_MAXK);
        for (int i = 0; i < o->nobj; i++)
            if (!strcmp(o->obj[i], col))
                return cli_bad(CMD, "objective column '%s' given twice", col);
        if (!(o->obj[o->nobj] = strdup(col)))
            return cli_bad(CMD, "out of memory");
        o->dir[o->nobj++] = dir;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

static int parse_columns(pareto_opts *o, const char *arg)
{
    const char *p = arg;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0)
            return cli_bad(CMD, "bad column list '%s'", arg);
        if (o->nextra == (int)(sizeof o->extra / sizeof o->extra[0]))
            return cli_bad(CMD, "too many --columns");
        if (!(o->extra[o->nextra++] = strndup(p, len)))
            return cli_bad(CMD, "out of memory");
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

static int parse_args(int argc, char **argv, pareto_opts *o)
{
    static const struct option lo[] = {
        {"db", required_argument, NULL, 'd'},     {"objective", required_argument, NULL, 'o'},
        {"where", required_argument, NULL, 'w'},  {"run", required_argument, NULL, 'r'},
        {"format", required_argument, NULL, 'f'}, {"limit", required_argument, NULL, 'l'},
        {"columns", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {"all-workloads", no_argument, NULL, 'A'}, {"wide", no_argument, NULL, 'W'},
        {"workload", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* glibc: full re-initialization */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+hd:o:w:r:f:l:c:", lo, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return -1;
        case 'd': o->db[o->ndb++] = optarg; break;
        case 'W': o->wide = 1; break;
        case 'w': o->where = optarg; break;
        case 'L': o->workload = optarg; break;
        case 'A': o->all_workloads = 1; break;
        case 'o':
            if (parse_objectives(o, optarg))
                return CLI_BADINPUT;
            break;
        case 'c':
            if (parse_columns(o, optarg))
                return CLI_BADINPUT;
            break;
        case 'r':
            if (vp_long(optarg, 1, LONG_MAX, &o->run))
                return cli_bad(CMD, "bad --run '%s': expected a run id >= 1", optarg);
            break;
        case 'l':
            if (vp_long(optarg, 1, LONG_MAX, &o->limit))
                return cli_bad(CMD, "bad --limit '%s': expected an integer >= 1", optarg);
            break;
        case 'f':
            if (!strcmp(optarg, "table")) o->fmt = DB_OUT_TABLE;
            else if (!strcmp(optarg, "csv")) o->fmt = DB_OUT_CSV;
            else if (!strcmp(optarg, "json")) o->fmt = DB_OUT_JSON;
            else return cli_bad(CMD, "bad --format '%s': expected table, csv or json", optarg);
            break;
        default:
            return cli_bad(CMD, "unknown or incomplete option '%s' (try --help)",
                           argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_bad(CMD, "unexpected argument '%s' (try --help)", argv[optind]);
    if (o->nobj == 0)
        return cli_bad(CMD, "no --objective given (e.g. --objective energy_pj:min)");
    return 0;
}

/* Every objective / extra column must be a column of `results`; objectives numeric. */
static int check_columns(db_conn *d, const pareto_opts *o)
{
    char err[512];
    db_column *cols;
    int n;
    if (db_columns(d, "results", &cols, &n, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    int rc = 0;
    for (int i = 0; i < o->nobj + o->nextra && !rc; i++) {
        const char *name = i < o->nobj ? o->obj[i] : o->extra[i - o->nobj];
        int j = 0;
        while (j < n && strcmp(cols[j].name, name))
            j++;
        if (j == n) {
            char list[600];
            map_metric_list(list, sizeof list);
            rc = cli_bad(CMD, "unknown column '%s' (metrics: %s; --help lists how to see every "
                         "column of `results`)", name, list);
        }
        else if (i < o->nobj && !strcmp(cols[j].type, "TEXT"))
            rc = cli_bad(CMD, "column '%s' is text, not a metric", name);
    }
    db_columns_free(cols, n);
    return rc;
}

/* --run ID (of the set's id space): *member and *local its database and id. */
static int check_run(const dbset *set, long run, int *member, int64_t *local)
{
    char err[512];
    *member = dbset_member_of_run(set, run, local);
    db_conn *d = set->m[*member < 0 ? 0 : *member].d;
    if (*member < 0)
        return cli_bad(CMD, "%s: no run %ld", db_path(d), run);
    int found = db_run_exists(d, *local, err, sizeof err);
    if (found < 0)
        return cli_bad(CMD, "%s", err);
    return found ? 0 : cli_bad(CMD, "%s: no run %ld", db_path(d), run);
}

/* The user's --where text for a one-line message: control characters as
 * '?', long text cut with "...". */
static const char *where_shown(const char *w, char *buf, size_t len)
{
    size_t o = 0;
    for (; *w && o + 4 < len; w++)
        buf[o++] = ((unsigned char)*w < 0x20 || *w == 0x7f) ? '?' : *w;
    if (*w)
        buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
    buf[o] = '\0';
    return buf;
}

/*
 * The --where text alone (db_where_check): its errors are then about the
 * user's text, not about the SQL we wrap it in (a dangling '(' would
 * otherwise be reported near our closing ')').
 */
static int check_where(db_conn *d, const char *where)
{
    char ws[240], err[512];
    int at = 0;
    where_shown(where, ws, sizeof ws);
    int rc = db_where_check(d, where, &at, err, sizeof err);
    if (rc < 0 && at > 0)
        return cli_bad(CMD, "bad --where '%s': not a valid SQL expression: %s "
                            "(at character %d)", ws, err, at);
    if (rc < 0)
        return cli_bad(CMD, "bad --where '%s': not a valid SQL expression: %s", ws, err);
    if (rc > 0)
        return cli_bad(CMD, "bad --where '%s': one expression expected", ws);
    return 0;
}

/* The scan: id and the objectives of the rows where --where holds, of
 * --run only (run: the database's own id of it, 0: none) and --workload. */
static int prepare_scan(db_conn *d, const pareto_opts *o, int64_t run, db_rows **st)
{
    char err[512], ws[240];
    db_pick pk = {run, o->workload};
    int rc = db_front_scan(d, (const char *const *)o->obj, o->nobj, o->where, &pk, st, err,
                           sizeof err);
    if (rc == 0)
        return 0;
    /* it passed alone: it is more than one expression ("1 UNION SELECT 2") */
    if (rc > 0 || o->where)
        return cli_bad(CMD, "bad --where '%s': one expression expected",
                       where_shown(o->where ? o->where : "", ws, sizeof ws));
    return cli_bad(CMD, "cannot read the results: %s", err);
}

static int rows_grow(pareto_rows *r, int k)
{
    size_t cap = r->cap ? 2 * r->cap : 4096;
    int64_t *id = realloc(r->id, cap * sizeof *id);
    if (!id)
        return -1;
    r->id = id;
    double *v = realloc(r->v, cap * (size_t)k * sizeof *v);
    if (!v)
        return -1;
    r->v = v;
    r->cap = cap;
    return 0;
}

static int rows_push(pareto_rows *r, int k, db_rows *st)
{
    if (r->n == r->cap && rows_grow(r, k))
        return -1;
    r->id[r->n] = db_rows_int(st, 0);
    double *v = r->v + r->n * (size_t)k;
    for (int j = 0; j < k; j++)
        v[j] = db_rows_is_null(st, j + 1) ? NAN : db_rows_real(st, j + 1);
    r->n++;
    return 0;
}

static void rows_free(pareto_rows *r)
{
    free(r->id);
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* One database's part of the query: its scan (prepared by the main thread,
 * so that messages about the --where text come out once) and what its
 * thread leaves: the database's front with ids of the set's id space. */
typedef struct {
    db_conn *d;
    int64_t id_off;
    db_rows *st;       /* NULL: nothing to scan here (--run of another one) */
    int k;
    const map_dir *dir;
    pareto_rows front;
    size_t nrows, nnull;
    int failed;        /* 1 a database error (err), 2 no memory */
    char err[512];
} member_scan;

/* Scans one database and keeps its front (rows freed as soon as known). */
static void scan_member(member_scan *ms)
{
    pareto_rows r = {0};
    size_t *front = NULL, nfront = 0;
    int rc;
    while ((rc = db_rows_next(ms->st, ms->err, sizeof ms->err)) == 1)
        if (rows_push(&r, ms->k, ms->st)) {
            ms->failed = 2;
            goto out;
        }
    if (rc != 0) {
        ms->failed = 1; /* ms->err: "PATH: message" */
        goto out;
    }
    ms->nrows = r.n;
    front = malloc((r.n ? r.n : 1) * sizeof *front);
    if (!front || map_pareto(r.v, r.n, ms->k, ms->dir, front, &nfront, &ms->nnull)) {
        ms->failed = 2;
        goto out;
    }
    /* the front in place at the start of r, ids shifted into the set's space */
    for (size_t i = 0; i < nfront; i++) {
        r.id[i] = r.id[front[i]] + ms->id_off;
        memmove(r.v + i * (size_t)ms->k, r.v + front[i] * (size_t)ms->k,
                (size_t)ms->k * sizeof *r.v);
    }
    r.n = nfront;
    ms->front = r;
    r = (pareto_rows){0};
out:
    free(front);
    rows_free(&r);
}

/* The members' scans on `nthreads` threads, each taking the next database. */
typedef struct {
    member_scan *ms;
    int n, next;
    pthread_mutex_t mu;
} scan_pool;

static void *scan_worker(void *arg)
{
    scan_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int i = p->next++;
        pthread_mutex_unlock(&p->mu);
        if (i >= p->n)
            return NULL;
        if (p->ms[i].st)
            scan_member(&p->ms[i]);
    }
}

/* Threads only pay when there are databases to spread over cores. */
static void scan_all(member_scan *ms, int n)
{
    scan_pool p = {ms, n, 0, PTHREAD_MUTEX_INITIALIZER};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = n < ncpu ? n : (int)(ncpu > 0 ? ncpu : 1), started = 0;
    pthread_t th[16];
    if (nt > 16)
        nt = 16;
    for (int t = 1; t < nt; t++)
        if (pthread_create(&th[started], NULL, scan_worker, &p) == 0)
            started++;
    scan_worker(&p);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
}

/* Every database's front (prepared here, scanned by scan_all), combined into
 * r: the candidates, whose own front is the set's; *nrows / *nnull summed. */
static int scan(const dbset *set, const pareto_opts *o, int run_member, int64_t run_local,
                pareto_rows *r, size_t *nrows, size_t *nnull)
{
    member_scan *ms = calloc((size_t)set->n, sizeof *ms);
    int rc = ms ? 0 : internal("out of memory");
    for (int i = 0; i < set->n && !rc; i++) {
        ms[i] = (member_scan){.d = set->m[i].d, .id_off = set->m[i].id_off, .k = o->nobj,
                              .dir = o->dir};
        if (!o->run || i == run_member)
            rc = prepare_scan(ms[i].d, o, o->run ? run_local : 0, &ms[i].st);
    }
    if (!rc)
        scan_all(ms, set->n);
    for (int i = 0; i < set->n && ms && !rc; i++) {
        if (ms[i].failed)
            rc = ms[i].failed == 2 ? internal("out of memory") : cli_bad(CMD, "%s", ms[i].err);
        *nrows += ms[i].nrows;
        *nnull += ms[i].nnull;
        for (size_t j = 0; j < ms[i].front.n && !rc; j++) {
            if (r->n == r->cap && rows_grow(r, o->nobj)) {
                rc = internal("out of memory");
                break;
            }
            r->id[r->n] = ms[i].front.id[j];
            memcpy(r->v + r->n * (size_t)o->nobj, ms[i].front.v + j * (size_t)o->nobj,
                   (size_t)o->nobj * sizeof *r->v);
            r->n++;
        }
    }
    for (int i = 0; ms && i < set->n; i++) {
        db_rows_free(ms[i].st);
        rows_free(&ms[i].front);
    }
    free(ms);
    return rc;
}

/* A front row with what its sort needs (qsort has no context argument). */
typedef struct {
    const double *v;
    const map_dir *dir;
    size_t row;
    int64_t id;
    int k;
} front_row;

/* Output order: objective values best first, in the order given, then id. */
static int front_cmp(const void *pa, const void *pb)
{
    const front_row *a = pa, *b = pb;
    for (int j = 0; j < a->k; j++)
        if (a->v[j] != b->v[j]) {
            int less = a->v[j] < b->v[j];
            return (a->dir[j] == MAP_MAX ? !less : less) ? -1 : 1;
        }
    return (a->id > b->id) - (a->id < b->id);
}

/* Sorts front[0..n-1] (row indices of r) into output order. */
static int sort_front(const pareto_rows *r, const pareto_opts *o, size_t *front, size_t n)
{
    front_row *fr = malloc((n ? n : 1) * sizeof *fr);
    if (!fr)
        return -1;
    for (size_t i = 0; i < n; i++)
        fr[i] = (front_row){r->v + front[i] * (size_t)o->nobj, o->dir, front[i],
                            r->id[front[i]], o->nobj};
    qsort(fr, n, sizeof *fr, front_cmp);
    for (size_t i = 0; i < n; i++)
        front[i] = fr[i].row;
    free(fr);
    return 0;
}

/* ---- printing ---- */

typedef struct {
    int ncol;
    const char **name; /* ncol names: id, point, objectives, extras */
    char **cell;       /* nrow x ncol, malloc'd */
    size_t nrow;
    int labelled;      /* some point cell holds a design label */
} table;

static void table_free(table *t)
{
    for (size_t i = 0; i < t->nrow * (size_t)t->ncol; i++)
        free(t->cell[i]);
    free(t->cell);
    free(t->name);
}

/*
 * Several databases may hold one point (overlapping shards): it counts
 * once, with the copy of the first database, as dse merge keeps.  The
 * copies of one point have equal values (one deterministic model), so they
 * are on the front together or not at all: removing the later ones from
 * the front is enough.  front[0..*n) keeps its order.
 */
static int drop_repeats(const dbset *set, const pareto_rows *r, size_t *front, size_t *n)
{
    char err[512];
    if (dbset_drop_repeats(set, r->id, front, n, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    return 0;
}

/* The table's point cell of the current row: the point's short design
 * label (cli_point_label) instead of its string; a string that is no model
 * point stays as it is. */
static int label_cell(table *t, db_rows *st)
{
    char label[CM_LABEL_MAX];
    if (!cli_point_label(db_rows_text(st, 1), label, sizeof label))
        return 0;
    char **cell = &t->cell[t->nrow * (size_t)t->ncol + 1], *s = strdup(label);
    if (!s)
        return internal("out of memory");
    free(*cell);
    *cell = s;
    t->labelled = 1;
    return 0;
}

static int fetch_front(const dbset *set, const pareto_opts *o, const pareto_rows *r,
                       const size_t *front, size_t nshow, table *t)
{
    t->ncol = 2 + o->nobj + o->nextra;
    t->name = malloc((size_t)t->ncol * sizeof *t->name);
    t->cell = calloc(nshow * (size_t)t->ncol + 1, sizeof *t->cell);
    if (!t->name || !t->cell)
        return internal("out of memory");
    t->name[0] = "id";
    t->name[1] = "point";
    for (int i = 0; i < o->nobj; i++)
        t->name[2 + i] = o->obj[i];
    for (int i = 0; i < o->nextra; i++)
        t->name[2 + o->nobj + i] = o->extra[i];
    /* the id (of the set's id space) and the columns after it */
    dbset_reader *rd;
    char err[512];
    if (dbset_reader_open(set, t->name + 1, t->ncol - 1, &rd, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    int rc = 0;
    for (size_t i = 0; i < nshow && !rc; i++) {
        db_rows *st = dbset_read(rd, r->id[front[i]], err, sizeof err);
        if (!st) {
            rc = cli_bad(CMD, "%s", err);
            break;
        }
        for (int c = 0; c < t->ncol; c++) {
            char *s = db_rows_value(st, c, o->fmt);
            if (!s) {
                rc = internal("out of memory");
                break;
            }
            t->cell[t->nrow * (size_t)t->ncol + (size_t)c] = s;
        }
        if (!rc && o->fmt == DB_OUT_TABLE && !o->wide)
            rc = label_cell(t, st);
        t->nrow++;
    }
    dbset_reader_free(rd);
    /* the column says what it holds: the label, or (no model point among
     * the rows) the strings as they are */
    if (!rc && o->fmt == DB_OUT_TABLE && !o->wide && t->labelled)
        t->name[1] = "design";
    return rc;
}

static void print_table(const table *t)
{
    size_t w[2 + MAP_PARETO_MAXK + 64];
    for (int c = 0; c < t->ncol; c++) {
        w[c] = strlen(t->name[c]);
        for (size_t i = 0; i < t->nrow; i++) {
            size_t l = strlen(t->cell[i * (size_t)t->ncol + (size_t)c]);
            w[c] = l > w[c] ? l : w[c];
        }
    }
    for (int c = 0; c < t->ncol; c++)
        printf("%s%-*s", c ? "  " : "", c + 1 < t->ncol ? (int)w[c] : 0, t->name[c]);
    putchar('\n');
    for (size_t i = 0; i < t->nrow; i++) {
        for (int c = 0; c < t->ncol; c++) {
            const char *s = t->cell[i * (size_t)t->ncol + (size_t)c];
            /* numbers right-aligned, text (point or design label 1) left */
            if (c == 1)
                printf("  %-*s", c + 1 < t->ncol ? (int)w[c] : 0, s);
            else
                printf("%s%*s", c ? "  " : "", (int)w[c], s);
        }
        putchar('\n');
    }
}

static void print_csv(const table *t)
{
    for (int c = 0; c < t->ncol; c++)
        printf("%s%s", c ? "," : "", t->name[c]);
    putchar('\n');
    for (size_t i = 0; i < t->nrow; i++) {
        for (int c = 0; c < t->ncol; c++)
            printf("%s%s", c ? "," : "", t->cell[i * (size_t)t->ncol + (size_t)c]);
        putchar('\n');
    }
}

static void print_json(const table *t, const pareto_opts *o, size_t nrows, size_t nnull,
                       size_t nfront)
{
    printf("{\n  \"objectives\": [");
    for (int i = 0; i < o->nobj; i++) {
        char *q = db_quote(o->obj[i], DB_OUT_JSON);
        printf("%s{\"column\": %s, \"direction\": \"%s\"}", i ? ", " : "", q ? q : "null",
               o->dir[i] == MAP_MAX ? "max" : "min");
        free(q);
    }
    char *w = o->where ? db_quote(o->where, DB_OUT_JSON) : NULL;
    printf("],\n  \"where\": %s,\n", w ? w : "null");
    free(w);
    if (o->run)
        printf("  \"run\": %ld,\n", o->run);
    else
        printf("  \"run\": null,\n");
    char *wl = o->workload ? db_quote(o->workload, DB_OUT_JSON) : NULL;
    printf("  \"workload\": %s,\n", wl ? wl : "null");
    free(wl);
    printf("  \"rows\": %zu,\n  \"excluded_null\": %zu,\n  \"front_size\": %zu,\n"
           "  \"front\": [", nrows, nnull, nfront);
    for (size_t i = 0; i < t->nrow; i++) {
        printf("%s\n    {", i ? "," : "");
        for (int c = 0; c < t->ncol; c++) {
            char *q = db_quote(t->name[c], DB_OUT_JSON);
            printf("%s%s: %s", c ? ", " : "", q ? q : "\"?\"",
                   t->cell[i * (size_t)t->ncol + (size_t)c]);
            free(q);
        }
        putchar('}');
    }
    printf("%s]\n}\n", t->nrow ? "\n  " : "");
}

static int run_query(const dbset *set, const pareto_opts *o, int run_member,
                     int64_t run_local)
{
    pareto_rows r = {0};
    size_t *front = NULL, nfront = 0, nnull = 0, nrows = 0;
    table t = {0};
    int rc = scan(set, o, run_member, run_local, &r, &nrows, &nnull);
    if (!rc) /* after the scan, which reports a bad --where in the user's words */
        rc = pareto_check_workloads(set, o->where, o->run ? run_member : -1, run_local,
                                    o->workload, o->all_workloads);
    if (rc)
        goto out;
    /* the front of the databases' fronts (one database: its front again) */
    front = malloc((r.n ? r.n : 1) * sizeof *front);
    if (!front || map_pareto(r.v, r.n, o->nobj, o->dir, front, &nfront, NULL)) {
        rc = internal("out of memory");
        goto out;
    }
    if (set->n > 1 && (rc = drop_repeats(set, &r, front, &nfront)))
        goto out;
    if (sort_front(&r, o, front, nfront)) {
        rc = internal("out of memory");
        goto out;
    }
    size_t nshow = o->limit && (size_t)o->limit < nfront ? (size_t)o->limit : nfront;
    if ((rc = fetch_front(set, o, &r, front, nshow, &t)))
        goto out;
    if (o->fmt == DB_OUT_TABLE)
        print_table(&t);
    else if (o->fmt == DB_OUT_CSV)
        print_csv(&t);
    else
        print_json(&t, o, nrows, nnull, nfront);
    fprintf(stderr, "dse pareto: %zu non-dominated of %zu rows", nfront, nrows);
    if (set->n > 1)
        fprintf(stderr, " in %d databases", set->n);
    if (nnull)
        fprintf(stderr, "; %zu rows with NULL in an objective excluded", nnull);
    if (nshow < nfront)
        fprintf(stderr, "; first %zu shown", nshow);
    fputc('\n', stderr);
    if (fflush(stdout) || ferror(stdout))
        rc = internal("cannot write the output");
out:
    table_free(&t);
    free(front);
    free(r.id);
    free(r.v);
    return rc;
}

/* The checks that need the databases: columns in each, --where once, --run. */
static int check_query(const dbset *set, const pareto_opts *o, int *run_member,
                       int64_t *run_local)
{
    int rc = 0;
    for (int i = 0; i < set->n && !rc; i++)
        rc = check_columns(set->m[i].d, o);
    if (!rc && o->where)
        rc = check_where(set->m[0].d, o->where);
    if (!rc && o->run)
        rc = check_run(set, o->run, run_member, run_local);
    if (!rc && o->workload)
        rc = pareto_check_workload_name(set, o->workload);
    return rc;
}

int cmd_pareto(int argc, char **argv)
{
    const char **dbs = calloc((size_t)argc + 1, sizeof *dbs);
    pareto_opts o = {.db = dbs, .fmt = DB_OUT_TABLE};
    if (!dbs)
        return internal("out of memory");
    int rc = parse_args(argc, argv, &o);
    if (!rc && o.ndb == 0)
        dbs[o.ndb++] = DB_DEFAULT_PATH;
    char err[512];
    dbset *set = NULL;
    if (!rc && dbset_open(dbs, o.ndb, &set, err, sizeof err))
        rc = cli_bad(CMD, "%s", err);
    int run_member = -1;
    int64_t run_local = 0;
    if (!rc)
        rc = check_query(set, &o, &run_member, &run_local);
    if (!rc)
        rc = run_query(set, &o, run_member, run_local);
    dbset_close(set);
    opts_free(&o);
    free(dbs);
    return rc < 0 ? CLI_OK : rc;
}
