/*
 * Passkeys and security keys (WebAuthn level 2) as a second factor
 * (core/mfa.h). Verification is Debian's libfido2 (COSE keys ES256, RS256
 * and EdDSA; fido_cred_* for the attested credential, fido_assert_verify
 * for assertions) and libcbor (the attestation object); nothing here
 * parses keys or checks signatures by hand.
 *
 * The relying party is the server's base URL (--base-url): its host is the
 * rpId, scheme://host[:port] the only accepted origin. Every ceremony
 * starts with a challenge of 32 random bytes that is stored hashed
 * (SHA-256, webauthn_challenges), bound to the person and the purpose
 * ("register" or "assert"), lives five minutes and is taken (deleted) by
 * the first answer that names it, right or wrong.
 *
 * Registration accepts the attestation formats "none" and "packed" (self
 * attestation, or a certificate chain checked for the signature only: the
 * authenticator's maker is not judged). Assertions need user presence and
 * the stored sign counter to move forward: a counter that does not (while
 * either is non-zero) is refused as a possible clone and audited.
 */
#ifndef GH_WEBAUTHN_H
#define GH_WEBAUTHN_H
#include <jansson.h>
#include <stdbool.h>

#include "core/ctx.h"
#include "core/mfa.h"
#include "store/webauthn.h"

#define GH_WA_CHALLENGE_S 300

/* rpId and origin from a base URL ("http://localhost:8080/x" -> "localhost",
 * "http://localhost:8080"); false when the URL has no usable host. */
bool gh_webauthn_rp(const char *base_url, char *rpid, size_t rpcap, char *origin, size_t ocap);

/* Options for navigator.credentials.create (publicKey member), for the
 * acting person; stores the challenge. Also for a pending "enrol" session
 * (a passkey instead of an authenticator app); never for a pending
 * "verify" one (428 mfa_required). */
gh_status gh_webauthn_register_begin(gh_ctx *ctx, json_t **out);
/* Verifies the authenticator's answer and stores the credential (name:
 * 1..100 characters, default "Passkey"). Audited mfa.webauthn_added. For a
 * pending "enrol" session this completes the forced enrolment
 * (gh_mfa_enrolment_complete: recovery codes and the full session in
 * enrolled). */
gh_status gh_webauthn_register_finish(gh_ctx *ctx, const char *name, const char *client_data, const char *att_obj,
                                      json_t **out, gh_mfa_result *res);
/* Options for navigator.credentials.get (publicKey member) for the acting
 * person's credentials; 409 mfa_not_enrolled when they have none. */
gh_status gh_webauthn_assert_begin(gh_ctx *ctx, json_t **out);
/* Inside an open transaction: checks an assertion by the acting person
 * (base64url fields) and moves the counter. 400 webauthn_invalid (field
 * says which part) or 403 webauthn_counter_regression when refused. */
gh_status gh_webauthn_assert_check(gh_ctx *ctx, const char *cred_id, const char *client_data, const char *auth_data,
                                   const char *sig);

/* One's own credentials: list, rename, remove (audited). */
gh_status gh_webauthn_list(gh_ctx *ctx, json_t **out);
gh_status gh_webauthn_rename(gh_ctx *ctx, const char *id, const char *name);
gh_status gh_webauthn_remove(gh_ctx *ctx, const char *id);

#endif
