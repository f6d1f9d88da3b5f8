/*
 * map_metric.h - the one definition of the metrics of a design point: the
 * mapper's objectives, the model's figures it copies (map_eval.c), the
 * database's metric columns and their insert (dse/io/db_insert.c), the spec's
 * objective names and aliases (dse/io/spec.c) and `dse pareto`'s objectives
 * all come from MAP_METRICS; tests/test_db.c holds schemas/results.sql to it.
 *
 * X(ID, name, direction, integer, what): ID names MAP_M_<ID>; name is the
 * objective and the database column; direction the natural one (MIN or
 * MAX); integer 1 for a count (an INTEGER column), 0 for a REAL one.
 * Order matters only for printing (it is the order of the columns).
 */
#ifndef MAP_METRIC_H
#define MAP_METRIC_H

#include "map_pareto.h" /* map_dir */

#include <stddef.h>

#define MAP_METRICS(X)                                                                  \
    X(PARAMS, params, MIN, 1, "weight parameters of the decomposed model")              \
    X(MACS, macs, MIN, 1, "MACs per frame")                                             \
    X(CYCLES, cycles, MIN, 1, "cycles per frame (the frame period)")                    \
    X(LATENCY, latency, MIN, 1, "cycles from a frame's first input to its last output") \
    X(AREA, area_mm2, MIN, 0, "modeled area, mm^2")                                     \
    X(ENERGY, energy_pj, MIN, 0, "energy per frame, pJ, DRAM included")                 \
    X(POWER, power_mw, MIN, 0, "average power, mW")                                     \
    X(THROUGHPUT, throughput_fps, MAX, 0, "frames per second")                          \
    X(AREA_EFF, area_eff, MAX, 0, "frames/s per mm^2")                                  \
    X(ENERGY_EFF, energy_eff, MAX, 0, "frames per J")                                   \
    X(UTIL, utilization, MAX, 0, "MAC utilization, 0..1")                               \
    X(ERR_UPPER, err_upper, MIN, 0, "relative error bound of the decomposition (upper)")\
    X(ERR_LOWER, err_lower, MIN, 0, "relative error bound of the decomposition (lower)")\
    X(CONFLICTS, conflicts, MIN, 1, "bank conflicts per frame")                         \
    X(STALLS, stall_cycles, MIN, 1, "cycles lost to bank conflicts per frame")          \
    X(DRAM, dram_bytes, MIN, 1, "DRAM bytes per frame")

/* A(alias, ID): short names the spec and `dse pareto` accept. */
#define MAP_METRIC_ALIASES(A)                                                            \
    A(area, AREA) A(energy, ENERGY) A(power, POWER) A(throughput, THROUGHPUT)            \
    A(error, ERR_UPPER) A(util, UTIL)

#define MAP_METRIC_ENUM_(ID, name, dir, integer, what) MAP_M_##ID,
typedef enum { MAP_METRICS(MAP_METRIC_ENUM_) MAP_M_COUNT } map_metric;
#undef MAP_METRIC_ENUM_

/* The column name of m ("?" out of range); 1 when m is a count. */
const char *map_metric_name(map_metric m);
int map_metric_integer(map_metric m);
const char *map_metric_what(map_metric m);
map_dir map_metric_dir(map_metric m);
/* A name or an alias, alone or as "name:min" / "name:max" (else the
 * metric's natural direction); -1 when it is none of them. */
int map_objective_parse(const char *s, map_metric *m, map_dir *dir);
/* The metric of a name or alias (no direction): -1 when none. */
int map_metric_lookup(const char *name);
/* Every name and alias, for messages ("params, macs, ..., area = area_mm2"). */
int map_metric_list(char *buf, size_t len);

#endif
