/*
 * pareto_workloads.h - dse pareto's workload checks (cmd_pareto.c): one
 * front per workload, and --workload names one the databases hold.  Both
 * print their one-line message (cli_bad) and return CLI_BADINPUT, or 0.
 */
#ifndef PARETO_WORKLOADS_H
#define PARETO_WORKLOADS_H

#include <stdint.h>

#include "dbset.h"

/*
 * One front per workload: the rows where `where` (NULL: all) holds, of the
 * member run_member's run run_local only when run_member >= 0 and of the
 * runs of spec workload `workload` only when given, must be of one
 * workload (one layer size, mv or lstm, one spec workload name), unless
 * all_workloads; else one line naming what was found.  A run or a workload
 * selects the points of one spec workload (a point another workload shares
 * is also its), so only the layers are checked then.  Errors of the
 * databases are bad input too (the one line says which).
 */
int pareto_check_workloads(const dbset *set, const char *where, int run_member,
                           int64_t run_local, const char *workload, int all_workloads);
/* --workload NAME must be one the databases hold: else one line naming
 * those they hold. */
int pareto_check_workload_name(const dbset *set, const char *name);

#endif
