/*
 * Unit tests for the pure parts of the write guard (src/core/guard.c) on
 * the default catalog: the missing/gained set arithmetic, the escalation
 * problem (code, detail, `missing` in catalog order, shortened detail), and
 * the rule on the `monitoring` template set computed with the same pure
 * function as the snapshot: a Manager may give a Supervisor's role but not
 * the IT Admin's, may not raise itself, and enabling a module confers only
 * what it newly makes effective.
 *
 * The default catalog is read from $GH_SOURCE_DIR/catalog/default.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dbfixture.h"

#include "core/authz.h"
#include "core/catalog.h"
#include "core/guard.h"

static gh_catalog *cat;

static int load_catalog(void **state)
{
    (void)state;
    cat = gh_fx_catalog_load();
    return 0;
}

static int free_catalog(void **state)
{
    (void)state;
    gh_catalog_free(cat);
    return 0;
}

static size_t P(const char *key)
{
    int p = gh_catalog_perm_index(cat, key);
    if (p < 0) fail_msg("no permission %s", key);
    return (size_t)p;
}

static gh_permset set_of(const char *const *keys)
{
    gh_permset s;
    gh_permset_clear(&s);
    for (; *keys; keys++) gh_permset_set(&s, P(*keys));
    return s;
}

/* Role r of the monitoring set, expanded. */
static const gh_permset *monitoring(const char *role)
{
    int s = gh_catalog_set_index(cat, "monitoring");
    assert_true(s >= 0);
    int r = gh_catalog_role_index(cat, (size_t)s, role);
    assert_true(r >= 0);
    return gh_catalog_role_perms(cat, (size_t)s, (size_t)r);
}

/* What a person with role perms, every module of an org that has them all,
 * and no grants effectively holds. */
static gh_permset effective(const gh_permset *role, uint64_t user_modules)
{
    gh_permset out;
    gh_authz_effective_set(cat, gh_catalog_all_modules(cat), gh_catalog_all_addons(cat), NULL, role, false, user_modules, NULL,
                           &out);
    return out;
}

static void missing_and_gained(void **state)
{
    (void)state;
    static const char *const held_k[] = {"users.view", "users.manage", NULL};
    static const char *const need_k[] = {"users.manage", "it.operations", NULL};
    gh_permset held = set_of(held_k), need = set_of(need_k), miss, gained;
    assert_true(gh_guard_missing(&held, &need, &miss));
    assert_int_equal(gh_permset_count(&miss), 1);
    assert_true(gh_permset_test(&miss, P("it.operations")));
    assert_false(gh_guard_missing(&need, &need, &miss));
    assert_true(gh_permset_is_empty(&miss));
    gh_permset empty;
    gh_permset_clear(&empty);
    assert_false(gh_guard_missing(&empty, &empty, &miss)); /* conferring nothing needs nothing */
    /* Gained: only what is new; lowering gains nothing. */
    gh_guard_gained(&held, &need, &gained);
    assert_int_equal(gh_permset_count(&gained), 1);
    assert_true(gh_permset_test(&gained, P("it.operations")));
    gh_guard_gained(&need, &empty, &gained);
    assert_true(gh_permset_is_empty(&gained));
}

