/* Unit tests for src/core/secretbox.c: key file, sealing, rotation, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/secretbox.h"

#define K1 "1111111111111111111111111111111111111111111111111111111111111111"
#define K2 "2222222222222222222222222222222222222222222222222222222222222222"

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void seal_and_open(void **state)
{
    (void)state;
    char err[256], sealed[GH_SECRETBOX_SEALED_MAX], out[128];
    size_t n;
    gh_err e = {0};
    assert_int_equal(gh_secretbox_load_text("# comment\n\n" K1 "\n", err, sizeof err), 0);
    assert_true(gh_secretbox_ready());
    assert_int_equal(gh_secretbox_seal("org_sso:org_a:client_secret", "s3cret", 6, sealed, sizeof sealed, &e), GH_OK);
    assert_null(strstr(sealed, "s3cret"));
    char kid[GH_SECRETBOX_KID_LEN + 1];
    gh_secretbox_kid_of(sealed, kid);
    assert_string_equal(kid, gh_secretbox_current_kid());
    assert_int_equal(gh_secretbox_open("org_sso:org_a:client_secret", sealed, out, sizeof out, &n, &e), GH_OK);
    assert_int_equal(n, 6);
    assert_string_equal(out, "s3cret");
    /* two seals of one value differ (fresh nonce) */
    char again[GH_SECRETBOX_SEALED_MAX];
    assert_int_equal(gh_secretbox_seal("org_sso:org_a:client_secret", "s3cret", 6, again, sizeof again, &e), GH_OK);
    assert_string_not_equal(sealed, again);
    gh_secretbox_release();
}

static void refuses_other_context_and_tampering(void **state)
{
    (void)state;
    char err[256], sealed[GH_SECRETBOX_SEALED_MAX], out[128];
    size_t n;
    gh_err e = {0};
    assert_int_equal(gh_secretbox_load_text(K1, err, sizeof err), 0);
    assert_int_equal(gh_secretbox_seal("org_sso:org_a:client_secret", "s3cret", 6, sealed, sizeof sealed, &e), GH_OK);
    /* copied into another org's row: does not open */
    assert_int_equal(gh_secretbox_open("org_sso:org_b:client_secret", sealed, out, sizeof out, &n, &e), GH_E_INTERNAL);
    assert_string_equal(e.code, "secret_unreadable");
    assert_int_equal(n, 0);
    assert_string_equal(out, "");
    /* one character changed */
    size_t last = strlen(sealed) - 2;
    sealed[last] = sealed[last] == 'A' ? 'B' : 'A';
    assert_int_equal(gh_secretbox_open("org_sso:org_a:client_secret", sealed, out, sizeof out, &n, &e), GH_E_INTERNAL);
    /* not a sealed value at all */
    assert_int_equal(gh_secretbox_open("x", "plain-text", out, sizeof out, &n, &e), GH_E_INTERNAL);
    assert_int_equal(gh_secretbox_open("x", "gh1.0123456789abcdef.AAAA", out, sizeof out, &n, &e), GH_E_INTERNAL);
    /* too long to seal */
    static char big[GH_SECRETBOX_PLAIN_MAX + 1];
    assert_int_equal(gh_secretbox_seal("x", big, sizeof big, sealed, sizeof sealed, &e), GH_E_INVALID);
    /* output buffer too small for the value */
    assert_int_equal(gh_secretbox_seal("x", "0123456789", 10, sealed, sizeof sealed, &e), GH_OK);
    assert_int_equal(gh_secretbox_open("x", sealed, out, 5, &n, &e), GH_E_INTERNAL);
    gh_secretbox_release();
    assert_false(gh_secretbox_ready());
    assert_int_equal(gh_secretbox_seal("x", "a", 1, sealed, sizeof sealed, &e), GH_E_INTERNAL);
}

static void rotation(void **state)
{
    (void)state;
    char err[256], old[GH_SECRETBOX_SEALED_MAX], fresh[GH_SECRETBOX_SEALED_MAX], out[64];
    size_t n;
    gh_err e = {0};
    assert_int_equal(gh_secretbox_load_text(K1 "\n", err, sizeof err), 0);
    char kid1[GH_SECRETBOX_KID_LEN + 1];
    snprintf(kid1, sizeof kid1, "%s", gh_secretbox_current_kid());
    assert_int_equal(gh_secretbox_seal("c", "old", 3, old, sizeof old, &e), GH_OK);
    /* new key first, old key kept below: old values open, new ones use the new key */
    assert_int_equal(gh_secretbox_load_text(K2 "\n" K1 "\n", err, sizeof err), 0);
    assert_string_not_equal(gh_secretbox_current_kid(), kid1);
    assert_int_equal(gh_secretbox_open("c", old, out, sizeof out, &n, &e), GH_OK);
    assert_string_equal(out, "old");
    assert_int_equal(gh_secretbox_seal("c", "new", 3, fresh, sizeof fresh, &e), GH_OK);
    char kid[GH_SECRETBOX_KID_LEN + 1];
    gh_secretbox_kid_of(fresh, kid);
    assert_string_equal(kid, gh_secretbox_current_kid());
    /* old key removed: the old value no longer opens, and says which key it needs */
    assert_int_equal(gh_secretbox_load_text(K2, err, sizeof err), 0);
    assert_int_equal(gh_secretbox_open("c", old, out, sizeof out, &n, &e), GH_E_INTERNAL);
    assert_non_null(strstr(e.detail, kid1));
    gh_secretbox_release();
}

static void bad_key_text(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(gh_secretbox_load_text("", err, sizeof err), -1);
    assert_int_equal(gh_secretbox_load_text("# only a comment\n", err, sizeof err), -1);
    assert_int_equal(gh_secretbox_load_text("abcd\n", err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(gh_secretbox_load_text(K1 "\n" K1 "\n", err, sizeof err), -1);
    assert_int_equal(gh_secretbox_load_text(K1 "zz\n", err, sizeof err), -1);
    assert_int_equal(gh_secretbox_load_text(K1 "\n" "g222222222222222222222222222222222222222222222222222222222222222", err,
                                            sizeof err), -1);
    assert_non_null(strstr(err, "line 2"));
    assert_false(gh_secretbox_ready());
}

static void key_file_created_0600_and_reused(void **state)
{
    (void)state;
    char dir[] = "/tmp/gh-secretbox-XXXXXX", path[128], err[256], sealed[GH_SECRETBOX_SEALED_MAX], out[16];
    size_t n;
    gh_err e = {0};
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/key", dir);
    assert_int_equal(gh_secretbox_init(path, err, sizeof err), 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(gh_secretbox_seal("c", "v", 1, sealed, sizeof sealed, &e), GH_OK);
    gh_secretbox_release();
    /* second start reads the same key */
    assert_int_equal(gh_secretbox_init(path, err, sizeof err), 0);
    assert_int_equal(gh_secretbox_open("c", sealed, out, sizeof out, &n, &e), GH_OK);
    gh_secretbox_release();
    /* readable by others: refused */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(gh_secretbox_init(path, err, sizeof err), -1);
    assert_non_null(strstr(err, "chmod 600"));
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seal_and_open),
        cmocka_unit_test(refuses_other_context_and_tampering),
        cmocka_unit_test(rotation),
        cmocka_unit_test(bad_key_text),
        cmocka_unit_test(key_file_created_0600_and_reused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
