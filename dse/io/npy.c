/*
 * npy.c - reader of NumPy .npy files (see npy.h); the writer is npy_write.c.
 *
 * The header is a Python dict literal; it is parsed by a small strict
 * scanner (three known keys, each once), not evaluated.  Sizes are checked
 * against the file before anything is allocated, so a header that claims a
 * huge array on a small file is refused instead of allocated.  Values are
 * decoded byte by byte as little-endian, independent of the host, chunk by
 * chunk straight into the result (a float32 data set of GBs is never held
 * twice).  Three result types share one path: doubles (npy_read, 1-D/2-D
 * floats, its refusals unchanged), floats and int64 (N-D).
 */
#include "npy.h"

#include "cm_common.h"
#include "cm_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

const char *npy_shown(const char *path, char *buf, size_t len)
{
    size_t o = 0;
    for (; *path && o + 4 < len; path++)
        buf[o++] = ((unsigned char)*path < 0x20 || *path == 0x7f) ? '?' : *path;
    if (*path)
        buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
    buf[o] = '\0';
    return buf;
}

void npy_free(npy_array *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

void npy_free_f32(npy_f32 *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

void npy_free_i64(npy_i64 *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- header ---- */

/* What the result is made of; the checks of the header depend on it. */
typedef enum {
    OUT_F64,   /* npy_read: '<f4'/'<f8', 1-D or 2-D, as double */
    OUT_F32,   /* float, N-D */
    OUT_I64,   /* integer, N-D */
    OUT_INFO   /* npy_read_info: any dtype of the two above, no data */
} out_kind;

typedef struct {
    char descr[32];
    char kind;         /* 'f', 'i', 'u' */
    int itemsize;
    int ndim;
    int64_t shape[NPY_MAX_DIM];  /* unused dimensions are 1 */
    int64_t count;
    size_t data_off;   /* offset of the first data byte */
} npy_hdr;

/* The dict as written, before any check of its meaning. */
typedef struct {
    char descr[32];
    int fortran, nd, over;
    int64_t dims[NPY_MAX_DIM];
} npy_dict;

typedef struct {
    const char *s;
    size_t n, i;
} scan;

static void sc_ws(scan *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' ||
                           c->s[c->i] == '\r'))
        c->i++;
}

static int sc_peek(scan *c)
{
    return c->i < c->n ? (unsigned char)c->s[c->i] : -1;
}

static int sc_eat(scan *c, char ch)
{
    sc_ws(c);
    if (sc_peek(c) != (unsigned char)ch)
        return -1;
    c->i++;
    return 0;
}

/* A quoted string (' or ") of at most cap-1 plain characters, no escapes. */
static int sc_string(scan *c, char *out, size_t cap)
{
    sc_ws(c);
    int q = sc_peek(c);
    if (q != '\'' && q != '"')
        return -1;
    c->i++;
    size_t o = 0;
    while (c->i < c->n && c->s[c->i] != q) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch < 0x20 || ch > 0x7e || ch == '\\' || o + 1 >= cap)
            return -1;
        out[o++] = (char)ch;
        c->i++;
    }
    if (c->i >= c->n)
        return -1;
    c->i++;
    out[o] = '\0';
    return 0;
}

static int sc_word(scan *c, const char *w)
{
    sc_ws(c);
    size_t l = strlen(w);
    if (c->n - c->i < l || memcmp(c->s + c->i, w, l) != 0)
        return -1;
    c->i += l;
    return 0;
}

