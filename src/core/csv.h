/*
 * A small, bounded CSV reader (RFC 4180) for bulk imports.
 *
 * Records are separated by CRLF, LF or CR; fields by commas. A field that
 * starts with a double quote is quoted: it may hold commas, line breaks and
 * quotes written twice (""), and its closing quote must be followed by a
 * comma, a line break or the end of the input. A quote anywhere else is an
 * error, as is a quoted field that is never closed: after a quoting mistake
 * the rest of the file cannot be read reliably, so the reader stops there
 * rather than guess.
 *
 * The input must be UTF-8 without NUL bytes (a leading byte-order mark is
 * skipped). Every size is bounded: a field holds at most GH_CSV_FIELD_MAX
 * bytes, a record at most GH_CSV_FIELDS_MAX fields and GH_CSV_RECORD_MAX
 * bytes. The reader never allocates per record: fields live in one buffer
 * that the next record overwrites.
 */
#ifndef GH_CSV_H
#define GH_CSV_H
#include <stdbool.h>
#include <stddef.h>

#define GH_CSV_FIELD_MAX 4096
#define GH_CSV_FIELDS_MAX 64
#define GH_CSV_RECORD_MAX 65536

typedef struct gh_csv {
    const char *p, *end;      /* input not read yet */
    size_t line;              /* physical line of *p (1-based) */
    size_t record;            /* records read so far */
    size_t record_line;       /* line where the current record starts */
    char *buf;                /* current record: NUL-terminated fields */
    size_t len;
    size_t off[GH_CSV_FIELDS_MAX];
    size_t nfields;
    char err[160];            /* why init or next failed */
    size_t err_line;          /* line of the fault */
} gh_csv;

/* Starts reading data[0..len). False (c->err, c->err_line) when the input is
 * not valid UTF-8 or holds a NUL byte, or out of memory. Release c either
 * way. */
bool gh_csv_init(gh_csv *c, const char *data, size_t len);
/* Reads the next record: 1 (fields via gh_csv_field), 0 at the end of the
 * input, -1 when malformed (c->err, c->err_line; stop reading). */
int gh_csv_next(gh_csv *c);
size_t gh_csv_nfields(const gh_csv *c);
/* Field i of the current record (i < nfields). Valid until the next call. */
const char *gh_csv_field(const gh_csv *c, size_t i);
void gh_csv_release(gh_csv *c);

/* Strict UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF; no NUL). On failure *bad gets the offset of the first bad byte. */
bool gh_utf8_valid(const char *s, size_t n, size_t *bad);

#endif
