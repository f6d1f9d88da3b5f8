/*
 * test_faults.c - fault tolerance of `dse run` through the binary (DSE_BIN),
 * issue 6: a run killed with SIGKILL at seeded pseudo-random moments (at
 * least 20 kills in all) and resumed with the same command ends with exactly
 * the points of a clean run; two shards written concurrently into ONE
 * database store exactly the clean run's points, none lost, none twice; a
 * database that cannot be written (read-only file, parent that is a file or
 * does not exist) makes `dse run` fail with one clear line on stderr and
 * leaves the file unchanged.  test_faults_disk.c holds interrupts and full
 * disks.
 *
 * Run from the repository root; databases go to a fresh temporary directory.
 * Under `make valgrind` (FDHT_TEST_SCALE=small) the kill and concurrency
 * tests repeat less and use the plain binary (tu_dse_bin_raw: their timing
 * is the point).
 */
#include "test_util.h"
#include "test_db_util.h"
#include "test_faults_util.h"

#include <signal.h>
#include <sys/wait.h>

#define KILL_SEED 20261125u
#define MIN_KILLS ((int)tu_scaled(20, 6))
/* then the run may finish: under a sanitizer, restart alone can take ~800 ms */
#define ROUND_KILLS 7

/* Asserts db holds exactly the clean run's points, each once. */
static void assert_same_as_clean(const char *db)
{
    long n, nc;
    char *a = tu_points_of(db, &n), *c = tu_points_of(clean_db(), &nc);
    assert_int_equal(nc, RESUME_N);
    assert_int_equal(n, nc);
    assert_int_equal(query_long(db, "SELECT count(DISTINCT point) FROM point"), n);
    assert_string_equal(a, c);
    free(a);
    free(c);
}

