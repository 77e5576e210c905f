/*
 * Unit tests for src/util: RFC 3339 times, email and text validation,
 * bounded strings and numbers, the growable buffer's named maximum, the
 * arena, ids and tokens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/json.h"
#include "util/util.h"

static int64_t parse(const char *s)
{
    int64_t t = -1;
    if (!gh_time_parse(s, &t)) return INT64_MIN;
    return t;
}

static void time_parse_valid(void **state)
{
    (void)state;
    assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse("2024-02-29T12:00:00Z"), 1709208000);          /* leap day */
    assert_int_equal(parse("2000-02-29T00:00:00Z"), 951782400);           /* divisible by 400 */
    assert_int_equal(parse("2026-11-23T18:34:57z"), 1795458897);
    assert_int_equal(parse("2026-11-23t18:34:57Z"), 1795458897);
    assert_int_equal(parse("2026-11-23 18:34:57Z"), 1795458897);
    assert_int_equal(parse("2026-11-23T18:34:57.123456Z"), 1795458897);   /* fractions are dropped */
    assert_int_equal(parse("2026-11-23T20:34:57+02:00"), 1795458897);     /* offsets */
    assert_int_equal(parse("2026-11-23T13:04:57-05:30"), 1795458897);
    assert_int_equal(parse("2026-11-24T00:00:00+00:00"), 1795478400);
    assert_int_equal(parse("1969-12-31T23:59:59Z"), -1);
    assert_int_equal(parse("2016-12-31T23:59:60Z"), 1483228800);          /* leap second */
}

static void time_parse_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "2026-11-23", "2026-11-23T18:34:57", "2026-11-23T18:34Z", "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-31T00:00:00Z", "2025-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-23T24:00:00Z",
        "2026-11-23T18:60:00Z", "2026-11-23T18:34:61Z", "2026-11-23T18:34:57.Z", "2026-11-23T18:34:57+2:00",
        "2026-11-23T18:34:57+02:60", "2026-11-23T18:34:57+0200", "2026-11-23T18:34:57Zjunk", "2026/11/23T18:34:57Z",
        "2026-11-23T18:34:57 Z", "yesterday at noon Z", "+2026-11-23T18:34:57Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 42;
        if (gh_time_parse(bad[i], &t)) fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(t, 42); /* untouched on failure */
    }
    assert_false(gh_time_parse(NULL, &(int64_t){0}));
}

static void time_round_trip(void **state)
{
    (void)state;
    char buf[32];
    for (int64_t t = 0; t < 4102444800; t += 86400 * 37 + 3601) { /* to 2100 */
        gh_time_fmt(t, buf);
        assert_int_equal(strlen(buf), 20);
        assert_int_equal(parse(buf), t);
    }
    gh_time_fmt(1795458897, buf);
    assert_string_equal(buf, "2026-11-23T18:34:57Z");
    /* Years before 1000 keep four digits (found by fuzz/fuzz_time.c). */
    int64_t early = parse("0226-02-03T00:00:00Z");
    gh_time_fmt(early, buf);
    assert_string_equal(buf, "0226-02-03T00:00:00Z");
    gh_time_fmt(parse("0001-01-01T00:00:00Z"), buf);
    assert_string_equal(buf, "0001-01-01T00:00:00Z");
}

