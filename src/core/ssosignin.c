/* The end of a company sign-in, shared by OIDC and SAML: see ssosignin.h. */
#include "core/ssosignin.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/invites.h"
#include "core/guard.h"
#include "core/mfa.h"
#include "core/secretbox.h"
#include "core/session.h"
#include "core/sso.h"
#include "util/json.h"
#include "util/log.h"

typedef struct {
    const char *org_id, *user_id, *reason, *error;
} failure_op;

static gh_status failure_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    (void)tx; /* as nobody, in the org named: gh_audit itself */
    const failure_op *op = arg;
    return gh_audit(ctx, op->org_id, "auth.sso_failed", op->user_id ? "user" : NULL, op->user_id,
                    json_pack("{s:s, s:s}", "reason", op->reason, "error", op->error));
}

/* Audits a refused SSO sign-in in its own transaction, as nobody. */
static void audit_failure(gh_ctx *ctx, const char *org_id, const char *user_id, const char *reason, const char *error)
{
    gh_ctx c = *ctx;
    memset(&c.err, 0, sizeof c.err);
    memset(&c.actor, 0, sizeof c.actor);
    failure_op op = {.org_id = org_id, .user_id = user_id, .reason = reason, .error = error};
    if (org_id && *org_id) (void)gh_tx_run_no_refresh(&c, failure_change, &op);
    gh_err_clear(&c.err);
}

gh_status gh_sso_refusef(gh_ctx *ctx, const char *org_id, const char *user_id, const char *reason, const char *fmt, ...)
{
    char detail[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    audit_failure(ctx, org_id, user_id, reason, detail);
    gh_err_clear(&ctx->err);
    gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "sso_failed", "%s", detail);
    gh_err_extra(&ctx->err, "reason", json_string(reason));
    return GH_E_UNAUTHENTICATED;
}

/* The role the group mapping gives (NULL: no group matched). */
static const char *mapped_role(const json_t *cfg, const json_t *claims)
{
    const char *claim = json_string_value(json_object_get(cfg, "groups_claim"));
    const json_t *groups = claim ? json_object_get(claims, claim) : NULL;
    const char *group;
    const json_t *role;
    json_object_foreach((json_t *)json_object_get(cfg, "role_map"), group, role) {
        size_t i;
        const json_t *g;
        if (json_is_string(groups) && strcmp(json_string_value(groups), group) == 0) return json_string_value(role);
        json_array_foreach(groups, i, g) if (json_is_string(g) && strcmp(json_string_value(g), group) == 0)
            return json_string_value(role);
    }
    return NULL;
}

typedef struct {
    const gh_identity *link;
    const gh_sso_verified *v;
    const gh_user *u;
    const char *sub;
    bool created, invited;
} link_op;

static gh_status link_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    (void)tx; /* written as nobody, in the org named: gh_audit itself */
    const link_op *op = arg;
    gh_status st = gh_store_identity_insert(ctx->db, op->link, &ctx->err);
    if (st != GH_OK) return st;
    return gh_audit(ctx, op->v->org->id, "identity.linked", "user", op->u->id,
                    json_pack("{s:s, s:s, s:s, s:b, s:b}", "kind", op->link->kind, "issuer", op->v->issuer, "subject",
                              op->sub, "created", op->created, "invited", op->invited));
}

