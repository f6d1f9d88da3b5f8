/*
 * test_refcache.c - the error proxy's reference at any size, its spectra
 * cached in the results database (table spectrum), and `reference: {train:
 * DIR}` (dse/cmd/run_ref.c, dse/io/db_spectra.c, docs/SPEC.md "reference").
 *
 *   - a synthetic reference of 256 x 70,000 = 17.9 M entries (above the old
 *     2^24 limit) with a factorization whose one spectrum has 4 values: the
 *     stored err bounds equal the tail of the 4 x 4 Gram matrix's
 *     eigenvalues, computed here by Jacobi rotations from the same seeded
 *     matrix (cm_synth_matrix), an independent route (the library takes
 *     LAPACK's dsyevd);
 *   - the cache: a second run reads every spectrum (0 computed); its
 *     bounds are bit-identical to the run that computed them; a doctored
 *     cache row shows in the next run's bounds (so they do come from the
 *     cache); a reference of other values computes its own;
 *   - a file made before the table: read-only commands leave it so, a
 *     writing run adds it;
 *   - `reference: {train: DIR}` of a real `dse train --save` gives the
 *     bounds of `npy:` + `npy_wh:` on its two weight files, bit for bit.
 * FDHT_TEST_SCALE=small: the big reference shrinks to 256 x 2,000.
 */
#include "test_util.h"

#include "cm_hsvd.h"
#include "npy.h"
#include "test_clips.h"
#include "test_db_util.h"

#include <sys/stat.h>

/* Runs `dse ...` and fails the test unless it exits 0. */
static void dse_ok(const char *fmt, const char *a, const char *b)
{
    int rc = tu_dse(NULL, NULL, fmt, a, b);
    if (rc)
        fail_msg("dse %s %s: rc %d, %s", a, b, rc, tu_err);
}

/* "reference: N spectra: C computed, K read" of the last run: C and K. */
static void ref_counts(int *computed, int *cached)
{
    const char *p = strstr(tu_out, "reference: ");
    assert_non_null(p);
    int n;
    assert_int_equal(sscanf(p, "reference: %d spectra: %d computed, %d read", &n, computed,
                            cached), 3);
    assert_int_equal(*computed + *cached, n);
}

/* Every point's (err_upper, err_lower) of db, in point order; *n rows. */
static double *errs_of(const char *db, long *n)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT err_upper, err_lower FROM point"
                                           " ORDER BY point", -1, &st, NULL), SQLITE_OK);
    size_t cap = 1024;
    double *v = malloc(cap * sizeof *v);
    long k = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if ((size_t)(2 * k + 2) > cap)
            assert_non_null(v = realloc(v, (cap *= 2) * sizeof *v));
        assert_int_equal(sqlite3_column_type(st, 0), SQLITE_FLOAT);
        v[2 * k] = sqlite3_column_double(st, 0);
        v[2 * k + 1] = sqlite3_column_double(st, 1);
        k++;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    *n = k;
    return v;
}

static void assert_same_errs(const char *a, const char *b)
{
    long na, nb;
    double *x = errs_of(a, &na), *y = errs_of(b, &nb);
    assert_true(na > 0);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, sizeof *x * 2 * (size_t)na); /* bit for bit */
    free(x);
    free(y);
}

