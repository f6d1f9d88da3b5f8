/*
 * map_pareto.c - exact skylines (see map_pareto.h).
 *
 * Every value is first turned into a minimized one (maximized objectives are
 * negated).  The batch skyline then sorts the rows by a score that never
 * increases along dominance (sum of range-normalized values, ties broken
 * lexicographically, then by row index); in that order no row can dominate
 * an earlier one, so the front only grows, and each row is compared with the
 * front found so far - never with the n - 1 other rows.  With 2 objectives
 * the sort is lexicographic and one sweep over groups of equal first values
 * decides each row in O(1).
 */
#include "map_pareto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double score;
    const double *w; /* k minimized values */
    size_t idx;      /* row index in the caller's array */
    int k;
} cand;

/* How rows are turned into minimized values and scored. */
typedef struct {
    int k;
    double sign[MAP_PARETO_MAXK];  /* +1 minimized, -1 maximized */
    double lo[MAP_PARETO_MAXK];    /* least finite minimized value */
    double scale[MAP_PARETO_MAXK]; /* 1 / finite range, 0 when unusable */
} norm;

static int dir_ok(int k, const map_dir *dir)
{
    if (k < 1 || k > MAP_PARETO_MAXK || !dir)
        return 0;
    for (int j = 0; j < k; j++)
        if (dir[j] != MAP_MIN && dir[j] != MAP_MAX)
            return 0;
    return 1;
}

int map_dominates(const double *a, const double *b, int k, const map_dir *dir)
{
    int strict = 0;
    for (int j = 0; j < k; j++) {
        double x = a[j], y = b[j];
        if (dir[j] == MAP_MAX) {
            x = -x;
            y = -y;
        }
        if (!(x <= y)) /* worse, or a NaN */
            return 0;
        strict |= x < y;
    }
    return strict;
}

static int has_nan(const double *v, int k)
{
    for (int j = 0; j < k; j++)
        if (isnan(v[j]))
            return 1;
    return 0;
}

int map_dominates_min(const double *a, const double *b, int k)
{
    int strict = 0;
    for (int j = 0; j < k; j++) {
        if (a[j] > b[j])
            return 0;
        strict |= a[j] < b[j];
    }
    return strict;
}

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;
    for (int j = 0; j < a->k; j++)
        if (a->w[j] != b->w[j])
            return a->w[j] < b->w[j] ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

static int idx_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

static void minimize(const norm *nm, const double *r, double *x)
{
    for (int j = 0; j < nm->k; j++)
        x[j] = nm->sign[j] * r[j];
}

/*
 * Score for the presort: the sum over objectives of the value normalized by
 * the finite range (-inf -> 0, +inf -> 1).  Each term is a non-decreasing
 * function of the value, in floating point too, so a dominating row never
 * scores higher than the row it dominates.
 */
static double score(const norm *nm, const double *x)
{
    double s = 0;
    for (int j = 0; j < nm->k; j++) {
        if (nm->scale[j] == 0)
            continue; /* constant (or unscalable) objective: adds nothing */
        s += x[j] == -INFINITY ? 0.0 : x[j] == INFINITY ? 1.0 : (x[j] - nm->lo[j]) * nm->scale[j];
    }
    return s;
}

/* Pass 1: signs and finite ranges over the rows without NaN. */
static void norm_init(norm *nm, const double *v, size_t n, int k, const map_dir *dir)
{
    double hi[MAP_PARETO_MAXK];
    nm->k = k;
    for (int j = 0; j < k; j++) {
        nm->sign[j] = dir[j] == MAP_MAX ? -1.0 : 1.0;
        nm->lo[j] = INFINITY;
        hi[j] = -INFINITY;
    }
    for (size_t i = 0; i < n; i++) {
        const double *r = v + i * (size_t)k;
        if (has_nan(r, k))
            continue;
        for (int j = 0; j < k; j++) {
            double x = nm->sign[j] * r[j];
            if (isfinite(x)) {
                nm->lo[j] = x < nm->lo[j] ? x : nm->lo[j];
                hi[j] = x > hi[j] ? x : hi[j];
            }
        }
    }
    for (int j = 0; j < k; j++) {
        double range = hi[j] - nm->lo[j];
        nm->scale[j] = range > 0 && isfinite(range) ? 1.0 / range : 0.0;
    }
}

#define NFILTER 32

