/*
 * cmd_eval.c - `dse eval`: one design point from flags (or from its
 * canonical point string), like timeloop-model for one mapping.
 *
 * It prints the algebra of every decomposed matrix (parameters, compression,
 * the contraction order and each step's GEMM shape) and the accelerator
 * evaluation of the point: the analytical model, the cycle-level functional
 * model on seeded random b-bit data, or both side by side (the one-truth
 * check of one point).  Text or one JSON object.
 */
#include "cli.h"
#include "cm_accel.h"
#include "funcdata.h"
#include "report.h"
#include "tech.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "eval"

/* ht_parse's messages start with "tree: "; after "--tree: " once is enough. */
static const char *after_tree(const char *msg)
{
    return strncmp(msg, "tree: ", 6) ? msg : msg + 6;
}

/* Flags of one decomposed matrix (W_x, or W_h with the --h- prefix). */
typedef struct {
    const char *format, *in_modes, *out_modes, *tree, *ranks, *order;
} mat_flags;

typedef struct {
    mat_flags wx, wh;
    const char *point, *workload, *decomp, *dataflow, *bank_map, *tech, *model;
    long input, hidden, pad, seed;
    long pe, lanes, banks, bits, sfu, freq, dram;
    long work_words, wgt_words;
    int json;
} eval_opts;

enum {
    O_FORMAT = 256, O_IN, O_OUT, O_TREE, O_RANKS, O_ORDER, O_HFORMAT, O_HIN, O_HOUT,
    O_HTREE, O_HRANKS, O_HORDER, O_POINT, O_WORKLOAD, O_INPUT, O_HIDDEN, O_DECOMP, O_PAD,
    O_PE, O_LANES, O_BANKS, O_BITS, O_MAP, O_DF, O_FREQ, O_TECH, O_MODEL, O_SFU, O_DRAM,
    O_WORK, O_WGT, O_SEED, O_JSON, O_HELP
};

static void eval_usage(FILE *f)
{
    fprintf(f,
        "usage: dse eval [matrix] [workload] [hardware] [--model M] [--json]\n"
        "       dse eval --point STRING [--model M] [--json]\n\n"
        "Evaluates one design point: the algebra of each decomposed matrix and the\n"
        "accelerator's cycles, conflicts, area and energy (docs/MODEL.md).\n\n"
        "matrix (W_x, or the one matrix of --workload mv):\n"
        "  --format F        dense, tt or ht\n"
        "  --in-modes L      input (column) modes, e.g. 8x20x20x18\n"
        "  --out-modes L     output (row) modes, e.g. 16x4x4x4 (same count)\n"
        "  --tree T          HT tree, e.g. '((1:4,2:4):6,(3:4,4:4):6)'; default balanced\n"
        "  --ranks R         HT: fills every rank the tree leaves out;\n"
        "                    TT: one rank for every inner bond, or d-1 ranks 'r1,..'\n"
        "  --order O|best    contraction order, e.g. '1,2,12,3,4,34,1234' (HT node\n"
        "                    labels; TT cores 1..d; dense W); default best (fewest MACs)\n"
        "  --h-format, --h-in-modes, --h-out-modes, --h-tree, --h-ranks, --h-order\n"
        "                    the same for W_h (--decomp separate)\n"
        "workload:\n"
        "  --workload W      mv (one y = W x, default) or lstm\n"
        "  --input N         LSTM input size N_in\n"
        "  --hidden H        LSTM hidden size (W_x has 4H rows)\n"
        "  --decomp D        partial (W_h dense), separate, or concat ([W_x|W_h] as one)\n"
        "  --pad N           concat: padded column count, >= N_in + H (default N_in + H)\n"
        "hardware and mapping (defaults in brackets):\n"
        "  --pe P [16]  --lanes L [16]  --banks B [16]  --bits b [16]\n"
        "  --bank-map M      linear, skew, xor or transform [linear]\n"
        "  --dataflow D      wp or op for every step, or one per step 'wp.op..' [wp]\n"
        "  --freq-mhz F [1000]  --dram-mbps W [12800]  --sfu-lanes S [16]\n"
        "  --work-words N [131072]  --wgt-words N [65536]   (b-bit words)\n"
        "  --tech NAME|FILE  technology table, e.g. 28nm or my.yaml [28nm]\n"
        "other:\n"
        "  --point S         the whole point as its canonical string (as stored)\n"
        "  --model M         analytical (default), functional, or both (compared)\n"
        "  --seed S          seed of the functional model's random data [1]\n"
        "  --json            one JSON object instead of the text report\n"
        "  --help            this text\n"
        "A point that does not fit (e.g. working memory too small) is reported as\n"
        "invalid with the reason; the exit status is still 0.\n");
}

