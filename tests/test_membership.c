/*
 * test_membership.c - run membership: a run knows every point it evaluated,
 * also the ones another run had stored first (table run_point), so that
 * `dse pareto --run ID` and `--workload NAME` answer with all of them; an
 * older file without the table still answers and is upgraded when written;
 * dse merge and a set of databases keep it.
 *
 * Two small specs derived from quick.yaml share a quarter of quick's space:
 * quick.yaml has 6,912 points, every combination of pes [4, 16] and lanes
 * [8, 16] holding 6,912 / 4 = 1,728 of them.  toy-a keeps lanes 8 (2 x 1,728
 * = 3,456 points), toy-b keeps pes 16 (3,456 points); both hold the 1,728
 * points with pes 16 and lanes 8, so toy-b run after toy-a stores 1,728 new
 * points and shares 1,728, and the two runs hold 3,456 + 3,456 - 1,728 =
 * 5,184 distinct points.  The expected sets come from databases holding one
 * spec each (no sharing possible there), read with plain SQLite.
 */
#include "test_util.h"

#include "test_db_util.h"

#include <sys/stat.h>

#define SPACE 3456  /* points of each spec (above) */
#define SHARED 1728 /* points of both */

static char g_dir[] = "/tmp/fdht-member-XXXXXX";
static char g_a[64], g_b[64], g_ab[64], g_only_a[64], g_only_b[64];

/* dir/name into buf (static buffers of the callers). */
static const char *in_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", g_dir, name);
    return buf;
}

/* quick.yaml with `from` replaced by `to` (each must occur) and the
 * workload named name, written to path. */
static void derive(const char *path, const char *name, const char *from, const char *to)
{
    char *q = tu_slurp("schemas/examples/quick.yaml");
    const char *w = strstr(q, "  name: toy\n"), *f = strstr(q, from);
    assert_non_null(w);
    assert_non_null(f);
    assert_true(w < f);
    FILE *o = fopen(path, "w");
    assert_non_null(o);
    fprintf(o, "%.*s  name: %s\n%.*s%s%s", (int)(w - q), q, name,
            (int)(f - (w + strlen("  name: toy\n"))), w + strlen("  name: toy\n"), to,
            f + strlen(from));
    assert_int_equal(fclose(o), 0);
    free(q);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(g_dir))
        return -1;
    in_dir(g_a, sizeof g_a, "a.yaml");
    in_dir(g_b, sizeof g_b, "b.yaml");
    in_dir(g_ab, sizeof g_ab, "ab.db");
    in_dir(g_only_a, sizeof g_only_a, "only_a.db");
    in_dir(g_only_b, sizeof g_only_b, "only_b.db");
    derive(g_a, "toy-a", "  lanes: [8, 16]", "  lanes: [8]");
    derive(g_b, "toy-b", "  pes: [4, 16]", "  pes: [16]");
    char cmd[4000];
    snprintf(cmd, sizeof cmd,
             "%1$s run %2$s --db %4$s --quiet && %1$s run %3$s --db %4$s --quiet &&"
             " %1$s run %2$s --db %5$s --quiet && %1$s run %3$s --db %6$s --quiet",
             tu_dse_bin(), g_a, g_b, g_ab, g_only_a, g_only_b);
    return tu_run(cmd, NULL, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    return tu_rmrf(g_dir);
}

