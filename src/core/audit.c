/* Audit events and outbox mails, in the caller's transaction. */
#include "core/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    json_decref(detail);
    if (!text) return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory");
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
    gh_status st = gh_store_audit_insert(ctx->db, &row, &ctx->err);
    free(text);
    return st;
}

gh_status gh_mail(gh_ctx *ctx, const char *org_id, const char *kind, const char *to,
                  const char *subject, const char *body, const char *link)
{
    gh_mail_row m = {.org_id = org_id, .kind = kind, .to = to, .subject = subject, .body = body, .link = link};
    return gh_store_outbox_insert(ctx->db, &m, gh_now(), &ctx->err);
}

void gh_link(char *out, size_t cap, const char *path, const char *token)
{
    snprintf(out, cap, "%s%s?token=%s", gh_cfg()->base_url, path, token);
}

void gh_outbox_deliver(gh_db *db)
{
    gh_err err = {0};
    json_t *mails = gh_store_outbox_pending(db, 100, &err);
    size_t i;
    json_t *m;
    /* Each mail is marked by its id, so one queued while this runs waits
     * for the next round instead of being marked unseen. */
    json_array_foreach(mails, i, m) {
        const char *id = json_string_value(json_object_get(m, "id"));
        gh_log(GH_LOG_INFO, NULL, "mail queued (no SMTP configured; see `gatehouse outbox`)",
               json_pack("{s:s, s:O, s:O, s:O}", "mail_id", id, "kind", json_object_get(m, "kind"), "to",
                         json_object_get(m, "to"), "subject", json_object_get(m, "subject")));
        if (gh_store_outbox_mark(db, id, "logged", gh_now(), &err) != GH_OK) break;
    }
    json_decref(mails);
    gh_err_clear(&err);
}
