/*
 * What the health, readiness and metrics endpoints ask of the database,
 * across organizations: whether any organization exists, the schema
 * versions, and the counts the operator's gauges show. No actor: these
 * serve the operator, not a tenant.
 */
#ifndef GH_HEALTH_H
#define GH_HEALTH_H
#include <stdint.h>

#include "store/db.h"

/* Organizations in the database; -1 when it cannot be read. */
int64_t gh_health_org_count(gh_db *db);
/* The schema version this binary writes, and the one the database holds
 * (-1 when it cannot be read). */
int gh_health_schema_version(void);
int64_t gh_health_stored_schema_version(gh_db *db);
/* Sessions open at `now`, and mails waiting in the outbox; -1 on error. */
int64_t gh_health_sessions_open(gh_db *db, int64_t now);
int64_t gh_health_mail_backlog(gh_db *db);
int64_t gh_health_webhook_backlog(gh_db *db);
/* Registers the database's own metrics so they are listed from the start. */
void gh_health_metrics_register(void);

#endif
