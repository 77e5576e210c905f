/* SAML 2.0 sign-in through lasso: see saml.h.
 *
 * Over 600 lines: the lasso calls of one sign-in (the request, the checks
 * of the response, reading the assertion) share lasso's objects and their
 * one cleanup path; the SP keys and metadata are in core/samlsp.c. */
#include "core/saml.h"

#include <lasso/lasso.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_audience_restriction.h>
#include <lasso/xml/saml-2.0/saml2_authn_statement.h>
#include <lasso/xml/saml-2.0/saml2_conditions.h>
#include <lasso/xml/saml-2.0/saml2_strings.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/audit.h"
#include "core/idphttp.h"
#include "core/samlsp.h"
#include "core/secretbox.h"
#include "core/sso.h"
#include "store/store.h"
#include "util/json.h"
#include "util/log.h"


#define REQUEST_ID_MAX 128
#define ASSERTION_ID_MAX 256
#define METADATA_TTL_S 3600

struct gh_saml_flow {
    gh_org org;
    json_t *cfg;
    char *idp_xml;                       /* inline metadata, or fetched in run */
    char *idp_url;
    char *sp_metadata;
    char *cert_pem;
    char *key_pem;                       /* wiped in gh_saml_flow_free */
    char sp_entity_id[GH_SAML_URL_MAX], acs_url[GH_SAML_URL_MAX];
    bool reauth;
    char purpose[64];
    char user_id[GH_ID_MAX];
    char state[GH_TOKEN_LEN + 1];
    char state_hash[GH_HASH_HEX_LEN + 1];
    char request_id[REQUEST_ID_MAX];
    int64_t requested_at;
    char *response;                      /* acs: the base64 SAMLResponse */
    char *location;                      /* start: where the browser goes */
    bool ok;
    char reason[48];
    char error[512];
    char idp_entity_id[512];
    char assertion_id[ASSERTION_ID_MAX];
    int64_t assertion_expires;
    json_t *claims;
};

int gh_saml_init(char *err, size_t errlen)
{
    int rc = lasso_init();
    if (rc != 0) {
        snprintf(err, errlen, "lasso_init: %s", lasso_strerror(rc));
        return -1;
    }
    return 0;
}

void gh_saml_flow_free(void *flow)
{
    gh_saml_flow *f = flow;
    if (!f) return;
    json_decref(f->cfg);
    json_decref(f->claims);
    free(f->idp_xml);
    free(f->idp_url);
    free(f->sp_metadata);
    free(f->cert_pem);
    if (f->key_pem) { sodium_memzero(f->key_pem, strlen(f->key_pem)); free(f->key_pem); }
    free(f->response);
    free(f->location);
    sodium_memzero(f, sizeof *f);
    free(f);
}

const char *gh_saml_flow_org_slug(const gh_saml_flow *f) { return f ? f->org.slug : ""; }

__attribute__((format(printf, 3, 4)))
static void flow_fail(gh_saml_flow *f, const char *reason, const char *fmt, ...)
{
    if (!f->ok) return; /* keep the first */
    f->ok = false;
    gh_strlcpy(f->reason, reason, sizeof f->reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->error, sizeof f->error, fmt, ap);
    va_end(ap);
}

/* Loads the org (by slug) and its SAML configuration into f. */
static gh_status load_org(gh_ctx *ctx, gh_saml_flow *f, const char *org_slug, const char *org_id)
{
    gh_sso_row *row = calloc(1, sizeof *row);
    gh_status st;
    if (!row) return gh_ctx_oom(ctx);
    if (org_id) st = gh_store_org_get(ctx->db, org_id, &f->org, &ctx->err);
    else if (org_slug && *org_slug) st = gh_store_org_get_by_slug(ctx->db, org_slug, &f->org, &ctx->err);
    else st = gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "org", "name the organization (?org=slug)");
    if (st == GH_OK) st = gh_store_sso_get(ctx->db, f->org.id, row, &ctx->err);
    if (st == GH_OK && strcmp(row->protocol, "saml") != 0) st = GH_E_NOT_FOUND;
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        st = gh_fail(&ctx->err, GH_E_NOT_FOUND, "sso_not_configured", "this organization has no SAML sign-in");
    }
    if (st != GH_OK) goto out;
    f->cfg = json_loads(row->config, 0, NULL);
    if (!f->cfg) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "the stored configuration is damaged"); goto out; }
    const char *x = json_string_value(json_object_get(f->cfg, "idp_metadata_xml"));
    const char *u = json_string_value(json_object_get(f->cfg, "idp_metadata_url"));
    if ((x && !(f->idp_xml = strdup(x))) || (u && !(f->idp_url = strdup(u)))) { st = gh_ctx_oom(ctx); goto out; }
    gh_saml_sp_urls(&f->org, f->sp_entity_id, sizeof f->sp_entity_id, f->acs_url, sizeof f->acs_url);
    st = GH_OK;
