/*
 * cmd_reproduce.c - `dse reproduce`: regenerates the paper's tables, the
 * published figure beside the modeled one (repro.h computes them).
 *
 * Prints the Markdown report (or, with --json, one JSON object) and writes
 * under --out (default results/): reproduce.md, reproduce.json and the CSV
 * tables reproduce_*.csv that plots/ draws from.  Every number printed is
 * deterministic: the same on every run, whether the sweeps ran now or were
 * read back from the database.  Timings go to stderr only.
 */
#include "cli.h"
#include "report.h"
#include "db.h"
#include "repro_impl.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "reproduce"
#define OUT_DEFAULT "results"

typedef struct {
    const char *db, *out;
    int no_db, json, quiet, no_functional;
    int accuracy;
    repro_acc_opts acc;
} repro_flags;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dse reproduce [--db F | --no-db] [--out DIR] [--json] [--quiet]\n"
        "                     [--accuracy [--dense] [--acc-data DATA] [--acc-epochs N]]\n\n"
        "Regenerates the FDHT-LSTM paper's comparisons (docs/REPRODUCE.md):\n"
        "  1. model size per dataset (dense, TT-LSTM, TR/BT-LSTM where published,\n"
        "     FDHT-LSTM found by the mapper) with the error proxies;\n"
        "  2. FDHT/TIE throughput, area- and energy-efficiency ratios per workload\n"
        "     (LSTM-UCF, LSTM-Youtube), modeled beside published, with the deviation;\n"
        "  3. TIE's modeled area beside the published 1.74 mm^2.\n"
        "Runs the sweeps it needs through the mapper (or reuses their stored Pareto\n"
        "fronts), prints the report and writes it under DIR.\n\n"
        "  --db F        results database: the sweeps' fronts are stored there and\n"
        "                reused on the next run (default: DIR/dse.db)\n"
        "  --no-db       touch no database (sweep every time)\n"
        "  --out DIR     where reproduce.md, reproduce.json and reproduce_*.csv go\n"
        "                [" OUT_DEFAULT "]\n"
        "  --json        print one JSON object instead of the Markdown report\n"
        "  --no-functional  skip the functional-model cross-check of the selected points\n"
        "  --quiet       no progress lines on stderr\n"
        "  --accuracy    6. train (or read back from --db) TIE's TT-LSTM network and the\n"
        "                %d best FDHT networks of the front on moving-fmnist\n"
        "                clips of 160x120x3, print their accuracies beside the paper's\n"
        "                claim and select the FDHT network by accuracy (a few minutes)\n"
        "  --dense       with --accuracy: the dense LSTM too (59 M weights: slow)\n"
        "  --acc-data D  with --accuracy: the clips [" REPRO_ACC_DATA "]\n"
        "  --acc-epochs N  with --accuracy: the epochs [%d]\n"
        "  --help        this text\n\n"
        "Ctrl-C while --accuracy trains: the training stops before its next epoch;\n"
        "the same command continues.\n\n"
        "Exit status: 0 done, 2 bad flags or database, 1 internal failure, 130\n"
        "interrupted.\n",
        REPRO_ACC_CANDS, REPRO_ACC_EPOCHS);
}

