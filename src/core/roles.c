/* Roles and organization settings. */
#include "core/ipallow.h"
#include "core/roles.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/guard.h"
#include "core/seats.h"
#include "core/kiosk.h"

static bool valid_key(const char *k)
{
    size_t n = gh_strnlen_max(k, 64);
    if (n < 1 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
    }
    return true;
}

json_t *gh_role_json(gh_ctx *ctx, const gh_role *r)
{
    int64_t users = gh_store_role_user_count(ctx->db, r->org_id, r->key);
    return json_pack("{s:s, s:s, s:s, s:o, s:b, s:b, s:I}", "key", r->key, "name", r->name, "description",
                     r->description, "permissions", gh_json_keylist(r->permissions), "device", r->device,
                     "from_template", r->from_template, "user_count", (json_int_t)(users < 0 ? 0 : users));
}

typedef struct { gh_ctx *ctx; json_t *items; } role_acc;
static void role_visit(const gh_role *r, void *arg)
{
    role_acc *a = arg;
    json_array_append_new(a->items, gh_role_json(a->ctx, r));
}

gh_status gh_role_list(gh_ctx *ctx, json_t **items)
{
    role_acc a = {ctx, json_array()};
    if (!a.items) return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory");
    gh_status st = gh_store_role_each(ctx->db, ctx->actor.org_id, role_visit, &a, &ctx->err);
    if (st != GH_OK) { json_decref(a.items); return st; }
    *items = a.items;
    return GH_OK;
}

gh_status gh_role_get(gh_ctx *ctx, const char *key, json_t **out)
{
    gh_role r;
    gh_status st = gh_store_role_get(ctx->db, ctx->actor.org_id, key, &r, &ctx->err);
    if (st == GH_OK) *out = gh_role_json(ctx, &r);
    return st;
}

/* A device role (a shared display) keeps only read-only permissions; one
 * that changes anything is refused rather than silently dropped:
 * 400 device_write_permission naming each (list is space-separated). */
static gh_status device_perms_check(gh_ctx *ctx, const char *list)
{
    const gh_catalog *cat = gh_access_catalog();
    json_t *bad = json_array();
    char key[GH_CATALOG_KEY_MAX + 1];
    if (!bad) return gh_ctx_oom(ctx);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (n > 0 && n <= GH_CATALOG_KEY_MAX) {
            memcpy(key, p, n);
            key[n] = '\0';
            int i = gh_catalog_perm_index(cat, key);
            if (i >= 0 && !gh_catalog_perm_read_only(cat, (size_t)i) && json_array_append_new(bad, json_string(key))) {
                json_decref(bad);
                return gh_ctx_oom(ctx);
            }
        }
        p += n;
        while (*p == ' ') p++;
    }
    if (json_array_size(bad) == 0) {
        json_decref(bad);
        return GH_OK;
    }
    gh_fail_field(&ctx->err, GH_E_INVALID, "device_write_permission", "permissions",
                  "a device role can only hold read-only permissions; these change things: see 'permissions'");
    gh_err_extra(&ctx->err, "permissions", bad);
    return GH_E_INVALID;
}

static gh_status role_create_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const gh_role *r = arg;
    gh_status st = gh_guard_role_perms(ctx, r->device, "", r->permissions);
    if (st == GH_OK) st = gh_store_role_insert(ctx->db, r, &ctx->err);
    if (st != GH_OK) return st;
    gh_tx_event(tx, "role.created", "role", r->key,
                json_pack("{s:s, s:o, s:b}", "name", r->name, "permissions", gh_json_keylist(r->permissions),
                          "device", r->device));
    return GH_OK;
}

