/*
 * test_fuzz_regress.c - replays the fuzzing corpora without libFuzzer: every
 * file of tests/fuzz/corpus/HARNESS/ (the committed seeds) and of
 * tests/fuzz/crashes/HARNESS/ (inputs that once crashed, kept after the fix)
 * goes through the same entry point as under tools/fuzz.sh.  The harness
 * sources are included here with FUZZ_ENTRY renamed and FUZZ_FAIL turned
 * into a cmocka failure, so their checks (no crash, -1 with a one-line
 * message or 0 with a well-formed result that round-trips) are the tests.
 * Run from the repository root (or set FUZZ_DIR to tests/fuzz).
 */
#include "test_util.h"

#include <dirent.h>
#include <sys/stat.h>

static const char *fuzz_current = "";

#define FUZZ_FAIL(what)                                      \
    do {                                                     \
        print_error("%s: %s\n", fuzz_current, (what));       \
        fail();                                              \
    } while (0)

#define FUZZ_ENTRY fuzz_tree_one
#include "fuzz/fuzz_tree.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_point_one
#include "fuzz/fuzz_point.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_order_one
#include "fuzz/fuzz_order.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_npy_one
#include "fuzz/fuzz_npy.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_tech_one
#include "fuzz/fuzz_tech.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_spec_one
#include "fuzz/fuzz_spec.c"
#undef FUZZ_ENTRY

typedef int (*entry_fn)(const uint8_t *, size_t);

static const char *fuzz_dir(void)
{
    const char *d = getenv("FUZZ_DIR");
    return d && *d ? d : "tests/fuzz";
}

static int not_hidden(const struct dirent *e) { return e->d_name[0] != '.'; }

/* Replays every regular file of DIR/sub/name; returns how many. */
static int replay_dir(const char *sub, const char *name, entry_fn fn)
{
    char dir[512], path[1024];
    struct dirent **list = NULL;
    snprintf(dir, sizeof dir, "%s/%s/%s", fuzz_dir(), sub, name);
    int n = scandir(dir, &list, not_hidden, alphasort);
    if (n < 0)
        return 0;
    int count = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
        free(list[i]);
        if (stat(path, &st) || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t *buf = malloc((size_t)st.st_size + 1);
        assert_non_null(buf);
        size_t len = fread(buf, 1, (size_t)st.st_size, f);
        fclose(f);
        assert_int_equal(len, (size_t)st.st_size);
        fuzz_current = path;
        assert_int_equal(fn(buf, len), 0);
        free(buf);
        count++;
    }
    free(list);
    return count;
}

static void replay(const char *name, entry_fn fn)
{
    int seeds = replay_dir("corpus", name, fn);
    int crashes = replay_dir("crashes", name, fn);
    print_message("fuzz_%s: %d seed inputs, %d crash inputs replayed\n", name, seeds,
                  crashes);
    assert_true(seeds > 0); /* a missing corpus must not pass silently */
}

static void test_tree(void **state) { (void)state; replay("tree", fuzz_tree_one); }
static void test_point(void **state) { (void)state; replay("point", fuzz_point_one); }
static void test_order(void **state) { (void)state; replay("order", fuzz_order_one); }
static void test_npy(void **state) { (void)state; replay("npy", fuzz_npy_one); }
static void test_tech(void **state) { (void)state; replay("tech", fuzz_tech_one); }
static void test_spec(void **state) { (void)state; replay("spec", fuzz_spec_one); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree), cmocka_unit_test(test_point),
        cmocka_unit_test(test_order), cmocka_unit_test(test_npy),
        cmocka_unit_test(test_tech), cmocka_unit_test(test_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
