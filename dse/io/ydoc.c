/*
 * ydoc.c - the YAML document layer (ydoc.h): libyaml events into a tree of
 * positioned nodes in one arena, the refusals that keep hostile input a
 * plain tree of data (no anchors, aliases, tags, duplicate keys, NULs;
 * bounded depth, size and width), the diagnostics buffer and the
 * "FILE:LINE:COL: error: KEY.PATH: message" format, and the scalar readers
 * (integers, numbers, booleans) that the schema checker and the
 * conversions share.
 */
#include "ydoc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

/* ------------------------------------------------------------------ */
/* Arena                                                                */
/* ------------------------------------------------------------------ */

typedef struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    max_align_t data[];
} arena_blk;

struct yarena {
    arena_blk *head;
};

yarena *yarena_new(void) { return calloc(1, sizeof(yarena)); }

void *yarena_alloc(yarena *a, size_t n)
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

char *yarena_strndup(yarena *a, const char *s, size_t n)
{
    char *p = yarena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void yarena_free(yarena *a)
{
    while (a && a->head) {
        arena_blk *b = a->head;
        a->head = b->next;
        free(b);
    }
    free(a);
}

/* ------------------------------------------------------------------ */
/* Diagnostics                                                          */
/* ------------------------------------------------------------------ */

void ydiag_init(ydiag *g) { memset(g, 0, sizeof *g); }

void ydiag_free(ydiag *g)
{
    free(g->buf);
    memset(g, 0, sizeof *g);
}

static void diag_vadd(ydiag *g, const char *fmt, va_list ap)
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

void ydiag_add(ydiag *g, const char *fmt, ...)
{
    va_list ap;
    g->nerr++;
    if (g->nerr > YDIAG_MAX_LINES)
        return;
    va_start(ap, fmt);
    diag_vadd(g, fmt, ap);
    va_end(ap);
}

const char *ydiag_text(const ydiag *g) { return g->buf ? g->buf : ""; }

const char *ydiag_quote(const char *line, size_t n, char *out, size_t outn)
{
    /* "FILE:L:C: error: MSG" -> "FILE:L:C: MSG": the outer message already
     * says error once */
    static const char tag[] = " error:";
    const char *t = NULL;
    for (size_t i = 0; i + sizeof tag - 1 <= n && !t; i++)
        if (!memcmp(line + i, tag, sizeof tag - 1))
            t = line + i;
    if (!t)
        snprintf(out, outn, "%.*s", (int)n, line);
    else
        snprintf(out, outn, "%.*s%.*s", (int)(t - line), line,
                 (int)(n - (size_t)(t - line) - (sizeof tag - 1)), t + sizeof tag - 1);
    return out;
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

/* Dotted key path of a node: workload.n_in, hardware.zip[0].pes. */
static void node_path(const ynode *v, char *buf, size_t n)
{
    const ynode *chain[YDOC_MAX_DEPTH + 2];
    int k = 0;
    for (; v && v->parent && k < YDOC_MAX_DEPTH + 2; v = v->parent)
        chain[k++] = v;
    size_t len = 0;
    buf[0] = '\0';
    while (k-- > 0 && len < n) {
        const ynode *c = chain[k];
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

static void verr(const ydoc *d, int line, int col, const ynode *where, const char *fmt,
                 va_list ap)
{
    char msg[768], path[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    path[0] = '\0';
    if (where)
        node_path(where, path, sizeof path);
    if (path[0])
        ydiag_add(d->diag, "%s:%d:%d: error: %s: %s", d->file, line, col, path, msg);
    else
        ydiag_add(d->diag, "%s:%d:%d: error: %s", d->file, line, col, msg);
}

void ydoc_err_at(const ydoc *d, int line, int col, const ynode *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(d, line, col, path, fmt, ap);
    va_end(ap);
}

void ydoc_err(const ydoc *d, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(d, at->line, at->col, at, fmt, ap);
    va_end(ap);
}

void ydoc_err_key(const ydoc *d, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(d, at->key_line, at->key_col, at, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* The tree                                                             */
/* ------------------------------------------------------------------ */

/* A collection under construction and, for a mapping, the key whose
 * value comes next. */
typedef struct {
    ynode *node, *pkey;
} frame;

typedef struct {
    ydoc *d;
    frame stack[YDOC_MAX_DEPTH + 1];
    int depth, nnodes, ndocs;
    ynode *root;
} builder;

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

static void yaml_report(ydoc *d, const yaml_parser_t *p)
{
    int line, col;
    size_t off;
    if (p->error == YAML_READER_ERROR) {
        off = p->problem_offset;
        offset_to_linecol(d->text, d->len, off, &line, &col);
        if (p->problem_value != -1)
            ydoc_err_at(d, line, col, NULL, "%s (byte 0x%02x): not a text file?",
                        p->problem ? p->problem : "unreadable input",
                        (unsigned)p->problem_value & 0xffu);
        else
            ydoc_err_at(d, line, col, NULL, "%s", p->problem ? p->problem : "unreadable input");
        return;
    }
    if (p->error == YAML_MEMORY_ERROR) {
        d->diag->internal = 1;
        ydoc_err_at(d, 1, 1, NULL, "out of memory while parsing");
        return;
    }
    off = p->problem_mark.index;
    line = (int)p->problem_mark.line + 1;
    col = (int)p->problem_mark.column + 1;
    const char *hint = (off < d->len && d->text[off] == '\t')
                           ? " (a tab: YAML indents with spaces only)" : "";
    if (p->context)
        ydoc_err_at(d, line, col, NULL, "%s: %s%s", p->context,
                    p->problem ? p->problem : "syntax error", hint);
    else
        ydoc_err_at(d, line, col, NULL, "%s%s", p->problem ? p->problem : "syntax error", hint);
}

static ynode *new_node(builder *b, ynode_kind kind, const yaml_mark_t *m)
{
    if (++b->nnodes > YDOC_MAX_NODES) {
        ydoc_err_at(b->d, (int)m->line + 1, (int)m->column + 1, NULL,
                    "too many YAML nodes (more than %d)", YDOC_MAX_NODES);
        return NULL;
    }
    ynode *v = yarena_alloc(b->d->arena, sizeof *v);
    if (!v) {
        b->d->diag->internal = 1;
        ydoc_err_at(b->d, 1, 1, NULL, "out of memory");
        return NULL;
    }
    v->kind = kind;
    v->line = (int)m->line + 1;
    v->col = (int)m->column + 1;
    v->text = "";
    return v;
}

static void append_child(ynode *p, ynode *v)
{
    v->parent = p;
    if (p->last)
        p->last->next = v;
    else
        p->first = v;
    p->last = v;
    p->n++;
}

const ynode *ymap_get(const ynode *m, const char *key)
{
    if (!m || m->kind != YN_MAP)
        return NULL;
    for (const ynode *v = m->first; v; v = v->next)
        if (!strcmp(v->key, key))
            return v;
    return NULL;
}

/* Put a finished node into its parent (a key, a value, or an item). */
static int attach(builder *b, frame *f, ynode *v)
{
    ynode *parent = f->node;
    if (parent->kind == YN_SEQ) {
        v->index = parent->n;
        append_child(parent, v);
        return 0;
    }
    if (!f->pkey) {
        if (v->kind != YN_SCALAR) {
            ydoc_err_at(b->d, v->line, v->col, parent, "a key must be a plain name, not a %s",
                        v->kind == YN_MAP ? "mapping" : "list");
            return -1;
        }
        f->pkey = v;
        return 0;
    }
    ynode *k = f->pkey;
    f->pkey = NULL;
    v->key = k->text;
    v->key_line = k->line;
    v->key_col = k->col;
    const ynode *dup = ymap_get(parent, k->text);
    if (dup) {
        v->parent = parent; /* for the path in the message */
        ydoc_err_key(b->d, v, "duplicate key '%s' (first given at line %d, column %d)", k->text,
                     dup->key_line, dup->key_col);
        return -1;
    }
    if (parent->n >= YDOC_MAX_KEYS) {
        ydoc_err_key(b->d, v, "more than %d keys in one mapping", YDOC_MAX_KEYS);
        return -1;
    }
    append_child(parent, v);
    return 0;
}

/* Refuse what makes YAML more than a tree of plain data. */
static int plain_data(builder *b, const yaml_event_t *e, const yaml_char_t *anchor,
                      const yaml_char_t *tag)
{
    int line = (int)e->start_mark.line + 1, col = (int)e->start_mark.column + 1;
    if (anchor) {
        ydoc_err_at(b->d, line, col, NULL, "anchors (&%s) and aliases are not allowed in a %s",
                    (const char *)anchor, b->d->what);
        return -1;
    }
    if (tag) {
        ydoc_err_at(b->d, line, col, NULL, "tags (%s) are not allowed in a %s; write plain values",
                    (const char *)tag, b->d->what);
        return -1;
    }
    return 0;
}

/* One event into the tree under construction; -1 stops the parse. */
static int on_event(builder *b, const yaml_event_t *e)
{
    ydoc *d = b->d;
    ynode *v = NULL;
    int line = (int)e->start_mark.line + 1, col = (int)e->start_mark.column + 1;
    switch (e->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->ndocs > 1) {
            ydoc_err_at(d, line, col, NULL, "more than one YAML document; a %s is one document",
                        d->what);
            return -1;
        }
        return 0;
    case YAML_ALIAS_EVENT:
        ydoc_err_at(d, line, col, NULL, "aliases (*%s) are not allowed in a %s",
                    (const char *)e->data.alias.anchor, d->what);
        return -1;
    case YAML_SCALAR_EVENT:
        if (plain_data(b, e, e->data.scalar.anchor, e->data.scalar.tag))
            return -1;
        if (!(v = new_node(b, YN_SCALAR, &e->start_mark)))
            return -1;
        v->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        v->len = e->data.scalar.length;
        if (memchr(e->data.scalar.value, '\0', v->len)) {
            ydoc_err_at(d, line, col, NULL, "NUL character in a value");
            return -1;
        }
        if (!(v->text = yarena_strndup(d->arena, (const char *)e->data.scalar.value, v->len))) {
            d->diag->internal = 1;
            return -1;
        }
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int seq = e->type == YAML_SEQUENCE_START_EVENT;
        if (plain_data(b, e, seq ? e->data.sequence_start.anchor : e->data.mapping_start.anchor,
                       seq ? e->data.sequence_start.tag : e->data.mapping_start.tag))
            return -1;
        if (b->depth >= YDOC_MAX_DEPTH) {
            ydoc_err_at(d, line, col, NULL, "nesting deeper than %d levels", YDOC_MAX_DEPTH);
            return -1;
        }
        if (!(v = new_node(b, seq ? YN_SEQ : YN_MAP, &e->start_mark)))
            return -1;
        b->stack[b->depth].node = v;
        b->stack[b->depth].pkey = NULL;
        b->depth++;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        v = b->stack[--b->depth].node;
        break;
    default:
        return 0;
    }
    if (b->depth == 0) {
        b->root = v;
        return 0;
    }
    return attach(b, &b->stack[b->depth - 1], v);
}

const ynode *ydoc_parse(ydoc *d, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_event_t e;
    builder b;
    int failed = 0;

    memset(&b, 0, sizeof b);
    b.d = d;
    d->text = text;
    d->len = len;
    if (!yaml_parser_initialize(&p)) {
        d->diag->internal = 1;
        ydoc_err_at(d, 1, 1, NULL, "cannot initialize the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    for (;;) {
        if (!yaml_parser_parse(&p, &e)) {
            yaml_report(d, &p);
            failed = 1;
            break;
        }
        int end = e.type == YAML_STREAM_END_EVENT;
        int rc = on_event(&b, &e);
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
    const ynode *root = b.root;
    if (!root || (root->kind == YN_SCALAR && root->plain && root->len == 0)) {
        ydoc_err_at(d, 1, 1, NULL, "empty %s; expected %s", d->what, d->expect);
        return NULL;
    }
    if (root->kind != YN_MAP) {
        ydoc_err_at(d, root->line, root->col, NULL, "a %s is a mapping (key: value lines), not a %s",
                    d->what, root->kind == YN_SEQ ? "list" : "single value");
        return NULL;
    }
    return root;
}

/* ------------------------------------------------------------------ */
/* Files                                                                */
/* ------------------------------------------------------------------ */

static int not_regular(const ydoc *d, const struct stat *st)
{
    char what[96];
    snprintf(what, sizeof what, "is a directory, expected a %s file (.yaml)", d->what);
    ydiag_add(d->diag, "%s: error: %s", d->file, S_ISDIR(st->st_mode) ? what : "not a regular file");
    return -1;
}

int ydoc_read_file(const ydoc *d, size_t max, char **out, size_t *outlen)
{
    const char *path = d->file;
    struct stat st;
    /* stat before open: opening a FIFO would block. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return not_regular(d, &st);
    FILE *f = fopen(path, "rb");
    if (!f) {
        ydiag_add(d->diag, "%s: error: cannot open the %s: %s", path, d->what, strerror(errno));
        return -1;
    }
    memset(&st, 0, sizeof st);
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        fclose(f);
        return not_regular(d, &st);
    }
    if ((unsigned long long)st.st_size > max) {
        ydiag_add(d->diag, "%s: error: %lld bytes; a %s is at most %zu bytes", path,
                  (long long)st.st_size, d->what, max);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf || fread(buf, 1, n, f) != n) {
        ydiag_add(d->diag, "%s: error: cannot read the %s: %s", path, d->what,
                  buf ? strerror(errno) : "out of memory");
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                              */
/* ------------------------------------------------------------------ */

int yn_is_null(const ynode *v)
{
    if (v->kind != YN_SCALAR || !v->plain)
        return 0;
    return v->len == 0 || !strcmp(v->text, "~") || !strcmp(v->text, "null") ||
           !strcmp(v->text, "Null") || !strcmp(v->text, "NULL");
}

int yn_int(const ynode *v, long long *out)
{
    if (v->kind != YN_SCALAR || !v->plain || v->len == 0 || v->len > 64)
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

int yn_num(const ynode *v, double *out)
{
    long long i;
    int r = yn_int(v, &i);
    if (r == 1) {
        *out = (double)i;
        return 1;
    }
    if (v->kind != YN_SCALAR || !v->plain || v->len == 0 || r == -1)
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

int yn_bool(const ynode *v, int *out)
{
    if (v->kind != YN_SCALAR || !v->plain)
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

const char *yn_shown(const ynode *v, char *buf, size_t n)
{
    if (v->kind == YN_MAP)
        return "a mapping";
    if (v->kind == YN_SEQ)
        return "a list";
    if (yn_is_null(v))
        return "nothing";
    if (v->len > 40)
        snprintf(buf, n, "'%.37s...'", v->text);
    else if (v->plain)
        snprintf(buf, n, "%s", v->text);
    else
        snprintf(buf, n, "the string \"%s\"", v->text);
    return buf;
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

void ysuggest(const char *word, const char *const *cand, int n, char *buf, size_t len)
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
