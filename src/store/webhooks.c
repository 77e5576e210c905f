/* The store SQL (through store/stmt.h) of store.h: webhook endpoints and their deliveries. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/stmt.h"
#include "util/json.h"

#define HOOK_COLS "id, org_id, url, description, events, enabled, secret, created_by, created_at, updated_at"

static void hook_row(gh_stmt *st, gh_webhook *w)
{
    memset(w, 0, sizeof *w);
    gh_strlcpy(w->id, gh_col_text(st, 0), sizeof w->id);
    gh_strlcpy(w->org_id, gh_col_text(st, 1), sizeof w->org_id);
    gh_strlcpy(w->url, gh_col_text(st, 2), sizeof w->url);
    gh_strlcpy(w->description, gh_col_text(st, 3), sizeof w->description);
    gh_strlcpy(w->events, gh_col_text(st, 4), sizeof w->events);
    w->enabled = gh_col_int(st, 5) != 0;
    gh_strlcpy(w->secret, gh_col_text(st, 6), sizeof w->secret);
    gh_strlcpy(w->created_by, gh_col_text(st, 7), sizeof w->created_by);
    w->created_at = gh_col_i64(st, 8);
    w->updated_at = gh_col_i64(st, 9);
}

gh_status gh_store_webhook_insert(gh_db *db, const gh_webhook *w, gh_err *err)
{
    PREP(db, st, "INSERT INTO webhooks (" HOOK_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", err);
    gh_bind_text(st, 1, w->id); gh_bind_text(st, 2, w->org_id); gh_bind_text(st, 3, w->url);
    gh_bind_text(st, 4, w->description); gh_bind_text(st, 5, w->events); gh_bind_i64(st, 6, w->enabled);
    gh_bind_text(st, 7, w->secret);
    if (w->created_by[0]) gh_bind_text(st, 8, w->created_by); else gh_bind_null(st, 8);
    gh_bind_i64(st, 9, w->created_at); gh_bind_i64(st, 10, w->updated_at);
    STEP_DONE(db, st, err, "webhook insert");
    return GH_OK;
}

gh_status gh_store_webhook_update(gh_db *db, const gh_webhook *w, gh_err *err)
{
    PREP(db, st, "UPDATE webhooks SET url = ?3, description = ?4, events = ?5, enabled = ?6, secret = ?7,"
                 " updated_at = ?8 WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, w->org_id); gh_bind_text(st, 2, w->id); gh_bind_text(st, 3, w->url);
    gh_bind_text(st, 4, w->description); gh_bind_text(st, 5, w->events); gh_bind_i64(st, 6, w->enabled);
    gh_bind_text(st, 7, w->secret); gh_bind_i64(st, 8, w->updated_at);
    STEP_DONE(db, st, err, "webhook update");
    if (gh_db_changes(db) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "webhook_not_found", "no such webhook");
    return GH_OK;
}

gh_status gh_store_webhook_get(gh_db *db, const char *org_id, const char *id, gh_webhook *w, gh_err *err)
{
    PREP(db, st, "SELECT " HOOK_COLS " FROM webhooks WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = gh_step(st);
    if (s == GH_ROW) hook_row(st, w);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "webhook_not_found", "no such webhook");
    return gh_db_fail(db, err, "webhook get");
}

gh_status gh_store_webhook_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM webhooks WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "webhook delete");
    if (gh_db_changes(db) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "webhook_not_found", "no such webhook");
    return GH_OK;
}

gh_status gh_store_webhook_each(gh_db *db, const char *org_id, bool enabled_only,
                                bool (*fn)(const gh_webhook *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " HOOK_COLS " FROM webhooks WHERE org_id = ?1 AND (?2 = 0 OR enabled = 1)"
                 " ORDER BY created_at, id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_i64(st, 2, enabled_only);
    gh_webhook *w = calloc(1, sizeof *w);
    if (!w) { gh_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        hook_row(st, w);
        if (!fn(w, arg)) { s = GH_DONE; break; }
    }
    gh_reset(st);
    free(w);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "webhook list");
}

/* ---- deliveries ---------------------------------------------------------------- */
gh_status gh_store_whdelivery_insert(gh_db *db, const char *id, const char *org_id, const char *webhook_id,
                                     const char *event, const char *payload, int64_t at, gh_err *err)
{
    PREP(db, st, "INSERT INTO webhook_deliveries (id, org_id, webhook_id, event, payload, created_at, status)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued')", err);
    gh_bind_text(st, 1, id); gh_bind_text(st, 2, org_id); gh_bind_text(st, 3, webhook_id);
    gh_bind_text(st, 4, event); gh_bind_text(st, 5, payload); gh_bind_i64(st, 6, at);
    STEP_DONE(db, st, err, "webhook delivery insert");
    return GH_OK;
}

#define DUE "(status = 'queued' OR (status = 'deferred' AND next_attempt_at <= ?1)" \
            " OR (status = 'sending' AND lease_until <= ?1))"

