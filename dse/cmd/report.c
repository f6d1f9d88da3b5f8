/*
 * report.c - the text stats report and the JSON object of an accelerator
 * evaluation (report.h).  Everything printed comes from cm_result; nothing
 * is recomputed here except shares and unit conversions.
 */
#include "report.h"

#include <math.h>
#include <string.h>

static const char *mem_name(int m)
{
    return m == CM_MEM_INBUF ? "inbuf" : m == CM_MEM_WORK ? "work" : "zbuf";
}

static double pct(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; }

/* ------------------------------------------------------------- text */

static void text_header(FILE *f, const cm_point *pt, const cm_result *r)
{
    char key[CM_POINT_MAXLEN];
    if (cm_point_format(pt, key, sizeof key) < 0)
        snprintf(key, sizeof key, "(unprintable point)");
    fprintf(f, "design point  %s\n", key);
    fprintf(f, "model         %s%s\n", r->functional ? "functional (cycle by cycle, bit-true)"
                                                     : "analytical",
            r->functional || r->reject != CM_OK ? ""
            : r->exact                          ? " (all counts exact)"
                                                : " (some stages bounded: lower-bound stalls)");
    if (r->reject != CM_OK) {
        fprintf(f, "status        REJECTED (%s): %s\n", cm_reject_name(r->reject), r->why);
        return;
    }
    fprintf(f, "technology    %s (table hash %s)\n", r->tech_name, r->tech_hash);
    const cm_hw *h = &pt->hw;
    fprintf(f, "hardware      %d PEs x %d lanes, %d-bit, %d banks (%s), working SRAM %lld words, "
               "%d MHz\n", h->pes, h->lanes, h->bits, h->banks, cm_bankmap_name(pt->map),
            (long long)h->work_words, h->freq_mhz);
}

static void text_cycles(FILE *f, const cm_point *pt, const cm_result *r)
{
    double us = (double)r->cycles / pt->hw.freq_mhz;
    fprintf(f, "\nframe period  %lld cycles = %.3f us -> %.1f frames/s (set by: %s)\n",
            (long long)r->cycles, us, r->throughput_fps, cm_part_name(r->bound_by));
    fprintf(f, "  input       %10lld  (DRAM %lld B = %lld cycles; DMA %lld groups + %lld stall)\n",
            (long long)r->in_cycles, (long long)r->dram_bytes, (long long)r->dram_cycles,
            (long long)r->dma_groups, (long long)r->dma_stall);
    fprintf(f, "  pe array    %10lld  (all matrices, stalls and fills included)\n",
            (long long)r->pe_cycles);
    if (pt->layer == CM_LAYER_LSTM) {
        fprintf(f, "  recurrence  %10lld  (%s + SFU)\n", (long long)r->rec_cycles,
                r->nmat == 2 ? "W_h" : "[W_x|W_h]");
        fprintf(f, "  sfu         %10lld  (%lld ops; h writes %lld groups + %lld stall)\n",
                (long long)r->sfu_cycles, (long long)r->sfu_ops, (long long)r->h_groups,
                (long long)r->h_stall);
    }
    fprintf(f, "latency       %lld cycles (one frame, no overlap)\n", (long long)r->latency);
    fprintf(f, "MACs          %lld   utilization %.1f%% of PE-array cycles, %.1f%% of the frame\n",
            (long long)r->macs, 100 * r->utilization, 100 * r->util_period);
    fprintf(f, "conflicts     %lld   stall cycles %lld\n", (long long)r->conflicts,
            (long long)r->stall_cycles);
}