static void email_validation(void **state)
{
    (void)state;
    static const char *const good[] = {"a@b.co", "Ada.Lovelace+gh@acme.test", "x_y-z@sub.domain.example", "o'brien@acme.ie"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!gh_email_valid(good[i])) fail_msg("refused '%s'", good[i]);
    char local65[80], long255[300];
    memset(local65, 'a', 65);
    memcpy(local65 + 65, "@b.co", 6);
    memset(long255, 'a', 250);
    memcpy(long255 + 250, "@b.co", 6); /* 255 bytes */
    static const char *const bad[] = {"", "a", "@b.co", "a@", "a@b", "a@b.", "a@.co", "a@b..co", "a@@b.co", "a@b@c.co",
                                      "a b@c.co", "a@b.co ", "<a@b.co>", "a@b,c.co", "a\"b@c.co", "a@[1.2.3.4]", "a@-b.co",
                                      "a\t@b.co", "a@b.co\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gh_email_valid(bad[i])) fail_msg("accepted '%s'", bad[i]);
    assert_false(gh_email_valid(local65));
    assert_false(gh_email_valid(long255));
    long255[1] = '@';
    long255[2] = '\0';
    assert_false(gh_email_valid(long255));
}

static void text_validation(void **state)
{
    (void)state;
    assert_true(gh_text_valid("Ada", 1, 200));
    assert_true(gh_text_valid("Zoë Ørsted 日本", 1, 200));
    assert_true(gh_text_valid("", 0, 10));
    assert_false(gh_text_valid("", 1, 10));
    assert_true(gh_text_valid("0123456789", 1, 10));
    assert_false(gh_text_valid("01234567890", 1, 10));
    assert_false(gh_text_valid("tab\there", 1, 100));
    assert_false(gh_text_valid("new\nline", 1, 100));
    assert_false(gh_text_valid("del\x7f", 1, 100));
    assert_false(gh_text_valid("\xc3", 1, 100));          /* truncated sequence */
    assert_false(gh_text_valid("\xff\xfe", 1, 100));      /* not UTF-8 */
    assert_false(gh_text_valid("\xe6\x97", 1, 100));
    assert_false(gh_text_valid("a\x80", 1, 100));         /* stray continuation byte */
}

/* Issue 11: names sort as people read them. */
static int ncmp(const char *a, const char *b) { return gh_name_cmp(a, strlen(a), b, strlen(b)); }
static void name_order(void **state)
{
    (void)state;
    assert_true(ncmp("bulk-1", "Zoë") < 0);          /* bytes would put 'Z' first */
    assert_true(ncmp("anna", "Bob") < 0);
    assert_true(ncmp("Bob", "anna") > 0);
    assert_true(ncmp("bulk-2", "bulk-10") < 0);      /* numbers by value */
    assert_true(ncmp("bulk-010", "bulk-9") > 0);
    assert_true(ncmp("zed", "Zoë") < 0);
    /* Issue 17: accents of Latin letters are ignored like case. */
    assert_true(ncmp("Émile", "Zoë") < 0 && ncmp("Émile", "Eva") < 0 && ncmp("Eva", "Ève") != 0);
    assert_true(ncmp("Zoe\xCC\x88", "Zoë") != 0 && ncmp("Zoe\xCC\x88x", "Zoëy") < 0); /* decomposed alike */
    assert_true(ncmp("Łukasz", "Lydia") < 0 && ncmp("Ørsted", "Pia") < 0);
    assert_true(ncmp("Zoë", "ß") < 0);                /* letters without a base: by code point */
    assert_true(ncmp("ÉMILE", "émile") != 0);        /* equal keys: bytes decide, never 0 */
    assert_true(ncmp("émile", "émile") == 0);
    assert_true(ncmp("ÉMILE", "émile") == -ncmp("émile", "ÉMILE"));
    assert_true(ncmp("Ωmega", "ωmega") != 0 && ncmp("Ωmega", "ψ") > 0);   /* Greek folds */
    assert_true(ncmp("Яков", "анна") > 0 && ncmp("Анна", "борис") < 0);   /* Cyrillic folds */
    char k1[GH_NAME_KEY_MAX], k2[GH_NAME_KEY_MAX];
    gh_name_sort_key("Line 2", k1, sizeof k1);
    gh_name_sort_key("line 10", k2, sizeof k2);
    assert_true(strcmp(k1, k2) < 0);                 /* the stored key orders like the comparison */
    char small[4];
    assert_int_equal(gh_name_sort_key("abcdef", small, sizeof small), 3);
    assert_string_equal(small, "abc");
}

/* Issue 11: the one name check says what is wrong. */
static void text_faults(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(gh_text_check(NULL, 1, 10, NULL), GH_TEXT_MISSING);
    assert_int_equal(gh_text_check("", 1, 10, NULL), GH_TEXT_TOO_SHORT);
    assert_int_equal(gh_text_check("   ", 1, 10, NULL), GH_TEXT_BLANK);
    assert_int_equal(gh_text_check("\xc2\xa0\xe3\x80\x80 ", 1, 10, NULL), GH_TEXT_BLANK); /* NBSP, ideographic space */
    assert_int_equal(gh_text_check("   ", 0, 10, NULL), GH_TEXT_OK);  /* optional texts may be blank */
    assert_int_equal(gh_text_check("a b", 1, 10, NULL), GH_TEXT_OK);
    assert_int_equal(gh_text_check("bell\x07", 1, 100, &cp), GH_TEXT_CONTROL);
    assert_int_equal(cp, 7);
    assert_int_equal(gh_text_check("c1\xc2\x85", 1, 100, &cp), GH_TEXT_CONTROL); /* U+0085 NEL */
    assert_int_equal(cp, 0x85);
    assert_int_equal(gh_text_check("evil\xe2\x80\xaegnp.exe", 1, 100, &cp), GH_TEXT_BIDI); /* U+202E */
    assert_int_equal(cp, 0x202E);
    assert_int_equal(gh_text_check("iso\xe2\x81\xa6x", 1, 100, &cp), GH_TEXT_BIDI); /* U+2066 */
    assert_int_equal(gh_text_check("mark\xe2\x80\x8f", 1, 100, &cp), GH_TEXT_BIDI); /* U+200F */
    assert_int_equal(gh_text_check("\xc0\xaf", 1, 100, NULL), GH_TEXT_BAD_UTF8); /* overlong '/' */
    assert_int_equal(gh_text_check("\xed\xa0\x80", 1, 100, NULL), GH_TEXT_BAD_UTF8); /* surrogate */
    assert_int_equal(gh_text_check("\xf4\x90\x80\x80", 1, 100, NULL), GH_TEXT_BAD_UTF8); /* > U+10FFFF */
    assert_int_equal(gh_text_check("01234567890", 1, 10, NULL), GH_TEXT_TOO_LONG);
    /* A control character is reported as such even in a long text. */
    assert_int_equal(gh_text_check("\x01" "234567890ab", 1, 10, NULL), GH_TEXT_CONTROL);
    /* A multi-byte character cut by the length limit is too long, not bad UTF-8. */
    assert_int_equal(gh_text_check("123456789\xc3\xab", 1, 10, NULL), GH_TEXT_TOO_LONG);
    assert_int_equal(gh_text_check("12345678\xc3\xab", 1, 10, NULL), GH_TEXT_OK);
}

static void numbers_and_strings(void **state)
{
    (void)state;
    int64_t v = 7;
    assert_true(gh_parse_i64("0", 0, 10, &v) && v == 0);
    assert_true(gh_parse_i64("-5", -10, 10, &v) && v == -5);
    assert_true(gh_parse_i64("9223372036854775807", 0, INT64_MAX, &v) && v == INT64_MAX);
    v = 7;
    assert_false(gh_parse_i64("9223372036854775808", 0, INT64_MAX, &v));
    assert_false(gh_parse_i64("11", 0, 10, &v));
    assert_false(gh_parse_i64("-1", 0, 10, &v));
    assert_false(gh_parse_i64("", 0, 10, &v));
    assert_false(gh_parse_i64("-", -10, 10, &v));
    assert_false(gh_parse_i64("1x", 0, 10, &v));
    assert_false(gh_parse_i64(" 1", 0, 10, &v));
    assert_false(gh_parse_i64("+1", 0, 10, &v));
    assert_false(gh_parse_i64(NULL, 0, 10, &v));
    assert_int_equal(v, 7);

    char small[6];
    assert_true(gh_strlcpy(small, "abcde", sizeof small));
    assert_false(gh_strlcpy(small, "abcdef", sizeof small));
    assert_string_equal(small, "abcde");
    assert_false(gh_strlcpy(small, "x", 0));
    assert_true(gh_ascii_lower(small, "AbÇ", sizeof small));
    assert_string_equal(small, "abÇ");
    assert_int_equal(gh_strnlen_max("abc", 5), 3);
    assert_int_equal(gh_strnlen_max("abcdef", 3), 4); /* "longer than 3" */

    size_t out;
    assert_true(gh_size_add(1, 2, &out) && out == 3);
    assert_false(gh_size_add(SIZE_MAX, 1, &out));
    assert_false(gh_size_mul(SIZE_MAX / 2 + 1, 2, &out));
}

static void buf_has_a_named_maximum(void **state)
{
    (void)state;
    gh_buf b;
    gh_buf_init(&b, 10);
    gh_buf_puts(&b, "0123456789");
    assert_true(gh_buf_ok(&b));
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    gh_buf_puts(&b, "x"); /* one past the maximum */
    assert_false(gh_buf_ok(&b));
    assert_int_equal(b.len, 10);
    gh_buf_puts(&b, ""); /* failed stays failed */
    assert_false(gh_buf_ok(&b));
    gh_buf_release(&b);
    assert_int_equal(b.max, 10);

    gh_buf_init(&b, 1u << 20);
    for (int i = 0; i < 1000; i++) gh_buf_printf(&b, "%04d,", i);
    assert_true(gh_buf_ok(&b));
    assert_int_equal(b.len, 5000);
    assert_memory_equal(b.data + 4995, "0999,", 5);
    char big[2000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    gh_buf_printf(&b, "%s", big); /* past the 512-byte fast path */
    assert_true(gh_buf_ok(&b));
    assert_int_equal(b.len, 5000 + sizeof big - 1);
    char *taken = gh_buf_take(&b);
    assert_non_null(taken);
    assert_int_equal(strlen(taken), 5000 + sizeof big - 1);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(taken);

    gh_buf_init(&b, 0);
    gh_buf_append(&b, "", 0);
    assert_true(gh_buf_ok(&b));
    gh_buf_append(&b, "a", 1);
    assert_false(gh_buf_ok(&b));
    taken = gh_buf_take(&b);
    assert_string_equal(taken, "");
    free(taken);
    gh_buf_init(&b, SIZE_MAX);
    gh_buf_append(&b, "a", SIZE_MAX); /* overflowing sizes are refused, not wrapped */
    assert_false(gh_buf_ok(&b));
    assert_null(b.data);
    gh_buf_release(&b);
}

static void arena_allocations(void **state)
{
    (void)state;
    gh_arena *a = gh_arena_new();
    assert_non_null(a);
    char *prev = NULL;
    for (int i = 0; i < 2000; i++) { /* several chunks */
        char *s = gh_arena_printf(a, "item %d", i);
        assert_non_null(s);
        assert_true(((uintptr_t)s % sizeof(max_align_t)) == 0);
        if (prev) assert_true(strncmp(prev, "item ", 5) == 0);
        prev = s;
    }
    char *big = gh_arena_alloc(a, 100000); /* bigger than a chunk */
    assert_non_null(big);
    for (size_t i = 0; i < 100000; i++) assert_int_equal(big[i], 0);
    assert_null(gh_arena_alloc(a, SIZE_MAX)); /* overflow is refused */
    assert_string_equal(gh_arena_strdup(a, "kept"), "kept");
    gh_arena_free(a);
    gh_arena_free(NULL);
}

static void ids_and_tokens(void **state)
{
    (void)state;
    assert_int_equal(gh_random_init(), 0);
    char id[GH_ID_MAX], id2[GH_ID_MAX];
    gh_id_new("usr", id);
    gh_id_new("usr", id2);
    assert_int_equal(strlen(id), 4 + 26);
    assert_memory_equal(id, "usr_", 4);
    assert_string_not_equal(id, id2);
    for (const char *p = id + 4; *p; p++) assert_non_null(strchr("abcdefghijkmnpqrstuvwxyz23456789", *p));
    gh_id_new("averylongprefix", id);
    assert_true(strlen(id) < GH_ID_MAX);

    char t1[GH_TOKEN_LEN + 1], t2[GH_TOKEN_LEN + 1], h1[GH_HASH_HEX_LEN + 1], h2[GH_HASH_HEX_LEN + 1];
    gh_token_new(t1);
    gh_token_new(t2);
    assert_int_equal(strlen(t1), GH_TOKEN_LEN);
    assert_string_not_equal(t1, t2);
    for (const char *p = t1; *p; p++) assert_true((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_');
    gh_token_hash(t1, h1);
    gh_token_hash(t1, h2);
    assert_int_equal(strlen(h1), GH_HASH_HEX_LEN);
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, t1);
    gh_token_hash(t2, h2);
    assert_string_not_equal(h1, h2);
    assert_true(gh_secret_eq(h1, h1));
    assert_false(gh_secret_eq(h1, h2));
    assert_false(gh_secret_eq("abc", "abcd"));
    for (int i = 0; i < 1000; i++) assert_true(gh_random_below(7) < 7);
}

static void clock_advances(void **state)
{
    (void)state;
    int64_t a = gh_now();
    gh_clock_advance(3600);
    int64_t b = gh_now();
    assert_true(b - a >= 3600 && b - a <= 3602);
    gh_clock_advance(-3600);
}

/* Reals come out with the fewest digits that read back to the same values. */
static void json_dump_shortest_reals(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        {"{\"a\":0.1}", "{\"a\":0.1}"},
        {"[2.5, 1e300, 0.25]", "[2.5, 1e300, 0.25]"},
        /* one precision for the whole text: a real that needs 17 digits
         * gives every real 17 (still exact, only longer) */
        {"[0.30000000000000004, 2.5, 1e300]", "[0.30000000000000004, 2.5, 1.0000000000000001e300]"},
        {"{\"n\":9007199254740991,\"s\":\"0.1\",\"x\":[{\"y\":-0.7}]}",
         "{\"n\":9007199254740991,\"s\":\"0.1\",\"x\":[{\"y\":-0.7}]}"},
        {"{\"no\":[1,true,null]}", "{\"no\":[1,true,null]}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t e;
        json_t *v = json_loads(cases[i].in, JSON_DECODE_ANY, &e);
        assert_non_null(v);
        size_t flags = cases[i].in[0] == '[' ? JSON_ENCODE_ANY : JSON_COMPACT;
        char *t = gh_json_dump(v, flags);
        assert_non_null(t);
        assert_string_equal(t, cases[i].out);
        json_t *back = json_loads(t, JSON_DECODE_ANY, &e);
        assert_true(json_equal(back, v));
        json_decref(back);
        free(t);
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(time_parse_valid),
        cmocka_unit_test(time_parse_invalid),
        cmocka_unit_test(time_round_trip),
        cmocka_unit_test(email_validation),
        cmocka_unit_test(text_validation),
        cmocka_unit_test(text_faults),
        cmocka_unit_test(name_order),
        cmocka_unit_test(numbers_and_strings),
        cmocka_unit_test(buf_has_a_named_maximum),
        cmocka_unit_test(arena_allocations),
        cmocka_unit_test(ids_and_tokens),
        cmocka_unit_test(clock_advances),
        cmocka_unit_test(json_dump_shortest_reals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
