/*
 * repro.c - the paper reproduction (repro.h): the sweeps it needs, run
 * through the mapper (or read back from a results database), the selection
 * of the TIE and FDHT design points, the model-size rows with their error
 * proxies, and the functional cross-check of the selected points.
 *
 * The calibration, once for every row (docs/REPRODUCE.md):
 *   - one hardware template for both designs: 16 PEs x 16 lanes, 16-bit,
 *     16 banks, 1 GHz, 28 nm, the default DRAM link and SFU; working SRAM
 *     from {128, 256, 512} K words (chosen per design by the same rule);
 *     every weight resident on chip (the weight SRAM is sized to the
 *     factors it holds; TIE's dense W_h takes 512 KB);
 *   - TIE: the TT-LSTM layer (partial: W_h dense), the fewest-MAC order
 *     (TIE's inference scheme), the best of the address-decoding maps
 *     (linear, skew, xor) and dataflows;
 *   - FDHT: [W_x | W_h] zero-padded, HT, d in {4, 5}, every tree, leaf and
 *     internal ranks, the fewest-MAC order, both dataflows, the seed's
 *     transform-on-write placement, total parameters in the published
 *     FDHT-LSTM range 3,132..8,808;
 *   - "best" = the largest fps x (fps/mm^2) x (frames/J on chip), i.e. the
 *     geometric mean of the three ratios, for TIE and FDHT alike; ties go
 *     to the smaller point string.
 *   - with --accuracy (repro_acc.c) the FDHT network of N_in 57,600 is
 *     chosen among the front's best networks by trained validation
 *     accuracy, then by that score.
 * Energy efficiency is on chip (DRAM energy excluded, it is the same frame
 * for both designs); the per-frame energy with DRAM is reported beside it.
 */
#include "repro_impl.h"
#include "db.h"
#include "drive.h"
#include "funcdata.h"
#include "spec.h"
#include "traindata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOBJ 4                /* params, fps, fps/mm^2, frames/J on chip */

static const char *const work_names[REPRO_NWORK] = {"LSTM-UCF", "LSTM-Youtube"};
static const char *const metric_names[REPRO_NMETRIC] = {"throughput", "area_efficiency",
                                                        "energy_efficiency"};
/* FDHT/TIE, IEEE abstract of the seed; UCF area efficiency is "comparable". */
static const double published[REPRO_NWORK][REPRO_NMETRIC] = {{1.9, 1.0, 1.83},
                                                             {2.5, 1.46, 2.41}};

double repro_published_ratio(int w, int m) { return published[w][m]; }
const char *repro_metric_name(int m) { return metric_names[m]; }
const char *repro_workload_name(int w) { return work_names[w]; }

/* ---- the sweep specs (the whole calibration is in these files) ---- */

/*
 * The files of schemas/reproduce/, compiled in (tools/embed.sh) and loaded by the
 * spec loader like any spec.  Their bytes are the identity of a stored
 * sweep (spec_hash): a database written by an earlier build is reused as
 * long as they do not change.
 */
#define EMBEDDED(sym) extern const char sym[]; extern const unsigned long sym##_len;
EMBEDDED(embed_repro_tie_ucf_yaml)
EMBEDDED(embed_repro_tie_youtube_yaml)
EMBEDDED(embed_repro_fdht_n57600_yaml)
EMBEDDED(embed_repro_fdht_n70200_yaml)

typedef struct {
    const char *path;         /* in the source tree (messages) */
    const char *text;
    const unsigned long *len;
} spec_file;

/* TIE per workload (LSTM-UCF, LSTM-Youtube); FDHT per N_in (57,600, 70,200). */
static const spec_file tie_specs[REPRO_NWORK] = {
    {"schemas/reproduce/repro-tie-ucf.yaml", embed_repro_tie_ucf_yaml,
     &embed_repro_tie_ucf_yaml_len},
    {"schemas/reproduce/repro-tie-youtube.yaml", embed_repro_tie_youtube_yaml,
     &embed_repro_tie_youtube_yaml_len},
};
static const spec_file fdht_specs[2] = {
    {"schemas/reproduce/repro-fdht-n57600.yaml", embed_repro_fdht_n57600_yaml,
     &embed_repro_fdht_n57600_yaml_len},
    {"schemas/reproduce/repro-fdht-n70200.yaml", embed_repro_fdht_n70200_yaml,
     &embed_repro_fdht_n70200_yaml_len},
};

