/*
 * Changes to one existing person (update, lock, delete, sessions, reset
 * and verification mails sent by an administrator), each its change and
 * nothing else: with_user() runs it through gh_tx_run (core/guard.h).
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
    bool gone;   /* set by the change: the person was deleted */
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
    bool managed = false, manages = false;
    if (op->invariants && (st = gh_accounts_user_manages(ctx, &op->o, &op->u, &managed)) != GH_OK) return st;
    if ((st = op->change(ctx, tx, op)) != GH_OK || tx->unchanged || !op->invariants) return st;
    /* Only this person changed: unless they lost users.manage, nobody did,
     * and the lockout rules (a scan of the whole org) cannot have broken. */
    if (!managed) return GH_OK;
    if (!op->gone && (st = gh_accounts_user_manages(ctx, &op->o, &op->u, &manages)) != GH_OK) return st;
    if (manages) return GH_OK;
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
    if (p->language_set && !a->self && !a->provisioning &&
        (u->office_access || !gh_guard_actor_holds(ctx, "users.manage")))
        return gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "profile_owner_only", "language",
                             "Office users choose their own language in their profile; administrators set it "
                             "for factory workers without office access.");
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
            if ((st = acct_refuse_if_invited(ctx, p->email)) != GH_OK) goto done;
            note(&oom, changes, "email", json_pack("{s:s, s:s}", "from", u->email, "to", p->email));
            gh_strlcpy(u->email, p->email, sizeof u->email);
            u->email_verified = false;
            email_changed = true;
        }
    }
    if (p->role && strcmp(p->role, u->role_key) != 0) {
        if ((st = acct_role_exists(ctx, p->role, &r)) != GH_OK) goto done;
        note(&oom, changes, "role", json_pack("{s:s, s:s}", "from", u->role_key, "to", p->role));
        gh_strlcpy(u->role_key, p->role, sizeof u->role_key);
    }
    if (p->language_set && strcmp(p->language ? p->language : "", u->language) != 0) {
        note(&oom, changes, "language", json_pack("{s:s, s:s}", "from", u->language, "to", p->language ? p->language : ""));
        gh_strlcpy(u->language, p->language ? p->language : "", sizeof u->language);
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
        if ((st = acct_apply_modules(ctx, p->modules, u)) != GH_OK || (st = acct_modules_in_org(ctx, o, u)) != GH_OK) goto done;
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
    const struct { bool set; int64_t to; int64_t *at; const char *key; } sched[] = {
        {p->expires_at_set, p->expires_at, &u->expires_at, "expires_at"},
        {p->lock_at_set, p->lock_at, &u->lock_at, "lock_at"},
        {p->unlock_at_set, p->unlock_at, &u->unlock_at, "unlock_at"},
    };
    for (size_t i = 0; i < sizeof sched / sizeof sched[0]; i++) {
        if (!sched[i].set || sched[i].to == *sched[i].at) continue;
        note(&oom, changes, sched[i].key, json_pack("{s:o, s:o}", "from", gh_json_time(*sched[i].at), "to",
                                                    gh_json_time(sched[i].to)));
        *sched[i].at = sched[i].to;
    }
    if ((p->expires_at_set || p->unlock_at_set) && u->expires_at && u->unlock_at && u->unlock_at >= u->expires_at) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "unlock_after_expiry", "unlock_at",
                           "The scheduled unlock must come before the account's expiry date.");
        goto done;
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
    if (email_changed && (st = acct_mail_verify(ctx, o, u)) != GH_OK) goto done;
    if (email_changed && (st = acct_mail_notice(ctx, o, u, "email_changed", before->email, u->email)) != GH_OK) goto done;
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
    if (p->email && acct_check_email(ctx, p->email, "email") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (p->name && acct_check_name(ctx, p->name, "name") != GH_OK) gh_err_merge(&all, &ctx->err);
    if (p->mobile && acct_check_mobile(ctx, p->mobile) != GH_OK) gh_err_merge(&all, &ctx->err);
    if (p->language_set && gh_language_check(&ctx->err, p->language, "language") != GH_OK)
        gh_err_merge(&all, &ctx->err);
    if (p->badge_set && p->badge && *p->badge && !gh_badge_valid(p->badge)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_badge", "badge",
                      "a badge is 1 to %d letters, digits, '-', '_' or '.'", GH_BADGE_MAX);
        gh_err_merge(&all, &ctx->err);
    }
    const struct { bool set; int64_t at; const char *key; } sched[] = {
        {p->expires_at_set, p->expires_at, "expires_at"},
        {p->lock_at_set, p->lock_at, "lock_at"},
        {p->unlock_at_set, p->unlock_at, "unlock_at"},
    };
    int64_t now = gh_now();
    for (size_t i = 0; i < sizeof sched / sizeof sched[0]; i++)
        if (sched[i].set && sched[i].at != 0 && sched[i].at <= now) {
            gh_fail_field(&ctx->err, GH_E_INVALID, "date_in_past", sched[i].key, "Choose a date and time in the future.");
            gh_err_merge(&all, &ctx->err);
        }
    if (p->lock_at_set && p->unlock_at_set && p->lock_at && p->lock_at == p->unlock_at) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "lock_unlock_same_time", "unlock_at",
                      "The scheduled lock and unlock cannot be at the same time.");
        gh_err_merge(&all, &ctx->err);
    }
    if (all.status != GH_OK) {
        gh_err_clear(&ctx->err);
        ctx->err = all;
        return all.status;
    }
    return with_user(ctx, id, true, user_update_change, &a, out);
}

