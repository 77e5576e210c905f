/*
 * The people of an organization: their JSON, reading one, creating one
 * and listing them (core/accounts.h); changes to an existing person are in
 * userchange.c.
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

/* ---- users --------------------------------------------------------------------------- */
json_t *gh_user_json(const gh_user *u)
{
    return json_pack(
        "{s:s, s:o, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:o, s:o, s:o, s:b, s:b, s:b, s:b, s:o, s:o, s:o,"
        " s:o, s:b, s:o, s:o, s:o}",
        "id", u->id, "email", u->email[0] ? json_string(u->email) : json_null(), "name", u->name,
        "mobile", u->mobile, "role", u->role_key, "status", u->status, "email_verified", u->email_verified,
        "office_access", u->office_access, "factory_access", u->factory_access,
        "badge", u->badge[0] ? json_string(u->badge) : json_null(),
        "modules", u->modules_all ? json_null() : gh_json_keylist(u->modules), "grants", gh_json_keylist(u->grants),
        "has_password", u->password_hash[0] != '\0', "kiosk_pin_set", u->pin_hash[0] != '\0',
        "kiosk_pin_blocked", u->pin_blocked, "checkin_exempt", u->checkin_exempt,
        "created_at", gh_json_time(u->created_at), "updated_at", gh_json_time(u->updated_at),
        "last_login_at", gh_json_time(u->last_login_at), "expires_at", gh_json_time(u->expires_at), "expired",
        gh_user_expired(u, gh_now()), "lock_at", gh_json_time(u->lock_at), "unlock_at", gh_json_time(u->unlock_at),
        "language", u->language[0] ? json_string(u->language) : json_null());
}

json_t *gh_tombstone_json(const gh_tombstone *t)
{
    return json_pack("{s:s, s:s, s:b, s:o}", "id", t->id, "name", t->name, "name_erased", t->name_erased,
                     "deleted_at", gh_json_time(t->deleted_at));
}

gh_status gh_user_get(gh_ctx *ctx, const char *id, gh_user *u)
{
    gh_status st = gh_store_user_get(ctx->db, ctx->actor.org_id, id, u, &ctx->err);
    if (st == GH_E_NOT_FOUND && id) {
        /* Still 404 (the account is gone), but say whose records remain. */
        gh_tombstone t;
        gh_err ignored = {0};
        if (gh_store_tombstone_get(ctx->db, ctx->actor.org_id, id, &t, &ignored) == GH_OK)
            gh_err_extra(&ctx->err, "deleted_user", gh_tombstone_json(&t));
        gh_err_clear(&ignored);
    }
    return st;
}

gh_status gh_person_check(gh_ctx *ctx, const char *id, gh_tombstone *t, bool *deleted)
{
    gh_user *u = calloc(1, sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    *deleted = false;
    gh_status st = gh_store_user_get(ctx->db, ctx->actor.org_id, id ? id : "", u, &ctx->err);
    free(u);
    if (st != GH_E_NOT_FOUND || !id) return st;
    gh_err_clear(&ctx->err);
    st = gh_store_tombstone_get(ctx->db, ctx->actor.org_id, id, t, &ctx->err);
    if (st == GH_OK) *deleted = true;
    return st;
}

gh_status acct_role_exists(gh_ctx *ctx, const char *key, gh_role *r)
{
    gh_status st = gh_store_role_get(ctx->db, ctx->actor.org_id, key, r, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        return gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_role", "role", "no role '%s' in this organization", key);
    }
    return st;
}

/* Issue 11: a person can only be given modules the organization has
 * (400 module_not_enabled naming the others, in `modules_not_enabled`). */
gh_status acct_modules_in_org(gh_ctx *ctx, const gh_org *o, const gh_user *u)
{
    if (u->modules_all) return GH_OK;
    json_t *missing = json_array();
    char names[512] = "";
    size_t used = 0;
    if (!missing) return gh_ctx_oom(ctx);
    for (const char *p = u->modules; *p;) {
        while (*p == ' ') p++;
        size_t n = strcspn(p, " ");
        char key[128];
        if (n > 0 && n < sizeof key) {
            memcpy(key, p, n);
            key[n] = '\0';
            if (!gh_keylist_has(o->modules, key)) {
                json_array_append_new(missing, json_string(key));
                int w = snprintf(names + used, sizeof names - used, "%s'%s'", used ? ", " : "", key);
                if (w > 0 && (size_t)w < sizeof names - used) used += (size_t)w;
            }
        }
        p += n;
    }
    if (json_array_size(missing) == 0) { json_decref(missing); return GH_OK; }
    gh_fail_field(&ctx->err, GH_E_INVALID, "module_not_enabled", "modules",
                  "the organization does not have the module(s) %s; an operator enables modules with "
                  "`gatehouse org modules`", names);
    gh_err_extra(&ctx->err, "modules_not_enabled", missing);
    return GH_E_INVALID;
}

/* Validates module keys against the catalog; acct_modules_in_org then checks the
 * organization has them. */
gh_status acct_apply_modules(gh_ctx *ctx, const json_t *mods, gh_user *u)
{
    if (!mods || json_is_null(mods)) {
        u->modules_all = true;
        u->modules[0] = '\0';
        return GH_OK;
    }
    if (gh_access_validate_keys(mods, GH_KEYS_MODULES, "modules", u->modules, sizeof u->modules, &ctx->err) != GH_OK)
        return ctx->err.status;
    u->modules_all = false;
    return GH_OK;
}

/* A pending invitation already holds a seat for this address: creating the
 * account as well would hold two and leave a dead link behind. */
gh_status acct_refuse_if_invited(gh_ctx *ctx, const char *email)
{
    gh_invite inv;
    gh_status st = gh_store_invite_get_pending(ctx->db, ctx->actor.org_id, email, &inv, &ctx->err);
    if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); return GH_OK; }
    if (st != GH_OK) return st;
    gh_fail_field(&ctx->err, GH_E_CONFLICT, "already_invited", "email",
                  "this address has a pending invitation: resend or cancel it instead");
    gh_err_extra(&ctx->err, "invite_id", json_string(inv.id));
    return GH_E_CONFLICT;
}

