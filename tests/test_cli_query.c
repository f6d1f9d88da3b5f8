/*
 * test_cli_query.c - what the query commands tell a user about a design,
 * end to end through the binary (DSE_BIN), on small runs of specs written
 * here:
 *   - `dse show` of a rejected point prints the sentence that explains it,
 *     the one `dse eval --point` prints for the model's rejections, and the
 *     budget with the value over it for the spec's constraints (text and
 *     JSON); the sentences are derived here by hand from the point string;
 *   - a budget of the spec that no point meets: `dse run` says how close the
 *     space came (the best value and its point);
 *   - the short design label of a point (cm_point_label) for points whose
 *     labels are written here by hand, and dse pareto's and dse show's
 *     tables: the label beside the id, the full string with --wide;
 *   - the binary's path in printed commands (cli_self, cli_command_anywhere):
 *     a relative argv[0] made absolute, a bare name left for the PATH.
 *
 * Run from the repository root; files go to a fresh temporary directory.
 */
#include "test_util.h"
#include "test_db_util.h"

#include "cli.h"
#include "cm_point.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The toy layer (N_in 224, H 16, concat) in HT with rank 2, P = 8, B = 6:
 * 12 points (6 trees x factorizations), each with the hardware below. */
#define TOY_SPEC                                                                             \
    "version: 1\n"                                                                           \
    "name: %s\n"                                                                             \
    "workload: {n_in: 224, hidden: 16, decomposition: [concat]}\n"                           \
    "space:\n"                                                                               \
    "  formats: [ht]\n"                                                                      \
    "  modes:\n"                                                                             \
    "    wx: {d: 3, pad: 0.1, limit: 2}\n"                                                   \
    "  trees: all\n"                                                                         \
    "  ranks: {values: [2]}\n"                                                               \
    "hardware: {pes: [8], banks: [6], work_words: [%d]}\n"                                   \
    "reference: {synthetic: decay, seed: 1}\n"                                               \
    "%s"

/* Writes the toy spec (name, working words, constraints text) and runs it
 * into NAME.db; returns the database path, and (stdout != NULL) the run's
 * output. */
static const char *toy_run_out(const char *name, int work_words, const char *constraints,
                               char **stdout_text)
{
    char text[2048], spec[64], db[64];
    snprintf(text, sizeof text, TOY_SPEC, name, work_words, constraints);
    snprintf(spec, sizeof spec, "%s.yaml", name);
    snprintf(db, sizeof db, "%s.db", name);
    tu_write_file(tu_path(spec), text);
    char *out, *err;
    int rc = tu_dse(&out, &err, "run '%s' --db '%s'", tu_path(spec), tu_path(db));
    if (rc)
        fprintf(stderr, "dse run: %d: %s%s", rc, out, err);
    assert_int_equal(rc, 0);
    if (stdout_text)
        *stdout_text = out;
    else
        free(out);
    free(err);
    return tu_path(db);
}

static const char *toy_run(const char *name, int work_words, const char *constraints)
{
    return toy_run_out(name, work_words, constraints, NULL);
}

