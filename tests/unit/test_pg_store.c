/*
 * Unit tests for the PostgreSQL backend (store/pg.c) against a throw-away
 * cluster that ctest's pg_cluster fixture starts (scripts/pg-cluster.sh;
 * GH_PG_CLUSTER_DIR names its folder) and stops: opening from a URL (the
 * password from the URL, PGPASSWORD or a password file, and refused
 * without one or with a wrong one), migrating a
 * new database and migrating again, several processes migrating one new
 * database at once (the advisory lock), the schema against SQLite's (the
 * same tables, columns and types), transactions (commit, rollback, a failed
 * statement, the single writer, a read snapshot), the generation triggers
 * and their change log, refused writes (unique, foreign key, the
 * append-only audit trail) that leave the transaction usable, and the
 * statement layer of store/stmt.h on a PostgreSQL connection, through its
 * public calls (gh_db_stmt, gh_bind_*, gh_step, gh_col_*): placeholders,
 * types, rows, bindings, a connection that drops between statements, the
 * cases test_store.c runs on SQLite (binds, columns, the cache, changes,
 * refusals, errors, JSON rows), the query plan, and the refused copy and
 * integrity check. Each test works in a database of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/db.h"
#include "store/migrations.h"
#include "store/pg.h"
#include "store/sqlite_int.h"
#include "store/stmt.h"
#include "util/util.h"

static char base_url[1024]; /* the cluster's gatehouse database */
static gh_db *admin;        /* a connection to it, to create databases */
static int db_counter;

