/*
 * Organizations, office accounts, sign-in and links (API keys are in
 * apikeys.c, the IP allowlist in ipallow.c). See accounts.h for the rules;
 * every public function here that changes state opens a transaction, writes
 * its audit events (and mails) in it, checks invariants, and commits
 * through gh_tx_commit_and_refresh() (core/guard.h), which also brings the
 * in-memory authorization snapshot up to date before the caller answers.
 *
 * Over 600 lines: still the hub of organizations, users, self-service,
 * sign-in and links. The next split, by section, is core/orgs.c,
 * core/users.c, core/signin.c, core/links.c and core/invariants.c, with the
 * shared static helpers in a private accounts_int.h.
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

#define VERIFY_TTL_S (72 * 3600)
#define RESET_TTL_S 3600
#define SETUP_TTL_S (24 * 3600)
#define LOGIN_FREE_PER_IP 30
#define PAGE_MAX 200
#define PAGE_DEFAULT 50

/* ---- small helpers ------------------------------------------------------------ */
static gh_status begin(gh_ctx *ctx) { return gh_tx_begin(ctx); }

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

static gh_status check_name(gh_ctx *ctx, const char *name, const char *field)
{
    if (gh_check_text(&ctx->err, "invalid_name", field, name, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    return GH_OK;
}

static gh_status check_email(gh_ctx *ctx, const char *email, const char *field)
{
    if (!email || !gh_email_valid(email))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_email", field, "not a valid email address");
    return GH_OK;
}

static gh_status check_mobile(gh_ctx *ctx, const char *m)
{
    size_t n = gh_strnlen_max(m, 40);
    if (n > 40) goto bad;
    for (size_t i = 0; i < n; i++) {
        char c = m[i];
        if (!((c >= '0' && c <= '9') || c == '+' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.'))
            goto bad;
    }
    return GH_OK;
bad:
    return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_mobile", "mobile",
                         "a mobile number is up to 40 digits, spaces and + - ( ) .");
}

/* Issues a single-use link token; `token` gets the secret. */
static gh_status issue_token(gh_ctx *ctx, const char *org_id, const char *user_id, const char *purpose,
                             const char *email, int64_t ttl, char token[GH_TOKEN_LEN + 1])
{
    gh_token t = {0};
    int64_t now = gh_now();
    gh_id_new("tok", t.id);
    gh_strlcpy(t.org_id, org_id ? org_id : "", sizeof t.org_id);
    gh_strlcpy(t.user_id, user_id ? user_id : "", sizeof t.user_id);
    gh_strlcpy(t.purpose, purpose, sizeof t.purpose);
    gh_strlcpy(t.email, email ? email : "", sizeof t.email);
    gh_token_new(token);
    gh_token_hash(token, t.token_hash);
    t.created_at = now;
    t.expires_at = now + ttl;
    gh_status st = gh_store_token_supersede(ctx->db, org_id, user_id, purpose, now, &ctx->err);
    if (st == GH_OK) st = gh_store_token_insert(ctx->db, &t, &ctx->err);
    return st;
}

/* A mail carrying a single-use link: what it is for, where the link goes,
 * and its template (mail/<kind>.txt). */
typedef struct link_mail {
    const char *purpose, *path, *kind;
    int64_t ttl;
} link_mail;

static const link_mail MAIL_VERIFY = {"verify", "/console/verify-email", "verify_email", VERIFY_TTL_S};
static const link_mail MAIL_RESET = {"reset", "/console/reset-password", "password_reset", RESET_TTL_S};

static gh_status mail_link(gh_ctx *ctx, const gh_org *o, const gh_user *u, const link_mail *m)
{
    char token[GH_TOKEN_LEN + 1], link[1024];
    gh_status st = issue_token(ctx, o->id, u->id, m->purpose, u->email, m->ttl, token);
    if (st != GH_OK) return st;
    gh_link(link, sizeof link, m->path, token);
    gh_mail_var vars[] = {{"org", o->name}, {"name", u->name}, {"link", link}, {NULL, NULL}};
    st = gh_mail(ctx, o->id, m->kind, u->email, vars, link, gh_now() + m->ttl);
    sodium_memzero(token, sizeof token);
    sodium_memzero(link, sizeof link);
    return st;
}

/* Notices without a link: "your e-mail address was changed" (to the old
 * address) and "your password was changed". */
static gh_status mail_notice(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *kind, const char *to,
                             const char *new_email)
{
    if (!to || !*to) return GH_OK;
    gh_mail_var vars[] = {{"org", o->name}, {"name", u->name}, {"email", new_email}, {NULL, NULL}};
    return gh_mail(ctx, o->id, kind, to, vars, NULL, 0);
}

static gh_status mail_verify(gh_ctx *ctx, const gh_org *o, const gh_user *u) { return mail_link(ctx, o, u, &MAIL_VERIFY); }
static gh_status mail_reset(gh_ctx *ctx, const gh_org *o, const gh_user *u) { return mail_link(ctx, o, u, &MAIL_RESET); }

gh_status gh_accounts_mail_verify(gh_ctx *ctx, const gh_org *o, const gh_user *u) { return mail_verify(ctx, o, u); }

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
} inv_scan;

static bool user_holds(const gh_org *o, const role_vec *roles, const gh_user *u, const char *perm)
{
    if (strcmp(u->status, "active") != 0 || !u->office_access) return false;
    const gh_role *r = role_find(roles, u->role_key);
    return r && gh_access_would_hold(o, r, u, perm);
}

static void inv_visit(const gh_user *u, void *arg)
{
    inv_scan *s = arg;
    if (!user_holds(s->org, s->roles, u, "users.manage")) return;
    s->holders++;
    if (s->actor_id && strcmp(u->id, s->actor_id) == 0) s->actor_holds = true;
    if (s->break_glass && gh_sso_id_listed(s->break_glass, u->id)) s->break_glass_holders++;
}

static gh_status scan_managers(gh_ctx *ctx, const char *org_id, inv_scan *s, gh_org *org, role_vec *roles)
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
    return gh_store_user_each(ctx->db, org_id, inv_visit, s, &ctx->err);
}

gh_status gh_accounts_check_invariants(gh_ctx *ctx, const char *org_id, bool actor_had_manage)
{
    inv_scan s = {0};
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

/* ---- organizations ------------------------------------------------------------------ */
gh_status gh_org_validate_new(gh_ctx *ctx, const gh_org_new *n)
{
    if (!n->slug || !valid_slug(n->slug))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_slug", "org.slug",
                             "a slug is 2 to 63 lowercase letters, digits and inner dashes");
    if (check_name(ctx, n->name, "org.name") != GH_OK) return ctx->err.status;
    if (check_email(ctx, n->admin_email, "admin.email") != GH_OK) return ctx->err.status;
    if (check_name(ctx, n->admin_name, "admin.name") != GH_OK) return ctx->err.status;
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

gh_status gh_org_create(gh_ctx *ctx, const gh_org_new *n, gh_org *out_org, gh_user *out_user)
{
    gh_template_role *roles = NULL;
    size_t nroles = 0;
    const char *owner = NULL;
    const char *set = n->template_set ? n->template_set : gh_access_default_template();
    gh_status st = gh_org_validate_new(ctx, n);
    if (st != GH_OK) return st;
    st = gh_access_template_roles(set, &roles, &nroles, &owner, &ctx->err);
    if (st != GH_OK) return st;
    gh_org o = {0};
    gh_user *u = calloc(1, sizeof *u);
    if (!u) { free(roles); return gh_ctx_oom(ctx); }
    int64_t now = gh_now();
    if ((st = begin(ctx)) != GH_OK) goto out;
    if (ctx->actor.type != GH_ACTOR_SYSTEM && (st = use_setup_token(ctx, n->setup_token)) != GH_OK) goto fail;
    gh_id_new("org", o.id);
    gh_strlcpy(o.slug, n->slug, sizeof o.slug);
    gh_strlcpy(o.name, n->name, sizeof o.name);
    gh_strlcpy(o.template_set, set, sizeof o.template_set);
    gh_access_all_modules(o.modules, sizeof o.modules);
    gh_access_all_addons(o.addons, sizeof o.addons);
    o.seats_office = o.seats_factory = -1;
    o.session_idle_s = 1800;
    o.session_max_s = 12 * 3600;
    o.invite_ttl_s = 7 * 86400;
    o.single_task_checkin = true;
    o.kiosk_pin_min = 6;
    o.kiosk_idle_s = 120;
    o.kiosk_session_s = 12 * 3600;
    o.device_idle_s = 0;
    o.device_session_s = 30 * 86400;
    o.created_at = now;
    if ((st = gh_store_org_insert(ctx->db, &o, &ctx->err)) != GH_OK) goto fail;
    for (size_t i = 0; i < nroles; i++) {
        gh_role r = {0};
        gh_strlcpy(r.org_id, o.id, sizeof r.org_id);
        gh_strlcpy(r.key, roles[i].key, sizeof r.key);
        gh_strlcpy(r.name, roles[i].name, sizeof r.name);
        gh_strlcpy(r.description, roles[i].description ? roles[i].description : "", sizeof r.description);
        gh_strlcpy(r.permissions, roles[i].permissions, sizeof r.permissions);
        r.device = roles[i].device;
        r.from_template = true;
        r.created_at = r.updated_at = now;
        if ((st = gh_store_role_insert(ctx->db, &r, &ctx->err)) != GH_OK) goto fail;
    }
    gh_id_new("usr", u->id);
    gh_strlcpy(u->org_id, o.id, sizeof u->org_id);
    gh_strlcpy(u->email, n->admin_email, sizeof u->email);
    gh_strlcpy(u->name, n->admin_name, sizeof u->name);
    gh_strlcpy(u->role_key, owner, sizeof u->role_key);
    gh_strlcpy(u->status, "active", sizeof u->status);
    gh_strlcpy(u->password_hash, n->admin_password_hash, sizeof u->password_hash);
    u->email_verified = true; /* proven by the setup link or the operator's shell */
    u->office_access = true;
    u->modules_all = true;
    u->created_at = u->updated_at = now;
    if ((st = gh_store_user_insert(ctx->db, u, &ctx->err)) != GH_OK) goto fail;
    gh_strlcpy(ctx->actor.org_id, o.id, sizeof ctx->actor.org_id);
    if ((st = gh_audit(ctx, o.id, "org.created", "org", o.id,
                       json_pack("{s:s, s:s, s:s}", "slug", o.slug, "name", o.name, "template", set))) != GH_OK)
        goto fail;
    if ((st = gh_audit(ctx, o.id, "user.created", "user", u->id,
                       json_pack("{s:s, s:s, s:b}", "email", u->email, "role", u->role_key, "first_admin", 1))) != GH_OK)
        goto fail;
    if ((st = gh_tx_commit_and_refresh(ctx)) != GH_OK) goto out;
    if (out_org) *out_org = o;
    if (out_user) *out_user = *u;
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    free(roles);
    free(u);
    return st;
}

gh_status gh_setup_token_issue(gh_ctx *ctx, bool another, char token[GH_TOKEN_LEN + 1])
{
    gh_status st = begin(ctx);
    if (st != GH_OK) return st;
    if (!another && gh_store_org_count(ctx->db) != 0) {
        gh_db_rollback(ctx->db);
        return gh_fail(&ctx->err, GH_E_CONFLICT, "already_set_up", "an organization exists");
    }
    if ((st = issue_token(ctx, NULL, NULL, another ? "setup_another" : "setup", NULL, SETUP_TTL_S, token)) != GH_OK)
        return gh_ctx_rollback(ctx, st);
    return gh_db_commit(ctx->db, &ctx->err);
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

/* ---- users --------------------------------------------------------------------------- */
json_t *gh_user_json(const gh_user *u)
{
    return json_pack(
        "{s:s, s:o, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:o, s:o, s:o, s:b, s:b, s:b, s:b, s:o, s:o, s:o}",
        "id", u->id, "email", u->email[0] ? json_string(u->email) : json_null(), "name", u->name,
        "mobile", u->mobile, "role", u->role_key, "status", u->status, "email_verified", u->email_verified,
        "office_access", u->office_access, "factory_access", u->factory_access,
        "badge", u->badge[0] ? json_string(u->badge) : json_null(),
        "modules", u->modules_all ? json_null() : gh_json_keylist(u->modules), "grants", gh_json_keylist(u->grants),
        "has_password", u->password_hash[0] != '\0', "kiosk_pin_set", u->pin_hash[0] != '\0',
        "kiosk_pin_blocked", u->pin_blocked, "checkin_exempt", u->checkin_exempt,
        "created_at", gh_json_time(u->created_at), "updated_at", gh_json_time(u->updated_at),
        "last_login_at", gh_json_time(u->last_login_at));
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

static gh_status role_exists(gh_ctx *ctx, const char *key, gh_role *r)
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
static gh_status modules_in_org(gh_ctx *ctx, const gh_org *o, const gh_user *u)
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

/* Validates module keys against the catalog; modules_in_org then checks the
 * organization has them. */
static gh_status apply_modules(gh_ctx *ctx, const json_t *mods, gh_user *u)
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
static gh_status refuse_if_invited(gh_ctx *ctx, const char *email)
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
    if ((st = modules_in_org(ctx, &o, u)) != GH_OK) return st;
    if ((st = role_exists(ctx, n->role, &r)) != GH_OK) return st;
    if ((st = gh_guard_confer(ctx, &o, NULL, u)) != GH_OK) return st;
    if ((st = refuse_if_invited(ctx, u->email)) != GH_OK) return st;
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
    if (u->office_access && !u->email_verified && (st = mail_verify(ctx, &o, u)) != GH_OK) return st;
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
    if ((n->office_access || has_email) && check_email(ctx, n->email, "email") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (n->badge && !gh_badge_valid(n->badge)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_badge", "badge",
                      "a badge is 1 to %d letters, digits, '-', '_' or '.'", GH_BADGE_MAX);
        gh_err_merge(&all, &ctx->err);
    }
    if (n->factory_access && !n->badge) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "badge", "factory access needs a badge (employee code)");
        gh_err_merge(&all, &ctx->err);
    }
    if (check_name(ctx, n->name, "name") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (n->mobile && check_mobile(ctx, n->mobile) != GH_OK) gh_err_merge(&all, &ctx->err);
    if (!n->role || !*n->role) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "role", "'role' is required");
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
    gh_strlcpy(u->role_key, n->role, sizeof u->role_key);
    gh_strlcpy(u->status, "active", sizeof u->status);
    gh_strlcpy(u->badge, n->badge ? n->badge : "", sizeof u->badge);
    u->office_access = n->office_access;
    u->factory_access = n->factory_access;
    u->email_verified = n->email_verified;
    if (n->password_hash) gh_strlcpy(u->password_hash, n->password_hash, sizeof u->password_hash);
    if ((st = apply_modules(ctx, n->modules, u)) != GH_OK) goto out;
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

/* Notes one change for the audit row; a value or entry that could not be
 * made (no memory) sets *oom. json_object_set_new releases v either way. */
static void note(bool *oom, json_t *changes, const char *key, json_t *v)
{
    if (json_object_set_new(changes, key, v) != 0) *oom = true;
}

static gh_status unlock_seats(gh_ctx *ctx, const gh_user *u);
static void forget_guesses(const gh_user *u);

/* ---- one change to one person ------------------------------------------------ */
/* The skeleton of every change to a person of the actor's org, run by
 * gh_tx_run: the org and the person are read and the actor checked against
 * them (gh_guard_target) before the change; the lockout rules are checked
 * after it when `invariants` is set; the person's password and PIN
 * throttles are forgotten after the commit when the change asks. */
typedef struct user_op user_op;
typedef gh_status (*user_change_fn)(gh_ctx *ctx, gh_tx *tx, user_op *op);
struct user_op {
    const char *id;
    user_change_fn change;
    void *arg;
    bool invariants;
    bool forget; /* set by the change: forget_guesses() once committed */
    gh_org o;
    gh_user u;
};

static gh_status user_op_run(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    user_op *op = arg;
    gh_status st;
    bool had_manage = op->invariants && gh_guard_actor_holds(ctx, "users.manage");
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &op->o, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, op->id, &op->u, &ctx->err)) != GH_OK) return st;
    /* Whoever the actor may not act on (someone above) is left alone. */
    if ((st = gh_guard_target(ctx, &op->o, &op->u)) != GH_OK) return st;
    if ((st = op->change(ctx, tx, op)) != GH_OK || tx->unchanged || !op->invariants) return st;
    return gh_accounts_check_invariants(ctx, op->o.id, had_manage);
}

