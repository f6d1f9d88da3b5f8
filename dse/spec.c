/*
 * spec.c - loading a sweep spec: YAML (libyaml events) into a small tree
 * with positions, checked against the embedded schema
 * (schemas/spec.schema.yaml), then converted into the mapper's space
 * definition and the run options, with semantic checks that a schema cannot
 * express.  Every problem becomes one line "FILE:LINE:COL: error: KEY:
 * WHAT WAS EXPECTED" in a spec_diag; the caller exits 2 before any work.
 *
 * Safety: the input is untrusted.  Aliases and anchors are refused (no
 * alias bombs), tags are refused, nesting depth, node count, map width and
 * file size are bounded, duplicate keys are errors.  All nodes live in one
 * arena freed at once.
 */
#include "spec.h"
#include "cli.h"
#include "tech.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

extern const char embed_spec_schema_yaml[];
extern const unsigned long embed_spec_schema_yaml_len;

#define SPEC_MAX_BYTES (1 << 20)  /* a spec is a page of text, not data */
#define SPEC_MAX_DEPTH 32
#define SPEC_MAX_NODES 100000
#define SPEC_MAX_KEYS 512         /* keys of one mapping (bounds the dup check) */
#define SPEC_MAX_ERRORS 20

/* ------------------------------------------------------------------ */
/* Arena                                                                */
/* ------------------------------------------------------------------ */

typedef struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    max_align_t data[];
} arena_blk;

struct spec_arena {
    arena_blk *head;
};

static void *arena_alloc(spec_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        arena_blk *b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)a->head->data + a->head->used;
    a->head->used += n;
    memset(p, 0, n);
    return p;
}

