/*
 * test_db_bulk.c - the bulk path of the results database (dse/io/db.h,
 * store.h): the key layout, multi-row inserts that settle duplicates and
 * collisions row by row, a db_writer (threaded or inline) storing exactly
 * what direct db_insert_batch calls store, its errors and idle commits;
 * and the cached point strings of store.h equal cm_point_format's.
 * test_db.c holds the rest of the API.  Expectations are written out here,
 * not derived from the database module (dse/io/db_*.c).
 */
#include "test_util.h"
#include "test_db_util.h"
#include "test_dbapi_util.h"

#include "db.h"
#include "spec.h"
#include "store.h"

#include <time.h>

/* The shared helpers (test_util.h, test_db_util.h) under this file's names. */
#define path_of(name) tu_path(name)
#define count(path, sql) tu_sql_int(path, sql)

/* The key: fixed values (part of schema version 2), the high 31 bits shared
 * by the strings of one prefix (up to the last '/'). */
static void test_key_layout(void **state)
{
    (void)state;
    const char *a = "lstm;nin=224;h=16;dec=partial/wx;f=ht/hw;P=4;map=linear";
    const char *b = "lstm;nin=224;h=16;dec=partial/wx;f=ht/hw;P=8;map=linear";
    const char *c = "lstm;nin=224;h=16;dec=partial/wx;f=tt/hw;P=4;map=linear";
    assert_int_equal(db_point_key(a), INT64_C(3678725383018168383));
    assert_int_equal(db_point_key(b), INT64_C(3678725382226928166));
    assert_int_equal(db_point_key("no slash at all"), INT64_C(2251664152991949612));
    assert_true(db_point_key(a) >= 0 && db_point_key(c) >= 0 && db_point_key("") >= 0);
    assert_true(db_point_key(a) >> 32 == db_point_key(b) >> 32);
    assert_true(db_point_key(a) != db_point_key(b));
    assert_true(db_point_key(a) >> 32 != db_point_key(c) >> 32);
}

/* A row whose every value follows from its point string (so that the row
 * a database holds for a point can be checked wherever it was stored). */
static void synth_row(db_row *r, const char *name, db_comp *comp)
{
    uint64_t h = (uint64_t)db_point_key(name);
    db_row_init(r, name);
    r->m[MAP_M_PARAMS] = (int64_t)(h % 100000);
    r->m[MAP_M_CYCLES] = (int64_t)(h % 977);
    r->m[MAP_M_ENERGY] = (double)(h % 1000) / 8;
    r->m[MAP_M_AREA] = (h & 1) ? NAN : (double)(h % 313) / 4;
    r->format = (h & 2) ? "tt" : "ht";
    r->reason = (h & 4) ? "capacity" : NULL;
    r->valid = !(h & 4);
    r->banks = (int)(h % 5);
    if (comp) {
        comp[0] = (db_comp){"mult", (double)(h % 71), NAN, -1};
        comp[1] = (db_comp){"dram", NAN, (double)(h % 53), (int64_t)(h % 7)};
        r->ncomp = 2;
        r->comp = comp;
    }
}

/* Every table of a database as one string (ids and keys included). */
static char *dump_all(const char *path)
{
    static const char *const q[] = {
        "SELECT * FROM point ORDER BY id", "SELECT * FROM breakdown ORDER BY point_id, comp_id",
        "SELECT * FROM component ORDER BY id"};
    return tu_sql_dump_all(path, q, sizeof q / sizeof q[0]);
}

#define WN 5000   /* rows offered */
#define WB 300    /* per batch */

static char wnames[WN][64];

/* Row i of the writer tests: ~8% repeat an earlier point (some in the same
 * batch, some in an earlier one), every third has breakdown rows. */
static void writer_rows(void)
{
    for (int i = 0; i < WN; i++) {
        int k = i % 25 == 7 ? i - 3 : i % 25 == 9 ? i / 2 : i;
        snprintf(wnames[i], sizeof wnames[i], "lstm;h=%d/wx;f=ht;m=%d/hw;P=%d;map=x", k % 13,
                 k % 7, k);
    }
}

