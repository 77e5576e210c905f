/*
 * API key scopes (issue 11): a key's scope list compiles to permissions and
 * service scopes; a key holds exactly what its scopes name (tasks.write
 * standing for tasks.assign), never anything else, and unknown names are
 * ignored (fail closed). Uses a small catalog.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/access.h"
#include "core/catalog.h"

static const char CAT[] =
    "{\"version\":1,\"default_template_set\":\"s\","
    "\"modules\":[{\"key\":\"core\",\"name\":\"C\",\"always_on\":true}],"
    "\"permissions\":["
    "{\"key\":\"users.view\",\"module\":\"core\",\"name\":\"V\",\"description\":\"d\",\"read_only\":true},"
    "{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"},"
    "{\"key\":\"tasks.assign\",\"module\":\"core\",\"name\":\"A\",\"description\":\"d\"}],"
    "\"template_sets\":[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"a\",\"roles\":["
    "{\"key\":\"a\",\"name\":\"A\",\"description\":\"d\",\"permissions\":\"*\"}]}]}";

static int setup(void **state)
{
    gh_catalog *cat = NULL;
    char err[256];
    if (gh_catalog_parse(CAT, sizeof CAT - 1, "scopes.json", &cat, err, sizeof err))
        fail_msg("%s", err);
    gh_access_init(cat);
    *state = cat;
    return 0;
}

static int teardown(void **state)
{
    gh_access_init(NULL);
    gh_catalog_free(*state);
    return 0;
}

static gh_ctx key_ctx(const char *scopes)
{
    gh_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.actor.type = GH_ACTOR_API_KEY;
    gh_access_key_scopes(scopes, &ctx.actor);
    return ctx;
}

static void service_scope_names(void **state)
{
    (void)state;
    assert_int_equal(gh_scope_service_bit("authz.check"), GH_SCOPE_AUTHZ_CHECK);
    assert_int_equal(gh_scope_service_bit("activity.write"), GH_SCOPE_ACTIVITY_WRITE);
    assert_int_equal(gh_scope_service_bit("tasks.write"), GH_SCOPE_TASKS_WRITE);
    assert_int_equal(gh_scope_service_bit("scim"), GH_SCOPE_SCIM);
    assert_int_equal(gh_scope_service_bit("users.view"), 0);
    assert_int_equal(gh_scope_service_bit("authz.checks"), 0);
    assert_int_equal(gh_scope_service_bit(NULL), 0);
    assert_string_equal(gh_scope_service_name(GH_SCOPE_TASKS_WRITE), "tasks.write");
    assert_null(gh_scope_service_name(GH_SCOPE_TASKS_WRITE | GH_SCOPE_SCIM));
    assert_null(gh_scope_service_name(0));
}

static void a_key_holds_exactly_its_scopes(void **state)
{
    (void)state;
    gh_ctx c = key_ctx("authz.check users.view");
    assert_true(gh_access_key_holds(&c.actor, "authz.check"));
    assert_true(gh_access_key_holds(&c.actor, "users.view"));
    assert_false(gh_access_key_holds(&c.actor, "users.manage"));
    assert_false(gh_access_key_holds(&c.actor, "tasks.write"));
    assert_false(gh_access_key_holds(&c.actor, NULL));
    assert_true(gh_access_allowed(&c, "users.view"));
    assert_false(gh_access_allowed(&c, "users.manage"));
    assert_false(gh_access_allowed(&c, "tasks.assign"));
    assert_false(gh_access_allowed(&c, "widgets.polish"));

    /* tasks.write acts as tasks.assign, and as nothing else */
    c = key_ctx("tasks.write");
    assert_true(gh_access_allowed(&c, "tasks.assign"));
    assert_false(gh_access_allowed(&c, "users.view"));
    assert_false(gh_access_key_holds(&c.actor, "tasks.assign"));

    /* unknown names (a catalog that dropped a key, a typo) grant nothing */
    c = key_ctx("  users.manag   nothing.at.all  ");
    assert_int_equal(c.actor.key_services, 0);
    assert_false(gh_access_allowed(&c, "users.manage"));
    assert_false(gh_access_allowed(&c, "users.manag"));

    /* the same scopes on another kind of actor mean nothing */
    c = key_ctx("users.view");
    c.actor.type = GH_ACTOR_NONE;
    assert_false(gh_access_key_holds(&c.actor, "users.view"));
    assert_false(gh_access_allowed(&c, "users.view"));
    /* recompiling replaces, never adds */
    c = key_ctx("users.view");
    gh_access_key_scopes("authz.check", &c.actor);
    assert_false(gh_access_key_holds(&c.actor, "users.view"));
    assert_true(gh_access_key_holds(&c.actor, "authz.check"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(service_scope_names),
        cmocka_unit_test(a_key_holds_exactly_its_scopes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
