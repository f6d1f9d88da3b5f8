/*
 * test_reproduce.c - `dse reproduce` end to end: the exact published rows of
 * the model-size table (the published TT-LSTM and dense sizes),
 * the JSON structure (every key, six hardware rows with the published
 * ratios), the Markdown and CSV tables, determinism (a live sweep, its
 * read-back from the database and a run without a database print the same
 * bytes) and bad flags.
 *
 * The expected values are computed here from the published configurations
 * (sum_k r_{k-1} m_k n_k r_k, 4H x N_in), never copied from the program.
 * The three runs are shared by the tests (group setup).
 */
#include "test_util.h"

#include <ctype.h>
#include <sys/stat.h>

/* ---- a small JSON reader (enough to check structure and values) ---- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jkind;

typedef struct jv {
    jkind k;
    double num;
    int b;
    char *str;            /* J_STR; key names of J_OBJ members in keys[] */
    int n;
    struct jv **items;    /* J_ARR, J_OBJ values */
    char **keys;          /* J_OBJ */
} jv;

static void jfree(jv *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->n; i++) {
        jfree(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

static void jws(const char **p)
{
    while (isspace((unsigned char)**p))
        (*p)++;
}

static char *jstring(const char **p)
{
    if (**p != '"')
        return NULL;
    (*p)++;
    size_t cap = 64, n = 0;
    char *s = malloc(cap);
    while (s && **p && **p != '"') {
        char c = *(*p)++;
        if (c == '\\') {
            c = *(*p)++;
            if (c == 'u') { /* only \u00XX appears in this output */
                unsigned x = 0;
                if (sscanf(*p, "%4x", &x) != 1) {
                    free(s);
                    return NULL;
                }
                *p += 4;
                c = (char)x;
            } else if (c == 'n') {
                c = '\n';
            } else if (c != '"' && c != '\\' && c != '/') {
                free(s);
                return NULL;
            }
        }
        if (n + 2 > cap)
            s = realloc(s, cap *= 2);
        if (s)
            s[n++] = c;
    }
    if (!s || **p != '"') {
        free(s);
        return NULL;
    }
    (*p)++;
    s[n] = '\0';
    return s;
}

static jv *jparse(const char **p);

static int jpush(jv *v, jv *item, char *key)
{
    v->items = realloc(v->items, sizeof *v->items * (size_t)(v->n + 1));
    if (key)
        v->keys = realloc(v->keys, sizeof *v->keys * (size_t)(v->n + 1));
    if (!v->items || (key && !v->keys))
        return -1;
    v->items[v->n] = item;
    if (key)
        v->keys[v->n] = key;
    v->n++;
    return 0;
}

static jv *jcontainer(const char **p, jv *v)
{
    char close = v->k == J_ARR ? ']' : '}';
    (*p)++;
    jws(p);
    if (**p == close) {
        (*p)++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        jws(p);
        if (v->k == J_OBJ) {
            if (!(key = jstring(p)))
                break;
            jws(p);
            if (*(*p)++ != ':') {
                free(key);
                break;
            }
        }
        jv *item = jparse(p);
        if (!item || jpush(v, item, key)) {
            jfree(item);
            free(key);
            break;
        }
        jws(p);
        if (**p == ',') {
            (*p)++;
            continue;
        }
        if (**p == close) {
            (*p)++;
            return v;
        }
        break;
    }
    jfree(v);
    return NULL;
}

static jv *jparse(const char **p)
{
    jv *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    jws(p);
    char c = **p;
    if (c == '{' || c == '[') {
        v->k = c == '{' ? J_OBJ : J_ARR;
        return jcontainer(p, v);
    }
    if (c == '"') {
        v->k = J_STR;
        if ((v->str = jstring(p)))
            return v;
    } else if (!strncmp(*p, "null", 4)) {
        v->k = J_NULL;
        *p += 4;
        return v;
    } else if (!strncmp(*p, "true", 4) || !strncmp(*p, "false", 5)) {
        v->k = J_BOOL;
        v->b = c == 't';
        *p += v->b ? 4 : 5;
        return v;
    } else {
        char *end;
        v->k = J_NUM;
        v->num = strtod(*p, &end);
        if (end != *p) {
            *p = end;
            return v;
        }
    }
    jfree(v);
    return NULL;
}

/* The whole text is one JSON value (and a newline). */
static jv *jparse_all(const char *s)
{
    const char *p = s;
    jv *v = jparse(&p);
    jws(&p);
    if (v && *p) {
        jfree(v);
        return NULL;
    }
    return v;
}

static const jv *jget(const jv *o, const char *key)
{
    if (!o || o->k != J_OBJ)
        return NULL;
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key))
            return o->items[i];
    return NULL;
}

