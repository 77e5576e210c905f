/* The store SQL (through store/stmt.h) of store/groups.h: groups, membership, views and
 * shares. */
#include "store/groups.h"
#include "store/stmt.h"

#include <stdlib.h>
#include <string.h>

/* ---- groups ------------------------------------------------------------------ */
#define GROUP_COLS "g.id, g.org_id, g.name, g.description, g.created_at, g.updated_at," \
    " (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)," \
    " (SELECT count(*) FROM group_members m WHERE m.group_id = g.id AND m.user_id = ?3)"

static void group_row(gh_stmt *st, gh_group *g)
{
    memset(g, 0, sizeof *g);
    CP(g->id, 0); CP(g->org_id, 1); CP(g->name, 2); CP(g->description, 3);
    g->created_at = gh_col_i64(st, 4);
    g->updated_at = gh_col_i64(st, 5);
    g->member_count = gh_col_i64(st, 6);
    g->is_member = gh_col_i64(st, 7) > 0;
}

static gh_status group_write_result(gh_db *db, int s, gh_err *err)
{
    if (s == GH_DONE) return GH_OK;
    if (s == GH_UNIQUE)
        return gh_fail_field(err, GH_E_CONFLICT, "group_name_taken", "name", "another group has this name");
    return gh_db_fail(db, err, "group write");
}

gh_status gh_store_group_insert(gh_db *db, const gh_group *g, gh_err *err)
{
    char norm[GH_NAME_MAX + 1];
    gh_ascii_lower(norm, g->name, sizeof norm);
    PREP(db, st, "INSERT INTO groups (id, org_id, name, name_norm, description, created_at, updated_at)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", err);
    gh_bind_text(st, 1, g->id); gh_bind_text(st, 2, g->org_id); gh_bind_text(st, 3, g->name);
    gh_bind_text(st, 4, norm); gh_bind_text(st, 5, g->description);
    gh_bind_i64(st, 6, g->created_at); gh_bind_i64(st, 7, g->updated_at);
    int s = gh_step(st);
    gh_reset(st);
    return group_write_result(db, s, err);
}

gh_status gh_store_group_update(gh_db *db, const gh_group *g, gh_err *err)
{
    char norm[GH_NAME_MAX + 1];
    gh_ascii_lower(norm, g->name, sizeof norm);
    PREP(db, st, "UPDATE groups SET name = ?3, name_norm = ?4, description = ?5, updated_at = ?6"
                 " WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, g->org_id); gh_bind_text(st, 2, g->id); gh_bind_text(st, 3, g->name);
    gh_bind_text(st, 4, norm); gh_bind_text(st, 5, g->description); gh_bind_i64(st, 6, g->updated_at);
    int s = gh_step(st);
    gh_reset(st);
    return group_write_result(db, s, err);
}

gh_status gh_store_group_get(gh_db *db, const char *org_id, const char *id, const char *viewer_id,
                             gh_group *g, gh_err *err)
{
    PREP(db, st, "SELECT " GROUP_COLS " FROM groups g WHERE g.org_id = ?1 AND g.id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    gh_bind_text(st, 3, viewer_id);
    int s = gh_step(st);
    if (s == GH_ROW) group_row(st, g);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "group_not_found", "no such group");
    return gh_db_fail(db, err, "group get");
}

gh_status gh_store_group_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM groups WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "group delete");
    if (gh_db_changes(db) != 1) return gh_fail(err, GH_E_NOT_FOUND, "group_not_found", "no such group");
    return GH_OK;
}

/* A page of groups (issue 17): without q it walks groups_org_order
 * (org_id, name_sort, id) from the cursor (name_sort is gh_name_key(name),
 * written by triggers); with q (folded like
 * users', a substring of the name) of three characters or more matching
 * fewer than GROUP_SEARCH_BROAD groups, the matches come from the trigram
 * index (groups_search, migration 22) and are sorted; broader and shorter
 * ones walk the order index testing each name. */
#define GROUP_SEARCH_BROAD 2000
#define GROUP_AFTER " AND (?4 IS NULL OR (g.name_sort, g.id) > (gh_name_key(?4), ?5))"
#define GROUP_ORDER " ORDER BY g.name_sort, g.id LIMIT ?6"

typedef struct group_query {
    char q[GH_SEARCH_KEY_MAX];
    char phrase[2 * GH_SEARCH_KEY_MAX + 3];
} group_query;

