/*
 * drive.c - the sweep driver (drive.h): the search's callbacks route each
 * point through the filters, the store stage and the running front, whose
 * members' results are kept (a pool of copies, compacted as members leave)
 * and handed out after the search in index order.
 */
#include "drive.h"
#include "store.h"

#include "cm_hset.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A result that joined the front (it may have left it since). */
typedef struct {
    uint64_t index;
    map_result r;
} kept;

typedef struct {
    drive_member m;
    char point[CM_POINT_MAXLEN];
} member;

struct drive {
    drive_opts o;
    const map_space *sp;
    map_eval *ev;
    map_front *front;
    drive_stats st;
    /* front: kept results */
    kept *pool;
    size_t npool, cappool;
    member *members;
    size_t nmembers;
    /* store */
    store_fmt fmt;            /* canonical point strings */
    int key_ready;            /* fmt.buf holds the point of key_index (resume check) */
    uint64_t key_index;
    db_comp comps[DB_MAX_COMPS];
    /* resume: the keys (db_point_key) of the stored point strings */
    cm_hset done;
    db_conn *rdb;             /* confirms hash hits (the writer owns the run's connection) */
    drive_least least[3];     /* params, err_upper, area (drive_least_of) */
    acc_stage *acc;           /* the accuracy stage (drive_accuracy) */
    /* collect: visited valid points for it, strings and values */
    char *cstr;
    size_t ncstr, capcstr;
    double *cval;
    size_t ncval, capcval;
    int failed;
    char err[512];
};

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double drive_now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

double drive_cpu_now(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

drive *drive_new(const map_space *sp, const cm_tech *tech, const map_limits *lim,
                 const map_ref *ref, const drive_opts *o, char *err, size_t errlen)
{
    drive *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->o = *o;
    d->sp = sp;
    store_fmt_init(&d->fmt);
    d->ev = map_eval_new(sp, tech, lim, ref, err, errlen);
    if (!d->ev) {
        drive_free(d);
        return NULL;
    }
    d->front = map_front_new(o->nobj, o->dir);
    if (!d->front) {
        snprintf(err, errlen, "out of memory");
        drive_free(d);
        return NULL;
    }
    d->st.total = map_search_count(sp, &o->search);
    for (int i = 0; i < 3; i++)
        d->least[i].v = INFINITY;
    return d;
}

void drive_free(drive *d)
{
    if (!d)
        return;
    store_fmt_free(&d->fmt);
    map_eval_free(d->ev);
    map_front_free(d->front);
    db_close(d->rdb);
    free(d->pool);
    free(d->members);
    cm_hset_free(&d->done);
    acc_free(d->acc);
    free(d->cstr);
    free(d->cval);
    free(d);
}

void drive_set_writer(drive *d, db_writer *w) { d->o.w = w; }
const char *drive_error(const drive *d) { return d->err; }
const drive_stats *drive_get_stats(const drive *d) { return &d->st; }
const uint64_t *drive_counts(const drive *d) { return map_eval_counts(d->ev); }
size_t drive_front_size(const drive *d) { return d->nmembers; }

const drive_least *drive_least_of(const drive *d, int rej)
{
    switch (rej) {
    case MAP_REJ_PARAMS: return &d->least[0];
    case MAP_REJ_ERROR: return &d->least[1];
    case MAP_REJ_AREA: return &d->least[2];
    default: return NULL;
    }
}

/* A new smallest value (NaN never is): the point is copied only then. */
static void least_see(drive_least *l, double v, const map_result *r)
{
    if (v < l->v) {
        l->v = v;
        l->index = r->index;
        l->pt = r->pt;
    }
}
const drive_member *drive_front_member(const drive *d, size_t i) { return &d->members[i].m; }

/* ---- resume set ---- */

static uint64_t key_of(const char *s) { return (uint64_t)db_point_key(s); }

static int load_done(const char *point, void *ud)
{
    drive *d = ud;
    return cm_hset_add(&d->done, key_of(point)) < 0 ? 1 : 0;
}

long drive_resume(drive *d, db_conn *db, int64_t run_id, const char *path, char *err,
                  size_t errlen)
{
    if (db_each_point(db, run_id, load_done, d, err, errlen))
        return -1;
    if (cm_hset_count(&d->done) && !d->rdb && db_open(path, DB_READONLY, &d->rdb, err, errlen))
        return -1;
    return (long)cm_hset_count(&d->done);
}

/* ---- the front's kept results ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t p = *(const uint64_t *)a, q = *(const uint64_t *)b;
    return (p > q) - (p < q);
}

static int cmp_kept(const void *a, const void *b)
{
    return cmp_u64(&((const kept *)a)->index, &((const kept *)b)->index);
}

/* Drops the kept results of points no longer on the front. */
static int pool_compact(drive *d)
{
    size_t n = map_front_size(d->front);
    uint64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids)
        return -1;
    for (size_t i = 0; i < n; i++)
        ids[i] = (uint64_t)map_front_id(d->front, i);
    qsort(ids, n, sizeof *ids, cmp_u64);
    size_t w = 0;
    for (size_t i = 0; i < d->npool; i++)
        if (bsearch(&d->pool[i].index, ids, n, sizeof *ids, cmp_u64)) {
            if (w != i)
                memcpy(&d->pool[w], &d->pool[i], sizeof d->pool[w]);
            w++;
        }
    d->npool = w;
    free(ids);
    return 0;
}

