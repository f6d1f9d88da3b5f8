/*
 * test_cli_db.c - end to end through the dse binary (tu_dse_bin()): pareto,
 * show, merge and import-accuracy on databases made here with the db API
 * and synthetic metrics.  Expected fronts come from a brute-force O(n^2)
 * computation written here; failing commands must exit 2 with one
 * "dse <cmd>: ..." line and leave every file as it was.  Files of schema
 * version 1 (another point-key hash) are read by the read-only commands,
 * refused by the writing ones, and converted by dse merge.
 */
#include "test_util.h"
#include "test_db_util.h"
#include "cm_hash.h"

#include "db.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NPTS 300

/* The shared helpers (test_util.h, test_db_util.h) under this file's names. */
#define tmpdir tu_dir
#define out_buf tu_out
#define err_buf tu_err
#define path_of(name) tu_path(name)
#define dse(...) tu_dse(NULL, NULL, __VA_ARGS__)
#define assert_bad(rc, cmd, needle) tu_assert_bad(rc, cmd, needle)
#define count(path, sql) tu_sql_int(path, sql)
#define write_file(path, text) tu_write_file(path, text)
#define slurp(path) tu_slurp(path) /* after a stat of path */

/* ---- synthetic data ---- */

static uint64_t rng_next(uint64_t *s) { return cm_splitmix_next(s); }

/* Metrics of point i: a function of i only (so that shards agree), with
 * ties (small value sets), duplicates and NULLs. */
typedef struct {
    char name[64];
    double energy, thr, area, err;
    int64_t params;
    int banks;
} synth;

static synth pt[NPTS];

static void make_points(void)
{
    for (int i = 0; i < NPTS; i++) {
        uint64_t s = 1000 + (uint64_t)i;
        synth *p = &pt[i];
        snprintf(p->name, sizeof p->name, "ht:%d,r=4,\"q\"/pe=16", i); /* comma and quotes */
        p->energy = (double)(rng_next(&s) % 20) + 1;
        p->thr = (double)(rng_next(&s) % 15) * 1000;
        p->area = 0.5 + (double)(rng_next(&s) % 10) * 0.25;
        p->err = (double)(rng_next(&s) % 8) * 0.01;
        p->params = 1000 + (int64_t)(rng_next(&s) % 50);
        p->banks = i % 2 ? 16 : 8;
        if (i % 37 == 5)
            p->energy = NAN; /* NULL */
        if (i % 41 == 7) { /* the metrics of the previous point: a duplicate vector */
            *p = pt[i - 1];
            snprintf(p->name, sizeof p->name, "dup:%d", i);
        }
    }
}

static void fill_row(db_row *r, db_comp *c, int i)
{
    db_row_init(r, pt[i].name);
    r->m[MAP_M_ENERGY] = pt[i].energy;
    r->m[MAP_M_THROUGHPUT] = pt[i].thr;
    r->m[MAP_M_AREA] = pt[i].area;
    r->m[MAP_M_ERR_UPPER] = pt[i].err;
    r->m[MAP_M_PARAMS] = pt[i].params;
    r->banks = pt[i].banks;
    r->m[MAP_M_CYCLES] = 100 + i;
    r->format = "ht";
    c[0] = (db_comp){"mac", 100.0 + i, 2.0 * i, 50 + i};
    c[1] = (db_comp){"wmem", 200.0, 1.5, -1};
    r->ncomp = 2;
    r->comp = c;
}

/* A database holding points [lo, hi) in one run. */
static void make_db(const char *path, int lo, int hi)
{
    char err[512];
    db_conn *d;
    assert_int_equal(db_open(path, DB_CREATE, &d, err, sizeof err), 0);
    db_run_info ri = {.spec_hash = "spec", .seed = 1, .shard_n = 1};
    int64_t run;
    assert_int_equal(db_run_begin(d, &ri, &run, err, sizeof err), 0);
    db_row rows[NPTS];
    db_comp comps[NPTS][2];
    for (int i = lo; i < hi; i++)
        fill_row(&rows[i - lo], comps[i - lo], i);
    assert_int_equal(db_insert_batch(d, run, rows, (size_t)(hi - lo), NULL, err, sizeof err), 0);
    assert_int_equal(db_run_end(d, run, "done", err, sizeof err), 0);
    db_close(d);
}

