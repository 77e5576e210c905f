/* The store SQL (through store/stmt.h) of store.h: the audit trail. */
#include <string.h>

#include "store/store.h"
#include "store/stmt.h"
#include "util/json.h"

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
    int s = gh_step(st);
    *seq = s == GH_ROW ? gh_col_i64(st, 0) : 0;
    gh_reset(st);
    if (s != GH_ROW) return gh_db_fail(db, err, "audit last seq");
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
    int s = gh_step(st);
    gh_reset(st);
    if (s != GH_ROW && s != GH_DONE) return gh_db_fail(db, err, "audit since");
    *ended = s == GH_ROW;
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
    while ((s = gh_step(st)) == GH_ROW) {
        const char *c[13] = {0};
        for (int i = 1; i < 13; i++)
            if (i != 2) c[i] = gh_col_text_or_null(st, i);
        gh_audit_export_row row = {.seq = gh_col_i64(st, 0), .id = c[1], .at = gh_col_i64(st, 2),
                                   .actor_type = c[3], .actor_id = c[4], .action = c[5], .target_type = c[6],
                                   .target_id = c[7], .ip = c[8], .request_id = c[9], .detail = c[10],
                                   .actor_name = c[11], .target_name = c[12]};
        *last = row.seq;
        if (!fn(&row, arg)) { s = GH_DONE; break; }
    }
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "audit export");
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
    while ((s = gh_step(st)) == GH_ROW) {
        if (n == f->limit) { *next_seq = last; break; }
        last = gh_col_i64(st, 0);
        json_t *o = json_object();
        if (!o) break;
        json_object_set_new(o, "id", json_string(gh_col_text(st, 1)));
        json_object_set_new(o, "at", gh_json_time(gh_col_i64(st, 2)));
        json_object_set_new(o, "actor_type", json_string(gh_col_text(st, 3)));
        json_object_set_new(o, "actor_id", gh_sql_text_or_null(st, 4));
        json_object_set_new(o, "action", json_string(gh_col_text(st, 5)));
        json_object_set_new(o, "target_type", gh_sql_text_or_null(st, 6));
        json_object_set_new(o, "target_id", gh_sql_text_or_null(st, 7));
        json_object_set_new(o, "actor_name", gh_sql_text_or_null(st, 11));
        json_object_set_new(o, "target_name", gh_sql_text_or_null(st, 12));
        json_object_set_new(o, "ip", json_string(gh_col_text(st, 8)));
        json_object_set_new(o, "request_id", json_string(gh_col_text(st, 9)));
        json_t *detail = json_loads(gh_col_text(st, 10), 0, NULL);
        json_object_set_new(o, "detail", detail ? detail : json_object());
        json_array_append_new(items, o);
        n++;
    }
    gh_reset(st);
    return s == GH_ROW || s == GH_DONE ? GH_OK : gh_db_fail(db, err, "audit list");
}
