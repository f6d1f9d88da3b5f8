/*
 * test_accel.c - golden, hand-computed cases of the accelerator cost model
 * (analytical and functional), rejections with their reason codes, and the
 * consistency of the roll-up (totals = sums of their breakdowns).
 *
 * The workhorse is a 2-mode TT matrix small enough to count by hand:
 *   W: M = 2x2 (m1, m2), N = 4x4 (n1, n2), TT ranks 1,2,1, order "1,2";
 *   hardware P = 2 PEs, L = 4 lanes, B = 4 banks, 16 bits, DMA 8 B/cycle.
 * Layouts (cm_net.h: by increasing index id, lowest id most significant):
 *   x  = (n1, n2): addr = 4 n1 + n2
 *   T1 = (m1, n2, r1): addr = 8 m1 + 2 n2 + r1           (16 words)
 *   y  = (m1, m2)
 * Step 1 contracts core 1 (m1, n1, r1): kept k = n2 (K = 4), consumed
 *   c = n1 (C = 4), produced p = (m1, r1) = 2 m1 + r1 (Pn = 4).
 *   Reads in[k, c] = k + 4c: stride 4 = B, the colliding pattern.
 * Step 2 contracts core 2 (r1, m2, n2): kept m1 (K = 2), consumed
 *   c = (n2, r1) = 2 n2 + r1 (C = 8, contiguous in T1), produced m2 (Pn = 2).
 * Pipeline depth with L = 4: read 1 + multiply 1 + tree log2(4) = 2 +
 *   accumulate 1 + write 1 = 6 cycles per stage.
 */
#include "test_util.h"
#include "test_net_util.h"

#include "cm_accel.h"

#define TT2 "mv/wx;f=tt;m=2x2;n=4x4;r=1,2,1;o=1,2;df=%s/hw;P=2;L=4;b=16;B=%d;wm=%d;wg=%d;" \
            "bw=8000;sfu=1;mhz=1000;map=%s;tech=28nm"

static cm_tech tech;

static void point_of(cm_point *p, const char *df, int B, int wm, int wg, const char *map)
{
    char s[CM_POINT_MAXLEN], err[CM_ERRLEN];
    snprintf(s, sizeof s, TT2, df, B, wm, wg, map);
    if (cm_point_parse(s, p, err, sizeof err) < 0)
        fail_msg("%s: %s", s, err);
}

/* Run the functional model with random weights; check y against
 * cm_qmatvec and every count against the analytical model. */
static void functional_agrees(const cm_point *p, const cm_result *ra)
{
    char err[CM_ERRLEN];
    cm_fix fx = {p->hw.bits, 7, 5};
    cm_weights w;
    cm_qweights q;
    assert_int_equal(cm_weights_alloc(&p->wx.fmt, &w, err, sizeof err), 0);
    cm_weights_random(&w, 42, 1.0);
    assert_int_equal(cm_qweights_from(&w, &fx, &q, err, sizeof err), 0);
    int64_t M = cm_modes_rows(&p->wx.fmt.modes), N = cm_modes_cols(&p->wx.fmt.modes);
    int32_t *x = calloc((size_t)N, sizeof *x), *y = calloc((size_t)M, sizeof *y);
    int32_t *yr = calloc((size_t)M, sizeof *yr);
    int32_t *work = calloc((size_t)(2 * cm_matvec_work_size(&q.net, &p->wx.order)), sizeof *work);
    uint64_t s = 99;
    for (int64_t i = 0; i < N; i++)
        x[i] = (int32_t)(cm_rand_next(&s) % 20001) - 10000;
    const cm_qweights *qp[2] = {&q, NULL};
    int32_t *yy[2] = {y, NULL};
    cm_result rf;
    assert_int_equal(cm_func_eval(p, &tech, qp, x, NULL, yy, &rf), 0);
    cm_qmatvec(&q, &p->wx.order, x, yr, work);
    assert_memory_equal(y, yr, (size_t)M * sizeof *y);
    for (int s2 = 0; s2 < ra->mat[0].nsteps; s2++) {
        const cm_stage_stats *a = &ra->mat[0].st[s2], *f = &rf.mat[0].st[s2];
        tu_assert_stage_counts(a, f);
        tu_assert_stage_conflicts(a, f);
    }
    assert_int_equal(ra->cycles, rf.cycles);
    free(x);
    free(y);
    free(yr);
    free(work);
    cm_qweights_free(&q);
    cm_weights_free(&w);
}