static int parse_flags(int argc, char **argv, repro_flags *o)
{
    enum { O_DB = 256, O_NODB, O_OUT, O_JSON, O_QUIET, O_NOFUN, O_HELP, O_ACC, O_DENSE,
           O_ADATA, O_AEPOCHS };
    static const struct option lo[] = {
        {"db", 1, 0, O_DB}, {"no-db", 0, 0, O_NODB}, {"out", 1, 0, O_OUT},
        {"json", 0, 0, O_JSON}, {"quiet", 0, 0, O_QUIET}, {"no-functional", 0, 0, O_NOFUN},
        {"help", 0, 0, O_HELP}, {"accuracy", 0, 0, O_ACC}, {"dense", 0, 0, O_DENSE},
        {"acc-data", 1, 0, O_ADATA}, {"acc-epochs", 1, 0, O_AEPOCHS}, {0, 0, 0, 0}};
    int acc_only = 0;
    char *end;
    int c;
    memset(o, 0, sizeof *o);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        case O_DB: o->db = optarg; break;
        case O_NODB: o->no_db = 1; break;
        case O_OUT: o->out = optarg; break;
        case O_JSON: o->json = 1; break;
        case O_QUIET: o->quiet = 1; break;
        case O_NOFUN: o->no_functional = 1; break;
        case O_ACC: o->accuracy = 1; break;
        case O_DENSE: o->acc.dense = 1; acc_only = 1; break;
        case O_ADATA: o->acc.data = optarg; acc_only = 1; break;
        case O_AEPOCHS:
            o->acc.epochs = (int)strtol(optarg, &end, 10);
            if (*end || o->acc.epochs < 1 || o->acc.epochs > 1000)
                return cli_bad(CMD, "--acc-epochs: not a number of epochs (1..1000): '%s'",
                               optarg);
            acc_only = 1;
            break;
        case O_HELP: case 'h': usage(stdout); return -1;
        case ':': return cli_bad(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return cli_bad(CMD, "unknown option '%s' (try --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_bad(CMD, "unexpected argument '%s'", argv[optind]);
    if (o->db && o->no_db)
        return cli_bad(CMD, "--db and --no-db exclude each other");
    if (o->out && !o->out[0])
        return cli_bad(CMD, "--out needs a directory");
    if (o->db && !o->db[0])
        return cli_bad(CMD, "--db needs a file name");
    if (acc_only && !o->accuracy)
        return cli_bad(CMD, "--dense, --acc-data and --acc-epochs go with --accuracy");
    if (o->accuracy && o->no_db)
        return cli_bad(CMD, "--accuracy stores its trainings in a database: not with --no-db");
    return 0;
}

/* mkdir -p; 0 or -1 (errno set). */
static int mkdirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return -1;
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* ---- number formatting (deterministic, locale-free) ---- */

/* 58982400 -> "58,982,400"; negative -> "n/p" (not published). */
static const char *fmt_int(int64_t v, char *buf, size_t n)
{
    if (v < 0) {
        snprintf(buf, n, "n/p");
        return buf;
    }
    return report_grouped(v, buf, n);
}

/* A double with `sig` significant digits, "-" for NaN. */
static const char *fmt_g(double v, int sig, char *buf, size_t n)
{
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.*g", sig, v);
    return buf;
}

/* An absolute figure: grouped integer from 1000 up, else 4 significant digits. */
static const char *fmt_abs(double v, char *buf, size_t n)
{
    if (isfinite(v) && v >= 999.5 && v < 9e18)
        return fmt_int((int64_t)llround(v), buf, n);
    return fmt_g(v, 4, buf, n);
}

/* ---- Markdown ---- */

typedef struct {
    const char *name;
    const repro_design *d;
} named_design;

/* The designs of one workload in table order. */
static int designs_of(const repro_hw *hw, named_design *out)
{
    static const char *const best_names[REPRO_NMETRIC] = {
        "FDHT, best throughput alone", "FDHT, best area efficiency alone",
        "FDHT, best energy efficiency alone"};
    int n = 0;
    out[n++] = (named_design){"TIE", &hw->tie};
    out[n++] = (named_design){"FDHT (selected)", &hw->fdht};
    out[n++] = (named_design){"TIE with transform map", &hw->tie_transform};
    out[n++] = (named_design){"FDHT with linear map", &hw->fdht_linear};
    /* the best FDHT point of one metric alone, where it is not the selected one */
    for (int m = 0; m < REPRO_NMETRIC; m++)
        if (strcmp(hw->fdht_best[m].point, hw->fdht.point))
            out[n++] = (named_design){best_names[m], &hw->fdht_best[m]};
    return n;
}

static void md_size(FILE *f, const repro *R)
{
    char a[32], b[32], c[32], e1[32], e2[32], cp[32];
    fprintf(f, "## 1. Model size\n\n"
               "| dataset | model | input-to-hidden | hidden-to-hidden | total | "
               "compression vs dense | error proxy upper / lower | configuration; note |\n"
               "|---|---|---:|---:|---:|---:|---:|---|\n");
    for (int i = 0; i < R->nsize; i++) {
        const repro_size_row *r = &R->size[i];
        const char *hh = r->params_hh >= 0 ? fmt_int(r->params_hh, b, sizeof b)
                         : r->config_published ? "(joint)" : "n/p";
        if (isfinite(r->compression))
            snprintf(cp, sizeof cp, "%.1fx", r->compression);
        else
            snprintf(cp, sizeof cp, "n/p");
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s / %s | %s%s%s |\n", r->dataset, r->model,
                fmt_int(r->params_ih, a, sizeof a), hh, fmt_int(r->params_total, c, sizeof c),
                cp, fmt_g(r->err_upper, 3, e1, sizeof e1), fmt_g(r->err_lower, 3, e2, sizeof e2),
                r->config_published ? r->config : "not published",
                r->note[0] ? "; " : "", r->note);
    }
    fprintf(f, "\nn/p: not published.  Parameters are weights only (no biases).  Error proxy: "
               "relative Frobenius error bounds (HSVD for HT, TT-SVD for TT) of the decomposed "
               "matrix at the row's ranks, on a %s; a proxy, not accuracy.\n\n",
            R->proxy_note);
}

static void md_ratios(FILE *f, const repro *R)
{
    char p[32], m[32], dv[32], t[32], fd[32];
    fprintf(f, "## 2. Hardware: FDHT over TIE, same PE budget\n\n"
               "| workload | metric | published | modeled | modeled / published | TIE | FDHT "
               "| unit | verdict |\n"
               "|---|---|---:|---:|---:|---:|---:|---|---|\n");
    for (int i = 0; i < REPRO_NWORK * REPRO_NMETRIC; i++) {
        const repro_ratio_row *r = &R->ratio[i];
        fprintf(f, "| %s | %s | %s%s | %s | %s | %s | %s | %s | %s%s |\n", r->workload,
                r->metric, fmt_g(r->published, 3, p, sizeof p),
                !strcmp(r->workload, "LSTM-UCF") && !strcmp(r->metric, "area_efficiency")
                    ? " (\"comparable\")" : "",
                fmt_g(r->modeled, 3, m, sizeof m), fmt_g(r->deviation, 3, dv, sizeof dv),
                fmt_abs(r->tie, t, sizeof t), fmt_abs(r->fdht, fd, sizeof fd), r->unit,
                r->miss ? "**misses by more than 1.5x**: " : "within 1.5x",
                r->miss ? r->why : "");
    }
    fprintf(f, "\nRatios are FDHT / TIE.  Energy efficiency is on chip (the DRAM energy of "
               "the input frame, the same for both designs, is excluded; see the designs "
               "table for the energy with DRAM).  Reasons for the misses: "
               "docs/REPRODUCE.md.\n\n");
}

static void md_designs(FILE *f, const repro *R)
{
    char a[32], b[32], c[32], e1[32], e2[32], fp[32], ar[32];
    fprintf(f, "### The designs behind the ratios\n\n"
               "| workload | design | params | MACs/frame | cycles/frame | frames/s | area mm^2 "
               "| energy on chip uJ/frame | with DRAM uJ/frame | conflicts | bound by | "
               "map | working SRAM words |\n"
               "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n");
    for (int w = 0; w < REPRO_NWORK; w++) {
        named_design ds[8];
        int n = designs_of(&R->hw[w], ds);
        for (int i = 0; i < n; i++) {
            const repro_design *d = ds[i].d;
            fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %lld | %s | %s | %lld |\n",
                    R->hw[w].workload, ds[i].name, fmt_int(d->params, a, sizeof a),
                    fmt_int(d->res.macs, b, sizeof b), fmt_int(d->res.cycles, c, sizeof c),
                    fmt_abs(d->res.throughput_fps, fp, sizeof fp),
                    fmt_g(d->res.area_mm2, 4, ar, sizeof ar), fmt_g(d->echip_pj * 1e-6, 4, e1, sizeof e1),
                    fmt_g(d->res.energy_pj * 1e-6, 4, e2, sizeof e2), (long long)d->res.conflicts,
                    cm_part_name(d->res.bound_by), cm_bankmap_name(d->pt.map),
                    (long long)d->pt.hw.work_words);
        }
    }
    fprintf(f, "\nPoint strings (`dse eval --point '...'` reproduces any row):\n\n");
    for (int w = 0; w < REPRO_NWORK; w++) {
        named_design ds[8];
        int n = designs_of(&R->hw[w], ds);
        for (int i = 0; i < n; i++)
            fprintf(f, "- %s, %s: `%s`\n", R->hw[w].workload, ds[i].name, ds[i].d->point);
    }
    fprintf(f, "\n");
}

