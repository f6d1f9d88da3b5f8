/*
 * test_traindata.c - the data of `dse train` (dse/io/traindata.h, dse/io/fmnist.h):
 * the Fashion-MNIST reader on synthetic idx.gz files written here with zlib
 * (exact pixels, each refusal); the moving-fmnist generator on those files,
 * whose every image carries its own index in its first pixels, so that a
 * clip shows which image it was made from (split pools disjoint, labels,
 * purity, bouncing, shapes, options) and on the real package when installed;
 * .npy directories (loading, val hold-out, the hash, every refusal); and
 * td_write_npy read back.
 */
#include "test_util.h"
#include "cm_hash.h"
#include "fmnist.h"
#include "npy.h"
#include "traindata.h"
#include "test_clips.h"

#include <sys/stat.h>
#include <zlib.h>

static char fmdir[300];
static unsigned char *syn_px[2], *syn_lb[2]; /* [0] train, [1] test */
static const int64_t syn_n[2] = {FM_TRAIN, FM_TEST};

/* ------------------------------------------------------- synthetic files */

/* Image k of split sp: white (255) but for pixels 0..2 = 1 + k % 250,
 * 1 + k / 250, 1 + sp: a frame shows which image it holds. */
static void syn_image(int sp, int64_t k, unsigned char *p)
{
    memset(p, 255, FM_PIXELS);
    p[0] = (unsigned char)(1 + k % 250);
    p[1] = (unsigned char)(1 + k / 250);
    p[2] = (unsigned char)(1 + sp);
}

static int syn_label(int sp, int64_t k)
{
    return (int)((k * 7 + 3 + sp) % 10);
}

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

/* An idx file, gzip level 1: header words, then n data bytes. */
static void write_idx(const char *path, const uint32_t *words, int nw, const unsigned char *data,
                      size_t n)
{
    gzFile g = gzopen(path, "wb1");
    assert_non_null(g);
    unsigned char h[16];
    for (int i = 0; i < nw; i++)
        put_be32(h + 4 * i, words[i]);
    assert_int_equal(gzwrite(g, h, (unsigned)(4 * nw)), 4 * nw);
    if (n)
        assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
}

static const char *fm_file(const char *dir, int sp, int images)
{
    static char p[2][480];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s-%s", dir, sp ? "t10k" : "train",
             images ? "images-idx3-ubyte.gz" : "labels-idx1-ubyte.gz");
    return p[k];
}

static void write_synthetic(const char *dir)
{
    assert_int_equal(mkdir(dir, 0700), 0);
    for (int sp = 0; sp < 2; sp++) {
        uint32_t wi[4] = {0x803, (uint32_t)syn_n[sp], 28, 28}, wl[2] = {0x801, (uint32_t)syn_n[sp]};
        write_idx(fm_file(dir, sp, 1), wi, 4, syn_px[sp], (size_t)syn_n[sp] * FM_PIXELS);
        write_idx(fm_file(dir, sp, 0), wl, 2, syn_lb[sp], (size_t)syn_n[sp]);
    }
}

static int setup(void **state)
{
    if (tu_dir_setup(state))
        return -1;
    for (int sp = 0; sp < 2; sp++) {
        syn_px[sp] = malloc((size_t)syn_n[sp] * FM_PIXELS);
        syn_lb[sp] = malloc((size_t)syn_n[sp]);
        if (!syn_px[sp] || !syn_lb[sp])
            return -1;
        for (int64_t k = 0; k < syn_n[sp]; k++) {
            syn_image(sp, k, syn_px[sp] + k * FM_PIXELS);
            syn_lb[sp][k] = (unsigned char)syn_label(sp, k);
        }
    }
    snprintf(fmdir, sizeof fmdir, "%s/fm", tu_dir);
    write_synthetic(fmdir);
    return setenv("FDHT_FMNIST_DIR", fmdir, 1);
}

static int teardown(void **state)
{
    fm_cache_clear();
    for (int sp = 0; sp < 2; sp++) {
        free(syn_px[sp]);
        free(syn_lb[sp]);
    }
    return tu_dir_teardown(state);
}

/* ------------------------------------------------------------- fmnist */

static void test_fmnist_reads_exact_pixels(void **state)
{
    (void)state;
    char err[512];
    fm_data *d;
    assert_int_equal(fm_load(fmdir, &d, err, sizeof err), 0);
    assert_int_equal(d->train.count, 60000);
    assert_int_equal(d->test.count, 10000);
    assert_memory_equal(d->train.pixels, syn_px[0], (size_t)FM_TRAIN * FM_PIXELS);
    assert_memory_equal(d->test.pixels, syn_px[1], (size_t)FM_TEST * FM_PIXELS);
    /* By hand: train image 12345 starts 1 + 12345 % 250 = 96, 1 + 12345 / 250 = 50,
     * 1 (train); its label is (12345 * 7 + 3) % 10 = 86418 % 10 = 8. */
    const unsigned char *p = d->train.pixels + 12345 * FM_PIXELS;
    assert_int_equal(p[0], 96);
    assert_int_equal(p[1], 50);
    assert_int_equal(p[2], 1);
    assert_int_equal(p[3], 255);
    assert_int_equal(d->train.labels[12345], 8);
    assert_int_equal(d->test.pixels[9999 * FM_PIXELS + 2], 2);
    fm_free(d);
    /* Cached: the same data for a second caller. */
    const fm_data *a = fm_get(fmdir, err, sizeof err), *b = fm_get(NULL, err, sizeof err);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_string_equal(fm_dir(), fmdir);
}

