/*
 * cm_acache.c - memo tables that make the analytical model fast in sweeps
 * (cm_accel.h): matrix geometries (keyed by the serialized matrix mapping,
 * P and L), per-stage results (keyed by geometry id, step, B, map and
 * counting budget), input-write chunk costs and SRAM costs.  Every table
 * stores its full key and compares it on lookup, so a hit returns exactly
 * what the computation would; collisions only overwrite (direct-mapped).
 */
#include "cm_stage.h"

#include <stdlib.h>
#include <string.h>

#define GEOM_SLOTS 8
#define KEY_MAX 192
#define STAGE_SLOTS (1 << 14)
#define CHUNK_SLOTS 4096
#define SRAM_SLOTS 1024

typedef struct {
    int used, klen;
    uint64_t id;
    int32_t key[KEY_MAX];
    cm_mgeom g;
} gslot;

typedef struct {
    int used, step, B, map;
    uint64_t id;
    int64_t budget;
    cm_stage_stats st;
} sslot;

typedef struct {
    int used;
    int64_t key[6], v[3];
} cslot;

typedef struct {
    int used, w, banks;
    const cm_tech *t;
    char hash[17], name[32];
    double bytes;
    cm_sram_cost c;
} mslot;

struct cm_acache {
    gslot g[GEOM_SLOTS];
    int gnext;
    uint64_t next_id;
    sslot *s;
    cslot ch[CHUNK_SLOTS];
    mslot m[SRAM_SLOTS];
    int64_t hits, misses;
};

cm_acache *cm_acache_new(void)
{
    cm_acache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->s = calloc(STAGE_SLOTS, sizeof *c->s);
    if (!c->s) {
        free(c);
        return NULL;
    }
    c->next_id = 1;
    return c;
}

void cm_acache_free(cm_acache *c)
{
    if (!c)
        return;
    free(c->s);
    free(c);
}

void cm_acache_counts(const cm_acache *c, int64_t *hits, int64_t *misses)
{
    *hits = c ? c->hits : 0;
    *misses = c ? c->misses : 0;
}

/* Hash combine with a full avalanche (murmur3 finalizer), so that keys
 * differing only in high bits (e.g. doubles) still spread over the table. */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Everything the geometry depends on, as integers. */
static int matmap_key(const cm_matmap *mm, int pes, int lanes, int32_t *k)
{
    int n = 0;
    const cm_format *f = &mm->fmt;
    int d = f->modes.d;
    if (d < 1 || d > CM_MAX_D || mm->order.n < 0 || mm->order.n > CM_NET_MAXF)
        return -1;
    k[n++] = (int32_t)f->kind;
    k[n++] = d;
    for (int i = 0; i < d; i++) {
        k[n++] = f->modes.m[i];
        k[n++] = f->modes.n[i];
    }
    if (f->kind == CM_TT) {
        for (int i = 0; i <= d; i++)
            k[n++] = f->tt_rank[i];
    } else if (f->kind == CM_HT) {
        const ht_tree *t = &f->tree;
        if (t->nnodes < 1 || t->nnodes > CM_MAX_NODES)
            return -1;
        k[n++] = t->d;
        k[n++] = t->nnodes;
        k[n++] = t->root;
        for (int i = 0; i < t->nnodes; i++) {
            k[n++] = t->left[i];
            k[n++] = t->right[i];
            k[n++] = t->rank[i];
        }
    }
    k[n++] = mm->order.n;
    for (int i = 0; i < mm->order.n; i++) {
        k[n++] = mm->order.f[i];
        k[n++] = (int32_t)mm->df[i];
    }
    k[n++] = pes;
    k[n++] = lanes;
    return n;
}

