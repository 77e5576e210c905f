/* Electronic signatures (core/esign.h): signing with one's own credentials,
 * the signatures on a record, the chain head, and users.manage turning a
 * person's e-signature on and off. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/esign.h"
#include "core/kiosk.h"
#include "core/mfa.h"

typedef struct {
    gh_reauth ra;
    gh_hash_job *job;
    bool finished;
    const char *method;
    gh_esign_req req;
} sign_state;

static void sign_done(gh_req *r)
{
    sign_state *s = gh_req_state(r);
    s->finished = true;
    if (s->job->hash_rc != 0) {
        gh_reauth_abandon(&s->ra, true, s->job->verify_ok);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    json_t *out;
    gh_ctx *ctx = gh_req_ctx(r);
    if (gh_api_failed(r, gh_reauth_finish(ctx, &s->ra, s->job->verify_ok))) return;
    gh_esign_proof p = {.kind = GH_ESIGN_PASSWORD, .hash = s->ra.hash, .field = s->ra.field, .method = s->method};
    if (gh_api_failed(r, gh_esign_sign(ctx, &p, &s->req, &out))) return;
    gh_reply_json(r, 201, out);
}

static void sign_cleanup(gh_hash_job *j, void *arg)
{
    sign_state *s = arg;
    if (!s->finished) gh_reauth_abandon(&s->ra, atomic_load(&j->ran), j->verify_ok);
    sodium_memzero(s->ra.hash, sizeof s->ra.hash);
}

/* A copy of a body string in the request arena, for the deferred part. */
static const char *keep(gh_req *r, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = gh_arena_alloc(gh_req_arena(r), n);
    if (d) memcpy(d, s, n);
    return d;
}

/* The signature's fields of body b into req (copies in the request arena);
 * false when the answer (400) was sent. */
static bool read_request_or_reply(gh_req *r, json_t *b, gh_esign_req *req)
{
    *req = (gh_esign_req){.record_type = keep(r, gh_jstr(b, "record_type")),
                          .record_ref = keep(r, gh_jstr(b, "record_ref")),
                          .content_hash = keep(r, gh_jstr(b, "content_hash")),
                          .meaning = keep(r, gh_jstr(b, "meaning")),
                          .on_behalf_of = keep(r, gh_jstr(b, "on_behalf_of"))};
    return !gh_api_failed(r, gh_esign_validate(gh_req_ctx(r), req));
}

/* The credentials object checked member by member against cf (unknown
 * and mistyped ones refused, "credentials.x"), and a passkey assertion
 * (credentials.webauthn) field by field; false when the answer was sent. */
static bool check_credentials_or_reply(gh_req *r, json_t *c, const gh_jfield *cf)
{
    static const gh_jfield wf[] = {{"id", GH_J_STRING, true}, {"client_data", GH_J_STRING, true},
                                   {"authenticator_data", GH_J_STRING, true}, {"signature", GH_J_STRING, true},
                                   {"user_handle", GH_J_STRING_OR_NULL, false}, {NULL, 0, false}};
    gh_ctx *ctx = gh_req_ctx(r);
    json_t *w = json_object_get(c, "webauthn");
    if (!gh_body_check_fields(c, cf, "credentials", &ctx->err) ||
        (w && !gh_body_check_fields(w, wf, "credentials.webauthn", &ctx->err))) {
        gh_reply_ctx_err(r);
        return false;
    }
    return true;
}

