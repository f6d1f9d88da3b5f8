/*
 * train_run.c - the epochs of `dse train` (train_run.h): shuffle, mini-
 * batches, Adam steps, validation, checkpoints, the test split, the report.
 *
 * Determinism: one BLAS thread (pinned here), a fixed order of every sum,
 * and each epoch's shuffle a function of (seed, epoch) only, so the same
 * point, data, seed and options give the same bits whatever the machine's
 * thread count, and a run resumed from a checkpoint the bits of an
 * uninterrupted one.
 */
#include "train_run.h"

#include "cli.h"
#include "cm_hash.h"
#include "cm_point.h"
#include "db.h"
#include "drive.h"
#include "traindata.h"
#include "train_ckpt.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "train"

typedef struct {
    const train_opts *o;
    cm_point pt;
    char net[CM_POINT_MAXLEN];
    td_set *data;
    tr_model *m;
    tr_adam adam;
    ckpt_state st;
    float *x;
    int32_t *y;
    int64_t *idx;
    int tty, resumed, borrowed; /* borrowed: data is the caller's (train_fit) */
    double t0, t_bar, test_loss, test_acc;
} run;

/* One BLAS thread: results must not depend on a thread count, and training
 * is spread over processes (shards) instead. */
static void pin_blas(void)
{
    void *sym = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    void (*set)(int);
    memcpy(&set, &sym, sizeof set);
    if (sym)
        set(1);
}

/* What fixes a run's bits, the number of epochs aside (more epochs continue
 * a shorter run exactly). */
static uint64_t identity(const run *r)
{
    const train_opts *o = r->o;
    char buf[CM_POINT_MAXLEN + 512];
    int n = snprintf(buf, sizeof buf, "%s|%s|%d|%d|%.17g|%.17g|%llu|%d|%d|%d", r->net,
                     td_hash(r->data), td_classes(r->data), o->batch, o->lr, o->clip,
                     (unsigned long long)o->seed, (int)o->contract, td_frames(r->data),
                     (int)sizeof(tn_real));
    /* from the offset basis short of its last digit: checkpoints hold it */
    return cm_fnv1a(UINT64_C(1469598103934665603), buf, (size_t)n);
}

/* ---------------------------------------------------------------- progress */

static void bar(run *r, int epoch, int64_t done, int64_t total, double loss, double acc,
                double clips_s, int final)
{
    double t = drive_now();
    if (!r->tty || (!final && t - r->t_bar < 0.25))
        return;
    r->t_bar = t;
    const train_opts *o = r->o;
    double frac = total ? (double)done / (double)total : 1;
    int64_t left = (int64_t)(o->epochs - epoch) * total - done;
    double eta = clips_s > 0 ? (double)left / clips_s : 0;
    char b[21];
    for (int i = 0; i < 20; i++)
        b[i] = i < (int)(frac * 20) ? '#' : '.';
    b[20] = '\0';
    char val[16] = "-";
    if (r->st.epochs > 0)
        snprintf(val, sizeof val, "%.3f", r->st.val_acc[r->st.epochs - 1]);
    fprintf(stderr, "\repoch %d/%d [%s] loss %.4f train %.3f val %s  %.0f clips/s  ETA %d:%02d:%02d ",
            epoch + 1, o->epochs, b, loss, acc, val, clips_s, (int)(eta / 3600),
            (int)fmod(eta / 60, 60), (int)fmod(eta, 60));
    if (final)
        fputc('\n', stderr);
}

/* ---------------------------------------------------------------- passes */

/* Mean loss and accuracy over a split, in batches, no training. */
static void evaluate(run *r, td_split sp, double *loss, double *acc)
{
    int64_t n = td_count(r->data, sp), right = 0;
    double sum = 0;
    for (int64_t i = 0; i < n; i += r->o->batch) {
        int nb = (int)(n - i < r->o->batch ? n - i : r->o->batch), ok;
        for (int k = 0; k < nb; k++)
            r->idx[k] = i + k;
        td_batch(r->data, sp, r->idx, nb, r->x, r->y);
        sum += nb * tr_batch(r->m, nb, r->x, r->y, 0, &ok);
        right += ok;
    }
    *loss = n ? sum / (double)n : NAN;
    *acc = n ? (double)right / (double)n : NAN;
}

