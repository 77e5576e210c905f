/*
 * TOTP (RFC 6238) and its QR code: the pure parts of the TOTP factor, no
 * database (core/mfa.c stores and seals). HMAC-SHA1 codes come from Debian's
 * liboath (libsodium has no HMAC-SHA1, which authenticator apps use); the QR
 * code's module matrix from libqrencode, drawn here as SVG.
 *
 * Parameters are the ones every authenticator app assumes: SHA-1, 6 digits,
 * 30-second steps counted from the Unix epoch, 160-bit secrets (RFC 4226
 * section 4). A code is accepted for the step of `now` and one step either
 * side; a step that was accepted once (or any earlier one) is never
 * accepted again, so a code seen over someone's shoulder cannot be replayed
 * within its window.
 */
#ifndef GH_TOTP_H
#define GH_TOTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GH_TOTP_SECRET_LEN 20  /* bytes */
#define GH_TOTP_B32_MAX 40     /* base32 text of the secret, with NUL */
#define GH_TOTP_DIGITS 6
#define GH_TOTP_STEP_S 30
#define GH_TOTP_WINDOW 1       /* steps accepted either side of now */

typedef enum gh_totp_result {
    GH_TOTP_OK = 0,
    GH_TOTP_WRONG,    /* no step in the window has this code */
    GH_TOTP_REUSED,   /* the code is right but its step was already used */
} gh_totp_result;

/* The step number of a time (unix seconds). */
int64_t gh_totp_step(int64_t now);
/* The code of `step` for secret (digits + NUL in out). 0 on success. */
int gh_totp_code(const unsigned char *secret, size_t len, int64_t step, char out[GH_TOTP_DIGITS + 1]);
/* Checks code at time now against the window, refusing steps <= last_step
 * (0: none used yet). *matched gets the step that matched (OK and REUSED). */
gh_totp_result gh_totp_verify(const unsigned char *secret, size_t len, int64_t now, const char *code,
                              int64_t last_step, int64_t *matched);
/* Base32 (RFC 4648, no padding) of the secret, as authenticator apps take it. */
int gh_totp_base32(const unsigned char *secret, size_t len, char out[GH_TOTP_B32_MAX]);
/* The otpauth:// URI (Key Uri Format): issuer and account percent-encoded.
 * malloc'd, NULL on failure. */
char *gh_totp_uri(const char *issuer, const char *account, const char *secret_b32);
/* An SVG document of the QR code of text (error correction M, 4-module quiet
 * zone, one path of dark modules). malloc'd, NULL on failure. */
char *gh_qr_svg(const char *text);

#endif
