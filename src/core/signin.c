/*
 * Signing in and out with an e-mail and password (core/accounts.h).
 */
#include "util/cursor.h"
#include "core/ipallow.h"
#include "core/accounts.h"
#include "util/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/audit.h"
#include "core/delivery.h"
#include "core/kiosk.h"
#include "core/mfa.h"
#include "core/seats.h"
#include "core/secret.h"
#include "core/session.h"
#include "store/invites.h"
#include "core/throttle.h"
#include "core/guard.h"
#include "core/sso.h"
#include "core/accounts_int.h"

/* ---- sign-in ------------------------------------------------------------------------------- */
static void login_failure_audit(gh_ctx *ctx, gh_login *l, const char *reason);

gh_status gh_login_prepare(gh_ctx *ctx, const char *org_slug, const char *email, gh_login *l)
{
    memset(l, 0, sizeof *l);
    gh_err ignored = {0};
    gh_ctx probe = *ctx;
    probe.err = ignored;
    gh_status ost = gh_org_resolve(&probe, org_slug, &l->org);
    bool org_ok = ost == GH_OK;
    gh_err_clear(&probe.err);
    /* Without an org in a deployment of several, there is nobody to check
     * the password against: say so (this tells nothing about accounts). */
    if (!org_ok && (!org_slug || !*org_slug) && gh_store_org_count(ctx->db) > 1)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "org_required", "org",
                             "this deployment has several organizations: name one");
    snprintf(l->throttle_ip, sizeof l->throttle_ip, "ip:%s", ctx->ip ? ctx->ip : "");
    int wait_i = 0;
    if (!gh_throttle_allowed(l->throttle_ip, gh_now(), &wait_i)) {
        ctx->err.retry_after = wait_i;
        return gh_fail(&ctx->err, GH_E_THROTTLED, "too_many_attempts",
                       "too many failed sign-in attempts; try again later");
    }
    gh_status st = gh_pwguard_enter(ctx, &l->guard, org_ok ? l->org.id : NULL, email);
    if (st != GH_OK) return st;
    /* The org's networks are the org's business, not an account's: the
     * answer is the same whoever signs in, so it tells nothing about them. */
    if (org_ok && !gh_access_ip_allowed(l->org.id, ctx->ip)) {
        gh_pwguard_leave(&l->guard, GH_PWGUARD_ABANDONED);
        gh_throttle_fail(l->throttle_ip, gh_now(), LOGIN_FREE_PER_IP); /* and so is the audit trail */
        login_failure_audit(ctx, l, "ip_not_allowed");
        return gh_ip_refused(ctx);
    }
    if (org_ok) {
        /* The mark first: whatever commits after it is seen by _finish. */
        if ((st = gh_store_audit_last_seq(ctx->db, &l->audit_mark, &ignored)) == GH_OK) {
            st = gh_store_user_get_by_email(ctx->db, l->org.id, email, &l->user, &ignored);
            if (st == GH_OK) l->user_found = true;
        }
        gh_err_clear(&ignored);
        if (st != GH_OK && st != GH_E_NOT_FOUND) {
            gh_pwguard_leave(&l->guard, GH_PWGUARD_ABANDONED);
            return gh_fail(&ctx->err, st, "internal", "internal error");
        }
    }
    gh_strlcpy(l->hash, l->user_found && l->user.password_hash[0] ? l->user.password_hash : gh_secret_dummy_hash(),
               sizeof l->hash);
    return GH_OK;
}

void gh_login_abandon(gh_login *l, bool verified, bool password_ok)
{
    gh_pwguard_leave(&l->guard, verified && !password_ok ? GH_PWGUARD_FAILED : GH_PWGUARD_ABANDONED);
}

static void login_failure_audit(gh_ctx *ctx, gh_login *l, const char *reason)
{
    if (!l->org.id[0]) return;
    gh_ctx c = *ctx;
    memset(&c.actor, 0, sizeof c.actor); /* a refused sign-in acts for nobody */
    gh_audit_alone(&c, l->org.id, "auth.login_failed", l->user_found ? "user" : NULL, l->user_found ? l->user.id : NULL,
                   json_pack("{s:s}", "reason", reason));
}

/* Why a verified password still may not sign in, from the account's row. */
static const char *login_refusal(const gh_user *u, const char **detail)
{
    if (strcmp(u->status, "active") != 0) { *detail = "this account is locked; ask an administrator"; return "account_locked"; }
    if (gh_user_expired(u, gh_now())) { *detail = "this account has expired; ask an administrator"; return "account_expired"; }
    if (!u->office_access) { *detail = "this account has no office access"; return "no_office_access"; }
    if (!u->email_verified) { *detail = "confirm your email address first (see the mail we sent)"; return "email_not_verified"; }
    return NULL;
}

