/*
 * fmnist.c - reads the Fashion-MNIST idx files (see fmnist.h) with zlib's
 * gzread, which also checks each gzip member's CRC at its end.
 *
 * An idx file is a big-endian header (magic 0x00000803 for images, then
 * count, rows, cols; 0x00000801 for labels, then count) followed by one
 * byte per pixel or label.  Only the exact counts of the package are
 * accepted, so nothing is ever allocated from a number the file made up.
 */
#include "fmnist.h"

#include "cm_common.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define FM_MAGIC_IMAGES 0x00000803u
#define FM_MAGIC_LABELS 0x00000801u

const char *fm_dir(void)
{
    const char *d = getenv("FDHT_FMNIST_DIR");
    return d && *d ? d : FM_DEFAULT_DIR;
}

static int missing(const char *dir, const char *file, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return cm_fail(err, errlen, "moving-fmnist needs the Fashion-MNIST images: apt-get "
                                     "install dataset-fashion-mnist (looked in %s)", dir);
    return cm_fail(err, errlen, "moving-fmnist needs the Fashion-MNIST images: apt-get "
                                 "install dataset-fashion-mnist (looked in %s: no %s)", dir, file);
}

/* gzerror's message without the path zlib puts in front of it. */
static const char *gz_msg(gzFile g, const char *path, int *zerr)
{
    const char *m = gzerror(g, zerr);
    size_t pl = strlen(path);
    if (!strncmp(m, path, pl) && m[pl] == ':' && m[pl + 1] == ' ')
        m += pl + 2;
    return m;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* n bytes from g; -1 with the reason when the stream is short or corrupt. */
static int gz_exact(gzFile g, unsigned char *b, size_t n, const char *path, const char *what,
                    char *err, size_t errlen)
{
    size_t got = 0;
    while (got < n) {
        unsigned want = n - got > (1u << 24) ? 1u << 24 : (unsigned)(n - got);
        int r = gzread(g, b + got, want);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got == n)
        return 0;
    int zerr;
    const char *msg = gz_msg(g, path, &zerr);
    if (zerr != Z_OK && zerr != Z_BUF_ERROR)
        return cm_fail(err, errlen, "%s: corrupt gzip data (%s)", path, msg);
    return cm_fail(err, errlen, "%s: truncated: %zu of the %zu bytes of the %s", path, got, n,
                    what);
}

/* Reads one idx file: images (rows = cols = 28) or labels, exactly `count`. */
static int read_idx(const char *dir, const char *file, int images, int64_t count,
                    unsigned char **out, char *err, size_t errlen)
{
    *out = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    struct stat st;
    if (stat(path, &st))
        return errno == ENOENT ? missing(dir, file, err, errlen)
                               : cm_fail(err, errlen, "%s: %s", path, strerror(errno));
    gzFile g = gzopen(path, "rb");
    if (!g)
        return cm_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(g, 1 << 17);
    unsigned char h[16];
    size_t hl = images ? 16 : 8, n = (size_t)count * (images ? FM_PIXELS : 1);
    uint32_t magic = images ? FM_MAGIC_IMAGES : FM_MAGIC_LABELS;
    int rc = -1;
    unsigned char *data = NULL, extra;
    if (gz_exact(g, h, hl, path, "header", err, errlen))
        goto done;
    if (be32(h) != magic) {
        cm_fail(err, errlen, "%s: bad magic 0x%08x (an idx %s file starts with 0x%08x)", path,
                be32(h), images ? "image" : "label", magic);
        goto done;
    }
    if (be32(h + 4) != (uint32_t)count) {
        cm_fail(err, errlen, "%s: %u %s, expected %lld", path, be32(h + 4),
                images ? "images" : "labels", (long long)count);
        goto done;
    }
    if (images && (be32(h + 8) != FM_SIDE || be32(h + 12) != FM_SIDE)) {
        cm_fail(err, errlen, "%s: images of %u x %u pixels, expected %d x %d", path, be32(h + 8),
                be32(h + 12), FM_SIDE, FM_SIDE);
        goto done;
    }
    if (!(data = malloc(n))) {
        cm_fail(err, errlen, "out of memory");
        goto done;
    }
    if (gz_exact(g, data, n, path, images ? "images" : "labels", err, errlen))
        goto done;
    /* The end of the stream (and its CRC check) must come right after. */
    int r = gzread(g, &extra, 1);
    int zerr;
    const char *msg = gz_msg(g, path, &zerr);
    if (r > 0)
        cm_fail(err, errlen, "%s: unexpected bytes after the %lld %s", path, (long long)count,
                images ? "images" : "labels");
    else if (r < 0 || (zerr != Z_OK && zerr != Z_BUF_ERROR))
        cm_fail(err, errlen, "%s: corrupt gzip data (%s)", path, msg);
    else if (zerr == Z_BUF_ERROR)
        cm_fail(err, errlen, "%s: truncated gzip stream (%s)", path, msg);
    else
        rc = 0;
done:
    gzclose_r(g);
    if (rc)
        free(data);
    else
        *out = data;
    return rc;
}

static int check_labels(const char *dir, const char *file, const fm_split *s, char *err,
                        size_t errlen)
{
    for (int64_t i = 0; i < s->count; i++)
        if (s->labels[i] >= FM_CLASSES)
            return cm_fail(err, errlen, "%s/%s: label %d at index %lld (expected 0..%d)", dir,
                            file, s->labels[i], (long long)i, FM_CLASSES - 1);
    return 0;
}

/* Labels first (small), checked before the images are read: a bad file is
 * refused without inflating 47 MB first. */
static int load_split(const char *dir, const char *prefix, int64_t count, fm_split *s,
                      char *err, size_t errlen)
{
    char fi[64], fl[64];
    snprintf(fi, sizeof fi, "%s-images-idx3-ubyte.gz", prefix);
    snprintf(fl, sizeof fl, "%s-labels-idx1-ubyte.gz", prefix);
    unsigned char *lb, *px;
    if (read_idx(dir, fl, 0, count, &lb, err, errlen))
        return -1;
    *s = (fm_split){count, NULL, lb};
    if (check_labels(dir, fl, s, err, errlen) || read_idx(dir, fi, 1, count, &px, err, errlen))
        return -1; /* fm_free frees the labels */
    s->pixels = px;
    return 0;
}

void fm_free(fm_data *d)
{
    if (!d)
        return;
    free(d->dir);
    free((void *)d->train.pixels);
    free((void *)d->train.labels);
    free((void *)d->test.pixels);
    free((void *)d->test.labels);
    free(d);
}

int fm_load(const char *dir, fm_data **out, char *err, size_t errlen)
{
    *out = NULL;
    fm_data *d = calloc(1, sizeof *d);
    if (!d || !(d->dir = strdup(dir))) {
        free(d);
        return cm_fail(err, errlen, "out of memory");
    }
    if (load_split(dir, "train", FM_TRAIN, &d->train, err, errlen) ||
        load_split(dir, "t10k", FM_TEST, &d->test, err, errlen)) {
        fm_free(d);
        return -1;
    }
    *out = d;
    return 0;
}

/* ---- once per process ---- */

typedef struct fm_node {
    fm_data *d;
    struct fm_node *next;
} fm_node;

static pthread_mutex_t fm_lock = PTHREAD_MUTEX_INITIALIZER;
static fm_node *fm_cache;

const fm_data *fm_get(const char *dir, char *err, size_t errlen)
{
    if (!dir)
        dir = fm_dir();
    pthread_mutex_lock(&fm_lock);
    fm_node *n = fm_cache;
    while (n && strcmp(n->d->dir, dir))
        n = n->next;
    if (!n && (n = calloc(1, sizeof *n)) != NULL) {
        if (fm_load(dir, &n->d, err, errlen)) {
            free(n);
            n = NULL;
        } else {
            n->next = fm_cache;
            fm_cache = n;
        }
    } else if (!n) {
        cm_fail(err, errlen, "out of memory");
    }
    pthread_mutex_unlock(&fm_lock);
    return n ? n->d : NULL;
}

void fm_cache_clear(void)
{
    pthread_mutex_lock(&fm_lock);
    while (fm_cache) {
        fm_node *n = fm_cache;
        fm_cache = n->next;
        fm_free(n->d);
        free(n);
    }
    pthread_mutex_unlock(&fm_lock);
}
