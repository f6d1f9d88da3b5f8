/*
 * test_npy.c - the .npy reader and writer (dse/io/npy.h): round trips, the
 * accepted variants (float32, versions 2.0 / 3.0, Python 2 headers) and one
 * file per refusal, written byte by byte into a temporary directory; then a
 * mutation fuzz of the in-memory parser (it must refuse or accept, never
 * crash: run it under the sanitizers).  The N-D readers (float32 data sets,
 * integer labels) and writers (float32, int64, streamed) likewise.
 */
#include "test_util.h"
#include "cm_hash.h"
#include "cm_matvec.h"
#include "npy.h"

#include <sys/stat.h>
#include <unistd.h>

/* An image of a .npy file: magic, version, length field, header, data. */
typedef struct {
    unsigned char b[4096];
    size_t n;
} img;

static void img_make(img *m, int major, int minor, const char *hdr, const void *data,
                     size_t dlen)
{
    size_t hl = strlen(hdr);
    static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    memcpy(m->b, magic, 6);
    m->b[6] = (unsigned char)major;
    m->b[7] = (unsigned char)minor;
    size_t o = 8;
    if (major == 1) {
        m->b[o++] = (unsigned char)(hl & 0xff);
        m->b[o++] = (unsigned char)(hl >> 8);
    } else {
        for (int k = 0; k < 4; k++)
            m->b[o++] = (unsigned char)(hl >> (8 * k));
    }
    assert_true(o + hl + dlen <= sizeof m->b);
    memcpy(m->b + o, hdr, hl);
    o += hl;
    if (dlen)
        memcpy(m->b + o, data, dlen);
    m->n = o + dlen;
}

static void put_f64(unsigned char *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    for (int k = 0; k < 8; k++)
        p[k] = (unsigned char)(u >> (8 * k));
}

static void put_f32(unsigned char *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    for (int k = 0; k < 4; k++)
        p[k] = (unsigned char)(u >> (8 * k));
}

