/* /v1/views: saved view templates and dashboards, and their sharing with
 * groups. Who may see and change which view is decided in core/views.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/views.h"

static bool flag_query_or_reply(gh_req *r, const char *name, bool *out)
{
    const char *s = gh_req_query(r, name);
    *out = false;
    if (!s) return true;
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) { *out = true; return true; }
    if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) return true;
    gh_err e = {0};
    gh_fail_field(&e, GH_E_INVALID, "invalid_filter", name, "'%s' is true or false", name);
    gh_reply_err(r, &e);
    gh_err_clear(&e);
    return false;
}

static void list_views(gh_req *r)
{
    gh_view_query q = {.kind = gh_req_query(r, "kind"), .cursor = gh_req_query(r, "cursor")};
    if (!gh_api_limit_or_reply(r, 200, &q.limit)) return;
    if (!flag_query_or_reply(r, "all", &q.all) || !flag_query_or_reply(r, "include_config", &q.with_config)) return;
    json_t *items;
    char *next = NULL;
    if (gh_api_failed(r, gh_view_list(gh_req_ctx(r), &q, &items, &next))) return;
    gh_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next ? json_string(next) : json_null()));
    free(next);
}

static void create_view(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, true}, {"kind", GH_J_STRING, true},
                                  {"config", GH_J_ANY, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_view_create(gh_req_ctx(r), gh_jstr(b, "name"), gh_jstr(b, "kind"),
                                        json_object_get(b, "config"), &out)))
        return;
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/views/%s", json_string_value(json_object_get(out, "id")));
    gh_reply_header(r, "Location", loc);
    gh_reply_json(r, 201, out);
}

static void get_view(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_view_get(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void patch_view(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, false}, {"config", GH_J_ANY, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_view_update(gh_req_ctx(r), gh_req_param(r, "id"), gh_jstr(b, "name"),
                                        json_object_get(b, "config"), &out)))
        return;
    gh_reply_json(r, 200, out);
}

static void delete_view(gh_req *r)
{
    if (gh_api_failed(r, gh_view_delete(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

static void share_view(gh_req *r)
{
    static const gh_jfield f[] = {{"group_ids", GH_J_ARRAY, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_view_share(gh_req_ctx(r), gh_req_param(r, "id"), json_object_get(b, "group_ids"), &out)))
        return;
    gh_reply_json(r, 200, out);
}

const gh_route gh_api_routes_views[] = {
    {"GET", "/v1/views", list_views, GH_AUTH_USER, GH_R_OFFICE | GH_R_KIOSK, NULL},
    {"POST", "/v1/views", create_view, GH_AUTH_USER, 0, "dashboards.manage"},
    {"GET", "/v1/views/{id}", get_view, GH_AUTH_USER, GH_R_OFFICE | GH_R_KIOSK, NULL},
    {"PATCH", "/v1/views/{id}", patch_view, GH_AUTH_USER, 0, NULL},
    {"DELETE", "/v1/views/{id}", delete_view, GH_AUTH_USER, 0, NULL},
    {"PUT", "/v1/views/{id}/shares", share_view, GH_AUTH_USER, 0, "dashboards.manage"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
