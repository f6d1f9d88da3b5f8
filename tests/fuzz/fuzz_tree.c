/*
 * fuzz_tree.c - libFuzzer harness for ht_parse (the dimension-tree notation,
 * costmodel/tensor/ht_tree.h).  The input bytes are the tree text.  A refusal must
 * leave the tree untouched and give a one-line message; an accepted tree
 * must be well formed and survive format -> parse unchanged.
 *
 * Built by tools/fuzz.sh with clang -fsanitize=fuzzer; tests/test_fuzz_regress.c
 * includes this file with FUZZ_ENTRY / FUZZ_FAIL defined to replay the corpus.
 */
#include "ht_tree.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;

    ht_tree t, t0, u;
    char err[CM_ERRLEN], txt[512], txt2[512];
    memset(&t, 0xa5, sizeof t);
    t0 = t;
    err[0] = '\0';
    int rc = ht_parse(s, &t, err, sizeof err);
    if (fuzz_check_rc("tree: ht_parse", rc, err)) {
        if (memcmp(&t, &t0, sizeof t))
            FUZZ_FAIL("tree: a refused parse changed the tree");
        free(s);
        return 0;
    }
    /* Well formed: canonical numbering, masks, parents, root rank 1. */
    if (t.d < 1 || t.d > CM_MAX_D || t.nnodes != 2 * t.d - 1 || t.root != 2 * t.d - 2)
        FUZZ_FAIL("tree: accepted tree has bad d / nnodes / root");
    if (t.rank[t.root] != 1 || t.parent[t.root] != -1)
        FUZZ_FAIL("tree: bad root");
    if (t.mask[t.root] != (1u << t.d) - 1)
        FUZZ_FAIL("tree: root does not hold every mode");
    for (int v = 0; v < t.nnodes; v++) {
        if (v < t.d) {
            if (t.left[v] != -1 || t.right[v] != -1 || t.mask[v] != 1u << v)
                FUZZ_FAIL("tree: bad leaf");
        } else {
            int l = t.left[v], r = t.right[v];
            if (l < 0 || r < 0 || l >= v || r >= v || t.parent[l] != v || t.parent[r] != v ||
                (t.mask[l] & t.mask[r]) || (t.mask[l] | t.mask[r]) != t.mask[v])
                FUZZ_FAIL("tree: bad internal node");
        }
        if (v != t.root && t.rank[v] < 0)
            FUZZ_FAIL("tree: negative rank");
        char label[CM_MAX_D + 1];
        ht_node_label(&t, v, label, sizeof label);
        if (!label[0])
            FUZZ_FAIL("tree: empty node label");
    }
    /* Round trip: the printed text parses back to the same tree. */
    int n = ht_format(&t, txt, sizeof txt);
    if (n < 1 || (size_t)n >= sizeof txt)
        FUZZ_FAIL("tree: ht_format length");
    if (ht_parse(txt, &u, err, sizeof err) != 0)
        FUZZ_FAIL("tree: printed tree does not parse");
    if (memcmp(&t, &u, sizeof t))
        FUZZ_FAIL("tree: format -> parse changed the tree");
    if (ht_format(&u, txt2, sizeof txt2) != n || strcmp(txt, txt2))
        FUZZ_FAIL("tree: printed form not stable");
    /* A short buffer is truncated, still terminated, same length reported. */
    char small[4];
    if (ht_format(&t, small, sizeof small) != n || strlen(small) >= sizeof small)
        FUZZ_FAIL("tree: truncated ht_format");
    ht_fill_ranks(&u, 3);
    if (ht_check_ranks(&u, err, sizeof err) != 0)
        FUZZ_FAIL("tree: filled ranks refused");
    free(s);
    return 0;
}
