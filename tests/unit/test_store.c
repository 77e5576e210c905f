/*
 * Unit tests for the store's connection layer (store/db.c and the SQLite
 * backend behind its operations table): opening and migrating, the backend
 * chosen by path, write transactions (commit, rollback, a second writer
 * refused at once by begin_nowait), read transactions, the generation
 * counter, a database that must exist, and the signal that a thread is
 * waiting for the write lock (gh_db_write_wanted, which background writers
 * give way to); and the backend-neutral statement layer (store/stmt.h):
 * binds, steps, columns, reset, rows changed, refused writes by kind,
 * errors, the JSON row loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dbfixture.h"
#include "store/db.h"
#include "store/stmt.h" /* white-box: the statement layer */
#include "store/store.h"
#include "store/webauthn.h"
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


/* Runs SQL with no rows through an uncached statement. */
static void run(gh_db *db, const char *sql)
{
    gh_stmt *st = gh_stmt_prepare(db, sql);
    assert_non_null(st);
    assert_int_equal(gh_step(st), GH_DONE);
    gh_stmt_finalize(st);
}

static const char *const INSERT_T = "INSERT INTO t (id, label, n, r, note, parent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char *const SELECT_T = "SELECT id, label, n, r, note, parent FROM t WHERE id >= ?1 ORDER BY id";

static void scratch_table(gh_db *db)
{
    run(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT UNIQUE, n INTEGER NOT NULL CHECK (n >= 0),"
            " r REAL, note TEXT, parent INTEGER REFERENCES t(id))");
}

static void stmt_bind_step_columns(void **state)
{
    (void)state;
    gh_db *db = open_migrated();
    scratch_table(db);
    gh_stmt *ins = gh_db_stmt(db, INSERT_T);
    assert_non_null(ins);
    gh_bind_i64(ins, 1, 1);
    gh_bind_text(ins, 2, "Émile");
    gh_bind_i64(ins, 3, INT64_MAX);
    gh_bind_double(ins, 4, 2.5);
    gh_bind_text(ins, 5, NULL); /* NULL text binds SQL NULL */
    gh_bind_null(ins, 6);
    assert_int_equal(gh_step(ins), GH_DONE);
    gh_reset(ins);
    assert_int_equal(gh_db_changes(db), 1);
    /* the cache hands back the same statement, its bindings cleared */
    assert_ptr_equal(gh_db_stmt(db, INSERT_T), ins);
    gh_bind_i64(ins, 1, 2);
    gh_bind_textn(ins, 2, "abcdef", 3); /* a length, no NUL needed */
    gh_bind_i64(ins, 3, 0);
    gh_bind_textn(ins, 5, "x\0y", 3);   /* embedded NUL kept */
    gh_bind_i64(ins, 6, 1);
    assert_int_equal(gh_step(ins), GH_DONE);
    gh_reset(ins);

    gh_stmt *sel = gh_db_stmt(db, SELECT_T);
    assert_non_null(sel);
    gh_bind_i64(sel, 1, 1);
    assert_int_equal(gh_col_count(sel), 6);
    assert_string_equal(gh_col_name(sel, 1), "label");
    assert_int_equal(gh_step(sel), GH_ROW);
    assert_int_equal(gh_col_type(sel, 0), GH_COL_INT);
    assert_int_equal(gh_col_i64(sel, 0), 1);
    assert_int_equal(gh_col_type(sel, 1), GH_COL_TEXT);
    assert_string_equal(gh_col_text(sel, 1), "Émile");
    assert_int_equal(gh_col_bytes(sel, 1), strlen("Émile"));
    assert_true(gh_col_i64(sel, 2) == INT64_MAX);
    assert_int_equal(gh_col_type(sel, 3), GH_COL_REAL);
    assert_true(gh_col_double(sel, 3) == 2.5);
    assert_true(gh_col_is_null(sel, 4));
    assert_null(gh_col_text_or_null(sel, 4));
    assert_string_equal(gh_col_text(sel, 4), ""); /* NULL reads as "" */
    assert_true(gh_col_is_null(sel, 5));
    assert_int_equal(gh_step(sel), GH_ROW);
    assert_string_equal(gh_col_text(sel, 1), "abc");
    assert_int_equal(gh_col_bytes(sel, 1), 3);
    assert_false(gh_col_is_null(sel, 4));
    const char *note = gh_col_text(sel, 4);
    assert_int_equal(gh_col_bytes(sel, 4), 3);
    assert_memory_equal(note, "x\0y", 3);
    assert_int_equal(gh_col_int(sel, 5), 1);
    assert_int_equal(gh_step(sel), GH_DONE);
    /* reset keeps the bindings: the same rows again */
    gh_reset(sel);
    assert_int_equal(gh_step(sel), GH_ROW);
    assert_int_equal(gh_col_i64(sel, 0), 1);
    gh_reset(sel);
    gh_bind_i64(sel, 1, 2);
    assert_int_equal(gh_step(sel), GH_ROW);
    assert_int_equal(gh_col_i64(sel, 0), 2);
    gh_reset(sel);
    /* fetched again from the cache: bindings cleared, ?1 is NULL, no row */
    assert_ptr_equal(gh_db_stmt(db, SELECT_T), sel);
    assert_int_equal(gh_step(sel), GH_DONE);
    gh_reset(sel);

    /* rows changed by the last write, still there after reset */
    gh_stmt *up = gh_db_stmt(db, "UPDATE t SET n = n WHERE id > ?1");
    gh_bind_i64(up, 1, 0);
    assert_int_equal(gh_step(up), GH_DONE);
    gh_reset(up);
    assert_int_equal(gh_db_changes(db), 2);
    gh_bind_i64(up, 1, 5);
    assert_int_equal(gh_step(up), GH_DONE);
    assert_int_equal(gh_db_changes(db), 0);
    gh_reset(up);
    gh_db_close(db);
}

