/* The store SQL (through store/stmt.h) of store/shopfloor.h: agenda screens. */
#include "store/shopfloor.h"
#include "store/stmt.h"

#include <stdlib.h>
#include <string.h>

/* ---- screens ------------------------------------------------------------------------------------ */
static void screen_row(gh_stmt *st, gh_screen *s)
{
    memset(s, 0, sizeof *s);
    CP(s->id, 0); CP(s->org_id, 1); CP(s->name, 2);
    s->created_at = gh_col_i64(st, 3);
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
    int rc = gh_step(st);
    if (rc == GH_ROW) screen_row(st, s);
    gh_reset(st);
    if (rc == GH_ROW) return GH_OK;
    if (rc == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "screen_not_found", "no such agenda screen");
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
    if (gh_db_changes(db) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "screen_not_found", "no such agenda screen");
    return GH_OK;
}

typedef struct { void (*fn)(const gh_screen *, void *); void *arg; } screen_cb;
static void screen_visit(gh_stmt *st, void *arg)
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
    return gh_sql_each_row(db, st, screen_visit, &cb, err, "screen list");
}

gh_status gh_store_screen_link(gh_db *db, gh_screen_link_kind kind, const char *screen_id, const char *other_id,
                               bool add, bool *changed, gh_err *err)
{
    gh_stmt *st;
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
    *changed = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_screen_links(gh_db *db, gh_screen_link_kind kind, const char *screen_id,
                                void (*fn)(const char *, const char *, void *), void *arg, gh_err *err)
{
    gh_stmt *st = kind == GH_SCREEN_TASKS
        ? gh_db_stmt(db, "SELECT t.id, t.ref FROM screen_tasks l JOIN tasks t ON t.id = l.task_id"
                         " WHERE l.screen_id = ?1 ORDER BY t.ref")
        : gh_db_stmt(db, "SELECT u.id, u.name FROM screen_members l JOIN users u ON u.id = l.user_id"
                         " WHERE l.screen_id = ?1 ORDER BY u.name COLLATE gh_name, u.id");
    if (!st) return gh_db_fail(db, err, "prepare");
    gh_bind_text(st, 1, screen_id);
    gh_sql_pair_cb cb = {fn, arg};
    return gh_sql_each_row(db, st, gh_sql_pair_visit, &cb, err, "screen links");
}
