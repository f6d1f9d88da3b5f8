/*
 * test_accstage.c - the accuracy stage (dse/cmd/accstage.h, issue 13): the
 * halving rule against a brute-force non-dominated sorting; continuing a
 * training from the previous rung's checkpoint against training the larger
 * budget from scratch (bit for bit); and, through the dse binary on a tiny
 * space (8 networks, moving-fmnist clips of 3 frames): network identity,
 * the same accuracies twice, resume after SIGKILL retraining nothing
 * stored, `dse sweep --jobs 2` (rungs sharded) equal to one process, and
 * `dse pareto --objective accuracy:max` equal to a brute-force front.
 */
#include "test_util.h"

#include "accstage.h"
#include "cm_matvec.h"
#include "cm_point.h"
#include "traindata.h"
#include "train_ckpt.h"
#include "train_run.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>

static char g_dir[] = "/tmp/fdht-accstage-XXXXXX";
static char g_dse[4096], g_dse_raw[4096]; /* absolute: commands run in g_dir */

static void abs_bin(const char *p, char *out, size_t len)
{
    char cwd[2048];
    if (p[0] == '/' || !strchr(p, '/') || !getcwd(cwd, sizeof cwd))
        snprintf(out, len, "%s", p);
    else
        snprintf(out, len, "%s/%s", cwd, p);
}

/* The tiny space: 8 networks (HT over the 3 trees of d = 3 and TT, ranks 2
 * and 4), each on 2 hardware variants; 2 rungs (1, 3 epochs), eta 2. */
static const char SPEC[] =
    "version: 1\n"
    "name: acctest\n"
    "workload: {name: t, n_in: 784, hidden: 8, decomposition: concat}\n"
    "space:\n"
    "  formats: [ht, tt]\n"
    "  modes: {wx: {d: 3, pad: 0.05, limit: 1}}\n"
    "  trees: all\n"
    "  ranks: {values: [2, 4]}\n"
    "  orders: best\n"
    "  dataflows: wp\n"
    "  bank_maps: linear\n"
    "hardware: {tech: 28nm, pes: [4, 16], lanes: 8, banks: 8}\n"
    "search: {strategy: exhaustive, objectives: [params, energy_pj, accuracy:max]}\n"
    "accuracy:\n"
    "  dataset: \"moving-fmnist:frames=3,size=28x28x1,train=%d,val=16,test=64\"\n"
    "  epochs: 3\n"
    "  budgets: [1, 3]\n"
    "  eta: 2\n"
    "  batch: 16\n";

static void write_spec(const char *name, int train)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, SPEC, train);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(g_dir))
        return -1;
    abs_bin(tu_dse_bin(), g_dse, sizeof g_dse);
    abs_bin(tu_dse_bin_raw(), g_dse_raw, sizeof g_dse_raw);
    write_spec("s.yaml", 96);
    write_spec("k.yaml", tu_scaled(1200, 400));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return tu_rmrf(g_dir);
}

