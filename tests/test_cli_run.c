/*
 * test_cli_run.c - `dse run` end to end through the binary (DSE_BIN):
 * quick.yaml runs; a run killed with SIGKILL mid-run and started again
 * ends with exactly the points (and metrics) of a clean run; SIGINT stops
 * cleanly with exit 130 and a resume hint; a second run of a finished spec
 * stores nothing; shards together store exactly the clean run's points.
 * The writer thread stores exactly what the inline writer stores (every
 * row, ids and keys included); the breakdowns `dse show` recomputes for a
 * run without --breakdowns equal the ones such a run stores.  dse sweep
 * takes spec, database, shard and binary paths with spaces, quotes and '$'
 * intact to every shard, locally and through ssh (a stand-in), and its
 * --dry-run lines run in a shell do the same sweep.
 *
 * Run from the repository root; databases go to a fresh temporary directory.
 */
#include "test_util.h"
#include "test_db_util.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUICK "schemas/examples/quick.yaml"
#define RESUME "tests/specs/resume.yaml" /* 27,648 points: seconds, killable */

static void db_file(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s", tu_path(name));
}

/* Run a shell command; its exit status; stdout+stderr into out (may be NULL). */
static int sh(const char *cmd, char *out, size_t outlen)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char tmp[4096];
    size_t n, len = 0;
    while ((n = fread(tmp, 1, sizeof tmp, p)) > 0)
        if (out && len + n < outlen) {
            memcpy(out + len, tmp, n);
            len += n;
        }
    if (out)
        out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Every point row but run_id (ids and keys included) in id order, or,
 * by_point, the metric columns in point order (ids differ after a resume). */
static char *rows_of(const char *db, int by_point)
{
    return tu_sql_dump(db, by_point
        ? "SELECT point, params, macs, cycles, conflicts, stall_cycles, dram_bytes, area_mm2,"
          " energy_pj, power_mw, throughput_fps, area_eff, energy_eff, utilization, err_upper,"
          " err_lower, format, pes, lanes, banks, bits, freq_mhz, valid, reason"
          " FROM point ORDER BY point"
        : "SELECT id, key, point, params, macs, cycles, conflicts, stall_cycles, dram_bytes,"
          " area_mm2, energy_pj, power_mw, throughput_fps, area_eff, energy_eff, utilization,"
          " err_upper, err_lower, format, pes, lanes, banks, bits, freq_mhz, valid, reason"
          " FROM point ORDER BY id");
}

static long point_count(const char *db)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    long n = -1;
    if (access(db, F_OK))
        return 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return 0;
    }
    sqlite3_busy_timeout(h, 2000);
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM point", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        n = 0; /* not created yet */
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* The clean (uninterrupted) run of quick.yaml or resume.yaml, once each. */
static const char *clean_of(const char *spec, char *db, size_t n, const char *name)
{
    if (!db[0]) {
        char cmd[1024];
        db_file(db, n, name);
        snprintf(cmd, sizeof cmd, "%s run %s --db %s --quiet 2>&1", tu_dse_bin(), spec, db);
        assert_int_equal(sh(cmd, NULL, 0), 0);
    }
    return db;
}

static const char *clean_db(void)
{
    static char db[512];
    return clean_of(QUICK, db, sizeof db, "clean.db");
}

static const char *clean_resume_db(void)
{
    static char db[512];
    return clean_of(RESUME, db, sizeof db, "clean_resume.db");
}

static void test_quick_no_db(void **state)
{
    (void)state;
    char cmd[512], out[1 << 16];
    snprintf(cmd, sizeof cmd, "%s run " QUICK " --no-db 2>&1", tu_dse_bin());
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "evaluated 6912 points"));
    assert_non_null(strstr(out, "Pareto front (params:min, energy_pj:min, throughput_fps:max, "
                                "err_upper:min)"));
    assert_null(strstr(out, "\r")); /* no progress bar when not a terminal */
}

