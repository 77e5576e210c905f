/*
 * Unit tests for the organization dump behind the encrypted org backup
 * (src/store/orgdump.c): a dump holds one organization's rows and no other's,
 * never sessions or single-use tokens; a load refuses unknown tables, column
 * names that are not plain identifiers, and references to another
 * organization's tasks, screens or users; a dump loads into an empty
 * database.
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
#include <jansson.h>

#include "store/orgdump.h"
#include "store/store.h"
#include "store/sqlite_int.h" /* white-box: reads rows directly */

typedef struct fx {
    char path[64], path2[64];
    gh_db *db, *db2;
} fx;

static void add_org(gh_db *db, const char *id, const char *slug)
{
    gh_org o = {0};
    gh_err e = {0};
    gh_strlcpy(o.id, id, sizeof o.id);
    gh_strlcpy(o.slug, slug, sizeof o.slug);
    gh_strlcpy(o.name, slug, sizeof o.name);
    gh_strlcpy(o.template_set, "plant", sizeof o.template_set);
    o.seats_office = o.seats_factory = -1;
    o.session_idle_s = o.session_max_s = o.invite_ttl_s = 3600;
    o.kiosk_pin_min = 6;
    o.kiosk_idle_s = o.kiosk_session_s = 60;
    o.created_at = 1;
    assert_int_equal(gh_store_org_insert(db, &o, &e), GH_OK);
    gh_role r = {0};
    gh_strlcpy(r.org_id, id, sizeof r.org_id);
    gh_strlcpy(r.key, "user", sizeof r.key);
    gh_strlcpy(r.name, "User", sizeof r.name);
    r.created_at = r.updated_at = 1;
    assert_int_equal(gh_store_role_insert(db, &r, &e), GH_OK);
}

static void add_user(gh_db *db, const char *org, const char *id)
{
    gh_user *u = calloc(1, sizeof *u);
    gh_err e = {0};
    assert_non_null(u);
    gh_strlcpy(u->id, id, sizeof u->id);
    gh_strlcpy(u->org_id, org, sizeof u->org_id);
    gh_strlcpy(u->name, id, sizeof u->name);
    gh_strlcpy(u->role_key, "user", sizeof u->role_key);
    u->office_access = true;
    u->modules_all = true;
    u->created_at = u->updated_at = 1;
    assert_int_equal(gh_store_user_insert(db, u, &e), GH_OK);
    free(u);
}


