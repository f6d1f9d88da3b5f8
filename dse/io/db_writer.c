/*
 * db_writer.c - bulk inserts (db.h: db_writer): rows are copied into
 * batches of db_insert_batch; threaded, full batches go through a queue to
 * a writer thread that does all SQLite work (and commits when the interval
 * is over or the producer is idle), so the caller goes on evaluating.
 */
#include "db_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NO_OFF ((size_t)-1)

/* One batch of copied rows.  Strings live in arena; rows hold offsets
 * (off[3 i + 0..2]: point, format, reason) until the batch is stored. */
typedef struct wbatch {
    struct wbatch *next;
    int n;
    db_row *rows;
    size_t *off;
    int *comp0;             /* first component of row i in comps */
    db_comp *comps;
    size_t *name_off;       /* of comps[j].name */
    size_t ncomp, comp_cap;
    char *arena;
    size_t alen, acap;
} wbatch;

struct db_writer {
    db_conn *d;
    int64_t run_id;
    int batch, threaded, queue;
    wbatch *cur;            /* being filled by the caller */
    /* shared with the writer thread: under mu */
    pthread_mutex_t mu;
    pthread_cond_t work;    /* to the writer: a batch, a flush request, closing */
    pthread_cond_t done;    /* to the caller: room in the queue, a flush done */
    pthread_t thread;
    int started, closing, failed;
    wbatch *head, *tail, *spare;
    int queued;
    uint64_t flush_req, flush_done, stored;
    double cpu;
    char err[512];
};

static void wbatch_free(wbatch *b)
{
    if (!b)
        return;
    free(b->rows);
    free(b->off);
    free(b->comp0);
    free(b->comps);
    free(b->name_off);
    free(b->arena);
    free(b);
}

static wbatch *wbatch_new(int n)
{
    wbatch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->rows = malloc((size_t)n * sizeof *b->rows);
    b->off = malloc(3 * (size_t)n * sizeof *b->off);
    b->comp0 = malloc((size_t)n * sizeof *b->comp0);
    b->acap = (size_t)n * 256;
    b->arena = malloc(b->acap);
    if (!b->rows || !b->off || !b->comp0 || !b->arena) {
        wbatch_free(b);
        return NULL;
    }
    return b;
}

/* Copies s (NULL: NO_OFF) into the arena; -1 when out of memory. */
static int arena_put(wbatch *b, const char *s, size_t *off)
{
    if (!s) {
        *off = NO_OFF;
        return 0;
    }
    size_t len = strlen(s) + 1;
    if (b->alen + len > b->acap) {
        size_t cap = 2 * (b->alen + len);
        char *a = realloc(b->arena, cap);
        if (!a)
            return -1;
        b->arena = a;
        b->acap = cap;
    }
    memcpy(b->arena + b->alen, s, len);
    *off = b->alen;
    b->alen += len;
    return 0;
}

static int copy_row(wbatch *b, const db_row *r)
{
    int i = b->n;
    db_row *c = &b->rows[i];
    *c = *r;
    c->point = c->format = c->reason = NULL;
    c->comp = NULL;
    if (arena_put(b, r->point, &b->off[3 * i]) || arena_put(b, r->format, &b->off[3 * i + 1]) ||
        arena_put(b, r->reason, &b->off[3 * i + 2]))
        return -1;
    b->comp0[i] = (int)b->ncomp;
    if (r->ncomp > 0 && r->comp) {
        if (b->ncomp + (size_t)r->ncomp > b->comp_cap) {
            size_t cap = 2 * (b->ncomp + (size_t)r->ncomp);
            db_comp *cp = realloc(b->comps, cap * sizeof *cp);
            if (!cp)
                return -1;
            b->comps = cp;
            size_t *no = realloc(b->name_off, cap * sizeof *no);
            if (!no)
                return -1;
            b->name_off = no;
            b->comp_cap = cap;
        }
        for (int k = 0; k < r->ncomp; k++) {
            b->comps[b->ncomp] = r->comp[k];
            b->comps[b->ncomp].name = NULL;
            if (arena_put(b, r->comp[k].name, &b->name_off[b->ncomp]))
                return -1;
            b->ncomp++;
        }
    }
    b->n++;
    return 0;
}

static const char *at(const wbatch *b, size_t off) { return off == NO_OFF ? NULL : b->arena + off; }