/* The order of epoch e's training clips: Fisher-Yates from (seed, e). */
static void shuffle(const run *r, int e, int64_t *order, int64_t n)
{
    uint64_t st = r->o->seed * CM_GOLDEN + (uint64_t)e + 1;
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(cm_rand_next(&st) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static int epoch(run *r, int e, int64_t *order)
{
    const train_opts *o = r->o;
    int64_t n = td_count(r->data, TD_TRAIN), right = 0;
    double sum = 0, t0 = drive_now();
    shuffle(r, e, order, n);
    for (int64_t i = 0; i < n; i += o->batch) {
        int nb = (int)(n - i < o->batch ? n - i : o->batch), ok;
        td_batch(r->data, TD_TRAIN, order + i, nb, r->x, r->y);
        sum += nb * tr_batch(r->m, nb, r->x, r->y, 1, &ok);
        tr_adam_step(&r->adam, r->m);
        right += ok;
        double el = drive_now() - t0;
        bar(r, e, i + nb, n, sum / (double)(i + nb), (double)right / (double)(i + nb),
            el > 0 ? (double)(i + nb) / el : 0, 0);
    }
    r->st.seconds += drive_now() - t0;
    double vl, va;
    evaluate(r, TD_VAL, &vl, &va);
    if (ckpt_push(&r->st, sum / (double)n, (double)right / (double)n, va))
        return cli_bad(CMD, "out of memory");
    bar(r, e, n, n, sum / (double)n, (double)right / (double)n,
        (double)n / (drive_now() - t0), 1);
    char err[CM_ERRLEN];
    if (o->save && ckpt_write(o->save, &r->st, r->m, &r->adam, err, sizeof err)) {
        fprintf(stderr, "dse train: %s\n", err);
        return CLI_FAIL;
    }
    return 0;
}

/* ---------------------------------------------------------------- report */

static double clips_per_s(const run *r)
{
    double n = (double)td_count(r->data, TD_TRAIN) * r->st.epochs;
    return r->st.seconds > 0 ? n / r->st.seconds : 0;
}

static void report(const run *r)
{
    const train_opts *o = r->o;
    int e = r->st.epochs;
    double tl = e ? r->st.train_loss[e - 1] : NAN, ta = e ? r->st.train_acc[e - 1] : NAN;
    double va = e ? r->st.val_acc[e - 1] : NAN;
    const char *cx = tr_contract_name(r->m, 0), *ch = tr_contract_name(r->m, 1);
    if (!o->json) {
        printf("network         %s\n", r->net);
        printf("params          %lld (weights; %lld with bias and classifier)\n",
               (long long)tr_weight_params(r->m), (long long)tr_nparams(r->m));
        printf("data            %s (hash %s)\n", td_describe(r->data), td_hash(r->data));
        printf("contraction     wx %s%s%s%s%s%s\n", cx, *tr_groups(r->m, 0) ? " (" : "",
               tr_groups(r->m, 0), *tr_groups(r->m, 0) ? ")" : "", ch ? ", wh " : "",
               ch ? ch : "");
        printf("epochs          %d (batch %d, lr %g, clip %g, seed %llu)%s\n", e, o->batch,
               o->lr, o->clip, (unsigned long long)o->seed, r->resumed ? ", resumed" : "");
        printf("train           loss %.4f  accuracy %.4f\n", tl, ta);
        printf("validation      accuracy %.4f\n", va);
        printf("test            loss %.4f  accuracy %.4f\n", r->test_loss, r->test_acc);
        printf("speed           %.1f clips/s (%.3g s of training)\n", clips_per_s(r),
               r->st.seconds);
        return;
    }
    printf("{\"network\": \"%s\", \"params\": %lld, \"params_total\": %lld, "
           "\"test_accuracy\": %.17g, \"test_loss\": %.17g, \"train_accuracy\": %.17g, "
           "\"train_loss\": %.17g, \"val_accuracy\": %.17g, \"epochs\": %d, \"batch\": %d, "
           "\"lr\": %.17g, \"clip\": %.17g, \"seed\": %llu, \"seconds\": %.6g, "
           "\"clips_per_s\": %.6g, \"dataset\": \"%s\", \"data_hash\": \"%s\", "
           "\"train_clips\": %lld, \"contract_wx\": \"%s\", \"groups_wx\": \"%s\", "
           "\"contract_wh\": %s%s%s, \"macs_per_clip\": %.6g, \"resumed\": %s}\n",
           r->net, (long long)tr_weight_params(r->m), (long long)tr_nparams(r->m), r->test_acc,
           r->test_loss, ta, tl, va, e, o->batch, o->lr, o->clip, (unsigned long long)o->seed,
           r->st.seconds, clips_per_s(r), td_describe(r->data), td_hash(r->data),
           (long long)td_count(r->data, TD_TRAIN), cx, tr_groups(r->m, 0), ch ? "\"" : "",
           ch ? ch : "null",
           ch ? "\"" : "", tr_macs_per_clip(r->m, o->batch), r->resumed ? "true" : "false");
}

static int store(const run *r)
{
    const train_opts *o = r->o;
    char err[CM_ERRLEN];
    db_conn *d;
    int rc = db_open(o->db, DB_CREATE, &d, err, sizeof err);
    if (rc) {
        fprintf(stderr, "dse train: %s\n", err);
        return rc == DB_FAIL_WRITE ? CLI_FAIL : CLI_BADINPUT;
    }
    int e = r->st.epochs;
    db_train_row row = db_train_key(r->net, td_describe(r->data), td_hash(r->data), e,
                                    o->batch, o->lr, o->seed);
    row.clips = td_count(r->data, TD_TRAIN);
    row.params = tr_weight_params(r->m);
    row.test_accuracy = r->test_acc;
    row.test_loss = r->test_loss;
    row.train_accuracy = r->st.train_acc[e - 1];
    row.val_accuracy = r->st.val_acc[e - 1];
    row.seconds = r->st.seconds;
    /* its own row, and a copy for each other network of its class that has
     * no training of its own or copy yet (docs/TRAIN.md) */
    rc = db_put_train(d, &row, err, sizeof err) || db_share_class(d, &row, 0, err, sizeof err);
    db_close(d);
    if (rc) {
        fprintf(stderr, "dse train: %s\n", err);
        return CLI_FAIL;
    }
    return 0;
}

static int export(const run *r)
{
    const train_opts *o = r->o;
    char err[CM_ERRLEN];
    ckpt_meta mt = {o->point, r->net, td_describe(r->data), td_hash(r->data), r->pt.n_in,
                    r->pt.hidden, td_classes(r->data), td_frames(r->data), r->pt.n_pad,
                    r->st.epochs, o->batch, cm_decomp_name(r->pt.decomp), o->lr, r->test_acc,
                    o->seed};
    if (ckpt_export(o->save, r->m, &mt, err, sizeof err)) {
        fprintf(stderr, "dse train: %s\n", err);
        return CLI_FAIL;
    }
    return 0;
}

/* ---------------------------------------------------------------- set-up */

static int open_db_check(const train_opts *o)
{
    /* A bad database is refused before any training, and left as it was. */
    char err[CM_ERRLEN];
    db_conn *d;
    if (!o->db || access(o->db, F_OK))
        return 0;
    int rc = db_open(o->db, DB_WRITE, &d, err, sizeof err);
    db_close(d);
    if (rc)
        fprintf(stderr, "dse train: %s\n", err);
    return rc ? (rc == DB_FAIL_WRITE ? CLI_FAIL : CLI_BADINPUT) : 0;
}

/* The trainer's view of the point: its LSTM layer (hardware ignored). */
static int layer_of(const cm_point *p, tr_layer *l, char *err, size_t errlen)
{
    if (p->layer != CM_LAYER_LSTM)
        return cm_fail(err, errlen, "the point is not an LSTM layer (lstm;nin=...)");
    *l = (tr_layer){p->n_in, p->hidden, p->n_pad, p->decomp, &p->wx.fmt, &p->wh.fmt};
    return 0;
}

/* r->pt from --point. */
static int point_of(run *r)
{
    char err[CM_ERRLEN];
    if (cm_point_parse_net(r->o->point, &r->pt, err, sizeof err))
        return cli_bad(CMD, "--point: %s", err);
    return 0;
}

/* r->m for the point's layer on clips of `frames` frames in `classes` classes. */
static int model_of(run *r, int classes, int frames)
{
    char err[CM_ERRLEN];
    tr_opts to = {classes, frames, r->o->batch, r->o->contract};
    tr_layer ly;
    if (layer_of(&r->pt, &ly, err, sizeof err) || tr_model_new(&ly, &to, &r->m, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    return 0;
}

/* r->pt and r->net from --point, which must name an LSTM layer. */
static int parse_point(run *r)
{
    int rc = point_of(r);
    if (rc)
        return rc;
    if (r->pt.layer != CM_LAYER_LSTM)
        return cli_bad(CMD, "--point: not an LSTM layer (training needs lstm;nin=...;h=...)");
    if (cm_point_format_net(&r->pt, r->net, sizeof r->net) < 0)
        return cli_bad(CMD, "--point: cannot be printed");
    return 0;
}

static int setup_model(run *r);

static int setup(run *r)
{
    const train_opts *o = r->o;
    char err[CM_ERRLEN];
    int rc = parse_point(r);
    if (rc || (rc = open_db_check(o)))
        return rc;
    if (td_open(o->data, r->pt.n_in, &r->data, err, sizeof err))
        return cli_bad(CMD, "--data: %s", err);
    if (o->write_data)
        return 0;
    return setup_model(r);
}

/* The model, the optimizer and the batch buffers on r->data, initialized
 * from the seed or from the checkpoint in o->save. */
static int setup_model(run *r)
{
    const train_opts *o = r->o;
    char err[CM_ERRLEN];
    int rc = model_of(r, td_classes(r->data), td_frames(r->data));
    if (rc)
        return rc;
    if (tr_adam_init(&r->adam, r->m, o->lr, o->clip))
        return cli_bad(CMD, "out of memory");
    size_t fr = (size_t)o->batch * (size_t)td_frames(r->data) * (size_t)r->pt.n_in;
    r->x = malloc(fr * sizeof *r->x);
    r->y = malloc((size_t)o->batch * sizeof *r->y);
    r->idx = malloc((size_t)o->batch * sizeof *r->idx);
    if (!r->x || !r->y || !r->idx)
        return cli_bad(CMD, "out of memory for a batch of %d clips", o->batch);
    if (td_count(r->data, TD_TRAIN) < 1 || td_count(r->data, TD_TEST) < 1)
        return cli_bad(CMD, "--data: no training or no test clips");
    tr_init(r->m, o->seed);
    r->st.ident = identity(r);
    if (o->save) {
        int got = ckpt_read(o->save, &r->st, r->m, &r->adam, err, sizeof err);
        if (got < 0)
            return cli_bad(CMD, "--save: %s", err);
        r->resumed = got;
    }
    return 0;
}

static void teardown(run *r)
{
    if (!r->borrowed)
        td_close(r->data);
    tr_model_free(r->m);
    tr_adam_free(&r->adam);
    ckpt_free(&r->st);
    free(r->x);
    free(r->y);
    free(r->idx);
}

static int train(run *r)
{
    const train_opts *o = r->o;
    int64_t *order = malloc((size_t)td_count(r->data, TD_TRAIN) * sizeof *order);
    if (!order)
        return cli_bad(CMD, "out of memory");
    int rc = 0;
    if (r->resumed && !o->quiet)
        fprintf(stderr, "dse train: resuming from %s/%s after epoch %d\n", o->save, CKPT_FILE,
                r->st.epochs);
    for (int e = r->st.epochs; e < o->epochs && !rc; e++)
        rc = o->stop && *o->stop ? TRAIN_STOPPED : epoch(r, e, order);
    free(order);
    if (rc)
        return rc;
    if (r->st.epochs > o->epochs)
        return cli_bad(CMD, "--save: %s holds %d epochs, more than --epochs %d", o->save,
                       r->st.epochs, o->epochs);
    evaluate(r, TD_TEST, &r->test_loss, &r->test_acc);
    return 0;
}

/* --bench: training steps on random clips of the point's shape. */
static int bench(run *r)
{
    const train_opts *o = r->o;
    int rc = point_of(r);
    if (rc || (rc = model_of(r, o->classes, o->frames)))
        return rc;
    size_t fr = (size_t)o->batch * (size_t)o->frames * (size_t)r->pt.n_in;
    r->x = malloc(fr * sizeof *r->x);
    r->y = malloc((size_t)o->batch * sizeof *r->y);
    if (!r->x || !r->y || tr_adam_init(&r->adam, r->m, o->lr, o->clip))
        return cli_bad(CMD, "out of memory");
    uint64_t st = o->seed;
    for (size_t i = 0; i < fr; i++)
        r->x[i] = (float)cm_rand_uniform(&st);
    for (int b = 0; b < o->batch; b++)
        r->y[b] = (int32_t)(cm_rand_next(&st) % (uint64_t)o->classes);
    tr_init(r->m, o->seed);
    int ok;
    tr_batch(r->m, o->batch, r->x, r->y, 1, &ok); /* warm-up */
    double t0 = drive_now();
    for (int i = 0; i < o->iters; i++) {
        tr_batch(r->m, o->batch, r->x, r->y, 1, &ok);
        tr_adam_step(&r->adam, r->m);
    }
    double s = drive_now() - t0, cps = (double)o->iters * o->batch / s;
    const char *cx = tr_contract_name(r->m, 0), *ch = tr_contract_name(r->m, 1);
    if (o->json)
        printf("{\"impl\": \"dse %s%s%s\", \"groups_wx\": \"%s\", \"clips_per_s\": %.6g, "
               "\"macs_per_clip\": %.6g, \"frames\": %d, \"batch\": %d, \"iters\": %d}\n",
               cx, ch ? "/" : "", ch ? ch : "", tr_groups(r->m, 0), cps,
               tr_macs_per_clip(r->m, o->batch), o->frames, o->batch, o->iters);
    else
        printf("%.1f clips/s, %.4g MACs/clip (wx %s %s%s%s), %d iterations of %d clips of %d "
               "frames\n", cps, tr_macs_per_clip(r->m, o->batch), cx, tr_groups(r->m, 0),
               ch ? ", wh " : "", ch ? ch : "", o->iters, o->batch, o->frames);
    return 0;
}

int train_main(const train_opts *o)
{
    run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.tty = !o->quiet && !o->json ? (o->progress || isatty(STDERR_FILENO)) : o->progress;
    pin_blas();
    int rc = o->bench ? bench(&r) : setup(&r);
    if (!rc && !o->bench && o->write_data) {
        char err[CM_ERRLEN];
        if (td_write_npy(r.data, o->write_data, err, sizeof err))
            rc = cli_bad(CMD, "--write-data: %s", err);
    } else if (!rc && !o->bench) {
        rc = train(&r);
        if (!rc && o->save)
            rc = export(&r);
        if (!rc && o->db)
            rc = store(&r);
        if (!rc)
            report(&r);
    }
    teardown(&r);
    return rc;
}

/* ---------------------------------------------------------------- library */

/* A checkpoint of more epochs than asked (another schedule's): this budget
 * is trained from scratch, in memory, leaving the checkpoint alone. */
static int restart_unsaved(run *r, train_opts *copy)
{
    copy->save = NULL;
    ckpt_free(&r->st);
    memset(&r->st, 0, sizeof r->st);
    tr_adam_free(&r->adam);
    if (tr_adam_init(&r->adam, r->m, copy->lr, copy->clip))
        return cli_bad(CMD, "out of memory");
    tr_init(r->m, copy->seed);
    r->st.ident = identity(r);
    r->resumed = 0;
    return 0;
}

int train_fit(const train_opts *o, td_set *data, train_result *res)
{
    run r;
    train_opts copy = *o;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    copy.quiet = 1;
    copy.json = 0;
    copy.progress = 0;
    r.o = &copy;
    r.data = data;
    r.borrowed = 1;
    pin_blas();
    int rc = parse_point(&r);
    if (!rc)
        rc = setup_model(&r);
    if (!rc && r.resumed && r.st.epochs > copy.epochs)
        rc = restart_unsaved(&r, &copy);
    int before = r.st.epochs;
    if (!rc)
        rc = train(&r);
    if (!rc) {
        int e = r.st.epochs;
        res->test_accuracy = r.test_acc;
        res->test_loss = r.test_loss;
        res->train_accuracy = r.st.train_acc[e - 1];
        res->val_accuracy = r.st.val_acc[e - 1];
        res->seconds = r.st.seconds;
        res->params = tr_weight_params(r.m);
        res->clips = td_count(data, TD_TRAIN);
        res->epochs_run = e - before;
        res->resumed_from = before;
    }
    teardown(&r);
    return rc;
}

void train_ckpt_dir(const char *root, const char *net, const char *data_hash, int batch,
                    double lr, uint64_t seed, char *buf, size_t len)
{
    char key[CM_POINT_MAXLEN + 128];
    int m = snprintf(key, sizeof key, "%s|%s|%d|%.17g|%llu", net, data_hash, batch, lr,
                     (unsigned long long)seed);
    uint64_t h = cm_fnv1a(CM_FNV_OFFSET, key, (size_t)(m < 0 ? 0 : m));
    snprintf(buf, len, "%s/%016llx", root, (unsigned long long)h);
}

void train_result_to_row(const train_result *r, db_train_row *row)
{
    row->clips = r->clips;
    row->params = r->params;
    row->test_accuracy = r->test_accuracy;
    row->test_loss = r->test_loss;
    row->train_accuracy = r->train_accuracy;
    row->val_accuracy = r->val_accuracy;
    row->seconds = r->seconds;
}
