/*
 * Unit tests for the permission catalog (src/core/catalog.c): the default
 * catalog loads and reproduces CATALOG.md exactly (every permission, tab and
 * role of every template set is written out literally below, independently
 * of catalog/default.json), and malformed catalogs are rejected with a
 * message naming the fault.
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

#include "core/catalog.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- loading ----------------------------------------------------------- */

static char *read_default_catalog(size_t *len)
{
    const char *dir = getenv("GH_SOURCE_DIR");
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/catalog/default.json", dir && *dir ? dir : ".");
    assert_true(n > 0 && (size_t)n < sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (set GH_SOURCE_DIR to the source tree)", path);
    char *buf = NULL;
    size_t cap = 0, used = 0;
    for (;;) {
        if (used == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = used;
    return buf;
}

static int load_default(void **state)
{
    size_t len;
    char *text = read_default_catalog(&len);
    char err[512];
    gh_catalog *cat = NULL;
    int rc = gh_catalog_parse(text, len, "default.json", &cat, err, sizeof err);
    free(text);
    if (rc != 0)
        fail_msg("default catalog rejected: %s", err);
    *state = cat;
    return 0;
}

static int free_default(void **state)
{
    gh_catalog_free(*state);
    return 0;
}

/* ---- the facts of CATALOG.md, written out literally ----------------------- */

struct perm_fact {
    const char *key, *module, *addon;
    bool read_only;
};

static const struct perm_fact PERMS[] = {
    {"users.view", "core", NULL, true},
    {"users.manage", "core", NULL, false},
    {"settings.manage", "core", NULL, false},
    {"it.operations", "core", NULL, false},
    {"partmaster.manage", "core", NULL, false},
    {"groups.manage", "core", NULL, false},
    {"dashboards.view", "core", NULL, true},   /* open: issue 11's explicit "accessible to all" */
    {"reports.view", "core", NULL, true},      /* open */
    {"dashboards.manage", "core", NULL, false},
    {"dashboards.manage_any", "core", NULL, false},
    {"reports.manage", "core", NULL, false},
    {"reports.delete", "core", NULL, false},
    {"reports.download", "core", NULL, true},
    {"alerts.view_config", "core", NULL, true},
    {"alerts.view_recipients", "core", NULL, true},
    {"alerts.edit", "core", NULL, false},
    {"links.external", "core", NULL, true},
    {"webshop.view", "core", NULL, true},
    {"prices.edit", "core", NULL, false},
    {"carbon.manage", "core", NULL, false},
    {"naming.edit", "core", NULL, false},
    {"erp.manage", "core", NULL, false},
    {"analytics.view", "core", NULL, true},
    {"schedules.manage", "production", NULL, false},
    {"orders.enter", "production", NULL, false},
    {"documents.upload", "production", NULL, false},
    {"tasks.work", "production", NULL, false},
    {"tasks.assign", "production", NULL, false},
    {"production_data.enter", "production", NULL, false},
    {"quality_data.enter", "production", NULL, false},
    {"jobs.add", "production", NULL, false},
    {"jobs.bulk_upload", "production", NULL, false},
    {"qc.plans.manage", "qc", NULL, false},
    {"qc.suppliers.manage", "qc", NULL, false},
    {"qc.inspections.manage", "qc", NULL, false},
    {"qc.inspections.use", "qc", NULL, false},
    {"qms.use", "qms", NULL, false},
    {"qms.issues.manage", "qms", NULL, false},
    {"qms.docs.manage", "qms", "docs", false},
    {"qms.training.manage", "qms", "training", false},
    {"gages.use", "gages", NULL, false},
    {"gages.manage", "gages", NULL, false},
    {"gages.calibrate", "gages", NULL, false},
    {"portal.use", "portal", NULL, false},
    {"oee.view", "oee", NULL, true},           /* opened by the oee set */
    {"oee.stop_reasons.manage", "oee", NULL, false},
    {"oee.config.edit", "oee", NULL, false},
    {"oee.products.manage", "oee", NULL, false},
    {"oee.target_speed.edit", "oee", NULL, false},
    {"oee.batches.run", "oee", NULL, false},
    {"oee.stops.explain", "oee", NULL, false},
    {"oee.quality.insert", "oee", NULL, false},
};

struct tab_fact {
    const char *module, *key, *any_of[3];
};

static const struct tab_fact TABS[] = {
    {"core", "master_data", {NULL}},
    {"core", "users", {"users.view", "users.manage", NULL}},
    {"core", "settings", {"settings.manage", "it.operations", NULL}},
    {"core", "dashboards", {NULL}},
    {"core", "reports", {NULL}},
    {"production", "orders", {NULL}},
    {"production", "tasks", {NULL}},
    {"production", "jobs", {NULL}},
    {"production", "schedules", {NULL}},
    {"production", "agenda", {NULL}},
    {"qc", "manufacturing", {NULL}},
    {"qc", "receiving", {NULL}},
    {"qc", "suppliers", {NULL}},
    {"qc", "analytics", {NULL}},
    {"qms", "qms", {NULL}},
    {"qms", "analytics", {NULL}},
    {"gages", "gages", {NULL}},
    {"portal", "customers", {NULL}},
    {"oee", "oee", {NULL}},
    {"oee", "operator_view", {NULL}},
};

/* Every permission ("admin: everything", "it-admin: everything"). */
static const char *const ALL[] = {
    "users.view", "users.manage", "settings.manage", "it.operations", "partmaster.manage",
    "groups.manage", "dashboards.view", "reports.view", "dashboards.manage", "dashboards.manage_any", "reports.manage",
    "reports.delete", "reports.download", "alerts.view_config", "alerts.view_recipients",
    "alerts.edit", "links.external", "webshop.view", "prices.edit", "carbon.manage",
    "naming.edit", "erp.manage", "analytics.view", "schedules.manage", "orders.enter",
    "documents.upload", "tasks.work", "tasks.assign", "production_data.enter",
    "quality_data.enter", "jobs.add", "jobs.bulk_upload", "qc.plans.manage",
    "qc.suppliers.manage", "qc.inspections.manage", "qc.inspections.use", "qms.use",
    "qms.issues.manage", "qms.docs.manage", "qms.training.manage", "gages.use", "gages.manage",
    "gages.calibrate", "portal.use", "oee.view", "oee.stop_reasons.manage", "oee.config.edit",
    "oee.products.manage", "oee.target_speed.edit", "oee.batches.run", "oee.stops.explain",
    "oee.quality.insert", NULL};

/* monitoring executive and manager: everything except it.operations,
 * erp.manage, dashboards.manage_any. */
static const char *const MON_EXEC[] = {
    "users.view", "users.manage", "settings.manage", "partmaster.manage", "groups.manage",
    "dashboards.view", "reports.view", "dashboards.manage", "reports.manage", "reports.delete", "reports.download",
    "alerts.view_config", "alerts.view_recipients", "alerts.edit", "links.external",
    "webshop.view", "prices.edit", "carbon.manage", "naming.edit", "analytics.view",
    "schedules.manage", "orders.enter", "documents.upload", "tasks.work", "tasks.assign",
    "production_data.enter", "quality_data.enter", "jobs.add", "jobs.bulk_upload",
    "qc.plans.manage", "qc.suppliers.manage", "qc.inspections.manage", "qc.inspections.use",
    "qms.use", "qms.issues.manage", "qms.docs.manage", "qms.training.manage", "gages.use",
    "gages.manage", "gages.calibrate", "portal.use", "oee.view", "oee.stop_reasons.manage", "oee.config.edit",
    "oee.products.manage", "oee.target_speed.edit", "oee.batches.run", "oee.stops.explain",
    "oee.quality.insert", NULL};

static const char *const NONE[] = {NULL};

/* 004's matrix, manager column: every row but "View Webshop" and "Create,
 * edit and delete users". */
static const char *const OEE_MANAGER[] = {
    "users.view", "prices.edit", "carbon.manage", "groups.manage", "schedules.manage",
    "naming.edit", "dashboards.manage", "reports.manage", "reports.delete", "reports.download",
    "alerts.view_config", "alerts.view_recipients", "alerts.edit", "links.external",
    "oee.stop_reasons.manage", "oee.config.edit", "oee.products.manage", "oee.target_speed.edit",
    "oee.batches.run", "oee.stops.explain", "oee.quality.insert", NULL};

static const char *const OEE_STAFF[] = {
    "alerts.view_config", "links.external", "oee.target_speed.edit", "oee.batches.run",
    "oee.stops.explain", "oee.quality.insert", NULL};

static const char *const MON_SUPERVISOR[] = {"reports.download", "jobs.add", "tasks.work",
                                              "tasks.assign", "production_data.enter", NULL};

static const char *const QUALITY_USER[] = {"qc.inspections.use", "qms.use", "gages.use",
                                           "portal.use", NULL};

static const char *const QUALITY_EDITOR[] = {
    "qc.inspections.use", "qms.use", "gages.use", "portal.use", "qc.plans.manage",
    "qc.suppliers.manage", "qc.inspections.manage", "qms.issues.manage", "gages.manage",
    "gages.calibrate", "partmaster.manage", NULL};

static const char *const PLANT_USER[] = {"orders.enter", "documents.upload", "tasks.work",
                                         "production_data.enter", "quality_data.enter", NULL};

struct role_fact {
    const char *key;
    bool device;
    const char *const *perms;
};

struct set_fact {
    const char *key, *owner;
    size_t nroles;
    struct role_fact roles[5];
};

static const struct set_fact SETS[] = {
    {"oee", "admin", 4,
     {{"admin", false, ALL},
      {"manager", false, OEE_MANAGER},
      {"staff", false, OEE_STAFF},
      {"read-only", false, NONE}}},
    {"monitoring", "it-admin", 5, /* the role holding every permission (issue 11) */
     {{"executive", false, MON_EXEC},
      {"manager", false, MON_EXEC},
      {"it-admin", false, ALL},
      {"supervisor", false, MON_SUPERVISOR},
      {"kiosk", true, NONE}}},
    {"quality", "admin", 4,
     {{"read-only", false, NONE},
      {"user", false, QUALITY_USER},
      {"editor", false, QUALITY_EDITOR},
      {"admin", false, ALL}}},
    {"plant", "admin", 2, {{"user", false, PLANT_USER}, {"admin", false, ALL}}},
};

/* Builds a set from a NULL-terminated key list; fails on an unknown key. */
static gh_permset set_of(const gh_catalog *cat, const char *const *keys)
{
    gh_permset s;
    gh_permset_clear(&s);
    for (size_t i = 0; keys[i]; i++) {
        int p = gh_catalog_perm_index(cat, keys[i]);
        if (p < 0)
            fail_msg("expected permission '%s' is not in the catalog", keys[i]);
        assert_false(gh_permset_test(&s, (size_t)p)); /* no key twice in the literal lists */
        gh_permset_set(&s, (size_t)p);
    }
    return s;
}

static void assert_set_is(const gh_catalog *cat, const gh_permset *got, const char *const *want,
                          const char *what)
{
    gh_permset w = set_of(cat, want);
    for (size_t p = 0; p < gh_catalog_perm_count(cat); p++)
        if (gh_permset_test(got, p) != gh_permset_test(&w, p))
            fail_msg("%s: permission %s is %s but should %s", what, gh_catalog_perm_key(cat, p),
                     gh_permset_test(got, p) ? "held" : "missing",
                     gh_permset_test(&w, p) ? "be held" : "not be");
    assert_true(gh_permset_equal(got, &w));
}

/* ---- tests of the default catalog ------------------------------------------- */

static void default_catalog_shape(void **state)
{
    const gh_catalog *cat = *state;
    assert_string_equal(gh_catalog_default_template(cat), "plant");
    /* fail closed, with what is open said explicitly (issue 11) */
    assert_int_equal(gh_catalog_perm_index(cat, "users.manag"), -1);
    assert_int_equal(gh_permset_count(gh_catalog_open_perms(cat)), 2);
    assert_true(gh_catalog_perm_open(cat, (size_t)gh_catalog_perm_index(cat, "dashboards.view")));
    assert_true(gh_catalog_perm_open(cat, (size_t)gh_catalog_perm_index(cat, "reports.view")));
    int oee = gh_catalog_set_index(cat, "oee"), oview = gh_catalog_perm_index(cat, "oee.view");
    assert_true(gh_permset_test(gh_catalog_set_open(cat, (size_t)oee), (size_t)oview));
    assert_non_null(strstr(gh_catalog_set_open_reason(cat, (size_t)oee, (size_t)oview), "004"));
    assert_int_equal(gh_permset_count(gh_catalog_set_open(cat, (size_t)oee)), 3);
    int plant = gh_catalog_set_index(cat, "plant");
    assert_false(gh_permset_test(gh_catalog_set_open(cat, (size_t)plant), (size_t)oview));
    assert_null(gh_catalog_set_open_reason(cat, (size_t)plant, (size_t)oview));
    char missing[256];
    assert_int_equal(gh_catalog_missing_server_perms(cat, missing, sizeof missing), 0);
    assert_int_equal(gh_catalog_module_count(cat), 7);
    static const char *const modules[] = {"core", "production", "qc", "qms",
                                          "gages", "portal", "oee"};
    for (size_t m = 0; m < N(modules); m++) {
        assert_int_equal(gh_catalog_module_index(cat, modules[m]), (int)m);
        assert_int_equal(gh_catalog_module_always_on(cat, m), m == 0);
    }
    assert_int_equal(gh_catalog_always_on_modules(cat), 1);
    assert_int_equal(gh_catalog_addon_count(cat), 2);
    assert_int_equal(gh_catalog_addon_index(cat, "docs"), 0);
    assert_int_equal(gh_catalog_addon_index(cat, "training"), 1);
    assert_int_equal(gh_catalog_addon_index(cat, "nope"), -1);
    assert_int_equal(gh_catalog_set_count(cat), N(SETS));
}

static void default_catalog_permissions(void **state)
{
    const gh_catalog *cat = *state;
    assert_int_equal(gh_catalog_perm_count(cat), N(PERMS));
    for (size_t i = 0; i < N(PERMS); i++) {
        const struct perm_fact *f = &PERMS[i];
        int p = gh_catalog_perm_index(cat, f->key);
        if (p < 0)
            fail_msg("permission %s missing", f->key);
        assert_string_equal(gh_catalog_perm_key(cat, (size_t)p), f->key);
        assert_int_equal(gh_catalog_perm_module(cat, (size_t)p),
                         gh_catalog_module_index(cat, f->module));
        assert_int_equal(gh_catalog_perm_addon(cat, (size_t)p),
                         f->addon ? gh_catalog_addon_index(cat, f->addon) : -1);
        if (gh_catalog_perm_read_only(cat, (size_t)p) != f->read_only)
            fail_msg("%s: read_only should be %d", f->key, f->read_only);
        assert_non_null(gh_catalog_perm_name(cat, (size_t)p));
        assert_non_null(gh_catalog_perm_description(cat, (size_t)p));
    }
    assert_int_equal(gh_catalog_perm_index(cat, "no.such.permission"), -1);
    assert_int_equal(gh_catalog_perm_index(cat, ""), -1);
    assert_null(gh_catalog_perm_key(cat, N(PERMS)));
    assert_int_equal(gh_catalog_perm_module(cat, 9999), -1);
    assert_true(gh_permset_is_empty(gh_catalog_module_perms(cat, 64)));
}

static void default_catalog_tabs(void **state)
{
    const gh_catalog *cat = *state;
    assert_int_equal(gh_catalog_tab_count(cat), N(TABS));
    for (size_t t = 0; t < N(TABS); t++) {
        assert_string_equal(gh_catalog_tab_key(cat, t), TABS[t].key);
        assert_int_equal(gh_catalog_tab_module(cat, t), gh_catalog_module_index(cat, TABS[t].module));
        assert_set_is(cat, gh_catalog_tab_any_of(cat, t), TABS[t].any_of, TABS[t].key);
    }
}

static void default_catalog_template_sets(void **state)
{
    const gh_catalog *cat = *state;
    char what[128];
    for (size_t i = 0; i < N(SETS); i++) {
        const struct set_fact *f = &SETS[i];
        int s = gh_catalog_set_index(cat, f->key);
        if (s < 0)
            fail_msg("template set %s missing", f->key);
        assert_string_equal(gh_catalog_set_key(cat, (size_t)s), f->key);
        assert_string_equal(gh_catalog_set_owner_role(cat, (size_t)s), f->owner);
        if (gh_catalog_role_count(cat, (size_t)s) != f->nroles)
            fail_msg("%s: %zu roles, want %zu", f->key, gh_catalog_role_count(cat, (size_t)s),
                     f->nroles);
        for (size_t j = 0; j < f->nroles; j++) {
            const struct role_fact *rf = &f->roles[j];
            int r = gh_catalog_role_index(cat, (size_t)s, rf->key);
            if (r < 0)
                fail_msg("%s: role %s missing", f->key, rf->key);
            snprintf(what, sizeof what, "%s/%s", f->key, rf->key);
            assert_int_equal(gh_catalog_role_device(cat, (size_t)s, (size_t)r), rf->device);
            assert_set_is(cat, gh_catalog_role_perms(cat, (size_t)s, (size_t)r), rf->perms, what);
            assert_non_null(gh_catalog_role_name(cat, (size_t)s, (size_t)r));
            assert_non_null(gh_catalog_role_description(cat, (size_t)s, (size_t)r));
        }
        /* the owner role holds users.manage */
        int owner = gh_catalog_role_index(cat, (size_t)s, f->owner);
        assert_true(gh_permset_test(gh_catalog_role_perms(cat, (size_t)s, (size_t)owner),
                                    (size_t)gh_catalog_perm_index(cat, "users.manage")));
    }
}

/* Counts of the literal lists, so a typo in the test cannot hide a gap. */
static void literal_lists_match_catalog_md(void **state)
{
    (void)state;
    size_t n = 0;
    while (ALL[n])
        n++;
    assert_int_equal(n, 52);
    n = 0;
    while (MON_EXEC[n])
        n++;
    assert_int_equal(n, 52 - 3);
    n = 0;
    while (OEE_MANAGER[n])
        n++;
    assert_int_equal(n, 23 - 2); /* 004's matrix has 23 rows */
}

static void to_json_round_trips(void **state)
{
    const gh_catalog *cat = *state;
    json_t *doc = gh_catalog_to_json(cat);
    assert_non_null(doc);
    /* expanded permission lists */
    json_t *sets = json_object_get(doc, "template_sets");
    assert_int_equal(json_array_size(sets), 4);
    size_t i;
    json_t *set;
    bool saw_exec = false;
    json_array_foreach(sets, i, set) {
        if (strcmp(json_string_value(json_object_get(set, "key")), "monitoring") != 0)
            continue;
        json_t *exec = json_array_get(json_object_get(set, "roles"), 0);
        assert_string_equal(json_string_value(json_object_get(exec, "key")), "executive");
        assert_int_equal(json_array_size(json_object_get(exec, "permissions")), 49);
        saw_exec = true;
    }
    assert_true(saw_exec);
    /* the served document is itself a valid catalog with the same roles */
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_non_null(text);
    gh_catalog *again = NULL;
    char err[512];
    if (gh_catalog_parse(text, strlen(text), "served.json", &again, err, sizeof err))
        fail_msg("round trip rejected: %s", err);
    assert_int_equal(gh_catalog_perm_count(again), gh_catalog_perm_count(cat));
    for (size_t s = 0; s < gh_catalog_set_count(cat); s++)
        for (size_t r = 0; r < gh_catalog_role_count(cat, s); r++)
            assert_true(gh_permset_equal(gh_catalog_role_perms(cat, s, r),
                                         gh_catalog_role_perms(again, s, r)));
    for (size_t p = 0; p < gh_catalog_perm_count(cat); p++)
        assert_int_equal(gh_catalog_perm_read_only(cat, p), gh_catalog_perm_read_only(again, p));
    gh_catalog_free(again);
    free(text);
    json_decref(doc);
}

/* ---- malformed catalogs ---------------------------------------------------------- */

static const char *const D_MODULES =
    "[{\"key\":\"core\",\"name\":\"Core\",\"always_on\":true,"
    "\"tabs\":[{\"key\":\"users\",\"name\":\"Users\",\"any_of\":[\"users.manage\"]}]},"
    "{\"key\":\"qc\",\"name\":\"QC\"}]";
static const char *const D_ADDONS = "[{\"key\":\"docs\",\"name\":\"Docs\"}]";
static const char *const D_PERMS =
    "[{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"},"
    "{\"key\":\"qc.use\",\"module\":\"qc\",\"name\":\"U\",\"description\":\"d\"}]";
static const char *const D_SETS =
    "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"roles\":["
    "{\"key\":\"user\",\"name\":\"U\",\"description\":\"d\",\"permissions\":[\"qc.use\"]},"
    "{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\",\"permissions\":\"*\"}]}]";

/* A small catalog with the given sections (NULL: the valid default) and
 * default template set. Returns a malloc'ed string. */
static char *mini(const char *modules, const char *addons, const char *perms, const char *sets,
                  const char *default_set)
{
#define MINI_FMT                                                                             \
    "{\"version\":1,\"default_template_set\":\"%s\"," \
    "\"modules\":%s,\"addons\":%s,\"permissions\":%s,\"template_sets\":%s}"
    const char *d = default_set ? default_set : "s";
    const char *m = modules ? modules : D_MODULES, *a = addons ? addons : D_ADDONS;
    const char *p = perms ? perms : D_PERMS, *s = sets ? sets : D_SETS;
    int n = snprintf(NULL, 0, MINI_FMT, d, m, a, p, s);
    assert_true(n > 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(snprintf(buf, (size_t)n + 1, MINI_FMT, d, m, a, p, s), n);
    return buf;
}

/* Asserts that text is rejected with a message containing want. */
static void expect_reject(const char *text, const char *want)
{
    gh_catalog *cat = (gh_catalog *)&cat; /* must be reset to NULL */
    char err[512];
    int rc = gh_catalog_parse(text, strlen(text), "bad.json", &cat, err, sizeof err);
    if (rc == 0) {
        gh_catalog_free(cat);
        fail_msg("accepted, but should fail with '%s'", want);
    }
    assert_null(cat);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
}

static void expect_reject_mini(const char *modules, const char *addons, const char *perms,
                               const char *sets, const char *default_set, const char *want)
{
    char *text = mini(modules, addons, perms, sets, default_set);
    expect_reject(text, want);
    free(text);
}

static void mini_catalog_is_valid(void **state)
{
    (void)state;
    char *text = mini(NULL, NULL, NULL, NULL, NULL);
    gh_catalog *cat = NULL;
    char err[512];
    if (gh_catalog_parse(text, strlen(text), "mini.json", &cat, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(gh_catalog_perm_count(cat), 2);
    gh_catalog_free(cat);
    free(text);
}

static void rejects_bad_json_with_line_and_column(void **state)
{
    (void)state;
    expect_reject("{\n  \"version\": 1,\n  \"modules\": [,\n  ]\n}", "bad.json:3:");
    expect_reject("", "bad.json:1:");
    expect_reject("{\"version\": 1, \"version\": 1}", "duplicate object key");
    expect_reject("[]", "bad.json: top level: expected an object");
}

static void rejects_unknown_module(void **state)
{
    (void)state;
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"},"
                       "{\"key\":\"qc.use\",\"module\":\"qx\",\"name\":\"U\",\"description\":\"d\"}]",
                       NULL, NULL, "bad.json: permissions[1].module: unknown module 'qx'");
}

static void rejects_unknown_permission_in_role(void **state)
{
    (void)state;
    expect_reject_mini(
        NULL, NULL, NULL,
        "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"roles\":["
        "{\"key\":\"user\",\"name\":\"U\",\"description\":\"d\",\"permissions\":[\"qc.use\",\"qc.nope\"]},"
        "{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\",\"permissions\":\"*\"}]}]",
        NULL, "template_sets[0].roles[0].permissions[1]: unknown permission 'qc.nope'");
    expect_reject_mini(
        NULL, NULL, NULL,
        "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"roles\":["
        "{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\",\"permissions\":{\"all_except\":[\"x.y\"]}}]}]",
        NULL, "template_sets[0].roles[0].permissions.all_except[0]: unknown permission 'x.y'");
}

static void rejects_duplicate_role_key(void **state)
{
    (void)state;
    expect_reject_mini(
        NULL, NULL, NULL,
        "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"roles\":["
        "{\"key\":\"admin\",\"name\":\"U\",\"description\":\"d\",\"permissions\":[]},"
        "{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\",\"permissions\":\"*\"}]}]",
        NULL, "template_sets[0].roles[1].key: duplicate role 'admin' in template set 's'");
}

static void rejects_duplicate_keys(void **state)
{
    (void)state;
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"},"
                       "{\"key\":\"users.manage\",\"module\":\"qc\",\"name\":\"U\",\"description\":\"d\"}]",
                       NULL, NULL, "permissions[1].key: duplicate permission 'users.manage'");
    expect_reject_mini("[{\"key\":\"core\",\"name\":\"C\",\"always_on\":true},"
                       "{\"key\":\"core\",\"name\":\"C2\"}]",
                       NULL, NULL, NULL, NULL, "modules[1].key: duplicate module 'core'");
    expect_reject_mini(NULL, "[{\"key\":\"docs\",\"name\":\"D\"},{\"key\":\"docs\",\"name\":\"E\"}]",
                       NULL, NULL, NULL, "addons[1].key: duplicate add-on 'docs'");
    char sets[1024];
    snprintf(sets, sizeof sets, "[%.*s,%.*s]", (int)strlen(D_SETS) - 2, D_SETS + 1,
             (int)strlen(D_SETS) - 2, D_SETS + 1);
    expect_reject_mini(NULL, NULL, NULL, sets, NULL, "template_sets[1].key: duplicate template set 's'");
    expect_reject_mini("[{\"key\":\"core\",\"name\":\"C\",\"always_on\":true,\"tabs\":["
                       "{\"key\":\"a\",\"name\":\"A\"},{\"key\":\"a\",\"name\":\"B\"}]}]",
                       NULL, "[{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"}]",
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"a\",\"roles\":["
                       "{\"key\":\"a\",\"name\":\"A\",\"description\":\"d\",\"permissions\":\"*\"}]}]",
                       NULL, "modules[0].tabs[1].key: duplicate tab 'a' in module 'core'");
}

static void rejects_unknown_addon(void **state)
{
    (void)state;
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"},"
                       "{\"key\":\"qc.use\",\"module\":\"qc\",\"addon\":\"training\",\"name\":\"U\",\"description\":\"d\"}]",
                       NULL, NULL, "permissions[1].addon: unknown add-on 'training'");
}

