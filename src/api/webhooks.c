/* /v1/webhooks: the organization's webhook endpoints and their deliveries
 * (issue 19 item 2; it.operations). */
#include "api/api.h"
#include "core/webhooks.h"

static const gh_jfield fields_create[] = {
    {"url", GH_J_STRING, true}, {"events", GH_J_ARRAY, true}, {"description", GH_J_STRING, false},
    {"enabled", GH_J_BOOL, false}, {NULL, 0, false},
};
static const gh_jfield fields_patch[] = {
    {"url", GH_J_STRING, false}, {"events", GH_J_ARRAY, false}, {"description", GH_J_STRING, false},
    {"enabled", GH_J_BOOL, false}, {"rotate_secret", GH_J_BOOL, false}, {NULL, 0, false},
};

static void list_hooks(gh_req *r)
{
    json_t *items;
    if (gh_api_failed(r, gh_webhook_list(gh_req_ctx(r), &items))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void create_hook(gh_req *r)
{
    json_t *b = gh_req_json(r), *out;
    if (!gh_json_check_or_reply(r, b, fields_create)) return;
    if (gh_api_failed(r, gh_webhook_create(gh_req_ctx(r), b, &out))) return;
    gh_reply_json(r, 201, out);
}

static void get_hook(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_webhook_get(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void patch_hook(gh_req *r)
{
    json_t *b = gh_req_json(r), *out;
    if (!gh_json_check_or_reply(r, b, fields_patch)) return;
    if (gh_api_failed(r, gh_webhook_update(gh_req_ctx(r), gh_req_param(r, "id"), b, &out))) return;
    gh_reply_json(r, 200, out);
}

static void delete_hook(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_webhook_delete(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

static void list_deliveries(gh_req *r)
{
    int limit = 50;
    json_t *items;
    if (!gh_api_limit_or_reply(r, 500, &limit)) return;
    if (!limit) limit = 50;
    if (gh_api_failed(r, gh_webhook_deliveries(gh_req_ctx(r), gh_req_param(r, "id"), limit, &items))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void test_hook(gh_req *r)
{
    json_t *out;
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_webhook_send_test(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    gh_reply_json(r, 202, out);
}

const gh_route gh_api_routes_webhooks[] = {
    {"GET", "/v1/webhooks", list_hooks, GH_AUTH_ANY, 0, "it.operations"},
    {"POST", "/v1/webhooks", create_hook, GH_AUTH_ANY, 0, "it.operations"},
    {"GET", "/v1/webhooks/{id}", get_hook, GH_AUTH_ANY, 0, "it.operations"},
    {"PATCH", "/v1/webhooks/{id}", patch_hook, GH_AUTH_ANY, 0, "it.operations"},
    {"DELETE", "/v1/webhooks/{id}", delete_hook, GH_AUTH_ANY, 0, "it.operations"},
    {"GET", "/v1/webhooks/{id}/deliveries", list_deliveries, GH_AUTH_ANY, 0, "it.operations"},
    {"POST", "/v1/webhooks/{id}/test", test_hook, GH_AUTH_ANY, 0, "it.operations"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