typedef struct { const gh_user_new *n; gh_user *u; } user_new_op;

/* gh_user_create's change, inside the write transaction. */
static gh_status user_create_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const gh_user_new *n = ((user_new_op *)arg)->n;
    gh_user *u = ((user_new_op *)arg)->u;
    gh_org o;
    gh_role r;
    gh_status st;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) return st;
    if ((st = acct_modules_in_org(ctx, &o, u)) != GH_OK) return st;
    if ((st = acct_role_exists(ctx, n->role, &r)) != GH_OK) return st;
    if ((st = gh_guard_confer(ctx, &o, NULL, u)) != GH_OK) return st;
    if ((st = acct_refuse_if_invited(ctx, u->email)) != GH_OK) return st;
    if ((st = gh_store_user_insert(ctx->db, u, &ctx->err)) != GH_OK) return st;
    if (n->scim && (st = gh_store_user_scim_put(ctx->db, u->org_id, u->id, n->scim, &ctx->err)) != GH_OK) return st;
    if (u->office_access && (st = gh_seats_require(ctx, &o, GH_SEAT_OFFICE)) != GH_OK) return st;
    if (u->factory_access && (st = gh_seats_require(ctx, &o, GH_SEAT_FACTORY)) != GH_OK) return st;
    if ((st = gh_audit(ctx, NULL, "user.created", "user", u->id,
                       json_pack("{s:s?, s:s, s:s?, s:b, s:b}", "email", u->email[0] ? u->email : NULL, "role",
                                 u->role_key, "badge", u->badge[0] ? u->badge : NULL, "office_access",
                                 u->office_access, "factory_access", u->factory_access))) != GH_OK)
        return st;
    (void)tx;
    if (u->office_access && !u->email_verified && (st = acct_mail_verify(ctx, &o, u)) != GH_OK) return st;
    return GH_OK;
}

