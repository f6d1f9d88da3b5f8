/*
 * yschema.c - the schema checker (yschema.h): walks a document tree and a
 * schema tree together and reports every mismatch (types, bounds, enums,
 * unknown and missing keys, list lengths) at the offending node, in the
 * format of ydoc.h.  Schemas are YAML documents themselves, read by the
 * same document layer.
 */
#include "yschema.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct yschema {
    yarena *arena;
    const ynode *root, *defs;
};

/* One check in progress. */
typedef struct {
    const ydoc *d;
    const ynode *defs;
} ctx;

#define ERR(c, v, ...) ydoc_err((c)->d, (v), __VA_ARGS__)
#define ERRK(c, v, ...) ydoc_err_key((c)->d, (v), __VA_ARGS__)

enum { T_INT = 1, T_NUM = 2, T_STR = 4, T_BOOL = 8, T_MAP = 16, T_LIST = 32 };

/* A field of a schema node, following `like` into defs. */
static const ynode *sfield(const ctx *c, const ynode *sch, const char *key)
{
    for (int hop = 0; sch && hop < 8; hop++) {
        const ynode *v = ymap_get(sch, key);
        if (v)
            return v;
        const ynode *like = ymap_get(sch, "like");
        if (!like)
            return NULL;
        sch = ymap_get(c->defs, like->text);
    }
    return NULL;
}

static unsigned type_bit(const char *s)
{
    static const struct { const char *n; unsigned b; } t[] = {
        {"int", T_INT}, {"num", T_NUM}, {"str", T_STR}, {"bool", T_BOOL},
        {"map", T_MAP}, {"list", T_LIST}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(s, t[i].n))
            return t[i].b;
    return 0;
}

static unsigned sch_types(const ctx *c, const ynode *sch)
{
    const ynode *t = sfield(c, sch, "type");
    unsigned bits = 0;
    if (!t)
        return 0;
    if (t->kind == YN_SCALAR)
        return type_bit(t->text);
    for (const ynode *x = t->first; x; x = x->next)
        bits |= type_bit(x->text);
    return bits;
}

