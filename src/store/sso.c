/* The store SQL (through store/stmt.h) of store.h: SSO configurations and linked identities. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/stmt.h"

void gh_sso_row_release(gh_sso_row *row)
{
    free(row->config);
    row->config = NULL;
}

gh_status gh_store_sso_get(gh_db *db, const char *org_id, gh_sso_row *row, gh_err *err)
{
    memset(row, 0, sizeof *row);
    PREP(db, st, "SELECT org_id, protocol, config, client_secret, secret_kid, required, break_glass,"
                 " last_test_at, last_error, created_at, updated_at FROM org_sso WHERE org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    int s = gh_step(st);
    if (s == GH_DONE) {
        gh_reset(st);
        return gh_fail(err, GH_E_NOT_FOUND, "sso_not_configured", "this organization has no company sign-in");
    }
    if (s != GH_ROW) {
        gh_reset(st);
        return gh_db_fail(db, err, "sso get");
    }
    CP(row->org_id, 0);
    CP(row->protocol, 1);
    row->config = strdup(gh_col_text(st, 2));
    CP(row->client_secret, 3);
    CP(row->secret_kid, 4);
    row->required = gh_col_i64(st, 5) != 0;
    CP(row->break_glass, 6);
    row->last_test_at = gh_col_i64(st, 7);
    CP(row->last_error, 8);
    row->created_at = gh_col_i64(st, 9);
    row->updated_at = gh_col_i64(st, 10);
    gh_reset(st);
    if (!row->config) return gh_fail(err, GH_E_INTERNAL, "out_of_memory", "out of memory");
    return GH_OK;
}

gh_status gh_store_sso_put(gh_db *db, const gh_sso_row *row, gh_err *err)
{
    PREP(db, st, "INSERT INTO org_sso (org_id, protocol, config, client_secret, secret_kid, required, break_glass,"
                 " last_test_at, last_error, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                 " ON CONFLICT (org_id) DO UPDATE SET protocol = ?2, config = ?3, client_secret = ?4,"
                 " secret_kid = ?5, required = ?6, break_glass = ?7, last_test_at = ?8, last_error = ?9,"
                 " updated_at = ?11", err);
    gh_bind_text(st, 1, row->org_id);
    gh_bind_text(st, 2, row->protocol);
    gh_bind_text(st, 3, row->config ? row->config : "{}");
    gh_bind_text(st, 4, row->client_secret);
    gh_bind_text(st, 5, row->secret_kid);
    gh_bind_i64(st, 6, row->required ? 1 : 0);
    gh_bind_text(st, 7, row->break_glass);
    gh_bind_i64(st, 8, row->last_test_at);
    gh_bind_text(st, 9, row->last_error);
    gh_bind_i64(st, 10, row->created_at);
    gh_bind_i64(st, 11, row->updated_at);
    STEP_DONE(db, st, err, "sso put");
    return GH_OK;
}

gh_status gh_store_sso_session_insert(gh_db *db, const char *session_id, const char *org_id, const char *endpoint,
                                      const char *id_token_sealed, gh_err *err)
{
    PREP(db, st, "INSERT INTO sso_sessions (session_id, org_id, end_session_endpoint, id_token) VALUES (?1, ?2, ?3, ?4)",
         err);
    gh_bind_text(st, 1, session_id);
    gh_bind_text(st, 2, org_id);
    gh_bind_text(st, 3, endpoint);
    gh_bind_text(st, 4, id_token_sealed);
    STEP_DONE(db, st, err, "sso session insert");
    return GH_OK;
}

gh_status gh_store_sso_session_get(gh_db *db, const char *session_id, char **endpoint, char **id_token_sealed,
                                   gh_err *err)
{
    *endpoint = *id_token_sealed = NULL;
    PREP(db, st, "SELECT end_session_endpoint, id_token FROM sso_sessions WHERE session_id = ?1", err);
    gh_bind_text(st, 1, session_id);
    int s = gh_step(st);
    if (s == GH_ROW) {
        *endpoint = strdup(gh_col_text(st, 0));
        *id_token_sealed = strdup(gh_col_text(st, 1));
    }
    gh_reset(st);
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "sso_session_not_found", "no IdP logout for this session");
    if (s != GH_ROW) return gh_db_fail(db, err, "sso session get");
    if (!*endpoint || !*id_token_sealed) {
        free(*endpoint);
        free(*id_token_sealed);
        *endpoint = *id_token_sealed = NULL;
        return gh_fail(err, GH_E_INTERNAL, "out_of_memory", "out of memory");
    }
    return GH_OK;
}

gh_status gh_store_sso_domains_clear(gh_db *db, const char *org_id, gh_err *err)
{
    PREP(db, st, "DELETE FROM sso_domains WHERE org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    STEP_DONE(db, st, err, "sso domains clear");
    return GH_OK;
}

gh_status gh_store_sso_domain_add(gh_db *db, const char *org_id, const char *domain, gh_err *err)
{
    PREP(db, st, "INSERT INTO sso_domains (domain, org_id) VALUES (?1, ?2)", err);
    gh_bind_text(st, 1, domain);
    gh_bind_text(st, 2, org_id);
    int s = gh_step(st);
    gh_reset(st);
    if (s == GH_UNIQUE)
        return gh_fail_field(err, GH_E_CONFLICT, "domain_taken", "domains",
                             "%s is already declared by another organization; a domain can lead to one IdP only",
                             domain);
    if (s != GH_DONE) return gh_db_fail(db, err, "sso domain add");
    return GH_OK;
}

gh_status gh_store_sso_domain_org(gh_db *db, const char *domain, char org_id[GH_ID_MAX], gh_err *err)
{
    PREP(db, st, "SELECT org_id FROM sso_domains WHERE domain = ?1", err);
    gh_bind_text(st, 1, domain);
    int s = gh_step(st);
    if (s == GH_ROW) gh_sql_copy_text(org_id, GH_ID_MAX, st, 0);
    gh_reset(st);
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "sso_not_configured", "no company sign-in here");
    if (s != GH_ROW) return gh_db_fail(db, err, "sso domain find");
    return GH_OK;
}

gh_status gh_store_sso_delete(gh_db *db, const char *org_id, gh_err *err)
{
    gh_status rc = gh_store_sso_domains_clear(db, org_id, err);
    if (rc != GH_OK) return rc;
    PREP(db, st, "DELETE FROM org_sso WHERE org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    STEP_DONE(db, st, err, "sso delete");
    if (gh_db_changes(db) == 0)
        return gh_fail(err, GH_E_NOT_FOUND, "sso_not_configured", "this organization has no company sign-in");
    return GH_OK;
}

gh_status gh_store_sso_set_test(gh_db *db, const char *org_id, int64_t at, const char *error, gh_err *err)
{
    PREP(db, st, "UPDATE org_sso SET last_test_at = ?2, last_error = ?3 WHERE org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_i64(st, 2, at);
    gh_bind_text(st, 3, error ? error : "");
    STEP_DONE(db, st, err, "sso test");
    return GH_OK;
}

gh_status gh_store_sso_policy(gh_db *db, const char *org_id, bool *required,
                              char break_glass[GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX], gh_err *err)
{
    *required = false;
    break_glass[0] = '\0';
    PREP(db, st, "SELECT required, break_glass FROM org_sso WHERE org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    int s = gh_step(st);
    if (s == GH_ROW) {
        *required = gh_col_i64(st, 0) != 0;
        gh_strlcpy(break_glass, gh_col_text(st, 1), GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX);
    }
    gh_reset(st);
    if (s != GH_ROW && s != GH_DONE) return gh_db_fail(db, err, "sso policy");
    return GH_OK;
}

gh_status gh_store_identity_insert(gh_db *db, const gh_identity *i, gh_err *err)
{
    PREP(db, st, "INSERT INTO identities (id, org_id, user_id, kind, issuer, subject, created_at, last_used_at)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
    gh_bind_text(st, 1, i->id);
    gh_bind_text(st, 2, i->org_id);
    gh_bind_text(st, 3, i->user_id);
    gh_bind_text(st, 4, i->kind);
    gh_bind_text(st, 5, i->issuer);
    gh_bind_text(st, 6, i->subject);
    gh_bind_i64(st, 7, i->created_at);
    gh_bind_i64(st, 8, i->last_used_at);
    int s = gh_step(st);
    gh_reset(st);
    if (s == GH_UNIQUE)
        return gh_fail(err, GH_E_CONFLICT, "identity_linked", "this outside identity is linked to someone already");
    if (s != GH_DONE) return gh_db_fail(db, err, "identity insert");
    return GH_OK;
}

gh_status gh_store_identity_find(gh_db *db, const char *org_id, const char *kind, const char *issuer,
                                 const char *subject, gh_identity *i, gh_err *err)
{
    memset(i, 0, sizeof *i);
    PREP(db, st, "SELECT id, org_id, user_id, kind, issuer, subject, created_at, last_used_at FROM identities"
                 " WHERE org_id = ?1 AND kind = ?2 AND issuer = ?3 AND subject = ?4", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, kind);
    gh_bind_text(st, 3, issuer);
    gh_bind_text(st, 4, subject);
    int s = gh_step(st);
    if (s == GH_ROW) {
        CP(i->id, 0); CP(i->org_id, 1); CP(i->user_id, 2); CP(i->kind, 3);
        CP(i->issuer, 4); CP(i->subject, 5);
        i->created_at = gh_col_i64(st, 6);
        i->last_used_at = gh_col_i64(st, 7);
    }
    gh_reset(st);
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "identity_not_found", "nobody is linked to this identity");
    if (s != GH_ROW) return gh_db_fail(db, err, "identity find");
    return GH_OK;
}

gh_status gh_store_identity_touch(gh_db *db, const char *org_id, const char *id, int64_t at, gh_err *err)
{
    PREP(db, st, "UPDATE identities SET last_used_at = ?3 WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    gh_bind_i64(st, 3, at);
    STEP_DONE(db, st, err, "identity touch");
    return GH_OK;
}

int64_t gh_store_identity_count_for_user(gh_db *db, const char *org_id, const char *user_id)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM identities WHERE org_id = ?1 AND user_id = ?2");
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    int64_t n = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    return n;
}

static void identity_row(gh_stmt *st, gh_identity *i)
{
    CP(i->id, 0); CP(i->org_id, 1); CP(i->user_id, 2); CP(i->kind, 3);
    CP(i->issuer, 4); CP(i->subject, 5);
    i->created_at = gh_col_i64(st, 6);
    i->last_used_at = gh_col_i64(st, 7);
}

gh_status gh_store_identity_list(gh_db *db, const char *org_id, const char *user_id, gh_identity *out, size_t cap,
                                 size_t *n, gh_err *err)
{
    *n = 0;
    PREP(db, st, "SELECT id, org_id, user_id, kind, issuer, subject, created_at, last_used_at FROM identities"
                 " WHERE org_id = ?1 AND user_id = ?2 ORDER BY created_at, id", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    int s;
    while ((s = gh_step(st)) == GH_ROW && *n < cap) identity_row(st, &out[(*n)++]);
    gh_reset(st);
    if (s != GH_ROW && s != GH_DONE) return gh_db_fail(db, err, "identity list");
    return GH_OK;
}

gh_status gh_store_identity_delete(gh_db *db, const char *org_id, const char *user_id, const char *id,
                                   gh_identity *removed, gh_err *err)
{
    memset(removed, 0, sizeof *removed);
    PREP(db, st, "DELETE FROM identities WHERE org_id = ?1 AND user_id = ?2 AND id = ?3"
                 " RETURNING id, org_id, user_id, kind, issuer, subject, created_at, last_used_at", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, id);
    int s = gh_step(st);
    if (s == GH_ROW) identity_row(st, removed);
    int done = s == GH_ROW ? gh_step(st) : s;
    gh_reset(st);
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "identity_not_found", "this person has no such linked identity");
    if (s != GH_ROW || done != GH_DONE) return gh_db_fail(db, err, "identity delete");
    return GH_OK;
}

gh_status gh_store_sso_state_insert(gh_db *db, const gh_sso_state *s, gh_err *err)
{
    PREP(db, st, "INSERT INTO sso_states (state_hash, org_id, verifier, purpose, user_id, created_at, expires_at)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", err);
    gh_bind_text(st, 1, s->state_hash);
    gh_bind_text(st, 2, s->org_id);
    gh_bind_text(st, 3, s->verifier);
    gh_bind_text(st, 4, s->purpose);
    gh_bind_text(st, 5, s->user_id);
    gh_bind_i64(st, 6, s->created_at);
    gh_bind_i64(st, 7, s->expires_at);
    STEP_DONE(db, st, err, "sso state insert");
    return GH_OK;
}

gh_status gh_store_sso_state_get(gh_db *db, const char *state_hash, gh_sso_state *s, gh_err *err)
{
    memset(s, 0, sizeof *s);
    {
        PREP(db, st, "SELECT state_hash, org_id, verifier, purpose, user_id, created_at, expires_at, used_at"
                     " FROM sso_states WHERE state_hash = ?1", err);
        gh_bind_text(st, 1, state_hash);
        int r = gh_step(st);
        if (r == GH_ROW) {
            CP(s->state_hash, 0); CP(s->org_id, 1); CP(s->verifier, 2); CP(s->purpose, 3); CP(s->user_id, 4);
            s->created_at = gh_col_i64(st, 5);
            s->expires_at = gh_col_i64(st, 6);
            s->used_at = gh_col_i64(st, 7);
        }
        gh_reset(st);
        if (r == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "sso_state_invalid", "unknown sign-in state");
        if (r != GH_ROW) return gh_db_fail(db, err, "sso state get");
    }
    return GH_OK;
}

gh_status gh_store_sso_state_take(gh_db *db, const char *state_hash, int64_t now, gh_sso_state *s, gh_err *err)
{
    gh_status rc = gh_store_sso_state_get(db, state_hash, s, err);
    if (rc != GH_OK || s->used_at) return rc;
    PREP(db, up, "UPDATE sso_states SET used_at = ?2 WHERE state_hash = ?1 AND used_at = 0", err);
    gh_bind_text(up, 1, state_hash);
    gh_bind_i64(up, 2, now);
    STEP_DONE(db, up, err, "sso state take");
    return GH_OK;
}

gh_status gh_store_sso_state_purge(gh_db *db, int64_t before, gh_err *err)
{
    PREP(db, st, "DELETE FROM sso_states WHERE expires_at < ?1", err);
    gh_bind_i64(st, 1, before);
    STEP_DONE(db, st, err, "sso state purge");
    return GH_OK;
}

gh_status gh_store_sso_state_prove(gh_db *db, const char *state_hash, int64_t at, bool mfa, gh_err *err)
{
    PREP(db, st, "UPDATE sso_states SET proved_at = ?2, proved_mfa = ?3 WHERE state_hash = ?1", err);
    gh_bind_text(st, 1, state_hash);
    gh_bind_i64(st, 2, at);
    gh_bind_i64(st, 3, mfa ? 1 : 0);
    STEP_DONE(db, st, err, "sso state prove");
    return GH_OK;
}

gh_status gh_store_sso_reauth_consume(gh_db *db, const char *org_id, const char *user_id, const char *purpose,
                                      int64_t since, bool *found, bool *mfa, gh_err *err)
{
    *found = false;
    if (mfa) *mfa = false;
    PREP(db, st, "UPDATE sso_states SET proved_at = -1 WHERE state_hash = (SELECT state_hash FROM sso_states"
                 " WHERE org_id = ?1 AND user_id = ?2 AND purpose = ?3 AND proved_at > 0 AND proved_at >= ?4"
                 " ORDER BY proved_at DESC, rowid DESC LIMIT 1) RETURNING proved_mfa", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, purpose);
    gh_bind_i64(st, 4, since);
    int r = gh_step(st);
    if (r == GH_ROW) {
        *found = true;
        if (mfa) *mfa = gh_col_i64(st, 0) != 0;
        r = gh_step(st);
    }
    gh_reset(st);
    if (r != GH_DONE) return gh_fail(err, GH_E_INTERNAL, "internal", "sso reauth consume failed");
    return GH_OK;
}

/* ---- SAML service-provider keys and seen assertions ----------------------------- */
gh_status gh_store_saml_key_get(gh_db *db, const char *org_id, char **cert_pem, char **key_sealed, gh_err *err)
{
    *cert_pem = *key_sealed = NULL;
    PREP(db, st, "SELECT cert_pem, key_sealed FROM saml_sp_keys WHERE org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    int r = gh_step(st);
    if (r == GH_ROW) {
        *cert_pem = strdup(gh_col_text(st, 0));
        *key_sealed = strdup(gh_col_text(st, 1));
    }
    gh_reset(st);
    if (r == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "saml_key_missing", "no SAML signing key yet");
    if (r != GH_ROW) return gh_db_fail(db, err, "saml key get");
    if (!*cert_pem || !*key_sealed) {
        free(*cert_pem);
        free(*key_sealed);
        *cert_pem = *key_sealed = NULL;
        return gh_fail(err, GH_E_INTERNAL, "out_of_memory", "out of memory");
    }
    return GH_OK;
}

gh_status gh_store_saml_key_insert(gh_db *db, const char *org_id, const char *cert_pem, const char *key_sealed,
                                   int64_t at, gh_err *err)
{
    PREP(db, st, "INSERT INTO saml_sp_keys (org_id, cert_pem, key_sealed, created_at) VALUES (?1, ?2, ?3, ?4)"
                 " ON CONFLICT (org_id) DO NOTHING", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, cert_pem);
    gh_bind_text(st, 3, key_sealed);
    gh_bind_i64(st, 4, at);
    STEP_DONE(db, st, err, "saml key insert");
    return GH_OK;
}

gh_status gh_store_saml_seen(gh_db *db, const char *org_id, const char *assertion_id, int64_t now, int64_t expires_at,
                             bool *fresh, gh_err *err)
{
    *fresh = false;
    {
        PREP(db, st, "DELETE FROM saml_seen WHERE expires_at < ?1", err);
        gh_bind_i64(st, 1, now);
        STEP_DONE(db, st, err, "saml seen purge");
    }
    PREP(db, st, "INSERT INTO saml_seen (org_id, assertion_id, expires_at) VALUES (?1, ?2, ?3)"
                 " ON CONFLICT (org_id, assertion_id) DO NOTHING", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, assertion_id);
    gh_bind_i64(st, 3, expires_at);
    STEP_DONE(db, st, err, "saml seen");
    *fresh = gh_db_changes(db) == 1;
    return GH_OK;
}

gh_status gh_store_sso_state_set_verifier(gh_db *db, const char *state_hash, const char *verifier, gh_err *err)
{
    PREP(db, st, "UPDATE sso_states SET verifier = ?2 WHERE state_hash = ?1", err);
    gh_bind_text(st, 1, state_hash);
    gh_bind_text(st, 2, verifier);
    STEP_DONE(db, st, err, "sso state verifier");
    return GH_OK;
}