/* POST /v1/signatures */
static void sign(gh_req *r)
{
    static const gh_jfield f[] = {{"record_type", GH_J_STRING, true}, {"record_ref", GH_J_STRING, true},
                                  {"content_hash", GH_J_STRING, false}, {"meaning", GH_J_STRING, true},
                                  {"on_behalf_of", GH_J_STRING, false}, {"credentials", GH_J_OBJECT, true},
                                  {NULL, 0, false}};
    static const gh_jfield cf[] = {{"password", GH_J_STRING, false}, {"otp", GH_J_STRING, false},
                                   {"webauthn", GH_J_OBJECT, false}, {"badge", GH_J_STRING, false},
                                   {"pin", GH_J_STRING, false}, {"sso_reauth", GH_J_STRING, false},
                                   {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *c = json_object_get(b, "credentials");
    gh_ctx *ctx = gh_req_ctx(r);
    sign_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    memset(s, 0, sizeof *s);
    if (!read_request_or_reply(r, b, &s->req)) return;
    if (!check_credentials_or_reply(r, c, cf)) return;
    const char *password = gh_jstr(c, "password");
    if (gh_jstr(c, "badge") || gh_jstr(c, "pin")) {
        /* Badge and PIN prove a person only at an enrolled kiosk device,
         * which signs through its own route with its credential. */
        gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "kiosk_required", "credentials",
                      "badge and PIN sign only at an enrolled kiosk device (POST /v1/kiosk/{org}/signatures)");
        gh_reply_ctx_err(r);
        return;
    }
    const char *sso = gh_jstr(c, "sso_reauth");
    if (sso && password) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "credentials",
                      "give either your password or your company sign-in (sso_reauth), not both");
        gh_reply_ctx_err(r);
        return;
    }
    if (sso && strcmp(sso, "esignature") != 0) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "credentials.sso_reauth",
                      "sso_reauth names the re-authentication's purpose, which is esignature");
        gh_reply_ctx_err(r);
        return;
    }
    if (!sso && (!password || !*password)) {
        /* Never with the session alone. */
        gh_fail_field(&ctx->err, GH_E_INVALID, "credentials_required", "credentials.password",
                      "a signature needs your password, given with it");
        gh_reply_ctx_err(r);
        return;
    }
    if (gh_api_failed(r, gh_esign_precheck(ctx))) return;
    /* The second factor: required when the person has one, and the org's
     * policy may require the person to have one. */
    json_t *mfa = NULL;
    if (gh_api_failed(r, gh_mfa_status(ctx, ctx->actor.id, &mfa))) return;
    bool has_totp = json_is_true(json_object_get(mfa, "totp"));
    bool has_passkey = json_integer_value(json_object_get(mfa, "passkeys")) > 0;
    bool required = json_is_true(json_object_get(mfa, "required"));
    json_decref(mfa);
    bool given = false;
    const char *kind = "";
    if (sso) {
        /* The IdP re-authenticated the person just now (POST
         * /v1/me/reauth/sso, purpose esignature); a second factor, when one
         * is due, is one given here or the IdP's MFA where it counts. */
        if (gh_api_failed(r, gh_mfa_reauth_factor(ctx, gh_jstr(c, "otp"), "credentials.otp", json_object_get(c, "webauthn"),
                                                  "credentials.webauthn", false, &kind)))
            return;
        given = kind[0] != '\0';
        gh_esign_proof p = {.kind = GH_ESIGN_SSO,
                            .method = !given ? "sso" : strcmp(kind, "otp") == 0 ? "sso+otp" : "sso+passkey",
                            .need_idp_mfa = (required || has_totp || has_passkey) && !given};
        json_t *out;
        if (gh_api_failed(r, gh_esign_sign(ctx, &p, &s->req, &out))) return;
        gh_reply_json(r, 201, out);
        return;
    }
    if (required && !has_totp && !has_passkey) {
        gh_fail(&ctx->err, GH_E_FORBIDDEN, "mfa_enrolment_required",
                "your organization requires a second factor: set one up under My profile, Security, then sign");
        gh_reply_ctx_err(r);
        return;
    }
    if (gh_api_failed(r, gh_mfa_reauth_factor(ctx, gh_jstr(c, "otp"), "credentials.otp", json_object_get(c, "webauthn"),
                                              "credentials.webauthn", true, &kind)))
        return;
    given = kind[0] != '\0';
    s->method = !given ? "password" : strcmp(kind, "otp") == 0 ? "password+otp" : "password+passkey";
    if (gh_api_failed(r, gh_reauth_prepare(ctx, "esignature", "credentials.password", &s->ra))) return;
    s->job = gh_api_hash_job_new(r, s->ra.hash, password, NULL);
    if (!s->job) {
        gh_reauth_abandon(&s->ra, false, false);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    s->job->cleanup = sign_cleanup;
    s->job->cleanup_arg = s;
    gh_pool_tag tag = {.keys = {s->ra.guard.acct, ctx->ip}, .priority = s->ra.guard.known};
    gh_req_defer_for(r, &tag);
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, sign_done);
}

/* ---- badge and PIN at an enrolled kiosk device ---------------------------------------------- */
typedef struct {
    gh_kiosk_login l;
    gh_hash_job *job;
    gh_esign_req req;
} kiosk_sign_state;

