/*
 * map_factor.c - the factorization generator (map_factor.h): a depth-first
 * enumeration of non-increasing factors, pruned by the products still
 * reachable, then ranked by balance and, on request, expanded into every
 * distinct order of each kept multiset.
 */
#include "map_factor.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t f[CM_MAX_D];
    int64_t prod, sum;
} fact_cand;

typedef struct {
    int d;
    int64_t lo, hi, fmin, fmax;
    fact_cand *c;
    int n, cap, overflow;
    int64_t cur[CM_MAX_D];
} fact_gen;

static int64_t sat_mul(int64_t a, int64_t b)
{
    return (b && a > INT64_MAX / b) ? INT64_MAX : a * b;
}

/* Non-increasing factors f[k] <= prev with the product reachable in [lo, hi]. */
static void fact_rec(fact_gen *g, int k, int64_t prod, int64_t prev)
{
    int rest = g->d - k;
    if (g->overflow)
        return;
    if (rest == 1) {
        int64_t a = (g->lo + prod - 1) / prod, b = g->hi / prod;
        if (a < g->fmin)
            a = g->fmin;
        if (b > prev)
            b = prev;
        for (int64_t x = b; x >= a; x--) {
            if (g->n == g->cap) {
                g->overflow = 1;
                return;
            }
            fact_cand *c = &g->c[g->n++];
            memcpy(c->f, g->cur, sizeof c->f);
            c->f[k] = x;
            c->prod = prod * x;
            c->sum = 0;
            for (int i = 0; i < g->d; i++)
                c->sum += c->f[i];
        }
        return;
    }
    for (int64_t x = prev; x >= g->fmin; x--) {
        int64_t most = prod, least = sat_mul(prod, x);
        for (int i = 0; i < rest; i++)
            most = sat_mul(most, x);      /* every later factor <= x */
        for (int i = 1; i < rest; i++)
            least = sat_mul(least, g->fmin); /* every later factor >= fmin */
        if (most < g->lo)
            break;                         /* smaller x reach even less */
        if (least > g->hi)
            continue;
        g->cur[k] = x;
        fact_rec(g, k + 1, prod * x, x);
    }
}

static int cand_cmp(const void *a, const void *b)
{
    const fact_cand *x = a, *y = b;
    if (x->sum != y->sum)
        return x->sum < y->sum ? -1 : 1;
    if (x->prod != y->prod)
        return x->prod < y->prod ? -1 : 1;
    for (int i = 0; i < CM_MAX_D; i++)
        if (x->f[i] != y->f[i])
            return x->f[i] > y->f[i] ? -1 : 1;
    return 0;
}

/* Next distinct permutation (lexicographic, ascending); 0 at the end. */
static int next_perm(int64_t *v, int n)
{
    int i = n - 2;
    while (i >= 0 && v[i] >= v[i + 1])
        i--;
    if (i < 0)
        return 0;
    int j = n - 1;
    while (v[j] <= v[i])
        j--;
    int64_t t = v[i];
    v[i] = v[j];
    v[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) {
        t = v[a];
        v[a] = v[b];
        v[b] = t;
    }
    return 1;
}

int map_factorize(int64_t lo_prod, int64_t hi_prod, int d, int64_t fmin, int64_t fmax,
                  int any_order, int limit, int64_t (**out)[CM_MAX_D], int *n)
{
    *out = NULL;
    *n = 0;
    if (d < 1 || d > CM_MAX_D || lo_prod < 1 || hi_prod < lo_prod || fmin < 1 || fmax < fmin)
        return -1;
    fact_gen g = {.d = d, .lo = lo_prod, .hi = hi_prod, .fmin = fmin,
                  .fmax = fmax < hi_prod ? fmax : hi_prod, .cap = MAP_FACT_CAP};
    g.c = malloc(sizeof *g.c * (size_t)g.cap);
    if (!g.c)
        return -1;
    memset(g.cur, 0, sizeof g.cur);
    fact_rec(&g, 0, 1, g.fmax);
    if (g.overflow) {
        free(g.c);
        return -2;
    }
    qsort(g.c, (size_t)g.n, sizeof *g.c, cand_cmp);
    int keep = g.n < limit ? g.n : limit;
    /* count the output (permutations expand each kept multiset) */
    size_t total = 0;
    for (int i = 0; i < keep; i++) {
        if (!any_order) {
            total++;
            continue;
        }
        int64_t v[CM_MAX_D];
        for (int k = 0; k < d; k++)
            v[k] = g.c[i].f[d - 1 - k]; /* ascending */
        do
            total++;
        while (next_perm(v, d));
    }
    int64_t(*res)[CM_MAX_D] = calloc(total ? total : 1, sizeof *res);
    if (!res) {
        free(g.c);
        return -1;
    }
    size_t m = 0;
    for (int i = 0; i < keep; i++) {
        if (!any_order) {
            memcpy(res[m++], g.c[i].f, sizeof res[0]);
            continue;
        }
        int64_t v[CM_MAX_D];
        for (int k = 0; k < d; k++)
            v[k] = g.c[i].f[d - 1 - k];
        do {
            memset(res[m], 0, sizeof res[m]);
            memcpy(res[m], v, sizeof(int64_t) * (size_t)d);
            m++;
        } while (next_perm(v, d));
    }
    free(g.c);
    *out = res;
    *n = (int)m;
    return 0;
}
