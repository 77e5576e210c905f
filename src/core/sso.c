/* Company sign-in configuration and policy: see sso.h. */
/* Over 600 lines: the configuration, its validation and the sign-in
 * policy of one feature share the sealed-secret handling. */
#include "core/sso.h"

#include <curl/curl.h>
#include <sodium.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/guard.h"
#include "core/samlsp.h"
#include "core/secretbox.h"
#include "store/store.h"
#include "util/json.h"
#include "util/util.h"
#include "util/net.h"

#define DISPLAY_NAME_MAX 80
#define CLAIM_MAX 100
#define GROUP_MAX 256

/* ---- pure parts ------------------------------------------------------------------ */
static bool set_why(char *why, size_t cap, const char *msg)
{
    if (cap > 0) snprintf(why, cap, "%s", msg);
    return false;
}

static bool loopback_host(const char *host, size_t n)
{
    char h[64];
    if (n == 0 || n >= sizeof h) return false;
    memcpy(h, host, n);
    h[n] = '\0';
    if (strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0) return true;
    gh_cidr lo;
    return gh_cidr_parse("127.0.0.0/8", &lo) && gh_cidr_contains(&lo, h);
}

bool gh_sso_url_allowed(const char *url, char *why, size_t cap)
{
    if (!url || !*url) return set_why(why, cap, "a URL is needed");
    size_t n = strlen(url);
    if (n > GH_SSO_URL_MAX) return set_why(why, cap, "the URL is too long");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f) return set_why(why, cap, "the URL holds spaces or characters outside ASCII");
    }
    bool https = strncmp(url, "https://", 8) == 0, http = strncmp(url, "http://", 7) == 0;
    if (!https && !http) return set_why(why, cap, "the URL must start with https://");
    const char *host = url + (https ? 8 : 7);
    size_t hl = strcspn(host, "/?#");
    if (memchr(host, '@', hl)) return set_why(why, cap, "the URL must not carry a user name or password");
    if (strchr(url, '#')) return set_why(why, cap, "the URL must not have a fragment (#...)");
    /* host without the port */
    size_t name_len = hl;
    if (hl > 0 && host[0] == '[') {
        const char *close = memchr(host, ']', hl);
        if (!close) return set_why(why, cap, "the URL's IPv6 address is not closed with ]");
        name_len = (size_t)(close - host) + 1;
    } else {
        const char *colon = memchr(host, ':', hl);
        if (colon) name_len = (size_t)(colon - host);
    }
    if (name_len == 0) return set_why(why, cap, "the URL has no host");
    if (name_len < hl) {
        if (host[name_len] != ':' || name_len + 1 == hl) return set_why(why, cap, "the URL's port is not valid");
        long port = 0;
        if (hl - name_len - 1 > 5) return set_why(why, cap, "the URL's port is not valid");
        for (size_t i = name_len + 1; i < hl; i++) {
            if (host[i] < '0' || host[i] > '9') return set_why(why, cap, "the URL's port is not valid");
            port = port * 10 + (host[i] - '0');
        }
        if (port < 1 || port > 65535) return set_why(why, cap, "the URL's port is not valid");
    }
    if (http && !loopback_host(host, name_len))
        return set_why(why, cap, "plain http is allowed only to a loopback address (127.0.0.1, [::1], localhost); use https");
    return true;
}

bool gh_sso_domain_valid(const char *d)
{
    size_t n = d ? strlen(d) : 0;
    if (n == 0 || n > 253) return false;
    size_t labels = 0, len = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = d[i];
        if (c == '.' || c == '\0') {
            if (len == 0 || len > 63 || d[i - 1] == '-') return false;
            labels++;
            len = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
        if (c == '-' && len == 0) return false;
        len++;
    }
    return labels >= 2;
}

bool gh_sso_email_domain_allowed(const char *email, const json_t *domains)
{
    const char *at = email ? strrchr(email, '@') : NULL;
    if (!at || !at[1]) return false;
    size_t i;
    const json_t *d;
    json_array_foreach(domains, i, d) {
        const char *s = json_string_value(d);
        if (s && strcasecmp(at + 1, s) == 0) return true;
    }
    return false;
}

