/*
 * Invitations: see invites.h for the rules. Every change runs in one
 * transaction with its audit events and mails through gh_tx_run(), which
 * refreshes the authorization snapshot on commit, so it knows an accepted
 * user before the answer leaves.
 *
 * Over 600 lines: sending, renewing, bulk sending, cancelling and accepting
 * (by link and through SSO) share the invitation's checks (seats, the
 * no-escalation rule, expiry) and the one step that creates the person.
 */
#include "core/invites.h"
#include "core/secret.h"
#include "util/json.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/mfa.h"
#include "core/audit.h"
#include "core/seats.h"
#include "core/session.h"
#include "core/guard.h"
#include "core/delivery.h"
#include "core/sso.h"

#define DEFAULT_TTL_S (7 * 86400)
#define PAGE_DEFAULT 50
#define PAGE_MAX 200

static bool is_expired(const gh_invite *v, int64_t now)
{
    return strcmp(v->status, "pending") == 0 && now >= v->expires_at;
}

json_t *gh_invite_json(const gh_invite *v)
{
    json_t *by = v->invited_by[0] ? json_pack("{s:s, s:o}", "id", v->invited_by, "name",
                                              v->invited_by_name[0] ? json_string(v->invited_by_name) : json_null())
                                  : json_null();
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "id", v->id, "email", v->email,
                     "role", v->role_key, "invited_by", by, "status", v->status, "created_at",
                     gh_json_time(v->created_at), "sent_at", gh_json_time(v->sent_at), "expires_at",
                     gh_json_time(v->expires_at), "expired", is_expired(v, gh_now()), "accepted_at",
                     gh_json_time(v->accepted_at), "user_id", v->user_id[0] ? json_string(v->user_id) : json_null());
}

static int64_t ttl_of(const gh_org *o) { return o->invite_ttl_s > 0 ? o->invite_ttl_s : DEFAULT_TTL_S; }

void gh_invite_inviter_name(gh_ctx *ctx, const gh_org *o, char out[GH_NAME_MAX + 1])
{
    gh_strlcpy(out, o->name, GH_NAME_MAX + 1);
    if (ctx->actor.type != GH_ACTOR_USER) return;
    gh_user *u = malloc(sizeof *u);
    gh_err ignored = {0};
    if (u && gh_store_user_get(ctx->db, o->id, ctx->actor.id, u, &ignored) == GH_OK)
        gh_strlcpy(out, u->name, GH_NAME_MAX + 1);
    gh_err_clear(&ignored);
    free(u);
}

/* Without mail configured the inviter is given the link to pass on
 * (shown != NULL, GH_INVITE_LINK_MAX bytes); shown[0] is '\0' otherwise. */
static gh_status mail_invite(gh_ctx *ctx, const gh_org *o, const gh_role *r, const gh_invite *v,
                             const char *token, const char *inviter, char *shown)
{
    char link[GH_INVITE_LINK_MAX], exp[32];
    gh_link(link, sizeof link, "/console/accept-invite", token);
    if (shown) {
        shown[0] = '\0';
        if (!gh_delivery_configured()) gh_strlcpy(shown, link, GH_INVITE_LINK_MAX);
    }
    gh_time_fmt(v->expires_at, exp);
    gh_mail_var vars[] = {{"org", o->name}, {"inviter", inviter}, {"role", r->name}, {"expires", exp},
                          {"link", link}, {NULL, NULL}};
    gh_status st = gh_mail(ctx, o->id, "invite", v->email, vars, link, v->expires_at);
    sodium_memzero(link, sizeof link);
    return st;
}

