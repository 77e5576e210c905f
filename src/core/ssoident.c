/* How a person signs in, and unlinking an SSO identity: see sso.h. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/guard.h"
#include "core/sso.h"
#include "store/store.h"
#include "util/json.h"

#define IDENTITIES_MAX 50

static bool sign_in_kind(const char *kind) { return strcmp(kind, "oidc") == 0 || strcmp(kind, "saml") == 0; }

gh_status gh_sso_signin_methods(gh_ctx *ctx, const char *user_id, json_t **out)
{
    gh_user *u = calloc(1, sizeof *u);
    gh_identity *ids = calloc(IDENTITIES_MAX, sizeof *ids);
    json_t *list = json_array();
    size_t n = 0;
    bool required = false;
    char break_glass[GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX];
    gh_status st;
    *out = NULL;
    if (!u || !ids || !list) { st = gh_ctx_oom(ctx); goto out; }
    if ((st = gh_user_get(ctx, user_id, u)) != GH_OK) goto out;
    if ((st = gh_store_identity_list(ctx->db, ctx->actor.org_id, u->id, ids, IDENTITIES_MAX, &n, &ctx->err)) != GH_OK ||
        (st = gh_store_sso_policy(ctx->db, ctx->actor.org_id, &required, break_glass, &ctx->err)) != GH_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!sign_in_kind(ids[i].kind)) continue;
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", ids[i].id, "kind", ids[i].kind, "issuer",
                              ids[i].issuer, "subject", ids[i].subject, "created_at", gh_json_time(ids[i].created_at),
                              "last_used_at", ids[i].last_used_at ? gh_json_time(ids[i].last_used_at) : json_null());
        if (!o || json_array_append_new(list, o) != 0) { st = gh_ctx_oom(ctx); goto out; }
    }
    bool password = u->password_hash[0] != '\0';
    *out = json_pack("{s:s, s:b, s:b, s:O}", "user_id", u->id, "password", password, "password_allowed",
                     password && (!required || gh_sso_id_listed(break_glass, u->id)), "identities", list);
    if (!*out) st = gh_ctx_oom(ctx);
out:
    json_decref(list);
    free(ids);
    if (u) memset(u->password_hash, 0, sizeof u->password_hash);
    free(u);
    return st;
}

typedef struct {
    const char *user_id;
    const char *identity_id;
    gh_user *u;
} unlink_op;

static gh_status unlink_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    unlink_op *op = arg;
    gh_user *u = op->u;
    gh_identity gone;
    gh_status st;
    if ((st = gh_user_get(ctx, op->user_id, u)) != GH_OK) return st;
    if ((st = gh_store_identity_delete(ctx->db, ctx->actor.org_id, u->id, op->identity_id, &gone, &ctx->err)) != GH_OK)
        return st;
    if (!sign_in_kind(gone.kind)) /* provisioning links are not shown, nor removed here */
        return gh_fail(&ctx->err, GH_E_NOT_FOUND, "identity_not_found", "this person has no such linked identity");
    if ((st = gh_accounts_check_reachable(ctx, ctx->actor.org_id)) != GH_OK) return st;
    gh_tx_event(tx, "identity.unlinked", "user", u->id,
                json_pack("{s:s, s:s, s:s, s:s}", "identity", gone.id, "kind", gone.kind, "issuer", gone.issuer,
                          "subject", gone.subject));
    return GH_OK;
}

gh_status gh_sso_identity_unlink(gh_ctx *ctx, const char *user_id, const char *identity_id)
{
    gh_user *u = calloc(1, sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    unlink_op op = {.user_id = user_id, .identity_id = identity_id, .u = u};
    /* Linked identities are not in the authorization snapshot: no refresh (as before). */
    gh_status st = gh_tx_run_no_refresh(ctx, unlink_change, &op);
    memset(u->password_hash, 0, sizeof u->password_hash);
    free(u);
    return st;
}
