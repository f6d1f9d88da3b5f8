/*
 * bench_accel.c - speed of the accelerator cost model (`make bench`; never
 * fails): analytical points per second uncached and cached (a sweep over
 * hardware parameters and bank maps of a few fixed matrix mappings, the
 * FDHT and TIE points of LSTM-UCF), and the functional model's time for one
 * LSTM-UCF input-layer frame per bank map, then the slowest of them as the
 * line "bench_accel: figure functional_frame MS ms ..." that tools/bench.sh
 * picks up.
 */
#include "cm_accel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const char *const points[] = {
    "lstm;nin=57600;h=256;dec=partial/wx;f=tt;m=16x4x4x4;n=8x20x20x18;r=1,4,4,4,1;o=4,3,2,1;"
    "df=wp/wh;f=dense;m=1024;n=256;o=W;df=wp/hw;P=16;L=16;b=16;B=16;wm=131072;wg=65536;"
    "bw=12800;sfu=16;mhz=1000;map=linear;tech=28nm",
    "lstm;nin=57600;h=256;dec=concat;pad=58320/wx;f=ht;m=16x4x4x4;n=9x20x18x18;"
    "t=((1:4,2:4):4,(3:4,4:4):4);o=3,4,34,2,1,12,1234;df=wp/hw;P=16;L=16;b=16;B=16;"
    "wm=131072;wg=65536;bw=12800;sfu=16;mhz=1000;map=linear;tech=28nm",
};

/* A sweep: every combination of these, per point. */
static const int Bs[] = {8, 16, 32}, Ls[] = {8, 16}, bws[] = {6400, 12800, 25600};
static const int sfus[] = {8, 16}, mhzs[] = {500, 1000};
static const int64_t wms[] = {131072, 262144}, wgs[] = {65536, 1 << 20};

static int64_t sweep(const cm_tech *tech, cm_acache *c, int reps, double *sec)
{
    int64_t n = 0;
    volatile double sink = 0;
    double t0 = now();
    for (int rep = 0; rep < reps; rep++)
        for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
            cm_point p;
            char err[CM_ERRLEN];
            if (cm_point_parse(points[i], &p, err, sizeof err) < 0) {
                fprintf(stderr, "bench: %s\n", err);
                exit(1);
            }
            for (int m = 0; m < CM_MAP_COUNT; m++)
                for (size_t a = 0; a < 3; a++)
                    for (size_t l = 0; l < 2; l++)
                        for (size_t w = 0; w < 3; w++)
                            for (size_t s = 0; s < 2; s++)
                                for (size_t f = 0; f < 2; f++)
                                    for (size_t u = 0; u < 2; u++)
                                        for (size_t g = 0; g < 2; g++) {
                                            cm_result r;
                                            p.map = (cm_bankmap)m;
                                            p.hw.banks = Bs[a];
                                            p.hw.lanes = Ls[l];
                                            p.hw.dram_mbps = bws[w];
                                            p.hw.sfu_lanes = sfus[s];
                                            p.hw.freq_mhz = mhzs[f];
                                            p.hw.work_words = wms[u];
                                            p.hw.wgt_words = wgs[g];
                                            if (c ? cm_analytic_eval_cached(&p, tech, c, NULL, &r) == 0
                                                  : cm_analytic_eval(&p, tech, &r) == 0)
                                                sink += r.energy_pj;
                                            n++;
                                        }
        }
    *sec = now() - t0;
    (void)sink;
    return n;
}

/* The best of 5 times of one frame, seconds; < 0 when it could not run. */
static double functional_frame(const cm_tech *tech, cm_bankmap map)
{
    cm_point p;
    char err[CM_ERRLEN];
    const char *s = "mv/wx;f=ht;m=16x4x4x4;n=8x20x20x18;t=((1:4,2:4):4,(3:4,4:4):4);"
                    "o=1,2,12,3,4,34,1234;df=wp/hw;P=16;L=16;b=16;B=16;wm=131072;wg=65536;"
                    "bw=12800;sfu=16;mhz=1000;map=linear;tech=28nm";
    if (cm_point_parse(s, &p, err, sizeof err) < 0 || cm_matmap_best_order(&p.wx, err, sizeof err) < 0)
        return -1;
    p.map = map;
    cm_fix fx = {16, 12, 10};
    cm_weights w;
    cm_qweights q;
    if (cm_weights_alloc(&p.wx.fmt, &w, err, sizeof err) < 0)
        return -1;
    cm_weights_random(&w, 1, 0.5);
    if (cm_qweights_from(&w, &fx, &q, err, sizeof err) < 0) {
        cm_weights_free(&w);
        return -1;
    }
    int64_t N = cm_modes_cols(&p.wx.fmt.modes), M = cm_modes_rows(&p.wx.fmt.modes);
    int32_t *x = calloc((size_t)N, sizeof *x), *y = calloc((size_t)M, sizeof *y);
    uint64_t st = 7;
    for (int64_t i = 0; x && i < N; i++)
        x[i] = (int32_t)(cm_rand_next(&st) % 2001) - 1000;
    const cm_qweights *qp[2] = {&q, NULL};
    int32_t *yy[2] = {y, NULL};
    cm_result r;
    double best = x && y ? 1e9 : -1;
    for (int k = 0; k < 5 && x && y; k++) {
        double t0 = now();
        cm_func_eval(&p, tech, qp, x, NULL, yy, &r);
        double t = now() - t0;
        best = t < best ? t : best;
    }
    if (best >= 0)
        printf("bench_accel: functional model, one LSTM-UCF input-layer frame (HT balanced rank 4, "
               "16 PEs x 16 lanes, B=16, %s): %.1f ms (best of 5)\n", cm_bankmap_name(map),
               best * 1e3);
    free(x);
    free(y);
    cm_qweights_free(&q);
    cm_weights_free(&w);
    return best;
}

int main(void)
{
    cm_tech tech;
    cm_tech_default_28nm(&tech);
    double t;
    int64_t n = sweep(&tech, NULL, 1, &t);
    printf("bench_accel: analytical, uncached: %lld points in %.3f s = %.0f points/s\n",
           (long long)n, t, (double)n / t);
    cm_acache *c = cm_acache_new();
    if (!c)
        return 0;
    sweep(&tech, c, 1, &t); /* warm */
    n = sweep(&tech, c, 20, &t);
    int64_t hits, misses;
    cm_acache_counts(c, &hits, &misses);
    printf("bench_accel: analytical, cached sweep: %lld points in %.3f s = %.0f points/s "
           "(%lld hits, %lld misses)\n", (long long)n, t, (double)n / t, (long long)hits,
           (long long)misses);
    cm_acache_free(c);
    double worst = 0;
    for (int m = 0; m < CM_MAP_COUNT; m++) {
        double t1 = functional_frame(&tech, (cm_bankmap)m);
        if (t1 < 0)
            return 0; /* no figure line: the script reports the failure */
        worst = t1 > worst ? t1 : worst;
    }
    printf("bench_accel: figure functional_frame %.2f ms (slowest bank map, best of 5 each; "
           "target <= 50 ms)\n", worst * 1e3);
    return 0;
}
