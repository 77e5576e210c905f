/* SQLite implementation of store/shopfloor.h. */
/* Over 600 lines: the SQL of the shop-floor tables (kiosk devices, tasks,
 * screens, check-ins, activity), one short function per query; a split
 * per table family is next. */
#include "store/shopfloor.h"
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

static void bind_time(sqlite3_stmt *st, int i, int64_t t)
{
    if (t) gh_bind_i64(st, i, t);
    else sqlite3_bind_null(st, i);
}

/* Steps a row-producing statement, calling row(st, arg) per row. */
static gh_status each_row(gh_db *db, sqlite3_stmt *st, void (*row)(sqlite3_stmt *, void *), void *arg,
                          gh_err *err, const char *what)
{
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) row(st, arg);
    sqlite3_reset(st);
    return s == SQLITE_DONE ? GH_OK : gh_db_fail(db, err, what);
}

/* ---- kiosk devices ------------------------------------------------------------------- */
#define DEVICE_COLS "id, org_id, name, token_hash, created_by, created_at, last_used_at"

static void device_row(sqlite3_stmt *st, gh_kiosk_device *d)
{
    memset(d, 0, sizeof *d);
    CP(d->id, 0); CP(d->org_id, 1); CP(d->name, 2); CP(d->token_hash, 3); CP(d->created_by, 4);
    d->created_at = sqlite3_column_int64(st, 5);
    d->last_used_at = sqlite3_column_int64(st, 6);
}

gh_status gh_store_device_insert(gh_db *db, const gh_kiosk_device *d, gh_err *err)
{
    PREP(db, st, "INSERT INTO kiosk_devices (" DEVICE_COLS ") VALUES (?1,?2,?3,?4,?5,?6,NULL)", err);
    gh_bind_text(st, 1, d->id); gh_bind_text(st, 2, d->org_id); gh_bind_text(st, 3, d->name);
    gh_bind_text(st, 4, d->token_hash); gh_bind_text(st, 5, gh_sql_null_if_empty(d->created_by)); gh_bind_i64(st, 6, d->created_at);
    STEP_DONE(db, st, err, "device insert");
    return GH_OK;
}

gh_status gh_store_device_get_by_hash(gh_db *db, const char *org_id, const char *token_hash,
                                      gh_kiosk_device *d, gh_err *err)
{
    PREP(db, st, "SELECT " DEVICE_COLS " FROM kiosk_devices WHERE org_id = ?1 AND token_hash = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, token_hash);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) device_row(st, d);
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return GH_OK;
    if (s == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "device_not_found", "no such kiosk device");
    return gh_db_fail(db, err, "device get");
}

gh_status gh_store_device_touch(gh_db *db, const char *id, int64_t at, gh_err *err)
{
    PREP(db, st, "UPDATE kiosk_devices SET last_used_at = ?2 WHERE id = ?1", err);
    gh_bind_text(st, 1, id);
    gh_bind_i64(st, 2, at);
    STEP_DONE(db, st, err, "device touch");
    return GH_OK;
}

gh_status gh_store_device_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM kiosk_devices WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "device delete");
    if (sqlite3_changes(gh_db_raw(db)) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "device_not_found", "no such kiosk device");
    return GH_OK;
}

typedef struct { void (*fn)(const gh_kiosk_device *, void *); void *arg; } device_cb;
static void device_visit(sqlite3_stmt *st, void *arg)
{
    device_cb *cb = arg;
    gh_kiosk_device d;
    device_row(st, &d);
    cb->fn(&d, cb->arg);
}

gh_status gh_store_device_list(gh_db *db, const char *org_id, void (*fn)(const gh_kiosk_device *, void *),
                               void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " DEVICE_COLS " FROM kiosk_devices WHERE org_id = ?1 ORDER BY created_at, id", err);
    gh_bind_text(st, 1, org_id);
    device_cb cb = {fn, arg};
    return each_row(db, st, device_visit, &cb, err, "device list");
}

