/*
 * bench_hsvd.c - speed of the rank-error profile (`make bench`; never
 * fails): the singular values of every matricization a d = 4 HT tree can
 * have (4 leaves, 3 pairs: 7 spectra, a mode set and its complement being
 * one) of a seeded 1,024 x 57,600 "decay" reference (out modes 16x4x4x4,
 * in modes 8x20x20x18, the LSTM-UCF input layer), by cm_spectrum_compute's
 * default route, then the accuracy of that route against the exact SVD on
 * smaller cases.  Prints per matricization its shape, wall and CPU time,
 * then
 *
 *   rank-error profile 1024x57600 d=4 (7 matricizations): W s wall, C s CPU; ...
 *   bench_hsvd: figure rank_error_profile W s
 *
 * (tools/bench.sh picks up the figure; the target is 60 s wall).  CPU time
 * is the whole process's (every BLAS thread); the machine's other jobs
 * inflate wall time, so both are printed.
 *
 *   bench_hsvd            the profile and the accuracy checks
 *   bench_hsvd --exact    also the exact route (QR + SVD) per matricization
 *                         of the big case, for before/after figures (slow:
 *                         minutes)
 *   bench_hsvd --small    the accuracy checks only
 */
#include "cm_hsvd.h"
#include "test_hsvd_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static cm_modes modes_of(const int *m, const int *n)
{
    cm_modes md;
    memset(&md, 0, sizeof md);
    md.d = 4;
    for (int k = 0; k < 4; k++) {
        md.m[k] = m[k];
        md.n[k] = n[k];
    }
    return md;
}

static void mask_label(unsigned mask, char *buf)
{
    int o = 0;
    buf[o++] = '{';
    for (int k = 0; k < 4; k++)
        if (mask & (1u << k)) {
            if (o > 1)
                buf[o++] = ',';
            buf[o++] = (char)('1' + k);
        }
    buf[o++] = '}';
    buf[o] = '\0';
}

static int64_t side(const cm_modes *md, unsigned mask)
{
    int64_t p = 1;
    for (int k = 0; k < md->d; k++)
        if (mask & (1u << k))
            p *= (int64_t)md->m[k] * md->n[k];
    return p;
}

/* "1.23 1.10 0.98" (1, 5, 15 min) or "?": others' jobs skew wall times. */
static void loadavg(char *buf, size_t len)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    if (f && fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(buf, len, "%.2f %.2f %.2f", a, b, c);
    else
        snprintf(buf, len, "?");
    if (f)
        fclose(f);
}

/* The 7 canonical mode sets of d = 4: leaves, then pairs. */
static const unsigned masks7[7] = {1, 2, 4, 7, 3, 5, 6};

/* ---- the big case ---- */

static int profile(int exact)
{
    static const int m[4] = {16, 4, 4, 4}, n[4] = {8, 20, 20, 18};
    cm_modes md = modes_of(m, n);
    int64_t M = cm_modes_rows(&md), N = cm_modes_cols(&md);
    char err[CM_ERRLEN];
    double *W = malloc((size_t)(M * N) * sizeof *W);
    if (!W) {
        printf("bench_hsvd: out of memory (%lld x %lld reference)\n", (long long)M,
               (long long)N);
        return -1;
    }
    double w0 = wall_now(), c0 = cpu_now();
    if (cm_synth_matrix("decay", 1, M, N, W, err, sizeof err)) {
        printf("bench_hsvd: %s\n", err);
        free(W);
        return -1;
    }
    printf("reference: %lldx%lld 'decay' (seed 1), modes 16x4x4x4 / 8x20x20x18, built in "
           "%.1f s wall, %.1f s CPU (not counted)\n", (long long)M, (long long)N,
           wall_now() - w0, cpu_now() - c0);
    double tw = 0, tc = 0, ew = 0, ec = 0;
    int ok = 1;
    char load0[64], load1[64];
    loadavg(load0, sizeof load0);
    for (int t = 0; t < 7 && ok; t++) {
        unsigned mask = masks7[t];
        char lab[16], clab[16];
        mask_label(mask, lab);
        mask_label(0xfu & ~mask, clab);
        int64_t p = side(&md, mask), q = M * N / p;
        cm_spectrum s;
        w0 = wall_now();
        c0 = cpu_now();
        if (cm_spectrum_compute(W, &md, mask, &s, err, sizeof err)) {
            printf("bench_hsvd: %s: %s\n", lab, err);
            ok = 0;
            break;
        }
        double w = wall_now() - w0, c = cpu_now() - c0;
        tw += w;
        tc += c;
        printf("  %-9s|%-9s %6lld x %-6lld %4d values  %6.1f s wall %6.1f s CPU  "
               "s_1 %.4g, s_n/s_1 %.2e, tail(64)/||W|| %.3e\n",
               lab, clab, (long long)p, (long long)q, s.n, w, c, s.sv[0],
               s.sv[s.n - 1] / s.sv[0], cm_spectrum_tail(&s, 64) / cm_spectrum_tail(&s, 0));
        cm_spectrum_free(&s);
        if (exact) {
            w0 = wall_now();
            c0 = cpu_now();
            if (cm_spectrum_compute_with(W, &md, mask, CM_SPECTRUM_EXACT, &s, err,
                                         sizeof err)) {
                printf("bench_hsvd: exact %s: %s\n", lab, err);
                ok = 0;
                break;
            }
            w = wall_now() - w0;
            c = cpu_now() - c0;
            ew += w;
            ec += c;
            printf("  %-9s  exact route (QR + SVD):   %6.1f s wall %6.1f s CPU\n", "", w, c);
            cm_spectrum_free(&s);
        }
    }
    free(W);
    if (!ok)
        return -1;
    loadavg(load1, sizeof load1);
    printf("load average %s before, %s after (2 cores; CPU time is every thread's)\n", load0,
           load1);
    printf("rank-error profile %lldx%lld d=4 (7 matricizations): %.1f s wall, %.1f s CPU; "
           "target 60 s; ratio %.2f\n", (long long)M, (long long)N, tw, tc, tw / 60.0);
    if (exact)
        printf("  exact route, same 7: %.1f s wall, %.1f s CPU (speed-up %.1fx wall, "
               "%.1fx CPU)\n", ew, ec, ew / tw, ec / tc);
    printf("bench_hsvd: figure rank_error_profile %.1f s (wall; %.1f s CPU)\n", tw, tc);
    return 0;
}

