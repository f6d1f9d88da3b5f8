/*
 * test_order.c - tensor networks and contraction orders (cm_net.c): index
 * bookkeeping, hand-computed costs, the LSTM-UCF input layer, the default
 * order and its check, and the text form of orders.  test_order_search.c
 * holds the exact best order against exhaustive search and the order
 * enumeration counts.
 */
#include "test_util.h"
#include "test_order_util.h"

#include <time.h>

/* ------------------------------------------------------------ net layout */

static void test_build_ids(void **state)
{
    (void)state;
    cm_format f;
    cm_net net;
    int m[] = {2, 3, 2}, n[] = {3, 2, 4}, r[] = {1, 2, 3, 1};

    make_tt(&f, 3, m, n, r);
    build(&f, &net);
    assert_int_equal(net.nf, 3);
    assert_int_equal(net.xmask, (1u << 8) | (1u << 9) | (1u << 10));
    assert_int_equal(net.ymask, 7u);
    /* Core 2 (0-based 1): (bond 1, m_2, n_2, bond 2). */
    assert_int_equal(net.nidx[1], 4);
    assert_int_equal(net.idx[1][0], 17);
    assert_int_equal(net.idx[1][1], 1);
    assert_int_equal(net.idx[1][2], 9);
    assert_int_equal(net.idx[1][3], 18);
    assert_int_equal(net.nidx[0], 3); /* end bond omitted */
    assert_int_equal(net.idx[0][0], 0);
    assert_int_equal(net.idx[2][2], 10);
    assert_int_equal(net.size[17], 2);
    assert_int_equal(net.size[18], 3);
    assert_int_equal(net.size[16], 1);
    assert_int_equal(net.pred[0] | net.pred[1] | net.pred[2], 0);
    assert_string_equal(net.label[2], "3");
    assert_int_equal(cm_net_mask_size(&net, net.xmask), 24);
    assert_int_equal(cm_net_mask_size(&net, net.fmask[1]), 2 * 3 * 2 * 3);

    int mh[] = {2, 2, 3, 4}, nh[] = {3, 2, 2, 1};
    make_ht(&f, "((1:2,2:3):5,(3:4,4:6):7)", mh, nh);
    build(&f, &net);
    assert_int_equal(net.nf, 7);
    /* Canonical numbering: 4 = {1,2}, 5 = {3,4}, 6 = root. */
    assert_string_equal(net.label[4], "12");
    assert_string_equal(net.label[5], "34");
    assert_string_equal(net.label[6], "1234");
    assert_int_equal(net.nidx[0], 3);
    assert_int_equal(net.idx[0][0], 0);
    assert_int_equal(net.idx[0][1], 8);
    assert_int_equal(net.idx[0][2], 16);
    assert_int_equal(net.nidx[6], 2); /* root rank omitted */
    assert_int_equal(net.idx[6][0], 20);
    assert_int_equal(net.idx[6][1], 21);
    assert_int_equal(net.size[CM_ID_R(1)], 3);
    assert_int_equal(net.size[CM_ID_R(5)], 7);
    assert_int_equal(net.size[CM_ID_R(6)], 1);
    assert_int_equal(net.pred[4], 3u);
    assert_int_equal(net.pred[6], 0x3Fu); /* every descendant */
    assert_int_equal(net.pred[0], 0u);

    memset(&f, 0, sizeof f);
    f.kind = CM_DENSE;
    f.modes.d = 2;
    f.modes.m[0] = 2; f.modes.m[1] = 3;
    f.modes.n[0] = 4; f.modes.n[1] = 5;
    build(&f, &net);
    assert_int_equal(net.nf, 1);
    assert_string_equal(net.label[0], "W");
    assert_int_equal(net.fmask[0], 3u | (3u << 8));
    assert_int_equal(net.idx[0][1], 1);
    assert_int_equal(net.idx[0][2], 8);
}

/* ------------------------------------------------------ hand-computed costs */

