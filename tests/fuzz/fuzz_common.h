/*
 * fuzz_common.h - what every harness of tests/fuzz/ shares: the entry-point
 * and failure macros (redefined by tests/test_fuzz_regress.c, which includes
 * all harnesses into one program), the check that a refusal's message is
 * one clean line, and the NUL-terminated copy of the input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
#ifndef FUZZ_FAIL
#define FUZZ_FAIL(what) (fprintf(stderr, "fuzz check failed: %s\n", what), abort())
#endif

/* A refusal's message: non-empty, one line, no control characters but tabs. */
static inline int fuzz_msg_ok(const char *m)
{
    if (!m[0])
        return 0;
    for (; *m; m++)
        if (((unsigned char)*m < 0x20 && *m != '\t') || (unsigned char)*m == 0x7f)
            return 0;
    return 1;
}

/* The input as a heap C string (NULL when out of memory); caller frees. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return NULL;
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
