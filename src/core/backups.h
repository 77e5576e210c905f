/*
 * Scheduled whole-database backups (serve --backup-dir DIR --backup-every
 * 24h --backup-keep 14): a thread writes DIR/gatehouse-YYYYMMDDTHHMMSSZ.db
 * (VACUUM INTO a .partial name, then rename; files 0600) every interval,
 * the first one an interval after start, and deletes the oldest beyond
 * `keep`. The secret key file (SSO) is never part of a backup.
 */
#ifndef GH_CORE_BACKUPS_H
#define GH_CORE_BACKUPS_H
#include <stdbool.h>
#include <stdint.h>

/* "90s", "30m", "24h", "7d" (a bare number is seconds) -> seconds, 1 s to 366 d. */
bool gh_duration_parse(const char *s, int64_t *seconds);
/* Starts the thread (dir is created 0700 if missing). 0, or -1 with a log. */
int gh_backups_start(const char *dir, int64_t every_s, unsigned keep);
/* Stops and joins it (an ongoing backup finishes first). */
void gh_backups_stop(void);

#endif
