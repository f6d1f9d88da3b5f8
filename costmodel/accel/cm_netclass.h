/*
 * cm_netclass.h - networks that differ only in the rooting of their HT
 * trees (ht_class.h) are one class: they represent the same set of weight
 * matrices, and their trained accuracies were measured to differ by seed
 * noise only (docs/ACCURACY.md, item 1), so the accuracy stage trains one
 * network per class.  The class of a network (cm_point_format_net) is its
 * workload, decomposition, and per matrix its format, modes and (TT) ranks,
 * with each HT tree taken up to its class; formats of other matrices,
 * orders, dataflows and hardware play no part (the network leaves them out).
 */
#ifndef CM_NETCLASS_H
#define CM_NETCLASS_H

#include "cm_point.h"

/* p with each HT matrix's tree replaced by its class representative
 * (ht_class_rep): the class's representative network, a function of the
 * class alone.  Orders are left as they are (cm_point_format_net prints
 * none). */
void cm_net_class_rep(const cm_point *p, cm_point *rep);

/* Calls fn once for every network of p's class (p's own included), in a
 * fixed order, the representative first; stops and returns fn's value when
 * it is non-zero, else returns 0. */
typedef int (*cm_net_fn)(const cm_point *net, void *ud);
int cm_net_class_each(const cm_point *p, cm_net_fn fn, void *ud);

#endif
