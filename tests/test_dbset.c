/*
 * test_dbset.c - several databases read as one (dse/io/dbset.h) and the fast
 * dse merge, end to end through the dse binary: the Pareto front over K
 * shard databases (--db repeated, a directory, a shard-set file) equals
 * the front of their merge and of one database holding every point, for
 * K = 1..4, with ties, duplicate vectors, NULLs and overlapping shards,
 * and all equal a brute-force front computed here; the merge of shards
 * holds exactly one database's content (metrics, breakdowns, runs), also
 * with more inputs than SQLite attaches at once and into an existing
 * file; a shard of another spec or of another schema version among the
 * inputs is refused with exit 2 and nothing written; dse sweep --no-merge
 * leaves a shard-set file that pareto and show read like the merged file.
 */
#include "test_util.h"
#include "cm_hash.h"
#include "test_db_util.h"

#include "db.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#define NPTS 240

/* The shared helpers (test_util.h, test_db_util.h) under this file's names. */
#define tmpdir tu_dir
#define out_buf tu_out
#define err_buf tu_err
#define dse(...) tu_dse(NULL, NULL, __VA_ARGS__)
#define assert_bad(rc, cmd, needle) tu_assert_bad(rc, cmd, needle)
#define count_of(path, sql) tu_sql_int(path, sql)
#define dump(path, sql) tu_sql_dump(path, sql)

static const char *path_of(const char *fmt, int i)
{
    char name[64];
    snprintf(name, sizeof name, fmt, i);
    return tu_path(name);
}

/* ---- synthetic points: metrics a function of the index only ---- */

typedef struct {
    char name[64];
    double energy, thr, area;
    int64_t params;
} synth;

static synth pt[NPTS];

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Small value sets (ties), every 29th energy NULL, every 31st point the
 * vector of the one before (duplicate vectors on the front). */
static void make_points(void)
{
    for (int i = 0; i < NPTS; i++) {
        synth *p = &pt[i];
        uint64_t h = mix(7000 + (uint64_t)i);
        snprintf(p->name, sizeof p->name, "lstm;x=%d/hw;P=%d;map=\"q\",r", i, i % 7);
        p->energy = (double)(h % 13) + 1;
        p->thr = (double)((h >> 8) % 11) * 100;
        p->area = 0.5 + (double)((h >> 16) % 6) * 0.25;
        p->params = 100 + (int64_t)((h >> 24) % 9);
        if (i % 29 == 3)
            p->energy = NAN;
        if (i % 31 == 4) {
            double e = pt[i - 1].energy, t = pt[i - 1].thr, a = pt[i - 1].area;
            p->energy = e, p->thr = t, p->area = a, p->params = pt[i - 1].params;
        }
    }
}

/* A database with the points i of [0, NPTS) that take(i, arg) selects, in
 * one run of shard si/sn of spec `spec`; breakdowns on every 5th point. */
static void make_db(const char *path, int (*take)(int, int), int arg, const char *spec, int si,
                    int sn)
{
    char err[512];
    db_conn *d;
    assert_int_equal(db_open(path, DB_CREATE, &d, err, sizeof err), 0);
    db_run_info ri = {.spec_hash = spec, .seed = 1, .shard_i = si, .shard_n = sn};
    int64_t run;
    assert_int_equal(db_run_begin(d, &ri, &run, err, sizeof err), 0);
    static db_row rows[NPTS];
    static db_comp comps[NPTS][2];
    size_t n = 0;
    for (int i = 0; i < NPTS; i++) {
        if (!take(i, arg))
            continue;
        db_row *r = &rows[n];
        db_row_init(r, pt[i].name);
        r->m[MAP_M_ENERGY] = pt[i].energy;
        r->m[MAP_M_THROUGHPUT] = pt[i].thr;
        r->m[MAP_M_AREA] = pt[i].area;
        r->m[MAP_M_PARAMS] = pt[i].params;
        r->m[MAP_M_CYCLES] = 1000 + i;
        if (i % 5 == 0) {
            comps[n][0] = (db_comp){"mac", 10.0 + i, 1.0 + i, i};
            comps[n][1] = (db_comp){"wmem", 20.0, NAN, -1};
            r->ncomp = 2;
            r->comp = comps[n];
        }
        n++;
    }
    assert_int_equal(db_insert_batch(d, run, rows, n, NULL, err, sizeof err), 0);
    assert_int_equal(db_run_end(d, run, "done", err, sizeof err), 0);
    db_close(d);
}

