/*
 * test_params.c - weight formats (cm_format.c): kind names, validity checks
 * and the parameter counts of dense, TT, HT, TR and BT layers.
 *
 * The TT-LSTM shapes and totals are the published ones (the TT-LSTM
 * paper); every other expected count is worked out by hand in the
 * comment next to it.
 */
#include "test_util.h"

#include <limits.h>

#include "cm_format.h"

#define R_MAX INT_MAX /* 2^31 - 1, the largest rank the notation allows */

/* Input-to-hidden layers of TT-LSTM (Yang et al. 2017): rows = hidden 256
 * x 4 gates = 16*4*4*4 = 1024, columns = one video frame. */
static cm_modes ucf11(void)
{
    cm_modes md = {4, {16, 4, 4, 4}, {8, 20, 20, 18}};
    return md;
}
static cm_modes youtube(void)
{
    cm_modes md = {4, {16, 4, 4, 4}, {4, 20, 20, 36}};
    return md;
}
static cm_modes hollywood2(void)
{
    cm_modes md = {4, {16, 4, 4, 4}, {10, 18, 13, 30}};
    return md;
}

static ht_tree tree_of(const char *s, int fill)
{
    ht_tree t;
    char err[CM_ERRLEN] = "";
    if (ht_parse(s, &t, err, sizeof err))
        fail_msg("ht_parse(\"%s\"): %s", s, err);
    if (fill)
        ht_fill_ranks(&t, fill);
    return t;
}

/* ------------------------------------------------------------------ */

static void test_kind_names(void **state)
{
    (void)state;
    cm_kind k;
    assert_string_equal(cm_kind_name(CM_DENSE), "dense");
    assert_string_equal(cm_kind_name(CM_TT), "tt");
    assert_string_equal(cm_kind_name(CM_HT), "ht");
    assert_non_null(cm_kind_name((cm_kind)42));
    assert_int_equal(cm_kind_parse("dense", &k), 0);
    assert_int_equal(k, CM_DENSE);
    assert_int_equal(cm_kind_parse("tt", &k), 0);
    assert_int_equal(k, CM_TT);
    assert_int_equal(cm_kind_parse("ht", &k), 0);
    assert_int_equal(k, CM_HT);
    k = CM_TT;
    assert_int_equal(cm_kind_parse("HT", &k), -1);
    assert_int_equal(cm_kind_parse("", &k), -1);
    assert_int_equal(cm_kind_parse("htx", &k), -1);
    assert_int_equal(cm_kind_parse("tr", &k), -1);
    assert_int_equal(cm_kind_parse(NULL, &k), -1);
    assert_int_equal(k, CM_TT); /* untouched on failure */
}

/* Published (the TT-LSTM paper). */
static void test_tt_lstm(void **state)
{
    (void)state;
    int r[] = {1, 4, 4, 4, 1};
    cm_modes u = ucf11(), y = youtube(), h = hollywood2();
    /* UCF11: 1*16*8*4 + 4*4*20*4 + 4*4*20*4 + 4*4*18*1
     *      = 512 + 1280 + 1280 + 288 = 3360 */
    assert_int_equal(cm_tt_params(&u, r), 3360);
    /* YouTube: 1*16*4*4 + 1280 + 1280 + 4*4*36*1 = 256 + 2560 + 576 = 3392 */
    assert_int_equal(cm_tt_params(&y, r), 3392);
    /* Hollywood2: 1*16*10*4 + 4*4*18*4 + 4*4*13*4 + 4*4*30*1
     *           = 640 + 1152 + 832 + 480 = 3104 */
    assert_int_equal(cm_tt_params(&h, r), 3104);

    /* Dense: 1024 x 57,600 = 58,982,400 and 1024 x 70,200 = 71,884,800. */
    assert_int_equal(cm_dense_params(&u), 58982400);
    assert_int_equal(cm_dense_params(&y), 58982400);
    assert_int_equal(cm_dense_params(&h), 71884800);
    assert_int_equal(cm_modes_rows(&u), 1024);
    assert_int_equal(cm_modes_cols(&h), 70200);

    /* The same through the format value. */
    cm_format f;
    memset(&f, 0, sizeof f);
    f.kind = CM_TT;
    f.modes = u;
    memcpy(f.tt_rank, r, sizeof r);
    assert_int_equal(cm_format_check(&f, NULL, 0), 0);
    assert_int_equal(cm_format_params(&f), 3360);
    f.kind = CM_DENSE;
    assert_int_equal(cm_format_params(&f), 58982400);
}

