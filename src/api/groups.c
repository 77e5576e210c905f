/* /v1/groups: user groups and their membership (groups.manage to change). */
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "core/groups.h"

static void list_groups(gh_req *r)
{
    int limit;
    if (!gh_api_limit_or_reply(r, 200, &limit)) return;
    json_t *items;
    char *next = NULL;
    if (gh_api_failed(r, gh_group_list(gh_req_ctx(r), gh_req_query(r, "q"), gh_req_query(r, "cursor"), limit, &items,
                                       &next)))
        return;
    gh_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next ? json_string(next) : json_null()));
    free(next);
}

static void create_group(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, true}, {"description", GH_J_STRING, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_group_create(gh_req_ctx(r), gh_jstr(b, "name"), gh_jstr(b, "description"), &out))) return;
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/groups/%s", json_string_value(json_object_get(out, "id")));
    gh_reply_header(r, "Location", loc);
    gh_reply_json(r, 201, out);
}

static void get_group(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_group_get(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void patch_group(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, false}, {"description", GH_J_STRING, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_group_update(gh_req_ctx(r), gh_req_param(r, "id"), gh_jstr(b, "name"),
                                         gh_jstr(b, "description"), &out)))
        return;
    gh_reply_json(r, 200, out);
}

static void delete_group(gh_req *r)
{
    if (gh_api_failed(r, gh_group_delete(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

static void member_common(gh_req *r, bool member)
{
    if (gh_api_failed(r, gh_group_member_set(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_param(r, "user_id"), member)))
        return;
    gh_reply_empty(r);
}
static void add_member(gh_req *r) { member_common(r, true); }
static void remove_member(gh_req *r) { member_common(r, false); }

const gh_route gh_api_routes_groups[] = {
    {"GET", "/v1/groups", list_groups, GH_AUTH_ANY, GH_R_SCOPE_AUTHZ_CHECK, NULL},
    {"POST", "/v1/groups", create_group, GH_AUTH_USER, 0, "groups.manage"},
    {"GET", "/v1/groups/{id}", get_group, GH_AUTH_ANY, GH_R_SCOPE_AUTHZ_CHECK, NULL},
    {"PATCH", "/v1/groups/{id}", patch_group, GH_AUTH_USER, 0, "groups.manage"},
    {"DELETE", "/v1/groups/{id}", delete_group, GH_AUTH_USER, 0, "groups.manage"},
    {"PUT", "/v1/groups/{id}/members/{user_id}", add_member, GH_AUTH_USER, 0, "groups.manage"},
    {"DELETE", "/v1/groups/{id}/members/{user_id}", remove_member, GH_AUTH_USER, 0, "groups.manage"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