static void md_area(FILE *f, const repro *R)
{
    const cm_result *t = &R->hw[0].tie.res;
    char a[32], b[32], c[32];
    fprintf(f, "## 3. TIE area\n\n"
               "| | published | modeled | modeled / published |\n|---|---:|---:|---:|\n"
               "| TIE area, mm^2 (LSTM-UCF point) | %s | %s | %s |\n\n",
            fmt_g(REPRO_TIE_AREA_MM2, 3, a, sizeof a), fmt_g(R->tie_area_mm2, 4, b, sizeof b),
            fmt_g(R->tie_area_dev, 3, c, sizeof c));
    fprintf(f, "| component | um^2 | share |\n|---|---:|---:|\n");
    for (int i = 0; i < CM_A_COUNT; i++)
        fprintf(f, "| %s | %.0f | %.1f%% |\n", cm_area_name(i), t->area_um2[i],
                100 * t->area_um2[i] / (t->area_mm2 * 1e6));
    fprintf(f, "\nNo constant is fitted to 1.74 mm^2.  A uniform area factor s = 1.74 / "
               "modeled = %.3f would make TIE match; it cancels in every FDHT/TIE ratio and is "
               "not applied anywhere.\n\n",
            R->area_scale);
}

static void md_xcheck(FILE *f, const repro *R)
{
    if (!R->nxcheck)
        return;
    fprintf(f, "## 4. Analytical vs functional model on these points\n\n"
               "The selected TIE and FDHT points under every bank map and dataflow, run by "
               "both models (functional: cycle by cycle on seeded random 16-bit data).\n\n"
               "| workload | design | bank map | dataflow | cycles analytical | cycles functional "
               "| conflicts analytical | conflicts functional | y bit-exact |\n"
               "|---|---|---|---|---:|---:|---:|---:|---|\n");
    for (int i = 0; i < R->nxcheck; i++) {
        const repro_xcheck *x = &R->xcheck[i];
        fprintf(f, "| %s | %s | %s | %s | %lld | %lld | %lld | %lld | %s |\n", x->workload,
                x->design, x->map, x->dataflow,
                (long long)x->cycles_ana, (long long)x->cycles_fun, (long long)x->conflicts_ana,
                (long long)x->conflicts_fun, x->y_exact ? "yes" : "NO");
    }
    fprintf(f, "\n");
}

