/*
 * cmd_sweep.c - `dse sweep SPEC`: the scale-out driver.  Splits the spec's
 * search into K shards, runs `dse run SPEC --shard I/K --db SHARD_I` for
 * each through GNU parallel (local cores with --jobs, remote hosts with
 * --sshlogin), then either merges the shard databases into OUT with `dse
 * merge`, or leaves them and makes OUT a shard-set file (dbset.h) that
 * every read command (pareto, show, merge, the plots) reads as one
 * database.  Default: merge up to SWEEP_AUTO_MERGE points (the merge then
 * costs a fraction of a second and a single file is handier), keep the
 * shards above (merging costs about as much as storing again, while
 * queries over the shards are as fast: docs/SPEC.md, "Merge or not").
 *
 * The shards are fixed sets of the search sequence whose union is exactly
 * the unsharded run (docs/SPEC.md, "Shards"), so the merged database, or
 * the set, holds exactly its points.  Every shard is its own resumable run:
 * after a failure or an interruption, the same `dse sweep` command redoes
 * only what is missing.  Remote hosts need the same paths (a shared
 * directory) unless --transfer is given (docs/SPEC.md, "Sweeping on many
 * hosts").
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"
#include "db.h"
#include "dbset.h"
#include "spec.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD "sweep"
#define SWEEP_MAX_LOGINS 64
#define SWEEP_MAX_SHARDS 10000
/* The default merges sweeps of at most this many points (a merge of a
 * fraction of a second: README, "Performance"), and keeps the shards of
 * larger ones. */
#define SWEEP_AUTO_MERGE 200000

typedef struct {
    const char *spec, *out, *shard_dir, *remote_dse, *seed;
    const char *login[SWEEP_MAX_LOGINS];
    int nlogin, jobs, shards, transfer, dry_run, quiet, keep_going;
    int merge; /* 1 --merge, 0 --no-merge, -1 by size */
} sweep_opts;

static void sweep_usage(FILE *f)
{
    fprintf(f,
        "usage: dse sweep SPEC.yaml [--jobs N] [--shards K] [--db OUT] [--shard-dir DIR]\n"
        "                 [--sshlogin LOGIN]... [--transfer] [--remote-dse PATH]\n"
        "                 [--seed S] [--merge | --no-merge] [--dry-run] [--quiet]\n\n"
        "Runs the spec's search as K shards through GNU parallel, each shard into its\n"
        "own database (DIR/NAME.I.db), then merges them into OUT, or makes OUT a\n"
        "shard-set file naming them, which dse pareto, show, merge and the plots read\n"
        "as one database.  Either holds exactly the points of a single `dse run`.\n"
        "Run the same command again to finish an interrupted sweep.\n\n"
        "  --jobs N          parallel jobs per host (default: the number of cores)\n"
        "  --shards K        number of shards (default: jobs x hosts)\n"
        "  --db OUT          merged database (default: the spec's output.db, else %s)\n"
        "  --shard-dir DIR   shard databases (default: DIR(OUT)/shards)\n"
        "  --sshlogin L      a GNU parallel login ([N/]user@host, ':' = this machine);\n"
        "                    repeat for several hosts\n"
        "  --transfer        copy the spec to the hosts and the shard databases back\n"
        "                    (without it, hosts must share the paths)\n"
        "  --remote-dse P    path of dse on the hosts (default: this binary's path)\n"
        "  --seed S          passed to every shard (dse run --seed)\n"
        "  --merge           merge the shards into OUT (default up to %d points)\n"
        "  --no-merge        keep the shards; OUT names them (default above %d points;\n"
        "                    `dse merge NEW.db OUT` merges later)\n"
        "  --dry-run         print the commands of the sweep (mkdir, parallel, merge),\n"
        "                    quoted to paste into a shell; run nothing\n"
        "  --quiet           no progress lines\n"
        "A spec with an accuracy section: after the merge (always), its rungs run one\n"
        "after the other, each as K shards of trainings (dse run --rung R --shard I/K)\n"
        "storing into OUT; the accuracies are exactly those of one dse run.\n"
        "  --help            this text\n",
        DB_DEFAULT_PATH, SWEEP_AUTO_MERGE, SWEEP_AUTO_MERGE);
}

