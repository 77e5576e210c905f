/*
 * The storage handle. store/ is the only layer that speaks SQL; this header
 * is what the layers above see of its plumbing: an opaque connection
 * (gh_db), opening it and applying the versioned forward-only migrations,
 * read and write transactions, and the generation counter that tells every
 * process sharing the database that authorization state changed.
 *
 * A gh_db carries the operations table of the backend that opened it
 * (store/backend.h; SQLite in WAL mode with durable commits is the only one
 * today), so a second backend is added inside src/store/ without touching
 * core. Statements and bindings are private to src/store/ (store/stmt.h,
 * backend-neutral); <sqlite3.h> is private to the SQLite backend's files
 * (store/sqlite_int.h).
 *
 * One gh_db is one connection and must only be used by one thread at a time;
 * the server gives each worker thread its own (gh_db_thread()).
 */
#ifndef GH_DB_H
#define GH_DB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

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

/* Whether path is a URL (scheme://...: a database server's), not a file. */
bool gh_db_is_url(const char *path);
/* url with the password, if it names one, shown as *** (for messages and
 * logs). */
void gh_db_redact_url(const char *url, char *out, size_t cap);

/* The backend's name ("sqlite"), for logs and the status page. */
const char *gh_db_backend_name(gh_db *db);

/* Write transactions: begin takes the write lock (BEGIN IMMEDIATE in
 * SQLite), commit makes the change durable, rollback undoes it. begin and
 * commit fill err on failure (busy database -> GH_E_BUSY). Rollback is
 * always safe to call. Neither refreshes the authorization snapshot: core's
 * gh_tx_commit_and_refresh (core/guard.h) does both. */
gh_status gh_db_begin(gh_db *db, gh_err *err);
/* Begin without waiting: GH_E_BUSY at once (not logged) when
 * another connection holds the write lock. For work that may be skipped. */
gh_status gh_db_begin_nowait(gh_db *db, gh_err *err);
/* Whether a thread of this process is waiting in gh_db_begin for the write
 * lock. Background loops that write in many short transactions (the mail
 * and webhook dispatchers) stop their round when it is set: a request's
 * busy handler polls the lock every few ms to 100 ms and would otherwise
 * miss every gap between their commits until its 5 s budget ran out
 * (503 database_busy on a CSV import while the mails of the previous one
 * were being dispatched). */
bool gh_db_write_wanted(void);
gh_status gh_db_commit(gh_db *db, gh_err *err);
/* This connection's page cache in KiB (0: SQLite's default, 2 MB): a bulk
 * write (serve --demo-size) keeps its pages in memory instead of spilling
 * them to the WAL mid-transaction. */
void gh_db_cache_kib(gh_db *db, int64_t kib);
/* A read transaction: one consistent view of the database across several
 * reads (the snapshot builder), ended by gh_db_end_read. */
gh_status gh_db_begin_read(gh_db *db, gh_err *err);
void gh_db_end_read(gh_db *db);
void gh_db_rollback(gh_db *db);
bool gh_db_in_tx(gh_db *db);

/* The authorization generation: bumped by triggers whenever something a
 * permission check depends on changes, from any process. */
int64_t gh_db_generation(gh_db *db);

/* gatehouse_db_errors_total{kind} (util/metrics.h), registered on first call. */
struct gh_metric *gh_db_metric_errors(void);

#endif