/* The shape tuple; 1 = overflow, -1 = syntax. */
static int sc_shape(scan *c, int64_t *dims, int *nd, int maxd)
{
    if (sc_eat(c, '('))
        return -1;
    int n = 0, big = 0;
    for (;;) {
        sc_ws(c);
        if (sc_peek(c) == ')') {
            c->i++;
            break;
        }
        int ch = sc_peek(c);
        if (ch < '0' || ch > '9')
            return -1;
        int64_t v = 0;
        while ((ch = sc_peek(c)) >= '0' && ch <= '9') {
            if (v > (INT64_C(1) << 50))
                big = 1; /* keep scanning; the value is refused below */
            else
                v = v * 10 + (ch - '0');
            c->i++;
        }
        if (sc_peek(c) == 'L') /* Python 2 longs, as old numpy wrote them */
            c->i++;
        if (n < maxd)
            dims[n] = v;
        n++;
        sc_ws(c);
        if (sc_peek(c) == ',') {
            c->i++;
            continue;
        }
        if (sc_peek(c) != ')')
            return -1;
        c->i++;
        if (n == 1)
            return -1; /* "(3)" is an int in Python, not a tuple */
        break;
    }
    *nd = n;
    return big ? 1 : 0;
}

/* Parse the dict literal of hlen bytes: syntax only. */
static int parse_dict(const char *h, size_t hlen, npy_dict *d, char *err, size_t errlen)
{
    for (size_t i = 0; i < hlen; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (ch == 0 || ch > 0x7e || (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r'))
            return cm_fail(err, errlen, "header is not a plain-ASCII dictionary "
                                         "(byte 0x%02x at %zu)", ch, i);
    }
    scan c = {h, hlen, 0};
    int have_descr = 0, have_fo = 0, have_shape = 0;
    memset(d, 0, sizeof *d);
    if (sc_eat(&c, '{'))
        return cm_fail(err, errlen, "header is not a dictionary");
    for (;;) {
        sc_ws(&c);
        if (sc_peek(&c) == '}') {
            c.i++;
            break;
        }
        char key[32];
        if (sc_string(&c, key, sizeof key) || sc_eat(&c, ':'))
            return cm_fail(err, errlen, "malformed header dictionary near byte %zu", c.i);
        if (!strcmp(key, "descr") && !have_descr) {
            have_descr = 1;
            sc_ws(&c);
            if (sc_peek(&c) == '[')
                return cm_fail(err, errlen, "unsupported dtype: structured arrays are not "
                                             "supported (float32/float64 only)");
            if (sc_string(&c, d->descr, sizeof d->descr))
                return cm_fail(err, errlen, "malformed 'descr' in header");
        } else if (!strcmp(key, "fortran_order") && !have_fo) {
            have_fo = 1;
            if (!sc_word(&c, "False"))
                d->fortran = 0;
            else if (!sc_word(&c, "True"))
                d->fortran = 1;
            else
                return cm_fail(err, errlen, "malformed 'fortran_order' in header");
        } else if (!strcmp(key, "shape") && !have_shape) {
            have_shape = 1;
            int rc = sc_shape(&c, d->dims, &d->nd, NPY_MAX_DIM);
            if (rc < 0)
                return cm_fail(err, errlen, "malformed 'shape' in header");
            d->over = rc;
        } else {
            return cm_fail(err, errlen, "unexpected or repeated key '%s' in header", key);
        }
        sc_ws(&c);
        if (sc_peek(&c) == ',') {
            c.i++;
            continue;
        }
        if (sc_peek(&c) == '}') {
            c.i++;
            break;
        }
        return cm_fail(err, errlen, "malformed header dictionary near byte %zu", c.i);
    }
    sc_ws(&c);
    if (c.i != c.n)
        return cm_fail(err, errlen, "garbage after the header dictionary");
    if (!have_descr || !have_fo || !have_shape)
        return cm_fail(err, errlen, "header lacks '%s'",
                        !have_descr ? "descr" : !have_fo ? "fortran_order" : "shape");
    return 0;
}

/* npy_read's rules, with its messages: '<f4'/'<f8', 1-D or 2-D. */
static int check_legacy(const npy_dict *d, npy_hdr *hd, char *err, size_t errlen)
{
    if (!strcmp(d->descr, "<f8"))
        hd->itemsize = 8;
    else if (!strcmp(d->descr, "<f4"))
        hd->itemsize = 4;
    else if (!strcmp(d->descr, ">f8") || !strcmp(d->descr, ">f4"))
        return cm_fail(err, errlen, "big-endian data ('%s') is not supported; "
                                     "save with dtype '<f8' or '<f4'", d->descr);
    else
        return cm_fail(err, errlen, "unsupported dtype '%s' (float32 '<f4' or "
                                     "float64 '<f8' only)", d->descr);
    hd->kind = 'f';
    if (d->fortran)
        return cm_fail(err, errlen, "Fortran-order arrays are not supported "
                                     "(save a C-order array)");
    if (d->nd == 0)
        return cm_fail(err, errlen, "0-dimensional array: expected a vector or a matrix");
    if (d->nd > 2)
        return cm_fail(err, errlen, "array has %d dimensions: expected a vector (1-D) or a "
                                     "matrix (2-D)", d->nd);
    if (d->over)
        return cm_fail(err, errlen, "shape overflow: a dimension is too large");
    for (int k = 0; k < d->nd; k++)
        if (d->dims[k] == 0)
            return cm_fail(err, errlen, "empty array (a dimension is 0)");
    if (d->dims[0] > NPY_MAX_ELEMS || (d->nd == 2 && d->dims[1] > NPY_MAX_ELEMS / d->dims[0]))
        return cm_fail(err, errlen, "array too large: more than 2^31 elements");
    return 0;
}

static const struct {
    const char *descr;
    char kind;
    int size;
} npy_types[] = {
    {"<f4", 'f', 4}, {"<f8", 'f', 8}, {"<i8", 'i', 8}, {"<i4", 'i', 4}, {"<i2", 'i', 2},
    {"|i1", 'i', 1}, {"|u1", 'u', 1}, {"<u2", 'u', 2}, {"<u4", 'u', 4}, {"<u8", 'u', 8},
};

#define NPY_INT_LIST "'<i8' '<i4' '<i2' '|i1' '|u1' '<u2' '<u4' '<u8'"

/* The dtype for a float or integer result. */
static int check_dtype(const char *descr, out_kind out, npy_hdr *hd, char *err, size_t errlen)
{
    size_t t = 0, nt = sizeof npy_types / sizeof npy_types[0];
    while (t < nt && strcmp(descr, npy_types[t].descr))
        t++;
    if (t == nt && descr[0] == '>')
        return cm_fail(err, errlen, "big-endian data ('%s') is not supported; save "
                                     "little-endian ('<%s')", descr, descr + 1);
    if (t == nt)
        return cm_fail(err, errlen, "unsupported dtype '%s' (float32 '<f4', float64 '<f8' "
                                     "or an integer " NPY_INT_LIST ")", descr);
    if (out == OUT_F32 && npy_types[t].kind != 'f')
        return cm_fail(err, errlen, "dtype '%s' is not a float type (float32 '<f4' "
                                     "expected)", descr);
    if (out == OUT_I64 && npy_types[t].kind == 'f')
        return cm_fail(err, errlen, "dtype '%s' is not an integer type (integers "
                                     NPY_INT_LIST " expected)", descr);
    hd->kind = npy_types[t].kind;
    hd->itemsize = npy_types[t].size;
    return 0;
}

/* The N-D readers' rules. */
static int check_nd(const npy_dict *d, out_kind out, npy_hdr *hd, char *err, size_t errlen)
{
    if (check_dtype(d->descr, out, hd, err, errlen))
        return -1;
    if (d->fortran)
        return cm_fail(err, errlen, "Fortran-order arrays are not supported "
                                     "(save a C-order array)");
    if (d->nd == 0)
        return cm_fail(err, errlen, "0-dimensional array: expected 1 to %d dimensions",
                        NPY_MAX_DIM);
    if (d->nd > NPY_MAX_DIM)
        return cm_fail(err, errlen, "array has %d dimensions: at most %d are supported",
                        d->nd, NPY_MAX_DIM);
    if (d->over)
        return cm_fail(err, errlen, "shape overflow: a dimension is too large");
    int64_t n = 1;
    for (int k = 0; k < d->nd; k++)
        if (d->dims[k] == 0)
            return cm_fail(err, errlen, "empty array (a dimension is 0)");
    for (int k = 0; k < d->nd; k++) {
        if (d->dims[k] > NPY_MAX_ELEMS_ND / n)
            return cm_fail(err, errlen, "array too large: more than 2^40 elements");
        n *= d->dims[k];
    }
    return 0;
}

/* Checks the dict for the result kind and fills hd (but data_off). */
static int check_dict(const npy_dict *d, out_kind out, npy_hdr *hd, char *err, size_t errlen)
{
    if (out == OUT_F64 ? check_legacy(d, hd, err, errlen) : check_nd(d, out, hd, err, errlen))
        return -1;
    memcpy(hd->descr, d->descr, sizeof hd->descr);
    hd->ndim = d->nd;
    hd->count = 1;
    for (int k = 0; k < NPY_MAX_DIM; k++) {
        hd->shape[k] = k < d->nd ? d->dims[k] : 1;
        hd->count *= hd->shape[k];
    }
    return 0;
}

/*
 * Preamble and header from the first avail bytes of a file.  On success
 * hd->data_off is where the data starts.
 */
static int parse_header(const unsigned char *b, size_t avail, out_kind out, npy_hdr *hd,
                        char *err, size_t errlen)
{
    if (avail < 10 || memcmp(b, npy_magic, 6) != 0)
        return cm_fail(err, errlen, "not a .npy file (bad magic)");
    int major = b[6], minor = b[7];
    if (major < 1 || major > 3 || minor != 0)
        return cm_fail(err, errlen, "unsupported .npy format version %d.%d "
                                     "(1.0, 2.0, 3.0 supported)", major, minor);
    size_t pre = major == 1 ? 10 : 12, hlen;
    if (avail < pre)
        return cm_fail(err, errlen, "truncated .npy header");
    if (major == 1)
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
    else
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
    if (hlen > NPY_MAX_HEADER)
        return cm_fail(err, errlen, "header of %zu bytes is too long (limit %d)", hlen,
                        NPY_MAX_HEADER);
    if (avail - pre < hlen)
        return cm_fail(err, errlen, "truncated .npy header");
    memset(hd, 0, sizeof *hd);
    hd->data_off = pre + hlen;
    npy_dict d;
    if (parse_dict((const char *)b + pre, hlen, &d, err, errlen))
        return -1;
    return check_dict(&d, out, hd, err, errlen);
}

/* ---- data ---- */

/* A value that cannot be stored: what is wrong and its value. */
typedef struct {
    int what;    /* 1 NaN/inf, 2 beyond float32, 3 beyond int64 */
    double v;
    uint64_t u;
} npy_bad;

static uint64_t load_le(const unsigned char *p, int size)
{
    uint64_t u = 0;
    for (int k = size - 1; k >= 0; k--)
        u = u << 8 | p[k];
    return u;
}

static double load_float(const unsigned char *p, int size)
{
    if (size == 8) {
        uint64_t u = load_le(p, 8);
        double v;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    uint32_t u = (uint32_t)load_le(p, 4);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Decode n values into dst (of the result type); returns the index of one
 * that cannot be stored (described in *bad), or -1. */
static int64_t decode(const unsigned char *src, int64_t n, const npy_hdr *hd, out_kind out,
                      void *dst, npy_bad *bad)
{
    int sz = hd->itemsize;
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *p = src + i * sz;
        if (out == OUT_I64) {
            uint64_t u = load_le(p, sz);
            if (hd->kind == 'i' && sz < 8 && (u >> (8 * sz - 1)) & 1)
                u |= ~UINT64_C(0) << (8 * sz); /* sign-extend */
            if (hd->kind == 'u' && u > (uint64_t)INT64_MAX) {
                *bad = (npy_bad){3, 0, u};
                return i;
            }
            ((int64_t *)dst)[i] = (int64_t)u; /* two's complement: exact */
            continue;
        }
        double v = load_float(p, sz);
        if (!isfinite(v)) {
            *bad = (npy_bad){1, v, 0};
            return i;
        }
        if (out == OUT_F64) {
            ((double *)dst)[i] = v;
        } else {
            if (fabs(v) > FLT_MAX) {
                *bad = (npy_bad){2, v, 0};
                return i;
            }
            ((float *)dst)[i] = (float)v;
        }
    }
    return -1;
}

/* Data bytes present must match the header exactly. */
static int check_size(const npy_hdr *hd, uint64_t total, char *err, size_t errlen)
{
    uint64_t need = (uint64_t)hd->count * (uint64_t)hd->itemsize;
    uint64_t have = total - hd->data_off;
    if (have < need)
        return cm_fail(err, errlen, "truncated data: header announces %lld values "
                                     "(%llu bytes), file holds %llu bytes",
                        (long long)hd->count, (unsigned long long)need,
                        (unsigned long long)have);
    if (have > need)
        return cm_fail(err, errlen, "%llu unexpected bytes after the data",
                        (unsigned long long)(have - need));
    return 0;
}

static size_t out_size(out_kind out)
{
    return out == OUT_F32 ? sizeof(float) : out == OUT_I64 ? sizeof(int64_t) : sizeof(double);
}

/* Where value i is: "row 1, column 2" (npy_read's matrices), named axes, or [1, 2, 3]. */
static void position(const npy_hdr *hd, out_kind out, int64_t i, const npy_opts *o, char *b,
                     size_t len)
{
    int64_t idx[NPY_MAX_DIM];
    for (int k = hd->ndim - 1; k >= 0; k--) {
        idx[k] = i % hd->shape[k];
        i /= hd->shape[k];
    }
    int named = 0;
    while (o && named <= NPY_MAX_DIM && o->axes[named])
        named++;
    size_t n = 0;
    if (out == OUT_F64) {
        if (hd->ndim == 2)
            snprintf(b, len, "row %lld, column %lld", (long long)idx[0], (long long)idx[1]);
        else
            snprintf(b, len, "index %lld", (long long)idx[0]);
        return;
    }
    for (int k = 0; k < hd->ndim && n < len; k++) {
        if (named == hd->ndim)
            n += (size_t)snprintf(b + n, len - n, "%s%s %lld", k ? ", " : "", o->axes[k],
                                  (long long)idx[k]);
        else
            n += (size_t)snprintf(b + n, len - n, "%s%lld", k ? ", " : "[", (long long)idx[k]);
    }
    if (named != hd->ndim && n < len)
        snprintf(b + n, len - n, "]");
}

/* Value i cannot be stored: say which it is, what, and where (counted from 0). */
static int bad_value(const npy_hdr *hd, out_kind out, int64_t i, const npy_bad *bad,
                     const npy_opts *o, char *err, size_t errlen)
{
    char at[160];
    position(hd, out, i, o, at, sizeof at);
    if (bad->what == 1)
        return cm_fail(err, errlen, "value %lld is NaN or infinite: %s at %s (counted from 0)",
                        (long long)i, isnan(bad->v) ? "NaN" : bad->v > 0 ? "+inf" : "-inf", at);
    if (bad->what == 2)
        return cm_fail(err, errlen, "value %lld (%g) is beyond the float32 range: at %s "
                                     "(counted from 0)", (long long)i, bad->v, at);
    return cm_fail(err, errlen, "value %lld (%llu) does not fit in int64: at %s "
                                 "(counted from 0)", (long long)i,
                    (unsigned long long)bad->u, at);
}

static int alloc_data(const npy_hdr *hd, out_kind out, void **data, char *err, size_t errlen)
{
    *data = malloc((size_t)hd->count * out_size(out));
    if (!*data)
        return cm_fail(err, errlen, "out of memory (%lld values)", (long long)hd->count);
    return 0;
}

/* The in-memory path: header, exact size, then every value. */
static int parse_mem(const unsigned char *buf, size_t len, out_kind out, npy_hdr *hd,
                     void **data, char *err, size_t errlen)
{
    *data = NULL;
    if (parse_header(buf, len, out, hd, err, errlen) || check_size(hd, len, err, errlen) ||
        alloc_data(hd, out, data, err, errlen))
        return -1;
    npy_bad bad;
    int64_t i = decode(buf + hd->data_off, hd->count, hd, out, *data, &bad);
    if (i < 0)
        return 0;
    free(*data);
    *data = NULL;
    return bad_value(hd, out, i, &bad, NULL, err, errlen);
}

/* read() the whole of n bytes unless the file ends or fails. */
static int read_full(int fd, unsigned char *b, size_t n, size_t *got)
{
    size_t o = 0;
    while (o < n) {
        ssize_t r = read(fd, b + o, n - o);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        o += (size_t)r;
    }
    *got = o;
    return 0;
}

/* The data part, chunk by chunk: decoded into data, hashed if asked. */
static int read_data(int fd, const npy_hdr *hd, out_kind out, void *data, const npy_opts *o,
                     char *err, size_t errlen)
{
    enum { CHUNK = 1 << 20 };
    unsigned char *buf = malloc(CHUNK);
    if (!buf)
        return cm_fail(err, errlen, "out of memory");
    int64_t per = CHUNK / hd->itemsize, done = 0;
    size_t osz = out_size(out);
    int rc = 0;
    while (done < hd->count && rc == 0) {
        int64_t n = hd->count - done < per ? hd->count - done : per;
        size_t got;
        if (read_full(fd, buf, (size_t)(n * hd->itemsize), &got))
            rc = cm_fail(err, errlen, "read error: %s", strerror(errno));
        else if (got != (size_t)(n * hd->itemsize))
            rc = cm_fail(err, errlen, "truncated data (file shrank while reading)");
        else {
            if (o && o->fnv)
                *o->fnv = cm_fnv1a(*o->fnv, buf, got);
            npy_bad bad;
            int64_t i = decode(buf, n, hd, out, (char *)data + (size_t)done * osz, &bad);
            if (i >= 0)
                rc = bad_value(hd, out, done + i, &bad, o, err, errlen);
            done += n;
        }
    }
    free(buf);
    return rc;
}

/* The header of an open regular file (its first bytes hashed if asked). */
static int read_header(int fd, uint64_t size, out_kind out, const npy_opts *o, npy_hdr *hd,
                       char *err, size_t errlen)
{
    /* Only the preamble and a bounded header are read before checking sizes. */
    size_t want = 12 + NPY_MAX_HEADER, got;
    if (size < want)
        want = (size_t)size;
    unsigned char *head = malloc(want ? want : 1);
    if (!head)
        return cm_fail(err, errlen, "out of memory");
    int rc = -1;
    if (read_full(fd, head, want, &got))
        cm_fail(err, errlen, "cannot read: %s", strerror(errno));
    else if (!parse_header(head, got, out, hd, err, errlen) &&
             !check_size(hd, size, err, errlen)) {
        if (o && o->fnv)
            *o->fnv = cm_fnv1a(*o->fnv, head, hd->data_off);
        rc = 0;
    }
    free(head);
    return rc;
}

/* A file: header, then (data != NULL) the values.  Messages name the file. */
static int read_path(const char *path, out_kind out, const npy_opts *o, npy_hdr *hd,
                     void **data, char *err, size_t errlen)
{
    char pb[160], why[300];
    const char *ps = npy_shown(path, pb, sizeof pb);
    if (data)
        *data = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return cm_fail(err, errlen, "cannot open '%s': %s", ps, strerror(errno));
    struct stat stb;
    int rc = -1;
    if (fstat(fd, &stb))
        cm_fail(err, errlen, "cannot stat '%s': %s", ps, strerror(errno));
    else if (S_ISDIR(stb.st_mode))
        cm_fail(err, errlen, "'%s' is a directory, not a .npy file", ps);
    else if (!S_ISREG(stb.st_mode))
        cm_fail(err, errlen, "'%s' is not a regular file", ps);
    else if (read_header(fd, (uint64_t)stb.st_size, out, o, hd, why, sizeof why))
        cm_fail(err, errlen, "%s: %s", ps, why);
    else if (!data)
        rc = 0;
    else if (alloc_data(hd, out, data, err, errlen))
        ;
    else if (lseek(fd, (off_t)hd->data_off, SEEK_SET) < 0)
        cm_fail(err, errlen, "cannot seek in '%s': %s", ps, strerror(errno));
    else if (read_data(fd, hd, out, *data, o, why, sizeof why))
        cm_fail(err, errlen, "%s: %s", ps, why);
    else
        rc = 0;
    if (rc && data) {
        free(*data);
        *data = NULL;
    }
    close(fd);
    return rc;
}

/* ---- the entry points ---- */

static void fill_legacy(const npy_hdr *hd, void *data, npy_array *a)
{
    a->ndim = hd->ndim;
    a->shape[0] = hd->shape[0];
    a->shape[1] = hd->shape[1];
    a->count = hd->count;
    a->data = data;
}

int npy_parse(const unsigned char *buf, size_t len, npy_array *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    npy_hdr hd;
    void *data;
    if (parse_mem(buf, len, OUT_F64, &hd, &data, err, errlen))
        return -1;
    fill_legacy(&hd, data, a);
    return 0;
}

int npy_read(const char *path, npy_array *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    npy_hdr hd;
    void *data;
    if (read_path(path, OUT_F64, NULL, &hd, &data, err, errlen))
        return -1;
    fill_legacy(&hd, data, a);
    return 0;
}

int npy_read_info(const char *path, npy_info *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    npy_hdr hd;
    if (read_path(path, OUT_INFO, NULL, &hd, NULL, err, errlen))
        return -1;
    memcpy(h->descr, hd.descr, sizeof h->descr - 1); /* a dtype of the table: 3 chars */
    h->descr[sizeof h->descr - 1] = '\0';
    h->kind = hd.kind;
    h->itemsize = hd.itemsize;
    h->ndim = hd.ndim;
    memcpy(h->shape, hd.shape, sizeof h->shape);
    h->count = hd.count;
    h->data_off = hd.data_off;
    return 0;
}

/* npy_f32 and npy_i64 have the same layout but for the data pointer's type. */
#define FILL_ND(a, hd, d)                                   \
    do {                                                    \
        (a)->ndim = (hd).ndim;                              \
        memcpy((a)->shape, (hd).shape, sizeof (a)->shape);  \
        (a)->count = (hd).count;                            \
        (a)->data = (d);                                    \
    } while (0)

int npy_read_f32(const char *path, const npy_opts *o, npy_f32 *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    npy_hdr hd;
    void *data;
    if (read_path(path, OUT_F32, o, &hd, &data, err, errlen))
        return -1;
    FILL_ND(a, hd, data);
    return 0;
}

int npy_read_i64(const char *path, const npy_opts *o, npy_i64 *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    npy_hdr hd;
    void *data;
    if (read_path(path, OUT_I64, o, &hd, &data, err, errlen))
        return -1;
    FILL_ND(a, hd, data);
    return 0;
}

int npy_parse_f32(const unsigned char *buf, size_t len, npy_f32 *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    npy_hdr hd;
    void *data;
    if (parse_mem(buf, len, OUT_F32, &hd, &data, err, errlen))
        return -1;
    FILL_ND(a, hd, data);
    return 0;
}

int npy_parse_i64(const unsigned char *buf, size_t len, npy_i64 *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    npy_hdr hd;
    void *data;
    if (parse_mem(buf, len, OUT_I64, &hd, &data, err, errlen))
        return -1;
    FILL_ND(a, hd, data);
    return 0;
}