/* A copy of the synthetic directory with one file replaced by `bad`. */
static const char *bad_dir(const char *name, int sp, int images)
{
    static char d[300];
    snprintf(d, sizeof d, "%s/%s", tu_dir, name);
    assert_int_equal(mkdir(d, 0700), 0);
    for (int s = 0; s < 2; s++)
        for (int im = 0; im < 2; im++)
            if (s != sp || im != images)
                assert_int_equal(symlink(fm_file(fmdir, s, im), fm_file(d, s, im)), 0);
    return d;
}

static void expect_fm_refused(const char *dir, const char *want)
{
    char err[512] = "";
    fm_data *d = (fm_data *)1;
    assert_int_equal(fm_load(dir, &d, err, sizeof err), -1);
    assert_null(d);
    if (!strstr(err, want))
        fail_msg("expected '%s' in '%s'", want, err);
    assert_null(strchr(err, '\n'));
}

static void test_fmnist_refusals(void **state)
{
    (void)state;
    char want[700];
    snprintf(want, sizeof want, "moving-fmnist needs the Fashion-MNIST images: apt-get install "
             "dataset-fashion-mnist (looked in %s/nodir)", tu_dir);
    expect_fm_refused(tu_path("nodir"), want);
    /* One file missing.  (The defects below are in the train files, read
     * first, labels before images: no 47 MB inflated before a refusal.) */
    const char *d = bad_dir("nofile", 0, 1);
    expect_fm_refused(d, "(looked in");
    expect_fm_refused(d, ": no train-images-idx3-ubyte.gz)");
    /* Labels where images belong: magic 0x801. */
    d = bad_dir("magic", 0, 1);
    assert_int_equal(symlink(fm_file(fmdir, 0, 0), fm_file(d, 0, 1)), 0);
    expect_fm_refused(d, "train-images-idx3-ubyte.gz: bad magic 0x00000801 (an idx image "
                         "file starts with 0x00000803)");
    /* A plain (not gzip) file is read as is: its magic is checked the same way. */
    d = bad_dir("plain", 0, 0);
    FILE *f = fopen(fm_file(d, 0, 0), "wb");
    assert_non_null(f);
    fputs("GIF89a....", f);
    fclose(f);
    expect_fm_refused(d, "train-labels-idx1-ubyte.gz: bad magic 0x47494638");
    /* Wrong count, wrong size. */
    unsigned char img[FM_PIXELS * 2] = {0};
    d = bad_dir("count", 0, 1);
    write_idx(fm_file(d, 0, 1), (uint32_t[]){0x803, 2, 28, 28}, 4, img, sizeof img);
    expect_fm_refused(d, "train-images-idx3-ubyte.gz: 2 images, expected 60000");
    d = bad_dir("side", 0, 1);
    write_idx(fm_file(d, 0, 1), (uint32_t[]){0x803, 60000, 28, 32}, 4, img, sizeof img);
    expect_fm_refused(d, "images of 28 x 32 pixels, expected 28 x 28");
    /* Truncated data: the header promises 60,000 images, 2 follow (2 x 784 bytes). */
    d = bad_dir("short", 0, 1);
    write_idx(fm_file(d, 0, 1), (uint32_t[]){0x803, 60000, 28, 28}, 4, img, sizeof img);
    expect_fm_refused(d, "train-images-idx3-ubyte.gz: truncated: 1568 of the 47040000 bytes "
                         "of the images");
    /* Truncated header. */
    d = bad_dir("shorthdr", 0, 0);
    write_idx(fm_file(d, 0, 0), (uint32_t[]){0x801}, 1, NULL, 0);
    expect_fm_refused(d, "truncated: 4 of the 8 bytes of the header");
    /* One byte too many; a label of 10 (index 777). */
    static unsigned char lab[FM_TRAIN + 1];
    memcpy(lab, syn_lb[0], FM_TRAIN);
    d = bad_dir("long", 0, 0);
    write_idx(fm_file(d, 0, 0), (uint32_t[]){0x801, 60000}, 2, lab, sizeof lab);
    expect_fm_refused(d, "unexpected bytes after the 60000 labels");
    lab[777] = 10;
    d = bad_dir("label", 0, 0);
    write_idx(fm_file(d, 0, 0), (uint32_t[]){0x801, 60000}, 2, lab, FM_TRAIN);
    expect_fm_refused(d, "train-labels-idx1-ubyte.gz: label 10 at index 777 (expected 0..9)");
    /* A gzip stream cut short, and one whose CRC does not match. */
    d = bad_dir("gzcut", 0, 0);
    write_idx(fm_file(d, 0, 0), (uint32_t[]){0x801, 60000}, 2, syn_lb[0], FM_TRAIN);
    char *gz = tu_slurp(fm_file(d, 0, 0)); /* binary: the size comes from stat */
    struct stat st;
    assert_int_equal(stat(fm_file(d, 0, 0), &st), 0);
    f = fopen(fm_file(d, 0, 0), "wb");
    fwrite(gz, 1, (size_t)st.st_size - 6, f); /* the CRC and length trailer, partly */
    fclose(f);
    expect_fm_refused(d, "truncated gzip stream");
    d = bad_dir("gzcrc", 0, 0);
    f = fopen(fm_file(d, 0, 0), "wb");
    gz[st.st_size - 8] ^= 0x55; /* first byte of the CRC-32 */
    fwrite(gz, 1, (size_t)st.st_size, f);
    fclose(f);
    free(gz);
    expect_fm_refused(d, "corrupt gzip data (incorrect data check)");
}

