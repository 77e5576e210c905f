/* Second factors: the sign-in's second step, TOTP, recovery codes (see
 * core/mfa.h for the rules). An administrator's side (status, reset, the
 * organization's policy): mfaadmin.c.
 *
 * Over 600 lines: the second step, enrolment and re-authentication share
 * the throttle guard (mfa_guard) and the code checks made inside one open
 * transaction; the WebAuthn parts could move beside webauthn.c next. */
#include "core/mfa.h"
#include "core/mfa_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/guard.h"
#include "core/secretbox.h"
#include "core/session.h"
#include "core/throttle.h"
#include "core/totp.h"
#include "core/webauthn.h"
#include "store/mfa.h"
#include "util/json.h"
#include "util/log.h"

/* ---- pure parts --------------------------------------------------------------------- */
bool gh_mfa_policy_requires(const char *policy, bool privileged)
{
    if (strcmp(policy, "all") == 0) return true;
    if (strcmp(policy, "privileged") == 0) return privileged;
    return false;
}

bool gh_mfa_idp_asserted(const json_t *claims, const char *acr)
{
    const json_t *amr = json_object_get(claims, "amr");
    size_t i;
    const json_t *v;
    if (json_is_array(amr))
        json_array_foreach(amr, i, v) if (json_is_string(v) && strcmp(json_string_value(v), "mfa") == 0) return true;
    const char *got = json_string_value(json_object_get(claims, "acr"));
    return acr && *acr && got && strcmp(got, acr) == 0;
}

/* 32 symbols, 5 bits each; no l, o, 0 or 1 to misread. */
static const char RECOVERY_ALPHABET[] = "abcdefghijkmnpqrstuvwxyz23456789";

bool gh_mfa_recovery_normalise(const char *in, char out[17])
{
    size_t k = 0;
    out[0] = '\0';
    if (!in) return false;
    for (const char *p = in; *p; p++) {
        char c = *p;
        if (c == '-' || c == ' ') continue;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (!strchr(RECOVERY_ALPHABET, c) || k == 16) return false;
        out[k++] = c;
    }
    out[k] = '\0';
    return k == 16;
}

/* A recovery code's stored form. The codes carry 80 random bits, so a fast
 * hash is enough: a stolen table cannot be searched in any useful time, and
 * argon2id would only make every sign-in with a code cost a hashing slot.
 * BLAKE2b is keyed with the person (org and user id), so a hash copied into
 * another person's rows matches nothing. */
static void recovery_hash(const char *org_id, const char *user_id, const char norm[17],
                          char out[GH_HASH_HEX_LEN + 1])
{
    unsigned char key[crypto_generichash_KEYBYTES], h[32];
    char who[2 * GH_ID_MAX + 8];
    snprintf(who, sizeof who, "%s:%s", org_id, user_id);
    crypto_generichash(key, sizeof key, (const unsigned char *)who, strlen(who), NULL, 0);
    crypto_generichash(h, sizeof h, (const unsigned char *)norm, strlen(norm), key, sizeof key);
    sodium_bin2hex(out, GH_HASH_HEX_LEN + 1, h, sizeof h);
    sodium_memzero(key, sizeof key);
}

static void recovery_new(char out[GH_MFA_RECOVERY_LEN + 1], char norm[17])
{
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        char c = RECOVERY_ALPHABET[randombytes_uniform(32)];
        norm[i] = c;
        if (i && i % 4 == 0) out[k++] = '-';
        out[k++] = c;
    }
    norm[16] = '\0';
    out[k] = '\0';
}

void gh_mfa_result_wipe(gh_mfa_result *r) { sodium_memzero(r, sizeof *r); }

void gh_mfa_enrolment_free(gh_mfa_enrolment *e)
{
    char *p[] = {e->uri, e->secret, e->qr_svg};
    for (size_t i = 0; i < 3; i++)
        if (p[i]) { sodium_memzero(p[i], strlen(p[i])); free(p[i]); }
    memset(e, 0, sizeof *e);
}

