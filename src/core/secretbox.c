/* The secret box: see secretbox.h. */
#include "core/secretbox.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX 4096
#define PREFIX "gh1."

typedef struct box_key {
    unsigned char key[crypto_secretbox_KEYBYTES];
    char kid[GH_SECRETBOX_KID_LEN + 1];
} box_key;

/* Loaded once at start (before threads), read-only afterwards. */
static box_key keys[GH_SECRETBOX_KEYS_MAX];
static size_t nkeys;

static void kid_of_key(const unsigned char *key, char out[GH_SECRETBOX_KID_LEN + 1])
{
    unsigned char h[GH_SECRETBOX_KID_LEN / 2];
    static const char label[] = "gatehouse secretbox key id";
    crypto_generichash(h, sizeof h, (const unsigned char *)label, sizeof label - 1, key, crypto_secretbox_KEYBYTES);
    sodium_bin2hex(out, GH_SECRETBOX_KID_LEN + 1, h, sizeof h);
}

void gh_secretbox_release(void)
{
    sodium_memzero(keys, sizeof keys);
    nkeys = 0;
}

bool gh_secretbox_ready(void) { return nkeys > 0; }

const char *gh_secretbox_current_kid(void) { return nkeys > 0 ? keys[0].kid : ""; }

int gh_secretbox_load_text(const char *text, char *err, size_t errlen)
{
    box_key loaded[GH_SECRETBOX_KEYS_MAX];
    size_t n = 0, lineno = 0;
    int rc = -1;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        lineno++;
        while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
        size_t skip = 0;
        while (skip < len && (p[skip] == ' ' || p[skip] == '\t')) skip++;
        if (len > skip && p[skip] != '#') {
            if (n == GH_SECRETBOX_KEYS_MAX) {
                snprintf(err, errlen, "the secret key file holds more than %d keys", GH_SECRETBOX_KEYS_MAX);
                goto out;
            }
            size_t bin_len = 0;
            const char *hex_end = NULL;
            if (len - skip != crypto_secretbox_KEYBYTES * 2 ||
                sodium_hex2bin(loaded[n].key, sizeof loaded[n].key, p + skip, len - skip, NULL, &bin_len,
                               &hex_end) != 0 ||
                bin_len != crypto_secretbox_KEYBYTES || hex_end != p + len) {
                snprintf(err, errlen, "line %zu of the secret key file is not a key (64 hex digits)", lineno);
                goto out;
            }
            kid_of_key(loaded[n].key, loaded[n].kid);
            for (size_t i = 0; i < n; i++) {
                if (strcmp(loaded[i].kid, loaded[n].kid) == 0) {
                    snprintf(err, errlen, "line %zu of the secret key file repeats a key", lineno);
                    goto out;
                }
            }
            n++;
        }
        if (!end) break;
        p = end + 1;
    }
    if (n == 0) {
        snprintf(err, errlen, "the secret key file holds no key");
        goto out;
    }
    gh_secretbox_release();
    memcpy(keys, loaded, n * sizeof loaded[0]);
    nkeys = n;
    rc = 0;
out:
    sodium_memzero(loaded, sizeof loaded);
    return rc;
}

/* Writes a new key file with one fresh key; O_EXCL, so a file another
 * process created at the same moment is never overwritten. */
