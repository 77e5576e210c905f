/* The write guard: fresh-row re-checks at BEGIN and the no-escalation rule.
 * See guard.h for the rules. */
#include "core/guard.h"
#include "core/accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/audit.h"

/* ---- pure parts ---------------------------------------------------------------- */
bool gh_guard_missing(const gh_permset *held, const gh_permset *need, gh_permset *missing)
{
    *missing = *need;
    gh_permset_andnot(missing, held);
    return !gh_permset_is_empty(missing);
}

void gh_guard_gained(const gh_permset *before, const gh_permset *after, gh_permset *gained)
{
    *gained = *after;
    gh_permset_andnot(gained, before);
}

json_t *gh_guard_keys_json(const gh_catalog *cat, const gh_permset *s)
{
    json_t *a = json_array();
    size_t n = gh_catalog_perm_count(cat);
    for (size_t i = 0; a && i < n; i++) {
        if (!gh_permset_test(s, i)) continue;
        if (json_array_append_new(a, json_string(gh_catalog_perm_key(cat, i))) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

gh_status gh_guard_escalation(gh_err *err, const gh_catalog *cat, const gh_permset *held, const gh_permset *need,
                              const char *what)
{
    gh_permset miss;
    if (!gh_guard_missing(held, need, &miss)) return GH_OK;
    /* The detail names as many keys as fit; `missing` names them all. */
    char list[176] = "";
    size_t used = 0, named = 0, total = gh_permset_count(&miss), n = gh_catalog_perm_count(cat);
    for (size_t i = 0; i < n; i++) {
        if (!gh_permset_test(&miss, i)) continue;
        const char *key = gh_catalog_perm_key(cat, i);
        int w = snprintf(list + used, sizeof list - used, "%s%s", named ? ", " : "", key);
        if (w < 0 || (size_t)w >= sizeof list - used) {
            list[used] = '\0';
            break;
        }
        used += (size_t)w;
        named++;
    }
    if (named < total)
        gh_fail(err, GH_E_FORBIDDEN, "escalation", "%s: %s and %zu more", what, list, total - named);
    else
        gh_fail(err, GH_E_FORBIDDEN, "escalation", "%s: %s", what, list);
    gh_err_extra(err, "missing", gh_guard_keys_json(cat, &miss));
    return GH_E_FORBIDDEN;
}

/* ---- reading the rows ------------------------------------------------------------ */
/* Whether set s holds perm; a key the catalog does not list is held by
 * nobody (fail closed, as in the snapshot). */
static bool holds_key(const gh_permset *s, const char *perm)
{
    int i = gh_catalog_perm_index(gh_access_catalog(), perm);
    return i >= 0 && gh_permset_test(s, (size_t)i);
}

/* Whether the actor's permissions (ctx->actor_perms) still satisfy the
 * route: its permission, or the alternative it accepts instead. */
static bool holds_required(const gh_ctx *ctx)
{
    if (!ctx->required_perm) return true;
    return holds_key(&ctx->actor_perms, ctx->required_perm) ||
           (ctx->required_alt && holds_key(&ctx->actor_perms, ctx->required_alt));
}

/* What an API key may do: the permissions its scopes name, and
 * tasks.assign for the tasks.write service scope (which acts as it). */
static void key_perms(const gh_actor *a, gh_permset *out)
{
    *out = a->key_perms;
    int assign = gh_catalog_perm_index(gh_access_catalog(), "tasks.assign");
    if ((a->key_services & GH_SCOPE_TASKS_WRITE) && assign >= 0) gh_permset_set(out, (size_t)assign);
}

/* u's role into r; *has is false when it has none or it no longer exists
 * (which gives nothing). */
static gh_status role_of(gh_ctx *ctx, const char *org_id, const gh_user *u, gh_role *r, bool *has)
{
    *has = false;
    if (!u->role_key[0]) return GH_OK;
    gh_status st = gh_store_role_get(ctx->db, org_id, u->role_key, r, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        return GH_OK;
    }
    if (st == GH_OK) *has = true;
    return st;
}

/* u's effective permissions in o now (taken as active); *device tells
 * whether its role is a device role. */
static gh_status standing(gh_ctx *ctx, const gh_org *o, const gh_user *u, gh_permset *out, bool *device)
{
    gh_role r;
    bool has;
    gh_status st = role_of(ctx, o->id, u, &r, &has);
    if (st != GH_OK) return st;
    gh_access_rows_effective(o, has ? &r : NULL, u, out);
    if (device) *device = has && r.device;
    return GH_OK;
}

gh_status gh_guard_user_holds(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *perm, bool *holds)
{
    gh_permset s;
    *holds = false;
    if (strcmp(u->status, "active") != 0) return GH_OK;
    gh_status st = standing(ctx, o, u, &s, NULL);
    if (st == GH_OK) *holds = holds_key(&s, perm);
    return st;
}

gh_status gh_guard_user_latent(gh_ctx *ctx, const gh_org *o, const gh_user *u, gh_permset *out)
{
    gh_role r;
    bool has;
    gh_status st = role_of(ctx, o->id, u, &r, &has);
    if (st != GH_OK) return st;
    gh_access_rows_latent(o, has ? &r : NULL, u, out);
    return GH_OK;
}

static gh_status gone(gh_ctx *ctx, const char *code, const char *detail)
{
    gh_err_clear(&ctx->err);
    return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, code, "%s", detail);
}

static gh_status denied(gh_ctx *ctx, const char *perm)
{
    gh_err_clear(&ctx->err);
    gh_fail(&ctx->err, GH_E_FORBIDDEN, "permission_denied", "this needs the '%s' permission", perm);
    gh_err_extra(&ctx->err, "permission", json_string(perm));
    return GH_E_FORBIDDEN;
}

/* A signed-in person: the account, its session and its permissions, read
 * now that the write lock is held. */
static gh_status recheck_user(gh_ctx *ctx)
{
    gh_actor *a = &ctx->actor;
    gh_user *u = calloc(1, sizeof *u);
    gh_session s;
    gh_org o;
    bool device = false;
    gh_status st;
    if (!u) return gh_ctx_oom(ctx);
    st = gh_store_user_get(ctx->db, a->org_id, a->id, u, &ctx->err);
    if (st == GH_E_NOT_FOUND) { st = gone(ctx, "unauthenticated", "this account no longer exists"); goto out; }
    if (st != GH_OK) goto out;
    if (strcmp(u->status, "active") != 0) { st = gone(ctx, "unauthenticated", "this account is locked"); goto out; }
    if (gh_user_expired(u, gh_now())) { st = gone(ctx, "unauthenticated", "this account has expired"); goto out; }
    st = gh_store_session_get(ctx->db, a->org_id, a->id, a->session_id, &s, &ctx->err);
    if (st == GH_E_NOT_FOUND) { st = gone(ctx, "unauthenticated", "this session has ended; sign in again"); goto out; }
    if (st != GH_OK) goto out;
    if ((st = gh_store_org_get(ctx->db, a->org_id, &o, &ctx->err)) != GH_OK) goto out;
    if ((st = standing(ctx, &o, u, &ctx->actor_perms, &device)) != GH_OK) goto out;
    ctx->actor_perms_ok = true;
    (void)device;
    if (!holds_required(ctx)) st = denied(ctx, ctx->required_perm);
out:
    free(u);
    return st;
}

/* A calling service: its key must still exist, and holds what its scopes
 * name (read again from the row: scopes never widen after creation). */
static gh_status recheck_key(gh_ctx *ctx)
{
    gh_apikey k;
    gh_status st = gh_store_apikey_get(ctx->db, ctx->actor.org_id, ctx->actor.id, &k, &ctx->err);
    if (st == GH_E_NOT_FOUND) return gone(ctx, "unauthenticated", "this API key was revoked");
    if (st != GH_OK) return st;
    if (k.expires_at && gh_now() >= k.expires_at) return gone(ctx, "api_key_expired", "the API key has expired");
    gh_actor fresh = {.type = GH_ACTOR_API_KEY};
    gh_access_key_scopes(k.scopes, &fresh);
    key_perms(&fresh, &ctx->actor_perms);
    ctx->actor_perms_ok = true;
    if (!holds_required(ctx)) return denied(ctx, ctx->required_perm);
    return GH_OK;
}

gh_status gh_tx_commit_and_refresh(gh_ctx *ctx)
{
    gh_status st = gh_db_commit(ctx->db, &ctx->err);
    /* The change is committed whatever happens here; should the rebuild fail
     * (logged), the poller is woken to retry at once. */
    if (st == GH_OK && gh_access_refresh(ctx->db, false) != 0) gh_access_refresh_soon();
    return st;
}

void gh_tx_event(gh_tx *tx, const char *action, const char *target_type, const char *target_id, json_t *detail)
{
    tx->action = action;
    tx->target_type = target_type;
    tx->target_id = target_id;
    if (tx->detail != detail) json_decref(tx->detail); /* a second event replaces the first */
    tx->detail = detail;
}

/* gh_tx_run and gh_tx_run_no_refresh: one skeleton, the commit differs. */
static gh_status tx_run(gh_ctx *ctx, gh_tx_change_fn change, void *arg, bool refresh)
{
    gh_tx tx = {0};
    gh_status st = gh_tx_begin(ctx);
    if (st != GH_OK) return st;
    st = change(ctx, &tx, arg);
    if (st == GH_OK && tx.unchanged) {
        json_decref(tx.detail);
        gh_db_rollback(ctx->db);
        return GH_OK;
    }
    if (st == GH_OK && tx.action) {
        st = gh_audit(ctx, NULL, tx.action, tx.target_type, tx.target_id, tx.detail);
        tx.detail = NULL; /* stolen */
    }
    if (st != GH_OK) {
        json_decref(tx.detail);
        return gh_ctx_rollback(ctx, st);
    }
    json_decref(tx.detail);
    return refresh ? gh_tx_commit_and_refresh(ctx) : gh_db_commit(ctx->db, &ctx->err);
}

gh_status gh_tx_run(gh_ctx *ctx, gh_tx_change_fn change, void *arg) { return tx_run(ctx, change, arg, true); }

gh_status gh_tx_run_no_refresh(gh_ctx *ctx, gh_tx_change_fn change, void *arg)
{
    return tx_run(ctx, change, arg, false);
}

gh_status gh_tx_begin(gh_ctx *ctx)
{
    ctx->actor_perms_ok = false;
    gh_status st = gh_db_begin(ctx->db, &ctx->err);
    if (st != GH_OK) return st;
    if (ctx->actor.type == GH_ACTOR_USER && ctx->actor.session_id[0]) st = recheck_user(ctx);
    else if (ctx->actor.type == GH_ACTOR_API_KEY) st = recheck_key(ctx);
    if (st == GH_OK && ctx->tx_precondition) {
        gh_status (*pre)(gh_ctx *, void *) = ctx->tx_precondition;
        ctx->tx_precondition = NULL; /* once: the first write of the request */
        st = pre(ctx, ctx->tx_precondition_arg);
    }
    if (st != GH_OK) {
        gh_db_rollback(ctx->db);
        if (ctx->err.status == GH_OK) gh_fail(&ctx->err, st, "internal", "internal error");
    }
    return st;
}

gh_status gh_guard_actor_perms(gh_ctx *ctx, gh_permset *out)
{
    if (ctx->actor_perms_ok) {
        *out = ctx->actor_perms;
        return GH_OK;
    }
    gh_permset_clear(out);
    switch (ctx->actor.type) {
    case GH_ACTOR_SYSTEM:
        *out = *gh_catalog_all_perms(gh_access_catalog());
        break;
    case GH_ACTOR_API_KEY:
        key_perms(&ctx->actor, out);
        break;
    case GH_ACTOR_USER: {
        gh_user *u = calloc(1, sizeof *u);
        gh_org o;
        gh_status st;
        if (!u) return gh_ctx_oom(ctx);
        st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, u, &ctx->err);
        if (st == GH_OK && strcmp(u->status, "active") == 0 &&
            (st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) == GH_OK)
            st = standing(ctx, &o, u, out, NULL);
        free(u);
        if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); st = GH_OK; } /* gone: holds nothing */
        if (st != GH_OK) return st;
        break;
    }
    default:
        break;
    }
    ctx->actor_perms = *out;
    ctx->actor_perms_ok = true;
    return GH_OK;
}

