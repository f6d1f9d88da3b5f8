/*
 * test_cli_train.c - `dse train` as a user runs it, on a .npy directory this
 * test writes (the walking-pixel task of test_train.c, 16 features a frame):
 *   - the same command twice gives the same numbers (every printed digit);
 *   - --save exports weight_ih_l0 ... fc_bias in PyTorch's layout, and an
 *     independent double-precision LSTM written here, fed with those files,
 *     gets the test accuracy `dse train` reported;
 *   - each HT node's matricization of the exported [W_ih | W_hh | 0] has at
 *     most the node's rank (the factors were what was trained);
 *   - SIGKILL in the middle of training, then the same command: it resumes
 *     from the checkpoint and ends with the bits of an uninterrupted run;
 *   - --db: every stored point of the network shows the accuracy in the
 *     results view, a point of another tree does not.
 */
#include "test_util.h"
#include "test_db_util.h"

#include "cm_hsvd.h"
#include "cm_point.h"
#include "db.h"
#include "npy.h"
#include "test_walk.h"
#include "test_clips.h"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>

enum { NIN = WALK_NIN, T = WALK_T, CLASSES = WALK_CLASSES, NTRAIN = 1536, NTEST = 256, H = 8 };

/* HT on [x; h; 0]: 16 + 8 = 24 columns, 32 rows. */
#define NET "lstm;nin=16;h=8;dec=concat;pad=24/wx;f=ht;m=2x4x4;n=2x3x4;t=((1:3,2:3):3,3:3)"

static char g_dir[] = "/tmp/fdht-train-XXXXXX";

static void clip(uint64_t *st, float *x, int64_t *y)
{
    *y = walk_clip(st, x);
}

static void write_split(const char *name, int n, uint64_t seed)
{
    char dir[512];
    float *x = malloc((size_t)n * T * NIN * sizeof *x);
    int64_t *y = malloc((size_t)n * sizeof *y);
    assert_true(x && y);
    uint64_t st = seed;
    for (int i = 0; i < n; i++)
        clip(&st, x + (size_t)i * T * NIN, y + i);
    snprintf(dir, sizeof dir, "%s/data", g_dir);
    tu_write_clips(dir, name, n, T, NIN, x, y);
    free(x);
    free(y);
}

static int setup(void **state)
{
    (void)state;
    char p[512];
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(p, sizeof p, "%s/data", g_dir);
    mkdir(p, 0777);
    write_split("train", NTRAIN, 1);
    write_split("test", NTEST, 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return tu_rmrf(g_dir);
}

/* Runs `dse train ... --json` with extra flags; the JSON line in out. */
static int train_json(const char *extra, char *out, size_t len)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s train --point '%s' --data %s/data --epochs 6 --batch 16 "
                              "--lr 0.02 --seed 3 --json --quiet %s",
             tu_dse_bin(), NET, g_dir, extra);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    out[0] = '\0';
    if (!fgets(out, (int)len, f))
        out[0] = '\0';
    return pclose(f);
}

/* The digits of "key": as printed. */
static void json_field(const char *js, const char *key, char *out, size_t len)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *p = strstr(js, k);
    assert_non_null(p);
    p += strlen(k);
    size_t n = strcspn(p, ",}");
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

static void same_fields(const char *a, const char *b)
{
    static const char *keys[] = {"test_accuracy", "test_loss", "train_accuracy", "train_loss",
                                 "val_accuracy", "params", "epochs"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char fa[64], fb[64];
        json_field(a, keys[i], fa, sizeof fa);
        json_field(b, keys[i], fb, sizeof fb);
        if (strcmp(fa, fb))
            fail_msg("%s differs: %s vs %s", keys[i], fa, fb);
    }
}

