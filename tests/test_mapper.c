/*
 * test_mapper.c - the space and its searches: index <-> point bijection,
 * shards whose union is exactly the whole (N = 1..5, disjoint and
 * complete), the random strategy (a seeded sampling without replacement,
 * deterministic), evaluation caches that do not change results, the
 * mapper's cheap rejections agreeing with the model, and the guided search
 * against the exhaustive front on a small space (the fraction of the true
 * front it finds is printed).
 */
#include "test_util.h"

#include "spec.h"

static spec *load(const char *text)
{
    spec *s = NULL;
    spec_diag g;
    spec_diag_init(&g);
    if (spec_load_text("t.yaml", text, strlen(text), &s, &g))
        fprintf(stderr, "%s", spec_diag_text(&g));
    spec_diag_free(&g);
    assert_non_null(s);
    return s;
}

static spec *load_file(const char *path)
{
    spec *s = NULL;
    spec_diag g;
    spec_diag_init(&g);
    if (spec_load_file(path, &s, &g))
        fprintf(stderr, "%s", spec_diag_text(&g));
    spec_diag_free(&g);
    assert_non_null(s);
    return s;
}

/* 2,304 points with every kind of digit (see test_spec.c for the count). */
static const char *spec_b =
    "version: 1\nname: b\n"
    "workload: {n_in: 20, hidden: 4, decomposition: [concat, partial]}\n"
    "space:\n  formats: [ht, tt]\n"
    "  modes: {wx: {out: [4x2x2], in: [4x3x2, 5x2x2]}}\n  trees: all\n"
    "  ranks: {values: [1, 2], mode: per_node}\n  orders: all\n"
    "  bank_maps: [linear, xor]\n"
    "hardware:\n  banks: {from: 4, to: 16, mul: 2}\n"
    "  zip:\n    - {pes: [4, 8], lanes: [4, 8]}\n";

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* decode(encode) is the identity and every index is a distinct point. */
static void test_bijection(void **state)
{
    (void)state;
    spec *s = load(spec_b);
    const map_space *sp = &s->space;
    uint64_t n = sp->size;
    assert_true(n > 1000 && n < 100000);
    char **keys = calloc(n, sizeof *keys);
    cm_point *p = malloc(sizeof *p);
    assert_non_null(keys);
    for (uint64_t k = 0; k < n; k++) {
        map_coord c;
        char err[CM_ERRLEN], buf[CM_POINT_MAXLEN];
        map_space_decode(sp, k, &c);
        assert_true(map_space_encode(sp, &c) == k);
        assert_int_equal(map_space_point(sp, &c, p, err, sizeof err), 0);
        if (cm_point_check(p, err, sizeof err))
            fprintf(stderr, "point %llu: %s\n", (unsigned long long)k, err);
        assert_int_equal(cm_point_check(p, err, sizeof err), 0);
        assert_true(cm_point_format(p, buf, sizeof buf) > 0);
        keys[k] = strdup(buf);
    }
    qsort(keys, n, sizeof *keys, cmp_str);
    for (uint64_t k = 1; k < n; k++)
        assert_true(strcmp(keys[k - 1], keys[k]) != 0);
    for (uint64_t k = 0; k < n; k++)
        free(keys[k]);
    free(keys);
    free(p);
    spec_free(s);
}

/* ---- shards ---- */

typedef struct {
    uint32_t *hits;   /* by index */
    uint64_t *seq;    /* by position */
    uint64_t n, npos;
} collect;

static int on_point(const map_result *r, uint64_t pos, void *ud)
{
    collect *c = ud;
    assert_true(r->index < c->n);
    c->hits[r->index]++;
    if (c->seq) {
        assert_true(pos < c->npos);
        c->seq[pos] = r->index + 1;
    }
    return 0;
}

static void run_shards(spec *s, map_eval *e, map_search_opts o, uint64_t nsh, collect *c)
{
    for (uint64_t i = 0; i < nsh; i++) {
        o.shard_i = i;
        o.shard_n = nsh;
        assert_int_equal(map_search_run(e, &s->space, &o, on_point, NULL, c, NULL), 0);
    }
}

/* Blocks of 3 over 10 positions, 2 shards: [0,3) [6,9) to shard 0 (6
 * positions), [3,6) and the partial [9,10) to shard 1 (4); with 4 shards
 * the blocks go 0,1,2,3 and the partial one (number 3) to shard 3. */