static int group_setup(void **state)
{
    (void)state;
    const char *dir = getenv("GH_PG_CLUSTER_DIR");
    if (!dir || !*dir) {
        fprintf(stderr, "GH_PG_CLUSTER_DIR is not set: run this test through ctest, whose pg_cluster "
                        "fixture starts the cluster (scripts/pg-cluster.sh)\n");
        return -1;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/url", dir);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(base_url, sizeof base_url, f)) {
        fprintf(stderr, "no cluster URL in %s\n", path);
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    base_url[strcspn(base_url, "\n")] = '\0';
    char err[512] = "";
    if (gh_store_pg_ops.open(base_url, false, false, &admin, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    gh_db_close(admin);
    return 0;
}

/* A new, empty database; its URL in url. */
static void fresh_database(char *url, size_t cap)
{
    char name[64], sql[128];
    snprintf(name, sizeof name, "ghtest_%ld_%d", (long)getpid(), ++db_counter);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    assert_int_equal(gh_pg_exec(admin, sql), 0);
    const char *at = strstr(base_url, "@/gatehouse?");
    assert_non_null(at);
    int n = snprintf(url, cap, "%.*s@/%s%s", (int)(at - base_url), base_url, name, at + strlen("@/gatehouse"));
    assert_true(n > 0 && (size_t)n < cap);
}

static gh_db *open_url(const char *url)
{
    gh_db *db = NULL;
    char err[512] = "";
    if (gh_store_pg_ops.open(url, true, false, &db, err, sizeof err) != 0) fail_msg("open: %s", err);
    return db;
}

static gh_db *open_migrated(char *url, size_t cap)
{
    fresh_database(url, cap);
    gh_db *db = open_url(url);
    char err[512] = "";
    if (gh_db_migrate(db, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    return db;
}

/* The first column of the first row of sql, as a number (-999 if none). */
static int64_t scalar(gh_db *db, const char *sql)
{
    gh_stmt *st = gh_stmt_prepare(db, sql);
    if (!st) fail_msg("prepare %s: %s", sql, gh_db_errmsg(db));
    int64_t v = gh_step(st) == GH_ROW ? gh_col_i64(st, 0) : -999;
    gh_stmt_finalize(st);
    return v;
}

/* Runs one write with text parameters; the step result. */
static int write_sql(gh_db *db, const char *sql, int n, const char *const *args)
{
    gh_stmt *st = gh_stmt_prepare(db, sql);
    if (!st) fail_msg("prepare %s: %s", sql, gh_db_errmsg(db));
    for (int i = 0; i < n; i++) gh_bind_text(st, i + 1, args[i]);
    int r = gh_step(st);
    gh_stmt_finalize(st);
    return r;
}

static void add_org(gh_db *db, const char *id)
{
    const char *a[] = {id, id};
    assert_int_equal(write_sql(db, "INSERT INTO orgs (id, slug, name, template, created_at)"
                                   " VALUES (?1, ?2, 'Plant', 'factory', 1)", 2, a), GH_DONE);
}

static void add_role(gh_db *db, const char *org, const char *key)
{
    const char *a[] = {org, key};
    assert_int_equal(write_sql(db, "INSERT INTO roles (org_id, key, name, created_at, updated_at)"
                                   " VALUES (?1, ?2, 'Role', 1, 1)", 2, a), GH_DONE);
}

static int add_user(gh_db *db, const char *org, const char *id, const char *email)
{
    const char *a[] = {org, id, email};
    return write_sql(db, "INSERT INTO users (id, org_id, email, email_norm, name, role_key, created_at, updated_at)"
                         " VALUES (?2, ?1, ?3, ?3, 'Ann', 'worker', 1, 1)", 3, a);
}

/* ---- the tests ---------------------------------------------------------- */

static void placeholders(void **state)
{
    (void)state;
    char out[128];
    int n = -1;
    assert_true(gh_pg_rewrite_placeholders("SELECT ?1, ?12 FROM t WHERE a = ?2", out, sizeof out, &n));
    assert_string_equal(out, "SELECT $1, $12 FROM t WHERE a = $2");
    assert_int_equal(n, 12);
    /* Not inside strings, quoted names or comments. */
    assert_true(gh_pg_rewrite_placeholders("SELECT '?1 ''?2', \"a?3\" -- ?4\n, ?1 /* ?5 */", out, sizeof out, &n));
    assert_string_equal(out, "SELECT '?1 ''?2', \"a?3\" -- ?4\n, $1 /* ?5 */");
    assert_int_equal(n, 1);
    assert_true(gh_pg_rewrite_placeholders("SELECT 1", out, sizeof out, &n));
    assert_int_equal(n, 0);
    /* A bare ?, ?0, a number too large, an open string, no room. */
    assert_false(gh_pg_rewrite_placeholders("SELECT ?", out, sizeof out, &n));
    assert_false(gh_pg_rewrite_placeholders("SELECT ?0", out, sizeof out, &n));
    assert_false(gh_pg_rewrite_placeholders("SELECT ?1000", out, sizeof out, &n));
    assert_false(gh_pg_rewrite_placeholders("SELECT 'abc", out, sizeof out, &n));
    assert_false(gh_pg_rewrite_placeholders("SELECT ?1", out, 6, &n));
    assert_false(gh_pg_rewrite_placeholders("", out, 0, &n));
    assert_true(gh_pg_rewrite_placeholders("", out, 1, &n));
    assert_string_equal(out, "");
}

/* serve and every command refuse a PostgreSQL URL until the backend is
 * chosen (docs/postgresql.md), without repeating its password. */
static void urls_refused_and_redacted(void **state)
{
    (void)state;
    assert_true(gh_db_is_url("postgresql://u:pw@/db?host=/tmp"));
    assert_true(gh_db_is_url("postgres://h/db"));
    assert_false(gh_db_is_url("var/gatehouse.db"));
    assert_false(gh_db_is_url("/srv/a://b.db"));
    assert_false(gh_db_is_url("://x"));
    char shown[64];
    gh_db_redact_url("postgresql://u:pw@/db?host=/tmp", shown, sizeof shown);
    assert_string_equal(shown, "postgresql://u:***@/db?host=/tmp");
    gh_db_redact_url("postgresql://u@h/db", shown, sizeof shown);
    assert_string_equal(shown, "postgresql://u@h/db");
    gh_db_redact_url("postgresql:///db?host=/a:b@c", shown, sizeof shown);
    assert_string_equal(shown, "postgresql:///db?host=/a:b@c");
    gh_db_redact_url("postgresql://u:pw@h/db", shown, 8);
    assert_string_equal(shown, "postgre");

    gh_db *db = NULL;
    char err[512] = "";
    assert_int_not_equal(gh_db_open(base_url, &db, err, sizeof err), 0);
    assert_null(db);
    assert_non_null(strstr(err, "no PostgreSQL backend"));
    assert_non_null(strstr(err, ":***@"));
    const char *colon = strchr(base_url + strlen("postgresql://"), ':');
    const char *at = strchr(base_url, '@');
    char pass[128];
    snprintf(pass, sizeof pass, "%.*s", (int)(at - colon - 1), colon + 1);
    assert_null(strstr(err, pass));
}

static void migration_counts_match(void **state)
{
    (void)state;
    assert_int_equal(gh_pg_migrations_count(), gh_migrations_count());
    for (int v = 1; v <= gh_pg_migrations_count(); v++) assert_non_null(gh_pg_migration_sql(v));
    assert_null(gh_pg_migration_sql(0));
    assert_null(gh_pg_migration_sql(gh_pg_migrations_count() + 1));
}

static void open_migrate_and_again(void **state)
{
    (void)state;
    char url[1024];
    fresh_database(url, sizeof url);
    gh_db *db = open_url(url);
    assert_string_equal(gh_db_backend_name(db), "postgresql");
    assert_int_equal(gh_db_stored_schema_version(db), -1);
    char err[512] = "";
    assert_int_equal(gh_db_migrate(db, err, sizeof err), 0);
    assert_int_equal(gh_db_stored_schema_version(db), gh_db_schema_version());
    assert_int_equal(gh_db_generation(db), 1);
    add_org(db, "o1");
    assert_int_equal(gh_db_generation(db), 2);
    /* Again: nothing to do, nothing touched. */
    assert_int_equal(gh_db_migrate(db, err, sizeof err), 0);
    assert_int_equal(gh_db_stored_schema_version(db), gh_db_schema_version());
    assert_int_equal(scalar(db, "SELECT count(*) FROM orgs"), 1);
    assert_int_equal(gh_db_generation(db), 2);
    /* A database from a newer gatehouse is refused. */
    assert_int_equal(gh_pg_exec(db, "UPDATE meta SET value = value + 1 WHERE key = 'schema_version'"), 0);
    assert_int_not_equal(gh_db_migrate(db, err, sizeof err), 0);
    assert_non_null(strstr(err, "newer than this gatehouse"));
    gh_db_close(db);
}

static void passwords(void **state)
{
    (void)state;
    /* postgresql://gatehouse:PASS@/gatehouse?host=...: without PASS. */
    char nopass[1024], pass[128];
    const char *colon = strchr(base_url + strlen("postgresql://"), ':');
    const char *at = strchr(base_url, '@');
    assert_non_null(colon);
    assert_non_null(at);
    snprintf(pass, sizeof pass, "%.*s", (int)(at - colon - 1), colon + 1);
    snprintf(nopass, sizeof nopass, "%.*s%s", (int)(colon - base_url), base_url, at);

    gh_db *db = NULL;
    char err[512] = "";
    unsetenv("PGPASSWORD");
    setenv("PGPASSFILE", "/nonexistent", 1);
    assert_int_not_equal(gh_store_pg_ops.open(nopass, false, false, &db, err, sizeof err), 0);
    assert_null(db);
    assert_non_null(strstr(err, "cannot connect to PostgreSQL"));

    /* A wrong password: refused, and the message does not repeat it. */
    char wrong[1024];
    snprintf(wrong, sizeof wrong, "%.*s:not-the-password%s", (int)(colon - base_url), base_url, at);
    assert_int_not_equal(gh_store_pg_ops.open(wrong, false, false, &db, err, sizeof err), 0);
    assert_null(strstr(err, "not-the-password"));

    setenv("PGPASSWORD", pass, 1);
    assert_int_equal(gh_store_pg_ops.open(nopass, false, false, &db, err, sizeof err), 0);
    assert_int_equal(scalar(db, "SELECT 41 + 1"), 42);
    gh_db_close(db);
    unsetenv("PGPASSWORD");

    /* From a password file (~/.pgpass, here PGPASSFILE; 0600). */
    char pgpass[] = "/tmp/gh_test_pgpass_XXXXXX";
    int fd = mkstemp(pgpass);
    assert_true(fd >= 0);
    char line[256];
    int n = snprintf(line, sizeof line, "*:*:*:gatehouse:%s\n", pass);
    assert_true(n > 0 && write(fd, line, (size_t)n) == n);
    close(fd);
    setenv("PGPASSFILE", pgpass, 1);
    db = NULL;
    int opened = gh_store_pg_ops.open(nopass, false, false, &db, err, sizeof err);
    unlink(pgpass);
    assert_int_equal(opened, 0);
    assert_int_equal(scalar(db, "SELECT 6 * 7"), 42);
    gh_db_close(db);
    setenv("PGPASSFILE", "/nonexistent", 1);

    /* A read-only connection refuses writes. */
    assert_int_equal(gh_store_pg_ops.open(base_url, false, true, &db, err, sizeof err), 0);
    assert_int_not_equal(gh_pg_exec(db, "CREATE TABLE ro_probe (a int)"), 0);
    gh_db_close(db);
    unsetenv("PGPASSFILE");
}

/* Several processes migrate one new database at the same moment: the
 * advisory lock lets one apply each migration and the others find it done.
 * Each is this program run again (a fork alone would inherit the parent's
 * log writer without its thread), told the URL by GH_PG_MIGRATE_URL; they
 * connect, then wait for the end of their standard input to start
 * together. */
static int migrate_child(void)
{
    const char *url = getenv("GH_PG_MIGRATE_URL");
    gh_db *db = NULL;
    char err[512] = "";
    int rc = url ? gh_store_pg_ops.open(url, true, false, &db, err, sizeof err) : -1;
    char c;
    while (read(0, &c, 1) > 0) {}
    if (rc == 0) rc = gh_db_migrate(db, err, sizeof err);
    if (rc) fprintf(stderr, "migrating child: %s\n", err);
    gh_db_close(db);
    return rc ? 1 : 0;
}

static void concurrent_migrations(void **state)
{
    (void)state;
    enum { N = 4 };
    char url[1024];
    fresh_database(url, sizeof url);
    assert_int_equal(setenv("GH_PG_MIGRATE_URL", url, 1), 0);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            dup2(go[0], 0);
            close(go[0]);
            close(go[1]);
            execl("/proc/self/exe", "test_pg_store", "--migrate-child", (char *)NULL);
            _exit(127);
        }
    }
    close(go[0]);
    usleep(300 * 1000); /* not a deadline: only gives the children time to connect */
    close(go[1]);       /* end of input: go */
    unsetenv("GH_PG_MIGRATE_URL");
    /* Every child is waited for before any verdict. */
    int failed = 0;
    for (int i = 0; i < N; i++) {
        int status = 0;
        if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    }
    assert_int_equal(failed, 0);
    gh_db *db = open_url(url);
    assert_int_equal(gh_db_stored_schema_version(db), gh_db_schema_version());
    assert_int_equal(gh_db_generation(db), 1);
    assert_int_equal(scalar(db, "SELECT count(*) FROM meta"), 2);
    gh_db_close(db);
}

/* "table.column type null|not-null default" lines of each backend, sorted. */
typedef struct { char **line; size_t n, cap; } lines;

static void lines_add(lines *l, const char *table, const char *column, const char *type, bool notnull,
                      const char *dflt)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->line = realloc(l->line, l->cap * sizeof *l->line);
        assert_non_null(l->line);
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s.%s %s %s default %s", table, column, type, notnull ? "not-null" : "null",
             dflt ? dflt : "none");
    l->line[l->n] = strdup(buf);
    assert_non_null(l->line[l->n]);
    l->n++;
}

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->line[i]);
    free(l->line);
}