/* ---- helpers --------------------------------------------------------------------------- */
static void seal_context(const gh_mfa_factor *f, char *out, size_t cap)
{
    snprintf(out, cap, "mfa_totp:%s:%s:%s", f->org_id, f->user_id, f->id);
}

/* Whether u holds users.manage or it.operations (inside the transaction). */
static gh_status privileged(gh_ctx *ctx, const gh_org *o, const gh_user *u, bool *out)
{
    bool a = false, b = false;
    gh_status st = gh_guard_user_holds(ctx, o, u, "users.manage", &a);
    if (st == GH_OK) st = gh_guard_user_holds(ctx, o, u, "it.operations", &b);
    *out = a || b;
    return st;
}

gh_status gh_mfa_required_for(gh_ctx *ctx, const gh_org *o, const gh_user *u, const gh_mfa_policy *p, bool *req)
{
    bool priv = false;
    *req = false;
    if (strcmp(p->policy, "privileged") == 0) {
        gh_status st = privileged(ctx, o, u, &priv);
        if (st != GH_OK) return st;
    }
    *req = gh_mfa_policy_requires(p->policy, priv);
    return GH_OK;
}

static bool has_confirmed_totp(gh_ctx *ctx, const char *org_id, const char *user_id, gh_mfa_factor *f, gh_status *st)
{
    gh_err e = {0};
    *st = gh_store_mfa_factor_get(ctx->db, org_id, user_id, "totp", f, &e);
    if (*st == GH_E_NOT_FOUND) { *st = GH_OK; gh_err_clear(&e); return false; }
    if (*st != GH_OK) { ctx->err = e; return false; }
    return f->confirmed;
}

gh_status gh_mfa_idp_counts(gh_ctx *ctx, const char *org_id, const json_t *claims, bool *counts)
{
    gh_mfa_policy p;
    *counts = false;
    gh_status st = gh_store_mfa_policy_get(ctx->db, org_id, &p, &ctx->err);
    if (st != GH_OK) return st;
    *counts = claims && p.sso_counts && gh_mfa_idp_asserted(claims, p.sso_acr);
    return GH_OK;
}

gh_status gh_mfa_signin_step(gh_ctx *ctx, const gh_org *o, const gh_user *u, const json_t *idp_claims,
                             char pending[8])
{
    gh_mfa_policy p;
    gh_mfa_factor *f = calloc(1, sizeof *f);
    gh_status st;
    bool req = false;
    pending[0] = '\0';
    if (!f) return gh_ctx_oom(ctx);
    if ((st = gh_store_mfa_policy_get(ctx->db, o->id, &p, &ctx->err)) != GH_OK) goto out;
    if (idp_claims && p.sso_counts && gh_mfa_idp_asserted(idp_claims, p.sso_acr)) goto out; /* the IdP did it */
    bool has = has_confirmed_totp(ctx, o->id, u->id, f, &st);
    if (st != GH_OK) goto out;
    if (!has) has = gh_store_wa_cred_count(ctx->db, o->id, u->id) > 0; /* a passkey or security key */
    if (has) { gh_strlcpy(pending, "verify", 8); goto out; }
    if ((st = gh_mfa_required_for(ctx, o, u, &p, &req)) != GH_OK) goto out;
    if (req) gh_strlcpy(pending, "enrol", 8);
out:
    sodium_memzero(f, sizeof *f);
    free(f);
    return st;
}

/* ---- the throttle ---------------------------------------------------------------------- */
typedef struct { char key[2 * GH_ID_MAX + 8]; bool held; } mfa_guard;

static gh_status guard_enter(gh_ctx *ctx, mfa_guard *g)
{
    snprintf(g->key, sizeof g->key, "mfa:%s:%s", ctx->actor.org_id, ctx->actor.id);
    int wait = 0;
    g->held = gh_throttle_reserve(g->key, gh_now(), &wait);
    if (g->held) return GH_OK;
    ctx->err.retry_after = wait;
    return gh_fail(&ctx->err, GH_E_THROTTLED, "too_many_attempts", "too many wrong codes; try again later");
}

static void guard_leave(mfa_guard *g, bool failed)
{
    if (!g->held) return;
    gh_throttle_release(g->key, gh_now(), failed, GH_MFA_FREE_FAILURES);
    g->held = false;
}