const cm_mgeom *cm_acache_geom(cm_acache *c, const char *name, const cm_matmap *mm, int pes,
                               int lanes, const cm_mgeom *keep, uint64_t *id, char *err,
                               size_t errlen)
{
    int32_t key[KEY_MAX];
    int n = matmap_key(mm, pes, lanes, key);
    if (n < 0) {
        cm_fail(err, errlen, "%s: malformed format or order", name);
        return NULL;
    }
    for (int i = 0; i < GEOM_SLOTS; i++) {
        gslot *g = &c->g[i];
        if (g->used && g->klen == n && !memcmp(g->key, key, (size_t)n * sizeof key[0])) {
            c->hits++;
            *id = g->id;
            return &g->g;
        }
    }
    c->misses++;
    if (cm_matmap_check(name, mm, err, errlen) < 0)
        return NULL;
    if (&c->g[c->gnext].g == keep)
        c->gnext = (c->gnext + 1) % GEOM_SLOTS;
    gslot *g = &c->g[c->gnext];
    g->used = 0;
    if (cm_mgeom_build(mm, pes, lanes, &g->g, err, errlen) < 0)
        return NULL;
    c->gnext = (c->gnext + 1) % GEOM_SLOTS;
    g->used = 1;
    g->klen = n;
    memcpy(g->key, key, (size_t)n * sizeof key[0]);
    g->id = c->next_id++;
    *id = g->id;
    return &g->g;
}

static sslot *stage_slot(cm_acache *c, uint64_t id, int step, int B, int map, int64_t budget)
{
    uint64_t h = mix(mix(mix(mix(mix(0, id), (uint64_t)step), (uint64_t)B), (uint64_t)map),
                     (uint64_t)budget);
    return &c->s[h & (STAGE_SLOTS - 1)];
}

int cm_acache_stage_get(cm_acache *c, uint64_t id, int step, int B, int map, int64_t budget,
                        cm_stage_stats *out)
{
    sslot *s = stage_slot(c, id, step, B, map, budget);
    if (s->used && s->id == id && s->step == step && s->B == B && s->map == map &&
        s->budget == budget) {
        c->hits++;
        *out = s->st;
        return 1;
    }
    c->misses++;
    return 0;
}

void cm_acache_stage_put(cm_acache *c, uint64_t id, int step, int B, int map, int64_t budget,
                         const cm_stage_stats *st)
{
    sslot *s = stage_slot(c, id, step, B, map, budget);
    s->used = 1;
    s->id = id;
    s->step = step;
    s->B = B;
    s->map = map;
    s->budget = budget;
    s->st = *st;
}

static cslot *chunk_slot(cm_acache *c, const int64_t key[6])
{
    uint64_t h = 0;
    for (int i = 0; i < 6; i++)
        h = mix(h, (uint64_t)key[i]);
    return &c->ch[h & (CHUNK_SLOTS - 1)];
}

int cm_acache_chunks_get(cm_acache *c, const int64_t key[6], int64_t v[3])
{
    cslot *s = chunk_slot(c, key);
    if (s->used && !memcmp(s->key, key, sizeof s->key)) {
        c->hits++;
        memcpy(v, s->v, sizeof s->v);
        return 1;
    }
    c->misses++;
    return 0;
}

void cm_acache_chunks_put(cm_acache *c, const int64_t key[6], const int64_t v[3])
{
    cslot *s = chunk_slot(c, key);
    s->used = 1;
    memcpy(s->key, key, sizeof s->key);
    memcpy(s->v, v, sizeof s->v);
}

cm_sram_cost cm_acache_sram(cm_acache *c, const cm_tech *tech, double bytes, int word_bits,
                            int banks)
{
    if (!c)
        return cm_tech_sram(tech, bytes, word_bits, banks);
    uint64_t bb;
    memcpy(&bb, &bytes, sizeof bb);
    uint64_t h = mix(mix(mix(mix(0, (uint64_t)(uintptr_t)tech), bb), (uint64_t)word_bits),
                     (uint64_t)banks);
    mslot *m = &c->m[h & (SRAM_SLOTS - 1)];
    if (m->used && m->t == tech && m->bytes == bytes && m->w == word_bits && m->banks == banks &&
        !strncmp(m->hash, tech->hash, sizeof m->hash) &&
        !strncmp(m->name, tech->name, sizeof m->name)) {
        c->hits++;
        return m->c;
    }
    c->misses++;
    m->used = 1;
    m->t = tech;
    m->bytes = bytes;
    m->w = word_bits;
    m->banks = banks;
    memcpy(m->hash, tech->hash, sizeof m->hash);
    memcpy(m->name, tech->name, sizeof m->name);
    m->c = cm_tech_sram(tech, bytes, word_bits, banks);
    return m->c;
}