/* ---- accuracy on smaller cases ---- */

typedef struct {
    double rel_above; /* max relative deviation over s_i >= floor s_1 */
    double rel_all;   /* max relative deviation over every s_i > 0 */
    double sq;        /* max |s^2 - ref^2| / ref_1^2 */
    double tail;      /* max |tail(r) - ref tail(r)| / ref tail(0) */
    int above, total;
} dev;

static void compare(const cm_spectrum *g, const double *ref, int n, dev *d)
{
    for (int i = n - 1; i >= 0; i--) {
        double r = ref[i], v = g->sv[i];
        double rel = r > 0 ? fabs(v - r) / r : fabs(v);
        if (r >= CM_SPECTRUM_GRAM_FLOOR * ref[0]) {
            d->above++;
            if (rel > d->rel_above)
                d->rel_above = rel;
        }
        if (r > 0 && rel > d->rel_all)
            d->rel_all = rel;
        double sq = fabs(v * v - r * r) / (ref[0] * ref[0]);
        if (sq > d->sq)
            d->sq = sq;
        d->total++;
    }
    double nr = 0;
    for (int i = 0; i < n; i++)
        nr += ref[i] * ref[i];
    nr = sqrt(nr);
    for (int r = 0; r <= n; r++) {
        double a = cm_spectrum_tail(g, r), b = 0;
        for (int i = n - 1; i >= r; i--)
            b += ref[i] * ref[i];
        double e = fabs(a - sqrt(b)) / nr;
        if (e > d->tail)
            d->tail = e;
    }
}

/* W whose matricization by mask is U diag(s) V^T (p x q). */
static double *known_matrix(const cm_modes *md, unsigned mask, const double *s, int p, int q)
{
    double *a = tu_known_spectrum(p, q, s, 11);
    int64_t M = cm_modes_rows(md), N = cm_modes_cols(md);
    double *W = malloc((size_t)(M * N) * sizeof *W);
    if (a && W)
        tu_place(md, mask, a, q, W);
    free(a);
    if (!a) {
        free(W);
        return NULL;
    }
    return W;
}

