/*
 * cm_accel.c - what the analytical and the functional model share: the
 * validity checks of a point on the template (with a reason code), weight
 * residency, the input-write regions, and the roll-up from per-stage counts
 * to frame period, area, energy, power and efficiencies.  Keeping the
 * roll-up in one place means the two models can only differ in counts.
 * Every modelling rule here is stated in docs/MODEL.md.
 */
#include "cm_stage.h"
#include "cm_acache_impl.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const reject_names[CM_REJ_COUNT] = {"ok",      "point",  "map",
                                                       "workmem", "wgtmem", "tech"};
static const char *const area_names[CM_A_COUNT] = {"mult",  "add",  "reg", "wsram", "work",
                                                   "inbuf", "zbuf", "sfu", "ctrl"};
static const char *const energy_names[CM_E_COUNT] = {
    "mult",     "add",      "reg",  "wsram", "work_rd", "work_wr",
    "inbuf_rd", "inbuf_wr", "zbuf", "sfu",   "dram",    "leak"};
static const char *const part_names[4] = {"input", "pe", "recurrence", "sfu"};

const char *cm_reject_name(cm_reject r)
{
    return (unsigned)r < CM_REJ_COUNT ? reject_names[r] : "?";
}
const char *cm_area_name(int i) { return (unsigned)i < CM_A_COUNT ? area_names[i] : "?"; }
const char *cm_energy_name(int i) { return (unsigned)i < CM_E_COUNT ? energy_names[i] : "?"; }
const char *cm_part_name(cm_part p) { return (unsigned)p < 4 ? part_names[p] : "?"; }

int64_t cm_work_rows_half(const cm_hw *hw) { return hw->work_words / (2 * (int64_t)hw->banks); }

/* SFU (docs/MODEL.md): per hidden unit 5 activations (sigmoid i, f, o; tanh
 * g, c), each with a fused multiply-add that carries the elementwise cell
 * update; h leaves in groups of floor(lanes / 5) words per cycle. */
int64_t cm_sfu_ops(const cm_point *pt)
{
    return pt->layer == CM_LAYER_LSTM ? 5 * (int64_t)pt->hidden : 0;
}

int cm_sfu_hwords(const cm_hw *hw)
{
    int w = hw->sfu_lanes / 5;
    return w < 1 ? 1 : w;
}

void cm_input_writes(const cm_point *pt, int mat, cm_inwrites *iw)
{
    memset(iw, 0, sizeof *iw);
    int dma = cm_hw_dma_words(&pt->hw), hw_ = cm_sfu_hwords(&pt->hw);
    if (pt->layer == CM_LAYER_MV) {
        iw->n = 1;
        iw->len[0] = cm_modes_cols(&pt->wx.fmt.modes);
        iw->w[0] = dma;
        iw->is_dma[0] = 1;
        return;
    }
    if (mat == 0) {
        iw->n = 1;
        iw->len[0] = pt->n_in;
        iw->w[0] = dma;
        iw->is_dma[0] = 1;
        if (pt->decomp == CM_DECOMP_CONCAT) {
            iw->n = 2;
            iw->start[1] = pt->n_in;
            iw->len[1] = pt->hidden;
            iw->w[1] = hw_;
        }
    } else {
        iw->n = 1;
        iw->len[0] = pt->hidden;
        iw->w[0] = hw_;
    }
}

static int reject(cm_result *r, cm_reject why, const char *msg)
{
    r->reject = why;
    size_t n = strnlen(msg, sizeof r->why - 1);
    memcpy(r->why, msg, n);
    r->why[n] = '\0';
    return -1;
}

/*
 * Zeroes the result but its per-step arrays (mat[i].st: CM_NET_MAXF steps
 * per matrix, nine tenths of the struct), which the models fill for the
 * steps a matrix has, and which a rejection zeroes (reject_steps).  Zeroing
 * them per point was a tenth of a sweep's instructions.
 */
_Static_assert(offsetof(cm_result, dma_words) == offsetof(cm_result, mat) + 2 * sizeof(cm_mat_stats),
               "result_clear: dma_words must follow mat[]");
_Static_assert(offsetof(cm_mat_stats, slots) ==
                   offsetof(cm_mat_stats, st) + CM_NET_MAXF * sizeof(cm_stage_stats),
               "result_clear: slots must follow st[]");