/* One value of an SQL query on db, as text (malloc'd; NULL for NULL). */
static char *query(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    char *v = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    if (sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static double query_real(const char *db, const char *sql)
{
    char *v = query(db, sql);
    assert_non_null(v);
    double x = strtod(v, NULL);
    free(v);
    return x;
}

/*
 * Point P of the toy space: modes m = 4x4x4 (out), n = 7x7x5 (in, 245 =
 * N_in + H + 5 of padding), tree ((1,3),2) with every rank 2, contracted
 * leaf 1 first.  By hand:
 *   params: leaves 4*7*2 + 4*7*2 + 4*5*2 = 152, node (1,3) 2*2*2 = 8, the
 *     root 2*2*1 = 4: 164;
 *   step 1 contracts mode 1 of x (7 of the 7x7x5 input) into leaf 1's
 *     4 x 2: the intermediate has 7*5 * 4*2 = 280 words;
 *   a working half of wm words in B = 6 banks holds floor(wm/2 / 6) rows of
 *     6 words: wm = 128 gives 10 rows, 60 words.
 */
#define P_ALG "lstm;nin=224;h=16;dec=concat;pad=245/wx;f=ht;m=4x4x4;n=7x7x5;" \
              "t=((1:2,3:2):2,2:2);o=1,3,13,2,123;df=wp"
#define P_HW(wm) "/hw;P=8;L=16;b=16;B=6;wm=" #wm ";wg=65536;bw=12800;sfu=16;mhz=1000;" \
                 "map=linear;tech=28nm"

static void test_show_rejected_workmem(void **state)
{
    (void)state;
    const char *db = toy_run("small", 128, "");
    const char *p = P_ALG P_HW(128);
    const char *want = "wx: the intermediate after step 1 (1) has 280 words, a working half "
                       "holds 60 (10 rows x 6 banks)";
    char *out, *err, line[512];
    assert_int_equal(tu_dse(&out, &err, "show --db '%s' '%s'", db, p), 0);
    snprintf(line, sizeof line, "\nstatus REJECTED (workmem): %s\n", want);
    if (!strstr(out, line))
        fprintf(stderr, "show:\n%s", out);
    assert_non_null(strstr(out, line));
    free(out);
    free(err);
    /* the same sentence as dse eval --point */
    assert_int_equal(tu_dse(&out, &err, "eval --point '%s'", p), 0);
    snprintf(line, sizeof line, "REJECTED (workmem): %s\n", want);
    assert_non_null(strstr(out, line));
    free(out);
    free(err);
    /* JSON */
    assert_int_equal(tu_dse(&out, &err, "show --json --db '%s' '%s'", db, p), 0);
    snprintf(line, sizeof line, "\"why\": \"%s\"", want);
    assert_non_null(strstr(out, line));
    assert_null(strstr(out, "\"why_note\""));
    free(out);
    free(err);
    /* a valid point has no status line and no "why" */
    const char *v = P_ALG P_HW(131072);
    const char *db2 = toy_run("roomy", 131072, "");
    assert_int_equal(tu_dse(&out, &err, "show --db '%s' '%s'", db2, v), 0);
    assert_null(strstr(out, "REJECTED"));
    free(out);
    free(err);
    assert_int_equal(tu_dse(&out, &err, "show --json --db '%s' '%s'", db2, v), 0);
    assert_null(strstr(out, "\"why\""));
    free(out);
    free(err);
}

/* Budget rejections name the budget, the constraint and the value over it. */
static void test_show_rejected_budget(void **state)
{
    (void)state;
    const char *db = toy_run("budget", 131072, "constraints: {max_params: 100}\n");
    const char *p = P_ALG P_HW(131072);
    char *out, *err;
    assert_int_equal(tu_dse(&out, &err, "show --db '%s' '%s'", db, p), 0);
    assert_non_null(strstr(out, "\nstatus REJECTED (params_budget): 164 parameters > budget 100 "
                                "(constraints.max_params)\n"));
    free(out);
    free(err);
    assert_int_equal(tu_dse(&out, &err, "show --json --db '%s' '%s'", db, p), 0);
    assert_non_null(strstr(out, "\"why\": \"164 parameters > budget 100 "
                                "(constraints.max_params)\""));
    free(out);
    free(err);
}

/*
 * A budget nothing meets: the run's summary says how many it rejected and
 * the best value reached, with a point that reached it; the
 * expected numbers are read from the stored rows (every point is stored,
 * with its params and err_upper whatever rejected it).  A budget some point
 * meets gets no such line.
 */
static void check_unmet(const char *out, const char *db, const char *key, const char *limit,
                        const char *metric, const char *reason)
{
    char sql[2048], want[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM point WHERE reason = '%s'", reason);
    long n = (long)query_real(db, sql);
    snprintf(sql, sizeof sql, "SELECT min(%s) FROM point", metric);
    double best = query_real(db, sql);
    snprintf(want, sizeof want, "\nno point met %s %s: %ld rejected by it; the smallest %s "
             "reached is %.6g (point ", key, limit, n, metric, best);
    const char *at = strstr(out, want);
    if (!at)
        fprintf(stderr, "want: %s...\ngot:\n%s", want, out);
    assert_non_null(at);
    /* the point named is one of those with that value (ties: any of them) */
    at += strlen(want);
    const char *end = strstr(at, ")\n");
    assert_non_null(end);
    assert_true(end - at < 1000);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM point WHERE point = '%.*s' AND "
             "%s = (SELECT min(%s) FROM point)", (int)(end - at), at, metric, metric);
    assert_int_equal((long)query_real(db, sql), 1);
}

static void test_unmet_budgets(void **state)
{
    (void)state;
    char *out;
    /* err_upper of the toy layer is far above 0.05 (the synthetic decay) */
    const char *db = toy_run_out("err", 131072, "constraints: {max_error: 0.05}\n", &out);
    assert_true(query_real(db, "SELECT min(err_upper) FROM point") > 0.05);
    assert_true(query_real(db, "SELECT count(*) FROM point WHERE reason = 'error_budget'") > 0);
    check_unmet(out, db, "max_error", "0.05", "err_upper", "error_budget");
    assert_null(strstr(out, "no point met max_params"));
    free(out);
    /* params: 164 is the smallest by hand above; 100 is met by none, and the
     * error budget of 10 by all */
    db = toy_run_out("par", 131072, "constraints: {max_params: 100, max_error: 10}\n", &out);
    assert_true(query_real(db, "SELECT min(params) FROM point") == 164);
    check_unmet(out, db, "max_params", "100", "params", "params_budget");
    assert_null(strstr(out, "no point met max_error"));
    free(out);
    /* a budget met: no line */
    toy_run_out("met", 131072, "constraints: {max_params: 164}\n", &out);
    assert_null(strstr(out, "no point met"));
    free(out);
}

/* Labels written by hand from the point strings. */
static void test_label(void **state)
{
    (void)state;
    static const struct {
        const char *point, *label;
        int pes, lanes, banks; /* networks without a hardware section: set here */
        cm_bankmap map;
    } c[] = {
        {"lstm;nin=57600;h=256;dec=partial/wx;f=tt;m=16x4x4x4;n=8x20x20x18;r=1,4,4,4,1;"
         "o=1,2,3,4;df=wp/wh;f=dense;m=1024;n=256;o=W;df=wp/hw;P=16;L=16;b=16;B=16;"
         "wm=131072;wg=65536;bw=12800;sfu=16;mhz=1000;map=linear;tech=28nm",
         "tt r1,4,4,4,1 partial | 16x16 B16 linear", 0, 0, 0, 0},
        {"lstm;nin=4096;h=64;dec=concat;pad=4160/wx;f=ht;m=4x4x4x4;n=4x8x10x13;"
         "t=((1:4,2:4):4,(3:4,4:4):4)",
         "ht r4 ((1,2),(3,4)) concat | 16x16 B16 transform", 16, 16, 16, CM_MAP_TRANSFORM},
        {"lstm;nin=4096;h=64;dec=concat;pad=4160/wx;f=ht;m=4x4x4x4;n=4x8x10x13;"
         "t=((1:4,2:4):6,(3:4,4:4):6)",
         "ht ((1:4,2:4):6,(3:4,4:4):6) concat | 32x8 B12 skew", 32, 8, 12, CM_MAP_SKEW},
        {"lstm;nin=224;h=16;dec=separate/wx;f=tt;m=4x4x4;n=8x7x4;r=1,2,2,1/"
         "wh;f=ht;m=8x8;n=4x4;t=(1:3,2:3)",
         "tt r1,2,2,1 + ht r3 (1,2) separate | 4x8 B8 xor", 4, 8, 8, CM_MAP_XOR},
        {"mv/wx;f=dense;m=64;n=224", "dense mv | 1x2 B3 linear", 1, 2, 3, CM_MAP_LINEAR},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        cm_point p;
        char err[CM_ERRLEN], buf[CM_LABEL_MAX];
        if (c[i].pes) {
            if (cm_point_parse_net(c[i].point, &p, err, sizeof err))
                fail_msg("%s: %s", c[i].point, err);
            p.hw.pes = c[i].pes;
            p.hw.lanes = c[i].lanes;
            p.hw.banks = c[i].banks;
            p.map = c[i].map;
        } else if (cm_point_parse(c[i].point, &p, err, sizeof err)) {
            fail_msg("%s: %s", c[i].point, err);
        }
        int n = cm_point_label(&p, buf, sizeof buf);
        assert_string_equal(buf, c[i].label);
        assert_int_equal(n, (int)strlen(c[i].label));
        /* a short buffer: cut, terminated, the full length returned */
        char small[8];
        assert_int_equal(cm_point_label(&p, small, sizeof small), n);
        assert_int_equal(strlen(small), 7);
        assert_memory_equal(small, c[i].label, 7);
    }
    char buf[CM_LABEL_MAX];
    assert_int_equal(cli_point_label("not/a/point", buf, sizeof buf), 0);
    assert_string_equal(buf, "");
}

/* The label of a toy point by hand from its tree: "t=((1:2,3:2):2,2:2)"
 * is "ht r2 ((1,3),2) concat | 8x16 B6 linear" (every rank 2 here). */
static void toy_label(const char *point, char *buf, size_t len)
{
    const char *t = strstr(point, ";t=");
    assert_non_null(t);
    size_t o = (size_t)snprintf(buf, len, "ht r2 ");
    for (t += 3; *t && *t != ';' && o + 1 < len; t++)
        if (t[0] == ':' && t[1] == '2')
            t++;
        else
            buf[o++] = *t;
    snprintf(buf + o, len - o, " concat | 8x16 B6 linear");
}

/* The table's first two column names: "id" and second. */
static void assert_header(const char *out, const char *second)
{
    char a[16], b[16];
    assert_int_equal(sscanf(out, "%15s %15s", a, b), 2);
    assert_string_equal(a, "id");
    assert_string_equal(b, second);
}

static void test_tables_label_and_wide(void **state)
{
    (void)state;
    const char *db = toy_run("tables", 131072, "");
    char *out, *err, sql[256], label[512];
    assert_int_equal(tu_dse(&out, &err, "pareto --db '%s' --objective params:min,cycles:min", db), 0);
    assert_header(out, "design");
    assert_null(strstr(out, "lstm;"));
    int rows = 0;
    for (char *line = strchr(out, '\n') + 1; *line; line = strchr(line, '\n') + 1, rows++) {
        long id = strtol(line, NULL, 10);
        assert_true(id > 0);
        snprintf(sql, sizeof sql, "SELECT point FROM point WHERE id = %ld", id);
        char *p = query(db, sql);
        assert_non_null(p);
        toy_label(p, label, sizeof label);
        char *at = strstr(line, label);
        assert_non_null(at);
        assert_true(at < strchr(line, '\n'));
        free(p);
    }
    assert_true(rows >= 1);
    free(out);
    free(err);
    /* --wide: the full strings, under "point" */
    assert_int_equal(tu_dse(&out, &err, "pareto --db '%s' --objective params:min,cycles:min --wide",
                         db), 0);
    assert_header(out, "point");
    assert_non_null(strstr(out, "  lstm;nin=224;h=16;dec=concat;"));
    assert_null(strstr(out, " | 8x16 B6 linear"));
    free(out);
    free(err);
    /* csv keeps the full string without --wide */
    assert_int_equal(tu_dse(&out, &err, "pareto --db '%s' --objective params:min --format csv", db),
                     0);
    assert_non_null(strstr(out, "\"lstm;nin=224;"));
    free(out);
    free(err);
    /* dse show: the label and the id; the string too with --wide */
    const char *p = P_ALG P_HW(131072);
    toy_label(p, label, sizeof label);
    assert_string_equal(label, "ht r2 ((1,3),2) concat | 8x16 B6 linear");
    snprintf(sql, sizeof sql, "SELECT id FROM point WHERE point = '%s'", p);
    char *id = query(db, sql);
    assert_non_null(id);
    char want[1024];
    snprintf(want, sizeof want, "design %s\nid     %s\n", label, id);
    assert_int_equal(tu_dse(&out, &err, "show --db '%s' %s", db, id), 0);
    assert_memory_equal(out, want, strlen(want));
    assert_null(strstr(out, "lstm;"));
    free(out);
    free(err);
    snprintf(want, sizeof want, "design %s\npoint  %s\nid     %s\n", label, p, id);
    assert_int_equal(tu_dse(&out, &err, "show --db '%s' --wide '%s'", db, p), 0);
    assert_memory_equal(out, want, strlen(want));
    free(out);
    free(err);
    free(id);
}

/* cli_self / cli_command_anywhere, in a directory of known name. */
static void test_self_path(void **state)
{
    (void)state;
    char old[512], want[2048];
    assert_non_null(getcwd(old, sizeof old));
    const char *dir = tu_path("a b");
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(chdir(dir), 0);
    char here[512]; /* tu_dir may be reached through a link: as getcwd says */
    assert_non_null(getcwd(here, sizeof here));
    const char *cases[][2] = {
        {"dse", "dse"},                      /* found on the PATH: as is */
        {"/opt/x/dse", "/opt/x/dse"},        /* absolute: as is */
        {"build/dse", "/build/dse"},         /* relative: after the directory */
        {"./build/dse", "/build/dse"},
        {"../it/dse", "/../it/dse"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cli_set_argv0(cases[i][0]);
        char *p = cli_self();
        assert_non_null(p);
        if (cases[i][1][0] == '/' && cases[i][0][0] != '/')
            snprintf(want, sizeof want, "%s%s", here, cases[i][1]);
        else
            snprintf(want, sizeof want, "%s", cases[i][1]);
        assert_string_equal(p, want);
        free(p);
    }
    cli_set_argv0(NULL);
    char *p = cli_self();
    assert_string_equal(p, "dse");
    free(p);
    /* the whole line: cd (quoted: a space), the binary, the arguments */
    cli_set_argv0("build/dse");
    char *argv[] = {"run", "my spec.yaml", "--db", "x.db", NULL};
    char *line = cli_command_anywhere(4, argv);
    snprintf(want, sizeof want, "(cd '%s' && '%s/build/dse' run 'my spec.yaml' --db x.db)", here,
             here);
    assert_string_equal(line, want);
    free(line);
    cli_set_argv0(NULL);
    assert_int_equal(chdir(old), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_show_rejected_workmem),
        cmocka_unit_test(test_show_rejected_budget),
        cmocka_unit_test(test_unmet_budgets),
        cmocka_unit_test(test_label),
        cmocka_unit_test(test_tables_label_and_wide),
        cmocka_unit_test(test_self_path),
    };
    return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
