/* Certificates for native HTTPS (see tls.h). */
#include "http/tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/util.h"

#define MAX_CHAIN 8
#define MAX_PEM (1u << 20)

typedef struct pair {
    gnutls_pcert_st certs[MAX_CHAIN];
    unsigned ncerts;
    gnutls_privkey_t key;
    struct pair *older;
} pair;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pair *current; /* newest; ->older links the replaced ones */

static void pair_free(pair *p)
{
    if (!p) return;
    for (unsigned i = 0; i < p->ncerts; i++) gnutls_pcert_deinit(&p->certs[i]);
    if (p->key) gnutls_privkey_deinit(p->key);
    free(p);
}

/* Reads a whole file (at most MAX_PEM bytes) into b. */
static int slurp(const char *path, gh_buf *b, bool wipe, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    gh_buf_init(b, MAX_PEM);
    b->wipe = wipe; /* a key: wiped on every reallocation and release */
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) gh_buf_append(b, chunk, n);
    sodium_memzero(chunk, sizeof chunk);
    bool ok = !ferror(f) && gh_buf_ok(b) && b->len > 0;
    fclose(f);
    if (!ok) {
        snprintf(err, errlen, "cannot read %s: empty, unreadable or larger than 1 MiB", path);
        return -1;
    }
    return 0;
}

/* Signs a probe with the key and verifies it with the certificate's key. */
static bool key_matches(const pair *p)
{
    unsigned char probe[32];
    randombytes_buf(probe, sizeof probe);
    gnutls_datum_t data = {probe, sizeof probe}, sig = {NULL, 0};
    int algo = gnutls_pubkey_get_pk_algorithm(p->certs[0].pubkey, NULL);
    gnutls_sign_algorithm_t sa = gnutls_pk_to_sign((gnutls_pk_algorithm_t)algo, GNUTLS_DIG_SHA256);
    if (sa == GNUTLS_SIGN_UNKNOWN) return false;
    if (gnutls_privkey_sign_data(p->key, GNUTLS_DIG_SHA256, 0, &data, &sig) < 0) return false;
    bool ok = gnutls_pubkey_verify_data2(p->certs[0].pubkey, sa, 0, &data, &sig) >= 0;
    gnutls_free(sig.data);
    return ok;
}

int gh_tls_load(const char *cert_path, const char *key_path, char *err, size_t errlen)
{
    int rc = -1;
    gh_buf cb = {0}, kb = {0};
    pair *p = calloc(1, sizeof *p);
    if (!p) { snprintf(err, errlen, "out of memory"); goto out; }
    if (slurp(cert_path, &cb, false, err, errlen) != 0 || slurp(key_path, &kb, true, err, errlen) != 0) goto out;
    gnutls_datum_t cd = {(unsigned char *)cb.data, (unsigned)cb.len}, kd = {(unsigned char *)kb.data, (unsigned)kb.len};
    p->ncerts = MAX_CHAIN;
    int g = gnutls_pcert_list_import_x509_raw(p->certs, &p->ncerts, &cd, GNUTLS_X509_FMT_PEM, 0);
    if (g < 0 || p->ncerts == 0) {
        p->ncerts = 0;
        snprintf(err, errlen, "%s: not a PEM certificate chain of at most %d: %s", cert_path, MAX_CHAIN,
                 gnutls_strerror(g));
        goto out;
    }
    if ((g = gnutls_privkey_init(&p->key)) < 0 ||
        (g = gnutls_privkey_import_x509_raw(p->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        snprintf(err, errlen, "%s: not a PEM private key: %s", key_path, gnutls_strerror(g));
        goto out;
    }
    if (!key_matches(p)) {
        snprintf(err, errlen, "%s does not belong to the certificate in %s", key_path, cert_path);
        goto out;
    }
    pthread_mutex_lock(&mu);
    p->older = current;
    current = p;
    pthread_mutex_unlock(&mu);
    p = NULL;
    rc = 0;
out:
    pair_free(p);
    gh_buf_release(&kb);
    gh_buf_release(&cb);
    return rc;
}

int gh_tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                    unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    (void)session;
    (void)req_ca_rdn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    pthread_mutex_lock(&mu);
    pair *p = current;
    pthread_mutex_unlock(&mu);
    if (!p) return -1;
    *pcert = p->certs;
    *pcert_length = p->ncerts;
    *privkey = p->key;
    return 0;
}

bool gh_tls_enabled(void)
{
    pthread_mutex_lock(&mu);
    bool on = current != NULL;
    pthread_mutex_unlock(&mu);
    return on;
}

void gh_tls_shutdown(void)
{
    pthread_mutex_lock(&mu);
    pair *p = current;
    current = NULL;
    pthread_mutex_unlock(&mu);
    while (p) {
        pair *older = p->older;
        pair_free(p);
        p = older;
    }
}