/* ---- selection ---- */

/* What selection needs of a point: the values a database row stores too, so
 * that a live sweep and a read-back select exactly the same point. */
typedef struct {
    int64_t params;
    double fps, area, energy, dram;
} prim;

/* Objective vector (params min; fps, fps/mm^2, frames/J on chip max);
 * -1 when a value is not positive and finite. */
static int prim_vec(const prim *p, double v[NOBJ])
{
    double echip = p->energy - p->dram;
    if (!(p->fps > 0) || !(p->area > 0) || !(echip > 0) || !isfinite(p->fps * p->area * echip))
        return -1;
    v[0] = (double)p->params;
    v[1] = p->fps;
    v[2] = p->fps / p->area;
    v[3] = 1e12 / echip;
    return 0;
}

/* The selection score: the product of the three ratios' numerators. */
static double score_of(const double v[NOBJ]) { return v[1] * v[2] * v[3]; }

typedef struct {
    int have;
    double v;
    char point[CM_POINT_MAXLEN];
} pick;

/* Larger v wins; equal v goes to the smaller point string (determinism). */
static void pick_offer(pick *p, double v, const char *point)
{
    if (!isfinite(v))
        return;
    if (p->have && (v < p->v || (v == p->v && strcmp(point, p->point) >= 0)))
        return;
    p->have = 1;
    p->v = v;
    snprintf(p->point, sizeof p->point, "%s", point);
}

/* picks[0] the score, picks[1 + m] metric m alone; top (when not NULL) the
 * best points by the score, for the accuracy rule. */
static void offer_all(pick *picks, repro_top *top, const prim *p, const char *point)
{
    double v[NOBJ];
    if (prim_vec(p, v))
        return;
    pick_offer(&picks[0], score_of(v), point);
    if (top)
        repro_top_offer(top, score_of(v), point);
    for (int m = 0; m < REPRO_NMETRIC; m++)
        pick_offer(&picks[1 + m], v[1 + m], point);
}

/* ---- one sweep ---- */

typedef struct {
    spec *s;
    int64_t pmin;             /* params window lower end (0: none) */
    repro_sweep *sw;
    pick picks[1 + REPRO_NMETRIC];
    repro_top *top;           /* NULL: not collected */
    db_conn *db;
    int64_t run_id;
    char err[CM_ERRLEN];
} sweep;

/* Points below the reproduction's parameter window are not evaluated. */
static int below_window(const map_result *r, uint64_t pos, void *ud)
{
    const sweep *x = ud;
    (void)pos;
    return x->pmin > 0 && r->params < x->pmin;
}

/* The front's objectives: valid points with positive, finite figures. */
static int window_vec(const map_result *r, double *v, void *ud)
{
    (void)ud;
    if (r->reject)
        return -1;
    prim p = {r->params, r->res.throughput_fps, r->res.area_mm2, r->res.energy_pj,
              r->res.energy_c[CM_E_DRAM]};
    return prim_vec(&p, v);
}

/* ---- reuse from the database ---- */

/*
 * A finished run of this very spec text (hash), technology table and tool
 * version whose stored points are exactly the front it recorded
 * (run.front_points): 1 found (*run_id, *nfront), 0 none, -1 error.
 */
static int find_reusable(sweep *x, const char *hash, int64_t *run_id, int64_t *nfront)
{
    return db_run_find_front(x->db, hash, x->s->tech_table.hash, run_id, nfront, x->err,
                             sizeof x->err);
}

/* Offers every stored point of run_id to the picks. */
static int read_back(sweep *x, int64_t run_id)
{
    db_rows *r;
    int rc;
    if (db_front_rows(x->db, run_id, &r, x->err, sizeof x->err))
        return -1;
    while ((rc = db_rows_next(r, x->err, sizeof x->err)) == 1) {
        const char *pt = db_rows_text(r, 0);
        prim p = {db_rows_int(r, 1), db_rows_real(r, 2), db_rows_real(r, 3),
                  db_rows_real(r, 4), db_rows_real(r, 5)};
        if (pt)
            offer_all(x->picks, x->top, &p, pt);
    }
    db_rows_free(r);
    return rc < 0 ? -1 : 0;
}

