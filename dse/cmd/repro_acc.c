/*
 * repro_acc.c - the accuracy section of `dse reproduce --accuracy`
 * (repro.h, docs/REPRODUCE.md "Accuracy"): the TT-LSTM network of TIE
 * (LSTM-UCF), the few best FDHT networks of the hardware front and, on
 * request, the dense LSTM, trained by dse train's trainer (train_fit) on the
 * built-in moving-fmnist clips at the paper's frame size (160x120x3, N_in
 * 57,600, H 256), and the accuracy rule that selects the FDHT network.
 *
 * Every training is a row of the database's `train` table, keyed by
 * (network, data hash, epochs, batch, lr, seed) like the accuracy stage's
 * (accstage.c): a stored row is never trained again, and a training killed
 * half-way continues from its per-epoch checkpoint (DB.ckpt/, the accuracy
 * stage's layout, so the two share checkpoints) with the bits of an
 * uninterrupted one.  Nothing here depends on time or thread count.
 */
#include "repro_impl.h"

#include "drive.h"
#include "traindata.h"
#include "train_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the hardware front's best points, one per network ---- */

void repro_top_offer(repro_top *t, double score, const char *point)
{
    if (!isfinite(score))
        return;
    /* position: after every better entry (larger score, or equal score and a
     * smaller point string: the hardware rule's order) */
    int i = t->n;
    while (i > 0 && (t->c[i - 1].score < score ||
                     (t->c[i - 1].score == score && strcmp(t->c[i - 1].point, point) > 0)))
        i--;
    if (i >= REPRO_TOP)
        return;
    int last = t->n < REPRO_TOP ? t->n : REPRO_TOP - 1;
    memmove(&t->c[i + 1], &t->c[i], (size_t)(last - i) * sizeof t->c[0]);
    t->c[i].score = score;
    snprintf(t->c[i].point, sizeof t->c[i].point, "%s", point);
    if (t->n < REPRO_TOP)
        t->n++;
}

/* ---- rows ---- */

/* row->net and row->params of a point or network string. */
static int row_net(repro_acc_row *row, const char *point, char *err, size_t errlen)
{
    cm_point p;
    if (cm_point_parse_net(point, &p, err, errlen) ||
        cm_point_format_net(&p, row->net, sizeof row->net) < 0)
        return cm_fail(err, errlen, "%s: not a network", point);
    row->params = cm_point_params(&p);
    row->test_acc = row->val_acc = row->seconds = NAN;
    return 0;
}

/* The FDHT candidates: the first REPRO_ACC_CANDS distinct networks of top
 * (best first), each with its best-scoring point. */
static int fdht_rows(repro_acc *A, const repro_top *top, char *err, size_t errlen)
{
    int first = A->nrow;
    for (int i = 0; i < top->n && A->nrow - first < REPRO_ACC_CANDS; i++) {
        repro_acc_row *row = &A->row[A->nrow];
        memset(row, 0, sizeof *row);
        if (row_net(row, top->c[i].point, err, errlen))
            return -1;
        int dup = 0;
        for (int j = first; j < A->nrow && !dup; j++)
            dup = !strcmp(A->row[j].net, row->net);
        if (dup)
            continue;
        row->model = "FDHT-LSTM";
        row->fdht = 1;
        row->score = top->c[i].score;
        snprintf(row->point, sizeof row->point, "%s", top->c[i].point);
        A->nrow++;
    }
    return A->nrow > first ? 0 : cm_fail(err, errlen, "no FDHT candidate on the front");
}

/* The dense LSTM of the paper's layer: 4H x N_in and 4H x H. */
static int dense_row(repro_acc_row *row, char *err, size_t errlen)
{
    char s[256];
    snprintf(s, sizeof s, "lstm;nin=%d;h=%d;dec=partial/wx;f=dense;m=%d;n=%d/wh;f=dense;m=%d;n=%d",
             REPRO_ACC_NIN, REPRO_HIDDEN, 4 * REPRO_HIDDEN, REPRO_ACC_NIN, 4 * REPRO_HIDDEN,
             REPRO_HIDDEN);
    memset(row, 0, sizeof *row);
    row->model = "dense LSTM";
    row->score = NAN;
    return row_net(row, s, err, errlen);
}

/* ---- the rule ---- */