static void test_shard_count_blocks(void **state)
{
    (void)state;
    assert_int_equal(map_shard_count(10, 3, 0, 2), 6);
    assert_int_equal(map_shard_count(10, 3, 1, 2), 4);
    assert_int_equal(map_shard_count(10, 3, 0, 4), 3);
    assert_int_equal(map_shard_count(10, 3, 3, 4), 1);
    assert_int_equal(map_shard_count(10, 1, 3, 4), 2); /* p mod 4 = 3: 3 and 7 */
    assert_int_equal(map_shard_count(10, 3, 4, 4), 0); /* no such shard */
}

/* The units a shard saw: seen[((df * 4 + map) * 8 + log2 B) * 8 + log2 P],
 * with P left out (log2 P = 7) for the wp dataflow, whose unit does not
 * split by the PE count; cells[] the same with P always in. */
static int log2i(int v)
{
    int l = 0;
    while ((1 << l) < v)
        l++;
    return l;
}

typedef struct {
    unsigned char seen[512], cells[512];
    uint64_t n; /* points visited */
} unit_seen;

static int on_unit(const map_result *r, uint64_t pos, void *ud)
{
    (void)pos;
    unit_seen *us = ud;
    int df = (int)r->pt.wx.df[0], lp = log2i(r->pt.hw.pes);
    int cell = ((df * 4 + (int)r->pt.map) * 8 + log2i(r->pt.hw.banks)) * 8;
    assert_true(cell + 7 < 512);
    us->seen[cell + (df == CM_DF_WP ? 7 : lp)] = 1;
    us->cells[cell + lp] = 1;
    us->n++;
    return 0;
}

/* spec_b with both dataflows: 2 dataflows x 2 bank maps x 3 bank counts x
 * 2 PE counts (zipped with the lanes) = 24 cells.  A wp unit is (map, B),
 * since its read counts do not depend on P: 2 x 3 = 6; an op unit is
 * (map, B, P): 2 x 3 x 2 = 12; 18 units.  With 2..5 shards every unit is
 * evaluated by exactly one shard (that is what keeps shards from repeating
 * each other's counting), and the shards together see all 24 cells. */
static void test_shard_units(void **state)
{
    (void)state;
    /* spec_b's space section ends where its hardware section starts */
    const char *hw = strstr(spec_b, "hardware:");
    assert_non_null(hw);
    char text[1024];
    snprintf(text, sizeof text, "%.*s  dataflows: [wp, op]\n%s", (int)(hw - spec_b), spec_b, hw);
    spec *s = load(text);
    map_eval *e = map_eval_new(&s->space, &s->tech_table, &s->limits, NULL, NULL, 0);
    assert_non_null(e);
    for (uint64_t nsh = 2; nsh <= 5; nsh++) {
        unsigned char all[512] = {0}, cells[512] = {0};
        uint64_t total = 0;
        for (uint64_t i = 0; i < nsh; i++) {
            map_search_opts o = s->search;
            o.shard_i = i;
            o.shard_n = nsh;
            unit_seen us;
            memset(&us, 0, sizeof us);
            assert_int_equal(map_search_run(e, &s->space, &o, on_unit, NULL, &us, NULL), 0);
            assert_true(map_search_count(&s->space, &o) == us.n); /* the count is the walk's */
            total += us.n;
            for (int u = 0; u < 512; u++) {
                assert_false(us.seen[u] && all[u]); /* no unit in two shards */
                all[u] |= us.seen[u];
                cells[u] |= us.cells[u];
            }
        }
        int units = 0, ncells = 0;
        for (int u = 0; u < 512; u++) {
            units += all[u];
            ncells += cells[u];
        }
        assert_int_equal(units, 18);
        assert_int_equal(ncells, 24);
        assert_true(total == s->space.size);
    }
    map_eval_free(e);
    spec_free(s);
}

static void test_shards_exhaustive(void **state)
{
    (void)state;
    spec *s = load(spec_b);
    map_eval *e = map_eval_new(&s->space, &s->tech_table, &s->limits, NULL, NULL, 0);
    assert_non_null(e);
    uint64_t n = s->space.size;
    for (uint64_t nsh = 1; nsh <= 5; nsh++) {
        collect c = {calloc(n, sizeof(uint32_t)), NULL, n, 0};
        map_search_opts o = s->search;
        run_shards(s, e, o, nsh, &c);
        for (uint64_t k = 0; k < n; k++)
            assert_int_equal(c.hits[k], 1); /* complete and disjoint */
        uint64_t tot = 0;
        for (uint64_t i = 0; i < nsh; i++) {
            o.shard_i = i;
            o.shard_n = nsh;
            tot += map_search_count(&s->space, &o);
        }
        assert_true(tot == n);
        free(c.hits);
    }
    map_eval_free(e);
    spec_free(s);
}

