/* OpenID Connect sign-in: see oidc.h. */
/* Over 600 lines: one protocol flow (start, callback, token exchange,
 * ID token checks) over one state struct. */
#include "core/oidc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/guard.h"
#include "core/mfa.h"
#include "core/idphttp.h"
#include "core/idtoken.h"
#include "core/secretbox.h"
#include "core/session.h"
#include "core/sso.h"
#include "util/json.h"
#include "util/log.h"

struct gh_oidc_flow {
    gh_org org;
    json_t *cfg;                 /* the stored settings */
    char issuer[GH_SSO_URL_MAX + 1];
    char client_id[256];
    char secret[1025];           /* wiped in gh_oidc_flow_free */
    char state[GH_TOKEN_LEN + 1];
    char verifier[GH_TOKEN_LEN + 1];
    char nonce[GH_TOKEN_LEN + 1];
    char *authz_ep, *token_ep, *jwks_uri;
    char *code;
    int64_t requested_at;
    char state_hash[GH_HASH_HEX_LEN + 1];
    char purpose[64];            /* login | reauth:<why> */
    char user_id[GH_ID_MAX];     /* reauth: who must prove themselves */
    bool reauth;
    char kind[8];                /* oidc | saml: the identities it links */
    bool ok;
    char reason[48];
    char error[512];
    json_t *claims;
};

void gh_oidc_flow_free(void *flow)
{
    gh_oidc_flow *f = flow;
    if (!f) return;
    json_decref(f->cfg);
    json_decref(f->claims);
    free(f->authz_ep);
    free(f->token_ep);
    free(f->jwks_uri);
    if (f->code) { sodium_memzero(f->code, strlen(f->code)); free(f->code); }
    sodium_memzero(f, sizeof *f);
    free(f);
}

const char *gh_oidc_flow_org_slug(const gh_oidc_flow *f) { return f ? f->org.slug : ""; }

__attribute__((format(printf, 3, 4)))
static void flow_fail(gh_oidc_flow *f, const char *reason, const char *fmt, ...)
{
    if (!f->ok) return; /* keep the first */
    f->ok = false;
    gh_strlcpy(f->reason, reason, sizeof f->reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->error, sizeof f->error, fmt, ap);
    va_end(ap);
}

/* nonce = base64url(BLAKE2b-256(key: verifier, "gatehouse oidc nonce")):
 * only whoever holds the (sealed) verifier can compute it. */
static void derive_nonce(const char *verifier, char out[GH_TOKEN_LEN + 1])
{
    unsigned char h[32];
    static const char label[] = "gatehouse oidc nonce";
    crypto_generichash(h, sizeof h, (const unsigned char *)label, sizeof label - 1, (const unsigned char *)verifier,
                       strlen(verifier));
    sodium_bin2base64(out, GH_TOKEN_LEN + 1, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void state_context(const char *state_hash, char *out, size_t cap)
{
    snprintf(out, cap, "sso_state:%s:verifier", state_hash);
}

/* Loads the org's OIDC configuration into f (and the client secret when
 * with_secret). */
static gh_status load_config(gh_ctx *ctx, gh_oidc_flow *f, bool with_secret)
{
    gh_sso_row *row = calloc(1, sizeof *row);
    gh_status st;
    if (!row) return gh_ctx_oom(ctx);
    if ((st = gh_store_sso_get(ctx->db, f->org.id, row, &ctx->err)) != GH_OK) goto out;
    if (strcmp(row->protocol, "oidc") != 0) {
        st = gh_fail(&ctx->err, GH_E_INVALID, "sso_protocol_unsupported",
                     "this organization signs in with SAML, which is not available yet");
        goto out;
    }
    f->cfg = json_loads(row->config, 0, NULL);
    if (!f->cfg) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "the stored configuration is damaged"); goto out; }
    gh_strlcpy(f->issuer, json_string_value(json_object_get(f->cfg, "issuer")), sizeof f->issuer);
    gh_strlcpy(f->client_id, json_string_value(json_object_get(f->cfg, "client_id")), sizeof f->client_id);
    if (with_secret) {
        char sctx[GH_ID_MAX + 40];
        size_t n;
        snprintf(sctx, sizeof sctx, "org_sso:%s:client_secret", f->org.id);
        st = gh_secretbox_open(sctx, row->client_secret, f->secret, sizeof f->secret, &n, &ctx->err);
        if (st != GH_OK) goto out;
    }
    st = GH_OK;
out:
    gh_sso_row_release(row);
    free(row);
    return st;
}

