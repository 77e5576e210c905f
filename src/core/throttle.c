/* Fixed-size hash table of throttle entries, guarded by one mutex. When the
 * table is full the stalest entry in the probe window is replaced. */
#include "core/throttle.h"

#include <pthread.h>
#include <string.h>

#include "util/util.h"

#define SLOTS 8192
#define PROBE 16
#define MAX_DELAY 900
#define FORGET_AFTER 86400 /* a day without failures clears the count */

typedef struct { char key[320]; int failures; int64_t next_allowed, last; } entry;
static entry table[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(const char *key)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = key; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (size_t)(h % SLOTS);
}

/* Finds key, or (create) a slot for it; NULL if absent and !create. */
static entry *find(const char *key, bool create, int64_t now)
{
    size_t s = slot_of(key);
    entry *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        entry *e = &table[(s + i) % SLOTS];
        if (e->key[0] && strcmp(e->key, key) == 0) return e;
        if (!victim || !e->key[0] || (victim->key[0] && e->last < victim->last)) victim = e;
    }
    if (!create) return NULL;
    memset(victim, 0, sizeof *victim);
    gh_strlcpy(victim->key, key, sizeof victim->key);
    victim->last = now;
    return victim;
}

bool gh_throttle_allowed(const char *key, int64_t now, int *retry_after)
{
    bool ok = true;
    pthread_mutex_lock(&mu);
    entry *e = find(key, false, now);
    if (e && e->next_allowed > now) {
        ok = false;
        *retry_after = (int)(e->next_allowed - now);
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

int gh_throttle_fail(const char *key, int64_t now, int free_attempts)
{
    pthread_mutex_lock(&mu);
    entry *e = find(key, true, now);
    if (now - e->last > FORGET_AFTER) e->failures = 0;
    e->failures++;
    e->last = now;
    int over = e->failures - free_attempts;
    if (over > 0) {
        int64_t delay = over >= 11 ? MAX_DELAY : (int64_t)1 << (over - 1);
        if (delay > MAX_DELAY) delay = MAX_DELAY;
        e->next_allowed = now + delay;
    }
    int n = e->failures;
    pthread_mutex_unlock(&mu);
    return n;
}

void gh_throttle_reset(const char *key)
{
    pthread_mutex_lock(&mu);
    entry *e = find(key, false, 0);
    if (e) memset(e, 0, sizeof *e);
    pthread_mutex_unlock(&mu);
}