bool gh_sso_id_listed(const char *list, const char *id)
{
    size_t n = strlen(id);
    if (n == 0) return false;
    for (const char *p = list; p && *p;) {
        while (*p == ' ') p++;
        size_t l = strcspn(p, " ");
        if (l == n && memcmp(p, id, n) == 0) return true;
        p += l;
    }
    return false;
}

/* ---- validation ------------------------------------------------------------------ */
static gh_status invalid(gh_ctx *ctx, const char *code, const char *field, const char *detail)
{
    return gh_fail_field(&ctx->err, GH_E_INVALID, code, field, "%s", detail);
}

static gh_status not_for(gh_ctx *ctx, const json_t *b, const char *const *names, const char *protocol)
{
    for (size_t i = 0; names[i]; i++)
        if (json_object_get(b, names[i]))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "field_not_for_protocol", names[i],
                                 "'%s' does not apply to %s", names[i], protocol);
    return GH_OK;
}

static gh_status check_url(gh_ctx *ctx, const char *field, const char *url)
{
    char why[160];
    if (!gh_sso_url_allowed(url, why, sizeof why)) return invalid(ctx, "invalid_url", field, why);
    return GH_OK;
}

/* A scope token (RFC 6749 3.3): %x21 / %x23-5B / %x5D-7E. */
static bool scope_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 100) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
    }
    return true;
}