/* Stores a new state for f (org and config loaded) and fills its secrets. */
static gh_status new_state(gh_ctx *ctx, gh_oidc_flow *f)
{
    gh_sso_state *s = calloc(1, sizeof *s);
    gh_status st;
    if (!s) return gh_ctx_oom(ctx);
    gh_token_new(f->state);
    gh_token_new(f->verifier);
    derive_nonce(f->verifier, f->nonce);
    f->requested_at = gh_now();
    gh_token_hash(f->state, s->state_hash);
    gh_strlcpy(s->org_id, f->org.id, sizeof s->org_id);
    gh_strlcpy(s->purpose, f->purpose, sizeof s->purpose);
    gh_strlcpy(s->user_id, f->user_id, sizeof s->user_id);
    s->created_at = f->requested_at;
    s->expires_at = f->requested_at + GH_OIDC_STATE_TTL_S;
    char sctx[GH_HASH_HEX_LEN + 40];
    state_context(s->state_hash, sctx, sizeof sctx);
    if ((st = gh_secretbox_seal(sctx, f->verifier, strlen(f->verifier), s->verifier, sizeof s->verifier, &ctx->err)) != GH_OK)
        goto out;
    if ((st = gh_db_begin(ctx->db, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_store_sso_state_purge(ctx->db, f->requested_at, &ctx->err)) != GH_OK ||
        (st = gh_store_sso_state_insert(ctx->db, s, &ctx->err)) != GH_OK) {
        gh_ctx_rollback(ctx, st);
        goto out;
    }
    st = gh_db_commit(ctx->db, &ctx->err);
out:
    sodium_memzero(s, sizeof *s);
    free(s);
    return st;
}

gh_status gh_oidc_start_prepare(gh_ctx *ctx, const char *org_slug, gh_oidc_flow **out)
{
    gh_oidc_flow *f = calloc(1, sizeof *f);
    gh_status st;
    *out = NULL;
    if (!f) return gh_ctx_oom(ctx);
    if (!org_slug || !*org_slug) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "org", "name the organization (?org=slug)");
        goto out;
    }
    st = gh_store_org_get_by_slug(ctx->db, org_slug, &f->org, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        st = gh_fail(&ctx->err, GH_E_NOT_FOUND, "sso_not_configured", "this organization has no company sign-in");
    }
    if (st != GH_OK) goto out;
    if ((st = load_config(ctx, f, false)) != GH_OK) goto out;
    gh_strlcpy(f->purpose, "login", sizeof f->purpose);
    if ((st = new_state(ctx, f)) != GH_OK) goto out;
    *out = f;
    f = NULL;
out:
    gh_oidc_flow_free(f);
    return st;
}

gh_status gh_oidc_reauth_check_purpose(gh_ctx *ctx, const char *why)
{
    size_t n = why ? strlen(why) : 0;
    bool ok = n > 0 && n <= 40;
    for (size_t i = 0; ok && i < n; i++) ok = (why[i] >= 'a' && why[i] <= 'z') || why[i] == '_' || why[i] == '.';
    if (!ok)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_purpose", "purpose",
                             "purpose is 1 to 40 lowercase letters, '_' or '.' (e.g. e_signature)");
    return GH_OK;
}

gh_status gh_oidc_reauth_prepare(gh_ctx *ctx, const char *why, gh_oidc_flow **out)
{
    gh_oidc_flow *f = calloc(1, sizeof *f);
    gh_status st;
    *out = NULL;
    if (!f) return gh_ctx_oom(ctx);
    if ((st = gh_oidc_reauth_check_purpose(ctx, why)) != GH_OK) goto out;
    if (ctx->actor.type != GH_ACTOR_USER) {
        st = gh_fail(&ctx->err, GH_E_FORBIDDEN, "user_session_required", "only a person can re-authenticate");
        goto out;
    }
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &f->org, &ctx->err)) != GH_OK) goto out;
    if ((st = load_config(ctx, f, false)) != GH_OK) goto out;
    snprintf(f->purpose, sizeof f->purpose, "reauth:%s", why);
    gh_strlcpy(f->user_id, ctx->actor.id, sizeof f->user_id);
    f->reauth = true;
    if ((st = new_state(ctx, f)) != GH_OK) goto out;
    *out = f;
    f = NULL;
out:
    gh_oidc_flow_free(f);
    return st;
}

gh_status gh_oidc_reauth_consume(gh_ctx *ctx, const char *why, int64_t max_age_s, bool *mfa)
{
    char purpose[64];
    bool found = false;
    snprintf(purpose, sizeof purpose, "reauth:%s", why ? why : "");
    gh_status st = gh_store_sso_reauth_consume(ctx->db, ctx->actor.org_id, ctx->actor.id, purpose, gh_now() - max_age_s,
                                               &found, mfa, &ctx->err);
    if (st != GH_OK) return st;
    if (!found)
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "reauth_required",
                       "sign in again with your company account first (it proves it is you, just now)");
    return GH_OK;
}

/* ---- discovery and JWKS, cached per issuer ---------------------------------------- */
#define CACHE_SLOTS 16
#define DISCOVERY_TTL_S 3600
typedef struct cache_slot {
    char issuer[GH_SSO_URL_MAX + 1];
    char *authz_ep, *token_ep, *jwks_uri, *jwks;
    int64_t fetched_at;
} cache_slot;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cache_slot cache[CACHE_SLOTS];