static gh_status with_user(gh_ctx *ctx, const char *id, bool invariants, user_change_fn change, void *arg,
                           gh_user *out)
{
    user_op *op = calloc(1, sizeof *op);
    if (!op) return gh_ctx_oom(ctx);
    op->id = id;
    op->change = change;
    op->arg = arg;
    op->invariants = invariants;
    gh_status st = gh_tx_run(ctx, user_op_run, op);
    if (st == GH_OK && op->forget) forget_guesses(&op->u);
    if (st == GH_OK && out) *out = op->u;
    free(op);
    return st;
}

typedef struct { const gh_user_patch *p; bool self, provisioning; } update_arg;

static gh_status user_update_change(gh_ctx *ctx, gh_tx *tx, user_op *op)
{
    const update_arg *a = op->arg;
    const gh_user_patch *p = a->p;
    gh_user *u = &op->u;
    const gh_org *o = &op->o;
    gh_role r;
    gh_user_scim scim_before;
    gh_status st;
    if (p->name && !a->self && !a->provisioning && (u->office_access || !gh_guard_actor_holds(ctx, "users.manage")))
        return gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "profile_owner_only", "name",
                             "Only the user can change their own name and mobile number; administrators correct the "
                             "names of factory workers without office access.");
    if (gh_user_patch_needs_reauth(ctx, u, p)) {
        if (!p->reauth_hash)
            return gh_fail_field(&ctx->err, GH_E_INVALID, "current_password_required", "current_password",
                                 "changing your own e-mail address needs your current password");
        if (!u->password_hash[0] || !gh_secret_eq(u->password_hash, p->reauth_hash))
            return gh_fail_field(&ctx->err, GH_E_CONFLICT, "password_changed", "current_password",
                                 "the password was changed meanwhile; sign in again");
    }
    gh_user *before = malloc(sizeof *before);
    if (!before) return gh_ctx_oom(ctx);
    *before = *u;
    /* The changes are the tx's (released by gh_tx_run on every path). */
    json_t *changes = tx->detail = json_object();
    if (!changes) { st = gh_ctx_oom(ctx); goto done; } /* else "nothing changed" would be answered */
    bool oom = false, email_changed = false, sessions_end = false, kiosk_end = false;
    if (p->email) {
        char x[GH_EMAIL_MAX + 1], y[GH_EMAIL_MAX + 1];
        gh_ascii_lower(x, p->email, sizeof x);
        gh_ascii_lower(y, u->email, sizeof y);
        if (strcmp(x, y) != 0) {
            if ((st = refuse_if_invited(ctx, p->email)) != GH_OK) goto done;
            note(&oom, changes, "email", json_pack("{s:s, s:s}", "from", u->email, "to", p->email));
            gh_strlcpy(u->email, p->email, sizeof u->email);
            u->email_verified = false;
            email_changed = true;
        }
    }
    if (p->role && strcmp(p->role, u->role_key) != 0) {
        if ((st = role_exists(ctx, p->role, &r)) != GH_OK) goto done;
        note(&oom, changes, "role", json_pack("{s:s, s:s}", "from", u->role_key, "to", p->role));
        gh_strlcpy(u->role_key, p->role, sizeof u->role_key);
    }
    if (p->name && strcmp(p->name, u->name) != 0) {
        note(&oom, changes, "name", json_true());
        gh_strlcpy(u->name, p->name, sizeof u->name);
    }
    if (p->mobile && strcmp(p->mobile, u->mobile) != 0) {
        note(&oom, changes, "mobile", json_true());
        gh_strlcpy(u->mobile, p->mobile, sizeof u->mobile);
    }
    if (p->modules_set) {
        if ((st = apply_modules(ctx, p->modules, u)) != GH_OK || (st = modules_in_org(ctx, o, u)) != GH_OK) goto done;
        note(&oom, changes, "modules", u->modules_all ? json_null() : gh_json_keylist(u->modules));
    }
    if (p->grants) {
        if ((st = gh_access_validate_keys(p->grants, GH_KEYS_PERMISSIONS, "grants", u->grants, sizeof u->grants,
                                          &ctx->err)) != GH_OK)
            goto done;
        note(&oom, changes, "grants", gh_json_keylist(u->grants));
    }
    if (p->office_access_set && p->office_access != u->office_access) {
        if (p->office_access && !u->email[0]) {
            st = gh_fail_field(&ctx->err, GH_E_INVALID, "email_required", "office_access",
                               "office access needs an email address");
            goto done;
        }
        u->office_access = p->office_access;
        sessions_end = !p->office_access;
        note(&oom, changes, "office_access", json_boolean(p->office_access));
    }
    if (p->checkin_exempt_set && p->checkin_exempt != u->checkin_exempt) {
        u->checkin_exempt = p->checkin_exempt;
        note(&oom, changes, "checkin_exempt", json_boolean(p->checkin_exempt));
    }
    if (p->badge_set && strcmp(p->badge ? p->badge : "", u->badge) != 0) {
        note(&oom, changes, "badge", json_pack("{s:s?, s:s?}", "from", u->badge[0] ? u->badge : NULL,
                                                        "to", p->badge && *p->badge ? p->badge : NULL));
        gh_strlcpy(u->badge, p->badge ? p->badge : "", sizeof u->badge);
    }
    if (p->factory_access_set && p->factory_access != u->factory_access) {
        u->factory_access = p->factory_access;
        kiosk_end = !p->factory_access;
        note(&oom, changes, "factory_access", json_boolean(p->factory_access));
    }
    if (p->scim) {
        if ((st = gh_store_user_scim_get(ctx->db, o->id, u->id, &scim_before, &ctx->err)) != GH_OK) goto done;
        json_t *f = json_array();
        const struct { const char *name; const char *a, *b; } cols[] = {
            {"externalId", scim_before.external_id, p->scim->external_id},
            {"title", scim_before.title, p->scim->title},
            {"name.givenName", scim_before.given_name, p->scim->given_name},
            {"name.familyName", scim_before.family_name, p->scim->family_name},
            {"employeeNumber", scim_before.employee_number, p->scim->employee_number},
            {"department", scim_before.department, p->scim->department},
            {"manager", scim_before.manager_id, p->scim->manager_id},
        };
        for (size_t i = 0; f && i < sizeof cols / sizeof cols[0]; i++)
            if (strcmp(cols[i].a, cols[i].b) != 0 && json_array_append_new(f, json_string(cols[i].name)) != 0)
                oom = true;
        if (json_array_size(f) > 0) note(&oom, changes, "scim", f);
        else json_decref(f);
        if (!f) oom = true;
    }
    if ((p->badge_set || p->factory_access_set) && u->factory_access && !u->badge[0]) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "badge_required", "badge", "factory access needs a badge (employee code)");
        goto done;
    }
    /* A change that could not be noted must not look like no change (a 200
     * that wrote nothing) nor be written unaudited. */
    if (oom) { st = gh_ctx_oom(ctx); goto done; }
    bool lock_change = p->status_set && strcmp(u->status, p->locked ? "locked" : "active") != 0;
    if (lock_change) gh_strlcpy(u->status, p->locked ? "locked" : "active", sizeof u->status);
    if (json_object_size(changes) == 0 && !lock_change) {
        tx->unchanged = true;
        st = GH_OK;
        goto done;
    }
    /* Role, grants and modules may only confer what the actor holds. */
    if ((st = gh_guard_confer(ctx, o, before, u)) != GH_OK) goto done;
    u->updated_at = gh_now();
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) goto done;
    if (p->scim && (st = gh_store_user_scim_put(ctx->db, o->id, u->id, p->scim, &ctx->err)) != GH_OK) goto done;
    if (sessions_end && (st = gh_store_session_delete_user(ctx->db, o->id, u->id, NULL, NULL, &ctx->err)) != GH_OK)
        goto done;
    if (p->office_access_set && p->office_access && (st = gh_seats_require(ctx, o, GH_SEAT_OFFICE)) != GH_OK) goto done;
    if (kiosk_end && (st = gh_store_session_delete_kiosk(ctx->db, o->id, u->id, NULL, NULL, NULL, &ctx->err)) != GH_OK)
        goto done;
    if (p->factory_access_set && p->factory_access && (st = gh_seats_require(ctx, o, GH_SEAT_FACTORY)) != GH_OK)
        goto done;
    int64_t ended = 0;
    if (lock_change && p->locked &&
        (st = gh_store_session_delete_user(ctx->db, o->id, u->id, NULL, &ended, &ctx->err)) != GH_OK)
        goto done;
    if (lock_change && !p->locked && (st = unlock_seats(ctx, u)) != GH_OK) goto done;
    if (json_object_size(changes) > 0) {
        tx->detail = NULL; /* stolen by gh_audit */
        if ((st = gh_audit(ctx, NULL, "user.updated", "user", u->id, changes)) != GH_OK) goto done;
    }
    if (lock_change && (st = gh_audit(ctx, NULL, p->locked ? "user.locked" : "user.unlocked", "user", u->id,
                                      p->locked ? json_pack("{s:I}", "sessions_ended", (json_int_t)ended) : NULL)) != GH_OK)
        goto done;
    if (email_changed && (st = mail_verify(ctx, o, u)) != GH_OK) goto done;
    if (email_changed && (st = mail_notice(ctx, o, u, "email_changed", before->email, u->email)) != GH_OK) goto done;
    op->forget = lock_change && !p->locked;
    st = GH_OK;