static void accuracy(void)
{
    char err[CM_ERRLEN];
    double worst = 0; /* Gram vs exact, values above the floor, both cases */
    /* (1) a known spectrum 1 .. 1e-8, 256 x 3600, placed as matricization {1,3}. */
    {
        enum { P = 256, Q = 3600 };
        static const int m[4] = {4, 5, 4, 6}, n[4] = {4, 12, 4, 10};
        cm_modes md = modes_of(m, n);
        double s[P];
        for (int i = 0; i < P; i++)
            s[i] = pow(10.0, -8.0 * i / (P - 1));
        double *W = known_matrix(&md, 0x5u, s, P, Q);
        cm_spectrum g, e;
        if (!W) {
            printf("bench_hsvd: out of memory (accuracy case)\n");
            return;
        }
        if (cm_spectrum_compute_with(W, &md, 0x5u, CM_SPECTRUM_GRAM, &g, err, sizeof err) ||
            cm_spectrum_compute_with(W, &md, 0x5u, CM_SPECTRUM_EXACT, &e, err, sizeof err)) {
            printf("bench_hsvd: %s\n", err);
            free(W);
            return;
        }
        dev dg = {0}, de = {0}, dge = {0};
        compare(&g, s, P, &dg);
        compare(&e, s, P, &de);
        compare(&g, e.sv, P, &dge);
        worst = dge.rel_above;
        printf("accuracy, 256x3600 known spectrum 1..1e-8 (U diag(s) V^T as matricization "
               "{1,3}):\n");
        printf("  Gram route vs exact SVD: max rel dev %.2e over the %d values >= %.0e s_1 "
               "(%.2e over all %d); max |s^2 - s_ref^2| %.2e s_1^2; tails %.2e ||W||\n",
               dge.rel_above, dge.above, CM_SPECTRUM_GRAM_FLOOR, dge.rel_all, dge.total,
               dge.sq, dge.tail);
        printf("  Gram route vs known s:   max rel dev %.2e over s_i >= %.0e s_1; tails "
               "%.2e ||W||\n", dg.rel_above, CM_SPECTRUM_GRAM_FLOOR, dg.tail);
        printf("  exact SVD  vs known s:   max rel dev %.2e over s_i >= %.0e s_1 (%.2e over "
               "all)\n", de.rel_above, CM_SPECTRUM_GRAM_FLOOR, de.rel_all);
        cm_spectrum_free(&g);
        cm_spectrum_free(&e);
        free(W);
    }
    /* (2) a 'decay' reference of 256 x 3600, every matricization, Gram vs exact. */
    {
        static const int m[4] = {4, 4, 4, 4}, n[4] = {4, 10, 10, 9};
        cm_modes md = modes_of(m, n);
        int64_t M = cm_modes_rows(&md), N = cm_modes_cols(&md);
        double *W = malloc((size_t)(M * N) * sizeof *W);
        if (!W || cm_synth_matrix("decay", 1, M, N, W, err, sizeof err)) {
            printf("bench_hsvd: out of memory (accuracy case)\n");
            free(W);
            return;
        }
        dev all = {0};
        double gw = 0, xw = 0, smin = 1;
        for (int t = 0; t < 7; t++) {
            cm_spectrum g, e;
            double w0 = wall_now();
            if (cm_spectrum_compute_with(W, &md, masks7[t], CM_SPECTRUM_GRAM, &g, err,
                                         sizeof err)) {
                printf("bench_hsvd: %s\n", err);
                free(W);
                return;
            }
            double w1 = wall_now();
            if (cm_spectrum_compute_with(W, &md, masks7[t], CM_SPECTRUM_EXACT, &e, err,
                                         sizeof err)) {
                printf("bench_hsvd: %s\n", err);
                cm_spectrum_free(&g);
                free(W);
                return;
            }
            gw += w1 - w0;
            xw += wall_now() - w1;
            compare(&g, e.sv, e.n, &all);
            if (e.sv[e.n - 1] / e.sv[0] < smin)
                smin = e.sv[e.n - 1] / e.sv[0];
            cm_spectrum_free(&g);
            cm_spectrum_free(&e);
        }
        printf("accuracy, 256x3600 'decay' reference (modes 4x4x4x4 / 4x10x10x9), "
               "7 matricizations, Gram route vs exact SVD:\n");
        printf("  max rel dev %.2e over the %d of %d values >= %.0e s_1 (%.2e over all; "
               "smallest s_n/s_1 %.1e); tails %.2e ||W||; %.2f s vs %.2f s wall\n",
               all.rel_above, all.above, all.total, CM_SPECTRUM_GRAM_FLOOR, all.rel_all,
               smin, all.tail, gw, xw);
        printf("bench_hsvd: figure gram_max_rel_dev %.2e (s_i >= %.0e s_1, target 1e-6)\n",
               all.rel_above > worst ? all.rel_above : worst,
               CM_SPECTRUM_GRAM_FLOOR);
        free(W);
    }
}

int main(int argc, char **argv)
{
    int exact = 0, small = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--exact"))
            exact = 1;
        else if (!strcmp(argv[i], "--small"))
            small = 1;
        else {
            printf("usage: bench_hsvd [--exact] [--small]\n");
            return 0;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!small)
        profile(exact);
    accuracy();
    return 0;
}
