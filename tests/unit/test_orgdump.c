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

#include "dbfixture.h"
#include <jansson.h>

#include "store/orgdump.h"
#include "store/store.h"
#include "store/sqlite_int.h" /* white-box: reads rows directly */

typedef struct fx {
    gh_fx_db d, d2;
    gh_db *db, *db2; /* d.db, d2.db */
} fx;

static void exec(gh_db *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(gh_db_raw(db), sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    gh_fx_db_open(&f->d, "dump");
    gh_fx_db_open(&f->d2, "dump2");
    f->db = f->d.db;
    f->db2 = f->d2.db;
    gh_fx_add_org(f->db, "org_a", "a");
    gh_fx_add_org(f->db, "org_b", "b");
    gh_fx_add_user(f->db, "org_a", "usr_a1", NULL, NULL, NULL);
    gh_fx_add_user(f->db, "org_b", "usr_b1", NULL, NULL, NULL);
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

static int teardown(void **state)
{
    fx *f = *state;
    gh_fx_db_remove(&f->d);
    gh_fx_db_remove(&f->d2);
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
