/* Test connection (POST /v1/org/sso/test): see sso.h. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/guard.h"
#include "core/idphttp.h"
#include "core/saml.h"
#include "core/sso.h"
#include "store/store.h"
#include "util/json.h"

/* ---- Test connection ------------------------------------------------------------- */
struct gh_sso_test {
    char org_id[GH_ID_MAX];
    bool oidc;
    char *issuer;        /* OIDC */
    char *metadata_url;  /* SAML, or NULL */
    char *metadata_xml;  /* SAML, or NULL */
    json_t *checks;      /* [{name, ok, detail}] */
    bool ok;
    char error[512];
};

void gh_sso_test_free(void *test)
{
    gh_sso_test *t = test;
    if (!t) return;
    free(t->issuer);
    free(t->metadata_url);
    free(t->metadata_xml);
    json_decref(t->checks);
    free(t);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

gh_status gh_sso_test_prepare(gh_ctx *ctx, gh_sso_test **out)
{
    gh_sso_row *row = calloc(1, sizeof *row);
    gh_sso_test *t = calloc(1, sizeof *t);
    json_t *cfg = NULL;
    gh_status st;
    *out = NULL;
    if (!row || !t) { st = gh_ctx_oom(ctx); goto out; }
    if ((st = gh_store_sso_get(ctx->db, ctx->actor.org_id, row, &ctx->err)) != GH_OK) goto out;
    cfg = json_loads(row->config, 0, NULL);
    if (!cfg) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "the stored configuration is damaged"); goto out; }
    gh_strlcpy(t->org_id, row->org_id, sizeof t->org_id);
    t->oidc = strcmp(row->protocol, "oidc") == 0;
    t->issuer = dup_or_null(json_string_value(json_object_get(cfg, "issuer")));
    t->metadata_url = dup_or_null(json_string_value(json_object_get(cfg, "idp_metadata_url")));
    t->metadata_xml = dup_or_null(json_string_value(json_object_get(cfg, "idp_metadata_xml")));
    t->checks = json_array();
    if (!t->checks || (t->oidc && !t->issuer) || (!t->oidc && !t->metadata_url && !t->metadata_xml)) {
        st = gh_ctx_oom(ctx);
        goto out;
    }
    *out = t;
    t = NULL;
    st = GH_OK;
out:
    json_decref(cfg);
    if (row) gh_sso_row_release(row);
    free(row);
    gh_sso_test_free(t);
    return st;
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static bool check(gh_sso_test *t, const char *name, bool ok, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    json_array_append_new(t->checks, json_pack("{s:s, s:b, s:s}", "name", name, "ok", ok, "detail", detail));
    if (!ok && t->ok) {
        t->ok = false;
        snprintf(t->error, sizeof t->error, "%s", detail);
    }
    return ok;
}

static bool str_in(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

/* GET url as JSON into *doc; false (with a failed check) otherwise. */
static bool fetch_json(gh_sso_test *t, const char *name, const char *url, json_t **doc)
{
    char *body = NULL, err[512];
    size_t len = 0;
    long status = 0;
    *doc = NULL;
    if (!gh_idphttp_get(url, "application/json", GH_IDPHTTP_BODY_MAX, &body, &len, &status, err, sizeof err))
        return check(t, name, false, "%s", err);
    if (status != 200) {
        free(body);
        return check(t, name, false, "%s answered HTTP %ld", url, status);
    }
    json_error_t je;
    *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    free(body);
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        return check(t, name, false, "%s did not answer a JSON object", url);
    }
    return true;
}

