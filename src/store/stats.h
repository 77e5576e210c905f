/* Counts for the operator's metrics (GET /metrics), across organizations. */
#ifndef GH_STORE_STATS_H
#define GH_STORE_STATS_H
#include <stdint.h>

#include "store/db.h"

/* Sessions neither expired nor idle past their limit at `now`; -1 on error. */
int64_t gh_store_sessions_open(gh_db *db, int64_t now);
/* Mails of the outbox still 'pending'; -1 on error. */
int64_t gh_store_outbox_backlog(gh_db *db);

#endif