static void text_stages(FILE *f, const cm_point *pt, const cm_result *r)
{
    double pl = (double)pt->hw.pes * pt->hw.lanes;
    fprintf(f, "\nwhere the PE-array cycles went\n");
    fprintf(f, "  %-3s %-4s %-6s %-2s %8s %6s %6s %9s %5s %8s %8s %9s %9s %5s\n", "mat", "step",
            "factor", "df", "K", "C", "P", "slots", "fill", "rd_stall", "wr_stall", "conflicts",
            "MACs", "util");
    for (int i = 0; i < r->nmat; i++) {
        const cm_mat_stats *ms = &r->mat[i];
        for (int s = 0; s < ms->nsteps; s++) {
            const cm_stage_stats *st = &ms->st[s];
            int64_t cyc = st->slots + st->fill + st->rd_stall + st->wr_stall;
            fprintf(f, "  %-3s %-4d %-6s %-2s %8lld %6lld %6lld %9lld %5lld %8lld %8lld %9lld %9lld "
                       "%4.0f%%%s\n",
                    i ? "wh" : "wx", s + 1, st->label, cm_dataflow_name(st->df), (long long)st->K,
                    (long long)st->C, (long long)st->Pn, (long long)st->slots, (long long)st->fill,
                    (long long)st->rd_stall, (long long)st->wr_stall,
                    (long long)(st->rd_conflicts + st->wr_conflicts), (long long)st->macs,
                    cyc ? 100.0 * (double)st->macs / (pl * (double)cyc) : 0.0, st->exact ? "" : "  (bounded)");
        }
        fprintf(f, "  %-3s total%s: %lld cycles = %lld slots + %lld fill + %lld read stall + %lld "
                   "write stall + %lld waiting for streamed weights\n",
                i ? "wh" : "wx", ms->streamed ? " (weights streamed)" : "", (long long)ms->cycles,
                (long long)ms->slots, (long long)ms->fill, (long long)ms->rd_stall,
                (long long)ms->wr_stall, (long long)ms->stream_wait);
    }
}

static void text_accesses(FILE *f, const cm_result *r)
{
    fprintf(f, "\naccesses per frame (words)\n");
    fprintf(f, "  input buffer   %10lld reads %10lld writes  (%lld words, x double-buffered)\n",
            (long long)r->inbuf_reads, (long long)r->inbuf_writes, (long long)r->inbuf_words);
    fprintf(f, "  working SRAM   %10lld reads %10lld writes\n", (long long)r->work_reads,
            (long long)r->work_writes);
    fprintf(f, "  weight SRAM    %10lld words in %lld wide accesses  (%lld words resident)\n",
            (long long)r->wsram_words, (long long)r->wsram_accesses,
            (long long)r->wsram_size_words);
    fprintf(f, "  z buffer       %10lld accesses\n", (long long)r->zbuf_accesses);
    fprintf(f, "  DRAM           %10lld bytes\n", (long long)r->dram_bytes);
    fprintf(f, "  per tensor:\n");
    for (int i = 0; i < r->nmat; i++)
        for (int s = 0; s < r->mat[i].nsteps; s++) {
            const cm_stage_stats *st = &r->mat[i].st[s];
            fprintf(f, "    %s step %d (%s): reads %lld of its input (%s, %lld words), writes %lld "
                       "(%s), weight words %lld\n",
                    i ? "wh" : "wx", s + 1, st->label, (long long)st->in_reads,
                    mem_name(st->in_mem), (long long)st->in_words, (long long)st->out_writes,
                    mem_name(st->out_mem), (long long)st->wgt_words);
        }
}

static void text_area_energy(FILE *f, const cm_result *r)
{
    fprintf(f, "\narea          %.4f mm^2\n", r->area_mm2);
    for (int i = 0; i < CM_A_COUNT; i++)
        fprintf(f, "  %-9s %14.1f um^2  %5.1f%%\n", cm_area_name(i), r->area_um2[i],
                pct(r->area_um2[i], r->area_mm2 * 1e6));
    fprintf(f, "energy        %.1f pJ per frame\n", r->energy_pj);
    for (int i = 0; i < CM_E_COUNT; i++)
        fprintf(f, "  %-9s %14.1f pJ    %5.1f%%\n", cm_energy_name(i), r->energy_c[i],
                pct(r->energy_c[i], r->energy_pj));
    fprintf(f, "power         %.2f mW\n", r->power_mw);
    fprintf(f, "throughput    %.1f frames/s\n", r->throughput_fps);
    fprintf(f, "area eff.     %.1f frames/s/mm^2\n", r->area_eff);
    fprintf(f, "energy eff.   %.1f frames/J\n", r->energy_eff);
}