/* Finds, links or creates the person; fills u and the identity's id. */
static gh_status resolve_user(gh_ctx *ctx, const gh_sso_verified *v, const char *sub, const char *email, gh_user *u,
                              char identity_id[GH_ID_MAX])
{
    gh_identity id;
    gh_status st = gh_store_identity_find(ctx->db, v->org->id, v->kind, v->issuer, sub, &id, &ctx->err);
    if (st == GH_OK) {
        gh_strlcpy(identity_id, id.id, GH_ID_MAX);
        st = gh_store_user_get(ctx->db, v->org->id, id.user_id, u, &ctx->err);
        if (st == GH_E_NOT_FOUND) return gh_sso_refusef(ctx, v->org->id, NULL, "account_deleted", "this account was deleted");
        return st;
    }
    if (st != GH_E_NOT_FOUND) return st;
    gh_err_clear(&ctx->err);
    if (!email || !*email)
        return gh_sso_refusef(ctx, v->org->id, NULL, "email_missing", "the IdP sent no e-mail address in the '%s' claim",
                      json_string_value(json_object_get(v->cfg, "email_claim")));
    const json_t *verified = json_object_get(v->claims, "email_verified");
    if (json_is_false(verified))
        return gh_sso_refusef(ctx, v->org->id, NULL, "email_not_verified", "the IdP says %s is not verified", email);
    bool created = false;
    st = gh_store_user_get_by_email(ctx->db, v->org->id, email, u, &ctx->err);
    bool invited = false;
    if (st == GH_E_NOT_FOUND) {
        /* A pending invitation of this address: the sign-in accepts it
         * (the IdP vouched for the address the invitation was sent to). */
        gh_err_clear(&ctx->err);
        const char *iname = json_string_value(json_object_get(v->claims, "name"));
        gh_ctx inv = *ctx;
        memset(&inv.err, 0, sizeof inv.err);
        st = gh_invite_accept_sso(&inv, v->org, email, iname && *iname ? iname : email, u);
        if (st == GH_OK) {
            invited = true;
        } else if (st != GH_E_NOT_FOUND) {
            char msg[400];
            snprintf(msg, sizeof msg, "%s", inv.err.detail);
            const char *why = strcmp(inv.err.code, "invite_expired") == 0 ? "invite_expired" : "invite_refused";
            gh_err_clear(&inv.err);
            return gh_sso_refusef(ctx, v->org->id, NULL, why, "the invitation of %s cannot be accepted: %s", email, msg);
        } else {
            gh_err_clear(&inv.err);
            st = GH_E_NOT_FOUND;
        }
    }
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        const json_t *jit = json_object_get(v->cfg, "jit");
        if (!json_is_true(json_object_get(jit, "enabled")))
            return gh_sso_refusef(ctx, v->org->id, NULL, "no_account", "%s has no account in %s (creating people at first sign-in is off)",
                          email, v->org->name);
        if (!gh_sso_email_domain_allowed(email, json_object_get(jit, "domains")))
            return gh_sso_refusef(ctx, v->org->id, NULL, "domain_not_allowed", "%s is not from a domain allowed to create accounts",
                          email);
        const char *name = json_string_value(json_object_get(v->claims, "name"));
        gh_ctx sys = *ctx;
        memset(&sys.err, 0, sizeof sys.err);
        memset(&sys.actor, 0, sizeof sys.actor);
        sys.actor.type = GH_ACTOR_SYSTEM;
        gh_strlcpy(sys.actor.org_id, v->org->id, sizeof sys.actor.org_id);
        sys.required_perm = sys.required_alt = NULL;
        gh_user_new n = {.email = email, .name = name && *name ? name : email,
                         .role = json_string_value(json_object_get(jit, "default_role")), .office_access = true,
                         .email_verified = true};
        st = gh_user_create(&sys, &n, u);
        if (st != GH_OK) {
            char msg[400];
            snprintf(msg, sizeof msg, "%s", sys.err.detail);
            gh_err_clear(&sys.err);
            return gh_sso_refusef(ctx, v->org->id, NULL, "jit_refused", "%s could not be created: %s", email, msg);
        }
        created = true;
    } else if (st != GH_OK) {
        return st;
    }
    /* Link once; from now on (issuer, sub) finds them, whatever the e-mail. */
    gh_identity link = {0};
    gh_id_new("idn", link.id);
    gh_strlcpy(link.org_id, v->org->id, sizeof link.org_id);
    gh_strlcpy(link.user_id, u->id, sizeof link.user_id);
    gh_strlcpy(link.kind, v->kind, sizeof link.kind);
    gh_strlcpy(link.issuer, v->issuer, sizeof link.issuer);
    gh_strlcpy(link.subject, sub, sizeof link.subject);
    link.created_at = gh_now();
    gh_strlcpy(identity_id, link.id, GH_ID_MAX);
    gh_ctx c = *ctx;
    memset(&c.err, 0, sizeof c.err);
    memset(&c.actor, 0, sizeof c.actor);
    link_op op = {.link = &link, .v = v, .u = u, .sub = sub, .created = created, .invited = invited};
    /* As nobody; identities are not in the authorization snapshot: no refresh. */
    if ((st = gh_tx_run_no_refresh(&c, link_change, &op)) != GH_OK) ctx->err = c.err;
    return st;
}

