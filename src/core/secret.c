/* Password policy, common-password list and argon2id hashing. */
#include "core/secret.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uninorm.h>
#include <unistr.h>

#include "core/secretbox.h"
#include "util/assets.h"
#include "store/store.h"
#include "util/util.h"
#include "util/hash.h"

_Static_assert(GH_PWHASH_MAX == crypto_pwhash_STRBYTES, "GH_PWHASH_MAX (util/util.h) must match libsodium");

static unsigned long long pw_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t pw_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
static unsigned long long pin_ops = GH_PIN_OPSLIMIT;
static size_t pin_mem = GH_PIN_MEMLIMIT;

/* Common passwords: an open-addressing set of 64-bit hashes of the
 * lower-cased entries. */
static uint64_t *common;
static size_t common_cap;
static char dummy_hash[GH_PWHASH_MAX];

static uint64_t hash64(const char *s, size_t n)
{
    /* ASCII letters folded to lower case; a text longer than the buffer is
     * hashed as it is (no list entry is that long, so it cannot match). */
    char low[1024];
    if (n > sizeof low) return gh_hash(s, n) | 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        low[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return gh_hash(low, n) | 1; /* 0 marks an empty slot */
}

static void common_add(const char *s, size_t n)
{
    uint64_t h = hash64(s, n);
    size_t i = (size_t)h & (common_cap - 1);
    while (common[i] && common[i] != h) i = (i + 1) & (common_cap - 1);
    common[i] = h;
}

void gh_secret_set_cost(unsigned long long ops, size_t mem)
{
    pw_ops = ops;
    pw_mem = mem;
    pin_ops = ops < GH_PIN_OPSLIMIT ? ops : GH_PIN_OPSLIMIT;
    pin_mem = mem < GH_PIN_MEMLIMIT ? mem : GH_PIN_MEMLIMIT;
}

int gh_secret_init(void)
{
    if (common) return 0;
    size_t lines = 1;
    for (size_t i = 0; i < gh_embedded_passwords_len; i++) lines += gh_embedded_passwords[i] == '\n';
    common_cap = 1024;
    while (common_cap < lines * 2) common_cap *= 2;
    common = calloc(common_cap, sizeof *common);
    if (!common) return -1;
    const char *p = (const char *)gh_embedded_passwords;
    const char *end = p + gh_embedded_passwords_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n && p[n - 1] == '\r') n--;
        if (n && !(n >= 2 && p[0] == '#' && p[1] == '!')) common_add(p, n);
        p = nl ? nl + 1 : end;
    }
    /* A few that matter to this domain and are not in the general list. */
    static const char *const extra[] = {"gatehouse", "password123", "12345678910", "qwertyuiop",
                                        "letmein123", "changeme", "welcome1", "factory1"};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) common_add(extra[i], strlen(extra[i]));
    char rnd[GH_TOKEN_LEN + 1];
    gh_token_new(rnd);
    return gh_secret_hash(rnd, dummy_hash);
}

bool gh_password_is_common(const char *pw)
{
    if (!common) return false;
    size_t n = strlen(pw);
    uint64_t h = hash64(pw, n);
    size_t i = (size_t)h & (common_cap - 1);
    while (common[i]) {
        if (common[i] == h) return true;
        i = (i + 1) & (common_cap - 1);
    }
    return false;
}

char *gh_secret_normalize(const char *pw)
{
    size_t n = strlen(pw);
    if (u8_check((const uint8_t *)pw, n) != NULL) return NULL;
    size_t outn = 0;
    uint8_t *out = u8_normalize(UNINORM_NFKC, (const uint8_t *)pw, n, NULL, &outn);
    if (!out) return NULL;
    /* u8_normalize does not terminate; one byte more, wiping the first copy. */
    char *z = malloc(outn + 1);
    if (z) {
        memcpy(z, out, outn);
        z[outn] = '\0';
    }
    sodium_memzero(out, outn);
    free(out);
    return z;
}

static void free_secret(char *s)
{
    if (!s) return;
    sodium_memzero(s, strlen(s));
    free(s);
}

/* Code points of a valid UTF-8 string, at most max + 1 of them into cps. */
static size_t code_points(const char *s, ucs4_t *cps, size_t max)
{
    size_t k = 0;
    const uint8_t *p = (const uint8_t *)s;
    ucs4_t c;
    while (*p && k <= max) {
        int len = u8_mbtouc(&c, p, strlen((const char *)p));
        if (len <= 0) break;
        cps[k++] = c;
        p += len;
    }
    return k;
}

static gh_status check_normalized_cps(const char *pw, ucs4_t *cps, const char *field, gh_err *err);