static void test_tt_misc(void **state)
{
    (void)state;
    /* d = 1: the single core 1 x m x n x 1 is the dense matrix. */
    cm_modes one = {1, {7}, {9}};
    int r1[] = {1, 1};
    assert_int_equal(cm_tt_params(&one, r1), 63);
    /* uneven ranks, d = 3, m = (2,3,4), n = (5,6,7), r = 1,2,3,1:
     * 1*2*5*2 + 2*3*6*3 + 3*4*7*1 = 20 + 108 + 84 = 212 */
    cm_modes md = {3, {2, 3, 4}, {5, 6, 7}};
    int r[] = {1, 2, 3, 1};
    assert_int_equal(cm_tt_params(&md, r), 212);
    /* ends other than 1, or a rank < 1, are not TT */
    int bad_end[] = {2, 2, 3, 1}, bad_mid[] = {1, 0, 3, 1};
    assert_int_equal(cm_tt_params(&md, bad_end), -1);
    assert_int_equal(cm_tt_params(&md, bad_mid), -1);
}

/* HT counts: sum_k m_k n_k r_k + sum over internal nodes r_l r_r r_t. */
static void test_ht_hand(void **state)
{
    (void)state;
    cm_modes u = ucf11(), y = youtube(), h = hollywood2();
    /* UCF11 mode sizes m_k n_k: 16*8 = 128, 4*20 = 80, 80, 4*18 = 72;
     * sum = 360. */

    /* Balanced ((1,2),(3,4)), every rank 4:
     *   leaves 360*4 = 1440; transfers (12), (34): 4*4*4 = 64 each = 128;
     *   root 4*4*1 = 16.  Total 1440 + 128 + 16 = 1584. */
    ht_tree t = tree_of("((1,2),(3,4))", 4);
    assert_int_equal(cm_ht_params(&u, &t), 1584);
    /* Same tree on YouTube: sizes 64, 80, 80, 144 = 368; 368*4 = 1472;
     * + 128 + 16 = 1616. */
    assert_int_equal(cm_ht_params(&y, &t), 1616);
    /* Hollywood2: sizes 160, 72, 52, 120 = 404; 404*4 = 1616; +144 = 1760. */
    assert_int_equal(cm_ht_params(&h, &t), 1760);

    /* ((1:4,2:4):6,(3:4,4:4):6) on UCF11: leaves 1440; (12): 4*4*6 = 96;
     * (34): 96; root: 6*6*1 = 36.  Total 1440 + 96 + 96 + 36 = 1668. */
    t = tree_of("((1:4,2:4):6,(3:4,4:4):6)", 0);
    assert_int_equal(cm_ht_params(&u, &t), 1668);

    /* Caterpillar (((1:2,2:3):5,3:4):6,4:7) on UCF11:
     *   leaves 128*2 + 80*3 + 80*4 + 72*7 = 256 + 240 + 320 + 504 = 1320;
     *   (12): 2*3*5 = 30; (123): 5*4*6 = 120; root: 6*7*1 = 42.
     *   Total 1320 + 30 + 120 + 42 = 1512. */
    t = tree_of("(((1:2,2:3):5,3:4):6,4:7)", 0);
    assert_int_equal(cm_ht_params(&u, &t), 1512);
    /* The same tree written mirrored is the same tree and the same count. */
    t = tree_of("(4:7,(3:4,(2:3,1:2):5):6)", 0);
    assert_int_equal(cm_ht_params(&u, &t), 1512);

    /* ((1,3),(2,4)) rank 3 on m = (2,3,4,5), n = (1,1,1,1):
     *   leaves (2+3+4+5)*3 = 42; (13), (24): 3*3*3 = 27 each; root 9.
     *   Total 42 + 54 + 9 = 105. */
    cm_modes small = {4, {2, 3, 4, 5}, {1, 1, 1, 1}};
    t = tree_of("((2,4),(1,3))", 3);
    assert_int_equal(cm_ht_params(&small, &t), 105);

    /* d = 1: the leaf is the root, rank 1: m n = 7*9 = 63 (dense). */
    cm_modes one = {1, {7}, {9}};
    t = tree_of("1", 0);
    assert_int_equal(cm_ht_params(&one, &t), 63);

    /* Balanced d = 8, all m_k = n_k = 2 (sizes 4), rank 2:
     *   leaves 8*4*2 = 64; 6 non-root internal nodes 2*2*2 = 8 each = 48;
     *   root 2*2*1 = 4.  Total 116. */
    cm_modes eight = {8, {2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2}};
    ht_balanced(8, &t);
    ht_fill_ranks(&t, 2);
    assert_int_equal(cm_ht_params(&eight, &t), 116);
}