static int take_all(int i, int arg) { return (void)i, (void)arg, 1; }
static int take_mod(int i, int arg) { return i % (arg & 0xff) == arg >> 8; }
/* shard k of K plus the next shard's first 20 points (overlap) */
static int take_overlap(int i, int arg)
{
    int K = arg & 0xff, k = arg >> 8;
    return i % K == k || (i % K == (k + 1) % K && i < 20 * K);
}

/* ---- fronts ---- */

static double obj(int i, int o) { return o == 0 ? pt[i].energy : o == 1 ? pt[i].thr : pt[i].area; }

/* Brute force: in[i] = 1 when point i is non-dominated (objectives objs,
 * maximized where maxim; rows with a NaN out). */
static void brute_front(const int *objs, const int *maxim, int k, char *in)
{
    for (int i = 0; i < NPTS; i++) {
        int ok = 1;
        for (int j = 0; j < k; j++)
            ok &= !isnan(obj(i, objs[j]));
        in[i] = 0;
        if (!ok)
            continue;
        int dominated = 0;
        for (int o = 0; o < NPTS && !dominated; o++) {
            int le = 1, lt = 0, valid = 1;
            for (int j = 0; j < k; j++) {
                double a = obj(o, objs[j]), b = obj(i, objs[j]);
                valid &= !isnan(a);
                if (maxim[j])
                    a = -a, b = -b;
                le &= a <= b;
                lt |= a < b;
            }
            dominated = valid && le && lt;
        }
        in[i] = !dominated;
    }
}