/* A refused code, audited in its own transaction (the caller's was rolled back). */
static void failure_audit(gh_ctx *ctx, const char *purpose, const char *factor, const char *reason)
{
    gh_audit_alone(ctx, NULL, "auth.mfa_failed", "user", ctx->actor.id,
                   json_pack("{s:s, s:s, s:s}", "purpose", purpose, "factor", factor, "reason", reason));
}

/* ---- checking a code (inside the open transaction) ----------------------------------- */
typedef enum { CHECK_USE, CHECK_CONFIRM } check_mode;

/* Checks a TOTP code of the actor against factor f and records its step.
 * On a refusal ctx->err says why (400 invalid_code / code_reused on field). */
static gh_status check_totp(gh_ctx *ctx, gh_mfa_factor *f, const char *code, const char *field, check_mode mode)
{
    char sctx[3 * GH_ID_MAX + 16];
    unsigned char secret[GH_TOTP_SECRET_LEN + 1];
    size_t n = 0;
    int64_t step = 0, now = gh_now();
    gh_status st;
    seal_context(f, sctx, sizeof sctx);
    if ((st = gh_secretbox_open(sctx, f->secret, (char *)secret, sizeof secret, &n, &ctx->err)) != GH_OK) return st;
    gh_totp_result r = gh_totp_verify(secret, n, now, code, f->last_step, &step);
    /* Key rotation (core/secretbox.h): a secret sealed under an older key is
     * sealed again under the current one when it is next used. */
    if (r == GH_TOTP_OK && strcmp(f->secret_kid, gh_secretbox_current_kid()) != 0) {
        char *sealed = malloc(GH_MFA_SEALED_MAX);
        if (!sealed) { sodium_memzero(secret, sizeof secret); return gh_ctx_oom(ctx); }
        st = gh_secretbox_seal(sctx, secret, n, sealed, GH_MFA_SEALED_MAX, &ctx->err);
        if (st == GH_OK)
            st = gh_store_mfa_factor_reseal(ctx->db, f->org_id, f->id, sealed, gh_secretbox_current_kid(), &ctx->err);
        free(sealed);
        if (st != GH_OK) { sodium_memzero(secret, sizeof secret); return st; }
    }
    sodium_memzero(secret, sizeof secret);
    if (r == GH_TOTP_WRONG)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_code", field, "the code is not correct");
    if (r == GH_TOTP_REUSED)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "code_reused", field,
                             "this code was used already; wait for the next one");
    if (mode == CHECK_CONFIRM) return gh_store_mfa_factor_confirm(ctx->db, f->org_id, f->id, step, now, &ctx->err);
    bool won = false;
    if ((st = gh_store_mfa_factor_use_step(ctx->db, f->org_id, f->id, step, now, &won, &ctx->err)) != GH_OK) return st;
    if (!won)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "code_reused", field,
                             "this code was used already; wait for the next one");
    return GH_OK;
}

static gh_status check_recovery(gh_ctx *ctx, const char *code, const char *field)
{
    char norm[17], h[GH_HASH_HEX_LEN + 1];
    bool won = false;
    gh_status st = GH_OK;
    if (gh_mfa_recovery_normalise(code, norm)) {
        recovery_hash(ctx->actor.org_id, ctx->actor.id, norm, h);
        st = gh_store_mfa_recovery_use(ctx->db, ctx->actor.org_id, ctx->actor.id, h, gh_now(), &won, &ctx->err);
    }
    sodium_memzero(norm, sizeof norm);
    if (st != GH_OK) return st;
    if (!won) return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_code", field,
                                   "this recovery code is not correct or was used already");
    return GH_OK;
}