/* ---- running a sweep ---- */

/*
 * Runs the spec through the sweep driver: the front of the in-window points
 * (with their results) is offered to the picks and, with a database,
 * stored as the run's rows.  Selecting among the front is selecting among
 * all in-window points: a point of maximal score (a product of the
 * maximized objectives) cannot be dominated.
 */
static int sweep_live(sweep *x, const char *hash)
{
    drive_opts o;
    db_writer *w = NULL;
    int rc = -1;
    memset(&o, 0, sizeof o);
    o.search = x->s->search;
    o.search.shard_i = 0;
    o.search.shard_n = 1;
    o.nobj = NOBJ;
    o.dir[0] = MAP_MIN;
    for (int i = 1; i < NOBJ; i++)
        o.dir[i] = MAP_MAX;
    o.vec = window_vec;
    o.filter = below_window;
    o.store = x->db ? DRIVE_STORE_FRONT : DRIVE_STORE_NONE;
    o.breakdowns = 1;
    o.ud = x;
    drive *d = drive_new(&x->s->space, &x->s->tech_table, &x->s->limits, NULL, &o, x->err,
                         sizeof x->err);
    if (!d)
        return -1;
    if (x->db) {
        db_run_info ri = {x->s->text, hash, 0, NULL, x->s->tech_table.name,
                          x->s->tech_table.hash, 0, 1, "dse reproduce", x->s->workload_name};
        db_writer_opts wo = {1, 0, 0}; /* one row per insert, in this thread */
        if (db_run_begin(x->db, &ri, &x->run_id, x->err, sizeof x->err) ||
            db_writer_open(x->db, x->run_id, &wo, &w, x->err, sizeof x->err))
            goto out;
        drive_set_writer(d, w);
    }
    if (drive_run(d)) {
        snprintf(x->err, sizeof x->err, "%s",
                 drive_error(d)[0] ? drive_error(d) : "the search failed");
        goto out;
    }
    const drive_stats *st = drive_get_stats(d);
    size_t n = drive_front_size(d);
    x->sw->evaluated = st->visited;
    x->sw->valid = st->valid;
    x->sw->in_window = st->offered;
    for (size_t i = 0; i < n; i++) {
        const drive_member *m = drive_front_member(d, i);
        const map_result *r = m->r;
        if (!m->point) {
            snprintf(x->err, sizeof x->err, "cannot format front point %llu",
                     (unsigned long long)m->index);
            goto out;
        }
        prim p = {r->params, r->res.throughput_fps, r->res.area_mm2, r->res.energy_pj,
                  r->res.energy_c[CM_E_DRAM]};
        offer_all(x->picks, x->top, &p, m->point);
    }
    x->sw->front = (int)n;
    x->sw->stored = x->db ? (int)n : 0;
    if (x->db) {
        /* the run records its front size: the reuse check */
        int wrc = db_writer_close(w, x->err, sizeof x->err);
        w = NULL;
        if (wrc || db_run_set_front_points(x->db, x->run_id, x->sw->stored, x->err,
                                           sizeof x->err) ||
            db_run_end(x->db, x->run_id, "done", x->err, sizeof x->err))
            goto out;
    }
    rc = 0;
out:
    db_writer_close(w, NULL, 0);
    drive_free(d);
    return rc;
}

/*
 * Loads the spec text, then reuses a stored front or sweeps.  picks (1 +
 * REPRO_NMETRIC) receive the selected point strings; *tech the table.
 */
