/*
 * tech.c - loads technology tables (tech/NODE.yaml, schema 1) into cm_tech.
 *
 * libyaml's event API drives a small recursive-descent reader that knows
 * the schema, so every unexpected event is an error at its line:column and
 * nothing is ever skipped or expanded (aliases are refused outright, files
 * are capped at TECH_MAX_FILE bytes, base chains at TECH_MAX_BASES).
 * Values land in a staging `doc` first; only once the whole file is read
 * is it either required to be complete (a full table) or applied over its
 * base (an override file).  See tech/README.md for the format.
 */
#include "tech.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#ifndef FDHT_PREFIX
#define FDHT_PREFIX "/usr/local"
#endif

#define TECH_PATH_MAX 4096
#define BIG 1e300 /* "no upper bound" for a number's range */

/* ------------------------------------------------------------------ */
/* The schema                                                          */

/* A number of cm_tech given as KEY: {value: N, source: TEXT}. */
typedef struct {
    const char *key;
    size_t off;
    double hi; /* all are >= 0 */
} num_field;

static const num_field fields[] = {
    {"freq_mhz_max", offsetof(cm_tech, freq_mhz_max), BIG},
    {"mult8_pj", offsetof(cm_tech, mult8_pj), BIG},
    {"mult8_um2", offsetof(cm_tech, mult8_um2), BIG},
    {"add_pj_per_bit", offsetof(cm_tech, add_pj_per_bit), BIG},
    {"add_um2_per_bit", offsetof(cm_tech, add_um2_per_bit), BIG},
    {"reg_pj_per_bit", offsetof(cm_tech, reg_pj_per_bit), BIG},
    {"reg_um2_per_bit", offsetof(cm_tech, reg_um2_per_bit), BIG},
    {"sfu_pj_per_op", offsetof(cm_tech, sfu_pj_per_op), BIG},
    {"sfu_um2_per_lane", offsetof(cm_tech, sfu_um2_per_lane), BIG},
    {"dram_pj_per_bit", offsetof(cm_tech, dram_pj_per_bit), BIG},
    {"leak_mw_per_mm2_logic", offsetof(cm_tech, leak_mw_per_mm2_logic), BIG},
    {"leak_mw_per_mm2_sram", offsetof(cm_tech, leak_mw_per_mm2_sram), BIG},
    {"ctrl_area_frac", offsetof(cm_tech, ctrl_area_frac), BIG},
    {"sram_width_exp", offsetof(cm_tech, sram_width_exp), 2.0},
    {"sram_bank_exp", offsetof(cm_tech, sram_bank_exp), 1.0},
    {"sram_bank_um2", offsetof(cm_tech, sram_bank_um2), BIG},
};
#define NF (sizeof fields / sizeof fields[0])

/* A number of one SRAM anchor. */
typedef struct {
    const char *key;
    size_t off;
    double lo;
    int lo_open; /* lo itself excluded */
    double hi;
    int integer;
} anchor_field;

static const anchor_field akeys[] = {
    {"bytes", offsetof(cm_sram_anchor, bytes), 1, 0, 1e30, 0},
    {"word_bits", offsetof(cm_sram_anchor, word_bits), 1, 0, 65536, 1},
    {"banks", offsetof(cm_sram_anchor, banks), 1, 0, 16777216, 1},
    {"read_pj", offsetof(cm_sram_anchor, read_pj), 0, 1, 1e12, 0},
    {"write_pj", offsetof(cm_sram_anchor, write_pj), 0, 1, 1e12, 0},
    {"area_mm2", offsetof(cm_sram_anchor, area_mm2), 0, 1, 1e9, 0},
};
#define NA (sizeof akeys / sizeof akeys[0])

/* What one file says, before it is checked for completeness or applied. */
typedef struct {
    double val[NF];
    unsigned char set[NF], bare[NF];
    yaml_mark_t mark[NF];
    int have_schema, have_name, have_node, have_base, have_anchors;
    yaml_mark_t schema_mark, name_mark, node_mark, base_mark, anchors_mark, doc_mark;
    char name[sizeof ((cm_tech *)0)->name];
    int node_nm;
    char base[TECH_PATH_MAX];
    int nanchors;
    cm_sram_anchor anchor[CM_TECH_MAX_ANCHORS];
} doc;

/* ------------------------------------------------------------------ */
/* Reader state and errors                                             */

