/* /v1/users: user administration (users.view to read, users.manage to change). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/delivery.h"
#include "core/access.h"
#include "core/accounts.h"
#include "core/groups.h"

static void list_users(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    gh_user_filter f = {0};
    if (!gh_api_limit_or_reply(r, 200, &f.limit)) return;
    f.status = gh_req_query(r, "status");
    f.role = gh_req_query(r, "role");
    f.q = gh_req_query(r, "q");
    f.after_name = gh_req_query(r, "cursor");
    const char *access = gh_req_query(r, "access");
    if (!gh_api_q_or_reply(r, f.q)) return;
    if (f.status && strcmp(f.status, "active") != 0 && strcmp(f.status, "locked") != 0) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_filter", "status", "status is active or locked");
        gh_reply_ctx_err(r);
        return;
    }
    if (access) {
        if (strcmp(access, "office") == 0) f.access = 1;
        else if (strcmp(access, "factory") == 0) f.access = 2;
        else {
            gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_filter", "access", "access is office or factory");
            gh_reply_ctx_err(r);
            return;
        }
    }
    json_t *items;
    char *next = NULL;
    if (gh_api_failed(r, gh_user_list(ctx, &f, &items, &next))) return;
    /* Whether the verification mail of each unconfirmed user went out. */
    gh_delivery_annotate(ctx, items, "verify_email", "email", "email_verified");
    gh_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next ? json_string(next) : json_null()));
    free(next);
}

static bool modules_ok(gh_req *r, json_t *b, const char *field)
{
    json_t *m = json_object_get(b, field);
    if (!m || json_is_null(m) || json_is_array(m)) return true;
    gh_ctx *ctx = gh_req_ctx(r);
    gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_type", field, "'%s' must be an array or null", field);
    gh_reply_ctx_err(r);
    return false;
}

/* An account's dates (expires_at, lock_at, unlock_at): an RFC 3339 time,
 * or null to clear. A malformed one is noted in *all. */
static void sched_field(gh_ctx *ctx, const json_t *b, const char *key, bool *set, int64_t *at, gh_err *all)
{
    json_t *v = json_object_get(b, key);
    *set = v != NULL;
    *at = 0;
    if (!v || json_is_null(v)) return;
    if (!json_is_string(v) || !gh_time_parse(json_string_value(v), at) || *at <= 0) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", key,
                      "Give a date and time such as 2026-12-31T18:00:00Z, or null to clear it.");
        gh_err_merge(all, &ctx->err);
        *set = false;
    }
}

/* Fills p's dates from b; false (answered) if one is malformed. */
static bool sched_fields(gh_req *r, const json_t *b, gh_user_patch *p)
{
    gh_ctx *ctx = gh_req_ctx(r);
    gh_err all = {0};
    sched_field(ctx, b, "expires_at", &p->expires_at_set, &p->expires_at, &all);
    sched_field(ctx, b, "lock_at", &p->lock_at_set, &p->lock_at, &all);
    sched_field(ctx, b, "unlock_at", &p->unlock_at_set, &p->unlock_at, &all);
    if (all.status == GH_OK) return true;
    gh_reply_err(r, &all);
    gh_err_clear(&all);
    return false;
}

static void create_user(gh_req *r)
{
    static const gh_jfield f[] = {
        {"email", GH_J_STRING, false}, {"name", GH_J_STRING, true}, {"role", GH_J_STRING, true},
        {"mobile", GH_J_STRING, false}, {"modules", GH_J_ANY, false}, {"grants", GH_J_ARRAY, false},
        {"badge", GH_J_STRING, false}, {"office_access", GH_J_BOOL, false}, {"factory_access", GH_J_BOOL, false},
        {"expires_at", GH_J_STRING_OR_NULL, false}, {"language", GH_J_STRING_OR_NULL, false},
        {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f) || !modules_ok(r, b, "modules")) return;
    gh_user_patch dates = {0};
    if (!sched_fields(r, b, &dates)) return;
    /* Office access is the default when an email is given (002: factory
     * workers may have none). */
    gh_user_new n = {
        .email = gh_jstr(b, "email"), .name = gh_jstr(b, "name"), .role = gh_jstr(b, "role"),
        .mobile = gh_jstr(b, "mobile"), .office_access = gh_jbool(b, "office_access", gh_jhas(b, "email")),
        .badge = gh_jstr(b, "badge"), .factory_access = gh_jbool(b, "factory_access", false),
        .modules = json_object_get(b, "modules"), .grants = json_object_get(b, "grants"),
        .expires_at = dates.expires_at,
        .language = gh_jstr(b, "language"),
    };
    gh_user u;
    if (gh_api_failed(r, gh_user_create(gh_req_ctx(r), &n, &u))) return;
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/users/%s", u.id);
    gh_reply_header(r, "Location", loc);
    gh_reply_json(r, 201, gh_user_json(&u));
}

