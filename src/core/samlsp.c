/* The organization's SAML service provider and IdP metadata checks: see samlsp.h. */
#include "core/samlsp.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <lasso/lasso.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/saml.h"
#include "core/secretbox.h"
#include "store/store.h"

#define SP_KEY_BITS 2048

/* ---- pure parts ------------------------------------------------------------------ */
int64_t gh_saml_parse_time(const char *s)
{
    int y, mo, d, h, mi, se, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19) return -1;
    const char *p = s + n;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') return -1;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (strcmp(p, "Z") != 0) return -1;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = se};
    return (int64_t)timegm(&tm);
}

/* ---- the org's SP key and metadata ---------------------------------------------- */
static void key_context(const char *org_id, char *out, size_t cap)
{
    snprintf(out, cap, "saml_sp:%s:private_key", org_id);
}

/* A new RSA key and a self-signed certificate for the org (PEM, malloc'd). */
static bool make_key(const gh_org *o, char **cert_pem, char **key_pem, char *why, size_t cap)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t kd = {0}, cd = {0};
    bool ok = false;
    int rc;
    *cert_pem = *key_pem = NULL;
    if ((rc = gnutls_x509_privkey_init(&key)) < 0 ||
        (rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, SP_KEY_BITS, 0)) < 0 ||
        (rc = gnutls_x509_crt_init(&crt)) < 0 || (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
        (rc = gnutls_x509_crt_set_version(crt, 3)) < 0)
        goto out;
    unsigned char serial[16];
    randombytes_buf(serial, sizeof serial);
    serial[0] &= 0x7f;
    char cn[200];
    snprintf(cn, sizeof cn, "gatehouse SAML SP %s", o->slug);
    time_t now = (time_t)gh_now();
    if ((rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) < 0 ||
        (rc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
        (rc = gnutls_x509_crt_set_expiration_time(crt, now + 20 * 365 * 86400LL)) < 0 ||
        (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn))) < 0 ||
        (rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
        (rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
        (rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kd)) < 0 ||
        (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cd)) < 0)
        goto out;
    *key_pem = strndup((const char *)kd.data, kd.size);
    *cert_pem = strndup((const char *)cd.data, cd.size);
    if (!*key_pem || !*cert_pem) { snprintf(why, cap, "out of memory"); goto out; }
    ok = true;
out:
    if (!ok && rc < 0) snprintf(why, cap, "cannot make the SAML signing key: %s", gnutls_strerror(rc));
    if (!ok) {
        if (*key_pem) sodium_memzero(*key_pem, strlen(*key_pem));
        free(*key_pem);
        free(*cert_pem);
        *key_pem = *cert_pem = NULL;
    }
    if (kd.data) { sodium_memzero(kd.data, kd.size); gnutls_free(kd.data); }
    if (cd.data) gnutls_free(cd.data);
    if (crt) gnutls_x509_crt_deinit(crt);
    if (key) gnutls_x509_privkey_deinit(key);
    return ok;
}

/* The org's certificate and (when key_pem) private key, made on first use. */
gh_status gh_saml_sp_key(gh_ctx *ctx, const gh_org *o, char **cert_pem, char **key_pem)
{
    char *sealed = NULL, kctx[GH_ID_MAX + 40];
    gh_status st;
    *cert_pem = NULL;
    if (key_pem) *key_pem = NULL;
    key_context(o->id, kctx, sizeof kctx);
    st = gh_store_saml_key_get(ctx->db, o->id, cert_pem, &sealed, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        char *cert = NULL, *key = NULL, why[200];
        char *box = malloc(GH_SECRETBOX_SEALED_MAX);
        if (!box) return gh_ctx_oom(ctx);
        if (!make_key(o, &cert, &key, why, sizeof why)) {
            free(box);
            return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "%s", why);
        }
        st = gh_secretbox_seal(kctx, key, strlen(key), box, GH_SECRETBOX_SEALED_MAX, &ctx->err);
        sodium_memzero(key, strlen(key));
        free(key);
        if (st == GH_OK && (st = gh_db_begin(ctx->db, &ctx->err)) == GH_OK) {
            if ((st = gh_store_saml_key_insert(ctx->db, o->id, cert, box, gh_now(), &ctx->err)) == GH_OK)
                st = gh_db_commit(ctx->db, &ctx->err);
            else
                gh_db_rollback(ctx->db);
        }
        free(cert);
        free(box);
        if (st != GH_OK) return st;
        /* read back: a concurrent first use may have stored its own */
        st = gh_store_saml_key_get(ctx->db, o->id, cert_pem, &sealed, &ctx->err);
    }
    if (st != GH_OK) return st;
    if (key_pem) {
        char *plain = malloc(GH_SECRETBOX_PLAIN_MAX + 1);
        size_t n = 0;
        if (!plain) { st = gh_ctx_oom(ctx); goto out; }
        st = gh_secretbox_open(kctx, sealed, plain, GH_SECRETBOX_PLAIN_MAX + 1, &n, &ctx->err);
        if (st == GH_OK) {
            plain[n < GH_SECRETBOX_PLAIN_MAX ? n : GH_SECRETBOX_PLAIN_MAX] = '\0';
            *key_pem = plain;
        } else {
            sodium_memzero(plain, GH_SECRETBOX_PLAIN_MAX + 1);
            free(plain);
        }
    }
