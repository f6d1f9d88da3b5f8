/*
 * cm_acache.c - memo tables that make the analytical model fast in sweeps
 * (cm_accel.h; the model's side in cm_acache_impl.h): matrix geometries
 * (keyed by the serialized matrix mapping, P and L), the stage results of
 * the last matrix per role, input-write chunk costs, SRAM costs, and the results of the analytical model's
 * counting calls keyed by their canonical content (cm_acache_count_*:
 * shared by every algorithm, P and L whose access pattern reduces to the
 * same residues; a small table of recent keys in front of a large one,
 * because a sweep asks for the same few keys over and over while the large
 * table does not fit the caches).  Every table stores its full key and
 * compares it on lookup, so a hit returns exactly what the computation
 * would; collisions only overwrite, and the content table is emptied when
 * it reaches its size limit.
 */
#include "cm_acache_impl.h"
#include "cm_hash.h"

#include <stdlib.h>
#include <string.h>

#define GEOM_SLOTS 64
#define KEY_MAX 192
#define CHUNK_SLOTS 4096
#define SRAM_SLOTS 1024

typedef struct {
    int used, klen;
    uint64_t id, h;
    int32_t key[KEY_MAX];
    cm_mgeom g;
} gslot;

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

/* Content-keyed counts: open addressing over `cap` slots, keys in an arena. */
#define COUNT_MAX_ENTRIES (1 << 18) /* 2^19 slots of 40 bytes at most */
typedef struct {
    uint64_t h;             /* 0: empty */
    uint32_t off, len;      /* key = arena[off .. off + len) */
    int64_t v[CM_ACACHE_NV];
} kslot;

typedef struct {
    kslot *slot;
    size_t cap, n;
    int64_t *arena;
    size_t alen, acap;
} ktable;

/* Recent content keys, inline (no second cache miss for the compare). */
#define RECENT_SLOTS 4096
#define RECENT_KEYMAX 24
typedef struct {
    uint64_t h;                /* 0: empty */
    int len;
    int64_t v[CM_ACACHE_NV];
    int64_t key[RECENT_KEYMAX];
} rslot;

/* The last geometry returned per matrix role (wx, wh): consecutive points
 * of a sweep differ in hardware only, so one memcmp usually finds it. */
typedef struct {
    int valid, pes, lanes, slot;
    uint64_t id;
    cm_matmap mm;
} glast;

/* The stage results of the last matrix evaluated per role: points that
 * differ only in what the counts do not depend on (working-memory size,
 * clock) take them in one copy. */
typedef struct {
    int valid, B, map, n;
    uint64_t id;
    int64_t budget;
    cm_stage_stats st[CM_NET_MAXF];
} mlast;

struct cm_acache {
    gslot g[GEOM_SLOTS];
    glast last[2];
    mlast mat[2];
    int gnext;
    uint64_t next_id;
    cslot ch[CHUNK_SLOTS];
    mslot m[SRAM_SLOTS];
    ktable k;
    rslot *recent;          /* RECENT_SLOTS, direct-mapped by key hash */
    void *scratch;          /* the analytical model's counting context */
    size_t scratch_size;
    int64_t hits, misses;
};

cm_acache *cm_acache_new(void)
{
    cm_acache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->next_id = 1;
    return c;
}

void cm_acache_free(cm_acache *c)
{
    if (!c)
        return;
    free(c->scratch);
    free(c->recent);
    free(c->k.slot);
    free(c->k.arena);
    free(c);
}

void cm_acache_counts(const cm_acache *c, int64_t *hits, int64_t *misses)
{
    *hits = c ? c->hits : 0;
    *misses = c ? c->misses : 0;
}

/* Hash combine with a full avalanche, so that keys differing only in high
 * bits (e.g. doubles) still spread over the table. */
static uint64_t mix(uint64_t h, uint64_t v) { return cm_hash_combine(h, v); }

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

/* a and b have the same geometry key (matmap_key's fields, compared in
 * place: only the used entries, so unused tails may hold anything). */
static int matmap_same(const cm_matmap *a, const cm_matmap *b)
{
    const cm_format *f = &a->fmt, *g = &b->fmt;
    int d = f->modes.d;
    if (f->kind != g->kind || d != g->modes.d || d < 1 || d > CM_MAX_D ||
        a->order.n != b->order.n || a->order.n < 0 || a->order.n > CM_NET_MAXF)
        return 0;
    for (int i = 0; i < d; i++)
        if (f->modes.m[i] != g->modes.m[i] || f->modes.n[i] != g->modes.n[i])
            return 0;
    if (f->kind == CM_TT) {
        for (int i = 0; i <= d; i++)
            if (f->tt_rank[i] != g->tt_rank[i])
                return 0;
    } else if (f->kind == CM_HT) {
        const ht_tree *t = &f->tree, *u = &g->tree;
        if (t->d != u->d || t->nnodes != u->nnodes || t->root != u->root || t->nnodes < 1 ||
            t->nnodes > CM_MAX_NODES)
            return 0;
        for (int i = 0; i < t->nnodes; i++)
            if (t->left[i] != u->left[i] || t->right[i] != u->right[i] ||
                t->rank[i] != u->rank[i])
                return 0;
    }
    for (int i = 0; i < a->order.n; i++)
        if (a->order.f[i] != b->order.f[i] || a->df[i] != b->df[i])
            return 0;
    return 1;
}

