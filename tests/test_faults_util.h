/*
 * test_faults_util.h - what the fault tests of `dse run` (test_faults,
 * test_faults_disk) share: the spec they run, the program's scratch
 * directory (a cmocka group setup and teardown), reading a database and
 * whole files, the clean run of the spec, a monotonic clock and a quiet
 * fork.  Include after test_util.h and test_db_util.h.
 */
#ifndef TEST_FAULTS_UTIL_H
#define TEST_FAULTS_UTIL_H

#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RESUME "tests/specs/resume.yaml" /* 27,648 points, ~1-3 s at --batch 16 */
#define RESUME_N 27648

static char tmpdir[256];

static inline int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_faults_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    /* readable by the unprivileged user of the read-only test */
    return chmod(tmpdir, 0755);
}

static inline int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", tmpdir, tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static inline void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

/* One integer from a query (-1 if the query fails, e.g. no tables yet). */
static inline long query_long(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return -1;
    }
    sqlite3_busy_timeout(h, 5000);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* Whole file into memory; *len its size (NULL buffer and 0 if unreadable). */
static inline unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n;
    unsigned char *b = malloc(cap);
    assert_non_null(b);
    while ((n = fread(b + *len, 1, cap - *len, f)) > 0) {
        *len += n;
        if (*len == cap) {
            b = realloc(b, cap *= 2);
            assert_non_null(b);
        }
    }
    fclose(f);
    return b;
}

static inline void write_all(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The clean (uninterrupted) run of resume.yaml, once. */
static inline const char *clean_db(void)
{
    static char db[512];
    if (!db[0]) {
        char cmd[1024];
        path_in(db, sizeof db, "clean.db");
        snprintf(cmd, sizeof cmd, "%s run " RESUME " --db %s --quiet", tu_dse_bin_raw(), db);
        assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    }
    return db;
}

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* fork(), the child's stdin and stdout /dev/null and its stderr errpath
 * (the child exits 127 when they cannot be opened). */
static inline pid_t fork_quiet(const char *errpath)
{
    fflush(NULL); /* no buffered output duplicated in the child */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0 && (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
                     !freopen(errpath, "w", stderr)))
        _exit(127);
    return pid;
}

#endif
