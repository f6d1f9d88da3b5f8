/*
 * cmd_validate.c - `dse validate SPEC...`: load and check specs without
 * running anything; print what each spec expands to (space size by part).
 * Exit 0 when every spec is valid, 2 otherwise (errors on stderr as
 * FILE:LINE:COL: error: KEY: what was expected).
 */
#include "cli.h"
#include "spec.h"
#include "spec_ref.h"

#include <stdio.h>
#include <string.h>

#define CMD "validate"

static void validate_usage(FILE *f)
{
    fprintf(f,
        "usage: dse validate [--quiet] SPEC.yaml...\n\n"
        "Checks sweep specs against the spec schema (docs/SPEC.md) and expands\n"
        "their spaces without evaluating anything; reference .npy files are\n"
        "checked by their headers (4H x N_in, 4H x H).  Prints the space size of\n"
        "each valid spec; every error is reported as FILE:LINE:COL.\n\n"
        "  --quiet   print nothing for a valid spec\n"
        "  --help    this text\n");
}

static void print_summary(const spec *s)
{
    const map_space *sp = &s->space;
    printf("%s: ok: spec '%s' (version %d)", s->path, s->name, s->version);
    if (s->workload_name[0])
        printf(", workload %s", s->workload_name);
    printf(": N_in %d, H %d\n", sp->def.n_in, sp->def.hidden);
    for (int i = 0; i < sp->nd; i++) {
        const map_dspace *d = &sp->d[i];
        printf("  %-9s W_x: %d structures, %llu algorithms", cm_decomp_name(d->decomp),
               d->x.n, (unsigned long long)d->x.total);
        if (d->decomp == CM_DECOMP_SEPARATE)
            printf("; W_h: %d structures, %llu algorithms", d->h.n,
                   (unsigned long long)d->h.total);
        printf("; %llu points\n", (unsigned long long)d->size);
    }
    printf("  hardware and mapping combinations: %llu (dataflows %d x bank maps %d",
           (unsigned long long)sp->hw_size, sp->def.ndataflow, sp->def.nbankmap);
    for (int i = 0; i < sp->def.naxis; i++) {
        const map_hw_axis *ax = &sp->def.axis[i];
        printf(" x %s%s %d", map_hw_param_name(ax->param[0]), ax->nparam > 1 ? "+zip" : "", ax->n);
    }
    printf(")\n  technology: %s (%s)\n", s->tech_table.name, s->tech_table.hash);
    printf("  space size: %llu points\n", (unsigned long long)sp->size);
    map_search_opts o = s->search;
    printf("  search: %s", map_strategy_name(o.strategy));
    if (o.strategy != MAP_EXHAUSTIVE)
        printf(", seed %llu, %llu points", (unsigned long long)o.seed,
               (unsigned long long)map_search_count(sp, &o));
    printf("; objectives:");
    for (int i = 0; i < o.nobj; i++)
        printf(" %s:%s", map_metric_name(o.obj[i]), o.dir[i] == MAP_MAX ? "max" : "min");
    if (s->acc.on)
        printf(" accuracy:max");
    printf("\n");
    if (!s->acc.on)
        return;
    const spec_acc *a = &s->acc;
    printf("  accuracy: %s, epochs", a->halving ? "successive halving" : "every network");
    for (int r = 0; r < a->nrungs; r++)
        printf("%s%d", r ? "," : " ", a->budget[r]);
    if (a->halving)
        printf(" (eta %d)", a->eta);
    printf(", batch %d, lr %g, %d seed%s, data %s\n", a->batch, a->lr, a->nseeds,
           a->nseeds == 1 ? "" : "s", a->data);
}

int cmd_validate(int argc, char **argv)
{
    int quiet = 0, nspec = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            validate_usage(stdout);
            return CLI_OK;
        }
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
            quiet = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_bad(CMD, "unknown option '%s' (try dse validate --help)", argv[i]);
        else
            nspec++;
    }
    if (nspec == 0) {
        validate_usage(stderr);
        return CLI_BADINPUT;
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1])
            continue;
        spec_diag g;
        spec *s;
        spec_diag_init(&g);
        if (spec_load_file(argv[i], &s, &g)) {
            fputs(spec_diag_text(&g), stderr);
            if (g.nerr > 20)
                fprintf(stderr, "%s: %d errors in all (first 20 shown)\n", argv[i], g.nerr);
            bad = g.internal ? (bad ? bad : CLI_FAIL) : CLI_BADINPUT;
        } else {
            char err[CM_ERRLEN];
            if (spec_ref_check(s, err, sizeof err)) {
                fprintf(stderr, "%s\n", err);
                bad = CLI_BADINPUT;
            } else if (!quiet) {
                print_summary(s);
            }
            spec_free(s);
        }
        spec_diag_free(&g);
    }
    fflush(stdout);
    return bad;
}