/* Runs a shell command in g_dir; its stdout into out (may be NULL). */
static int sh(char *out, size_t len, const char *fmt, ...)
{
    char cmd[2048], full[2300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && %s", g_dir, cmd);
    FILE *f = popen(full, "r");
    assert_non_null(f);
    size_t n = 0;
    char buf[4096];
    while (fgets(buf, sizeof buf, f))
        if (out && n + strlen(buf) < len) {
            memcpy(out + n, buf, strlen(buf) + 1);
            n += strlen(buf);
        }
    if (out && !n)
        out[0] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static sqlite3 *open_db(const char *name)
{
    char p[600];
    sqlite3 *h;
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    assert_int_equal(sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return h;
}

static long count(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The train table as text: net, epochs, seed and the accuracy's bits. */
static char *train_table(const char *db)
{
    sqlite3 *h = open_db(db);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT net, epochs, seed, printf('%a', test_accuracy)"
                                           " FROM train ORDER BY 1, 2, 3", -1, &st, NULL),
                     SQLITE_OK);
    size_t cap = 1 << 16, n = 0;
    char *t = calloc(cap, 1);
    assert_non_null(t);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = snprintf(t + n, cap - n, "%s|%d|%lld|%s\n", sqlite3_column_text(st, 0),
                         sqlite3_column_int(st, 1), (long long)sqlite3_column_int64(st, 2),
                         sqlite3_column_text(st, 3));
        assert_true(m > 0 && (size_t)m < cap - n);
        n += (size_t)m;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return t;
}

/* dse run of spec into db (once per db: later calls reuse it). */
static void run_once(const char *spec, const char *db)
{
    char p[600];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", g_dir, db);
    if (stat(p, &sb) == 0)
        return;
    assert_int_equal(sh(NULL, 0, "%s run %s --db %s --quiet", g_dse, spec, db), 0);
}

/* ---- the halving rule ---- */

/* Non-dominated sorting by definition: the rank of a row is 1 + the
 * longest chain of rows dominating it (0 when none does). */
static int dom(const double *a, const double *b, int k)
{
    int better = 0;
    for (int i = 0; i < k; i++) {
        if (a[i] > b[i])
            return 0;
        better |= a[i] < b[i];
    }
    return better;
}

static int rank_of(const double *v, size_t n, int k, size_t i, int *memo)
{
    if (memo[i] >= 0)
        return memo[i];
    int r = 0;
    for (size_t j = 0; j < n; j++)
        if (dom(v + j * (size_t)k, v + i * (size_t)k, k)) {
            int q = rank_of(v, n, k, j, memo) + 1;
            if (q > r)
                r = q;
        }
    return memo[i] = r;
}

static void check_keep(const double *v, size_t n, int k, size_t need)
{
    unsigned char keep[64];
    int memo[64], rank[64];
    long kept = acc_keep(v, n, k, need, keep);
    for (size_t i = 0; i < n; i++)
        memo[i] = -1;
    for (size_t i = 0; i < n; i++)
        rank[i] = rank_of(v, n, k, i, memo);
    /* the reference: the fewest whole ranks that hold at least need rows */
    int cut = -1;
    size_t got = 0;
    while (got < need && got < n) {
        cut++;
        got = 0;
        for (size_t i = 0; i < n; i++)
            got += rank[i] <= cut;
    }
    assert_int_equal(kept, (long)got);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(keep[i], rank[i] <= cut);
        for (size_t j = 0; j < n; j++) /* no row dropped while one it dominates survives */
            if (keep[j] && dom(v + i * (size_t)k, v + j * (size_t)k, k))
                assert_true(keep[i]);
    }
    assert_true(kept >= (long)(need < n ? need : n));
}

static void test_keep_rule(void **state)
{
    (void)state;
    /* By hand, (params, -accuracy): a=(1,-0.5) b=(2,-0.6) c=(2,-0.4)
     * d=(3,-0.7) e=(3,-0.5) f=(4,-0.3).  Fronts: {a,b,d}, {c,e}, {f}. */
    const double h[] = {1, -0.5, 2, -0.6, 2, -0.4, 3, -0.7, 3, -0.5, 4, -0.3};
    unsigned char keep[6];
    assert_int_equal(acc_keep(h, 6, 2, 2, keep), 3); /* ceil(6/3): the first front */
    const unsigned char want1[] = {1, 1, 0, 1, 0, 0};
    assert_memory_equal(keep, want1, 6);
    assert_int_equal(acc_keep(h, 6, 2, 4, keep), 5); /* 4: two fronts */
    const unsigned char want2[] = {1, 1, 1, 1, 1, 0};
    assert_memory_equal(keep, want2, 6);
    assert_int_equal(acc_keep(h, 6, 2, 9, keep), 6);
    check_keep(h, 6, 2, 2);
    /* random rows with many ties (values 0..3), k = 2..4, every need */
    uint64_t s = 12345;
    for (int t = 0; t < 300; t++) {
        size_t n = 1 + (size_t)(cm_rand_next(&s) % 40);
        int k = 2 + (int)(cm_rand_next(&s) % 3);
        double v[64 * 4];
        for (size_t i = 0; i < n * (size_t)k; i++)
            v[i] = (double)(cm_rand_next(&s) % 4);
        size_t need = 1 + (size_t)(cm_rand_next(&s) % (n + 1));
        check_keep(v, n, k, need);
    }
}

/* ---- continuing from a checkpoint ---- */

static void test_continue_bits(void **state)
{
    (void)state;
    const char *net = "lstm;nin=784;h=8;dec=concat;pad=792/wx;f=ht;m=4x4x2;n=11x9x8;"
                      "t=((1:2,3:2):2,2:2)";
    char err[256], dir[600];
    td_set *d;
    if (td_open("moving-fmnist:frames=3,size=28x28x1,train=96,val=16,test=64", 784, &d, err,
                sizeof err))
        fail_msg("%s", err);
    snprintf(dir, sizeof dir, "%s/ckpt-continue", g_dir);
    train_opts o;
    memset(&o, 0, sizeof o);
    o.point = net;
    o.batch = 16;
    o.lr = 0.01;
    o.clip = 1;
    o.seed = 7;
    train_result a, b, c;
    /* 3 epochs from scratch, no checkpoint */
    o.epochs = 3;
    assert_int_equal(train_fit(&o, d, &a), 0);
    assert_int_equal(a.epochs_run, 3);
    /* 1 epoch saved, then continued to 3 */
    o.save = dir;
    o.epochs = 1;
    assert_int_equal(train_fit(&o, d, &b), 0);
    o.epochs = 3;
    assert_int_equal(train_fit(&o, d, &c), 0);
    assert_int_equal(c.resumed_from, 1);
    assert_int_equal(c.epochs_run, 2);
    assert_true(c.test_accuracy == a.test_accuracy);
    assert_true(c.test_loss == a.test_loss);
    assert_true(c.val_accuracy == a.val_accuracy);
    /* a smaller budget than the checkpoint holds: from scratch, the same
     * bits as the 1-epoch run */
    o.epochs = 1;
    assert_int_equal(train_fit(&o, d, &c), 0);
    assert_int_equal(c.resumed_from, 0);
    assert_true(c.test_loss == b.test_loss);

    /* a stop request (Ctrl-C) ends a training before its next epoch: set
     * before the start, nothing is trained and no checkpoint is written;
     * set after 1 epoch, the checkpoint keeps that epoch, and continuing
     * without the request gives the bits of the uninterrupted run */
    volatile sig_atomic_t stop = 1;
    char dir2[700], ck[800];
    struct stat sb;
    snprintf(dir2, sizeof dir2, "%s-stopped", dir);
    snprintf(ck, sizeof ck, "%s/" CKPT_FILE, dir2);
    o.save = dir2;
    o.stop = &stop;
    o.epochs = 3;
    assert_int_equal(train_fit(&o, d, &c), TRAIN_STOPPED);
    assert_int_not_equal(stat(ck, &sb), 0);
    stop = 0;
    o.epochs = 1;
    assert_int_equal(train_fit(&o, d, &c), 0);
    stop = 1;
    o.epochs = 3;
    assert_int_equal(train_fit(&o, d, &c), TRAIN_STOPPED);
    stop = 0;
    assert_int_equal(train_fit(&o, d, &c), 0);
    assert_int_equal(c.resumed_from, 1); /* the stopped call trained nothing more */
    assert_true(c.test_loss == a.test_loss);
    assert_true(c.val_accuracy == a.val_accuracy);
    td_close(d);
}

/* ---- through dse ---- */

/* The network of a point string (cm_point_format_net). */
static void net_of(const char *point, char *net, size_t len)
{
    cm_point p;
    char err[256];
    if (cm_point_parse_net(point, &p, err, sizeof err))
        fail_msg("%s: %s", point, err);
    assert_true(cm_point_format_net(&p, net, len) >= 0);
}

/* The accuracy of every point of db's results, by point string order. */
static int point_accs(sqlite3 *h, char (*nets)[CM_POINT_MAXLEN], double *acc, int max)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT point, accuracy, accuracy_n FROM results "
                                           "ORDER BY id", -1, &st, NULL), SQLITE_OK);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < max) {
        net_of((const char *)sqlite3_column_text(st, 0), nets[n], sizeof nets[n]);
        assert_int_equal(sqlite3_column_type(st, 1), SQLITE_FLOAT);
        acc[n] = sqlite3_column_double(st, 1);
        assert_int_equal(sqlite3_column_int(st, 2), 1); /* one seed, one row */
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

/*
 * 16 points, 8 networks: HT over the 3 rooted trees of d = 3 at ranks 2
 * and 4, and TT at ranks 2 and 4.  At d = 3 the 3 rooted trees are one
 * unrooted tree (a star), so with equal ranks they are one class: 4
 * classes (HT r2, HT r4, TT r2, TT r4), each trained once, its row copied
 * to the other networks of the class.
 */
static void test_network_identity(void **state)
{
    (void)state;
    run_once("s.yaml", "a.db");
    sqlite3 *h = open_db("a.db");
    assert_int_equal(count(h, "SELECT count(*) FROM point"), 16);
    /* every network has a row at rung 0; 4 of them are trainings */
    assert_int_equal(count(h, "SELECT count(DISTINCT net) FROM train"), 8);
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE epochs = 1"), 8);
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE epochs = 1"
                              " AND shared_from IS NULL"), 4);
    assert_int_equal(count(h, "SELECT count(*) FROM (SELECT DISTINCT net, epochs, seed FROM "
                              "train)"), count(h, "SELECT count(*) FROM train"));
    /* the HT rank-2 class: its representative (smallest tree text,
     * ((1:2,2:2):2,3:2)) trained, the two other rootings copies of it */
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE epochs = 1 AND net LIKE "
                              "'%f=ht;%' AND net NOT LIKE '%:4%' AND shared_from IS NULL"), 1);
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE epochs = 1 AND net LIKE "
                              "'%t=((1:2,2:2):2,3:2)' AND shared_from IS NULL"), 1);
    assert_int_equal(count(h, "SELECT count(*) FROM train c JOIN train t ON t.net ="
                              " c.shared_from AND t.epochs = c.epochs AND t.seed = c.seed"
                              " WHERE c.shared_from IS NOT NULL AND t.shared_from IS NULL"
                              " AND c.test_accuracy = t.test_accuracy"),
                     count(h, "SELECT count(*) FROM train WHERE shared_from IS NOT NULL"));
    char nets[16][CM_POINT_MAXLEN];
    double acc[16];
    int n = point_accs(h, nets, acc, 16);
    assert_int_equal(n, 16);
    int same_net = 0, same_class = 0, other = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            int ht = strstr(nets[i], "f=ht") && strstr(nets[j], "f=ht");
            int r4i = !!strstr(nets[i], ":4"), r4j = !!strstr(nets[j], ":4");
            if (!strcmp(nets[i], nets[j])) { /* two hardware variants */
                assert_true(acc[i] == acc[j]);
                same_net++;
            } else if (ht && r4i == r4j) { /* two rootings, same ranks: one class */
                assert_true(acc[i] == acc[j]);
                same_class++;
            } else if (ht) { /* other edge ranks: another class */
                other++;
            }
        }
    assert_int_equal(same_net, 8);
    assert_int_equal(same_class, 2 * 12); /* per rank: 6 points, 15 pairs, 3 same-net */
    assert_int_equal(other, 36);
    /* ... trained on its own: one training per HT rank */
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE epochs = 1 AND net LIKE"
                              " '%f=ht;%' AND shared_from IS NULL"), 2);
    sqlite3_close(h);
}

