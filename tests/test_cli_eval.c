/*
 * test_cli_eval.c - `dse eval` end to end through the binary: the JSON keys
 * and values of the published TT-LSTM layer and of a hand-counted HT layer,
 * and exit status 2 with one line on stderr for every kind of bad flag.
 */
#include "test_util.h"

static char cmd[2048];

static int eval(const char *args, char **out, char **err)
{
    snprintf(cmd, sizeof cmd, "%s eval %s", tu_dse_bin(), args);
    return tu_run(cmd, out, err);
}

/* Value of "key": in a flat JSON object, as a double (NAN when absent). */
static double json_num(const char *js, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(js, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static void test_tt_ucf_json(void **state)
{
    (void)state;
    char *out, *err;
    int rc = eval("--format tt --in-modes 8x20x20x18 --out-modes 16x4x4x4 --ranks 4 --json",
                  &out, &err);
    assert_int_equal(rc, 0);
    /* facts.md: TT-LSTM UCF11 = 1*16*8*4 + 4*4*20*4 + 4*4*20*4 + 4*4*18*1
     * = 512 + 1280 + 1280 + 288 = 3,360; dense 1,024 * 57,600 = 58,982,400. */
    assert_true(json_num(out, "params") == 3360);
    assert_true(json_num(out, "dense_params") == 58982400);
    assert_true(fabs(json_num(out, "compression") - 58982400.0 / 3360) < 0.1);
    /* Right-to-left sweep (hand count): core 4 on x (57,600 elements)
     * produces m4 r3 = 16 per consumed n4: 57,600*16 = 921,600; core 3:
     * 51,200*16 = 819,200; core 2: 10,240*16 = 163,840; core 1: 2,048*16 =
     * 32,768; total 1,937,408.  Peak = x itself, 57,600. */
    assert_true(json_num(out, "macs") == 1937408);
    assert_true(json_num(out, "peak_intermediate") == 57600);
    assert_non_null(strstr(out, "\"order\":\"4,3,2,1\""));
    assert_string_equal(err, "");
    free(out);
    free(err);
}

static void test_ht_tree_ranks(void **state)
{
    (void)state;
    char *out, *err;
    /* --ranks fills only what the tree leaves out: leaves 1, 2 rank 2, the
     * rest rank 3.  Params (hand): leaves 2*3*2 + 4*5*2 + 1*2*3 + 3*2*3 =
     * 12 + 40 + 6 + 18 = 76; node 12: 2*2*3 = 12; node 34: 3*3*3 = 27;
     * root: 3*3 = 9; total 124. */
    int rc = eval("--format ht --in-modes 3x5x2x2 --out-modes 2x4x1x3 "
                  "--tree '((2:2,1:2),(3,4))' --ranks 3 --json", &out, &err);
    assert_int_equal(rc, 0);
    assert_true(json_num(out, "params") == 124);
    assert_non_null(strstr(out, "\"tree\":\"((1:2,2:2):3,(3:3,4:3):3)\""));
    free(out);
    free(err);
}

static void test_given_order(void **state)
{
    (void)state;
    char *out, *err;
    /* TT 2 cores, in 3x5, out 2x4, rank 2.  Order 1,2: core 1 on x (15):
     * produces m1 r1 = 4 per consumed n1: 15*4 = 60 MACs -> T of 5*2*2 = 20;
     * core 2 consumes n2, r1 (10) and produces m2 = 4: 20*4 = 80 MACs;
     * total 140, peak max(15, 20, 8) = 20. */
    int rc = eval("--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --order 1,2 --json",
                  &out, &err);
    assert_int_equal(rc, 0);
    assert_true(json_num(out, "macs") == 140);
    assert_true(json_num(out, "peak_intermediate") == 20);
    free(out);
    free(err);
}

static void test_help(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(eval("--help", &out, &err), 0);
    assert_non_null(strstr(out, "usage: dse eval"));
    free(out);
    free(err);
}

/* Every bad input: exit 2, exactly one line on stderr, nothing on stdout. */
static void test_bad_flags(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "--format qr --in-modes 2x2 --out-modes 2x2",
        "--format tt --in-modes 2x2 --out-modes 2x2",
        "--format tt --in-modes 2x2 --out-modes 2x2 --ranks 0",
        "--format tt --in-modes 2x2 --out-modes 2x2 --ranks 2,2,2",
        "--format ht --in-modes 2x2x2 --out-modes 2x2",
        "--format ht --in-modes 2x0x2 --out-modes 2x2x2 --ranks 2",
        "--format ht --in-modes 2xx2 --out-modes 2x2 --ranks 2",
        "--format ht --in-modes 2x2 --out-modes 2x2 --ranks -1",
        "--format ht --in-modes 2x2 --out-modes 2x2 --tree '(1,1)' --ranks 2",
        "--format ht --in-modes 2x2 --out-modes 2x2 --tree '((1,2),3)' --ranks 2",
        "--format ht --in-modes 2x2x2 --out-modes 2x2x2 --tree '((1,2),3)'",
        "--format ht --in-modes 2x2 --out-modes 2x2 --ranks 2 --order 1,1,12",
        "--format ht --in-modes 2x2 --out-modes 2x2 --ranks 2 --order 12,1,2",
        "--format dense --in-modes 2x2 --out-modes 2x2 --ranks 3",
        "--format ht --in-modes 2x2 --out-modes 2x2 --ranks 2 --bogus",
        "--format ht --in-modes 2x2 --out-modes 2x2 --ranks 2 extra",
        "--format ht --in-modes 1000000x1000000x1000000 --out-modes 1000x1000x1000 --ranks 2",
        "--format tt --in-modes 2x2x2x2x2x2x2x2x2 --out-modes 2x2x2x2x2x2x2x2x2 --ranks 2",
        "--format ht --in-modes 2x2 --out-modes 2x2 --ranks 99999999999999999999",
        "--format",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out, *err;
        int rc = eval(bad[i], &out, &err);
        if (rc != 2 || tu_lines(err) != 1 || *out)
            fail_msg("eval %s: rc %d, stderr '%s', stdout '%s'", bad[i], rc, err, out);
        assert_non_null(strstr(err, "dse eval: "));
        free(out);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tt_ucf_json),  cmocka_unit_test(test_ht_tree_ranks),
        cmocka_unit_test(test_given_order),  cmocka_unit_test(test_help),
        cmocka_unit_test(test_bad_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
