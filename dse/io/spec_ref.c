/*
 * spec_ref.c - reference weights of a spec checked by their .npy headers
 * (spec_ref.h): the file readable, a 2-D float array, 4H x N_in for W_x and
 * 4H x H for W_h; the values themselves are read by `dse run`.
 */
#include "spec_ref.h"

#include "npy.h"

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