static int parse_args(int argc, char **argv, sweep_opts *o)
{
    static const struct option lo[] = {
        {"jobs", required_argument, 0, 'j'}, {"shards", required_argument, 0, 'k'},
        {"db", required_argument, 0, 'd'}, {"shard-dir", required_argument, 0, 'D'},
        {"sshlogin", required_argument, 0, 'S'}, {"transfer", no_argument, 0, 't'},
        {"remote-dse", required_argument, 0, 'r'}, {"seed", required_argument, 0, 's'},
        {"dry-run", no_argument, 0, 'n'}, {"quiet", no_argument, 0, 'q'},
        {"merge", no_argument, 0, 'm'}, {"no-merge", no_argument, 0, 'M'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    long v;
    memset(o, 0, sizeof *o);
    o->merge = -1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hqj:", lo, NULL)) != -1) {
        switch (c) {
        case 'j':
            if (vp_long(optarg, 1, 4096, &v))
                return cli_bad(CMD, "--jobs takes an integer in 1..4096, got '%s'", optarg);
            o->jobs = (int)v;
            break;
        case 'k':
            if (vp_long(optarg, 1, SWEEP_MAX_SHARDS, &v))
                return cli_bad(CMD, "--shards takes an integer in 1..%d, got '%s'",
                               SWEEP_MAX_SHARDS, optarg);
            o->shards = (int)v;
            break;
        case 'd': o->out = optarg; break;
        case 'D': o->shard_dir = optarg; break;
        case 'S':
            if (o->nlogin == SWEEP_MAX_LOGINS)
                return cli_bad(CMD, "at most %d --sshlogin", SWEEP_MAX_LOGINS);
            if (!*optarg || strchr(optarg, '\'') || strchr(optarg, '"'))
                return cli_bad(CMD, "bad --sshlogin '%s'", optarg);
            o->login[o->nlogin++] = optarg;
            break;
        case 't': o->transfer = 1; break;
        case 'r': o->remote_dse = optarg; break;
        case 's': {
            unsigned long long x;
            char *end;
            errno = 0;
            x = strtoull(optarg, &end, 10);
            if (errno || *end || end == optarg || optarg[0] == '-')
                return cli_bad(CMD, "--seed takes an integer >= 0, got '%s'", optarg);
            (void)x;
            o->seed = optarg;
            break;
        }
        case 'n': o->dry_run = 1; break;
        case 'q': o->quiet = 1; break;
        case 'm': o->merge = 1; break;
        case 'M': o->merge = 0; break;
        case 'h': sweep_usage(stdout); return -1;
        case ':': return cli_bad(CMD, "option %s needs a value", argv[optind - 1]);
        default: return cli_bad(CMD, "unknown option '%s' (try dse sweep --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_bad(CMD, "expected one spec (dse sweep SPEC.yaml --jobs N)");
    o->spec = argv[optind];
    if (o->transfer && !o->nlogin)
        return cli_bad(CMD, "--transfer goes with --sshlogin");
    return 0;
}

/* Absolute path of the running binary (for the jobs). */
static int self_path(char *buf, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", buf, n - 1);
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    return 0;
}

static int mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

/* A growable argv. */
typedef struct {
    char **v;
    int n, cap;
} argvec;

static int push(argvec *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? a->cap * 2 : 64;
        char **nv = realloc(a->v, sizeof *nv * (size_t)cap);
        if (!nv)
            return -1;
        a->v = nv;
        a->cap = cap;
    }
    if (s && !(a->v[a->n++] = strdup(s)))
        return -1;
    a->v[a->n] = NULL;
    return 0;
}

static void argvec_free(argvec *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

/* --dry-run: the command, quoted so that pasted into a shell it runs with
 * exactly the arguments sweep would pass (paths with spaces included); with
 * dir, in a subshell that first enters dir, as run_child does. */
static int print_cmd(char *dir, const argvec *a)
{
    char *cd = NULL, *prefix = NULL, *line;
    if (dir) {
        size_t len;
        if (!(cd = cli_shell_join(NULL, 1, &dir)) || !(prefix = malloc(len = strlen(cd) + 16))) {
            free(cd);
            return -1;
        }
        snprintf(prefix, len, "(cd %s &&", cd);
    }
    line = cli_shell_join(prefix, a->n, a->v);
    free(cd);
    free(prefix);
    if (!line)
        return -1;
    printf("%s%s\n", line, dir ? ")" : "");
    free(line);
    return 0;
}

static int run_child(const argvec *a, const char *dir)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (dir && chdir(dir)) {
            fprintf(stderr, "dse sweep: cannot enter %s: %s\n", dir, strerror(errno));
            _exit(127);
        }
        execvp(a->v[0], a->v);
        fprintf(stderr, "dse sweep: cannot run %s: %s\n", a->v[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* --transfer: the spec's text into DIR/NAME (what the hosts receive). */
static int copy_spec(const spec *s, const char *dir, const char *name)
{
    char path[2 * PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int bad = !f;
    if (f) {
        bad = fwrite(s->text, 1, s->len, f) != s->len;
        bad |= fclose(f) != 0;
    }
    if (bad)
        fprintf(stderr, "dse sweep: cannot write %s: %s\n", path, strerror(errno));
    return bad ? -1 : 0;
}

/*
 * The GNU parallel command line of the shards.  parallel joins the words of
 * its command with spaces and hands the line to a shell (the remote login
 * shell with --sshlogin), so a path with a space, a quote or a '$' would be
 * split or expanded there: --quote makes it quote every word (after putting
 * the shard number into {}), locally and on the hosts alike.
 */
static int parallel_head(const sweep_opts *o, argvec *a)
{
    char buf[64];
    int rc = push(a, "parallel") || push(a, "--quote") || push(a, "--halt") ||
             push(a, "now,fail=1") || push(a, "--line-buffer") || push(a, "--tag");
    if (o->jobs) {
        snprintf(buf, sizeof buf, "%d", o->jobs);
        rc |= push(a, "--jobs") || push(a, buf);
    }
    for (int i = 0; i < o->nlogin; i++)
        rc |= push(a, "--sshlogin") || push(a, o->login[i]);
    if (getenv("FDHT_TECH_DIR"))
        rc |= push(a, "--env") || push(a, "FDHT_TECH_DIR");
    return rc;
}

static int build_parallel(const sweep_opts *o, const char *dse, const char *spec_abs,
                          const char *shard_pat, int K, argvec *a)
{
    char buf[PATH_MAX + 64];
    int rc = parallel_head(o, a);
    if (o->transfer)
        rc |= push(a, "--basefile") ||
              push(a, spec_abs) || push(a, "--return") || push(a, shard_pat) ||
              push(a, "--cleanup");
    rc |= push(a, dse) || push(a, "run") || push(a, spec_abs) || push(a, "--shard");
    snprintf(buf, sizeof buf, "{}/%d", K);
    rc |= push(a, buf) || push(a, "--db") || push(a, shard_pat) || push(a, "--quiet");
    if (o->seed)
        rc |= push(a, "--seed") || push(a, o->seed);
    rc |= push(a, ":::");
    for (int i = 0; i < K; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        rc |= push(a, buf);
    }
    return rc ? -1 : 0;
}

/* path made absolute against the working directory, without resolving
 * links or needing it to exist (--dry-run creates nothing), so that the
 * printed commands and the run use the same spelling. */
static int abs_path(const char *path, char *buf, size_t n)
{
    char cwd[PATH_MAX];
    int len;
    if (path[0] == '/')
        len = snprintf(buf, n, "%s", path);
    else if (getcwd(cwd, sizeof cwd))
        len = snprintf(buf, n, "%s/%s", cwd, path);
    else
        return -1;
    if (len < 0 || (size_t)len >= n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* GNU parallel replaces {}, {.}, {/}, {1}, {=...=} and more in every word of
 * its command, quoted or not, and has no escape for them: a path with a '{'
 * before a '}' is refused rather than changed into another path. */
static int parallel_literal(const char *what, const char *path)
{
    const char *b = strchr(path, '{');
    if (b && strchr(b, '}')) {
        cli_bad(CMD, "%s '%s' has '{...}', which GNU parallel would replace; use a path "
                "without braces", what, path);
        return -1;
    }
    return 0;
}

/* --dry-run: every step of the sweep as a shell command, in order, so that
 * the lines pasted into a shell in this directory do what sweep does. */
static int print_steps(const sweep_opts *o, const spec *s, const char *shard_dir,
                       const char *out_dir, char *shard_abs, const argvec *par,
                       const argvec *mrg)
{
    argvec mk = {0}, cp = {0};
    char copy[2 * PATH_MAX + 64];
    int rc = push(&mk, "mkdir") || push(&mk, "-p") || push(&mk, "--") || push(&mk, shard_dir) ||
             push(&mk, out_dir) || print_cmd(NULL, &mk);
    if (!rc && o->transfer) {
        snprintf(copy, sizeof copy, "%s/%s.spec.yaml", shard_dir, s->name);
        rc = push(&cp, "cp") || push(&cp, "--") || push(&cp, o->spec) || push(&cp, copy) ||
             print_cmd(NULL, &cp);
    }
    rc = rc || print_cmd(o->transfer ? shard_abs : NULL, par) || (mrg && print_cmd(NULL, mrg));
    argvec_free(&mk);
    argvec_free(&cp);
    return rc ? -1 : 0;
}

/*
 * Whether to merge: --merge / --no-merge, else by size; an OUT that exists
 * and is not a shard-set file (a database) is always merged into, never
 * replaced.  1, 0, or -1 (refused, reported: bad input).
 */
static int merge_choice(const sweep_opts *o, const char *out, unsigned long long npoints)
{
    struct stat sb;
    int exists = stat(out, &sb) == 0, set = exists && dbset_is_setfile(out);
    if (o->merge == 1)
        return 1;
    if (exists && !set) {
        if (o->merge == 0) {
            cli_bad(CMD, "%s exists and is not a shard-set file: --no-merge would replace it "
                    "(use --merge to merge into it, or another --db)", out);
            return -1;
        }
        return 1;
    }
    return o->merge == 0 ? 0 : npoints <= SWEEP_AUTO_MERGE;
}

/* The shard databases as OUT's shard-set file names them: relative to its
 * directory when they are in the default shard directory (the pair moves
 * together), else absolute. */
static int set_members(const sweep_opts *o, const spec *s, const char *shard_abs, int K,
                       argvec *m)
{
    for (int i = 0; i < K; i++) {
        char p[2 * PATH_MAX + 128];
        if (o->shard_dir)
            snprintf(p, sizeof p, "%s/%s.%d.db", shard_abs, s->name, i);
        else
            snprintf(p, sizeof p, "shards/%s.%d.db", s->name, i);
        if (push(m, p))
            return -1;
    }
    return 0;
}

/* --dry-run of a shard-set file: printf ... > OUT. */
static int print_setfile(const char *out, const argvec *members)
{
    argvec a = {0};
    int rc = push(&a, "printf") || push(&a, "%s\\n") || push(&a, DBSET_MAGIC);
    for (int i = 0; i < members->n && !rc; i++)
        rc = push(&a, members->v[i]);
    char *o = (char *)out;
    char *line = rc ? NULL : cli_shell_join(NULL, a.n, a.v), *q = cli_shell_join(NULL, 1, &o);
    if (line && q)
        printf("%s > %s\n", line, q);
    rc = !line || !q;
    free(line);
    free(q);
    argvec_free(&a);
    return rc ? -1 : 0;
}

/* After the shards: the merge (into a temporary file renamed over OUT when
 * OUT is a shard-set file), or OUT's shard-set file. */
static int finish(const sweep_opts *o, const char *out, int merge, const argvec *mrg,
                  const argvec *members, const char *tmp)
{
    char err[512];
    if (!merge) {
        if (dbset_write_setfile(out, members->v, members->n, err, sizeof err))
            return cli_bad(CMD, "%s", err), CLI_FAIL;
        if (!o->quiet)
            printf("dse sweep: done: %s names the %d shard databases (read as one by dse "
                   "pareto, show, merge and the plots)\n", out, members->n);
        return CLI_OK;
    }
    if (!o->quiet)
        printf("dse sweep: merging %d shards into %s\n", members->n, out);
    int st = run_child(mrg, NULL);
    if (st != 0) {
        fprintf(stderr, "dse sweep: dse merge failed (status %d)\n", st);
        return CLI_FAIL;
    }
    if (tmp && rename(tmp, out)) {
        fprintf(stderr, "dse sweep: cannot rename %s to %s: %s\n", tmp, out, strerror(errno));
        return CLI_FAIL;
    }
    if (!o->quiet)
        printf("dse sweep: done: %s\n", out);
    return CLI_OK;
}

/*
 * A spec with an accuracy section, once the points are merged into OUT: its
 * rungs one after the other, each as K shards of trainings through GNU
 * parallel (dse run --rung R --shard I/K; every shard stores into OUT, whose
 * writers SQLite queues), then one dse run --rung that trains nothing and
 * prints the accuracy-aware front.
 */
static int sweep_rungs(const sweep_opts *o, const spec *s, const char *dse,
                       const char *spec_abs, const char *out, int K)
{
    char out_abs[PATH_MAX], buf[64];
    if (abs_path(out, out_abs, sizeof out_abs) || parallel_literal("--db", out_abs))
        return CLI_BADINPUT;
    for (int r = 0; r <= s->acc.nrungs; r++) {
        int last = r == s->acc.nrungs; /* the summary */
        argvec a = {0};
        snprintf(buf, sizeof buf, "%d", last ? r - 1 : r);
        int bad = (!last && parallel_head(o, &a)) || push(&a, dse) || push(&a, "run") ||
                  push(&a, spec_abs) || push(&a, "--db") || push(&a, out_abs) ||
                  push(&a, "--rung") || push(&a, buf) || (o->seed && (push(&a, "--seed") ||
                                                                     push(&a, o->seed)));
        if (!last) {
            snprintf(buf, sizeof buf, "{}/%d", K);
            bad = bad || push(&a, "--shard") || push(&a, buf) || push(&a, "--quiet") ||
                  push(&a, ":::");
            for (int i = 0; i < K && !bad; i++) {
                snprintf(buf, sizeof buf, "%d", i);
                bad = push(&a, buf);
            }
        } else if (o->quiet) {
            bad = bad || push(&a, "--quiet");
        }
        if (bad) {
            argvec_free(&a);
            fprintf(stderr, "dse sweep: out of memory\n");
            return CLI_FAIL;
        }
        if (!o->quiet && !o->dry_run && !last)
            printf("dse sweep: accuracy rung %d of %d (%d epoch%s) in %d shards\n", r + 1,
                   s->acc.nrungs, s->acc.budget[r], s->acc.budget[r] == 1 ? "" : "s", K);
        int st = o->dry_run ? print_cmd(NULL, &a) : run_child(&a, NULL);
        argvec_free(&a);
        if (st != 0) {
            fprintf(stderr, "dse sweep: accuracy rung %d failed (status %d); %s keeps the "
                    "trainings done: run the same command again to finish\n", r, st, out);
            return st == 2 ? CLI_BADINPUT : CLI_FAIL;
        }
    }
    return CLI_OK;
}

static int sweep_main(const sweep_opts *o)
{
    spec *s = NULL;
    spec_diag g;
    char dse[PATH_MAX], spec_abs[PATH_MAX], out_dir[PATH_MAX], shard_dir[PATH_MAX + 16];
    char shard_abs[PATH_MAX], shard_pat[2 * PATH_MAX + 128];
    char tmp[PATH_MAX + 32];
    argvec par = {0}, mrg = {0}, members = {0};
    int rc = CLI_FAIL;

    spec_diag_init(&g);
    if (spec_load_file(o->spec, &s, &g)) { /* nothing starts on a bad spec */
        fputs(spec_diag_text(&g), stderr);
        rc = g.internal ? CLI_FAIL : CLI_BADINPUT;
        spec_diag_free(&g);
        return rc;
    }
    spec_diag_free(&g);
    if (s->search.strategy == MAP_GUIDED) {
        spec_free(s);
        return cli_bad(CMD, "the guided search is sequential; use dse run (one process)");
    }
    const char *out = o->out ? o->out : s->db_path ? s->db_path : DB_DEFAULT_PATH;
    unsigned long long npoints = map_search_count(&s->space, &s->search);
    int merge = merge_choice(o, out, npoints);
    if (merge < 0) {
        spec_free(s);
        return CLI_BADINPUT;
    }
    if (s->acc.on) { /* the rungs read every point and store into one database */
        if (o->merge == 0 || o->transfer) {
            spec_free(s);
            return cli_bad(CMD, "the accuracy rungs train into one database (OUT, on paths "
                           "every host shares): drop %s", o->transfer ? "--transfer" : "--no-merge");
        }
        merge = 1;
    }
    /* a shard-set OUT becomes a database only once the merge is complete */
    int to_tmp = merge && dbset_is_setfile(out);
    snprintf(tmp, sizeof tmp, "%s.merging", out);
    int hosts = o->nlogin ? o->nlogin : 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int K = o->shards ? o->shards : (o->jobs ? o->jobs : (int)(ncpu > 0 ? ncpu : 1)) * hosts;
    if (o->remote_dse)
        snprintf(dse, sizeof dse, "%s", o->remote_dse);
    else if (self_path(dse, sizeof dse)) {
        fprintf(stderr, "dse sweep: cannot find the dse binary's path\n");
        goto done;
    }
    if (!realpath(o->spec, spec_abs)) {
        fprintf(stderr, "dse sweep: %s: %s\n", o->spec, strerror(errno));
        goto done;
    }
    snprintf(out_dir, sizeof out_dir, "%s", out);
    char *slash = strrchr(out_dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(out_dir, sizeof out_dir, ".");
    if (o->shard_dir)
        snprintf(shard_dir, sizeof shard_dir, "%s", o->shard_dir);
    else
        snprintf(shard_dir, sizeof shard_dir, "%s/shards", out_dir);
    if (abs_path(shard_dir, shard_abs, sizeof shard_abs)) {
        fprintf(stderr, "dse sweep: %s: %s\n", shard_dir, strerror(errno));
        goto done;
    }
    /* the words of parallel's command are checked before anything is made;
     * with --transfer the spec and shard names there are the spec's name */
    if (parallel_literal(o->remote_dse ? "--remote-dse" : "dse binary path", dse) ||
        (!o->transfer && (parallel_literal("spec path", spec_abs) ||
                          parallel_literal("shard directory", shard_abs)))) {
        rc = CLI_BADINPUT;
        goto done;
    }
    if (!o->dry_run && (mkdirs(shard_dir) || mkdirs(out_dir))) {
        fprintf(stderr, "dse sweep: cannot create %s: %s\n", shard_dir, strerror(errno));
        goto done;
    }
    /* shard databases by absolute path; with --transfer, parallel runs in
     * the shard directory with relative names: the spec (copied there) goes
     * to a fresh remote working directory, the shard database comes back */
    if (o->transfer) {
        snprintf(shard_pat, sizeof shard_pat, "%s.{}.db", s->name);
        snprintf(spec_abs, sizeof spec_abs, "%s.spec.yaml", s->name);
        if (!o->dry_run && copy_spec(s, shard_dir, spec_abs))
            goto done;
    } else {
        snprintf(shard_pat, sizeof shard_pat, "%s/%s.{}.db", shard_abs, s->name);
    }
    if (build_parallel(o, dse, spec_abs, shard_pat, K, &par) || push(&mrg, dse) ||
        push(&mrg, "merge") || push(&mrg, to_tmp ? tmp : out) ||
        set_members(o, s, shard_abs, K, &members))
        goto oom;
    for (int i = 0; i < K; i++) {
        char p[2 * PATH_MAX + 128];
        snprintf(p, sizeof p, "%s/%s.%d.db", shard_dir, s->name, i);
        if (push(&mrg, p))
            goto oom;
    }
    if (o->dry_run) {
        if (print_steps(o, s, shard_dir, out_dir, shard_abs, &par, merge ? &mrg : NULL) ||
            (!merge && print_setfile(out, &members)))
            goto oom;
        argvec mv = {0};
        int bad = to_tmp && (push(&mv, "mv") || push(&mv, "-f") || push(&mv, "--") ||
                             push(&mv, tmp) || push(&mv, out) || print_cmd(NULL, &mv));
        argvec_free(&mv);
        if (bad)
            goto oom;
        rc = s->acc.on ? sweep_rungs(o, s, dse, spec_abs, out, K) : CLI_OK;
        goto done;
    }
    if (!o->quiet)
        printf("dse sweep: %s: %llu points in %d shards on %d host%s\n", s->name, npoints, K,
               hosts, hosts == 1 ? "" : "s");
    int st = run_child(&par, o->transfer ? shard_abs : NULL);
    if (st != 0) {
        fprintf(stderr, "dse sweep: GNU parallel failed (status %d); the shard databases in %s "
                "keep what was done: run the same command again to finish\n", st, shard_dir);
        rc = st == 2 ? CLI_BADINPUT : CLI_FAIL;
        goto done;
    }
    rc = finish(o, out, merge, &mrg, &members, to_tmp ? tmp : NULL);
    if (rc == CLI_OK && s->acc.on)
        rc = sweep_rungs(o, s, dse, spec_abs, out, K);
    goto done;
oom:
    fprintf(stderr, "dse sweep: out of memory\n");
done:
    argvec_free(&par);
    argvec_free(&mrg);
    argvec_free(&members);
    spec_free(s);
    return rc;
}

int cmd_sweep(int argc, char **argv)
{
    sweep_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    return sweep_main(&o);
}
