/*
 * test_crosscheck.c - one truth: the analytical model against the
 * functional (cycle-by-cycle, bit-true) model on random design points.
 *
 * A deterministic generator draws points over shapes d = 2..5, dense / TT /
 * HT weights with random trees, ranks and contraction orders, every
 * dataflow per step, every bank map, P, L and B including non-powers of
 * two, tight and loose memories, single matrices and whole LSTM layers
 * (partial, separate, concat).  For each point both models must accept or
 * reject it for the same reason, and every count the analytical model
 * claims exact (slots, fill, MACs, loads, reads, writes, weight traffic,
 * read / write stalls and conflicts per stage, DMA and SFU write stalls)
 * must equal the functional model's; where it only bounds (st->exact == 0)
 * its stalls and conflicts must not exceed the functional ones.  The
 * functional y must equal cm_qmatvec bit for bit.
 */
#include "test_util.h"
#include "test_net_util.h"

#include "cm_accel.h"

#define NPOINTS 1200
#define SEED 0x5eed1234abcdULL

static uint64_t rng;

static int rnd(int lo, int hi) /* inclusive */
{
    return lo + (int)(cm_rand_next(&rng) % (uint64_t)(hi - lo + 1));
}

static int count_visit(const cm_order *o, void *ud)
{
    (void)o;
    (*(int64_t *)ud)++;
    return *(int64_t *)ud >= 5000; /* enough to choose from */
}

/* Random format on given modes; kind -1 = random. */
static void gen_format(cm_format *f, const cm_modes *md, int kind)
{
    memset(f, 0, sizeof *f);
    f->modes = *md;
    f->kind = kind >= 0 ? (cm_kind)kind : (cm_kind)rnd(0, 2);
    if (f->kind == CM_DENSE && md->d > 3 && rnd(0, 1))
        f->kind = CM_TT;
    if (f->kind == CM_TT) {
        f->tt_rank[0] = f->tt_rank[md->d] = 1;
        for (int k = 1; k < md->d; k++)
            f->tt_rank[k] = rnd(1, 4);
    } else if (f->kind == CM_HT) {
        f->tree = tu_tree_at(md->d, rnd(0, (int)ht_count_trees(md->d) - 1));
        for (int t = 0; t < f->tree.nnodes; t++)
            f->tree.rank[t] = t == f->tree.root ? 1 : rnd(1, 4);
    }
}

static void gen_matmap(cm_matmap *mm, const cm_modes *md, int kind)
{
    cm_net net;
    gen_format(&mm->fmt, md, kind);
    assert_int_equal(cm_net_build(&mm->fmt, &net, NULL, 0), 0);
    int64_t n = 0;
    cm_order_enumerate(&net, count_visit, &n);
    mm->order = tu_order_at(&net, rnd(0, (int)n - 1));
    int uniform = rnd(0, 1);
    cm_dataflow d0 = (cm_dataflow)rnd(0, 1);
    for (int s = 0; s < CM_NET_MAXF; s++)
        mm->df[s] = uniform ? d0 : (cm_dataflow)rnd(0, 1);
}

/* Modes with a given product split over d factors (product 0 = free). */
static void gen_modes(int *v, int d, int lo, int hi)
{
    for (int k = 0; k < d; k++)
        v[k] = rnd(lo, hi);
}

static void gen_hw(cm_hw *hw)
{
    static const int banks[] = {1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 32, 67, 128};
    cm_hw_default(hw);
    hw->pes = rnd(1, 9);
    hw->lanes = rnd(1, 9);
    hw->banks = banks[rnd(0, (int)(sizeof banks / sizeof banks[0]) - 1)];
    hw->bits = rnd(4, 16);
    hw->work_words = rnd(0, 9) ? 1 << 16 : 2 * hw->banks * rnd(1, 40); /* sometimes tight */
    hw->wgt_words = rnd(0, 9) ? 1 << 20 : rnd(0, 400);
    hw->dram_mbps = rnd(100, 40000);
    hw->freq_mhz = rnd(200, 2000);
    hw->sfu_lanes = rnd(1, 24);
}

