/*
 * test_cli_hsvd.c - `dse hsvd` end to end: runs the dse binary (DSE_BIN) on
 * small .npy files written here, checks the JSON report against numbers
 * known independently (parameter counts by formula, exactness at full rank,
 * the bounds bracket, y = W x against a plain product) and that every bad
 * input exits 2 with exactly one line "dse hsvd: ..." on stderr.
 */
#include "test_util.h"
#include "cm_hsvd.h"
#include "npy.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Modes of the test matrix: out 4x3x2 (M = 24), in 2x3x4 (N = 24). */
#define M_ROWS 24
#define N_COLS 24
static double Wm[M_ROWS * N_COLS];

static void write_npy(const char *name, int ndim, int64_t r, int64_t c, const double *v)
{
    char err[300];
    int64_t sh[2] = {r, c};
    if (npy_write(tu_path(name), ndim, sh, v, err, sizeof err))
        fail_msg("npy_write: %s", err);
}

static int setup(void **state)
{
    if (tu_dir_setup(state))
        return -1;
    char err[CM_ERRLEN];
    if (cm_synth_matrix("decay", 3, M_ROWS, N_COLS, Wm, err, sizeof err))
        return -1;
    int64_t sh[2] = {M_ROWS, N_COLS};
    return npy_write(tu_path("W.npy"), 2, sh, Wm, err, sizeof err);
}

typedef struct {
    int status;
    char *out, *err;
} run_result;

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* Run `dse hsvd ARGS` (ARGS already shell-quoted), collecting both streams. */
static run_result run_hsvd(const char *args)
{
    run_result r;
    r.status = tu_dse(&r.out, &r.err, "hsvd %s", args);
    assert_true(r.status >= 0 && r.status < 128); /* exited, not killed */
    return r;
}

/* Common arguments: the test matrix and its modes. */
static const char *base_args(const char *fmt)
{
    static char b[600];
    snprintf(b, sizeof b, "--weights '%s' --out-modes 4x3x2 --in-modes 2x3x4 --format %s",
             tu_path("W.npy"), fmt);
    return b;
}

/* ---------------------------------------------------------------- success */

static void test_help(void **state)
{
    (void)state;
    run_result r = run_hsvd("--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: dse hsvd"));
    assert_string_equal(r.err, "");
    run_free(&r);
}

static void test_json_ht(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "%s --ranks 3 --json", base_args("ht"));
    run_result r = run_hsvd(args);
    if (r.status != 0)
        fail_msg("exit %d: %s", r.status, r.err);
    const char *keys[] = {"rel_error", "bound_lower", "bound_upper", "params", "dense_params",
                          "compression", "norm", "tail", "rel_tail"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        (void)tu_json_num(r.out, keys[i]);
    /* Balanced tree on 3 modes: ((1,2),3), every rank 3. */
    assert_non_null(strstr(r.out, "\"tree\":\"((1:3,2:3):3,3:3)\""));
    assert_non_null(strstr(r.out, "\"node\":\"12\""));
    /* params = sum m_k n_k r + r^3 (node 12) + r^2 (root) = 24+27+24+27+9. */
    assert_true(tu_json_num(r.out, "params") == 111);
    assert_true(tu_json_num(r.out, "dense_params") == 576);
    assert_true(fabs(tu_json_num(r.out, "compression") - 576.0 / 111) < 1e-6);
    double e = tu_json_num(r.out, "rel_error"), lo = tu_json_num(r.out, "bound_lower"),
           up = tu_json_num(r.out, "bound_upper");
    assert_true(e > 0 && e < 1);
    assert_true(lo <= e * (1 + 1e-8) && e <= up * (1 + 1e-8));
    double nrm = 0;
    for (int i = 0; i < M_ROWS * N_COLS; i++)
        nrm += Wm[i] * Wm[i];
    assert_true(tu_rel(tu_json_num(r.out, "norm"), sqrt(nrm)) < 1e-8);
    assert_string_equal(r.err, "");
    run_free(&r);
}

