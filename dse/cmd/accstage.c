/*
 * accstage.c - the accuracy stage (accstage.h): the networks of the stored
 * valid points, the rungs of successive halving (or the one rung of
 * `schedule: all`), the trainings (train_fit) and their rows in table
 * train, the halving rule (acc_keep) and the accuracy-aware front.
 */
#include "accstage.h"
#include "map_pareto.h"

#include "cm_hash.h"
#include "cm_hset.h"
#include "cm_netclass.h"
#include "cm_point.h"
#include "drive.h"
#include "traindata.h"
#include "train_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct {
    char *name;                          /* the class's representative network
                                          * (cm_netclass.h): the one trained */
    double *best;                        /* nobj values, minimized form */
    double acc[SPEC_ACC_MAX_RUNGS];      /* test accuracy, mean over the seeds; NaN:
                                          * not all stored */
    double sel[SPEC_ACC_MAX_RUNGS];      /* what the halving ranks by: the validation
                                          * accuracy (test without a validation split) */
    int last;                            /* the last rung it is in */
} net;

typedef struct {
    char *point;
    size_t net;                          /* its class */
    uint64_t nethash;                    /* its own network string's hash */
    double *v;                           /* nobj values as stored */
} vpoint;

typedef struct {
    uint64_t nethash;                    /* a distinct network of the points */
    char *rep;                           /* its class's representative (owned) */
    size_t net;                          /* that class, once grouped */
} netrep;

struct acc_stage {
    acc_opts o;
    acc_stats st;
    net *nets;
    vpoint *pts;
    size_t npts, cappts;
    double *vals;                        /* the points' values, nobj each (grown) */
    cm_hset seen;                        /* nethash of every network in reps */
    netrep *reps;                        /* each distinct network once: its class
                                          * is computed once, not per point */
    size_t nreps, capreps;
    int failed;
    acc_member *front;
    double *fv;                          /* the front members' values, nobj + 1 each */
    size_t nfront;
    double t_bar;
};

/* ---- the halving rule ---- */

long acc_keep(const double *v, size_t n, int k, size_t need, unsigned char *keep)
{
    unsigned char *front = malloc(n ? n : 1);
    if (!front)
        return -1;
    memset(keep, 0, n);
    size_t kept = 0;
    /* peel fronts off the rows not kept yet; a row is on the next front
     * when no remaining row dominates it */
    while (kept < need && kept < n) {
        for (size_t i = 0; i < n; i++) {
            front[i] = 0;
            if (keep[i])
                continue;
            int dom = 0;
            for (size_t j = 0; j < n && !dom; j++)
                dom = j != i && !keep[j] && map_dominates_min(v + j * (size_t)k, v + i * (size_t)k, k);
            front[i] = !dom;
        }
        for (size_t i = 0; i < n; i++)
            if (front[i]) {
                keep[i] = 1;
                kept++;
            }
    }
    free(front);
    return (long)kept;
}

/* ---- set-up ---- */

acc_stage *acc_new(const acc_opts *o, char *err, size_t errlen)
{
    acc_stage *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->o = *o;
    if (!s->o.shard_n)
        s->o.shard_n = 1;
    if (o->last_rung < 0 || o->last_rung >= o->acc->nrungs)
        s->o.last_rung = o->acc->nrungs - 1;
    return s;
}

void acc_free(acc_stage *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->st.nets; i++) {
        free(s->nets[i].name);
        free(s->nets[i].best);
    }
    for (size_t i = 0; i < s->npts; i++)
        free(s->pts[i].point);
    for (size_t i = 0; i < s->nreps; i++)
        free(s->reps[i].rep);
    free(s->reps);
    cm_hset_free(&s->seen);
    free(s->nets);
    free(s->pts);
    free(s->vals);
    free(s->front);
    free(s->fv);
    free(s);
}

const acc_stats *acc_get_stats(const acc_stage *s) { return &s->st; }
size_t acc_front_size(const acc_stage *s) { return s->nfront; }
const acc_member *acc_front_member(const acc_stage *s, size_t i) { return &s->front[i]; }

/* ---- loading the points and their networks ---- */

