/*
 * The gate: everything decided on the request line and headers alone,
 * before any body byte is read: the route, the declared size,
 * authentication (session cookie or bearer, API key, CSRF), the route's
 * permission and kiosk/MFA/PIN states, unknown query parameters, and a share
 * of the budget for bodies nobody has authenticated.
 */
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "core/access.h"
#include "core/apikeys.h"
#include "core/session.h"
#include "http/server_int.h"

static _Atomic size_t unauth_bytes;      /* reserved from UNAUTH_BODY_BUDGET */

static bool unsafe_method(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* Finds the session token (bearer or cookie) or API key and authenticates. */
static bool authenticate_or_reply(gh_req *r, const gh_route *rt)
{
    gh_ctx *ctx = &r->ctx;
    /* Public routes act for nobody: a session cookie the browser sends along
     * (say, to sign in as someone else) is neither used nor CSRF-checked. */
    if (rt->auth == GH_AUTH_NONE) return true;
    const char *authz = gh_req_header(r, "Authorization");
    const char *token = NULL;
    bool from_cookie = false;
    if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
        token = authz + 7;
    } else if (!authz) {
        /* Over https only the __Host- cookie counts (api/auth.c set_cookies). */
        token = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
                                            gh_cfg()->secure_cookies ? "__Host-gh_session" : "gh_session");
        from_cookie = token != NULL;
    }
    if (!token || !*token) {
        gh_reply_fail(r, GH_E_UNAUTHENTICATED, "unauthenticated", "sign in first");
        return false;
    }
    gh_status st;
    char csrf_hash[GH_HASH_HEX_LEN + 1] = "";
    /* An API key is the prefix and a token; a session token is a bare token,
     * which may itself start with "ghk_" (1 in 16.7 million): the length
     * tells them apart. */
    if (!from_cookie && strncmp(token, GH_APIKEY_PREFIX, strlen(GH_APIKEY_PREFIX)) == 0 &&
        strlen(token) != GH_TOKEN_LEN) {
        st = gh_apikey_authenticate(ctx, token);
    } else {
        st = gh_session_authenticate(ctx, token, csrf_hash);
    }
    if (st != GH_OK) {
        gh_reply_ctx_err(r);
        return false;
    }
    ctx->actor.cookie_auth = from_cookie;
    if (from_cookie && unsafe_method(r->method)) {
        const char *hdr = gh_req_header(r, "X-CSRF-Token");
        char h[GH_HASH_HEX_LEN + 1];
        if (!hdr) { gh_reply_fail(r, GH_E_FORBIDDEN, "csrf_failed", "missing X-CSRF-Token header"); return false; }
        gh_token_hash(hdr, h);
        if (!gh_secret_eq(h, csrf_hash)) {
            gh_reply_fail(r, GH_E_FORBIDDEN, "csrf_failed", "X-CSRF-Token does not match the session");
            return false;
        }
    }
    return true;
}

const char *gh_route_perm_alt(const gh_route *rt)
{
    static const struct { const char *view, *manage; } pairs[] = {{"users.view", "users.manage"}};
    if (!rt->perm || !(rt->flags & GH_R_OR_MANAGE)) return NULL;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (strcmp(rt->perm, pairs[i].view) == 0) return pairs[i].manage;
    return NULL;
}

static bool authorize_or_reply(gh_req *r, const gh_route *rt)
{
    gh_ctx *ctx = &r->ctx;
    gh_actor *a = &ctx->actor;
    if (rt->auth == GH_AUTH_NONE) return true;
    /* Checked here against the snapshot, and again from the rows when the
     * handler's write takes the write lock (gh_tx_begin, core/guard.h). */
    ctx->required_perm = rt->perm;
    ctx->required_alt = gh_route_perm_alt(rt);
    if (a->type == GH_ACTOR_API_KEY) {
        if (!(rt->auth & GH_AUTH_KEY)) {
            gh_reply_fail(r, GH_E_FORBIDDEN, "user_session_required", "this endpoint needs a user session, not an API key");
            return false;
        }
        /* A key acts for its organization's integration, within its scopes. */
        const char *need = gh_route_key_scope(rt);
        if (!gh_access_key_holds(a, need)) {
            gh_err e = {0};
            gh_fail(&e, GH_E_FORBIDDEN, "scope_missing", "this API key lacks the '%s' scope",
                    need ? need : "(none)");
            if (need) gh_err_extra(&e, "scope", json_string(need));
            gh_reply_err(r, &e);
            gh_err_clear(&e);
            return false;
        }
        return true;
    }
    if (a->type != GH_ACTOR_USER || !(rt->auth & GH_AUTH_USER)) {
        gh_reply_fail(r, GH_E_FORBIDDEN, "api_key_required", "this endpoint needs an API key");
        return false;
    }
    unsigned fl = rt->flags;
    if (a->kiosk && !(fl & GH_R_KIOSK)) {
        gh_reply_fail(r, GH_E_FORBIDDEN, "kiosk_scope", "a kiosk session cannot do this");
        return false;
    }
    if (!a->kiosk && (fl & GH_R_KIOSK) && !(fl & GH_R_OFFICE)) {
        gh_reply_fail(r, GH_E_FORBIDDEN, "kiosk_only", "this needs a kiosk session");
        return false;
    }
    if (a->mfa_pending[0] && !(fl & GH_R_MFA_STEP)) {
        gh_reply_fail(r, GH_E_PRECONDITION, "mfa_required",
                   strcmp(a->mfa_pending, "enrol") == 0 ? "set up a second factor first" : "give your second factor first");
        return false;
    }
    if (a->pin_change_required && !(fl & GH_R_PIN_CHANGE)) {
        gh_reply_fail(r, GH_E_PRECONDITION, "pin_change_required", "set a new PIN first");
        return false;
    }
    if (unsafe_method(r->method) && !(fl & GH_R_DEVICE_OK) && gh_access_is_device(ctx)) {
        gh_reply_fail(r, GH_E_FORBIDDEN, "device_read_only", "a shared display account can only read");
        return false;
    }
    const char *alt = gh_route_perm_alt(rt);
    if (rt->perm && !gh_access_allowed(ctx, rt->perm) && !(alt && gh_access_allowed(ctx, alt))) {
        gh_err e = {0};
        if (alt)
            gh_fail(&e, GH_E_FORBIDDEN, "permission_denied", "this needs the '%s' or the '%s' permission", rt->perm, alt);
        else
            gh_fail(&e, GH_E_FORBIDDEN, "permission_denied", "this needs the '%s' permission", rt->perm);
        gh_err_extra(&e, "permission", json_string(rt->perm));
        gh_reply_err(r, &e);
        gh_err_clear(&e);
        return false;
    }
    return true;
}

