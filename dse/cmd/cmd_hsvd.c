/*
 * cmd_hsvd.c - `dse hsvd`: truncate a weight matrix read from a .npy file to
 * HT (root-to-leaves HSVD) or TT (TT-SVD) with given ranks or a tolerance,
 * report the exact truncation error beside the spectral bounds, optionally
 * apply the truncated matrix to a vector (in factored form, best order) and
 * save the factors as .npy files.
 *
 * Saved factor files (--save DIR), float64, C order, natural shapes:
 *   HT leaf k         U<k>.npy      (m_k, n_k, r_k)     e.g. U3.npy
 *   HT internal node  B<label>.npy  (r_l, r_r, r_t)     e.g. B34.npy
 *   HT root           B<label>.npy  (r_l, r_r)          e.g. B1234.npy
 *   TT core k         G<k>.npy      (r_{k-1}, m_k, n_k, r_k), end ranks 1
 * where <label> lists the node's 1-based modes and l, r are the node's
 * children in canonical order (the one holding the smallest mode first).
 */
#include "cli.h"
#include "report.h"
#include "cm_hsvd.h"
#include "npy.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "hsvd"

/* ht_parse's messages start with "tree: "; after "--tree: " once is enough. */
static const char *after_tree(const char *msg)
{
    return strncmp(msg, "tree: ", 6) ? msg : msg + 6;
}

typedef struct {
    const char *weights, *in_modes, *out_modes, *format, *tree, *ranks, *tol;
    const char *x, *y, *save;
    int json;
} hsvd_opts;

/* Everything the decomposition needs, checked. */
typedef struct {
    cm_format f;       /* kind, modes; HT tree / TT ranks as requested (0 = choose) */
    double tol;        /* > 0: choose missing ranks */
    npy_array w;       /* the weights, M x N */
    npy_array x;       /* --x, N values (count 0 if absent) */
} hsvd_job;

/*
 * A user string (or a message that may quote one) as shown on stderr:
 * bounded, control bytes as '?', so that every error stays one line.
 * Four rotating buffers: up to four uses in one message.
 */