/* "an integer, a list or a mapping" */
static void describe_types(unsigned bits, char *buf, size_t n)
{
    static const struct { unsigned b; const char *s; } t[] = {
        {T_INT, "an integer"}, {T_NUM, "a number"}, {T_STR, "a string"},
        {T_BOOL, "true or false"}, {T_LIST, "a list"}, {T_MAP, "a mapping"}};
    int cnt = 0, total = 0;
    for (size_t i = 0; i < 6; i++)
        total += (bits & t[i].b) != 0;
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < 6 && len < n; i++) {
        if (!(bits & t[i].b))
            continue;
        if (bits & T_INT && t[i].b == T_NUM) { /* "a number" covers it */
            total--;
            continue;
        }
        cnt++;
        const char *sep = cnt == 1 ? "" : cnt == total ? " or " : ", ";
        int w = snprintf(buf + len, n - len, "%s%s", sep, t[i].s);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/* Bounds and enum inherited from enclosing schema nodes. */
typedef struct {
    const ynode *min, *max, *enm;
} inherit;

static void sch_bounds_text(const inherit *b, int is_int, char *buf, size_t n)
{
    const char *what = is_int ? "an integer" : "a number";
    if (b->min && b->max)
        snprintf(buf, n, "%s in %s..%s", what, b->min->text, b->max->text);
    else if (b->min)
        snprintf(buf, n, "%s >= %s", what, b->min->text);
    else if (b->max)
        snprintf(buf, n, "%s <= %s", what, b->max->text);
    else
        snprintf(buf, n, "%s", what);
}

static int within(const inherit *b, double x, long long xi, int is_int)
{
    long long li;
    double ld;
    if (b->min) {
        if (is_int && yn_int(b->min, &li) == 1) {
            if (xi < li)
                return 0;
        } else if (yn_num(b->min, &ld) == 1 && x < ld) {
            return 0;
        }
    }
    if (b->max) {
        if (is_int && yn_int(b->max, &li) == 1) {
            if (xi > li)
                return 0;
        } else if (yn_num(b->max, &ld) == 1 && x > ld) {
            return 0;
        }
    }
    return 1;
}

static void check_value(ctx *c, const ynode *v, const ynode *sch, inherit b);

static void check_enum(ctx *c, const ynode *v, const inherit *b)
{
    const char *cand[64];
    int n = 0;
    char list[512], sug[128];
    size_t len = 0;
    for (const ynode *x = b->enm->first; x && n < 64; x = x->next) {
        if (!strcmp(x->text, v->text))
            return;
        cand[n++] = x->text;
        int w = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", x->text);
        if (w > 0 && (size_t)w < sizeof list - len)
            len += (size_t)w;
    }
    ysuggest(v->text, cand, n, sug, sizeof sug);
    char sh[64];
    ERR(c, v, "expected one of %s, got %s%s", list, yn_shown(v, sh, sizeof sh), sug);
}

static void type_error(ctx *c, const ynode *v, const ynode *sch, unsigned types,
                       const inherit *b)
{
    char want[160], sh[64];
    if ((types & (T_INT | T_NUM)) && !(types & (T_STR | T_LIST | T_MAP)))
        sch_bounds_text(b, !(types & T_NUM), want, sizeof want);
    else
        describe_types(types, want, sizeof want);
    const ynode *doc = sfield(c, sch, "doc");
    if (doc && (types & (T_MAP | T_LIST)))
        ERR(c, v, "expected %s (%s), got %s", want, doc->text, yn_shown(v, sh, sizeof sh));
    else
        ERR(c, v, "expected %s, got %s", want, yn_shown(v, sh, sizeof sh));
}

/*
 * v as an integer (is_int) or a number, within b: 1 it is one, 0 it is not
 * one (another type may match), -1 it is one out of b or of range (reported).
 */
static int check_number(ctx *c, const ynode *v, const inherit *b, int is_int)
{
    char want[160], sh[64];
    long long i = 0;
    double x = 0;
    int r = is_int ? yn_int(v, &i) : yn_num(v, &x);
    if (is_int)
        x = (double)i;
    if (r == -1 || (r == 1 && !within(b, x, i, is_int))) {
        sch_bounds_text(b, is_int, want, sizeof want);
        ERR(c, v, "expected %s, got %s%s", want, yn_shown(v, sh, sizeof sh),
            r == -1 ? " (out of range)" : "");
        return -1;
    }
    return r;
}

static void check_scalar(ctx *c, const ynode *v, const ynode *sch, unsigned types,
                         const inherit *b)
{
    int bv;
    if (yn_is_null(v)) {
        type_error(c, v, sch, types, b);
        return;
    }
    if ((types & T_INT) && check_number(c, v, b, 1))
        return;
    if ((types & T_NUM) && check_number(c, v, b, 0))
        return;
    if ((types & T_BOOL) && yn_bool(v, &bv))
        return;
    if (types & T_STR) {
        if (b->enm)
            check_enum(c, v, b);
        return;
    }
    type_error(c, v, sch, types, b);
}

static void check_map(ctx *c, const ynode *v, const ynode *sch, inherit b)
{
    const ynode *kids = sfield(c, sch, "children");
    const char *names[128];
    int nn = 0;
    for (const ynode *k = kids ? kids->first : NULL; k && nn < 128; k = k->next)
        names[nn++] = k->key;
    for (const ynode *x = v->first; x; x = x->next) {
        const ynode *ks = ymap_get(kids, x->key);
        if (!ks) {
            char sug[128], list[512];
            size_t len = 0;
            ysuggest(x->key, names, nn, sug, sizeof sug);
            list[0] = '\0';
            for (int i = 0; i < nn; i++) {
                int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
                if (w < 0 || (size_t)w >= sizeof list - len)
                    break;
                len += (size_t)w;
            }
            if (sug[0])
                ERRK(c, x, "unknown key '%s'%s", x->key, sug);
            else
                ERRK(c, x, "unknown key '%s'; expected one of: %s", x->key, list);
            continue;
        }
        check_value(c, x, ks, b);
    }
    for (const ynode *k = kids ? kids->first : NULL; k; k = k->next) {
        const ynode *req = sfield(c, k, "required");
        int r = 0;
        if (req && yn_bool(req, &r) && r && !ymap_get(v, k->key)) {
            const ynode *doc = sfield(c, k, "doc");
            ERR(c, v, "missing required key '%s'%s%s%s", k->key, doc ? " (" : "",
                doc ? doc->text : "", doc ? ")" : "");
        }
    }
}

static void check_list(ctx *c, const ynode *v, const ynode *sch, inherit b)
{
    const ynode *items = sfield(c, sch, "items");
    const ynode *mn = sfield(c, sch, "min_items"), *mx = sfield(c, sch, "max_items");
    long long lo = 0, hi = LLONG_MAX;
    if (mn)
        yn_int(mn, &lo);
    if (mx)
        yn_int(mx, &hi);
    if (v->n < lo)
        ERR(c, v, "expected at least %lld item%s, got %d", lo, lo == 1 ? "" : "s", v->n);
    else if (v->n > hi)
        ERR(c, v, "expected at most %lld items, got %d", hi, v->n);
    for (const ynode *x = v->first; x && items; x = x->next)
        check_value(c, x, items, b);
}

static void check_value(ctx *c, const ynode *v, const ynode *sch, inherit b)
{
    unsigned types = sch_types(c, sch);
    const ynode *f;
    if ((f = sfield(c, sch, "min")))
        b.min = f;
    if ((f = sfield(c, sch, "max")))
        b.max = f;
    if ((f = sfield(c, sch, "enum")))
        b.enm = f;
    if (v->kind == YN_MAP) {
        if (types & T_MAP)
            check_map(c, v, sch, b);
        else
            type_error(c, v, sch, types, &b);
    } else if (v->kind == YN_SEQ) {
        if (types & T_LIST)
            check_list(c, v, sch, b);
        else
            type_error(c, v, sch, types, &b);
    } else {
        check_scalar(c, v, sch, types, &b);
    }
}

yschema *yschema_load(const char *name, const char *text, size_t len, ydiag *g)
{
    yschema *s = calloc(1, sizeof *s);
    yarena *a = yarena_new();
    if (!s || !a) {
        free(s);
        yarena_free(a);
        g->internal = 1;
        ydiag_add(g, "%s: error: out of memory", name);
        return NULL;
    }
    ydoc d = {.file = name, .what = "schema", .expect = "schema nodes", .diag = g, .arena = a};
    s->arena = a;
    s->root = ydoc_parse(&d, text, len);
    if (!s->root) {
        g->internal = 1;
        yschema_free(s);
        return NULL;
    }
    s->defs = ymap_get(s->root, "defs");
    return s;
}

void yschema_free(yschema *s)
{
    if (!s)
        return;
    yarena_free(s->arena);
    free(s);
}

int yschema_check(const yschema *s, const ydoc *d, const ynode *root)
{
    ctx c = {.d = d, .defs = s->defs};
    inherit b = {0};
    int before = d->diag->nerr;
    check_value(&c, root, s->root, b);
    return d->diag->nerr - before;
}
