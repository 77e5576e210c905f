/* Whole-database backup and restore (see backup.h). */
#include "store/backup.h"
#include "store/sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int vacuum_into(gh_db *db, const char *to, char *err, size_t errlen)
{
    int rc = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(gh_db_raw(db), "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK) goto out;
    sqlite3_bind_text(st, 1, to, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) goto out;
    rc = 0;
out:
    if (rc) snprintf(err, errlen, "cannot write %s: %s", to, sqlite3_errmsg(gh_db_raw(db)));
    sqlite3_finalize(st);
    return rc;
}

int gh_store_backup_write(gh_db *db, const char *to, char *err, size_t errlen)
{
    if (access(to, F_OK) == 0) {
        snprintf(err, errlen, "%s exists already; a backup never overwrites a file", to);
        return -1;
    }
    return vacuum_into(db, to, err, errlen);
}

static int64_t count(gh_db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(gh_db_raw(db), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int gh_store_backup_inspect(const char *path, gh_backup_info *info, char *err, size_t errlen)
{
    gh_db *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    memset(info, 0, sizeof *info);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (gh_db_open_existing(path, true, &db, err, errlen) != 0) goto out;
    /* The whole check: every page, index and constraint. */
    if (sqlite3_prepare_v2(gh_db_raw(db), "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errlen, "%s is not a readable SQLite database: %s", path, sqlite3_errmsg(gh_db_raw(db)));
        goto out;
    }
    const char *verdict = (const char *)sqlite3_column_text(st, 0);
    if (!verdict || strcmp(verdict, "ok") != 0) {
        snprintf(err, errlen, "%s failed the integrity check: %s", path, verdict ? verdict : "(no answer)");
        goto out;
    }
    info->schema_version = count(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'");
    info->orgs = count(db, "SELECT count(*) FROM orgs");
    info->users = count(db, "SELECT count(*) FROM users");
    info->audit_events = count(db, "SELECT count(*) FROM audit");
    if (info->schema_version < 1 || info->orgs < 0 || info->users < 0 || info->audit_events < 0) {
        snprintf(err, errlen, "%s is not a gatehouse database (no schema version or tables)", path);
        goto out;
    }
    if (info->schema_version > gh_db_schema_version()) {
        snprintf(err, errlen, "%s has schema version %lld, newer than this gatehouse (%d): restore it with a newer gatehouse",
                 path, (long long)info->schema_version, gh_db_schema_version());
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    gh_db_close(db);
    return rc;
}

int gh_store_backup_install(const char *from, const char *to, char *err, size_t errlen)
{
    char tmp[4200], side[4200];
    gh_db *src = NULL;
    int rc = -1;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.restoring", to) >= sizeof tmp) {
        snprintf(err, errlen, "database path too long");
        return -1;
    }
    unlink(tmp); /* a leftover of an interrupted restore */
    if (gh_db_open_existing(from, true, &src, err, errlen) != 0) goto out;
    if (vacuum_into(src, tmp, err, errlen) != 0) goto out;
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
        if (fd >= 0) close(fd);
        goto out;
    }
    close(fd);
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(side, sizeof side, "%s%s", to, suffixes[i]);
        if (unlink(side) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove %s: %s", side, strerror(errno));
            goto out;
        }
    }
    if (rename(tmp, to) != 0) {
        snprintf(err, errlen, "cannot move %s to %s: %s", tmp, to, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    gh_db_close(src);
    if (rc) unlink(tmp);
    return rc;
}
