/* /v1/org/sso: the organization's company sign-in (issue 16). */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/accounts.h"
#include "core/oidc.h"
#include "core/saml.h"
#include "core/sso.h"
#include "util/json.h"

static void get_sso(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_sso_get(gh_req_ctx(r), &out))) return;
    gh_reply_json(r, 200, out);
}

/* The body of PUT /v1/org/sso, type-checked: every unknown, mistyped and
 * missing field (of it and of jit) into err. The API and `gatehouse sso set`
 * both check with it before gh_sso_put. */
bool gh_api_sso_body_check(json_t *b, gh_err *err)
{
    static const gh_jfield f[] = {
        {"protocol", GH_J_STRING, true}, {"display_name", GH_J_STRING, true},
        {"issuer", GH_J_STRING, false}, {"client_id", GH_J_STRING, false},
        {"client_secret", GH_J_STRING, false}, {"scopes", GH_J_ARRAY, false},
        {"email_claim", GH_J_STRING_OR_NULL, false}, {"groups_claim", GH_J_STRING_OR_NULL, false},
        {"idp_metadata_xml", GH_J_STRING, false}, {"idp_metadata_url", GH_J_STRING, false},
        {"jit", GH_J_OBJECT, false}, {"role_map", GH_J_OBJECT, false},
        {"required", GH_J_BOOL, false}, {"break_glass", GH_J_ARRAY, false}, {"domains", GH_J_ARRAY, false},
        {NULL, 0, false}};
    static const gh_jfield jit[] = {{"enabled", GH_J_BOOL, true}, {"default_role", GH_J_STRING_OR_NULL, false},
                                    {"domains", GH_J_ARRAY, false}, {NULL, 0, false}};
    if (!gh_body_check_fields(b, f, NULL, err)) return false;
    json_t *j = json_object_get(b, "jit");
    return !j || gh_body_check_fields(j, jit, "jit", err);
}

static void put_sso(gh_req *r)
{
    json_t *b = gh_req_json(r);
    json_t *out = NULL;
    gh_err e = {0};
    if (!gh_api_sso_body_check(b, &e)) {
        gh_reply_err(r, &e);
        gh_err_clear(&e);
        goto out;
    }
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

/* ---- OIDC sign-in: /v1/auth/sso/start and /v1/auth/sso/oidc/callback ---- */
static bool browser_failure(gh_req *r, const char *org_slug);
void gh_api_session_answer(gh_req *r, const char *token, const char *csrf, const gh_session *s, json_t *user);
#define STATE_COOKIE "gh_sso_state"

static void set_state_cookie(gh_req *r, const char *state)
{
    char c[200];
    bool https = gh_cfg()->secure_cookies;
    if (state)
        snprintf(c, sizeof c, STATE_COOKIE "=%s; Path=/v1/auth/sso; Max-Age=%d; HttpOnly; SameSite=Lax%s", state,
                 GH_OIDC_STATE_TTL_S, https ? "; Secure" : "");
    else
        snprintf(c, sizeof c, STATE_COOKIE "=; Path=/v1/auth/sso; Max-Age=0; HttpOnly; SameSite=Lax%s",
                 https ? "; Secure" : "");
    gh_reply_header(r, "Set-Cookie", c);
    sodium_memzero(c, sizeof c);
}

/* The value of cookie `name` from the Cookie header, into out ("" if none). */
static void cookie_value(gh_req *r, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    const char *h = gh_req_header(r, "Cookie");
    size_t n = strlen(name);
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';') p++;
        size_t l = strcspn(p, ";");
        if (l > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t vl = l - n - 1;
            if (vl < cap) { memcpy(out, p + n + 1, vl); out[vl] = '\0'; }
            return;
        }
        p += l;
    }
}

static void redirect_to(gh_req *r, const char *location)
{
    gh_reply_bytes(r, 302, "text/plain", "redirecting\n", 12, false);
    gh_reply_header(r, "Location", location);
    gh_reply_header(r, "Cache-Control", "no-store");
}

static void start_done(gh_req *r)
{
    char *location = NULL, state[GH_TOKEN_LEN + 1];
    if (gh_api_failed(r, gh_oidc_start_finish(gh_req_ctx(r), gh_req_state(r), &location, state))) return;
    /* A browser's navigation is redirected; a script (Accept: application/json)
     * gets the URL to go to, with the same cookie. */
    const char *accept = gh_req_header(r, "Accept");
    if (accept && strstr(accept, "application/json") && !strstr(accept, "text/html"))
        gh_reply_json(r, 200, json_pack("{s:s}", "authorization_url", location));
    else
        redirect_to(r, location);
    set_state_cookie(r, state);
    sodium_memzero(state, sizeof state);
    free(location);
}