static void test_shards_random(void **state)
{
    (void)state;
    spec *s = load(spec_b);
    map_eval *e = map_eval_new(&s->space, &s->tech_table, &s->limits, NULL, NULL, 0);
    uint64_t n = s->space.size, budget = 700;
    map_search_opts o = s->search;
    o.strategy = MAP_RANDOM;
    o.seed = 42;
    o.budget = budget;
    uint64_t *ref = NULL;
    for (uint64_t nsh = 1; nsh <= 5; nsh++) {
        collect c = {calloc(n, sizeof(uint32_t)), calloc(budget, sizeof(uint64_t)), n, budget};
        run_shards(s, e, o, nsh, &c);
        uint64_t distinct = 0;
        for (uint64_t k = 0; k < n; k++) {
            assert_true(c.hits[k] <= 1); /* without replacement */
            distinct += c.hits[k];
        }
        assert_true(distinct == budget);
        for (uint64_t p = 0; p < budget; p++)
            assert_true(c.seq[p] != 0); /* every position visited by some shard */
        if (!ref)
            ref = c.seq; /* the unsharded sequence */
        else {
            assert_memory_equal(ref, c.seq, budget * sizeof(uint64_t));
            free(c.seq);
        }
        free(c.hits);
    }
    free(ref);
    map_eval_free(e);
    spec_free(s);
}

/* ---- the random strategy ---- */

static void test_permute(void **state)
{
    (void)state;
    for (uint64_t n = 1; n <= 300; n += 7) {
        char *seen = calloc(n, 1);
        for (uint64_t x = 0; x < n; x++) {
            uint64_t y = map_permute(x, n, 99);
            assert_true(y < n);
            assert_int_equal(seen[y], 0);
            seen[y] = 1;
        }
        free(seen);
    }
    /* deterministic for a seed, different for another */
    int same = 1;
    for (uint64_t x = 0; x < 50; x++) {
        assert_true(map_permute(x, 1000000, 5) == map_permute(x, 1000000, 5));
        same &= map_permute(x, 1000000, 5) == map_permute(x, 1000000, 6);
    }
    assert_false(same);
    /* huge spaces work (no table) */
    uint64_t big = UINT64_C(1) << 62;
    assert_true(map_permute(12345, big, 1) < big);
}

static void test_random_deterministic(void **state)
{
    (void)state;
    spec *s = load(spec_b);
    map_eval *e = map_eval_new(&s->space, &s->tech_table, &s->limits, NULL, NULL, 0);
    uint64_t n = s->space.size, budget = 300;
    map_search_opts o = s->search;
    o.strategy = MAP_RANDOM;
    o.budget = budget;
    uint64_t *seq[3];
    uint64_t seeds[3] = {11, 11, 12};
    for (int i = 0; i < 3; i++) {
        o.seed = seeds[i];
        collect c = {calloc(n, sizeof(uint32_t)), calloc(budget, sizeof(uint64_t)), n, budget};
        assert_int_equal(map_search_run(e, &s->space, &o, on_point, NULL, &c, NULL), 0);
        seq[i] = c.seq;
        free(c.hits);
    }
    assert_memory_equal(seq[0], seq[1], budget * sizeof(uint64_t));
    assert_memory_not_equal(seq[0], seq[2], budget * sizeof(uint64_t));
    for (int i = 0; i < 3; i++)
        free(seq[i]);
    map_eval_free(e);
    spec_free(s);
}

/* ---- evaluation ---- */

/* The per-algorithm cache gives the same results in any visiting order. */
static void test_cache_order_free(void **state)
{
    (void)state;
    spec *s = load_file("schemas/examples/quick.yaml");
    map_ref none = {NULL, NULL, NULL};
    map_eval *a = map_eval_new(&s->space, &s->tech_table, &s->limits, &none, NULL, 0);
    map_eval *b = map_eval_new(&s->space, &s->tech_table, &s->limits, &none, NULL, 0);
    map_result *ra = calloc(1, sizeof *ra), *rb = calloc(1, sizeof *rb);
    uint64_t n = s->space.size;
    for (uint64_t i = 0; i < 600; i++) {
        uint64_t k = map_permute(i, n, 3);
        assert_int_equal(map_eval_index(a, k, ra), 0); /* scattered: cache misses */
        assert_int_equal(map_eval_index(b, k, rb), 0);
        assert_int_equal(map_eval_index(b, (k + 1) % n, rb), 0); /* b's cache on a neighbour */
        assert_int_equal(map_eval_index(b, k, rb), 0);
        assert_int_equal(ra->reject, rb->reject);
        for (int m = 0; m < MAP_M_COUNT; m++)
            assert_true(memcmp(&ra->m[m], &rb->m[m], sizeof(double)) == 0);
    }
    free(ra);
    free(rb);
    map_eval_free(a);
    map_eval_free(b);
    spec_free(s);
}