static int run_sweep(db_conn *db, const spec_file *sf, int64_t pmin, repro_sweep *sw,
                     pick *picks, repro_top *top, cm_tech *tech, char *err, size_t errlen)
{
    sweep x;
    spec_diag g;
    char hash[17];
    double t0 = drive_now();
    int rc = -1;
    memset(&x, 0, sizeof x);
    memset(sw, 0, sizeof *sw);
    x.sw = sw;
    x.db = db;
    x.pmin = pmin;
    x.top = top;
    spec_diag_init(&g);
    if (spec_load_text(sf->path, sf->text, (size_t)*sf->len, &x.s, &g)) {
        snprintf(err, errlen, "%s", spec_diag_text(&g));
        spec_diag_free(&g);
        return -1;
    }
    spec_diag_free(&g);
    snprintf(sw->name, sizeof sw->name, "%s", x.s->name);
    sw->space = x.s->space.size;
    *tech = x.s->tech_table;
    spec_hash(x.s, 0, hash);
    int64_t run_id = 0, nfront = 0;
    int f = db ? find_reusable(&x, hash, &run_id, &nfront) : 0;
    if (f < 0)
        goto out;
    if (f == 1) {
        sw->reused = 1;
        sw->front = (int)nfront;
        if (read_back(&x, run_id))
            goto out;
    } else if (sweep_live(&x, hash)) {
        goto out;
    }
    for (int i = 0; i < 1 + REPRO_NMETRIC; i++)
        picks[i] = x.picks[i];
    if (!picks[0].have) {
        snprintf(x.err, sizeof x.err, "no valid point in the window");
        goto out;
    }
    rc = 0;
out:
    if (rc)
        snprintf(err, errlen, "sweep %s: %s", sw->name[0] ? sw->name : sf->path, x.err);
    sw->seconds = drive_now() - t0;
    spec_free(x.s);
    return rc;
}

/* ---- designs ---- */

static int design_eval(const char *point, const cm_tech *tech, repro_design *d, char *err,
                       size_t errlen)
{
    memset(d, 0, sizeof *d);
    snprintf(d->point, sizeof d->point, "%s", point);
    if (cm_point_parse(point, &d->pt, err, errlen))
        return -1;
    if (cm_analytic_eval(&d->pt, tech, &d->res))
        return cm_fail(err, errlen, "point rejected (%s): %s", cm_reject_name(d->res.reject),
                       d->res.why);
    d->params = cm_point_params(&d->pt);
    prim p = {d->params, d->res.throughput_fps, d->res.area_mm2, d->res.energy_pj,
              d->res.energy_c[CM_E_DRAM]};
    double v[NOBJ];
    d->echip_pj = p.energy - p.dram;
    if (prim_vec(&p, v) == 0) {
        d->eeff_chip = v[3];
        d->score = score_of(v);
    }
    return 0;
}

/* The same point with another bank map (sensitivity rows). */
static int design_remap(const repro_design *src, cm_bankmap map, const cm_tech *tech,
                        repro_design *d, char *err, size_t errlen)
{
    cm_point pt = src->pt;
    char s[CM_POINT_MAXLEN];
    pt.map = map;
    if (cm_point_format(&pt, s, sizeof s) < 0)
        return cm_fail(err, errlen, "cannot format a remapped point");
    return design_eval(s, tech, d, err, errlen);
}

/* ---- ratios ---- */

static double metric_of(const repro_design *d, int m)
{
    switch (m) {
    case 0: return d->res.throughput_fps;
    case 1: return d->res.throughput_fps / d->res.area_mm2;
    default: return d->eeff_chip;
    }
}

static const char *metric_unit(int m)
{
    return m == 0 ? "frames/s" : m == 1 ? "frames/s/mm^2" : "frames/J (on chip)";
}

/* The largest component of an area or energy breakdown. */
static const char *largest(const double *v, int n, const char *(*name)(int), double *share,
                           double total, int skip)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (i != skip && (best < 0 || v[i] > v[best]))
            best = i;
    *share = total > 0 ? v[best] / total : 0;
    return name(best);
}

/*
 * The measured cause of a ratio, from the two designs' breakdowns, and what
 * the published ratios imply: area_F / area_T = throughput ratio / area-
 * efficiency ratio, power_F / power_T = throughput ratio / energy-efficiency
 * ratio.
 */
