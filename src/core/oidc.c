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
    char *end_session_ep;        /* RP-initiated logout, or NULL */
    char *id_token;              /* the verified ID token (for id_token_hint); wiped in gh_oidc_flow_free */
    char *code;
    int64_t requested_at;
    char state_hash[GH_HASH_HEX_LEN + 1];
    char purpose[64];            /* login | reauth:<why> */
    char user_id[GH_ID_MAX];     /* reauth: who must prove themselves */
    bool reauth;
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
    free(f->end_session_ep);
    if (f->id_token) { sodium_memzero(f->id_token, strlen(f->id_token)); free(f->id_token); }
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
    /* Not gh_tx_run: the flow's state row only, with no actor re-check (as a re-auth start needs). */
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
    char *authz_ep, *token_ep, *jwks_uri, *jwks, *end_session_ep;
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
            f->end_session_ep = dup(c->end_session_ep);
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
    const char *es = json_string_value(json_object_get(d, "end_session_endpoint"));
    char why[200];
    if (es && !gh_sso_url_allowed(es, why, sizeof why)) es = NULL; /* optional: no RP-initiated logout then */
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
        f->end_session_ep = dup(es);
        ok = f->authz_ep && f->token_ep && f->jwks_uri && (!es || f->end_session_ep);
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
        free(c->authz_ep); free(c->token_ep); free(c->jwks_uri); free(c->end_session_ep);
        gh_strlcpy(c->issuer, f->issuer, sizeof c->issuer);
        c->authz_ep = dup(a);
        c->token_ep = dup(t);
        c->jwks_uri = dup(j);
        c->end_session_ep = dup(es);
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
gh_status gh_oidc_callback_prepare(gh_ctx *ctx, const char *state, const char *cookie_state, const char *code,
                                   const char *iss, const char *idp_error, gh_oidc_flow **out)
{
    gh_oidc_flow *f = calloc(1, sizeof *f);
    gh_sso_state *s = calloc(1, sizeof *s);
    gh_status st;
    *out = NULL;
    if (!f || !s) { st = gh_ctx_oom(ctx); goto out; }
    if (!state || strlen(state) != GH_TOKEN_LEN) {
        st = gh_sso_refusef(ctx, NULL, NULL, "state_invalid", "this sign-in link is not valid; start again from the sign-in page");
        goto out;
    }
    char state_hash[GH_HASH_HEX_LEN + 1];
    gh_token_hash(state, state_hash);
    int64_t now = gh_now();
    /* Not gh_tx_run: a missing state is answered after the rollback, with no actor re-check. */
    if ((st = gh_db_begin(ctx->db, &ctx->err)) != GH_OK) goto out;
    st = gh_store_sso_state_take(ctx->db, state_hash, now, s, &ctx->err);
    if (st == GH_OK) st = gh_db_commit(ctx->db, &ctx->err);
    else gh_db_rollback(ctx->db);
    if (st == GH_E_NOT_FOUND) {
        st = gh_sso_refusef(ctx, NULL, NULL, "state_invalid", "this sign-in link is not valid; start again from the sign-in page");
        goto out;
    }
    if (st != GH_OK) goto out;
    if (s->used_at) {
        st = gh_sso_refusef(ctx, s->org_id, NULL, "state_replayed", "this sign-in was already used; start again from the sign-in page");
        goto out;
    }
    if (now > s->expires_at) {
        st = gh_sso_refusef(ctx, s->org_id, NULL, "state_expired", "this sign-in took longer than 10 minutes; start again");
        goto out;
    }
    if (!cookie_state || strlen(cookie_state) != GH_TOKEN_LEN || !gh_secret_eq(cookie_state, state)) {
        st = gh_sso_refusef(ctx, s->org_id, NULL, "state_cookie_mismatch",
                    "this sign-in was started in another browser; start again from the sign-in page");
        goto out;
    }
    if ((st = gh_store_org_get(ctx->db, s->org_id, &f->org, &ctx->err)) != GH_OK) goto out;
    if ((st = load_config(ctx, f, true)) != GH_OK) {
        if (st != GH_E_INTERNAL) goto out;
        char msg[300];
        gh_strlcpy(msg, ctx->err.detail, sizeof msg);
        st = gh_sso_refusef(ctx, f->org.id, NULL, "secret_unreadable", "%s; enter the client secret again in the SSO settings", msg);
        goto out;
    }
    if (idp_error) {
        st = gh_sso_refusef(ctx, f->org.id, NULL, "idp_error", "the IdP refused the sign-in: %s", idp_error);
        goto out;
    }
    if (iss && strcmp(iss, f->issuer) != 0) {
        st = gh_sso_refusef(ctx, f->org.id, NULL, "issuer_mismatch", "the answer came from %s, not from %s", iss, f->issuer);
        goto out;
    }
    if (!code || !*code || strlen(code) > 2048) {
        st = gh_sso_refusef(ctx, f->org.id, NULL, "code_missing", "the IdP sent no authorization code");
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
        if (res == GH_IDT_OK) {
            /* kept for RP-initiated logout's id_token_hint (sealed with the session) */
            if (f->end_session_ep && strlen(id_token) <= GH_SECRETBOX_PLAIN_MAX) f->id_token = strdup(id_token);
            goto out;
        }
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

/* The verified ID token, handed to the sign-in shared with SAML
 * (core/ssosignin.h). */
gh_status gh_oidc_callback_finish(gh_ctx *ctx, gh_oidc_flow *f, gh_oidc_signin *out)
{
    gh_sso_verified v = {.org = &f->org, .cfg = f->cfg, .kind = "oidc", .issuer = f->issuer, .claims = f->claims,
                         .reauth = f->reauth, .user_id = f->user_id, .state_hash = f->state_hash,
                         .purpose = f->purpose, .ok = f->ok, .reason = f->reason, .error = f->error,
                         .id_token = f->id_token, .end_session_ep = f->end_session_ep};
    return gh_sso_signin_finish(ctx, &v, out);
}
