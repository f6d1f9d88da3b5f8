/*
 * fuzz_order.c - libFuzzer harness for cm_order_parse (contraction orders,
 * costmodel/tensor/cm_net.h).  An order only means something against a network,
 * so the input is "NET\nORDER":
 *   NET   "dense D", "tt D" (D = 1..8 modes) or a tree in ht_parse notation
 *         (ranks optional); every mode is 2 x 2, every rank 2.  A NET line
 *         that does not parse falls back to the balanced HT tree on 4 modes.
 *   ORDER the rest of the input, handed to cm_order_parse as is.
 * A refusal must give a one-line message and leave the order untouched; an
 * accepted order must pass cm_order_check and print back to itself.
 *
 * Built by tools/fuzz.sh with clang -fsanitize=fuzzer; tests/test_fuzz_regress.c
 * includes this file with FUZZ_ENTRY / FUZZ_FAIL defined to replay the corpus.
 */
#include "cm_net.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* The network named by the first line (see above). */
static void order_fuzz_net(const char *line, cm_format *f)
{
    char err[CM_ERRLEN];
    int d = 0;
    memset(f, 0, sizeof *f);
    if ((!strncmp(line, "dense ", 6) || !strncmp(line, "tt ", 3)) &&
        sscanf(line + (line[0] == 'd' ? 6 : 3), "%d", &d) == 1 && d >= 1 && d <= CM_MAX_D) {
        f->kind = line[0] == 'd' ? CM_DENSE : CM_TT;
    } else if (ht_parse(line, &f->tree, err, sizeof err) == 0) {
        f->kind = CM_HT;
        d = f->tree.d;
        ht_fill_ranks(&f->tree, 2);
        for (int v = 0; v < f->tree.nnodes; v++) /* keep the network small */
            if (v != f->tree.root)
                f->tree.rank[v] = 2;
    } else {
        f->kind = CM_HT;
        d = 4;
        ht_balanced(d, &f->tree);
        ht_fill_ranks(&f->tree, 2);
    }
    f->modes.d = d;
    for (int k = 0; k < d; k++)
        f->modes.m[k] = f->modes.n[k] = 2;
    for (int k = 0; k <= d; k++)
        f->tt_rank[k] = (k == 0 || k == d) ? 1 : 2;
}

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    char *order = strchr(s, '\n');
    if (order)
        *order++ = '\0';
    else
        order = s + strlen(s);

    static cm_format f;
    static cm_net net;
    char err[CM_ERRLEN], txt[256];
    order_fuzz_net(s, &f);
    if (cm_format_check(&f, err, sizeof err) || cm_net_build(&f, &net, err, sizeof err))
        FUZZ_FAIL("order: the harness built an invalid network");

    cm_order o, o0, o2;
    memset(&o, 0x5a, sizeof o);
    o0 = o;
    err[0] = '\0';
    int rc = cm_order_parse(&net, order, &o, err, sizeof err);
    if (fuzz_check_rc("order: cm_order_parse", rc, err)) {
        if (memcmp(&o, &o0, sizeof o))
            FUZZ_FAIL("order: a refused parse changed the order");
        free(s);
        return 0;
    }
    if (o.n != net.nf || cm_order_check(&net, &o, err, sizeof err))
        FUZZ_FAIL("order: accepted order fails cm_order_check");
    int n = cm_order_format(&net, &o, txt, sizeof txt);
    if (n < 1 || (size_t)n >= sizeof txt)
        FUZZ_FAIL("order: cm_order_format length");
    if (cm_order_parse(&net, txt, &o2, err, sizeof err) || o2.n != o.n ||
        memcmp(o.f, o2.f, (size_t)o.n * sizeof o.f[0]))
        FUZZ_FAIL("order: format -> parse changed the order");
    cm_order_cost c;
    cm_order_cost_of(&net, &o, &c);
    if (c.n != o.n || c.macs < 0 || c.peak < 1)
        FUZZ_FAIL("order: bad cost of an accepted order");
    free(s);
    return 0;
}