static void write_file(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Both entry points refuse the image, with a reason containing want. */
static void expect_refused(const img *m, const char *want)
{
    npy_array a;
    char err[300] = "";
    assert_int_equal(npy_parse(m->b, m->n, &a, err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("npy_parse: expected '%s' in '%s'", want, err);
    assert_null(a.data);
    write_file(tu_path("bad.npy"), m->b, m->n);
    err[0] = 0;
    assert_int_equal(npy_read(tu_path("bad.npy"), &a, err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("npy_read: expected '%s' in '%s'", want, err);
    assert_null(a.data);
}

static const char *H2x3 = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n";

static void six_f64(unsigned char *d)
{
    for (int i = 0; i < 6; i++)
        put_f64(d + 8 * i, i - 2.5);
}

/* ---------------------------------------------------------------- accept */

static void test_round_trip(void **state)
{
    (void)state;
    double v[12] = {0, -0.0, 1, -1, 3.141592653589793, 1e-310, -1e308, 1e308,
                    2.2250738585072014e-308, 123456789.125, -7, 0.1};
    char err[300];
    int64_t sh2[2] = {3, 4}, sh1[1] = {12};
    npy_array a;
    assert_int_equal(npy_write(tu_path("m.npy"), 2, sh2, v, err, sizeof err), 0);
    assert_int_equal(npy_read(tu_path("m.npy"), &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 3);
    assert_int_equal(a.shape[1], 4);
    assert_int_equal(a.count, 12);
    assert_memory_equal(a.data, v, sizeof v); /* bit for bit, -0.0 and subnormals too */
    npy_free(&a);
    assert_int_equal(npy_write(tu_path("v.npy"), 1, sh1, v, err, sizeof err), 0);
    assert_int_equal(npy_read(tu_path("v.npy"), &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.shape[0], 12);
    assert_int_equal(a.shape[1], 1);
    assert_memory_equal(a.data, v, sizeof v);
    npy_free(&a);
    /* The written header is numpy's: "(12,)", data aligned to 64 bytes. */
    FILE *f = fopen(tu_path("v.npy"), "rb");
    assert_non_null(f);
    unsigned char b[256];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    assert_true(n > 10);
    assert_int_equal(b[6], 1);
    assert_int_equal(b[7], 0);
    size_t hl = b[8] | (size_t)b[9] << 8;
    assert_int_equal((10 + hl) % 64, 0);
    assert_int_equal(b[10 + hl - 1], '\n');
    assert_non_null(strstr((const char *)b + 10, "'shape': (12,)"));
    assert_non_null(strstr((const char *)b + 10, "'descr': '<f8'"));
    /* Higher-dimensional writes (factor tensors). */
    int64_t sh4[4] = {1, 2, 3, 2};
    assert_int_equal(npy_write(tu_path("g.npy"), 4, sh4, v, err, sizeof err), 0);
    assert_int_equal(npy_read(tu_path("g.npy"), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "4 dimensions"));
}

static void test_float32_and_versions(void **state)
{
    (void)state;
    unsigned char d[24];
    float fv[6] = {1.5f, -2.25f, 0.1f, 3e38f, -1e-40f, 7};
    for (int i = 0; i < 6; i++)
        put_f32(d + 4 * i, fv[i]);
    img m;
    npy_array a;
    char err[300];
    img_make(&m, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }\n", d, 24);
    assert_int_equal(npy_parse(m.b, m.n, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 1);
    for (int i = 0; i < 6; i++)
        assert_true(a.data[i] == (double)fv[i]);
    npy_free(&a);
    unsigned char d8[48];
    six_f64(d8);
    for (int major = 2; major <= 3; major++) {
        img_make(&m, major, 0, H2x3, d8, 48);
        write_file(tu_path("v23.npy"), m.b, m.n);
        assert_int_equal(npy_read(tu_path("v23.npy"), &a, err, sizeof err), 0);
        assert_int_equal(a.shape[0], 2);
        assert_int_equal(a.shape[1], 3);
        assert_true(a.data[5] == 2.5);
        npy_free(&a);
    }
    /* Key order, double quotes, Python 2 longs, no trailing comma or newline. */
    img_make(&m, 1, 0, "{\"shape\": (2L, 3L), \"fortran_order\": False, \"descr\": \"<f8\"}",
             d8, 48);
    assert_int_equal(npy_parse(m.b, m.n, &a, err, sizeof err), 0);
    assert_int_equal(a.count, 6);
    npy_free(&a);
    /* 2-D with a unit dimension stays 2-D. */
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (6, 1), }\n", d8,
             48);
    assert_int_equal(npy_parse(m.b, m.n, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 2);
    npy_free(&a);
}

/* ---------------------------------------------------------------- refuse */

static void test_refusals(void **state)
{
    (void)state;
    unsigned char d8[48];
    six_f64(d8);
    img m;
    img_make(&m, 1, 0, H2x3, d8, 48);
    m.b[1] = 'X';
    expect_refused(&m, "bad magic");
    m.n = 0;
    expect_refused(&m, "bad magic"); /* empty file */
    img_make(&m, 4, 0, H2x3, d8, 48);
    expect_refused(&m, "version 4.0");
    img_make(&m, 1, 1, H2x3, d8, 48);
    expect_refused(&m, "version 1.1");
    img_make(&m, 1, 0, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }\n", d8,
             48);
    expect_refused(&m, "big-endian");
    img_make(&m, 1, 0, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n", d8,
             24);
    expect_refused(&m, "big-endian");
    const char *dtypes[5] = {"<i8", "<f2", "<c16", "|b1", "<U3"};
    for (int i = 0; i < 5; i++) {
        char h[128];
        snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (2, 3), }\n",
                 dtypes[i]);
        img_make(&m, 1, 0, h, d8, 48);
        expect_refused(&m, "unsupported dtype");
    }
    img_make(&m, 1, 0, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (6,), }",
             d8, 48);
    expect_refused(&m, "structured");
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }\n", d8, 48);
    expect_refused(&m, "Fortran");
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }\n", d8, 8);
    expect_refused(&m, "0-dimensional");
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3), }\n", d8,
             48);
    expect_refused(&m, "3 dimensions");
    img_make(&m, 1, 0, H2x3, d8, 40);
    expect_refused(&m, "truncated data");
    img_make(&m, 1, 0, H2x3, d8, 0);
    expect_refused(&m, "truncated data");
    unsigned char d9[56];
    memcpy(d9, d8, 48);
    put_f64(d9 + 48, 1.0);
    img_make(&m, 1, 0, H2x3, d9, 56);
    expect_refused(&m, "unexpected bytes");
    img_make(&m, 1, 0, H2x3, d8, 48);
    m.n = 30; /* cut inside the header */
    expect_refused(&m, "truncated .npy header");
    m.n = 9; /* cut inside the length field */
    expect_refused(&m, "bad magic");
}

