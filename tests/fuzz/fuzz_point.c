/*
 * fuzz_point.c - libFuzzer harness for cm_point_parse (the canonical
 * design-point string, costmodel/accel/cm_point.h).  The input bytes are the
 * string.  A refusal must give a one-line message; an accepted point must
 * pass cm_point_check, print within CM_POINT_MAXLEN, and its printed form
 * must parse back and print identically (format(parse(s)) == s).
 *
 * Built by tools/fuzz.sh with clang -fsanitize=fuzzer; tests/test_fuzz_regress.c
 * includes this file with FUZZ_ENTRY / FUZZ_FAIL defined to replay the corpus.
 */
#include "cm_point.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;

    static cm_point p, q; /* large: keep them off the stack */
    char err[CM_ERRLEN], txt[CM_POINT_MAXLEN], txt2[CM_POINT_MAXLEN];
    err[0] = '\0';
    int rc = cm_point_parse(s, &p, err, sizeof err);
    if (fuzz_check_rc("point: cm_point_parse", rc, err)) {
        free(s);
        return 0;
    }
    if (cm_point_check(&p, err, sizeof err) != 0)
        FUZZ_FAIL("point: accepted point fails cm_point_check");
    int n = cm_point_format(&p, txt, sizeof txt);
    if (n < 1 || (size_t)n >= sizeof txt)
        FUZZ_FAIL("point: accepted point does not print within CM_POINT_MAXLEN");
    if (cm_point_parse(txt, &q, err, sizeof err) != 0)
        FUZZ_FAIL("point: printed point does not parse");
    if (cm_point_format(&q, txt2, sizeof txt2) != n || strcmp(txt, txt2))
        FUZZ_FAIL("point: format(parse(format(p))) != format(p)");
    /* The accepted input, if already canonical, prints back as itself. */
    if (!strcmp(s, txt) && strcmp(txt, txt2))
        FUZZ_FAIL("point: canonical string not stable");
    char small[8];
    if (cm_point_format(&p, small, sizeof small) != n || strlen(small) >= sizeof small)
        FUZZ_FAIL("point: truncated cm_point_format");
    free(s);
    return 0;
}
