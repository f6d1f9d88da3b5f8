/*
 * cmd_run.c - `dse run SPEC`: expand and search a sweep spec, evaluate every
 * point with the analytical model, store each one (batched transactions)
 * under a run row, and print a summary with the Pareto front.
 *
 * Resume: a run is identified by the hash of the spec text and the seed
 * (spec_hash) and its shard.  Started again with the same command, it
 * reuses that run row, loads the point strings it already stored, and skips
 * them; since batches are committed atomically (db.h: every few seconds)
 * and the point string is the key (INSERT OR IGNORE), a run killed at any
 * moment and restarted ends with exactly the points of an uninterrupted
 * run, none twice.
 *
 * Ctrl-C (SIGINT) or SIGTERM: the search stops after the current point, the
 * pending batch is committed, the run is marked "interrupted" and the way
 * to resume is printed, quoted for the shell, with the binary's path as it
 * was started (made absolute) and a cd to the working directory, so that it
 * works pasted anywhere (exit status 130).  In the accuracy stage the
 * training in progress stops after its current epoch, unstored; its
 * checkpoint keeps the epochs done, and the same command continues it.
 *
 * The pipeline is the sweep driver's (drive.h: search -> evaluate -> store
 * -> front); this file owns the command line, the run row, the writer and
 * the printing.  Storing (store.h, db.h): each visited point becomes a row
 * that a db_writer copies into a batch; full batches go to the writer
 * thread, which inserts and commits them while the search goes on
 * (--writer inline: in this thread; the database ends up the same, ids
 * included).  Per-component breakdowns are stored only with --breakdowns;
 * `dse show` recomputes them otherwise.
 */
#include "cli.h"
#include "db.h"
#include "drive.h"
#include "npy.h"
#include "spec.h"
#include "run_acc.h"
#include "run_ref.h"
#include "traindata.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "run"
#define RUN_FRONT_SHOW 25

typedef struct {
    const char *spec_path, *db_path, *shard;
    int no_db, quiet, progress, seed_given, batch, front_all, breakdowns, inline_writer;
    int rung;                 /* --rung K: only the accuracy stage, up to rung K (-1: none) */
    uint64_t seed;
    double commit_every;      /* < 0: the database's default */
} run_opts;

typedef struct {
    run_opts o;
    spec *s;
    map_search_opts so;
    drive *dr;
    run_ref *ref;             /* the error proxy's reference and its spectra (NULL: none) */
    /* database */
    db_conn *db;
    db_writer *w;
    int64_t run_id;
    char *cmdline;            /* the command as typed, shell-quoted, runnable from any
                               * directory (cli_command_anywhere: record, resume hint) */
    char hash[17];            /* the run's identity (spec_hash) */
    td_set *acc_data;         /* the accuracy section's data set */
    uint64_t stored;
    double t_progress, cpu0, cpu_hw; /* cpu_hw: CPU seconds of the hardware stages */
    int tty, failed;
    char err[512];
} run_ctx;

