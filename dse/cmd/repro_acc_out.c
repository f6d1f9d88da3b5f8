/*
 * repro_acc_out.c - the accuracy section of `dse reproduce`'s report
 * (repro_impl.h): section 6 of the Markdown report, the "accuracy" member
 * of the JSON object and reproduce_accuracy.csv.
 *
 * Without --accuracy the section is a fixed text saying how to obtain the
 * numbers, and the JSON object has no accuracy member (its bytes are those
 * of a build without this section).  What is printed depends only on the
 * stored or trained accuracies, never on whether they were trained now
 * (that goes to stderr), so a repeated run prints the same bytes.
 */
#include "repro_impl.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The paper's claims (CVPR 2021 abstract; the seed paper's ">1000x"). */
/* 4H x N_in + 4H x H at N_in 57,600, H 256 */
#define REPRO_DENSE_PARAMS ((int64_t)4 * REPRO_HIDDEN * (REPRO_ACC_NIN + REPRO_HIDDEN))
#define CLAIM "FDHT-LSTM is more accurate than TT-LSTM, TR-LSTM and BT-LSTM (+0.6 to +12.7 " \
              "points on UCF11, YouTube Celebrities, Hollywood2) with 3,985x to 10,711x fewer " \
              "parameters, and the seed paper's FDHT-LSTM is more than 1000x smaller than the " \
              "compressed LSTMs"

static const char *role(const repro *R, int i)
{
    const repro_acc_row *r = &R->acc.row[i];
    return !r->fdht ? "baseline" : i == R->acc.selected ? "selected" : "candidate";
}

static const char *fmt_acc(double v, char *buf, size_t n)
{
    if (isfinite(v))
        snprintf(buf, n, "%.4f", v);
    else
        snprintf(buf, n, "-");
    return buf;
}

static void md_not_measured(FILE *f)
{
    fprintf(f, "## 6. Accuracy\n\n"
               "Not measured in this run.  `dse reproduce --accuracy` trains TIE's TT-LSTM "
               "network (LSTM-UCF) and the %d best FDHT-LSTM networks of the hardware front "
               "with the project's trainer (`dse train`) on the built-in moving-fmnist clips at "
               "the paper's frame size (160x120x3, N_in 57,600, H 256; default budget `%s`, "
               "%d epochs, batch %d, lr %g, seed %d: a few minutes on one core), stores them in "
               "the database (never training a stored one again), prints their accuracies "
               "beside the paper's claim and selects the FDHT network by validation accuracy, "
               "then the hardware score.  `--dense` adds the dense LSTM (59 M weights, slow).  "
               "See docs/REPRODUCE.md.\n\n",
            REPRO_ACC_CANDS, REPRO_ACC_DATA, REPRO_ACC_EPOCHS, REPRO_ACC_BATCH, REPRO_ACC_LR,
            REPRO_ACC_SEED);
}

/* The comparison line of the selected FDHT network against row i. */
static void md_versus(FILE *f, const repro *R, int i)
{
    const repro_acc_row *s = &R->acc.row[R->acc.selected], *b = &R->acc.row[i];
    double d = s->test_acc - b->test_acc;
    char ps[32], pb[32];
    fprintf(f, "- FDHT-LSTM (selected) vs %s: test accuracy %.4f vs %.4f (%+.1f points: %s), "
               "%.0fx fewer parameters (%s vs %s).\n",
            b->model, s->test_acc, b->test_acc, 100 * d,
            d > 0 ? "more accurate" : d < 0 ? "less accurate" : "equal",
            (double)b->params / (double)s->params, report_grouped(s->params, ps, sizeof ps),
            report_grouped(b->params, pb, sizeof pb));
}

