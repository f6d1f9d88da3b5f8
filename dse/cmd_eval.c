/*
 * cmd_eval.c - `dse eval`: one weight matrix (dense, TT or HT) from flags,
 * its parameter count, compression and the cost of a contraction order
 * (the best one unless --order gives one), as text or one JSON object.
 */
#include "cli.h"
#include "cm_net.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define CMD "eval"

typedef struct {
    const char *format, *in_modes, *out_modes, *tree, *ranks, *order;
    int json;
} eval_opts;

static void eval_usage(FILE *f)
{
    fprintf(f,
        "usage: dse eval --format ht|tt|dense --in-modes N1xN2x.. --out-modes M1xM2x..\n"
        "                [--tree T] [--ranks R] [--order O|best] [--json]\n\n"
        "Evaluates one tensorized weight matrix W (M x N, M = prod out-modes,\n"
        "N = prod in-modes): parameters, compression and the contraction order.\n\n"
        "  --format F      dense, tt or ht\n"
        "  --in-modes L    input (column) modes, e.g. 8x20x20x18\n"
        "  --out-modes L   output (row) modes, e.g. 16x4x4x4 (same count)\n"
        "  --tree T        HT dimension tree, e.g. '((1:4,2:4):6,(3:4,4:4):6)';\n"
        "                  default: the balanced tree\n"
        "  --ranks R       HT: fills every rank the tree leaves out;\n"
        "                  TT: one rank for every inner bond, or d-1 ranks 'r1,..'\n"
        "  --order O       contraction order as labels, e.g. '1,2,12,3,4,34,1234'\n"
        "                  (HT node labels; TT cores 1..d; dense W); default best\n"
        "  --json          one JSON object instead of the text report\n"
        "  --help          this text\n");
}

