/*
 * Self-service: a person's own profile, password and sessions
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

/* ---- self-service ---------------------------------------------------------------------- */
gh_status gh_me_update(gh_ctx *ctx, const char *name, const char *mobile, gh_user *out)
{
    return gh_me_update_profile(ctx, name, mobile, false, NULL, out);
}

gh_status gh_me_update_profile(gh_ctx *ctx, const char *name, const char *mobile, bool language_set,
                               const char *language, gh_user *out)
{
    gh_user_patch p = {.name = name, .mobile = mobile, .language_set = language_set, .language = language};
    return gh_user_update(ctx, ctx->actor.id, &p, out);
}

gh_status gh_password_check_user(gh_ctx *ctx, const char *pw, const char *field, const gh_user *u)
{
    gh_org o;
    gh_err ignored = {0};
    bool org_ok = gh_store_org_get(ctx->db, u->org_id, &o, &ignored) == GH_OK;
    gh_err_clear(&ignored);
    gh_pw_context pc = {.email = u->email, .name = u->name, .org_name = org_ok ? o.name : NULL};
    return gh_password_check_for(pw, field, &pc, &ctx->err);
}

typedef struct { const gh_reauth *ra; const char *new_hash; gh_user *u; } set_password_op;

static gh_status set_password_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const set_password_op *op = arg;
    gh_user *u = op->u;
    gh_org o;
    gh_status st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, u, &ctx->err)) != GH_OK) return st;
    /* The password proven is the one stored now (not changed meanwhile). */
    if (!gh_secret_eq(u->password_hash, op->ra->hash)) {
        return gh_fail_field(&ctx->err, GH_E_CONFLICT, "password_changed", op->ra->field,
                             "the password was changed meanwhile; sign in again");
    }
    gh_strlcpy(u->password_hash, op->new_hash, sizeof u->password_hash);
    u->updated_at = gh_now();
    int64_t ended = 0;
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_session_delete_user(ctx->db, u->org_id, u->id, ctx->actor.session_id, &ended, &ctx->err)) != GH_OK)
        return st;
    if ((st = gh_audit(ctx, NULL, "user.password_changed", "user", u->id,
                       json_pack("{s:I, s:b}", "other_sessions_ended", (json_int_t)ended, "reauthenticated", 1))) != GH_OK)
        return st;
    if ((st = gh_store_org_get(ctx->db, u->org_id, &o, &ctx->err)) != GH_OK) return st;
    return acct_mail_notice(ctx, &o, u, "password_changed", u->email, NULL);
}

gh_status gh_me_set_password(gh_ctx *ctx, gh_reauth *ra, bool current_ok, const char *new_hash)
{
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    if (!u) { gh_reauth_abandon(ra, true, current_ok); return gh_ctx_oom(ctx); }
    if ((st = gh_reauth_finish(ctx, ra, current_ok)) == GH_OK)
        st = gh_tx_run(ctx, set_password_change, &(set_password_op){ra, new_hash, u});
    free(u);
    return st;
}

json_t *gh_session_json(const gh_session *s, const char *current_id)
{
    return json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:I, s:s, s:s, s:b}", "id", s->id, "kind", s->kind,
                     "device", s->device, "created_at", gh_json_time(s->created_at), "last_seen_at",
                     gh_json_time(s->last_seen_at), "expires_at", gh_json_time(s->expires_at), "idle_timeout_s",
                     (json_int_t)s->idle_s, "ip", s->ip, "user_agent", s->user_agent, "current",
                     current_id && strcmp(current_id, s->id) == 0);
}

void acct_session_visit(const gh_session *s, void *arg)
{
    acct_session_acc *a = arg;
    json_array_append_new(a->items, gh_session_json(s, a->current));
}

gh_status gh_me_sessions(gh_ctx *ctx, json_t **items)
{
    acct_session_acc a = {json_array(), ctx->actor.session_id};
    if (!a.items) return gh_ctx_oom(ctx);
    gh_status st = gh_store_session_list(ctx->db, ctx->actor.org_id, ctx->actor.id, acct_session_visit, &a, &ctx->err);
    if (st != GH_OK) { json_decref(a.items); return st; }
    *items = a.items;
    return GH_OK;
}

typedef struct { const char *session_id; } end_session_op;

static gh_status end_session_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const char *session_id = ((const end_session_op *)arg)->session_id;
    int64_t n = 0;
    gh_status st = gh_store_session_delete(ctx->db, ctx->actor.org_id, ctx->actor.id, session_id, &n, &ctx->err);
    if (st != GH_OK) return st;
    if (n == 0) return gh_fail(&ctx->err, GH_E_NOT_FOUND, "session_not_found", "no such session");
    gh_tx_event(tx, "session.ended", "session", session_id, NULL);
    return GH_OK;
}

gh_status gh_me_end_session(gh_ctx *ctx, const char *session_id)
{
    return gh_tx_run(ctx, end_session_change, &(end_session_op){session_id});
}
