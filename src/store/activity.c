/* The store SQL (through store/stmt.h) of store/shopfloor.h: per-user activity. */
#include "store/shopfloor.h"
#include "store/stmt.h"

#include <stdlib.h>
#include <string.h>

/* ---- activity ---------------------------------------------------------------------------------------- */
gh_status gh_store_activity_insert(gh_db *db, const gh_activity *a, gh_err *err)
{
    PREP(db, st, "INSERT INTO activity (id, org_id, user_id, type, ref, at, detail, created_at)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
    gh_bind_text(st, 1, a->id); gh_bind_text(st, 2, a->org_id); gh_bind_text(st, 3, a->user_id);
    gh_bind_text(st, 4, a->type); gh_bind_text(st, 5, a->ref); gh_bind_i64(st, 6, a->at);
    gh_bind_text(st, 7, a->detail_json ? a->detail_json : "{}"); gh_bind_i64(st, 8, gh_now());
    STEP_DONE(db, st, err, "activity insert");
    return GH_OK;
}

typedef struct { void (*fn)(const gh_activity *, void *); void *arg; } activity_cb;
static void activity_visit(gh_stmt *st, void *arg)
{
    activity_cb *cb = arg;
    gh_activity a = {0};
    CP(a.id, 0); CP(a.org_id, 1); CP(a.user_id, 2); CP(a.type, 3); CP(a.ref, 4);
    a.at = gh_col_i64(st, 5);
    a.seq = gh_col_i64(st, 6);
    a.detail_json = gh_col_text(st, 7);
    cb->fn(&a, cb->arg);
}

gh_status gh_store_activity_list(gh_db *db, const char *org_id, const gh_activity_filter *f,
                                 void (*fn)(const gh_activity *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT id, org_id, user_id, type, ref, at, seq, detail FROM activity"
                 " WHERE org_id = ?1 AND user_id = ?2 AND (?3 IS NULL OR type = ?3) AND at >= ?4 AND at < ?5"
                 " AND (?7 = 0 OR at < ?6 OR (at = ?6 AND seq < ?7))"
                 " ORDER BY at DESC, seq DESC LIMIT ?8", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, f->user_id);
    gh_bind_text(st, 3, f->type);
    gh_bind_i64(st, 4, f->from);
    gh_bind_i64(st, 5, f->to);
    gh_bind_i64(st, 6, f->before_at);
    gh_bind_i64(st, 7, f->before_seq);
    gh_bind_i64(st, 8, f->limit);
    activity_cb cb = {fn, arg};
    return gh_sql_each_row(db, st, activity_visit, &cb, err, "activity list");
}

typedef struct { void (*fn)(int64_t, const char *, int64_t, void *); void *arg; } count_cb;
static void count_visit(gh_stmt *st, void *arg)
{
    count_cb *cb = arg;
    cb->fn(gh_col_i64(st, 0), gh_col_text(st, 1), gh_col_i64(st, 2), cb->arg);
}

gh_status gh_store_activity_day_counts(gh_db *db, const char *org_id, const gh_activity_filter *f,
                                       void (*fn)(int64_t day, const char *type, int64_t n, void *), void *arg,
                                       gh_err *err)
{
    /* at >= 0 always (unix seconds), so integer division is the UTC day. */
    PREP(db, st, "SELECT at / 86400 AS day, type, count(*) FROM activity"
                 " WHERE org_id = ?1 AND user_id = ?2 AND (?3 IS NULL OR type = ?3) AND at >= ?4 AND at < ?5"
                 " GROUP BY at / 86400, type ORDER BY day, type", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, f->user_id);
    gh_bind_text(st, 3, f->type);
    gh_bind_i64(st, 4, f->from);
    gh_bind_i64(st, 5, f->to);
    count_cb cb = {fn, arg};
    return gh_sql_each_row(db, st, count_visit, &cb, err, "activity counts");
}
