/*
 * tech.c - technology tables (tech/NODE.yaml, schema 1) into cm_tech.
 *
 * A file is read and parsed by the document layer (ydoc.h), checked against
 * the embedded schema (schemas/tech.schema.yaml, yschema.h), then checked for
 * what a schema cannot say (a table without `base:` gives every key, names,
 * non-empty sources, positive anchors) and converted: complete on its own,
 * or applied over its base table (an override file), and finally checked
 * by cm_tech_check.  Every error is one line in the format of specs,
 * "FILE:LINE:COL: error: KEY: what was expected, got what".  Also here: where
 * tables are found (tech_resolve).  See tech/README.md for the format.
 */
#include "tech.h"
#include "yschema.h"
#include "cm_hash.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FDHT_PREFIX
#define FDHT_PREFIX "/usr/local"
#endif

#define TECH_PATH_MAX 4096

extern const char embed_tech_schema_yaml[];
extern const unsigned long embed_tech_schema_yaml_len;

#define ERR(d, v, ...) ydoc_err((d), (v), __VA_ARGS__)
#define ERRK(d, v, ...) ydoc_err_key((d), (v), __VA_ARGS__)

/* Where each key of a table goes (ranges and types: the schema). */
typedef struct {
    const char *key;
    size_t off;
} field;

static const field fields[] = {
    {"freq_mhz_max", offsetof(cm_tech, freq_mhz_max)},
    {"mult8_pj", offsetof(cm_tech, mult8_pj)},
    {"mult8_um2", offsetof(cm_tech, mult8_um2)},
    {"add_pj_per_bit", offsetof(cm_tech, add_pj_per_bit)},
    {"add_um2_per_bit", offsetof(cm_tech, add_um2_per_bit)},
    {"reg_pj_per_bit", offsetof(cm_tech, reg_pj_per_bit)},
    {"reg_um2_per_bit", offsetof(cm_tech, reg_um2_per_bit)},
    {"sfu_pj_per_op", offsetof(cm_tech, sfu_pj_per_op)},
    {"sfu_um2_per_lane", offsetof(cm_tech, sfu_um2_per_lane)},
    {"dram_pj_per_bit", offsetof(cm_tech, dram_pj_per_bit)},
    {"leak_mw_per_mm2_logic", offsetof(cm_tech, leak_mw_per_mm2_logic)},
    {"leak_mw_per_mm2_sram", offsetof(cm_tech, leak_mw_per_mm2_sram)},
    {"ctrl_area_frac", offsetof(cm_tech, ctrl_area_frac)},
    {"sram_width_exp", offsetof(cm_tech, sram_width_exp)},
    {"sram_bank_exp", offsetof(cm_tech, sram_bank_exp)},
    {"sram_bank_um2", offsetof(cm_tech, sram_bank_um2)},
};
#define NF (sizeof fields / sizeof fields[0])

static const field akeys[] = {
    {"bytes", offsetof(cm_sram_anchor, bytes)},
    {"word_bits", offsetof(cm_sram_anchor, word_bits)},
    {"banks", offsetof(cm_sram_anchor, banks)},
    {"read_pj", offsetof(cm_sram_anchor, read_pj)},
    {"write_pj", offsetof(cm_sram_anchor, write_pj)},
    {"area_mm2", offsetof(cm_sram_anchor, area_mm2)},
};
#define NA (sizeof akeys / sizeof akeys[0])
#define A_FIRST_POSITIVE 3 /* read_pj, write_pj, area_mm2: > 0 */

static void set_double(void *base, size_t off, double v) { memcpy((char *)base + off, &v, sizeof v); }

static double num(const ynode *v)
{
    double x = 0;
    yn_num(v, &x);
    return x;
}

/* Table names: letters, digits, . _ + -, not starting with '.'. */
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
/* What the schema cannot say                                          */

/* A file of another schema is not checked further. */
static int check_schema_version(const ydoc *d, const ynode *root)
{
    const ynode *v = ymap_get(root, "schema");
    long long x;
    if (v && yn_int(v, &x) == 1 && x != TECH_SCHEMA) {
        ERR(d, v, "unsupported table schema %lld; this dse reads schema %d", x, TECH_SCHEMA);
        return -1;
    }
    return 0;
}

