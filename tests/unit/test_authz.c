/*
 * Unit tests for the authorization snapshot (src/core/authz.c) on the
 * default catalog: roles and grants, non-hierarchy, module gating by org and
 * by user, add-on gating, device (read-only) accounts, inactive, unknown
 * users and unlisted keys, input validation, the explain/effective JSON, the
 * self-lockout helper, and a randomized check that the compiled bits, the
 * reasons and the pure rule function always agree.
 *
 * The default catalog is read from $GH_SOURCE_DIR/catalog/default.json
 * (set by CTest), else ./catalog/default.json.
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

static gh_catalog *cat; /* the default catalog, loaded once */

/* ---- helpers ---------------------------------------------------------------- */

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

static int P(const char *key)
{
    int p = gh_catalog_perm_index(cat, key);
    if (p < 0)
        fail_msg("no permission %s", key);
    return p;
}

static uint64_t M(const char *key)
{
    int m = gh_catalog_module_index(cat, key);
    if (m < 0)
        fail_msg("no module %s", key);
    return UINT64_C(1) << m;
}

static uint64_t A(const char *key)
{
    int a = gh_catalog_addon_index(cat, key);
    if (a < 0)
        fail_msg("no add-on %s", key);
    return UINT64_C(1) << a;
}

/* Set of the NULL-terminated keys. */
static gh_permset perms(const char *first, ...)
{
    gh_permset s;
    va_list ap;
    gh_permset_clear(&s);
    va_start(ap, first);
    for (const char *k = first; k; k = va_arg(ap, const char *))
        gh_permset_set(&s, (size_t)P(k));
    va_end(ap);
    return s;
}

static gh_permset none(void)
{
    gh_permset s;
    gh_permset_clear(&s);
    return s;
}

#define MAXO 8
#define MAXR 64
#define MAXU 2048

/* The inputs of one snapshot. Strings point to literals or to ids[]. */
struct world {
    gh_authz_org_in orgs[MAXO];
    gh_authz_role_in roles[MAXR];
    gh_authz_user_in users[MAXU];
    size_t norgs, nroles, nusers;
    char ids[MAXU][24];
};

static struct world *world_new(void)
{
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    return w;
}

static void add_org(struct world *w, const char *id, uint64_t modules, uint64_t addons)
{
    assert_true(w->norgs < MAXO);
    w->orgs[w->norgs++] = (gh_authz_org_in){.org_id = id, .modules = modules, .addons = addons};
}

static void add_role(struct world *w, const char *org, const char *key, gh_permset p, bool device)
{
    assert_true(w->nroles < MAXR);
    w->roles[w->nroles++] =
        (gh_authz_role_in){.org_id = org, .key = key, .perms = p, .device = device};
}

/* Gives org the roles of a template set, as an org created from it. */
static void add_template(struct world *w, const char *org, const char *set)
{
    int s = gh_catalog_set_index(cat, set);
    assert_true(s >= 0);
    for (size_t r = 0; r < gh_catalog_role_count(cat, (size_t)s); r++)
        add_role(w, org, gh_catalog_role_key(cat, (size_t)s, r),
                 *gh_catalog_role_perms(cat, (size_t)s, r),
                 gh_catalog_role_device(cat, (size_t)s, r));
}

/* The org opens what template set `set` opens (as gh_access builds it). */
static void open_as(struct world *w, const char *org, const char *set)
{
    int s = gh_catalog_set_index(cat, set);
    assert_true(s >= 0);
    for (size_t o = 0; o < w->norgs; o++)
        if (strcmp(w->orgs[o].org_id, org) == 0)
            w->orgs[o].open = *gh_catalog_set_open(cat, (size_t)s);
}

/* Adds a user and returns its index (input order). */
static int add_user(struct world *w, const char *org, const char *id, const char *role,
                    uint64_t modules, gh_permset grants, bool active)
{
    assert_true(w->nusers < MAXU);
    w->users[w->nusers] = (gh_authz_user_in){.org_id = org, .user_id = id, .role_key = role,
                                             .modules = modules, .grants = grants,
                                             .active = active};
    return (int)w->nusers++;
}

static gh_authz *build(const struct world *w)
{
    gh_authz *az = NULL;
    int rc = gh_authz_build(cat, w->orgs, w->norgs, w->roles, w->nroles, w->users, w->nusers, &az);
    if (rc != GH_AUTHZ_OK)
        fail_msg("gh_authz_build failed: %d", rc);
    return az;
}

static int build_rc(const struct world *w)
{
    gh_authz *az = (gh_authz *)&az; /* must be reset to NULL on failure */
    int rc = gh_authz_build(cat, w->orgs, w->norgs, w->roles, w->nroles, w->users, w->nusers, &az);
    if (rc == GH_AUTHZ_OK)
        gh_authz_free(az);
    else
        assert_null(az);
    return rc;
}

