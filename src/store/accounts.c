/* SQLite implementation of store.h: organizations, roles, users, sessions and
 * single-use tokens. */
/* Over 600 lines: the SQL of the account tables (organizations, roles,
 * users, sessions, single-use tokens), one short function per query. */
#include <string.h>

#include "store/store.h"
#include "store/sqlite_int.h"

/* ---- orgs ---------------------------------------------------------------------- */
#define ORG_COLS "id, slug, name, template, modules, addons, seats_office, seats_factory," \
    " session_idle_s, session_max_s, invite_ttl_s, single_task_checkin, kiosk_pin_min," \
    " kiosk_enrolled_devices_only, kiosk_idle_s, kiosk_session_s, created_at, ip_allowlist, erase_deleted_names," \
    " device_idle_s, device_session_s"

static void org_row(sqlite3_stmt *st, gh_org *o)
{
    memset(o, 0, sizeof *o);
    CP(o->id, 0); CP(o->slug, 1); CP(o->name, 2); CP(o->template_set, 3);
    CP(o->modules, 4); CP(o->addons, 5);
    o->seats_office = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 6);
    o->seats_factory = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
    o->session_idle_s = sqlite3_column_int64(st, 8);
    o->session_max_s = sqlite3_column_int64(st, 9);
    o->invite_ttl_s = sqlite3_column_int64(st, 10);
    o->single_task_checkin = sqlite3_column_int64(st, 11) != 0;
    o->kiosk_pin_min = sqlite3_column_int64(st, 12);
    o->kiosk_enrolled_devices_only = sqlite3_column_int64(st, 13) != 0;
    o->kiosk_idle_s = sqlite3_column_int64(st, 14);
    o->kiosk_session_s = sqlite3_column_int64(st, 15);
    o->created_at = sqlite3_column_int64(st, 16);
    CP(o->ip_allowlist, 17);
    o->erase_deleted_names = sqlite3_column_int64(st, 18) != 0;
    o->device_idle_s = sqlite3_column_int64(st, 19);
    o->device_session_s = sqlite3_column_int64(st, 20);
}

static void bind_seats(sqlite3_stmt *st, int i, int64_t v)
{
    if (v < 0) sqlite3_bind_null(st, i);
    else gh_bind_i64(st, i, v);
}

static void org_bind(sqlite3_stmt *st, const gh_org *o)
{
    gh_bind_text(st, 1, o->id); gh_bind_text(st, 2, o->slug); gh_bind_text(st, 3, o->name);
    gh_bind_text(st, 4, o->template_set); gh_bind_text(st, 5, o->modules); gh_bind_text(st, 6, o->addons);
    bind_seats(st, 7, o->seats_office); bind_seats(st, 8, o->seats_factory);
    gh_bind_i64(st, 9, o->session_idle_s); gh_bind_i64(st, 10, o->session_max_s);
    gh_bind_i64(st, 11, o->invite_ttl_s); gh_bind_i64(st, 12, o->single_task_checkin);
    gh_bind_i64(st, 13, o->kiosk_pin_min); gh_bind_i64(st, 14, o->kiosk_enrolled_devices_only);
    gh_bind_i64(st, 15, o->kiosk_idle_s); gh_bind_i64(st, 16, o->kiosk_session_s);
    gh_bind_i64(st, 17, o->created_at); gh_bind_text(st, 18, o->ip_allowlist);
    gh_bind_i64(st, 19, o->erase_deleted_names);
    gh_bind_i64(st, 20, o->device_idle_s); gh_bind_i64(st, 21, o->device_session_s);
}

int64_t gh_store_org_count(gh_db *db)
{
    sqlite3_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM orgs");
    if (!st) return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

gh_status gh_store_org_insert(gh_db *db, const gh_org *o, gh_err *err)
{
    PREP(db, st, "INSERT INTO orgs (" ORG_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)", err);
    org_bind(st, o);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    if (s == SQLITE_CONSTRAINT_UNIQUE || s == SQLITE_CONSTRAINT_PRIMARYKEY)
        return gh_fail_field(err, GH_E_CONFLICT, "org_exists", "org.slug", "an organization with this slug exists");
    if (s != SQLITE_DONE) return gh_db_fail(db, err, "org insert");
    return GH_OK;
}

static gh_status org_get(gh_db *db, sqlite3_stmt *st, gh_org *o, gh_err *err)
{
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) org_row(st, o);
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return GH_OK;
    if (s == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "org_not_found", "no such organization");
    return gh_db_fail(db, err, "org get");
}

