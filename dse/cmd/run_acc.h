/*
 * run_acc.h - the accuracy part of `dse run` (cmd_run.c): the data set of
 * the spec's accuracy section opened before any work, the driver's
 * accuracy stage (drive_accuracy) with its options, and its summary.
 */
#ifndef RUN_ACC_H
#define RUN_ACC_H

#include "drive.h"
#include "spec.h"

#include <signal.h>

struct td_set;

/* Opens the spec's data set: 0, or the exit status after one line. */
int run_acc_open(const spec *s, struct td_set **out);
/* The stage up to last_rung (-1: all) of shard si/sn: 0, or -1 with the
 * driver's error. */
int run_acc_stage(drive *dr, db_conn *db, const spec *s, const map_search_opts *so,
                  const char *hash, struct td_set *data, int last_rung, volatile sig_atomic_t *stop,
                  int progress);
/* What the stage did, and its front (at most show members; 0: all, < 0:
 * only their number). */
void run_acc_print(const drive *dr, const spec *s, const map_search_opts *so, long show);

#endif