/* Asserts user u holds exactly the permissions in want. */
static void assert_holds_exactly(const gh_authz *az, int u, const gh_permset *want)
{
    for (size_t p = 0; p < gh_catalog_perm_count(cat); p++)
        if (gh_authz_allowed(az, u, (int)p) != gh_permset_test(want, p))
            fail_msg("user %d: %s is %s", u, gh_catalog_perm_key(cat, p),
                     gh_permset_test(want, p) ? "denied but should be allowed"
                                              : "allowed but should be denied");
    gh_permset got;
    gh_authz_user_perms(az, u, &got);
    assert_true(gh_permset_equal(&got, want));
}

static void assert_reason(const gh_authz *az, const char *org, const char *user, const char *perm,
                          bool allowed, gh_authz_reason want)
{
    gh_authz_reason why = (gh_authz_reason)-1;
    bool ok = gh_authz_check(az, org, user, perm, &why);
    if (ok != allowed || why != want)
        fail_msg("%s/%s %s: got %s (%s), want %s (%s)", org, user, perm,
                 ok ? "allowed" : "denied", gh_authz_reason_str(why),
                 allowed ? "allowed" : "denied", gh_authz_reason_str(want));
}

#define ALL_MODULES GH_AUTHZ_ALL_MODULES

/* ---- tests -------------------------------------------------------------------- */

static void roles_and_grants(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "acme", ALL_MODULES, UINT64_MAX);
    add_template(w, "acme", "plant");
    int alice = add_user(w, "acme", "alice", "admin", ALL_MODULES, none(), true);
    int bob = add_user(w, "acme", "bob", "user", ALL_MODULES, none(), true);
    int carol = add_user(w, "acme", "carol", "user", ALL_MODULES,
                         perms("tasks.assign", "orders.enter", NULL), true);
    int dave = add_user(w, "acme", "dave", NULL, ALL_MODULES, perms("analytics.view", NULL), true);
    gh_authz *az = build(w);

    assert_int_equal(gh_authz_user_count(az), 4);
    assert_int_equal(gh_authz_user_index(az, "acme", "carol"), carol);
    assert_holds_exactly(az, alice, gh_catalog_all_perms(cat));
    gh_permset want = perms("orders.enter", "documents.upload", "tasks.work",
                            "production_data.enter", "quality_data.enter", NULL);
    assert_holds_exactly(az, bob, &want);
    gh_permset_set(&want, (size_t)P("tasks.assign"));
    assert_holds_exactly(az, carol, &want);
    want = perms("analytics.view", NULL);
    assert_holds_exactly(az, dave, &want);

    assert_reason(az, "acme", "alice", "users.manage", true, GH_AUTHZ_GRANTED_BY_ROLE);
    assert_reason(az, "acme", "bob", "tasks.assign", false, GH_AUTHZ_NOT_GRANTED);
    assert_reason(az, "acme", "carol", "tasks.assign", true, GH_AUTHZ_GRANTED_BY_GRANT);
    assert_reason(az, "acme", "carol", "orders.enter", true, GH_AUTHZ_GRANTED_BY_ROLE); /* both */
    assert_reason(az, "acme", "dave", "analytics.view", true, GH_AUTHZ_GRANTED_BY_GRANT);
    assert_string_equal(gh_authz_user_role(az, carol), "user");
    assert_null(gh_authz_user_role(az, dave));
    gh_authz_free(az);
    free(w);
}

/* Holding X never implies Y: a user granted exactly one permission holds
 * exactly that one, for every permission of the catalog. */
static void permissions_are_not_hierarchical(void **state)
{
    (void)state;
    struct world *w = world_new();
    size_t n = gh_catalog_perm_count(cat);
    add_org(w, "acme", ALL_MODULES, UINT64_MAX);
    add_role(w, "acme", "planner", perms("qc.plans.manage", NULL), false);
    for (size_t p = 0; p < n; p++) {
        gh_permset one = none();
        gh_permset_set(&one, p);
        snprintf(w->ids[p], sizeof w->ids[p], "u%zu", p);
        add_user(w, "acme", w->ids[p], NULL, ALL_MODULES, one, true);
    }
    int planner = add_user(w, "acme", "planner", "planner", ALL_MODULES, none(), true);
    gh_authz *az = build(w);
    for (size_t p = 0; p < n; p++) {
        gh_permset one = none();
        gh_permset_set(&one, p);
        assert_holds_exactly(az, (int)p, &one);
    }
    /* 001's example: Manage Plans without Inspection User cannot inspect */
    assert_true(gh_authz_allowed(az, planner, P("qc.plans.manage")));
    assert_false(gh_authz_allowed(az, planner, P("qc.inspections.use")));
    /* managing users does not imply viewing the page, nor the reverse */
    int manager = gh_authz_user_index(az, "acme", w->ids[P("users.manage")]);
    assert_false(gh_authz_allowed(az, manager, P("users.view")));
    gh_authz_free(az);
    free(w);
}

