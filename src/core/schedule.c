/* The sweep of dated account changes (see schedule.h). */
#include "core/schedule.h"

#include <stdlib.h>

#include "core/accounts.h"
#include "core/ctx.h"
#include "util/log.h"

#define SWEEP_BATCH 100

int gh_schedule_sweep(gh_db *db)
{
    gh_user_due *due = calloc(SWEEP_BATCH, sizeof *due);
    if (!due) return -1;
    gh_err err = {0};
    int n = 0, done = 0;
    if (gh_store_user_schedule_due(db, gh_now(), SWEEP_BATCH, due, &n, &err) != GH_OK) {
        gh_err_clear(&err);
        free(due);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        gh_ctx ctx = {.db = db, .request_id = "sweep", .ip = "", .user_agent = ""};
        ctx.actor.type = GH_ACTOR_SYSTEM;
        gh_strlcpy(ctx.actor.org_id, due[i].org_id, sizeof ctx.actor.org_id);
        if (gh_user_schedule_apply(&ctx, due[i].id, due[i].what) == GH_OK) done++;
        else gh_logf(GH_LOG_WARN, "account schedule (%s %s): %s", due[i].what, due[i].id, ctx.err.code);
        gh_err_clear(&ctx.err);
    }
    free(due);
    return done;
}
