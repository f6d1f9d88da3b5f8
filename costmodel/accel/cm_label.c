/*
 * cm_label.c - the short design label of a point (cm_point.h:
 * cm_point_label), what the table outputs of dse pareto and dse show print
 * instead of the 200-odd characters of the canonical string.
 */
#include "cm_point.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t cap, len; /* len counts what would have been written */
} lbuf;

static void put(lbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->len < b->cap ? b->buf + b->len : NULL,
                      b->len < b->cap ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len += (size_t)n;
}

/* "dense", "tt r1,4,4,4,1", "ht r4 ((1,2),(3,4))" (every non-root rank 4)
 * or "ht ((1:4,2:4):6,(3:4,4:4):6)". */
static void put_format(lbuf *b, const cm_format *f)
{
    put(b, "%s", cm_kind_name(f->kind));
    if (f->kind == CM_TT) {
        for (int k = 0; k <= f->modes.d && k <= CM_MAX_D; k++)
            put(b, k ? ",%d" : " r%d", f->tt_rank[k]);
    } else if (f->kind == CM_HT) {
        ht_tree t = f->tree;
        char tree[CM_POINT_MAXLEN];
        int r = 0, uniform = t.nnodes > 1 && t.nnodes <= CM_MAX_NODES;
        for (int i = 0; uniform && i < t.nnodes; i++)
            if (i != t.root) {
                if (!r)
                    r = t.rank[i];
                uniform = t.rank[i] == r;
            }
        if (uniform) { /* the rank once, the tree's shape without ranks */
            for (int i = 0; i < t.nnodes; i++)
                t.rank[i] = 0;
            put(b, " r%d", r);
        }
        ht_format(&t, tree, sizeof tree);
        put(b, " %s", tree);
    }
}

int cm_point_label(const cm_point *p, char *buf, size_t buflen)
{
    lbuf b = {buf, buflen, 0};
    if (buflen)
        buf[0] = '\0';
    put_format(&b, &p->wx.fmt);
    if (p->layer == CM_LAYER_LSTM) {
        if (p->decomp == CM_DECOMP_SEPARATE) {
            put(&b, " + ");
            put_format(&b, &p->wh.fmt);
        }
        put(&b, " %s", cm_decomp_name(p->decomp));
    } else {
        put(&b, " mv");
    }
    put(&b, " | %dx%d B%d %s", p->hw.pes, p->hw.lanes, p->hw.banks, cm_bankmap_name(p->map));
    if (buflen && b.len >= buflen)
        buf[buflen - 1] = '\0';
    return b.len > (size_t)0x7fffffff ? -1 : (int)b.len;
}
