/* Unit tests for src/core/idtoken.c: ID tokens signed by real keys (cjose),
 * and every refusal: none, HMAC, tampering, unknown kid, iss, aud, azp,
 * exp, iat skew, nonce, sub, auth_time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjose/cjose.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/idtoken.h"

#define ISS "https://idp.example.com/realms/acme"
#define NOW 1800000000

static cjose_jwk_t *rsa, *ec;
static char jwks[8192];

static int setup(void **state)
{
    (void)state;
    cjose_err err;
    static const uint8_t e[] = {1, 0, 1};
    if (sodium_init() < 0) return -1;
    rsa = cjose_jwk_create_RSA_random(2048, e, sizeof e, &err);
    ec = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
    if (!rsa || !ec) return -1;
    cjose_jwk_set_kid(rsa, "rsa1", 4, &err);
    cjose_jwk_set_kid(ec, "ec1", 3, &err);
    char *a = cjose_jwk_to_json(rsa, false, &err), *b = cjose_jwk_to_json(ec, false, &err);
    snprintf(jwks, sizeof jwks, "{\"keys\":[%s,%s]}", a, b);
    free(a);
    free(b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cjose_jwk_release(rsa);
    cjose_jwk_release(ec);
    return 0;
}

static json_t *claims_ok(void)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:I}", "iss", ISS, "sub", "248289761001", "aud", "gatehouse",
                     "exp", (json_int_t)NOW + 300, "iat", (json_int_t)NOW - 5, "nonce", "n-0S6_WzA2Mj",
                     "auth_time", (json_int_t)NOW - 10);
}

/* Signs claims (stolen) with key under alg and kid; malloc'd compact JWS. */
static char *sign(cjose_jwk_t *key, const char *alg, const char *kid, json_t *claims)
{
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    cjose_header_set(h, CJOSE_HDR_ALG, alg, &err);
    if (kid) cjose_header_set(h, CJOSE_HDR_KID, kid, &err);
    char *payload = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    cjose_jws_t *jws = cjose_jws_sign(key, h, (const uint8_t *)payload, strlen(payload), &err);
    assert_non_null(jws);
    const char *ser = NULL;
    assert_true(cjose_jws_export(jws, &ser, &err));
    char *out = strdup(ser);
    cjose_jws_release(jws);
    cjose_header_release(h);
    free(payload);
    return out;
}

static gh_idt_result verify(const char *token, const char *set, gh_idtoken_expect *e)
{
    json_t *c = NULL;
    char why[300] = "";
    gh_idt_result r = gh_idtoken_verify(token, set, e, &c, why, sizeof why);
    if (r == GH_IDT_OK) assert_non_null(c);
    else {
        assert_null(c);
        assert_true(why[0] != '\0');
    }
    json_decref(c);
    return r;
}

static gh_idtoken_expect expect(void)
{
    return (gh_idtoken_expect){.issuer = ISS, .client_id = "gatehouse", .nonce = "n-0S6_WzA2Mj", .now = NOW};
}

static void accepts_rs256_ps256_es256(void **state)
{
    (void)state;
    gh_idtoken_expect e = expect();
    char *t = sign(rsa, "RS256", "rsa1", claims_ok());
    assert_int_equal(verify(t, jwks, &e), GH_IDT_OK);
    free(t);
    t = sign(rsa, "PS256", "rsa1", claims_ok());
    assert_int_equal(verify(t, jwks, &e), GH_IDT_OK);
    free(t);
    t = sign(ec, "ES256", "ec1", claims_ok());
    assert_int_equal(verify(t, jwks, &e), GH_IDT_OK);
    free(t);
    /* aud as an array with azp */
    json_t *c = claims_ok();
    json_object_set_new(c, "aud", json_pack("[s, s]", "gatehouse", "other"));
    json_object_set_new(c, "azp", json_string("gatehouse"));
    t = sign(rsa, "RS256", "rsa1", c);
    assert_int_equal(verify(t, jwks, &e), GH_IDT_OK);
    free(t);
}