/* One integer from a query of db (plain SQLite). */
static long query_long(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* What dse pareto --format json said: the rows it read and its front's
 * point strings (sorted, a line each, in front). */
typedef struct {
    long rows;
    char *front;
} answer;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static answer parse_json(const char *js)
{
    answer a = {-1, NULL};
    const char *r = strstr(js, "\"rows\": ");
    assert_non_null(r);
    a.rows = strtol(r + 8, NULL, 10);
    char *pts[4096];
    size_t n = 0, len = 1;
    for (const char *p = js; (p = strstr(p, "\"point\": \"")) != NULL && n < 4096;) {
        p += 10;
        const char *e = strchr(p, '"');
        assert_non_null(e);
        assert_non_null(pts[n] = strndup(p, (size_t)(e - p)));
        len += (size_t)(e - p) + 1;
        n++;
        p = e;
    }
    qsort(pts, n, sizeof *pts, cmp_str);
    assert_non_null(a.front = malloc(len));
    a.front[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(a.front, pts[i]);
        strcat(a.front, "\n");
        free(pts[i]);
    }
    return a;
}

/* dse pareto on db with the selection sel (e.g. "--run 2"): must succeed. */
static answer pareto(const char *db, const char *sel)
{
    char *out, *err;
    int rc = tu_dse(&out, &err, "pareto --db %s %s --objective params,energy_pj,throughput_fps"
                 " --format json", db, sel);
    if (rc)
        fail_msg("pareto %s: exit %d: %s", sel, rc, err);
    answer a = parse_json(out);
    free(out);
    free(err);
    assert_true(strlen(a.front) > 0);
    return a;
}

static void same_answer(answer x, answer y)
{
    assert_int_equal(x.rows, y.rows);
    assert_string_equal(x.front, y.front);
    free(x.front);
    free(y.front);
}

static const char all_points[] = "SELECT point FROM point ORDER BY point";

/* The id of the run of workload w (the only one) in db. */
static long run_of(const char *db, const char *w)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT id FROM run WHERE workload = '%s'", w);
    return query_long(db, sql);
}

/* The second run stored only the points new to the database, yet --run
 * answers with all it evaluated: those of toy-b alone. */
static void test_run_returns_shared_points(void **state)
{
    (void)state;
    assert_int_equal(query_long(g_ab, "SELECT count(*) FROM point"), 2 * SPACE - SHARED);
    assert_int_equal(query_long(g_ab, "SELECT count(*) FROM point WHERE run_id = 2"),
                     SPACE - SHARED);
    assert_int_equal(query_long(g_ab, "SELECT count(*) FROM run_point WHERE run_id = 2"), SHARED);
    assert_int_equal(query_long(g_ab, "SELECT count(*) FROM run_point WHERE run_id = 1"), 0);
    assert_int_equal(query_long(g_only_b, "SELECT count(*) FROM point"), SPACE);
    assert_int_equal(query_long(g_ab, "SELECT points FROM runs WHERE id = 2"), SPACE);
    assert_int_equal(query_long(g_ab, "SELECT stored FROM runs WHERE id = 2"), SPACE - SHARED);
    /* the run's points, through the view, are toy-b's whole space */
    char *want = tu_sql_dump(g_only_b, all_points);
    char *got = tu_sql_dump(g_ab, "SELECT point FROM point WHERE id IN (SELECT point_id FROM"
                                 " run_points WHERE run_id = 2) ORDER BY point");
    assert_string_equal(got, want);
    free(got);
    free(want);
    /* dse pareto --run: every point read, the front of toy-b alone */
    answer two = pareto(g_ab, "--run 2");
    assert_int_equal(two.rows, SPACE);
    same_answer(two, pareto(g_only_b, ""));
    same_answer(pareto(g_ab, "--run 1"), pareto(g_only_a, ""));
    /* dse show of a shared point names both runs, the one that stored it */
    char *out, *err;
    long shared = query_long(g_ab, "SELECT min(point_id) FROM run_point");
    assert_int_equal(tu_dse(&out, &err, "show %ld --db %s", shared, g_ab), 0);
    assert_non_null(strstr(out, "evaluated by     run 1 (toy-a; stored it), run 2 (toy-b)\n"));
    free(out);
    free(err);
    /* resumed, the run has nothing left to do: all its points are known */
    assert_int_equal(tu_dse(&out, &err, "run %s --db %s", g_b, g_ab), 0);
    assert_non_null(strstr(err, "resuming run 2: 3456 points already stored"));
    free(out);
    free(err);
    assert_int_equal(query_long(g_ab, "SELECT count(*) FROM run_point"), SHARED);
}

/* --workload selects the points of that spec workload's runs, a shared
 * point in both; rows of both are refused, naming the names --workload
 * takes; an unknown name gets the list. */
