/* The store SQL (through store/stmt.h) of store.h: users, their seats,
 * tombstones, and the indexed user list and search. */
#include <string.h>

#include "store/store.h"
#include "store/stmt.h"

/* ---- users ------------------------------------------------------------------------ */
/* An office seat is held by an active user with office access or by a
 * pending invitation that has not expired (accepting one turns it into the
 * user in the same transaction, so nothing is counted twice). */
int64_t gh_store_office_seats_used(gh_db *db, const char *org_id, int64_t now)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT (SELECT count(*) FROM users WHERE org_id = ?1 AND status = 'active' AND office_access = 1"
                                      " AND (expires_at = 0 OR expires_at > ?2))"
                                 " + (SELECT count(*) FROM invites WHERE org_id = ?1 AND status = 'pending' AND expires_at > ?2)");
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    gh_bind_i64(st, 2, now);
    int64_t n = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    return n;
}

int64_t gh_store_factory_seats_used(gh_db *db, const char *org_id, int64_t now)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM users WHERE org_id = ?1 AND status = 'active' AND factory_access = 1"
                                      " AND (expires_at = 0 OR expires_at > ?2)");
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    gh_bind_i64(st, 2, now);
    int64_t n = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    return n;
}

#define USER_COLS "id, org_id, email, name, mobile, role_key, status, email_verified, office_access," \
    " factory_access, password_hash, modules, grants, badge, pin_hash, pin_temporary, pin_failures," \
    " pin_blocked, checkin_exempt, created_at, updated_at, last_login_at, expires_at, lock_at, unlock_at, language"

static void user_row(gh_stmt *st, gh_user *u)
{
    memset(u, 0, sizeof *u);
    CP(u->id, 0); CP(u->org_id, 1); CP(u->email, 2); CP(u->name, 3); CP(u->mobile, 4);
    CP(u->role_key, 5); CP(u->status, 6);
    u->email_verified = gh_col_i64(st, 7) != 0;
    u->office_access = gh_col_i64(st, 8) != 0;
    u->factory_access = gh_col_i64(st, 9) != 0;
    CP(u->password_hash, 10);
    u->modules_all = gh_col_is_null(st, 11);
    CP(u->modules, 11); CP(u->grants, 12); CP(u->badge, 13); CP(u->pin_hash, 14);
    u->pin_temporary = gh_col_i64(st, 15) != 0;
    u->pin_failures = gh_col_i64(st, 16);
    u->pin_blocked = gh_col_i64(st, 17) != 0;
    u->checkin_exempt = gh_col_i64(st, 18) != 0;
    u->created_at = gh_col_i64(st, 19);
    u->updated_at = gh_col_i64(st, 20);
    u->last_login_at = gh_col_i64(st, 21);
    u->expires_at = gh_col_i64(st, 22);
    u->lock_at = gh_col_i64(st, 23);
    u->unlock_at = gh_col_i64(st, 24);
    CP(u->language, 25);
}