static void reauth_started(gh_req *r)
{
    char *location = NULL, state[GH_TOKEN_LEN + 1];
    if (gh_api_failed(r, gh_oidc_start_finish(gh_req_ctx(r), gh_req_state(r), &location, state))) return;
    gh_reply_json(r, 200, json_pack("{s:s}", "authorization_url", location));
    set_state_cookie(r, state);
    sodium_memzero(state, sizeof state);
    free(location);
}

/* ---- SAML: start, metadata, ACS ---- */
static void saml_start_done(gh_req *r)
{
    char *location = NULL;
    if (gh_api_failed(r, gh_saml_start_finish(gh_req_ctx(r), gh_req_state(r), &location))) return;
    const char *accept = gh_req_header(r, "Accept");
    if (accept && strstr(accept, "application/json") && !strstr(accept, "text/html"))
        gh_reply_json(r, 200, json_pack("{s:s}", "authorization_url", location));
    else
        redirect_to(r, location);
    free(location);
}

static void saml_reauth_started(gh_req *r)
{
    char *location = NULL;
    if (gh_api_failed(r, gh_saml_start_finish(gh_req_ctx(r), gh_req_state(r), &location))) return;
    gh_reply_json(r, 200, json_pack("{s:s}", "authorization_url", location));
    free(location);
}

static void saml_start_org(gh_req *r, const char *org, const char *why, gh_handler done)
{
    gh_saml_flow *f;
    if (gh_api_failed(r, gh_saml_start_prepare(gh_req_ctx(r), org, why, &f))) return;
    gh_req_set_state(r, f);
    gh_req_on_done(r, gh_saml_flow_free, f);
    gh_req_defer_idp(r, gh_saml_start_run, f, done);
}

static void saml_metadata(gh_req *r)
{
    char *xml = NULL;
    if (gh_api_failed(r, gh_saml_metadata(gh_req_ctx(r), gh_req_param(r, "org"), &xml))) return;
    gh_reply_bytes(r, 200, "application/samlmetadata+xml", xml, strlen(xml), true);
    free(xml);
}

/* The value of field `name` of an application/x-www-form-urlencoded body
 * (malloc'd, decoded), or NULL. */
static char *form_value(const char *body, size_t len, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && body[e] != '&') e++;
        if (e - i > n && memcmp(body + i, name, n) == 0 && body[i + n] == '=') {
            size_t vl = e - i - n - 1;
            char *raw = malloc(vl + 1);
            if (!raw) return NULL;
            for (size_t k = 0; k < vl; k++) raw[k] = body[i + n + 1 + k] == '+' ? ' ' : body[i + n + 1 + k];
            raw[vl] = '\0';
            int outlen = 0;
            char *dec = curl_easy_unescape(NULL, raw, (int)vl, &outlen);
            free(raw);
            if (!dec) return NULL;
            char *v = NULL;
            if ((size_t)outlen == strlen(dec)) v = strdup(dec);
            curl_free(dec);
            return v;
        }
        i = e + 1;
    }
    return NULL;
}

/* The answer to a finished SSO sign-in (OIDC callback or SAML ACS): the
 * same cookies and answer as a password sign-in, a browser (Accept:
 * text/html) sent on to the console; a re-authentication says so. */
static void signed_in(gh_req *r, const gh_oidc_signin *in)
{
    const char *accept = gh_req_header(r, "Accept");
    bool html = accept && strstr(accept, "text/html");
    if (in->reauth) {
        if (html) redirect_to(r, "/console/?reauthenticated=1");
        else gh_reply_json(r, 200, json_pack("{s:b, s:s}", "reauthenticated", 1, "purpose", in->purpose));
    } else if (html) {
        redirect_to(r, "/console/");
        gh_api_session_cookies(r, in->token, in->csrf, &in->session);
    } else {
        gh_api_session_answer(r, in->token, in->csrf, &in->session, gh_user_json(&in->user));
    }
}