static char *arena_strndup(spec_arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static void arena_free(spec_arena *a)
{
    while (a && a->head) {
        arena_blk *b = a->head;
        a->head = b->next;
        free(b);
    }
}

/* ------------------------------------------------------------------ */
/* Diagnostics                                                          */
/* ------------------------------------------------------------------ */

void spec_diag_init(spec_diag *g) { memset(g, 0, sizeof *g); }

void spec_diag_free(spec_diag *g)
{
    free(g->buf);
    memset(g, 0, sizeof *g);
}

static void diag_vadd(spec_diag *g, const char *fmt, va_list ap)
{
    char line[1024];
    int n = vsnprintf(line, sizeof line, fmt, ap);
    if (n < 0)
        return;
    size_t len = strlen(line);
    /* Keys and values are quoted into messages: keep each message one line. */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    if (g->len + len + 2 > g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 1024;
        while (cap < g->len + len + 2)
            cap *= 2;
        char *nb = realloc(g->buf, cap);
        if (!nb) {
            g->internal = 1;
            return;
        }
        g->buf = nb;
        g->cap = cap;
    }
    memcpy(g->buf + g->len, line, len);
    g->len += len;
    g->buf[g->len++] = '\n';
    g->buf[g->len] = '\0';
}

void spec_diag_add(spec_diag *g, const char *fmt, ...)
{
    va_list ap;
    g->nerr++;
    if (g->nerr > SPEC_MAX_ERRORS)
        return;
    va_start(ap, fmt);
    diag_vadd(g, fmt, ap);
    va_end(ap);
}

const char *spec_diag_text(const spec_diag *g) { return g->buf ? g->buf : ""; }

/* ------------------------------------------------------------------ */
/* The YAML tree                                                        */
/* ------------------------------------------------------------------ */

enum { N_SCALAR, N_MAP, N_SEQ };

struct spec_node {
    int kind;
    int line, col;          /* 1-based position of the value */
    int plain;              /* scalar written without quotes: may be a number */
    const char *text;       /* scalar value ("" for others) */
    size_t len;
    const char *key;        /* key under a mapping parent */
    int key_line, key_col;
    int index;              /* position under a sequence parent */
    spec_node *parent, *first, *last, *next;
    int n;                  /* children */
    spec_node *pkey;        /* mapping being built: key waiting for its value */
};

typedef struct {
    const char *file;       /* name used in messages */
    const char *text;
    size_t len;
    spec_arena *arena;
    spec_diag *diag;
    int nnodes;
    const spec_node *defs;  /* schema definitions */
} ctx;

/* Dotted key path of a node: workload.n_in, hardware.zip[0].pes. */
static void node_path(const spec_node *v, char *buf, size_t n)
{
    const spec_node *chain[SPEC_MAX_DEPTH + 2];
    int k = 0;
    for (; v && v->parent && k < SPEC_MAX_DEPTH + 2; v = v->parent)
        chain[k++] = v;
    size_t len = 0;
    buf[0] = '\0';
    while (k-- > 0 && len < n) {
        const spec_node *c = chain[k];
        int w;
        if (c->key)
            w = snprintf(buf + len, n - len, "%s%s", len ? "." : "", c->key);
        else
            w = snprintf(buf + len, n - len, "[%d]", c->index);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

static void err_at(ctx *c, int line, int col, const spec_node *where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void err_at(ctx *c, int line, int col, const spec_node *where, const char *fmt, ...)
{
    char msg[768], path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    path[0] = '\0';
    if (where)
        node_path(where, path, sizeof path);
    if (path[0])
        spec_diag_add(c->diag, "%s:%d:%d: error: %s: %s", c->file, line, col, path, msg);
    else
        spec_diag_add(c->diag, "%s:%d:%d: error: %s", c->file, line, col, msg);
}

/* An error about a node's value, at the value. */
#define ERR(c, v, ...) err_at((c), (v)->line, (v)->col, (v), __VA_ARGS__)
/* An error about a node's key (unknown, duplicate), at the key. */
#define ERRK(c, v, ...) err_at((c), (v)->key_line, (v)->key_col, (v), __VA_ARGS__)

static void offset_to_linecol(const char *text, size_t len, size_t off, int *line, int *col)
{
    int l = 1, cl = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            l++;
            cl = 1;
        } else {
            cl++;
        }
    }
    *line = l;
    *col = cl;
}

static void yaml_report(ctx *c, const yaml_parser_t *p)
{
    int line, col;
    size_t off;
    if (p->error == YAML_READER_ERROR) {
        off = p->problem_offset;
        offset_to_linecol(c->text, c->len, off, &line, &col);
        if (p->problem_value != -1)
            err_at(c, line, col, NULL, "%s (byte 0x%02x): not a text file?",
                   p->problem ? p->problem : "unreadable input", (unsigned)p->problem_value & 0xffu);
        else
            err_at(c, line, col, NULL, "%s", p->problem ? p->problem : "unreadable input");
        return;
    }
    if (p->error == YAML_MEMORY_ERROR) {
        c->diag->internal = 1;
        err_at(c, 1, 1, NULL, "out of memory while parsing");
        return;
    }
    off = p->problem_mark.index;
    line = (int)p->problem_mark.line + 1;
    col = (int)p->problem_mark.column + 1;
    const char *hint = (off < c->len && c->text[off] == '\t')
                           ? " (a tab: YAML indents with spaces only)" : "";
    if (p->context)
        err_at(c, line, col, NULL, "%s: %s%s", p->context, p->problem ? p->problem : "syntax error", hint);
    else
        err_at(c, line, col, NULL, "%s%s", p->problem ? p->problem : "syntax error", hint);
}

static spec_node *new_node(ctx *c, int kind, const yaml_mark_t *m)
{
    if (++c->nnodes > SPEC_MAX_NODES) {
        err_at(c, (int)m->line + 1, (int)m->column + 1, NULL,
               "too many YAML nodes (more than %d)", SPEC_MAX_NODES);
        return NULL;
    }
    spec_node *v = arena_alloc(c->arena, sizeof *v);
    if (!v) {
        c->diag->internal = 1;
        err_at(c, 1, 1, NULL, "out of memory");
        return NULL;
    }
    v->kind = kind;
    v->line = (int)m->line + 1;
    v->col = (int)m->column + 1;
    v->text = "";
    return v;
}

static void append_child(spec_node *p, spec_node *v)
{
    v->parent = p;
    if (p->last)
        p->last->next = v;
    else
        p->first = v;
    p->last = v;
    p->n++;
}

static const spec_node *map_get(const spec_node *m, const char *key)
{
    if (!m || m->kind != N_MAP)
        return NULL;
    for (const spec_node *v = m->first; v; v = v->next)
        if (!strcmp(v->key, key))
            return v;
    return NULL;
}

/* Put a finished node into its parent (a key, a value, or an item). */
static int attach(ctx *c, spec_node *parent, spec_node *v)
{
    if (parent->kind == N_SEQ) {
        v->index = parent->n;
        append_child(parent, v);
        return 0;
    }
    if (!parent->pkey) {
        if (v->kind != N_SCALAR) {
            err_at(c, v->line, v->col, parent, "a key must be a plain name, not a %s",
                   v->kind == N_MAP ? "mapping" : "list");
            return -1;
        }
        parent->pkey = v;
        return 0;
    }
    spec_node *k = parent->pkey;
    parent->pkey = NULL;
    v->key = k->text;
    v->key_line = k->line;
    v->key_col = k->col;
    const spec_node *dup = map_get(parent, k->text);
    if (dup) {
        v->parent = parent; /* for the path in the message */
        ERRK(c, v, "duplicate key '%s' (first given at line %d, column %d)", k->text,
             dup->key_line, dup->key_col);
        return -1;
    }
    if (parent->n >= SPEC_MAX_KEYS) {
        ERRK(c, v, "more than %d keys in one mapping", SPEC_MAX_KEYS);
        return -1;
    }
    append_child(parent, v);
    return 0;
}

/* Refuse what makes YAML more than a tree of plain data. */
static int plain_data(ctx *c, const yaml_event_t *e, const yaml_char_t *anchor,
                      const yaml_char_t *tag)
{
    int line = (int)e->start_mark.line + 1, col = (int)e->start_mark.column + 1;
    if (anchor) {
        err_at(c, line, col, NULL, "anchors (&%s) and aliases are not allowed in a spec",
               (const char *)anchor);
        return -1;
    }
    if (tag) {
        err_at(c, line, col, NULL, "tags (%s) are not allowed in a spec; write plain values",
               (const char *)tag);
        return -1;
    }
    return 0;
}

/* One event into the tree under construction; -1 stops the parse. */
static int on_event(ctx *c, const yaml_event_t *e, spec_node **stack, int *depth,
                    spec_node **root, int *ndocs)
{
    spec_node *v = NULL;
    int line = (int)e->start_mark.line + 1, col = (int)e->start_mark.column + 1;
    switch (e->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*ndocs > 1) {
            err_at(c, line, col, NULL, "more than one YAML document; a spec is one document");
            return -1;
        }
        return 0;
    case YAML_ALIAS_EVENT:
        err_at(c, line, col, NULL, "aliases (*%s) are not allowed in a spec",
               (const char *)e->data.alias.anchor);
        return -1;
    case YAML_SCALAR_EVENT:
        if (plain_data(c, e, e->data.scalar.anchor, e->data.scalar.tag))
            return -1;
        if (!(v = new_node(c, N_SCALAR, &e->start_mark)))
            return -1;
        v->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        v->len = e->data.scalar.length;
        if (memchr(e->data.scalar.value, '\0', v->len)) {
            err_at(c, line, col, NULL, "NUL character in a value");
            return -1;
        }
        if (!(v->text = arena_strndup(c->arena, (const char *)e->data.scalar.value, v->len))) {
            c->diag->internal = 1;
            return -1;
        }
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int seq = e->type == YAML_SEQUENCE_START_EVENT;
        if (plain_data(c, e, seq ? e->data.sequence_start.anchor : e->data.mapping_start.anchor,
                       seq ? e->data.sequence_start.tag : e->data.mapping_start.tag))
            return -1;
        if (*depth >= SPEC_MAX_DEPTH) {
            err_at(c, line, col, NULL, "nesting deeper than %d levels", SPEC_MAX_DEPTH);
            return -1;
        }
        if (!(v = new_node(c, seq ? N_SEQ : N_MAP, &e->start_mark)))
            return -1;
        stack[(*depth)++] = v;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        v = stack[--*depth];
        break;
    default:
        return 0;
    }
    if (*depth == 0) {
        *root = v;
        return 0;
    }
    return attach(c, stack[*depth - 1], v);
}

/* Parse text into a tree; NULL with diagnostics on any problem. */
static spec_node *yaml_tree(ctx *c)
{
    yaml_parser_t p;
    yaml_event_t e;
    spec_node *stack[SPEC_MAX_DEPTH + 1], *root = NULL;
    int depth = 0, ndocs = 0, failed = 0;

    if (!yaml_parser_initialize(&p)) {
        c->diag->internal = 1;
        err_at(c, 1, 1, NULL, "cannot initialize the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)c->text, c->len);
    for (;;) {
        if (!yaml_parser_parse(&p, &e)) {
            yaml_report(c, &p);
            failed = 1;
            break;
        }
        int end = e.type == YAML_STREAM_END_EVENT;
        int rc = on_event(c, &e, stack, &depth, &root, &ndocs);
        yaml_event_delete(&e);
        if (rc) {
            failed = 1;
            break;
        }
        if (end)
            break;
    }
    yaml_parser_delete(&p);
    if (failed)
        return NULL;
    if (!root || (root->kind == N_SCALAR && root->plain && root->len == 0)) {
        err_at(c, 1, 1, NULL, "empty spec; expected a mapping with version, name, workload, space");
        return NULL;
    }
    if (root->kind != N_MAP) {
        err_at(c, root->line, root->col, NULL,
               "a spec is a mapping (key: value lines), not a %s",
               root->kind == N_SEQ ? "list" : "single value");
        return NULL;
    }
    return root;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                              */
/* ------------------------------------------------------------------ */

static int is_null(const spec_node *v)
{
    if (v->kind != N_SCALAR || !v->plain)
        return 0;
    return v->len == 0 || !strcmp(v->text, "~") || !strcmp(v->text, "null") ||
           !strcmp(v->text, "Null") || !strcmp(v->text, "NULL");
}

/*
 * A plain decimal integer, optionally signed, with '_' allowed between
 * digits (1_000_000).  Returns 1 and sets *out, 0 when the text is not an
 * integer, -1 when it is one but does not fit in 64 bits.
 */
static int scalar_int(const spec_node *v, long long *out)
{
    if (v->kind != N_SCALAR || !v->plain || v->len == 0 || v->len > 64)
        return 0;
    char buf[72];
    size_t k = 0;
    const char *s = v->text;
    if (*s == '+' || *s == '-')
        buf[k++] = *s++;
    if (!(*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            buf[k++] = *s;
        else if (*s == '_' && s[1] >= '0' && s[1] <= '9' && s[-1] >= '0' && s[-1] <= '9')
            continue;
        else
            return 0;
    }
    buf[k] = '\0';
    errno = 0;
    char *end;
    long long x = strtoll(buf, &end, 10);
    if (errno == ERANGE)
        return -1;
    *out = x;
    return 1;
}

/* A plain finite number (integer or decimal / exponent form). */
static int scalar_num(const spec_node *v, double *out)
{
    long long i;
    int r = scalar_int(v, &i);
    if (r == 1) {
        *out = (double)i;
        return 1;
    }
    if (v->kind != N_SCALAR || !v->plain || v->len == 0 || r == -1)
        return r == -1 ? -1 : 0;
    const char *s = v->text;
    for (const char *q = s; *q; q++)
        if (!strchr("0123456789+-.eE", *q))
            return 0;
    errno = 0;
    char *end;
    double x = strtod(s, &end);
    if (*end || end == s)
        return 0;
    if (errno == ERANGE || !isfinite(x))
        return -1;
    *out = x;
    return 1;
}

static int scalar_bool(const spec_node *v, int *out)
{
    if (v->kind != N_SCALAR || !v->plain)
        return 0;
    if (!strcmp(v->text, "true") || !strcmp(v->text, "True")) {
        *out = 1;
        return 1;
    }
    if (!strcmp(v->text, "false") || !strcmp(v->text, "False")) {
        *out = 0;
        return 1;
    }
    return 0;
}

/* Levenshtein distance, for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int sub = prev + (a[i - 1] != b[j - 1]);
            int del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

/* ", did you mean 'x'?" when one candidate is close, else "". */
static void suggest(const char *word, const char *const *cand, int n, char *buf, size_t len)
{
    int best = 99, bi = -1;
    for (int i = 0; i < n; i++) {
        int d = edit_distance(word, cand[i]);
        if (d < best) {
            best = d;
            bi = i;
        }
    }
    size_t wl = strlen(word);
    int lim = wl <= 4 ? 1 : wl <= 8 ? 2 : 3;
    buf[0] = '\0';
    if (bi >= 0 && best <= lim)
        snprintf(buf, len, " (did you mean '%s'?)", cand[bi]);
}

/* Visible form of a scalar in a message (shortened). */
static const char *shown(const spec_node *v, char *buf, size_t n)
{
    if (v->kind == N_MAP)
        return "a mapping";
    if (v->kind == N_SEQ)
        return "a list";
    if (is_null(v))
        return "nothing";
    if (v->len > 40)
        snprintf(buf, n, "'%.37s...'", v->text);
    else if (v->plain)
        snprintf(buf, n, "%s", v->text);
    else
        snprintf(buf, n, "the string \"%s\"", v->text);
    return buf;
}

/* ------------------------------------------------------------------ */
/* The schema                                                           */
/* ------------------------------------------------------------------ */

enum { T_INT = 1, T_NUM = 2, T_STR = 4, T_BOOL = 8, T_MAP = 16, T_LIST = 32 };

/* A field of a schema node, following `like` into defs. */
static const spec_node *sfield(const ctx *c, const spec_node *sch, const char *key)
{
    for (int hop = 0; sch && hop < 8; hop++) {
        const spec_node *v = map_get(sch, key);
        if (v)
            return v;
        const spec_node *like = map_get(sch, "like");
        if (!like)
            return NULL;
        sch = map_get(c->defs, like->text);
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

static unsigned sch_types(const ctx *c, const spec_node *sch)
{
    const spec_node *t = sfield(c, sch, "type");
    unsigned bits = 0;
    if (!t)
        return 0;
    if (t->kind == N_SCALAR)
        return type_bit(t->text);
    for (const spec_node *x = t->first; x; x = x->next)
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
    const spec_node *min, *max, *enm;
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
        if (is_int && scalar_int(b->min, &li) == 1) {
            if (xi < li)
                return 0;
        } else if (scalar_num(b->min, &ld) == 1 && x < ld) {
            return 0;
        }
    }
    if (b->max) {
        if (is_int && scalar_int(b->max, &li) == 1) {
            if (xi > li)
                return 0;
        } else if (scalar_num(b->max, &ld) == 1 && x > ld) {
            return 0;
        }
    }
    return 1;
}

static void check_value(ctx *c, const spec_node *v, const spec_node *sch, inherit b);

static void check_enum(ctx *c, const spec_node *v, const inherit *b)
{
    const char *cand[64];
    int n = 0;
    char list[512], sug[128];
    size_t len = 0;
    for (const spec_node *x = b->enm->first; x && n < 64; x = x->next) {
        if (!strcmp(x->text, v->text))
            return;
        cand[n++] = x->text;
        int w = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", x->text);
        if (w > 0 && (size_t)w < sizeof list - len)
            len += (size_t)w;
    }
    suggest(v->text, cand, n, sug, sizeof sug);
    char sh[64];
    ERR(c, v, "expected one of %s, got %s%s", list, shown(v, sh, sizeof sh), sug);
}

static void type_error(ctx *c, const spec_node *v, const spec_node *sch, unsigned types,
                       const inherit *b)
{
    char want[160], sh[64];
    if ((types & (T_INT | T_NUM)) && !(types & (T_STR | T_LIST | T_MAP)))
        sch_bounds_text(b, !(types & T_NUM), want, sizeof want);
    else
        describe_types(types, want, sizeof want);
    const spec_node *doc = sfield(c, sch, "doc");
    if (doc && (types & (T_MAP | T_LIST)))
        ERR(c, v, "expected %s (%s), got %s", want, doc->text, shown(v, sh, sizeof sh));
    else
        ERR(c, v, "expected %s, got %s", want, shown(v, sh, sizeof sh));
}

/*
 * v as an integer (is_int) or a number, within b: 1 it is one, 0 it is not
 * one (another type may match), -1 it is one out of b or of range (reported).
 */
static int check_number(ctx *c, const spec_node *v, const inherit *b, int is_int)
{
    char want[160], sh[64];
    long long i = 0;
    double x = 0;
    int r = is_int ? scalar_int(v, &i) : scalar_num(v, &x);
    if (is_int)
        x = (double)i;
    if (r == -1 || (r == 1 && !within(b, x, i, is_int))) {
        sch_bounds_text(b, is_int, want, sizeof want);
        ERR(c, v, "expected %s, got %s%s", want, shown(v, sh, sizeof sh),
            r == -1 ? " (out of range)" : "");
        return -1;
    }
    return r;
}

static void check_scalar(ctx *c, const spec_node *v, const spec_node *sch, unsigned types,
                         const inherit *b)
{
    int bv;
    if (is_null(v)) {
        type_error(c, v, sch, types, b);
        return;
    }
    if ((types & T_INT) && check_number(c, v, b, 1))
        return;
    if ((types & T_NUM) && check_number(c, v, b, 0))
        return;
    if ((types & T_BOOL) && scalar_bool(v, &bv))
        return;
    if (types & T_STR) {
        if (b->enm)
            check_enum(c, v, b);
        return;
    }
    type_error(c, v, sch, types, b);
}

static void check_map(ctx *c, const spec_node *v, const spec_node *sch, inherit b)
{
    const spec_node *kids = sfield(c, sch, "children");
    const char *names[128];
    int nn = 0;
    for (const spec_node *k = kids ? kids->first : NULL; k && nn < 128; k = k->next)
        names[nn++] = k->key;
    for (const spec_node *x = v->first; x; x = x->next) {
        const spec_node *ks = map_get(kids, x->key);
        if (!ks) {
            char sug[128], list[512];
            size_t len = 0;
            suggest(x->key, names, nn, sug, sizeof sug);
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
    for (const spec_node *k = kids ? kids->first : NULL; k; k = k->next) {
        const spec_node *req = sfield(c, k, "required");
        int r = 0;
        if (req && scalar_bool(req, &r) && r && !map_get(v, k->key)) {
            const spec_node *doc = sfield(c, k, "doc");
            ERR(c, v, "missing required key '%s'%s%s%s", k->key, doc ? " (" : "",
                doc ? doc->text : "", doc ? ")" : "");
        }
    }
}

static void check_list(ctx *c, const spec_node *v, const spec_node *sch, inherit b)
{
    const spec_node *items = sfield(c, sch, "items");
    const spec_node *mn = sfield(c, sch, "min_items"), *mx = sfield(c, sch, "max_items");
    long long lo = 0, hi = LLONG_MAX;
    if (mn)
        scalar_int(mn, &lo);
    if (mx)
        scalar_int(mx, &hi);
    if (v->n < lo)
        ERR(c, v, "expected at least %lld item%s, got %d", lo, lo == 1 ? "" : "s", v->n);
    else if (v->n > hi)
        ERR(c, v, "expected at most %lld items, got %d", hi, v->n);
    for (const spec_node *x = v->first; x && items; x = x->next)
        check_value(c, x, items, b);
}

static void check_value(ctx *c, const spec_node *v, const spec_node *sch, inherit b)
{
    unsigned types = sch_types(c, sch);
    const spec_node *f;
    if ((f = sfield(c, sch, "min")))
        b.min = f;
    if ((f = sfield(c, sch, "max")))
        b.max = f;
    if ((f = sfield(c, sch, "enum")))
        b.enm = f;
    if (v->kind == N_MAP) {
        if (types & T_MAP)
            check_map(c, v, sch, b);
        else
            type_error(c, v, sch, types, &b);
    } else if (v->kind == N_SEQ) {
        if (types & T_LIST)
            check_list(c, v, sch, b);
        else
            type_error(c, v, sch, types, &b);
    } else {
        check_scalar(c, v, sch, types, &b);
    }
}

/* The embedded schema, parsed once per load (it is small). */
static const spec_node *load_schema(ctx *sc)
{
    sc->file = "spec.schema.yaml";
    sc->text = embed_spec_schema_yaml;
    sc->len = embed_spec_schema_yaml_len;
    const spec_node *root = yaml_tree(sc);
    if (!root)
        return NULL;
    sc->defs = map_get(root, "defs");
    return root;
}

/* ------------------------------------------------------------------ */
/* Conversion into the space definition and the run options             */
/* ------------------------------------------------------------------ */

#define SPEC_MAX_SRC 8192

typedef struct {
    ctx *c;
    spec *s;
    const spec_node *src[SPEC_MAX_SRC]; /* map_src -> node */
    int nsrc;
} conv;

static map_src src_of(conv *v, const spec_node *n)
{
    if (!n || v->nsrc == SPEC_MAX_SRC)
        return -1;
    v->src[v->nsrc] = n;
    return v->nsrc++;
}

static void *conv_alloc(conv *v, size_t n)
{
    void *p = arena_alloc(v->s->arena, n ? n : 1);
    if (!p) {
        v->c->diag->internal = 1;
        spec_diag_add(v->c->diag, "%s: error: out of memory", v->c->file);
    }
    return p;
}

static long long ival(const spec_node *n)
{
    long long x = 0;
    scalar_int(n, &x);
    return x;
}

static double nval(const spec_node *n)
{
    double x = 0;
    scalar_num(n, &x);
    return x;
}

/* An intset (value, list or range) into sorted-as-given values. */
static int intset(conv *v, const spec_node *n, map_ints *out)
{
    int64_t tmp[MAP_MAX_VALUES];
    int cnt = 0;
    out->n = 0;
    out->v = NULL;
    if (!n)
        return 0;
    if (n->kind == N_SCALAR) {
        tmp[cnt++] = ival(n);
    } else if (n->kind == N_SEQ) {
        for (const spec_node *x = n->first; x && cnt < MAP_MAX_VALUES; x = x->next) {
            for (int i = 0; i < cnt; i++)
                if (tmp[i] == ival(x)) {
                    ERR(v->c, x, "value %lld given twice", ival(x));
                    return -1;
                }
            tmp[cnt++] = ival(x);
        }
    } else {
        const spec_node *from = map_get(n, "from"), *to = map_get(n, "to");
        const spec_node *step = map_get(n, "step"), *mul = map_get(n, "mul");
        if (step && mul) {
            ERR(v->c, n, "a range takes step or mul, not both");
            return -1;
        }
        if (!from || !to)
            return -1; /* reported by the schema */
        if (ival(from) > ival(to)) {
            ERR(v->c, n, "empty range: from %lld > to %lld", ival(from), ival(to));
            return -1;
        }
        if (mul && ival(from) < 1) {
            ERR(v->c, n, "a geometric range (mul) needs from >= 1");
            return -1;
        }
        cnt = map_range(ival(from), ival(to), step ? ival(step) : 1, mul ? ival(mul) : 0, tmp,
                        MAP_MAX_VALUES);
        if (cnt < 0) {
            ERR(v->c, n, "range has more than %d values", MAP_MAX_VALUES);
            return -1;
        }
    }
    out->v = conv_alloc(v, sizeof(int64_t) * (size_t)cnt);
    if (!out->v)
        return -1;
    memcpy(out->v, tmp, sizeof(int64_t) * (size_t)cnt);
    out->n = cnt;
    return 0;
}

/* Items of a str-or-list node (a scalar counts as a list of one). */
static int str_items(const spec_node *n, const spec_node **items, int max)
{
    int k = 0;
    if (!n)
        return 0;
    if (n->kind == N_SCALAR) {
        items[k++] = n;
        return k;
    }
    for (const spec_node *x = n->first; x && k < max; x = x->next)
        items[k++] = x;
    return k;
}

static int no_dup_items(conv *v, const spec_node **it, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(it[i]->text, it[j]->text)) {
                ERR(v->c, it[i], "'%s' given twice", it[i]->text);
                return -1;
            }
    return 0;
}

static int conv_workload(conv *v, const spec_node *w)
{
    map_space_def *d = &v->s->def;
    const spec_node *n;
    d->n_in = (int)ival(map_get(w, "n_in"));
    d->hidden = (int)ival(map_get(w, "hidden"));
    if ((n = map_get(w, "name")))
        snprintf(v->s->workload_name, sizeof v->s->workload_name, "%s", n->text);
    const spec_node *it[8];
    int k = str_items(map_get(w, "decomposition"), it, 8);
    if (no_dup_items(v, it, k))
        return -1;
    d->ndecomp = 0;
    for (int i = 0; i < k; i++)
        cm_decomp_parse(it[i]->text, &d->decomp[d->ndecomp++]);
    if (k == 0)
        d->decomp[d->ndecomp++] = CM_DECOMP_CONCAT;
    if ((int64_t)d->n_in + d->hidden > INT_MAX / 2) {
        ERR(v->c, map_get(w, "n_in"), "n_in + hidden too large");
        return -1;
    }
    return 0;
}

/* Explicit factorization strings of one side. */
static int conv_mode_list(conv *v, const spec_node *n, int out_side, const cm_modes **list,
                          const map_src **srcs, int *cnt)
{
    const spec_node *it[1024];
    int k = str_items(n, it, 1024);
    *cnt = 0;
    if (!n)
        return 0;
    if (no_dup_items(v, it, k))
        return -1;
    cm_modes *m = conv_alloc(v, sizeof *m * (size_t)k);
    map_src *s = conv_alloc(v, sizeof *s * (size_t)k);
    if (!m || !s)
        return -1;
    for (int i = 0; i < k; i++) {
        int vals[CM_MAX_D], dd;
        char err[CM_ERRLEN];
        if (cli_parse_modes(it[i]->text, vals, &dd, err, sizeof err)) {
            ERR(v->c, it[i], "expected mode sizes like 16x4x4x4 (1 to %d sizes >= 1): %s",
                CM_MAX_D, err);
            return -1;
        }
        memset(&m[i], 0, sizeof m[i]);
        m[i].d = dd;
        for (int j = 0; j < dd; j++) {
            if (out_side)
                m[i].m[j] = vals[j];
            else
                m[i].n[j] = vals[j];
        }
        s[i] = src_of(v, it[i]);
    }
    *list = m;
    *srcs = s;
    *cnt = k;
    return 0;
}

static void set_bounds(const map_ints *s, int64_t *lo, int64_t *hi, int64_t dlo, int64_t dhi)
{
    *lo = dlo;
    *hi = dhi;
    if (s->n) {
        *lo = *hi = s->v[0];
        for (int i = 1; i < s->n; i++) {
            if (s->v[i] < *lo)
                *lo = s->v[i];
            if (s->v[i] > *hi)
                *hi = s->v[i];
        }
    }
}

static int conv_modes(conv *v, const spec_node *n, map_modes_def *md, int64_t ncols)
{
    const spec_node *x;
    memset(md, 0, sizeof *md);
    md->src = src_of(v, n);
    if (conv_mode_list(v, map_get(n, "out"), 1, &md->out, &md->out_src, &md->nout) ||
        conv_mode_list(v, map_get(n, "in"), 0, &md->in, &md->in_src, &md->nin))
        return -1;
    if (md->nout && md->nin) {
        /* every explicit out d must have an in of the same d and back */
        for (int i = 0; i < md->nout; i++) {
            int ok = 0;
            for (int j = 0; j < md->nin; j++)
                ok |= md->in[j].d == md->out[i].d;
            if (!ok) {
                ERR(v->c, v->src[md->out_src[i]], "no input factorization has %d modes",
                    md->out[i].d);
                return -1;
            }
        }
    }
    map_ints ob, ib;
    if (intset(v, map_get(n, "d"), &md->d) || intset(v, map_get(n, "out_factor"), &ob) ||
        intset(v, map_get(n, "in_factor"), &ib))
        return -1;
    if ((md->nout || md->nin) && md->d.n) {
        ERR(v->c, map_get(n, "d"), "d is implied by the explicit out/in lists; remove it");
        return -1;
    }
    if (!md->d.n && !md->nout && !md->nin) {
        static int64_t four = 4;
        md->d.n = 1;
        md->d.v = &four;
    }
    set_bounds(&ob, &md->out_lo, &md->out_hi, 2, 4 * (int64_t)v->s->def.hidden);
    set_bounds(&ib, &md->in_lo, &md->in_hi, 2, ncols);
    md->pad = (x = map_get(n, "pad")) ? nval(x) : 0.0;
    md->any_order = (x = map_get(n, "shape")) && !strcmp(x->text, "any");
    md->limit = (x = map_get(n, "limit")) ? (int)ival(x) : 16;
    return 0;
}

static int conv_trees(conv *v, const spec_node *n)
{
    map_space_def *d = &v->s->def;
    const spec_node *it[1024];
    int k = str_items(n, it, 1024);
    if (no_dup_items(v, it, k))
        return -1;
    map_tree_def *t = conv_alloc(v, sizeof *t * (size_t)(k ? k : 1));
    if (!t)
        return -1;
    if (k == 0) {
        t[0].kind = MAP_TREE_BALANCED;
        k = 1;
    }
    for (int i = 0; i < k && n; i++) {
        const char *s = it[i]->text;
        t[i].src = src_of(v, it[i]);
        if (!strcmp(s, "all"))
            t[i].kind = MAP_TREE_ALL;
        else if (!strcmp(s, "balanced"))
            t[i].kind = MAP_TREE_BALANCED;
        else if (!strcmp(s, "caterpillar"))
            t[i].kind = MAP_TREE_CATERPILLAR;
        else {
            char err[CM_ERRLEN];
            t[i].kind = MAP_TREE_GIVEN;
            if (ht_parse(s, &t[i].tree, err, sizeof err)) {
                ERR(v->c, it[i], "expected all, balanced, caterpillar or a tree like "
                    "((1,2),(3,4)): %s", err);
                return -1;
            }
            for (int j = 0; j < t[i].tree.nnodes; j++)
                if (j != t[i].tree.root && t[i].tree.rank[j]) {
                    ERR(v->c, it[i], "a tree in a spec has no ranks (the ranks key sets "
                        "them): write '%s' without ':r'", s);
                    return -1;
                }
        }
    }
    d->tree = t;
    d->ntree = k;
    return 0;
}

static int conv_ranks(conv *v, const spec_node *n)
{
    map_space_def *d = &v->s->def;
    const spec_node *m = map_get(n, "mode");
    d->ranks_src = src_of(v, n);
    d->rank_mode = MAP_RANK_UNIFORM;
    if (m) {
        if (!strcmp(m->text, "leaf_internal"))
            d->rank_mode = MAP_RANK_LEAF_INTERNAL;
        else if (!strcmp(m->text, "per_level"))
            d->rank_mode = MAP_RANK_PER_LEVEL;
        else if (!strcmp(m->text, "per_node"))
            d->rank_mode = MAP_RANK_PER_NODE;
    }
    if (intset(v, map_get(n, "values"), &d->rank_values) ||
        intset(v, map_get(n, "leaf"), &d->rank_leaf) ||
        intset(v, map_get(n, "internal"), &d->rank_internal))
        return -1;
    if ((d->rank_leaf.n || d->rank_internal.n) && d->rank_mode != MAP_RANK_LEAF_INTERNAL) {
        ERR(v->c, map_get(n, d->rank_leaf.n ? "leaf" : "internal"),
            "leaf and internal ranks need mode: leaf_internal");
        return -1;
    }
    if (!d->rank_values.n &&
        !(d->rank_mode == MAP_RANK_LEAF_INTERNAL && d->rank_leaf.n && d->rank_internal.n)) {
        ERR(v->c, n, "missing required key 'values' (rank values)");
        return -1;
    }
    return 0;
}

static int conv_orders(conv *v, const spec_node *n)
{
    map_space_def *d = &v->s->def;
    static const struct { const char *k; map_order_mode m; } kw[] = {
        {"best", MAP_ORD_BEST}, {"min_peak", MAP_ORD_MIN_PEAK}, {"default", MAP_ORD_DEFAULT},
        {"all", MAP_ORD_ALL}};
    const spec_node *it[1024];
    int k = str_items(n, it, 1024);
    d->orders_src = src_of(v, n);
    d->order_mode = MAP_ORD_BEST;
    if (k == 0)
        return 0;
    for (size_t j = 0; j < sizeof kw / sizeof kw[0]; j++)
        if (!strcmp(it[0]->text, kw[j].k)) {
            if (k > 1) {
                ERR(v->c, it[1], "'%s' stands alone; a list holds orders like 1,2,12,3,4,34,1234",
                    kw[j].k);
                return -1;
            }
            d->order_mode = kw[j].m;
            return 0;
        }
    if (no_dup_items(v, it, k))
        return -1;
    const char **s = conv_alloc(v, sizeof *s * (size_t)k);
    if (!s)
        return -1;
    for (int i = 0; i < k; i++) {
        for (size_t j = 0; j < sizeof kw / sizeof kw[0]; j++)
            if (!strcmp(it[i]->text, kw[j].k)) {
                ERR(v->c, it[i], "'%s' stands alone, not in a list of orders", kw[j].k);
                return -1;
            }
        s[i] = it[i]->text;
    }
    d->order_mode = MAP_ORD_GIVEN;
    d->order = s;
    d->norder = k;
    return 0;
}

static int conv_names(conv *v, const spec_node *n, int (*parse)(const char *, int *), int *out,
                      int *cnt, int dflt)
{
    const spec_node *it[16];
    int k = str_items(n, it, 16);
    if (no_dup_items(v, it, k))
        return -1;
    *cnt = 0;
    for (int i = 0; i < k; i++)
        if (parse(it[i]->text, &out[(*cnt)++]))
            return -1;
    if (!k) {
        out[0] = dflt;
        *cnt = 1;
    }
    return 0;
}

static int parse_df(const char *s, int *o)
{
    cm_dataflow d;
    int r = cm_dataflow_parse(s, &d);
    *o = (int)d;
    return r;
}

static int parse_bm(const char *s, int *o)
{
    cm_bankmap m;
    int r = cm_bankmap_parse(s, &m);
    *o = (int)m;
    return r;
}

static int parse_fmt(const char *s, int *o)
{
    cm_kind k;
    int r = cm_kind_parse(s, &k);
    *o = (int)k;
    return r;
}

static int conv_space(conv *v, const spec_node *n)
{
    map_space_def *d = &v->s->def;
    const spec_node *x;
    int tmp[8], cnt;
    if (conv_names(v, map_get(n, "formats"), parse_fmt, tmp, &cnt, CM_HT))
        return -1;
    d->nformat = cnt;
    for (int i = 0; i < cnt; i++)
        d->format[i] = (cm_kind)tmp[i];
    if (conv_names(v, map_get(n, "dataflows"), parse_df, tmp, &cnt, CM_DF_WP))
        return -1;
    d->ndataflow = cnt;
    for (int i = 0; i < cnt; i++)
        d->dataflow[i] = (cm_dataflow)tmp[i];
    if (conv_names(v, map_get(n, "bank_maps"), parse_bm, tmp, &cnt, CM_MAP_LINEAR))
        return -1;
    d->nbankmap = cnt;
    for (int i = 0; i < cnt; i++)
        d->bankmap[i] = (cm_bankmap)tmp[i];

    const spec_node *modes = map_get(n, "modes");
    int has_sep = 0, has_concat = 0;
    for (int i = 0; i < d->ndecomp; i++) {
        has_sep |= d->decomp[i] == CM_DECOMP_SEPARATE;
        has_concat |= d->decomp[i] == CM_DECOMP_CONCAT;
    }
    int64_t ncols = (int64_t)d->n_in + (has_concat ? d->hidden : 0);
    if (conv_modes(v, map_get(modes, "wx"), &d->modes_x, ncols))
        return -1;
    if ((x = map_get(modes, "wh"))) {
        if (!has_sep) {
            ERRK(v->c, x, "modes of W_h apply to decomposition separate only");
            return -1;
        }
        if (conv_modes(v, x, &d->modes_h, d->hidden))
            return -1;
        d->has_modes_h = 1;
    } else if (has_sep) {
        ERR(v->c, modes, "decomposition separate needs modes.wh (the factorizations of W_h)");
        return -1;
    }
    if (d->modes_x.pad > 0 && !has_concat) {
        ERR(v->c, map_get(map_get(modes, "wx"), "pad"), "padding applies to decomposition concat only");
        return -1;
    }
    if (conv_trees(v, map_get(n, "trees")) || conv_ranks(v, map_get(n, "ranks")) ||
        conv_orders(v, map_get(n, "orders")))
        return -1;
    d->max_orders = (x = map_get(n, "max_orders")) ? (int)ival(x) : MAP_MAX_ORDERS_DEFAULT;
    return 0;
}

static int conv_hardware(conv *v, const spec_node *n);

/* Directory part of the spec's path ("." when none). */
static void spec_dir(const spec *s, char *buf, size_t n)
{
    const char *p = s->path ? s->path : "";
    const char *slash = strrchr(p, '/');
    if (!slash)
        snprintf(buf, n, ".");
    else
        snprintf(buf, n, "%.*s", (int)(slash - p), p);
}

/* The technology table the spec names (default 28nm), relative paths from
 * the spec's directory; its name becomes the points' tech field. */
static int load_tech(conv *v, const spec_node *at)
{
    spec *s = v->s;
    char dir[4096], path[4096], err[CM_ERRLEN];
    spec_dir(s, dir, sizeof dir);
    if (tech_resolve(s->tech, dir, path, sizeof path, err, sizeof err) ||
        tech_load_file(path, &s->tech_table, err, sizeof err)) {
        if (at)
            ERR(v->c, at, "technology table: %s", err);
        else
            spec_diag_add(v->c->diag, "%s: error: default technology table %s: %s",
                          v->c->file, s->tech, err);
        return -1;
    }
    snprintf(s->def.hw_base.tech, sizeof s->def.hw_base.tech, "%s", s->tech_table.name);
    return 0;
}

static int conv_hardware(conv *v, const spec_node *n)
{
    map_space_def *d = &v->s->def;
    const spec_node *x;
    cm_hw_default(&d->hw_base);
    snprintf(v->s->tech, sizeof v->s->tech, "%s", d->hw_base.tech);
    if (!n)
        return load_tech(v, NULL);
    if ((x = map_get(n, "tech"))) {
        if (strlen(x->text) >= sizeof d->hw_base.tech || !x->text[0]) {
            ERR(v->c, x, "expected a technology table name like 28nm");
            return -1;
        }
        snprintf(d->hw_base.tech, sizeof d->hw_base.tech, "%s", x->text);
        snprintf(v->s->tech, sizeof v->s->tech, "%s", x->text);
    }
    const spec_node *seen[MAP_HW_NPARAM] = {0};
    for (x = n->first; x; x = x->next) {
        map_hw_param p;
        if (map_hw_param_parse(x->key, &p))
            continue; /* tech, zip */
        map_ints vals;
        if (intset(v, x, &vals))
            return -1;
        seen[p] = x;
        if (vals.n == 1) {
            map_hw_param_set(&d->hw_base, p, vals.v[0]);
            continue;
        }
        if (d->naxis == MAP_MAX_HW_AXES) {
            ERR(v->c, x, "more than %d varying hardware parameters", MAP_MAX_HW_AXES);
            return -1;
        }
        map_hw_axis *ax = &d->axis[d->naxis++];
        memset(ax, 0, sizeof *ax);
        ax->nparam = 1;
        ax->param[0] = p;
        ax->n = vals.n;
        ax->v[0] = vals.v;
        ax->src = src_of(v, x);
    }
    const spec_node *zip = map_get(n, "zip");
    for (const spec_node *g = zip ? zip->first : NULL; g; g = g->next) {
        if (d->naxis == MAP_MAX_HW_AXES) {
            ERR(v->c, g, "more than %d varying hardware parameters", MAP_MAX_HW_AXES);
            return -1;
        }
        if (g->n == 0) {
            ERR(v->c, g, "an empty zip group; expected parameter: [values...]");
            return -1;
        }
        map_hw_axis *ax = &d->axis[d->naxis];
        memset(ax, 0, sizeof *ax);
        ax->src = src_of(v, g);
        for (const spec_node *y = g->first; y; y = y->next) {
            map_hw_param p;
            if (map_hw_param_parse(y->key, &p))
                return -1;
            if (seen[p]) {
                ERRK(v->c, y, "%s is already set at line %d; a parameter is set once",
                     y->key, seen[p]->line);
                return -1;
            }
            seen[p] = y;
            if (ax->nparam && y->n != ax->n) {
                ERR(v->c, y, "zip lists must have equal lengths: %s has %d values, %s has %d",
                    y->key, y->n, map_hw_param_name(ax->param[0]), ax->n);
                return -1;
            }
            map_ints vals;
            if (intset(v, y, &vals))
                return -1;
            ax->param[ax->nparam] = p;
            ax->v[ax->nparam] = vals.v;
            ax->nparam++;
            ax->n = vals.n;
        }
        d->naxis++;
    }
    char err[CM_ERRLEN];
    if (load_tech(v, map_get(n, "tech")))
        return -1;
    if (cm_hw_check(&d->hw_base, err, sizeof err)) {
        ERR(v->c, n, "hardware parameters out of range: %s", err);
        return -1;
    }
    return 0;
}

/* Directory of the spec file joined with a relative path. */
static char *rel_path(conv *v, const char *p)
{
    const char *base = v->s->path ? v->s->path : "";
    const char *slash = strrchr(base, '/');
    size_t dl = (p[0] != '/' && slash) ? (size_t)(slash - base + 1) : 0;
    char *r = conv_alloc(v, dl + strlen(p) + 1);
    if (r) {
        memcpy(r, base, dl);
        strcpy(r + dl, p);
    }
    return r;
}

static int conv_reference(conv *v, const spec_node *n)
{
    spec *s = v->s;
    const spec_node *npy, *syn, *x;
    if (!n)
        return 0;
    npy = map_get(n, "npy");
    syn = map_get(n, "synthetic");
    if ((npy != NULL) == (syn != NULL)) {
        ERR(v->c, n, "give exactly one of npy (a weight file) or synthetic (gaussian, decay)");
        return -1;
    }
    if ((x = map_get(n, "seed")) && !syn) {
        ERRK(v->c, x, "seed applies to a synthetic reference only");
        return -1;
    }
    if ((x = map_get(n, "npy_wh")) && !npy) {
        ERRK(v->c, x, "npy_wh goes with npy");
        return -1;
    }
    s->has_ref = 1;
    if (syn) {
        snprintf(s->ref_synth, sizeof s->ref_synth, "%s", syn->text);
        s->ref_seed = (x = map_get(n, "seed")) ? (uint64_t)ival(x) : 1;
        return 0;
    }
    s->ref_npy = rel_path(v, npy->text);
    if ((x = map_get(n, "npy_wh")))
        s->ref_npy_wh = rel_path(v, x->text);
    struct stat st;
    if (s->ref_npy && stat(s->ref_npy, &st)) {
        ERR(v->c, npy, "cannot read %s: %s", s->ref_npy, strerror(errno));
        return -1;
    }
    if (s->ref_npy_wh && stat(s->ref_npy_wh, &st)) {
        ERR(v->c, map_get(n, "npy_wh"), "cannot read %s: %s", s->ref_npy_wh, strerror(errno));
        return -1;
    }
    return s->ref_npy ? 0 : -1;
}

static int conv_search(conv *v, const spec_node *n)
{
    spec *s = v->s;
    map_search_opts *o = &s->search;
    const spec_node *x;
    memset(o, 0, sizeof *o);
    o->strategy = MAP_EXHAUSTIVE;
    o->seed = 1;
    o->shard_n = 1;
    s->batch = 4096;
    if ((x = map_get(n, "strategy")))
        map_strategy_parse(x->text, &o->strategy);
    if ((x = map_get(n, "seed"))) {
        o->seed = (uint64_t)ival(x);
        s->seed_given = 1;
    }
    if ((x = map_get(n, "budget"))) {
        if (o->strategy == MAP_EXHAUSTIVE) {
            ERRK(v->c, x, "budget applies to the random and guided strategies; exhaustive "
                 "evaluates the whole space");
            return -1;
        }
        o->budget = (uint64_t)ival(x);
    }
    if ((x = map_get(n, "time_limit")))
        s->time_limit = nval(x);
    if ((x = map_get(n, "batch")))
        s->batch = (int)ival(x);
    const spec_node *obj = map_get(n, "objectives");
    if (!obj) {
        o->nobj = 3;
        o->obj[0] = MAP_M_PARAMS;
        o->obj[1] = MAP_M_ENERGY;
        o->obj[2] = MAP_M_THROUGHPUT;
        for (int i = 0; i < 3; i++)
            o->dir[i] = map_metric_dir(o->obj[i]);
        return 0;
    }
    for (x = obj->first; x; x = x->next) {
        if (map_objective_parse(x->text, &o->obj[o->nobj], &o->dir[o->nobj])) {
            const char *cand[MAP_M_COUNT];
            char sug[128];
            for (int i = 0; i < MAP_M_COUNT; i++)
                cand[i] = map_metric_name((map_metric)i);
            char base[64];
            snprintf(base, sizeof base, "%s", x->text);
            char *colon = strchr(base, ':');
            if (colon)
                *colon = '\0';
            suggest(base, cand, MAP_M_COUNT, sug, sizeof sug);
            ERR(v->c, x, "expected an objective like energy_pj or throughput_fps:max "
                "(params, macs, cycles, latency, area_mm2, energy_pj, power_mw, "
                "throughput_fps, area_eff, energy_eff, utilization, err_upper, err_lower, "
                "conflicts, stall_cycles, dram_bytes), got '%s'%s", x->text, sug);
            return -1;
        }
        for (int i = 0; i < o->nobj; i++)
            if (o->obj[i] == o->obj[o->nobj]) {
                ERR(v->c, x, "objective %s given twice", map_metric_name(o->obj[i]));
                return -1;
            }
        o->nobj++;
    }
    return 0;
}

static int conv_constraints(conv *v, const spec_node *n)
{
    map_limits *l = &v->s->limits;
    const spec_node *x;
    l->max_params = 0;
    l->max_area_mm2 = -1;
    l->max_error = -1;
    if ((x = map_get(n, "max_params")))
        l->max_params = ival(x);
    if ((x = map_get(n, "max_area_mm2")))
        l->max_area_mm2 = nval(x);
    if ((x = map_get(n, "max_error"))) {
        if (!v->s->has_ref) {
            ERRK(v->c, x, "max_error needs a reference weight (the reference key)");
            return -1;
        }
        l->max_error = nval(x);
    }
    return 0;
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= SPEC_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static int conv_all(conv *v, const spec_node *root)
{
    spec *s = v->s;
    const spec_node *x = map_get(root, "name");
    if (!name_ok(x->text)) {
        ERR(v->c, x, "expected a name of 1 to %d characters [A-Za-z0-9_.-], got '%s'",
            SPEC_NAME_MAX - 1, x->text);
        return -1;
    }
    snprintf(s->name, sizeof s->name, "%s", x->text);
    s->version = (int)ival(map_get(root, "version"));
    if (conv_workload(v, map_get(root, "workload")) || conv_space(v, map_get(root, "space")) ||
        conv_hardware(v, map_get(root, "hardware")) ||
        conv_reference(v, map_get(root, "reference")) ||
        conv_search(v, map_get(root, "search")) ||
        conv_constraints(v, map_get(root, "constraints")))
        return -1;
    const spec_node *out = map_get(root, "output");
    if (out && (x = map_get(out, "db")))
        s->db_path = arena_strndup(s->arena, x->text, x->len);
    return 0;
}

/* Expand the space; a failure is reported at the definition item. */
static int build_space(conv *v)
{
    char err[CM_ERRLEN];
    map_src bad = -1;
    const spec_node *root = v->src[0];
    if (map_space_build(&v->s->def, &v->s->space, &bad, err, sizeof err)) {
        const spec_node *at = (bad >= 0 && bad < v->nsrc) ? v->src[bad] : root;
        ERR(v->c, at, "%s", err);
        return -1;
    }
    if (v->s->search.strategy == MAP_GUIDED && v->s->search.nobj < 1) {
        ERR(v->c, root, "the guided strategy needs objectives");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                         */
/* ------------------------------------------------------------------ */

/* The version first: a spec of another version is not checked further. */
static int check_version(ctx *c, const spec_node *root)
{
    const spec_node *v = map_get(root, "version");
    long long x;
    if (!v)
        return 0; /* the schema reports it missing */
    if (scalar_int(v, &x) == 1 && x != SPEC_VERSION) {
        ERR(c, v, "unsupported spec version %lld; this dse reads version %d", x, SPEC_VERSION);
        return -1;
    }
    return 0;
}

int spec_load_text(const char *name, const char *text, size_t len, spec **out, spec_diag *g)
{
    *out = NULL;
    spec *s = calloc(1, sizeof *s);
    spec_arena *sa = calloc(1, sizeof *sa);
    spec_arena schema_arena = {0};
    ctx sc = {.arena = &schema_arena, .diag = g};
    ctx c = {.file = name, .text = text, .len = len, .diag = g, .arena = sa};
    conv *v = calloc(1, sizeof *v);
    int rc = -1;
    if (!s || !sa || !v) {
        g->internal = 1;
        spec_diag_add(g, "%s: error: out of memory", name);
        goto out;
    }
    s->arena = sa;
    s->len = len;
    s->text = malloc(len + 1);
    s->path = strdup(name);
    if (!s->text || !s->path) {
        g->internal = 1;
        spec_diag_add(g, "%s: error: out of memory", name);
        goto out;
    }
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    const spec_node *schema = load_schema(&sc);
    if (!schema) {
        g->internal = 1;
        goto out;
    }
    c.defs = sc.defs;
    const spec_node *root = yaml_tree(&c);
    if (!root || check_version(&c, root))
        goto out;
    int before = g->nerr;
    inherit b = {0};
    check_value(&c, root, schema, b);
    if (g->nerr != before)
        goto out;
    v->c = &c;
    v->s = s;
    src_of(v, root);
    if (conv_all(v, root) || build_space(v))
        goto out;
    rc = 0;
out:
    arena_free(&schema_arena);
    free(v);
    if (rc) {
        spec_free(s);
        if (!s)
            free(sa);
        return -1;
    }
    *out = s;
    return 0;
}

int spec_load_file(const char *path, spec **out, spec_diag *g)
{
    struct stat st;
    *out = NULL;
    /* stat before open: opening a FIFO would block. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        spec_diag_add(g, "%s: error: %s", path,
                      S_ISDIR(st.st_mode) ? "is a directory, expected a spec file (.yaml)"
                                          : "not a regular file");
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        spec_diag_add(g, "%s: error: cannot open the spec: %s", path, strerror(errno));
        return -1;
    }
    memset(&st, 0, sizeof st);
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        spec_diag_add(g, "%s: error: %s", path,
                      S_ISDIR(st.st_mode) ? "is a directory, expected a spec file (.yaml)"
                                          : "not a regular file");
        fclose(f);
        return -1;
    }
    if (st.st_size > SPEC_MAX_BYTES) {
        spec_diag_add(g, "%s: error: %lld bytes; a spec is at most %d bytes", path,
                      (long long)st.st_size, SPEC_MAX_BYTES);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        spec_diag_add(g, "%s: error: cannot read the spec: %s", path,
                      buf ? strerror(errno) : "out of memory");
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[n] = '\0';
    int rc = spec_load_text(path, buf, n, out, g);
    free(buf);
    return rc;
}

void spec_free(spec *s)
{
    if (!s)
        return;
    map_space_free(&s->space);
    arena_free(s->arena);
    free(s->arena);
    free(s->text);
    free(s->path);
    free(s);
}

void spec_hash(const spec *s, uint64_t seed, char *buf)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < s->len; i++) {
        h ^= (unsigned char)s->text[i];
        h *= UINT64_C(1099511628211);
    }
    for (int i = 0; i < 8; i++) {
        h ^= (seed >> (8 * i)) & 0xffu;
        h *= UINT64_C(1099511628211);
    }
    snprintf(buf, 17, "%016llx", (unsigned long long)h);
}

int spec_parse_shard(const char *s, uint64_t *i, uint64_t *n)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    char a[32];
    long x, y;
    if (!slash || (size_t)(slash - s) >= sizeof a)
        return -1;
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = '\0';
    if (cli_parse_long(a, 0, 1000000, &x) || cli_parse_long(slash + 1, 1, 1000000, &y) || x >= y)
        return -1;
    *i = (uint64_t)x;
    *n = (uint64_t)y;
    return 0;
}
