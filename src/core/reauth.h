/*
 * Proving a password, throttled: the one gate that office sign-in and every
 * re-authentication ("this person, just now": changing one's password, and
 * one's own e-mail, later e-signatures and factor changes) pass through, so a
 * guess costs the same wherever it is made (DESIGN.md, "Re-authentication").
 *
 * A guess is reserved before its argon2id verification runs and released
 * with its outcome (core/throttle.h), under two keys:
 * - the account and client address pair: a few free failures, then growing
 *   pauses (429 with Retry-After) for that pair only;
 * - the account: at most one verification from addresses not known for the
 *   account runs at a time, and past a ceiling of failures from all
 *   addresses together each further guess from them waits a growing pause.
 * An address from which the account signed in successfully is *known* for
 * it: its guesses skip the account key (they are still counted there and on
 * their own pair), so a flood of wrong guesses from elsewhere slows the
 * attackers without refusing the owner's right password from their usual
 * device. An administrator's unlock or password reset forgets the account's
 * counts and every pair's (gh_pwguard_forget).
 */
#ifndef GH_REAUTH_H
#define GH_REAUTH_H
#include "core/ctx.h"
#include "store/store.h"

#define GH_PWGUARD_KEY_MAX 400

typedef struct gh_pwguard {
    char acct[GH_PWGUARD_KEY_MAX];
    char pair[GH_PWGUARD_KEY_MAX + 64];   /* acct, epoch, address */
    bool known;                  /* the pair signed in successfully before */
    bool held_pair, held_acct;   /* reservations still to release */
} gh_pwguard;

typedef enum {
    GH_PWGUARD_ABANDONED,  /* no verification result: nothing counted */
    GH_PWGUARD_FAILED,     /* a wrong password: counted */
    GH_PWGUARD_OK,         /* the right password: the pair is cleared and becomes known */
} gh_pwguard_outcome;

/* Reserves one password guess for the account (org_id, email; org_id NULL
 * or "" for an unknown organization) from ctx->ip. 429 too_many_attempts
 * with ctx->err.retry_after when refused; then nothing is held. */
gh_status gh_pwguard_enter(gh_ctx *ctx, gh_pwguard *g, const char *org_id, const char *email);
/* Releases what enter reserved, with the outcome. Safe to call twice (the
 * second call does nothing). */
void gh_pwguard_leave(gh_pwguard *g, gh_pwguard_outcome outcome);
/* Forgets the account's failures and penalties from every address. */
void gh_pwguard_forget(const char *org_id, const char *email);

/* ---- re-authentication of the acting user -------------------------------- */
typedef struct gh_reauth {
    gh_pwguard guard;
    char hash[GH_PWHASH_MAX];    /* the user's password hash (or a dummy) */
    const char *purpose;         /* static text, audited ("password_change") */
    const char *field;           /* the request field holding the password */
} gh_reauth;
/* Reserves a guess for the acting user and loads the hash the caller then
 * verifies on the hashing pool. 429 when throttled. */
gh_status gh_reauth_prepare(gh_ctx *ctx, const char *purpose, const char *field, gh_reauth *ra);
/* Releases the guess. A wrong password is audited (auth.reauth_failed) and
 * answered 403 invalid_current_password on ra->field; GH_OK otherwise (the
 * change that follows is audited in its own transaction). */
gh_status gh_reauth_finish(gh_ctx *ctx, gh_reauth *ra, bool password_ok);
/* For a request that ended before finish (503, client gone): releases the
 * guess, counting it as failed if its verification ran and failed. */
void gh_reauth_abandon(gh_reauth *ra, bool verified, bool password_ok);

#endif
