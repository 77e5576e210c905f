/* Electronic signatures (core/esign.h): signing with one's own credentials,
 * the signatures on a record, the chain head, and users.manage turning a
 * person's e-signature on and off. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/esign.h"
#include "core/mfa.h"

typedef struct {
    gh_reauth ra;
    gh_hash_job *job;
    bool finished;
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
    if (gh_api_failed(r, gh_esign_sign(gh_req_ctx(r), &s->ra, s->job->verify_ok, &s->req, &out))) return;
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

/* POST /v1/signatures */
static void sign(gh_req *r)
{
    static const gh_jfield f[] = {{"record_type", GH_J_STRING, true}, {"record_ref", GH_J_STRING, true},
                                  {"content_hash", GH_J_STRING, false}, {"meaning", GH_J_STRING, true},
                                  {"on_behalf_of", GH_J_STRING, false}, {"credentials", GH_J_OBJECT, true},
                                  {NULL, 0, false}};
    static const gh_jfield cf[] = {{"password", GH_J_STRING, false}, {"otp", GH_J_STRING, false},
                                   {"badge", GH_J_STRING, false}, {"pin", GH_J_STRING, false},
                                   {"sso_reauth", GH_J_STRING, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *c = json_object_get(b, "credentials");
    gh_ctx *ctx = gh_req_ctx(r);
    sign_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    memset(s, 0, sizeof *s);
    s->req = (gh_esign_req){.record_type = keep(r, gh_jstr(b, "record_type")),
                            .record_ref = keep(r, gh_jstr(b, "record_ref")),
                            .content_hash = keep(r, gh_jstr(b, "content_hash")),
                            .meaning = keep(r, gh_jstr(b, "meaning")),
                            .on_behalf_of = keep(r, gh_jstr(b, "on_behalf_of"))};
    if (gh_api_failed(r, gh_esign_validate(ctx, &s->req))) return;
    /* The credentials object is checked field by field (unknown ones refused). */
    const char *key;
    json_t *v;
    json_object_foreach(c, key, v) {
        bool known = false;
        for (const gh_jfield *p = cf; p->name; p++)
            if (strcmp(p->name, key) == 0) known = true;
        if (!known || !json_is_string(v)) {
            gh_fail_field(&ctx->err, GH_E_INVALID, known ? "invalid_type" : "unknown_field", "credentials",
                          known ? "credentials hold strings" : "unknown member of credentials");
            gh_reply_ctx_err(r);
            return;
        }
    }
    const char *password = gh_jstr(c, "password"), *otp = gh_jstr(c, "otp");
    if (gh_jstr(c, "badge") || gh_jstr(c, "pin")) {
        /* Badge and PIN prove a person only at an enrolled kiosk device. */
        if (!ctx->actor.kiosk) {
            gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "kiosk_required", "credentials",
                          "badge and PIN sign only at an enrolled kiosk device");
            gh_reply_ctx_err(r);
            return;
        }
        gh_fail_field(&ctx->err, GH_E_INVALID, "unsupported_credentials", "credentials",
                      "signing with badge and PIN is not available yet; use the password");
        gh_reply_ctx_err(r);
        return;
    }
    if (gh_jstr(c, "sso_reauth")) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "unsupported_credentials", "credentials",
                      "signing with an SSO re-authentication is not available yet; use the password");
        gh_reply_ctx_err(r);
        return;
    }
    if (!password || !*password) {
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
    bool required = json_is_true(json_object_get(mfa, "required"));
    json_decref(mfa);
    if (required && !has_totp) {
        gh_fail(&ctx->err, GH_E_FORBIDDEN, "mfa_enrolment_required",
                "your organization requires a second factor: set one up under My profile, Security, then sign");
        gh_reply_ctx_err(r);
        return;
    }
    if (gh_api_failed(r, gh_mfa_reauth_check(ctx, otp, "credentials.otp"))) return;
    s->req.with_otp = has_totp;
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
    {"GET", "/v1/signatures/head", head, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/users/{id}/esignature", user_get, GH_AUTH_USER, GH_R_OR_MANAGE, "users.view"},
    {"PUT", "/v1/users/{id}/esignature", user_put, GH_AUTH_USER, 0, "users.manage"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
