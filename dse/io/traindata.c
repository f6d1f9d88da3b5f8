/*
 * traindata.c - the clips `dse train` learns from (see traindata.h): the
 * built-in moving-fmnist generator and directories of .npy files.
 *
 * moving-fmnist: clip i of split s is one Fashion-MNIST item (fmnist.h)
 * moving in a straight line on a black W x H x C canvas and reflected by
 * its walls, labelled with the item's class.  Everything random in a clip
 * comes from one splitmix64 stream seeded by (seed, s, i), so a clip is a
 * pure function of the options and (s, i): td_batch makes clips on demand
 * in any order and nothing is stored.  Only arithmetic that IEEE 754 rounds
 * exactly (+ - * / sqrt, fmod) places the item, so the canvas positions do
 * not depend on the C library (the noise table uses log()).  The source pools are
 * disjoint: train clips use train images 0..53,999, val clips the held-out
 * train images 54,000..59,999, test clips the test images.
 *
 * .npy directories: read once, checked (shapes against the point's n_in,
 * frames across files, label ranges, NaN/Inf with their position), hashed
 * (FNV-1a 64 over every byte, streamed while reading).
 */
#include "traindata.h"

#include "cm_common.h"
#include "cm_hash.h"
#include "cm_matvec.h"
#include "fmnist.h"
#include "npy.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TD_MF_NAME "moving-fmnist"
#define TD_MF_VERSION 1          /* of the generator: part of td_hash */
#define TD_MF_TRAIN_POOL 54000   /* train images 0..53,999 feed train clips, the rest val */
#define TD_MAX_CLASSES 1000000
#define TD_MAX_CLIPS 100000000

/* The options of moving-fmnist, resolved. */
typedef struct {
    int frames, w, h, c, scale;
    double speed, noise;
    int64_t clips[3];
    uint64_t seed;
} td_mf;

struct td_set {
    int builtin;
    char *name, *describe;
    char hash[17];
    int64_t n_in;
    int frames, classes;
    int64_t count[3];
    /* built-in */
    td_mf mf;
    const fm_data *fm;
    float lut[256];              /* byte -> [0, 1] */
    /* .npy: clips and labels of each split (val may point into train's arrays) */
    npy_f32 xa[3];
    npy_i64 ya[3];
    const float *x[3];
    const int64_t *y[3];
};

static const char *const td_split_name[3] = {"train", "val", "test"};

/* ================================================================ options */

static const struct {
    int64_t n_in;
    int w, h, c;
} td_shapes[] = {
    {784, 28, 28, 1}, {1024, 32, 32, 1}, {4096, 64, 64, 1}, {57600, 160, 120, 3},
    {70200, 234, 100, 3},
};

#define TD_KEYS "frames, size, speed, noise, scale, train, val, test, seed"