out:
    gh_sso_row_release(row);
    free(row);
    return st;
}

static bool uses_saml(gh_ctx *ctx, const char *slug, const char *org_id)
{
    gh_org o;
    char proto[8] = "";
    gh_sso_row *row = calloc(1, sizeof *row);
    if (!row) return false;
    gh_status st = org_id ? gh_store_org_get(ctx->db, org_id, &o, &ctx->err)
                          : gh_store_org_get_by_slug(ctx->db, slug ? slug : "", &o, &ctx->err);
    if (st == GH_OK && gh_store_sso_get(ctx->db, o.id, row, &ctx->err) == GH_OK)
        gh_strlcpy(proto, row->protocol, sizeof proto);
    gh_err_clear(&ctx->err);
    gh_sso_row_release(row);
    free(row);
    return strcmp(proto, "saml") == 0;
}

bool gh_saml_org_uses_saml(gh_ctx *ctx, const char *org_slug) { return uses_saml(ctx, org_slug, NULL); }
bool gh_saml_org_id_uses_saml(gh_ctx *ctx, const char *org_id) { return uses_saml(ctx, NULL, org_id); }

gh_status gh_saml_metadata(gh_ctx *ctx, const char *org_slug, char **xml)
{
    gh_saml_flow *f = calloc(1, sizeof *f);
    char *cert = NULL;
    gh_status st;
    *xml = NULL;
    if (!f) return gh_ctx_oom(ctx);
    if ((st = load_org(ctx, f, org_slug, NULL)) != GH_OK) goto out;
    if ((st = gh_saml_sp_key(ctx, &f->org, &cert, NULL)) != GH_OK) goto out;
    if (!(*xml = gh_saml_sp_metadata_xml(&f->org, cert))) st = gh_ctx_oom(ctx);
out:
    free(cert);
    gh_saml_flow_free(f);
    return st;
}

/* ---- IdP metadata (inline, or fetched and cached per URL) ------------------------ */
#define MD_SLOTS 16
typedef struct md_slot {
    char url[GH_SSO_URL_MAX + 1];
    char *xml;
    int64_t fetched_at;
} md_slot;
static pthread_mutex_t md_mu = PTHREAD_MUTEX_INITIALIZER;
static md_slot md_cache[MD_SLOTS];

static bool idp_metadata(gh_saml_flow *f)
{
    if (f->idp_xml) return true;
    int64_t now = gh_now();
    pthread_mutex_lock(&md_mu);
    for (size_t i = 0; i < MD_SLOTS; i++)
        if (md_cache[i].xml && strcmp(md_cache[i].url, f->idp_url) == 0 && now - md_cache[i].fetched_at < METADATA_TTL_S)
            f->idp_xml = strdup(md_cache[i].xml);
    pthread_mutex_unlock(&md_mu);
    if (f->idp_xml) return true;
    char *body = NULL, err[512];
    size_t len = 0;
    long status = 0;
    if (!gh_idphttp_get(f->idp_url, "application/samlmetadata+xml, application/xml", GH_SSO_METADATA_XML_MAX, &body,
                        &len, &status, err, sizeof err)) {
        flow_fail(f, "idp_unreachable", "%s", err);
        return false;
    }
    if (status != 200 || strlen(body) != len) {
        free(body);
        flow_fail(f, "idp_unreachable", "%s answered HTTP %ld", f->idp_url, status);
        return false;
    }
    f->idp_xml = body;
    pthread_mutex_lock(&md_mu);
    md_slot *c = &md_cache[0];
    for (size_t i = 0; i < MD_SLOTS; i++) {
        if (strcmp(md_cache[i].url, f->idp_url) == 0) { c = &md_cache[i]; break; }
        if (md_cache[i].fetched_at < c->fetched_at) c = &md_cache[i];
    }
    free(c->xml);
    c->xml = strdup(body);
    gh_strlcpy(c->url, f->idp_url, sizeof c->url);
    c->fetched_at = now;
    pthread_mutex_unlock(&md_mu);
    return true;
}

