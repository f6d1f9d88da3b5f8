/*
 * dbset.c - several results databases read as one (see dbset.h): expanding
 * the arguments (directories, shard-set files), opening and checking the
 * members, the shared id space, and writing shard-set files for dse sweep.
 */
#define _GNU_SOURCE /* strverscmp: bench.2.db before bench.10.db */
#include "dbset.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A growing list of malloc'd strings. */
typedef struct {
    char **v;
    int n, cap;
} strlist;

static int sl_push(strlist *l, char *s)
{
    if (!s)
        return -1;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **g = realloc(l->v, (size_t)cap * sizeof *g);
        if (!g) {
            free(s);
            return -1;
        }
        l->v = g;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

void dbset_paths_free(char **paths, int n)
{
    for (int i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}

static char *join(const char *dir, size_t dlen, const char *name)
{
    size_t len = dlen + strlen(name) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%.*s/%s", (int)dlen, dir, name);
    return p;
}

int dbset_is_setfile(const char *path)
{
    char line[sizeof DBSET_MAGIC + 1];
    struct stat sb;
    if (stat(path, &sb) || !S_ISREG(sb.st_mode))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    size_t m = strlen(DBSET_MAGIC);
    return n > m && !memcmp(line, DBSET_MAGIC, m) && (line[m] == '\n' || line[m] == '\r');
}

static int cmp_vers(const void *a, const void *b)
{
    return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* The *.db regular files of a directory, in natural order. */
static int expand_dir(const char *dir, strlist *out, char *err, size_t errlen)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return cm_fail(err, errlen, "%s: cannot read the directory: %s", dir, strerror(errno));
    strlist names = {0};
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".db") || e->d_name[0] == '.')
            continue;
        char *p = join(dir, strlen(dir), e->d_name);
        struct stat sb;
        if (p && stat(p, &sb) == 0 && !S_ISREG(sb.st_mode)) {
            free(p);
            continue;
        }
        rc = sl_push(&names, p);
    }
    closedir(dp);
    if (rc) {
        dbset_paths_free(names.v, names.n);
        return cm_fail(err, errlen, "out of memory");
    }
    if (names.n == 0) {
        free(names.v);
        return cm_fail(err, errlen, "%s: is a directory, not a database, and holds no *.db "
                       "databases", dir);
    }
    qsort(names.v, (size_t)names.n, sizeof *names.v, cmp_vers);
    for (int i = 0; i < names.n; i++)
        if (sl_push(out, names.v[i])) { /* sl_push freed names.v[i] */
            for (int j = i + 1; j < names.n; j++)
                free(names.v[j]);
            free(names.v);
            return cm_fail(err, errlen, "out of memory");
        }
    free(names.v);
    return 0;
}

/* The member paths of a shard-set file, relative ones against its directory. */
static int expand_setfile(const char *path, strlist *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cm_fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) : 1;
    const char *dir = slash ? path : ".";
    if (slash && dlen == 0)
        dlen = 1, dir = "/";
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rc = 0, count = 0;
    while (!rc && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (lineno++ == 0 || len == 0 || line[0] == '#')
            continue;
        char *p = line[0] == '/' ? strdup(line) : join(dir, dlen, line);
        rc = sl_push(out, p) ? cm_fail(err, errlen, "out of memory") : 0;
        count++;
    }
    free(line);
    fclose(f);
    if (!rc && count == 0)
        rc = cm_fail(err, errlen, "%s: a shard-set file that names no database", path);
    return rc;
}

