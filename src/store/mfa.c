/* The store SQL (through store/stmt.h) of store/mfa.h: second factors and the MFA policy. */
#include "store/mfa.h"
#include "store/stmt.h"

#include <string.h>

#include "util/json.h"

#define FACTOR_COLS "id, org_id, user_id, kind, label, secret, secret_kid, confirmed, last_step, created_at, last_used_at"

gh_status gh_store_mfa_factor_insert(gh_db *db, const gh_mfa_factor *f, gh_err *err)
{
    PREP(db, st, "INSERT INTO mfa_factors (" FACTOR_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)", err);
    gh_bind_text(st, 1, f->id); gh_bind_text(st, 2, f->org_id); gh_bind_text(st, 3, f->user_id);
    gh_bind_text(st, 4, f->kind); gh_bind_text(st, 5, f->label); gh_bind_text(st, 6, f->secret);
    gh_bind_text(st, 7, f->secret_kid); gh_bind_i64(st, 8, f->confirmed); gh_bind_i64(st, 9, f->last_step);
    gh_bind_i64(st, 10, f->created_at); gh_bind_i64(st, 11, f->last_used_at);
    STEP_DONE(db, st, err, "mfa factor insert");
    return GH_OK;
}

gh_status gh_store_mfa_factor_get(gh_db *db, const char *org_id, const char *user_id, const char *kind,
                                  gh_mfa_factor *f, gh_err *err)
{
    PREP(db, st, "SELECT " FACTOR_COLS " FROM mfa_factors WHERE org_id = ?1 AND user_id = ?2 AND kind = ?3"
                 " ORDER BY confirmed DESC, created_at DESC LIMIT 1", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, kind);
    int rc = gh_step(st);
    if (rc == GH_ROW) {
        memset(f, 0, sizeof *f);
        CP(f->id, 0); CP(f->org_id, 1); CP(f->user_id, 2); CP(f->kind, 3); CP(f->label, 4);
        CP(f->secret, 5); CP(f->secret_kid, 6);
        f->confirmed = gh_col_i64(st, 7) != 0;
        f->last_step = gh_col_i64(st, 8);
        f->created_at = gh_col_i64(st, 9);
        f->last_used_at = gh_col_i64(st, 10);
    }
    gh_reset(st);
    if (rc == GH_ROW) return GH_OK;
    if (rc == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "mfa_not_enrolled", "no such factor");
    return gh_db_fail(db, err, "mfa factor get");
}

