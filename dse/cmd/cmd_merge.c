/*
 * cmd_merge.c - `dse merge OUT IN...`: merges shard databases into OUT.
 *
 * Every input (a database, a directory of them, a shard-set file: dbset.h)
 * is opened read-only and checked (SQLite, ours, a version this dse reads,
 * no shard of another spec among them) before OUT is touched.  Then each
 * input is copied into OUT by the database module (db.h: db_merge_input,
 * in dse/io/db_merge.c): runs (deduplicated by uuid, so merging twice adds
 * nothing), component names, points (a point present in several inputs is
 * stored once, with the breakdown of its first copy), breakdowns,
 * accuracies and trained accuracies.
 *
 * Speed: a new OUT starts as a copy of the largest input's file (db_copy.c,
 * in the kernel); the points of the others go in by one INSERT ... SELECT
 * each from the input attached to OUT, keys reused (db_merge_fast.c); only
 * the rare rest row by row.  Atomicity: an OUT that existed gets everything
 * in ONE transaction (more inputs than SQLite attaches at once are first
 * merged into a new temporary file); a new OUT is written group by group
 * without a journal under a temporary name, and linked to OUT's name only
 * when complete, so either way OUT ends complete or as it was, also when
 * the merge is killed.
 */
#include "cli.h"
#include "db.h"
#include "dbset.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "merge"

typedef db_merge_stats merge_stats;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dse merge OUT IN...\n\n"
        "Merges results databases (e.g. the shards of one sweep) into OUT, created\n"
        "when missing.  A point stored in several inputs is stored once; runs are\n"
        "copied (once, however often merged).  All inputs must have this dse's\n"
        "schema version.  On error, or when killed, OUT is left as it was.\n");
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Removes an OUT this command created (and its WAL files). */
static void remove_created(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        size_t len = strlen(path) + 16;
        char *p = malloc(len);
        if (!p)
            return;
        snprintf(p, len, "%s%s", path, sfx[i]);
        unlink(p);
        free(p);
    }
}

static int parse_args(int argc, char **argv)
{
    static const struct option lo[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        return cli_bad(CMD, "unknown option '%s' (try --help)", argv[optind - 1]);
    }
    if (argc - optind < 2)
        return cli_bad(CMD, "expected OUT and at least one IN (try --help)");
    return 0;
}

