/*
 * Unit tests for core rules outside the permission engine: sign-in
 * throttling (free attempts, doubling pauses, the cap, independence of keys,
 * reset on success, forgetting after a day) and the password policy (NIST SP
 * 800-63B lengths counted in characters, the common-password list, no
 * composition rules) with argon2id hashing and verification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/secret.h"
#include "core/throttle.h"
#include "util/util.h"

static const int64_t T0 = 1800000000;

static int wait_of(const char *key, int64_t now)
{
    int wait = -1;
    return gh_throttle_allowed(key, now, &wait) ? 0 : wait;
}

static void throttle_free_attempts_then_doubling(void **state)
{
    (void)state;
    const char *k = "acct:org_1:ada@acme.test";
    int64_t now = T0;
    for (int i = 1; i <= 5; i++) {
        assert_int_equal(wait_of(k, now), 0);
        assert_int_equal(gh_throttle_fail(k, now, 5), i);
        assert_int_equal(wait_of(k, now), 0); /* the first five are free */
    }
    int expected[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        gh_throttle_fail(k, now, 5);
        assert_int_equal(wait_of(k, now), expected[i]);
        assert_int_equal(wait_of(k, now + expected[i] - 1), 1);
        assert_int_equal(wait_of(k, now + expected[i]), 0);
        now += expected[i];
    }
    /* Other keys are untouched; a success clears the key. */
    assert_int_equal(wait_of("acct:org_1:bob@acme.test", now - 1), 0);
    gh_throttle_fail(k, now, 5);
    assert_true(wait_of(k, now) > 0);
    gh_throttle_reset(k);
    assert_int_equal(wait_of(k, now), 0);
    assert_int_equal(gh_throttle_fail(k, now, 5), 1);
}

static void throttle_forgets_after_a_day(void **state)
{
    (void)state;
    const char *k = "ip:192.0.2.7";
    int64_t now = T0;
    for (int i = 0; i < 40; i++) gh_throttle_fail(k, now + i, 30);
    assert_true(wait_of(k, now + 40) > 0);
    /* Within a day of the last failure (at now + 39), the count stands. */
    assert_int_equal(gh_throttle_fail(k, now + 39 + 86400, 30), 41);
    /* A day and a second of quiet: it starts over, and one typo is free. */
    int64_t later = now + 39 + 2 * 86400 + 1;
    assert_int_equal(gh_throttle_fail(k, later, 30), 1);
    assert_int_equal(wait_of(k, later), 0);
}

static void throttle_many_keys(void **state)
{
    (void)state;
    char key[64];
    /* More keys than the table holds: stale ones are replaced, nothing breaks,
     * and the newest key is still tracked. */
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "acct:many:%d", i);
        gh_throttle_fail(key, T0 + i, 0);
    }
    assert_true(wait_of(key, T0 + 19999) > 0);
}


/* Issue 12: an attempt is reserved before its hash runs, so concurrent
 * guesses for one key verify one at a time and are counted in between. */
static void throttle_reserves_in_flight(void **state)
{
    (void)state;
    gh_throttle_clear_all();
    const char *k = "login:org_1:inflight@acme.test";
    int64_t now = T0;
    int wait = 0;
    assert_true(gh_throttle_reserve(k, now, &wait));
    for (int i = 0; i < 30; i++) {
        wait = 0;
        assert_false(gh_throttle_reserve(k, now, &wait));
        assert_true(wait >= 1);
    }
    assert_int_equal(wait_of(k, now), 1);
    gh_throttle_release(k, now, true, 1);
    assert_int_equal(gh_throttle_failures(k, now), 1);
    assert_true(gh_throttle_reserve(k, now, &wait)); /* one failure is free */
    gh_throttle_release(k, now, true, 1);
    assert_false(gh_throttle_reserve(k, now, &wait)); /* the second costs a second */
    assert_int_equal(wait, 1);
    assert_true(gh_throttle_reserve(k, now + 1, &wait));
    gh_throttle_release(k, now + 1, false, 1);
    assert_int_equal(gh_throttle_failures(k, now + 1), 2); /* a success does not reset by itself */
    /* A lost reservation lapses after its lease. */
    assert_true(gh_throttle_reserve(k, now + 10, &wait));
    assert_false(gh_throttle_reserve(k, now + 10 + GH_THROTTLE_LEASE - 1, &wait));
    assert_true(gh_throttle_reserve(k, now + 10 + GH_THROTTLE_LEASE, &wait));
    gh_throttle_release(k, now + 10 + GH_THROTTLE_LEASE, false, 1);
    gh_throttle_reset(k);
    assert_int_equal(gh_throttle_failures(k, now + 200), 0);
}

