/*
 * Company sign-in (issue 16): each organization's single sign-on
 * configuration (OpenID Connect or SAML 2.0), its policy (SSO optional or
 * required, with break-glass accounts) and the rules around it.
 *
 * The configuration is written by holders of it.operations. Its client
 * secret is sealed in the secret box (core/secretbox.h) and never leaves
 * the server. Who may be created or promoted by a sign-in is decided when
 * the configuration is written: its author must be able to confer the JIT
 * default role and every role of the group mapping (core/guard.h, the
 * no-escalation rule), measured like any other grant; a sign-in later acts
 * as the system but can only give what the configuration names, so nothing
 * reaches further than its author could.
 */
#ifndef GH_SSO_H
#define GH_SSO_H
#include <jansson.h>
#include <stdbool.h>

#include "core/ctx.h"

#define GH_SSO_DOMAINS_MAX 50
#define GH_SSO_ROLE_MAP_MAX 100
#define GH_SSO_SCOPES_MAX 20
#define GH_SSO_METADATA_XML_MAX (512 * 1024)
#define GH_SSO_URL_MAX 1000
#define GH_SSO_SLUG_MAX 64 /* gh_org.slug */

/* The org's configuration as the API shows it (never the secret), with
 * the URLs the IdP must be told (redirect URI; SAML entity id, ACS and
 * metadata URLs). 404 sso_not_configured when there is none. */
gh_status gh_sso_get(gh_ctx *ctx, json_t **out);
/* Replaces the org's configuration with body (fields as in the API,
 * type-checked by the caller). Validates every value (400 naming the
 * field), refuses roles the actor could not confer (403 escalation), a
 * required SSO without an active break-glass account that can manage users
 * (409 last_admin) and one that would leave the actor without a way in
 * (409 self_lockout); audits sso.configured. */
gh_status gh_sso_put(gh_ctx *ctx, const json_t *body, json_t **out);
/* Removes it (linked identities stay, for when it comes back); audits
 * sso.removed. */
gh_status gh_sso_delete(gh_ctx *ctx);

/* Inside an open transaction: may this person sign in with a password?
 * 403 sso_required when the org requires SSO and they are not a
 * break-glass account. */
gh_status gh_sso_password_allowed(gh_ctx *ctx, const char *org_id, const char *user_id);
/* Inside an open transaction, for the invariant check (core/accounts.c):
 * is SSO required in org_id, and with which break-glass ids? */
gh_status gh_sso_policy(gh_ctx *ctx, const char *org_id, bool *required, char *break_glass, size_t cap);

/* ---- pure parts (unit-tested) ------------------------------------------------ */
/* May the server call this IdP URL? https to any host, or plain http only
 * to a loopback host (127.0.0.0/8, [::1], localhost) for tests and
 * development; no user-info, no fragment, at most GH_SSO_URL_MAX bytes.
 * On false, why says what is wrong. */
bool gh_sso_url_allowed(const char *url, char *why, size_t cap);
/* A domain for the JIT allowlist: lowercase DNS labels (a-z, 0-9, inner
 * dashes), at least two, at most 253 bytes. */
bool gh_sso_domain_valid(const char *d);
/* Is the e-mail's domain (after the last '@', compared case-insensitively)
 * one of domains (a JSON array of strings)? */
bool gh_sso_email_domain_allowed(const char *email, const json_t *domains);
/* Is id one of the space-separated ids of list? */
bool gh_sso_id_listed(const char *list, const char *id);
/* For the sign-in page: the org (by slug, or the only one when slug and
 * email are NULL) and its IdP's name: {org, org_name, protocol,
 * display_name, start_url}; by email (the org that declared its domain):
 * {display_name, start_url} only. 404 sso_not_configured otherwise, the
 * same for an unknown domain as for an org without SSO. Public: reveals
 * only what the sign-in button shows. 400 invalid_email, invalid_query
 * (both org and email). */
gh_status gh_sso_discover(gh_ctx *ctx, const char *slug, const char *email, json_t **out);
/* The slug of the org that declared email's domain (case-insensitive);
 * 404 sso_not_configured when none did, 400 invalid_email. */
gh_status gh_sso_org_for_email(gh_ctx *ctx, const char *email, char slug[GH_SSO_SLUG_MAX]);

/* ---- How a person signs in (core/ssoident.c) ------------------------------------ */
/* GET /v1/users/{id}/sign-in-methods: {password: set or not,
 * password_allowed: usable under the SSO policy, identities: [{id, kind,
 * issuer, subject, created_at, last_used_at}]} (OIDC and SAML links; the
 * provisioning ones are no way to sign in). 404 user_not_found outside the
 * actor's org. */
gh_status gh_sso_signin_methods(gh_ctx *ctx, const char *user_id, json_t **out);
/* DELETE /v1/users/{id}/identities/{identity}: unlinks one OIDC or SAML
 * identity (the next sign-in through it links again only as a first sign-in
 * would); audited identity.unlinked. 404 user_not_found /
 * identity_not_found; 409 last_admin when no administrator able to manage
 * users could still sign in. */
gh_status gh_sso_identity_unlink(gh_ctx *ctx, const char *user_id, const char *identity_id);

/* ---- Test connection (POST /v1/org/sso/test) ----------------------------------- */
/* Three phases, so the network never runs on an HTTP thread: prepare reads
 * the configuration (with the database), run makes the IdP calls (on the
 * IdP-call threads, no database), finish records the outcome (last test,
 * audited sso.tested) and builds the answer {ok, error, checks}. A failed
 * check is an answer (ok false, the first failure in error), never a 5xx.
 * OIDC: discovery (issuer matches exactly, endpoints allowed, code flow,
 * S256, an accepted signing algorithm, client_secret_basic) and the JWKS
 * (at least one RSA or EC signing key). SAML: the metadata (URL or XML)
 * names an IdP with a single sign-on service and a signing certificate. */
typedef struct gh_sso_test gh_sso_test;
gh_status gh_sso_test_prepare(gh_ctx *ctx, gh_sso_test **out);
void gh_sso_test_run(void *test);
gh_status gh_sso_test_finish(gh_ctx *ctx, gh_sso_test *t, json_t **out);
void gh_sso_test_free(void *test);
#endif
