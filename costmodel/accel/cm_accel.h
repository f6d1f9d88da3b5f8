/*
 * cm_accel.h - what the accelerator cost model computes for a design point,
 * and its two implementations:
 *   - cm_analytic_eval: closed forms / counting over address-pattern periods;
 *     fast, for sweeps;
 *   - cm_func_eval: executes the mapping cycle by cycle on real b-bit data,
 *     generates every address, counts conflicts exactly and produces y,
 *     which equals cm_qmatvec bit for bit.
 * Both fill the same cm_result from their counts through one shared roll-up
 * (cm_result_finish: frame period, area, energy, efficiencies), so that the
 * two models can only differ in counts.  See docs/MODEL.md.
 *
 * Cycle rules (both models):
 *   - a stage's compute is a sequence of slots (one MAC per active lane per
 *     active PE); a slot that loads an input tile reads its distinct
 *     addresses from the banked memory: k > 1 distinct addresses in one bank
 *     cost k - 1 stall cycles; over banks, stall = max_b (k_b - 1) and
 *     conflicts = sum_b (k_b - 1);
 *   - output writes (the P results of a finished accumulation) count the
 *     same way on the write ports; read and write stalls add (the pipeline
 *     freezes while either port resolves a conflict);
 *   - each stage pays the pipeline depth once (fill/drain: the next stage
 *     reads this stage's output from the other ping-pong half).
 */
#ifndef CM_ACCEL_H
#define CM_ACCEL_H

#include "cm_point.h"
#include "cm_tech.h"
#include "cm_matvec.h"

/* Why a point is invalid (the mapper counts rejections by reason). */
typedef enum {
    CM_OK = 0,
    CM_REJ_POINT = 1,    /* cm_point_check failed (shapes, orders, ranges) */
    CM_REJ_MAP = 2,      /* bank map not applicable (xor needs B = 2^k) */
    CM_REJ_WORKMEM = 3,  /* an intermediate does not fit one working-SRAM half */
    CM_REJ_WGTMEM = 4,   /* the decomposed factors do not fit the weight SRAM */
    CM_REJ_TECH = 5,     /* technology table invalid or of another name */
    CM_REJ_COUNT = 6
} cm_reject;
const char *cm_reject_name(cm_reject r); /* "ok", "point", "map", "workmem", ... */

/* Memories a tensor can live in. */
typedef enum { CM_MEM_INBUF = 0, CM_MEM_WORK = 1, CM_MEM_ZBUF = 2 } cm_mem;

/* One contraction step on the array. */
typedef struct {
    int factor;                    /* factor number in cm_net */
    char label[CM_MAX_D + 1];      /* factor label ("3", "34", "W") */
    cm_dataflow df;
    int64_t K, C, Pn;              /* kept, consumed, produced sizes */
    int64_t in_words, out_words, factor_words;
    int in_mem, out_mem;           /* cm_mem of the input / output tensor */
    int64_t slots;                 /* compute cycles without stalls */
    int64_t fill;                  /* pipeline fill / drain */
    int64_t rd_stall, wr_stall;    /* stall cycles from read / write conflicts */
    int64_t rd_conflicts, wr_conflicts;
    int64_t macs;                  /* useful MACs (= cm_step.macs) */
    int64_t in_loads;              /* input tile loads (read groups) */
    int64_t in_reads;              /* words read from in_mem */
    int64_t out_writes;            /* words written to out_mem */
    int64_t wgt_loads;             /* weight register loads (per PE) */
    int64_t wgt_words;             /* weight words moved into PE registers */
    int exact;                     /* analytical counts are exact (see MODEL.md) */
} cm_stage_stats;

/* One matrix (all its steps). */
typedef struct {
    int nsteps;
    cm_stage_stats st[CM_NET_MAXF];
    int64_t slots, fill, rd_stall, wr_stall, rd_conflicts, wr_conflicts, macs;
    int64_t cycles;                /* slots + fill + stalls (+ DRAM wait if streamed) */
    int64_t stream_wait;           /* cycles lost waiting for streamed weights */
    int64_t in_words;              /* input vector length */
    int64_t peak_inter;            /* largest intermediate in a working half */
    int64_t factor_words;          /* total weight words */
    int streamed;                  /* 1: weights stream from DRAM every frame */
} cm_mat_stats;

/* Area components (um^2). */
enum {
    CM_A_MULT, CM_A_ADD, CM_A_REG, CM_A_WSRAM, CM_A_WORK, CM_A_INBUF,
    CM_A_ZBUF, CM_A_SFU, CM_A_CTRL, CM_A_COUNT
};
/* Energy components (pJ per frame). */
enum {
    CM_E_MULT, CM_E_ADD, CM_E_REG, CM_E_WSRAM, CM_E_WORK_RD, CM_E_WORK_WR,
    CM_E_INBUF_RD, CM_E_INBUF_WR, CM_E_ZBUF, CM_E_SFU, CM_E_DRAM, CM_E_LEAK,
    CM_E_COUNT
};
const char *cm_area_name(int i);   /* "mult", "add", "reg", "wsram", ... */
const char *cm_energy_name(int i); /* "mult", "add", "reg", "wsram", "work_rd", ... */