/* Pass 2: the (at most NFILTER) rows of least score, minimized into fw. */
static size_t pick_filters(const norm *nm, const double *v, size_t n, double *fw)
{
    int k = nm->k;
    double fs[NFILTER], x[MAP_PARETO_MAXK];
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
        const double *r = v + i * (size_t)k;
        if (has_nan(r, k))
            continue;
        minimize(nm, r, x);
        double sc = score(nm, x);
        if (nf == NFILTER && !(sc < fs[nf - 1]))
            continue;
        size_t j = nf < NFILTER ? nf++ : nf - 1; /* insertion into the sorted array */
        for (; j > 0 && fs[j - 1] > sc; j--) {
            fs[j] = fs[j - 1];
            memcpy(fw + j * (size_t)k, fw + (j - 1) * (size_t)k, (size_t)k * sizeof *fw);
        }
        fs[j] = sc;
        memcpy(fw + j * (size_t)k, x, (size_t)k * sizeof *x);
    }
    return nf;
}

/* The rows that survive the filters, minimized (grown as needed). */
typedef struct {
    double *w;
    cand *c;
    size_t m, cap;
} survivors;

static int keep(survivors *sv, const double *x, double sc, size_t idx, int k)
{
    if (sv->m == sv->cap) {
        size_t cap = sv->cap ? 2 * sv->cap : 1024;
        double *w = realloc(sv->w, cap * (size_t)k * sizeof *w);
        if (!w)
            return -1;
        sv->w = w;
        cand *c = realloc(sv->c, cap * sizeof *c);
        if (!c)
            return -1;
        sv->c = c;
        sv->cap = cap;
    }
    memcpy(sv->w + sv->m * (size_t)k, x, (size_t)k * sizeof *x);
    sv->c[sv->m++] = (cand){sc, NULL, idx, k}; /* w set once w stops moving */
    return 0;
}

/*
 * Pass 3: drops every row that a filter row dominates (on typical data the
 * few best-scored rows dominate most of the space, so only a small fraction
 * is sorted at all; dropping a dominated row never changes the front).
 */
static int filter(const norm *nm, const double *v, size_t n, survivors *sv, size_t *nnan)
{
    int k = nm->k;
    double fw[NFILTER * MAP_PARETO_MAXK], x[MAP_PARETO_MAXK];
    size_t nf = pick_filters(nm, v, n, fw);
    for (size_t i = 0; i < n; i++) {
        const double *r = v + i * (size_t)k;
        if (has_nan(r, k)) {
            ++*nnan;
            continue;
        }
        minimize(nm, r, x);
        size_t f = 0;
        while (f < nf && !map_dominates_min(fw + f * (size_t)k, x, k))
            f++;
        if (f == nf && keep(sv, x, score(nm, x), i, k))
            return -1;
    }
    for (size_t i = 0; i < sv->m; i++)
        sv->c[i].w = sv->w + i * (size_t)k;
    return 0;
}

/* k = 1: every row equal to the minimum. */
static size_t sky1(const double *v, size_t n, double sign, size_t *front, size_t *nnan)
{
    size_t nf = 0;
    double best = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i]))
            ++*nnan;
        else if (sign * v[i] < best)
            best = sign * v[i];
    }
    for (size_t i = 0; i < n; i++)
        if (sign * v[i] == best)
            front[nf++] = i;
    return nf;
}

/*
 * k = 2, rows sorted by (w0, w1): within a group of equal w0 only the rows
 * with the group's least w1 can survive; they do unless an earlier group
 * (smaller w0) reached a w1 as small.
 */
static size_t sky2(const cand *c, size_t m, size_t *front)
{
    size_t nf = 0;
    double best = INFINITY;
    int any = 0;
    for (size_t g = 0; g < m;) {
        size_t e = g + 1;
        while (e < m && c[e].w[0] == c[g].w[0])
            e++;
        double low = c[g].w[1]; /* group minimum: sorted by w1 inside */
        if (!any || low < best) {
            for (size_t i = g; i < e && c[i].w[1] == low; i++)
                front[nf++] = c[i].idx;
            best = low;
            any = 1;
        }
        g = e;
    }
    return nf;
}