static const char *main_db(void)
{
    static int made;
    static char p[320];
    snprintf(p, sizeof p, "%s/main.db", tmpdir);
    if (!made) {
        make_points();
        make_db(p, 0, NPTS);
        made = 1;
    }
    return p;
}

/* Brute-force front: in[i] = 1 when point i is non-dominated (NaN rows out). */
static int brute_front(const int *objs, const int *maxim, int k, int banks_only, char *in)
{
    int nf = 0;
    for (int i = 0; i < NPTS; i++) {
        double vi[4];
        in[i] = 0;
        int ok = !banks_only || pt[i].banks == banks_only;
        for (int j = 0; j < k && ok; j++) {
            double v = objs[j] == 0 ? pt[i].energy : objs[j] == 1 ? pt[i].thr
                     : objs[j] == 2 ? pt[i].area : pt[i].err;
            vi[j] = maxim[j] ? -v : v;
            ok &= !isnan(v);
        }
        if (!ok)
            continue;
        int dominated = 0;
        for (int o = 0; o < NPTS && !dominated; o++) {
            if (banks_only && pt[o].banks != banks_only)
                continue;
            int le = 1, lt = 0, valid = 1;
            for (int j = 0; j < k; j++) {
                double v = objs[j] == 0 ? pt[o].energy : objs[j] == 1 ? pt[o].thr
                         : objs[j] == 2 ? pt[o].area : pt[o].err;
                valid &= !isnan(v);
                v = maxim[j] ? -v : v;
                le &= v <= vi[j];
                lt |= v < vi[j];
            }
            dominated = valid && le && lt;
        }
        in[i] = !dominated;
        nf += in[i];
    }
    return nf;
}

/* Point names of the CSV output (column 2, RFC 4180 quoting). */
static int csv_points(const char *csv, char names[][64], int max)
{
    const char *p = strchr(csv, '\n');
    int n = 0;
    assert_non_null(p);
    assert_memory_equal(csv, "id,point,", 9);
    for (p++; *p && n < max; n++) {
        p = strchr(p, ',') + 1; /* skip id */
        char *w = names[n];
        if (*p == '"') {
            for (p++;; p++) {
                if (*p == '"' && p[1] == '"')
                    *w++ = '"', p++;
                else if (*p == '"')
                    break;
                else
                    *w++ = *p;
            }
            p++;
        } else {
            while (*p != ',' && *p != '\n')
                *w++ = *p++;
        }
        *w = '\0';
        p = strchr(p, '\n') + 1;
    }
    return n;
}

static void check_csv_front(const char *extra, const int *objs, const int *maxim, int k,
                            int banks_only)
{
    static const char *col[] = {"energy_pj", "throughput_fps", "area_mm2", "err_upper"};
    char args[1024];
    int u = snprintf(args, sizeof args, "pareto --db '%s' --format csv %s", main_db(), extra);
    for (int j = 0; j < k; j++)
        u += snprintf(args + u, sizeof args - (size_t)u, " --objective %s:%s", col[objs[j]],
                      maxim[j] ? "max" : "min");
    assert_int_equal(dse("%s", args), 0);
    char in[NPTS], names[NPTS][64];
    int nf = brute_front(objs, maxim, k, banks_only, in);
    int got = csv_points(out_buf, names, NPTS);
    assert_int_equal(got, nf);
    for (int g = 0; g < got; g++) {
        int i = 0;
        while (i < NPTS && strcmp(pt[i].name, names[g]))
            i++;
        assert_true(i < NPTS);
        assert_true(in[i]);
    }
}

