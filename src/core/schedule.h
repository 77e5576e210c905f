/*
 * The sweep of dated account changes (003: temporary and seasonal workers):
 * accounts past their expiry date are locked, scheduled locks and unlocks
 * are applied, each in its own transaction with its audit row, as the
 * system. Run by the access poller (core/access.c) once per second of the
 * clock; a sign-in or check-in refuses an expired account even before the
 * sweep has locked it.
 */
#ifndef GH_SCHEDULE_H
#define GH_SCHEDULE_H
#include "store/db.h"

/* Applies what is due now, at most 100 accounts per call; the number
 * applied (or skipped), -1 if the due list could not be read. */
int gh_schedule_sweep(gh_db *db);

#endif
