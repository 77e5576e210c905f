/* The store SQL (through store/stmt.h) of store.h: API keys. */
#include <string.h>

#include "store/store.h"
#include "store/stmt.h"
#include "util/json.h"

/* ---- API keys ------------------------------------------------------------------- */
#define KEY_COLS "id, org_id, name, key_hash, prefix, created_by, created_at, expires_at, last_used_at, scopes"

static void key_row(gh_stmt *st, gh_apikey *k)
{
    memset(k, 0, sizeof *k);
    gh_strlcpy(k->id, gh_col_text(st, 0), sizeof k->id);
    gh_strlcpy(k->org_id, gh_col_text(st, 1), sizeof k->org_id);
    gh_strlcpy(k->name, gh_col_text(st, 2), sizeof k->name);
    gh_strlcpy(k->key_hash, gh_col_text(st, 3), sizeof k->key_hash);
    gh_strlcpy(k->prefix, gh_col_text(st, 4), sizeof k->prefix);
    gh_strlcpy(k->created_by, gh_col_text(st, 5), sizeof k->created_by);
    k->created_at = gh_col_i64(st, 6);
    k->expires_at = gh_col_i64(st, 7);
    k->last_used_at = gh_col_i64(st, 8);
    gh_strlcpy(k->scopes, gh_col_text(st, 9), sizeof k->scopes);
}

gh_status gh_store_apikey_insert(gh_db *db, const gh_apikey *k, gh_err *err)
{
    PREP(db, st, "INSERT INTO api_keys (" KEY_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,NULL,?9)", err);
    gh_bind_text(st, 1, k->id); gh_bind_text(st, 2, k->org_id); gh_bind_text(st, 3, k->name);
    gh_bind_text(st, 4, k->key_hash); gh_bind_text(st, 5, k->prefix); gh_bind_text(st, 6, gh_sql_null_if_empty(k->created_by));
    gh_bind_i64(st, 7, k->created_at);
    if (k->expires_at) gh_bind_i64(st, 8, k->expires_at);
    else gh_bind_null(st, 8);
    gh_bind_text(st, 9, k->scopes);
    STEP_DONE(db, st, err, "apikey insert");
    return GH_OK;
}

static gh_status key_get(gh_db *db, gh_stmt *st, gh_apikey *k, gh_err *err)
{
    int s = gh_step(st);
    if (s == GH_ROW) key_row(st, k);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "api_key_not_found", "no such API key");
    return gh_db_fail(db, err, "apikey get");
}

gh_status gh_store_apikey_get_by_hash(gh_db *db, const char *key_hash, gh_apikey *k, gh_err *err)
{
    PREP(db, st, "SELECT " KEY_COLS " FROM api_keys WHERE key_hash = ?1", err);
    gh_bind_text(st, 1, key_hash);
    return key_get(db, st, k, err);
}

gh_status gh_store_apikey_get(gh_db *db, const char *org_id, const char *id, gh_apikey *k, gh_err *err)
{
    PREP(db, st, "SELECT " KEY_COLS " FROM api_keys WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    return key_get(db, st, k, err);
}

gh_status gh_store_apikey_touch(gh_db *db, const char *id, int64_t at, gh_err *err)
{
    PREP(db, st, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", err);
    gh_bind_text(st, 1, id);
    gh_bind_i64(st, 2, at);
    STEP_DONE(db, st, err, "apikey touch");
    return GH_OK;
}

gh_status gh_store_apikey_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM api_keys WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "apikey delete");
    if (gh_db_changes(db) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "api_key_not_found", "no such API key");
    return GH_OK;
}

gh_status gh_store_apikey_list(gh_db *db, const char *org_id, void (*fn)(const gh_apikey *, void *),
                               void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " KEY_COLS " FROM api_keys WHERE org_id = ?1 ORDER BY created_at, id", err);
    gh_bind_text(st, 1, org_id);
    gh_apikey k;
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        key_row(st, &k);
        fn(&k, arg);
    }
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "apikey list");
}
