/*
 * test_cli_eval.c - `dse eval` end to end through the binary: the JSON keys
 * and values of the published TT-LSTM layer and of a hand-counted HT layer,
 * and exit status 2 with one line on stderr for every kind of bad flag.
 */
#include "test_util.h"

static int eval(const char *args, char **out, char **err)
{
    return tu_dse(out, err, "eval %s", args);
}

/*
 * Value of the top-level "key": of a JSON object, as a double (NAN when
 * absent); nested objects, arrays and strings are skipped.
 */
static double json_num(const char *js, const char *key)
{
    size_t klen = strlen(key);
    int depth = 0;
    for (const char *p = js; *p; p++) {
        if (*p == '"') {
            const char *q = p + 1;
            while (*q && *q != '"')
                q += (*q == '\\' && q[1]) ? 2 : 1;
            if (depth == 1 && (size_t)(q - p - 1) == klen && !strncmp(p + 1, key, klen) &&
                q[0] == '"' && q[1] == ':')
                return strtod(q + 2, NULL);
            if (!*q)
                break;
            p = q;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        }
    }
    return NAN;
}

static void test_tt_ucf_json(void **state)
{
    (void)state;
    char *out, *err;
    int rc = eval("--format tt --in-modes 8x20x20x18 --out-modes 16x4x4x4 --ranks 4 --json",
                  &out, &err);
    assert_int_equal(rc, 0);
    /* Published TT-LSTM UCF11 = 1*16*8*4 + 4*4*20*4 + 4*4*20*4 + 4*4*18*1
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

/* The accelerator keys of --json, and their relations. */
static void test_hw_json(void **state)
{
    (void)state;
    static const char *keys[] = {"cycles", "stall_cycles", "conflicts", "macs",
                                 "utilization", "area_mm2", "energy_pj", "power_mw",
                                 "throughput_fps", "area_eff", "energy_eff"};
    char *out, *err;
    int rc = eval("--workload lstm --input 60 --hidden 4 --decomp separate --format ht "
                  "--in-modes 3x4x5 --out-modes 2x2x4 --ranks 2 --h-format tt "
                  "--h-in-modes 2x2 --h-out-modes 4x4 --h-ranks 2 --pe 4 --lanes 4 "
                  "--banks 8 --bank-map xor --freq-mhz 500 --json", &out, &err);
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (isnan(json_num(out, keys[i])))
            fail_msg("key %s missing in %s", keys[i], out);
    double fps = json_num(out, "throughput_fps"), area = json_num(out, "area_mm2");
    double epj = json_num(out, "energy_pj"), cyc = json_num(out, "cycles");
    /* Definitions: fps = f / cycles; area_eff = fps / area; energy_eff =
     * frames per joule = 1e12 / pJ per frame; power = pJ/frame * fps. */
    assert_true(tu_rel(fps, 500e6 / cyc) < 1e-9);
    assert_true(tu_rel(json_num(out, "area_eff"), fps / area) < 1e-6);
    assert_true(tu_rel(json_num(out, "energy_eff"), 1e12 / epj) < 1e-6);
    assert_true(tu_rel(json_num(out, "power_mw"), epj * 1e-12 * fps * 1e3) < 1e-6);
    /* params of both matrices: HT leaves 2*3*2 + 2*4*2 + 4*5*2 = 12 + 16 + 40
     * = 68 for the balanced tree ((1,2),3): node 12 2*2*2 = 8, root 2*2 = 4
     * -> 80; TT 1*4*2*2 + 2*4*2*1 = 16 + 16 = 32; total 112. */
    assert_true(json_num(out, "params") == 112);
    assert_non_null(strstr(out, "\"point\":\"lstm;"));
    free(out);
    free(err);
}

/* Both models on one small point: they must agree, and y is bit-true. */
static void test_models_agree(void **state)
{
    (void)state;
    static const char *maps[] = {"linear", "skew", "xor", "transform"};
    for (size_t i = 0; i < 4; i++) {
        char args[512], *out, *err;
        snprintf(args, sizeof args,
                 "--format ht --in-modes 4x6x5 --out-modes 3x2x4 --ranks 3 --pe 3 "
                 "--lanes 4 --banks 4 --bank-map %s --dataflow op --model both", maps[i]);
        int rc = eval(args, &out, &err);
        if (rc != 0 || !strstr(out, "agree"))
            fail_msg("%s: rc %d: %s %s", maps[i], rc, out, err);
        free(out);
        free(err);
    }
}

/* The canonical string printed by --json evaluates to the same point. */
static void test_point_roundtrip(void **state)
{
    (void)state;
    char *out, *err, *out2, *err2, pt[1024], args[1200];
    assert_int_equal(eval("--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --pe 2 "
                          "--bank-map skew --json", &out, &err), 0);
    const char *p = strstr(out, "\"point\":\"");
    assert_non_null(p);
    p += 9;
    size_t n = strcspn(p, "\"");
    assert_true(n < sizeof pt);
    memcpy(pt, p, n);
    pt[n] = '\0';
    snprintf(args, sizeof args, "--point '%s' --json", pt);
    assert_int_equal(eval(args, &out2, &err2), 0);
    assert_true(json_num(out2, "cycles") == json_num(out, "cycles"));
    assert_true(json_num(out2, "energy_pj") == json_num(out, "energy_pj"));
    assert_non_null(strstr(out2, pt));
    free(out);
    free(err);
    free(out2);
    free(err2);
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
        "--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --pe 0",
        "--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --lanes 9999",
        "--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --bank-map diagonal",
        "--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --dataflow xy",
        "--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --dataflow wp.op.wp",
        "--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --bits 17",
        "--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --tech nosuchnode",
        "--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --model exact",
        "--format tt --in-modes 3x5 --out-modes 2x4 --ranks 2 --workload cnn",
        "--workload lstm --input 10 --hidden 2 --format tt --in-modes 3x5 --out-modes 2x4 --ranks 2",
        "--workload lstm --input 15 --hidden 2 --decomp partial --format tt --in-modes 3x5 "
        "--out-modes 2x4 --ranks 2 --pad 40",
        "--workload lstm --input 15 --hidden 2 --decomp concat --pad 16 --format tt "
        "--in-modes 4x4 --out-modes 2x4 --ranks 2",
        "--point 'lstm;nin=3/bogus'",
        "--point 'mv/wx;f=dense;m=2;n=2;o=W;df=wp/hw;P=1' --pe 2",
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
        cmocka_unit_test(test_given_order),  cmocka_unit_test(test_hw_json),
        cmocka_unit_test(test_models_agree), cmocka_unit_test(test_point_roundtrip),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_bad_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