static void rejects_missing_core(void **state)
{
    (void)state;
    expect_reject_mini("[{\"key\":\"qc\",\"name\":\"QC\"}]", NULL, NULL, NULL, NULL,
                       "modules: the core module is missing");
    expect_reject_mini("[{\"key\":\"core\",\"name\":\"Core\"}]", NULL, NULL, NULL, NULL,
                       "modules[0].always_on: the core module must be always on");
}

static void rejects_unknown_tab_permission(void **state)
{
    (void)state;
    expect_reject_mini("[{\"key\":\"core\",\"name\":\"Core\",\"always_on\":true,"
                       "\"tabs\":[{\"key\":\"users\",\"name\":\"Users\",\"any_of\":[\"users.see\"]}]},"
                       "{\"key\":\"qc\",\"name\":\"QC\"}]",
                       NULL, NULL, NULL, NULL,
                       "modules[0].tabs[0].any_of[0]: unknown permission 'users.see'");
}

static void rejects_bad_fields(void **state)
{
    (void)state;
    /* missing and wrongly typed fields, unknown fields, bad keys */
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"users.manage\",\"module\":\"core\",\"description\":\"d\"}]", NULL,
                       NULL, "permissions[0].name: missing");
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"users.manage\",\"module\":7,\"name\":\"M\",\"description\":\"d\"}]",
                       NULL, NULL, "permissions[0].module: expected a string");
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\","
                       "\"read_only\":\"yes\"}]",
                       NULL, NULL, "permissions[0].read_only: expected true or false");
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\","
                       "\"readonly\":true}]",
                       NULL, NULL, "permissions[0].readonly: unknown field");
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"Users.Manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"}]",
                       NULL, NULL, "permissions[0].key: bad key 'Users.Manage'");
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"}]", NULL,
                       NULL, "permissions[0].key: bad key ''");
    expect_reject_mini(NULL, NULL,
                       "[{\"key\":\"a1234567890123456789012345678901234567890123456789012345678901234\"," /* 65 */
                       "\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"}]",
                       NULL, NULL, "permissions[0].key: bad key");
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"roles\":["
                       "{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\",\"permissions\":\"all\"}]}]",
                       NULL, "template_sets[0].roles[0].permissions: expected a list of permission keys");
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"roles\":["
                       "{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\",\"device\":1,\"permissions\":\"*\"}]}]",
                       NULL, "template_sets[0].roles[0].device: expected true or false");
    expect_reject("{\"version\":2}", "bad.json: version: expected 1");
    expect_reject("{\"version\":1,\"default_template_set\":\"s\",\"unlisted_permission_policy\":\"allow\"}",
                  "unlisted_permission_policy: no longer supported: a permission key the catalog does not "
                  "list is now always denied");
    expect_reject("{\"version\":1,\"extra\":1}", "bad.json: extra: unknown field");
}

