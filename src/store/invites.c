/* The store SQL (through store/stmt.h) of store/invites.h. */
#include "store/invites.h"
#include "store/stmt.h"

#include <stdlib.h>
#include <string.h>

static void bind_time(gh_stmt *st, int i, int64_t t)
{
    if (t) gh_bind_i64(st, i, t);
    else gh_bind_null(st, i);
}

/* Columns of every SELECT below; the inviter's name comes from a join. */
#define INVITE_COLS "i.id, i.org_id, i.email, i.role_key, i.invited_by, coalesce(u.name, ''), i.token_hash," \
    " i.status, i.created_at, i.sent_at, i.expires_at, i.accepted_at, i.cancelled_at, i.user_id"
#define INVITE_FROM " FROM invites i LEFT JOIN users u ON u.id = i.invited_by"

static void invite_row(gh_stmt *st, gh_invite *v)
{
    memset(v, 0, sizeof *v);
    CP(v->id, 0); CP(v->org_id, 1); CP(v->email, 2); CP(v->role_key, 3); CP(v->invited_by, 4);
    CP(v->invited_by_name, 5); CP(v->token_hash, 6); CP(v->status, 7);
    v->created_at = gh_col_i64(st, 8);
    v->sent_at = gh_col_i64(st, 9);
    v->expires_at = gh_col_i64(st, 10);
    v->accepted_at = gh_col_i64(st, 11);
    v->cancelled_at = gh_col_i64(st, 12);
    CP(v->user_id, 13);
}

gh_status gh_store_invite_insert(gh_db *db, const gh_invite *v, gh_err *err)
{
    char norm[GH_EMAIL_MAX + 1];
    gh_ascii_lower(norm, v->email, sizeof norm);
    PREP(db, st, "INSERT INTO invites (id, org_id, email, email_norm, role_key, invited_by, token_hash, status,"
                 " created_at, sent_at, expires_at, accepted_at, cancelled_at, user_id)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)", err);
    gh_bind_text(st, 1, v->id); gh_bind_text(st, 2, v->org_id); gh_bind_text(st, 3, v->email);
    gh_bind_text(st, 4, norm); gh_bind_text(st, 5, v->role_key); gh_bind_text(st, 6, gh_sql_null_if_empty(v->invited_by));
    gh_bind_text(st, 7, v->token_hash); gh_bind_text(st, 8, v->status[0] ? v->status : "pending");
    gh_bind_i64(st, 9, v->created_at); gh_bind_i64(st, 10, v->sent_at); gh_bind_i64(st, 11, v->expires_at);
    bind_time(st, 12, v->accepted_at); bind_time(st, 13, v->cancelled_at); gh_bind_text(st, 14, gh_sql_null_if_empty(v->user_id));
    int s = gh_step(st);
    gh_reset(st);
    if (s == GH_UNIQUE)
        return gh_fail_field(err, GH_E_CONFLICT, "already_invited", "email", "this address already has a pending invitation");
    if (s != GH_DONE) return gh_db_fail(db, err, "invite insert");
    return GH_OK;
}

gh_status gh_store_invite_update(gh_db *db, const gh_invite *v, gh_err *err)
{
    PREP(db, st, "UPDATE invites SET role_key = ?3, invited_by = ?4, token_hash = ?5, status = ?6, sent_at = ?7,"
                 " expires_at = ?8, accepted_at = ?9, cancelled_at = ?10, user_id = ?11"
                 " WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, v->org_id); gh_bind_text(st, 2, v->id); gh_bind_text(st, 3, v->role_key);
    gh_bind_text(st, 4, gh_sql_null_if_empty(v->invited_by)); gh_bind_text(st, 5, v->token_hash); gh_bind_text(st, 6, v->status);
    gh_bind_i64(st, 7, v->sent_at); gh_bind_i64(st, 8, v->expires_at); bind_time(st, 9, v->accepted_at);
    bind_time(st, 10, v->cancelled_at); gh_bind_text(st, 11, gh_sql_null_if_empty(v->user_id));
    int s = gh_step(st);
    gh_reset(st);
    if (s == GH_UNIQUE)
        return gh_fail_field(err, GH_E_CONFLICT, "already_invited", "email", "this address already has a pending invitation");
    if (s != GH_DONE) return gh_db_fail(db, err, "invite update");
    if (gh_db_changes(db) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "invite_not_found", "no such invitation");
    return GH_OK;
}

gh_status gh_store_invite_cancel_by_inviter(gh_db *db, const char *org_id, const char *user_id, int64_t at, int64_t *n,
                                            gh_err *err)
{
    PREP(db, st, "UPDATE invites SET status = 'cancelled', cancelled_at = ?3"
                 " WHERE org_id = ?1 AND invited_by = ?2 AND status = 'pending'", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, user_id); gh_bind_i64(st, 3, at);
    int s = gh_step(st);
    gh_reset(st);
    if (s != GH_DONE) return gh_db_fail(db, err, "invite cancel");
    *n = gh_db_changes(db);
    return GH_OK;
}

static gh_status invite_get(gh_db *db, gh_stmt *st, gh_invite *v, gh_err *err)
{
    int s = gh_step(st);
    if (s == GH_ROW) invite_row(st, v);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "invite_not_found", "no such invitation");
    return gh_db_fail(db, err, "invite get");
}

