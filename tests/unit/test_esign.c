/* Unit tests for the pure parts of src/core/esign.c (the signature chain's
 * link hash, meanings) and src/core/webauthn.c (the relying party from the
 * base URL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "core/esign.h"
#include "core/webauthn.h"
#include "util/util.h"

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void fill(gh_signature *s)
{
    memset(s, 0, sizeof *s);
    gh_strlcpy(s->id, "sig_1", sizeof s->id);
    gh_strlcpy(s->org_id, "org_1", sizeof s->org_id);
    s->seq = 1;
    gh_strlcpy(s->signer_id, "usr_1", sizeof s->signer_id);
    gh_strlcpy(s->signer_name, "Una", sizeof s->signer_name);
    gh_strlcpy(s->signer_email, "una@acme.test", sizeof s->signer_email);
    gh_strlcpy(s->record_type, "inspection", sizeof s->record_type);
    gh_strlcpy(s->record_ref, "INS-1", sizeof s->record_ref);
    gh_strlcpy(s->meaning, "approved", sizeof s->meaning);
    gh_strlcpy(s->method, "password", sizeof s->method);
    s->signed_at = 1700000000;
}

static void link_hash_covers_every_field(void **state)
{
    (void)state;
    gh_signature s, t;
    char h0[GH_SIG_HASH_HEX], h1[GH_SIG_HASH_HEX];
    fill(&s);
    gh_esign_link_hash(&s, h0);
    assert_int_equal(strlen(h0), 64);
    gh_esign_link_hash(&s, h1);
    assert_string_equal(h0, h1); /* deterministic */
    /* the stored hash itself is not an input */
    gh_strlcpy(s.hash, "whatever", sizeof s.hash);
    gh_esign_link_hash(&s, h1);
    assert_string_equal(h0, h1);
#define CHANGES(stmt)                          \
    do {                                       \
        fill(&t);                              \
        stmt;                                  \
        gh_esign_link_hash(&t, h1);            \
        assert_string_not_equal(h0, h1);       \
    } while (0)
    CHANGES(gh_strlcpy(t.prev_hash, "00", sizeof t.prev_hash));
    CHANGES(t.seq = 2);
    CHANGES(gh_strlcpy(t.id, "sig_2", sizeof t.id));
    CHANGES(gh_strlcpy(t.org_id, "org_2", sizeof t.org_id));
    CHANGES(gh_strlcpy(t.signer_id, "usr_2", sizeof t.signer_id));
    CHANGES(gh_strlcpy(t.signer_name, "Uma", sizeof t.signer_name));
    CHANGES(gh_strlcpy(t.signer_email, "x@acme.test", sizeof t.signer_email));
    CHANGES(gh_strlcpy(t.on_behalf_id, "usr_3", sizeof t.on_behalf_id));
    CHANGES(gh_strlcpy(t.on_behalf_name, "Ed", sizeof t.on_behalf_name));
    CHANGES(gh_strlcpy(t.record_type, "batch", sizeof t.record_type));
    CHANGES(gh_strlcpy(t.record_ref, "INS-2", sizeof t.record_ref));
    CHANGES(gh_strlcpy(t.content_hash, "sha256:00", sizeof t.content_hash));
    CHANGES(gh_strlcpy(t.meaning, "reviewed", sizeof t.meaning));
    CHANGES(gh_strlcpy(t.method, "password+otp", sizeof t.method));
    CHANGES(t.signed_at = 1700000001);
    /* Fields are length-prefixed: moving a character between neighbours changes the hash. */
    CHANGES((gh_strlcpy(t.record_type, "inspectionI", sizeof t.record_type), gh_strlcpy(t.record_ref, "NS-1", sizeof t.record_ref)));
#undef CHANGES
}

static void meanings(void **state)
{
    (void)state;
    assert_true(gh_esign_meaning_ok("approved"));
    assert_true(gh_esign_meaning_ok("released"));
    assert_false(gh_esign_meaning_ok("Approved"));
    assert_false(gh_esign_meaning_ok(""));
    assert_false(gh_esign_meaning_ok(NULL));
}

static void relying_party_from_base_url(void **state)
{
    (void)state;
    char rp[256], origin[512];
    assert_true(gh_webauthn_rp("http://localhost:8080", rp, sizeof rp, origin, sizeof origin));
    assert_string_equal(rp, "localhost");
    assert_string_equal(origin, "http://localhost:8080");
    assert_true(gh_webauthn_rp("https://Gate.Example.com/console/", rp, sizeof rp, origin, sizeof origin));
    assert_string_equal(rp, "gate.example.com");
    assert_string_equal(origin, "https://Gate.Example.com");
    assert_false(gh_webauthn_rp("http://127.0.0.1:8080", rp, sizeof rp, origin, sizeof origin));
    assert_false(gh_webauthn_rp("http://[::1]:8080", rp, sizeof rp, origin, sizeof origin));
    assert_false(gh_webauthn_rp("localhost", rp, sizeof rp, origin, sizeof origin));
    assert_false(gh_webauthn_rp("http://", rp, sizeof rp, origin, sizeof origin));
    assert_false(gh_webauthn_rp("", rp, sizeof rp, origin, sizeof origin));
    assert_false(gh_webauthn_rp("http://localhost", rp, 4, origin, sizeof origin)); /* does not fit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(link_hash_covers_every_field),
        cmocka_unit_test(meanings),
        cmocka_unit_test(relying_party_from_base_url),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
