/* SQLite implementation of store.h: outbox, audit trail, API keys. */
#include <string.h>

#include "store/store.h"
#include "store/sqlite_int.h"
#include "util/json.h"

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? json_string((const char *)t) : json_null();
}

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
    if (m->link_expires_at > 0) gh_bind_i64(st, 10, m->link_expires_at); else sqlite3_bind_null(st, 10);
    STEP_DONE(db, st, err, "outbox insert");
    return GH_OK;
}

#define OUTBOX_COLS "id, org_id, kind, to_addr, subject, body, link, created_at, status, attempts," \
                    " last_error, next_attempt_at, sent_at"

static json_t *outbox_entry(sqlite3_stmt *st)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", json_string(gh_col_text(st, 0)));
    json_object_set_new(o, "org_id", text_or_null(st, 1));
    json_object_set_new(o, "kind", json_string(gh_col_text(st, 2)));
    json_object_set_new(o, "to", json_string(gh_col_text(st, 3)));
    json_object_set_new(o, "subject", json_string(gh_col_text(st, 4)));
    json_object_set_new(o, "body", json_string(gh_col_text(st, 5)));
    json_object_set_new(o, "link", text_or_null(st, 6));
    json_object_set_new(o, "created_at", gh_json_time(sqlite3_column_int64(st, 7)));
    json_object_set_new(o, "status", json_string(gh_col_text(st, 8)));
    json_object_set_new(o, "attempts", json_integer(sqlite3_column_int64(st, 9)));
    json_object_set_new(o, "last_error", text_or_null(st, 10));
    int64_t next = sqlite3_column_int64(st, 11);
    json_object_set_new(o, "next_attempt_at", next > 0 && !strcmp(gh_col_text(st, 8), "deferred")
                                                  ? gh_json_time(next) : json_null());
    json_object_set_new(o, "sent_at", sqlite3_column_type(st, 12) == SQLITE_NULL
                                          ? json_null() : gh_json_time(sqlite3_column_int64(st, 12)));
    return o;
}

static json_t *outbox_rows(gh_db *db, sqlite3_stmt *st, const char *what, gh_err *err)
{
    json_t *arr = json_array();
    int s = SQLITE_DONE;
    while (arr && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (json_array_append_new(arr, outbox_entry(st)) != 0) { json_decref(arr); arr = NULL; }
    }
    sqlite3_reset(st);
    if (!arr) { gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); return NULL; }
    if (s != SQLITE_DONE) {
        json_decref(arr);
        gh_db_fail(db, err, what);
        return NULL;
    }
    return arr;
}

json_t *gh_store_outbox_list(gh_db *db, const char *org_id, int limit, gh_err *err)
{
    sqlite3_stmt *st = gh_db_stmt(db, "SELECT * FROM (SELECT " OUTBOX_COLS ", seq FROM outbox"
                                      " WHERE (?1 IS NULL OR org_id = ?1) ORDER BY seq DESC LIMIT ?2)"
                                      " ORDER BY seq");
    if (!st) { gh_db_fail(db, err, "prepare"); return NULL; }
    gh_bind_text(st, 1, org_id);
    gh_bind_i64(st, 2, limit > 0 ? limit : -1);
    return outbox_rows(db, st, "outbox list", err);
}