static int eval_parse_args(int argc, char **argv, eval_opts *o)
{
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'}, {"in-modes", required_argument, 0, 'i'},
        {"out-modes", required_argument, 0, 'o'}, {"tree", required_argument, 0, 't'},
        {"ranks", required_argument, 0, 'r'}, {"order", required_argument, 0, 'O'},
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    memset(o, 0, sizeof *o);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o->format = optarg; break;
        case 'i': o->in_modes = optarg; break;
        case 'o': o->out_modes = optarg; break;
        case 't': o->tree = optarg; break;
        case 'r': o->ranks = optarg; break;
        case 'O': o->order = optarg; break;
        case 'j': o->json = 1; break;
        case 'h': eval_usage(stdout); return 1;
        case ':': return cli_bad(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_bad(CMD, "unknown option '%s' (try --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_bad(CMD, "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* Builds the format from the flags; CLI_BADINPUT with a message on error. */
static int eval_build_format(const eval_opts *o, cm_format *f)
{
    char err[CM_ERRLEN];
    int nin = 0, nout = 0;
    memset(f, 0, sizeof *f);
    if (!o->format || !o->in_modes || !o->out_modes)
        return cli_bad(CMD, "--format, --in-modes and --out-modes are required (try --help)");
    if (cm_kind_parse(o->format, &f->kind))
        return cli_bad(CMD, "unknown format '%s' (expected dense, tt or ht)", o->format);
    if (cli_parse_modes(o->in_modes, f->modes.n, &nin, err, sizeof err))
        return cli_bad(CMD, "--in-modes: %s", err);
    if (cli_parse_modes(o->out_modes, f->modes.m, &nout, err, sizeof err))
        return cli_bad(CMD, "--out-modes: %s", err);
    if (nin != nout)
        return cli_bad(CMD, "--in-modes has %d modes but --out-modes has %d", nin, nout);
    f->modes.d = nin;
    if (cm_modes_check(&f->modes, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    if (f->kind != CM_HT && o->tree)
        return cli_bad(CMD, "--tree applies to --format ht only");
    if (f->kind == CM_DENSE && o->ranks)
        return cli_bad(CMD, "--ranks does not apply to --format dense");
    if (f->kind == CM_HT) {
        int r[1] = {0}, n = 0;
        if (o->tree) {
            if (ht_parse(o->tree, &f->tree, err, sizeof err))
                return cli_bad(CMD, "--tree: %s", err);
            if (f->tree.d != f->modes.d)
                return cli_bad(CMD, "--tree has %d modes but the mode lists have %d",
                               f->tree.d, f->modes.d);
        } else {
            ht_balanced(f->modes.d, &f->tree);
        }
        if (o->ranks) {
            if (cli_parse_ints(o->ranks, r, &n, 1, err, sizeof err))
                return cli_bad(CMD, "--ranks: %s (HT takes one rank)", err);
            ht_fill_ranks(&f->tree, r[0]);
        }
        for (int t = 0; t < f->tree.nnodes; t++)
            if (t != f->tree.root && f->tree.rank[t] == 0)
                return cli_bad(CMD, "the tree leaves ranks out; give them in --tree "
                                    "('(1:4,2:4)') or fill them with --ranks R");
    } else if (f->kind == CM_TT) {
        int r[CM_MAX_D], n = 0, d = f->modes.d;
        if (!o->ranks)
            return cli_bad(CMD, "--format tt needs --ranks");
        if (cli_parse_ints(o->ranks, r, &n, CM_MAX_D, err, sizeof err))
            return cli_bad(CMD, "--ranks: %s", err);
        if (n != 1 && n != d - 1)
            return cli_bad(CMD, "--ranks: TT with %d modes takes 1 or %d ranks, got %d", d,
                           d - 1, n);
        f->tt_rank[0] = f->tt_rank[d] = 1;
        for (int k = 1; k < d; k++)
            f->tt_rank[k] = n == 1 ? r[0] : r[k - 1];
    }
    if (cm_format_check(f, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    return 0;
}

static void eval_print(const eval_opts *o, const cm_format *f, const cm_net *net,
                       const cm_order *ord, const cm_order_cost *cost)
{
    char tree[512] = "", order[256];
    int64_t params = cm_format_params(f), dense = cm_dense_params(&f->modes);
    double compression = params > 0 ? (double)dense / (double)params : 0.0;
    cm_order_format(net, ord, order, sizeof order);
    if (f->kind == CM_HT)
        ht_format(&f->tree, tree, sizeof tree);
    if (o->json) {
        printf("{\"format\":\"%s\",\"in_modes\":\"%s\",\"out_modes\":\"%s\"",
               cm_kind_name(f->kind), o->in_modes, o->out_modes);
        if (f->kind == CM_HT)
            printf(",\"tree\":\"%s\"", tree);
        if (f->kind == CM_TT) {
            printf(",\"tt_ranks\":[");
            for (int k = 0; k <= f->modes.d; k++)
                printf("%s%d", k ? "," : "", f->tt_rank[k]);
            printf("]");
        }
        printf(",\"params\":%lld,\"dense_params\":%lld,\"compression\":%.6g"
               ",\"order\":\"%s\",\"macs\":%lld,\"peak_intermediate\":%lld,\"steps\":[",
               (long long)params, (long long)dense, compression, order,
               (long long)cost->macs, (long long)cost->peak);
        for (int s = 0; s < cost->n; s++) {
            const cm_step *st = &cost->step[s];
            printf("%s{\"factor\":\"%s\",\"kept\":%lld,\"consumed\":%lld,\"produced\":%lld"
                   ",\"macs\":%lld,\"out_size\":%lld}",
                   s ? "," : "", net->label[st->f], (long long)st->kept_size,
                   (long long)st->consumed_size, (long long)st->produced_size,
                   (long long)st->macs, (long long)st->out_size);
        }
        printf("]}\n");
        return;
    }
    printf("format            %s\n", cm_kind_name(f->kind));
    printf("modes             out %s  in %s  (%lld x %lld)\n", o->out_modes, o->in_modes,
           (long long)cm_modes_rows(&f->modes), (long long)cm_modes_cols(&f->modes));
    if (f->kind == CM_HT)
        printf("tree              %s\n", tree);
    if (f->kind == CM_TT) {
        printf("tt ranks          ");
        for (int k = 0; k <= f->modes.d; k++)
            printf("%s%d", k ? "," : "", f->tt_rank[k]);
        printf("\n");
    }
    printf("params            %lld (dense %lld, compression %.6gx)\n", (long long)params,
           (long long)dense, compression);
    printf("order             %s\n", order);
    printf("macs              %lld\n", (long long)cost->macs);
    printf("peak intermediate %lld elements (x and y included)\n", (long long)cost->peak);
    printf("\n  step  factor     kept x consumed x produced          macs     out size\n");
    for (int s = 0; s < cost->n; s++) {
        const cm_step *st = &cost->step[s];
        printf("  %4d  %-8s %8lld x %8lld x %8lld  %12lld %12lld\n", s + 1, net->label[st->f],
               (long long)st->kept_size, (long long)st->consumed_size,
               (long long)st->produced_size, (long long)st->macs, (long long)st->out_size);
    }
}

int cmd_eval(int argc, char **argv)
{
    eval_opts o;
    cm_format f;
    cm_net net;
    cm_order ord;
    cm_order_cost cost;
    char err[CM_ERRLEN];
    int rc = eval_parse_args(argc, argv, &o);
    if (rc)
        return rc == 1 ? CLI_OK : rc;
    if ((rc = eval_build_format(&o, &f)))
        return rc;
    if (cm_net_build(&f, &net, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    if (o.order && strcmp(o.order, "best")) {
        if (cm_order_parse(&net, o.order, &ord, err, sizeof err))
            return cli_bad(CMD, "--order: %s", err);
        cm_order_cost_of(&net, &ord, &cost);
    } else {
        cm_order_best(&net, &ord, &cost);
    }
    eval_print(&o, &f, &net, &ord, &cost);
    return CLI_OK;
}