/* Stores the writer rows into path: mode 0 direct db_insert_batch calls, 1
 * an inline db_writer, 2 a threaded one; returns the rows added. */
static size_t store_all(const char *path, int mode)
{
    db_conn *d = open_ok(path, DB_CREATE);
    int64_t run = begin_run(d, "w", 0, 1);
    char err[512];
    size_t total = 0;
    db_writer *w = NULL;
    db_writer_opts wo = {WB, mode == 2, 2};
    if (mode)
        assert_int_equal(db_writer_open(d, run, &wo, &w, err, sizeof err), 0);
    static db_row rows[WB];
    static db_comp comps[WB][2];
    for (int b = 0; b < WN; b += WB) {
        int n = WN - b < WB ? WN - b : WB;
        for (int i = 0; i < n; i++) {
            synth_row(&rows[i], wnames[b + i], (b + i) % 3 ? NULL : comps[i]);
            if (mode)
                assert_int_equal(db_writer_add(w, &rows[i], err, sizeof err), 0);
        }
        if (!mode) {
            size_t nin;
            assert_int_equal(db_insert_batch(d, run, rows, (size_t)n, &nin, err, sizeof err), 0);
            total += nin;
        }
    }
    if (mode) {
        assert_int_equal(db_writer_flush(w, err, sizeof err), 0);
        total = db_writer_stored(w);
        if (mode == 2)
            assert_true(db_writer_cpu_s(w) > 0);
        else
            assert_true(db_writer_cpu_s(w) == 0);
        assert_int_equal(db_writer_close(w, err, sizeof err), 0);
    }
    assert_int_equal(db_run_end(d, run, "done", err, sizeof err), 0);
    db_close(d);
    return total;
}

/* Threaded, inline and direct: the same database, row for row. */
static void test_writer_equals_direct(void **state)
{
    (void)state;
    writer_rows();
    const char *p0 = path_of("w0.db"), *p1 = path_of("w1.db"), *p2 = path_of("w2.db");
    size_t n0 = store_all(p0, 0), n1 = store_all(p1, 1), n2 = store_all(p2, 2);
    int64_t distinct = count(p0, "SELECT count(DISTINCT point) FROM point");
    assert_true(distinct > 4000 && distinct < WN);
    assert_int_equal(n0, (size_t)distinct);
    assert_int_equal(n1, n0);
    assert_int_equal(n2, n0);
    assert_int_equal(count(p0, "SELECT count(*) FROM point"), distinct);
    char *a = dump_all(p0), *b = dump_all(p1), *c = dump_all(p2);
    /* the run rows differ (times, uuid); every other table must not */
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    free(a);
    free(b);
    free(c);
    /* every stored row is its point's, breakdowns included */
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(p2, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT point, params, cycles, energy_pj, format,"
        " (SELECT area_um2 FROM breakdowns b WHERE b.id = p.id AND component = 'mult'),"
        " (SELECT count(*) FROM breakdown b WHERE b.point_id = p.id) FROM point p", -1, &st,
        NULL), SQLITE_OK);
    int with_bd = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        db_row r;
        db_comp comp[2];
        synth_row(&r, (const char *)sqlite3_column_text(st, 0), comp);
        assert_int_equal(sqlite3_column_int64(st, 1), r.m[MAP_M_PARAMS]);
        assert_int_equal(sqlite3_column_int64(st, 2), r.m[MAP_M_CYCLES]);
        assert_true(sqlite3_column_double(st, 3) == r.m[MAP_M_ENERGY]);
        assert_string_equal((const char *)sqlite3_column_text(st, 4), r.format);
        if (sqlite3_column_int(st, 6)) {
            assert_int_equal(sqlite3_column_int(st, 6), 2);
            assert_true(sqlite3_column_double(st, 5) == comp[0].area_um2);
            with_bd++;
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_true(with_bd > 1000);
}