gh_status gh_user_create(gh_ctx *ctx, const gh_user_new *n, gh_user *out)
{
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    if (!u) return gh_ctx_oom(ctx);
    bool has_email = n->email && *n->email;
    /* Office access signs in with an email; a factory worker (002) may have
     * none and is known at the kiosk by a badge. */
    if (!n->office_access && !n->factory_access) {
        st = has_email ? gh_fail_field(&ctx->err, GH_E_INVALID, "no_access", "office_access",
                                       "a staff member needs office access, factory access or both")
                       : gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "email",
                                       "'email' is required for office access (a factory worker needs"
                                       " factory_access and a badge instead)");
        goto out;
    }
    /* Every invalid field is reported at once (the problem's `errors`). */
    gh_err all = {0};
    if ((n->office_access || has_email) && acct_check_email(ctx, n->email, "email") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (n->badge && !gh_badge_valid(n->badge)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_badge", "badge",
                      "a badge is 1 to %d letters, digits, '-', '_' or '.'", GH_BADGE_MAX);
        gh_err_merge(&all, &ctx->err);
    }
    if (n->factory_access && !n->badge) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "badge", "factory access needs a badge (employee code)");
        gh_err_merge(&all, &ctx->err);
    }
    if (acct_check_name(ctx, n->name, "name") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (n->mobile && acct_check_mobile(ctx, n->mobile) != GH_OK) gh_err_merge(&all, &ctx->err);
    if (gh_language_check(&ctx->err, n->language, "language") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (!n->role || !*n->role) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "role", "'role' is required");
        gh_err_merge(&all, &ctx->err);
    }
    if (n->expires_at != 0 && n->expires_at <= gh_now()) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "date_in_past", "expires_at", "Choose a date and time in the future.");
        gh_err_merge(&all, &ctx->err);
    }
    if (all.status != GH_OK) {
        gh_err_clear(&ctx->err);
        ctx->err = all;
        st = all.status;
        goto out;
    }
    int64_t now = gh_now();
    gh_id_new("usr", u->id);
    gh_strlcpy(u->org_id, ctx->actor.org_id, sizeof u->org_id);
    gh_strlcpy(u->email, has_email ? n->email : "", sizeof u->email);
    gh_strlcpy(u->name, n->name, sizeof u->name);
    gh_strlcpy(u->mobile, n->mobile ? n->mobile : "", sizeof u->mobile);
    gh_strlcpy(u->language, n->language ? n->language : "", sizeof u->language);
    gh_strlcpy(u->role_key, n->role, sizeof u->role_key);
    gh_strlcpy(u->status, "active", sizeof u->status);
    gh_strlcpy(u->badge, n->badge ? n->badge : "", sizeof u->badge);
    u->office_access = n->office_access;
    u->factory_access = n->factory_access;
    u->email_verified = n->email_verified;
    u->expires_at = n->expires_at;
    if (n->password_hash) gh_strlcpy(u->password_hash, n->password_hash, sizeof u->password_hash);
    if ((st = acct_apply_modules(ctx, n->modules, u)) != GH_OK) goto out;
    if (n->grants && (st = gh_access_validate_keys(n->grants, GH_KEYS_PERMISSIONS, "grants", u->grants,
                                                   sizeof u->grants, &ctx->err)) != GH_OK)
        goto out;
    u->created_at = u->updated_at = now;
    user_new_op op = {n, u};
    if ((st = gh_tx_run(ctx, user_create_change, &op)) == GH_OK && out) *out = *u;
out:
    free(u);
    return st;
}

bool gh_user_patch_needs_reauth(const gh_ctx *ctx, const gh_user *u, const gh_user_patch *p)
{
    if (!p->email || ctx->actor.type != GH_ACTOR_USER || strcmp(ctx->actor.id, u->id) != 0) return false;
    char a[GH_EMAIL_MAX + 1], b[GH_EMAIL_MAX + 1];
    if (!gh_ascii_lower(a, p->email, sizeof a)) return true; /* too long: not the same address */
    gh_ascii_lower(b, u->email, sizeof b);
    return strcmp(a, b) != 0;
}

typedef struct { json_t *items; gh_user last; int n, limit; bool more; } list_acc;

static void list_visit(const gh_user *u, void *arg)
{
    list_acc *a = arg;
    if (a->n == a->limit) { a->more = true; return; } /* the look-ahead row */
    json_array_append_new(a->items, gh_user_json(u));
    a->last = *u;
    a->n++;
}

gh_status gh_user_list(gh_ctx *ctx, const gh_user_filter *in, json_t **items, char **next_cursor)
{
    gh_user_filter f = *in;
    char name[GH_NAME_MAX + 1], id[GH_ID_MAX];
    if (f.limit <= 0) f.limit = PAGE_DEFAULT;
    if (f.limit > PAGE_MAX) f.limit = PAGE_MAX;
    if (f.after_name) {
        if (!gh_cursor_decode(f.after_name, name, sizeof name, id, sizeof id))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
        f.after_name = name;
        f.after_id = id;
    }
    list_acc *a = calloc(1, sizeof *a);
    if (!a) return gh_ctx_oom(ctx);
    a->items = json_array();
    a->limit = f.limit;
    f.limit++; /* one more row tells whether there is a next page */
    gh_status st = a->items ? gh_store_user_list(ctx->db, ctx->actor.org_id, &f, list_visit, a, &ctx->err) : gh_ctx_oom(ctx);
    if (st == GH_OK) {
        *next_cursor = NULL;
        if (a->more) {
            char *c = malloc(GH_CURSOR_MAX);
            if (c) gh_cursor_encode(a->last.name, a->last.id, c);
            *next_cursor = c;
        }
        *items = a->items;
    } else {
        json_decref(a->items);
    }
    free(a);
    return st;
}