static void gen_point(cm_point *p)
{
    memset(p, 0, sizeof *p);
    gen_hw(&p->hw);
    p->map = (cm_bankmap)rnd(0, CM_MAP_COUNT - 1);
    cm_modes md;
    md.d = rnd(2, 5);
    int small = md.d >= 4;
    if (rnd(0, 3)) {
        p->layer = CM_LAYER_MV;
        gen_modes(md.m, md.d, 1, small ? 3 : 5);
        gen_modes(md.n, md.d, 1, small ? 4 : 6);
        gen_matmap(&p->wx, &md, -1);
        return;
    }
    /* an LSTM layer: 4H = product of m; n_in = product of n */
    p->layer = CM_LAYER_LSTM;
    p->decomp = (cm_decomp)rnd(0, 2);
    gen_modes(md.m, md.d, 1, small ? 3 : 4);
    md.m[0] = 4 * rnd(1, 2);
    int64_t H4 = cm_modes_rows(&md);
    p->hidden = (int)(H4 / 4);
    gen_modes(md.n, md.d, 1, small ? 3 : 5);
    int64_t N = cm_modes_cols(&md);
    if (p->decomp == CM_DECOMP_CONCAT) {
        /* pad = N >= n_in + H */
        p->n_pad = (int)N + p->hidden * rnd(0, 1);
        md.n[md.d - 1] = 1;
        int64_t rest = cm_modes_cols(&md);
        md.n[md.d - 1] = (int)((p->n_pad + rest - 1) / rest);
        p->n_pad = (int)cm_modes_cols(&md);
        p->n_in = p->n_pad - p->hidden - rnd(0, 2);
        if (p->n_in < 1) {
            md.n[md.d - 1] += p->hidden + 2;
            p->n_pad = (int)cm_modes_cols(&md);
            p->n_in = p->n_pad - p->hidden;
        }
        gen_matmap(&p->wx, &md, -1);
        return;
    }
    p->n_in = (int)N;
    gen_matmap(&p->wx, &md, -1);
    cm_modes mh;
    if (p->decomp == CM_DECOMP_PARTIAL) {
        mh.d = 1;
        mh.m[0] = (int)H4;
        mh.n[0] = p->hidden;
        gen_matmap(&p->wh, &mh, CM_DENSE);
    } else {
        /* H4 = 4 * H: out modes (4, m..) in modes of H split as first mode = H */
        mh.d = 2;
        mh.m[0] = 4;
        mh.m[1] = p->hidden;
        mh.n[0] = 1;
        mh.n[1] = p->hidden;
        for (int f = 2; f <= 4; f++)
            if (p->hidden % f == 0 && rnd(0, 1)) {
                mh.n[0] = f;
                mh.n[1] = p->hidden / f;
                break;
            }
        gen_matmap(&p->wh, &mh, rnd(1, 2));
    }
}

static void qvec(int32_t *v, int64_t n, int bits)
{
    int32_t hi = (1 << (bits - 1)) - 1;
    for (int64_t i = 0; i < n; i++)
        v[i] = (int32_t)rnd(-hi - 1, hi);
}

typedef struct {
    int points, valid, exact_stages, bound_stages, rejected[CM_REJ_COUNT];
    int maps[CM_MAP_COUNT], dfs[2], lstm;
    int64_t rd_conf, wr_conf, io_conf; /* how much conflict the points exercised */
    int conflict_points;
} tally;

/* pass 0: default budget; pass 1: tiny budget (forces the bounded path). */
static void compare_stage(const cm_stage_stats *a, const cm_stage_stats *f, tally *t, int pass)
{
    tu_assert_stage_counts(a, f);
    if (pass == 0) {
        t->rd_conf += f->rd_conflicts;
        t->wr_conf += f->wr_conflicts;
    }
    if (a->exact) {
        t->exact_stages += pass == 0;
        tu_assert_stage_conflicts(a, f);
    } else {
        t->bound_stages += pass == 1;
        assert_int_equal(pass, 1); /* the default budget never needs the bound here */
        assert_true(a->rd_stall <= f->rd_stall);
        assert_true(a->wr_stall <= f->wr_stall);
        assert_true(a->rd_conflicts <= f->rd_conflicts);
        assert_true(a->wr_conflicts <= f->wr_conflicts);
    }
}

