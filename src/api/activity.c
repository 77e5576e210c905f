/* /v1/activity (the embedding product reports events) and
 * /v1/users/{id}/activity (a person's work over time). */
#include "api/api.h"
#include "api/range.h"
#include "core/shopfloor.h"

static void record(gh_req *r)
{
    static const gh_jfield f[] = {{"user_id", GH_J_STRING, true}, {"type", GH_J_STRING, true},
                                  {"ref", GH_J_STRING, true}, {"at", GH_J_STRING_OR_NULL, false},
                                  {"detail", GH_J_OBJECT, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    int64_t at = 0;
    const char *s = gh_jstr(b, "at");
    if (s && !gh_time_parse(s, &at)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", "at", "'at' must be an RFC 3339 time");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *out;
    if (gh_api_failed(r, gh_activity_record(ctx, gh_jstr(b, "user_id"), gh_jstr(b, "type"), gh_jstr(b, "ref"), at,
                                            json_object_get(b, "detail"), &out)))
        return;
    gh_reply_json(r, 201, out);
}

static void user_activity(gh_req *r)
{
    int limit;
    int64_t from, to;
    if (!gh_api_limit_or_reply(r, 500, &limit) || !gh_api_range_or_reply(r, 30, &from, &to)) return;
    json_t *out;
    if (gh_api_failed(r, gh_activity_user(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_query(r, "type"), from, to,
                                          gh_req_query(r, "cursor"), limit, &out)))
        return;
    gh_reply_json(r, 200, out);
}

const gh_route gh_api_routes_activity[] = {
    {"POST", "/v1/activity", record, GH_AUTH_KEY, GH_R_SCOPE_ACTIVITY_WRITE, NULL},
    {"GET", "/v1/users/{id}/activity", user_activity, GH_AUTH_ANY, GH_R_SCOPE_ACTIVITY_WRITE, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