static void ratio_why(const repro_hw *hw, int w, int m, char *buf, size_t n)
{
    const repro_design *t = &hw->tie, *f = &hw->fdht;
    double st, sf, thr = f->res.throughput_fps / t->res.throughput_fps;
    const char *ct, *cf;
    switch (m) {
    case 0:
        snprintf(buf, n,
                 "frame period TIE %lld cycles (%lld MACs, %.0f%% utilization, %lld stall), "
                 "FDHT %lld cycles (%lld MACs, %.0f%%, %lld stall); TIE with the transform map "
                 "would take %lld cycles",
                 (long long)t->res.cycles, (long long)t->res.macs, 100 * t->res.util_period,
                 (long long)t->res.stall_cycles, (long long)f->res.cycles,
                 (long long)f->res.macs, 100 * f->res.util_period,
                 (long long)f->res.stall_cycles, (long long)hw->tie_transform.res.cycles);
        break;
    case 1:
        ct = largest(t->res.area_um2, CM_A_COUNT, cm_area_name, &st, t->res.area_mm2 * 1e6, -1);
        cf = largest(f->res.area_um2, CM_A_COUNT, cm_area_name, &sf, f->res.area_mm2 * 1e6, -1);
        snprintf(buf, n,
                 "area TIE %.3f mm^2 (largest %s %.0f%%), FDHT %.3f mm^2 (largest %s %.0f%%): "
                 "FDHT/TIE area %.2f, while the published ratios imply %.2f",
                 t->res.area_mm2, ct, 100 * st, f->res.area_mm2, cf, 100 * sf,
                 f->res.area_mm2 / t->res.area_mm2, published[w][0] / published[w][1]);
        break;
    default:
        ct = largest(t->res.energy_c, CM_E_COUNT, cm_energy_name, &st, t->echip_pj, CM_E_DRAM);
        cf = largest(f->res.energy_c, CM_E_COUNT, cm_energy_name, &sf, f->echip_pj, CM_E_DRAM);
        snprintf(buf, n,
                 "on-chip energy TIE %.2f uJ/frame (largest %s %.0f%%), FDHT %.2f uJ/frame "
                 "(largest %s %.0f%%); MACs %lld vs %lld; FDHT/TIE on-chip power %.2f, "
                 "published ratios imply %.2f",
                 t->echip_pj * 1e-6, ct, 100 * st, f->echip_pj * 1e-6, cf, 100 * sf,
                 (long long)t->res.macs, (long long)f->res.macs,
                 thr * f->echip_pj / t->echip_pj, published[w][0] / published[w][2]);
        break;
    }
}

static void ratio_rows(repro *R)
{
    for (int w = 0; w < REPRO_NWORK; w++)
        for (int m = 0; m < REPRO_NMETRIC; m++) {
            repro_ratio_row *row = &R->ratio[w * REPRO_NMETRIC + m];
            const repro_hw *hw = &R->hw[w];
            row->workload = work_names[w];
            row->metric = metric_names[m];
            row->unit = metric_unit(m);
            row->published = published[w][m];
            row->tie = metric_of(&hw->tie, m);
            row->fdht = metric_of(&hw->fdht, m);
            row->modeled = row->fdht / row->tie;
            row->deviation = row->modeled / row->published;
            row->miss = row->deviation > REPRO_MISS || row->deviation < 1.0 / REPRO_MISS;
            ratio_why(hw, w, m, row->why, sizeof row->why);
        }
}

/* ---- functional cross-check ---- */

/*
 * The functional model on the data of seed 1 (as dse eval --model both):
 * its cycles and conflicts beside the analytical ones, and whether y
 * equals the fixed-point reference.
 */
static int xcheck(const repro_design *d, const cm_tech *tech, repro_xcheck *xc, char *err,
                  size_t errlen)
{
    cm_result r;
    int differs;
    int rc = funcdata_run(&d->pt, tech, 1, &r, &differs, err, errlen);
    if (rc == FUNCDATA_FAIL)
        return cm_fail(err, errlen, "functional model: %s", r.reject ? r.why : "out of memory");
    if (rc != FUNCDATA_OK)
        return -1;
    xc->y_exact = differs < 0;
    xc->cycles_ana = d->res.cycles;
    xc->conflicts_ana = d->res.conflicts;
    xc->cycles_fun = r.cycles;
    xc->conflicts_fun = r.conflicts;
    return 0;
}

