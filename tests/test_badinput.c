/*
 * test_badinput.c - the hostile-input corpus (issue 6): runs every case of
 * tests/badinput/cases.tsv against the dse binary and checks that bad specs,
 * weights files, flags and databases are all refused the same way: the
 * expected exit status (2), the expected message fragment on stderr, exactly
 * one stderr line (spec_* cases: one or more, each starting with the spec
 * file name), nothing on stdout, no crash or hang (each command runs under
 * `timeout 20`), and no change to the prepared databases.  The inputs are
 * made once by tests/badinput/make_inputs.sh in a fresh temp dir.
 */
#include "test_util.h"
#include "cm_hash.h"

#include <stdbool.h>

#define CASES "tests/badinput/cases.tsv"
#define MAX_CASES 512

typedef struct {
    char name[128];
    int status;
    char frag[512];
    char cmd[1024];
} bad_case;

static bad_case g_cases[MAX_CASES];
static int g_ncases;
static char g_tmp[] = "/tmp/fdht-badinput-XXXXXX";

/* Databases and files a bad command must never change. */
static const char *const g_watched[] = {"good.db", "oldver.db", "fake.db", "empty.db"};
#define NWATCHED (sizeof g_watched / sizeof g_watched[0])

/* FNV-1a of a whole file (0 if unreadable). */
static uint64_t file_sum(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint64_t h = 1469598103934665603ULL;
    int c;
    if (!f)
        return 0;
    while ((c = fgetc(f)) != EOF)
        h = cm_fnv_step(h, (unsigned char)c);
    fclose(f);
    return h;
}

static void watched_sums(uint64_t *sum)
{
    char p[512];
    for (size_t i = 0; i < NWATCHED; i++) {
        snprintf(p, sizeof p, "%s/%s", g_tmp, g_watched[i]);
        sum[i] = file_sum(p);
    }
}

/* Copies s into dst[len]; -1 if it does not fit. */
static int copy(char *dst, size_t len, const char *s)
{
    size_t n = strlen(s);
    if (n >= len)
        return -1;
    memcpy(dst, s, n + 1);
    return 0;
}

static int load_cases(void)
{
    FILE *f = fopen(CASES, "r");
    char line[2300];
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (!n || line[0] == '#')
            continue;
        char *f1 = line, *f2 = strchr(f1, '\t');
        char *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
        char *f4 = f3 ? strchr(f3 + 1, '\t') : NULL;
        if (!f4 || g_ncases == MAX_CASES) {
            fclose(f);
            return -1;
        }
        *f2++ = *f3++ = *f4++ = '\0';
        bad_case *c = &g_cases[g_ncases++];
        c->status = atoi(f2);
        if (copy(c->name, sizeof c->name, f1) || copy(c->frag, sizeof c->frag, f3) ||
            copy(c->cmd, sizeof c->cmd, f4)) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    char cmd[1024], *err = NULL;
    if (!mkdtemp(g_tmp))
        return -1;
    if (setenv("DSE", tu_dse_bin(), 1) || setenv("T", g_tmp, 1))
        return -1;
    snprintf(cmd, sizeof cmd, "sh tests/badinput/make_inputs.sh");
    int st = tu_run(cmd, NULL, &err);
    if (st != 0)
        fprintf(stderr, "make_inputs.sh failed (%d): %s\n", st, err);
    free(err);
    return st == 0 && load_cases() == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* The spec file a spec_* case reads: the first word ending in ".yaml". */
static bool spec_path(const char *cmd, char *out, size_t len)
{
    const char *e = strstr(cmd, ".yaml");
    if (!e)
        return false;
    const char *b = e;
    while (b > cmd && b[-1] != ' ')
        b--;
    snprintf(out, len, "%.*s", (int)(e + 5 - b), b);
    return true;
}

/* Every line of s starts with prefix (and there is at least one). */
static bool lines_start_with(const char *s, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (!*s)
        return false;
    while (*s) {
        if (strncmp(s, prefix, pl) != 0)
            return false;
        const char *nl = strchr(s, '\n');
        if (!nl)
            break;
        s = nl + 1;
    }
    return true;
}

/* Some line of s carries the tag ": error:" more than once: a message
 * quoted inside another with its own tag. */
static bool error_twice(const char *s)
{
    while (*s) {
        const char *nl = strchr(s, '\n'), *e = strstr(s, ": error:");
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        if (e && (size_t)(e - s) < n) {
            const char *f = strstr(e + 8, ": error:");
            if (f && (size_t)(f - s) < n)
                return true;
        }
        s += n + (nl != NULL);
    }
    return false;
}

static void test_corpus(void **state)
{
    (void)state;
    int failed = 0;
    uint64_t before[NWATCHED], after[NWATCHED];
    assert_true(g_ncases >= 60);
    watched_sums(before);
    for (size_t i = 0; i < NWATCHED; i++)
        assert_true(before[i] != 0 || strcmp(g_watched[i], "empty.db") == 0);
    for (int k = 0; k < g_ncases; k++) {
        const bad_case *c = &g_cases[k];
        char *out = NULL, *err = NULL, why[256] = "";
        int st = tu_run(c->cmd, &out, &err);
        int nl = tu_lines(err);
        if (st != c->status)
            snprintf(why, sizeof why, "exit status %d, expected %d", st, c->status);
        else if (!strstr(err, c->frag))
            snprintf(why, sizeof why, "stderr lacks the fragment");
        else if (*out)
            snprintf(why, sizeof why, "stdout not empty");
        else if (strncmp(c->name, "spec_", 5) == 0) {
            char sp[512];
            if (!spec_path(c->cmd, sp, sizeof sp) || !lines_start_with(err, sp))
                snprintf(why, sizeof why, "stderr lines do not all start with the spec name");
        } else if (nl != 1)
            snprintf(why, sizeof why, "%d stderr lines, expected 1", nl);
        if (!*why && error_twice(err))
            snprintf(why, sizeof why, "a line is tagged error: twice");
        watched_sums(after);
        for (size_t i = 0; i < NWATCHED && !*why; i++)
            if (after[i] != before[i])
                snprintf(why, sizeof why, "%s changed", g_watched[i]);
        if (*why) {
            failed++;
            fprintf(stderr, "badinput %s: %s\n  cmd: %s\n  fragment: %s\n  stderr: %s  stdout: %.200s\n",
                    c->name, why, c->cmd, c->frag, err, out);
        }
        free(out);
        free(err);
    }
    printf("badinput: %d cases, %d failed\n", g_ncases, failed);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