static void test_header_garbage(void **state)
{
    (void)state;
    unsigned char d8[48];
    six_f64(d8);
    static const struct {
        const char *hdr, *want;
    } cases[] = {
        {"['descr', '<f8']", "not a dictionary"},
        {"", "not a dictionary"},
        {"{'descr': '<f8', 'shape': (2, 3), }", "lacks 'fortran_order'"},
        {"{'descr': '<f8', 'fortran_order': False}", "lacks 'shape'"},
        {"{'fortran_order': False, 'shape': (2, 3)}", "lacks 'descr'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", "unexpected"},
        {"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}",
         "repeated"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)} junk", "garbage after"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2 3)}", "malformed 'shape'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (6)}", "malformed 'shape'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (-6,)}", "malformed 'shape'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': [2, 3]}", "malformed 'shape'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3,,)}", "malformed 'shape'"},
        {"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2, 3)}", "fortran_order"},
        {"{'descr': <f8, 'fortran_order': False, 'shape': (2, 3)}", "descr"},
        {"{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3)}", "malformed header"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)", "malformed header"},
        {"{'descr': '<f8\xff', 'fortran_order': False, 'shape': (2, 3)}", "plain-ASCII"},
        {"{'descr: '<f8', 'fortran_order': False, 'shape': (2, 3)}", "malformed"},
    };
    img m;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        img_make(&m, 1, 0, cases[i].hdr, d8, 48);
        expect_refused(&m, cases[i].want);
    }
    /* A NUL inside the header. */
    img_make(&m, 1, 0, H2x3, d8, 48);
    m.b[20] = 0;
    expect_refused(&m, "plain-ASCII");
}

static void test_sizes_and_values(void **state)
{
    (void)state;
    unsigned char d8[48];
    six_f64(d8);
    img m;
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }\n", d8, 0);
    expect_refused(&m, "empty");
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 0), }\n", d8, 0);
    expect_refused(&m, "empty");
    img_make(&m, 1, 0,
             "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
             d8, 48);
    expect_refused(&m, "shape overflow");
    /* 2^31 + 1 elements: refused before any allocation, however small the file. */
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (2147483649,), }",
             d8, 48);
    expect_refused(&m, "too large");
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536), }",
             d8, 48);
    expect_refused(&m, "too large");
    /* Within the limit but far larger than the file: truncated, not allocated. */
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (40000, 50000), }",
             d8, 48);
    expect_refused(&m, "truncated data");
    /* Header length beyond the limit (version 2.0 length field). */
    img_make(&m, 2, 0, H2x3, d8, 48);
    m.b[8] = 0, m.b[9] = 0, m.b[10] = 0x10, m.b[11] = 0; /* 1 MiB */
    expect_refused(&m, "too long");
    m.b[11] = 0xff;
    expect_refused(&m, "too long");
    /* Non-finite values, float64 and float32. */
    unsigned char bad[48];
    memcpy(bad, d8, 48);
    put_f64(bad + 24, NAN);
    img_make(&m, 1, 0, H2x3, bad, 48);
    expect_refused(&m, "value 3 is NaN or infinite");
    put_f64(bad + 24, 1.0);
    put_f64(bad + 40, -INFINITY);
    img_make(&m, 1, 0, H2x3, bad, 48);
    expect_refused(&m, "value 5 is NaN or infinite");
    unsigned char f4[8];
    put_f32(f4, 1.0f);
    put_f32(f4 + 4, INFINITY);
    img_make(&m, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", f4, 8);
    expect_refused(&m, "value 1 is NaN or infinite");
}