static char *dup(const char *s) { return s ? strdup(s) : NULL; }

static bool fetch_json(gh_oidc_flow *f, const char *url, json_t **doc, char **text)
{
    char *body = NULL, err[512];
    size_t len = 0;
    long status = 0;
    *doc = NULL;
    if (text) *text = NULL;
    if (!gh_idphttp_get(url, "application/json", GH_IDPHTTP_BODY_MAX, &body, &len, &status, err, sizeof err)) {
        flow_fail(f, "idp_unreachable", "%s", err);
        return false;
    }
    json_error_t je;
    if (status == 200) *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        free(body);
        flow_fail(f, "idp_unreachable", "%s answered HTTP %ld without a JSON object", url, status);
        return false;
    }
    if (text) *text = body;
    else free(body);
    return true;
}

/* Fills f's endpoints from the cache or the IdP. */
static bool discover(gh_oidc_flow *f)
{
    int64_t now = gh_now();
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        cache_slot *c = &cache[i];
        if (strcmp(c->issuer, f->issuer) == 0 && now - c->fetched_at < DISCOVERY_TTL_S && c->authz_ep) {
            f->authz_ep = dup(c->authz_ep);
            f->token_ep = dup(c->token_ep);
            f->jwks_uri = dup(c->jwks_uri);
        }
    }
    pthread_mutex_unlock(&cache_mu);
    if (f->authz_ep && f->token_ep && f->jwks_uri) return true;
    char url[GH_SSO_URL_MAX + 64];
    size_t n = strlen(f->issuer);
    while (n > 0 && f->issuer[n - 1] == '/') n--;
    snprintf(url, sizeof url, "%.*s/.well-known/openid-configuration", (int)n, f->issuer);
    json_t *d;
    if (!fetch_json(f, url, &d, NULL)) return false;
    const char *iss = json_string_value(json_object_get(d, "issuer"));
    const char *a = json_string_value(json_object_get(d, "authorization_endpoint"));
    const char *t = json_string_value(json_object_get(d, "token_endpoint"));
    const char *j = json_string_value(json_object_get(d, "jwks_uri"));
    char why[200];
    bool ok = false;
    if (!iss || strcmp(iss, f->issuer) != 0)
        flow_fail(f, "issuer_mismatch", "the IdP names itself %s, not the configured issuer %s", iss ? iss : "nothing", f->issuer);
    else if (!a || !t || !j || !gh_sso_url_allowed(a, why, sizeof why) || !gh_sso_url_allowed(t, why, sizeof why) ||
             !gh_sso_url_allowed(j, why, sizeof why))
        flow_fail(f, "idp_misconfigured", "the IdP's discovery document lacks usable endpoints");
    else ok = true;
    if (ok) {
        f->authz_ep = dup(a);
        f->token_ep = dup(t);
        f->jwks_uri = dup(j);
        ok = f->authz_ep && f->token_ep && f->jwks_uri;
        if (!ok) flow_fail(f, "internal", "out of memory");
    }
    if (ok) {
        pthread_mutex_lock(&cache_mu);
        cache_slot *c = &cache[0];
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
            if (strcmp(cache[i].issuer, f->issuer) == 0) { c = &cache[i]; break; }
            if (cache[i].fetched_at < c->fetched_at) c = &cache[i];
        }
        if (strcmp(c->issuer, f->issuer) != 0) { free(c->jwks); c->jwks = NULL; }
        free(c->authz_ep); free(c->token_ep); free(c->jwks_uri);
        gh_strlcpy(c->issuer, f->issuer, sizeof c->issuer);
        c->authz_ep = dup(a);
        c->token_ep = dup(t);
        c->jwks_uri = dup(j);
        c->fetched_at = now;
        pthread_mutex_unlock(&cache_mu);
    }
    json_decref(d);
    return ok;
}

/* The issuer's JWKS text (malloc'd): cached, or fetched when absent or when
 * refresh (an unknown kid). */
static char *jwks_for(gh_oidc_flow *f, bool refresh)
{
    char *text = NULL;
    if (!refresh) {
        pthread_mutex_lock(&cache_mu);
        for (size_t i = 0; i < CACHE_SLOTS; i++)
            if (strcmp(cache[i].issuer, f->issuer) == 0 && cache[i].jwks) text = dup(cache[i].jwks);
        pthread_mutex_unlock(&cache_mu);
        if (text) return text;
    }
    json_t *d;
    if (!fetch_json(f, f->jwks_uri, &d, &text)) return NULL;
    json_decref(d);
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (strcmp(cache[i].issuer, f->issuer) != 0) continue;
        free(cache[i].jwks);
        cache[i].jwks = dup(text);
    }
    pthread_mutex_unlock(&cache_mu);
    return text;
}

void gh_oidc_start_run(void *flow)
{
    gh_oidc_flow *f = flow;
    f->ok = true;
    discover(f);
}

