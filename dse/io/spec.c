/*
 * spec.c - loading a sweep spec: the file is read and parsed by the
 * document layer (ydoc.h), checked against the embedded schema
 * (schemas/spec.schema.yaml, yschema.h), then converted into the mapper's
 * space definition (spec_space.c) and the run options (here), with the
 * semantic checks a schema cannot express.  Every problem becomes one line
 * "FILE:LINE:COL: error: KEY: WHAT WAS EXPECTED" in a spec_diag; the caller
 * exits 2 before any work.  Everything a spec points to lives in its arena.
 */
#include "spec_int.h"
#include "spec_ref.h"
#include "valparse.h"
#include "yschema.h"
#include "cm_hash.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const char embed_spec_schema_yaml[];
extern const unsigned long embed_spec_schema_yaml_len;

/* ------------------------------------------------------------------ */
/* Diagnostics                                                          */
/* ------------------------------------------------------------------ */

void spec_diag_init(spec_diag *g) { ydiag_init(g); }
void spec_diag_free(spec_diag *g) { ydiag_free(g); }
const char *spec_diag_text(const spec_diag *g) { return ydiag_text(g); }

void spec_diag_add(spec_diag *g, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ydiag_add(g, "%s", line);
}

/* ------------------------------------------------------------------ */
/* Conversion helpers (spec_int.h)                                      */
/* ------------------------------------------------------------------ */

map_src spec_src_of(conv *v, const ynode *n)
{
    if (!n || v->nsrc == SPEC_MAX_SRC)
        return -1;
    v->src[v->nsrc] = n;
    return v->nsrc++;
}

void *spec_alloc(conv *v, size_t n)
{
    void *p = yarena_alloc(v->s->arena, n ? n : 1);
    if (!p) {
        v->c->diag->internal = 1;
        spec_diag_add(v->c->diag, "%s: error: out of memory", v->c->file);
    }
    return p;
}

long long spec_ival(const ynode *n)
{
    long long x = 0;
    yn_int(n, &x);
    return x;
}

double spec_nval(const ynode *n)
{
    double x = 0;
    yn_num(n, &x);
    return x;
}

/* ------------------------------------------------------------------ */
/* The run options                                                      */
/* ------------------------------------------------------------------ */

/* Directory of the spec file joined with a relative path. */
char *spec_rel_path(conv *v, const char *p)
{
    const char *base = v->s->path ? v->s->path : "";
    const char *slash = strrchr(base, '/');
    size_t dl = (p[0] != '/' && slash) ? (size_t)(slash - base + 1) : 0;
    char *r = spec_alloc(v, dl + strlen(p) + 1);
    if (r) {
        memcpy(r, base, dl);
        strcpy(r + dl, p);
    }
    return r;
}

/* reference: {train: DIR}: the dense weights `dse train --save DIR` wrote. */
static int conv_ref_train(conv *v, const ynode *tr)
{
    spec *s = v->s;
    char err[CM_ERRLEN], *dir = spec_rel_path(v, tr->text);
    if (!dir)
        return -1;
    size_t n = strlen(dir) + sizeof SPEC_REF_TRAIN_WX + 2;
    if (spec_ref_train_check(dir, s->def.n_in, s->def.hidden, err, sizeof err)) {
        ERR(v->c, tr, "%s", err);
        return -1;
    }
    s->ref_npy = spec_alloc(v, n);
    s->ref_npy_wh = spec_alloc(v, n);
    if (!s->ref_npy || !s->ref_npy_wh)
        return -1;
    snprintf(s->ref_npy, n, "%s/%s", dir, SPEC_REF_TRAIN_WX);
    snprintf(s->ref_npy_wh, n, "%s/%s", dir, SPEC_REF_TRAIN_WH);
    return 0;
}

