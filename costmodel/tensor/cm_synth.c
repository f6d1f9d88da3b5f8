/*
 * cm_synth.c - seeded synthetic reference matrices (cm_synth_matrix,
 * cm_hsvd.h): "gaussian" and "decay", deterministic on any thread count,
 * the inputs of the truncation tests, benchmarks and `dse hsvd --synth`.
 */
#include "cm_svd_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Standard normal pairs by Box-Muller; 1 - u keeps the log argument in (0, 1]. */
static void gaussian_fill(uint64_t *st, double *x, int64_t n)
{
    const double two_pi = 6.283185307179586476925286766559;
    for (int64_t i = 0; i < n; i += 2) {
        double u1 = 1.0 - cm_rand_uniform(st), u2 = cm_rand_uniform(st);
        double rad = sqrt(-2.0 * log(u1));
        x[i] = rad * cos(two_pi * u2);
        if (i + 1 < n)
            x[i + 1] = rad * sin(two_pi * u2);
    }
}

/*
 * "decay": W[i][j] = sum_{k<K} k'^-1 g_k(i) h_k(j) + eta G[i][j], k' = k+1,
 * with g_k(i) = sqrt(2) cos(w_k i + phi_k), h_k(j) = sqrt(2) cos(v_k j + psi_k)
 * (seeded frequencies and phases) and G standard normal.  A cosine of the
 * row index is rank 2 across any split of i into digits (cos(a+b) = cos a
 * cos b - sin a sin b), so each term has rank <= 4 in every matricization,
 * whatever the mode sizes: the node spectra fall off like the 1/k' weights
 * (a power law) down to the noise floor eta (1e-3 of the rms entry).
 */
#define SYNTH_K 32
#define SYNTH_ETA 1e-3

static int synth_decay(uint64_t *st, int64_t rows, int64_t cols, double *W)
{
    double *g = svd_dalloc(rows * SYNTH_K), *h = svd_dalloc(cols * SYNTH_K);
    if (!g || !h) {
        free(g);
        free(h);
        return -1;
    }
    const double pi = 3.14159265358979323846;
    double wsum = 0;
    for (int k = 0; k < SYNTH_K; k++) {
        double w = 1.0 / (k + 1);
        wsum += w * w;
        double fr = pi * cm_rand_uniform(st), ph = 2 * pi * cm_rand_uniform(st);
        double fc = pi * cm_rand_uniform(st), pc = 2 * pi * cm_rand_uniform(st);
        for (int64_t i = 0; i < rows; i++)
            g[i * SYNTH_K + k] = w * sqrt(2.0) * cos(fr * (double)i + ph);
        for (int64_t j = 0; j < cols; j++)
            h[j * SYNTH_K + k] = sqrt(2.0) * cos(fc * (double)j + pc);
    }
    gaussian_fill(st, W, rows * cols);
    double eta = SYNTH_ETA * sqrt(wsum);
    /* Plain loops, fixed summation order: the same bits on any thread count. */
    for (int64_t i = 0; i < rows; i++) {
        const double *gi = g + i * SYNTH_K;
        double *wi = W + i * cols;
        for (int64_t j = 0; j < cols; j++) {
            const double *hj = h + j * SYNTH_K;
            double s = 0;
            for (int k = 0; k < SYNTH_K; k++)
                s += gi[k] * hj[k];
            wi[j] = s + eta * wi[j];
        }
    }
    free(g);
    free(h);
    return 0;
}

int cm_synth_matrix(const char *kind, uint64_t seed, int64_t rows, int64_t cols,
                    double *W, char *err, size_t errlen)
{
    if (!kind)
        return cm_fail(err, errlen, "no synthetic matrix kind given");
    if (rows < 1 || cols < 1 || rows > (INT64_C(1) << 53) / cols)
        return cm_fail(err, errlen, "bad synthetic matrix size %lld x %lld",
                       (long long)rows, (long long)cols);
    uint64_t st = seed;
    if (!strcmp(kind, "gaussian")) {
        gaussian_fill(&st, W, rows * cols);
        return 0;
    }
    if (!strcmp(kind, "decay")) {
        if (synth_decay(&st, rows, cols, W))
            return cm_fail(err, errlen, "out of memory (synthetic matrix)");
        return 0;
    }
    return cm_fail(err, errlen, "unknown synthetic matrix kind '%s' (gaussian, decay)", kind);
}