static void stmt_refusals_and_errors(void **state)
{
    (void)state;
    gh_db *db = open_migrated();
    scratch_table(db);
    gh_stmt *ins = gh_db_stmt(db, INSERT_T);
    gh_bind_i64(ins, 1, 1);
    gh_bind_text(ins, 2, "one");
    gh_bind_i64(ins, 3, 1);
    assert_int_equal(gh_step(ins), GH_DONE);
    gh_reset(ins);
    /* the same primary key: a unique refusal */
    gh_bind_text(ins, 2, "two");
    assert_int_equal(gh_step(ins), GH_UNIQUE);
    gh_reset(ins);
    /* the same label: unique, naming its column */
    gh_bind_i64(ins, 1, 2);
    gh_bind_text(ins, 2, "one");
    int s = gh_step(ins);
    gh_reset(ins);
    assert_int_equal(s, GH_UNIQUE);
    assert_true(gh_step_refused(s));
    assert_true(gh_db_conflict_names(db, "label"));
    assert_false(gh_db_conflict_names(db, "parent"));
    /* a parent that does not exist: foreign key */
    gh_bind_text(ins, 2, "two");
    gh_bind_i64(ins, 6, 99);
    assert_int_equal(gh_step(ins), GH_FOREIGN_KEY);
    gh_reset(ins);
    /* CHECK and NOT NULL: another constraint */
    gh_bind_null(ins, 6);
    gh_bind_i64(ins, 3, -1);
    assert_int_equal(gh_step(ins), GH_CONSTRAINT);
    gh_reset(ins);
    gh_bind_null(ins, 3);
    s = gh_step(ins);
    gh_reset(ins);
    assert_int_equal(s, GH_CONSTRAINT);
    assert_true(gh_step_refused(GH_FOREIGN_KEY));
    assert_false(gh_step_refused(GH_DONE));
    assert_false(gh_step_refused(GH_ROW));
    assert_false(gh_step_refused(GH_STEP_ERROR));
    /* nothing of the refused writes was kept */
    gh_stmt *cnt = gh_db_stmt(db, "SELECT count(*) FROM t");
    assert_int_equal(gh_step(cnt), GH_ROW);
    assert_int_equal(gh_col_i64(cnt, 0), 1);
    gh_reset(cnt);

    /* a runtime error: GH_STEP_ERROR, reported as internal */
    gh_stmt *bad = gh_stmt_prepare(db, "SELECT abs(-9223372036854775807 - 1)");
    assert_non_null(bad);
    assert_int_equal(gh_step(bad), GH_STEP_ERROR);
    gh_reset(bad);
    gh_err err = {0};
    assert_int_equal(gh_db_fail(db, &err, "test"), GH_E_INTERNAL);
    assert_string_equal(err.code, "internal");
    assert_non_null(strstr(gh_db_errmsg(db), "overflow"));
    gh_err_clear(&err);
    gh_stmt_finalize(bad);
    gh_stmt_finalize(NULL); /* safe */
    /* SQL that does not prepare: NULL, cached or not */
    assert_null(gh_stmt_prepare(db, "SELEC nonsense"));
    assert_non_null(strstr(gh_db_errmsg(db), "syntax error"));
    assert_null(gh_db_stmt(db, "SELECT no_such_column FROM t"));
    assert_null(gh_db_stmt(db, "SELECT no_such_column FROM t")); /* not cached as a success */
    gh_db_close(db);
}

