/*
 * yschema.h - the schema checker of every YAML input of dse: a document
 * tree (ydoc.h) checked against a schema file (schemas/spec.schema.yaml,
 * schemas/tech.schema.yaml, compiled in), every problem reported in the one
 * format "FILE:LINE:COL: error: KEY.PATH: expected ..., got ...".
 *
 * The schema language (each schema node a mapping of these fields):
 *   type       int | num | str | bool | map | list, or a list of those
 *   required   true: the key must be present (children of a map)
 *   min, max   bounds of every number in the value (items included),
 *              unless a deeper node sets its own
 *   enum       the allowed strings (again inherited by items)
 *   children   map form: the allowed keys and their nodes ("did you mean")
 *   items      list form: the node of every item
 *   min_items, max_items   list length bounds
 *   like       start from the named node of `defs` and override its fields
 *   doc        one line for the documentation and the "expected" of errors
 * What a schema cannot say is the conversion's to check, with the same
 * positions and format.
 */
#ifndef YSCHEMA_H
#define YSCHEMA_H

#include "ydoc.h"

typedef struct yschema yschema;

/* Parses a schema (name is used in messages about the schema itself);
 * NULL with the problem in g, marked internal. */
yschema *yschema_load(const char *name, const char *text, size_t len, ydiag *g);
void yschema_free(yschema *s);

/* Checks the tree `root` of document d: every error into d->diag.
 * Returns the number of errors found. */
int yschema_check(const yschema *s, const ydoc *d, const ynode *root);

#endif