static void test_full_rank_and_tol(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "%s --ranks 1000 --json", base_args("ht"));
    run_result r = run_hsvd(args);
    assert_int_equal(r.status, 0);
    assert_true(tu_json_num(r.out, "rel_error") < 1e-12);
    assert_non_null(strstr(r.out, "\"ranks_capped\":true"));
    run_free(&r);
    snprintf(args, sizeof args, "%s --tree '((1,3),2)' --tol 0.05 --json", base_args("ht"));
    r = run_hsvd(args);
    assert_int_equal(r.status, 0);
    assert_true(tu_json_num(r.out, "rel_error") <= 0.05);
    assert_true(tu_json_num(r.out, "bound_upper") <= 0.05);
    assert_non_null(strstr(r.out, "\"tree\":\"((1:"));
    run_free(&r);
    /* The text report. */
    snprintf(args, sizeof args, "%s --ranks 2", base_args("ht"));
    r = run_hsvd(args);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "rel_error"));
    assert_non_null(strstr(r.out, "bound_upper"));
    run_free(&r);
}

static void test_json_tt(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "%s --ranks 2,3 --json", base_args("tt"));
    run_result r = run_hsvd(args);
    if (r.status != 0)
        fail_msg("exit %d: %s", r.status, r.err);
    assert_non_null(strstr(r.out, "\"tt_ranks\":[1,2,3,1]"));
    /* params = 1*8*2 + 2*9*3 + 3*8*1 */
    assert_true(tu_json_num(r.out, "params") == 16 + 54 + 24);
    /* TT-SVD: error^2 = sum of the bond tails^2. */
    const char *p = r.out;
    double s2 = 0;
    while ((p = strstr(p, "\"tail\":")) != NULL) {
        double t = strtod(p + 7, NULL);
        s2 += t * t;
        p += 7;
    }
    assert_true(fabs(tu_json_num(r.out, "rel_error") - sqrt(s2) / tu_json_num(r.out, "norm")) <
                1e-8);
    run_free(&r);
    snprintf(args, sizeof args, "%s --tol 0.2 --json", base_args("tt"));
    r = run_hsvd(args);
    assert_int_equal(r.status, 0);
    assert_true(tu_json_num(r.out, "rel_error") <= 0.2);
    run_free(&r);
}

/* y = W_approx x: exact at full rank; otherwise within rel_error ||W||_F ||x||. */
static void test_apply_vector(void **state)
{
    (void)state;
    double x[N_COLS], y[M_ROWS], xn = 0;
    for (int j = 0; j < N_COLS; j++) {
        x[j] = sin(1.0 + j);
        xn += x[j] * x[j];
    }
    xn = sqrt(xn);
    for (int i = 0; i < M_ROWS; i++) {
        y[i] = 0;
        for (int j = 0; j < N_COLS; j++)
            y[i] += Wm[i * N_COLS + j] * x[j];
    }
    write_npy("x.npy", 1, N_COLS, 1, x);
    const char *ranks[2] = {"1000", "2"};
    for (int k = 0; k < 2; k++) {
        for (int tt = 0; tt < 2; tt++) {
            char args[1200];
            snprintf(args, sizeof args, "%s --ranks %s --x '%s' --y '%s' --json",
                     base_args(tt ? "tt" : "ht"), ranks[k], tu_path("x.npy"), tu_path("y.npy"));
            run_result r = run_hsvd(args);
            if (r.status != 0)
                fail_msg("exit %d: %s", r.status, r.err);
            npy_array ya;
            char err[300];
            assert_int_equal(npy_read(tu_path("y.npy"), &ya, err, sizeof err), 0);
            assert_int_equal(ya.ndim, 1);
            assert_int_equal(ya.count, M_ROWS);
            double d = 0;
            for (int i = 0; i < M_ROWS; i++)
                d += (ya.data[i] - y[i]) * (ya.data[i] - y[i]);
            d = sqrt(d);
            double e = tu_json_num(r.out, "rel_error"), nw = tu_json_num(r.out, "norm");
            assert_true(d <= e * nw * xn * (1 + 1e-8) + 1e-10);
            if (k == 0)
                assert_true(d < 1e-10);
            assert_non_null(strstr(r.out, "\"order\":"));
            npy_free(&ya);
            run_free(&r);
        }
    }
}

