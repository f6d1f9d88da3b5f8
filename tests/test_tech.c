/*
 * test_tech.c - technology tables: the 28 nm numbers are the 45 nm ones
 * times the Stillmaker-Baas factors, width scaling, the SRAM interpolation
 * (exact at the anchors, monotone, finite), the YAML loader (built-in table
 * == tech/28nm.yaml, hash, lookup, overrides), a table of bad files that
 * must each fail with FILE:LINE:COL: error: ..., and every error of a file
 * reported.  Run from the repository root.
 * Expected values are worked out by hand in the comments.
 */
#include "test_util.h"
#include "cm_hash.h"

#include <stddef.h>
#include <unistd.h>

#include "cm_tech.h"
#include "tech.h"

#define E28 0.513 /* Stillmaker-Baas 45 -> 28 nm energy */
#define A28 0.377 /* ... area */

static char tmpdir[64];

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static void load_ok(const char *path, cm_tech *t)
{
    char err[1024] = "";
    int rc = tech_load_file(path, t, err, sizeof err);
    if (rc)
        print_error("loading %s: %s\n", path, err);
    assert_int_equal(rc, 0);
}

static void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_bytes(const char *name, const char *text, size_t len)
{
    char path[256];
    tmp_path(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_text(const char *name, const char *text)
{
    write_bytes(name, text, strlen(text));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(TECH_MAX_FILE + 1);
    assert_non_null(buf);
    *len = fread(buf, 1, TECH_MAX_FILE, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* An independent FNV-1a 64 (the loader's must agree). */
static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    while (n--) {
        h ^= *s++;
        h *= 1099511628211ULL; /* 2^40 + 2^8 + 0xb3 */
    }
    return h;
}

static void assert_rel(double got, double want, double tol)
{
    if (!(tu_rel(got, want) <= tol))
        print_error("got %.17g, want %.17g (rel %.3g > %.3g)\n", got, want, tu_rel(got, want),
                    tol);
    assert_true(tu_rel(got, want) <= tol);
}

static double field(const cm_tech *t, size_t off)
{
    double v;
    memcpy(&v, (const char *)t + off, sizeof v);
    return v;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_tech.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    unsetenv("FDHT_TECH_DIR");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The numbers                                                         */

#define F(x) {#x, offsetof(cm_tech, x)}
typedef struct {
    const char *name;
    size_t off;
} fld;

static const fld energy_f[] = {F(mult8_pj), F(add_pj_per_bit), F(reg_pj_per_bit),
                               F(sfu_pj_per_op)};
static const fld area_f[] = {F(mult8_um2), F(add_um2_per_bit), F(reg_um2_per_bit),
                             F(sfu_um2_per_lane), F(sram_bank_um2)};
static const fld leak_f[] = {F(leak_mw_per_mm2_logic), F(leak_mw_per_mm2_sram)};
static const fld same_f[] = {F(freq_mhz_max), F(dram_pj_per_bit), F(ctrl_area_frac),
                             F(sram_width_exp), F(sram_bank_exp)};
#define N(a) (sizeof a / sizeof a[0])

static void test_28nm_is_45nm_scaled(void **state)
{
    (void)state;
    cm_tech t45, t28;
    load_ok("tech/45nm.yaml", &t45);
    load_ok("tech/28nm.yaml", &t28);
    for (size_t i = 0; i < N(energy_f); i++)
        assert_rel(field(&t28, energy_f[i].off), field(&t45, energy_f[i].off) * E28, 1e-12);
    for (size_t i = 0; i < N(area_f); i++)
        assert_rel(field(&t28, area_f[i].off), field(&t45, area_f[i].off) * A28, 1e-12);
    /* Leakage density = power/area: x 0.513/0.377, written to 12 digits. */
    for (size_t i = 0; i < N(leak_f); i++)
        assert_rel(field(&t28, leak_f[i].off), field(&t45, leak_f[i].off) * E28 / A28, 1e-10);
    for (size_t i = 0; i < N(same_f); i++)
        assert_true(field(&t28, same_f[i].off) == field(&t45, same_f[i].off));
    assert_int_equal(t28.nanchors, t45.nanchors);
    for (int i = 0; i < t28.nanchors; i++) {
        const cm_sram_anchor *a = &t28.anchor[i], *b = &t45.anchor[i];
        assert_true(a->bytes == b->bytes && a->word_bits == b->word_bits &&
                    a->banks == b->banks);
        assert_rel(a->read_pj, b->read_pj * E28, 1e-12);
        assert_rel(a->write_pj, b->write_pj * E28, 1e-12);
        assert_rel(a->area_mm2, b->area_mm2 * A28, 1e-12);
    }
    /* Spot checks by hand: 8b mult 0.2 pJ x 0.513 = 0.1026 pJ;
     * 282 um^2 x 0.377 = 106.314 um^2; 8 KB SRAM 10 pJ x 0.513 = 5.13 pJ;
     * DRAM 512 pJ / 64 bits = 8 pJ/bit (not scaled). */
    assert_rel(t28.mult8_pj, 0.1026, 1e-15);
    assert_rel(t28.mult8_um2, 106.314, 1e-15);
    assert_rel(t28.anchor[0].read_pj, 5.13, 1e-15);
    assert_rel(t28.dram_pj_per_bit, 512.0 / 64, 0);
    assert_string_equal(t28.name, "28nm");
    assert_int_equal(t28.node_nm, 28);
    assert_int_equal(t45.node_nm, 45);
}

static void test_45nm_published(void **state)
{
    (void)state;
    cm_tech t;
    load_ok("tech/45nm.yaml", &t);
    /* Horowitz ISSCC 2014 as published. */
    assert_true(t.mult8_pj == 0.2 && t.mult8_um2 == 282);
    double E[] = {10, 20, 100, 32.4, 51.9}, B[] = {8192, 32768, 1048576, 131072, 65536};
    for (int i = 0; i < 5; i++)
        assert_true(t.anchor[i].read_pj == E[i] && t.anchor[i].bytes == B[i]);
    /* CACTI anchors: 0.43 mm^2 and 0.20 mm^2 as published. */
    assert_true(t.anchor[3].area_mm2 == 0.43 && t.anchor[4].area_mm2 == 0.2);
    /* The adder fit k = 4.24/1344 pJ/bit reproduces 8/16/32b adds
     * 0.03/0.05/0.1 pJ within 16 % (8b: 0.0252, the worst). */
    double add[] = {0.03, 0.05, 0.1}, addA[] = {36, 67, 137};
    for (int i = 0; i < 3; i++) {
        assert_true(tu_rel(cm_tech_add_pj(&t, 8 << i), add[i]) < 0.17);
        assert_true(tu_rel(cm_tech_add_um2(&t, 8 << i), addA[i]) < 0.06);
    }
    /* Quadratic law vs the published 32b mult: 0.2 x 16 = 3.2 vs 3.1 pJ. */
    assert_true(tu_rel(cm_tech_mult_pj(&t, 32), 3.1) < 0.04);
    /* Periphery/array split solved from the CACTI anchors:
     * 1048576 a + 32 p = 430000, 524288 a + 4 p = 200000 -> p = 1250. */
    assert_rel(t.sram_bank_um2, (430000.0 - 2 * 200000.0) / (32 - 8), 1e-15);
}

static void test_width_scaling(void **state)
{
    (void)state;
    cm_tech t;
    cm_tech_default_28nm(&t);
    /* 16b mult = (16/8)^2 = 4 x 8b: 4 x 0.1026 = 0.4104 pJ,
     * 4 x 106.314 = 425.256 um^2; 32b = 16 x: 1.6416 pJ. */
    assert_rel(cm_tech_mult_pj(&t, 16), 0.4104, 1e-15);
    assert_rel(cm_tech_mult_um2(&t, 16), 425.256, 1e-15);
    assert_rel(cm_tech_mult_pj(&t, 32), 1.6416, 1e-15);
    assert_rel(cm_tech_mult_pj(&t, 8), 0.1026, 1e-15);
    /* Adders linear: 16 x 0.00161839188 = 0.02589427008 pJ. */
    assert_rel(cm_tech_add_pj(&t, 16), 0.02589427008, 1e-15);
    assert_rel(cm_tech_add_um2(&t, 16), 16 * 1.61122637, 1e-15);
    assert_true(cm_tech_mult_pj(&t, 0) == 0 && cm_tech_add_pj(&t, -3) == 0);
}

/* ------------------------------------------------------------------ */
/* SRAM interpolation                                                  */

static void check_anchors_exact(const cm_tech *t)
{
    for (int i = 0; i < t->nanchors; i++) {
        const cm_sram_anchor *a = &t->anchor[i];
        cm_sram_cost c = cm_tech_sram(t, a->bytes, (int)a->word_bits, (int)a->banks);
        assert_true(c.read_pj == a->read_pj);
        assert_true(c.write_pj == a->write_pj);
        assert_rel(c.area_mm2, a->area_mm2, 1e-12);
        assert_rel(c.leak_mw, c.area_mm2 * t->leak_mw_per_mm2_sram, 1e-15);
    }
}

/* check on the built-in 28 nm table, then on tech/45nm.yaml, left in *t. */
static void on_both_tables(void (*check)(const cm_tech *), cm_tech *t)
{
    cm_tech_default_28nm(t);
    check(t);
    load_ok("tech/45nm.yaml", t);
    check(t);
}

static void test_sram_anchors_exact(void **state)
{
    (void)state;
    cm_tech t;
    on_both_tables(check_anchors_exact, &t);
}

static void test_sram_between_anchors(void **state)
{
    (void)state;
    cm_tech t;
    cm_tech_default_28nm(&t);
    /* 16 KB, 64b, 1 bank: between 8 KB (5.13) and 32 KB (10.26); the
     * segment's log-log slope is ln 2 / ln 4 = 0.5, so 5.13 * 2^0.5. */
    cm_sram_cost c = cm_tech_sram(&t, 16384, 64, 1);
    assert_rel(c.read_pj, 5.13 * sqrt(2.0), 1e-12);
    /* 16-bit words: x (16/64)^0.5 = 0.5. */
    c = cm_tech_sram(&t, 16384, 16, 1);
    assert_rel(c.read_pj, 5.13 * sqrt(2.0) / 2, 1e-12);
    /* Area: 131072 bits x 0.3719329833984375 um^2 = 48750 um^2 at 45 nm,
     * x 0.377 = 18378.75, + 471.25 periphery = 18850 um^2. */
    assert_rel(c.area_mm2, 0.01885, 1e-12);
    /* The 32-bank anchor read 16 bits wide: 16.6212 x 0.5 = 8.3106 pJ. */
    c = cm_tech_sram(&t, 131072, 16, 32);
    assert_rel(c.read_pj, 8.3106, 1e-12);
    /* Below the smallest anchor the first segment's slope (0.5) goes on:
     * 1 KB = 8 KB / 8 -> 5.13 / sqrt(8). */
    c = cm_tech_sram(&t, 1024, 64, 1);
    assert_rel(c.read_pj, 5.13 / sqrt(8.0), 1e-12);
    /* Above 1 MB, the last segment's: from the 32-bank anchor at effective
     * 131072 * 32^-0.1 bytes (16.6212 pJ) to 1 MB (51.3 pJ). */
    double x0 = log(131072.0) - 0.1 * log(32.0), x1 = log(1048576.0);
    double s = log(51.3 / 16.6212) / (x1 - x0);
    c = cm_tech_sram(&t, 4 * 1048576.0, 64, 1);
    assert_rel(c.read_pj, 51.3 * pow(4.0, s), 1e-12);
    /* Banking: 64 KB in 16 banks of 16-bit words sits at effective
     * 65536 * 16^-0.1 = 49667 B, between 32 KB (10.26) and the 4-bank
     * anchor at 65536 * 4^-0.1 (26.6247 pJ per 256 bits = 13.31235 per
     * 64-bit-normalized access). */
    double xa = log(32768.0), xb = log(65536.0) - 0.1 * log(4.0);
    double ya = log(10.26), yb = log(26.6247 / 2);
    double xq = log(65536.0) - 0.1 * log(16.0);
    double want = exp(ya + (yb - ya) / (xb - xa) * (xq - xa)) * 0.5;
    c = cm_tech_sram(&t, 65536, 16, 16);
    assert_rel(c.read_pj, want, 1e-12);
    /* ... and its area: 16 banks of 4 KB: 16 x (32768 x 0.3719329833984375
     * x 0.377 + 471.25) = 16 x (4594.6875 + 471.25) um^2 = 0.081055 mm^2. */
    assert_rel(c.area_mm2, 16 * (4594.6875 + 471.25) * 1e-6, 1e-12);
}

static void sweep(const cm_tech *t)
{
    static const int widths[] = {1, 8, 16, 64, 256, 1024};
    static const int banks[] = {1, 2, 3, 4, 16, 32, 1000, 4096};
    for (size_t w = 0; w < N(widths); w++)
        for (size_t b = 0; b < N(banks); b++) {
            cm_sram_cost prev = {0, 0, 0, 0};
            for (double bytes = 1; bytes < 1e13; bytes *= 1.07) {
                cm_sram_cost c = cm_tech_sram(t, bytes, widths[w], banks[b]);
                assert_true(isfinite(c.read_pj) && c.read_pj > 0);
                assert_true(isfinite(c.write_pj) && c.write_pj > 0);
                assert_true(isfinite(c.area_mm2) && c.area_mm2 > 0);
                assert_true(isfinite(c.leak_mw) && c.leak_mw > 0);
                assert_true(c.read_pj >= prev.read_pj);
                assert_true(c.write_pj >= prev.write_pj);
                assert_true(c.area_mm2 >= prev.area_mm2);
                prev = c;
            }
        }
}

static void test_sram_monotone_finite(void **state)
{
    (void)state;
    cm_tech t;
    on_both_tables(sweep, &t);
    /* Degenerate inputs are taken as 1 (byte, bit, bank), never NaN. */
    cm_sram_cost a = cm_tech_sram(&t, 0, 0, 0), b = cm_tech_sram(&t, 1, 1, 1);
    assert_true(a.read_pj == b.read_pj && a.area_mm2 == b.area_mm2);
    a = cm_tech_sram(&t, NAN, 16, 1);
    assert_true(isfinite(a.read_pj) && a.read_pj > 0);
    a = cm_tech_sram(&t, 1e300, 1024, 4096);
    assert_true(isfinite(a.read_pj) && isfinite(a.area_mm2));
    /* A single anchor: sqrt law in capacity, bits-proportional array. */
    t.nanchors = 1;
    a = cm_tech_sram(&t, 4 * 8192.0, 64, 1);
    assert_rel(a.read_pj, 2 * t.anchor[0].read_pj, 1e-12);
    t.nanchors = 0;
    a = cm_tech_sram(&t, 1024, 16, 1);
    assert_true(a.read_pj == 0 && a.area_mm2 == 0);
}

static void test_check(void **state)
{
    (void)state;
    char err[256];
    cm_tech t, u;
    cm_tech_default_28nm(&t);
    assert_int_equal(cm_tech_check(&t, err, sizeof err), 0);
    u = t;
    u.mult8_pj = -1;
    assert_int_equal(cm_tech_check(&u, err, sizeof err), -1);
    assert_non_null(strstr(err, "mult8_pj"));
    u = t;
    u.leak_mw_per_mm2_sram = NAN;
    assert_int_equal(cm_tech_check(&u, err, sizeof err), -1);
    u = t;
    u.sram_bank_exp = 1.5;
    assert_int_equal(cm_tech_check(&u, err, sizeof err), -1);
    u = t;
    u.nanchors = 0;
    assert_int_equal(cm_tech_check(&u, err, sizeof err), -1);
    u = t;
    u.nanchors = CM_TECH_MAX_ANCHORS + 1;
    assert_int_equal(cm_tech_check(&u, err, sizeof err), -1);
    u = t; /* 1 MB cheaper than 32 KB */
    u.anchor[2].read_pj = 1;
    assert_int_equal(cm_tech_check(&u, err, sizeof err), -1);
    assert_non_null(strstr(err, "decreases"));
    u = t; /* the periphery of 32 banks eats the whole area */
    u.sram_bank_um2 = 6000;
    assert_int_equal(cm_tech_check(&u, err, sizeof err), -1);
    assert_non_null(strstr(err, "no array area"));
    u = t; /* two anchors at one position with different energies */
    u.anchor[5] = u.anchor[0];
    u.anchor[5].read_pj *= 2;
    u.nanchors = 6;
    assert_int_equal(cm_tech_check(&u, err, sizeof err), -1);
    assert_non_null(strstr(err, "same"));
    u.anchor[5].read_pj = u.anchor[0].read_pj; /* consistent duplicate: fine */
    assert_int_equal(cm_tech_check(&u, err, sizeof err), 0);
    check_anchors_exact(&u);
}

/* ------------------------------------------------------------------ */
/* Loader                                                              */

/* Field by field (not memcmp: padding bytes are unspecified). */
static void assert_same_numbers(const cm_tech *f, const cm_tech *d)
{
    assert_int_equal(f->node_nm, d->node_nm);
    const fld *lists[] = {energy_f, area_f, leak_f, same_f};
    size_t lens[] = {N(energy_f), N(area_f), N(leak_f), N(same_f)};
    size_t count = 0;
    for (size_t l = 0; l < 4; l++)
        for (size_t i = 0; i < lens[l]; i++, count++)
            if (field(f, lists[l][i].off) != field(d, lists[l][i].off)) {
                print_error("%s: %.17g vs %.17g\n", lists[l][i].name,
                            field(f, lists[l][i].off), field(d, lists[l][i].off));
                fail();
            }
    /* Every double of cm_tech is in one of the lists above. */
    assert_int_equal(count, 16);
    assert_int_equal(f->nanchors, d->nanchors);
    assert_memory_equal(f->anchor, d->anchor, sizeof f->anchor); /* all doubles */
}

static void test_default_equals_file(void **state)
{
    (void)state;
    cm_tech f, d;
    load_ok("tech/28nm.yaml", &f);
    cm_tech_default_28nm(&d);
    assert_string_equal(f.name, d.name);
    assert_same_numbers(&f, &d);
    if (strcmp(f.hash, d.hash))
        print_error("tech/28nm.yaml has hash %s but cm_tech.c claims %s: update "
                    "CM_TECH_28NM_HASH (and the numbers, if they changed)\n",
                    f.hash, d.hash);
    assert_string_equal(f.hash, d.hash);
}

static void test_hash(void **state)
{
    (void)state;
    /* Published FNV-1a 64 test vectors. */
    assert_true(fnv("", 0, CM_FNV_OFFSET) == 0xcbf29ce484222325ULL);
    assert_true(fnv("a", 1, CM_FNV_OFFSET) == 0xaf63dc4c8601ec8cULL);
    assert_true(fnv("foobar", 6, CM_FNV_OFFSET) == 0x85944171f73967e8ULL);
    assert_true(cm_fnv1a(CM_FNV_OFFSET, "foobar", 6) == 0x85944171f73967e8ULL);
    size_t len;
    char *buf = slurp("tech/28nm.yaml", &len), want[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)fnv(buf, len, CM_FNV_OFFSET));
    free(buf);
    cm_tech t;
    load_ok("tech/28nm.yaml", &t);
    assert_string_equal(t.hash, want);
}

static void test_find(void **state)
{
    (void)state;
    char err[1024], path[256];
    cm_tech t;
    unsetenv("FDHT_TECH_DIR");
    assert_int_equal(tech_find("28nm", &t, err, sizeof err), 0); /* ./tech */
    assert_string_equal(t.name, "28nm");
    assert_int_equal(tech_find("tech/45nm.yaml", &t, err, sizeof err), 0);
    assert_string_equal(t.name, "45nm");
    assert_int_equal(tech_resolve("28nm", NULL, path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, "tech/28nm.yaml");

    /* $FDHT_TECH_DIR comes first; empty and missing entries are skipped. */
    write_text("mynode.yaml", "schema: 1\nbase: 28nm\nname: mynode\n");
    char env[256];
    snprintf(env, sizeof env, "::/nonexistent:%s", tmpdir);
    setenv("FDHT_TECH_DIR", env, 1);
    assert_int_equal(tech_find("mynode", &t, err, sizeof err), 0);
    assert_string_equal(t.name, "mynode");
    assert_int_equal(tech_find("nosuchnode", &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "not found"));
    assert_non_null(strstr(err, "/nonexistent"));
    unsetenv("FDHT_TECH_DIR");
    assert_int_equal(tech_find("bad name", &t, err, sizeof err), -1);
    assert_int_equal(tech_find("", &t, err, sizeof err), -1);
    assert_int_equal(tech_find("/nonexistent/x.yaml", &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
}

static void test_override(void **state)
{
    (void)state;
    char path[256];
    cm_tech d, t;
    cm_tech_default_28nm(&d);
    unsetenv("FDHT_TECH_DIR");
    /* A bare number and a full entry over the 28 nm table found by name. */
    const char *ov = "schema: 1\nbase: 28nm\nmult8_pj: 0.05\n"
                     "sram_bank_exp: {value: 0.2, source: what-if}\n";
    write_text("fastmult.yaml", ov);
    tmp_path(path, sizeof path, "fastmult.yaml");
    load_ok(path, &t);
    assert_string_equal(t.name, "fastmult"); /* default: the file's stem */
    assert_true(t.mult8_pj == 0.05 && t.sram_bank_exp == 0.2);
    t.mult8_pj = d.mult8_pj;
    t.sram_bank_exp = d.sram_bank_exp;
    assert_same_numbers(&t, &d); /* nothing else changed */
    load_ok(path, &t);
    /* Hash: the override's bytes, then the base's. */
    size_t blen;
    char *base = slurp("tech/28nm.yaml", &blen), want[17];
    snprintf(want, sizeof want, "%016llx",
             (unsigned long long)fnv(base, blen, fnv(ov, strlen(ov), CM_FNV_OFFSET)));
    free(base);
    assert_string_equal(t.hash, want);

    /* A chain with a path relative to the file and a new anchor list. */
    write_text("small.yaml",
               "schema: 1\nbase: fastmult.yaml\nname: small\nsram_anchors:\n"
               "  - {bytes: 1024, word_bits: 16, banks: 1, read_pj: 1, write_pj: 2,\n"
               "     area_mm2: 0.01, source: test}\n");
    tmp_path(path, sizeof path, "small.yaml");
    load_ok(path, &t);
    assert_string_equal(t.name, "small");
    assert_true(t.mult8_pj == 0.05 && t.nanchors == 1);
    /* One anchor: sqrt law; 4 KB = 4 x 1 KB -> 1 pJ x 2, write 2 x 2. */
    cm_sram_cost c = cm_tech_sram(&t, 4096, 16, 1);
    assert_rel(c.read_pj, 2.0, 1e-12);
    assert_rel(c.write_pj, 4.0, 1e-12);
    /* Array area proportional to bits: 4 x (0.01 - 471.25e-6) + periphery. */
    assert_rel(c.area_mm2, 4 * (0.01 - 471.25e-6) + 471.25e-6, 1e-12);
}

/* ------------------------------------------------------------------ */
/* Bad files                                                           */

#define H "schema: 1\nbase: 28nm\n"
#define ANCH(rd, extra) \
    "  - {bytes: 1024, word_bits: 16, banks: 1, read_pj: " rd ", write_pj: 1, " extra "}\n"
#define GOOD_ANCH ANCH("1", "area_mm2: 0.01, source: s")

typedef struct {
    const char *file, *text;
    int line;          /* expected line; the column is where `at` starts on it */
    const char *at;    /* NULL: column 1 */
    const char *want;  /* substring of the message */
} bad_case;

static const bad_case bad[] = {
    {"unknown.yaml", H "mult9_pj: 1\n", 3, "mult9_pj", "unknown key 'mult9_pj'"},
    {"word.yaml", H "mult8_pj: abc\n", 3, "abc", "mult8_pj: expected a number or a mapping"},
    {"quoted.yaml", H "mult8_pj: \"0.2\"\n", 3, "\"0.2\"", "got the string \"0.2\""},
    {"neg.yaml", H "mult8_pj: {value: -0.2, source: x}\n", 3, "-0.2", "mult8_pj.value: expected a number >= 0, got -0.2"},
    {"inf.yaml", H "dram_pj_per_bit: .inf\n", 3, ".inf", "got .inf"},
    {"nan.yaml", H "dram_pj_per_bit: .nan\n", 3, ".nan", "got .nan"},
    {"huge.yaml", H "dram_pj_per_bit: 1e999\n", 3, "1e999", "got 1e999 (out of range)"},
    {"hex.yaml", H "dram_pj_per_bit: 0x10\n", 3, "0x10", "expected a number"},
    {"empty_val.yaml", H "dram_pj_per_bit:\n", 3, "\n", "got nothing"},
    {"list.yaml", H "mult8_pj: [1, 2]\n", 3, "[", "got a list"},
    {"novalue.yaml", H "mult8_pj: {source: x}\n", 3, "{", "missing required key 'value'"},
    {"nosource.yaml", H "mult8_pj: {value: 1}\n", 3, "{", "missing required key 'source'"},
    {"emptysource.yaml", H "mult8_pj: {value: 1, source: ''}\n", 3, "''", "non-empty"},
    {"unit.yaml", H "mult8_pj: {value: 1, source: x, unit: pJ}\n", 3, "unit",
     "unknown key 'unit'"},
    {"dup.yaml", H "mult8_pj: 1\nmult8_pj: 2\n", 4, NULL, "duplicate key 'mult8_pj'"},
    {"range.yaml", H "sram_bank_exp: 1.5\n", 3, "1.5", "expected a number in 0..1, got 1.5"},
    {"tag.yaml", H "mult8_pj: !!float 1\n", 3, "!!float", "tags"},
    {"alias.yaml", H "sram_anchors:\n  - &a {bytes: 1024, word_bits: 16, banks: 1, read_pj: 1,"
                     " write_pj: 1, area_mm2: 0.01, source: s}\n  - *a\n",
     4, "&a", "anchors (&a) and aliases are not allowed"},
    {"alias2.yaml", "schema: &s 1\nbase: 28nm\nmult8_pj: *s\n", 1, "&s", "aliases"},
    {"dupanch.yaml", H "sram_anchors:\n" ANCH("1", "area_mm2: 0.01, source: s, word_bits: 1"), 4,
     "word_bits: 1}", "duplicate key 'word_bits'"},
    {"frac.yaml", H "sram_anchors:\n  - {bytes: 1024, word_bits: 16.5}\n", 4, "16.5",
     "sram_anchors[0].word_bits: expected an integer in 1..65536"},
    {"anchmiss.yaml", H "sram_anchors:\n" ANCH("1", "source: s"), 4, "{",
     "sram_anchors[0]: missing required key 'area_mm2'"},
    {"anchzero.yaml", H "sram_anchors:\n" ANCH("0", "area_mm2: 0.01, source: s"), 4,
     "0, write", "sram_anchors[0].read_pj: expected a number > 0, got 0"},
    {"anchkey.yaml", H "sram_anchors:\n" ANCH("1", "area_mm2: 0.01, source: s, ports: 2"), 4,
     "ports", "unknown key 'ports'"},
    {"anchnone.yaml", H "sram_anchors: []\n", 3, "[", "expected at least 1 item, got 0"},
    {"anchmap.yaml", H "sram_anchors: {bytes: 1}\n", 3, "{", "expected a list"},
    {"toomany.yaml", H "sram_anchors:\n" GOOD_ANCH GOOD_ANCH GOOD_ANCH GOOD_ANCH GOOD_ANCH
                         GOOD_ANCH GOOD_ANCH GOOD_ANCH GOOD_ANCH,
     4, "-", "expected at most 8 items, got 9"},
    {"decrease.yaml", H "sram_anchors:\n" ANCH("5", "area_mm2: 0.01, source: s")
                        "  - {bytes: 4096, word_bits: 16, banks: 1, read_pj: 1, write_pj: 1, "
                        "area_mm2: 0.04, source: s}\n",
     3, NULL, "sram_anchors: SRAM anchors 1 and 2: read energy"},
    {"schema2.yaml", "schema: 2\nbase: 28nm\n", 1, "2",
     "unsupported table schema 2; this dse reads schema 1"},
    {"noschema.yaml", "base: 28nm\nmult8_pj: 1\n", 1, NULL, "missing required key 'schema'"},
    {"bare.yaml", "schema: 1\nname: x\nmult8_pj: 0.2\n", 3, "0.2", "bare numbers"},
    {"incomplete.yaml", "schema: 1\nname: x\nnode_nm: 7\nsram_anchors:\n" GOOD_ANCH, 1, NULL,
     "missing required key 'freq_mhz_max'"},
    {"badname.yaml", H "name: my node\n", 3, "my node", "name: expected a name of 1 to 31 characters"},
    {"nametype.yaml", H "name: [a]\n", 3, "[", "expected a string"},
    {"syntax.yaml", H "mult8_pj: 'abc\n", 4, NULL, "while scanning a quoted scalar: found unexpected end"},
    {"syntax2.yaml", H "]\n", 3, NULL, "did not find expected key"},
    {"syntax3.yaml", H "mult8_pj: {value: 1, source: x\n", 4, NULL, "expected ',' or '}'"},
    {"tab.yaml", "schema: 1\n\tbase: 28nm\n", 2, NULL, "a tab: YAML indents with spaces only"},
    {"utf8.yaml", H "mult8_pj: 1\xff\n", 3, "\xff", "invalid leading UTF-8 octet"},
    {"twodocs.yaml", H "---\nschema: 1\n", 3, NULL, "more than one YAML document"},
    {"empty.yaml", "", 1, NULL, "empty technology table"},
    {"comments.yaml", "# nothing\n", 1, NULL, "empty technology table"},
    {"toplist.yaml", "- 1\n", 1, NULL, "is a mapping (key: value lines), not a list"},
    {"nobase.yaml", "schema: 1\nbase: nosuchnode\n", 2, "nosuchnode", "base: 'nosuchnode' not found"},
    {"cyc_a.yaml", "schema: 1\nbase: cyc_b.yaml\n", 2, "cyc_b", "more than 8 tables chained"},
    {"badbase.yaml", "schema: 1\nbase: word.yaml\n", 2, "word",
     "base: in base 'word.yaml': "},
    /* ... and the base's own error, with its position in the base. */
    {"badbase2.yaml", "schema: 1\nbase: word.yaml\n", 2, "word", "word.yaml:3:11: mult8_pj: "},
};

static void test_bad_files(void **state)
{
    (void)state;
    char err[1024], path[256], prefix[300];
    cm_tech t;
    unsetenv("FDHT_TECH_DIR");
    write_text("cyc_b.yaml", "schema: 1\nbase: cyc_a.yaml\n");
    for (size_t i = 0; i < N(bad); i++) {
        write_text(bad[i].file, bad[i].text);
        /* bad files used as bases by later cases must exist first */
    }
    for (size_t i = 0; i < N(bad); i++) {
        const bad_case *b = &bad[i];
        tmp_path(path, sizeof path, b->file);
        int col = 1;
        if (b->at) { /* column of `at` on line b->line */
            const char *l = b->text;
            for (int k = 1; k < b->line; k++)
                l = strchr(l, '\n') + 1;
            const char *p = strstr(l, b->at);
            assert_non_null(p);
            col = (int)(p - l) + 1;
        }
        if (b->line)
            snprintf(prefix, sizeof prefix, "%s:%d:%d: ", path, b->line, col);
        else
            snprintf(prefix, sizeof prefix, "%s:", path);
        err[0] = '\0';
        int rc = tech_load_file(path, &t, err, sizeof err);
        if (rc != -1 || strncmp(err, prefix, strlen(prefix)) || !strstr(err, b->want))
            print_error("case %s: rc %d, message\n  %s\nwanted prefix\n  %s\nand '%s'\n",
                        b->file, rc, err, prefix, b->want);
        assert_int_equal(rc, -1);
        assert_memory_equal(err, prefix, strlen(prefix));
        assert_non_null(strstr(err, b->want));
    }
}

/* Every error of a file is reported, one line each, in document order. */
static void test_every_error(void **state)
{
    (void)state;
    char path[256], err[2048];
    cm_tech t;
    ydiag g;
    write_text("multi.yaml", H "mult8_pj: -1\nadd_pj_per_bit: x\nfoo: 1\n"
                             "sram_anchors:\n  - {bytes: 0, word_bits: 16}\n");
    tmp_path(path, sizeof path, "multi.yaml");
    ydiag_init(&g);
    assert_int_equal(tech_load(path, &t, &g), -1);
    const char *want[] = {
        ":3:11: error: mult8_pj: expected a number >= 0, got -1\n",
        ":4:17: error: add_pj_per_bit: expected a number or a mapping",
        ":5:1: error: foo: unknown key 'foo'; expected one of: schema, name,",
        ":7:13: error: sram_anchors[0].bytes: expected a number in 1..1e30, got 0\n",
        ":7:5: error: sram_anchors[0]: missing required key 'banks'",
        ":7:5: error: sram_anchors[0]: missing required key 'source'",
    };
    const char *p = ydiag_text(&g);
    for (const char *l = p; *l; l = strchr(l, '\n') + 1) /* each line names the file */
        assert_memory_equal(l, path, strlen(path));
    for (size_t i = 0; i < N(want); i++) {
        const char *q = strstr(p, want[i]);
        if (!q)
            print_error("missing '%s' in\n%s", want[i], p);
        assert_non_null(q);
        p = q + 1;
    }
    assert_int_equal(g.nerr, 9); /* 4 + the anchor's 5 missing keys */
    ydiag_free(&g);
    /* tech_load_file: the same, joined into one line. */
    assert_int_equal(tech_load_file(path, &t, err, sizeof err), -1);
    assert_null(strchr(err, '\n'));
    assert_non_null(strstr(err, "got -1; "));
    assert_non_null(strstr(err, "multi.yaml:5:1: error: foo: unknown key 'foo'"));
}

static void test_hostile_files(void **state)
{
    (void)state;
    char err[1024], path[256];
    cm_tech t;
    /* Over the size limit: refused before parsing. */
    size_t n = TECH_MAX_FILE + 100;
    char *big = malloc(n);
    assert_non_null(big);
    memcpy(big, H, strlen(H));
    for (size_t i = strlen(H); i < n; i++)
        big[i] = (i % 64 == 63) ? '\n' : (i % 64 == strlen(H) % 64 ? '#' : 'x');
    write_bytes("big.yaml", big, n);
    free(big);
    tmp_path(path, sizeof path, "big.yaml");
    assert_int_equal(tech_load_file(path, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "big.yaml: error: 1048676 bytes; a technology table is at most "
                                "1048576 bytes"));

    /* A billion-laughs bomb stops at its first alias. */
    const char *bomb = "schema: 1\nbase: 28nm\nx: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
                       "y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n";
    write_text("bomb.yaml", bomb);
    tmp_path(path, sizeof path, "bomb.yaml");
    assert_int_equal(tech_load_file(path, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "bomb.yaml:3:4: error: anchors (&a) and aliases are not allowed"));
    bomb = "schema: 1\nbase: 28nm\nsram_anchors: &a [*a]\n";
    write_text("bomb2.yaml", bomb);
    tmp_path(path, sizeof path, "bomb2.yaml");
    assert_int_equal(tech_load_file(path, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "aliases"));

    /* Control characters and deep nesting: clean errors, no crash. */
    write_bytes("ctrl.yaml", H "mult8_pj: 1\x01\n", strlen(H) + 13);
    tmp_path(path, sizeof path, "ctrl.yaml");
    assert_int_equal(tech_load_file(path, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "ctrl.yaml:3:"));
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 32);
    assert_non_null(deep);
    strcpy(deep, "schema: 1\nsram_anchors: ");
    size_t k = strlen(deep);
    for (size_t i = 0; i < depth; i++)
        deep[k++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[k++] = ']';
    deep[k] = '\0';
    write_bytes("deep.yaml", deep, k);
    free(deep);
    tmp_path(path, sizeof path, "deep.yaml");
    assert_int_equal(tech_load_file(path, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "deep.yaml:2:"));
    assert_non_null(strstr(err, "nesting deeper than"));
    /* A directory is not a table. */
    assert_int_equal(tech_load_file(tmpdir, &t, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_28nm_is_45nm_scaled),
        cmocka_unit_test(test_45nm_published),
        cmocka_unit_test(test_width_scaling),
        cmocka_unit_test(test_sram_anchors_exact),
        cmocka_unit_test(test_sram_between_anchors),
        cmocka_unit_test(test_sram_monotone_finite),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_default_equals_file),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_override),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_every_error),
        cmocka_unit_test(test_hostile_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