static void get_user(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    gh_user u;
    if (gh_api_failed(r, gh_user_get(ctx, gh_req_param(r, "id"), &u))) return;
    json_t *groups = gh_groups_of_user(ctx, u.id);
    if (!groups) { gh_api_failed(r, GH_E_INTERNAL); return; }
    json_t *o = gh_user_json(&u);
    json_object_set_new(o, "groups", groups);
    gh_reply_json(r, 200, o);
}

/* Changing one's own e-mail proves the current password first, on the
 * hashing pool and through the sign-in throttle (core/reauth.h), like
 * changing one's password. */
typedef struct { gh_user_patch p; gh_reauth ra; gh_hash_job *job; bool finished; } patch_state;

static void patch_reply(gh_req *r, const gh_user_patch *p)
{
    gh_user u;
    if (gh_api_failed(r, gh_user_update(gh_req_ctx(r), gh_req_param(r, "id"), p, &u))) return;
    gh_reply_json(r, 200, gh_user_json(&u));
}

static void patch_reauth_done(gh_req *r)
{
    patch_state *s = gh_req_state(r);
    s->finished = true;
    if (gh_api_failed(r, gh_reauth_finish(gh_req_ctx(r), &s->ra, s->job->verify_ok))) return;
    s->p.reauth_hash = s->ra.hash;
    patch_reply(r, &s->p);
}

static void patch_reauth_cleanup(gh_hash_job *j, void *arg)
{
    patch_state *s = arg;
    if (!s->finished) gh_reauth_abandon(&s->ra, atomic_load(&j->ran), j->verify_ok);
    sodium_memzero(s->ra.hash, sizeof s->ra.hash);
}