static void eval_ok(const cm_point *p, cm_result *r)
{
    if (cm_analytic_eval(p, &tech, r) < 0)
        fail_msg("rejected: %s", r->why);
    assert_true(r->exact);
}

/*
 * linear, wp, B = 4.
 * Step 1: NPb = 4/2 = 2, NCb = 4/4 = 1: slots = 2 * 4 * 1 = 8.  K*NCb = 4 > 1,
 *   so every slot loads its tile {k, k+4, k+8, k+12}: all in bank k mod 4,
 *   4 addresses in one bank = 3 stalls, 3 conflicts; 8 loads: 24 and 24.
 *   Writes (pb, k): {2k + 8 m1 + r1} = {2k, 2k+1} or {2k+8, 2k+9}: two
 *   banks, no stall.  Weights: C <= L so one load per PE per pb block: 4
 *   loads, 4 * 4 = 16 words.  MACs 4*4*4 = 64.  Cycles 8 + 6 + 24 = 38.
 * Step 2: NPb = 1, NCb = 2: slots = 1 * 2 * 2 = 4, each reading 4
 *   consecutive words 8 m1 + 4 cb + l: 4 banks, no stall; in_reads 16.
 *   Weights reload every slot: K NCb Pn = 8 loads, K C Pn = 32 words.
 *   Output to the z buffer: 4 writes.  MACs 32.  Cycles 4 + 6 = 10.
 * Input: 16 words, DMA 8000 MB/s / 1000 MHz = 8 B = 4 words per cycle:
 *   4 aligned chunks, no stall; DRAM 32 B = 4 cycles.
 * Frame = max(input 4, PE 48) = 48.  Utilization 96 / (2*4*48) = 0.25.
 */
static void test_tt2_linear(void **state)
{
    (void)state;
    cm_point p;
    cm_result r;
    point_of(&p, "wp", 4, 4096, 4096, "linear");
    eval_ok(&p, &r);
    const cm_stage_stats *s1 = &r.mat[0].st[0], *s2 = &r.mat[0].st[1];
    assert_int_equal(s1->K, 4);
    assert_int_equal(s1->C, 4);
    assert_int_equal(s1->Pn, 4);
    assert_int_equal(s1->slots, 8);
    assert_int_equal(s1->in_loads, 8);
    assert_int_equal(s1->in_reads, 32);
    assert_int_equal(s1->rd_stall, 24);
    assert_int_equal(s1->rd_conflicts, 24);
    assert_int_equal(s1->wr_stall, 0);
    assert_int_equal(s1->out_writes, 16);
    assert_int_equal(s1->wgt_loads, 4);
    assert_int_equal(s1->wgt_words, 16);
    assert_int_equal(s1->macs, 64);
    assert_int_equal(s1->fill, 6);
    assert_int_equal(s1->in_mem, CM_MEM_INBUF);
    assert_int_equal(s1->out_mem, CM_MEM_WORK);
    assert_int_equal(s2->K, 2);
    assert_int_equal(s2->C, 8);
    assert_int_equal(s2->Pn, 2);
    assert_int_equal(s2->slots, 4);
    assert_int_equal(s2->rd_stall, 0);
    assert_int_equal(s2->in_reads, 16);
    assert_int_equal(s2->wgt_loads, 8);
    assert_int_equal(s2->wgt_words, 32);
    assert_int_equal(s2->out_writes, 4);
    assert_int_equal(s2->out_mem, CM_MEM_ZBUF);
    assert_int_equal(r.mat[0].cycles, 48);
    assert_int_equal(r.dma_groups, 4);
    assert_int_equal(r.dma_stall, 0);
    assert_int_equal(r.dram_bytes, 32);
    assert_int_equal(r.dram_cycles, 4);
    assert_int_equal(r.in_cycles, 4);
    assert_int_equal(r.cycles, 48);
    assert_int_equal(r.bound_by, CM_PART_PE);
    assert_int_equal(r.stall_cycles, 24);
    assert_int_equal(r.conflicts, 24);
    assert_int_equal(r.macs, 96);
    assert_true(fabs(r.utilization - 0.25) < 1e-12);
    assert_true(fabs(r.throughput_fps - 1e9 / 48) < 1e-3);
    functional_agrees(&p, &r);
}

