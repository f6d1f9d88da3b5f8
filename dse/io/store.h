/*
 * store.h - from evaluated points (map_result) to database rows, for `dse
 * run` (and the fronts `dse reproduce` stores); tests/bench_db.c measures
 * exactly this path.  Two parts: the
 * canonical point string of each point, fast (store_fmt), and the row
 * (store_row), which then goes to a db_writer.
 */
#ifndef STORE_H
#define STORE_H

#include "db.h"
#include "map_search.h"

#include <stddef.h>
#include <stdint.h>

/* One point in STORE_CHECK_EVERY formatted from the cache is checked
 * against cm_point_format. */
#define STORE_CHECK_EVERY 1024

/*
 * cm_point_format costs about 3 us a point (snprintf per field), as much as
 * storing the point.  The part of the string before "/hw;" (workload and
 * matrices) depends only on the bytes of the cm_point before its bank map
 * and hardware, so it is formatted by cm_point_format once per algorithm
 * and kept, keyed by those bytes: the last one (a sweep visits the hardware
 * points of one algorithm together), then STORE_FMT_WAYS more in a table
 * indexed by a hash of the bytes (random orders); the hardware part is
 * written here.  Every cache miss compares the result with the whole
 * cm_point_format string, and so does one hit in STORE_CHECK_EVERY: on any
 * difference (cm_point_format changed its hardware grammar) the cache
 * switches itself off and every point is formatted by cm_point_format.
 */
#define STORE_FMT_WAYS 1024
#define STORE_PREFIX_MAX 768

typedef struct {
    size_t plen;      /* 0: empty slot */
    unsigned char src[offsetof(cm_point, map)]; /* what the prefix depends on */
    char prefix[STORE_PREFIX_MAX];
} store_fmt_way;

typedef struct {
    int valid;        /* buf holds the prefix of the src bytes below */
    int off;          /* the cache switched itself off */
    size_t plen;      /* bytes of buf before "/hw;" */
    uint64_t hits, misses;
    unsigned char src[offsetof(cm_point, map)];
    char buf[CM_POINT_MAXLEN];
    store_fmt_way *ways; /* STORE_FMT_WAYS, allocated at the first change */
} store_fmt;

void store_fmt_init(store_fmt *f);
void store_fmt_free(store_fmt *f);
/* The canonical string of pt, as cm_point_format writes it, in f->buf (valid
 * until the next call); *len (may be NULL) its length.  NULL when the point
 * cannot be formatted (or would not fit CM_POINT_MAXLEN). */
const char *store_fmt_point(store_fmt *f, const cm_point *pt, size_t *len);

/*
 * The row of an evaluated point: metrics when the model ran and accepted
 * it, NULL (unknown) otherwise, the rejection reason, descriptors.  point
 * is borrowed.  comps (room for DB_MAX_COMPS) receives the breakdown of a
 * modeled point; NULL: no breakdown rows.
 */
void store_row(db_row *row, const map_result *r, const char *point, db_comp *comps);

#endif
