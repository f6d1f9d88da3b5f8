/*
 * run_ref.c - the error proxy's reference for `dse run` (run_ref.h).
 *
 * Why it is here and not in the evaluator: at the paper's size (W_x 1,024 x
 * 57,600, 59 M entries, 470 MB as doubles) the spectra take ~30 s and the
 * matrices most of the process's memory, so they are computed once per
 * (reference, factorization, mode set), stored in the results database
 * (table spectrum, db_put_spectrum), and a repeated or resumed run reads
 * them back without building a matrix at all (a synthetic reference is not
 * even generated; a .npy one is read once, to check it and hash it).
 *
 * The key of a reference is a hash of its values (W_x and W_h as doubles,
 * with the shapes), or the synthetic kind, seed and shape: a changed file
 * is another reference and never meets a stale entry.
 *
 * Memory: one buffer holds W_x, and in turn each padded [W_x | W_h | 0] of
 * the concat factorizations, rearranged in place (rows moved within one
 * allocation), so that no second copy of the reference is made; the Gram
 * route of cm_spectrum_compute reads matricizations straight from it.
 */
#include "run_ref.h"

#include "cli.h"
#include "cm_hash.h"
#include "drive.h"
#include "npy.h"
#include "spec_ref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define CMD "run"

typedef struct {
    int which;            /* MAP_REF_* */
    cm_modes md;
    unsigned mask;        /* canonical */
    int have;
    cm_spectrum sp;
} need;

struct run_ref {
    const spec *s;
    int64_t rows, n_in, h;
    char key[128];        /* the reference's identity in table spectrum */
    double *buf;          /* W_x (bcols = n_in) or a concat layout (bcols = its width) */
    int64_t bcols;
    size_t bcap;          /* doubles allocated in buf */
    double *wh;           /* rows x h (zeros without W_h) */
    int have_norms;
    double n2x, n2h;
    need *v;
    int nv, capv;
    map_spectra_src src;
    run_ref_stats st;
};

static const char *which_name(int which)
{
    return which == MAP_REF_WX ? "wx" : which == MAP_REF_WH ? "wh" : "concat";
}

/* "wx 16x4x4x4 8x20x20x18": the matrix and its factorization. */
static void fact_text(int which, const cm_modes *md, char *buf, size_t len)
{
    size_t u = (size_t)snprintf(buf, len, "%s ", which_name(which));
    for (int side = 0; side < 2; side++)
        for (int k = 0; k < md->d && u < len; k++)
            u += (size_t)snprintf(buf + u, len - u, "%s%d", k ? "x" : side ? " " : "",
                                  side ? md->n[k] : md->m[k]);
}

static int same_modes(const cm_modes *a, const cm_modes *b)
{
    if (a->d != b->d)
        return 0;
    for (int k = 0; k < a->d; k++)
        if (a->m[k] != b->m[k] || a->n[k] != b->n[k])
            return 0;
    return 1;
}

/* ---- memory ---- */

static double mb(double bytes) { return bytes / (1024.0 * 1024.0); }

/* Address space left under `ulimit -v` (RLIMIT_AS), or -1 when unlimited
 * (the process's current size from /proc/self/statm). */
static double as_left(void)
{
    struct rlimit rl;
    unsigned long long vm = 0;
    if (getrlimit(RLIMIT_AS, &rl) || rl.rlim_cur == RLIM_INFINITY)
        return -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%llu", &vm) != 1)
            vm = 0;
        fclose(f);
    }
    return (double)rl.rlim_cur - (double)vm * (double)sysconf(_SC_PAGESIZE);
}

/*
 * A clear line instead of the kernel's OOM killer, or of OpenBLAS, which
 * retries its buffer allocation forever when the address space runs out:
 * what the spectra need against the machine's memory and the process's
 * limit, with REF_BLAS_SLACK for BLAS's own buffers (exit 1, a resource,
 * not bad input).
 */