bool gh_guard_actor_holds(gh_ctx *ctx, const char *perm)
{
    gh_permset s;
    gh_err saved = ctx->err;
    ctx->err = (gh_err){0};
    gh_status st = gh_guard_actor_perms(ctx, &s);
    gh_err_clear(&ctx->err);
    ctx->err = saved;
    if (st != GH_OK) return false;
    if (ctx->actor.type == GH_ACTOR_SYSTEM) return true;
    return holds_key(&s, perm);
}

gh_status gh_guard_require_perm(gh_ctx *ctx, const char *perm)
{
    return gh_guard_actor_holds(ctx, perm) ? GH_OK : denied(ctx, perm);
}

gh_status gh_guard_actor_latent(gh_ctx *ctx, gh_permset *out)
{
    gh_permset_clear(out);
    if (ctx->actor.type == GH_ACTOR_SYSTEM) {
        *out = *gh_catalog_all_perms(gh_access_catalog());
        return GH_OK;
    }
    if (ctx->actor.type == GH_ACTOR_API_KEY) {
        key_perms(&ctx->actor, out);
        return GH_OK;
    }
    if (ctx->actor.type != GH_ACTOR_USER) return GH_OK;
    gh_user *u = calloc(1, sizeof *u);
    gh_org o;
    if (!u) return gh_ctx_oom(ctx);
    gh_status st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, u, &ctx->err);
    if (st == GH_OK && strcmp(u->status, "active") == 0 &&
        (st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) == GH_OK)
        st = gh_guard_user_latent(ctx, &o, u, out);
    free(u);
    if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); st = GH_OK; } /* gone: holds nothing */
    return st;
}

