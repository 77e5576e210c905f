/* Unit tests for the pure parts of src/core/sso.c: which IdP URLs the
 * server may call, JIT domain allowlists, break-glass id lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/samlsp.h"
#include "core/sso.h"

static void urls(void **state)
{
    (void)state;
    char why[200];
    static const char *const ok[] = {
        "https://login.microsoftonline.com/tenant/v2.0", "https://acme.okta.com", "https://kc.acme.com:8443/realms/plant",
        "http://127.0.0.1:4000/oidc", "http://127.9.9.9", "http://localhost:8080/realms/x", "http://[::1]:9000/",
        "https://idp.example.com/md?x=1", NULL};
    for (size_t i = 0; ok[i]; i++) assert_true(gh_sso_url_allowed(ok[i], why, sizeof why));
    static const char *const bad[] = {
        "", "http://idp.example.com", "http://128.0.0.1/", "http://localhost.example.com/", "http://[::2]/",
        "ftp://idp.example.com", "https://", "https://:443/", "https://user@idp.example.com", "https://a:b@idp.example.com/",
        "https://idp.example.com/#frag", "https://idp.example.com:0/", "https://idp.example.com:65536/",
        "https://idp.example.com:80a/", "https://idp.example.com:/", "https://idp .example.com", "https://idp.example.com/\xc3\xa9",
        "https://[::1/", "javascript:alert(1)", NULL};
    for (size_t i = 0; bad[i]; i++) {
        why[0] = '\0';
        assert_false(gh_sso_url_allowed(bad[i], why, sizeof why));
        assert_true(why[0] != '\0');
    }
    assert_false(gh_sso_url_allowed(NULL, why, sizeof why));
}

static void domains(void **state)
{
    (void)state;
    assert_true(gh_sso_domain_valid("acme.com"));
    assert_true(gh_sso_domain_valid("plant-1.eu.acme.com"));
    assert_false(gh_sso_domain_valid("acme"));
    assert_false(gh_sso_domain_valid("Acme.com"));
    assert_false(gh_sso_domain_valid("@acme.com"));
    assert_false(gh_sso_domain_valid("-acme.com"));
    assert_false(gh_sso_domain_valid("acme-.com"));
    assert_false(gh_sso_domain_valid("acme..com"));
    assert_false(gh_sso_domain_valid(".acme.com"));
    assert_false(gh_sso_domain_valid("acme.com."));
    assert_false(gh_sso_domain_valid(""));
    json_t *list = json_pack("[s, s]", "acme.com", "acme.de");
    assert_true(gh_sso_email_domain_allowed("ada@acme.com", list));
    assert_true(gh_sso_email_domain_allowed("Ada@ACME.DE", list));
    assert_false(gh_sso_email_domain_allowed("ada@evil-acme.com", list));
    assert_false(gh_sso_email_domain_allowed("ada@acme.com.evil.io", list));
    assert_false(gh_sso_email_domain_allowed("acme.com", list));
    assert_false(gh_sso_email_domain_allowed("ada@", list));
    assert_false(gh_sso_email_domain_allowed("\"x@acme.com\"@evil.io", list));
    json_decref(list);
}

static void id_lists(void **state)
{
    (void)state;
    assert_true(gh_sso_id_listed("usr_a usr_b", "usr_b"));
    assert_true(gh_sso_id_listed("usr_a", "usr_a"));
    assert_false(gh_sso_id_listed("usr_ab", "usr_a"));
    assert_false(gh_sso_id_listed("usr_a usr_b", "usr_"));
    assert_false(gh_sso_id_listed("", "usr_a"));
    assert_false(gh_sso_id_listed("usr_a", ""));
}

/* IdP metadata that would crash lasso 2.8 (a role descriptor without
 * protocolSupportEnumeration) is refused before lasso sees it. */
static void saml_metadata_safe(void **state)
{
    (void)state;
    char why[300];
#define MD "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://idp\">"
#define PSE " protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\""
    assert_true(gh_saml_metadata_safe(MD "<md:IDPSSODescriptor" PSE "/></md:EntityDescriptor>", why, sizeof why));
    /* a whitespace-only value does not crash lasso; a missing one does */
    assert_true(gh_saml_metadata_safe(MD "<md:IDPSSODescriptor protocolSupportEnumeration=\" \"/></md:EntityDescriptor>",
                                      why, sizeof why));
    assert_false(gh_saml_metadata_safe(MD "<md:IDPSSODescriptor/></md:EntityDescriptor>", why, sizeof why));
    assert_string_equal(why, "the metadata's IDPSSODescriptor has no protocolSupportEnumeration attribute");
    assert_false(gh_saml_metadata_safe(MD "<md:IDPSSODescriptor" PSE "/><md:AttributeAuthorityDescriptor/>"
                                       "</md:EntityDescriptor>", why, sizeof why));
    assert_false(gh_saml_metadata_safe(MD "<md:SPSSODescriptor/><md:IDPSSODescriptor" PSE "/></md:EntityDescriptor>",
                                       why, sizeof why));
    /* inside an EntitiesDescriptor too */
    assert_false(gh_saml_metadata_safe("<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">"
                                       "<md:EntityDescriptor entityID=\"x\"><md:PDPDescriptor/></md:EntityDescriptor>"
                                       "</md:EntitiesDescriptor>", why, sizeof why));
    /* descriptors that have no such attribute in the schema are fine */
    assert_true(gh_saml_metadata_safe(MD "<md:IDPSSODescriptor" PSE "><md:KeyDescriptor use=\"signing\"/>"
                                      "</md:IDPSSODescriptor><md:AffiliationDescriptor affiliationOwnerID=\"x\"/>"
                                      "</md:EntityDescriptor>", why, sizeof why));
    assert_false(gh_saml_metadata_safe("<html/>", why, sizeof why));
    assert_string_equal(why, "the metadata's root is html, not an EntityDescriptor");
    assert_false(gh_saml_metadata_safe(MD "<md:IDPSSODescriptor", why, sizeof why));
    assert_string_equal(why, "the metadata is not well-formed XML");
    assert_false(gh_saml_metadata_safe("", why, sizeof why));
    assert_false(gh_saml_metadata_safe(NULL, why, sizeof why));
#undef MD
#undef PSE
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls),
        cmocka_unit_test(domains),
        cmocka_unit_test(id_lists),
        cmocka_unit_test(saml_metadata_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
