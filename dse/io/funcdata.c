/*
 * funcdata.c - the functional model on seeded random data (funcdata.h):
 * allocation and filling of weights, quantized weights, x, h and the
 * output buffers, the run, and the check against cm_qmatvec.
 */
#include "funcdata.h"

#include "cm_hash.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    cm_weights w[2];
    cm_qweights q[2];
    int32_t *x, *h, *y[2], *yref[2], *work;
} funcdata;

static void funcdata_free(funcdata *fd)
{
    for (int i = 0; i < 2; i++) {
        cm_qweights_free(&fd->q[i]);
        cm_weights_free(&fd->w[i]);
        free(fd->y[i]);
        free(fd->yref[i]);
    }
    free(fd->x);
    free(fd->h);
    free(fd->work);
}

/* Weights, buffers and inputs of pt's matrices; 0 or -1 with err. */
static int funcdata_init(funcdata *fd, const cm_point *pt, const cm_fix *fx, uint64_t seed,
                         char *err, size_t errlen)
{
    const cm_matmap *mm[2] = {&pt->wx, &pt->wh};
    uint64_t st = seed * CM_GOLDEN + 1;
    int64_t worksz = 0;
    for (int i = 0; i < cm_point_nmat(pt); i++) {
        if (cm_weights_alloc(&mm[i]->fmt, &fd->w[i], err, errlen))
            return -1;
        cm_weights_random(&fd->w[i], seed + (uint64_t)i, 1.0);
        if (cm_qweights_from(&fd->w[i], fx, &fd->q[i], err, errlen))
            return -1;
        int64_t ws = cm_matvec_work_size(&fd->w[i].net, &mm[i]->order);
        worksz = ws > worksz ? ws : worksz;
        int64_t rows = cm_modes_rows(&mm[i]->fmt.modes);
        fd->y[i] = calloc((size_t)rows, sizeof(int32_t));
        fd->yref[i] = calloc((size_t)rows, sizeof(int32_t));
        if (!fd->y[i] || !fd->yref[i])
            return cm_fail(err, errlen, "out of memory (functional model)");
    }
    int64_t nx = cm_modes_cols(&pt->wx.fmt.modes);
    fd->x = calloc((size_t)nx, sizeof(int32_t));
    fd->h = calloc((size_t)(pt->hidden > 0 ? pt->hidden : 1), sizeof(int32_t));
    fd->work = malloc(2 * (size_t)worksz * sizeof(int32_t));
    if (!fd->x || !fd->h || !fd->work)
        return cm_fail(err, errlen, "out of memory (functional model)");
    /* x (and h); for concat, x = [x; h; 0] with the padding left at zero. */
    int64_t nfill = pt->layer == CM_LAYER_LSTM && pt->decomp == CM_DECOMP_CONCAT
                        ? (int64_t)pt->n_in + pt->hidden : nx;
    for (int64_t j = 0; j < nfill; j++)
        fd->x[j] = cm_fix_quantize(2 * cm_rand_uniform(&st) - 1, fx->bits, fx->frac_a);
    for (int j = 0; j < pt->hidden; j++)
        fd->h[j] = cm_fix_quantize(2 * cm_rand_uniform(&st) - 1, fx->bits, fx->frac_a);
    return 0;
}

int funcdata_run(const cm_point *pt, const cm_tech *tech, uint64_t seed, cm_result *r,
                 int *differs, char *err, size_t errlen)
{
    funcdata fd;
    int nmat = cm_point_nmat(pt), rc = FUNCDATA_NOMEM;
    const cm_matmap *mm[2] = {&pt->wx, &pt->wh};
    /* b-2 fractional bits for weights, b-4 for activations (none below 0) */
    cm_fix fx = {pt->hw.bits, pt->hw.bits - 2 > 0 ? pt->hw.bits - 2 : 0,
                 pt->hw.bits - 4 > 0 ? pt->hw.bits - 4 : 0};
    memset(&fd, 0, sizeof fd);
    if (funcdata_init(&fd, pt, &fx, seed, err, errlen))
        goto out;
    const cm_qweights *qp[2] = {&fd.q[0], nmat > 1 ? &fd.q[1] : NULL};
    int32_t *yp[2] = {fd.y[0], nmat > 1 ? fd.y[1] : NULL};
    rc = FUNCDATA_FAIL;
    if (cm_func_eval(pt, tech, qp, fd.x, nmat > 1 ? fd.h : NULL, yp, r))
        goto out;
    *differs = -1;
    for (int i = 0; i < nmat; i++) {
        cm_qmatvec(&fd.q[i], &mm[i]->order, i ? fd.h : fd.x, fd.yref[i], fd.work);
        size_t rows = (size_t)cm_modes_rows(&mm[i]->fmt.modes);
        if (*differs < 0 && memcmp(fd.y[i], fd.yref[i], rows * sizeof(int32_t)))
            *differs = i;
    }
    rc = FUNCDATA_OK;
out:
    funcdata_free(&fd);
    return rc;
}
