/*
 * cm_tech.c - arithmetic on a technology table: width scaling of the
 * datapath components, the SRAM interpolation between anchors, the table
 * check, and the built-in 28 nm table.  Pure computation: tables are read
 * from YAML by dse/io/tech.c; every number and derivation is documented in
 * tech/45nm.yaml, tech/28nm.yaml and tech/README.md.
 *
 * The SRAM model in one paragraph.  An access touches one bank.  Its energy
 * depends on the effective capacity X = bytes * banks^-bank_exp (banking
 * shortens bit lines but the wires to the far bank still span the whole
 * macro, hence a small exponent) and on the word width w as w^width_exp
 * (decoder, word-line and control energy is shared by the bits of a word).
 * Normalized anchor energies E_i / w_i^width_exp, placed at ln X_i, form a
 * piecewise-linear curve in log-log space; a query is evaluated from the
 * anchor at the left end of its segment so that it reproduces the anchors
 * bit for bit.  Area: each bank is an array (piecewise power law through
 * the anchors' array area per bank, placed at ln bytes-per-bank) plus a
 * fixed periphery; leakage is proportional to area.
 */
#include "cm_tech.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define POS_TOL 1e-9   /* anchor positions (natural log) closer than this coincide */
#define VAL_TOL 1e-6   /* ... and then their values must agree to this, relative */
#define Y_TOL 1e-12    /* rounding slack when comparing normalized log values */
#define ARG_MAX 600.0  /* exp() arguments are clamped to +-ARG_MAX: no overflow */
#define BYTES_MAX 1e30 /* larger capacities are evaluated at BYTES_MAX */

/* The hash of tech/28nm.yaml whose numbers cm_tech_default_28nm copies;
 * tests/test_tech.c fails when the file changes without this file. */
#define CM_TECH_28NM_HASH "df474c2e4f0fd89a"

/* ------------------------------------------------------------------ */
/* Datapath components                                                 */

double cm_tech_mult_pj(const cm_tech *t, int bits)
{
    /* An array multiplier has ~b^2 partial-product cells. */
    double r = bits > 0 ? bits / 8.0 : 0.0;
    return t->mult8_pj * r * r;
}

double cm_tech_mult_um2(const cm_tech *t, int bits)
{
    double r = bits > 0 ? bits / 8.0 : 0.0;
    return t->mult8_um2 * r * r;
}

double cm_tech_add_pj(const cm_tech *t, int bits)
{
    return bits > 0 ? t->add_pj_per_bit * bits : 0.0;
}

double cm_tech_add_um2(const cm_tech *t, int bits)
{
    return bits > 0 ? t->add_um2_per_bit * bits : 0.0;
}

/* ------------------------------------------------------------------ */
/* Piecewise power law through anchors                                 */

/* One anchor on an interpolation axis: position x (natural log of a
 * capacity), value v > 0, ln of its word width lw (0 for area), index in
 * the table (for messages). */
typedef struct {
    double x, v, lw;
    int idx;
} node;

/* The log value a node contributes to the curve, with its width removed. */
static double node_y(const node *n, double alpha)
{
    return log(n->v) - alpha * n->lw;
}

/* Stable insertion sort by position; at most CM_TECH_MAX_ANCHORS nodes. */
static void sort_nodes(node *nd, int n)
{
    for (int i = 1; i < n; i++) {
        node key = nd[i];
        int j = i - 1;
        while (j >= 0 && nd[j].x > key.x) {
            nd[j + 1] = nd[j];
            j--;
        }
        nd[j + 1] = key;
    }
}

/* Drops nodes at the position of their predecessor (cm_tech_check makes
 * sure their values agree); returns the new count. */
static int dedup_nodes(node *nd, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || nd[i].x - nd[m - 1].x > POS_TOL)
            nd[m++] = nd[i];
    return m;
}

static double clamp_arg(double a)
{
    return a > ARG_MAX ? ARG_MAX : a < -ARG_MAX ? -ARG_MAX : a;
}

/* Slope in log-log space of the segment nd[k]..nd[k+1]; never negative
 * (a decreasing segment is rejected by cm_tech_check, this only absorbs
 * rounding) and 0 for a degenerate segment instead of dividing by 0. */