static void md_sweeps(FILE *f, const repro *R)
{
    char a[32];
    fprintf(f, "## 5. Sweeps\n\n| sweep | points in the space | Pareto-front points |\n"
               "|---|---:|---:|\n");
    for (int i = 0; i < R->nsweep; i++)
        fprintf(f, "| %s | %s | %d |\n", R->sweep[i].name,
                fmt_int((int64_t)R->sweep[i].space, a, sizeof a), R->sweep[i].front);
    fprintf(f, "\nFronts over (params min, frames/s, frames/s/mm^2, frames/J on chip) of the "
               "valid points in the parameter window; the selection reads only these.\n");
    fprintf(f, "\n");
}

static void write_md(FILE *f, const repro *R)
{
    fprintf(f, "# FDHT-LSTM reproduction (`dse reproduce`)\n\n"
               "Analytical cost model (docs/MODEL.md), technology `%s` (table hash %s).  One "
               "calibration for every row (docs/REPRODUCE.md): 16 PEs x 16 lanes, 16-bit, "
               "16 banks, 1 GHz; every weight on chip; the same selection rule for TIE and "
               "FDHT (largest frames/s x frames/s/mm^2 x frames/J on chip).  No per-row "
               "constant.\n\n",
            R->tech_name, R->tech_hash);
    md_size(f, R);
    md_ratios(f, R);
    md_designs(f, R);
    md_area(f, R);
    md_xcheck(f, R);
    md_sweeps(f, R);
    repro_acc_md(f, R);
}

