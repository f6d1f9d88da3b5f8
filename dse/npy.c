/*
 * npy.c - reader and writer of NumPy .npy files (see npy.h).
 *
 * The header is a Python dict literal; it is parsed by a small strict
 * scanner (three known keys, each once), not evaluated.  Sizes are checked
 * against the file before anything is allocated, so a header that claims a
 * huge array on a small file is refused instead of allocated.  Values are
 * decoded byte by byte as little-endian, independent of the host.
 */
#include "npy.h"

#include "cm_common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* A path as shown in a message: bounded, control bytes as '?' (one line). */
static const char *shown(const char *path, char *buf, size_t len)
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

/* ---- header ---- */

typedef struct {
    int itemsize;      /* 4 or 8 */
    int ndim;
    int64_t shape[2];
    int64_t count;
    size_t data_off;   /* offset of the first data byte */
} npy_hdr;

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

/* Parse the dict literal of hlen bytes. */
static int parse_dict(const char *h, size_t hlen, npy_hdr *hd, char *err, size_t errlen)
{
    for (size_t i = 0; i < hlen; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (ch == 0 || ch > 0x7e || (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r'))
            return cm_fail(err, errlen, "header is not a plain-ASCII dictionary "
                                         "(byte 0x%02x at %zu)", ch, i);
    }
    scan c = {h, hlen, 0};
    int have_descr = 0, have_fo = 0, have_shape = 0, fortran = 0, nd = 0, over = 0;
    char descr[32] = "";
    int64_t dims[3] = {0, 0, 0};
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
            if (sc_string(&c, descr, sizeof descr))
                return cm_fail(err, errlen, "malformed 'descr' in header");
        } else if (!strcmp(key, "fortran_order") && !have_fo) {
            have_fo = 1;
            if (!sc_word(&c, "False"))
                fortran = 0;
            else if (!sc_word(&c, "True"))
                fortran = 1;
            else
                return cm_fail(err, errlen, "malformed 'fortran_order' in header");
        } else if (!strcmp(key, "shape") && !have_shape) {
            have_shape = 1;
            int rc = sc_shape(&c, dims, &nd, 3);
            if (rc < 0)
                return cm_fail(err, errlen, "malformed 'shape' in header");
            over = rc;
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
    if (!strcmp(descr, "<f8"))
        hd->itemsize = 8;
    else if (!strcmp(descr, "<f4"))
        hd->itemsize = 4;
    else if (!strcmp(descr, ">f8") || !strcmp(descr, ">f4"))
        return cm_fail(err, errlen, "big-endian data ('%s') is not supported; "
                                     "save with dtype '<f8' or '<f4'", descr);
    else
        return cm_fail(err, errlen, "unsupported dtype '%s' (float32 '<f4' or "
                                     "float64 '<f8' only)", descr);
    if (fortran)
        return cm_fail(err, errlen, "Fortran-order arrays are not supported "
                                     "(save a C-order array)");
    if (nd == 0)
        return cm_fail(err, errlen, "0-dimensional array: expected a vector or a matrix");
    if (nd > 2)
        return cm_fail(err, errlen, "array has %d dimensions: expected a vector (1-D) or a "
                                     "matrix (2-D)", nd);
    if (over)
        return cm_fail(err, errlen, "shape overflow: a dimension is too large");
    for (int k = 0; k < nd; k++)
        if (dims[k] == 0)
            return cm_fail(err, errlen, "empty array (a dimension is 0)");
    if (dims[0] > NPY_MAX_ELEMS || (nd == 2 && dims[1] > NPY_MAX_ELEMS / dims[0]))
        return cm_fail(err, errlen, "array too large: more than 2^31 elements");
    hd->ndim = nd;
    hd->shape[0] = dims[0];
    hd->shape[1] = nd == 2 ? dims[1] : 1;
    hd->count = hd->shape[0] * hd->shape[1];
    return 0;
}

/*
 * Preamble and header from the first avail bytes of a file.  On success
 * hd->data_off is where the data starts.
 */
static int parse_header(const unsigned char *b, size_t avail, npy_hdr *hd, char *err,
                        size_t errlen)
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
    hd->data_off = pre + hlen;
    return parse_dict((const char *)b + pre, hlen, hd, err, errlen);
}

/* ---- data ---- */

/* Decode n little-endian values; returns the index of a non-finite one (its
 * value in *bad) or -1. */
static int64_t decode(const unsigned char *src, int64_t n, int itemsize, double *dst,
                      double *bad)
{
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *p = src + i * itemsize;
        double v;
        if (itemsize == 8) {
            uint64_t u = 0;
            for (int k = 7; k >= 0; k--)
                u = u << 8 | p[k];
            memcpy(&v, &u, sizeof v);
        } else {
            uint32_t u = 0;
            float f;
            for (int k = 3; k >= 0; k--)
                u = u << 8 | p[k];
            memcpy(&f, &u, sizeof f);
            v = f;
        }
        if (!isfinite(v)) {
            *bad = v;
            return i;
        }
        dst[i] = v;
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

static int alloc_array(const npy_hdr *hd, npy_array *a, char *err, size_t errlen)
{
    a->ndim = hd->ndim;
    a->shape[0] = hd->shape[0];
    a->shape[1] = hd->shape[1];
    a->count = hd->count;
    a->data = malloc((size_t)hd->count * sizeof(double));
    if (!a->data)
        return cm_fail(err, errlen, "out of memory (%lld values)", (long long)hd->count);
    return 0;
}

/* Value i (C order) is v, not finite: say where, as row and column of a
 * matrix (counted from 0, like numpy's W[r, c]). */
static int non_finite(const npy_hdr *hd, int64_t i, double v, char *err, size_t errlen)
{
    const char *what = isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf";
    if (hd->ndim == 2)
        return cm_fail(err, errlen, "value %lld is NaN or infinite: %s at row %lld, column %lld "
                                     "(counted from 0)", (long long)i, what,
                        (long long)(i / hd->shape[1]), (long long)(i % hd->shape[1]));
    return cm_fail(err, errlen, "value %lld is NaN or infinite: %s at index %lld "
                                 "(counted from 0)", (long long)i, what, (long long)i);
}

int npy_parse(const unsigned char *buf, size_t len, npy_array *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    npy_hdr hd;
    if (parse_header(buf, len, &hd, err, errlen) || check_size(&hd, len, err, errlen) ||
        alloc_array(&hd, a, err, errlen))
        return -1;
    double v = 0;
    int64_t bad = decode(buf + hd.data_off, hd.count, hd.itemsize, a->data, &v);
    if (bad < 0)
        return 0;
    npy_free(a);
    return non_finite(&hd, bad, v, err, errlen);
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

static int read_data(int fd, const npy_hdr *hd, npy_array *a, char *err, size_t errlen)
{
    enum { CHUNK = 1 << 20 };
    unsigned char *buf = malloc(CHUNK);
    if (!buf)
        return cm_fail(err, errlen, "out of memory");
    int64_t per = CHUNK / hd->itemsize, done = 0;
    int rc = 0;
    while (done < hd->count && rc == 0) {
        int64_t n = hd->count - done < per ? hd->count - done : per;
        size_t got;
        if (read_full(fd, buf, (size_t)(n * hd->itemsize), &got))
            rc = cm_fail(err, errlen, "read error: %s", strerror(errno));
        else if (got != (size_t)(n * hd->itemsize))
            rc = cm_fail(err, errlen, "truncated data (file shrank while reading)");
        else {
            double v = 0;
            int64_t bad = decode(buf, n, hd->itemsize, a->data + done, &v);
            if (bad >= 0)
                rc = non_finite(hd, done + bad, v, err, errlen);
            done += n;
        }
    }
    free(buf);
    return rc;
}

int npy_read(const char *path, npy_array *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    char pb[160];
    const char *ps = shown(path, pb, sizeof pb);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return cm_fail(err, errlen, "cannot open '%s': %s", ps, strerror(errno));
    struct stat stb;
    unsigned char *head = NULL;
    int rc = -1;
    if (fstat(fd, &stb)) {
        cm_fail(err, errlen, "cannot stat '%s': %s", ps, strerror(errno));
        goto done;
    }
    if (S_ISDIR(stb.st_mode)) {
        cm_fail(err, errlen, "'%s' is a directory, not a .npy file", ps);
        goto done;
    }
    if (!S_ISREG(stb.st_mode)) {
        cm_fail(err, errlen, "'%s' is not a regular file", ps);
        goto done;
    }
    /* Only the preamble and a bounded header are read before checking sizes. */
    size_t want = 12 + NPY_MAX_HEADER, got;
    if ((uint64_t)stb.st_size < want)
        want = (size_t)stb.st_size;
    head = malloc(want ? want : 1);
    if (!head) {
        cm_fail(err, errlen, "out of memory");
        goto done;
    }
    if (read_full(fd, head, want, &got)) {
        cm_fail(err, errlen, "cannot read '%s': %s", ps, strerror(errno));
        goto done;
    }
    npy_hdr hd;
    char why[200];
    if (parse_header(head, got, &hd, why, sizeof why) ||
        check_size(&hd, (uint64_t)stb.st_size, why, sizeof why)) {
        cm_fail(err, errlen, "%s: %s", ps, why);
        goto done;
    }
    if (alloc_array(&hd, a, err, errlen))
        goto done;
    if (lseek(fd, (off_t)hd.data_off, SEEK_SET) < 0) {
        cm_fail(err, errlen, "cannot seek in '%s': %s", ps, strerror(errno));
        goto done;
    }
    if (read_data(fd, &hd, a, why, sizeof why)) {
        cm_fail(err, errlen, "%s: %s", ps, why);
        goto done;
    }
    rc = 0;
done:
    if (rc)
        npy_free(a);
    free(head);
    close(fd);
    return rc;
}

/* ---- write ---- */

/* "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }" padded to 64. */
static size_t make_header(int ndim, const int64_t *shape, char *h, size_t cap)
{
    size_t o = (size_t)snprintf(h, cap, "{'descr': '<f8', 'fortran_order': False, 'shape': (");
    for (int k = 0; k < ndim; k++)
        o += (size_t)snprintf(h + o, cap - o, "%lld%s", (long long)shape[k],
                              ndim == 1 ? "," : (k + 1 < ndim ? ", " : ""));
    o += (size_t)snprintf(h + o, cap - o, "), }");
    /* 10 preamble bytes + header + '\n' must be a multiple of 64. */
    while ((10 + o + 1) % 64 != 0)
        h[o++] = ' ';
    h[o++] = '\n';
    return o;
}

int npy_write(const char *path, int ndim, const int64_t *shape, const double *data,
              char *err, size_t errlen)
{
    if (ndim < 1 || ndim > NPY_MAX_WRITE_DIM)
        return cm_fail(err, errlen, "cannot write a %d-dimensional array", ndim);
    int64_t count = 1;
    for (int k = 0; k < ndim; k++) {
        if (shape[k] < 1 || shape[k] > NPY_MAX_ELEMS || count > NPY_MAX_ELEMS / shape[k])
            return cm_fail(err, errlen, "bad shape for writing (dimension %d)", k);
        count *= shape[k];
    }
    char h[512];
    size_t hl = make_header(ndim, shape, h, sizeof h);
    unsigned char pre[10];
    memcpy(pre, npy_magic, 6);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (unsigned char)(hl & 0xff);
    pre[9] = (unsigned char)(hl >> 8);
    char pb[160];
    FILE *f = fopen(path, "wb");
    if (!f)
        return cm_fail(err, errlen, "cannot create '%s': %s", shown(path, pb, sizeof pb),
                        strerror(errno));
    int ok = fwrite(pre, 1, sizeof pre, f) == sizeof pre && fwrite(h, 1, hl, f) == hl;
    unsigned char buf[8 * 1024];
    int64_t i = 0;
    while (ok && i < count) {
        size_t o = 0;
        for (; i < count && o < sizeof buf; i++) {
            uint64_t u;
            memcpy(&u, &data[i], sizeof u);
            for (int k = 0; k < 8; k++)
                buf[o++] = (unsigned char)(u >> (8 * k));
        }
        ok = fwrite(buf, 1, o, f) == o;
    }
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        remove(path);
        return cm_fail(err, errlen, "cannot write '%s': %s", shown(path, pb, sizeof pb),
                        strerror(e));
    }
    return 0;
}