typedef struct {
    const char *path;
    const unsigned char *buf;
    size_t len;
    yaml_parser_t p;
    yaml_event_t ev; /* the current event, valid when have_ev */
    int have_ev;
    char *err;
    size_t errlen;
} rd;

/* "PATH:LINE:COL: message" (libyaml marks count from 0). */
static int fail_at(rd *r, yaml_mark_t m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail_at(rd *r, yaml_mark_t m, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cm_fail(r->err, r->errlen, "%s:%zu:%zu: %s", r->path, m.line + 1, m.column + 1, msg);
}

/* A mark for a byte offset (libyaml reports reader errors that way). */
static yaml_mark_t mark_of_offset(const rd *r, size_t off)
{
    yaml_mark_t m = {off, 0, 0};
    for (size_t i = 0; i < off && i < r->len; i++) {
        if (r->buf[i] == '\n') {
            m.line++;
            m.column = 0;
        } else {
            m.column++;
        }
    }
    return m;
}

/* A printable excerpt of the current scalar for messages. */
static const char *show(const rd *r, char *out, size_t outlen)
{
    const unsigned char *s = r->ev.data.scalar.value;
    size_t n = r->ev.data.scalar.length, k = 0, max = 40;
    for (size_t i = 0; i < n && i < max && k + 1 < outlen; i++)
        out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    out[k] = '\0';
    if (n > max && k + 4 < outlen)
        strcpy(out + k, "...");
    return out;
}

static const char *kind(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: return "scalar";
    case YAML_SEQUENCE_START_EVENT: return "list";
    case YAML_MAPPING_START_EVENT: return "mapping";
    case YAML_SEQUENCE_END_EVENT: return "end of a list";
    case YAML_MAPPING_END_EVENT: return "end of a mapping";
    case YAML_DOCUMENT_START_EVENT: return "new document";
    case YAML_DOCUMENT_END_EVENT: return "end of the document";
    case YAML_STREAM_END_EVENT: return "end of the file";
    default: return "YAML event";
    }
}

/* Advances to the next event.  Syntax errors and aliases fail here. */
static int next(rd *r)
{
    if (r->have_ev) {
        yaml_event_delete(&r->ev);
        r->have_ev = 0;
    }
    if (!yaml_parser_parse(&r->p, &r->ev)) {
        const char *problem = r->p.problem ? r->p.problem : "unknown error";
        if (r->p.error == YAML_MEMORY_ERROR)
            return cm_fail(r->err, r->errlen, "%s: out of memory while parsing", r->path);
        if (r->p.error == YAML_READER_ERROR)
            return fail_at(r, mark_of_offset(r, r->p.problem_offset), "YAML error: %s", problem);
        if (r->p.context)
            return fail_at(r, r->p.problem_mark, "YAML syntax error: %s (%s)", problem,
                           r->p.context);
        return fail_at(r, r->p.problem_mark, "YAML syntax error: %s", problem);
    }
    r->have_ev = 1;
    if (r->ev.type == YAML_ALIAS_EVENT)
        return fail_at(r, r->ev.start_mark,
                       "YAML aliases (*name) are not allowed in technology tables");
    return 0;
}

/* Fails on an explicit tag (!!str, !foo): values are typed by the schema. */
static int no_tag(rd *r)
{
    const yaml_char_t *tag = NULL;
    if (r->ev.type == YAML_SCALAR_EVENT)
        tag = r->ev.data.scalar.tag;
    else if (r->ev.type == YAML_MAPPING_START_EVENT)
        tag = r->ev.data.mapping_start.tag;
    else if (r->ev.type == YAML_SEQUENCE_START_EVENT)
        tag = r->ev.data.sequence_start.tag;
    if (tag)
        return fail_at(r, r->ev.start_mark, "YAML tags (%s) are not supported here",
                       (const char *)tag);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                             */

/* Plain decimal syntax: [+-]? (D+ (. D*)? | . D+) ([eE] [+-]? D+)? */
static int num_syntax(const char *s, size_t n)
{
    size_t i = 0, d = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, d++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, d++;
    }
    if (d == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, e++;
        if (e == 0)
            return 0;
    }
    return i == n;
}

/* YAML's spellings of infinity and not-a-number, for a precise message. */
static int non_finite_word(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (*s == '.')
        s++;
    return !strcmp(s, "inf") || !strcmp(s, "Inf") || !strcmp(s, "INF") || !strcmp(s, "nan") ||
           !strcmp(s, "NaN") || !strcmp(s, "NAN") || !strcmp(s, "infinity");
}

