/*
 * One error type for the whole program. Store and core functions return a
 * gh_status (0 = success) and fill a gh_err with a stable machine code
 * ("last_admin"), a human message and, for validation failures, the
 * offending field. It lives in util/ so every layer, the store included,
 * can use it without depending on anything above. The HTTP layer maps
 * gh_status to an HTTP status in exactly one table (status_table in
 * http/reply.c) and renders the gh_err as RFC 9457 problem+json.
 */
#ifndef GH_ERR_H
#define GH_ERR_H
#include <jansson.h>

typedef enum gh_status {
    GH_OK = 0,
    GH_E_INVALID,          /* 400: bad input */
    GH_E_UNAUTHENTICATED,  /* 401 */
    GH_E_FORBIDDEN,        /* 403 */
    GH_E_NOT_FOUND,        /* 404 */
    GH_E_METHOD,           /* 405 */
    GH_E_CONFLICT,         /* 409 */
    GH_E_GONE,             /* 410: expired or used link */
    GH_E_TOO_LARGE,        /* 413 */
    GH_E_UNSUPPORTED_TYPE, /* 415 */
    GH_E_PRECONDITION,     /* 428: e.g. pin_change_required */
    GH_E_THROTTLED,        /* 429 */
    GH_E_INTERNAL,         /* 500 */
    GH_E_BUSY,             /* 503 */
    GH_E_STALE,            /* 412: If-Match names another version */
    GH_STATUS_COUNT
} gh_status;

typedef struct gh_err {
    gh_status status;
    char code[48];        /* stable machine code, e.g. "self_lockout" */
    char field[64];       /* offending input field, or "" */
    char detail[256];     /* human-readable, never secrets */
    int retry_after;      /* seconds, for GH_E_THROTTLED/BUSY, else 0 */
    json_t *extra;        /* owned: extra members for the problem document */
} gh_err;

/* Sets err and returns status, so callers can `return gh_fail(...)`. */
gh_status gh_fail(gh_err *err, gh_status status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, naming the field at fault. */
gh_status gh_fail_field(gh_err *err, gh_status status, const char *code, const char *field,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Adds an extra member (reference stolen) to the problem document. */
void gh_err_extra(gh_err *err, const char *key, json_t *value);
void gh_err_clear(gh_err *err);
/* A plant manager reads a problem's detail: out is in starting with a
 * capital letter and ending with a full stop. A first word that is an
 * identifier (a field or parameter such as `q`, `order_ref`,
 * `it.operations`) stays as the client spells it. */
void gh_err_sentence(const char *in, char *out, size_t cap);
/* Every invalid field at once: adds one's {field, code, detail} to the
 * `errors` list of all; the first problem added also becomes all's status,
 * code, field and detail (the stable top-level code clients read), and its
 * extra members are kept. one is cleared. */
void gh_err_merge(gh_err *all, gh_err *one);

/* The one check for names and other one-line texts people type:
 * fills err with GH_E_INVALID `code` on `field`, and a detail that names the
 * real problem ("'name' contains a bidirectional control character
 * (U+202E)", "'name' is only white space", "'name' is longer than 200
 * bytes"), plus `reason` (missing, too_short, too_long, invalid_utf8,
 * control_character, bidi_control, blank). GH_OK when s is fine. */
gh_status gh_check_text(gh_err *err, const char *code, const char *field, const char *s, size_t min, size_t max);

#endif