gh_status gh_store_org_get(gh_db *db, const char *id, gh_org *o, gh_err *err)
{
    PREP(db, st, "SELECT " ORG_COLS " FROM orgs WHERE id = ?1", err);
    gh_bind_text(st, 1, id);
    return org_get(db, st, o, err);
}

gh_status gh_store_org_get_by_slug(gh_db *db, const char *slug, gh_org *o, gh_err *err)
{
    PREP(db, st, "SELECT " ORG_COLS " FROM orgs WHERE slug = ?1", err);
    gh_bind_text(st, 1, slug);
    return org_get(db, st, o, err);
}

gh_status gh_store_org_get_single(gh_db *db, gh_org *o, gh_err *err)
{
    if (gh_store_org_count(db) != 1)
        return gh_fail(err, GH_E_NOT_FOUND, "org_not_found", "name the organization");
    PREP(db, st, "SELECT " ORG_COLS " FROM orgs LIMIT 1", err);
    return org_get(db, st, o, err);
}

gh_status gh_store_org_update(gh_db *db, const gh_org *o, gh_err *err)
{
    PREP(db, st, "UPDATE orgs SET slug = ?2, name = ?3, template = ?4, modules = ?5, addons = ?6,"
                 " seats_office = ?7, seats_factory = ?8, session_idle_s = ?9, session_max_s = ?10,"
                 " invite_ttl_s = ?11, single_task_checkin = ?12, kiosk_pin_min = ?13,"
                 " kiosk_enrolled_devices_only = ?14, kiosk_idle_s = ?15, kiosk_session_s = ?16,"
                 " ip_allowlist = ?18, erase_deleted_names = ?19, device_idle_s = ?20, device_session_s = ?21"
                 " WHERE id = ?1 AND created_at = ?17", err);
    org_bind(st, o);
    STEP_DONE(db, st, err, "org update");
    return GH_OK;
}

gh_status gh_store_org_each(gh_db *db, void (*fn)(const gh_org *, void *), void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " ORG_COLS " FROM orgs ORDER BY slug", err);
    gh_org o;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        org_row(st, &o);
        fn(&o, arg);
    }
    sqlite3_reset(st);
    return s == SQLITE_DONE ? GH_OK : gh_db_fail(db, err, "org each");
}

/* ---- roles --------------------------------------------------------------------- */
#define ROLE_COLS "org_id, key, name, description, permissions, device, from_template, created_at, updated_at"

static void role_row(sqlite3_stmt *st, gh_role *r)
{
    memset(r, 0, sizeof *r);
    CP(r->org_id, 0); CP(r->key, 1); CP(r->name, 2); CP(r->description, 3); CP(r->permissions, 4);
    r->device = sqlite3_column_int64(st, 5) != 0;
    r->from_template = sqlite3_column_int64(st, 6) != 0;
    r->created_at = sqlite3_column_int64(st, 7);
    r->updated_at = sqlite3_column_int64(st, 8);
}

static void role_bind(sqlite3_stmt *st, const gh_role *r)
{
    gh_bind_text(st, 1, r->org_id); gh_bind_text(st, 2, r->key); gh_bind_text(st, 3, r->name);
    gh_bind_text(st, 4, r->description); gh_bind_text(st, 5, r->permissions);
    gh_bind_i64(st, 6, r->device); gh_bind_i64(st, 7, r->from_template);
    gh_bind_i64(st, 8, r->created_at); gh_bind_i64(st, 9, r->updated_at);
}

gh_status gh_store_role_insert(gh_db *db, const gh_role *r, gh_err *err)
{
    PREP(db, st, "INSERT INTO roles (" ROLE_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)", err);
    role_bind(st, r);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    if (s == SQLITE_CONSTRAINT_PRIMARYKEY || s == SQLITE_CONSTRAINT_UNIQUE)
        return gh_fail_field(err, GH_E_CONFLICT, "role_exists", "key", "a role with this key exists");
    if (s != SQLITE_DONE) return gh_db_fail(db, err, "role insert");
    return GH_OK;
}

