/*
 * fuzz_common.h - what every harness of tests/fuzz/ shares: the entry-point
 * and failure macros (redefined by tests/test_fuzz_regress.c, which includes
 * all harnesses into one program), the checks that a refusal's message is
 * one clean line (or clean lines naming the file), and the NUL-terminated
 * copy of the input.
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

/* A parser's answer: 0 (accepted) or -1 with a one-line message in err;
 * anything else fails the check, named by who ("tree: ht_parse").  Returns rc. */
static inline int fuzz_check_rc(const char *who, int rc, const char *err)
{
    static char msg[200];
    const char *bad = rc != 0 && rc != -1          ? "returned neither 0 nor -1"
                      : rc != 0 && !fuzz_msg_ok(err) ? "refused without a one-line message"
                                                     : NULL;
    if (bad) {
        snprintf(msg, sizeof msg, "%s %s", who, bad);
        FUZZ_FAIL(msg);
    }
    return rc;
}

/* Diagnostics: one or more '\n'-terminated lines, each starting with
 * prefix (the file name and ':') and free of other control characters than
 * tabs, so a value echoed into a message cannot break it into lines. */
static inline int fuzz_lines_ok(const char *m, const char *prefix)
{
    size_t n = strlen(prefix);
    if (!m[0])
        return 0;
    while (*m) {
        if (strncmp(m, prefix, n))
            return 0;
        for (; *m != '\n'; m++)
            if (!*m || ((unsigned char)*m < 0x20 && *m != '\t') || (unsigned char)*m == 0x7f)
                return 0;
        m++;
    }
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
