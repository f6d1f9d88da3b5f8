/*
 * cm_stage.h - geometry of a mapped matrix, shared by the analytical and
 * the functional model (internal to costmodel/): per contraction step the
 * GEMM sizes K x C x P, the blockings over PEs and lanes, and the offsets of
 * the kept / consumed / produced linear indices in the input tensor, the
 * output tensor and the factor (layouts of cm_net.h: tensors row-major by
 * increasing index id, factors row-major in their idx[] order).  A linear
 * index over a set of indices is row-major by increasing id, like
 * cm_matvec's loops, so "k", "c" and "p" mean the same thing everywhere.
 *
 * Only shapes live here; every count (slots, loads, conflicts, ...) is
 * derived separately by each model, so that the cross-check compares two
 * independent derivations.
 */
#ifndef CM_STAGE_H
#define CM_STAGE_H

#include "cm_accel.h"

#include <string.h>

/* A mixed-radix linear index -> memory offset map. */
typedef struct {
    int nd;
    int64_t n[CM_NET_MAXIDX]; /* radices, most significant first */
    int64_t s[CM_NET_MAXIDX]; /* offset of one step of each digit */
} cm_dims;

int64_t cm_dims_count(const cm_dims *d);
/* Offset of linear index lin (0 <= lin < count). */
int64_t cm_dims_off(const cm_dims *d, int64_t lin);
/* All count() offsets in linear order. */
void cm_dims_offsets(const cm_dims *d, int64_t *out);

typedef struct {
    cm_step st;
    cm_dataflow df;
    int64_t K, C, Pn;           /* kept, consumed, produced */
    int64_t NPb, NKb, NCb;      /* ceil(Pn/P), ceil(K/P), ceil(C/L) */
    cm_dims kin, cin;           /* k, c -> offset in the input tensor */
    cm_dims kout, pout;         /* k, p -> offset in the output tensor */
    cm_dims cf, pf;             /* c, p -> offset in the factor */
    int first, last;            /* reads x / writes y */
} cm_geom;

typedef struct {
    cm_net net;
    int n;                      /* steps */
    cm_geom g[CM_NET_MAXF];
    int64_t in_words, out_words; /* x and y */
    int64_t peak_inter;         /* largest intermediate (0 for one step) */
    int64_t factor_words;
    int64_t max_c;              /* largest consumed size over the steps */
} cm_mgeom;

/* Geometry of a matrix mapping on P PEs x L lanes, from the network that
 * cm_matmap_check_net built and checked (the model's set-up and its
 * geometry cache build it once, for both). */
void cm_mgeom_from_net(const cm_matmap *mm, const cm_net *net, int pes, int lanes,
                       cm_mgeom *mg);

/* Step s's shape fields of st (factor, label, dataflow, K, C, P, word
 * counts, memories), every count zero: each model then fills its counts.
 * Inline: the analytical model calls it for every step it counts. */
static inline void cm_stage_shape(const cm_mgeom *mg, int s, cm_stage_stats *st)
{
    const cm_geom *g = &mg->g[s];
    memset(st, 0, sizeof *st);
    st->factor = g->st.f;
    memcpy(st->label, mg->net.label[g->st.f], sizeof st->label);
    st->df = g->df;
    st->K = g->K;
    st->C = g->C;
    st->Pn = g->Pn;
    st->in_words = g->st.in_size;
    st->out_words = g->st.out_size;
    st->factor_words = g->st.factor_size;
    st->in_mem = g->first ? CM_MEM_INBUF : CM_MEM_WORK;
    st->out_mem = g->last ? CM_MEM_ZBUF : CM_MEM_WORK;
}

/* The geometry of src's matrix mapping on pes x lanes instead: everything
 * but the blockings is independent of the array's shape. */
void cm_mgeom_reblock(const cm_mgeom *src, int pes, int lanes, cm_mgeom *dst);

/* cm_point_check without the (costly) format / order checks of the
 * matrices, which a geometry that was built already implies. */
int cm_point_check_shapes(const cm_point *p, char *err, size_t errlen);
/* Format, network and order of one matrix ("wx" / "wh" names it in err);
 * _net leaves the network it built and checked in *net; _built checks the
 * format and the order on a network the caller built from mm->fmt already
 * (cm_net_build), and builds nothing. */
int cm_matmap_check(const char *name, const cm_matmap *mm, char *err, size_t errlen);
int cm_matmap_check_net(const char *name, const cm_matmap *mm, cm_net *net, char *err,
                        size_t errlen);
int cm_matmap_check_built(const char *name, const cm_matmap *mm, const cm_net *net, char *err,
                          size_t errlen);

/*
 * What both models share before counting: the point and technology checks,
 * the geometry of every matrix (built into mgs[], or taken from the cache
 * when cache != NULL; mg[i] points at it; a cache's miss uses net[i] when
 * the caller has matrix i's network, see cm_analytic_eval_cached, and net
 * is NULL without a cache), weight residency and the
 * capacity checks.  Fills r->reject / r->why (returns -1) or the sizes and
 * the per-matrix static fields (nmat, streamed, in_words, peak_inter,
 * factor_words, inbuf_words, wsram sizes, zbuf_words, acc_bits, tech name
 * and hash).
 */
int cm_accel_prepare(const cm_point *pt, const cm_tech *tech, cm_acache *cache,
                     const cm_net *const net[2], cm_mgeom mgs[2], const cm_mgeom *mg[2],
                     uint64_t gid[2], cm_result *r);

/* Roll-up with SRAM costs memoized in cache (NULL: computed). */
void cm_result_finish_c(const cm_point *pt, const cm_tech *tech, cm_acache *cache, cm_result *r);

/* Rows of one working-SRAM half per bank. */
int64_t cm_work_rows_half(const cm_hw *hw);

/* The input tensor regions that are written every frame: matrix i's input
 * elements [start, start + len) arrive in groups of w consecutive elements
 * (the DMA for x, the SFU for h); everything else (zero padding) is written
 * once at configuration.  At most two regions per matrix. */
typedef struct {
    int n;
    int64_t start[2], len[2];
    int w[2];
    int is_dma[2];
} cm_inwrites;
void cm_input_writes(const cm_point *pt, int mat, cm_inwrites *iw);

/* SFU: activations with fused multiply-add per frame and h words per write cycle. */
int64_t cm_sfu_ops(const cm_point *pt);
int cm_sfu_hwords(const cm_hw *hw);

/* Ceiling division of non-negative numbers. */
static inline int64_t cm_cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

#endif