/* db_insert_batch of a batch (pointers resolved first), then empties it. */
static int store_batch(db_conn *d, int64_t run_id, wbatch *b, size_t *ins, char *err,
                       size_t errlen)
{
    for (size_t j = 0; j < b->ncomp; j++)
        b->comps[j].name = at(b, b->name_off[j]);
    for (int i = 0; i < b->n; i++) {
        db_row *r = &b->rows[i];
        r->point = at(b, b->off[3 * i]);
        r->format = at(b, b->off[3 * i + 1]);
        r->reason = at(b, b->off[3 * i + 2]);
        r->comp = r->ncomp > 0 ? b->comps + b->comp0[i] : NULL;
    }
    int rc = db_insert_batch(d, run_id, b->rows, (size_t)b->n, ins, err, errlen);
    b->n = 0;
    b->alen = 0;
    b->ncomp = 0;
    return rc;
}

static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static struct timespec mono_after(double s)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double ns = (double)t.tv_nsec + s * 1e9;
    t.tv_sec += (time_t)(ns / 1e9);
    t.tv_nsec = (long)fmod(ns, 1e9);
    return t;
}

/* The writer thread: batches in queue order; flush requests once the queue
 * is empty; a commit after a quarter interval idle. */
static void *writer_main(void *arg)
{
    db_writer *w = arg;
    db_conn *d = w->d;
    char err[512];
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (w->head) {
            wbatch *b = w->head;
            w->head = b->next;
            if (!w->head)
                w->tail = NULL;
            w->queued--;
            int skip = w->failed;
            pthread_mutex_unlock(&w->mu);
            size_t ins = 0;
            int rc = 0;
            if (skip) {
                b->n = 0;
                b->alen = b->ncomp = 0;
            } else {
                rc = store_batch(d, w->run_id, b, &ins, err, sizeof err);
            }
            pthread_mutex_lock(&w->mu);
            if (rc && !w->failed) {
                w->failed = 1;
                snprintf(w->err, sizeof w->err, "%s", err);
            }
            w->stored += ins;
            w->cpu = thread_cpu_s();
            b->next = w->spare;
            w->spare = b;
            pthread_cond_broadcast(&w->done);
            continue;
        }
        if (w->flush_done != w->flush_req) {
            uint64_t req = w->flush_req;
            int skip = w->failed;
            pthread_mutex_unlock(&w->mu);
            int rc = skip ? 0 : db_flush(d, err, sizeof err);
            pthread_mutex_lock(&w->mu);
            if (rc && !w->failed) {
                w->failed = 1;
                snprintf(w->err, sizeof w->err, "%s", err);
            }
            w->flush_done = req;
            w->cpu = thread_cpu_s();
            pthread_cond_broadcast(&w->done);
            continue;
        }
        if (w->closing)
            break;
        if (d->pending && d->commit_every > 0) {
            struct timespec until = mono_after(d->commit_every / 4);
            int rc = pthread_cond_timedwait(&w->work, &w->mu, &until);
            if (rc == ETIMEDOUT && !w->head && w->flush_done == w->flush_req && !w->failed &&
                d->pending) {
                pthread_mutex_unlock(&w->mu);
                rc = db_flush(d, err, sizeof err);
                pthread_mutex_lock(&w->mu);
                if (rc && !w->failed) {
                    w->failed = 1;
                    snprintf(w->err, sizeof w->err, "%s", err);
                }
            }
        } else {
            pthread_cond_wait(&w->work, &w->mu);
        }
    }
    w->cpu = thread_cpu_s();
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int db_writer_open(db_conn *d, int64_t run_id, const db_writer_opts *o, db_writer **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    db_writer *w = calloc(1, sizeof *w);
    if (!w)
        return cm_fail(err, errlen, "out of memory");
    w->d = d;
    w->run_id = run_id;
    w->batch = o && o->batch > 0 ? o->batch : DB_BATCH;
    w->threaded = o && o->threaded;
    w->queue = o && o->queue > 0 ? o->queue : 4;
    if (!(w->cur = wbatch_new(w->batch))) {
        int n = w->batch;
        free(w);
        return cm_fail(err, errlen, "out of memory (batch of %d rows)", n);
    }
    if (!w->threaded) {
        *out = w;
        return 0;
    }
    pthread_condattr_t ca;
    int ok = pthread_mutex_init(&w->mu, NULL) == 0;
    if (ok && pthread_condattr_init(&ca) == 0) {
        ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&w->work, &ca) == 0;
        ok = ok && pthread_cond_init(&w->done, NULL) == 0;
        pthread_condattr_destroy(&ca);
    } else {
        ok = 0;
    }
    /* Signals go to the caller's threads: the writer runs with all blocked. */
    sigset_t all, old;
    sigfillset(&all);
    if (ok && pthread_sigmask(SIG_BLOCK, &all, &old) == 0) {
        ok = pthread_create(&w->thread, NULL, writer_main, w) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    } else {
        ok = 0;
    }
    if (!ok) {
        wbatch_free(w->cur);
        free(w);
        return cm_fail(err, errlen, "cannot start the writer thread");
    }
    w->started = 1;
    *out = w;
    return 0;
}