done:
    free(before);
    return st;
}

gh_status gh_user_update(gh_ctx *ctx, const char *id, const gh_user_patch *p, gh_user *out)
{
    update_arg a = {
        .p = p,
        .self = ctx->actor.type == GH_ACTOR_USER && strcmp(ctx->actor.id, id) == 0,
        .provisioning = ctx->actor.type == GH_ACTOR_API_KEY && (ctx->actor.key_services & GH_SCOPE_SCIM),
    };
    /* Office users' name and mobile are theirs alone (their profile); a
     * factory worker has no profile, so users.manage corrects their name;
     * a SCIM provisioning client may set both
     * (checked on the row in the change, once it is known which one it is). */
    if (p->mobile && !a.self && !a.provisioning)
        return gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "profile_owner_only", "mobile",
                             "Only the user can change their own name and mobile number.");
    gh_err all = {0};
    if (p->email && check_email(ctx, p->email, "email") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (p->name && check_name(ctx, p->name, "name") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (p->mobile && check_mobile(ctx, p->mobile) != GH_OK) gh_err_merge(&all, &ctx->err);
    if (p->badge_set && p->badge && *p->badge && !gh_badge_valid(p->badge)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_badge", "badge",
                      "a badge is 1 to %d letters, digits, '-', '_' or '.'", GH_BADGE_MAX);
        gh_err_merge(&all, &ctx->err);
    }
    if (all.status != GH_OK) {
        gh_err_clear(&ctx->err);
        ctx->err = all;
        return all.status;
    }
    return with_user(ctx, id, true, user_update_change, &a, out);
}