/* Replaces n recovery codes of the actor with new ones, into res. */
static gh_status recovery_issue(gh_ctx *ctx, gh_mfa_result *res)
{
    gh_status st = gh_store_mfa_recovery_delete(ctx->db, ctx->actor.org_id, ctx->actor.id, &ctx->err);
    char norm[17], h[GH_HASH_HEX_LEN + 1];
    int64_t now = gh_now();
    res->ncodes = 0;
    for (int i = 0; i < GH_MFA_RECOVERY_N && st == GH_OK; i++) {
        recovery_new(res->codes[i], norm);
        recovery_hash(ctx->actor.org_id, ctx->actor.id, norm, h);
        st = gh_store_mfa_recovery_insert(ctx->db, ctx->actor.org_id, ctx->actor.id, h, now, &ctx->err);
        res->ncodes++;
    }
    sodium_memzero(norm, sizeof norm);
    return st;
}

/* Replaces the actor's pending session with a full one (new tokens). */
static gh_status upgrade_session(gh_ctx *ctx, const char *factor, gh_mfa_result *res)
{
    gh_org o;
    gh_status st;
    int64_t n = 0;
    char old[GH_ID_MAX];
    gh_strlcpy(old, ctx->actor.session_id, sizeof old);
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, &res->user, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_session_delete(ctx->db, o.id, res->user.id, old, &n, &ctx->err)) != GH_OK) return st;
    if ((st = gh_session_open(ctx, &o, &res->user, "office", res->token, res->csrf, &res->session)) != GH_OK) return st;
    gh_strlcpy(ctx->actor.session_id, res->session.id, sizeof ctx->actor.session_id);
    ctx->actor.mfa_pending[0] = '\0';
    res->session_opened = true;
    return gh_audit(ctx, NULL, "auth.mfa_verified", "session", res->session.id,
                    json_pack("{s:s, s:s}", "factor", factor, "pending_session", old));
}

gh_status gh_mfa_enrolment_complete(gh_ctx *ctx, const char *factor, gh_mfa_result *res)
{
    if (strcmp(ctx->actor.mfa_pending, "enrol") != 0) return GH_OK;
    gh_status st = GH_OK;
    /* A first factor set up at sign-in comes with recovery codes, as an
     * authenticator app's does, unless the person still has some. */
    if (gh_store_mfa_recovery_left(ctx->db, ctx->actor.org_id, ctx->actor.id) == 0 &&
        (st = recovery_issue(ctx, res)) != GH_OK)
        return st;
    return upgrade_session(ctx, factor, res);
}

gh_status gh_mfa_mail_person(gh_ctx *ctx, const char *user_id, const char *kind)
{
    gh_org o;
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    if (!u) return gh_ctx_oom(ctx);
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) == GH_OK &&
        (st = gh_store_user_get(ctx->db, ctx->actor.org_id, user_id, u, &ctx->err)) == GH_OK && u->email[0]) {
        char left[24];
        snprintf(left, sizeof left, "%lld", (long long)gh_store_mfa_recovery_left(ctx->db, o.id, u->id));
        gh_mail_var vars[] = {{"org", o.name}, {"name", u->name}, {"left", left}, {NULL, NULL}};
        st = gh_mail_lang(ctx, o.id, kind, u->email, u->language, vars, NULL, 0);
    }
    free(u);
    return st;
}

/* ---- the second step ---------------------------------------------------------------------- */
typedef struct {
    const char *code;
    const char *recovery_code;
    const char *factor;
    gh_mfa_factor *f;
    gh_mfa_result *res;
    bool failed; /* the code was wrong */
} verify_op;

static gh_status verify_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    (void)tx; /* its events are written in order with the mail notice */
    verify_op *op = arg;
    gh_status st;
    if (op->recovery_code) {
        st = check_recovery(ctx, op->recovery_code, "recovery_code");
    } else {
        bool has = has_confirmed_totp(ctx, ctx->actor.org_id, ctx->actor.id, op->f, &st);
        if (st == GH_OK && !has)
            st = gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_not_enrolled", "there is no authenticator app to check");
        if (st == GH_OK) st = check_totp(ctx, op->f, op->code, "code", CHECK_USE);
    }
    if (st != GH_OK) {
        op->failed = st == GH_E_INVALID;
        return st;
    }
    if (op->recovery_code) {
        if ((st = gh_audit(ctx, NULL, "mfa.recovery_code_used", "user", ctx->actor.id,
                           json_pack("{s:I}", "left", (json_int_t)gh_store_mfa_recovery_left(ctx->db, ctx->actor.org_id,
                                                                                               ctx->actor.id)))) != GH_OK)
            return st;
        if ((st = gh_mfa_mail_person(ctx, ctx->actor.id, "mfa_recovery_used")) != GH_OK) return st;
    }
    return upgrade_session(ctx, op->factor, op->res);
}