static void rejects_bad_template_sets(void **state)
{
    (void)state;
    expect_reject_mini(NULL, NULL, NULL, NULL, "plant",
                       "default_template_set: template set 'plant' not found");
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"boss\",\"roles\":["
                       "{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\",\"permissions\":\"*\"}]}]",
                       NULL, "template_sets[0].owner_role: 'boss' is not a role of template set 's'");
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"user\",\"roles\":["
                       "{\"key\":\"user\",\"name\":\"U\",\"description\":\"d\",\"permissions\":[\"qc.use\"]}]}]",
                       NULL, "template_sets[0].owner_role: role 'user' does not hold users.manage");
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"roles\":["
                       "{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\","
                       "\"permissions\":{\"all_except\":[\"users.manage\"]}}]}]",
                       NULL, "role 'admin' does not hold users.manage");
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"roles\":["
                       "{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\","
                       "\"permissions\":[\"users.manage\",\"users.manage\"]}]}]",
                       NULL, "permissions[1]: permission 'users.manage' listed twice");
    /* The creator must hold every permission the set's roles give: nobody
     * can give what they do not hold (issue 11, no escalation). */
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"boss\",\"roles\":["
                       "{\"key\":\"boss\",\"name\":\"B\",\"description\":\"d\",\"permissions\":[\"users.manage\"]},"
                       "{\"key\":\"qc\",\"name\":\"Q\",\"description\":\"d\",\"permissions\":[\"qc.use\"]}]}]",
                       NULL, "template_sets[0].owner_role: role 'boss' lacks qc.use, which other roles of the set give");
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"boss\",\"roles\":["
                       "{\"key\":\"boss\",\"name\":\"B\",\"description\":\"d\",\"device\":true,"
                       "\"permissions\":[\"users.manage\"]}]}]",
                       NULL, "template_sets[0].owner_role: role 'boss' is a device role");
}