/* SQLite-only tables: FTS5's search tables (pg_trgm indexes in PostgreSQL,
 * pg_migrations.c 14, 22, 23), their shadow tables, the rowid map it
 * needs, and AUTOINCREMENT's counters (identity columns in PostgreSQL). */
static const char *const sqlite_only[] = {"users_search", "users_search_data", "users_search_idx",
                                          "users_search_content", "users_search_docsize",
                                          "users_search_config", "user_search_ids", "sqlite_sequence",
                                          "tasks_search", "tasks_search_data", "tasks_search_idx",
                                          "tasks_search_content", "tasks_search_docsize", "tasks_search_config",
                                          "task_search_ids", "groups_search", "groups_search_data",
                                          "groups_search_idx", "groups_search_content", "groups_search_docsize",
                                          "groups_search_config", "group_search_ids", "invites_search",
                                          "invites_search_data", "invites_search_idx", "invites_search_content",
                                          "invites_search_docsize", "invites_search_config", "invite_search_ids",
                                          "audit_search", "audit_search_data", "audit_search_idx",
                                          "audit_search_content", "audit_search_docsize", "audit_search_config"};

static bool is_sqlite_only(const char *table)
{
    for (size_t i = 0; i < sizeof sqlite_only / sizeof sqlite_only[0]; i++)
        if (strcmp(table, sqlite_only[i]) == 0) return true;
    return false;
}

