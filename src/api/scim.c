/* /scim/v2/: the SCIM 2.0 service provider (core/scim.h) for the API key's
 * organization. Keys need the `scim` scope to call these routes (the
 * dispatcher checks it) and users.manage or groups.manage to read or change
 * the resources (checked here for reads, and again from the key's row by
 * the write guard for writes). */
#include <string.h>

#include "api/api.h"
#include "core/access.h"
#include "core/scim.h"

static bool holds_or_reply(gh_req *r, const char *perm)
{
    gh_ctx *ctx = gh_req_ctx(r);
    if (gh_access_allowed(ctx, perm)) return true;
    gh_err e = {0};
    gh_fail(&e, GH_E_FORBIDDEN, "permission_denied", "this needs the '%s' permission", perm);
    gh_err_extra(&e, "permission", json_string(perm));
    gh_reply_err(r, &e);
    gh_err_clear(&e);
    return false;
}

static bool scim_failed(gh_req *r, gh_status st) { return gh_api_failed(r, st); }

/* Answers a resource with its ETag (and Location for 201). */
static void reply_resource(gh_req *r, unsigned status, json_t *res)
{
    json_t *meta = json_object_get(res, "meta");
    const char *tag = json_string_value(json_object_get(meta, "version"));
    if (tag) gh_reply_header(r, "ETag", tag);
    const char *loc = json_string_value(json_object_get(meta, "location"));
    if (status == 201 && loc) gh_reply_header(r, "Location", loc);
    gh_scim_project(res, gh_req_query(r, "attributes"), gh_req_query(r, "excludedAttributes"));
    gh_reply_scim(r, status, res);
}

static bool query_or_reply(gh_req *r, gh_scim_query *q)
{
    memset(q, 0, sizeof *q);
    gh_ctx *ctx = gh_req_ctx(r);
    if (gh_api_failed(r, gh_scim_query_parse(ctx, gh_req_query(r, "startIndex"), gh_req_query(r, "count"),
                                             gh_req_query(r, "sortOrder"), q)))
        return false;
    q->filter = gh_req_query(r, "filter");
    q->sort_by = gh_req_query(r, "sortBy");
    q->attributes = gh_req_query(r, "attributes");
    q->excluded = gh_req_query(r, "excludedAttributes");
    return true;
}

/* ---- discovery ----------------------------------------------------------- */
static void sp_config(gh_req *r) { gh_reply_scim(r, 200, gh_scim_service_provider_config()); }
static void resource_types(gh_req *r) { gh_reply_scim(r, 200, gh_scim_resource_types()); }
static void schemas(gh_req *r) { gh_reply_scim(r, 200, gh_scim_schemas()); }

static void not_found(gh_req *r, const char *what)
{
    gh_err e = {0};
    gh_fail(&e, GH_E_NOT_FOUND, "not_found", "no such %s", what);
    gh_reply_err(r, &e);
}

static void resource_type(gh_req *r)
{
    json_t *o = gh_scim_resource_type(gh_req_param(r, "id"));
    if (!o) { not_found(r, "resource type"); return; }
    gh_reply_scim(r, 200, o);
}

static void schema(gh_req *r)
{
    json_t *o = gh_scim_schema(gh_req_param(r, "id"));
    if (!o) { not_found(r, "schema"); return; }
    gh_reply_scim(r, 200, o);
}

/* ---- users ---------------------------------------------------------------- */
static void users_list(gh_req *r)
{
    gh_scim_query q;
    json_t *out;
    if (!holds_or_reply(r, "users.manage") || !query_or_reply(r, &q)) return;
    if (scim_failed(r, gh_scim_users_list(gh_req_ctx(r), &q, &out))) return;
    gh_reply_scim(r, 200, out);
}