out:
    free(sealed);
    if (st != GH_OK) { free(*cert_pem); *cert_pem = NULL; }
    return st;
}

/* The certificate's base64 body (no PEM armor, no line breaks). */
static char *cert_body(const char *pem)
{
    const char *b = strstr(pem, "-----BEGIN CERTIFICATE-----"), *e = strstr(pem, "-----END CERTIFICATE-----");
    if (!b || !e || e < b) return NULL;
    b += strlen("-----BEGIN CERTIFICATE-----");
    char *out = malloc((size_t)(e - b) + 1);
    if (!out) return NULL;
    size_t n = 0;
    for (const char *p = b; p < e; p++)
        if (*p != '\n' && *p != '\r' && *p != ' ') out[n++] = *p;
    out[n] = '\0';
    return out;
}

void gh_saml_sp_urls(const gh_org *o, char *entity, size_t ecap, char *acs, size_t acap)
{
    snprintf(entity, ecap, "%s/v1/auth/sso/%s/saml/metadata", gh_cfg()->base_url, o->slug);
    snprintf(acs, acap, "%s/v1/auth/sso/%s/saml/acs", gh_cfg()->base_url, o->slug);
}

char *gh_saml_sp_metadata_xml(const gh_org *o, const char *cert_pem)
{
    char entity[GH_SAML_URL_MAX], acs[GH_SAML_URL_MAX];
    gh_saml_sp_urls(o, entity, sizeof entity, acs, sizeof acs);
    char *cert = cert_body(cert_pem);
    if (!cert) return NULL;
    static const char fmt[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"%s\">\n"
        " <md:SPSSODescriptor AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\" "
        "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n"
        "  <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n"
        "  <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n"
        "  <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n"
        "  <md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
        "Location=\"%s\" index=\"0\" isDefault=\"true\"/>\n"
        " </md:SPSSODescriptor>\n"
        "</md:EntityDescriptor>\n";
    size_t cap = sizeof fmt + strlen(entity) + strlen(cert) + strlen(acs) + 1;
    char *xml = malloc(cap);
    if (xml) snprintf(xml, cap, fmt, entity, cert, acs);
    free(cert);
    return xml;
}

/* ---- IdP metadata checks ------------------------------------------------------- */
/* Descriptors that are not role descriptors (no protocolSupportEnumeration
 * in the schema; lasso does not read one from them). */
static bool role_descriptor(const char *name)
{
    static const char *const other[] = {"EntityDescriptor", "EntitiesDescriptor", "KeyDescriptor",
                                        "AffiliationDescriptor"};
    size_t l = strlen(name);
    if (l < 10 || strcmp(name + l - 10, "Descriptor") != 0) return false;
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (strcmp(name, other[i]) == 0) return false;
    return true;
}

/* Depth is bounded by libxml2's own nesting limit (no XML_PARSE_HUGE). */
static bool descriptors_safe(const xmlNode *n, char *why, size_t cap)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (role_descriptor((const char *)n->name) && !xmlHasProp(n, BAD_CAST "protocolSupportEnumeration")) {
            snprintf(why, cap, "the metadata's %s has no protocolSupportEnumeration attribute", (const char *)n->name);
            return false;
        }
        if (!descriptors_safe(n->children, why, cap)) return false;
    }
    return true;
}

bool gh_saml_metadata_safe(const char *xml, char *why, size_t cap)
{
    size_t len = xml ? strlen(xml) : 0;
    if (len == 0 || len > INT32_MAX) {
        snprintf(why, cap, "the metadata is empty");
        return false;
    }
    xmlDoc *doc = xmlReadMemory(xml, (int)len, "metadata.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    const xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    bool ok = false;
    if (!root)
        snprintf(why, cap, "the metadata is not well-formed XML");
    else if (strcmp((const char *)root->name, "EntityDescriptor") != 0 &&
             strcmp((const char *)root->name, "EntitiesDescriptor") != 0)
        snprintf(why, cap, "the metadata's root is %s, not an EntityDescriptor", (const char *)root->name);
    else
        ok = descriptors_safe(root, why, cap);
    xmlFreeDoc(doc);
    return ok;
}

bool gh_saml_check_idp_metadata(const char *xml, char *entity_id, size_t idcap, char *why, size_t cap)
{
    entity_id[0] = '\0';
    if (!gh_saml_metadata_safe(xml, why, cap)) return false;
    LassoProvider *p = lasso_provider_new_from_buffer(LASSO_PROVIDER_ROLE_IDP, xml, NULL, NULL);
    bool ok = false;
    if (!p) {
        snprintf(why, cap, "lasso cannot read this metadata as an identity provider's");
        return false;
    }
    char *sso = lasso_provider_get_metadata_one(p, "SingleSignOnService HTTP-Redirect");
    gh_strlcpy(entity_id, p->ProviderID ? p->ProviderID : "", idcap);
    if (!sso) snprintf(why, cap, "the IdP has no single sign-on service with the HTTP-Redirect binding");
    else if (!strstr(xml, "X509Certificate")) snprintf(why, cap, "the metadata has no signing certificate");
    else ok = true;
    if (ok) snprintf(why, cap, "%s, single sign-on at %s", entity_id, sso);
    g_free(sso);
    g_object_unref(p);
    return ok;
}