/* Open permissions: never a server key or an administrative one; a set's
 * open list names known keys, each with a reason. */
static void rejects_forbidden_open(void **state)
{
    (void)state;
    static const char *const forbidden[] = {"users.manage", "users.anything", "settings.manage",
                                            "it.operations", "dashboards.manage_any", "erp.manage",
                                            "groups.manage", "tasks.assign", "tasks.work",
                                            "qc.inspections.manage", "analytics.view", NULL};
    char perms[512];
    for (size_t i = 0; forbidden[i]; i++) {
        snprintf(perms, sizeof perms,
                 "[{\"key\":\"users.manage\",\"module\":\"core\",\"name\":\"M\",\"description\":\"d\"%s},"
                 "{\"key\":\"%s\",\"module\":\"core\",\"name\":\"X\",\"description\":\"d\",\"open\":true}]",
                 "", strcmp(forbidden[i], "users.manage") == 0 ? "users.other" : forbidden[i]);
        expect_reject_mini(NULL, NULL, perms, NULL, NULL, "cannot be open to everyone");
    }
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"open\":[{\"key\":\"users.manage\","
                       "\"reason\":\"r\"}],\"roles\":[{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\","
                       "\"permissions\":\"*\"}]}]",
                       NULL, "template_sets[0].open[0].key: 'users.manage' cannot be open to everyone");
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"open\":[{\"key\":\"qc.nope\","
                       "\"reason\":\"r\"}],\"roles\":[{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\","
                       "\"permissions\":\"*\"}]}]",
                       NULL, "template_sets[0].open[0].key: unknown permission 'qc.nope'");
    expect_reject_mini(NULL, NULL, NULL,
                       "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"open\":[{\"key\":\"qc.use\"}],"
                       "\"roles\":[{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\",\"permissions\":\"*\"}]}]",
                       NULL, "template_sets[0].open[0].reason: missing");
    /* a valid set opening qc.use: open there, with its reason */
    char *text = mini(NULL, NULL, NULL,
                      "[{\"key\":\"s\",\"name\":\"S\",\"owner_role\":\"admin\",\"open\":[{\"key\":\"qc.use\","
                      "\"reason\":\"because\"}],\"roles\":[{\"key\":\"admin\",\"name\":\"A\",\"description\":\"d\","
                      "\"permissions\":\"*\"}]}]",
                      NULL);
    gh_catalog *cat = NULL;
    char err[256];
    if (gh_catalog_parse(text, strlen(text), "ok.json", &cat, err, sizeof err))
        fail_msg("%s", err);
    assert_string_equal(gh_catalog_set_open_reason(cat, 0, 1), "because");
    assert_true(gh_permset_test(gh_catalog_set_open(cat, 0), 1));
    /* a small catalog lacks most server keys, and says which */
    char missing[512];
    assert_int_equal(gh_catalog_missing_server_perms(cat, missing, sizeof missing), 9);
    assert_non_null(strstr(missing, "users.view, settings.manage"));
    assert_null(strstr(missing, "users.manage"));
    gh_catalog_free(cat);
    free(text);
}