gh_status gh_invite_issue(gh_ctx *ctx, const gh_org *o, const gh_role *r, const char *email,
                          const gh_invite *expired, const char *inviter_name, const char *source,
                          gh_invite *out, char *shown_link)
{
    gh_invite v = {0};
    char token[GH_TOKEN_LEN + 1];
    int64_t now = gh_now();
    gh_status st;
    if (expired) {
        v = *expired;
    } else {
        gh_id_new("inv", v.id);
        gh_strlcpy(v.org_id, o->id, sizeof v.org_id);
        gh_strlcpy(v.email, email, sizeof v.email);
        v.created_at = now;
    }
    gh_strlcpy(v.role_key, r->key, sizeof v.role_key);
    gh_strlcpy(v.invited_by, ctx->actor.type == GH_ACTOR_USER ? ctx->actor.id : "", sizeof v.invited_by);
    gh_strlcpy(v.status, "pending", sizeof v.status);
    v.sent_at = now;
    v.expires_at = now + ttl_of(o);
    gh_token_new(token);
    gh_token_hash(token, v.token_hash);
    st = expired ? gh_store_invite_update(ctx->db, &v, &ctx->err) : gh_store_invite_insert(ctx->db, &v, &ctx->err);
    if (st == GH_OK) st = mail_invite(ctx, o, r, &v, token, inviter_name, shown_link);
    if (st == GH_OK)
        st = gh_audit(ctx, o->id, "invite.sent", "invite", v.id,
                      json_pack("{s:s, s:s, s:b, s:s, s:b}", "email", v.email, "role", v.role_key, "renewed",
                                expired != NULL, "source", source, "link_shown", shown_link && shown_link[0]));
    sodium_memzero(token, sizeof token);
    if (st == GH_OK && out) *out = v;
    return st;
}

/* Trims ASCII blanks around s into out; false when it does not fit. */
static bool trim_into(const char *s, char *out, size_t cap)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
    if (n >= cap) return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

static json_t *skipped(const char *email, const char *code, const char *detail)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "email", email, "status", "skipped", "code", code, "detail", detail);
}

/* The person an invitation with role_key would create: the role, every
 * module of the org, no grants. */
static void invitee_of(const char *org_id, const char *role_key, gh_user *u)
{
    memset(u, 0, sizeof *u);
    gh_strlcpy(u->org_id, org_id, sizeof u->org_id);
    gh_strlcpy(u->role_key, role_key, sizeof u->role_key);
    gh_strlcpy(u->status, "active", sizeof u->status);
    u->modules_all = true;
}

/* Inside the transaction: the actor may invite with this role only if it
 * holds every permission the role would give the invitee. */
