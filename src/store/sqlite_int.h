/*
 * Private to src/store/: the SQLite backend's plumbing, shared by the store
 * files that implement store.h and its family headers with SQL. Nothing
 * outside src/store/ may include this file or <sqlite3.h>
 * (scripts/check-layers.sh, run by ctest, fails the build's tests if one
 * does); the rest of the program sees only the opaque gh_db of store/db.h.
 *
 * The helpers every SQL file used to redefine for itself live here once:
 * PREP (a cached statement or a failed return), STEP_DONE (step a statement
 * that returns no row), CP (copy a text column into a fixed buffer) and
 * gh_sql_null_if_empty (bind "" as SQL NULL).
 */
#ifndef GH_STORE_SQLITE_INT_H
#define GH_STORE_SQLITE_INT_H
#include <jansson.h>
#include <sqlite3.h>

#include "store/db.h"
#include "util/util.h"

/* The connection under a gh_db opened by the SQLite backend. */
sqlite3 *gh_db_raw(gh_db *db);
/* A cached prepared statement for `sql`, reset and with bindings cleared.
 * `sql` must be a string literal (the cache is keyed by its address).
 * NULL on error (logged). */
sqlite3_stmt *gh_db_stmt(gh_db *db, const char *sql);
/* Runs SQL with no parameters and no result rows. */
int gh_db_exec(gh_db *db, const char *sql);
/* Reports a failed step as GH_E_INTERNAL (or GH_E_BUSY) and logs it. */
gh_status gh_db_fail(gh_db *db, gh_err *err, const char *what);

/* Binding helpers: NULL strings bind SQL NULL. */
void gh_bind_text(sqlite3_stmt *st, int i, const char *s);
void gh_bind_i64(sqlite3_stmt *st, int i, int64_t v);
/* Column helpers: NULL becomes "". */
const char *gh_col_text(sqlite3_stmt *st, int i);

/* Declares `st`, the cached statement for sql, or returns the failure. */
#define PREP(db, st, sql, err) \
    sqlite3_stmt *st = gh_db_stmt(db, sql); \
    if (!st) return gh_db_fail(db, err, "prepare")

/* Steps a statement that returns no row; returns the failure otherwise. */
#define STEP_DONE(db, st, err, what) \
    do { int _s = sqlite3_step(st); sqlite3_reset(st); \
         if (_s != SQLITE_DONE) return gh_db_fail(db, err, what); } while (0)

/* Copies text column col of the statement into a fixed buffer (truncating). */
static inline void gh_sql_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    gh_strlcpy(dst, gh_col_text(st, col), cap);
}
/* CP(field, col): the above for a char array field, from the statement `st`. */
#define CP(field, col) gh_sql_copy_text(field, sizeof(field), st, col)

/* "" and NULL both bind as SQL NULL (optional text columns). */
static inline const char *gh_sql_null_if_empty(const char *s) { return s && *s ? s : NULL; }

/* A time column: 0 is stored as NULL. */
static inline void gh_sql_bind_time(sqlite3_stmt *st, int i, int64_t t)
{
    if (t) gh_bind_i64(st, i, t);
    else sqlite3_bind_null(st, i);
}

/* Steps a row-producing statement, calling row(st, arg) per row. */
static inline gh_status gh_sql_each_row(gh_db *db, sqlite3_stmt *st, void (*row)(sqlite3_stmt *, void *), void *arg,
                                        gh_err *err, const char *what)
{
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) row(st, arg);
    sqlite3_reset(st);
    return s == SQLITE_DONE ? GH_OK : gh_db_fail(db, err, what);
}

/* A text column as a JSON string, NULL as JSON null. */
static inline json_t *gh_sql_text_or_null(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? json_string((const char *)t) : json_null();
}

/* Rows of two text columns, passed to fn (with gh_sql_each_row). */
typedef struct { void (*fn)(const char *, const char *, void *); void *arg; } gh_sql_pair_cb;
static inline void gh_sql_pair_visit(sqlite3_stmt *st, void *arg)
{
    gh_sql_pair_cb *cb = arg;
    cb->fn(gh_col_text(st, 0), gh_col_text(st, 1), cb->arg);
}

#endif
