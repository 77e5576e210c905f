/*
 * HTTP GETs to identity providers (issue 16): OIDC discovery, JWKS, SAML
 * metadata. libcurl with TLS verification always on (the system's CAs, or
 * a private CA from --idp-ca-file / GATEHOUSE_IDP_CA_FILE), no redirects
 * followed, plain http only to a loopback address (gh_sso_url_allowed),
 * a 5 s connect and 10 s total timeout and a size limit. Blocking: call it
 * only from the IdP-call threads (http/idpcall.h), never from an HTTP
 * thread or the hashing pool.
 */
#ifndef GH_IDPHTTP_H
#define GH_IDPHTTP_H
#include <stdbool.h>
#include <stddef.h>

#define GH_IDPHTTP_BODY_MAX (1024 * 1024)

/* Once at start, before any thread calls. ca_file NULL or "": system CAs.
 * 0 on success. */
int gh_idphttp_init(const char *ca_file, char *err, size_t errlen);
/* GETs url (Accept: accept). On success *body is malloc'd, NUL-terminated
 * text of *len bytes (the caller frees it) and *status the HTTP status.
 * On failure (refused URL, network, TLS, timeout, more than max bytes)
 * returns false with a message for an IT administrator in err. */
bool gh_idphttp_get(const char *url, const char *accept, size_t max, char **body, size_t *len, long *status,
                    char *err, size_t errlen);
/* POSTs form (application/x-www-form-urlencoded) to a token endpoint with
 * client_secret_basic authentication; otherwise as gh_idphttp_get. The
 * credentials are wiped from memory afterwards. */
bool gh_idphttp_post_form(const char *url, const char *client_id, const char *client_secret, const char *form,
                          size_t max, char **body, size_t *len, long *status, char *err, size_t errlen);
#endif