/* The current event as a number in [lo, hi] (lo excluded when lo_open). */
static int get_number(rd *r, const char *what, double lo, int lo_open, double hi, int integer,
                      double *out)
{
    char txt[64];
    if (r->ev.type != YAML_SCALAR_EVENT)
        return fail_at(r, r->ev.start_mark, "%s: expected a number, got a %s", what,
                       kind(&r->ev));
    if (no_tag(r))
        return -1;
    const char *s = (const char *)r->ev.data.scalar.value;
    size_t n = r->ev.data.scalar.length;
    if (r->ev.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
        r->ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
        return fail_at(r, r->ev.start_mark, "%s: expected a number, got the quoted string '%s'",
                       what, show(r, txt, sizeof txt));
    if (n == 0)
        return fail_at(r, r->ev.start_mark, "%s: expected a number, got nothing", what);
    if (strlen(s) == n && non_finite_word(s))
        return fail_at(r, r->ev.start_mark, "%s: expected a finite number, got '%s'", what,
                       show(r, txt, sizeof txt));
    if (strlen(s) != n || !num_syntax(s, n))
        return fail_at(r, r->ev.start_mark, "%s: expected a number, got '%s'", what,
                       show(r, txt, sizeof txt));
    double v = strtod(s, NULL);
    if (!isfinite(v))
        return fail_at(r, r->ev.start_mark, "%s: expected a finite number, got '%s'", what,
                       show(r, txt, sizeof txt));
    if (integer && v != floor(v))
        return fail_at(r, r->ev.start_mark, "%s: expected an integer, got '%s'", what,
                       show(r, txt, sizeof txt));
    if (v < lo || (lo_open && v <= lo) || v > hi) {
        char range[64];
        if (hi < BIG)
            snprintf(range, sizeof range, "in %s%g, %g]", lo_open ? "(" : "[", lo, hi);
        else
            snprintf(range, sizeof range, "%s %g", lo_open ? ">" : ">=", lo);
        return fail_at(r, r->ev.start_mark, "%s: expected a number %s, got '%s'", what, range,
                       show(r, txt, sizeof txt));
    }
    *out = v;
    return 0;
}

/* The current event as a non-empty string; copied when out != NULL. */
static int get_string(rd *r, const char *what, char *out, size_t outlen)
{
    if (r->ev.type != YAML_SCALAR_EVENT)
        return fail_at(r, r->ev.start_mark, "%s: expected a string, got a %s", what,
                       kind(&r->ev));
    if (no_tag(r))
        return -1;
    const char *s = (const char *)r->ev.data.scalar.value;
    size_t n = r->ev.data.scalar.length;
    if (n == 0)
        return fail_at(r, r->ev.start_mark, "%s: expected a non-empty string", what);
    if (strlen(s) != n)
        return fail_at(r, r->ev.start_mark, "%s: the string contains a NUL byte", what);
    if (out) {
        if (n >= outlen)
            return fail_at(r, r->ev.start_mark, "%s: longer than %zu characters", what,
                           outlen - 1);
        memcpy(out, s, n + 1);
    }
    return 0;
}

/* The current event as a mapping key (any string; unknown ones are the
 * caller's to reject, with the key still current for the message). */
static int get_key(rd *r, const char *where, char *key, size_t keylen)
{
    if (r->ev.type != YAML_SCALAR_EVENT)
        return fail_at(r, r->ev.start_mark, "%s: expected a key, got a %s", where,
                       kind(&r->ev));
    if (no_tag(r))
        return -1;
    size_t n = r->ev.data.scalar.length;
    if (n >= keylen || strlen((const char *)r->ev.data.scalar.value) != n)
        n = 0; /* matches no known key */
    memcpy(key, r->ev.data.scalar.value, n);
    key[n] = '\0';
    return 0;
}

static int unknown_key(rd *r, const char *where, const char *expected)
{
    char txt[64];
    return fail_at(r, r->ev.start_mark, "%s: unknown key '%s' (expected %s)", where,
                   show(r, txt, sizeof txt), expected);
}

static int dup_key(rd *r, const char *key, yaml_mark_t first)
{
    return fail_at(r, r->ev.start_mark, "duplicate key '%s' (first given at line %zu)", key,
                   first.line + 1);
}

static int valid_name(const char *s)
{
    if (!*s || *s == '.')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '+' || *s == '-'))
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Structure                                                           */