static void test_same_command_same_numbers(void **state)
{
    (void)state;
    char a[4096], b[4096];
    assert_int_equal(train_json("", a, sizeof a), 0);
    assert_int_equal(train_json("", b, sizeof b), 0);
    same_fields(a, b);
    if (tu_json_num(a, "test_accuracy") < 0.8) /* chance is 0.25 */
        fail_msg("test accuracy %.3f after 6 epochs: %s", tu_json_num(a, "test_accuracy"), a);
    assert_int_equal((int)tu_json_num(a, "epochs"), 6);
}

/* ---- export: an independent LSTM on the PyTorch-layout files ---- */

static double *load(const char *dir, const char *name, int64_t r, int64_t c)
{
    char p[600], err[256];
    npy_array a;
    snprintf(p, sizeof p, "%s/%s.npy", dir, name);
    if (npy_read(p, &a, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(a.shape[0], r);
    assert_int_equal(a.shape[1], c);
    return a.data;
}

static double sig(double v) { return 1 / (1 + exp(-v)); }

/* Test accuracy of nn.LSTM(16, 8) + Linear(8, 4) with the exported weights. */
static double exported_accuracy(const char *dir)
{
    double *wih = load(dir, "weight_ih_l0", 4 * H, NIN), *whh = load(dir, "weight_hh_l0", 4 * H, H);
    double *bih = load(dir, "bias_ih_l0", 4 * H, 1), *bhh = load(dir, "bias_hh_l0", 4 * H, 1);
    double *fw = load(dir, "fc_weight", CLASSES, H), *fb = load(dir, "fc_bias", CLASSES, 1);
    uint64_t st = 2; /* the test split's clips */
    int right = 0;
    for (int n = 0; n < NTEST; n++) {
        float x[T * NIN];
        int64_t y;
        clip(&st, x, &y);
        double h[H] = {0}, c[H] = {0}, z[4 * H];
        for (int t = 0; t < T; t++) {
            for (int r = 0; r < 4 * H; r++) {
                z[r] = bih[r] + bhh[r];
                for (int j = 0; j < NIN; j++)
                    z[r] += wih[r * NIN + j] * x[t * NIN + j];
                for (int j = 0; j < H; j++)
                    z[r] += whh[r * H + j] * h[j];
            }
            for (int j = 0; j < H; j++) {
                c[j] = sig(z[H + j]) * c[j] + sig(z[j]) * tanh(z[2 * H + j]);
                h[j] = sig(z[3 * H + j]) * tanh(c[j]);
            }
        }
        int arg = 0;
        double best = -1e300;
        for (int k = 0; k < CLASSES; k++) {
            double v = fb[k];
            for (int j = 0; j < H; j++)
                v += fw[k * H + j] * h[j];
            if (v > best) {
                best = v;
                arg = k;
            }
        }
        right += arg == y;
    }
    free(wih);
    free(whh);
    free(bih);
    free(bhh);
    free(fw);
    free(fb);
    return (double)right / NTEST;
}

/* Every HT node's matricization of [W_ih | W_hh | 0] (32 x 24, modes
 * 2x4x4 by 2x3x4) has at most the node's rank 3. */
static void check_ranks(const char *dir)
{
    double *wih = load(dir, "weight_ih_l0", 4 * H, NIN), *whh = load(dir, "weight_hh_l0", 4 * H, H);
    double W[32 * 24] = {0};
    for (int r = 0; r < 32; r++) {
        memcpy(W + r * 24, wih + r * NIN, NIN * sizeof(double));
        memcpy(W + r * 24 + NIN, whh + r * H, H * sizeof(double));
    }
    cm_modes md = {3, {2, 4, 4}, {2, 3, 4}};
    static const unsigned masks[] = {1, 2, 4, 3}; /* leaves 1, 2, 3 and node 12 */
    char err[256];
    for (size_t i = 0; i < 4; i++) {
        cm_spectrum s;
        assert_int_equal(cm_spectrum_compute(W, &md, masks[i], &s, err, sizeof err), 0);
        double s1 = s.n > 0 ? s.sv[0] : 0;
        assert_true(s1 > 0);
        /* rank <= 3: the tail beyond 3 is float rounding; a 4th value would
         * show as a tail of the order of the others */
        if (cm_spectrum_tail(&s, 3) > 1e-5 * s1)
            fail_msg("node mask %u: tail beyond rank 3 is %.3g of s1", masks[i],
                     cm_spectrum_tail(&s, 3) / s1);
        assert_true(cm_spectrum_tail(&s, 2) > 1e-3 * s1); /* and rank 3 is used */
        cm_spectrum_free(&s);
    }
    free(wih);
    free(whh);
}

static void test_export_reproduces_accuracy(void **state)
{
    (void)state;
    char js[4096], flag[700], dir[600];
    snprintf(dir, sizeof dir, "%s/save", g_dir);
    snprintf(flag, sizeof flag, "--save %s", dir);
    assert_int_equal(train_json(flag, js, sizeof js), 0);
    double reported = tu_json_num(js, "test_accuracy"), mine = exported_accuracy(dir);
    /* float32 training against a double forward: at most one near-tie flips */
    if (fabs(reported - mine) > 1.0 / NTEST + 1e-12)
        fail_msg("dse train reported %.4f, the exported weights give %.4f", reported, mine);
    check_ranks(dir);
    char p[700];
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    assert_int_equal(access(p, R_OK), 0);
    snprintf(p, sizeof p, "%s/wx_12.npy", dir); /* the factor of node 12 */
    assert_int_equal(access(p, R_OK), 0);
}

/* ---- kill and resume ---- */

static void file_bytes(const char *path, unsigned char **buf, long *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc((size_t)*len);
    assert_int_equal(fread(*buf, 1, (size_t)*len, f), (size_t)*len);
    fclose(f);
}

static void test_kill_resume_same_bits(void **state)
{
    (void)state;
    char dir[600], clean[4096], resumed[4096], ck[700];
    snprintf(dir, sizeof dir, "%s/killed", g_dir);
    snprintf(ck, sizeof ck, "%s/checkpoint.bin", dir);
    /* A longer run, so that the kill lands inside an epoch. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "exec %s train --point '%s' --data %s/data --epochs 12 --batch 8 "
                              "--seed 4 --quiet --save %s", tu_dse_bin_raw(), NET, g_dir, dir);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* Kill once the first checkpoint exists, plus a little: mid-epoch. */
    for (int i = 0; i < 20000 && access(ck, F_OK); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    nanosleep(&(struct timespec){0, 20000000}, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status)); /* killed before it finished */
    /* The same command again (with --json to read its result). */
    char c2[2200];
    snprintf(c2, sizeof c2, "%s train --point '%s' --data %s/data --epochs 12 --batch 8 "
                            "--seed 4 --json --quiet --save %s", tu_dse_bin(), NET, g_dir, dir);
    FILE *f = popen(c2, "r");
    assert_non_null(f);
    assert_non_null(fgets(resumed, sizeof resumed, f));
    assert_int_equal(pclose(f), 0);
    char d2[600];
    snprintf(d2, sizeof d2, "%s/clean", g_dir);
    snprintf(c2, sizeof c2, "%s train --point '%s' --data %s/data --epochs 12 --batch 8 "
                            "--seed 4 --json --quiet --save %s", tu_dse_bin(), NET, g_dir, d2);
    f = popen(c2, "r");
    assert_non_null(f);
    assert_non_null(fgets(clean, sizeof clean, f));
    assert_int_equal(pclose(f), 0);
    same_fields(clean, resumed);
    if (!strstr(resumed, "\"resumed\": true"))
        fail_msg("the second command did not resume: %s", resumed);
    /* the trained factors, bit for bit */
    static const char *files[] = {"wx_1.npy", "wx_12.npy", "wx_123.npy", "fc_weight.npy"};
    for (size_t i = 0; i < 4; i++) {
        char pa[700], pb[700];
        unsigned char *a, *b;
        long la, lb;
        snprintf(pa, sizeof pa, "%s/%s", dir, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", d2, files[i]);
        file_bytes(pa, &a, &la);
        file_bytes(pb, &b, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, (size_t)la);
        free(a);
        free(b);
    }
}

/* ---- the database: accuracy belongs to the network ---- */

static void test_db_accuracy_per_network(void **state)
{
    (void)state;
    char db[600], err[256], js[4096], flag[700];
    snprintf(db, sizeof db, "%s/acc.db", g_dir);
    /* Four stored points: two hardware variants (and orders) of NET; NET
     * rooted elsewhere, with the same edge ranks (one unrooted tree: the
     * same class, cm_netclass.h, shown by a copy of the row); and a tree
     * with another edge rank (leaf 2 at rank 2: another class). */
    const char *hw1 = "/hw;P=16;L=16;b=16;B=16;wm=131072;wg=65536;bw=12800;sfu=16;mhz=1000;"
                      "map=linear;tech=28nm";
    const char *hw2 = "/hw;P=4;L=8;b=8;B=8;wm=131072;wg=65536;bw=12800;sfu=16;mhz=500;"
                      "map=transform;tech=28nm";
    char pts[4][1024];
    snprintf(pts[0], 1024, "%s;o=1,2,12,3,123;df=wp%s", NET, hw1);
    snprintf(pts[1], 1024, "%s;o=3,1,2,12,123;df=op%s", NET, hw2);
    snprintf(pts[2], 1024, "lstm;nin=16;h=8;dec=concat;pad=24/wx;f=ht;m=2x4x4;n=2x3x4;"
                           "t=(1:3,(2:2,3:3):3);o=1,2,3,23,123;df=wp%s", hw1);
    snprintf(pts[3], 1024, "lstm;nin=16;h=8;dec=concat;pad=24/wx;f=ht;m=2x4x4;n=2x3x4;"
                           "t=(1:3,(2:3,3:3):3);o=1,2,3,23,123;df=wp%s", hw1);
    db_conn *d;
    assert_int_equal(db_open(db, DB_CREATE, &d, err, sizeof err), 0);
    db_run_info ri = {0};
    ri.shard_n = 1;
    int64_t run;
    assert_int_equal(db_run_begin(d, &ri, &run, err, sizeof err), 0);
    db_row rows[4];
    for (int i = 0; i < 4; i++) {
        cm_point p;
        if (cm_point_parse(pts[i], &p, err, sizeof err))
            fail_msg("%s: %s", pts[i], err);
        db_row_init(&rows[i], pts[i]);
    }
    assert_int_equal(db_insert_batch(d, run, rows, 4, NULL, err, sizeof err), 0);
    assert_int_equal(db_run_end(d, run, "done", err, sizeof err), 0);
    db_close(d);
    snprintf(flag, sizeof flag, "--db %s", db);
    assert_int_equal(train_json(flag, js, sizeof js), 0);
    double acc = tu_json_num(js, "test_accuracy");
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (int i = 0; i < 4; i++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(h, "SELECT coalesce(accuracy, -1) FROM results"
                                               " WHERE point = ?1", -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_text(st, 1, pts[i], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        double v = sqlite3_column_double(st, 0);
        sqlite3_finalize(st);
        if (i != 2 && fabs(v - acc) > 1e-12)
            fail_msg("point %d shows accuracy %g, trained %g", i, v, acc);
        if (i == 2 && v != -1)
            fail_msg("another tree shows accuracy %g", v);
    }
    sqlite3_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_command_same_numbers),
        cmocka_unit_test(test_export_reproduces_accuracy),
        cmocka_unit_test(test_kill_resume_same_bits),
        cmocka_unit_test(test_db_accuracy_per_network),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