/* k >= 3: sort-filter-skyline over the presorted rows. */
static size_t skyk(const cand *c, size_t m, int k, const double **win, size_t *front)
{
    size_t nf = 0;
    for (size_t i = 0; i < m; i++) {
        const double *x = c[i].w;
        size_t f = 0;
        while (f < nf && !map_dominates_min(win[f], x, k))
            f++;
        if (f < nf)
            continue;
        win[nf] = x;
        front[nf++] = c[i].idx;
    }
    return nf;
}

int map_pareto(const double *v, size_t n, int k, const map_dir *dir, size_t *front,
               size_t *nfront, size_t *nnan)
{
    size_t nan_rows = 0;
    if (!dir_ok(k, dir) || (n && (!v || !front)) || !nfront)
        return -1;
    *nfront = 0;
    if (nnan)
        *nnan = 0;
    if (n == 0)
        return 0;
    if (k == 1) {
        *nfront = sky1(v, n, dir[0] == MAP_MAX ? -1.0 : 1.0, front, &nan_rows);
        if (nnan)
            *nnan = nan_rows;
        return 0;
    }
    norm nm;
    survivors sv = {0};
    const double **win = NULL;
    int rc = -1;
    norm_init(&nm, v, n, k, dir);
    if (filter(&nm, v, n, &sv, &nan_rows))
        goto out;
    if (nnan)
        *nnan = nan_rows;
    if (k == 2)
        for (size_t i = 0; i < sv.m; i++)
            sv.c[i].score = sv.c[i].w[0]; /* the sweep needs lexicographic order */
    else if (!(win = malloc((sv.m ? sv.m : 1) * sizeof *win)))
        goto out;
    qsort(sv.c, sv.m, sizeof *sv.c, cand_cmp);
    *nfront = k == 2 ? sky2(sv.c, sv.m, front) : skyk(sv.c, sv.m, k, win, front);
    qsort(front, *nfront, sizeof *front, idx_cmp);
    rc = 0;
out:
    free(sv.w);
    free(sv.c);
    free(win);
    return rc;
}

/* ---- incremental front ---- */

struct map_front {
    int k;
    map_dir dir[MAP_PARETO_MAXK];
    size_t n, cap, nnan;
    double *v;   /* n x k, as offered */
    int64_t *id;
};

map_front *map_front_new(int k, const map_dir *dir)
{
    if (!dir_ok(k, dir))
        return NULL;
    map_front *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->k = k;
    memcpy(f->dir, dir, (size_t)k * sizeof *dir);
    return f;
}

void map_front_free(map_front *f)
{
    if (!f)
        return;
    free(f->v);
    free(f->id);
    free(f);
}

static int grow(map_front *f)
{
    size_t cap = f->cap ? 2 * f->cap : 16;
    double *v = realloc(f->v, cap * (size_t)f->k * sizeof *v);
    if (!v)
        return -1;
    f->v = v;
    int64_t *id = realloc(f->id, cap * sizeof *id);
    if (!id)
        return -1;
    f->id = id;
    f->cap = cap;
    return 0;
}

int map_front_dominated(const map_front *f, const double *v)
{
    if (has_nan(v, f->k))
        return 1;
    for (size_t i = 0; i < f->n; i++)
        if (map_dominates(f->v + i * (size_t)f->k, v, f->k, f->dir))
            return 1;
    return 0;
}

int map_front_add(map_front *f, const double *v, int64_t id)
{
    int k = f->k;
    if (has_nan(v, k)) {
        f->nnan++;
        return 0;
    }
    /* A member that dominates v cannot coexist with one that v dominates
     * (it would dominate that member too), so removals never need undoing. */
    for (size_t i = 0; i < f->n;) {
        double *m = f->v + i * (size_t)k;
        if (map_dominates(m, v, k, f->dir))
            return 0;
        if (map_dominates(v, m, k, f->dir)) {
            f->n--;
            memmove(m, f->v + f->n * (size_t)k, (size_t)k * sizeof *m);
            f->id[i] = f->id[f->n];
            continue;
        }
        i++;
    }
    if (f->n == f->cap && grow(f))
        return -1;
    memcpy(f->v + f->n * (size_t)k, v, (size_t)k * sizeof *v);
    f->id[f->n++] = id;
    return 1;
}

size_t map_front_size(const map_front *f) { return f->n; }
int64_t map_front_id(const map_front *f, size_t i) { return f->id[i]; }
const double *map_front_values(const map_front *f, size_t i) { return f->v + i * (size_t)f->k; }
size_t map_front_nan(const map_front *f) { return f->nnan; }