static void result_clear(cm_result *r)
{
    memset(r, 0, offsetof(cm_result, mat));
    for (int i = 0; i < 2; i++) {
        r->mat[i].nsteps = 0;
        memset(&r->mat[i].slots, 0, sizeof r->mat[i] - offsetof(cm_mat_stats, slots));
    }
    memset(&r->dma_words, 0, sizeof *r - offsetof(cm_result, dma_words));
}

/* A rejection once the steps are known: they read as zeros, as before any model ran. */
static int reject_steps(cm_result *r, cm_reject why, const char *msg)
{
    for (int i = 0; i < r->nmat; i++)
        memset(r->mat[i].st, 0, (size_t)r->mat[i].nsteps * sizeof r->mat[i].st[0]);
    return reject(r, why, msg);
}

int cm_accel_prepare(const cm_point *pt, const cm_tech *tech, cm_acache *cache,
                     const cm_net *const net[2], cm_mgeom mgs[2], const cm_mgeom *mg[2],
                     uint64_t gid[2], cm_result *r)
{
    char e[CM_ERRLEN], m[CM_ERRLEN + 64];
    result_clear(r);
    if (cm_point_check_shapes(pt, e, sizeof e) < 0)
        return reject(r, CM_REJ_POINT, e);
    /* The table itself is checked once by whoever loads it (cm_tech_check);
     * here only that there is one, with SRAM anchors, of the right name. */
    if (!tech || tech->nanchors < 1)
        return reject(r, CM_REJ_TECH, "no technology table (or one without SRAM anchors)");
    if (strncmp(tech->name, pt->hw.tech, sizeof tech->name)) {
        snprintf(m, sizeof m, "the point asks for technology '%s', the table is '%.31s'",
                 pt->hw.tech, tech->name);
        return reject(r, CM_REJ_TECH, m);
    }
    /* bounded copies (no formatting on the hot path) */
    size_t tn = strnlen(tech->name, sizeof r->tech_name - 1);
    memcpy(r->tech_name, tech->name, tn);
    r->tech_name[tn] = '\0';
    size_t th = strnlen(tech->hash, sizeof r->tech_hash - 1);
    memcpy(r->tech_hash, tech->hash, th);
    r->tech_hash[th] = '\0';
    const cm_hw *hw = &pt->hw;
    const char *unfit = cm_bankmap_unfit(pt->map, hw->banks);
    if (unfit) {
        snprintf(m, sizeof m, "%s, B = %d", unfit, hw->banks);
        return reject(r, CM_REJ_MAP, m);
    }
    r->nmat = cm_point_nmat(pt);
    const cm_matmap *mm[2] = {&pt->wx, &pt->wh};
    int64_t decomposed = 0, dense = 0, maxc = 1;
    for (int i = 0; i < r->nmat; i++) {
        const char *name = i ? "wh" : "wx";
        gid[i] = 0;
        if (cache) {
            mg[i] = cm_acache_geom(cache, name, mm[i], net ? net[i] : NULL, hw->pes, hw->lanes,
                                   i ? mg[0] : NULL, &gid[i], e, sizeof e);
            if (!mg[i])
                return reject_steps(r, CM_REJ_POINT, e);
        } else {
            if (cm_matmap_check_net(name, mm[i], &mgs[i].net, e, sizeof e) < 0)
                return reject_steps(r, CM_REJ_POINT, e);
            cm_mgeom_from_net(mm[i], &mgs[i].net, hw->pes, hw->lanes, &mgs[i]);
            mg[i] = &mgs[i];
        }
        cm_mat_stats *ms = &r->mat[i];
        ms->nsteps = mg[i]->n;
        ms->in_words = mg[i]->in_words;
        ms->peak_inter = mg[i]->peak_inter;
        ms->factor_words = mg[i]->factor_words;
        if (mm[i]->fmt.kind == CM_DENSE)
            dense += mg[i]->factor_words;
        else
            decomposed += mg[i]->factor_words;
        if (mg[i]->max_c > maxc)
            maxc = mg[i]->max_c;
    }
    /* Weight residency: everything when it fits; otherwise dense matrices
     * stream from DRAM every frame and the decomposed ones must fit. */
    if (decomposed + dense > hw->wgt_words) {
        if (decomposed > hw->wgt_words) {
            snprintf(m, sizeof m,
                     "the decomposed factors need %lld weight words, the weight SRAM holds %lld",
                     (long long)decomposed, (long long)hw->wgt_words);
            return reject_steps(r, CM_REJ_WGTMEM, m);
        }
        for (int i = 0; i < r->nmat; i++)
            r->mat[i].streamed = mm[i]->fmt.kind == CM_DENSE;
    }
    /* Every intermediate must fit one working half: ceil(N/B) rows per bank
     * (all maps; the transform placement is balanced to the same rows). */
    int64_t rows = cm_work_rows_half(hw);
    for (int i = 0; i < r->nmat; i++)
        for (int s = 0; s + 1 < mg[i]->n; s++) {
            int64_t n = mg[i]->g[s].st.out_size;
            if (cm_cdiv(n, hw->banks) > rows) {
                snprintf(m, sizeof m,
                         "%s: the intermediate after step %d (%s) has %lld words, a working "
                         "half holds %lld (%lld rows x %d banks)",
                         i ? "wh" : "wx", s + 1, mg[i]->net.label[mg[i]->g[s].st.f],
                         (long long)n, (long long)(rows * hw->banks), (long long)rows,
                         hw->banks);
                return reject_steps(r, CM_REJ_WORKMEM, m);
            }
        }
    int lg = 0;
    while ((INT64_C(1) << lg) < maxc)
        lg++;
    r->acc_bits = 2 * hw->bits + lg;
    /* one weight macro per resident matrix, P banks of L-word rows */
    int64_t pl = (int64_t)hw->pes * hw->lanes;
    r->wsram_size_words = 0;
    for (int i = 0; i < r->nmat; i++) {
        r->wsram_mat_words[i] = r->mat[i].streamed ? 0 : cm_cdiv(mg[i]->factor_words, pl) * pl;
        r->wsram_size_words += r->wsram_mat_words[i];
    }
    r->inbuf_words = 2 * mg[0]->in_words + (r->nmat == 2 ? mg[1]->in_words : 0);
    r->zbuf_words = mg[0]->out_words;
    return 0;
}