static void test_workload_through_runs(void **state)
{
    (void)state;
    same_answer(pareto(g_ab, "--workload toy-a"), pareto(g_only_a, ""));
    same_answer(pareto(g_ab, "--workload toy-b"), pareto(g_only_b, ""));
    answer all = pareto(g_ab, "--all-workloads");
    assert_int_equal(all.rows, 2 * SPACE - SHARED);
    free(all.front);
    char *out, *err;
    assert_int_equal(tu_dse(&out, &err, "pareto --db %s --objective params", g_ab), 2);
    assert_int_equal(tu_lines(err), 1);
    assert_non_null(strstr(err, "toy-a; toy-b"));
    assert_non_null(strstr(err, "--workload"));
    free(out);
    free(err);
    /* --where alone still mixes them (one layer, two spec workloads) */
    assert_int_equal(tu_dse(&out, &err, "pareto --db %s --objective params --where 'pes = 16'",
                         g_ab), 2);
    free(out);
    free(err);
    assert_int_equal(tu_dse(&out, &err, "pareto --db %s --objective params --workload toy-c", g_ab),
                     2);
    assert_int_equal(tu_lines(err), 1);
    assert_non_null(strstr(err, "no workload 'toy-c'"));
    assert_non_null(strstr(err, "toy-a; toy-b"));
    free(out);
    free(err);
    /* a run of one workload alone: no refusal */
    answer one = pareto(g_only_a, "--workload toy-a");
    assert_int_equal(one.rows, SPACE);
    free(one.front);
}

/* Checksum of a file's bytes (FNV-1a), to see it unchanged. */
static uint64_t file_sum(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    uint64_t h = 1469598103934665603ull;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    int c;
    while ((c = fgetc(f)) != EOF)
        h = (h ^ (uint64_t)c) * 1099511628211ull;
    fclose(f);
    return h ^ (uint64_t)sb.st_size;
}

/* A file made before run_point (the table and its views removed, the runs
 * view as it was): read as it is, it answers with what it recorded, the
 * stored points, and stays byte for byte; written to (the run resumed) it
 * is upgraded, and the run then learns the points it shares. */
static void test_old_file_upgraded(void **state)
{
    (void)state;
    char old[64], cmd[2400];
    in_dir(old, sizeof old, "old.db");
    snprintf(cmd, sizeof cmd, "cp %s %s && sqlite3 %s \"DROP VIEW run_points; DROP VIEW runs;"
             " DROP TABLE run_point; CREATE VIEW runs AS SELECT r.id, r.workload, r.status,"
             " r.started, r.ended, r.seed, r.spec_hash, r.tech_name, r.shard_i, r.shard_n,"
             " r.tool_version, coalesce(c.n, 0) AS points FROM run r LEFT JOIN (SELECT run_id,"
             " count(*) AS n FROM point GROUP BY run_id) c ON c.run_id = r.id; VACUUM\"",
             g_only_a, old, old);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    /* run toy-b into it with the tool of that time: as the old insert path
     * did, the shared points are left out; simulated by copying the
     * toy-b-only points of ab.db under a new run */
    snprintf(cmd, sizeof cmd, "sqlite3 %s \"ATTACH '%s' AS n; INSERT INTO run(uuid, spec_hash,"
             " workload, started, status) SELECT uuid, spec_hash, workload, started, status"
             " FROM n.run WHERE id = 2; INSERT INTO point(key, point, run_id, params, energy_pj,"
             " throughput_fps, valid, akey) SELECT key, point, 2, params, energy_pj,"
             " throughput_fps, valid, akey FROM n.point WHERE run_id = 2\"", old, g_ab);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    uint64_t sum = file_sum(old);
    answer two = pareto(old, "--run 2");
    assert_int_equal(two.rows, SPACE - SHARED);
    free(two.front);
    answer wb = pareto(old, "--workload toy-b");
    assert_int_equal(wb.rows, SPACE - SHARED);
    free(wb.front);
    assert_int_equal(file_sum(old), sum);
    /* written: upgraded; the resumed run evaluates its shared points again
     * and records them */
    char *out, *err;
    int rc = tu_dse(&out, &err, "run %s --db %s", g_b, old);
    if (rc)
        fail_msg("run on the old file: %s", err);
    assert_non_null(strstr(err, "resuming run 2"));
    free(out);
    free(err);
    assert_int_equal(query_long(old, "SELECT count(*) FROM run_point WHERE run_id = 2"), SHARED);
    assert_int_equal(query_long(old, "SELECT stored FROM runs WHERE id = 2"), SPACE - SHARED);
    same_answer(pareto(old, "--run 2"), pareto(g_only_b, ""));
    same_answer(pareto(old, "--workload toy-a"), pareto(g_only_a, ""));
}