static void saml_acs_done(gh_req *r)
{
    gh_oidc_signin *in = calloc(1, sizeof *in);
    if (!in) { gh_api_failed(r, gh_ctx_oom(gh_req_ctx(r))); return; }
    gh_status st = gh_saml_acs_finish(gh_req_ctx(r), gh_req_state(r), in);
    if (st != GH_OK && browser_failure(r, gh_saml_flow_org_slug(gh_req_state(r)))) {
        /* answered */
    } else if (!gh_api_failed(r, st)) {
        signed_in(r, in);
    }
    sodium_memzero(in, sizeof *in);
    free(in);
}

static void saml_acs(gh_req *r)
{
    size_t len = 0;
    const char *body = gh_req_body(r, &len);
    char *resp = body ? form_value(body, len, "SAMLResponse") : NULL;
    char *relay = body ? form_value(body, len, "RelayState") : NULL;
    gh_saml_flow *f = NULL;
    gh_status st = gh_saml_acs_prepare(gh_req_ctx(r), gh_req_param(r, "org"), resp, relay, &f);
    free(resp);
    free(relay);
    if (st != GH_OK) {
        if (!browser_failure(r, gh_req_param(r, "org"))) gh_api_failed(r, st);
        return;
    }
    gh_req_set_state(r, f);
    gh_req_on_done(r, gh_saml_flow_free, f);
    gh_req_defer_idp(r, gh_saml_acs_run, f, saml_acs_done);
}

/* ?org=SLUG, or ?email= (the org that declared the address's domain). */
static void sso_start(gh_req *r)
{
    const char *org = gh_req_query(r, "org"), *email = gh_req_query(r, "email");
    char slug[GH_SSO_SLUG_MAX];
    if (email && org) {
        gh_api_failed(r, gh_fail_field(&gh_req_ctx(r)->err, GH_E_INVALID, "invalid_query", "email",
                                       "Give either org or email, not both"));
        return;
    }
    if (email) {
        if (gh_api_failed(r, gh_sso_org_for_email(gh_req_ctx(r), email, slug))) return;
        org = slug;
    }
    if (gh_saml_org_uses_saml(gh_req_ctx(r), org)) {
        saml_start_org(r, org, NULL, saml_start_done);
        return;
    }
    gh_oidc_flow *f;
    if (gh_api_failed(r, gh_oidc_start_prepare(gh_req_ctx(r), org, &f))) return;
    gh_req_set_state(r, f);
    gh_req_on_done(r, gh_oidc_flow_free, f);
    gh_req_defer_idp(r, gh_oidc_start_run, f, start_done);
}

static void sso_discover(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_sso_discover(gh_req_ctx(r), gh_req_query(r, "org"), gh_req_query(r, "email"), &out))) return;
    gh_reply_json(r, 200, out);
}

/* A browser whose sign-in failed goes back to the sign-in page, which
 * explains the reason (the audit trail has the details). */
static bool browser_failure(gh_req *r, const char *org_slug)
{
    const char *accept = gh_req_header(r, "Accept");
    gh_ctx *ctx = gh_req_ctx(r);
    if (!accept || !strstr(accept, "text/html") || !json_is_string(json_object_get(ctx->err.extra, "reason"))) return false;
    char *reason = curl_easy_escape(NULL, json_string_value(json_object_get(ctx->err.extra, "reason")), 0);
    char loc[300];
    snprintf(loc, sizeof loc, "/console/sign-in?sso_error=%s%s%s", reason ? reason : "failed", org_slug ? "&org=" : "",
             org_slug ? org_slug : "");
    curl_free(reason);
    gh_err_clear(&ctx->err);
    redirect_to(r, loc);
    return true;
}


static void callback_done(gh_req *r)
{
    gh_oidc_signin *in = calloc(1, sizeof *in);
    if (!in) { gh_api_failed(r, gh_ctx_oom(gh_req_ctx(r))); return; }
    set_state_cookie(r, NULL);
    gh_status st = gh_oidc_callback_finish(gh_req_ctx(r), gh_req_state(r), in);
    if (st != GH_OK && browser_failure(r, gh_oidc_flow_org_slug(gh_req_state(r)))) {
        /* answered */
    } else if (!gh_api_failed(r, st)) {
        signed_in(r, in);
    }
    sodium_memzero(in, sizeof *in);
    free(in);
}