/* The values of body, checked, into cfg (the stored settings: no secret). */
static gh_status validate(gh_ctx *ctx, const json_t *b, json_t *cfg)
{
    static const char *const oidc_only[] = {"issuer", "client_id", "client_secret", "scopes", NULL};
    static const char *const saml_only[] = {"idp_metadata_xml", "idp_metadata_url", NULL};
    const char *protocol = json_string_value(json_object_get(b, "protocol"));
    if (!protocol || (strcmp(protocol, "oidc") != 0 && strcmp(protocol, "saml") != 0))
        return invalid(ctx, "invalid_protocol", "protocol", "protocol is \"oidc\" or \"saml\"");
    json_object_set_new(cfg, "protocol", json_string(protocol));
    const char *name = json_string_value(json_object_get(b, "display_name"));
    if (gh_check_text(&ctx->err, "invalid_display_name", "display_name", name, 1, DISPLAY_NAME_MAX) != GH_OK)
        return GH_E_INVALID;
    json_object_set_new(cfg, "display_name", json_string(name));
    bool oidc = strcmp(protocol, "oidc") == 0;
    if (oidc) {
        if (not_for(ctx, b, saml_only, "OpenID Connect") != GH_OK) return GH_E_INVALID;
        const char *issuer = json_string_value(json_object_get(b, "issuer"));
        if (!issuer) return invalid(ctx, "missing_field", "issuer", "issuer is required for OpenID Connect");
        if (check_url(ctx, "issuer", issuer) != GH_OK) return GH_E_INVALID;
        if (strchr(issuer, '?')) return invalid(ctx, "invalid_url", "issuer", "an issuer has no query (?...)");
        json_object_set_new(cfg, "issuer", json_string(issuer));
        const char *client_id = json_string_value(json_object_get(b, "client_id"));
        if (!client_id) return invalid(ctx, "missing_field", "client_id", "client_id is required for OpenID Connect");
        if (gh_check_text(&ctx->err, "invalid_client_id", "client_id", client_id, 1, 255) != GH_OK) return GH_E_INVALID;
        json_object_set_new(cfg, "client_id", json_string(client_id));
        const json_t *secret = json_object_get(b, "client_secret");
        if (secret && (json_string_length(secret) == 0 || json_string_length(secret) > 1024))
            return invalid(ctx, "invalid_client_secret", "client_secret", "client_secret is 1 to 1024 characters");
        const json_t *scopes = json_object_get(b, "scopes");
        json_t *sc = json_array();
        json_object_set_new(cfg, "scopes", sc);
        bool has_openid = false;
        if (scopes) {
            if (json_array_size(scopes) > GH_SSO_SCOPES_MAX)
                return invalid(ctx, "invalid_scopes", "scopes", "at most 20 scopes");
            size_t i;
            const json_t *s;
            json_array_foreach(scopes, i, s) {
                const char *v = json_string_value(s);
                if (!v || !scope_valid(v))
                    return invalid(ctx, "invalid_scopes", "scopes", "each scope is a word of printable ASCII without quotes");
                if (strcmp(v, "openid") == 0) has_openid = true;
                json_array_append_new(sc, json_string(v));
            }
            if (!has_openid) return invalid(ctx, "invalid_scopes", "scopes", "scopes must include openid");
        } else {
            json_array_append_new(sc, json_string("openid"));
            json_array_append_new(sc, json_string("email"));
            json_array_append_new(sc, json_string("profile"));
        }
    } else {
        if (not_for(ctx, b, oidc_only, "SAML") != GH_OK) return GH_E_INVALID;
        const json_t *xml = json_object_get(b, "idp_metadata_xml"), *url = json_object_get(b, "idp_metadata_url");
        if (!!xml == !!url)
            return invalid(ctx, "idp_metadata_required", xml ? "idp_metadata_url" : "idp_metadata_xml",
                           "give the IdP's metadata either as idp_metadata_xml or as idp_metadata_url");
        if (url) {
            if (check_url(ctx, "idp_metadata_url", json_string_value(url)) != GH_OK) return GH_E_INVALID;
            json_object_set_new(cfg, "idp_metadata_url", json_copy((json_t *)url));
        } else {
            const char *x = json_string_value(xml);
            size_t n = json_string_length(xml);
            if (n > GH_SSO_METADATA_XML_MAX)
                return invalid(ctx, "idp_metadata_too_large", "idp_metadata_xml", "the metadata is larger than 512 KiB");
            if (n != strlen(x) || !strstr(x, "EntityDescriptor"))
                return invalid(ctx, "invalid_idp_metadata", "idp_metadata_xml",
                               "this is not SAML metadata (no EntityDescriptor)");
            char why[300];
            if (!gh_saml_metadata_safe(x, why, sizeof why)) {
                why[0] = (char)toupper((unsigned char)why[0]);
                return invalid(ctx, "invalid_idp_metadata", "idp_metadata_xml", why);
            }
            json_object_set_new(cfg, "idp_metadata_xml", json_copy((json_t *)xml));
        }
    }
    const char *email_claim = json_string_value(json_object_get(b, "email_claim"));
    if (email_claim) {
        if (gh_check_text(&ctx->err, "invalid_claim", "email_claim", email_claim, 1, CLAIM_MAX) != GH_OK)
            return GH_E_INVALID;
    } else if (oidc) {
        email_claim = "email";
    }
    json_object_set_new(cfg, "email_claim", email_claim ? json_string(email_claim) : json_null());
    const char *groups_claim = json_string_value(json_object_get(b, "groups_claim"));
    if (groups_claim && gh_check_text(&ctx->err, "invalid_claim", "groups_claim", groups_claim, 1, CLAIM_MAX) != GH_OK)
        return GH_E_INVALID;
    json_object_set_new(cfg, "groups_claim", groups_claim ? json_string(groups_claim) : json_null());

    const json_t *jit = json_object_get(b, "jit");
    json_t *j = json_pack("{s:b, s:n, s:[]}", "enabled", 0, "default_role", "domains");
    json_object_set_new(cfg, "jit", j);
    if (jit) {
        bool enabled = json_is_true(json_object_get(jit, "enabled"));
        json_object_set_new(j, "enabled", json_boolean(enabled));
        const char *role = json_string_value(json_object_get(jit, "default_role"));
        if (role) json_object_set_new(j, "default_role", json_string(role));
        else if (enabled)
            return invalid(ctx, "missing_field", "jit.default_role", "creating people at first sign-in needs a default role");
        const json_t *domains = json_object_get(jit, "domains");
        json_t *dl = json_object_get(j, "domains");
        if (json_array_size(domains) > GH_SSO_DOMAINS_MAX)
            return invalid(ctx, "invalid_domain", "jit.domains", "at most 50 domains");
        size_t i;
        const json_t *d;
        json_array_foreach(domains, i, d) {
            const char *s = json_string_value(d);
            if (!s || !gh_sso_domain_valid(s))
                return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_domain", "jit.domains",
                                     "'%s' is not a domain name (lowercase, like acme.com)", s ? s : "");
            json_array_append_new(dl, json_string(s));
        }
        if (enabled && json_array_size(dl) == 0)
            return invalid(ctx, "missing_field", "jit.domains",
                           "creating people at first sign-in needs the e-mail domains they may come from");
    }
    /* The e-mail domains that lead to this IdP (?email= at sign-in). */
    const json_t *domains = json_object_get(b, "domains");
    json_t *dl = json_array();
    json_object_set_new(cfg, "domains", dl);
    if (json_array_size(domains) > GH_SSO_DOMAINS_MAX) return invalid(ctx, "invalid_domain", "domains", "at most 50 domains");
    size_t di;
    const json_t *dv;
    json_array_foreach(domains, di, dv) {
        const char *d = json_string_value(dv);
        if (!d || !gh_sso_domain_valid(d))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_domain", "domains",
                                 "'%s' is not a domain name (lowercase, like acme.com)", d ? d : "");
        size_t k;
        const json_t *seen;
        json_array_foreach(dl, k, seen) if (strcmp(json_string_value(seen), d) == 0)
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_domain", "domains", "'%s' is listed twice", d);
        json_array_append_new(dl, json_string(d));
    }
    const json_t *map = json_object_get(b, "role_map");
    json_t *m = json_object();
    json_object_set_new(cfg, "role_map", m);
    if (map) {
        if (json_object_size(map) > GH_SSO_ROLE_MAP_MAX)
            return invalid(ctx, "invalid_role_map", "role_map", "at most 100 groups");
        const char *group;
        const json_t *role;
        json_object_foreach((json_t *)map, group, role) {
            if (gh_check_text(&ctx->err, "invalid_role_map", "role_map", group, 1, GROUP_MAX) != GH_OK)
                return GH_E_INVALID;
            if (!json_is_string(role))
                return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_role_map", "role_map",
                                     "the group '%s' must map to a role key", group);
            json_object_set_new(m, group, json_copy((json_t *)role));
        }
    }
    return GH_OK;
}