static void test_quick_db_and_repeat(void **state)
{
    (void)state;
    char cmd[1024], out[1 << 16];
    long n1, n2;
    const char *db = clean_db();
    char *a = tu_points_of(db, &n1);
    assert_int_equal(n1, 6912);
    /* the same command again: everything is skipped, nothing stored twice */
    snprintf(cmd, sizeof cmd, "%s run " QUICK " --db %s --quiet 2>&1", tu_dse_bin(), db);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "stored 0 new points"));
    assert_non_null(strstr(out, "6912 already stored, skipped"));
    char *b = tu_points_of(db, &n2);
    assert_int_equal(n2, 6912);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static pid_t start_run(const char *db, const char *extra)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        execl(tu_dse_bin(), tu_dse_bin(), "run", RESUME, "--db", db, "--batch", "32",
              "--commit-interval", "0", extra,
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Wait until the run has committed some points (or ended). */
static int wait_some(pid_t pid, const char *db)
{
    for (int i = 0; i < 20000; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return 0; /* finished before we could interrupt it */
        if (point_count(db) > 0)
            return 1;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void test_kill_and_resume(void **state)
{
    (void)state;
    char db[512], cmd[1024];
    long nk;
    db_file(db, sizeof db, "killed.db");
    pid_t pid = start_run(db, "--quiet");
    int running = wait_some(pid, db);
    if (running) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    free(tu_points_of(db, &nk));
    printf("killed after %ld of 27648 points\n", nk);
    if (running)
        assert_true(nk < 27648);
    snprintf(cmd, sizeof cmd, "%s run " RESUME " --db %s --batch 32 --quiet 2>&1", tu_dse_bin(), db);
    assert_int_equal(sh(cmd, NULL, 0), 0);
    tu_assert_same_points(db, clean_resume_db());
    char *r = rows_of(db, 1), *c = rows_of(clean_resume_db(), 1);
    assert_string_equal(r, c); /* every metric too */
    free(r);
    free(c);
}

static void test_sigint(void **state)
{
    (void)state;
    char db[512], cmd[1024], out[1 << 16];
    db_file(db, sizeof db, "sigint.db");
    pid_t pid = fork();
    assert_true(pid >= 0);
    char errf[512];
    db_file(errf, sizeof errf, "sigint.err");
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen(errf, "w", stderr))
            _exit(127);
        execl(tu_dse_bin(), tu_dse_bin(), "run", RESUME, "--db", db, "--batch", "32",
              "--commit-interval", "0",
              (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (wait_some(pid, db)) {
        kill(pid, SIGINT);
        waitpid(pid, &st, 0);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 130);
        snprintf(cmd, sizeof cmd, "cat '%s'", errf);
        sh(cmd, out, sizeof out);
        assert_non_null(strstr(out, "resume with:"));
        assert_non_null(strstr(out, "dse run " RESUME " --db"));
    } else {
        waitpid(pid, &st, 0);
    }
    snprintf(cmd, sizeof cmd, "%s run " RESUME " --db %s --quiet 2>&1", tu_dse_bin(), db);
    assert_int_equal(sh(cmd, NULL, 0), 0);
    tu_assert_same_points(db, clean_resume_db());
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Three shards into three databases hold exactly the clean run's points. */
static void test_shards(void **state)
{
    (void)state;
    char cmd[1024];
    long total = 0, n;
    char *all = NULL;
    size_t len = 0;
    for (int i = 0; i < 3; i++) {
        char db[512], name[32];
        snprintf(name, sizeof name, "shard.%d.db", i);
        db_file(db, sizeof db, name);
        snprintf(cmd, sizeof cmd, "%s run " QUICK " --db %s --shard %d/3 --quiet 2>&1",
                 tu_dse_bin(), db, i);
        assert_int_equal(sh(cmd, NULL, 0), 0);
        char *p = tu_points_of(db, &n);
        total += n;
        all = realloc(all, len + strlen(p) + 1);
        memcpy(all + len, p, strlen(p) + 1);
        len += strlen(p);
        free(p);
    }
    assert_int_equal(total, 6912);
    /* sort the union and compare with the clean run */
    char **lines = malloc(sizeof *lines * (size_t)total);
    long k = 0;
    for (char *s = strtok(all, "\n"); s; s = strtok(NULL, "\n"))
        lines[k++] = s;
    assert_int_equal(k, total);
    qsort(lines, (size_t)k, sizeof *lines, cmp_line);
    char *c = tu_points_of(clean_db(), &n);
    char *line = strtok(c, "\n");
    for (long i = 0; i < k; i++, line = strtok(NULL, "\n"))
        assert_string_equal(lines[i], line);
    free(lines);
    free(all);
    free(c);
}

/* dse sweep: shards through GNU parallel, merged: the clean run's points. */
static void test_sweep(void **state)
{
    (void)state;
    char cmd[1024], out[512];
    long nc;
    if (sh("command -v parallel >/dev/null 2>&1", NULL, 0) != 0) {
        printf("GNU parallel not installed: sweep not tested\n");
        return;
    }
    db_file(out, sizeof out, "sweep/merged.db");
    snprintf(cmd, sizeof cmd, "%s sweep " QUICK " --jobs 2 --shards 3 --db %s --quiet 2>&1",
             tu_dse_bin(), out);
    assert_int_equal(sh(cmd, NULL, 0), 0);
    nc = tu_assert_same_points(out, clean_db());
    /* again: nothing new anywhere */
    assert_int_equal(sh(cmd, NULL, 0), 0);
    assert_int_equal(tu_assert_same_points(out, clean_db()), nc);
}

/* ---- dse sweep with paths a shell would split, expand or end ---- */

/* A directory name with a space, single and double quotes, a '$' variable
 * and a ';': any shell that sees it unquoted runs something else. */
#define ODD_NAME "it's \"odd\" $HOME; x"

static int have(const char *prog)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
    return sh(cmd, NULL, 0) == 0;
}

/* tu_dir/parent/leaf, made, with quick.yaml copied in as q.yaml (spec). */
static void spec_dir(char *dir, size_t n, char *spec, size_t specn, const char *parent,
                     const char *leaf)
{
    char p[512];
    db_file(p, sizeof p, parent);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(dir, n, "%s/%s", p, leaf);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(spec, specn, "%s/q.yaml", dir);
    char *text = tu_slurp(QUICK);
    assert_true(strlen(text) > 0);
    FILE *f = fopen(spec, "wb");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    free(text);
}

/* Runs argv without a shell, so that the paths reach dse as they are, with
 * PARALLEL_SSH=ssh when ssh is set; stdout into out (may be NULL, capped at
 * outlen), stderr into err (may be NULL).  The exit status. */
static int run_argv(char *const argv[], const char *ssh, char *out, size_t outlen, char **err)
{
    char ofile[600], efile[600];
    db_file(ofile, sizeof ofile, "run_argv.out");
    db_file(efile, sizeof efile, "run_argv.err");
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(ofile, "w", stdout) || !freopen(efile, "w", stderr) ||
            (ssh && setenv("PARALLEL_SSH", ssh, 1)))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char *o = tu_slurp(ofile);
    if (out)
        snprintf(out, outlen, "%s", o);
    free(o);
    char *e = tu_slurp(efile);
    if (err)
        *err = e;
    else {
        fputs(e, stderr); /* shown when the test fails */
        free(e);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The points of db are exactly those of the clean run of quick.yaml. */
static void assert_clean_points(const char *db)
{
    assert_int_equal(tu_assert_same_points(db, clean_db()), 6912);
}

/* The dse binary by absolute path (tu_dse_bin may be relative). */
static void dse_abs(char *buf, size_t n)
{
    char cwd[512];
    const char *d = tu_dse_bin();
    if (d[0] == '/') {
        snprintf(buf, n, "%s", d);
        return;
    }
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(buf, n, "%s/%s", cwd, d);
}

/* Spec, merged database and shards under a directory named ODD_NAME, two
 * local jobs: exit 0, the shard databases where asked, and the merged one
 * holds exactly the points of a plain dse run.  Then --dry-run: its lines,
 * run by a shell, make the same merged database (fresh shards). */
static void test_sweep_odd_paths(void **state)
{
    (void)state;
    char dir[600], spec[700], db[700], shard[800], out[8192];
    if (!have("parallel")) {
        printf("GNU parallel not installed: sweep not tested\n");
        return;
    }
    spec_dir(dir, sizeof dir, spec, sizeof spec, "odd", ODD_NAME);
    snprintf(db, sizeof db, "%s/merged 'db' $1.db", dir);
    char *argv[] = {(char *)tu_dse_bin(), "sweep", spec, "--jobs", "2", "--db", db, "--quiet",
                    NULL};
    assert_int_equal(run_argv(argv, NULL, NULL, 0, NULL), 0);
    for (int i = 0; i < 2; i++) { /* K = jobs x hosts = 2 */
        snprintf(shard, sizeof shard, "%s/shards/quick.%d.db", dir, i);
        assert_int_equal(access(shard, F_OK), 0);
    }
    assert_clean_points(db);

    /* --dry-run, pasted: into another database from other shards */
    char db2[700], sdir[700];
    snprintf(db2, sizeof db2, "%s/pasted \"db\".db", dir);
    snprintf(sdir, sizeof sdir, "%s/pasted shards 'x' $2", dir);
    char *dry[] = {(char *)tu_dse_bin(), "sweep", spec, "--jobs", "2", "--db", db2,
                   "--shard-dir", sdir, "--dry-run", NULL};
    assert_int_equal(run_argv(dry, NULL, out, sizeof out, NULL), 0);
    assert_int_equal(tu_lines(out), 3); /* mkdir, parallel, merge */
    assert_int_equal(access(sdir, F_OK), -1); /* a dry run makes nothing */
    char script[600];
    db_file(script, sizeof script, "dry_run.sh");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    assert_true(fputs(out, f) >= 0);
    assert_int_equal(fclose(f), 0);
    char *shell[] = {"/bin/sh", "-e", script, NULL};
    assert_int_equal(run_argv(shell, NULL, NULL, 0, NULL), 0);
    snprintf(shard, sizeof shard, "%s/quick.1.db", sdir);
    assert_int_equal(access(shard, F_OK), 0);
    assert_clean_points(db2);
}

/* An ssh stand-in for GNU parallel (PARALLEL_SSH): what ssh HOST WORDS...
 * does on a real host, the words joined by spaces and run by the login
 * shell in the home directory with a fresh environment; it logs each host.
 * tu_dir has no character a shell would touch. */
static void fake_ssh(char *path, size_t n, char *log, size_t logn)
{
    char home[512];
    db_file(path, n, "fake-ssh");
    db_file(log, logn, "fake-ssh.log");
    db_file(home, sizeof home, "remote-home");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n"
               "while [ $# -gt 0 ]; do\n"
               "  case \"$1\" in\n"
               "    -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;\n"
               "    -*) shift ;;\n"
               "    *) break ;;\n"
               "  esac\n"
               "done\n"
               "echo \"$1\" >> '%s'\n"
               "shift\n"
               "[ \"${1:-}\" = -- ] && shift\n"
               "mkdir -p '%s' && cd '%s' &&\n"
               "  exec env -i PATH=\"$PATH\" SHELL=/bin/sh HOME='%s' sh -c \"$*\"\n",
            log, home, home, home);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
}

/* The same through GNU parallel's remote path (--sshlogin with the ssh
 * stand-in; `--sshlogin :` runs locally, without ssh), the dse binary too
 * at a path under ODD_NAME (--remote-dse): shared paths, then --transfer
 * (rsync copies the spec to the host and the shards back). */
static void test_sweep_odd_paths_ssh(void **state)
{
    (void)state;
    char dir[600], spec[700], db[700], dse[700], real[600], ssh[512], log[512];
    if (!have("parallel")) {
        printf("GNU parallel not installed: sweep not tested\n");
        return;
    }
    fake_ssh(ssh, sizeof ssh, log, sizeof log);
    spec_dir(dir, sizeof dir, spec, sizeof spec, "odd-ssh", ODD_NAME);
    dse_abs(real, sizeof real);
    snprintf(dse, sizeof dse, "%s/dse 'link' $0", dir);
    assert_int_equal(symlink(real, dse), 0);
    snprintf(db, sizeof db, "%s/merged 'db' $1.db", dir);
    char *argv[] = {(char *)tu_dse_bin(), "sweep", spec, "--jobs", "2", "--sshlogin",
                    "2/fakehost", "--remote-dse", dse, "--db", db, "--quiet", NULL};
    assert_int_equal(run_argv(argv, ssh, NULL, 0, NULL), 0);
    char *hosts = tu_slurp(log);
    assert_non_null(strstr(hosts, "fakehost\n")); /* the shards went through ssh */
    free(hosts);
    assert_clean_points(db);

    if (!have("rsync")) {
        printf("rsync not installed: sweep --transfer not tested\n");
        return;
    }
    assert_int_equal(unlink(log), 0);
    snprintf(db, sizeof db, "%s/transfer/merged 'db' $1.db", dir);
    char *xfer[] = {(char *)tu_dse_bin(), "sweep", spec, "--jobs", "2", "--sshlogin",
                    "2/fakehost", "--transfer", "--remote-dse", dse, "--db", db, "--quiet",
                    NULL};
    assert_int_equal(run_argv(xfer, ssh, NULL, 0, NULL), 0);
    hosts = tu_slurp(log);
    assert_non_null(strstr(hosts, "fakehost\n"));
    free(hosts);
    assert_clean_points(db);
}

/* A path that GNU parallel would rewrite ({} is its replacement string,
 * even inside --quote) is refused with one line, exit 2, nothing made. */
static void test_sweep_brace_path(void **state)
{
    (void)state;
    char dir[600], spec[700], db[700], shards[700];
    char *err;
    spec_dir(dir, sizeof dir, spec, sizeof spec, "brace", "a{}b");
    snprintf(db, sizeof db, "%s/out.db", dir);
    snprintf(shards, sizeof shards, "%s/shards", dir);
    char *argv[] = {(char *)tu_dse_bin(), "sweep", spec, "--jobs", "2", "--db", db, "--quiet",
                    NULL};
    assert_int_equal(run_argv(argv, NULL, NULL, 0, &err), 2);
    assert_int_equal(tu_lines(err), 1);
    assert_non_null(strstr(err, "GNU parallel would replace"));
    assert_int_equal(access(shards, F_OK), -1);
    assert_int_equal(access(db, F_OK), -1);
    free(err);
}

static void test_bad_flags(void **state)
{
    (void)state;
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd, "%s run " QUICK " --shard 3/3 --no-db 2>&1", tu_dse_bin());
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "--shard"));
    snprintf(cmd, sizeof cmd, "%s run " QUICK " --no-db --db x.db 2>&1", tu_dse_bin());
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "%s run 2>&1", tu_dse_bin());
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "%s run " QUICK " --seed -1 --no-db 2>&1", tu_dse_bin());
    assert_int_equal(sh(cmd, out, sizeof out), 2);
}

