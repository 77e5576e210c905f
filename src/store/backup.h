/*
 * Whole-database backups of the SQLite store: a consistent copy of a live
 * database (VACUUM INTO, safe while servers write), and the checks and
 * installation of a restore. The secret key file (issue 16) lives outside
 * the database and is never part of a backup.
 */
#ifndef GH_STORE_BACKUP_H
#define GH_STORE_BACKUP_H
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

typedef struct gh_backup_info {
    int64_t schema_version;
    int64_t orgs, users, audit_events;
} gh_backup_info;

/* Writes a consistent copy of db to `to` (which must not exist), mode 0600
 * under the process umask. 0, or -1 with err. */
int gh_store_backup_write(gh_db *db, const char *to, char *err, size_t errlen);
/* Opens the backup at `path` read-only, runs SQLite's integrity check,
 * reads its schema version and counts what it holds. 0, or -1 with err
 * (not a database, damaged, not a gatehouse database). */
int gh_store_backup_inspect(const char *path, gh_backup_info *info, char *err, size_t errlen);
/* Copies the backup `from` to the database path `to` through a temporary
 * file in the same folder and a rename, after removing `to`'s -wal and -shm
 * files: a reader never sees half a database. */
int gh_store_backup_install(const char *from, const char *to, char *err, size_t errlen);

#endif
