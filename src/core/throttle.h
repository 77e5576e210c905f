/*
 * Throttling of guesses (sign-in passwords, re-authentication, kiosk PINs),
 * per key: an account, an account and address pair, a badge, a kiosk device
 * or a client address. The first few failures are free; after that each
 * failure doubles the wait before the next attempt, up to a cap (NIST SP
 * 800-63B rate limiting). A key with no failure for a day starts over, so
 * the occasional typo from a busy address never adds up to a lock-out.
 *
 * Attempts that cost a hash are *reserved* before the hash runs
 * (gh_throttle_reserve) and released with their outcome afterwards
 * (gh_throttle_release): while one attempt for a key is in flight, further
 * ones are refused, so N concurrent guesses verify one at a time and are
 * counted before the next may start. A reservation that is never released
 * (a lost request) lapses after GH_THROTTLE_LEASE seconds.
 *
 * Keys are never stored: the table holds a keyed hash of each key
 * (crypto_shorthash under a random per-process key), so nobody can choose
 * keys that collide, and an entry that is penalised or in flight is never
 * evicted to make room (a full neighbourhood refuses new keys instead);
 * known keys are evicted only when nothing else can be. State is in memory, shared by all threads.
 */
#ifndef GH_THROTTLE_H
#define GH_THROTTLE_H
#include <stdbool.h>
#include <stdint.h>

#define GH_THROTTLE_LEASE 120 /* seconds an unreleased reservation holds */

/* True if an attempt for key is allowed now; otherwise *retry_after gets the
 * seconds to wait (at least 1). Counts in-flight reservations as busy. */
bool gh_throttle_allowed(const char *key, int64_t now, int *retry_after);
/* Reserves the key for one attempt: false (with *retry_after >= 1) when the
 * key is penalised, already has an attempt in flight, or the table has no
 * room for it. A true answer must be followed by gh_throttle_release. */
bool gh_throttle_reserve(const char *key, int64_t now, int *retry_after);
/* Ends a reservation; a failed attempt is counted as gh_throttle_fail does. */
void gh_throttle_release(const char *key, int64_t now, bool failed, int free_attempts);
/* Records a failure; `free_attempts` failures cost nothing. Returns the
 * number of consecutive failures. */
int gh_throttle_fail(const char *key, int64_t now, int free_attempts);
/* Consecutive failures recorded for key (0 if none or forgotten). */
int gh_throttle_failures(const char *key, int64_t now);
/* Clears the key's failures and penalty (not an attempt in flight). */
void gh_throttle_reset(const char *key);
/* Marks key as known (a success came from it), or asks whether it is. A
 * known key is kept for GH_THROTTLE_KNOWN_FOR seconds after its last use. */
#define GH_THROTTLE_KNOWN_FOR (90 * 86400)
void gh_throttle_mark_known(const char *key, int64_t now);
bool gh_throttle_is_known(const char *key, int64_t now);
/* A random number drawn when key's entry was created (or last forgotten),
 * to fold into the names of keys that belong to it (an account's address
 * pairs): gh_throttle_forget(key) then orphans all of them at once. 0 when
 * the table has no room. */
uint32_t gh_throttle_epoch(const char *key, int64_t now);
/* Clears the key's failures and penalty and draws a new epoch. */
void gh_throttle_forget(const char *key, int64_t now);
/* Forgets everything (tests). */
void gh_throttle_clear_all(void);

#endif