/* KEY: {value: N, source: TEXT}, or KEY: N (only legal with base:). */
static int parse_entry(rd *r, doc *d, size_t f)
{
    char what[64], key[32];
    snprintf(what, sizeof what, "key '%s'", fields[f].key);
    if (next(r))
        return -1;
    d->mark[f] = r->ev.start_mark;
    d->set[f] = 1;
    if (r->ev.type == YAML_SCALAR_EVENT) {
        d->bare[f] = 1;
        return get_number(r, what, 0, 0, fields[f].hi, 0, &d->val[f]);
    }
    if (r->ev.type != YAML_MAPPING_START_EVENT)
        return fail_at(r, r->ev.start_mark,
                       "%s: expected a mapping {value: N, source: TEXT}, got a %s", what,
                       kind(&r->ev));
    if (no_tag(r))
        return -1;
    yaml_mark_t m = r->ev.start_mark, vm = m, sm = m;
    int have_value = 0, have_source = 0;
    for (;;) {
        if (next(r))
            return -1;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (get_key(r, what, key, sizeof key))
            return -1;
        if (!strcmp(key, "value")) {
            if (have_value)
                return dup_key(r, key, vm);
            vm = r->ev.start_mark;
            have_value = 1;
            if (next(r) || get_number(r, what, 0, 0, fields[f].hi, 0, &d->val[f]))
                return -1;
        } else if (!strcmp(key, "source")) {
            if (have_source)
                return dup_key(r, key, sm);
            sm = r->ev.start_mark;
            have_source = 1;
            if (next(r) || get_string(r, "source", NULL, 0))
                return -1;
        } else {
            return unknown_key(r, what, "'value' and 'source'");
        }
    }
    if (!have_value)
        return fail_at(r, m, "%s: missing 'value'", what);
    if (!have_source)
        return fail_at(r, m, "%s: missing 'source' (every number says where it comes from)",
                       what);
    return 0;
}

/* One anchor: a mapping of akeys plus source, all required. */
static int parse_anchor(rd *r, cm_sram_anchor *a, int i)
{
    char where[48], what[80], key[32];
    snprintf(where, sizeof where, "sram_anchors[%d]", i);
    if (r->ev.type != YAML_MAPPING_START_EVENT)
        return fail_at(r, r->ev.start_mark, "%s: expected a mapping, got a %s", where,
                       kind(&r->ev));
    if (no_tag(r))
        return -1;
    yaml_mark_t m = r->ev.start_mark, first[NA + 1];
    int have[NA + 1] = {0};
    for (;;) {
        if (next(r))
            return -1;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (get_key(r, where, key, sizeof key))
            return -1;
        size_t k = 0;
        while (k < NA && strcmp(key, akeys[k].key))
            k++;
        if (k == NA && strcmp(key, "source"))
            return unknown_key(r, where,
                               "bytes, word_bits, banks, read_pj, write_pj, area_mm2, source");
        if (have[k])
            return dup_key(r, key, first[k]);
        have[k] = 1;
        first[k] = r->ev.start_mark;
        snprintf(what, sizeof what, "%s.%s", where, key);
        if (next(r))
            return -1;
        if (k == NA) {
            if (get_string(r, what, NULL, 0))
                return -1;
        } else {
            double *dst = (double *)(void *)((char *)a + akeys[k].off);
            if (get_number(r, what, akeys[k].lo, akeys[k].lo_open, akeys[k].hi,
                           akeys[k].integer, dst))
                return -1;
        }
    }
    for (size_t k = 0; k <= NA; k++)
        if (!have[k])
            return fail_at(r, m, "%s: missing '%s'", where, k < NA ? akeys[k].key : "source");
    return 0;
}

static int parse_anchors(rd *r, doc *d)
{
    if (next(r))
        return -1;
    if (r->ev.type != YAML_SEQUENCE_START_EVENT)
        return fail_at(r, r->ev.start_mark, "sram_anchors: expected a list of anchors, got a %s",
                       kind(&r->ev));
    if (no_tag(r))
        return -1;
    yaml_mark_t m = r->ev.start_mark;
    d->nanchors = 0;
    for (;;) {
        if (next(r))
            return -1;
        if (r->ev.type == YAML_SEQUENCE_END_EVENT)
            break;
        if (d->nanchors == CM_TECH_MAX_ANCHORS)
            return fail_at(r, r->ev.start_mark, "sram_anchors: at most %d anchors",
                           CM_TECH_MAX_ANCHORS);
        if (parse_anchor(r, &d->anchor[d->nanchors], d->nanchors + 1))
            return -1;
        d->nanchors++;
    }
    if (d->nanchors == 0)
        return fail_at(r, m, "sram_anchors: the list is empty; at least one anchor is needed");
    return 0;
}

