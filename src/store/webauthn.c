/* The store SQL (through store/stmt.h) of store/webauthn.h. */
#include "store/webauthn.h"
#include "store/stmt.h"

#include <string.h>

#include "util/json.h"

#define CRED_COLS "id, org_id, user_id, cred_id, cose_type, public_key, sign_count, name, created_at, last_used_at"

gh_status gh_store_wa_cred_insert(gh_db *db, const gh_wa_cred *c, gh_err *err)
{
    PREP(db, st, "INSERT INTO webauthn_credentials (" CRED_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", err);
    gh_bind_text(st, 1, c->id); gh_bind_text(st, 2, c->org_id); gh_bind_text(st, 3, c->user_id);
    gh_bind_text(st, 4, c->cred_id); gh_bind_i64(st, 5, c->cose_type); gh_bind_text(st, 6, c->public_key);
    gh_bind_i64(st, 7, c->sign_count); gh_bind_text(st, 8, c->name); gh_bind_i64(st, 9, c->created_at);
    gh_bind_i64(st, 10, c->last_used_at);
    int rc = gh_step(st);
    gh_reset(st);
    if (rc == GH_UNIQUE)
        return gh_fail(err, GH_E_CONFLICT, "webauthn_already_registered", "this passkey or security key is registered already");
    if (rc != GH_DONE) return gh_db_fail(db, err, "webauthn credential insert");
    return GH_OK;
}

gh_status gh_store_wa_cred_get(gh_db *db, const char *org_id, const char *user_id, const char *cred_id, gh_wa_cred *c,
                               gh_err *err)
{
    PREP(db, st, "SELECT " CRED_COLS " FROM webauthn_credentials WHERE org_id = ?1 AND user_id = ?2 AND cred_id = ?3", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, cred_id);
    int rc = gh_step(st);
    if (rc == GH_ROW) {
        memset(c, 0, sizeof *c);
        CP(c->id, 0); CP(c->org_id, 1); CP(c->user_id, 2); CP(c->cred_id, 3);
        c->cose_type = gh_col_int(st, 4);
        CP(c->public_key, 5);
        c->sign_count = gh_col_i64(st, 6);
        CP(c->name, 7);
        c->created_at = gh_col_i64(st, 8);
        c->last_used_at = gh_col_i64(st, 9);
    }
    gh_reset(st);
    if (rc == GH_ROW) return GH_OK;
    if (rc == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "webauthn_unknown_credential", "no such passkey");
    return gh_db_fail(db, err, "webauthn credential get");
}

/* arg: whether to show the credential ids (bool *). */
static json_t *cred_json(gh_stmt *st, void *arg)
{
    int64_t used = gh_col_i64(st, 3);
    json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "id", gh_col_text(st, 0), "name", gh_col_text(st, 1), "created_at",
                          gh_json_time(gh_col_i64(st, 2)), "last_used_at", used ? gh_json_time(used) : json_null());
    if (o && *(const bool *)arg && json_object_set_new(o, "cred_id", json_string(gh_col_text(st, 4))) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *gh_store_wa_cred_list(gh_db *db, const char *org_id, const char *user_id, bool cred_ids, gh_err *err)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT id, name, created_at, last_used_at, cred_id FROM webauthn_credentials"
                                 " WHERE org_id = ?1 AND user_id = ?2 ORDER BY created_at, id");
    if (!st) { gh_db_fail(db, err, "prepare"); return NULL; }
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    return gh_sql_json_rows(db, st, cred_json, &cred_ids, err, "webauthn credential list");
}

int64_t gh_store_wa_cred_count(gh_db *db, const char *org_id, const char *user_id)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM webauthn_credentials WHERE org_id = ?1 AND user_id = ?2");
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    int64_t n = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    return n;
}

gh_status gh_store_wa_cred_use(gh_db *db, const char *org_id, const char *id, int64_t old, int64_t count, int64_t at,
                               bool *won, gh_err *err)
{
    PREP(db, st, "UPDATE webauthn_credentials SET sign_count = ?4, last_used_at = ?5"
                 " WHERE org_id = ?1 AND id = ?2 AND sign_count = ?3", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    gh_bind_i64(st, 3, old);
    gh_bind_i64(st, 4, count);
    gh_bind_i64(st, 5, at);
    STEP_DONE(db, st, err, "webauthn credential use");
    *won = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_wa_cred_rename(gh_db *db, const char *org_id, const char *user_id, const char *id, const char *name,
                                  gh_err *err)
{
    PREP(db, st, "UPDATE webauthn_credentials SET name = ?4 WHERE org_id = ?1 AND user_id = ?2 AND id = ?3", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, id);
    gh_bind_text(st, 4, name);
    STEP_DONE(db, st, err, "webauthn credential rename");
    if (gh_db_changes(db) != 1) return gh_fail(err, GH_E_NOT_FOUND, "webauthn_unknown_credential", "no such passkey");
    return GH_OK;
}

gh_status gh_store_wa_cred_delete(gh_db *db, const char *org_id, const char *user_id, const char *id, int64_t *n,
                                  gh_err *err)
{
    PREP(db, st, "DELETE FROM webauthn_credentials WHERE org_id = ?1 AND user_id = ?2 AND (?3 IS NULL OR id = ?3)", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, id);
    STEP_DONE(db, st, err, "webauthn credential delete");
    *n = gh_db_changes(db);
    return GH_OK;
}

gh_status gh_store_wa_challenge_insert(gh_db *db, const char *hash, const char *org_id, const char *user_id,
                                       const char *purpose, int64_t expires_at, gh_err *err)
{
    PREP(db, st, "INSERT INTO webauthn_challenges (hash, org_id, user_id, purpose, expires_at) VALUES (?1,?2,?3,?4,?5)", err);
    gh_bind_text(st, 1, hash);
    gh_bind_text(st, 2, org_id);
    gh_bind_text(st, 3, user_id);
    gh_bind_text(st, 4, purpose);
    gh_bind_i64(st, 5, expires_at);
    STEP_DONE(db, st, err, "webauthn challenge insert");
    return GH_OK;
}

gh_status gh_store_wa_challenge_take(gh_db *db, const char *hash, const char *org_id, const char *user_id,
                                     const char *purpose, int64_t now, bool *ok, gh_err *err)
{
    {
        PREP(db, st, "DELETE FROM webauthn_challenges WHERE hash = ?1 AND org_id = ?2 AND user_id = ?3"
                     " AND purpose = ?4 AND expires_at > ?5", err);
        gh_bind_text(st, 1, hash);
        gh_bind_text(st, 2, org_id);
        gh_bind_text(st, 3, user_id);
        gh_bind_text(st, 4, purpose);
        gh_bind_i64(st, 5, now);
        STEP_DONE(db, st, err, "webauthn challenge take");
        *ok = gh_db_changes(db) == 1;
    }
    PREP(db, st, "DELETE FROM webauthn_challenges WHERE expires_at <= ?1", err);
    gh_bind_i64(st, 1, now);
    STEP_DONE(db, st, err, "webauthn challenge sweep");
    return GH_OK;
}
