/*
 * Organizations, office accounts and sessions: the domain rules of the
 * foundation. Every change runs in one transaction with its audit events and
 * mails; invariants (nobody locks themselves out, the org keeps an active
 * user who can manage users) are checked inside that transaction, after the
 * change and before the commit, so every path that could break them is
 * covered by one check.
 *
 * Slow secret hashing is done by the caller beforehand (the HTTP layer runs
 * it on the hashing pool): functions here take finished argon2id hashes.
 */
#ifndef GH_ACCOUNTS_H
#define GH_ACCOUNTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/ctx.h"
#include "core/reauth.h"
#include "store/scim.h"
#include "store/store.h"

/* ---- organizations ---------------------------------------------------------- */
typedef struct gh_org_new {
    const char *slug, *name, *template_set;
    const char *admin_email, *admin_name;
    const char *admin_password_hash;   /* argon2id */
    const char *setup_token;           /* required unless the actor is the system */
} gh_org_new;
/* Validates input fields (before hashing), filling ctx->err. */
gh_status gh_org_validate_new(gh_ctx *ctx, const gh_org_new *n);
/* Creates the org, its roles from the template set and its first admin.
 * out_org/out_user may be NULL. */
gh_status gh_org_create(gh_ctx *ctx, const gh_org_new *n, gh_org *out_org, gh_user *out_user);
/* Issues a fresh one-time setup token (previous ones of the same kind are
 * superseded); token gets the secret. Unless `another` (an operator asking
 * for one more organization: `gatehouse org setup-link`), only while no
 * organization exists, and such a link is spent once one exists; a link
 * issued with `another` creates one more organization at any time. */
gh_status gh_setup_token_issue(gh_ctx *ctx, bool another, char token[GH_TOKEN_LEN + 1]);
/* Finds an org by slug, or the only one when slug is NULL/empty. */
gh_status gh_org_resolve(gh_ctx *ctx, const char *slug, gh_org *o);
/* The signed-in actor's own organization. */
gh_status gh_org_of_actor(gh_ctx *ctx, gh_org *o);
json_t *gh_org_json(gh_ctx *ctx, const gh_org *o);

/* ---- users -------------------------------------------------------------------- */
json_t *gh_user_json(const gh_user *u);
/* Whether u is past its expiry date at `now` (003: temporary and seasonal
 * workers): it cannot sign in, check in or be unlocked, and holds no seat. */
static inline bool gh_user_expired(const gh_user *u, int64_t now)
{
    return u->expires_at > 0 && u->expires_at <= now;
}
/* Whether u may act at `now`: not locked and not expired. */
static inline bool gh_user_usable(const gh_user *u, int64_t now)
{
    return strcmp(u->status, "active") == 0 && !gh_user_expired(u, now);
}
/* GH_E_NOT_FOUND for a deleted person too; the problem then carries
 * `deleted_user` (the tombstone) so a client can say whose records remain. */
gh_status gh_user_get(gh_ctx *ctx, const char *id, gh_user *u);
/* A tombstone as JSON: id, name (as it was or "deleted user"), deleted_at. */
json_t *gh_tombstone_json(const gh_tombstone *t);
/* Whether id is a person of the actor's org whose records may be read: a
 * user (GH_OK, *deleted false) or a deleted one (GH_OK, *deleted true, t
 * filled); GH_E_NOT_FOUND otherwise. For the lists of time records and
 * activity, which outlive the account. */
gh_status gh_person_check(gh_ctx *ctx, const char *id, gh_tombstone *t, bool *deleted);

/* The languages of the console, kiosk and mail catalogues (web/console/i18n,
 * mail/<lang>/): a user's or kiosk device's `language` is one of these, or
 * unset (NULL / "": the next in line decides). */
#define GH_LANGUAGES "en, es, de"
bool gh_language_supported(const char *lang);
/* 400 unsupported_language on `field` unless lang is NULL, "" or supported. */
gh_status gh_language_check(gh_err *err, const char *lang, const char *field);

typedef struct gh_user_new {
    const char *email, *name, *mobile, *role;
    const char *language;         /* NULL or "": not set */
    const char *badge;
    bool office_access, factory_access;
    bool email_verified;          /* CLI/seed, and SCIM under required SSO (no invitation mail) */
    const char *password_hash;    /* CLI/seed only */
    const json_t *modules;        /* array or NULL (= all) */
    const json_t *grants;         /* array or NULL */
    /* A provisioning client's attributes (SCIM), written in the same
     * transaction; NULL for none. */
    const gh_user_scim *scim;
    /* A temporary or seasonal worker's expiry date (a future time; 0 none). */
    int64_t expires_at;
} gh_user_new;
/* Creates a staff member: with office access (needs an email; mails a
 * verification link), factory access (needs a badge; signs in at the kiosk
 * with a PIN, see core/kiosk.h), or both. Takes a seat of each kind. */