static int conv_reference(conv *v, const ynode *n)
{
    spec *s = v->s;
    const ynode *npy, *syn, *tr, *x;
    if (!n)
        return 0;
    npy = ymap_get(n, "npy");
    syn = ymap_get(n, "synthetic");
    tr = ymap_get(n, "train");
    if ((npy != NULL) + (syn != NULL) + (tr != NULL) != 1) {
        ERR(v->c, n, "give exactly one of npy (a weight file), train (a dse train --save "
                     "directory) or synthetic (gaussian, decay)");
        return -1;
    }
    if ((x = ymap_get(n, "seed")) && !syn) {
        ERRK(v->c, x, "seed applies to a synthetic reference only");
        return -1;
    }
    if ((x = ymap_get(n, "npy_wh")) && !npy) {
        ERRK(v->c, x, "npy_wh goes with npy");
        return -1;
    }
    s->has_ref = 1;
    if (syn) {
        snprintf(s->ref_synth, sizeof s->ref_synth, "%s", syn->text);
        s->ref_seed = (x = ymap_get(n, "seed")) ? (uint64_t)spec_ival(x) : 1;
        return 0;
    }
    if (tr) {
        if (conv_ref_train(v, tr))
            return -1;
        npy = tr; /* the files' errors at the directory */
    } else {
        s->ref_npy = spec_rel_path(v, npy->text);
        if ((x = ymap_get(n, "npy_wh")))
            s->ref_npy_wh = spec_rel_path(v, x->text);
    }
    struct stat st;
    if (s->ref_npy && stat(s->ref_npy, &st)) {
        ERR(v->c, npy, "cannot read %s: %s", s->ref_npy, strerror(errno));
        return -1;
    }
    if (s->ref_npy_wh && stat(s->ref_npy_wh, &st)) {
        ERR(v->c, tr ? tr : ymap_get(n, "npy_wh"), "cannot read %s: %s", s->ref_npy_wh,
            strerror(errno));
        return -1;
    }
    return s->ref_npy ? 0 : -1;
}