/* ---- JSON ---- */

static void js_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

static void js_int(FILE *f, int64_t v)
{
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%lld", (long long)v);
}

static void js_design(FILE *f, const char *work, const char *name, const repro_design *d)
{
    fputs("{\"workload\":", f);
    report_json_str(f, work);
    fputs(",\"design\":", f);
    report_json_str(f, name);
    fputs(",\"point\":", f);
    report_json_str(f, d->point);
    fprintf(f, ",\"params\":%lld,\"macs\":%lld,\"cycles\":%lld,\"conflicts\":%lld,",
            (long long)d->params, (long long)d->res.macs, (long long)d->res.cycles,
            (long long)d->res.conflicts);
    fputs("\"throughput_fps\":", f);
    js_num(f, d->res.throughput_fps);
    fputs(",\"area_mm2\":", f);
    js_num(f, d->res.area_mm2);
    fputs(",\"energy_pj\":", f);
    js_num(f, d->res.energy_pj);
    fputs(",\"energy_chip_pj\":", f);
    js_num(f, d->echip_pj);
    fputs(",\"area_eff\":", f);
    js_num(f, d->res.throughput_fps / d->res.area_mm2);
    fputs(",\"energy_eff_chip\":", f);
    js_num(f, d->eeff_chip);
    fputs("}", f);
}

