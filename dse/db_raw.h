/*
 * db_raw.h - the SQLite handle under a db_conn: the escape hatch that
 * dse/repro.c still uses (three statements of its own on the run and point
 * tables) until the sweep driver rewrites it.  Nothing else may include
 * this header; new code asks the database module (db.h) for a function.
 */
#ifndef DB_RAW_H
#define DB_RAW_H

#include "db.h"

struct sqlite3;

/* The underlying handle (only for dse/repro.c, see above). */
struct sqlite3 *db_sqlite(db_conn *d);

#endif
