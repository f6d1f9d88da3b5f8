/*
 * cli.c - shared helpers of the dse sub-commands (see cli.h).
 */
#include "cli.h"
#include "cm_point.h"
#include "strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t cli_stop;

static void on_stop(int sig)
{
    (void)sig;
    cli_stop = 1;
}

void cli_trap_stop(cli_trap *t)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    cli_stop = 0;
    sigaction(SIGINT, &sa, &t->old_int);
    sigaction(SIGTERM, &sa, &t->old_term);
}

void cli_untrap(const cli_trap *t)
{
    sigaction(SIGINT, &t->old_int, NULL);
    sigaction(SIGTERM, &t->old_term, NULL);
}

int cli_bad(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dse %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_BADINPUT;
}

/* ---- command lines for the user to paste back ---- */

/* 1 when no POSIX shell gives any character of w a meaning (a conservative
 * set: '~' expands at a word's start, '^' pipes in old Bourne shells). */
static int word_is_plain(const char *w)
{
    if (!*w)
        return 0; /* an empty argument needs quotes to exist at all */
    for (; *w; w++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,:=+@%", *w))
            return 0;
    return 1;
}

/* w as one shell word: as is, or in single quotes, where nothing is special
 * but ' itself, which ends the quotes, is escaped, and reopens them: '\''. */
static int put_word(strbuf *b, const char *w)
{
    if (word_is_plain(w))
        return sb_put(b, w, strlen(w));
    if (sb_put(b, "'", 1))
        return -1;
    for (const char *q; (q = strchr(w, '\'')); w = q + 1)
        if (sb_put(b, w, (size_t)(q - w)) || sb_put(b, "'\\''", 4))
            return -1;
    return sb_put(b, w, strlen(w)) || sb_put(b, "'", 1) ? -1 : 0;
}

char *cli_shell_join(const char *prefix, int argc, char *const *argv)
{
    strbuf b = {0};
    int bad = sb_put(&b, "", 0);
    if (!bad && prefix)
        bad = sb_put(&b, prefix, strlen(prefix));
    for (int i = 0; i < argc && !bad; i++)
        bad = ((prefix || i) && sb_put(&b, " ", 1)) || put_word(&b, argv[i]);
    if (bad) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ---- the binary's own command line ---- */

static const char *self_argv0; /* main's argv[0] (cli_set_argv0) */

void cli_set_argv0(const char *argv0) { self_argv0 = argv0; }

char *cli_self(void)
{
    const char *a = self_argv0 && *self_argv0 ? self_argv0 : "dse";
    if (a[0] == '/' || !strchr(a, '/'))
        return strdup(a); /* absolute, or found on the PATH */
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return strdup(a); /* the working directory is gone: as typed */
    while (a[0] == '.' && a[1] == '/') /* "./build/dse": "build/dse" */
        for (a += 2; *a == '/'; a++)
            ;
    size_t len = strlen(cwd) + strlen(a) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", a);
    return p;
}

char *cli_command_anywhere(int argc, char *const *argv)
{
    char cwd[PATH_MAX];
    char *self = cli_self(), *qself = NULL, *qcwd = NULL, *prefix = NULL, *line = NULL;
    char *cwdp = cwd;
    int here = getcwd(cwd, sizeof cwd) != NULL;
    if (!self || !(qself = cli_shell_join(NULL, 1, &self)) ||
        (here && !(qcwd = cli_shell_join(NULL, 1, &cwdp))))
        goto out;
    size_t len = strlen(qself) + (qcwd ? strlen(qcwd) : 0) + 16;
    if (!(prefix = malloc(len)))
        goto out;
    if (here)
        snprintf(prefix, len, "(cd %s && %s", qcwd, qself);
    else
        snprintf(prefix, len, "%s", qself);
    char *body = cli_shell_join(prefix, argc, argv);
    if (!body || !here) {
        line = body;
        goto out;
    }
    len = strlen(body) + 2;
    if ((line = malloc(len)))
        snprintf(line, len, "%s)", body);
    free(body);
out:
    free(self);
    free(qself);
    free(qcwd);
    free(prefix);
    return line;
}

int cli_point_label(const char *point, char *buf, size_t len)
{
    cm_point p;
    char err[CM_ERRLEN];
    if (len)
        buf[0] = '\0';
    if (!point || cm_point_parse(point, &p, err, sizeof err))
        return 0;
    int n = cm_point_label(&p, buf, len);
    if (n < 0 || (size_t)n >= len) {
        if (len)
            buf[0] = '\0';
        return 0;
    }
    return 1;
}
