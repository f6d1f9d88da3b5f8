/*
 * bench_db.c - speed of storing evaluated points (`make bench`; never
 * fails), through exactly the path of `dse run --db`: store_fmt_point (the
 * canonical string), store_row, db_writer_add (writer thread or inline),
 * db_insert_batch, commits.
 *
 * The points are real: every index of a spec's space (default
 * schemas/examples/bench.yaml, 1.5 M points) decoded by the mapper, so the
 * point strings, their order and the key index are those of a sweep.  The
 * model is not run per point (it would dominate): each point gets the
 * result of one of POOL points evaluated once at start.  A first pass does
 * the same decoding and copying without storing; its CPU time is
 * subtracted, so what is printed is the storing cost alone:
 *
 *   caller  CPU-s per point spent in the evaluating thread (string, row, copy)
 *   writer  CPU-s per point of the writer thread (SQLite, commits)
 *
 * and the end-to-end rate projected for an evaluation costing E us a point
 * on one core (-e, default 1 us: the analytical model's target), with the
 * writer on the other core: 1 / max(E + caller, writer); inline (one core):
 * 1 / (E + caller + writer).
 *
 *   bench_db [-n N] [-d DIR] [-b] [-i] [-e US] [-s US] [-k] [SPEC]
 *     -n N   points (default: min(space, 1,000,000))
 *     -d DIR where the database goes (default /tmp; removed unless -k)
 *     -b     store breakdown rows too (dse run --breakdowns)
 *     -i     inline writer (dse run --writer inline)
 *     -r     the points in a random order (the random search) instead of the
 *            exhaustive one
 *     -e US  evaluation cost of the projection (default 1)
 *     -s US  burn US us of CPU per point in the caller (a stand-in for the
 *            evaluation, to watch the real overlap on an idle machine)
 */
#include "db.h"
#include "spec.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POOL 256

static double clock_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double sys_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

static void burn(double us)
{
    if (us <= 0)
        return;
    double end = clock_s(CLOCK_THREAD_CPUTIME_ID) + us * 1e-6;
    while (clock_s(CLOCK_THREAD_CPUTIME_ID) < end)
        ;
}

/* Point i of a pass (decoded, in index or permuted order) with the result
 * of a pooled point copied in, as the evaluation would leave it, and the
 * configured per-point CPU burnt; returns a value to sink. */
static uint64_t next_point(map_eval *ev, map_result *cur, const map_result *pool, long i, int rnd,
                           uint64_t size, double spin_us)
{
    map_eval_decode(ev, rnd ? map_permute((uint64_t)i, size, 7) : (uint64_t)i, cur);
    const map_result *p = &pool[i % POOL];
    cur->res = p->res;
    cur->reject = p->reject;
    cur->modeled = p->modeled;
    burn(spin_us);
    return (uint64_t)cur->pt.hw.banks;
}

