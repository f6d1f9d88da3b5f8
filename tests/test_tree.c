/*
 * test_tree.c - dimension trees (ht_tree.c): parsing, printing, canonical
 * numbering, the standard shapes, the enumeration of all trees, and the
 * parser's behaviour on hostile input.
 *
 * Every expected string and count below was written by hand from the
 * definitions in ht_tree.h (the derivation is in
 * the comment next to it), never copied from program output.
 */
#include "test_util.h"

#include <limits.h>
#include <time.h>

#include "ht_tree.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static ht_tree parse_ok(const char *s)
{
    ht_tree t;
    char err[CM_ERRLEN] = "";
    int rc = ht_parse(s, &t, err, sizeof err);
    if (rc != 0)
        fail_msg("ht_parse(\"%s\") failed: %s", s, err);
    return t;
}

static const char *fmt(const ht_tree *t)
{
    static char buf[512];
    int n = ht_format(t, buf, sizeof buf);
    assert_true(n >= 0 && (size_t)n < sizeof buf);
    assert_int_equal((int)strlen(buf), n);
    return buf;
}

static int low_bit(unsigned m)
{
    int k = 0;
    while (!(m & (1u << k)))
        k++;
    return k;
}

/* Everything ht_tree.h promises about a canonical tree. */
static void check_canonical(const ht_tree *t)
{
    int d = t->d;
    assert_true(d >= 1 && d <= CM_MAX_D);
    assert_int_equal(t->nnodes, 2 * d - 1);
    assert_int_equal(t->root, 2 * d - 2);
    assert_int_equal(t->rank[t->root], 1);
    assert_int_equal(t->parent[t->root], -1);
    for (int k = 0; k < d; k++) {
        assert_int_equal(t->left[k], -1);
        assert_int_equal(t->right[k], -1);
        assert_int_equal(t->mask[k], 1u << k);
    }
    for (int v = d; v < t->nnodes; v++) {
        int l = t->left[v], r = t->right[v];
        assert_true(l >= 0 && l < v); /* post-order: children first */
        assert_true(r >= 0 && r < v);
        assert_int_equal(t->parent[l], v);
        assert_int_equal(t->parent[r], v);
        assert_int_equal(t->mask[l] & t->mask[r], 0);
        assert_int_equal(t->mask[v], t->mask[l] | t->mask[r]);
        assert_true(low_bit(t->mask[l]) < low_bit(t->mask[r]));
    }
    for (int v = 0; v < t->nnodes; v++)
        if (v != t->root)
            assert_true(t->parent[v] >= d && t->parent[v] < t->nnodes);
    assert_int_equal(t->mask[t->root], (1u << d) - 1);
    for (int v = t->nnodes; v < CM_MAX_NODES; v++) { /* unused slots blank */
        assert_int_equal(t->left[v], -1);
        assert_int_equal(t->right[v], -1);
        assert_int_equal(t->parent[v], -1);
        assert_int_equal(t->rank[v], 0);
        assert_int_equal(t->mask[v], 0);
    }
}

/* parse(format(t)) must give back t exactly. */
static void check_roundtrip(const ht_tree *t)
{
    char buf[512];
    ht_format(t, buf, sizeof buf);
    ht_tree u = parse_ok(buf);
    assert_memory_equal(&u, t, sizeof u);
}

/* ------------------------------------------------------------------ */
/* Counting and enumeration                                             */
/* ------------------------------------------------------------------ */

/* (2d-3)!!: d=1,2 -> 1; 3 -> 3; 4 -> 3*5 = 15; 5 -> 15*7 = 105;
 * 6 -> 105*9 = 945; 7 -> 945*11 = 10395; 8 -> 10395*13 = 135135. */
static const int64_t n_trees[CM_MAX_D + 1] = {0, 1, 1, 3, 15, 105, 945, 10395, 135135};

static void test_count_trees(void **state)
{
    (void)state;
    for (int d = 1; d <= CM_MAX_D; d++)
        assert_int_equal(ht_count_trees(d), n_trees[d]);
    assert_int_equal(ht_count_trees(0), 0);
    /* 9 -> 135135*15 = 2027025 */
    assert_int_equal(ht_count_trees(9), 2027025);
    /* Far beyond int64: must report -1, not wrap. */
    assert_int_equal(ht_count_trees(1000), -1);
}

