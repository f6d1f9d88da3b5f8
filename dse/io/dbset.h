/*
 * dbset.h - several results databases read as one: the shard databases of
 * a sweep that were not merged (dse sweep --no-merge), given to the read
 * commands (pareto, show, the plots) and to dse merge as `--db` repeated, a
 * directory of databases, or a shard-set file.
 *
 * A shard-set file is the F that `dse sweep --db F` leaves when it keeps
 * the shards: a text file whose first line is DBSET_MAGIC, then one
 * database path a line (relative to the file's directory unless absolute;
 * blank lines and lines starting with '#' are ignored).  A plain `sqlite3
 * F` refuses it loudly instead of showing an empty database.
 *
 * Members are opened read-only, in the order given (a directory's *.db
 * files in natural order, bench.2.db before bench.10.db), each file once.
 * A point stored in several members counts once, with the first member's
 * copy (dse merge keeps the same copy).  Ids: member i's point and run ids
 * are shifted by the sum of the largest ids of the members before it, so
 * that the set has one id space, as a merged file would (ids of a merge
 * differ anyway); a set of one database keeps its ids.
 */
#ifndef DBSET_H
#define DBSET_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* First line of a shard-set file. */
#define DBSET_MAGIC "FDHT-DSE shard set 1"

typedef struct {
    db_conn *d;
    int64_t id_off, run_off; /* global id = local id + offset */
    int64_t max_id, max_run; /* largest local ids (0: none) */
} dbset_member;

typedef struct {
    int n;
    dbset_member *m;
} dbset;

/* 1 when path is a shard-set file (its first line is DBSET_MAGIC). */
int dbset_is_setfile(const char *path);

/*
 * The database paths the arguments name: a directory gives its *.db files,
 * a shard-set file its members, anything else itself (checked when opened).
 * *paths (n entries, dbset_paths_free) is malloc'd.  -1 with err: an empty
 * directory, an unreadable set file, a member path with a newline.
 */
int dbset_expand(const char *const *args, int nargs, char ***paths, int *n, char *err,
                 size_t errlen);
void dbset_paths_free(char **paths, int n);

/*
 * Expands, opens (DB_READONLY) and checks the members: every one an
 * FDHT-DSE database of a version this dse reads, the same file only once,
 * and no shard of another spec among them (dbset_check_specs).  -1 with err
 * (bad input: the caller exits 2).
 */
int dbset_open(const char *const *args, int nargs, dbset **out, char *err, size_t errlen);
void dbset_close(dbset *s); /* NULL is fine */

/*
 * The shards among dbs (runs with shard_n > 1) must all be of one spec
 * (their spec hash): a shard of another spec among the inputs of a merge or
 * a set would mix two spaces.  Runs of whole specs (shard_n = 1) mix freely,
 * as dse merge always allowed.  0, or -1 with err naming the odd database.
 */
int dbset_check_specs(db_conn *const *dbs, int n, char *err, size_t errlen);

/* The member holding global point id gid (*local its local id); -1 none. */
int dbset_member_of_id(const dbset *s, int64_t gid, int64_t *local);
/* The same for run ids. */
int dbset_member_of_run(const dbset *s, int64_t grun, int64_t *local);

/*
 * Writes a shard-set file naming members (as given: relative paths are
 * read relative to path's directory), atomically (a temporary file renamed
 * over path).  0, or -1 with err (a member with a newline, a write error).
 */
int dbset_write_setfile(const char *path, char *const *members, int n, char *err,
                        size_t errlen);

/*
 * Rows of the `results` view by global point id, from whichever member
 * holds it: the id (global) and the columns cols[0..ncol) (borrowed, as
 * db_results_rows takes them).  Each member's query is made when first
 * needed.
 */
typedef struct dbset_reader dbset_reader;
int dbset_reader_open(const dbset *s, const char *const *cols, int ncol, dbset_reader **out,
                      char *err, size_t errlen);
/* The row of global point id gid, current in the returned cursor (valid
 * until the next call); NULL with err when no member holds gid, or the
 * member has no such row, or its query fails. */
db_rows *dbset_read(dbset_reader *r, int64_t gid, char *err, size_t errlen);
void dbset_reader_free(dbset_reader *r); /* NULL is fine */

/*
 * rows[0..*n) index gid[] (global point ids); a point stored in several
 * members keeps only its first copy (the smallest id), as dse merge keeps.
 * rows stays in increasing order.  0, or -1 with err.
 */
int dbset_drop_repeats(const dbset *set, const int64_t *gid, size_t *rows, size_t *n,
                       char *err, size_t errlen);

#endif