/* More entries than fit a gh_permset / a module mask. */
static void rejects_too_many(void **state)
{
    (void)state;
    size_t cap = 80 * (GH_PERM_MAX + 2);
    char *perms = malloc(cap), *mods = malloc(cap);
    assert_non_null(perms);
    assert_non_null(mods);
    size_t n = 0;
    n += (size_t)snprintf(perms + n, cap - n, "[");
    for (int i = 0; i <= GH_PERM_MAX; i++)
        n += (size_t)snprintf(perms + n, cap - n,
                              "%s{\"key\":\"p%d\",\"module\":\"core\",\"name\":\"P\",\"description\":\"d\"}",
                              i ? "," : "", i);
    snprintf(perms + n, cap - n, "]");
    expect_reject_mini(NULL, NULL, perms, NULL, NULL, "permissions: 257 permissions, at most 256");

    n = 0;
    n += (size_t)snprintf(mods + n, cap - n, "[{\"key\":\"core\",\"name\":\"C\",\"always_on\":true}");
    for (int i = 1; i <= GH_CATALOG_MODULE_MAX; i++)
        n += (size_t)snprintf(mods + n, cap - n, ",{\"key\":\"m%d\",\"name\":\"M\"}", i);
    snprintf(mods + n, cap - n, "]");
    expect_reject_mini(mods, NULL, NULL, NULL, NULL, "modules: 65 modules, at most 64");
    free(perms);
    free(mods);
}