static void sql(const char *db, const char *text)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    if (sqlite3_exec(h, text, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", text, sqlite3_errmsg(h));
    sqlite3_close(h);
}

static long long count_spectra(const char *db)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    long long n = -1;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM spectrum", -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* ---- a reference above 2^24 entries ---- */

/* Eigenvalues of a symmetric 4 x 4 matrix by cyclic Jacobi rotations. */
static void jacobi4(double a[4][4], double ev[4])
{
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int p = 0; p < 4; p++)
            for (int q = p + 1; q < 4; q++)
                off += a[p][q] * a[p][q];
        if (off < 1e-30 * (a[0][0] * a[0][0] + a[1][1] * a[1][1]))
            break;
        for (int p = 0; p < 4; p++)
            for (int q = p + 1; q < 4; q++) {
                if (a[p][q] == 0)
                    continue;
                double th = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < 4; k++) { /* columns p, q */
                    double kp = a[k][p], kq = a[k][q];
                    a[k][p] = c * kp - s * kq;
                    a[k][q] = s * kp + c * kq;
                }
                for (int k = 0; k < 4; k++) { /* rows p, q */
                    double pk = a[p][k], qk = a[q][k];
                    a[p][k] = c * pk - s * qk;
                    a[q][k] = s * pk + c * qk;
                }
            }
    }
    for (int i = 0; i < 4; i++)
        ev[i] = a[i][i];
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * W_x 256 x N (N = 70,000: 17.9 M entries > 2^24 = 16.8 M), modes out 128x2,
 * in (N/2)x2, TT ranks 1 and 2 (r = 1,r,1).  The one bond's matricization
 * has rows (i1, j1) and columns (i2, j2): 4 columns, so 4 singular values,
 * the square roots of the eigenvalues of its 4 x 4 Gram matrix G[c][c'] =
 * sum over (i1, j1) of W[i1*2+i2][j1*2+j2] W[...'].  err bound (TT, one bond:
 * lower = upper) = sqrt(sum_{k > r} lambda_k) / ||[W_x | W_h]||_F, W_h the
 * synthetic 256 x 64 of seed + 1.
 */
static void test_big_reference(void **state)
{
    (void)state;
    const long N = tu_scaled(70000, 2000), R = 256, H = 64;
    if (tu_small())
        printf("small scale: W_x 256 x %ld\n", N);
    char spec[2048];
    snprintf(spec, sizeof spec,
             "version: 1\nname: bigref\nworkload:\n  n_in: %ld\n  hidden: %ld\n"
             "  decomposition: partial\nspace:\n  formats: [tt]\n  modes:\n"
             "    wx: {out: [128x2], in: [%ldx2]}\n  ranks:\n    values: [1, 2]\n"
             "reference:\n  synthetic: gaussian\n  seed: 7\n", N, H, N / 2);
    tu_write_file(tu_path("big.yaml"), spec);
    dse_ok("run %s --db %s --quiet", tu_path("big.yaml"), tu_path("big.db"));
    int computed, cached;
    ref_counts(&computed, &cached);
    assert_int_equal(computed, 1);
    assert_int_equal(cached, 0);

    double *W = malloc(sizeof(double) * (size_t)(R * N)), *Wh = malloc(sizeof(double) * R * H);
    char err[256];
    assert_true(W && Wh);
    assert_int_equal(cm_synth_matrix("gaussian", 7, R, N, W, err, sizeof err), 0);
    assert_int_equal(cm_synth_matrix("gaussian", 8, R, H, Wh, err, sizeof err), 0);
    double G[4][4] = {{0}}, norm2 = 0, ev[4];
    for (long i1 = 0; i1 < 128; i1++)
        for (long j1 = 0; j1 < N / 2; j1++) {
            double v[4];
            for (int c = 0; c < 4; c++) /* c = i2 * 2 + j2 */
                v[c] = W[(i1 * 2 + c / 2) * N + j1 * 2 + c % 2];
            for (int c = 0; c < 4; c++)
                for (int d = 0; d < 4; d++)
                    G[c][d] += v[c] * v[d];
        }
    for (long k = 0; k < R * N; k++)
        norm2 += W[k] * W[k];
    for (long k = 0; k < R * H; k++)
        norm2 += Wh[k] * Wh[k];
    jacobi4(G, ev);
    qsort(ev, 4, sizeof ev[0], cmp_desc);

    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(tu_path("big.db"), &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT wx_ranks, err_upper, err_lower FROM results",
                                        -1, &st, NULL), SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int r = atoi(strchr((const char *)sqlite3_column_text(st, 0), ',') + 1);
        double tail2 = 0;
        for (int k = r; k < 4; k++)
            tail2 += ev[k];
        double want = sqrt(tail2 / norm2);
        assert_true(r == 1 || r == 2);
        assert_true(tu_rel(sqlite3_column_double(st, 1), want) < 1e-9);
        assert_true(tu_rel(sqlite3_column_double(st, 2), want) < 1e-9);
        rows++;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_true(rows >= 2);
    free(W);
    free(Wh);

    /* again: the spectrum and the norms come from the database */
    dse_ok("run %s --db %s --quiet", tu_path("big.yaml"), tu_path("big.db"));
    ref_counts(&computed, &cached);
    assert_int_equal(computed, 0);
    assert_int_equal(cached, 1);
    assert_int_equal(count_spectra(tu_path("big.db")), 2); /* the spectrum and norm2 */
}

/* ---- the cache ---- */

static const char small_spec[] =
    "version: 1\nname: %s\nworkload:\n  n_in: 56\n  hidden: 4\n"
    "  decomposition: [partial, concat, separate]\nspace:\n  formats: [ht, tt]\n"
    "  modes:\n    wx: {out: [4x4], in: [7x8, 6x10]}\n    wh: {out: [4x4], in: [2x2]}\n"
    "  trees: all\n  ranks:\n    values: [2, 3]\n"
    "reference:\n  npy: %s\n  npy_wh: wh.npy\n";

/* A seeded 16 x cols .npy (float64). */
static void write_matrix(const char *path, long cols, uint64_t seed)
{
    double *w = malloc(sizeof(double) * 16 * (size_t)cols);
    char err[256];
    int64_t shape[2] = {16, cols};
    assert_non_null(w);
    assert_int_equal(cm_synth_matrix("gaussian", seed, 16, cols, w, err, sizeof err), 0);
    if (npy_write(path, 2, shape, w, err, sizeof err))
        fail_msg("%s", err);
    free(w);
}

static void write_small_spec(const char *file, const char *name, const char *wx)
{
    char text[1024];
    snprintf(text, sizeof text, small_spec, name, wx);
    tu_write_file(tu_path(file), text);
}

static void test_cache(void **state)
{
    (void)state;
    int computed, cached;
    write_matrix(tu_path("wx.npy"), 56, 11);
    write_matrix(tu_path("wx2.npy"), 56, 12);
    write_matrix(tu_path("wh.npy"), 4, 13);
    write_small_spec("a.yaml", "cache-a", "wx.npy");
    write_small_spec("b.yaml", "cache-b", "wx.npy"); /* same reference, another spec */
    write_small_spec("c.yaml", "cache-c", "wx2.npy");

    dse_ok("run %s --db %s --quiet", tu_path("a.yaml"), tu_path("one.db"));
    ref_counts(&computed, &cached);
    assert_true(computed > 0);
    assert_int_equal(cached, 0);
    long long rows = count_spectra(tu_path("one.db"));
    assert_int_equal(rows, computed + 1); /* and norm2 */

    /* spec b over a copy of the database without its points: every point
     * evaluated again, every spectrum from the cache, the same bits */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tu_path("one.db"), tu_path("two.db"));
    assert_int_equal(system(cmd), 0);
    sql(tu_path("two.db"), "DELETE FROM run_point; DELETE FROM point; DELETE FROM run");
    dse_ok("run %s --db %s --quiet", tu_path("b.yaml"), tu_path("two.db"));
    int c2;
    ref_counts(&c2, &cached);
    assert_int_equal(c2, 0);
    assert_int_equal(cached, computed);
    assert_int_equal(count_spectra(tu_path("two.db")), rows);
    assert_same_errs(tu_path("one.db"), tu_path("two.db"));

    /* the bounds do come from the cache: a doctored rest shows */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tu_path("one.db"), tu_path("three.db"));
    assert_int_equal(system(cmd), 0);
    sql(tu_path("three.db"), "DELETE FROM run_point; DELETE FROM point; DELETE FROM run;"
                             " UPDATE spectrum SET rest = 1e6 WHERE fact <> 'norm2'");
    dse_ok("run %s --db %s --quiet", tu_path("b.yaml"), tu_path("three.db"));
    long n1, n3;
    double *e1 = errs_of(tu_path("one.db"), &n1), *e3 = errs_of(tu_path("three.db"), &n3);
    assert_int_equal(n1, n3);
    int raised = 0;
    for (long i = 0; i < 2 * n1; i++)
        raised += e3[i] > e1[i] + 1; /* tails of at least 1e3 over norms of ~30 */
    assert_true(raised > n1); /* every decomposed matrix's bounds */
    free(e1);
    free(e3);

    /* other values: other spectra, computed and added; other bounds */
    dse_ok("run %s --db %s --quiet", tu_path("c.yaml"), tu_path("one.db"));
    ref_counts(&c2, &cached);
    assert_int_equal(c2, computed);
    assert_int_equal(cached, 0);
    assert_int_equal(count_spectra(tu_path("one.db")), 2 * rows);
    /* and once more from the cache, bit for bit as computed */
    dse_ok("run %s --db %s --quiet", tu_path("c.yaml"), tu_path("c1.db"));
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tu_path("c1.db"), tu_path("c2.db"));
    assert_int_equal(system(cmd), 0);
    sql(tu_path("c2.db"), "DELETE FROM run_point; DELETE FROM point; DELETE FROM run");
    dse_ok("run %s --db %s --quiet", tu_path("c.yaml"), tu_path("c2.db"));
    ref_counts(&c2, &cached);
    assert_int_equal(c2, 0);
    assert_same_errs(tu_path("c1.db"), tu_path("c2.db"));
    long na, nc;
    double *ea = errs_of(tu_path("two.db"), &na), *ec = errs_of(tu_path("c1.db"), &nc);
    assert_int_equal(na, nc);
    assert_memory_not_equal(ea, ec, sizeof *ea * 2 * (size_t)na);
    free(ea);
    free(ec);
}