/* The role named key exists in the org, is not a device role, and the
 * actor could give it to a new person (the no-escalation rule). */
static gh_status check_role(gh_ctx *ctx, const gh_org *o, const char *key, const char *field)
{
    gh_role r;
    gh_status st = gh_store_role_get(ctx->db, o->id, key, &r, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        return gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_role", field, "there is no role '%s'", key);
    }
    if (st != GH_OK) return st;
    if (r.device)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "device_role", field,
                             "'%s' is a device role; people signing in need a person's role", key);
    gh_user *hypo = calloc(1, sizeof *hypo);
    if (!hypo) return gh_ctx_oom(ctx);
    gh_strlcpy(hypo->org_id, o->id, sizeof hypo->org_id);
    gh_strlcpy(hypo->role_key, key, sizeof hypo->role_key);
    gh_strlcpy(hypo->status, "active", sizeof hypo->status);
    hypo->office_access = true;
    hypo->modules_all = true;
    st = gh_guard_confer(ctx, o, NULL, hypo);
    free(hypo);
    if (st != GH_OK && !ctx->err.field[0]) gh_strlcpy(ctx->err.field, field, sizeof ctx->err.field);
    return st;
}

static void secret_context(const char *org_id, char *out, size_t cap)
{
    snprintf(out, cap, "org_sso:%s:client_secret", org_id);
}