/* Unlocking gives the user's seats back to them: there must be room. */
static gh_status unlock_seats(gh_ctx *ctx, const gh_user *u)
{
    gh_org o;
    gh_status st = gh_store_org_get(ctx->db, u->org_id, &o, &ctx->err);
    if (st == GH_OK && u->office_access) st = gh_seats_require(ctx, &o, GH_SEAT_OFFICE);
    if (st == GH_OK && u->factory_access) st = gh_seats_require(ctx, &o, GH_SEAT_FACTORY);
    return st;
}

/* An administrator's unlock or reset lets the person straight back in:
 * their password and PIN throttles start over. */
static void forget_guesses(const gh_user *u)
{
    if (u->email[0]) gh_pwguard_forget(u->org_id, u->email);
    if (u->badge[0]) gh_kiosk_throttle_forget(u->org_id, u->badge);
}

static gh_status user_lock_change(gh_ctx *ctx, gh_tx *tx, user_op *op)
{
    bool lock = *(const bool *)op->arg;
    gh_user *u = &op->u;
    gh_status st;
    op->forget = !lock; /* also lets a throttled, unlocked person back in */
    const char *want = lock ? "locked" : "active";
    if (strcmp(u->status, want) == 0) {
        tx->unchanged = true;
        return GH_OK;
    }
    gh_strlcpy(u->status, want, sizeof u->status);
    u->updated_at = gh_now();
    int64_t ended = 0;
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
    if (!lock && (st = unlock_seats(ctx, u)) != GH_OK) return st;
    if (lock && (st = gh_store_session_delete_user(ctx->db, u->org_id, u->id, NULL, &ended, &ctx->err)) != GH_OK)
        return st;
    tx->action = lock ? "user.locked" : "user.unlocked";
    tx->target_type = "user";
    tx->target_id = u->id;
    tx->detail = lock ? json_pack("{s:I}", "sessions_ended", (json_int_t)ended) : NULL;
    return GH_OK;
}

