/*
 * map_space.h - the design space of a sweep: its definition (what a spec
 * says, as plain values), its expansion into tables, and a bijection
 * between the indices 0..size-1 and design points (cm_point).
 *
 * Structure.  A point is the choice, per decomposition, of an algorithm for
 * each decomposed matrix (format, factorization, tree, ranks, contraction
 * order) and a mapping/hardware choice (dataflow, bank map, hardware
 * parameters).  The index is mixed radix, most significant first:
 *
 *   decomposition | wx algorithm | wh algorithm | dataflow | bank map | hw axes
 *
 * where an "algorithm" of a matrix is itself (structure s, rank digits,
 * order digit) with structure = (format, factorization, tree) and a size
 * that depends on s (number of rank slots and of orders).  Each level is
 * located by a prefix sum and binary search, so point k decodes in
 * O(log S + digits) without visiting 0..k-1, and hardware varies fastest:
 * consecutive indices share the algorithm, which is what the evaluator
 * caches.  (How a search splits the indices into shards: map_search.h.)
 *
 * Building the tables: map_space.c; reading them (decode, encode, points):
 * map_decode.c.  Pure computation (costmodel only): no I/O, no printing.
 */
#ifndef MAP_SPACE_H
#define MAP_SPACE_H

#include "cm_point.h"
#include "map_factor.h"

#define MAP_MAX_VALUES 4096   /* values of one list or range */
#define MAP_MAX_HW_AXES 16    /* product axes + zip groups */
#define MAP_MAX_ORDERS_DEFAULT 512

/* ---- definition: what a spec says ---- */

/* Where a definition item came from (the loader's node id): map_space_build
 * reports the src of the item it could not expand. */
typedef int map_src;

typedef struct {
    int n;
    int64_t *v;        /* owned by whoever fills the def (the spec loader) */
} map_ints;

/* Factorizations of one matrix: explicit lists or generated from bounds. */
typedef struct {
    map_src src;
    int nout, nin;                     /* explicit lists (0: generate) */
    const cm_modes *out, *in;          /* only .d and .m (out) / .n (in) used */
    const map_src *out_src, *in_src;   /* per explicit entry */
    map_ints d;                        /* allowed numbers of modes (generate) */
    int64_t out_lo, out_hi, in_lo, in_hi; /* bounds of one generated mode */
    double pad;                        /* concat: n_pad <= (1 + pad)(N_in + H) */
    int any_order;                     /* 0: non-increasing factors only */
    int limit;                         /* per side and d, most balanced first */
} map_modes_def;

typedef enum { MAP_TREE_ALL, MAP_TREE_BALANCED, MAP_TREE_CATERPILLAR, MAP_TREE_GIVEN } map_tree_kind;

typedef struct {
    map_tree_kind kind;
    ht_tree tree;      /* MAP_TREE_GIVEN, ranks 0 */
    map_src src;
} map_tree_def;

typedef enum { MAP_RANK_UNIFORM, MAP_RANK_LEAF_INTERNAL, MAP_RANK_PER_LEVEL, MAP_RANK_PER_NODE } map_rank_mode;

typedef enum { MAP_ORD_BEST, MAP_ORD_MIN_PEAK, MAP_ORD_DEFAULT, MAP_ORD_ALL, MAP_ORD_GIVEN } map_order_mode;

/* One hardware axis: a product axis (1 parameter) or a zip group. */
typedef enum {
    MAP_HW_PES, MAP_HW_LANES, MAP_HW_BITS, MAP_HW_BANKS, MAP_HW_WORK_WORDS,
    MAP_HW_WGT_WORDS, MAP_HW_DRAM_MBPS, MAP_HW_SFU_LANES, MAP_HW_FREQ_MHZ, MAP_HW_NPARAM
} map_hw_param;

typedef struct {
    int nparam;
    map_hw_param param[MAP_HW_NPARAM];
    int n;                              /* values per parameter */
    const int64_t *v[MAP_HW_NPARAM];    /* v[j][i]: parameter j, value i */
    map_src src;
} map_hw_axis;

typedef struct {
    int n_in, hidden;
    int ndecomp;
    cm_decomp decomp[3];
    int nformat;
    cm_kind format[3];                  /* CM_HT, CM_TT, CM_DENSE */
    map_modes_def modes_x, modes_h;     /* modes_h: separate only */
    int has_modes_h;
    int ntree;
    const map_tree_def *tree;
    map_rank_mode rank_mode;
    map_ints rank_values, rank_leaf, rank_internal;
    map_src ranks_src;
    map_order_mode order_mode;
    int norder;
    const char *const *order;           /* MAP_ORD_GIVEN: order strings */
    map_src orders_src;
    int max_orders;                     /* MAP_ORD_ALL: refuse beyond this per tree */
    int ndataflow;
    cm_dataflow dataflow[CM_DF_COUNT];
    int nbankmap;
    cm_bankmap bankmap[CM_MAP_COUNT];
    cm_hw hw_base;                      /* values of parameters no axis sets */
    int naxis;
    map_hw_axis axis[MAP_MAX_HW_AXES];
} map_space_def;

/* ---- the expanded space ---- */

