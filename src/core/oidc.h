/*
 * OpenID Connect sign-in (issue 16): authorization code flow with PKCE
 * (S256), state and nonce, client_secret_basic at the token endpoint, the
 * ID token verified by core/idtoken.c against the IdP's JWKS (cached per
 * issuer, fetched again once on an unknown kid).
 *
 * Each step has three phases so the network never runs on an HTTP thread:
 * prepare (database), run (IdP-call thread, no database), finish
 * (database). The state is a 256-bit token stored only as its hash, single
 * use, ten minutes, and also set as an HttpOnly cookie at start that the
 * callback must echo (a sign-in started in one browser cannot be finished
 * in another). The PKCE verifier is stored sealed (core/secretbox.h); the
 * nonce is derived from it, so it is never stored at all.
 *
 * After the token is verified: the person is found by (issuer, sub); else
 * linked once by the e-mail claim to an active account with that address
 * (unless the IdP says email_verified false); else, with JIT on and the
 * domain allowed, created with the default role (seats apply). The group
 * mapping then sets the role (audited; a change the invariants refuse,
 * such as demoting the last admin, is skipped and logged). Locked
 * accounts, accounts without office access and addresses outside the
 * org's IP allowlist are refused. The session is the one password sign-in
 * opens, audited auth.login with method sso. Every failure is 401
 * sso_failed with a `reason` and a sentence for an IT administrator,
 * audited auth.sso_failed; never a session, never a 5xx.
 */
#ifndef GH_OIDC_H
#define GH_OIDC_H
#include <jansson.h>

#include "core/ctx.h"
#include "core/ssosignin.h"
#include "store/store.h"

#define GH_OIDC_STATE_TTL_S 600

typedef struct gh_oidc_flow gh_oidc_flow;
void gh_oidc_flow_free(void *flow);
/* The flow's organization's slug ("" before it is known). */
const char *gh_oidc_flow_org_slug(const gh_oidc_flow *f);

/* GET /v1/auth/sso/start?org=SLUG */
gh_status gh_oidc_start_prepare(gh_ctx *ctx, const char *org_slug, gh_oidc_flow **out);
void gh_oidc_start_run(void *flow);
/* *location: the IdP's authorization URL (malloc'd); state: for the cookie. */
gh_status gh_oidc_start_finish(gh_ctx *ctx, gh_oidc_flow *f, char **location, char state[GH_TOKEN_LEN + 1]);

/* GET /v1/auth/sso/oidc/callback?state&code (or error) */
gh_status gh_oidc_callback_prepare(gh_ctx *ctx, const char *state, const char *cookie_state, const char *code,
                                   const char *iss, const char *idp_error, gh_oidc_flow **out);
void gh_oidc_callback_run(void *flow);
gh_status gh_oidc_callback_finish(gh_ctx *ctx, gh_oidc_flow *f, gh_oidc_signin *out);
/* Re-authentication by the IdP (DESIGN.md "Re-authentication"; for
 * e-signatures and other "this person, just now" checks), next to
 * core/reauth.h's password path: starts a flow for the acting user with
 * prompt=login and max_age=0; run and finish as for a sign-in
 * (gh_oidc_start_run, gh_oidc_start_finish). Its callback requires an ID
 * token whose auth_time is not older than the request and whose (issuer,
 * sub) is linked to that same user, then records the proof (audited
 * auth.reauthenticated) instead of opening a session. why: 1 to 40 of
 * a-z, '_', '.' ("e_signature"). */
gh_status gh_oidc_reauth_prepare(gh_ctx *ctx, const char *why, gh_oidc_flow **out);
/* 400 invalid_purpose unless why is 1 to 40 of a-z, '_', '.'. */
gh_status gh_oidc_reauth_check_purpose(gh_ctx *ctx, const char *why);
/* Inside the caller's write transaction: consumes the acting user's newest
 * proof for why that is at most max_age_s old (single use). 403
 * reauth_required when there is none. *mfa (may be NULL): whether the
 * IdP's MFA counted for it (gh_mfa_idp_counts when it was recorded). */
gh_status gh_oidc_reauth_consume(gh_ctx *ctx, const char *why, int64_t max_age_s, bool *mfa);

#endif