/* ------------------------------------------------------------ generator */

/* Which synthetic image a frame shows: the first lit pixel is the item's
 * top-left (every item pixel is lit); -1 if the frame is black. */
static int64_t frame_source(const float *f, int c, int64_t n, int *split, int64_t *at)
{
    for (int64_t k = 0; k < n; k += c) {
        if (f[k] == 0)
            continue;
        int a = (int)lroundf(f[k] * 255), b = (int)lroundf(f[k + c] * 255);
        *split = (int)lroundf(f[k + 2 * c] * 255) - 1;
        if (at)
            *at = k / c;
        return (int64_t)(b - 1) * 250 + (a - 1);
    }
    return -1;
}

static td_set *open_ok(const char *what, int64_t n_in)
{
    td_set *s;
    char err[512];
    if (td_open(what, n_in, &s, err, sizeof err))
        fail_msg("td_open(%s, %lld): %s", what, (long long)n_in, err);
    return s;
}

static void test_generator_sources_and_labels(void **state)
{
    (void)state;
    td_set *s = open_ok("moving-fmnist:frames=2,train=600,val=200,test=200", 4096);
    assert_int_equal(td_classes(s), 10);
    assert_int_equal(td_frames(s), 2);
    static float x[2 * 4096];
    for (int sp = 0; sp < 3; sp++) {
        for (int64_t i = 0; i < td_count(s, (td_split)sp); i++) {
            int32_t y;
            td_batch(s, (td_split)sp, &i, 1, x, &y);
            int file = -1;
            int64_t k = frame_source(x, 1, 4096, &file, NULL);
            int64_t k2 = frame_source(x + 4096, 1, 4096, &file, NULL);
            assert_true(k == k2); /* one item per clip */
            assert_true(k == td_source_image(s, (td_split)sp, i));
            /* train: train images 0..53999; val: 54000..59999; test: the test file. */
            assert_int_equal(file, sp == TD_TEST ? 1 : 0);
            assert_true(k >= (sp == TD_VAL ? 54000 : 0));
            assert_true(k < (sp == TD_TRAIN ? 54000 : sp == TD_VAL ? 60000 : 10000));
            assert_int_equal(y, syn_label(file, k));
        }
    }
    assert_int_equal(td_source_image(s, TD_TEST, 200), -1);
    td_close(s);
}

/* The same options give the same bits, in any order and any set; another
 * seed gives other clips. */
static void test_generator_is_pure(void **state)
{
    (void)state;
    const char *opt = "moving-fmnist:frames=4,noise=0.2,speed=2.5,train=50,val=5,test=5";
    td_set *a = open_ok(opt, 1024), *b = open_ok(opt, 1024);
    enum { N = 8, PER = 4 * 1024 };
    int64_t fwd[N] = {0, 1, 2, 3, 4, 5, 6, 49}, rev[N];
    for (int k = 0; k < N; k++)
        rev[k] = fwd[N - 1 - k];
    static float xa[N * PER], xb[N * PER];
    int32_t ya[N], yb[N];
    td_batch(a, TD_TRAIN, fwd, N, xa, ya);
    td_batch(b, TD_TRAIN, rev, N, xb, yb);
    for (int k = 0; k < N; k++) {
        assert_memory_equal(xa + k * PER, xb + (N - 1 - k) * PER, PER * sizeof(float));
        assert_int_equal(ya[k], yb[N - 1 - k]);
    }
    /* One at a time, after other splits: the same. */
    float one[PER];
    int32_t y1;
    td_batch(b, TD_TEST, fwd, 3, xb, yb);
    td_batch(b, TD_TRAIN, &fwd[7], 1, one, &y1);
    assert_memory_equal(one, xa + 7 * PER, sizeof one);
    /* Noise is there: values strictly between 0 and 1 on the background. */
    int mid = 0;
    for (int k = 0; k < PER; k++) {
        assert_true(xa[k] >= 0 && xa[k] <= 1);
        mid += xa[k] > 0 && xa[k] < 1;
    }
    assert_true(mid > PER / 4);
    /* Same description and hash; "3.0" and "3" are one value. */
    assert_string_equal(td_describe(a), "moving-fmnist:frames=4,size=32x32x1,speed=2.5,noise=0.2,"
                                        "scale=1,train=50,val=5,test=5,seed=1");
    assert_string_equal(td_hash(a), td_hash(b));
    assert_int_equal(strlen(td_hash(a)), 16);
    assert_int_equal(strspn(td_hash(a), "0123456789abcdef"), 16);
    td_close(b);
    b = open_ok("moving-fmnist:seed=2,frames=4,noise=0.2,speed=2.5,train=50,val=5,test=5", 1024);
    assert_string_not_equal(td_hash(a), td_hash(b));
    td_batch(b, TD_TRAIN, fwd, N, xb, yb);
    int same = 0;
    for (int k = 0; k < N; k++)
        same += !memcmp(xa + k * PER, xb + k * PER, PER * sizeof(float));
    assert_int_equal(same, 0);
    td_close(a);
    td_close(b);
    a = open_ok("moving-fmnist", 4096);
    b = open_ok("moving-fmnist:speed=3.0,seed=1,size=64x64x1,noise=0", 4096);
    assert_string_equal(td_describe(a), "moving-fmnist:frames=12,size=64x64x1,speed=3,noise=0,"
                                        "scale=1,train=6000,val=1000,test=2000,seed=1");
    assert_string_equal(td_describe(b), td_describe(a));
    assert_string_equal(td_hash(b), td_hash(a));
    assert_string_equal(td_name(a), "moving-fmnist");
    assert_int_equal(td_count(a, TD_TRAIN), 6000);
    assert_int_equal(td_count(a, TD_VAL), 1000);
    assert_int_equal(td_count(a, TD_TEST), 2000);
    td_close(a);
    td_close(b);
}