static const char *shown(const char *s)
{
    static char buf[4][300];
    static int k;
    char *b = buf[k = (k + 1) % 4];
    size_t o = 0;
    if (!s)
        s = "(null)";
    for (; *s && o + 4 < sizeof buf[0]; s++)
        b[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    if (*s)
        b[o++] = '.', b[o++] = '.', b[o++] = '.';
    b[o] = '\0';
    return b;
}

static void hsvd_usage(FILE *f)
{
    fprintf(f,
        "usage: dse hsvd --weights W.npy --in-modes N1xN2x.. --out-modes M1xM2x..\n"
        "                --format ht|tt [--tree T] [--ranks R | --tol EPS]\n"
        "                [--x x.npy --y y.npy] [--save DIR] [--json]\n\n"
        "Truncates the M x N matrix W (rows = outputs, M = prod out-modes,\n"
        "N = prod in-modes; float32/float64 .npy, C order) to HT (root-to-leaves\n"
        "HSVD) or TT (TT-SVD) and reports the exact relative error\n"
        "||W - W_approx||_F / ||W||_F beside the spectral bounds: bound_lower\n"
        "(max node tail; no truncation with these ranks does better) and\n"
        "bound_upper (root of the summed squared tails; HSVD does at least this well).\n\n"
        "  --weights F     the matrix W (.npy, 2-D, M x N)\n"
        "  --in-modes L    input (column) modes, e.g. 8x20x20x18\n"
        "  --out-modes L   output (row) modes, e.g. 16x4x4x4 (same count)\n"
        "  --format F      ht or tt\n"
        "  --tree T        HT dimension tree with ranks, e.g. '((1:4,2:4):6,(3:4,4:4):6)';\n"
        "                  default: the balanced tree\n"
        "  --ranks R       HT: one rank for every rank the tree leaves out;\n"
        "                  TT: one rank for every inner bond, or d-1 ranks 'r1,..'\n"
        "  --tol EPS       choose the missing ranks as the smallest that keep the\n"
        "                  error <= EPS (relative, Frobenius)\n"
        "                  ranks above what a matricization allows are capped\n"
        "  --x F, --y F    write y = W_approx x (computed in factored form along the\n"
        "                  best contraction order) to F (.npy, M values); x has N values\n"
        "  --save DIR      write the factors as .npy files into DIR (created if missing):\n"
        "                  HT U<k>.npy (m_k,n_k,r_k), B<node>.npy (r_l,r_r,r_t),\n"
        "                  root B<1..d>.npy (r_l,r_r); TT G<k>.npy (r_k-1,m_k,n_k,r_k)\n"
        "  --json          one JSON object instead of the text report\n"
        "  --help          this text\n");
}

static int hsvd_parse_args(int argc, char **argv, hsvd_opts *o)
{
    static const struct option longopts[] = {
        {"weights", required_argument, 0, 'w'}, {"in-modes", required_argument, 0, 'i'},
        {"out-modes", required_argument, 0, 'o'}, {"format", required_argument, 0, 'f'},
        {"tree", required_argument, 0, 't'}, {"ranks", required_argument, 0, 'r'},
        {"tol", required_argument, 0, 'e'}, {"x", required_argument, 0, 'x'},
        {"y", required_argument, 0, 'y'}, {"save", required_argument, 0, 's'},
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    memset(o, 0, sizeof *o);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': o->weights = optarg; break;
        case 'i': o->in_modes = optarg; break;
        case 'o': o->out_modes = optarg; break;
        case 'f': o->format = optarg; break;
        case 't': o->tree = optarg; break;
        case 'r': o->ranks = optarg; break;
        case 'e': o->tol = optarg; break;
        case 'x': o->x = optarg; break;
        case 'y': o->y = optarg; break;
        case 's': o->save = optarg; break;
        case 'j': o->json = 1; break;
        case 'h': hsvd_usage(stdout); return 1;
        case ':': return cli_bad(CMD, "option '%s' needs a value", shown(argv[optind - 1]));
        default: return cli_bad(CMD, "unknown option '%s' (try --help)", shown(argv[optind - 1]));
        }
    }
    if (optind < argc)
        return cli_bad(CMD, "unexpected argument '%s'", shown(argv[optind]));
    return 0;
}

/* --format, modes, --tol. */
static int build_kind_modes(const hsvd_opts *o, hsvd_job *j)
{
    char err[CM_ERRLEN];
    int nin = 0, nout = 0;
    cm_format *f = &j->f;
    if (!o->weights || !o->format || !o->in_modes || !o->out_modes)
        return cli_bad(CMD, "--weights, --format, --in-modes and --out-modes are required "
                            "(try --help)");
    if (cm_kind_parse(o->format, &f->kind) || f->kind == CM_DENSE)
        return cli_bad(CMD, "unknown format '%s' (expected ht or tt)", shown(o->format));
    if (vp_modes(o->in_modes, f->modes.n, &nin, err, sizeof err))
        return cli_bad(CMD, "--in-modes: %s", shown(err));
    if (vp_modes(o->out_modes, f->modes.m, &nout, err, sizeof err))
        return cli_bad(CMD, "--out-modes: %s", shown(err));
    if (nin != nout)
        return cli_bad(CMD, "--in-modes has %d modes but --out-modes has %d", nin, nout);
    f->modes.d = nin;
    if (cm_modes_check(&f->modes, err, sizeof err))
        return cli_bad(CMD, "%s", shown(err));
    if (o->ranks && o->tol)
        return cli_bad(CMD, "give --ranks or --tol, not both");
    j->tol = 0;
    if (o->tol && (vp_double(o->tol, &j->tol) || !(j->tol > 0) || !isfinite(j->tol)))
        return cli_bad(CMD, "--tol: '%s' is not a number > 0", shown(o->tol));
    return 0;
}