gh_status gh_role_create(gh_ctx *ctx, const char *key, const char *name, const char *description,
                         const json_t *permissions, bool device, json_t **out)
{
    gh_role r = {0};
    gh_status st;
    if (!key || !valid_key(key))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_key", "key",
                             "a role key is 1 to 64 of a-z 0-9 - _ .");
    if (gh_check_text(&ctx->err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    if (description && gh_check_text(&ctx->err, "invalid_description", "description", description, 0, 1000) != GH_OK)
        return GH_E_INVALID;
    if (permissions && gh_access_validate_keys(permissions, GH_KEYS_PERMISSIONS, "permissions", r.permissions,
                                               sizeof r.permissions, &ctx->err) != GH_OK)
        return ctx->err.status;
    if (device && device_perms_check(ctx, r.permissions) != GH_OK) return ctx->err.status;
    gh_strlcpy(r.org_id, ctx->actor.org_id, sizeof r.org_id);
    gh_strlcpy(r.key, key, sizeof r.key);
    gh_strlcpy(r.name, name, sizeof r.name);
    gh_strlcpy(r.description, description ? description : "", sizeof r.description);
    r.device = device;
    r.created_at = r.updated_at = gh_now();
    if ((st = gh_tx_run(ctx, role_create_change, &r)) != GH_OK) return st;
    *out = gh_role_json(ctx, &r);
    return GH_OK;
}

typedef struct role_update_op {
    const char *key, *name, *description;
    const char *perms; /* NULL: unchanged */
    gh_role r;         /* the role as written (or as it is, when unchanged) */
} role_update_op;

static gh_status role_update_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    role_update_op *op = arg;
    gh_role *r = &op->r;
    const char *perms = op->perms;
    bool had_manage = gh_guard_actor_holds(ctx, "users.manage");
    gh_status st = gh_store_role_get(ctx->db, ctx->actor.org_id, op->key, r, &ctx->err);
    if (st != GH_OK) return st;
    if (perms && r->device && (st = device_perms_check(ctx, perms)) != GH_OK) return st;
    if (perms && (st = gh_guard_role_perms(ctx, r->device, r->permissions, perms)) != GH_OK) return st;
    json_t *changes = json_object();
    if (!changes) return gh_ctx_oom(ctx);
    tx->detail = changes; /* the tx's from here on */
    if (op->name && strcmp(op->name, r->name) != 0) {
        json_object_set_new(changes, "name", json_pack("{s:s, s:s}", "from", r->name, "to", op->name));
        gh_strlcpy(r->name, op->name, sizeof r->name);
    }
    if (op->description && strcmp(op->description, r->description) != 0) {
        json_object_set_new(changes, "description", json_true());
        gh_strlcpy(r->description, op->description, sizeof r->description);
    }
    if (perms && strcmp(perms, r->permissions) != 0) {
        json_object_set_new(changes, "permissions",
                            json_pack("{s:o, s:o}", "from", gh_json_keylist(r->permissions), "to", gh_json_keylist(perms)));
        gh_strlcpy(r->permissions, perms, sizeof r->permissions);
    }
    if (json_object_size(changes) == 0) {
        tx->unchanged = true;
        return GH_OK;
    }
    r->updated_at = gh_now();
    if ((st = gh_store_role_update(ctx->db, r, &ctx->err)) != GH_OK) return st;
    if ((st = gh_accounts_check_invariants(ctx, ctx->actor.org_id, had_manage)) != GH_OK) return st;
    gh_tx_event(tx, "role.updated", "role", r->key, changes);
    return GH_OK;
}