/*
 * 100 frames of bouncing on an 80 x 50 x 3 canvas (W != H catches a
 * transposition): every frame holds the whole item, exactly, once - its
 * pixels (255 = 1.0 but for the 3 index pixels) times 3 channels, black
 * elsewhere - and the item moves both ways along both axes (it bounced).
 */
static void test_generator_bounces_inside(void **state)
{
    (void)state;
    enum { W = 80, H = 50, C = 3, T = 100, NIN = W * H * C };
    td_set *s = open_ok("moving-fmnist:size=80x50x3,frames=100,speed=7,train=3,val=1,test=1", NIN);
    static float x[T * NIN];
    for (int64_t i = 0; i < 3; i++) {
        int32_t y;
        td_batch(s, TD_TRAIN, &i, 1, x, &y);
        int64_t k = td_source_image(s, TD_TRAIN, i);
        const unsigned char *img = syn_px[0] + k * FM_PIXELS;
        long want = 0;
        for (int p = 0; p < FM_PIXELS; p++)
            want += img[p];
        int dirs[2][2] = {{0, 0}, {0, 0}}, px = -1, py = -1;
        for (int t = 0; t < T; t++) {
            const float *f = x + (int64_t)t * NIN;
            long sum = 0;
            for (int v = 0; v < NIN; v++)
                sum += lroundf(f[v] * 255);
            assert_int_equal(sum, want * C); /* nothing cut off by a wall */
            int file;
            int64_t at = -1;
            assert_true(frame_source(f, C, NIN, &file, &at) == k);
            int ax = (int)(at % W), ay = (int)(at / W);
            assert_true(ax >= 0 && ax <= W - 28 && ay >= 0 && ay <= H - 28);
            for (int r = 0; r < 28; r++)
                for (int c = 0; c < 28; c++)
                    for (int ch = 0; ch < C; ch++)
                        assert_true(f[((ay + r) * W + ax + c) * C + ch] ==
                                    (float)img[r * 28 + c] / 255.0f);
            if (t > 0) {
                assert_true(abs(ax - px) <= 8 && abs(ay - py) <= 8); /* speed 7, rounded */
                dirs[0][ax > px] |= ax != px;
                dirs[1][ay > py] |= ay != py;
            }
            px = ax, py = ay;
        }
        /* 700 pixels of travel over ranges of 52 and 22: both axes reversed. */
        assert_true((dirs[0][0] && dirs[0][1]) || (dirs[1][0] && dirs[1][1]));
    }
    td_close(s);
    /* speed=0: every frame the same; 784 = 28x28x1: the frame is the item. */
    s = open_ok("moving-fmnist:speed=0,frames=3,train=2,val=1,test=1", 784);
    int64_t i = 1;
    int32_t y;
    td_batch(s, TD_TRAIN, &i, 1, x, &y);
    const unsigned char *img = syn_px[0] + td_source_image(s, TD_TRAIN, 1) * FM_PIXELS;
    for (int t = 0; t < 3; t++)
        for (int p = 0; p < FM_PIXELS; p++)
            assert_true(x[t * 784 + p] == (float)img[p] / 255.0f);
    td_close(s);
    /* scale=2 on 64x64: a 56x56 item, each pixel a 2x2 block. */
    s = open_ok("moving-fmnist:scale=2,frames=1,train=2,val=1,test=1", 4096);
    td_batch(s, TD_TRAIN, &i, 1, x, &y);
    img = syn_px[0] + td_source_image(s, TD_TRAIN, 1) * FM_PIXELS;
    long sum = 0;
    for (int v = 0; v < 4096; v++)
        sum += lroundf(x[v] * 255);
    long want = 0;
    for (int p = 0; p < FM_PIXELS; p++)
        want += 4 * img[p];
    assert_int_equal(sum, want);
    td_close(s);
}

static void expect_open_refused(const char *what, int64_t n_in, const char *want)
{
    td_set *s = (td_set *)1;
    char err[700] = "";
    assert_int_equal(td_open(what, n_in, &s, err, sizeof err), -1);
    assert_null(s);
    if (!strstr(err, want))
        fail_msg("td_open(%s, %lld): expected '%s' in '%s'", what, (long long)n_in, want, err);
    assert_null(strchr(err, '\n'));
}