static void test_ht_invalid(void **state)
{
    (void)state;
    cm_modes u = ucf11();
    /* ranks not given -> no count */
    ht_tree t = tree_of("((1,2),(3,4))", 0);
    assert_int_equal(cm_ht_params(&u, &t), -1);
    /* tree on 3 modes, matrix with 4 */
    t = tree_of("((1,2),3)", 4);
    assert_int_equal(cm_ht_params(&u, &t), -1);
}

/* Tensor ring: sum_k r_{k-1} m_k n_k r_k with r_0 = r_d = R. */
static void test_tr_hand(void **state)
{
    (void)state;
    cm_modes u = ucf11();
    /* All ranks 4: sum_k 4 * (m_k n_k) * 4 = 16 * 360 = 5760. */
    int r4[] = {4, 4, 4, 4, 4};
    assert_int_equal(cm_tr_params(&u, r4), 5760);
    /* r = 2,4,4,4,2: 2*128*4 + 4*80*4 + 4*80*4 + 4*72*2
     *              = 1024 + 1280 + 1280 + 576 = 4160. */
    int r2[] = {2, 4, 4, 4, 2};
    assert_int_equal(cm_tr_params(&u, r2), 4160);
    /* Ring rank 1 is TT: 3360. */
    int r1[] = {1, 4, 4, 4, 1};
    assert_int_equal(cm_tr_params(&u, r1), 3360);
    /* ends must agree */
    int bad[] = {2, 4, 4, 4, 3};
    assert_int_equal(cm_tr_params(&u, bad), -1);
}

/* Block term: nb * (sum_k m_k n_k rank + rank^d). */
static void test_bt_hand(void **state)
{
    (void)state;
    cm_modes u = ucf11();
    /* nb = 1, rank 4: 360*4 + 4^4 = 1440 + 256 = 1696. */
    assert_int_equal(cm_bt_params(&u, 1, 4), 1696);
    /* nb = 3, rank 2: 3 * (360*2 + 2^4) = 3 * (720 + 16) = 2208. */
    assert_int_equal(cm_bt_params(&u, 3, 2), 2208);
    /* d = 3, m = (2,3,4), n = (5,6,7): sizes 10, 18, 28 = 56;
     * nb = 2, rank 3: 2 * (56*3 + 27) = 2 * 195 = 390. */
    cm_modes md = {3, {2, 3, 4}, {5, 6, 7}};
    assert_int_equal(cm_bt_params(&md, 2, 3), 390);
    assert_int_equal(cm_bt_params(&u, 0, 4), -1);
    assert_int_equal(cm_bt_params(&u, 1, 0), -1);
}