gh_status gh_store_invite_get(gh_db *db, const char *org_id, const char *id, gh_invite *v, gh_err *err)
{
    PREP(db, st, "SELECT " INVITE_COLS INVITE_FROM " WHERE i.org_id = ?1 AND i.id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    return invite_get(db, st, v, err);
}

gh_status gh_store_invite_get_by_token(gh_db *db, const char *token_hash, gh_invite *v, gh_err *err)
{
    PREP(db, st, "SELECT " INVITE_COLS INVITE_FROM " WHERE i.token_hash = ?1", err);
    gh_bind_text(st, 1, token_hash);
    return invite_get(db, st, v, err);
}

gh_status gh_store_invite_get_pending(gh_db *db, const char *org_id, const char *email, gh_invite *v, gh_err *err)
{
    char norm[GH_EMAIL_MAX + 1];
    if (!gh_ascii_lower(norm, email, sizeof norm))
        return gh_fail(err, GH_E_NOT_FOUND, "invite_not_found", "no such invitation");
    PREP(db, st, "SELECT " INVITE_COLS INVITE_FROM
                 " WHERE i.org_id = ?1 AND i.email_norm = ?2 AND i.status = 'pending'", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, norm);
    return invite_get(db, st, v, err);
}

/* Pending invitations in (created_at, id) order from invites_org_status,
 * after the cursor (?2, ?3), ?4 a page. A q of three characters or more
 * that fewer than SEARCH_BROAD invitations match is answered from the
 * trigram index (invites_search, migration 28: the matches sorted); a
 * broader or shorter one walks the list's index testing each address. */
#define SEARCH_BROAD 2000
#define INVITE_PENDING " AND i.status = 'pending' AND (?3 IS NULL OR i.created_at > ?2 OR (i.created_at = ?2 AND i.id > ?3))"
#define INVITE_ORDER " ORDER BY i.created_at, i.id LIMIT ?4"
#define INVITE_LIST "SELECT " INVITE_COLS INVITE_FROM " WHERE i.org_id = ?1"
#define INVITE_SEARCH \
    "SELECT " INVITE_COLS " FROM invites_search s CROSS JOIN invite_search_ids x CROSS JOIN invites i" \
    " LEFT JOIN users u ON u.id = i.invited_by" \
    " WHERE s.k MATCH ?5 AND s.oid = ?1 AND x.rid = s.rowid AND i.id = x.invite_id AND i.org_id = ?1"

typedef struct invite_query {
    char q[GH_SEARCH_KEY_MAX];
    char phrase[2 * GH_SEARCH_KEY_MAX + 3];
    size_t qn;
    bool indexed;
} invite_query;

static const char *invite_list_sql(gh_db *db, const char *org_id, const gh_invite_filter *f, invite_query *iq)
{
    iq->indexed = false;
    if (gh_sql_search_phrase(f->q, iq->q, sizeof iq->q, &iq->qn, iq->phrase, sizeof iq->phrase)) {
        int64_t n = gh_sql_search_count(db, "SELECT count(*) FROM (SELECT 1 FROM invites_search"
                                            " WHERE k MATCH ?1 AND oid = ?2 LIMIT ?3)",
                                        org_id, iq->phrase, SEARCH_BROAD);
        iq->indexed = n >= 0 && n < SEARCH_BROAD;
    }
    if (iq->indexed) return INVITE_SEARCH INVITE_PENDING INVITE_ORDER;
    if (iq->qn) return INVITE_LIST " AND instr(gh_search_key(i.email, NULL, NULL), ?5) > 0" INVITE_PENDING INVITE_ORDER;
    return INVITE_LIST INVITE_PENDING INVITE_ORDER;
}

static void invite_list_bind(gh_stmt *st, const char *org_id, const gh_invite_filter *f, const invite_query *iq)
{
    gh_bind_text(st, 1, org_id);
    gh_bind_i64(st, 2, f->after_created);
    gh_bind_text(st, 3, f->after_id);
    gh_bind_i64(st, 4, f->limit);
    if (iq->qn) gh_bind_text(st, 5, iq->indexed ? iq->phrase : iq->q);
}

typedef struct {
    const char *org_id;
    const gh_invite_filter *f;
    const invite_query *iq;
} invite_plan_args;

static void invite_plan_bind(gh_stmt *st, void *arg)
{
    invite_plan_args *a = arg;
    invite_list_bind(st, a->org_id, a->f, a->iq);
}

gh_status gh_store_invite_list_plan(gh_db *db, const char *org_id, const gh_invite_filter *f, char *out, size_t cap,
                                    gh_err *err)
{
    invite_query *iq = malloc(sizeof *iq);
    if (cap) out[0] = '\0';
    if (!iq) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    invite_plan_args a = {org_id, f, iq};
    gh_status rc = gh_sql_plan(db, invite_list_sql(db, org_id, f, iq), invite_plan_bind, &a, out, cap, err);
    free(iq);
    return rc;
}

gh_status gh_store_invite_list_pending(gh_db *db, const char *org_id, const gh_invite_filter *f,
                                       void (*fn)(const gh_invite *, void *), void *arg, gh_err *err)
{
    invite_query *iq = malloc(sizeof *iq);
    if (!iq) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    gh_stmt *st = gh_db_stmt(db, invite_list_sql(db, org_id, f, iq));
    if (!st) { free(iq); return gh_db_fail(db, err, "prepare"); }
    invite_list_bind(st, org_id, f, iq); /* bound as copies */
    free(iq);
    gh_invite *v = malloc(sizeof *v);
    if (!v) { gh_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        invite_row(st, v);
        fn(v, arg);
    }
    gh_reset(st);
    free(v);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "invite list");
}
