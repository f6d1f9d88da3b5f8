/*
 * npy_write.c - writer of NumPy .npy files (see npy.h): float64 arrays
 * (factors, vectors), float32 and int64 arrays (data sets), whole or
 * streamed through an npy_writer so that arrays larger than memory (the
 * clips of a generated data set) are written as they are made.
 *
 * Values are encoded byte by byte as little-endian, independent of the
 * host.  A failed or abandoned write removes its file, so a file that
 * exists was written whole.
 */
#include "npy.h"

#include "cm_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct npy_writer {
    FILE *f;
    char *path;
    int itemsize;      /* 4 ('<f4') or 8 ('<f8' / '<i8') */
    char kind;         /* 'f' float or 'i' integer */
    int64_t count;     /* announced */
    int64_t done;      /* written */
};

/* "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }" padded so
 * that the data starts at a multiple of 64 bytes; pre = 10 or 12. */
static size_t make_header(const char *descr, int ndim, const int64_t *shape, size_t pre,
                          char *h, size_t cap)
{
    size_t o = (size_t)snprintf(h, cap, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                                descr);
    for (int k = 0; k < ndim; k++)
        o += (size_t)snprintf(h + o, cap - o, "%lld%s", (long long)shape[k],
                              ndim == 1 ? "," : (k + 1 < ndim ? ", " : ""));
    o += (size_t)snprintf(h + o, cap - o, "), }");
    while ((pre + o + 1) % 64 != 0)
        h[o++] = ' ';
    h[o++] = '\n';
    return o;
}

static int write_fail(npy_writer *w, int e, char *err, size_t errlen)
{
    char pb[160];
    cm_fail(err, errlen, "cannot write '%s': %s", npy_shown(w->path, pb, sizeof pb),
            strerror(e));
    npy_writer_abort(w);
    return -1;
}

int npy_writer_open(npy_writer **out, const char *path, const char *descr, int ndim,
                    const int64_t *shape, char *err, size_t errlen)
{
    *out = NULL;
    int fsz = !strcmp(descr, "<f8") || !strcmp(descr, "<i8") ? 8 : !strcmp(descr, "<f4") ? 4 : 0;
    if (!fsz)
        return cm_fail(err, errlen, "cannot write dtype '%s'", descr);
    if (ndim < 1 || ndim > NPY_MAX_WRITE_DIM)
        return cm_fail(err, errlen, "cannot write a %d-dimensional array", ndim);
    int64_t count = 1;
    for (int k = 0; k < ndim; k++) {
        if (shape[k] < 1 || shape[k] > NPY_MAX_ELEMS_ND || count > NPY_MAX_ELEMS_ND / shape[k])
            return cm_fail(err, errlen, "bad shape for writing (dimension %d)", k);
        count *= shape[k];
    }
    /* 8 dimensions of 13 digits fit in 512 bytes, so version 1.0 always does. */
    char h[512];
    size_t hl = make_header(descr, ndim, shape, 10, h, sizeof h);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff),
                             (unsigned char)(hl >> 8)};
    npy_writer *w = calloc(1, sizeof *w);
    char *p = strdup(path);
    if (!w || !p) {
        free(w);
        free(p);
        return cm_fail(err, errlen, "out of memory");
    }
    *w = (npy_writer){NULL, p, fsz, descr[1] == 'i' ? 'i' : 'f', count, 0};
    char pb[160];
    if (!(w->f = fopen(path, "wb"))) {
        cm_fail(err, errlen, "cannot create '%s': %s", npy_shown(path, pb, sizeof pb),
                strerror(errno));
        free(p);
        free(w);
        return -1;
    }
    if (fwrite(pre, 1, sizeof pre, w->f) != sizeof pre || fwrite(h, 1, hl, w->f) != hl)
        return write_fail(w, errno, err, errlen);
    *out = w;
    return 0;
}

