/*
 * Secrets people choose: passwords (NIST SP 800-63B: 8..256 characters, no
 * composition rules, refused when common) and kiosk PINs, hashed with
 * argon2id (libsodium crypto_pwhash_str). Hashing is slow on purpose: the
 * HTTP layer runs it on the hashing pool.
 */
#ifndef GH_SECRET_H
#define GH_SECRET_H
#include <sodium.h>
#include <stdbool.h>

#include "util/err.h"
#include "util/util.h"

#define GH_PW_MIN 8
#define GH_PW_MAX 256

/* Loads the embedded common-password list; call once at start. */
int gh_secret_init(void);
/* Is this password acceptable? Fills err (field `field`) when not. Checks
 * the NFKC form (NIST SP 800-63B): 8..256 characters (password_too_short,
 * password_too_long), valid UTF-8 (password_invalid), not common
 * (password_common), not one character repeated (password_repetitive:
 * "aaaaaaaa", eight spaces) nor a run of consecutive characters
 * (password_sequential: "12345678", "hgfedcba"). */
gh_status gh_password_check(const char *pw, const char *field, gh_err *err);
/* What a password must not contain: its person's e-mail address or its
 * local part (password_contains_email), their name (password_contains_name)
 * and the organization's name (password_contains_org), compared in NFKC
 * and case-insensitively; parts shorter than 4 characters are ignored. Any
 * member may be NULL. */
typedef struct gh_pw_context { const char *email, *name, *org_name; } gh_pw_context;
gh_status gh_password_check_for(const char *pw, const char *field, const gh_pw_context *c, gh_err *err);
/* The NFKC form of a secret (malloc'd, the caller wipes and frees it), or
 * NULL when pw is not valid UTF-8 or memory ran out. Hashing and
 * verification apply it themselves. */
char *gh_secret_normalize(const char *pw);
/* True if pw is in the common-password list (case-insensitive). */
bool gh_password_is_common(const char *pw);
/* argon2id hash into out; 0 on success. */
int gh_secret_hash(const char *secret, char out[GH_PWHASH_MAX]);
/* Constant-time verification against a stored hash. */
bool gh_secret_verify(const char *hash, const char *secret);
/* A hash of a random secret, to verify against when the account does not
 * exist, so unknown and known accounts take the same time. */
const char *gh_secret_dummy_hash(void);

/* Kiosk PINs (issue 22). A 6-digit PIN has a million values: no hashing
 * cost protects it against someone who holds its hash and can guess
 * offline, so its strength comes from throttling (kiosk.h) and from a
 * pepper: the hash is argon2id of BLAKE2b(PIN) keyed with a key derived
 * from the secret box's key (secretbox.h), which never enters the
 * database, so a stolen database or backup alone cannot be cracked. The
 * argon2id cost is therefore low (GH_PIN_OPSLIMIT passes over
 * GH_PIN_MEMLIMIT bytes, about 10 ms here): a shift of 100 workers signs
 * in within a second of hashing on 2 cores. Stored as
 * "$ghpin1$<key id>$<argon2id string>". */
#define GH_PIN_OPSLIMIT 2ULL
#define GH_PIN_MEMLIMIT (4096U * 1024U)
/* The PIN's hash into out; 0 on success. Without a loaded key (tools,
 * some tests) a plain argon2id hash at the PIN cost. */
int gh_pin_hash(const char *pin, char out[GH_PWHASH_MAX]);
/* Verifies a PIN against a stored hash: a peppered one, or one from before
 * the pepper (plain argon2id). *stale (may be NULL) is set when the PIN was
 * right but its hash should be replaced by gh_pin_hash (no pepper, an older
 * key, other costs): the sign-in upgrades it. */
bool gh_pin_verify(const char *hash, const char *pin, bool *stale);
/* A PIN hash of a random secret, for unknown badges. */
const char *gh_pin_dummy_hash(void);

/* Hashing cost: interactive by default; main sets the minimum for
 * --test-cost (tests only). */
void gh_secret_set_cost(unsigned long long ops, size_t mem);

#endif
