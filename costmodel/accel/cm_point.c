/*
 * cm_point.c - the canonical design-point string (grammar in cm_point.h):
 * the one place that prints and parses a complete point, and the check
 * that a point is self-consistent.  Parsing works on a bounded copy of the
 * input, checks every number's range and names the section and key in
 * every error, so hostile strings get a clear message, never UB.
 */
#include "cm_point.h"

#include <stdio.h>
#include <string.h>

#define SEC_MAX 8     /* sections in a point */
#define FLD_MAX 16    /* fields in a section */

/* ---------------------------------------------------------------- check */

int cm_point_nmat(const cm_point *p)
{
    if (p->layer == CM_LAYER_LSTM && p->decomp != CM_DECOMP_CONCAT)
        return 2;
    return 1;
}

int64_t cm_point_params(const cm_point *p)
{
    int64_t n = cm_format_params(&p->wx.fmt);
    if (cm_point_nmat(p) > 1)
        n += cm_format_params(&p->wh.fmt);
    return n;
}

/* The format's own check, first: a network is built only from a checked format. */
static int format_ok(const char *name, const cm_matmap *mm, char *err, size_t errlen)
{
    char e[CM_ERRLEN];
    if (cm_format_check(&mm->fmt, e, sizeof e) < 0)
        return cm_fail(err, errlen, "%s: %s", name, e);
    return 0;
}

static int order_ok(const char *name, const cm_matmap *mm, const cm_net *net, char *err,
                    size_t errlen)
{
    char e[CM_ERRLEN];
    if (cm_order_check(net, &mm->order, e, sizeof e) < 0)
        return cm_fail(err, errlen, "%s: order: %s", name, e);
    return 0;
}

int cm_matmap_check_net(const char *name, const cm_matmap *mm, cm_net *net, char *err,
                        size_t errlen)
{
    char e[CM_ERRLEN];
    if (format_ok(name, mm, err, errlen) < 0)
        return -1;
    if (cm_net_build(&mm->fmt, net, e, sizeof e) < 0)
        return cm_fail(err, errlen, "%s: %s", name, e);
    return order_ok(name, mm, net, err, errlen);
}

int cm_matmap_check_built(const char *name, const cm_matmap *mm, const cm_net *net, char *err,
                          size_t errlen)
{
    if (format_ok(name, mm, err, errlen) < 0)
        return -1;
    return order_ok(name, mm, net, err, errlen);
}

int cm_matmap_check(const char *name, const cm_matmap *mm, char *err, size_t errlen)
{
    cm_net net;
    return cm_matmap_check_net(name, mm, &net, err, errlen);
}

static int check_df(const char *name, const cm_matmap *mm, char *err, size_t errlen)
{
    if (mm->order.n < 1 || mm->order.n > CM_NET_MAXF)
        return cm_fail(err, errlen, "%s: the order has %d steps", name, mm->order.n);
    for (int s = 0; s < mm->order.n; s++)
        if ((unsigned)mm->df[s] >= CM_DF_COUNT)
            return cm_fail(err, errlen, "%s: step %d has no valid dataflow", name, s + 1);
    return 0;
}

static int check_shape(const char *name, const cm_matmap *mm, int64_t rows, int64_t cols,
                       char *err, size_t errlen)
{
    int64_t M = cm_modes_rows(&mm->fmt.modes), N = cm_modes_cols(&mm->fmt.modes);
    if (M != rows || N != cols)
        return cm_fail(err, errlen, "%s is %lld x %lld, the layer needs %lld x %lld", name,
                       (long long)M, (long long)N, (long long)rows, (long long)cols);
    return 0;
}