static void schema_parity(void **state)
{
    (void)state;
    char dir[] = "/tmp/gh_test_pg_parity_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], err[512] = "";
    snprintf(path, sizeof path, "%s/g.db", dir);
    gh_db *lite = NULL;
    assert_int_equal(gh_db_open(path, &lite, err, sizeof err), 0);
    assert_int_equal(gh_db_migrate(lite, err, sizeof err), 0);

    lines a = {0}, b = {0};
    bool seen[sizeof sqlite_only / sizeof sqlite_only[0]] = {0};
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(gh_db_raw(lite),
                                        "SELECT m.name, p.name, upper(p.type), p.\"notnull\" OR p.pk > 0, p.dflt_value"
                                        " FROM sqlite_schema m,"
                                        " pragma_table_info(m.name) p WHERE m.type = 'table'"
                                        " ORDER BY m.name, p.name", -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        const char *c = (const char *)sqlite3_column_text(st, 1);
        const char *ty = (const char *)sqlite3_column_text(st, 2);
        if (is_sqlite_only(t)) {
            for (size_t i = 0; i < sizeof sqlite_only / sizeof sqlite_only[0]; i++)
                if (strcmp(t, sqlite_only[i]) == 0) seen[i] = true;
            continue;
        }
        lines_add(&a, t, c, strcmp(ty, "INTEGER") == 0 ? "integer" : strcmp(ty, "TEXT") == 0 ? "text" : ty,
                  sqlite3_column_int(st, 3) != 0, (const char *)sqlite3_column_text(st, 4));
    }
    sqlite3_finalize(st);
    /* The exceptions name tables that exist: nothing else is let off. */
    for (size_t i = 0; i < sizeof sqlite_only / sizeof sqlite_only[0]; i++)
        if (!seen[i]) fail_msg("%s is not in the SQLite schema: update the list", sqlite_only[i]);
    gh_db_close(lite);
    unlink(path);
    char side[160];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    rmdir(dir);

    char url[1024];
    gh_db *pg = open_migrated(url, sizeof url);
    gh_stmt *ps = gh_stmt_prepare(pg, "SELECT table_name, column_name, data_type, is_nullable = 'NO',"
                                            " regexp_replace(column_default, '::(text|bigint)$', '')"
                                            " FROM information_schema.columns WHERE table_schema = current_schema()"
                                            " ORDER BY table_name COLLATE \"C\", column_name COLLATE \"C\"");
    assert_non_null(ps);
    while (gh_step(ps) == GH_ROW) {
        const char *ty = gh_col_text(ps, 2);
        lines_add(&b, gh_col_text(ps, 0), gh_col_text(ps, 1), strcmp(ty, "bigint") == 0 ? "integer" : ty,
                  gh_col_i64(ps, 3) != 0, gh_col_text_or_null(ps, 4));
    }
    gh_stmt_finalize(ps);
    gh_db_close(pg);

    assert_true(a.n > 100);
    for (size_t i = 0; i < a.n || i < b.n; i++) {
        const char *x = i < a.n ? a.line[i] : "(nothing)";
        const char *y = i < b.n ? b.line[i] : "(nothing)";
        if (strcmp(x, y) != 0) fail_msg("schemas differ at %zu: sqlite %s, postgresql %s", i, x, y);
    }
    lines_free(&a);
    lines_free(&b);
}

static void transactions(void **state)
{
    (void)state;
    char url[1024];
    gh_db *db = open_migrated(url, sizeof url);
    gh_db *other = open_url(url);
    gh_err err = {0};

    /* Rollback undoes; commit keeps. */
    assert_int_equal(gh_db_begin(db, &err), GH_OK);
    assert_true(gh_db_in_tx(db));
    add_org(db, "gone");
    gh_db_rollback(db);
    assert_false(gh_db_in_tx(db));
    assert_int_equal(scalar(db, "SELECT count(*) FROM orgs"), 0);
    assert_int_equal(gh_db_begin(db, &err), GH_OK);
    add_org(db, "kept");
    /* One writer at a time: a second one that will not wait is busy. */
    gh_err busy = {0};
    assert_int_equal(gh_db_begin_nowait(other, &busy), GH_E_BUSY);
    assert_string_equal(busy.code, "database_busy");
    assert_false(gh_db_in_tx(other));
    /* One that waits gives up after its wait (5 s), busy too. */
    gh_err waited = {0};
    assert_int_equal(gh_db_begin(other, &waited), GH_E_BUSY);
    assert_string_equal(waited.code, "database_busy");
    assert_false(gh_db_in_tx(other));
    assert_int_equal(scalar(other, "SELECT count(*) FROM orgs"), 0); /* not committed yet */
    assert_int_equal(gh_db_commit(db, &err), GH_OK);
    assert_int_equal(scalar(other, "SELECT count(*) FROM orgs"), 1);
    assert_int_equal(gh_db_begin_nowait(other, &busy), GH_OK);
    gh_db_rollback(other);

    /* A statement that fails (not a refused write) fails the commit. */
    assert_int_equal(gh_db_begin(db, &err), GH_OK);
    add_org(db, "lost");
    gh_stmt *bad = gh_stmt_prepare(db, "SELECT 1 / (count(*) - count(*)) FROM orgs");
    assert_non_null(bad);
    assert_int_equal(gh_step(bad), GH_STEP_ERROR);
    gh_stmt_finalize(bad);
    gh_err cerr = {0};
    assert_int_equal(gh_db_commit(db, &cerr), GH_E_INTERNAL);
    assert_false(gh_db_in_tx(db));
    assert_int_equal(scalar(db, "SELECT count(*) FROM orgs WHERE id = 'lost'"), 0);

    /* A read transaction sees one snapshot. */
    assert_int_equal(gh_db_begin_read(db, &err), GH_OK);
    assert_int_equal(scalar(db, "SELECT count(*) FROM orgs"), 1);
    add_org(other, "meanwhile");
    assert_int_equal(scalar(db, "SELECT count(*) FROM orgs"), 1);
    gh_db_end_read(db);
    assert_int_equal(scalar(db, "SELECT count(*) FROM orgs"), 2);
    gh_db_close(other);
    gh_db_close(db);
}