static int file_has(const char *path, const char *s)
{
    assert_int_equal(access(path, R_OK), 0); /* a missing file fails, not "" */
    char *b = tu_slurp(path);
    int ok = strstr(b + 10, s) != NULL; /* past the binary preamble (its length has a 0) */
    free(b);
    return ok;
}

static void test_save(void **state)
{
    (void)state;
    char args[1200];
    snprintf(args, sizeof args, "%s --ranks 3 --save '%s'", base_args("ht"), tu_path("fac"));
    run_result r = run_hsvd(args);
    if (r.status != 0)
        fail_msg("exit %d: %s", r.status, r.err);
    run_free(&r);
    assert_true(file_has(tu_path("fac/U1.npy"), "'shape': (4, 2, 3)"));
    assert_true(file_has(tu_path("fac/U2.npy"), "'shape': (3, 3, 3)"));
    assert_true(file_has(tu_path("fac/U3.npy"), "'shape': (2, 4, 3)"));
    assert_true(file_has(tu_path("fac/B12.npy"), "'shape': (3, 3, 3)"));
    npy_array b;
    char err[300];
    assert_int_equal(npy_read(tu_path("fac/B123.npy"), &b, err, sizeof err), 0);
    assert_int_equal(b.shape[0], 3);
    assert_int_equal(b.shape[1], 3);
    npy_free(&b);
    snprintf(args, sizeof args, "%s --ranks 2 --save '%s'", base_args("tt"), tu_path("fac"));
    r = run_hsvd(args);
    assert_int_equal(r.status, 0);
    run_free(&r);
    assert_true(file_has(tu_path("fac/G1.npy"), "'shape': (1, 4, 2, 2)"));
    assert_true(file_has(tu_path("fac/G3.npy"), "'shape': (2, 2, 4, 1)"));
}

/* ---------------------------------------------------------------- failures */

