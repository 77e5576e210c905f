/* /v1/auth: sign-in, sign-out, email verification and password reset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/accounts.h"
#include "core/ssosignin.h"
#include "util/log.h"
#include "util/metrics.h"

/* Sets the session and CSRF cookies. max_age < 0 clears them. Served over
 * https (a https base URL) they carry the __Host- prefix, which browsers
 * accept only with Secure, Path=/ and no Domain, so a sibling subdomain
 * cannot plant or shadow them; http/gate.c then reads only the prefixed one. */
static void set_cookies(gh_req *r, const char *token, const char *csrf, int64_t max_age)
{
    char c[256];
    bool https = gh_cfg()->secure_cookies;
    const char *secure = https ? "; Secure" : "";
    const char *prefix = https ? "__Host-" : "";
    if (max_age < 0) {
        snprintf(c, sizeof c, "%sgh_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s", prefix, secure);
        gh_reply_header(r, "Set-Cookie", c);
        return;
    }
    snprintf(c, sizeof c, "%sgh_session=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s", prefix, token,
             (long long)max_age, secure);
    gh_reply_header(r, "Set-Cookie", c);
    snprintf(c, sizeof c, "%sgh_csrf=%s; Path=/; Max-Age=%lld; SameSite=Lax%s", prefix, csrf, (long long)max_age, secure);
    gh_reply_header(r, "Set-Cookie", c);
    sodium_memzero(c, sizeof c);
}

void gh_api_session_cookies(gh_req *r, const char *token, const char *csrf, const gh_session *s)
{
    set_cookies(r, token, csrf, s->expires_at - gh_now());
}

void gh_api_session_answer(gh_req *r, const char *token, const char *csrf, const gh_session *s, json_t *user);
void gh_api_session_answer(gh_req *r, const char *token, const char *csrf, const gh_session *s, json_t *user)
{
    char exp[32];
    gh_time_fmt(s->expires_at, exp);
    set_cookies(r, token, csrf, s->expires_at - gh_now());
    /* mfa_pending: the second step is due ("verify" or "enrol"; core/mfa.h). */
    gh_reply_json(r, 200, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "token", token, "csrf_token", csrf,
                                    "expires_at", exp, "session_id", s->id, "user", user, "mfa_pending",
                                    s->mfa_pending[0] ? json_string(s->mfa_pending) : json_null()));
}

typedef struct { gh_login l; gh_hash_job *job; bool finished; } login_state;

/* gatehouse_signins_total{outcome}: "success" or the refusal's code. */
gh_metric *gh_api_metric_signins(void)
{
    return gh_metric_counter("gatehouse_signins_total", "password sign-ins by outcome (success or the error code)",
                             "outcome");
}

static gh_status count_signin(gh_ctx *ctx, gh_status st)
{
    const char *outcome = st == GH_OK ? "success" : ctx->err.code[0] ? ctx->err.code : "error";
    gh_metric_inc(gh_api_metric_signins(), (const char *[]){outcome});
    return st;
}

static void login_done(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    login_state *s = gh_req_state(r);
    s->finished = true;
    if (gh_api_failed(r, count_signin(ctx, gh_login_finish(ctx, &s->l, s->job->verify_ok)))) goto out;
    gh_api_session_answer(r, s->l.token, s->l.csrf, &s->l.session, gh_user_json(&s->l.user));
out:
    sodium_memzero(s->l.token, sizeof s->l.token);
    sodium_memzero(s->l.csrf, sizeof s->l.csrf);
}

/* The request ended without login_done (503, client gone): release the guess. */
static void login_cleanup(gh_hash_job *j, void *arg)
{
    login_state *s = arg;
    if (!s->finished) gh_login_abandon(&s->l, atomic_load(&j->ran), j->verify_ok);
    sodium_memzero(s->l.hash, sizeof s->l.hash);
}