/* --writer thread (the default) and --writer inline: the same rows, ids and
 * keys included, with many batches. */
static void test_writer_thread_equals_inline(void **state)
{
    (void)state;
    char a[512], b[512], cmd[1024];
    db_file(a, sizeof a, "thread.db");
    db_file(b, sizeof b, "inline.db");
    snprintf(cmd, sizeof cmd, "%s run " QUICK " --db %s --batch 100 --quiet 2>&1", tu_dse_bin(),
             a);
    assert_int_equal(sh(cmd, NULL, 0), 0);
    snprintf(cmd, sizeof cmd, "%s run " QUICK " --db %s --batch 100 --writer inline --quiet 2>&1",
             tu_dse_bin(), b);
    assert_int_equal(sh(cmd, NULL, 0), 0);
    char *x = rows_of(a, 0), *y = rows_of(b, 0), *z = rows_of(clean_db(), 1),
         *w = rows_of(a, 1);
    assert_string_equal(x, y);
    assert_string_equal(w, z); /* and the clean run's content (batch 4096) */
    free(x);
    free(y);
    free(z);
    free(w);
    snprintf(cmd, sizeof cmd, "%s run " QUICK " --no-db --writer sideways 2>&1", tu_dse_bin());
    assert_int_equal(sh(cmd, NULL, 0), 2);
}