static gh_status may_invite_as(gh_ctx *ctx, const gh_org *o, const char *role_key)
{
    gh_user *u = malloc(sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    invitee_of(o->id, role_key, u);
    gh_status st = gh_guard_confer(ctx, o, NULL, u);
    free(u);
    return st;
}

static gh_status role_for_invite(gh_ctx *ctx, const char *key, gh_role *r)
{
    gh_status st = gh_store_role_get(ctx->db, ctx->actor.org_id, key, r, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        return gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_role", "role", "no role '%s' in this organization", key);
    }
    return st;
}

/* Invitations being sent: the addresses and role asked for, and what the
 * change fills (the caller's buffers, released and wiped by it). */
typedef struct {
    const json_t *emails;
    size_t n;
    const char *role;
    gh_org o;
    gh_role r;
    char inviter[GH_NAME_MAX + 1], link[GH_INVITE_LINK_MAX];
    char (*seen)[GH_EMAIL_MAX + 1]; /* normalized addresses so far, for duplicates within the request */
    size_t nseen;
    gh_user *u;
    gh_invite *pending;
    json_t *out; /* one result per address */
    int64_t added, now;
} invite_create_op;

/* Issues an invitation per new address; nothing is written when every
 * address was skipped (unchanged). */
static gh_status invite_create_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    invite_create_op *op = arg;
    gh_org *o = &op->o;
    gh_role *r = &op->r;
    int64_t now = op->now;
    gh_status st;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, o, &ctx->err)) != GH_OK) return st;
    if ((st = role_for_invite(ctx, op->role, r)) != GH_OK) return st;
    if ((st = may_invite_as(ctx, o, r->key)) != GH_OK) return st;
    gh_invite_inviter_name(ctx, o, op->inviter);
    for (size_t i = 0; i < op->n; i++) {
        const char *raw = json_string_value(json_array_get(op->emails, i));
        char email[GH_EMAIL_MAX + 1], norm[GH_EMAIL_MAX + 1];
        if (!trim_into(raw, email, sizeof email) || !gh_email_valid(email)) {
            json_array_append_new(op->out, skipped(raw, "malformed", "not a valid email address"));
            continue;
        }
        gh_ascii_lower(norm, email, sizeof norm);
        bool dup = false;
        for (size_t k = 0; k < op->nseen && !dup; k++) dup = strcmp(op->seen[k], norm) == 0;
        if (dup) {
            json_array_append_new(op->out, skipped(email, "duplicate", "this address is listed more than once"));
            continue;
        }
        memcpy(op->seen[op->nseen++], norm, sizeof op->seen[0]);
        st = gh_store_user_get_by_email(ctx->db, o->id, email, op->u, &ctx->err);
        if (st == GH_OK) {
            json_t *s = skipped(email, "already_member", "a user with this address exists");
            json_object_set_new(s, "user_id", json_string(op->u->id));
            json_array_append_new(op->out, s);
            continue;
        }
        if (st != GH_E_NOT_FOUND) return st;
        gh_err_clear(&ctx->err);
        st = gh_store_invite_get_pending(ctx->db, o->id, email, op->pending, &ctx->err);
        if (st != GH_OK && st != GH_E_NOT_FOUND) return st;
        gh_err_clear(&ctx->err);
        bool renew = st == GH_OK;
        if (renew && !is_expired(op->pending, now)) {
            json_t *s = skipped(email, "already_invited", "this address has a pending invitation; resend it instead");
            json_object_set_new(s, "invite_id", json_string(op->pending->id));
            json_array_append_new(op->out, s);
            continue;
        }
        gh_invite v;
        st = gh_invite_issue(ctx, o, r, email, renew ? op->pending : NULL, op->inviter, "invite", &v, op->link);
        if (st != GH_OK) return st;
        op->added++;
        json_t *ok = json_pack("{s:s, s:s, s:s, s:o}", "email", v.email, "status", "invited", "invite_id", v.id,
                               "expires_at", gh_json_time(v.expires_at));
        if (!ok) return gh_ctx_oom(ctx);
        if (renew) json_object_set_new(ok, "renewed", json_true());
        if (op->link[0]) json_object_set_new(ok, "link", json_string(op->link));
        json_array_append_new(op->out, ok);
    }
    if ((st = gh_seats_require_n(ctx, o, GH_SEAT_OFFICE, op->added)) != GH_OK) return st;
    tx->unchanged = op->added == 0;
    return GH_OK;
}

gh_status gh_invite_create(gh_ctx *ctx, const json_t *emails, const char *role, json_t **results)
{
    size_t n = json_array_size(emails);
    if (!json_is_array(emails) || n == 0)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "emails", "name at least one email address");
    if (n > GH_INVITE_EMAILS_MAX)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "too_many_emails", "emails",
                             "at most %d addresses per invitation; use the bulk import for more", GH_INVITE_EMAILS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!json_is_string(json_array_get(emails, i))) {
            char field[32];
            snprintf(field, sizeof field, "emails[%zu]", i);
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_type", field, "%s must be a string", field);
        }
    }
    if (!role || !*role) return gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "role", "'role' is required");

    invite_create_op *op = calloc(1, sizeof *op);
    gh_status st;
    if (!op) return gh_ctx_oom(ctx);
    op->emails = emails;
    op->n = n;
    op->role = role;
    op->now = gh_now();
    op->seen = calloc(n, sizeof *op->seen);
    op->u = malloc(sizeof *op->u);
    op->pending = malloc(sizeof *op->pending);
    op->out = json_array();
    if (!op->seen || !op->u || !op->pending || !op->out) st = gh_ctx_oom(ctx);
    else st = gh_tx_run(ctx, invite_create_change, op);
    if (st == GH_OK) {
        *results = op->out;
        op->out = NULL;
    }
    json_decref(op->out);
    sodium_memzero(op->link, sizeof op->link);
    free(op->seen);
    free(op->u);
    free(op->pending);
    free(op);
    return st;
}

