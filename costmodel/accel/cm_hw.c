/*
 * cm_hw.c - defaults, range checks and names of the accelerator template
 * (cm_hw.h).  The defaults are assumptions documented in docs/MODEL.md.
 */
#include "cm_hw.h"

#include <string.h>

void cm_hw_default(cm_hw *hw)
{
    memset(hw, 0, sizeof *hw);
    hw->pes = 16;               /* TIE: 16 PEs */
    hw->lanes = 16;             /* assumption: 16-wide dot product per PE */
    hw->bits = 16;              /* 16-bit fixed point */
    hw->banks = 16;
    hw->work_words = 131072;    /* 2 x 64 Ki words = 256 KB at 16 bits */
    hw->wgt_words = 65536;      /* 128 KB at 16 bits: factors fit, a dense W_h does not */
    hw->dram_mbps = 12800;      /* one LPDDR4-3200 x32 channel */
    hw->sfu_lanes = 16;
    hw->freq_mhz = 1000;        /* TIE: 1 GHz */
    strcpy(hw->tech, "28nm");
}

static int name_ok(const char *s)
{
    size_t n = strnlen(s, 32);
    if (n == 0 || n >= 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

int cm_hw_check(const cm_hw *hw, char *err, size_t errlen)
{
    if (hw->pes < 1 || hw->pes > 4096)
        return cm_fail(err, errlen, "PEs (P) must be 1..4096, got %d", hw->pes);
    if (hw->lanes < 1 || hw->lanes > 4096)
        return cm_fail(err, errlen, "lanes (L) must be 1..4096, got %d", hw->lanes);
    if (hw->bits < 2 || hw->bits > 16)
        return cm_fail(err, errlen, "bit width (b) must be 2..16, got %d", hw->bits);
    if (hw->banks < 1 || hw->banks > 4096)
        return cm_fail(err, errlen, "banks (B) must be 1..4096, got %d", hw->banks);
    if (hw->work_words < 2 * (int64_t)hw->banks || hw->work_words > (INT64_C(1) << 40))
        return cm_fail(err, errlen, "working memory (wm) must be 2B..2^40 words, got %lld",
                       (long long)hw->work_words);
    if (hw->wgt_words < 0 || hw->wgt_words > (INT64_C(1) << 40))
        return cm_fail(err, errlen, "weight memory (wg) must be 0..2^40 words, got %lld",
                       (long long)hw->wgt_words);
    if (hw->dram_mbps < 1 || hw->dram_mbps > 10000000)
        return cm_fail(err, errlen, "DRAM bandwidth (bw) must be 1..10^7 MB/s, got %d",
                       hw->dram_mbps);
    if (hw->sfu_lanes < 1 || hw->sfu_lanes > 4096)
        return cm_fail(err, errlen, "SFU lanes must be 1..4096, got %d", hw->sfu_lanes);
    if (hw->freq_mhz < 1 || hw->freq_mhz > 100000)
        return cm_fail(err, errlen, "clock (mhz) must be 1..100000 MHz, got %d", hw->freq_mhz);
    if (!name_ok(hw->tech))
        return cm_fail(err, errlen, "technology name must be 1..31 of [A-Za-z0-9_.-]");
    return 0;
}

static const char *const df_names[CM_DF_COUNT] = {"wp", "op"};
static const char *const map_names[CM_MAP_COUNT] = {"linear", "skew", "xor", "transform"};

const char *cm_dataflow_name(cm_dataflow df) { return cm_name_of(df_names, CM_DF_COUNT, (int)df); }

int cm_dataflow_parse(const char *s, cm_dataflow *df)
{
    int i = cm_name_find(df_names, CM_DF_COUNT, s);
    if (i >= 0)
        *df = (cm_dataflow)i;
    return i < 0 ? -1 : 0;
}

const char *cm_bankmap_name(cm_bankmap m) { return cm_name_of(map_names, CM_MAP_COUNT, (int)m); }

int cm_bankmap_parse(const char *s, cm_bankmap *m)
{
    int i = cm_name_find(map_names, CM_MAP_COUNT, s);
    if (i >= 0)
        *m = (cm_bankmap)i;
    return i < 0 ? -1 : 0;
}

int cm_is_pow2(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

int cm_hw_pipe_depth(const cm_hw *hw)
{
    int lv = 0;
    while ((1 << lv) < hw->lanes)
        lv++;
    /* operand read, multiply, adder tree, accumulate, write back */
    return 1 + 1 + lv + 1 + 1;
}

double cm_hw_dram_bytes_per_cycle(const cm_hw *hw)
{
    return (double)hw->dram_mbps / (double)hw->freq_mhz;
}

int cm_hw_dma_words(const cm_hw *hw)
{
    /* integer form of floor(bytes_per_cycle * 8 / bits), no rounding error */
    int64_t w = (int64_t)hw->dram_mbps * 8 / ((int64_t)hw->freq_mhz * hw->bits);
    if (w < 1)
        w = 1;
    if (w > 1 << 20)
        w = 1 << 20;
    return (int)w;
}