/* A file made before table spectrum: read-only commands answer and leave
 * it so; a writing run adds the table and fills it. */
static void test_old_file(void **state)
{
    (void)state;
    int computed, cached;
    write_matrix(tu_path("wx.npy"), 56, 11);
    write_matrix(tu_path("wh.npy"), 4, 13);
    write_small_spec("old.yaml", "cache-old", "wx.npy");
    dse_ok("run %s --db %s --quiet", tu_path("old.yaml"), tu_path("old.db"));
    sql(tu_path("old.db"), "DROP TABLE spectrum");
    int rc = tu_dse(NULL, NULL, "pareto --db %s --objective params:min --objective err_upper:min",
                    tu_path("old.db"));
    assert_int_equal(rc, 0);
    assert_non_null(strstr(tu_out, "err_upper"));
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(tu_path("old.db"), &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master"
                                           " WHERE name = 'spectrum'", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0); /* still without it */
    sqlite3_finalize(st);
    sqlite3_close(h);
    dse_ok("run %s --db %s --quiet", tu_path("old.yaml"), tu_path("old.db"));
    ref_counts(&computed, &cached);
    assert_true(computed > 0);
    assert_int_equal(cached, 0);
    assert_int_equal(count_spectra(tu_path("old.db")), computed + 1);
}

