/* The store SQL (through store/stmt.h) of store.h: the mail outbox. */
#include <string.h>

#include "store/store.h"
#include "store/stmt.h"
#include "util/json.h"

/* ---- outbox -------------------------------------------------------------------- */
gh_status gh_store_outbox_insert(gh_db *db, const gh_mail_row *m, int64_t at, gh_err *err)
{
    char id[GH_ID_MAX];
    gh_id_new("mail", id);
    PREP(db, st, "INSERT INTO outbox (id, seq, org_id, kind, to_addr, subject, body, html, link, created_at,"
                 " status, link_expires_at)"
                 " VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM outbox), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                 " 'queued', ?10)", err);
    gh_bind_text(st, 1, id); gh_bind_text(st, 2, gh_sql_null_if_empty(m->org_id)); gh_bind_text(st, 3, m->kind);
    gh_bind_text(st, 4, m->to); gh_bind_text(st, 5, m->subject); gh_bind_text(st, 6, m->body);
    gh_bind_text(st, 7, gh_sql_null_if_empty(m->html)); gh_bind_text(st, 8, gh_sql_null_if_empty(m->link)); gh_bind_i64(st, 9, at);
    if (m->link_expires_at > 0) gh_bind_i64(st, 10, m->link_expires_at); else gh_bind_null(st, 10);
    STEP_DONE(db, st, err, "outbox insert");
    return GH_OK;
}

#define OUTBOX_COLS "id, org_id, kind, to_addr, subject, body, link, created_at, status, attempts," \
                    " last_error, next_attempt_at, sent_at"

static json_t *outbox_entry(gh_stmt *st, void *unused)
{
    (void)unused;
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", json_string(gh_col_text(st, 0)));
    json_object_set_new(o, "org_id", gh_sql_text_or_null(st, 1));
    json_object_set_new(o, "kind", json_string(gh_col_text(st, 2)));
    json_object_set_new(o, "to", json_string(gh_col_text(st, 3)));
    json_object_set_new(o, "subject", json_string(gh_col_text(st, 4)));
    json_object_set_new(o, "body", json_string(gh_col_text(st, 5)));
    json_object_set_new(o, "link", gh_sql_text_or_null(st, 6));
    json_object_set_new(o, "created_at", gh_json_time(gh_col_i64(st, 7)));
    json_object_set_new(o, "status", json_string(gh_col_text(st, 8)));
    json_object_set_new(o, "attempts", json_integer(gh_col_i64(st, 9)));
    json_object_set_new(o, "last_error", gh_sql_text_or_null(st, 10));
    int64_t next = gh_col_i64(st, 11);
    json_object_set_new(o, "next_attempt_at", next > 0 && !strcmp(gh_col_text(st, 8), "deferred")
                                                  ? gh_json_time(next) : json_null());
    json_object_set_new(o, "sent_at", gh_col_is_null(st, 12)
                                          ? json_null() : gh_json_time(gh_col_i64(st, 12)));
    return o;
}

static json_t *outbox_rows(gh_db *db, gh_stmt *st, const char *what, gh_err *err)
{
    return gh_sql_json_rows(db, st, outbox_entry, NULL, err, what);
}

json_t *gh_store_outbox_list(gh_db *db, const char *org_id, int limit, gh_err *err)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT * FROM (SELECT " OUTBOX_COLS ", seq FROM outbox"
                                 " WHERE (?1 IS NULL OR org_id = ?1) ORDER BY seq DESC LIMIT ?2)"
                                 " ORDER BY seq");
    if (!st) { gh_db_fail(db, err, "prepare"); return NULL; }
    gh_bind_text(st, 1, org_id);
    gh_bind_i64(st, 2, limit > 0 ? limit : -1);
    return outbox_rows(db, st, "outbox list", err);
}

json_t *gh_store_outbox_latest(gh_db *db, const char *org_id, const char *kind, const char *to, gh_err *err)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT " OUTBOX_COLS " FROM outbox WHERE org_id = ?1 AND kind = ?2"
                                 " AND lower(to_addr) = lower(?3) ORDER BY seq DESC LIMIT 1");
    if (!st) { gh_db_fail(db, err, "prepare"); return NULL; }
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, kind); gh_bind_text(st, 3, to);
    json_t *arr = outbox_rows(db, st, "outbox latest", err);
    if (!arr) return NULL;
    json_t *one = json_array_size(arr) ? json_incref(json_array_get(arr, 0)) : json_null();
    json_decref(arr);
    return one;
}