gh_status gh_user_lock(gh_ctx *ctx, const char *id, bool lock, gh_user *out)
{
    return with_user(ctx, id, true, user_lock_change, &lock, out);
}

static gh_status user_delete_change(gh_ctx *ctx, gh_tx *tx, user_op *op)
{
    const gh_org *o = &op->o;
    const gh_user *u = &op->u;
    gh_status st;
    /* The plant's records stay (000: time records and activity are payroll
     * and traceability data): open check-ins end now, and the person leaves
     * a tombstone the records stay attributed to. */
    int64_t closed = 0;
    if ((st = gh_store_checkin_close_all_open(ctx->db, u->org_id, u->id, gh_now(),
                                              ctx->actor.type == GH_ACTOR_USER ? ctx->actor.id : NULL, &closed,
                                              &ctx->err)) != GH_OK)
        return st;
    gh_tombstone t = {.name_erased = o->erase_deleted_names, .deleted_at = gh_now()};
    gh_strlcpy(t.id, u->id, sizeof t.id);
    gh_strlcpy(t.org_id, u->org_id, sizeof t.org_id);
    gh_strlcpy(t.name, o->erase_deleted_names ? "deleted user" : u->name, sizeof t.name);
    if (ctx->actor.type == GH_ACTOR_USER) gh_strlcpy(t.deleted_by, ctx->actor.id, sizeof t.deleted_by);
    /* A deleted person no longer vouches for the invitations they sent
     * (like a demoted or locked one, see invites.c): deleting would set
     * invited_by to NULL, which reads as "from the operator", unlimited. */
    int64_t invites_cancelled = 0;
    if ((st = gh_store_invite_cancel_by_inviter(ctx->db, u->org_id, u->id, gh_now(), &invites_cancelled, &ctx->err)) !=
        GH_OK)
        return st;
    if ((st = gh_store_user_delete(ctx->db, u->org_id, u->id, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_tombstone_insert(ctx->db, &t, &ctx->err)) != GH_OK) return st;
    tx->action = "user.deleted";
    tx->target_type = "user";
    tx->target_id = u->id;
    tx->detail = json_pack("{s:s?, s:s, s:s, s:I, s:b, s:I}", "email", u->email[0] ? u->email : NULL, "name", u->name,
                           "role", u->role_key, "checkins_closed", (json_int_t)closed, "name_erased",
                           o->erase_deleted_names, "invites_cancelled", (json_int_t)invites_cancelled);
    return GH_OK;
}

gh_status gh_user_delete(gh_ctx *ctx, const char *id)
{
    if (ctx->actor.type == GH_ACTOR_USER && strcmp(ctx->actor.id, id) == 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "self_delete", "you cannot delete your own account");
    return with_user(ctx, id, true, user_delete_change, NULL, NULL);
}

static gh_status user_revoke_sessions_change(gh_ctx *ctx, gh_tx *tx, user_op *op)
{
    int64_t *revoked = op->arg;
    gh_status st = gh_store_session_delete_user(ctx->db, op->u.org_id, op->u.id, NULL, revoked, &ctx->err);
    if (st != GH_OK) return st;
    tx->action = "user.sessions_revoked";
    tx->target_type = "user";
    tx->target_id = op->u.id;
    tx->detail = json_pack("{s:I}", "sessions_ended", (json_int_t)*revoked);
    return GH_OK;
}

gh_status gh_user_revoke_sessions(gh_ctx *ctx, const char *id, int64_t *revoked)
{
    return with_user(ctx, id, false, user_revoke_sessions_change, revoked, NULL);
}

typedef struct { json_t *items; const char *current; } sess_acc;
static void sess_visit(const gh_session *s, void *arg);

gh_status gh_user_sessions(gh_ctx *ctx, const char *id, json_t **items)
{
    gh_user *u = calloc(1, sizeof *u);
    sess_acc a = {json_array(), ctx->actor.session_id};
    gh_status st;
    gh_org o;
    if (!u || !a.items) { st = gh_ctx_oom(ctx); goto out; }
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, id, u, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_guard_target(ctx, &o, u)) != GH_OK) goto out;
    if ((st = gh_store_session_list(ctx->db, ctx->actor.org_id, u->id, sess_visit, &a, &ctx->err)) != GH_OK) goto out;
    *items = a.items;
    a.items = NULL;
out:
    json_decref(a.items);
    free(u);
    return st;
}

static gh_status user_end_session_change(gh_ctx *ctx, gh_tx *tx, user_op *op)
{
    const char *session_id = op->arg;
    int64_t n = 0;
    gh_status st = gh_store_session_delete(ctx->db, op->o.id, op->u.id, session_id, &n, &ctx->err);
    if (st != GH_OK) return st;
    if (n == 0) return gh_fail(&ctx->err, GH_E_NOT_FOUND, "session_not_found", "no such session");
    tx->action = "user.session_revoked";
    tx->target_type = "user";
    tx->target_id = op->u.id;
    tx->detail = json_pack("{s:s}", "session_id", session_id);
    return GH_OK;
}

gh_status gh_user_end_session(gh_ctx *ctx, const char *id, const char *session_id)
{
    return with_user(ctx, id, false, user_end_session_change, (void *)session_id, NULL);
}

/* The person an administrator mails a link to (reset, verification) must
 * sign in with an e-mail (with_user has checked they are of the actor's
 * org and not above the actor). */
static gh_status office_target(gh_ctx *ctx, const gh_user *u)
{
    if (!u->email[0] || !u->office_access)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "no_office_access", "this user does not sign in with an email");
    return GH_OK;
}

