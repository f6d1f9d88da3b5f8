/*
 * test_spec.c - the sweep-spec loader: the table of bad specs
 * (tests/specs/bad/, each with its exit status and message fragment with
 * line:column), space sizes of small specs computed by hand, the
 * factorization generator, the embedded schema itself, and the example
 * specs of schemas/examples/.
 *
 * Run from the repository root (make test does); the dse binary comes from
 * DSE_BIN (tu_dse_bin).
 */
#include "test_util.h"

#include "spec.h"

#include <sys/wait.h>
#include <unistd.h>

#define BAD "tests/specs/bad/"

/* ---- helpers ---- */

static spec *load_text(const char *text, spec_diag *g)
{
    spec *s = NULL;
    spec_diag_init(g);
    spec_load_text("t.yaml", text, strlen(text), &s, g);
    return s;
}

static uint64_t size_of(const char *text)
{
    spec_diag g;
    spec *s = load_text(text, &g);
    if (!s)
        fprintf(stderr, "unexpected errors:\n%s", spec_diag_text(&g));
    assert_non_null(s);
    uint64_t n = s->space.size;
    spec_free(s);
    spec_diag_free(&g);
    return n;
}

/* Exit status of `dse validate FILE`, its stderr in err. */
static int run_validate(const char *file, char *err, size_t errlen)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s validate '%s' 2>&1 >/dev/null", tu_dse_bin(), file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(err, 1, errlen - 1, p);
    err[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- the bad-spec table ---- */

typedef struct {
    const char *file;
    int status;
    const char *fragment;   /* must appear in the message */
} bad_case;

static const bad_case bad_cases[] = {
    /* YAML syntax */
    {"syntax_unclosed.yaml", 2, "syntax_unclosed.yaml:4:6: error: while parsing a flow mapping"},
    {"tab_indent.yaml", 2, "tab_indent.yaml:4:1: error: while scanning for the next token: found character that cannot start any token"},
    {"multi_document.yaml", 2, ":12:1: error: more than one YAML document"},
    {"top_list.yaml", 2, "top_list.yaml:1:1: error: a spec is a mapping"},
    {"tag.yaml", 2, "tag.yaml:2:7: error: tags (tag:yaml.org,2002:str) are not allowed"},
    /* aliases: refused before any expansion */
    {"alias.yaml", 2, "alias.yaml:2:7: error: anchors (&n) and aliases are not allowed"},
    {"alias_bomb.yaml", 2, "alias_bomb.yaml:1:4: error: anchors (&a) and aliases are not allowed"},
    /* keys */
    {"duplicate_key.yaml", 2, "duplicate_key.yaml:3:1: error: name: duplicate key 'name' (first given at line 2, column 1)"},
    {"unknown_key_typo.yaml", 2, "unknown_key_typo.yaml:5:3: error: workload.hiden: unknown key 'hiden' (did you mean 'hidden'?)"},
    {"unknown_key_far.yaml", 2, "unknown_key_far.yaml:3:1: error: colour: unknown key 'colour'; expected one of: version, name"},
    {"workload_scalar.yaml", 2, "workload_scalar.yaml:3:11: error: workload: expected a mapping"},
    /* version */
    {"version_unsupported.yaml", 2, "version_unsupported.yaml:1:10: error: version: unsupported spec version 2; this dse reads version 1"},
    {"version_missing.yaml", 2, "version_missing.yaml:1:1: error: missing required key 'version'"},
    {"version_string.yaml", 2, "version_string.yaml:1:10: error: version: expected an integer in 1..1000, got the string \"1\""},
    /* numbers */
    {"n_in_negative.yaml", 2, "n_in_negative.yaml:4:9: error: workload.n_in: expected an integer in 1..100000000, got -56"},
    {"n_in_zero.yaml", 2, "n_in_zero.yaml:4:9: error: workload.n_in: expected an integer in 1..100000000, got 0"},
    {"n_in_huge.yaml", 2, "n_in_huge.yaml:4:9: error: workload.n_in: expected an integer in 1..100000000, got 99999999999999999999999 (out of range)"},
    {"n_in_float.yaml", 2, "n_in_float.yaml:4:9: error: workload.n_in: expected an integer in 1..100000000, got 56.5"},
    {"n_in_null.yaml", 2, "n_in_null.yaml:4:8: error: workload.n_in: expected an integer in 1..100000000, got nothing"},
    {"hidden_string.yaml", 2, "hidden_string.yaml:5:11: error: workload.hidden: expected an integer in 1..65536, got four"},
    {"hw_bits_range.yaml", 2, "hw_bits_range.yaml:13:9: error: hardware.bits: expected an integer in 2..16, got 32"},
    /* empty, binary, not a file */
    {"empty.yaml", 2, "empty.yaml:1:1: error: empty spec"},
    {"comment_only.yaml", 2, "comment_only.yaml:1:1: error: empty spec"},
    {"binary.yaml", 2, "binary.yaml:2:7: error: control characters are not allowed"},
    {"adir.yaml", 2, "adir.yaml: error: is a directory"},
    {"no_such_file.yaml", 2, "no_such_file.yaml: error: cannot open the spec: No such file or directory"},
    /* enums, lists, ranges */
    {"decomposition_enum.yaml", 2, "decomposition_enum.yaml:6:18: error: workload.decomposition: expected one of partial, separate, concat, got concatt (did you mean 'concat'?)"},
    {"strategy_unknown.yaml", 2, "strategy_unknown.yaml:13:13: error: search.strategy: expected one of exhaustive, random, guided, got genetic"},
    {"objective_unknown.yaml", 2, "objective_unknown.yaml:13:16: error: search.objectives[0]: expected an objective"},
    {"objectives_empty.yaml", 2, "objectives_empty.yaml:13:15: error: search.objectives: expected at least 1 item, got 0"},
    {"ranks_empty_range.yaml", 2, "ranks_empty_range.yaml:11:13: error: space.ranks.values: empty range: from 8 > to 2"},
    {"ranks_step_and_mul.yaml", 2, "ranks_step_and_mul.yaml:11:13: error: space.ranks.values: a range takes step or mul, not both"},
    {"ranks_duplicate.yaml", 2, "ranks_duplicate.yaml:11:20: error: space.ranks.values[2]: value 2 given twice"},
    {"zip_unequal.yaml", 2, "zip_unequal.yaml:14:28: error: hardware.zip[0].lanes: zip lists must have equal lengths"},
    {"hw_twice.yaml", 2, "hw_twice.yaml:15:8: error: hardware.zip[0].pes: pes is already set at line 13"},
    /* semantics */
    {"modes_bad_product.yaml", 2, "modes_bad_product.yaml:9:16: error: space.modes.wx.out[0]: output factorization has product 20, expected 16"},
    {"modes_bad_syntax.yaml", 2, "modes_bad_syntax.yaml:9:16: error: space.modes.wx.out[0]: expected mode sizes like 16x4x4x4"},
    {"tree_bad.yaml", 2, "tree_bad.yaml:10:11: error: space.trees[0]: expected all, balanced, caterpillar or a tree"},
    {"tree_with_ranks.yaml", 2, "tree_with_ranks.yaml:10:11: error: space.trees[0]: a tree in a spec has no ranks"},
    {"orders_mixed.yaml", 2, "orders_mixed.yaml:10:18: error: space.orders[1]: 'best' stands alone"},
    {"pad_not_concat.yaml", 2, "pad_not_concat.yaml:9:38: error: space.modes.wx.pad: padding applies to decomposition concat only"},
    {"separate_without_wh.yaml", 2, "separate_without_wh.yaml:9:5: error: space.modes: decomposition separate needs modes.wh"},
    {"budget_exhaustive.yaml", 2, "budget_exhaustive.yaml:14:3: error: search.budget: budget applies to the random and guided strategies"},
    {"tech_unknown.yaml", 2, "tech_unknown.yaml:13:9: error: hardware.tech: technology table"},
    {"name_bad.yaml", 2, "name_bad.yaml:2:7: error: name: expected a name of 1 to 63 characters"},
    {"reference_both.yaml", 2, "reference_both.yaml:13:3: error: reference: give exactly one of npy"},
    {"max_error_no_reference.yaml", 2, "max_error_no_reference.yaml:13:3: error: constraints.max_error: max_error needs a reference"},
};

#define NBAD (sizeof bad_cases / sizeof bad_cases[0])

/* In process: the loader reports the fragment. */
static void test_bad_specs_loader(void **state)
{
    (void)state;
    for (size_t i = 0; i < NBAD; i++) {
        char path[256];
        spec *s = NULL;
        spec_diag g;
        spec_diag_init(&g);
        snprintf(path, sizeof path, BAD "%s", bad_cases[i].file);
        int rc = spec_load_file(path, &s, &g);
        if (rc == 0 || !strstr(spec_diag_text(&g), bad_cases[i].fragment))
            fprintf(stderr, "case %s: rc %d, got:\n%s", bad_cases[i].file, rc,
                    spec_diag_text(&g));
        assert_int_equal(rc, -1);
        assert_null(s);
        assert_non_null(strstr(spec_diag_text(&g), bad_cases[i].fragment));
        assert_int_equal(g.internal, 0);
        spec_diag_free(&g);
    }
}

/* Through the binary: exit status 2 and the message on stderr. */
static void test_bad_specs_binary(void **state)
{
    (void)state;
    for (size_t i = 0; i < NBAD; i++) {
        char path[256], err[8192];
        snprintf(path, sizeof path, BAD "%s", bad_cases[i].file);
        int st = run_validate(path, err, sizeof err);
        if (st != bad_cases[i].status || !strstr(err, bad_cases[i].fragment))
            fprintf(stderr, "case %s: status %d, stderr:\n%s", bad_cases[i].file, st, err);
        assert_int_equal(st, bad_cases[i].status);
        assert_non_null(strstr(err, bad_cases[i].fragment));
    }
}

/* A bad spec given to `dse run` stores nothing: no database is created. */
static void test_bad_spec_runs_nothing(void **state)
{
    (void)state;
    char db[] = "/tmp/test_spec_db_XXXXXX", cmd[1024];
    int fd = mkstemp(db);
    assert_true(fd >= 0);
    close(fd);
    unlink(db);
    snprintf(cmd, sizeof cmd, "%s run " BAD "n_in_zero.yaml --db %s 2>/dev/null", tu_dse_bin(), db);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
    assert_int_not_equal(access(db, F_OK), 0);
}

/* All errors of a spec are reported, not only the first. */
static void test_several_errors(void **state)
{
    (void)state;
    spec_diag g;
    spec *s = load_text("version: 1\nname: x\nworkload: {n_in: 0, hidden: -1, foo: 1}\n"
                        "space: {modes: {wx: {d: 3}}, ranks: {values: [2]}}\n", &g);
    assert_null(s);
    assert_int_equal(g.nerr, 3);
    assert_non_null(strstr(spec_diag_text(&g), "t.yaml:3:18: error: workload.n_in"));
    assert_non_null(strstr(spec_diag_text(&g), "t.yaml:3:29: error: workload.hidden"));
    assert_non_null(strstr(spec_diag_text(&g), "t.yaml:3:33: error: workload.foo: unknown key"));
    spec_diag_free(&g);
}

/* ---- space sizes by hand ---- */

static const char *base_head = "version: 1\nname: t\n";

/* The size of the space of base_head + body. */
static uint64_t size_of_spec(const char *body)
{
    char t[2048];
    snprintf(t, sizeof t, "%s%s", base_head, body);
    return size_of(t);
}

static void test_size_minimal(void **state)
{
    (void)state;
    /* 4H = 16 = 4x4, N_in = 56 = 7x8; d = 2 has one tree; ranks 2 values;
     * orders best: 1; dataflows 2 x bank maps 1 x pes 3 = 6 hw points.
     * 1 structure x 2 ranks x 1 order x 6 = 12 */
    assert_int_equal(size_of_spec("workload: {n_in: 56, hidden: 4, decomposition: partial}\n"
                                  "space:\n  modes: {wx: {out: [4x4], in: [7x8]}}\n  ranks: {values: [2, 3]}\n"
                                  "  dataflows: [wp, op]\n"
                                  "hardware: {pes: [4, 8, 16]}\n"), 12);
}

static void test_size_orders_all(void **state)
{
    (void)state;
    /* concat: N_in + H = 20 + 4 = 24 = 4x3x2, 4H = 16 = 4x2x2; HT only.
     * trees on 3 modes: 3.  ranks per_node on 3 modes: 4 non-root nodes, the
     * root's two children share one slot -> 3 slots of 2 values = 8.
     * orders all: root last; of {1, 2, 3, pair node}, the pair after its two
     * leaves: 4!/3 = 8 orders per tree (every tree on 3 modes has this shape).
     * algorithms: 3 x 8 x 8 = 192.
     * hardware: dataflows 1 x bank maps 2 x zip(pes, lanes) 2 x banks
     * {4, 8, 16} 3 = 12.  Total 192 x 12 = 2304. */
    assert_int_equal(size_of_spec("workload: {n_in: 20, hidden: 4, decomposition: concat}\n"
                                  "space:\n  modes: {wx: {out: [4x2x2], in: [4x3x2]}}\n  trees: all\n"
                                  "  ranks: {values: [1, 2], mode: per_node}\n  orders: all\n"
                                  "  bank_maps: [linear, xor]\n"
                                  "hardware:\n  banks: {from: 4, to: 16, mul: 2}\n"
                                  "  zip:\n    - {pes: [4, 8], lanes: [4, 8]}\n"), 2304);
}

static void test_size_separate(void **state)
{
    (void)state;
    /* 4H = 8, N_in = 6, H = 2.  d = 2: one tree.  ranks uniform {1,2,3}.
     * W_x: out [2x4], in [2x3]; formats ht, tt -> 2 structures x 3 = 6.
     * W_h: out [2x4, 4x2], in [1x2] -> 4 structures x 3 = 12.
     * separate: 6 x 12 = 72; partial: 6 x 1 (dense W_h) = 6.  Total 78. */
    assert_int_equal(size_of_spec("workload: {n_in: 6, hidden: 2, decomposition: [partial, separate]}\n"
                                  "space:\n  formats: [ht, tt]\n"
                                  "  modes:\n    wx: {out: [2x4], in: [2x3]}\n    wh: {out: [2x4, 4x2], in: [1x2]}\n"
                                  "  ranks: {values: {from: 1, to: 3}}\n"), 78);
}

static void test_size_generated(void **state)
{
    (void)state;
    /* 4H = 4: 2x2 is the only factorization with factors >= 2 (d = 2).
     * N_in = 12: sorted 6x2, 4x3 -> 2 structures; shape any adds 2x6 and 3x4
     * -> 4.  One tree, one rank, one of everything else. */
    assert_int_equal(size_of_spec("workload: {n_in: 12, hidden: 1, decomposition: partial}\n"
                                  "space:\n  modes: {wx: {d: 2}}\n  ranks: {values: 1}\n"), 2);
    assert_int_equal(size_of_spec("workload: {n_in: 12, hidden: 1, decomposition: partial}\n"
                                  "space:\n  modes: {wx: {d: 2, shape: any}}\n  ranks: {values: 1}\n"), 4);
    /* concat with padding: N_in + H = 11 + 1 = 12, pad 0.25 -> products
     * 12..15: 6x2, 4x3 (12), none for 13, 7x2 (14), 5x3 (15): 4 candidates;
     * limit 3 keeps the smallest factor sums 4x3 (7), 6x2 (8, product 12),
     * 5x3 (8, product 15). */
    assert_int_equal(size_of_spec("workload: {n_in: 11, hidden: 1, decomposition: concat}\n"
                                  "space:\n  modes: {wx: {d: 2, pad: 0.25}}\n  ranks: {values: 1}\n"), 4);
    assert_int_equal(size_of_spec("workload: {n_in: 11, hidden: 1, decomposition: concat}\n"
                                  "space:\n  modes: {wx: {d: 2, pad: 0.25, limit: 3}}\n  ranks: {values: 1}\n"), 3);
}

static void test_factorize(void **state)
{
    (void)state;
    int64_t(*f)[CM_MAX_D];
    int n;
    assert_int_equal(map_factorize(12, 15, 2, 2, 100, 0, 3, &f, &n), 0);
    assert_int_equal(n, 3);
    assert_true(f[0][0] == 4 && f[0][1] == 3);
    assert_true(f[1][0] == 6 && f[1][1] == 2);
    assert_true(f[2][0] == 5 && f[2][1] == 3);
    free(f);
    /* 57,600 = 8x20x20x18 in TT-LSTM; sorted, the most balanced first */
    assert_int_equal(map_factorize(57600, 57600, 4, 2, 64, 0, 1000, &f, &n), 0);
    assert_true(n > 10);
    for (int i = 0; i < n; i++) {
        assert_int_equal(f[i][0] * f[i][1] * f[i][2] * f[i][3], 57600);
        assert_true(f[i][0] >= f[i][1] && f[i][1] >= f[i][2] && f[i][2] >= f[i][3]);
    }
    /* 57,600^(1/4) = 15.5: 16x16x15x15 has the smallest sum (62) */
    assert_true(f[0][0] == 16 && f[0][1] == 16 && f[0][2] == 15 && f[0][3] == 15);
    free(f);
    /* 57,856 = 2^9 x 113: no 4 factors <= 64 without padding */
    assert_int_equal(map_factorize(57856, 57856, 4, 2, 64, 0, 10, &f, &n), 0);
    assert_int_equal(n, 0);
    free(f);
}

static void test_ranges(void **state)
{
    (void)state;
    int64_t v[16];
    assert_int_equal(map_range(2, 16, 0, 2, v, 16), 4); /* 2 4 8 16 */
    assert_true(v[3] == 16);
    assert_int_equal(map_range(1, 10, 3, 0, v, 16), 4); /* 1 4 7 10 */
    assert_true(v[3] == 10);
    assert_int_equal(map_range(5, 4, 1, 0, v, 16), -1);
    assert_int_equal(map_range(1, 100, 1, 0, v, 16), -1); /* too many */
}

/* The embedded schema parses, and a spec with every key is accepted. */
static void test_full_spec(void **state)
{
    (void)state;
    const char *t =
        "version: 1\nname: full\ndescription: every key once\n"
        "workload: {name: toy, n_in: 224, hidden: 16, decomposition: [partial, separate, concat]}\n"
        "space:\n  formats: [ht, tt, dense]\n"
        "  modes:\n    wx: {d: [3], out_factor: {from: 2, to: 8}, in_factor: {from: 2, to: 16},"
        " pad: 0.1, shape: sorted, limit: 2}\n"
        "    wh: {out: [4x4x4], in: [4x2x2]}\n"
        "  trees: [balanced, caterpillar, \"((1,3),2)\"]\n"
        "  ranks: {mode: leaf_internal, leaf: [2], internal: [2, 3]}\n"
        "  orders: min_peak\n  max_orders: 100\n  dataflows: [wp, op]\n"
        "  bank_maps: [linear, skew, xor, transform]\n"
        "hardware:\n  tech: 28nm\n  pes: 16\n  lanes: [8, 16]\n  bits: 16\n  banks: 16\n"
        "  work_words: 131072\n  wgt_words: 65536\n  dram_mbps: 12800\n  sfu_lanes: 16\n"
        "  zip:\n    - {freq_mhz: [500, 1000]}\n"
        "reference: {synthetic: gaussian, seed: 3}\n"
        "search: {strategy: random, seed: 7, budget: 100, time_limit: 10, batch: 100,"
        " objectives: [params, \"energy_pj:min\", throughput_fps, err_upper]}\n"
        "constraints: {max_params: 100000, max_area_mm2: 10, max_error: 2}\n"
        "output: {db: results/x.db}\n";
    spec_diag g;
    spec *s = load_text(t, &g);
    if (!s)
        fprintf(stderr, "%s", spec_diag_text(&g));
    assert_non_null(s);
    assert_int_equal(s->space.nd, 3);
    assert_int_equal(s->search.strategy, MAP_RANDOM);
    assert_int_equal(s->search.seed, 7);
    assert_int_equal(s->search.nobj, 4);
    assert_string_equal(s->db_path, "results/x.db");
    assert_int_equal(s->has_ref, 1);
    spec_free(s);
    spec_diag_free(&g);
}

/* The example specs are valid and have the sizes their headers say. */
static void test_examples(void **state)
{
    (void)state;
    static const struct { const char *f; uint64_t size; } ex[] = {
        {"schemas/examples/quick.yaml", 6912},
        {"schemas/examples/bench.yaml", 1520640},
        /* bench's hardware: work 2 -> 3, freq 2 -> 5, dram 1 -> 3, sfu 1 -> 2,
         * bits 1 -> 3 values: 1,520,640 x (3 x 5 x 3 x 2 x 3) / (2 x 2) */
        {"schemas/examples/bench-shards.yaml", 102643200},
        {"schemas/examples/lstm-ucf.yaml", 3072},
        {"schemas/examples/lstm-youtube.yaml", 3072},
        {"schemas/examples/hollywood2.yaml", 3072},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        spec *s;
        spec_diag g;
        spec_diag_init(&g);
        if (spec_load_file(ex[i].f, &s, &g))
            fprintf(stderr, "%s", spec_diag_text(&g));
        assert_non_null(s);
        assert_true(s->space.size == ex[i].size);
        spec_free(s);
        spec_diag_free(&g);
    }
}

static void test_shard_parse(void **state)
{
    (void)state;
    uint64_t i, n;
    assert_int_equal(spec_parse_shard("0/1", &i, &n), 0);
    assert_int_equal(spec_parse_shard("3/4", &i, &n), 0);
    assert_true(i == 3 && n == 4);
    assert_int_equal(spec_parse_shard("4/4", &i, &n), -1);
    assert_int_equal(spec_parse_shard("-1/4", &i, &n), -1);
    assert_int_equal(spec_parse_shard("1/0", &i, &n), -1);
    assert_int_equal(spec_parse_shard("1", &i, &n), -1);
    assert_int_equal(spec_parse_shard("a/b", &i, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_specs_loader),
        cmocka_unit_test(test_bad_specs_binary),
        cmocka_unit_test(test_bad_spec_runs_nothing),
        cmocka_unit_test(test_several_errors),
        cmocka_unit_test(test_size_minimal),
        cmocka_unit_test(test_size_orders_all),
        cmocka_unit_test(test_size_separate),
        cmocka_unit_test(test_size_generated),
        cmocka_unit_test(test_factorize),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_full_spec),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_shard_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