/* Chunks of DB_CHUNK rows that are not all new: a point stored before, one
 * twice in the batch, one whose key another string holds. */
static void test_chunk_settling(void **state)
{
    (void)state;
    const char *p = path_of("chunk.db");
    db_conn *d = open_ok(p, DB_CREATE);
    int64_t run = begin_run(d, "c", 0, 1);
    char err[512], names[40][64], sql[256];
    db_row rows[40];
    db_comp comps[40][2];
    size_t nin;
    for (int i = 0; i < 40; i++)
        snprintf(names[i], sizeof names[i], "lstm/wx;t=%d/hw;B=%d", i % 3, i);
    synth_row(&rows[0], names[5], comps[0]);
    assert_int_equal(db_insert_batch(d, run, rows, 1, &nin, err, sizeof err), 0);
    assert_int_equal(nin, 1);
    /* a squatter on the key of names[9] (written by another connection:
     * the batch's write transaction is committed first) */
    snprintf(sql, sizeof sql, "INSERT INTO point(key, point, run_id) VALUES (%lld, 'squat', %lld)",
             (long long)db_point_key(names[9]), (long long)run);
    assert_int_equal(db_flush(d, err, sizeof err), 0);
    raw_exec(p, sql);
    for (int i = 0; i < 40; i++)
        synth_row(&rows[i], names[i == 20 ? 11 : i == 30 ? 11 : i], comps[i]);
    assert_int_equal(db_insert_batch(d, run, rows, 40, &nin, err, sizeof err), 0);
    assert_int_equal(nin, 40 - 1 - 2); /* names[5] stored before, names[11] thrice */
    assert_int_equal(db_insert_batch(d, run, rows, 40, &nin, err, sizeof err), 0);
    assert_int_equal(nin, 0);
    for (int i = 0; i < 40; i++)
        if (i != 20 && i != 30)
            assert_int_equal(db_has_point(d, names[i], err, sizeof err), 1);
    db_close(d);
    assert_int_equal(count(p, "SELECT count(*) FROM point"), 40 - 2 + 1);
    assert_int_equal(count(p, "SELECT count(DISTINCT id) FROM point"), 40 - 2 + 1);
    snprintf(sql, sizeof sql, "SELECT key FROM point WHERE point = '%s'", names[9]);
    assert_int_equal(count(p, sql), db_point_key(names[9]) + 1);
    /* each point's breakdown rows are its own, and only those */
    assert_int_equal(count(p, "SELECT count(*) FROM breakdown"), 2 * 38);
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT point, area_um2 FROM breakdowns"
                                           " WHERE component = 'mult'", -1, &st, NULL), SQLITE_OK);
    int nb = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        db_row r;
        db_comp comp[2];
        synth_row(&r, (const char *)sqlite3_column_text(st, 0), comp);
        assert_true(sqlite3_column_double(st, 1) == comp[0].area_um2);
        nb++;
    }
    assert_int_equal(nb, 38);
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_integrity(p);
}

/* A failing batch: its error comes back from a later call, the batches
 * before it stay, none after it is stored. */
static void test_writer_error(void **state)
{
    (void)state;
    for (int threaded = 0; threaded < 2; threaded++) {
        const char *p = path_of(threaded ? "werr1.db" : "werr0.db");
        db_conn *d = open_ok(p, DB_CREATE);
        int64_t run = begin_run(d, "e", 0, 1);
        db_writer *w;
        db_writer_opts wo = {10, threaded, 1};
        char err[512] = "", name[64];
        assert_int_equal(db_writer_open(d, run, &wo, &w, err, sizeof err), 0);
        int rc = 0;
        for (int i = 0; i < 100 && !rc; i++) {
            db_row r;
            snprintf(name, sizeof name, "e/hw;%d", i);
            synth_row(&r, i == 15 ? "" : name, NULL);
            rc = db_writer_add(w, &r, err, sizeof err);
        }
        if (!rc)
            rc = db_writer_flush(w, err, sizeof err);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, "empty point string"));
        err[0] = '\0';
        assert_int_equal(db_writer_close(w, err, sizeof err), -1);
        assert_non_null(strstr(err, "empty point string"));
        assert_int_equal(db_run_end(d, run, "failed", err, sizeof err), 0);
        db_close(d);
        assert_int_equal(count(p, "SELECT count(*) FROM point"), 10);
        assert_integrity(p);
    }
}