static void test_files(void **state)
{
    (void)state;
    npy_array a;
    char err[300] = "";
    assert_int_equal(mkdir(tu_path("adir.npy"), 0700), 0);
    assert_int_equal(npy_read(tu_path("adir.npy"), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "directory"));
    assert_int_equal(npy_read(tu_path("missing.npy"), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    assert_int_equal(npy_read(tu_path("new\nline.npy"), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "new?line.npy")); /* one line, whatever the path */
    assert_null(strchr(err, '\n'));
    assert_int_equal(npy_read("/dev/null", &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    double v[2] = {1, 2};
    int64_t sh[1] = {2}, sh0[1] = {0};
    assert_int_equal(npy_write(tu_path("no/such/dir/x.npy"), 1, sh, v, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create"));
    assert_int_equal(npy_write(tu_path("x.npy"), 0, sh, v, err, sizeof err), -1);
    assert_int_equal(npy_write(tu_path("x.npy"), 9, sh, v, err, sizeof err), -1);
    assert_int_equal(npy_write(tu_path("x.npy"), 1, sh0, v, err, sizeof err), -1);
    npy_free(NULL);
}

/* Random byte mutations of valid images: refused or accepted, never a crash. */
static void test_fuzz_mutations(void **state)
{
    (void)state;
    unsigned char d8[48], f4[24];
    six_f64(d8);
    for (int i = 0; i < 6; i++)
        put_f32(f4 + 4 * i, (float)i);
    img base[3], m;
    img_make(&base[0], 1, 0, H2x3, d8, 48);
    img_make(&base[1], 3, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }\n", f4,
             24);
    img_make(&base[2], 2, 0, "{'shape': (3L, 2L), 'fortran_order': False, 'descr': '<f8'}",
             d8, 48);
    uint64_t st = 12345;
    int accepted = 0;
    for (int it = 0; it < 20000; it++) {
        m = base[it % 3];
        int nmut = 1 + (int)(cm_rand_next(&st) % 4);
        for (int k = 0; k < nmut; k++) {
            size_t pos = (size_t)(cm_rand_next(&st) % m.n);
            switch (cm_rand_next(&st) % 4) {
            case 0: m.b[pos] = (unsigned char)cm_rand_next(&st); break;
            case 1: m.b[pos] ^= (unsigned char)(1u << (cm_rand_next(&st) % 8)); break;
            case 2: m.n = pos; break; /* truncate */
            default: m.b[pos] = "(),:'{} 0123456789LTF<f8"[cm_rand_next(&st) % 25]; break;
            }
            if (m.n == 0)
                break;
        }
        npy_array a;
        char err[300];
        if (npy_parse(m.b, m.n, &a, err, sizeof err) == 0) {
            accepted++;
            assert_true(a.ndim == 1 || a.ndim == 2);
            assert_true(a.count >= 1 && a.count == a.shape[0] * a.shape[1]);
            for (int64_t i = 0; i < a.count; i++)
                assert_true(isfinite(a.data[i]));
            npy_free(&a);
        } else {
            assert_null(a.data);
            assert_true(strlen(err) > 0);
        }
    }
    assert_true(accepted > 0); /* mutations in the data part keep files valid */
}

/* ---------------------------------------------------------------- N-D */

/* Bytes of a whole file (at most cap). */
static size_t slurp_bytes(const char *path, unsigned char *b, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(b, 1, cap, f);
    fclose(f);
    return n;
}

/* Whether b[0..n) contains the string w (memmem is not POSIX). */
static int has_bytes(const unsigned char *b, size_t n, const char *w)
{
    size_t l = strlen(w);
    for (size_t i = 0; i + l <= n; i++)
        if (!memcmp(b + i, w, l))
            return 1;
    return 0;
}

static void test_nd_round_trip(void **state)
{
    (void)state;
    char err[300];
    /* 2 x 3 x 4 float32, with the values a float copy could spoil. */
    float v[24];
    for (int i = 0; i < 24; i++)
        v[i] = (float)i * 0.25f - 3.0f;
    v[0] = -0.0f, v[1] = 1e-45f /* subnormal */, v[2] = 3.4028235e38f, v[3] = 0.1f;
    int64_t sh3[3] = {2, 3, 4};
    assert_int_equal(npy_write_f32(tu_path("x3.npy"), 3, sh3, v, err, sizeof err), 0);
    npy_info h;
    assert_int_equal(npy_read_info(tu_path("x3.npy"), &h, err, sizeof err), 0);
    assert_string_equal(h.descr, "<f4");
    assert_int_equal(h.kind, 'f');
    assert_int_equal(h.itemsize, 4);
    assert_int_equal(h.ndim, 3);
    assert_int_equal(h.shape[0], 2);
    assert_int_equal(h.shape[1], 3);
    assert_int_equal(h.shape[2], 4);
    assert_int_equal(h.shape[3], 1);
    assert_int_equal(h.count, 24);
    assert_int_equal(h.data_off % 64, 0);
    npy_f32 a;
    uint64_t fnv = CM_FNV_OFFSET;
    npy_opts o = {{NULL}, &fnv};
    assert_int_equal(npy_read_f32(tu_path("x3.npy"), &o, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 3);
    assert_int_equal(a.count, 24);
    assert_memory_equal(a.data, v, sizeof v); /* bit for bit */
    npy_free_f32(&a);
    /* The hash covers every byte of the file, header included: 10 + header
     * + 96 data bytes (24 x 4). */
    unsigned char b[1024];
    size_t n = slurp_bytes(tu_path("x3.npy"), b, sizeof b);
    assert_int_equal(n, h.data_off + 96);
    assert_true(fnv == cm_fnv1a(CM_FNV_OFFSET, b, n));
    assert_true(has_bytes(b, n, "'shape': (2, 3, 4)"));
    /* FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the published test vector). */
    assert_true(cm_fnv1a(CM_FNV_OFFSET, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    /* int64 labels, the extremes included. */
    int64_t y[5] = {0, 9, -1, INT64_MAX, INT64_MIN};
    assert_int_equal(npy_write_i64(tu_path("y.npy"), 5, y, err, sizeof err), 0);
    npy_i64 l;
    assert_int_equal(npy_read_i64(tu_path("y.npy"), NULL, &l, err, sizeof err), 0);
    assert_int_equal(l.ndim, 1);
    assert_int_equal(l.shape[0], 5);
    assert_memory_equal(l.data, y, sizeof y);
    npy_free_i64(&l);
    n = slurp_bytes(tu_path("y.npy"), b, sizeof b);
    assert_true(has_bytes(b, n, "'descr': '<i8'"));
    assert_true(has_bytes(b, n, "'shape': (5,)"));
    /* Streamed in three pieces: the same bytes as written whole. */
    unsigned char whole[1024];
    size_t nw = slurp_bytes(tu_path("x3.npy"), whole, sizeof whole);
    npy_writer *w;
    assert_int_equal(npy_writer_open(&w, tu_path("s.npy"), "<f4", 3, sh3, err, sizeof err), 0);
    assert_int_equal(npy_writer_f32(w, v, 5, err, sizeof err), 0);
    assert_int_equal(npy_writer_f32(w, v + 5, 0, err, sizeof err), 0);
    assert_int_equal(npy_writer_f32(w, v + 5, 19, err, sizeof err), 0);
    assert_int_equal(npy_writer_close(w, err, sizeof err), 0);
    n = slurp_bytes(tu_path("s.npy"), b, sizeof b);
    assert_int_equal(n, nw);
    assert_memory_equal(b, whole, n);
    /* Too few or too many values: refused and the file removed. */
    assert_int_equal(npy_writer_open(&w, tu_path("short.npy"), "<f4", 3, sh3, err, sizeof err), 0);
    assert_int_equal(npy_writer_f32(w, v, 23, err, sizeof err), 0);
    assert_int_equal(npy_writer_close(w, err, sizeof err), -1);
    assert_non_null(strstr(err, "23 values written, the shape announces 24"));
    assert_int_equal(access(tu_path("short.npy"), F_OK), -1);
    assert_int_equal(npy_writer_open(&w, tu_path("long.npy"), "<i8", 1, sh3, err, sizeof err), 0);
    assert_int_equal(npy_writer_i64(w, y, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "more values"));
    assert_int_equal(access(tu_path("long.npy"), F_OK), -1);
    assert_int_equal(npy_writer_open(&w, tu_path("t.npy"), "<u2", 1, sh3, err, sizeof err), -1);
    assert_non_null(strstr(err, "dtype '<u2'"));
    assert_int_equal(npy_writer_open(&w, tu_path("t.npy"), "<i8", 1, sh3, err, sizeof err), 0);
    assert_int_equal(npy_writer_f32(w, v, 1, err, sizeof err), -1); /* floats into '<i8' */
    assert_int_equal(access(tu_path("t.npy"), F_OK), -1);
}

/* One value of each integer dtype, bytes written by hand. */
static void test_int_dtypes(void **state)
{
    (void)state;
    static const struct {
        const char *descr;
        unsigned char bytes[16];
        int size;
        int64_t want[2];
    } cases[] = {
        {"|i1", {0xff, 0x80}, 1, {-1, -128}},
        {"|u1", {0xff, 0x80}, 1, {255, 128}},
        {"<i2", {0xfe, 0xff, 0x34, 0x12}, 2, {-2, 0x1234}},
        {"<u2", {0xff, 0xff, 0x34, 0x12}, 2, {65535, 0x1234}},
        {"<i4", {0, 0, 0, 0x80, 9, 0, 0, 0}, 4, {INT32_MIN, 9}},
        {"<u4", {0xff, 0xff, 0xff, 0xff, 9, 0, 0, 0}, 4, {4294967295LL, 9}},
        {"<i8", {0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 0},
         8, {-5, 0x0007060504030201LL}},
        {"<u8", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 3, 0, 0, 0, 0, 0, 0, 0},
         8, {INT64_MAX, 3}},
    };
    char err[300], h[128];
    img m;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (2,), }\n",
                 cases[c].descr);
        img_make(&m, 1, 0, h, cases[c].bytes, 2 * (size_t)cases[c].size);
        npy_i64 l;
        if (npy_parse_i64(m.b, m.n, &l, err, sizeof err))
            fail_msg("%s: %s", cases[c].descr, err);
        assert_int_equal(l.count, 2);
        assert_true(l.data[0] == cases[c].want[0]);
        assert_true(l.data[1] == cases[c].want[1]);
        npy_free_i64(&l);
        npy_f32 f;
        assert_int_equal(npy_parse_f32(m.b, m.n, &f, err, sizeof err), -1);
        assert_non_null(strstr(err, "not a float type"));
        assert_null(f.data);
    }
    /* 2^63 in '<u8' does not fit; its position is named. */
    unsigned char u8[16] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80};
    img_make(&m, 1, 0, "{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }", u8, 16);
    npy_i64 l;
    assert_int_equal(npy_parse_i64(m.b, m.n, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "value 1 (9223372036854775808) does not fit in int64: at [1]"));
    /* Floats are not labels; big-endian and other kinds are refused. */
    unsigned char d8[48];
    six_f64(d8);
    img_make(&m, 1, 0, H2x3, d8, 48);
    assert_int_equal(npy_parse_i64(m.b, m.n, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "'<f8' is not an integer type"));
    img_make(&m, 1, 0, "{'descr': '>i4', 'fortran_order': False, 'shape': (2, 3), }", d8, 24);
    assert_int_equal(npy_parse_i64(m.b, m.n, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "big-endian data ('>i4')"));
    img_make(&m, 1, 0, "{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }", d8, 48);
    assert_int_equal(npy_parse_i64(m.b, m.n, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "unsupported dtype '<c8'"));
    /* float64 data narrowed to float32: 0.1 becomes (float)0.1; 1e300 is refused. */
    unsigned char f8[16];
    put_f64(f8, 0.1);
    put_f64(f8 + 8, -2.5);
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f8, 16);
    npy_f32 f;
    assert_int_equal(npy_parse_f32(m.b, m.n, &f, err, sizeof err), 0);
    assert_true(f.data[0] == 0.1f && f.data[1] == -2.5f);
    npy_free_f32(&f);
    put_f64(f8 + 8, -1e300);
    img_make(&m, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f8, 16);
    assert_int_equal(npy_parse_f32(m.b, m.n, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "value 1 (-1e+300) is beyond the float32 range: at [0, 1]"));
}

static void test_nd_refusals(void **state)
{
    (void)state;
    char err[300];
    unsigned char d[96];
    for (int i = 0; i < 24; i++)
        put_f32(d + 4 * i, (float)i);
    const char *H234 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }\n";
    img m;
    npy_f32 a;
    /* Flat index 22 of (2, 3, 4) is [1, 2, 2]: 22 = 1*12 + 2*4 + 2. */
    put_f32(d + 4 * 22, NAN);
    img_make(&m, 1, 0, H234, d, 96);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "value 22 is NaN or infinite: NaN at [1, 2, 2] (counted from 0)"));
    write_file(tu_path("nan.npy"), m.b, m.n);
    npy_opts named = {{"clip", "frame", "feature", NULL}, NULL};
    assert_int_equal(npy_read_f32(tu_path("nan.npy"), &named, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "nan.npy: value 22 is NaN or infinite: NaN at clip 1, "
                                "frame 2, feature 2 (counted from 0)"));
    assert_null(a.data);
    npy_opts two = {{"clip", "frame", NULL}, NULL}; /* names that do not fit: indices */
    assert_int_equal(npy_read_f32(tu_path("nan.npy"), &two, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "at [1, 2, 2]"));
    put_f32(d + 4 * 22, -INFINITY);
    img_make(&m, 1, 0, H234, d, 96);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "-inf at [1, 2, 2]"));
    put_f32(d + 4 * 22, 22.0f);
    /* Truncated by one value, one byte; one byte too many. */
    img_make(&m, 1, 0, H234, d, 92);
    write_file(tu_path("short.npy"), m.b, m.n);
    assert_int_equal(npy_read_f32(tu_path("short.npy"), NULL, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated data: header announces 24 values (96 bytes), "
                                "file holds 92 bytes"));
    npy_info h;
    assert_int_equal(npy_read_info(tu_path("short.npy"), &h, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated data"));
    img_make(&m, 1, 0, H234, d, 95);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated data"));
    unsigned char d97[97];
    memcpy(d97, d, 96);
    d97[96] = 0;
    img_make(&m, 1, 0, H234, d97, 97);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "1 unexpected bytes"));
    /* Dimensions: 4 accepted, 5 and 0 refused; a zero dimension is empty. */
    img_make(&m, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4), }", d,
             96);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 4);
    assert_true(a.data[23] == 23.0f);
    npy_free_f32(&a);
    img_make(&m, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 3, 4), }",
             d, 96);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "array has 5 dimensions: at most 4"));
    img_make(&m, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", d, 4);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "0-dimensional"));
    img_make(&m, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3, 4), }", d, 0);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty array"));
    /* A header announcing 2^40+ values, or GBs on a small file: no allocation. */
    img_make(&m, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048577), }",
             d, 96);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than 2^40"));
    img_make(&m, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000, 1000), }",
             d, 96);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated data"));
    img_make(&m, 1, 0, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }", d, 96);
    assert_int_equal(npy_parse_f32(m.b, m.n, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "Fortran"));
    assert_int_equal(npy_read_info(tu_path("missing.npy"), &h, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
}

/* The N-D parsers under random mutations: refuse or accept, never crash. */
static void test_nd_fuzz(void **state)
{
    (void)state;
    unsigned char d[96], y[16];
    for (int i = 0; i < 24; i++)
        put_f32(d + 4 * i, (float)i);
    for (int i = 0; i < 16; i++)
        y[i] = (unsigned char)i;
    img base[3], m;
    img_make(&base[0], 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }",
             d, 96);
    img_make(&base[1], 1, 0, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", y,
             16);
    img_make(&base[2], 2, 0, "{'descr': '|u1', 'fortran_order': False, 'shape': (4, 4), }", y,
             16);
    uint64_t st = 777;
    int accepted = 0;
    for (int it = 0; it < 6000; it++) {
        m = base[it % 3];
        size_t pos = (size_t)(cm_rand_next(&st) % m.n);
        if (cm_rand_next(&st) % 3 == 0)
            m.n = pos;
        else
            m.b[pos] = (unsigned char)cm_rand_next(&st);
        char err[300];
        npy_f32 a;
        npy_i64 l;
        if (npy_parse_f32(m.b, m.n, &a, err, sizeof err) == 0) {
            accepted++;
            assert_true(a.ndim >= 1 && a.ndim <= NPY_MAX_DIM);
            int64_t p = 1;
            for (int k = 0; k < NPY_MAX_DIM; k++)
                p *= a.shape[k];
            assert_true(p == a.count);
            for (int64_t i = 0; i < a.count; i++)
                assert_true(isfinite(a.data[i]));
            npy_free_f32(&a);
        } else {
            assert_null(a.data);
            assert_null(strchr(err, '\n'));
        }
        if (npy_parse_i64(m.b, m.n, &l, err, sizeof err) == 0) {
            accepted++;
            npy_free_i64(&l);
        } else {
            assert_null(l.data);
        }
    }
    assert_true(accepted > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_float32_and_versions),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_header_garbage),
        cmocka_unit_test(test_sizes_and_values),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_fuzz_mutations),
        cmocka_unit_test(test_nd_round_trip),
        cmocka_unit_test(test_int_dtypes),
        cmocka_unit_test(test_nd_refusals),
        cmocka_unit_test(test_nd_fuzz),
    };
    return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
