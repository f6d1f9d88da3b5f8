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
#include <sys/wait.h>
#include <unistd.h>

/* Path of the dse binary under test (set by `make test` / `make check`). */
static inline const char *tu_dse_bin(void)
{
    const char *p = getenv("DSE_BIN");
    return p ? p : "build/dse";
}

/*
 * The dse binary itself, never wrapped: `make valgrind` sets DSE_WRAP, and
 * tests/run_tests.sh then points DSE_BIN at a script that runs dse under
 * valgrind and keeps the plain binary in DSE_BIN_RAW.  Timing-sensitive
 * tests (kills at random moments, racing writers) use this one.
 */
static inline const char *tu_dse_bin_raw(void)
{
    const char *p = getenv("DSE_BIN_RAW");
    return p ? p : tu_dse_bin();
}

/*
 * Test scale.  FDHT_TEST_SCALE=small (set by `make valgrind`) asks the heavy
 * tests for smaller sizes and fewer repetitions, so that the suite runs
 * under valgrind in reasonable time; every test still runs its assertions
 * (on the smaller sizes), and prints what it shrank.  Unset or any other
 * value: the full sizes.
 */
static inline int tu_small(void)
{
    const char *s = getenv("FDHT_TEST_SCALE");
    return s && !strcmp(s, "small");
}

/* full normally, small under FDHT_TEST_SCALE=small. */
static inline long tu_scaled(long full, long small)
{
    return tu_small() ? small : full;
}

/* Relative difference |a-b| / max(|b|, tiny). */
static inline double tu_rel(double a, double b)
{
    double d = fabs(a - b), s = fabs(b);
    return s > 1e-300 ? d / s : d;
}

/* Reads a whole file into a NUL-terminated heap string ("" if unreadable). */
static inline char *tu_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    assert_non_null(buf);
    if (f) {
        while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
            len += n;
            if (cap - len - 1 == 0) {
                cap *= 2;
                buf = realloc(buf, cap);
                assert_non_null(buf);
            }
        }
        fclose(f);
    }
    buf[len] = '\0';
    return buf;
}

/*
 * Runs `sh -c cmd` with stdout and stderr captured; returns the exit status
 * (128 + signal if killed).  *out / *err (either may be NULL) receive heap
 * strings the caller frees.
 */
static inline int tu_run(const char *cmd, char **out, char **err)
{
    char o[] = "/tmp/fdht-test-out-XXXXXX", e[] = "/tmp/fdht-test-err-XXXXXX";
    int fo = mkstemp(o), fe = mkstemp(e);
    assert_true(fo >= 0 && fe >= 0);
    close(fo);
    close(fe);
    size_t len = strlen(cmd) + 2 * sizeof o + 32;
    char *full = malloc(len);
    assert_non_null(full);
    snprintf(full, len, "(%s) >%s 2>%s </dev/null", cmd, o, e);
    int st = system(full);
    free(full);
    if (out)
        *out = tu_slurp(o);
    if (err)
        *err = tu_slurp(e);
    unlink(o);
    unlink(e);
    if (st == -1)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Number of lines in s (a last line without '\n' counts). */
static inline int tu_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (*s == '\n' || !s[1])
            n++;
    return n;
}

#endif
