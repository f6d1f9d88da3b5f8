/*
 * db_copy.c - the whole-file parts of `dse merge` (db.h): the wholesale
 * copy of the largest input into a new OUT (db_copy_whole: the file's
 * bytes, copied in the kernel, when its WAL is empty, else SQLite's page
 * copy), and attaching the other inputs read-only to OUT's connection for
 * the set-based copy (db_merge_fast.c).
 */
#define _GNU_SOURCE /* copy_file_range */
#include "db_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail_sql(sqlite3 *h, const char *path, char *err, size_t errlen)
{
    return cm_fail(err, errlen, "%s: %s", path, sqlite3_errmsg(h));
}

/* ---- the wholesale copy ---- */

/* Copies the rest of file in to out: in the kernel (copy_file_range, no
 * pass through user space), else by read and write. */
static int copy_fd(int in, int out)
{
    ssize_t k;
    while ((k = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0)) != 0) {
        if (k > 0 || errno == EINTR)
            continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
            return -1;
        break; /* not between these files: copy by hand from where it stopped */
    }
    if (k == 0)
        return 0;
    enum { BUF = 1 << 20 };
    char *b = malloc(BUF);
    if (!b)
        return -1;
    int rc = 0;
    while (!rc && (k = read(in, b, BUF)) != 0) {
        if (k < 0) {
            rc = errno == EINTR ? 0 : -1;
            continue;
        }
        for (ssize_t w = 0, n; !rc && w < k; w += n > 0 ? n : 0)
            if ((n = write(out, b + w, (size_t)(k - w))) < 0 && errno != EINTR)
                rc = -1;
    }
    free(b);
    return rc;
}

/* 1 when in's file alone holds in's current content: no WAL, or an empty
 * one (an exited dse removes it).  Asked inside a read transaction of in,
 * which keeps a writer's checkpoint from changing the file meanwhile (a
 * reader of the file alone holds WAL read lock 0, which a checkpoint must
 * take before it copies frames into the file). */
static int file_is_whole(db_conn *in)
{
    size_t len = strlen(in->path) + 8;
    char *wal = malloc(len);
    struct stat sb;
    if (!wal)
        return 0;
    snprintf(wal, len, "%s-wal", in->path);
    int whole = stat(wal, &sb) != 0 ? errno == ENOENT : sb.st_size == 0;
    free(wal);
    return whole;
}

/* The file's bytes into fd, inside a read transaction of in; 1 when done,
 * 0 when the file alone is not the content (the caller copies pages), -1
 * with err. */
static int copy_file(int fd, const char *out_path, db_conn *in, char *err, size_t errlen)
{
    int64_t n;
    if (sqlite3_exec(in->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return fail_sql(in->h, in->path, err, errlen);
    int rc = dbi_query_int(in, "SELECT count(*) FROM sqlite_master", &n, err, errlen);
    if (!rc && file_is_whole(in)) {
        int src = open(in->path, O_RDONLY | O_CLOEXEC);
        rc = src < 0 || copy_fd(src, fd) ? cm_fail(err, errlen, "%s: cannot copy %s: %s",
                                                   out_path, in->path, strerror(errno))
                                         : 1;
        if (src >= 0)
            close(src);
    }
    sqlite3_exec(in->h, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* SQLite's page copy of in into the new, empty out_path (in's WAL
 * included), left in WAL mode. */
static int copy_pages(const char *out_path, db_conn *in, char *err, size_t errlen)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(out_path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    /* A new file that the caller removes on any failure: no journal, no sync. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL,
                          NULL);
    sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(h, "main", in->h, "main")
                                        : NULL;
    if (b) {
        rc = sqlite3_backup_step(b, -1);
        int fin = sqlite3_backup_finish(b);
        rc = rc == SQLITE_DONE ? fin : rc;
        /* WAL now, unsynced: db_open would switch it synchronously (FULL),
         * an fsync of the whole copy */
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    } else if (rc == SQLITE_OK) {
        rc = SQLITE_ERROR;
    }
    int bad = rc != SQLITE_OK ? fail_sql(h, out_path, err, errlen) : 0;
    sqlite3_close(h);
    return bad;
}

int db_copy_whole(const char *out_path, db_conn *in, char *err, size_t errlen)
{
    int fd = open(out_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return cm_fail(err, errlen, "%s: cannot create: %s", out_path, strerror(errno));
    int rc = copy_file(fd, out_path, in, err, errlen);
    if (close(fd) && rc == 1)
        rc = cm_fail(err, errlen, "%s: %s", out_path, strerror(errno));
    if (rc == 0)
        rc = copy_pages(out_path, in, err, errlen);
    return rc < 0 ? -1 : 0;
}

/* "file:PATH?mode=ro" with PATH percent-encoded (SQLite reads URIs here). */
static char *ro_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = malloc(3 * n + 32), *w = u;
    if (!u)
        return NULL;
    w += sprintf(w, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/._-", *p))
            *w++ = (char)*p;
        else
            w += sprintf(w, "%%%02X", *p);
    }
    strcpy(w, "?mode=ro");
    return u;
}

int db_attach(db_conn *out, const char *path, const char *alias, char *err, size_t errlen)
{
    sqlite3 *h = out->h;
    char sql[64];
    char *uri = ro_uri(path);
    if (!uri)
        return cm_fail(err, errlen, "out of memory");
    snprintf(sql, sizeof sql, "ATTACH ?1 AS \"%s\"", alias);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        if (rc != SQLITE_OK)
            cm_fail(err, errlen, "%s: cannot attach: %s", path, sqlite3_errmsg(h));
        sqlite3_finalize(st);
        /* read through the page cache's mapping, not copied by read() */
        snprintf(sql, sizeof sql, "PRAGMA \"%s\".mmap_size = 1073741824", alias);
        if (rc == SQLITE_OK)
            sqlite3_exec(h, sql, NULL, NULL, NULL);
    } else {
        fail_sql(h, db_path(out), err, errlen);
    }
    free(uri);
    return rc == SQLITE_OK ? 0 : -1;
}

void db_detach(db_conn *out, const char *alias)
{
    char sql[64];
    snprintf(sql, sizeof sql, "DETACH \"%s\"", alias);
    sqlite3_exec(out->h, sql, NULL, NULL, NULL);
}

int db_schema_version(db_conn *d)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(d->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}
