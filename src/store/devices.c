/* The store SQL (through store/stmt.h) of store/shopfloor.h: kiosk devices and kiosk sessions. */
#include "store/shopfloor.h"
#include "store/stmt.h"

#include <stdlib.h>
#include <string.h>

/* ---- kiosk devices ------------------------------------------------------------------- */
#define DEVICE_COLS "id, org_id, name, token_hash, created_by, created_at, last_used_at, language"

static void device_row(gh_stmt *st, gh_kiosk_device *d)
{
    memset(d, 0, sizeof *d);
    CP(d->id, 0); CP(d->org_id, 1); CP(d->name, 2); CP(d->token_hash, 3); CP(d->created_by, 4);
    d->created_at = gh_col_i64(st, 5);
    d->last_used_at = gh_col_i64(st, 6);
    CP(d->language, 7);
}

gh_status gh_store_device_insert(gh_db *db, const gh_kiosk_device *d, gh_err *err)
{
    PREP(db, st, "INSERT INTO kiosk_devices (" DEVICE_COLS ") VALUES (?1,?2,?3,?4,?5,?6,NULL,?7)", err);
    gh_bind_text(st, 1, d->id); gh_bind_text(st, 2, d->org_id); gh_bind_text(st, 3, d->name);
    gh_bind_text(st, 4, d->token_hash); gh_bind_text(st, 5, gh_sql_null_if_empty(d->created_by)); gh_bind_i64(st, 6, d->created_at);
    gh_bind_text(st, 7, gh_sql_null_if_empty(d->language));
    STEP_DONE(db, st, err, "device insert");
    return GH_OK;
}

gh_status gh_store_device_get_by_hash(gh_db *db, const char *org_id, const char *token_hash,
                                      gh_kiosk_device *d, gh_err *err)
{
    PREP(db, st, "SELECT " DEVICE_COLS " FROM kiosk_devices WHERE org_id = ?1 AND token_hash = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, token_hash);
    int s = gh_step(st);
    if (s == GH_ROW) device_row(st, d);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "device_not_found", "no such kiosk device");
    return gh_db_fail(db, err, "device get");
}

gh_status gh_store_device_get(gh_db *db, const char *org_id, const char *id, gh_kiosk_device *d, gh_err *err)
{
    PREP(db, st, "SELECT " DEVICE_COLS " FROM kiosk_devices WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = gh_step(st);
    if (s == GH_ROW) device_row(st, d);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "device_not_found", "no such kiosk device");
    return gh_db_fail(db, err, "device get");
}

gh_status gh_store_device_set_language(gh_db *db, const char *org_id, const char *id, const char *language,
                                       gh_err *err)
{
    PREP(db, st, "UPDATE kiosk_devices SET language = ?3 WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    gh_bind_text(st, 3, gh_sql_null_if_empty(language));
    STEP_DONE(db, st, err, "device language");
    if (gh_db_changes(db) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "device_not_found", "no such kiosk device");
    return GH_OK;
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
    if (gh_db_changes(db) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "device_not_found", "no such kiosk device");
    return GH_OK;
}

typedef struct { void (*fn)(const gh_kiosk_device *, void *); void *arg; } device_cb;
static void device_visit(gh_stmt *st, void *arg)
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
    return gh_sql_each_row(db, st, device_visit, &cb, err, "device list");
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
    if (deleted) *deleted = gh_db_changes(db);
    return GH_OK;
}