static void rm_db(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    char p[600];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

int main(int argc, char **argv)
{
    const char *spec_path = "schemas/examples/bench.yaml", *dir = "/tmp";
    long n = 0;
    int bd = 0, inl = 0, keep = 0, rnd = 0, c;
    double eval_us = 1.0, spin_us = 0;
    while ((c = getopt(argc, argv, "n:d:bie:ks:r")) != -1) {
        switch (c) {
        case 'n': n = atol(optarg); break;
        case 'd': dir = optarg; break;
        case 'b': bd = 1; break;
        case 'i': inl = 1; break;
        case 'e': eval_us = atof(optarg); break;
        case 'k': keep = 1; break;
        case 's': spin_us = atof(optarg); break;
        case 'r': rnd = 1; break;
        default:
            fprintf(stderr, "usage: bench_db [-n N] [-d DIR] [-b] [-i] [-r] [-e US] [-s US] [-k] "
                            "[SPEC]\n");
            return 0;
        }
    }
    if (optind < argc)
        spec_path = argv[optind];

    spec *s;
    spec_diag g;
    spec_diag_init(&g);
    if (spec_load_file(spec_path, &s, &g)) {
        fprintf(stderr, "bench_db: %s", spec_diag_text(&g));
        spec_diag_free(&g);
        return 0;
    }
    spec_diag_free(&g);
    char err[512];
    map_eval *ev = map_eval_new(&s->space, &s->tech_table, &s->limits, NULL, err, sizeof err);
    map_result *pool = calloc(POOL, sizeof *pool), *cur = calloc(1, sizeof *cur);
    if (!ev || !pool || !cur) {
        fprintf(stderr, "bench_db: %s\n", ev ? "out of memory" : err);
        return 0;
    }
    uint64_t size = s->space.size;
    if (n <= 0 || (uint64_t)n > size)
        n = size < 1000000 ? (long)size : 1000000;
    for (int k = 0; k < POOL; k++)
        if (map_eval_index(ev, (uint64_t)k * (size / POOL), &pool[k])) {
            fprintf(stderr, "bench_db: evaluation failed\n");
            return 0;
        }

    /* pass 1: decoding and copying only */
    double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    uint64_t sink = 0;
    for (long i = 0; i < n; i++)
        sink += next_point(ev, cur, pool, i, rnd, size, spin_us);
    double base = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;

    /* pass 2: the same, stored */
    char path[600];
    snprintf(path, sizeof path, "%s/bench_db.%ld.db", dir, (long)getpid());
    rm_db(path);
    db_conn *d;
    int64_t run;
    db_writer *w;
    db_run_info ri = {"bench", "bench", 0, NULL, s->tech_table.name, s->tech_table.hash, 0, 1,
                      "bench_db", NULL};
    db_writer_opts wo = {s->batch > 0 ? s->batch : DB_BATCH, !inl, 0};
    if (db_open(path, DB_CREATE, &d, err, sizeof err) ||
        db_run_begin(d, &ri, &run, err, sizeof err) ||
        db_writer_open(d, run, &wo, &w, err, sizeof err)) {
        fprintf(stderr, "bench_db: %s\n", err);
        return 0;
    }
    store_fmt fmt;
    store_fmt_init(&fmt);
    db_comp comps[DB_MAX_COMPS];
    double t0 = clock_s(CLOCK_MONOTONIC);
    c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    double p0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), s0 = sys_s();
    for (long i = 0; i < n; i++) {
        sink += next_point(ev, cur, pool, i, rnd, size, spin_us);
        /* what dse run does per point (cmd_run.c: store) */
        const char *key = store_fmt_point(&fmt, &cur->pt, NULL);
        db_row row;
        if (!key) {
            fprintf(stderr, "bench_db: cannot format point %ld\n", i);
            return 0;
        }
        store_row(&row, cur, key, bd ? comps : NULL);
        if (db_writer_add(w, &row, err, sizeof err)) {
            fprintf(stderr, "bench_db: %s\n", err);
            return 0;
        }
    }
    int frc = db_writer_flush(w, err, sizeof err);
    double caller = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0 - base;
    double wall = clock_s(CLOCK_MONOTONIC) - t0;
    double proc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - p0, sys = sys_s() - s0;
    double writer = db_writer_cpu_s(w);
    uint64_t stored = db_writer_stored(w);
    if (inl)
        writer = 0; /* inline: the caller's time holds everything */
    if (frc || db_writer_close(w, err, sizeof err) ||
        db_run_end(d, run, "done", err, sizeof err)) {
        fprintf(stderr, "bench_db: %s\n", err);
        return 0;
    }
    db_close(d);
    struct stat sb;
    double mb = stat(path, &sb) == 0 ? (double)sb.st_size / 1e6 : 0;
    if (!keep)
        rm_db(path);

    double cu = caller / (double)n * 1e6, wu = writer / (double)n * 1e6;
    printf("bench_db: %s, %ld points%s (%llu stored, %.0f MB), %s writer%s, batch %d\n",
           spec_path, n, rnd ? " in random order" : "", (unsigned long long)stored, mb,
           inl ? "inline" : "threaded",
           bd ? ", with breakdown rows" : "", wo.batch);
    printf("  key strings: %llu from the cache, %llu formatted whole%s\n",
           (unsigned long long)fmt.hits, (unsigned long long)fmt.misses,
           fmt.off ? " (cache switched off!)" : "");
    printf("  storing CPU per point: caller %.2f us + writer %.2f us = %.2f us"
           " (%.0f points/CPU-s; %.2f us of it in the kernel)\n", cu, wu, cu + wu,
           (double)n / (caller + writer), sys / (double)n * 1e6);
    printf("  wall %.2f s for the stored pass (%.0f points/s; process CPU %.2f s incl. %.2f s "
           "of decoding)\n", wall, (double)n / wall, proc, base);
    double e = eval_us;
    double thr = 1e6 / ((e + cu) > wu ? (e + cu) : wu), one = 1e6 / (e + cu + wu);
    /* last: the figure tools/bench.sh picks (the last "N points/s") */
    printf("  projected end to end with %.2f us/point of evaluation: one core %.0f points/s; "
           "%s %.0f points/s\n", e, one,
           inl ? "inline writer" : "writer thread on a 2nd core", inl ? one : thr);
    store_fmt_free(&fmt);
    map_eval_free(ev);
    free(pool);
    free(cur);
    spec_free(s);
    return sink == 42 ? 1 : 0;
}
