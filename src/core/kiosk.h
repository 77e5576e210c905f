/*
 * Factory workers at the kiosk (002): badges, PINs, PIN sign-in, PIN
 * changes and enrolled kiosk devices.
 *
 * A worker is identified by their badge (employee code), never by a PIN
 * alone; the PIN is a second secret, digits only, hashed with argon2id like
 * a password. An administrator issues a temporary PIN that only lets the
 * worker choose their own (the kiosk session carries pin_change_required
 * until then). Guessing is bounded: one attempt per badge in flight at a
 * time with growing delays per badge, growing delays per enrolled kiosk
 * device (or, without one, per client address) (core/throttle.h), and, with
 * the org setting kiosk_enrolled_devices_only, sign-in only from enrolled
 * devices. Wrong PINs at sign-in never block a PIN for good (anyone who
 * knows a badge could shut its worker out); only wrong current PINs in a
 * worker's own session do, after GH_PIN_MAX_FAILURES. Unknown badges,
 * office-only users, users without a PIN and blocked PINs all answer a
 * wrong PIN alike (401) and take as long.
 *
 * As in accounts.h, slow hashing is done by the caller on the hashing pool:
 * the *_prepare functions return the hash to verify against, the *_finish
 * functions take the verification result.
 */
#ifndef GH_KIOSK_H
#define GH_KIOSK_H
#include <jansson.h>

#include "core/ctx.h"
#include "store/shopfloor.h"
#include "store/store.h"

#define GH_PIN_FLOOR 4          /* shortest PIN accepted at sign-in (older PINs keep working) */
#define GH_PIN_POLICY_FLOOR 6   /* no org may allow shorter new PINs (issue 12; the catalog sets no other) */
#define GH_PIN_MAX 12
#define GH_PIN_MAX_FAILURES 5   /* consecutive failures that block a PIN */

/* ---- policy (pure) ------------------------------------------------------------- */
/* Badge / employee code: 1..64 letters, digits, '-', '_', '.'. */
bool gh_badge_valid(const char *badge);
/* True for PINs anyone would try first: one repeated digit or block
 * (111111, 121212, 123123), ascending or descending runs (123456, 654321,
 * 890123), the most common PINs, and 4-digit years 19xx/20xx. */
bool gh_pin_trivial(const char *pin);
/* The whole policy for a new PIN: digits only ("pin_invalid"), between
 * max(org_min, GH_PIN_POLICY_FLOOR) and 12 digits ("pin_invalid"), not trivial and not equal to
 * `previous` or to the badge ("pin_too_weak"). Either may be NULL. */
gh_status gh_pin_check(const char *pin, int64_t org_min, const char *previous, const char *badge,
                       const char *field, gh_err *err);
/* Shape of a PIN typed at sign-in: 4..12 digits (whatever the org minimum
 * is now, so older PINs keep working). */
bool gh_pin_well_formed(const char *pin);
/* A random temporary PIN of len digits (GH_PIN_POLICY_FLOOR..12) that
 * passes the policy. */
void gh_pin_generate(int len, const char *badge, char out[GH_PIN_MAX + 1]);

/* ---- administration: temporary PINs -------------------------------------------------- */
typedef struct gh_pin_issue {
    gh_org org;
    gh_user user;
    char pin[GH_PIN_MAX + 1];          /* the temporary PIN, shown once */
    char kiosk_url[700];               /* {base}/kiosk/{org}/ */
    char personal_url[800];            /* {base}/kiosk/{org}/?badge={badge} */
} gh_pin_issue;
/* Checks that the user can have a PIN (factory access, a badge) and draws
 * a temporary PIN; the caller hashes pi->pin and calls _finish. */
gh_status gh_kiosk_pin_issue_prepare(gh_ctx *ctx, const char *user_id, gh_pin_issue *pi);
/* Stores the hash as a temporary PIN, clears failures and any block, and
 * ends the worker's kiosk sessions. */
gh_status gh_kiosk_pin_issue_finish(gh_ctx *ctx, gh_pin_issue *pi, const char *pin_hash);
/* Removes the PIN and ends the worker's kiosk sessions. */
gh_status gh_kiosk_pin_revoke(gh_ctx *ctx, const char *user_id, gh_user *out);

