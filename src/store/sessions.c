/* The store SQL (through store/stmt.h) of store.h: sessions and single-use
 * tokens. */
#include <string.h>

#include "store/store.h"
#include "store/stmt.h"

/* ---- sessions ------------------------------------------------------------------- */
#define SESSION_COLS "id, org_id, user_id, token_hash, csrf_hash, kind, created_at, last_seen_at," \
    " idle_s, expires_at, ip, user_agent, device_id, pin_change_required, mfa_pending, device"

static void session_row(gh_stmt *st, gh_session *s)
{
    memset(s, 0, sizeof *s);
    CP(s->id, 0); CP(s->org_id, 1); CP(s->user_id, 2); CP(s->token_hash, 3); CP(s->csrf_hash, 4);
    CP(s->kind, 5);
    s->created_at = gh_col_i64(st, 6);
    s->last_seen_at = gh_col_i64(st, 7);
    s->idle_s = gh_col_i64(st, 8);
    s->expires_at = gh_col_i64(st, 9);
    CP(s->ip, 10); CP(s->user_agent, 11); CP(s->device_id, 12);
    s->pin_change_required = gh_col_i64(st, 13) != 0;
    CP(s->mfa_pending, 14);
    s->device = gh_col_i64(st, 15) != 0;
}

gh_status gh_store_session_insert(gh_db *db, const gh_session *s, gh_err *err)
{
    PREP(db, st, "INSERT INTO sessions (" SESSION_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)", err);
    gh_bind_text(st, 1, s->id); gh_bind_text(st, 2, s->org_id); gh_bind_text(st, 3, s->user_id);
    gh_bind_text(st, 4, s->token_hash); gh_bind_text(st, 5, s->csrf_hash); gh_bind_text(st, 6, s->kind);
    gh_bind_i64(st, 7, s->created_at); gh_bind_i64(st, 8, s->last_seen_at);
    gh_bind_i64(st, 9, s->idle_s); gh_bind_i64(st, 10, s->expires_at);
    gh_bind_text(st, 11, s->ip); gh_bind_text(st, 12, s->user_agent);
    gh_bind_text(st, 13, gh_sql_null_if_empty(s->device_id)); gh_bind_i64(st, 14, s->pin_change_required);
    gh_bind_text(st, 15, s->mfa_pending);
    gh_bind_i64(st, 16, s->device);
    STEP_DONE(db, st, err, "session insert");
    return GH_OK;
}

gh_status gh_store_session_get_by_hash(gh_db *db, const char *token_hash, gh_session *s, gh_err *err)
{
    PREP(db, st, "SELECT " SESSION_COLS " FROM sessions WHERE token_hash = ?1", err);
    gh_bind_text(st, 1, token_hash);
    int rc = gh_step(st);
    if (rc == GH_ROW) session_row(st, s);
    gh_reset(st);
    if (rc == GH_ROW) return GH_OK;
    if (rc == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "session_not_found", "no such session");
    return gh_db_fail(db, err, "session get");
}

gh_status gh_store_session_get(gh_db *db, const char *org_id, const char *user_id, const char *id, gh_session *s,
                              gh_err *err)
{
    PREP(db, st, "SELECT " SESSION_COLS " FROM sessions WHERE org_id = ?1 AND user_id = ?2 AND id = ?3", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, id);
    int rc = gh_step(st);
    if (rc == GH_ROW) session_row(st, s);
    gh_reset(st);
    if (rc == GH_ROW) return GH_OK;
    if (rc == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "session_not_found", "no such session");
    return gh_db_fail(db, err, "session get");
}

gh_status gh_store_session_touch(gh_db *db, const char *id, int64_t at, gh_err *err)
{
    PREP(db, st, "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1", err);
    gh_bind_text(st, 1, id);
    gh_bind_i64(st, 2, at);
    STEP_DONE(db, st, err, "session touch");
    return GH_OK;
}

gh_status gh_store_session_clamp(gh_db *db, const char *org_id, const char *kind, int64_t idle_s, int64_t max_s,
                                 gh_err *err)
{
    bool device = strcmp(kind, "device") == 0;
    /* A device session's idle_s 0 is no idle timeout: a policy with one
     * gives it one. People's sessions (device = 0) are never touched by the
     * device policy, nor device sessions by people's. */
    gh_stmt *st = gh_db_stmt(db, device
        ? "UPDATE sessions SET idle_s = CASE WHEN ?3 > 0 AND (idle_s = 0 OR idle_s > ?3) THEN ?3 ELSE idle_s END,"
          " expires_at = min(expires_at, created_at + ?4)"
          " WHERE org_id = ?1 AND device = 1 AND ?2 = 'device'"
          " AND ((?3 > 0 AND (idle_s = 0 OR idle_s > ?3)) OR expires_at > created_at + ?4)"
        : "UPDATE sessions SET idle_s = min(idle_s, ?3), expires_at = min(expires_at, created_at + ?4)"
          " WHERE org_id = ?1 AND kind = ?2 AND device = 0 AND (idle_s > ?3 OR expires_at > created_at + ?4)");
    if (!st) return gh_db_fail(db, err, "prepare");
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, kind);
    gh_bind_i64(st, 3, idle_s);
    gh_bind_i64(st, 4, max_s);
    STEP_DONE(db, st, err, "session clamp");
    return GH_OK;
}