/* Unlocking gives the user's seats back to them: there must be room, and
 * the account must not be past its expiry date (extend or clear it first,
 * in the same change or before). */
static gh_status unlock_seats(gh_ctx *ctx, const gh_user *u)
{
    gh_org o;
    if (gh_user_expired(u, gh_now()))
        return gh_fail_field(&ctx->err, GH_E_CONFLICT, "account_expired", "expires_at",
                             "This account has expired. Set a later expiry date or clear it to unlock the account.");
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
    gh_tx_event(tx, lock ? "user.locked" : "user.unlocked", "user", u->id,
                lock ? json_pack("{s:I}", "sessions_ended", (json_int_t)ended) : NULL);
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
    op->gone = true;
    if ((st = gh_store_tombstone_insert(ctx->db, &t, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "user.deleted", "user", u->id,
                json_pack("{s:s?, s:s, s:s, s:I, s:b, s:I}", "email", u->email[0] ? u->email : NULL, "name", u->name,
                          "role", u->role_key, "checkins_closed", (json_int_t)closed, "name_erased",
                          o->erase_deleted_names, "invites_cancelled", (json_int_t)invites_cancelled));
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
    gh_tx_event(tx, "user.sessions_revoked", "user", op->u.id,
                json_pack("{s:I}", "sessions_ended", (json_int_t)*revoked));
    return GH_OK;
}

gh_status gh_user_revoke_sessions(gh_ctx *ctx, const char *id, int64_t *revoked)
{
    return with_user(ctx, id, false, user_revoke_sessions_change, revoked, NULL);
}


gh_status gh_user_sessions(gh_ctx *ctx, const char *id, json_t **items)
{
    gh_user *u = calloc(1, sizeof *u);
    acct_session_acc a = {json_array(), ctx->actor.session_id};
    gh_status st;
    gh_org o;
    if (!u || !a.items) { st = gh_ctx_oom(ctx); goto out; }
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, id, u, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_guard_target(ctx, &o, u)) != GH_OK) goto out;
    if ((st = gh_store_session_list(ctx->db, ctx->actor.org_id, u->id, acct_session_visit, &a, &ctx->err)) != GH_OK) goto out;
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
    gh_tx_event(tx, "user.session_revoked", "user", op->u.id, json_pack("{s:s}", "session_id", session_id));
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
    if ((st = acct_mail_reset(ctx, &op->o, &op->u)) != GH_OK) return st;
    gh_tx_event(tx, "user.password_reset_sent", "user", op->u.id, NULL);
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
    if ((st = acct_mail_verify(ctx, &op->o, &op->u)) != GH_OK) return st;
    gh_tx_event(tx, "user.verification_resent", "user", op->u.id, NULL);
    return GH_OK;
}

