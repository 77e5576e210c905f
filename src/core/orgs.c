/*
 * Organizations: validating and creating one with its first
 * administrator, the setup token, resolving by slug, and the org's JSON
 * (core/accounts.h).
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

static bool valid_slug(const char *s)
{
    size_t n = gh_strnlen_max(s, 63);
    if (n < 2 || n > 63) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0 && i + 1 < n)))
            return false;
    }
    return true;
}

/* ---- organizations ------------------------------------------------------------------ */
gh_status gh_org_validate_new(gh_ctx *ctx, const gh_org_new *n)
{
    if (!n->slug || !valid_slug(n->slug))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_slug", "org.slug",
                             "a slug is 2 to 63 lowercase letters, digits and inner dashes");
    if (acct_check_name(ctx, n->name, "org.name") != GH_OK) return ctx->err.status;
    if (acct_check_email(ctx, n->admin_email, "admin.email") != GH_OK) return ctx->err.status;
    if (acct_check_name(ctx, n->admin_name, "admin.name") != GH_OK) return ctx->err.status;
    if (n->template_set) {
        gh_template_role *roles = NULL;
        size_t count;
        const char *owner;
        gh_status st = gh_access_template_roles(n->template_set, &roles, &count, &owner, &ctx->err);
        free(roles);
        if (st != GH_OK) {
            gh_strlcpy(ctx->err.field, "template", sizeof ctx->err.field);
            return st;
        }
    }
    return GH_OK;
}

static gh_status use_setup_token(gh_ctx *ctx, const char *token)
{
    char h[GH_HASH_HEX_LEN + 1];
    gh_token t;
    if (!token || strlen(token) != GH_TOKEN_LEN) goto bad;
    gh_token_hash(token, h);
    if (gh_store_token_get_by_hash(ctx->db, h, &t, &ctx->err) != GH_OK) goto bad;
    bool another = strcmp(t.purpose, "setup_another") == 0;
    if ((!another && strcmp(t.purpose, "setup") != 0) || t.used_at || gh_now() >= t.expires_at) goto bad;
    /* The first-start link sets up the first organization only: once one
     * exists (made by `gatehouse init` meanwhile), it is spent. A link from
     * `gatehouse org setup-link` (purpose setup_another) creates one more. */
    if (!another && gh_store_org_count(ctx->db) != 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "already_set_up",
                       "an organization exists already; more are created with gatehouse init");
    return gh_store_token_mark_used(ctx->db, t.id, gh_now(), &ctx->err);
bad:
    gh_err_clear(&ctx->err);
    return gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "setup_token_invalid", "token",
                         "the setup link is not valid, already used or expired");
}

/* A new organization: the request, its template set's roles, and the org
 * and first administrator written. */
typedef struct org_create_op {
    const gh_org_new *n;
    const char *set, *owner;
    const gh_template_role *roles;
    size_t nroles;
    gh_org o;
    gh_user *u;
} org_create_op;

static gh_status org_create_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    org_create_op *op = arg;
    const gh_org_new *n = op->n;
    gh_org *o = &op->o;
    gh_user *u = op->u;
    int64_t now = gh_now();
    gh_status st;
    if (ctx->actor.type != GH_ACTOR_SYSTEM && (st = use_setup_token(ctx, n->setup_token)) != GH_OK) return st;
    gh_id_new("org", o->id);
    gh_strlcpy(o->slug, n->slug, sizeof o->slug);
    gh_strlcpy(o->name, n->name, sizeof o->name);
    gh_strlcpy(o->template_set, op->set, sizeof o->template_set);
    gh_access_all_modules(o->modules, sizeof o->modules);
    gh_access_all_addons(o->addons, sizeof o->addons);
    o->seats_office = o->seats_factory = -1;
    o->session_idle_s = 1800;
    o->session_max_s = 12 * 3600;
    o->invite_ttl_s = 7 * 86400;
    o->single_task_checkin = true;
    o->kiosk_pin_min = 6;
    o->kiosk_idle_s = 120;
    o->kiosk_session_s = 12 * 3600;
    o->device_idle_s = 0;
    o->device_session_s = 30 * 86400;
    o->created_at = now;
    if ((st = gh_store_org_insert(ctx->db, o, &ctx->err)) != GH_OK) return st;
    for (size_t i = 0; i < op->nroles; i++) {
        const gh_template_role *t = &op->roles[i];
        gh_role r = {0};
        gh_strlcpy(r.org_id, o->id, sizeof r.org_id);
        gh_strlcpy(r.key, t->key, sizeof r.key);
        gh_strlcpy(r.name, t->name, sizeof r.name);
        gh_strlcpy(r.description, t->description ? t->description : "", sizeof r.description);
        gh_strlcpy(r.permissions, t->permissions, sizeof r.permissions);
        r.device = t->device;
        r.from_template = true;
        r.created_at = r.updated_at = now;
        if ((st = gh_store_role_insert(ctx->db, &r, &ctx->err)) != GH_OK) return st;
    }
    gh_id_new("usr", u->id);
    gh_strlcpy(u->org_id, o->id, sizeof u->org_id);
    gh_strlcpy(u->email, n->admin_email, sizeof u->email);
    gh_strlcpy(u->name, n->admin_name, sizeof u->name);
    gh_strlcpy(u->role_key, op->owner, sizeof u->role_key);
    gh_strlcpy(u->status, "active", sizeof u->status);
    gh_strlcpy(u->password_hash, n->admin_password_hash, sizeof u->password_hash);
    u->email_verified = true; /* proven by the setup link or the operator's shell */
    u->office_access = true;
    u->modules_all = true;
    u->created_at = u->updated_at = now;
    if ((st = gh_store_user_insert(ctx->db, u, &ctx->err)) != GH_OK) return st;
    gh_strlcpy(ctx->actor.org_id, o->id, sizeof ctx->actor.org_id);
    if ((st = gh_audit(ctx, o->id, "org.created", "org", o->id,
                       json_pack("{s:s, s:s, s:s}", "slug", o->slug, "name", o->name, "template", op->set))) != GH_OK)
        return st;
    return gh_audit(ctx, o->id, "user.created", "user", u->id,
                    json_pack("{s:s, s:s, s:b}", "email", u->email, "role", u->role_key, "first_admin", 1));
}