static void exec(gh_db *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(gh_db_raw(db), sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
}

static void open_db(const char *path, gh_db **db)
{
    char msg[256];
    unlink(path);
    assert_int_equal(gh_db_open(path, db, msg, sizeof msg), 0);
    assert_int_equal(gh_db_migrate(*db, msg, sizeof msg), 0);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(gh_random_init(), 0);
    snprintf(f->path, sizeof f->path, "/tmp/gh-unit-dump-%d.db", (int)getpid());
    snprintf(f->path2, sizeof f->path2, "/tmp/gh-unit-dump2-%d.db", (int)getpid());
    open_db(f->path, &f->db);
    open_db(f->path2, &f->db2);
    add_org(f->db, "org_a", "a");
    add_org(f->db, "org_b", "b");
    add_user(f->db, "org_a", "usr_a1");
    add_user(f->db, "org_b", "usr_b1");
    exec(f->db, "INSERT INTO tasks(id, org_id, ref, title, created_at) VALUES ('tsk_a', 'org_a', 'A-1', 'Cut', 1),"
                " ('tsk_b', 'org_b', 'B-1', 'Weld', 1);"
                "INSERT INTO task_assignees(task_id, user_id, created_at) VALUES ('tsk_a', 'usr_a1', 1), ('tsk_b', 'usr_b1', 1);"
                "INSERT INTO sessions(id, org_id, user_id, token_hash, csrf_hash, created_at, last_seen_at, idle_s, expires_at)"
                " VALUES ('ses_a', 'org_a', 'usr_a1', 'h1', 'c1', 1, 1, 60, 99);"
                "INSERT INTO tokens(id, org_id, user_id, purpose, token_hash, created_at, expires_at)"
                " VALUES ('tok_a', 'org_a', 'usr_a1', 'reset', 'h2', 1, 99);"
                "INSERT INTO mfa_factors(id, org_id, user_id, kind, secret, created_at)"
                " VALUES ('mfa_a', 'org_a', 'usr_a1', 'totp', 'gh1.sealed_a', 1), ('mfa_b', 'org_b', 'usr_b1', 'totp', 'gh1.sealed_b', 1);"
                "INSERT INTO mfa_recovery_codes(org_id, user_id, code_hash, created_at) VALUES ('org_a', 'usr_a1', 'rc_a', 1),"
                " ('org_b', 'usr_b1', 'rc_b', 1);"
                "INSERT INTO org_mfa(org_id, policy, updated_at) VALUES ('org_a', 'all', 1);");
    *state = f;
    return 0;
}

static void rm_db(gh_db *db, const char *path)
{
    gh_db_close(db);
    char x[80];
    unlink(path);
    snprintf(x, sizeof x, "%s-wal", path);
    unlink(x);
    snprintf(x, sizeof x, "%s-shm", path);
    unlink(x);
}

static int teardown(void **state)
{
    fx *f = *state;
    rm_db(f->db, f->path);
    rm_db(f->db2, f->path2);
    free(f);
    return 0;
}

static int collect(const char *table, json_t *row, void *arg)
{
    return json_array_append_new(arg, json_pack("{s:s, s:O}", "table", table, "row", row));
}

static void test_dump_holds_one_org(void **state)
{
    fx *f = *state;
    char err[256];
    json_t *rows = json_array();
    assert_int_equal(gh_store_org_dump(f->db, "org_a", collect, rows, err, sizeof err), 0);
    char *text = json_dumps(rows, JSON_COMPACT);
    assert_non_null(text);
    assert_non_null(strstr(text, "usr_a1"));
    assert_non_null(strstr(text, "tsk_a"));
    assert_null(strstr(text, "org_b"));
    assert_null(strstr(text, "usr_b1"));
    assert_null(strstr(text, "tsk_b"));
    assert_null(strstr(text, "\"sessions\""));
    assert_null(strstr(text, "\"tokens\""));
    assert_null(strstr(text, "ses_a"));
    /* second factors travel with their org (sealed, hashed), and only theirs */
    assert_non_null(strstr(text, "gh1.sealed_a"));
    assert_non_null(strstr(text, "rc_a"));
    assert_non_null(strstr(text, "\"org_mfa\""));
    assert_null(strstr(text, "gh1.sealed_b"));
    assert_null(strstr(text, "rc_b"));
    free(text);
    /* the first row is the org; it all loads into an empty database */
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "table")), "orgs");
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        int rc = gh_store_org_load(f->db2, "org_a", json_string_value(json_object_get(r, "table")),
                                   json_object_get(r, "row"), err, sizeof err);
        if (rc) fprintf(stderr, "%s\n", err);
        assert_int_equal(rc, 0);
    }
    /* loading it again collides, naming the table and id */
    r = json_array_get(rows, 0);
    assert_int_equal(gh_store_org_load(f->db2, "org_a", "orgs", json_object_get(r, "row"), err, sizeof err), -1);
    assert_non_null(strstr(err, "orgs org_a collides"));
    json_decref(rows);
}

static void test_load_refuses(void **state)
{
    fx *f = *state;
    char err[256];
    json_t *row = json_pack("{s:s, s:s, s:i}", "task_id", "tsk_b", "user_id", "usr_a1", "created_at", 1);
    /* another org's task */
    assert_int_equal(gh_store_org_load(f->db, "org_a", "task_assignees", row, err, sizeof err), -1);
    assert_non_null(strstr(err, "task_assignees.task_id names a tasks row that is not this organization's"));
    json_object_set_new(row, "task_id", json_string("tsk_a"));
    json_object_set_new(row, "user_id", json_string("usr_b1"));
    assert_int_equal(gh_store_org_load(f->db, "org_a", "task_assignees", row, err, sizeof err), -1);
    assert_non_null(strstr(err, "user_id"));
    json_decref(row);
    /* tables outside the dump, and column names that are not identifiers */
    row = json_pack("{s:s}", "id", "x");
    assert_int_equal(gh_store_org_load(f->db, "org_a", "sessions", row, err, sizeof err), -1);
    assert_int_equal(gh_store_org_load(f->db, "org_a", "meta", row, err, sizeof err), -1);
    json_decref(row);
    row = json_pack("{s:s}", "name) VALUES ('x'); --", "x");
    assert_int_equal(gh_store_org_load(f->db, "org_a", "groups", row, err, sizeof err), -1);
    assert_non_null(strstr(err, "unexpected column"));
    json_decref(row);
    row = json_pack("{s:i, s:s}", "seq", 1, "id", "aud_x");
    assert_int_equal(gh_store_org_load(f->db, "org_a", "audit", row, err, sizeof err), -1);
    json_decref(row);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dump_holds_one_org, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_refuses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
