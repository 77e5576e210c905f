/*
 * Private to the SQLite backend (store/sqlite.c, store/iofault.c,
 * store/migrations.c) and white-box unit tests: the raw connection under a
 * gh_db opened by SQLite. The per-table store files are written against the
 * backend-neutral statement layer (store/stmt.h) and must not include this
 * file or <sqlite3.h>; scripts/check-layers.sh (ctest check_layers) fails
 * when one does.
 */
#ifndef GH_STORE_SQLITE_INT_H
#define GH_STORE_SQLITE_INT_H
#include <sqlite3.h>

#include "store/stmt.h"

/* The connection under a gh_db opened by the SQLite backend. */
sqlite3 *gh_db_raw(gh_db *db);
/* Runs SQL with no parameters and no result rows. */
int gh_db_exec(gh_db *db, const char *sql);

#endif
