/*
 * Unit tests for the store's connection layer (store/db.c and the SQLite
 * backend behind its operations table): opening and migrating, the backend
 * chosen by path, write transactions (commit, rollback, a second writer
 * refused at once by begin_nowait), read transactions, the generation
 * counter, and a database that must exist.
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

#include "store/db.h"
#include "store/store.h"
#include "util/util.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/gh_test_store_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(path, sizeof path, "%s/g.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[160];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static gh_db *open_migrated(void)
{
    gh_db *db = NULL;
    char err[256] = "";
    assert_int_equal(gh_db_open(path, &db, err, sizeof err), 0);
    assert_int_equal(gh_db_migrate(db, err, sizeof err), 0);
    return db;
}

static void open_migrate_and_backend(void **state)
{
    (void)state;
    gh_db *db = open_migrated();
    assert_string_equal(gh_db_backend_name(db), "sqlite");
    assert_int_equal(gh_db_stored_schema_version(db), gh_db_schema_version());
    assert_true(gh_db_generation(db) >= 0);
    /* migrating again changes nothing */
    char err[256] = "";
    assert_int_equal(gh_db_migrate(db, err, sizeof err), 0);
    assert_int_equal(gh_db_stored_schema_version(db), gh_db_schema_version());
    assert_int_equal(gh_store_org_count(db), 0);
    assert_int_equal(gh_store_office_seats_used(db, "o_none", gh_now()), 0);
    assert_int_equal(gh_store_factory_seats_used(db, "o_none", 0), 0);
    gh_db_close(db);
    gh_db_close(NULL); /* safe */
}

static void backend_by_path(void **state)
{
    (void)state;
    gh_db *db = NULL;
    char err[256] = "";
    assert_int_not_equal(gh_db_open("postgres://db.example/gatehouse", &db, err, sizeof err), 0);
    assert_null(db);
    assert_non_null(strstr(err, "no PostgreSQL backend"));
    /* a database that must exist */
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing.db", dir);
    assert_int_not_equal(gh_db_open_existing(missing, true, &db, err, sizeof err), 0);
    assert_int_equal(access(missing, F_OK), -1); /* and it was not created */
}

static void write_transactions(void **state)
{
    (void)state;
    gh_db *a = open_migrated(), *b = open_migrated();
    gh_err err = {0};
    assert_false(gh_db_in_tx(a));
    assert_int_equal(gh_db_begin(a, &err), GH_OK);
    assert_true(gh_db_in_tx(a));
    /* a second writer is refused at once, without waiting */
    gh_err busy = {0};
    assert_int_equal(gh_db_begin_nowait(b, &busy), GH_E_BUSY);
    assert_string_equal(busy.code, "database_busy");
    assert_int_equal(busy.retry_after, 1);
    assert_false(gh_db_in_tx(b));
    /* rolling back leaves the generation as it was */
    int64_t g0 = gh_db_generation(b);
    gh_db_rollback(a);
    assert_false(gh_db_in_tx(a));
    assert_int_equal(gh_db_generation(b), g0);
    gh_db_rollback(a); /* rollback is always safe */
    assert_int_equal(gh_db_begin_nowait(b, &busy), GH_OK);
    assert_true(gh_db_in_tx(b));
    assert_int_equal(gh_db_commit(b, &err), GH_OK);
    assert_false(gh_db_in_tx(b));
    gh_err_clear(&err);
    gh_err_clear(&busy);
    gh_db_close(a);
    gh_db_close(b);
}

static void read_transactions(void **state)
{
    (void)state;
    gh_db *db = open_migrated();
    gh_err err = {0};
    assert_int_equal(gh_db_begin_read(db, &err), GH_OK);
    assert_int_equal(gh_store_org_count(db), 0);
    gh_db_end_read(db);
    gh_db_end_read(db); /* ending twice is harmless */
    /* a writer can begin after the read ended */
    assert_int_equal(gh_db_begin_nowait(db, &err), GH_OK);
    assert_int_equal(gh_db_commit(db, &err), GH_OK);
    gh_db_close(db);
}

static void thread_connection(void **state)
{
    (void)state;
    gh_db *db = open_migrated();
    gh_db_close(db);
    gh_db_set_path(path);
    assert_string_equal(gh_db_path(), path);
    gh_db *t = gh_db_thread();
    assert_non_null(t);
    assert_ptr_equal(gh_db_thread(), t); /* one per thread, kept */
    gh_db_thread_close();
    gh_db_thread_close(); /* twice is harmless */
}

int main(void)
{
    if (gh_random_init() != 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_migrate_and_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(backend_by_path, setup, teardown),
        cmocka_unit_test_setup_teardown(write_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(read_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(thread_connection, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
