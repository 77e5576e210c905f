/* ID token verification with libcjose: see idtoken.h. */
#include "core/idtoken.h"

#include <cjose/cjose.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *gh_idtoken_reason(gh_idt_result r)
{
    switch (r) {
    case GH_IDT_OK: return "ok";
    case GH_IDT_MALFORMED: return "token_malformed";
    case GH_IDT_ALG: return "algorithm_refused";
    case GH_IDT_UNKNOWN_KID: return "unknown_kid";
    case GH_IDT_SIGNATURE: return "signature_invalid";
    case GH_IDT_ISSUER: return "issuer_mismatch";
    case GH_IDT_AUDIENCE: return "audience_mismatch";
    case GH_IDT_AZP: return "azp_mismatch";
    case GH_IDT_EXPIRED: return "token_expired";
    case GH_IDT_CLOCK_SKEW: return "clock_skew";
    case GH_IDT_NONCE: return "nonce_mismatch";
    case GH_IDT_SUBJECT: return "subject_missing";
    case GH_IDT_AUTH_TIME: return "not_reauthenticated";
    }
    return "invalid";
}

__attribute__((format(printf, 4, 5)))
static gh_idt_result fail(gh_idt_result r, char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cap > 0) vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return r;
}

/* The key type an accepted algorithm needs; NULL for any other algorithm. */
static const char *kty_for_alg(const char *alg)
{
    if (!alg) return NULL;
    if (strcmp(alg, "RS256") == 0 || strcmp(alg, "PS256") == 0) return "RSA";
    if (strcmp(alg, "ES256") == 0) return "EC";
    return NULL;
}

/* Does this JWKS entry suit a token signed with alg (kid NULL: any kid)? */
static bool key_fits(const json_t *k, const char *alg, const char *kid)
{
    const char *kty = json_string_value(json_object_get(k, "kty"));
    const char *use = json_string_value(json_object_get(k, "use"));
    const char *kalg = json_string_value(json_object_get(k, "alg"));
    const char *kkid = json_string_value(json_object_get(k, "kid"));
    if (!kty || strcmp(kty, kty_for_alg(alg)) != 0) return false;
    if (use && strcmp(use, "sig") != 0) return false;
    if (kalg && strcmp(kalg, alg) != 0) return false;
    if (strcmp(kty, "EC") == 0) {
        const char *crv = json_string_value(json_object_get(k, "crv"));
        if (!crv || strcmp(crv, "P-256") != 0) return false;
    }
    if (kid && (!kkid || strcmp(kkid, kid) != 0)) return false;
    return true;
}

static bool aud_has(const json_t *aud, const char *client_id, size_t *count)
{
    *count = 0;
    if (json_is_string(aud)) {
        *count = 1;
        return strcmp(json_string_value(aud), client_id) == 0;
    }
    bool found = false;
    size_t i;
    const json_t *a;
    json_array_foreach(aud, i, a) {
        (*count)++;
        if (json_is_string(a) && strcmp(json_string_value(a), client_id) == 0) found = true;
    }
    return found;
}

static bool int_claim(const json_t *c, const char *name, int64_t *v)
{
    const json_t *x = json_object_get(c, name);
    if (json_is_integer(x)) { *v = json_integer_value(x); return true; }
    if (json_is_real(x)) {
        double d = json_real_value(x);
        if (d < -9.0e15 || d > 9.0e15) return false;
        *v = (int64_t)d;
        return true;
    }
    return false;
}