static void check_source(const ydoc *d, const ynode *m)
{
    const ynode *s = ymap_get(m, "source");
    char sh[64];
    if (s && s->len == 0)
        ERR(d, s, "expected a non-empty string (where the number comes from), got %s",
            yn_shown(s, sh, sizeof sh));
}

static void check_anchors(const ydoc *d, const ynode *list)
{
    char sh[64];
    for (const ynode *a = list->first; a; a = a->next) {
        for (size_t k = A_FIRST_POSITIVE; k < NA; k++) {
            const ynode *x = ymap_get(a, akeys[k].key);
            if (x && !(num(x) > 0))
                ERR(d, x, "expected a number > 0, got %s", yn_shown(x, sh, sizeof sh));
        }
        check_source(d, a);
    }
}

/* Every problem of a schema-checked file, in document order; 0 if none. */
static int check_table(const ydoc *d, const ynode *root)
{
    int before = d->diag->nerr, full = !ymap_get(root, "base");
    char sh[64];
    for (const ynode *x = root->first; x; x = x->next) {
        if (!strcmp(x->key, "name")) {
            if (!valid_name(x->text) || x->len >= sizeof ((cm_tech *)0)->name)
                ERR(d, x, "expected a name of 1 to %zu characters [A-Za-z0-9._+-], not "
                    "starting with '.', got %s", sizeof ((cm_tech *)0)->name - 1,
                    yn_shown(x, sh, sizeof sh));
        } else if (!strcmp(x->key, "sram_anchors")) {
            check_anchors(d, x);
        } else if (x->kind == YN_MAP) {
            check_source(d, x);
        } else if (full && x->kind == YN_SCALAR && strcmp(x->key, "schema") &&
                   strcmp(x->key, "node_nm")) {
            ERR(d, x, "write {value: N, source: TEXT}; bare numbers are allowed only in a "
                "file with base:");
        }
    }
    if (full) {
        const char *meta[] = {"name", "node_nm"};
        for (size_t k = 0; k < 2; k++)
            if (!ymap_get(root, meta[k]))
                ERR(d, root, "missing required key '%s' (a table without base: gives every key)",
                    meta[k]);
        for (size_t f = 0; f < NF; f++)
            if (!ymap_get(root, fields[f].key))
                ERR(d, root, "missing required key '%s' (a table without base: gives every key)",
                    fields[f].key);
        if (!ymap_get(root, "sram_anchors"))
            ERR(d, root, "missing required key 'sram_anchors' (a table without base: gives "
                "every key)");
    }
    return d->diag->nerr - before;
}

/* ------------------------------------------------------------------ */
/* Conversion                                                          */

static int load_rec(const char *path, cm_tech *t, int depth, uint64_t *h, ydiag *g);
static const char *dir_of(const char *path, char *out, size_t outlen);
static void stem_of(const char *path, char *out, size_t outlen);

/* The base of an override file, loaded into *t.  Only the outermost file
 * adds its context to the base's errors: messages stay short. */
static int load_base(const ydoc *d, const ynode *base, cm_tech *t, int depth, uint64_t *h)
{
    char dir[TECH_PATH_MAX], bpath[TECH_PATH_MAX], msg[1024];
    if (depth + 1 >= TECH_MAX_BASES) {
        ERR(d, base, "more than %d tables chained (a cycle?)", TECH_MAX_BASES);
        return -1;
    }
    if (tech_resolve(base->text, dir_of(d->file, dir, sizeof dir), bpath, sizeof bpath, msg,
                     sizeof msg)) {
        ERR(d, base, "%s", msg);
        return -1;
    }
    if (depth > 0)
        return load_rec(bpath, t, depth + 1, h, d->diag);
    ydiag sub;
    ydiag_init(&sub);
    int rc = load_rec(bpath, t, depth + 1, h, &sub);
    if (rc) {
        int kept = 0;
        for (const char *l = ydiag_text(&sub); *l; kept++) {
            size_t n = strcspn(l, "\n");
            char q[600];
            ERR(d, base, "in base '%s': %s", base->text, ydiag_quote(l, n, q, sizeof q));
            l += n + (l[n] == '\n');
        }
        d->diag->nerr += sub.nerr - kept; /* counted, not kept */
        d->diag->internal |= sub.internal;
    }
    ydiag_free(&sub);
    return rc;
}

