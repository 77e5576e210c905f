/*
 * Small, bounded building blocks shared by every layer: the injectable clock,
 * RFC 3339 times, opaque ids and secret tokens, a growable buffer with a
 * named maximum, and a per-request arena. Nothing here knows about HTTP or
 * SQL.
 */
#ifndef GH_UTIL_H
#define GH_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- clock ---------------------------------------------------------------
 * All domain code reads time through gh_now(): unix seconds, UTC. Tests move
 * the clock forward with gh_clock_advance() (only reachable over HTTP when the
 * server was started with --test-clock). */
int64_t gh_now(void);
void gh_clock_advance(int64_t seconds);
/* Stops the clock where it is (true) or lets it run on from there (false):
 * tests of pauses measured in seconds, on a machine too loaded to act within
 * them. Advancing still works while frozen. */
void gh_clock_freeze(bool frozen);
/* Monotonic milliseconds, for latency measurement only. */
double gh_mono_ms(void);

/* Formats t as "2026-11-23T18:34:57Z" into buf (>= 21 bytes). */
void gh_time_fmt(int64_t t, char buf[static 32]);
/* Parses an RFC 3339 UTC or offset time; false if malformed. */
bool gh_time_parse(const char *s, int64_t *out);

/* ---- ids and tokens -------------------------------------------------------
 * Public ids are a short type prefix and 128 random bits in lowercase
 * base32 ("u_3k9..."), opaque and not sequential. Tokens carry 256 random
 * bits, base64url; only their BLAKE2b-256 hash (hex) is ever stored. */
#define GH_ID_MAX 40
#define GH_TOKEN_LEN 43        /* base64url of 32 bytes, no padding */
#define GH_HASH_HEX_LEN 64
/* Room for an argon2id hash string (libsodium crypto_pwhash_STRBYTES; checked
 * in core/secret.c), so the store can hold one without including core/. */
#define GH_PWHASH_MAX 128
int gh_random_init(void);
void gh_id_new(const char *prefix, char out[static GH_ID_MAX]);
void gh_token_new(char out[static GH_TOKEN_LEN + 1]);
void gh_token_hash(const char *token, char out[static GH_HASH_HEX_LEN + 1]);
/* Constant-time string equality for secrets of equal length. */
bool gh_secret_eq(const char *a, const char *b);
/* Uniform random integer in [0, bound). */
uint32_t gh_random_below(uint32_t bound);

/* ---- strings ------------------------------------------------------------- */
/* Copies at most cap-1 bytes and always terminates; returns false when cut. */
bool gh_strlcpy(char *dst, const char *src, size_t cap);
/* Lower-cases ASCII letters into dst (cap bytes); false when cut. */
bool gh_ascii_lower(char *dst, const char *src, size_t cap);
bool gh_str_eq(const char *a, const char *b);
/* Length of s up to max+1 (so callers can tell "too long"). */
size_t gh_strnlen_max(const char *s, size_t max);
/* Is key one of the space-separated keys in list (whole words only)? */
bool gh_keylist_has(const char *list, const char *key);
/* A plausible email: one '@', a dot in the domain, no spaces, <= 254 bytes. */
bool gh_email_valid(const char *s);
/* What is wrong with a text (gh_text_check); GH_TEXT_OK when nothing. */
typedef enum gh_text_fault {
    GH_TEXT_OK = 0,
    GH_TEXT_MISSING,     /* NULL */
    GH_TEXT_TOO_SHORT,   /* fewer than min bytes ("" for min 1) */
    GH_TEXT_TOO_LONG,    /* more than max bytes */
    GH_TEXT_BAD_UTF8,    /* not valid UTF-8 (overlong, surrogate, cut) */
    GH_TEXT_CONTROL,     /* C0/C1 control character or DEL (no tabs, no newlines) */
    GH_TEXT_BIDI,        /* bidirectional override, embedding, isolate or mark (Trojan Source) */
    GH_TEXT_BLANK,       /* only white space, when min > 0 */
} gh_text_fault;
/* Checks s: valid UTF-8, no control or bidirectional-control characters,
 * length in bytes within [min,max], and, when min > 0, not only white
 * space. *cp (may be NULL) gets the offending code point for CONTROL/BIDI. */
gh_text_fault gh_text_check(const char *s, size_t min, size_t max, uint32_t *cp);
/* gh_text_check(s, min, max, NULL) == GH_TEXT_OK. */
bool gh_text_valid(const char *s, size_t min, size_t max);

/* Name order (issue 11): a byte string whose byte order (memcmp) is the
 * order people expect for names: case-insensitive (simple case folding of
 * Latin, Greek and Cyrillic) and accent-insensitive for Latin letters
 * (issue 17: "É" sorts with "E"; combining marks are ignored), otherwise by
 * Unicode code point, and runs of
 * digits by their number ("bulk-2" before "bulk-10"). Deterministic and
 * locale-free. Writes at most cap-1 bytes and a NUL (cut keys still order
 * consistently); returns the key's length. Invalid UTF-8 bytes are kept as
 * they are. GH_NAME_KEY_MAX fits the key of any valid 200-byte name. */
#define GH_NAME_KEY_MAX 1024
size_t gh_name_sort_key(const char *s, char *out, size_t cap);
/* Search (issue 17): the case- and accent-insensitive form of s (the
 * folding of the name order, accents of Latin letters and combining marks
 * removed), cut at a character boundary to fit cap; returns its length. */
size_t gh_search_fold(const char *s, char *out, size_t cap);
/* A user's search key: the folded name, e-mail and badge joined by U+001F
 * (which no validated text holds, so a match never spans two of them). */
#define GH_SEARCH_KEY_MAX 1024
size_t gh_search_key(const char *name, const char *email, const char *badge, char *out, size_t cap);
/* The number of characters (code points) in a UTF-8 string. */
size_t gh_search_chars(const char *key);
/* Compares two names in that order, ties broken by bytes (0 only when equal). */
int gh_name_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* Checked size arithmetic. */
bool gh_size_add(size_t a, size_t b, size_t *out);
bool gh_size_mul(size_t a, size_t b, size_t *out);
/* Parses a base-10 integer in [min,max]; false on junk or overflow. */
bool gh_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* ---- growable buffer ------------------------------------------------------
 * Appends never overflow: past `max` bytes the buffer records the error and
 * ignores further appends; check gh_buf_ok() once at the end. */
typedef struct gh_buf {
    char *data;
    size_t len, cap, max;
    bool failed;
    bool wipe;     /* holds secrets: zeroed before every free (growth included) */
} gh_buf;
void gh_buf_init(gh_buf *b, size_t max);
void gh_buf_append(gh_buf *b, const void *p, size_t n);
void gh_buf_puts(gh_buf *b, const char *s);
void gh_buf_printf(gh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool gh_buf_ok(const gh_buf *b);
/* Hands the NUL-terminated data to the caller (who frees it); resets b. */
char *gh_buf_take(gh_buf *b);
void gh_buf_release(gh_buf *b);

/* ---- arena ----------------------------------------------------------------
 * One per request: allocations live until gh_arena_free(). */
typedef struct gh_arena gh_arena;
gh_arena *gh_arena_new(void);
void *gh_arena_alloc(gh_arena *a, size_t n);
char *gh_arena_strdup(gh_arena *a, const char *s);
char *gh_arena_printf(gh_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gh_arena_free(gh_arena *a);

/* Last: unbounded string functions are compile errors from here on. */
#include "util/banned.h"

#endif
