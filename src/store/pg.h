/*
 * Private to src/store/: the PostgreSQL backend (store/pg.c), over libpq.
 *
 * gh_store_pg_ops fills the connection-level operations of
 * store/backend.h: open from a postgresql:// URL (the password from the URL,
 * PGPASSWORD or ~/.pgpass, as libpq reads them), migrations
 * (store/pg_migrations.c, serialised between processes by an advisory
 * lock), transactions and the generation counter. It is not yet chosen by
 * gh_store_backend_for: the per-table store functions speak SQLite only, so
 * `--db postgresql://...` is still refused, and the backend is used by its
 * tests (tests/unit/test_pg_store.c) directly. docs/postgresql.md says what
 * works and what is coming.
 *
 * The statement calls below have the semantics of the backend-neutral
 * statement layer (gh_stmt: bind, step, column) that the per-table
 * functions are being moved to; they become that layer's entries in the
 * operations table when it lands. SQL text uses `?N` placeholders
 * (1-based), rewritten once per statement to PostgreSQL's `$N`; results
 * come back as text and are converted on read. Unlike SQLite, the server
 * infers each parameter's type from where it stands: every ?N from 1 to
 * the highest must be used, and one whose type cannot be inferred (only
 * in `?4 IS NULL`) needs a cast in the PostgreSQL text. Text cannot hold
 * a NUL byte (binding one fails the step).
 *
 * Transactions, as the SQLite backend behaves:
 *   - a write transaction is READ COMMITTED and holds one transaction-level
 *     advisory lock for the whole database: writers take turns, like
 *     SQLite's single writer, so every invariant the core checks inside a
 *     write transaction (seat limits, the last administrator, ...) holds
 *     with writers on several nodes. Waiting for it gives up after 5 s
 *     (busy); begin-without-waiting gives up at once.
 *   - a read transaction is REPEATABLE READ, READ ONLY: one snapshot.
 *   - a write statement (INSERT, UPDATE, DELETE) inside a transaction runs
 *     under a savepoint, so a refused write (a unique key taken) leaves the
 *     transaction usable, as in SQLite, instead of aborting it.
 */
#ifndef GH_STORE_PG_H
#define GH_STORE_PG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/backend.h"
#include "store/db.h"

/* The PostgreSQL backend's operations table. */
extern const gh_store_ops gh_store_pg_ops;

/* What a step did: the values of the statement layer's gh_step_result. */
enum {
    GH_PG_ERROR = -1,      /* anything else (gh_pg_errmsg says what) */
    GH_PG_DONE = 0,        /* no (more) rows */
    GH_PG_ROW = 1,         /* a row is ready for the column calls */
    GH_PG_UNIQUE = 2,      /* a UNIQUE or PRIMARY KEY constraint refused the write */
    GH_PG_FOREIGN_KEY = 3, /* a FOREIGN KEY constraint */
    GH_PG_CONSTRAINT = 4,  /* another constraint (CHECK, NOT NULL, a trigger's refusal) */
};

/* The type of a column's value: the values of the layer's gh_col_type. */
enum { GH_PG_COL_NULL, GH_PG_COL_INT, GH_PG_COL_REAL, GH_PG_COL_TEXT, GH_PG_COL_BLOB };

typedef struct gh_pg_stmt gh_pg_stmt;

/* Rewrites the `?N` placeholders of sql into `$N` (not inside quotes or
 * comments) into out; *nparams gets the highest N. false when out is too
 * small, a placeholder has no number or N is out of range (1..999). */
bool gh_pg_rewrite_placeholders(const char *sql, char *out, size_t cap, int *nparams);

/* A cached statement for `sql` (a string literal: the cache is keyed by its
 * address), reset and with its bindings cleared; owned by the connection.
 * NULL on error (logged). */
gh_pg_stmt *gh_pg_stmt_cached(gh_db *db, const char *sql);
/* A statement of its own, for SQL built at run time; NULL on error
 * (gh_pg_errmsg). Freed by gh_pg_stmt_finalize. */
gh_pg_stmt *gh_pg_stmt_prepare(gh_db *db, const char *sql);
/* Frees a statement from gh_pg_stmt_prepare; NULL is a no-op. */
void gh_pg_stmt_finalize(gh_pg_stmt *st);

/* Bindings, 1-based, copied. Text: len bytes, or up to the NUL when len is
 * SIZE_MAX; NULL binds SQL NULL. A binding that cannot be stored (out of
 * memory, index out of range) makes the next step fail. */
void gh_pg_bind_text(gh_pg_stmt *st, int i, const char *s, size_t len);
void gh_pg_bind_i64(gh_pg_stmt *st, int i, int64_t v);
void gh_pg_bind_double(gh_pg_stmt *st, int i, double v);
void gh_pg_bind_null(gh_pg_stmt *st, int i);

/* Runs the statement (on the first step after a reset) and moves to its
 * next row: a GH_PG_ step result. */
int gh_pg_step(gh_pg_stmt *st);
/* Ends the current run, keeping the bindings; safe after any step. */
void gh_pg_reset(gh_pg_stmt *st);

/* Columns of the current row, 0-based. Text lives until the next step,
 * reset or finalize. Out of range or no row: NULL, 0, "". */
int gh_pg_col_type(gh_pg_stmt *st, int i);
int64_t gh_pg_col_i64(gh_pg_stmt *st, int i);
double gh_pg_col_double(gh_pg_stmt *st, int i);
const char *gh_pg_col_text(gh_pg_stmt *st, int i); /* NULL for SQL NULL */
size_t gh_pg_col_bytes(gh_pg_stmt *st, int i);
int gh_pg_col_count(gh_pg_stmt *st);
const char *gh_pg_col_name(gh_pg_stmt *st, int i);

/* Rows the connection's last completed INSERT, UPDATE or DELETE changed. */
int64_t gh_pg_changes(gh_db *db);
/* After GH_PG_UNIQUE: whether the refused write collided on `column`. */
bool gh_pg_conflict_names(gh_db *db, const char *column);
/* The connection's last error message. */
const char *gh_pg_errmsg(gh_db *db);
/* Reports the last error into err (busy, storage_full, store_unavailable,
 * else internal) and logs it. */
gh_status gh_pg_fail(gh_db *db, gh_err *err, const char *what);

/* Runs SQL with no parameters (one or more statements); 0 or -1 (logged,
 * gh_pg_errmsg). */
int gh_pg_exec(gh_db *db, const char *sql);

#endif