/* The geometry in slot i for role `role`, remembered as the last one. */
static const cm_mgeom *geom_hit(cm_acache *c, int role, const cm_matmap *mm, int pes, int lanes,
                                int i, uint64_t *id)
{
    glast *l = &c->last[role];
    l->valid = 1;
    l->pes = pes;
    l->lanes = lanes;
    l->slot = i;
    l->id = c->g[i].id;
    memcpy(&l->mm, mm, sizeof *mm);
    *id = c->g[i].id;
    return &c->g[i].g;
}

const cm_mgeom *cm_acache_geom(cm_acache *c, const char *name, const cm_matmap *mm,
                               const cm_net *net, int pes, int lanes, const cm_mgeom *keep,
                               uint64_t *id, char *err, size_t errlen)
{
    int role = keep != NULL; /* the second matrix of a point passes the first as keep */
    const glast *l = &c->last[role];
    if (l->valid && l->pes == pes && l->lanes == lanes && c->g[l->slot].used &&
        c->g[l->slot].id == l->id && matmap_same(&l->mm, mm)) {
        c->hits++;
        *id = l->id;
        return &c->g[l->slot].g;
    }
    int32_t key[KEY_MAX];
    int n = matmap_key(mm, pes, lanes, key);
    if (n < 0) {
        cm_fail(err, errlen, "%s: malformed format or order", name);
        return NULL;
    }
    uint64_t h = 0;
    for (int i = 0; i < n; i++)
        h = mix(h, (uint64_t)(uint32_t)key[i]);
    for (int i = 0; i < GEOM_SLOTS; i++) {
        gslot *g = &c->g[i];
        if (g->used && g->h == h && g->klen == n &&
            !memcmp(g->key, key, (size_t)n * sizeof key[0])) {
            c->hits++;
            return geom_hit(c, role, mm, pes, lanes, i, id);
        }
    }
    c->misses++;
    /* the last matrix of this role on other PEs or lanes: checked already,
     * and only its blockings differ */
    const cm_mgeom *twin = NULL;
    if (l->valid && c->g[l->slot].used && c->g[l->slot].id == l->id && matmap_same(&l->mm, mm))
        twin = &c->g[l->slot].g;
    cm_net own; /* built and checked once, for the check and the geometry */
    if (!twin && net && cm_matmap_check_built(name, mm, net, err, errlen) < 0)
        return NULL;
    if (!twin && !net) {
        if (cm_matmap_check_net(name, mm, &own, err, errlen) < 0)
            return NULL;
        net = &own;
    }
    while (&c->g[c->gnext].g == keep || &c->g[c->gnext].g == twin)
        c->gnext = (c->gnext + 1) % GEOM_SLOTS;
    gslot *g = &c->g[c->gnext];
    g->used = 0;
    if (twin)
        cm_mgeom_reblock(twin, pes, lanes, &g->g);
    else
        cm_mgeom_from_net(mm, net, pes, lanes, &g->g);
    c->gnext = (c->gnext + 1) % GEOM_SLOTS;
    g->used = 1;
    g->h = h;
    g->klen = n;
    memcpy(g->key, key, (size_t)n * sizeof key[0]);
    g->id = c->next_id++;
    return geom_hit(c, role, mm, pes, lanes, (int)(g - c->g), id);
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
    /* the hash is of the table's source, name included */
    if (m->used && m->t == tech && m->bytes == bytes && m->w == word_bits && m->banks == banks &&
        !memcmp(m->hash, tech->hash, sizeof m->hash)) {
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

/* ---- content-keyed counts ---- */

/* One multiply per word, one avalanche at the end: keys are long. */
static uint64_t key_hash(const int64_t *key, int n)
{
    uint64_t h = mix(cm_hash_i64(key, n), 0);
    return h ? h : 1; /* 0 marks an empty slot */
}

static kslot *kfind(const ktable *t, uint64_t h, const int64_t *key, int n)
{
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        kslot *s = &t->slot[i];
        if (!s->h)
            return s;
        if (s->h == h && s->len == (uint32_t)n &&
            !memcmp(t->arena + s->off, key, (size_t)n * sizeof *key))
            return s;
    }
}

static rslot *recent_slot(cm_acache *c, uint64_t h)
{
    if (!c->recent && !(c->recent = calloc(RECENT_SLOTS, sizeof *c->recent)))
        return NULL;
    return &c->recent[(h >> 7) & (RECENT_SLOTS - 1)];
}

static void recent_put(cm_acache *c, uint64_t h, const int64_t *key, int n, const int64_t *v)
{
    rslot *r = n <= RECENT_KEYMAX ? recent_slot(c, h) : NULL;
    if (!r)
        return;
    r->h = h;
    r->len = n;
    memcpy(r->key, key, (size_t)n * sizeof *key);
    memcpy(r->v, v, sizeof r->v);
}

int cm_acache_count_get(cm_acache *c, const int64_t *key, int n, int64_t v[CM_ACACHE_NV])
{
    uint64_t h = key_hash(key, n);
    rslot *r = n <= RECENT_KEYMAX ? recent_slot(c, h) : NULL;
    if (r && r->h == h && r->len == n && !memcmp(r->key, key, (size_t)n * sizeof *key)) {
        c->hits++;
        memcpy(v, r->v, sizeof r->v);
        return 1;
    }
    kslot *s = c->k.cap ? kfind(&c->k, h, key, n) : NULL;
    if (!s || !s->h) {
        c->misses++;
        return 0;
    }
    c->hits++;
    memcpy(v, s->v, sizeof s->v);
    recent_put(c, h, key, n, v);
    return 1;
}

static void ktable_clear(ktable *t)
{
    if (t->slot)
        memset(t->slot, 0, t->cap * sizeof *t->slot);
    t->n = 0;
    t->alen = 0;
}

/* Doubles the slot array (load <= 1/2); returns -1 when out of memory. */
static int ktable_grow(ktable *t)
{
    size_t cap = t->cap ? 2 * t->cap : 4096;
    kslot *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        kslot *o = &t->slot[i];
        if (!o->h)
            continue;
        size_t j = o->h & (cap - 1);
        while (ns[j].h)
            j = (j + 1) & (cap - 1);
        ns[j] = *o;
    }
    free(t->slot);
    t->slot = ns;
    t->cap = cap;
    return 0;
}

