/*
 * OpenID Connect ID token verification (issue 16), with Debian's libcjose
 * (Debian's libjwt 1.10 lacks PS256 and JWKS import). Pure: the caller
 * brings the token, the IdP's JWKS (as fetched) and what it expects; no
 * network, no database, no clock of its own.
 *
 * Accepted: RS256, PS256 (RSA keys) and ES256 (P-256 keys) only. `none`,
 * every HMAC (HS*, the "public key as shared secret" attack) and any
 * algorithm that does not fit the key's type (or the key's own `alg`) are
 * refused before cjose sees the key. The key is picked by `kid` (a token
 * without `kid` needs a JWKS with exactly one usable key). Then: `iss`
 * exactly, `aud` holds the client id (more than one audience needs
 * `azp`), `azp` if present is the client id, `exp` and `iat` within the
 * allowed clock skew, `nonce` equal (constant time), `sub` present, and for
 * a re-authentication `auth_time` not before the request (max_age=0).
 *
 * GH_IDT_UNKNOWN_KID tells the caller to fetch the JWKS again (the IdP
 * rotated its keys) and verify once more; a second miss is a failure.
 */
#ifndef GH_IDTOKEN_H
#define GH_IDTOKEN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_IDTOKEN_MAX (16 * 1024)
#define GH_IDTOKEN_SKEW_S 120

typedef struct gh_idtoken_expect {
    const char *issuer;     /* exactly as configured */
    const char *client_id;
    const char *nonce;      /* the nonce sent with the authorization request */
    int64_t now;            /* gh_now() */
    int64_t skew_s;         /* allowed clock difference; 0 = GH_IDTOKEN_SKEW_S */
    bool reauth;            /* max_age=0 was sent: auth_time must be >= requested_at - skew */
    int64_t requested_at;   /* when the authorization request was made */
} gh_idtoken_expect;

typedef enum gh_idt_result {
    GH_IDT_OK = 0,
    GH_IDT_MALFORMED,       /* not a compact JWS, payload not a JSON object, too long */
    GH_IDT_ALG,             /* none, HMAC, or an algorithm that does not fit the key */
    GH_IDT_UNKNOWN_KID,     /* no key in the JWKS for it: refetch the JWKS once */
    GH_IDT_SIGNATURE,       /* the signature does not verify */
    GH_IDT_ISSUER,
    GH_IDT_AUDIENCE,
    GH_IDT_AZP,
    GH_IDT_EXPIRED,
    GH_IDT_CLOCK_SKEW,      /* iat in the future beyond the skew */
    GH_IDT_NONCE,
    GH_IDT_SUBJECT,
    GH_IDT_AUTH_TIME,       /* re-authentication: the IdP did not sign the person in again */
} gh_idt_result;

/* Verifies token against jwks_json (the JWKS document's text). On
 * GH_IDT_OK *claims is the payload (new reference); otherwise NULL and why
 * holds a sentence for an IT administrator. */
gh_idt_result gh_idtoken_verify(const char *token, const char *jwks_json, const gh_idtoken_expect *e,
                                json_t **claims, char *why, size_t cap);
/* The stable reason for audit events and problem codes ("unknown_kid",
 * "audience_mismatch", "token_expired", ...). */
const char *gh_idtoken_reason(gh_idt_result r);
#endif