/* Every counted rejection is a real one: the mapper's cheap checks never
 * reject a point the model accepts within the budgets. */
static void test_rejections(void **state)
{
    (void)state;
    spec *s = load(
        "version: 1\nname: r\n"
        "workload: {n_in: 224, hidden: 16, decomposition: [partial, concat]}\n"
        "space:\n  formats: [ht, tt]\n  modes: {wx: {d: 3, pad: 0.1, limit: 3}}\n"
        "  trees: all\n  ranks: {values: [2, 4, 8]}\n  bank_maps: [linear, xor]\n"
        "hardware:\n  pes: [4, 64]\n  lanes: [4, 64]\n  banks: [6, 8]\n"
        "  work_words: [64, 1024, 65536]\n"
        "constraints: {max_params: 2000, max_area_mm2: 1.0}\n");
    map_eval *e = map_eval_new(&s->space, &s->tech_table, &s->limits, NULL, NULL, 0);
    map_result *r = calloc(1, sizeof *r);
    cm_result *m = malloc(sizeof *m);
    uint64_t n = s->space.size;
    for (uint64_t k = 0; k < n; k++) {
        assert_int_equal(map_eval_index(e, k, r), 0);
        if ((r->reject == CM_REJ_WORKMEM || r->reject == CM_REJ_MAP) && !r->modeled) {
            /* the mapper's precheck: the model must agree, reason and all */
            assert_int_equal(cm_analytic_eval(&r->pt, &s->tech_table, m), -1);
            assert_int_equal(m->reject, r->reject);
        }
        if (r->reject == MAP_REJ_PARAMS)
            assert_true(r->params > 2000);
        if (r->reject == MAP_REJ_AREA && !r->modeled &&
            cm_analytic_eval(&r->pt, &s->tech_table, m) == 0)
            assert_true(m->area_mm2 > 1.0);
        if (!r->reject) {
            assert_true(r->params <= 2000);
            assert_true(r->m[MAP_M_AREA] <= 1.0);
        }
    }
    const uint64_t *cnt = map_eval_counts(e);
    uint64_t tot = 0;
    for (int i = 0; i < MAP_REJ_COUNT; i++)
        tot += cnt[i];
    assert_true(tot == n);
    assert_true(cnt[CM_REJ_WORKMEM] > 0);
    assert_true(cnt[MAP_REJ_PARAMS] > 0);
    assert_true(cnt[MAP_REJ_AREA] > 0);
    assert_true(cnt[CM_REJ_MAP] > 0); /* xor on 6 banks */
    assert_true(cnt[0] > 0);
    free(r);
    free(m);
    map_eval_free(e);
    spec_free(s);
}

/* ---- guided against exhaustive ---- */

typedef struct {
    map_front *f;
    const map_search_opts *o;
    uint64_t n;
} front_ctx;

static int to_front(const map_result *r, uint64_t pos, void *ud)
{
    front_ctx *c = ud;
    (void)pos;
    c->n++;
    if (!r->reject) {
        double v[MAP_MAX_OBJ];
        for (int i = 0; i < c->o->nobj; i++)
            v[i] = r->m[c->o->obj[i]];
        assert_true(map_front_add(c->f, v, (int64_t)r->index) >= 0);
    }
    return 0;
}

static int has_vector(const map_front *f, const double *v, int k)
{
    for (size_t i = 0; i < map_front_size(f); i++)
        if (!memcmp(map_front_values(f, i), v, sizeof(double) * (size_t)k))
            return 1;
    return 0;
}

/* Fraction of the true front's distinct objective vectors that the guided
 * search finds with a budget of `budget` points. */