gh_status gh_mfa_verify(gh_ctx *ctx, const char *code, const char *recovery_code, gh_mfa_result *res)
{
    mfa_guard g = {0};
    gh_mfa_factor *f = NULL;
    gh_status st;
    const char *factor = recovery_code ? "recovery_code" : "totp";
    memset(res, 0, sizeof *res);
    if ((code == NULL) == (recovery_code == NULL))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "code", "give either 'code' or 'recovery_code'");
    if (strcmp(ctx->actor.mfa_pending, "verify") != 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_not_pending", "this session is not waiting for a second factor");
    if (!(f = calloc(1, sizeof *f))) return gh_ctx_oom(ctx);
    verify_op op = {.code = code, .recovery_code = recovery_code, .factor = factor, .f = f, .res = res};
    if ((st = guard_enter(ctx, &g)) == GH_OK) {
        st = gh_tx_run(ctx, verify_change, &op);
        if (op.failed) failure_audit(ctx, "sign_in", factor, ctx->err.code);
    }
    guard_leave(&g, op.failed);
    if (st != GH_OK) gh_mfa_result_wipe(res);
    sodium_memzero(f, sizeof *f);
    free(f);
    return st;
}

gh_status gh_mfa_verify_webauthn(gh_ctx *ctx, const char *cred_id, const char *client_data, const char *auth_data,
                                 const char *sig, gh_mfa_result *res)
{
    mfa_guard g = {0};
    gh_status st;
    bool failed = false;
    memset(res, 0, sizeof *res);
    if (strcmp(ctx->actor.mfa_pending, "verify") != 0)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_not_pending", "this session is not waiting for a second factor");
    if ((st = guard_enter(ctx, &g)) != GH_OK) return st;
    /* Not gh_tx_run: a refused answer commits the challenge it used up (below). */
    if ((st = gh_tx_begin(ctx)) != GH_OK) goto out;
    if ((st = gh_webauthn_assert_check(ctx, cred_id, client_data, auth_data, sig)) != GH_OK) {
        failed = st == GH_E_INVALID || st == GH_E_FORBIDDEN;
        /* The challenge was taken: keep that even though the answer is refused. */
        if (failed) {
            gh_err keep = ctx->err;
            ctx->err = (gh_err){0};
            if (gh_db_commit(ctx->db, &ctx->err) != GH_OK) gh_db_rollback(ctx->db);
            gh_err_clear(&ctx->err);
            ctx->err = keep;
            failure_audit(ctx, "sign_in", "webauthn", ctx->err.code);
            goto out;
        }
        goto fail;
    }
    if ((st = upgrade_session(ctx, "webauthn", res)) != GH_OK) goto fail;
    st = gh_tx_commit_and_refresh(ctx);
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    guard_leave(&g, failed);
    if (st != GH_OK) gh_mfa_result_wipe(res);
    return st;
}

gh_status gh_mfa_reauth_check_webauthn(gh_ctx *ctx, const char *cred_id, const char *client_data,
                                       const char *auth_data, const char *sig)
{
    mfa_guard g = {0};
    gh_status st;
    bool failed = false;
    if ((st = guard_enter(ctx, &g)) != GH_OK) return st;
    /* Not gh_tx_run: a refused answer commits the challenge it used up (below). */
    if ((st = gh_tx_begin(ctx)) != GH_OK) goto out;
    if ((st = gh_webauthn_assert_check(ctx, cred_id, client_data, auth_data, sig)) != GH_OK) {
        failed = st == GH_E_INVALID || st == GH_E_FORBIDDEN;
        /* The challenge was taken: keep that even though the answer is refused. */
        if (failed) {
            gh_err keep = ctx->err;
            ctx->err = (gh_err){0};
            if (gh_db_commit(ctx->db, &ctx->err) != GH_OK) gh_db_rollback(ctx->db);
            gh_err_clear(&ctx->err);
            ctx->err = keep;
            failure_audit(ctx, "reauth", "webauthn", ctx->err.code);
            goto out;
        }
        goto fail;
    }
    if ((st = gh_audit(ctx, NULL, "auth.mfa_verified", "user", ctx->actor.id,
                       json_pack("{s:s, s:s}", "factor", "webauthn", "purpose", "reauth"))) != GH_OK)
        goto fail;
    st = gh_tx_commit_and_refresh(ctx);
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    guard_leave(&g, failed);
    return st;
}

