/* /v1/org/sso: the organization's company sign-in (issue 16). */
#include <string.h>

#include "api/api.h"
#include "core/sso.h"
#include "util/json.h"

static void get_sso(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_sso_get(gh_req_ctx(r), &out))) return;
    gh_reply_json(r, 200, out);
}

static void put_sso(gh_req *r)
{
    static const gh_jfield f[] = {
        {"protocol", GH_J_STRING, true}, {"display_name", GH_J_STRING, true},
        {"issuer", GH_J_STRING, false}, {"client_id", GH_J_STRING, false},
        {"client_secret", GH_J_STRING, false}, {"scopes", GH_J_ARRAY, false},
        {"email_claim", GH_J_STRING_OR_NULL, false}, {"groups_claim", GH_J_STRING_OR_NULL, false},
        {"idp_metadata_xml", GH_J_STRING, false}, {"idp_metadata_url", GH_J_STRING, false},
        {"jit", GH_J_OBJECT, false}, {"role_map", GH_J_OBJECT, false},
        {"required", GH_J_BOOL, false}, {"break_glass", GH_J_ARRAY, false}, {NULL, 0, false}};
    static const gh_jfield jit[] = {{"enabled", GH_J_BOOL, true}, {"default_role", GH_J_STRING_OR_NULL, false},
                                    {"domains", GH_J_ARRAY, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    json_t *out = NULL;
    if (!gh_json_check_or_reply(r, b, f)) goto out;
    json_t *j = json_object_get(b, "jit");
    if (j && !gh_json_check_in_or_reply(r, j, jit, "jit")) goto out;
    if (gh_api_failed(r, gh_sso_put(gh_req_ctx(r), b, &out))) goto out;
    gh_reply_json(r, 200, out);
out:
    gh_json_wipe_strings(json_object_get(b, "client_secret"));
}

static void delete_sso(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_sso_delete(gh_req_ctx(r)))) return;
    gh_reply_empty(r);
}

/* POST /v1/org/sso/test: the IdP calls run on the IdP-call threads
 * (gh_req_defer_idp), the answer is written back here. */
static void test_done(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_sso_test_finish(gh_req_ctx(r), gh_req_state(r), &out))) return;
    gh_reply_json(r, 200, out);
}

static void test_sso(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    gh_sso_test *t;
    if (gh_api_failed(r, gh_sso_test_prepare(gh_req_ctx(r), &t))) return;
    gh_req_set_state(r, t);
    gh_req_on_done(r, gh_sso_test_free, t);
    gh_req_defer_idp(r, gh_sso_test_run, t, test_done);
}

const gh_route gh_api_routes_sso[] = {
    {"GET", "/v1/org/sso", get_sso, GH_AUTH_USER, 0, "it.operations"},
    {"PUT", "/v1/org/sso", put_sso, GH_AUTH_USER, 0, "it.operations"},
    {"DELETE", "/v1/org/sso", delete_sso, GH_AUTH_USER, 0, "it.operations"},
    {"POST", "/v1/org/sso/test", test_sso, GH_AUTH_USER, 0, "it.operations"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
