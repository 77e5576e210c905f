/*
 * Unit tests for src/core/scimfilter.c: SCIM filters (RFC 7644 §3.4.2.2)
 * parsed and evaluated against resources, and PATCH paths (§3.5.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/scimfilter.h"

static json_t *res;

static int setup(void **state)
{
    (void)state;
    json_error_t e;
    res = json_loads(
        "{\"id\":\"usr_AbC\",\"userName\":\"Bjensen@Example.com\",\"externalId\":\"Ext-1\",\"title\":\"Tour Guide\","
        "\"active\":true,\"name\":{\"givenName\":\"Barbara\",\"familyName\":\"Jensen\"},"
        "\"emails\":[{\"value\":\"bjensen@example.com\",\"type\":\"work\",\"primary\":true},"
        "{\"value\":\"babs@jensen.org\",\"type\":\"home\"}],"
        "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"Tours\",\"employeeNumber\":\"42\"},"
        "\"meta\":{\"created\":\"2011-08-01T18:29:49Z\",\"lastModified\":\"2011-08-01T18:29:49Z\",\"version\":\"W/\\\"a330\\\"\"},"
        "\"loginCount\":7}",
        0, &e);
    return res ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(res);
    return 0;
}

/* Whether filter f parses and matches res. */
static int m(const char *f)
{
    char err[200];
    gh_sf_node *n = gh_scim_filter_parse(f, err, sizeof err);
    if (!n) {
        print_error("filter did not parse: %s: %s\n", f, err);
        return -1;
    }
    int r = gh_scim_filter_match(n, res) ? 1 : 0;
    gh_scim_filter_free(n);
    return r;
}

static void operators(void **state)
{
    (void)state;
    assert_int_equal(m("userName eq \"bjensen@example.com\""), 1); /* userName is not caseExact */
    assert_int_equal(m("USERNAME EQ \"bjensen@example.com\""), 1); /* names and operators in any case */
    assert_int_equal(m("userName ne \"bjensen@example.com\""), 0);
    assert_int_equal(m("userName ne \"other\""), 1);
    assert_int_equal(m("userName co \"JENSEN\""), 1);
    assert_int_equal(m("userName sw \"bj\""), 1);
    assert_int_equal(m("userName sw \"jensen\""), 0);
    assert_int_equal(m("userName ew \".COM\""), 1);
    assert_int_equal(m("title pr"), 1);
    assert_int_equal(m("nickName pr"), 0);
    assert_int_equal(m("nickName ne \"x\""), 1); /* absent is not equal */
    assert_int_equal(m("externalId eq \"Ext-1\""), 1);
    assert_int_equal(m("externalId eq \"ext-1\""), 0); /* caseExact */
    assert_int_equal(m("id eq \"usr_abc\""), 0);       /* caseExact */
    assert_int_equal(m("active eq true"), 1);
    assert_int_equal(m("active eq false"), 0);
    assert_int_equal(m("active eq \"True\""), 1); /* a boolean sent as text */
    assert_int_equal(m("loginCount gt 6"), 1);
    assert_int_equal(m("loginCount ge 7.0"), 1);
    assert_int_equal(m("loginCount lt 7"), 0);
    assert_int_equal(m("loginCount le 7"), 1);
    assert_int_equal(m("active gt true"), 0); /* no order on booleans */
}

static void dates_and_paths(void **state)
{
    (void)state;
    assert_int_equal(m("meta.lastModified gt \"2011-05-13T04:42:34Z\""), 1);
    assert_int_equal(m("meta.lastModified lt \"2011-05-13T04:42:34Z\""), 0);
    assert_int_equal(m("meta.created ge \"2011-08-01T18:29:49Z\""), 1);
    assert_int_equal(m("meta.created le \"2011-08-01T18:29:48Z\""), 0);
    assert_int_equal(m("name.familyName co \"ens\""), 1);
    assert_int_equal(m("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq \"jensen\""), 1);
    assert_int_equal(m("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"tours\""), 1);
    assert_int_equal(m("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"43\""), 0);
    assert_int_equal(m("emails eq \"babs@jensen.org\""), 1); /* multi-valued: its values */
    assert_int_equal(m("emails.value ew \"example.com\""), 1);
    assert_int_equal(m("emails.type eq \"other\""), 0);
    assert_int_equal(m("emails[type eq \"work\" and value co \"@example.com\"]"), 1);
    assert_int_equal(m("emails[type eq \"home\" and value co \"@example.com\"]"), 0);
    assert_int_equal(m("emails[type eq \"work\"] and name[givenName sw \"B\"]"), 1);
    assert_int_equal(m("meta.version eq \"W/\\\"a330\\\"\""), 1);
}