gh_status gh_mfa_reauth_factor(gh_ctx *ctx, const char *otp, const char *otp_field, const json_t *webauthn,
                               const char *wa_field, bool must, const char **kind)
{
    *kind = "";
    if (webauthn) {
        gh_status st = gh_mfa_reauth_check_webauthn(
            ctx, json_string_value(json_object_get(webauthn, "id")), json_string_value(json_object_get(webauthn, "client_data")),
            json_string_value(json_object_get(webauthn, "authenticator_data")),
            json_string_value(json_object_get(webauthn, "signature")));
        if (st == GH_OK) *kind = "passkey";
        return st;
    }
    gh_mfa_factor *f = calloc(1, sizeof *f);
    gh_status st;
    if (!f) return gh_ctx_oom(ctx);
    bool has_totp = has_confirmed_totp(ctx, ctx->actor.org_id, ctx->actor.id, f, &st);
    sodium_memzero(f, sizeof *f);
    free(f);
    if (st != GH_OK) return st;
    if (has_totp && (otp || must)) {
        if ((st = gh_mfa_reauth_check(ctx, otp, otp_field)) == GH_OK) *kind = "otp";
        return st;
    }
    if (must && gh_store_wa_cred_count(ctx->db, ctx->actor.org_id, ctx->actor.id) > 0)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "webauthn_required", wa_field,
                             "give your passkey or security key with it (options: POST /v1/me/reauth/webauthn/options)");
    return GH_OK;
}

/* ---- enrolment --------------------------------------------------------------------------------- */
static gh_status not_while_verifying(gh_ctx *ctx)
{
    if (strcmp(ctx->actor.mfa_pending, "verify") == 0)
        return gh_fail(&ctx->err, GH_E_PRECONDITION, "mfa_required", "give your second factor first");
    return GH_OK;
}

typedef struct {
    gh_mfa_factor *f, *cur;
    gh_user *u;
    gh_mfa_enrolment *out;
} totp_begin_op;

static gh_status totp_begin_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    totp_begin_op *op = arg;
    gh_mfa_factor *f = op->f;
    gh_user *u = op->u;
    gh_mfa_enrolment *out = op->out;
    unsigned char secret[GH_TOTP_SECRET_LEN];
    char b32[GH_TOTP_B32_MAX], sctx[3 * GH_ID_MAX + 16];
    gh_org o;
    gh_status st;
    if (has_confirmed_totp(ctx, ctx->actor.org_id, ctx->actor.id, op->cur, &st))
        return gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_already_enrolled",
                       "an authenticator app is set up already; remove it first");
    if (st != GH_OK) return st;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_mfa_factor_delete(ctx->db, o.id, u->id, "totp", true, NULL, &ctx->err)) != GH_OK) return st;
    randombytes_buf(secret, sizeof secret);
    gh_id_new("mfa", f->id);
    gh_strlcpy(f->org_id, o.id, sizeof f->org_id);
    gh_strlcpy(f->user_id, u->id, sizeof f->user_id);
    gh_strlcpy(f->kind, "totp", sizeof f->kind);
    gh_strlcpy(f->label, "Authenticator app", sizeof f->label);
    f->created_at = gh_now();
    seal_context(f, sctx, sizeof sctx);
    st = gh_secretbox_seal(sctx, secret, sizeof secret, f->secret, sizeof f->secret, &ctx->err);
    if (st == GH_OK) {
        gh_strlcpy(f->secret_kid, gh_secretbox_current_kid(), sizeof f->secret_kid);
        st = gh_store_mfa_factor_insert(ctx->db, f, &ctx->err);
    }
    if (st == GH_OK) st = gh_audit(ctx, NULL, "mfa.totp_enrolment_started", "user", u->id, NULL);
    if (st == GH_OK &&
        (gh_totp_base32(secret, sizeof secret, b32) != 0 || !(out->secret = strdup(b32)) ||
         !(out->uri = gh_totp_uri(o.name, u->email[0] ? u->email : u->name, b32)) || !(out->qr_svg = gh_qr_svg(out->uri))))
        st = gh_ctx_oom(ctx);
    (void)tx; /* its event is written before the answer is built, as always */
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(b32, sizeof b32);
    return st;
}