/*
 * The same mapping under skew, xor and transform: no conflict anywhere.
 *   skew: step-1 tile k + 4c has row c and bank (k + c) mod 4, distinct;
 *   xor: bank = (a mod 4) ^ (a div 4) = k ^ c, distinct;
 *   the write pairs {2k, 2k+1} (+8) and the aligned 4-word reads of step 2
 *   and of the DMA stay distinct under both (checked by hand per k);
 *   transform: every group (4 reads, 2 writes, 4 DMA words) <= B.
 * So each costs 8 + 6 + 4 + 6 = 24 cycles.
 */
static void test_tt2_conflict_free_maps(void **state)
{
    (void)state;
    const char *maps[] = {"skew", "xor", "transform"};
    for (int i = 0; i < 3; i++) {
        cm_point p;
        cm_result r;
        point_of(&p, "wp", 4, 4096, 4096, maps[i]);
        eval_ok(&p, &r);
        assert_int_equal(r.conflicts, 0);
        assert_int_equal(r.stall_cycles, 0);
        assert_int_equal(r.cycles, 24);
        functional_agrees(&p, &r);
    }
}

/*
 * Transform where it cannot be conflict-free: B = 2 < L = 4.  The best any
 * placement can do for a group of g addresses is ceil(g/2) - 1 stalls and
 * g - 2 conflicts, and transform achieves exactly that:
 *   step 1: 8 loads of 4 -> 8 stalls, 16 conflicts; writes of 2 -> 0;
 *   step 2: 4 loads of 4 -> 4 stalls, 8 conflicts;
 *   DMA: 4 chunks of 4 -> 4 stalls, 8 conflicts (input part).
 *   PE cycles = (8 + 6 + 8) + (4 + 6 + 4) = 36.
 * linear with B = 2 for comparison: step-1 tiles k + 4c sit in one bank
 *   (3 stalls each, 24), writes {2k, 2k+1} in two banks (0), step-2 and
 *   DMA runs of 4 consecutive: 2 per bank (1 stall each: 4 and 4).
 *   PE cycles = (8 + 6 + 24) + (4 + 6 + 4) = 52.
 */
static void test_transform_bound(void **state)
{
    (void)state;
    cm_point p;
    cm_result r;
    point_of(&p, "wp", 2, 4096, 4096, "transform");
    eval_ok(&p, &r);
    assert_int_equal(r.mat[0].st[0].rd_stall, 8);
    assert_int_equal(r.mat[0].st[0].rd_conflicts, 16);
    assert_int_equal(r.mat[0].st[0].wr_stall, 0);
    assert_int_equal(r.mat[0].st[1].rd_stall, 4);
    assert_int_equal(r.mat[0].st[1].rd_conflicts, 8);
    assert_int_equal(r.dma_stall, 4);
    assert_int_equal(r.dma_conflicts, 8);
    assert_int_equal(r.pe_cycles, 36);
    functional_agrees(&p, &r);
    point_of(&p, "wp", 2, 4096, 4096, "linear");
    eval_ok(&p, &r);
    assert_int_equal(r.mat[0].st[0].rd_stall, 24);
    assert_int_equal(r.mat[0].st[0].wr_stall, 0);
    assert_int_equal(r.mat[0].st[1].rd_stall, 4);
    assert_int_equal(r.dma_stall, 4);
    assert_int_equal(r.pe_cycles, 52);
    functional_agrees(&p, &r);
}

