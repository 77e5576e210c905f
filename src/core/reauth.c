/* The password gate shared by sign-in and re-authentication (reauth.h). */
#include "core/reauth.h"

#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/secret.h"
#include "core/throttle.h"
#include "util/util.h"

#define PAIR_FREE_FAILURES 5      /* per account and address: then 1 s, 2 s, 4 s ... */
#define ACCOUNT_FREE_FAILURES 10  /* per account, from all addresses: then growing pauses */

static void acct_key(char *out, size_t cap, const char *org_id, const char *email)
{
    char norm[GH_EMAIL_MAX + 1] = "";
    gh_ascii_lower(norm, email ? email : "", sizeof norm);
    snprintf(out, cap, "pw:%s:%s", org_id && *org_id ? org_id : "-", norm);
}

static gh_status throttled(gh_ctx *ctx, int wait)
{
    ctx->err.retry_after = wait > 0 ? wait : 1;
    return gh_fail(&ctx->err, GH_E_THROTTLED, "too_many_attempts", "too many failed sign-in attempts; try again later");
}

gh_status gh_pwguard_enter(gh_ctx *ctx, gh_pwguard *g, const char *org_id, const char *email)
{
    int64_t now = gh_now();
    int wait = 0;
    memset(g, 0, sizeof *g);
    acct_key(g->acct, sizeof g->acct, org_id, email);
    uint32_t epoch = gh_throttle_epoch(g->acct, now);
    if (!epoch) return throttled(ctx, 1); /* no room to count it: refuse rather than not count */
    snprintf(g->pair, sizeof g->pair, "%s:%08x@%s", g->acct, (unsigned)epoch, ctx->ip ? ctx->ip : "");
    g->known = gh_throttle_is_known(g->pair, now);
    if (!gh_throttle_reserve(g->pair, now, &wait)) return throttled(ctx, wait);
    g->held_pair = true;
    if (!g->known) {
        if (!gh_throttle_reserve(g->acct, now, &wait)) {
            gh_pwguard_leave(g, GH_PWGUARD_ABANDONED);
            return throttled(ctx, wait);
        }
        g->held_acct = true;
    }
    return GH_OK;
}

void gh_pwguard_leave(gh_pwguard *g, gh_pwguard_outcome outcome)
{
    int64_t now = gh_now();
    bool failed = outcome == GH_PWGUARD_FAILED;
    if (g->held_pair) {
        gh_throttle_release(g->pair, now, failed, PAIR_FREE_FAILURES);
        if (outcome == GH_PWGUARD_OK) {
            gh_throttle_reset(g->pair);
            gh_throttle_mark_known(g->pair, now);
        }
        g->held_pair = false;
        /* A known pair's failures still count toward the account ceiling. */
        if (failed && !g->held_acct) gh_throttle_fail(g->acct, now, ACCOUNT_FREE_FAILURES);
    }
    if (g->held_acct) {
        gh_throttle_release(g->acct, now, failed, ACCOUNT_FREE_FAILURES);
        g->held_acct = false;
    }
}

void gh_pwguard_forget(const char *org_id, const char *email)
{
    char key[GH_PWGUARD_KEY_MAX];
    acct_key(key, sizeof key, org_id, email);
    gh_throttle_forget(key, gh_now());
}

/* ---- re-authentication --------------------------------------------------------- */
/* A refused re-authentication, audited on its own. */
static void audit_alone(gh_ctx *ctx, const char *action, json_t *detail)
{
    gh_audit_alone(ctx, NULL, action, "user", ctx->actor.id, detail);
}

gh_status gh_reauth_prepare(gh_ctx *ctx, const char *purpose, const char *field, gh_reauth *ra)
{
    memset(ra, 0, sizeof *ra);
    ra->purpose = purpose;
    ra->field = field;
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    if (!u) return gh_ctx_oom(ctx);
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, u, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_pwguard_enter(ctx, &ra->guard, u->org_id, u->email)) != GH_OK) {
        audit_alone(ctx, "auth.reauth_refused", json_pack("{s:s, s:s}", "purpose", purpose, "reason", "too_many_attempts"));
        goto out;
    }
    gh_strlcpy(ra->hash, u->password_hash[0] ? u->password_hash : gh_secret_dummy_hash(), sizeof ra->hash);
out:
    free(u);
    return st;
}

gh_status gh_reauth_finish(gh_ctx *ctx, gh_reauth *ra, bool password_ok)
{
    /* A dummy hash never verifies, so an account without a password fails here. */
    if (!password_ok) {
        gh_pwguard_leave(&ra->guard, GH_PWGUARD_FAILED);
        audit_alone(ctx, "auth.reauth_failed", json_pack("{s:s, s:s}", "purpose", ra->purpose, "reason", "invalid_password"));
        return gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "invalid_current_password", ra->field,
                             "the current password is not correct");
    }
    gh_pwguard_leave(&ra->guard, GH_PWGUARD_OK);
    return GH_OK;
}

void gh_reauth_abandon(gh_reauth *ra, bool verified, bool password_ok)
{
    gh_pwguard_leave(&ra->guard, verified && !password_ok ? GH_PWGUARD_FAILED : GH_PWGUARD_ABANDONED);
}
