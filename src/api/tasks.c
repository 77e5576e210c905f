/* /v1/tasks, /v1/orders/assignees, /v1/screens (agenda screens) and /v1/me/tasks
 * (a worker's agenda). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/shopfloor.h"

static void create_task(gh_req *r)
{
    static const gh_jfield f[] = {{"ref", GH_J_STRING, true}, {"title", GH_J_STRING, true},
                                  {"order_ref", GH_J_STRING_OR_NULL, false}, {"due", GH_J_STRING_OR_NULL, false},
                                  {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    gh_task_new n = {.ref = gh_jstr(b, "ref"), .title = gh_jstr(b, "title"), .order_ref = gh_jstr(b, "order_ref")};
    const char *due = gh_jstr(b, "due");
    if (due && !gh_time_parse(due, &n.due_at)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", "due", "'due' must be an RFC 3339 time");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *out;
    if (gh_api_failed(r, gh_task_create(ctx, &n, &out))) return;
    gh_reply_json(r, 201, out);
}

static void list_tasks(gh_req *r)
{
    int limit;
    if (!gh_api_limit_or_reply(r, 200, &limit)) return;
    json_t *items;
    char *next = NULL;
    if (gh_api_failed(r, gh_task_list(gh_req_ctx(r), gh_req_query(r, "status"), gh_req_query(r, "order_ref"),
                                      gh_req_query(r, "q"), gh_req_query(r, "cursor"), limit, &items, &next)))
        return;
    gh_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next ? json_string(next) : json_null()));
    free(next);
}

static void get_task(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_task_get(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void patch_task(gh_req *r)
{
    static const gh_jfield f[] = {{"title", GH_J_STRING, false}, {"order_ref", GH_J_STRING_OR_NULL, false},
                                  {"due", GH_J_STRING_OR_NULL, false}, {"status", GH_J_STRING, false},
                                  {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    gh_task_patch p = {.title = gh_jstr(b, "title"), .order_ref_set = json_object_get(b, "order_ref") != NULL,
                       .order_ref = gh_jstr(b, "order_ref"), .due_set = json_object_get(b, "due") != NULL,
                       .status = gh_jstr(b, "status")};
    const char *due = gh_jstr(b, "due");
    if (due && !gh_time_parse(due, &p.due_at)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", "due", "'due' must be an RFC 3339 time");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *out;
    if (gh_api_failed(r, gh_task_update(ctx, gh_req_param(r, "id"), &p, &out))) return;
    gh_reply_json(r, 200, out);
}

static void delete_task(gh_req *r)
{
    if (gh_api_failed(r, gh_task_delete(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

static void assign(gh_req *r, bool add)
{
    if (gh_api_failed(r, gh_task_assign(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_param(r, "user_id"), add))) return;
    gh_reply_empty(r);
}
static void put_assignee(gh_req *r) { assign(r, true); }
static void delete_assignee(gh_req *r) { assign(r, false); }

/* Orders are known only by reference, and references may hold '/', so they
 * travel in the body or the query string, never in the path. */
static void put_order_assignee(gh_req *r)
{
    static const gh_jfield f[] = {{"order_ref", GH_J_STRING, true}, {"user_id", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    if (gh_api_failed(r, gh_order_assign(gh_req_ctx(r), gh_jstr(b, "order_ref"), gh_jstr(b, "user_id"), true))) return;
    gh_reply_empty(r);
}

static bool query_or_reply(gh_req *r, const char *name, const char **out)
{
    *out = gh_req_query(r, name);
    if (*out && **out) return true;
    gh_ctx *ctx = gh_req_ctx(r);
    gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", name, "the query parameter '%s' is required", name);
    gh_reply_ctx_err(r);
    return false;
}

static void delete_order_assignee(gh_req *r)
{
    const char *order_ref, *user_id;
    if (!query_or_reply(r, "order_ref", &order_ref) || !query_or_reply(r, "user_id", &user_id)) return;
    if (gh_api_failed(r, gh_order_assign(gh_req_ctx(r), order_ref, user_id, false))) return;
    gh_reply_empty(r);
}

static void get_order(gh_req *r)
{
    const char *order_ref;
    if (!query_or_reply(r, "order_ref", &order_ref)) return;
    json_t *out;
    if (gh_api_failed(r, gh_order_get(gh_req_ctx(r), order_ref, &out))) return;
    gh_reply_json(r, 200, out);
}

static void create_screen(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_screen_create(gh_req_ctx(r), gh_jstr(b, "name"), &out))) return;
    gh_reply_json(r, 201, out);
}

