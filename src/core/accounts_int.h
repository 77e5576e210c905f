/*
 * Private to the account files (accounts.c, orgs.c, users.c,
 * userchange.c, profile.c, signin.c, links.c, invariants.c): their shared
 * limits and helpers. Not for other modules: they use core/accounts.h.
 */
#ifndef GH_ACCOUNTS_INT_H
#define GH_ACCOUNTS_INT_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/accounts.h"
#include "core/ctx.h"
#include "store/store.h"

#define VERIFY_TTL_S (72 * 3600)
#define RESET_TTL_S 3600
#define SETUP_TTL_S (24 * 3600)
#define LOGIN_FREE_PER_IP 30
#define PAGE_MAX 200
#define PAGE_DEFAULT 50

/* Input checks (accounts.c): fill ctx->err for `field`. */
gh_status acct_check_name(gh_ctx *ctx, const char *name, const char *field);
gh_status acct_check_email(gh_ctx *ctx, const char *email, const char *field);
gh_status acct_check_mobile(gh_ctx *ctx, const char *m);

/* Links and mails (links.c), written in the caller's transaction. */
/* Issues a single-use link token (superseding the person's earlier one for
 * purpose); `token` gets the secret. */
gh_status acct_issue_token(gh_ctx *ctx, const char *org_id, const char *user_id, const char *purpose,
                           const char *email, int64_t ttl, char token[GH_TOKEN_LEN + 1]);
gh_status acct_mail_verify(gh_ctx *ctx, const gh_org *o, const gh_user *u);
gh_status acct_mail_reset(gh_ctx *ctx, const gh_org *o, const gh_user *u);
gh_status acct_mail_notice(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *kind, const char *to,
                           const char *new_email);

/* Checks of a person being created or changed (users.c), inside the
 * transaction. */
gh_status acct_role_exists(gh_ctx *ctx, const char *key, gh_role *r);
gh_status acct_modules_in_org(gh_ctx *ctx, const gh_org *o, const gh_user *u);
gh_status acct_apply_modules(gh_ctx *ctx, const json_t *mods, gh_user *u);
gh_status acct_refuse_if_invited(gh_ctx *ctx, const char *email);

/* Collects sessions as JSON, marking `current` (profile.c). */
typedef struct { json_t *items; const char *current; } acct_session_acc;
void acct_session_visit(const gh_session *s, void *arg);

#endif
