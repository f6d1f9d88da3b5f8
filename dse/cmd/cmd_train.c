/*
 * cmd_train.c - `dse train`: its flags (the training itself is train_run.c).
 */
#include "cli.h"
#include "train_ckpt.h"
#include "train_run.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "train"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: dse train --point P --data moving-fmnist[:KEY=VALUE,...] | --data DIR\n"
        "                 [--epochs E] [--batch N] [--lr X] [--seed S] [--clip C]\n"
        "                 [--contract auto|factored|grouped|dense] [--save DIR] [--db F]\n"
        "                 [--json]\n"
        "       dse train --point P --data D --write-data DIR\n"
        "       dse train --point P --bench [--frames T] [--batch N] [--iters K] [--json]\n\n"
        "Trains the LSTM layer that the point's algorithm part names (workload,\n"
        "decomposition, formats, modes, trees, ranks; any order, dataflow or hardware\n"
        "part is ignored) from scratch in its factored form, with a linear classifier\n"
        "on the last hidden state: BPTT over every frame, mini-batches, Adam,\n"
        "gradient-norm clipping, softmax cross-entropy, single precision (docs/TRAIN.md).\n\n"
        "  --point P      a point or network string (lstm;nin=...;h=...;dec=.../wx;...)\n"
        "  --data D       moving-fmnist[:frames=12,size=WxHxC,speed=3,noise=0,scale=1,\n"
        "                 train=6000,val=1000,test=2000,seed=1] (Debian's\n"
        "                 dataset-fashion-mnist), or a directory of train_x.npy (float32,\n"
        "                 clips x T x n_in), train_y.npy, test_x.npy, test_y.npy\n"
        "                 [, val_x.npy, val_y.npy]\n"
        "  --epochs E     passes over the training clips [10]\n"
        "  --batch N      clips per mini-batch [32]\n"
        "  --lr X         Adam's learning rate [0.01]\n"
        "  --clip C       clip the gradient's global norm to C, 0: never [1]\n"
        "  --seed S       initialization and shuffling [1]\n"
        "  --contract M   factored (one factor a step), grouped (factors merged ahead\n"
        "                 where a cost model says so), dense (W reconstructed once per\n"
        "                 mini-batch), or auto: the cheaper of grouped and dense [auto]\n"
        "  --save DIR     checkpoint every epoch into DIR (the same command resumes a\n"
        "                 killed run); at the end the factors, manifest.json and the\n"
        "                 PyTorch layout (weight_ih_l0.npy ... fc_bias.npy)\n"
        "  --db F         store the test accuracy in F (table train; results.accuracy;\n"
        "                 default --clip only)\n"
        "  --json         one JSON object on stdout\n"
        "  --quiet        no progress on stderr; --progress: a bar even off a terminal\n"
        "  --write-data DIR  write the data set's clips as .npy files and stop\n"
        "  --bench        time training steps on random clips of the point's shape\n"
        "                 (--frames [12], --batch, --iters [20], --classes [10])\n"
        "Exit status: 0 done, 2 bad input (point, data, flags, database), 1 failure.\n");
}

static int parse_num(const char *opt, const char *v, long lo, long hi, int *out)
{
    long x;
    if (vp_long(v, lo, hi, &x))
        return cli_bad(CMD, "%s takes an integer in %ld..%ld, got '%s'", opt, lo, hi, v);
    *out = (int)x;
    return 0;
}

static int parse_real(const char *opt, const char *v, double lo, double hi, double *out)
{
    if (vp_double(v, out) || !isfinite(*out) || *out < lo || *out > hi)
        return cli_bad(CMD, "%s takes a number in %g..%g, got '%s'", opt, lo, hi, v);
    return 0;
}

