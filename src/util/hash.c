/* The keyed table hash (see hash.h). */
#include "util/hash.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

static unsigned char key[crypto_shorthash_KEYBYTES];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void key_init(void)
{
    if (sodium_init() < 0) return; /* the all-zero key still hashes, unkeyed */
    crypto_shorthash_keygen(key);
}

uint64_t gh_hash(const void *p, size_t n)
{
    pthread_once(&key_once, key_init);
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, p, n, key);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h;
}

uint64_t gh_hash_str(const char *s) { return gh_hash(s, strlen(s)); }

uint64_t gh_hash_pair(const char *a, const char *b)
{
    /* The first hash is folded in with an odd multiplier, so (a, b) and
     * (b, a) differ as well. */
    return gh_hash_str(a) * UINT64_C(0x9E3779B97F4A7C15) ^ gh_hash_str(b);
}