static void patch_user(gh_req *r)
{
    static const gh_jfield f[] = {
        {"email", GH_J_STRING, false}, {"role", GH_J_STRING, false}, {"name", GH_J_STRING, false},
        {"mobile", GH_J_STRING, false}, {"modules", GH_J_ANY, false}, {"grants", GH_J_ARRAY, false},
        {"language", GH_J_STRING_OR_NULL, false},
        {"office_access", GH_J_BOOL, false}, {"checkin_exempt", GH_J_BOOL, false},
        {"badge", GH_J_STRING_OR_NULL, false}, {"factory_access", GH_J_BOOL, false},
        {"current_password", GH_J_STRING, false}, {"expires_at", GH_J_STRING_OR_NULL, false},
        {"lock_at", GH_J_STRING_OR_NULL, false}, {"unlock_at", GH_J_STRING_OR_NULL, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f) || !modules_ok(r, b, "modules")) return;
    gh_user_patch p = {
        .email = gh_jstr(b, "email"), .role = gh_jstr(b, "role"), .name = gh_jstr(b, "name"),
        .mobile = gh_jstr(b, "mobile"), .modules = json_object_get(b, "modules"),
        .language_set = gh_jhas(b, "language"), .language = gh_jstr(b, "language"),
        .modules_set = gh_jhas(b, "modules"), .grants = json_object_get(b, "grants"),
        .office_access_set = gh_jhas(b, "office_access"), .office_access = gh_jbool(b, "office_access", false),
        .checkin_exempt_set = gh_jhas(b, "checkin_exempt"), .checkin_exempt = gh_jbool(b, "checkin_exempt", false),
        .badge_set = gh_jhas(b, "badge"), .badge = gh_jstr(b, "badge"),
        .factory_access_set = gh_jhas(b, "factory_access"), .factory_access = gh_jbool(b, "factory_access", false),
    };
    if (!sched_fields(r, b, &p)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    const char *current = gh_jstr(b, "current_password");
    gh_user u;
    /* The core decides again on the row; this only picks the path. Without
     * a current password the core answers current_password_required. */
    if (!current || !p.email || ctx->actor.type != GH_ACTOR_USER || strcmp(ctx->actor.id, gh_req_param(r, "id")) != 0 ||
        gh_user_get(ctx, ctx->actor.id, &u) != GH_OK || !gh_user_patch_needs_reauth(ctx, &u, &p)) {
        gh_err_clear(&ctx->err);
        patch_reply(r, &p);
        return;
    }
    patch_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    memset(s, 0, sizeof *s);
    s->p = p;
    if (gh_api_failed(r, gh_reauth_prepare(ctx, "email_change", "current_password", &s->ra))) return;
    s->job = gh_api_hash_job_new(r, s->ra.hash, current, NULL);
    if (!s->job) {
        gh_reauth_abandon(&s->ra, false, false);
        sodium_memzero(s->ra.hash, sizeof s->ra.hash);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    s->job->cleanup = patch_reauth_cleanup;
    s->job->cleanup_arg = s;
    gh_pool_tag tag = {.keys = {s->ra.guard.acct, ctx->ip}, .priority = s->ra.guard.known};
    gh_req_defer_for(r, &tag);
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, patch_reauth_done);
}

static void delete_user(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_user_delete(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_empty(r);
}

static void lock_common(gh_req *r, bool lock)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    gh_user u;
    if (gh_api_failed(r, gh_user_lock(gh_req_ctx(r), gh_req_param(r, "id"), lock, &u))) return;
    gh_reply_json(r, 200, gh_user_json(&u));
}
static void lock_user(gh_req *r) { lock_common(r, true); }
static void unlock_user(gh_req *r) { lock_common(r, false); }

/* Bulk actions on many people: each item goes through the same core call
 * (and so the same guard, audit and invariants) as the one-user route, in
 * its own transaction; the answer has one result per id, in order. */
#define BULK_MAX 200

static void bulk_users(gh_req *r)
{
    static const gh_jfield f[] = {{"action", GH_J_STRING, true}, {"ids", GH_J_ARRAY, true},
                                  {"role", GH_J_STRING, false}, {"expires_at", GH_J_STRING_OR_NULL, false},
                                  {"lock_at", GH_J_STRING_OR_NULL, false}, {"unlock_at", GH_J_STRING_OR_NULL, false},
                                  {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    const char *action = gh_jstr(b, "action"), *role = gh_jstr(b, "role");
    json_t *ids = json_object_get(b, "ids");
    gh_err all = {0};
    bool is_lock = strcmp(action, "lock") == 0, is_unlock = strcmp(action, "unlock") == 0,
         is_delete = strcmp(action, "delete") == 0, is_role = strcmp(action, "set_role") == 0,
         is_schedule = strcmp(action, "schedule") == 0;
    if (!is_lock && !is_unlock && !is_delete && !is_role && !is_schedule) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_action", "action",
                      "action is lock, unlock, set_role, schedule or delete");
        gh_err_merge(&all, &ctx->err);
    }
    /* schedule: the dates given (expires_at, lock_at, unlock_at) for each. */
    gh_user_patch sched = {0};
    sched_field(ctx, b, "expires_at", &sched.expires_at_set, &sched.expires_at, &all);
    sched_field(ctx, b, "lock_at", &sched.lock_at_set, &sched.lock_at, &all);
    sched_field(ctx, b, "unlock_at", &sched.unlock_at_set, &sched.unlock_at, &all);
    bool any_date = gh_jhas(b, "expires_at") || gh_jhas(b, "lock_at") || gh_jhas(b, "unlock_at");
    if (is_schedule && !any_date) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "expires_at",
                      "Give at least one of expires_at, lock_at and unlock_at to schedule.");
        gh_err_merge(&all, &ctx->err);
    } else if (!is_schedule && any_date) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_field", "expires_at",
                      "expires_at, lock_at and unlock_at are only for action schedule");
        gh_err_merge(&all, &ctx->err);
    }
    if (is_role && (!role || !*role)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "role", "'role' is required to change the role");
        gh_err_merge(&all, &ctx->err);
    } else if (!is_role && role) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_field", "role", "'role' is only for action set_role");
        gh_err_merge(&all, &ctx->err);
    }
    size_t n = json_array_size(ids);
    if (n == 0 || n > BULK_MAX) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_ids", "ids", "ids lists 1 to %d user ids", BULK_MAX);
        gh_err_merge(&all, &ctx->err);
    }
    for (size_t i = 0; i < n && i < BULK_MAX; i++) {
        json_t *v = json_array_get(ids, i);
        bool dup = false;
        for (size_t j = 0; j < i && json_is_string(v); j++)
            if (json_equal(v, json_array_get(ids, j))) dup = true;
        if (!json_is_string(v) || dup) {
            gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_ids", "ids", "ids must be distinct user ids (item %zu)", i + 1);
            gh_err_merge(&all, &ctx->err);
            break;
        }
    }
    if (all.status != GH_OK) {
        gh_reply_err(r, &all);
        gh_err_clear(&all);
        return;
    }
    json_t *results = json_array();
    if (!results) { gh_api_failed(r, GH_E_INTERNAL); return; }
    int done = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        gh_user u;
        gh_status st;
        gh_err_clear(&ctx->err);
        if (is_delete) st = gh_user_delete(ctx, id);
        else if (is_role) {
            gh_user_patch p = {.role = role};
            st = gh_user_update(ctx, id, &p, &u);
        } else if (is_schedule) st = gh_user_update(ctx, id, &sched, &u);
        else st = gh_user_lock(ctx, id, is_lock, &u);
        json_t *item;
        if (st == GH_OK) {
            done++;
            item = json_pack("{s:s, s:b}", "id", id, "ok", 1);
            if (item && !is_delete) json_object_set_new(item, "user", gh_user_json(&u));
        } else {
            failed++;
            if (ctx->err.status == GH_OK) gh_fail(&ctx->err, st, "internal", "internal error");
            char d[sizeof ctx->err.detail + 2];
            gh_err_sentence(ctx->err.detail, d, sizeof d);
            item = json_pack("{s:s, s:b, s:s, s:s}", "id", id, "ok", 0, "code", ctx->err.code, "detail", d);
        }
        if (!item || json_array_append_new(results, item) != 0) {
            json_decref(results);
            gh_err_clear(&ctx->err);
            gh_api_failed(r, GH_E_INTERNAL);
            return;
        }
    }
    gh_err_clear(&ctx->err);
    gh_reply_json(r, 200, json_pack("{s:s, s:i, s:i, s:o}", "action", action, "done", done, "failed", failed,
                                    "results", results));
}

