/*
 * report.h - printing of an accelerator evaluation (cm_result): the text
 * "stats report" (where every cycle, pJ and um^2 went) and one JSON object
 * with every metric and its breakdowns.  Printing lives only in dse/.
 *
 * Typical use (dse eval):
 *     cm_result r;
 *     cm_analytic_eval(&pt, &tech, &r);       (or cm_func_eval)
 *     json ? report_json(stdout, &pt, &r) : report_text(stdout, &pt, &r);
 * A rejected point (r.reject != CM_OK) prints its reason code and message.
 */
#ifndef REPORT_H
#define REPORT_H

#include "cm_accel.h"

#include <stdio.h>

/* The stats report; returns 0, or -1 on a write error. */
int report_text(FILE *f, const cm_point *pt, const cm_result *r);

/* One JSON object (newline-terminated); returns 0, or -1 on a write error.
 * Keys: point, valid, reject, why, model, exact, tech{name,hash}, cycles,
 * stall_cycles, conflicts, macs, utilization, util_period, latency,
 * bound_by, parts{input,pe,recurrence,sfu}, area_mm2, energy_pj (per frame),
 * power_mw, throughput_fps, area_eff (fps/mm^2), energy_eff (frames/J),
 * area_um2{component..}, energy_breakdown_pj{component..}, accesses{..},
 * input{..}, sfu{..}, matrices[{name, streamed, cycles, ..., steps[{..}]}]. */
int report_json(FILE *f, const cm_point *pt, const cm_result *r);

/* s as a JSON string literal, with the escapes JSON needs. */
void report_json_str(FILE *f, const char *s);

/* An integer with thousands separators into buf: 58982400 -> "58,982,400". */
const char *report_grouped(int64_t v, char *buf, size_t n);

/* Analytical beside functional, per step and in total, with "=" where the
 * counts agree (the one-truth check for one point); returns 0 when every
 * count the analytical model claims exact agrees, 1 otherwise. */
int report_compare(FILE *f, const cm_result *ana, const cm_result *fun);

#endif