static json_t *row_json(const gh_org *o, const gh_sso_row *row)
{
    json_t *cfg = json_loads(row->config, 0, NULL);
    if (!cfg) return NULL;
    json_object_del(cfg, "configured_by");
    char url[1024];
    const char *base = gh_cfg()->base_url;
    if (strcmp(row->protocol, "oidc") == 0) {
        json_object_set_new(cfg, "client_secret_set", json_boolean(row->client_secret[0] != '\0'));
        json_object_set_new(cfg, "client_secret_key_id", gh_json_str_or_null(row->secret_kid));
        snprintf(url, sizeof url, "%s/v1/auth/sso/oidc/callback", base);
        json_object_set_new(cfg, "redirect_uri", json_string(url));
    } else {
        json_t *sp = json_object();
        snprintf(url, sizeof url, "%s/v1/auth/sso/%s/saml/metadata", base, o->slug);
        json_object_set_new(sp, "entity_id", json_string(url));
        json_object_set_new(sp, "metadata_url", json_string(url));
        snprintf(url, sizeof url, "%s/v1/auth/sso/%s/saml/acs", base, o->slug);
        json_object_set_new(sp, "acs_url", json_string(url));
        json_object_set_new(cfg, "sp", sp);
    }
    json_object_set_new(cfg, "required", json_boolean(row->required));
    json_object_set_new(cfg, "break_glass", gh_json_keylist(row->break_glass));
    json_object_set_new(cfg, "last_test_at", row->last_test_at ? gh_json_time(row->last_test_at) : json_null());
    json_object_set_new(cfg, "last_error", gh_json_str_or_null(row->last_error[0] ? row->last_error : NULL));
    json_object_set_new(cfg, "updated_at", gh_json_time(row->updated_at));
    return cfg;
}

gh_status gh_sso_get(gh_ctx *ctx, json_t **out)
{
    gh_sso_row *row = calloc(1, sizeof *row);
    gh_org o;
    *out = NULL;
    if (!row) return gh_ctx_oom(ctx);
    gh_status st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err);
    if (st == GH_OK) st = gh_store_sso_get(ctx->db, ctx->actor.org_id, row, &ctx->err);
    if (st == GH_OK && !(*out = row_json(&o, row))) st = gh_ctx_oom(ctx);
    gh_sso_row_release(row);
    free(row);
    return st;
}

/* The break-glass ids of body, each a person of the org, deduplicated,
 * space-separated into out. */