static int build_ht(const hsvd_opts *o, hsvd_job *j)
{
    char err[CM_ERRLEN];
    cm_format *f = &j->f;
    if (f->modes.d < 2)
        return cli_bad(CMD, "--format ht needs at least 2 modes");
    if (o->tree) {
        if (ht_parse(o->tree, &f->tree, err, sizeof err))
            return cli_bad(CMD, "--tree: %s", shown(after_tree(err)));
        if (f->tree.d != f->modes.d)
            return cli_bad(CMD, "--tree has %d modes but the mode lists have %d", f->tree.d,
                           f->modes.d);
    } else {
        ht_balanced(f->modes.d, &f->tree);
    }
    if (o->ranks) {
        int r[1] = {0}, n = 0;
        if (vp_ints(o->ranks, r, &n, 1, err, sizeof err))
            return cli_bad(CMD, "--ranks: %s (HT takes one rank)", shown(err));
        ht_fill_ranks(&f->tree, r[0]);
    }
    if (j->tol == 0)
        for (int v = 0; v < f->tree.nnodes; v++)
            if (v != f->tree.root && f->tree.rank[v] == 0)
                return cli_bad(CMD, "the tree leaves ranks out: give --ranks R or --tol EPS");
    return 0;
}

static int build_tt(const hsvd_opts *o, hsvd_job *j)
{
    char err[CM_ERRLEN];
    cm_format *f = &j->f;
    int d = f->modes.d, r[CM_MAX_D], n = 0;
    if (o->tree)
        return cli_bad(CMD, "--tree applies to --format ht only");
    memset(f->tt_rank, 0, sizeof f->tt_rank);
    f->tt_rank[0] = f->tt_rank[d] = 1;
    if (o->ranks) {
        if (vp_ints(o->ranks, r, &n, CM_MAX_D, err, sizeof err))
            return cli_bad(CMD, "--ranks: %s", shown(err));
        if (n != 1 && n != d - 1)
            return cli_bad(CMD, "--ranks: TT with %d modes takes 1 or %d ranks, got %d", d,
                           d - 1, n);
        for (int k = 1; k < d; k++)
            f->tt_rank[k] = n == 1 ? r[0] : r[k - 1];
    } else if (j->tol == 0 && d > 1) {
        return cli_bad(CMD, "--format tt needs --ranks R or --tol EPS");
    }
    return 0;
}

/* The weights (M x N exactly) and the optional input vector (N values). */
static int load_arrays(const hsvd_opts *o, hsvd_job *j)
{
    char err[CM_ERRLEN + 64];
    int64_t M = cm_modes_rows(&j->f.modes), N = cm_modes_cols(&j->f.modes);
    if ((o->x != NULL) != (o->y != NULL))
        return cli_bad(CMD, "--x and --y go together");
    if (npy_read(o->weights, &j->w, err, sizeof err)) {
        /* npy reads vectors and matrices ("PATH: array has K dimensions:
         * expected a vector (1-D) or a matrix (2-D)"); W must be a matrix */
        char *dims = strstr(err, " dimensions: expected ");
        if (dims)
            snprintf(dims, sizeof err - (size_t)(dims - err), " dimensions: expected a 2-D matrix");
        return cli_bad(CMD, "--weights: %s", shown(err));
    }
    if (j->w.ndim != 2)
        return cli_bad(CMD, "--weights: %s: expected a 2-D matrix, got a 1-D array of %lld values",
                       shown(o->weights), (long long)j->w.count);
    if (j->w.shape[0] != M || j->w.shape[1] != N)
        return cli_bad(CMD, "--weights: %s: matrix is %lld x %lld but the modes give %lld x %lld "
                            "(prod out-modes x prod in-modes)",
                       shown(o->weights), (long long)j->w.shape[0], (long long)j->w.shape[1],
                       (long long)M, (long long)N);
    if (o->x) {
        if (npy_read(o->x, &j->x, err, sizeof err)) {
            char *dims = strstr(err, " dimensions: expected ");
            if (dims)
                snprintf(dims, sizeof err - (size_t)(dims - err), " dimensions: expected a vector");
            return cli_bad(CMD, "--x: %s", shown(err));
        }
        if (j->x.count != N || (j->x.ndim == 2 && j->x.shape[0] != 1 && j->x.shape[1] != 1))
            return cli_bad(CMD, "--x: %s: expected a vector of %lld values (the columns of W)",
                           shown(o->x), (long long)N);
    }
    return 0;
}