gh_status gh_guard_require_all(gh_ctx *ctx, const gh_permset *need, const char *what)
{
    gh_permset held;
    gh_status st = gh_guard_actor_latent(ctx, &held);
    if (st != GH_OK) return st;
    return gh_guard_escalation(&ctx->err, gh_access_catalog(), &held, need, what);
}

static bool is_self(const gh_ctx *ctx, const gh_user *u)
{
    return ctx->actor.type == GH_ACTOR_USER && strcmp(ctx->actor.id, u->id) == 0;
}

gh_status gh_guard_confer(gh_ctx *ctx, const gh_org *o, const gh_user *before, const gh_user *after)
{
    gh_permset was, will, gained;
    gh_status st;
    gh_permset_clear(&was);
    if (before && (st = gh_guard_user_latent(ctx, o, before, &was)) != GH_OK) return st;
    if ((st = gh_guard_user_latent(ctx, o, after, &will)) != GH_OK) return st;
    gh_guard_gained(&was, &will, &gained);
    return gh_guard_require_all(ctx, &gained,
                                is_self(ctx, after) ? "you cannot raise your own permissions"
                                                    : "you cannot give permissions you do not hold yourself");
}

gh_status gh_guard_target(gh_ctx *ctx, const gh_org *o, const gh_user *target)
{
    gh_permset theirs;
    gh_status st;
    if (is_self(ctx, target)) return GH_OK;
    if ((st = gh_guard_user_latent(ctx, o, target, &theirs)) != GH_OK) return st;
    return gh_guard_require_all(ctx, &theirs, "this person holds permissions you do not");
}

gh_status gh_guard_role_perms(gh_ctx *ctx, bool device, const char *old_list, const char *new_list)
{
    gh_permset was, will, added, removed;
    gh_status st;
    gh_access_perms_of(old_list, &was);
    gh_access_perms_of(new_list, &will);
    if (device) { /* all a device keeps */
        gh_permset_and(&was, gh_catalog_read_only_perms(gh_access_catalog()));
        gh_permset_and(&will, gh_catalog_read_only_perms(gh_access_catalog()));
    }
    gh_guard_gained(&was, &will, &added);
    gh_guard_gained(&will, &was, &removed);
    /* Taking permissions away from a role acts on everyone holding it: only
     * someone holding all the role gives may do it (a Manager stripping
     * it.operations from the IT Admin's role would demote people above it
     * and could leave a permission nobody can ever give again). */
    if (!gh_permset_is_empty(&removed) &&
        (st = gh_guard_require_all(ctx, &was, "this role gives permissions you do not hold; you cannot take any "
                                              "away")) != GH_OK)
        return st;
    return gh_guard_require_all(ctx, &added, "you cannot give a role permissions you do not hold yourself");
}
