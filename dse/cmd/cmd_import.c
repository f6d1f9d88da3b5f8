/*
 * cmd_import.c - `dse import-accuracy [--db F] CSV`: stores measured
 * accuracies (point, dataset, accuracy[, source]) so that `results.accuracy`
 * and a Pareto query can use them where they exist.
 *
 * The whole CSV is parsed and checked first (RFC 4180 quoting: point strings
 * may hold commas), then stored in one transaction: a bad line stores
 * nothing.  A point that the database does not hold is an error (a typo
 * would otherwise be silently unused) unless --allow-unknown.
 */
#include "cli.h"
#include "db.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CMD "import-accuracy"
#define MAXF 8

typedef struct {
    const char *db_path, *csv, *source;
    int allow_unknown;
} import_opts;

typedef struct {
    char *point, *dataset, *source;
    double accuracy;
    long line;
} acc_rec;

typedef struct {
    acc_rec *r;
    size_t n, cap;
} acc_recs;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dse import-accuracy [--db F] [--source S] [--allow-unknown] CSV\n\n"
        "Stores measured accuracies of design points (replacing earlier ones of the\n"
        "same point and dataset).  CSV rows: point,dataset,accuracy[,source]; an\n"
        "optional header row names these columns (in any order).  Fields holding\n"
        "commas are quoted (\"...\", \"\" for a quote).  CSV '-' reads stdin.\n\n"
        "  --db F            results database (default " DB_DEFAULT_PATH "); must exist\n"
        "  --source S        source of rows without one (default: the CSV name)\n"
        "  --allow-unknown   accept points the database does not hold\n\n"
        "Nothing is stored unless every row is valid.  `results.accuracy` is the mean\n"
        "over the datasets of a point; the table `accuracy` has each one.\n");
}

static int parse_args(int argc, char **argv, import_opts *o)
{
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"source", required_argument, NULL, 's'},
                                       {"allow-unknown", no_argument, NULL, 'u'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "hd:s:u", lo, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return -1;
        case 'd': o->db_path = optarg; break;
        case 's': o->source = optarg; break;
        case 'u': o->allow_unknown = 1; break;
        default:
            return cli_bad(CMD, "unknown or incomplete option '%s' (try --help)",
                           argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_bad(CMD, "no CSV file given (try --help)");
    if (optind + 1 < argc)
        return cli_bad(CMD, "unexpected argument '%s'", argv[optind + 1]);
    o->csv = argv[optind];
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *g = realloc(buf, cap *= 2);
        if (!g) {
            free(buf);
            buf = NULL;
        } else {
            buf = g;
        }
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/*
 * One CSV record from *p (in place: fields are NUL-terminated inside buf,
 * quotes removed).  Returns the field count, 0 at the end, -1 on a bad
 * quote or too many fields.  *line advances over the record's line breaks.
 */
static int csv_record(char **p, char **field, long *line)
{
    char *s = *p, *w;
    int n = 0;
    if (!*s)
        return 0;
    for (;;) {
        if (n == MAXF)
            return -1;
        field[n++] = w = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (!*s)
                    return -1; /* unterminated quote */
                if (*s == '"' && s[1] == '"') {
                    *w++ = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    *line += *s == '\n';
                    *w++ = *s++;
                }
            }
            if (*s && *s != ',' && *s != '\n' && !(*s == '\r' && s[1] == '\n'))
                return -1; /* text after a closing quote */
        } else {
            while (*s && *s != ',' && *s != '\n' && !(*s == '\r' && s[1] == '\n'))
                *w++ = *s++;
        }
        char sep = *s;
        if (sep == '\r')
            s++;
        if (*s)
            s++;
        *w = '\0';
        if (sep != ',') {
            ++*line;
            *p = s;
            return n;
        }
    }
}

/* Column positions: from a header row, or the fixed order. */
typedef struct {
    int point, dataset, accuracy, source; /* -1: absent */
} layout;

static int header_layout(char **f, int n, layout *l, const char *csv)
{
    *l = (layout){-1, -1, -1, -1};
    for (int i = 0; i < n; i++) {
        int *slot = !strcasecmp(f[i], "point") ? &l->point
                  : !strcasecmp(f[i], "dataset") ? &l->dataset
                  : !strcasecmp(f[i], "accuracy") ? &l->accuracy
                  : !strcasecmp(f[i], "source") ? &l->source : NULL;
        if (!slot)
            return cli_bad(CMD, "%s:1: unknown column '%s' (expected point, dataset, "
                           "accuracy, source)", csv, f[i]);
        if (*slot >= 0)
            return cli_bad(CMD, "%s:1: column '%s' given twice", csv, f[i]);
        *slot = i;
    }
    if (l->point < 0 || l->dataset < 0 || l->accuracy < 0)
        return cli_bad(CMD, "%s:1: the header needs point, dataset and accuracy", csv);
    return 0;
}