static void test_tt_hand_costs(void **state)
{
    (void)state;
    /*
     * TT d=3, m = (2,3,2), n = (3,2,4), bonds r1 = 2, r2 = 3.  x = 3*2*4 = 24.
     * Order 1,2,3:
     *   core1: kept n2 n3 = 8, consumed n1 = 3, produced m1 r1 = 4 -> 96 MACs,
     *          T = m1 n2 n3 r1 = 2*2*4*2 = 32
     *   core2: kept m1 n3 = 8, consumed n2 r1 = 4, produced m2 r2 = 9 -> 288,
     *          T = m1 m2 n3 r2 = 2*3*4*3 = 72
     *   core3: kept m1 m2 = 6, consumed n3 r2 = 12, produced m3 = 2 -> 144,
     *          T = y = 12
     *   total 528, peak 72.
     * Order 3,2,1: core3 6*4*6 = 144 (T = m3 n1 n2 r2 = 36), core2 6*6*6 = 216
     *   (T = m2 m3 n1 r1 = 36), core1 6*6*2 = 72: total 432, peak 36.
     * The other orders: 1,3,2 and 3,1,2 give 432 with peak 48; any order
     * starting with core 2 pays 12*2*18 = 432 on its first step alone.  So
     * the best is 3,2,1 with (432, 36).
     */
    cm_format f;
    cm_net net;
    cm_order o;
    cm_order_cost c;
    int m[] = {2, 3, 2}, n[] = {3, 2, 4}, r[] = {1, 2, 3, 1};
    make_tt(&f, 3, m, n, r);
    build(&f, &net);

    parse_ok(&net, "1,2,3", &o);
    cm_order_cost_of(&net, &o, &c);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.step[0].macs, 96);
    assert_int_equal(c.step[0].kept_size, 8);
    assert_int_equal(c.step[0].consumed_size, 3);
    assert_int_equal(c.step[0].produced_size, 4);
    assert_int_equal(c.step[0].in_size, 24);
    assert_int_equal(c.step[0].out_size, 32);
    assert_int_equal(c.step[0].factor_size, 2 * 3 * 2);
    assert_int_equal(c.step[1].macs, 288);
    assert_int_equal(c.step[1].consumed, (1u << 9) | (1u << 17));
    assert_int_equal(c.step[1].produced, (1u << 1) | (1u << 18));
    assert_int_equal(c.step[1].kept, (1u << 0) | (1u << 10));
    assert_int_equal(c.step[1].out_size, 72);
    assert_int_equal(c.step[2].macs, 144);
    assert_int_equal(c.step[2].out_mask, net.ymask);
    assert_int_equal(c.macs, 528);
    assert_int_equal(c.peak, 72);

    parse_ok(&net, "3,2,1", &o);
    cm_order_cost_of(&net, &o, &c);
    assert_int_equal(c.macs, 432);
    assert_int_equal(c.peak, 36);
    parse_ok(&net, "1,3,2", &o);
    cm_order_cost_of(&net, &o, &c);
    assert_int_equal(c.macs, 432);
    assert_int_equal(c.peak, 48);

    cm_order_best(&net, &o, &c);
    char buf[64];
    cm_order_format(&net, &o, buf, sizeof buf);
    assert_string_equal(buf, "3,2,1");
    assert_int_equal(c.macs, 432);
    assert_int_equal(c.peak, 36);
}

static void test_ht_hand_costs(void **state)
{
    (void)state;
    /*
     * HT ((1:2,2:3):2,3:2), m = (2,2,3), n = (3,2,2).  x = 12.
     * Order 1,2,12,3,123:
     *   leaf1: kept n2 n3 = 4, consumed n1 = 3, produced m1 r1 = 4 -> 48, T = 16
     *   leaf2: kept m1 n3 r1 = 8, consumed n2 = 2, produced m2 r2 = 6 -> 96,
     *          T = m1 m2 n3 r1 r2 = 48
     *   12:    kept m1 m2 n3 = 8, consumed r1 r2 = 6, produced r12 = 2 -> 96, T = 16
     *   leaf3: kept m1 m2 r12 = 8, consumed n3 = 2, produced m3 r3 = 6 -> 96, T = 48
     *   root:  kept m1 m2 m3 = 12, consumed r12 r3 = 4, produced none -> 48, T = 12
     *   total 384, peak 48.
     * Order 3,1,2,12,123: 6*2*6 = 72 (T 36), 12*3*4 = 144 (T 48),
     *   24*2*6 = 288 (T 144), 24*6*2 = 288 (T 48), 48: total 840, peak 144.
     */
    cm_format f;
    cm_net net;
    cm_order o;
    cm_order_cost c;
    int m[] = {2, 2, 3}, n[] = {3, 2, 2};
    make_ht(&f, "((1:2,2:3):2,3:2)", m, n);
    build(&f, &net);

    parse_ok(&net, "1,2,12,3,123", &o);
    cm_order_cost_of(&net, &o, &c);
    int64_t macs[] = {48, 96, 96, 96, 48}, outs[] = {16, 48, 16, 48, 12};
    for (int s = 0; s < 5; s++) {
        assert_int_equal(c.step[s].macs, macs[s]);
        assert_int_equal(c.step[s].out_size, outs[s]);
        assert_int_equal(c.step[s].macs, c.step[s].in_size * c.step[s].produced_size);
    }
    assert_int_equal(c.step[4].produced, 0u);
    assert_int_equal(c.step[4].produced_size, 1);
    assert_int_equal(c.macs, 384);
    assert_int_equal(c.peak, 48);

    parse_ok(&net, "3,1,2,12,123", &o);
    cm_order_cost_of(&net, &o, &c);
    assert_int_equal(c.macs, 840);
    assert_int_equal(c.peak, 144);
}