static cm_acache *cache, *netcache;

/* The cached model must give exactly the uncached result (miss and hit):
 * passes 0, 1 through a cache that builds the networks itself, passes 2, 3
 * through one that is handed them (built here, as the mapper does). */
static void check_cached(const cm_point *p, const cm_tech *tech, const cm_result *ra, int ca)
{
    cm_result rc;
    cm_net net[2];
    const cm_net *np[2] = {NULL, NULL};
    const cm_matmap *mm[2] = {&p->wx, &p->wh};
    for (int i = 0; i < cm_point_nmat(p); i++)
        if (cm_format_check(&mm[i]->fmt, NULL, 0) == 0 &&
            cm_net_build(&mm[i]->fmt, &net[i], NULL, 0) == 0)
            np[i] = &net[i];
    for (int pass = 0; pass < 4; pass++) {
        int cc = pass < 2 ? cm_analytic_eval_cached(p, tech, cache, NULL, &rc)
                          : cm_analytic_eval_cached(p, tech, netcache, np, &rc);
        assert_int_equal(cc, ca);
        assert_int_equal(rc.reject, ra->reject);
        if (cc < 0) {
            assert_string_equal(rc.why, ra->why);
            continue;
        }
        assert_int_equal(rc.nmat, ra->nmat);
        for (int i = 0; i < rc.nmat; i++)
            assert_memory_equal(rc.mat[i].st, ra->mat[i].st,
                                (size_t)rc.mat[i].nsteps * sizeof rc.mat[i].st[0]);
        assert_int_equal(rc.cycles, ra->cycles);
        assert_int_equal(rc.dma_stall, ra->dma_stall);
        assert_int_equal(rc.h_stall, ra->h_stall);
        assert_int_equal(rc.exact, ra->exact);
        assert_true(rc.energy_pj == ra->energy_pj);
        assert_true(rc.area_mm2 == ra->area_mm2);
    }
}

/* The same matrices on other PE / lane counts, right after p: the cache
 * derives their geometries from p's (only the blockings change), which
 * must give what a fresh evaluation gives. */
static void check_reshapes(const cm_point *p, const cm_tech *tech)
{
    static const int shapes[][2] = {{2, 3}, {4, 4}, {8, 2}, {3, 8}, {16, 5}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        cm_point q = *p;
        cm_result ra;
        q.hw.pes = shapes[k][0];
        q.hw.lanes = shapes[k][1];
        check_cached(&q, tech, &ra, cm_analytic_eval(&q, tech, &ra));
    }
}