/*
 * Output-parallel step 1 (df op.wp), linear, B = 4: PEs over k = n2
 * (NKb = 2), lanes over c = n1 (NCb = 1), loops kb, p, cb.
 *   slots = NKb * Pn * NCb = 2 * 4 * 1 = 8; C <= L: the input tile stays for
 *   a kb block: 2 loads of 2 * 4 = 8 words {k + 4c : k in {2kb, 2kb+1}}:
 *   banks k mod 4, two banks with 4 each = 3 stalls, 8 - 2 = 6 conflicts per
 *   load: 6 stalls, 12 conflicts, 16 words read.
 *   Weights broadcast, reloaded every slot: 8 loads, 2 * 4 * 4 = 32 words.
 *   Writes (kb, p): {2k + Op(p)} for the two k: banks differ by 2: no stall.
 *   Step 1 = 8 + 6 + 6 = 20; step 2 as before 10: PE 30.
 */
static void test_tt2_op(void **state)
{
    (void)state;
    cm_point p;
    cm_result r;
    point_of(&p, "op.wp", 4, 4096, 4096, "linear");
    eval_ok(&p, &r);
    const cm_stage_stats *s1 = &r.mat[0].st[0];
    assert_int_equal(s1->df, CM_DF_OP);
    assert_int_equal(s1->slots, 8);
    assert_int_equal(s1->in_loads, 2);
    assert_int_equal(s1->in_reads, 16);
    assert_int_equal(s1->rd_stall, 6);
    assert_int_equal(s1->rd_conflicts, 12);
    assert_int_equal(s1->wgt_loads, 8);
    assert_int_equal(s1->wgt_words, 32);
    assert_int_equal(s1->wr_stall, 0);
    assert_int_equal(r.pe_cycles, 30);
    functional_agrees(&p, &r);
}

/* Rejections carry their reason code. */
static void test_rejections(void **state)
{
    (void)state;
    cm_point p;
    cm_result r;
    /* T1 has 16 words = 4 rows of 4 banks; wm = 24 gives 3 rows per half */
    point_of(&p, "wp", 4, 24, 4096, "linear");
    assert_int_equal(cm_analytic_eval(&p, &tech, &r), -1);
    assert_int_equal(r.reject, CM_REJ_WORKMEM);
    assert_non_null(strstr(r.why, "16 words"));
    point_of(&p, "wp", 4, 32, 4096, "linear"); /* 4 rows: fits exactly */
    assert_int_equal(cm_analytic_eval(&p, &tech, &r), 0);
    /* xor needs a power-of-two bank count */
    point_of(&p, "wp", 3, 4096, 4096, "xor");
    assert_int_equal(cm_analytic_eval(&p, &tech, &r), -1);
    assert_int_equal(r.reject, CM_REJ_MAP);
    /* TT params 1*2*4*2 + 2*2*4*1 = 32 words; 31 do not hold them */
    point_of(&p, "wp", 4, 4096, 31, "linear");
    assert_int_equal(cm_analytic_eval(&p, &tech, &r), -1);
    assert_int_equal(r.reject, CM_REJ_WGTMEM);
    /* a table of another name */
    point_of(&p, "wp", 4, 4096, 4096, "linear");
    strcpy(p.hw.tech, "7nm");
    assert_int_equal(cm_analytic_eval(&p, &tech, &r), -1);
    assert_int_equal(r.reject, CM_REJ_TECH);
    /* an inconsistent point */
    point_of(&p, "wp", 4, 4096, 4096, "linear");
    p.hw.lanes = 0;
    assert_int_equal(cm_analytic_eval(&p, &tech, &r), -1);
    assert_int_equal(r.reject, CM_REJ_POINT);
    assert_string_equal(cm_reject_name(CM_REJ_WORKMEM), "workmem");
}