static gh_status user_send_reset_change(gh_ctx *ctx, gh_tx *tx, user_op *op)
{
    gh_status st;
    if ((st = office_target(ctx, &op->u)) != GH_OK) return st;
    if ((st = mail_reset(ctx, &op->o, &op->u)) != GH_OK) return st;
    tx->action = "user.password_reset_sent";
    tx->target_type = "user";
    tx->target_id = op->u.id;
    op->forget = true;
    return GH_OK;
}

gh_status gh_user_send_reset(gh_ctx *ctx, const char *id)
{
    return with_user(ctx, id, false, user_send_reset_change, NULL, NULL);
}

static gh_status user_resend_verification_change(gh_ctx *ctx, gh_tx *tx, user_op *op)
{
    gh_status st;
    if ((st = office_target(ctx, &op->u)) != GH_OK) return st;
    if (op->u.email_verified)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "email_already_verified", "this user's email address is confirmed");
    if ((st = mail_verify(ctx, &op->o, &op->u)) != GH_OK) return st;
    tx->action = "user.verification_resent";
    tx->target_type = "user";
    tx->target_id = op->u.id;
    return GH_OK;
}

gh_status gh_user_resend_verification(gh_ctx *ctx, const char *id)
{
    return with_user(ctx, id, false, user_resend_verification_change, NULL, NULL);
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

/* ---- self-service ---------------------------------------------------------------------- */
gh_status gh_me_update(gh_ctx *ctx, const char *name, const char *mobile, gh_user *out)
{
    gh_user_patch p = {.name = name, .mobile = mobile};
    return gh_user_update(ctx, ctx->actor.id, &p, out);
}

gh_status gh_password_check_user(gh_ctx *ctx, const char *pw, const char *field, const gh_user *u)
{
    gh_org o;
    gh_err ignored = {0};
    bool org_ok = gh_store_org_get(ctx->db, u->org_id, &o, &ignored) == GH_OK;
    gh_err_clear(&ignored);
    gh_pw_context pc = {.email = u->email, .name = u->name, .org_name = org_ok ? o.name : NULL};
    return gh_password_check_for(pw, field, &pc, &ctx->err);
}

gh_status gh_me_set_password(gh_ctx *ctx, gh_reauth *ra, bool current_ok, const char *new_hash)
{
    gh_org o;
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    if (!u) { gh_reauth_abandon(ra, true, current_ok); return gh_ctx_oom(ctx); }
    if ((st = gh_reauth_finish(ctx, ra, current_ok)) != GH_OK) goto out;
    if ((st = begin(ctx)) != GH_OK) goto out;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, u, &ctx->err)) != GH_OK) goto fail;
    /* The password proven is the one stored now (not changed meanwhile). */
    if (!gh_secret_eq(u->password_hash, ra->hash)) {
        st = gh_fail_field(&ctx->err, GH_E_CONFLICT, "password_changed", ra->field,
                           "the password was changed meanwhile; sign in again");
        goto fail;
    }
    gh_strlcpy(u->password_hash, new_hash, sizeof u->password_hash);
    u->updated_at = gh_now();
    int64_t ended = 0;
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_store_session_delete_user(ctx->db, u->org_id, u->id, ctx->actor.session_id, &ended, &ctx->err)) != GH_OK)
        goto fail;
    if ((st = gh_audit(ctx, NULL, "user.password_changed", "user", u->id,
                       json_pack("{s:I, s:b}", "other_sessions_ended", (json_int_t)ended, "reauthenticated", 1))) != GH_OK)
        goto fail;
    if ((st = gh_store_org_get(ctx->db, u->org_id, &o, &ctx->err)) != GH_OK) goto fail;
    if ((st = mail_notice(ctx, &o, u, "password_changed", u->email, NULL)) != GH_OK) goto fail;
    st = gh_tx_commit_and_refresh(ctx);
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    free(u);
    return st;
}

json_t *gh_session_json(const gh_session *s, const char *current_id)
{
    return json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:I, s:s, s:s, s:b}", "id", s->id, "kind", s->kind,
                     "device", s->device, "created_at", gh_json_time(s->created_at), "last_seen_at",
                     gh_json_time(s->last_seen_at), "expires_at", gh_json_time(s->expires_at), "idle_timeout_s",
                     (json_int_t)s->idle_s, "ip", s->ip, "user_agent", s->user_agent, "current",
                     current_id && strcmp(current_id, s->id) == 0);
}

static void sess_visit(const gh_session *s, void *arg)
{
    sess_acc *a = arg;
    json_array_append_new(a->items, gh_session_json(s, a->current));
}

gh_status gh_me_sessions(gh_ctx *ctx, json_t **items)
{
    sess_acc a = {json_array(), ctx->actor.session_id};
    if (!a.items) return gh_ctx_oom(ctx);
    gh_status st = gh_store_session_list(ctx->db, ctx->actor.org_id, ctx->actor.id, sess_visit, &a, &ctx->err);
    if (st != GH_OK) { json_decref(a.items); return st; }
    *items = a.items;
    return GH_OK;
}

gh_status gh_me_end_session(gh_ctx *ctx, const char *session_id)
{
    int64_t n = 0;
    gh_status st = begin(ctx);
    if (st != GH_OK) return st;
    if ((st = gh_store_session_delete(ctx->db, ctx->actor.org_id, ctx->actor.id, session_id, &n, &ctx->err)) != GH_OK)
        return gh_ctx_rollback(ctx, st);
    if (n == 0) {
        gh_db_rollback(ctx->db);
        return gh_fail(&ctx->err, GH_E_NOT_FOUND, "session_not_found", "no such session");
    }
    if ((st = gh_audit(ctx, NULL, "session.ended", "session", session_id, NULL)) != GH_OK)
        return gh_ctx_rollback(ctx, st);
    return gh_tx_commit_and_refresh(ctx);
}

/* ---- sign-in ------------------------------------------------------------------------------- */
static void login_failure_audit(gh_ctx *ctx, gh_login *l, const char *reason);

