/* Unit tests for src/core/totp.c and the pure parts of src/core/mfa.c:
 * RFC 6238 vectors, the +-1 step window and its edges, reuse of a step,
 * recovery-code input, the policy rule and the IdP's MFA assertion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/mfa.h"
#include "core/totp.h"

static const unsigned char RFC_SECRET[] = "12345678901234567890"; /* RFC 6238 appendix B, SHA-1 */
#define RFC_LEN 20

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void rfc6238_vectors(void **state)
{
    (void)state;
    /* The RFC's 8-digit values, last 6 digits (what 6-digit apps show). */
    static const struct { int64_t t; const char *code; } v[] = {
        {59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
        {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
    };
    char out[GH_TOTP_DIGITS + 1];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        assert_int_equal(gh_totp_code(RFC_SECRET, RFC_LEN, gh_totp_step(v[i].t), out), 0);
        assert_string_equal(out, v[i].code);
    }
}

static void window_is_one_step_each_side(void **state)
{
    (void)state;
    const int64_t now = 1111111111; /* step 37037037, 1 s into it */
    int64_t step = gh_totp_step(now), matched;
    char c[GH_TOTP_DIGITS + 1];
    for (int64_t d = -1; d <= 1; d++) {
        assert_int_equal(gh_totp_code(RFC_SECRET, RFC_LEN, step + d, c), 0);
        assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, now, c, 0, &matched), GH_TOTP_OK);
        assert_int_equal(matched, step + d);
    }
    for (int64_t d = -3; d <= 3; d += 6) {
        assert_int_equal(gh_totp_code(RFC_SECRET, RFC_LEN, step + (d < 0 ? -2 : 2), c), 0);
        assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, now, c, 0, &matched), GH_TOTP_WRONG);
    }
}

static void window_edges(void **state)
{
    (void)state;
    char c[GH_TOTP_DIGITS + 1];
    int64_t matched;
    const int64_t k = 40000000; /* a step; its first second is 30k */
    assert_int_equal(gh_totp_code(RFC_SECRET, RFC_LEN, k, c), 0);
    /* Step k's code: accepted from the first second of k-1 to the last of k+1. */
    assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, 30 * (k - 1), c, 0, &matched), GH_TOTP_OK);
    assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, 30 * (k + 2) - 1, c, 0, &matched), GH_TOTP_OK);
    assert_int_equal(matched, k);
    /* ...and not a second outside. */
    assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, 30 * (k - 1) - 1, c, 0, &matched), GH_TOTP_WRONG);
    assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, 30 * (k + 2), c, 0, &matched), GH_TOTP_WRONG);
}

static void a_used_step_is_never_accepted_again(void **state)
{
    (void)state;
    const int64_t now = 1234567890;
    int64_t step = gh_totp_step(now), matched;
    char prev[GH_TOTP_DIGITS + 1], cur[GH_TOTP_DIGITS + 1], next[GH_TOTP_DIGITS + 1];
    gh_totp_code(RFC_SECRET, RFC_LEN, step - 1, prev);
    gh_totp_code(RFC_SECRET, RFC_LEN, step, cur);
    gh_totp_code(RFC_SECRET, RFC_LEN, step + 1, next);
    /* The current step was used: its code and the one before are refused
     * as reused, the next one is still good. */
    assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, now, cur, step, &matched), GH_TOTP_REUSED);
    assert_int_equal(matched, step);
    assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, now, prev, step, &matched), GH_TOTP_REUSED);
    assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, now, next, step, &matched), GH_TOTP_OK);
    assert_int_equal(matched, step + 1);
    /* After the next step was used, even a later clock refuses it. */
    assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, now + 30, next, step + 1, &matched), GH_TOTP_REUSED);
}

static void malformed_codes_are_wrong(void **state)
{
    (void)state;
    int64_t m;
    const char *bad[] = {"", "12345", "1234567", "12345a", " 12345", "-12345", NULL};
    assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, 59, NULL, 0, &m), GH_TOTP_WRONG);
    for (size_t i = 0; bad[i]; i++) assert_int_equal(gh_totp_verify(RFC_SECRET, RFC_LEN, 59, bad[i], 0, &m), GH_TOTP_WRONG);
}

static void base32_uri_and_qr(void **state)
{
    (void)state;
    char b32[GH_TOTP_B32_MAX];
    assert_int_equal(gh_totp_base32(RFC_SECRET, RFC_LEN, b32), 0);
    assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    char *uri = gh_totp_uri("Acme Plant", "ada@acme.test", b32);
    assert_non_null(uri);
    assert_string_equal(uri, "otpauth://totp/Acme%20Plant:ada%40acme.test?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                             "&issuer=Acme%20Plant&algorithm=SHA1&digits=6&period=30");
    char *svg = gh_qr_svg(uri);
    assert_non_null(svg);
    assert_memory_equal(svg, "<svg ", 5);
    assert_non_null(strstr(svg, "M4 4h1v1h-1z")); /* the finder pattern's corner after the quiet zone */
    assert_null(strstr(svg, "<script"));
    free(svg);
    free(uri);
}

static void recovery_codes_input(void **state)
{
    (void)state;
    char n[17];
    assert_true(gh_mfa_recovery_normalise("abcd-efgh-jkmn-pqrs", n));
    assert_string_equal(n, "abcdefghjkmnpqrs");
    assert_true(gh_mfa_recovery_normalise(" ABCD EFGH JKMN PQRS ", n));
    assert_string_equal(n, "abcdefghjkmnpqrs");
    assert_false(gh_mfa_recovery_normalise("abcd-efgh-jkmn-pqr", n));   /* short */
    assert_false(gh_mfa_recovery_normalise("abcd-efgh-jkmn-pqrst", n)); /* long */
    assert_false(gh_mfa_recovery_normalise("abcd-efgh-jkmn-pqr0", n));  /* not in the alphabet */
    assert_false(gh_mfa_recovery_normalise(NULL, n));
}

static void policy_rule(void **state)
{
    (void)state;
    assert_false(gh_mfa_policy_requires("optional", true));
    assert_false(gh_mfa_policy_requires("privileged", false));
    assert_true(gh_mfa_policy_requires("privileged", true));
    assert_true(gh_mfa_policy_requires("all", false));
    assert_false(gh_mfa_policy_requires("unknown", true));
}

static void idp_assertion(void **state)
{
    (void)state;
    json_t *c = json_loads("{\"amr\":[\"pwd\",\"mfa\"]}", 0, NULL);
    assert_true(gh_mfa_idp_asserted(c, ""));
    json_decref(c);
    c = json_loads("{\"amr\":[\"pwd\"],\"acr\":\"urn:example:mfa\"}", 0, NULL);
    assert_false(gh_mfa_idp_asserted(c, ""));
    assert_false(gh_mfa_idp_asserted(c, "urn:example:other"));
    assert_true(gh_mfa_idp_asserted(c, "urn:example:mfa"));
    json_decref(c);
    c = json_loads("{\"amr\":\"mfa\"}", 0, NULL); /* not an array: does not count */
    assert_false(gh_mfa_idp_asserted(c, ""));
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc6238_vectors),
        cmocka_unit_test(window_is_one_step_each_side),
        cmocka_unit_test(window_edges),
        cmocka_unit_test(a_used_step_is_never_accepted_again),
        cmocka_unit_test(malformed_codes_are_wrong),
        cmocka_unit_test(base32_uri_and_qr),
        cmocka_unit_test(recovery_codes_input),
        cmocka_unit_test(policy_rule),
        cmocka_unit_test(idp_assertion),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