static int64_t changes_for(gh_db *db, const char *kind)
{
    gh_stmt *st = gh_stmt_prepare(db, "SELECT count(*) FROM authz_changes WHERE kind = ?1");
    assert_non_null(st);
    gh_bind_text(st, 1, kind);
    assert_int_equal(gh_step(st), GH_ROW);
    int64_t n = gh_col_i64(st, 0);
    gh_stmt_finalize(st);
    return n;
}

static void generation_triggers(void **state)
{
    (void)state;
    char url[1024];
    gh_db *db = open_migrated(url, sizeof url);
    int64_t g = gh_db_generation(db);
    add_org(db, "o1");
    assert_int_equal(gh_db_generation(db), ++g);
    add_role(db, "o1", "worker");
    assert_int_equal(gh_db_generation(db), ++g);
    assert_int_equal(changes_for(db, "role"), 1);
    assert_int_equal(add_user(db, "o1", "u1", "ann@example.com"), GH_DONE);
    assert_int_equal(gh_db_generation(db), ++g);
    assert_int_equal(changes_for(db, "user"), 1);
    assert_int_equal(scalar(db, "SELECT gen FROM authz_changes WHERE kind = 'user'"), g);

    /* A value no check depends on: no bump. */
    const char *u1[] = {"u1"};
    assert_int_equal(write_sql(db, "UPDATE users SET mobile = '+1 555' WHERE id = ?1", 1, u1), GH_DONE);
    assert_int_equal(gh_db_changes(db), 1);
    assert_int_equal(gh_db_generation(db), g);
    /* One it does: a bump, the new and the old row logged. */
    assert_int_equal(write_sql(db, "UPDATE users SET status = 'locked' WHERE id = ?1", 1, u1), GH_DONE);
    assert_int_equal(gh_db_generation(db), ++g);
    assert_int_equal(changes_for(db, "user"), 3);
    assert_int_equal(write_sql(db, "UPDATE orgs SET name = 'Renamed' WHERE id = 'o1'", 0, NULL), GH_DONE);
    assert_int_equal(gh_db_generation(db), g);
    assert_int_equal(write_sql(db, "UPDATE orgs SET ip_allowlist = '10.0.0.0/8' WHERE id = 'o1'", 0, NULL),
                     GH_DONE);
    assert_int_equal(gh_db_generation(db), ++g);
    assert_int_equal(write_sql(db, "DELETE FROM users WHERE id = ?1", 1, u1), GH_DONE);
    assert_int_equal(gh_db_generation(db), ++g);
    assert_int_equal(changes_for(db, "user"), 4);
    gh_db_close(db);
}

static void refused_writes(void **state)
{
    (void)state;
    char url[1024];
    gh_db *db = open_migrated(url, sizeof url);
    add_org(db, "o1");
    add_role(db, "o1", "worker");
    gh_err err = {0};
    assert_int_equal(gh_db_begin(db, &err), GH_OK);
    assert_int_equal(add_user(db, "o1", "u1", "ann@example.com"), GH_DONE);
    /* The e-mail is taken: refused, naming its columns; the transaction
     * goes on (the write ran under a savepoint). */
    assert_int_equal(add_user(db, "o1", "u2", "ann@example.com"), GH_UNIQUE);
    assert_true(gh_db_conflict_names(db, "email_norm"));
    assert_true(gh_db_conflict_names(db, "org_id"));
    assert_false(gh_db_conflict_names(db, "badge_norm"));
    assert_false(gh_db_conflict_names(db, "email"));
    /* No such organization. */
    assert_int_equal(add_user(db, "nowhere", "u3", "bo@example.com"), GH_FOREIGN_KEY);
    /* A CHECK constraint. */
    assert_int_equal(write_sql(db, "UPDATE users SET status = 'gone' WHERE id = 'u1'", 0, NULL), GH_CONSTRAINT);
    /* The audit trail is append-only (a trigger refuses). */
    assert_int_equal(write_sql(db, "INSERT INTO audit (id, at, actor_type, action) VALUES ('a1', 1, 'system', 'x')",
                               0, NULL), GH_DONE);
    assert_int_equal(write_sql(db, "UPDATE audit SET action = 'y'", 0, NULL), GH_CONSTRAINT);
    assert_non_null(strstr(gh_db_errmsg(db), "append-only"));
    assert_int_equal(write_sql(db, "DELETE FROM audit", 0, NULL), GH_CONSTRAINT);
    assert_int_equal(gh_db_commit(db, &err), GH_OK);
    assert_int_equal(scalar(db, "SELECT count(*) FROM users"), 1);
    assert_int_equal(scalar(db, "SELECT count(*) FROM audit"), 1);
    /* The same refusals outside a transaction. */
    assert_int_equal(add_user(db, "o1", "u4", "ann@example.com"), GH_UNIQUE);
    assert_int_equal(write_sql(db, "DELETE FROM audit", 0, NULL), GH_CONSTRAINT);
    gh_db_close(db);
}