/* A threaded writer left idle commits by itself after a quarter of the
 * commit interval (the write lock is not held while the caller computes). */
static void test_writer_idle_commit(void **state)
{
    (void)state;
    const char *p = path_of("idle.db");
    db_conn *d = open_ok(p, DB_CREATE);
    db_set_commit_interval(d, 0.4);
    int64_t run = begin_run(d, "i", 0, 1);
    db_writer *w;
    db_writer_opts wo = {20, 1, 0};
    char err[512], name[64];
    assert_int_equal(db_writer_open(d, run, &wo, &w, err, sizeof err), 0);
    for (int i = 0; i < 20; i++) {
        db_row r;
        snprintf(name, sizeof name, "i/hw;%d", i);
        synth_row(&r, name, NULL);
        assert_int_equal(db_writer_add(w, &r, err, sizeof err), 0);
    }
    int64_t seen = 0;
    for (int t = 0; t < 100 && seen != 20; t++) { /* 0.1 s, or a loaded machine */
        nanosleep(&(struct timespec){0, 50000000}, NULL);
        seen = try_count(p);
    }
    assert_int_equal(seen, 20);
    /* and another process may write meanwhile: the lock is free */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE; COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(db_writer_close(w, err, sizeof err), 0);
    db_close(d);
}

/* The cached strings of store_fmt_point are cm_point_format's: every point
 * of a spec in sweep order, and a random order that misses the cache. */
static void check_fmt(const char *spec_path, int random, uint64_t limit)
{
    spec *s;
    spec_diag g;
    spec_diag_init(&g);
    assert_int_equal(spec_load_file(spec_path, &s, &g), 0);
    spec_diag_free(&g);
    char err[512];
    map_eval *ev = map_eval_new(&s->space, &s->tech_table, &s->limits, NULL, err, sizeof err);
    assert_non_null(ev);
    map_result *r = calloc(1, sizeof *r);
    store_fmt *f = malloc(sizeof *f);
    assert_non_null(r);
    assert_non_null(f);
    store_fmt_init(f);
    uint64_t n = s->space.size < limit ? s->space.size : limit;
    for (uint64_t i = 0; i < n; i++) {
        char want[CM_POINT_MAXLEN];
        uint64_t k = random ? map_permute(i, s->space.size, 3) : i;
        assert_int_equal(map_eval_decode(ev, k, r), 0);
        int len = cm_point_format(&r->pt, want, sizeof want);
        size_t got_len = 0;
        const char *got = store_fmt_point(f, &r->pt, &got_len);
        assert_non_null(got);
        assert_string_equal(got, want);
        assert_int_equal(got_len, (size_t)len);
    }
    assert_false(f->off);
    if (!random || n > 2000)
        assert_true(f->hits > 2 * f->misses); /* random: from the table of ways */
    store_fmt_free(f);
    free(f);
    free(r);
    map_eval_free(ev);
    spec_free(s);
}

static void test_store_fmt(void **state)
{
    (void)state;
    check_fmt("schemas/examples/quick.yaml", 0, UINT64_MAX);
    check_fmt("schemas/examples/quick.yaml", 1, UINT64_MAX);
    check_fmt("schemas/examples/bench.yaml", 0, 30000);
    check_fmt("schemas/examples/bench.yaml", 1, 1500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_layout),
        cmocka_unit_test(test_writer_equals_direct),
        cmocka_unit_test(test_chunk_settling),
        cmocka_unit_test(test_writer_error),
        cmocka_unit_test(test_writer_idle_commit),
        cmocka_unit_test(test_store_fmt),
    };
    return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