json_t *gh_store_outbox_latest(gh_db *db, const char *org_id, const char *kind, const char *to, gh_err *err)
{
    sqlite3_stmt *st = gh_db_stmt(db, "SELECT " OUTBOX_COLS " FROM outbox WHERE org_id = ?1 AND kind = ?2"
                                      " AND to_addr = ?3 COLLATE NOCASE ORDER BY seq DESC LIMIT 1");
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
    sqlite3_stmt *due = gh_db_stmt(db, "SELECT 1 FROM outbox WHERE status = 'queued'"
                                       " OR (status = 'deferred' AND next_attempt_at <= ?1)"
                                       " OR (status = 'sending' AND lease_until <= ?1) LIMIT 1");
    if (!due) return gh_db_fail(db, err, "prepare");
    gh_bind_i64(due, 1, now);
    int d = sqlite3_step(due);
    sqlite3_reset(due);
    if (d == SQLITE_DONE) return GH_OK;
    if (d != SQLITE_ROW) return gh_db_fail(db, err, "outbox due");
    PREP(db, st, "UPDATE outbox SET status = 'sending', lease_until = ?1 + ?2, attempts = attempts + 1"
                 " WHERE id = (SELECT id FROM outbox WHERE status = 'queued'"
                 "   OR (status = 'deferred' AND next_attempt_at <= ?1)"
                 "   OR (status = 'sending' AND lease_until <= ?1) ORDER BY seq LIMIT 1)"
                 " AND (status IN ('queued', 'deferred') OR lease_until <= ?1)"
                 " RETURNING id, org_id, kind, to_addr, subject, body, html, link, attempts, created_at", err);
    gh_bind_i64(st, 1, now);
    gh_bind_i64(st, 2, lease_s);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        *out = json_object();
        if (*out) {
            json_object_set_new(*out, "id", json_string(gh_col_text(st, 0)));
            json_object_set_new(*out, "org_id", text_or_null(st, 1));
            json_object_set_new(*out, "kind", json_string(gh_col_text(st, 2)));
            json_object_set_new(*out, "to", json_string(gh_col_text(st, 3)));
            json_object_set_new(*out, "subject", json_string(gh_col_text(st, 4)));
            json_object_set_new(*out, "body", json_string(gh_col_text(st, 5)));
            json_object_set_new(*out, "html", text_or_null(st, 6));
            json_object_set_new(*out, "link", text_or_null(st, 7));
            json_object_set_new(*out, "attempts", json_integer(sqlite3_column_int64(st, 8)));
            json_object_set_new(*out, "created_at", json_integer(sqlite3_column_int64(st, 9)));
        }
        s = sqlite3_step(st); /* runs the statement to completion */
    }
    sqlite3_reset(st);
    if (s != SQLITE_DONE) {
        json_decref(*out);
        *out = NULL;
        return gh_db_fail(db, err, "outbox claim");
    }
    if (!*out && sqlite3_changes(gh_db_raw(db)) > 0)
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
    sqlite3_stmt *st = gh_db_stmt(db,
        "UPDATE outbox SET body = replace(body, " TOKEN_OF_LINK ", '[removed]'),"
        " html = replace(html, " TOKEN_OF_LINK ", '[removed]'),"
        " link = replace(link, " TOKEN_OF_LINK ", '[removed]'), scrubbed = 1"
        " WHERE scrubbed = 0 AND link IS NOT NULL AND instr(link, 'token=') > 0"
        " AND length(" TOKEN_OF_LINK ") > 0"
        " AND (status IN ('sent', 'failed') OR (link_expires_at IS NOT NULL AND link_expires_at <= ?1))");
    if (!st) { gh_db_fail(db, err, "prepare"); return -1; }
    gh_bind_i64(st, 1, now);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    if (s != SQLITE_DONE) { gh_db_fail(db, err, "outbox scrub"); return -1; }
    return sqlite3_changes(gh_db_raw(db));
}

/* ---- audit ---------------------------------------------------------------------- */
gh_status gh_store_audit_insert(gh_db *db, const gh_audit_row *a, gh_err *err)
{
    char id[GH_ID_MAX];
    if (a->id[0]) gh_strlcpy(id, a->id, sizeof id);
    else gh_id_new("evt", id);
    PREP(db, st, "INSERT INTO audit (id, org_id, at, actor_type, actor_id, action, target_type, target_id,"
                 " ip, request_id, detail) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)", err);
    gh_bind_text(st, 1, id); gh_bind_text(st, 2, gh_sql_null_if_empty(a->org_id)); gh_bind_i64(st, 3, a->at);
    gh_bind_text(st, 4, a->actor_type); gh_bind_text(st, 5, gh_sql_null_if_empty(a->actor_id)); gh_bind_text(st, 6, a->action);
    gh_bind_text(st, 7, gh_sql_null_if_empty(a->target_type)); gh_bind_text(st, 8, gh_sql_null_if_empty(a->target_id));
    gh_bind_text(st, 9, a->ip ? a->ip : ""); gh_bind_text(st, 10, a->request_id ? a->request_id : "");
    gh_bind_text(st, 11, a->detail_json ? a->detail_json : "{}");
    STEP_DONE(db, st, err, "audit insert");
    return GH_OK;
}

