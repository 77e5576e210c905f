/* The store SQL (through store/stmt.h) of store.h: organizations and their
 * roles. */
#include <string.h>

#include "store/store.h"
#include "store/stmt.h"

/* ---- orgs ---------------------------------------------------------------------- */
#define ORG_COLS "id, slug, name, template, modules, addons, seats_office, seats_factory," \
    " session_idle_s, session_max_s, invite_ttl_s, single_task_checkin, kiosk_pin_min," \
    " kiosk_enrolled_devices_only, kiosk_idle_s, kiosk_session_s, created_at, ip_allowlist, erase_deleted_names," \
    " device_idle_s, device_session_s"

static void org_row(gh_stmt *st, gh_org *o)
{
    memset(o, 0, sizeof *o);
    CP(o->id, 0); CP(o->slug, 1); CP(o->name, 2); CP(o->template_set, 3);
    CP(o->modules, 4); CP(o->addons, 5);
    o->seats_office = gh_col_is_null(st, 6) ? -1 : gh_col_i64(st, 6);
    o->seats_factory = gh_col_is_null(st, 7) ? -1 : gh_col_i64(st, 7);
    o->session_idle_s = gh_col_i64(st, 8);
    o->session_max_s = gh_col_i64(st, 9);
    o->invite_ttl_s = gh_col_i64(st, 10);
    o->single_task_checkin = gh_col_i64(st, 11) != 0;
    o->kiosk_pin_min = gh_col_i64(st, 12);
    o->kiosk_enrolled_devices_only = gh_col_i64(st, 13) != 0;
    o->kiosk_idle_s = gh_col_i64(st, 14);
    o->kiosk_session_s = gh_col_i64(st, 15);
    o->created_at = gh_col_i64(st, 16);
    CP(o->ip_allowlist, 17);
    o->erase_deleted_names = gh_col_i64(st, 18) != 0;
    o->device_idle_s = gh_col_i64(st, 19);
    o->device_session_s = gh_col_i64(st, 20);
}

static void bind_seats(gh_stmt *st, int i, int64_t v)
{
    if (v < 0) gh_bind_null(st, i);
    else gh_bind_i64(st, i, v);
}

static void org_bind(gh_stmt *st, const gh_org *o)
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
    gh_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM orgs");
    if (!st) return -1;
    int64_t n = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    return n;
}

gh_status gh_store_org_insert(gh_db *db, const gh_org *o, gh_err *err)
{
    PREP(db, st, "INSERT INTO orgs (" ORG_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)", err);
    org_bind(st, o);
    int s = gh_step(st);
    gh_reset(st);
    if (s == GH_UNIQUE)
        return gh_fail_field(err, GH_E_CONFLICT, "org_exists", "org.slug", "an organization with this slug exists");
    if (s != GH_DONE) return gh_db_fail(db, err, "org insert");
    return GH_OK;
}

static gh_status org_get(gh_db *db, gh_stmt *st, gh_org *o, gh_err *err)
{
    int s = gh_step(st);
    if (s == GH_ROW) org_row(st, o);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "org_not_found", "no such organization");
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
    while ((s = gh_step(st)) == GH_ROW) {
        org_row(st, &o);
        fn(&o, arg);
    }
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "org each");
}

/* ---- roles --------------------------------------------------------------------- */
#define ROLE_COLS "org_id, key, name, description, permissions, device, from_template, created_at, updated_at"

static void role_row(gh_stmt *st, gh_role *r)
{
    memset(r, 0, sizeof *r);
    CP(r->org_id, 0); CP(r->key, 1); CP(r->name, 2); CP(r->description, 3); CP(r->permissions, 4);
    r->device = gh_col_i64(st, 5) != 0;
    r->from_template = gh_col_i64(st, 6) != 0;
    r->created_at = gh_col_i64(st, 7);
    r->updated_at = gh_col_i64(st, 8);
}

static void role_bind(gh_stmt *st, const gh_role *r)
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
    int s = gh_step(st);
    gh_reset(st);
    if (s == GH_UNIQUE)
        return gh_fail_field(err, GH_E_CONFLICT, "role_exists", "key", "a role with this key exists");
    if (s != GH_DONE) return gh_db_fail(db, err, "role insert");
    return GH_OK;
}

gh_status gh_store_role_get(gh_db *db, const char *org_id, const char *key, gh_role *r, gh_err *err)
{
    PREP(db, st, "SELECT " ROLE_COLS " FROM roles WHERE org_id = ?1 AND key = ?2", err);
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, key);
    int s = gh_step(st);
    if (s == GH_ROW) role_row(st, r);
    gh_reset(st);
    if (s == GH_ROW) return GH_OK;
    if (s == GH_DONE) return gh_fail(err, GH_E_NOT_FOUND, "role_not_found", "no role '%s'", key);
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
    int s = gh_step(st);
    gh_reset(st);
    if (gh_step_refused(s))
        return gh_fail(err, GH_E_CONFLICT, "role_in_use", "the role is still assigned");
    if (s != GH_DONE) return gh_db_fail(db, err, "role delete");
    return GH_OK;
}

gh_status gh_store_role_each(gh_db *db, const char *org_id, void (*fn)(const gh_role *, void *),
                             void *arg, gh_err *err)
{
    PREP(db, st, "SELECT " ROLE_COLS " FROM roles WHERE ?1 IS NULL OR org_id = ?1 ORDER BY org_id, created_at, key", err);
    gh_bind_text(st, 1, org_id);
    gh_role r;
    int s;
    while ((s = gh_step(st)) == GH_ROW) {
        role_row(st, &r);
        fn(&r, arg);
    }
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, "role each");
}

int64_t gh_store_role_user_count(gh_db *db, const char *org_id, const char *key)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM users WHERE org_id = ?1 AND role_key = ?2");
    if (!st) return -1;
    gh_bind_text(st, 1, org_id);
    gh_bind_text(st, 2, key);
    int64_t n = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    return n;
}