static const char *group_list_sql(gh_db *db, const char *org_id, const char *q, group_query *gq)
{
    size_t qn = q && *q ? gh_search_fold(q, gq->q, sizeof gq->q) : 0;
    gq->phrase[0] = '\0';
    if (qn == 0) {
        gq->q[0] = '\0';
        return "SELECT " GROUP_COLS " FROM groups g WHERE g.org_id = ?1" GROUP_AFTER GROUP_ORDER;
    }
    if (gh_search_chars(gq->q) >= 3) {
        size_t n = 0;
        gq->phrase[n++] = '"';
        for (size_t i = 0; i < qn && n + 3 < sizeof gq->phrase; i++) {
            if (gq->q[i] == '"') gq->phrase[n++] = '"';
            gq->phrase[n++] = gq->q[i];
        }
        gq->phrase[n++] = '"';
        gq->phrase[n] = '\0';
        gh_stmt *c = gh_db_stmt(db, "SELECT count(*) FROM (SELECT 1 FROM groups_search"
                                         " WHERE k MATCH ?1 AND oid = ?2 LIMIT ?3)");
        int64_t matches = -1;
        if (c) {
            gh_bind_text(c, 1, gq->phrase);
            gh_bind_text(c, 2, org_id);
            gh_bind_i64(c, 3, GROUP_SEARCH_BROAD);
            matches = gh_step(c) == GH_ROW ? gh_col_i64(c, 0) : -1;
            gh_reset(c);
        }
        if (matches >= 0 && matches < GROUP_SEARCH_BROAD)
            return "SELECT " GROUP_COLS " FROM groups_search s CROSS JOIN group_search_ids x CROSS JOIN groups g"
                   " WHERE s.k MATCH ?8 AND s.oid = ?1 AND x.rid = s.rowid AND g.id = x.group_id AND g.org_id = ?1"
                   GROUP_AFTER " AND instr(gh_search_key(g.name, NULL, NULL), ?7) > 0" GROUP_ORDER;
    }
    return "SELECT " GROUP_COLS " FROM groups g WHERE g.org_id = ?1" GROUP_AFTER
           " AND instr(gh_search_key(g.name, NULL, NULL), ?7) > 0" GROUP_ORDER;
}

static void group_list_bind(gh_stmt *st, const char *org_id, const char *viewer_id, const char *after_name,
                            const char *after_id, int limit, const group_query *gq)
{
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 3, viewer_id);
    gh_bind_text(st, 4, after_name);
    gh_bind_text(st, 5, after_id ? after_id : "");
    gh_bind_i64(st, 6, limit);
    if (gq->q[0]) gh_bind_text(st, 7, gq->q);
    if (gq->phrase[0]) gh_bind_text(st, 8, gq->phrase);
}

gh_status gh_store_group_list(gh_db *db, const char *org_id, const char *viewer_id, const char *q,
                              const char *after_name, const char *after_id, int limit,
                              void (*fn)(const gh_group *, void *), void *arg, gh_err *err)
{
    group_query *gq = malloc(sizeof *gq);
    gh_group *g = malloc(sizeof *g);
    if (!gq || !g) {
        free(gq);
        free(g);
        return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    }
    gh_stmt *st = gh_db_stmt(db, group_list_sql(db, org_id, q, gq));
    if (!st) {
        free(gq);
        free(g);
        return gh_db_fail(db, err, "prepare");
    }
    group_list_bind(st, org_id, viewer_id, after_name, after_id, limit, gq); /* bound as copies */
    free(gq);
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        group_row(st, g);
        fn(g, arg);
    }
    gh_reset(st);
    free(g);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "group list");
}

typedef struct {
    const char *org_id, *after_name, *after_id;
    group_query *gq;
} group_plan_args;

static void group_plan_bind(gh_stmt *st, void *arg)
{
    group_plan_args *a = arg;
    group_list_bind(st, a->org_id, NULL, a->after_name, a->after_id, 100, a->gq);
}

gh_status gh_store_group_list_plan(gh_db *db, const char *org_id, const char *q, const char *after_name,
                                   const char *after_id, char *out, size_t cap, gh_err *err)
{
    group_query *gq = malloc(sizeof *gq);
    if (cap) out[0] = '\0';
    if (!gq) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    group_plan_args a = {org_id, after_name, after_id, gq};
    gh_status rc = gh_sql_plan(db, group_list_sql(db, org_id, q, gq), group_plan_bind, &a, out, cap, err);
    free(gq);
    return rc;
}

int64_t gh_store_group_share_count(gh_db *db, const char *org_id, const char *group_id)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM view_shares WHERE org_id = ?1 AND group_id = ?2");
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, group_id);
    int64_t n = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    return n;
}