void repro_acc_md(FILE *f, const repro *R)
{
    const repro_acc *A = &R->acc;
    char p[32], v[16], t[16];
    if (!A->measured) {
        md_not_measured(f);
        return;
    }
    fprintf(f, "## 6. Accuracy (trained by `dse train`'s trainer)\n\n"
               "Data `%s` (hash %s): %d frames of 160x120x3 (N_in 57,600), H 256, 10 classes.  "
               "Budget: %d epoch%s of %lld training clips, batch %d, lr %g, seed %llu (one "
               "seed).\n\n"
               "| model | role | params | val accuracy | test accuracy | hardware score | "
               "network |\n|---|---|---:|---:|---:|---:|---|\n",
            A->data, A->data_hash, A->frames, A->epochs, A->epochs == 1 ? "" : "s",
            (long long)A->clips, A->batch, A->lr,
            (unsigned long long)A->seed);
    for (int i = 0; i < A->nrow; i++) {
        const repro_acc_row *r = &A->row[i];
        char sc[32] = "-";
        if (isfinite(r->score))
            snprintf(sc, sizeof sc, "%.4g", r->score);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | `%s` |\n", r->model, role(R, i),
                report_grouped(r->params, p, sizeof p), fmt_acc(r->val_acc, v, sizeof v),
                fmt_acc(r->test_acc, t, sizeof t), sc, r->net);
    }
    fprintf(f, "\nSelection: the FDHT candidates are the %d best networks of the N_in 57,600 "
               "front by the hardware score (frames/s x frames/s/mm^2 x frames/J on chip); the "
               "selected one has the largest validation accuracy, equal accuracies going to the "
               "larger hardware score.  It is the FDHT design of sections 1-4.\n\n",
            REPRO_ACC_CANDS);
    int dense = 0;
    for (int i = 0; i < A->nrow; i++)
        if (!A->row[i].fdht) {
            md_versus(f, R, i);
            dense |= !strcmp(A->row[i].model, "dense LSTM");
        }
    if (!dense)
        fprintf(f, "- The dense LSTM (%s weights, %.0fx the selected FDHT-LSTM) is not trained "
                   "without `--dense`.\n", report_grouped(REPRO_DENSE_PARAMS, p, sizeof p),
                (double)REPRO_DENSE_PARAMS / (double)A->row[A->selected].params);
    fprintf(f, "- TT-LSTM here is the published configuration (its W_h dense, 262,144 of its "
               "weights), so the parameter ratio is far below the papers' figures.\n");
    fprintf(f, "- Paper's claim: %s.  One seed at a short budget on synthetic clips: "
               "differences of a few points are within seed noise (docs/ACCURACY.md measured "
               "sigma 0.028 for one run at 64x64).\n\n", CLAIM);
}

static void js_acc(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

void repro_acc_json(FILE *f, const repro *R)
{
    const repro_acc *A = &R->acc;
    if (!A->measured)
        return;
    fputs(",\"accuracy\":{\"data\":", f);
    report_json_str(f, A->data);
    fputs(",\"data_hash\":", f);
    report_json_str(f, A->data_hash);
    fprintf(f, ",\"frames\":%d,\"clips\":%lld,\"epochs\":%d,\"batch\":%d,\"lr\":%.10g,"
               "\"seed\":%llu,\"rows\":[",
            A->frames, (long long)A->clips, A->epochs, A->batch, A->lr,
            (unsigned long long)A->seed);
    for (int i = 0; i < A->nrow; i++) {
        const repro_acc_row *r = &A->row[i];
        fputs(i ? ",{\"model\":" : "{\"model\":", f);
        report_json_str(f, r->model);
        fputs(",\"role\":", f);
        report_json_str(f, role(R, i));
        fprintf(f, ",\"params\":%lld,\"val_accuracy\":", (long long)r->params);
        js_acc(f, r->val_acc);
        fputs(",\"test_accuracy\":", f);
        js_acc(f, r->test_acc);
        fputs(",\"hw_score\":", f);
        js_acc(f, r->score);
        fputs(",\"network\":", f);
        report_json_str(f, r->net);
        fputs(",\"point\":", f);
        if (r->fdht)
            report_json_str(f, r->point);
        else
            fputs("null", f);
        fputs("}", f);
    }
    fputs("],\"claim\":", f);
    report_json_str(f, CLAIM);
    fputs("}", f);
}

void repro_acc_csv(FILE *f, const repro *R)
{
    const repro_acc *A = &R->acc;
    fputs("model,role,params,val_accuracy,test_accuracy,hw_score,epochs,clips,data_hash,"
          "network,point\n", f);
    for (int i = 0; A->measured && i < A->nrow; i++) {
        const repro_acc_row *r = &A->row[i];
        fprintf(f, "%s,%s,%lld,", r->model, role(R, i), (long long)r->params);
        if (isfinite(r->val_acc))
            fprintf(f, "%.10g", r->val_acc);
        fprintf(f, ",%.10g,", r->test_acc);
        if (isfinite(r->score))
            fprintf(f, "%.10g", r->score);
        fprintf(f, ",%d,%lld,%s,\"%s\",\"%s\"\n", A->epochs, (long long)A->clips,
                A->data_hash, r->net, r->point);
    }
}