/* A checked file into *t: complete on its own, or over its base. */
static int convert(const ydoc *d, const ynode *root, cm_tech *t, int depth, uint64_t *h)
{
    const ynode *x, *base = ymap_get(root, "base");
    if (base) {
        if (load_base(d, base, t, depth, h))
            return -1;
        if (!ymap_get(root, "name"))
            stem_of(d->file, t->name, sizeof t->name);
    } else {
        memset(t, 0, sizeof *t);
    }
    for (size_t f = 0; f < NF; f++)
        if ((x = ymap_get(root, fields[f].key)))
            set_double(t, fields[f].off, num(x->kind == YN_MAP ? ymap_get(x, "value") : x));
    if ((x = ymap_get(root, "name")))
        snprintf(t->name, sizeof t->name, "%s", x->text);
    if ((x = ymap_get(root, "node_nm")))
        t->node_nm = (int)num(x);
    const ynode *anchors = ymap_get(root, "sram_anchors");
    if (anchors) {
        memset(t->anchor, 0, sizeof t->anchor);
        t->nanchors = 0;
        for (const ynode *a = anchors->first; a && t->nanchors < CM_TECH_MAX_ANCHORS; a = a->next) {
            for (size_t k = 0; k < NA; k++)
                set_double(&t->anchor[t->nanchors], akeys[k].off, num(ymap_get(a, akeys[k].key)));
            t->nanchors++;
        }
    }
    char msg[CM_ERRLEN];
    if (cm_tech_check(t, msg, sizeof msg)) {
        if (anchors)
            ERRK(d, anchors, "%s", msg);
        else
            ERR(d, root, "%s", msg);
        return -1;
    }
    return 0;
}

static int load_rec(const char *path, cm_tech *t, int depth, uint64_t *h, ydiag *g)
{
    ydoc d = {.file = path, .what = "technology table",
              .expect = "a mapping with schema, name, node_nm, the numbers and sram_anchors",
              .diag = g};
    char *buf = NULL;
    size_t len = 0;
    if (ydoc_read_file(&d, TECH_MAX_FILE, &buf, &len))
        return -1;
    *h = cm_fnv1a(*h, buf, len);
    int rc = -1;
    d.arena = yarena_new();
    yschema *sch = d.arena ? yschema_load("tech.schema.yaml", embed_tech_schema_yaml,
                                          embed_tech_schema_yaml_len, g) : NULL;
    if (!d.arena) {
        g->internal = 1;
        ydiag_add(g, "%s: error: out of memory", path);
    }
    const ynode *root = sch ? ydoc_parse(&d, buf, len) : NULL;
    if (root && !check_schema_version(&d, root) && !yschema_check(sch, &d, root) &&
        !check_table(&d, root))
        rc = convert(&d, root, t, depth, h);
    yschema_free(sch);
    yarena_free(d.arena);
    free(buf);
    return rc;
}

int tech_load(const char *path, cm_tech *t, ydiag *g)
{
    cm_tech tmp;
    uint64_t h = CM_FNV_OFFSET;
    memset(&tmp, 0, sizeof tmp);
    if (load_rec(path, &tmp, 0, &h, g))
        return -1;
    snprintf(tmp.hash, sizeof tmp.hash, "%016" PRIx64, h);
    *t = tmp;
    return 0;
}

int tech_load_file(const char *path, cm_tech *t, char *err, size_t errlen)
{
    ydiag g;
    ydiag_init(&g);
    int rc = tech_load(path, t, &g);
    if (rc && err && errlen) {
        /* The lines joined by "; " into one. */
        size_t k = 0, kept = 0;
        err[0] = '\0';
        for (const char *l = ydiag_text(&g); *l && k + 1 < errlen; kept++) {
            size_t n = strcspn(l, "\n");
            int w = snprintf(err + k, errlen - k, "%s%.*s", k ? "; " : "", (int)n, l);
            if (w < 0)
                break;
            k += (size_t)w < errlen - k ? (size_t)w : errlen - k - 1;
            l += n + (l[n] == '\n');
        }
        if (g.nerr > (int)kept && k + 1 < errlen)
            snprintf(err + k, errlen - k, "; %d errors in all", g.nerr);
        if (!err[0])
            snprintf(err, errlen, "%s: error: cannot load the technology table", path);
    }
    ydiag_free(&g);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Files, bases, resolution                                            */


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