/* ------------------------------------------------------------- roll-up */

static int64_t bytes_of(int64_t words, int bits) { return cm_cdiv(words * bits, 8); }

/* Cycles to move `bytes` over the DRAM link: ceil(bytes * mhz / mbps). */
static int64_t dram_cycles(const cm_hw *hw, int64_t bytes)
{
    return cm_cdiv(bytes * hw->freq_mhz, hw->dram_mbps);
}

static void sum_matrix(const cm_hw *hw, cm_mat_stats *ms)
{
    ms->slots = ms->fill = ms->rd_stall = ms->wr_stall = 0;
    ms->rd_conflicts = ms->wr_conflicts = ms->macs = 0;
    int64_t wwords = 0;
    for (int s = 0; s < ms->nsteps; s++) {
        const cm_stage_stats *st = &ms->st[s];
        ms->slots += st->slots;
        ms->fill += st->fill;
        ms->rd_stall += st->rd_stall;
        ms->wr_stall += st->wr_stall;
        ms->rd_conflicts += st->rd_conflicts;
        ms->wr_conflicts += st->wr_conflicts;
        ms->macs += st->macs;
        wwords += st->wgt_words;
    }
    int64_t busy = ms->slots + ms->fill + ms->rd_stall + ms->wr_stall;
    ms->stream_wait = 0;
    if (ms->streamed) {
        /* streamed weights arrive at the link rate; the array waits for them */
        int64_t need = dram_cycles(hw, bytes_of(wwords, hw->bits));
        if (need > busy)
            ms->stream_wait = need - busy;
    }
    ms->cycles = busy + ms->stream_wait;
}

static double sram_e(cm_sram_cost c, int64_t reads, int64_t writes)
{
    return c.read_pj * (double)reads + c.write_pj * (double)writes;
}

void cm_result_finish(const cm_point *pt, const cm_tech *tech, cm_result *r)
{
    cm_result_finish_c(pt, tech, NULL, r);
}