static void check_point(const cm_point *p, const cm_tech *tech, tally *t)
{
    cm_result ra, rf;
    char key[CM_POINT_MAXLEN], err[CM_ERRLEN];
    assert_true(cm_point_format(p, key, sizeof key) > 0);
    int ca = cm_analytic_eval(p, tech, &ra);
    check_cached(p, tech, &ra, ca);
    if (t->points % 4 == 0)
        check_reshapes(p, tech);
    cm_fix fx = {p->hw.bits, rnd(0, p->hw.bits - 1), rnd(0, p->hw.bits - 1)};
    cm_weights w[2];
    cm_qweights q[2];
    const cm_qweights *qp[2] = {NULL, NULL};
    int32_t *y[2] = {NULL, NULL}, *yref[2] = {NULL, NULL}, *in[2] = {NULL, NULL};
    const cm_matmap *mm[2] = {&p->wx, &p->wh};
    int nmat = cm_point_nmat(p);
    memset(w, 0, sizeof w);
    memset(q, 0, sizeof q);
    for (int i = 0; i < nmat; i++) {
        if (cm_weights_alloc(&mm[i]->fmt, &w[i], err, sizeof err) < 0)
            fail_msg("%s: %s", key, err);
        cm_weights_random(&w[i], cm_rand_next(&rng), 1.0);
        assert_int_equal(cm_qweights_from(&w[i], &fx, &q[i], err, sizeof err), 0);
        qp[i] = &q[i];
        int64_t M = cm_modes_rows(&mm[i]->fmt.modes), N = cm_modes_cols(&mm[i]->fmt.modes);
        y[i] = calloc((size_t)M, sizeof *y[i]);
        yref[i] = calloc((size_t)M, sizeof *yref[i]);
        in[i] = calloc((size_t)N, sizeof *in[i]);
        qvec(in[i], N, p->hw.bits);
    }
    if (p->layer == CM_LAYER_LSTM && p->decomp == CM_DECOMP_CONCAT)
        for (int64_t j = p->n_in + p->hidden; j < p->n_pad; j++)
            in[0][j] = 0; /* zero padding */
    int cf = cm_func_eval(p, tech, qp, in[0], in[1], y, &rf);
    t->points++;
    if (ca != cf || ra.reject != rf.reject)
        fail_msg("%s: analytic %d (%s: %s) vs functional %d (%s: %s)", key, ca,
                 cm_reject_name(ra.reject), ra.why, cf, cm_reject_name(rf.reject), rf.why);
    if (ca < 0) {
        t->rejected[ra.reject]++;
    } else {
        t->valid++;
        t->maps[p->map]++;
        t->lstm += p->layer == CM_LAYER_LSTM;
        assert_int_equal(ra.nmat, rf.nmat);
        for (int i = 0; i < ra.nmat; i++) {
            assert_int_equal(ra.mat[i].nsteps, rf.mat[i].nsteps);
            for (int s = 0; s < ra.mat[i].nsteps; s++) {
                t->dfs[ra.mat[i].st[s].df]++;
                compare_stage(&ra.mat[i].st[s], &rf.mat[i].st[s], t, 0);
            }
            /* bit-true against the fixed-point reference */
            int64_t ws = cm_matvec_work_size(&q[i].net, &mm[i]->order);
            int32_t *work = calloc((size_t)(2 * ws), sizeof *work);
            cm_qmatvec(&q[i], &mm[i]->order, in[i], yref[i], work);
            free(work);
            int64_t M = cm_modes_rows(&mm[i]->fmt.modes);
            for (int64_t j = 0; j < M; j++)
                if (y[i][j] != yref[i][j])
                    fail_msg("%s: y[%d][%lld] = %d, reference %d", key, i, (long long)j,
                             y[i][j], yref[i][j]);
        }
        t->io_conf += rf.dma_conflicts + rf.h_conflicts;
        t->conflict_points += rf.conflicts > 0;
        assert_int_equal(ra.dma_groups, rf.dma_groups);
        assert_int_equal(ra.dma_words, rf.dma_words);
        assert_int_equal(ra.h_groups, rf.h_groups);
        assert_int_equal(ra.h_words, rf.h_words);
        if (ra.exact) {
            assert_int_equal(ra.dma_stall, rf.dma_stall);
            assert_int_equal(ra.dma_conflicts, rf.dma_conflicts);
            assert_int_equal(ra.h_stall, rf.h_stall);
            assert_int_equal(ra.h_conflicts, rf.h_conflicts);
            assert_int_equal(ra.cycles, rf.cycles);
            assert_int_equal(ra.stall_cycles, rf.stall_cycles);
            assert_int_equal(ra.conflicts, rf.conflicts);
            assert_true(tu_rel(ra.energy_pj, rf.energy_pj) < 1e-12);
        }
        assert_true(tu_rel(ra.area_mm2, rf.area_mm2) < 1e-12);
        /* The bounded path: a tiny counting budget forces lower bounds. */
        cm_result rb;
        assert_int_equal(cm_analytic_eval_budget(p, tech, rnd(1, 64), &rb), 0);
        for (int i = 0; i < rb.nmat; i++)
            for (int s = 0; s < rb.mat[i].nsteps; s++)
                compare_stage(&rb.mat[i].st[s], &rf.mat[i].st[s], t, 1);
        assert_true(rb.dma_stall <= rf.dma_stall && rb.h_stall <= rf.h_stall);
        assert_true(rb.cycles <= rf.cycles);
        if (rb.exact)
            assert_int_equal(rb.cycles, rf.cycles);
    }
    for (int i = 0; i < nmat; i++) {
        cm_qweights_free(&q[i]);
        cm_weights_free(&w[i]);
        free(y[i]);
        free(yref[i]);
        free(in[i]);
    }
}