/* One top-level key (the current event) and its value. */
static int parse_top_key(rd *r, doc *d)
{
    char key[64];
    double v;
    if (get_key(r, "top level", key, sizeof key))
        return -1;
    yaml_mark_t km = r->ev.start_mark;
    if (!strcmp(key, "schema")) {
        if (d->have_schema)
            return dup_key(r, key, d->schema_mark);
        d->have_schema = 1;
        d->schema_mark = km;
        if (next(r) || get_number(r, "schema", 1, 0, 1e9, 1, &v))
            return -1;
        if (v != TECH_SCHEMA)
            return fail_at(r, r->ev.start_mark,
                           "schema: this program reads schema %d, the file has %.0f",
                           TECH_SCHEMA, v);
        return 0;
    }
    if (!strcmp(key, "name")) {
        if (d->have_name)
            return dup_key(r, key, d->name_mark);
        d->have_name = 1;
        d->name_mark = km;
        if (next(r) || get_string(r, "name", d->name, sizeof d->name))
            return -1;
        if (!valid_name(d->name))
            return fail_at(r, r->ev.start_mark,
                           "name: use letters, digits, '.', '_', '+', '-' (not first '.')");
        return 0;
    }
    if (!strcmp(key, "base")) {
        if (d->have_base)
            return dup_key(r, key, d->base_mark);
        d->have_base = 1;
        d->base_mark = km;
        return next(r) || get_string(r, "base", d->base, sizeof d->base) ? -1 : 0;
    }
    if (!strcmp(key, "node_nm")) {
        if (d->have_node)
            return dup_key(r, key, d->node_mark);
        d->have_node = 1;
        d->node_mark = km;
        if (next(r) || get_number(r, "node_nm", 1, 0, 1e6, 1, &v))
            return -1;
        d->node_nm = (int)v;
        return 0;
    }
    if (!strcmp(key, "sram_anchors")) {
        if (d->have_anchors)
            return dup_key(r, key, d->anchors_mark);
        d->have_anchors = 1;
        d->anchors_mark = km;
        return parse_anchors(r, d);
    }
    for (size_t f = 0; f < NF; f++)
        if (!strcmp(key, fields[f].key)) {
            if (d->set[f])
                return dup_key(r, key, d->mark[f]);
            return parse_entry(r, d, f);
        }
    return unknown_key(r, "top level", "a key of tech/README.md, e.g. mult8_pj");
}

static int parse_doc(rd *r, doc *d)
{
    if (next(r)) /* STREAM_START */
        return -1;
    if (next(r))
        return -1;
    if (r->ev.type == YAML_STREAM_END_EVENT)
        return fail_at(r, r->ev.start_mark, "empty file: expected the table's keys");
    if (next(r)) /* past DOCUMENT_START */
        return -1;
    if (r->ev.type != YAML_MAPPING_START_EVENT)
        return fail_at(r, r->ev.start_mark, "expected a mapping of keys at top level, got a %s",
                       kind(&r->ev));
    if (no_tag(r))
        return -1;
    d->doc_mark = r->ev.start_mark;
    for (;;) {
        if (next(r))
            return -1;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (parse_top_key(r, d))
            return -1;
    }
    if (next(r)) /* DOCUMENT_END */
        return -1;
    if (next(r))
        return -1;
    if (r->ev.type != YAML_STREAM_END_EVENT)
        return fail_at(r, r->ev.start_mark, "only one YAML document per file");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Files, bases, resolution                                            */

uint64_t tech_fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* The whole file, at most TECH_MAX_FILE bytes, into a malloc'd buffer. */
static int read_all(const char *path, unsigned char **out, size_t *len, char *err, size_t errlen)
{
    /* Only regular files: opening a FIFO (or reading a terminal, e.g.
     * base: /dev/stdin) would block, and a hostile file must not hang us. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return cm_fail(err, errlen, "%s: %s", path,
                       S_ISDIR(st.st_mode) ? "is a directory, not a technology table"
                                           : "not a regular file");
    FILE *f = fopen(path, "rb");
    if (!f)
        return cm_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    unsigned char *buf = malloc(TECH_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        return cm_fail(err, errlen, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, TECH_MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return cm_fail(err, errlen, "%s: cannot read", path);
    }
    if (n > TECH_MAX_FILE) {
        free(buf);
        return cm_fail(err, errlen, "%s:1:1: file is larger than %d bytes", path, TECH_MAX_FILE);
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Directory part of path, or NULL for the working directory. */
static const char *dir_of(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= outlen)
        return NULL;
    memcpy(out, path, n);
    out[n] = '\0';
    return out;
}

/* Default name of an override file: its file name without .yaml. */
static void stem_of(const char *path, char *out, size_t outlen)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".yaml"))
        n -= 5;
    if (n >= outlen)
        n = outlen - 1;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '+' || c == '-';
        out[i] = ok ? c : '_';
    }
    out[n] = '\0';
    if (n == 0 || out[0] == '.')
        snprintf(out, outlen, "%s", "override");
}