static void sso_callback(gh_req *r)
{
    char cookie[GH_TOKEN_LEN + 2];
    cookie_value(r, STATE_COOKIE, cookie, sizeof cookie);
    const char *err = gh_req_query(r, "error"), *desc = gh_req_query(r, "error_description");
    char idp_error[300];
    if (err) snprintf(idp_error, sizeof idp_error, "%s%s%s", err, desc ? " - " : "", desc ? desc : "");
    gh_oidc_flow *f;
    gh_status st = gh_oidc_callback_prepare(gh_req_ctx(r), gh_req_query(r, "state"), cookie, gh_req_query(r, "code"),
                                            gh_req_query(r, "iss"), err ? idp_error : NULL, &f);
    sodium_memzero(cookie, sizeof cookie);
    if (st != GH_OK) {
        if (!browser_failure(r, NULL)) gh_api_failed(r, st);
        set_state_cookie(r, NULL);
        return;
    }
    gh_req_set_state(r, f);
    gh_req_on_done(r, gh_oidc_flow_free, f);
    gh_req_defer_idp(r, gh_oidc_callback_run, f, callback_done);
}

/* POST /v1/me/reauth/sso {purpose}: the URL where the acting person signs
 * in again at the IdP (prompt=login, max_age=0), with the state cookie. */
static void reauth_sso(gh_req *r)
{
    static const gh_jfield fl[] = {{"purpose", GH_J_STRING, true}, {NULL, 0, false}};
    json_t *b = gh_req_json(r);
    if (!gh_json_check_or_reply(r, b, fl)) return;
    if (gh_saml_org_id_uses_saml(gh_req_ctx(r), gh_req_ctx(r)->actor.org_id)) {
        if (gh_api_failed(r, gh_oidc_reauth_check_purpose(gh_req_ctx(r), gh_jstr(b, "purpose")))) return;
        saml_start_org(r, NULL, gh_jstr(b, "purpose"), saml_reauth_started); /* the actor's org */
        return;
    }
    gh_oidc_flow *f;
    if (gh_api_failed(r, gh_oidc_reauth_prepare(gh_req_ctx(r), gh_jstr(b, "purpose"), &f))) return;
    gh_req_set_state(r, f);
    gh_req_on_done(r, gh_oidc_flow_free, f);
    gh_req_defer_idp(r, gh_oidc_start_run, f, reauth_started);
}

/* GET /v1/users/{id}/sign-in-methods, DELETE /v1/users/{id}/identities/{identity} */
static void signin_methods(gh_req *r)
{
    json_t *out;
    if (gh_api_failed(r, gh_sso_signin_methods(gh_req_ctx(r), gh_req_param(r, "id"), &out))) return;
    gh_reply_json(r, 200, out);
}

static void unlink_identity(gh_req *r)
{
    if (!gh_api_no_fields_or_reply(r)) return;
    if (gh_api_failed(r, gh_sso_identity_unlink(gh_req_ctx(r), gh_req_param(r, "id"), gh_req_param(r, "identity"))))
        return;
    gh_reply_empty(r);
}

const gh_route gh_api_routes_sso[] = {
    {"GET", "/v1/org/sso", get_sso, GH_AUTH_USER, 0, "it.operations"},
    {"PUT", "/v1/org/sso", put_sso, GH_AUTH_USER, 0, "it.operations"},
    {"DELETE", "/v1/org/sso", delete_sso, GH_AUTH_USER, 0, "it.operations"},
    {"POST", "/v1/org/sso/test", test_sso, GH_AUTH_USER, 0, "it.operations"},
    {"GET", "/v1/auth/sso/discover", sso_discover, GH_AUTH_NONE, 0, NULL},
    {"GET", "/v1/users/{id}/sign-in-methods", signin_methods, GH_AUTH_USER, GH_R_OR_MANAGE, "users.view"},
    {"DELETE", "/v1/users/{id}/identities/{identity}", unlink_identity, GH_AUTH_USER, 0, "users.manage"},
    {"POST", "/v1/me/reauth/sso", reauth_sso, GH_AUTH_USER, GH_R_OFFICE, NULL},
    {"GET", "/v1/auth/sso/start", sso_start, GH_AUTH_NONE, 0, NULL},
    {"GET", "/v1/auth/sso/oidc/callback", sso_callback, GH_AUTH_NONE, 0, NULL},
    {"GET", "/v1/auth/sso/{org}/saml/metadata", saml_metadata, GH_AUTH_NONE, 0, NULL},
    {"POST", "/v1/auth/sso/{org}/saml/acs", saml_acs, GH_AUTH_NONE, GH_R_RAW_BODY, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
