/*
 * test_columns.c - what a user queries: the metric table (mapper/map_metric.h)
 * is the schema's (every metric a column of `point` with its type and of
 * `results`), every spec objective and alias is a `dse pareto` objective,
 * and every design-choice column of `results` says what the point string
 * says, for every point of quick.yaml, read here with plain string splitting
 * (not the tool's parser).
 */
#include "test_util.h"

#include "map_metric.h"

#include <sqlite3.h>
#include "test_db_util.h"

static char g_dir[] = "/tmp/fdht-columns-XXXXXX";
static char g_db[600];

static int setup(void **state)
{
    (void)state;
    char cmd[1400];
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_db, sizeof g_db, "%s/q.db", g_dir);
    snprintf(cmd, sizeof cmd, "%s run schemas/examples/quick.yaml --db %s --quiet >/dev/null",
             tu_dse_bin(), g_db);
    return system(cmd) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    return tu_rmrf(g_dir);
}

/* The declared type of relation.column ("" for a view's expression, NULL
 * when there is no such column); static buffer. */
static const char *col_type(sqlite3 *h, const char *rel, const char *col)
{
    static char type[32];
    sqlite3_stmt *st;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT coalesce(type, '') FROM pragma_table_info('%s') "
                              "WHERE name = '%s'", rel, col);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    const char *r = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(type, sizeof type, "%s", (const char *)sqlite3_column_text(st, 0));
        r = type;
    }
    sqlite3_finalize(st);
    return r;
}

static void test_schema_is_the_metric_table(void **state)
{
    (void)state;
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(g_db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (int i = 0; i < MAP_M_COUNT; i++) {
        const char *name = map_metric_name((map_metric)i);
        const char *t = col_type(h, "point", name);
        if (!t)
            fail_msg("metric %s is not a column of point", name);
        assert_string_equal(t, map_metric_integer((map_metric)i) ? "INTEGER" : "REAL");
        if (!col_type(h, "results", name))
            fail_msg("metric %s is not a column of results", name);
    }
    sqlite3_close(h);
}

/* dse pareto --objective O on the database: its exit status. */
static int pareto(const char *obj)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "%s pareto --db %s --objective '%s' --limit 1 >/dev/null 2>&1",
             tu_dse_bin(), g_db, obj);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_every_objective_in_pareto(void **state)
{
    (void)state;
    static const char *aliases[] = {"area", "energy", "power", "throughput", "error", "util"};
    for (int i = 0; i < MAP_M_COUNT; i++) {
        char o[64];
        const char *name = map_metric_name((map_metric)i);
        if (pareto(name))
            fail_msg("dse pareto refuses the metric %s", name);
        snprintf(o, sizeof o, "%s:max", name);
        assert_int_equal(pareto(o), 0);
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        char o[64];
        map_metric m;
        map_dir d;
        /* the spec accepts it (the same table) ... */
        assert_int_equal(map_objective_parse(aliases[i], &m, &d), 0);
        /* ... and so does dse pareto, bare and with a direction */
        assert_int_equal(pareto(aliases[i]), 0);
        snprintf(o, sizeof o, "%s:min", aliases[i]);
        assert_int_equal(pareto(o), 0);
    }
    assert_int_equal(pareto("nosuchcolumn:min"), 2);
    assert_int_equal(pareto("nosuchcolumn"), 2);
}

/* The value of key in section sec ("wx", "wh", "hw", or "" for the first)
 * of a point string, by plain splitting; "" when absent. */
static void field(const char *pt, const char *sec, const char *key, char *out, size_t len)
{
    char buf[1200];
    snprintf(buf, sizeof buf, "%s", pt);
    out[0] = '\0';
    int first = 1;
    for (char *s = strtok(buf, "/"); s; s = strtok(NULL, "/"), first = 0) {
        if (sec[0] ? strncmp(s, sec, strlen(sec)) || s[strlen(sec)] != ';' : !first)
            continue;
        char k[40];
        snprintf(k, sizeof k, ";%s=", key);
        char *f = strstr(s, k);
        if (!f)
            return;
        f += strlen(k);
        size_t n = strcspn(f, ";");
        snprintf(out, len, "%.*s", (int)n, f);
        return;
    }
}