/* `dse run RESUME --db db --commit-interval 0 --batch 16 [--shard s]`. */
static pid_t start_run(const char *db, const char *shard, const char *errpath)
{
    const char *bin = tu_dse_bin_raw();
    fflush(NULL); /* no buffered output duplicated in the child */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
            !freopen(errpath ? errpath : "/dev/null", "w", stderr))
            _exit(127);
        if (shard)
            execl(bin, bin, "run", RESUME, "--db", db, "--commit-interval", "0", "--batch", "16",
                  "--quiet", "--shard", shard, (char *)NULL);
        else
            execl(bin, bin, "run", RESUME, "--db", db, "--commit-interval", "0", "--batch", "16",
                  "--quiet", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static uint32_t rng_next(uint32_t *s) /* xorshift32 */
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/*
 * Kill -9 at seeded delays in [20, 800] ms and restart with the same command
 * until a run ends by itself, or at most ROUND_KILLS times and then let the
 * restarted run finish; one such "round" per fresh database, rounds until
 * MIN_KILLS kills happened (one run of the spec lasts only a few seconds, so
 * a single round sees a handful of kills).  After every kill the
 * database holds no point twice; after every round exactly the clean points,
 * and the last run is 'done'.
 */
static void test_kill9_resume(void **state)
{
    (void)state;
    uint32_t rng = KILL_SEED;
    int kills = 0, rounds = 0, starts = 0, early = 0;
    double t0 = now_ms();
    clean_db();
    while (kills < MIN_KILLS) {
        char db[512], name[64];
        snprintf(name, sizeof name, "kill.%d.db", rounds);
        path_in(db, sizeof db, name);
        int round_kills = 0;
        for (;;) {
            assert_true(starts < 400); /* no endless loop if runs never end */
            unsigned delay = 20 + rng_next(&rng) % 781;
            pid_t pid = start_run(db, NULL, NULL);
            starts++;
            double t = now_ms();
            int st = 0, ended = 0;
            while (round_kills < ROUND_KILLS && now_ms() - t < delay) {
                pid_t w = waitpid(pid, &st, WNOHANG);
                assert_true(w >= 0);
                if (w == pid) {
                    ended = 1;
                    break;
                }
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
            }
            if (!ended && round_kills == ROUND_KILLS) {
                assert_int_equal(waitpid(pid, &st, 0), pid); /* let it finish */
            } else if (!ended) {
                kill(pid, SIGKILL);
                assert_int_equal(waitpid(pid, &st, 0), pid);
            }
            if (WIFSIGNALED(st)) {
                assert_int_equal(WTERMSIG(st), SIGKILL);
                kills++;
                round_kills++;
                /* whatever was committed so far: no point twice */
                long n = query_long(db, "SELECT count(*) FROM point");
                if (n >= 0)
                    assert_int_equal(query_long(db, "SELECT count(DISTINCT point) FROM point"), n);
                else
                    early++; /* killed before the schema existed */
                continue;
            }
            assert_true(WIFEXITED(st));
            assert_int_equal(WEXITSTATUS(st), 0);
            break;
        }
        assert_int_equal(
            query_long(db, "SELECT status = 'done' FROM runs ORDER BY id DESC LIMIT 1"), 1);
        assert_same_as_clean(db);
        printf("round %d: %d kills, then done\n", rounds, round_kills);
        rounds++;
    }
    printf("kill -9: %d kills survived (%d before any table existed) in %d rounds, "
           "%d starts, %.1f s\n",
           kills, early, rounds, starts, (now_ms() - t0) / 1e3);
    assert_true(kills >= MIN_KILLS);
}

/* Shards 0/2 and 1/2 started together on the SAME database file. */
static void test_concurrent_shards(void **state)
{
    (void)state;
    for (int rep = 0; rep < tu_scaled(2, 1); rep++) {
        char db[512], name[64], e0[512], e1[512];
        snprintf(name, sizeof name, "conc.%d.db", rep);
        path_in(db, sizeof db, name);
        path_in(e0, sizeof e0, "conc.0.err");
        path_in(e1, sizeof e1, "conc.1.err");
        double t = now_ms();
        pid_t a = start_run(db, "0/2", e0), b = start_run(db, "1/2", e1);
        int sa, sb;
        assert_int_equal(waitpid(a, &sa, 0), a);
        assert_int_equal(waitpid(b, &sb, 0), b);
        if (!WIFEXITED(sa) || WEXITSTATUS(sa) || !WIFEXITED(sb) || WEXITSTATUS(sb)) {
            char *x = tu_slurp(e0), *y = tu_slurp(e1);
            printf("shard 0/2 status %d: %s\nshard 1/2 status %d: %s\n", sa, x, sb, y);
            free(x);
            free(y);
        }
        assert_true(WIFEXITED(sa));
        assert_int_equal(WEXITSTATUS(sa), 0);
        assert_true(WIFEXITED(sb));
        assert_int_equal(WEXITSTATUS(sb), 0);
        assert_same_as_clean(db);
        assert_int_equal(query_long(db, "SELECT count(*) FROM runs WHERE status = 'done'"), 2);
        printf("concurrent shards %d: %.1f s\n", rep, (now_ms() - t) / 1e3);
    }
}


/*
 * `dse run --db PATH` as user uid (0: unchanged); exit status, stderr in *err.
 */
static int run_as(uid_t uid, const char *db, char **err)
{
    char errpath[512];
    path_in(errpath, sizeof errpath, "ro.err");
    pid_t pid = fork_quiet(errpath);
    if (pid == 0) {
        if (uid && (setgid((gid_t)uid) || setuid(uid)))
            _exit(126);
        execl(tu_dse_bin(), tu_dse_bin(), "run", RESUME, "--db", db, "--quiet", (char *)NULL);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    *err = tu_slurp(errpath);
    unlink(errpath);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* Exit 1 or 2, exactly one non-empty line on stderr naming the path. */
static void assert_clear_failure(int rc, char *err, const char *db)
{
    printf("dse run --db %s: exit %d: %s", db, rc, err);
    assert_true(rc == 1 || rc == 2);
    assert_int_equal(tu_lines(err), 1);
    assert_true(strlen(err) > 10);
    assert_non_null(strstr(err, db));
    free(err);
}

/*
 * A read-only database file.  As root, permission bits do not stop writes,
 * so the run is made as the unprivileged user 65534 (nobody); if that is
 * impossible the case is skipped.  The database is a copy of the clean run
 * (a new run still records itself in it); the run must fail and leave the
 * file as it was.
 */
static void test_readonly_db(void **state)
{
    (void)state;
    char db[512];
    size_t len, len2;
    path_in(db, sizeof db, "ro.db");
    unsigned char *b = read_all(clean_db(), &len);
    assert_non_null(b);
    write_all(db, b, len);
    free(b);
    assert_int_equal(chmod(db, 0444), 0);
    uid_t uid = 0;
    if (geteuid() == 0) {
        uid = 65534;
        fflush(NULL); /* no buffered output duplicated in the child */
        fflush(NULL);
        pid_t pid = fork(); /* can we drop privileges here at all? */
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(setgid((gid_t)uid) || setuid(uid) ? 1 : 0);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (!WIFEXITED(st) || WEXITSTATUS(st)) {
            printf("root without setuid: a read-only file cannot be tested\n");
            skip();
        }
    }
    b = read_all(db, &len);
    assert_non_null(b);
    char *err;
    int rc = run_as(uid, db, &err);
    assert_clear_failure(rc, err, db);
    unsigned char *b2 = read_all(db, &len2);
    assert_non_null(b2);
    assert_int_equal(len2, len);
    assert_memory_equal(b, b2, len);
    free(b);
    free(b2);
    char side[600];
    snprintf(side, sizeof side, "%s-journal", db);
    assert_int_equal(access(side, F_OK), -1);
    snprintf(side, sizeof side, "%s-wal", db);
    assert_int_equal(access(side, F_OK), -1);
}

/* Database paths that cannot be created: parent a file, parent missing. */
static void test_unwritable_paths(void **state)
{
    (void)state;
    char file[512], db[600];
    path_in(file, sizeof file, "plainfile");
    write_all(file, (const unsigned char *)"x", 1);
    snprintf(db, sizeof db, "%s/x.db", file);
    char *err;
    int rc = run_as(0, db, &err);
    assert_clear_failure(rc, err, db);
    size_t len;
    unsigned char *b = read_all(file, &len);
    assert_non_null(b);
    assert_int_equal(len, 1);
    assert_int_equal(b[0], 'x');
    free(b);

    path_in(file, sizeof file, "no-such-dir");
    snprintf(db, sizeof db, "%s/x.db", file);
    rc = run_as(0, db, &err);
    assert_clear_failure(rc, err, db);
    assert_int_equal(access(file, F_OK), -1); /* nothing created */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_resume),
        cmocka_unit_test(test_concurrent_shards),
        cmocka_unit_test(test_readonly_db),
        cmocka_unit_test(test_unwritable_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