gh_status gh_org_create(gh_ctx *ctx, const gh_org_new *n, gh_org *out_org, gh_user *out_user)
{
    gh_template_role *roles = NULL;
    org_create_op op = {.n = n, .set = n->template_set ? n->template_set : gh_access_default_template()};
    gh_status st = gh_org_validate_new(ctx, n);
    if (st != GH_OK) return st;
    st = gh_access_template_roles(op.set, &roles, &op.nroles, &op.owner, &ctx->err);
    if (st != GH_OK) return st;
    op.roles = roles;
    op.u = calloc(1, sizeof *op.u);
    if (!op.u) { free(roles); return gh_ctx_oom(ctx); }
    if ((st = gh_tx_run(ctx, org_create_change, &op)) == GH_OK) {
        if (out_org) *out_org = op.o;
        if (out_user) *out_user = *op.u;
    }
    free(roles);
    free(op.u);
    return st;
}

typedef struct { bool another; char *token; } setup_token_op;

static gh_status setup_token_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const setup_token_op *op = arg;
    if (!op->another && gh_store_org_count(ctx->db) != 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "already_set_up", "an organization exists");
    return acct_issue_token(ctx, NULL, NULL, op->another ? "setup_another" : "setup", NULL, SETUP_TTL_S, op->token);
}

gh_status gh_setup_token_issue(gh_ctx *ctx, bool another, char token[GH_TOKEN_LEN + 1])
{
    return gh_tx_run_no_refresh(ctx, setup_token_change, &(setup_token_op){another, token});
}

gh_status gh_org_resolve(gh_ctx *ctx, const char *slug, gh_org *o)
{
    if (slug && *slug) return gh_store_org_get_by_slug(ctx->db, slug, o, &ctx->err);
    gh_status st = gh_store_org_get_single(ctx->db, o, &ctx->err);
    if (st == GH_E_NOT_FOUND)
        gh_fail_field(&ctx->err, GH_E_INVALID, "org_required", "org",
                      "this deployment has several organizations: name one");
    return st;
}

gh_status gh_org_of_actor(gh_ctx *ctx, gh_org *o)
{
    return gh_store_org_get(ctx->db, ctx->actor.org_id, o, &ctx->err);
}

static json_t *seat_json(int64_t limit, int64_t used)
{
    return json_pack("{s:o, s:I, s:o}", "limit", limit < 0 ? json_null() : json_integer(limit), "used",
                     (json_int_t)used, "available",
                     limit < 0 ? json_null() : json_integer(limit > used ? limit - used : 0));
}

json_t *gh_org_json(gh_ctx *ctx, const gh_org *o)
{
    char mods[GH_KEYLIST_MAX + 8];
    snprintf(mods, sizeof mods, "core%s%s", o->modules[0] ? " " : "", o->modules);
    int64_t office = gh_seats_used(ctx->db, o->id, GH_SEAT_OFFICE);
    int64_t factory = gh_seats_used(ctx->db, o->id, GH_SEAT_FACTORY);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:{s:o, s:o}, s:{s:I, s:I, s:I, s:b, s:I, s:b, s:I, s:I, s:o}, s:o}",
        "id", o->id, "slug", o->slug, "name", o->name, "template", o->template_set,
        "modules", gh_json_keylist(mods), "addons", gh_json_keylist(o->addons),
        "seats", "office", seat_json(o->seats_office, office), "factory", seat_json(o->seats_factory, factory),
        "settings", "session_idle_timeout_s", (json_int_t)o->session_idle_s,
        "session_max_lifetime_s", (json_int_t)o->session_max_s, "invite_ttl_s", (json_int_t)o->invite_ttl_s,
        "single_task_checkin", o->single_task_checkin, "kiosk_pin_min_length", (json_int_t)o->kiosk_pin_min,
        "kiosk_enrolled_devices_only", o->kiosk_enrolled_devices_only,
        "kiosk_idle_timeout_s", (json_int_t)o->kiosk_idle_s, "kiosk_session_max_s", (json_int_t)o->kiosk_session_s,
        "ip_allowlist", gh_json_keylist(o->ip_allowlist), "created_at", gh_json_time(o->created_at));
    json_t *settings = j ? json_object_get(j, "settings") : NULL;
    if (settings) {
        json_object_set_new(settings, "erase_deleted_names", json_boolean(o->erase_deleted_names));
        json_object_set_new(settings, "device_idle_timeout_s", json_integer((json_int_t)o->device_idle_s));
        json_object_set_new(settings, "device_session_max_days", json_integer((json_int_t)(o->device_session_s / 86400)));
    }
    if (j) json_object_set_new(j, "mail_configured", json_boolean(gh_delivery_configured()));
    return j;
}
