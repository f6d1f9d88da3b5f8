/*
 * ydoc.h - the YAML document layer of every YAML input of dse (sweep specs,
 * technology tables, the schemas themselves): untrusted text -> a read-only
 * tree of nodes that know their file:line:column, and the one error format
 * of those inputs, "FILE:LINE:COL: error: KEY.PATH: message", collected in
 * a ydiag.  yschema.h checks a tree against a schema; spec.c and tech.c
 * convert checked trees into their structs.
 *
 * The input is hostile: anchors, aliases and tags are refused, as are
 * duplicate keys, NUL characters, more than one document, nesting deeper
 * than YDOC_MAX_DEPTH, more than YDOC_MAX_NODES nodes and YDOC_MAX_KEYS keys
 * in one mapping.  Parsing stops at the first such problem (the schema
 * checker then reports every problem of a well-formed tree).
 */
#ifndef YDOC_H
#define YDOC_H

#include <stddef.h>

#define YDOC_MAX_BYTES (1 << 20) /* a document is a page of text, not data */
#define YDOC_MAX_DEPTH 32
#define YDOC_MAX_NODES 100000
#define YDOC_MAX_KEYS 512        /* keys of one mapping (bounds the dup check) */
#define YDIAG_MAX_LINES 20       /* lines kept; later errors are only counted */

#if defined(__GNUC__)
#define YDOC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define YDOC_PRINTF(f, a)
#endif

/* Collected diagnostics: one line per error, each ending in '\n'. */
typedef struct ydiag {
    char *buf;
    size_t len, cap;
    int nerr;       /* errors (lines beyond YDIAG_MAX_LINES are counted, not kept) */
    int internal;   /* an error that is not the input's fault (no memory) */
} ydiag;

void ydiag_init(ydiag *g);
void ydiag_free(ydiag *g);
/* One error line (control characters in it become '?'). */
void ydiag_add(ydiag *g, const char *fmt, ...) YDOC_PRINTF(2, 3);
const char *ydiag_text(const ydiag *g);
/* The n bytes of one diagnostic line without its " error:" tag, into out,
 * for quoting it inside another error's line. */
const char *ydiag_quote(const char *line, size_t n, char *out, size_t outn);

/* Where nodes (and whatever their users allocate with them) live: freed at once. */
typedef struct yarena yarena;
yarena *yarena_new(void);
void yarena_free(yarena *a);
void *yarena_alloc(yarena *a, size_t n);   /* zeroed; NULL when out of memory */
char *yarena_strndup(yarena *a, const char *s, size_t n);

typedef enum { YN_SCALAR, YN_MAP, YN_SEQ } ynode_kind;

/* A node of the tree.  Read-only for everyone but ydoc.c. */
typedef struct ynode ynode;
struct ynode {
    ynode_kind kind;
    int line, col;          /* 1-based position of the value */
    int plain;              /* scalar written without quotes: may be a number */
    const char *text;       /* scalar value, NUL-free ("" for others) */
    size_t len;
    const char *key;        /* key under a mapping parent, else NULL */
    int key_line, key_col;
    int index;              /* position under a sequence parent */
    ynode *parent, *first, *last, *next;
    int n;                  /* children */
};

/* One document being read: who it is in messages, where errors go. */
typedef struct {
    const char *file;       /* name used in messages */
    const char *what;       /* "spec", "technology table": "a spec is one document" */
    const char *expect;     /* what an empty document should hold ("a mapping with ...") */
    ydiag *diag;
    yarena *arena;          /* the nodes */
    const char *text;       /* set by ydoc_parse */
    size_t len;
} ydoc;

/*
 * Parses text (len bytes, need not be NUL-terminated) into a tree whose
 * root is a mapping; NULL with the problem in d->diag otherwise.  The tree
 * lives in d->arena.
 */
const ynode *ydoc_parse(ydoc *d, const char *text, size_t len);

/*
 * Reads a regular file of at most max bytes into a malloc'd NUL-terminated
 * buffer.  0, or -1 with "PATH: error: ..." in d->diag (PATH = d->file).
 * Refuses directories, FIFOs and devices before opening them.
 */
int ydoc_read_file(const ydoc *d, size_t max, char **buf, size_t *len);

/* Errors in the one format.  ydoc_err: at the node's value; ydoc_err_key:
 * at its key (unknown, duplicate); ydoc_err_at: at line:col, with the key
 * path of `path` (NULL: none). */
void ydoc_err(const ydoc *d, const ynode *at, const char *fmt, ...) YDOC_PRINTF(3, 4);
void ydoc_err_key(const ydoc *d, const ynode *at, const char *fmt, ...) YDOC_PRINTF(3, 4);
void ydoc_err_at(const ydoc *d, int line, int col, const ynode *path, const char *fmt, ...)
    YDOC_PRINTF(5, 6);

/* The child of mapping m under key, or NULL (also when m is NULL or not a mapping). */
const ynode *ymap_get(const ynode *m, const char *key);

/* Scalars.  yn_int: a plain decimal integer ('_' between digits allowed),
 * 1 and *out, 0 not one, -1 one that does not fit in 64 bits.  yn_num: a
 * plain finite number, same returns.  yn_bool: true/True/false/False. */
int yn_is_null(const ynode *v);
int yn_int(const ynode *v, long long *out);
int yn_num(const ynode *v, double *out);
int yn_bool(const ynode *v, int *out);

/* A node as messages show it: 56, the string "x", a list, nothing. */
const char *yn_shown(const ynode *v, char *buf, size_t n);

/* " (did you mean 'x'?)" when one of the n candidates is close to word, else "". */
void ysuggest(const char *word, const char *const *cand, int n, char *buf, size_t len);

#endif