gh_status gh_login_prepare(gh_ctx *ctx, const char *org_slug, const char *email, gh_login *l)
{
    memset(l, 0, sizeof *l);
    gh_err ignored = {0};
    gh_ctx probe = *ctx;
    probe.err = ignored;
    gh_status ost = gh_org_resolve(&probe, org_slug, &l->org);
    bool org_ok = ost == GH_OK;
    gh_err_clear(&probe.err);
    /* Without an org in a deployment of several, there is nobody to check
     * the password against: say so (this tells nothing about accounts). */
    if (!org_ok && (!org_slug || !*org_slug) && gh_store_org_count(ctx->db) > 1)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "org_required", "org",
                             "this deployment has several organizations: name one");
    snprintf(l->throttle_ip, sizeof l->throttle_ip, "ip:%s", ctx->ip ? ctx->ip : "");
    int wait_i = 0;
    if (!gh_throttle_allowed(l->throttle_ip, gh_now(), &wait_i)) {
        ctx->err.retry_after = wait_i;
        return gh_fail(&ctx->err, GH_E_THROTTLED, "too_many_attempts",
                       "too many failed sign-in attempts; try again later");
    }
    gh_status st = gh_pwguard_enter(ctx, &l->guard, org_ok ? l->org.id : NULL, email);
    if (st != GH_OK) return st;
    /* The org's networks are the org's business, not an account's: the
     * answer is the same whoever signs in, so it tells nothing about them. */
    if (org_ok && !gh_access_ip_allowed(l->org.id, ctx->ip)) {
        gh_pwguard_leave(&l->guard, GH_PWGUARD_ABANDONED);
        gh_throttle_fail(l->throttle_ip, gh_now(), LOGIN_FREE_PER_IP); /* and so is the audit trail */
        login_failure_audit(ctx, l, "ip_not_allowed");
        return gh_ip_refused(ctx);
    }
    if (org_ok) {
        /* The mark first: whatever commits after it is seen by _finish. */
        if ((st = gh_store_audit_last_seq(ctx->db, &l->audit_mark, &ignored)) == GH_OK) {
            st = gh_store_user_get_by_email(ctx->db, l->org.id, email, &l->user, &ignored);
            if (st == GH_OK) l->user_found = true;
        }
        gh_err_clear(&ignored);
        if (st != GH_OK && st != GH_E_NOT_FOUND) {
            gh_pwguard_leave(&l->guard, GH_PWGUARD_ABANDONED);
            return gh_fail(&ctx->err, st, "internal", "internal error");
        }
    }
    gh_strlcpy(l->hash, l->user_found && l->user.password_hash[0] ? l->user.password_hash : gh_secret_dummy_hash(),
               sizeof l->hash);
    return GH_OK;
}

void gh_login_abandon(gh_login *l, bool verified, bool password_ok)
{
    gh_pwguard_leave(&l->guard, verified && !password_ok ? GH_PWGUARD_FAILED : GH_PWGUARD_ABANDONED);
}

static void login_failure_audit(gh_ctx *ctx, gh_login *l, const char *reason)
{
    if (!l->org.id[0]) return;
    gh_err e = {0};
    gh_ctx c = *ctx;
    c.err = e;
    memset(&c.actor, 0, sizeof c.actor); /* a refused sign-in acts for nobody */
    if (gh_db_begin(c.db, &c.err) != GH_OK) { gh_err_clear(&c.err); return; }
    if (gh_audit(&c, l->org.id, "auth.login_failed", l->user_found ? "user" : NULL,
                 l->user_found ? l->user.id : NULL, json_pack("{s:s}", "reason", reason)) != GH_OK ||
        gh_db_commit(c.db, &c.err) != GH_OK)
        gh_db_rollback(c.db);
    gh_err_clear(&c.err);
}

/* Why a verified password still may not sign in, from the account's row. */
static const char *login_refusal(const gh_user *u, const char **detail)
{
    if (strcmp(u->status, "active") != 0) { *detail = "this account is locked; ask an administrator"; return "account_locked"; }
    if (!u->office_access) { *detail = "this account has no office access"; return "no_office_access"; }
    if (!u->email_verified) { *detail = "confirm your email address first (see the mail we sent)"; return "email_not_verified"; }
    return NULL;
}

gh_status gh_login_finish(gh_ctx *ctx, gh_login *l, bool password_ok)
{
    gh_status st;
    if (!password_ok || !l->user_found || !l->user.password_hash[0]) {
        gh_pwguard_leave(&l->guard, GH_PWGUARD_FAILED);
        gh_throttle_fail(l->throttle_ip, gh_now(), LOGIN_FREE_PER_IP);
        login_failure_audit(ctx, l, "invalid_credentials");
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "invalid_credentials", "the email or password is not correct");
    }
    const char *refusal = NULL, *detail = NULL;
    gh_user *u = calloc(1, sizeof *u);
    if (!u) { gh_pwguard_leave(&l->guard, GH_PWGUARD_ABANDONED); return gh_ctx_oom(ctx); }
    gh_strlcpy(ctx->actor.org_id, l->org.id, sizeof ctx->actor.org_id);
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.id, l->user.id, sizeof ctx->actor.id);
    if ((st = begin(ctx)) != GH_OK) goto out;
    /* Decide on the row as it is now, inside the transaction that opens the
     * session: whatever committed while the hash was verified wins. */
    st = gh_store_user_get(ctx->db, l->org.id, l->user.id, u, &ctx->err);
    bool ended = false;
    if (st == GH_OK)
        st = gh_store_audit_signin_ended_since(ctx->db, l->org.id, l->user.id, l->audit_mark, &ended, &ctx->err);
    if (st == GH_E_NOT_FOUND || (st == GH_OK && (ended || !gh_secret_eq(u->password_hash, l->user.password_hash)))) {
        /* Deleted, password changed or sessions revoked meanwhile. */
        gh_err_clear(&ctx->err);
        gh_db_rollback(ctx->db);
        login_failure_audit(ctx, l, st == GH_E_NOT_FOUND ? "account_deleted" : "changed_during_sign_in");
        st = gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "invalid_credentials", "the email or password is not correct");
        goto out;
    }
    if (st != GH_OK) goto fail;
    if ((refusal = login_refusal(u, &detail)) != NULL) {
        gh_db_rollback(ctx->db);
        login_failure_audit(ctx, l, refusal);
        st = gh_fail(&ctx->err, GH_E_FORBIDDEN, refusal, "%s", detail);
        goto out;
    }
    /* Required company sign-in: only break-glass accounts use a password. */
    if ((st = gh_sso_password_allowed(ctx, l->org.id, u->id)) != GH_OK) {
        if (st != GH_E_FORBIDDEN) goto fail;
        gh_db_rollback(ctx->db);
        login_failure_audit(ctx, l, "sso_required");
        goto out;
    }
    l->user = *u;
    /* The second step, if one is due, on a pending session (core/mfa.h). */
    char pending[8];
    if ((st = gh_mfa_signin_step(ctx, &l->org, &l->user, NULL, pending)) != GH_OK) goto fail;
    if ((st = gh_session_open_pending(ctx, &l->org, &l->user, pending, l->token, l->csrf, &l->session)) != GH_OK) goto fail;
    gh_strlcpy(ctx->actor.session_id, l->session.id, sizeof ctx->actor.session_id);
    l->user.last_login_at = gh_now();
    if ((st = gh_store_user_touch_login(ctx->db, l->user.id, l->user.last_login_at, &ctx->err)) != GH_OK) goto fail;
    json_t *audit_detail = json_pack("{s:s}", "method", "password");
    if (audit_detail && pending[0]) json_object_set_new(audit_detail, "mfa_pending", json_string(pending));
    if ((st = gh_audit(ctx, l->org.id, "auth.login", "session", l->session.id, audit_detail)) != GH_OK)
        goto fail;
    if ((st = gh_db_commit(ctx->db, &ctx->err)) != GH_OK) goto out;
    gh_pwguard_leave(&l->guard, GH_PWGUARD_OK);
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    gh_pwguard_leave(&l->guard, GH_PWGUARD_ABANDONED); /* no-op after OK */
    free(u);
    return st;
}