/* dse train --db of a d = 4 network: its row, and a copy for each of the 4
 * other rootings of its unrooted tree (splits 1, 2, 3, 4 and 12|34), none
 * for a tree of another unrooted topology (13|24); a second member trained
 * keeps its own row and leaves the first's copies as they are. */
static void test_train_db_class(void **state)
{
    (void)state;
    const char *pre = "lstm;nin=784;h=8;dec=concat;pad=792/wx;f=ht;m=2x2x2x4;n=2x4x9x11;t=";
    const char *data = "moving-fmnist:frames=3,size=28x28x1,train=32,val=16,test=32";
    assert_int_equal(sh(NULL, 0, "%s train --point '%s((1:2,2:2):2,(3:2,4:2):2)' --data '%s' "
                                 "--epochs 1 --batch 16 --db t.db >/dev/null 2>&1",
                        g_dse, pre, data), 0);
    sqlite3 *h = open_db("t.db");
    assert_int_equal(count(h, "SELECT count(*) FROM train"), 5);
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE shared_from IS NULL AND net LIKE"
                              " '%t=((1:2,2:2):2,(3:2,4:2):2)'"), 1);
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE shared_from LIKE"
                              " '%t=((1:2,2:2):2,(3:2,4:2):2)'"), 4);
    /* the caterpillar rooted on leaf 4's edge: same class, a copy */
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE net LIKE"
                              " '%t=(((1:2,2:2):2,3:2):2,4:2)'"), 1);
    /* ((1,3),(2,4)): another unrooted tree, no row */
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE net LIKE '%(1:2,3:2)%'"), 0);
    sqlite3_close(h);
    assert_int_equal(sh(NULL, 0, "%s train --point '%s(((1:2,2:2):2,3:2):2,4:2)' --data '%s' "
                                 "--epochs 1 --batch 16 --seed 2 --db t.db >/dev/null 2>&1",
                        g_dse, pre, data), 0);
    assert_int_equal(sh(NULL, 0, "%s train --point '%s(((1:2,2:2):2,3:2):2,4:2)' --data '%s' "
                                 "--epochs 1 --batch 16 --db t.db >/dev/null 2>&1",
                        g_dse, pre, data), 0);
    h = open_db("t.db");
    assert_int_equal(count(h, "SELECT count(*) FROM train"), 10); /* 5 per seed */
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE shared_from IS NULL"), 3);
    /* seed 1: the caterpillar's own training replaced its copy; the 3
     * other copies still name the balanced tree */
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE seed = 1 AND shared_from LIKE"
                              " '%t=((1:2,2:2):2,(3:2,4:2):2)'"), 3);
    sqlite3_close(h);
}

