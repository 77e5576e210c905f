/*
 * Second factors (issue 20): the second step of sign-in and the factors
 * that complete it. Factor kinds: "totp" (core/totp.h), "recovery_code" and
 * "webauthn" (passkeys and security keys, core/webauthn.h; any registered
 * one makes sign-in ask for a factor).
 *
 * The second step: a sign-in (password or SSO) that has passed its first
 * step asks gh_mfa_signin_step, inside the transaction that opens the
 * session, what is still due:
 *   ""        nothing: a full session;
 *   "verify"  the person has a factor: it must be given;
 *   "enrol"   the org's policy requires a factor the person does not have
 *             yet: one must be set up first.
 * When something is due the session is opened *pending* (sessions.mfa_pending,
 * ten minutes, gh_session_open_pending). The dispatcher lets a pending
 * session call only the routes flagged GH_R_MFA_STEP (who am I, sign out,
 * the factor routes); a pending "verify" session can only give a factor,
 * never enrol one. Completing the step (gh_mfa_verify, or gh_mfa_totp_confirm
 * for "enrol") deletes the pending session and opens a full one with new
 * tokens, so nothing learnt during the first step carries over.
 *
 * Policy per org (org_mfa): optional; privileged (people who hold
 * users.manage or it.operations must have a factor); all office users. SSO
 * counts as the second factor when the org says so and the IdP asserted it
 * (amr contains "mfa", or acr equals the configured value).
 *
 * Guessing: every code check (sign-in, confirmation, removal, regeneration)
 * reserves one attempt on the throttle key "mfa:<org>:<user>" (core/throttle.h):
 * checks for one person run one at a time, the first five failures are free,
 * then each waits a growing pause (429 too_many_attempts). Every success and
 * failure is audited. A code is accepted once: TOTP steps only move forward
 * (stored last step, compared in the same UPDATE), a recovery code is marked
 * used by an UPDATE ... WHERE used_at = 0, so of two concurrent uses exactly
 * one wins.
 */
#ifndef GH_MFA_H
#define GH_MFA_H
#include <jansson.h>
#include <stdbool.h>

#include "core/ctx.h"
#include "store/store.h"

#define GH_MFA_PENDING_S 600          /* lifetime of a pending session */
#define GH_MFA_RECOVERY_N 10          /* recovery codes per person */
#define GH_MFA_RECOVERY_LEN 19        /* "xxxx-xxxx-xxxx-xxxx": 16 x 5 bits */
#define GH_MFA_FREE_FAILURES 5

/* Inside the transaction that opens a sign-in's session: what is still due
 * for u ("", "verify" or "enrol" into pending). idp_claims: the ID token's
 * claims of an SSO sign-in (NULL for a password). */
gh_status gh_mfa_signin_step(gh_ctx *ctx, const gh_org *o, const gh_user *u, const json_t *idp_claims,
                             char pending[8]);

/* Whatever a factor operation hands back. */
typedef struct gh_mfa_result {
    /* recovery codes, shown once (confirmation of a first factor, regeneration) */
    char codes[GH_MFA_RECOVERY_N][GH_MFA_RECOVERY_LEN + 1];
    int ncodes;
    /* the full session that replaced a pending one */
    bool session_opened;
    char token[GH_TOKEN_LEN + 1];
    char csrf[GH_TOKEN_LEN + 1];
    gh_session session;
    gh_user user;
} gh_mfa_result;
/* Wipes the codes and tokens. */
void gh_mfa_result_wipe(gh_mfa_result *r);

/* The second step of a pending "verify" session: a TOTP code or a recovery
 * code (exactly one). Opens the full session into res. */
gh_status gh_mfa_verify(gh_ctx *ctx, const char *code, const char *recovery_code, gh_mfa_result *res);

/* The second step with a passkey or security key (core/webauthn.h): an
 * assertion over the challenge of POST /v1/auth/mfa/webauthn/options.
 * Throttled and audited like a code; a refused answer still uses up its
 * challenge; a sign counter that went backwards is refused (403
 * webauthn_counter_regression) and audited auth.mfa_failed. */
gh_status gh_mfa_verify_webauthn(gh_ctx *ctx, const char *cred_id, const char *client_data, const char *auth_data,
                                 const char *sig, gh_mfa_result *res);

/* Inside the transaction that stored a new factor of the acting person:
 * when the session is a pending "enrol" one, issues recovery codes (if the
 * person has none) and replaces the session with a full one (both in res);
 * nothing otherwise. */