typedef struct {
    const gh_sso_verified *v;
    int64_t now;
} reauth_op;

static gh_status reauth_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const reauth_op *op = arg;
    const gh_sso_verified *v = op->v;
    bool mfa = false;
    gh_status st;
    if ((st = gh_mfa_idp_counts(ctx, v->org->id, v->claims, &mfa)) != GH_OK ||
        (st = gh_store_sso_state_prove(ctx->db, v->state_hash, op->now, mfa, &ctx->err)) != GH_OK)
        return st;
    gh_tx_event(tx, "auth.reauthenticated", "user", v->user_id,
                json_pack("{s:s, s:s, s:s, s:b}", "method", "sso", "purpose", v->purpose + 7, "issuer", v->issuer,
                          "mfa", mfa));
    return GH_OK;
}

/* A re-authentication: the IdP signed in again the person who asked. */
static gh_status reauth_finish(gh_ctx *ctx, const gh_sso_verified *v, gh_oidc_signin *out)
{
    const char *sub = json_string_value(json_object_get(v->claims, "sub"));
    gh_identity id;
    gh_status st = gh_store_identity_find(ctx->db, v->org->id, v->kind, v->issuer, sub, &id, &ctx->err);
    if (st == GH_E_NOT_FOUND || (st == GH_OK && strcmp(id.user_id, v->user_id) != 0))
        return gh_sso_refusef(ctx, v->org->id, v->user_id, "reauth_wrong_person",
                      "the IdP signed in someone else, not the person who asked to re-authenticate");
    if (st != GH_OK) return st;
    gh_ctx c = *ctx;
    memset(&c.err, 0, sizeof c.err);
    memset(&c.actor, 0, sizeof c.actor);
    c.actor.type = GH_ACTOR_USER;
    gh_strlcpy(c.actor.org_id, v->org->id, sizeof c.actor.org_id);
    gh_strlcpy(c.actor.id, v->user_id, sizeof c.actor.id);
    reauth_op op = {.v = v, .now = gh_now()};
    /* The proof is on the sign-in state, not in the authorization snapshot: no refresh. */
    if ((st = gh_tx_run_no_refresh(&c, reauth_change, &op)) != GH_OK) { ctx->err = c.err; return st; }
    out->reauth = true;
    gh_strlcpy(out->purpose, v->purpose + 7, sizeof out->purpose);
    return GH_OK;
}

/* Inside the session's transaction: what RP-initiated logout needs, the
 * ID token sealed under a context naming the session. */
static gh_status remember_logout(gh_ctx *ctx, const gh_sso_verified *v, const char *session_id)
{
    char sctx[GH_ID_MAX + 32];
    char *box = malloc(GH_SECRETBOX_SEALED_MAX);
    if (!box) return gh_ctx_oom(ctx);
    gh_sso_logout_context(session_id, sctx, sizeof sctx);
    gh_status st = gh_secretbox_seal(sctx, v->id_token, strlen(v->id_token), box, GH_SECRETBOX_SEALED_MAX, &ctx->err);
    if (st == GH_OK) st = gh_store_sso_session_insert(ctx->db, session_id, v->org->id, v->end_session_ep, box, &ctx->err);
    free(box);
    return st;
}

void gh_sso_logout_context(const char *session_id, char *out, size_t cap)
{
    snprintf(out, cap, "sso_session:%s:id_token", session_id);
}