/* --save DIR exists as a directory or is created now, before the work. */
static int prepare_save(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return cli_bad(CMD, "--save: '%s' exists and is not a directory", shown(dir));
        return 0;
    }
    if (mkdir(dir, 0777) != 0)
        return cli_bad(CMD, "--save: cannot create directory '%s': %s", shown(dir),
                       strerror(errno));
    return 0;
}

static int io_fail(const char *msg)
{
    fprintf(stderr, "dse %s: %s\n", CMD, shown(msg));
    return CLI_FAIL;
}

/* ---- outputs ---- */

static int save_one(const char *dir, const char *name, int ndim, const int64_t *shape,
                    const double *data)
{
    char path[4096], err[CM_ERRLEN + 4200];
    if ((size_t)snprintf(path, sizeof path, "%s/%s.npy", dir, name) >= sizeof path)
        return io_fail("--save: path too long");
    if (npy_write(path, ndim, shape, data, err, sizeof err))
        return io_fail(err);
    return 0;
}

static int save_factors(const char *dir, const cm_format *f, const cm_weights *w)
{
    const cm_modes *md = &f->modes;
    char name[32], label[CM_MAX_D + 1];
    if (f->kind == CM_TT) {
        for (int k = 0; k < md->d; k++) {
            int64_t sh[4] = {f->tt_rank[k], md->m[k], md->n[k], f->tt_rank[k + 1]};
            snprintf(name, sizeof name, "G%d", k + 1);
            if (save_one(dir, name, 4, sh, w->f[k]))
                return CLI_FAIL;
        }
        return 0;
    }
    const ht_tree *t = &f->tree;
    for (int v = 0; v < t->nnodes; v++) {
        int64_t sh[3];
        int nd;
        ht_node_label(t, v, label, sizeof label);
        snprintf(name, sizeof name, "%c%s", v < t->d ? 'U' : 'B', label);
        if (v < t->d) {
            sh[0] = md->m[v], sh[1] = md->n[v], sh[2] = t->rank[v], nd = 3;
        } else {
            sh[0] = t->rank[t->left[v]], sh[1] = t->rank[t->right[v]], sh[2] = t->rank[v];
            nd = v == t->root ? 2 : 3;
        }
        if (save_one(dir, name, nd, sh, w->f[v]))
            return CLI_FAIL;
    }
    return 0;
}

/* y = W_approx x in factored form along the best order; writes y.npy. */
static int apply_vector(const char *ypath, const cm_weights *w, const npy_array *x,
                        int64_t M, char *order, size_t orderlen, int64_t *macs)
{
    cm_order ord;
    cm_order_cost cost;
    char err[CM_ERRLEN + 4200];
    cm_order_best(&w->net, &ord, &cost);
    cm_order_format(&w->net, &ord, order, orderlen);
    *macs = cost.macs;
    int64_t ws = cm_matvec_work_size(&w->net, &ord);
    double *work = malloc((size_t)(2 * ws) * sizeof *work);
    double *y = malloc((size_t)M * sizeof *y);
    if (!work || !y) {
        free(work);
        free(y);
        return io_fail("out of memory (--y)");
    }
    cm_matvec(w, &ord, x->data, y, work);
    int64_t shape[1] = {M};
    int rc = npy_write(ypath, 1, shape, y, err, sizeof err) ? io_fail(err) : 0;
    free(work);
    free(y);
    return rc;
}

/* What both reports print (the text and the JSON one). */
typedef struct {
    const hsvd_opts *o;
    const cm_format *f;
    const cm_hsvd_report *rep;
    int capped;
    const char *order;  /* NULL without --y */
    int64_t macs;
    int64_t params, dense;
    /* per-node (HT) or per-bond (TT) rows: label, rank, absolute tail */
    int n;
    char label[CM_MAX_NODES][CM_MAX_D + 1];
    int rank[CM_MAX_NODES];
    double tail[CM_MAX_NODES];
} hsvd_result;