static char *b64(const char *s)
{
    size_t n = strlen(s), cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);
    sodium_bin2base64(out, cap, (const unsigned char *)s, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static void refuses_none_and_hmac(void **state)
{
    (void)state;
    gh_idtoken_expect e = expect();
    json_t *c = claims_ok();
    char *payload = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    char *h = b64("{\"alg\":\"none\",\"kid\":\"rsa1\"}"), *p = b64(payload), tok[4096];
    snprintf(tok, sizeof tok, "%s.%s.", h, p);
    assert_int_equal(verify(tok, jwks, &e), GH_IDT_ALG);
    free(h);
    /* HS256 with the RSA public key's JSON as the shared secret */
    cjose_err err;
    char *pub = cjose_jwk_to_json(rsa, false, &err);
    cjose_jwk_t *oct = cjose_jwk_create_oct_spec((const uint8_t *)pub, strlen(pub), &err);
    char *t = sign(oct, "HS256", "rsa1", claims_ok());
    assert_int_equal(verify(t, jwks, &e), GH_IDT_ALG);
    free(t);
    /* RS256 header on an EC key id: no key fits */
    t = sign(ec, "ES256", "rsa1", claims_ok());
    assert_int_equal(verify(t, jwks, &e), GH_IDT_UNKNOWN_KID);
    free(t);
    cjose_jwk_release(oct);
    free(pub);
    free(p);
    free(payload);
    assert_int_equal(verify("not.a.jwt", jwks, &e), GH_IDT_MALFORMED);
    assert_int_equal(verify("", jwks, &e), GH_IDT_MALFORMED);
}

static void refuses_tampering_and_unknown_kid(void **state)
{
    (void)state;
    gh_idtoken_expect e = expect();
    char *t = sign(rsa, "RS256", "rsa1", claims_ok());
    /* change one character of the payload */
    char *dot = strchr(t, '.');
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(t, jwks, &e), GH_IDT_SIGNATURE);
    free(t);
    t = sign(rsa, "RS256", "rotated", claims_ok());
    assert_int_equal(verify(t, jwks, &e), GH_IDT_UNKNOWN_KID);
    assert_int_equal(verify(t, "{\"keys\":[]}", &e), GH_IDT_UNKNOWN_KID);
    assert_int_equal(verify(t, "not json", &e), GH_IDT_UNKNOWN_KID);
    free(t);
    /* signed by a key the IdP does not publish, under its kid */
    cjose_err err;
    static const uint8_t ex[] = {1, 0, 1};
    cjose_jwk_t *other = cjose_jwk_create_RSA_random(2048, ex, sizeof ex, &err);
    t = sign(other, "RS256", "rsa1", claims_ok());
    assert_int_equal(verify(t, jwks, &e), GH_IDT_SIGNATURE);
    free(t);
    cjose_jwk_release(other);
}

static void checks_claims(void **state)
{
    (void)state;
    gh_idtoken_expect e = expect();
    struct { const char *key; json_t *value; gh_idt_result want; } cases[] = {
        {"iss", json_string("https://evil.example.com"), GH_IDT_ISSUER},
        {"iss", json_string(ISS "/"), GH_IDT_ISSUER},
        {"aud", json_string("someone-else"), GH_IDT_AUDIENCE},
        {"aud", json_pack("[s]", "someone-else"), GH_IDT_AUDIENCE},
        {"aud", json_pack("[s, s]", "gatehouse", "other"), GH_IDT_AZP}, /* several audiences need azp */
        {"azp", json_string("other"), GH_IDT_AZP},
        {"exp", json_integer(NOW - 121), GH_IDT_EXPIRED},
        {"exp", json_string("tomorrow"), GH_IDT_EXPIRED},
        {"iat", json_integer(NOW + 121), GH_IDT_CLOCK_SKEW},
        {"nonce", json_string("n-0S6_WzA2Mk"), GH_IDT_NONCE},
        {"nonce", json_integer(1), GH_IDT_NONCE},
        {"sub", json_string(""), GH_IDT_SUBJECT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *c = claims_ok();
        json_object_set_new(c, cases[i].key, cases[i].value);
        char *t = sign(rsa, "RS256", "rsa1", c);
        assert_int_equal(verify(t, jwks, &e), cases[i].want);
        free(t);
    }
    /* within the skew is fine */
    json_t *c = claims_ok();
    json_object_set_new(c, "exp", json_integer(NOW - 100));
    json_object_set_new(c, "iat", json_integer(NOW + 100));
    char *t = sign(rsa, "RS256", "rsa1", c);
    assert_int_equal(verify(t, jwks, &e), GH_IDT_OK);
    free(t);
    /* missing nonce claim, or no nonce expected */
    c = claims_ok();
    json_object_del(c, "nonce");
    t = sign(rsa, "RS256", "rsa1", c);
    assert_int_equal(verify(t, jwks, &e), GH_IDT_NONCE);
    free(t);
    assert_string_equal(gh_idtoken_reason(GH_IDT_AUDIENCE), "audience_mismatch");
    assert_string_equal(gh_idtoken_reason(GH_IDT_UNKNOWN_KID), "unknown_kid");
}

static void reauthentication_needs_fresh_auth_time(void **state)
{
    (void)state;
    gh_idtoken_expect e = expect();
    e.reauth = true;
    e.requested_at = NOW - 5; /* auth_time NOW - 10 is within the skew */
    char *t = sign(rsa, "RS256", "rsa1", claims_ok());
    assert_int_equal(verify(t, jwks, &e), GH_IDT_OK);
    e.requested_at = NOW + 200; /* signed in long before the request */
    assert_int_equal(verify(t, jwks, &e), GH_IDT_AUTH_TIME);
    free(t);
    json_t *c = claims_ok();
    json_object_del(c, "auth_time");
    t = sign(rsa, "RS256", "rsa1", c);
    e.requested_at = NOW - 5;
    assert_int_equal(verify(t, jwks, &e), GH_IDT_AUTH_TIME);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_rs256_ps256_es256),
        cmocka_unit_test(refuses_none_and_hmac),
        cmocka_unit_test(refuses_tampering_and_unknown_kid),
        cmocka_unit_test(checks_claims),
        cmocka_unit_test(reauthentication_needs_fresh_auth_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