gh_status gh_sso_logout_url(gh_ctx *ctx, char **url)
{
    char *endpoint = NULL, *sealed = NULL, *plain = NULL, sctx[GH_ID_MAX + 32];
    json_t *cfg = NULL;
    gh_sso_row *row = NULL;
    *url = NULL;
    if (ctx->actor.type != GH_ACTOR_USER || !ctx->actor.session_id[0]) return GH_OK;
    gh_status st = gh_store_sso_session_get(ctx->db, ctx->actor.session_id, &endpoint, &sealed, &ctx->err);
    if (st == GH_E_NOT_FOUND) { gh_err_clear(&ctx->err); return GH_OK; }
    if (st != GH_OK) return st;
    size_t n = 0;
    if (!(plain = malloc(GH_SECRETBOX_PLAIN_MAX + 1)) || !(row = calloc(1, sizeof *row))) { st = gh_ctx_oom(ctx); goto out; }
    gh_sso_logout_context(ctx->actor.session_id, sctx, sizeof sctx);
    /* An unreadable token (the server key changed) or a removed
     * configuration: the gatehouse session still ends, without the IdP. */
    if (gh_secretbox_open(sctx, sealed, plain, GH_SECRETBOX_PLAIN_MAX + 1, &n, &ctx->err) != GH_OK ||
        gh_store_sso_get(ctx->db, ctx->actor.org_id, row, &ctx->err) != GH_OK || !(cfg = json_loads(row->config, 0, NULL))) {
        gh_logf(GH_LOG_WARN, "sso logout of session %s without the IdP: %s", ctx->actor.session_id, ctx->err.detail);
        gh_err_clear(&ctx->err);
        goto out;
    }
    plain[n < GH_SECRETBOX_PLAIN_MAX ? n : GH_SECRETBOX_PLAIN_MAX] = '\0';
    char back[700];
    snprintf(back, sizeof back, "%s/console/sign-in", gh_cfg()->base_url);
    const char *client_id = json_string_value(json_object_get(cfg, "client_id"));
    char *h = curl_easy_escape(NULL, plain, 0), *b = curl_easy_escape(NULL, back, 0),
         *c = curl_easy_escape(NULL, client_id ? client_id : "", 0);
    if (h && b && c) {
        size_t cap = strlen(endpoint) + strlen(h) + strlen(b) + strlen(c) + 80;
        if ((*url = malloc(cap)))
            snprintf(*url, cap, "%s%cid_token_hint=%s&post_logout_redirect_uri=%s&client_id=%s", endpoint,
                     strchr(endpoint, '?') ? '&' : '?', h, b, c);
    }
    if (h) { sodium_memzero(h, strlen(h)); curl_free(h); }
    curl_free(b);
    curl_free(c);
    if (!*url) st = gh_ctx_oom(ctx);
out:
    if (plain) { sodium_memzero(plain, GH_SECRETBOX_PLAIN_MAX + 1); free(plain); }
    if (row) gh_sso_row_release(row);
    free(row);
    json_decref(cfg);
    free(endpoint);
    free(sealed);
    return st;
}

typedef struct {
    const gh_sso_verified *v;
    gh_user *u;
    const char *identity_id;
    gh_oidc_signin *out;
    const char *why; /* refused: nothing kept, the caller answers */
} signin_op;

/* The session, on the row as it is now (like a password sign-in). Sessions
 * are not in the authorization snapshot: run without a refresh. */