gh_status gh_user_create(gh_ctx *ctx, const gh_user_new *n, gh_user *out);

/* A patch from an administrator: NULL/absent members are left alone. */
typedef struct gh_user_patch {
    const char *email, *role, *name, *mobile;
    bool language_set; const char *language; /* NULL or "" clears; the same owners as the name */
    const json_t *modules;        /* array, or json null for "all" */
    bool modules_set;
    const json_t *grants;
    bool office_access_set, office_access;
    bool checkin_exempt_set, checkin_exempt;
    bool badge_set; const char *badge;         /* NULL or "" clears */
    bool factory_access_set, factory_access;
    /* Changing one's own e-mail re-authenticates (a stolen session must not
     * move the account to another mailbox, verify it and set a password):
     * the password hash the actor just proved through the throttled gate
     * (core/reauth.h, finished by the caller), or NULL (400
     * current_password_required; 409 password_changed if it is no longer
     * the stored one). */
    const char *reauth_hash;
    /* A provisioning client's attributes (SCIM): replaced as a whole, in
     * the same transaction; NULL leaves them alone. */
    const gh_user_scim *scim;
    /* Lock (locked true: sessions end) or unlock (a seat must be free) in
     * the same transaction, audited user.locked / user.unlocked as
     * gh_user_lock does; for provisioning, whose one change may carry both. */
    bool status_set, locked;
    /* Temporary and seasonal workers: an expiry date and a scheduled lock
     * and unlock (unix seconds; 0 clears). A date must be in the future;
     * an unlock must come before the expiry. */
    bool expires_at_set, lock_at_set, unlock_at_set;
    int64_t expires_at, lock_at, unlock_at;
} gh_user_patch;
/* Whether p changes the e-mail of user u on the actor's own account, so
 * that gh_user_update needs p->reauth_hash. */
bool gh_user_patch_needs_reauth(const gh_ctx *ctx, const gh_user *u, const gh_user_patch *p);
/* Name and mobile are the person's own (003), except for a provisioning
 * client (an API key with the scim scope), which keeps them in step with
 * the company directory; the change is audited as the client's. */
gh_status gh_user_update(gh_ctx *ctx, const char *id, const gh_user_patch *p, gh_user *out);
gh_status gh_user_lock(gh_ctx *ctx, const char *id, bool lock, gh_user *out);
gh_status gh_user_delete(gh_ctx *ctx, const char *id);
/* The sweep's change to one account whose date is due (what: "expire",
 * "lock" or "unlock"; core/schedule.h), as the system: expiry locks the
 * account (user.expired), a scheduled lock or unlock is applied
 * (user.locked / user.unlocked, detail scheduled) and cleared. A scheduled
 * change the rules refuse (last_admin, seat_limit_reached, account_expired)
 * is cleared and audited user.schedule_skipped with the reason. */
gh_status gh_user_schedule_apply(gh_ctx *ctx, const char *id, const char *what);
gh_status gh_user_revoke_sessions(gh_ctx *ctx, const char *id, int64_t *revoked);
/* A person's or display account's open sessions (users.manage), and ending
 * one of them: a display account signed in on several screens is revoked
 * screen by screen. Never someone above the actor. */
gh_status gh_user_sessions(gh_ctx *ctx, const char *id, json_t **items);
gh_status gh_user_end_session(gh_ctx *ctx, const char *id, const char *session_id);
gh_status gh_user_send_reset(gh_ctx *ctx, const char *id);
/* Mails a new verification link to an office user whose address is not yet
 * confirmed (the previous link stops working). 409 no_office_access,
 * 409 email_already_verified. */
gh_status gh_user_resend_verification(gh_ctx *ctx, const char *id);
gh_status gh_user_list(gh_ctx *ctx, const gh_user_filter *f, json_t **items, char **next_cursor);

/* ---- self-service --------------------------------------------------------------- */
/* The password policy for u's new password (core/secret.h), against u's
 * e-mail and name and the org's name. */