/* The password's code points are a copy of the secret: wiped on return. */
static gh_status check_normalized(const char *pw, const char *field, gh_err *err)
{
    ucs4_t cps[GH_PW_MAX + 1];
    gh_status st = check_normalized_cps(pw, cps, field, err);
    sodium_memzero(cps, sizeof cps);
    return st;
}

static gh_status check_normalized_cps(const char *pw, ucs4_t *cps, const char *field, gh_err *err)
{
    size_t chars = code_points(pw, cps, GH_PW_MAX);
    if (chars < GH_PW_MIN)
        return gh_fail_field(err, GH_E_INVALID, "password_too_short", field,
                             "a password needs at least %d characters", GH_PW_MIN);
    if (chars > GH_PW_MAX)
        return gh_fail_field(err, GH_E_INVALID, "password_too_long", field,
                             "a password can have at most %d characters", GH_PW_MAX);
    if (gh_password_is_common(pw))
        return gh_fail_field(err, GH_E_INVALID, "password_common", field,
                             "this password is too common; choose another");
    bool same = true, up = true, down = true;
    for (size_t i = 1; i < chars; i++) {
        same = same && cps[i] == cps[0];
        up = up && cps[i] == cps[i - 1] + 1;
        down = down && cps[i] + 1 == cps[i - 1];
    }
    if (same)
        return gh_fail_field(err, GH_E_INVALID, "password_repetitive", field,
                             "a password cannot be one character repeated");
    if (up || down)
        return gh_fail_field(err, GH_E_INVALID, "password_sequential", field,
                             "a password cannot be a run of consecutive characters such as 12345678");
    return GH_OK;
}

gh_status gh_password_check(const char *pw, const char *field, gh_err *err)
{
    return gh_password_check_for(pw, field, NULL, err);
}

/* Whether hay contains needle (both NFKC), ignoring ASCII case. Needles
 * shorter than 4 bytes never match. */
static bool contains_folded(const char *hay, const char *needle)
{
    if (!needle) return false;
    char *n = gh_secret_normalize(needle);
    if (!n) return false;
    size_t hn = strlen(hay), nn = strlen(n);
    bool found = false;
    if (nn >= 4) {
        for (size_t i = 0; !found && i + nn <= hn; i++) found = strncasecmp(hay + i, n, nn) == 0;
    }
    free_secret(n);
    return found;
}

gh_status gh_password_check_for(const char *pw, const char *field, const gh_pw_context *c, gh_err *err)
{
    if (!pw) pw = "";
    if (strlen(pw) > (size_t)GH_PW_MAX * 4)
        return gh_fail_field(err, GH_E_INVALID, "password_too_long", field,
                             "a password can have at most %d characters", GH_PW_MAX);
    char *norm = gh_secret_normalize(pw);
    if (!norm)
        return gh_fail_field(err, GH_E_INVALID, "password_invalid", field, "a password must be valid UTF-8 text");
    gh_status st = check_normalized(norm, field, err);
    if (st == GH_OK && c) {
        char local[GH_EMAIL_MAX + 1] = "";
        if (c->email) {
            gh_strlcpy(local, c->email, sizeof local);
            char *at = strchr(local, '@');
            if (at) *at = '\0';
        }
        if (contains_folded(norm, c->email) || contains_folded(norm, local))
            st = gh_fail_field(err, GH_E_INVALID, "password_contains_email", field,
                               "a password cannot contain your e-mail address");
        else if (contains_folded(norm, c->name))
            st = gh_fail_field(err, GH_E_INVALID, "password_contains_name", field, "a password cannot contain your name");
        else if (contains_folded(norm, c->org_name))
            st = gh_fail_field(err, GH_E_INVALID, "password_contains_org", field,
                               "a password cannot contain the organization's name");
    }
    free_secret(norm);
    return st;
}

int gh_secret_hash(const char *secret, char out[GH_PWHASH_MAX])
{
    /* Never store a hash of the unnormalised text (out of memory, or not
     * UTF-8): it would not verify against the normalised guess later. */
    char *norm = gh_secret_normalize(secret);
    if (!norm) return -1;
    int rc = crypto_pwhash_str(out, norm, strlen(norm), pw_ops, pw_mem);
    free_secret(norm);
    return rc;
}

bool gh_secret_verify(const char *hash, const char *secret)
{
    if (!hash || !*hash) return false;
    char *norm = gh_secret_normalize(secret);
    const char *s = norm ? norm : secret;
    bool ok = crypto_pwhash_str_verify(hash, s, strlen(s)) == 0;
    free_secret(norm);
    return ok;
}

const char *gh_secret_dummy_hash(void) { return dummy_hash; }