/* Counts that do not fit int64 are -1, never a wrapped value. */
static void test_overflow(void **state)
{
    (void)state;
    /* With R = 2^31-1: R^2 = 2^62 - 2^32 + 1, so 2 R^2 = 2^63 - 2^33 + 2
     * still fits and 3 R^2 does not. */

    /* TT d = 3, m = (2,2,2), n = 1, r = 1,R,R,1:
     * 2R + 2R^2 + 2R = (2^63 - 2^33 + 2) + (2^33 - 4) = 2^63 - 2
     * = INT64_MAX - 1: the largest count still representable here. */
    cm_modes md = {3, {2, 2, 2}, {1, 1, 1}};
    int r[] = {1, R_MAX, R_MAX, 1};
    assert_true(cm_tt_params(&md, r) == INT64_MAX - 1);
    /* m_1 = 3 adds R more: 2^63 - 2 + R > INT64_MAX. */
    md.m[0] = 3;
    assert_int_equal(cm_tt_params(&md, r), -1);
    /* one core alone overflowing: R * 3 * R. */
    md.m[0] = 2;
    md.m[1] = 3;
    assert_int_equal(cm_tt_params(&md, r), -1);

    /* TR: ring rank R on d = 3 unit modes: 3 R^2 > INT64_MAX. */
    cm_modes unit3 = {3, {1, 1, 1}, {1, 1, 1}};
    int rr[] = {R_MAX, R_MAX, R_MAX, R_MAX};
    assert_int_equal(cm_tr_params(&unit3, rr), -1);
    /* ... while d = 2 gives exactly 2 R^2 = 2^63 - 2^33 + 2. */
    cm_modes unit2 = {2, {1, 1}, {1, 1}};
    assert_true(cm_tr_params(&unit2, rr) == INT64_MAX - (INT64_C(1) << 33) + 3);

    /* Dense: sizes 2R and R multiply to 2 R^2 (fits); a third mode of
     * size 2 doubles it past 2^63. */
    cm_modes big = {2, {R_MAX, R_MAX}, {2, 1}};
    assert_true(cm_dense_params(&big) == INT64_MAX - (INT64_C(1) << 33) + 3);
    cm_modes bigger = {3, {R_MAX, R_MAX, 2}, {2, 1, 1}};
    assert_int_equal(cm_dense_params(&bigger), -1);

    /* HT (1,2) on modes of size R^2 each with leaf ranks 2:
     * 2 R^2 + 2 R^2 > INT64_MAX. */
    cm_modes huge = {2, {R_MAX, R_MAX}, {R_MAX, R_MAX}};
    ht_tree t = tree_of("(1,2)", 2);
    assert_int_equal(cm_ht_params(&huge, &t), -1);
    /* ... with rank 1 it is 2 R^2, which fits; root 1*1*1 = 1 more. */
    t = tree_of("(1,2)", 1);
    assert_true(cm_ht_params(&huge, &t) == INT64_MAX - (INT64_C(1) << 33) + 4);
    /* transfer tensor R x R x R alone overflows */
    cm_modes unit4 = {4, {1, 1, 1, 1}, {1, 1, 1, 1}};
    t = tree_of("((1,2),(3,4))", R_MAX);
    assert_int_equal(cm_ht_params(&unit4, &t), -1);

    /* BT: the core rank^3 with rank R overflows by itself. */
    assert_int_equal(cm_bt_params(&unit3, 1, R_MAX), -1);
    /* A block that fits times nb that does not: unit2, rank 2^16 gives a
     * block of (2^16)^2 + 2 * 2^16 = 2^32 + 2^17, and nb = R makes
     * (2^32 + 2^17)(2^31 - 1) = 2^63 + 2^48 - 2^32 - 2^17 > INT64_MAX. */
    assert_int_equal(cm_bt_params(&unit2, R_MAX, 65536), -1);
    /* ... whereas nb = 2 gives 2^33 + 2^18 = 8,590,196,736. */
    assert_true(cm_bt_params(&unit2, 2, 65536) == INT64_C(8590196736));

    /* Invalid shapes are refused rather than counted. */
    cm_modes zero = {2, {1, 0}, {1, 1}};
    int r2[] = {1, 1, 1};
    assert_int_equal(cm_dense_params(&zero), -1);
    assert_int_equal(cm_tt_params(&zero, r2), -1);
    cm_modes nine = {9, {1}, {1}};
    assert_int_equal(cm_dense_params(&nine), -1);
}

