/* HTTP GETs to identity providers: see idphttp.h. */
#include "core/idphttp.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sso.h"
#include "util/util.h"

static char ca_path[4096];

int gh_idphttp_init(const char *ca_file, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return -1;
    }
    ca_path[0] = '\0';
    if (ca_file && *ca_file) {
        FILE *f = fopen(ca_file, "r");
        if (!f) {
            snprintf(err, errlen, "cannot read the IdP CA file %s", ca_file);
            return -1;
        }
        fclose(f);
        if (!gh_strlcpy(ca_path, ca_file, sizeof ca_path)) {
            snprintf(err, errlen, "the IdP CA file's path is too long");
            return -1;
        }
    }
    return 0;
}

typedef struct sink {
    char *data;
    size_t len, cap, max;
    bool too_big;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    sink *s = arg;
    if (size != 0 && n > SIZE_MAX / size) return 0;
    size_t add = size * n;
    if (add > s->max - s->len) {
        s->too_big = true;
        return 0; /* aborts the transfer */
    }
    if (s->len + add + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + add + 1) cap *= 2;
        char *d = realloc(s->data, cap);
        if (!d) return 0;
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, add);
    s->len += add;
    s->data[s->len] = '\0';
    return add;
}

static bool perform(const char *url, const char *accept, const char *auth_header, const char *form, size_t max,
                    char **body, size_t *len, long *status, char *err, size_t errlen);

bool gh_idphttp_get(const char *url, const char *accept, size_t max, char **body, size_t *len, long *status,
                    char *err, size_t errlen)
{
    return perform(url, accept, NULL, NULL, max, body, len, status, err, errlen);
}

bool gh_idphttp_post_form(const char *url, const char *client_id, const char *client_secret, const char *form,
                          size_t max, char **body, size_t *len, long *status, char *err, size_t errlen)
{
    /* client_secret_basic (RFC 6749 2.3.1): both form-urlencoded, then Basic. */
    char *id = curl_easy_escape(NULL, client_id, 0), *pw = curl_easy_escape(NULL, client_secret, 0);
    char *pair = NULL, *hdr = NULL;
    bool ok = false;
    if (!id || !pw) goto oom;
    size_t plen = strlen(id) + 1 + strlen(pw);
    size_t blen = sodium_base64_ENCODED_LEN(plen, sodium_base64_VARIANT_ORIGINAL);
    pair = malloc(plen + 1);
    hdr = malloc(blen + 32);
    if (!pair || !hdr) goto oom;
    snprintf(pair, plen + 1, "%s:%s", id, pw);
    memcpy(hdr, "Authorization: Basic ", 21);
    sodium_bin2base64(hdr + 21, blen, (const unsigned char *)pair, plen, sodium_base64_VARIANT_ORIGINAL);
    ok = perform(url, "application/json", hdr, form, max, body, len, status, err, errlen);
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    if (pair) { sodium_memzero(pair, strlen(pair)); free(pair); }
    if (hdr) { sodium_memzero(hdr, strlen(hdr)); free(hdr); }
    if (pw) { sodium_memzero(pw, strlen(pw)); curl_free(pw); }
    curl_free(id);
    return ok;
}

static bool perform(const char *url, const char *accept, const char *auth_header, const char *form, size_t max,
                    char **body, size_t *len, long *status, char *err, size_t errlen)
{
    sink s = {.max = max < GH_IDPHTTP_BODY_MAX ? max : GH_IDPHTTP_BODY_MAX};
    struct curl_slist *hdr = NULL;
    char why[200], h[160];
    bool ok = false;
    *body = NULL;
    *len = 0;
    *status = 0;
    if (!gh_sso_url_allowed(url, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", url, why);
        return false;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot start an HTTP request (out of memory)");
        return false;
    }
    snprintf(h, sizeof h, "Accept: %s", accept ? accept : "*/*");
    hdr = curl_slist_append(NULL, h);
    if (hdr && auth_header) hdr = curl_slist_append(hdr, auth_header);
    if (!hdr) {
        snprintf(err, errlen, "out of memory");
        curl_easy_cleanup(c);
        return false;
    }
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (ca_path[0]) curl_easy_setopt(c, CURLOPT_CAINFO, ca_path);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "gatehouse");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (form) curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED)
            snprintf(err, errlen, "%s answered more than %zu bytes", url, s.max);
        else if (rc == CURLE_OPERATION_TIMEDOUT)
            snprintf(err, errlen, "%s did not answer within 10 s", url);
        else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CONNECT_ERROR)
            snprintf(err, errlen, "%s: TLS failed (%s); for a private CA start gatehouse with --idp-ca-file", url,
                     cerr[0] ? cerr : curl_easy_strerror(rc));
        else
            snprintf(err, errlen, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (!s.data) {
        s.data = calloc(1, 1);
        if (!s.data) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    *body = s.data;
    *len = s.len;
    s.data = NULL;
    ok = true;
out:
    free(s.data);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return ok;
}