static double seg_slope(const node *nd, int k, double alpha)
{
    double dx = nd[k + 1].x - nd[k].x;
    if (!(dx > 0))
        return 0.0;
    double s = (node_y(&nd[k + 1], alpha) - node_y(&nd[k], alpha)) / dx;
    return s > 0 ? s : 0.0;
}

/*
 * The curve at position x for width ln lw.  nd: n >= 1 nodes, sorted,
 * distinct.  slope1: the slope used when there is a single node.  The
 * result is computed from the node at the left end of x's segment, so at a
 * node (and its own width) it is that node's value exactly; inside a
 * segment it is capped by the right node's value, which keeps the curve
 * non-decreasing in x even where rounding would wiggle.
 */
static double curve(const node *nd, int n, double x, double lw, double alpha, double slope1)
{
    int k = 0;
    while (k + 1 < n && nd[k + 1].x <= x)
        k++;
    double s = n == 1 ? slope1 : seg_slope(nd, k < n - 1 ? k : n - 2, alpha);
    double arg = s * (x - nd[k].x) + alpha * (lw - nd[k].lw);
    double e = nd[k].v * exp(clamp_arg(arg));
    if (k + 1 < n) {
        double cap = nd[k + 1].v * exp(clamp_arg(alpha * (lw - nd[k + 1].lw)));
        if (e > cap)
            e = cap;
    }
    if (!(e >= DBL_MIN))
        e = DBL_MIN;
    if (e > DBL_MAX)
        e = DBL_MAX;
    return e;
}

/* Position of an access on the energy axis (shared by anchors and queries
 * so that a query at an anchor lands on it bit for bit). */
static double energy_pos(double bytes, double banks, double bank_exp)
{
    return log(bytes) - bank_exp * log(banks);
}

static double area_pos(double bytes, double banks)
{
    return log(bytes / banks);
}

/* Array area (mm^2) of one bank of an anchor: its area per bank minus the
 * bank periphery.  May be <= 0 for a bad table (cm_tech_check rejects). */
static double anchor_array_mm2(const cm_tech *t, const cm_sram_anchor *a)
{
    return a->area_mm2 / a->banks - t->sram_bank_um2 * 1e-6;
}

enum { AX_READ, AX_WRITE, AX_AREA };

/* Nodes of one axis, sorted, not yet de-duplicated; returns the count. */
static int build_nodes(const cm_tech *t, int axis, node *nd)
{
    int n = t->nanchors;
    if (n < 0)
        n = 0;
    if (n > CM_TECH_MAX_ANCHORS)
        n = CM_TECH_MAX_ANCHORS;
    for (int i = 0; i < n; i++) {
        const cm_sram_anchor *a = &t->anchor[i];
        nd[i].idx = i;
        if (axis == AX_AREA) {
            nd[i].x = area_pos(a->bytes, a->banks);
            nd[i].v = anchor_array_mm2(t, a);
            nd[i].lw = 0.0;
        } else {
            nd[i].x = energy_pos(a->bytes, a->banks, t->sram_bank_exp);
            nd[i].v = axis == AX_READ ? a->read_pj : a->write_pj;
            nd[i].lw = log(a->word_bits);
        }
    }
    sort_nodes(nd, n);
    return n;
}