gh_status gh_role_update(gh_ctx *ctx, const char *key, const char *name, const char *description,
                         const json_t *permissions, json_t **out)
{
    gh_status st;
    char perms[GH_KEYLIST_MAX];
    if (name && gh_check_text(&ctx->err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    if (description && gh_check_text(&ctx->err, "invalid_description", "description", description, 0, 1000) != GH_OK)
        return GH_E_INVALID;
    if (permissions && gh_access_validate_keys(permissions, GH_KEYS_PERMISSIONS, "permissions", perms, sizeof perms,
                                               &ctx->err) != GH_OK)
        return ctx->err.status;
    role_update_op *op = calloc(1, sizeof *op);
    if (!op) return gh_ctx_oom(ctx);
    *op = (role_update_op){.key = key, .name = name, .description = description, .perms = permissions ? perms : NULL};
    if ((st = gh_tx_run(ctx, role_update_change, op)) == GH_OK) *out = gh_role_json(ctx, &op->r);
    free(op);
    return st;
}

typedef struct { const char *key; } role_delete_op;

static gh_status role_delete_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const char *key = ((const role_delete_op *)arg)->key;
    gh_role r;
    gh_status st = gh_store_role_get(ctx->db, ctx->actor.org_id, key, &r, &ctx->err);
    if (st != GH_OK) return st;
    int64_t users = gh_store_role_user_count(ctx->db, ctx->actor.org_id, key);
    if (users != 0) {
        st = gh_fail(&ctx->err, GH_E_CONFLICT, "role_in_use", "the role is assigned to %lld user(s)", (long long)users);
        gh_err_extra(&ctx->err, "user_count", json_integer(users));
        return st;
    }
    if ((st = gh_store_role_delete(ctx->db, ctx->actor.org_id, key, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "role.deleted", "role", key, json_pack("{s:s}", "name", r.name));
    return GH_OK;
}

gh_status gh_role_delete(gh_ctx *ctx, const char *key)
{
    return gh_tx_run(ctx, role_delete_change, &(role_delete_op){key});
}

static gh_status bounded(gh_ctx *ctx, int64_t v, int64_t lo, int64_t hi, const char *field)
{
    if (v < lo || v > hi)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "out_of_range", field, "'%s' must be between %lld and %lld",
                             field, (long long)lo, (long long)hi);
    return GH_OK;
}

gh_status gh_ip_allowlist_from_json(gh_ctx *ctx, const json_t *a, char out[GH_IP_ALLOWLIST_TEXT_MAX],
                                    gh_cidr nets[GH_IP_ALLOWLIST_MAX], int *count)
{
    char field[48];
    size_t i, used = 0;
    int n = 0;
    json_t *v;
    out[0] = '\0';
    *count = 0;
    if (!json_is_array(a))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_type", "ip_allowlist",
                             "'ip_allowlist' is an array of addresses or networks (CIDR)");
    if (json_array_size(a) > GH_IP_ALLOWLIST_MAX) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "too_many_networks", "ip_allowlist",
                      "an allowlist holds at most %d networks", GH_IP_ALLOWLIST_MAX);
        gh_err_extra(&ctx->err, "max", json_integer(GH_IP_ALLOWLIST_MAX));
        return GH_E_INVALID;
    }
    json_array_foreach(a, i, v) {
        snprintf(field, sizeof field, "ip_allowlist[%zu]", i);
        if (!json_is_string(v))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_type", field, "each entry is a string");
        if (!gh_cidr_parse(json_string_value(v), &nets[n]))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_network", field,
                                 "'%.60s' is not an IPv4 or IPv6 address or network (as 10.0.0.0/8 or 2001:db8::/32)",
                                 json_string_value(v));
        bool seen = false; /* the same network twice (canonical, so compared whole) */
        for (int k = 0; k < n && !seen; k++) seen = memcmp(&nets[k], &nets[n], sizeof nets[n]) == 0;
        if (seen) continue;
        char text[GH_CIDR_TEXT_MAX];
        gh_cidr_format(&nets[n], text);
        int w = snprintf(out + used, GH_IP_ALLOWLIST_TEXT_MAX - used, "%s%s", used ? " " : "", text);
        if (w < 0 || (size_t)w >= GH_IP_ALLOWLIST_TEXT_MAX - used)
            return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "allowlist too long");
        used += (size_t)w;
        n++;
    }
    *count = n;
    return GH_OK;
}