static void statements(void **state)
{
    (void)state;
    char url[1024];
    gh_db *db = open_migrated(url, sizeof url);

    /* Types, names and text of a row. */
    gh_stmt *st = gh_stmt_prepare(db, "SELECT ?1::bigint AS n, ?2::text AS t, NULL AS z, ?3::float8 AS d,"
                                            " true AS b, 'caf\xc3\xa9'::text AS u");
    assert_non_null(st);
    gh_bind_i64(st, 1, INT64_MIN);
    gh_bind_textn(st, 2, "abcdef", 3);
    gh_bind_double(st, 3, 2.5);
    /* The columns are known before the first step, as in SQLite. */
    assert_int_equal(gh_col_count(st), 6);
    assert_string_equal(gh_col_name(st, 5), "u");
    assert_string_equal(gh_col_name(st, 6), "");
    assert_int_equal(gh_step(st), GH_ROW);
    assert_int_equal(gh_col_count(st), 6);
    assert_string_equal(gh_col_name(st, 1), "t");
    assert_int_equal(gh_col_type(st, 0), GH_COL_INT);
    assert_true(gh_col_i64(st, 0) == INT64_MIN);
    assert_int_equal(gh_col_type(st, 1), GH_COL_TEXT);
    assert_string_equal(gh_col_text(st, 1), "abc");
    assert_int_equal(gh_col_type(st, 2), GH_COL_NULL);
    assert_null(gh_col_text_or_null(st, 2));
    assert_int_equal(gh_col_type(st, 3), GH_COL_REAL);
    assert_true(gh_col_double(st, 3) == 2.5);
    assert_int_equal(gh_col_i64(st, 4), 1);
    assert_int_equal(gh_col_bytes(st, 5), 5);
    assert_null(gh_col_text_or_null(st, 9));
    assert_int_equal(gh_step(st), GH_DONE);
    assert_int_equal(gh_step(st), GH_DONE);
    /* Reset keeps the bindings: the same row again. */
    gh_reset(st);
    assert_int_equal(gh_step(st), GH_ROW);
    assert_string_equal(gh_col_text(st, 1), "abc");
    gh_stmt_finalize(st);

    /* Several rows, in order; a cached statement comes back cleared. */
    static const char *const series = "SELECT g FROM generate_series(1, ?1::int) g ORDER BY g";
    st = gh_db_stmt(db, series);
    assert_non_null(st);
    gh_bind_i64(st, 1, 3);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(gh_step(st), GH_ROW);
        assert_int_equal(gh_col_i64(st, 0), i);
    }
    assert_int_equal(gh_step(st), GH_DONE);
    assert_ptr_equal(gh_db_stmt(db, series), st);
    assert_int_equal(gh_step(st), GH_DONE); /* ?1 is NULL now: no rows */

    /* Bad bindings fail the step, not the program. */
    gh_stmt *b = gh_stmt_prepare(db, "SELECT ?1::text");
    assert_non_null(b);
    gh_bind_text(b, 2, "x");
    assert_int_equal(gh_step(b), GH_STEP_ERROR);
    gh_reset(b);
    gh_bind_textn(b, 1, "a\0b", 3);
    assert_int_equal(gh_step(b), GH_STEP_ERROR);
    gh_stmt_finalize(b);
    assert_null(gh_stmt_prepare(db, "SELECT ?"));
    assert_null(gh_stmt_prepare(db, "SELECT FROM nowhere_at_all"));

    /* The connection drops between statements (a restart, a proxy): the
     * next statement reconnects and prepares its statement again. */
    gh_stmt *pid = gh_stmt_prepare(db, "SELECT pg_backend_pid()");
    assert_non_null(pid);
    assert_int_equal(gh_step(pid), GH_ROW);
    char kill_sql[96];
    snprintf(kill_sql, sizeof kill_sql, "SELECT pg_terminate_backend(%lld, 60000)", (long long)gh_col_i64(pid, 0));
    gh_stmt_finalize(pid);
    gh_reset(st);
    gh_bind_i64(st, 1, 2);
    assert_int_equal(gh_step(st), GH_ROW);
    gh_reset(st);
    assert_int_equal(gh_pg_exec(admin, kill_sql), 0);
    /* The first use finds the connection gone (the kill waited for the
     * session to end) ... */
    assert_int_equal(gh_step(st), GH_STEP_ERROR);
    gh_reset(st);
    gh_err gone = {0};
    assert_int_equal(gh_db_fail(db, &gone, "probe"), GH_E_BUSY);
    assert_string_equal(gone.code, "store_unavailable");
    /* ... and the next works again, on a new session. */
    assert_int_equal(gh_step(st), GH_ROW);
    assert_int_equal(gh_col_i64(st, 0), 1);
    gh_reset(st);

    /* Lost inside a transaction: nothing runs outside it on a new session;
     * the commit fails; after the rollback the connection comes back. */
    gh_err e = {0};
    assert_int_equal(gh_db_begin(db, &e), GH_OK);
    gh_stmt *ins = gh_stmt_prepare(db, "INSERT INTO orgs (id, slug, name, template, created_at)"
                                             " VALUES (?1, ?1, 'X', 'factory', 1)");
    assert_non_null(ins);
    pid = gh_stmt_prepare(db, "SELECT pg_backend_pid()");
    assert_non_null(pid);
    assert_int_equal(gh_step(pid), GH_ROW);
    snprintf(kill_sql, sizeof kill_sql, "SELECT pg_terminate_backend(%lld, 60000)", (long long)gh_col_i64(pid, 0));
    gh_stmt_finalize(pid);
    assert_int_equal(gh_pg_exec(admin, kill_sql), 0);
    gh_bind_text(ins, 1, "x");
    assert_int_equal(gh_step(ins), GH_STEP_ERROR);
    gh_reset(ins);
    gh_bind_text(ins, 1, "y");
    assert_int_equal(gh_step(ins), GH_STEP_ERROR);
    assert_non_null(strstr(gh_db_errmsg(db), "lost in the transaction"));
    assert_null(gh_stmt_prepare(db, "SELECT 1"));
    gh_err ce = {0};
    assert_int_equal(gh_db_commit(db, &ce), GH_E_BUSY);
    assert_string_equal(ce.code, "store_unavailable");
    assert_false(gh_db_in_tx(db));
    assert_int_equal(scalar(db, "SELECT count(*) FROM orgs"), 0);
    assert_int_equal(gh_db_begin(db, &e), GH_OK);
    add_org(db, "z");
    assert_int_equal(gh_db_commit(db, &e), GH_OK);
    assert_int_equal(scalar(db, "SELECT count(*) FROM orgs"), 1);
    gh_stmt_finalize(ins);
    gh_db_close(db);
}

