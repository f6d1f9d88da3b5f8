/*
 * spec_ref.c - reference weights of a spec checked by their .npy headers
 * (spec_ref.h): the file readable, a 2-D float array, 4H x N_in for W_x and
 * 4H x H for W_h; the values themselves are read by `dse run`.  A `dse
 * train --save` directory is checked by its manifest.json (JSON is YAML's
 * flow style: read with ydoc, as every structured text input).
 */
#include "spec_ref.h"

#include "npy.h"
#include "ydoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_one(const spec *s, const char *path, int64_t rows, int64_t cols,
                     const char *what, char *err, size_t errlen)
{
    npy_info h;
    char e[CM_ERRLEN];
    if (npy_read_info(path, &h, e, sizeof e))
        return cm_fail(err, errlen, "%s: reference %s: %s", s->path, path, e);
    if (h.kind != 'f' || h.ndim != 2)
        return cm_fail(err, errlen, "%s: reference %s: expected a 2-D float matrix, got a "
                       "%d-D '%s' array", s->path, path, h.ndim, h.descr);
    if (h.shape[0] != rows || h.shape[1] != cols)
        return cm_fail(err, errlen, "%s: reference %s: shape %lldx%lld, expected %lldx%lld (%s)",
                       s->path, path, (long long)h.shape[0], (long long)h.shape[1],
                       (long long)rows, (long long)cols, what);
    return 0;
}

int spec_ref_check(const spec *s, char *err, size_t errlen)
{
    int64_t rows = 4 * (int64_t)s->def.hidden;
    if (!s->has_ref || !s->ref_npy)
        return 0;
    if (check_one(s, s->ref_npy, rows, s->def.n_in, "4H x N_in", err, errlen))
        return -1;
    if (s->ref_npy_wh && check_one(s, s->ref_npy_wh, rows, s->def.hidden, "4H x H", err, errlen))
        return -1;
    return 0;
}

/* One integer of the manifest's top level, or -1 with a reason. */
static long long manifest_int(const ynode *root, const char *key)
{
    long long v;
    const ynode *x = ymap_get(root, key);
    return x && x->kind == YN_SCALAR && yn_int(x, &v) == 1 ? v : -1;
}

int spec_ref_train_check(const char *dir, long long n_in, long long hidden, char *err,
                         size_t errlen)
{
    char path[4200];
    int n = snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return cm_fail(err, errlen, "%s: path too long", dir);
    char why[600];
    ydiag g;
    ydiag_init(&g);
    ydoc d = {path, "manifest", "a dse train --save manifest", &g, yarena_new(), NULL, 0};
    char *buf = NULL;
    size_t len = 0;
    int rc = -1;
    const ynode *root = NULL;
    if (!d.arena)
        cm_fail(err, errlen, "out of memory");
    else if (ydoc_read_file(&d, YDOC_MAX_BYTES, &buf, &len) || !(root = ydoc_parse(&d, buf, len)))
        cm_fail(err, errlen, "%s: not a dse train --save directory: %s", dir,
                ydiag_quote(ydiag_text(&g), strcspn(ydiag_text(&g), "\n"), why, sizeof why));
    else if (manifest_int(root, "n_in") < 0 || manifest_int(root, "hidden") < 0)
        cm_fail(err, errlen, "%s: manifest.json has no n_in and hidden", dir);
    else if (manifest_int(root, "n_in") != n_in || manifest_int(root, "hidden") != hidden)
        cm_fail(err, errlen, "%s: the network has n_in %lld, hidden %lld; the "
                "workload has n_in %lld, hidden %lld", dir, manifest_int(root, "n_in"),
                manifest_int(root, "hidden"), n_in, hidden);
    else
        rc = 0;
    /* one line, whatever the directory's name holds */
    char *nl = strchr(err, '\n');
    if (rc && nl)
        *nl = '\0';
    free(buf);
    yarena_free(d.arena);
    ydiag_free(&g);
    return rc;
}