/* A copy of a result without the unused step entries of the model's
 * per-matrix stats (most of its 8 KB): points join a running front often. */
static void result_copy(map_result *dst, const map_result *src)
{
    const size_t res = offsetof(map_result, res);
    memcpy(dst, src, res + offsetof(cm_result, mat));
    for (int i = 0; i < 2; i++) {
        const cm_mat_stats *a = &src->res.mat[i];
        cm_mat_stats *b = &dst->res.mat[i];
        int n = a->nsteps < 0 ? 0 : a->nsteps > CM_NET_MAXF ? CM_NET_MAXF : a->nsteps;
        b->nsteps = a->nsteps;
        memcpy(b->st, a->st, (size_t)n * sizeof a->st[0]);
        memcpy(&b->slots, &a->slots, sizeof *a - offsetof(cm_mat_stats, slots));
    }
    memcpy(&dst->res.dma_words, &src->res.dma_words,
           sizeof *dst - res - offsetof(cm_result, dma_words));
}

static int pool_keep(drive *d, const map_result *r)
{
    if (d->npool == d->cappool) {
        if (d->npool >= 2 * map_front_size(d->front) + 16 && pool_compact(d))
            return -1;
        kept *t = cm_grow(d->pool, d->npool, &d->cappool, sizeof *t, 64);
        if (!t)
            return -1;
        d->pool = t;
    }
    kept *k = &d->pool[d->npool++];
    k->index = r->index;
    result_copy(&k->r, r);
    if (r->why == r->res.why) /* the text lives in the result itself */
        k->r.why = k->r.res.why;
    return 0;
}

static int cmp_member(const void *a, const void *b)
{
    return cmp_u64(&((const member *)a)->m.index, &((const member *)b)->m.index);
}