static void kiosk_sign_done(gh_req *r)
{
    kiosk_sign_state *s = gh_req_state(r);
    gh_ctx *ctx = gh_req_ctx(r);
    if (s->job->hash_rc != 0) {
        gh_kiosk_login_abandon(&s->l, true, s->job->verify_ok);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    json_t *out;
    if (gh_api_failed(r, gh_kiosk_prove_finish(ctx, &s->l, s->job->verify_ok))) return;
    gh_esign_proof p = {.kind = GH_ESIGN_PIN, .hash = s->l.user.pin_hash, .method = "badge+pin",
                        .device_id = s->l.device_id};
    if (gh_api_failed(r, gh_esign_sign(ctx, &p, &s->req, &out))) return;
    gh_reply_json(r, 201, out);
}

/* The request ended: releases the badge if kiosk_sign_done never ran. */
static void kiosk_sign_cleanup(gh_hash_job *j, void *arg)
{
    kiosk_sign_state *s = arg;
    gh_kiosk_login_abandon(&s->l, atomic_load(&j->ran), j->verify_ok);
    sodium_memzero(s->l.hash, sizeof s->l.hash);
}

/* POST /v1/kiosk/{org}/signatures: no session; the enrolled device's
 * credential, and the worker's badge and PIN (core/kiosk.h, same throttles
 * as PIN sign-in). */
static void kiosk_sign(gh_req *r)
{
    static const gh_jfield f[] = {{"record_type", GH_J_STRING, true}, {"record_ref", GH_J_STRING, true},
                                  {"content_hash", GH_J_STRING, false}, {"meaning", GH_J_STRING, true},
                                  {"on_behalf_of", GH_J_STRING, false}, {"device_token", GH_J_STRING, true},
                                  {"credentials", GH_J_OBJECT, true}, {NULL, 0, false}};
    static const gh_jfield cf[] = {{"badge", GH_J_STRING, false}, {"pin", GH_J_STRING, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *c = json_object_get(b, "credentials");
    gh_ctx *ctx = gh_req_ctx(r);
    kiosk_sign_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    memset(s, 0, sizeof *s);
    if (!read_request_or_reply(r, b, &s->req)) return;
    if (!check_credentials_or_reply(r, c, cf)) return;
    const char *badge = gh_jstr(c, "badge"), *pin = gh_jstr(c, "pin");
    if (!badge || !pin) {
        /* Never with the device alone. */
        gh_fail_field(&ctx->err, GH_E_INVALID, "credentials_required", badge ? "credentials.pin" : "credentials.badge",
                      "a signature at the kiosk needs the badge and the PIN, given with it");
        gh_reply_ctx_err(r);
        return;
    }
    if (gh_api_failed(r, gh_kiosk_prove_prepare(ctx, gh_req_param(r, "org"), badge, pin, gh_jstr(b, "device_token"),
                                                &s->l)))
        return;
    s->job = gh_api_hash_job_new(r, s->l.hash, pin, NULL);
    if (!s->job) {
        gh_kiosk_login_abandon(&s->l, false, false);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    s->job->pin = true;
    s->job->cleanup = kiosk_sign_cleanup;
    s->job->cleanup_arg = s;
    gh_pool_tag tag = {.keys = {s->l.throttle_worker, s->l.throttle_ip}, .priority = true, .wait = true};
    gh_req_defer_for(r, &tag);
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, kiosk_sign_done);
}

/* GET /v1/signatures?record_ref= */
static void list(gh_req *r)
{
    json_t *items;
    const char *ref = gh_req_query(r, "record_ref");
    if (gh_api_failed(r, gh_esign_list(gh_req_ctx(r), ref && *ref ? ref : NULL, &items))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void head(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_esign_head(gh_req_ctx(r), &out))) return;
    gh_reply_json(r, 200, out);
}

static void user_get(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_esign_get(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void user_put(gh_req *r)
{
    static const gh_jfield f[] = {{"enabled", GH_J_BOOL, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_esign_set(gh_req_ctx(r), gh_req_param(r, "id"),
                                      json_is_true(json_object_get(b, "enabled")), &out)))
        return;
    gh_reply_json(r, 200, out);
}

const gh_route gh_api_routes_signatures[] = {
    {"POST", "/v1/signatures", sign, GH_AUTH_USER, GH_R_OFFICE | GH_R_SECRET, NULL},
    {"GET", "/v1/signatures", list, GH_AUTH_USER, GH_R_OFFICE, NULL},
    {"POST", "/v1/kiosk/{org}/signatures", kiosk_sign, GH_AUTH_NONE, GH_R_SECRET, NULL},
    {"GET", "/v1/signatures/head", head, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/users/{id}/esignature", user_get, GH_AUTH_USER, GH_R_OR_MANAGE, "users.view"},
    {"PUT", "/v1/users/{id}/esignature", user_put, GH_AUTH_USER, 0, "users.manage"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