/* The only provider of a server with one IdP added. */
static const char *only_provider(LassoServer *s, size_t *count)
{
    GHashTableIter it;
    gpointer k, v;
    const char *id = NULL;
    *count = 0;
    g_hash_table_iter_init(&it, s->providers);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        id = k;
        (*count)++;
    }
    return id;
}

/* A lasso server: gatehouse's SP with the org's key, and the IdP. */
static LassoServer *make_server(gh_saml_flow *f)
{
    if (!idp_metadata(f)) return NULL;
    char why[300];
    if (!gh_saml_metadata_safe(f->idp_xml, why, sizeof why)) { /* lasso would crash on it (samlsp.h) */
        flow_fail(f, "idp_metadata_invalid", "the IdP's metadata cannot be used: %s", why);
        return NULL;
    }
    LassoServer *s = lasso_server_new_from_buffers(f->sp_metadata, f->key_pem, NULL, f->cert_pem);
    if (!s) {
        flow_fail(f, "internal", "gatehouse's SAML service provider could not be set up");
        return NULL;
    }
    int rc = lasso_server_add_provider_from_buffer(s, LASSO_PROVIDER_ROLE_IDP, f->idp_xml, NULL, NULL);
    size_t n = 0;
    const char *id = rc == 0 ? only_provider(s, &n) : NULL;
    if (rc != 0 || n != 1 || !id) {
        flow_fail(f, "idp_metadata_invalid", "the IdP's metadata cannot be used%s%s",
                  rc ? ": " : " (it must name exactly one identity provider)", rc ? lasso_strerror(rc) : "");
        lasso_server_destroy(s);
        return NULL;
    }
    gh_strlcpy(f->idp_entity_id, id, sizeof f->idp_entity_id);
    return s;
}

