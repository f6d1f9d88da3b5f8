/*
 * spec_ref.h - the shapes a spec's reference weights must have (W_x: 4H x
 * N_in, W_h: 4H x H), checked from the .npy headers alone, so that `dse
 * validate` refuses what `dse run` would refuse, before any work; and the
 * directory of a dense network saved by `dse train --save` as a reference.
 */
#ifndef SPEC_REF_H
#define SPEC_REF_H

#include "spec.h"

#include <stddef.h>

/* 0 when the spec has no .npy reference or its files have the right 2-D
 * float shapes; -1 with "SPEC: reference FILE: ..." in err otherwise. */
int spec_ref_check(const spec *s, char *err, size_t errlen);

/* The files of `reference: {train: DIR}`: DIR/manifest.json must say n_in
 * and hidden (those given); 0, or -1 with a one-line reason in err. */
#define SPEC_REF_TRAIN_WX "weight_ih_l0.npy"
#define SPEC_REF_TRAIN_WH "weight_hh_l0.npy"
int spec_ref_train_check(const char *dir, long long n_in, long long hidden, char *err,
                         size_t errlen);

#endif