/* Totals equal the sums of their breakdowns; power and efficiencies follow. */
static void test_rollup_sums(void **state)
{
    (void)state;
    cm_point p;
    cm_result r;
    point_of(&p, "wp", 4, 4096, 4096, "linear");
    eval_ok(&p, &r);
    double a = 0, e = 0;
    for (int i = 0; i < CM_A_COUNT; i++) {
        assert_true(r.area_um2[i] >= 0);
        a += r.area_um2[i];
    }
    for (int i = 0; i < CM_E_COUNT; i++) {
        assert_true(r.energy_c[i] >= 0);
        e += r.energy_c[i];
    }
    assert_true(tu_rel(r.area_mm2, a * 1e-6) < 1e-12);
    assert_true(tu_rel(r.energy_pj, e) < 1e-12);
    double period_ns = r.cycles * 1000.0 / p.hw.freq_mhz;
    assert_true(tu_rel(r.power_mw, r.energy_pj / period_ns) < 1e-12);
    assert_true(tu_rel(r.area_eff, r.throughput_fps / r.area_mm2) < 1e-12);
    assert_true(tu_rel(r.energy_eff, 1e12 / r.energy_pj) < 1e-12);
    /* MAC energy by hand: 96 MACs x (mult16 + add of 2*16 + log2(8) = 35 bits) */
    assert_int_equal(r.acc_bits, 35);
    assert_true(tu_rel(r.energy_c[CM_E_MULT], 96 * cm_tech_mult_pj(&tech, 16)) < 1e-12);
    assert_true(tu_rel(r.energy_c[CM_E_ADD], 96 * cm_tech_add_pj(&tech, 35)) < 1e-12);
    /* DRAM: 32 bytes */
    assert_true(tu_rel(r.energy_c[CM_E_DRAM], 32 * 8 * tech.dram_pj_per_bit) < 1e-12);
    /* working SRAM traffic: T1 written 16 times, read 16 times */
    assert_int_equal(r.work_writes, 16);
    assert_int_equal(r.work_reads, 16);
    assert_int_equal(r.inbuf_reads, 32);
    assert_int_equal(r.inbuf_writes, 16);
    /* the result names its table */
    assert_string_equal(r.tech_name, tech.name);
    assert_string_equal(r.tech_hash, tech.hash);
}

/*
 * A tiny LSTM, partial: H = 2, 4H = 8 = 4x2, n_in = 4x4 (W_x TT, ranks
 * 1,2,1: 1*4*4*2 + 2*2*4*1 = 48 words); W_h dense 8 x 2 (16 words).  SFU 5 lanes: 5 H = 10
 * activations = 2 cycles; h words per cycle floor(5/5) = 1: 2 write cycles;
 * sfu = max(2, 2) + 4 = 6.  Recurrence = W_h cycles + 6.  W_h: K = 1,
 * C = 2, Pn = 8, wp: NPb = 4, NCb = 1: 4 slots; K NCb = 1: one load of 2
 * words (from the h region, consecutive: no stall); fill 6: 10 cycles.
 * With wg = 50 the 48 + 16 words do not all fit: the dense W_h streams; 16 words x 2 B = 32 B at 8 B/cycle = 4 cycles <= 10,
 * no wait.  DRAM bytes = 16 * 2 (x) + 32 (W_h) = 64.
 */
static void test_lstm_small(void **state)
{
    (void)state;
    cm_point p;
    cm_result r;
    char err[CM_ERRLEN];
    const char *s = "lstm;nin=16;h=2;dec=partial/wx;f=tt;m=4x2;n=4x4;r=1,2,1;o=1,2;df=wp/"
                    "wh;f=dense;m=8;n=2;o=W;df=wp/hw;P=2;L=4;b=16;B=4;wm=4096;wg=50;bw=8000;"
                    "sfu=5;mhz=1000;map=linear;tech=28nm";
    if (cm_point_parse(s, &p, err, sizeof err) < 0)
        fail_msg("%s", err);
    eval_ok(&p, &r);
    assert_int_equal(r.nmat, 2);
    assert_int_equal(r.mat[1].streamed, 1);
    assert_int_equal(r.mat[0].streamed, 0);
    assert_int_equal(r.sfu_ops, 10);
    assert_int_equal(r.sfu_cycles, 6);
    assert_int_equal(r.mat[1].st[0].slots, 4);
    assert_int_equal(r.mat[1].st[0].in_loads, 1);
    assert_int_equal(r.mat[1].cycles, 10);
    assert_int_equal(r.mat[1].stream_wait, 0);
    assert_int_equal(r.rec_cycles, 16);
    assert_int_equal(r.dram_bytes, 64);
    assert_int_equal(r.h_words, 2);
    assert_int_equal(r.h_groups, 2);
    assert_int_equal(r.cycles, r.pe_cycles > r.rec_cycles ? r.pe_cycles : r.rec_cycles);
    /* with room for everything, nothing streams */
    p.hw.wgt_words = 4096;
    eval_ok(&p, &r);
    assert_int_equal(r.mat[1].streamed, 0);
    assert_int_equal(r.dram_bytes, 32);
}

