/* /v1/org, /v1/roles, /v1/api-keys, /v1/catalog. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/access.h"
#include "core/apikeys.h"
#include "core/accounts.h"
#include "core/catalog.h"
#include "core/delivery.h"
#include "core/orgbackup.h"
#include "http/pool.h"
#include "core/roles.h"

static void get_org(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    gh_org o;
    if (gh_api_failed(r, gh_org_of_actor(ctx, &o))) return;
    gh_reply_json(r, 200, gh_org_json(ctx, &o));
}

static bool int_field(json_t *b, const char *name, bool *has, int64_t *v)
{
    json_t *x = json_object_get(b, name);
    *has = x != NULL;
    if (x) *v = json_integer_value(x);
    return *has;
}

static void patch_org(gh_req *r)
{
    static const gh_jfield f[] = {
        {"name", GH_J_STRING, false}, {"single_task_checkin", GH_J_BOOL, false},
        {"invite_ttl_s", GH_J_INT, false}, {"session_idle_timeout_s", GH_J_INT, false},
        {"session_max_lifetime_s", GH_J_INT, false}, {"kiosk_pin_min_length", GH_J_INT, false},
        {"kiosk_enrolled_devices_only", GH_J_BOOL, false}, {"kiosk_idle_timeout_s", GH_J_INT, false},
        {"kiosk_session_max_s", GH_J_INT, false}, {"ip_allowlist", GH_J_ARRAY, false},
        {"erase_deleted_names", GH_J_BOOL, false}, {"device_idle_timeout_s", GH_J_INT, false},
        {"device_session_max_days", GH_J_INT, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_org_patch p = {.name = gh_jstr(b, "name"), .ip_allowlist = json_object_get(b, "ip_allowlist")};
    p.has_single_task = gh_jhas(b, "single_task_checkin");
    p.single_task = gh_jbool(b, "single_task_checkin", false);
    p.has_erase_names = gh_jhas(b, "erase_deleted_names");
    p.erase_names = gh_jbool(b, "erase_deleted_names", false);
    p.has_enrolled_only = gh_jhas(b, "kiosk_enrolled_devices_only");
    p.enrolled_only = gh_jbool(b, "kiosk_enrolled_devices_only", false);
    int_field(b, "invite_ttl_s", &p.has_invite_ttl, &p.invite_ttl_s);
    int_field(b, "session_idle_timeout_s", &p.has_idle, &p.idle_s);
    int_field(b, "session_max_lifetime_s", &p.has_max, &p.max_s);
    int_field(b, "kiosk_pin_min_length", &p.has_pin_min, &p.pin_min);
    int_field(b, "kiosk_idle_timeout_s", &p.has_kiosk_idle, &p.kiosk_idle_s);
    int_field(b, "kiosk_session_max_s", &p.has_kiosk_max, &p.kiosk_max_s);
    int_field(b, "device_idle_timeout_s", &p.has_device_idle, &p.device_idle_s);
    int_field(b, "device_session_max_days", &p.has_device_days, &p.device_days);
    gh_ctx *ctx = gh_req_ctx(r);
    gh_org o;
    if (gh_api_failed(r, gh_org_update(ctx, &p, &o))) return;
    gh_reply_json(r, 200, gh_org_json(ctx, &o));
}

static void get_catalog(gh_req *r) { gh_reply_json(r, 200, gh_catalog_to_json(gh_access_catalog())); }

/* ---- roles ---- */
static void list_roles(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    json_t *items;
    if (gh_api_failed(r, gh_role_list(ctx, &items))) return;
    gh_org o;
    const char *set = "";
    if (gh_org_of_actor(ctx, &o) == GH_OK) set = o.template_set;
    gh_err_clear(&ctx->err);
    gh_reply_json(r, 200, json_pack("{s:o, s:s}", "items", items, "template", set));
}

static void create_role(gh_req *r)
{
    static const gh_jfield f[] = {{"key", GH_J_STRING, true}, {"name", GH_J_STRING, true},
                                  {"description", GH_J_STRING, false}, {"permissions", GH_J_ARRAY, false},
                                  {"device", GH_J_BOOL, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_role_create(gh_req_ctx(r), gh_jstr(b, "key"), gh_jstr(b, "name"), gh_jstr(b, "description"),
                                        json_object_get(b, "permissions"), gh_jbool(b, "device", false), &out)))
        return;
    gh_reply_json(r, 201, out);
}

static void get_role(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_role_get(gh_req_ctx(r), gh_req_param(r, "key"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void patch_role(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, false}, {"description", GH_J_STRING, false},
                                  {"permissions", GH_J_ARRAY, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_role_update(gh_req_ctx(r), gh_req_param(r, "key"), gh_jstr(b, "name"),
                                        gh_jstr(b, "description"), json_object_get(b, "permissions"), &out)))
        return;
    gh_reply_json(r, 200, out);
}

static void delete_role(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_role_delete(gh_req_ctx(r), gh_req_param(r, "key")))) return;
    gh_reply_empty(r);
}