static void login(gh_req *r)
{
    static const gh_jfield f[] = {{"org", GH_J_STRING, false}, {"email", GH_J_STRING, true},
                                  {"password", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    login_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    s->finished = false;
    gh_status st = gh_login_prepare(ctx, gh_jstr(b, "org"), gh_jstr(b, "email"), &s->l);
    if (st != GH_OK) count_signin(ctx, st); /* refused before hashing; the rest count in login_done */
    if (gh_api_failed(r, st)) return;
    /* From here the guess is reserved: every path must release it. */
    s->job = gh_api_hash_job_new(r, s->l.hash, gh_jstr(b, "password"), NULL);
    if (!s->job) {
        gh_login_abandon(&s->l, false, false);
        gh_api_failed(r, GH_E_INTERNAL);
        return;
    }
    s->job->cleanup = login_cleanup;
    s->job->cleanup_arg = s;
    /* The hashing queue's share is the account's and the address's; a known
     * address may use the reserve (http/pool.h). */
    gh_pool_tag tag = {.keys = {s->l.guard.acct, ctx->ip}, .priority = s->l.guard.known};
    gh_req_defer_for(r, &tag);
    gh_req_set_state(r, s);
    gh_req_defer(r, gh_api_hash_work, s->job, login_done);
}

static void logout(gh_req *r)
{
    char *idp = NULL; /* RP-initiated logout at the IdP (issue 16), read before the session ends */
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_sso_logout_url(gh_req_ctx(r), &idp))) return;
    if (gh_api_failed(r, gh_logout(gh_req_ctx(r)))) { free(idp); return; }
    set_cookies(r, NULL, NULL, -1);
    if (idp) gh_reply_json(r, 200, json_pack("{s:s}", "idp_logout_url", idp));
    else gh_reply_empty(r);
    free(idp);
}

/* verify-email and reset-confirm share the shape {token, password}. */
typedef gh_status (*link_apply)(gh_ctx *, const char *token, const char *hash);

typedef struct { link_apply apply; const char *token; gh_hash_job *job; } link_state;