/* ---- the statement layer's cases of test_store.c, on PostgreSQL ---------- */

/* Runs SQL with no rows through an uncached statement. */
static void run_sql(gh_db *db, const char *sql)
{
    gh_stmt *st = gh_stmt_prepare(db, sql);
    if (!st) fail_msg("prepare %s: %s", sql, gh_db_errmsg(db));
    assert_int_equal(gh_step(st), GH_DONE);
    gh_stmt_finalize(st);
}

static const char *const INSERT_T = "INSERT INTO t (id, label, n, r, note, parent) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char *const SELECT_T = "SELECT id, label, n, r, note, parent FROM t WHERE id >= ?1 ORDER BY id";

/* test_store.c's scratch table, in PostgreSQL's types. */
static gh_db *scratch_db(void)
{
    char url[1024];
    gh_db *db = open_migrated(url, sizeof url);
    run_sql(db, "CREATE TABLE t (id BIGINT PRIMARY KEY, label TEXT UNIQUE, n BIGINT NOT NULL CHECK (n >= 0),"
                " r DOUBLE PRECISION, note TEXT, parent BIGINT REFERENCES t(id))");
    return db;
}

static void stmt_bind_step_columns(void **state)
{
    (void)state;
    gh_db *db = scratch_db();
    gh_stmt *ins = gh_db_stmt(db, INSERT_T);
    assert_non_null(ins);
    /* The statement is this backend's: the calls dispatch on its table. */
    assert_ptr_equal(gh_stmt_ops(ins), &gh_store_pg_ops);
    gh_bind_i64(ins, 1, 1);
    gh_bind_text(ins, 2, "\xc3\x89mile");
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
    gh_bind_textn(ins, 5, "x;y", 3);    /* (PostgreSQL text holds no NUL: statements() refuses one) */
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
    assert_string_equal(gh_col_text(sel, 1), "\xc3\x89mile");
    assert_int_equal(gh_col_bytes(sel, 1), strlen("\xc3\x89mile"));
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
    assert_int_equal(gh_col_bytes(sel, 4), 3);
    assert_memory_equal(gh_col_text(sel, 4), "x;y", 3);
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
    assert_non_null(up);
    gh_bind_i64(up, 1, 0);
    assert_int_equal(gh_step(up), GH_DONE);
    gh_reset(up);
    assert_int_equal(gh_db_changes(db), 2);
    gh_bind_i64(up, 1, 5);
    assert_int_equal(gh_step(up), GH_DONE);
    assert_int_equal(gh_db_changes(db), 0);
    gh_reset(up);
    /* a read does not change the count of the last write */
    gh_bind_i64(sel, 1, 1);
    assert_int_equal(gh_step(sel), GH_ROW);
    gh_reset(sel);
    assert_int_equal(gh_db_changes(db), 0);
    gh_db_close(db);
}

static void stmt_refusals_and_errors(void **state)
{
    (void)state;
    gh_db *db = scratch_db();
    gh_stmt *ins = gh_db_stmt(db, INSERT_T);
    assert_non_null(ins);
    gh_bind_i64(ins, 1, 1);
    gh_bind_text(ins, 2, "one");
    gh_bind_i64(ins, 3, 1);
    assert_int_equal(gh_step(ins), GH_DONE);
    gh_reset(ins);
    /* the same primary key: a unique refusal */
    gh_bind_text(ins, 2, "two");
    assert_int_equal(gh_step(ins), GH_UNIQUE);
    gh_reset(ins);
    assert_true(gh_db_conflict_names(db, "id"));
    assert_false(gh_db_conflict_names(db, "label"));
    /* the same label: unique, naming its column */
    gh_bind_i64(ins, 1, 2);
    gh_bind_text(ins, 2, "one");
    int s = gh_step(ins);
    gh_reset(ins);
    assert_int_equal(s, GH_UNIQUE);
    assert_true(gh_step_refused(s));
    assert_true(gh_db_conflict_names(db, "label"));
    assert_false(gh_db_conflict_names(db, "parent"));
    assert_false(gh_db_conflict_names(db, "one")); /* the value, not a column */
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
    /* a refused write is reported as internal by gh_db_fail when a caller
     * does not handle it (never as busy) */
    gh_err err = {0};
    assert_int_equal(gh_db_fail(db, &err, "test"), GH_E_INTERNAL);
    gh_err_clear(&err);
    /* nothing of the refused writes was kept */
    gh_stmt *cnt = gh_db_stmt(db, "SELECT count(*) FROM t");
    assert_non_null(cnt);
    assert_int_equal(gh_step(cnt), GH_ROW);
    assert_int_equal(gh_col_i64(cnt, 0), 1);
    gh_reset(cnt);

    /* a runtime error: GH_STEP_ERROR, reported as internal */
    gh_stmt *bad = gh_stmt_prepare(db, "SELECT abs(-9223372036854775807 - ?1::bigint)");
    assert_non_null(bad);
    gh_bind_i64(bad, 1, 1);
    assert_int_equal(gh_step(bad), GH_STEP_ERROR);
    gh_reset(bad);
    assert_int_equal(gh_db_fail(db, &err, "test"), GH_E_INTERNAL);
    assert_string_equal(err.code, "internal");
    assert_non_null(strstr(gh_db_errmsg(db), "out of range"));
    gh_err_clear(&err);
    gh_stmt_finalize(bad);
    gh_stmt_finalize(NULL); /* safe */
    /* SQL that does not prepare: NULL, cached or not */
    assert_null(gh_stmt_prepare(db, "SELEC nonsense"));
    assert_non_null(strstr(gh_db_errmsg(db), "syntax error"));
    static const char *const missing = "SELECT no_such_column FROM t";
    assert_null(gh_db_stmt(db, missing));
    assert_non_null(strstr(gh_db_errmsg(db), "no_such_column"));
    assert_null(gh_db_stmt(db, missing)); /* not cached as a success */
    /* the connection is fine afterwards */
    assert_int_equal(scalar(db, "SELECT count(*) FROM t"), 1);
    gh_db_close(db);
}