gh_status gh_store_role_get(gh_db *db, const char *org_id, const char *key, gh_role *r, gh_err *err)
{
    PREP(db, st, "SELECT " ROLE_COLS " FROM roles WHERE org_id = ?1 AND key = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, key);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) role_row(st, r);
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return GH_OK;
    if (s == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "role_not_found", "no role '%s'", key);
    return gh_db_fail(db, err, "role get");
}

gh_status gh_store_role_update(gh_db *db, const gh_role *r, gh_err *err)
{
    PREP(db, st, "UPDATE roles SET name = ?3, description = ?4, permissions = ?5, device = ?6,"
                 " from_template = ?7, updated_at = ?9 WHERE org_id = ?1 AND key = ?2 AND created_at = ?8", err);
    role_bind(st, r);
    STEP_DONE(db, st, err, "role update");
    return GH_OK;
}

gh_status gh_store_role_delete(gh_db *db, const char *org_id, const char *key, gh_err *err)
{
    PREP(db, st, "DELETE FROM roles WHERE org_id = ?1 AND key = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, key);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    if ((s & 0xff) == SQLITE_CONSTRAINT)
        return gh_fail(err, GH_E_CONFLICT, "role_in_use", "the role is still assigned");
    if (s != SQLITE_DONE) return gh_db_fail(db, err, "role delete");
    return GH_OK;
}

gh_status gh_store_role_each(gh_db *db, const char *org_id, void (*fn)(const gh_role *, void *),
                             void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " ROLE_COLS " FROM roles WHERE ?1 IS NULL OR org_id = ?1 ORDER BY org_id, created_at, key", err);
    gh_bind_text(st, 1, org_id);
    gh_role r;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        role_row(st, &r);
        fn(&r, arg);
    }
    sqlite3_reset(st);
    return s == SQLITE_DONE ? GH_OK : gh_db_fail(db, err, "role each");
}

int64_t gh_store_role_user_count(gh_db *db, const char *org_id, const char *key)
{
    sqlite3_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM users WHERE org_id = ?1 AND role_key = ?2");
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, key);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

/* ---- users ------------------------------------------------------------------------ */
/* An office seat is held by an active user with office access or by a
 * pending invitation that has not expired (accepting one turns it into the
 * user in the same transaction, so nothing is counted twice). */
int64_t gh_store_office_seats_used(gh_db *db, const char *org_id, int64_t now)
{
    sqlite3_stmt *st = gh_db_stmt(db, "SELECT (SELECT count(*) FROM users WHERE org_id = ?1 AND status = 'active' AND office_access = 1)"
                                      " + (SELECT count(*) FROM invites WHERE org_id = ?1 AND status = 'pending' AND expires_at > ?2)");
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    gh_bind_i64(st, 2, now);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

int64_t gh_store_factory_seats_used(gh_db *db, const char *org_id)
{
    sqlite3_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM users WHERE org_id = ?1 AND status = 'active' AND factory_access = 1");
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

#define USER_COLS "id, org_id, email, name, mobile, role_key, status, email_verified, office_access," \
    " factory_access, password_hash, modules, grants, badge, pin_hash, pin_temporary, pin_failures," \
    " pin_blocked, checkin_exempt, created_at, updated_at, last_login_at, language"

static void user_row(sqlite3_stmt *st, gh_user *u)
{
    memset(u, 0, sizeof *u);
    CP(u->id, 0); CP(u->org_id, 1); CP(u->email, 2); CP(u->name, 3); CP(u->mobile, 4);
    CP(u->role_key, 5); CP(u->status, 6);
    u->email_verified = sqlite3_column_int64(st, 7) != 0;
    u->office_access = sqlite3_column_int64(st, 8) != 0;
    u->factory_access = sqlite3_column_int64(st, 9) != 0;
    CP(u->password_hash, 10);
    u->modules_all = sqlite3_column_type(st, 11) == SQLITE_NULL;
    CP(u->modules, 11); CP(u->grants, 12); CP(u->badge, 13); CP(u->pin_hash, 14);
    u->pin_temporary = sqlite3_column_int64(st, 15) != 0;
    u->pin_failures = sqlite3_column_int64(st, 16);
    u->pin_blocked = sqlite3_column_int64(st, 17) != 0;
    u->checkin_exempt = sqlite3_column_int64(st, 18) != 0;
    u->created_at = sqlite3_column_int64(st, 19);
    u->updated_at = sqlite3_column_int64(st, 20);
    u->last_login_at = sqlite3_column_int64(st, 21);
    CP(u->language, 22);
}

static void user_bind(sqlite3_stmt *st, const gh_user *u)
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
    else sqlite3_bind_null(st, 24);
    char key[GH_NAME_KEY_MAX];
    gh_name_sort_key(u->name, key, sizeof key);
    sqlite3_bind_text(st, 25, key, -1, SQLITE_TRANSIENT);
    char skey[GH_SEARCH_KEY_MAX];
    gh_search_key(u->name, u->email, u->badge, skey, sizeof skey);
    sqlite3_bind_text(st, 26, skey, -1, SQLITE_TRANSIENT);
    gh_bind_text(st, 27, gh_sql_null_if_empty(u->language));
}

static gh_status user_write_result(gh_db *db, int s, gh_err *err)
{
    if (s == SQLITE_DONE) return GH_OK;
    if (s == SQLITE_CONSTRAINT_UNIQUE) {
        const char *msg = sqlite3_errmsg(gh_db_raw(db));
        if (strstr(msg, "badge"))
            return gh_fail_field(err, GH_E_CONFLICT, "badge_taken", "badge", "another staff member has this badge");
        return gh_fail_field(err, GH_E_CONFLICT, "email_taken", "email", "another user has this email");
    }
    if (s == SQLITE_CONSTRAINT_FOREIGNKEY)
        return gh_fail_field(err, GH_E_INVALID, "unknown_role", "role", "no such role");
    return gh_db_fail(db, err, "user write");
}

gh_status gh_store_user_insert(gh_db *db, const gh_user *u, gh_err *err)
{
    PREP(db, st, "INSERT INTO users (id, org_id, email, email_norm, name, mobile, role_key, status,"
                 " email_verified, office_access, factory_access, password_hash, modules, grants, badge,"
                 " badge_norm, pin_hash, pin_temporary, pin_failures, pin_blocked, checkin_exempt,"
                 " created_at, updated_at, last_login_at, name_sort, search_key, language)"
                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27)", err);
    user_bind(st, u);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    return user_write_result(db, s, err);
}

static gh_status user_get(gh_db *db, sqlite3_stmt *st, gh_user *u, gh_err *err)
{
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) user_row(st, u);
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return GH_OK;
    if (s == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "user_not_found", "no such user");
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
                 " search_key = ?26, language = ?27 WHERE id = ?1 AND org_id = ?2 AND created_at = ?22", err);
    user_bind(st, u);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
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
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        memset(t, 0, sizeof *t);
        CP(t->id, 0); CP(t->org_id, 1); CP(t->name, 2);
        t->name_erased = sqlite3_column_int64(st, 3) != 0;
        t->deleted_at = sqlite3_column_int64(st, 4);
        CP(t->deleted_by, 5);
    }
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return GH_OK;
    if (s == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "user_not_found", "no such user");
    return gh_db_fail(db, err, "tombstone get");
}