static void test_generator_shapes_and_options(void **state)
{
    (void)state;
    static const struct {
        int64_t n_in;
        const char *size;
    } known[] = {{4096, "size=64x64x1"}, {57600, "size=160x120x3"}, {70200, "size=234x100x3"},
                 {784, "size=28x28x1"}, {1024, "size=32x32x1"}};
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        td_set *s = open_ok("moving-fmnist:train=1,val=1,test=1,frames=1", known[k].n_in);
        assert_non_null(strstr(td_describe(s), known[k].size));
        assert_int_equal(td_n_in(s), known[k].n_in);
        td_close(s);
    }
    td_set *s = open_ok("moving-fmnist:size=120x160x3", 57600); /* portrait, same count */
    assert_non_null(strstr(td_describe(s), "size=120x160x3"));
    td_close(s);
    s = open_ok("moving-fmnist:size=40x50x1,scale=1", 2000);
    td_close(s);
    expect_open_refused("moving-fmnist:size=40x25x1", 1000, "the item is 28x28 pixels (scale=1), "
                        "larger than the 40x25 canvas");
    expect_open_refused("moving-fmnist", 1000, "moving-fmnist has no frame shape for n_in 1000 "
                        "(known: 784 = 28x28x1, 1024 = 32x32x1, 4096 = 64x64x1, 57600 = "
                        "160x120x3, 70200 = 234x100x3); give one with size=WxHxC");
    static const struct {
        const char *what, *want;
    } bad[] = {
        {"moving-fmnist:size=64x64x2", "size=64x64x2 has 8192 values per frame, the point's "
                                       "n_in is 4096"},
        {"moving-fmnist:size=64x64", "size=64x64: expected WxHxC"},
        {"moving-fmnist:size=64x64x1x", "size=64x64x1x: expected WxHxC"},
        {"moving-fmnist:size=4096x1x1", "the item is 28x28 pixels"},
        {"moving-fmnist:scale=3", "the item is 84x84 pixels (scale=3), larger than the 64x64 canvas"},
        {"moving-fmnist:colour=red", "unknown option 'colour' (known: frames, size, speed, noise, "
                                     "scale, train, val, test, seed)"},
        {"moving-fmnist:frames=5,frames=5", "option 'frames' is given twice"},
        {"moving-fmnist:frames", "option 'frames' needs a value (frames=...)"},
        {"moving-fmnist:frames=", "frames=: expected an integer in 1..1000"},
        {"moving-fmnist:frames=0", "frames=0: expected an integer in 1..1000"},
        {"moving-fmnist:frames=1001", "frames=1001: expected"},
        {"moving-fmnist:frames=+3", "frames=+3: expected"},
        {"moving-fmnist:frames=3.5", "frames=3.5: expected"},
        {"moving-fmnist:speed=-1", "speed=-1: expected a number of pixels per frame in 0..1000"},
        {"moving-fmnist:speed=nan", "speed=nan: expected"},
        {"moving-fmnist:speed=1e999", "speed=1e999: expected"},
        {"moving-fmnist:noise=0x1", "noise=0x1: expected a standard deviation in 0..10"},
        {"moving-fmnist:noise=11", "noise=11: expected"},
        {"moving-fmnist:scale=0", "scale=0: expected an integer in 1..64"},
        {"moving-fmnist:train=0", "train=0: expected a number of clips in 1..100000000"},
        {"moving-fmnist:val=100000001", "val=100000001: expected"},
        {"moving-fmnist:test=-5", "test=-5: expected"},
        {"moving-fmnist:seed=-1", "seed=-1: expected an integer in 0..18446744073709551615"},
        {"moving-fmnist:seed=18446744073709551616", "seed=18446744073709551616: expected"},
        {"moving-fmnist:", "empty option"},
        {"moving-fmnist:frames=2,", "empty option"},
        {"moving-fmnist:,frames=2", "empty option"},
        {"moving-fmnistx", "data 'moving-fmnistx': no such directory"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        expect_open_refused(bad[k].what, 4096, bad[k].want);
    /* The largest seed is a seed. */
    s = open_ok("moving-fmnist:seed=18446744073709551615", 4096);
    assert_non_null(strstr(td_describe(s), "seed=18446744073709551615"));
    td_close(s);
}

static void test_generator_package_missing(void **state)
{
    (void)state;
    char want[600];
    snprintf(want, sizeof want, "moving-fmnist needs the Fashion-MNIST images: apt-get install "
             "dataset-fashion-mnist (looked in %s/none)", tu_dir);
    assert_int_equal(setenv("FDHT_FMNIST_DIR", tu_path("none"), 1), 0);
    expect_open_refused("moving-fmnist", 4096, want);
    expect_open_refused("moving-fmnist:frames=3", 4096, want);
    /* The options are checked first: their error comes before the package's. */
    expect_open_refused("moving-fmnist:frames=0", 4096, "frames=0");
    assert_int_equal(setenv("FDHT_FMNIST_DIR", fmdir, 1), 0);
}

/* The real images, when the package is installed: pools and labels. */
static void test_generator_real_package(void **state)
{
    (void)state;
    struct stat st;
    if (stat(FM_DEFAULT_DIR "/train-images-idx3-ubyte.gz", &st))
        skip();
    assert_int_equal(unsetenv("FDHT_FMNIST_DIR"), 0);
    char err[512];
    const fm_data *fm = fm_get(FM_DEFAULT_DIR, err, sizeof err);
    if (!fm)
        fail_msg("%s", err);
    /* The package's first images are an ankle boot (9) in both splits. */
    assert_int_equal(fm->train.labels[0], 9);
    assert_int_equal(fm->test.labels[0], 9);
    td_set *s = open_ok("moving-fmnist:frames=3", 4096);
    assert_int_equal(setenv("FDHT_FMNIST_DIR", fmdir, 1), 0);
    static float x[3 * 4096];
    int seen[3][10] = {{0}};
    for (int sp = 0; sp < 3; sp++)
        for (int64_t i = 0; i < td_count(s, (td_split)sp); i++) {
            int64_t k = td_source_image(s, (td_split)sp, i);
            assert_true(sp == TD_TRAIN ? k < 54000 : sp == TD_VAL ? k >= 54000 && k < 60000
                                                                   : k < 10000);
            assert_true(k >= 0);
            const fm_split *pool = sp == TD_TEST ? &fm->test : &fm->train;
            seen[sp][pool->labels[k]] = 1;
            if (i % 97)
                continue; /* every 97th clip is made and checked */
            int32_t y;
            td_batch(s, (td_split)sp, &i, 1, x, &y);
            assert_int_equal(y, pool->labels[k]);
            long want = 0, sum = 0;
            for (int p = 0; p < FM_PIXELS; p++)
                want += pool->pixels[k * FM_PIXELS + p];
            for (int t = 0; t < 3; t++, sum = 0) {
                for (int v = 0; v < 4096; v++)
                    sum += lroundf(x[t * 4096 + v] * 255);
                assert_int_equal(sum, want);
            }
        }
    for (int sp = 0; sp < 3; sp++)
        for (int c = 0; c < 10; c++)
            assert_true(seen[sp][c]); /* every class is drawn in every split */
    td_close(s);
}

/* ------------------------------------------------------------ .npy dirs */

/* A .npy file with any header and raw data bytes. */
static void write_raw(const char *path, const char *descr, const char *shape, const void *data,
                      size_t n)
{
    char h[256];
    int hl = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }\n",
                      descr, shape);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)hl, 0};
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(pre, 1, 10, f);
    fwrite(h, 1, (size_t)hl, f);
    if (n)
        fwrite(data, 1, n, f);
    assert_int_equal(fclose(f), 0);
}