static void logic(void **state)
{
    (void)state;
    assert_int_equal(m("title pr and userName sw \"b\""), 1);
    assert_int_equal(m("title pr and userName sw \"x\""), 0);
    assert_int_equal(m("title eq \"x\" or userName sw \"b\""), 1);
    assert_int_equal(m("not (title pr)"), 0);
    assert_int_equal(m("not(title eq \"x\")"), 1);
    /* and binds tighter than or */
    assert_int_equal(m("title eq \"x\" and title eq \"y\" or active eq true"), 1);
    assert_int_equal(m("title eq \"x\" and (title eq \"y\" or active eq true)"), 0);
    assert_int_equal(m("((((active eq true))))"), 1);
    assert_int_equal(m("userName eq \"x\" or userName eq \"y\" or not (active eq false) and title pr"), 1);
}

static void refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "", "userName", "userName eq", "userName eq ", "userName zz \"x\"", "userName eq \"x", "(userName eq \"x\"",
        "userName eq \"x\")", "userName eq \"x\" and", "and userName eq \"x\"", "emails[type eq \"w\"",
        "emails[type eq \"w\"]]", "not userName eq \"x\"", "\"x\" eq userName", "userName eq x", "userName eq [1]",
        "userName eq {}", "userName. eq \"x\"", "1abc eq \"x\"", "userName eq \"x\" userName eq \"y\"",
        "userName  eqq \"x\"", "userName pr \"x\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[200] = "";
        gh_sf_node *n = gh_scim_filter_parse(bad[i], err, sizeof err);
        if (n) print_error("should be refused: '%s'\n", bad[i]);
        assert_null(n);
        assert_true(err[0] != '\0');
    }
    /* nesting is bounded */
    char deep[100];
    memset(deep, '(', 40);
    memcpy(deep + 40, "title pr", 8);
    memset(deep + 48, ')', 40);
    deep[88] = '\0';
    char err[200];
    assert_null(gh_scim_filter_parse(deep, err, sizeof err));
    assert_non_null(strstr(err, "deep"));
    /* length is bounded */
    char *big = malloc(GH_SCIM_FILTER_MAX + 20);
    assert_non_null(big);
    memset(big, 'a', GH_SCIM_FILTER_MAX + 10);
    memcpy(big + GH_SCIM_FILTER_MAX, " pr", 4);
    assert_null(gh_scim_filter_parse(big, err, sizeof err));
    free(big);
}

static void paths(void **state)
{
    (void)state;
    gh_scim_path p;
    char err[200];
    assert_true(gh_scim_path_parse("title", &p, err, sizeof err));
    assert_string_equal(p.attr, "title");
    assert_null(p.urn);
    assert_null(p.sub);
    assert_null(p.filter);
    gh_scim_path_free(&p);
    assert_true(gh_scim_path_parse("name.givenName", &p, err, sizeof err));
    assert_string_equal(p.attr, "name");
    assert_string_equal(p.sub, "givenName");
    gh_scim_path_free(&p);
    assert_true(gh_scim_path_parse("emails[type eq \"work\"].value", &p, err, sizeof err));
    assert_string_equal(p.attr, "emails");
    assert_string_equal(p.sub, "value");
    assert_non_null(p.filter);
    assert_int_equal(p.filter->op, GH_SF_EQ);
    assert_string_equal(p.filter->attr, "type");
    gh_scim_path_free(&p);
    assert_true(gh_scim_path_parse("members[value eq \"2819c223\"]", &p, err, sizeof err));
    assert_string_equal(p.attr, "members");
    assert_null(p.sub);
    assert_non_null(p.filter);
    gh_scim_path_free(&p);
    assert_true(gh_scim_path_parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", &p, err,
                                   sizeof err));
    assert_string_equal(p.urn, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    assert_string_equal(p.attr, "manager");
    assert_string_equal(p.sub, "value");
    gh_scim_path_free(&p);
    static const char *bad[] = {
        "", "emails[type eq \"work\"", "emails[type eq]", "emails[type eq \"w\"].", "emails[type eq \"w\"]x",
        "name.givenName.x", "name.", "urn:x:", "name.givenName[type eq \"w\"]", "[x eq 1]", "title extra",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        bool ok = gh_scim_path_parse(bad[i], &p, err, sizeof err);
        if (ok) print_error("should be refused: '%s'\n", bad[i]);
        assert_false(ok);
        assert_true(err[0] != '\0');
        assert_null(p.attr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(operators), cmocka_unit_test(dates_and_paths), cmocka_unit_test(logic),
        cmocka_unit_test(refused), cmocka_unit_test(paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
