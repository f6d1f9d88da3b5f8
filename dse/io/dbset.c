/*
 * dbset.c - several results databases read as one (see dbset.h): expanding
 * the arguments (directories, shard-set files), opening and checking the
 * members, the shared id space, reading rows by global id, and writing
 * shard-set files for dse sweep.  Its queries are the database module's
 * (db.h): no SQL here.
 */
#define _GNU_SOURCE /* strverscmp: bench.2.db before bench.10.db */
#include "dbset.h"

#include <dirent.h>
#include <errno.h>
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

/* dbset_check_specs' walk: the first shard spec seen, and where. */
typedef struct {
    db_conn *const *dbs;
    int i, refdb;
    char ref[128];
    char *err;
    size_t errlen;
} spec_walk;

static int check_spec(const char *hash, void *ctx)
{
    spec_walk *w = ctx;
    if (w->refdb < 0) {
        snprintf(w->ref, sizeof w->ref, "%s", hash);
        w->refdb = w->i;
        return 0;
    }
    if (!strcmp(w->ref, hash))
        return 0;
    return cm_fail(w->err, w->errlen, "%s: a shard of another spec (spec hash %.16s; %s holds "
                   "shards of %.16s): these are not the shards of one sweep",
                   db_path(w->dbs[w->i]), *hash ? hash : "none", db_path(w->dbs[w->refdb]),
                   *w->ref ? w->ref : "none");
}

int dbset_check_specs(db_conn *const *dbs, int n, char *err, size_t errlen)
{
    spec_walk w = {dbs, 0, -1, "", err, errlen};
    for (w.i = 0; w.i < n; w.i++)
        if (db_each_shard_spec(dbs[w.i], check_spec, &w, err, errlen))
            return -1;
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
        if (db_max_ids(m->d, &m->max_id, &m->max_run, err, errlen))
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

/* ---- rows by global id ---- */

struct dbset_reader {
    const dbset *set;
    const char *const *cols;
    int ncol;
    db_rows **q; /* per member, made when first needed */
};

int dbset_reader_open(const dbset *s, const char *const *cols, int ncol, dbset_reader **out,
                      char *err, size_t errlen)
{
    dbset_reader *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r || !(r->q = calloc((size_t)(s->n ? s->n : 1), sizeof *r->q))) {
        free(r);
        return cm_fail(err, errlen, "out of memory");
    }
    r->set = s;
    r->cols = cols;
    r->ncol = ncol;
    *out = r;
    return 0;
}

db_rows *dbset_read(dbset_reader *r, int64_t gid, char *err, size_t errlen)
{
    int64_t local;
    int m = dbset_member_of_id(r->set, gid, &local);
    if (m < 0) {
        cm_fail(err, errlen, "point %lld vanished while reading", (long long)gid);
        return NULL;
    }
    const dbset_member *mb = &r->set->m[m];
    if (!r->q[m] && db_results_rows(mb->d, r->cols, r->ncol, mb->id_off, mb->run_off, &r->q[m],
                                    err, errlen))
        return NULL;
    db_rows_bind_id(r->q[m], local);
    if (db_rows_next(r->q[m], NULL, 0) != 1) {
        cm_fail(err, errlen, "%s: point %lld vanished while reading", db_path(mb->d),
                (long long)gid);
        return NULL;
    }
    return r->q[m];
}

void dbset_reader_free(dbset_reader *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->set->n; i++)
        db_rows_free(r->q[i]);
    free(r->q);
    free(r);
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
    named_row *nr = calloc(*n ? *n : 1, sizeof *nr);
    int rc = nr ? 0 : cm_fail(err, errlen, "out of memory");
    for (size_t i = 0; i < *n && !rc; i++) {
        int64_t local;
        int m = dbset_member_of_id(set, gid[rows[i]], &local);
        int found = m < 0 ? 0 : db_point_string(set->m[m].d, local, &nr[i].point, err, errlen);
        if (found < 0)
            rc = -1;
        else if (!found)
            rc = cm_fail(err, errlen, "point %lld vanished while reading",
                         (long long)gid[rows[i]]);
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
    return rc;
}