gh_status gh_org_update(gh_ctx *ctx, const gh_org_patch *p, gh_org *out)
{
    char allow[GH_IP_ALLOWLIST_TEXT_MAX];
    bool it_fields = p->has_idle || p->has_max || p->has_pin_min || p->has_enrolled_only || p->has_kiosk_idle ||
                     p->has_kiosk_max || p->ip_allowlist || p->has_device_idle || p->has_device_days;
    bool settings_fields = p->name || p->has_single_task || p->has_invite_ttl || p->has_erase_names;
    if (it_fields && !gh_access_allowed(ctx, "it.operations"))
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "permission_denied",
                       "session and kiosk security settings need the 'it.operations' permission");
    if (settings_fields && !gh_access_allowed(ctx, "settings.manage"))
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "permission_denied", "this needs the 'settings.manage' permission");
    if (p->name && gh_check_text(&ctx->err, "invalid_name", "name", p->name, 1, GH_NAME_MAX) != GH_OK)
        return GH_E_INVALID;
    if ((p->has_invite_ttl && bounded(ctx, p->invite_ttl_s, 3600, 90 * 86400, "invite_ttl_s")) ||
        (p->has_idle && bounded(ctx, p->idle_s, 60, 30 * 86400, "session_idle_timeout_s")) ||
        (p->has_max && bounded(ctx, p->max_s, 300, 90 * 86400, "session_max_lifetime_s")) ||
        (p->has_pin_min && bounded(ctx, p->pin_min, GH_PIN_POLICY_FLOOR, GH_PIN_MAX, "kiosk_pin_min_length")) ||
        (p->has_kiosk_idle && bounded(ctx, p->kiosk_idle_s, 15, 3600, "kiosk_idle_timeout_s")) ||
        (p->has_kiosk_max && bounded(ctx, p->kiosk_max_s, 300, 86400, "kiosk_session_max_s")) ||
        (p->has_device_days && bounded(ctx, p->device_days, 1, 365, "device_session_max_days")))
        return ctx->err.status;
    if (p->has_device_idle && p->device_idle_s != 0 && bounded(ctx, p->device_idle_s, 60, 30 * 86400, "device_idle_timeout_s"))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "out_of_range", "device_idle_timeout_s",
                             "'device_idle_timeout_s' is 0 (no idle timeout) or between 60 and %d", 30 * 86400);
    if (p->ip_allowlist) {
        gh_cidr nets[GH_IP_ALLOWLIST_MAX];
        int n = 0;
        gh_status ast = gh_ip_allowlist_from_json(ctx, p->ip_allowlist, allow, nets, &n);
        if (ast != GH_OK) return ast;
        /* Lockout prevention: whoever sets the list must stay inside it. */
        if (allow[0] && ctx->actor.type == GH_ACTOR_USER && !gh_ip_allowlist_contains(nets, n, ctx->ip)) {
            gh_fail_field(&ctx->err, GH_E_CONFLICT, "ip_self_lockout", "ip_allowlist",
                          "your own address (%s) is not in the list: you would lock yourself out",
                          ctx->ip ? ctx->ip : "unknown");
            gh_err_extra(&ctx->err, "address", json_string(ctx->ip ? ctx->ip : ""));
            return GH_E_CONFLICT;
        }
    }
    gh_org o;
    gh_status st = gh_tx_begin(ctx);
    if (st != GH_OK) return st;
    /* The snapshot answered above; the rows decide. */
    if ((it_fields && (st = gh_guard_require_perm(ctx, "it.operations")) != GH_OK) ||
        (settings_fields && (st = gh_guard_require_perm(ctx, "settings.manage")) != GH_OK))
        goto fail;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) goto fail;
    json_t *changes = json_object();
    if (!changes) { st = gh_ctx_oom(ctx); goto fail; }
#define SET(cond, field, val, key) \
    if ((cond) && o.field != (val)) { o.field = (val); json_object_set_new(changes, key, json_integer((json_int_t)(val))); }