/* The final front: members in index order with their kept results. */
static int front_collect(drive *d)
{
    size_t n = map_front_size(d->front);
    free(d->members);
    d->nmembers = 0;
    d->members = malloc((n ? n : 1) * sizeof *d->members);
    if (!d->members)
        return -1;
    if (d->npool) /* none after a resume that skipped every point */
        qsort(d->pool, d->npool, sizeof *d->pool, cmp_kept);
    for (size_t i = 0; i < n; i++) {
        member *m = &d->members[i];
        kept key;
        key.index = (uint64_t)map_front_id(d->front, i);
        const kept *k = bsearch(&key, d->pool, d->npool, sizeof *d->pool, cmp_kept);
        if (!k) {
            snprintf(d->err, sizeof d->err, "front point %llu has no kept result",
                     (unsigned long long)key.index);
            return -1;
        }
        m->m.index = key.index;
        m->m.v = map_front_values(d->front, i);
        m->m.r = &k->r;
        m->m.point = cm_point_format(&k->r.pt, m->point, sizeof m->point) >= 0 ? m->point : NULL;
    }
    d->nmembers = n;
    if (n)
        qsort(d->members, n, sizeof *d->members, cmp_member);
    for (size_t i = 0; i < n; i++) /* qsort moved the strings */
        if (d->members[i].m.point)
            d->members[i].m.point = d->members[i].point;
    return 0;
}

/* ---- stages ---- */

static int store_row_of(drive *d, const map_result *r, const char *key)
{
    db_row row;
    store_row(&row, r, key, d->o.breakdowns ? d->comps : NULL);
    d->st.rows++;
    return db_writer_add(d->o.w, &row, d->err, sizeof d->err);
}

static int store_point(drive *d, const map_result *r)
{
    const char *key = d->fmt.buf;
    if (!d->key_ready || d->key_index != r->index)
        key = store_fmt_point(&d->fmt, &r->pt, NULL);
    d->key_ready = 0;
    if (!key) {
        snprintf(d->err, sizeof d->err, "cannot format point %llu", (unsigned long long)r->index);
        return -1;
    }
    return store_row_of(d, r, key);
}

static int store_front(drive *d)
{
    for (size_t i = 0; i < d->nmembers; i++) {
        const drive_member *m = &d->members[i].m;
        if (!m->point) {
            snprintf(d->err, sizeof d->err, "cannot format front point %llu",
                     (unsigned long long)m->index);
            return -1;
        }
        if (store_row_of(d, m->r, m->point))
            return -1;
    }
    return 0;
}

static int on_skip(const map_result *r, uint64_t pos, void *ud)
{
    drive *d = ud;
    if (d->o.filter && d->o.filter(r, pos, d->o.ud))
        return 1;
    if (!cm_hset_count(&d->done))
        return 0;
    const char *key = store_fmt_point(&d->fmt, &r->pt, NULL);
    if (!key)
        return 0;
    d->key_ready = 1;
    d->key_index = r->index;
    if (!cm_hset_has(&d->done, key_of(key)))
        return 0;
    /* a hash hit: confirm, so that a collision can never drop a point */
    if (db_has_point(d->rdb, key, d->err, sizeof d->err) != 1)
        return 0;
    d->key_ready = 0;
    d->st.skipped++;
    if ((d->st.skipped & 1023) == 0 && d->o.tick)
        d->o.tick(d, d->o.ud);
    return 1;
}

/* A visited valid point for the accuracy stage: its string (kept for the
 * store stage) and its objective metrics. */
static int collect_point(drive *d, const map_result *r)
{
    const char *key = store_fmt_point(&d->fmt, &r->pt, NULL);
    if (!key) {
        snprintf(d->err, sizeof d->err, "cannot format point %llu", (unsigned long long)r->index);
        return -1;
    }
    d->key_ready = 1;
    d->key_index = r->index;
    size_t n = strlen(key) + 1, k = (size_t)d->o.search.nobj;
    if (d->ncstr + n > d->capcstr) {
        size_t cap = d->capcstr ? 2 * d->capcstr : 1 << 16;
        while (cap < d->ncstr + n)
            cap *= 2;
        char *t = realloc(d->cstr, cap);
        if (!t)
            goto oom;
        d->cstr = t;
        d->capcstr = cap;
    }
    if (d->ncval + k > d->capcval) {
        size_t cap = d->capcval ? 2 * d->capcval : 1024;
        while (cap < d->ncval + k)
            cap *= 2;
        double *t = realloc(d->cval, cap * sizeof *t);
        if (!t)
            goto oom;
        d->cval = t;
        d->capcval = cap;
    }
    memcpy(d->cstr + d->ncstr, key, n);
    d->ncstr += n;
    for (size_t i = 0; i < k; i++)
        d->cval[d->ncval++] = r->m[d->o.search.obj[i]];
    return 0;
oom:
    snprintf(d->err, sizeof d->err, "out of memory (accuracy stage)");
    return -1;
}

