/*
 * fuzz_npy.c - libFuzzer harness for the .npy reader (dse/io/npy.h).  The
 * input bytes are a whole .npy file.  They go through npy_parse (in memory)
 * and, written to a temporary file, through npy_read; both must agree.  A
 * refusal must give a one-line message; an accepted array must be 1-D or
 * 2-D, within NPY_MAX_ELEMS, finite, and exactly as large as the file says.
 *
 * Built by tools/fuzz.sh with clang -fsanitize=fuzzer; tests/test_fuzz_regress.c
 * includes this file with FUZZ_ENTRY / FUZZ_FAIL defined to replay the corpus.
 */
#include "npy.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

/* One temporary file per process, rewritten for every input. */
static char npy_fuzz_path[512];
static int npy_fuzz_fd = -1;

static void npy_fuzz_cleanup(void)
{
    if (npy_fuzz_fd >= 0) {
        close(npy_fuzz_fd);
        unlink(npy_fuzz_path);
        npy_fuzz_fd = -1;
    }
}

static int npy_fuzz_write(const uint8_t *data, size_t size)
{
    if (npy_fuzz_fd < 0) {
        const char *dir = getenv("TMPDIR");
        snprintf(npy_fuzz_path, sizeof npy_fuzz_path, "%s/fuzz_npy_XXXXXX",
                 dir && *dir ? dir : "/tmp");
        npy_fuzz_fd = mkstemp(npy_fuzz_path);
        if (npy_fuzz_fd < 0)
            return -1;
        atexit(npy_fuzz_cleanup);
    }
    if (ftruncate(npy_fuzz_fd, 0))
        return -1;
    size_t o = 0;
    while (o < size) {
        ssize_t w = pwrite(npy_fuzz_fd, data + o, size - o, (off_t)o);
        if (w <= 0)
            return -1;
        o += (size_t)w;
    }
    return 0;
}

static void npy_fuzz_check_array(const npy_array *a, size_t size)
{
    if (a->ndim < 1 || a->ndim > 2 || a->shape[0] < 1 || a->shape[1] < 1 ||
        (a->ndim == 1 && a->shape[1] != 1))
        FUZZ_FAIL("npy: accepted array has a bad shape");
    if (a->count != a->shape[0] * a->shape[1] || a->count > NPY_MAX_ELEMS)
        FUZZ_FAIL("npy: accepted array has a bad count");
    if ((uint64_t)a->count * 4 > size || !a->data)
        FUZZ_FAIL("npy: accepted array larger than its file");
    for (int64_t i = 0; i < a->count; i++)
        if (!isfinite(a->data[i]))
            FUZZ_FAIL("npy: accepted array holds a non-finite value");
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    npy_array a, b;
    char err[256], err2[1024];
    err[0] = err2[0] = '\0';
    int rc = npy_parse(data, size, &a, err, sizeof err);
    if (fuzz_check_rc("npy: npy_parse", rc, err)) {
        if (a.data)
            FUZZ_FAIL("npy: a refused parse left data allocated");
    } else {
        npy_fuzz_check_array(&a, size);
    }

    if (npy_fuzz_write(data, size) == 0) {
        int rc2 = npy_read(npy_fuzz_path, &b, err2, sizeof err2);
        if (rc2 != rc)
            FUZZ_FAIL("npy: npy_read and npy_parse disagree");
        if (rc2 != 0) {
            if (!fuzz_msg_ok(err2))
                FUZZ_FAIL("npy: npy_read refusal without a one-line message");
            if (b.data)
                FUZZ_FAIL("npy: a refused read left data allocated");
        } else {
            if (b.ndim != a.ndim || b.shape[0] != a.shape[0] || b.shape[1] != a.shape[1] ||
                b.count != a.count ||
                memcmp(a.data, b.data, (size_t)a.count * sizeof a.data[0]))
                FUZZ_FAIL("npy: npy_read and npy_parse read different arrays");
            npy_free(&b);
        }
    }
    if (rc == 0)
        npy_free(&a);
    return 0;
}
