/*
 * spec_int.h - internal to the spec loader (spec.c, spec_space.c), not a
 * public header: the state of one conversion from a checked document tree
 * (ydoc.h) into a spec, and the helpers both halves share.
 */
#ifndef SPEC_INT_H
#define SPEC_INT_H

#include "spec.h"
#include "ydoc.h"

#define SPEC_MAX_SRC 8192

typedef struct {
    ydoc *c;
    spec *s;
    const ynode *src[SPEC_MAX_SRC]; /* map_src -> node */
    int nsrc;
    const ynode *acc_obj;           /* accuracy among the objectives, or NULL */
} conv;

/* An error about a node's value, at the value; about its key, at the key. */
#define ERR(c, v, ...) ydoc_err((c), (v), __VA_ARGS__)
#define ERRK(c, v, ...) ydoc_err_key((c), (v), __VA_ARGS__)

map_src spec_src_of(conv *v, const ynode *n);  /* -1 for NULL or when full */
void *spec_alloc(conv *v, size_t n);           /* in the spec's arena; reports no memory */
long long spec_ival(const ynode *n);           /* a checked integer, 0 if none */
double spec_nval(const ynode *n);              /* a checked number, 0 if none */

/* spec_space.c: the workload, the space and the hardware parameters. */
int spec_conv_workload(conv *v, const ynode *w);
int spec_conv_space(conv *v, const ynode *n);
int spec_conv_hardware(conv *v, const ynode *n);

/* spec_acc.c: the accuracy section, and accuracy among the objectives. */
int spec_conv_accuracy(conv *v, const ynode *n);
/* 1 when an objective's text names accuracy (then *bad says whether it is
 * a direction other than max, reported); 0 otherwise. */
int spec_acc_objective(conv *v, const ynode *x);
char *spec_rel_path(conv *v, const char *p);

#endif