/* The shapes of the workload and matrices (no hardware). */
static int check_algo(const cm_point *p, char *err, size_t errlen)
{
    if (p->layer != CM_LAYER_LSTM && p->layer != CM_LAYER_MV)
        return cm_fail(err, errlen, "unknown layer kind %d", (int)p->layer);
    if (check_df("wx", &p->wx, err, errlen) < 0)
        return -1;
    if (p->layer == CM_LAYER_LSTM) {
        if (p->n_in < 1 || p->hidden < 1 || p->hidden > (1 << 28))
            return cm_fail(err, errlen, "lstm: nin must be >= 1 and h 1..2^28");
        int64_t H4 = 4 * (int64_t)p->hidden;
        if (p->decomp == CM_DECOMP_CONCAT) {
            if ((int64_t)p->n_pad < (int64_t)p->n_in + p->hidden)
                return cm_fail(err, errlen, "lstm: pad (%d) must be >= nin + h (%lld)", p->n_pad,
                               (long long)p->n_in + p->hidden);
            if (check_shape("wx", &p->wx, H4, p->n_pad, err, errlen) < 0)
                return -1;
        } else if (p->decomp == CM_DECOMP_PARTIAL || p->decomp == CM_DECOMP_SEPARATE) {
            if (p->n_pad != 0)
                return cm_fail(err, errlen, "lstm: pad is for dec=concat only");
            if (check_shape("wx", &p->wx, H4, p->n_in, err, errlen) < 0)
                return -1;
            if (check_df("wh", &p->wh, err, errlen) < 0)
                return -1;
            if (check_shape("wh", &p->wh, H4, p->hidden, err, errlen) < 0)
                return -1;
            if (p->decomp == CM_DECOMP_PARTIAL && p->wh.fmt.kind != CM_DENSE)
                return cm_fail(err, errlen, "wh must be dense for dec=partial");
        } else {
            return cm_fail(err, errlen, "unknown decomposition %d", (int)p->decomp);
        }
    }
    return 0;
}

int cm_point_check_shapes(const cm_point *p, char *err, size_t errlen)
{
    char e[CM_ERRLEN];
    if (check_algo(p, err, errlen) < 0)
        return -1;
    if ((unsigned)p->map >= CM_MAP_COUNT)
        return cm_fail(err, errlen, "unknown bank map %d", (int)p->map);
    if (cm_hw_check(&p->hw, e, sizeof e) < 0)
        return cm_fail(err, errlen, "hw: %s", e);
    return 0;
}

int cm_point_check(const cm_point *p, char *err, size_t errlen)
{
    if (p->layer == CM_LAYER_LSTM || p->layer == CM_LAYER_MV) {
        if (cm_matmap_check("wx", &p->wx, err, errlen) < 0)
            return -1;
        if (cm_point_nmat(p) == 2 && cm_matmap_check("wh", &p->wh, err, errlen) < 0)
            return -1;
    }
    return cm_point_check_shapes(p, err, errlen);
}

/* ---------------------------------------------------------------- format */

typedef struct {
    char *buf;
    size_t cap, len; /* len counts every byte asked for, even past cap */
} sbuf;

static void put(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#include <stdarg.h>
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->len < b->cap ? b->cap - b->len : 0;
    int n = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len += (size_t)n;
}

static void put_modes(sbuf *b, const int *v, int d)
{
    for (int k = 0; k < d; k++)
        put(b, k ? "x%d" : "%d", v[k]);
}

static int format_matmap(sbuf *b, const char *name, const cm_matmap *mm, int mapping)
{
    cm_net net;
    char tmp[CM_POINT_MAXLEN];
    if (cm_net_build(&mm->fmt, &net, NULL, 0) < 0)
        return -1;
    put(b, "%s;f=%s;m=", name, cm_kind_name(mm->fmt.kind));
    put_modes(b, mm->fmt.modes.m, mm->fmt.modes.d);
    put(b, ";n=");
    put_modes(b, mm->fmt.modes.n, mm->fmt.modes.d);
    if (mm->fmt.kind == CM_TT) {
        put(b, ";r=");
        for (int k = 0; k <= mm->fmt.modes.d; k++)
            put(b, k ? ",%d" : "%d", mm->fmt.tt_rank[k]);
    } else if (mm->fmt.kind == CM_HT) {
        int n = ht_format(&mm->fmt.tree, tmp, sizeof tmp);
        if (n < 0 || (size_t)n >= sizeof tmp)
            return -1;
        put(b, ";t=%s", tmp);
    }
    if (!mapping)
        return 0;
    int n = cm_order_format(&net, &mm->order, tmp, sizeof tmp);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    put(b, ";o=%s;df=", tmp);
    int uniform = 1;
    for (int s = 1; s < mm->order.n; s++)
        if (mm->df[s] != mm->df[0])
            uniform = 0;
    for (int s = 0; s < (uniform ? 1 : mm->order.n); s++)
        put(b, s ? ".%s" : "%s", cm_dataflow_name(mm->df[s]));
    return 0;
}