/* The point with another bank map and dataflow (every step). */
static int design_variant(const repro_design *src, cm_bankmap map, cm_dataflow df,
                          const cm_tech *tech, repro_design *d, char *err, size_t errlen)
{
    cm_point pt = src->pt;
    char s[CM_POINT_MAXLEN];
    pt.map = map;
    cm_matmap_set_df(&pt.wx, df);
    if (cm_point_nmat(&pt) > 1)
        cm_matmap_set_df(&pt.wh, df);
    if (cm_point_format(&pt, s, sizeof s) < 0)
        return cm_fail(err, errlen, "cannot format a variant point");
    return design_eval(s, tech, d, err, errlen);
}

/*
 * The one-truth check on the selected points: TIE of each workload and the
 * FDHT point (shared by both) under every bank map and dataflow.
 */
static int xchecks(repro *R, const cm_tech *tech, char *err, size_t errlen)
{
    static const char *const work_fdht = "LSTM-UCF/Youtube";
    repro_design *v = malloc(sizeof *v);
    int rc = -1;
    if (!v)
        return cm_fail(err, errlen, "out of memory");
    for (int w = 0; w <= REPRO_NWORK; w++) {
        const repro_design *base = w < REPRO_NWORK ? &R->hw[w].tie : &R->hw[0].fdht;
        for (int df = 0; df < CM_DF_COUNT; df++)
            for (int m = 0; m < CM_MAP_COUNT && R->nxcheck < REPRO_MAX_XCHECK; m++) {
                repro_xcheck *xc = &R->xcheck[R->nxcheck];
                if (design_variant(base, (cm_bankmap)m, (cm_dataflow)df, tech, v, err, errlen) ||
                    xcheck(v, tech, xc, err, errlen))
                    goto out;
                xc->workload = w < REPRO_NWORK ? work_names[w] : work_fdht;
                xc->design = w < REPRO_NWORK ? "TIE" : "FDHT";
                xc->map = cm_bankmap_name((cm_bankmap)m);
                xc->dataflow = cm_dataflow_name((cm_dataflow)df);
                R->nxcheck++;
            }
    }
    rc = 0;
out:
    free(v);
    return rc;
}

/* ---- the whole reproduction ---- */

static void note(const repro_opts *o, const repro_sweep *sw)
{
    if (o->quiet)
        return;
    if (sw->reused)
        fprintf(stderr, "dse reproduce: %s: reused %d front points from the database (%.1f s)\n",
                sw->name, sw->front, sw->seconds);
    else
        fprintf(stderr, "dse reproduce: %s: %llu points in the space, %llu evaluated, %llu in "
                        "the window, %d on the front (%.1f s)\n",
                sw->name, (unsigned long long)sw->space, (unsigned long long)sw->evaluated,
                (unsigned long long)sw->in_window, sw->front, sw->seconds);
}

/* TIE sweeps (LSTM-UCF, LSTM-Youtube) and FDHT sweeps (one per N_in). */
static int sweeps(const repro_opts *o, repro *R, db_conn *db, cm_tech *tech,
                  repro_design fdht_by_nin[2], repro_top *top, char *err, size_t errlen)
{
    pick picks[1 + REPRO_NMETRIC];
    for (int w = 0; w < REPRO_NWORK; w++) {
        repro_sweep *sw = &R->sweep[R->nsweep++];
        if (run_sweep(db, &tie_specs[w], 0, sw, picks, NULL, tech, err, errlen))
            return -1;
        note(o, sw);
        if (design_eval(picks[0].point, tech, &R->hw[w].tie, err, errlen))
            return -1;
    }
    for (int i = 0; i < 2; i++) {
        repro_sweep *sw = &R->sweep[R->nsweep++];
        if (run_sweep(db, &fdht_specs[i], REPRO_FDHT_PARAMS_MIN, sw, picks, i ? NULL : top, tech,
                      err, errlen))
            return -1;
        note(o, sw);
        if (design_eval(picks[0].point, tech, &fdht_by_nin[i], err, errlen))
            return -1;
        for (int w = 0; i == 0 && w < REPRO_NWORK; w++)
            for (int m = 0; m < REPRO_NMETRIC; m++)
                if (design_eval(picks[1 + m].point, tech, &R->hw[w].fdht_best[m], err, errlen))
                    return -1;
    }
    return 0;
}

