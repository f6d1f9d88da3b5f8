/*
 * test_plots.c - plots/plots.sh on a database of the user's: it draws one
 * figure set per workload the database holds (quick.yaml's LSTM layer,
 * N_in 224, H 16, tag lstm-224x16), titled from the data, and never writes
 * to the database (the file is byte-identical afterwards); a missing
 * database or a bad flag is refused with exit status 2.
 */
#include "test_util.h"
#include "cm_hash.h"

#include <sys/stat.h>

static char g_dir[] = "/tmp/fdht-plots-XXXXXX";

/* FNV-1a of a whole file; the test fails when it cannot be read. */
static uint64_t file_sum(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint64_t h = 1469598103934665603ULL;
    int c;
    while ((c = fgetc(f)) != EOF)
        h = cm_fnv_step(h, (unsigned char)c);
    fclose(f);
    return h;
}

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (long)st.st_size;
}

static void test_plots_read_only_per_workload(void **state)
{
    (void)state;
    char db[512], out[512], png[700];
    assert_non_null(mkdtemp(g_dir));
    snprintf(db, sizeof db, "%s/mine.db", g_dir);
    snprintf(out, sizeof out, "%s/fig", g_dir);
    assert_int_equal(sh("%s run schemas/examples/quick.yaml --db %s --quiet >/dev/null",
                        tu_dse_bin(), db), 0);
    uint64_t before = file_sum(db);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "sh plots/plots.sh %s %s --db %%s --no-reproduce%%s >/dev/null 2>&1",
             tu_dse_bin(), out);
    assert_int_equal(sh(cmd, db, ""), 0);
    assert_true(file_sum(db) == before); /* not one byte written */
    snprintf(png, sizeof png, "%s/pareto_energy_params_lstm-224x16.png", out);
    assert_true(file_size(png) > 1000);
    snprintf(png, sizeof png, "%s/pareto_throughput_area_lstm-224x16.svg", out);
    assert_true(file_size(png) > 1000);
    /* the proxy figure of the committed benchmark, whatever the database */
    snprintf(png, sizeof png, "%s/proxy_vs_trained.png", out);
    assert_true(file_size(png) > 1000);
    /* the same with a run that does not exist: nothing drawn, still read-only */
    assert_int_equal(sh(cmd, db, " --run 99"), 0);
    assert_true(file_sum(db) == before);
    /* refusals */
    snprintf(png, sizeof png, "%s/missing.db", g_dir);
    assert_int_equal(sh(cmd, png, ""), 2);
    assert_int_equal(sh(cmd, db, " --frobnicate"), 2);
    assert_int_equal(sh(cmd, db, " --run x"), 2);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plots_read_only_per_workload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