#define REF_BLAS_SLACK (160.0 * 1024 * 1024) /* OpenBLAS: 128 MB on a first call */
static int memory_check(double bytes, const char *what)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    double have = pages > 0 && psz > 0 ? (double)pages * (double)psz : 0, left = as_left();
    if (have > 0 && bytes > have) {
        fprintf(stderr, "dse run: reference: %s needs %.0f MB; this machine has %.0f MB\n", what,
                mb(bytes), mb(have));
        return CLI_FAIL;
    }
    if (left >= 0 && bytes + REF_BLAS_SLACK > left) {
        fprintf(stderr, "dse run: reference: %s needs %.0f MB (and BLAS %.0f MB); the address-"
                "space limit (ulimit -v) leaves %.0f MB\n", what, mb(bytes), mb(REF_BLAS_SLACK),
                mb(left > 0 ? left : 0));
        return CLI_FAIL;
    }
    return 0;
}

static int no_memory(double bytes, const char *what)
{
    fprintf(stderr, "dse run: reference: cannot allocate %.0f MB for %s: out of memory\n",
            mb(bytes), what);
    return CLI_FAIL;
}

/* ---- the matrices ---- */

static uint64_t hash_doubles(uint64_t h, const double *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        uint64_t w;
        memcpy(&w, &v[i], sizeof w);
        h = cm_rotl64(cm_fnv_step(h, w), 29);
    }
    return cm_fmix64(h ^ (uint64_t)n);
}

/* W_x into buf, W_h into wh, from the spec's files or generator. */
static int load(run_ref *r)
{
    const spec *s = r->s;
    char err[CM_ERRLEN];
    double bx = 8.0 * (double)(r->rows * r->n_in), bh = 8.0 * (double)(r->rows * r->h);
    int rc;
    if (r->buf)
        return 0;
    if ((rc = memory_check(bx + bh, "the reference W_x and W_h")))
        return rc;
    if (s->ref_synth[0]) {
        r->buf = malloc((size_t)bx);
        r->wh = malloc((size_t)bh + 1);
        if (!r->buf || !r->wh)
            return no_memory(bx + bh, "the reference W_x and W_h");
        if (cm_synth_matrix(s->ref_synth, s->ref_seed, r->rows, r->n_in, r->buf, err, sizeof err) ||
            cm_synth_matrix(s->ref_synth, s->ref_seed + 1, r->rows, r->h, r->wh, err, sizeof err))
            return cli_bad(CMD, "%s: reference: %s", s->path, err);
    } else {
        npy_array a, b;
        if (npy_read(s->ref_npy, &a, err, sizeof err))
            return cli_bad(CMD, "%s: reference %s: %s", s->path, s->ref_npy, err);
        r->buf = a.data; /* the shapes were checked from the headers */
        if (s->ref_npy_wh) {
            if (npy_read(s->ref_npy_wh, &b, err, sizeof err))
                return cli_bad(CMD, "%s: reference %s: %s", s->path, s->ref_npy_wh, err);
            r->wh = b.data;
        } else if (!(r->wh = calloc((size_t)(r->rows * r->h) + 1, sizeof(double))))
            return no_memory(bh, "W_h");
    }
    r->bcols = r->n_in;
    r->bcap = (size_t)(r->rows * r->n_in);
    return 0;
}

static void unload(run_ref *r)
{
    free(r->buf);
    free(r->wh);
    r->buf = r->wh = NULL;
    r->bcap = 0;
}

/* buf as rows x cols: cols = n_in is W_x; wider, [W_x | W_h | 0].  Rows move
 * within the allocation: forward when it narrows, backward when it widens,
 * so that no row is overwritten before it has moved. */
static int relayout(run_ref *r, int64_t cols)
{
    int64_t R = r->rows, nx = r->n_in, h = r->h;
    if (r->bcols == cols)
        return 0;
    if ((size_t)(R * cols) > r->bcap) {
        double bytes = 8.0 * (double)(R * cols);
        double *n = realloc(r->buf, (size_t)bytes);
        if (!n)
            return no_memory(bytes, "the concatenated reference [W_x | W_h]");
        r->buf = n;
        r->bcap = (size_t)(R * cols);
    }
    double *b = r->buf;
    int wide = cols > nx;
    for (int64_t k = 0; k < R; k++) {
        int64_t i = cols > r->bcols ? R - 1 - k : k;
        memmove(b + i * cols, b + i * r->bcols, sizeof(double) * (size_t)nx);
        if (wide) {
            memcpy(b + i * cols + nx, r->wh + i * h, sizeof(double) * (size_t)h);
            memset(b + i * cols + nx + h, 0, sizeof(double) * (size_t)(cols - nx - h));
        }
    }
    r->bcols = cols;
    return 0;
}