/* ---- start --------------------------------------------------------------------- */
static gh_status new_state(gh_ctx *ctx, gh_saml_flow *f)
{
    gh_sso_state *s = calloc(1, sizeof *s);
    gh_status st;
    if (!s) return gh_ctx_oom(ctx);
    gh_token_new(f->state);
    gh_token_hash(f->state, f->state_hash);
    f->requested_at = gh_now();
    gh_strlcpy(s->state_hash, f->state_hash, sizeof s->state_hash);
    gh_strlcpy(s->org_id, f->org.id, sizeof s->org_id);
    gh_strlcpy(s->purpose, f->purpose, sizeof s->purpose);
    gh_strlcpy(s->user_id, f->user_id, sizeof s->user_id);
    s->created_at = f->requested_at;
    s->expires_at = f->requested_at + GH_OIDC_STATE_TTL_S;
    /* the request id is known after run: stored in finish */
    s->verifier[0] = '\0';
    /* Not gh_tx_run: the flow's state row only, with no actor re-check (as a re-auth start needs). */
    if ((st = gh_db_begin(ctx->db, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_store_sso_state_purge(ctx->db, f->requested_at, &ctx->err)) != GH_OK ||
        (st = gh_store_sso_state_insert(ctx->db, s, &ctx->err)) != GH_OK) {
        gh_ctx_rollback(ctx, st);
        goto out;
    }
    st = gh_db_commit(ctx->db, &ctx->err);
out:
    free(s);
    return st;
}

gh_status gh_saml_start_prepare(gh_ctx *ctx, const char *org_slug, const char *why, gh_saml_flow **out)
{
    gh_saml_flow *f = calloc(1, sizeof *f);
    gh_status st;
    *out = NULL;
    if (!f) return gh_ctx_oom(ctx);
    if (why) {
        if (ctx->actor.type != GH_ACTOR_USER) {
            st = gh_fail(&ctx->err, GH_E_FORBIDDEN, "user_session_required", "only a person can re-authenticate");
            goto out;
        }
        st = load_org(ctx, f, NULL, ctx->actor.org_id);
        snprintf(f->purpose, sizeof f->purpose, "reauth:%s", why);
        gh_strlcpy(f->user_id, ctx->actor.id, sizeof f->user_id);
        f->reauth = true;
    } else {
        st = load_org(ctx, f, org_slug, NULL);
        gh_strlcpy(f->purpose, "login", sizeof f->purpose);
    }
    if (st != GH_OK) goto out;
    if ((st = gh_saml_sp_key(ctx, &f->org, &f->cert_pem, &f->key_pem)) != GH_OK) goto out;
    if (!(f->sp_metadata = gh_saml_sp_metadata_xml(&f->org, f->cert_pem))) { st = gh_ctx_oom(ctx); goto out; }
    if ((st = new_state(ctx, f)) != GH_OK) goto out;
    *out = f;
    f = NULL;
out:
    gh_saml_flow_free(f);
    return st;
}

static void set_gstr(char **field, const char *v)
{
    g_free(*field);
    *field = g_strdup(v);
}

void gh_saml_start_run(void *flow)
{
    gh_saml_flow *f = flow;
    f->ok = true;
    LassoServer *s = make_server(f);
    if (!s) return;
    LassoLogin *login = lasso_login_new(s);
    int rc = login ? lasso_login_init_authn_request(login, f->idp_entity_id, LASSO_HTTP_METHOD_REDIRECT) : -1;
    if (rc != 0) {
        flow_fail(f, "idp_metadata_invalid", "cannot make a request for this IdP: %s",
                  login ? lasso_strerror(rc) : "out of memory");
        goto out;
    }
    LassoProfile *p = LASSO_PROFILE(login);
    LassoSamlp2AuthnRequest *req = LASSO_SAMLP2_AUTHN_REQUEST(p->request);
    req->ForceAuthn = f->reauth ? TRUE : FALSE;
    req->IsPassive = FALSE;
    if (req->NameIDPolicy) {
        set_gstr(&req->NameIDPolicy->Format, LASSO_SAML2_NAME_IDENTIFIER_FORMAT_UNSPECIFIED);
        req->NameIDPolicy->AllowCreate = TRUE;
    }
    set_gstr(&req->ProtocolBinding, LASSO_SAML2_METADATA_BINDING_POST);
    set_gstr(&req->AssertionConsumerServiceURL, f->acs_url);
    set_gstr(&p->msg_relayState, f->state);
    if ((rc = lasso_login_build_authn_request_msg(login)) != 0 || !p->msg_url) {
        flow_fail(f, "idp_metadata_invalid", "cannot make a request for this IdP: %s", lasso_strerror(rc));
        goto out;
    }
    const char *id = LASSO_SAMLP2_REQUEST_ABSTRACT(p->request)->ID;
    gh_strlcpy(f->request_id, id ? id : "", sizeof f->request_id);
    if (!(f->location = strdup(p->msg_url))) flow_fail(f, "internal", "out of memory");
out:
    if (login) lasso_login_destroy(login);
    lasso_server_destroy(s);
}

gh_status gh_saml_start_finish(gh_ctx *ctx, gh_saml_flow *f, char **location)
{
    *location = NULL;
    if (!f->ok)
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "sso_failed", "the company sign-in cannot start: %s", f->error);
    /* the state remembers the request, for InResponseTo */
    /* Not gh_tx_run: the flow's state row only, with no actor re-check. */
    gh_status st = gh_db_begin(ctx->db, &ctx->err);
    if (st != GH_OK) return st;
    if ((st = gh_store_sso_state_set_verifier(ctx->db, f->state_hash, f->request_id, &ctx->err)) != GH_OK)
        return gh_ctx_rollback(ctx, st);
    if ((st = gh_db_commit(ctx->db, &ctx->err)) != GH_OK) return st;
    *location = f->location;
    f->location = NULL;
    return GH_OK;
}