int main(void)
{
    const struct CMUnitTest with_default[] = {
        cmocka_unit_test(default_catalog_shape),
        cmocka_unit_test(default_catalog_permissions),
        cmocka_unit_test(default_catalog_tabs),
        cmocka_unit_test(default_catalog_template_sets),
        cmocka_unit_test(literal_lists_match_catalog_md),
        cmocka_unit_test(to_json_round_trips),
    };
    const struct CMUnitTest malformed[] = {
        cmocka_unit_test(mini_catalog_is_valid),
        cmocka_unit_test(rejects_bad_json_with_line_and_column),
        cmocka_unit_test(rejects_unknown_module),
        cmocka_unit_test(rejects_unknown_permission_in_role),
        cmocka_unit_test(rejects_duplicate_role_key),
        cmocka_unit_test(rejects_duplicate_keys),
        cmocka_unit_test(rejects_unknown_addon),
        cmocka_unit_test(rejects_missing_core),
        cmocka_unit_test(rejects_unknown_tab_permission),
        cmocka_unit_test(rejects_bad_fields),
        cmocka_unit_test(rejects_bad_template_sets),
        cmocka_unit_test(rejects_too_many),
        cmocka_unit_test(rejects_forbidden_open),
    };
    int failed = cmocka_run_group_tests_name("default catalog", with_default, load_default,
                                             free_default);
    failed += cmocka_run_group_tests_name("malformed catalogs", malformed, NULL, NULL);
    return failed ? 1 : 0;
}
