/* The store SQL (through store/stmt.h) of store.h: the audit trail. */
#include <string.h>
#include <stdlib.h>

#include "store/migrations.h"
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
    /* Its search key (migration 28), in the same transaction. */
    PREP(db, ix, "INSERT INTO audit_search (rowid, k, oid) SELECT a.seq, " GH_AUDIT_SEARCH_KEY ", a.org_id"
                 " FROM audit a WHERE a.id = ?1", err);
    gh_bind_text(ix, 1, id);
    STEP_DONE(db, ix, err, "audit search insert");
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

/* The audit list, newest first. Without q it walks audit_org (or the
 * actor's or action's index) from the cursor down. A q of three characters
 * or more reads audit_search (migration 28), whose rowid is the event's
 * seq, newest first from the cursor: its matches come out of the index in
 * the list's order, so a page costs its own rows whatever the trail's size.
 * A shorter q walks the trail testing each event's key. */
#define AUDIT_COLS "SELECT seq, id, at, actor_type, actor_id, action, target_type, target_id, ip, request_id, detail," \
    " " AUDIT_ACTOR_NAME ", " AUDIT_TARGET_NAME
#define AUDIT_FILTERS \
    " AND (?2 IS NULL OR actor_id = ?2) AND (?3 IS NULL OR action = ?3 OR action LIKE ?3 || '.%')" \
    " AND (?4 IS NULL OR target_id = ?4) AND (?5 = 0 OR at >= ?5) AND (?6 = 0 OR at < ?6)"
#define AUDIT_SQL_ALL AUDIT_COLS " FROM audit a WHERE org_id = ?1" AUDIT_FILTERS " AND (?7 = 0 OR seq < ?7)" \
    " ORDER BY seq DESC LIMIT ?8"
#define AUDIT_SQL_SEARCH AUDIT_COLS " FROM audit_search s CROSS JOIN audit a" \
    " WHERE s.k MATCH ?9 AND s.oid = ?1 AND (?7 = 0 OR s.rowid < ?7) AND a.seq = s.rowid AND a.org_id = ?1" \
    AUDIT_FILTERS " ORDER BY s.rowid DESC LIMIT ?8"
#define AUDIT_SQL_WALK AUDIT_COLS " FROM audit a WHERE org_id = ?1" AUDIT_FILTERS " AND (?7 = 0 OR seq < ?7)" \
    " AND instr((SELECT k FROM audit_search WHERE rowid = a.seq), ?9) > 0 ORDER BY seq DESC LIMIT ?8"

typedef struct audit_query {
    char q[GH_SEARCH_KEY_MAX];
    char phrase[2 * GH_SEARCH_KEY_MAX + 3];
    size_t qn;
    bool indexed;
} audit_query;

static const char *audit_list_sql(const gh_audit_filter *f, audit_query *aq)
{
    aq->indexed = gh_sql_search_phrase(f->q, aq->q, sizeof aq->q, &aq->qn, aq->phrase, sizeof aq->phrase);
    return aq->indexed ? AUDIT_SQL_SEARCH : aq->qn ? AUDIT_SQL_WALK : AUDIT_SQL_ALL;
}

static void audit_list_bind(gh_stmt *st, const char *org_id, const gh_audit_filter *f, const audit_query *aq)
{
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, f->actor_id); gh_bind_text(st, 3, f->action);
    gh_bind_text(st, 4, f->target_id); gh_bind_i64(st, 5, f->from); gh_bind_i64(st, 6, f->to);
    gh_bind_i64(st, 7, f->before_seq); gh_bind_i64(st, 8, (int64_t)f->limit + 1);
    if (aq->qn) gh_bind_text(st, 9, aq->indexed ? aq->phrase : aq->q);
}

typedef struct {
    const char *org_id;
    const gh_audit_filter *f;
    const audit_query *aq;
} audit_plan_args;

static void audit_plan_bind(gh_stmt *st, void *arg)
{
    audit_plan_args *a = arg;
    audit_list_bind(st, a->org_id, a->f, a->aq);
}

gh_status gh_store_audit_list_plan(gh_db *db, const char *org_id, const gh_audit_filter *f, char *out, size_t cap,
                                   gh_err *err)
{
    audit_query *aq = malloc(sizeof *aq);
    if (cap) out[0] = '\0';
    if (!aq) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    audit_plan_args a = {org_id, f, aq};
    gh_status rc = gh_sql_plan(db, audit_list_sql(f, aq), audit_plan_bind, &a, out, cap, err);
    free(aq);
    return rc;
}

gh_status gh_store_audit_list(gh_db *db, const char *org_id, const gh_audit_filter *f,
                              json_t *items, int64_t *next_seq, gh_err *err)
{
    audit_query *aq = malloc(sizeof *aq);
    if (!aq) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    gh_stmt *st = gh_db_stmt(db, audit_list_sql(f, aq));
    if (!st) { free(aq); return gh_db_fail(db, err, "prepare"); }
    audit_list_bind(st, org_id, f, aq); /* bound as copies */
    free(aq);
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