static void link_done(gh_req *r)
{
    link_state *s = gh_req_state(r);
    if (s->job && s->job->hash_rc != 0) { gh_api_failed(r, GH_E_INTERNAL); return; }
    if (gh_api_failed(r, s->apply(gh_req_ctx(r), s->token, s->job ? s->job->new_hash : NULL))) return;
    gh_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

static void link_with_password(gh_req *r, const char *purpose, link_apply apply, bool password_required)
{
    static const gh_jfield f[] = {{"token", GH_J_STRING, true}, {"password", GH_J_STRING, false}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    const char *password = gh_jstr(b, "password");
    /* Check the link before spending a hash on it. */
    gh_link_use lu;
    if (gh_api_failed(r, gh_link_peek(ctx, gh_jstr(b, "token"), purpose, &lu))) return;
    if (!password && (password_required || !lu.has_password)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "password_required", "password", "choose a password");
        gh_reply_ctx_err(r);
        return;
    }
    if (password && gh_api_failed(r, gh_password_check_user(ctx, password, "password", &lu.user))) return;
    link_state *s = gh_arena_alloc(gh_req_arena(r), sizeof *s);
    if (!s) { gh_api_failed(r, GH_E_INTERNAL); return; }
    s->apply = apply;
    s->token = gh_arena_strdup(gh_req_arena(r), gh_jstr(b, "token"));
    gh_req_set_state(r, s);
    if (!password) { link_done(r); return; }
    s->job = gh_api_hash_job_new(r, NULL, NULL, password);
    if (!s->job || !s->token) { gh_api_failed(r, GH_E_INTERNAL); return; }
    gh_req_defer(r, gh_api_hash_work, s->job, link_done);
}

static void verify_email(gh_req *r) { link_with_password(r, "verify", gh_verify_email, false); }
static void reset_confirm(gh_req *r) { link_with_password(r, "reset", gh_password_reset_confirm, true); }

/* A password-reset request, done after the answer on the hashing pool. */
typedef struct reset_job {
    char org[128];
    char email[GH_EMAIL_MAX + 1];
    char ip[64];
    char request_id[GH_ID_MAX];
} reset_job;

static void reset_work(void *p)
{
    reset_job *j = p;
    gh_ctx ctx = {.db = gh_db_thread(), .ip = j->ip, .request_id = j->request_id, .user_agent = ""};
    if (ctx.db) gh_password_reset_request(&ctx, j->org[0] ? j->org : NULL, j->email);
    gh_err_clear(&ctx.err);
    free(j);
}

/* Runs when the answer has gone out: queues the request's work. */
static void reset_queue(void *p)
{
    reset_job *j = p;
    /* Shared per address asked about (a few may wait, the rest are
     * dropped); never per client address, which would drop real requests
     * from a busy office behind one address. */
    char key[sizeof j->email + 8];
    snprintf(key, sizeof key, "reset:%s", j->email);
    gh_pool_tag tag = {.keys = {key, NULL}};
    if (gh_pool_submit_tagged(reset_work, j, NULL, NULL, &tag) == GH_POOL_OK) return;
    gh_log(GH_LOG_WARN, j->request_id, "password reset request dropped: the queue is full", NULL);
    free(j);
}

/* Always 202 at once, whether or not the account exists: the lookup, the
 * mail and the audit are queued once the answer has gone out, so the
 * answer's timing tells nothing either. */
static void reset_request(gh_req *r)
{
    static const gh_jfield f[] = {{"org", GH_J_STRING, false}, {"email", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, f)) return;
    gh_ctx *ctx = gh_req_ctx(r);
    const char *org = gh_jstr(b, "org") ? gh_jstr(b, "org") : "";
    const char *email = gh_jstr(b, "email");
    reset_job *j = calloc(1, sizeof *j);
    /* Names too long to store belong to no account: nothing to do. */
    if (j && strlen(org) < sizeof j->org && strlen(email) < sizeof j->email) {
        gh_strlcpy(j->org, org, sizeof j->org);
        gh_strlcpy(j->email, email, sizeof j->email);
        gh_strlcpy(j->ip, ctx->ip ? ctx->ip : "", sizeof j->ip);
        gh_strlcpy(j->request_id, ctx->request_id ? ctx->request_id : "", sizeof j->request_id);
        gh_req_on_done(r, reset_queue, j);
        j = NULL;
    }
    free(j);
    gh_reply_json(r, 202, json_pack("{s:s}", "status", "if the account exists, a reset link was sent"));
}

/* Lets the console show who a link is for before the person sets a password. */
static void link_info(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    const char *purpose = gh_req_query(r, "purpose");
    const char *token = gh_req_query(r, "token");
    if (!purpose || (strcmp(purpose, "verify") != 0 && strcmp(purpose, "reset") != 0)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_purpose", "purpose", "purpose is verify or reset");
        gh_reply_ctx_err(r);
        return;
    }
    gh_link_use lu;
    if (gh_api_failed(r, gh_link_peek(ctx, token, purpose, &lu))) return;
    gh_reply_json(r, 200, json_pack("{s:s, s:s, s:b}", "email", lu.user.email, "name", lu.user.name,
                                    "has_password", lu.has_password));
}

const gh_route gh_api_routes_auth[] = {
    {"POST", "/v1/auth/login", login, GH_AUTH_NONE, GH_R_SECRET, NULL},
    {"POST", "/v1/auth/logout", logout, GH_AUTH_USER, GH_R_OFFICE | GH_R_KIOSK | GH_R_PIN_CHANGE | GH_R_DEVICE_OK | GH_R_MFA_STEP, NULL},
    {"POST", "/v1/auth/verify-email", verify_email, GH_AUTH_NONE, GH_R_SECRET, NULL},
    {"POST", "/v1/auth/password-reset", reset_request, GH_AUTH_NONE, 0, NULL},
    {"POST", "/v1/auth/password-reset/confirm", reset_confirm, GH_AUTH_NONE, GH_R_SECRET, NULL},
    {"GET", "/v1/auth/link", link_info, GH_AUTH_NONE, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
