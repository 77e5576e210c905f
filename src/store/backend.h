/*
 * Private to src/store/: the operations table behind a gh_db. Each backend
 * (store/db.c for SQLite; PostgreSQL is planned) fills one gh_store_ops and
 * puts it first in its connection struct, so the public functions of
 * store/db.h dispatch on db->ops without knowing which backend opened the
 * connection. gh_store_backend_for(path) picks the table at open.
 *
 * The table holds the connection lifecycle, transactions, the generation
 * counter and migrations. The per-table reads and writes (store.h and its
 * family headers) are SQLite functions today; a second backend adds its own
 * files and an entry per family here when it lands.
 */
#ifndef GH_STORE_BACKEND_H
#define GH_STORE_BACKEND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

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
} gh_store_ops;

/* The head every backend's connection struct starts with. */
typedef struct gh_db_head {
    const gh_store_ops *ops;
    bool in_tx;
} gh_db_head;

/* The SQLite backend (store/db.c). */
extern const gh_store_ops gh_store_sqlite_ops;

/* The backend for a database path or URL; NULL (with a message) when none
 * handles it. */
const gh_store_ops *gh_store_backend_for(const char *path, char *err, size_t errlen);

#endif