static gh_status signin_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    signin_op *op = arg;
    const gh_sso_verified *v = op->v;
    gh_user *u = op->u;
    gh_oidc_signin *out = op->out;
    gh_status st;
    if ((st = gh_store_user_get(ctx->db, v->org->id, u->id, u, &ctx->err)) != GH_OK) return st;
    op->why = strcmp(u->status, "active") != 0 ? "account_locked"
              : gh_user_expired(u, gh_now())   ? "account_expired"
              : !u->office_access              ? "no_office_access"
              : !gh_access_ip_allowed(v->org->id, ctx->ip) ? "ip_not_allowed" : NULL;
    if (op->why) {
        tx->unchanged = true;
        return GH_OK;
    }
    if (!u->email_verified) u->email_verified = true; /* the IdP vouched for it */
    /* The second step, unless the IdP's MFA counts (core/mfa.h). */
    char pending[8];
    if ((st = gh_mfa_signin_step(ctx, v->org, u, v->claims, pending)) != GH_OK) return st;
    if ((st = gh_session_open_pending(ctx, v->org, u, pending, out->token, out->csrf, &out->session)) != GH_OK) return st;
    if (v->id_token && v->end_session_ep && (st = remember_logout(ctx, v, out->session.id)) != GH_OK) return st;
    gh_strlcpy(ctx->actor.session_id, out->session.id, sizeof ctx->actor.session_id);
    u->last_login_at = gh_now();
    if ((st = gh_store_user_update(ctx->db, u, &ctx->err)) != GH_OK ||
        (st = gh_store_identity_touch(ctx->db, v->org->id, op->identity_id, u->last_login_at, &ctx->err)) != GH_OK)
        return st;
    json_t *detail = json_pack("{s:s, s:s, s:s}", "method", "sso", "idp",
                               json_string_value(json_object_get(v->cfg, "display_name")), "issuer", v->issuer);
    if (detail && pending[0]) json_object_set_new(detail, "mfa_pending", json_string(pending));
    gh_tx_event(tx, "auth.login", "session", out->session.id, detail);
    return GH_OK;
}

gh_status gh_sso_signin_finish(gh_ctx *ctx, const gh_sso_verified *v, gh_oidc_signin *out)
{
    memset(out, 0, sizeof *out);
    if (!v->ok) return gh_sso_refusef(ctx, v->org->id, v->reauth ? v->user_id : NULL, v->reason, "%s", v->error);
    if (v->reauth) return reauth_finish(ctx, v, out);
    const char *sub = json_string_value(json_object_get(v->claims, "sub"));
    const char *email_claim = json_string_value(json_object_get(v->cfg, "email_claim"));
    const char *email = json_string_value(json_object_get(v->claims, email_claim ? email_claim : "email"));
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    if (!u) return gh_ctx_oom(ctx);
    char identity_id[GH_ID_MAX] = "";
    if ((st = resolve_user(ctx, v, sub, email, u, identity_id)) != GH_OK) goto out;
    /* Group mapping, as the system (the roles were measured against the
     * configuration's author when it was written). */
    const char *role = mapped_role(v->cfg, v->claims);
    if (role && strcmp(role, u->role_key) != 0) {
        gh_ctx sys = *ctx;
        memset(&sys.err, 0, sizeof sys.err);
        memset(&sys.actor, 0, sizeof sys.actor);
        sys.actor.type = GH_ACTOR_SYSTEM;
        gh_strlcpy(sys.actor.org_id, v->org->id, sizeof sys.actor.org_id);
        sys.required_perm = sys.required_alt = NULL;
        gh_user_patch p = {.role = role};
        gh_user after;
        if (gh_user_update(&sys, u->id, &p, &after) == GH_OK) *u = after;
        else gh_logf(GH_LOG_WARN, "sso role mapping for %s to %s refused: %s", u->id, role, sys.err.detail);
        gh_err_clear(&sys.err);
    }
    /* The session, on the row as it is now (like a password sign-in). */
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.org_id, v->org->id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, u->id, sizeof ctx->actor.id);
    signin_op op = {.v = v, .u = u, .identity_id = identity_id, .out = out};
    if ((st = gh_tx_run_no_refresh(ctx, signin_change, &op)) != GH_OK) goto out;
    if (op.why) {
        st = gh_sso_refusef(ctx, v->org->id, u->id, op.why,
                    strcmp(op.why, "account_locked") == 0    ? "this account is locked; ask an administrator"
                    : strcmp(op.why, "account_expired") == 0 ? "this account has expired; ask an administrator"
                    : strcmp(op.why, "no_office_access") == 0 ? "this account has no office access"
                                                              : "sign-in is not allowed from this network");
        goto out;
    }
    out->user = *u;
out:
    if (st != GH_OK) { sodium_memzero(out->token, sizeof out->token); sodium_memzero(out->csrf, sizeof out->csrf); }
    free(u);
    return st;
}

gh_status gh_sso_refuse(gh_ctx *ctx, const char *org_id, const char *user_id, const char *reason, const char *detail)
{
    return gh_sso_refusef(ctx, org_id, user_id, reason, "%s", detail);
}