/* A handed network does not skip the order's check: a point whose order
 * repeats a factor is rejected with the message the model's own build
 * gives (and the first order of a valid point is accepted both ways). */
static void test_handed_net_checks(void **state)
{
    (void)state;
    cm_tech tech;
    cm_tech_default_28nm(&tech);
    rng = SEED + 1;
    cm_point p;
    do {
        gen_point(&p);
        strcpy(p.hw.tech, tech.name);
    } while (p.wx.order.n < 2);
    cm_net net;
    assert_int_equal(cm_net_build(&p.wx.fmt, &net, NULL, 0), 0);
    const cm_net *np[2] = {&net, NULL};
    cm_result ra, rc;
    netcache = cm_acache_new();
    assert_non_null(netcache);
    int ca = cm_analytic_eval(&p, &tech, &ra);
    assert_int_equal(cm_analytic_eval_cached(&p, &tech, netcache, np, &rc), ca);
    if (ca == 0)
        assert_true(rc.cycles == ra.cycles);
    p.wx.order.f[1] = p.wx.order.f[0]; /* factor f[0] twice: no permutation */
    assert_int_equal(cm_analytic_eval(&p, &tech, &ra), -1);
    assert_int_equal(cm_analytic_eval_cached(&p, &tech, netcache, np, &rc), -1);
    assert_int_equal(rc.reject, CM_REJ_POINT);
    assert_int_equal(ra.reject, CM_REJ_POINT);
    assert_non_null(strstr(rc.why, "order"));
    assert_string_equal(rc.why, ra.why);
    cm_acache_free(netcache);
    netcache = NULL;
}

static void test_crosscheck_random(void **state)
{
    (void)state;
    cm_tech tech;
    cm_tech_default_28nm(&tech);
    rng = SEED;
    cache = cm_acache_new();
    netcache = cm_acache_new();
    assert_non_null(cache);
    assert_non_null(netcache);
    tally t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < NPOINTS; i++) {
        cm_point p;
        char err[CM_ERRLEN];
        gen_point(&p);
        strcpy(p.hw.tech, tech.name);
        if (cm_point_check(&p, err, sizeof err) < 0)
            fail_msg("generator made a bad point: %s", err);
        check_point(&p, &tech, &t);
    }
    printf("crosscheck: %d points, %d valid (%d LSTM), %d stages exact and equal; with a tiny "
           "budget %d stages bounded and below the functional counts\n",
           t.points, t.valid, t.lstm, t.exact_stages, t.bound_stages);
    printf("crosscheck: valid per map linear %d skew %d xor %d transform %d; stages wp %d op %d\n",
           t.maps[0], t.maps[1], t.maps[2], t.maps[3], t.dfs[0], t.dfs[1]);
    printf("crosscheck: rejected point %d map %d workmem %d wgtmem %d tech %d\n",
           t.rejected[CM_REJ_POINT], t.rejected[CM_REJ_MAP], t.rejected[CM_REJ_WORKMEM],
           t.rejected[CM_REJ_WGTMEM], t.rejected[CM_REJ_TECH]);
    printf("crosscheck: conflicts seen: %lld read, %lld write, %lld input; %d points with "
           "conflicts\n", (long long)t.rd_conf, (long long)t.wr_conf, (long long)t.io_conf,
           t.conflict_points);
    int64_t hits, misses;
    cm_acache_counts(cache, &hits, &misses);
    printf("crosscheck: cache %lld hits, %lld misses\n", (long long)hits, (long long)misses);
    cm_acache_free(cache);
    cm_acache_free(netcache);
    assert_true(t.points >= 1000);
    assert_true(t.conflict_points >= 200);
    assert_true(t.valid >= 700);
    for (int m = 0; m < CM_MAP_COUNT; m++)
        assert_true(t.maps[m] >= 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handed_net_checks),
        cmocka_unit_test(test_crosscheck_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