/* The workload and matrices; with mapping, also each matrix's order and
 * dataflows. */
static int format_algo(sbuf *b, const cm_point *p, int mapping)
{
    if (p->layer == CM_LAYER_LSTM) {
        put(b, "lstm;nin=%d;h=%d;dec=%s", p->n_in, p->hidden, cm_decomp_name(p->decomp));
        if (p->decomp == CM_DECOMP_CONCAT)
            put(b, ";pad=%d", p->n_pad);
    } else {
        put(b, "mv");
    }
    put(b, "/");
    if (format_matmap(b, "wx", &p->wx, mapping) < 0)
        return -1;
    if (cm_point_nmat(p) == 2) {
        put(b, "/");
        if (format_matmap(b, "wh", &p->wh, mapping) < 0)
            return -1;
    }
    return 0;
}

static int finish(sbuf *b, char *buf, size_t buflen)
{
    if (buflen && b->len >= buflen)
        buf[buflen - 1] = '\0';
    return b->len > (size_t)INT32_MAX ? -1 : (int)b->len;
}

/* The point (full: with its mapping and hw section) or its network. */
static int format_point(const cm_point *p, int full, char *buf, size_t buflen)
{
    sbuf b = {buf, buflen, 0};
    if (buflen)
        buf[0] = '\0';
    if (format_algo(&b, p, full) < 0)
        return -1;
    if (full) {
        char hw[CM_POINT_HWMAX];
        if (cm_point_format_hw(p, hw, sizeof hw) < 0)
            return -1;
        put(&b, "%s", hw);
    }
    return finish(&b, buf, buflen);
}

int cm_point_format_net(const cm_point *p, char *buf, size_t buflen)
{
    return format_point(p, 0, buf, buflen);
}

int cm_point_format(const cm_point *p, char *buf, size_t buflen)
{
    return format_point(p, 1, buf, buflen);
}

/* Decimal digits of v at p (two at a time, no printf: sweeps format the
 * hardware part of every stored point); returns the end. */
static char *put_i64(char *p, int64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "62636465666768697071727374757677787980818283848586878889909192"
                                "93949596979899";
    char tmp[24];
    int n = (int)sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        tmp[--n] = pairs[2 * r + 1];
        tmp[--n] = pairs[2 * r];
    }
    if (u >= 10) {
        tmp[--n] = pairs[2 * u + 1];
        tmp[--n] = pairs[2 * u];
    } else {
        tmp[--n] = (char)('0' + u);
    }
    if (v < 0)
        *p++ = '-';
    memcpy(p, tmp + n, sizeof tmp - (size_t)n);
    return p + (sizeof tmp - (size_t)n);
}

static char *put_str(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, lit) put_str(p, lit, sizeof lit - 1)

/* The numeric fields of the hw section in point-string order: key, place
 * in cm_hw, int64_t (wide) or int, and the range parse accepts.  Printing
 * and parsing both walk this one table. */
typedef struct {
    const char *key;
    size_t off;
    int wide;
    int64_t lo, hi;
} hw_field;

#define HW_INT(k, m, lo, hi) {k, offsetof(cm_hw, m), 0, lo, hi}
#define HW_I64(k, m, lo, hi) {k, offsetof(cm_hw, m), 1, lo, hi}
static const hw_field hw_fields[] = {
    HW_INT("P", pes, 1, 4096), HW_INT("L", lanes, 1, 4096), HW_INT("b", bits, 2, 16),
    HW_INT("B", banks, 1, 4096), HW_I64("wm", work_words, 2, INT64_C(1) << 40),
    HW_I64("wg", wgt_words, 0, INT64_C(1) << 40), HW_INT("bw", dram_mbps, 1, 10000000),
    HW_INT("sfu", sfu_lanes, 1, 4096), HW_INT("mhz", freq_mhz, 1, 100000)};
