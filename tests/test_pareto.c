/*
 * test_pareto.c - the skyline of mapper/map_pareto.c against a brute-force
 * O(n^2) front written here from the definition, on random data with ties,
 * duplicates, NaNs and infinities, 1..5 objectives, mixed directions; and
 * the incremental front against the batch one.
 */
#include "test_util.h"
#include "cm_hash.h"

#include "map_pareto.h"

static uint64_t rng_next(uint64_t *s) { return cm_splitmix_next(s); }

static double rng_unit(uint64_t *s) { return (double)(rng_next(s) >> 11) * 0x1.0p-53; }

/* Brute force, from the definition: keep[i] = 1 when row i has no NaN and no
 * row without NaN is >= as good everywhere and better somewhere. */
static size_t brute(const double *v, size_t n, int k, const map_dir *dir, unsigned char *keep,
                    size_t *nnan)
{
    size_t nf = 0;
    *nnan = 0;
    for (size_t i = 0; i < n; i++) {
        keep[i] = 1;
        for (int j = 0; j < k; j++)
            if (isnan(v[i * k + j]))
                keep[i] = 0;
        if (!keep[i])
            ++*nnan;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < n && keep[i]; o++) {
            int valid_o = 1, ge = 1, gt = 0;
            for (int j = 0; j < k; j++) {
                double a = v[o * k + j], b = v[i * k + j];
                valid_o &= !isnan(a);
                if (dir[j] == MAP_MAX) {
                    a = -a;
                    b = -b;
                }
                ge &= a <= b;
                gt |= a < b;
            }
            if (o != i && valid_o && ge && gt)
                keep[i] = 0;
        }
        nf += keep[i];
    }
    return nf;
}

/* Value kinds: 0 small integers (many ties), 1 continuous, 2 mixed with
 * NaN and +-inf, 3 anti-correlated (large fronts). */
static void fill(double *v, size_t n, int k, int kind, uint64_t *s)
{
    for (size_t i = 0; i < n; i++) {
        double base = rng_unit(s);
        for (int j = 0; j < k; j++) {
            double x;
            switch (kind) {
            case 0: x = (double)(rng_next(s) % 4); break;
            case 1: x = rng_unit(s) * 100 - 50; break;
            case 3: x = (j % 2 ? base : 1 - base) + 0.01 * rng_unit(s); break;
            default: {
                uint64_t r = rng_next(s) % 20;
                x = r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -INFINITY
                  : (double)(rng_next(s) % 5);
            }
            }
            v[i * k + j] = x;
        }
        /* Some exact duplicate rows. */
        if (i > 0 && rng_next(s) % 10 == 0)
            memcpy(v + i * k, v + (i - 1 - rng_next(s) % i) * k, (size_t)k * sizeof *v);
    }
}

static void random_dirs(map_dir *dir, int k, uint64_t *s)
{
    for (int j = 0; j < k; j++)
        dir[j] = rng_next(s) % 2 ? MAP_MAX : MAP_MIN;
}

static void check_batch(const double *v, size_t n, int k, const map_dir *dir)
{
    unsigned char *keep = malloc(n + 1);
    size_t *front = malloc((n + 1) * sizeof *front);
    size_t nf, nnan, bnnan;
    assert_non_null(keep);
    assert_non_null(front);
    size_t bnf = brute(v, n, k, dir, keep, &bnnan);
    assert_int_equal(map_pareto(v, n, k, dir, front, &nf, &nnan), 0);
    assert_int_equal(nf, bnf);
    assert_int_equal(nnan, bnnan);
    for (size_t i = 0; i < nf; i++) {
        assert_true(front[i] < n);
        assert_true(keep[front[i]]);
        if (i)
            assert_true(front[i - 1] < front[i]);
    }
    free(keep);
    free(front);
}

static void test_batch_equals_brute_force(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 400; seed++) {
        uint64_t s = seed;
        int k = 1 + (int)(seed % 5);
        int kind = (int)((seed / 5) % 4);
        size_t n = (size_t)(rng_next(&s) % 400);
        double *v = malloc((n + 1) * (size_t)k * sizeof *v);
        map_dir dir[5];
        assert_non_null(v);
        fill(v, n, k, kind, &s);
        random_dirs(dir, k, &s);
        check_batch(v, n, k, dir);
        free(v);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Offers the rows in a shuffled order; the members must be the batch front. */
static void check_incremental(const double *v, size_t n, int k, const map_dir *dir,
                              uint64_t *s)
{
    size_t *perm = malloc((n + 1) * sizeof *perm), *front = malloc((n + 1) * sizeof *front);
    size_t nf, nnan;
    assert_non_null(perm);
    assert_non_null(front);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_next(s) % i, t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    map_front *f = map_front_new(k, dir);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        int dominated = map_front_dominated(f, v + perm[i] * k);
        int r = map_front_add(f, v + perm[i] * k, (int64_t)perm[i]);
        assert_true(r == 0 || r == 1);
        assert_int_equal(r, !dominated);
    }
    assert_int_equal(map_pareto(v, n, k, dir, front, &nf, &nnan), 0);
    assert_int_equal(map_front_size(f), nf);
    assert_int_equal(map_front_nan(f), nnan);
    int64_t *ids = malloc((nf + 1) * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < nf; i++) {
        ids[i] = map_front_id(f, i);
        assert_memory_equal(map_front_values(f, i), v + ids[i] * k, (size_t)k * sizeof(double));
    }
    qsort(ids, nf, sizeof *ids, cmp_i64);
    for (size_t i = 0; i < nf; i++)
        assert_int_equal(ids[i], (int64_t)front[i]);
    free(ids);
    map_front_free(f);
    free(perm);
    free(front);
}

