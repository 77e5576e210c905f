/* Audit events, in the caller's transaction (the outbox is in outbox.c). */
#include "core/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mail.h"
#include "core/webhooks.h"
#include "store/store.h"
#include "util/log.h"

static const char *actor_type_name(gh_actor_type t)
{
    switch (t) {
    case GH_ACTOR_USER: return "user";
    case GH_ACTOR_API_KEY: return "api_key";
    case GH_ACTOR_SYSTEM: return "system";
    default: return "anonymous";
    }
}

gh_status gh_audit(gh_ctx *ctx, const char *org_id, const char *action, const char *target_type,
                   const char *target_id, json_t *detail)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : strdup("{}");
    if (!text) {
        json_decref(detail);
        return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory");
    }
    gh_audit_row row = {
        .org_id = org_id ? org_id : ctx->actor.org_id,
        .actor_type = actor_type_name(ctx->actor.type),
        .actor_id = ctx->actor.type == GH_ACTOR_NONE ? NULL : ctx->actor.id,
        .action = action,
        .target_type = target_type,
        .target_id = target_id,
        .ip = ctx->ip,
        .request_id = ctx->request_id,
        .detail_json = text,
        .at = gh_now(),
    };
    gh_id_new("evt", row.id);
    gh_status st = gh_store_audit_insert(ctx->db, &row, &ctx->err);
    /* The webhook events this change stands for, in the same transaction. */
    if (st == GH_OK)
        st = gh_webhooks_on_audit(ctx, row.org_id, row.id, action, row.actor_type, row.actor_id, target_type,
                                  target_id, detail, row.at);
    json_decref(detail);
    free(text);
    return st;
}

void gh_audit_alone(gh_ctx *ctx, const char *org_id, const char *action, const char *target_type,
                    const char *target_id, json_t *detail)
{
    gh_ctx c = *ctx;
    c.err = (gh_err){0};
    if (gh_db_begin(c.db, &c.err) != GH_OK) {
        json_decref(detail);
        gh_err_clear(&c.err);
        return;
    }
    if (gh_audit(&c, org_id, action, target_type, target_id, detail) != GH_OK || gh_db_commit(c.db, &c.err) != GH_OK)
        gh_db_rollback(c.db);
    gh_err_clear(&c.err);
}

gh_status gh_audit_list(gh_ctx *ctx, const gh_audit_filter *f, json_t *items, int64_t *next_seq)
{
    return gh_store_audit_list(ctx->db, ctx->actor.org_id, f, items, next_seq, &ctx->err);
}