#define STRLEN 48 /* an unranked d=8 string is 8 + 7 + 14 = 29 chars */

typedef struct {
    int d;
    int64_t n;
    int64_t cap;
    char (*str)[STRLEN];
    uint64_t *sig;
} collect;

/* Cluster signature: the sorted masks of the non-leaf nodes.  A rooted
 * tree is determined by its clusters, so equal signatures = equal trees. */
static uint64_t cluster_sig(const ht_tree *t)
{
    unsigned m[CM_MAX_D];
    int n = 0;
    for (int v = t->d; v < t->nnodes; v++)
        m[n++] = t->mask[v];
    for (int i = 1; i < n; i++) /* insertion sort */
        for (int j = i; j > 0 && m[j - 1] > m[j]; j--) {
            unsigned x = m[j];
            m[j] = m[j - 1];
            m[j - 1] = x;
        }
    uint64_t s = 0;
    for (int i = 0; i < n; i++)
        s = (s << 8) | m[i];
    return s;
}

static int collect_fn(const ht_tree *t, void *ud)
{
    collect *c = ud;
    assert_true(c->n < c->cap);
    assert_int_equal(t->d, c->d);
    check_canonical(t);
    for (int v = 0; v < t->nnodes; v++)
        if (v != t->root)
            assert_int_equal(t->rank[v], 0);
    int n = ht_format(t, c->str[c->n], STRLEN);
    assert_true(n > 0 && n < STRLEN);
    c->sig[c->n] = cluster_sig(t);
    check_roundtrip(t);
    c->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_enumerate_all(void **state)
{
    (void)state;
    for (int d = 1; d <= CM_MAX_D; d++) {
        collect c = {d, 0, n_trees[d], NULL, NULL};
        c.str = calloc((size_t)c.cap, sizeof *c.str);
        c.sig = calloc((size_t)c.cap, sizeof *c.sig);
        assert_non_null(c.str);
        assert_non_null(c.sig);
        assert_int_equal(ht_enumerate(d, collect_fn, &c), 0);
        assert_int_equal(c.n, n_trees[d]);
        /* all distinct, by text and independently by cluster sets */
        qsort(c.str, (size_t)c.n, sizeof *c.str, cmp_str);
        qsort(c.sig, (size_t)c.n, sizeof *c.sig, cmp_u64);
        for (int64_t i = 1; i < c.n; i++) {
            assert_true(strcmp(c.str[i - 1], c.str[i]) < 0);
            assert_true(c.sig[i - 1] < c.sig[i]);
        }
        free(c.str);
        free(c.sig);
    }
}

typedef struct {
    int calls;
    int stop_at;
    char first[3][STRLEN];
} seq;

static int seq_fn(const ht_tree *t, void *ud)
{
    seq *s = ud;
    if (s->calls < 3)
        ht_format(t, s->first[s->calls], STRLEN);
    s->calls++;
    return s->calls == s->stop_at ? 7 : 0;
}

static void test_enumerate_stop_and_order(void **state)
{
    (void)state;
    /* Early stop: fn's non-zero value comes back, no further calls. */
    seq s = {0, 5, {""}};
    assert_int_equal(ht_enumerate(5, seq_fn, &s), 7);
    assert_int_equal(s.calls, 5);

    /* Stable order.  By leaf insertion: start from (1,2); mode 3 hangs
     * above leaf 1, leaf 2, then the root, giving ((1,3),2) = canonical
     * "((1,3),2)", (1,(2,3)), ((1,2),3).  Two runs agree. */
    seq a = {0, -1, {""}}, b = {0, -1, {""}};
    assert_int_equal(ht_enumerate(3, seq_fn, &a), 0);
    assert_int_equal(ht_enumerate(3, seq_fn, &b), 0);
    assert_int_equal(a.calls, 3);
    assert_string_equal(a.first[0], "((1,3),2)");
    assert_string_equal(a.first[1], "(1,(2,3))");
    assert_string_equal(a.first[2], "((1,2),3)");
    assert_memory_equal(&a, &b, sizeof a);

    /* Out-of-range d: nothing visited. */
    seq z = {0, -1, {""}};
    assert_int_equal(ht_enumerate(0, seq_fn, &z), 0);
    assert_int_equal(ht_enumerate(CM_MAX_D + 1, seq_fn, &z), 0);
    assert_int_equal(z.calls, 0);
}

static int count_fn(const ht_tree *t, void *ud)
{
    (void)t;
    (*(int64_t *)ud)++;
    return 0;
}

/* d = 8 on its own: the count, and a rough timing for the record. */
static void test_enumerate_d8_fast(void **state)
{
    (void)state;
    int64_t n = 0;
    clock_t t0 = clock();
    assert_int_equal(ht_enumerate(8, count_fn, &n), 0);
    double sec = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_int_equal(n, 135135);
    print_message("ht_enumerate(8): %lld trees in %.3f s\n", (long long)n, sec);
}

/* ------------------------------------------------------------------ */
/* Parsing and printing                                                 */
/* ------------------------------------------------------------------ */

static void test_parse_roundtrip(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"1", "1"},          /* d = 1: the single leaf is the root */
        {"1:1", "1"},        /* root rank 1 accepted, not printed */
        {"(1,2)", "(1,2)"},
        {"(2,1)", "(1,2)"},  /* children swapped into smallest-mode-first */
        {"((4,3),(2,1))", "((1,2),(3,4))"},
        {"(3,(1,2))", "((1,2),3)"},
        {"((1,3),(2,4))", "((1,3),(2,4))"},
        {"((4,2),(3,1))", "((1,3),(2,4))"}, /* (1,3) has the smaller min mode */
        {"((1:4,2:4):6,(3:4,4:4):6)", "((1:4,2:4):6,(3:4,4:4):6)"},
        {"((4:4,3:4):6,(2:4,1:4):6):1", "((1:4,2:4):6,(3:4,4:4):6)"},
        {" ( ( 1 : 4 , 2:4 ) : 6 ,\t(3:4,4:4):6 ) \n", "((1:4,2:4):6,(3:4,4:4):6)"},
        {"\r\n(1,2)\f:\v1", "(1,2)"},
        {"(((1:2,2:3):5,3:4):6,4:7)", "(((1:2,2:3):5,3:4):6,4:7)"},
        /* ranks travel with their nodes when children are swapped */
        {"(4:7,(3:4,(2:3,1:2):5):6)", "(((1:2,2:3):5,3:4):6,4:7)"},
        {"((1:3,2),3:2)", "((1:3,2),3:2)"}, /* unranked nodes print bare */
        {"(1:2147483647,2:1)", "(1:2147483647,2:1)"},
        {"(01,002:007)", "(1,2:7)"},        /* leading zeros are just digits */
        {"(((((((1,2),3),4),5),6),7),8)", "(((((((1,2),3),4),5),6),7),8)"},
        /* mirrored caterpillar with reversed labels is the caterpillar */
        {"(8,(7,(6,(5,(4,(3,(2,1)))))))", "(((((((1,2),3),4),5),6),7),8)"},
        {"(((8,7),(6,5)),((4,3),(2,1)))", "(((1,2),(3,4)),((5,6),(7,8)))"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ht_tree t = parse_ok(cases[i].in);
        check_canonical(&t);
        if (strcmp(fmt(&t), cases[i].out) != 0)
            fail_msg("\"%s\" printed as \"%s\", want \"%s\"", cases[i].in, fmt(&t),
                     cases[i].out);
        ht_tree u = parse_ok(cases[i].out);
        assert_memory_equal(&t, &u, sizeof t);
        check_roundtrip(&t);
    }
}

