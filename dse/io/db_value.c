/*
 * db_value.c - stored values as text for the read commands (db.h:
 * db_outfmt): a table for reading, CSV and JSON for machines (reals in the
 * shortest form that reads back exactly), and the quoting of CSV fields and
 * JSON strings.
 */
#include "db_int.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *json_quote(const char *s)
{
    strbuf b = {0};
    int bad = sb_put(&b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p && !bad; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            bad = sb_put(&b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            bad = sb_put(&b, esc, 6);
        } else {
            bad = sb_put(&b, (const char *)p, 1);
        }
    }
    if (bad || sb_put(&b, "\"", 1)) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* RFC 4180: quoted when it holds a comma, quote, line break or edge blanks. */
static char *csv_quote(const char *s)
{
    size_t len = strlen(s);
    int need = len && (s[0] == ' ' || s[len - 1] == ' ');
    need |= strpbrk(s, ",\"\r\n") != NULL;
    if (!need)
        return strdup(s);
    strbuf b = {0};
    int bad = sb_put(&b, "\"", 1);
    for (const char *p = s; *p && !bad; p++)
        bad = *p == '"' ? sb_put(&b, "\"\"", 2) : sb_put(&b, p, 1);
    if (bad || sb_put(&b, "\"", 1)) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

char *db_quote(const char *s, db_outfmt fmt)
{
    if (fmt == DB_OUT_JSON)
        return json_quote(s);
    if (fmt == DB_OUT_CSV)
        return csv_quote(s);
    return strdup(s);
}

/* For reading: 6 significant digits, but large magnitudes as whole numbers
 * (1250000, not 1.25e+06). */
static void table_real(char *buf, size_t len, double v)
{
    if (fabs(v) >= 1e5 && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.6g", v);
}

/* For machines: the shortest text that reads back as the same double
 * (0.05, not 0.050000000000000003). */
static void shortest_real(char *buf, size_t len, double v)
{
    for (int prec = 15; prec < 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
    snprintf(buf, len, "%.17g", v);
}

/* db_int.h; the formats are db.h's (db_rows_value). */
char *dbi_value_text(sqlite3_stmt *st, int col, db_outfmt fmt)
{
    char buf[64];
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        return strdup(fmt == DB_OUT_TABLE ? "-" : fmt == DB_OUT_JSON ? "null" : "");
    case SQLITE_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)sqlite3_column_int64(st, col));
        return strdup(buf);
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(st, col);
        if (fmt == DB_OUT_JSON && !isfinite(v))
            return strdup("null");
        if (fmt == DB_OUT_TABLE)
            table_real(buf, sizeof buf, v);
        else
            shortest_real(buf, sizeof buf, v);
        return strdup(buf);
    }
    default: {
        const char *t = (const char *)sqlite3_column_text(st, col);
        return db_quote(t ? t : "", fmt);
    }
    }
}
