/* Unit tests for src/util/net.c: CIDR parsing, canonical text, matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/net.h"

static const char *canon(const char *in, char out[GH_CIDR_TEXT_MAX])
{
    gh_cidr c;
    if (!gh_cidr_parse(in, &c)) return NULL;
    gh_cidr_format(&c, out);
    return out;
}

static void parse_and_format(void **state)
{
    (void)state;
    char b[GH_CIDR_TEXT_MAX];
    assert_string_equal(canon("10.0.0.0/8", b), "10.0.0.0/8");
    assert_string_equal(canon("10.1.2.3/8", b), "10.0.0.0/8");       /* host bits cleared */
    assert_string_equal(canon("192.168.1.77", b), "192.168.1.77/32"); /* one address */
    assert_string_equal(canon("172.16.5.4/12", b), "172.16.0.0/12");
    assert_string_equal(canon("0.0.0.0/0", b), "0.0.0.0/0");
    assert_string_equal(canon("2001:DB8:0:0:1::/32", b), "2001:db8::/32");
    assert_string_equal(canon("::1", b), "::1/128");
    assert_string_equal(canon("fe80::1/10", b), "fe80::/10");
    assert_string_equal(canon("10.0.0.1/31", b), "10.0.0.0/31");
    assert_string_equal(canon("10.0.0.255/25", b), "10.0.0.128/25");
}

static void parse_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.0/8x",
        "10.0.0.0/8/8", "256.0.0.1", "example.com", "10.0.0.0 /8", " 10.0.0.0", "1.2.3.4/1000",
        "0123456789012345678901234567890123456789012345678901234", "::ffff:1.2.3.4/200",
    };
    gh_cidr c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_false(gh_cidr_parse(bad[i], &c));
    assert_false(gh_cidr_parse(NULL, &c));
}

static bool in(const char *cidr, const char *ip)
{
    gh_cidr c;
    assert_true(gh_cidr_parse(cidr, &c));
    return gh_cidr_contains(&c, ip);
}

static void contains(void **state)
{
    (void)state;
    assert_true(in("10.0.0.0/8", "10.255.1.2"));
    assert_false(in("10.0.0.0/8", "11.0.0.1"));
    assert_true(in("192.168.1.0/24", "192.168.1.255"));
    assert_false(in("192.168.1.0/24", "192.168.2.0"));
    assert_true(in("10.0.0.128/25", "10.0.0.200"));
    assert_false(in("10.0.0.128/25", "10.0.0.127"));
    assert_true(in("127.0.0.1", "127.0.0.1"));
    assert_false(in("127.0.0.1", "127.0.0.2"));
    assert_true(in("0.0.0.0/0", "203.0.113.9"));
    /* IPv4 clients of a dual-stack socket arrive as IPv4-mapped IPv6. */
    assert_true(in("10.0.0.0/8", "::ffff:10.1.2.3"));
    assert_false(in("10.0.0.0/8", "::ffff:11.1.2.3"));
    assert_true(in("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(in("2001:db8::/32", "2001:db9::1"));
    assert_true(in("::/0", "::1"));
    assert_false(in("::/0", "10.0.0.1")); /* families do not mix (except mapped IPv4) */
    assert_false(in("10.0.0.0/8", "2001:db8::1"));
    assert_false(in("10.0.0.0/8", "not an address"));
    assert_false(in("10.0.0.0/8", ""));
    gh_cidr c;
    assert_true(gh_cidr_parse("10.0.0.0/8", &c));
    assert_false(gh_cidr_contains(&c, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_and_format),
        cmocka_unit_test(parse_refuses),
        cmocka_unit_test(contains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