#define NHW_FIELDS (sizeof hw_fields / sizeof hw_fields[0])

static int64_t hw_get(const cm_hw *h, const hw_field *f)
{
    const char *a = (const char *)h + f->off;
    if (f->wide) {
        int64_t v;
        memcpy(&v, a, sizeof v);
        return v;
    }
    int v;
    memcpy(&v, a, sizeof v);
    return v;
}

int cm_point_format_hw(const cm_point *pt, char *buf, size_t buflen)
{
    const cm_hw *h = &pt->hw;
    const char *map = cm_bankmap_name(pt->map);
    const char *tech_end = memchr(h->tech, '\0', sizeof h->tech);
    /* 9 numbers of <= 20 characters, the literals, a map name, the tech */
    if (!tech_end || buflen < CM_POINT_HWMAX || strlen(map) > 32)
        return -1;
    char *p = buf;
    p = PUT_LIT(p, "/hw");
    for (size_t i = 0; i < NHW_FIELDS; i++) {
        *p++ = ';';
        p = put_str(p, hw_fields[i].key, strlen(hw_fields[i].key));
        *p++ = '=';
        p = put_i64(p, hw_get(h, &hw_fields[i]));
    }
    p = PUT_LIT(p, ";map=");
    p = put_str(p, map, strlen(map));
    p = PUT_LIT(p, ";tech=");
    p = put_str(p, h->tech, (size_t)(tech_end - h->tech));
    *p = '\0';
    return (int)(p - buf);
}

/* ---------------------------------------------------------------- parse */

typedef struct {
    char *key, *val;
    int used;
} field;

typedef struct {
    char *name;
    int nf;
    field f[FLD_MAX];
} section;