static void modules_gate_by_org(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "small", M("production"), 0); /* core is on whatever the mask says */
    add_org(w, "bare", 0, 0);
    add_template(w, "small", "quality");
    add_template(w, "bare", "quality");
    int s = add_user(w, "small", "root", "admin", ALL_MODULES, none(), true);
    int b = add_user(w, "bare", "root", "admin", ALL_MODULES, perms("qms.use", NULL), true);
    gh_authz *az = build(w);

    assert_reason(az, "small", "root", "users.manage", true, GH_AUTHZ_GRANTED_BY_ROLE);
    assert_reason(az, "small", "root", "tasks.work", true, GH_AUTHZ_GRANTED_BY_ROLE);
    assert_reason(az, "small", "root", "qc.plans.manage", false, GH_AUTHZ_MODULE_DISABLED_FOR_ORG);
    assert_reason(az, "small", "root", "oee.batches.run", false, GH_AUTHZ_MODULE_DISABLED_FOR_ORG);
    assert_int_equal(gh_authz_user_modules(az, s), M("core") | M("production"));
    /* with no module at all, exactly the core permissions remain */
    assert_holds_exactly(az, b, gh_catalog_module_perms(cat, 0));
    assert_reason(az, "bare", "root", "qms.use", false, GH_AUTHZ_MODULE_DISABLED_FOR_ORG);
    assert_int_equal(gh_authz_user_modules(az, b), M("core"));
    gh_authz_free(az);
    free(w);
}

static void modules_gate_by_user(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "acme", M("qc") | M("qms") | M("gages"), UINT64_MAX);
    add_template(w, "acme", "quality");
    int u = add_user(w, "acme", "insp", "user", M("qc") | M("oee"), none(), true);
    gh_authz *az = build(w);
    assert_reason(az, "acme", "insp", "qc.inspections.use", true, GH_AUTHZ_GRANTED_BY_ROLE);
    assert_reason(az, "acme", "insp", "qms.use", false, GH_AUTHZ_MODULE_DISABLED_FOR_USER);
    assert_reason(az, "acme", "insp", "gages.use", false, GH_AUTHZ_MODULE_DISABLED_FOR_USER);
    /* the user's mask cannot enable what the org lacks */
    assert_reason(az, "acme", "insp", "portal.use", false, GH_AUTHZ_MODULE_DISABLED_FOR_ORG);
    assert_int_equal(gh_authz_user_modules(az, u), M("core") | M("qc"));
    gh_permset want = perms("qc.inspections.use", NULL);
    assert_holds_exactly(az, u, &want);
    gh_authz_free(az);
    free(w);
}

static void addons_gate_by_org(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "docs", ALL_MODULES, A("docs"));
    add_org(w, "plain", ALL_MODULES, 0);
    add_template(w, "docs", "quality");
    add_template(w, "plain", "quality");
    add_user(w, "docs", "a", "admin", ALL_MODULES, none(), true);
    add_user(w, "docs", "g", "read-only", ALL_MODULES, perms("qms.training.manage", NULL), true);
    add_user(w, "plain", "a", "admin", ALL_MODULES, none(), true);
    gh_authz *az = build(w);
    assert_reason(az, "docs", "a", "qms.docs.manage", true, GH_AUTHZ_GRANTED_BY_ROLE);
    assert_reason(az, "docs", "a", "qms.training.manage", false, GH_AUTHZ_ADDON_MISSING);
    assert_reason(az, "docs", "g", "qms.training.manage", false, GH_AUTHZ_ADDON_MISSING);
    assert_reason(az, "plain", "a", "qms.docs.manage", false, GH_AUTHZ_ADDON_MISSING);
    assert_reason(az, "plain", "a", "qms.use", true, GH_AUTHZ_GRANTED_BY_ROLE);
    gh_authz_free(az);
    free(w);
}

