/* Second factors from an administrator's side: a person's factors
 * (status), resetting them, and the organization's MFA policy (see
 * core/mfa.h for the rules). */
#include "core/mfa.h"
#include "core/mfa_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/guard.h"
#include "store/mfa.h"
#include "store/webauthn.h"
#include "util/json.h"

/* ---- status, reset, policy -------------------------------------------------------------------- */
gh_status gh_mfa_status(gh_ctx *ctx, const char *user_id, json_t **out)
{
    gh_org o;
    gh_mfa_policy p;
    gh_user *u = calloc(1, sizeof *u);
    json_t *factors = NULL;
    gh_status st;
    bool req = false;
    *out = NULL;
    if (!u) return gh_ctx_oom(ctx);
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, user_id, u, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_store_mfa_policy_get(ctx->db, o.id, &p, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_mfa_required_for(ctx, &o, u, &p, &req)) != GH_OK) goto out;
    if (!(factors = gh_store_mfa_factor_list(ctx->db, o.id, u->id, &ctx->err))) { st = GH_E_INTERNAL; goto out; }
    bool totp = false;
    size_t i;
    json_t *v;
    json_array_foreach(factors, i, v) if (strcmp(json_string_value(json_object_get(v, "kind")), "totp") == 0) totp = true;
    *out = json_pack("{s:o, s:b, s:I, s:b, s:s, s:I}", "factors", factors, "totp", totp, "recovery_codes_left",
                     (json_int_t)gh_store_mfa_recovery_left(ctx->db, o.id, u->id), "required", req, "policy", p.policy,
                     "passkeys", (json_int_t)gh_store_wa_cred_count(ctx->db, o.id, u->id));
    factors = NULL;
    if (!*out) st = gh_ctx_oom(ctx);
out:
    json_decref(factors);
    free(u);
    return st;
}

typedef struct {
    const char *user_id;
    gh_user *u;
} reset_op;

static gh_status reset_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    (void)tx; /* its event is written before the mail notice, as always */
    reset_op *op = arg;
    gh_user *u = op->u;
    gh_org o;
    gh_status st;
    int64_t n = 0;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, op->user_id, u, &ctx->err)) != GH_OK) return st;
    if (ctx->actor.type == GH_ACTOR_USER && strcmp(u->id, ctx->actor.id) == 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_reset_self",
                       "you cannot reset your own factors here; remove them under My profile, Security");
    if ((st = gh_guard_target(ctx, &o, u)) != GH_OK) return st;
    if ((st = gh_store_mfa_factor_delete(ctx->db, o.id, u->id, NULL, false, &n, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_mfa_recovery_delete(ctx->db, o.id, u->id, &ctx->err)) != GH_OK) return st;
    int64_t keys = 0;
    if ((st = gh_store_wa_cred_delete(ctx->db, o.id, u->id, NULL, &keys, &ctx->err)) != GH_OK) return st;
    n += keys;
    if ((st = gh_audit(ctx, NULL, "user.mfa_reset", "user", u->id, json_pack("{s:I}", "factors", (json_int_t)n))) != GH_OK)
        return st;
    return gh_mfa_mail_person(ctx, u->id, "mfa_reset");
}

gh_status gh_mfa_reset(gh_ctx *ctx, const char *user_id)
{
    gh_user *u = calloc(1, sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    reset_op op = {.user_id = user_id, .u = u};
    gh_status st = gh_tx_run(ctx, reset_change, &op);
    free(u);
    return st;
}

static json_t *policy_json(const gh_mfa_policy *p)
{
    return json_pack("{s:s, s:b, s:s, s:o}", "policy", p->policy, "sso_counts_as_mfa", p->sso_counts, "sso_acr",
                     p->sso_acr, "updated_at", p->updated_at ? gh_json_time(p->updated_at) : json_null());
}

gh_status gh_mfa_policy_get(gh_ctx *ctx, json_t **out)
{
    gh_mfa_policy p;
    gh_status st = gh_store_mfa_policy_get(ctx->db, ctx->actor.org_id, &p, &ctx->err);
    if (st != GH_OK) return st;
    if (!(*out = policy_json(&p))) return gh_ctx_oom(ctx);
    return GH_OK;
}

typedef struct {
    const char *policy;
    const json_t *sso_counts;
    const char *sso_acr;
    json_t *after; /* the answer (owned by the caller of gh_tx_run) */
} policy_op;

static gh_status policy_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    policy_op *op = arg;
    gh_mfa_policy p;
    gh_status st;
    if ((st = gh_store_mfa_policy_get(ctx->db, ctx->actor.org_id, &p, &ctx->err)) != GH_OK) return st;
    json_t *before = policy_json(&p);
    if (op->policy) gh_strlcpy(p.policy, op->policy, sizeof p.policy);
    if (op->sso_counts) p.sso_counts = json_is_true(op->sso_counts);
    if (op->sso_acr) gh_strlcpy(p.sso_acr, op->sso_acr, sizeof p.sso_acr);
    p.updated_at = gh_now();
    op->after = policy_json(&p);
    if ((st = gh_store_mfa_policy_put(ctx->db, ctx->actor.org_id, &p, &ctx->err)) != GH_OK) {
        json_decref(before);
        return st;
    }
    gh_tx_event(tx, "org.mfa_policy_changed", "org", ctx->actor.org_id,
                json_pack("{s:o, s:O}", "before", before ? before : json_null(), "after",
                          op->after ? op->after : json_null()));
    return GH_OK;
}

gh_status gh_mfa_policy_set(gh_ctx *ctx, const char *policy, const json_t *sso_counts, const char *sso_acr,
                            json_t **out)
{
    gh_mfa_policy p;
    gh_status st;
    *out = NULL;
    if (policy && strcmp(policy, "optional") != 0 && strcmp(policy, "privileged") != 0 && strcmp(policy, "all") != 0)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_mfa_policy", "policy",
                             "policy is optional, privileged or all");
    if (sso_acr && *sso_acr && gh_check_text(&ctx->err, "invalid_acr", "sso_acr", sso_acr, 0, sizeof p.sso_acr - 1) != GH_OK)
        return GH_E_INVALID;
    policy_op op = {.policy = policy, .sso_counts = sso_counts, .sso_acr = sso_acr};
    if ((st = gh_tx_run(ctx, policy_change, &op)) == GH_OK) *out = op.after;
    else json_decref(op.after);
    return st;
}