/* The class representative of a network seen for the first time: 0 added,
 * 1 none (its points get no accuracy), -1 out of memory. */
static int add_rep(acc_stage *s, const cm_point *p, uint64_t nethash)
{
    char rn[CM_POINT_MAXLEN];
    cm_point rep;
    cm_net_class_rep(p, &rep);
    if (cm_point_format_net(&rep, rn, sizeof rn) < 0)
        return 1;
    if (s->nreps == s->capreps) {
        size_t cap = s->capreps ? 2 * s->capreps : 64;
        netrep *t = realloc(s->reps, cap * sizeof *t);
        if (!t)
            return -1;
        s->reps = t;
        s->capreps = cap;
    }
    netrep *r = &s->reps[s->nreps];
    if (!(r->rep = strdup(rn)))
        return -1;
    r->nethash = nethash;
    r->net = 0;
    s->nreps++;
    return 0;
}

static int load_point(const char *point, const double *v, void *ud)
{
    acc_stage *s = ud;
    int k = s->o.nobj;
    cm_point p;
    char err[CM_ERRLEN], nm[CM_POINT_MAXLEN];
    if (s->npts == s->cappts) {
        size_t cap = s->cappts ? 2 * s->cappts : 256;
        vpoint *t = realloc(s->pts, cap * sizeof *t);
        double *vv = t ? realloc(s->vals, cap * (size_t)(k ? k : 1) * sizeof *vv) : NULL;
        if (t)
            s->pts = t;
        if (!vv)
            return s->failed = 1;
        s->vals = vv;
        s->cappts = cap;
    }
    vpoint *q = &s->pts[s->npts];
    int len;
    if (cm_point_parse_net(point, &p, err, sizeof err) ||
        (len = cm_point_format_net(&p, nm, sizeof nm)) < 0)
        return 0; /* not a network the trainer knows: no accuracy */
    q->nethash = cm_fnv1a(CM_FNV_OFFSET, nm, (size_t)len);
    /* one training per class: the point is grouped by its representative,
     * computed once per network (a sweep has many points per network) */
    if (!cm_hset_has(&s->seen, q->nethash)) {
        int r = add_rep(s, &p, q->nethash);
        if (r > 0)
            return 0;
        if (r < 0 || cm_hset_add(&s->seen, q->nethash) < 0)
            return s->failed = 1;
    }
    if (!(q->point = strdup(point)))
        return s->failed = 1;
    memcpy(s->vals + s->npts * (size_t)k, v, (size_t)k * sizeof *v);
    s->npts++;
    return 0;
}

static int cmp_rep_name(const void *a, const void *b)
{
    const netrep *p = a, *q = b;
    int c = strcmp(p->rep, q->rep);
    return c ? c : (p->nethash > q->nethash) - (p->nethash < q->nethash);
}

static int cmp_rep_hash(const void *a, const void *b)
{
    const netrep *p = a, *q = b;
    return (p->nethash > q->nethash) - (p->nethash < q->nethash);
}

/* Classes in representative-name order (the order shards deal them in),
 * each point in its class, with the best hardware values over the points. */
static int group_nets(acc_stage *s)
{
    int k = s->o.nobj;
    s->nets = calloc(s->nreps ? s->nreps : 1, sizeof *s->nets);
    if (!s->nets)
        return -1;
    qsort(s->reps, s->nreps, sizeof *s->reps, cmp_rep_name);
    for (size_t i = 0; i < s->nreps; i++) {
        if (!i || strcmp(s->reps[i].rep, s->reps[i - 1].rep)) {
            net *n = &s->nets[s->st.nets++];
            n->name = strdup(s->reps[i].rep);
            n->best = malloc((size_t)(k ? k : 1) * sizeof *n->best);
            if (!n->name || !n->best)
                return -1;
            for (int j = 0; j < k; j++)
                n->best[j] = INFINITY;
            for (int r = 0; r < SPEC_ACC_MAX_RUNGS; r++)
                n->acc[r] = n->sel[r] = NAN;
            n->last = -1;
        }
        s->reps[i].net = s->st.nets - 1;
    }
    qsort(s->reps, s->nreps, sizeof *s->reps, cmp_rep_hash);
    for (size_t i = 0; i < s->npts; i++) {
        netrep key = {s->pts[i].nethash, NULL, 0};
        const netrep *r = bsearch(&key, s->reps, s->nreps, sizeof *s->reps, cmp_rep_hash);
        if (!r)
            return -1; /* cannot happen: every point's network was added */
        net *n = &s->nets[r->net];
        s->pts[i].net = r->net;
        s->pts[i].v = s->vals + i * (size_t)k;
        for (int j = 0; j < k; j++) {
            double x = s->o.dir[j] == MAP_MAX ? -s->pts[i].v[j] : s->pts[i].v[j];
            if (x < n->best[j])
                n->best[j] = x;
        }
    }
    return 0;
}