gh_status gh_store_checkin_close_all_open(gh_db *db, const char *org_id, const char *user_id, int64_t at,
                                          const char *by, int64_t *n, gh_err *err)
{
    PREP(db, st, "UPDATE checkins SET ended_at = max(?3, started_at), status = 'paused', ended_by = ?4"
                 " WHERE org_id = ?1 AND user_id = ?2 AND ended_at IS NULL", err);
    gh_bind_text(st, 1, org_id); gh_bind_text(st, 2, user_id); gh_bind_i64(st, 3, at); gh_bind_text(st, 4, gh_sql_null_if_empty(by));
    STEP_DONE(db, st, err, "check-in close all");
    *n = sqlite3_changes(gh_db_raw(db));
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
 * (name_sort, id) > (?6, ?7) seeks in users_org_name instead of walking to it. */
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
 * matches more walks the name order and tests each key, which finds a page
 * of 100 within about 100 * N / SEARCH_BROAD rows. Both stay flat in N. */
#define SEARCH_BROAD 2000

typedef enum { UQ_ALL, UQ_INDEXED, UQ_WALK } uq_mode;

typedef struct user_query {
    char q[GH_SEARCH_KEY_MAX];
    char phrase[2 * GH_SEARCH_KEY_MAX + 3];
    char after_key[GH_NAME_KEY_MAX];
    size_t qn;
    uq_mode mode;
} user_query;

/* How many people of org_id match the phrase, counting up to SEARCH_BROAD. */
static int64_t search_count(gh_db *db, const char *org_id, const char *phrase)
{
    sqlite3_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM (SELECT 1 FROM users_search"
                                      " WHERE k MATCH ?1 AND oid = ?2 LIMIT ?3)");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, phrase, -1, SQLITE_STATIC);
    gh_bind_text(st, 2, org_id);
    sqlite3_bind_int64(st, 3, SEARCH_BROAD);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return n;
}