/* ----------------------------------------------- the LSTM-UCF input layer */

typedef struct {
    const cm_net *net;
    int64_t count, macs, peak;
    cm_order best;
} brute;

static int brute_visit(const cm_order *o, void *ud)
{
    brute *b = ud;
    cm_order_cost c;
    cm_order_cost_of(b->net, o, &c);
    if (b->count++ == 0 || c.macs < b->macs || (c.macs == b->macs && c.peak < b->peak)) {
        b->macs = c.macs;
        b->peak = c.peak;
        b->best = *o;
    }
    return 0;
}

static const int ucf_m[] = {16, 4, 4, 4}, ucf_n[] = {8, 20, 20, 18};

static void test_ucf_tt(void **state)
{
    (void)state;
    /*
     * TT rank 4, in 8x20x20x18 (x = 57600), out 16x4x4x4.  Core k produces
     * m_k and each bond not yet open; core 1 produces 16*4 = 64 elements per
     * input element, cores 2 and 3 (both bonds new) 4*4*4 = 64, core 4 only
     * 4*4 = 16: the first step must be core 4 (57600*16 = 921,600) or it alone
     * costs > 3.6 M.  Then right to left each step produces m_k r = 16:
     *   core4: 57600*16 = 921,600   T = n1 n2 n3 m4 r3 = 51,200
     *   core3: 51200*16 = 819,200   T = n1 n2 m3 m4 r2 = 10,240
     *   core2: 10240*16 = 163,840   T = n1 m2 m3 m4 r1 =  2,048
     *   core1:  2048*16 =  32,768   T = y = 1,024
     * total 1,937,408; peak = x = 57,600 (core 1 earlier costs >= 655,360).
     */
    cm_format f;
    cm_net net;
    cm_order o;
    cm_order_cost c;
    int r[] = {1, 4, 4, 4, 1};
    make_tt(&f, 4, ucf_m, ucf_n, r);
    build(&f, &net);
    cm_order_best(&net, &o, &c);
    char buf[64];
    cm_order_format(&net, &o, buf, sizeof buf);
    assert_string_equal(buf, "4,3,2,1");
    assert_int_equal(c.macs, 1937408);
    assert_int_equal(c.peak, 57600);

    brute b = {&net, 0, 0, 0, {0, {0}}};
    cm_order_enumerate(&net, brute_visit, &b);
    assert_int_equal(b.count, 24);
    assert_int_equal(b.macs, c.macs);
    assert_int_equal(b.peak, c.peak);
    printf("UCF TT rank 4: best %s, %lld MACs, peak %lld\n", buf, (long long)c.macs,
           (long long)c.peak);
}