static void test_same_twice(void **state)
{
    (void)state;
    run_once("s.yaml", "a.db");
    run_once("s.yaml", "b.db");
    char *a = train_table("a.db"), *b = train_table("b.db");
    assert_true(strlen(a) > 0);
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* run again: every result found stored, nothing trained */
    char out[8192];
    assert_int_equal(sh(out, sizeof out, "%s run s.yaml --db a.db", g_dse), 0);
    assert_non_null(strstr(out, "accuracy: 0 trainings now"));
}

static void trainings(const char *out, long *now, long *found);

/* A longer final budget in another spec over the same points (stored by
 * the first spec's run): every point is seen, rung 0 is reused, and the 4
 * epochs continue from the 3-epoch checkpoints (1 epoch each). */
static void test_changed_spec(void **state)
{
    (void)state;
    char out[8192];
    assert_int_equal(sh(NULL, 0, "%s run s.yaml --db c.db --quiet >/dev/null", g_dse), 0);
    assert_int_equal(sh(NULL, 0, "sed 's/epochs: 3/epochs: 4/; s/\\[1, 3\\]/[1, 4]/' s.yaml "
                                 "> s4.yaml"), 0);
    assert_int_equal(sh(out, sizeof out, "%s run s4.yaml --db c.db", g_dse), 0);
    assert_non_null(strstr(out, "accuracy: 8 networks in 4 classes of 16 valid points"));
    long now, found, epochs;
    const char *p = strstr(out, "trainings now (");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "trainings now (%ld epochs", &epochs), 1);
    trainings(out, &now, &found);
    assert_int_equal(found, 4);          /* rung 0: the 4 classes at 1 epoch */
    assert_int_equal(epochs, now);       /* each survivor: one epoch more */
    sqlite3 *h = open_db("c.db");
    assert_int_equal(count(h, "SELECT count(*) FROM train WHERE epochs = 4"
                              " AND shared_from IS NULL"), now);
    sqlite3_close(h);
    /* A spec of another space (one of the two PE counts) over points all
     * stored by s.yaml's run: a rung on its own, as dse sweep starts it,
     * still sees them, since they belong to its run too (run membership). */
    assert_int_equal(sh(NULL, 0, "sed 's/pes: \\[4, 16\\]/pes: 16/' s4.yaml > s5.yaml"), 0);
    assert_int_equal(sh(NULL, 0, "%s run s5.yaml --db c.db --quiet >/dev/null 2>&1", g_dse), 0);
    assert_int_equal(sh(out, sizeof out, "%s run s5.yaml --rung 1 --db c.db 2>&1", g_dse), 0);
    assert_non_null(strstr(out, "8 networks in 4 classes of 8 valid points"));
    trainings(out, &now, &found);
    assert_int_equal(now, 0);
}