/* The matrix a spectrum is taken of, laid out. */
static int matrix_for(run_ref *r, const need *n, const double **W)
{
    int rc = load(r);
    if (rc)
        return rc;
    if (n->which == MAP_REF_WH) {
        *W = r->wh;
        return 0;
    }
    int64_t cols = n->which == MAP_REF_WX ? r->n_in : cm_modes_cols(&n->md);
    if (cols < r->n_in + (n->which == MAP_REF_CONCAT ? r->h : 0) ||
        cm_modes_rows(&n->md) != r->rows) {
        fprintf(stderr, "dse run: reference: factorization %lld x %lld does not fit the "
                "reference\n", (long long)cm_modes_rows(&n->md), (long long)cols);
        return CLI_FAIL;
    }
    if ((rc = relayout(r, cols)))
        return rc;
    *W = r->buf;
    return 0;
}

/* ---- the spectra ---- */

static int add_need(void *ud, int which, const cm_modes *md, unsigned mask)
{
    run_ref *r = ud;
    for (int i = 0; i < r->nv; i++)
        if (r->v[i].which == which && r->v[i].mask == mask && same_modes(&r->v[i].md, md))
            return 0;
    if (r->nv == r->capv) {
        int cap = r->capv ? 2 * r->capv : 32;
        need *n = realloc(r->v, sizeof *n * (size_t)cap);
        if (!n)
            return -1;
        r->v = n;
        r->capv = cap;
    }
    need *n = &r->v[r->nv++];
    memset(n, 0, sizeof *n);
    n->which = which;
    n->md = *md;
    n->mask = mask;
    return 0;
}

static int from_db(run_ref *r, db_conn *db, need *n)
{
    char fact[160], err[CM_ERRLEN];
    double *sv = NULL, rest = 0;
    int k = 0;
    fact_text(n->which, &n->md, fact, sizeof fact);
    int f = db_get_spectrum(db, r->key, fact, n->mask, &sv, &k, &rest, err, sizeof err);
    if (f < 0) {
        fprintf(stderr, "dse run: %s\n", err);
        return -1;
    }
    /* a row that does not make a spectrum is recomputed (and replaced) */
    if (f == 1 && !cm_spectrum_set(&n->sp, n->mask, sv, k, rest, err, sizeof err))
        n->have = 1;
    free(sv);
    return 0;
}

/* Largest Gram side of one matricization (for the memory estimate). */
static double gram_side(const need *n)
{
    double a = 1, b = 1;
    for (int k = 0; k < n->md.d; k++) {
        double f = (double)n->md.m[k] * n->md.n[k];
        if (n->mask & (1u << k))
            a *= f;
        else
            b *= f;
    }
    return a < b ? a : b;
}

static void show(const need *n, int done, int todo, double t0)
{
    char fact[160], set[3 * CM_MAX_D + 2] = "";
    size_t u = 0;
    fact_text(n->which, &n->md, fact, sizeof fact);
    for (int k = 0; k < n->md.d; k++) /* the node's modes, 1-based as in trees */
        if (n->mask & (1u << k))
            u += (size_t)snprintf(set + u, sizeof set - u, "%s%d", u ? "," : "", k + 1);
    fprintf(stderr, "\rdse run: reference spectra %d/%d: %s, modes {%s}, %.0f s ", done + 1,
            todo, fact, set, drive_now() - t0);
}