/* The "breakdown" array of `dse show --json` (malloc'd), and its source. */
static char *shown_breakdown(const char *db, const char *point, char *source, size_t len)
{
    char cmd[2048], out[1 << 16];
    snprintf(cmd, sizeof cmd, "%s show --json --db %s '%s' 2>&1", tu_dse_bin(), db, point);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    char *a = strstr(out, "\"breakdown\": ["), *e = a ? strstr(a, "]") : NULL;
    char *src = strstr(out, "\"breakdown_source\": \"");
    assert_non_null(a);
    assert_non_null(e);
    assert_non_null(src);
    src += strlen("\"breakdown_source\": \"");
    snprintf(source, len, "%.*s", (int)(strchr(src, '"') - src), src);
    return strndup(a, (size_t)(e - a + 1));
}

/* A run with --breakdowns stores the model's breakdown of every point
 * (15 components here); `dse show` of a run without recomputes the same. */
static void test_breakdowns_stored_equal_recomputed(void **state)
{
    (void)state;
    char db[512], cmd[1024];
    db_file(db, sizeof db, "bd.db");
    snprintf(cmd, sizeof cmd, "%s run " QUICK " --db %s --breakdowns --quiet 2>&1", tu_dse_bin(),
             db);
    assert_int_equal(sh(cmd, NULL, 0), 0);
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT count(*) FROM breakdown),"
        " (SELECT count(*) FROM point WHERE valid)", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 15 * sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_int_equal(sqlite3_open_v2(clean_db(), &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT (SELECT count(*) FROM breakdown)", -1, &st,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 0); /* none without --breakdowns */
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT point FROM point WHERE valid AND id % 577 = 3",
                                        -1, &st, NULL), SQLITE_OK);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        char s1[32], s2[32];
        char *stored = shown_breakdown(db, p, s1, sizeof s1);
        char *again = shown_breakdown(clean_db(), p, s2, sizeof s2);
        assert_string_equal(s1, "stored");
        assert_string_equal(s2, "recomputed");
        assert_string_equal(stored, again);
        assert_non_null(strstr(stored, "\"component\": \"work_rd\""));
        free(stored);
        free(again);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_true(n >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quick_no_db),
        cmocka_unit_test(test_quick_db_and_repeat),
        cmocka_unit_test(test_kill_and_resume),
        cmocka_unit_test(test_sigint),
        cmocka_unit_test(test_shards),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_sweep_odd_paths),
        cmocka_unit_test(test_sweep_odd_paths_ssh),
        cmocka_unit_test(test_sweep_brace_path),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_writer_thread_equals_inline),
        cmocka_unit_test(test_breakdowns_stored_equal_recomputed),
    };
    return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
