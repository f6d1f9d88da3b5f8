/*
 * cm_acache_impl.h - the model's side of the evaluation cache (internal to
 * costmodel/accel: cm_accel.h shows callers only cm_acache_new / _free /
 * _counts): the geometry of a matrix mapping, built and checked once; the
 * stage results of the last matrix of each role; the input-write chunk
 * costs; the content-keyed counts of the analytical model; its scratch
 * buffer; the SRAM cost memo.  Implemented in cm_acache.c.
 */
#ifndef CM_ACACHE_IMPL_H
#define CM_ACACHE_IMPL_H

#include "cm_stage.h"

/* Geometry of a matrix mapping, built and checked on a miss (from net,
 * the network the caller built from mm->fmt, or when net is NULL from one
 * built here); *id is a unique id of this geometry (stage results are
 * keyed by it); a miss never evicts `keep` (the other matrix of the same
 * point).  NULL with err set when the matrix mapping is invalid or memory
 * is short. */
const cm_mgeom *cm_acache_geom(cm_acache *c, const char *name, const cm_matmap *mm,
                               const cm_net *net, int pes, int lanes, const cm_mgeom *keep,
                               uint64_t *id, char *err, size_t errlen);
/* All stage results of a matrix (role 0: wx, 1: wh) when they are those
 * of the last matrix of that role put: key (geometry id, B, map, budget),
 * n steps. */
int cm_acache_mat_get(cm_acache *c, int role, uint64_t id, int B, int map, int64_t budget,
                      cm_stage_stats *st, int n);
void cm_acache_mat_put(cm_acache *c, int role, uint64_t id, int B, int map, int64_t budget,
                       const cm_stage_stats *st, int n);
/* Input-write chunk costs: key (start, len, w, B, map, budget); v[3] = stall, conf, exact. */
int cm_acache_chunks_get(cm_acache *c, const int64_t key[6], int64_t v[3]);
void cm_acache_chunks_put(cm_acache *c, const int64_t key[6], const int64_t v[3]);
/* Results of a counting call keyed by its canonical content (an int64
 * key of n <= CM_ACACHE_KEYMAX words built by the caller): v = stall,
 * conflicts, exact. */
#define CM_ACACHE_NV 3
#define CM_ACACHE_KEYMAX 160
int cm_acache_count_get(cm_acache *c, const int64_t *key, int n, int64_t v[CM_ACACHE_NV]);
void cm_acache_count_put(cm_acache *c, const int64_t *key, int n, const int64_t v[CM_ACACHE_NV]);
/* One zeroed buffer of at least size bytes that lives as long as the cache
 * (the analytical model keeps its counting context there); NULL when out
 * of memory.  Its contents are the caller's business. */
void *cm_acache_scratch(cm_acache *c, size_t size);
/* SRAM cost through the memo (c may be NULL). */
cm_sram_cost cm_acache_sram(cm_acache *c, const cm_tech *tech, double bytes, int word_bits,
                            int banks);

#endif