static void device_accounts_are_read_only(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "mm", ALL_MODULES, UINT64_MAX);
    add_template(w, "mm", "monitoring");
    open_as(w, "mm", "monitoring");
    add_role(w, "mm", "wall", *gh_catalog_all_perms(cat), true); /* a device role given "*" */
    int kiosk = add_user(w, "mm", "kiosk", "kiosk", ALL_MODULES,
                         perms("reports.download", "users.manage", "alerts.view_config", NULL), true);
    int wall = add_user(w, "mm", "wall", "wall", ALL_MODULES, none(), true);
    gh_authz *az = build(w);
    assert_true(gh_authz_user_device(az, kiosk));
    assert_reason(az, "mm", "kiosk", "reports.download", true, GH_AUTHZ_GRANTED_BY_GRANT);
    assert_reason(az, "mm", "kiosk", "users.manage", false, GH_AUTHZ_DEVICE_READ_ONLY);
    assert_reason(az, "mm", "kiosk", "tasks.work", false, GH_AUTHZ_NOT_GRANTED);
    /* nobody gets what the catalog does not list; a device does get the
     * open read-only features (issue 11: it used to be refused them) */
    assert_false(gh_authz_allowed(az, kiosk, -1));
    assert_reason(az, "mm", "kiosk", "widgets.polish", false, GH_AUTHZ_UNKNOWN_PERMISSION);
    assert_reason(az, "mm", "kiosk", "dashboards.view", true, GH_AUTHZ_OPEN);
    assert_reason(az, "mm", "kiosk", "reports.view", true, GH_AUTHZ_OPEN);
    gh_permset want = perms("reports.download", "alerts.view_config", "dashboards.view", "reports.view", NULL);
    assert_holds_exactly(az, kiosk, &want);
    /* a device role holding everything keeps exactly the read-only ones */
    assert_holds_exactly(az, wall, gh_catalog_read_only_perms(cat));
    assert_int_equal(gh_permset_count(gh_catalog_read_only_perms(cat)), 10);
    gh_authz_free(az);
    free(w);
}

static void inactive_users_get_nothing(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "acme", ALL_MODULES, UINT64_MAX);
    add_template(w, "acme", "plant");
    int u = add_user(w, "acme", "gone", "admin", ALL_MODULES, perms("users.view", NULL), false);
    gh_authz *az = build(w);
    gh_permset empty = none();
    assert_holds_exactly(az, u, &empty);
    assert_false(gh_authz_allowed(az, u, -1));
    assert_reason(az, "acme", "gone", "users.manage", false, GH_AUTHZ_USER_INACTIVE);
    assert_reason(az, "acme", "gone", "no.such.thing", false, GH_AUTHZ_USER_INACTIVE);
    assert_false(gh_authz_user_active(az, u));
    assert_int_equal(gh_authz_user_modules(az, u), 0);
    for (size_t t = 0; t < gh_catalog_tab_count(cat); t++)
        assert_false(gh_authz_tab_visible(az, u, t));
    gh_authz_free(az);
    free(w);
}

/* Fail closed: a key the catalog does not list is denied to everyone; open
 * permissions are granted to every active person of an org whose set opens
 * them, and to device accounts only when read-only. */
