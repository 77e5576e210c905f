/* Password policy, common-password list and argon2id hashing. */
#include "core/secret.h"

#include <stdlib.h>
#include <string.h>

#include "util/assets.h"
#include "util/util.h"

static unsigned long long pw_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t pw_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

/* Common passwords: an open-addressing set of 64-bit hashes of the
 * lower-cased entries. */
static uint64_t *common;
static size_t common_cap;
static char dummy_hash[GH_PWHASH_MAX];

static uint64_t hash64(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        h = (h ^ c) * 1099511628211ull;
    }
    return h | 1; /* 0 marks an empty slot */
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

gh_status gh_password_check(const char *pw, const char *field, gh_err *err)
{
    size_t n = gh_strnlen_max(pw, GH_PW_MAX * 4);
    /* Length counts characters (code points), not bytes. */
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += ((unsigned char)pw[i] & 0xC0) != 0x80;
    if (chars < GH_PW_MIN)
        return gh_fail_field(err, GH_E_INVALID, "password_too_short", field,
                             "a password needs at least %d characters", GH_PW_MIN);
    if (chars > GH_PW_MAX)
        return gh_fail_field(err, GH_E_INVALID, "password_too_long", field,
                             "a password can have at most %d characters", GH_PW_MAX);
    if (gh_password_is_common(pw))
        return gh_fail_field(err, GH_E_INVALID, "password_common", field,
                             "this password is too common; choose another");
    return GH_OK;
}

int gh_secret_hash(const char *secret, char out[GH_PWHASH_MAX])
{
    return crypto_pwhash_str(out, secret, strlen(secret), pw_ops, pw_mem);
}

bool gh_secret_verify(const char *hash, const char *secret)
{
    if (!hash || !*hash) return false;
    return crypto_pwhash_str_verify(hash, secret, strlen(secret)) == 0;
}

const char *gh_secret_dummy_hash(void) { return dummy_hash; }
