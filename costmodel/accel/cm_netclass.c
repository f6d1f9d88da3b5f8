/*
 * cm_netclass.c - the class of a network (cm_netclass.h): each HT
 * matrix's tree up to its rooting (ht_class.c), the other matrices as
 * they are.
 */
#include "cm_netclass.h"

#include "ht_class.h"

static cm_matmap *mat(cm_point *p, int k) { return k ? &p->wh : &p->wx; }
static const cm_matmap *cmat(const cm_point *p, int k) { return k ? &p->wh : &p->wx; }

void cm_net_class_rep(const cm_point *p, cm_point *rep)
{
    *rep = *p;
    for (int k = 0; k < cm_point_nmat(p); k++)
        if (mat(rep, k)->fmt.kind == CM_HT)
            ht_class_rep(&mat(rep, k)->fmt.tree, &mat(rep, k)->fmt.tree);
}

/* The members of matrix k's tree (1 for a matrix that is not HT). */
static int members(const cm_point *p, int k, ht_tree *out)
{
    const cm_matmap *m = cmat(p, k);
    if (k >= cm_point_nmat(p) || m->fmt.kind != CM_HT)
        return 1;
    return ht_class_members(&m->fmt.tree, out);
}

int cm_net_class_each(const cm_point *p, cm_net_fn fn, void *ud)
{
    ht_tree tx[HT_CLASS_MAX], th[HT_CLASS_MAX];
    int nx = members(p, 0, tx), nh = members(p, 1, th);
    cm_point q = *p;
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < nh; j++) {
            if (q.wx.fmt.kind == CM_HT)
                q.wx.fmt.tree = tx[i];
            if (cm_point_nmat(&q) == 2 && q.wh.fmt.kind == CM_HT)
                q.wh.fmt.tree = th[j];
            int rc = fn(&q, ud);
            if (rc)
                return rc;
        }
    return 0;
}