enum { ND_T = 3, ND_NIN = 6 };

/* dir/<sp>_x.npy and <sp>_y.npy: n clips, clip i frame t feature f =
 * base + i + t / 10 + f / 100, label (i + base) % classes. */
static void write_split(const char *dir, const char *sp, int64_t n, int base, int classes)
{
    float *x = malloc((size_t)n * ND_T * ND_NIN * sizeof *x);
    int64_t *y = malloc((size_t)n * sizeof *y);
    assert_true(x && y);
    for (int64_t i = 0; i < n; i++) {
        y[i] = (i + base) % classes;
        for (int t = 0; t < ND_T; t++)
            for (int f = 0; f < ND_NIN; f++)
                x[(i * ND_T + t) * ND_NIN + f] = (float)(base + i + t / 10.0 + f / 100.0);
    }
    tu_write_clips(dir, sp, n, ND_T, ND_NIN, x, y);
    free(x);
    free(y);
}

static const char *npy_dir(const char *name)
{
    static char d[400];
    snprintf(d, sizeof d, "%s/%s", tu_dir, name);
    assert_int_equal(mkdir(d, 0700), 0);
    write_split(d, "train", 20, 0, 5);
    write_split(d, "test", 7, 100, 5);
    return d;
}

/* FNV-1a 64 over name + NUL + bytes of each file, in order. */
static uint64_t files_fnv(const char *dir, const char *const *names, int n)
{
    uint64_t h = CM_FNV_OFFSET;
    for (int k = 0; k < n; k++) {
        char p[400];
        snprintf(p, sizeof p, "%s/%s", dir, names[k]);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        char *b = tu_slurp(p);
        h = cm_fnv1a(h, names[k], strlen(names[k]) + 1);
        h = cm_fnv1a(h, b, (size_t)st.st_size);
        free(b);
    }
    return h;
}

