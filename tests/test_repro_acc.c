/*
 * test_repro_acc.c - the accuracy section of `dse reproduce --accuracy`
 * (dse/cmd/repro_acc.c): the selection rule on hand-made candidates and on
 * hand-made stored rows, the whole path on a tiny budget (trainings stored,
 * a second call trains nothing, edited stored accuracies change the
 * selected FDHT design), and bad input.
 *
 * The tiny budget (2 frames of 160x120x3, 16 training clips, 1 epoch) keeps
 * the trainings to a fraction of a second; the sweeps of dse reproduce
 * (a few seconds) dominate and do not shrink.
 */
#include "test_util.h"

#include "repro_impl.h"

#include <math.h>
#include <sqlite3.h>

#define TINY "moving-fmnist:frames=2,train=16,val=8,test=8"

/* ---- the rule on hand-made rows ---- */

static repro_acc_row cand(const char *point, double val, double test, double score)
{
    repro_acc_row r;
    memset(&r, 0, sizeof r);
    r.model = "FDHT-LSTM";
    r.fdht = 1;
    snprintf(r.point, sizeof r.point, "%s", point);
    snprintf(r.net, sizeof r.net, "%s", point);
    r.val_acc = val;
    r.test_acc = test;
    r.score = score;
    return r;
}

static void test_pick_rule(void **state)
{
    (void)state;
    repro_acc_row r[4];
    /* a baseline row, more accurate than any candidate, is never picked */
    r[0] = cand("tt", 0.99, 0.99, NAN);
    r[0].fdht = 0;
    /* the more accurate candidate wins over the better hardware score */
    r[1] = cand("a", 0.40, 0.90, 3.0);
    r[2] = cand("b", 0.45, 0.10, 1.0);
    assert_int_equal(repro_acc_pick(r, 3), 2);
    /* validation, not test, accuracy ranks: b stays ahead of a test-better c */
    r[3] = cand("c", 0.44, 0.95, 9.0);
    assert_int_equal(repro_acc_pick(r, 4), 2);
    /* equal accuracies: the larger hardware score */
    r[3].val_acc = 0.45;
    assert_int_equal(repro_acc_pick(r, 4), 3);
    /* equal score as well: the smaller point string ("b" < "c") */
    r[3].score = 1.0;
    assert_int_equal(repro_acc_pick(r, 4), 2);
    /* no validation split: the test accuracy stands in */
    r[1].val_acc = r[2].val_acc = r[3].val_acc = NAN;
    assert_int_equal(repro_acc_pick(r, 4), 3);
    /* no candidate with an accuracy */
    r[1].test_acc = r[2].test_acc = r[3].test_acc = NAN;
    assert_int_equal(repro_acc_pick(r, 4), -1);
}

/* Stored rows written by hand (db_put_train), read back under the section's
 * key and ranked: the rule sees what the database holds. */
