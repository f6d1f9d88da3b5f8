/*
 * ht_tree.c - binary dimension trees: parsing and printing of the tree
 * notation, canonical numbering, the standard shapes (balanced,
 * caterpillar) and the enumeration of every tree on d modes.
 *
 * Canonical form (ht_tree.h): leaves 0..d-1 hold modes 0..d-1, internal
 * nodes d..2d-2 follow in post-order with the child of smaller minimum mode
 * on the left, the root is 2d-2 with rank 1.  Every function that builds a
 * tree ends in ht_canonicalize, so equal trees are memcmp-equal.
 *
 * d = 1 is allowed: the tree is the single leaf "1", which is also the
 * root (node 0 = 2d-2, rank 1).  Its HT "format" is the whole matrix as one
 * (m n) x 1 frame, i.e. dense.  "(1)" is refused like any one-child node.
 *
 * The parser takes untrusted text (command line, specs, database).  It
 * reads the string only up to its terminating NUL, bounds the nesting depth
 * (a tree on at most CM_MAX_D modes nests at most CM_MAX_D-1 levels), never
 * lets a number overflow, and fails with a one-line message giving the
 * 1-based column of the problem.
 */
#include "ht_tree.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Canonical numbering                                                  */
/* ------------------------------------------------------------------ */

/* Lowest set bit index of a non-empty mask (the smallest mode below). */
static int lowest_mode(unsigned m)
{
    int k = 0;
    while (k < 31 && !(m & (1u << k)))
        k++;
    return k;
}

/*
 * Mode masks of the input tree by input node id.  The depth guard only
 * protects against a malformed (cyclic) input; a valid tree never hits it.
 */
static unsigned input_mask(const ht_tree *t, int v, unsigned *mask, int depth)
{
    if (v < 0 || v >= CM_MAX_NODES || depth > CM_MAX_NODES)
        return 0;
    if (v < t->d)
        return mask[v] = 1u << v;
    unsigned m = input_mask(t, t->left[v], mask, depth + 1) |
                 input_mask(t, t->right[v], mask, depth + 1);
    return mask[v] = m;
}

/* Emit v's subtree into out in post-order, smaller-min-mode child first. */
static int emit(const ht_tree *in, const unsigned *inmask, int v, ht_tree *out,
                int *next, int depth)
{
    if (v < 0 || v >= CM_MAX_NODES || depth > CM_MAX_NODES)
        return 0;
    if (v < in->d) {
        out->rank[v] = in->rank[v];
        out->mask[v] = 1u << v;
        return v;
    }
    int a = in->left[v], b = in->right[v];
    if (a >= 0 && b >= 0 && a < CM_MAX_NODES && b < CM_MAX_NODES &&
        lowest_mode(inmask[b]) < lowest_mode(inmask[a])) {
        int tmp = a;
        a = b;
        b = tmp;
    }
    int l = emit(in, inmask, a, out, next, depth + 1);
    int r = emit(in, inmask, b, out, next, depth + 1);
    if (*next >= CM_MAX_NODES)
        return 0;
    int id = (*next)++;
    out->left[id] = l;
    out->right[id] = r;
    out->parent[l] = id;
    out->parent[r] = id;
    out->rank[id] = in->rank[v];
    out->mask[id] = out->mask[l] | out->mask[r];
    return id;
}

/* Every unused slot gets the same filler, so equal trees are memcmp-equal. */
static void tree_blank(ht_tree *t, int d)
{
    memset(t, 0, sizeof *t);
    t->d = d;
    t->nnodes = 2 * d - 1;
    t->root = 2 * d - 2;
    for (int i = 0; i < CM_MAX_NODES; i++)
        t->left[i] = t->right[i] = t->parent[i] = -1;
}

void ht_canonicalize(ht_tree *t)
{
    unsigned inmask[CM_MAX_NODES] = {0};
    ht_tree out;
    int d = t->d;

    if (d < 1 || d > CM_MAX_D)
        return;
    input_mask(t, t->root, inmask, 0);
    tree_blank(&out, d);
    int next = d;
    int root = emit(t, inmask, t->root, &out, &next, 0);
    out.parent[root] = -1;
    out.rank[root] = 1; /* the root's rank is 1 by definition */
    *t = out;
}

