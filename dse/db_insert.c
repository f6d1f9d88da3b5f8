/*
 * db_insert.c - storing runs and design points (db.h): db_run_begin / end /
 * find, and db_insert_batch, which stores a batch atomically in the order
 * of the point keys (so that the key index fills in runs), DB_CHUNK rows a
 * statement, inside a write transaction committed every commit interval.
 * Points whose key is taken go through the probing of db_key.c.
 *
 * Speed comes from reusing prepared statements, transactions of many
 * batches (committed every few seconds), WAL with synchronous=NORMAL, a
 * 64 MB page cache (db_open.c), point keys that fill the key index in runs
 * (keys of one algorithm share their high bits, db_point_key, and every
 * batch is inserted in key order), and INSERTs of DB_CHUNK rows each.
 */
#include "db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- runs ---- */

int db_run_begin(db_conn *d, const db_run_info *ri, int64_t *run_id, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT INTO run(uuid, spec_text, spec_hash, seed, tool_version, tech_name, tech_hash,"
        " shard_i, shard_n, command, started, status) VALUES (lower(hex(randomblob(16))),"
        " ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'running')";
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

/* ---- points ---- */

void db_row_init(db_row *r, const char *point)
{
    memset(r, 0, sizeof *r);
    r->point = point;
    r->params = r->macs = r->cycles = r->conflicts = r->stall_cycles = r->dram_bytes = -1;
    r->area_mm2 = r->energy_pj = r->power_mw = r->throughput_fps = NAN;
    r->area_eff = r->energy_eff = r->utilization = NAN;
    r->err_upper = r->err_lower = r->freq_mhz = NAN;
    r->valid = 1;
}

/* Rows per statement of the bulk insert: one multi-row INSERT pays the
 * statement's fixed cost (cursors, savepoint journal) once for all. */
#define DB_CHUNK 8

/* ?1 is the key (bound while probing), ?26 the point string. */
static const char ins_point_sql[] =
    "INSERT OR IGNORE INTO point(key, run_id, params, macs, cycles, conflicts,"
    " stall_cycles, dram_bytes, area_mm2, energy_pj, power_mw, throughput_fps, area_eff,"
    " energy_eff, utilization, err_upper, err_lower, format, pes, lanes, banks, bits,"
    " freq_mhz, valid, reason, point) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
    " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";

/* Binds every column of r but the key: parameters o + 2 .. o + 26 (o = 0
 * for ins_point_sql, 26 k for row k of a chunk). */
static void bind_row(sqlite3_stmt *st, int o, int64_t run_id, const db_row *r, size_t len)
{
    sqlite3_bind_text(st, o + 26, r->point, len <= INT32_MAX ? (int)len : -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, o + 2, run_id);
    dbi_bind_count(st, o + 3, r->params);
    dbi_bind_count(st, o + 4, r->macs);
    dbi_bind_count(st, o + 5, r->cycles);
    dbi_bind_count(st, o + 6, r->conflicts);
    dbi_bind_count(st, o + 7, r->stall_cycles);
    dbi_bind_count(st, o + 8, r->dram_bytes);
    dbi_bind_real(st, o + 9, r->area_mm2);
    dbi_bind_real(st, o + 10, r->energy_pj);
    dbi_bind_real(st, o + 11, r->power_mw);
    dbi_bind_real(st, o + 12, r->throughput_fps);
    dbi_bind_real(st, o + 13, r->area_eff);
    dbi_bind_real(st, o + 14, r->energy_eff);
    dbi_bind_real(st, o + 15, r->utilization);
    dbi_bind_real(st, o + 16, r->err_upper);
    dbi_bind_real(st, o + 17, r->err_lower);
    dbi_bind_text(st, o + 18, r->format);
    dbi_bind_desc(st, o + 19, r->pes);
    dbi_bind_desc(st, o + 20, r->lanes);
    dbi_bind_desc(st, o + 21, r->banks);
    dbi_bind_desc(st, o + 22, r->bits);
    dbi_bind_real(st, o + 23, r->freq_mhz);
    sqlite3_bind_int(st, o + 24, r->valid != 0);
    dbi_bind_text(st, o + 25, r->reason);
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
        d->order[i] = (keyed_row){dbi_key_of(d, r->point, len), i, len};
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

/* The multi-row statement of DB_CHUNK rows, prepared once per connection. */
static int prepare_chunk(db_conn *d, char *err, size_t errlen)
{
    if (d->ins_chunk)
        return 0;
    const char *vals = strstr(ins_point_sql, " VALUES");
    size_t head = (size_t)(vals - ins_point_sql), cap = head + 16 + DB_CHUNK * 26 * 3;
    char *sql = malloc(cap);
    if (!sql)
        return cm_fail(err, errlen, "out of memory");
    memcpy(sql, ins_point_sql, head);
    size_t len = head + (size_t)snprintf(sql + head, cap - head, " VALUES ");
    for (int k = 0; k < DB_CHUNK; k++) {
        sql[len++] = k ? ',' : '(';
        if (k)
            sql[len++] = '(';
        for (int c = 0; c < 26; c++) {
            sql[len++] = '?';
            sql[len++] = c < 25 ? ',' : ')';
        }
    }
    sql[len] = '\0';
    int rc = dbi_prepare(d, &d->ins_chunk, sql, err, errlen);
    free(sql);
    return rc;
}

/*
 * Rows order[j .. j + DB_CHUNK - 1] through one multi-row INSERT OR IGNORE.
 * All new (the usual case): their ids are base + 1, ... in that order.
 * Otherwise each row is settled by probing: stored now (an id above base
 * that no row of the chunk has claimed yet), stored before, or its key taken
 * by another string (inserted alone at the next free key).
 */
static int insert_chunk(db_conn *d, int64_t run_id, const db_row *rows, size_t j,
                        int64_t *base, size_t *ninserted, char *err, size_t errlen)
{
    sqlite3_stmt *st = d->ins_chunk;
    const keyed_row *o = d->order + j;
    for (int k = 0; k < DB_CHUNK; k++) {
        sqlite3_bind_int64(st, 26 * k + 1, o[k].key);
        bind_row(st, 26 * k, run_id, &rows[o[k].i], o[k].len);
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
            } else {
                bind_row(d->ins_point, 0, run_id, r, o[k].len);
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
    if (order_rows(d, rows, n, err, errlen))
        return -1;
    if (n >= DB_CHUNK && (prepare_chunk(d, err, errlen) || max_point_id(d, &base, err, errlen)))
        return -1;
    size_t j = 0;
    for (; j + DB_CHUNK <= n; j += DB_CHUNK)
        if (insert_chunk(d, run_id, rows, j, &base, ninserted, err, errlen))
            return -1;
    for (; j < n; j++) {
        const db_row *r = &rows[d->order[j].i];
        bind_row(st, 0, run_id, r, d->order[j].len);
        int64_t id;
        int rc = dbi_insert_point_key(d, st, r->point, d->order[j].key, &id, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue; /* stored before: the first evaluation stays */
        ++*ninserted;
        if (r->ncomp && insert_breakdown(d, id, r, err, errlen))
            return -1;
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
    if (dbi_prepare(d, &d->ins_point, ins_point_sql, err, errlen) ||
        dbi_prepare(d, &d->ins_bd, "INSERT INTO breakdown(point_id, comp_id, area_um2, energy_pj,"
                                   " accesses) VALUES (?1, ?2, ?3, ?4, ?5)", err, errlen) ||
        writer_begin(d, &nested, err, errlen))
        return -1;
    /* A savepoint per batch: a failing batch leaves the earlier ones intact. */
    if (dbi_exec(d, "SAVEPOINT db_batch", err, errlen))
        return -1;
    if (insert_rows(d, run_id, rows, n, &cnt, err, errlen) ||
        dbi_exec(d, "RELEASE db_batch", err, errlen)) {
        sqlite3_exec(d->h, "ROLLBACK TO db_batch; RELEASE db_batch", NULL, NULL, NULL);
        comp_cache_clear(d);
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
