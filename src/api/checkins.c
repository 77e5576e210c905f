/* /v1/checkins (check in, check out, list) and /v1/timesheets. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/range.h"
#include "core/shopfloor.h"

static void check_in(gh_req *r)
{
    static const gh_jfield f[] = {{"task_id", GH_J_STRING, true}, {"user_id", GH_J_STRING, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_checkin_open(gh_req_ctx(r), gh_jstr(b, "task_id"), gh_jstr(b, "user_id"), &out))) return;
    gh_reply_json(r, 201, out);
}

static void check_out(gh_req *r)
{
    static const gh_jfield f[] = {{"status", GH_J_STRING, true}, {"note", GH_J_STRING_OR_NULL, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_checkin_close(gh_req_ctx(r), gh_req_param(r, "id"), gh_jstr(b, "status"),
                                          gh_jstr(b, "note"), &out)))
        return;
    gh_reply_json(r, 200, out);
}

static bool flag_param(gh_req *r, const char *name, bool *out)
{
    const char *s = gh_req_query(r, name);
    *out = false;
    if (!s) return true;
    if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0) { *out = true; return true; }
    if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0) return true;
    gh_ctx *ctx = gh_req_ctx(r);
    gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_filter", name, "'%s' is 1 or 0", name);
    gh_reply_ctx_err(r);
    return false;
}

static void list_checkins(gh_req *r)
{
    int limit;
    bool open;
    if (!gh_api_limit_or_reply(r, 200, &limit) || !flag_param(r, "open", &open)) return;
    json_t *items;
    char *next = NULL;
    if (gh_api_failed(r, gh_checkin_list(gh_req_ctx(r), gh_req_query(r, "user_id"), open, gh_req_query(r, "cursor"),
                                         limit, &items, &next)))
        return;
    gh_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next ? json_string(next) : json_null()));
    free(next);
}

static void timesheet(gh_req *r)
{
    int64_t from, to;
    if (!gh_api_range_or_reply(r, 7, &from, &to)) return;
    json_t *out;
    if (gh_api_failed(r, gh_timesheet(gh_req_ctx(r), gh_req_query(r, "user_id"), from, to, &out))) return;
    gh_reply_json(r, 200, out);
}

const gh_route gh_api_routes_checkins[] = {
    {"POST", "/v1/checkins", check_in, GH_AUTH_USER, GH_R_OFFICE | GH_R_KIOSK, "tasks.work"},
    {"GET", "/v1/checkins", list_checkins, GH_AUTH_ANY, GH_R_OFFICE | GH_R_KIOSK | GH_R_SCOPE_TASKS_WRITE, NULL},
    {"POST", "/v1/checkins/{id}/checkout", check_out, GH_AUTH_USER, GH_R_OFFICE | GH_R_KIOSK, "tasks.work"},
    {"GET", "/v1/timesheets", timesheet, GH_AUTH_ANY, GH_R_OFFICE | GH_R_KIOSK | GH_R_SCOPE_TASKS_WRITE, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