static const char *jgets(const jv *o, const char *key)
{
    const jv *v = jget(o, key);
    return v && v->k == J_STR ? v->str : NULL;
}

static double jgetn(const jv *o, const char *key)
{
    const jv *v = jget(o, key);
    return v && v->k == J_NUM ? v->num : NAN;
}

static int jis_null(const jv *o, const char *key)
{
    const jv *v = jget(o, key);
    return v && v->k == J_NULL;
}

/* ---- the shared runs ---- */

typedef struct {
    char dir[64];
    char *json_out;     /* --no-db --json: stdout */
    char *md_live;      /* --db: sweep now */
    char *md_reuse;     /* --db again: read back */
    char *md_file;      /* reproduce.md of the --no-db run */
    char *json_file;    /* reproduce.json of the live run */
    char *err_reuse;
    jv *j;
} runs;

static runs R;

static char *path_in(const char *sub, const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s/%s/%s", R.dir, sub, name);
    return buf;
}

static int setup_runs(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(R.dir, sizeof R.dir, "/tmp/fdht-repro-XXXXXX");
    if (!mkdtemp(R.dir))
        return -1;
    snprintf(cmd, sizeof cmd, "%s reproduce --no-db --json --quiet --out %s/a", tu_dse_bin(),
             R.dir);
    if (tu_run(cmd, &R.json_out, NULL))
        return -1;
    snprintf(cmd, sizeof cmd, "%s reproduce --db %s/x.db --quiet --out %s/b", tu_dse_bin(),
             R.dir, R.dir);
    if (tu_run(cmd, &R.md_live, NULL))
        return -1;
    snprintf(cmd, sizeof cmd, "%s reproduce --db %s/x.db --out %s/c", tu_dse_bin(), R.dir, R.dir);
    if (tu_run(cmd, &R.md_reuse, &R.err_reuse))
        return -1;
    R.md_file = tu_slurp(path_in("a", "reproduce.md"));
    R.json_file = tu_slurp(path_in("b", "reproduce.json"));
    R.j = jparse_all(R.json_out);
    return R.j ? 0 : -1;
}

