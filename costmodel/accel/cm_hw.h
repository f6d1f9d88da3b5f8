/*
 * cm_hw.h - the accelerator template (docs/MODEL.md section 1) and the
 * per-stage mapping vocabulary: dataflows and address-to-bank maps.
 *
 * Every hardware parameter is an integer so that a design point prints and
 * parses exactly (cm_point.h).  Defaults (cm_hw_default) are documented
 * assumptions, see docs/MODEL.md.
 *
 * The template:
 *   - P PEs, each a dot-product unit of L multipliers (b x b bits), an adder
 *     tree and one accumulator; an L-word input operand register and an
 *     L-word weight register per PE (reloaded only when their content
 *     changes, which is how stationarity shows up in the counts);
 *   - weight SRAM: P banks, one per PE, words of L*b bits; holds every
 *     factor that fits in wgt_words (a dense W_h that does not fit streams
 *     from DRAM every frame);
 *   - working SRAM: work_words b-bit words in B banks, one read and one write
 *     port per bank, split in two ping-pong halves of work_words/2 words;
 *   - input buffer: B banks like the working SRAM, sized automatically to
 *     the input vector(s) (x double-buffered, h single-buffered);
 *   - z buffer: 4H words at the SFU, where the last stage of every matrix
 *     accumulates its output (P write ports, no conflicts);
 *   - DRAM link of dram_mbps MB/s; SFU with sfu_lanes lanes, one op each per
 *     cycle; clock freq_mhz; technology table by name.
 */
#ifndef CM_HW_H
#define CM_HW_H

#include "cm_common.h"

/* Dataflow of one contraction step out[K,P] = sum_C in[K,C] F[C,P]. */
typedef enum {
    /* weight-parallel: PE pi <-> produced p = pb*P + pi, lane l <-> consumed
     * c = cb*L + l; the input slice in[k, cb-block] is broadcast to all PEs,
     * every PE holds different weights.  Temporal loops pb, k, cb (outer to
     * inner): with C <= L the weights stay in the PE registers for a whole
     * pb block. */
    CM_DF_WP = 0,
    /* output-parallel: PE pi <-> kept k = kb*P + pi, lane l <-> consumed c;
     * the weights F[cb-block, p] are broadcast, every PE reads its own input
     * slice.  Temporal loops kb, p, cb: with C <= L the input tile stays in
     * the PE registers for a whole kb block. */
    CM_DF_OP = 1
} cm_dataflow;
#define CM_DF_COUNT 2

/* Address-to-bank map of the working SRAM and the input buffer. */
typedef enum {
    CM_MAP_LINEAR = 0,    /* bank = a mod B, row = a div B */
    CM_MAP_SKEW = 1,      /* bank = (a + a div B) mod B, row = a div B */
    CM_MAP_XOR = 2,       /* bank = (a mod B) ^ ((a div B) mod B), B = 2^k */
    CM_MAP_TRANSFORM = 3  /* transform-on-write: each element placed in the
                           * bank where its reader (next stage) and its writer
                           * (this stage) both see distinct banks; a proper,
                           * balanced edge colouring of the reader-group x
                           * writer-group bipartite graph (docs/MODEL.md) */
} cm_bankmap;
#define CM_MAP_COUNT 4

typedef struct {
    int pes;            /* P >= 1 */
    int lanes;          /* L >= 1 (multipliers per PE) */
    int bits;           /* b: 2..16 (data and weight width) */
    int banks;          /* B >= 1 (working SRAM and input buffer) */
    int64_t work_words; /* working SRAM capacity, both halves, b-bit words */
    int64_t wgt_words;  /* weight SRAM capacity limit, b-bit words */
    int dram_mbps;      /* DRAM bandwidth, MB/s (10^6 bytes/s) */
    int sfu_lanes;      /* SFU ops per cycle */
    int freq_mhz;       /* clock */
    char tech[32];      /* technology table name, e.g. "28nm" */
} cm_hw;

/* Documented defaults: P=16 L=16 b=16 B=16, 128 Ki working words,
 * 64 Ki weight words, 12800 MB/s, 16 SFU lanes, 1000 MHz, "28nm". */
void cm_hw_default(cm_hw *hw);

/* Ranges: P, L 1..4096, B 1..4096, bits 2..16, work_words 2B..2^40,
 * wgt_words 0..2^40, dram_mbps 1..10^7, sfu_lanes 1..4096,
 * freq_mhz 1..100000, tech a non-empty [A-Za-z0-9_.-] name. */
int cm_hw_check(const cm_hw *hw, char *err, size_t errlen);

const char *cm_dataflow_name(cm_dataflow df);   /* "wp", "op" */
int cm_dataflow_parse(const char *s, cm_dataflow *df);
const char *cm_bankmap_name(cm_bankmap m);      /* "linear", "skew", "xor", "transform" */
int cm_bankmap_parse(const char *s, cm_bankmap *m);

/* 1 when B is a power of two (the XOR map needs it). */
int cm_is_pow2(int64_t v);

/* NULL when bank map m applies to B banks, else why not (static text).
 * The one rule: the model rejects by it (CM_REJ_MAP) and the mapper asks
 * it first, before its cheaper checks, so both report the same reason. */
static inline const char *cm_bankmap_unfit(cm_bankmap m, int B)
{
    if (m == CM_MAP_XOR && !cm_is_pow2(B))
        return "the xor bank map needs a power-of-two bank count";
    return NULL;
}

/* Bank of address a under an address-decoding map (linear, skew, xor);
 * not defined for CM_MAP_TRANSFORM (which is a placement, not a decoder). */
static inline int cm_bank_of(cm_bankmap m, int64_t a, int B)
{
    int64_t lo = a % B, row = a / B;
    switch (m) {
    case CM_MAP_SKEW:
        return (int)((lo + row) % B);
    case CM_MAP_XOR:
        return (int)(lo ^ (row % B));
    default:
        return (int)lo;
    }
}

/* Pipeline depth of a PE (operand read, multiply, ceil(log2 L) adder-tree
 * levels, accumulate, write back): the fill/drain cost paid once per stage. */
int cm_hw_pipe_depth(const cm_hw *hw);

/* Bytes per cycle of the DRAM link (dram_mbps / freq_mhz). */
double cm_hw_dram_bytes_per_cycle(const cm_hw *hw);

/* Words the DMA writes into the input buffer per cycle:
 * max(1, floor(bytes_per_cycle * 8 / bits)). */
int cm_hw_dma_words(const cm_hw *hw);

#endif