static void test_npy_dir_loads(void **state)
{
    (void)state;
    const char *d = npy_dir("nd_ok");
    td_set *s = open_ok(d, ND_NIN);
    /* 20 train clips, no val files: the last 20 / 10 = 2 are val. */
    assert_int_equal(td_count(s, TD_TRAIN), 18);
    assert_int_equal(td_count(s, TD_VAL), 2);
    assert_int_equal(td_count(s, TD_TEST), 7);
    assert_int_equal(td_frames(s), ND_T);
    assert_int_equal(td_classes(s), 5); /* labels 0..4 */
    assert_string_equal(td_describe(s), d);
    assert_string_equal(td_name(s), d);
    assert_int_equal(td_source_image(s, TD_TRAIN, 0), -1);
    float x[2 * ND_T * ND_NIN];
    int32_t y[2];
    int64_t idx[2] = {1, 0};
    td_batch(s, TD_VAL, idx, 2, x, y);
    /* val clip 1 is train_x clip 19: frame 2, feature 5 = 19 + 0.2 + 0.05. */
    assert_true(x[2 * ND_NIN + 5] == (float)(19 + 0.2 + 0.05));
    assert_int_equal(y[0], 19 % 5);
    assert_true(x[ND_T * ND_NIN] == 18.0f);
    assert_int_equal(y[1], 18 % 5);
    idx[0] = 6;
    td_batch(s, TD_TEST, idx, 1, x, y);
    assert_true(x[0] == 106.0f);
    assert_int_equal(y[0], 106 % 5);
    const char *names[4] = {"train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy"};
    char want[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)files_fnv(d, names, 4));
    assert_string_equal(td_hash(s), want);
    td_close(s);
    /* With val files: they are the val split; train keeps all its clips. */
    write_split(d, "val", 4, 50, 5);
    s = open_ok(d, ND_NIN);
    assert_int_equal(td_count(s, TD_TRAIN), 20);
    assert_int_equal(td_count(s, TD_VAL), 4);
    assert_string_not_equal(td_hash(s), want);
    idx[0] = 3;
    td_batch(s, TD_VAL, idx, 1, x, y);
    assert_true(x[0] == 53.0f);
    td_close(s);
    /* Few clips: 5 -> 1 val (at least one); labels of any integer dtype. */
    d = npy_dir("nd_small");
    write_split(d, "train", 5, 0, 3);
    unsigned char u8[5] = {2, 0, 1, 1, 0};
    write_raw(tu_path("nd_small/train_y.npy"), "|u1", "(5,)", u8, 5);
    int32_t i4[7] = {0, 1, 2, 2, 1, 0, 2};
    write_raw(tu_path("nd_small/test_y.npy"), "<i4", "(7,)", i4, sizeof i4); /* little-endian host */
    s = open_ok(d, ND_NIN);
    assert_int_equal(td_count(s, TD_TRAIN), 4);
    assert_int_equal(td_count(s, TD_VAL), 1);
    assert_int_equal(td_classes(s), 3);
    idx[0] = 0;
    td_batch(s, TD_VAL, idx, 1, x, y);
    assert_int_equal(y[0], 0); /* u8[4] */
    td_close(s);
}

static void expect_dir_refused(const char *d, const char *want)
{
    expect_open_refused(d, ND_NIN, want);
}

static void test_npy_dir_refusals(void **state)
{
    (void)state;
    char want[600];
    expect_dir_refused(tu_path("nd_none"), "no such directory");
    FILE *f = fopen(tu_path("nd_file"), "w");
    fclose(f);
    expect_dir_refused(tu_path("nd_file"), "is not a directory");
    const char *d = npy_dir("nd_missing");
    assert_int_equal(unlink(tu_path("nd_missing/test_y.npy")), 0);
    snprintf(want, sizeof want, "%s/test_y.npy: missing (a data directory holds", d);
    expect_dir_refused(d, want);
    d = npy_dir("nd_halfval");
    write_split(d, "val", 2, 0, 5);
    assert_int_equal(unlink(tu_path("nd_halfval/val_y.npy")), 0);
    expect_dir_refused(d, "val_y.npy: missing (val_x.npy is there: give both or neither)");
    /* One file replaced: shapes, dtypes, sizes, labels (train labels are 0..4). */
    static const float z[64];
    static const int64_t neg[20] = {[9] = -1}, big[20] = {[9] = 2000000}, tl[7] = {0, 1, 5};
    static const struct {
        const char *file, *descr, *shape;
        const void *data;
        size_t n;
        const char *want;
    } one[] = {
        {"train_x.npy", "<f4", "(20, 6)", z, 0, "train_x.npy: truncated data"},
        {"train_x.npy", "<f4", "(2, 6)", z, 48, "train_x.npy: 2-D array: expected 3-D (clips, "
                                                 "frames, features)"},
        {"test_x.npy", "<i4", "(1, 3, 6)", z, 72, "test_x.npy: dtype '<i4' is not a float type "
                                                   "(float32 '<f4' expected)"},
        {"train_y.npy", "<f4", "(20,)", z, 80, "train_y.npy: dtype '<f4' is not an integer type"},
        {"train_y.npy", "<i8", "(10, 2)", z, 160, "train_y.npy: 2-D array: expected 1-D (one "
                                                   "label per clip)"},
        {"test_x.npy", "<f4", "(1, 3, 4)", z, 48, "test_x.npy has 4 features per frame, the "
                                                   "point's n_in is 6"},
        {"test_x.npy", "<f4", "(1, 2, 6)", z, 48, "test_x.npy has 2 frames per clip, train_x.npy "
                                                   "has 3"},
        {"test_y.npy", "<i8", "(6,)", z, 48, "test_y.npy has 6 labels, test_x.npy has 7 clips"},
        {"test_x.npy", "<f4", "(0, 3, 6)", z, 0, "test_x.npy: empty array"},
        {"test_y.npy", "<i8", "(7,)", z, 55, "test_y.npy: truncated data: header announces 7 "
                                              "values (56 bytes), file holds 55 bytes"},
        {"train_y.npy", "<i8", "(20,)", neg, 160, "train_y.npy: label -1 at index 9 is negative"},
        {"train_y.npy", "<i8", "(20,)", big, 160, "train_y.npy: label 2000000 at index 9: at "
                                                   "most 1000000 classes"},
        {"test_y.npy", "<i8", "(7,)", tl, 56, "test_y.npy: label 5 at index 2 is out of range "
                                               "(train_y.npy has classes 0..4)"},
    };
    for (size_t k = 0; k < sizeof one / sizeof one[0]; k++) {
        char name[32], file[64];
        snprintf(name, sizeof name, "nd_case%zu", k);
        snprintf(file, sizeof file, "%s/%s", name, one[k].file);
        d = npy_dir(name);
        write_raw(tu_path(file), one[k].descr, one[k].shape, one[k].data, one[k].n);
        expect_dir_refused(d, one[k].want);
    }
    d = npy_dir("nd_nin");
    expect_open_refused(d, 784, "train_x.npy has 6 features per frame, the point's n_in is 784");
    d = npy_dir("nd_one");
    write_split(d, "train", 1, 0, 5);
    expect_dir_refused(d, "train_x.npy has 1 clip: too few to hold out a validation clip");
    d = npy_dir("nd_valrange");
    write_split(d, "val", 3, 0, 9); /* labels 0, 1, 2 */
    int64_t vl[3] = {4, 9, 0};
    write_raw(tu_path("nd_valrange/val_y.npy"), "<i8", "(3,)", vl, sizeof vl);
    expect_dir_refused(d, "val_y.npy: label 9 at index 1 is out of range");
    /* NaN / Inf in X, with file, clip, frame and feature. */
    d = npy_dir("nd_nan");
    float tx[7 * ND_T * ND_NIN] = {0};
    tx[(4 * ND_T + 2) * ND_NIN + 5] = INFINITY;
    write_raw(tu_path("nd_nan/test_x.npy"), "<f4", "(7, 3, 6)", tx, sizeof tx);
    snprintf(want, sizeof want, "%s/test_x.npy: value %d is NaN or infinite: +inf at clip 4, "
             "frame 2, feature 5 (counted from 0)", d, (4 * ND_T + 2) * ND_NIN + 5);
    expect_dir_refused(d, want);
}

