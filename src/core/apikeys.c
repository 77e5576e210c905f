/*
 * API keys (core/apikeys.h): minted once and shown once, stored as the hash,
 * carrying scopes that never exceed what their creator holds.
 */
#include "core/apikeys.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/audit.h"
#include "core/guard.h"
#include "core/mint.h"
#include "core/session.h"
#include "util/json.h"

static json_t *apikey_json(const gh_apikey *k)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id", k->id, "name", k->name, "prefix", k->prefix,
                     "created_by", k->created_by[0] ? json_string(k->created_by) : json_null(),
                     "created_at", gh_json_time(k->created_at), "expires_at", gh_json_time(k->expires_at),
                     "last_used_at", gh_json_time(k->last_used_at), "scopes", gh_json_keylist(k->scopes));
}

/* Reads the requested scopes (NULL: the default) into the key's
 * space-separated list, without repeats: service scopes and catalog
 * permission keys; anything else is 400 unknown_scopes naming it. */
static gh_status apikey_scopes_parse(gh_ctx *ctx, const json_t *scopes, gh_apikey *k)
{
    gh_status st = GH_OK;
    json_t *unknown = NULL;
    size_t i, used = 0;
    json_t *v;
    if (!scopes) {
        gh_strlcpy(k->scopes, GH_SCOPE_DEFAULT, sizeof k->scopes);
        return GH_OK;
    }
    if (!json_is_array(scopes) || json_array_size(scopes) == 0)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_scopes", "scopes",
                             "scopes is a non-empty list of scope names");
    if (!(unknown = json_array())) return gh_ctx_oom(ctx);
    k->scopes[0] = '\0';
    json_array_foreach(scopes, i, v) {
        const char *s = json_string_value(v);
        if (!s) {
            st = gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_scopes", "scopes", "scopes[%zu] must be a string", i);
            goto out;
        }
        if (!gh_scope_service_bit(s) && gh_catalog_perm_index(gh_access_catalog(), s) < 0) {
            /* At most 20 named, each cut to 80 bytes: the answer stays small. */
            size_t sl = strlen(s);
            if (sl > 80) {
                sl = 80;
                while (sl > 0 && ((unsigned char)s[sl] & 0xC0) == 0x80) sl--; /* a whole UTF-8 character */
            }
            if (json_array_size(unknown) < 20 && json_array_append_new(unknown, json_stringn(s, sl))) {
                st = gh_ctx_oom(ctx);
                goto out;
            }
            continue;
        }
        /* Repeats are dropped; every name is at most 64 characters. */
        if (gh_keylist_has(k->scopes, s)) continue;
        size_t n = strlen(s);
        if (used + n + 2 > sizeof k->scopes) {
            st = gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_scopes", "scopes", "too many scopes");
            goto out;
        }
        if (used) k->scopes[used++] = ' ';
        memcpy(k->scopes + used, s, n + 1);
        used += n;
    }
    if (json_array_size(unknown) > 0) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_scopes", "scopes",
                           "not a scope: each is a service scope (authz.check, activity.write, tasks.write, "
                           "scim) or a permission key of the catalog");
        gh_err_extra(&ctx->err, "unknown", json_incref(unknown));
    }
out:
    json_decref(unknown);
    return st;
}

/* "A key carries only what its creator holds" (issue 11): the permission
 * scopes, and tasks.assign for tasks.write (which acts as it), must all be
 * held by the creator, judged by the write guard from the rows inside the
 * transaction like every other grant. Service scopes other than tasks.write
 * need only the route's own permission (it.operations). */
static gh_status apikey_escalation_check(gh_ctx *ctx, const gh_apikey *k)
{
    gh_actor want = {.type = GH_ACTOR_API_KEY};
    gh_access_key_scopes(k->scopes, &want);
    gh_permset need = want.key_perms;
    int assign = gh_catalog_perm_index(gh_access_catalog(), "tasks.assign");
    if ((want.key_services & GH_SCOPE_TASKS_WRITE) && assign >= 0) gh_permset_set(&need, (size_t)assign);
    return gh_guard_require_all(ctx, &need, "a key can only carry permissions its creator holds");
}

static void apikey_keep(void *row, const char *token, const char *hash)
{
    gh_apikey *k = row;
    gh_strlcpy(k->key_hash, hash, sizeof k->key_hash);
    snprintf(k->prefix, sizeof k->prefix, "%.12s", token);
}

static gh_status apikey_insert(gh_ctx *ctx, gh_tx *tx, void *row)
{
    gh_apikey *k = row;
    gh_status st;
    if ((st = apikey_escalation_check(ctx, k)) != GH_OK) return st;
    if ((st = gh_store_apikey_insert(ctx->db, k, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "api_key.created", "api_key", k->id,
                json_pack("{s:s, s:o}", "name", k->name, "scopes", gh_json_keylist(k->scopes)));
    return GH_OK;
}

static json_t *apikey_view(const void *row) { return apikey_json(row); }

static const gh_mint APIKEY_MINT = {GH_APIKEY_PREFIX, "key", apikey_keep, apikey_insert, apikey_view};

gh_status gh_apikey_create(gh_ctx *ctx, const char *name, const json_t *scopes, int64_t expires_at, json_t **out)
{
    if (gh_check_text(&ctx->err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) return ctx->err.status;
    if (expires_at && expires_at <= gh_now())
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_expiry", "expires_at", "the expiry must be in the future");
    gh_apikey *k = calloc(1, sizeof *k); /* 4 KiB of scopes: not on the stack */
    if (!k) return gh_ctx_oom(ctx);
    gh_status st = apikey_scopes_parse(ctx, scopes, k);
    if (st != GH_OK) goto out;
    gh_id_new("key", k->id);
    gh_strlcpy(k->org_id, ctx->actor.org_id, sizeof k->org_id);
    gh_strlcpy(k->name, name, sizeof k->name);
    if (ctx->actor.type == GH_ACTOR_USER) gh_strlcpy(k->created_by, ctx->actor.id, sizeof k->created_by);
    k->created_at = gh_now();
    k->expires_at = expires_at;
    st = gh_mint_token(ctx, &APIKEY_MINT, k, out);
out:
    free(k);
    return st;
}

static void key_visit(const gh_apikey *k, void *arg) { json_array_append_new(arg, apikey_json(k)); }

gh_status gh_apikey_list(gh_ctx *ctx, json_t **items)
{
    json_t *a = json_array();
    if (!a) return gh_ctx_oom(ctx);
    gh_status st = gh_store_apikey_list(ctx->db, ctx->actor.org_id, key_visit, a, &ctx->err);
    if (st != GH_OK) { json_decref(a); return st; }
    *items = a;
    return GH_OK;
}

static gh_status apikey_delete_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const char *id = *(const char **)arg;
    gh_status st = gh_store_apikey_delete(ctx->db, ctx->actor.org_id, id, &ctx->err);
    if (st != GH_OK) return st;
    gh_tx_event(tx, "api_key.revoked", "api_key", id, NULL);
    return GH_OK;
}

gh_status gh_apikey_delete(gh_ctx *ctx, const char *id)
{
    gh_status st = gh_tx_run_no_refresh(ctx, apikey_delete_change, &id);
    if (st == GH_OK) gh_apikey_cache_clear(); /* a revoked key authenticates no more */
    return st;
}