int acc_add(acc_stage *s, const char *point, const double *v)
{
    load_point(point, v, s);
    return s->failed ? -1 : 0;
}

static int cmp_point(const void *a, const void *b)
{
    const vpoint *p = a, *q = b;
    int c = strcmp(p->point, q->point);
    return c ? c : (p->net > q->net) - (p->net < q->net);
}

/* Each point string once (visited now and stored both): the points sorted
 * by string, their values moved along. */
static int dedup(acc_stage *s)
{
    int k = s->o.nobj;
    for (size_t i = 0; i < s->npts; i++)
        s->pts[i].net = i; /* the original row, for the values */
    qsort(s->pts, s->npts, sizeof *s->pts, cmp_point);
    double *vv = malloc((s->npts ? s->npts : 1) * (size_t)(k ? k : 1) * sizeof *vv);
    if (!vv)
        return -1;
    size_t w = 0;
    for (size_t i = 0; i < s->npts; i++) {
        if (w && !strcmp(s->pts[w - 1].point, s->pts[i].point)) {
            free(s->pts[i].point);
            continue;
        }
        size_t o = s->pts[i].net;
        memcpy(vv + w * (size_t)k, s->vals + o * (size_t)k, (size_t)k * sizeof *vv);
        s->pts[w++] = s->pts[i];
    }
    free(s->vals);
    s->vals = vv;
    s->npts = w;
    return 0;
}

int acc_load(acc_stage *s, db_conn *db, char *err, size_t errlen)
{
    const char *cols[MAP_MAX_OBJ];
    for (int i = 0; i < s->o.nobj; i++)
        cols[i] = map_metric_name(s->o.obj[i]);
    int rc = db_each_valid(db, s->o.spec_hash, s->o.nobj, cols, load_point, s, err, errlen);
    if (rc == 0 && !s->failed && (dedup(s) || group_nets(s)))
        s->failed = 1;
    s->st.variants = s->nreps; /* distinct network strings (by hash) */
    if (s->failed)
        snprintf(err, errlen, "out of memory (accuracy stage)");
    s->st.points = s->npts;
    return rc || s->failed ? -1 : 0;
}

/* ---- trainings ---- */

static db_train_row key_of(const acc_stage *s, const net *n, int budget, uint64_t seed)
{
    const spec_acc *a = s->o.acc;
    return db_train_key(n->name, td_describe(s->o.data), td_hash(s->o.data), budget, a->batch,
                        a->lr, seed);
}

/* Trains and stores one (class, budget, seed): 0, 1 stopped by opts.stop
 * (nothing stored; the checkpoint keeps the epochs done), -1 failed. */
static int train_one(acc_stage *s, db_conn *db, const net *n, int budget, uint64_t seed,
                     double *acc, double *val, char *err, size_t errlen)
{
    const spec_acc *a = s->o.acc;
    char dir[4096];
    train_opts o;
    memset(&o, 0, sizeof o);
    o.point = n->name;
    o.epochs = budget;
    o.batch = a->batch;
    o.lr = a->lr;
    o.clip = TR_DEFAULT_CLIP; /* the train table's key has no clip */
    o.seed = seed;
    o.contract = TR_AUTO;
    o.stop = s->o.stop;
    if (s->o.ckpt_root) {
        train_ckpt_dir(s->o.ckpt_root, n->name, td_hash(s->o.data), a->batch, a->lr, seed,
                       dir, sizeof dir);
        o.save = dir;
    }
    train_result r;
    /* CPU seconds: training runs on one thread (BLAS pinned), and unlike
     * the wall clock they do not count the other jobs of the machine */
    double t0 = drive_cpu_now();
    int rc = train_fit(&o, s->o.data, &r);
    s->st.seconds += drive_cpu_now() - t0;
    if (rc == TRAIN_STOPPED)
        return 1;
    if (rc) {
        snprintf(err, errlen, "training %s failed", n->name);
        return -1;
    }
    s->st.trained++;
    s->st.epochs += (uint64_t)r.epochs_run;
    db_train_row row = key_of(s, n, budget, seed);
    train_result_to_row(&r, &row);
    *acc = r.test_accuracy;
    *val = r.val_accuracy;
    return db_put_train(db, &row, err, errlen);
}