static void unknown_keys_are_denied_open_keys_granted(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "acme", ALL_MODULES, UINT64_MAX);
    add_template(w, "acme", "oee");
    open_as(w, "acme", "oee");
    add_org(w, "bolt", ALL_MODULES, UINT64_MAX);
    add_template(w, "bolt", "plant");
    open_as(w, "bolt", "plant");
    add_org(w, "cast", ALL_MODULES, UINT64_MAX);
    add_template(w, "cast", "monitoring");
    open_as(w, "cast", "monitoring");
    int ro = add_user(w, "acme", "guest", "read-only", ALL_MODULES, none(), true);
    add_user(w, "acme", "nomod", "read-only", 0, none(), true);
    add_user(w, "acme", "locked", "read-only", ALL_MODULES, none(), false);
    add_user(w, "bolt", "worker", "user", ALL_MODULES, none(), true);
    add_user(w, "cast", "display", "kiosk", ALL_MODULES, none(), true);
    gh_authz *az = build(w);
    assert_false(gh_authz_allowed(az, ro, -1));
    assert_reason(az, "acme", "guest", "anything.else", false, GH_AUTHZ_UNKNOWN_PERMISSION);
    assert_reason(az, "acme", "guest", "users.manag", false, GH_AUTHZ_UNKNOWN_PERMISSION);
    assert_false(gh_authz_allowed(az, ro, -2));
    assert_false(gh_authz_allowed(az, ro, (int)gh_catalog_perm_count(cat)));
    assert_false(gh_authz_check(az, "acme", "guest", NULL, NULL));
    /* the oee set opens oee.view; the catalog opens dashboards.view */
    assert_reason(az, "acme", "guest", "oee.view", true, GH_AUTHZ_OPEN);
    assert_reason(az, "acme", "guest", "dashboards.view", true, GH_AUTHZ_OPEN);
    assert_reason(az, "acme", "guest", "links.external", false, GH_AUTHZ_NOT_GRANTED);
    assert_reason(az, "acme", "nomod", "oee.view", false, GH_AUTHZ_MODULE_DISABLED_FOR_USER);
    assert_reason(az, "acme", "locked", "oee.view", false, GH_AUTHZ_USER_INACTIVE);
    /* another set does not open what oee opens */
    assert_reason(az, "bolt", "worker", "oee.view", false, GH_AUTHZ_NOT_GRANTED);
    assert_reason(az, "bolt", "worker", "reports.view", true, GH_AUTHZ_OPEN);
    /* a device account sees the open read-only features */
    assert_reason(az, "cast", "display", "dashboards.view", true, GH_AUTHZ_OPEN);
    assert_reason(az, "cast", "display", "reports.view", true, GH_AUTHZ_OPEN);
    assert_reason(az, "cast", "display", "users.view", false, GH_AUTHZ_NOT_GRANTED);
    gh_authz_free(az);

    /* an open permission that changes things stays closed to a device */
    static const char text[] =
        "{\"version\":1,\"default_template_set\":\"s\","
        "\"modules\":[{\"key\":\"core\",\"name\":\"C\",\"always_on\":true}],"
        "\"permissions\":[{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"},"
        "{\"key\":\"widgets.polish\",\"module\":\"core\",\"name\":\"P\",\"description\":\"d\",\"open\":true},"
        "{\"key\":\"widgets.look\",\"module\":\"core\",\"name\":\"L\",\"description\":\"d\",\"open\":true,\"read_only\":true}],"
        "\"template_sets\":[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"a\",\"roles\":["
        "{\"key\":\"a\",\"name\":\"A\",\"description\":\"d\",\"permissions\":\"*\"},"
        "{\"key\":\"d\",\"name\":\"D\",\"description\":\"d\",\"device\":true,\"permissions\":[]}]}]}";
    gh_catalog *c2 = NULL;
    char err[256];
    if (gh_catalog_parse(text, sizeof text - 1, "open.json", &c2, err, sizeof err))
        fail_msg("%s", err);
    gh_authz_org_in org = {"acme", 0, 0, *gh_catalog_set_open(c2, 0)};
    gh_authz_role_in dev = {.org_id = "acme", .key = "d", .device = true};
    gh_authz_user_in users[] = {
        {.org_id = "acme", .user_id = "x", .modules = ALL_MODULES, .active = true},
        {.org_id = "acme", .user_id = "screen", .role_key = "d", .modules = ALL_MODULES, .active = true}};
    assert_int_equal(gh_authz_build(c2, &org, 1, &dev, 1, users, 2, &az), GH_AUTHZ_OK);
    assert_reason(az, "acme", "x", "widgets.polish", true, GH_AUTHZ_OPEN);
    assert_reason(az, "acme", "x", "users.manage", false, GH_AUTHZ_NOT_GRANTED);
    assert_reason(az, "acme", "x", "anything.else", false, GH_AUTHZ_UNKNOWN_PERMISSION);
    assert_reason(az, "acme", "screen", "widgets.look", true, GH_AUTHZ_OPEN);
    assert_reason(az, "acme", "screen", "widgets.polish", false, GH_AUTHZ_DEVICE_READ_ONLY);
    gh_authz_free(az);
    gh_catalog_free(c2);
    free(w);
}

static void unknown_users_are_denied(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "a", ALL_MODULES, UINT64_MAX);
    add_org(w, "b", ALL_MODULES, UINT64_MAX);
    add_template(w, "a", "plant");
    add_template(w, "b", "plant");
    add_user(w, "a", "same-id", "admin", ALL_MODULES, none(), true);
    add_user(w, "b", "same-id", "user", ALL_MODULES, none(), true);
    add_user(w, "a", "only-a", "admin", ALL_MODULES, none(), true);
    gh_authz *az = build(w);
    assert_int_equal(gh_authz_user_index(az, "a", "same-id"), 0);
    assert_int_equal(gh_authz_user_index(az, "b", "same-id"), 1);
    assert_int_equal(gh_authz_user_index(az, "b", "only-a"), -1); /* tenancy */
    assert_int_equal(gh_authz_user_index(az, "c", "only-a"), -1);
    assert_int_equal(gh_authz_user_index(az, "a", "nobody"), -1);
    assert_int_equal(gh_authz_user_index(az, NULL, "only-a"), -1);
    assert_reason(az, "b", "only-a", "orders.enter", false, GH_AUTHZ_UNKNOWN_USER);
    assert_reason(az, "a", "nobody", "anything.else", false, GH_AUTHZ_UNKNOWN_USER);
    assert_reason(az, "b", "same-id", "users.manage", false, GH_AUTHZ_NOT_GRANTED);
    assert_false(gh_authz_allowed(az, -1, -1));
    assert_false(gh_authz_allowed(az, -1, 0));
    assert_false(gh_authz_allowed(az, 3, 0));
    assert_false(gh_authz_allowed(NULL, 0, 0));
    assert_int_equal(gh_authz_reason_of(az, 99, 0), GH_AUTHZ_UNKNOWN_USER);
    assert_null(gh_authz_explain(az, cat, 99));
    assert_null(gh_authz_perms_json(az, -1));
    gh_authz_free(az);
    free(w);
}