gh_status gh_mfa_enrolment_complete(gh_ctx *ctx, const char *factor, gh_mfa_result *res);
/* TOTP enrolment for the acting person: a new secret (any earlier
 * unconfirmed one is dropped); 409 mfa_already_enrolled when a confirmed one
 * exists. uri, secret and svg are malloc'd for the caller (wipe and free). */
typedef struct gh_mfa_enrolment {
    char *uri, *secret, *qr_svg;
} gh_mfa_enrolment;
void gh_mfa_enrolment_free(gh_mfa_enrolment *e);
gh_status gh_mfa_totp_begin(gh_ctx *ctx, gh_mfa_enrolment *out);
/* Confirms the enrolment with its first code; res gets ten recovery codes
 * and, for a pending "enrol" session, the full session. */
gh_status gh_mfa_totp_confirm(gh_ctx *ctx, const char *code, gh_mfa_result *res);
/* Removes one's TOTP factor (and recovery codes), proven by a current code. */
gh_status gh_mfa_totp_remove(gh_ctx *ctx, const char *code);
/* New recovery codes (the old ones stop working), proven by a current code. */
gh_status gh_mfa_recovery_regenerate(gh_ctx *ctx, const char *code, gh_mfa_result *res);
/* Re-authentication's second factor, inside nothing: when the acting person
 * has a TOTP factor, `code` must be a current one (400 otp_required when
 * missing). Throttled and audited like the sign-in step. */
gh_status gh_mfa_reauth_check(gh_ctx *ctx, const char *code, const char *field);
/* Re-authentication's second factor with a passkey or security key: an
 * assertion over the challenge of POST /v1/me/reauth/webauthn/options.
 * Same throttle and audit as a code (auth.mfa_verified / auth.mfa_failed,
 * purpose reauth); a refused answer uses up its challenge; 400
 * webauthn_invalid, 403 webauthn_counter_regression. */
gh_status gh_mfa_reauth_check_webauthn(gh_ctx *ctx, const char *cred_id, const char *client_data,
                                       const char *auth_data, const char *sig);
/* Re-authentication's second factor, whichever the person gives: a passkey
 * assertion (webauthn: {id, client_data, authenticator_data, signature},
 * shape already checked) or a TOTP code. With `must`, a person with a
 * factor has to give one (400 otp_required on otp_field when they have
 * TOTP, else webauthn_required on wa_field when they have a passkey);
 * without, only what is given is checked. *kind: "passkey", "otp" or ""
 * (nothing given and nothing due). */
gh_status gh_mfa_reauth_factor(gh_ctx *ctx, const char *otp, const char *otp_field, const json_t *webauthn,
                               const char *wa_field, bool must, const char **kind);

/* {factors: [...], totp, recovery_codes_left, required} for a person of the
 * acting org (never a secret). */
gh_status gh_mfa_status(gh_ctx *ctx, const char *user_id, json_t **out);
/* An administrator (users.manage, not below the person: gh_guard_target)
 * removes every factor and recovery code of someone else: audited and
 * mailed to the person. */
gh_status gh_mfa_reset(gh_ctx *ctx, const char *user_id);

/* The org's policy as JSON {policy, sso_counts_as_mfa, sso_acr, updated_at}. */
gh_status gh_mfa_policy_get(gh_ctx *ctx, json_t **out);
/* Sets it (it.operations; audited org.mfa_policy_changed). NULL leaves a
 * value as it is. */
gh_status gh_mfa_policy_set(gh_ctx *ctx, const char *policy, const json_t *sso_counts, const char *sso_acr,
                            json_t **out);

/* Whether an IdP's claims count as the second factor in the org: its
 * policy says SSO counts (sso_counts_as_mfa) and the IdP asserted MFA
 * (gh_mfa_idp_asserted with the org's sso_acr). */
gh_status gh_mfa_idp_counts(gh_ctx *ctx, const char *org_id, const json_t *claims, bool *counts);
/* ---- pure parts (unit-tested) ------------------------------------------------ */
/* Whether the policy requires a factor of someone holding (or not) users.manage
 * or it.operations. */
bool gh_mfa_policy_requires(const char *policy, bool privileged);
/* Whether an IdP's claims assert MFA: amr contains "mfa", or acr equals acr
 * (when acr is not ""). */
bool gh_mfa_idp_asserted(const json_t *claims, const char *acr);
/* Normalises a typed recovery code (dashes and spaces dropped, lower case)
 * into out (17 bytes); false when it cannot be one. */
bool gh_mfa_recovery_normalise(const char *in, char out[17]);

#endif