static int teardown_runs(void **state)
{
    (void)state;
    char cmd[256];
    jfree(R.j);
    free(R.json_out);
    free(R.md_live);
    free(R.md_reuse);
    free(R.md_file);
    free(R.json_file);
    free(R.err_reuse);
    snprintf(cmd, sizeof cmd, "rm -rf %s", R.dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- expectations from the published configurations ---- */

/* TT params sum_k r_{k-1} m_k n_k r_k, out modes 16x4x4x4, ranks 1,4,4,4,1. */
static int64_t tt_params(const int n[4])
{
    static const int m[4] = {16, 4, 4, 4}, r[5] = {1, 4, 4, 4, 1};
    int64_t s = 0;
    for (int k = 0; k < 4; k++)
        s += (int64_t)r[k] * m[k] * n[k] * r[k + 1];
    return s;
}

static const jv *size_row(const char *dataset, const char *model)
{
    const jv *rows = jget(R.j, "model_size");
    for (int i = 0; rows && i < rows->n; i++)
        if (!strcmp(jgets(rows->items[i], "dataset"), dataset) &&
            !strcmp(jgets(rows->items[i], "model"), model))
            return rows->items[i];
    fail_msg("no model-size row %s / %s", dataset, model);
    return NULL;
}

static void test_tt_and_dense_rows(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int nin;
        int n[4];
        int64_t tt;  /* published; derived in test_params.c */
    } ds[3] = {{"UCF11", 57600, {8, 20, 20, 18}, 3360},
               {"YouTube Celebrities", 57600, {4, 20, 20, 36}, 3392},
               {"Hollywood2", 70200, {10, 18, 13, 30}, 3104}};
    const int64_t hh = 4 * 256 * 256;
    assert_int_equal(hh, 262144);
    for (int i = 0; i < 3; i++) {
        int64_t ih = 4 * 256 * (int64_t)ds[i].nin;
        assert_int_equal(tt_params(ds[i].n), ds[i].tt);
        const jv *d = size_row(ds[i].name, "dense LSTM");
        assert_true(jgetn(d, "params_input_to_hidden") == (double)ih);
        assert_true(jgetn(d, "params_hidden_to_hidden") == (double)hh);
        assert_true(jgetn(d, "params_total") == (double)(ih + hh));
        assert_true(jgetn(d, "compression") == 1.0);
        const jv *t = size_row(ds[i].name, "TT-LSTM");
        assert_true(jgetn(t, "params_input_to_hidden") == (double)ds[i].tt);
        assert_true(jgetn(t, "params_hidden_to_hidden") == (double)hh);
        assert_true(jgetn(t, "params_total") == (double)(ds[i].tt + hh));
        assert_true(tu_rel(jgetn(t, "compression"), (double)(ih + hh) / (double)(ds[i].tt + hh)) <
                    1e-9);
        double eu = jgetn(t, "err_upper"), el = jgetn(t, "err_lower");
        assert_true(el > 0 && el <= eu + 1e-12);
    }
    assert_true(jgetn(size_row("UCF11", "dense LSTM"), "params_input_to_hidden") == 58982400.0);
    assert_true(jgetn(size_row("Hollywood2", "dense LSTM"), "params_input_to_hidden") ==
                71884800.0);
}

/* FDHT rows: fully decomposed, in the published size range; TR/BT: not published. */
static void test_fdht_and_unpublished_rows(void **state)
{
    (void)state;
    static const char *const names[3] = {"UCF11", "YouTube Celebrities", "Hollywood2"};
    for (int i = 0; i < 3; i++) {
        const jv *f = size_row(names[i], "FDHT-LSTM");
        double tot = jgetn(f, "params_total");
        assert_true(tot >= 3132 && tot <= 8808);
        assert_true(jgetn(f, "params_input_to_hidden") == tot);
        assert_true(jis_null(f, "params_hidden_to_hidden"));
        double dense = jgetn(size_row(names[i], "dense LSTM"), "params_total");
        assert_true(tu_rel(jgetn(f, "compression"), dense / tot) < 1e-9);
        assert_non_null(strstr(jgets(f, "config"), "HT"));
        for (int m = 0; m < 2; m++) {
            const jv *r = size_row(names[i], m ? "BT-LSTM" : "TR-LSTM");
            const jv *cp = jget(r, "config_published");
            assert_true(cp && cp->k == J_BOOL && !cp->b);
            assert_true(jis_null(r, "params_input_to_hidden"));
            assert_true(jis_null(r, "params_total"));
            assert_true(jis_null(r, "compression"));
        }
    }
    assert_int_equal(jget(R.j, "model_size")->n, 15);
}

static void test_json_hardware(void **state)
{
    (void)state;
    static const struct {
        const char *work, *metric;
        double pub;
    } want[6] = {{"LSTM-UCF", "throughput", 1.9},         {"LSTM-UCF", "area_efficiency", 1.0},
                 {"LSTM-UCF", "energy_efficiency", 1.83}, {"LSTM-Youtube", "throughput", 2.5},
                 {"LSTM-Youtube", "area_efficiency", 1.46},
                 {"LSTM-Youtube", "energy_efficiency", 2.41}};
    const jv *hw = jget(R.j, "hardware");
    assert_non_null(hw);
    assert_int_equal(hw->k, J_ARR);
    assert_int_equal(hw->n, 6);
    for (int i = 0; i < 6; i++) {
        int found = 0;
        for (int j = 0; j < hw->n; j++) {
            const jv *r = hw->items[j];
            if (strcmp(jgets(r, "workload"), want[i].work) ||
                strcmp(jgets(r, "metric"), want[i].metric))
                continue;
            found++;
            assert_true(jgetn(r, "published") == want[i].pub);
            double m = jgetn(r, "modeled"), t = jgetn(r, "tie"), f = jgetn(r, "fdht");
            assert_true(m > 0 && t > 0 && f > 0);
            assert_true(tu_rel(m, f / t) < 1e-9);
            assert_true(tu_rel(jgetn(r, "deviation"), m / want[i].pub) < 1e-9);
            const jv *miss = jget(r, "miss");
            assert_true(miss && miss->k == J_BOOL);
            double dev = m / want[i].pub;
            assert_int_equal(miss->b, dev > 1.5 || dev < 1 / 1.5);
        }
        assert_int_equal(found, 1);
    }
    const jv *ta = jget(R.j, "tie_area_mm2");
    assert_true(jgetn(ta, "published") == 1.74);
    assert_true(jgetn(ta, "modeled") > 0.1 && jgetn(ta, "modeled") < 20);
    /* the functional model agrees with the analytical one on every selected point */
    const jv *xc = jget(R.j, "crosscheck");
    assert_true(xc && xc->n >= 4);
    for (int i = 0; i < xc->n; i++) {
        assert_true(jgetn(xc->items[i], "cycles_analytical") ==
                    jgetn(xc->items[i], "cycles_functional"));
        assert_true(jget(xc->items[i], "y_exact")->b);
    }
}

/* Every required key of every row. */
static void test_json_keys(void **state)
{
    (void)state;
    static const char *const size_keys[] = {"dataset", "model", "params_input_to_hidden",
                                            "params_total", "compression"};
    static const char *const hw_keys[] = {"workload", "metric", "published", "modeled"};
    const jv *ms = jget(R.j, "model_size"), *hw = jget(R.j, "hardware");
    assert_true(ms && ms->k == J_ARR && hw && hw->k == J_ARR);
    for (int i = 0; i < ms->n; i++)
        for (size_t k = 0; k < sizeof size_keys / sizeof *size_keys; k++)
            assert_non_null(jget(ms->items[i], size_keys[k]));
    for (int i = 0; i < hw->n; i++)
        for (size_t k = 0; k < sizeof hw_keys / sizeof *hw_keys; k++)
            assert_non_null(jget(hw->items[i], hw_keys[k]));
    assert_non_null(jget(jget(R.j, "tie_area_mm2"), "published"));
    assert_non_null(jget(jget(R.j, "tie_area_mm2"), "modeled"));
}

/* The Markdown report: three numbered sections, table rows per section. */
static int rows_under(const char *md, const char *heading)
{
    const char *s = strstr(md, heading);
    int n = 0;
    if (!s)
        return -1;
    s = strchr(s, '\n');
    /* skip to the table, then count its body rows (after the |---| line) */
    while (s && *s && strncmp(s + 1, "|---", 4))
        s = strchr(s + 1, '\n');
    if (!s || !*s)
        return -1;
    s = strchr(s + 1, '\n');
    while (s && s[1] == '|') {
        n++;
        s = strchr(s + 1, '\n');
    }
    return n;
}

static void test_markdown_and_csv(void **state)
{
    (void)state;
    assert_int_equal(rows_under(R.md_live, "## 1. Model size"), 15);
    assert_int_equal(rows_under(R.md_live, "## 2. Hardware"), 6);
    assert_int_equal(rows_under(R.md_live, "## 3. TIE area"), 1);
    assert_non_null(strstr(R.md_live, "| UCF11 | TT-LSTM | 3,360 | 262,144 | 265,504 |"));
    assert_non_null(strstr(R.md_live, "| YouTube Celebrities | TT-LSTM | 3,392 |"));
    assert_non_null(strstr(R.md_live, "| Hollywood2 | TT-LSTM | 3,104 |"));
    assert_non_null(strstr(R.md_live, "| Hollywood2 | dense LSTM | 71,884,800 | 262,144 |"));
    /* each body row of the ratio table has 9 cells */
    const char *s = strstr(R.md_live, "| LSTM-UCF | throughput |");
    assert_non_null(s);
    int bars = 0;
    for (; *s && *s != '\n'; s++)
        bars += *s == '|';
    assert_int_equal(bars, 10);
    static const struct {
        const char *file;
        int lines;
    } csv[] = {{"reproduce_model_size.csv", 16}, {"reproduce_hardware.csv", 7},
               {"reproduce_tie_area.csv", 2}};
    for (size_t i = 0; i < sizeof csv / sizeof *csv; i++) {
        char *t = tu_slurp(path_in("b", csv[i].file));
        assert_int_equal(tu_lines(t), csv[i].lines);
        free(t);
    }
    char *h = tu_slurp(path_in("b", "reproduce_hardware.csv"));
    assert_non_null(strstr(h, "\nLSTM-Youtube,energy_efficiency,2.41,"));
    free(h);
}

/* Live sweep, read-back from the database and no database: the same bytes. */
static void test_deterministic(void **state)
{
    (void)state;
    assert_true(strlen(R.md_live) > 1000);
    assert_string_equal(R.md_live, R.md_reuse);
    assert_string_equal(R.md_live, R.md_file);
    assert_string_equal(R.json_out, R.json_file);
    assert_non_null(strstr(R.err_reuse, "reused"));
}

static void test_bad_flags(void **state)
{
    (void)state;
    static const char *const bad[] = {"--bogus", "--db", "--db x.db --no-db", "extra",
                                      "--out ''"};
    char cmd[512];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *out, *err;
        snprintf(cmd, sizeof cmd, "%s reproduce %s", tu_dse_bin(), bad[i]);
        assert_int_equal(tu_run(cmd, &out, &err), 2);
        assert_int_equal(tu_lines(err), 1);
        assert_non_null(strstr(err, "dse reproduce: "));
        assert_string_equal(out, "");
        free(out);
        free(err);
    }
    char *out;
    snprintf(cmd, sizeof cmd, "%s reproduce --help", tu_dse_bin());
    assert_int_equal(tu_run(cmd, &out, NULL), 0);
    assert_non_null(strstr(out, "usage: dse reproduce"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tt_and_dense_rows), cmocka_unit_test(test_fdht_and_unpublished_rows),
        cmocka_unit_test(test_json_hardware),     cmocka_unit_test(test_json_keys),
        cmocka_unit_test(test_markdown_and_csv),  cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bad_flags),
    };
    return cmocka_run_group_tests(tests, setup_runs, teardown_runs);
}
