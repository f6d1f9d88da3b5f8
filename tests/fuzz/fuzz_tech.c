/*
 * fuzz_tech.c - libFuzzer harness for the technology-table loader
 * (dse/io/tech.h: the document layer, the embedded schema, conversion).
 * tech_load only takes a path, so the input bytes are written to
 * DIR/fuzz.yaml in a per-process temporary directory (a `base:` given as a
 * relative path resolves there; a name such as 28nm resolves in ./tech, so
 * run from the repository root).  A refusal must give at least one
 * diagnostic, each one line that starts with the file's path and has no
 * control characters, and tech_load_file the same errors as one line; an
 * accepted table must pass cm_tech_check and carry a 16-hex-digit hash.
 *
 * Built by tools/fuzz.sh with clang -fsanitize=fuzzer; tests/test_fuzz_regress.c
 * includes this file with FUZZ_ENTRY / FUZZ_FAIL defined to replay the corpus.
 */
#include "tech.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

static char tech_fuzz_dir[512], tech_fuzz_file[600];

static void tech_fuzz_cleanup(void)
{
    if (tech_fuzz_dir[0]) {
        unlink(tech_fuzz_file);
        rmdir(tech_fuzz_dir);
        tech_fuzz_dir[0] = '\0';
    }
}

static int tech_fuzz_write(const uint8_t *data, size_t size)
{
    if (!tech_fuzz_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(tech_fuzz_dir, sizeof tech_fuzz_dir, "%s/fuzz_tech_XXXXXX",
                 t && *t ? t : "/tmp");
        if (!mkdtemp(tech_fuzz_dir)) {
            tech_fuzz_dir[0] = '\0';
            return -1;
        }
        snprintf(tech_fuzz_file, sizeof tech_fuzz_file, "%s/fuzz.yaml", tech_fuzz_dir);
        atexit(tech_fuzz_cleanup);
    }
    FILE *f = fopen(tech_fuzz_file, "wb");
    if (!f)
        return -1;
    size_t w = size ? fwrite(data, 1, size, f) : 0;
    return (fclose(f) != 0 || w != size) ? -1 : 0;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);

/* Diagnostics: clean lines, each "PATH:..." (fuzz_lines_ok). */
static int tech_fuzz_diag_ok(const char *m)
{
    char prefix[sizeof tech_fuzz_file + 1];
    snprintf(prefix, sizeof prefix, "%s:", tech_fuzz_file);
    return fuzz_lines_ok(m, prefix);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    static cm_tech t;
    char err[CM_ERRLEN];
    ydiag g;
    if (tech_fuzz_write(data, size))
        return 0;
    ydiag_init(&g);
    int rc = tech_load(tech_fuzz_file, &t, &g);
    if (rc != 0) {
        if (rc != -1)
            FUZZ_FAIL("tech: tech_load returned neither 0 nor -1");
        if (g.nerr < 1 || !tech_fuzz_diag_ok(ydiag_text(&g)))
            FUZZ_FAIL("tech: diagnostics are not clean lines naming the file");
        ydiag_free(&g);
        err[0] = '\0';
        if (tech_load_file(tech_fuzz_file, &t, err, sizeof err) != -1)
            FUZZ_FAIL("tech: tech_load_file disagrees with tech_load");
        if (!fuzz_msg_ok(err))
            FUZZ_FAIL("tech: refusal without a one-line message");
        return 0;
    }
    if (g.nerr != 0)
        FUZZ_FAIL("tech: accepted table with errors");
    ydiag_free(&g);
    if (cm_tech_check(&t, err, sizeof err))
        FUZZ_FAIL("tech: accepted table fails cm_tech_check");
    if (strlen(t.hash) != 16 || strspn(t.hash, "0123456789abcdef") != 16)
        FUZZ_FAIL("tech: accepted table without a hash");
    if (memchr(t.name, '\0', sizeof t.name) == NULL || !t.name[0])
        FUZZ_FAIL("tech: accepted table without a name");
    return 0;
}