gh_status gh_store_session_set_pin_change(gh_db *db, const char *id, bool required, gh_err *err)
{
    PREP(db, st, "UPDATE sessions SET pin_change_required = ?2 WHERE id = ?1", err);
    gh_bind_text(st, 1, id);
    gh_bind_i64(st, 2, required);
    STEP_DONE(db, st, err, "session pin change");
    return GH_OK;
}

gh_status gh_store_session_delete(gh_db *db, const char *org_id, const char *user_id, const char *id,
                                  int64_t *deleted, gh_err *err)
{
    PREP(db, st, "DELETE FROM sessions WHERE org_id = ?1 AND user_id = ?2 AND id = ?3", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, id);
    STEP_DONE(db, st, err, "session delete");
    if (deleted) *deleted = gh_db_changes(db);
    return GH_OK;
}

gh_status gh_store_session_delete_user(gh_db *db, const char *org_id, const char *user_id,
                                       const char *keep_id, int64_t *deleted, gh_err *err)
{
    PREP(db, st, "DELETE FROM sessions WHERE org_id = ?1 AND user_id = ?2 AND (?3 IS NULL OR id <> ?3)", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, keep_id);
    STEP_DONE(db, st, err, "session delete user");
    if (deleted) *deleted = gh_db_changes(db);
    return GH_OK;
}

gh_status gh_store_session_list(gh_db *db, const char *org_id, const char *user_id,
                                void (*fn)(const gh_session *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " SESSION_COLS " FROM sessions WHERE org_id = ?1 AND user_id = ?2 ORDER BY created_at DESC", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_session s;
    int rc;
    while ((rc = gh_step(st)) == GH_ROW) {
        session_row(st, &s);
        fn(&s, arg);
    }
    gh_reset(st);
    return rc == GH_DONE ? GH_OK : gh_db_fail(db, err, "session list");
}

/* ---- tokens ------------------------------------------------------------------------ */
gh_status gh_store_token_insert(gh_db *db, const gh_token *t, gh_err *err)
{
    PREP(db, st, "INSERT INTO tokens (id, org_id, user_id, purpose, token_hash, email, created_at, expires_at)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8)", err);
    gh_bind_text(st, 1, t->id); gh_bind_text(st, 2, gh_sql_null_if_empty(t->org_id)); gh_bind_text(st, 3, gh_sql_null_if_empty(t->user_id));
    gh_bind_text(st, 4, t->purpose); gh_bind_text(st, 5, t->token_hash); gh_bind_text(st, 6, gh_sql_null_if_empty(t->email));
    gh_bind_i64(st, 7, t->created_at); gh_bind_i64(st, 8, t->expires_at);
    STEP_DONE(db, st, err, "token insert");
    return GH_OK;
}

gh_status gh_store_token_get_by_hash(gh_db *db, const char *token_hash, gh_token *t, gh_err *err)
{
    PREP(db, st, "SELECT id, org_id, user_id, purpose, token_hash, email, created_at, expires_at, used_at"
                 " FROM tokens WHERE token_hash = ?1", err);
    gh_bind_text(st, 1, token_hash);
    int s = gh_step(st);
    if (s == GH_ROW) {
        memset(t, 0, sizeof *t);
        CP(t->id, 0); CP(t->org_id, 1); CP(t->user_id, 2); CP(t->purpose, 3); CP(t->token_hash, 4);
        CP(t->email, 5);
        t->created_at = gh_col_i64(st, 6);
        t->expires_at = gh_col_i64(st, 7);
        t->used_at = gh_col_i64(st, 8);
    }
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "token_invalid", "this link is not valid");
    return gh_db_fail(db, err, "token get");
}

gh_status gh_store_token_mark_used(gh_db *db, const char *id, int64_t at, gh_err *err)
{
    PREP(db, st, "UPDATE tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL", err);
    gh_bind_text(st, 1, id);
    gh_bind_i64(st, 2, at);
    STEP_DONE(db, st, err, "token use");
    if (gh_db_changes(db) != 1)
        return gh_fail(err, GH_E_GONE, "token_used", "this link was already used");
    return GH_OK;
}

gh_status gh_store_token_supersede(gh_db *db, const char *org_id, const char *user_id,
                                   const char *purpose, int64_t at, gh_err *err)
{
    PREP(db, st, "UPDATE tokens SET used_at = ?4 WHERE ((?1 IS NULL AND org_id IS NULL) OR org_id = ?1)"
                 " AND ((?2 IS NULL AND user_id IS NULL) OR user_id = ?2) AND purpose = ?3 AND used_at IS NULL", err);
    gh_bind_text(st, 1, gh_sql_null_if_empty(org_id));
    gh_bind_text(st, 2, gh_sql_null_if_empty(user_id));
    gh_bind_text(st, 3, purpose);
    gh_bind_i64(st, 4, at);
    STEP_DONE(db, st, err, "token supersede");
    return GH_OK;
}