static void build_rejects_bad_input(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "a", ALL_MODULES, 0);
    add_role(w, "a", "r", none(), false);
    add_user(w, "a", "u", "r", ALL_MODULES, none(), true);
    assert_int_equal(build_rc(w), GH_AUTHZ_OK);

    w->users[0].role_key = "missing";
    assert_int_equal(build_rc(w), GH_AUTHZ_EINVAL);
    w->users[0].role_key = "r";
    w->users[0].org_id = "nowhere";
    assert_int_equal(build_rc(w), GH_AUTHZ_EINVAL);
    w->users[0].org_id = "a";
    w->users[0].user_id = NULL;
    assert_int_equal(build_rc(w), GH_AUTHZ_EINVAL);
    w->users[0].user_id = "u";
    gh_permset_set(&w->users[0].grants, gh_catalog_perm_count(cat)); /* past the catalog */
    assert_int_equal(build_rc(w), GH_AUTHZ_EINVAL);
    w->users[0].grants = none();

    add_user(w, "a", "u", NULL, ALL_MODULES, none(), true); /* duplicate user */
    assert_int_equal(build_rc(w), GH_AUTHZ_EINVAL);
    w->nusers--;
    add_role(w, "a", "r", none(), false); /* duplicate role */
    assert_int_equal(build_rc(w), GH_AUTHZ_EINVAL);
    w->nroles--;
    add_role(w, "b", "r", none(), false); /* role of an unknown org */
    assert_int_equal(build_rc(w), GH_AUTHZ_EINVAL);
    w->nroles--;
    add_org(w, "b", 0, 0);
    add_role(w, "b", "theirs", none(), false);
    w->users[0].role_key = "theirs"; /* a role of another org */
    assert_int_equal(build_rc(w), GH_AUTHZ_EINVAL);
    w->users[0].role_key = "r";
    assert_int_equal(build_rc(w), GH_AUTHZ_OK);
    w->nroles--;
    w->norgs--;
    add_org(w, "a", 0, 0); /* duplicate org */
    assert_int_equal(build_rc(w), GH_AUTHZ_EINVAL);
    w->norgs--;
    assert_int_equal(build_rc(w), GH_AUTHZ_OK);

    /* an empty snapshot is fine and knows nobody */
    gh_authz *az = NULL;
    assert_int_equal(gh_authz_build(cat, NULL, 0, NULL, 0, NULL, 0, &az), GH_AUTHZ_OK);
    assert_int_equal(gh_authz_user_index(az, "a", "u"), -1);
    gh_authz_free(az);
    free(w);
}

static bool reason_grants(gh_authz_reason r)
{
    return r == GH_AUTHZ_GRANTED_BY_ROLE || r == GH_AUTHZ_GRANTED_BY_GRANT ||
           r == GH_AUTHZ_OPEN;
}

static uint64_t rnd(uint64_t *x) /* xorshift64 */
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* The compiled bits, the reasons and the pure rule function agree for every
 * user and permission of a random world built from all template sets. */
static void snapshot_agrees_with_rule(void **state)
{
    (void)state;
    struct world *w = world_new();
    static const char *const orgs[] = {"o0", "o1", "o2", "o3"};
    static const char *const sets[] = {"oee", "monitoring", "quality", "plant"};
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t o = 0; o < 4; o++) {
        uint64_t modules = rnd(&x), addons = rnd(&x);
        add_org(w, orgs[o], modules, addons);
        add_template(w, orgs[o], sets[o]);
        if (o % 2)
            open_as(w, orgs[o], sets[o]);
    }
    size_t nperm = gh_catalog_perm_count(cat);
    for (size_t i = 0; i < 1500; i++) {
        size_t o = rnd(&x) % 4;
        int s = gh_catalog_set_index(cat, sets[o]);
        size_t nroles = gh_catalog_role_count(cat, (size_t)s);
        size_t r = rnd(&x) % (nroles + 1); /* nroles: no role */
        gh_permset grants = none();
        for (int g = (int)(rnd(&x) % 4); g > 0; g--)
            gh_permset_set(&grants, rnd(&x) % nperm);
        uint64_t modules = rnd(&x) % 3 ? rnd(&x) : ALL_MODULES;
        bool active = rnd(&x) % 8 != 0;
        snprintf(w->ids[i], sizeof w->ids[i], "user%zu", i);
        add_user(w, orgs[o], w->ids[i],
                 r < nroles ? gh_catalog_role_key(cat, (size_t)s, r) : NULL, modules, grants,
                 active);
    }
    gh_authz *az = build(w);
    for (size_t i = 0; i < w->nusers; i++) {
        const gh_authz_user_in *in = &w->users[i];
        const gh_authz_org_in *org = NULL;
        const gh_authz_role_in *role = NULL;
        for (size_t o = 0; o < w->norgs; o++)
            if (strcmp(w->orgs[o].org_id, in->org_id) == 0)
                org = &w->orgs[o];
        for (size_t r = 0; in->role_key && r < w->nroles; r++)
            if (strcmp(w->roles[r].org_id, in->org_id) == 0 &&
                strcmp(w->roles[r].key, in->role_key) == 0)
                role = &w->roles[r];
        assert_int_equal(gh_authz_user_index(az, in->org_id, in->user_id), (int)i);
        for (int p = -1; p < (int)nperm; p++) {
            bool got = gh_authz_allowed(az, (int)i, p);
            bool rule = in->active && gh_authz_effective_would_hold(
                                          cat, org->modules, org->addons, &org->open,
                                          role ? &role->perms : NULL, role && role->device,
                                          in->modules, &in->grants, p);
            gh_authz_reason why = gh_authz_reason_of(az, (int)i, p);
            if (got != rule || got != reason_grants(why))
                fail_msg("user %zu perm %d: allowed %d, rule %d, reason %s", i, p, got, rule,
                         gh_authz_reason_str(why));
        }
    }
    gh_authz_free(az);
    free(w);
}