#define SETB(cond, field, val, key) \
    if ((cond) && o.field != (val)) { o.field = (val); json_object_set_new(changes, key, json_boolean(val)); }
    if (p->name && strcmp(p->name, o.name) != 0) {
        gh_strlcpy(o.name, p->name, sizeof o.name);
        json_object_set_new(changes, "name", json_string(p->name));
    }
    SETB(p->has_single_task, single_task_checkin, p->single_task, "single_task_checkin");
    SETB(p->has_erase_names, erase_deleted_names, p->erase_names, "erase_deleted_names");
    SET(p->has_invite_ttl, invite_ttl_s, p->invite_ttl_s, "invite_ttl_s");
    SET(p->has_idle, session_idle_s, p->idle_s, "session_idle_timeout_s");
    SET(p->has_max, session_max_s, p->max_s, "session_max_lifetime_s");
    SET(p->has_pin_min, kiosk_pin_min, p->pin_min, "kiosk_pin_min_length");
    SETB(p->has_enrolled_only, kiosk_enrolled_devices_only, p->enrolled_only, "kiosk_enrolled_devices_only");
    SET(p->has_kiosk_idle, kiosk_idle_s, p->kiosk_idle_s, "kiosk_idle_timeout_s");
    SET(p->has_kiosk_max, kiosk_session_s, p->kiosk_max_s, "kiosk_session_max_s");
    SET(p->has_device_idle, device_idle_s, p->device_idle_s, "device_idle_timeout_s");
    SET(p->has_device_days, device_session_s, p->device_days * 86400, "device_session_max_s");
    if (p->ip_allowlist && strcmp(allow, o.ip_allowlist) != 0) {
        json_object_set_new(changes, "ip_allowlist",
                            json_pack("{s:o, s:o}", "from", gh_json_keylist(o.ip_allowlist), "to", gh_json_keylist(allow)));
        gh_strlcpy(o.ip_allowlist, allow, sizeof o.ip_allowlist);
    }
#undef SET
#undef SETB
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        gh_db_rollback(ctx->db);
        *out = o;
        return GH_OK;
    }
    if ((st = gh_store_org_update(ctx->db, &o, &ctx->err)) != GH_OK) { json_decref(changes); goto fail; }
    /* Shorter timeouts apply to the sessions already open, at once; longer
     * ones only to sessions started from now on. */
    if ((p->has_idle || p->has_max) &&
        (st = gh_store_session_clamp(ctx->db, o.id, "office", o.session_idle_s, o.session_max_s, &ctx->err)) != GH_OK) {
        json_decref(changes);
        goto fail;
    }
    if ((p->has_kiosk_idle || p->has_kiosk_max) &&
        (st = gh_store_session_clamp(ctx->db, o.id, "kiosk", o.kiosk_idle_s, o.kiosk_session_s, &ctx->err)) != GH_OK) {
        json_decref(changes);
        goto fail;
    }
    if ((p->has_device_idle || p->has_device_days) &&
        (st = gh_store_session_clamp(ctx->db, o.id, "device", o.device_idle_s, o.device_session_s, &ctx->err)) != GH_OK) {
        json_decref(changes);
        goto fail;
    }
    if ((st = gh_audit(ctx, NULL, "org.settings_changed", "org", o.id, changes)) != GH_OK) goto fail;
    if ((st = gh_tx_commit_and_refresh(ctx)) != GH_OK) return st;
    *out = o;
    return GH_OK;
fail:
    gh_db_rollback(ctx->db);
    return st;
}

