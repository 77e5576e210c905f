/*
 * The lockout rules (core/accounts.h, gh_accounts_check_invariants): no
 * change may leave an organization without an active person able to
 * manage users, nor (when company sign-in is required) without a
 * break-glass account.
 */
#include "util/cursor.h"
#include "core/ipallow.h"
#include "core/accounts.h"
#include "util/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/audit.h"
#include "core/delivery.h"
#include "core/kiosk.h"
#include "core/mfa.h"
#include "core/seats.h"
#include "core/secret.h"
#include "core/session.h"
#include "store/invites.h"
#include "core/throttle.h"
#include "core/guard.h"
#include "core/sso.h"
#include "core/accounts_int.h"

/* ---- invariants ------------------------------------------------------------------ */
/* A role that cannot be kept (no memory) marks the vector failed: a scan
 * that silently skipped a role could count its holders wrong. */
typedef struct { gh_role *roles; size_t n, cap; bool failed; } role_vec;

static void role_push(const gh_role *r, void *arg)
{
    role_vec *v = arg;
    if (v->failed) return;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        gh_role *nr = cap > SIZE_MAX / sizeof *nr ? NULL : realloc(v->roles, cap * sizeof *nr);
        if (!nr) {
            v->failed = true;
            return;
        }
        v->roles = nr;
        v->cap = cap;
    }
    v->roles[v->n++] = *r;
}

static const gh_role *role_find(const role_vec *v, const char *key)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->roles[i].key, key) == 0) return &v->roles[i];
    return NULL;
}

typedef struct {
    const gh_org *org;
    const role_vec *roles;
    const char *actor_id;
    int64_t holders;
    bool actor_holds;
    const char *break_glass; /* required SSO's break-glass ids (issue 16), NULL when not required */
    int64_t break_glass_holders;
} manager_scan;

static bool user_holds(const gh_org *o, const role_vec *roles, const gh_user *u, const char *perm)
{
    if (strcmp(u->status, "active") != 0 || !u->office_access) return false;
    const gh_role *r = role_find(roles, u->role_key);
    return r && gh_access_would_hold(o, r, u, perm);
}

static void manager_visit(const gh_user *u, void *arg)
{
    manager_scan *s = arg;
    if (!user_holds(s->org, s->roles, u, "users.manage")) return;
    s->holders++;
    if (s->actor_id && strcmp(u->id, s->actor_id) == 0) s->actor_holds = true;
    if (s->break_glass && gh_sso_id_listed(s->break_glass, u->id)) s->break_glass_holders++;
}

static gh_status scan_managers(gh_ctx *ctx, const char *org_id, manager_scan *s, gh_org *org, role_vec *roles)
{
    gh_status st = gh_store_org_get(ctx->db, org_id, org, &ctx->err);
    if (st != GH_OK) return st;
    st = gh_store_role_each(ctx->db, org_id, role_push, roles, &ctx->err);
    if (st != GH_OK) return st;
    if (roles->failed)
        return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory while checking the organization's roles");
    s->org = org;
    s->roles = roles;
    s->actor_id = ctx->actor.type == GH_ACTOR_USER ? ctx->actor.id : NULL;
    return gh_store_user_each(ctx->db, org_id, manager_visit, s, &ctx->err);
}

gh_status gh_accounts_user_manages(gh_ctx *ctx, const gh_org *o, const gh_user *u, bool *holds)
{
    *holds = false;
    if (strcmp(u->status, "active") != 0 || !u->office_access) return GH_OK;
    gh_role r;
    gh_status st = gh_store_role_get(ctx->db, o->id, u->role_key, &r, &ctx->err);
    if (st == GH_E_NOT_FOUND) { /* as user_holds: a person without a known role manages nobody */
        gh_err_clear(&ctx->err);
        return GH_OK;
    }
    if (st != GH_OK) return st;
    *holds = gh_access_would_hold(o, &r, u, "users.manage");
    return GH_OK;
}

