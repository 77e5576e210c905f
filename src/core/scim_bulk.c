/*
 * SCIM Bulk (RFC 7644 §3.7): operations run in order, each as its own
 * request would, with bulkId references resolved to the ids made so far
 * and failOnErrors honoured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/access.h"
#include "core/scim_int.h"
#include "util/json.h"

/* ---- bulk (RFC 7644 §3.7) ------------------------------------------------------------- */
/* Replaces "bulkId:X" strings in v (in place) by the ids made so far;
 * false when one names an unknown bulkId. */
static bool resolve_bulk_ids(json_t *v, const json_t *ids, char *missing, size_t cap)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            if (json_is_string(x) && strncmp(json_string_value(x), "bulkId:", 7) == 0) {
                const char *id = json_string_value(json_object_get(ids, json_string_value(x) + 7));
                if (!id) { gh_strlcpy(missing, json_string_value(x) + 7, cap); return false; }
                json_object_set_new(v, k, json_string(id));
            } else if (!resolve_bulk_ids(x, ids, missing, cap)) {
                return false;
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (json_is_string(x) && strncmp(json_string_value(x), "bulkId:", 7) == 0) {
                const char *id = json_string_value(json_object_get(ids, json_string_value(x) + 7));
                if (!id) { gh_strlcpy(missing, json_string_value(x) + 7, cap); return false; }
                json_array_set_new(v, i, json_string(id));
            } else if (!resolve_bulk_ids(x, ids, missing, cap)) {
                return false;
            }
        }
    }
    return true;
}

static gh_status bulk_one(gh_ctx *ctx, const char *method, const char *path, const json_t *data, const char *version,
                          json_t *ids, json_t **res, unsigned *ok_status)
{
    char kind[16] = "", id[GH_ID_MAX + 16] = "";
    *res = NULL;
    if (path[0] != '/') return gh_scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "path must start with '/'");
    const char *slash = strchr(path + 1, '/');
    size_t kl = slash ? (size_t)(slash - path - 1) : strlen(path + 1);
    if (kl >= sizeof kind) return gh_scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "unknown resource path");
    memcpy(kind, path + 1, kl);
    kind[kl] = '\0';
    if (slash) {
        const char *raw = slash + 1;
        if (strncmp(raw, "bulkId:", 7) == 0) {
            const char *real = json_string_value(json_object_get(ids, raw + 7));
            if (!real) return gh_scim_fail(ctx, GH_E_CONFLICT, "invalid_bulk_id", "invalidValue", "unknown bulkId '%.60s'", raw + 7);
            raw = real;
        }
        if (strlen(raw) >= sizeof id || strchr(raw, '/') || !*raw)
            return gh_scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "unknown resource path");
        gh_strlcpy(id, raw, sizeof id);
    }
    bool users = strcmp(kind, "Users") == 0, groups = strcmp(kind, "Groups") == 0;
    if (!users && !groups) return gh_scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "path is /Users or /Groups");
    /* The key's permission for the resource, as the routes require it. */
    const char *perm = users ? "users.manage" : "groups.manage";
    if (!gh_access_allowed(ctx, perm)) {
        gh_fail(&ctx->err, GH_E_FORBIDDEN, "permission_denied", "this needs the '%s' permission", perm);
        gh_err_extra(&ctx->err, "permission", json_string(perm));
        return GH_E_FORBIDDEN;
    }
    *ok_status = 200;
    if (strcmp(method, "POST") == 0 && !id[0]) {
        *ok_status = 201;
        return users ? gh_scim_user_create(ctx, data, res) : gh_scim_group_create(ctx, data, res);
    }
    if (!id[0]) return gh_scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "%s needs /%s/{id}", method, kind);
    if (strcmp(method, "PUT") == 0)
        return users ? gh_scim_user_put(ctx, id, data, version, res) : gh_scim_group_put(ctx, id, data, version, res);
    if (strcmp(method, "PATCH") == 0)
        return users ? gh_scim_user_patch(ctx, id, data, version, res) : gh_scim_group_patch(ctx, id, data, version, res);
    if (strcmp(method, "DELETE") == 0) {
        *ok_status = 204;
        return users ? gh_scim_user_delete(ctx, id, version) : gh_scim_group_delete(ctx, id, version);
    }
    return gh_scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "method is POST, PUT, PATCH or DELETE");
}

