/*
 * db_key.c - point keys (db.h, schemas/results.sql): the on-disk 63-bit key
 * hash of a point string (version 2, and version 1 for reading old files),
 * probing past keys taken by other strings, and the point lookups built on
 * it (db_point_id, db_has_point), with the point count and walk of resume
 * (a run's points: stored by it or shared, table run_point).
 * The hashes are part of the schema version: never change them within one.
 */
#include "db_int.h"

#include "cm_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Version 1 key: FNV-1a 64 of the string, the murmur3 finalizer, >> 1. */
static int64_t key_v1(const char *point)
{
    /* fmix64 because FNV's low bits mix poorly */
    uint64_t h = cm_fmix64(cm_fnv1a(CM_FNV_OFFSET, point, strlen(point)));
    return (int64_t)(h >> 1);
}

/* Little-endian 8 bytes, whatever the host (compilers make it one load). */
static uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/* 64-bit hash of n bytes: MurmurHash3 x64's mixing on one lane of
 * little-endian words, its finalizer at the end (8 bytes a step, faster than
 * FNV over point strings). */
static uint64_t hash64(const unsigned char *p, size_t n, uint64_t seed)
{
    const uint64_t c1 = 0x87c37b91114253d5ull, c2 = 0x4cf5ad432745937full;
    uint64_t h = seed, k;
    size_t len = n;
    for (; n >= 8; p += 8, n -= 8) {
        k = cm_rotl64(load_le64(p) * c1, 31) * c2;
        h = cm_rotl64(h ^ k, 27) * 5 + 0x52dce729;
    }
    k = 0;
    for (size_t i = 0; i < n; i++)
        k |= (uint64_t)p[i] << (8 * i);
    h ^= cm_rotl64(k * c1, 31) * c2;
    return cm_fmix64(h ^ (uint64_t)len);
}

/* Version 2 key (db.h): 31 bits of the part before the last '/', 32 of the
 * rest seeded with the former. */
/* hi: the hash of the string up to its last '/' (the algorithm part of a
 * point), which the key's high bits are made of. */
static int64_t key_v2_hi(const char *point, size_t len, uint64_t *hi_out)
{
    const unsigned char *p = (const unsigned char *)point;
    const char *slash = strrchr(point, '/');
    size_t cut = slash ? (size_t)(slash - point) : 0; /* the '/' goes with the rest */
    uint64_t hi = hash64(p, cut, 0x46444854u);
    uint64_t lo = hash64(p + cut, len - cut, hi);
    *hi_out = hi;
    return (int64_t)((hi >> 33) << 32 | lo >> 32);
}

static int64_t key_v2(const char *point, size_t len)
{
    uint64_t hi;
    return key_v2_hi(point, len, &hi);
}

int64_t dbi_keys_of(const db_conn *d, const char *point, size_t len, int64_t *akey)
{
    uint64_t hi;
    int64_t k = key_v2_hi(point, len, &hi);
    *akey = (int64_t)hi;
    return d->version == 1 ? dbi_key_of(d, point, len) : k;
}

int64_t db_point_key(const char *point) { return key_v2(point, strlen(point)); }

/* The key under the file's schema version (1: the old hash). */
int64_t dbi_key_of(const db_conn *d, const char *point, size_t len)
{
    return d->version == 1 ? key_v1(point) : key_v2(point, len);
}

static int64_t next_key(int64_t k) { return k == INT64_MAX ? 0 : k + 1; }

/* Probes from key k, the point's own (db_int.h). */
int dbi_probe(db_conn *d, const char *point, int64_t k, int *found, int64_t *id,
              int64_t *free_key, char *err, size_t errlen)
{
    if (dbi_prepare(d, &d->key_point, "SELECT id, point, run_id FROM point WHERE key = ?1", err,
                    errlen))
        return -1;
    for (;;) {
        sqlite3_bind_int64(d->key_point, 1, k);
        int rc = sqlite3_step(d->key_point);
        if (rc == SQLITE_DONE) {
            sqlite3_reset(d->key_point);
            *found = 0;
            *free_key = k;
            return 0;
        }
        if (rc != SQLITE_ROW) {
            sqlite3_reset(d->key_point);
            return dbi_sqlfail(d, err, errlen, "cannot look up a point");
        }
        int same = !strcmp((const char *)sqlite3_column_text(d->key_point, 1), point);
        if (same && id)
            *id = sqlite3_column_int64(d->key_point, 0);
        if (same) /* read with the row anyway: run membership needs no lookup */
            d->probe_run = sqlite3_column_int64(d->key_point, 2);
        sqlite3_reset(d->key_point);
        if (same) {
            *found = 1;
            return 0;
        }
        k = next_key(k); /* a hash collision: keep probing */
    }
}

/* Inserts at the first free key from key on (db_int.h). */
int dbi_insert_point_key(db_conn *d, sqlite3_stmt *ins, const char *point, int64_t key,
                         int64_t *id, char *err, size_t errlen)
{
    /* Fast path: the hash key is free (the usual case of a new point). */
    sqlite3_bind_int64(ins, 1, key);
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot store a point");
    if (sqlite3_changes(d->h)) {
        *id = sqlite3_last_insert_rowid(d->h);
        return 1;
    }
    /* The key is taken: by this point (a repeat), or by a collision. */
    int found;
    int64_t k;
    if (dbi_probe(d, point, key, &found, id, &k, err, errlen))
        return -1;
    if (found)
        return 0;
    sqlite3_bind_int64(ins, 1, k);
    rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE || sqlite3_changes(d->h) != 1)
        return dbi_sqlfail(d, err, errlen, "cannot store a point");
    *id = sqlite3_last_insert_rowid(d->h);
    return 1;
}

int db_point_id(db_conn *d, const char *point, int64_t *id, char *err, size_t errlen)
{
    int found;
    int64_t k, tmp;
    if (dbi_probe(d, point, dbi_key_of(d, point, strlen(point)), &found, id ? id : &tmp, &k,
                  err, errlen))
        return -1;
    return found;
}

int db_has_point(db_conn *d, const char *point, char *err, size_t errlen)
{
    return db_point_id(d, point, NULL, err, errlen);
}

/* "SELECT what FROM point WHERE 1<the points of run_id> tail" into sql. */
static int run_sql(db_conn *d, int64_t run_id, const char *what, const char *tail, char *sql,
                   size_t len, char *err, size_t errlen)
{
    char pk[256];
    if (dbi_pick_sql(d, run_id != 0, 0, pk, sizeof pk, err, errlen))
        return -1;
    snprintf(sql, len, "SELECT %s FROM point WHERE 1%s%s", what, pk, tail);
    return 0;
}

int db_point_count(db_conn *d, int64_t run_id, int64_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char sql[512];
    if (run_sql(d, run_id, "count(*)", "", sql, sizeof sql, err, errlen) ||
        dbi_prepare(d, &st, sql, err, errlen))
        return -1;
    if (run_id)
        sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return dbi_sqlfail(d, err, errlen, "cannot count points");
    return 0;
}

int db_each_point(db_conn *d, int64_t run_id, int (*fn)(const char *point, void *ctx),
                  void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char sql[512];
    if (run_sql(d, run_id, "point", " ORDER BY id", sql, sizeof sql, err, errlen) ||
        dbi_prepare(d, &st, sql, err, errlen))
        return -1;
    if (run_id)
        sqlite3_bind_int64(st, 1, run_id);
    int rc, ret = dbi_each_text(st, fn, ctx, &rc);
    return ret == -1 && rc != SQLITE_OK ? dbi_sqlfail(d, err, errlen, "cannot read points") : ret;
}