/* ---- API keys ---- */
static void list_keys(gh_req *r)
{
    json_t *items;
    if (gh_api_failed(r, gh_apikey_list(gh_req_ctx(r), &items))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void create_key(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, true}, {"scopes", GH_J_ARRAY, false},
                                  {"expires_at", GH_J_STRING_OR_NULL, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    int64_t exp = 0;
    const char *e = gh_jstr(b, "expires_at");
    if (e && !gh_time_parse(e, &exp)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", "expires_at", "expires_at must be an RFC 3339 time");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *out;
    if (gh_api_failed(r, gh_apikey_create(ctx, gh_jstr(b, "name"), json_object_get(b, "scopes"), exp, &out))) return;
    gh_reply_json(r, 201, out);
}

static void delete_key(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_apikey_delete(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

/* GET /v1/outbox: the org's mails with their delivery status (issue 15). */
static void list_outbox(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    int limit = 100;
    if (!gh_api_limit_or_reply(r, 500, &limit)) return;
    json_t *items = gh_delivery_list(ctx, limit);
    if (!items) { gh_reply_ctx_err(r); return; }
    gh_reply_json(r, 200, json_pack("{s:o, s:b}", "items", items, "mail_configured", gh_delivery_configured()));
}

/* ---- encrypted backup of this organization (issue 21 item 6) ---- */
typedef struct backup_state {
    gh_orgbackup_key *key; /* sodium_malloc: wiped when freed */
    const char *passphrase; /* the request body's (wiped at the end: GH_R_SECRET) */
} backup_state;

/* On the hashing pool: argon2id must not hold an HTTP thread. */
static void backup_derive(void *arg)
{
    backup_state *s = arg;
    gh_orgbackup_derive(s->key, s->passphrase);
}

static void backup_free(void *arg)
{
    backup_state *s = arg;
    sodium_free(s->key);
    s->key = NULL;
}

static void backup_send(gh_req *r)
{
    backup_state *s = gh_req_state(r);
    gh_ctx *ctx = gh_req_ctx(r);
    gh_org o;
    if (gh_api_failed(r, gh_org_of_actor(ctx, &o))) return;
    /* An unlinked temporary file: the export is written (encrypted) inside
     * one transaction, then streamed from the file after the commit. */
    FILE *out = tmpfile();
    if (!out) {
        gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "no room for the backup");
        gh_reply_ctx_err(r);
        return;
    }
    if (gh_orgbackup_export(ctx, s->key, out) != GH_OK || fseek(out, 0, SEEK_SET) != 0) {
        fclose(out);
        if (ctx->err.status == GH_OK) gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "cannot read the backup back");
        gh_reply_ctx_err(r);
        return;
    }
    char cd[160];
    snprintf(cd, sizeof cd, "attachment; filename=\"gatehouse-%s.ghbackup\"", o.slug);
    gh_reply_header(r, "Content-Disposition", cd);
    gh_reply_stream(r, 200, "application/octet-stream", out);
}

static void post_backup(gh_req *r)
{
    static const gh_jfield f[] = {{"passphrase", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    if (gh_api_failed(r, gh_orgbackup_check_passphrase(&ctx->err, gh_jstr(b, "passphrase")))) return;
    backup_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    s->passphrase = gh_jstr(b, "passphrase");
    if (!(s->key = sodium_malloc(sizeof *s->key))) { gh_api_failed(r, GH_E_INTERNAL); return; }
    gh_req_on_done(r, backup_free, s);
    gh_pool_tag tag = {.keys = {ctx->actor.org_id, ctx->ip}};
    gh_req_defer_for(r, &tag);
    gh_req_set_state(r, s);
    gh_req_defer(r, backup_derive, s, backup_send);
}

const gh_route gh_api_routes_org[] = {
    {"GET", "/v1/outbox", list_outbox, GH_AUTH_USER, 0, "it.operations"},
    {"GET", "/v1/org", get_org, GH_AUTH_ANY, GH_R_SCOPE_AUTHZ_CHECK, NULL},
    {"PATCH", "/v1/org", patch_org, GH_AUTH_USER, 0, NULL},
    {"GET", "/v1/catalog", get_catalog, GH_AUTH_ANY, GH_R_OFFICE | GH_R_KIOSK | GH_R_SCOPE_AUTHZ_CHECK, NULL},
    {"GET", "/v1/roles", list_roles, GH_AUTH_ANY, GH_R_SCOPE_AUTHZ_CHECK, NULL},
    {"POST", "/v1/roles", create_role, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/roles/{key}", get_role, GH_AUTH_ANY, GH_R_SCOPE_AUTHZ_CHECK, NULL},
    {"PATCH", "/v1/roles/{key}", patch_role, GH_AUTH_USER, 0, "users.manage"},
    {"DELETE", "/v1/roles/{key}", delete_role, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/api-keys", list_keys, GH_AUTH_USER, 0, "it.operations"},
    {"POST", "/v1/api-keys", create_key, GH_AUTH_USER, 0, "it.operations"},
    {"DELETE", "/v1/api-keys/{id}", delete_key, GH_AUTH_USER, 0, "it.operations"},
    {"POST", "/v1/backup", post_backup, GH_AUTH_USER, GH_R_SECRET, "it.operations"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