static int compute(run_ref *r, need *n, db_conn *db)
{
    char err[CM_ERRLEN], fact[160];
    const double *W;
    int rc = matrix_for(r, n, &W);
    if (rc)
        return rc;
    if (cm_spectrum_compute(W, &n->md, n->mask, &n->sp, err, sizeof err)) {
        fprintf(stderr, "dse run: reference spectrum: %s\n", err);
        return CLI_FAIL;
    }
    n->have = 1;
    r->st.computed++;
    fact_text(n->which, &n->md, fact, sizeof fact);
    if (db && db_put_spectrum(db, r->key, fact, n->mask, n->sp.sv, n->sp.n, n->sp.tail2_rest,
                              err, sizeof err)) {
        fprintf(stderr, "dse run: %s\n", err);
        return CLI_FAIL;
    }
    return 0;
}

static int norms(run_ref *r, db_conn *db)
{
    char err[CM_ERRLEN];
    double *v = NULL, rest;
    int k = 0, rc;
    if (r->have_norms)
        return 0;
    int f = db ? db_get_spectrum(db, r->key, "norm2", 0, &v, &k, &rest, err, sizeof err) : 0;
    if (f < 0) {
        fprintf(stderr, "dse run: %s\n", err);
        return CLI_FAIL;
    }
    if (f == 1 && k == 2) {
        r->n2x = v[0];
        r->n2h = v[1];
        r->have_norms = 1;
        free(v);
        return 0;
    }
    free(v);
    if ((rc = load(r)) || (rc = relayout(r, r->n_in)))
        return rc;
    double w[2] = {cm_sumsq(r->buf, r->rows * r->n_in), cm_sumsq(r->wh, r->rows * r->h)};
    r->n2x = w[0];
    r->n2h = w[1];
    r->have_norms = 1;
    if (db && db_put_spectrum(db, r->key, "norm2", 0, w, 2, 0, err, sizeof err)) {
        fprintf(stderr, "dse run: %s\n", err);
        return CLI_FAIL;
    }
    return 0;
}

/* The next spectrum to compute, in an order that rearranges buf least:
 * W_x's, W_h's, then the concat widths one after the other. */
static need *next_missing(run_ref *r)
{
    need *best = NULL;
    int bestrank = 4;
    for (int i = 0; i < r->nv; i++) {
        need *n = &r->v[i];
        int rank = n->which == MAP_REF_WX ? 0 : n->which == MAP_REF_WH ? 1
                   : cm_modes_cols(&n->md) == r->bcols ? 2 : 3;
        if (!n->have && rank < bestrank) {
            best = n;
            bestrank = rank;
        }
    }
    return best;
}

/* The missing spectra, stored one by one. */
static int compute_missing(run_ref *r, db_conn *db, int progress, double t0)
{
    int todo = 0, done = 0, rc;
    double peak = 0, gmax = 0;
    for (int i = 0; i < r->nv; i++)
        if (!r->v[i].have) {
            need *n = &r->v[i];
            double cols = n->which == MAP_REF_CONCAT ? (double)cm_modes_cols(&n->md)
                                                     : (double)r->n_in;
            double g = gram_side(n);
            todo++;
            peak = cols > peak ? cols : peak;
            gmax = g > gmax ? g : gmax;
        }
    if (!todo)
        return 0;
    /* what is not allocated yet: the matrix at its widest, W_h, and the
     * Gram matrix with its reduction */
    double more = (double)r->rows * (peak + (double)r->h) - (r->buf ? (double)r->bcap : 0) -
                  (r->wh ? (double)(r->rows * r->h) : 0);
    if ((rc = memory_check(8.0 * ((more > 0 ? more : 0) + 1.25 * gmax * gmax),
                           "computing its spectra")))
        return rc;
    for (; done < todo; done++) {
        need *n = next_missing(r);
        if (progress)
            show(n, done, todo, t0);
        if ((rc = compute(r, n, db)))
            return rc;
    }
    if (progress)
        fprintf(stderr, "\rdse run: reference spectra: %d computed in %.1f s%20s\n", todo,
                drive_now() - t0, "");
    return 0;
}

/* ---- the evaluator's source ---- */