static void run_usage(FILE *f)
{
    fprintf(f,
        "usage: dse run SPEC.yaml [--db PATH | --no-db] [--shard I/N] [--seed S]\n"
        "                         [--batch N] [--commit-interval S] [--breakdowns]\n"
        "                         [--writer thread|inline] [--quiet] [--progress] [--front-all]\n"
        "                         [--rung K]\n\n"
        "Expands the spec's space, searches it with the spec's strategy, evaluates\n"
        "every point with the analytical model and stores it (one row per point,\n"
        "keyed by its canonical string).  Interrupt with Ctrl-C; the same command\n"
        "resumes, skipping the points already stored.\n\n"
        "  --db PATH     results database (default: the spec's output.db, else %s)\n"
        "  --no-db       keep only counters and the running Pareto front\n"
        "  --shard I/N   evaluate only shard I of N (0 <= I < N): random, positions\n"
        "                p with p mod N = I; exhaustive, hardware units dealt round\n"
        "                robin, or whole algorithms when there are few units\n"
        "                (docs/SPEC.md, \"Shards\"); N shards give exactly the whole run\n"
        "  --seed S      override the spec's search seed (random, guided)\n"
        "  --batch N     points per insert call (default: the spec's, else %d)\n"
        "  --commit-interval S  seconds between commits (default %g; 0: every batch)\n"
        "  --breakdowns  also store each point's area and energy per component\n"
        "                (about 3x the storing cost; dse show recomputes them anyway)\n"
        "  --writer M    thread (default): a writer thread inserts and commits while\n"
        "                the search goes on; inline: all in one thread\n"
        "  --quiet       no progress bar and no front listing\n"
        "  --progress    a progress bar even when stderr is not a terminal\n"
        "  --front-all   list every point of the Pareto front (default: %d)\n"
        "  --rung K      spec with an accuracy section: only its accuracy stage, rungs\n"
        "                0..K (from 0), over the points already stored (dse sweep runs\n"
        "                the rungs so); with --shard, only this shard's trainings of\n"
        "                rung K.  Without --rung, an unsharded run trains every rung\n"
        "                after the hardware; a sharded one only evaluates its points\n"
        "  --help        this text\n\n"
        "Exit status: 0 done (or stopped by the spec's time limit), 2 bad spec or\n"
        "flags, 1 internal or database failure, 130 interrupted.\n",
        DB_DEFAULT_PATH, DB_BATCH, (double)DB_COMMIT_SECONDS, RUN_FRONT_SHOW);
}