static int on_visit(const map_result *r, uint64_t pos, void *ud)
{
    drive *d = ud;
    double v[MAP_MAX_OBJ];
    int offer;
    (void)pos;
    d->st.visited++;
    d->st.valid += !r->reject;
    least_see(&d->least[0], (double)r->params, r);
    least_see(&d->least[1], r->err_upper, r);
    if (r->modeled)
        least_see(&d->least[2], r->res.area_mm2, r);
    if (d->o.vec) {
        offer = d->o.vec(r, v, d->o.ud) == 0;
    } else {
        offer = !r->reject;
        for (int i = 0; offer && i < d->o.nobj; i++)
            v[i] = r->m[d->o.search.obj[i]];
    }
    if (offer) {
        d->st.offered++;
        int a = map_front_add(d->front, v, (int64_t)r->index);
        if (a < 0 || (a == 1 && pool_keep(d, r))) {
            snprintf(d->err, sizeof d->err, "out of memory (Pareto front)");
            d->failed = 1;
            return 1;
        }
    }
    if (d->o.collect && !r->reject && collect_point(d, r)) {
        d->failed = 1;
        return 1;
    }
    if (d->o.store == DRIVE_STORE_ALL && store_point(d, r)) {
        d->failed = 1;
        return 1;
    }
    if ((d->st.visited & 1023) == 0) {
        if (d->o.tick)
            d->o.tick(d, d->o.ud);
        if (d->o.time_limit > 0 && drive_now() - d->st.t0 > d->o.time_limit) {
            d->st.time_up = 1;
            return 1;
        }
    }
    return 0;
}

int drive_run(drive *d)
{
    if (d->o.store != DRIVE_STORE_NONE && !d->o.w) {
        snprintf(d->err, sizeof d->err, "the store stage has no writer");
        return -1;
    }
    int need_skip = d->o.filter || cm_hset_count(&d->done);
    d->st.t0 = drive_now();
    int src = map_search_run(d->ev, d->sp, &d->o.search, on_visit, need_skip ? on_skip : NULL,
                             d, d->o.stop);
    if (src < 0 || d->failed)
        return -1;
    if (front_collect(d)) {
        if (!d->err[0])
            snprintf(d->err, sizeof d->err, "out of memory (front)");
        return -1;
    }
    if (d->o.store == DRIVE_STORE_FRONT && store_front(d))
        return -1;
    return 0;
}

/* ---- the accuracy stage ---- */

acc_stage *drive_acc(const drive *d) { return d->acc; }

int drive_accuracy(drive *d, db_conn *db, const acc_opts *o)
{
    acc_free(d->acc);
    d->acc = acc_new(o, d->err, sizeof d->err);
    if (!d->acc)
        return -1;
    /* the points visited now (stored, or first stored by another run),
     * then those of this spec's runs in the database */
    size_t k = (size_t)d->o.search.nobj;
    const char *p = d->cstr;
    for (size_t i = 0; k == (size_t)o->nobj && i * k < d->ncval; i++, p += strlen(p) + 1)
        if (acc_add(d->acc, p, d->cval + i * k)) {
            snprintf(d->err, sizeof d->err, "out of memory (accuracy stage)");
            return -1;
        }
    if (acc_load(d->acc, db, d->err, sizeof d->err) ||
        acc_run(d->acc, db, d->err, sizeof d->err) || acc_front(d->acc, d->err, sizeof d->err))
        return -1;
    return 0;
}