/*
 * The reproduction points: TIE (TT, partial, dense W_h) and FDHT (HT,
 * concat) for LSTM-UCF on the default hardware evaluate under every map,
 * exactly; with wp everywhere, transform removes every conflict there (all
 * read groups L = 16, write groups P = 16 and DMA groups 6 are <= B = 16);
 * the functional model agrees on the FDHT point with its W_x and W_h.
 */
static void test_tie_fdht_points(void **state)
{
    (void)state;
    static const char *const pts[] = {
        "lstm;nin=57600;h=256;dec=partial/wx;f=tt;m=16x4x4x4;n=8x20x20x18;r=1,4,4,4,1;"
        "o=4,3,2,1;df=wp/wh;f=dense;m=1024;n=256;o=W;df=wp/hw;P=16;L=16;b=16;B=16;wm=131072;"
        "wg=65536;bw=12800;sfu=16;mhz=1000;map=linear;tech=28nm",
        "lstm;nin=57600;h=256;dec=concat;pad=58320/wx;f=ht;m=16x4x4x4;n=9x20x18x18;"
        "t=((1:4,2:4):4,(3:4,4:4):4);o=3,4,34,2,1,12,1234;df=wp/hw;P=16;"
        "L=16;b=16;B=16;wm=131072;wg=65536;bw=12800;sfu=16;mhz=1000;map=linear;tech=28nm",
    };
    for (int i = 0; i < 2; i++) {
        cm_point p;
        char err[CM_ERRLEN];
        int64_t lin = 0;
        if (cm_point_parse(pts[i], &p, err, sizeof err) < 0)
            fail_msg("%s", err);
        for (int m = 0; m < CM_MAP_COUNT; m++) {
            cm_result r;
            p.map = (cm_bankmap)m;
            eval_ok(&p, &r);
            if (m == CM_MAP_LINEAR)
                lin = r.pe_cycles;
            if (m == CM_MAP_TRANSFORM) {
                assert_int_equal(r.conflicts, 0);
                assert_true(r.pe_cycles < lin);
            }
            printf("%s %-9s cycles %6lld conflicts %6lld area %.3f mm^2 energy %.2f uJ/frame\n",
                   i ? "FDHT-UCF" : "TIE-UCF ", cm_bankmap_name(p.map), (long long)r.cycles,
                   (long long)r.conflicts, r.area_mm2, r.energy_pj * 1e-6);
        }
    }
    /* functional = analytical on the FDHT point (transform) */
    cm_point p;
    char err[CM_ERRLEN];
    assert_int_equal(cm_point_parse(pts[1], &p, err, sizeof err), 0);
    p.map = CM_MAP_TRANSFORM;
    cm_result r;
    eval_ok(&p, &r);
    functional_agrees(&p, &r);
}

int main(void)
{
    cm_tech_default_28nm(&tech);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tt2_linear),     cmocka_unit_test(test_tt2_conflict_free_maps),
        cmocka_unit_test(test_transform_bound), cmocka_unit_test(test_tt2_op),
        cmocka_unit_test(test_rejections),     cmocka_unit_test(test_rollup_sums),
        cmocka_unit_test(test_lstm_small),     cmocka_unit_test(test_tie_fdht_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