/* What the rule ranks by: validation accuracy (test only without a
 * validation split), so the test accuracy it reports never selects. */
static double sel_acc(const repro_acc_row *r) { return isnan(r->val_acc) ? r->test_acc : r->val_acc; }

int repro_acc_pick(const repro_acc_row *rows, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        const repro_acc_row *r = &rows[i];
        if (!r->fdht || isnan(sel_acc(r)))
            continue;
        if (best >= 0) {
            const repro_acc_row *b = &rows[best];
            double ra = sel_acc(r), ba = sel_acc(b);
            if (ra < ba || (ra == ba && (r->score < b->score ||
                                         (r->score == b->score && strcmp(r->point, b->point) >= 0))))
                continue;
        }
        best = i;
    }
    return best;
}

/* ---- trainings ---- */

static db_train_row key_of(const repro_acc *A, const repro_acc_row *row)
{
    return db_train_key(row->net, A->data, A->data_hash, A->epochs, A->batch, A->lr, A->seed);
}

int repro_acc_lookup(db_conn *db, const repro_acc *A, repro_acc_row *row, char *err,
                     size_t errlen)
{
    db_train_row k = key_of(A, row);
    return db_get_train(db, &k, &row->test_acc, &row->val_acc, err, errlen);
}

typedef struct {
    int quiet, tty;
    int units, done;          /* epochs of the trainings to run / run */
    double t0, cpu;
} progress;

static void bar(const progress *p, const repro_acc_row *row, int k, int n, int epoch,
                int epochs)
{
    if (p->quiet || !p->tty)
        return;
    char b[31];
    int fill = p->units ? 30 * p->done / p->units : 30;
    for (int i = 0; i < 30; i++)
        b[i] = i < fill ? '#' : '.';
    b[30] = '\0';
    double el = drive_now() - p->t0;
    int eta = p->done ? (int)(el * (p->units - p->done) / p->done) : 0;
    fprintf(stderr, "\raccuracy [%s] training %d/%d: %s, epoch %d/%d  ETA %d:%02d ", b, k, n,
            row->model, epoch, epochs, eta / 60, eta % 60);
}

/*
 * Trains one network to A->epochs, one epoch a call of train_fit (each
 * continues the checkpoint: the progress bar's steps, and a kill loses at
 * most one epoch), and stores its row.  The dense LSTM (59 M weights, a
 * 0.7 GB checkpoint) trains in memory in one call.  0, 1 stopped by
 * A->stop before an epoch (nothing stored), -1 failed.
 */
static int train_row(const repro_acc *A, db_conn *db, td_set *data, repro_acc_row *row,
                     progress *p, int k, int n, char *err, size_t errlen)
{
    char dir[4200], root[4000];
    int dense = !strcmp(row->model, "dense LSTM");
    snprintf(root, sizeof root, "%s.ckpt", db_path(db));
    if (!dense && mkdir(root, 0777) && errno != EEXIST)
        return cm_fail(err, errlen, "cannot create %s: %s", root, strerror(errno));
    train_ckpt_dir(root, row->net, A->data_hash, A->batch, A->lr, A->seed, dir, sizeof dir);
    train_opts o;
    memset(&o, 0, sizeof o);
    o.point = row->net;
    o.batch = A->batch;
    o.lr = A->lr;
    o.clip = TR_DEFAULT_CLIP; /* the train table's key has no clip */
    o.seed = A->seed;
    o.contract = TR_AUTO;
    o.save = dense ? NULL : dir;
    o.stop = A->stop;
    train_result r;
    double c0 = drive_cpu_now();
    for (int e = dense ? A->epochs : 1; e <= A->epochs; e++) {
        int rc = A->stop && *A->stop ? TRAIN_STOPPED : 0;
        bar(p, row, k, n, e, A->epochs);
        o.epochs = e;
        if (!rc)
            rc = train_fit(&o, data, &r);
        if (rc == TRAIN_STOPPED) {
            p->cpu += drive_cpu_now() - c0;
            return 1;
        }
        if (rc)
            return cm_fail(err, errlen, "training %s failed", row->net);
        p->done += dense ? A->epochs : 1;
    }
    p->cpu += drive_cpu_now() - c0;
    row->test_acc = r.test_accuracy;
    row->val_acc = r.val_accuracy;
    row->seconds = r.seconds;
    row->trained = 1;
    db_train_row s = key_of(A, row);
    train_result_to_row(&r, &s);
    if (!p->quiet)
        fprintf(stderr, "%sdse reproduce: trained %s (%d/%d): test accuracy %.4f, val %.4f, "
                        "%.1f s\n", p->tty ? "\n" : "", row->model, k, n, r.test_accuracy,
                r.val_accuracy, r.seconds);
    return db_put_train(db, &s, err, errlen);
}