static void user_get(gh_req *r)
{
    json_t *out;
    if (!holds_or_reply(r, "users.manage")) return;
    if (scim_failed(r, gh_scim_user_get(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    const char *inm = gh_req_header(r, "If-None-Match");
    const char *tag = json_string_value(json_object_get(json_object_get(out, "meta"), "version"));
    if (inm && tag && strcmp(inm, tag) == 0) {
        gh_reply_header(r, "ETag", tag); /* copied */
        json_decref(out);
        gh_reply_bytes(r, 304, NULL, "", 0, false);
        return;
    }
    reply_resource(r, 200, out);
}

static void user_create(gh_req *r)
{
    json_t *out;
    if (scim_failed(r, gh_scim_user_create(gh_req_ctx(r), gh_req_json(r), &out))) return;
    reply_resource(r, 201, out);
}

static void user_put(gh_req *r)
{
    json_t *out;
    if (scim_failed(r, gh_scim_user_put(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_json(r),
                                        gh_req_header(r, "If-Match"), &out)))
        return;
    reply_resource(r, 200, out);
}

static void user_patch(gh_req *r)
{
    json_t *out;
    if (scim_failed(r, gh_scim_user_patch(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_json(r),
                                          gh_req_header(r, "If-Match"), &out)))
        return;
    reply_resource(r, 200, out);
}

static void user_delete(gh_req *r)
{
    if (scim_failed(r, gh_scim_user_delete(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_header(r, "If-Match"))))
        return;
    gh_reply_empty(r);
}

/* ---- groups --------------------------------------------------------------- */
static void groups_list(gh_req *r)
{
    gh_scim_query q;
    json_t *out;
    if (!holds_or_reply(r, "groups.manage") || !query_or_reply(r, &q)) return;
    if (scim_failed(r, gh_scim_groups_list(gh_req_ctx(r), &q, &out))) return;
    gh_reply_scim(r, 200, out);
}

static void group_get(gh_req *r)
{
    json_t *out;
    if (!holds_or_reply(r, "groups.manage")) return;
    if (scim_failed(r, gh_scim_group_get(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    reply_resource(r, 200, out);
}

static void group_create(gh_req *r)
{
    json_t *out;
    if (scim_failed(r, gh_scim_group_create(gh_req_ctx(r), gh_req_json(r), &out))) return;
    reply_resource(r, 201, out);
}

static void group_put(gh_req *r)
{
    json_t *out;
    if (scim_failed(r, gh_scim_group_put(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_json(r),
                                         gh_req_header(r, "If-Match"), &out)))
        return;
    reply_resource(r, 200, out);
}

static void group_patch(gh_req *r)
{
    json_t *out;
    if (scim_failed(r, gh_scim_group_patch(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_json(r),
                                           gh_req_header(r, "If-Match"), &out)))
        return;
    reply_resource(r, 200, out);
}

static void group_delete(gh_req *r)
{
    if (scim_failed(r, gh_scim_group_delete(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_header(r, "If-Match"))))
        return;
    gh_reply_empty(r);
}

static void bulk(gh_req *r)
{
    json_t *out;
    if (scim_failed(r, gh_scim_bulk(gh_req_ctx(r), gh_req_json(r), &out))) return;
    gh_reply_scim(r, 200, out);
}

#define SCIM GH_AUTH_KEY, GH_R_SCOPE_SCIM
const gh_route gh_api_routes_scim[] = {
    {"GET", "/scim/v2/ServiceProviderConfig", sp_config, SCIM, NULL},
    {"GET", "/scim/v2/ResourceTypes", resource_types, SCIM, NULL},
    {"GET", "/scim/v2/ResourceTypes/{id}", resource_type, SCIM, NULL},
    {"GET", "/scim/v2/Schemas", schemas, SCIM, NULL},
    {"GET", "/scim/v2/Schemas/{id}", schema, SCIM, NULL},
    {"GET", "/scim/v2/Users", users_list, SCIM, "users.manage"},
    {"POST", "/scim/v2/Users", user_create, SCIM, "users.manage"},
    {"GET", "/scim/v2/Users/{id}", user_get, SCIM, "users.manage"},
    {"PUT", "/scim/v2/Users/{id}", user_put, SCIM, "users.manage"},
    {"PATCH", "/scim/v2/Users/{id}", user_patch, SCIM, "users.manage"},
    {"DELETE", "/scim/v2/Users/{id}", user_delete, SCIM, "users.manage"},
    {"GET", "/scim/v2/Groups", groups_list, SCIM, "groups.manage"},
    {"POST", "/scim/v2/Groups", group_create, SCIM, "groups.manage"},
    {"GET", "/scim/v2/Groups/{id}", group_get, SCIM, "groups.manage"},
    {"PUT", "/scim/v2/Groups/{id}", group_put, SCIM, "groups.manage"},
    {"PATCH", "/scim/v2/Groups/{id}", group_patch, SCIM, "groups.manage"},
    {"DELETE", "/scim/v2/Groups/{id}", group_delete, SCIM, "groups.manage"},
    {"POST", "/scim/v2/Bulk", bulk, GH_AUTH_KEY, GH_R_SCOPE_SCIM | GH_R_BIG_BODY, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