gh_status gh_store_audit_last_seq(gh_db *db, int64_t *seq, gh_err *err)
{
    PREP(db, st, "SELECT coalesce(max(seq), 0) FROM audit", err);
    int s = sqlite3_step(st);
    *seq = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (s != SQLITE_ROW) return gh_db_fail(db, err, "audit last seq");
    return GH_OK;
}

gh_status gh_store_audit_signin_ended_since(gh_db *db, const char *org_id, const char *user_id, int64_t seq,
                                            bool *ended, gh_err *err)
{
    PREP(db, st, "SELECT 1 FROM audit WHERE seq > ?1 AND org_id = ?2 AND target_type = 'user' AND target_id = ?3"
                 " AND action IN ('user.sessions_revoked', 'user.locked', 'user.deleted', 'user.password_reset',"
                 " 'user.password_changed') LIMIT 1", err);
    gh_bind_i64(st, 1, seq);
    gh_bind_text(st, 2, org_id);
    gh_bind_text(st, 3, user_id);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    if (s != SQLITE_ROW && s != SQLITE_DONE) return gh_db_fail(db, err, "audit since");
    *ended = s == SQLITE_ROW;
    return GH_OK;
}

/* The names of an event's actor and target, from the org's rows (a deleted
 * person's from their tombstone; a deleted group or role from the name the
 * event recorded). Only inside a query on `audit a`. */
#define USER_NAME_OF(idcol) \
    "coalesce((SELECT name FROM users WHERE id = " idcol " AND org_id = a.org_id)," \
    " (SELECT name FROM user_tombstones WHERE id = " idcol " AND org_id = a.org_id))"
#define DETAIL_TEXT(key) "CASE WHEN json_type(a.detail, '$." key "') = 'text' THEN json_extract(a.detail, '$." key "') END"
#define AUDIT_ACTOR_NAME \
    "CASE a.actor_type WHEN 'user' THEN " USER_NAME_OF("a.actor_id") \
    " WHEN 'api_key' THEN (SELECT name FROM api_keys WHERE id = a.actor_id AND org_id = a.org_id)" \
    " WHEN 'system' THEN 'system' END"
#define AUDIT_TARGET_NAME \
    "CASE a.target_type WHEN 'user' THEN coalesce(" USER_NAME_OF("a.target_id") ", " DETAIL_TEXT("user_name") ")" \
    " WHEN 'group' THEN coalesce((SELECT name FROM groups WHERE id = a.target_id AND org_id = a.org_id), " \
    DETAIL_TEXT("group_name") ", " DETAIL_TEXT("name") ")" \
    " WHEN 'role' THEN coalesce((SELECT name FROM roles WHERE key = a.target_id AND org_id = a.org_id), " \
    DETAIL_TEXT("name") ")" \
    " WHEN 'api_key' THEN coalesce((SELECT name FROM api_keys WHERE id = a.target_id AND org_id = a.org_id), " \
    DETAIL_TEXT("name") ")" \
    " WHEN 'org' THEN (SELECT name FROM orgs WHERE id = a.target_id AND id = a.org_id) END"