static void write_json(FILE *f, const repro *R)
{
    fputs("{\"tech\":{\"name\":", f);
    report_json_str(f, R->tech_name);
    fputs(",\"hash\":", f);
    report_json_str(f, R->tech_hash);
    fputs("},\"model_size\":[", f);
    for (int i = 0; i < R->nsize; i++) {
        const repro_size_row *r = &R->size[i];
        fputs(i ? ",{\"dataset\":" : "{\"dataset\":", f);
        report_json_str(f, r->dataset);
        fputs(",\"model\":", f);
        report_json_str(f, r->model);
        fprintf(f, ",\"config_published\":%s,\"config\":", r->config_published ? "true" : "false");
        report_json_str(f, r->config);
        fputs(",\"params_input_to_hidden\":", f);
        js_int(f, r->params_ih);
        fputs(",\"params_hidden_to_hidden\":", f);
        js_int(f, r->params_hh);
        fputs(",\"params_total\":", f);
        js_int(f, r->params_total);
        fputs(",\"compression\":", f);
        js_num(f, r->compression);
        fputs(",\"err_upper\":", f);
        js_num(f, r->err_upper);
        fputs(",\"err_lower\":", f);
        js_num(f, r->err_lower);
        fputs(",\"note\":", f);
        report_json_str(f, r->note);
        fputs("}", f);
    }
    fputs("],\"hardware\":[", f);
    for (int i = 0; i < REPRO_NWORK * REPRO_NMETRIC; i++) {
        const repro_ratio_row *r = &R->ratio[i];
        fputs(i ? ",{\"workload\":" : "{\"workload\":", f);
        report_json_str(f, r->workload);
        fputs(",\"metric\":", f);
        report_json_str(f, r->metric);
        fputs(",\"published\":", f);
        js_num(f, r->published);
        fputs(",\"modeled\":", f);
        js_num(f, r->modeled);
        fputs(",\"deviation\":", f);
        js_num(f, r->deviation);
        fprintf(f, ",\"miss\":%s,\"tie\":", r->miss ? "true" : "false");
        js_num(f, r->tie);
        fputs(",\"fdht\":", f);
        js_num(f, r->fdht);
        fputs(",\"unit\":", f);
        report_json_str(f, r->unit);
        fputs(",\"why\":", f);
        report_json_str(f, r->miss ? r->why : "");
        fputs("}", f);
    }
    fputs("],\"tie_area_mm2\":{\"published\":", f);
    js_num(f, REPRO_TIE_AREA_MM2);
    fputs(",\"modeled\":", f);
    js_num(f, R->tie_area_mm2);
    fputs(",\"deviation\":", f);
    js_num(f, R->tie_area_dev);
    fputs(",\"uniform_scale_not_applied\":", f);
    js_num(f, R->area_scale);
    fputs("},\"designs\":[", f);
    int first = 1;
    for (int w = 0; w < REPRO_NWORK; w++) {
        named_design ds[8];
        int n = designs_of(&R->hw[w], ds);
        for (int i = 0; i < n; i++) {
            if (!first)
                fputc(',', f);
            first = 0;
            js_design(f, R->hw[w].workload, ds[i].name, ds[i].d);
        }
    }
    fputs("],\"crosscheck\":[", f);
    for (int i = 0; i < R->nxcheck; i++) {
        const repro_xcheck *x = &R->xcheck[i];
        fputs(i ? ",{\"workload\":" : "{\"workload\":", f);
        report_json_str(f, x->workload);
        fputs(",\"design\":", f);
        report_json_str(f, x->design);
        fprintf(f, ",\"map\":\"%s\",\"dataflow\":\"%s\"", x->map, x->dataflow);
        fprintf(f, ",\"cycles_analytical\":%lld,\"cycles_functional\":%lld,"
                   "\"conflicts_analytical\":%lld,\"conflicts_functional\":%lld,\"y_exact\":%s}",
                (long long)x->cycles_ana, (long long)x->cycles_fun, (long long)x->conflicts_ana,
                (long long)x->conflicts_fun, x->y_exact ? "true" : "false");
    }
    fputs("],\"error_proxy\":", f);
    report_json_str(f, R->proxy_note);
    repro_acc_json(f, R); /* nothing without --accuracy */
    fputs("}\n", f);
}

/* ---- CSV ---- */

static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.10g", v);
}

static void csv_int(FILE *f, int64_t v)
{
    if (v >= 0)
        fprintf(f, "%lld", (long long)v);
}

static void csv_size(FILE *f, const repro *R)
{
    fputs("dataset,model,config_published,params_input_to_hidden,params_hidden_to_hidden,"
          "params_total,compression,err_upper,err_lower,config,note\n", f);
    for (int i = 0; i < R->nsize; i++) {
        const repro_size_row *r = &R->size[i];
        csv_str(f, r->dataset);
        fputc(',', f);
        csv_str(f, r->model);
        fprintf(f, ",%d,", r->config_published);
        csv_int(f, r->params_ih);
        fputc(',', f);
        csv_int(f, r->params_hh);
        fputc(',', f);
        csv_int(f, r->params_total);
        fputc(',', f);
        csv_num(f, r->compression);
        fputc(',', f);
        csv_num(f, r->err_upper);
        fputc(',', f);
        csv_num(f, r->err_lower);
        fputc(',', f);
        csv_str(f, r->config);
        fputc(',', f);
        csv_str(f, r->note);
        fputc('\n', f);
    }
}

