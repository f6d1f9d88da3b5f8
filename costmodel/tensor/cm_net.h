/*
 * cm_net.h - a weight format seen as a tensor network, and its contraction
 * orders ("loop orders").
 *
 * y = W x is computed by contracting x with one factor at a time.  Every
 * index of the network has an id (a bit of a 32-bit mask):
 *   m_k (output mode k)  id k         (0..7)
 *   n_k (input mode k)   id 8 + k     (8..15)
 *   rank of HT node t /  id 16 + t    (16..30); the root's rank (1) has no id
 *   TT bond k (between cores k-1 and k, k = 1..d-1): id 16 + k
 * Each index appears in exactly two of {x, factors, y}, so the running
 * tensor after a set S of factors has the indices xmask XOR (XOR of S's
 * masks), whatever the order.  A step contracting factor f into T costs
 * |T_in| x |produced| MACs (produced = indices of f not in T_in), i.e. a GEMM
 * of kept x consumed x produced.
 *
 * Storage layout (used by cm_matvec and the functional model):
 *   - an intermediate tensor lists its indices by increasing id, row-major
 *     (lowest id most significant): x is n_1..n_d, y is m_1..m_d;
 *   - a factor lists its indices in the order of its idx[] array, row-major:
 *     HT leaf (m_k, n_k, r_k), HT transfer (r_l, r_r, r_t) (r_t omitted at
 *     the root), TT core (r_{k-1}, m_k, n_k, r_k) (end bonds omitted),
 *     dense W (m_1..m_d, n_1..n_d) = W[i][j] row-major.
 *
 * Factor numbering: HT factor t = tree node t; TT factor k = core k;
 * dense: one factor.  Labels: HT node label ("3", "34"), TT "1".."d",
 * dense "W".  An order is printed as labels joined by commas.
 */
#ifndef CM_NET_H
#define CM_NET_H

#include "cm_format.h"

#define CM_NET_MAXIDX 32
#define CM_NET_MAXF CM_MAX_NODES
#define CM_ID_M(k) (k)
#define CM_ID_N(k) (8 + (k))
#define CM_ID_R(t) (16 + (t))

typedef struct {
    cm_kind kind;
    int d;
    int nf;                              /* number of factors */
    int64_t size[CM_NET_MAXIDX];         /* size of each index id (1 if unused) */
    uint32_t xmask, ymask;
    uint32_t fmask[CM_NET_MAXF];         /* indices of each factor */
    int nidx[CM_NET_MAXF];               /* length of idx[f] */
    int idx[CM_NET_MAXF][2 * CM_MAX_D];  /* layout order of factor f's indices */
    uint32_t pred[CM_NET_MAXF];          /* factors (bitmask) that must precede f
                                            (HT: all descendants; TT, dense: none) */
    char label[CM_NET_MAXF][CM_MAX_D + 1];
} cm_net;

typedef struct {
    int n;                  /* = net.nf when complete */
    int f[CM_NET_MAXF];     /* factor contracted at each step */
} cm_order;

typedef struct {
    int f;                  /* factor */
    uint32_t in_mask, out_mask, consumed, produced, kept;
    int64_t in_size, out_size;      /* elements of T before / after */
    int64_t kept_size, consumed_size, produced_size; /* GEMM K x C x P */
    int64_t macs;                   /* kept * consumed * produced */
    int64_t factor_size;            /* elements of the factor */
} cm_step;

typedef struct {
    int n;
    cm_step step[CM_NET_MAXF];
    int64_t macs;   /* sum over steps */
    int64_t peak;   /* largest tensor along the order, x and y included */
} cm_order_cost;

/* Build the network of a (checked) format. */
int cm_net_build(const cm_format *f, cm_net *net, char *err, size_t errlen);

/* Elements of the tensor with index mask m. */
int64_t cm_net_mask_size(const cm_net *net, uint32_t m);

/* Valid = a permutation of all factors respecting pred. */
int cm_order_check(const cm_net *net, const cm_order *o, char *err, size_t errlen);

/* Per-step shapes and totals of a valid order. */
void cm_order_cost_of(const cm_net *net, const cm_order *o, cm_order_cost *c);

/*
 * The best order by MACs, ties broken by smaller peak, then by the
 * lexicographically smallest factor sequence; exact (dynamic programming over
 * the down-sets of the precedence order), no enumeration of orders.
 */
void cm_order_best(const cm_net *net, cm_order *o, cm_order_cost *c);

/* Post-order (HT: node numbering; TT: left-to-right; dense: W). */
void cm_order_default(const cm_net *net, cm_order *o);

/* Every valid order in a stable (lexicographic) order; early stop as ht_enumerate. */
typedef int (*cm_order_visit_fn)(const cm_order *o, void *ud);
int cm_order_enumerate(const cm_net *net, cm_order_visit_fn fn, void *ud);

/* "1,2,12,3,4,34,1234" <-> order; parse also checks validity. */
int cm_order_parse(const cm_net *net, const char *s, cm_order *o, char *err, size_t errlen);
int cm_order_format(const cm_net *net, const cm_order *o, char *buf, size_t buflen);

#endif