gh_status gh_store_outbox_claim(gh_db *db, int64_t now, int64_t lease_s, json_t **out, gh_err *err)
{
    *out = NULL;
    /* A read first: most rounds find nothing due and take no write lock. */
    gh_stmt *due = gh_db_stmt(db, "SELECT 1 FROM outbox WHERE status = 'queued'"
                                  " OR (status = 'deferred' AND next_attempt_at <= ?1)"
                                  " OR (status = 'sending' AND lease_until <= ?1) LIMIT 1");
    if (!due) return gh_db_fail(db, err, "prepare");
    gh_bind_i64(due, 1, now);
    int d = gh_step(due);
    gh_reset(due);
    if (d == GH_DONE) return GH_OK;
    if (d != GH_ROW) return gh_db_fail(db, err, "outbox due");
    PREP(db, st, "UPDATE outbox SET status = 'sending', lease_until = ?1 + ?2, attempts = attempts + 1"
                 " WHERE id = (SELECT id FROM outbox WHERE status = 'queued'"
                 "   OR (status = 'deferred' AND next_attempt_at <= ?1)"
                 "   OR (status = 'sending' AND lease_until <= ?1) ORDER BY seq LIMIT 1)"
                 " AND (status IN ('queued', 'deferred') OR lease_until <= ?1)"
                 " RETURNING id, org_id, kind, to_addr, subject, body, html, link, attempts, created_at", err);
    gh_bind_i64(st, 1, now);
    gh_bind_i64(st, 2, lease_s);
    int s = gh_step(st);
    if (s == GH_ROW) {
        *out = json_object();
        if (*out) {
            json_object_set_new(*out, "id", json_string(gh_col_text(st, 0)));
            json_object_set_new(*out, "org_id", gh_sql_text_or_null(st, 1));
            json_object_set_new(*out, "kind", json_string(gh_col_text(st, 2)));
            json_object_set_new(*out, "to", json_string(gh_col_text(st, 3)));
            json_object_set_new(*out, "subject", json_string(gh_col_text(st, 4)));
            json_object_set_new(*out, "body", json_string(gh_col_text(st, 5)));
            json_object_set_new(*out, "html", gh_sql_text_or_null(st, 6));
            json_object_set_new(*out, "link", gh_sql_text_or_null(st, 7));
            json_object_set_new(*out, "attempts", json_integer(gh_col_i64(st, 8)));
            json_object_set_new(*out, "created_at", json_integer(gh_col_i64(st, 9)));
        }
        s = gh_step(st); /* runs the statement to completion */
    }
    gh_reset(st);
    if (s != GH_DONE) {
        json_decref(*out);
        *out = NULL;
        return gh_db_fail(db, err, "outbox claim");
    }
    if (!*out && gh_db_changes(db) > 0)
        return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    return GH_OK;
}

gh_status gh_store_outbox_finish(gh_db *db, const char *id, const char *status, int64_t now, int64_t next_at,
                                 const char *error, gh_err *err)
{
    PREP(db, st, "UPDATE outbox SET status = ?2, lease_until = 0, last_error = ?4,"
                 " next_attempt_at = CASE WHEN ?2 = 'deferred' THEN ?5 ELSE 0 END,"
                 " sent_at = CASE WHEN ?2 IN ('sent', 'logged') THEN ?3 ELSE sent_at END"
                 " WHERE id = ?1 AND status = 'sending'", err);
    gh_bind_text(st, 1, id); gh_bind_text(st, 2, status); gh_bind_i64(st, 3, now);
    gh_bind_text(st, 4, error); gh_bind_i64(st, 5, next_at);
    STEP_DONE(db, st, err, "outbox finish");
    return GH_OK;
}

/* The token is what follows "token=" in the link; replace() removes every copy. */
#define TOKEN_OF_LINK "substr(link, instr(link, 'token=') + 6)"
int gh_store_outbox_scrub(gh_db *db, int64_t now, gh_err *err)
{
    gh_stmt *st = gh_db_stmt(db,
        "UPDATE outbox SET body = replace(body, " TOKEN_OF_LINK ", '[removed]'),"
        " html = replace(html, " TOKEN_OF_LINK ", '[removed]'),"
        " link = replace(link, " TOKEN_OF_LINK ", '[removed]'), scrubbed = 1"
        " WHERE scrubbed = 0 AND link IS NOT NULL AND instr(link, 'token=') > 0"
        " AND length(" TOKEN_OF_LINK ") > 0"
        " AND (status IN ('sent', 'failed') OR (link_expires_at IS NOT NULL AND link_expires_at <= ?1))");
    if (!st) { gh_db_fail(db, err, "prepare"); return -1; }
    gh_bind_i64(st, 1, now);
    int s = gh_step(st);
    gh_reset(st);
    if (s != GH_DONE) { gh_db_fail(db, err, "outbox scrub"); return -1; }
    return gh_db_changes(db);
}