static void escalation_problem(void **state)
{
    (void)state;
    gh_err err = {0};
    /* Nothing missing: OK and err untouched. */
    assert_int_equal(gh_guard_escalation(&err, cat, monitoring("it-admin"), monitoring("manager"), "x"), GH_OK);
    assert_int_equal(err.status, GH_OK);
    assert_null(err.extra);
    /* A Manager giving the IT Admin role: the three keys, in catalog order. */
    assert_int_equal(gh_guard_escalation(&err, cat, monitoring("manager"), monitoring("it-admin"), "you cannot"),
                     GH_E_FORBIDDEN);
    assert_int_equal(err.status, GH_E_FORBIDDEN);
    assert_string_equal(err.code, "escalation");
    assert_string_equal(err.detail, "you cannot: it.operations, dashboards.manage_any, erp.manage");
    json_t *m = json_object_get(err.extra, "missing");
    assert_non_null(m);
    assert_int_equal(json_array_size(m), 3);
    assert_string_equal(json_string_value(json_array_get(m, 0)), "it.operations");
    assert_string_equal(json_string_value(json_array_get(m, 1)), "dashboards.manage_any");
    assert_string_equal(json_string_value(json_array_get(m, 2)), "erp.manage");
    gh_err_clear(&err);
    /* Nothing held, everything asked: the detail is shortened, `missing` is whole. */
    gh_permset none;
    gh_permset_clear(&none);
    assert_int_equal(gh_guard_escalation(&err, cat, &none, gh_catalog_all_perms(cat), "held nothing"), GH_E_FORBIDDEN);
    assert_true(strlen(err.detail) < sizeof err.detail - 1);
    assert_non_null(strstr(err.detail, " more"));
    assert_int_equal(json_array_size(json_object_get(err.extra, "missing")), gh_catalog_perm_count(cat));
    gh_err_clear(&err);
}

static void monitoring_rule(void **state)
{
    (void)state;
    uint64_t all = GH_AUTHZ_ALL_MODULES;
    gh_permset mgr = effective(monitoring("manager"), all), miss, gained;
    gh_permset sup = effective(monitoring("supervisor"), all), it = effective(monitoring("it-admin"), all);
    /* Supervisor -> Manager: everything gained is the Manager's own. */
    gh_guard_gained(&sup, &mgr, &gained);
    assert_false(gh_guard_missing(&mgr, &gained, &miss));
    /* Manager -> IT Admin, for anyone or for itself: three keys missing. */
    gh_guard_gained(&mgr, &it, &gained);
    assert_true(gh_guard_missing(&mgr, &gained, &miss));
    assert_int_equal(gh_permset_count(&miss), 3);
    /* The creator (owner_role) holds every permission of the set. */
    int s = gh_catalog_set_index(cat, "monitoring");
    const char *owner = gh_catalog_set_owner_role(cat, (size_t)s);
    assert_string_equal(owner, "it-admin");
    for (size_t r = 0; r < gh_catalog_role_count(cat, (size_t)s); r++)
        assert_false(gh_guard_missing(monitoring(owner), gh_catalog_role_perms(cat, (size_t)s, r), &miss));
    /* Modules: a Manager working in production only may enable production
     * for a supervisor, not qc for an inspector. */
    int prod = gh_catalog_module_index(cat, "production"), qc = gh_catalog_module_index(cat, "qc");
    assert_true(prod >= 0 && qc >= 0);
    gh_permset mgr_prod = effective(monitoring("manager"), UINT64_C(1) << prod);
    assert_false(gh_permset_test(&mgr_prod, P("qc.inspections.use")));
    static const char *const insp_k[] = {"qc.inspections.use", "jobs.add", NULL};
    gh_permset insp = set_of(insp_k);
    gh_permset before = effective(&insp, 0), with_prod = effective(&insp, UINT64_C(1) << prod);
    gh_permset with_qc = effective(&insp, (UINT64_C(1) << prod) | (UINT64_C(1) << qc));
    gh_guard_gained(&before, &with_prod, &gained);
    assert_false(gh_guard_missing(&mgr_prod, &gained, &miss));
    gh_guard_gained(&with_prod, &with_qc, &gained);
    assert_true(gh_guard_missing(&mgr_prod, &gained, &miss));
    assert_int_equal(gh_permset_count(&miss), 1);
    assert_true(gh_permset_test(&miss, P("qc.inspections.use")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_and_gained),
        cmocka_unit_test(escalation_problem),
        cmocka_unit_test(monitoring_rule),
    };
    return cmocka_run_group_tests(tests, load_catalog, free_catalog);
}