static int conv_search(conv *v, const ynode *n)
{
    spec *s = v->s;
    map_search_opts *o = &s->search;
    const ynode *x;
    memset(o, 0, sizeof *o);
    o->strategy = MAP_EXHAUSTIVE;
    o->seed = 1;
    o->shard_n = 1;
    s->batch = 4096;
    if ((x = ymap_get(n, "strategy")))
        map_strategy_parse(x->text, &o->strategy);
    if ((x = ymap_get(n, "seed"))) {
        o->seed = (uint64_t)spec_ival(x);
        s->seed_given = 1;
    }
    if ((x = ymap_get(n, "budget"))) {
        if (o->strategy == MAP_EXHAUSTIVE) {
            ERRK(v->c, x, "budget applies to the random and guided strategies; exhaustive "
                 "evaluates the whole space");
            return -1;
        }
        o->budget = (uint64_t)spec_ival(x);
    }
    if ((x = ymap_get(n, "time_limit")))
        s->time_limit = spec_nval(x);
    if ((x = ymap_get(n, "batch")))
        s->batch = (int)spec_ival(x);
    const ynode *obj = ymap_get(n, "objectives");
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
        int acc = spec_acc_objective(v, x);
        if (acc < 0)
            return -1;
        if (acc)
            continue;
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
            ysuggest(base, cand, MAP_M_COUNT, sug, sizeof sug);
            ERR(v->c, x, "expected an objective like energy_pj or throughput_fps:max "
                "(params, macs, cycles, latency, area_mm2, energy_pj, power_mw, "
                "throughput_fps, area_eff, energy_eff, utilization, err_upper, err_lower, "
                "conflicts, stall_cycles, dram_bytes; accuracy:max with an accuracy section), "
                "got '%s'%s", x->text, sug);
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

static int conv_constraints(conv *v, const ynode *n)
{
    map_limits *l = &v->s->limits;
    const ynode *x;
    l->max_params = 0;
    l->max_area_mm2 = -1;
    l->max_error = -1;
    if ((x = ymap_get(n, "max_params")))
        l->max_params = spec_ival(x);
    if ((x = ymap_get(n, "max_area_mm2")))
        l->max_area_mm2 = spec_nval(x);
    if ((x = ymap_get(n, "max_error"))) {
        if (!v->s->has_ref) {
            ERRK(v->c, x, "max_error needs a reference weight (the reference key)");
            return -1;
        }
        l->max_error = spec_nval(x);
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

static int conv_all(conv *v, const ynode *root)
{
    spec *s = v->s;
    const ynode *x = ymap_get(root, "name");
    if (!name_ok(x->text)) {
        ERR(v->c, x, "expected a name of 1 to %d characters [A-Za-z0-9_.-], got '%s'",
            SPEC_NAME_MAX - 1, x->text);
        return -1;
    }
    snprintf(s->name, sizeof s->name, "%s", x->text);
    s->version = (int)spec_ival(ymap_get(root, "version"));
    if (spec_conv_workload(v, ymap_get(root, "workload")) || spec_conv_space(v, ymap_get(root, "space")) ||
        spec_conv_hardware(v, ymap_get(root, "hardware")) ||
        conv_reference(v, ymap_get(root, "reference")) ||
        conv_search(v, ymap_get(root, "search")) ||
        conv_constraints(v, ymap_get(root, "constraints")) ||
        spec_conv_accuracy(v, ymap_get(root, "accuracy")))
        return -1;
    const ynode *out = ymap_get(root, "output");
    if (out && (x = ymap_get(out, "db")))
        s->db_path = yarena_strndup(s->arena, x->text, x->len);
    return 0;
}

/* Expand the space; a failure is reported at the definition item. */
static int build_space(conv *v)
{
    char err[CM_ERRLEN];
    map_src bad = -1;
    const ynode *root = v->src[0];
    if (map_space_build(&v->s->def, &v->s->space, &bad, err, sizeof err)) {
        const ynode *at = (bad >= 0 && bad < v->nsrc) ? v->src[bad] : root;
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
static int check_version(ydoc *c, const ynode *root)
{
    const ynode *v = ymap_get(root, "version");
    long long x;
    if (!v)
        return 0; /* the schema reports it missing */
    if (yn_int(v, &x) == 1 && x != SPEC_VERSION) {
        ERR(c, v, "unsupported spec version %lld; this dse reads version %d", x, SPEC_VERSION);
        return -1;
    }
    return 0;
}

int spec_load_text(const char *name, const char *text, size_t len, spec **out, spec_diag *g)
{
    *out = NULL;
    spec *s = calloc(1, sizeof *s);
    yarena *sa = yarena_new();
    yschema *schema = NULL;
    ydoc c = {.file = name, .what = "spec",
              .expect = "a mapping with version, name, workload, space", .diag = g, .arena = sa};
    conv *v = calloc(1, sizeof *v);
    int rc = -1;
    if (s)
        s->arena = sa;
    if (!s || !sa || !v) {
        g->internal = 1;
        spec_diag_add(g, "%s: error: out of memory", name);
        goto out;
    }
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
    /* The embedded schema, parsed once per load (it is small). */
    schema = yschema_load("spec.schema.yaml", embed_spec_schema_yaml,
                          embed_spec_schema_yaml_len, g);
    if (!schema)
        goto out;
    const ynode *root = ydoc_parse(&c, text, len);
    if (!root || check_version(&c, root) || yschema_check(schema, &c, root))
        goto out;
    v->c = &c;
    v->s = s;
    spec_src_of(v, root);
    if (conv_all(v, root) || build_space(v))
        goto out;
    rc = 0;
out:
    yschema_free(schema);
    free(v);
    if (rc) {
        spec_free(s);
        if (!s)
            yarena_free(sa);
        return -1;
    }
    *out = s;
    return 0;
}

int spec_load_file(const char *path, spec **out, spec_diag *g)
{
    ydoc d = {.file = path, .what = "spec", .diag = g};
    char *buf;
    size_t n;
    *out = NULL;
    if (ydoc_read_file(&d, YDOC_MAX_BYTES, &buf, &n))
        return -1;
    int rc = spec_load_text(path, buf, n, out, g);
    free(buf);
    return rc;
}

void spec_free(spec *s)
{
    if (!s)
        return;
    map_space_free(&s->space);
    yarena_free(s->arena);
    free(s->text);
    free(s->path);
    free(s);
}

void spec_hash(const spec *s, uint64_t seed, char *buf)
{
    /* FNV-1a from 1469598103934665603, the offset basis short of its last
     * digit: run hashes in files depend on it, so it stays */
    uint64_t h = cm_fnv1a(UINT64_C(1469598103934665603), s->text, s->len);
    for (int i = 0; i < 8; i++)
        h = cm_fnv_step(h, (seed >> (8 * i)) & 0xffu);
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
    if (vp_long(a, 0, 1000000, &x) || vp_long(slash + 1, 1, 1000000, &y) || x >= y)
        return -1;
    *i = (uint64_t)x;
    *n = (uint64_t)y;
    return 0;
}
