/* Counts for the metrics (see stats.h). */
#include "store/stats.h"
#include "store/stmt.h"

static int64_t one_count(gh_db *db, gh_stmt *st)
{
    if (!st) return -1;
    int rc = gh_step(st);
    int64_t n = rc == GH_ROW ? gh_col_i64(st, 0) : -1;
    gh_reset(st);
    (void)db;
    return n;
}

int64_t gh_store_sessions_open(gh_db *db, int64_t now)
{
    gh_stmt *st = gh_db_stmt(db, "SELECT count(*) FROM sessions WHERE expires_at > ?1 AND last_seen_at + idle_s > ?1");
    if (!st) return -1;
    gh_bind_i64(st, 1, now);
    return one_count(db, st);
}

int64_t gh_store_outbox_backlog(gh_db *db)
{
    return one_count(db, gh_db_stmt(db, "SELECT count(*) FROM outbox WHERE status = 'pending'"));
}