int dbset_expand(const char *const *args, int nargs, char ***paths, int *n, char *err,
                 size_t errlen)
{
    strlist l = {0};
    int rc = 0;
    for (int i = 0; i < nargs && !rc; i++) {
        struct stat sb;
        if (stat(args[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            rc = expand_dir(args[i], &l, err, errlen);
        else if (dbset_is_setfile(args[i]))
            rc = expand_setfile(args[i], &l, err, errlen);
        else if (sl_push(&l, strdup(args[i])))
            rc = cm_fail(err, errlen, "out of memory");
    }
    if (rc) {
        dbset_paths_free(l.v, l.n);
        return -1;
    }
    *paths = l.v;
    *n = l.n;
    return 0;
}

/* One integer from a one-row query of d (0 for NULL). */
static int query_i64(db_conn *d, const char *sql, int64_t *v, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    *v = 0;
    if (sqlite3_prepare_v2(db_sqlite(d), sql, -1, &st, NULL) != SQLITE_OK)
        return cm_fail(err, errlen, "%s: %s", db_path(d), sqlite3_errmsg(db_sqlite(d)));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cm_fail(err, errlen, "%s: %s", db_path(d), sqlite3_errmsg(db_sqlite(d)));
    return 0;
}

int dbset_check_specs(db_conn *const *dbs, int n, char *err, size_t errlen)
{
    char ref[128] = "";
    int refdb = -1;
    for (int i = 0; i < n; i++) {
        sqlite3_stmt *st;
        sqlite3 *h = db_sqlite(dbs[i]);
        if (sqlite3_prepare_v2(h, "SELECT DISTINCT coalesce(spec_hash, '') FROM run"
                                  " WHERE shard_n > 1", -1, &st, NULL) != SQLITE_OK)
            return cm_fail(err, errlen, "%s: %s", db_path(dbs[i]), sqlite3_errmsg(h));
        int rc, bad = 0;
        while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *hash = (const char *)sqlite3_column_text(st, 0);
            if (refdb < 0) {
                snprintf(ref, sizeof ref, "%s", hash);
                refdb = i;
            } else if (strcmp(ref, hash)) {
                cm_fail(err, errlen, "%s: a shard of another spec (spec hash %.16s; %s holds "
                        "shards of %.16s): these are not the shards of one sweep",
                        db_path(dbs[i]), *hash ? hash : "none", db_path(dbs[refdb]),
                        *ref ? ref : "none");
                bad = 1;
            }
        }
        sqlite3_finalize(st);
        if (bad)
            return -1;
        if (rc != SQLITE_DONE)
            return cm_fail(err, errlen, "%s: %s", db_path(dbs[i]), sqlite3_errmsg(h));
    }
    return 0;
}

static int same_file(const struct stat *a, const char *path)
{
    struct stat b;
    return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

/* Opens the members (each file once) into s. */
static int open_members(dbset *s, char **paths, int n, char *err, size_t errlen)
{
    if (!(s->m = calloc((size_t)n, sizeof *s->m)))
        return cm_fail(err, errlen, "out of memory");
    for (int i = 0; i < n; i++) {
        struct stat sb;
        int dup = 0;
        for (int j = 0; j < i && !dup && stat(paths[i], &sb) == 0; j++)
            dup = same_file(&sb, paths[j]);
        if (dup)
            continue;
        dbset_member *m = &s->m[s->n];
        if (db_open(paths[i], DB_READONLY, &m->d, err, errlen))
            return -1;
        s->n++;
        if (query_i64(m->d, "SELECT max(id) FROM point", &m->max_id, err, errlen) ||
            query_i64(m->d, "SELECT max(id) FROM run", &m->max_run, err, errlen))
            return -1;
    }
    return 0;
}

int dbset_open(const char *const *args, int nargs, dbset **out, char *err, size_t errlen)
{
    char **paths = NULL;
    int n = 0;
    *out = NULL;
    if (dbset_expand(args, nargs, &paths, &n, err, errlen))
        return -1;
    dbset *s = calloc(1, sizeof *s);
    int rc = s ? open_members(s, paths, n, err, errlen) : cm_fail(err, errlen, "out of memory");
    dbset_paths_free(paths, n);
    db_conn **d = rc ? NULL : malloc((size_t)(s->n ? s->n : 1) * sizeof *d);
    if (!rc && !d)
        rc = cm_fail(err, errlen, "out of memory");
    for (int i = 0; !rc && i < s->n; i++) {
        d[i] = s->m[i].d;
        if (i) {
            s->m[i].id_off = s->m[i - 1].id_off + s->m[i - 1].max_id;
            s->m[i].run_off = s->m[i - 1].run_off + s->m[i - 1].max_run;
        }
    }
    if (!rc)
        rc = dbset_check_specs(d, s->n, err, errlen);
    free(d);
    if (rc) {
        dbset_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void dbset_close(dbset *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        db_close(s->m[i].d);
    free(s->m);
    free(s);
}

int dbset_member_of_id(const dbset *s, int64_t gid, int64_t *local)
{
    for (int i = 0; i < s->n; i++)
        if (gid > s->m[i].id_off && gid <= s->m[i].id_off + s->m[i].max_id) {
            *local = gid - s->m[i].id_off;
            return i;
        }
    return -1;
}

int dbset_member_of_run(const dbset *s, int64_t grun, int64_t *local)
{
    for (int i = 0; i < s->n; i++)
        if (grun > s->m[i].run_off && grun <= s->m[i].run_off + s->m[i].max_run) {
            *local = grun - s->m[i].run_off;
            return i;
        }
    return -1;
}

int dbset_write_setfile(const char *path, char *const *members, int n, char *err,
                        size_t errlen)
{
    for (int i = 0; i < n; i++)
        if (strchr(members[i], '\n') || strchr(members[i], '\r'))
            return cm_fail(err, errlen, "%s: a database path with a line break cannot be "
                           "listed in a shard-set file", members[i]);
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    if (!tmp)
        return cm_fail(err, errlen, "out of memory");
    snprintf(tmp, len, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int bad = !f;
    if (f) {
        fprintf(f, "%s\n# dse pareto, dse show, dse merge and plots/plots.sh read these "
                   "databases as one\n# (paths relative to this file's directory)\n",
                DBSET_MAGIC);
        for (int i = 0; i < n; i++)
            fprintf(f, "%s\n", members[i]);
        bad = ferror(f) != 0;
        bad |= fclose(f) != 0;
    }
    if (!bad && rename(tmp, path) == 0) {
        free(tmp);
        return 0;
    }
    cm_fail(err, errlen, "%s: cannot write the shard-set file: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return -1;
}

/* ---- statements per member, by global id ---- */

void dbset_stmts_free(dbset_stmts *ms)
{
    for (int i = 0; ms->st && i < ms->set->n; i++)
        sqlite3_finalize(ms->st[i]);
    free(ms->st);
    ms->st = NULL;
}

sqlite3_stmt *dbset_stmt(dbset_stmts *ms, const char *sql, int64_t gid, char *err,
                         size_t errlen)
{
    int64_t local;
    int m = dbset_member_of_id(ms->set, gid, &local);
    if (m < 0) {
        cm_fail(err, errlen, "point %lld vanished while reading", (long long)gid);
        return NULL;
    }
    if (!ms->st && !(ms->st = calloc((size_t)ms->set->n, sizeof *ms->st))) {
        cm_fail(err, errlen, "out of memory");
        return NULL;
    }
    db_conn *d = ms->set->m[m].d;
    if (!ms->st[m] && sqlite3_prepare_v2(db_sqlite(d), sql, -1, &ms->st[m], NULL) != SQLITE_OK) {
        cm_fail(err, errlen, "%s: %s", db_path(d), sqlite3_errmsg(db_sqlite(d)));
        return NULL;
    }
    sqlite3_reset(ms->st[m]);
    sqlite3_bind_int64(ms->st[m], 1, local);
    if (sqlite3_bind_parameter_count(ms->st[m]) >= 2)
        sqlite3_bind_int64(ms->st[m], 2, ms->set->m[m].id_off);
    return ms->st[m];
}

/* A row's point string with its id, to find points stored twice. */
typedef struct {
    char *point;
    int64_t id;
    size_t row;
} named_row;

static int named_cmp(const void *pa, const void *pb)
{
    const named_row *a = pa, *b = pb;
    int c = strcmp(a->point, b->point);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

static int row_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

int dbset_drop_repeats(const dbset *set, const int64_t *gid, size_t *rows, size_t *n,
                       char *err, size_t errlen)
{
    dbset_stmts ms = {set, NULL};
    named_row *nr = calloc(*n ? *n : 1, sizeof *nr);
    int rc = nr ? 0 : cm_fail(err, errlen, "out of memory");
    for (size_t i = 0; i < *n && !rc; i++) {
        sqlite3_stmt *st = dbset_stmt(&ms, "SELECT point FROM point WHERE id = ?1",
                                      gid[rows[i]], err, errlen);
        if (!st)
            rc = -1;
        else if (sqlite3_step(st) != SQLITE_ROW)
            rc = cm_fail(err, errlen, "point %lld vanished while reading",
                         (long long)gid[rows[i]]);
        else if (!(nr[i].point = strdup((const char *)sqlite3_column_text(st, 0))))
            rc = cm_fail(err, errlen, "out of memory");
        nr[i].id = gid[rows[i]];
        nr[i].row = rows[i];
    }
    size_t total = *n;
    if (!rc) {
        qsort(nr, *n, sizeof *nr, named_cmp);
        size_t k = 0;
        for (size_t i = 0; i < *n; i++)
            if (i == 0 || strcmp(nr[i].point, nr[i - 1].point))
                rows[k++] = nr[i].row;
        *n = k;
        qsort(rows, k, sizeof *rows, row_cmp);
    }
    for (size_t i = 0; nr && i < total; i++)
        free(nr[i].point);
    free(nr);
    dbset_stmts_free(&ms);
    return rc;
}