gh_status gh_mfa_totp_begin(gh_ctx *ctx, gh_mfa_enrolment *out)
{
    gh_mfa_factor *f = calloc(1, sizeof *f), *cur = calloc(1, sizeof *cur);
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    memset(out, 0, sizeof *out);
    totp_begin_op op = {.f = f, .cur = cur, .u = u, .out = out};
    if (!f || !cur || !u) st = gh_ctx_oom(ctx);
    else if ((st = not_while_verifying(ctx)) == GH_OK) st = gh_tx_run(ctx, totp_begin_change, &op);
    if (st != GH_OK) gh_mfa_enrolment_free(out);
    if (f) sodium_memzero(f, sizeof *f);
    if (cur) sodium_memzero(cur, sizeof *cur);
    free(f);
    free(cur);
    free(u);
    return st;
}

typedef struct {
    const char *code;
    gh_mfa_factor *f;
    gh_mfa_result *res;
    bool failed; /* the code was wrong */
} totp_confirm_op;

static gh_status totp_confirm_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    totp_confirm_op *op = arg;
    gh_mfa_factor *f = op->f;
    gh_err e = {0};
    gh_status st = gh_store_mfa_factor_get(ctx->db, ctx->actor.org_id, ctx->actor.id, "totp", f, &e);
    if (st == GH_OK && f->confirmed)
        st = gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_already_enrolled", "this authenticator app is confirmed already");
    else if (st == GH_E_NOT_FOUND)
        st = gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_not_enrolled", "start setting up an authenticator app first");
    else if (st != GH_OK)
        ctx->err = e, e = (gh_err){0};
    gh_err_clear(&e);
    if (st != GH_OK) return st;
    if ((st = check_totp(ctx, f, op->code, "code", CHECK_CONFIRM)) != GH_OK) {
        op->failed = st == GH_E_INVALID;
        return st;
    }
    if ((st = recovery_issue(ctx, op->res)) != GH_OK) return st;
    /* Its event is written before the session is upgraded, as always. */
    (void)tx;
    if ((st = gh_audit(ctx, NULL, "mfa.totp_enrolled", "user", ctx->actor.id,
                       json_pack("{s:I}", "recovery_codes", (json_int_t)op->res->ncodes))) != GH_OK)
        return st;
    if (strcmp(ctx->actor.mfa_pending, "enrol") == 0) return upgrade_session(ctx, "totp", op->res);
    return GH_OK;
}

gh_status gh_mfa_totp_confirm(gh_ctx *ctx, const char *code, gh_mfa_result *res)
{
    mfa_guard g = {0};
    gh_mfa_factor *f = calloc(1, sizeof *f);
    gh_status st;
    memset(res, 0, sizeof *res);
    if (!f) return gh_ctx_oom(ctx);
    totp_confirm_op op = {.code = code, .f = f, .res = res};
    if ((st = not_while_verifying(ctx)) == GH_OK && (st = guard_enter(ctx, &g)) == GH_OK) {
        st = gh_tx_run(ctx, totp_confirm_change, &op);
        if (op.failed) failure_audit(ctx, "enrolment", "totp", ctx->err.code);
    }
    guard_leave(&g, op.failed);
    if (st != GH_OK) gh_mfa_result_wipe(res);
    sodium_memzero(f, sizeof *f);
    free(f);
    return st;
}