static void run_oidc(gh_sso_test *t)
{
    char url[GH_SSO_URL_MAX + 64];
    json_t *d = NULL, *jwks = NULL;
    size_t n = strlen(t->issuer);
    while (n > 0 && t->issuer[n - 1] == '/') n--;
    snprintf(url, sizeof url, "%.*s/.well-known/openid-configuration", (int)n, t->issuer);
    if (!fetch_json(t, "discovery", url, &d)) goto out;
    check(t, "discovery", true, "%s", url);
    const char *iss = json_string_value(json_object_get(d, "issuer"));
    if (!check(t, "issuer", iss && strcmp(iss, t->issuer) == 0,
               "the IdP names itself %s%s%s; the configured issuer is %s", iss ? "\"" : "", iss ? iss : "nothing",
               iss ? "\"" : "", t->issuer))
        goto out;
    static const char *const endpoints[] = {"authorization_endpoint", "token_endpoint", "jwks_uri"};
    for (size_t i = 0; i < 3; i++) {
        const char *e = json_string_value(json_object_get(d, endpoints[i]));
        char why[200] = "";
        if (!check(t, endpoints[i], e && gh_sso_url_allowed(e, why, sizeof why), "%s%s%s", e ? e : "missing",
                   why[0] ? ": " : "", why))
            goto out;
    }
    if (!check(t, "code_flow", str_in(json_object_get(d, "response_types_supported"), "code"),
               "response_types_supported %s \"code\"",
               str_in(json_object_get(d, "response_types_supported"), "code") ? "includes" : "lacks"))
        goto out;
    const json_t *pkce = json_object_get(d, "code_challenge_methods_supported");
    if (!check(t, "pkce_s256", !pkce || str_in(pkce, "S256"),
               pkce ? "code_challenge_methods_supported %s S256" : "PKCE methods not announced; S256 will be sent",
               str_in(pkce, "S256") ? "includes" : "lacks"))
        goto out;
    const json_t *algs = json_object_get(d, "id_token_signing_alg_values_supported");
    bool alg_ok = str_in(algs, "RS256") || str_in(algs, "ES256") || str_in(algs, "PS256");
    if (!check(t, "signing_alg", alg_ok, "ID tokens signed with %s",
               alg_ok ? "RS256, ES256 or PS256" : "none of RS256, ES256, PS256 (gatehouse refuses none and HMAC)"))
        goto out;
    const json_t *auth = json_object_get(d, "token_endpoint_auth_methods_supported");
    if (!check(t, "client_auth", !auth || str_in(auth, "client_secret_basic"),
               "token endpoint %s client_secret_basic", !auth || str_in(auth, "client_secret_basic") ? "accepts" : "does not accept"))
        goto out;
    const char *jwks_uri = json_string_value(json_object_get(d, "jwks_uri"));
    if (!fetch_json(t, "jwks", jwks_uri, &jwks)) goto out;
    size_t i, keys = 0;
    const json_t *k;
    json_array_foreach(json_object_get(jwks, "keys"), i, k) {
        const char *kty = json_string_value(json_object_get(k, "kty"));
        const char *use = json_string_value(json_object_get(k, "use"));
        if (kty && (strcmp(kty, "RSA") == 0 || strcmp(kty, "EC") == 0) && (!use || strcmp(use, "sig") == 0)) keys++;
    }
    check(t, "jwks", keys > 0, "%zu signing key%s (RSA or EC) at %s", keys, keys == 1 ? "" : "s", jwks_uri);
out:
    json_decref(d);
    json_decref(jwks);
}

static void run_saml(gh_sso_test *t)
{
    char *body = NULL, err[512];
    const char *xml = t->metadata_xml;
    if (t->metadata_url) {
        size_t len = 0;
        long status = 0;
        if (!gh_idphttp_get(t->metadata_url, "application/samlmetadata+xml, application/xml", GH_SSO_METADATA_XML_MAX,
                            &body, &len, &status, err, sizeof err)) {
            check(t, "metadata", false, "%s", err);
            return;
        }
        if (status != 200 || strlen(body) != len) {
            check(t, "metadata", false, "%s answered HTTP %ld", t->metadata_url, status);
            goto out;
        }
        xml = body;
    }
    if (!check(t, "metadata", strstr(xml, "EntityDescriptor") != NULL, "%s",
               strstr(xml, "EntityDescriptor") ? "SAML metadata" : "not SAML metadata (no EntityDescriptor)"))
        goto out;
    if (!check(t, "idp", strstr(xml, "IDPSSODescriptor") && strstr(xml, "SingleSignOnService"), "%s",
               "an identity provider with a single sign-on service"))
        goto out;
    if (!check(t, "signing_certificate", strstr(xml, "X509Certificate") != NULL, "%s",
               strstr(xml, "X509Certificate") ? "a signing certificate" : "no signing certificate in the metadata"))
        goto out;
    /* lasso itself, on this worker: lasso_init ran once at start, and the
     * metadata is checked first for what crashes lasso (samlsp.h). */
    char entity[512], why[700];
    bool ok = gh_saml_check_idp_metadata(xml, entity, sizeof entity, why, sizeof why);
    check(t, "lasso", ok, "%s", why);
out:
    free(body);
}

void gh_sso_test_run(void *test)
{
    gh_sso_test *t = test;
    t->ok = true;
    if (t->oidc) run_oidc(t);
    else run_saml(t);
}

gh_status gh_sso_test_finish(gh_ctx *ctx, gh_sso_test *t, json_t **out)
{
    *out = NULL;
    int64_t now = gh_now();
    gh_status st = gh_tx_begin(ctx);
    if (st != GH_OK) return st;
    if ((st = gh_store_sso_set_test(ctx->db, t->org_id, now, t->ok ? "" : t->error, &ctx->err)) != GH_OK)
        return gh_ctx_rollback(ctx, st);
    json_t *detail = json_pack("{s:b}", "ok", t->ok);
    if (detail && !t->ok) json_object_set_new(detail, "error", json_string(t->error));
    if ((st = gh_audit(ctx, NULL, "sso.tested", "org", t->org_id, detail)) != GH_OK) return gh_ctx_rollback(ctx, st);
    if ((st = gh_db_commit(ctx->db, &ctx->err)) != GH_OK) return st;
    *out = json_pack("{s:b, s:o, s:O, s:o}", "ok", t->ok, "error", t->ok ? json_null() : json_string(t->error),
                     "checks", t->checks, "tested_at", gh_json_time(now));
    return *out ? GH_OK : gh_ctx_oom(ctx);
}