cm_sram_cost cm_tech_sram(const cm_tech *t, double bytes, int word_bits, int banks)
{
    cm_sram_cost c = {0, 0, 0, 0};
    if (!t || t->nanchors < 1)
        return c;
    if (!(bytes >= 1))
        bytes = 1; /* also catches NaN */
    if (bytes > BYTES_MAX)
        bytes = BYTES_MAX;
    double w = word_bits >= 1 ? word_bits : 1;
    double b = banks >= 1 ? banks : 1;
    double alpha = t->sram_width_exp;

    node nd[CM_TECH_MAX_ANCHORS];
    double x = energy_pos(bytes, b, t->sram_bank_exp), lw = log(w);
    /* 0.5: with one anchor, energy grows as the square root of capacity
     * (bit-line and wire length ~ side of the array; Horowitz 8->32 KB). */
    int n = dedup_nodes(nd, build_nodes(t, AX_READ, nd));
    c.read_pj = curve(nd, n, x, lw, alpha, 0.5);
    n = dedup_nodes(nd, build_nodes(t, AX_WRITE, nd));
    c.write_pj = curve(nd, n, x, lw, alpha, 0.5);

    /* 1.0: with one anchor, array area is proportional to bits. */
    n = dedup_nodes(nd, build_nodes(t, AX_AREA, nd));
    double arr = curve(nd, n, area_pos(bytes, b), 0.0, 0.0, 1.0);
    c.area_mm2 = b * (arr + t->sram_bank_um2 * 1e-6);
    c.leak_mw = c.area_mm2 * t->leak_mw_per_mm2_sram;
    return c;
}

/* ------------------------------------------------------------------ */
/* Check                                                               */

static int check_num(const char *what, double v, double lo, double hi, char *err, size_t errlen)
{
    if (!isfinite(v) || v < lo || v > hi)
        return cm_fail(err, errlen, "%s must be a finite number in [%g, %g], got %g", what, lo,
                       hi, v);
    return 0;
}

static int check_anchor(const cm_tech *t, int i, char *err, size_t errlen)
{
    const cm_sram_anchor *a = &t->anchor[i];
    char what[64];
    struct {
        const char *name;
        double v, lo, hi;
    } f[] = {
        {"bytes", a->bytes, 1, BYTES_MAX},   {"word_bits", a->word_bits, 1, 65536},
        {"banks", a->banks, 1, 1 << 24},     {"read_pj", a->read_pj, DBL_MIN, 1e12},
        {"write_pj", a->write_pj, DBL_MIN, 1e12}, {"area_mm2", a->area_mm2, DBL_MIN, 1e9},
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        snprintf(what, sizeof what, "SRAM anchor %d: %s", i + 1, f[k].name);
        if (check_num(what, f[k].v, f[k].lo, f[k].hi, err, errlen))
            return -1;
    }
    if (!(anchor_array_mm2(t, a) > 0))
        return cm_fail(err, errlen,
                       "SRAM anchor %d: area_mm2 %g leaves no array area after %g banks of "
                       "sram_bank_um2 %g periphery",
                       i + 1, a->area_mm2, a->banks, t->sram_bank_um2);
    return 0;
}

/* Along one axis: coinciding positions must carry the same value and the
 * normalized log value must not decrease (else the SRAM cost would fall
 * as capacity grows). */
static int check_axis(const cm_tech *t, int axis, char *err, size_t errlen)
{
    static const char *what[] = {"read energy", "write energy", "array area per bank"};
    static const char *pos[] = {"bytes * banks^-sram_bank_exp", "bytes * banks^-sram_bank_exp",
                                "bytes per bank"};
    double alpha = axis == AX_AREA ? 0.0 : t->sram_width_exp;
    node nd[CM_TECH_MAX_ANCHORS];
    int n = build_nodes(t, axis, nd);
    for (int k = 0; k + 1 < n; k++) {
        const node *p = &nd[k], *q = &nd[k + 1];
        double yp = node_y(p, alpha), yq = node_y(q, alpha);
        if (q->x - p->x <= POS_TOL) {
            if (fabs(yq - yp) > VAL_TOL)
                return cm_fail(err, errlen,
                               "SRAM anchors %d and %d sit at the same %s but disagree on "
                               "%s (%g vs %g)",
                               p->idx + 1, q->idx + 1, pos[axis], what[axis], p->v, q->v);
        } else if (yq < yp - Y_TOL * (1 + fabs(yp))) {
            return cm_fail(err, errlen,
                           "SRAM anchors %d and %d: %s (normalized to one word width) "
                           "decreases as %s grows; the interpolation needs it non-decreasing",
                           p->idx + 1, q->idx + 1, what[axis], pos[axis]);
        }
    }
    return 0;
}

