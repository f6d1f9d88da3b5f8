/*
 * spec_acc.c - the `accuracy:` section of a spec (docs/SPEC.md, "accuracy"):
 * the data set and training options the accuracy stage (accstage.h) trains
 * the distinct networks of the valid points with, the seeds, and the
 * schedule: `all` (every network at the final budget) or successive
 * halving (rungs of increasing epochs, about 1/eta of the networks kept
 * at each).  Also `accuracy` / `accuracy:max` among search.objectives.
 * The data set itself is opened by the command before any work (a bad one
 * is bad input there); here only what a schema cannot say is checked.
 */
#include "spec_int.h"
#include "tr_model.h"

#include <stdio.h>
#include <string.h>

int spec_acc_objective(conv *v, const ynode *x)
{
    const char *t = x->text;
    if (strncmp(t, "accuracy", 8) || (t[8] && t[8] != ':'))
        return 0;
    if (t[8] && strcmp(t + 9, "max")) {
        ERR(v->c, x, "accuracy is maximized: write accuracy or accuracy:max, got '%s'", t);
        return -1;
    }
    if (v->acc_obj) {
        ERR(v->c, x, "objective accuracy given twice");
        return -1;
    }
    v->acc_obj = x;
    v->s->acc.objective = 1;
    return 1;
}

/* seeds: one integer or a list of distinct ones. */
static int conv_seeds(conv *v, const ynode *n, spec_acc *a)
{
    a->nseeds = 0;
    if (!n) {
        a->seed[a->nseeds++] = 1;
        return 0;
    }
    const ynode *first = n->kind == YN_SEQ ? n->first : n;
    for (const ynode *x = first; x; x = n->kind == YN_SEQ ? x->next : NULL) {
        uint64_t s = (uint64_t)spec_ival(x);
        for (int i = 0; i < a->nseeds; i++)
            if (a->seed[i] == s) {
                ERR(v->c, x, "seed %llu given twice", (unsigned long long)s);
                return -1;
            }
        if (a->nseeds == SPEC_ACC_MAX_SEEDS) {
            ERR(v->c, x, "at most %d seeds", SPEC_ACC_MAX_SEEDS);
            return -1;
        }
        a->seed[a->nseeds++] = s;
    }
    return 0;
}

/* The rung budgets of successive halving: an explicit list, or
 * min_epochs * eta^k below epochs and then epochs, or `rungs` budgets
 * ending at epochs, each eta times the one before (rounded up). */
static int conv_budgets(conv *v, const ynode *n, spec_acc *a, int epochs)
{
    const ynode *list = ymap_get(n, "budgets"), *mn = ymap_get(n, "min_epochs");
    const ynode *rg = ymap_get(n, "rungs");
    if (!!list + !!mn + !!rg > 1) {
        ERR(v->c, list ? list : mn, "give one of budgets, min_epochs and rungs");
        return -1;
    }
    a->nrungs = 0;
    if (list) {
        for (const ynode *x = list->first; x; x = x->next) {
            int b = (int)spec_ival(x);
            if (a->nrungs && b <= a->budget[a->nrungs - 1]) {
                ERR(v->c, x, "budgets must increase (%d after %d)", b,
                    a->budget[a->nrungs - 1]);
                return -1;
            }
            a->budget[a->nrungs++] = b;
        }
        if (a->budget[a->nrungs - 1] != epochs) {
            ERR(v->c, list, "the last budget is the final one: epochs %d, got %d", epochs,
                a->budget[a->nrungs - 1]);
            return -1;
        }
        return 0;
    }
    if (rg) {
        int r = (int)spec_ival(rg);
        long long div = 1;
        for (int k = r - 1; k >= 0; k--, div *= a->eta) {
            long long b = (epochs + div - 1) / div;
            a->budget[k] = (int)b;
            if (k < r - 1 && b >= a->budget[k + 1]) {
                ERR(v->c, rg, "%d rungs of eta %d do not fit in %d epochs (budgets must "
                    "increase)", r, a->eta, epochs);
                return -1;
            }
            if (div > epochs)
                div = epochs + 1LL; /* stays > epochs: budget 1 */
        }
        a->nrungs = r;
        return 0;
    }
    long long b = mn ? spec_ival(mn) : 1;
    if (b > epochs) {
        ERR(v->c, mn, "min_epochs %lld exceeds epochs %d", b, epochs);
        return -1;
    }
    for (; b < epochs && a->nrungs < SPEC_ACC_MAX_RUNGS - 1; b *= a->eta)
        a->budget[a->nrungs++] = (int)b;
    a->budget[a->nrungs++] = epochs;
    return 0;
}

int spec_conv_accuracy(conv *v, const ynode *n)
{
    spec *s = v->s;
    spec_acc *a = &s->acc;
    const ynode *x;
    if (!n) {
        if (v->acc_obj) {
            ERR(v->c, v->acc_obj, "the accuracy objective needs an accuracy section (dataset, "
                "epochs, schedule)");
            return -1;
        }
        return 0;
    }
    a->on = 1;
    if (s->search.nobj < 1) {
        ERR(v->c, v->acc_obj ? v->acc_obj : n, "accuracy needs at least one hardware "
            "objective beside it (e.g. params, energy_pj)");
        return -1;
    }
    x = ymap_get(n, "dataset");
    if (!x->len) {
        ERR(v->c, x, "expected moving-fmnist[:KEY=VALUE,...] or a directory of .npy clips");
        return -1;
    }
    /* the built-in set by name, anything else a directory next to the spec */
    a->data = strncmp(x->text, "moving-fmnist", 13) || (x->text[13] && x->text[13] != ':')
                  ? spec_rel_path(v, x->text)
                  : yarena_strndup(s->arena, x->text, x->len);
    if (!a->data)
        return -1;
    int epochs = (int)spec_ival(ymap_get(n, "epochs"));
    a->batch = (x = ymap_get(n, "batch")) ? (int)spec_ival(x) : TR_DEFAULT_BATCH;
    a->lr = (x = ymap_get(n, "lr")) ? spec_nval(x) : TR_DEFAULT_LR;
    if (!(a->lr > 0)) {
        ERR(v->c, x, "lr must be > 0");
        return -1;
    }
    if (conv_seeds(v, ymap_get(n, "seeds"), a))
        return -1;
    x = ymap_get(n, "schedule");
    a->halving = !x || !strcmp(x->text, "halving");
    a->eta = (x = ymap_get(n, "eta")) ? (int)spec_ival(x) : 3;
    if (!a->halving) {
        static const char *const only[] = {"eta", "budgets", "min_epochs", "rungs"};
        for (size_t i = 0; i < sizeof only / sizeof only[0]; i++)
            if ((x = ymap_get(n, only[i]))) {
                ERRK(v->c, x, "%s applies to schedule: halving only", only[i]);
                return -1;
            }
        a->nrungs = 1;
        a->budget[0] = epochs;
        return 0;
    }
    return conv_budgets(v, n, a, epochs);
}
