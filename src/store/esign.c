/* The store SQL (through store/stmt.h) of store/esign.h: e-signature accounts and the
 * per-organization signature chain. */
#include "store/esign.h"
#include "store/stmt.h"

#include <string.h>

gh_status gh_store_esign_enabled(gh_db *db, const char *org_id, const char *user_id, bool *enabled, gh_err *err)
{
    PREP(db, st, "SELECT 1 FROM esign_accounts WHERE org_id = ?1 AND user_id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    int rc = gh_step(st);
    gh_reset(st);
    if (rc != GH_ROW && rc != GH_DONE) return gh_db_fail(db, err, "esign enabled");
    *enabled = rc == GH_ROW;
    return GH_OK;
}

gh_status gh_store_esign_set(gh_db *db, const char *org_id, const char *user_id, bool enabled, const char *by,
                             int64_t at, bool *changed, gh_err *err)
{
    if (enabled) {
        PREP(db, st, "INSERT INTO esign_accounts (org_id, user_id, enabled_by, enabled_at) VALUES (?1,?2,?3,?4)"
                     " ON CONFLICT (user_id) DO NOTHING", err);
        gh_bind_text(st, 1, org_id);
        gh_bind_text(st, 2, user_id);
        gh_bind_text(st, 3, by);
        gh_bind_i64(st, 4, at);
        STEP_DONE(db, st, err, "esign enable");
    } else {
        PREP(db, st, "DELETE FROM esign_accounts WHERE org_id = ?1 AND user_id = ?2", err);
        gh_bind_text(st, 1, org_id);
        gh_bind_text(st, 2, user_id);
        STEP_DONE(db, st, err, "esign disable");
    }
    *changed = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_sig_head(gh_db *db, const char *org_id, int64_t *seq, char hash[GH_SIG_HASH_HEX], gh_err *err)
{
    PREP(db, st, "SELECT seq, hash FROM signature_heads WHERE org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    int rc = gh_step(st);
    *seq = 0;
    hash[0] = '\0';
    if (rc == GH_ROW) {
        *seq = gh_col_i64(st, 0);
        gh_sql_copy_text(hash, GH_SIG_HASH_HEX, st, 1);
    }
    gh_reset(st);
    if (rc != GH_ROW && rc != GH_DONE) return gh_db_fail(db, err, "signature head");
    return GH_OK;
}

#define SIG_COLS                                                                                              \
    "id, org_id, seq, signer_id, signer_name, signer_email, on_behalf_id, on_behalf_name, record_type,"      \
    " record_ref, content_hash, meaning, method, signed_at, prev_hash, hash"

gh_status gh_store_sig_append(gh_db *db, const gh_signature *s, gh_err *err)
{
    {
        PREP(db, st, "INSERT INTO signatures (" SIG_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
             err);
        gh_bind_text(st, 1, s->id); gh_bind_text(st, 2, s->org_id); gh_bind_i64(st, 3, s->seq);
        gh_bind_text(st, 4, s->signer_id); gh_bind_text(st, 5, s->signer_name); gh_bind_text(st, 6, s->signer_email);
        gh_bind_text(st, 7, s->on_behalf_id); gh_bind_text(st, 8, s->on_behalf_name);
        gh_bind_text(st, 9, s->record_type); gh_bind_text(st, 10, s->record_ref);
        gh_bind_text(st, 11, s->content_hash); gh_bind_text(st, 12, s->meaning); gh_bind_text(st, 13, s->method);
        gh_bind_i64(st, 14, s->signed_at); gh_bind_text(st, 15, s->prev_hash); gh_bind_text(st, 16, s->hash);
        STEP_DONE(db, st, err, "signature insert");
    }
    PREP(db, st, "INSERT INTO signature_heads (org_id, seq, hash) VALUES (?1,?2,?3)"
                 " ON CONFLICT (org_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash", err);
    gh_bind_text(st, 1, s->org_id);
    gh_bind_i64(st, 2, s->seq);
    gh_bind_text(st, 3, s->hash);
    STEP_DONE(db, st, err, "signature head update");
    return GH_OK;
}

static void row(gh_stmt *st, gh_signature *s)
{
    memset(s, 0, sizeof *s);
    CP(s->id, 0); CP(s->org_id, 1); s->seq = gh_col_i64(st, 2);
    CP(s->signer_id, 3); CP(s->signer_name, 4); CP(s->signer_email, 5);
    CP(s->on_behalf_id, 6); CP(s->on_behalf_name, 7); CP(s->record_type, 8); CP(s->record_ref, 9);
    CP(s->content_hash, 10); CP(s->meaning, 11); CP(s->method, 12); s->signed_at = gh_col_i64(st, 13);
    CP(s->prev_hash, 14); CP(s->hash, 15);
}

gh_status gh_store_sig_each(gh_db *db, const char *org_id, const char *record_ref,
                            bool (*fn)(const gh_signature *s, void *arg), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " SIG_COLS " FROM signatures WHERE org_id = ?1 AND (?2 IS NULL OR record_ref = ?2)"
                 " ORDER BY seq", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, record_ref);
    gh_signature s;
    int rc;
    while ((rc = gh_step(st)) == GH_ROW) {
        row(st, &s);
        if (!fn(&s, arg)) { rc = GH_DONE; break; }
    }
    gh_reset(st);
    if (rc != GH_DONE) return gh_db_fail(db, err, "signature list");
    return GH_OK;
}
