/* npymat - the two .npy matrices tools/accbench.sh needs and `dse` does not
 * write: [A | B] of two matrices, and a Gaussian matrix.
 *
 *   npymat hcat A.npy B.npy OUT.npy   OUT = [A | B] (same row count)
 *   npymat gauss M N SEED OUT.npy     OUT = M x N iid N(0,1)
 *
 * Inputs: 2-D float32 little-endian C-order .npy (what `dse train --save`
 * writes).  Output: the same.  The Gaussian matrix is a pure function of
 * (M, N, SEED): splitmix64 + Box-Muller in double precision, rounded to
 * float32.  Compiled and run only by tools/accbench.sh. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *m, const char *a)
{
    fprintf(stderr, "npymat: %s%s%s\n", m, a ? ": " : "", a ? a : "");
    exit(2);
}

static float *load(const char *path, long *rows, long *cols)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open", path);
    unsigned char pre[10];
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6)) die("not a .npy", path);
    size_t hl;
    if (pre[6] == 1) hl = pre[8] | (size_t)pre[9] << 8;
    else {
        unsigned char x[2];
        if (fread(x, 1, 2, f) != 2) die("truncated header", path);
        hl = pre[8] | (size_t)pre[9] << 8 | (size_t)x[0] << 16 | (size_t)x[1] << 24;
    }
    char *h = calloc(hl + 1, 1);
    if (!h || fread(h, 1, hl, f) != hl) die("truncated header", path);
    if (!strstr(h, "'<f4'")) die("not float32", path);
    if (strstr(h, "'fortran_order': True")) die("Fortran order", path);
    char *s = strstr(h, "'shape': (");
    if (!s || sscanf(s + 10, "%ld, %ld", rows, cols) != 2) die("not 2-D", path);
    free(h);
    size_t n = (size_t)*rows * (size_t)*cols;
    float *a = malloc(n * sizeof *a);
    if (!a || fread(a, sizeof *a, n, f) != n) die("truncated data", path);
    fclose(f);
    return a;
}

static void save(const char *path, const float *a, long rows, long cols)
{
    char h[128];
    int n = snprintf(h, sizeof h, "{'descr': '<f4', 'fortran_order': False, 'shape': (%ld, %ld), }",
                     rows, cols);
    int tot = 10 + n + 1;
    int pad = (64 - tot % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot write", path);
    unsigned short hl = (unsigned short)(n + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hl & 255, f);
    fputc(hl >> 8, f);
    fwrite(h, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    size_t cnt = (size_t)rows * (size_t)cols;
    if (fwrite(a, sizeof *a, cnt, f) != cnt || fclose(f)) die("write failed", path);
}

static uint64_t sm_state;
static uint64_t splitmix64(void)
{
    uint64_t z = (sm_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double unif(void) { return ((splitmix64() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "hcat")) {
        long ra, ca, rb, cb;
        float *a = load(argv[2], &ra, &ca), *b = load(argv[3], &rb, &cb);
        if (ra != rb) die("row counts differ", argv[3]);
        float *o = malloc((size_t)ra * (size_t)(ca + cb) * sizeof *o);
        if (!o) die("out of memory", NULL);
        for (long i = 0; i < ra; i++) {
            memcpy(o + i * (ca + cb), a + i * ca, (size_t)ca * sizeof *o);
            memcpy(o + i * (ca + cb) + ca, b + i * cb, (size_t)cb * sizeof *o);
        }
        save(argv[4], o, ra, ca + cb);
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "gauss")) {
        long m = atol(argv[2]), n = atol(argv[3]);
        if (m <= 0 || n <= 0) die("bad shape", NULL);
        sm_state = strtoull(argv[4], NULL, 10);
        size_t cnt = (size_t)m * (size_t)n;
        float *o = malloc(cnt * sizeof *o);
        if (!o) die("out of memory", NULL);
        const double two_pi = 6.283185307179586;
        for (size_t i = 0; i < cnt; i += 2) {
            double r = sqrt(-2.0 * log(unif())), t = two_pi * unif();
            o[i] = (float)(r * cos(t));
            if (i + 1 < cnt) o[i + 1] = (float)(r * sin(t));
        }
        save(argv[5], o, m, n);
        return 0;
    }
    fprintf(stderr, "usage: npymat hcat A.npy B.npy OUT.npy | npymat gauss M N SEED OUT.npy\n");
    return 2;
}