/* ---- kiosk sessions -------------------------------------------------------------------- */
gh_status gh_store_session_set_device(gh_db *db, const char *session_id, const char *device_id, gh_err *err)
{
    PREP(db, st, "UPDATE sessions SET device_id = ?2 WHERE id = ?1", err);
    gh_bind_text(st, 1, session_id);
    gh_bind_text(st, 2, gh_sql_null_if_empty(device_id));
    STEP_DONE(db, st, err, "session device");
    return GH_OK;
}

gh_status gh_store_session_delete_kiosk(gh_db *db, const char *org_id, const char *user_id,
                                        const char *device_id, const char *keep_id, int64_t *deleted,
                                        gh_err *err)
{
    if (!gh_sql_null_if_empty(user_id) && !gh_sql_null_if_empty(device_id)) return gh_fail(err, GH_E_INTERNAL, "internal", "internal error");
    PREP(db, st, "DELETE FROM sessions WHERE org_id = ?1 AND kind = 'kiosk'"
                 " AND (?2 IS NULL OR user_id = ?2) AND (?3 IS NULL OR device_id = ?3)"
                 " AND (?4 IS NULL OR id <> ?4)", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, gh_sql_null_if_empty(user_id));
    gh_bind_text(st, 3, gh_sql_null_if_empty(device_id));
    gh_bind_text(st, 4, gh_sql_null_if_empty(keep_id));
    STEP_DONE(db, st, err, "kiosk session delete");
    if (deleted) *deleted = sqlite3_changes(gh_db_raw(db));
    return GH_OK;
}

/* ---- tasks ------------------------------------------------------------------------------- */
#define TASK_COLS "t.id, t.org_id, t.ref, t.title, t.order_ref, t.status, t.created_by, t.completed_by," \
    " t.due_at, t.created_at, t.completed_at"
#define TASK_NCOLS 11

static void task_row(sqlite3_stmt *st, gh_task *t)
{
    memset(t, 0, sizeof *t);
    CP(t->id, 0); CP(t->org_id, 1); CP(t->ref, 2); CP(t->title, 3); CP(t->order_ref, 4); CP(t->status, 5);
    CP(t->created_by, 6); CP(t->completed_by, 7);
    t->due_at = sqlite3_column_int64(st, 8);
    t->created_at = sqlite3_column_int64(st, 9);
    t->completed_at = sqlite3_column_int64(st, 10);
}

gh_status gh_store_task_insert(gh_db *db, const gh_task *t, gh_err *err)
{
    PREP(db, st, "INSERT INTO tasks (id, org_id, ref, title, order_ref, status, created_by, completed_by,"
                 " due_at, created_at, completed_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)", err);
    gh_bind_text(st, 1, t->id); gh_bind_text(st, 2, t->org_id); gh_bind_text(st, 3, t->ref);
    gh_bind_text(st, 4, t->title); gh_bind_text(st, 5, gh_sql_null_if_empty(t->order_ref));
    gh_bind_text(st, 6, t->status[0] ? t->status : "open"); gh_bind_text(st, 7, gh_sql_null_if_empty(t->created_by));
    gh_bind_text(st, 8, gh_sql_null_if_empty(t->completed_by)); bind_time(st, 9, t->due_at); gh_bind_i64(st, 10, t->created_at);
    bind_time(st, 11, t->completed_at);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    if (s == SQLITE_CONSTRAINT_UNIQUE)
        return gh_fail_field(err, GH_E_CONFLICT, "task_ref_taken", "ref", "the organization already has a task with this ref");
    if (s != SQLITE_DONE) return gh_db_fail(db, err, "task insert");
    return GH_OK;
}