static gh_status break_glass_list(gh_ctx *ctx, const json_t *ids, char *out, size_t cap)
{
    out[0] = '\0';
    if (json_array_size(ids) > GH_SSO_BREAK_GLASS_MAX)
        return invalid(ctx, "invalid_break_glass", "break_glass", "at most 16 break-glass accounts");
    gh_user *u = malloc(sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    gh_status st = GH_OK;
    size_t i, len = 0;
    const json_t *x;
    json_array_foreach(ids, i, x) {
        const char *id = json_string_value(x);
        if (!id || strlen(id) >= GH_ID_MAX) {
            st = invalid(ctx, "invalid_break_glass", "break_glass", "break_glass lists user ids");
            goto out;
        }
        st = gh_store_user_get(ctx->db, ctx->actor.org_id, id, u, &ctx->err);
        if (st == GH_E_NOT_FOUND) {
            gh_err_clear(&ctx->err);
            st = gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_user", "break_glass", "there is no user %s", id);
        }
        if (st != GH_OK) goto out;
        if (gh_sso_id_listed(out, id)) continue;
        int w = snprintf(out + len, cap - len, "%s%s", len ? " " : "", id);
        if (w < 0 || (size_t)w >= cap - len) {
            st = invalid(ctx, "invalid_break_glass", "break_glass", "too many break-glass accounts");
            goto out;
        }
        len += (size_t)w;
    }
out:
    free(u);
    return st;
}

typedef struct {
    const json_t *body;
    json_t *cfg;       /* validated */
    gh_sso_row *old;   /* the stored configuration, if any */
    gh_sso_row *row;   /* the new one */
    gh_org o;
} put_op;

/* Writes the validated configuration with its domains, audited
 * sso.configured or sso.updated. */
static gh_status put_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    put_op *op = arg;
    const json_t *body = op->body;
    json_t *cfg = op->cfg, *detail = NULL;
    gh_sso_row *old = op->old, *row = op->row;
    gh_org *o = &op->o;
    char sctx[GH_ID_MAX + 40];
    gh_status st;
    bool have_old = false, secret_changed = false;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, o, &ctx->err)) != GH_OK) return st;
    st = gh_store_sso_get(ctx->db, o->id, old, &ctx->err);
    if (st == GH_E_NOT_FOUND) gh_err_clear(&ctx->err);
    else if (st != GH_OK) return st;
    else have_old = true;
    bool oidc = strcmp(json_string_value(json_object_get(cfg, "protocol")), "oidc") == 0;
    gh_strlcpy(row->org_id, o->id, sizeof row->org_id);
    gh_strlcpy(row->protocol, oidc ? "oidc" : "saml", sizeof row->protocol);
    /* The client secret: a new one is sealed; an absent one keeps the stored
     * one only while the issuer stays the same, so whoever repoints the
     * configuration at another server cannot make it send the old secret there. */
    if (oidc) {
        const json_t *secret = json_object_get(body, "client_secret");
        secret_context(o->id, sctx, sizeof sctx);
        if (secret) {
            if ((st = gh_secretbox_seal(sctx, json_string_value(secret), json_string_length(secret), row->client_secret,
                                        sizeof row->client_secret, &ctx->err)) != GH_OK)
                return st;
            gh_strlcpy(row->secret_kid, gh_secretbox_current_kid(), sizeof row->secret_kid);
            secret_changed = true;
        } else {
            json_t *oc = have_old ? json_loads(old->config, 0, NULL) : NULL;
            const char *oi = json_string_value(json_object_get(oc, "issuer"));
            bool same = have_old && strcmp(old->protocol, "oidc") == 0 && old->client_secret[0] && oi &&
                        strcmp(oi, json_string_value(json_object_get(cfg, "issuer"))) == 0;
            json_decref(oc);
            if (!same) {
                st = invalid(ctx, "client_secret_required", "client_secret",
                             have_old ? "a new issuer needs its client secret" : "client_secret is required");
                return st;
            }
            gh_strlcpy(row->client_secret, old->client_secret, sizeof row->client_secret);
            gh_strlcpy(row->secret_kid, old->secret_kid, sizeof row->secret_kid);
        }
    }
    /* Roles a sign-in may give: they exist, and the author could give them. */
    json_t *jit = json_object_get(cfg, "jit");
    const char *dr = json_string_value(json_object_get(jit, "default_role"));
    if (dr && (st = check_role(ctx, o, dr, "jit.default_role")) != GH_OK) return st;
    const char *group;
    json_t *role;
    json_object_foreach(json_object_get(cfg, "role_map"), group, role) {
        if ((st = check_role(ctx, o, json_string_value(role), "role_map")) != GH_OK) return st;
    }
    if ((st = break_glass_list(ctx, json_object_get(body, "break_glass"), row->break_glass,
                               sizeof row->break_glass)) != GH_OK)
        return st;
    row->required = json_is_true(json_object_get(body, "required"));
    if (row->required && ctx->actor.type == GH_ACTOR_USER && !gh_sso_id_listed(row->break_glass, ctx->actor.id) &&
        gh_store_identity_count_for_user(ctx->db, o->id, ctx->actor.id) <= 0) {
        st = gh_fail_field(&ctx->err, GH_E_CONFLICT, "self_lockout", "required",
                           "you would lose password sign-in before you have signed in with this IdP once:"
                           " add yourself to break_glass, or sign in with SSO first");
        return st;
    }
    json_object_set_new(cfg, "configured_by", json_string(ctx->actor.id));
    row->config = gh_json_dump(cfg, JSON_COMPACT);
    if (!row->config) return gh_ctx_oom(ctx);
    if (strlen(row->config) > GH_SSO_CONFIG_MAX) {
        st = gh_fail(&ctx->err, GH_E_TOO_LARGE, "sso_config_too_large", "the configuration is too large");
        return st;
    }
    int64_t now = gh_now();
    row->created_at = have_old ? old->created_at : now;
    row->updated_at = now;
    if ((st = gh_store_sso_put(ctx->db, row, &ctx->err)) != GH_OK) return st;
    /* The declared domains, unique across organizations (409 domain_taken). */
    if ((st = gh_store_sso_domains_clear(ctx->db, o->id, &ctx->err)) != GH_OK) return st;
    size_t di;
    json_t *dv;
    json_array_foreach(json_object_get(cfg, "domains"), di, dv) {
        if ((st = gh_store_sso_domain_add(ctx->db, o->id, json_string_value(dv), &ctx->err)) != GH_OK) return st;
    }
    /* Required SSO needs an active break-glass account that can manage users
     * (the same check every lock, delete and role change runs). */
    if ((st = gh_accounts_check_invariants(ctx, o->id, false)) != GH_OK) return st;
    detail = json_pack("{s:s, s:s, s:b, s:b, s:b, s:o}", "protocol", row->protocol, "display_name",
                       json_string_value(json_object_get(cfg, "display_name")), "required", row->required,
                       "jit", json_is_true(json_object_get(jit, "enabled")), "secret_changed", secret_changed,
                       "break_glass", gh_json_keylist(row->break_glass));
    if (!detail) return gh_ctx_oom(ctx);
    const char *where = json_string_value(json_object_get(cfg, oidc ? "issuer" : "idp_metadata_url"));
    if (where) json_object_set_new(detail, oidc ? "issuer" : "idp_metadata_url", json_string(where));
    if (dr) json_object_set_new(detail, "default_role", json_string(dr));
    json_object_set_new(detail, "role_map", json_copy(json_object_get(cfg, "role_map")));
    json_object_set_new(detail, "domains", json_copy(json_object_get(cfg, "domains")));
    gh_tx_event(tx, have_old ? "sso.updated" : "sso.configured", "org", o->id, detail);
    return GH_OK;
}

