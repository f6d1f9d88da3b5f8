/*
 * test_faults.c - fault tolerance of `dse run` through the binary (DSE_BIN),
 * issue 6: a run killed with SIGKILL at seeded pseudo-random moments (at
 * least 20 kills in all) and resumed with the same command ends with exactly
 * the points of a clean run; two shards written concurrently into ONE
 * database store exactly the clean run's points, none lost, none twice; a
 * database that cannot be written (read-only file, parent that is a file or
 * does not exist) makes `dse run` fail with one clear line on stderr and
 * leaves the file unchanged; SIGINT and SIGTERM stop a run with exit 130, a
 * sound database and a resume command that works, quoted for the shell
 * when paths hold spaces or quotes; a full disk (the file size limit,
 * RLIMIT_FSIZE, always; a real small tmpfs when root may mount one) fails
 * with one clear line, exit 1, keeps every committed point, and the same
 * command then resumes to exactly the clean run's points; a disk full
 * already when the database is created fails the same way and leaves no
 * file behind (but never removes a file that was there).
 *
 * Run from the repository root; databases go to a fresh temporary directory.
 * Under `make valgrind` (FDHT_TEST_SCALE=small) the kill and concurrency
 * tests repeat less and use the plain binary (tu_dse_bin_raw: their timing
 * is the point), the others run dse under valgrind on one quarter of the
 * spec (--shard 0/4).
 */
#include "test_util.h"
#include "test_db_util.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RESUME "tests/specs/resume.yaml" /* 27,648 points, ~1-3 s at --batch 16 */
#define RESUME_N 27648
#define KILL_SEED 20261125u
#define MIN_KILLS ((int)tu_scaled(20, 6))
/* then the run may finish: under a sanitizer, restart alone can take ~800 ms */
#define ROUND_KILLS 7

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_faults_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    /* readable by the unprivileged user of the read-only test */
    return chmod(tmpdir, 0755);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", tmpdir, tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

/* One integer from a query (-1 if the query fails, e.g. no tables yet). */
static long query_long(const char *db, const char *sql)
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

/* Whole file into memory; *len its size (NULL buffer if unreadable). */
static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n;
    unsigned char *b = malloc(cap);
    assert_non_null(b);
    *len = 0;
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