static void test_incremental_equals_batch(void **state)
{
    (void)state;
    for (uint64_t seed = 1000; seed < 1300; seed++) {
        uint64_t s = seed;
        int k = 1 + (int)(seed % 5);
        size_t n = (size_t)(rng_next(&s) % 500);
        double *v = malloc((n + 1) * (size_t)k * sizeof *v);
        map_dir dir[5];
        assert_non_null(v);
        fill(v, n, k, (int)((seed / 5) % 4), &s);
        random_dirs(dir, k, &s);
        check_incremental(v, n, k, dir, &s);
        free(v);
    }
}

/* Larger inputs: batch against incremental (brute force would be slow). */
static void test_large_batch_equals_incremental(void **state)
{
    (void)state;
    for (int k = 2; k <= 5; k++) {
        uint64_t s = 77 + (uint64_t)k;
        size_t n = 30000;
        double *v = malloc(n * (size_t)k * sizeof *v);
        map_dir dir[5];
        assert_non_null(v);
        fill(v, n, k, 1, &s);
        random_dirs(dir, k, &s);
        check_incremental(v, n, k, dir, &s);
        free(v);
    }
}

static void test_duplicates_and_ties(void **state)
{
    (void)state;
    map_dir dir[2] = {MAP_MIN, MAP_MAX};
    /* rows 0 and 2 identical and optimal; row 1 dominated by them; row 3 is
     * tied in objective 0 but worse in 1; row 4 has a NaN. */
    double v[] = {1, 5, 2, 5, 1, 5, 1, 4, NAN, 9, 0, 1};
    size_t front[6], nf, nnan;
    assert_int_equal(map_pareto(v, 6, 2, dir, front, &nf, &nnan), 0);
    assert_int_equal(nnan, 1);
    assert_int_equal(nf, 3);
    assert_int_equal(front[0], 0);
    assert_int_equal(front[1], 2);
    assert_int_equal(front[2], 5);
    /* Three objectives, all rows identical: all kept. */
    double w[] = {3, 3, 3, 3, 3, 3, 3, 3, 3};
    map_dir d3[3] = {MAP_MIN, MAP_MIN, MAP_MAX};
    assert_int_equal(map_pareto(w, 3, 3, d3, front, &nf, NULL), 0);
    assert_int_equal(nf, 3);
}

static void test_dominates(void **state)
{
    (void)state;
    map_dir d[2] = {MAP_MIN, MAP_MAX};
    double a[2] = {1, 5}, b[2] = {2, 5}, c[2] = {1, 5}, e[2] = {0, 4};
    assert_true(map_dominates(a, b, 2, d));
    assert_false(map_dominates(b, a, 2, d));
    assert_false(map_dominates(a, c, 2, d));
    assert_false(map_dominates(a, e, 2, d));
    assert_false(map_dominates(e, a, 2, d));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    double v[2] = {1, 2};
    size_t front[2], nf;
    map_dir bad[2] = {MAP_MIN, (map_dir)7}, ok[2] = {MAP_MIN, MAP_MIN};
    assert_int_equal(map_pareto(v, 1, 0, ok, front, &nf, NULL), -1);
    assert_int_equal(map_pareto(v, 1, MAP_PARETO_MAXK + 1, ok, front, &nf, NULL), -1);
    assert_int_equal(map_pareto(v, 1, 2, bad, front, &nf, NULL), -1);
    assert_null(map_front_new(2, bad));
    assert_null(map_front_new(0, ok));
    assert_int_equal(map_pareto(v, 0, 2, ok, front, &nf, NULL), 0);
    assert_int_equal(nf, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_equals_brute_force),
        cmocka_unit_test(test_incremental_equals_batch),
        cmocka_unit_test(test_large_batch_equals_incremental),
        cmocka_unit_test(test_duplicates_and_ties),
        cmocka_unit_test(test_dominates),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