/* The n of "N trainings now" and "M found stored" of dse run's summary. */
static void trainings(const char *out, long *now, long *found)
{
    for (const char *p = out; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        /* "accuracy: N trainings now (E epoch[s], S CPU-s), M found stored";
         * %n is set only when the whole literal before it matched */
        int at = 0;
        const char *eol = strchr(p, '\n'), *q = strstr(p, "CPU-s), ");
        if (sscanf(p, "accuracy: %ld trainings now (%n", now, &at) == 1 && at && q &&
            (!eol || q < eol) && sscanf(q, "CPU-s), %ld found stored", found) == 1)
            return;
    }
    fail_msg("no trainings line in: %s", out);
}

static void test_kill_resume(void **state)
{
    (void)state;
    char out[8192], p[600];
    run_once("k.yaml", "ref.db");
    long total;
    {
        sqlite3 *h = open_db("ref.db");
        total = count(h, "SELECT count(*) FROM train WHERE shared_from IS NULL");
        sqlite3_close(h);
    }
    /* kill once at least two trainings are stored */
    snprintf(p, sizeof p, "%s/kill.db", g_dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(g_dir))
            _exit(127);
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execl(g_dse_raw, "dse", "run", "k.yaml", "--db", "kill.db", "--quiet",
              (char *)NULL);
        _exit(127);
    }
    long stored = 0;
    int st = 0, finished = 0;
    for (int i = 0; i < 3000 && stored < 2; i++) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
        if (waitpid(pid, &st, WNOHANG) == pid) {
            finished = 1;
            break;
        }
        sqlite3 *h;
        if (sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            sqlite3_stmt *q;
            if (sqlite3_prepare_v2(h, "SELECT count(*) FROM train WHERE shared_from IS NULL", -1,
                                   &q, NULL) == SQLITE_OK &&
                sqlite3_step(q) == SQLITE_ROW)
                stored = sqlite3_column_int64(q, 0);
            sqlite3_finalize(q);
        }
        sqlite3_close(h);
    }
    if (!finished) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    assert_false(finished); /* the space is big enough to be killed midway */
    sqlite3 *h = open_db("kill.db");
    long before = count(h, "SELECT count(*) FROM train WHERE shared_from IS NULL");
    sqlite3_close(h);
    assert_true(before >= 2 && before < total);
    assert_int_equal(sh(out, sizeof out, "%s run k.yaml --db kill.db", g_dse), 0);
    long now, found;
    trainings(out, &now, &found);
    assert_int_equal(found, before); /* nothing stored is trained again */
    assert_int_equal(now + found, total);
    char *a = train_table("ref.db"), *b = train_table("kill.db");
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_sweep_equals_run(void **state)
{
    (void)state;
    char out[8192];
    run_once("s.yaml", "a.db");
    int rc = sh(out, sizeof out, "%s sweep s.yaml --jobs 2 --db sw/s.db --quiet 2>&1",
                g_dse);
    if (rc)
        fail_msg("dse sweep: status %d: %s", rc, out);
    char *a = train_table("a.db"), *b = train_table("sw/s.db");
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* a rung beyond the schedule: refused */
    assert_int_equal(sh(NULL, 0, "%s run s.yaml --db a.db --rung 2 2>/dev/null", g_dse), 2);
}