static bool param(char **url, size_t *len, size_t *cap, const char *name, const char *value, bool first)
{
    char *v = curl_easy_escape(NULL, value, 0);
    if (!v) return false;
    size_t need = *len + strlen(name) + strlen(v) + 3;
    if (need > *cap) {
        size_t nc = need * 2;
        char *n = realloc(*url, nc);
        if (!n) { curl_free(v); return false; }
        *url = n;
        *cap = nc;
    }
    *len += (size_t)snprintf(*url + *len, *cap - *len, "%c%s=%s", first ? '?' : '&', name, v);
    curl_free(v);
    return true;
}

gh_status gh_oidc_start_finish(gh_ctx *ctx, gh_oidc_flow *f, char **location, char state[GH_TOKEN_LEN + 1])
{
    *location = NULL;
    if (!f->ok)
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "sso_failed", "the company sign-in cannot start: %s", f->error);
    unsigned char h[crypto_hash_sha256_BYTES];
    char challenge[GH_TOKEN_LEN + 1], redirect[600], scopes[1024] = "";
    crypto_hash_sha256(h, (const unsigned char *)f->verifier, strlen(f->verifier));
    sodium_bin2base64(challenge, sizeof challenge, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(redirect, sizeof redirect, "%s/v1/auth/sso/oidc/callback", gh_cfg()->base_url);
    size_t i, sl = 0;
    const json_t *sc;
    json_array_foreach(json_object_get(f->cfg, "scopes"), i, sc) {
        int w = snprintf(scopes + sl, sizeof scopes - sl, "%s%s", sl ? " " : "", json_string_value(sc));
        if (w > 0 && (size_t)w < sizeof scopes - sl) sl += (size_t)w;
    }
    size_t len = strlen(f->authz_ep), cap = len + 1024;
    char *url = malloc(cap);
    if (!url) return gh_ctx_oom(ctx);
    memcpy(url, f->authz_ep, len + 1);
    bool first = strchr(url, '?') == NULL;
    bool ok = param(&url, &len, &cap, "response_type", "code", first) &&
              param(&url, &len, &cap, "client_id", f->client_id, false) &&
              param(&url, &len, &cap, "redirect_uri", redirect, false) &&
              param(&url, &len, &cap, "scope", scopes, false) && param(&url, &len, &cap, "state", f->state, false) &&
              param(&url, &len, &cap, "nonce", f->nonce, false) &&
              param(&url, &len, &cap, "code_challenge", challenge, false) &&
              param(&url, &len, &cap, "code_challenge_method", "S256", false) &&
              (!f->reauth || (param(&url, &len, &cap, "prompt", "login", false) &&
                              param(&url, &len, &cap, "max_age", "0", false)));
    if (!ok) { free(url); return gh_ctx_oom(ctx); }
    *location = url;
    memcpy(state, f->state, GH_TOKEN_LEN + 1);
    return GH_OK;
}

/* ---- callback ---------------------------------------------------------------------- */
/* Audits a refused SSO sign-in in its own transaction, as nobody. */
static void audit_failure(gh_ctx *ctx, const char *org_id, const char *user_id, const char *reason, const char *error)
{
    gh_ctx c = *ctx;
    memset(&c.err, 0, sizeof c.err);
    memset(&c.actor, 0, sizeof c.actor);
    if (!org_id || !*org_id || gh_db_begin(c.db, &c.err) != GH_OK) { gh_err_clear(&c.err); return; }
    if (gh_audit(&c, org_id, "auth.sso_failed", user_id ? "user" : NULL, user_id,
                 json_pack("{s:s, s:s}", "reason", reason, "error", error)) != GH_OK ||
        gh_db_commit(c.db, &c.err) != GH_OK)
        gh_db_rollback(c.db);
    gh_err_clear(&c.err);
}

