/* Database facts for health, readiness and metrics (see health.h). */
#include "core/health.h"

#include "store/stats.h"
#include "store/store.h"

int64_t gh_health_org_count(gh_db *db) { return gh_store_org_count(db); }
int gh_health_schema_version(void) { return gh_db_schema_version(); }
int64_t gh_health_stored_schema_version(gh_db *db) { return gh_db_stored_schema_version(db); }
int64_t gh_health_sessions_open(gh_db *db, int64_t now) { return gh_store_sessions_open(db, now); }
int64_t gh_health_mail_backlog(gh_db *db) { return gh_store_outbox_backlog(db); }
int64_t gh_health_webhook_backlog(gh_db *db) { return gh_store_whdelivery_backlog(db); }
void gh_health_metrics_register(void) { gh_db_metric_errors(); }
