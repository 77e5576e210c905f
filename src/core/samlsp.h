/*
 * The organization's side of SAML (core/saml.h): gatehouse's service
 * provider identity (URLs, signing key and certificate, SP metadata) and
 * the checks on an IdP's metadata that must run before lasso reads it.
 *
 * lasso 2.8 dereferences a missing protocolSupportEnumeration attribute
 * of a role descriptor (IDPSSODescriptor, SPSSODescriptor,
 * AttributeAuthorityDescriptor, ...) and crashes the process, whatever the
 * thread: gh_saml_metadata_safe refuses such metadata first, and every
 * path that hands IdP metadata to lasso calls it.
 */
#ifndef GH_SAMLSP_H
#define GH_SAMLSP_H
#include <stdbool.h>
#include <stddef.h>

#include "core/ctx.h"
#include "store/store.h"

/* The SP URLs: the base URL (< 512), "/v1/auth/sso/", a slug (< 64) and
 * "/saml/metadata" always fit. */
#define GH_SAML_URL_MAX 640

/* entity: <base URL>/v1/auth/sso/<slug>/saml/metadata; acs: .../saml/acs. */
void gh_saml_sp_urls(const gh_org *o, char *entity, size_t ecap, char *acs, size_t acap);
/* The org's certificate and (when key_pem is non-NULL) private key, both
 * PEM and malloc'd; made (RSA-2048, self-signed, GnuTLS) and stored sealed
 * on first use. */
gh_status gh_saml_sp_key(gh_ctx *ctx, const gh_org *o, char **cert_pem, char **key_pem);
/* The SP metadata for the org with this certificate (malloc'd), or NULL
 * when out of memory or the PEM is malformed. */
char *gh_saml_sp_metadata_xml(const gh_org *o, const char *cert_pem);

/* pure: may this IdP metadata be given to lasso? It must parse as XML
 * (no network, no entity expansion) with an EntityDescriptor root, and
 * every role descriptor must carry protocolSupportEnumeration. false with
 * a sentence in why otherwise. */
bool gh_saml_metadata_safe(const char *xml, char *why, size_t cap);
#endif
