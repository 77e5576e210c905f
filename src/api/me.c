/* /v1/me: one's own profile, password and sessions. */
#include <string.h>

#include "api/api.h"
#include "core/access.h"
#include "core/accounts.h"
#include "core/groups.h"
#include "core/mfa.h"

static json_t *me_json(gh_ctx *ctx, const gh_user *u)
{
    json_t *o = gh_user_json(u);
    json_t *summary = gh_access_summary(ctx->actor.org_id, u->id);
    if (o && summary) json_object_set_new(o, "access", summary);
    else json_decref(summary);
    gh_org org;
    if (gh_org_of_actor(ctx, &org) == GH_OK)
        json_object_set_new(o, "org", json_pack("{s:s, s:s, s:s}", "id", org.id, "slug", org.slug, "name", org.name));
    gh_err_clear(&ctx->err);
    json_t *groups = gh_groups_of_user(ctx, u->id);
    json_object_set_new(o, "groups", groups ? groups : json_array());
    gh_err_clear(&ctx->err);
    json_object_set_new(o, "session", json_pack("{s:s, s:b, s:b, s:o}", "id", ctx->actor.session_id,
                                                "kiosk", ctx->actor.kiosk, "pin_change_required",
                                                ctx->actor.pin_change_required, "mfa_pending",
                                                ctx->actor.mfa_pending[0] ? json_string(ctx->actor.mfa_pending)
                                                                          : json_null()));
    return o;
}

static void get_me(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    gh_user u;
    if (gh_api_failed(r, gh_user_get(ctx, ctx->actor.id, &u))) return;
    gh_reply_json(r, 200, me_json(ctx, &u));
}

static void patch_me(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, false}, {"mobile", GH_J_STRING, false},
                                  {"language", GH_J_STRING_OR_NULL, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    gh_user u;
    if (gh_api_failed(r, gh_me_update_profile(ctx, gh_jstr(b, "name"), gh_jstr(b, "mobile"), gh_jhas(b, "language"),
                                              gh_jstr(b, "language"), &u)))
        return;
    gh_reply_json(r, 200, me_json(ctx, &u));
}

typedef struct { gh_reauth ra; gh_hash_job *job; bool finished; } password_state;

static void password_done(gh_req *r)
{
    password_state *s = gh_req_state(r);
    s->finished = true;
    if (s->job->hash_rc != 0) {
        gh_reauth_abandon(&s->ra, true, s->job->verify_ok);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    if (gh_api_failed(r, gh_me_set_password(gh_req_ctx(r), &s->ra, s->job->verify_ok, s->job->new_hash))) return;
    gh_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static void password_cleanup(gh_hash_job *j, void *arg)
{
    password_state *s = arg;
    if (!s->finished) gh_reauth_abandon(&s->ra, atomic_load(&j->ran), j->verify_ok);
    sodium_memzero(s->ra.hash, sizeof s->ra.hash);
}

/* Changing one's password re-authenticates with the current one: the same
 * throttle as sign-in (core/reauth.h), so a stolen session cannot guess it
 * at hashing speed. */
static void change_password(gh_req *r)
{
    static const gh_jfield f[] = {{"current_password", GH_J_STRING, true}, {"new_password", GH_J_STRING, true},
                                  {"otp", GH_J_STRING, false}, {"webauthn", GH_J_OBJECT, false}, {NULL, 0, false}};
    static const gh_jfield wf[] = {{"id", GH_J_STRING, true}, {"client_data", GH_J_STRING, true},
                                   {"authenticator_data", GH_J_STRING, true}, {"signature", GH_J_STRING, true},
                                   {"user_handle", GH_J_STRING_OR_NULL, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *w = json_object_get(b, "webauthn");
    if (w && !gh_body_check_fields(w, wf, "webauthn", &gh_req_ctx(r)->err)) {
        gh_reply_ctx_err(r);
        return;
    }
    gh_ctx *ctx = gh_req_ctx(r);
    gh_user u;
    if (gh_api_failed(r, gh_user_get(ctx, ctx->actor.id, &u))) return;
    if (gh_api_failed(r, gh_password_check_user(ctx, gh_jstr(b, "new_password"), "new_password", &u))) return;
    /* Who has a second factor re-authenticates with it too: a code or a
     * passkey assertion (core/mfa.h). */
    const char *kind;
    if (gh_api_failed(r, gh_mfa_reauth_factor(ctx, gh_jstr(b, "otp"), "otp", w, "webauthn", true, &kind))) return;
    password_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    s->finished = false;
    if (gh_api_failed(r, gh_reauth_prepare(ctx, "password_change", "current_password", &s->ra))) return;
    s->job = gh_api_hash_job_new(r, s->ra.hash, gh_jstr(b, "current_password"), gh_jstr(b, "new_password"));
    if (!s->job) {
        gh_reauth_abandon(&s->ra, false, false);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    s->job->cleanup = password_cleanup;
    s->job->cleanup_arg = s;
    gh_pool_tag tag = {.keys = {s->ra.guard.acct, ctx->ip}, .priority = s->ra.guard.known};
    gh_req_defer_for(r, &tag);
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, password_done);
}

static void sessions(gh_req *r)
{
    json_t *items;
    if (gh_api_failed(r, gh_me_sessions(gh_req_ctx(r), &items))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void end_session(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    const char *id = gh_req_param(r, "id");
    if (gh_api_failed(r, gh_me_end_session(ctx, id))) return;
    gh_reply_empty(r);
}

static void my_permissions(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    json_t *s = gh_access_summary(ctx->actor.org_id, ctx->actor.id);
    if (!s) { gh_fail(&ctx->err, GH_E_NOT_FOUND, "user_not_found", "no such user"); gh_reply_ctx_err(r); return; }
    gh_reply_json(r, 200, s);
}

const gh_route gh_api_routes_me[] = {
    {"GET", "/v1/me", get_me, GH_AUTH_USER, GH_R_OFFICE | GH_R_KIOSK | GH_R_PIN_CHANGE | GH_R_MFA_STEP, NULL},
    {"PATCH", "/v1/me", patch_me, GH_AUTH_USER, GH_R_OFFICE, NULL},
    {"POST", "/v1/me/password", change_password, GH_AUTH_USER, GH_R_OFFICE | GH_R_SECRET, NULL},
    {"GET", "/v1/me/sessions", sessions, GH_AUTH_USER, GH_R_OFFICE | GH_R_DEVICE_OK, NULL},
    {"DELETE", "/v1/me/sessions/{id}", end_session, GH_AUTH_USER, GH_R_OFFICE | GH_R_DEVICE_OK, NULL},
    {"GET", "/v1/me/permissions", my_permissions, GH_AUTH_USER, GH_R_OFFICE | GH_R_KIOSK, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