static void expect_check_fails(const cm_format *f, const char *needle)
{
    char err[CM_ERRLEN] = "";
    assert_int_equal(cm_format_check(f, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    assert_null(strchr(err, '\n'));
    if (needle && !strstr(err, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err, needle);
}

static void test_format_check(void **state)
{
    (void)state;
    cm_format f;
    char err[CM_ERRLEN];

    memset(&f, 0, sizeof f);
    f.kind = CM_DENSE;
    f.modes = ucf11();
    assert_int_equal(cm_format_check(&f, err, sizeof err), 0);

    /* TT */
    f.kind = CM_TT;
    int r[] = {1, 4, 4, 4, 1};
    memcpy(f.tt_rank, r, sizeof r);
    assert_int_equal(cm_format_check(&f, err, sizeof err), 0);
    f.tt_rank[0] = 2;
    expect_check_fails(&f, "end ranks");
    f.tt_rank[0] = 1;
    f.tt_rank[4] = 4;
    expect_check_fails(&f, "end ranks");
    f.tt_rank[4] = 1;
    f.tt_rank[2] = 0;
    expect_check_fails(&f, "r2");

    /* HT */
    f.kind = CM_HT;
    f.tree = tree_of("((1:4,2:4):6,(3:4,4:4):6)", 0);
    assert_int_equal(cm_format_check(&f, err, sizeof err), 0);
    assert_int_equal(cm_format_params(&f), 1668); /* see test_ht_hand */
    f.tree = tree_of("((1,2),(3,4))", 0);
    expect_check_fails(&f, "not given");
    f.tree = tree_of("((1,2),3)", 4);
    expect_check_fails(&f, "3 modes");

    /* A tree whose numbering is not canonical: children of the root
     * swapped by hand ((34) left of (12)). */
    f.tree = tree_of("((1,2),(3,4))", 4);
    f.tree.left[6] = 5;
    f.tree.right[6] = 4;
    expect_check_fails(&f, "canonical");
    /* ... a stale mask */
    f.tree = tree_of("((1,2),(3,4))", 4);
    f.tree.mask[4] = 7u;
    expect_check_fails(&f, "canonical");
    /* ... and a node used twice as a child (not a tree at all). */
    f.tree = tree_of("((1,2),(3,4))", 4);
    f.tree.right[5] = 2;
    expect_check_fails(&f, "malformed");
    assert_int_equal(cm_ht_params(&f.modes, &f.tree), -1);

    /* modes */
    f.kind = CM_DENSE;
    f.modes.m[1] = 0;
    expect_check_fails(&f, NULL);
    f.modes = ucf11();
    f.modes.d = 0;
    expect_check_fails(&f, NULL);
    f.modes.d = CM_MAX_D + 1;
    expect_check_fails(&f, NULL);

    /* unknown kind */
    f.modes = ucf11();
    f.kind = (cm_kind)7;
    expect_check_fails(&f, "kind");
    assert_int_equal(cm_format_params(&f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_tt_lstm),
        cmocka_unit_test(test_tt_misc),
        cmocka_unit_test(test_ht_hand),
        cmocka_unit_test(test_ht_invalid),
        cmocka_unit_test(test_tr_hand),
        cmocka_unit_test(test_bt_hand),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_format_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