/* The points of the runs of workload w in db (the view), sorted. */
static char *workload_points(const char *db, const char *w)
{
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT point FROM point WHERE id IN (SELECT point_id FROM"
             " run_points WHERE run_id IN (SELECT id FROM run WHERE workload = '%s'))"
             " ORDER BY point", w);
    return tu_sql_dump(db, sql);
}

/*
 * dse merge keeps membership: the two specs run apart (only_a, only_b) and
 * merged answer --run as the database they were run into one after the
 * other (the merge meets toy-b's shared points as points OUT has); a sweep
 * of toy-b in two shards, each beside a whole toy-a run, merged, or read
 * as a set, answers --workload alike (the merge copies the shards'
 * run_point rows).
 */
static void test_merge_keeps_membership(void **state)
{
    (void)state;
    char m[64], s0[64], s1[64], ms[64], sel[64];
    in_dir(m, sizeof m, "m.db");
    in_dir(s0, sizeof s0, "s0.db");
    in_dir(s1, sizeof s1, "s1.db");
    in_dir(ms, sizeof ms, "ms.db");
    char *out, *err;
    assert_int_equal(tu_dse(&out, &err, "merge %s %s %s", m, g_only_a, g_only_b), 0);
    free(out);
    free(err);
    for (int i = 0; i < 2; i++) {
        const char *w = i ? "toy-b" : "toy-a";
        snprintf(sel, sizeof sel, "--run %ld", run_of(m, w));
        answer got = pareto(m, sel);
        snprintf(sel, sizeof sel, "--run %ld", run_of(g_ab, w));
        same_answer(got, pareto(g_ab, sel));
    }
    assert_int_equal(query_long(m, "SELECT count(*) FROM run_point"), SHARED);
    char cmd[4000];
    snprintf(cmd, sizeof cmd,
             "%1$s run %2$s --db %4$s --quiet && %1$s run %3$s --shard 0/2 --db %4$s --quiet &&"
             " %1$s run %2$s --db %5$s --quiet && %1$s run %3$s --shard 1/2 --db %5$s --quiet &&"
             " %1$s merge %6$s %4$s %5$s", tu_dse_bin(), g_a, g_b, s0, s1, ms);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    /* in each shard file toy-a's run stored the shared points first: the
     * toy-b shard runs there have run_point rows, which the merge copies */
    assert_true(query_long(s1, "SELECT count(*) FROM run_point") > 0);
    char *want = tu_sql_dump(g_only_b, all_points), *got = workload_points(ms, "toy-b");
    assert_string_equal(got, want);
    free(got);
    got = workload_points(ms, "toy-a");
    free(want);
    want = tu_sql_dump(g_only_a, all_points);
    assert_string_equal(got, want);
    free(got);
    free(want);
    char set[1500];
    snprintf(set, sizeof set, "%s --db %s", s0, s1);
    same_answer(pareto(ms, "--workload toy-b"), pareto(g_ab, "--workload toy-b"));
    answer a = pareto(set, "--workload toy-b"), b = pareto(g_only_b, "");
    assert_string_equal(a.front, b.front); /* the set reads its two shards' points */
    assert_int_equal(a.rows, SPACE);
    free(a.front);
    free(b.front);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_returns_shared_points),
        cmocka_unit_test(test_workload_through_runs),
        cmocka_unit_test(test_old_file_upgraded),
        cmocka_unit_test(test_merge_keeps_membership),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