/* The sign-in decided inside the transaction that opens the session. */
typedef struct login_op {
    gh_login *l;
    gh_user *u;
    const char *refused; /* why the row refused: audited once rolled back */
} login_op;

static gh_status login_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    login_op *op = arg;
    gh_login *l = op->l;
    gh_user *u = op->u;
    const char *detail = NULL;
    /* Decide on the row as it is now, inside the transaction that opens the
     * session: whatever committed while the hash was verified wins. */
    gh_status st = gh_store_user_get(ctx->db, l->org.id, l->user.id, u, &ctx->err);
    bool ended = false;
    if (st == GH_OK)
        st = gh_store_audit_signin_ended_since(ctx->db, l->org.id, l->user.id, l->audit_mark, &ended, &ctx->err);
    if (st == GH_E_NOT_FOUND || (st == GH_OK && (ended || !gh_secret_eq(u->password_hash, l->user.password_hash)))) {
        /* Deleted, password changed or sessions revoked meanwhile. */
        gh_err_clear(&ctx->err);
        op->refused = st == GH_E_NOT_FOUND ? "account_deleted" : "changed_during_sign_in";
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "invalid_credentials", "the email or password is not correct");
    }
    if (st != GH_OK) return st;
    if ((op->refused = login_refusal(u, &detail)) != NULL)
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, op->refused, "%s", detail);
    /* Required company sign-in: only break-glass accounts use a password. */
    if ((st = gh_sso_password_allowed(ctx, l->org.id, u->id)) != GH_OK) {
        if (st == GH_E_FORBIDDEN) op->refused = "sso_required";
        return st;
    }
    l->user = *u;
    /* The second step, if one is due, on a pending session (core/mfa.h). */
    char pending[8];
    if ((st = gh_mfa_signin_step(ctx, &l->org, &l->user, NULL, pending)) != GH_OK) return st;
    if ((st = gh_session_open_pending(ctx, &l->org, &l->user, pending, l->token, l->csrf, &l->session)) != GH_OK)
        return st;
    gh_strlcpy(ctx->actor.session_id, l->session.id, sizeof ctx->actor.session_id);
    l->user.last_login_at = gh_now();
    if ((st = gh_store_user_touch_login(ctx->db, l->user.id, l->user.last_login_at, &ctx->err)) != GH_OK) return st;
    json_t *audit_detail = json_pack("{s:s}", "method", "password");
    if (audit_detail && pending[0]) json_object_set_new(audit_detail, "mfa_pending", json_string(pending));
    return gh_audit(ctx, l->org.id, "auth.login", "session", l->session.id, audit_detail);
}

gh_status gh_login_finish(gh_ctx *ctx, gh_login *l, bool password_ok)
{
    if (!password_ok || !l->user_found || !l->user.password_hash[0]) {
        gh_pwguard_leave(&l->guard, GH_PWGUARD_FAILED);
        gh_throttle_fail(l->throttle_ip, gh_now(), LOGIN_FREE_PER_IP);
        login_failure_audit(ctx, l, "invalid_credentials");
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "invalid_credentials", "the email or password is not correct");
    }
    login_op op = {.l = l, .u = calloc(1, sizeof *op.u)};
    if (!op.u) { gh_pwguard_leave(&l->guard, GH_PWGUARD_ABANDONED); return gh_ctx_oom(ctx); }
    gh_strlcpy(ctx->actor.org_id, l->org.id, sizeof ctx->actor.org_id);
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.id, l->user.id, sizeof ctx->actor.id);
    gh_status st = gh_tx_run_no_refresh(ctx, login_change, &op);
    if (st == GH_OK) gh_pwguard_leave(&l->guard, GH_PWGUARD_OK);
    else if (op.refused) login_failure_audit(ctx, l, op.refused);
    gh_pwguard_leave(&l->guard, GH_PWGUARD_ABANDONED); /* no-op after OK */
    free(op.u);
    return st;
}

static gh_status logout_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    int64_t n = 0;
    gh_status st = gh_store_session_delete(ctx->db, ctx->actor.org_id, ctx->actor.id, ctx->actor.session_id, &n,
                                           &ctx->err);
    if (st != GH_OK) return st;
    gh_tx_event(tx, "auth.logout", "session", ctx->actor.session_id, NULL);
    return GH_OK;
}

gh_status gh_logout(gh_ctx *ctx)
{
    return gh_tx_run_no_refresh(ctx, logout_change, NULL);
}