int report_text(FILE *f, const cm_point *pt, const cm_result *r)
{
    text_header(f, pt, r);
    if (r->reject == CM_OK) {
        text_cycles(f, pt, r);
        text_stages(f, pt, r);
        text_accesses(f, r);
        text_area_energy(f, r);
    }
    return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------- JSON */

const char *report_grouped(int64_t v, char *buf, size_t n)
{
    char t[32];
    int len = snprintf(t, sizeof t, "%lld", (long long)v), o = 0;
    for (int i = 0; i < len && (size_t)o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0 && t[i - 1] != '-')
            buf[o++] = ',';
        buf[o++] = t[i];
    }
    buf[o] = '\0';
    return buf;
}

void report_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void jnum(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

static void jkv_i(FILE *f, const char *k, int64_t v, int comma)
{
    fprintf(f, "%s\"%s\":%lld", comma ? "," : "", k, (long long)v);
}

static void jkv_d(FILE *f, const char *k, double v, int comma)
{
    fprintf(f, "%s\"%s\":", comma ? "," : "", k);
    jnum(f, v);
}

static void json_step(FILE *f, const cm_stage_stats *st)
{
    fputs("{\"factor\":", f);
    report_json_str(f, st->label);
    fprintf(f, ",\"df\":\"%s\"", cm_dataflow_name(st->df));
    jkv_i(f, "K", st->K, 1);
    jkv_i(f, "C", st->C, 1);
    jkv_i(f, "P", st->Pn, 1);
    jkv_i(f, "slots", st->slots, 1);
    jkv_i(f, "fill", st->fill, 1);
    jkv_i(f, "rd_stall", st->rd_stall, 1);
    jkv_i(f, "wr_stall", st->wr_stall, 1);
    jkv_i(f, "rd_conflicts", st->rd_conflicts, 1);
    jkv_i(f, "wr_conflicts", st->wr_conflicts, 1);
    jkv_i(f, "macs", st->macs, 1);
    jkv_i(f, "in_loads", st->in_loads, 1);
    jkv_i(f, "in_reads", st->in_reads, 1);
    jkv_i(f, "out_writes", st->out_writes, 1);
    jkv_i(f, "wgt_loads", st->wgt_loads, 1);
    jkv_i(f, "wgt_words", st->wgt_words, 1);
    jkv_i(f, "in_words", st->in_words, 1);
    jkv_i(f, "out_words", st->out_words, 1);
    fprintf(f, ",\"in_mem\":\"%s\",\"out_mem\":\"%s\",\"exact\":%s}", mem_name(st->in_mem),
            mem_name(st->out_mem), st->exact ? "true" : "false");
}

static void json_matrices(FILE *f, const cm_result *r)
{
    fputs(",\"matrices\":[", f);
    for (int i = 0; i < r->nmat; i++) {
        const cm_mat_stats *ms = &r->mat[i];
        fprintf(f, "%s{\"name\":\"%s\",\"streamed\":%s", i ? "," : "", i ? "wh" : "wx",
                ms->streamed ? "true" : "false");
        jkv_i(f, "cycles", ms->cycles, 1);
        jkv_i(f, "slots", ms->slots, 1);
        jkv_i(f, "fill", ms->fill, 1);
        jkv_i(f, "rd_stall", ms->rd_stall, 1);
        jkv_i(f, "wr_stall", ms->wr_stall, 1);
        jkv_i(f, "rd_conflicts", ms->rd_conflicts, 1);
        jkv_i(f, "wr_conflicts", ms->wr_conflicts, 1);
        jkv_i(f, "stream_wait", ms->stream_wait, 1);
        jkv_i(f, "macs", ms->macs, 1);
        jkv_i(f, "in_words", ms->in_words, 1);
        jkv_i(f, "peak_intermediate", ms->peak_inter, 1);
        jkv_i(f, "factor_words", ms->factor_words, 1);
        fputs(",\"steps\":[", f);
        for (int s = 0; s < ms->nsteps; s++) {
            if (s)
                fputc(',', f);
            json_step(f, &ms->st[s]);
        }
        fputs("]}", f);
    }
    fputc(']', f);
}

int report_json(FILE *f, const cm_point *pt, const cm_result *r)
{
    char key[CM_POINT_MAXLEN];
    if (cm_point_format(pt, key, sizeof key) < 0)
        key[0] = '\0';
    fputs("{\"point\":", f);
    report_json_str(f, key);
    fprintf(f, ",\"valid\":%s,\"reject\":\"%s\",\"why\":", r->reject == CM_OK ? "true" : "false",
            cm_reject_name(r->reject));
    report_json_str(f, r->reject == CM_OK ? "" : r->why);
    fprintf(f, ",\"model\":\"%s\",\"exact\":%s", r->functional ? "functional" : "analytical",
            r->exact ? "true" : "false");
    if (r->reject != CM_OK) {
        fputs("}\n", f);
        return ferror(f) ? -1 : 0;
    }
    fputs(",\"tech\":{\"name\":", f);
    report_json_str(f, r->tech_name);
    fputs(",\"hash\":", f);
    report_json_str(f, r->tech_hash);
    fputc('}', f);
    jkv_i(f, "cycles", r->cycles, 1);
    jkv_i(f, "stall_cycles", r->stall_cycles, 1);
    jkv_i(f, "conflicts", r->conflicts, 1);
    jkv_i(f, "macs", r->macs, 1);
    jkv_d(f, "utilization", r->utilization, 1);
    jkv_d(f, "util_period", r->util_period, 1);
    jkv_i(f, "latency", r->latency, 1);
    fprintf(f, ",\"bound_by\":\"%s\"", cm_part_name(r->bound_by));
    fputs(",\"parts\":{", f);
    jkv_i(f, "input", r->in_cycles, 0);
    jkv_i(f, "pe", r->pe_cycles, 1);
    jkv_i(f, "recurrence", r->rec_cycles, 1);
    jkv_i(f, "sfu", r->sfu_cycles, 1);
    fputc('}', f);
    jkv_d(f, "area_mm2", r->area_mm2, 1);
    jkv_d(f, "energy_pj", r->energy_pj, 1);
    jkv_d(f, "power_mw", r->power_mw, 1);
    jkv_d(f, "throughput_fps", r->throughput_fps, 1);
    jkv_d(f, "area_eff", r->area_eff, 1);
    jkv_d(f, "energy_eff", r->energy_eff, 1);
    fputs(",\"area_um2\":{", f);
    for (int i = 0; i < CM_A_COUNT; i++)
        jkv_d(f, cm_area_name(i), r->area_um2[i], i > 0);
    fputs("},\"energy_breakdown_pj\":{", f);
    for (int i = 0; i < CM_E_COUNT; i++)
        jkv_d(f, cm_energy_name(i), r->energy_c[i], i > 0);
    fputs("},\"accesses\":{", f);
    jkv_i(f, "inbuf_reads", r->inbuf_reads, 0);
    jkv_i(f, "inbuf_writes", r->inbuf_writes, 1);
    jkv_i(f, "work_reads", r->work_reads, 1);
    jkv_i(f, "work_writes", r->work_writes, 1);
    jkv_i(f, "wsram_words", r->wsram_words, 1);
    jkv_i(f, "wsram_accesses", r->wsram_accesses, 1);
    jkv_i(f, "zbuf_accesses", r->zbuf_accesses, 1);
    jkv_i(f, "dram_bytes", r->dram_bytes, 1);
    fputs("},\"sizes\":{", f);
    jkv_i(f, "inbuf_words", r->inbuf_words, 0);
    jkv_i(f, "work_words", pt->hw.work_words, 1);
    jkv_i(f, "wsram_words", r->wsram_size_words, 1);
    jkv_i(f, "zbuf_words", r->zbuf_words, 1);
    jkv_i(f, "acc_bits", r->acc_bits, 1);
    fputs("},\"input\":{", f);
    jkv_i(f, "dma_words", r->dma_words, 0);
    jkv_i(f, "dma_groups", r->dma_groups, 1);
    jkv_i(f, "dma_stall", r->dma_stall, 1);
    jkv_i(f, "dma_conflicts", r->dma_conflicts, 1);
    jkv_i(f, "dram_cycles", r->dram_cycles, 1);
    fputs("},\"sfu\":{", f);
    jkv_i(f, "ops", r->sfu_ops, 0);
    jkv_i(f, "cycles", r->sfu_cycles, 1);
    jkv_i(f, "h_words", r->h_words, 1);
    jkv_i(f, "h_groups", r->h_groups, 1);
    jkv_i(f, "h_stall", r->h_stall, 1);
    jkv_i(f, "h_conflicts", r->h_conflicts, 1);
    fputc('}', f);
    json_matrices(f, r);
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------- compare */

static int cmp_row(FILE *f, const char *what, int64_t a, int64_t b, int claimed)
{
    int ok = a == b;
    fprintf(f, "  %-28s %12lld %12lld  %s\n", what, (long long)a, (long long)b,
            ok ? "=" : claimed ? "DIFFERS" : "(bound)");
    return ok || !claimed;
}

int report_compare(FILE *f, const cm_result *a, const cm_result *fn)
{
    int ok = 1;
    char what[64];
    fprintf(f, "analytical vs functional\n  %-28s %12s %12s\n", "count", "analytical",
            "functional");
    if (a->reject != fn->reject) {
        fprintf(f, "  verdicts differ: %s vs %s\n", cm_reject_name(a->reject),
                cm_reject_name(fn->reject));
        return 1;
    }
    if (a->reject != CM_OK)
        return 0;
    for (int i = 0; i < a->nmat && i < fn->nmat; i++)
        for (int s = 0; s < a->mat[i].nsteps && s < fn->mat[i].nsteps; s++) {
            const cm_stage_stats *x = &a->mat[i].st[s], *y = &fn->mat[i].st[s];
            snprintf(what, sizeof what, "%s %d %s slots", i ? "wh" : "wx", s + 1, x->label);
            ok &= cmp_row(f, what, x->slots, y->slots, 1);
            snprintf(what, sizeof what, "%s %d %s read stall", i ? "wh" : "wx", s + 1, x->label);
            ok &= cmp_row(f, what, x->rd_stall, y->rd_stall, x->exact);
            snprintf(what, sizeof what, "%s %d %s write stall", i ? "wh" : "wx", s + 1, x->label);
            ok &= cmp_row(f, what, x->wr_stall, y->wr_stall, x->exact);
            snprintf(what, sizeof what, "%s %d %s conflicts", i ? "wh" : "wx", s + 1, x->label);
            ok &= cmp_row(f, what, x->rd_conflicts + x->wr_conflicts,
                          y->rd_conflicts + y->wr_conflicts, x->exact);
            snprintf(what, sizeof what, "%s %d %s reads", i ? "wh" : "wx", s + 1, x->label);
            ok &= cmp_row(f, what, x->in_reads, y->in_reads, 1);
        }
    ok &= cmp_row(f, "DMA stall", a->dma_stall, fn->dma_stall, a->exact);
    ok &= cmp_row(f, "frame cycles", a->cycles, fn->cycles, a->exact);
    ok &= cmp_row(f, "conflicts", a->conflicts, fn->conflicts, a->exact);
    fprintf(f, "  %s\n", ok ? "agree" : "DISAGREE");
    return ok ? 0 : 1;
}