gh_status gh_sso_put(gh_ctx *ctx, const json_t *body, json_t **out)
{
    gh_sso_row *old = calloc(1, sizeof *old), *row = calloc(1, sizeof *row);
    json_t *cfg = json_object();
    gh_status st = GH_E_INTERNAL;
    *out = NULL;
    if (!old || !row || !cfg) { st = gh_ctx_oom(ctx); goto out; }
    if ((st = validate(ctx, body, cfg)) != GH_OK) goto out;
    put_op op = {.body = body, .cfg = cfg, .old = old, .row = row};
    /* SSO settings are not in the authorization snapshot: no refresh (as before). */
    if ((st = gh_tx_run_no_refresh(ctx, put_change, &op)) != GH_OK) goto out;
    if (!(*out = row_json(&op.o, row))) st = gh_ctx_oom(ctx);
out:
    json_decref(cfg);
    if (row) {
        sodium_memzero(row->client_secret, sizeof row->client_secret);
        free(row->config);
    }
    if (old) gh_sso_row_release(old);
    free(old);
    free(row);
    return st;
}

static gh_status sso_delete_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    (void)arg;
    gh_status st = gh_store_sso_delete(ctx->db, ctx->actor.org_id, &ctx->err);
    if (st != GH_OK) return st;
    gh_tx_event(tx, "sso.removed", "org", ctx->actor.org_id, NULL);
    return GH_OK;
}

gh_status gh_sso_delete(gh_ctx *ctx)
{
    /* SSO settings are not in the authorization snapshot: no refresh (as before). */
    return gh_tx_run_no_refresh(ctx, sso_delete_change, NULL);
}

gh_status gh_sso_policy(gh_ctx *ctx, const char *org_id, bool *required, char *break_glass, size_t cap)
{
    char bg[GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX];
    gh_status st = gh_store_sso_policy(ctx->db, org_id, required, bg, &ctx->err);
    if (st == GH_OK && break_glass) gh_strlcpy(break_glass, bg, cap);
    return st;
}