static void csv_hardware(FILE *f, const repro *R)
{
    fputs("workload,metric,published,modeled,deviation,miss,tie,fdht,unit\n", f);
    for (int i = 0; i < REPRO_NWORK * REPRO_NMETRIC; i++) {
        const repro_ratio_row *r = &R->ratio[i];
        fprintf(f, "%s,%s,", r->workload, r->metric);
        csv_num(f, r->published);
        fputc(',', f);
        csv_num(f, r->modeled);
        fputc(',', f);
        csv_num(f, r->deviation);
        fprintf(f, ",%d,", r->miss);
        csv_num(f, r->tie);
        fputc(',', f);
        csv_num(f, r->fdht);
        fputc(',', f);
        csv_str(f, r->unit);
        fputc('\n', f);
    }
}

static void csv_area(FILE *f, const repro *R)
{
    fputs("published_mm2,modeled_mm2,deviation\n", f);
    csv_num(f, REPRO_TIE_AREA_MM2);
    fputc(',', f);
    csv_num(f, R->tie_area_mm2);
    fputc(',', f);
    csv_num(f, R->tie_area_dev);
    fputc('\n', f);
}

/* One row per design: the markers of the plots. */
static void csv_designs(FILE *f, const repro *R)
{
    fputs("workload,design,params,macs,cycles,throughput_fps,area_mm2,energy_pj,energy_chip_pj,"
          "area_eff,energy_eff_chip,conflicts,point\n", f);
    for (int w = 0; w < REPRO_NWORK; w++) {
        named_design ds[8];
        int n = designs_of(&R->hw[w], ds);
        for (int i = 0; i < n; i++) {
            const repro_design *d = ds[i].d;
            fprintf(f, "%s,", R->hw[w].workload);
            csv_str(f, ds[i].name);
            fprintf(f, ",%lld,%lld,%lld,", (long long)d->params, (long long)d->res.macs,
                    (long long)d->res.cycles);
            csv_num(f, d->res.throughput_fps);
            fputc(',', f);
            csv_num(f, d->res.area_mm2);
            fputc(',', f);
            csv_num(f, d->res.energy_pj);
            fputc(',', f);
            csv_num(f, d->echip_pj);
            fputc(',', f);
            csv_num(f, d->res.throughput_fps / d->res.area_mm2);
            fputc(',', f);
            csv_num(f, d->eeff_chip);
            fprintf(f, ",%lld,", (long long)d->res.conflicts);
            csv_str(f, d->point);
            fputc('\n', f);
        }
    }
}

/* Area (um^2) and energy (pJ/frame) per component of TIE and the selected
 * FDHT point, long format (kind, component, value). */
static void csv_breakdown(FILE *f, const repro *R)
{
    fputs("workload,design,kind,component,value\n", f);
    for (int w = 0; w < REPRO_NWORK; w++) {
        const repro_design *ds[2] = {&R->hw[w].tie, &R->hw[w].fdht};
        for (int k = 0; k < 2; k++) {
            const cm_result *r = &ds[k]->res;
            for (int i = 0; i < CM_A_COUNT; i++) {
                fprintf(f, "%s,%s,area_um2,%s,", R->hw[w].workload, k ? "FDHT" : "TIE",
                        cm_area_name(i));
                csv_num(f, r->area_um2[i]);
                fputc('\n', f);
            }
            for (int i = 0; i < CM_E_COUNT; i++) {
                fprintf(f, "%s,%s,energy_pj,%s,", R->hw[w].workload, k ? "FDHT" : "TIE",
                        cm_energy_name(i));
                csv_num(f, r->energy_c[i]);
                fputc('\n', f);
            }
        }
    }
}

static void csv_curve(FILE *f, const repro *R)
{
    fputs("dataset,model,rank,params,err_lower,err_upper\n", f);
    for (int i = 0; i < R->ncurve; i++) {
        const repro_curve_pt *c = &R->curve[i];
        fprintf(f, "%s,%s,%d,%lld,", c->dataset, c->model, c->rank, (long long)c->params);
        csv_num(f, c->err_lower);
        fputc(',', f);
        csv_num(f, c->err_upper);
        fputc('\n', f);
    }
}