/* ------------------------------------------------------------ writing */

static void test_write_npy_reads_back(void **state)
{
    (void)state;
    td_set *s = open_ok("moving-fmnist:frames=2,noise=0.1,train=13,val=3,test=4", 1024);
    char err[512], out[400];
    snprintf(out, sizeof out, "%s/export/a/b", tu_dir);
    assert_int_equal(td_write_npy(s, out, err, sizeof err), 0);
    td_set *r = open_ok(out, 1024);
    assert_int_equal(td_frames(r), 2);
    assert_int_equal(td_classes(r) <= 10, 1);
    static float xa[2 * 1024], xb[2 * 1024];
    for (int sp = 0; sp < 3; sp++) {
        assert_int_equal(td_count(r, (td_split)sp), td_count(s, (td_split)sp));
        for (int64_t i = 0; i < td_count(s, (td_split)sp); i++) {
            int32_t ya, yb;
            td_batch(s, (td_split)sp, &i, 1, xa, &ya);
            td_batch(r, (td_split)sp, &i, 1, xb, &yb);
            assert_memory_equal(xa, xb, sizeof xa);
            assert_int_equal(ya, yb);
        }
    }
    td_close(r);
    /* The files are what numpy expects: float32 (13, 2, 1024), int64 labels. */
    npy_info h;
    snprintf(out, sizeof out, "%s/export/a/b/train_x.npy", tu_dir);
    assert_int_equal(npy_read_info(out, &h, err, sizeof err), 0);
    assert_string_equal(h.descr, "<f4");
    assert_true(h.ndim == 3 && h.shape[0] == 13 && h.shape[1] == 2 && h.shape[2] == 1024);
    snprintf(out, sizeof out, "%s/export/a/b/val_y.npy", tu_dir);
    assert_int_equal(npy_read_info(out, &h, err, sizeof err), 0);
    assert_string_equal(h.descr, "<i8");
    assert_true(h.ndim == 1 && h.shape[0] == 3);
    /* A directory that cannot be made. */
    snprintf(out, sizeof out, "%s/nd_file/sub", tu_dir);
    FILE *f = fopen(tu_path("nd_file"), "a");
    fclose(f);
    assert_int_equal(td_write_npy(s, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create directory"));
    td_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmnist_reads_exact_pixels),
        cmocka_unit_test(test_fmnist_refusals),
        cmocka_unit_test(test_generator_sources_and_labels),
        cmocka_unit_test(test_generator_is_pure),
        cmocka_unit_test(test_generator_bounces_inside),
        cmocka_unit_test(test_generator_shapes_and_options),
        cmocka_unit_test(test_generator_package_missing),
        cmocka_unit_test(test_generator_real_package),
        cmocka_unit_test(test_npy_dir_loads),
        cmocka_unit_test(test_npy_dir_refusals),
        cmocka_unit_test(test_write_npy_reads_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