static json_t *row_json(gh_stmt *st, void *arg)
{
    int *calls = arg;
    (*calls)++;
    return json_pack("{s:I, s:s}", "id", (json_int_t)gh_col_i64(st, 0), "label", gh_col_text(st, 1));
}

static void count_row(gh_stmt *st, void *arg)
{
    (void)st;
    (*(int *)arg)++;
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
    gh_db *db = scratch_db();
    run_sql(db, "INSERT INTO t (id, label, n) VALUES (1, 'a', 0), (2, 'b', 0), (3, 'c', 0)");
    gh_err err = {0};
    int calls = 0;
    gh_stmt *sel = gh_db_stmt(db, SELECT_T);
    assert_non_null(sel);
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
    /* a failing step: NULL, the database error (PostgreSQL fails the whole
     * statement before its first row, where SQLite fails at the second) */
    gh_stmt *bad = gh_stmt_prepare(db, "SELECT 1::bigint, 'x' UNION ALL SELECT abs(-9223372036854775807 - ?1::bigint), 'y'");
    assert_non_null(bad);
    gh_bind_i64(bad, 1, 1);
    calls = 0;
    assert_null(gh_sql_json_rows(db, bad, row_json, &calls, &err, "rows"));
    assert_int_equal(calls, 0);
    assert_string_equal(err.code, "internal");
    gh_err_clear(&err);
    gh_stmt_finalize(bad);
    /* gh_sql_each_row over the same statement layer */
    gh_bind_i64(sel, 1, 1);
    calls = 0;
    assert_int_equal(gh_sql_each_row(db, sel, count_row, &calls, &err, "rows"), GH_OK);
    assert_int_equal(calls, 3);
    gh_db_close(db);
}

static void bind_label(gh_stmt *st, void *arg) { gh_bind_text(st, 1, arg); }

/* The plan of a query is PostgreSQL's EXPLAIN (with its parameters); a
 * consistent copy and an integrity check are refused, naming pg_dump. */
static void plan_and_whole_database(void **state)
{
    (void)state;
    gh_db *db = scratch_db();
    gh_err err = {0};
    char plan[2048];
    assert_int_equal(gh_sql_plan(db, "SELECT id FROM t WHERE label = ?1", bind_label, "a", plan, sizeof plan, &err),
                     GH_OK);
    assert_non_null(strstr(plan, " on t"));
    assert_non_null(strstr(plan, "Scan"));
    assert_non_null(strchr(plan, '\n'));
    /* cut at the buffer, never past it */
    char small[8];
    assert_int_equal(gh_sql_plan(db, "SELECT id FROM t WHERE label = ?1", bind_label, "a", small, sizeof small, &err),
                     GH_OK);
    assert_true(strlen(small) < sizeof small);
    /* a query that does not prepare */
    assert_int_equal(gh_sql_plan(db, "SELECT nothing FROM nowhere WHERE x = ?1", bind_label, "a", plan, sizeof plan,
                                 &err), GH_E_INTERNAL);
    assert_string_equal(plan, "");
    gh_err_clear(&err);

    char msg[256] = "";
    assert_int_not_equal(gh_db_ops(db)->copy_to(db, "/tmp/gh_pg_never_written.db", msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "pg_dump"));
    assert_int_equal(access("/tmp/gh_pg_never_written.db", F_OK), -1);
    msg[0] = '\0';
    assert_int_not_equal(gh_db_ops(db)->check_integrity(db, msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "is a PostgreSQL database"));
    assert_non_null(strstr(msg, "pg_dump"));
    gh_db_close(db);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--migrate-child") == 0) return migrate_child();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(placeholders),
        cmocka_unit_test(urls_refused_and_redacted),
        cmocka_unit_test(migration_counts_match),
        cmocka_unit_test(open_migrate_and_again),
        cmocka_unit_test(passwords),
        cmocka_unit_test(concurrent_migrations),
        cmocka_unit_test(schema_parity),
        cmocka_unit_test(transactions),
        cmocka_unit_test(generation_triggers),
        cmocka_unit_test(refused_writes),
        cmocka_unit_test(statements),
        cmocka_unit_test(stmt_bind_step_columns),
        cmocka_unit_test(stmt_refusals_and_errors),
        cmocka_unit_test(stmt_json_rows),
        cmocka_unit_test(plan_and_whole_database),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