static int parse_args(int argc, char **argv, run_opts *o)
{
    static const struct option lo[] = {
        {"db", required_argument, 0, 'd'}, {"no-db", no_argument, 0, 'n'},
        {"shard", required_argument, 0, 's'}, {"seed", required_argument, 0, 'S'},
        {"batch", required_argument, 0, 'b'}, {"quiet", no_argument, 0, 'q'},
        {"progress", no_argument, 0, 'p'}, {"front-all", no_argument, 0, 'F'},
        {"commit-interval", required_argument, 0, 'C'},
        {"breakdowns", no_argument, 0, 'B'}, {"writer", required_argument, 0, 'W'},
        {"rung", required_argument, 0, 'R'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    long v;
    memset(o, 0, sizeof *o);
    o->commit_every = -1;
    o->rung = -1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hq", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o->db_path = optarg; break;
        case 'n': o->no_db = 1; break;
        case 's': o->shard = optarg; break;
        case 'S': {
            char *end;
            errno = 0;
            unsigned long long x = strtoull(optarg, &end, 10);
            if (errno || *end || end == optarg || optarg[0] == '-')
                return cli_bad(CMD, "--seed takes an integer >= 0, got '%s'", optarg);
            o->seed = x;
            o->seed_given = 1;
            break;
        }
        case 'b':
            if (vp_long(optarg, 1, 1000000, &v))
                return cli_bad(CMD, "--batch takes an integer in 1..1000000, got '%s'", optarg);
            o->batch = (int)v;
            break;
        case 'C':
            if (vp_double(optarg, &o->commit_every) || o->commit_every < 0 ||
                o->commit_every > 86400)
                return cli_bad(CMD, "--commit-interval takes seconds in 0..86400, got '%s'", optarg);
            break;
        case 'B': o->breakdowns = 1; break;
        case 'R':
            if (vp_long(optarg, 0, SPEC_ACC_MAX_RUNGS - 1, &v))
                return cli_bad(CMD, "--rung takes an integer in 0..%d, got '%s'",
                               SPEC_ACC_MAX_RUNGS - 1, optarg);
            o->rung = (int)v;
            break;
        case 'W':
            if (strcmp(optarg, "thread") && strcmp(optarg, "inline"))
                return cli_bad(CMD, "--writer takes thread or inline, got '%s'", optarg);
            o->inline_writer = !strcmp(optarg, "inline");
            break;
        case 'q': o->quiet = 1; break;
        case 'p': o->progress = 1; break;
        case 'F': o->front_all = 1; break;
        case 'h': run_usage(stdout); return -1;
        case ':': return cli_bad(CMD, "option %s needs a value", argv[optind - 1]);
        default: return cli_bad(CMD, "unknown option '%s' (try dse run --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_bad(CMD, argc - optind == 0 ? "no spec given (dse run SPEC.yaml)"
                                               : "one spec at a time (got %d)", argc - optind);
    o->spec_path = argv[optind];
    if (o->no_db && o->db_path)
        return cli_bad(CMD, "--db and --no-db exclude each other");
    if (o->no_db && o->rung >= 0)
        return cli_bad(CMD, "--rung reads and stores trainings: drop --no-db");
    return 0;
}

/* ---- progress ---- */

static void progress(run_ctx *x, int final)
{
    const drive_stats *st = drive_get_stats(x->dr);
    double t = drive_now(), el = t - st->t0;
    if (!final && t - x->t_progress < 0.2)
        return;
    x->t_progress = t;
    uint64_t done = st->visited + st->skipped, total = st->total;
    double frac = total ? (double)done / (double)total : 1.0;
    if (frac > 1)
        frac = 1;
    double rate = el > 0 ? (double)st->visited / el : 0;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    double eta = rate > 0 ? (double)(total - (done < total ? done : total)) / rate : 0;
    fprintf(stderr, "\r%5.1f%% [%s] %llu/%llu  %.0f pts/s  ETA %d:%02d:%02d ", 100 * frac, bar,
            (unsigned long long)done, (unsigned long long)total, rate, (int)(eta / 3600),
            (int)fmod(eta / 60, 60), (int)fmod(eta, 60));
    if (final)
        fputc('\n', stderr);
}

static void on_tick(const drive *d, void *ud)
{
    run_ctx *x = ud;
    (void)d;
    if (x->tty)
        progress(x, 0);
}

/* ---- summary ---- */

typedef struct {
    uint64_t index;
    double v[MAP_MAX_OBJ];
    const char *point;
} front_row;

static int cmp_front(const void *a, const void *b)
{
    const front_row *p = a, *q = b;
    for (int i = 0; i < MAP_MAX_OBJ; i++)
        if (p->v[i] != q->v[i])
            return p->v[i] < q->v[i] ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index;
}

/* The front's members with the results kept during the search (drive.h):
 * nothing is evaluated again. */
static void print_front(run_ctx *x)
{
    size_t n = drive_front_size(x->dr);
    printf("Pareto front (");
    for (int i = 0; i < x->so.nobj; i++)
        printf("%s%s:%s", i ? ", " : "", map_metric_name(x->so.obj[i]),
               x->so.dir[i] == MAP_MAX ? "max" : "min");
    printf(") of the points evaluated now: %zu point%s\n", n, n == 1 ? "" : "s");
    if (!n || x->o.quiet)
        return;
    front_row *fr = malloc(sizeof *fr * n);
    if (!fr)
        return;
    for (size_t i = 0; i < n; i++) {
        const drive_member *m = drive_front_member(x->dr, i);
        fr[i].index = m->index;
        fr[i].point = m->point;
        memset(fr[i].v, 0, sizeof fr[i].v);
        memcpy(fr[i].v, m->v, sizeof(double) * (size_t)x->so.nobj);
    }
    qsort(fr, n, sizeof *fr, cmp_front);
    size_t show = x->o.front_all || n <= RUN_FRONT_SHOW ? n : RUN_FRONT_SHOW;
    printf(" ");
    for (int i = 0; i < x->so.nobj; i++)
        printf(" %14s", map_metric_name(x->so.obj[i]));
    printf("  point\n");
    for (size_t i = 0; i < show; i++) {
        printf(" ");
        for (int j = 0; j < x->so.nobj; j++)
            printf(" %14.6g", fr[i].v[j]);
        if (fr[i].point)
            printf("  %s\n", fr[i].point);
        else
            printf("  (index %llu)\n", (unsigned long long)fr[i].index);
    }
    if (show < n)
        printf("  ... %zu more (--front-all lists them; dse pareto queries the database)\n",
               n - show);
    free(fr);
}

/*
 * A budget of the spec that no visited point met: how many it rejected and
 * the best value reached, with the point, e.g.
 *   no point met max_error 0.05: 1200 rejected by it; the smallest err_upper
 *   reached is 0.083 (point lstm;...)
 * A point rejected first by another budget counts as not rejected by this
 * one, but its value (params and err_upper are known for every point) still
 * counts for the best; the area is known for the points the model accepted.
 */
static void print_unmet(run_ctx *x, const uint64_t *counts)
{
    const map_limits *lim = &x->s->limits;
    static const struct {
        int rej;
        const char *key, *metric;
    } b[] = {{MAP_REJ_PARAMS, "max_params", "params"},
             {MAP_REJ_ERROR, "max_error", "err_upper"},
             {MAP_REJ_AREA, "max_area_mm2", "area_mm2"}};
    if (drive_get_stats(x->dr)->visited == 0)
        return;
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        double limit = b[i].rej == MAP_REJ_PARAMS ? (double)lim->max_params
                       : b[i].rej == MAP_REJ_ERROR ? lim->max_error : lim->max_area_mm2;
        if (b[i].rej == MAP_REJ_PARAMS ? lim->max_params <= 0 : limit < 0)
            continue; /* no such budget */
        const drive_least *l = drive_least_of(x->dr, b[i].rej);
        if (l->v <= limit)
            continue; /* met by some point */
        /* parameter counts in full, the rest as the tables print reals */
        const char *fmt = b[i].rej == MAP_REJ_PARAMS ? "%.0f" : "%.6g";
        char lv[64], bv[64], pt[CM_POINT_MAXLEN];
        snprintf(lv, sizeof lv, fmt, limit);
        snprintf(bv, sizeof bv, fmt, l->v);
        printf("no point met %s %s: %llu rejected by it; ", b[i].key, lv,
               (unsigned long long)counts[b[i].rej]);
        if (isinf(l->v))
            printf("no point had a %s value%s\n", b[i].metric,
                   b[i].rej == MAP_REJ_AREA ? " (none got as far as the model)" : "");
        else if (cm_point_format(&l->pt, pt, sizeof pt) >= 0)
            printf("the smallest %s reached is %s (point %s)\n", b[i].metric, bv, pt);
        else
            printf("the smallest %s reached is %s\n", b[i].metric, bv);
    }
}

static void print_acc(run_ctx *x);

static void print_summary(run_ctx *x, double el)
{
    uint64_t counts[MAP_REJ_COUNT], total = 0;
    const drive_stats *st = drive_get_stats(x->dr);
    memcpy(counts, drive_counts(x->dr), sizeof counts);
    for (int i = 0; i < MAP_REJ_COUNT; i++)
        total += counts[i];
    printf("dse run: spec '%s': %llu points in the space, %s search", x->s->name,
           (unsigned long long)x->s->space.size, map_strategy_name(x->so.strategy));
    if (x->so.shard_n > 1)
        printf(", shard %llu/%llu", (unsigned long long)x->so.shard_i,
               (unsigned long long)x->so.shard_n);
    double cpu = x->cpu_hw;
    printf("\nevaluated %llu points in %.3f s (%.0f points/s; %.3f s of CPU, %.0f points/CPU-s)",
           (unsigned long long)total, el, el > 0 ? (double)total / el : 0.0, cpu,
           cpu > 0 ? (double)total / cpu : 0.0);
    if (st->skipped)
        printf(x->so.strategy == MAP_GUIDED
                   ? "; %llu of them already stored (re-evaluated to steer, not stored again)"
                   : "; %llu already stored, skipped", (unsigned long long)st->skipped);
    printf("\nvalid %llu, rejected %llu", (unsigned long long)counts[0],
           (unsigned long long)(total - counts[0]));
    int first = 1;
    for (int i = 1; i < MAP_REJ_COUNT; i++)
        if (counts[i]) {
            printf("%s%s %llu", first ? ": " : ", ", map_reject_name(i),
                   (unsigned long long)counts[i]);
            first = 0;
        }
    printf("\n");
    print_unmet(x, counts);
    if (x->ref) {
        const run_ref_stats *rs = run_ref_get_stats(x->ref);
        printf("reference: %d spectra: %d computed, %d read from the database (%.1f s)\n",
               rs->needed, rs->computed, rs->cached, rs->seconds);
    }
    if (x->db)
        printf("stored %llu new points in %s (run %lld%s)\n", (unsigned long long)x->stored,
               db_path(x->db), (long long)x->run_id,
               x->o.breakdowns ? ", with breakdowns" : "");
    print_front(x);
    print_acc(x);
}

/* The accuracy stage's lines and front, or why it did not run. */
static void print_acc(run_ctx *x)
{
    if (!x->s->acc.on)
        return;
    if (!drive_acc(x->dr)) {
        if (x->db && x->so.shard_n > 1)
            printf("accuracy: the rungs run once every shard is stored (dse sweep; or dse run "
                   "SPEC --db MERGED)\n");
        else if (!x->db)
            printf("accuracy: not trained without a database (--no-db)\n");
        return;
    }
    run_acc_print(x->dr, x->s, &x->so, x->o.quiet ? -1 : x->o.front_all ? 0 : RUN_FRONT_SHOW);
}

/* ---- set-up ---- */

/* A failure of the database as an output (disk full, file size limit):
 * one line, exit status 1. */
static int run_fail(const char *msg)
{
    fprintf(stderr, "dse run: %s\n", msg);
    return CLI_FAIL;
}

static int open_db(run_ctx *x, int argc, char **argv)
{
    const char *path = x->o.db_path ? x->o.db_path : x->s->db_path ? x->s->db_path
                                                                   : DB_DEFAULT_PATH;
    char *hash = x->hash;
    /* before anything is stored: the resume hint must not fail later */
    if (!(x->cmdline = cli_command_anywhere(argc, argv)))
        return run_fail("out of memory");
    int orc = db_open(path, DB_CREATE, &x->db, x->err, sizeof x->err);
    if (orc) /* a full disk is a write failure (1), not bad input (2) */
        return orc == DB_FAIL_WRITE ? run_fail(x->err) : cli_bad(CMD, "%s", x->err);
    if (x->o.commit_every >= 0)
        db_set_commit_interval(x->db, x->o.commit_every);
    /* the seed is part of a run's identity, except where it changes nothing */
    spec_hash(x->s, x->so.strategy == MAP_EXHAUSTIVE ? 0 : x->so.seed, hash);
    int f = db_run_find(x->db, hash, (int)x->so.shard_i, (int)x->so.shard_n, &x->run_id, x->err,
                        sizeof x->err);
    if (f < 0)
        return cli_bad(CMD, "%s", x->err);
    if (f == 1) {
        long n = drive_resume(x->dr, x->db, x->run_id, path, x->err, sizeof x->err);
        if (n < 0)
            return cli_bad(CMD, "%s", x->err);
        if (!x->o.quiet)
            fprintf(stderr, "dse run: resuming run %lld: %ld points already stored\n",
                    (long long)x->run_id, n);
        return 0;
    }
    db_run_info ri = {x->s->text, hash, x->so.seed, NULL, x->s->tech_table.name,
                      x->s->tech_table.hash, (int)x->so.shard_i, (int)x->so.shard_n, x->cmdline,
                      x->s->workload_name};
    if (db_run_begin(x->db, &ri, &x->run_id, x->err, sizeof x->err))
        return run_fail(x->err); /* a write of a valid database: its disk */
    return 0;
}

/* --rung: the database of the stored points, no run row of its own. */
static int open_rung_db(run_ctx *x)
{
    const char *path = x->o.db_path ? x->o.db_path : x->s->db_path ? x->s->db_path
                                                                   : DB_DEFAULT_PATH;
    int orc = db_open(path, DB_WRITE, &x->db, x->err, sizeof x->err);
    if (orc)
        return orc == DB_FAIL_WRITE ? run_fail(x->err) : cli_bad(CMD, "%s", x->err);
    spec_hash(x->s, x->so.strategy == MAP_EXHAUSTIVE ? 0 : x->so.seed, x->hash);
    return 0;
}

static int setup(run_ctx *x, int argc, char **argv)
{
    spec_diag g;
    spec_diag_init(&g);
    if (spec_load_file(x->o.spec_path, &x->s, &g)) {
        fputs(spec_diag_text(&g), stderr);
        int rc = g.internal ? CLI_FAIL : CLI_BADINPUT;
        spec_diag_free(&g);
        return rc;
    }
    spec_diag_free(&g);
    x->so = x->s->search;
    x->so.shard_i = 0;
    x->so.shard_n = 1;
    if (x->o.shard && spec_parse_shard(x->o.shard, &x->so.shard_i, &x->so.shard_n))
        return cli_bad(CMD, "--shard takes I/N with 0 <= I < N <= 1000000, got '%s'", x->o.shard);
    if (x->so.strategy == MAP_GUIDED && x->so.shard_n > 1)
        return cli_bad(CMD, "the guided search is sequential: run it unsharded (--shard 0/1)");
    if (x->o.seed_given)
        x->so.seed = x->o.seed;
    if (!x->o.batch)
        x->o.batch = x->s->batch > 0 ? x->s->batch : DB_BATCH;
    if (x->o.rung >= 0 && !x->s->acc.on)
        return cli_bad(CMD, "--rung: the spec has no accuracy section");
    if (x->o.rung >= x->s->acc.nrungs && x->s->acc.on)
        return cli_bad(CMD, "--rung %d: the spec's schedule has %d rung%s (0..%d)", x->o.rung,
                       x->s->acc.nrungs, x->s->acc.nrungs == 1 ? "" : "s", x->s->acc.nrungs - 1);
    int rc = x->o.no_db ? 0 : run_acc_open(x->s, &x->acc_data);
    if (rc)
        return rc;
    if ((rc = run_ref_open(x->s, &x->ref)))
        return rc;
    map_ref ref = {NULL, NULL, run_ref_src(x->ref)};
    char err[CM_ERRLEN];
    drive_opts dopt;
    memset(&dopt, 0, sizeof dopt);
    dopt.search = x->so;
    dopt.nobj = x->so.nobj;
    memcpy(dopt.dir, x->so.dir, sizeof dopt.dir);
    dopt.store = x->o.no_db ? DRIVE_STORE_NONE : DRIVE_STORE_ALL;
    dopt.breakdowns = x->o.breakdowns;
    dopt.collect = x->s->acc.on && !x->o.no_db && x->so.shard_n == 1;
    dopt.stop = &cli_stop;
    dopt.time_limit = x->s->time_limit;
    dopt.tick = on_tick;
    dopt.ud = x;
    x->dr = drive_new(&x->s->space, &x->s->tech_table, &x->s->limits, &ref, &dopt, err,
                      sizeof err);
    if (!x->dr) {
        fprintf(stderr, "dse run: %s\n", err);
        return CLI_FAIL;
    }
    if (x->o.no_db)
        return run_ref_prepare(x->ref, &x->s->space, NULL, x->tty);
    if (x->o.rung >= 0)
        return open_rung_db(x);
    if ((rc = open_db(x, argc, argv)))
        return rc;
    /* the spectra before the writer takes the connection */
    if ((rc = run_ref_prepare(x->ref, &x->s->space, x->db, x->tty)))
        return rc;
    db_writer_opts wo = {x->o.batch, !x->o.inline_writer, 0};
    if (db_writer_open(x->db, x->run_id, &wo, &x->w, x->err, sizeof x->err)) {
        fprintf(stderr, "dse run: %s\n", x->err);
        return CLI_FAIL;
    }
    drive_set_writer(x->dr, x->w);
    return 0;
}

static void teardown(run_ctx *x)
{
    db_writer_close(x->w, NULL, 0);
    drive_free(x->dr); /* before the database: it may hold a read connection */
    td_close(x->acc_data);
    db_close(x->db);
    spec_free(x->s);
    run_ref_free(x->ref);
    free(x->cmdline);
}

static int cmd_run_main(run_ctx *xp, int argc, char **argv, char **orig);

/* --rung K: the accuracy stage alone over the stored points. */
static int rung_only(run_ctx *x)
{
    if (run_acc_stage(x->dr, x->db, x->s, &x->so, x->hash, x->acc_data, x->o.rung, &cli_stop,
                      x->tty)) {
        fprintf(stderr, "dse run: %s\n", drive_error(x->dr));
        return CLI_FAIL;
    }
    const acc_stats *st = acc_get_stats(drive_acc(x->dr));
    if (!st->points) {
        fprintf(stderr, "dse run: --rung: %s holds no valid point of this spec (run it "
                "first, or merge its shards)\n", db_path(x->db));
        return CLI_FAIL;
    }
    if (!x->o.quiet)
        run_acc_print(x->dr, x->s, &x->so, x->o.front_all ? 0 : RUN_FRONT_SHOW);
    if (cli_stop)
        return 130;
    /* an earlier rung not complete: the shards of that rung must run first */
    if (st->missing && st->rungs < x->o.rung) {
        fprintf(stderr, "dse run: --rung %d: rung %d misses %zu trainings of other shards "
                "(run it first)\n", x->o.rung, st->rungs, st->missing);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Two lines: what happened, and the command as typed, quoted so that it
 * can be pasted back, in any directory, whatever its paths hold (spaces,
 * quotes, $): "(cd DIR && /abs/build/dse run SPEC ...)". */
static void print_resume(run_ctx *x)
{
    fprintf(stderr, "dse run: interrupted after %llu points (all stored); resume with:\n  %s\n",
            (unsigned long long)drive_get_stats(x->dr)->visited, x->cmdline);
}

int cmd_run(int argc, char **argv)
{
    run_ctx x;
    memset(&x, 0, sizeof x);
    /* getopt_long permutes argv: keep the command as typed for the record
     * and for the resume hint */
    char **orig = malloc(sizeof *orig * (size_t)(argc + 1));
    if (!orig)
        return CLI_FAIL;
    memcpy(orig, argv, sizeof *orig * (size_t)(argc + 1));
    int rc = cmd_run_main(&x, argc, argv, orig);
    free(orig);
    return rc;
}

static int cmd_run_main(run_ctx *xp, int argc, char **argv, char **orig)
{
    run_ctx x = *xp;
    int rc = parse_args(argc, argv, &x.o);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    x.tty = !x.o.quiet && (x.o.progress || isatty(STDERR_FILENO));
    if ((rc = setup(&x, argc, orig))) {
        teardown(&x);
        return rc;
    }
    cli_trap trap;
    cli_trap_stop(&trap);
    x.cpu0 = drive_cpu_now();
    if (x.o.rung >= 0) {
        rc = rung_only(&x);
        cli_untrap(&trap);
        teardown(&x);
        return rc;
    }
    int src = drive_run(x.dr);
    const drive_stats *st = drive_get_stats(x.dr);
    if (src < 0)
        snprintf(x.err, sizeof x.err, "%s", drive_error(x.dr));
    if (x.w) {
        /* everything stored and committed; the writer thread ends here */
        if (db_writer_flush(x.w, src < 0 ? NULL : x.err, sizeof x.err))
            x.failed = 1;
        x.stored = db_writer_stored(x.w);
        db_writer_close(x.w, NULL, 0);
        x.w = NULL;
    }
    double el = drive_now() - st->t0;
    x.cpu_hw = drive_cpu_now() - x.cpu0;
    if (x.tty)
        progress(&x, 1);
    /* the accuracy stage: once every point of the space is stored */
    if (src >= 0 && !x.failed && x.acc_data && x.so.shard_n == 1 && !cli_stop && !st->time_up &&
        run_acc_stage(x.dr, x.db, x.s, &x.so, x.hash, x.acc_data, -1, &cli_stop, x.tty)) {
        snprintf(x.err, sizeof x.err, "%s", drive_error(x.dr));
        x.failed = 1;
    }
    cli_untrap(&trap);
    const char *status = x.failed || (src < 0) ? "failed" : cli_stop ? "interrupted"
                         : st->time_up ? "time_limit" : "done";
    if (x.db) {
        /* after a failure, marking the run may fail the same way (a full
         * disk): one line on stderr, the first cause */
        char err[512];
        if (db_run_end(x.db, x.run_id, status, err, sizeof err) && !x.failed && src >= 0) {
            snprintf(x.err, sizeof x.err, "%s", err);
            x.failed = 1;
        }
    }
    if (x.failed || src < 0) {
        fprintf(stderr, "dse run: %s\n", x.err[0] ? x.err : "search failed");
        teardown(&x);
        return CLI_FAIL;
    }
    print_summary(&x, el);
    if (st->time_up)
        printf("stopped by the spec's time limit (%g s); the same command continues\n",
               x.s->time_limit);
    fflush(stdout);
    rc = CLI_OK;
    if (cli_stop) {
        if (x.db)
            print_resume(&x);
        rc = 130;
    }
    teardown(&x);
    return rc;
}