gh_status gh_org_set_modules(gh_ctx *ctx, const char *slug, const json_t *keys, bool addons)
{
    gh_org o;
    char list[GH_KEYLIST_MAX];
    if (gh_access_validate_keys(keys, addons ? GH_KEYS_ADDONS : GH_KEYS_MODULES, addons ? "addons" : "modules",
                                list, sizeof list, &ctx->err) != GH_OK)
        return ctx->err.status;
    gh_status st = gh_tx_begin(ctx);
    if (st != GH_OK) return st;
    if ((st = gh_store_org_get_by_slug(ctx->db, slug, &o, &ctx->err)) != GH_OK) goto fail;
    gh_strlcpy(ctx->actor.org_id, o.id, sizeof ctx->actor.org_id);
    gh_strlcpy(addons ? o.addons : o.modules, list, GH_KEYLIST_MAX);
    if ((st = gh_store_org_update(ctx->db, &o, &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_audit(ctx, o.id, addons ? "org.addons_set" : "org.modules_set", "org", o.id,
                       json_pack("{s:o}", addons ? "addons" : "modules", gh_json_keylist(list)))) != GH_OK)
        goto fail;
    /* A product catalog may put users.manage behind a module or add-on:
     * switching it off must still leave someone who can manage users. */
    if ((st = gh_accounts_check_invariants(ctx, o.id, false)) != GH_OK) goto fail;
    return gh_tx_commit_and_refresh(ctx);
fail:
    gh_db_rollback(ctx->db);
    return st;
}

gh_status gh_org_set_ip_allowlist(gh_ctx *ctx, const char *slug, const json_t *cidrs)
{
    char allow[GH_IP_ALLOWLIST_TEXT_MAX];
    gh_org o;
    gh_cidr nets[GH_IP_ALLOWLIST_MAX];
    int n = 0;
    gh_status st = gh_ip_allowlist_from_json(ctx, cidrs, allow, nets, &n);
    if (st != GH_OK) return st;
    if ((st = gh_tx_begin(ctx)) != GH_OK) return st;
    if ((st = gh_store_org_get_by_slug(ctx->db, slug, &o, &ctx->err)) != GH_OK) goto fail;
    gh_strlcpy(ctx->actor.org_id, o.id, sizeof ctx->actor.org_id);
    json_t *detail = json_pack("{s:o, s:o}", "from", gh_json_keylist(o.ip_allowlist), "to", gh_json_keylist(allow));
    gh_strlcpy(o.ip_allowlist, allow, sizeof o.ip_allowlist);
    if ((st = gh_store_org_update(ctx->db, &o, &ctx->err)) != GH_OK) { json_decref(detail); goto fail; }
    if ((st = gh_audit(ctx, o.id, "org.ip_allowlist_set", "org", o.id, detail)) != GH_OK) goto fail;
    return gh_tx_commit_and_refresh(ctx);
fail:
    gh_db_rollback(ctx->db);
    return st;
}

gh_status gh_org_set_seats(gh_ctx *ctx, const char *slug, int64_t office, int64_t factory, bool force)
{
    gh_org o;
    gh_status st = gh_tx_begin(ctx);
    if (st != GH_OK) return st;
    if ((st = gh_store_org_get_by_slug(ctx->db, slug, &o, &ctx->err)) != GH_OK) goto fail;
    gh_strlcpy(ctx->actor.org_id, o.id, sizeof ctx->actor.org_id);
    /* Counted inside the write transaction, so the numbers are the ones the
     * new limit is compared with. */
    int64_t used_office = gh_seats_used(ctx->db, o.id, GH_SEAT_OFFICE);
    int64_t used_factory = gh_seats_used(ctx->db, o.id, GH_SEAT_FACTORY);
    if (used_office < 0 || used_factory < 0) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "cannot count seats"); goto fail; }
    int64_t over_office = office >= 0 && used_office > office ? used_office - office : 0;
    int64_t over_factory = factory >= 0 && used_factory > factory ? used_factory - factory : 0;
    if ((over_office || over_factory) && !force) {
        char what[256] = "";
        if (over_office)
            snprintf(what, sizeof what, "office: %lld in use, limit %lld (%lld over)", (long long)used_office,
                     (long long)office, (long long)over_office);
        if (over_factory) {
            size_t n = strlen(what);
            snprintf(what + n, sizeof what - n, "%sfactory: %lld in use, limit %lld (%lld over)", n ? "; " : "",
                     (long long)used_factory, (long long)factory, (long long)over_factory);
        }
        st = gh_fail(&ctx->err, GH_E_CONFLICT, "seats_below_use",
                     "the new limit is below the seats in use (%s); free seats first, or pass --force to set it "
                     "anyway (nobody loses access; nobody new gets a seat until enough are freed)", what);
        gh_err_extra(&ctx->err, "over", json_pack("{s:I, s:I}", "office", (json_int_t)over_office, "factory",
                                                  (json_int_t)over_factory));
        goto fail;
    }
    o.seats_office = office;
    o.seats_factory = factory;
    if ((st = gh_store_org_update(ctx->db, &o, &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_audit(ctx, o.id, "org.seats_set", "org", o.id,
                       json_pack("{s:o, s:o, s:b, s:I, s:I}", "office", office < 0 ? json_null() : json_integer(office),
                                 "factory", factory < 0 ? json_null() : json_integer(factory), "forced",
                                 force && (over_office || over_factory), "office_over", (json_int_t)over_office,
                                 "factory_over", (json_int_t)over_factory))) != GH_OK)
        goto fail;
    return gh_tx_commit_and_refresh(ctx);
fail:
    gh_db_rollback(ctx->db);
    return st;
}