/* One structure of one matrix: format, factorization, tree; rank slots. */
typedef struct {
    cm_format fmt;          /* ranks 0 (filled per point) */
    int nslot;              /* rank digits */
    int slot_list[2 * CM_MAX_D];     /* 0 values, 1 leaf, 2 internal */
    uint32_t slot_nodes[2 * CM_MAX_D]; /* HT nodes (bits) or TT bonds set by the slot */
    uint64_t nranks;        /* product of the slot radices */
    int norders;            /* 1 unless MAP_ORD_ALL / MAP_ORD_GIVEN */
    cm_order *orders;       /* norders entries, or NULL (computed per point) */
    uint64_t size;          /* nranks * norders */
    uint64_t base;          /* prefix sum over the role's structures */
} map_struct;

/* The structures of one matrix role (wx or wh) of one decomposition. */
typedef struct {
    int n;
    map_struct *s;
    uint64_t total;         /* sum of sizes (1 for the dense W_h of partial) */
    int dense;              /* partial's W_h: one dense structure */
} map_role;

typedef struct {
    cm_decomp decomp;
    map_role x, h;
    uint64_t size;          /* x.total * h.total * hw_size */
    uint64_t base;
} map_dspace;

typedef struct {
    map_space_def def;      /* copy (pointers borrowed from the loader) */
    int nd;
    map_dspace d[3];
    uint64_t hw_size;       /* dataflows * bank maps * product of axis lengths */
    uint64_t size;
} map_space;

/* A decoded index: every digit. */
typedef struct {
    int d;                  /* decomposition */
    int sx, sh;             /* structures (sh = 0 when no wh choice) */
    int rx[2 * CM_MAX_D], rh[2 * CM_MAX_D]; /* rank digits */
    int ox, oh;             /* order digits */
    int df, bm;             /* dataflow, bank map */
    int hw[MAP_MAX_HW_AXES];
} map_coord;

/*
 * Expand a definition.  On failure returns -1 with a message and, in
 * *bad_src, the src of the definition item at fault (-1 when none).
 * The space keeps pointers into def's arrays; they must outlive it.
 */
int map_space_build(const map_space_def *def, map_space *sp, map_src *bad_src,
                    char *err, size_t errlen);
void map_space_free(map_space *sp);

/* Index <-> coordinates (0 <= k < size). */
void map_space_decode(const map_space *sp, uint64_t k, map_coord *c);
/* Only the decomposition, dataflow, bank map and hardware digits of k (the
 * rest of c is left as it is): for points of an algorithm already decoded. */
void map_space_decode_hw(const map_space *sp, uint64_t k, map_coord *c);
uint64_t map_space_encode(const map_space *sp, const map_coord *c);

/* Index of the algorithm part (decomposition, structures, ranks, orders)
 * of k: equal for two indices exactly when they differ only in dataflow,
 * bank map and hardware.  The evaluator caches on it. */
uint64_t map_space_alg_key(const map_space *sp, uint64_t k);

/*
 * The point of a coordinate.  Orders of modes best / min_peak are computed
 * here (cm_order_best / enumeration); callers that decode many points with
 * the same algorithm cache map_space_alg's point (map_eval does).
 */
int map_space_point(const map_space *sp, const map_coord *c, cm_point *p,
                    char *err, size_t errlen);

/*
 * The per-algorithm set-up, once per algorithm: the point's workload and
 * matrices with their orders (each matrix's network built once, left in
 * net[i] for the model: cm_analytic_eval_cached), the cost of each order
 * (cost[1].n = 0 without a W_h choice; net[i] is valid exactly when
 * cost[i].n > 0), and the hardware defaults; no dataflow, bank map or
 * hardware digit (the evaluator decides those per point).  map_space_point
 * is this plus the mapping digits.
 */
int map_space_alg(const map_space *sp, const map_coord *c, cm_point *p, cm_order_cost cost[2],
                  cm_net net[2], char *err, size_t errlen);

/* The mapping digits of c into p: bank map and hardware parameters (the
 * dataflow is the caller's: cm_matmap_set_df). */
void map_space_mapping(const map_space *sp, const map_coord *c, cm_point *p);

/* The rank values of a slot list (map_struct.slot_list: 0 values, 1 leaf,
 * 2 internal; the last two fall back to the values when not given). */
const map_ints *map_slot_values(const map_space_def *def, int list);
/* The format of a matrix with its rank digits applied. */
void map_struct_ranks(const map_space *sp, const map_struct *s, const int *digits,
                      cm_format *f);

/* ---- small helpers ---- */

/* Values of a range: from..to by step (step > 0) or by factor mul (> 1). */
int map_range(int64_t from, int64_t to, int64_t step, int64_t mul, int64_t *v, int max);

const char *map_hw_param_name(map_hw_param p);
int map_hw_param_parse(const char *s, map_hw_param *p);
void map_hw_param_set(cm_hw *hw, map_hw_param p, int64_t v);

/* Shard I of N in blocks: position p belongs to shard (p / block) mod N.
 * Number of positions of [0, size) in shard i. */
uint64_t map_shard_count(uint64_t size, uint64_t block, uint64_t i, uint64_t n);

#endif
