/*
 * spec_ref.h - the shapes a spec's reference weights must have (W_x: 4H x
 * N_in, W_h: 4H x H), checked from the .npy headers alone, so that `dse
 * validate` refuses what `dse run` would refuse, before any work.
 */
#ifndef SPEC_REF_H
#define SPEC_REF_H

#include "spec.h"

#include <stddef.h>

/* 0 when the spec has no .npy reference or its files have the right 2-D
 * float shapes; -1 with "SPEC: reference FILE: ..." in err otherwise. */
int spec_ref_check(const spec *s, char *err, size_t errlen);

#endif