static void user_bind(gh_stmt *st, const gh_user *u)
{
    char email_norm[GH_EMAIL_MAX + 1], badge_norm[65];
    gh_ascii_lower(email_norm, u->email, sizeof email_norm);
    gh_ascii_lower(badge_norm, u->badge, sizeof badge_norm);
    gh_bind_text(st, 1, u->id); gh_bind_text(st, 2, u->org_id);
    gh_bind_text(st, 3, gh_sql_null_if_empty(u->email)); gh_bind_text(st, 4, gh_sql_null_if_empty(email_norm));
    gh_bind_text(st, 5, u->name); gh_bind_text(st, 6, u->mobile); gh_bind_text(st, 7, u->role_key);
    gh_bind_text(st, 8, u->status[0] ? u->status : "active");
    gh_bind_i64(st, 9, u->email_verified); gh_bind_i64(st, 10, u->office_access);
    gh_bind_i64(st, 11, u->factory_access); gh_bind_text(st, 12, gh_sql_null_if_empty(u->password_hash));
    gh_bind_text(st, 13, u->modules_all ? NULL : u->modules); gh_bind_text(st, 14, u->grants);
    gh_bind_text(st, 15, gh_sql_null_if_empty(u->badge)); gh_bind_text(st, 16, gh_sql_null_if_empty(badge_norm));
    gh_bind_text(st, 17, gh_sql_null_if_empty(u->pin_hash)); gh_bind_i64(st, 18, u->pin_temporary);
    gh_bind_i64(st, 19, u->pin_failures); gh_bind_i64(st, 20, u->pin_blocked);
    gh_bind_i64(st, 21, u->checkin_exempt); gh_bind_i64(st, 22, u->created_at);
    gh_bind_i64(st, 23, u->updated_at);
    if (u->last_login_at) gh_bind_i64(st, 24, u->last_login_at);
    else gh_bind_null(st, 24);
    char key[GH_NAME_KEY_MAX];
    gh_name_sort_key(u->name, key, sizeof key);
    gh_bind_text(st, 25, key);
    char skey[GH_SEARCH_KEY_MAX];
    gh_search_key(u->name, u->email, u->badge, skey, sizeof skey);
    gh_bind_text(st, 26, skey);
    gh_bind_i64(st, 27, u->expires_at);
    gh_bind_i64(st, 28, u->lock_at);
    gh_bind_i64(st, 29, u->unlock_at);
    gh_bind_text(st, 30, gh_sql_null_if_empty(u->language));
}

static gh_status user_write_result(gh_db *db, int s, gh_err *err)
{
    if (s == GH_DONE) return GH_OK;
    if (s == GH_UNIQUE) {
        if (gh_db_conflict_names(db, "badge"))
            return gh_fail_field(err, GH_E_CONFLICT, "badge_taken", "badge", "another staff member has this badge");
        return gh_fail_field(err, GH_E_CONFLICT, "email_taken", "email", "another user has this email");
    }
    if (s == GH_FOREIGN_KEY)
        return gh_fail_field(err, GH_E_INVALID, "unknown_role", "role", "no such role");
    return gh_db_fail(db, err, "user write");
}

gh_status gh_store_user_insert(gh_db *db, const gh_user *u, gh_err *err)
{
    PREP(db, st, "INSERT INTO users (id, org_id, email, email_norm, name, mobile, role_key, status,"
                 " email_verified, office_access, factory_access, password_hash, modules, grants, badge,"
                 " badge_norm, pin_hash, pin_temporary, pin_failures, pin_blocked, checkin_exempt,"
                 " created_at, updated_at, last_login_at, name_sort, search_key, expires_at, lock_at, unlock_at, language)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,"
                 "?27,?28,?29,?30)", err);
    user_bind(st, u);
    int s = gh_step(st);
    gh_reset(st);
    return user_write_result(db, s, err);
}

static gh_status user_get(gh_db *db, gh_stmt *st, gh_user *u, gh_err *err)
{
    int s = gh_step(st);
    if (s == GH_ROW) user_row(st, u);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "user_not_found", "no such user");
    return gh_db_fail(db, err, "user get");
}

