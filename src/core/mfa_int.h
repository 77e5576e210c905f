/* Private to mfa.c and mfaadmin.c. */
#ifndef GH_CORE_MFA_INT_H
#define GH_CORE_MFA_INT_H
#include <stdbool.h>

#include "core/ctx.h"
#include "store/mfa.h"
#include "store/store.h"

/* Whether the org's policy p requires a second factor of u (inside the
 * transaction: "privileged" asks the rows). */
gh_status gh_mfa_required_for(gh_ctx *ctx, const gh_org *o, const gh_user *u, const gh_mfa_policy *p, bool *req);
/* Mails the person a notice of kind (their recovery codes left among the
 * variables), in the actor's organization, inside the transaction. */
gh_status gh_mfa_mail_person(gh_ctx *ctx, const char *user_id, const char *kind);

#endif
