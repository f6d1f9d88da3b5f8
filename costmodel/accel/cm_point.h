/*
 * cm_point.h - a complete design point (workload, decomposition, mapping,
 * hardware, technology name) and its canonical string, the one place that
 * prints and parses a point.  The string is the results database key:
 * compact, no spaces, stable; format(parse(s)) == s for every printed s.
 *
 * Grammar (sections separated by '/', fields by ';', fields key=value; the
 * printed field order is fixed, parse accepts any order but refuses unknown
 * and duplicate keys):
 *
 *   point    := work '/' wx ['/' wh] '/' hw
 *   work     := 'lstm;nin=' INT ';h=' INT ';dec=' (partial|separate|concat)
 *               [';pad=' INT]                     (concat only: n_pad)
 *             | 'mv'                              (one matrix y = W x)
 *   wx, wh   := ('wx'|'wh') ';f=' (dense|tt|ht) ';m=' MODES ';n=' MODES
 *               [';r=' INT(,INT)*]                (tt: r_0..r_d)
 *               [';t=' TREE]                      (ht: ht_format notation)
 *               ';o=' ORDER                       (cm_order_format labels)
 *               ';df=' DF('.'DF)*                 (one for all steps, or one per step)
 *   hw       := 'hw;P=' INT ';L=' INT ';b=' INT ';B=' INT ';wm=' INT ';wg=' INT
 *               ';bw=' INT ';sfu=' INT ';mhz=' INT ';map=' MAP ';tech=' NAME
 *   MODES    := INT('x'INT)*   DF := wp|op   MAP := linear|skew|xor|transform
 *
 * e.g. the TT-LSTM of TIE for UCF11, in the sequential order o=1,2,3,4
 * (TIE's own order is the fewest-MAC one, 4,3,2,1: docs/REPRODUCE.md):
 *   lstm;nin=57600;h=256;dec=partial/wx;f=tt;m=16x4x4x4;n=8x20x20x18;
 *   r=1,4,4,4,1;o=1,2,3,4;df=wp/wh;f=dense;m=1024;n=256;o=W;df=wp/hw;P=16;
 *   L=16;b=16;B=16;wm=131072;wg=65536;bw=12800;sfu=16;mhz=1000;map=linear;
 *   tech=28nm                                    (one line, no breaks)
 *
 * wh is present exactly for dec=partial (f=dense) and dec=separate.
 */
#ifndef CM_POINT_H
#define CM_POINT_H

#include "cm_hw.h"
#include "cm_lstm.h"

#define CM_POINT_MAXLEN 1024 /* longest canonical string, NUL included */

typedef enum {
    CM_LAYER_LSTM = 0, /* one LSTM layer: W_x, W_h, SFU, recurrence */
    CM_LAYER_MV = 1    /* one matrix-vector product y = W x (wx only) */
} cm_layer;

/* One decomposed matrix and its mapping. */
typedef struct {
    cm_format fmt;
    cm_order order;                /* complete: order.n == number of factors */
    cm_dataflow df[CM_NET_MAXF];   /* dataflow of step s of the order */
} cm_matmap;

typedef struct {
    cm_layer layer;
    int n_in, hidden, n_pad;       /* LSTM sizes; n_pad concat only (else 0) */
    cm_decomp decomp;              /* LSTM only */
    cm_matmap wx;                  /* W_x, [W_x | W_h | 0] (concat) or the matrix (mv) */
    cm_matmap wh;                  /* W_h: partial (dense) and separate only */
    cm_bankmap map;                /* one address decoder / placement for all memories */
    cm_hw hw;
} cm_point;

/* Number of matrices the point evaluates (1 or 2); 0 is wx, 1 is wh. */
int cm_point_nmat(const cm_point *p);
/* The layer's weight parameters: its matrices' factor sizes, summed. */
int64_t cm_point_params(const cm_point *p);

/* Shapes agree (rows 4H, cols n_in / H / n_pad, partial => dense wh),
 * formats and orders valid, df set for every step, hardware in range.
 * Does not check capacities (those are evaluation results: cm_reject). */
int cm_point_check(const cm_point *p, char *err, size_t errlen);

/* Canonical text; returns its length (snprintf-like; a truncated buffer is
 * still NUL-terminated) or -1 when the point cannot be formatted. */
int cm_point_format(const cm_point *p, char *buf, size_t buflen);
/* Its hardware part ("/hw;P=...;tech=..."), which cm_point_format ends
 * with; buflen >= CM_POINT_HWMAX.  Returns the length, -1 when buflen is
 * short or the technology name is not terminated in its field. */
#define CM_POINT_HWMAX 512
int cm_point_format_hw(const cm_point *p, char *buf, size_t buflen);

/* Parse and check; hostile-input safe (bounded lengths, every number range
 * checked, clear message naming the section and key). */
int cm_point_parse(const char *s, cm_point *p, char *err, size_t errlen);

/*
 * The network of a point: its workload and matrices (formats, modes, trees,
 * ranks) without the contraction orders, dataflows and hardware, which do
 * not change the function computed.  What trained accuracy is keyed by
 * (schemas/results.sql, table train), e.g.
 *   lstm;nin=4096;h=64;dec=concat;pad=4160/wx;f=ht;m=4x4x4x4;n=4x8x10x13;
 *   t=((1:4,2:4):4,(3:4,4:4):4)
 * It is what precedes ";o=" in each matrix section of the point string.
 */
int cm_point_format_net(const cm_point *p, char *buf, size_t buflen);
/* Parses a network or a whole point: the hardware section may be left out
 * (and is then zero), and so may each matrix's o= (the best order) and df=
 * (wp).  Checks the shapes, not the hardware. */
int cm_point_parse_net(const char *s, cm_point *p, char *err, size_t errlen);

/*
 * What matrix k (0: wx, 1: wh) of a parsed point is, as the database's design
 * columns show it: format; modes, tree, order and dataflows as the point
 * string s writes them; ranks (TT: r_0..r_d; HT: the non-root node ranks in
 * node order, leaves first; dense: "") and the largest rank (dense: 0).
 */
typedef struct {
    char format[8], m[64], n[64], ranks[96], tree[160], order[96], dataflow[96];
    int rank_max;
} cm_point_mat_desc;
void cm_point_describe_mat(const char *s, const cm_point *p, int k, cm_point_mat_desc *md);

/*
 * A short, stable label of the design for tables (cm_label.c): W_x's format
 * ("dense", "tt r1,4,4,4,1", "ht r4 ((1,2),(3,4))" when every rank of the
 * tree is 4, else the tree with its ranks), W_h's after " + " (separate),
 * the decomposition ("partial", "separate", "concat"; "mv" for one matrix),
 * then "| PxL B<banks> <bank map>", e.g.
 *   ht r4 ((1,2),(3,4)) concat | 16x16 B16 transform
 * Not unique (modes, orders, dataflows, width, memories and clock are left
 * out): tables print it beside the database id.  Returns the length
 * (snprintf-like; a truncated buffer is still NUL-terminated).
 */
#define CM_LABEL_MAX 512 /* enough for any label (two trees of 8 modes, 10-digit ranks) */
int cm_point_label(const cm_point *p, char *buf, size_t buflen);

/* Helpers for builders (mapper, dse eval, tests). */
void cm_matmap_set_df(cm_matmap *mm, cm_dataflow df); /* every step */
/* Set the order to the best by MACs (cm_order_best); -1 on a bad format. */
int cm_matmap_best_order(cm_matmap *mm, char *err, size_t errlen);

#endif