/* Node numbers of a few trees, worked out from the canonical rules. */
static void test_canonical_numbering(void **state)
{
    (void)state;
    /* ((1,3),(2,4)): post-order visits (1,3) -> node 4 = (0,2), mask 0101b;
     * (2,4) -> node 5 = (1,3), mask 1010b; root 6 = (4,5). */
    ht_tree t = parse_ok("((4:9,2),(3:5,1))");
    assert_int_equal(t.left[4], 0);
    assert_int_equal(t.right[4], 2);
    assert_int_equal(t.mask[4], 5u);
    assert_int_equal(t.left[5], 1);
    assert_int_equal(t.right[5], 3);
    assert_int_equal(t.mask[5], 10u);
    assert_int_equal(t.left[6], 4);
    assert_int_equal(t.right[6], 5);
    assert_int_equal(t.rank[3], 9); /* mode 4 = leaf 3 */
    assert_int_equal(t.rank[2], 5);
    assert_int_equal(t.rank[0], 0);
    assert_int_equal(t.parent[0], 4);
    assert_int_equal(t.parent[3], 5);

    /* (1,(2,3)): node 3 = (1,2) mask 110b, root 4 = (0,3). */
    t = parse_ok("((3,2),1)");
    assert_int_equal(t.left[3], 1);
    assert_int_equal(t.right[3], 2);
    assert_int_equal(t.left[4], 0);
    assert_int_equal(t.right[4], 3);

    /* d = 1: one node, the leaf, which is the root. */
    t = parse_ok("1");
    assert_int_equal(t.d, 1);
    assert_int_equal(t.nnodes, 1);
    assert_int_equal(t.root, 0);
    assert_int_equal(t.rank[0], 1);
    check_canonical(&t);
}