/* Cursor: "<created_at>.<id>". */
static bool cursor_parse(const char *c, int64_t *created, char id[GH_ID_MAX])
{
    const char *dot = strchr(c, '.');
    char num[24];
    if (!dot || (size_t)(dot - c) >= sizeof num) return false;
    memcpy(num, c, (size_t)(dot - c));
    num[dot - c] = '\0';
    if (!gh_parse_i64(num, 0, INT64_MAX, created)) return false;
    const char *p = dot + 1;
    size_t n = gh_strnlen_max(p, GH_ID_MAX - 1);
    if (n == 0 || n > GH_ID_MAX - 1) return false;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_')) return false;
    memcpy(id, p, n + 1);
    return true;
}

typedef struct { json_t *items; gh_invite last; int n; } list_acc;

static void list_visit(const gh_invite *v, void *arg)
{
    list_acc *a = arg;
    json_array_append_new(a->items, gh_invite_json(v));
    a->last = *v;
    a->n++;
}

gh_status gh_invite_list(gh_ctx *ctx, int limit, const char *cursor, const char *q, json_t **items, char **next_cursor)
{
    char after_id[GH_ID_MAX];
    gh_invite_filter f = {.limit = limit <= 0 ? PAGE_DEFAULT : limit > PAGE_MAX ? PAGE_MAX : limit, .q = q};
    if (cursor) {
        if (!cursor_parse(cursor, &f.after_created, after_id))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
        f.after_id = after_id;
    }
    list_acc *a = calloc(1, sizeof *a);
    if (!a) return gh_ctx_oom(ctx);
    a->items = json_array();
    gh_status st = a->items ? gh_store_invite_list_pending(ctx->db, ctx->actor.org_id, &f, list_visit, a, &ctx->err)
                            : gh_ctx_oom(ctx);
    if (st == GH_OK) {
        *next_cursor = NULL;
        if (a->n == f.limit) {
            char *c = malloc(24 + GH_ID_MAX);
            if (c) snprintf(c, 24 + GH_ID_MAX, "%lld.%s", (long long)a->last.created_at, a->last.id);
            *next_cursor = c;
        }
        *items = a->items;
    } else {
        json_decref(a->items);
    }
    free(a);
    return st;
}

gh_status gh_invite_get(gh_ctx *ctx, const char *id, gh_invite *out)
{
    return gh_store_invite_get(ctx->db, ctx->actor.org_id, id, out, &ctx->err);
}

/* Only pending invitations can be resent or cancelled. */
static gh_status require_pending(gh_ctx *ctx, const gh_invite *v)
{
    if (strcmp(v->status, "accepted") == 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "invite_accepted", "this invitation was already accepted");
    if (strcmp(v->status, "cancelled") == 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "invite_cancelled", "this invitation was cancelled");
    return GH_OK;
}

/* One invitation being resent or cancelled: its id, the link shown to the
 * actor (resend; NULL: none), and what the change read and wrote. */
typedef struct {
    const char *id;
    char *shown_link;
    gh_invite v;
    char token[GH_TOKEN_LEN + 1]; /* the new link's token: wiped by the caller */
} invite_op;

