/*
 * Bulk import of staff members from CSV (issue 4), for onboarding a whole
 * plant at once.
 *
 * The file has a header row naming its columns, in any order (case,
 * spaces, dashes and underscores in names do not matter): name and role
 * (required), email, badge, office_access, factory_access. Access columns
 * take true/false, yes/no, y/n, 1/0 or x; blank means "yes if the row has an
 * email" (office) or "yes if it has a badge" (factory). Blank lines are
 * ignored. Rows are numbered as a spreadsheet shows them: the header is
 * row 1.
 *
 * Each row becomes one action:
 *   invite  office access only: an invitation, exactly as POST /v1/invites
 *           (an expired pending invitation of the address is renewed);
 *   create  factory access: a staff member with that badge (factory only:
 *           no email, no password; with office access too: an office user
 *           who gets the mail to confirm the address and choose a password);
 *   skip    already a member (the email, or for a factory-only row the
 *           badge, belongs to a user) or already invited;
 *   error   with the column at fault: missing or invalid name, unknown role,
 *           malformed email, invalid badge, invalid boolean, no access at
 *           all, missing email or badge for the access asked, duplicate
 *           email or badge within the file, badge of another user, a device
 *           role with factory access, or the seat limit (reported at the
 *           row where it is reached; later rows needing the same seat kind
 *           are refused too).
 *
 * dry_run reports the actions and changes nothing. Otherwise every valid
 * row is applied in ONE transaction (invalid rows are reported and left
 * out), with an audit event per user or invitation and one users.imported
 * event with the counts; with all_or_nothing a single failing row leaves
 * everything unchanged (409 import_rejected, carrying the report).
 */
#ifndef GH_IMPORT_H
#define GH_IMPORT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/ctx.h"

#define GH_IMPORT_ROWS_MAX 10000

typedef struct gh_import_opts {
    bool dry_run;
    bool all_or_nothing;
} gh_import_opts;

/* Imports CSV data[0..len). *report gets
 *   {dry_run, all_or_nothing, applied, summary {rows, invite, create, skip,
 *    error}, rows: [{row, line, action, name, email, badge, role, code?,
 *    column?, detail?, user_id?, invite_id?}]}
 * Whole-file faults: 400 invalid_csv (with row and line), 400 empty_file,
 * 400 unknown_column / duplicate_column / missing_column (field = the
 * column), 413 too_many_rows. */
gh_status gh_users_import(gh_ctx *ctx, const char *data, size_t len, const gh_import_opts *opts, json_t **report);

#endif