static int parse_opt(int c, const char *v, train_opts *o)
{
    switch (c) {
    case 'p': o->point = v; return 0;
    case 'd': o->data = v; return 0;
    case 'e': return parse_num("--epochs", v, 1, CKPT_MAX_EPOCHS, &o->epochs);
    case 'b': return parse_num("--batch", v, 1, 65536, &o->batch);
    case 'l': return parse_real("--lr", v, 1e-12, 10, &o->lr);
    case 'c': return parse_real("--clip", v, 0, 1e12, &o->clip);
    case 's': {
        char *end;
        if (v[0] == '-' || !(v[0] >= '0' && v[0] <= '9'))
            return cli_bad(CMD, "--seed takes an integer >= 0, got '%s'", v);
        o->seed = strtoull(v, &end, 10);
        return *end ? cli_bad(CMD, "--seed takes an integer >= 0, got '%s'", v) : 0;
    }
    case 'C':
        if (!strcmp(v, "auto"))
            o->contract = TR_AUTO;
        else if (!strcmp(v, "factored"))
            o->contract = TR_FACTORED;
        else if (!strcmp(v, "dense"))
            o->contract = TR_DENSE;
        else if (!strcmp(v, "grouped"))
            o->contract = TR_GROUPED;
        else
            return cli_bad(CMD, "--contract takes auto, factored, grouped or dense, got '%s'", v);
        return 0;
    case 'S': o->save = v; return 0;
    case 'D': o->db = v; return 0;
    case 'W': o->write_data = v; return 0;
    case 'j': o->json = 1; return 0;
    case 'q': o->quiet = 1; return 0;
    case 'P': o->progress = 1; return 0;
    case 'B': o->bench = 1; return 0;
    case 'f': return parse_num("--frames", v, 1, 100000, &o->frames);
    case 'i': return parse_num("--iters", v, 1, 1000000, &o->iters);
    case 'k': return parse_num("--classes", v, 2, 1000000, &o->classes);
    }
    return CLI_BADINPUT;
}

static int parse_args(int argc, char **argv, train_opts *o)
{
    static const struct option lo[] = {
        {"point", required_argument, 0, 'p'}, {"data", required_argument, 0, 'd'},
        {"epochs", required_argument, 0, 'e'}, {"batch", required_argument, 0, 'b'},
        {"lr", required_argument, 0, 'l'}, {"clip", required_argument, 0, 'c'},
        {"seed", required_argument, 0, 's'}, {"contract", required_argument, 0, 'C'},
        {"save", required_argument, 0, 'S'}, {"db", required_argument, 0, 'D'},
        {"write-data", required_argument, 0, 'W'}, {"json", no_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'}, {"progress", no_argument, 0, 'P'},
        {"bench", no_argument, 0, 'B'}, {"frames", required_argument, 0, 'f'},
        {"iters", required_argument, 0, 'i'}, {"classes", required_argument, 0, 'k'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->epochs = TR_DEFAULT_EPOCHS;
    o->batch = TR_DEFAULT_BATCH;
    o->lr = TR_DEFAULT_LR;
    o->clip = TR_DEFAULT_CLIP;
    o->seed = 1;
    o->frames = 12;
    o->iters = 20;
    o->classes = 10;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == ':')
            return cli_bad(CMD, "option %s needs a value", argv[optind - 1]);
        if (c == '?')
            return cli_bad(CMD, "unknown option '%s' (try dse train --help)", argv[optind - 1]);
        if (parse_opt(c, optarg, o))
            return CLI_BADINPUT;
    }
    if (optind != argc)
        return cli_bad(CMD, "unexpected argument '%s' (try dse train --help)", argv[optind]);
    if (!o->point)
        return cli_bad(CMD, "--point is required (a point or network string)");
    if (!o->data && !o->bench)
        return cli_bad(CMD, "--data is required (moving-fmnist[:KEY=VALUE,...] or a directory)");
    if (o->db && o->clip != TR_DEFAULT_CLIP) /* the train table's key has no clip */
        return cli_bad(CMD, "--db stores trainings of the default --clip %g only (its key "
                       "has no clip): drop --clip or --db", TR_DEFAULT_CLIP);
    if (o->bench && (o->save || o->db || o->write_data))
        return cli_bad(CMD, "--bench stores nothing: drop --save, --db and --write-data");
    return 0;
}

int cmd_train(int argc, char **argv)
{
    train_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    return train_main(&o);
}