static json_t *row_json(gh_stmt *st, void *arg)
{
    int *calls = arg;
    (*calls)++;
    return json_pack("{s:I, s:s}", "id", (json_int_t)gh_col_i64(st, 0), "label", gh_col_text(st, 1));
}

static json_t *row_oom(gh_stmt *st, void *arg)
{
    (void)st;
    (void)arg;
    return NULL;
}

static void stmt_json_rows(void **state)
{
    (void)state;
    gh_db *db = open_migrated();
    scratch_table(db);
    run(db, "INSERT INTO t (id, label, n) VALUES (1, 'a', 0), (2, 'b', 0), (3, 'c', 0)");
    gh_err err = {0};
    int calls = 0;
    gh_stmt *sel = gh_db_stmt(db, SELECT_T);
    gh_bind_i64(sel, 1, 2);
    json_t *rows = gh_sql_json_rows(db, sel, row_json, &calls, &err, "rows");
    assert_non_null(rows);
    assert_int_equal(json_array_size(rows), 2);
    assert_int_equal(calls, 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "label")), "c");
    json_decref(rows);
    /* the statement was reset: it runs again at once */
    assert_int_equal(gh_step(sel), GH_ROW);
    gh_reset(sel);
    /* a row that cannot be built: NULL, out of memory */
    assert_null(gh_sql_json_rows(db, sel, row_oom, NULL, &err, "rows"));
    assert_int_equal(err.status, GH_E_INTERNAL);
    gh_err_clear(&err);
    /* a failing step: NULL, the database error */
    gh_stmt *bad = gh_stmt_prepare(db, "SELECT 1, 'x' UNION ALL SELECT abs(-9223372036854775807 - 1), 'y'");
    calls = 0;
    assert_null(gh_sql_json_rows(db, bad, row_json, &calls, &err, "rows"));
    assert_int_equal(calls, 1);
    assert_string_equal(err.code, "internal");
    gh_err_clear(&err);
    gh_stmt_finalize(bad);
    gh_db_close(db);
}

static gh_status put_user(gh_db *db, const char *id, const char *email, const char *badge, const char *role,
                          gh_err *e)
{
    gh_user *u = calloc(1, sizeof *u);
    assert_non_null(u);
    gh_strlcpy(u->id, id, sizeof u->id);
    gh_strlcpy(u->org_id, "o1", sizeof u->org_id);
    gh_strlcpy(u->name, id, sizeof u->name);
    gh_strlcpy(u->email, email, sizeof u->email);
    gh_strlcpy(u->badge, badge, sizeof u->badge);
    gh_strlcpy(u->role_key, role, sizeof u->role_key);
    gh_strlcpy(u->status, "active", sizeof u->status);
    u->office_access = true;
    u->modules_all = true;
    u->created_at = u->updated_at = 1;
    gh_status st = gh_store_user_insert(db, u, e);
    free(u);
    return st;
}

/* The store's refusals, told apart through the statement layer: which
 * unique key was taken, a missing parent, a linked identity, a passkey
 * registered twice; none leaves a row behind. */
