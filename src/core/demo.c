/* The demo plant: see demo.h. Everything goes through the core functions. */
#include <string.h>

#include "core/accounts.h"
#include "core/demo.h"
#include "core/roles.h"
#include "core/secret.h"

#define DEMO_SLUG "riverside"
#define DEMO_DOMAIN "@riverside.example"

/* Roles added to the plant template's admin and user. */
static const struct {
    const char *key, *name, *description, *perms;
    bool device;
} demo_roles[] = {
    {"manager", "Production manager", "Runs daily operations: assigns work, reads all reports, shares dashboards.",
     "users.view tasks.assign tasks.work analytics.view reports.manage reports.download dashboards.manage groups.manage "
     "schedules.manage jobs.add jobs.bulk_upload orders.enter production_data.enter quality_data.enter alerts.view_config "
     "alerts.edit", false},
    {"supervisor", "Shift supervisor", "Watches production on the shop floor, adds single jobs, assigns tasks; no settings.",
     "users.view tasks.assign tasks.work reports.download production_data.enter quality_data.enter jobs.add analytics.view",
     false},
    {"quality", "Quality inspector", "Inspections, issues and gages.",
     "qc.inspections.use qc.inspections.manage qms.use qms.issues.manage gages.use gages.calibrate quality_data.enter "
     "reports.download", false},
    {"it", "IT administrator", "SSO, API keys, session and kiosk security, ERP data manager.",
     "it.operations settings.manage users.view erp.manage", false},
    {"operator", "Operator", "Shop-floor worker: checks into tasks at the kiosk and records production data.",
     "tasks.work production_data.enter quality_data.enter documents.upload", false},
    {"display", "Shop-floor display", "A monitor on the shop floor: reads dashboards and reports, never changes anything.",
     "", true},
};

/* Office users. modules/grants are space-separated keys ("" = all / none). */
static const struct {
    const char *local, *name, *mobile, *role, *modules, *grants, *note;
    bool locked;
} demo_users[] = {
    {"ada", "Ada Admin", "+44 20 7946 0001", "admin", "", "", "administrator: everything", false},
    {"marco", "Marco Rossi", "+44 20 7946 0002", "manager", "", "", "production manager", false},
    {"sofia", "Sofia Lindqvist", "", "supervisor", "", "", "shift supervisor", false},
    {"quinn", "Quinn Okafor", "", "quality", "qc qms gages", "", "quality inspector; QC, QMS and gages modules only", false},
    {"ivan", "Ivan Petrov", "", "it", "", "", "IT administrator", false},
    {"uma", "Uma Shah", "", "user", "", "reports.download", "user with a direct grant", false},
    {"lars", "Lars Berg", "", "user", "", "", "seasonal worker, locked until spring", true},
    {"display-line1", "Line 1 display", "", "display", "", "", "shared display account (read-only)", false},
};

/* "a b c" -> ["a","b","c"] */
static json_t *keys(const char *s)
{
    json_t *a = json_array();
    const char *p = s;
    while (a && *p) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ' ') e++;
        if (e > p) json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
        p = e;
    }
    return a;
}

static gh_status add_account(json_t *accounts, const char *name, const char *role, const char *email,
                             const char *how)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "role", role, "email", email, "how", how);
    if (!o || json_array_append_new(accounts, o) != 0) return GH_E_INTERNAL;
    return GH_OK;
}

gh_status gh_demo_load(gh_ctx *ctx, json_t **summary)
{
    gh_status st = GH_OK;
    char hash[GH_PWHASH_MAX];
    json_t *out = NULL, *accounts = NULL, *key = NULL;
    *summary = NULL;
    if (gh_store_org_count(ctx->db) != 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "not_empty", "the demo loads only into an empty database");
    if (gh_secret_hash(GH_DEMO_PASSWORD, hash) != 0)
        return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "hashing failed");

    gh_org org;
    gh_user admin;
    gh_org_new n = {.slug = DEMO_SLUG, .name = "Riverside Plant", .template_set = "plant",
                    .admin_email = "ada" DEMO_DOMAIN, .admin_name = "Ada Admin", .admin_password_hash = hash};
    if ((st = gh_org_create(ctx, &n, &org, &admin)) != GH_OK) goto out;
    gh_strlcpy(ctx->actor.org_id, org.id, sizeof ctx->actor.org_id);

    gh_org_patch op = {.has_single_task = true, .single_task = true, .has_kiosk_idle = true, .kiosk_idle_s = 90,
                       .has_pin_min = true, .pin_min = 4};
    gh_org o2;
    if ((st = gh_org_update(ctx, &op, &o2)) != GH_OK) goto out;

    for (size_t i = 0; i < sizeof demo_roles / sizeof demo_roles[0]; i++) {
        json_t *perms = keys(demo_roles[i].perms), *role = NULL;
        if (!perms) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory"); goto out; }
        st = gh_role_create(ctx, demo_roles[i].key, demo_roles[i].name, demo_roles[i].description, perms,
                            demo_roles[i].device, &role);
        json_decref(perms);
        json_decref(role);
        if (st != GH_OK) goto out;
    }

    out = json_object();
    accounts = json_array();
    if (!out || !accounts) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory"); goto out; }
    for (size_t i = 0; i < sizeof demo_users / sizeof demo_users[0]; i++) {
        char email[128];
        snprintf(email, sizeof email, "%s%s", demo_users[i].local, DEMO_DOMAIN);
        gh_user u;
        if (i == 0) {
            u = admin;
            gh_user_patch p = {.mobile = demo_users[i].mobile};
            gh_ctx self = *ctx;
            self.actor.type = GH_ACTOR_USER;
            gh_strlcpy(self.actor.id, admin.id, sizeof self.actor.id);
            if ((st = gh_me_update(&self, NULL, p.mobile, &u)) != GH_OK) { ctx->err = self.err; goto out; }
        } else {
            json_t *mods = demo_users[i].modules[0] ? keys(demo_users[i].modules) : NULL;
            json_t *grants = keys(demo_users[i].grants);
            gh_user_new un = {.email = email, .name = demo_users[i].name, .mobile = demo_users[i].mobile,
                              .role = demo_users[i].role, .office_access = true, .email_verified = true,
                              .password_hash = hash, .modules = mods, .grants = grants};
            st = gh_user_create(ctx, &un, &u);
            json_decref(mods);
            json_decref(grants);
            if (st != GH_OK) goto out;
            if (demo_users[i].locked && (st = gh_user_lock(ctx, u.id, true, &u)) != GH_OK) goto out;
        }
        if ((st = add_account(accounts, demo_users[i].name, demo_users[i].role, email, demo_users[i].note)) != GH_OK)
            goto out;
    }

    if ((st = gh_apikey_create(ctx, "MES integration (demo)", 0, &key)) != GH_OK) goto out;
    json_object_set_new(out, "org", json_pack("{s:s, s:s}", "slug", org.slug, "name", org.name));
    json_object_set_new(out, "password", json_string(GH_DEMO_PASSWORD));
    json_object_set(out, "accounts", accounts);
    json_object_set(out, "api_key", json_object_get(key, "key"));
    *summary = out;
    out = NULL;
out:
    sodium_memzero(hash, sizeof hash);
    json_decref(out);
    json_decref(accounts);
    json_decref(key);
    return st;
}