/*
 * With o->acc, the accuracy rule replaces the hardware rule for the FDHT
 * network of N_in 57,600 (UCF11, YouTube; docs/REPRODUCE.md "Accuracy"):
 * the data set is opened first (a bad one is the user's, before any sweep),
 * the front's best points collected, their networks trained or read back.
 */
static int accuracy(const repro_opts *o, repro *R, db_conn *db, td_set *data,
                    const repro_top *top, const cm_tech *tech, repro_design *fdht, char *err,
                    size_t errlen)
{
    repro_acc *A = &R->acc;
    if (repro_acc_run(o->acc, db, data, R->hw[0].tie.point, top, o->quiet, A, err, errlen))
        return -1;
    if (!o->quiet)
        fprintf(stderr, "dse reproduce: accuracy: %d trained (%.1f CPU-s), %d found stored\n",
                A->trained, A->cpu_s, A->found);
    return design_eval(A->row[A->selected].point, tech, fdht, err, errlen);
}

int repro_run(const repro_opts *o, repro *R, int *bad_input, char *err, size_t errlen)
{
    db_conn *db = NULL;
    cm_tech tech;
    repro_design fdht[2];
    repro_top *top = NULL;
    td_set *data = NULL;
    int rc = -1;
    memset(R, 0, sizeof *R);
    *bad_input = 0;
    if (o->acc && (!o->db_path || repro_acc_open(o->acc, &data, err, errlen))) {
        if (!o->db_path)
            snprintf(err, errlen, "--accuracy stores its trainings: it needs a database");
        *bad_input = 1;
        return -1;
    }
    int orc = o->db_path ? db_open(o->db_path, DB_CREATE, &db, err, errlen) : 0;
    if (orc) {
        td_close(data);
        *bad_input = orc != DB_FAIL_WRITE; /* a full disk is not bad input */
        return -1;
    }
    if (o->acc && !(top = calloc(1, sizeof *top))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (sweeps(o, R, db, &tech, fdht, top, err, errlen))
        goto out;
    snprintf(R->tech_name, sizeof R->tech_name, "%s", tech.name);
    snprintf(R->tech_hash, sizeof R->tech_hash, "%s", tech.hash);
    if (o->acc && accuracy(o, R, db, data, top, &tech, &fdht[0], err, errlen))
        goto out;
    for (int w = 0; w < REPRO_NWORK; w++) {
        repro_hw *hw = &R->hw[w];
        hw->workload = work_names[w];
        hw->fdht = fdht[0]; /* UCF11 and YouTube share N_in 57,600: one FDHT sweep */
        if (design_remap(&hw->tie, CM_MAP_TRANSFORM, &tech, &hw->tie_transform, err, errlen) ||
            design_remap(&hw->fdht, CM_MAP_LINEAR, &tech, &hw->fdht_linear, err, errlen))
            goto out;
    }
    ratio_rows(R);
    R->tie_area_mm2 = R->hw[0].tie.res.area_mm2;
    R->tie_area_dev = R->tie_area_mm2 / REPRO_TIE_AREA_MM2;
    R->area_scale = REPRO_TIE_AREA_MM2 / R->tie_area_mm2;
    snprintf(R->proxy_note, sizeof R->proxy_note,
             "synthetic 'decay' reference (cm_synth_matrix, seed %d) of each decomposed "
             "matrix's shape with every input mode scaled by 1/%d (rounded up)",
             REPRO_PROXY_SEED, REPRO_PROXY_DIV);
    for (int di = 0; di < REPRO_NDATASET; di++)
        if (repro_size_rows(R, di, &fdht[repro_datasets[di].n_in == 57600 ? 0 : 1], err,
                            errlen))
            goto out;
    if (o->functional && xchecks(R, &tech, err, errlen))
        goto out;
    rc = 0;
out:
    free(top);
    td_close(data);
    if (db) {
        char e2[CM_ERRLEN];
        if (db_flush(db, e2, sizeof e2) && rc == 0) {
            snprintf(err, errlen, "%s", e2);
            rc = -1;
        }
        db_close(db);
    }
    return rc;
}