static json_t *find_by_key(json_t *arr, const char *module, const char *key)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *m = json_string_value(json_object_get(v, "module"));
        if (strcmp(json_string_value(json_object_get(v, "key")), key) == 0 &&
            (!module || (m && strcmp(m, module) == 0)))
            return v;
    }
    return NULL;
}

static bool json_has_string(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

static void explain_and_effective_json(void **state)
{
    (void)state;
    struct world *w = world_new();
    add_org(w, "acme", M("production") | M("qms"), A("docs"));
    add_template(w, "acme", "oee");
    int staff = add_user(w, "acme", "sam", "staff", M("qms"),
                         perms("users.view", "qms.training.manage", NULL), true);
    gh_authz *az = build(w);

    json_t *ex = gh_authz_explain(az, cat, staff);
    assert_non_null(ex);
    assert_string_equal(json_string_value(json_object_get(ex, "user_id")), "sam");
    assert_string_equal(json_string_value(json_object_get(ex, "role")), "staff");
    json_t *perms_arr = json_object_get(ex, "permissions");
    assert_int_equal(json_array_size(perms_arr), gh_catalog_perm_count(cat));

    json_t *e = find_by_key(perms_arr, NULL, "alerts.view_config");
    assert_true(json_is_true(json_object_get(e, "allowed")));
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "granted_by_role");
    assert_true(json_is_true(json_object_get(e, "via_role")));
    assert_true(json_is_false(json_object_get(e, "via_grant")));
    assert_string_equal(json_string_value(json_object_get(e, "module")), "core");
    assert_true(json_is_null(json_object_get(e, "addon")));
    assert_true(json_is_true(json_object_get(e, "addon_present")));

    e = find_by_key(perms_arr, NULL, "oee.batches.run"); /* role has it, org lacks oee */
    assert_true(json_is_false(json_object_get(e, "allowed")));
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "module_disabled_for_org");
    assert_true(json_is_true(json_object_get(e, "via_role")));
    assert_true(json_is_false(json_object_get(e, "module_enabled_org")));

    e = find_by_key(perms_arr, NULL, "qms.training.manage"); /* granted, add-on missing */
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "addon_missing");
    assert_string_equal(json_string_value(json_object_get(e, "addon")), "training");
    assert_true(json_is_false(json_object_get(e, "addon_present")));
    assert_true(json_is_true(json_object_get(e, "module_enabled_user")));

    e = find_by_key(perms_arr, NULL, "tasks.work"); /* org has production, the user not */
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "module_disabled_for_user");
    assert_true(json_is_true(json_object_get(e, "module_enabled_org")));
    assert_true(json_is_false(json_object_get(e, "module_enabled_user")));

    json_t *tabs = json_object_get(ex, "tabs");
    assert_int_equal(json_array_size(tabs), gh_catalog_tab_count(cat));
    e = find_by_key(tabs, "core", "users"); /* users.view granted */
    assert_true(json_is_true(json_object_get(e, "visible")));
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "visible");
    e = find_by_key(tabs, "core", "settings");
    assert_true(json_is_false(json_object_get(e, "visible")));
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "not_granted");
    e = find_by_key(tabs, "qms", "analytics");
    assert_true(json_is_true(json_object_get(e, "visible")));
    e = find_by_key(tabs, "qc", "analytics");
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "module_disabled_for_org");
    e = find_by_key(tabs, "production", "orders");
    assert_string_equal(json_string_value(json_object_get(e, "reason")), "module_disabled_for_user");
    json_decref(ex);

    json_t *eff = gh_authz_effective_json(az, staff);
    assert_non_null(eff);
    json_t *held = json_object_get(eff, "permissions");
    assert_int_equal(json_array_size(held), 3);
    assert_true(json_has_string(held, "users.view"));
    assert_true(json_has_string(held, "alerts.view_config"));
    assert_true(json_has_string(held, "links.external"));
    json_t *mods = json_object_get(eff, "modules");
    assert_int_equal(json_array_size(mods), 2);
    assert_true(json_has_string(mods, "core"));
    assert_true(json_has_string(mods, "qms"));
    json_t *vis = json_object_get(eff, "tabs");
    /* core: master_data, users, dashboards, reports; qms: qms, analytics */
    assert_int_equal(json_array_size(vis), 6);
    assert_non_null(find_by_key(vis, "core", "users"));
    assert_null(find_by_key(vis, "core", "settings"));
    assert_non_null(find_by_key(vis, "qms", "analytics"));
    json_decref(eff);
    gh_authz_free(az);
    free(w);
}

