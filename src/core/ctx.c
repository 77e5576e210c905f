/* The process-wide configuration (gh_cfg) and small gh_ctx helpers. */
#include "core/ctx.h"

static gh_config config = {.base_url = "http://127.0.0.1:8080"};

gh_config *gh_cfg(void) { return &config; }

gh_status gh_ctx_oom(gh_ctx *ctx) { return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory"); }

gh_status gh_ctx_rollback(gh_ctx *ctx, gh_status st)
{
    gh_db_rollback(ctx->db);
    if (ctx->err.status == GH_OK) gh_fail(&ctx->err, st, "internal", "internal error");
    return st;
}
