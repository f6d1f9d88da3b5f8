/*
 * fuzz_spec.c - libFuzzer harness for the sweep-spec loader (dse/io/spec.h:
 * YAML, the embedded schema, conversion and space expansion).  The input
 * bytes are the spec text, loaded with spec_load_text under the name
 * "fuzz.yaml" (relative paths in it resolve in the working directory, and
 * technology names in ./tech, so run from the repository root).  A refusal
 * must leave at least one diagnostic, each one line that starts with the file
 * name and has no control characters; an accepted spec must free cleanly.
 *
 * Built by tools/fuzz.sh with clang -fsanitize=fuzzer; tests/test_fuzz_regress.c
 * includes this file with FUZZ_ENTRY / FUZZ_FAIL defined to replay the corpus.
 */
#include "spec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* Diagnostics: clean lines naming the file (fuzz_lines_ok).  Built with
 * -DFUZZ_SPEC_NO_LINE_CHECK (FUZZ_CFLAGS of tools/fuzz.sh) only the crash
 * checks remain: a way to keep fuzzing while a message bug is open. */

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    spec *s = NULL;
    spec_diag g;
    spec_diag_init(&g);
    int rc = spec_load_text("fuzz.yaml", (const char *)data, size, &s, &g);
    if (rc != 0) {
        if (rc != -1)
            FUZZ_FAIL("spec: spec_load_text returned neither 0 nor -1");
        if (s)
            FUZZ_FAIL("spec: a refused spec was returned");
        if (g.nerr < 1 || !spec_diag_text(&g)[0])
            FUZZ_FAIL("spec: refusal without a diagnostic");
#ifndef FUZZ_SPEC_NO_LINE_CHECK
        if (!fuzz_lines_ok(spec_diag_text(&g), "fuzz.yaml:"))
            FUZZ_FAIL("spec: diagnostics are not clean lines naming the file");
#endif
    } else {
        if (!s)
            FUZZ_FAIL("spec: accepted spec is NULL");
        if (g.nerr != 0)
            FUZZ_FAIL("spec: accepted spec with errors");
        char h[17];
        spec_hash(s, 1, h);
        if (strlen(h) != 16)
            FUZZ_FAIL("spec: bad spec hash");
        spec_free(s);
    }
    spec_diag_free(&g);
    return 0;
}
