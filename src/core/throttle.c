/* Fixed-size open-addressing table of throttle entries, guarded by one
 * mutex. Slots are found by a keyed 64-bit hash (libsodium's SipHash-2-4
 * with a per-process random key drawn at first use); the key text itself is
 * never kept. When a probe window is full, the stalest entry that is not
 * penalised, in flight or known is replaced; if there is none, the new key
 * is refused (reserve says "wait") rather than letting a flood of fresh
 * keys wash out the penalties of the keys under attack. */
#include "core/throttle.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define SLOTS 16384
#define PROBE 32
#define MAX_DELAY 900
#define FORGET_AFTER 86400 /* a day without failures clears the count */

typedef struct {
    uint64_t h;                 /* keyed hash of the key; 0 = empty slot */
    int failures;
    int64_t next_allowed;       /* penalty: no attempt before this */
    int64_t last;               /* last failure, reservation or success */
    int64_t inflight_until;     /* an attempt is reserved until then (lease) */
    int64_t known_until;        /* a success came from this key */
    uint32_t epoch;             /* see gh_throttle_epoch */
} entry;

static entry table[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char hkey[crypto_shorthash_KEYBYTES];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void key_init(void) { randombytes_buf(hkey, sizeof hkey); }

static uint64_t hash_of(const char *key)
{
    unsigned char out[crypto_shorthash_BYTES];
    pthread_once(&key_once, key_init);
    crypto_shorthash(out, (const unsigned char *)key, strlen(key), hkey);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h ? h : 1; /* 0 marks an empty slot */
}

/* Whether an entry still matters and must not be evicted. */
static bool pinned(const entry *e, int64_t now) { return e->next_allowed > now || e->inflight_until > now; }

/* Eviction order among unpinned entries: empty, then not known, then the
 * stalest. True if a is a better victim than b. */
static bool better_victim(const entry *a, const entry *b, int64_t now)
{
    if (!b) return true;
    if (!b->h) return false;
    if (!a->h) return true;
    bool ka = a->known_until > now, kb = b->known_until > now;
    if (ka != kb) return kb;
    return a->last < b->last;
}

/* Finds key, or (create) a slot for it; NULL if absent and !create, or if
 * there is no room. */
static entry *find(const char *key, bool create, int64_t now)
{
    uint64_t h = hash_of(key);
    size_t s = (size_t)(h % SLOTS);
    entry *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        entry *e = &table[(s + i) % SLOTS];
        if (e->h == h) return e;
        if (!create || (e->h && pinned(e, now))) continue;
        if (better_victim(e, victim, now)) victim = e;
    }
    if (!create || !victim) return NULL;
    memset(victim, 0, sizeof *victim);
    victim->h = h;
    victim->last = now;
    victim->epoch = randombytes_random() | 1u;
    return victim;
}

static void count_failure(entry *e, int64_t now, int free_attempts)
{
    if (now - e->last > FORGET_AFTER) e->failures = 0;
    if (e->failures < 1000000) e->failures++;
    e->last = now;
    int over = e->failures - free_attempts;
    if (over > 0) {
        int64_t delay = over >= 11 ? MAX_DELAY : (int64_t)1 << (over - 1);
        if (delay > MAX_DELAY) delay = MAX_DELAY;
        e->next_allowed = now + delay;
    }
}

static int wait_of(const entry *e, int64_t now)
{
    int64_t until = e->next_allowed > now ? e->next_allowed : now;
    if (e->inflight_until > now && until < now + 1) until = now + 1;
    int64_t w = until - now;
    return w < 1 ? 1 : (int)w;
}

bool gh_throttle_allowed(const char *key, int64_t now, int *retry_after)
{
    bool ok = true;
    pthread_mutex_lock(&mu);
    entry *e = find(key, false, now);
    if (e && (e->next_allowed > now || e->inflight_until > now)) {
        ok = false;
        *retry_after = wait_of(e, now);
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

bool gh_throttle_reserve(const char *key, int64_t now, int *retry_after)
{
    bool ok = false;
    pthread_mutex_lock(&mu);
    entry *e = find(key, true, now);
    if (!e) {
        *retry_after = 1;
    } else if (e->next_allowed > now || e->inflight_until > now) {
        *retry_after = wait_of(e, now);
    } else {
        e->inflight_until = now + GH_THROTTLE_LEASE;
        e->last = now > e->last ? now : e->last;
        ok = true;
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

void gh_throttle_release(const char *key, int64_t now, bool failed, int free_attempts)
{
    pthread_mutex_lock(&mu);
    entry *e = find(key, failed, now);
    if (e) {
        e->inflight_until = 0;
        if (failed) count_failure(e, now, free_attempts);
    }
    pthread_mutex_unlock(&mu);
}

int gh_throttle_fail(const char *key, int64_t now, int free_attempts)
{
    int n = 0;
    pthread_mutex_lock(&mu);
    entry *e = find(key, true, now);
    if (e) {
        count_failure(e, now, free_attempts);
        n = e->failures;
    }
    pthread_mutex_unlock(&mu);
    return n;
}

int gh_throttle_failures(const char *key, int64_t now)
{
    int n = 0;
    pthread_mutex_lock(&mu);
    entry *e = find(key, false, now);
    if (e && now - e->last <= FORGET_AFTER) n = e->failures;
    pthread_mutex_unlock(&mu);
    return n;
}

void gh_throttle_reset(const char *key)
{
    pthread_mutex_lock(&mu);
    entry *e = find(key, false, 0);
    if (e) {
        e->failures = 0;
        e->next_allowed = 0;
    }
    pthread_mutex_unlock(&mu);
}

void gh_throttle_mark_known(const char *key, int64_t now)
{
    pthread_mutex_lock(&mu);
    entry *e = find(key, true, now);
    if (e) {
        e->known_until = now + GH_THROTTLE_KNOWN_FOR;
        e->last = now > e->last ? now : e->last;
    }
    pthread_mutex_unlock(&mu);
}

bool gh_throttle_is_known(const char *key, int64_t now)
{
    pthread_mutex_lock(&mu);
    entry *e = find(key, false, now);
    bool k = e && e->known_until > now;
    pthread_mutex_unlock(&mu);
    return k;
}

uint32_t gh_throttle_epoch(const char *key, int64_t now)
{
    pthread_mutex_lock(&mu);
    entry *e = find(key, true, now);
    uint32_t ep = e ? e->epoch : 0;
    pthread_mutex_unlock(&mu);
    return ep;
}

void gh_throttle_forget(const char *key, int64_t now)
{
    pthread_mutex_lock(&mu);
    entry *e = find(key, false, now);
    if (e) {
        e->failures = 0;
        e->next_allowed = 0;
        e->epoch = randombytes_random() | 1u;
    }
    pthread_mutex_unlock(&mu);
}

void gh_throttle_clear_all(void)
{
    pthread_mutex_lock(&mu);
    memset(table, 0, sizeof table);
    pthread_mutex_unlock(&mu);
}