gh_status gh_password_check_user(gh_ctx *ctx, const char *pw, const char *field, const gh_user *u);
gh_status gh_me_update(gh_ctx *ctx, const char *name, const char *mobile, gh_user *out);
/* One's own profile; language_set false leaves the language alone. */
gh_status gh_me_update_profile(gh_ctx *ctx, const char *name, const char *mobile, bool language_set,
                               const char *language, gh_user *out);
/* Sets a new password (hash), ending one's other sessions. ra is the
 * re-authentication from gh_reauth_prepare, whose hash the caller verified
 * on the hashing pool (current_ok); it is finished here (throttle, audit).
 * 409 password_changed if the password changed meanwhile. */
gh_status gh_me_set_password(gh_ctx *ctx, gh_reauth *ra, bool current_ok, const char *new_hash);
json_t *gh_session_json(const gh_session *s, const char *current_id);
gh_status gh_me_sessions(gh_ctx *ctx, json_t **items);
gh_status gh_me_end_session(gh_ctx *ctx, const char *session_id);

/* ---- sign-in --------------------------------------------------------------------- */
typedef struct gh_login {
    /* prepared */
    gh_org org;
    gh_user user;
    bool user_found;
    char hash[GH_PWHASH_MAX];   /* the user's hash, or a dummy one */
    gh_pwguard guard;           /* the reserved guess (core/reauth.h) */
    char throttle_ip[80];       /* spraying many accounts from one address */
    int64_t audit_mark;         /* audit seq before the account was read */
    /* result */
    char token[GH_TOKEN_LEN + 1];
    char csrf[GH_TOKEN_LEN + 1];
    gh_session session;
} gh_login;
/* Checks and reserves the guess (core/reauth.h; 429) and loads the account;
 * the caller then verifies the password against l->hash (always, so
 * unknown accounts take as long), then calls _finish, or _abandon if the
 * request ended first. */
gh_status gh_login_prepare(gh_ctx *ctx, const char *org_slug, const char *email, gh_login *l);
/* Completes the sign-in given the verification result. The account is read
 * again inside the transaction that creates the session: a lock, deletion,
 * loss of office access, password change or session revocation that
 * committed while the password was verified wins (401/403, no session). */
gh_status gh_login_finish(gh_ctx *ctx, gh_login *l, bool password_ok);
/* Releases the reserved guess of a sign-in that never finished. */
void gh_login_abandon(gh_login *l, bool verified, bool password_ok);
gh_status gh_logout(gh_ctx *ctx);

/* Single-use links. */
typedef struct gh_link_use {
    gh_token token;
    gh_user user;
    bool has_password;
} gh_link_use;
/* Looks up a link token of `purpose` without using it (GONE/NOT_FOUND). */
gh_status gh_link_peek(gh_ctx *ctx, const char *token, const char *purpose, gh_link_use *lu);
/* verify-email: marks verified, sets the password hash if given. */
gh_status gh_verify_email(gh_ctx *ctx, const char *token, const char *password_hash);
gh_status gh_password_reset_request(gh_ctx *ctx, const char *org_slug, const char *email);
gh_status gh_password_reset_confirm(gh_ctx *ctx, const char *token, const char *password_hash);

/* ---- shared helpers for other core modules --------------------------------------- */
/* Runs the invariant checks of the acting user's org inside the open
 * transaction: self_lockout and last_admin. actor_had_manage is whether the
 * actor held users.manage before the change. */
gh_status gh_accounts_check_invariants(gh_ctx *ctx, const char *org_id, bool actor_had_manage);
/* Inside the open transaction, after an SSO identity was unlinked: at
 * least one active holder of users.manage must still have a way in, a
 * password the SSO policy lets them use or (with SSO configured) a linked
 * identity. 409 last_admin otherwise. */
gh_status gh_accounts_check_reachable(gh_ctx *ctx, const char *org_id);
/* Whether person u (as read or changed inside the transaction) counts for
 * the lockout rules: active, with office access, and holding users.manage
 * in o. A change to one person can break the rules only when it takes that
 * away from them, so callers skip the org-wide check otherwise. */
gh_status gh_accounts_user_manages(gh_ctx *ctx, const gh_org *o, const gh_user *u, bool *holds);
/* (Whether the actor holds a permission, from the rows inside the write
 * transaction: gh_guard_actor_holds in core/guard.h.) */
/* Inside the open transaction: mails u a link to confirm its address and
 * choose a password (as for a newly created office user). */
gh_status gh_accounts_mail_verify(gh_ctx *ctx, const gh_org *o, const gh_user *u);


#endif