static void write_all(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The clean (uninterrupted) run of resume.yaml, once. */
static const char *clean_db(void)
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

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
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

/* fork(), the child's stdin and stdout /dev/null and its stderr errpath
 * (the child exits 127 when they cannot be opened). */
static pid_t fork_quiet(const char *errpath)
{
    fflush(NULL); /* no buffered output duplicated in the child */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0 && (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
                     !freopen(errpath, "w", stderr)))
        _exit(127);
    return pid;
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

/* ---- interrupts and full disks: dse under test (DSE_WRAP) ---- */

/* The part of RESUME these tests run: all of it, a quarter when small. */
static const char *part(void)
{
    return tu_small() ? "0/4" : NULL;
}

/*
 * Points of shard 0/4 of resume.yaml, by the unit dealing of docs/SPEC.md
 * ("Shards"): wp units are (map, B), 2 x 3 = 6 of 16 hardware points each
 * (4 P x 4 L), numbered 0-5; op units are (map, B, P), 2 x 3 x 4 = 24 of 4
 * points each (4 L), numbered 6-29.  Shard 0 takes units 0 and 4 (wp) and
 * 8, 12, ..., 28 (op): 2 x 16 + 6 x 4 = 56 of the 192 hardware points of
 * each of the 27,648 / 192 = 144 algorithms, 8,064 points.
 */
static long part_n(void)
{
    return tu_small() ? 8064 : RESUME_N;
}

/* The clean run of part(), made with the plain binary, once. */
static const char *clean_part_db(void)
{
    static char db[512];
    if (!part())
        return clean_db();
    if (!db[0]) {
        char cmd[1024];
        path_in(db, sizeof db, "clean.part.db");
        snprintf(cmd, sizeof cmd, "%s run " RESUME " --db %s --quiet --shard %s",
                 tu_dse_bin_raw(), db, part());
        assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    }
    return db;
}

/* Every line of sorted list a is in sorted list b (newline-terminated). */
static int lines_subset(const char *a, const char *b)
{
    while (*a) {
        const char *ea = strchr(a, '\n');
        size_t la = (size_t)(ea - a);
        int c = 1;
        while (*b) {
            const char *eb = strchr(b, '\n');
            size_t lb = (size_t)(eb - b);
            c = strncmp(b, a, la < lb ? la : lb);
            if (c == 0)
                c = la == lb ? 0 : lb < la ? -1 : 1;
            b = eb + 1;
            if (c >= 0)
                break;
        }
        if (c != 0)
            return 0;
        a = ea + 1;
    }
    return 1;
}

/* PRAGMA integrity_check of db says "ok" (read-write open: a WAL left by a
 * failed run needs its -shm). */
static void assert_integrity_ok(const char *db)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *r = (const char *)sqlite3_column_text(st, 0);
    if (!r || strcmp(r, "ok"))
        fail_msg("%s: integrity_check: %s", db, r ? r : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* db holds exactly the clean run of part(), each point once; last run done. */
static void assert_clean_part(const char *db)
{
    long n, nc;
    char *a = tu_points_of(db, &n), *c = tu_points_of(clean_part_db(), &nc);
    assert_int_equal(nc, part_n());
    assert_int_equal(n, nc);
    assert_int_equal(query_long(db, "SELECT count(DISTINCT point) FROM point"), n);
    assert_string_equal(a, c);
    assert_int_equal(
        query_long(db, "SELECT status = 'done' FROM runs ORDER BY id DESC LIMIT 1"), 1);
    free(a);
    free(c);
}

/*
 * Starts `BIN run SPEC --db db [extra...] [--shard part()]`, stdin and
 * stdout /dev/null, stderr into errpath.  fsize > 0: RLIMIT_FSIZE of the
 * child (SIGXFSZ left at its default, which kills: dse must ignore it).
 */
static pid_t spawn_run(const char *bin, const char *spec, const char *db,
                       const char *const *extra, const char *errpath, long fsize)
{
    const char *argv[24];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "run";
    argv[n++] = spec;
    argv[n++] = "--db";
    argv[n++] = db;
    for (; extra && *extra; extra++)
        argv[n++] = *extra;
    if (part()) {
        argv[n++] = "--shard";
        argv[n++] = part();
    }
    argv[n] = NULL;
    pid_t pid = fork_quiet(errpath);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_DFL);
        if (fsize > 0) {
            struct rlimit rl = {(rlim_t)fsize, (rlim_t)fsize};
            if (setrlimit(RLIMIT_FSIZE, &rl))
                _exit(126);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Runs to the end; exit status (asserts it exited rather than died); its
 * stderr in *err (malloc'd). */
static int run_wait(const char *db, const char *const *extra, long fsize, char **err)
{
    char errpath[512];
    path_in(errpath, sizeof errpath, "run.err");
    pid_t pid = spawn_run(tu_dse_bin(), RESUME, db, extra, errpath, fsize);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    *err = tu_slurp(errpath);
    unlink(errpath);
    if (WIFSIGNALED(st))
        fail_msg("dse run --db %s: killed by signal %d; stderr: %s", db, WTERMSIG(st), *err);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/*
 * A failed write: exit status 1 (the database is an output that could not
 * be written: cli.h, dse run --help; 2 is for bad input), exactly one line
 * naming the database and the cause (want).
 */
static void assert_write_failure(int rc, char *err, const char *db, const char *want)
{
    printf("dse run --db %s: exit %d: %s", db, rc, err);
    assert_int_equal(rc, 1);
    const char *msg = err; /* after the note of a resumed run, if any */
    if (!strncmp(msg, "dse run: resuming run ", 22) && strchr(msg, '\n'))
        msg = strchr(msg, '\n') + 1;
    assert_int_equal(tu_lines(msg), 1);
    assert_non_null(strstr(msg, db));
    if (!strstr(msg, want))
        fail_msg("the message lacks '%s': %s", want, msg);
    free(err);
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) ? 0 : (long)sb.st_size;
}

/*
 * The full-disk sequence on db (on a device of limited space, or with
 * limit(db) as the file size limit): (A) a run committing every 64 points
 * fails, keeping whole batches; (B) the plain command fails too and keeps
 * every point committed before; after free_space(), (C) the plain command
 * resumes and ends with exactly the clean run's points.
 */
static void full_disk_sequence(const char *db, long (*limit)(const char *db), const char *want,
                               void (*free_space)(void))
{
    static const char *const batches[] = {"--commit-interval", "0", "--batch", "64", NULL};
    char *err, *p1, *p2, *clean;
    long n1, n2, nc;
    int rc;
    clean = tu_points_of(clean_part_db(), &nc);

    rc = run_wait(db, batches, limit(db), &err);
    assert_write_failure(rc, err, db, want);
    assert_integrity_ok(db);
    p1 = tu_points_of(db, &n1);
    printf("(A) %ld of %ld points committed before the disk was full\n", n1, nc);
    assert_true(n1 > 0 && n1 < nc);
    assert_int_equal(query_long(db, "SELECT count(DISTINCT point) FROM point"), n1);
    assert_true(lines_subset(p1, clean));

    rc = run_wait(db, NULL, limit(db), &err);
    assert_write_failure(rc, err, db, want);
    assert_integrity_ok(db);
    p2 = tu_points_of(db, &n2);
    printf("(B) %ld points after the second failure\n", n2);
    assert_true(n2 >= n1 && n2 < nc);
    assert_true(lines_subset(p1, p2)); /* nothing committed was lost */
    assert_true(lines_subset(p2, clean));

    free_space();
    assert_int_equal(run_wait(db, NULL, 0, &err), 0);
    free(err);
    assert_integrity_ok(db);
    assert_clean_part(db);
    free(p1);
    free(p2);
    free(clean);
}

/* The file size limit: 1 MiB first, then what is there plus 512 KiB. */
static long fsize_limit(const char *db)
{
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", db);
    long a = file_size(db), b = file_size(wal);
    return (a > b ? a : b) + (a || b ? 512L << 10 : 1L << 20);
}

static long no_limit(const char *db)
{
    (void)db;
    return 0;
}

static void nothing(void) {}

static void test_disk_full_fsize(void **state)
{
    (void)state;
    char db[512];
    path_in(db, sizeof db, "fsize.db");
    full_disk_sequence(db, fsize_limit, "file size limit", nothing);
}

/* A real full disk: a 1 MiB tmpfs, grown to 64 MiB for the resume. */
static char g_mnt[512];

static void grow_mnt(void)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mount -o remount,size=64m '%s'", g_mnt);
    assert_int_equal(system(cmd), 0);
}

static int umount_mnt(void **state)
{
    (void)state;
    if (g_mnt[0]) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "umount '%s'", g_mnt);
        if (system(cmd) != 0)
            return -1;
        g_mnt[0] = '\0';
    }
    return 0;
}

/* A tmpfs of size (mount's size=) on tmpdir/name, its path in g_mnt
 * (umount_mnt unmounts it); skips the test when it cannot be mounted. */
static void mount_tmpfs(const char *name, const char *size)
{
    char mnt[512], cmd[700];
    path_in(mnt, sizeof mnt, name);
    assert_int_equal(mkdir(mnt, 0755), 0);
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=%s fdht-test-disk '%s' 2>/dev/null", size,
             mnt);
    if (geteuid() != 0 || system(cmd) != 0) {
        printf("cannot mount a tmpfs (not root, or no permission): the real full disk is "
               "not tested, only the file size limit\n");
        skip();
    }
    snprintf(g_mnt, sizeof g_mnt, "%s", mnt);
}