gh_status gh_logout(gh_ctx *ctx)
{
    gh_status st = begin(ctx);
    int64_t n = 0;
    if (st != GH_OK) return st;
    if ((st = gh_store_session_delete(ctx->db, ctx->actor.org_id, ctx->actor.id, ctx->actor.session_id, &n, &ctx->err)) != GH_OK)
        return gh_ctx_rollback(ctx, st);
    if ((st = gh_audit(ctx, NULL, "auth.logout", "session", ctx->actor.session_id, NULL)) != GH_OK)
        return gh_ctx_rollback(ctx, st);
    return gh_db_commit(ctx->db, &ctx->err);
}

/* ---- links ------------------------------------------------------------------------------------ */
gh_status gh_link_peek(gh_ctx *ctx, const char *token, const char *purpose, gh_link_use *lu)
{
    char h[GH_HASH_HEX_LEN + 1];
    memset(lu, 0, sizeof *lu);
    if (!token || strlen(token) != GH_TOKEN_LEN) goto invalid;
    gh_token_hash(token, h);
    gh_status st = gh_store_token_get_by_hash(ctx->db, h, &lu->token, &ctx->err);
    if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); goto invalid; }
    if (st != GH_OK) return st;
    if (strcmp(lu->token.purpose, purpose) != 0) goto invalid;
    if (lu->token.used_at)
        return gh_fail_field(&ctx->err, GH_E_GONE, "token_used", "token", "this link was already used or replaced by a newer one");
    if (gh_now() >= lu->token.expires_at)
        return gh_fail_field(&ctx->err, GH_E_GONE, "token_expired", "token", "this link has expired; ask for a new one");
    if (lu->token.user_id[0]) {
        st = gh_store_user_get(ctx->db, lu->token.org_id, lu->token.user_id, &lu->user, &ctx->err);
        if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); goto invalid; }
        if (st != GH_OK) return st;
        /* A link is for the address it was sent to: after an email change,
         * links mailed to the old address prove nothing about the new one
         * (a reset link would otherwise mark the new address verified and
         * hand the account to whoever reads the old mailbox). */
        if (lu->token.email[0] && strcasecmp(lu->user.email, lu->token.email) != 0) goto invalid;
        lu->has_password = lu->user.password_hash[0] != '\0';
    }
    return GH_OK;
invalid:
    return gh_fail_field(&ctx->err, GH_E_NOT_FOUND, "token_invalid", "token", "this link is not valid");
}

gh_status gh_verify_email(gh_ctx *ctx, const char *token, const char *password_hash)
{
    gh_org o;
    gh_link_use *lu = calloc(1, sizeof *lu);
    gh_status st;
    if (!lu) return gh_ctx_oom(ctx);
    if ((st = begin(ctx)) != GH_OK) goto out;
    if ((st = gh_link_peek(ctx, token, "verify", lu)) != GH_OK) goto fail;
    if (!lu->has_password && !password_hash) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "password_required", "password", "choose a password");
        goto fail;
    }
    gh_user *u = &lu->user;
    u->email_verified = true;
    if (password_hash) gh_strlcpy(u->password_hash, password_hash, sizeof u->password_hash);
    u->updated_at = gh_now();
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.org_id, u->org_id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, u->id, sizeof ctx->actor.id);
    if ((st = gh_store_token_mark_used(ctx->db, lu->token.id, gh_now(), &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_audit(ctx, u->org_id, "user.email_verified", "user", u->id,
                       json_pack("{s:s, s:b}", "email", u->email, "password_set", password_hash != NULL))) != GH_OK)
        goto fail;
    /* A password replacing an existing one is announced, as on /v1/me/password. */
    if (password_hash && lu->has_password) {
        if ((st = gh_store_org_get(ctx->db, u->org_id, &o, &ctx->err)) != GH_OK) goto fail;
        if ((st = mail_notice(ctx, &o, u, "password_changed", u->email, NULL)) != GH_OK) goto fail;
    }
    st = gh_tx_commit_and_refresh(ctx);
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    free(lu);
    return st;
}

gh_status gh_password_reset_request(gh_ctx *ctx, const char *org_slug, const char *email)
{
    gh_org o;
    gh_user *u = calloc(1, sizeof *u);
    gh_status st = GH_OK;
    if (!u) return gh_ctx_oom(ctx);
    gh_err ignored = {0};
    gh_ctx probe = *ctx;
    probe.err = ignored;
    /* Whatever happens, the caller answers 202: nothing here may leak. */
    if (gh_org_resolve(&probe, org_slug, &o) != GH_OK) goto out;
    if (gh_store_user_get_by_email(ctx->db, o.id, email, u, &probe.err) != GH_OK) goto out;
    if (!u->office_access || strcmp(u->status, "active") != 0) goto out;
    char key[200];
    int wait;
    snprintf(key, sizeof key, "reset:%s", u->id);
    if (!gh_throttle_allowed(key, gh_now(), &wait)) goto out; /* no mail-bombing */
    gh_throttle_fail(key, gh_now(), 0);
    if ((st = begin(ctx)) != GH_OK) goto out;
    gh_strlcpy(ctx->actor.org_id, o.id, sizeof ctx->actor.org_id);
    if ((st = mail_reset(ctx, &o, u)) != GH_OK) goto fail;
    if ((st = gh_audit(ctx, o.id, "auth.password_reset_requested", "user", u->id, NULL)) != GH_OK) goto fail;
    st = gh_db_commit(ctx->db, &ctx->err);
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    gh_err_clear(&probe.err);
    free(u);
    return st;
}

gh_status gh_password_reset_confirm(gh_ctx *ctx, const char *token, const char *password_hash)
{
    gh_org o;
    gh_link_use *lu = calloc(1, sizeof *lu);
    gh_status st;
    if (!lu) return gh_ctx_oom(ctx);
    if ((st = begin(ctx)) != GH_OK) goto out;
    if ((st = gh_link_peek(ctx, token, "reset", lu)) != GH_OK) goto fail;
    gh_user *u = &lu->user;
    gh_strlcpy(u->password_hash, password_hash, sizeof u->password_hash);
    u->email_verified = true; /* the link proved control of the address */
    u->updated_at = gh_now();
    int64_t ended = 0;
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.org_id, u->org_id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, u->id, sizeof ctx->actor.id);
    if ((st = gh_store_token_mark_used(ctx->db, lu->token.id, gh_now(), &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_store_session_delete_user(ctx->db, u->org_id, u->id, NULL, &ended, &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_audit(ctx, u->org_id, "user.password_reset", "user", u->id,
                       json_pack("{s:I}", "sessions_ended", (json_int_t)ended))) != GH_OK)
        goto fail;
    if ((st = gh_store_org_get(ctx->db, u->org_id, &o, &ctx->err)) != GH_OK) goto fail;
    if ((st = mail_notice(ctx, &o, u, "password_changed", u->email, NULL)) != GH_OK) goto fail;
    if ((st = gh_tx_commit_and_refresh(ctx)) == GH_OK) gh_pwguard_forget(u->org_id, u->email);
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    free(lu);
    return st;
}