/* dse pareto over (params min, energy min, accuracy max) against the
 * quadratic definition over the results view. */
static void test_pareto_accuracy(void **state)
{
    (void)state;
    run_once("s.yaml", "a.db");
    sqlite3 *h = open_db("a.db");
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT id, params, energy_pj, accuracy FROM results"
                                           " WHERE accuracy IS NOT NULL ORDER BY id", -1, &st,
                                        NULL), SQLITE_OK);
    long id[64];
    double v[64][3];
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < 64) {
        id[n] = (long)sqlite3_column_int64(st, 0);
        v[n][0] = sqlite3_column_double(st, 1);
        v[n][1] = sqlite3_column_double(st, 2);
        v[n][2] = -sqlite3_column_double(st, 3);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_int_equal(n, 16);
    char want[1024] = "", out[16384];
    for (int i = 0; i < n; i++) {
        int dominated = 0;
        for (int j = 0; j < n && !dominated; j++)
            dominated = dom(v[j], v[i], 3);
        if (!dominated)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%ld\n", id[i]);
    }
    assert_int_equal(sh(out, sizeof out, "%s pareto --db a.db --objective params:min "
                                         "--objective energy_pj:min --objective accuracy:max "
                                         "--format csv 2>/dev/null | tail -n +2 | cut -d, -f1 | "
                                         "sort -n", g_dse), 0);
    assert_true(strlen(want) > 0);
    assert_string_equal(out, want);
    /* accuracy alone takes its natural direction, max */
    assert_int_equal(sh(out, sizeof out, "%s pareto --db a.db --objective params,energy_pj,"
                                         "accuracy --format csv 2>/dev/null | tail -n +2 | "
                                         "cut -d, -f1 | sort -n", g_dse), 0);
    assert_string_equal(out, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_rule),
        cmocka_unit_test(test_continue_bits),
        cmocka_unit_test(test_network_identity),
        cmocka_unit_test(test_train_db_class),
        cmocka_unit_test(test_same_twice),
        cmocka_unit_test(test_changed_spec),
        cmocka_unit_test(test_kill_resume),
        cmocka_unit_test(test_sweep_equals_run),
        cmocka_unit_test(test_pareto_accuracy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
