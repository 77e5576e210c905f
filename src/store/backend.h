/*
 * Private to src/store/: the operations table behind a gh_db. Each backend
 * (store/sqlite.c for SQLite; store/pg.c for PostgreSQL, not yet chosen by
 * gh_store_backend_for) fills one gh_store_ops
 * and puts a gh_db_head first in its connection struct and a gh_stmt_head
 * first in its statement struct, so the public functions of store/db.h and
 * the statement calls of store/stmt.h dispatch on the table without knowing
 * which backend opened the connection. gh_store_backend_for(path) picks the
 * table at open.
 *
 * The table holds the connection lifecycle, transactions, the generation
 * counter, migrations, the statement layer every per-table store file is
 * written against (store/stmt.h), and the few whole-database operations
 * that only a backend can do (a consistent copy, an integrity check, a
 * query plan). Adding a backend: docs/ARCHITECTURE.md "Adding a backend".
 */
#ifndef GH_STORE_BACKEND_H
#define GH_STORE_BACKEND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

typedef struct gh_stmt gh_stmt;

typedef struct gh_store_ops {
    const char *name;                                   /* "sqlite" */
    /* Opens path (create: make it if missing; readonly: no writes). */
    int (*open)(const char *path, bool create, bool readonly, gh_db **out, char *err, size_t errlen);
    void (*close)(gh_db *db);
    int (*migrate)(gh_db *db, char *err, size_t errlen);
    int64_t (*stored_schema_version)(gh_db *db);
    gh_status (*begin_write)(gh_db *db, bool wait, gh_err *err);
    gh_status (*begin_read)(gh_db *db, gh_err *err);
    void (*end_read)(gh_db *db);
    gh_status (*commit)(gh_db *db, gh_err *err);
    void (*rollback)(gh_db *db);
    int64_t (*generation)(gh_db *db);

    /* Statements (store/stmt.h documents each call). SQL text uses `?N`
     * placeholders (1-based); a backend whose server wants another form
     * rewrites the text once, when it prepares it. */
    gh_stmt *(*stmt_cached)(gh_db *db, const char *sql);   /* owned by db */
    gh_stmt *(*stmt_prepare)(gh_db *db, const char *sql);  /* owned by caller */
    void (*stmt_finalize)(gh_stmt *st);
    void (*bind_text)(gh_stmt *st, int i, const char *s, size_t len);
    void (*bind_i64)(gh_stmt *st, int i, int64_t v);
    void (*bind_double)(gh_stmt *st, int i, double v);
    void (*bind_null)(gh_stmt *st, int i);
    int (*step)(gh_stmt *st);                           /* a gh_step_result */
    void (*reset)(gh_stmt *st);
    int (*col_type)(gh_stmt *st, int i);                /* a gh_col_type */
    int64_t (*col_i64)(gh_stmt *st, int i);
    double (*col_double)(gh_stmt *st, int i);
    const char *(*col_text)(gh_stmt *st, int i);        /* NULL for SQL NULL */
    size_t (*col_bytes)(gh_stmt *st, int i);
    int (*col_count)(gh_stmt *st);
    const char *(*col_name)(gh_stmt *st, int i);
    int64_t (*changes)(gh_db *db);
    /* Did the last refused write name this column in its conflict? */
    bool (*conflict_names)(gh_db *db, const char *column);
    const char *(*errmsg)(gh_db *db);
    /* Reports the connection's last error into err (GH_E_BUSY when busy,
     * storage_full, storage_error, else internal) and logs it. */
    gh_status (*db_fail)(gh_db *db, gh_err *err, const char *what);

    /* Whole-database operations. */
    /* Writes a consistent copy of the live database to a new file. */
    int (*copy_to)(gh_db *db, const char *path, char *err, size_t errlen);
    /* Checks every page, index and constraint; 0, or -1 with err, a
     * predicate for the database's name ("is not a readable ..."). */
    int (*check_integrity)(gh_db *db, char *err, size_t errlen);
    /* The query plan of sql: prefix prepended to the statement, and the
     * column of each result row that holds a line of the plan. */
    const char *plan_prefix;
    int plan_column;
} gh_store_ops;

/* The head every backend's connection struct starts with. */
typedef struct gh_db_head {
    const gh_store_ops *ops;
    bool in_tx;
} gh_db_head;

/* The head every backend's statement struct starts with. */
typedef struct gh_stmt_head {
    const gh_store_ops *ops;
} gh_stmt_head;

static inline const gh_store_ops *gh_db_ops(gh_db *db) { return ((const gh_db_head *)(void *)db)->ops; }
static inline const gh_store_ops *gh_stmt_ops(gh_stmt *st) { return ((const gh_stmt_head *)(void *)st)->ops; }

/* The SQLite backend (store/sqlite.c). */
extern const gh_store_ops gh_store_sqlite_ops;

/* The backend for a database path or URL; NULL (with a message) when none
 * handles it. */
const gh_store_ops *gh_store_backend_for(const char *path, char *err, size_t errlen);

#endif