static void bar(acc_stage *s, int rung, size_t done, size_t total, int final)
{
    double t = drive_now();
    if (!s->o.progress || (!final && t - s->t_bar < 0.2))
        return;
    s->t_bar = t;
    char b[31];
    int fill = total ? (int)(30.0 * (double)done / (double)total) : 30;
    for (int i = 0; i < 30; i++)
        b[i] = i < fill ? '#' : '.';
    b[30] = '\0';
    int e = s->o.acc->budget[rung];
    fprintf(stderr, "\raccuracy rung %d/%d (%d epoch%s) [%s] %zu/%zu trainings ", rung + 1,
            s->o.acc->nrungs, e, e == 1 ? "" : "s", b, done, total);
    if (final)
        fputc('\n', stderr);
}

/* The networks of rung r (their last >= r) after the rule on rung r-1. */
static int select_rung(acc_stage *s, int r)
{
    size_t n = 0, k = (size_t)s->o.nobj + 1;
    for (size_t i = 0; i < s->st.nets; i++)
        n += s->nets[i].last >= r - 1;
    double *v = malloc((n ? n : 1) * k * sizeof *v);
    size_t *id = malloc((n ? n : 1) * sizeof *id);
    unsigned char *keep = malloc(n ? n : 1);
    long kept = -1;
    if (v && id && keep) {
        size_t m = 0;
        for (size_t i = 0; i < s->st.nets; i++)
            if (s->nets[i].last >= r - 1) {
                memcpy(v + m * k, s->nets[i].best, (k - 1) * sizeof *v);
                v[m * k + k - 1] = -s->nets[i].sel[r - 1];
                id[m++] = i;
            }
        size_t eta = (size_t)s->o.acc->eta, need = (n + eta - 1) / eta;
        kept = acc_keep(v, n, (int)k, need, keep);
        for (size_t m2 = 0; kept >= 0 && m2 < n; m2++)
            if (keep[m2])
                s->nets[id[m2]].last = r;
    }
    free(v);
    free(id);
    free(keep);
    return kept < 0 ? -1 : 0;
}

/* One rung: every (network, seed) of it, found stored or, when dealt to
 * this shard, trained. */
static int run_rung(acc_stage *s, db_conn *db, int r, char *err, size_t errlen)
{
    const spec_acc *a = s->o.acc;
    int budget = a->budget[r];
    size_t total = 0, done = 0, pos = 0;
    for (size_t i = 0; i < s->st.nets; i++)
        total += s->nets[i].last >= r ? (size_t)a->nseeds : 0;
    s->st.alive[r] = total / (size_t)a->nseeds;
    for (size_t i = 0; i < s->st.nets; i++) {
        net *n = &s->nets[i];
        if (n->last < r)
            continue;
        double sum = 0, ssel = 0;
        int have = 0;
        for (int j = 0; j < a->nseeds; j++, pos++, done++) {
            db_train_row k = key_of(s, n, budget, a->seed[j]);
            double acc, val;
            int f = db_get_train(db, &k, &acc, &val, err, errlen);
            int mine = pos % s->o.shard_n == s->o.shard_i;
            if (f < 0)
                return -1;
            if (f) {
                s->st.found++;
            } else if (!mine) {
                s->st.missing++;
                continue;
            } else if (s->o.stop && *s->o.stop) {
                s->st.stopped = 1;
                return 0;
            } else {
                int t = train_one(s, db, n, budget, a->seed[j], &acc, &val, err, errlen);
                if (t < 0)
                    return -1;
                if (t > 0) {
                    s->st.stopped = 1;
                    return 0;
                }
            }
            /* every network of the class shows the training (again after
             * a kill between the two transactions; the dealt shard only) */
            if (mine && db_share_class(db, &k, 1, err, errlen))
                return -1;
            sum += acc;
            ssel += isnan(val) ? acc : val;
            have++;
            bar(s, r, done + 1, total, 0);
        }
        n->acc[r] = have == a->nseeds ? sum / have : NAN;
        n->sel[r] = have == a->nseeds ? ssel / have : NAN;
    }
    bar(s, r, total, total, 1);
    return 0;
}