/* A hand-numbered, non-canonical tree canonicalizes to the parsed one. */
static void test_canonicalize_arbitrary(void **state)
{
    (void)state;
    /* (2:8,(4,(3,1):5):6) with internal ids in a scrambled order:
     * node 6 = (2,0) rank 5, node 4 = (3,6) rank 6, root 5 = (1,4). */
    ht_tree t;
    memset(&t, 0x5a, sizeof t); /* garbage everywhere that is not an input */
    t.d = 4;
    t.root = 5;
    t.left[6] = 2, t.right[6] = 0, t.rank[6] = 5;
    t.left[4] = 3, t.right[4] = 6, t.rank[4] = 6;
    t.left[5] = 1, t.right[5] = 4, t.rank[5] = 0;
    for (int k = 0; k < 4; k++)
        t.rank[k] = 0;
    t.rank[1] = 8;
    ht_canonicalize(&t);
    check_canonical(&t);
    /* canonical: ((1,3):5,4):6 has min mode 1 < 2, so it goes left */
    assert_string_equal(fmt(&t), "(((1,3):5,4):6,2:8)");
    ht_tree u = parse_ok("(2:8,(4,(3,1):5):6)");
    assert_memory_equal(&t, &u, sizeof t);
    /* idempotent */
    ht_canonicalize(&u);
    assert_memory_equal(&t, &u, sizeof t);
}

/* ------------------------------------------------------------------ */
/* Standard shapes                                                      */
/* ------------------------------------------------------------------ */

static void test_balanced_caterpillar(void **state)
{
    (void)state;
    /* Balanced: first ceil(d/2) modes left, recursively.
     * d=3: 2|1; d=5: 3|2 with 3 -> 2|1; d=6: 3|3; d=7: 4|3 with 3 -> 2|1. */
    static const char *bal[CM_MAX_D + 1] = {
        NULL,
        "1",
        "(1,2)",
        "((1,2),3)",
        "((1,2),(3,4))",
        "(((1,2),3),(4,5))",
        "(((1,2),3),((4,5),6))",
        "(((1,2),(3,4)),((5,6),7))",
        "(((1,2),(3,4)),((5,6),(7,8)))",
    };
    /* Caterpillar: mode k joins the tree of modes 1..k-1. */
    static const char *cat[CM_MAX_D + 1] = {
        NULL,
        "1",
        "(1,2)",
        "((1,2),3)",
        "(((1,2),3),4)",
        "((((1,2),3),4),5)",
        "(((((1,2),3),4),5),6)",
        "((((((1,2),3),4),5),6),7)",
        "(((((((1,2),3),4),5),6),7),8)",
    };
    for (int d = 1; d <= CM_MAX_D; d++) {
        ht_tree t, u;
        ht_balanced(d, &t);
        check_canonical(&t);
        assert_string_equal(fmt(&t), bal[d]);
        u = parse_ok(bal[d]);
        assert_memory_equal(&t, &u, sizeof t);

        ht_caterpillar(d, &t);
        check_canonical(&t);
        assert_string_equal(fmt(&t), cat[d]);
        u = parse_ok(cat[d]);
        assert_memory_equal(&t, &u, sizeof t);
    }
    /* Explicit numbering for d = 4.  Balanced: 4 = (0,1), 5 = (2,3),
     * 6 = (4,5).  Caterpillar: 4 = (0,1), 5 = (4,2), 6 = (5,3). */
    ht_tree b, c;
    ht_balanced(4, &b);
    ht_caterpillar(4, &c);
    int bl[] = {0, 2, 4}, br[] = {1, 3, 5}, cl[] = {0, 4, 5}, cr[] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(b.left[4 + i], bl[i]);
        assert_int_equal(b.right[4 + i], br[i]);
        assert_int_equal(c.left[4 + i], cl[i]);
        assert_int_equal(c.right[4 + i], cr[i]);
    }
}

