/* The store SQL (through store/stmt.h) of store/shopfloor.h: tasks, their assignees, order assignment and the agenda. */
#include "store/shopfloor.h"
#include "store/stmt.h"

#include <stdlib.h>
#include <string.h>

/* ---- tasks ------------------------------------------------------------------------------- */
#define TASK_COLS "t.id, t.org_id, t.ref, t.title, t.order_ref, t.status, t.created_by, t.completed_by," \
    " t.due_at, t.created_at, t.completed_at"
#define TASK_NCOLS 11

static void task_row(gh_stmt *st, gh_task *t)
{
    memset(t, 0, sizeof *t);
    CP(t->id, 0); CP(t->org_id, 1); CP(t->ref, 2); CP(t->title, 3); CP(t->order_ref, 4); CP(t->status, 5);
    CP(t->created_by, 6); CP(t->completed_by, 7);
    t->due_at = gh_col_i64(st, 8);
    t->created_at = gh_col_i64(st, 9);
    t->completed_at = gh_col_i64(st, 10);
}

gh_status gh_store_task_insert(gh_db *db, const gh_task *t, gh_err *err)
{
    PREP(db, st, "INSERT INTO tasks (id, org_id, ref, title, order_ref, status, created_by, completed_by,"
                 " due_at, created_at, completed_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)", err);
    gh_bind_text(st, 1, t->id); gh_bind_text(st, 2, t->org_id); gh_bind_text(st, 3, t->ref);
    gh_bind_text(st, 4, t->title); gh_bind_text(st, 5, gh_sql_null_if_empty(t->order_ref));
    gh_bind_text(st, 6, t->status[0] ? t->status : "open"); gh_bind_text(st, 7, gh_sql_null_if_empty(t->created_by));
    gh_bind_text(st, 8, gh_sql_null_if_empty(t->completed_by)); gh_sql_bind_time(st, 9, t->due_at); gh_bind_i64(st, 10, t->created_at);
    gh_sql_bind_time(st, 11, t->completed_at);
    int s = gh_step(st);
    gh_reset(st);
    if (s == GH_UNIQUE)
        return gh_fail_field(err, GH_E_CONFLICT, "task_ref_taken", "ref", "the organization already has a task with this ref");
    if (s != GH_DONE) return gh_db_fail(db, err, "task insert");
    return GH_OK;
}

gh_status gh_store_task_get(gh_db *db, const char *org_id, const char *id, gh_task *t, gh_err *err)
{
    PREP(db, st, "SELECT " TASK_COLS " FROM tasks t WHERE t.org_id = ?1 AND t.id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = gh_step(st);
    if (s == GH_ROW) task_row(st, t);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "task_not_found", "no such task");
    return gh_db_fail(db, err, "task get");
}

gh_status gh_store_task_update(gh_db *db, const gh_task *t, gh_err *err)
{
    PREP(db, st, "UPDATE tasks SET title = ?3, order_ref = ?4, due_at = ?5, status = ?6, completed_at = ?7,"
                 " completed_by = ?8 WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, t->org_id); gh_bind_text(st, 2, t->id); gh_bind_text(st, 3, t->title);
    gh_bind_text(st, 4, gh_sql_null_if_empty(t->order_ref)); gh_sql_bind_time(st, 5, t->due_at); gh_bind_text(st, 6, t->status);
    gh_sql_bind_time(st, 7, t->completed_at); gh_bind_text(st, 8, gh_sql_null_if_empty(t->completed_by));
    STEP_DONE(db, st, err, "task update");
    return GH_OK;
}

gh_status gh_store_task_checkin_count(gh_db *db, const char *org_id, const char *id, int64_t *n, gh_err *err)
{
    PREP(db, st, "SELECT count(*) FROM checkins WHERE org_id = ?1 AND task_id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = gh_step(st);
    if (s == GH_ROW) *n = gh_col_i64(st, 0);
    gh_reset(st);
    return s == GH_ROW ? GH_OK : gh_db_fail(db, err, "task check-in count");
}

gh_status gh_store_task_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM tasks WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "task delete");
    if (gh_db_changes(db) != 1) return gh_fail(err, GH_E_NOT_FOUND, "task_not_found", "no such task");
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
    *changed = gh_db_changes(db) == 1;
    return GH_OK;
}

typedef struct { void (*fn)(const gh_task *, void *); void *arg; } task_cb;
static void task_visit(gh_stmt *st, void *arg)
{
    task_cb *cb = arg;
    gh_task t;
    task_row(st, &t);
    cb->fn(&t, cb->arg);
}