/* ------------------------------------------------------------------ */
/* Standard shapes                                                      */
/* ------------------------------------------------------------------ */

/* Balanced tree over modes lo..hi-1; internal ids are handed out from *next. */
static int build_balanced(ht_tree *t, int lo, int hi, int *next)
{
    if (hi - lo == 1)
        return lo;
    int mid = lo + (hi - lo + 1) / 2; /* first ceil(n/2) modes go left */
    int l = build_balanced(t, lo, mid, next);
    int r = build_balanced(t, mid, hi, next);
    int id = (*next)++;
    t->left[id] = l;
    t->right[id] = r;
    return id;
}

/* Both shapes clamp d into 1..CM_MAX_D: they cannot fail, and a caller
 * passing a bad d gets a well-formed tree rather than a corrupt one. */
void ht_balanced(int d, ht_tree *t)
{
    if (d < 1 || d > CM_MAX_D)
        d = d < 1 ? 1 : CM_MAX_D;
    int next = d;
    tree_blank(t, d);
    t->root = build_balanced(t, 0, d, &next);
    ht_canonicalize(t);
}

void ht_caterpillar(int d, ht_tree *t)
{
    if (d < 1 || d > CM_MAX_D)
        d = d < 1 ? 1 : CM_MAX_D;
    tree_blank(t, d);
    int cur = 0;
    for (int k = 1; k < d; k++) {
        int id = d + k - 1;
        t->left[id] = cur;
        t->right[id] = k;
        cur = id;
    }
    t->root = cur;
    ht_canonicalize(t);
}

/* ------------------------------------------------------------------ */
/* Ranks                                                                */
/* ------------------------------------------------------------------ */

void ht_fill_ranks(ht_tree *t, int r)
{
    for (int i = 0; i < t->nnodes && i < CM_MAX_NODES; i++)
        if (i != t->root && t->rank[i] == 0)
            t->rank[i] = r;
}

