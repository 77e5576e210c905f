/*
 * SAML 2.0 sign-in (issue 16), through Debian's lasso (the library behind
 * mod_auth_mellon): gatehouse is a service provider (SP) per organization.
 *
 * - Each org has its own SP entity id (<base URL>/v1/auth/sso/<slug>/saml/metadata),
 *   ACS URL (.../saml/acs) and signing key: an RSA key and self-signed
 *   certificate made with GnuTLS on first use; the private key is sealed in
 *   the secret box (core/secretbox.h) and only the certificate is published.
 * - The AuthnRequest goes by HTTP-Redirect, signed; its RelayState is a
 *   single-use state (stored hashed, ten minutes, like OIDC's) that names
 *   the org and the request id. Unsolicited (IdP-initiated) responses are
 *   refused: InResponseTo must name that request.
 * - The response comes by HTTP-POST. lasso verifies the XML signature of
 *   the response or of the assertion against the IdP's metadata; one of
 *   them must be signed. gatehouse then checks the destination, issuer,
 *   audience (its entity id), recipient (its ACS URL), NotBefore and
 *   NotOnOrAfter with 120 s skew, and records the assertion id until it
 *   expires so it is never accepted twice. The e-mail is the NameID or a
 *   configured attribute; transient NameIDs are refused (they cannot link).
 * - Then the same linking, JIT, role mapping, policy, session and audit as
 *   OIDC (gh_sso_signin_finish, core/ssosignin.h), with (entity id, NameID) as
 *   the identity. Re-authentication sends ForceAuthn and requires an
 *   AuthnInstant after the request.
 *
 * Phases as for OIDC: prepare (database), run (an outbound worker: the
 * metadata fetch for idp_metadata_url and all lasso work), finish
 * (database). Every failure is 401 sso_failed with a reason, audited
 * auth.sso_failed; never a session, never a 5xx.
 */
#ifndef GH_SAML_H
#define GH_SAML_H
#include <jansson.h>
#include <stdbool.h>

#include "core/ctx.h"
#include "core/oidc.h"

#define GH_SAML_SKEW_S 120

/* Once at start (lasso_init); 0 on success. */
int gh_saml_init(char *err, size_t errlen);

typedef struct gh_saml_flow gh_saml_flow;
void gh_saml_flow_free(void *flow);
const char *gh_saml_flow_org_slug(const gh_saml_flow *f);

/* Is this org's company sign-in SAML? (false when unknown or OIDC) */
bool gh_saml_org_uses_saml(gh_ctx *ctx, const char *org_slug);
bool gh_saml_org_id_uses_saml(gh_ctx *ctx, const char *org_id);

/* GET /v1/auth/sso/{org}/saml/metadata: the SP metadata (malloc'd XML).
 * Makes the org's SP key on first use. 404 sso_not_configured unless the
 * org's configuration is SAML. */
gh_status gh_saml_metadata(gh_ctx *ctx, const char *org_slug, char **xml);

/* GET /v1/auth/sso/start?org= for a SAML org; why non-NULL: a
 * re-authentication of the acting user (ForceAuthn). */
gh_status gh_saml_start_prepare(gh_ctx *ctx, const char *org_slug, const char *why, gh_saml_flow **out);
void gh_saml_start_run(void *flow);
/* *location: the IdP's single sign-on URL with the signed request (malloc'd). */
gh_status gh_saml_start_finish(gh_ctx *ctx, gh_saml_flow *f, char **location);

/* POST /v1/auth/sso/{org}/saml/acs (form: SAMLResponse, RelayState) */
gh_status gh_saml_acs_prepare(gh_ctx *ctx, const char *org_slug, const char *saml_response, const char *relay_state,
                              gh_saml_flow **out);
void gh_saml_acs_run(void *flow);
gh_status gh_saml_acs_finish(gh_ctx *ctx, gh_saml_flow *f, gh_oidc_signin *out);

/* For Test connection: does this metadata name exactly one IdP with a
 * single sign-on service (HTTP-Redirect) and a signing certificate that
 * lasso accepts? false with why otherwise. */
bool gh_saml_check_idp_metadata(const char *xml, char *entity_id, size_t idcap, char *why, size_t cap);

/* pure: "2026-12-02T10:49:41Z" (optional fraction) to unix seconds; -1 when malformed. */
int64_t gh_saml_parse_time(const char *s);
#endif