static void test_stored_rows(void **state)
{
    (void)state;
    char err[CM_ERRLEN];
    db_conn *db;
    assert_int_equal(db_open(tu_path("hand.db"), DB_CREATE, &db, err, sizeof err), 0);
    repro_acc A;
    memset(&A, 0, sizeof A);
    snprintf(A.data, sizeof A.data, "moving-fmnist:test");
    snprintf(A.data_hash, sizeof A.data_hash, "0123456789abcdef");
    A.epochs = 2;
    A.batch = 32;
    A.lr = 0.01;
    A.seed = 1;
    repro_acc_row r[3] = {cand("net-hi-score", NAN, NAN, 2.0), cand("net-lo-score", NAN, NAN, 1.0),
                          cand("net-unstored", NAN, NAN, 5.0)};
    static const double val[2] = {0.30, 0.35}, test[2] = {0.5, 0.4};
    for (int i = 0; i < 2; i++) {
        db_train_row w = {r[i].net, A.data, A.data_hash, A.epochs, A.batch, A.lr, A.seed, 16,
                          3200, test[i], 1.0, 0.5, val[i], 1.0};
        assert_int_equal(db_put_train(db, &w, err, sizeof err), 0);
    }
    /* a row of another budget is not this section's */
    db_train_row other = {r[2].net, A.data, A.data_hash, 3, A.batch, A.lr, A.seed, 16, 3200,
                          0.9, 1.0, 0.5, 0.9, 1.0};
    assert_int_equal(db_put_train(db, &other, err, sizeof err), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(repro_acc_lookup(db, &A, &r[i], err, sizeof err), i < 2);
    assert_true(r[0].val_acc == 0.30 && r[1].val_acc == 0.35 && r[1].test_acc == 0.4);
    assert_true(isnan(r[2].val_acc));
    assert_int_equal(repro_acc_pick(r, 3), 1); /* 0.35 > 0.30 despite the score */
    r[0].val_acc = r[1].val_acc;               /* a tie: the hardware score */
    assert_int_equal(repro_acc_pick(r, 3), 0);
    db_close(db);
}

/* ---- the whole path ---- */

static int count_rows(const char *db)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM train", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void exec_sql(const char *db, const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

/* Field k (0-based) of a CSV line, quotes removed, into buf. */
static void csv_field(const char *line, int k, char *buf, size_t n)
{
    int f = 0, q = 0;
    size_t o = 0;
    for (const char *p = line; *p && *p != '\n'; p++) {
        if (*p == '"')
            q = !q;
        else if (*p == ',' && !q)
            f++;
        else if (f == k && o + 1 < n)
            buf[o++] = *p;
    }
    buf[o] = '\0';
}

/* The FDHT rows of reproduce_accuracy.csv: networks and points, in table
 * order (best hardware score first); the index of the selected one. */
typedef struct {
    int n, selected;
    char net[REPRO_ACC_CANDS][CM_POINT_MAXLEN], point[REPRO_ACC_CANDS][CM_POINT_MAXLEN];
} fdht_rows;

static void read_rows(fdht_rows *F)
{
    char *t = tu_slurp(tu_path("out/reproduce_accuracy.csv")), role[32];
    memset(F, 0, sizeof *F);
    F->selected = -1;
    for (const char *l = strchr(t, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        if (strncmp(l + 1, "FDHT-LSTM,", 10))
            continue;
        assert_true(F->n < REPRO_ACC_CANDS);
        csv_field(l + 1, 1, role, sizeof role);
        if (!strcmp(role, "selected"))
            F->selected = F->n;
        csv_field(l + 1, 9, F->net[F->n], sizeof F->net[0]);
        csv_field(l + 1, 10, F->point[F->n], sizeof F->point[0]);
        F->n++;
    }
    free(t);
}

/* The FDHT design the hardware table uses (reproduce_designs.csv). */
static int design_is(const char *point)
{
    char *t = tu_slurp(tu_path("out/reproduce_designs.csv")), p[CM_POINT_MAXLEN];
    const char *l = strstr(t, "\nLSTM-UCF,FDHT (selected),");
    assert_non_null(l);
    csv_field(l + 1, 12, p, sizeof p);
    free(t);
    return !strcmp(p, point);
}

static int reproduce(void)
{
    return tu_dse(NULL, NULL, "reproduce --db '%s' --out '%s' --no-functional --json --accuracy "
                              "--acc-data '" TINY "' --acc-epochs 1",
                  tu_path("r.db"), tu_path("out"));
}

static void test_stored_not_retrained(void **state)
{
    (void)state;
    assert_int_equal(reproduce(), 0);
    char *first = strdup(tu_out);
    fdht_rows F;
    read_rows(&F);
    /* TT-LSTM and 2..3 FDHT candidates, each stored once */
    assert_true(F.n >= 2);
    assert_int_equal(count_rows(tu_path("r.db")), 1 + F.n);
    assert_non_null(strstr(tu_err, "CPU-s), 0 found stored"));
    assert_non_null(strstr(first, ",\"accuracy\":{\"data\":"));
    assert_true(F.selected >= 0 && design_is(F.point[F.selected]));

    /* again: every training found stored, nothing trained, the same bytes */
    assert_int_equal(reproduce(), 0);
    assert_non_null(strstr(tu_err, "accuracy: 0 trained"));
    assert_int_equal(count_rows(tu_path("r.db")), 1 + F.n);
    assert_string_equal(tu_out, first);
    free(first);

    /* hand-made accuracies: the candidate of the lowest hardware score is
     * made the most accurate, and is selected, its design in the tables */
    char sql[3 * CM_POINT_MAXLEN];
    int last = F.n - 1;
    snprintf(sql, sizeof sql, "UPDATE train SET val_accuracy = CASE net WHEN '%s' THEN 0.9 "
                              "ELSE 0.1 END WHERE net LIKE '%%f=ht;%%'", F.net[last]);
    exec_sql(tu_path("r.db"), sql);
    assert_int_equal(reproduce(), 0);
    assert_non_null(strstr(tu_err, "accuracy: 0 trained"));
    fdht_rows G;
    read_rows(&G);
    assert_int_equal(G.selected, last);
    assert_true(design_is(F.point[last]));

    /* a tie between all candidates: the best hardware score, the first row */
    exec_sql(tu_path("r.db"), "UPDATE train SET val_accuracy = 0.5 WHERE net LIKE '%f=ht;%'");
    assert_int_equal(reproduce(), 0);
    read_rows(&G);
    assert_int_equal(G.selected, 0);
    assert_true(design_is(F.point[0]));

    /* without --accuracy: no accuracy member, the section says how */
    assert_int_equal(tu_dse(NULL, NULL, "reproduce --db '%s' --out '%s' --no-functional --json",
                            tu_path("r.db"), tu_path("out")), 0);
    assert_null(strstr(tu_out, "\"accuracy\""));
    assert_int_equal(tu_dse(NULL, NULL, "reproduce --db '%s' --out '%s' --no-functional",
                            tu_path("r.db"), tu_path("out")), 0);
    assert_non_null(strstr(tu_out, "## 6. Accuracy\n\nNot measured in this run."));
}

static void test_bad_input(void **state)
{
    (void)state;
    int rc = tu_dse(NULL, NULL, "reproduce --accuracy --no-db --out '%s'", tu_path("bad"));
    tu_assert_bad(rc, "reproduce", "--no-db");
    rc = tu_dse(NULL, NULL, "reproduce --dense --db '%s'", tu_path("bad.db"));
    tu_assert_bad(rc, "reproduce", "go with --accuracy");
    rc = tu_dse(NULL, NULL, "reproduce --accuracy --acc-epochs 0 --db '%s'", tu_path("bad.db"));
    tu_assert_bad(rc, "reproduce", "--acc-epochs");
    /* refused before any sweep or database: nothing created */
    rc = tu_dse(NULL, NULL, "reproduce --accuracy --acc-data 'moving-fmnist:bogus=1' --db '%s' "
                            "--out '%s'", tu_path("bad.db"), tu_path("bad"));
    tu_assert_bad(rc, "reproduce", "bogus");
    rc = tu_dse(NULL, NULL, "reproduce --accuracy --acc-data '%s' --db '%s' --out '%s'",
                tu_dir, tu_path("bad.db"), tu_path("bad"));
    tu_assert_bad(rc, "reproduce", "built-in moving-fmnist");
    assert_int_not_equal(access(tu_path("bad.db"), F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_rule),
        cmocka_unit_test(test_stored_rows),
        cmocka_unit_test(test_stored_not_retrained),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