/* Opens and checks every input before OUT is touched. */
static int open_inputs(const char *out, char **paths, int n, db_conn **in)
{
    char err[512];
    for (int i = 0; i < n; i++) {
        if (same_file(out, paths[i]))
            return cli_bad(CMD, "input '%s' is the output", paths[i]);
        if (db_open(paths[i], DB_READONLY, &in[i], err, sizeof err))
            return cli_bad(CMD, "%s", err);
    }
    if (dbset_check_specs(in, n, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    return 0;
}

/* Inputs attached to OUT at once: SQLite's limit (10 here), less one, at
 * most MERGE_GROUP_MAX. */
#define MERGE_GROUP_MAX 16
static int group_size(db_conn *out)
{
    int lim = db_attach_max(out) - 1;
    return lim < 1 ? 1 : lim > MERGE_GROUP_MAX ? MERGE_GROUP_MAX : lim;
}

/* The largest input of the current schema version (a wholesale copy keeps its
 * keys, which version 1 files hash otherwise); -1 when none. */
static int largest_input(db_conn **in, int n)
{
    int best = -1;
    off_t size = -1;
    for (int i = 0; i < n; i++) {
        struct stat sb;
        if (db_schema_version(in[i]) == DB_SCHEMA_VERSION && stat(db_path(in[i]), &sb) == 0 &&
            sb.st_size > size) {
            size = sb.st_size;
            best = i;
        }
    }
    return best;
}

/* Inputs in[lo..hi) but skip, each attached when it has this schema version,
 * in one transaction of OUT. */
static int merge_group(db_conn *out, db_conn **in, int lo, int hi, int skip, merge_stats *st)
{
    char err[512], alias[MERGE_GROUP_MAX][16];
    int att[MERGE_GROUP_MAX] = {0}, rc = CLI_OK;
    for (int i = lo; i < hi && rc == CLI_OK; i++) {
        snprintf(alias[i - lo], sizeof alias[0], "in%d", i - lo);
        if (i == skip || db_schema_version(in[i]) != DB_SCHEMA_VERSION)
            continue;
        if (db_attach(out, db_path(in[i]), alias[i - lo], err, sizeof err))
            rc = cli_bad(CMD, "%s", err);
        att[i - lo] = 1;
    }
    if (rc == CLI_OK && db_begin(out, err, sizeof err))
        rc = cli_bad(CMD, "%s", err);
    for (int i = lo; i < hi && rc == CLI_OK; i++)
        if (i != skip && db_merge_input(out, in[i], att[i - lo] ? alias[i - lo] : NULL, st, err,
                                        sizeof err))
            rc = CLI_FAIL, cli_bad(CMD, "%s", err);
    if (rc == CLI_OK && db_commit(out, err, sizeof err))
        rc = CLI_FAIL, cli_bad(CMD, "%s", err);
    if (rc != CLI_OK)
        db_rollback(out);
    for (int i = lo; i < hi; i++)
        if (att[i - lo])
            db_detach(out, alias[i - lo]);
    return rc;
}

/* db_bulk_mode, reported. */
static int bulk_mode(db_conn *out, int on)
{
    char err[512];
    if (db_bulk_mode(out, on, err, sizeof err) == 0)
        return CLI_OK;
    cli_bad(CMD, "%s", err);
    return CLI_FAIL;
}

/*
 * A new OUT: a copy of the largest input (db_copy_whole), then the others group by
 * group, written without a journal (a failure removes the file: the caller);
 * the file is left in WAL mode like every database of dse.
 */
static int merge_new(const char *out_path, db_conn **in, int n, merge_stats *st)
{
    char err[512];
    int first = largest_input(in, n);
    if (first >= 0 && db_copy_whole(out_path, in[first], err, sizeof err))
        return cli_bad(CMD, "%s", err), CLI_FAIL;
    if (first >= 0)
        db_merge_count(in[first], st); /* what the copy brought, for the summary */
    db_conn *out;
    int orc = db_open(out_path, DB_CREATE, &out, err, sizeof err);
    if (orc) { /* a full disk is a write failure (1), not bad input (2) */
        cli_bad(CMD, "%s", err);
        return orc == DB_FAIL_WRITE ? CLI_FAIL : CLI_BADINPUT;
    }
    int rc = bulk_mode(out, 1);
    for (int lo = 0, g = group_size(out); lo < n && rc == CLI_OK; lo += g)
        rc = merge_group(out, in, lo, lo + g < n ? lo + g : n, first, st);
    if (rc == CLI_OK)
        rc = bulk_mode(out, 0);
    db_close(out);
    return rc;
}

static int merge_all(const char *out_path, db_conn **in, int n, merge_stats *st);

/* An existing OUT and more inputs than attach at once: they are merged into
 * a new temporary file first, which then goes into OUT in one transaction. */
static int merge_staged(const char *out_path, db_conn **in, int n, merge_stats *st)
{
    size_t len = strlen(out_path) + 32;
    char *tmp = malloc(len), err[512];
    if (!tmp)
        return cli_bad(CMD, "out of memory"), CLI_FAIL;
    snprintf(tmp, len, "%s.merging%ld", out_path, (long)getpid());
    merge_stats st1 = {0};
    int rc = merge_new(tmp, in, n, &st1);
    db_conn *t = NULL;
    if (rc == CLI_OK && db_open(tmp, DB_READONLY, &t, err, sizeof err)) {
        cli_bad(CMD, "%s", err);
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK)
        rc = merge_all(out_path, &t, 1, st);
    db_close(t);
    remove_created(tmp);
    free(tmp);
    return rc;
}

/* The finished temporary file tmp becomes OUT: linked (never over an OUT
 * made meanwhile by another process), or renamed where the file system has
 * no links; then the temporary name goes. */
static int publish(const char *tmp, const char *out_path)
{
    if (link(tmp, out_path) == 0) {
        unlink(tmp);
        return CLI_OK;
    }
    if (errno == EEXIST)
        return cli_bad(CMD, "%s was created by another process meanwhile; left as it is (the "
                       "merge is in %s)", out_path, tmp), CLI_FAIL;
    if (errno != EPERM && errno != ENOTSUP && errno != ENOSYS && errno != EMLINK)
        return cli_bad(CMD, "%s: %s", out_path, strerror(errno)), CLI_FAIL;
    if (rename(tmp, out_path))
        return cli_bad(CMD, "%s: %s", out_path, strerror(errno)), CLI_FAIL;
    return CLI_OK;
}

/*
 * A new OUT is built under a temporary name beside it (OUT.merge-PID) and
 * appears complete, or not at all: a merge killed midway leaves no OUT
 * (only the temporary file, which may be removed).
 */
static int merge_into_new(const char *out_path, db_conn **in, int n, merge_stats *st)
{
    size_t len = strlen(out_path) + 32;
    char *tmp = malloc(len);
    if (!tmp)
        return cli_bad(CMD, "out of memory"), CLI_FAIL;
    snprintf(tmp, len, "%s.merge-%ld", out_path, (long)getpid());
    int rc = merge_new(tmp, in, n, st);
    if (rc == CLI_OK)
        rc = publish(tmp, out_path);
    if (rc != CLI_OK)
        remove_created(tmp);
    free(tmp);
    return rc;
}

static int merge_all(const char *out_path, db_conn **in, int n, merge_stats *st)
{
    char err[512];
    struct stat sb;
    if (stat(out_path, &sb) != 0)
        return merge_into_new(out_path, in, n, st);
    db_conn *out;
    int orc = db_open(out_path, DB_CREATE, &out, err, sizeof err);
    if (orc) { /* a full disk is a write failure (1), not bad input (2) */
        cli_bad(CMD, "%s", err);
        return orc == DB_FAIL_WRITE ? CLI_FAIL : CLI_BADINPUT;
    }
    int rc = n > group_size(out) ? merge_staged(out_path, in, n, st)
                                 : merge_group(out, in, 0, n, -1, st);
    db_close(out);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    int rc = parse_args(argc, argv);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *out = argv[optind];
    char **paths = NULL, err[512];
    int n = 0;
    if (dbset_expand((const char *const *)argv + optind + 1, argc - optind - 1, &paths, &n, err,
                     sizeof err))
        return cli_bad(CMD, "%s", err);
    db_conn **in = calloc((size_t)n, sizeof *in);
    if (!in) {
        dbset_paths_free(paths, n);
        cli_bad(CMD, "out of memory");
        return CLI_FAIL;
    }
    merge_stats st = {0};
    rc = open_inputs(out, paths, n, in);
    if (!rc)
        rc = merge_all(out, in, n, &st);
    for (int i = 0; i < n; i++)
        db_close(in[i]);
    free(in);
    dbset_paths_free(paths, n);
    if (!rc)
        fprintf(stderr, "dse merge: %s: %lld points added (%lld already present), %lld runs, "
                "%lld breakdown rows, %lld accuracies from %d inputs\n", out,
                (long long)st.points, (long long)st.dup_points, (long long)st.runs,
                (long long)st.breakdowns, (long long)st.accuracies, n);
    if (!rc && st.trained)
        fprintf(stderr, "dse merge: %s: %lld trained accuracies added\n", out,
                (long long)st.trained);
    return rc;
}
