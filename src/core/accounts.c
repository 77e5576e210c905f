/*
 * The input checks shared by organizations, users and the profile
 * (core/accounts.h). The account code is split by job: orgs.c,
 * users.c (create, read, list), userchange.c (changes to one person),
 * profile.c (self-service), signin.c, links.c (verification and reset
 * links and the mails that carry them) and invariants.c (the lockout
 * rules); their shared helpers are declared in accounts_int.h. Every
 * public function that changes state runs inside a write transaction
 * (gh_tx_run or gh_tx_begin, core/guard.h), writes its audit events (and
 * mails) in it, checks the lockout rules, and commits through
 * gh_tx_commit_and_refresh(), which also brings the in-memory authorization
 * snapshot up to date before the caller answers.
 */
#include "util/cursor.h"
#include "core/ipallow.h"
#include "core/accounts.h"
#include "util/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/audit.h"
#include "core/delivery.h"
#include "core/kiosk.h"
#include "core/mfa.h"
#include "core/seats.h"
#include "core/secret.h"
#include "core/session.h"
#include "store/invites.h"
#include "core/throttle.h"
#include "core/guard.h"
#include "core/sso.h"
#include "core/accounts_int.h"

/* ---- small helpers ------------------------------------------------------------ */
gh_status acct_check_name(gh_ctx *ctx, const char *name, const char *field)
{
    if (gh_check_text(&ctx->err, "invalid_name", field, name, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    return GH_OK;
}

gh_status acct_check_email(gh_ctx *ctx, const char *email, const char *field)
{
    if (!email || !gh_email_valid(email))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_email", field, "not a valid email address");
    return GH_OK;
}

bool gh_language_supported(const char *lang)
{
    static const char *const langs[] = {"en", "es", "de"};
    for (size_t i = 0; lang && i < sizeof langs / sizeof langs[0]; i++)
        if (strcmp(lang, langs[i]) == 0) return true;
    return false;
}

gh_status gh_language_check(gh_err *err, const char *lang, const char *field)
{
    if (!lang || !*lang || gh_language_supported(lang)) return GH_OK;
    return gh_fail_field(err, GH_E_INVALID, "unsupported_language", field,
                         "The language must be one of " GH_LANGUAGES ".");
}

gh_status acct_check_mobile(gh_ctx *ctx, const char *m)
{
    size_t n = gh_strnlen_max(m, 40);
    if (n > 40) goto bad;
    for (size_t i = 0; i < n; i++) {
        char c = m[i];
        if (!((c >= '0' && c <= '9') || c == '+' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.'))
            goto bad;
    }
    return GH_OK;
bad:
    return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_mobile", "mobile",
                         "a mobile number is up to 40 digits, spaces and + - ( ) .");
}
