/* The SQLite backend of the store (store/backend.h): connections in WAL
 * mode with durable commits, migrations, the statement cache and the
 * statement calls of store/stmt.h, transactions, the generation counter,
 * and the whole-database operations (VACUUM INTO, integrity_check). */
#include "store/sqlite_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"
#include "store/migrations.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/util.h"

#define STMT_CACHE 1024 /* power of two; distinct SQL statements in the program */

/* A statement: the operations table first (store/backend.h). Cached ones
 * live in their connection's cache; gh_stmt_prepare allocates one. */
struct gh_stmt {
    gh_stmt_head head;
    sqlite3_stmt *raw;
};

struct gh_db {
    gh_db_head head; /* first: the operations table (store/backend.h) */
    sqlite3 *conn;
    struct { const char *sql; gh_stmt stmt; } cache[STMT_CACHE];
};

/* Waiting for another connection's lock: SQLite's own busy_timeout schedule
 * (sleeps growing from 1 ms to 100 ms, BUSY_WAIT_MS in all), plus one log
 * line when a wait starts, so an operator (and the concurrency tests) can
 * see that a request is waiting for the write lock. */
#define BUSY_WAIT_MS 5000
static int busy_wait(void *unused, int count)
{
    static const int delays[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    static const int totals[] = {0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228};
    enum { N = (int)(sizeof delays / sizeof delays[0]) };
    (void)unused;
    if (count < 0) return 0;
    int delay, prior;
    if (count < N) {
        delay = delays[count];
        prior = totals[count];
    } else {
        delay = delays[N - 1];
        prior = totals[N - 1] + delay * (count - (N - 1));
    }
    if (prior >= BUSY_WAIT_MS) return 0;
    if (prior + delay > BUSY_WAIT_MS) delay = BUSY_WAIT_MS - prior;
    if (count == 0) gh_logf(GH_LOG_INFO, "database_busy_wait: waiting for another connection's lock");
    sqlite3_sleep(delay);
    return 1;
}

/* Name order (util.h gh_name_sort_key) inside SQL: the collation gh_name for
 * ORDER BY on short lists, and gh_name_key(text) for the stored sort key of
 * users (computed by the migration that adds it; the store writes it on
 * every insert and update). Both deterministic and registered on every
 * connection. */
static int name_collation(void *unused, int alen, const void *a, int blen, const void *b)
{
    (void)unused;
    return gh_name_cmp(a, alen > 0 ? (size_t)alen : 0, b, blen > 0 ? (size_t)blen : 0);
}

static void name_key_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *t = sqlite3_value_text(argv[0]);
    char key[GH_NAME_KEY_MAX];
    size_t n = gh_name_sort_key(t ? (const char *)t : "", key, sizeof key);
    sqlite3_result_text(cx, key, (int)n, SQLITE_TRANSIENT);
}

static void search_key_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *part[3];
    for (int i = 0; i < 3; i++) {
        const unsigned char *t = sqlite3_value_text(argv[i]);
        part[i] = t ? (const char *)t : "";
    }
    char key[GH_SEARCH_KEY_MAX];
    size_t n = gh_search_key(part[0], part[1], part[2], key, sizeof key);
    sqlite3_result_text(cx, key, (int)n, SQLITE_TRANSIENT);
}

static void sqlite_close(gh_db *db);
static gh_status sqlite_fail(gh_db *db, gh_err *err, const char *what);