static int create_key_file(const char *path, char *err, size_t errlen)
{
    unsigned char key[crypto_secretbox_KEYBYTES];
    char hex[crypto_secretbox_KEYBYTES * 2 + 1];
    char text[sizeof hex + 128];
    int rc = -1, fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return 1; /* someone else made it: read theirs */
        snprintf(err, errlen, "cannot create the secret key file %s: %s", path, strerror(errno));
        return -1;
    }
    crypto_secretbox_keygen(key);
    sodium_bin2hex(hex, sizeof hex, key, sizeof key);
    int len = snprintf(text, sizeof text,
                       "# gatehouse secret key: the first key seals, every key opens. Keep this file.\n%s\n", hex);
    size_t off = 0;
    while (len > 0 && off < (size_t)len) {
        ssize_t w = write(fd, text + off, (size_t)len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errlen, "cannot write the secret key file %s: %s", path, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write the secret key file %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    close(fd);
    if (rc != 0) unlink(path);
    sodium_memzero(key, sizeof key);
    sodium_memzero(hex, sizeof hex);
    sodium_memzero(text, sizeof text);
    return rc;
}

int gh_secretbox_init(const char *path, char *err, size_t errlen)
{
    char text[KEY_FILE_MAX + 1];
    int rc = -1, fd = -1;
    if (!path || !*path) {
        snprintf(err, errlen, "no secret key file named");
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        int c = create_key_file(path, err, errlen);
        if (c < 0) return -1;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the secret key file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "the secret key file %s is not a regular file", path);
        goto out;
    }
    if (sb.st_mode & 077) {
        snprintf(err, errlen, "the secret key file %s is readable by others (mode %03o): chmod 600 it",
                 path, (unsigned)(sb.st_mode & 0777));
        goto out;
    }
    size_t len = 0;
    for (;;) {
        if (len == KEY_FILE_MAX) {
            snprintf(err, errlen, "the secret key file %s is longer than %d bytes", path, KEY_FILE_MAX);
            goto out;
        }
        ssize_t r = read(fd, text + len, KEY_FILE_MAX - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(err, errlen, "cannot read the secret key file %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
        snprintf(err, errlen, "the secret key file %s is not text", path);
        goto out;
    }
    rc = gh_secretbox_load_text(text, err, errlen);
out:
    sodium_memzero(text, sizeof text);
    close(fd);
    return rc;
}

/* subkey = BLAKE2b-256(key: the server key, message: label || context). */
static void derive(const box_key *k, const char *context, unsigned char sub[crypto_secretbox_KEYBYTES])
{
    crypto_generichash_state s;
    static const char label[] = "gatehouse secretbox v1\n";
    crypto_generichash_init(&s, k->key, sizeof k->key, crypto_secretbox_KEYBYTES);
    crypto_generichash_update(&s, (const unsigned char *)label, sizeof label - 1);
    crypto_generichash_update(&s, (const unsigned char *)context, strlen(context));
    crypto_generichash_final(&s, sub, crypto_secretbox_KEYBYTES);
    sodium_memzero(&s, sizeof s);
}

gh_status gh_secretbox_seal(const char *context, const void *plain, size_t n, char *out, size_t cap,
                            gh_err *err)
{
    unsigned char buf[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + GH_SECRETBOX_PLAIN_MAX];
    unsigned char sub[crypto_secretbox_KEYBYTES];
    gh_status st = GH_E_INTERNAL;
    if (cap > 0) out[0] = '\0';
    if (nkeys == 0) return gh_fail(err, GH_E_INTERNAL, "secret_box_unavailable", "no secret key is loaded");
    if (n > GH_SECRETBOX_PLAIN_MAX)
        return gh_fail(err, GH_E_INVALID, "secret_too_long", "a secret may be at most %d bytes",
                       GH_SECRETBOX_PLAIN_MAX);
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    size_t need = strlen(PREFIX) + GH_SECRETBOX_KID_LEN + 1 +
                  sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (cap < need) return gh_fail(err, GH_E_INTERNAL, "secret_box_buffer", "sealed value buffer too small");
    randombytes_buf(buf, crypto_secretbox_NONCEBYTES);
    derive(&keys[0], context, sub);
    if (crypto_secretbox_easy(buf + crypto_secretbox_NONCEBYTES, plain, n, buf, sub) != 0) {
        gh_fail(err, GH_E_INTERNAL, "secret_box_failed", "cannot seal the value");
        goto out;
    }
    size_t off = (size_t)snprintf(out, cap, PREFIX "%s.", keys[0].kid);
    sodium_bin2base64(out + off, cap - off, buf, blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    st = GH_OK;
out:
    sodium_memzero(sub, sizeof sub);
    sodium_memzero(buf, sizeof buf);
    return st;
}

void gh_secretbox_kid_of(const char *sealed, char out[GH_SECRETBOX_KID_LEN + 1])
{
    out[0] = '\0';
    size_t pl = strlen(PREFIX);
    if (!sealed || strncmp(sealed, PREFIX, pl) != 0) return;
    const char *dot = strchr(sealed + pl, '.');
    if (!dot || (size_t)(dot - (sealed + pl)) != GH_SECRETBOX_KID_LEN) return;
    memcpy(out, sealed + pl, GH_SECRETBOX_KID_LEN);
    out[GH_SECRETBOX_KID_LEN] = '\0';
}

gh_status gh_secretbox_open(const char *context, const char *sealed, char *out, size_t cap, size_t *n,
                            gh_err *err)
{
    unsigned char buf[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + GH_SECRETBOX_PLAIN_MAX];
    unsigned char sub[crypto_secretbox_KEYBYTES];
    char kid[GH_SECRETBOX_KID_LEN + 1];
    const box_key *k = NULL;
    gh_status st = GH_E_INTERNAL;
    size_t blen = 0;
    *n = 0;
    if (cap > 0) out[0] = '\0';
    gh_secretbox_kid_of(sealed, kid);
    for (size_t i = 0; kid[0] && i < nkeys; i++)
        if (strcmp(keys[i].kid, kid) == 0) k = &keys[i];
    if (!k) {
        gh_fail(err, GH_E_INTERNAL, "secret_unreadable",
                kid[0] ? "a stored secret is sealed under key %s, which the secret key file does not hold"
                       : "a stored secret is not a sealed value%s",
                kid);
        goto out;
    }
    const char *b64 = sealed + strlen(PREFIX) + GH_SECRETBOX_KID_LEN + 1;
    if (sodium_base642bin(buf, sizeof buf, b64, strlen(b64), NULL, &blen, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        gh_fail(err, GH_E_INTERNAL, "secret_unreadable", "a stored secret is damaged");
        goto out;
    }
    size_t plen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (plen + 1 > cap) {
        gh_fail(err, GH_E_INTERNAL, "secret_unreadable", "a stored secret is longer than expected");
        goto out;
    }
    derive(k, context, sub);
    if (crypto_secretbox_open_easy((unsigned char *)out, buf + crypto_secretbox_NONCEBYTES,
                                   blen - crypto_secretbox_NONCEBYTES, buf, sub) != 0) {
        sodium_memzero(out, cap);
        gh_fail(err, GH_E_INTERNAL, "secret_unreadable",
                "a stored secret does not open: altered, or sealed for another owner");
        goto out;
    }
    out[plen] = '\0';
    *n = plen;
    st = GH_OK;
out:
    sodium_memzero(sub, sizeof sub);
    sodium_memzero(buf, sizeof buf);
    return st;
}

gh_status gh_secretbox_derive(const char *kid, const char *context, unsigned char out[GH_SECRETBOX_SUBKEY_BYTES],
                              char kid_out[GH_SECRETBOX_KID_LEN + 1], gh_err *err)
{
    for (size_t i = 0; i < nkeys; i++) {
        if (kid && strcmp(kid, keys[i].kid) != 0) continue;
        derive(&keys[i], context, out);
        if (kid_out) memcpy(kid_out, keys[i].kid, GH_SECRETBOX_KID_LEN + 1);
        return GH_OK;
    }
    return gh_fail(err, GH_E_INTERNAL, "secret_unreadable",
                   nkeys ? "no key in the secret key file has this id" : "no secret key is loaded");
}