static gh_status invite_resend_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    invite_op *op = arg;
    gh_invite *v = &op->v;
    char *shown_link = op->shown_link;
    gh_org o;
    gh_role r;
    char inviter[GH_NAME_MAX + 1];
    gh_status st;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_invite_get(ctx->db, o.id, op->id, v, &ctx->err)) != GH_OK) return st;
    if ((st = require_pending(ctx, v)) != GH_OK) return st;
    st = gh_store_role_get(ctx->db, o.id, v->role_key, &r, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        st = gh_fail(&ctx->err, GH_E_CONFLICT, "invite_role_missing",
                     "the role '%s' of this invitation no longer exists; cancel it and invite again", v->role_key);
    }
    if (st != GH_OK) return st;
    /* Resending vouches for the invitation anew: the resender must be
     * allowed to give its role, and acceptance is checked against them. */
    if ((st = may_invite_as(ctx, &o, v->role_key)) != GH_OK) return st;
    if (ctx->actor.type == GH_ACTOR_USER) gh_strlcpy(v->invited_by, ctx->actor.id, sizeof v->invited_by);
    bool was_expired = is_expired(v, gh_now());
    v->sent_at = gh_now();
    v->expires_at = v->sent_at + ttl_of(&o);
    gh_token_new(op->token);
    gh_token_hash(op->token, v->token_hash); /* the old link stops working */
    gh_invite_inviter_name(ctx, &o, inviter);
    if ((st = gh_store_invite_update(ctx->db, v, &ctx->err)) != GH_OK) return st;
    /* An expired invitation held no seat; resent, it holds one again. */
    if (was_expired && (st = gh_seats_require(ctx, &o, GH_SEAT_OFFICE)) != GH_OK) return st;
    if ((st = mail_invite(ctx, &o, &r, v, op->token, inviter, shown_link)) != GH_OK) return st;
    gh_tx_event(tx, "invite.resent", "invite", v->id,
                json_pack("{s:s, s:s, s:b, s:b}", "email", v->email, "role", v->role_key, "was_expired", was_expired,
                          "link_shown", shown_link && shown_link[0]));
    return GH_OK;
}

gh_status gh_invite_resend(gh_ctx *ctx, const char *id, gh_invite *out, char *shown_link)
{
    invite_op *op = calloc(1, sizeof *op);
    if (!op) return gh_ctx_oom(ctx);
    op->id = id;
    op->shown_link = shown_link;
    gh_status st = gh_tx_run(ctx, invite_resend_change, op);
    if (st == GH_OK && out) *out = op->v;
    /* A failed commit also wipes the link that was not sent. */
    if (st != GH_OK && shown_link) sodium_memzero(shown_link, GH_INVITE_LINK_MAX);
    sodium_memzero(op->token, sizeof op->token);
    free(op);
    return st;
}

static gh_status invite_cancel_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    invite_op *op = arg;
    gh_invite *v = &op->v;
    gh_status st;
    if ((st = gh_store_invite_get(ctx->db, ctx->actor.org_id, op->id, v, &ctx->err)) != GH_OK) return st;
    if ((st = require_pending(ctx, v)) != GH_OK) return st;
    bool was_expired = is_expired(v, gh_now());
    gh_strlcpy(v->status, "cancelled", sizeof v->status);
    v->cancelled_at = gh_now();
    if ((st = gh_store_invite_update(ctx->db, v, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "invite.cancelled", "invite", v->id,
                json_pack("{s:s, s:s, s:b}", "email", v->email, "role", v->role_key, "was_expired", was_expired));
    return GH_OK;
}

gh_status gh_invite_cancel(gh_ctx *ctx, const char *id)
{
    invite_op *op = calloc(1, sizeof *op);
    if (!op) return gh_ctx_oom(ctx);
    op->id = id;
    gh_status st = gh_tx_run(ctx, invite_cancel_change, op);
    free(op);
    return st;
}

/* ---- the invitee's side ---------------------------------------------------------------- */
static gh_status token_invalid(gh_ctx *ctx)
{
    return gh_fail_field(&ctx->err, GH_E_NOT_FOUND, "token_invalid", "token",
                         "this invitation link is not valid (a newer mail may have replaced it)");
}

gh_status gh_invite_lookup(gh_ctx *ctx, const char *token, gh_invite_link *out)
{
    char h[GH_HASH_HEX_LEN + 1];
    memset(out, 0, sizeof *out);
    if (!token || strlen(token) != GH_TOKEN_LEN) return token_invalid(ctx);
    gh_token_hash(token, h);
    gh_status st = gh_store_invite_get_by_token(ctx->db, h, &out->invite, &ctx->err);
    if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); return token_invalid(ctx); }
    if (st != GH_OK) return st;
    if (strcmp(out->invite.status, "cancelled") == 0)
        return gh_fail_field(&ctx->err, GH_E_GONE, "invite_cancelled", "token",
                             "this invitation was cancelled; ask for a new one");
    if (strcmp(out->invite.status, "accepted") == 0)
        return gh_fail_field(&ctx->err, GH_E_GONE, "invite_used", "token",
                             "this invitation was already accepted; sign in instead");
    if ((st = gh_store_org_get(ctx->db, out->invite.org_id, &out->org, &ctx->err)) != GH_OK) return st;
    gh_role r;
    gh_err ignored = {0};
    gh_strlcpy(out->role_name, out->invite.role_key, sizeof out->role_name);
    if (gh_store_role_get(ctx->db, out->org.id, out->invite.role_key, &r, &ignored) == GH_OK)
        gh_strlcpy(out->role_name, r.name, sizeof out->role_name);
    gh_err_clear(&ignored);
    out->expired = is_expired(&out->invite, gh_now());
    return GH_OK;
}

