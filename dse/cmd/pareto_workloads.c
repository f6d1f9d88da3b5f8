/*
 * pareto_workloads.c - dse pareto's checks of workloads (pareto_workloads.h):
 * one front per workload, so rows of several layers or of the runs of
 * several spec workloads are refused, naming them; and a --workload name
 * must be one the databases hold.  The names come from the database module
 * (db_workloads: layers; db_run_workloads: the runs' spec workload names).
 */
#include "pareto_workloads.h"

#include "cli.h"

#include <stdio.h>
#include <string.h>

#define CMD "pareto"

/* Adds the names mine[0..n) (n may be max + 1: more) to all[0..*total). */
static void merge_names(char (*all)[DB_WORKLOAD_NAME], int *total,
                        char (*mine)[DB_WORKLOAD_NAME], int n, int max)
{
    for (int k = 0; k < n && k < max; k++) {
        int seen = 0;
        for (int j = 0; j < *total && j < max; j++)
            seen |= !strcmp(all[j], mine[k]);
        if (!seen && *total < max)
            memcpy(all[*total], mine[k], DB_WORKLOAD_NAME); /* NUL-terminated */
        *total += !seen;
    }
    if (n > max)
        *total = max + 1;
}

/* "a; b; c" (and "; ..." when there are more than max) into out. */
static void join_names(char (*names)[DB_WORKLOAD_NAME], int total, int max, char *out,
                       size_t len)
{
    out[0] = '\0';
    for (int j = 0; j < total && j < max; j++) {
        size_t u = strlen(out);
        snprintf(out + u, len - u, "%s%s", j ? "; " : "", names[j]);
    }
    if (total > max) {
        size_t u = strlen(out);
        snprintf(out + u, len - u, "; ...");
    }
}

/*
 * One front per workload: rows of several workloads (other layer sizes, mv
 * and lstm, or runs of specs with other workload names) are refused unless
 * --all-workloads, naming what was found.  --run and --workload select the
 * points of one spec workload (a point another workload shares is also
 * its), so only the layers are checked then.
 */
int pareto_check_workloads(const dbset *set, const char *where, int run_member,
                           int64_t run_local, const char *workload, int all_workloads)
{
    enum { MAXW = 4 };
    char layers[MAXW][DB_WORKLOAD_NAME], specs[MAXW][DB_WORKLOAD_NAME], err[512];
    char lall[MAXW * (DB_WORKLOAD_NAME + 4)], sall[MAXW * (DB_WORKLOAD_NAME + 4)];
    int nl = 0, ns = 0;
    for (int i = 0; i < set->n; i++) {
        if (run_member >= 0 && i != run_member)
            continue;
        char mine[MAXW][DB_WORKLOAD_NAME];
        int n;
        db_pick pk = {run_member >= 0 ? run_local : 0, workload};
        if (db_workloads(set->m[i].d, where, &pk, mine, MAXW, &n, err, sizeof err))
            return cli_bad(CMD, "%s", err);
        merge_names(layers, &nl, mine, n, MAXW);
        if (run_member >= 0 || workload || all_workloads)
            continue;
        if (db_run_workloads(set->m[i].d, where, mine, MAXW, &n, err, sizeof err))
            return cli_bad(CMD, "%s", err);
        merge_names(specs, &ns, mine, n, MAXW);
    }
    if ((nl <= 1 && ns <= 1) || all_workloads)
        return 0;
    join_names(layers, nl, MAXW, lall, sizeof lall);
    join_names(specs, ns, MAXW, sall, sizeof sall);
    if (ns > 1)
        return cli_bad(CMD, "the rows mix %s%d workloads (%s%s%s%s): one front per workload; "
                            "select one with --workload NAME or give --all-workloads",
                       ns > MAXW ? "more than " : "", ns > MAXW ? MAXW : ns, sall,
                       nl > 1 ? "; layers " : "", nl > 1 ? lall : "", "");
    return cli_bad(CMD, "the rows mix %s%d workloads (%s): one front per workload; select one "
                        "with --where (e.g. \"n_in = ... AND hidden = ...\") or give "
                        "--all-workloads", nl > MAXW ? "more than " : "",
                   nl > MAXW ? MAXW : nl, lall);
}

/* --workload NAME must be one the databases hold: else one line naming
 * those they hold. */
int pareto_check_workload_name(const dbset *set, const char *name)
{
    enum { MAXN = 16 };
    char all[MAXN][DB_WORKLOAD_NAME], mine[MAXN][DB_WORKLOAD_NAME], err[512];
    char list[MAXN * (DB_WORKLOAD_NAME + 4)];
    int total = 0, n;
    for (int i = 0; i < set->n; i++) {
        if (db_run_workloads(set->m[i].d, NULL, mine, MAXN, &n, err, sizeof err))
            return cli_bad(CMD, "%s", err);
        merge_names(all, &total, mine, n, MAXN);
    }
    for (int j = 0; j < total && j < MAXN; j++)
        if (!strcmp(all[j], name))
            return 0;
    join_names(all, total, MAXN, list, sizeof list);
    return cli_bad(CMD, "%s: no workload '%s'; %s%s", set->n > 1 ? "the databases"
                   : db_path(set->m[0].d), name, total ? "its runs' workloads: "
                   : "no run of it names its workload", list);
}

