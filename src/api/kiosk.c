/* Kiosk: PIN sign-in, PIN change, temporary PINs for staff members, and
 * enrolled kiosk devices. PIN hashing runs on the hashing pool. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/accounts.h"
#include "core/kiosk.h"

/* ---- temporary PINs (users.manage) ------------------------------------------------- */
typedef struct { gh_pin_issue pi; gh_hash_job *job; } pin_issue_state;

static void pin_issue_done(gh_req *r)
{
    pin_issue_state *s = gh_req_state(r);
    gh_ctx *ctx = gh_req_ctx(r);
    if (s->job->hash_rc != 0) { gh_api_failed(r, GH_E_INTERNAL); goto out; }
    if (gh_api_failed(r, gh_kiosk_pin_issue_finish(ctx, &s->pi, s->job->new_hash))) goto out;
    /* The PIN is shown this once; only its hash is kept. */
    gh_reply_json(r, 200, json_pack("{s:s, s:b, s:s, s:s, s:o}", "pin", s->pi.pin, "temporary", 1, "kiosk_url",
                                    s->pi.kiosk_url, "personal_kiosk_url", s->pi.personal_url, "user",
                                    gh_user_json(&s->pi.user)));
out:
    sodium_memzero(s->pi.pin, sizeof s->pi.pin);
}

static void set_pin(gh_req *r)
{
    static const gh_jfield f[] = {{NULL, 0, false}};
    if (!gh_json_check_or_reply(r, gh_req_json(r), f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    pin_issue_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    if (gh_api_failed(r, gh_kiosk_pin_issue_prepare(ctx, gh_req_param(r, "id"), &s->pi))) return;
    s->job = gh_api_hash_job_new(r, NULL, NULL, s->pi.pin);
    if (!s->job) { sodium_memzero(s->pi.pin, sizeof s->pi.pin); gh_api_failed(r, GH_E_INTERNAL); return; }
    s->job->pin = true;
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, pin_issue_done);
}

static void revoke_pin(gh_req *r)
{
    gh_user u;
    if (gh_api_failed(r, gh_kiosk_pin_revoke(gh_req_ctx(r), gh_req_param(r, "id"), &u))) return;
    gh_reply_empty(r);
}

/* ---- kiosk sign-in -------------------------------------------------------------------- */
typedef struct { gh_kiosk_login l; gh_hash_job *job; } kiosk_login_state;

static void login_done(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    kiosk_login_state *s = gh_req_state(r);
    gh_kiosk_login *l = &s->l;
    if (gh_api_failed(r, gh_kiosk_login_finish(ctx, l, s->job->verify_ok,
                                                  s->job->upgraded ? s->job->new_hash : NULL))) goto out;
    char exp[32];
    gh_time_fmt(l->session.expires_at, exp);
    gh_reply_json(r, 200, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:o, s:o, s:o}", "token", l->token, "csrf_token",
                                    l->csrf, "expires_at", exp, "session_id", l->session.id, "kind", "kiosk",
                                    "idle_timeout_s", (json_int_t)l->session.idle_s, "pin_change_required",
                                    l->session.pin_change_required, "device_id",
                                    l->device_id[0] ? json_string(l->device_id) : json_null(), "device_language",
                                    l->device_language[0] ? json_string(l->device_language) : json_null(), "user",
                                    gh_user_json(&l->user)));
out:
    sodium_memzero(l->token, sizeof l->token);
    sodium_memzero(l->csrf, sizeof l->csrf);
}

/* The request ended: release the badge if login_done never ran (503,
 * client gone); a no-op otherwise. */
static void login_cleanup(gh_hash_job *j, void *arg)
{
    kiosk_login_state *s = arg;
    gh_kiosk_login_abandon(&s->l, atomic_load(&j->ran), j->verify_ok);
    sodium_memzero(s->l.hash, sizeof s->l.hash);
}

