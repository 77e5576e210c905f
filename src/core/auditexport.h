/*
 * Audit export (issue 19 item 3): the organization's trail as CSV or NDJSON,
 * produced page by page (500 rows per short statement, oldest first) while
 * the answer is sent, so an export of any length takes bounded memory and
 * holds no read transaction open between pages. The export ends at the
 * newest event when it starts. Actor and target names come alongside ids.
 * CSV cells that a spreadsheet would read as a formula (starting with =, +,
 * -, @, a tab or a carriage return) are neutralised with a leading
 * apostrophe (OWASP "CSV injection").
 */
#ifndef GH_AUDITEXPORT_H
#define GH_AUDITEXPORT_H
#include <stddef.h>

#include "core/ctx.h"
#include "store/store.h"
#include "util/util.h"

typedef struct gh_audit_export gh_audit_export;

/* format "csv" or "ndjson" (else 400 invalid_format); the filter's strings
 * are copied. */
gh_status gh_audit_export_open(gh_ctx *ctx, const char *format, const gh_audit_filter *f, gh_audit_export **out);
/* Fills up to max bytes: the count, 0 at the end, -1 on a database error.
 * Reads on the calling thread's connection. */
long gh_audit_export_read(gh_audit_export *x, char *buf, size_t max);
void gh_audit_export_close(gh_audit_export *x);

/* One CSV cell: quoted, quotes doubled, formulas neutralised. */
void gh_csv_cell(gh_buf *b, const char *s);

#endif