/* The write path asks "would this change lock me out?" before committing. */
static void self_lockout_helper(void **state)
{
    (void)state;
    int s = gh_catalog_set_index(cat, "plant");
    const gh_permset *admin = gh_catalog_role_perms(cat, (size_t)s, (size_t)gh_catalog_role_index(cat, (size_t)s, "admin"));
    const gh_permset *user = gh_catalog_role_perms(cat, (size_t)s, (size_t)gh_catalog_role_index(cat, (size_t)s, "user"));
    int manage = P("users.manage");
    gh_permset keep = perms("users.manage", NULL);
    const gh_permset *open = gh_catalog_open_perms(cat);
    assert_true(gh_authz_effective_would_hold(cat, 0, 0, NULL, admin, false, ALL_MODULES, NULL, manage));
    assert_false(gh_authz_effective_would_hold(cat, 0, 0, NULL, user, false, ALL_MODULES, NULL, manage));
    assert_true(gh_authz_effective_would_hold(cat, 0, 0, NULL, user, false, 0, &keep, manage));
    assert_false(gh_authz_effective_would_hold(cat, 0, 0, NULL, admin, true, ALL_MODULES, NULL, manage));
    assert_false(gh_authz_effective_would_hold(cat, 0, 0, open, NULL, false, 0, NULL, -1));
    assert_true(gh_authz_effective_would_hold(cat, 0, 0, open, NULL, false, 0, NULL, P("dashboards.view")));
    assert_true(gh_authz_effective_would_hold(cat, 0, 0, open, NULL, true, 0, NULL, P("dashboards.view")));
    assert_false(gh_authz_effective_would_hold(cat, 0, 0, NULL, NULL, false, 0, NULL, P("dashboards.view")));
    assert_false(gh_authz_effective_would_hold(cat, 0, 0, NULL, admin, false, 0, NULL, 999));
    gh_permset eff;
    gh_authz_effective_set(cat, UINT64_MAX, UINT64_MAX, NULL, admin, false, ALL_MODULES, NULL, &eff);
    assert_true(gh_permset_equal(&eff, gh_catalog_all_perms(cat)));
    assert_int_equal(gh_authz_effective_modules(cat, M("qc"), M("qms")), M("core"));
}

static void reason_names_are_stable(void **state)
{
    (void)state;
    static const char *const names[] = {
        "granted_by_role", "granted_by_grant", "open",
        "unknown_permission", "not_granted", "module_disabled_for_org",
        "module_disabled_for_user", "addon_missing", "device_read_only", "user_inactive",
        "unknown_user"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_string_equal(gh_authz_reason_str((gh_authz_reason)i), names[i]);
    assert_string_equal(gh_authz_reason_str((gh_authz_reason)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roles_and_grants),
        cmocka_unit_test(permissions_are_not_hierarchical),
        cmocka_unit_test(modules_gate_by_org),
        cmocka_unit_test(modules_gate_by_user),
        cmocka_unit_test(addons_gate_by_org),
        cmocka_unit_test(device_accounts_are_read_only),
        cmocka_unit_test(inactive_users_get_nothing),
        cmocka_unit_test(unknown_keys_are_denied_open_keys_granted),
        cmocka_unit_test(unknown_users_are_denied),
        cmocka_unit_test(build_rejects_bad_input),
        cmocka_unit_test(snapshot_agrees_with_rule),
        cmocka_unit_test(explain_and_effective_json),
        cmocka_unit_test(self_lockout_helper),
        cmocka_unit_test(reason_names_are_stable),
    };
    return cmocka_run_group_tests_name("authz", tests, load_catalog, free_catalog) ? 1 : 0;
}