/* ---- ACS ---------------------------------------------------------------------- */
gh_status gh_saml_acs_prepare(gh_ctx *ctx, const char *org_slug, const char *saml_response, const char *relay_state,
                              gh_saml_flow **out)
{
    gh_saml_flow *f = calloc(1, sizeof *f);
    gh_sso_state *s = calloc(1, sizeof *s);
    gh_status st;
    *out = NULL;
    if (!f || !s) { st = gh_ctx_oom(ctx); goto out; }
    if ((st = load_org(ctx, f, org_slug, NULL)) != GH_OK) goto out;
    if (!saml_response || !*saml_response) {
        st = gh_sso_refuse(ctx, f->org.id, NULL, "response_missing", "the IdP sent no SAMLResponse");
        goto out;
    }
    if (!relay_state || strlen(relay_state) != GH_TOKEN_LEN) {
        st = gh_sso_refuse(ctx, f->org.id, NULL, "unsolicited_response",
                           "this answer was not asked for by gatehouse (no RelayState): start from the sign-in page;"
                           " IdP-initiated sign-in is not accepted");
        goto out;
    }
    gh_token_hash(relay_state, f->state_hash);
    st = gh_store_sso_state_get(ctx->db, f->state_hash, s, &ctx->err);
    if (st == GH_E_NOT_FOUND || (st == GH_OK && strcmp(s->org_id, f->org.id) != 0)) {
        st = gh_sso_refuse(ctx, f->org.id, NULL, "state_invalid", "this sign-in is not valid; start again from the sign-in page");
        goto out;
    }
    if (st != GH_OK) goto out;
    if (gh_now() > s->expires_at) {
        st = gh_sso_refuse(ctx, f->org.id, NULL, "state_expired", "this sign-in took longer than 10 minutes; start again");
        goto out;
    }
    memcpy(f->state, relay_state, GH_TOKEN_LEN + 1);
    gh_strlcpy(f->request_id, s->verifier, sizeof f->request_id);
    gh_strlcpy(f->purpose, s->purpose, sizeof f->purpose);
    gh_strlcpy(f->user_id, s->user_id, sizeof f->user_id);
    f->reauth = strncmp(s->purpose, "reauth:", 7) == 0;
    f->requested_at = s->created_at;
    if ((st = gh_saml_sp_key(ctx, &f->org, &f->cert_pem, &f->key_pem)) != GH_OK) goto out;
    if (!(f->sp_metadata = gh_saml_sp_metadata_xml(&f->org, f->cert_pem)) || !(f->response = strdup(saml_response))) {
        st = gh_ctx_oom(ctx);
        goto out;
    }
    *out = f;
    f = NULL;
out:
    free(s);
    gh_saml_flow_free(f);
    return st;
}

static const char *text_of(LassoNode *n)
{
    if (n && LASSO_IS_MISC_TEXT_NODE(n)) return LASSO_MISC_TEXT_NODE(n)->content;
    return NULL;
}

/* The assertion's attributes as claims: one value a string, several an array. */
static void add_attributes(json_t *claims, LassoSaml2Assertion *a)
{
    for (GList *st = a->AttributeStatement; st; st = st->next) {
        if (!LASSO_IS_SAML2_ATTRIBUTE_STATEMENT(st->data)) continue;
        for (GList *at = LASSO_SAML2_ATTRIBUTE_STATEMENT(st->data)->Attribute; at; at = at->next) {
            if (!LASSO_IS_SAML2_ATTRIBUTE(at->data)) continue;
            LassoSaml2Attribute *attr = LASSO_SAML2_ATTRIBUTE(at->data);
            if (!attr->Name || strcmp(attr->Name, "sub") == 0) continue;
            json_t *vals = json_array();
            for (GList *v = attr->AttributeValue; v && vals; v = v->next) {
                if (!LASSO_IS_SAML2_ATTRIBUTE_VALUE(v->data)) continue;
                GList *any = LASSO_SAML2_ATTRIBUTE_VALUE(v->data)->any;
                const char *t = any ? text_of(any->data) : NULL;
                if (t) json_array_append_new(vals, json_string(t));
            }
            if (!vals) continue;
            if (json_array_size(vals) == 1) json_object_set(claims, attr->Name, json_array_get(vals, 0));
            else json_object_set(claims, attr->Name, vals);
            json_decref(vals);
        }
    }
}

