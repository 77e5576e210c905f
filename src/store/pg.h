/*
 * Private to src/store/: the PostgreSQL backend (store/pg.c), over libpq.
 *
 * gh_store_pg_ops fills every entry of store/backend.h: open from a
 * postgresql:// URL (the password from the URL, PGPASSWORD or ~/.pgpass,
 * as libpq reads them), migrations (store/pg_migrations.c, serialised
 * between processes by an advisory lock), transactions, the generation
 * counter and the statement layer of store/stmt.h (a gh_stmt of this
 * backend is a prepared statement of the session). It is not yet chosen by
 * gh_store_backend_for: the per-table store functions still hold SQLite
 * dialect in places, so `--db postgresql://...` is still refused, and the
 * backend is used by its tests (tests/unit/test_pg_store.c) directly.
 * docs/postgresql.md says what works and what is coming.
 *
 * Statements: SQL text uses `?N` placeholders (1-based), rewritten once
 * per statement to PostgreSQL's `$N`; results come back as text and are
 * converted on read, as SQLite converts. Unlike SQLite, the server infers
 * each parameter's type from where it stands: every ?N from 1 to the
 * highest must be used, and one whose type cannot be inferred (only in
 * `?4 IS NULL`) needs a cast in the PostgreSQL text. Text cannot hold a
 * NUL byte (binding one fails the step). A binding that cannot be stored
 * (out of memory, an index the statement does not have) fails the next
 * step. The plan of a query is PostgreSQL's EXPLAIN. A consistent copy and
 * an integrity check (copy_to, check_integrity) are refused: pg_dump and
 * pg_amcheck do them.
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

/* Rewrites the `?N` placeholders of sql into `$N` (not inside quotes or
 * comments) into out; *nparams gets the highest N. false when out is too
 * small, a placeholder has no number or N is out of range (1..999). */
bool gh_pg_rewrite_placeholders(const char *sql, char *out, size_t cap, int *nparams);

/* Runs SQL with no parameters (one or more statements); 0 or -1 (logged;
 * gh_db_errmsg says why). */
int gh_pg_exec(gh_db *db, const char *sql);

#endif
