/* The bounded CSV reader; see csv.h for the accepted format. */
#include "core/csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool gh_utf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char b = p[i];
        size_t len;
        unsigned cp, min;
        if (b == 0) goto fail;
        if (b < 0x80) { i++; continue; }
        if ((b & 0xE0) == 0xC0) { len = 2; cp = b & 0x1F; min = 0x80; }
        else if ((b & 0xF0) == 0xE0) { len = 3; cp = b & 0x0F; min = 0x800; }
        else if ((b & 0xF8) == 0xF0) { len = 4; cp = b & 0x07; min = 0x10000; }
        else goto fail;
        if (n - i < len) goto fail;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) goto fail;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto fail;
        i += len;
    }
    return true;
fail:
    if (bad) *bad = i;
    return false;
}

static size_t line_of(const char *s, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') line++;
        else if (s[i] == '\r' && (i + 1 >= off || s[i + 1] != '\n')) line++;
    }
    return line;
}

static void set_err(gh_csv *c, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(gh_csv *c, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->err_line = line;
}

bool gh_csv_init(gh_csv *c, const char *data, size_t len)
{
    memset(c, 0, sizeof *c);
    c->line = 1;
    c->buf = malloc(GH_CSV_RECORD_MAX);
    if (!c->buf) { set_err(c, 0, "out of memory"); return false; }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) { data += 3; len -= 3; }
    size_t bad = 0;
    if (!gh_utf8_valid(data, len, &bad)) {
        set_err(c, line_of(data, bad), "the file is not valid UTF-8 text (byte %zu)", bad + 1);
        return false;
    }
    c->p = data;
    c->end = data + len;
    return true;
}

/* Appends one byte to the current field; false when a bound is hit. */
static bool put(gh_csv *c, char ch)
{
    if (c->len - c->off[c->nfields] >= GH_CSV_FIELD_MAX) {
        set_err(c, c->line, "field %zu is longer than %d bytes", c->nfields + 1, GH_CSV_FIELD_MAX);
        return false;
    }
    if (c->len + 1 >= GH_CSV_RECORD_MAX) { /* keep room for the field's NUL */
        set_err(c, c->line, "the record is longer than %d bytes", GH_CSV_RECORD_MAX);
        return false;
    }
    c->buf[c->len++] = ch;
    return true;
}

static bool line_break(char ch) { return ch == '\r' || ch == '\n'; }

int gh_csv_next(gh_csv *c)
{
    if (!c->p || c->p >= c->end) return 0;
    c->nfields = 0;
    c->len = 0;
    c->off[0] = 0;
    c->record_line = c->line;
    for (;;) {
        if (c->p < c->end && *c->p == '"') {
            size_t opened = c->line;
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    set_err(c, opened, "a quoted field that starts on line %zu is never closed", opened);
                    return -1;
                }
                char ch = *c->p++;
                if (ch == '"') {
                    if (c->p < c->end && *c->p == '"') c->p++; /* "" is one quote */
                    else break;
                } else if (ch == '\n' || (ch == '\r' && (c->p >= c->end || *c->p != '\n'))) {
                    c->line++;
                }
                if (!put(c, ch)) return -1;
            }
            if (c->p < c->end && *c->p != ',' && !line_break(*c->p)) {
                set_err(c, c->line, "unexpected text after the closing quote of field %zu"
                        " (write a quote inside a quoted field as \"\")", c->nfields + 1);
                return -1;
            }
        } else {
            while (c->p < c->end && *c->p != ',' && !line_break(*c->p)) {
                if (*c->p == '"') {
                    set_err(c, c->line, "a quote inside unquoted field %zu (quote the whole field and"
                            " write the quote as \"\")", c->nfields + 1);
                    return -1;
                }
                if (!put(c, *c->p++)) return -1;
            }
        }
        if (c->len >= GH_CSV_RECORD_MAX) {
            set_err(c, c->line, "the record is longer than %d bytes", GH_CSV_RECORD_MAX);
            return -1;
        }
        c->buf[c->len++] = '\0';
        c->nfields++;
        if (c->p >= c->end) break;
        if (*c->p == ',') {
            c->p++;
            if (c->nfields == GH_CSV_FIELDS_MAX) {
                set_err(c, c->line, "a record has more than %d fields", GH_CSV_FIELDS_MAX);
                return -1;
            }
            c->off[c->nfields] = c->len;
            continue;
        }
        if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n') c->p++;
        c->p++;
        c->line++;
        break;
    }
    c->record++;
    return 1;
}

size_t gh_csv_nfields(const gh_csv *c) { return c->nfields; }

const char *gh_csv_field(const gh_csv *c, size_t i) { return i < c->nfields ? c->buf + c->off[i] : ""; }

void gh_csv_release(gh_csv *c)
{
    free(c->buf);
    c->buf = NULL;
    c->p = c->end = NULL;
}