/* A flood of fresh keys never evicts a key that is still penalised, in
 * flight or known. */
static void throttle_keeps_penalised_entries(void **state)
{
    (void)state;
    gh_throttle_clear_all();
    const char *victim = "login:org_1:victim@acme.test";
    const char *busy = "login:org_1:busy@acme.test";
    const char *known = "pair:org_1:owner@acme.test:192.0.2.1";
    int64_t now = T0;
    int wait = 0;
    gh_throttle_mark_known(known, now);
    char key[64];
    /* Unpenalised keys replace each other, never a known one. */
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "quiet:%d", i);
        assert_int_equal(gh_throttle_fail(key, now, 5), 1);
    }
    assert_true(gh_throttle_is_known(known, now));
    for (int i = 0; i < 8; i++) gh_throttle_fail(victim, now, 0);
    int before = wait_of(victim, now);
    assert_true(before >= 100);
    assert_true(gh_throttle_reserve(busy, now, &wait));
    uint32_t epoch = gh_throttle_epoch(victim, now);
    assert_true(epoch != 0);
    int refused = 0;
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "flood:%d", i);
        if (gh_throttle_fail(key, now, 0) == 0) refused++;
    }
    assert_true(refused > 0); /* the table filled up with penalised keys */
    assert_int_equal(wait_of(victim, now), before);
    assert_false(gh_throttle_reserve(busy, now, &wait));
    assert_false(gh_throttle_is_known("pair:org_1:owner@acme.test:192.0.2.2", now));
    assert_int_equal(gh_throttle_epoch(victim, now), epoch);
    gh_throttle_forget(victim, now); /* unlock: no penalty, a new epoch */
    assert_int_equal(wait_of(victim, now), 0);
    assert_true(gh_throttle_epoch(victim, now) != epoch);
    gh_throttle_clear_all();
}

static void password_policy(void **state)
{
    (void)state;
    assert_int_equal(gh_secret_init(), 0);
    gh_err e = {0};
    assert_int_equal(gh_password_check("tq8#Lw2z", "password", &e), GH_OK);          /* 8 */
    assert_int_equal(gh_password_check("all lower case words", "password", &e), GH_OK); /* no composition rules */
    assert_int_equal(gh_password_check("Sieben7", "pw", &e), GH_E_INVALID);
    assert_string_equal(e.code, "password_too_short");
    assert_string_equal(e.field, "pw");
    gh_err_clear(&e);
    assert_int_equal(gh_password_check("", "pw", &e), GH_E_INVALID);
    assert_string_equal(e.code, "password_too_short");
    gh_err_clear(&e);
    /* Lengths count characters: 7 two-byte characters are too short,
     * 256 of them (512 bytes) are fine, 257 are too many. */
    char buf[2048];
    size_t n = 0;
    for (int i = 0; i < 7; i++) { buf[n++] = (char)0xc3; buf[n++] = (char)0xa9; }
    buf[n] = '\0';
    assert_int_equal(gh_password_check(buf, "pw", &e), GH_E_INVALID);
    assert_string_equal(e.code, "password_too_short");
    gh_err_clear(&e);
    n = 0;
    /* (alternating é and è: one repeated character is refused since issue 12) */
    for (int i = 0; i < 256; i++) { buf[n++] = (char)0xc3; buf[n++] = (char)(i % 2 ? 0xa8 : 0xa9); }
    buf[n] = '\0';
    assert_int_equal(gh_password_check(buf, "pw", &e), GH_OK);
    buf[n++] = 'x';
    buf[n] = '\0';
    assert_int_equal(gh_password_check(buf, "pw", &e), GH_E_INVALID);
    assert_string_equal(e.code, "password_too_long");
    gh_err_clear(&e);
    memset(buf, 'a', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    assert_int_equal(gh_password_check(buf, "pw", &e), GH_E_INVALID);
    assert_string_equal(e.code, "password_too_long");
    gh_err_clear(&e);
    static const char *const common[] = {"password", "password1", "PASSWORD1", "12345678", "qwertyuiop", "iloveyou",
                                         "gatehouse", "changeme", "Welcome1"};
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
        if (gh_password_check(common[i], "pw", &e) == GH_OK) fail_msg("'%s' was accepted", common[i]);
        assert_string_equal(e.code, "password_common");
        gh_err_clear(&e);
    }
    assert_false(gh_password_is_common("correct horse battery staple"));
}

/* Issue 12: NFKC before checking and hashing; repeated and sequential
 * characters; the person's e-mail and name and the org's name. */