/* The expected front as the sorted, newline-terminated point names. */
static char *expected(const int *objs, const int *maxim, int k)
{
    char in[NPTS], *names[NPTS];
    int n = 0;
    brute_front(objs, maxim, k, in);
    for (int i = 0; i < NPTS; i++)
        if (in[i])
            names[n++] = pt[i].name;
    for (int a = 1; a < n; a++) /* insertion sort: strcmp order, as front_names */
        for (int b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
            char *t = names[b];
            names[b] = names[b - 1];
            names[b - 1] = t;
        }
    char *s = calloc(1, (size_t)n * 64 + 1);
    for (int i = 0; i < n; i++)
        strcat(strcat(s, names[i]), "\n");
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The point names of `dse pareto --format json` output, sorted, one a line:
 * "point": "..." fields (the names have quotes, written \"). */
static char *front_names(const char *json)
{
    char *names[NPTS + 1];
    int n = 0;
    for (const char *p = json; (p = strstr(p, "\"point\": \"")) && n <= NPTS;) {
        p += 10;
        char *w = names[n++] = calloc(1, 1024), *end = w + 1023;
        for (; *p != '"' && w < end; p++)
            *w++ = *p == '\\' ? *++p : *p;
        assert_true(w < end);
    }
    assert_true(n <= NPTS);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    char *s = calloc(1, (size_t)n * 1024 + 1);
    for (int i = 0; i < n; i++) {
        strcat(strcat(s, names[i]), "\n");
        free(names[i]);
    }
    return s;
}

static const char *const col[] = {"energy_pj", "throughput_fps", "area_mm2"};

/* dse pareto over dbargs (a --db list) equals the brute-force front. */
static void check_front(const char *dbargs, const int *objs, const int *maxim, int k)
{
    char args[4096];
    int u = snprintf(args, sizeof args, "pareto %s --format json", dbargs);
    for (int j = 0; j < k; j++)
        u += snprintf(args + u, sizeof args - (size_t)u, " --objective %s:%s", col[objs[j]],
                      maxim[j] ? "max" : "min");
    assert_int_equal(dse("%s", args), 0);
    char *want = expected(objs, maxim, k), *got = front_names(out_buf);
    if (strcmp(want, got))
        fprintf(stderr, "dse %s\nwant:\n%sgot:\n%s", args, want, got);
    assert_string_equal(got, want);
    free(want);
    free(got);
}

static void check_fronts(const char *dbargs)
{
    static const int o2[] = {0, 1}, m2[] = {0, 1}, o3[] = {2, 0, 1}, m3[] = {0, 0, 1};
    static const int o1[] = {2}, m1[] = {0};
    check_front(dbargs, o2, m2, 2);
    check_front(dbargs, o3, m3, 3);
    check_front(dbargs, o1, m1, 1); /* many ties at the minimum */
}

/* The front over K shards (disjoint, then overlapping), over their merge,
 * and over one database holding all: each the brute-force front. */
static void test_front_of_shards(void **state)
{
    (void)state;
    make_points();
    const char *single = path_of("single.db", 0);
    make_db(single, take_all, 0, "spec-a", 0, 1);
    char args[2048];
    snprintf(args, sizeof args, "--db '%s'", single);
    check_fronts(args);
    for (int overlap = 0; overlap < 2; overlap++)
        for (int K = 1; K <= 4; K++) {
            int u = 0;
            char merged[320];
            snprintf(merged, sizeof merged, "%s", path_of("m%d.db", 10 * overlap + K));
            for (int k = 0; k < K; k++) {
                const char *p = path_of(overlap ? "ov%d.db" : "sh%d.db", 10 * K + k);
                make_db(p, overlap ? take_overlap : take_mod, k << 8 | K, "spec-a", k, K);
                u += snprintf(args + u, sizeof args - (size_t)u, " --db '%s'", p);
            }
            check_fronts(args);
            char margs[2600];
            snprintf(margs, sizeof margs, "merge '%s' %s", merged, args);
            for (char *p; (p = strstr(margs, " --db ")); ) /* merge takes plain paths */
                memmove(p + 1, p + 6, strlen(p + 6) + 1);
            assert_int_equal(dse("%s", margs), 0);
            snprintf(args, sizeof args, "--db '%s'", merged);
            check_fronts(args);
        }
}

/* Same points with the same metrics and breakdowns, each point once, and
 * every point found by dse show (its key where dse looks for it). */
static void assert_same_content(const char *a, const char *b)
{
    static const char *const q[] = {
        "SELECT point, params, cycles, area_mm2, energy_pj, throughput_fps, valid FROM results"
        " ORDER BY point",
        "SELECT point, component, area_um2, energy_pj, accesses FROM breakdowns"
        " ORDER BY point, component",
        "SELECT count(*) - count(DISTINCT point) FROM point"};
    tu_sql_same(a, b, q, sizeof q / sizeof q[0]);
    for (int i = 0; i < NPTS; i += 37) {
        assert_int_equal(dse("show --db '%s' '%s'", a, pt[i].name), 0);
        assert_non_null(strstr(out_buf, pt[i].name));
    }
}

/* Merges of shards equal one database: 2 to 12 inputs (more than SQLite
 * attaches at once), overlapping ones, into a new and into an existing OUT. */
static void test_merge_equals_single(void **state)
{
    (void)state;
    make_points();
    const char *single = path_of("single2.db", 0);
    make_db(single, take_all, 0, "spec-b", 0, 1);
    static const int Ks[] = {2, 3, 12};
    for (size_t t = 0; t < sizeof Ks / sizeof Ks[0]; t++) {
        int K = Ks[t], u = 0;
        char args[8192], out[320];
        snprintf(out, sizeof out, "%s", path_of("mm%d.db", K));
        for (int k = 0; k < K; k++) {
            const char *p = path_of("ms%d.db", 100 * K + k);
            make_db(p, K == 3 ? take_overlap : take_mod, k << 8 | K, "spec-b", k, K);
            u += snprintf(args + u, sizeof args - (size_t)u, " '%s'", p);
        }
        assert_int_equal(dse("merge '%s' %s", out, args), 0);
        assert_same_content(out, single);
        assert_int_equal(count_of(out, "SELECT count(*) FROM run"), K);
        /* again into the existing file (one transaction, staged for 12):
         * nothing new */
        assert_int_equal(dse("merge '%s' %s", out, args), 0);
        assert_non_null(strstr(err_buf, " 0 points added"));
        assert_same_content(out, single);
        assert_int_equal(count_of(out, "SELECT count(*) FROM run"), K);
    }
    /* an existing OUT with other points gets the shards' too */
    const char *half = path_of("half.db", 0), *rest = path_of("rest.db", 0);
    make_db(half, take_mod, 0 << 8 | 2, "spec-b", 0, 2);
    make_db(rest, take_mod, 1 << 8 | 2, "spec-b", 1, 2);
    assert_int_equal(dse("merge '%s' '%s'", half, rest), 0);
    assert_same_content(half, single);
}

/* FNV-1a of a file's bytes: unchanged files keep it. */
static uint64_t file_sum(const char *path)
{
    char *b = tu_slurp(path);
    uint64_t h = 1469598103934665603ull;
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    h = cm_fnv1a(h, b, (size_t)sb.st_size);
    free(b);
    return h ^ (uint64_t)sb.st_size;
}

/* A shard of another spec, or of another schema version, among the inputs:
 * exit 2, one line, no OUT made, an existing OUT unchanged; the read
 * commands refuse such a set the same way. */
static void test_bad_inputs(void **state)
{
    (void)state;
    make_points();
    const char *a = path_of("ba0.db", 0), *b = path_of("ba1.db", 0), *c = path_of("bc.db", 0);
    const char *v7 = path_of("bv7.db", 0), *out = path_of("bout.db", 0);
    make_db(a, take_mod, 0 << 8 | 2, "spec-c", 0, 2);
    make_db(b, take_mod, 1 << 8 | 2, "spec-c", 1, 2);
    make_db(c, take_mod, 1 << 8 | 2, "spec-OTHER", 1, 2);
    make_db(v7, take_mod, 1 << 8 | 2, "spec-c", 1, 2);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(v7, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    uint64_t sa = file_sum(a), sc = file_sum(c), s7 = file_sum(v7);
    assert_bad(dse("merge '%s' '%s' '%s'", out, a, c), "merge", "a shard of another spec");
    assert_int_equal(access(out, F_OK), -1);
    assert_bad(dse("merge '%s' '%s' '%s'", out, a, v7), "merge", "another schema version");
    assert_int_equal(access(out, F_OK), -1);
    make_db(out, take_mod, 2 << 8 | 3, "spec-c", 2, 3);
    uint64_t so = file_sum(out);
    assert_bad(dse("merge '%s' '%s' '%s'", out, a, c), "merge", "a shard of another spec");
    assert_bad(dse("merge '%s' '%s' '%s'", out, v7, a), "merge", "another schema version");
    assert_int_equal(file_sum(out), so);
    assert_bad(dse("pareto --db '%s' --db '%s' --objective area_mm2:min", a, c), "pareto",
               "a shard of another spec");
    assert_bad(dse("show --db '%s' --db '%s' '%s'", a, v7, pt[0].name), "show",
               "another schema version");
    assert_int_equal(file_sum(a), sa);
    assert_int_equal(file_sum(c), sc);
    assert_int_equal(file_sum(v7), s7);
    /* the shards of one spec are fine, also read as a directory */
    assert_int_equal(dse("merge '%s' '%s' '%s'", path_of("bgood.db", 0), a, b), 0);
    assert_int_equal(mkdir(path_of("bdir", 0), 0777), 0);
    assert_int_equal(symlink(a, path_of("bdir/x.0.db", 0)), 0);
    assert_int_equal(symlink(b, path_of("bdir/x.1.db", 0)), 0);
    assert_int_equal(dse("pareto --db '%s' --objective area_mm2:min", path_of("bdir", 0)), 0);
    assert_non_null(strstr(err_buf, "in 2 databases"));
    assert_int_equal(mkdir(path_of("bempty", 0), 0777), 0);
    assert_bad(dse("pareto --db '%s' --objective area_mm2:min", path_of("bempty", 0)),
               "pareto", "holds no *.db databases");
}

/* Version-2 files made before the tables and columns added since (dropped
 * here) are merged (the others' train rows kept), and opening one for
 * writing adds them and renews the results view, its points untouched. */
static void test_files_without_train(void **state)
{
    (void)state;
    make_points();
    const char *a = path_of("ta.db", 0), *b = path_of("tb.db", 0), *out = path_of("tout.db", 0);
    make_db(a, take_mod, 0 << 8 | 2, "spec-t", 0, 2);
    make_db(b, take_mod, 1 << 8 | 2, "spec-t", 1, 2);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(a, &h), SQLITE_OK);
    /* as a file made before them: no train or algo table, none of the columns
     * added within version 2 */
    if (sqlite3_exec(h, "DROP VIEW results; DROP TABLE train; DROP TABLE algo;"
                        " ALTER TABLE run DROP COLUMN front_points;"
                        " ALTER TABLE point DROP COLUMN latency;"
                        " ALTER TABLE point DROP COLUMN akey", NULL, NULL, NULL))
        fail_msg("making an old file: %s", sqlite3_errmsg(h));
    sqlite3_close(h);
    assert_int_equal(sqlite3_open(b, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "INSERT INTO train(net, dataset, data_hash, epochs, batch,"
                                     " lr, seed, test_accuracy, created) VALUES ('n', 'd', 'h',"
                                     " 1, 1, 0.1, 1, 0.5, 'now')", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    int64_t na = count_of(a, "SELECT count(*) FROM point"), nb = count_of(b, "SELECT count(*) FROM point");
    assert_int_equal(dse("merge '%s' '%s' '%s'", out, a, b), 0);
    assert_int_equal(count_of(out, "SELECT count(*) FROM point"), na + nb);
    assert_int_equal(count_of(out, "SELECT count(*) FROM train"), 1);
    /* written to (an accuracy imported): the table comes back, the points stay */
    char csv[400];
    snprintf(csv, sizeof csv, "%s/acc.csv", tmpdir);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("point,dataset,accuracy\n\"", f);
    for (const char *c = pt[0].name; *c; c++) /* CSV: a quote inside is doubled */
        fprintf(f, *c == '"' ? "\"\"" : "%c", *c);
    fputs("\",d,0.75\n", f);
    fclose(f);
    if (dse("import-accuracy --db '%s' --allow-unknown '%s'", a, csv))
        fail_msg("import-accuracy: %s", err_buf);
    assert_int_equal(count_of(a, "SELECT count(*) FROM train"), 0);
    assert_int_equal(count_of(a, "SELECT count(*) FROM point"), na);
    assert_int_equal(count_of(a, "SELECT count(*) FROM results WHERE accuracy = 0.75"),
                     count_of(a, "SELECT count(*) FROM point WHERE point IN (SELECT point FROM accuracy)"));
}

/* ---- the paths of a merge into a new file ---- */

static int take_not3(int i, int arg) { return (void)arg, i % 3 != 0; }
static int take_3(int i, int arg) { return (void)arg, i % 3 == 0; }

/* Size of the WAL beside path (0: none). */
static long wal_size(const char *path)
{
    char w[400];
    struct stat sb;
    snprintf(w, sizeof w, "%s-wal", path);
    return stat(w, &sb) == 0 ? (long)sb.st_size : 0;
}

/*
 * The wholesale copy of the largest input: its file's bytes when its WAL is
 * empty (the usual case, test_merge_equals_single), SQLite's page copy when
 * a writer still holds rows in the WAL (here the odd points, stored by a
 * connection left open): the copy must have them.  And a row of the other
 * input that is not at its hash key (forged here: the key of another
 * point) goes through the probing path and is found where dse looks.
 */
static void test_merge_copy_paths(void **state)
{
    (void)state;
    make_points();
    const char *single = path_of("csingle.db", 0), *w = path_of("cwal.db", 0);
    make_db(single, take_all, 0, "spec-w", 0, 1);
    make_db(w, take_mod, 0 << 8 | 2, "spec-w", 0, 1);
    char err[512];
    db_conn *d;
    assert_int_equal(db_open(w, DB_WRITE, &d, err, sizeof err), 0);
    db_run_info ri = {.spec_hash = "spec-w", .seed = 2, .shard_n = 1};
    int64_t run;
    assert_int_equal(db_run_begin(d, &ri, &run, err, sizeof err), 0);
    static db_row rows[NPTS];
    size_t n = 0;
    for (int i = 1; i < NPTS; i += 2) {
        db_row_init(&rows[n], pt[i].name);
        rows[n].m[MAP_M_ENERGY] = pt[i].energy;
        rows[n].m[MAP_M_THROUGHPUT] = pt[i].thr;
        rows[n].m[MAP_M_AREA] = pt[i].area;
        rows[n].m[MAP_M_PARAMS] = pt[i].params;
        rows[n++].m[MAP_M_CYCLES] = 1000 + i;
    }
    assert_int_equal(db_insert_batch(d, run, rows, n, NULL, err, sizeof err), 0);
    assert_int_equal(db_flush(d, err, sizeof err), 0);
    assert_true(wal_size(w) > 0); /* the odd points are in the WAL only */
    const char *out = path_of("cout.db", 0);
    assert_int_equal(dse("merge '%s' '%s'", out, w), 0);
    db_close(d);
    /* no breakdowns for the odd points here: compare the points only */
    char *x = dump(out, "SELECT point, params, cycles, energy_pj FROM results ORDER BY point");
    char *y = dump(single, "SELECT point, params, cycles, energy_pj FROM results ORDER BY point");
    assert_string_equal(x, y);
    free(x);
    free(y);

    /* forged keys in b, the smaller input: pt[0] at a key no point has
     * (copied there, dse would not find it), pt[3] at pt[1]'s (of a, the
     * copied input: the same key for another string) */
    const char *a = path_of("cfa.db", 0), *b = path_of("cfb.db", 0);
    make_db(a, take_not3, 0, "spec-f", 0, 2);
    make_db(b, take_3, 0, "spec-f", 1, 2);
    static const int from[] = {0, 3};
    int64_t to[] = {db_point_key(pt[0].name) ^ 0x5a5a5a, db_point_key(pt[1].name)};
    sqlite3 *h;
    assert_int_equal(sqlite3_open(b, &h), SQLITE_OK);
    for (int i = 0; i < 2; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "UPDATE point SET key = %lld WHERE key = %lld",
                 (long long)to[i], (long long)db_point_key(pt[from[i]].name));
        assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_changes(h), 1);
    }
    sqlite3_close(h);
    out = path_of("cfout.db", 0);
    assert_int_equal(dse("merge '%s' '%s' '%s'", out, a, b), 0);
    assert_non_null(strstr(err_buf, "240 points added (0 already present)"));
    assert_same_content(out, single); /* shows pt[0] where dse looks for it */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(dse("show --db '%s' '%s'", out, pt[i].name), 0);
        assert_non_null(strstr(out_buf, pt[i].name));
    }
}

/*
 * A merge killed at any moment: a new OUT does not exist or is complete;
 * an existing OUT holds what it held or everything (one transaction).  The
 * kill comes after 0, 3, 6 ... ms: the outcome is checked, whichever
 * moment it hit.
 */
static void test_merge_killed(void **state)
{
    (void)state;
    make_points();
    const char *single = path_of("ksingle.db", 0), *a = path_of("ka.db", 0);
    const char *b = path_of("kb.db", 0), *out = path_of("kout.db", 0);
    make_db(single, take_all, 0, "spec-k", 0, 1);
    make_db(a, take_mod, 0 << 8 | 2, "spec-k", 0, 2);
    make_db(b, take_mod, 1 << 8 | 2, "spec-k", 1, 2);
    const char *q = "SELECT point, params, cycles, energy_pj FROM results ORDER BY point";
    char *all = dump(single, q), *half = dump(a, q), cmd[1200];
    for (int existing = 0; existing < 2; existing++)
        for (int ms = 0; ms <= 30; ms += 3) {
            snprintf(cmd, sizeof cmd, "rm -f '%s' '%s'-* '%s'.merge-*", out, out, out);
            assert_int_equal(system(cmd), 0);
            if (existing) {
                snprintf(cmd, sizeof cmd, "cp '%s' '%s'", a, out);
                assert_int_equal(system(cmd), 0);
            }
            fflush(NULL);
            pid_t c = fork();
            assert_true(c >= 0);
            if (c == 0) {
                int nul = open("/dev/null", O_WRONLY);
                dup2(nul, 2);
                execl(tu_dse_bin_raw(), "dse", "merge", out, existing ? b : a, b, (char *)NULL);
                _exit(127);
            }
            nanosleep(&(struct timespec){0, ms * 1000000L}, NULL);
            kill(c, SIGKILL);
            int st;
            assert_int_equal(waitpid(c, &st, 0), c);
            if (access(out, F_OK) != 0) {
                assert_int_equal(existing, 0); /* only a new OUT may be missing */
                continue;
            }
            char *got = dump(out, q);
            if (strcmp(got, all))
                assert_string_equal(got, existing ? half : all);
            free(got);
        }
    free(all);
    free(half);
}

/* dse sweep --no-merge: a shard-set file that pareto and show read like
 * the --merge file of the same sweep and like one dse run; merging it
 * later gives the same database. */
static void test_sweep_no_merge(void **state)
{
    (void)state;
    if (system("command -v parallel >/dev/null 2>&1") != 0) {
        printf("GNU parallel not installed: sweep not tested\n");
        return;
    }
    const char *spec = "schemas/examples/quick.yaml";
    char set[320], merged[320], one[320], later[320];
    snprintf(set, sizeof set, "%s", path_of("sw/set.db", 0));
    snprintf(merged, sizeof merged, "%s", path_of("sw2/merged.db", 0));
    snprintf(one, sizeof one, "%s", path_of("one.db", 0));
    snprintf(later, sizeof later, "%s", path_of("later.db", 0));
    assert_int_equal(dse("sweep %s --jobs 2 --shards 3 --no-merge --quiet --db '%s'", spec,
                         set), 0);
    char *text = tu_slurp(set);
    assert_memory_equal(text, "FDHT-DSE shard set 1\n", 21);
    assert_non_null(strstr(text, "\nshards/quick.2.db\n"));
    free(text);
    assert_int_equal(dse("sweep %s --jobs 2 --shards 2 --merge --quiet --db '%s'", spec,
                         merged), 0);
    assert_int_equal(dse("run %s --quiet --db '%s'", spec, one), 0);
    static const char q[] = "pareto --objective params:min,energy_pj:min,throughput_fps:max"
                            " --format json --db";
    char *fronts[3];
    const char *dbs[3] = {set, merged, one};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dse("%s '%s'", q, dbs[i]), 0);
        fronts[i] = front_names(out_buf);
        assert_true(strlen(fronts[i]) > 0);
    }
    assert_string_equal(fronts[0], fronts[2]);
    assert_string_equal(fronts[1], fronts[2]);
    char *first = strdup(fronts[0]);
    *strchr(first, '\n') = '\0';
    assert_int_equal(dse("show --wide --db '%s' '%s'", set, first), 0); /* the string too */
    assert_non_null(strstr(out_buf, first));
    assert_non_null(strstr(out_buf, "recomputed by the model"));
    free(first);
    for (int i = 0; i < 3; i++)
        free(fronts[i]);
    assert_int_equal(dse("merge '%s' '%s'", later, set), 0);
    long n1, n2;
    char *p1 = tu_points_of(later, &n1), *p2 = tu_points_of(one, &n2);
    assert_int_equal(n1, 6912);
    assert_int_equal(n1, n2);
    assert_string_equal(p1, p2);
    free(p1);
    free(p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_front_of_shards),
        cmocka_unit_test(test_merge_equals_single),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_files_without_train),
        cmocka_unit_test(test_merge_copy_paths),
        cmocka_unit_test(test_merge_killed),
        cmocka_unit_test(test_sweep_no_merge),
    };
    return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