static void reset_user(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_user_send_reset(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_json(r, 202, json_pack("{s:s}", "status", "a password reset link was mailed to the user"));
}

static void resend_verification(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_user_resend_verification(gh_req_ctx(r), gh_req_param(r, "id")))) return;
    gh_reply_json(r, 202, json_pack("{s:s}", "status", "a new verification link was queued for the user"));
}

static void revoke_user(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    int64_t n = 0;
    if (gh_api_failed(r, gh_user_revoke_sessions(gh_req_ctx(r), gh_req_param(r, "id"), &n))) return;
    gh_reply_json(r, 200, json_pack("{s:I}", "sessions_revoked", (json_int_t)n));
}

static void user_sessions(gh_req *r)
{
    json_t *items;
    if (gh_api_failed(r, gh_user_sessions(gh_req_ctx(r), gh_req_param(r, "id"), &items))) return;
    gh_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void end_user_session(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_user_end_session(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_param(r, "sid")))) return;
    gh_reply_empty(r);
}

static void user_permissions(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    gh_user u;
    if (gh_api_failed(r, gh_user_get(ctx, gh_req_param(r, "id"), &u))) return;
    const char *explain = gh_req_query(r, "explain");
    bool ex = explain && (strcmp(explain, "1") == 0 || strcmp(explain, "true") == 0);
    json_t *o = ex ? gh_access_explain(ctx->actor.org_id, u.id) : gh_access_summary(ctx->actor.org_id, u.id);
    if (!o) { gh_fail(&ctx->err, GH_E_NOT_FOUND, "user_not_found", "no such user"); gh_reply_ctx_err(r); return; }
    gh_reply_json(r, 200, o);
}

const gh_route gh_api_routes_users[] = {
    {"GET", "/v1/users", list_users, GH_AUTH_ANY, GH_R_OR_MANAGE, "users.view"},
    {"POST", "/v1/users", create_user, GH_AUTH_USER, 0, "users.manage"},
    {"POST", "/v1/users/bulk", bulk_users, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/users/{id}", get_user, GH_AUTH_ANY, GH_R_OR_MANAGE, "users.view"},
    {"PATCH", "/v1/users/{id}", patch_user, GH_AUTH_USER, GH_R_SECRET, "users.manage"},
    {"DELETE", "/v1/users/{id}", delete_user, GH_AUTH_USER, 0, "users.manage"},
    {"POST", "/v1/users/{id}/lock", lock_user, GH_AUTH_USER, 0, "users.manage"},
    {"POST", "/v1/users/{id}/unlock", unlock_user, GH_AUTH_USER, 0, "users.manage"},
    {"POST", "/v1/users/{id}/password-reset", reset_user, GH_AUTH_USER, 0, "users.manage"},
    {"POST", "/v1/users/{id}/resend-verification", resend_verification, GH_AUTH_USER, 0, "users.manage"},
    {"POST", "/v1/users/{id}/revoke-sessions", revoke_user, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/users/{id}/sessions", user_sessions, GH_AUTH_USER, 0, "users.manage"},
    {"DELETE", "/v1/users/{id}/sessions/{sid}", end_user_session, GH_AUTH_USER, 0, "users.manage"},
    {"GET", "/v1/users/{id}/permissions", user_permissions, GH_AUTH_ANY, GH_R_OR_MANAGE, "users.view"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