static const char *user_list_sql(gh_db *db, const char *org_id, const gh_user_filter *f, user_query *uq)
{
    uq->qn = f->q && *f->q ? gh_search_fold(f->q, uq->q, sizeof uq->q) : 0;
    uq->mode = uq->qn == 0 ? UQ_ALL : UQ_WALK;
    if (uq->qn > 0 && gh_search_chars(uq->q) >= 3) {
        size_t n = 0;
        uq->phrase[n++] = '"';
        for (size_t i = 0; i < uq->qn && n + 3 < sizeof uq->phrase; i++) {
            if (uq->q[i] == '"') uq->phrase[n++] = '"';
            uq->phrase[n++] = uq->q[i];
        }
        uq->phrase[n++] = '"';
        uq->phrase[n] = '\0';
        int64_t matches = search_count(db, org_id, uq->phrase);
        if (matches >= 0 && matches < SEARCH_BROAD) uq->mode = UQ_INDEXED;
    }
    bool after = f->after_name != NULL;
    switch (uq->mode) {
    case UQ_INDEXED:
        return after ? USER_FROM_SEARCH USER_FILTERS USER_AFTER USER_ORDER : USER_FROM_SEARCH USER_FILTERS USER_ORDER;
    case UQ_WALK:
        return after ? USER_FROM_INDEX USER_KEY_HAS USER_FILTERS USER_AFTER USER_ORDER
                     : USER_FROM_INDEX USER_KEY_HAS USER_FILTERS USER_ORDER;
    default:
        return after ? USER_FROM_INDEX USER_FILTERS USER_AFTER USER_ORDER : USER_FROM_INDEX USER_FILTERS USER_ORDER;
    }
}

static void user_list_bind(sqlite3_stmt *st, const char *org_id, const gh_user_filter *f, user_query *uq)
{
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, f->status);
    gh_bind_text(st, 3, f->role);
    if (uq->mode != UQ_ALL)
        sqlite3_bind_text(st, 4, uq->mode == UQ_INDEXED ? uq->phrase : uq->q, -1, SQLITE_TRANSIENT);
    gh_bind_i64(st, 5, f->access);
    if (f->after_name) {
        gh_name_sort_key(f->after_name, uq->after_key, sizeof uq->after_key);
        sqlite3_bind_text(st, 6, uq->after_key, -1, SQLITE_TRANSIENT);
        gh_bind_text(st, 7, f->after_id ? f->after_id : "");
    }
    gh_bind_i64(st, 8, f->limit);
}

gh_status gh_store_user_list_plan(gh_db *db, const char *org_id, const gh_user_filter *f, char *out, size_t cap,
                                  gh_err *err)
{
    gh_status rc = GH_OK;
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    user_query *uq = malloc(sizeof *uq);
    if (!uq) { rc = gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); goto done; }
    const char *q = user_list_sql(db, org_id, f, uq);
    sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", q);
    if (!sql || sqlite3_prepare_v2(gh_db_raw(db), sql, -1, &st, NULL) != SQLITE_OK) {
        rc = gh_db_fail(db, err, "plan");
        goto done;
    }
    user_list_bind(st, org_id, f, uq);
    size_t n = 0;
    if (cap) out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        int w = snprintf(out + n, cap - n, "%s\n", gh_col_text(st, 3));
        if (w < 0 || (size_t)w >= cap - n) break;
        n += (size_t)w;
    }
