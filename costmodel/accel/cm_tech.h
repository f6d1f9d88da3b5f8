/*
 * cm_tech.h - a technology table as plain numbers: energy per action and
 * area per component for one process node.  The tables live as YAML files
 * under tech/ (loaded by dse/io/tech.c, so users add a node without
 * recompiling); the cost model only sees this struct.
 *
 * Derivations the functions below implement (each documented in the YAML):
 *   - integer multiplier energy and area scale with the square of the width
 *     from the 8-bit anchor: e(b) = mult8 (b/8)^2;
 *   - adders and registers scale linearly with the width;
 *   - SRAM energy per access and area per bit interpolate between anchors
 *     (see cm_tech_sram and tech/README.md).
 */
#ifndef CM_TECH_H
#define CM_TECH_H

#include "cm_common.h"

#define CM_TECH_MAX_ANCHORS 8

typedef struct {
    double bytes;      /* capacity of the whole macro */
    double word_bits;  /* access width */
    double banks;      /* number of banks */
    double read_pj;    /* energy of one read of word_bits */
    double write_pj;   /* energy of one write of word_bits */
    double area_mm2;   /* whole macro */
} cm_sram_anchor;

typedef struct {
    char name[32];          /* "28nm" */
    int node_nm;
    double freq_mhz_max;    /* informational */
    double mult8_pj, mult8_um2;         /* 8-bit integer multiply */
    double add_pj_per_bit, add_um2_per_bit;
    double reg_pj_per_bit, reg_um2_per_bit; /* flip-flop write, area */
    double sfu_pj_per_op, sfu_um2_per_lane; /* sigmoid / tanh / elementwise */
    double dram_pj_per_bit;
    double leak_mw_per_mm2_logic, leak_mw_per_mm2_sram;
    double ctrl_area_frac;  /* control / interconnect overhead on logic area */
    /* SRAM interpolation shape (see cm_tech_sram): */
    double sram_width_exp;  /* access energy ~ word_bits^sram_width_exp */
    double sram_bank_exp;   /* energy sees bytes * banks^-sram_bank_exp */
    double sram_bank_um2;   /* periphery area per bank (decoders, I/O) */
    int nanchors;
    cm_sram_anchor anchor[CM_TECH_MAX_ANCHORS];
    char hash[17];          /* of the source file, hex; set by the loader */
} cm_tech;

typedef struct {
    double read_pj, write_pj; /* per access of word_bits */
    double area_mm2;
    double leak_mw;
} cm_sram_cost;

/* Checks every value is finite and >= 0, the exponents' ranges, and that
 * the 1..CM_TECH_MAX_ANCHORS SRAM anchors are positive and consistent with
 * the interpolation (distinct positions, energy and array area
 * non-decreasing along them). */
int cm_tech_check(const cm_tech *t, char *err, size_t errlen);
double cm_tech_mult_pj(const cm_tech *t, int bits);
double cm_tech_mult_um2(const cm_tech *t, int bits);
double cm_tech_add_pj(const cm_tech *t, int bits);
double cm_tech_add_um2(const cm_tech *t, int bits);
/* An SRAM of the given capacity, word width and bank count (one access
 * touches one bank).  Energy: piecewise power law through the anchors in
 * the effective capacity bytes * banks^-sram_bank_exp, times
 * (word_bits / anchor word_bits)^sram_width_exp.  Area: banks * (array
 * area of one bank, a piecewise power law through the anchors in bytes per
 * bank, + sram_bank_um2).  Leakage: area * leak_mw_per_mm2_sram.  Exact at
 * every anchor, non-decreasing in bytes, beyond the anchors extended with
 * the nearest segment's slope; finite and > 0 for any bytes >= 1,
 * word_bits >= 1, banks >= 1 of a table that passes cm_tech_check (inputs
 * below 1 are taken as 1).  All zero for a table without anchors. */
cm_sram_cost cm_tech_sram(const cm_tech *t, double bytes, int word_bits, int banks);

/* The built-in 28 nm table (the same numbers as tech/28nm.yaml), for tests
 * and for when no table file is given. */
void cm_tech_default_28nm(cm_tech *t);

#endif
