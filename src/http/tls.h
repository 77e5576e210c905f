/*
 * Native HTTPS: the certificate chain and key libmicrohttpd's GnuTLS
 * sessions use, given through MHD_OPTION_HTTPS_CERT_CALLBACK so that they
 * can be replaced while the server runs (SIGHUP): each new handshake takes
 * the current pair; established connections keep theirs. Replaced pairs are
 * kept until gh_tls_shutdown (a handshake may still hold them), so memory
 * grows by one pair per reload.
 */
#ifndef GH_HTTP_TLS_H
#define GH_HTTP_TLS_H
#include <stdbool.h>
#include <stddef.h>

#include <gnutls/abstract.h>

/* Loads a PEM chain and key (the key must match the first certificate) and
 * makes them current. 0, or -1 with err (the current pair stays). */
int gh_tls_load(const char *cert_path, const char *key_path, char *err, size_t errlen);
/* The callback for MHD_OPTION_HTTPS_CERT_CALLBACK. */
int gh_tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                    unsigned int *pcert_length, gnutls_privkey_t *privkey);
bool gh_tls_enabled(void);
void gh_tls_shutdown(void);

#endif