gh_idt_result gh_idtoken_verify(const char *token, const char *jwks_json, const gh_idtoken_expect *e,
                                json_t **claims, char *why, size_t cap)
{
    gh_idt_result r = GH_IDT_MALFORMED;
    cjose_err cerr;
    cjose_jws_t *jws = NULL;
    cjose_jwk_t *jwk = NULL;
    json_t *keys = NULL, *c = NULL;
    char *kjson = NULL;
    *claims = NULL;
    int64_t skew = e->skew_s > 0 ? e->skew_s : GH_IDTOKEN_SKEW_S;
    size_t tlen = token ? strlen(token) : 0;
    if (tlen == 0 || tlen > GH_IDTOKEN_MAX) {
        r = fail(GH_IDT_MALFORMED, why, cap, "the ID token is missing or longer than %d bytes", GH_IDTOKEN_MAX);
        goto out;
    }
    jws = cjose_jws_import(token, tlen, &cerr);
    if (!jws) {
        r = fail(GH_IDT_MALFORMED, why, cap, "the ID token is not a signed JWT");
        goto out;
    }
    cjose_header_t *hdr = cjose_jws_get_protected(jws);
    const char *alg = hdr ? cjose_header_get(hdr, CJOSE_HDR_ALG, &cerr) : NULL;
    const char *kid = hdr ? cjose_header_get(hdr, CJOSE_HDR_KID, &cerr) : NULL;
    if (!kty_for_alg(alg)) {
        r = fail(GH_IDT_ALG, why, cap, "the ID token is signed with %s; gatehouse accepts RS256, PS256 and ES256 only",
                 alg ? alg : "no algorithm");
        goto out;
    }
    json_error_t je;
    keys = json_loads(jwks_json ? jwks_json : "", JSON_REJECT_DUPLICATES, &je);
    const json_t *list = json_object_get(keys, "keys");
    const json_t *pick = NULL;
    size_t i, fits = 0;
    const json_t *k;
    json_array_foreach(list, i, k) {
        if (!key_fits(k, alg, kid)) continue;
        fits++;
        pick = k;
    }
    if (fits != 1) {
        r = fail(GH_IDT_UNKNOWN_KID, why, cap,
                 fits == 0 ? "the IdP's key set has no %s key with kid \"%s\"" : "the IdP's key set has several %s keys for kid \"%s\"",
                 alg, kid ? kid : "(none)");
        goto out;
    }
    kjson = json_dumps(pick, JSON_COMPACT);
    jwk = kjson ? cjose_jwk_import(kjson, strlen(kjson), &cerr) : NULL;
    if (!jwk) {
        r = fail(GH_IDT_UNKNOWN_KID, why, cap, "the IdP's key \"%s\" cannot be read", kid ? kid : "(none)");
        goto out;
    }
    if (!cjose_jws_verify(jws, jwk, &cerr)) {
        r = fail(GH_IDT_SIGNATURE, why, cap, "the ID token's signature does not verify with the IdP's key \"%s\"",
                 kid ? kid : "(none)");
        goto out;
    }
    uint8_t *plain = NULL;
    size_t plen = 0;
    if (!cjose_jws_get_plaintext(jws, &plain, &plen, &cerr)) {
        r = fail(GH_IDT_MALFORMED, why, cap, "the ID token has no payload");
        goto out;
    }
    c = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(c)) {
        r = fail(GH_IDT_MALFORMED, why, cap, "the ID token's payload is not a JSON object");
        goto out;
    }
    const char *iss = json_string_value(json_object_get(c, "iss"));
    if (!iss || strcmp(iss, e->issuer) != 0) {
        r = fail(GH_IDT_ISSUER, why, cap, "the ID token was issued by %s, not by the configured issuer %s",
                 iss ? iss : "nobody", e->issuer);
        goto out;
    }
    size_t naud = 0;
    if (!aud_has(json_object_get(c, "aud"), e->client_id, &naud)) {
        r = fail(GH_IDT_AUDIENCE, why, cap, "the ID token is meant for another client, not %s (check the client id)",
                 e->client_id);
        goto out;
    }
    const char *azp = json_string_value(json_object_get(c, "azp"));
    if ((azp && strcmp(azp, e->client_id) != 0) || (naud > 1 && !azp)) {
        r = fail(GH_IDT_AZP, why, cap, "the ID token was issued to %s, not to %s", azp ? azp : "an unnamed party",
                 e->client_id);
        goto out;
    }
    int64_t exp = 0, iat = 0;
    if (!int_claim(c, "exp", &exp) || e->now > exp + skew) {
        r = fail(GH_IDT_EXPIRED, why, cap, "the ID token has expired (check the clocks of gatehouse and the IdP)");
        goto out;
    }
    if (!int_claim(c, "iat", &iat) || iat > e->now + skew) {
        r = fail(GH_IDT_CLOCK_SKEW, why, cap,
                 "the ID token was issued %lld s in the future: the clocks of gatehouse and the IdP differ",
                 (long long)(iat - e->now));
        goto out;
    }
    const char *nonce = json_string_value(json_object_get(c, "nonce"));
    size_t nl = nonce ? strlen(nonce) : 0;
    if (!nonce || !e->nonce || nl != strlen(e->nonce) || sodium_memcmp(nonce, e->nonce, nl) != 0) {
        r = fail(GH_IDT_NONCE, why, cap, "the ID token does not answer this sign-in (nonce mismatch)");
        goto out;
    }
    const char *sub = json_string_value(json_object_get(c, "sub"));
    if (!sub || !*sub || strlen(sub) > 255) {
        r = fail(GH_IDT_SUBJECT, why, cap, "the ID token names no subject");
        goto out;
    }
    if (e->reauth) {
        int64_t at = 0;
        if (!int_claim(c, "auth_time", &at) || at + skew < e->requested_at) {
            r = fail(GH_IDT_AUTH_TIME, why, cap, "the IdP did not sign the person in again (auth_time)");
            goto out;
        }
    }
    *claims = c;
    c = NULL;
    r = GH_IDT_OK;
out:
    free(kjson);
    json_decref(c);
    json_decref(keys);
    if (jwk) cjose_jwk_release(jwk);
    if (jws) cjose_jws_release(jws);
    return r;
}
