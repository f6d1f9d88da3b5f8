/*
 * db_insert.c - storing runs and design points (db.h): db_run_begin / end /
 * find, and db_insert_batch, which stores a batch atomically in the order
 * of the point keys (so that the key index fills in runs), DB_CHUNK rows a
 * statement, inside a write transaction committed every commit interval.
 * Points whose key is taken go through the probing of db_key.c; those
 * stored before by another run become the run's through table run_point.
 *
 * Speed comes from reusing prepared statements, transactions of many
 * batches (committed every few seconds), WAL with synchronous=NORMAL, a
 * 64 MB page cache (db_open.c), point keys that fill the key index in runs
 * (keys of one algorithm share their high bits, db_point_key, and every
 * batch is inserted in key order), and INSERTs of DB_CHUNK rows each.
 */
#include "db_int.h"

#include "cm_point.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- runs ---- */

int db_run_begin(db_conn *d, const db_run_info *ri, int64_t *run_id, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT INTO run(uuid, spec_text, spec_hash, seed, tool_version, tech_name, tech_hash,"
        " shard_i, shard_n, command, workload, started, status) VALUES"
        " (lower(hex(randomblob(16))), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
        " strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'running')";
    sqlite3_stmt *st = NULL;
    if (db_flush(d, err, errlen))
        return -1;
    if (ri->shard_n < 1 || ri->shard_i < 0 || ri->shard_i >= ri->shard_n)
        return cm_fail(err, errlen, "bad shard %d/%d", ri->shard_i, ri->shard_n);
    if (dbi_prepare(d, &st, sql, err, errlen))
        return -1;
    dbi_bind_text(st, 1, ri->spec_text);
    dbi_bind_text(st, 2, ri->spec_hash);
    sqlite3_bind_int64(st, 3, (int64_t)ri->seed); /* two's complement bits kept */
    dbi_bind_text(st, 4, ri->tool_version ? ri->tool_version : db_tool_version());
    dbi_bind_text(st, 5, ri->tech_name);
    dbi_bind_text(st, 6, ri->tech_hash);
    sqlite3_bind_int(st, 7, ri->shard_i);
    sqlite3_bind_int(st, 8, ri->shard_n);
    dbi_bind_text(st, 9, ri->command);
    dbi_bind_text(st, 10, ri->workload && *ri->workload ? ri->workload : NULL);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot store the run");
    *run_id = sqlite3_last_insert_rowid(d->h);
    return 0;
}

int db_run_end(db_conn *d, int64_t run_id, const char *status, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (db_flush(d, err, errlen))
        return -1;
    if (dbi_prepare(d, &st, "UPDATE run SET status = ?1, ended = strftime('%Y-%m-%dT%H:%M:%fZ',"
                            " 'now') WHERE id = ?2", err, errlen))
        return -1;
    dbi_bind_text(st, 1, status ? status : "done");
    sqlite3_bind_int64(st, 2, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot update the run");
    if (sqlite3_changes(d->h) != 1)
        return cm_fail(err, errlen, "%s: no run %lld", d->path, (long long)run_id);
    return 0;
}

int db_run_find(db_conn *d, const char *spec_hash, int shard_i, int shard_n,
                int64_t *run_id, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (dbi_prepare(d, &st, "SELECT id FROM run WHERE spec_hash IS ?1 AND shard_i = ?2"
                            " AND shard_n = ?3 ORDER BY id DESC LIMIT 1", err, errlen))
        return -1;
    dbi_bind_text(st, 1, spec_hash);
    sqlite3_bind_int(st, 2, shard_i);
    sqlite3_bind_int(st, 3, shard_n);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
    if (found)
        *run_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot read runs");
    return found;
}

/* Rows per statement of the bulk insert: one multi-row INSERT pays the
 * statement's fixed cost (cursors, savepoint journal) once for all. */
#define DB_CHUNK 8

/* ---- run membership ---- */

/* Only on the path of points stored before (probed): a sweep into a new
 * file never gets here, so its insert rate does not change.  One lookup of
 * the point by id (just probed: its page is in the cache) and, for a point
 * of another run, one row of a small WITHOUT ROWID table. */
int dbi_add_member(db_conn *d, int64_t run, int64_t point_id, char *err, size_t errlen)
{
    if (dbi_prepare(d, &d->ins_member,
                    "INSERT OR IGNORE INTO run_point(run_id, point_id) SELECT ?1, ?2"
                    " WHERE (SELECT run_id FROM point WHERE id = ?2) IS NOT ?1", err, errlen))
        return -1;
    sqlite3_bind_int64(d->ins_member, 1, run);
    sqlite3_bind_int64(d->ins_member, 2, point_id);
    int rc = sqlite3_step(d->ins_member);
    sqlite3_reset(d->ins_member);
    return rc == SQLITE_DONE ? 0 : dbi_sqlfail(d, err, errlen, "cannot store a run's point");
}

/*
 * The insert path's points stored before by another run (the probe that
 * found one read its run, d->probe_run: no lookup here), DB_CHUNK rows a
 * statement, as for points: a run that shares many points (all of them,
 * a spec run again under another workload name) pays one row each.
 */
typedef struct {
    int64_t id[DB_CHUNK];
    int n;
} member_buf;

static int members_flush(db_conn *d, int64_t run, member_buf *mb, char *err, size_t errlen)
{
    if (mb->n < DB_CHUNK) {
        for (int i = 0; i < mb->n; i++)
            if (dbi_add_member(d, run, mb->id[i], err, errlen))
                return -1;
        mb->n = 0;
        return 0;
    }
    if (!d->ins_members) {
        char sql[128 + 12 * DB_CHUNK];
        size_t u = (size_t)snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO run_point(run_id,"
                                    " point_id) VALUES ");
        for (int i = 0; i < DB_CHUNK; i++)
            u += (size_t)snprintf(sql + u, sizeof sql - u, "%s(?1, ?%d)", i ? ", " : "", i + 2);
        if (dbi_prepare(d, &d->ins_members, sql, err, errlen))
            return -1;
    }
    sqlite3_bind_int64(d->ins_members, 1, run);
    for (int i = 0; i < DB_CHUNK; i++)
        sqlite3_bind_int64(d->ins_members, i + 2, mb->id[i]);
    int rc = sqlite3_step(d->ins_members);
    sqlite3_reset(d->ins_members);
    mb->n = 0;
    return rc == SQLITE_DONE ? 0 : dbi_sqlfail(d, err, errlen, "cannot store a run's point");
}

/* Notes that the run evaluated point id, just found stored (by d->probe_run). */
static int members_add(db_conn *d, int64_t run, member_buf *mb, int64_t id, char *err,
                       size_t errlen)
{
    if (d->probe_run == run)
        return 0; /* its own (a repeat, or a resumed run) */
    mb->id[mb->n++] = id;
    return mb->n == DB_CHUNK ? members_flush(d, run, mb, err, errlen) : 0;
}

/* ---- points ---- */

void db_row_init(db_row *r, const char *point)
{
    memset(r, 0, sizeof *r);
    r->point = point;
    for (int i = 0; i < MAP_M_COUNT; i++)
        r->m[i] = NAN;
    r->freq_mhz = NAN;
    r->valid = 1;
}


/* The columns of a stored point, the metrics from map_metric.h: ?1 is the
 * key (bound while probing), the point string the last. */
#define METRIC_COL_(ID, name, dir, integer, what) ", " #name
static const char point_cols[] =
    "key, run_id" MAP_METRICS(METRIC_COL_) ", format, pes, lanes, banks, bits, freq_mhz,"
    " valid, reason, akey, point";
#undef METRIC_COL_
enum { NCOL = 2 + MAP_M_COUNT + 9 + 1 };

/* INSERT OR IGNORE of nrows rows (point_cols each) into buf. */
static int point_insert_sql(char *buf, size_t cap, int nrows)
{
    size_t len = (size_t)snprintf(buf, cap, "INSERT OR IGNORE INTO point(%s) VALUES ", point_cols);
    for (int k = 0; k < nrows && len + 4 * NCOL + 4 < cap; k++) {
        buf[len++] = k ? ',' : ' ';
        buf[len++] = '(';
        for (int c = 0; c < NCOL; c++) {
            buf[len++] = '?';
            buf[len++] = c < NCOL - 1 ? ',' : ')';
        }
    }
    buf[len] = '\0';
    return len + 4 * NCOL + 4 < cap ? 0 : -1;
}

/* The algorithm part of a point string: up to its last '/' (db_key.c
 * hashes the same part into algo.akey). */
static size_t algo_len(const char *point, size_t len)
{
    const char *slash = strrchr(point, '/');
    return slash ? (size_t)(slash - point) : len;
}

/* Binds every column of r but the key: parameters o + 2 .. o + NCOL (o = 0
 * for one row, NCOL k for row k of a chunk). */
static void bind_row(sqlite3_stmt *st, int o, int64_t run_id, const db_row *r, size_t len,
                     int64_t akey)
{
    int p = o + 2;
    sqlite3_bind_int64(st, p++, run_id);
#define METRIC_INT_(ID, name, dir, integer, what) integer,
    static const unsigned char count[MAP_M_COUNT] = {MAP_METRICS(METRIC_INT_)};
#undef METRIC_INT_
    for (int i = 0; i < MAP_M_COUNT; i++, p++) {
        if (count[i] && isfinite(r->m[i]))
            sqlite3_bind_int64(st, p, (int64_t)r->m[i]); /* counts are whole numbers */
        else
            dbi_bind_real(st, p, r->m[i]);
    }
    dbi_bind_text(st, p++, r->format);
    dbi_bind_desc(st, p++, r->pes);
    dbi_bind_desc(st, p++, r->lanes);
    dbi_bind_desc(st, p++, r->banks);
    dbi_bind_desc(st, p++, r->bits);
    dbi_bind_real(st, p++, r->freq_mhz);
    sqlite3_bind_int(st, p++, r->valid != 0);
    dbi_bind_text(st, p++, r->reason);
    sqlite3_bind_int64(st, p++, akey);
    sqlite3_bind_text(st, p, r->point, len <= INT32_MAX ? (int)len : -1, SQLITE_STATIC);
}

/* Id of a component name, inserting it when new; cached per connection
 * (the cache is dropped when a batch rolls back). */
static int comp_id(db_conn *d, const char *name, int64_t *id, char *err, size_t errlen)
{
    for (int i = 0; i < d->ncomp; i++)
        if (!strcmp(d->comp_name[i], name)) {
            *id = d->comp_id[i];
            return 0;
        }
    if (dbi_prepare(d, &d->ins_comp, "INSERT OR IGNORE INTO component(name) VALUES (?1)", err,
                    errlen) ||
        dbi_prepare(d, &d->sel_comp, "SELECT id FROM component WHERE name = ?1", err, errlen))
        return -1;
    sqlite3_bind_text(d->ins_comp, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(d->ins_comp);
    sqlite3_reset(d->ins_comp);
    if (rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot store a component name");
    sqlite3_bind_text(d->sel_comp, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(d->sel_comp);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(d->sel_comp, 0);
    sqlite3_reset(d->sel_comp);
    if (rc != SQLITE_ROW)
        return dbi_sqlfail(d, err, errlen, "cannot read a component id");
    if (d->ncomp < DB_MAX_COMP_CACHE) {
        char *copy = strdup(name);
        if (!copy)
            return cm_fail(err, errlen, "out of memory");
        d->comp_name[d->ncomp] = copy;
        d->comp_id[d->ncomp++] = *id;
    }
    return 0;
}

static void comp_cache_clear(db_conn *d)
{
    for (int i = 0; i < d->ncomp; i++)
        free(d->comp_name[i]);
    d->ncomp = 0;
}

static int insert_breakdown(db_conn *d, int64_t point_id, const db_row *r, char *err,
                            size_t errlen)
{
    for (int c = 0; c < r->ncomp; c++) {
        const db_comp *cp = &r->comp[c];
        int64_t cid = 0;
        if (!cp->name || !*cp->name)
            return cm_fail(err, errlen, "%s: point '%s': component without a name", d->path,
                        r->point);
        if (comp_id(d, cp->name, &cid, err, errlen))
            return -1;
        sqlite3_stmt *st = d->ins_bd;
        sqlite3_bind_int64(st, 1, point_id);
        sqlite3_bind_int64(st, 2, cid);
        dbi_bind_real(st, 3, cp->area_um2);
        dbi_bind_real(st, 4, cp->energy_pj);
        dbi_bind_count(st, 5, cp->accesses);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_CONSTRAINT)
            return cm_fail(err, errlen, "%s: point '%s': component '%s' given twice", d->path,
                        r->point, cp->name);
        if (rc != SQLITE_DONE)
            return dbi_sqlfail(d, err, errlen, "cannot store a breakdown");
    }
    return 0;
}

static int keyed_before(const keyed_row *p, const keyed_row *q)
{
    return p->key < q->key || (p->key == q->key && p->i < q->i);
}

/* Stable bottom-up merge sort of a[0..n-1] by (key, i), tmp as large; the
 * result ends in a. */
static void sort_keyed(keyed_row *a, keyed_row *tmp, size_t n)
{
    keyed_row *src = a, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = keyed_before(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        keyed_row *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* The rows in key order (ties: as given), into d->order. */
static int order_rows(db_conn *d, const db_row *rows, size_t n, char *err, size_t errlen)
{
    if (n > d->order_cap) {
        keyed_row *o = realloc(d->order, 2 * n * sizeof *o); /* and the sort's room */
        if (!o)
            return cm_fail(err, errlen, "out of memory (batch of %zu rows)", n);
        d->order = o;
        d->order_cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        const db_row *r = &rows[i];
        if (!r->point || !*r->point)
            return cm_fail(err, errlen, "%s: row %zu has an empty point string", d->path, i);
        if (r->ncomp < 0 || (r->ncomp > 0 && !r->comp))
            return cm_fail(err, errlen, "%s: point '%s': bad breakdown", d->path, r->point);
        size_t len = strlen(r->point);
        int64_t akey;
        int64_t key = dbi_keys_of(d, r->point, len, &akey);
        d->order[i] = (keyed_row){key, i, len, akey};
    }
    sort_keyed(d->order, d->order + d->order_cap, n);
    return 0;
}

/* The largest point id (0: none). */
static int max_point_id(db_conn *d, int64_t *id, char *err, size_t errlen)
{
    if (dbi_prepare(d, &d->max_id, "SELECT max(id) FROM point", err, errlen))
        return -1;
    int rc = sqlite3_step(d->max_id);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(d->max_id, 0) : 0;
    sqlite3_reset(d->max_id);
    return rc == SQLITE_ROW ? 0 : dbi_sqlfail(d, err, errlen, "cannot read the point ids");
}

/* The one-row and the DB_CHUNK-row statements, prepared once per connection. */
static int prepare_chunk(db_conn *d, char *err, size_t errlen)
{
    char sql[sizeof point_cols + 64 + DB_CHUNK * (4 * NCOL + 4)];
    if (!d->ins_point && (point_insert_sql(sql, sizeof sql, 1) ||
                          dbi_prepare(d, &d->ins_point, sql, err, errlen)))
        return d->ins_point ? -1 : cm_fail(err, errlen, "cannot build the point insert");
    if (d->ins_chunk)
        return 0;
    if (point_insert_sql(sql, sizeof sql, DB_CHUNK))
        return cm_fail(err, errlen, "cannot build the point insert");
    return dbi_prepare(d, &d->ins_chunk, sql, err, errlen);
}

/*
 * Rows order[j .. j + DB_CHUNK - 1] through one multi-row INSERT OR IGNORE.
 * All new (the usual case): their ids are base + 1, ... in that order.
 * Otherwise each row is settled by probing: stored now (an id above base
 * that no row of the chunk has claimed yet), stored before, or its key taken
 * by another string (inserted alone at the next free key).
 */
static int insert_chunk(db_conn *d, int64_t run_id, const db_row *rows, size_t j,
                        int64_t *base, size_t *ninserted, member_buf *mb, char *err,
                        size_t errlen)
{
    sqlite3_stmt *st = d->ins_chunk;
    const keyed_row *o = d->order + j;
    for (int k = 0; k < DB_CHUNK; k++) {
        sqlite3_bind_int64(st, NCOL * k + 1, o[k].key);
        bind_row(st, NCOL * k, run_id, &rows[o[k].i], o[k].len, o[k].akey);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot store a point");
    int64_t ids[DB_CHUNK];
    int inserted[DB_CHUNK], all = sqlite3_changes(d->h) == DB_CHUNK;
    if (all) {
        for (int k = 0; k < DB_CHUNK; k++) {
            ids[k] = *base + 1 + k;
            inserted[k] = 1;
        }
    } else {
        for (int k = 0; k < DB_CHUNK; k++) {
            const db_row *r = &rows[o[k].i];
            int found;
            int64_t id = 0, free_key;
            if (dbi_probe(d, r->point, o[k].key, &found, &id, &free_key, err, errlen))
                return -1;
            inserted[k] = 0;
            if (found) {
                int claimed = id <= *base;
                for (int q = 0; q < k && !claimed; q++)
                    claimed = inserted[q] && ids[q] == id;
                inserted[k] = !claimed; /* else stored before, or earlier in rows */
                if (id <= *base && members_add(d, run_id, mb, id, err, errlen))
                    return -1; /* stored before this chunk: maybe by another run */
            } else {
                bind_row(d->ins_point, 0, run_id, r, o[k].len, o[k].akey);
                if (dbi_insert_point_key(d, d->ins_point, r->point, free_key, &id, err, errlen) < 0)
                    return -1;
                inserted[k] = 1;
            }
            ids[k] = id;
        }
    }
    for (int k = 0; k < DB_CHUNK; k++) {
        if (!inserted[k])
            continue;
        ++*ninserted;
        const db_row *r = &rows[o[k].i];
        if (r->ncomp && insert_breakdown(d, ids[k], r, err, errlen))
            return -1;
    }
    if (all) {
        *base += DB_CHUNK;
        return 0;
    }
    return max_point_id(d, base, err, errlen);
}

static int insert_rows(db_conn *d, int64_t run_id, const db_row *rows, size_t n,
                       size_t *ninserted, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->ins_point;
    int64_t base = 0;
    member_buf mb = {.n = 0};
    if (order_rows(d, rows, n, err, errlen))
        return -1;
    if (n >= DB_CHUNK && max_point_id(d, &base, err, errlen))
        return -1;
    size_t j = 0;
    for (; j + DB_CHUNK <= n; j += DB_CHUNK)
        if (insert_chunk(d, run_id, rows, j, &base, ninserted, &mb, err, errlen))
            return -1;
    for (; j < n; j++) {
        const db_row *r = &rows[d->order[j].i];
        bind_row(st, 0, run_id, r, d->order[j].len, d->order[j].akey);
        int64_t id;
        int rc = dbi_insert_point_key(d, st, r->point, d->order[j].key, &id, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0) { /* stored before: the first evaluation stays */
            if (members_add(d, run_id, &mb, id, err, errlen))
                return -1;
            continue;
        }
        ++*ninserted;
        if (r->ncomp && insert_breakdown(d, id, r, err, errlen))
            return -1;
    }
    return members_flush(d, run_id, &mb, err, errlen);
}

/* The algo row of a point's algorithm (schemas/results.sql), from its
 * string: the workload and, per matrix, what the point says. */
static int algo_row(db_conn *d, const char *point, size_t alen, int64_t akey, char *err,
                    size_t errlen)
{
    cm_point p;
    char e[CM_ERRLEN];
    if (cm_point_parse(point, &p, e, sizeof e))
        return 0; /* not a parseable point (tests store such): no design columns */
    sqlite3_stmt *st = d->ins_algo;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_int64(st, 1, akey);
    sqlite3_bind_text(st, 2, point, (int)alen, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, p.layer == CM_LAYER_LSTM ? "lstm" : "mv", -1, SQLITE_STATIC);
    if (p.layer == CM_LAYER_LSTM) {
        sqlite3_bind_int(st, 4, p.n_in);
        sqlite3_bind_int(st, 5, p.hidden);
        sqlite3_bind_text(st, 6, cm_decomp_name(p.decomp), -1, SQLITE_STATIC);
        if (p.decomp == CM_DECOMP_CONCAT)
            sqlite3_bind_int(st, 7, p.n_pad);
    }
    for (int k = 0; k < cm_point_nmat(&p); k++) {
        cm_point_mat_desc md;
        cm_point_describe_mat(point, &p, k, &md);
        int c = 8 + 8 * k;
        sqlite3_bind_text(st, c, md.format, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, c + 1, md.m, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, c + 2, md.n, -1, SQLITE_TRANSIENT);
        if (md.ranks[0]) /* md goes out of scope before the step: copies */
            sqlite3_bind_text(st, c + 3, md.ranks, -1, SQLITE_TRANSIENT);
        dbi_bind_desc(st, c + 4, md.rank_max);
        if (md.tree[0])
            sqlite3_bind_text(st, c + 5, md.tree, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, c + 6, md.order, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, c + 7, md.dataflow, -1, SQLITE_TRANSIENT);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
        return dbi_sqlfail(d, err, errlen, "cannot store an algorithm");
    return 0;
}

/* The algo rows of a batch's algorithms not stored before (a small cache of
 * recent keys spares the lookups: a sweep stores one algorithm's points
 * together). */
static int insert_algos(db_conn *d, const db_row *rows, size_t n, char *err, size_t errlen)
{
    if (dbi_prepare(d, &d->ins_algo,
                    "INSERT OR IGNORE INTO algo(akey, algo, workload, n_in, hidden, decomp, n_pad,"
                    " wx_format, wx_m, wx_n, wx_ranks, wx_rank_max, wx_tree, wx_order, wx_dataflow,"
                    " wh_format, wh_m, wh_n, wh_ranks, wh_rank_max, wh_tree, wh_order, wh_dataflow)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                    " ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)", err, errlen))
        return -1;
    int64_t last = 0;
    for (size_t j = 0; j < n; j++) {
        const keyed_row *o = &d->order[j];
        int64_t k = o->akey;
        size_t slot = (size_t)((uint64_t)k % DB_ALGO_CACHE);
        if (k == last || (d->algo_seen[slot] == k && k != 0))
            continue;
        const char *pt = rows[o->i].point;
        if (algo_row(d, pt, algo_len(pt, o->len), k, err, errlen))
            return -1;
        d->algo_seen[slot] = last = k;
    }
    return 0;
}

/* Opens our write transaction unless one (ours or the caller's) is open. */
static int writer_begin(db_conn *d, int *nested, char *err, size_t errlen)
{
    *nested = !d->pending && !sqlite3_get_autocommit(d->h);
    if (*nested || d->pending)
        return 0;
    if (dbi_exec(d, "BEGIN IMMEDIATE", err, errlen))
        return -1;
    d->pending = 1;
    d->txn_start = dbi_now_s();
    return 0;
}

int db_insert_batch(db_conn *d, int64_t run_id, const db_row *rows, size_t n,
                    size_t *ninserted, char *err, size_t errlen)
{
    size_t cnt = 0;
    int nested;
    double t0 = dbi_now_s();
    if (ninserted)
        *ninserted = 0;
    if (n == 0)
        return 0;
    if (prepare_chunk(d, err, errlen) ||
        dbi_prepare(d, &d->ins_bd, "INSERT INTO breakdown(point_id, comp_id, area_um2, energy_pj,"
                                   " accesses) VALUES (?1, ?2, ?3, ?4, ?5)", err, errlen) ||
        writer_begin(d, &nested, err, errlen))
        return -1;
    /* A savepoint per batch: a failing batch leaves the earlier ones intact. */
    if (dbi_exec(d, "SAVEPOINT db_batch", err, errlen))
        return -1;
    if (insert_rows(d, run_id, rows, n, &cnt, err, errlen) ||
        insert_algos(d, rows, n, err, errlen) || dbi_exec(d, "RELEASE db_batch", err, errlen)) {
        sqlite3_exec(d->h, "ROLLBACK TO db_batch; RELEASE db_batch", NULL, NULL, NULL);
        comp_cache_clear(d);
        memset(d->algo_seen, 0, sizeof d->algo_seen); /* their rows went too */
        if (sqlite3_get_autocommit(d->h))
            d->pending = 0; /* SQLite rolled the whole transaction back (disk full...) */
        return -1;
    }
    if (ninserted)
        *ninserted = cnt;
    /* Commit when the interval is over, or when the producer is slow (do not
     * hold the write lock while it computes the next batch). */
    double t1 = dbi_now_s();
    int slow = d->last_call_end > 0 && t0 - d->last_call_end >= d->commit_every / 4;
    d->last_call_end = t1;
    if (d->pending && (t1 - d->txn_start >= d->commit_every || slow))
        return db_flush(d, err, errlen);
    return 0;
}

/* See db.h: one row per component name, area and energy side by side. */
int db_comps_from_result(const cm_result *res, db_comp *c)
{
    int n = 0;
    for (int i = 0; i < CM_A_COUNT; i++) {
        c[n].name = cm_area_name(i);
        c[n].area_um2 = res->area_um2[i];
        c[n].energy_pj = NAN;
        c[n].accesses = -1;
        n++;
    }
    for (int i = 0; i < CM_E_COUNT; i++) {
        const char *nm = cm_energy_name(i);
        int j = 0;
        while (j < CM_A_COUNT && strcmp(c[j].name, nm))
            j++;
        if (j == CM_A_COUNT) {
            j = n++;
            c[j].name = nm;
            c[j].area_um2 = NAN;
            c[j].accesses = -1;
        }
        c[j].energy_pj = res->energy_c[i];
    }
    return n;
}