static gh_status refuse(gh_ctx *ctx, const char *org_id, const char *user_id, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static gh_status refuse(gh_ctx *ctx, const char *org_id, const char *user_id, const char *reason, const char *fmt, ...)
{
    char detail[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    audit_failure(ctx, org_id, user_id, reason, detail);
    gh_err_clear(&ctx->err);
    gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "sso_failed", "%s", detail);
    gh_err_extra(&ctx->err, "reason", json_string(reason));
    return GH_E_UNAUTHENTICATED;
}

gh_status gh_oidc_callback_prepare(gh_ctx *ctx, const char *state, const char *cookie_state, const char *code,
                                   const char *iss, const char *idp_error, gh_oidc_flow **out)
{
    gh_oidc_flow *f = calloc(1, sizeof *f);
    gh_sso_state *s = calloc(1, sizeof *s);
    gh_status st;
    *out = NULL;
    if (!f || !s) { st = gh_ctx_oom(ctx); goto out; }
    if (!state || strlen(state) != GH_TOKEN_LEN) {
        st = refuse(ctx, NULL, NULL, "state_invalid", "this sign-in link is not valid; start again from the sign-in page");
        goto out;
    }
    char state_hash[GH_HASH_HEX_LEN + 1];
    gh_token_hash(state, state_hash);
    int64_t now = gh_now();
    if ((st = gh_db_begin(ctx->db, &ctx->err)) != GH_OK) goto out;
    st = gh_store_sso_state_take(ctx->db, state_hash, now, s, &ctx->err);
    if (st == GH_OK) st = gh_db_commit(ctx->db, &ctx->err);
    else gh_db_rollback(ctx->db);
    if (st == GH_E_NOT_FOUND) {
        st = refuse(ctx, NULL, NULL, "state_invalid", "this sign-in link is not valid; start again from the sign-in page");
        goto out;
    }
    if (st != GH_OK) goto out;
    if (s->used_at) {
        st = refuse(ctx, s->org_id, NULL, "state_replayed", "this sign-in was already used; start again from the sign-in page");
        goto out;
    }
    if (now > s->expires_at) {
        st = refuse(ctx, s->org_id, NULL, "state_expired", "this sign-in took longer than 10 minutes; start again");
        goto out;
    }
    if (!cookie_state || strlen(cookie_state) != GH_TOKEN_LEN || !gh_secret_eq(cookie_state, state)) {
        st = refuse(ctx, s->org_id, NULL, "state_cookie_mismatch",
                    "this sign-in was started in another browser; start again from the sign-in page");
        goto out;
    }
    if ((st = gh_store_org_get(ctx->db, s->org_id, &f->org, &ctx->err)) != GH_OK) goto out;
    if ((st = load_config(ctx, f, true)) != GH_OK) {
        if (st != GH_E_INTERNAL) goto out;
        char msg[300];
        gh_strlcpy(msg, ctx->err.detail, sizeof msg);
        st = refuse(ctx, f->org.id, NULL, "secret_unreadable", "%s; enter the client secret again in the SSO settings", msg);
        goto out;
    }
    if (idp_error) {
        st = refuse(ctx, f->org.id, NULL, "idp_error", "the IdP refused the sign-in: %s", idp_error);
        goto out;
    }
    if (iss && strcmp(iss, f->issuer) != 0) {
        st = refuse(ctx, f->org.id, NULL, "issuer_mismatch", "the answer came from %s, not from %s", iss, f->issuer);
        goto out;
    }
    if (!code || !*code || strlen(code) > 2048) {
        st = refuse(ctx, f->org.id, NULL, "code_missing", "the IdP sent no authorization code");
        goto out;
    }
    char sctx[GH_HASH_HEX_LEN + 40];
    size_t n;
    state_context(s->state_hash, sctx, sizeof sctx);
    if ((st = gh_secretbox_open(sctx, s->verifier, f->verifier, sizeof f->verifier, &n, &ctx->err)) != GH_OK) goto out;
    derive_nonce(f->verifier, f->nonce);
    memcpy(f->state, state, GH_TOKEN_LEN + 1);
    memcpy(f->state_hash, state_hash, sizeof f->state_hash);
    gh_strlcpy(f->purpose, s->purpose, sizeof f->purpose);
    gh_strlcpy(f->user_id, s->user_id, sizeof f->user_id);
    f->reauth = strncmp(s->purpose, "reauth:", 7) == 0;
    f->requested_at = s->created_at;
    f->code = strdup(code);
    if (!f->code) { st = gh_ctx_oom(ctx); goto out; }
    *out = f;
    f = NULL;
    st = GH_OK;
out:
    if (s) { sodium_memzero(s, sizeof *s); free(s); }
    gh_oidc_flow_free(f);
    return st;
}

void gh_oidc_callback_run(void *flow)
{
    gh_oidc_flow *f = flow;
    char redirect[600], err[512], *form = NULL, *body = NULL, *jwks = NULL;
    size_t len = 0;
    long status = 0;
    json_t *tok = NULL;
    f->ok = true;
    if (!discover(f)) return;
    snprintf(redirect, sizeof redirect, "%s/v1/auth/sso/oidc/callback", gh_cfg()->base_url);
    char *c = curl_easy_escape(NULL, f->code, 0), *r = curl_easy_escape(NULL, redirect, 0),
         *v = curl_easy_escape(NULL, f->verifier, 0);
    if (c && r && v) {
        size_t cap = strlen(c) + strlen(r) + strlen(v) + 100;
        form = malloc(cap);
        if (form)
            snprintf(form, cap, "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s", c, r, v);
    }
    curl_free(c);
    curl_free(r);
    curl_free(v);
    if (!form) { flow_fail(f, "internal", "out of memory"); goto out; }
    if (!gh_idphttp_post_form(f->token_ep, f->client_id, f->secret, form, 256 * 1024, &body, &len, &status, err, sizeof err)) {
        flow_fail(f, "idp_unreachable", "%s", err);
        goto out;
    }
    json_error_t je;
    tok = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (status != 200) {
        const char *e = json_string_value(json_object_get(tok, "error"));
        if (e && strcmp(e, "invalid_client") == 0)
            flow_fail(f, "client_auth_failed", "the IdP refused gatehouse's client credentials: check the client id and secret");
        else
            flow_fail(f, "token_request_failed", "the IdP's token endpoint answered HTTP %ld%s%s", status, e ? ": " : "", e ? e : "");
        goto out;
    }
    const char *id_token = json_string_value(json_object_get(tok, "id_token"));
    if (!id_token) { flow_fail(f, "token_malformed", "the IdP sent no ID token"); goto out; }
    gh_idtoken_expect e = {.issuer = f->issuer, .client_id = f->client_id, .nonce = f->nonce, .now = gh_now(),
                           .reauth = f->reauth, .requested_at = f->requested_at};
    for (int attempt = 0; attempt < 2; attempt++) {
        free(jwks);
        if (!(jwks = jwks_for(f, attempt > 0))) goto out;
        gh_idt_result res = gh_idtoken_verify(id_token, jwks, &e, &f->claims, err, sizeof err);
        if (res == GH_IDT_OK) goto out;
        if (res != GH_IDT_UNKNOWN_KID || attempt == 1) {
            flow_fail(f, gh_idtoken_reason(res), "%s", err);
            goto out;
        }
    }
out:
    if (form) { sodium_memzero(form, strlen(form)); free(form); }
    if (body) { sodium_memzero(body, len); free(body); }
    if (tok) { gh_json_wipe_strings(tok); json_decref(tok); }
    free(jwks);
}

/* The role the group mapping gives (NULL: no group matched). */
static const char *mapped_role(const json_t *cfg, const json_t *claims)
{
    const char *claim = json_string_value(json_object_get(cfg, "groups_claim"));
    const json_t *groups = claim ? json_object_get(claims, claim) : NULL;
    const char *group;
    const json_t *role;
    json_object_foreach((json_t *)json_object_get(cfg, "role_map"), group, role) {
        size_t i;
        const json_t *g;
        if (json_is_string(groups) && strcmp(json_string_value(groups), group) == 0) return json_string_value(role);
        json_array_foreach(groups, i, g) if (json_is_string(g) && strcmp(json_string_value(g), group) == 0)
            return json_string_value(role);
    }
    return NULL;
}

/* Finds, links or creates the person; fills u. */
static gh_status resolve_user(gh_ctx *ctx, gh_oidc_flow *f, const char *sub, const char *email, gh_user *u)
{
    gh_identity id;
    gh_status st = gh_store_identity_find(ctx->db, f->org.id, f->kind[0] ? f->kind : "oidc", f->issuer, sub, &id, &ctx->err);
    if (st == GH_OK) {
        st = gh_store_user_get(ctx->db, f->org.id, id.user_id, u, &ctx->err);
        if (st == GH_E_NOT_FOUND) return refuse(ctx, f->org.id, NULL, "account_deleted", "this account was deleted");
        return st;
    }
    if (st != GH_E_NOT_FOUND) return st;
    gh_err_clear(&ctx->err);
    if (!email || !*email)
        return refuse(ctx, f->org.id, NULL, "email_missing", "the IdP sent no e-mail address in the '%s' claim",
                      json_string_value(json_object_get(f->cfg, "email_claim")));
    const json_t *verified = json_object_get(f->claims, "email_verified");
    if (json_is_false(verified))
        return refuse(ctx, f->org.id, NULL, "email_not_verified", "the IdP says %s is not verified", email);
    bool created = false;
    st = gh_store_user_get_by_email(ctx->db, f->org.id, email, u, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        const json_t *jit = json_object_get(f->cfg, "jit");
        if (!json_is_true(json_object_get(jit, "enabled")))
            return refuse(ctx, f->org.id, NULL, "no_account", "%s has no account in %s (creating people at first sign-in is off)",
                          email, f->org.name);
        if (!gh_sso_email_domain_allowed(email, json_object_get(jit, "domains")))
            return refuse(ctx, f->org.id, NULL, "domain_not_allowed", "%s is not from a domain allowed to create accounts",
                          email);
        const char *name = json_string_value(json_object_get(f->claims, "name"));
        gh_ctx sys = *ctx;
        memset(&sys.err, 0, sizeof sys.err);
        memset(&sys.actor, 0, sizeof sys.actor);
        sys.actor.type = GH_ACTOR_SYSTEM;
        gh_strlcpy(sys.actor.org_id, f->org.id, sizeof sys.actor.org_id);
        sys.required_perm = sys.required_alt = NULL;
        gh_user_new n = {.email = email, .name = name && *name ? name : email,
                         .role = json_string_value(json_object_get(jit, "default_role")), .office_access = true,
                         .email_verified = true};
        st = gh_user_create(&sys, &n, u);
        if (st != GH_OK) {
            char msg[400];
            snprintf(msg, sizeof msg, "%s", sys.err.detail);
            gh_err_clear(&sys.err);
            return refuse(ctx, f->org.id, NULL, "jit_refused", "%s could not be created: %s", email, msg);
        }
        created = true;
    } else if (st != GH_OK) {
        return st;
    }
    /* Link once; from now on (issuer, sub) finds them, whatever the e-mail. */
    gh_identity link = {0};
    gh_id_new("idn", link.id);
    gh_strlcpy(link.org_id, f->org.id, sizeof link.org_id);
    gh_strlcpy(link.user_id, u->id, sizeof link.user_id);
    gh_strlcpy(link.kind, f->kind[0] ? f->kind : "oidc", sizeof link.kind);
    gh_strlcpy(link.issuer, f->issuer, sizeof link.issuer);
    gh_strlcpy(link.subject, sub, sizeof link.subject);
    link.created_at = gh_now();
    gh_ctx c = *ctx;
    memset(&c.err, 0, sizeof c.err);
    memset(&c.actor, 0, sizeof c.actor);
    if ((st = gh_db_begin(c.db, &c.err)) != GH_OK) { ctx->err = c.err; return st; }
    if ((st = gh_store_identity_insert(c.db, &link, &c.err)) != GH_OK ||
        (st = gh_audit(&c, f->org.id, "identity.linked", "user", u->id,
                       json_pack("{s:s, s:s, s:s, s:b}", "kind", link.kind, "issuer", f->issuer, "subject", sub, "created",
                                 created))) != GH_OK) {
        gh_db_rollback(c.db);
        ctx->err = c.err;
        return st;
    }
    if ((st = gh_db_commit(c.db, &c.err)) != GH_OK) ctx->err = c.err;
    return st;
}

/* A re-authentication: the IdP signed in again the person who asked. */
static gh_status reauth_finish(gh_ctx *ctx, gh_oidc_flow *f, gh_oidc_signin *out)
{
    const char *sub = json_string_value(json_object_get(f->claims, "sub"));
    gh_identity id;
    gh_status st = gh_store_identity_find(ctx->db, f->org.id, f->kind[0] ? f->kind : "oidc", f->issuer, sub, &id, &ctx->err);
    if (st == GH_E_NOT_FOUND || (st == GH_OK && strcmp(id.user_id, f->user_id) != 0))
        return refuse(ctx, f->org.id, f->user_id, "reauth_wrong_person",
                      "the IdP signed in someone else, not the person who asked to re-authenticate");
    if (st != GH_OK) return st;
    gh_ctx c = *ctx;
    memset(&c.err, 0, sizeof c.err);
    memset(&c.actor, 0, sizeof c.actor);
    c.actor.type = GH_ACTOR_USER;
    gh_strlcpy(c.actor.org_id, f->org.id, sizeof c.actor.org_id);
    gh_strlcpy(c.actor.id, f->user_id, sizeof c.actor.id);
    int64_t now = gh_now();
    bool mfa = false;
    if ((st = gh_db_begin(c.db, &c.err)) != GH_OK) { ctx->err = c.err; return st; }
    if ((st = gh_mfa_idp_counts(&c, f->org.id, f->claims, &mfa)) != GH_OK ||
        (st = gh_store_sso_state_prove(c.db, f->state_hash, now, mfa, &c.err)) != GH_OK ||
        (st = gh_audit(&c, f->org.id, "auth.reauthenticated", "user", f->user_id,
                       json_pack("{s:s, s:s, s:s, s:b}", "method", "sso", "purpose", f->purpose + 7, "issuer", f->issuer,
                                 "mfa", mfa))) != GH_OK) {
        gh_db_rollback(c.db);
        ctx->err = c.err;
        return st;
    }
    if ((st = gh_db_commit(c.db, &c.err)) != GH_OK) { ctx->err = c.err; return st; }
    out->reauth = true;
    gh_strlcpy(out->purpose, f->purpose + 7, sizeof out->purpose);
    return GH_OK;
}

gh_status gh_oidc_callback_finish(gh_ctx *ctx, gh_oidc_flow *f, gh_oidc_signin *out)
{
    memset(out, 0, sizeof *out);
    if (!f->ok) return refuse(ctx, f->org.id, f->reauth ? f->user_id : NULL, f->reason, "%s", f->error);
    if (f->reauth) return reauth_finish(ctx, f, out);
    const char *sub = json_string_value(json_object_get(f->claims, "sub"));
    const char *email_claim = json_string_value(json_object_get(f->cfg, "email_claim"));
    const char *email = json_string_value(json_object_get(f->claims, email_claim ? email_claim : "email"));
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    if (!u) return gh_ctx_oom(ctx);
    if ((st = resolve_user(ctx, f, sub, email, u)) != GH_OK) goto out;
    /* Group mapping, as the system (the roles were measured against the
     * configuration's author when it was written). */
    const char *role = mapped_role(f->cfg, f->claims);
    if (role && strcmp(role, u->role_key) != 0) {
        gh_ctx sys = *ctx;
        memset(&sys.err, 0, sizeof sys.err);
        memset(&sys.actor, 0, sizeof sys.actor);
        sys.actor.type = GH_ACTOR_SYSTEM;
        gh_strlcpy(sys.actor.org_id, f->org.id, sizeof sys.actor.org_id);
        sys.required_perm = sys.required_alt = NULL;
        gh_user_patch p = {.role = role};
        gh_user after;
        if (gh_user_update(&sys, u->id, &p, &after) == GH_OK) *u = after;
        else gh_logf(GH_LOG_WARN, "sso role mapping for %s to %s refused: %s", u->id, role, sys.err.detail);
        gh_err_clear(&sys.err);
    }
    /* The session, on the row as it is now (like a password sign-in). */
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.org_id, f->org.id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, u->id, sizeof ctx->actor.id);
    if ((st = gh_tx_begin(ctx)) != GH_OK) goto out;
    if ((st = gh_store_user_get(ctx->db, f->org.id, u->id, u, &ctx->err)) != GH_OK) { gh_ctx_rollback(ctx, st); goto out; }
    const char *why = strcmp(u->status, "active") != 0 ? "account_locked"
                      : gh_user_expired(u, gh_now())   ? "account_expired"
                      : !u->office_access              ? "no_office_access"
                      : !gh_access_ip_allowed(f->org.id, ctx->ip) ? "ip_not_allowed" : NULL;
    if (why) {
        gh_db_rollback(ctx->db);
        st = refuse(ctx, f->org.id, u->id, why,
                    strcmp(why, "account_locked") == 0    ? "this account is locked; ask an administrator"
                    : strcmp(why, "account_expired") == 0 ? "this account has expired; ask an administrator"
                    : strcmp(why, "no_office_access") == 0 ? "this account has no office access"
                                                           : "sign-in is not allowed from this network");
        goto out;
    }
    if (!u->email_verified) u->email_verified = true; /* the IdP vouched for it */
    /* The second step, unless the IdP's MFA counts (core/mfa.h). */
    char pending[8];
    if ((st = gh_mfa_signin_step(ctx, &f->org, u, f->claims, pending)) != GH_OK) goto fail;
    if ((st = gh_session_open_pending(ctx, &f->org, u, pending, out->token, out->csrf, &out->session)) != GH_OK) goto fail;
    gh_strlcpy(ctx->actor.session_id, out->session.id, sizeof ctx->actor.session_id);
    u->last_login_at = gh_now();
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) goto fail;
    json_t *detail = json_pack("{s:s, s:s, s:s}", "method", "sso", "idp",
                               json_string_value(json_object_get(f->cfg, "display_name")), "issuer", f->issuer);
    if (detail && pending[0]) json_object_set_new(detail, "mfa_pending", json_string(pending));
    if ((st = gh_audit(ctx, f->org.id, "auth.login", "session", out->session.id, detail)) != GH_OK)
        goto fail;
    if ((st = gh_db_commit(ctx->db, &ctx->err)) != GH_OK) goto out;
    out->user = *u;
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    if (st != GH_OK) { sodium_memzero(out->token, sizeof out->token); sodium_memzero(out->csrf, sizeof out->csrf); }
    free(u);
    return st;
}