static void kiosk_login(gh_req *r)
{
    static const gh_jfield f[] = {{"badge", GH_J_STRING, true}, {"pin", GH_J_STRING, true},
                                  {"device_token", GH_J_STRING, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    kiosk_login_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    if (gh_api_failed(r, gh_kiosk_login_prepare(ctx, gh_req_param(r, "org"), gh_jstr(b, "badge"), gh_jstr(b, "pin"),
                                                gh_jstr(b, "device_token"), &s->l)))
        return;
    s->job = gh_api_hash_job_new(r, s->l.hash, gh_jstr(b, "pin"), NULL);
    if (!s->job) {
        gh_kiosk_login_abandon(&s->l, false, false);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    s->job->pin = true;
    s->job->upgrade = true; /* a PIN hashed before the pepper gets it now */
    s->job->cleanup = login_cleanup;
    s->job->cleanup_arg = s;
    /* Shared by badge and by enrolled device (or address): never by the
     * address alone when a device is known, since one kiosk serves a shift. */
    gh_pool_tag tag = {.keys = {s->l.throttle_worker, s->l.throttle_ip}, .priority = s->l.device_id[0] != '\0', .wait = true};
    gh_req_defer_for(r, &tag);
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, login_done);
}

/* ---- PIN change (kiosk session) ---------------------------------------------------------- */
typedef struct { gh_pin_change pc; gh_hash_job *job; } pin_change_state;

static void pin_change_cleanup(gh_hash_job *j, void *arg)
{
    pin_change_state *s = arg;
    gh_kiosk_pin_change_abandon(&s->pc, atomic_load(&j->ran), j->verify_ok);
    sodium_memzero(s->pc.hash, sizeof s->pc.hash);
}

static void pin_change_done(gh_req *r)
{
    pin_change_state *s = gh_req_state(r);
    if (s->job->hash_rc != 0) { gh_api_failed(r, GH_E_INTERNAL); return; }
    if (gh_api_failed(r, gh_kiosk_pin_change_finish(gh_req_ctx(r), &s->pc, s->job->verify_ok, s->job->new_hash))) return;
    gh_reply_json(r, 200, json_pack("{s:b, s:b}", "ok", 1, "pin_change_required", 0));
}

static void change_pin(gh_req *r)
{
    static const gh_jfield f[] = {{"current_pin", GH_J_STRING, true}, {"new_pin", GH_J_STRING, true},
                                  {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    pin_change_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    if (gh_api_failed(r, gh_kiosk_pin_change_prepare(ctx, gh_jstr(b, "current_pin"), gh_jstr(b, "new_pin"), &s->pc)))
        return;
    s->job = gh_api_hash_job_new(r, s->pc.hash, gh_jstr(b, "current_pin"), gh_jstr(b, "new_pin"));
    if (!s->job) {
        gh_kiosk_pin_change_abandon(&s->pc, false, false);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    s->job->pin = true;
    s->job->cleanup = pin_change_cleanup;
    s->job->cleanup_arg = s;
    gh_pool_tag tag = {.keys = {s->pc.throttle_worker, NULL}};
    gh_req_defer_for(r, &tag);
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, pin_change_done);
}

/* ---- kiosk devices (it.operations) -------------------------------------------------------- */
static void list_devices(gh_req *r)
{
    json_t *items;
    if (gh_api_failed(r, gh_kiosk_device_list(gh_req_ctx(r), &items))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void enrol_device(gh_req *r)
{
    static const gh_jfield f[] = {{"name", GH_J_STRING, true}, {"language", GH_J_STRING_OR_NULL, false},
                                  {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_kiosk_device_enrol(gh_req_ctx(r), gh_jstr(b, "name"), gh_jstr(b, "language"), &out)))
        return;
    gh_reply_json(r, 201, out);
}

static void patch_device(gh_req *r)
{
    static const gh_jfield f[] = {{"language", GH_J_STRING_OR_NULL, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    json_t *out;
    if (gh_api_failed(r, gh_kiosk_device_set_language(gh_req_ctx(r), gh_req_param(r, "id"), gh_jstr(b, "language"),
                                                      &out)))
        return;
    gh_reply_json(r, 200, out);
}

static void revoke_device(gh_req *r)
{
    if (gh_api_failed(r, gh_kiosk_device_revoke(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

const gh_route gh_api_routes_kiosk[] = {
    {"POST", "/v1/kiosk/pin", change_pin, GH_AUTH_USER, GH_R_KIOSK | GH_R_PIN_CHANGE | GH_R_SECRET, NULL},
    {"POST", "/v1/kiosk/{org}/login", kiosk_login, GH_AUTH_NONE, GH_R_SECRET, NULL},
    {"POST", "/v1/users/{id}/pin", set_pin, GH_AUTH_USER, 0, "users.manage"},
    {"DELETE", "/v1/users/{id}/pin", revoke_pin, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/kiosk-devices", list_devices, GH_AUTH_USER, 0, "it.operations"},
    {"POST", "/v1/kiosk-devices", enrol_device, GH_AUTH_USER, 0, "it.operations"},
    {"PATCH", "/v1/kiosk-devices/{id}", patch_device, GH_AUTH_USER, 0, "it.operations"},
    {"DELETE", "/v1/kiosk-devices/{id}", revoke_device, GH_AUTH_USER, 0, "it.operations"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