/* The ranks written in an HT tree string ("(1:4,2:3):2" -> 4 3 2), sorted. */
static int tree_ranks(const char *t, int *r)
{
    int n = 0;
    for (const char *p = t; (p = strchr(p, ':')); p++)
        r[n++] = atoi(p + 1);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && r[j - 1] > r[j]; j--) {
            int x = r[j];
            r[j] = r[j - 1];
            r[j - 1] = x;
        }
    return n;
}

static void same_text(const char *what, const char *col, const char *want, const char *pt)
{
    if (strcmp(col ? col : "", want))
        fail_msg("%s: column '%s', the point says '%s' (%s)", what, col ? col : "NULL", want, pt);
}

static void check_matrix(sqlite3_stmt *st, int c, const char *pt, const char *sec)
{
    char f[32], m[64], n[64], t[200], o[100], df[100], r[100];
    field(pt, sec, "f", f, sizeof f);
    field(pt, sec, "m", m, sizeof m);
    field(pt, sec, "n", n, sizeof n);
    field(pt, sec, "t", t, sizeof t);
    field(pt, sec, "o", o, sizeof o);
    field(pt, sec, "df", df, sizeof df);
    field(pt, sec, "r", r, sizeof r);
    same_text("format", (const char *)sqlite3_column_text(st, c), f, pt);
    same_text("m", (const char *)sqlite3_column_text(st, c + 1), m, pt);
    same_text("n", (const char *)sqlite3_column_text(st, c + 2), n, pt);
    same_text("tree", (const char *)sqlite3_column_text(st, c + 5), t, pt);
    same_text("order", (const char *)sqlite3_column_text(st, c + 6), o, pt);
    same_text("dataflow", (const char *)sqlite3_column_text(st, c + 7), df, pt);
    const char *ranks = (const char *)sqlite3_column_text(st, c + 3);
    int rmax = sqlite3_column_int(st, c + 4), want[32], got[32], nw = 0, ng = 0, mx = 0;
    if (!strcmp(f, "tt")) {
        same_text("tt ranks", ranks, r, pt);
        for (char *p = r; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 1 : 0))
            mx = atoi(p) > mx ? atoi(p) : mx;
        assert_int_equal(rmax, mx);
    } else if (!strcmp(f, "ht")) {
        nw = tree_ranks(t, want);
        char buf[100];
        snprintf(buf, sizeof buf, "%s", ranks ? ranks : "");
        for (char *p = strtok(buf, ","); p; p = strtok(NULL, ","))
            got[ng++] = atoi(p);
        for (int i = 1; i < ng; i++)
            for (int j = i; j > 0 && got[j - 1] > got[j]; j--) {
                int x = got[j];
                got[j] = got[j - 1];
                got[j - 1] = x;
            }
        assert_int_equal(ng, nw);
        for (int i = 0; i < nw; i++)
            assert_int_equal(got[i], want[i]);
        assert_int_equal(rmax, want[nw - 1]);
    } else {
        assert_true(ranks == NULL && sqlite3_column_type(st, c + 4) == SQLITE_NULL);
    }
}

static void test_design_columns_say_what_the_point_says(void **state)
{
    (void)state;
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(g_db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
        "SELECT point, workload, n_in, hidden, decomp, n_pad,"
        " wx_format, wx_m, wx_n, wx_ranks, wx_rank_max, wx_tree, wx_order, wx_dataflow,"
        " wh_format, wh_m, wh_n, wh_ranks, wh_rank_max, wh_tree, wh_order, wh_dataflow,"
        " pes, lanes, bits, banks, work_words, wgt_words, dram_mbps, sfu_lanes, freq_mhz,"
        " bank_map, tech FROM results", -1, &st, NULL), SQLITE_OK);
    int rows = 0, seen_wh = 0, seen_pad = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *pt = (const char *)sqlite3_column_text(st, 0);
        char v[64];
        same_text("workload", (const char *)sqlite3_column_text(st, 1), "lstm", pt);
        field(pt, "", "nin", v, sizeof v);
        assert_int_equal(sqlite3_column_int(st, 2), atoi(v));
        field(pt, "", "h", v, sizeof v);
        assert_int_equal(sqlite3_column_int(st, 3), atoi(v));
        field(pt, "", "dec", v, sizeof v);
        same_text("decomp", (const char *)sqlite3_column_text(st, 4), v, pt);
        field(pt, "", "pad", v, sizeof v);
        if (v[0]) {
            assert_int_equal(sqlite3_column_int(st, 5), atoi(v));
            seen_pad++;
        } else {
            assert_int_equal(sqlite3_column_type(st, 5), SQLITE_NULL);
        }
        check_matrix(st, 6, pt, "wx");
        if (strstr(pt, "/wh;")) {
            check_matrix(st, 14, pt, "wh");
            seen_wh++;
        } else {
            assert_int_equal(sqlite3_column_type(st, 14), SQLITE_NULL);
        }
        static const char *hw[] = {"P", "L", "b", "B", "wm", "wg", "bw", "sfu", "mhz"};
        for (int k = 0; k < 9; k++) {
            field(pt, "hw", hw[k], v, sizeof v);
            assert_true(sqlite3_column_double(st, 22 + k) == atof(v));
        }
        field(pt, "hw", "map", v, sizeof v);
        same_text("bank map", (const char *)sqlite3_column_text(st, 31), v, pt);
        field(pt, "hw", "tech", v, sizeof v);
        same_text("tech", (const char *)sqlite3_column_text(st, 32), v, pt);
        rows++;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_int_equal(rows, 6912);        /* quick.yaml's space, every point */
    assert_true(seen_wh > 0 && seen_pad > 0); /* partial and concat were both checked */
}