static void test_ucf_ht(void **state)
{
    (void)state;
    /*
     * HT ((1:4,2:4):4,(3:4,4:4):4), same modes.  Leaf 1 multiplies the tensor
     * by 16*4/8 = 8, so it must run on the smallest T that still holds n1:
     * n1 m2 m3 m4 r2 r34 = 8192 (after leaves 2, 3, 4 and node 34).  Cheapest
     * way there: leaf 3 (57600*16 = 921,600, T 46,080), leaf 4 (46080*16 =
     * 737,280, T 40,960), node 34 (40960*4 = 163,840, T 10,240), leaf 2
     * (10240*16 = 163,840, T 8,192), then leaf 1 (8192*64 = 524,288,
     * T = m1..m4 r1 r2 r34 = 65,536), node 12 (65536*4 = 262,144, T 16,384),
     * root (16,384, T = y).  Total 2,789,376; peak 65,536 (after leaf 1).
     */
    cm_format f;
    cm_net net;
    cm_order o;
    cm_order_cost c;
    make_ht(&f, "((1:4,2:4):4,(3:4,4:4):4)", ucf_m, ucf_n);
    build(&f, &net);
    cm_order_best(&net, &o, &c);
    char buf[64];
    cm_order_format(&net, &o, buf, sizeof buf);
    assert_string_equal(buf, "3,4,34,2,1,12,1234");
    assert_int_equal(c.macs, 2789376);
    assert_int_equal(c.peak, 65536);

    brute b = {&net, 0, 0, 0, {0, {0}}};
    cm_order_enumerate(&net, brute_visit, &b);
    assert_int_equal(b.count, 80);
    assert_int_equal(b.macs, c.macs);
    assert_int_equal(b.peak, c.peak);
    printf("UCF HT balanced rank 4: best %s, %lld MACs, peak %lld\n", buf,
           (long long)c.macs, (long long)c.peak);

    /* DP speed: the mapper calls this for every design point.  The machine
     * may be shared, so the best of 5 batches of 10^4 calls is reported. */
    enum { CALLS = 10000, BATCHES = 5 };
    int64_t sink = 0;
    double best_us = 1e30;
    for (int b = 0; b < BATCHES; b++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < CALLS; i++) {
            net.size[CM_ID_R(i % 6)] = 2 + i % 5; /* vary the input of every call */
            cm_order_best(&net, &o, &c);
            sink += c.macs;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
                     (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / CALLS;
        best_us = us < best_us ? us : best_us;
    }
    printf("cm_order_best, HT d=4: %.3f us per call (best of %d x %d calls)\n", best_us,
           BATCHES, CALLS);
    assert_true(sink > 0);
}

static void test_tie_break(void **state)
{
    (void)state;
    /*
     * TT d=5, m = (5,4,1,3,1), n = (5,3,3,3,3), bonds 2: x = 405.
     * 5,4,3,2,1: 405*2 = 810 (T 270), 270*6 = 1620 (T 270), 270*2 = 540 (T 90),
     *            90*8 = 720 (T 120), 120*5 = 600 (T 60): 4290, peak 405 (x).
     * 5,3,4,2,1: 810 (T 270), 270*4 = 1080 (T 360), 360*3 = 1080 (T 90),
     *            720 (T 120), 600: 4290, peak 405 (x).
     * Equal MACs and equal peak: the lexicographically smaller 5,3,4,2,1
     * wins although its largest intermediate (360) exceeds the other's (270).
     */
    cm_format f;
    cm_net net;
    cm_order o;
    cm_order_cost c;
    int m[] = {5, 4, 1, 3, 1}, n[] = {5, 3, 3, 3, 3}, r[] = {1, 2, 2, 2, 2, 1};
    make_tt(&f, 5, m, n, r);
    build(&f, &net);
    parse_ok(&net, "5,4,3,2,1", &o);
    cm_order_cost_of(&net, &o, &c);
    assert_int_equal(c.macs, 4290);
    assert_int_equal(c.peak, 405);
    parse_ok(&net, "5,3,4,2,1", &o);
    cm_order_cost_of(&net, &o, &c);
    assert_int_equal(c.macs, 4290);
    assert_int_equal(c.peak, 405);
    cm_order_best(&net, &o, &c);
    char buf[64];
    cm_order_format(&net, &o, buf, sizeof buf);
    assert_string_equal(buf, "5,3,4,2,1");
    assert_int_equal(c.macs, 4290);
    assert_int_equal(c.peak, 405);
}

/* ---------------------------------------------------- default and check */

static void test_default_and_check(void **state)
{
    (void)state;
    cm_format f;
    cm_net net;
    cm_order o;
    char buf[64], err[CM_ERRLEN];
    int m[] = {2, 2, 2, 2}, n[] = {2, 2, 2, 2}, r[] = {1, 2, 2, 2, 1};

    make_ht(&f, "((1:2,2:2):2,(3:2,4:2):2)", m, n);
    build(&f, &net);
    cm_order_default(&net, &o);
    cm_order_format(&net, &o, buf, sizeof buf);
    assert_string_equal(buf, "1,2,3,4,12,34,1234");

    make_tt(&f, 4, m, n, r);
    build(&f, &net);
    cm_order_default(&net, &o);
    cm_order_format(&net, &o, buf, sizeof buf);
    assert_string_equal(buf, "1,2,3,4");
    /* Every permutation of a TT is valid. */
    parse_ok(&net, "2,4,1,3", &o);

    make_ht(&f, "((1:2,2:2):2,(3:2,4:2):2)", m, n);
    build(&f, &net);
    o.n = 7;
    int bad_dup[] = {0, 1, 1, 2, 3, 4, 6};
    memcpy(o.f, bad_dup, sizeof bad_dup);
    assert_int_equal(cm_order_check(&net, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
    int bad_pred[] = {0, 1, 4, 5, 2, 3, 6};
    memcpy(o.f, bad_pred, sizeof bad_pred);
    assert_int_equal(cm_order_check(&net, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "34"));
    int bad_range[] = {0, 1, 2, 3, 4, 5, 7};
    memcpy(o.f, bad_range, sizeof bad_range);
    assert_int_equal(cm_order_check(&net, &o, err, sizeof err), -1);
    o.n = 6;
    assert_int_equal(cm_order_check(&net, &o, err, sizeof err), -1);
    o.n = -3;
    assert_int_equal(cm_order_check(&net, &o, err, sizeof err), -1);
    o.n = 7;
    int good[] = {3, 2, 5, 1, 0, 4, 6};
    memcpy(o.f, good, sizeof good);
    assert_int_equal(cm_order_check(&net, &o, err, sizeof err), 0);
}

/* ------------------------------------------------------------ text form */

static void parse_bad(const cm_net *net, const char *s, const char *needle)
{
    char err[CM_ERRLEN] = "";
    cm_order o;
    o.n = 99;
    assert_int_equal(cm_order_parse(net, s, &o, err, sizeof err), -1);
    assert_int_equal(o.n, 99); /* untouched on failure */
    if (!strstr(err, needle))
        fprintf(stderr, "parse '%s': error '%s' lacks '%s'\n", s ? s : "(null)", err, needle);
    assert_non_null(strstr(err, needle));
    assert_true(strlen(err) < CM_ERRLEN);
}

static void test_parse_format(void **state)
{
    (void)state;
    cm_format f;
    cm_net net;
    cm_order o;
    char buf[64];
    int m[] = {2, 2, 2, 2}, n[] = {2, 2, 2, 2};

    make_ht(&f, "((1:2,2:2):2,(3:2,4:2):2)", m, n);
    build(&f, &net);
    parse_ok(&net, "1,2,12,3,4,34,1234", &o);
    assert_int_equal(o.n, 7);
    assert_int_equal(o.f[2], 4);
    assert_int_equal(cm_order_format(&net, &o, buf, sizeof buf), 18);
    assert_string_equal(buf, "1,2,12,3,4,34,1234");
    /* Spaces around labels are tolerated. */
    parse_ok(&net, " 4 , 3,34,\t2,1 ,12, 1234 ", &o);
    cm_order_format(&net, &o, buf, sizeof buf);
    assert_string_equal(buf, "4,3,34,2,1,12,1234");
    /* snprintf-like truncation. */
    assert_int_equal(cm_order_format(&net, &o, buf, 5), 18);
    assert_string_equal(buf, "4,3,");
    assert_int_equal(cm_order_format(&net, &o, NULL, 0), 18);

    parse_bad(&net, "1,2,12,3,4,34,5", "unknown");
    parse_bad(&net, "1,2,21,3,4,34,1234", "unknown");
    parse_bad(&net, "1,2,12,3,4,34,1234,1", "twice");
    parse_bad(&net, "1,1,2,12,3,4,34,1234", "twice");
    parse_bad(&net, "1,2,12,3,4,34", "misses");
    parse_bad(&net, "1,2,12,3,34,4,1234", "before");
    parse_bad(&net, "1234,1,2,12,3,4,34", "before");
    parse_bad(&net, "", "empty");
    parse_bad(&net, "1,,2", "empty");
    parse_bad(&net, "1,2,12,3,4,34,1234,", "empty");
    parse_bad(&net, ",1", "empty");
    parse_bad(&net, NULL, "no order");
    parse_bad(&net, "1;2;12", "unknown");
    parse_bad(&net, "\x01\xff,2", "unknown");
    /* A long hostile string: the message stays bounded. */
    char big[5000];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    parse_bad(&net, big, "unknown");
    for (int i = 0; i < (int)sizeof big - 1; i++)
        big[i] = i % 2 ? ',' : '1';
    parse_bad(&net, big, "twice");

    /* Random strings over the label alphabet and a few hostile bytes: a
     * success must be a valid order that survives format -> parse. */
    rng_state = 7;
    const char alphabet[] = "1234,, \t\xff";
    int accepted = 0;
    for (int it = 0; it < 20000; it++) {
        char s[40];
        int len = rnd(0, 38);
        for (int i = 0; i < len; i++)
            s[i] = alphabet[rnd(0, (int)sizeof alphabet - 2)];
        s[len] = '\0';
        char err[CM_ERRLEN];
        if (cm_order_parse(&net, s, &o, err, sizeof err) == 0) {
            cm_order back;
            accepted++;
            assert_int_equal(cm_order_check(&net, &o, NULL, 0), 0);
            cm_order_format(&net, &o, buf, sizeof buf);
            assert_int_equal(cm_order_parse(&net, buf, &back, NULL, 0), 0);
            assert_memory_equal(back.f, o.f, sizeof(int) * (size_t)o.n);
        } else {
            assert_true(strlen(err) > 0 && strlen(err) < CM_ERRLEN);
        }
    }
    (void)accepted; /* valid orders are rare in random text; the point is no crash */

    int r[] = {1, 3, 3, 1};
    make_tt(&f, 3, m, n, r);
    build(&f, &net);
    parse_ok(&net, "2,3,1", &o);
    cm_order_format(&net, &o, buf, sizeof buf);
    assert_string_equal(buf, "2,3,1");
    parse_bad(&net, "0,1,2", "unknown");
    parse_bad(&net, "1,2,4", "unknown");
    parse_bad(&net, "W", "unknown");

    memset(&f, 0, sizeof f);
    f.kind = CM_DENSE;
    f.modes.d = 1;
    f.modes.m[0] = 3;
    f.modes.n[0] = 4;
    build(&f, &net);
    parse_ok(&net, "W", &o);
    assert_int_equal(o.n, 1);
    cm_order_format(&net, &o, buf, sizeof buf);
    assert_string_equal(buf, "W");
    parse_bad(&net, "1", "unknown");
    parse_bad(&net, "W,W", "twice");
}

static void test_build_errors(void **state)
{
    (void)state;
    cm_format f;
    cm_net net;
    char err[CM_ERRLEN] = "";
    int m[] = {2, 2, 2}, n[] = {2, 2, 2}, r[] = {1, 0, 2, 1};
    make_tt(&f, 3, m, n, r);
    assert_int_equal(cm_net_build(&f, &net, err, sizeof err), -1);
    assert_true(strlen(err) > 0);
    make_ht(&f, "((1,2),3)", m, n); /* ranks not given */
    assert_int_equal(cm_net_build(&f, &net, err, sizeof err), -1);
    ht_fill_ranks(&f.tree, 3);
    assert_int_equal(cm_net_build(&f, &net, err, sizeof err), 0);
    /* d = 1: the single leaf is the root and has no rank index. */
    make_ht(&f, "1", m, n);
    build(&f, &net);
    assert_int_equal(net.nf, 1);
    assert_int_equal(net.nidx[0], 2);
    cm_order o;
    cm_order_cost c;
    cm_order_best(&net, &o, &c);
    assert_int_equal(c.macs, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_ids),
        cmocka_unit_test(test_tt_hand_costs),
        cmocka_unit_test(test_ht_hand_costs),
        cmocka_unit_test(test_ucf_tt),
        cmocka_unit_test(test_ucf_ht),
        cmocka_unit_test(test_tie_break),
        cmocka_unit_test(test_default_and_check),
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_build_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
