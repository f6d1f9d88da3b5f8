/*
 * bench_pareto.c - makes the synthetic results database of the `dse pareto`
 * benchmark (tools/bench.sh, figure 4): N valid design points (default
 * 1,000,000) stored through the project's db API, with every metric column
 * filled, so that `dse pareto` and a bare `sqlite3` scan read the same rows.
 *
 *   bench_pareto DB [N] [SEED]
 *
 * The points are not evaluated (the model would take minutes for a million
 * valid points): each row has a canonical-looking point string of LSTM-UCF
 * length (unique by its position) and metric values drawn from a seeded
 * trade-off (more PEs x lanes: more throughput, more area and leakage; fewer
 * parameters: lower energy but lower throughput for the same hardware), so
 * that the front of params:min, energy_pj:min, throughput_fps:max is neither
 * trivial nor the whole set.  Prints one line: rows, seconds, rows/s.  Run
 * without arguments (as the old `make bench` loop did) it only prints usage.
 * An existing DB is refused (exit 1) rather than added to.
 */
#include "cm_hash.h"
#include "db.h"

#include "cm_matvec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const int pes[] = {8, 16, 32}, lanes[] = {8, 16, 32}, banks[] = {8, 16, 32};
static const char *const maps[] = {"linear", "skew", "xor", "transform"};
static const char *const formats[] = {"ht", "tt"};

/* One row i: point string into buf, metrics into r. */
static void make_row(int64_t i, uint64_t *st, char *buf, size_t len, db_row *r)
{
    int P = pes[cm_rand_next(st) % 3], L = lanes[cm_rand_next(st) % 3];
    int B = banks[cm_rand_next(st) % 3], mhz = (cm_rand_next(st) & 1) ? 1000 : 500;
    int fmt = (int)(cm_rand_next(st) & 1), map = (int)(cm_rand_next(st) % 4);
    int r1 = 2 << (cm_rand_next(st) % 4), r2 = 2 << (cm_rand_next(st) % 4);
    /* wg carries the position, so every string is distinct. */
    snprintf(buf, len,
             "lstm;nin=57600;h=256;dec=partial/wx;f=%s;m=16x4x4x4;n=8x20x20x18;"
             "t=((1:%d,2:%d):%d,(3:%d,4:%d):%d);o=1,2,12,3,4,34,1234;df=wp/wh;f=dense;"
             "m=1024;n=256;o=W;df=wp/hw;P=%d;L=%d;b=16;B=%d;wm=262144;wg=%lld;bw=12800;"
             "sfu=16;mhz=%d;map=%s;tech=28nm",
             formats[fmt], r1, r1, r2, r1, r1, r2, P, L, B, (long long)(65536 + i), mhz, maps[map]);
    db_row_init(r, buf);
    /* Parameters: a few thousand distinct values over ~3 decades (ties happen). */
    int64_t params = 262144 + (int64_t)(400.0 * exp(7.0 * cm_rand_uniform(st)));
    double pl = (double)(P * L);
    /* MACs per frame follow the parameters loosely (trees and orders differ). */
    double macs = (double)(params - 262144) * (1.0 + 6.0 * cm_rand_uniform(st)) + 262144.0;
    double util = 0.3 + 0.65 * cm_rand_uniform(st);
    double cycles = macs / (pl * util) + 200.0;
    double area = 0.4 + 0.0012 * pl + 0.02 * B + 0.05 * cm_rand_uniform(st);
    double fps = (double)mhz * 1e6 / cycles;
    /* Wider hardware: more energy per MAC (wider buffers, longer wires). */
    double energy = macs * (0.9 + 0.002 * pl + 0.3 * cm_rand_uniform(st));
    r->m[MAP_M_PARAMS] = params;
    r->m[MAP_M_MACS] = (int64_t)macs;
    r->m[MAP_M_CYCLES] = (int64_t)cycles;
    r->m[MAP_M_CONFLICTS] = (int64_t)(cm_rand_next(st) % 1000);
    r->m[MAP_M_STALLS] = r->m[MAP_M_CONFLICTS] / 2;
    r->m[MAP_M_DRAM] = 2 * (params + 57600);
    r->m[MAP_M_AREA] = area;
    r->m[MAP_M_ENERGY] = energy;
    r->m[MAP_M_THROUGHPUT] = fps;
    r->m[MAP_M_POWER] = energy * fps * 1e-9;
    r->m[MAP_M_AREA_EFF] = fps / area;
    r->m[MAP_M_ENERGY_EFF] = 1e12 / energy;
    r->m[MAP_M_UTIL] = util;
    r->m[MAP_M_ERR_UPPER] = 0.9 * exp(-(double)(r1 + r2) / 12.0);
    r->m[MAP_M_ERR_LOWER] = 0.5 * r->m[MAP_M_ERR_UPPER];
    r->format = formats[fmt];
    r->pes = P;
    r->lanes = L;
    r->banks = B;
    r->bits = 16;
    r->freq_mhz = mhz;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("bench_pareto: usage: bench_pareto DB [N] [SEED] (makes the synthetic database "
               "of tools/bench.sh's pareto figure)\n");
        return 0;
    }
    const char *path = argv[1];
    int64_t n = argc > 2 ? atoll(argv[2]) : 1000000;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (n <= 0) {
        fprintf(stderr, "bench_pareto: N must be positive\n");
        return 2;
    }
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "bench_pareto: %s exists; remove it first\n", path);
        return 1;
    }
    char err[256];
    db_conn *d = NULL;
    if (db_open(path, DB_CREATE, &d, err, sizeof err) < 0) {
        fprintf(stderr, "bench_pareto: %s\n", err);
        return 1;
    }
    db_run_info ri = {0};
    ri.spec_text = "synthetic: tests/bench_pareto.c";
    ri.seed = seed;
    ri.shard_n = 1;
    ri.command = "bench_pareto";
    int64_t run;
    enum { BATCH = DB_BATCH };
    db_row *rows = malloc(BATCH * sizeof *rows);
    char *bufs = malloc((size_t)BATCH * 512);
    int rc = 1;
    if (!rows || !bufs) {
        fprintf(stderr, "bench_pareto: out of memory\n");
        goto out;
    }
    if (db_run_begin(d, &ri, &run, err, sizeof err) < 0)
        goto fail;
    uint64_t st = seed * CM_GOLDEN + 1;
    double t0 = now();
    for (int64_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < BATCH && i < n; k++, i++)
            make_row(i, &st, bufs + k * 512, 512, &rows[k]);
        if (db_insert_batch(d, run, rows, k, NULL, err, sizeof err) < 0)
            goto fail;
    }
    if (db_run_end(d, run, "done", err, sizeof err) < 0)
        goto fail;
    double t = now() - t0;
    printf("bench_pareto: stored %lld synthetic points in %s in %.2f s (%.0f rows/s)\n",
           (long long)n, path, t, (double)n / t);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "bench_pareto: %s\n", err);
out:
    free(rows);
    free(bufs);
    db_close(d);
    return rc;
}