static void test_pareto_csv_equals_brute_force(void **state)
{
    (void)state;
    int o2[] = {0, 1}, m2[] = {0, 1};
    check_csv_front("", o2, m2, 2, 0);
    int o3[] = {2, 0, 3}, m3[] = {0, 0, 0};
    check_csv_front("", o3, m3, 3, 0);
    int o4[] = {0, 1, 2, 3}, m4[] = {1, 0, 1, 0};
    check_csv_front("", o4, m4, 4, 0);
    int o1[] = {3}, m1[] = {0};
    check_csv_front("", o1, m1, 1, 0); /* many ties at the minimum */
    check_csv_front("--where 'banks = 16'", o2, m2, 2, 16);
    assert_non_null(strstr(err_buf, "excluded"));
}

static void test_pareto_table_and_json(void **state)
{
    (void)state;
    int o[] = {0, 1}, m[] = {0, 1};
    char in[NPTS];
    int nf = brute_front(o, m, 2, 0, in);
    assert_int_equal(dse("pareto --db '%s' --objective energy_pj:min,throughput_fps:max",
                         main_db()), 0);
    int lines = 0;
    for (const char *p = out_buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, nf + 1);
    assert_memory_equal(out_buf, "id", 2);
    assert_non_null(strstr(out_buf, "point"));
    assert_non_null(strstr(out_buf, "energy_pj"));
    char expect[64];
    snprintf(expect, sizeof expect, "%d non-dominated of %d rows", nf, NPTS);
    assert_non_null(strstr(err_buf, expect));

    assert_int_equal(dse("pareto --db '%s' --objective energy_pj:min --objective "
                         "throughput_fps:max --format json --columns banks,cycles", main_db()), 0);
    snprintf(expect, sizeof expect, "\"front_size\": %d", nf);
    assert_non_null(strstr(out_buf, expect));
    assert_non_null(strstr(out_buf, "\"banks\": "));
    for (int i = 0; i < NPTS; i++) {
        if (!in[i])
            continue;
        char q[128];
        snprintf(q, sizeof q, "\"point\": \"ht:%d,r=4,\\\"q\\\"/pe=16\"", i);
        if (!strncmp(pt[i].name, "dup:", 4))
            snprintf(q, sizeof q, "\"point\": \"%.63s\"", pt[i].name);
        assert_non_null(strstr(out_buf, q));
    }
    /* --limit: the first rows only, the front size still exact. */
    int o3[] = {2, 3, 0}, m3[] = {0, 0, 0};
    nf = brute_front(o3, m3, 3, 0, in);
    assert_true(nf > 2);
    assert_int_equal(dse("pareto --db '%s' --objective area_mm2:min,err_upper:min,energy_pj:min "
                         "--format csv --limit 2", main_db()), 0);
    lines = 0;
    for (const char *p = out_buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    snprintf(expect, sizeof expect, "%d non-dominated", nf);
    assert_non_null(strstr(err_buf, expect));
    assert_non_null(strstr(err_buf, "first 2 shown"));
    /* --run */
    assert_int_equal(dse("pareto --db '%s' --objective area_mm2:min --run 1", main_db()), 0);
    assert_bad(dse("pareto --db '%s' --objective area_mm2:min --run 99", main_db()), "pareto",
               "no run 99");
}

static void test_pareto_bad_input(void **state)
{
    (void)state;
    const char *db = main_db();
    assert_bad(dse("pareto --db '%s' --objective nosuch:min", db), "pareto", "unknown column");
    assert_bad(dse("pareto --db '%s' --objective energy_pj:up", db), "pareto", "bad direction");
    /* a metric alone takes its natural direction; another column needs one */
    assert_int_equal(dse("pareto --db '%s' --objective energy_pj", db), 0);
    assert_bad(dse("pareto --db '%s' --objective banks", db), "pareto", "needs a direction");
    assert_bad(dse("pareto --db '%s' --objective point:min", db), "pareto", "text");
    assert_bad(dse("pareto --db '%s'", db), "pareto", "no --objective");
    assert_bad(dse("pareto --db '%s' --objective area_mm2:min --format xml", db), "pareto",
               "--format");
    assert_bad(dse("pareto --db '%s' --objective area_mm2:min --bogus", db), "pareto",
               "--bogus");
    assert_bad(dse("pareto --db '%s' --objective area_mm2:min --where 'banks = = 1'", db),
               "pareto", "bad --where");
    assert_bad(dse("pareto --db '%s' --objective area_mm2:min --where '1); DROP TABLE point; --'",
                   db), "pareto", "bad --where");
    assert_int_equal(dse("pareto --db '%s' --objective area_mm2:min --format csv", db), 0);
    assert_bad(dse("pareto --db '%s' --objective \"area_mm2\\\":min\"", db), "pareto",
               "unknown column");
    assert_int_equal(dse("pareto --help"), 0);
    assert_non_null(strstr(out_buf, "usage: dse pareto"));
}

/* Bytes and mtime of a file, to show a failing command did not touch it. */
typedef struct {
    char *bytes;
    struct timespec mtime;
    off_t size;
} snap;

static snap take(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (snap){slurp(path), sb.st_mtim, sb.st_size};
}

static void same(const char *path, snap *s)
{
    snap now = take(path);
    assert_int_equal(now.size, s->size);
    assert_memory_equal(now.bytes, s->bytes, (size_t)s->size);
    assert_int_equal(now.mtime.tv_sec, s->mtime.tv_sec);
    assert_int_equal(now.mtime.tv_nsec, s->mtime.tv_nsec);
    free(now.bytes);
    free(s->bytes);
}

static void test_bad_databases(void **state)
{
    (void)state;
    const char *missing = path_of("missing.db");
    char imp[512];
    snprintf(imp, sizeof imp, "import-accuracy '%s' --db", path_of("ok.csv"));
    FILE *csv = fopen(path_of("ok.csv"), "w");
    fprintf(csv, "p,timit,0.5\n");
    fclose(csv);
    const char *cmds[] = {"pareto --objective area_mm2:min --db", "show x --db", imp};
    static const char *names[] = {"pareto", "show", "import-accuracy"};
    const char *txt = path_of("notes.txt");
    FILE *f = fopen(txt, "w");
    fprintf(f, "point,dataset,accuracy\nnot a database at all\n");
    fclose(f);
    const char *v9 = path_of("v9.db");
    make_db(v9, 0, 3);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(v9, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 9", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    for (int c = 0; c < 3; c++) {
        assert_bad(dse("%s '%s'", cmds[c], missing), names[c], "no such database");
        assert_int_equal(access(missing, F_OK), -1);
        snap s = take(txt);
        assert_bad(dse("%s '%s'", cmds[c], txt), names[c], "not an SQLite database");
        same(txt, &s);
        s = take(v9);
        assert_bad(dse("%s '%s'", cmds[c], v9), names[c], "another schema version");
        same(v9, &s);
    }
}

static void test_show(void **state)
{
    (void)state;
    const char *db = main_db();
    assert_int_equal(dse("show --db '%s' 'ht:3,r=4,\"q\"/pe=16'", db), 0);
    assert_non_null(strstr(out_buf, "point  ht:3,r=4,\"q\"/pe=16"));
    assert_non_null(strstr(out_buf, "energy_pj"));
    assert_non_null(strstr(out_buf, "breakdown"));
    assert_non_null(strstr(out_buf, "mac"));
    assert_non_null(strstr(out_buf, "wmem"));
    assert_non_null(strstr(out_buf, "spec"));
    assert_non_null(strstr(out_buf, "breakdown (area; energy per frame)\n  component"));
    /* by id (ids follow the keys within a batch: look it up) */
    int64_t id = count(db, "SELECT id FROM point WHERE point = 'ht:3,r=4,\"q\"/pe=16'");
    assert_true(id > 0);
    assert_int_equal(dse("show --db '%s' %lld", db, (long long)id), 0);
    assert_non_null(strstr(out_buf, "point  ht:3,"));
    assert_int_equal(dse("show --db '%s' --json %lld", db, (long long)id), 0);
    assert_non_null(strstr(out_buf, "\"metrics\": {"));
    assert_non_null(strstr(out_buf, "\"breakdown\": ["));
    assert_non_null(strstr(out_buf, "\"component\": \"mac\""));
    assert_non_null(strstr(out_buf, "\"point\": \"ht:3,r=4,\\\"q\\\"/pe=16\""));
    assert_non_null(strstr(out_buf, "\"breakdown_source\": \"stored\""));
    assert_bad(dse("show --db '%s' nosuchpoint", db), "show", "no point");
    assert_bad(dse("show --db '%s' 99999", db), "show", "no point");
    assert_bad(dse("show --db '%s'", db), "show", "no point given");
    assert_int_equal(dse("show --help"), 0);
}

static void test_import_accuracy(void **state)
{
    (void)state;
    const char *db = path_of("acc.db");
    make_points();
    make_db(db, 0, 20);
    const char *csv = path_of("acc.csv");
    write_file(csv, "point,dataset,accuracy,source\n"
                    "\"ht:1,r=4,\"\"q\"\"/pe=16\",timit,0.80,lab\n"
                    "\"ht:1,r=4,\"\"q\"\"/pe=16\",ucf11,0.60,\n"
                    "\"ht:2,r=4,\"\"q\"\"/pe=16\",timit,0.90,lab\r\n"
                    "\n");
    assert_int_equal(dse("import-accuracy --db '%s' '%s'", db, csv), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM accuracy"), 3);
    assert_int_equal(count(db, "SELECT round(1000 * accuracy) FROM results"
                               " WHERE point = 'ht:1,r=4,\"q\"/pe=16'"), 700);
    assert_int_equal(dse("pareto --db '%s' --objective accuracy:max --objective params:min "
                         "--format csv", db), 0);
    assert_non_null(strstr(err_buf, "18 rows with NULL"));
    int64_t id = count(db, "SELECT id FROM point WHERE point = 'ht:1,r=4,\"q\"/pe=16'");
    assert_int_equal(dse("show --db '%s' %lld", db, (long long)id), 0);
    assert_non_null(strstr(out_buf, "ucf11"));

    /* A bad row stores nothing; an unknown point is refused. */
    snap s = take(db);
    write_file(csv, "\"ht:3,r=4,\"\"q\"\"/pe=16\",timit,0.5\n"
                    "\"ht:4,r=4,\"\"q\"\"/pe=16\",timit,high\n");
    assert_bad(dse("import-accuracy --db '%s' '%s'", db, csv), "import-accuracy", ":2:");
    write_file(csv, "\"ht:3,r=4,\"\"q\"\"/pe=16\",timit,0.5\nnosuch,timit,0.5\n");
    assert_bad(dse("import-accuracy --db '%s' '%s'", db, csv), "import-accuracy", "nosuch");
    write_file(csv, "point,dataset,accuracy\n\"unterminated,timit,0.5\n");
    assert_bad(dse("import-accuracy --db '%s' '%s'", db, csv), "import-accuracy", "quot");
    same(db, &s);
    assert_int_equal(count(db, "SELECT count(*) FROM accuracy"), 3);
    write_file(csv, "nosuch,timit,0.5\n");
    assert_int_equal(dse("import-accuracy --allow-unknown --db '%s' '%s'", db, csv), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM accuracy"), 4);
    assert_bad(dse("import-accuracy --db '%s' '%s'", db, path_of("none.csv")),
               "import-accuracy", "cannot read");
    assert_int_equal(dse("import-accuracy --help"), 0);
}

static void assert_same_content(const char *a, const char *b)
{
    static const char *const q[] = {
        "SELECT point, params, macs, cycles, conflicts, stall_cycles, dram_bytes, area_mm2,"
        " energy_pj, power_mw, throughput_fps, area_eff, energy_eff, utilization, err_upper,"
        " err_lower, format, pes, lanes, banks, bits, freq_mhz, valid, reason FROM results"
        " ORDER BY point",
        "SELECT point, component, area_um2, energy_pj, accesses FROM breakdowns"
        " ORDER BY point, component",
        "SELECT p.point, r.spec_hash, r.seed FROM point p JOIN run r ON r.id = p.run_id"
        " ORDER BY p.point"};
    tu_sql_same(a, b, q, sizeof q / sizeof q[0]);
}

static void test_merge(void **state)
{
    (void)state;
    make_points();
    const char *single = path_of("single.db"), *a = path_of("shard0.db"),
               *b = path_of("shard1.db"), *out = path_of("merged.db");
    make_db(single, 0, NPTS);
    make_db(a, 0, 200);
    make_db(b, 100, NPTS); /* 100..199 in both */
    assert_int_equal(dse("merge '%s' '%s' '%s'", out, a, b), 0);
    assert_non_null(strstr(err_buf, "300 points added (100 already present)"));
    assert_int_equal(count(out, "SELECT count(*) FROM point"), NPTS);
    assert_int_equal(count(out, "SELECT count(*) FROM run"), 2);
    assert_same_content(out, single);
    /* Merging again adds nothing (runs are known by uuid). */
    assert_int_equal(dse("merge '%s' '%s' '%s'", out, b, a), 0);
    assert_int_equal(count(out, "SELECT count(*) FROM point"), NPTS);
    assert_int_equal(count(out, "SELECT count(*) FROM run"), 2);
    assert_same_content(out, single);
    /* The merged database answers queries like the single one. */
    assert_int_equal(dse("pareto --db '%s' --objective energy_pj:min,throughput_fps:max "
                         "--format csv", out), 0);
    char *front_merged = strdup(out_buf);
    assert_int_equal(dse("pareto --db '%s' --objective energy_pj:min,throughput_fps:max "
                         "--format csv", single), 0);
    /* ids differ between the two; compare from the point column on */
    for (char *p = front_merged, *q = out_buf; p && q;) {
        p = strchr(p, ',');
        q = strchr(q, ',');
        if (!p || !q) {
            assert_true(!p && !q);
            break;
        }
        char *pe = strchr(p, '\n'), *qe = strchr(q, '\n');
        assert_int_equal(pe - p, qe - q);
        assert_memory_equal(p, q, (size_t)(pe - p));
        p = pe + 1;
        q = qe + 1;
    }
    free(front_merged);
}

static void test_merge_refusals(void **state)
{
    (void)state;
    make_points();
    const char *a = path_of("ra.db"), *v7 = path_of("rv7.db"), *out = path_of("rout.db");
    make_db(a, 0, 10);
    make_db(v7, 10, 20);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(v7, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    /* OUT missing: not created on a refusal. */
    assert_bad(dse("merge '%s' '%s' '%s'", out, a, v7), "merge", "another schema version");
    assert_int_equal(access(out, F_OK), -1);
    /* OUT existing: untouched on a refusal. */
    make_db(out, 50, 60);
    snap s = take(out), sv = take(v7);
    assert_bad(dse("merge '%s' '%s' '%s'", out, a, v7), "merge", "another schema version");
    same(out, &s);
    same(v7, &sv);
    s = take(out);
    assert_bad(dse("merge '%s' '%s'", out, path_of("nope.db")), "merge", "no such database");
    assert_bad(dse("merge '%s' '%s'", out, out), "merge", "is the output");
    assert_bad(dse("merge '%s'", out), "merge", "at least one IN");
    same(out, &s);
    assert_int_equal(dse("merge --help"), 0);
}


/* The version-1 point key (FNV-1a 64, murmur3 finalizer, >> 1), written
 * out here, as an SQL function for forging a version-1 file. */
static void key_v1(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *p = sqlite3_value_text(argv[0]);
    uint64_t h = 0xcbf29ce484222325ull;
    for (; p && *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    sqlite3_result_int64(cx, (int64_t)(h >> 1));
}

static void test_version1_files(void **state)
{
    (void)state;
    make_points();
    const char *v1 = path_of("v1.db"), *single = path_of("v1ref.db"), *conv = path_of("v1new.db");
    make_db(v1, 0, 60);
    make_db(single, 0, 60);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(v1, &h), SQLITE_OK);
    assert_int_equal(sqlite3_create_function(h, "key_v1", 1, SQLITE_UTF8, NULL, key_v1, NULL,
                                             NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "UPDATE point SET key = key_v1(point);"
                                     " PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    snap s = take(v1);
    /* read-only commands read it (show finds points by the version-1 key) */
    assert_int_equal(dse("show --db '%s' 'ht:3,r=4,\"q\"/pe=16'", v1), 0);
    assert_non_null(strstr(out_buf, "point  ht:3,"));
    assert_bad(dse("show --db '%s' 'ht:999,r=4,\"q\"/pe=16'", v1), "show", "no point");
    assert_int_equal(dse("pareto --db '%s' --objective energy_pj:min,throughput_fps:max "
                         "--format csv", v1), 0);
    same(v1, &s);
    /* writing commands refuse it, one line naming the way out */
    s = take(v1);
    assert_bad(dse("run schemas/examples/quick.yaml --db '%s' --quiet", v1), "run",
               "another schema version (1; this dse writes version 2");
    assert_non_null(strstr(err_buf, "dse merge"));
    write_file(path_of("v1.csv"), "\"ht:3,r=4,\"\"q\"\"/pe=16\",timit,0.5\n");
    assert_bad(dse("import-accuracy --db '%s' '%s'", v1, path_of("v1.csv")),
               "import-accuracy", "another schema version");
    same(v1, &s);
    /* dse merge converts: the same content, found by the new keys */
    assert_int_equal(dse("merge '%s' '%s'", conv, v1), 0);
    assert_same_content(conv, single);
    assert_int_equal(dse("show --db '%s' 'ht:3,r=4,\"q\"/pe=16'", conv), 0);
    assert_int_equal(count(conv, "PRAGMA user_version"), 2);
    assert_int_equal(count(conv, "SELECT key FROM point WHERE point = 'ht:3,r=4,\"q\"/pe=16'"),
                     db_point_key("ht:3,r=4,\"q\"/pe=16"));
    assert_true(count(v1, "SELECT key FROM point WHERE point = 'ht:3,r=4,\"q\"/pe=16'") !=
                db_point_key("ht:3,r=4,\"q\"/pe=16"));
}

/* A stored point without breakdown rows that is no model point: said so. */
static void test_show_no_breakdown(void **state)
{
    (void)state;
    const char *p = path_of("nobd.db");
    char err[512];
    db_conn *d;
    assert_int_equal(db_open(p, DB_CREATE, &d, err, sizeof err), 0);
    db_run_info ri = {.spec_hash = "x", .shard_n = 1, .tech_name = "28nm", .tech_hash = "0"};
    int64_t run;
    assert_int_equal(db_run_begin(d, &ri, &run, err, sizeof err), 0);
    db_row r;
    db_row_init(&r, "not/a/point");
    r.m[MAP_M_ENERGY] = 3;
    assert_int_equal(db_insert_batch(d, run, &r, 1, NULL, err, sizeof err), 0);
    db_close(d);
    assert_int_equal(dse("show --db '%s' not/a/point", p), 0);
    assert_non_null(strstr(out_buf, "none stored, and not a model point"));
    assert_int_equal(dse("show --db '%s' --json not/a/point", p), 0);
    assert_non_null(strstr(out_buf, "\"breakdown\": []"));
    assert_non_null(strstr(out_buf, "\"breakdown_source\": \"none\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pareto_csv_equals_brute_force),
        cmocka_unit_test(test_pareto_table_and_json),
        cmocka_unit_test(test_pareto_bad_input),
        cmocka_unit_test(test_bad_databases),
        cmocka_unit_test(test_show),
        cmocka_unit_test(test_import_accuracy),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_merge_refusals),
        cmocka_unit_test(test_version1_files),
        cmocka_unit_test(test_show_no_breakdown),
    };
    return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