/* Task search (issue 17), as users' (store/accounts.c): q folded for case
 * and accents (util.h gh_search_fold) and matched as a substring of the
 * folded ref and title. Three characters or more matching fewer than
 * TASK_SEARCH_BROAD tasks: looked up in the trigram index (tasks_search,
 * kept by triggers, migration 21) and sorted by ref; broader and shorter
 * ones walk the ref index (UNIQUE (org_id, ref)) testing each task's key
 * and stop at a page. Both stay flat in the number of tasks. */
#define TASK_SEARCH_BROAD 2000
#define TASK_FILTERS \
    " AND (?2 IS NULL OR t.status = ?2) AND (?3 IS NULL OR t.order_ref = ?3) AND (?4 IS NULL OR t.ref > ?4)"
#define TASK_KEY "gh_search_key(t.ref, t.title, NULL)"

typedef struct task_query {
    char q[GH_SEARCH_KEY_MAX];
    char phrase[2 * GH_SEARCH_KEY_MAX + 3];
} task_query;

static const char *task_list_sql(gh_db *db, const char *org_id, const gh_task_filter *f, task_query *tq)
{
    size_t qn = f->q && *f->q ? gh_search_fold(f->q, tq->q, sizeof tq->q) : 0;
    tq->phrase[0] = '\0';
    if (qn == 0) {
        tq->q[0] = '\0';
        return "SELECT " TASK_COLS " FROM tasks t WHERE t.org_id = ?1" TASK_FILTERS " ORDER BY t.ref LIMIT ?5";
    }
    if (gh_search_chars(tq->q) >= 3) {
        size_t n = 0;
        tq->phrase[n++] = '"';
        for (size_t i = 0; i < qn && n + 3 < sizeof tq->phrase; i++) {
            if (tq->q[i] == '"') tq->phrase[n++] = '"';
            tq->phrase[n++] = tq->q[i];
        }
        tq->phrase[n++] = '"';
        tq->phrase[n] = '\0';
        gh_stmt *c = gh_db_stmt(db, "SELECT count(*) FROM (SELECT 1 FROM tasks_search"
                                         " WHERE k MATCH ?1 AND oid = ?2 LIMIT ?3)");
        int64_t matches = -1;
        if (c) {
            gh_bind_text(c, 1, tq->phrase);
            gh_bind_text(c, 2, org_id);
            gh_bind_i64(c, 3, TASK_SEARCH_BROAD);
            matches = gh_step(c) == GH_ROW ? gh_col_i64(c, 0) : -1;
            gh_reset(c);
        }
        if (matches >= 0 && matches < TASK_SEARCH_BROAD)
            return "SELECT " TASK_COLS " FROM tasks_search s CROSS JOIN task_search_ids m CROSS JOIN tasks t"
                   " WHERE s.k MATCH ?7 AND s.oid = ?1 AND m.rid = s.rowid AND t.id = m.task_id AND t.org_id = ?1"
                   TASK_FILTERS " AND instr(" TASK_KEY ", ?6) > 0 ORDER BY t.ref LIMIT ?5";
    }
    return "SELECT " TASK_COLS " FROM tasks t WHERE t.org_id = ?1" TASK_FILTERS
           " AND instr(" TASK_KEY ", ?6) > 0 ORDER BY t.ref LIMIT ?5";
}

static void task_list_bind(gh_stmt *st, const char *org_id, const gh_task_filter *f, const task_query *tq)
{
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, f->status);
    gh_bind_text(st, 3, f->order_ref);
    gh_bind_text(st, 4, f->after_ref);
    gh_bind_i64(st, 5, f->limit);
    if (tq->q[0]) gh_bind_text(st, 6, tq->q);
    if (tq->phrase[0]) gh_bind_text(st, 7, tq->phrase);
}

gh_status gh_store_task_list(gh_db *db, const char *org_id, const gh_task_filter *f,
                             void (*fn)(const gh_task *, void *), void *arg, gh_err *err)
{
    task_query *tq = malloc(sizeof *tq);
    if (!tq) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    gh_stmt *st = gh_db_stmt(db, task_list_sql(db, org_id, f, tq));
    if (!st) { free(tq); return gh_db_fail(db, err, "prepare"); }
    task_list_bind(st, org_id, f, tq); /* bound as copies */
    free(tq);
    task_cb cb = {fn, arg};
    return gh_sql_each_row(db, st, task_visit, &cb, err, "task list");
}

