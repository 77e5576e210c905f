/*
 * Throttling of guesses (sign-in passwords, kiosk PINs), per key: an account
 * or a client address. The first few failures are free; after that each
 * failure doubles the wait before the next attempt, up to a cap (NIST SP
 * 800-63B rate limiting). A key with no failure for a day starts over, so
 * the occasional typo from a busy address never adds up to a lock-out.
 * State is in memory, shared by all threads.
 */
#ifndef GH_THROTTLE_H
#define GH_THROTTLE_H
#include <stdbool.h>
#include <stdint.h>

/* True if an attempt for key is allowed now; otherwise *retry_after gets the
 * seconds to wait. */
bool gh_throttle_allowed(const char *key, int64_t now, int *retry_after);
/* Records a failure; `free_attempts` failures cost nothing. Returns the
 * number of consecutive failures. */
int gh_throttle_fail(const char *key, int64_t now, int free_attempts);
/* Clears the key after a success. */
void gh_throttle_reset(const char *key);

#endif