gh_status gh_sso_password_allowed(gh_ctx *ctx, const char *org_id, const char *user_id)
{
    bool required = false;
    char bg[GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX];
    gh_status st = gh_store_sso_policy(ctx->db, org_id, &required, bg, &ctx->err);
    if (st != GH_OK) return st;
    if (required && !gh_sso_id_listed(bg, user_id))
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "sso_required",
                       "this organization signs in with its company account: use \"Sign in with\" your IdP");
    return GH_OK;
}

gh_status gh_sso_org_for_email(gh_ctx *ctx, const char *email, char slug[GH_SSO_SLUG_MAX])
{
    const char *at = email ? strrchr(email, '@') : NULL;
    char domain[256];
    gh_org o;
    if (!email || !gh_email_valid(email) || !at || strlen(at + 1) >= sizeof domain)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_email", "email", "Give an e-mail address like ana@acme.com");
    size_t n = 0;
    for (const char *p = at + 1; *p; p++) domain[n++] = (char)tolower((unsigned char)*p);
    domain[n] = '\0';
    char org_id[GH_ID_MAX];
    gh_status st = gh_store_sso_domain_org(ctx->db, domain, org_id, &ctx->err);
    if (st == GH_OK) st = gh_store_org_get(ctx->db, org_id, &o, &ctx->err);
    if (st == GH_E_NOT_FOUND) { /* the same answer as an org without SSO */
        gh_err_clear(&ctx->err);
        return gh_fail(&ctx->err, GH_E_NOT_FOUND, "sso_not_configured", "no company sign-in here");
    }
    if (st == GH_OK) gh_strlcpy(slug, o.slug, GH_SSO_SLUG_MAX);
    return st;
}

gh_status gh_sso_discover(gh_ctx *ctx, const char *slug, const char *email, json_t **out)
{
    gh_org o;
    gh_sso_row *row = calloc(1, sizeof *row);
    char by_email[GH_SSO_SLUG_MAX];
    gh_status st = GH_OK;
    *out = NULL;
    if (!row) return gh_ctx_oom(ctx);
    if (email && slug) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_query", "email", "Give either org or email, not both");
        goto out;
    }
    if (email && (st = gh_sso_org_for_email(ctx, email, by_email)) != GH_OK) goto out;
    if (email) slug = by_email;
    st = slug && *slug ? gh_store_org_get_by_slug(ctx->db, slug, &o, &ctx->err) : gh_store_org_get_single(ctx->db, &o, &ctx->err);
    if (st == GH_OK) st = gh_store_sso_get(ctx->db, o.id, row, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        st = gh_fail(&ctx->err, GH_E_NOT_FOUND, "sso_not_configured", "no company sign-in here");
    }
    if (st == GH_OK) {
        json_t *cfg = json_loads(row->config, 0, NULL);
        const char *name = json_string_value(json_object_get(cfg, "display_name"));
        if (email) {
            /* by e-mail: the button's name only, not which organization */
            char *q = curl_easy_escape(NULL, email, 0);
            size_t cap = (q ? strlen(q) : 0) + 40;
            char *url = q ? malloc(cap) : NULL;
            if (url) snprintf(url, cap, "/v1/auth/sso/start?email=%s", q);
            *out = url ? json_pack("{s:s?, s:s}", "display_name", name, "start_url", url) : NULL;
            free(url);
            curl_free(q);
        } else {
            char url[200];
            snprintf(url, sizeof url, "/v1/auth/sso/start?org=%s", o.slug);
            *out = json_pack("{s:s, s:s, s:s, s:s?, s:s}", "org", o.slug, "org_name", o.name, "protocol", row->protocol,
                             "display_name", name, "start_url", url);
        }
        json_decref(cfg);
        if (!*out) st = gh_ctx_oom(ctx);
    }
out:
    gh_sso_row_release(row);
    free(row);
    return st;
}