void cm_result_finish_c(const cm_point *pt, const cm_tech *tech, cm_acache *cache, cm_result *r)
{
    const cm_hw *hw = &pt->hw;
    int b = hw->bits;
    int64_t streamed_words = 0, acc_updates = 0, reg_words = 0;
    r->macs = r->stall_cycles = r->conflicts = 0;
    r->inbuf_reads = r->work_reads = r->work_writes = 0;
    r->wsram_words = r->wsram_accesses = r->zbuf_accesses = 0;
    r->wsram_mat_accesses[0] = r->wsram_mat_accesses[1] = 0;
    r->pe_cycles = 0;
    for (int i = 0; i < r->nmat; i++) {
        cm_mat_stats *ms = &r->mat[i];
        sum_matrix(hw, ms);
        r->pe_cycles += ms->cycles;
        r->macs += ms->macs;
        r->stall_cycles += ms->rd_stall + ms->wr_stall;
        r->conflicts += ms->rd_conflicts + ms->wr_conflicts;
        for (int s = 0; s < ms->nsteps; s++) {
            const cm_stage_stats *st = &ms->st[s];
            if (st->in_mem == CM_MEM_INBUF)
                r->inbuf_reads += st->in_reads;
            else
                r->work_reads += st->in_reads;
            if (st->out_mem == CM_MEM_WORK)
                r->work_writes += st->out_writes;
            else
                r->zbuf_accesses += st->out_writes * (i == 0 ? 1 : 2); /* 2nd: read-add-write */
            if (ms->streamed) {
                streamed_words += st->wgt_words;
            } else {
                r->wsram_words += st->wgt_words;
                r->wsram_accesses += st->wgt_loads;
                r->wsram_mat_accesses[i] += st->wgt_loads;
            }
            acc_updates += st->K * st->Pn * cm_cdiv(st->C, hw->lanes);
            reg_words += st->in_reads + st->wgt_words;
        }
    }
    /* input path: x from DRAM through the DMA, h from the SFU */
    r->stall_cycles += r->dma_stall + r->h_stall;
    r->conflicts += r->dma_conflicts + r->h_conflicts;
    r->inbuf_writes = r->dma_words + r->h_words;
    r->dram_bytes = bytes_of(r->dma_words, b) + bytes_of(streamed_words, b);
    r->dram_cycles = dram_cycles(hw, r->dram_bytes);
    r->in_cycles = r->dram_cycles;
    if (r->dma_groups + r->dma_stall > r->in_cycles)
        r->in_cycles = r->dma_groups + r->dma_stall;

    /* SFU and the frame pipeline */
    r->sfu_ops = cm_sfu_ops(pt);
    r->sfu_cycles = 0;
    r->rec_cycles = 0;
    if (pt->layer == CM_LAYER_LSTM) {
        int64_t act = cm_cdiv(r->sfu_ops, hw->sfu_lanes), wr = r->h_groups + r->h_stall;
        r->sfu_cycles = (act > wr ? act : wr) + 4; /* + SFU pipeline depth */
        r->zbuf_accesses += 4 * (int64_t)pt->hidden; /* the SFU reads z */
        const cm_mat_stats *rec = &r->mat[r->nmat == 2 ? 1 : 0];
        r->rec_cycles = rec->cycles + r->sfu_cycles;
    }
    int64_t parts[4] = {r->in_cycles, r->pe_cycles, r->rec_cycles, r->sfu_cycles};
    r->cycles = parts[0];
    r->bound_by = CM_PART_INPUT;
    for (int k = 1; k < 4; k++)
        if (parts[k] > r->cycles) {
            r->cycles = parts[k];
            r->bound_by = (cm_part)k;
        }
    if (r->cycles < 1)
        r->cycles = 1;
    r->latency = r->in_cycles + r->pe_cycles + r->sfu_cycles;
    double pl = (double)hw->pes * hw->lanes;
    r->utilization = r->pe_cycles > 0 ? (double)r->macs / (pl * (double)r->pe_cycles) : 0.0;
    r->util_period = (double)r->macs / (pl * (double)r->cycles);

    /* area (um^2) */
    double *A = r->area_um2;
    memset(A, 0, sizeof r->area_um2);
    A[CM_A_MULT] = pl * cm_tech_mult_um2(tech, b);
    A[CM_A_ADD] = pl * cm_tech_add_um2(tech, r->acc_bits); /* L-1 tree adders + accumulator */
    A[CM_A_REG] = (double)hw->pes * (2.0 * hw->lanes * b + r->acc_bits) * tech->reg_um2_per_bit;
    cm_sram_cost ws[2] = {{0, 0, 0, 0}, {0, 0, 0, 0}}, wk, ib, zb;
    for (int i = 0; i < r->nmat; i++)
        if (r->wsram_mat_words[i] > 0)
            ws[i] = cm_acache_sram(cache, tech, (double)bytes_of(r->wsram_mat_words[i], b),
                                   hw->lanes * b, hw->pes);
    wk = cm_acache_sram(cache, tech, (double)bytes_of(hw->work_words, b), b, hw->banks);
    ib = cm_acache_sram(cache, tech, (double)bytes_of(r->inbuf_words, b), b, hw->banks);
    zb = cm_acache_sram(cache, tech, (double)bytes_of(r->zbuf_words, b), b, hw->pes);
    A[CM_A_WSRAM] = (ws[0].area_mm2 + ws[1].area_mm2) * 1e6;
    A[CM_A_WORK] = wk.area_mm2 * 1e6;
    A[CM_A_INBUF] = ib.area_mm2 * 1e6;
    A[CM_A_ZBUF] = zb.area_mm2 * 1e6;
    A[CM_A_SFU] = pt->layer == CM_LAYER_LSTM ? hw->sfu_lanes * tech->sfu_um2_per_lane : 0.0;
    double logic = A[CM_A_MULT] + A[CM_A_ADD] + A[CM_A_REG] + A[CM_A_SFU];
    A[CM_A_CTRL] = tech->ctrl_area_frac * logic;
    logic += A[CM_A_CTRL];
    double area = 0;
    for (int k = 0; k < CM_A_COUNT; k++)
        area += A[k];
    r->area_mm2 = area * 1e-6;

    /* energy per frame (pJ) */
    double *E = r->energy_c;
    double period_ns = (double)r->cycles * 1000.0 / hw->freq_mhz;
    memset(E, 0, sizeof r->energy_c);
    E[CM_E_MULT] = (double)r->macs * cm_tech_mult_pj(tech, b);
    E[CM_E_ADD] = (double)r->macs * cm_tech_add_pj(tech, r->acc_bits);
    E[CM_E_REG] = tech->reg_pj_per_bit *
                  ((double)reg_words * b + (double)acc_updates * r->acc_bits);
    E[CM_E_WSRAM] = ws[0].read_pj * (double)r->wsram_mat_accesses[0] +
                    ws[1].read_pj * (double)r->wsram_mat_accesses[1];
    E[CM_E_WORK_RD] = sram_e(wk, r->work_reads, 0);
    E[CM_E_WORK_WR] = sram_e(wk, 0, r->work_writes);
    E[CM_E_INBUF_RD] = sram_e(ib, r->inbuf_reads, 0);
    E[CM_E_INBUF_WR] = sram_e(ib, 0, r->inbuf_writes);
    E[CM_E_ZBUF] = 0.5 * (zb.read_pj + zb.write_pj) * (double)r->zbuf_accesses;
    E[CM_E_SFU] = (double)r->sfu_ops * tech->sfu_pj_per_op;
    E[CM_E_DRAM] = (double)r->dram_bytes * 8.0 * tech->dram_pj_per_bit;
    double leak_mw = ws[0].leak_mw + ws[1].leak_mw + wk.leak_mw + ib.leak_mw + zb.leak_mw +
                     logic * 1e-6 * tech->leak_mw_per_mm2_logic;
    E[CM_E_LEAK] = leak_mw * period_ns; /* mW x ns = pJ */
    double en = 0;
    for (int k = 0; k < CM_E_COUNT; k++)
        en += E[k];
    r->energy_pj = en;
    r->power_mw = en / period_ns;
    r->throughput_fps = hw->freq_mhz * 1e6 / (double)r->cycles;
    r->area_eff = r->area_mm2 > 0 ? r->throughput_fps / r->area_mm2 : 0.0;
    r->energy_eff = en > 0 ? 1e12 / en : 0.0;
}