static void test_disk_full_tmpfs(void **state)
{
    (void)state;
    char db[600];
    mount_tmpfs("mnt", "1m");
    snprintf(db, sizeof db, "%s/disk.db", g_mnt);
    full_disk_sequence(db, no_limit, "disk full", grow_mnt);
}

/* s as one word of a POSIX shell (cli.h's quoting, written again): as is
 * when it holds only those characters, else in single quotes with each '
 * written '\''. */
static const char *shell_word(const char *s, char *buf, size_t n)
{
    const char *plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,:=+@%";
    size_t o = 0;
    if (*s && strspn(s, plain) == strlen(s)) {
        snprintf(buf, n, "%s", s);
        return buf;
    }
    buf[o++] = '\'';
    for (; *s && o + 6 < n; s++) {
        if (*s == '\'') {
            memcpy(buf + o, "'\\''", 4);
            o += 4;
        } else {
            buf[o++] = *s;
        }
    }
    assert_false(*s); /* it fit */
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

/*
 * SIGINT and SIGTERM once the run has committed points: exit 130, the
 * points seen before the signal are all still there, integrity_check ok,
 * the run marked interrupted, and stderr is two lines: "interrupted ...;
 * resume with:" and the command, "(cd DIR && BIN run ...)" with the
 * binary's path made absolute, which run as printed through sh -c from
 * another directory ends with exactly the clean run's points.
 *
 * One interrupted run of spec into db by signal sig; hint_args is how the
 * hint must show "SPEC --db DB" (quoted for the shell where needed).
 */
static void interrupt_and_resume(int sig, const char *spec, const char *db,
                                 const char *hint_args)
{
    static const char *const extra[] = {"--commit-interval", "0", "--batch", "16", NULL};
    char errpath[512], want[2048], cmd[2400];
    path_in(errpath, sizeof errpath, "sig.err");
    pid_t pid = spawn_run(tu_dse_bin(), spec, db, extra, errpath, 0);
    double t0 = now_ms();
    long n0 = -1;
    int st;
    while ((n0 = query_long(db, "SELECT count(*) FROM point")) <= 0) {
        assert_int_equal(waitpid(pid, &st, WNOHANG), 0); /* still running */
        assert_true(now_ms() - t0 < 600e3);
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    long nb;
    char *before = tu_points_of(db, &nb);
    assert_int_equal(kill(pid, sig), 0);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char *err = tu_slurp(errpath);
    printf("signal %d after %ld committed points: status %d, stderr:\n%s", sig, nb, st, err);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 130);
    assert_int_equal(tu_lines(err), 2);
    assert_non_null(strstr(err, "dse run: interrupted after "));
    assert_non_null(strstr(err, "; resume with:\n"));
    /* the binary as started (its argv[0]: under `make valgrind` the plain
     * binary the wrapper script execs, not the script), made absolute,
     * after a cd to the directory the run was started in (the spec path is
     * relative to it) */
    char cwd[512], bin[1024], qcwd[1200], qbin[2200];
    const char *started = tu_dse_bin_raw();
    assert_non_null(getcwd(cwd, sizeof cwd));
    if (started[0] == '/')
        snprintf(bin, sizeof bin, "%s", started);
    else
        snprintf(bin, sizeof bin, "%s/%s", cwd, started);
    snprintf(want, sizeof want, "  (cd %s && %s run %s --commit-interval 0 --batch 16%s%s)\n",
             shell_word(cwd, qcwd, sizeof qcwd), shell_word(bin, qbin, sizeof qbin), hint_args,
             part() ? " --shard " : "", part() ? part() : "");
    const char *hint = strchr(err, '\n') + 1;
    assert_string_equal(hint, want);

    assert_integrity_ok(db);
    long na;
    char *after = tu_points_of(db, &na);
    assert_true(na >= nb && na < part_n()); /* stopped mid-run */
    assert_true(lines_subset(before, after));
    assert_int_equal(query_long(db, "SELECT count(DISTINCT point) FROM point"), na);
    assert_int_equal(
        query_long(db, "SELECT status = 'interrupted' FROM runs ORDER BY id DESC LIMIT 1"), 1);

    /* the printed command as printed, through sh -c, from another directory */
    snprintf(cmd, sizeof cmd, "cd %s && %s", tmpdir, hint + 2);
    cmd[strlen(cmd) - 1] = '\0';
    char *rerr;
    assert_int_equal(tu_run(cmd, NULL, &rerr), 0);
    assert_non_null(strstr(rerr, "resuming run"));
    assert_integrity_ok(db);
    assert_clean_part(db);
    free(rerr);
    free(err);
    free(before);
    free(after);
    unlink(errpath);
}

static void test_interrupt_resume(void **state)
{
    (void)state;
    const int sigs[2] = {SIGINT, SIGTERM};
    for (int k = 0; k < 2; k++) {
        char db[512], name[64], args[1200];
        snprintf(name, sizeof name, "sig%d.db", sigs[k]);
        path_in(db, sizeof db, name);
        snprintf(args, sizeof args, RESUME " --db %s", db); /* no character to quote */
        interrupt_and_resume(sigs[k], RESUME, db, args);
    }
}

/*
 * The same with a spec and a database whose paths hold a space, a single
 * quote and a $ (in a directory "it's a $dir"): the hint quotes them, so
 * that pasted into sh it resumes the same run in the same database.  The
 * temporary directory's own name (mkdtemp: letters and digits) needs no
 * quotes.
 */
static void test_interrupt_resume_quoted(void **state)
{
    (void)state;
    char dir[512], spec[600], db[600], args[2000];
    size_t len;
    path_in(dir, sizeof dir, "it's a $dir");
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(spec, sizeof spec, "%s/re sume.yaml", dir);
    snprintf(db, sizeof db, "%s/out'put db.db", dir);
    unsigned char *text = read_all(RESUME, &len);
    assert_non_null(text);
    write_all(spec, text, len);
    free(text);
    /* each ' becomes '\'' inside single quotes */
    snprintf(args, sizeof args,
             "'%s/it'\\''s a $dir/re sume.yaml' --db '%s/it'\\''s a $dir/out'\\''put db.db'",
             tmpdir, tmpdir);
    interrupt_and_resume(SIGINT, spec, db, args);
}

/* Neither db nor its -journal, -wal or -shm exists. */
static void assert_no_files(const char *db)
{
    static const char *const sfx[] = {"", "-journal", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        char p[700];
        snprintf(p, sizeof p, "%s%s", db, sfx[i]);
        if (access(p, F_OK) == 0)
            fail_msg("%s was left behind", p);
    }
}

/*
 * A disk already full when the database is created (the file size limit:
 * below one 16 KiB page, and one page, while the schema needs several):
 * exit 1, one line naming the database and the limit, and no file left
 * behind.  A file that was there before (an empty one: dse would write the
 * schema into it) stays, under the same failure.
 */
static void test_disk_full_create_fsize(void **state)
{
    (void)state;
    const long limits[2] = {4096, 16384};
    char db[512], *err;
    for (int i = 0; i < 2; i++) {
        path_in(db, sizeof db, "create.db");
        assert_no_files(db);
        int rc = run_wait(db, NULL, limits[i], &err);
        assert_write_failure(rc, err, db, "file size limit");
        assert_no_files(db);
    }
    path_in(db, sizeof db, "existing.db");
    write_all(db, (const unsigned char *)"", 0);
    int rc = run_wait(db, NULL, 4096, &err);
    assert_write_failure(rc, err, db, "file size limit");
    assert_int_equal(access(db, F_OK), 0);
    assert_int_equal(file_size(db), 0);
}

/* The same on a real disk: a 64 KiB tmpfs cannot hold the schema. */
static void test_disk_full_create_tmpfs(void **state)
{
    (void)state;
    char db[600], *err;
    mount_tmpfs("mnt-create", "64k");
    snprintf(db, sizeof db, "%s/create.db", g_mnt);
    int rc = run_wait(db, NULL, 0, &err);
    assert_write_failure(rc, err, db, "disk full");
    assert_no_files(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_resume),
        cmocka_unit_test(test_concurrent_shards),
        cmocka_unit_test(test_readonly_db),
        cmocka_unit_test(test_unwritable_paths),
        cmocka_unit_test(test_interrupt_resume),
        cmocka_unit_test(test_interrupt_resume_quoted),
        cmocka_unit_test(test_disk_full_create_fsize),
        cmocka_unit_test(test_disk_full_fsize),
        cmocka_unit_test_teardown(test_disk_full_tmpfs, umount_mnt),
        cmocka_unit_test_teardown(test_disk_full_create_tmpfs, umount_mnt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