gh_status gh_store_mfa_factor_confirm(gh_db *db, const char *org_id, const char *id, int64_t step, int64_t at,
                                      gh_err *err)
{
    PREP(db, st, "UPDATE mfa_factors SET confirmed = 1, last_step = ?3, last_used_at = ?4"
                 " WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    gh_bind_i64(st, 3, step);
    gh_bind_i64(st, 4, at);
    STEP_DONE(db, st, err, "mfa factor confirm");
    return GH_OK;
}

gh_status gh_store_mfa_factor_use_step(gh_db *db, const char *org_id, const char *id, int64_t step, int64_t at,
                                       bool *won, gh_err *err)
{
    PREP(db, st, "UPDATE mfa_factors SET last_step = ?3, last_used_at = ?4"
                 " WHERE org_id = ?1 AND id = ?2 AND confirmed = 1 AND last_step < ?3", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    gh_bind_i64(st, 3, step);
    gh_bind_i64(st, 4, at);
    STEP_DONE(db, st, err, "mfa factor use");
    *won = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_mfa_factor_reseal(gh_db *db, const char *org_id, const char *id, const char *secret, const char *kid,
                                     gh_err *err)
{
    PREP(db, st, "UPDATE mfa_factors SET secret = ?3, secret_kid = ?4 WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    gh_bind_text(st, 3, secret);
    gh_bind_text(st, 4, kid);
    STEP_DONE(db, st, err, "mfa factor reseal");
    return GH_OK;
}

gh_status gh_store_mfa_factor_delete(gh_db *db, const char *org_id, const char *user_id, const char *kind,
                                     bool unconfirmed_only, int64_t *n, gh_err *err)
{
    PREP(db, st, "DELETE FROM mfa_factors WHERE org_id = ?1 AND user_id = ?2 AND (?3 IS NULL OR kind = ?3)"
                 " AND (?4 = 0 OR confirmed = 0)", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, kind);
    gh_bind_i64(st, 4, unconfirmed_only);
    STEP_DONE(db, st, err, "mfa factor delete");
    if (n) *n = gh_db_changes(db);
    return GH_OK;
}

static json_t *factor_json(gh_stmt *st, void *unused)
{
    (void)unused;
    int64_t used = gh_col_i64(st, 4);
    return json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", gh_col_text(st, 0), "kind", gh_col_text(st, 1), "label",
                     gh_col_text(st, 2), "created_at", gh_json_time(gh_col_i64(st, 3)), "last_used_at",
                     used ? gh_json_time(used) : json_null());
}

json_t *gh_store_mfa_factor_list(gh_db *db, const char *org_id, const char *user_id, gh_err *err)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT id, kind, label, created_at, last_used_at FROM mfa_factors"
                                 " WHERE org_id = ?1 AND user_id = ?2 AND confirmed = 1 ORDER BY created_at, id");
    if (!st) { gh_db_fail(db, err, "prepare"); return NULL; }
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    return gh_sql_json_rows(db, st, factor_json, NULL, err, "mfa factor list");
}

gh_status gh_store_mfa_recovery_insert(gh_db *db, const char *org_id, const char *user_id, const char *hash,
                                       int64_t at, gh_err *err)
{
    PREP(db, st, "INSERT INTO mfa_recovery_codes (org_id, user_id, code_hash, created_at) VALUES (?1, ?2, ?3, ?4)", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, hash);
    gh_bind_i64(st, 4, at);
    STEP_DONE(db, st, err, "recovery code insert");
    return GH_OK;
}

gh_status gh_store_mfa_recovery_use(gh_db *db, const char *org_id, const char *user_id, const char *hash,
                                    int64_t at, bool *won, gh_err *err)
{
    PREP(db, st, "UPDATE mfa_recovery_codes SET used_at = ?4"
                 " WHERE org_id = ?1 AND user_id = ?2 AND code_hash = ?3 AND used_at = 0", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, hash);
    gh_bind_i64(st, 4, at);
    STEP_DONE(db, st, err, "recovery code use");
    *won = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_mfa_recovery_delete(gh_db *db, const char *org_id, const char *user_id, gh_err *err)
{
    PREP(db, st, "DELETE FROM mfa_recovery_codes WHERE org_id = ?1 AND user_id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    STEP_DONE(db, st, err, "recovery code delete");
    return GH_OK;
}

int64_t gh_store_mfa_recovery_left(gh_db *db, const char *org_id, const char *user_id)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM mfa_recovery_codes WHERE org_id = ?1 AND user_id = ?2"
                                 " AND used_at = 0");
    if (!st) return 0;
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    int64_t n = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : 0;
    gh_reset(st);
    return n;
}

gh_status gh_store_mfa_policy_get(gh_db *db, const char *org_id, gh_mfa_policy *p, gh_err *err)
{
    memset(p, 0, sizeof *p);
    gh_strlcpy(p->policy, "optional", sizeof p->policy);
    PREP(db, st, "SELECT policy, sso_counts, sso_acr, updated_at FROM org_mfa WHERE org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    int rc = gh_step(st);
    if (rc == GH_ROW) {
        CP(p->policy, 0);
        p->sso_counts = gh_col_i64(st, 1) != 0;
        CP(p->sso_acr, 2);
        p->updated_at = gh_col_i64(st, 3);
    }
    gh_reset(st);
    if (rc == GH_ROW || rc == GH_DONE) return GH_OK;
    return gh_db_fail(db, err, "mfa policy get");
}

gh_status gh_store_mfa_policy_put(gh_db *db, const char *org_id, const gh_mfa_policy *p, gh_err *err)
{
    PREP(db, st, "INSERT INTO org_mfa (org_id, policy, sso_counts, sso_acr, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
                 " ON CONFLICT (org_id) DO UPDATE SET policy = ?2, sso_counts = ?3, sso_acr = ?4, updated_at = ?5", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, p->policy);
    gh_bind_i64(st, 3, p->sso_counts);
    gh_bind_text(st, 4, p->sso_acr);
    gh_bind_i64(st, 5, p->updated_at);
    STEP_DONE(db, st, err, "mfa policy put");
    return GH_OK;
}