static int push(acc_recs *rs, acc_rec r)
{
    acc_rec *g = cm_grow(rs->r, rs->n, &rs->cap, sizeof *g, 256);
    if (!g)
        return -1;
    rs->r = g;
    rs->r[rs->n++] = r;
    return 0;
}

static int blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return !*s;
}

static int one_record(char **f, int n, const layout *l, long line, const import_opts *o,
                      acc_recs *rs)
{
    int need = l->source >= 0 ? l->source + 1 : 3;
    if (l->accuracy + 1 > need) need = l->accuracy + 1;
    if (l->point + 1 > need) need = l->point + 1;
    if (l->dataset + 1 > need) need = l->dataset + 1;
    if (n < need || (l->source < 0 && n > 4) || (l->source >= 0 && n > need))
        return cli_bad(CMD, "%s:%ld: %d fields, expected point,dataset,accuracy[,source]",
                       o->csv, line, n);
    acc_rec r = {f[l->point], f[l->dataset], NULL, 0, line};
    if (l->source >= 0)
        r.source = f[l->source];
    else if (n == 4)
        r.source = f[3];
    if (!r.source || !*r.source)
        r.source = (char *)(o->source ? o->source : o->csv);
    if (!*r.point || !*r.dataset)
        return cli_bad(CMD, "%s:%ld: empty point or dataset", o->csv, line);
    if (vp_double(f[l->accuracy], &r.accuracy) || !isfinite(r.accuracy))
        return cli_bad(CMD, "%s:%ld: accuracy '%s' is not a finite number", o->csv, line,
                       f[l->accuracy]);
    if (push(rs, r)) {
        cli_bad(CMD, "out of memory");
        return CLI_FAIL;
    }
    return 0;
}

static int parse_csv(char *buf, const import_opts *o, acc_recs *rs)
{
    char *p = buf, *f[MAXF];
    long line = 1;
    layout l = {0, 1, 2, -1};
    int first = 1, n;
    for (;;) {
        long at = line;
        n = csv_record(&p, f, &line);
        if (n == 0)
            break;
        if (n < 0)
            return cli_bad(CMD, "%s:%ld: bad quoting or more than %d fields", o->csv, at, MAXF);
        if (n == 1 && blank(f[0]))
            continue; /* empty line */
        if (first && !strcasecmp(f[0], "point")) {
            if (header_layout(f, n, &l, o->csv))
                return CLI_BADINPUT;
        } else {
            int rc = one_record(f, n, &l, at, o, rs);
            if (rc)
                return rc;
        }
        first = 0;
    }
    if (rs->n == 0)
        return cli_bad(CMD, "%s: no accuracy rows", o->csv);
    return 0;
}

static int store(db_conn *d, const import_opts *o, const acc_recs *rs)
{
    char err[512];
    if (db_begin(d, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    for (size_t i = 0; i < rs->n; i++) {
        const acc_rec *r = &rs->r[i];
        if (!o->allow_unknown) {
            int has = db_has_point(d, r->point, err, sizeof err);
            if (has <= 0) {
                db_rollback(d);
                if (has < 0)
                    return cli_bad(CMD, "%s", err);
                return cli_bad(CMD, "%s:%ld: point '%s' is not in %s (--allow-unknown to "
                               "import it anyway)", o->csv, r->line, r->point, db_path(d));
            }
        }
        if (db_put_accuracy(d, r->point, r->dataset, r->accuracy, r->source, err, sizeof err)) {
            db_rollback(d);
            return cli_bad(CMD, "%s:%ld: %s", o->csv, r->line, err);
        }
    }
    if (db_commit(d, err, sizeof err)) {
        db_rollback(d);
        return cli_bad(CMD, "%s", err);
    }
    return 0;
}

int cmd_import_accuracy(int argc, char **argv)
{
    import_opts o = {.db_path = DB_DEFAULT_PATH};
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    size_t len;
    char *buf = slurp(o.csv, &len);
    if (!buf)
        return cli_bad(CMD, "%s: cannot read", o.csv);
    acc_recs rs = {0};
    rc = parse_csv(buf, &o, &rs);
    db_conn *d = NULL;
    char err[512];
    if (!rc && db_open(o.db_path, DB_WRITE, &d, err, sizeof err))
        rc = cli_bad(CMD, "%s", err);
    if (!rc)
        rc = store(d, &o, &rs);
    if (!rc)
        fprintf(stderr, "dse import-accuracy: %zu accuracies from %s stored in %s\n", rs.n,
                o.csv, o.db_path);
    db_close(d);
    free(rs.r);
    free(buf);
    return rc;
}