/* Checks the time window [not_before, not_on_or_after) against now with skew. */
static bool in_window(gh_saml_flow *f, const char *what, const char *nb, const char *noa, int64_t now)
{
    if (nb) {
        int64_t t = gh_saml_parse_time(nb);
        if (t < 0) { flow_fail(f, "response_invalid", "the %s's NotBefore is not a SAML time", what); return false; }
        if (now + GH_SAML_SKEW_S < t) {
            flow_fail(f, "clock_skew", "the %s is valid only from %s; the clocks differ by more than %d s", what, nb,
                      GH_SAML_SKEW_S);
            return false;
        }
    }
    if (noa) {
        int64_t t = gh_saml_parse_time(noa);
        if (t < 0) { flow_fail(f, "response_invalid", "the %s's NotOnOrAfter is not a SAML time", what); return false; }
        if (now - GH_SAML_SKEW_S >= t) {
            flow_fail(f, "assertion_expired", "the %s expired at %s", what, noa);
            return false;
        }
        if (t + GH_SAML_SKEW_S > f->assertion_expires) f->assertion_expires = t + GH_SAML_SKEW_S;
    }
    return true;
}

/* Does the assertion as received carry its own XML signature? */
static bool assertion_signed(LassoSaml2Assertion *a)
{
    xmlNode *n = lasso_node_get_original_xmlnode(LASSO_NODE(a));
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href && xmlStrEqual(c->name, BAD_CAST "Signature") &&
            xmlStrEqual(c->ns->href, BAD_CAST "http://www.w3.org/2000/09/xmldsig#"))
            return true;
    return false;
}

