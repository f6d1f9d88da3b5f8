/*
 * tech.h - technology tables from YAML files (tech/NODE.yaml) into cm_tech.
 *
 * The file format (schema 1) is documented in tech/README.md and checked
 * against schemas/tech.schema.yaml.  In short: a mapping with `schema: 1`,
 * `name`, `node_nm`, one `KEY: {value: N, source: "..."}` per number of
 * cm_tech and a `sram_anchors` list.  A file with `base: NAME_OR_PATH`
 * starts from that table and overrides only the keys it gives (bare numbers
 * allowed there).  Every error is reported, each in the format of specs,
 * "FILE:LINE:COL: error: KEY: what was expected, got what"; the input goes
 * through the same document layer as specs (ydoc.h: no aliases, tags or
 * duplicate keys, bounded size and depth), so hostile input cannot blow up.
 */
#ifndef TECH_H
#define TECH_H

#include "cm_tech.h"
#include "ydoc.h"

#define TECH_SCHEMA 1
#define TECH_MAX_FILE (1 << 20) /* bytes */
#define TECH_MAX_BASES 8        /* base chain length (catches cycles) */

/* Loads the table in `path` (following its `base:` chain) into *t, checks
 * it with cm_tech_check and sets t->hash: 64-bit FNV-1a (cm_fnv1a), 16 hex digits, of
 * the file's bytes followed by those of its bases.  0, or -1 with every
 * error, one line each, in g (*t untouched).  An error of a base table is
 * reported at the `base:` of the file given, as "in base 'NAME': ERROR". */
int tech_load(const char *path, cm_tech *t, ydiag *g);

/* tech_load with the errors joined into one line ("; ") in err. */
int tech_load_file(const char *path, cm_tech *t, char *err, size_t errlen);

/* Where the table `name_or_path` lives.  A value that contains '/' or ends
 * in ".yaml" is a path, taken relative to rel_dir when relative and rel_dir
 * is not NULL.  Otherwise it is a name ("28nm") looked up as NAME.yaml in,
 * in order: each directory of $FDHT_TECH_DIR (':'-separated), ./tech,
 * DIR/../tech for DIR the running binary's directory, and
 * FDHT_PREFIX/share/fdht-dse/tech. */
int tech_resolve(const char *name_or_path, const char *rel_dir, char *path, size_t pathlen,
                 char *err, size_t errlen);

/* tech_resolve (relative to the working directory) + tech_load_file. */
int tech_find(const char *name_or_path, cm_tech *t, char *err, size_t errlen);

#endif