int acc_run(acc_stage *s, db_conn *db, char *err, size_t errlen)
{
    const spec_acc *a = s->o.acc;
    if (s->o.ckpt_root && mkdir(s->o.ckpt_root, 0777) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", s->o.ckpt_root, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < s->st.nets; i++)
        s->nets[i].last = 0;
    for (int r = 0; r <= s->o.last_rung && r < a->nrungs; r++) {
        if (r > 0 && select_rung(s, r)) {
            snprintf(err, errlen, "out of memory (accuracy stage)");
            return -1;
        }
        if (run_rung(s, db, r, err, errlen))
            return -1;
        if (s->st.stopped || s->st.missing)
            return 0; /* later rungs need the rest of this one */
        s->st.rungs = r + 1;
    }
    return 0;
}

/* ---- the accuracy-aware front ---- */

static int cmp_size(const void *a, const void *b)
{
    size_t p = *(const size_t *)a, q = *(const size_t *)b;
    return (p > q) - (p < q);
}

int acc_front(acc_stage *s, char *err, size_t errlen)
{
    int last = s->o.acc->nrungs - 1, k = s->o.nobj + 1;
    size_t n = 0;
    map_dir dir[MAP_MAX_OBJ + 1];
    memcpy(dir, s->o.dir, (size_t)s->o.nobj * sizeof *dir);
    dir[k - 1] = MAP_MAX;
    free(s->front);
    free(s->fv);
    s->front = NULL;
    s->fv = NULL;
    s->nfront = 0;
    if (s->st.rungs < s->o.acc->nrungs)
        return 0; /* not complete: no final accuracies */
    double *v = malloc((s->npts ? s->npts : 1) * (size_t)k * sizeof *v);
    size_t *pt = malloc((s->npts ? s->npts : 1) * sizeof *pt);
    size_t *fr = malloc((s->npts ? s->npts : 1) * sizeof *fr), nf = 0, nnan;
    int rc = -1;
    if (!v || !pt || !fr)
        goto out;
    for (size_t i = 0; i < s->npts; i++) {
        const net *t = &s->nets[s->pts[i].net];
        if (t->last < last || isnan(t->acc[last]))
            continue;
        memcpy(v + n * (size_t)k, s->pts[i].v, (size_t)(k - 1) * sizeof *v);
        v[n * (size_t)k + (size_t)k - 1] = t->acc[last];
        pt[n++] = i;
    }
    if (map_pareto(v, n, k, dir, fr, &nf, &nnan))
        goto out;
    s->front = malloc((nf ? nf : 1) * sizeof *s->front);
    s->fv = malloc((nf ? nf : 1) * (size_t)k * sizeof *s->fv);
    if (!s->front || !s->fv)
        goto out;
    /* fr holds row numbers; rows are in point (id) order */
    qsort(fr, nf, sizeof *fr, cmp_size);
    for (size_t i = 0; i < nf; i++) {
        memcpy(s->fv + i * (size_t)k, v + fr[i] * (size_t)k, (size_t)k * sizeof *v);
        s->front[i].point = s->pts[pt[fr[i]]].point;
        s->front[i].v = s->fv + i * (size_t)k;
    }
    s->nfront = nf;
    rc = 0;
out:
    if (rc)
        snprintf(err, errlen, "out of memory (accuracy front)");
    free(v);
    free(pt);
    free(fr);
    return rc;
}