/* ---- kiosk sign-in ---------------------------------------------------------------------- */
typedef struct gh_kiosk_login {
    /* prepared */
    gh_org org;
    bool org_found;
    gh_user user;
    bool user_found;
    char device_id[GH_ID_MAX];         /* "" when not from an enrolled device */
    char device_language[GH_LANG_MAX + 1]; /* the enrolled device's language, "" when none */
    char hash[GH_PWHASH_MAX];          /* the worker's PIN hash, or a dummy one */
    char throttle_worker[320], throttle_ip[96];   /* the badge; the device or address */
    bool held_worker;                  /* the badge's attempt is reserved */
    int64_t audit_mark;                /* audit seq before the worker was read */
    /* result */
    char token[GH_TOKEN_LEN + 1];
    char csrf[GH_TOKEN_LEN + 1];
    gh_session session;
} gh_kiosk_login;
/* Validates the input's shape (400 invalid_badge / pin_invalid), checks the
 * throttles (429) and the enrolled-device rule (403 device_not_enrolled),
 * and loads the worker. The caller then verifies pin against l->hash. */
gh_status gh_kiosk_login_prepare(gh_ctx *ctx, const char *org_slug, const char *badge, const char *pin,
                                 const char *device_token, gh_kiosk_login *l);
/* Completes the sign-in: a kiosk session (pin_change_required for a
 * temporary PIN), or 401 invalid_credentials / 403 pin_blocked /
 * 403 account_locked, counting failures. */
gh_status gh_kiosk_login_finish(gh_ctx *ctx, gh_kiosk_login *l, bool pin_ok, const char *new_pin_hash);
/* Releases the badge's reserved attempt of a sign-in that never finished
 * (counted as a failure if the PIN was verified and wrong). Idempotent. */
void gh_kiosk_login_abandon(gh_kiosk_login *l, bool verified, bool pin_ok);

/* Forgets the PIN throttle of the worker with this badge (an administrator's
 * unlock or new PIN). */
void gh_kiosk_throttle_forget(const char *org_id, const char *badge);

/* ---- badge and PIN as an e-signature's credentials (core/esign.h) ---------------------------- */
/* As gh_kiosk_login_prepare (same throttles, same answers), but only from
 * an enrolled kiosk device whatever the org setting (403
 * device_not_enrolled). The caller verifies pin against l->hash. */
gh_status gh_kiosk_prove_prepare(gh_ctx *ctx, const char *org_slug, const char *badge, const char *pin,
                                 const char *device_token, gh_kiosk_login *l);
/* After the PIN's verification: 401 invalid_credentials (counted on the
 * worker and the device as at sign-in), 403 pin_blocked / account_locked /
 * pin_change_required (a temporary PIN proves nobody), each audited
 * signature.failed; on success the worker becomes the acting user
 * (ctx->actor, kiosk, no session). Opens no session. The caller still
 * re-reads the worker inside its transaction (gh_esign_sign). */
gh_status gh_kiosk_prove_finish(gh_ctx *ctx, gh_kiosk_login *l, bool pin_ok);

/* ---- PIN change (kiosk session) ------------------------------------------------------------ */
typedef struct gh_pin_change {
    char hash[GH_PWHASH_MAX];          /* current PIN hash (or a dummy) */
    char throttle_worker[320];
    bool held_worker;                  /* the badge's attempt is reserved */
} gh_pin_change;
/* Checks the new PIN against the policy (field new_pin) and reserves an
 * attempt on the badge's throttle (429): _finish or _abandon releases it. */
gh_status gh_kiosk_pin_change_prepare(gh_ctx *ctx, const char *current_pin, const char *new_pin,
                                      gh_pin_change *pc);
/* Sets the new PIN (no longer temporary) if current_ok; a wrong current PIN
 * counts as a failed attempt. Other kiosk sessions of the worker end. */
gh_status gh_kiosk_pin_change_finish(gh_ctx *ctx, gh_pin_change *pc, bool current_ok, const char *new_hash);
/* Releases the reserved attempt of a PIN change that never finished
 * (counted as a failure if verified and wrong). Idempotent. */
void gh_kiosk_pin_change_abandon(gh_pin_change *pc, bool verified, bool current_ok);

/* ---- enrolled kiosk devices ------------------------------------------------------------------ */
#define GH_DEVICE_TOKEN_PREFIX "ghd_"
/* Enrols a device; *out holds the device and, once, its credential `token`. */
gh_status gh_kiosk_device_enrol(gh_ctx *ctx, const char *name, const char *language, json_t **out);
/* Sets the device's language (NULL or "" clears: the browser's decides), audited device.updated. */
gh_status gh_kiosk_device_set_language(gh_ctx *ctx, const char *id, const char *language, json_t **out);
gh_status gh_kiosk_device_list(gh_ctx *ctx, json_t **items);
/* Revokes the device and ends the kiosk sessions opened on it. */
gh_status gh_kiosk_device_revoke(gh_ctx *ctx, const char *id);

#endif
