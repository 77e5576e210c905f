/* The store SQL (through store/stmt.h) of store/shopfloor.h: check-ins (time records). */
#include "store/shopfloor.h"
#include "store/stmt.h"

#include <stdlib.h>
#include <string.h>

/* ---- check-ins ------------------------------------------------------------------------------------- */
#define CHECKIN_COLS "c.id, c.org_id, c.user_id, c.task_id, c.status, c.note, c.created_by, c.ended_by," \
    " c.started_at, c.ended_at, c.single_task, t.ref, t.title"

static void checkin_row(gh_stmt *st, gh_checkin *c)
{
    memset(c, 0, sizeof *c);
    CP(c->id, 0); CP(c->org_id, 1); CP(c->user_id, 2); CP(c->task_id, 3); CP(c->status, 4); CP(c->note, 5);
    CP(c->created_by, 6); CP(c->ended_by, 7);
    c->started_at = gh_col_i64(st, 8);
    c->ended_at = gh_col_i64(st, 9);
    c->single = gh_col_i64(st, 10) != 0;
    CP(c->task_ref, 11); CP(c->task_title, 12);
}

gh_status gh_store_checkin_insert(gh_db *db, const gh_checkin *c, gh_err *err)
{
    PREP(db, st, "INSERT INTO checkins (id, org_id, user_id, task_id, status, note, created_by, started_at, single_task)"
                 " VALUES (?1, ?2, ?3, ?4, 'open', NULL, ?5, ?6, ?7)", err);
    gh_bind_text(st, 1, c->id); gh_bind_text(st, 2, c->org_id); gh_bind_text(st, 3, c->user_id);
    gh_bind_text(st, 4, c->task_id); gh_bind_text(st, 5, gh_sql_null_if_empty(c->created_by)); gh_bind_i64(st, 6, c->started_at);
    gh_bind_i64(st, 7, c->single);
    int s = gh_step(st);
    gh_reset(st);
    if (s == GH_UNIQUE) {
        if (gh_db_conflict_names(db, "task_id"))
            return gh_fail_field(err, GH_E_CONFLICT, "already_checked_in", "task_id",
                                 "the worker is already checked in to this task");
        return gh_fail(err, GH_E_CONFLICT, "checkin_limit", "the worker is checked in to another task");
    }
    if (s != GH_DONE) return gh_db_fail(db, err, "checkin insert");
    return GH_OK;
}

gh_status gh_store_checkin_get(gh_db *db, const char *org_id, const char *id, gh_checkin *c, gh_err *err)
{
    PREP(db, st, "SELECT " CHECKIN_COLS " FROM checkins c JOIN tasks t ON t.id = c.task_id"
                 " WHERE c.org_id = ?1 AND c.id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = gh_step(st);
    if (s == GH_ROW) checkin_row(st, c);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "checkin_not_found", "no such check-in");
    return gh_db_fail(db, err, "checkin get");
}

gh_status gh_store_checkin_close(gh_db *db, const gh_checkin *c, gh_err *err)
{
    PREP(db, st, "UPDATE checkins SET status = ?3, note = ?4, ended_at = ?5, ended_by = ?6"
                 " WHERE org_id = ?1 AND id = ?2 AND ended_at IS NULL", err);
    gh_bind_text(st, 1, c->org_id); gh_bind_text(st, 2, c->id); gh_bind_text(st, 3, c->status);
    gh_bind_text(st, 4, gh_sql_null_if_empty(c->note)); gh_bind_i64(st, 5, c->ended_at); gh_bind_text(st, 6, gh_sql_null_if_empty(c->ended_by));
    STEP_DONE(db, st, err, "checkin close");
    if (gh_db_changes(db) != 1)
        return gh_fail(err, GH_E_CONFLICT, "checkin_closed", "this check-in is already closed");
    return GH_OK;
}

typedef struct { void (*fn)(const gh_checkin *, void *); void *arg; gh_checkin c; } checkin_cb;
static void checkin_visit(gh_stmt *st, void *arg)
{
    checkin_cb *cb = arg;
    checkin_row(st, &cb->c);
    cb->fn(&cb->c, cb->arg);
}

static gh_status checkin_rows(gh_db *db, gh_stmt *st, void (*fn)(const gh_checkin *, void *), void *arg,
                              gh_err *err, const char *what)
{
    checkin_cb *cb = calloc(1, sizeof *cb);
    if (!cb) { gh_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    cb->fn = fn;
    cb->arg = arg;
    gh_status rc = gh_sql_each_row(db, st, checkin_visit, cb, err, what);
    free(cb);
    return rc;
}

gh_status gh_store_checkin_list(gh_db *db, const char *org_id, const gh_checkin_filter *f,
                                void (*fn)(const gh_checkin *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " CHECKIN_COLS " FROM checkins c JOIN tasks t ON t.id = c.task_id"
                 " WHERE c.org_id = ?1 AND c.user_id = ?2 AND (?3 = 0 OR c.ended_at IS NULL)"
                 " AND (?4 = 0 OR c.started_at < ?4 OR (c.started_at = ?4 AND c.id < ?5))"
                 " ORDER BY c.started_at DESC, c.id DESC LIMIT ?6", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, f->user_id);
    gh_bind_i64(st, 3, f->open_only);
    gh_bind_i64(st, 4, f->before_started);
    gh_bind_text(st, 5, f->before_id ? f->before_id : "");
    gh_bind_i64(st, 6, f->limit);
    return checkin_rows(db, st, fn, arg, err, "checkin list");
}

gh_status gh_store_checkin_closed_between(gh_db *db, const char *org_id, const char *user_id, int64_t from,
                                          int64_t to, void (*fn)(const gh_checkin *, void *), void *arg,
                                          gh_err *err)
{
    PREP(db, st, "SELECT " CHECKIN_COLS " FROM checkins c JOIN tasks t ON t.id = c.task_id"
                 " WHERE c.org_id = ?1 AND c.user_id = ?2 AND c.ended_at IS NOT NULL"
                 " AND c.started_at < ?4 AND c.ended_at > ?3 ORDER BY c.started_at, c.id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_i64(st, 3, from);
    gh_bind_i64(st, 4, to);
    return checkin_rows(db, st, fn, arg, err, "checkin range");
}