gh_status gh_sso_signin_finish(gh_ctx *ctx, const gh_sso_verified *v, gh_oidc_signin *out)
{
    gh_oidc_flow *f = calloc(1, sizeof *f);
    if (!f) { memset(out, 0, sizeof *out); return gh_ctx_oom(ctx); }
    f->org = *v->org;
    f->cfg = json_incref((json_t *)v->cfg);
    f->claims = json_incref((json_t *)v->claims);
    gh_strlcpy(f->kind, v->kind, sizeof f->kind);
    gh_strlcpy(f->issuer, v->issuer, sizeof f->issuer);
    gh_strlcpy(f->state_hash, v->state_hash ? v->state_hash : "", sizeof f->state_hash);
    gh_strlcpy(f->purpose, v->purpose ? v->purpose : "login", sizeof f->purpose);
    gh_strlcpy(f->user_id, v->user_id ? v->user_id : "", sizeof f->user_id);
    f->reauth = v->reauth;
    f->ok = v->ok;
    gh_strlcpy(f->reason, v->reason ? v->reason : "", sizeof f->reason);
    gh_strlcpy(f->error, v->error ? v->error : "", sizeof f->error);
    gh_status st = gh_oidc_callback_finish(ctx, f, out);
    gh_oidc_flow_free(f);
    return st;
}

gh_status gh_sso_refuse(gh_ctx *ctx, const char *org_id, const char *user_id, const char *reason, const char *detail)
{
    return refuse(ctx, org_id, user_id, reason, "%s", detail);
}