typedef struct { const gh_route *rt; const char *unknown; } query_scan;

static enum MHD_Result scan_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    query_scan *q = cls;
    if (!gh_route_takes_query(q->rt, key ? key : "")) {
        q->unknown = key ? key : "";
        return MHD_NO;
    }
    return MHD_YES;
}

/* Unknown query parameters are refused the same way on every route (issue
 * 11), from the one table in router.c, before the handler runs. */
static bool query_known_or_reply(gh_req *r, const gh_route *rt)
{
    query_scan q = {rt, NULL};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_query, &q);
    if (!q.unknown) return true;
    const char *takes = gh_route_query_params(rt);
    gh_err e = {0};
    char name[64];
    gh_strlcpy(name, q.unknown, sizeof name);
    if (takes && *takes)
        gh_fail_field(&e, GH_E_INVALID, "unknown_parameter", name, "unknown query parameter '%s'; this takes: %s",
                      name, takes);
    else
        gh_fail_field(&e, GH_E_INVALID, "unknown_parameter", name, "unknown query parameter '%s'; this takes none",
                      name);
    gh_reply_err(r, &e);
    gh_err_clear(&e);
    return false;
}

/* Refused when spent: the request is refused, nothing is buffered. */
bool gh_unauth_reserve(gh_req *r, size_t n)
{
    size_t cur = atomic_load(&unauth_bytes);
    do {
        if (n > UNAUTH_BODY_BUDGET - cur) return false;
    } while (!atomic_compare_exchange_weak(&unauth_bytes, &cur, cur + n));
    r->reserved += n;
    return true;
}

void gh_reply_budget_spent(gh_req *r)
{
    gh_err e = {.retry_after = 1};
    gh_fail(&e, GH_E_BUSY, "server_busy", "too many unauthenticated uploads in progress; retry shortly");
    gh_reply_err(r, &e);
}

/* Everything decided on the request line and headers, before any body byte
 * is read: the route, the declared size, authentication, permission, and a
 * share of the unauthenticated body budget. Answers and returns false to
 * refuse. */
bool gh_admit_or_reply(gh_req *r, uint64_t declared)
{
    const gh_route *rt = r->match.route;
    if (!rt) {
        if (r->match.path_known) {
            gh_reply_header(r, "Allow", r->match.allow);
            gh_reply_fail(r, GH_E_METHOD, "method_not_allowed", "method not allowed on this resource");
        } else {
            gh_reply_fail(r, GH_E_NOT_FOUND, "not_found", "no such resource");
        }
        return false;
    }
    if (r->too_large) {
        gh_reply_fail(r, GH_E_TOO_LARGE, "body_too_large", "the request body is too large");
        return false;
    }
    r->ctx.db = gh_db_thread();
    if (!r->ctx.db && !(rt->flags & GH_R_NO_DB)) {
        gh_reply_fail(r, GH_E_BUSY, "database_unavailable", "the database is unavailable");
        return false;
    }
    if (!authenticate_or_reply(r, rt) || !authorize_or_reply(r, rt) || !query_known_or_reply(r, rt)) return false;
    if (rt->auth == GH_AUTH_NONE && declared > 0 && !gh_unauth_reserve(r, (size_t)declared)) {
        gh_reply_budget_spent(r);
        return false;
    }
    r->authed = true;
    return true;
}

void gh_unauth_release(size_t n)
{
    if (n) atomic_fetch_sub(&unauth_bytes, n);
}
