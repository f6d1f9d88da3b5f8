/*
 * main.c - the `dse` command: dispatches to one sub-command per file
 * (dse/cmd/cmd_*.c).  All I/O of the project lives in dse/.
 */
#include "cli.h"
#include "db.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} dse_cmd;

static const dse_cmd cmds[] = {
    {"eval", cmd_eval, "evaluate one design point (format, modes, tree, ranks, order)"},
    {"hsvd", cmd_hsvd, "decompose a .npy weight matrix into HT or TT, report errors"},
    {"pareto", cmd_pareto, "the Pareto front of stored points over any metric columns"},
    {"show", cmd_show, "everything stored about one design point (stats report)"},
    {"merge", cmd_merge, "merge results databases (shards) into one"},
    {"import-accuracy", cmd_import_accuracy, "import measured accuracies of points from CSV"},
    {"run", cmd_run, "expand and search a sweep spec, evaluate, store every point"},
    {"validate", cmd_validate, "check sweep specs without running them (prints the space size)"},
    {"sweep", cmd_sweep, "run a spec's shards through GNU parallel (cores or --sshlogin hosts), merge"},
    {"reproduce", cmd_reproduce, "regenerate the paper's tables, published figure beside modeled"},
    {"train", cmd_train, "train the network a point names on clips (built-in or .npy), in C"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: dse <command> [options]   (dse <command> --help for details)\n"
               "       dse --version\n\n"
               "FDHT-DSE: design-space exploration of HT-decomposed LSTMs and their accelerators.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-16s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
    /* A write beyond RLIMIT_FSIZE must fail with EFBIG (reported like a full
     * disk, the database rolled back) instead of killing dse mid-write. */
    signal(SIGXFSZ, SIG_IGN);
    cli_set_argv0(argv[0]); /* for the commands printed to be pasted (cli_self) */
    if (argc < 2) {
        usage(stderr);
        return CLI_BADINPUT;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("%s\n", db_tool_version());
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "dse: unknown command '%s' (try dse --help)\n", argv[1]);
    return CLI_BADINPUT;
}