/* Records an attempt to accept an expired link, in its own transaction (the
 * attempt itself changes nothing). */
static void audit_expired_use(gh_ctx *ctx, const gh_invite *v)
{
    char exp[32];
    gh_time_fmt(v->expires_at, exp);
    gh_audit_alone(ctx, v->org_id, "invite.expired_use", "invite", v->id,
                   json_pack("{s:s, s:s}", "email", v->email, "expired_at", exp));
}

static gh_status refuse_expired(gh_ctx *ctx, const gh_invite *v)
{
    audit_expired_use(ctx, v);
    return gh_fail_field(&ctx->err, GH_E_GONE, "invite_expired", "token",
                         "this invitation has expired; ask for it to be sent again");
}

static gh_status check_name(gh_ctx *ctx, const char *name)
{
    if (gh_check_text(&ctx->err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    return GH_OK;
}

/* An organization that requires company sign-in gives invitees no
 * password: 403 sso_required, with where to sign in instead (the SSO
 * sign-in then links or creates them). Break-glass accounts are existing
 * people named by the administrator, never invitees. */
static gh_status sso_refuses_password(gh_ctx *ctx, const gh_org *o)
{
    gh_status st = gh_sso_password_allowed(ctx, o->id, "");
    if (st == GH_E_FORBIDDEN) {
        char url[200];
        snprintf(url, sizeof url, "/v1/auth/sso/start?org=%s", o->slug);
        gh_err_clear(&ctx->err);
        gh_fail(&ctx->err, GH_E_FORBIDDEN, "sso_required",
                "%s signs in with its company account: no password is set; sign in with the company account instead",
                o->name);
        gh_err_extra(&ctx->err, "sso_start_url", json_string(url));
    }
    return st;
}

gh_status gh_invite_check(gh_ctx *ctx, const char *token, const char *name, const char *password)
{
    gh_invite_link *l = malloc(sizeof *l);
    if (!l) return gh_ctx_oom(ctx);
    gh_status st = gh_invite_lookup(ctx, token, l);
    if (st == GH_OK && l->expired) st = refuse_expired(ctx, &l->invite);
    if (st == GH_OK) st = sso_refuses_password(ctx, &l->org);
    if (st == GH_OK) st = check_name(ctx, name);
    if (st == GH_OK) {
        gh_pw_context pc = {.email = l->invite.email, .name = name, .org_name = l->org.name};
        st = gh_password_check_for(password, "password", &pc, &ctx->err);
    }
    free(l);
    return st;
}

/* Acceptance keeps what the inviter was allowed: read now, inside the
 * accepting transaction, the inviter must still hold every permission the
 * role gives (a locked or demoted inviter no longer vouches for it). An
 * invitation from an API key or the operator (no inviter) is not limited.
 * scratch is a gh_user the caller owns. */
static gh_status inviter_still_allows(gh_ctx *ctx, const gh_org *o, const gh_invite *v, gh_user *scratch)
{
    gh_permset held, gives;
    gh_status st;
    if (!v->invited_by[0]) return GH_OK;
    gh_permset_clear(&held);
    st = gh_store_user_get(ctx->db, o->id, v->invited_by, scratch, &ctx->err);
    if (st == GH_E_NOT_FOUND) gh_err_clear(&ctx->err);
    else if (st != GH_OK) return st;
    else if (strcmp(scratch->status, "active") == 0 && (st = gh_guard_user_latent(ctx, o, scratch, &held)) != GH_OK)
        return st;
    invitee_of(o->id, v->role_key, scratch);
    if ((st = gh_guard_user_latent(ctx, o, scratch, &gives)) != GH_OK) return st;
    return gh_guard_escalation(&ctx->err, gh_access_catalog(), &held, &gives,
                               "whoever sent this invitation may no longer give its permissions; ask for a new one");
}

/* Inside the accepting transaction: the role still exists and the inviter
 * still vouches for it, nobody has the address yet; creates the user
 * (password_hash "" for a company sign-in), marks the invitation accepted,
 * takes its seat and audits invite.accepted and user.created as the new
 * user (ctx->actor becomes them). existing is scratch the caller owns. */
static gh_status accept_in_tx(gh_ctx *ctx, const gh_org *o, gh_invite *v, const char *name, const char *password_hash,
                              gh_user *existing, gh_user *u)
{
    gh_role r;
    int64_t now = gh_now();
    gh_status st = gh_store_role_get(ctx->db, v->org_id, v->role_key, &r, &ctx->err);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        return gh_fail(&ctx->err, GH_E_CONFLICT, "invite_role_missing",
                       "the role of this invitation no longer exists; ask for a new invitation");
    }
    if (st != GH_OK) return st;
    if ((st = inviter_still_allows(ctx, o, v, existing)) != GH_OK) return st;
    st = gh_store_user_get_by_email(ctx->db, v->org_id, v->email, existing, &ctx->err);
    if (st == GH_OK) return gh_fail(&ctx->err, GH_E_CONFLICT, "already_member", "a user with this address exists; sign in instead");
    if (st != GH_E_NOT_FOUND) return st;
    gh_err_clear(&ctx->err);

    memset(u, 0, sizeof *u);
    gh_id_new("usr", u->id);
    gh_strlcpy(u->org_id, v->org_id, sizeof u->org_id);
    gh_strlcpy(u->email, v->email, sizeof u->email);
    gh_strlcpy(u->name, name, sizeof u->name);
    gh_strlcpy(u->role_key, v->role_key, sizeof u->role_key);
    gh_strlcpy(u->status, "active", sizeof u->status);
    gh_strlcpy(u->password_hash, password_hash, sizeof u->password_hash);
    u->email_verified = true; /* the link reached the address, or the IdP vouched for it */
    u->office_access = true;
    u->modules_all = true;
    u->created_at = u->updated_at = u->last_login_at = now;
    if ((st = gh_store_user_insert(ctx->db, u, &ctx->err)) != GH_OK) return st;
    gh_strlcpy(v->status, "accepted", sizeof v->status);
    v->accepted_at = now;
    gh_strlcpy(v->user_id, u->id, sizeof v->user_id);
    if ((st = gh_store_invite_update(ctx->db, v, &ctx->err)) != GH_OK) return st;
    /* The invitation's seat became the user's: this only fails when the
     * seats were lowered below the count since the invitation was sent. */
    if ((st = gh_seats_require(ctx, o, GH_SEAT_OFFICE)) != GH_OK) return st;
    ctx->actor = (gh_actor){.type = GH_ACTOR_USER};
    gh_strlcpy(ctx->actor.org_id, u->org_id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, u->id, sizeof ctx->actor.id);
    if ((st = gh_audit(ctx, NULL, "invite.accepted", "invite", v->id,
                       json_pack("{s:s, s:s, s:s, s:s}", "email", v->email, "role", v->role_key, "user_id", u->id,
                                 "method", password_hash[0] ? "password" : "sso"))) != GH_OK)
        return st;
    return gh_audit(ctx, NULL, "user.created", "user", u->id,
                    json_pack("{s:s, s:s, s:s, s:b}", "email", u->email, "role", u->role_key, "invite_id", v->id,
                              "device", r.device));
}

/* An invitation being accepted: what is asked, and what the change read.
 * expired: the invitation had expired; nothing was written, and the caller
 * refuses once the transaction is rolled back (refuse_expired records the
 * attempt in its own). */
typedef struct {
    const gh_org *o;   /* through SSO: the org signed in to */
    const char *email; /* through SSO: the address it vouched for */
    const char *token; /* through a link */
    const char *name, *password_hash;
    bool expired;
    gh_invite v;
    gh_invite_link l;
    gh_user scratch;   /* an existing account with that address, if any */
    gh_user *user;     /* out: the person created */
    gh_invite_accepted *accepted; /* through a link: also the session opened */
} accept_op;

static gh_status accept_sso_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    accept_op *op = arg;
    gh_status st = gh_store_invite_get_pending(ctx->db, op->o->id, op->email, &op->v, &ctx->err);
    if (st != GH_OK) return st;
    if (is_expired(&op->v, gh_now())) {
        op->expired = tx->unchanged = true;
        return GH_OK;
    }
    return accept_in_tx(ctx, op->o, &op->v, op->name, "", &op->scratch, op->user);
}