/* A decimal integer in lo..hi, digits only. */
static int parse_int(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!*v || strlen(v) > 12 || strspn(v, "0123456789") != strlen(v))
        return -1;
    int64_t x = strtoll(v, NULL, 10);
    if (x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

/* A plain decimal number in lo..hi (no sign, hex, inf or nan). */
static int parse_real(const char *v, double lo, double hi, double *out)
{
    if (!*v || strspn(v, "0123456789.eE+-") != strlen(v) || !(v[0] == '.' || (v[0] >= '0' && v[0] <= '9')))
        return -1;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (*end || errno || !isfinite(x) || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int parse_seed(const char *v, uint64_t *out)
{
    if (!*v || strlen(v) > 20 || strspn(v, "0123456789") != strlen(v))
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v, NULL, 10);
    if (errno)
        return -1;
    *out = x;
    return 0;
}

/* "WxHxC" */
static int parse_size(const char *v, td_mf *o)
{
    char a[16], b[16], c[16], extra;
    if (strlen(v) > 40 || sscanf(v, "%15[0-9]x%15[0-9]x%15[0-9]%c", a, b, c, &extra) != 3)
        return -1;
    int64_t w, h, ch;
    if (parse_int(a, 1, 10000, &w) || parse_int(b, 1, 10000, &h) || parse_int(c, 1, 4, &ch))
        return -1;
    o->w = (int)w, o->h = (int)h, o->c = (int)ch;
    return 0;
}

/* One KEY=VALUE; seen[] refuses repeats. */
static int parse_option(char *kv, td_mf *o, int *seen, char *err, size_t errlen)
{
    static const char *const keys[] = {"frames", "size", "speed", "noise", "scale",
                                       "train", "val", "test", "seed"};
    static const char *const want[] = {
        "an integer in 1..1000", "WxHxC (width x height x channels, C 1..4)",
        "a number of pixels per frame in 0..1000", "a standard deviation in 0..10",
        "an integer in 1..64", "a number of clips in 1..100000000",
        "a number of clips in 1..100000000", "a number of clips in 1..100000000",
        "an integer in 0..18446744073709551615"};
    char *eq = strchr(kv, '=');
    if (!*kv)
        return cm_fail(err, errlen, TD_MF_NAME ": empty option (options are KEY=VALUE, "
                                    "separated by commas)");
    if (eq)
        *eq = '\0';
    int k = 0, nk = (int)(sizeof keys / sizeof keys[0]);
    while (k < nk && strcmp(kv, keys[k]))
        k++;
    if (k == nk)
        return cm_fail(err, errlen, TD_MF_NAME ": unknown option '%.40s' (known: " TD_KEYS ")", kv);
    if (!eq)
        return cm_fail(err, errlen, TD_MF_NAME ": option '%s' needs a value (%s=...)", kv, kv);
    if (seen[k]++)
        return cm_fail(err, errlen, TD_MF_NAME ": option '%s' is given twice", kv);
    const char *v = eq + 1;
    int64_t n = 0;
    int bad;
    switch (k) {
    case 0: bad = parse_int(v, 1, 1000, &n); o->frames = (int)n; break;
    case 1: bad = parse_size(v, o); break;
    case 2: bad = parse_real(v, 0, 1000, &o->speed); break;
    case 3: bad = parse_real(v, 0, 10, &o->noise); break;
    case 4: bad = parse_int(v, 1, 64, &n); o->scale = (int)n; break;
    case 8: bad = parse_seed(v, &o->seed); break;
    default: bad = parse_int(v, 1, TD_MAX_CLIPS, &o->clips[k - 5]); break;
    }
    if (bad)
        return cm_fail(err, errlen, TD_MF_NAME ": %s=%.40s: expected %s", kv, v, want[k]);
    return 0;
}

/* The canvas: from size= (checked against n_in) or from n_in's known shape. */
static int resolve_shape(td_mf *o, int have_size, int64_t n_in, char *err, size_t errlen)
{
    if (have_size) {
        int64_t n = (int64_t)o->w * o->h * o->c;
        if (n != n_in)
            return cm_fail(err, errlen, TD_MF_NAME ": size=%dx%dx%d has %lld values per frame, "
                                        "the point's n_in is %lld", o->w, o->h, o->c,
                            (long long)n, (long long)n_in);
    } else {
        size_t i = 0, ns = sizeof td_shapes / sizeof td_shapes[0];
        while (i < ns && td_shapes[i].n_in != n_in)
            i++;
        if (i == ns)
            return cm_fail(err, errlen, TD_MF_NAME " has no frame shape for n_in %lld (known: "
                                        "784 = 28x28x1, 1024 = 32x32x1, 4096 = 64x64x1, "
                                        "57600 = 160x120x3, 70200 = 234x100x3); give one "
                                        "with size=WxHxC", (long long)n_in);
        o->w = td_shapes[i].w, o->h = td_shapes[i].h, o->c = td_shapes[i].c;
    }
    int side = FM_SIDE * o->scale;
    if (side > o->w || side > o->h)
        return cm_fail(err, errlen, TD_MF_NAME ": the item is %dx%d pixels (scale=%d), larger "
                                    "than the %dx%d canvas", side, side, o->scale, o->w, o->h);
    return 0;
}

static int parse_options(const char *what, int64_t n_in, td_mf *o, char *err, size_t errlen)
{
    *o = (td_mf){12, 0, 0, 0, 1, 3.0, 0.0, {6000, 1000, 2000}, 1};
    int seen[9] = {0};
    const char *rest = what + strlen(TD_MF_NAME);
    if (*rest == ':') {
        char *buf = strdup(rest + 1);
        if (!buf)
            return cm_fail(err, errlen, "out of memory");
        int rc = 0;
        for (char *p = buf, *next; p && rc == 0; p = next) {
            next = strchr(p, ',');
            if (next)
                *next++ = '\0';
            rc = parse_option(p, o, seen, err, errlen);
        }
        free(buf);
        if (rc)
            return -1;
    }
    return resolve_shape(o, seen[1], n_in, err, errlen);
}

/* The shortest decimal that reads back as x (canonical: "3" and "3.0" agree). */
static void fmt_real(char *b, size_t len, double x)
{
    for (int p = 1; p <= 17; p++) {
        snprintf(b, len, "%.*g", p, x);
        if (strtod(b, NULL) == x)
            return;
    }
}

/* ============================================================= generator */

static uint64_t clip_seed(const td_mf *o, td_split sp, int64_t i)
{
    uint64_t st = o->seed ^ UINT64_C(0x6d6f76696e672d66); /* "moving-f" */
    st = cm_rand_next(&st) ^ (uint64_t)sp << 56 ^ (uint64_t)i; /* i < 2^27: no overlap */
    return cm_rand_next(&st);
}

/* The source image of a clip (index in the train or test file): the first
 * draw of the clip's stream. */
static int64_t source_image(const td_mf *o, td_split sp, int64_t i, uint64_t *rng)
{
    *rng = clip_seed(o, sp, i);
    uint64_t r = cm_rand_next(rng);
    if (sp == TD_TRAIN)
        return (int64_t)(r % TD_MF_TRAIN_POOL);
    if (sp == TD_VAL)
        return TD_MF_TRAIN_POOL + (int64_t)(r % (FM_TRAIN - TD_MF_TRAIN_POOL));
    return (int64_t)(r % FM_TEST);
}

/* u in [0, L] after bouncing between the walls 0 and L (reflection). */
static double fold(double u, double L)
{
    if (L <= 0)
        return 0;
    double m = fmod(u, 2 * L);
    if (m < 0)
        m += 2 * L;
    return m <= L ? m : 2 * L - m;
}

/*
 * Gaussian noise from a table of the 65,536 quantiles Phi^-1((k + 0.5) / 65536)
 * of the standard normal (tails cut at +-4.3), rescaled to unit variance:
 * one 64-bit draw gives four values.  A log() per value (Box-Muller, polar)
 * made noisy 64x64x12 clips 70 times slower than clean ones.
 */
#define TD_NQ 65536
static float td_quant[TD_NQ];
static pthread_once_t td_quant_once = PTHREAD_ONCE_INIT;

/* Acklam's rational approximation of Phi^-1 (relative error < 1.2e-9), p < 0.5. */
static double inv_normal_low(double p)
{
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                -2.759285104469687e+02, 1.383577518672690e+02,
                                -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                -1.556989798598866e+02, 6.680131188771972e+01,
                                -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                -2.400758277161838e+00, -2.549671010739305e+00,
                                4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
                                2.445134137142996e+00, 3.754408661907416e+00};
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

static void quant_init(void)
{
    double ss = 0;
    for (int k = 0; k < TD_NQ / 2; k++) {
        double x = inv_normal_low((k + 0.5) / TD_NQ);
        td_quant[k] = (float)x;
        td_quant[TD_NQ - 1 - k] = (float)-x; /* exactly symmetric: mean 0 */
        ss += 2 * (double)td_quant[k] * td_quant[k];
    }
    double f = 1 / sqrt(ss / TD_NQ);
    for (int k = 0; k < TD_NQ; k++)
        td_quant[k] = (float)(td_quant[k] * f);
}

/* Adds sigma * N(0, 1) to the n values of f, clipped to [0, 1].  The clipping
 * has no branch: one on the sign of noise on black would be mispredicted half
 * the time (it made noisy clips 20 times slower than clean ones). */
static void add_noise(float *f, int64_t n, double sigma, uint64_t *rng)
{
    float sg = (float)sigma, g[256];
    for (int64_t k = 0; k < n; k += 256) {
        int m = n - k < 256 ? (int)(n - k) : 256;
        for (int j = 0; j < m; j += 4) {
            uint64_t r = cm_rand_next(rng);
            for (int q = 0; q < 4; q++, r >>= 16)
                g[j + q] = td_quant[r & 0xffff]; /* g has room for m rounded up to 4 */
        }
        /* Clipped on the bit patterns, which order non-negative floats like
         * their values: integer selects compile to cmov, float ones to branches. */
        for (int j = 0; j < m; j++) {
            float w = f[k + j] + sg * g[j];
            uint32_t u;
            memcpy(&u, &w, sizeof u);
            u &= (u >> 31) - 1u;                          /* negative -> +0 */
            u = u < UINT32_C(0x3f800000) ? u : UINT32_C(0x3f800000); /* above 1 -> 1 */
            memcpy(&f[k + j], &u, sizeof u);
        }
    }
}

/* Copies the (scaled) item into a zeroed frame with its top-left at (x0, y0). */
static void draw(const td_set *s, const unsigned char *img, int x0, int y0, float *f)
{
    const td_mf *o = &s->mf;
    int side = FM_SIDE * o->scale;
    for (int r = 0; r < side; r++) {
        const unsigned char *row = img + (r / o->scale) * FM_SIDE;
        float *dst = f + ((int64_t)(y0 + r) * o->w + x0) * o->c;
        for (int col = 0; col < side; col++) {
            float v = s->lut[row[col / o->scale]];
            for (int ch = 0; ch < o->c; ch++)
                *dst++ = v;
        }
    }
}

/* Clip i of split sp: T frames into x, its label into *y. */
static void make_clip(const td_set *s, td_split sp, int64_t i, float *x, int32_t *y)
{
    const td_mf *o = &s->mf;
    uint64_t rng;
    int64_t src = source_image(o, sp, i, &rng);
    const fm_split *pool = sp == TD_TEST ? &s->fm->test : &s->fm->train;
    const unsigned char *img = pool->pixels + src * FM_PIXELS;
    *y = pool->labels[src];
    double Lx = o->w - FM_SIDE * o->scale, Ly = o->h - FM_SIDE * o->scale;
    double px = cm_rand_uniform(&rng) * Lx, py = cm_rand_uniform(&rng) * Ly;
    double u, v, q;
    do { /* a uniform direction: a point of the unit disk, normalized */
        u = 2 * cm_rand_uniform(&rng) - 1;
        v = 2 * cm_rand_uniform(&rng) - 1;
        q = u * u + v * v;
    } while (q > 1 || q < 1e-12);
    double r = sqrt(q), vx = o->speed * u / r, vy = o->speed * v / r;
    for (int t = 0; t < o->frames; t++) {
        float *f = x + (int64_t)t * s->n_in;
        memset(f, 0, (size_t)s->n_in * sizeof *f);
        int ix = (int)floor(fold(px + vx * t, Lx) + 0.5);
        int iy = (int)floor(fold(py + vy * t, Ly) + 0.5);
        draw(s, img, ix, iy, f);
        if (o->noise > 0)
            add_noise(f, s->n_in, o->noise, &rng);
    }
}

static int open_builtin(td_set *s, const char *what, int64_t n_in, char *err, size_t errlen)
{
    td_mf *o = &s->mf;
    if (parse_options(what, n_in, o, err, errlen))
        return -1;
    if (!(s->fm = fm_get(NULL, err, errlen)))
        return -1;
    pthread_once(&td_quant_once, quant_init);
    s->builtin = 1;
    s->frames = o->frames;
    s->classes = FM_CLASSES;
    memcpy(s->count, o->clips, sizeof s->count);
    for (int k = 0; k < 256; k++)
        s->lut[k] = (float)k / 255.0f;
    char sp[32], nz[32], d[400];
    fmt_real(sp, sizeof sp, o->speed);
    fmt_real(nz, sizeof nz, o->noise);
    snprintf(d, sizeof d, TD_MF_NAME ":frames=%d,size=%dx%dx%d,speed=%s,noise=%s,scale=%d,"
             "train=%lld,val=%lld,test=%lld,seed=%llu", o->frames, o->w, o->h, o->c, sp, nz,
             o->scale, (long long)o->clips[0], (long long)o->clips[1], (long long)o->clips[2],
             (unsigned long long)o->seed);
    char tag[32];
    snprintf(tag, sizeof tag, "generator v%d\n", TD_MF_VERSION);
    uint64_t h = cm_fnv1a(cm_fnv1a(CM_FNV_OFFSET, tag, strlen(tag)), d, strlen(d));
    snprintf(s->hash, sizeof s->hash, "%016llx", (unsigned long long)h);
    s->name = strdup(TD_MF_NAME);
    s->describe = strdup(d);
    return s->name && s->describe ? 0 : cm_fail(err, errlen, "out of memory");
}

/* ============================================================ .npy files */

enum { F_TRAIN_X, F_TRAIN_Y, F_VAL_X, F_VAL_Y, F_TEST_X, F_TEST_Y, F_N };
static const char *const td_files[F_N] = {"train_x.npy", "train_y.npy", "val_x.npy",
                                          "val_y.npy", "test_x.npy", "test_y.npy"};

#define TD_DIR_HOLDS "a data directory holds train_x.npy, train_y.npy, test_x.npy, " \
                     "test_y.npy and optionally val_x.npy, val_y.npy"

/* The header of clips file (x) or labels file (!x), checked for the point. */
static int check_header(const char *path, int x, int64_t n_in, npy_info *h, char *err,
                        size_t errlen)
{
    if (npy_read_info(path, h, err, errlen))
        return -1;
    if (x && h->kind != 'f')
        return cm_fail(err, errlen, "%s: dtype '%s' is not a float type (float32 '<f4' "
                                    "expected)", path, h->descr);
    if (!x && h->kind == 'f')
        return cm_fail(err, errlen, "%s: dtype '%s' is not an integer type (integer "
                                    "labels expected)", path, h->descr);
    if (x && h->ndim != 3)
        return cm_fail(err, errlen, "%s: %d-D array: expected 3-D (clips, frames, features)",
                        path, h->ndim);
    if (!x && h->ndim != 1)
        return cm_fail(err, errlen, "%s: %d-D array: expected 1-D (one label per clip)", path,
                        h->ndim);
    if (x && h->shape[2] != n_in)
        return cm_fail(err, errlen, "%s has %lld features per frame, the point's n_in is %lld",
                        path, (long long)h->shape[2], (long long)n_in);
    if (x && h->shape[1] > 1000000)
        return cm_fail(err, errlen, "%s has %lld frames per clip (at most 1000000)", path,
                        (long long)h->shape[1]);
    return 0;
}

/* Which files exist; the required ones must. */
static int find_files(const char *dir, char path[F_N][4200], int *have, char *err,
                      size_t errlen)
{
    struct stat st;
    if (stat(dir, &st))
        return cm_fail(err, errlen, "data '%s': no such directory (" TD_DIR_HOLDS "; the "
                                    "built-in set is " TD_MF_NAME ")", dir);
    if (!S_ISDIR(st.st_mode))
        return cm_fail(err, errlen, "data '%s' is not a directory (" TD_DIR_HOLDS ")", dir);
    for (int f = 0; f < F_N; f++) {
        snprintf(path[f], 4200, "%s/%s", dir, td_files[f]);
        have[f] = stat(path[f], &st) == 0;
        if (!have[f] && f != F_VAL_X && f != F_VAL_Y)
            return cm_fail(err, errlen, "%s: missing (" TD_DIR_HOLDS ")", path[f]);
    }
    if (have[F_VAL_X] != have[F_VAL_Y])
        return cm_fail(err, errlen, "%s: missing (%s is there: give both or neither)",
                        path[have[F_VAL_X] ? F_VAL_Y : F_VAL_X],
                        td_files[have[F_VAL_X] ? F_VAL_X : F_VAL_Y]);
    return 0;
}

/* Every header: 3-D clips of n_in features, the same T, as many labels as clips. */
static int check_headers(td_set *s, char path[F_N][4200], const int *have, char *err,
                         size_t errlen)
{
    npy_info h[F_N];
    for (int f = 0; f < F_N; f++)
        if (have[f] && check_header(path[f], f % 2 == 0, s->n_in, &h[f], err, errlen))
            return -1;
    for (int f = 0; f < F_N; f += 2) {
        if (!have[f])
            continue;
        if (h[f].shape[1] != h[F_TRAIN_X].shape[1])
            return cm_fail(err, errlen, "%s has %lld frames per clip, %s has %lld", path[f],
                            (long long)h[f].shape[1], td_files[F_TRAIN_X],
                            (long long)h[F_TRAIN_X].shape[1]);
        if (h[f + 1].shape[0] != h[f].shape[0])
            return cm_fail(err, errlen, "%s has %lld labels, %s has %lld clips", path[f + 1],
                            (long long)h[f + 1].shape[0], td_files[f],
                            (long long)h[f].shape[0]);
    }
    if (!have[F_VAL_X] && h[F_TRAIN_X].shape[0] < 2)
        return cm_fail(err, errlen, "%s has 1 clip: too few to hold out a validation clip "
                                    "(give val_x.npy and val_y.npy)", path[F_TRAIN_X]);
    s->frames = (int)h[F_TRAIN_X].shape[1];
    return 0;
}

/* Labels >= 0; and < lim unless lim is 0 (train: no limit yet). */
static int check_labels(const char *path, const npy_i64 *y, int64_t lim, char *err,
                        size_t errlen)
{
    for (int64_t i = 0; i < y->count; i++) {
        if (y->data[i] < 0)
            return cm_fail(err, errlen, "%s: label %lld at index %lld is negative", path,
                            (long long)y->data[i], (long long)i);
        if (lim && y->data[i] >= lim)
            return cm_fail(err, errlen, "%s: label %lld at index %lld is out of range "
                                        "(train_y.npy has classes 0..%lld)", path,
                            (long long)y->data[i], (long long)i, (long long)lim - 1);
        if (!lim && y->data[i] >= TD_MAX_CLASSES)
            return cm_fail(err, errlen, "%s: label %lld at index %lld: at most %d classes",
                            path, (long long)y->data[i], (long long)i, TD_MAX_CLASSES);
    }
    return 0;
}

/* Reads every file (hashing its bytes) and checks the labels. */
static int read_files(td_set *s, char path[F_N][4200], const int *have, char *err,
                      size_t errlen)
{
    uint64_t fnv = CM_FNV_OFFSET;
    npy_opts xo = {{"clip", "frame", "feature", NULL}, &fnv}, yo = {{NULL}, &fnv};
    for (int f = 0; f < F_N; f++) {
        if (!have[f])
            continue;
        fnv = cm_fnv1a(fnv, td_files[f], strlen(td_files[f]) + 1);
        int sp = f / 2 == 0 ? TD_TRAIN : f / 2 == 1 ? TD_VAL : TD_TEST;
        if (f % 2 == 0 ? npy_read_f32(path[f], &xo, &s->xa[sp], err, errlen)
                       : npy_read_i64(path[f], &yo, &s->ya[sp], err, errlen))
            return -1;
    }
    /* The headers were checked before reading: a file replaced meanwhile
     * must not leave clips and labels that disagree. */
    for (int sp = 0; sp < 3; sp++)
        if (s->xa[sp].data && (s->xa[sp].ndim != 3 || s->xa[sp].shape[1] != s->frames ||
                               s->xa[sp].shape[2] != s->n_in ||
                               s->xa[sp].shape[0] != s->ya[sp].count || s->ya[sp].ndim != 1))
            return cm_fail(err, errlen, "%s: changed while being read", path[2 * sp]);
    if (check_labels(path[F_TRAIN_Y], &s->ya[TD_TRAIN], 0, err, errlen))
        return -1;
    int64_t max = 0;
    for (int64_t i = 0; i < s->ya[TD_TRAIN].count; i++)
        max = s->ya[TD_TRAIN].data[i] > max ? s->ya[TD_TRAIN].data[i] : max;
    s->classes = (int)max + 1;
    if (check_labels(path[F_TEST_Y], &s->ya[TD_TEST], s->classes, err, errlen) ||
        (have[F_VAL_Y] && check_labels(path[F_VAL_Y], &s->ya[TD_VAL], s->classes, err, errlen)))
        return -1;
    snprintf(s->hash, sizeof s->hash, "%016llx", (unsigned long long)fnv);
    return 0;
}

/* The three splits' clips; without val files, the last 10% (at least 1) of train. */
static void set_splits(td_set *s, int have_val)
{
    int64_t per = (int64_t)s->frames * s->n_in;
    for (int sp = 0; sp < 3; sp++) {
        s->x[sp] = s->xa[sp].data;
        s->y[sp] = s->ya[sp].data;
        s->count[sp] = s->ya[sp].count;
    }
    if (!have_val) {
        int64_t n = s->count[TD_TRAIN], nv = n / 10 > 1 ? n / 10 : 1;
        s->count[TD_TRAIN] = n - nv;
        s->count[TD_VAL] = nv;
        s->x[TD_VAL] = s->x[TD_TRAIN] + (n - nv) * per;
        s->y[TD_VAL] = s->y[TD_TRAIN] + (n - nv);
    }
}

static int open_dir(td_set *s, const char *dir, char *err, size_t errlen)
{
    char(*path)[4200] = malloc(F_N * sizeof *path);
    int have[F_N];
    if (!path)
        return cm_fail(err, errlen, "out of memory");
    int rc = find_files(dir, path, have, err, errlen) ||
             check_headers(s, path, have, err, errlen) || read_files(s, path, have, err, errlen)
                 ? -1 : 0;
    free(path);
    if (rc)
        return -1;
    set_splits(s, have[F_VAL_X]);
    s->name = strdup(dir);
    s->describe = strdup(dir);
    return s->name && s->describe ? 0 : cm_fail(err, errlen, "out of memory");
}

/* ============================================================ the set */

int td_open(const char *what, int64_t n_in, td_set **out, char *err, size_t errlen)
{
    *out = NULL;
    if (n_in < 1)
        return cm_fail(err, errlen, "data: n_in must be >= 1, got %lld", (long long)n_in);
    td_set *s = calloc(1, sizeof *s);
    if (!s)
        return cm_fail(err, errlen, "out of memory");
    s->n_in = n_in;
    size_t nl = strlen(TD_MF_NAME);
    int builtin = !strncmp(what, TD_MF_NAME, nl) && (what[nl] == '\0' || what[nl] == ':');
    if (builtin ? open_builtin(s, what, n_in, err, errlen) : open_dir(s, what, err, errlen)) {
        td_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void td_close(td_set *s)
{
    if (!s)
        return;
    for (int sp = 0; sp < 3; sp++) {
        npy_free_f32(&s->xa[sp]);
        npy_free_i64(&s->ya[sp]);
    }
    free(s->name);
    free(s->describe);
    free(s);
}

int64_t td_count(const td_set *s, td_split sp) { return s->count[sp]; }
int td_frames(const td_set *s) { return s->frames; }
int64_t td_n_in(const td_set *s) { return s->n_in; }
int td_classes(const td_set *s) { return s->classes; }
const char *td_name(const td_set *s) { return s->name; }
const char *td_describe(const td_set *s) { return s->describe; }
const char *td_hash(const td_set *s) { return s->hash; }

int64_t td_source_image(const td_set *s, td_split sp, int64_t i)
{
    uint64_t rng;
    if (!s->builtin || i < 0 || i >= s->count[sp])
        return -1;
    return source_image(&s->mf, sp, i, &rng);
}

void td_batch(const td_set *s, td_split sp, const int64_t *idx, int n, float *x, int32_t *y)
{
    int64_t per = (int64_t)s->frames * s->n_in;
    for (int k = 0; k < n; k++) {
        int64_t i = idx[k];
        if (i < 0 || i >= s->count[sp]) { /* a caller's bug: never return wrong clips */
            fprintf(stderr, "td_batch: clip %lld of the %s split does not exist (%lld clips)\n",
                    (long long)i, td_split_name[sp], (long long)s->count[sp]);
            abort();
        }
        if (s->builtin) {
            make_clip(s, sp, i, x + k * per, &y[k]);
        } else {
            memcpy(x + k * per, s->x[sp] + i * per, (size_t)per * sizeof *x);
            y[k] = (int32_t)s->y[sp][i];
        }
    }
}

/* ============================================================ writing */

/* mkdir -p */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return cm_fail(err, errlen, "cannot create directory '%s': %s", buf,
                            strerror(errno));
        if (!c)
            break;
        *p = c;
    }
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return cm_fail(err, errlen, "'%s' is not a directory", dir);
    return 0;
}

/* One split as <name>_x.npy and <name>_y.npy, a few MB of clips at a time. */
static int write_split(const td_set *s, td_split sp, const char *dir, char *err, size_t errlen)
{
    int64_t n = s->count[sp], per = (int64_t)s->frames * s->n_in;
    int64_t chunk = (INT64_C(1) << 22) / per > 1 ? (INT64_C(1) << 22) / per : 1;
    if (chunk > n)
        chunk = n;
    char px[4200], py[4200];
    snprintf(px, sizeof px, "%s/%s_x.npy", dir, td_split_name[sp]);
    snprintf(py, sizeof py, "%s/%s_y.npy", dir, td_split_name[sp]);
    int64_t shx[3] = {n, s->frames, s->n_in};
    float *x = malloc((size_t)(chunk * per) * sizeof *x);
    int32_t *y = malloc((size_t)chunk * sizeof *y);
    int64_t *y64 = malloc((size_t)chunk * sizeof *y64), *idx = malloc((size_t)chunk * sizeof *idx);
    npy_writer *wx = NULL, *wy = NULL;
    int rc = -1;
    if (!x || !y || !y64 || !idx)
        cm_fail(err, errlen, "out of memory");
    else if (!npy_writer_open(&wx, px, "<f4", 3, shx, err, errlen) &&
             !npy_writer_open(&wy, py, "<i8", 1, &n, err, errlen)) {
        rc = 0;
        for (int64_t i = 0; i < n && rc == 0; i += chunk) {
            int m = (int)(n - i < chunk ? n - i : chunk);
            for (int k = 0; k < m; k++)
                idx[k] = i + k;
            td_batch(s, sp, idx, m, x, y);
            for (int k = 0; k < m; k++)
                y64[k] = y[k];
            if (npy_writer_f32(wx, x, m * per, err, errlen))
                wx = NULL, rc = -1; /* the writer is gone on failure */
            else if (npy_writer_i64(wy, y64, m, err, errlen))
                wy = NULL, rc = -1;
        }
        if (rc == 0) {
            npy_writer *a = wx, *b = wy;
            wx = wy = NULL;
            rc = npy_writer_close(a, err, errlen) ? (npy_writer_abort(b), -1)
                                                  : npy_writer_close(b, err, errlen);
        }
    }
    npy_writer_abort(wx);
    npy_writer_abort(wy);
    free(x);
    free(y);
    free(y64);
    free(idx);
    return rc;
}

int td_write_npy(const td_set *s, const char *dir, char *err, size_t errlen)
{
    if (make_dirs(dir, err, errlen))
        return -1;
    for (int sp = 0; sp < 3; sp++)
        if (write_split(s, (td_split)sp, dir, err, errlen))
            return -1;
    return 0;
}