static double front_fraction(spec *s, const map_search_opts *base, map_strategy strat,
                             uint64_t budget, uint64_t *evaluated)
{
    map_eval *e = map_eval_new(&s->space, &s->tech_table, &s->limits, NULL, NULL, 0);
    map_search_opts o = *base;
    o.strategy = MAP_EXHAUSTIVE;
    front_ctx all = {map_front_new(o.nobj, o.dir), &o, 0};
    assert_int_equal(map_search_run(e, &s->space, &o, to_front, NULL, &all, NULL), 0);
    o.strategy = strat;
    o.budget = budget;
    front_ctx g = {map_front_new(o.nobj, o.dir), &o, 0};
    assert_int_equal(map_search_run(e, &s->space, &o, to_front, NULL, &g, NULL), 0);
    assert_true(g.n <= budget);
    size_t found = 0, total = 0;
    for (size_t i = 0; i < map_front_size(all.f); i++) {
        const double *v = map_front_values(all.f, i);
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            dup |= !memcmp(map_front_values(all.f, j), v, sizeof(double) * (size_t)o.nobj);
        if (dup)
            continue;
        total++;
        found += has_vector(g.f, v, o.nobj);
    }
    map_front_free(all.f);
    map_front_free(g.f);
    map_eval_free(e);
    *evaluated = g.n;
    return total ? (double)found / (double)total : 1.0;
}

static void test_guided_vs_exhaustive(void **state)
{
    (void)state;
    spec *s = load_file("schemas/examples/quick.yaml");
    map_search_opts o = s->search;
    /* params, energy, throughput, area (the error proxy needs a reference,
     * left out to keep the test fast): a front of about a hundred points */
    o.nobj = 4;
    o.obj[3] = MAP_M_AREA;
    o.dir[3] = MAP_MIN;
    uint64_t n = s->space.size, ev;
    uint64_t budgets[4] = {n / 20, n / 10, n / 4, n / 2};
    double frac[4], rnd[4];
    for (int i = 0; i < 4; i++) {
        frac[i] = front_fraction(s, &o, MAP_GUIDED, budgets[i], &ev);
        rnd[i] = front_fraction(s, &o, MAP_RANDOM, budgets[i], &ev);
        printf("guided vs exhaustive (quick.yaml, %llu points, 4 objectives): budget %llu "
               "(%.0f%%) finds %.1f%% of the true front (random sampling: %.1f%%)\n",
               (unsigned long long)n, (unsigned long long)budgets[i],
               100.0 * (double)budgets[i] / (double)n, 100 * frac[i], 100 * rnd[i]);
    }
    assert_true(frac[3] >= 0.9);
    assert_true(frac[2] >= 0.75);
    assert_true(frac[2] > rnd[2]);
    spec_free(s);
}

/* The guided search is deterministic for a seed. */
static void test_guided_deterministic(void **state)
{
    (void)state;
    spec *s = load_file("schemas/examples/quick.yaml");
    map_eval *e = map_eval_new(&s->space, &s->tech_table, &s->limits, NULL, NULL, 0);
    map_search_opts o = s->search;
    o.nobj = 3;
    o.strategy = MAP_GUIDED;
    o.budget = 500;
    uint64_t n = s->space.size;
    collect a = {calloc(n, sizeof(uint32_t)), calloc(500, sizeof(uint64_t)), n, 500};
    collect b = {calloc(n, sizeof(uint32_t)), calloc(500, sizeof(uint64_t)), n, 500};
    assert_int_equal(map_search_run(e, &s->space, &o, on_point, NULL, &a, NULL), 0);
    assert_int_equal(map_search_run(e, &s->space, &o, on_point, NULL, &b, NULL), 0);
    assert_memory_equal(a.seq, b.seq, 500 * sizeof(uint64_t));
    for (uint64_t k = 0; k < n; k++)
        assert_true(a.hits[k] <= 1); /* never evaluates a point twice */
    o.shard_n = 2; /* sequential only */
    assert_int_equal(map_search_run(e, &s->space, &o, on_point, NULL, &a, NULL), -1);
    free(a.hits);
    free(a.seq);
    free(b.hits);
    free(b.seq);
    map_eval_free(e);
    spec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bijection),
        cmocka_unit_test(test_shard_count_blocks),
        cmocka_unit_test(test_shards_exhaustive),
        cmocka_unit_test(test_shard_units),
        cmocka_unit_test(test_shards_random),
        cmocka_unit_test(test_permute),
        cmocka_unit_test(test_random_deterministic),
        cmocka_unit_test(test_cache_order_free),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_guided_vs_exhaustive),
        cmocka_unit_test(test_guided_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
