/*
 * test_faults_disk.c - interrupts and full disks in `dse run` through the
 * binary (DSE_BIN), issue 6: SIGINT and SIGTERM stop a run with exit 130, a
 * sound database and a resume command that works, quoted for the shell
 * when paths hold spaces or quotes; a full disk (the file size limit,
 * RLIMIT_FSIZE, always; a real small tmpfs when root may mount one) fails
 * with one clear line, exit 1, keeps every committed point, and the same
 * command then resumes to exactly the clean run's points; a disk full
 * already when the database is created fails the same way and leaves no
 * file behind (but never removes a file that was there).  test_faults.c
 * holds kills, concurrent shards and unwritable databases.
 *
 * Run from the repository root; databases go to a fresh temporary directory.
 * Under `make valgrind` (FDHT_TEST_SCALE=small) dse runs under valgrind on
 * one quarter of the spec (--shard 0/4).
 */
#include "test_util.h"
#include "test_db_util.h"
#include "test_faults_util.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

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
        cmocka_unit_test(test_interrupt_resume),
        cmocka_unit_test(test_interrupt_resume_quoted),
        cmocka_unit_test(test_disk_full_create_fsize),
        cmocka_unit_test(test_disk_full_fsize),
        cmocka_unit_test_teardown(test_disk_full_tmpfs, umount_mnt),
        cmocka_unit_test_teardown(test_disk_full_create_tmpfs, umount_mnt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