/* Exit status want, nothing on stdout, exactly one line "dse hsvd: ..." on stderr. */
static void expect_fail(const char *args, int want, const char *msg)
{
    run_result r = run_hsvd(args);
    if (r.status != want)
        fail_msg("'%s': exit %d, expected %d (stderr: %s)", args, r.status, want, r.err);
    assert_string_equal(r.out, "");
    if (strncmp(r.err, "dse hsvd: ", 10) != 0)
        fail_msg("'%s': stderr '%s'", args, r.err);
    size_t n = strlen(r.err);
    assert_true(n > 11 && r.err[n - 1] == '\n' && strchr(r.err, '\n') == r.err + n - 1);
    if (msg && !strstr(r.err, msg))
        fail_msg("'%s': expected '%s' in '%s'", args, msg, r.err);
    run_free(&r);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    /* files for the refusals */
    double v[6] = {1, 2, 3, 4, 5, 6}, bad[M_ROWS * N_COLS];
    write_npy("vec.npy", 1, 6, 1, v);
    write_npy("small.npy", 2, 2, 3, v);
    memcpy(bad, Wm, sizeof bad);
    bad[5] = NAN;
    {
        /* npy_write does not check values: a NaN goes through to the reader */
        write_npy("nan.npy", 2, M_ROWS, N_COLS, bad);
    }
    FILE *f = fopen(tu_path("junk.npy"), "wb");
    assert_non_null(f);
    fputs("this is not a numpy file", f);
    fclose(f);
    assert_int_equal(mkdir(tu_path("dir.npy"), 0700), 0);
    write_npy("xshort.npy", 1, 5, 1, v);
    static const struct {
        const char *fmt; /* %s = the common arguments (or ignored) */
        const char *msg;
    } cases[] = {
        {"", "required"},
        {"%s --ranks 2 --bogus", "unknown option"},
        {"%s --ranks", "needs a value"},
        {"%s --ranks 2 extra", "unexpected argument"},
        {"--weights W --in-modes 2x3x4 --out-modes 4x3x2 --format dense --ranks 2",
         "unknown format"},
        {"--weights W --in-modes 2x3x4 --out-modes 4x3x2 --format foo", "unknown format"},
        /* control bytes in arguments are shown as '?': still one line */
        {"--weights W --in-modes 2x3x4 --out-modes 4x3x2 --format 'h\nt'", "'h?t'"},
        {"--weights 'no\nsuch.npy' --in-modes 2x3x4 --out-modes 4x3x2 --format ht --ranks 2",
         "'no?such.npy'"},
        {"--weights W --in-modes '2x3\nx4' --out-modes 4x3x2 --format ht", "--in-modes"},
        {"%s --ranks 2 '\033[31mred'", "unexpected argument"},
        {"--weights W --in-modes 2x3 --out-modes 4x3x2 --format ht", "modes"},
        {"--weights W --in-modes 2x0x4 --out-modes 4x3x2 --format ht", "--in-modes"},
        {"--weights W --in-modes 2x3x4 --out-modes 4xx2 --format ht", "--out-modes"},
        {"%s --ranks 2 --tol 0.1", "not both"},
        {"%s --tol -1", "--tol"},
        {"%s --tol abc", "--tol"},
        {"%s --tol nan", "--tol"},
        {"%s --ranks 0", "--ranks"},
        {"%s --ranks 2,3", "--ranks"},
        {"%s", "--ranks R or --tol"},
        {"%s --tree '((1,2),3' --ranks 2", "--tree"},
        {"%s --tree '((1,2),(3,4))' --ranks 2", "--tree has 4 modes"},
        {"%s --tree '((1:2,2:2):2,3)'", "--ranks R or --tol"},
        {"%s --ranks 2 --x '@x'", "go together"},
        {"%s --ranks 2 --x '@xshort.npy' --y '@y.npy'", "--x"},
        {"%s --ranks 2 --x '@missing.npy' --y '@y.npy'", "--x"},
        {"%s --ranks 2 --save '@vec.npy'", "not a directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[2048], fmt[1024];
        /* '@name' stands for a file in the temporary directory */
        const char *src = cases[i].fmt;
        size_t o = 0;
        for (; *src && o + 300 < sizeof fmt; src++) {
            if (*src == '@') {
                src++;
                size_t l = strcspn(src, "'");
                char name[64];
                snprintf(name, sizeof name, "%.*s", (int)l, src);
                o += (size_t)snprintf(fmt + o, sizeof fmt - o, "%s", tu_path(name));
                src += l - 1;
            } else {
                fmt[o++] = *src;
            }
        }
        fmt[o] = 0;
        const char *pct = strstr(fmt, "%s");
        if (pct)
            snprintf(args, sizeof args, "%.*s%s%s", (int)(pct - fmt), fmt, base_args("ht"),
                     pct + 2);
        else
            snprintf(args, sizeof args, "%s", fmt);
        expect_fail(args, 2, cases[i].msg);
    }
    /* TT-specific */
    char args[2048];
    snprintf(args, sizeof args, "%s --ranks 1,2,3", base_args("tt"));
    expect_fail(args, 2, "takes 1 or 2 ranks");
    snprintf(args, sizeof args, "%s --ranks 2 --tree '((1,2),3)'", base_args("tt"));
    expect_fail(args, 2, "--tree");
    snprintf(args, sizeof args, "%s", base_args("tt"));
    expect_fail(args, 2, "--ranks R or --tol");
    /* weights files */
    const char *files[][2] = {{"missing.npy", "cannot open"},
                              {"dir.npy", "directory"},
                              {"junk.npy", "bad magic"},
                              {"vec.npy", "2-D"},
                              {"small.npy", "2 x 3 but the modes give 24 x 24"},
                              {"nan.npy", "NaN"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(args, sizeof args,
                 "--weights '%s' --out-modes 4x3x2 --in-modes 2x3x4 --format ht --ranks 2",
                 tu_path(files[i][0]));
        expect_fail(args, 2, files[i][1]);
    }
    /* An unwritable output is an I/O failure: exit 1, still one line. */
    write_npy("x.npy", 1, N_COLS, 1, Wm);
    snprintf(args, sizeof args, "%s --ranks 2 --x '%s' --y '%s'", base_args("ht"),
             tu_path("x.npy"), tu_path("no/such/dir/y.npy"));
    expect_fail(args, 1, "cannot create");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_json_ht),
        cmocka_unit_test(test_full_rank_and_tol),
        cmocka_unit_test(test_json_tt),
        cmocka_unit_test(test_apply_vector),
        cmocka_unit_test(test_save),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, setup, tu_dir_teardown);
}
