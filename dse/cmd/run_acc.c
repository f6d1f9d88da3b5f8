/*
 * run_acc.c - the accuracy part of `dse run` (run_acc.h): options of the
 * driver's accuracy stage from the spec and the command, and the summary
 * lines and accuracy-aware front it prints.
 */
#include "run_acc.h"

#include "cli.h"
#include "traindata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int run_acc_open(const spec *s, struct td_set **out)
{
    char err[CM_ERRLEN];
    *out = NULL;
    if (!s->acc.on)
        return 0;
    if (td_open(s->acc.data, s->def.n_in, out, err, sizeof err))
        return cli_bad("run", "%s: accuracy: dataset: %s", s->path, err);
    return 0;
}

int run_acc_stage(drive *dr, db_conn *db, const spec *s, const map_search_opts *so,
                  const char *hash, struct td_set *data, int last_rung, volatile sig_atomic_t *stop,
                  int progress)
{
    char root[4200];
    acc_opts o;
    memset(&o, 0, sizeof o);
    o.acc = &s->acc;
    o.nobj = so->nobj;
    memcpy(o.obj, so->obj, sizeof o.obj);
    memcpy(o.dir, so->dir, sizeof o.dir);
    o.spec_hash = hash;
    o.shard_i = so->shard_i;
    o.shard_n = so->shard_n ? so->shard_n : 1;
    o.last_rung = last_rung;
    /* checkpoints beside the database: a survivor continues there */
    snprintf(root, sizeof root, "%s.ckpt", db_path(db));
    o.ckpt_root = root;
    o.data = data;
    o.stop = stop;
    o.progress = progress;
    return drive_accuracy(dr, db, &o);
}

static void print_rungs(const spec *s, const acc_stats *st)
{
    const spec_acc *a = &s->acc;
    printf("accuracy: %zu networks in %zu classes of %zu valid points, %s", st->variants,
           st->nets, st->points,
           a->halving ? "successive halving" : "every network at the final budget");
    if (a->halving)
        printf(" (eta %d)", a->eta);
    printf(", %d seed%s; networks per rung:", a->nseeds, a->nseeds == 1 ? "" : "s");
    for (int r = 0; r < a->nrungs; r++)
        if (r < st->rungs || (r == st->rungs && st->alive[r]))
            printf(" %zu at %d epoch%s%s", st->alive[r], a->budget[r],
                   a->budget[r] == 1 ? "" : "s",
                   r + 1 < a->nrungs && r + 1 <= st->rungs ? "," : "");
    printf("\naccuracy: %llu trainings now (%llu epoch%s, %.3f CPU-s), %llu found stored\n",
           (unsigned long long)st->trained, (unsigned long long)st->epochs,
           st->epochs == 1 ? "" : "s", st->seconds,
           (unsigned long long)st->found);
}

void run_acc_print(const drive *dr, const spec *s, const map_search_opts *so, long show)
{
    acc_stage *ac = drive_acc(dr);
    if (!ac)
        return;
    const acc_stats *st = acc_get_stats(ac);
    print_rungs(s, st);
    if (st->stopped)
        printf("accuracy: interrupted; the same command continues\n");
    if (st->missing)
        printf("accuracy: rung %d waits for %zu trainings of other shards\n", st->rungs + 1,
               st->missing);
    if (st->rungs < s->acc.nrungs)
        return;
    size_t n = acc_front_size(ac);
    printf("Accuracy-aware Pareto front (");
    for (int i = 0; i < so->nobj; i++)
        printf("%s:%s, ", map_metric_name(so->obj[i]), so->dir[i] == MAP_MAX ? "max" : "min");
    int last = s->acc.budget[s->acc.nrungs - 1];
    printf("accuracy:max at %d epoch%s): %zu point%s\n", last, last == 1 ? "" : "s", n,
           n == 1 ? "" : "s");
    if (!n || show < 0)
        return;
    printf(" ");
    for (int i = 0; i < so->nobj; i++)
        printf(" %14s", map_metric_name(so->obj[i]));
    printf(" %9s  point\n", "accuracy");
    for (size_t i = 0; i < n && (!show || i < (size_t)show); i++) {
        const acc_member *m = acc_front_member(ac, i);
        printf(" ");
        for (int j = 0; j < so->nobj; j++)
            printf(" %14.6g", m->v[j]);
        printf(" %9.4f  %s\n", m->v[so->nobj], m->point);
    }
    if (show && (size_t)show < n)
        printf("  ... %zu more (--front-all lists them; dse pareto --objective accuracy:max "
               "queries the database)\n", n - show);
}
