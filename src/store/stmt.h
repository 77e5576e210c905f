/*
 * Private to src/store/: the statement layer every per-table store file is
 * written against, whatever the backend. A gh_stmt comes from the
 * connection's statement cache by its SQL text (gh_db_stmt; the text must be
 * a string literal: the cache is keyed by its address) or, for SQL built at
 * run time, from gh_stmt_prepare (finalized by the caller). Placeholders are
 * `?N`, 1-based. Each call dispatches through the backend's operations table
 * (store/backend.h): one indirect call, no allocation per bind or step.
 *
 * A statement is used by one thread at a time, like its connection. Text
 * returned by gh_col_text and gh_col_text_or_null lives until the next step,
 * reset or finalize of the statement.
 *
 * The helpers the SQL files share are here once too: PREP (a cached
 * statement or a failed return), STEP_DONE (step a statement that returns
 * no row), CP (copy a text column into a fixed buffer), gh_sql_each_row and
 * friends.
 */
#ifndef GH_STORE_STMT_H
#define GH_STORE_STMT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/backend.h"
#include "store/db.h"
#include "util/util.h"

/* What a step did. A refused write says which kind of constraint refused
 * it; anything else is GH_STEP_ERROR, for gh_db_fail to report. */
enum gh_step_result {
    GH_STEP_ERROR = -1,
    GH_DONE = 0,          /* no (more) rows */
    GH_ROW = 1,           /* a row is ready for the gh_col_* calls */
    GH_UNIQUE = 2,        /* a UNIQUE or PRIMARY KEY constraint */
    GH_FOREIGN_KEY = 3,   /* a FOREIGN KEY constraint */
    GH_CONSTRAINT = 4,    /* another constraint (CHECK, NOT NULL, a trigger's abort) */
};
/* Any constraint refused the write. */
static inline bool gh_step_refused(int s) { return s >= GH_UNIQUE; }

/* The type of a column's value in the current row. */
enum gh_col_type { GH_COL_NULL, GH_COL_INT, GH_COL_REAL, GH_COL_TEXT, GH_COL_BLOB };

/* A cached statement for `sql` (a string literal), reset and with its
 * bindings cleared. NULL on error (logged). */
static inline gh_stmt *gh_db_stmt(gh_db *db, const char *sql) { return gh_db_ops(db)->stmt_cached(db, sql); }
/* A statement of its own for SQL built at run time; NULL on error, which
 * gh_db_fail or gh_db_errmsg reports. Finalize it with gh_stmt_finalize. */
static inline gh_stmt *gh_stmt_prepare(gh_db *db, const char *sql) { return gh_db_ops(db)->stmt_prepare(db, sql); }
/* Frees a statement from gh_stmt_prepare; NULL is a no-op. */
static inline void gh_stmt_finalize(gh_stmt *st) { if (st) gh_stmt_ops(st)->stmt_finalize(st); }

/* Bindings, 1-based. A NULL string binds SQL NULL. Text is copied. */
static inline void gh_bind_text(gh_stmt *st, int i, const char *s) { gh_stmt_ops(st)->bind_text(st, i, s, SIZE_MAX); }
/* len bytes of s (which may hold no NUL). */
static inline void gh_bind_textn(gh_stmt *st, int i, const char *s, size_t len) { gh_stmt_ops(st)->bind_text(st, i, s, len); }
static inline void gh_bind_i64(gh_stmt *st, int i, int64_t v) { gh_stmt_ops(st)->bind_i64(st, i, v); }
static inline void gh_bind_double(gh_stmt *st, int i, double v) { gh_stmt_ops(st)->bind_double(st, i, v); }
static inline void gh_bind_null(gh_stmt *st, int i) { gh_stmt_ops(st)->bind_null(st, i); }

/* Runs the statement to its next row: a gh_step_result. */
static inline int gh_step(gh_stmt *st) { return gh_stmt_ops(st)->step(st); }
/* Ends the current run (keeps the bindings); safe after any step. */
static inline void gh_reset(gh_stmt *st) { gh_stmt_ops(st)->reset(st); }

/* Columns of the current row, 0-based. */
static inline int gh_col_type(gh_stmt *st, int i) { return gh_stmt_ops(st)->col_type(st, i); }
static inline bool gh_col_is_null(gh_stmt *st, int i) { return gh_stmt_ops(st)->col_type(st, i) == GH_COL_NULL; }
static inline int64_t gh_col_i64(gh_stmt *st, int i) { return gh_stmt_ops(st)->col_i64(st, i); }
static inline int gh_col_int(gh_stmt *st, int i) { return (int)gh_stmt_ops(st)->col_i64(st, i); }
static inline double gh_col_double(gh_stmt *st, int i) { return gh_stmt_ops(st)->col_double(st, i); }
/* Text; NULL for SQL NULL. */
static inline const char *gh_col_text_or_null(gh_stmt *st, int i) { return gh_stmt_ops(st)->col_text(st, i); }
/* Text; "" for SQL NULL. */
static inline const char *gh_col_text(gh_stmt *st, int i)
{
    const char *t = gh_stmt_ops(st)->col_text(st, i);
    return t ? t : "";
}
/* The length in bytes of the text gh_col_text returns (call it after). */
static inline size_t gh_col_bytes(gh_stmt *st, int i) { return gh_stmt_ops(st)->col_bytes(st, i); }
static inline int gh_col_count(gh_stmt *st) { return gh_stmt_ops(st)->col_count(st); }
static inline const char *gh_col_name(gh_stmt *st, int i) { return gh_stmt_ops(st)->col_name(st, i); }