static void store_refusals(void **state)
{
    (void)state;
    gh_db *db = open_migrated();
    gh_fx_add_org(db, "o1", "o1");
    gh_err e = {0};
    assert_int_equal(put_user(db, "u1", "a@x.test", "B1", "user", &e), GH_OK);
    assert_int_equal(put_user(db, "u2", "a@x.test", "B2", "user", &e), GH_E_CONFLICT);
    assert_string_equal(e.code, "email_taken");
    gh_err_clear(&e);
    assert_int_equal(put_user(db, "u2", "b@x.test", "B1", "user", &e), GH_E_CONFLICT);
    assert_string_equal(e.code, "badge_taken");
    gh_err_clear(&e);
    assert_int_equal(put_user(db, "u2", "b@x.test", "B2", "nosuchrole", &e), GH_E_INVALID);
    assert_string_equal(e.code, "unknown_role");
    gh_err_clear(&e);
    gh_user *u = calloc(1, sizeof *u);
    assert_non_null(u);
    assert_int_equal(gh_store_user_get(db, "o1", "u2", u, &e), GH_E_NOT_FOUND);
    gh_err_clear(&e);
    free(u);

    gh_identity id = {0};
    gh_strlcpy(id.id, "i1", sizeof id.id);
    gh_strlcpy(id.org_id, "o1", sizeof id.org_id);
    gh_strlcpy(id.user_id, "u1", sizeof id.user_id);
    gh_strlcpy(id.kind, "oidc", sizeof id.kind);
    gh_strlcpy(id.issuer, "https://idp.test", sizeof id.issuer);
    gh_strlcpy(id.subject, "s1", sizeof id.subject);
    id.created_at = 1;
    assert_int_equal(gh_store_identity_insert(db, &id, &e), GH_OK);
    gh_strlcpy(id.id, "i2", sizeof id.id);
    assert_int_equal(gh_store_identity_insert(db, &id, &e), GH_E_CONFLICT);
    assert_string_equal(e.code, "identity_linked");
    gh_err_clear(&e);

    gh_wa_cred *c = calloc(1, sizeof *c);
    assert_non_null(c);
    gh_strlcpy(c->id, "w1", sizeof c->id);
    gh_strlcpy(c->org_id, "o1", sizeof c->org_id);
    gh_strlcpy(c->user_id, "u1", sizeof c->user_id);
    gh_strlcpy(c->cred_id, "cred", sizeof c->cred_id);
    gh_strlcpy(c->public_key, "pk", sizeof c->public_key);
    gh_strlcpy(c->name, "key", sizeof c->name);
    c->created_at = 1;
    assert_int_equal(gh_store_wa_cred_insert(db, c, &e), GH_OK);
    gh_strlcpy(c->id, "w2", sizeof c->id);
    assert_int_equal(gh_store_wa_cred_insert(db, c, &e), GH_E_CONFLICT);
    assert_string_equal(e.code, "webauthn_already_registered");
    gh_err_clear(&e);
    free(c);
    assert_int_equal(gh_store_wa_cred_count(db, "o1", "u1"), 1);
    gh_db_close(db);
}

typedef struct { gh_db *db; gh_status st; } waiter;

static void *wait_for_lock(void *arg)
{
    waiter *w = arg;
    gh_err err = {0};
    w->st = gh_db_begin(w->db, &err);
    if (w->st == GH_OK) gh_db_rollback(w->db);
    gh_err_clear(&err);
    return NULL;
}

static void write_wanted_while_waiting(void **state)
{
    (void)state;
    gh_db *a = open_migrated(), *b = open_migrated();
    gh_err err = {0};
    assert_false(gh_db_write_wanted());
    assert_int_equal(gh_db_begin(a, &err), GH_OK);
    assert_false(gh_db_write_wanted()); /* holding the lock is not wanting it */
    waiter w = {.db = b, .st = GH_E_INTERNAL};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_for_lock, &w), 0);
    /* The waiter's busy handler keeps trying for up to 5 s: it shows as
     * wanted meanwhile (polled, with a ceiling well inside those 5 s). */
    bool seen = false;
    for (int i = 0; i < 4000 && !seen; i++) {
        seen = gh_db_write_wanted();
        if (!seen) nanosleep(&(struct timespec){0, 1000000L}, NULL);
    }
    assert_true(seen);
    gh_db_rollback(a); /* the waiter gets the lock */
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.st, GH_OK);
    assert_false(gh_db_write_wanted());
    gh_err_clear(&err);
    gh_db_close(a);
    gh_db_close(b);
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
        cmocka_unit_test_setup_teardown(stmt_bind_step_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(stmt_refusals_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(stmt_json_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(store_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(write_wanted_while_waiting, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