gh_status gh_accounts_check_invariants(gh_ctx *ctx, const char *org_id, bool actor_had_manage)
{
    manager_scan s = {0};
    gh_org org;
    role_vec roles = {0};
    bool sso_required = false;
    char break_glass[GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX];
    gh_status st = gh_sso_policy(ctx, org_id, &sso_required, break_glass, sizeof break_glass);
    if (st != GH_OK) return st;
    if (sso_required) s.break_glass = break_glass;
    st = scan_managers(ctx, org_id, &s, &org, &roles);
    free(roles.roles);
    if (st != GH_OK) return st;
    /* last_admin first: when nobody would be left, that is the reason, even
     * if the actor is the one losing it (the sole admin demoting or locking
     * themselves); self_lockout is for when others could still manage. */
    if (s.holders == 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "last_admin",
                       "the organization must keep at least one active user who can manage users");
    if (actor_had_manage && s.actor_id && !s.actor_holds)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "self_lockout",
                       "this would take the users.manage permission away from yourself");
    /* With company sign-in required, password sign-in is left only to the
     * break-glass accounts: one of them must be able to manage users, or a
     * broken IdP would lock everyone out (issue 16). */
    if (sso_required && s.break_glass_holders == 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "last_admin",
                       "company sign-in is required, so at least one break-glass account must stay active"
                       " and able to manage users");
    return GH_OK;
}

/* ---- reachability after an SSO identity is unlinked (issue 16) --------------------- */
typedef struct {
    gh_ctx *ctx;
    const gh_org *org;
    const role_vec *roles;
    bool sso_configured, sso_required;
    const char *break_glass;
    int64_t reachable;
    bool failed;
} reach_scan;

static void reach_visit(const gh_user *u, void *arg)
{
    reach_scan *s = arg;
    if (s->reachable > 0 || !user_holds(s->org, s->roles, u, "users.manage")) return;
    bool password = u->password_hash[0] && (!s->sso_required || gh_sso_id_listed(s->break_glass, u->id));
    int64_t ids = s->sso_configured && !password ? gh_store_identity_count_for_user(s->ctx->db, s->org->id, u->id) : 0;
    if (ids < 0) s->failed = true;
    if (password || ids > 0) s->reachable++;
}

gh_status gh_accounts_check_reachable(gh_ctx *ctx, const char *org_id)
{
    gh_org org;
    role_vec roles = {0};
    char break_glass[GH_SSO_BREAK_GLASS_MAX * GH_ID_MAX] = "";
    reach_scan s = {.ctx = ctx, .org = &org, .roles = &roles, .break_glass = break_glass};
    gh_status st = gh_sso_policy(ctx, org_id, &s.sso_required, break_glass, sizeof break_glass);
    if (st == GH_OK) st = gh_store_org_get(ctx->db, org_id, &org, &ctx->err);
    if (st == GH_OK) st = gh_store_role_each(ctx->db, org_id, role_push, &roles, &ctx->err);
    if (st == GH_OK && roles.failed)
        st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory while checking the organization's roles");
    if (st == GH_OK) {
        gh_sso_row *row = calloc(1, sizeof *row);
        if (!row) st = gh_ctx_oom(ctx);
        else if ((st = gh_store_sso_get(ctx->db, org_id, row, &ctx->err)) == GH_OK) s.sso_configured = true;
        else if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); st = GH_OK; }
        if (row) gh_sso_row_release(row);
        free(row);
    }
    if (st == GH_OK) st = gh_store_user_each(ctx->db, org_id, reach_visit, &s, &ctx->err);
    free(roles.roles);
    if (st != GH_OK) return st;
    if (s.failed) return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "the linked identities could not be counted");
    if (s.reachable == 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "last_admin",
                       "nobody able to manage users could sign in any more: this is the last way in of the last"
                       " administrator (give someone else users.manage, or set a password, first)");
    return GH_OK;
}