gh_status gh_store_audit_export_page(gh_db *db, const char *org_id, const gh_audit_filter *f, int64_t after_seq,
                                     int64_t upto_seq, int limit,
                                     bool (*fn)(const gh_audit_export_row *, void *), void *arg, int64_t *last,
                                     gh_err *err)
{
    PREP(db, st, "SELECT seq, id, at, actor_type, actor_id, action, target_type, target_id, ip, request_id, detail,"
                 " " AUDIT_ACTOR_NAME ", " AUDIT_TARGET_NAME
                 " FROM audit a WHERE org_id = ?1"
                 " AND (?2 IS NULL OR actor_id = ?2) AND (?3 IS NULL OR action = ?3 OR action LIKE ?3 || '.%')"
                 " AND (?4 IS NULL OR target_id = ?4)"
                 " AND (?5 = 0 OR at >= ?5) AND (?6 = 0 OR at < ?6) AND seq > ?7 AND seq <= ?8"
                 " ORDER BY seq LIMIT ?9", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, f->actor_id); gh_bind_text(st, 3, f->action);
    gh_bind_text(st, 4, f->target_id); gh_bind_i64(st, 5, f->from); gh_bind_i64(st, 6, f->to);
    gh_bind_i64(st, 7, after_seq); gh_bind_i64(st, 8, upto_seq); gh_bind_i64(st, 9, limit);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c[13] = {0};
        for (int i = 1; i < 13; i++)
            if (i != 2) c[i] = (const char *)sqlite3_column_text(st, i);
        gh_audit_export_row row = {.seq = sqlite3_column_int64(st, 0), .id = c[1], .at = sqlite3_column_int64(st, 2),
                                   .actor_type = c[3], .actor_id = c[4], .action = c[5], .target_type = c[6],
                                   .target_id = c[7], .ip = c[8], .request_id = c[9], .detail = c[10],
                                   .actor_name = c[11], .target_name = c[12]};
        *last = row.seq;
        if (!fn(&row, arg)) { s = SQLITE_DONE; break; }
    }
    sqlite3_reset(st);
    return s == SQLITE_DONE ? GH_OK : gh_db_fail(db, err, "audit export");
}

gh_status gh_store_audit_list(gh_db *db, const char *org_id, const gh_audit_filter *f,
                              json_t *items, int64_t *next_seq, gh_err *err)
{
    PREP(db, st, "SELECT seq, id, at, actor_type, actor_id, action, target_type, target_id, ip, request_id, detail,"
                 " " AUDIT_ACTOR_NAME ", " AUDIT_TARGET_NAME
                 " FROM audit a WHERE org_id = ?1"
                 " AND (?2 IS NULL OR actor_id = ?2) AND (?3 IS NULL OR action = ?3 OR action LIKE ?3 || '.%')"
                 " AND (?4 IS NULL OR target_id = ?4)"
                 " AND (?5 = 0 OR at >= ?5) AND (?6 = 0 OR at < ?6) AND (?7 = 0 OR seq < ?7)"
                 " ORDER BY seq DESC LIMIT ?8", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, f->actor_id); gh_bind_text(st, 3, f->action);
    gh_bind_text(st, 4, f->target_id); gh_bind_i64(st, 5, f->from); gh_bind_i64(st, 6, f->to);
    gh_bind_i64(st, 7, f->before_seq); gh_bind_i64(st, 8, (int64_t)f->limit + 1);
    int s, n = 0;
    int64_t last = 0;
    *next_seq = 0;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == f->limit) { *next_seq = last; break; }
        last = sqlite3_column_int64(st, 0);
        json_t *o = json_object();
        if (!o) break;
        json_object_set_new(o, "id", json_string(gh_col_text(st, 1)));
        json_object_set_new(o, "at", gh_json_time(sqlite3_column_int64(st, 2)));
        json_object_set_new(o, "actor_type", json_string(gh_col_text(st, 3)));
        json_object_set_new(o, "actor_id", text_or_null(st, 4));
        json_object_set_new(o, "action", json_string(gh_col_text(st, 5)));
        json_object_set_new(o, "target_type", text_or_null(st, 6));
        json_object_set_new(o, "target_id", text_or_null(st, 7));
        json_object_set_new(o, "actor_name", text_or_null(st, 11));
        json_object_set_new(o, "target_name", text_or_null(st, 12));
        json_object_set_new(o, "ip", json_string(gh_col_text(st, 8)));
        json_object_set_new(o, "request_id", json_string(gh_col_text(st, 9)));
        json_t *detail = json_loads(gh_col_text(st, 10), 0, NULL);
        json_object_set_new(o, "detail", detail ? detail : json_object());
        json_array_append_new(items, o);
        n++;
    }
    if (s == SQLITE_ROW || s == SQLITE_DONE) s = SQLITE_OK;
    sqlite3_reset(st);
    return s == SQLITE_OK ? GH_OK : gh_db_fail(db, err, "audit list");
}