/* ---- the section ---- */

int repro_acc_open(const repro_acc_opts *o, td_set **data, char *err, size_t errlen)
{
    const char *what = o->data ? o->data : REPRO_ACC_DATA;
    if (strncmp(what, "moving-fmnist", 13))
        return cm_fail(err, errlen, "--acc-data: the reproduction trains on the built-in "
                                    "moving-fmnist clips (moving-fmnist:KEY=VALUE,...), not '%s'",
                       what);
    if (td_open(what, REPRO_ACC_NIN, data, err, errlen))
        return -1;
    if (td_count(*data, TD_TRAIN) < 1 || td_count(*data, TD_TEST) < 1) {
        td_close(*data);
        *data = NULL;
        return cm_fail(err, errlen, "--acc-data: no training or no test clips");
    }
    return 0;
}

static void setup(repro_acc *A, const repro_acc_opts *o, td_set *data)
{
    memset(A, 0, sizeof *A);
    A->measured = 1;
    snprintf(A->data, sizeof A->data, "%s", td_describe(data));
    snprintf(A->data_hash, sizeof A->data_hash, "%s", td_hash(data));
    A->epochs = o->epochs > 0 ? o->epochs : REPRO_ACC_EPOCHS;
    A->batch = REPRO_ACC_BATCH;
    A->lr = REPRO_ACC_LR;
    A->seed = REPRO_ACC_SEED;
    A->frames = td_frames(data);
    A->clips = td_count(data, TD_TRAIN);
    A->selected = -1;
    A->stop = o->stop;
}

int repro_acc_run(const repro_acc_opts *o, db_conn *db, td_set *data, const char *tie_point,
                  const repro_top *top, int quiet, repro_acc *A, char *err, size_t errlen)
{
    setup(A, o, data);
    repro_acc_row *tt = &A->row[A->nrow++];
    memset(tt, 0, sizeof *tt);
    tt->model = "TT-LSTM (TIE)";
    tt->score = NAN;
    if (row_net(tt, tie_point, err, errlen) || fdht_rows(A, top, err, errlen))
        return -1;
    if (o->dense && dense_row(&A->row[A->nrow++], err, errlen))
        return -1;
    progress p = {quiet, isatty(STDERR_FILENO), 0, 0, drive_now(), 0};
    int todo = 0;
    for (int i = 0; i < A->nrow; i++) {
        int f = repro_acc_lookup(db, A, &A->row[i], err, errlen);
        if (f < 0)
            return -1;
        A->found += f;
        todo += !f;
        p.units += f ? 0 : A->epochs;
    }
    if (!quiet && todo)
        fprintf(stderr, "dse reproduce: accuracy: %d of %d networks to train (%d epoch%s of %lld "
                        "clips of %s), %d found stored\n", todo, A->nrow, A->epochs,
                A->epochs == 1 ? "" : "s", (long long)A->clips, A->data, A->found);
    for (int i = 0, k = 0; i < A->nrow; i++) {
        if (!isnan(A->row[i].test_acc))
            continue;
        int t = train_row(A, db, data, &A->row[i], &p, ++k, todo, err, errlen);
        if (t < 0)
            return -1;
        if (t > 0) {
            A->stopped = 1;
            if (p.tty && !quiet)
                fputc('\n', stderr); /* below the progress bar */
            return cm_fail(err, errlen, "interrupted: %d of %d trainings done and stored; "
                           "the same command continues, the one in progress from its last "
                           "epoch", k - 1, todo);
        }
    }
    A->trained = todo;
    A->cpu_s = p.cpu;
    A->selected = repro_acc_pick(A->row, A->nrow);
    if (A->selected < 0)
        return cm_fail(err, errlen, "no FDHT candidate has an accuracy");
    return 0;
}
