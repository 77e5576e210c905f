/* POST /v1/check: may this user do X? Answered from memory. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/access.h"
#include "util/metrics.h"

#define BATCH_MAX 1000
#define PERMISSION_KEY_MAX 128

/* One check; answers NULL after replying with an error. */
static json_t *one_check(gh_req *r, json_t *item, const char *field)
{
    gh_ctx *ctx = gh_req_ctx(r);
    json_t *uid = json_object_get(item, "user_id"), *perm = json_object_get(item, "permission");
    const char *key;
    json_t *v;
    json_object_foreach(item, key, v) {
        if (strcmp(key, "user_id") != 0 && strcmp(key, "permission") != 0) {
            gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_field", key, "unknown field '%s' in %s", key, field);
            return NULL;
        }
    }
    /* Each detail names the real problem (issue 11). */
    if (!perm) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "permission", "'permission' is required");
        return NULL;
    }
    if (!json_is_string(perm)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_type", "permission", "'permission' must be a string");
        return NULL;
    }
    if (json_string_length(perm) == 0) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "permission", "'permission' is empty");
        return NULL;
    }
    if (json_string_length(perm) > PERMISSION_KEY_MAX) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_permission", "permission",
                      "'permission' is %zu bytes long; a permission key is at most %d", json_string_length(perm),
                      PERMISSION_KEY_MAX);
        gh_err_extra(&ctx->err, "max_bytes", json_integer(PERMISSION_KEY_MAX));
        return NULL;
    }
    const char *user_id;
    if (ctx->actor.type == GH_ACTOR_USER) {
        if (uid && (!json_is_string(uid) || strcmp(json_string_value(uid), ctx->actor.id) != 0)) {
            gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "check_self_only", "user_id",
                          "a user can only check their own permissions; services use an API key");
            return NULL;
        }
        user_id = ctx->actor.id;
    } else {
        if (!json_is_string(uid)) {
            gh_fail_field(&ctx->err, GH_E_INVALID, uid ? "invalid_type" : "missing_field", "user_id",
                          "'user_id' must be a string");
            return NULL;
        }
        user_id = json_string_value(uid);
    }
    const char *reason = NULL;
    bool ok = gh_access_check(ctx->actor.org_id, user_id, json_string_value(perm), &reason);
    gh_metric_inc(gh_api_metric_checks(), (const char *[]){ok ? "allowed" : "denied"});
    return json_pack("{s:b, s:s}", "allowed", ok, "reason", reason);
}

gh_metric *gh_api_metric_checks(void)
{
    return gh_metric_counter("gatehouse_checks_total", "permission checks answered by POST /v1/check", "result");
}

static void check(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    json_t *b = gh_req_json(r);
    json_t *checks = json_object_get(b, "checks");
    if (!b) {
        gh_fail(&ctx->err, GH_E_INVALID, "missing_body", "send {user_id, permission} or {checks: [...]}");
        gh_reply_ctx_err(r);
        return;
    }
    if (!checks) {
        json_t *res = one_check(r, b, "the body");
        if (!res) { gh_reply_ctx_err(r); return; }
        gh_reply_json(r, 200, res);
        return;
    }
    if (json_object_size(b) != 1 || !json_is_array(checks) || json_array_size(checks) > BATCH_MAX) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_batch", "checks",
                      "'checks' must be the only field: an array of at most %d {user_id, permission}", BATCH_MAX);
        gh_reply_ctx_err(r);
        return;
    }
    json_t *results = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(checks, i, item) {
        char field[32];
        snprintf(field, sizeof field, "checks[%zu]", i);
        json_t *res = json_is_object(item) ? one_check(r, item, field) : NULL;
        if (!res) {
            if (ctx->err.status == GH_OK)
                gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_type", field, "%s must be an object", field);
            else {
                char f2[96];
                snprintf(f2, sizeof f2, "%s.%s", field, ctx->err.field);
                gh_strlcpy(ctx->err.field, f2, sizeof ctx->err.field);
            }
            json_decref(results);
            gh_reply_ctx_err(r);
            return;
        }
        json_array_append_new(results, res);
    }
    gh_reply_json(r, 200, json_pack("{s:o}", "results", results));
}

const gh_route gh_api_routes_access[] = {
    {"POST", "/v1/check", check, GH_AUTH_ANY, GH_R_OFFICE | GH_R_KIOSK | GH_R_DEVICE_OK | GH_R_SCOPE_AUTHZ_CHECK, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
