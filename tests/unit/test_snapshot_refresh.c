/*
 * Unit tests for the snapshot holder's incremental path (core/access.c with
 * the change log of store/changes.c) on a real database: user, grant and
 * role changes, new and deleted people are applied incrementally and answer
 * at once; a change no check reads leaves the snapshot alone; org module
 * changes, deleted roles and a pruned log rebuild everything; a change made
 * through another connection (another process) takes the same path; and
 * the result always equals a full rebuild.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dbfixture.h"
#include <jansson.h>

#include "core/access.h"
#include "core/catalog.h"
#include "store/changes.h"
#include "store/store.h"

static gh_fx_db fxdb;
static gh_catalog *cat;
static gh_db *db, *db2;

static void add_role(const char *org, const char *key, const char *perms)
{
    gh_role r = {0};
    gh_err e = {0};
    gh_strlcpy(r.org_id, org, sizeof r.org_id);
    gh_strlcpy(r.key, key, sizeof r.key);
    gh_strlcpy(r.name, key, sizeof r.name);
    gh_strlcpy(r.permissions, perms, sizeof r.permissions);
    r.created_at = r.updated_at = 1;
    assert_int_equal(gh_store_role_insert(db, &r, &e), GH_OK);
}

static void add_org(const char *id)
{
    gh_org o = {0};
    gh_err e = {0};
    gh_strlcpy(o.id, id, sizeof o.id);
    gh_strlcpy(o.slug, id, sizeof o.slug);
    gh_strlcpy(o.name, id, sizeof o.name);
    gh_strlcpy(o.template_set, "plant", sizeof o.template_set);
    gh_strlcpy(o.modules, "users", sizeof o.modules);
    o.seats_office = o.seats_factory = -1;
    o.session_idle_s = o.session_max_s = o.invite_ttl_s = 3600;
    o.kiosk_pin_min = 6;
    o.kiosk_idle_s = o.kiosk_session_s = 60;
    o.created_at = 1;
    assert_int_equal(gh_store_org_insert(db, &o, &e), GH_OK);
}

static void add_user(gh_db *d, const char *org, const char *id, const char *role)
{
    gh_user *u = calloc(1, sizeof *u);
    gh_err e = {0};
    assert_non_null(u);
    gh_strlcpy(u->id, id, sizeof u->id);
    gh_strlcpy(u->org_id, org, sizeof u->org_id);
    gh_strlcpy(u->name, id, sizeof u->name);
    gh_strlcpy(u->role_key, role, sizeof u->role_key);
    gh_strlcpy(u->status, "active", sizeof u->status);
    u->office_access = true;
    u->modules_all = true;
    u->created_at = u->updated_at = 1;
    assert_int_equal(gh_store_user_insert(d, u, &e), GH_OK);
    free(u);
}

/* Reads a user, lets fn change it, writes it back through connection d. */
static void edit_user(gh_db *d, const char *org, const char *id, void (*fn)(gh_user *))
{
    gh_user *u = calloc(1, sizeof *u);
    gh_err e = {0};
    assert_non_null(u);
    assert_int_equal(gh_store_user_get(d, org, id, u, &e), GH_OK);
    fn(u);
    assert_int_equal(gh_store_user_update(d, u, &e), GH_OK);
    free(u);
}

static void grant_manage(gh_user *u) { gh_strlcpy(u->grants, "users.manage", sizeof u->grants); }
static void new_mobile(gh_user *u) { gh_strlcpy(u->mobile, "+15550001", sizeof u->mobile); }
static void rename_user(gh_user *u) { gh_strlcpy(u->name, "Someone Else", sizeof u->name); }
static void lock_user(gh_user *u) { gh_strlcpy(u->status, "locked", sizeof u->status); }

static bool can(const char *org, const char *user, const char *perm)
{
    const char *why = NULL;
    return gh_access_check(org, user, perm, &why);
}

static uint64_t inc0, full0;
static void mark(void) { gh_access_update_counts(&inc0, &full0); }
/* Refreshes and asserts how many incremental and full updates that took. */
static void refresh_expect(uint64_t inc, uint64_t full)
{
    assert_int_equal(gh_access_refresh(db, false), 0);
    uint64_t i, f;
    gh_access_update_counts(&i, &f);
    assert_int_equal(i - inc0, inc);
    assert_int_equal(f - full0, full);
    mark();
}

/* What every user may do, as one JSON value, to compare with a rebuild. */
static json_t *everything(void)
{
    static const char *const users[][2] = {{"o1", "u1"}, {"o1", "u2"}, {"o1", "u3"}, {"o1", "u4"},
                                           {"o2", "v1"}, {"o1", "gone"}};
    json_t *all = json_array();
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
        json_t *s = gh_access_explain(users[i][0], users[i][1]);
        json_array_append_new(all, s ? s : json_null());
    }
    return all;
}