typedef struct {
    const char *org_id;
    const gh_task_filter *f;
    task_query *tq;
} task_plan_args;

static void task_plan_bind(gh_stmt *st, void *arg)
{
    task_plan_args *a = arg;
    task_list_bind(st, a->org_id, a->f, a->tq);
}

gh_status gh_store_task_list_plan(gh_db *db, const char *org_id, const gh_task_filter *f, char *out, size_t cap,
                                  gh_err *err)
{
    task_query *tq = malloc(sizeof *tq);
    if (cap) out[0] = '\0';
    if (!tq) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    task_plan_args a = {org_id, f, tq};
    gh_status rc = gh_sql_plan(db, task_list_sql(db, org_id, f, tq), task_plan_bind, &a, out, cap, err);
    free(tq);
    return rc;
}

gh_status gh_store_task_assign(gh_db *db, const char *task_id, const char *user_id, bool add, int64_t at,
                               bool *changed, gh_err *err)
{
    gh_stmt *st = add ? gh_db_stmt(db, "INSERT INTO task_assignees (task_id, user_id, created_at)"
                                            " VALUES (?1, ?2, ?3) ON CONFLICT (task_id, user_id) DO NOTHING")
                           : gh_db_stmt(db, "DELETE FROM task_assignees WHERE task_id = ?1 AND user_id = ?2");
    if (!st) return gh_db_fail(db, err, "prepare");
    gh_bind_text(st, 1, task_id);
    gh_bind_text(st, 2, user_id);
    if (add) gh_bind_i64(st, 3, at);
    STEP_DONE(db, st, err, "task assign");
    *changed = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_task_assignees(gh_db *db, const char *org_id, const char *task_id,
                                  void (*fn)(const char *, const char *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT u.id, u.name FROM task_assignees a JOIN users u ON u.id = a.user_id"
                 " WHERE u.org_id = ?1 AND a.task_id = ?2 ORDER BY u.name COLLATE gh_name, u.id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, task_id);
    gh_sql_pair_cb cb = {fn, arg};
    return gh_sql_each_row(db, st, gh_sql_pair_visit, &cb, err, "task assignees");
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
    int s = gh_step(st);
    if (s == GH_ROW) {
        *assigned = gh_col_i64(st, 0) != 0;
        *on_screen = gh_col_i64(st, 1) != 0;
    }
    gh_reset(st);
    return s == GH_ROW ? GH_OK : gh_db_fail(db, err, "task visibility");
}

gh_status gh_store_order_assign(gh_db *db, const char *org_id, const char *order_ref, const char *user_id, bool add,
                                int64_t at, bool *changed, gh_err *err)
{
    gh_stmt *st = add ? gh_db_stmt(db, "INSERT INTO order_assignees (org_id, order_ref, user_id, created_at)"
                                            " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
                           : gh_db_stmt(db, "DELETE FROM order_assignees"
                                            " WHERE org_id = ?1 AND order_ref = ?2 AND user_id = ?3");
    if (!st) return gh_db_fail(db, err, "prepare");
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, order_ref);
    gh_bind_text(st, 3, user_id);
    if (add) gh_bind_i64(st, 4, at);
    STEP_DONE(db, st, err, "order assign");
    *changed = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_order_assignees(gh_db *db, const char *org_id, const char *order_ref,
                                   void (*fn)(const char *, const char *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT u.id, u.name FROM order_assignees o JOIN users u ON u.id = o.user_id"
                 " WHERE o.org_id = ?1 AND u.org_id = ?1 AND o.order_ref = ?2 ORDER BY u.name COLLATE gh_name, u.id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, order_ref);
    gh_sql_pair_cb cb = {fn, arg};
    return gh_sql_each_row(db, st, gh_sql_pair_visit, &cb, err, "order assignees");
}

typedef struct { void (*fn)(const gh_agenda_row *, void *); void *arg; gh_agenda_row row; } agenda_cb;
static void agenda_visit(gh_stmt *st, void *arg)
{
    agenda_cb *cb = arg;
    task_row(st, &cb->row.task);
    cb->row.via = (gh_agenda_via)gh_col_i64(st, TASK_NCOLS);
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
    if (!cb) { gh_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    cb->fn = fn;
    cb->arg = arg;
    gh_status rc = gh_sql_each_row(db, st, agenda_visit, cb, err, "agenda");
    free(cb);
    return rc;
}
