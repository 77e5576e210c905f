/* Audit events and outbox mails, in the caller's transaction. */
#include "core/audit.h"

#include <stdio.h>

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
    if (!detail) detail = json_object(); /* ours to free, like a caller's */
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
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
    sqlite3 *conn = gh_db_raw(db);
    sqlite3_stmt *st = gh_db_stmt(db, "SELECT id, kind, to_addr, subject FROM outbox WHERE status = 'pending' ORDER BY seq LIMIT 100");
    if (!st) return;
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        gh_log(GH_LOG_INFO, NULL, "mail queued (no SMTP configured; see `gatehouse outbox`)",
               json_pack("{s:s, s:s, s:s, s:s}", "mail_id", gh_col_text(st, 0), "kind", gh_col_text(st, 1),
                         "to", gh_col_text(st, 2), "subject", gh_col_text(st, 3)));
        n++;
    }
    sqlite3_reset(st);
    if (n == 0) return;
    sqlite3_stmt *up = gh_db_stmt(db, "UPDATE outbox SET status = 'logged', sent_at = ?1 WHERE id IN"
                                      " (SELECT id FROM outbox WHERE status = 'pending' ORDER BY seq LIMIT 100)");
    if (!up) return;
    gh_bind_i64(up, 1, gh_now());
    if (sqlite3_step(up) != SQLITE_DONE) gh_logf(GH_LOG_WARN, "outbox: %s", sqlite3_errmsg(conn));
    sqlite3_reset(up);
}
