/*
 * test_util.h - what every cmocka test program includes: cmocka itself (with
 * the headers it needs first) and a few helpers shared by the tests.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

/* Path of the dse binary under test (set by `make test` / `make check`). */
static inline const char *tu_dse_bin(void)
{
    const char *p = getenv("DSE_BIN");
    return p ? p : "build/dse";
}

/* Relative difference |a-b| / max(|b|, tiny). */
static inline double tu_rel(double a, double b)
{
    double d = fabs(a - b), s = fabs(b);
    return s > 1e-300 ? d / s : d;
}

#endif
