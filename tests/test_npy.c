/*
 * test_npy.c - the .npy reader and writer (dse/npy.h): round trips, the
 * accepted variants (float32, versions 2.0 / 3.0, Python 2 headers) and one
 * file per refusal, written byte by byte into a temporary directory; then a
 * mutation fuzz of the in-memory parser (it must refuse or accept, never
 * crash: run it under the sanitizers).
 */
#include "test_util.h"
#include "cm_matvec.h"
#include "npy.h"

#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_npy_XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name)
{
    static char p[400];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

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
    write_file(tpath("bad.npy"), m->b, m->n);
    err[0] = 0;
    assert_int_equal(npy_read(tpath("bad.npy"), &a, err, sizeof err), -1);
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
    assert_int_equal(npy_write(tpath("m.npy"), 2, sh2, v, err, sizeof err), 0);
    assert_int_equal(npy_read(tpath("m.npy"), &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 3);
    assert_int_equal(a.shape[1], 4);
    assert_int_equal(a.count, 12);
    assert_memory_equal(a.data, v, sizeof v); /* bit for bit, -0.0 and subnormals too */
    npy_free(&a);
    assert_int_equal(npy_write(tpath("v.npy"), 1, sh1, v, err, sizeof err), 0);
    assert_int_equal(npy_read(tpath("v.npy"), &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.shape[0], 12);
    assert_int_equal(a.shape[1], 1);
    assert_memory_equal(a.data, v, sizeof v);
    npy_free(&a);
    /* The written header is numpy's: "(12,)", data aligned to 64 bytes. */
    FILE *f = fopen(tpath("v.npy"), "rb");
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
    assert_int_equal(npy_write(tpath("g.npy"), 4, sh4, v, err, sizeof err), 0);
    assert_int_equal(npy_read(tpath("g.npy"), &a, err, sizeof err), -1);
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
        write_file(tpath("v23.npy"), m.b, m.n);
        assert_int_equal(npy_read(tpath("v23.npy"), &a, err, sizeof err), 0);
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
    assert_int_equal(mkdir(tpath("adir.npy"), 0700), 0);
    assert_int_equal(npy_read(tpath("adir.npy"), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "directory"));
    assert_int_equal(npy_read(tpath("missing.npy"), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    assert_int_equal(npy_read(tpath("new\nline.npy"), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "new?line.npy")); /* one line, whatever the path */
    assert_null(strchr(err, '\n'));
    assert_int_equal(npy_read("/dev/null", &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    double v[2] = {1, 2};
    int64_t sh[1] = {2}, sh0[1] = {0};
    assert_int_equal(npy_write(tpath("no/such/dir/x.npy"), 1, sh, v, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create"));
    assert_int_equal(npy_write(tpath("x.npy"), 0, sh, v, err, sizeof err), -1);
    assert_int_equal(npy_write(tpath("x.npy"), 9, sh, v, err, sizeof err), -1);
    assert_int_equal(npy_write(tpath("x.npy"), 1, sh0, v, err, sizeof err), -1);
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
