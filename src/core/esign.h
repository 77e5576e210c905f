/*
 * Electronic signatures (21 CFR Part 11 style; docs/esignatures.md).
 *
 * An account may sign once someone holding users.manage has enabled its
 * e-signature (gh_esign_set; audited, guard rules as for any change to a
 * person). A signature is made with the signer's own credentials given in
 * the signing request itself, never with the session alone: the password
 * (proven through core/reauth.h, so throttled and audited like every
 * re-authentication) and, when the signer has a second factor, a current
 * code or passkey assertion (core/mfa.h); or badge and PIN at an enrolled
 * kiosk device (core/kiosk.h gh_kiosk_prove_*); or the signer's fresh SSO
 * re-authentication (core/oidc.h), with the IdP's MFA where a second factor
 * is due. Signing on behalf of another person (whose
 * e-signature must be enabled too) needs qc.inspections.manage and records
 * both; the signature is always the signer's.
 *
 * Each organization's signatures form a chain: a signature's hash is the
 * SHA-256 of its previous one's hash and every field of its own (each
 * length-prefixed, so no two different records serialize alike); seq counts
 * 1, 2, 3 without gaps, and the newest (seq, hash) is also kept beside the
 * rows (signature_heads), so editing a row, deleting one in the middle or
 * deleting the newest all break verification (gh_esign_verify, CLI
 * `gatehouse signatures verify`). The chain is extended inside the write
 * transaction (BEGIN IMMEDIATE), so concurrent signatures line up.
 */
#ifndef GH_ESIGN_H
#define GH_ESIGN_H
#include <jansson.h>
#include <stdbool.h>

#include "core/ctx.h"
#include "core/reauth.h"
#include "store/esign.h"

typedef struct gh_esign_req {
    const char *record_type, *record_ref, *content_hash, *meaning, *on_behalf_of;
} gh_esign_req;

/* What proved the signer, checked before gh_esign_sign's transaction and
 * re-checked inside it against the signer's row as it is then. */
typedef enum gh_esign_proof_kind {
    GH_ESIGN_PASSWORD,   /* hash: the password hash verified (gh_reauth) */
    GH_ESIGN_PIN,        /* hash: the PIN hash verified (gh_kiosk_prove_*) */
    GH_ESIGN_SSO,        /* the signer's SSO re-authentication for "esignature",
                          * taken in the transaction (gh_oidc_reauth_consume) */
} gh_esign_proof_kind;
#define GH_ESIGN_SSO_MAX_AGE_S 300   /* how fresh an SSO re-authentication must be */
typedef struct gh_esign_proof {
    gh_esign_proof_kind kind;
    const char *hash;
    const char *field;       /* the request field of the password */
    const char *method;      /* recorded: "password", "password+otp", "badge+pin", "sso",
                              * "sso+otp" ("sso+mfa" when the IdP's MFA counted) */
    const char *device_id;   /* badge+pin: the enrolled kiosk device (audited) */
    bool need_idp_mfa;       /* sso: a second factor is due and no code was given, so the
                              * IdP's MFA must have counted (403 sso_mfa_not_asserted) */
} gh_esign_proof;

/* Shape of a request (400 with the field at fault): record_type and
 * record_ref 1..200 printable characters, meaning one of the known ones,
 * content_hash up to 200 characters of [A-Za-z0-9:+/=_-]. */
gh_status gh_esign_validate(gh_ctx *ctx, const gh_esign_req *req);
/* Before the password is verified: the acting person must be an office
 * user whose e-signature is enabled (403 esign_not_enabled). */
gh_status gh_esign_precheck(gh_ctx *ctx);
/* After the signer (the acting user) was proven by p: appends the
 * signature in one transaction with its audit event, once the proof still
 * matches the signer's row (409 password_changed / pin_changed), the
 * signer is active and enabled, and on_behalf_of passes its rules;
 * *out is its JSON. */
gh_status gh_esign_sign(gh_ctx *ctx, const gh_esign_proof *p, const gh_esign_req *req, json_t **out);
/* The org's signatures on record_ref (NULL: all), oldest first. */
gh_status gh_esign_list(gh_ctx *ctx, const char *record_ref, json_t **out);
/* {seq, hash} of the org's chain head (administrators). */
gh_status gh_esign_head(gh_ctx *ctx, json_t **out);
/* users.manage enables or disables a person's e-signature. */
gh_status gh_esign_set(gh_ctx *ctx, const char *user_id, bool enabled, json_t **out);
/* Whether the person's e-signature is enabled (for their page). */
gh_status gh_esign_get(gh_ctx *ctx, const char *user_id, json_t **out);

/* Verification of an organization's chain (no actor needed). ok false:
 * broken_seq is the first signature (by position) that does not verify and
 * reason says why ("hash", "link", "gap", "head"). */
typedef struct gh_esign_verdict {
    bool ok;
    int64_t count;
    int64_t head_seq;
    char head_hash[GH_SIG_HASH_HEX];
    int64_t broken_seq;
    char broken_id[GH_ID_MAX];
    const char *reason;
} gh_esign_verdict;
gh_status gh_esign_verify(gh_db *db, const char *org_id, gh_esign_verdict *v, gh_err *err);

/* ---- pure (unit-tested) ---- */
/* The chain hash of s (over s->prev_hash and every other field but hash). */
void gh_esign_link_hash(const gh_signature *s, char out[GH_SIG_HASH_HEX]);
bool gh_esign_meaning_ok(const char *meaning);

#endif