static void check_response(gh_saml_flow *f, LassoLogin *login)
{
    LassoProfile *p = LASSO_PROFILE(login);
    int64_t now = gh_now();
    if (!LASSO_IS_SAMLP2_RESPONSE(p->response)) { flow_fail(f, "response_invalid", "this is not a SAML response"); return; }
    LassoSamlp2Response *resp = LASSO_SAMLP2_RESPONSE(p->response);
    LassoSamlp2StatusResponse *sr = LASSO_SAMLP2_STATUS_RESPONSE(p->response);
    if (sr->Destination && strcmp(sr->Destination, f->acs_url) != 0) {
        flow_fail(f, "destination_mismatch", "the response is addressed to %s, not to %s", sr->Destination, f->acs_url);
        return;
    }
    if (!sr->InResponseTo || !f->request_id[0] || strcmp(sr->InResponseTo, f->request_id) != 0) {
        flow_fail(f, "in_response_to_mismatch", "the response does not answer the request gatehouse sent");
        return;
    }
    if (g_list_length(resp->EncryptedAssertion) > 0) {
        flow_fail(f, "response_invalid", "encrypted assertions are not supported: switch assertion encryption off");
        return;
    }
    if (g_list_length(resp->Assertion) != 1 || !LASSO_IS_SAML2_ASSERTION(resp->Assertion->data)) {
        flow_fail(f, "response_invalid", "the response must carry exactly one assertion");
        return;
    }
    LassoSaml2Assertion *a = LASSO_SAML2_ASSERTION(resp->Assertion->data);
    /* lasso verified the response's signature (status 0) or, when the
     * response is not signed, the assertion's (it fails the message when
     * neither is signed or a signature does not verify); checked again
     * here so nothing unsigned passes whatever lasso's defaults become. */
    int sig = lasso_profile_get_signature_status(p);
    if (sig != 0 && !(sig == LASSO_DS_ERROR_SIGNATURE_NOT_FOUND && assertion_signed(a))) {
        flow_fail(f, "unsigned", "neither the response nor the assertion carries a valid signature of the IdP");
        return;
    }
    if (!a->Issuer || !a->Issuer->content || strcmp(a->Issuer->content, f->idp_entity_id) != 0) {
        flow_fail(f, "issuer_mismatch", "the assertion was issued by %s, not by %s",
                  a->Issuer && a->Issuer->content ? a->Issuer->content : "nobody", f->idp_entity_id);
        return;
    }
    if (!a->ID || !*a->ID || strlen(a->ID) >= sizeof f->assertion_id) {
        flow_fail(f, "response_invalid", "the assertion has no usable ID");
        return;
    }
    gh_strlcpy(f->assertion_id, a->ID, sizeof f->assertion_id);
    /* audience */
    LassoSaml2Conditions *c = a->Conditions;
    bool audience = false, restricted = false;
    for (GList *l = c ? c->AudienceRestriction : NULL; l; l = l->next) {
        if (!LASSO_IS_SAML2_AUDIENCE_RESTRICTION(l->data)) continue;
        restricted = true;
        const char *aud = LASSO_SAML2_AUDIENCE_RESTRICTION(l->data)->Audience;
        if (aud && strcmp(aud, f->sp_entity_id) == 0) audience = true;
    }
    if (!restricted || !audience) {
        flow_fail(f, "audience_mismatch", "the assertion is meant for another service provider, not %s; check the"
                  " SP entity id configured at the IdP", f->sp_entity_id);
        return;
    }
    if (!in_window(f, "assertion", c->NotBefore, c->NotOnOrAfter, now)) return;
    /* bearer subject confirmation */
    LassoSaml2Subject *sub = a->Subject;
    LassoSaml2SubjectConfirmation *sc = sub ? sub->SubjectConfirmation : NULL;
    LassoSaml2SubjectConfirmationData *scd = sc ? sc->SubjectConfirmationData : NULL;
    if (!sc || !sc->Method || strcmp(sc->Method, LASSO_SAML2_CONFIRMATION_METHOD_BEARER) != 0 || !scd) {
        flow_fail(f, "response_invalid", "the assertion has no bearer subject confirmation");
        return;
    }
    if (!scd->Recipient || strcmp(scd->Recipient, f->acs_url) != 0) {
        flow_fail(f, "recipient_mismatch", "the assertion is for %s, not for gatehouse's ACS URL %s",
                  scd->Recipient ? scd->Recipient : "no recipient", f->acs_url);
        return;
    }
    if (scd->InResponseTo && strcmp(scd->InResponseTo, f->request_id) != 0) {
        flow_fail(f, "in_response_to_mismatch", "the assertion does not answer the request gatehouse sent");
        return;
    }
    if (!scd->NotOnOrAfter && !c->NotOnOrAfter) {
        flow_fail(f, "response_invalid", "the assertion has no NotOnOrAfter");
        return;
    }
    if (!in_window(f, "assertion's subject confirmation", scd->NotBefore, scd->NotOnOrAfter, now)) return;
    if (!sub->NameID || !sub->NameID->content || !*sub->NameID->content) {
        flow_fail(f, "nameid_missing", "the assertion names nobody (no NameID; encrypted NameIDs are not supported)");
        return;
    }
    if (sub->NameID->Format && strcmp(sub->NameID->Format, LASSO_SAML2_NAME_IDENTIFIER_FORMAT_TRANSIENT) == 0) {
        flow_fail(f, "nameid_transient", "the IdP sent a transient NameID, which changes at every sign-in: configure"
                  " a persistent or e-mail NameID");
        return;
    }
    if (strlen(sub->NameID->content) > 255) {
        flow_fail(f, "response_invalid", "the NameID is longer than 255 characters");
        return;
    }
    if (f->reauth) {
        int64_t at = -1;
        for (GList *l = a->AuthnStatement; l; l = l->next)
            if (LASSO_IS_SAML2_AUTHN_STATEMENT(l->data))
                at = gh_saml_parse_time(LASSO_SAML2_AUTHN_STATEMENT(l->data)->AuthnInstant);
        if (at < f->requested_at - GH_SAML_SKEW_S) {
            flow_fail(f, "reauth_not_fresh", "the IdP did not sign the person in again (AuthnInstant before the request)");
            return;
        }
    }
    f->claims = json_object();
    if (!f->claims) { flow_fail(f, "internal", "out of memory"); return; }
    add_attributes(f->claims, a);
    json_object_set_new(f->claims, "sub", json_string(sub->NameID->content));
    const char *email_attr = json_string_value(json_object_get(f->cfg, "email_claim"));
    if (!email_attr) json_object_set_new(f->claims, "email", json_string(sub->NameID->content));
    else {
        json_t *e = json_object_get(f->claims, email_attr);
        if (json_is_array(e)) json_object_set(f->claims, email_attr, json_array_get(e, 0));
    }
}