static int load_rec(const char *path, cm_tech *t, int depth, uint64_t *h, char *err,
                    size_t errlen);

/* The base of an override file, loaded into *t. */
static int load_base(rd *r, const doc *d, cm_tech *t, int depth, uint64_t *h)
{
    char dir[TECH_PATH_MAX], bpath[TECH_PATH_MAX], msg[1024];
    if (depth + 1 >= TECH_MAX_BASES)
        return fail_at(r, d->base_mark, "base: more than %d tables chained (a cycle?)",
                       TECH_MAX_BASES);
    if (tech_resolve(d->base, dir_of(r->path, dir, sizeof dir), bpath, sizeof bpath, msg,
                     sizeof msg))
        return fail_at(r, d->base_mark, "base: %s", msg);
    if (depth > 0) /* only the outermost file adds context: messages stay short */
        return load_rec(bpath, t, depth + 1, h, r->err, r->errlen);
    if (load_rec(bpath, t, depth + 1, h, msg, sizeof msg))
        return fail_at(r, d->base_mark, "in base '%s': %s", d->base, msg);
    return 0;
}

/* Turns a parsed file into *t: complete on its own, or over its base. */
static int finish(rd *r, const doc *d, cm_tech *t, int depth, uint64_t *h)
{
    if (!d->have_schema)
        return fail_at(r, d->doc_mark, "missing key 'schema' (this program reads schema %d)",
                       TECH_SCHEMA);
    if (d->have_base) {
        if (load_base(r, d, t, depth, h))
            return -1;
        if (!d->have_name)
            stem_of(r->path, t->name, sizeof t->name);
    } else {
        for (size_t f = 0; f < NF; f++)
            if (d->bare[f])
                return fail_at(r, d->mark[f],
                               "key '%s': write {value: N, source: TEXT}; bare numbers are "
                               "allowed only in a file with 'base:'",
                               fields[f].key);
        static const char *meta[] = {"name", "node_nm", "sram_anchors"};
        int have[] = {d->have_name, d->have_node, d->have_anchors};
        for (size_t k = 0; k < 3; k++)
            if (!have[k])
                return fail_at(r, d->doc_mark, "missing key '%s'", meta[k]);
        for (size_t f = 0; f < NF; f++)
            if (!d->set[f])
                return fail_at(r, d->doc_mark, "missing key '%s'", fields[f].key);
        memset(t, 0, sizeof *t);
    }
    for (size_t f = 0; f < NF; f++)
        if (d->set[f])
            *(double *)(void *)((char *)t + fields[f].off) = d->val[f];
    if (d->have_name)
        memcpy(t->name, d->name, sizeof t->name);
    if (d->have_node)
        t->node_nm = d->node_nm;
    if (d->have_anchors) {
        t->nanchors = d->nanchors;
        memcpy(t->anchor, d->anchor, sizeof t->anchor);
    }
    char msg[CM_ERRLEN];
    if (cm_tech_check(t, msg, sizeof msg))
        return fail_at(r, d->have_anchors ? d->anchors_mark : d->doc_mark, "%s", msg);
    return 0;
}

