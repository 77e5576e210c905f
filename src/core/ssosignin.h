/*
 * The end of a company sign-in, shared by OpenID Connect (core/oidc.c) and
 * SAML (core/saml.c): once a protocol has verified what the IdP vouched
 * for, the person is found by (issuer, subject); else linked once by the
 * e-mail to an active account with that address (unless the IdP says
 * email_verified false), or to the pending invitation for that address;
 * else, with JIT on and the domain allowed, created with the default role
 * (seats apply). The group mapping then sets the role (audited; a change
 * the invariants refuse is skipped and logged). Locked accounts, accounts
 * without office access and addresses outside the org's IP allowlist are
 * refused. The session is the one password sign-in opens, audited
 * auth.login with method sso. A re-authentication records a proof instead.
 *
 * Every failure is 401 sso_failed with a `reason` and a sentence for an IT
 * administrator, audited auth.sso_failed in its own transaction; never a
 * session, never a 5xx.
 */
#ifndef GH_SSOSIGNIN_H
#define GH_SSOSIGNIN_H
#include <jansson.h>
#include <stdbool.h>

#include "core/ctx.h"
#include "store/store.h"

/* What a sign-in gives the HTTP layer. */
typedef struct gh_oidc_signin {
    char token[GH_TOKEN_LEN + 1];
    char csrf[GH_TOKEN_LEN + 1];
    gh_session session;
    gh_user user;
    bool reauth;          /* a re-authentication: no session, only the proof */
    char purpose[64];
} gh_oidc_signin;

/* What an IdP vouched for, after its answer was verified (or why not).
 * claims: {"sub": subject, <email_claim>: e-mail, <groups_claim>: groups,
 * ...}. */
typedef struct gh_sso_verified {
    const gh_org *org;
    const json_t *cfg;         /* the org's stored settings */
    const char *kind;          /* oidc | saml */
    const char *issuer;        /* SAML: the IdP's entity id */
    const json_t *claims;
    bool reauth;               /* re-authentication: user_id, state_hash, purpose */
    const char *user_id, *state_hash, *purpose; /* purpose: login | reauth:<why> */
    bool ok;                   /* false: refuse with reason and error */
    const char *reason, *error;
    /* OIDC, for RP-initiated logout (both or neither): the raw ID token and
     * the IdP's end_session_endpoint; kept sealed with the session. */
    const char *id_token, *end_session_ep;
} gh_sso_verified;
gh_status gh_sso_signin_finish(gh_ctx *ctx, const gh_sso_verified *v, gh_oidc_signin *out);

/* Logout (POST /v1/auth/logout), before the session ends: for a session
 * opened by an OIDC sign-in whose IdP announces an end_session_endpoint,
 * *url is where the browser goes to sign out at the IdP too (RP-initiated
 * logout: id_token_hint, post_logout_redirect_uri <base>/console/sign-in,
 * client_id; malloc'd); NULL otherwise, also when the ID token cannot be
 * opened any more (the gatehouse session still ends). */
gh_status gh_sso_logout_url(gh_ctx *ctx, char **url);
/* The secret box context of a session's ID token. */
void gh_sso_logout_context(const char *session_id, char *out, size_t cap);

/* 401 sso_failed with reason, audited auth.sso_failed (in its own
 * transaction). */
gh_status gh_sso_refuse(gh_ctx *ctx, const char *org_id, const char *user_id, const char *reason, const char *detail);
gh_status gh_sso_refusef(gh_ctx *ctx, const char *org_id, const char *user_id, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#endif
