/*
 * The storage handle. store/ is the only layer that speaks SQL; this file is
 * its plumbing: opening SQLite in WAL mode with durable commits, applying the
 * versioned forward-only migrations, a per-connection cache of prepared
 * statements, write transactions, and the generation counter that tells every
 * process sharing the database that authorization state changed.
 *
 * One gh_db is one connection and must only be used by one thread at a time;
 * the server gives each worker thread its own (gh_db_thread()).
 */
#ifndef GH_DB_H
#define GH_DB_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

typedef struct gh_db gh_db;

/* The schema version this binary writes. */
int gh_db_schema_version(void);
/* The schema version recorded in the database; -1 if it cannot be read. */
int64_t gh_db_stored_schema_version(gh_db *db);

/* Opens (creating if needed) the database at path. err gets a message. */
int gh_db_open(const char *path, gh_db **out, char *err, size_t errlen);
/* Opens a database that must exist (no file is created); readonly opens it
 * for reading only and leaves its journal mode alone (for backups). */
int gh_db_open_existing(const char *path, bool readonly, gh_db **out, char *err, size_t errlen);
void gh_db_close(gh_db *db);
/* Applies pending migrations, each in its own transaction. Refuses (non-zero,
 * with a message) a database whose schema is newer than this binary. */
int gh_db_migrate(gh_db *db, char *err, size_t errlen);

/* Process-wide default path, and this thread's connection to it (opened on
 * first use, closed by gh_db_thread_close or at thread exit). */
void gh_db_set_path(const char *path);
const char *gh_db_path(void);
gh_db *gh_db_thread(void);
void gh_db_thread_close(void);

sqlite3 *gh_db_raw(gh_db *db);
/* A cached prepared statement for `sql`, reset and with bindings cleared.
 * `sql` must be a string literal (the cache is keyed by its address).
 * NULL on error (logged). */
sqlite3_stmt *gh_db_stmt(gh_db *db, const char *sql);
/* Runs SQL with no parameters and no result rows. */
int gh_db_exec(gh_db *db, const char *sql);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. begin and commit fill err on failure
 * (busy database -> GH_E_BUSY). Rollback is always safe to call. */
gh_status gh_db_begin(gh_db *db, gh_err *err);
/* BEGIN IMMEDIATE without waiting: GH_E_BUSY at once (not logged) when
 * another connection holds the write lock. For work that may be skipped. */
gh_status gh_db_begin_nowait(gh_db *db, gh_err *err);
gh_status gh_db_commit(gh_db *db, gh_err *err);
void gh_db_rollback(gh_db *db);
bool gh_db_in_tx(gh_db *db);

/* The authorization generation: bumped by triggers whenever something a
 * permission check depends on changes, from any process. */
int64_t gh_db_generation(gh_db *db);

/* Binding helpers: NULL strings bind SQL NULL. */
void gh_bind_text(sqlite3_stmt *st, int i, const char *s);
void gh_bind_i64(sqlite3_stmt *st, int i, int64_t v);
/* Column helpers: NULL becomes "" / 0. */
const char *gh_col_text(sqlite3_stmt *st, int i);
/* gatehouse_db_errors_total{kind} (util/metrics.h), registered on first call. */
struct gh_metric *gh_db_metric_errors(void);
/* Reports a failed step as GH_E_INTERNAL (or GH_E_BUSY) and logs it. */
gh_status gh_db_fail(gh_db *db, gh_err *err, const char *what);

#endif
