/*
 * Unit tests for util/cursor.c, the one codec of opaque list cursors: the
 * (name, id) form and the single-key form round-trip, and decoding refuses
 * bad hex, cursors too long for their buffers, a missing separator and an
 * embedded NUL byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "util/cursor.h"

/* The hex of n raw bytes (which may hold NUL) into out. */
static void hex_of(const char *raw, size_t n, char *out, size_t cap)
{
    sodium_bin2hex(out, cap, (const unsigned char *)raw, n);
}

static void pair_round_trip(void **state)
{
    (void)state;
    char c[GH_CURSOR_MAX], name[201], id[GH_ID_MAX];
    assert_true(gh_cursor_encode("Zoë Ångström", "u_abc123", c));
    assert_string_equal(c, "5a6fc3ab20c3856e67737472c3b66d0a755f616263313233");
    assert_true(gh_cursor_decode(c, name, sizeof name, id, sizeof id));
    assert_string_equal(name, "Zoë Ångström");
    assert_string_equal(id, "u_abc123");
    /* an empty name is a name */
    assert_true(gh_cursor_encode("", "u_1", c));
    assert_true(gh_cursor_decode(c, name, sizeof name, id, sizeof id));
    assert_string_equal(name, "");
    assert_string_equal(id, "u_1");
    /* the longest name fits */
    char longest[201];
    memset(longest, 'n', 200);
    longest[200] = '\0';
    assert_true(gh_cursor_encode(longest, "u_abcdefghijkmnpqrstuvwxyz23456", c));
    assert_true(gh_cursor_decode(c, name, sizeof name, id, sizeof id));
    assert_string_equal(name, longest);
}

static void pair_refused(void **state)
{
    (void)state;
    char c[GH_CURSOR_MAX * 2], name[201], id[GH_ID_MAX];
    /* too long to encode */
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char out[GH_CURSOR_MAX];
    assert_false(gh_cursor_encode(big, "u_1", out));
    assert_string_equal(out, "");
    /* not hex, odd length, NULL */
    assert_false(gh_cursor_decode("zz", name, sizeof name, id, sizeof id));
    assert_false(gh_cursor_decode("616", name, sizeof name, id, sizeof id));
    assert_false(gh_cursor_decode(NULL, name, sizeof name, id, sizeof id));
    /* no separator */
    hex_of("name-only", 9, c, sizeof c);
    assert_false(gh_cursor_decode(c, name, sizeof name, id, sizeof id));
    /* an embedded NUL byte: "ab\0c\nu_1" would read as "ab" */
    hex_of("ab\0c\nu_1", 8, c, sizeof c);
    assert_false(gh_cursor_decode(c, name, sizeof name, id, sizeof id));
    /* longer than any cursor this server writes */
    memset(c, 'a', GH_CURSOR_MAX + 1);
    c[GH_CURSOR_MAX + 1] = '\0';
    assert_false(gh_cursor_decode(c, name, sizeof name, id, sizeof id));
    /* fits the codec but not the caller's buffers */
    char small[4];
    assert_true(gh_cursor_encode("Longer name", "u_1", out));
    assert_false(gh_cursor_decode(out, small, sizeof small, id, sizeof id));
}

static void key_round_trip_and_refused(void **state)
{
    (void)state;
    char c[64], key[17];
    assert_true(gh_cursor_encode_key("PO-1001", c, sizeof c));
    assert_string_equal(c, "504f2d31303031");
    assert_true(gh_cursor_decode_key(c, key, sizeof key));
    assert_string_equal(key, "PO-1001");
    /* too small to encode into: false and an empty string */
    char tiny[8];
    assert_false(gh_cursor_encode_key("PO-1001", tiny, sizeof tiny));
    assert_string_equal(tiny, "");
    /* empty, bad hex, NUL inside, longer than the key buffer */
    assert_false(gh_cursor_decode_key("", key, sizeof key));
    assert_false(gh_cursor_decode_key("xyz", key, sizeof key));
    assert_false(gh_cursor_decode_key(NULL, key, sizeof key));
    hex_of("PO\0-1", 5, c, sizeof c);
    assert_false(gh_cursor_decode_key(c, key, sizeof key));
    hex_of("0123456789abcdefX", 17, c, sizeof c); /* 17 bytes into 16 + NUL */
    assert_false(gh_cursor_decode_key(c, key, sizeof key));
    hex_of("0123456789abcdef", 16, c, sizeof c);  /* exactly fits */
    assert_true(gh_cursor_decode_key(c, key, sizeof key));
    assert_string_equal(key, "0123456789abcdef");
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pair_round_trip),
        cmocka_unit_test(pair_refused),
        cmocka_unit_test(key_round_trip_and_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