/* Strict unsigned decimal in [lo, hi]; no sign, no spaces, no leading '+'. */
static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (!*s || strlen(s) > 18)
        return -1;
    int64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (*c - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    int64_t v;
    if (parse_i64(s, lo, hi, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* Split s in place at every sep; at most max pieces; -1 if more. */
static int split(char *s, char sep, char **out, int max)
{
    int n = 0;
    for (;;) {
        if (n == max)
            return -1;
        out[n++] = s;
        char *c = strchr(s, sep);
        if (!c)
            return n;
        *c = '\0';
        s = c + 1;
    }
}

static int parse_section(char *text, section *sec, char *err, size_t errlen)
{
    char *parts[FLD_MAX + 1];
    int n = split(text, ';', parts, FLD_MAX + 1);
    if (n < 0)
        return cm_fail(err, errlen, "section '%.16s': too many fields", text);
    sec->name = parts[0];
    sec->nf = 0;
    for (int i = 1; i < n; i++) {
        char *eq = strchr(parts[i], '=');
        if (!eq || eq == parts[i])
            return cm_fail(err, errlen, "%s: field '%.32s' is not key=value", sec->name,
                           parts[i]);
        *eq = '\0';
        for (int j = 0; j < sec->nf; j++)
            if (!strcmp(sec->f[j].key, parts[i]))
                return cm_fail(err, errlen, "%s: key '%s' given twice", sec->name, parts[i]);
        sec->f[sec->nf].key = parts[i];
        sec->f[sec->nf].val = eq + 1;
        sec->f[sec->nf].used = 0;
        sec->nf++;
    }
    return 0;
}

/* Value of key, or NULL (then required keys produce an error). */
static const char *get(section *sec, const char *key)
{
    for (int i = 0; i < sec->nf; i++)
        if (!strcmp(sec->f[i].key, key)) {
            sec->f[i].used = 1;
            return sec->f[i].val;
        }
    return NULL;
}

static const char *need(section *sec, const char *key, char *err, size_t errlen)
{
    const char *v = get(sec, key);
    if (!v)
        cm_fail(err, errlen, "%s: missing key '%s'", sec->name, key);
    return v;
}

static int no_unknown(const section *sec, char *err, size_t errlen)
{
    for (int i = 0; i < sec->nf; i++)
        if (!sec->f[i].used)
            return cm_fail(err, errlen, "%s: unknown key '%.32s'", sec->name, sec->f[i].key);
    return 0;
}

static int need_int(section *sec, const char *key, int lo, int hi, int *out, char *err,
                    size_t errlen)
{
    const char *v = need(sec, key, err, errlen);
    if (!v)
        return -1;
    if (parse_int(v, lo, hi, out) < 0)
        return cm_fail(err, errlen, "%s: %s='%.32s' must be an integer %d..%d", sec->name, key,
                       v, lo, hi);
    return 0;
}

static int need_i64(section *sec, const char *key, int64_t lo, int64_t hi, int64_t *out,
                    char *err, size_t errlen)
{
    const char *v = need(sec, key, err, errlen);
    if (!v)
        return -1;
    if (parse_i64(v, lo, hi, out) < 0)
        return cm_fail(err, errlen, "%s: %s='%.32s' must be an integer %lld..%lld", sec->name,
                       key, v, (long long)lo, (long long)hi);
    return 0;
}

/* "16x4x4x4" -> v[0..*d-1]. */
static int parse_modes(const char *s, int *v, int *d)
{
    char tmp[256];
    char *parts[CM_MAX_D + 1];
    if (strlen(s) >= sizeof tmp)
        return -1;
    strcpy(tmp, s);
    int n = split(tmp, 'x', parts, CM_MAX_D + 1);
    if (n < 0 || n > CM_MAX_D)
        return -1;
    for (int k = 0; k < n; k++)
        if (parse_int(parts[k], 1, INT32_MAX, &v[k]) < 0)
            return -1;
    *d = n;
    return 0;
}

/* loose (networks): o= and df= may be left out (best order, wp). */
static int parse_matmap(section *sec, cm_matmap *mm, int loose, char *err, size_t errlen)
{
    char e[CM_ERRLEN];
    const char *v;
    int dm, dn;
    memset(mm, 0, sizeof *mm);
    if (!(v = need(sec, "f", err, errlen)))
        return -1;
    if (cm_kind_parse(v, &mm->fmt.kind) < 0)
        return cm_fail(err, errlen, "%s: f='%.32s' must be dense, tt or ht", sec->name, v);
    if (!(v = need(sec, "m", err, errlen)))
        return -1;
    if (parse_modes(v, mm->fmt.modes.m, &dm) < 0)
        return cm_fail(err, errlen, "%s: m='%.32s' must be 1..%d sizes like 16x4x4x4",
                       sec->name, v, CM_MAX_D);
    if (!(v = need(sec, "n", err, errlen)))
        return -1;
    if (parse_modes(v, mm->fmt.modes.n, &dn) < 0)
        return cm_fail(err, errlen, "%s: n='%.32s' must be 1..%d sizes like 8x20x20x18",
                       sec->name, v, CM_MAX_D);
    if (dm != dn)
        return cm_fail(err, errlen, "%s: m has %d modes but n has %d", sec->name, dm, dn);
    mm->fmt.modes.d = dm;
    if (cm_modes_check(&mm->fmt.modes, e, sizeof e) < 0)
        return cm_fail(err, errlen, "%s: %s", sec->name, e);
    if (mm->fmt.kind == CM_TT) {
        char tmp[256];
        char *parts[CM_MAX_D + 2];
        if (!(v = need(sec, "r", err, errlen)))
            return -1;
        if (strlen(v) >= sizeof tmp)
            return cm_fail(err, errlen, "%s: r is too long", sec->name);
        strcpy(tmp, v);
        int n = split(tmp, ',', parts, CM_MAX_D + 2);
        if (n != dm + 1)
            return cm_fail(err, errlen, "%s: r='%.32s' must list %d ranks r_0..r_d", sec->name,
                           v, dm + 1);
        for (int k = 0; k < n; k++)
            if (parse_int(parts[k], 1, 1 << 20, &mm->fmt.tt_rank[k]) < 0)
                return cm_fail(err, errlen, "%s: r: rank '%.16s' must be 1..2^20", sec->name,
                               parts[k]);
    } else if (mm->fmt.kind == CM_HT) {
        if (!(v = need(sec, "t", err, errlen)))
            return -1;
        if (ht_parse(v, &mm->fmt.tree, e, sizeof e) < 0)
            return cm_fail(err, errlen, "%s: t: %s", sec->name, e);
        if (mm->fmt.tree.d != dm)
            return cm_fail(err, errlen, "%s: tree has %d modes, m/n have %d", sec->name,
                           mm->fmt.tree.d, dm);
        if (ht_check_ranks(&mm->fmt.tree, e, sizeof e) < 0)
            return cm_fail(err, errlen, "%s: t: %s (every rank must be given)", sec->name, e);
    }
    if (cm_format_check(&mm->fmt, e, sizeof e) < 0)
        return cm_fail(err, errlen, "%s: %s", sec->name, e);
    cm_net net;
    if (cm_net_build(&mm->fmt, &net, e, sizeof e) < 0)
        return cm_fail(err, errlen, "%s: %s", sec->name, e);
    if (loose && !get(sec, "o")) {
        cm_order_cost c;
        cm_order_best(&net, &mm->order, &c);
    } else {
        if (!(v = need(sec, "o", err, errlen)))
            return -1;
        if (cm_order_parse(&net, v, &mm->order, e, sizeof e) < 0)
            return cm_fail(err, errlen, "%s: o: %s", sec->name, e);
    }
    if (loose && !get(sec, "df")) {
        cm_matmap_set_df(mm, CM_DF_WP);
    } else {
        if (!(v = need(sec, "df", err, errlen)))
            return -1;
        char tmp[256];
        char *parts[CM_NET_MAXF + 1];
        if (strlen(v) >= sizeof tmp)
            return cm_fail(err, errlen, "%s: df is too long", sec->name);
        strcpy(tmp, v);
        int n = split(tmp, '.', parts, CM_NET_MAXF + 1);
        if (n != 1 && n != mm->order.n)
            return cm_fail(err, errlen, "%s: df must be one dataflow or one per step (%d)",
                           sec->name, mm->order.n);
        for (int s = 0; s < n; s++)
            if (cm_dataflow_parse(parts[s], &mm->df[s]) < 0)
                return cm_fail(err, errlen, "%s: df: '%.16s' must be wp or op", sec->name,
                               parts[s]);
        if (n == 1)
            cm_matmap_set_df(mm, mm->df[0]);
    }
    if ((mm->fmt.kind == CM_DENSE && (get(sec, "r") || get(sec, "t"))) ||
        (mm->fmt.kind == CM_TT && get(sec, "t")) || (mm->fmt.kind == CM_HT && get(sec, "r")))
        return cm_fail(err, errlen, "%s: r is for tt and t for ht only", sec->name);
    return no_unknown(sec, err, errlen);
}

static int parse_work(section *sec, cm_point *p, char *err, size_t errlen)
{
    const char *v;
    if (!strcmp(sec->name, "mv")) {
        p->layer = CM_LAYER_MV;
        return no_unknown(sec, err, errlen);
    }
    if (strcmp(sec->name, "lstm"))
        return cm_fail(err, errlen, "the point must start with 'lstm' or 'mv', not '%.16s'",
                       sec->name);
    p->layer = CM_LAYER_LSTM;
    if (need_int(sec, "nin", 1, INT32_MAX, &p->n_in, err, errlen) < 0 ||
        need_int(sec, "h", 1, 1 << 28, &p->hidden, err, errlen) < 0)
        return -1;
    if (!(v = need(sec, "dec", err, errlen)))
        return -1;
    if (cm_decomp_parse(v, &p->decomp) < 0)
        return cm_fail(err, errlen, "lstm: dec='%.32s' must be partial, separate or concat", v);
    if (p->decomp == CM_DECOMP_CONCAT) {
        if (need_int(sec, "pad", 1, INT32_MAX, &p->n_pad, err, errlen) < 0)
            return -1;
    } else if (get(sec, "pad")) {
        return cm_fail(err, errlen, "lstm: pad is for dec=concat only");
    }
    return no_unknown(sec, err, errlen);
}

static int parse_hw(section *sec, cm_point *p, char *err, size_t errlen)
{
    cm_hw *h = &p->hw;
    const char *v;
    if (strcmp(sec->name, "hw"))
        return cm_fail(err, errlen, "expected the 'hw' section, got '%.16s'", sec->name);
    for (size_t i = 0; i < NHW_FIELDS; i++) {
        const hw_field *f = &hw_fields[i];
        char *a = (char *)h + f->off;
        int rc = f->wide ? need_i64(sec, f->key, f->lo, f->hi, (int64_t *)(void *)a, err, errlen)
                         : need_int(sec, f->key, (int)f->lo, (int)f->hi, (int *)(void *)a, err,
                                    errlen);
        if (rc < 0)
            return -1;
    }
    if (!(v = need(sec, "map", err, errlen)))
        return -1;
    if (cm_bankmap_parse(v, &p->map) < 0)
        return cm_fail(err, errlen, "hw: map='%.32s' must be linear, skew, xor or transform", v);
    if (!(v = need(sec, "tech", err, errlen)))
        return -1;
    if (strlen(v) >= sizeof h->tech)
        return cm_fail(err, errlen, "hw: tech name is too long");
    strcpy(h->tech, v);
    return no_unknown(sec, err, errlen);
}

/* Section text s, which must be the matrix section `name`, into *mm. */
static int matmap_section(char *s, const char *name, cm_matmap *mm, int net, char *err,
                          size_t errlen)
{
    section sec;
    if (parse_section(s, &sec, err, errlen) < 0)
        return -1;
    if (strcmp(sec.name, name))
        return cm_fail(err, errlen, "expected the '%s' section, got '%.16s'", name, sec.name);
    return parse_matmap(&sec, mm, net, err, errlen);
}

/* A point (net = 0) or a network (net = 1: the hardware section may be
 * left out, and each matrix's o= and df=). */
static int parse_any(const char *s, cm_point *p, int net, char *err, size_t errlen)
{
    char text[CM_POINT_MAXLEN];
    char *secs[SEC_MAX + 1];
    section sec;
    memset(p, 0, sizeof *p);
    if (!s)
        return cm_fail(err, errlen, "no point string");
    size_t n = strnlen(s, sizeof text);
    if (n == 0)
        return cm_fail(err, errlen, "empty point string");
    if (n >= sizeof text)
        return cm_fail(err, errlen, "point string longer than %d characters",
                       CM_POINT_MAXLEN - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127)
            return cm_fail(err, errlen, "point string has a space or control character at %zu",
                           i + 1);
    memcpy(text, s, n + 1);
    int ns = split(text, '/', secs, SEC_MAX + 1);
    if (ns < 0 || ns < 2 + !net || ns > 4)
        return cm_fail(err, errlen, net ? "a network has 2 to 4 '/'-separated sections "
                                          "(work/wx[/wh][/hw])"
                                        : "a point has 3 or 4 '/'-separated sections "
                                          "(work/wx[/wh]/hw)");
    if (parse_section(secs[0], &sec, err, errlen) < 0 || parse_work(&sec, p, err, errlen) < 0)
        return -1;
    int want = cm_point_nmat(p) + 2;
    int has_hw = ns == want;
    if (!has_hw && !(net && ns == want - 1))
        return cm_fail(err, errlen, "this workload needs %d sections (work/wx%s%s), got %d",
                       want - net, want == 4 ? "/wh" : "", net ? "[/hw]" : "/hw", ns);
    if (matmap_section(secs[1], "wx", &p->wx, net, err, errlen) < 0 ||
        (want == 4 && matmap_section(secs[2], "wh", &p->wh, net, err, errlen) < 0))
        return -1;
    if (has_hw && (parse_section(secs[ns - 1], &sec, err, errlen) < 0 ||
                   parse_hw(&sec, p, err, errlen) < 0))
        return -1;
    if (!net)
        return cm_point_check(p, err, errlen);
    if (cm_matmap_check("wx", &p->wx, err, errlen) < 0 ||
        (cm_point_nmat(p) == 2 && cm_matmap_check("wh", &p->wh, err, errlen) < 0))
        return -1;
    return check_algo(p, err, errlen);
}

int cm_point_parse(const char *s, cm_point *p, char *err, size_t errlen)
{
    return parse_any(s, p, 0, err, errlen);
}

int cm_point_parse_net(const char *s, cm_point *p, char *err, size_t errlen)
{
    return parse_any(s, p, 1, err, errlen);
}

/* ------------------------------------------------------ design columns */

/* The value of key in the section named sec of point string s ("" when
 * absent), cut to len. */
static void field_of(const char *s, const char *sec, const char *key, char *out, size_t len)
{
    size_t sl = strlen(sec), kl = strlen(key);
    out[0] = '\0';
    for (const char *p = s; p && *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL) {
        if (strncmp(p, sec, sl) || (p[sl] != ';' && p[sl] != '/' && p[sl] != '\0'))
            continue;
        const char *end = strchr(p, '/');
        for (const char *f = p; f && (!end || f < end); f = strchr(f, ';') ? strchr(f, ';') + 1 : NULL) {
            if (!strncmp(f, key, kl) && f[kl] == '=') {
                const char *v = f + kl + 1;
                size_t n = strcspn(v, ";/");
                snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), v);
                return;
            }
            if (end && strchr(f, ';') && strchr(f, ';') > end)
                break;
        }
        return;
    }
}

void cm_point_describe_mat(const char *s, const cm_point *p, int k, cm_point_mat_desc *md)
{
    const cm_matmap *mm = k ? &p->wh : &p->wx;
    const char *sec = k ? "wh" : "wx";
    memset(md, 0, sizeof *md);
    snprintf(md->format, sizeof md->format, "%s", cm_kind_name(mm->fmt.kind));
    field_of(s, sec, "m", md->m, sizeof md->m);
    field_of(s, sec, "n", md->n, sizeof md->n);
    field_of(s, sec, "t", md->tree, sizeof md->tree);
    field_of(s, sec, "o", md->order, sizeof md->order);
    field_of(s, sec, "df", md->dataflow, sizeof md->dataflow);
    size_t u = 0;
    if (mm->fmt.kind == CM_TT) {
        field_of(s, sec, "r", md->ranks, sizeof md->ranks);
        for (int i = 0; i <= mm->fmt.modes.d; i++)
            md->rank_max = mm->fmt.tt_rank[i] > md->rank_max ? mm->fmt.tt_rank[i] : md->rank_max;
    } else if (mm->fmt.kind == CM_HT) {
        const ht_tree *t = &mm->fmt.tree;
        for (int v = 0; v < t->nnodes && u + 12 < sizeof md->ranks; v++) {
            if (v == t->root)
                continue;
            u += (size_t)snprintf(md->ranks + u, sizeof md->ranks - u, "%s%d", u ? "," : "",
                                  t->rank[v]);
            md->rank_max = t->rank[v] > md->rank_max ? t->rank[v] : md->rank_max;
        }
    }
}

/* ---------------------------------------------------------------- helpers */

void cm_matmap_set_df(cm_matmap *mm, cm_dataflow df)
{
    for (int s = 0; s < CM_NET_MAXF; s++)
        mm->df[s] = df;
}

int cm_matmap_best_order(cm_matmap *mm, char *err, size_t errlen)
{
    cm_net net;
    cm_order_cost c;
    if (cm_format_check(&mm->fmt, err, errlen) < 0 || cm_net_build(&mm->fmt, &net, err, errlen) < 0)
        return -1;
    cm_order_best(&net, &mm->order, &c);
    return 0;
}