gh_status gh_invite_accept_sso(gh_ctx *ctx, const gh_org *o, const char *email, const char *name, gh_user *out)
{
    accept_op *op = malloc(sizeof *op);
    gh_status st;
    memset(out, 0, sizeof *out);
    if (!op) return gh_ctx_oom(ctx);
    *op = (accept_op){.o = o, .email = email, .name = name, .user = out};
    if ((st = check_name(ctx, name)) == GH_OK && (st = gh_tx_run(ctx, accept_sso_change, op)) == GH_OK && op->expired)
        st = refuse_expired(ctx, &op->v);
    free(op);
    return st;
}

static gh_status accept_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    accept_op *op = arg;
    gh_invite_link *l = &op->l;
    gh_invite_accepted *out = op->accepted;
    gh_status st = gh_invite_lookup(ctx, op->token, l);
    if (st != GH_OK) return st;
    if (l->expired) {
        op->expired = tx->unchanged = true;
        return GH_OK;
    }
    if ((st = sso_refuses_password(ctx, &l->org)) != GH_OK) return st;
    gh_user *u = &out->user;
    if ((st = accept_in_tx(ctx, &l->org, &l->invite, op->name, op->password_hash, &op->scratch, u)) != GH_OK) return st;
    /* Where the org requires a second factor, the new person sets one up
     * before getting a full session (core/mfa.h). */
    char pending[8];
    if ((st = gh_mfa_signin_step(ctx, &l->org, u, NULL, pending)) != GH_OK) return st;
    if ((st = gh_session_open_pending(ctx, &l->org, u, pending, out->token, out->csrf, &out->session)) != GH_OK) return st;
    gh_strlcpy(ctx->actor.session_id, out->session.id, sizeof ctx->actor.session_id);
    gh_tx_event(tx, "auth.login", "session", out->session.id, json_pack("{s:s}", "method", "invite"));
    return GH_OK;
}

gh_status gh_invite_accept(gh_ctx *ctx, const char *token, const char *name, const char *password_hash,
                           gh_invite_accepted *out)
{
    accept_op *op = malloc(sizeof *op);
    gh_status st;
    memset(out, 0, sizeof *out);
    if (!op) return gh_ctx_oom(ctx);
    *op = (accept_op){.token = token, .name = name, .password_hash = password_hash, .accepted = out};
    if ((st = check_name(ctx, name)) == GH_OK && (st = gh_tx_run(ctx, accept_change, op)) == GH_OK && op->expired)
        st = refuse_expired(ctx, &op->l.invite);
    if (st != GH_OK) {
        sodium_memzero(out->token, sizeof out->token);
        sodium_memzero(out->csrf, sizeof out->csrf);
    }
    free(op);
    return st;
}