done:
    sqlite3_finalize(st);
    sqlite3_free(sql);
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
    sqlite3_stmt *st = gh_db_stmt(db, user_list_sql(db, org_id, f, uq));
    if (!st) { free(uq); return gh_db_fail(db, err, "prepare"); }
    user_list_bind(st, org_id, f, uq); /* bound as copies */
    free(uq);
    gh_user *u = malloc(sizeof *u);
    if (!u) { sqlite3_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        user_row(st, u);
        fn(u, arg);
    }
    sqlite3_reset(st);
    free(u);
    return s == SQLITE_DONE ? GH_OK : gh_db_fail(db, err, "user list");
}

gh_status gh_store_user_each(gh_db *db, const char *org_id, void (*fn)(const gh_user *, void *),
                             void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " USER_COLS " FROM users WHERE ?1 IS NULL OR org_id = ?1", err);
    gh_bind_text(st, 1, org_id);
    gh_user *u = malloc(sizeof *u);
    if (!u) { sqlite3_reset(st); return gh_fail(err, GH_E_INTERNAL, "internal", "out of memory"); }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        user_row(st, u);
        fn(u, arg);
    }
    sqlite3_reset(st);
    free(u);
    return s == SQLITE_DONE ? GH_OK : gh_db_fail(db, err, "user each");
}

/* ---- sessions ------------------------------------------------------------------- */
#define SESSION_COLS "id, org_id, user_id, token_hash, csrf_hash, kind, created_at, last_seen_at," \
    " idle_s, expires_at, ip, user_agent, device_id, pin_change_required, mfa_pending, device"

static void session_row(sqlite3_stmt *st, gh_session *s)
{
    memset(s, 0, sizeof *s);
    CP(s->id, 0); CP(s->org_id, 1); CP(s->user_id, 2); CP(s->token_hash, 3); CP(s->csrf_hash, 4);
    CP(s->kind, 5);
    s->created_at = sqlite3_column_int64(st, 6);
    s->last_seen_at = sqlite3_column_int64(st, 7);
    s->idle_s = sqlite3_column_int64(st, 8);
    s->expires_at = sqlite3_column_int64(st, 9);
    CP(s->ip, 10); CP(s->user_agent, 11); CP(s->device_id, 12);
    s->pin_change_required = sqlite3_column_int64(st, 13) != 0;
    CP(s->mfa_pending, 14);
    s->device = sqlite3_column_int64(st, 15) != 0;
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
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) session_row(st, s);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return GH_OK;
    if (rc == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "session_not_found", "no such session");
    return gh_db_fail(db, err, "session get");
}

gh_status gh_store_session_get(gh_db *db, const char *org_id, const char *user_id, const char *id, gh_session *s,
                              gh_err *err)
{
    PREP(db, st, "SELECT " SESSION_COLS " FROM sessions WHERE org_id = ?1 AND user_id = ?2 AND id = ?3", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, user_id);
    gh_bind_text(st, 3, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) session_row(st, s);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return GH_OK;
    if (rc == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "session_not_found", "no such session");
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
    sqlite3_stmt *st = gh_db_stmt(db, device
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
    if (deleted) *deleted = sqlite3_changes(gh_db_raw(db));
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
    if (deleted) *deleted = sqlite3_changes(gh_db_raw(db));
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
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        session_row(st, &s);
        fn(&s, arg);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? GH_OK : gh_db_fail(db, err, "session list");
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
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        memset(t, 0, sizeof *t);
        CP(t->id, 0); CP(t->org_id, 1); CP(t->user_id, 2); CP(t->purpose, 3); CP(t->token_hash, 4);
        CP(t->email, 5);
        t->created_at = sqlite3_column_int64(st, 6);
        t->expires_at = sqlite3_column_int64(st, 7);
        t->used_at = sqlite3_column_int64(st, 8);
    }
    sqlite3_reset(st);
    if (s == SQLITE_ROW) return GH_OK;
    if (s == SQLITE_DONE) return gh_fail(err, GH_E_NOT_FOUND, "token_invalid", "this link is not valid");
    return gh_db_fail(db, err, "token get");
}

gh_status gh_store_token_mark_used(gh_db *db, const char *id, int64_t at, gh_err *err)
{
    PREP(db, st, "UPDATE tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL", err);
    gh_bind_text(st, 1, id);
    gh_bind_i64(st, 2, at);
    STEP_DONE(db, st, err, "token use");
    if (sqlite3_changes(gh_db_raw(db)) != 1)
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
