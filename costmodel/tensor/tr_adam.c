/*
 * tr_adam.c - Adam (Kingma and Ba, 2015) over tr_model's flat parameter
 * vector, after clipping the gradient's global L2 norm, in a fixed order so
 * that a step is a pure function of the state.
 */
#include "tr_model.h"

#include <math.h>
#include <stdlib.h>

int tr_adam_init(tr_adam *a, const tr_model *m, double lr, double clip)
{
    size_t n = (size_t)tr_nparams(m);
    a->lr = lr;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-8;
    a->clip = clip;
    a->step = 0;
    a->mom = calloc(n, sizeof(tn_real));
    a->vel = calloc(n, sizeof(tn_real));
    if (!a->mom || !a->vel) {
        tr_adam_free(a);
        return -1;
    }
    return 0;
}

void tr_adam_free(tr_adam *a)
{
    free(a->mom);
    free(a->vel);
    a->mom = a->vel = NULL;
}

double tr_adam_step(tr_adam *a, tr_model *m)
{
    int64_t n = tr_nparams(m);
    tn_real *th = tr_params(m), *g = tr_grads(m);
    double ss = 0;
    for (int64_t i = 0; i < n; i++)
        ss += (double)g[i] * (double)g[i];
    double norm = sqrt(ss), scale = 1;
    if (a->clip > 0 && norm > a->clip)
        scale = a->clip / norm;
    a->step++;
    double c1 = 1 - pow(a->beta1, (double)a->step), c2 = 1 - pow(a->beta2, (double)a->step);
    double lr = a->lr * sqrt(c2) / c1;
    for (int64_t i = 0; i < n; i++) {
        double gi = scale * (double)g[i];
        double mo = a->beta1 * (double)a->mom[i] + (1 - a->beta1) * gi;
        double ve = a->beta2 * (double)a->vel[i] + (1 - a->beta2) * gi * gi;
        a->mom[i] = (tn_real)mo;
        a->vel[i] = (tn_real)ve;
        th[i] -= (tn_real)(lr * mo / (sqrt(ve) + a->eps * sqrt(c2)));
    }
    return norm;
}