/* Hands the current batch to the writer thread (waits for room). */
static int submit(db_writer *w, char *err, size_t errlen)
{
    pthread_mutex_lock(&w->mu);
    while (w->queued >= w->queue && !w->failed)
        pthread_cond_wait(&w->done, &w->mu);
    if (w->failed) {
        cm_fail(err, errlen, "%s", w->err);
        pthread_mutex_unlock(&w->mu);
        return -1;
    }
    wbatch *b = w->cur;
    b->next = NULL;
    if (w->tail)
        w->tail->next = b;
    else
        w->head = b;
    w->tail = b;
    w->queued++;
    wbatch *next = w->spare;
    if (next)
        w->spare = next->next;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    if (!next && !(next = wbatch_new(w->batch))) {
        w->cur = NULL;
        return cm_fail(err, errlen, "out of memory (batch of %d rows)", w->batch);
    }
    w->cur = next;
    return 0;
}

int db_writer_add(db_writer *w, const db_row *row, char *err, size_t errlen)
{
    if (!w->threaded && w->failed)
        return cm_fail(err, errlen, "%s", w->err);
    if (!w->cur)
        return cm_fail(err, errlen, "out of memory");
    if (copy_row(w->cur, row))
        return cm_fail(err, errlen, "out of memory (copying a row)");
    if (w->cur->n < w->batch)
        return 0;
    if (w->threaded)
        return submit(w, err, errlen);
    size_t ins = 0;
    if (store_batch(w->d, w->run_id, w->cur, &ins, w->err, sizeof w->err)) {
        w->failed = 1;
        return cm_fail(err, errlen, "%s", w->err);
    }
    w->stored += ins;
    return 0;
}

int db_writer_flush(db_writer *w, char *err, size_t errlen)
{
    if (!w->threaded) {
        size_t ins = 0;
        if (!w->failed && w->cur && w->cur->n &&
            store_batch(w->d, w->run_id, w->cur, &ins, w->err, sizeof w->err))
            w->failed = 1;
        w->stored += ins;
        if (!w->failed && db_flush(w->d, w->err, sizeof w->err))
            w->failed = 1;
        return w->failed ? cm_fail(err, errlen, "%s", w->err) : 0;
    }
    if (w->cur && w->cur->n && submit(w, err, errlen))
        return -1;
    pthread_mutex_lock(&w->mu);
    uint64_t req = ++w->flush_req;
    pthread_cond_signal(&w->work);
    while (w->flush_done < req)
        pthread_cond_wait(&w->done, &w->mu);
    int rc = w->failed ? cm_fail(err, errlen, "%s", w->err) : 0;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int db_writer_close(db_writer *w, char *err, size_t errlen)
{
    if (!w)
        return 0;
    int rc = db_writer_flush(w, err, errlen);
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->closing = 1;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->done);
    }
    for (wbatch *b = w->head, *n; b; b = n) {
        n = b->next;
        wbatch_free(b);
    }
    for (wbatch *b = w->spare, *n; b; b = n) {
        n = b->next;
        wbatch_free(b);
    }
    wbatch_free(w->cur);
    free(w);
    return rc;
}

uint64_t db_writer_stored(db_writer *w)
{
    if (!w->threaded)
        return w->stored;
    pthread_mutex_lock(&w->mu);
    uint64_t n = w->stored;
    pthread_mutex_unlock(&w->mu);
    return n;
}

double db_writer_cpu_s(db_writer *w)
{
    if (!w->threaded)
        return 0;
    pthread_mutex_lock(&w->mu);
    double c = w->cpu;
    pthread_mutex_unlock(&w->mu);
    return c;
}
