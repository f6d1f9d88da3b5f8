/*
 * store.c - evaluated points to database rows (see store.h).
 */
#include "store.h"

#include "cm_hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void store_fmt_init(store_fmt *f)
{
    memset(f, 0, sizeof *f);
}

void store_fmt_free(store_fmt *f)
{
    free(f->ways);
    f->ways = NULL;
}

/* FNV-1a over the prefix bytes, 8 at a time (only picks a way). */
static size_t way_of(const unsigned char *src)
{
    uint64_t h = CM_FNV_OFFSET;
    size_t n = sizeof ((store_fmt *)0)->src, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        h = cm_fnv_step(h, w);
        h ^= h >> 29;
    }
    h = cm_fnv1a(h, src + i, n - i);
    h ^= h >> 32;
    return (size_t)(h % STORE_FMT_WAYS);
}

/* Start of the hardware section of a formatted point (its last "/hw;"). */
static const char *hw_start(const char *s)
{
    const char *hit = NULL;
    for (const char *p = strstr(s, "/hw;"); p; p = strstr(p + 1, "/hw;"))
        hit = p;
    return hit;
}

/* The slow path: cm_point_format into f->buf; a miss also (re)fills the cache. */
static const char *format_full(store_fmt *f, const cm_point *pt, size_t *len, int fill)
{
    f->valid = 0;
    int n = cm_point_format(pt, f->buf, sizeof f->buf);
    if (n < 0 || (size_t)n >= sizeof f->buf)
        return NULL;
    if (len)
        *len = (size_t)n;
    if (!fill || f->off)
        return f->buf;
    char hw[CM_POINT_HWMAX];
    const char *at = hw_start(f->buf);
    int m = cm_point_format_hw(pt, hw, sizeof hw);
    if (!at || m < 0 || strcmp(at, hw)) {
        f->off = 1; /* cm_point_format writes the hardware otherwise: no cache */
        return f->buf;
    }
    f->plen = (size_t)(at - f->buf);
    memcpy(f->src, pt, sizeof f->src);
    f->valid = 1;
    if (f->ways && f->plen < STORE_PREFIX_MAX) {
        store_fmt_way *w = &f->ways[way_of(f->src)];
        w->plen = f->plen;
        memcpy(w->src, f->src, sizeof w->src);
        memcpy(w->prefix, f->buf, f->plen);
    }
    return f->buf;
}

/* The prefix of pt from the table into buf (1), or 0 when not there. */
static int from_ways(store_fmt *f, const cm_point *pt)
{
    if (!f->ways) {
        f->ways = calloc(STORE_FMT_WAYS, sizeof *f->ways);
        return 0;
    }
    store_fmt_way *w = &f->ways[way_of((const unsigned char *)pt)];
    if (!w->plen || memcmp(w->src, pt, sizeof w->src))
        return 0;
    memcpy(f->buf, w->prefix, w->plen);
    f->plen = w->plen;
    memcpy(f->src, w->src, sizeof f->src);
    f->valid = 1;
    return 1;
}

const char *store_fmt_point(store_fmt *f, const cm_point *pt, size_t *len)
{
    if (f->off || !f->valid || memcmp(f->src, pt, sizeof f->src)) {
        if (f->off || !from_ways(f, pt)) {
            f->misses++;
            return format_full(f, pt, len, 1);
        }
    }
    char hw[CM_POINT_HWMAX];
    int m = cm_point_format_hw(pt, hw, sizeof hw);
    if (m < 0 || f->plen + (size_t)m >= sizeof f->buf)
        return format_full(f, pt, len, 0);
    memcpy(f->buf + f->plen, hw, (size_t)m + 1); /* buf still holds the prefix */
    if (++f->hits % STORE_CHECK_EVERY == 0) {
        char full[CM_POINT_MAXLEN];
        int n = cm_point_format(pt, full, sizeof full);
        if (n < 0 || (size_t)n != f->plen + (size_t)m || strcmp(full, f->buf)) {
            f->off = 1;
            return format_full(f, pt, len, 0);
        }
    }
    if (len)
        *len = f->plen + (size_t)m;
    return f->buf;
}

void store_row(db_row *row, const map_result *r, const char *point, db_comp *comps)
{
    const cm_result *m = &r->res;
    int ok = r->modeled && !r->reject;
    db_row_init(row, point);
    memcpy(row->m, r->m, sizeof row->m); /* map_eval: NaN where not known */
    row->format = cm_kind_name(r->pt.wx.fmt.kind);
    row->pes = r->pt.hw.pes;
    row->lanes = r->pt.hw.lanes;
    row->banks = r->pt.hw.banks;
    row->bits = r->pt.hw.bits;
    row->freq_mhz = r->pt.hw.freq_mhz;
    row->valid = !r->reject;
    row->reason = r->reject ? map_reject_name(r->reject) : NULL;
    row->ncomp = ok && comps ? db_comps_from_result(m, comps) : 0;
    row->comp = row->ncomp ? comps : NULL;
}