static int load_rec(const char *path, cm_tech *t, int depth, uint64_t *h, char *err,
                    size_t errlen)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    if (read_all(path, &buf, &len, err, errlen))
        return -1;
    *h = tech_fnv1a(buf, len, *h);
    rd r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.buf = buf;
    r.len = len;
    r.err = err;
    r.errlen = errlen;
    doc *d = calloc(1, sizeof *d);
    if (!d || !yaml_parser_initialize(&r.p)) {
        free(d);
        free(buf);
        return cm_fail(err, errlen, "%s: out of memory", path);
    }
    yaml_parser_set_input_string(&r.p, buf, len);
    int rc = parse_doc(&r, d);
    if (r.have_ev)
        yaml_event_delete(&r.ev);
    yaml_parser_delete(&r.p);
    if (rc == 0)
        rc = finish(&r, d, t, depth, h);
    free(d);
    free(buf);
    return rc;
}

int tech_load_file(const char *path, cm_tech *t, char *err, size_t errlen)
{
    cm_tech tmp;
    uint64_t h = TECH_FNV_OFFSET;
    memset(&tmp, 0, sizeof tmp);
    if (load_rec(path, &tmp, 0, &h, err, errlen))
        return -1;
    snprintf(tmp.hash, sizeof tmp.hash, "%016" PRIx64, h);
    *t = tmp;
    return 0;
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* dir/name.yaml into path if readable; 1 when found. */
static int try_dir(const char *dir, size_t dirlen, const char *name, char *path, size_t pathlen)
{
    int n = snprintf(path, pathlen, "%.*s/%s.yaml", (int)dirlen, dir, name);
    return n > 0 && (size_t)n < pathlen && access(path, R_OK) == 0;
}

/* Appends dir to the "looked in" list of the not-found message. */
static void note_dir(char *list, size_t listlen, const char *dir, size_t dirlen)
{
    size_t used = strlen(list);
    if (used + 1 < listlen)
        snprintf(list + used, listlen - used, "%s%.*s", used ? ", " : "", (int)dirlen, dir);
}

int tech_resolve(const char *s, const char *rel_dir, char *path, size_t pathlen, char *err,
                 size_t errlen)
{
    if (!s || !*s)
        return cm_fail(err, errlen, "empty name (expected a table name like 28nm or a .yaml path)");
    /* Every message below (and the loader's) shows the name or path: keep
     * them one printable line. */
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return cm_fail(err, errlen,
                           "name or path contains control character 0x%02x",
                           (unsigned)(unsigned char)*c);
    if (strchr(s, '/') || ends_with(s, ".yaml")) {
        int n = s[0] != '/' && rel_dir ? snprintf(path, pathlen, "%s/%s", rel_dir, s)
                                       : snprintf(path, pathlen, "%s", s);
        if (n < 0 || (size_t)n >= pathlen)
            return cm_fail(err, errlen, "path too long: %s", s);
        return 0;
    }
    if (!valid_name(s) || strlen(s) > 64)
        return cm_fail(err, errlen,
                       "'%s' is neither a table name (letters, digits, '.', '_', '+', '-') nor "
                       "a path ending in .yaml",
                       s);
    char looked[512] = "";
    const char *env = getenv("FDHT_TECH_DIR");
    while (env && *env) {
        size_t n = strcspn(env, ":");
        if (n > 0) {
            if (try_dir(env, n, s, path, pathlen))
                return 0;
            note_dir(looked, sizeof looked, env, n);
        }
        env += n + (env[n] == ':');
    }
    if (try_dir("tech", 4, s, path, pathlen))
        return 0;
    note_dir(looked, sizeof looked, "tech", 4);
    char exe[TECH_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash && (size_t)(slash - exe) + sizeof "/../tech" < sizeof exe) {
            strcpy(slash, "/../tech");
            if (try_dir(exe, strlen(exe), s, path, pathlen))
                return 0;
            note_dir(looked, sizeof looked, exe, strlen(exe));
        }
    }
    const char *share = FDHT_PREFIX "/share/fdht-dse/tech";
    if (try_dir(share, strlen(share), s, path, pathlen))
        return 0;
    note_dir(looked, sizeof looked, share, strlen(share));
    return cm_fail(err, errlen, "'%s' not found (looked in %s; set FDHT_TECH_DIR or give a "
                   "path to a .yaml file)", s, looked);
}

int tech_find(const char *name_or_path, cm_tech *t, char *err, size_t errlen)
{
    char path[TECH_PATH_MAX];
    if (tech_resolve(name_or_path, NULL, path, sizeof path, err, errlen))
        return -1;
    return tech_load_file(path, t, err, errlen);
}
