/* Second factors (core/mfa.h): the sign-in's second step, one's own factors
 * (My profile -> Security), an administrator's view and reset, the org's
 * policy. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/accounts.h"
#include "core/mfa.h"
#include "core/webauthn.h"

void gh_api_session_answer(gh_req *r, const char *token, const char *csrf, const gh_session *s, json_t *user);

static json_t *codes_json(const gh_mfa_result *res)
{
    json_t *a = json_array();
    for (int i = 0; a && i < res->ncodes; i++) json_array_append_new(a, json_string(res->codes[i]));
    return a;
}

/* POST /v1/auth/mfa {code | recovery_code}: completes a pending sign-in. */
static void verify(gh_req *r)
{
    static const gh_jfield f[] = {{"code", GH_J_STRING, false}, {"recovery_code", GH_J_STRING, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_mfa_result *res = calloc(1, sizeof *res);
    if (!res) { gh_api_failed(r, gh_ctx_oom(gh_req_ctx(r))); return; }
    if (!gh_api_failed(r, gh_mfa_verify(gh_req_ctx(r), gh_jstr(b, "code"), gh_jstr(b, "recovery_code"), res)))
        gh_api_session_answer(r, res->token, res->csrf, &res->session, gh_user_json(&res->user));
    gh_mfa_result_wipe(res);
    free(res);
}

static void my_status(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    json_t *out;
    if (gh_api_failed(r, gh_mfa_status(ctx, ctx->actor.id, &out))) return;
    json_object_set_new(out, "mfa_pending", ctx->actor.mfa_pending[0] ? json_string(ctx->actor.mfa_pending) : json_null());
    gh_reply_json(r, 200, out);
}

/* POST /v1/me/mfa/totp: a new secret to scan; confirmed by the next call. */
static void totp_begin(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    gh_mfa_enrolment e;
    if (gh_api_failed(r, gh_mfa_totp_begin(gh_req_ctx(r), &e))) return;
    gh_reply_json(r, 201, json_pack("{s:s, s:s, s:s}", "otpauth_uri", e.uri, "secret", e.secret, "qr_svg", e.qr_svg));
    gh_mfa_enrolment_free(&e);
}

static void totp_confirm(gh_req *r)
{
    static const gh_jfield f[] = {{"code", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_mfa_result *res = calloc(1, sizeof *res);
    if (!res) { gh_api_failed(r, gh_ctx_oom(gh_req_ctx(r))); return; }
    if (!gh_api_failed(r, gh_mfa_totp_confirm(gh_req_ctx(r), gh_jstr(b, "code"), res))) {
        json_t *out = json_pack("{s:o}", "recovery_codes", codes_json(res));
        if (out && res->session_opened) {
            /* A forced enrolment at sign-in: the full session replaces the pending one. */
            char exp[32];
            gh_time_fmt(res->session.expires_at, exp);
            gh_api_session_cookies(r, res->token, res->csrf, &res->session);
            json_object_set_new(out, "session", json_pack("{s:s, s:s, s:s, s:s}", "token", res->token, "csrf_token",
                                                          res->csrf, "expires_at", exp, "session_id", res->session.id));
        }
        gh_reply_json(r, 200, out);
    }
    gh_mfa_result_wipe(res);
    free(res);
}

static void totp_remove(gh_req *r)
{
    static const gh_jfield f[] = {{"code", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    if (gh_api_failed(r, gh_mfa_totp_remove(gh_req_ctx(r), gh_jstr(b, "code")))) return;
    gh_reply_empty(r);
}

static void recovery_regenerate(gh_req *r)
{
    static const gh_jfield f[] = {{"code", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_mfa_result *res = calloc(1, sizeof *res);
    if (!res) { gh_api_failed(r, gh_ctx_oom(gh_req_ctx(r))); return; }
    if (!gh_api_failed(r, gh_mfa_recovery_regenerate(gh_req_ctx(r), gh_jstr(b, "code"), res)))
        gh_reply_json(r, 200, json_pack("{s:o}", "recovery_codes", codes_json(res)));
    gh_mfa_result_wipe(res);
    free(res);
}

static void user_status(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_mfa_status(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void user_reset(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_mfa_reset(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

static void get_policy(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_mfa_policy_get(gh_req_ctx(r), &out))) return;
    gh_reply_json(r, 200, out);
}

static void put_policy(gh_req *r)
{
    static const gh_jfield f[] = {{"policy", GH_J_STRING, false}, {"sso_counts_as_mfa", GH_J_BOOL, false},
                                  {"sso_acr", GH_J_STRING, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_mfa_policy_set(gh_req_ctx(r), gh_jstr(b, "policy"), json_object_get(b, "sso_counts_as_mfa"),
                                           gh_jstr(b, "sso_acr"), &out)))
        return;
    gh_reply_json(r, 200, out);
}

/* ---- passkeys and security keys (core/webauthn.h) ---- */
static void wa_register_options(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    json_t *out;
    if (gh_api_failed(r, gh_webauthn_register_begin(gh_req_ctx(r), &out))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "publicKey", out));
}

static void wa_register(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, false}, {"client_data", GH_J_STRING, true},
                                  {"attestation_object", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    gh_mfa_result *res = calloc(1, sizeof *res);
    if (!res) { gh_api_failed(r, gh_ctx_oom(gh_req_ctx(r))); return; }
    if (!gh_api_failed(r, gh_webauthn_register_finish(gh_req_ctx(r), gh_jstr(b, "name"), gh_jstr(b, "client_data"),
                                                      gh_jstr(b, "attestation_object"), &out, res))) {
        if (res->session_opened) {
            /* A forced enrolment at sign-in: the full session replaces the
             * pending one, and the first factor brings recovery codes. */
            char exp[32];
            gh_time_fmt(res->session.expires_at, exp);
            gh_api_session_cookies(r, res->token, res->csrf, &res->session);
            json_object_set_new(out, "session", json_pack("{s:s, s:s, s:s, s:s}", "token", res->token, "csrf_token",
                                                          res->csrf, "expires_at", exp, "session_id", res->session.id));
            json_object_set_new(out, "recovery_codes", codes_json(res));
        }
        gh_reply_json(r, 201, out);
    }
    gh_mfa_result_wipe(res);
    free(res);
}

static void wa_list(gh_req *r)
{
    json_t *items;
    if (gh_api_failed(r, gh_webauthn_list(gh_req_ctx(r), &items))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void wa_rename(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    if (gh_api_failed(r, gh_webauthn_rename(gh_req_ctx(r), gh_req_param(r, "id"), gh_jstr(b, "name")))) return;
    gh_reply_empty(r);
}

static void wa_remove(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_webauthn_remove(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

static void wa_assert_options(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    if (strcmp(ctx->actor.mfa_pending, "verify") != 0) {
        gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_not_pending", "this session is not waiting for a second factor");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *out;
    if (gh_api_failed(r, gh_webauthn_assert_begin(ctx, &out))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "publicKey", out));
}

/* POST /v1/me/reauth/webauthn/options: assertion options for a
 * re-authentication's second factor (e-signatures), for a full session. */
static void wa_reauth_options(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    json_t *out;
    if (gh_api_failed(r, gh_webauthn_assert_begin(gh_req_ctx(r), &out))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "publicKey", out));
}

/* POST /v1/auth/mfa/webauthn: completes a pending sign-in with a passkey. */
static void wa_verify(gh_req *r)
{
    static const gh_jfield f[] = {{"id", GH_J_STRING, true}, {"client_data", GH_J_STRING, true},
                                  {"authenticator_data", GH_J_STRING, true}, {"signature", GH_J_STRING, true},
                                  {"user_handle", GH_J_STRING_OR_NULL, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_mfa_result *res = calloc(1, sizeof *res);
    if (!res) { gh_api_failed(r, gh_ctx_oom(gh_req_ctx(r))); return; }
    if (!gh_api_failed(r, gh_mfa_verify_webauthn(gh_req_ctx(r), gh_jstr(b, "id"), gh_jstr(b, "client_data"),
                                                 gh_jstr(b, "authenticator_data"), gh_jstr(b, "signature"), res)))
        gh_api_session_answer(r, res->token, res->csrf, &res->session, gh_user_json(&res->user));
    gh_mfa_result_wipe(res);
    free(res);
}

const gh_route gh_api_routes_mfa[] = {
    {"POST", "/v1/auth/mfa", verify, GH_AUTH_USER, GH_R_OFFICE | GH_R_MFA_STEP | GH_R_SECRET, NULL},
    {"POST", "/v1/auth/mfa/webauthn/options", wa_assert_options, GH_AUTH_USER, GH_R_OFFICE | GH_R_MFA_STEP, NULL},
    {"POST", "/v1/auth/mfa/webauthn", wa_verify, GH_AUTH_USER, GH_R_OFFICE | GH_R_MFA_STEP, NULL},
    {"POST", "/v1/me/mfa/webauthn/options", wa_register_options, GH_AUTH_USER, GH_R_OFFICE | GH_R_MFA_STEP, NULL},
    {"POST", "/v1/me/mfa/webauthn", wa_register, GH_AUTH_USER, GH_R_OFFICE | GH_R_MFA_STEP, NULL},
    {"GET", "/v1/me/mfa/webauthn", wa_list, GH_AUTH_USER, GH_R_OFFICE, NULL},
    {"POST", "/v1/me/reauth/webauthn/options", wa_reauth_options, GH_AUTH_USER, GH_R_OFFICE, NULL},
    {"PATCH", "/v1/me/mfa/webauthn/{id}", wa_rename, GH_AUTH_USER, GH_R_OFFICE, NULL},
    {"DELETE", "/v1/me/mfa/webauthn/{id}", wa_remove, GH_AUTH_USER, GH_R_OFFICE, NULL},
    {"GET", "/v1/me/mfa", my_status, GH_AUTH_USER, GH_R_OFFICE | GH_R_MFA_STEP, NULL},
    {"POST", "/v1/me/mfa/totp", totp_begin, GH_AUTH_USER, GH_R_OFFICE | GH_R_MFA_STEP, NULL},
    {"POST", "/v1/me/mfa/totp/confirm", totp_confirm, GH_AUTH_USER, GH_R_OFFICE | GH_R_MFA_STEP | GH_R_SECRET, NULL},
    {"DELETE", "/v1/me/mfa/totp", totp_remove, GH_AUTH_USER, GH_R_OFFICE | GH_R_SECRET, NULL},
    {"POST", "/v1/me/mfa/recovery-codes", recovery_regenerate, GH_AUTH_USER, GH_R_OFFICE | GH_R_SECRET, NULL},
    {"GET", "/v1/users/{id}/mfa", user_status, GH_AUTH_USER, GH_R_OR_MANAGE, "users.view"},
    {"POST", "/v1/users/{id}/mfa/reset", user_reset, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/org/mfa", get_policy, GH_AUTH_USER, 0, "it.operations"},
    {"PUT", "/v1/org/mfa", put_policy, GH_AUTH_USER, 0, "it.operations"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