gh_status gh_user_resend_verification(gh_ctx *ctx, const char *id)
{
    return with_user(ctx, id, false, user_resend_verification_change, NULL, NULL);
}

/* ---- expiry and the scheduled lock and unlock (core/schedule.h) ----------- */
typedef struct { const char *what; const char *skip_reason; } schedule_arg;

static gh_status user_schedule_change(gh_ctx *ctx, gh_tx *tx, user_op *op)
{
    const schedule_arg *a = op->arg;
    gh_user *u = &op->u;
    gh_status st;
    int64_t now = gh_now();
    bool expire = strcmp(a->what, "expire") == 0, lock = strcmp(a->what, "lock") == 0;
    /* Due still? (An administrator may have changed it since it was read.) */
    int64_t at = expire ? u->expires_at : lock ? u->lock_at : u->unlock_at;
    if (at <= 0 || at > now || (expire && strcmp(u->status, "active") != 0)) {
        tx->unchanged = true;
        return GH_OK;
    }
    tx->target_type = "user";
    tx->target_id = u->id;
    u->updated_at = now;
    if (!expire) {
        if (lock) u->lock_at = 0;
        else u->unlock_at = 0;
    }
    if (a->skip_reason) { /* the change was refused: only the schedule is spent */
        if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
        tx->action = "user.schedule_skipped";
        tx->detail = json_pack("{s:s, s:o, s:s}", "what", a->what, "at", gh_json_time(at), "reason", a->skip_reason);
        return GH_OK;
    }
    const char *want = expire || lock ? "locked" : "active";
    bool status_change = strcmp(u->status, want) != 0;
    if (status_change) gh_strlcpy(u->status, want, sizeof u->status);
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK) return st;
    int64_t ended = 0;
    if (status_change && (expire || lock) &&
        (st = gh_store_session_delete_user(ctx->db, u->org_id, u->id, NULL, &ended, &ctx->err)) != GH_OK)
        return st;
    if (status_change && !expire && !lock && (st = unlock_seats(ctx, u)) != GH_OK) return st;
    op->forget = status_change && !expire && !lock;
    if (expire) {
        tx->action = "user.expired";
        tx->detail = json_pack("{s:o, s:I}", "expires_at", gh_json_time(at), "sessions_ended", (json_int_t)ended);
    } else if (status_change) {
        tx->action = lock ? "user.locked" : "user.unlocked";
        tx->detail = lock ? json_pack("{s:b, s:o, s:I}", "scheduled", true, "at", gh_json_time(at), "sessions_ended",
                                      (json_int_t)ended)
                          : json_pack("{s:b, s:o}", "scheduled", true, "at", gh_json_time(at));
    } else {
        tx->action = "user.schedule_skipped";
        tx->detail = json_pack("{s:s, s:o, s:s}", "what", a->what, "at", gh_json_time(at), "reason",
                               lock ? "already_locked" : "already_active");
    }
    return GH_OK;
}

gh_status gh_user_schedule_apply(gh_ctx *ctx, const char *id, const char *what)
{
    schedule_arg a = {.what = what};
    /* An expired account can no longer sign in whatever its status: the
     * lock records what already holds, so the lockout rules do not stop it. */
    bool expire = strcmp(what, "expire") == 0;
    gh_status st = with_user(ctx, id, !expire, user_schedule_change, &a, NULL);
    if (st != GH_E_CONFLICT || expire) return st;
    /* A lock that would leave nobody to manage users, an unlock without a
     * free seat or past the expiry date: the schedule is spent and the
     * refusal audited, so it is not retried every second. */
    char reason[64];
    gh_strlcpy(reason, ctx->err.code, sizeof reason);
    gh_err_clear(&ctx->err);
    a.skip_reason = reason;
    return with_user(ctx, id, false, user_schedule_change, &a, NULL);
}