/* ---- reference: {train: DIR} ---- */

#define TNIN 16
#define TH 4
#define TPOINT "lstm;nin=16;h=4;dec=partial/wx;f=dense;m=16;n=16/wh;f=dense;m=16;n=4"

static void test_train_dir(void **state)
{
    (void)state;
    enum { NCLIP = 16, T = 2 };
    float x[NCLIP * T * TNIN];
    int64_t y[NCLIP];
    uint64_t s = 5;
    for (int i = 0; i < NCLIP; i++) {
        y[i] = i % 2;
        for (int k = 0; k < T * TNIN; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            x[i * T * TNIN + k] = (float)((s >> 40) % 1000) / 1000.0f + (float)y[i] * (k % 3);
        }
    }
    assert_int_equal(mkdir(tu_path("clips"), 0755), 0);
    tu_write_clips(tu_path("clips"), "train", NCLIP, T, TNIN, x, y);
    tu_write_clips(tu_path("clips"), "test", NCLIP, T, TNIN, x, y);
    int rc = tu_dse(NULL, NULL, "train --point '%s' --data %s --epochs 2 --batch 8 --seed 3 "
                    "--quiet --save %s", TPOINT, tu_path("clips"), tu_path("dense"));
    if (rc)
        fail_msg("dse train: %d %s", rc, tu_err);
    static const char body[] =
        "version: 1\nname: %s\nworkload:\n  n_in: 16\n  hidden: 4\n"
        "  decomposition: [partial, concat]\nspace:\n  formats: [ht, tt]\n"
        "  modes:\n    wx: {out: [4x4], in: [4x4, 4x5]}\n  trees: all\n  ranks:\n"
        "    values: [1, 2, 3]\nreference:\n%s";
    char text[1024];
    snprintf(text, sizeof text, body, "by-train", "  train: dense\n");
    tu_write_file(tu_path("t1.yaml"), text);
    snprintf(text, sizeof text, body, "by-npy",
             "  npy: dense/weight_ih_l0.npy\n  npy_wh: dense/weight_hh_l0.npy\n");
    tu_write_file(tu_path("t2.yaml"), text);
    dse_ok("run %s --db %s --quiet", tu_path("t1.yaml"), tu_path("t1.db"));
    dse_ok("run %s --db %s --quiet", tu_path("t2.yaml"), tu_path("t2.db"));
    assert_same_errs(tu_path("t1.db"), tu_path("t2.db"));
    /* the two are one reference: the same keys */
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(tu_path("t1.db"), &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    char att[600];
    snprintf(att, sizeof att, "ATTACH '%s' AS b", tu_path("t2.db"));
    assert_int_equal(sqlite3_exec(h, att, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT count(*) FROM spectrum),"
                                           " (SELECT count(*) FROM spectrum JOIN b.spectrum"
                                           " USING (ref, fact, mask, sv))", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_column_int(st, 0) > 1);
    assert_int_equal(sqlite3_column_int(st, 0), sqlite3_column_int(st, 1));
    sqlite3_finalize(st);
    sqlite3_close(h);

    /* another workload than the network's: one line, exit 2 */
    snprintf(text, sizeof text, body, "by-train", "  train: dense\n");
    char *w = strstr(text, "hidden: 4");
    w[8] = '8';
    tu_write_file(tu_path("t3.yaml"), text);
    rc = tu_dse(NULL, NULL, "run %s --no-db", tu_path("t3.yaml"));
    assert_int_equal(rc, 2);
    assert_non_null(strstr(tu_err, "the network has n_in 16, hidden 4; the workload has n_in 16, "
                                   "hidden 8"));
    assert_int_equal(tu_lines(tu_err), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_reference),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_old_file),
        cmocka_unit_test(test_train_dir),
    };
    return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