static void password_rules_nfkc(void **state)
{
    (void)state;
    assert_int_equal(gh_secret_init(), 0);
    gh_err e = {0};
    struct { const char *pw, *code; } bad[] = {
        {"aaaaaaaa", "password_repetitive"}, {"        ", "password_repetitive"},
        {"\xef\xbd\x90\xef\xbd\x81\xef\xbd\x93\xef\xbd\x93\xef\xbd\x97\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x84",
         "password_common"},                                  /* full-width "password" */
        {"23456789", "password_sequential"}, {"hgfedcba", "password_sequential"}, {"lmnopqrstu", "password_sequential"},
        {"abc\xff" "defgh", "password_invalid"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (gh_password_check(bad[i].pw, "pw", &e) == GH_OK) fail_msg("'%s' was accepted", bad[i].pw);
        assert_string_equal(e.code, bad[i].code);
        gh_err_clear(&e);
    }
    assert_int_equal(gh_password_check("aaaaaaab", "pw", &e), GH_OK);
    assert_int_equal(gh_password_check("12345679", "pw", &e), GH_OK);
    gh_pw_context c = {.email = "Ada.Lovelace@acme.test", .name = "Ada Lovelace", .org_name = "Acme Plant"};
    struct { const char *pw, *code; } mine[] = {
        {"ada.lovelace@acme.test", "password_contains_email"}, {"my ADA.LOVELACE pass", "password_contains_email"},
        {"xx ada lovelace xx", "password_contains_name"}, {"acme plant rocks", "password_contains_org"},
        {"\xef\xbc\xa1" "cme Plant 2024", "password_contains_org"}, /* full-width A */
    };
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
        if (gh_password_check_for(mine[i].pw, "pw", &c, &e) == GH_OK) fail_msg("'%s' was accepted", mine[i].pw);
        assert_string_equal(e.code, mine[i].code);
        gh_err_clear(&e);
    }
    assert_int_equal(gh_password_check_for("correct horse battery staple", "pw", &c, &e), GH_OK);
    /* Short parts never match. */
    gh_pw_context s = {.email = "al@x.io", .name = "Al", .org_name = "X"};
    assert_int_equal(gh_password_check_for("albatross xylophone", "pw", &s, &e), GH_OK);
    /* Hashing and verifying both normalise: a compatibility form of the same
     * password verifies, a different one does not. */
    gh_secret_set_cost(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    char h[GH_PWHASH_MAX];
    assert_int_equal(gh_secret_hash("\xef\xbc\xa1" "bc horse \xe2\x85\xa0", h), 0); /* full-width A, roman numeral one */
    assert_true(gh_secret_verify(h, "Abc horse I"));
    assert_false(gh_secret_verify(h, "abc horse I"));
    /* Text that cannot be normalised is never hashed as it is (it would not
     * verify against a normalised guess later). */
    assert_int_not_equal(gh_secret_hash("bad \xff utf-8 password", h), 0);
}

static void hashing(void **state)
{
    (void)state;
    gh_secret_set_cost(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    char h1[GH_PWHASH_MAX], h2[GH_PWHASH_MAX];
    assert_int_equal(gh_secret_hash("correct horse", h1), 0);
    assert_int_equal(gh_secret_hash("correct horse", h2), 0);
    assert_memory_equal(h1, "$argon2id$", 10);
    assert_string_not_equal(h1, h2); /* salted */
    assert_true(gh_secret_verify(h1, "correct horse"));
    assert_true(gh_secret_verify(h2, "correct horse"));
    assert_false(gh_secret_verify(h1, "correct horsE"));
    assert_false(gh_secret_verify(h1, ""));
    assert_false(gh_secret_verify("", "correct horse"));
    assert_false(gh_secret_verify(NULL, "correct horse"));
    assert_false(gh_secret_verify("$argon2id$garbage", "correct horse"));
    /* The dummy hash (for unknown accounts) verifies nothing a person types. */
    assert_memory_equal(gh_secret_dummy_hash(), "$argon2id$", 10);
    assert_false(gh_secret_verify(gh_secret_dummy_hash(), ""));
    assert_false(gh_secret_verify(gh_secret_dummy_hash(), "password"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(throttle_free_attempts_then_doubling),
        cmocka_unit_test(throttle_forgets_after_a_day),
        cmocka_unit_test(throttle_many_keys),
        cmocka_unit_test(throttle_reserves_in_flight),
        cmocka_unit_test(throttle_keeps_penalised_entries),
        cmocka_unit_test(password_policy),
        cmocka_unit_test(password_rules_nfkc),
        cmocka_unit_test(hashing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