/* Every row of `results` (point and design columns), sorted, as one text. */
static char *design_dump(const char *db)
{
    return tu_sql_dump(db,
        "SELECT point || '|' || coalesce(n_in, '') || '|' || coalesce(wx_tree, '') || '|' ||"
        " coalesce(wx_ranks, '') || '|' || coalesce(wh_format, '') || '|' || bank_map || '|' ||"
        " coalesce(latency, '') FROM results ORDER BY point");
}

/* Two shards merged show the same design columns as one run. */
static void test_merge_keeps_design_columns(void **state)
{
    (void)state;
    char cmd[4800], s0[640], s1[640], out[640];
    snprintf(s0, sizeof s0, "%s/s0.db", g_dir);
    snprintf(s1, sizeof s1, "%s/s1.db", g_dir);
    snprintf(out, sizeof out, "%s/merged.db", g_dir);
    snprintf(cmd, sizeof cmd,
             "%s run schemas/examples/quick.yaml --shard 0/2 --db %s --quiet >/dev/null && "
             "%s run schemas/examples/quick.yaml --shard 1/2 --db %s --quiet >/dev/null && "
             "%s merge %s %s %s 2>/dev/null", tu_dse_bin(), s0, tu_dse_bin(), s1, tu_dse_bin(),
             out, s0, s1);
    assert_int_equal(system(cmd), 0);
    char *a = design_dump(g_db), *b = design_dump(out);
    assert_true(strlen(a) > 6912 * 100);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* Rows of two workloads: one front is refused, naming both; one chosen
 * with --where, or --all-workloads, is answered. */
static void test_mixed_workloads_refused(void **state)
{
    (void)state;
    char db[640], cmd[2000], out[700];
    snprintf(db, sizeof db, "%s/mixed.db", g_dir);
    snprintf(out, sizeof out, "%s/err.txt", g_dir);
    snprintf(cmd, sizeof cmd, "%s run schemas/examples/quick.yaml --db %s --quiet >/dev/null && "
                              "%s run tests/specs/good/base.yaml --db %s --quiet >/dev/null",
             tu_dse_bin(), db, tu_dse_bin(), db);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s pareto --db %s --objective params --objective energy "
                              ">/dev/null 2>%s", tu_dse_bin(), db, out);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    FILE *f = fopen(out, "r");
    char line[600] = "";
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_non_null(strstr(line, "lstm N_in 224, H 16"));  /* quick.yaml's layer */
    assert_non_null(strstr(line, "lstm N_in 56, H 4"));    /* base.yaml's */
    snprintf(cmd, sizeof cmd, "%s pareto --db %s --objective params --where 'n_in = 56' "
                              ">/dev/null 2>&1", tu_dse_bin(), db);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s pareto --db %s --objective params --all-workloads "
                              ">/dev/null 2>&1", tu_dse_bin(), db);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_is_the_metric_table),
        cmocka_unit_test(test_every_objective_in_pareto),
        cmocka_unit_test(test_design_columns_say_what_the_point_says),
        cmocka_unit_test(test_merge_keeps_design_columns),
        cmocka_unit_test(test_mixed_workloads_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
