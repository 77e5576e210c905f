/*
 * The secret box (DESIGN.md, "One secret box"): values the server must read
 * back later (IdP client secrets today; TOTP seeds, webhook signing secrets
 * and backup keys next) are stored sealed with libsodium's secretbox
 * (XSalsa20-Poly1305) under a server key that never enters the database.
 *
 * The key file (`--secret-key-file` / GATEHOUSE_SECRET_KEY_FILE, by default
 * the database's path + ".secret-key") holds one key per line as 64 hex
 * digits; `#` lines and blank lines are ignored. The first key seals, every
 * key opens. The server creates the file (mode 0600, one fresh key) on first
 * start when it is absent, and refuses to start when it is readable by group
 * or others. Rotation: put a new key on the first line and keep the old ones
 * below it; values are sealed under the new key when they are next written,
 * and an old line is removed once nothing is sealed under it
 * (docs/sso.md, "Rotating the secret key").
 *
 * A sealed value is text: "gh1.<key id>.<base64url(nonce || box)>". The key
 * id (16 hex digits of BLAKE2b of the key) says which key opens it. Each
 * value is sealed under a subkey derived from the key and a context string
 * naming its owner and purpose (e.g. "org_sso:org_x:client_secret"), so a
 * sealed value copied into another row or organization does not open.
 */
#ifndef GH_SECRETBOX_H
#define GH_SECRETBOX_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define GH_SECRETBOX_KEYS_MAX 8
#define GH_SECRETBOX_PLAIN_MAX 4096 /* the longest value that may be sealed */
#define GH_SECRETBOX_KID_LEN 16
/* "gh1." + kid + "." + base64url(24 + 16 + PLAIN_MAX) + NUL */
#define GH_SECRETBOX_SEALED_MAX (4 + GH_SECRETBOX_KID_LEN + 1 + ((24 + 16 + GH_SECRETBOX_PLAIN_MAX) * 4 + 2) / 3 + 1)

/* Reads the key file at path, creating it (0600, one new key) when absent.
 * 0 on success; otherwise a message in err. Call once at start. */
int gh_secretbox_init(const char *path, char *err, size_t errlen);
/* Loads keys from text in the key file's format (for tests and init). */
int gh_secretbox_load_text(const char *text, char *err, size_t errlen);
/* Forgets every key (wiped). */
void gh_secretbox_release(void);
/* Is a key loaded? */
bool gh_secretbox_ready(void);
/* The id of the key that seals (NUL-terminated, GH_SECRETBOX_KID_LEN). */
const char *gh_secretbox_current_kid(void);

/* Seals n bytes of plain under context into out (cap >= GH_SECRETBOX_SEALED_MAX
 * is always enough). GH_E_INVALID when n > GH_SECRETBOX_PLAIN_MAX,
 * GH_E_INTERNAL when no key is loaded. */
gh_status gh_secretbox_seal(const char *context, const void *plain, size_t n, char *out, size_t cap,
                            gh_err *err);
/* Opens sealed under context into out (NUL-terminated; cap must hold the
 * value and the NUL) and sets *n. A value under an unknown key id, sealed
 * under another context, or altered is GH_E_INTERNAL with code
 * secret_unreadable; out is wiped on every failure. The caller wipes out
 * (sodium_memzero) when done. */
gh_status gh_secretbox_open(const char *context, const char *sealed, char *out, size_t cap, size_t *n,
                            gh_err *err);
/* The key id a sealed value names ("" when it is not a sealed value). */
void gh_secretbox_kid_of(const char *sealed, char out[GH_SECRETBOX_KID_LEN + 1]);
/* A 32-byte key derived from a server key and context, for keyed hashes
 * (the kiosk PIN pepper, secret.h): from the key with id kid, or the
 * sealing key when kid is NULL; kid_out (may be NULL) gets the key's id.
 * GH_E_INTERNAL secret_unreadable when no such key is loaded. */
#define GH_SECRETBOX_SUBKEY_BYTES 32
gh_status gh_secretbox_derive(const char *kid, const char *context, unsigned char out[GH_SECRETBOX_SUBKEY_BYTES],
                              char kid_out[GH_SECRETBOX_KID_LEN + 1], gh_err *err);
#endif