int cm_tech_check(const cm_tech *t, char *err, size_t errlen)
{
    if (!t)
        return cm_fail(err, errlen, "no technology table");
    if (!memchr(t->name, '\0', sizeof t->name) || t->name[0] == '\0')
        return cm_fail(err, errlen, "technology table has no name");
    if (t->node_nm < 1)
        return cm_fail(err, errlen, "node_nm must be >= 1, got %d", t->node_nm);
    const double inf = HUGE_VAL;
    struct {
        const char *name;
        double v, hi;
    } f[] = {
        {"freq_mhz_max", t->freq_mhz_max, inf},
        {"mult8_pj", t->mult8_pj, inf},
        {"mult8_um2", t->mult8_um2, inf},
        {"add_pj_per_bit", t->add_pj_per_bit, inf},
        {"add_um2_per_bit", t->add_um2_per_bit, inf},
        {"reg_pj_per_bit", t->reg_pj_per_bit, inf},
        {"reg_um2_per_bit", t->reg_um2_per_bit, inf},
        {"sfu_pj_per_op", t->sfu_pj_per_op, inf},
        {"sfu_um2_per_lane", t->sfu_um2_per_lane, inf},
        {"dram_pj_per_bit", t->dram_pj_per_bit, inf},
        {"leak_mw_per_mm2_logic", t->leak_mw_per_mm2_logic, inf},
        {"leak_mw_per_mm2_sram", t->leak_mw_per_mm2_sram, inf},
        {"ctrl_area_frac", t->ctrl_area_frac, inf},
        {"sram_width_exp", t->sram_width_exp, 2.0},
        {"sram_bank_exp", t->sram_bank_exp, 1.0},
        {"sram_bank_um2", t->sram_bank_um2, inf},
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        if (check_num(f[k].name, f[k].v, 0.0, f[k].hi, err, errlen))
            return -1;
    if (t->nanchors < 1 || t->nanchors > CM_TECH_MAX_ANCHORS)
        return cm_fail(err, errlen, "a table needs 1..%d SRAM anchors, got %d",
                       CM_TECH_MAX_ANCHORS, t->nanchors);
    for (int i = 0; i < t->nanchors; i++)
        if (check_anchor(t, i, err, errlen))
            return -1;
    for (int axis = AX_READ; axis <= AX_AREA; axis++)
        if (check_axis(t, axis, err, errlen))
            return -1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Built-in 28 nm table: tech/28nm.yaml, number for number (each is the */
/* 45 nm entry times 0.513 for energy, 0.377 for area, 0.513/0.377 for  */
/* leakage density; see that file for the sources).                    */

void cm_tech_default_28nm(cm_tech *t)
{
    static const cm_sram_anchor anchors[] = {
        /* bytes, word_bits, banks, read_pj, write_pj, area_mm2 */
        {8192, 64, 1, 5.13, 5.13, 0.009660625},
        {32768, 64, 1, 10.26, 10.26, 0.03722875},
        {1048576, 64, 1, 51.3, 51.3, 1.17671125},
        {131072, 64, 32, 16.6212, 16.6212, 0.16211},
        {65536, 256, 4, 26.6247, 26.6247, 0.0754},
    };
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", "28nm");
    t->node_nm = 28;
    t->freq_mhz_max = 1000;
    t->mult8_pj = 0.1026;
    t->mult8_um2 = 106.314;
    t->add_pj_per_bit = 0.00161839188;
    t->add_um2_per_bit = 1.61122637;
    t->reg_pj_per_bit = 0.004617;
    t->reg_um2_per_bit = 2.25446;
    t->sfu_pj_per_op = 0.58784908032;
    t->sfu_um2_per_lane = 1105.51624768;
    t->dram_pj_per_bit = 8;
    t->leak_mw_per_mm2_logic = 16.9140318302;
    t->leak_mw_per_mm2_sram = 1.69140318302;
    t->ctrl_area_frac = 0.25;
    t->sram_width_exp = 0.5;
    t->sram_bank_exp = 0.1;
    t->sram_bank_um2 = 471.25;
    t->nanchors = (int)(sizeof anchors / sizeof anchors[0]);
    memcpy(t->anchor, anchors, sizeof anchors);
    snprintf(t->hash, sizeof t->hash, "%s", CM_TECH_28NM_HASH);
}