/* n values of 4 or 8 bytes each from v, as little-endian. */
static int put(npy_writer *w, const void *v, int64_t n, int insize, char *err, size_t errlen)
{
    if (w->done + n > w->count) {
        npy_writer_abort(w);
        return cm_fail(err, errlen, "more values than the announced shape");
    }
    unsigned char buf[8 * 1024];
    const unsigned char *src = v;
    int64_t i = 0;
    while (i < n) {
        size_t o = 0;
        for (; i < n && o < sizeof buf; i++) {
            uint64_t u = 0;
            if (insize == 8)
                memcpy(&u, src + 8 * i, 8);
            else {
                uint32_t u4;
                memcpy(&u4, src + 4 * i, 4);
                u = u4;
            }
            for (int k = 0; k < w->itemsize; k++)
                buf[o++] = (unsigned char)(u >> (8 * k));
        }
        if (fwrite(buf, 1, o, w->f) != o)
            return write_fail(w, errno, err, errlen);
    }
    w->done += n;
    return 0;
}

int npy_writer_f32(npy_writer *w, const float *v, int64_t n, char *err, size_t errlen)
{
    if (w->kind != 'f' || w->itemsize != 4) {
        npy_writer_abort(w);
        return cm_fail(err, errlen, "float32 values for a file of another dtype");
    }
    return put(w, v, n, 4, err, errlen);
}

int npy_writer_i64(npy_writer *w, const int64_t *v, int64_t n, char *err, size_t errlen)
{
    if (w->kind != 'i') {
        npy_writer_abort(w);
        return cm_fail(err, errlen, "int64 values for a file of another dtype");
    }
    return put(w, v, n, 8, err, errlen);
}

/* float64 values: put() copies them as 8-byte patterns. */
static int writer_f64(npy_writer *w, const double *v, int64_t n, char *err, size_t errlen)
{
    return put(w, v, n, 8, err, errlen);
}

int npy_writer_close(npy_writer *w, char *err, size_t errlen)
{
    if (w->done != w->count) {
        char pb[160];
        cm_fail(err, errlen, "'%s': %lld values written, the shape announces %lld",
                npy_shown(w->path, pb, sizeof pb), (long long)w->done, (long long)w->count);
        npy_writer_abort(w);
        return -1;
    }
    FILE *f = w->f;
    w->f = NULL;
    if (fclose(f) != 0)
        return write_fail(w, errno, err, errlen);
    free(w->path);
    free(w);
    return 0;
}

void npy_writer_abort(npy_writer *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    remove(w->path);
    free(w->path);
    free(w);
}

/* ---- whole arrays ---- */

typedef enum { WHOLE_F8, WHOLE_F4, WHOLE_I8 } whole_type;

/* A whole array of one type to path: open, every element, close. */
static int write_whole(const char *path, whole_type t, int ndim, const int64_t *shape,
                       const void *data, char *err, size_t errlen)
{
    static const char *const descr[] = {"<f8", "<f4", "<i8"};
    npy_writer *w;
    if (npy_writer_open(&w, path, descr[t], ndim, shape, err, errlen))
        return -1;
    int rc = t == WHOLE_F8   ? writer_f64(w, data, w->count, err, errlen)
             : t == WHOLE_F4 ? npy_writer_f32(w, data, w->count, err, errlen)
                             : npy_writer_i64(w, data, w->count, err, errlen);
    return rc ? -1 : npy_writer_close(w, err, errlen);
}

int npy_write(const char *path, int ndim, const int64_t *shape, const double *data,
              char *err, size_t errlen)
{
    return write_whole(path, WHOLE_F8, ndim, shape, data, err, errlen);
}

int npy_write_f32(const char *path, int ndim, const int64_t *shape, const float *data,
                  char *err, size_t errlen)
{
    return write_whole(path, WHOLE_F4, ndim, shape, data, err, errlen);
}

int npy_write_i64(const char *path, int64_t n, const int64_t *data, char *err, size_t errlen)
{
    return write_whole(path, WHOLE_I8, 1, &n, data, err, errlen);
}