/* Strict integer flag; CLI_BADINPUT with a message when out of range. */
static int flag_long(const char *name, const char *s, long lo, long hi, long *out)
{
    if (vp_long(s, lo, hi, out))
        return cli_bad(CMD, "--%s: '%s' is not an integer in %ld..%ld", name, s, lo, hi);
    return 0;
}

static int eval_parse_args(int argc, char **argv, eval_opts *o)
{
    static const struct option lo[] = {
        {"format", 1, 0, O_FORMAT}, {"in-modes", 1, 0, O_IN}, {"out-modes", 1, 0, O_OUT},
        {"tree", 1, 0, O_TREE}, {"ranks", 1, 0, O_RANKS}, {"order", 1, 0, O_ORDER},
        {"h-format", 1, 0, O_HFORMAT}, {"h-in-modes", 1, 0, O_HIN},
        {"h-out-modes", 1, 0, O_HOUT}, {"h-tree", 1, 0, O_HTREE},
        {"h-ranks", 1, 0, O_HRANKS}, {"h-order", 1, 0, O_HORDER},
        {"point", 1, 0, O_POINT}, {"workload", 1, 0, O_WORKLOAD}, {"input", 1, 0, O_INPUT},
        {"hidden", 1, 0, O_HIDDEN}, {"decomp", 1, 0, O_DECOMP}, {"pad", 1, 0, O_PAD},
        {"pe", 1, 0, O_PE}, {"lanes", 1, 0, O_LANES}, {"banks", 1, 0, O_BANKS},
        {"bits", 1, 0, O_BITS}, {"bank-map", 1, 0, O_MAP}, {"dataflow", 1, 0, O_DF},
        {"freq-mhz", 1, 0, O_FREQ}, {"tech", 1, 0, O_TECH}, {"model", 1, 0, O_MODEL},
        {"sfu-lanes", 1, 0, O_SFU}, {"dram-mbps", 1, 0, O_DRAM},
        {"work-words", 1, 0, O_WORK}, {"wgt-words", 1, 0, O_WGT}, {"seed", 1, 0, O_SEED},
        {"json", 0, 0, O_JSON}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
    int c, rc = 0;
    memset(o, 0, sizeof *o);
    o->pe = o->lanes = o->banks = o->bits = o->sfu = o->freq = o->dram = -1;
    o->input = o->hidden = o->pad = o->work_words = o->wgt_words = -1;
    o->seed = 1;
    opterr = 0;
    optind = 1;
    while (!rc && (c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        case O_FORMAT: o->wx.format = optarg; break;
        case O_IN: o->wx.in_modes = optarg; break;
        case O_OUT: o->wx.out_modes = optarg; break;
        case O_TREE: o->wx.tree = optarg; break;
        case O_RANKS: o->wx.ranks = optarg; break;
        case O_ORDER: o->wx.order = optarg; break;
        case O_HFORMAT: o->wh.format = optarg; break;
        case O_HIN: o->wh.in_modes = optarg; break;
        case O_HOUT: o->wh.out_modes = optarg; break;
        case O_HTREE: o->wh.tree = optarg; break;
        case O_HRANKS: o->wh.ranks = optarg; break;
        case O_HORDER: o->wh.order = optarg; break;
        case O_POINT: o->point = optarg; break;
        case O_WORKLOAD: o->workload = optarg; break;
        case O_DECOMP: o->decomp = optarg; break;
        case O_MAP: o->bank_map = optarg; break;
        case O_DF: o->dataflow = optarg; break;
        case O_TECH: o->tech = optarg; break;
        case O_MODEL: o->model = optarg; break;
        case O_INPUT: rc = flag_long("input", optarg, 1, INT_MAX, &o->input); break;
        case O_HIDDEN: rc = flag_long("hidden", optarg, 1, INT_MAX / 4, &o->hidden); break;
        case O_PAD: rc = flag_long("pad", optarg, 1, INT_MAX, &o->pad); break;
        case O_PE: rc = flag_long("pe", optarg, 1, 4096, &o->pe); break;
        case O_LANES: rc = flag_long("lanes", optarg, 1, 4096, &o->lanes); break;
        case O_BANKS: rc = flag_long("banks", optarg, 1, 4096, &o->banks); break;
        case O_BITS: rc = flag_long("bits", optarg, 2, 16, &o->bits); break;
        case O_SFU: rc = flag_long("sfu-lanes", optarg, 1, 4096, &o->sfu); break;
        case O_FREQ: rc = flag_long("freq-mhz", optarg, 1, 100000, &o->freq); break;
        case O_DRAM: rc = flag_long("dram-mbps", optarg, 1, 10000000, &o->dram); break;
        case O_WORK: rc = flag_long("work-words", optarg, 2, LONG_MAX, &o->work_words); break;
        case O_WGT: rc = flag_long("wgt-words", optarg, 0, LONG_MAX, &o->wgt_words); break;
        case O_SEED: rc = flag_long("seed", optarg, 0, LONG_MAX, &o->seed); break;
        case O_JSON: o->json = 1; break;
        case O_HELP: case 'h': eval_usage(stdout); return 1;
        case ':': return cli_bad(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_bad(CMD, "unknown option '%s' (try --help)", argv[optind - 1]);
        }
    }
    if (rc)
        return rc;
    if (optind < argc)
        return cli_bad(CMD, "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* Builds one matrix's format from its flags; pre is "" or "h-" for messages. */
static int build_format(const mat_flags *m, const char *pre, cm_format *f)
{
    char err[CM_ERRLEN];
    int nin = 0, nout = 0;
    memset(f, 0, sizeof *f);
    if (!m->format || !m->in_modes || !m->out_modes)
        return cli_bad(CMD, "--%sformat, --%sin-modes and --%sout-modes are required (try --help)",
                       pre, pre, pre);
    if (cm_kind_parse(m->format, &f->kind))
        return cli_bad(CMD, "--%sformat: unknown format '%s' (expected dense, tt or ht)", pre,
                       m->format);
    if (vp_modes(m->in_modes, f->modes.n, &nin, err, sizeof err))
        return cli_bad(CMD, "--%sin-modes: %s", pre, err);
    if (vp_modes(m->out_modes, f->modes.m, &nout, err, sizeof err))
        return cli_bad(CMD, "--%sout-modes: %s", pre, err);
    if (nin != nout)
        return cli_bad(CMD, "--%sin-modes has %d modes but --%sout-modes has %d", pre, nin, pre,
                       nout);
    f->modes.d = nin;
    if (cm_modes_check(&f->modes, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    if (f->kind != CM_HT && m->tree)
        return cli_bad(CMD, "--%stree applies to --%sformat ht only", pre, pre);
    if (f->kind == CM_DENSE && m->ranks)
        return cli_bad(CMD, "--%sranks does not apply to --%sformat dense", pre, pre);
    if (f->kind == CM_HT) {
        int r[1] = {0}, n = 0;
        if (m->tree) {
            if (ht_parse(m->tree, &f->tree, err, sizeof err))
                return cli_bad(CMD, "--%stree: %s", pre, after_tree(err));
            if (f->tree.d != f->modes.d)
                return cli_bad(CMD, "--%stree has %d modes but the mode lists have %d", pre,
                               f->tree.d, f->modes.d);
        } else {
            ht_balanced(f->modes.d, &f->tree);
        }
        if (m->ranks) {
            if (vp_ints(m->ranks, r, &n, 1, err, sizeof err))
                return cli_bad(CMD, "--%sranks: %s (HT takes one rank)", pre, err);
            ht_fill_ranks(&f->tree, r[0]);
        }
        for (int t = 0; t < f->tree.nnodes; t++)
            if (t != f->tree.root && f->tree.rank[t] == 0)
                return cli_bad(CMD, "the --%stree leaves ranks out; give them in the tree "
                                    "('(1:4,2:4)') or fill them with --%sranks R", pre, pre);
    } else if (f->kind == CM_TT) {
        int r[CM_MAX_D], n = 0, d = f->modes.d;
        if (!m->ranks)
            return cli_bad(CMD, "--%sformat tt needs --%sranks", pre, pre);
        if (vp_ints(m->ranks, r, &n, CM_MAX_D, err, sizeof err))
            return cli_bad(CMD, "--%sranks: %s", pre, err);
        if (n != 1 && n != d - 1)
            return cli_bad(CMD, "--%sranks: TT with %d modes takes 1 or %d ranks, got %d", pre,
                           d, d - 1, n);
        f->tt_rank[0] = f->tt_rank[d] = 1;
        for (int k = 1; k < d; k++)
            f->tt_rank[k] = n == 1 ? r[0] : r[k - 1];
    }
    if (cm_format_check(f, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    return 0;
}

/* Format, order (given or best) and dataflows of one matrix. */
static int build_matmap(const mat_flags *m, const char *pre, const char *dataflow,
                        cm_matmap *mm)
{
    char err[CM_ERRLEN];
    cm_net net;
    int rc;
    memset(mm, 0, sizeof *mm);
    if ((rc = build_format(m, pre, &mm->fmt)))
        return rc;
    if (cm_net_build(&mm->fmt, &net, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    if (m->order && strcmp(m->order, "best")) {
        if (cm_order_parse(&net, m->order, &mm->order, err, sizeof err))
            return cli_bad(CMD, "--%sorder: %s", pre, err);
    } else {
        cm_order_cost cost;
        cm_order_best(&net, &mm->order, &cost);
    }
    /* One dataflow for every step, or one per step joined by '.'. */
    const char *p = dataflow ? dataflow : "wp";
    int s = 0;
    for (;;) {
        char tok[8];
        size_t len = strcspn(p, ".");
        cm_dataflow df;
        if (len >= sizeof tok)
            return cli_bad(CMD, "--dataflow: bad entry in '%s' (expected wp or op)", dataflow);
        memcpy(tok, p, len);
        tok[len] = '\0';
        if (cm_dataflow_parse(tok, &df))
            return cli_bad(CMD, "--dataflow: '%s' is not wp or op", tok);
        if (s == 0 && !p[len]) {
            cm_matmap_set_df(mm, df);
            return 0;
        }
        if (s == mm->order.n)
            return cli_bad(CMD, "--dataflow: more entries than the %d steps", mm->order.n);
        mm->df[s++] = df;
        if (!p[len])
            break;
        p += len + 1;
    }
    if (s != mm->order.n)
        return cli_bad(CMD, "--dataflow: %d entries for %d steps", s, mm->order.n);
    return 0;
}

static int build_hw(const eval_opts *o, cm_point *pt)
{
    cm_hw *hw = &pt->hw;
    cm_hw_default(hw);
    if (o->pe > 0) hw->pes = (int)o->pe;
    if (o->lanes > 0) hw->lanes = (int)o->lanes;
    if (o->banks > 0) hw->banks = (int)o->banks;
    if (o->bits > 0) hw->bits = (int)o->bits;
    if (o->sfu > 0) hw->sfu_lanes = (int)o->sfu;
    if (o->freq > 0) hw->freq_mhz = (int)o->freq;
    if (o->dram > 0) hw->dram_mbps = (int)o->dram;
    if (o->work_words > 0) hw->work_words = o->work_words;
    if (o->wgt_words >= 0) hw->wgt_words = o->wgt_words;
    pt->map = CM_MAP_LINEAR;
    if (o->bank_map && cm_bankmap_parse(o->bank_map, &pt->map))
        return cli_bad(CMD, "--bank-map: '%s' is not linear, skew, xor or transform",
                       o->bank_map);
    return 0;
}

/* The whole point from flags (everything but the technology name). */
static int build_point(const eval_opts *o, cm_point *pt)
{
    int rc;
    memset(pt, 0, sizeof *pt);
    if ((rc = build_hw(o, pt)))
        return rc;
    if (!o->workload || !strcmp(o->workload, "mv")) {
        pt->layer = CM_LAYER_MV;
        if (o->decomp || o->input > 0 || o->hidden > 0 || o->pad > 0 || o->wh.format)
            return cli_bad(CMD, "--input/--hidden/--decomp/--pad/--h-* need --workload lstm");
        return build_matmap(&o->wx, "", o->dataflow, &pt->wx);
    }
    if (strcmp(o->workload, "lstm"))
        return cli_bad(CMD, "--workload: '%s' is not mv or lstm", o->workload);
    pt->layer = CM_LAYER_LSTM;
    if (o->input < 1 || o->hidden < 1 || !o->decomp)
        return cli_bad(CMD, "--workload lstm needs --input, --hidden and --decomp");
    if (cm_decomp_parse(o->decomp, &pt->decomp))
        return cli_bad(CMD, "--decomp: '%s' is not partial, separate or concat", o->decomp);
    pt->n_in = (int)o->input;
    pt->hidden = (int)o->hidden;
    if (pt->decomp == CM_DECOMP_CONCAT) {
        long pad = o->pad > 0 ? o->pad : o->input + o->hidden;
        if (pad < o->input + o->hidden || pad > INT_MAX)
            return cli_bad(CMD, "--pad %ld is below N_in + H = %ld", pad, o->input + o->hidden);
        pt->n_pad = (int)pad;
    } else if (o->pad > 0) {
        return cli_bad(CMD, "--pad applies to --decomp concat only");
    }
    if ((rc = build_matmap(&o->wx, "", o->dataflow, &pt->wx)))
        return rc;
    if (pt->decomp == CM_DECOMP_SEPARATE)
        return build_matmap(&o->wh, "h-", o->dataflow, &pt->wh);
    if (o->wh.format)
        return cli_bad(CMD, "--h-* flags apply to --decomp separate only");
    if (pt->decomp == CM_DECOMP_PARTIAL) {
        /* TT-LSTM style: W_h stays a dense 4H x H matrix. */
        char out[32], in[32];
        mat_flags dense = {"dense", in, out, NULL, NULL, NULL};
        snprintf(out, sizeof out, "%ld", 4 * o->hidden);
        snprintf(in, sizeof in, "%ld", o->hidden);
        return build_matmap(&dense, "h-", o->dataflow, &pt->wh);
    }
    return 0;
}

/* ---- the functional model on seeded random data ---- */

/*
 * Runs the functional model on seed's data (funcdata.h) and checks y
 * against the fixed-point reference.  Returns CLI_OK (a rejected point
 * too: it is reported as such) or CLI_FAIL (out of memory, or y differs:
 * a model bug).
 */
static int run_functional(const cm_point *pt, const cm_tech *tech, long seed, cm_result *r)
{
    char err[CM_ERRLEN];
    int differs;
    int rc = funcdata_run(pt, tech, (uint64_t)seed, r, &differs, err, sizeof err);
    if (rc == FUNCDATA_FAIL)
        return r->reject != CM_OK ? CLI_OK : CLI_FAIL;
    if (rc != FUNCDATA_OK)
        return CLI_FAIL;
    if (differs >= 0) {
        fprintf(stderr, "dse eval: functional model: y of matrix %d differs from the "
                        "fixed-point reference (a model bug; please report)\n", differs);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* ---- output ---- */

static void print_matrix_text(const char *name, const cm_matmap *mm)
{
    cm_net net;
    cm_order_cost cost;
    char buf[CM_POINT_MAXLEN], err[CM_ERRLEN];
    const cm_format *f = &mm->fmt;
    if (cm_net_build(f, &net, err, sizeof err))
        return;
    cm_order_cost_of(&net, &mm->order, &cost);
    int64_t params = cm_format_params(f), dense = cm_dense_params(&f->modes);
    printf("== %s: %s, %lld x %lld\n", name, cm_kind_name(f->kind),
           (long long)cm_modes_rows(&f->modes), (long long)cm_modes_cols(&f->modes));
    if (f->kind == CM_HT) {
        ht_format(&f->tree, buf, sizeof buf);
        printf("tree              %s\n", buf);
    }
    if (f->kind == CM_TT) {
        printf("tt ranks          ");
        for (int k = 0; k <= f->modes.d; k++)
            printf("%s%d", k ? "," : "", f->tt_rank[k]);
        printf("\n");
    }
    printf("params            %lld (dense %lld, compression %.6gx)\n", (long long)params,
           (long long)dense, params > 0 ? (double)dense / (double)params : 0.0);
    cm_order_format(&net, &mm->order, buf, sizeof buf);
    printf("order             %s\n", buf);
    printf("macs              %lld\n", (long long)cost.macs);
    printf("peak intermediate %lld elements (x and y included)\n", (long long)cost.peak);
    printf("\n  step  factor     kept x consumed x produced          macs     out size\n");
    for (int s = 0; s < cost.n; s++) {
        const cm_step *st = &cost.step[s];
        printf("  %4d  %-8s %8lld x %8lld x %8lld  %12lld %12lld\n", s + 1, net.label[st->f],
               (long long)st->kept_size, (long long)st->consumed_size,
               (long long)st->produced_size, (long long)st->macs, (long long)st->out_size);
    }
    printf("\n");
}

/* Algebra keys of the first matrix and of the whole point, JSON. */
static void print_algebra_json(const cm_point *pt)
{
    cm_net net;
    cm_order_cost cost;
    char buf[CM_POINT_MAXLEN], err[CM_ERRLEN];
    const cm_format *f = &pt->wx.fmt;
    int64_t params = 0, dense = 0;
    for (int i = 0; i < cm_point_nmat(pt); i++)
        params += cm_format_params(i ? &pt->wh.fmt : f);
    if (pt->layer == CM_LAYER_LSTM) /* the dense LSTM layer: 4H x (N_in + H) */
        dense = 4 * (int64_t)pt->hidden * ((int64_t)pt->n_in + pt->hidden);
    else
        dense = cm_dense_params(&f->modes);
    if (cm_net_build(f, &net, err, sizeof err))
        return;
    cm_order_cost_of(&net, &pt->wx.order, &cost);
    printf("\"params\":%lld,\"dense_params\":%lld,\"compression\":%.6g,", (long long)params,
           (long long)dense, params > 0 ? (double)dense / (double)params : 0.0);
    printf("\"format\":\"%s\",", cm_kind_name(f->kind));
    if (f->kind == CM_HT) {
        ht_format(&f->tree, buf, sizeof buf);
        printf("\"tree\":\"%s\",", buf);
    }
    if (f->kind == CM_TT) {
        printf("\"tt_ranks\":[");
        for (int k = 0; k <= f->modes.d; k++)
            printf("%s%d", k ? "," : "", f->tt_rank[k]);
        printf("],");
    }
    cm_order_format(&net, &pt->wx.order, buf, sizeof buf);
    printf("\"order\":\"%s\",\"order_macs\":%lld,\"peak_intermediate\":%lld,\"steps\":[", buf,
           (long long)cost.macs, (long long)cost.peak);
    for (int s = 0; s < cost.n; s++) {
        const cm_step *st = &cost.step[s];
        printf("%s{\"factor\":\"%s\",\"kept\":%lld,\"consumed\":%lld,\"produced\":%lld"
               ",\"macs\":%lld,\"out_size\":%lld}",
               s ? "," : "", net.label[st->f], (long long)st->kept_size,
               (long long)st->consumed_size, (long long)st->produced_size,
               (long long)st->macs, (long long)st->out_size);
    }
    printf("],");
}

/* report_json's object with the algebra keys spliced in after its '{'. */
static int print_json(const cm_point *pt, const cm_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return CLI_FAIL;
    int bad = report_json(m, pt, r);
    if (fclose(m) || bad || len < 2 || buf[0] != '{') {
        free(buf);
        return CLI_FAIL;
    }
    putchar('{');
    print_algebra_json(pt);
    fputs(buf + 1, stdout);
    free(buf);
    return CLI_OK;
}

int cmd_eval(int argc, char **argv)
{
    eval_opts o;
    cm_point pt;
    cm_tech tech;
    cm_result ana, fun;
    char err[CM_ERRLEN];
    int rc = eval_parse_args(argc, argv, &o);
    if (rc)
        return rc == 1 ? CLI_OK : rc;
    const char *model = o.model ? o.model : "analytical";
    int want_ana = !strcmp(model, "analytical") || !strcmp(model, "both");
    int want_fun = !strcmp(model, "functional") || !strcmp(model, "both");
    if (!want_ana && !want_fun)
        return cli_bad(CMD, "--model: '%s' is not analytical, functional or both", model);
    if (o.point) {
        if (o.wx.format || o.workload || o.pe > 0 || o.bank_map || o.dataflow)
            return cli_bad(CMD, "--point gives the whole point; drop the other point flags");
        if (cm_point_parse(o.point, &pt, err, sizeof err))
            return cli_bad(CMD, "--point: %s", err);
    } else if ((rc = build_point(&o, &pt))) {
        return rc;
    }
    const char *tname = o.tech ? o.tech : o.point ? pt.hw.tech : "28nm";
    if (tech_find(tname, &tech, err, sizeof err))
        return cli_bad(CMD, "--tech: %s", err);
    snprintf(pt.hw.tech, sizeof pt.hw.tech, "%s", tech.name);
    if (!o.point && cm_point_check(&pt, err, sizeof err))
        return cli_bad(CMD, "%s", err);
    if (want_ana)
        cm_analytic_eval(&pt, &tech, &ana);
    if (want_fun && (rc = run_functional(&pt, &tech, o.seed, &fun)))
        return rc;
    const cm_result *main_r = want_ana ? &ana : &fun;
    if (o.json)
        return print_json(&pt, main_r);
    print_matrix_text(pt.layer == CM_LAYER_LSTM ? "W_x" : "W", &pt.wx);
    if (cm_point_nmat(&pt) > 1)
        print_matrix_text("W_h", &pt.wh);
    if (report_text(stdout, &pt, main_r))
        return CLI_FAIL;
    if (want_ana && want_fun) {
        printf("\n== analytical vs functional\n");
        if (report_compare(stdout, &ana, &fun)) {
            fprintf(stderr, "dse eval: the analytical and functional models disagree\n");
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}