static const char *lasso_reason(int rc)
{
    switch (rc) {
    case LASSO_DS_ERROR_SIGNATURE_NOT_FOUND: return "unsigned";
    case LASSO_DS_ERROR_INVALID_SIGNATURE:
    case LASSO_DS_ERROR_SIGNATURE_VERIFICATION_FAILED:
    case LASSO_PROFILE_ERROR_CANNOT_VERIFY_SIGNATURE: return "signature_invalid";
    case LASSO_PROFILE_ERROR_STATUS_NOT_SUCCESS:
    case LASSO_LOGIN_ERROR_STATUS_NOT_SUCCESS: return "idp_error";
    default: return "response_invalid";
    }
}

void gh_saml_acs_run(void *flow)
{
    gh_saml_flow *f = flow;
    f->ok = true;
    LassoServer *s = make_server(f);
    if (!s) return;
    LassoLogin *login = lasso_login_new(s);
    if (!login) { flow_fail(f, "internal", "out of memory"); goto out; }
    lasso_profile_set_signature_verify_hint(LASSO_PROFILE(login), LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
    int rc = lasso_login_process_authn_response_msg(login, f->response);
    if (rc != 0) {
        const char *reason = lasso_reason(rc);
        if (strcmp(reason, "unsigned") == 0)
            flow_fail(f, reason, "neither the response nor the assertion is signed; the IdP must sign them");
        else if (strcmp(reason, "signature_invalid") == 0)
            flow_fail(f, reason, "the IdP's signature does not verify (the response was changed, or the IdP signs with"
                      " another certificate than its metadata names): %s", lasso_strerror(rc));
        else if (strcmp(reason, "idp_error") == 0)
            flow_fail(f, reason, "the IdP refused the sign-in");
        else
            flow_fail(f, reason, "the IdP's answer cannot be read: %s", lasso_strerror(rc));
        goto out;
    }
    check_response(f, login);
out:
    if (login) lasso_login_destroy(login);
    lasso_server_destroy(s);
}

gh_status gh_saml_acs_finish(gh_ctx *ctx, gh_saml_flow *f, gh_oidc_signin *out)
{
    memset(out, 0, sizeof *out);
    gh_status st;
    /* The state (single use) and the assertion id (never twice), together. */
    if (f->ok) {
        gh_sso_state *s = calloc(1, sizeof *s);
        bool fresh = false;
        if (!s) return gh_ctx_oom(ctx);
        int64_t now = gh_now();
        /* Not gh_tx_run: single-use checks answered after the rollback, with no actor re-check. */
        if ((st = gh_db_begin(ctx->db, &ctx->err)) != GH_OK) { free(s); return st; }
        st = gh_store_saml_seen(ctx->db, f->org.id, f->assertion_id, now,
                                f->assertion_expires > now ? f->assertion_expires : now + 3600, &fresh, &ctx->err);
        if (st == GH_OK && fresh) st = gh_store_sso_state_take(ctx->db, f->state_hash, now, s, &ctx->err);
        if (st == GH_OK) st = gh_db_commit(ctx->db, &ctx->err);
        else gh_db_rollback(ctx->db);
        bool used = s->used_at != 0;
        free(s);
        if (st != GH_OK) return st;
        if (!fresh)
            flow_fail(f, "assertion_replayed", "this assertion (%s) was already used to sign in; start again from the"
                      " sign-in page", f->assertion_id);
        else if (used)
            flow_fail(f, "state_replayed", "this sign-in was already used; start again from the sign-in page");
    }
    gh_sso_verified v = {.org = &f->org, .cfg = f->cfg, .kind = "saml", .issuer = f->idp_entity_id,
                         .claims = f->claims, .reauth = f->reauth, .user_id = f->user_id,
                         .state_hash = f->state_hash, .purpose = f->purpose, .ok = f->ok, .reason = f->reason,
                         .error = f->error};
    return gh_sso_signin_finish(ctx, &v, out);
}