gh_status gh_store_task_get(gh_db *db, const char *org_id, const char *id, gh_task *t, gh_err *err)
{
    PREP(db, st, "SELECT " TASK_COLS " FROM tasks t WHERE t.org_id = ?1 AND t.id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) task_row(st, t);
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return GH_OK;
    if (s == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "task_not_found", "no such task");
    return gh_db_fail(db, err, "task get");
}

gh_status gh_store_task_update(gh_db *db, const gh_task *t, gh_err *err)
{
    PREP(db, st, "UPDATE tasks SET title = ?3, order_ref = ?4, due_at = ?5, status = ?6, completed_at = ?7,"
                 " completed_by = ?8 WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, t->org_id); gh_bind_text(st, 2, t->id); gh_bind_text(st, 3, t->title);
    gh_bind_text(st, 4, gh_sql_null_if_empty(t->order_ref)); bind_time(st, 5, t->due_at); gh_bind_text(st, 6, t->status);
    bind_time(st, 7, t->completed_at); gh_bind_text(st, 8, gh_sql_null_if_empty(t->completed_by));
    STEP_DONE(db, st, err, "task update");
    return GH_OK;
}

gh_status gh_store_task_checkin_count(gh_db *db, const char *org_id, const char *id, int64_t *n, gh_err *err)
{
    PREP(db, st, "SELECT count(*) FROM checkins WHERE org_id = ?1 AND task_id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return s == SQLITE_ROW ? GH_OK : gh_db_fail(db, err, "task check-in count");
}

gh_status gh_store_task_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM tasks WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "task delete");
    if (sqlite3_changes(gh_db_raw(db)) != 1) return gh_fail(err, GH_E_NOT_FOUND, "task_not_found", "no such task");
    return GH_OK;
}

gh_status gh_store_task_complete(gh_db *db, const char *org_id, const char *id, int64_t at, const char *by,
                                 bool *changed, gh_err *err)
{
    PREP(db, st, "UPDATE tasks SET status = 'done', completed_at = ?3, completed_by = ?4"
                 " WHERE org_id = ?1 AND id = ?2 AND status = 'open'", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    gh_bind_i64(st, 3, at);
    gh_bind_text(st, 4, gh_sql_null_if_empty(by));
    STEP_DONE(db, st, err, "task complete");
    *changed = sqlite3_changes(gh_db_raw(db)) == 1;
    return GH_OK;
}

typedef struct { void (*fn)(const gh_task *, void *); void *arg; } task_cb;
static void task_visit(sqlite3_stmt *st, void *arg)
{
    task_cb *cb = arg;
    gh_task t;
    task_row(st, &t);
    cb->fn(&t, cb->arg);
}

gh_status gh_store_task_list(gh_db *db, const char *org_id, const gh_task_filter *f,
                             void (*fn)(const gh_task *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " TASK_COLS " FROM tasks t WHERE t.org_id = ?1"
                 " AND (?2 IS NULL OR t.status = ?2) AND (?3 IS NULL OR t.order_ref = ?3)"
                 " AND (?4 IS NULL OR t.ref > ?4)"
                 " AND (?6 IS NULL OR instr(lower(t.ref), ?6) > 0 OR instr(lower(t.title), ?6) > 0)"
                 " ORDER BY t.ref LIMIT ?5", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, f->status);
    gh_bind_text(st, 3, f->order_ref);
    gh_bind_text(st, 4, f->after_ref);
    gh_bind_i64(st, 5, f->limit);
    gh_bind_text(st, 6, f->q);
    task_cb cb = {fn, arg};
    return each_row(db, st, task_visit, &cb, err, "task list");
}

gh_status gh_store_task_assign(gh_db *db, const char *task_id, const char *user_id, bool add, int64_t at,
                               bool *changed, gh_err *err)
{
    sqlite3_stmt *st = add ? gh_db_stmt(db, "INSERT INTO task_assignees (task_id, user_id, created_at)"
                                            " VALUES (?1, ?2, ?3) ON CONFLICT (task_id, user_id) DO NOTHING")
                           : gh_db_stmt(db, "DELETE FROM task_assignees WHERE task_id = ?1 AND user_id = ?2");
    if (!st) return gh_db_fail(db, err, "prepare");
    gh_bind_text(st, 1, task_id);
    gh_bind_text(st, 2, user_id);
    if (add) gh_bind_i64(st, 3, at);
    STEP_DONE(db, st, err, "task assign");
    *changed = sqlite3_changes(gh_db_raw(db)) == 1;
    return GH_OK;
}

typedef struct { void (*fn)(const char *, const char *, void *); void *arg; } pair_cb;
static void pair_visit(sqlite3_stmt *st, void *arg)
{
    pair_cb *cb = arg;
    cb->fn(gh_col_text(st, 0), gh_col_text(st, 1), cb->arg);
}

gh_status gh_store_task_assignees(gh_db *db, const char *org_id, const char *task_id,
                                  void (*fn)(const char *, const char *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT u.id, u.name FROM task_assignees a JOIN users u ON u.id = a.user_id"
                 " WHERE u.org_id = ?1 AND a.task_id = ?2 ORDER BY u.name COLLATE gh_name, u.id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, task_id);
    pair_cb cb = {fn, arg};
    return each_row(db, st, pair_visit, &cb, err, "task assignees");
}

gh_status gh_store_task_visibility(gh_db *db, const char *org_id, const char *task_id, const char *user_id,
                                   bool *assigned, bool *on_screen, gh_err *err)
{
    PREP(db, st, "SELECT"
                 " EXISTS (SELECT 1 FROM task_assignees a JOIN tasks t ON t.id = a.task_id"
                 "         WHERE t.org_id = ?1 AND a.task_id = ?2 AND a.user_id = ?3)"
                 " OR EXISTS (SELECT 1 FROM tasks t JOIN order_assignees o"
                 "            ON o.org_id = t.org_id AND o.order_ref = t.order_ref"
                 "            WHERE t.org_id = ?1 AND t.id = ?2 AND o.user_id = ?3),"
                 " EXISTS (SELECT 1 FROM screen_tasks st JOIN screen_members m ON m.screen_id = st.screen_id"
                 "         JOIN screens s ON s.id = st.screen_id"
                 "         WHERE s.org_id = ?1 AND st.task_id = ?2 AND m.user_id = ?3)", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, task_id);
    gh_bind_text(st, 3, user_id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        *assigned = sqlite3_column_int64(st, 0) != 0;
        *on_screen = sqlite3_column_int64(st, 1) != 0;
    }
    sqlite3_reset(st);
    return s == SQLITE_ROW ? GH_OK : gh_db_fail(db, err, "task visibility");
}

gh_status gh_store_order_assign(gh_db *db, const char *org_id, const char *order_ref, const char *user_id, bool add,
                                int64_t at, bool *changed, gh_err *err)
{
    sqlite3_stmt *st = add ? gh_db_stmt(db, "INSERT INTO order_assignees (org_id, order_ref, user_id, created_at)"
                                            " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
                           : gh_db_stmt(db, "DELETE FROM order_assignees"
                                            " WHERE org_id = ?1 AND order_ref = ?2 AND user_id = ?3");
    if (!st) return gh_db_fail(db, err, "prepare");
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, order_ref);
    gh_bind_text(st, 3, user_id);
    if (add) gh_bind_i64(st, 4, at);
    STEP_DONE(db, st, err, "order assign");
    *changed = sqlite3_changes(gh_db_raw(db)) == 1;
    return GH_OK;
}

gh_status gh_store_order_assignees(gh_db *db, const char *org_id, const char *order_ref,
                                   void (*fn)(const char *, const char *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT u.id, u.name FROM order_assignees o JOIN users u ON u.id = o.user_id"
                 " WHERE o.org_id = ?1 AND u.org_id = ?1 AND o.order_ref = ?2 ORDER BY u.name COLLATE gh_name, u.id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, order_ref);
    pair_cb cb = {fn, arg};
    return each_row(db, st, pair_visit, &cb, err, "order assignees");
}

typedef struct { void (*fn)(const gh_agenda_row *, void *); void *arg; gh_agenda_row row; } agenda_cb;
static void agenda_visit(sqlite3_stmt *st, void *arg)
{
    agenda_cb *cb = arg;
    task_row(st, &cb->row.task);
    cb->row.via = (gh_agenda_via)sqlite3_column_int64(st, TASK_NCOLS);
    gh_strlcpy(cb->row.screen_id, gh_col_text(st, TASK_NCOLS + 1), sizeof cb->row.screen_id);
    gh_strlcpy(cb->row.screen_name, gh_col_text(st, TASK_NCOLS + 2), sizeof cb->row.screen_name);
    cb->fn(&cb->row, cb->arg);
}

gh_status gh_store_agenda(gh_db *db, const char *org_id, const char *user_id, bool open_only, int max_rows,
                          void (*fn)(const gh_agenda_row *, void *), void *arg, gh_err *err)
{
    /* due_at NULL sorts last; ref is unique per org, so rows of one task are
     * adjacent (order row, then assigned row, then screens). */
    PREP(db, st, "SELECT * FROM ("
                 " SELECT " TASK_COLS ", 1 AS assigned, NULL AS screen_id, NULL AS screen_name"
                 "  FROM task_assignees a JOIN tasks t ON t.id = a.task_id"
                 "  WHERE t.org_id = ?1 AND a.user_id = ?2 AND (?3 = 0 OR t.status = 'open')"
                 " UNION ALL"
                 " SELECT " TASK_COLS ", 2, NULL, NULL"
                 "  FROM order_assignees o JOIN tasks t ON t.org_id = o.org_id AND t.order_ref = o.order_ref"
                 "  WHERE o.org_id = ?1 AND o.user_id = ?2 AND (?3 = 0 OR t.status = 'open')"
                 " UNION ALL"
                 " SELECT " TASK_COLS ", 0, s.id, s.name"
                 "  FROM screen_members m JOIN screens s ON s.id = m.screen_id"
                 "  JOIN screen_tasks st ON st.screen_id = s.id JOIN tasks t ON t.id = st.task_id"
                 "  WHERE s.org_id = ?1 AND t.org_id = ?1 AND m.user_id = ?2 AND (?3 = 0 OR t.status = 'open')"
                 ") x ORDER BY (due_at IS NULL), due_at, ref, assigned DESC, screen_name, screen_id LIMIT ?4", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_i64(st, 3, open_only);
    gh_bind_i64(st, 4, max_rows);
    agenda_cb *cb = calloc(1, sizeof *cb);
    if (!cb) { sqlite3_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    cb->fn = fn;
    cb->arg = arg;
    gh_status rc = each_row(db, st, agenda_visit, cb, err, "agenda");
    free(cb);
    return rc;
}

/* ---- screens ------------------------------------------------------------------------------------ */
static void screen_row(sqlite3_stmt *st, gh_screen *s)
{
    memset(s, 0, sizeof *s);
    CP(s->id, 0); CP(s->org_id, 1); CP(s->name, 2);
    s->created_at = sqlite3_column_int64(st, 3);
}

gh_status gh_store_screen_insert(gh_db *db, const gh_screen *s, gh_err *err)
{
    PREP(db, st, "INSERT INTO screens (id, org_id, name, created_at) VALUES (?1, ?2, ?3, ?4)", err);
    gh_bind_text(st, 1, s->id); gh_bind_text(st, 2, s->org_id); gh_bind_text(st, 3, s->name);
    gh_bind_i64(st, 4, s->created_at);
    STEP_DONE(db, st, err, "screen insert");
    return GH_OK;
}

gh_status gh_store_screen_get(gh_db *db, const char *org_id, const char *id, gh_screen *s, gh_err *err)
{
    PREP(db, st, "SELECT id, org_id, name, created_at FROM screens WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) screen_row(st, s);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return GH_OK;
    if (rc == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "screen_not_found", "no such agenda screen");
    return gh_db_fail(db, err, "screen get");
}

gh_status gh_store_screen_rename(gh_db *db, const char *org_id, const char *id, const char *name, gh_err *err)
{
    PREP(db, st, "UPDATE screens SET name = ?3 WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    gh_bind_text(st, 3, name);
    STEP_DONE(db, st, err, "screen rename");
    return GH_OK;
}

gh_status gh_store_screen_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM screens WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "screen delete");
    if (sqlite3_changes(gh_db_raw(db)) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "screen_not_found", "no such agenda screen");
    return GH_OK;
}

typedef struct { void (*fn)(const gh_screen *, void *); void *arg; } screen_cb;
static void screen_visit(sqlite3_stmt *st, void *arg)
{
    screen_cb *cb = arg;
    gh_screen s;
    screen_row(st, &s);
    cb->fn(&s, cb->arg);
}

gh_status gh_store_screen_list(gh_db *db, const char *org_id, void (*fn)(const gh_screen *, void *), void *arg,
                               gh_err *err)
{
    PREP(db, st, "SELECT id, org_id, name, created_at FROM screens WHERE org_id = ?1 ORDER BY name COLLATE gh_name, id", err);
    gh_bind_text(st, 1, org_id);
    screen_cb cb = {fn, arg};
    return each_row(db, st, screen_visit, &cb, err, "screen list");
}

gh_status gh_store_screen_link(gh_db *db, gh_screen_link_kind kind, const char *screen_id, const char *other_id,
                               bool add, bool *changed, gh_err *err)
{
    sqlite3_stmt *st;
    if (kind == GH_SCREEN_TASKS)
        st = add ? gh_db_stmt(db, "INSERT INTO screen_tasks (screen_id, task_id) VALUES (?1, ?2)"
                                  " ON CONFLICT (screen_id, task_id) DO NOTHING")
                 : gh_db_stmt(db, "DELETE FROM screen_tasks WHERE screen_id = ?1 AND task_id = ?2");
    else
        st = add ? gh_db_stmt(db, "INSERT INTO screen_members (screen_id, user_id) VALUES (?1, ?2)"
                                  " ON CONFLICT (screen_id, user_id) DO NOTHING")
                 : gh_db_stmt(db, "DELETE FROM screen_members WHERE screen_id = ?1 AND user_id = ?2");
    if (!st) return gh_db_fail(db, err, "prepare");
    gh_bind_text(st, 1, screen_id);
    gh_bind_text(st, 2, other_id);
    STEP_DONE(db, st, err, "screen link");
    *changed = sqlite3_changes(gh_db_raw(db)) == 1;
    return GH_OK;
}

gh_status gh_store_screen_links(gh_db *db, gh_screen_link_kind kind, const char *screen_id,
                                void (*fn)(const char *, const char *, void *), void *arg, gh_err *err)
{
    sqlite3_stmt *st = kind == GH_SCREEN_TASKS
        ? gh_db_stmt(db, "SELECT t.id, t.ref FROM screen_tasks l JOIN tasks t ON t.id = l.task_id"
                         " WHERE l.screen_id = ?1 ORDER BY t.ref")
        : gh_db_stmt(db, "SELECT u.id, u.name FROM screen_members l JOIN users u ON u.id = l.user_id"
                         " WHERE l.screen_id = ?1 ORDER BY u.name COLLATE gh_name, u.id");
    if (!st) return gh_db_fail(db, err, "prepare");
    gh_bind_text(st, 1, screen_id);
    pair_cb cb = {fn, arg};
    return each_row(db, st, pair_visit, &cb, err, "screen links");
}

/* ---- check-ins ------------------------------------------------------------------------------------- */
#define CHECKIN_COLS "c.id, c.org_id, c.user_id, c.task_id, c.status, c.note, c.created_by, c.ended_by," \
    " c.started_at, c.ended_at, c.single_task, t.ref, t.title"

static void checkin_row(sqlite3_stmt *st, gh_checkin *c)
{
    memset(c, 0, sizeof *c);
    CP(c->id, 0); CP(c->org_id, 1); CP(c->user_id, 2); CP(c->task_id, 3); CP(c->status, 4); CP(c->note, 5);
    CP(c->created_by, 6); CP(c->ended_by, 7);
    c->started_at = sqlite3_column_int64(st, 8);
    c->ended_at = sqlite3_column_int64(st, 9);
    c->single = sqlite3_column_int64(st, 10) != 0;
    CP(c->task_ref, 11); CP(c->task_title, 12);
}

gh_status gh_store_checkin_insert(gh_db *db, const gh_checkin *c, gh_err *err)
{
    PREP(db, st, "INSERT INTO checkins (id, org_id, user_id, task_id, status, note, created_by, started_at, single_task)"
                 " VALUES (?1, ?2, ?3, ?4, 'open', NULL, ?5, ?6, ?7)", err);
    gh_bind_text(st, 1, c->id); gh_bind_text(st, 2, c->org_id); gh_bind_text(st, 3, c->user_id);
    gh_bind_text(st, 4, c->task_id); gh_bind_text(st, 5, gh_sql_null_if_empty(c->created_by)); gh_bind_i64(st, 6, c->started_at);
    gh_bind_i64(st, 7, c->single);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    if (s == SQLITE_CONSTRAINT_UNIQUE) {
        if (strstr(sqlite3_errmsg(gh_db_raw(db)), "task_id"))
            return gh_fail_field(err, GH_E_CONFLICT, "already_checked_in", "task_id",
                                 "the worker is already checked in to this task");
        return gh_fail(err, GH_E_CONFLICT, "checkin_limit", "the worker is checked in to another task");
    }
    if (s != SQLITE_DONE) return gh_db_fail(db, err, "checkin insert");
    return GH_OK;
}

gh_status gh_store_checkin_get(gh_db *db, const char *org_id, const char *id, gh_checkin *c, gh_err *err)
{
    PREP(db, st, "SELECT " CHECKIN_COLS " FROM checkins c JOIN tasks t ON t.id = c.task_id"
                 " WHERE c.org_id = ?1 AND c.id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) checkin_row(st, c);
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return GH_OK;
    if (s == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "checkin_not_found", "no such check-in");
    return gh_db_fail(db, err, "checkin get");
}

gh_status gh_store_checkin_close(gh_db *db, const gh_checkin *c, gh_err *err)
{
    PREP(db, st, "UPDATE checkins SET status = ?3, note = ?4, ended_at = ?5, ended_by = ?6"
                 " WHERE org_id = ?1 AND id = ?2 AND ended_at IS NULL", err);
    gh_bind_text(st, 1, c->org_id); gh_bind_text(st, 2, c->id); gh_bind_text(st, 3, c->status);
    gh_bind_text(st, 4, gh_sql_null_if_empty(c->note)); gh_bind_i64(st, 5, c->ended_at); gh_bind_text(st, 6, gh_sql_null_if_empty(c->ended_by));
    STEP_DONE(db, st, err, "checkin close");
    if (sqlite3_changes(gh_db_raw(db)) != 1)
        return gh_fail(err, GH_E_CONFLICT, "checkin_closed", "this check-in is already closed");
    return GH_OK;
}

typedef struct { void (*fn)(const gh_checkin *, void *); void *arg; gh_checkin c; } checkin_cb;
static void checkin_visit(sqlite3_stmt *st, void *arg)
{
    checkin_cb *cb = arg;
    checkin_row(st, &cb->c);
    cb->fn(&cb->c, cb->arg);
}

static gh_status checkin_rows(gh_db *db, sqlite3_stmt *st, void (*fn)(const gh_checkin *, void *), void *arg,
                              gh_err *err, const char *what)
{
    checkin_cb *cb = calloc(1, sizeof *cb);
    if (!cb) { sqlite3_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    cb->fn = fn;
    cb->arg = arg;
    gh_status rc = each_row(db, st, checkin_visit, cb, err, what);
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
static void activity_visit(sqlite3_stmt *st, void *arg)
{
    activity_cb *cb = arg;
    gh_activity a = {0};
    CP(a.id, 0); CP(a.org_id, 1); CP(a.user_id, 2); CP(a.type, 3); CP(a.ref, 4);
    a.at = sqlite3_column_int64(st, 5);
    a.seq = sqlite3_column_int64(st, 6);
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
    return each_row(db, st, activity_visit, &cb, err, "activity list");
}

typedef struct { void (*fn)(int64_t, const char *, int64_t, void *); void *arg; } count_cb;
static void count_visit(sqlite3_stmt *st, void *arg)
{
    count_cb *cb = arg;
    cb->fn(sqlite3_column_int64(st, 0), gh_col_text(st, 1), sqlite3_column_int64(st, 2), cb->arg);
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
    return each_row(db, st, count_visit, &cb, err, "activity counts");
}
