/* Whole-database backup and restore (see backup.h). */
#include "store/backup.h"
#include "store/stmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A consistent copy through the backend (VACUUM INTO for SQLite). */
static int copy_to(gh_db *db, const char *to, char *err, size_t errlen)
{
    return gh_db_ops(db)->copy_to(db, to, err, errlen);
}

int gh_store_backup_write(gh_db *db, const char *to, char *err, size_t errlen)
{
    if (access(to, F_OK) == 0) {
        snprintf(err, errlen, "%s exists already; a backup never overwrites a file", to);
        return -1;
    }
    return copy_to(db, to, err, errlen);
}

static int64_t count(gh_db *db, const char *sql)
{
    gh_stmt *st = gh_stmt_prepare(db, sql);
    int64_t n = -1;
    if (st && gh_step(st) == GH_ROW) n = gh_col_i64(st, 0);
    gh_stmt_finalize(st);
    return n;
}

int gh_store_backup_inspect(const char *path, gh_backup_info *info, char *err, size_t errlen)
{
    gh_db *db = NULL;
    int rc = -1;
    memset(info, 0, sizeof *info);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (gh_db_open_existing(path, true, &db, err, errlen) != 0) goto out;
    /* The whole check: every page, index and constraint. */
    char why[512];
    if (gh_db_ops(db)->check_integrity(db, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s %s", path, why);
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
    if (copy_to(src, tmp, err, errlen) != 0) goto out;
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