/* ---- kiosk PINs ------------------------------------------------------------------ */
#define PIN_PREFIX "$ghpin1$"
#define PIN_PEPPER_CONTEXT "kiosk_pin:pepper"

/* The argon2id input for a PIN under the pepper of key kid (NULL: the
 * current key): BLAKE2b-256 keyed with the derived pepper, of the PIN. */
static int pin_peppered(const char *kid, const char *pin, unsigned char in[32], char kid_out[GH_SECRETBOX_KID_LEN + 1])
{
    unsigned char pepper[GH_SECRETBOX_SUBKEY_BYTES];
    gh_err e = {0};
    int rc = -1;
    if (gh_secretbox_derive(kid, PIN_PEPPER_CONTEXT, pepper, kid_out, &e) != GH_OK) goto done;
    char *norm = gh_secret_normalize(pin);
    if (!norm) goto done;
    crypto_generichash(in, 32, (const unsigned char *)norm, strlen(norm), pepper, sizeof pepper);
    free_secret(norm);
    rc = 0;
done:
    gh_err_clear(&e);
    sodium_memzero(pepper, sizeof pepper);
    return rc;
}

int gh_pin_hash(const char *pin, char out[GH_PWHASH_MAX])
{
    if (!gh_secretbox_ready()) {
        /* Tools and tests without a key file: an unpeppered hash at the PIN
         * cost, upgraded at the next sign-in with a key. */
        char *norm = gh_secret_normalize(pin);
        if (!norm) return -1;
        int rc = crypto_pwhash_str(out, norm, strlen(norm), pin_ops, pin_mem);
        free_secret(norm);
        return rc;
    }
    unsigned char in[32];
    char kid[GH_SECRETBOX_KID_LEN + 1], inner[crypto_pwhash_STRBYTES];
    int rc = -1;
    if (pin_peppered(NULL, pin, in, kid) != 0) goto done;
    if (crypto_pwhash_str(inner, (const char *)in, sizeof in, pin_ops, pin_mem) != 0) goto done;
    int n = snprintf(out, GH_PWHASH_MAX, PIN_PREFIX "%s$%s", kid, inner);
    rc = n > 0 && (size_t)n < GH_PWHASH_MAX ? 0 : -1;
done:
    sodium_memzero(in, sizeof in);
    if (rc != 0) sodium_memzero(out, GH_PWHASH_MAX);
    return rc;
}

bool gh_pin_verify(const char *hash, const char *pin, bool *stale)
{
    if (stale) *stale = false;
    if (!hash || !*hash) return false;
    if (strncmp(hash, PIN_PREFIX, sizeof PIN_PREFIX - 1) != 0) {
        /* Before the pepper: a plain argon2id hash of the PIN. */
        bool ok = gh_secret_verify(hash, pin);
        if (stale) *stale = gh_secretbox_ready();
        return ok;
    }
    const char *k = hash + sizeof PIN_PREFIX - 1;
    if (strlen(k) < GH_SECRETBOX_KID_LEN + 1 || k[GH_SECRETBOX_KID_LEN] != '$') return false;
    char kid[GH_SECRETBOX_KID_LEN + 1];
    memcpy(kid, k, GH_SECRETBOX_KID_LEN);
    kid[GH_SECRETBOX_KID_LEN] = '\0';
    const char *inner = k + GH_SECRETBOX_KID_LEN + 1;
    unsigned char in[32];
    if (pin_peppered(kid, pin, in, NULL) != 0) return false;
    bool ok = crypto_pwhash_str_verify(inner, (const char *)in, sizeof in) == 0;
    sodium_memzero(in, sizeof in);
    if (ok && stale)
        *stale = strcmp(kid, gh_secretbox_current_kid()) != 0 ||
                 crypto_pwhash_str_needs_rehash(inner, pin_ops, pin_mem) != 0;
    return ok;
}

/* A PIN hash of a random secret at the PIN cost, for unknown badges (so
 * they take as long as known ones); made once, on first use. */
static char pin_dummy[GH_PWHASH_MAX];
static pthread_once_t pin_dummy_once = PTHREAD_ONCE_INIT;

static void pin_dummy_init(void)
{
    char rnd[GH_TOKEN_LEN + 1];
    gh_token_new(rnd);
    if (gh_pin_hash(rnd, pin_dummy) != 0) pin_dummy[0] = '\0';
    sodium_memzero(rnd, sizeof rnd);
}

const char *gh_pin_dummy_hash(void)
{
    pthread_once(&pin_dummy_once, pin_dummy_init);
    return pin_dummy[0] ? pin_dummy : gh_secret_dummy_hash();
}