gh_status gh_store_whdelivery_claim(gh_db *db, int64_t now, int64_t lease_s, json_t **out, gh_err *err)
{
    *out = NULL;
    /* A read first: most rounds find nothing due and take no write lock. */
    gh_stmt *due = gh_db_stmt(db, "SELECT 1 FROM webhook_deliveries WHERE " DUE " LIMIT 1");
    if (!due) return gh_db_fail(db, err, "prepare");
    gh_bind_i64(due, 1, now);
    int d = gh_step(due);
    gh_reset(due);
    if (d == GH_DONE) return GH_OK;
    if (d != GH_ROW) return gh_db_fail(db, err, "webhook due");
    PREP(db, st, "UPDATE webhook_deliveries SET status = 'sending', lease_until = ?1 + ?2, attempts = attempts + 1"
                 " WHERE seq = (SELECT seq FROM webhook_deliveries WHERE " DUE " ORDER BY seq LIMIT 1)"
                 " AND (status IN ('queued', 'deferred') OR lease_until <= ?1)"
                 " RETURNING id, org_id, webhook_id, event, payload, attempts, created_at", err);
    gh_bind_i64(st, 1, now);
    gh_bind_i64(st, 2, lease_s);
    int s = gh_step(st);
    if (s == GH_ROW) {
        *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", gh_col_text(st, 0), "org_id",
                         gh_col_text(st, 1), "webhook_id", gh_col_text(st, 2), "event", gh_col_text(st, 3),
                         "payload", gh_col_text(st, 4), "attempts", (json_int_t)gh_col_i64(st, 5),
                         "created_at", (json_int_t)gh_col_i64(st, 6));
        s = gh_step(st); /* runs the statement to completion */
    }
    gh_reset(st);
    if (s != GH_DONE) {
        json_decref(*out);
        *out = NULL;
        return gh_db_fail(db, err, "webhook claim");
    }
    if (!*out && gh_db_changes(db) > 0)
        return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    return GH_OK;
}

gh_status gh_store_whdelivery_finish(gh_db *db, const char *id, const char *status, int64_t now, int64_t next_at,
                                     long http_status, const char *excerpt, const char *error, gh_err *err)
{
    PREP(db, st, "UPDATE webhook_deliveries SET status = ?2, lease_until = 0,"
                 " next_attempt_at = CASE WHEN ?2 = 'deferred' THEN ?4 ELSE 0 END,"
                 " delivered_at = CASE WHEN ?2 = 'delivered' THEN ?3 ELSE delivered_at END,"
                 " response_status = ?5, response_excerpt = ?6, last_error = ?7"
                 " WHERE id = ?1 AND status = 'sending'", err);
    gh_bind_text(st, 1, id); gh_bind_text(st, 2, status); gh_bind_i64(st, 3, now); gh_bind_i64(st, 4, next_at);
    gh_bind_i64(st, 5, http_status); gh_bind_text(st, 6, excerpt ? excerpt : "");
    gh_bind_text(st, 7, error ? error : "");
    STEP_DONE(db, st, err, "webhook delivery finish");
    return GH_OK;
}

static json_t *delivery_json(gh_stmt *st, void *unused)
{
    (void)unused;
    const char *status = gh_col_text(st, 3);
    int64_t next = gh_col_i64(st, 5);
    long code = (long)gh_col_i64(st, 6);
    const char *excerpt = gh_col_text(st, 7), *error = gh_col_text(st, 8);
    json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "id", gh_col_text(st, 0),
                          "event", gh_col_text(st, 1), "created_at", gh_json_time(gh_col_i64(st, 2)),
                          "status", status, "attempts", (json_int_t)gh_col_i64(st, 4),
                          "next_attempt_at", next > 0 && !strcmp(status, "deferred") ? gh_json_time(next) : json_null(),
                          "response_status", code ? json_integer(code) : json_null(),
                          "response_excerpt", *excerpt ? json_string(excerpt) : json_null(),
                          "last_error", *error ? json_string(error) : json_null(),
                          "delivered_at", gh_col_is_null(st, 9)
                                              ? json_null() : gh_json_time(gh_col_i64(st, 9)));
    return o;
}

json_t *gh_store_whdelivery_list(gh_db *db, const char *org_id, const char *webhook_id, int limit, gh_err *err)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT id, event, created_at, status, attempts, next_attempt_at,"
                                 " response_status, response_excerpt, last_error, delivered_at"
                                 " FROM webhook_deliveries WHERE org_id = ?1 AND webhook_id = ?2"
                                 " ORDER BY seq DESC LIMIT ?3");
    if (!st) { gh_db_fail(db, err, "prepare"); return NULL; }
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, webhook_id);
    gh_bind_i64(st, 3, limit > 0 ? limit : 100);
    return gh_sql_json_rows(db, st, delivery_json, NULL, err, "webhook deliveries");
}

int64_t gh_store_whdelivery_backlog(gh_db *db)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM webhook_deliveries"
                                 " WHERE status IN ('queued', 'deferred', 'sending')");
    if (!st) return -1;
    int s = gh_step(st);
    int64_t n = s == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    return n;
}