static void list_screens(gh_req *r)
{
    json_t *items;
    if (gh_api_failed(r, gh_screen_list(gh_req_ctx(r), &items))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void get_screen(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_screen_get(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void patch_screen(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_screen_rename(gh_req_ctx(r), gh_req_param(r, "id"), gh_jstr(b, "name"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void delete_screen(gh_req *r)
{
    if (gh_api_failed(r, gh_screen_delete(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

static void screen_link(gh_req *r, gh_screen_link_kind kind, bool add)
{
    const char *other = gh_req_param(r, kind == GH_SCREEN_TASKS ? "task_id" : "user_id");
    if (gh_api_failed(r, gh_screen_link(gh_req_ctx(r), gh_req_param(r, "id"), kind, other, add))) return;
    gh_reply_empty(r);
}
static void put_screen_task(gh_req *r) { screen_link(r, GH_SCREEN_TASKS, true); }
static void delete_screen_task(gh_req *r) { screen_link(r, GH_SCREEN_TASKS, false); }
static void put_screen_member(gh_req *r) { screen_link(r, GH_SCREEN_MEMBERS, true); }
static void delete_screen_member(gh_req *r) { screen_link(r, GH_SCREEN_MEMBERS, false); }

static void my_tasks(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    const char *status = gh_req_query(r, "status");
    if (status && strcmp(status, "open") != 0 && strcmp(status, "all") != 0) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_filter", "status", "status is open (default) or all");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *out;
    if (gh_api_failed(r, gh_agenda(ctx, !status || strcmp(status, "open") == 0, &out))) return;
    gh_reply_json(r, 200, out);
}

const gh_route gh_api_routes_tasks[] = {
    {"GET", "/v1/me/tasks", my_tasks, GH_AUTH_USER, GH_R_OFFICE | GH_R_KIOSK, NULL},
    {"POST", "/v1/tasks", create_task, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"GET", "/v1/tasks", list_tasks, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, NULL},
    {"GET", "/v1/tasks/{id}", get_task, GH_AUTH_ANY, GH_R_OFFICE | GH_R_KIOSK | GH_R_SCOPE_TASKS_WRITE, NULL},
    {"PATCH", "/v1/tasks/{id}", patch_task, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"DELETE", "/v1/tasks/{id}", delete_task, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"PUT", "/v1/tasks/{id}/assignees/{user_id}", put_assignee, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"DELETE", "/v1/tasks/{id}/assignees/{user_id}", delete_assignee, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"GET", "/v1/orders/assignees", get_order, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, NULL},
    {"PUT", "/v1/orders/assignees", put_order_assignee, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"DELETE", "/v1/orders/assignees", delete_order_assignee, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"POST", "/v1/screens", create_screen, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"GET", "/v1/screens", list_screens, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"GET", "/v1/screens/{id}", get_screen, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"PATCH", "/v1/screens/{id}", patch_screen, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"DELETE", "/v1/screens/{id}", delete_screen, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"PUT", "/v1/screens/{id}/tasks/{task_id}", put_screen_task, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"DELETE", "/v1/screens/{id}/tasks/{task_id}", delete_screen_task, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"PUT", "/v1/screens/{id}/members/{user_id}", put_screen_member, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {"DELETE", "/v1/screens/{id}/members/{user_id}", delete_screen_member, GH_AUTH_ANY, GH_R_SCOPE_TASKS_WRITE, "tasks.assign"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