/* ------------------------------------------------------------------ */
/* Ranks and labels                                                     */
/* ------------------------------------------------------------------ */

static void test_fill_check_ranks(void **state)
{
    (void)state;
    char err[CM_ERRLEN];
    ht_tree t = parse_ok("((1,2),(3,4))");
    err[0] = '\0';
    assert_int_equal(ht_check_ranks(&t, err, sizeof err), -1);
    assert_true(strstr(err, "not given") != NULL);
    ht_fill_ranks(&t, 4);
    assert_int_equal(ht_check_ranks(&t, err, sizeof err), 0);
    assert_string_equal(fmt(&t), "((1:4,2:4):4,(3:4,4:4):4)");
    assert_int_equal(t.rank[t.root], 1);

    /* given ranks are kept, only the missing ones filled */
    t = parse_ok("((1:2,2),3)");
    ht_fill_ranks(&t, 5);
    assert_string_equal(fmt(&t), "((1:2,2:5):5,3:5)");

    /* a negative rank (only reachable by editing the struct) is named */
    t.rank[3] = -3; /* leaves 0..2, node 3 = (1,2), root 4 */
    err[0] = '\0';
    assert_int_equal(ht_check_ranks(&t, err, sizeof err), -1);
    assert_true(strstr(err, "12") != NULL);
    assert_true(strstr(err, "-3") != NULL);

    /* a root rank other than 1 */
    t = parse_ok("(1:2,2:2)");
    t.rank[t.root] = 3;
    assert_int_equal(ht_check_ranks(&t, err, sizeof err), -1);

    /* d = 1 needs no rank at all */
    t = parse_ok("1");
    assert_int_equal(ht_check_ranks(&t, NULL, 0), 0);
}

static void test_node_label(void **state)
{
    (void)state;
    ht_tree t;
    char buf[CM_MAX_D + 1];
    ht_balanced(4, &t);
    ht_node_label(&t, 2, buf, sizeof buf);
    assert_string_equal(buf, "3");
    ht_node_label(&t, 5, buf, sizeof buf);
    assert_string_equal(buf, "34");
    ht_node_label(&t, 6, buf, sizeof buf);
    assert_string_equal(buf, "1234");
    ht_caterpillar(8, &t);
    ht_node_label(&t, t.root, buf, sizeof buf);
    assert_string_equal(buf, "12345678"); /* exactly fills 9 bytes */
    ht_node_label(&t, t.root, buf, 4);
    assert_string_equal(buf, "123");      /* truncated, terminated */
    t = parse_ok("((1,3),(2,4))");
    ht_node_label(&t, 5, buf, sizeof buf);
    assert_string_equal(buf, "24");
}

static void test_format_truncation(void **state)
{
    (void)state;
    ht_tree t = parse_ok("((1:4,2:4):6,(3:4,4:4):6)");
    const char *full = "((1:4,2:4):6,(3:4,4:4):6)"; /* 25 chars */
    char buf[32];
    assert_int_equal(ht_format(&t, NULL, 0), 25);
    memset(buf, 'x', sizeof buf);
    assert_int_equal(ht_format(&t, buf, 10), 25);
    assert_int_equal(buf[9], '\0');
    assert_memory_equal(buf, full, 9);
    assert_int_equal(buf[10], 'x'); /* nothing written past buflen */
    assert_int_equal(ht_format(&t, buf, 26), 25);
    assert_string_equal(buf, full);
    assert_int_equal(ht_format(&t, buf, 1), 25);
    assert_string_equal(buf, "");
}

