/*
 * Single-use links (e-mail verification, password reset): issuing a link
 * token, the mails that carry links or notices, and using a link
 * (core/accounts.h).
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

/* Issues a single-use link token; `token` gets the secret. */
gh_status acct_issue_token(gh_ctx *ctx, const char *org_id, const char *user_id, const char *purpose,
                             const char *email, int64_t ttl, char token[GH_TOKEN_LEN + 1])
{
    gh_token t = {0};
    int64_t now = gh_now();
    gh_id_new("tok", t.id);
    gh_strlcpy(t.org_id, org_id ? org_id : "", sizeof t.org_id);
    gh_strlcpy(t.user_id, user_id ? user_id : "", sizeof t.user_id);
    gh_strlcpy(t.purpose, purpose, sizeof t.purpose);
    gh_strlcpy(t.email, email ? email : "", sizeof t.email);
    gh_token_new(token);
    gh_token_hash(token, t.token_hash);
    t.created_at = now;
    t.expires_at = now + ttl;
    gh_status st = gh_store_token_supersede(ctx->db, org_id, user_id, purpose, now, &ctx->err);
    if (st == GH_OK) st = gh_store_token_insert(ctx->db, &t, &ctx->err);
    return st;
}

/* A mail carrying a single-use link: what it is for, where the link goes,
 * and its template (mail/<kind>.txt). */
typedef struct link_mail {
    const char *purpose, *path, *kind;
    int64_t ttl;
} link_mail;

static const link_mail MAIL_VERIFY = {"verify", "/console/verify-email", "verify_email", VERIFY_TTL_S};
static const link_mail MAIL_RESET = {"reset", "/console/reset-password", "password_reset", RESET_TTL_S};

static gh_status mail_link(gh_ctx *ctx, const gh_org *o, const gh_user *u, const link_mail *m)
{
    char token[GH_TOKEN_LEN + 1], link[1024];
    gh_status st = acct_issue_token(ctx, o->id, u->id, m->purpose, u->email, m->ttl, token);
    if (st != GH_OK) return st;
    gh_link(link, sizeof link, m->path, token);
    gh_mail_var vars[] = {{"org", o->name}, {"name", u->name}, {"link", link}, {NULL, NULL}};
    st = gh_mail_lang(ctx, o->id, m->kind, u->email, u->language, vars, link, gh_now() + m->ttl);
    sodium_memzero(token, sizeof token);
    sodium_memzero(link, sizeof link);
    return st;
}

/* Notices without a link: "your e-mail address was changed" (to the old
 * address) and "your password was changed". */
gh_status acct_mail_notice(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *kind, const char *to,
                             const char *new_email)
{
    if (!to || !*to) return GH_OK;
    gh_mail_var vars[] = {{"org", o->name}, {"name", u->name}, {"email", new_email}, {NULL, NULL}};
    return gh_mail_lang(ctx, o->id, kind, to, u->language, vars, NULL, 0);
}

gh_status acct_mail_verify(gh_ctx *ctx, const gh_org *o, const gh_user *u) { return mail_link(ctx, o, u, &MAIL_VERIFY); }
gh_status acct_mail_reset(gh_ctx *ctx, const gh_org *o, const gh_user *u) { return mail_link(ctx, o, u, &MAIL_RESET); }

gh_status gh_accounts_mail_verify(gh_ctx *ctx, const gh_org *o, const gh_user *u) { return acct_mail_verify(ctx, o, u); }

/* ---- links ------------------------------------------------------------------------------------ */
gh_status gh_link_peek(gh_ctx *ctx, const char *token, const char *purpose, gh_link_use *lu)
{
    char h[GH_HASH_HEX_LEN + 1];
    memset(lu, 0, sizeof *lu);
    if (!token || strlen(token) != GH_TOKEN_LEN) goto invalid;
    gh_token_hash(token, h);
    gh_status st = gh_store_token_get_by_hash(ctx->db, h, &lu->token, &ctx->err);
    if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); goto invalid; }
    if (st != GH_OK) return st;
    if (strcmp(lu->token.purpose, purpose) != 0) goto invalid;
    if (lu->token.used_at)
        return gh_fail_field(&ctx->err, GH_E_GONE, "token_used", "token", "this link was already used or replaced by a newer one");
    if (gh_now() >= lu->token.expires_at)
        return gh_fail_field(&ctx->err, GH_E_GONE, "token_expired", "token", "this link has expired; ask for a new one");
    if (lu->token.user_id[0]) {
        st = gh_store_user_get(ctx->db, lu->token.org_id, lu->token.user_id, &lu->user, &ctx->err);
        if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); goto invalid; }
        if (st != GH_OK) return st;
        /* A link is for the address it was sent to: after an email change,
         * links mailed to the old address prove nothing about the new one
         * (a reset link would otherwise mark the new address verified and
         * hand the account to whoever reads the old mailbox). */
        if (lu->token.email[0] && strcasecmp(lu->user.email, lu->token.email) != 0) goto invalid;
        lu->has_password = lu->user.password_hash[0] != '\0';
    }
    return GH_OK;
invalid:
    return gh_fail_field(&ctx->err, GH_E_NOT_FOUND, "token_invalid", "token", "this link is not valid");
}

/* A link being used: its token, the password chosen with it (NULL: none),
 * and the token and person read inside the transaction. */