gh_status gh_store_user_get(gh_db *db, const char *org_id, const char *id, gh_user *u, gh_err *err)
{
    PREP(db, st, "SELECT " USER_COLS " FROM users WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    return user_get(db, st, u, err);
}

gh_status gh_store_user_get_by_email(gh_db *db, const char *org_id, const char *email, gh_user *u, gh_err *err)
{
    char norm[GH_EMAIL_MAX + 1];
    if (!gh_ascii_lower(norm, email, sizeof norm))
        return gh_fail(err, GH_E_NOT_FOUND, "user_not_found", "no such user");
    PREP(db, st, "SELECT " USER_COLS " FROM users WHERE org_id = ?1 AND email_norm = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, norm);
    return user_get(db, st, u, err);
}

gh_status gh_store_user_get_by_badge(gh_db *db, const char *org_id, const char *badge, gh_user *u, gh_err *err)
{
    char norm[65];
    if (!gh_ascii_lower(norm, badge, sizeof norm))
        return gh_fail(err, GH_E_NOT_FOUND, "user_not_found", "no such user");
    PREP(db, st, "SELECT " USER_COLS " FROM users WHERE org_id = ?1 AND badge_norm = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, norm);
    return user_get(db, st, u, err);
}

gh_status gh_store_user_update(gh_db *db, const gh_user *u, gh_err *err)
{
    PREP(db, st, "UPDATE users SET email = ?3, email_norm = ?4, name = ?5, mobile = ?6, role_key = ?7,"
                 " status = ?8, email_verified = ?9, office_access = ?10, factory_access = ?11,"
                 " password_hash = ?12, modules = ?13, grants = ?14, badge = ?15, badge_norm = ?16,"
                 " pin_hash = ?17, pin_temporary = ?18, pin_failures = ?19, pin_blocked = ?20,"
                 " checkin_exempt = ?21, updated_at = ?23, last_login_at = ?24, name_sort = ?25,"
                 " search_key = ?26, expires_at = ?27, lock_at = ?28, unlock_at = ?29, language = ?30"
                 " WHERE id = ?1 AND org_id = ?2 AND created_at = ?22", err);
    user_bind(st, u);
    int s = gh_step(st);
    gh_reset(st);
    return user_write_result(db, s, err);
}

gh_status gh_store_user_delete(gh_db *db, const char *org_id, const char *id, gh_err *err)
{
    PREP(db, st, "DELETE FROM users WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    STEP_DONE(db, st, err, "user delete");
    return GH_OK;
}

gh_status gh_store_tombstone_insert(gh_db *db, const gh_tombstone *t, gh_err *err)
{
    PREP(db, st, "INSERT INTO user_tombstones (id, org_id, name, name_erased, deleted_at, deleted_by)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
    gh_bind_text(st, 1, t->id); gh_bind_text(st, 2, t->org_id); gh_bind_text(st, 3, t->name);
    gh_bind_i64(st, 4, t->name_erased); gh_bind_i64(st, 5, t->deleted_at); gh_bind_text(st, 6, gh_sql_null_if_empty(t->deleted_by));
    STEP_DONE(db, st, err, "tombstone insert");
    return GH_OK;
}

gh_status gh_store_tombstone_get(gh_db *db, const char *org_id, const char *id, gh_tombstone *t, gh_err *err)
{
    PREP(db, st, "SELECT id, org_id, name, name_erased, deleted_at, deleted_by FROM user_tombstones"
                 " WHERE org_id = ?1 AND id = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, id);
    int s = gh_step(st);
    if (s == GH_ROW) {
        memset(t, 0, sizeof *t);
        CP(t->id, 0); CP(t->org_id, 1); CP(t->name, 2);
        t->name_erased = gh_col_i64(st, 3) != 0;
        t->deleted_at = gh_col_i64(st, 4);
        CP(t->deleted_by, 5);
    }
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "user_not_found", "no such user");
    return gh_db_fail(db, err, "tombstone get");
}

gh_status gh_store_checkin_close_all_open(gh_db *db, const char *org_id, const char *user_id, int64_t at,
                                          const char *by, int64_t *n, gh_err *err)
{
    PREP(db, st, "UPDATE checkins SET ended_at = max(?3, started_at), status = 'paused', ended_by = ?4"
                 " WHERE org_id = ?1 AND user_id = ?2 AND ended_at IS NULL", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, user_id); gh_bind_i64(st, 3, at); gh_bind_text(st, 4, gh_sql_null_if_empty(by));
    STEP_DONE(db, st, err, "check-in close all");
    *n = gh_db_changes(db);
    return GH_OK;
}

gh_status gh_store_user_touch_login(gh_db *db, const char *id, int64_t at, gh_err *err)
{
    PREP(db, st, "UPDATE users SET last_login_at = ?2 WHERE id = ?1", err);
    gh_bind_text(st, 1, id);
    gh_bind_i64(st, 2, at);
    STEP_DONE(db, st, err, "user touch");
    return GH_OK;
}

/* The filters every user list shares (?1 org, ?2 status, ?3 role, ?5 access),
 * then the name order and ?8 the page size. With a cursor, the row value
 * (name_sort, id) > (?6, ?7) seeks in the driving index instead of walking
 * to it. */
#define USER_FILTERS \
    " AND (?2 IS NULL OR status = ?2)" \
    " AND (?3 IS NULL OR role_key = ?3)" \
    " AND (?5 = 0 OR (?5 = 1 AND office_access = 1) OR (?5 = 2 AND factory_access = 1))"
#define USER_AFTER " AND (name_sort, users.id) > (?6, ?7)"
#define USER_ORDER " ORDER BY name_sort, users.id LIMIT ?8"
#define USER_FROM_INDEX "SELECT " USER_COLS " FROM users WHERE org_id = ?1"
#define USER_FROM_SEARCH \
    "SELECT " USER_COLS " FROM users_search s CROSS JOIN user_search_ids m CROSS JOIN users" \
    " WHERE s.k MATCH ?4 AND s.oid = ?1 AND m.rid = s.rowid AND users.id = m.user_id AND users.org_id = ?1"
#define USER_KEY_HAS " AND instr(search_key, ?4) > 0"

/* A search of three characters or more that matches fewer people than this
 * is answered from the trigram index (the matches sorted by name); one that
 * matches more walks the name order and tests each key (users_org_name
 * holds search_key, so only matching rows are read), which finds a page
 * of 100 within about 100 * N / SEARCH_BROAD index entries. */
#define SEARCH_BROAD 2000

typedef enum { UQ_ALL, UQ_INDEXED, UQ_WALK } uq_mode;

/* The index a list walks in name order (migration 28): the whole org's,
 * or the one of a filter, so a rare filter value reads only its rows. */
typedef enum { BY_NAME, BY_STATUS, BY_ROLE, BY_OFFICE, BY_FACTORY, BY_COUNT } user_by;
#define USER_WALKS(w) \
    {USER_FROM_INDEX w USER_FILTERS USER_ORDER, USER_FROM_INDEX w USER_FILTERS USER_AFTER USER_ORDER, \
     USER_FROM_INDEX w USER_KEY_HAS USER_FILTERS USER_ORDER, \
     USER_FROM_INDEX w USER_KEY_HAS USER_FILTERS USER_AFTER USER_ORDER}
static const char *const user_walk_sql[BY_COUNT][4] = {
    USER_WALKS(""),
    USER_WALKS(" AND status = ?2"),
    USER_WALKS(" AND role_key = ?3"),
    USER_WALKS(" AND office_access = 1"),
    USER_WALKS(" AND factory_access = 1"),
};

typedef struct user_query {
    char q[GH_SEARCH_KEY_MAX];
    char phrase[2 * GH_SEARCH_KEY_MAX + 3];
    char after_key[GH_NAME_KEY_MAX];
    size_t qn;
    uq_mode mode;
} user_query;

static user_by user_list_by(const gh_user_filter *f)
{
    /* Most people are active: a role says more than status=active. */
    if (f->status && strcmp(f->status, "active") != 0) return BY_STATUS;
    if (f->role) return BY_ROLE;
    if (f->status) return BY_STATUS;
    if (f->access == 1) return BY_OFFICE;
    if (f->access == 2) return BY_FACTORY;
    return BY_NAME;
}

static const char *user_list_sql(gh_db *db, const char *org_id, const gh_user_filter *f, user_query *uq)
{
    uq->mode = UQ_ALL;
    if (gh_sql_search_phrase(f->q, uq->q, sizeof uq->q, &uq->qn, uq->phrase, sizeof uq->phrase)) {
        int64_t matches = gh_sql_search_count(db, "SELECT count(*) FROM (SELECT 1 FROM users_search"
                                                  " WHERE k MATCH ?1 AND oid = ?2 LIMIT ?3)",
                                              org_id, uq->phrase, SEARCH_BROAD);
        uq->mode = matches >= 0 && matches < SEARCH_BROAD ? UQ_INDEXED : UQ_WALK;
    } else if (uq->qn > 0) {
        uq->mode = UQ_WALK;
    }
    bool after = f->after_name != NULL;
    if (uq->mode == UQ_INDEXED)
        return after ? USER_FROM_SEARCH USER_FILTERS USER_AFTER USER_ORDER : USER_FROM_SEARCH USER_FILTERS USER_ORDER;
    return user_walk_sql[user_list_by(f)][(uq->mode == UQ_WALK ? 2 : 0) + (after ? 1 : 0)];
}

static void user_list_bind(gh_stmt *st, const char *org_id, const gh_user_filter *f, user_query *uq)
{
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, f->status);
    gh_bind_text(st, 3, f->role);
    if (uq->mode != UQ_ALL)
        gh_bind_text(st, 4, uq->mode == UQ_INDEXED ? uq->phrase : uq->q);
    gh_bind_i64(st, 5, f->access);
    if (f->after_name) {
        gh_name_sort_key(f->after_name, uq->after_key, sizeof uq->after_key);
        gh_bind_text(st, 6, uq->after_key);
        gh_bind_text(st, 7, f->after_id ? f->after_id : "");
    }
    gh_bind_i64(st, 8, f->limit);
}

typedef struct {
    const char *org_id;
    const gh_user_filter *f;
    user_query *uq;
} user_plan_args;

static void user_plan_bind(gh_stmt *st, void *arg)
{
    user_plan_args *a = arg;
    user_list_bind(st, a->org_id, a->f, a->uq);
}

gh_status gh_store_user_list_plan(gh_db *db, const char *org_id, const gh_user_filter *f, char *out, size_t cap,
                                  gh_err *err)
{
    user_query *uq = malloc(sizeof *uq);
    if (cap) out[0] = '\0';
    if (!uq) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    user_plan_args a = {org_id, f, uq};
    gh_status rc = gh_sql_plan(db, user_list_sql(db, org_id, f, uq), user_plan_bind, &a, out, cap, err);
    free(uq);
    return rc;
}

/* Search (issue 17): q folded like the stored keys. Three characters or
 * more matching fewer than SEARCH_BROAD people: looked up in the trigram
 * index (users_search, driven from the index: CROSS JOIN fixes the order)
 * and sorted; broader ones, and shorter ones (a trigram index cannot answer
 * them), walk users_org_name in name order testing each key. The FTS5
 * query is q as one phrase, its quotes doubled. */
gh_status gh_store_user_list(gh_db *db, const char *org_id, const gh_user_filter *f,
                             void (*fn)(const gh_user *, void *), void *arg, gh_err *err)
{
    user_query *uq = malloc(sizeof *uq);
    if (!uq) return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory");
    gh_stmt *st = gh_db_stmt(db, user_list_sql(db, org_id, f, uq));
    if (!st) { free(uq); return gh_db_fail(db, err, "prepare"); }
    user_list_bind(st, org_id, f, uq); /* bound as copies */
    free(uq);
    gh_user *u = malloc(sizeof *u);
    if (!u) { gh_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        user_row(st, u);
        fn(u, arg);
    }
    gh_reset(st);
    free(u);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "user list");
}

gh_status gh_store_user_schedule_due(gh_db *db, int64_t now, int limit, gh_user_due *out, int *n, gh_err *err)
{
    /* Each branch reads only its own partial index (migration 24). */
    PREP(db, st, "SELECT org_id, id, 'expire' FROM users WHERE expires_at > 0 AND expires_at <= ?1 AND status = 'active'"
                 " UNION ALL SELECT org_id, id, 'lock' FROM users WHERE lock_at > 0 AND lock_at <= ?1"
                 " UNION ALL SELECT org_id, id, 'unlock' FROM users WHERE unlock_at > 0 AND unlock_at <= ?1"
                 " LIMIT ?2", err);
    gh_bind_i64(st, 1, now);
    gh_bind_i64(st, 2, limit);
    *n = 0;
    int s = GH_DONE;
    while (*n < limit && (s = gh_step(st)) == GH_ROW) {
        gh_user_due *d = &out[*n];
        CP(d->org_id, 0);
        CP(d->id, 1);
        CP(d->what, 2);
        (*n)++;
    }
    if (*n == limit) s = GH_DONE;
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "user schedule");
}

gh_status gh_store_user_each(gh_db *db, const char *org_id, void (*fn)(const gh_user *, void *),
                             void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " USER_COLS " FROM users WHERE ?1 IS NULL OR org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    gh_user *u = malloc(sizeof *u);
    if (!u) { gh_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        user_row(st, u);
        fn(u, arg);
    }
    gh_reset(st);
    free(u);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "user each");
}