/* ------------------------------------------------------------------ */
/* Hostile input                                                        */
/* ------------------------------------------------------------------ */

/* A failure must leave a non-empty single-line message and *t untouched. */
static void expect_bad(const char *s, const char *needle)
{
    ht_tree t, before;
    char err[CM_ERRLEN];
    memset(&t, 0xa5, sizeof t);
    before = t;
    memset(err, 0, sizeof err);
    int rc = ht_parse(s, &t, err, sizeof err);
    if (rc != -1)
        fail_msg("ht_parse accepted bad string \"%s\"", s ? s : "(null)");
    assert_true(err[0] != '\0');
    assert_null(strchr(err, '\n'));
    for (const char *c = err; *c; c++)
        assert_true((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
    if (needle && !strstr(err, needle))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", s, err, needle);
    assert_memory_equal(&t, &before, sizeof t);
    /* and the same without an error buffer */
    assert_int_equal(ht_parse(s, &t, NULL, 0), -1);
}

static void test_bad_strings(void **state)
{
    (void)state;
    static const struct {
        const char *s, *needle;
    } bad[] = {
        {"", "empty"},
        {"  \t\n", "empty"},
        {"(", "unbalanced"},
        {"((1,", "unbalanced"},
        {"((1,2)", "never closed"},
        {"((1,2),(3,4)", "never closed"},
        {"(1,2", "never closed"},
        {"(1,2))", "unbalanced"},
        {")", "unbalanced"},
        {"(1,2)x", "trailing"},
        {"(1,2)\n(3,4)", "trailing"},
        {"1 2", "trailing"},
        {"1,2", "trailing"},
        {"(1,2) 3", "trailing"},
        {"(1,1)", "repeated"},
        {"((1,2),(2,3))", "repeated"},
        {"(1,3)", "mode 2 missing"},
        {"((2,3),4)", "mode 1 missing"},
        {"2", "mode 1 missing"},
        {"(0,1)", "mode 0"},
        {"(1,9)", "out of range"},
        {"(1,123456789012345678901234567890)", "out of range"},
        {"(1,2,3)", "more than 2"},
        {"((1,2,3),4)", "more than 2"},
        {"(1)", "1 child"},
        {"((1),2)", "1 child"},
        {"()", "empty parentheses"},
        {"( )", "empty parentheses"},
        {"(1:0,2)", "bad rank"},
        {"(1:-1,2)", "bad rank"},
        {"(1:2147483648,2)", "bad rank"},
        {"(1:99999999999999999999999999,2)", "bad rank"},
        {"(1:,2)", "rank"},
        {"(1:x,2)", "rank"},
        {"(1:+4,2)", "rank"},
        {"(1:4:5,2)", "expected"},
        {"(1:4 5,2)", "expected"},
        {"(1,2):4", "root rank"},
        {"(1,2):0", "bad rank"},
        {"(1,2):", "rank"},
        {"(1,2):1:1", "trailing"},
        {"1:4", "root rank"},
        {"(1 2)", "expected"},
        {"(1,,2)", "expected"},
        {"(,1)", "expected"},
        {",1", "expected"},
        {"(1;2)", "expected"},
        {"(a,b)", "expected"},
        {"(-1,2)", "expected"},
        {"(+1,2)", "expected"},
        {"(1.5,2)", "expected"},
        {"(1,2)\x01", "0x01"},
        {"(1,\xff)", "0xff"},
        {":1", "expected"},
        {"(1,(2,3)", "never closed"},
        /* 9 modes: nesting 8 levels is already too deep */
        {"((((((((1,2),3),4),5),6),7),8),9)", "nested"},
        {"(((((((((1)))))))))", "nested"},
        {"((((1))))", "1 child"},
        /* 9 modes without deep nesting: mode 9 out of range */
        {"(((1,2),(3,4)),(((5,6),(7,8)),9))", "out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad(bad[i].s, bad[i].needle);
    expect_bad(NULL, NULL);

    /* a tiny error buffer is truncated, not overrun */
    char small[4] = "zzz";
    ht_tree t;
    assert_int_equal(ht_parse("(1,1)", &t, small, 1), -1);
    assert_int_equal(small[0], '\0');
    assert_int_equal(small[1], 'z');
}

/* Very long inputs: deep nesting, long runs of digits, blanks. */
static void test_long_inputs(void **state)
{
    (void)state;
    size_t n = 1000000;
    char *s = malloc(n + 8);
    assert_non_null(s);

    memset(s, '(', n);
    s[n] = '\0';
    expect_bad(s, "nested");

    memset(s, '1', n); /* a mode number with a million digits */
    s[n] = '\0';
    expect_bad(s, "out of range");

    s[0] = '(';
    s[1] = '1';
    s[2] = ':'; /* a rank with a million digits */
    s[n - 1] = ')';
    expect_bad(s, "bad rank");

    memset(s, ' ', n); /* blanks around a valid tree are fine */
    memcpy(s + n / 2, "(2,1)", 5);
    s[n] = '\0';
    ht_tree t = parse_ok(s);
    assert_string_equal(fmt(&t), "(1,2)");

    memset(s, ')', n); /* closing parentheses only */
    s[n] = '\0';
    expect_bad(s, "unbalanced");

    for (size_t i = 0; i + 1 < n; i += 2) { /* "1,1,1,...": trailing */
        s[i] = '1';
        s[i + 1] = ',';
    }
    expect_bad(s, "trailing");
    free(s);
}

/* Deterministic pseudo-random source, so failures reproduce. */
static uint32_t rng_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Any outcome is fine as long as it is consistent and memory-safe. */
static void fuzz_one(const char *s)
{
    ht_tree t;
    char err[CM_ERRLEN] = "";
    int rc = ht_parse(s, &t, err, sizeof err);
    assert_true(rc == 0 || rc == -1);
    if (rc == 0) {
        check_canonical(&t);
        check_roundtrip(&t);
    } else {
        assert_true(err[0] != '\0');
        assert_null(strchr(err, '\n'));
    }
}

static void test_fuzz(void **state)
{
    (void)state;
    static const char alphabet[] = "()(),,:12345678901 9\t-x";
    uint32_t x = 2463534242u;
    char s[64];
    int accepted = 0;

    for (int iter = 0; iter < 200000; iter++) {
        int len = (int)(rng_next(&x) % 40);
        for (int i = 0; i < len; i++)
            s[i] = alphabet[rng_next(&x) % (sizeof alphabet - 1)];
        s[len] = '\0';
        fuzz_one(s);
    }

    /* Every prefix and every one-character deletion of valid strings. */
    static const char *valid[] = {
        "((1:4,2:4):6,(3:4,4:4):6)",
        "(((((((1:2,2:3):4,3):5,4):6,5):7,6):8,7):9,8:10)",
        "(((8,7),(6,5)),((4,3),(2,1))):1",
    };
    for (size_t v = 0; v < sizeof valid / sizeof valid[0]; v++) {
        size_t len = strlen(valid[v]);
        for (size_t cut = 0; cut <= len; cut++) {
            memcpy(s, valid[v], cut);
            s[cut] = '\0';
            fuzz_one(s);
            memcpy(s, valid[v], cut);
            if (cut < len) {
                memcpy(s + cut, valid[v] + cut + 1, len - cut);
                ht_tree t;
                if (ht_parse(s, &t, NULL, 0) == 0)
                    accepted++;
                fuzz_one(s);
            }
        }
    }
    /* Of all one-character deletions, only dropping the '0' of ":10" in
     * the second string leaves a valid tree (rank 1); every other one
     * breaks a rank, a mode, a separator or the parentheses. */
    assert_int_equal(accepted, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_trees),
        cmocka_unit_test(test_enumerate_all),
        cmocka_unit_test(test_enumerate_stop_and_order),
        cmocka_unit_test(test_enumerate_d8_fast),
        cmocka_unit_test(test_parse_roundtrip),
        cmocka_unit_test(test_canonical_numbering),
        cmocka_unit_test(test_canonicalize_arbitrary),
        cmocka_unit_test(test_balanced_caterpillar),
        cmocka_unit_test(test_fill_check_ranks),
        cmocka_unit_test(test_node_label),
        cmocka_unit_test(test_format_truncation),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_long_inputs),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