/* The sizes and the rows of r, from its format and report. */
static void result_rows(hsvd_result *r)
{
    const cm_format *f = r->f;
    int n = 0;
    r->params = cm_format_params(f);
    r->dense = cm_dense_params(&f->modes);
    if (f->kind == CM_TT) {
        for (int k = 1; k < f->modes.d; k++, n++) {
            r->label[n][0] = (char)('0' + k); /* k <= CM_MAX_D - 1: one digit */
            r->label[n][1] = '\0';
            r->rank[n] = f->tt_rank[k];
            r->tail[n] = r->rep->tail[k - 1];
        }
    } else {
        for (int v = 0; v < f->tree.nnodes; v++) {
            if (v == f->tree.root)
                continue;
            ht_node_label(&f->tree, v, r->label[n], CM_MAX_D + 1);
            r->rank[n] = f->tree.rank[v];
            r->tail[n++] = r->rep->tail[v];
        }
    }
    r->n = n;
}

static void print_json(const hsvd_result *r)
{
    const cm_format *f = r->f;
    const cm_hsvd_report *rep = r->rep;
    char tree[512];
    printf("{\"format\":\"%s\",\"weights\":", cm_kind_name(f->kind));
    report_json_str(stdout, r->o->weights);
    printf(",\"in_modes\":");
    report_json_str(stdout, r->o->in_modes);
    printf(",\"out_modes\":");
    report_json_str(stdout, r->o->out_modes);
    printf(",\"rows\":%lld,\"cols\":%lld", (long long)cm_modes_rows(&f->modes),
           (long long)cm_modes_cols(&f->modes));
    if (f->kind == CM_HT) {
        ht_format(&f->tree, tree, sizeof tree);
        printf(",\"tree\":\"%s\"", tree);
    } else {
        printf(",\"tt_ranks\":[");
        for (int k = 0; k <= f->modes.d; k++)
            printf("%s%d", k ? "," : "", f->tt_rank[k]);
        printf("]");
    }
    printf(",\"ranks_capped\":%s", r->capped ? "true" : "false");
    printf(",\"norm\":%.10g,\"rel_error\":%.10g,\"bound_lower\":%.10g,\"bound_upper\":%.10g",
           rep->norm, rep->rel_error, rep->bound_lower, rep->bound_upper);
    printf(",\"params\":%lld,\"dense_params\":%lld,\"compression\":%.10g", (long long)r->params,
           (long long)r->dense, r->params > 0 ? (double)r->dense / (double)r->params : 0.0);
    printf(",\"%s\":[", f->kind == CM_HT ? "nodes" : "bonds");
    for (int i = 0; i < r->n; i++)
        printf("%s{\"%s\":\"%s\",\"rank\":%d,\"tail\":%.10g,\"rel_tail\":%.10g}", i ? "," : "",
               f->kind == CM_HT ? "node" : "bond", r->label[i], r->rank[i], r->tail[i],
               rep->norm > 0 ? r->tail[i] / rep->norm : 0.0);
    printf("]");
    if (r->order) {
        printf(",\"y\":");
        report_json_str(stdout, r->o->y);
        printf(",\"order\":\"%s\",\"macs\":%lld", r->order, (long long)r->macs);
    }
    if (r->o->save) {
        printf(",\"saved\":");
        report_json_str(stdout, r->o->save);
    }
    printf("}\n");
}