/* ---- API keys ------------------------------------------------------------------- */
#define KEY_COLS "id, org_id, name, key_hash, prefix, created_by, created_at, expires_at, last_used_at, scopes"

static void key_row(sqlite3_stmt *st, gh_apikey *k)
{
    memset(k, 0, sizeof *k);
    gh_strlcpy(k->id, gh_col_text(st, 0), sizeof k->id);
    gh_strlcpy(k->org_id, gh_col_text(st, 1), sizeof k->org_id);
    gh_strlcpy(k->name, gh_col_text(st, 2), sizeof k->name);
    gh_strlcpy(k->key_hash, gh_col_text(st, 3), sizeof k->key_hash);
    gh_strlcpy(k->prefix, gh_col_text(st, 4), sizeof k->prefix);
    gh_strlcpy(k->created_by, gh_col_text(st, 5), sizeof k->created_by);
    k->created_at = sqlite3_column_int64(st, 6);
    k->expires_at = sqlite3_column_int64(st, 7);
    k->last_used_at = sqlite3_column_int64(st, 8);
    gh_strlcpy(k->scopes, gh_col_text(st, 9), sizeof k->scopes);
}

gh_status gh_store_apikey_insert(gh_db *db, const gh_apikey *k, gh_err *err)
{
    PREP(db, st, "INSERT INTO api_keys (" KEY_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,NULL,?9)", err);
    gh_bind_text(st, 1, k->id); gh_bind_text(st, 2, k->org_id); gh_bind_text(st, 3, k->name);
    gh_bind_text(st, 4, k->key_hash); gh_bind_text(st, 5, k->prefix); gh_bind_text(st, 6, gh_sql_null_if_empty(k->created_by));
    gh_bind_i64(st, 7, k->created_at);
    if (k->expires_at) gh_bind_i64(st, 8, k->expires_at);
    else sqlite3_bind_null(st, 8);
    gh_bind_text(st, 9, k->scopes);
    STEP_DONE(db, st, err, "apikey insert");
    return GH_OK;
}

static gh_status key_get(gh_db *db, sqlite3_stmt *st, gh_apikey *k, gh_err *err)
{
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) key_row(st, k);
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return GH_OK;
    if (s == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "api_key_not_found", "no such API key");
    return gh_db_fail(db, err, "apikey get");
}

gh_status gh_store_apikey_get_by_hash(gh_db *db, const char *key_hash, gh_apikey *k, gh_err *err)
{
    PREP(db, st, "SELECT " KEY_COLS " FROM api_keys WHERE key_hash = ?1", err);
    gh_bind_text(st, 1, key_hash);
    return key_get(db, st, k, err);
}

gh_status gh_store_apikey_get(gh_db *db, const char *org_id, const char *id, gh_apikey *k, gh_err *err)
{
    PREP(db, st, "SELECT " KEY_COLS " FROM api_keys WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    return key_get(db, st, k, err);
}

gh_status gh_store_apikey_touch(gh_db *db, const char *id, int64_t at, gh_err *err)
{
    PREP(db, st, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", err);
    gh_bind_text(st, 1, id);
    gh_bind_i64(st, 2, at);
    STEP_DONE(db, st, err, "apikey touch");
    return GH_OK;
}

gh_status gh_store_apikey_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM api_keys WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "apikey delete");
    if (sqlite3_changes(gh_db_raw(db)) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "api_key_not_found", "no such API key");
    return GH_OK;
}

gh_status gh_store_apikey_list(gh_db *db, const char *org_id, void (*fn)(const gh_apikey *, void *),
                               void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " KEY_COLS " FROM api_keys WHERE org_id = ?1 ORDER BY created_at, id", err);
    gh_bind_text(st, 1, org_id);
    gh_apikey k;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        key_row(st, &k);
        fn(&k, arg);
    }
    sqlite3_reset(st);
    return s == SQLITE_DONE ? GH_OK : gh_db_fail(db, err, "apikey list");
}
