/*
 * cli.h - what every `dse` sub-command shares: exit codes, error reporting
 * and the quoting of command lines printed for the user to run (the parsers
 * of small values are valparse.h's, shared with the spec loader).
 *
 * Exit status: 0 success, 1 an internal failure (out of memory, I/O error
 * on an output), 2 bad input (flags, spec, weights file, database).
 */
#ifndef CLI_H
#define CLI_H

#include "cm_common.h"
#include "valparse.h"

#include <signal.h>

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_BADINPUT 2

/*
 * Ctrl-C (SIGINT) and SIGTERM set cli_stop instead of ending the process,
 * between cli_trap_stop (which clears it) and cli_untrap (which puts the
 * previous handlers back): long work polls it and stops where it can
 * resume (dse run, dse reproduce --accuracy; exit status 130).
 */
extern volatile sig_atomic_t cli_stop;
typedef struct {
    struct sigaction old_int, old_term;
} cli_trap;
void cli_trap_stop(cli_trap *t);
void cli_untrap(const cli_trap *t);

/* "dse <cmd>: message" on stderr; returns CLI_BADINPUT. */
int cli_bad(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/*
 * "PREFIX ARGV[0] ARGV[1] ..." as one POSIX shell command line that gives
 * back exactly these arguments (for commands printed to be pasted: resume
 * hints, dry runs): each argument as is when no shell character is in it,
 * else in single quotes, a ' inside written '\''.  prefix (may be NULL) is
 * copied unquoted.  malloc'd; NULL when out of memory.
 */
char *cli_shell_join(const char *prefix, int argc, char *const *argv);

/*
 * The binary as the user started it, for commands printed to be pasted
 * (resume hints): main's argv[0] (cli_set_argv0) made absolute when it
 * names a path ("build/dse" run from /src: "/src/build/dse"), a bare name
 * (found on the PATH) as is, "dse" when none was set.  malloc'd; NULL when
 * out of memory.
 */
void cli_set_argv0(const char *argv0);
char *cli_self(void);
/*
 * "(cd CWD && SELF ARGV...)": the sub-command line argv (argv[0] = the
 * sub-command) quoted for the shell so that pasted into a shell in any
 * directory it runs the same command in the same working directory
 * (relative paths among the arguments included).  Without the cd when the
 * working directory is unknown.  malloc'd; NULL when out of memory.
 */
char *cli_command_anywhere(int argc, char *const *argv);

/*
 * The short design label (cm_point_label) of a stored point string, in
 * buf (at least CM_LABEL_MAX bytes): 1; 0 when the string is not a model
 * point (buf then ""), for tables that show the label instead of the string.
 */
int cli_point_label(const char *point, char *buf, size_t len);

/* Sub-commands: int cmd_X(int argc, char **argv), argv[0] = "X". */
int cmd_eval(int argc, char **argv);
int cmd_hsvd(int argc, char **argv);
int cmd_pareto(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_import_accuracy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);
int cmd_train(int argc, char **argv);

#endif