void cm_acache_count_put(cm_acache *c, const int64_t *key, int n, const int64_t v[CM_ACACHE_NV])
{
    ktable *t = &c->k;
    if (t->n >= COUNT_MAX_ENTRIES)
        ktable_clear(t); /* a memo, not a store: start over rather than grow forever */
    if ((t->n + 1) * 2 > t->cap && ktable_grow(t) < 0)
        return;
    if (t->alen + (size_t)n > t->acap) {
        size_t cap = t->acap ? 2 * t->acap : 65536;
        while (cap < t->alen + (size_t)n)
            cap *= 2;
        int64_t *na = realloc(t->arena, cap * sizeof *na);
        if (!na)
            return;
        t->arena = na;
        t->acap = cap;
    }
    uint64_t h = key_hash(key, n);
    kslot *s = kfind(t, h, key, n);
    if (!s->h) {
        s->h = h;
        s->off = (uint32_t)t->alen;
        s->len = (uint32_t)n;
        memcpy(t->arena + t->alen, key, (size_t)n * sizeof *key);
        t->alen += (size_t)n;
        t->n++;
    }
    memcpy(s->v, v, sizeof s->v);
    recent_put(c, h, key, n, v);
}

void *cm_acache_scratch(cm_acache *c, size_t size)
{
    if (c->scratch_size < size) {
        void *n = calloc(1, size);
        if (!n)
            return NULL;
        free(c->scratch);
        c->scratch = n;
        c->scratch_size = size;
    }
    return c->scratch;
}

int cm_acache_mat_get(cm_acache *c, int role, uint64_t id, int B, int map, int64_t budget,
                      cm_stage_stats *st, int n)
{
    const mlast *m = &c->mat[role & 1];
    if (!m->valid || m->id != id || m->B != B || m->map != map || m->budget != budget ||
        m->n != n)
        return 0;
    c->hits++;
    memcpy(st, m->st, (size_t)n * sizeof *st);
    return 1;
}

void cm_acache_mat_put(cm_acache *c, int role, uint64_t id, int B, int map, int64_t budget,
                       const cm_stage_stats *st, int n)
{
    mlast *m = &c->mat[role & 1];
    if (n < 0 || n > CM_NET_MAXF)
        return;
    m->valid = 1;
    m->id = id;
    m->B = B;
    m->map = map;
    m->budget = budget;
    m->n = n;
    memcpy(m->st, st, (size_t)n * sizeof *st);
}
