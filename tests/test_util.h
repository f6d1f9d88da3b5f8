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

/*
 * The program's scratch directory: tu_dir_setup / tu_dir_teardown are a
 * cmocka group setup and teardown (cmocka_run_group_tests(tests,
 * tu_dir_setup, tu_dir_teardown)); tu_path names a file in it.
 */
static char tu_dir[256];
static char *tu_out, *tu_err; /* the streams of the last tu_dse */

/* Makes tu_dir, $TMPDIR/fdht-test.XXXXXX ($TMPDIR unset or empty: /tmp). */
static inline int tu_dir_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tu_dir, sizeof tu_dir, "%s/fdht-test.XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tu_dir) ? 0 : -1;
}

/* Removes dir with everything in it: 0, or -1 when rm failed. */
static inline int tu_rmrf(const char *dir)
{
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Removes tu_dir with everything in it, and the last tu_dse's streams. */
static inline int tu_dir_teardown(void **state)
{
    (void)state;
    free(tu_out);
    free(tu_err);
    tu_out = tu_err = NULL;
    return tu_rmrf(tu_dir);
}

/* tu_dir/name, in one of 64 buffers used in turn (a caller holds a few). */
static inline const char *tu_path(const char *name)
{
    static char buf[64][400];
    static int k;
    k = (k + 1) % 64;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tu_dir, name);
    return buf[k];
}

/* Writes text to path; the test fails if it cannot. */
static inline void tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The number after "key": in a JSON text; the test fails without the key. */
static inline double tu_json_num(const char *js, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(js, k);
    if (!p)
        fail_msg("no key %s in %s", key, js);
    return strtod(p + strlen(k), NULL); /* skips the blank after ':' if any */
}

/* Runs `dse ARGS` (ARGS a printf-formatted shell fragment); its exit status
 * (as tu_run); stdout and stderr into *out / *err (the caller frees them),
 * or, with out NULL, into tu_out / tu_err (which the next call frees). */
static inline int tu_dse(char **out, char **err, const char *fmt, ...)
{
    char args[8192], cmd[8800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s", tu_dse_bin(), args);
    if (!out) {
        free(tu_out);
        free(tu_err);
        out = &tu_out;
        err = &tu_err;
    }
    return tu_run(cmd, out, err);
}

/* A refusal: exit status 2 and exactly one line on stderr (tu_err, from
 * tu_dse), "dse <cmd>: ...", that holds needle. */
static inline void tu_assert_bad(int rc, const char *cmd, const char *needle)
{
    char prefix[64];
    const char *e = tu_err ? tu_err : "";
    snprintf(prefix, sizeof prefix, "dse %s: ", cmd);
    if (rc != 2 || strncmp(e, prefix, strlen(prefix)) || !strstr(e, needle))
        fprintf(stderr, "rc %d, stderr: %s", rc, e);
    assert_int_equal(rc, 2);
    assert_memory_equal(e, prefix, strlen(prefix));
    assert_non_null(strstr(e, needle));
    const char *nl = strchr(e, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0'); /* one line */
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