/* Rows the connection's last completed INSERT, UPDATE or DELETE changed
 * (still valid after gh_reset). */
static inline int64_t gh_db_changes(gh_db *db) { return gh_db_ops(db)->changes(db); }
/* After GH_UNIQUE: whether the refused write collided on `column` (to tell
 * which of a table's unique keys was taken). */
static inline bool gh_db_conflict_names(gh_db *db, const char *column) { return gh_db_ops(db)->conflict_names(db, column); }
/* The connection's last error message, for logs and operator messages. */
static inline const char *gh_db_errmsg(gh_db *db) { return gh_db_ops(db)->errmsg(db); }
/* Reports a failed prepare or step as GH_E_BUSY (busy; disk error),
 * storage_full or internal, and logs it. */
static inline gh_status gh_db_fail(gh_db *db, gh_err *err, const char *what) { return gh_db_ops(db)->db_fail(db, err, what); }

/* Declares `st`, the cached statement for sql, or returns the failure. */
#define PREP(db, st, sql, err) \
    gh_stmt *st = gh_db_stmt(db, sql); \
    if (!st) return gh_db_fail(db, err, "prepare")

/* Steps a statement that returns no row; returns the failure otherwise. */
#define STEP_DONE(db, st, err, what) \
    do { int _s = gh_step(st); gh_reset(st); \
         if (_s != GH_DONE) return gh_db_fail(db, err, what); } while (0)

/* Copies text column col of the statement into a fixed buffer (truncating). */
static inline void gh_sql_copy_text(char *dst, size_t cap, gh_stmt *st, int col)
{
    gh_strlcpy(dst, gh_col_text(st, col), cap);
}
/* CP(field, col): the above for a char array field, from the statement `st`. */
#define CP(field, col) gh_sql_copy_text(field, sizeof(field), st, col)

/* "" and NULL both bind as SQL NULL (optional text columns). */
static inline const char *gh_sql_null_if_empty(const char *s) { return s && *s ? s : NULL; }

/* A time column: 0 is stored as NULL. */
static inline void gh_sql_bind_time(gh_stmt *st, int i, int64_t t)
{
    if (t) gh_bind_i64(st, i, t);
    else gh_bind_null(st, i);
}

/* An optional count: negative is stored as NULL. */
static inline void gh_sql_bind_opt_i64(gh_stmt *st, int i, int64_t v)
{
    if (v < 0) gh_bind_null(st, i);
    else gh_bind_i64(st, i, v);
}

/* Steps a row-producing statement, calling row(st, arg) per row. */
static inline gh_status gh_sql_each_row(gh_db *db, gh_stmt *st, void (*row)(gh_stmt *, void *), void *arg,
                                        gh_err *err, const char *what)
{
    int s;
    while ((s = gh_step(st)) == GH_ROW) row(st, arg);
    gh_reset(st);
    return s == GH_DONE ? GH_OK : gh_db_fail(db, err, what);
}

/* Steps a row-producing statement into a JSON array, one element per row
 * from row(st, arg) (NULL: out of memory). NULL with err on failure. */
json_t *gh_sql_json_rows(gh_db *db, gh_stmt *st, json_t *(*row)(gh_stmt *, void *), void *arg, gh_err *err,
                         const char *what);

/* A text column as a JSON string, NULL as JSON null. */
static inline json_t *gh_sql_text_or_null(gh_stmt *st, int col)
{
    const char *t = gh_col_text_or_null(st, col);
    return t ? json_string(t) : json_null();
}

/* The backend's plan of query q (its plan prefix, then q), bound by
 * bind(st, arg): one line per step of the plan into out (cut at cap). For
 * tests that fail when a list falls back to a full scan. */
gh_status gh_sql_plan(gh_db *db, const char *q, void (*bind)(gh_stmt *, void *), void *arg, char *out, size_t cap,
                      gh_err *err);

/* Search (issue 17): q folded like the stored keys (util.h gh_search_fold)
 * into fold; when it has three characters or more (what a trigram index
 * can answer), also as one FTS5 phrase, its quotes doubled, into phrase
 * (pcap at least 2 * fcap + 3), and returns true. *foldn is fold's length
 * (0 for no q). */
bool gh_sql_search_phrase(const char *q, char *fold, size_t fcap, size_t *foldn, char *phrase, size_t pcap);
/* How many rows of org_id an FTS5 search table has for the phrase, counted
 * up to `upto`: sql binds ?1 the phrase, ?2 the org, ?3 upto and returns the
 * count. -1 on error. */
int64_t gh_sql_search_count(gh_db *db, const char *sql, const char *org_id, const char *phrase, int64_t upto);

/* Rows of two text columns, passed to fn (with gh_sql_each_row). */
typedef struct { void (*fn)(const char *, const char *, void *); void *arg; } gh_sql_pair_cb;
static inline void gh_sql_pair_visit(gh_stmt *st, void *arg)
{
    gh_sql_pair_cb *cb = arg;
    cb->fn(gh_col_text(st, 0), gh_col_text(st, 1), cb->arg);
}

#endif