/* ---- membership -------------------------------------------------------------- */
gh_status gh_store_group_member_add(gh_db *db, const char *org_id, const char *group_id, const char *user_id,
                                    const char *added_by, int64_t at, bool *changed, gh_err *err)
{
    PREP(db, st, "INSERT INTO group_members (org_id, group_id, user_id, added_at, added_by)"
                 " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (group_id, user_id) DO NOTHING", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, group_id); gh_bind_text(st, 3, user_id);
    gh_bind_i64(st, 4, at); gh_bind_text(st, 5, gh_sql_null_if_empty(added_by));
    STEP_DONE(db, st, err, "group member add");
    *changed = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_group_member_remove(gh_db *db, const char *org_id, const char *group_id, const char *user_id,
                                       bool *changed, gh_err *err)
{
    PREP(db, st, "DELETE FROM group_members WHERE org_id = ?1 AND group_id = ?2 AND user_id = ?3", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, group_id); gh_bind_text(st, 3, user_id);
    STEP_DONE(db, st, err, "group member remove");
    *changed = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_group_is_member(gh_db *db, const char *org_id, const char *group_id, const char *user_id,
                                   bool *member, gh_err *err)
{
    PREP(db, st, "SELECT count(*) FROM group_members WHERE org_id = ?1 AND group_id = ?2 AND user_id = ?3", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, group_id); gh_bind_text(st, 3, user_id);
    int s = gh_step(st);
    if (s == GH_ROW) *member = gh_col_i64(st, 0) > 0;
    gh_reset(st);
    return s == GH_ROW ? GH_OK : gh_db_fail(db, err, "group member check");
}

gh_status gh_store_group_members(gh_db *db, const char *org_id, const char *group_id,
                                 void (*fn)(const gh_group_member *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT u.id, u.name, coalesce(u.email, ''), m.added_at FROM group_members m"
                 " JOIN users u ON u.org_id = m.org_id AND u.id = m.user_id"
                 " WHERE m.org_id = ?1 AND m.group_id = ?2 ORDER BY u.name COLLATE gh_name, u.id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, group_id);
    gh_group_member m;
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        memset(&m, 0, sizeof m);
        CP(m.user_id, 0); CP(m.name, 1); CP(m.email, 2);
        m.added_at = gh_col_i64(st, 3);
        fn(&m, arg);
    }
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "group members");
}

gh_status gh_store_groups_of_user(gh_db *db, const char *org_id, const char *user_id,
                                  void (*fn)(const gh_group *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT g.id, g.name FROM group_members m JOIN groups g ON g.org_id = m.org_id AND g.id = m.group_id"
                 " WHERE m.org_id = ?1 AND m.user_id = ?2 ORDER BY g.name COLLATE gh_name, g.id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_group *g = malloc(sizeof *g);
    if (!g) { gh_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        memset(g, 0, sizeof *g);
        CP(g->id, 0); CP(g->name, 1);
        gh_strlcpy(g->org_id, org_id, sizeof g->org_id);
        g->is_member = true;
        fn(g, arg);
    }
    gh_reset(st);
    free(g);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "groups of user");
}

/* ---- views ------------------------------------------------------------------- */
void gh_view_release(gh_view *v)
{
    if (!v) return;
    free(v->config);
    v->config = NULL;
}

/* Columns 0..8; column 6 is the config or NULL. */
#define VIEW_COLS(config_expr) "v.id, v.org_id, coalesce(v.owner_id, ''), coalesce(u.name, ''), v.kind, v.name, " \
    config_expr ", v.created_at, v.updated_at FROM views v LEFT JOIN users u ON u.id = v.owner_id"

/* Fills v from a row; config is copied (malloc) when present. false on OOM. */
static bool view_row(gh_stmt *st, gh_view *v)
{
    memset(v, 0, sizeof *v);
    CP(v->id, 0); CP(v->org_id, 1); CP(v->owner_id, 2); CP(v->owner_name, 3); CP(v->kind, 4); CP(v->name, 5);
    v->created_at = gh_col_i64(st, 7);
    v->updated_at = gh_col_i64(st, 8);
    if (gh_col_is_null(st, 6)) return true;
    const char *c = gh_col_text_or_null(st, 6);
    size_t n = gh_col_bytes(st, 6);
    if (!c || !(v->config = malloc(n + 1))) return false;
    memcpy(v->config, c, n);
    v->config[n] = '\0';
    return true;
}

gh_status gh_store_view_insert(gh_db *db, const gh_view *v, gh_err *err)
{
    PREP(db, st, "INSERT INTO views (id, org_id, owner_id, kind, name, config, created_at, updated_at)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
    gh_bind_text(st, 1, v->id); gh_bind_text(st, 2, v->org_id); gh_bind_text(st, 3, gh_sql_null_if_empty(v->owner_id));
    gh_bind_text(st, 4, v->kind); gh_bind_text(st, 5, v->name); gh_bind_text(st, 6, v->config ? v->config : "{}");
    gh_bind_i64(st, 7, v->created_at); gh_bind_i64(st, 8, v->updated_at);
    STEP_DONE(db, st, err, "view insert");
    return GH_OK;
}

gh_status gh_store_view_update(gh_db *db, const gh_view *v, gh_err *err)
{
    PREP(db, st, "UPDATE views SET name = ?3, config = ?4, updated_at = ?5 WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, v->org_id); gh_bind_text(st, 2, v->id); gh_bind_text(st, 3, v->name);
    gh_bind_text(st, 4, v->config ? v->config : "{}"); gh_bind_i64(st, 5, v->updated_at);
    STEP_DONE(db, st, err, "view update");
    if (gh_db_changes(db) != 1) return gh_fail(err, GH_E_NOT_FOUND, "view_not_found", "no such view");
    return GH_OK;
}

gh_status gh_store_view_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM views WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "view delete");
    if (gh_db_changes(db) != 1) return gh_fail(err, GH_E_NOT_FOUND, "view_not_found", "no such view");
    return GH_OK;
}

gh_status gh_store_view_get(gh_db *db, const char *org_id, const char *id, gh_view *v, gh_err *err)
{
    PREP(db, st, "SELECT " VIEW_COLS("v.config") " WHERE v.org_id = ?1 AND v.id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = gh_step(st);
    bool ok = s != GH_ROW || view_row(st, v);
    gh_reset(st);
    if (!ok) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "view_not_found", "no such view");
    return gh_db_fail(db, err, "view get");
}

gh_status gh_store_view_list(gh_db *db, const char *org_id, const gh_view_filter *f,
                             void (*fn)(const gh_view *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " VIEW_COLS("CASE WHEN ?7 = 1 THEN v.config ELSE NULL END")
                 " WHERE v.org_id = ?1 AND (?3 IS NULL OR v.kind = ?3)"
                 " AND (?4 = 1 OR v.owner_id = ?2 OR EXISTS (SELECT 1 FROM view_shares s"
                 "      JOIN group_members m ON m.group_id = s.group_id"
                 "      WHERE s.view_id = v.id AND m.user_id = ?2))"
                 " AND (?5 IS NULL OR v.name COLLATE gh_name > ?5 OR (v.name = ?5 AND v.id > ?6))"
                 " ORDER BY v.name COLLATE gh_name, v.id LIMIT ?8", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, f->user_id ? f->user_id : "");
    gh_bind_text(st, 3, f->kind);
    gh_bind_i64(st, 4, f->all);
    gh_bind_text(st, 5, f->after_name);
    gh_bind_text(st, 6, f->after_id ? f->after_id : "");
    gh_bind_i64(st, 7, f->with_config);
    gh_bind_i64(st, 8, f->limit);
    gh_view *v = malloc(sizeof *v);
    if (!v) { gh_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    int s;
    bool ok = true;
    while ((s = gh_step(st)) == GH_ROW) {
        if (!(ok = view_row(st, v))) break;
        fn(v, arg);
        gh_view_release(v);
    }
    gh_reset(st);
    free(v);
    if (!ok) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "view list");
}

/* ---- shares ------------------------------------------------------------------ */
gh_status gh_store_view_shares(gh_db *db, const char *org_id, const char *view_id, const char *user_id,
                               void (*fn)(const char *group_id, const char *group_name, bool member, void *),
                               void *arg, gh_err *err)
{
    PREP(db, st, "SELECT g.id, g.name, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id AND m.user_id = ?3)"
                 " FROM view_shares s JOIN groups g ON g.org_id = s.org_id AND g.id = s.group_id"
                 " WHERE s.org_id = ?1 AND s.view_id = ?2 ORDER BY g.name COLLATE gh_name, g.id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, view_id);
    gh_bind_text(st, 3, user_id);
    int s;
    while ((s = gh_step(st)) == GH_ROW)
        fn(gh_col_text(st, 0), gh_col_text(st, 1), gh_col_i64(st, 2) > 0, arg);
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "view shares");
}

gh_status gh_store_view_share_add(gh_db *db, const char *org_id, const char *view_id, const char *group_id,
                                  const char *shared_by, int64_t at, gh_err *err)
{
    PREP(db, st, "INSERT INTO view_shares (org_id, view_id, group_id, shared_by, shared_at)"
                 " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (view_id, group_id) DO NOTHING", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, view_id); gh_bind_text(st, 3, group_id);
    gh_bind_text(st, 4, gh_sql_null_if_empty(shared_by)); gh_bind_i64(st, 5, at);
    STEP_DONE(db, st, err, "view share add");
    return GH_OK;
}

gh_status gh_store_view_share_remove(gh_db *db, const char *org_id, const char *view_id, const char *group_id,
                                     gh_err *err)
{
    PREP(db, st, "DELETE FROM view_shares WHERE org_id = ?1 AND view_id = ?2 AND group_id = ?3", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, view_id); gh_bind_text(st, 3, group_id);
    STEP_DONE(db, st, err, "view share remove");
    return GH_OK;
}