static void csv_xcheck(FILE *f, const repro *R)
{
    fputs("workload,design,map,dataflow,cycles_analytical,cycles_functional,"
          "conflicts_analytical,conflicts_functional,y_exact\n", f);
    for (int i = 0; i < R->nxcheck; i++) {
        const repro_xcheck *x = &R->xcheck[i];
        fprintf(f, "%s,%s,%s,%s", x->workload, x->design, x->map, x->dataflow);
        fprintf(f, ",%lld,%lld,%lld,%lld,%d\n", (long long)x->cycles_ana,
                (long long)x->cycles_fun, (long long)x->conflicts_ana,
                (long long)x->conflicts_fun, x->y_exact);
    }
}

/* ---- files ---- */

typedef void (*writer_fn)(FILE *, const repro *);

static int write_file(const char *dir, const char *name, writer_fn fn, const repro *R)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "dse %s: %s: %s\n", CMD, path, strerror(errno));
        return -1;
    }
    fn(f, R);
    int bad = ferror(f);
    if (fclose(f) || bad) { /* fclose always runs: no leaked FILE on a write error */
        fprintf(stderr, "dse %s: %s: write error\n", CMD, path);
        return -1;
    }
    return 0;
}

static int write_all(const char *dir, const repro *R)
{
    static const struct {
        const char *name;
        writer_fn fn;
    } files[] = {
        {"reproduce.md", write_md},
        {"reproduce.json", write_json},
        {"reproduce_model_size.csv", csv_size},
        {"reproduce_hardware.csv", csv_hardware},
        {"reproduce_tie_area.csv", csv_area},
        {"reproduce_designs.csv", csv_designs},
        {"reproduce_breakdown.csv", csv_breakdown},
        {"reproduce_rank_error.csv", csv_curve},
        {"reproduce_crosscheck.csv", csv_xcheck},
        {"reproduce_accuracy.csv", repro_acc_csv},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (write_file(dir, files[i].name, files[i].fn, R))
            return -1;
    return 0;
}

int cmd_reproduce(int argc, char **argv)
{
    repro_flags fl;
    char err[1024], dbpath[4096];
    int rc = parse_flags(argc, argv, &fl);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *out = fl.out ? fl.out : OUT_DEFAULT;
    if (mkdirs(out))
        return cli_bad(CMD, "--out %s: %s", out, strerror(errno));
    repro_opts o = {NULL, !fl.no_functional, fl.quiet, fl.accuracy ? &fl.acc : NULL};
    if (!fl.no_db) {
        snprintf(dbpath, sizeof dbpath, "%s/dse.db", out);
        o.db_path = fl.db ? fl.db : dbpath;
    }
    repro *R = calloc(1, sizeof *R);
    if (!R) {
        fprintf(stderr, "dse %s: out of memory\n", CMD);
        return CLI_FAIL;
    }
    int bad = 0;
    /* With --accuracy, Ctrl-C or SIGTERM: the training in progress stops
     * before its next epoch (its checkpoint keeps the epochs done), the
     * stored ones stay, exit status 130.  Without, the default action. */
    cli_trap trap;
    fl.acc.stop = &cli_stop;
    if (fl.accuracy)
        cli_trap_stop(&trap);
    int failed = repro_run(&o, R, &bad, err, sizeof err);
    if (fl.accuracy)
        cli_untrap(&trap);
    if (failed) {
        int stopped = R->acc.stopped;
        free(R);
        if (bad)
            return cli_bad(CMD, "%s", err);
        fprintf(stderr, "dse %s: %s\n", CMD, err);
        return stopped ? 130 : CLI_FAIL;
    }
    rc = write_all(out, R) ? CLI_FAIL : CLI_OK;
    if (fl.json)
        write_json(stdout, R);
    else
        write_md(stdout, R);
    if (fflush(stdout))
        rc = CLI_FAIL;
    free(R);
    return rc;
}