typedef struct link_use_op {
    const char *token, *password_hash;
    gh_link_use lu;
} link_use_op;

static gh_status verify_email_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    link_use_op *op = arg;
    gh_link_use *lu = &op->lu;
    const char *password_hash = op->password_hash;
    gh_org o;
    gh_status st;
    if ((st = gh_link_peek(ctx, op->token, "verify", lu)) != GH_OK) return st;
    if (!lu->has_password && !password_hash)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "password_required", "password", "choose a password");
    gh_user *u = &lu->user;
    u->email_verified = true;
    if (password_hash) gh_strlcpy(u->password_hash, password_hash, sizeof u->password_hash);
    u->updated_at = gh_now();
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.org_id, u->org_id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, u->id, sizeof ctx->actor.id);
    if ((st = gh_store_token_mark_used(ctx->db, lu->token.id, gh_now(), &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_audit(ctx, u->org_id, "user.email_verified", "user", u->id,
                       json_pack("{s:s, s:b}", "email", u->email, "password_set", password_hash != NULL))) != GH_OK)
        return st;
    /* A password replacing an existing one is announced, as on /v1/me/password. */
    if (password_hash && lu->has_password) {
        if ((st = gh_store_org_get(ctx->db, u->org_id, &o, &ctx->err)) != GH_OK) return st;
        return acct_mail_notice(ctx, &o, u, "password_changed", u->email, NULL);
    }
    return GH_OK;
}

/* Uses a link: change runs inside gh_tx_run with the link's token and the
 * password chosen; on success the sign-in guesses against the person are
 * forgotten when forget says so. */
static gh_status link_use(gh_ctx *ctx, const char *token, const char *password_hash, gh_tx_change_fn change,
                          bool forget)
{
    link_use_op *op = calloc(1, sizeof *op);
    if (!op) return gh_ctx_oom(ctx);
    op->token = token;
    op->password_hash = password_hash;
    gh_status st = gh_tx_run(ctx, change, op);
    if (st == GH_OK && forget) gh_pwguard_forget(op->lu.user.org_id, op->lu.user.email);
    free(op);
    return st;
}

gh_status gh_verify_email(gh_ctx *ctx, const char *token, const char *password_hash)
{
    return link_use(ctx, token, password_hash, verify_email_change, false);
}

typedef struct { const gh_org *o; const gh_user *u; } reset_request_op;

static gh_status reset_request_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const reset_request_op *op = arg;
    gh_status st;
    gh_strlcpy(ctx->actor.org_id, op->o->id, sizeof ctx->actor.org_id);
    if ((st = acct_mail_reset(ctx, op->o, op->u)) != GH_OK) return st;
    return gh_audit(ctx, op->o->id, "auth.password_reset_requested", "user", op->u->id, NULL);
}

gh_status gh_password_reset_request(gh_ctx *ctx, const char *org_slug, const char *email)
{
    gh_org o;
    gh_user *u = calloc(1, sizeof *u);
    gh_status st = GH_OK;
    if (!u) return gh_ctx_oom(ctx);
    gh_err ignored = {0};
    gh_ctx probe = *ctx;
    probe.err = ignored;
    /* Whatever happens, the caller answers 202: nothing here may leak. */
    if (gh_org_resolve(&probe, org_slug, &o) != GH_OK) goto out;
    if (gh_store_user_get_by_email(ctx->db, o.id, email, u, &probe.err) != GH_OK) goto out;
    if (!u->office_access || strcmp(u->status, "active") != 0) goto out;
    char key[200];
    int wait;
    snprintf(key, sizeof key, "reset:%s", u->id);
    if (!gh_throttle_allowed(key, gh_now(), &wait)) goto out; /* no mail-bombing */
    gh_throttle_fail(key, gh_now(), 0);
    st = gh_tx_run_no_refresh(ctx, reset_request_change, &(reset_request_op){&o, u});
out:
    gh_err_clear(&probe.err);
    free(u);
    return st;
}

static gh_status reset_confirm_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    link_use_op *op = arg;
    gh_org o;
    gh_status st;
    if ((st = gh_link_peek(ctx, op->token, "reset", &op->lu)) != GH_OK) return st;
    gh_user *u = &op->lu.user;
    gh_strlcpy(u->password_hash, op->password_hash, sizeof u->password_hash);
    u->email_verified = true; /* the link proved control of the address */
    u->updated_at = gh_now();
    int64_t ended = 0;
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.org_id, u->org_id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, u->id, sizeof ctx->actor.id);
    if ((st = gh_store_token_mark_used(ctx->db, op->lu.token.id, gh_now(), &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_session_delete_user(ctx->db, u->org_id, u->id, NULL, &ended, &ctx->err)) != GH_OK) return st;
    if ((st = gh_audit(ctx, u->org_id, "user.password_reset", "user", u->id,
                       json_pack("{s:I}", "sessions_ended", (json_int_t)ended))) != GH_OK)
        return st;
    if ((st = gh_store_org_get(ctx->db, u->org_id, &o, &ctx->err)) != GH_OK) return st;
    return acct_mail_notice(ctx, &o, u, "password_changed", u->email, NULL);
}

gh_status gh_password_reset_confirm(gh_ctx *ctx, const char *token, const char *password_hash)
{
    return link_use(ctx, token, password_hash, reset_confirm_change, true);
}