static int sqlite_open(const char *path, bool create, bool readonly, gh_db **out, char *err, size_t errlen)
{
    int rc = -1;
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | (create ? SQLITE_OPEN_CREATE : 0) |
                SQLITE_OPEN_NOMUTEX;
    gh_db *db = calloc(1, sizeof *db);
    if (!db) { snprintf(err, errlen, "out of memory"); goto out; }
    db->head.ops = &gh_store_sqlite_ops;
    if (sqlite3_open_v2(path, &db->conn, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path,
                 db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(db->conn, 1);
    if (sqlite3_create_collation_v2(db->conn, "gh_name", SQLITE_UTF8, NULL, name_collation, NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(db->conn, "gh_name_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, name_key_fn,
                                   NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(db->conn, "gh_search_key", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                   search_key_fn, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot register the name order: %s", sqlite3_errmsg(db->conn));
        goto out;
    }
    sqlite3_busy_handler(db->conn, busy_wait, NULL);
    /* WAL for concurrent readers; synchronous=FULL makes each commit durable
     * (NORMAL could lose the last commits on power loss). */
    if (!readonly && (gh_db_exec(db, "PRAGMA journal_mode=WAL") != 0 ||
        gh_db_exec(db, "PRAGMA synchronous=FULL") != 0 ||
        gh_db_exec(db, "PRAGMA foreign_keys=ON") != 0 ||
        gh_db_exec(db, "PRAGMA temp_store=MEMORY") != 0)) {
        snprintf(err, errlen, "cannot configure database %s: %s", path, sqlite3_errmsg(db->conn));
        goto out;
    }
#ifdef GH_TEST_HOOKS
    /* Test builds only: GH_TEST_MAX_PAGES caps the file so that writes meet
     * SQLITE_FULL, as on a full disk (tests/api/failure.test.mjs). */
    const char *pages = getenv("GH_TEST_MAX_PAGES");
    int64_t max_pages;
    if (pages && *pages && gh_parse_i64(pages, 1, INT32_MAX, &max_pages)) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA max_page_count=%lld", (long long)max_pages);
        if (gh_db_exec(db, sql) != 0) {
            snprintf(err, errlen, "cannot cap database %s: %s", path, sqlite3_errmsg(db->conn));
            goto out;
        }
    }
#endif
    *out = db;
    db = NULL;
    rc = 0;
out:
    sqlite_close(db);
    return rc;
}

static void sqlite_close(gh_db *db)
{
    if (!db) return;
    for (size_t i = 0; i < STMT_CACHE; i++)
        if (db->cache[i].stmt.raw) sqlite3_finalize(db->cache[i].stmt.raw);
    sqlite3_close(db->conn);
    free(db);
}

sqlite3 *gh_db_raw(gh_db *db) { return db->conn; }

void gh_db_cache_kib(gh_db *db, int64_t kib)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", (long long)(kib > 0 ? -kib : -2000));
    (void)gh_db_exec(db, sql);
}

int gh_db_exec(gh_db *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->conn, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        gh_logf(GH_LOG_ERROR, "sql exec failed: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* A meta value; 0 if absent, -1 if it cannot be read. */
static int64_t meta_get(gh_db *db, const char *key)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT value FROM meta WHERE key = ?1");
    if (!st) return -1;
    gh_bind_text(st, 1, key);
    int rc = gh_step(st);
    int64_t v = rc == GH_ROW ? gh_col_i64(st, 0) : rc == GH_DONE ? 0 : -1;
    gh_reset(st);
    return v;
}

static int64_t sqlite_stored_schema_version(gh_db *db)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (!st) return -1;
    int rc = gh_step(st);
    int64_t v = rc == GH_ROW ? gh_col_i64(st, 0) : rc == GH_DONE ? 0 : -1;
    gh_reset(st);
    return v;
}

/* Each migration runs in its own write transaction and re-reads the version
 * inside it, after taking the write lock: of several processes starting on
 * one new database at once, one applies a migration and the others, who
 * waited for the lock (busy timeout), find it applied and go on. */
static int sqlite_migrate(gh_db *db, char *err, size_t errlen)
{
    int target = gh_migrations_count();
    for (;;) {
        if (gh_db_exec(db, "BEGIN IMMEDIATE") != 0) {
            snprintf(err, errlen, "cannot begin migration: %s", sqlite3_errmsg(db->conn));
            return -1;
        }
        if (gh_db_exec(db, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)") != 0) {
            snprintf(err, errlen, "cannot create meta table: %s", sqlite3_errmsg(db->conn));
            goto fail;
        }
        int64_t current = meta_get(db, "schema_version");
        if (current < 0) { snprintf(err, errlen, "cannot read schema version"); goto fail; }
        if (current > target) {
            snprintf(err, errlen,
                     "database schema version %lld is newer than this gatehouse (%d): "
                     "refusing to start; run a newer gatehouse or restore a backup",
                     (long long)current, target);
            goto fail;
        }
        if (current == target) {
            gh_db_exec(db, "COMMIT");
            return 0;
        }
        int v = (int)current + 1;
        char *msg = NULL;
        if (sqlite3_exec(db->conn, gh_migration_sql(v), NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "migration %d failed: %s", v, msg ? msg : "?");
            sqlite3_free(msg);
            goto fail;
        }
        gh_stmt *st = gh_db_stmt(db, "INSERT INTO meta(key, value) VALUES ('schema_version', ?1) "
                                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
        if (!st) { snprintf(err, errlen, "migration %d: cannot record version", v); goto fail; }
        gh_bind_i64(st, 1, v);
        int s = gh_step(st);
        gh_reset(st);
        if (s != GH_DONE || gh_db_exec(db, "COMMIT") != 0) {
            snprintf(err, errlen, "migration %d: cannot record version", v);
            goto fail;
        }
        gh_logf(GH_LOG_INFO, "applied schema migration %d", v);
    }
fail:
    gh_db_exec(db, "ROLLBACK");
    return -1;
}

static gh_stmt *sqlite_stmt_cached(gh_db *db, const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (STMT_CACHE - 1);
    for (size_t probe = 0; probe < STMT_CACHE; probe++, i = (i + 1) & (STMT_CACHE - 1)) {
        if (db->cache[i].sql == sql) {
            gh_stmt *st = &db->cache[i].stmt;
            sqlite3_reset(st->raw);
            sqlite3_clear_bindings(st->raw);
            return st;
        }
        if (!db->cache[i].sql) {
            sqlite3_stmt *raw = NULL;
            if (sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, NULL) != SQLITE_OK) {
                gh_logf(GH_LOG_ERROR, "sql prepare failed: %s: %s", sqlite3_errmsg(db->conn), sql);
                return NULL;
            }
            db->cache[i].sql = sql;
            db->cache[i].stmt.head.ops = &gh_store_sqlite_ops;
            db->cache[i].stmt.raw = raw;
            return &db->cache[i].stmt;
        }
    }
    gh_logf(GH_LOG_ERROR, "statement cache full");
    return NULL;
}

static gh_stmt *sqlite_stmt_prepare(gh_db *db, const char *sql)
{
    gh_stmt *st = calloc(1, sizeof *st);
    if (!st) {
        gh_logf(GH_LOG_ERROR, "sql prepare failed: out of memory");
        return NULL;
    }
    st->head.ops = &gh_store_sqlite_ops;
    if (sqlite3_prepare_v2(db->conn, sql, -1, &st->raw, NULL) != SQLITE_OK) {
        sqlite3_finalize(st->raw);
        free(st);
        return NULL;
    }
    return st;
}

static void sqlite_stmt_finalize(gh_stmt *st)
{
    sqlite3_finalize(st->raw);
    free(st);
}

/* len SIZE_MAX: up to the NUL. (Text over SQLite's length limit stays
 * unbound, so NULL, which the table's NOT NULL or the caller refuses.) */
static void sqlite_bind_text(gh_stmt *st, int i, const char *s, size_t len)
{
    if (!s) sqlite3_bind_null(st->raw, i);
    else if (len == SIZE_MAX) sqlite3_bind_text(st->raw, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_text64(st->raw, i, s, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void sqlite_bind_i64(gh_stmt *st, int i, int64_t v) { sqlite3_bind_int64(st->raw, i, v); }
static void sqlite_bind_double(gh_stmt *st, int i, double v) { sqlite3_bind_double(st->raw, i, v); }
static void sqlite_bind_null(gh_stmt *st, int i) { sqlite3_bind_null(st->raw, i); }

/* Extended result codes are on (sqlite_open), so a refused write says which
 * constraint refused it. */
static int sqlite_step(gh_stmt *st)
{
    int rc = sqlite3_step(st->raw);
    switch (rc) {
    case SQLITE_ROW: return GH_ROW;
    case SQLITE_DONE: return GH_DONE;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return GH_UNIQUE;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return GH_FOREIGN_KEY;
    default: return (rc & 0xff) == SQLITE_CONSTRAINT ? GH_CONSTRAINT : GH_STEP_ERROR;
    }
}

static void sqlite_reset(gh_stmt *st) { sqlite3_reset(st->raw); }

static int sqlite_col_type(gh_stmt *st, int i)
{
    switch (sqlite3_column_type(st->raw, i)) {
    case SQLITE_INTEGER: return GH_COL_INT;
    case SQLITE_FLOAT: return GH_COL_REAL;
    case SQLITE_TEXT: return GH_COL_TEXT;
    case SQLITE_BLOB: return GH_COL_BLOB;
    default: return GH_COL_NULL;
    }
}

static int64_t sqlite_col_i64(gh_stmt *st, int i) { return sqlite3_column_int64(st->raw, i); }
static double sqlite_col_double(gh_stmt *st, int i) { return sqlite3_column_double(st->raw, i); }
static const char *sqlite_col_text(gh_stmt *st, int i) { return (const char *)sqlite3_column_text(st->raw, i); }
static size_t sqlite_col_bytes(gh_stmt *st, int i)
{
    int n = sqlite3_column_bytes(st->raw, i);
    return n > 0 ? (size_t)n : 0;
}
static int sqlite_col_count(gh_stmt *st) { return sqlite3_column_count(st->raw); }
static const char *sqlite_col_name(gh_stmt *st, int i)
{
    const char *n = sqlite3_column_name(st->raw, i);
    return n ? n : "";
}

static int64_t sqlite_changes(gh_db *db) { return sqlite3_changes64(db->conn); }

/* SQLite names the columns of a failed unique constraint in its message:
 * "UNIQUE constraint failed: users.org_id, users.badge_norm". */
static bool sqlite_conflict_names(gh_db *db, const char *column)
{
    return strstr(sqlite3_errmsg(db->conn), column) != NULL;
}

static const char *sqlite_errmsg(gh_db *db) { return sqlite3_errmsg(db->conn); }

static int sqlite_copy_to(gh_db *db, const char *path, char *err, size_t errlen)
{
    int rc = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->conn, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK) goto out;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) goto out;
    rc = 0;
out:
    if (rc) snprintf(err, errlen, "cannot write %s: %s", path, sqlite3_errmsg(db->conn));
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_check_integrity(gh_db *db, char *err, size_t errlen)
{
    int rc = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->conn, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errlen, "is not a readable SQLite database: %s", sqlite3_errmsg(db->conn));
        goto out;
    }
    const char *verdict = (const char *)sqlite3_column_text(st, 0);
    if (!verdict || strcmp(verdict, "ok") != 0) {
        snprintf(err, errlen, "failed the integrity check: %s", verdict ? verdict : "(no answer)");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* BEGIN IMMEDIATE takes the write lock at once, so a transaction that
 * reads before it writes cannot fail to upgrade later. nowait: no busy
 * handler this once (GH_E_BUSY at once, not logged). */
static gh_status sqlite_begin_write(gh_db *db, bool wait, gh_err *err)
{
    if (!wait) sqlite3_busy_handler(db->conn, NULL, NULL);
    int rc = sqlite3_exec(db->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (!wait) sqlite3_busy_handler(db->conn, busy_wait, NULL);
    if (rc == SQLITE_OK) return GH_OK;
    if (!wait && ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)) {
        err->retry_after = 1;
        return gh_fail(err, GH_E_BUSY, "database_busy", "another writer holds the database");
    }
    return sqlite_fail(db, err, "begin");
}

/* A deferred transaction: one WAL snapshot for all the reads inside it. */
static gh_status sqlite_begin_read(gh_db *db, gh_err *err)
{
    if (gh_db_exec(db, "BEGIN") != 0) return sqlite_fail(db, err, "begin");
    return GH_OK;
}

static void sqlite_end_read(gh_db *db)
{
    if (!sqlite3_get_autocommit(db->conn)) gh_db_exec(db, "COMMIT");
}

static gh_status sqlite_commit(gh_db *db, gh_err *err)
{
    if (sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) return sqlite_fail(db, err, "commit");
    return GH_OK;
}

static void sqlite_rollback(gh_db *db)
{
    if (!sqlite3_get_autocommit(db->conn))
        sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
}

static int64_t sqlite_generation(gh_db *db) { return meta_get(db, "generation"); }

const gh_store_ops gh_store_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .migrate = sqlite_migrate,
    .stored_schema_version = sqlite_stored_schema_version,
    .begin_write = sqlite_begin_write,
    .begin_read = sqlite_begin_read,
    .end_read = sqlite_end_read,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .generation = sqlite_generation,
    .stmt_cached = sqlite_stmt_cached,
    .stmt_prepare = sqlite_stmt_prepare,
    .stmt_finalize = sqlite_stmt_finalize,
    .bind_text = sqlite_bind_text,
    .bind_i64 = sqlite_bind_i64,
    .bind_double = sqlite_bind_double,
    .bind_null = sqlite_bind_null,
    .step = sqlite_step,
    .reset = sqlite_reset,
    .col_type = sqlite_col_type,
    .col_i64 = sqlite_col_i64,
    .col_double = sqlite_col_double,
    .col_text = sqlite_col_text,
    .col_bytes = sqlite_col_bytes,
    .col_count = sqlite_col_count,
    .col_name = sqlite_col_name,
    .changes = sqlite_changes,
    .conflict_names = sqlite_conflict_names,
    .errmsg = sqlite_errmsg,
    .db_fail = sqlite_fail,
    .copy_to = sqlite_copy_to,
    .check_integrity = sqlite_check_integrity,
    .plan_prefix = "EXPLAIN QUERY PLAN ",
    .plan_column = 3,
};

static gh_status sqlite_fail(gh_db *db, gh_err *err, const char *what)
{
    int code = sqlite3_extended_errcode(db->conn);
    gh_logf(GH_LOG_ERROR, "database error in %s: %s", what, sqlite3_errmsg(db->conn));
    /* Looked up on each error (it takes a lock: error path only). */
    gh_metric *errors = gh_db_metric_errors();
    const bool busy = (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED;
    gh_metric_inc(errors, (const char *[]){busy ? "busy" : "error"});
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) {
        err->retry_after = 1;
        return gh_fail(err, GH_E_BUSY, "database_busy", "the database is busy; retry shortly");
    }
    /* A full disk is the operator's to fix; say so rather than "internal". */
    if ((code & 0xff) == SQLITE_FULL)
        return gh_fail(err, GH_E_INTERNAL, "storage_full", "the database cannot grow: its disk is full");
    /* The disk failed a read, write or sync: nothing was written (SQLite
     * rolled the transaction back); it may pass on a retry. */
    if ((code & 0xff) == SQLITE_IOERR) {
        err->retry_after = 5;
        return gh_fail(err, GH_E_BUSY, "storage_error", "the database's disk failed to read or write; retry shortly");
    }
    return gh_fail(err, GH_E_INTERNAL, "internal", "internal error");
}