static void assert_equals_full_rebuild(void)
{
    json_t *a = everything();
    assert_int_equal(gh_access_refresh(db, true), 0);
    json_t *b = everything();
    if (!json_equal(a, b)) {
        char *x = json_dumps(a, JSON_COMPACT), *y = json_dumps(b, JSON_COMPACT);
        fail_msg("incremental %s\nfull %s", x, y);
    }
    json_decref(a);
    json_decref(b);
    mark();
}

static int setup(void **state)
{
    (void)state;
    cat = gh_fx_catalog_load();
    gh_fx_db_open(&fxdb, "snap");
    db = fxdb.db;
    db2 = gh_fx_db_connect(&fxdb);
    gh_access_init(cat);
    add_org("o1");
    add_org("o2");
    add_role("o1", "user", "");
    add_role("o1", "boss", "users.view users.manage");
    add_role("o2", "user", "users.view");
    add_user(db, "o1", "u1", "user");
    add_user(db, "o1", "u2", "boss");
    add_user(db, "o1", "gone", "user");
    add_user(db, "o2", "v1", "user");
    assert_int_equal(gh_access_refresh(db, true), 0);
    mark();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gh_access_shutdown();
    gh_db_close(db2);
    gh_fx_db_remove(&fxdb);
    gh_catalog_free(cat);
    return 0;
}

static void incremental_paths(void **state)
{
    (void)state;
    gh_err e = {0};
    /* a grant */
    assert_false(can("o1", "u1", "users.manage"));
    edit_user(db, "o1", "u1", grant_manage);
    refresh_expect(1, 0);
    assert_true(can("o1", "u1", "users.manage"));
    /* name and mobile: not a change the snapshot reads */
    edit_user(db, "o1", "u1", new_mobile);
    edit_user(db, "o1", "u1", rename_user);
    refresh_expect(0, 0);
    /* a role edit reaches its holders only */
    gh_role r;
    assert_int_equal(gh_store_role_get(db, "o1", "user", &r, &e), GH_OK);
    gh_strlcpy(r.permissions, "users.view", sizeof r.permissions);
    assert_int_equal(gh_store_role_update(db, &r, &e), GH_OK);
    refresh_expect(1, 0);
    assert_true(can("o1", "gone", "users.view"));
    /* a new person, and a new role with a holder, in one transaction */
    assert_int_equal(gh_db_begin(db, &e), GH_OK);
    add_role("o1", "clerk", "users.view");
    add_user(db, "o1", "u3", "clerk");
    add_user(db, "o1", "u4", "user");
    assert_int_equal(gh_db_commit(db, &e), GH_OK);
    refresh_expect(1, 0);
    assert_true(can("o1", "u3", "users.view"));
    /* locked, then deleted */
    edit_user(db, "o1", "u4", lock_user);
    refresh_expect(1, 0);
    assert_false(can("o1", "u4", "users.view"));
    assert_int_equal(gh_store_user_delete(db, "o1", "gone", &e), GH_OK);
    refresh_expect(1, 0);
    const char *why = NULL;
    assert_false(gh_access_check("o1", "gone", "users.view", &why));
    assert_null(gh_access_explain("o1", "gone"));
    /* another process's change takes the same path */
    add_user(db2, "o2", "v2", "user");
    edit_user(db2, "o2", "v1", lock_user);
    refresh_expect(1, 0);
    assert_true(can("o2", "v2", "users.view"));
    assert_false(can("o2", "v1", "users.view"));
    assert_equals_full_rebuild();
}

static void full_rebuilds(void **state)
{
    (void)state;
    gh_err e = {0};
    /* an org's modules: org-wide, rebuild everything */
    gh_org o;
    assert_int_equal(gh_store_org_get(db, "o1", &o, &e), GH_OK);
    gh_strlcpy(o.modules, "", sizeof o.modules);
    assert_int_equal(gh_store_org_update(db, &o, &e), GH_OK);
    refresh_expect(0, 1);
    /* a deleted role: its holders' rows changed too */
    add_role("o1", "spare", "users.view");
    refresh_expect(1, 0);
    assert_int_equal(gh_store_role_delete(db, "o1", "spare", &e), GH_OK);
    refresh_expect(0, 1);
    /* a log pruned past the snapshot's generation */
    edit_user(db, "o1", "u2", grant_manage);
    assert_int_equal(gh_store_changes_prune(db, gh_db_generation(db), &e), GH_OK);
    refresh_expect(0, 1);
    assert_true(can("o1", "u2", "users.manage"));
    /* pruned up to the snapshot only: still incremental */
    assert_int_equal(gh_store_changes_prune(db, gh_db_generation(db), &e), GH_OK);
    edit_user(db, "o1", "u1", lock_user);
    refresh_expect(1, 0);
    assert_equals_full_rebuild();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(incremental_paths),
        cmocka_unit_test(full_rebuilds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