int ht_check_ranks(const ht_tree *t, char *err, size_t errlen)
{
    char label[CM_MAX_D + 1];

    if (t->d < 1 || t->d > CM_MAX_D || t->nnodes != 2 * t->d - 1 ||
        t->root != 2 * t->d - 2)
        return cm_fail(err, errlen, "malformed dimension tree (d = %d)", t->d);
    if (t->rank[t->root] != 1)
        return cm_fail(err, errlen, "root rank must be 1, got %d", t->rank[t->root]);
    for (int i = 0; i < t->nnodes; i++) {
        if (i == t->root || t->rank[i] >= 1)
            continue;
        ht_node_label(t, i, label, sizeof label);
        if (t->rank[i] == 0)
            return cm_fail(err, errlen, "rank of node %s not given", label);
        return cm_fail(err, errlen, "rank of node %s is %d; ranks must be >= 1",
                       label, t->rank[i]);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Printing                                                             */
/* ------------------------------------------------------------------ */

/* An snprintf-like appender: counts everything, writes what fits. */
typedef struct {
    char *buf;
    size_t cap, len;
} outbuf;

static void put(outbuf *o, const char *s)
{
    for (; *s; s++, o->len++)
        if (o->len + 1 < o->cap)
            o->buf[o->len] = *s;
}

static void put_int(outbuf *o, int v)
{
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%d", v);
    put(o, tmp);
}

/*
 * Children are ordered by minimum mode here too (from the masks), so the
 * printed text is canonical even for a tree that was never canonicalized.
 */
static void format_node(const ht_tree *t, int v, outbuf *o, int depth)
{
    if (v < 0 || v >= CM_MAX_NODES || depth > CM_MAX_NODES)
        return;
    if (v < t->d) {
        put_int(o, v + 1);
    } else {
        int a = t->left[v], b = t->right[v];
        if (a >= 0 && b >= 0 && a < CM_MAX_NODES && b < CM_MAX_NODES &&
            t->mask[a] && t->mask[b] &&
            lowest_mode(t->mask[b]) < lowest_mode(t->mask[a])) {
            int tmp = a;
            a = b;
            b = tmp;
        }
        put(o, "(");
        format_node(t, a, o, depth + 1);
        put(o, ",");
        format_node(t, b, o, depth + 1);
        put(o, ")");
    }
    if (v != t->root && t->rank[v] != 0) {
        put(o, ":");
        put_int(o, t->rank[v]);
    }
}

int ht_format(const ht_tree *t, char *buf, size_t buflen)
{
    outbuf o = {buf, buflen, 0};
    if (t->d >= 1 && t->d <= CM_MAX_D)
        format_node(t, t->root, &o, 0);
    if (buflen)
        buf[o.len < buflen ? o.len : buflen - 1] = '\0';
    return (int)o.len;
}

void ht_node_label(const ht_tree *t, int node, char *buf, size_t buflen)
{
    outbuf o = {buf, buflen, 0};
    if (node >= 0 && node < t->nnodes && node < CM_MAX_NODES)
        for (int k = 0; k < t->d && k < CM_MAX_D; k++)
            if (t->mask[node] & (1u << k))
                put_int(&o, k + 1);
    if (buflen)
        buf[o.len < buflen ? o.len : buflen - 1] = '\0';
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */
/* ------------------------------------------------------------------ */

/*
 * The parse goes into a scratch tree whose leaves are nodes 0..7 (mode k
 * at node k-1, whatever d turns out to be) and whose internal nodes are
 * CM_MAX_D.. in order of completion; ht_canonicalize renumbers at the end.
 * An internal node is only allocated once both of its children are parsed,
 * and leaves are distinct modes 1..8, so at most 7 internal ids are needed.
 */
#define MAX_NEST (CM_MAX_D - 1)

typedef struct {
    const char *s;
    size_t pos;
    char *err;
    size_t errlen;
    ht_tree t;
    int ninternal;
    unsigned seen; /* modes seen so far, bit k-1 for mode k */
} parser;

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static void skip_ws(parser *p)
{
    while (is_ws(p->s[p->pos]))
        p->pos++;
}

/* The character at pos, shown so that the message stays one printable line. */
static const char *show_char(char c, char *tmp, size_t n)
{
    unsigned char u = (unsigned char)c;
    if (c == '\0')
        snprintf(tmp, n, "end of string");
    else if (u >= 0x20 && u < 0x7f)
        snprintf(tmp, n, "'%c'", c);
    else
        snprintf(tmp, n, "byte 0x%02x", u);
    return tmp;
}

static int unexpected(parser *p, const char *wanted)
{
    char tmp[32];
    return cm_fail(p->err, p->errlen, "tree: expected %s at column %zu, got %s",
                   wanted, p->pos + 1, show_char(p->s[p->pos], tmp, sizeof tmp));
}

/*
 * Read a run of digits as a non-negative value, saturating at INT_MAX + 1
 * so that no arithmetic overflows whatever the length of the run.
 */
static long long read_number(parser *p)
{
    long long v = 0;
    while (is_digit(p->s[p->pos])) {
        if (v <= INT_MAX)
            v = v * 10 + (p->s[p->pos] - '0');
        p->pos++;
    }
    return v;
}

static int parse_rank(parser *p, int *rank)
{
    skip_ws(p);
    size_t col = p->pos + 1;
    if (p->s[p->pos] == '-' && is_digit(p->s[p->pos + 1]))
        return cm_fail(p->err, p->errlen,
                       "tree: bad rank at column %zu: ranks must be 1..%d", col, INT_MAX);
    if (!is_digit(p->s[p->pos]))
        return unexpected(p, "a rank after ':'");
    long long v = read_number(p);
    if (v < 1 || v > INT_MAX)
        return cm_fail(p->err, p->errlen,
                       "tree: bad rank at column %zu: ranks must be 1..%d", col, INT_MAX);
    *rank = (int)v;
    return 0;
}

static int parse_leaf(parser *p, int *id)
{
    size_t col = p->pos + 1;
    long long v = read_number(p);
    if (v < 1 || v > CM_MAX_D) {
        if (v > INT_MAX)
            return cm_fail(p->err, p->errlen,
                           "tree: mode number at column %zu out of range 1..%d",
                           col, CM_MAX_D);
        return cm_fail(p->err, p->errlen, "tree: mode %lld at column %zu out of range 1..%d",
                       v, col, CM_MAX_D);
    }
    unsigned bit = 1u << (v - 1);
    if (p->seen & bit)
        return cm_fail(p->err, p->errlen, "tree: mode %lld repeated at column %zu", v, col);
    p->seen |= bit;
    *id = (int)v - 1;
    return 0;
}

static int parse_item(parser *p, int nest, int *id);

/* A leaf or "(item,item)", without a rank. */
static int parse_node(parser *p, int nest, int *id)
{
    skip_ws(p);
    char c = p->s[p->pos];
    size_t col = p->pos + 1;

    if (is_digit(c))
        return parse_leaf(p, id);
    if (c == ')')
        return cm_fail(p->err, p->errlen,
                       "tree: unbalanced parentheses: unexpected ')' at column %zu", col);
    if (c == '\0' && nest > 0)
        return cm_fail(p->err, p->errlen,
                       "tree: unbalanced parentheses: string ends at column %zu inside '('", col);
    if (c != '(')
        return unexpected(p, "a mode number or '('");
    if (nest >= MAX_NEST)
        return cm_fail(p->err, p->errlen,
                       "tree: parentheses nested deeper than %d levels at column %zu "
                       "(at most %d modes)", MAX_NEST, col, CM_MAX_D);
    p->pos++;
    skip_ws(p);
    if (p->s[p->pos] == ')')
        return cm_fail(p->err, p->errlen, "tree: empty parentheses at column %zu", col);

    int l, r;
    if (parse_item(p, nest + 1, &l))
        return -1;
    skip_ws(p);
    if (p->s[p->pos] == ')')
        return cm_fail(p->err, p->errlen,
                       "tree: node at column %zu has 1 child; every internal node needs 2", col);
    if (p->s[p->pos] == '\0')
        return cm_fail(p->err, p->errlen,
                       "tree: unbalanced parentheses: '(' at column %zu is never closed", col);
    if (p->s[p->pos] != ',')
        return unexpected(p, "',' or ')'");
    p->pos++;
    if (parse_item(p, nest + 1, &r))
        return -1;
    skip_ws(p);
    if (p->s[p->pos] == ',')
        return cm_fail(p->err, p->errlen,
                       "tree: node at column %zu has more than 2 children", col);
    if (p->s[p->pos] == '\0')
        return cm_fail(p->err, p->errlen,
                       "tree: unbalanced parentheses: '(' at column %zu is never closed", col);
    if (p->s[p->pos] != ')')
        return unexpected(p, "',' or ')'");
    p->pos++;

    if (p->ninternal >= CM_MAX_NODES - CM_MAX_D) /* unreachable, see above */
        return cm_fail(p->err, p->errlen, "tree: too many nodes");
    *id = CM_MAX_D + p->ninternal++;
    p->t.left[*id] = l;
    p->t.right[*id] = r;
    return 0;
}

/* A node and its optional ":rank". */
static int parse_item(parser *p, int nest, int *id)
{
    if (parse_node(p, nest, id))
        return -1;
    skip_ws(p);
    if (p->s[p->pos] != ':')
        return 0;
    p->pos++;
    return parse_rank(p, &p->t.rank[*id]);
}

/* Modes must be exactly 1..d for d = the largest one seen. */
static int check_modes(parser *p, int *d)
{
    int top = 0;
    for (int k = 0; k < CM_MAX_D; k++)
        if (p->seen & (1u << k))
            top = k + 1;
    for (int k = 0; k < top; k++)
        if (!(p->seen & (1u << k)))
            return cm_fail(p->err, p->errlen,
                           "tree: mode %d missing (modes must be 1..%d, each once)", k + 1, top);
    *d = top;
    return 0;
}

int ht_parse(const char *s, ht_tree *t, char *err, size_t errlen)
{
    parser p;
    int root = 0, d = 0, root_rank = 1;

    if (!s)
        return cm_fail(err, errlen, "tree: no string");
    memset(&p, 0, sizeof p);
    p.s = s;
    p.err = err;
    p.errlen = errlen;
    tree_blank(&p.t, CM_MAX_D);

    skip_ws(&p);
    if (p.s[p.pos] == '\0')
        return cm_fail(err, errlen, "tree: empty string");
    if (parse_node(&p, 0, &root))
        return -1;
    skip_ws(&p);
    if (p.s[p.pos] == ':') {
        size_t col = p.pos + 1;
        p.pos++;
        if (parse_rank(&p, &root_rank))
            return -1;
        if (root_rank != 1)
            return cm_fail(err, errlen, "tree: root rank at column %zu must be 1, got %d",
                           col, root_rank);
        skip_ws(&p);
    }
    if (p.s[p.pos] == ')')
        return cm_fail(err, errlen,
                       "tree: unbalanced parentheses: unexpected ')' at column %zu", p.pos + 1);
    if (p.s[p.pos] != '\0') {
        char tmp[32];
        return cm_fail(err, errlen, "tree: trailing characters at column %zu, starting with %s",
                       p.pos + 1, show_char(p.s[p.pos], tmp, sizeof tmp));
    }
    if (check_modes(&p, &d))
        return -1;

    /* Leaves sit at 0..d-1 already; internal ids CM_MAX_D.. are >= d. */
    p.t.d = d;
    p.t.root = root;
    ht_canonicalize(&p.t);
    *t = p.t;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Counting and enumeration                                             */
/* ------------------------------------------------------------------ */

int64_t ht_count_trees(int d)
{
    if (d < 1)
        return 0;
    int64_t n = 1;
    for (int64_t k = 3; k <= 2 * (int64_t)d - 3; k += 2) {
        if (n > INT64_MAX / k)
            return -1;
        n *= k;
    }
    return n;
}

/*
 * Enumeration by leaf insertion: a tree on modes 0..k is obtained exactly
 * once from a tree on modes 0..k-1 by hanging leaf k above one of its 2k-1
 * nodes (above the root = a new root).  Hence (2d-3)!! trees, each once.
 * One working tree is modified in place and restored on the way back, so no
 * allocation happens; each complete tree is canonicalized into a copy.
 */
typedef struct {
    int d;
    int root;
    int left[CM_MAX_NODES], right[CM_MAX_NODES], parent[CM_MAX_NODES];
    ht_visit_fn fn;
    void *ud;
} enum_state;

static int enum_emit(const enum_state *e)
{
    ht_tree t;
    tree_blank(&t, e->d);
    memcpy(t.left, e->left, sizeof t.left);
    memcpy(t.right, e->right, sizeof t.right);
    t.root = e->root;
    ht_canonicalize(&t);
    return e->fn(&t, e->ud);
}

/* The nodes present before leaf k goes in: leaves 0..k-1, internal d..d+k-2. */
static int enum_node(const enum_state *e, int k, int i)
{
    return i < k ? i : e->d + (i - k);
}

static int enum_insert(enum_state *e, int k)
{
    if (k == e->d)
        return enum_emit(e);
    int w = e->d + k - 1; /* the internal node that joins leaf k */
    for (int i = 0; i < 2 * k - 1; i++) {
        int v = enum_node(e, k, i);
        int p = e->parent[v];

        e->left[w] = v;
        e->right[w] = k;
        e->parent[v] = w;
        e->parent[k] = w;
        e->parent[w] = p;
        if (p < 0)
            e->root = w;
        else if (e->left[p] == v)
            e->left[p] = w;
        else
            e->right[p] = w;

        int rc = enum_insert(e, k + 1);

        /* undo */
        if (p < 0)
            e->root = v;
        else if (e->left[p] == w)
            e->left[p] = v;
        else
            e->right[p] = v;
        e->parent[v] = p;
        e->parent[k] = -1;
        e->parent[w] = -1;
        e->left[w] = e->right[w] = -1;
        if (rc)
            return rc;
    }
    return 0;
}

int ht_enumerate(int d, ht_visit_fn fn, void *ud)
{
    enum_state e;

    if (d < 1 || d > CM_MAX_D)
        return 0;
    memset(&e, 0, sizeof e);
    e.d = d;
    e.root = 0;
    e.fn = fn;
    e.ud = ud;
    for (int i = 0; i < CM_MAX_NODES; i++)
        e.left[i] = e.right[i] = e.parent[i] = -1;
    return enum_insert(&e, 1);
}