/* A change that first asks the actor for a current TOTP code. */
typedef struct {
    const char *code;
    const char *field;
    gh_tx_change_fn then;
    void *arg;
    bool failed; /* the code was wrong */
} code_op;

static gh_status code_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    code_op *op = arg;
    gh_mfa_factor *f = calloc(1, sizeof *f);
    gh_status st;
    if (!f) return gh_ctx_oom(ctx);
    bool has = has_confirmed_totp(ctx, ctx->actor.org_id, ctx->actor.id, f, &st);
    if (st == GH_OK && !has)
        st = gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_not_enrolled", "no authenticator app is set up");
    if (st == GH_OK && !op->code)
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "otp_required", op->field,
                           "give a current code of your authenticator app");
    if (st == GH_OK && (st = check_totp(ctx, f, op->code, op->field, CHECK_USE)) != GH_OK) op->failed = st == GH_E_INVALID;
    sodium_memzero(f, sizeof *f);
    free(f);
    if (st != GH_OK) return st;
    return op->then(ctx, tx, op->arg);
}

/* Runs change in a transaction in which the actor proved a current TOTP
 * code (a wrong one is audited after the rollback, and counted). */
static gh_status run_with_code(gh_ctx *ctx, const char *code, const char *field, const char *purpose,
                               gh_tx_change_fn change, void *arg)
{
    mfa_guard g = {0};
    code_op op = {.code = code, .field = field, .then = change, .arg = arg};
    gh_status st;
    if ((st = not_while_verifying(ctx)) == GH_OK && (st = guard_enter(ctx, &g)) == GH_OK) {
        st = gh_tx_run(ctx, code_change, &op);
        if (op.failed) failure_audit(ctx, purpose, "totp", ctx->err.code);
    }
    guard_leave(&g, op.failed);
    return st;
}

static gh_status totp_remove_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    (void)arg;
    int64_t n = 0;
    gh_status st;
    if ((st = gh_store_mfa_factor_delete(ctx->db, ctx->actor.org_id, ctx->actor.id, "totp", false, &n, &ctx->err)) != GH_OK ||
        (st = gh_store_mfa_recovery_delete(ctx->db, ctx->actor.org_id, ctx->actor.id, &ctx->err)) != GH_OK)
        return st;
    gh_tx_event(tx, "mfa.totp_removed", "user", ctx->actor.id, NULL);
    return GH_OK;
}

gh_status gh_mfa_totp_remove(gh_ctx *ctx, const char *code)
{
    return run_with_code(ctx, code, "code", "remove", totp_remove_change, NULL);
}

static gh_status recovery_regenerate_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    gh_mfa_result *res = arg;
    gh_status st = recovery_issue(ctx, res);
    if (st != GH_OK) return st;
    gh_tx_event(tx, "mfa.recovery_codes_generated", "user", ctx->actor.id,
                json_pack("{s:I}", "recovery_codes", (json_int_t)res->ncodes));
    return GH_OK;
}

gh_status gh_mfa_recovery_regenerate(gh_ctx *ctx, const char *code, gh_mfa_result *res)
{
    memset(res, 0, sizeof *res);
    gh_status st = run_with_code(ctx, code, "code", "recovery_codes", recovery_regenerate_change, res);
    if (st != GH_OK) gh_mfa_result_wipe(res);
    return st;
}

static gh_status reauth_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    (void)arg;
    gh_tx_event(tx, "auth.mfa_verified", "user", ctx->actor.id,
                json_pack("{s:s, s:s}", "factor", "totp", "purpose", "reauth"));
    return GH_OK;
}

gh_status gh_mfa_reauth_check(gh_ctx *ctx, const char *code, const char *field)
{
    gh_mfa_factor *f = calloc(1, sizeof *f);
    gh_status st;
    if (!f) return gh_ctx_oom(ctx);
    bool has = has_confirmed_totp(ctx, ctx->actor.org_id, ctx->actor.id, f, &st);
    sodium_memzero(f, sizeof *f);
    free(f);
    if (st != GH_OK || !has) return st;
    return run_with_code(ctx, code, field, "reauth", reauth_change, NULL);
}