static int src_spectrum(void *ud, int which, const cm_modes *md, unsigned mask, cm_spectrum *out,
                        char *err, size_t errlen)
{
    run_ref *r = ud;
    if (add_need(r, which, md, mask))
        return cm_fail(err, errlen, "out of memory (spectra)");
    for (int i = 0; i < r->nv; i++) {
        need *n = &r->v[i];
        if (n->which != which || n->mask != mask || !same_modes(&n->md, md))
            continue;
        /* not prepared (a space run_ref_prepare did not see): computed here */
        if (!n->have && compute(r, n, NULL))
            return cm_fail(err, errlen, "cannot compute a reference spectrum");
        return cm_spectrum_set(out, mask, n->sp.sv, n->sp.n, n->sp.tail2_rest, err, errlen);
    }
    return cm_fail(err, errlen, "reference spectrum lost");
}

static int src_norms(void *ud, double *n2x, double *n2h, char *err, size_t errlen)
{
    run_ref *r = ud;
    if (norms(r, NULL))
        return cm_fail(err, errlen, "cannot compute the reference's norms");
    *n2x = r->n2x;
    *n2h = r->n2h;
    return 0;
}

/* ---- entry points ---- */

int run_ref_open(const spec *s, run_ref **out)
{
    char err[CM_ERRLEN];
    int rc;
    *out = NULL;
    if (!s->has_ref)
        return 0;
    run_ref *r = calloc(1, sizeof *r);
    if (!r)
        return CLI_FAIL;
    *out = r;
    r->s = s;
    r->h = s->def.hidden;
    r->rows = 4 * r->h;
    r->n_in = s->def.n_in;
    r->src.spectrum = src_spectrum;
    r->src.norms = src_norms;
    r->src.ud = r;
    for (int i = 0; i < s->def.ndecomp; i++)
        if (s->ref_npy && !s->ref_npy_wh && s->def.decomp[i] == CM_DECOMP_SEPARATE)
            return cli_bad(CMD, "%s: reference: decomposition separate needs npy_wh (W_h)",
                           s->path);
    if (s->ref_synth[0]) {
        snprintf(r->key, sizeof r->key, "synthetic %s %llu %lldx%lld %lldx%lld", s->ref_synth,
                 (unsigned long long)s->ref_seed, (long long)r->rows, (long long)r->n_in,
                 (long long)r->rows, (long long)r->h);
        return 0;
    }
    if (spec_ref_check(s, err, sizeof err)) /* the shapes, from the headers */
        return cli_bad(CMD, "%s", err);
    /* read now: a bad file is bad input before anything is stored */
    if ((rc = load(r)))
        return rc;
    uint64_t hx = hash_doubles(CM_FNV_OFFSET, r->buf, r->rows * r->n_in);
    uint64_t hh = hash_doubles(CM_FNV_OFFSET, r->wh, r->rows * r->h);
    snprintf(r->key, sizeof r->key, "values %016llx %016llx %lldx%lld %lldx%lld",
             (unsigned long long)hx, (unsigned long long)hh, (long long)r->rows,
             (long long)r->n_in, (long long)r->rows, (long long)r->h);
    return 0;
}

int run_ref_prepare(run_ref *r, const map_space *sp, db_conn *db, int progress)
{
    int rc;
    double t0 = drive_now();
    if (!r)
        return 0;
    if (map_spectra_each(sp, add_need, r))
        return no_memory(0, "the list of spectra");
    r->st.needed = r->nv;
    if ((rc = norms(r, db)))
        return rc;
    for (int i = 0; db && i < r->nv; i++) {
        if (from_db(r, db, &r->v[i]))
            return CLI_FAIL;
        r->st.cached += r->v[i].have;
    }
    if ((rc = compute_missing(r, db, progress, t0)))
        return rc;
    unload(r); /* every spectrum is here: the matrices are not needed again */
    r->st.seconds = drive_now() - t0;
    return 0;
}

const map_spectra_src *run_ref_src(run_ref *r) { return r ? &r->src : NULL; }

const run_ref_stats *run_ref_get_stats(const run_ref *r) { return &r->st; }

void run_ref_free(run_ref *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->nv; i++)
        if (r->v[i].have)
            cm_spectrum_free(&r->v[i].sp);
    free(r->v);
    unload(r);
    free(r);
}