/* Which part of the frame pipeline sets the frame period. */
typedef enum { CM_PART_INPUT = 0, CM_PART_PE = 1, CM_PART_REC = 2, CM_PART_SFU = 3 } cm_part;
const char *cm_part_name(cm_part p); /* "input", "pe", "recurrence", "sfu" */

typedef struct {
    cm_reject reject;              /* CM_OK or why the point is invalid */
    char why[CM_ERRLEN];
    int functional;                /* 1: counts from cm_func_eval */
    int exact;                     /* analytical: every count claimed exact */
    char tech_name[32], tech_hash[17];

    int nmat;
    cm_mat_stats mat[2];           /* 0: wx (or the matrix), 1: wh */

    /* input path and SFU */
    int64_t dma_words, dma_groups, dma_stall, dma_conflicts;
    int64_t dram_bytes;            /* input frame + streamed weights */
    int64_t dram_cycles;           /* dram_bytes at the link bandwidth */
    int64_t in_cycles;             /* input part: max(dram, dma groups + stalls) */
    int64_t sfu_ops, sfu_cycles;
    int64_t h_words, h_groups, h_stall, h_conflicts; /* SFU writes of h to the input buffer */

    /* frame pipeline */
    int64_t pe_cycles;             /* sum over matrices */
    int64_t rec_cycles;            /* recurrence loop: W_h (or concat) + SFU */
    int64_t cycles;                /* frame period */
    int64_t latency;               /* one frame end to end */
    cm_part bound_by;
    int64_t stall_cycles, conflicts, macs;
    double utilization;            /* macs / (P L pe_cycles) */
    double util_period;            /* macs / (P L cycles) */

    /* accesses per memory (words; wsram also in wide accesses) */
    int64_t inbuf_reads, inbuf_writes, work_reads, work_writes;
    int64_t wsram_words, wsram_accesses, zbuf_accesses;
    int64_t wsram_mat_accesses[2];

    /* sizes */
    int64_t inbuf_words, wsram_size_words, zbuf_words;
    int64_t wsram_mat_words[2];    /* one weight macro per matrix (resident words) */
    int acc_bits;

    double area_um2[CM_A_COUNT], area_mm2;
    double energy_c[CM_E_COUNT], energy_pj;   /* per frame */
    double power_mw, throughput_fps;
    double area_eff;               /* fps / mm^2 */
    double energy_eff;             /* frames / J */
} cm_result;

/*
 * Analytical model.  Returns 0 for a valid point, -1 when it is rejected
 * (r->reject, r->why say why; the rest of r is then unspecified).  tech
 * must have passed cm_tech_check (the loader does it once) and carry the
 * name pt->hw.tech.
 */
int cm_analytic_eval(const cm_point *pt, const cm_tech *tech, cm_result *r);

/* The same with an explicit budget of bank evaluations per counting call
 * (cm_analytic_eval uses CM_ANALYTIC_BUDGET).  Where exact counting would
 * cost more, the stage gets the lower bound ceil(g/B) - 1 stalls per group
 * of g addresses and g - min(g, B) conflicts, and st->exact = 0. */
#define CM_ANALYTIC_BUDGET (INT64_C(1) << 22)
int cm_analytic_eval_budget(const cm_point *pt, const cm_tech *tech, int64_t budget,
                            cm_result *r);

/*
 * Sweeps: a cache of per-matrix geometry, per-stage results (keyed by the
 * matrix mapping, P, L, B, map and budget), input-write costs and SRAM
 * costs.  Results are identical to the uncached model; a sweep that varies
 * hardware parameters, maps or memories over a few matrix mappings mostly
 * hits.  One cache per thread (not thread-safe); it must not outlive a
 * change of a technology table at the same address with the same hash.
 */
typedef struct cm_acache cm_acache;
cm_acache *cm_acache_new(void);          /* NULL when out of memory */
void cm_acache_free(cm_acache *c);
void cm_acache_counts(const cm_acache *c, int64_t *hits, int64_t *misses);
/* net: NULL, or the networks of the point's matrices as the caller built
 * them from pt->wx.fmt and pt->wh.fmt (cm_net_build; net[i] NULL: none),
 * so that a geometry the cache misses is made from them instead of a
 * second build (the mapper builds them once per algorithm).  The format
 * and order checks run as without them. */
int cm_analytic_eval_cached(const cm_point *pt, const cm_tech *tech, cm_acache *c,
                            const cm_net *const net[2], cm_result *r);

/*
 * Functional model.  q[i] are the quantized weights of matrix i (q[1] only
 * for points with two matrices; its net must be that of the point's
 * format), x the input vector of wx (n_in, or n_pad for concat with the h
 * part and zero padding already in place; in frac_a), h the input of wh
 * (hidden words; NULL when nmat == 1), y[i] the outputs (rows of matrix i).
 * Returns 0, or -1 on a rejection (r->reject) or no memory.
 */
int cm_func_eval(const cm_point *pt, const cm_tech *tech, const cm_qweights *const q[2],
                 const int32_t *x, const int32_t *h, int32_t *const y[2], cm_result *r);

/* Shared roll-up from the per-stage counts (both models call it). */
void cm_result_finish(const cm_point *pt, const cm_tech *tech, cm_result *r);

#endif