gh_status gh_scim_bulk(gh_ctx *ctx, const json_t *in, json_t **out)
{
    *out = NULL;
    json_t *ops = gh_scim_get_ci(in, "Operations");
    if (!json_is_array(ops))
        return gh_scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "a BulkRequest needs 'Operations'");
    if (json_array_size(ops) > GH_SCIM_BULK_MAX_OPS)
        return gh_scim_fail(ctx, GH_E_TOO_LARGE, "too_many_operations", "tooMany", "at most %d operations",
                         GH_SCIM_BULK_MAX_OPS);
    json_t *foe = gh_scim_get_ci(in, "failOnErrors");
    if (foe && !json_is_null(foe) && (!json_is_integer(foe) || json_integer_value(foe) < 1))
        return gh_scim_bad_value(ctx, "failOnErrors", "must be a positive integer");
    int64_t fail_on = foe && json_is_integer(foe) ? json_integer_value(foe) : 0;
    json_t *results = json_array(), *ids = json_object();
    gh_status st = GH_OK;
    if (!results || !ids) { st = gh_ctx_oom(ctx); goto done; }
    int64_t errors = 0;
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        if (fail_on && errors >= fail_on) break;
        const char *method = json_string_value(gh_scim_get_ci(op, "method"));
        const char *path = json_string_value(gh_scim_get_ci(op, "path"));
        const char *bulk_id = json_string_value(gh_scim_get_ci(op, "bulkId"));
        const char *version = json_string_value(gh_scim_get_ci(op, "version"));
        json_t *data = gh_scim_get_ci(op, "data");
        json_t *copy = data ? json_deep_copy(data) : NULL;
        json_t *res = NULL, *entry = json_object();
        unsigned ok_status = 200;
        char missing[80];
        gh_status s;
        gh_err_clear(&ctx->err);
        if (!entry || (data && !copy)) s = gh_ctx_oom(ctx);
        else if (!json_is_object(op) || !method || !path)
            s = gh_scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "operation %zu needs method and path", i);
        else if (strcmp(method, "POST") == 0 && !bulk_id)
            s = gh_scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "POST operations need a bulkId");
        else if (copy && !resolve_bulk_ids(copy, ids, missing, sizeof missing))
            s = gh_scim_fail(ctx, GH_E_CONFLICT, "invalid_bulk_id", "invalidValue", "unknown bulkId '%s'", missing);
        else
            s = bulk_one(ctx, method, path, copy, version, ids, &res, &ok_status);
        if (!entry) { json_decref(copy); json_decref(res); st = GH_E_INTERNAL; goto done; }
        if (method) json_object_set_new(entry, "method", json_string(method));
        if (bulk_id) json_object_set_new(entry, "bulkId", json_string(bulk_id));
        char status[12]; /* any unsigned: -O2 builds warn otherwise */
        if (s == GH_OK) {
            snprintf(status, sizeof status, "%u", ok_status);
            const char *rid = json_string_value(json_object_get(res, "id"));
            if (rid && bulk_id) json_object_set_new(ids, bulk_id, json_string(rid));
            const char *loc = json_string_value(json_object_get(json_object_get(res, "meta"), "location"));
            if (loc) json_object_set_new(entry, "location", json_string(loc));
            const char *ver = gh_scim_version_of(res);
            if (ver) json_object_set_new(entry, "version", json_string(ver));
        } else {
            errors++;
            unsigned h = gh_scim_http_of(s);
            snprintf(status, sizeof status, "%u", h);
            json_object_set_new(entry, "response", gh_scim_error_json(&ctx->err, h));
        }
        json_object_set_new(entry, "status", json_string(status));
        json_array_append_new(results, entry);
        json_decref(copy);
        json_decref(res);
    }
    gh_err_clear(&ctx->err);
    *out = json_pack("{s:[s], s:O}", "schemas", GH_SCIM_BULKRESP_URN, "Operations", results);
    if (!*out) st = gh_ctx_oom(ctx);
done:
    json_decref(results);
    json_decref(ids);
    return st;
}