static void print_text(const hsvd_result *r)
{
    const cm_format *f = r->f;
    const cm_hsvd_report *rep = r->rep;
    char tree[512];
    printf("%s truncation of %s\n", f->kind == CM_HT ? "HT (HSVD)" : "TT (TT-SVD)",
           r->o->weights);
    printf("matrix        %lld x %lld  (out %s, in %s)\n", (long long)cm_modes_rows(&f->modes),
           (long long)cm_modes_cols(&f->modes), r->o->out_modes, r->o->in_modes);
    if (f->kind == CM_HT) {
        ht_format(&f->tree, tree, sizeof tree);
        printf("tree          %s%s\n", tree, r->capped ? "  (ranks capped)" : "");
    } else {
        printf("tt ranks      ");
        for (int k = 0; k <= f->modes.d; k++)
            printf("%s%d", k ? "," : "", f->tt_rank[k]);
        printf("%s\n", r->capped ? "  (ranks capped)" : "");
    }
    printf("params        %lld (dense %lld, compression %.6gx)\n", (long long)r->params,
           (long long)r->dense, r->params > 0 ? (double)r->dense / (double)r->params : 0.0);
    printf("||W||_F       %.6g\n", rep->norm);
    printf("rel_error     %.6e  (exact, ||W - W_approx||_F / ||W||_F)\n", rep->rel_error);
    printf("bound_lower   %.6e  (max %s tail / ||W||_F)\n", rep->bound_lower,
           f->kind == CM_HT ? "node" : "bond");
    printf("bound_upper   %.6e  (sqrt(sum tail^2) / ||W||_F)\n", rep->bound_upper);
    printf("\n  %-8s %6s  %14s  %12s\n", f->kind == CM_HT ? "node" : "bond", "rank", "tail",
           "tail/||W||");
    for (int i = 0; i < r->n; i++)
        printf("  %-8s %6d  %14.6e  %12.6e\n", r->label[i], r->rank[i], r->tail[i],
               rep->norm > 0 ? r->tail[i] / rep->norm : 0.0);
    if (f->kind == CM_HT)
        printf("  (the root's two children share one matricization; it counts once,\n"
               "   with the smaller rank)\n");
    if (r->order)
        printf("\ny = W_approx x written to %s (order %s, %lld MACs)\n", r->o->y, r->order,
               (long long)r->macs);
    if (r->o->save)
        printf("factors saved in %s\n", r->o->save);
}

/* ---- driver ---- */

static int run(const hsvd_opts *o, hsvd_job *j)
{
    char err[CM_ERRLEN];
    cm_weights w;
    cm_hsvd_report rep;
    cm_format req = j->f; /* as requested, to tell capped ranks */
    int rc;
    if (j->f.kind == CM_HT)
        rc = cm_hsvd(j->w.data, &j->f.modes, &j->f.tree, j->tol, &w, &rep, err, sizeof err);
    else
        rc = cm_ttsvd(j->w.data, &j->f.modes, j->f.tt_rank, j->tol, &w, &rep, err,
                      sizeof err);
    if (rc)
        return io_fail(err);
    hsvd_result r = {.o = o, .f = &j->f, .rep = &rep};
    for (int k = 0; k < CM_MAX_NODES; k++)
        if (j->f.kind == CM_HT && req.tree.rank[k] > 0 && j->f.tree.rank[k] < req.tree.rank[k])
            r.capped = 1;
    for (int k = 0; k <= CM_MAX_D; k++)
        if (j->f.kind == CM_TT && req.tt_rank[k] > 0 && j->f.tt_rank[k] < req.tt_rank[k])
            r.capped = 1;
    char order[256] = "";
    rc = 0;
    if (o->y) {
        rc = apply_vector(o->y, &w, &j->x, cm_modes_rows(&j->f.modes), order, sizeof order,
                          &r.macs);
        r.order = order;
    }
    if (!rc && o->save)
        rc = save_factors(o->save, &j->f, &w);
    cm_weights_free(&w);
    if (rc)
        return rc;
    result_rows(&r);
    if (o->json)
        print_json(&r);
    else
        print_text(&r);
    return fflush(stdout) ? io_fail("cannot write the report") : CLI_OK;
}

int cmd_hsvd(int argc, char **argv)
{
    hsvd_opts o;
    hsvd_job j;
    memset(&j, 0, sizeof j);
    int rc = hsvd_parse_args(argc, argv, &o);
    if (rc)
        return rc == 1 ? CLI_OK : rc;
    if ((rc = build_kind_modes(&o, &j)))
        return rc;
    rc = j.f.kind == CM_HT ? build_ht(&o, &j) : build_tt(&o, &j);
    if (!rc)
        rc = load_arrays(&o, &j);
    if (!rc && o.save)
        rc = prepare_save(o.save);
    if (!rc)
        rc = run(&o, &j);
    npy_free(&j.w);
    npy_free(&j.x);
    return rc;
}
