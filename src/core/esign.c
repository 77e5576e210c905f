/* Electronic signatures (core/esign.h). */
#include "core/esign.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/guard.h"
#include "core/mfa.h"
#include "core/oidc.h"
#include "core/secret.h"
#include "util/json.h"
#include "util/util.h"

static const char *const meanings[] = {"reviewed", "approved", "released", "performed", "verified", "rejected",
                                       "authored", "witnessed", NULL};

bool gh_esign_meaning_ok(const char *meaning)
{
    for (size_t i = 0; meaning && meanings[i]; i++)
        if (strcmp(meanings[i], meaning) == 0) return true;
    return false;
}

/* One field into the hash: its length (8 bytes, big-endian) and its bytes. */
static void feed(crypto_hash_sha256_state *h, const char *s)
{
    size_t n = strlen(s);
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
    crypto_hash_sha256_update(h, len, sizeof len);
    crypto_hash_sha256_update(h, (const unsigned char *)s, n);
}

static void feed_i64(crypto_hash_sha256_state *h, int64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    feed(h, b);
}

void gh_esign_link_hash(const gh_signature *s, char out[GH_SIG_HASH_HEX])
{
    crypto_hash_sha256_state h;
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&h);
    feed(&h, "gatehouse-signature-v1");
    feed(&h, s->prev_hash);
    feed_i64(&h, s->seq);
    feed(&h, s->id);
    feed(&h, s->org_id);
    feed(&h, s->signer_id);
    feed(&h, s->signer_name);
    feed(&h, s->signer_email);
    feed(&h, s->on_behalf_id);
    feed(&h, s->on_behalf_name);
    feed(&h, s->record_type);
    feed(&h, s->record_ref);
    feed(&h, s->content_hash);
    feed(&h, s->meaning);
    feed(&h, s->method);
    feed_i64(&h, s->signed_at);
    crypto_hash_sha256_final(&h, d);
    sodium_bin2hex(out, GH_SIG_HASH_HEX, d, sizeof d);
}

static bool printable(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

gh_status gh_esign_validate(gh_ctx *ctx, const gh_esign_req *req)
{
    if (!req->record_type || !printable(req->record_type, 200))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "record_type",
                             "record_type must be 1 to 200 printable characters");
    if (!req->record_ref || !printable(req->record_ref, 200))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "record_ref",
                             "record_ref must be 1 to 200 printable characters");
    if (!gh_esign_meaning_ok(req->meaning))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "meaning",
                             "meaning must be one of reviewed, approved, released, performed, verified, rejected, "
                             "authored, witnessed");
    if (req->content_hash) {
        size_t n = strlen(req->content_hash);
        bool ok = n > 0 && n <= 200;
        for (const char *p = req->content_hash; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 strchr(":+/=_-", *p) != NULL;
        if (!ok)
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "content_hash",
                                 "content_hash must be 1 to 200 characters of letters, digits and :+/=_-");
    }
    if (req->on_behalf_of && (!*req->on_behalf_of || strlen(req->on_behalf_of) >= GH_ID_MAX))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "on_behalf_of", "not a person's id");
    return GH_OK;
}

gh_status gh_esign_precheck(gh_ctx *ctx)
{
    bool enabled = false;
    if (ctx->actor.type != GH_ACTOR_USER || ctx->actor.kiosk)
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "esign_not_enabled", "only a person can sign electronically");
    gh_status st = gh_store_esign_enabled(ctx->db, ctx->actor.org_id, ctx->actor.id, &enabled, &ctx->err);
    if (st != GH_OK) return st;
    if (!enabled)
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "esign_not_enabled",
                       "your account is not enabled for electronic signatures");
    return GH_OK;
}

static json_t *sig_json(const gh_signature *s)
{
    json_t *o = json_pack("{s:s, s:I, s:{s:s, s:s, s:s}, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "id", s->id, "seq",
                          (json_int_t)s->seq, "signer", "id", s->signer_id, "name", s->signer_name, "email",
                          s->signer_email, "record_type", s->record_type, "record_ref", s->record_ref, "meaning",
                          s->meaning, "method", s->method, "content_hash", s->content_hash, "signed_at",
                          gh_json_time(s->signed_at), "hash", s->hash);
    if (o)
        json_object_set_new(o, "on_behalf_of",
                            s->on_behalf_id[0] ? json_pack("{s:s, s:s}", "id", s->on_behalf_id, "name", s->on_behalf_name)
                                               : json_null());
    return o;
}

/* Records a refused signing attempt in a transaction of its own. */
static void audit_refusal(gh_ctx *ctx, const char *reason, const char *method)
{
    gh_audit_alone(ctx, NULL, "signature.failed", "user", ctx->actor.id,
                   json_pack("{s:s, s:s}", "reason", reason, "method", method));
}

/* Inside the open transaction: the signer's row u still matches the proof
 * checked before the transaction (nothing changed meanwhile); an SSO
 * re-authentication is taken here (single use). *method is what the
 * signature records. */
static gh_status proof_current(gh_ctx *ctx, const gh_esign_proof *p, const gh_user *u, const char **method)
{
    *method = p->method;
    switch (p->kind) {
    case GH_ESIGN_SSO: {
        bool mfa = false;
        gh_status st = gh_oidc_reauth_consume(ctx, "esignature", GH_ESIGN_SSO_MAX_AGE_S, &mfa);
        if (st != GH_OK) return st;
        if (mfa) *method = "sso+mfa";
        else if (p->need_idp_mfa)
            return gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "sso_mfa_not_asserted", "credentials.sso_reauth",
                                 "your organization requires a second factor and your company sign-in did not "
                                 "assert one; give your authenticator code with it");
        return GH_OK;
    }
    case GH_ESIGN_PASSWORD:
        if (!gh_secret_eq(u->password_hash, p->hash))
            return gh_fail_field(&ctx->err, GH_E_CONFLICT, "password_changed", p->field,
                                 "the password was changed meanwhile; sign again");
        return GH_OK;
    case GH_ESIGN_PIN:
        if (strcmp(u->pin_hash, p->hash) != 0 || u->pin_blocked || u->pin_temporary || !u->factory_access)
            return gh_fail_field(&ctx->err, GH_E_CONFLICT, "pin_changed", "credentials.pin",
                                 "the PIN was changed or blocked meanwhile; sign again");
        return GH_OK;
    }
    return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "internal error");
}

/* A signature being made: the proof checked before the transaction, what
 * is signed, and the rows the change reads and writes. refused: the proof
 * no longer holds (the caller records the attempt once rolled back). */
typedef struct {
    const gh_esign_proof *p;
    const gh_esign_req *req;
    const char *method; /* what the signature records */
    bool refused;
    gh_user u[2];       /* the signer; the person signed for */
    gh_signature s;
} esign_sign_op;

static gh_status esign_sign_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    esign_sign_op *op = arg;
    const gh_esign_proof *p = op->p;
    const gh_esign_req *req = op->req;
    gh_user *u = op->u;
    gh_signature *s = &op->s;
    bool enabled = false;
    gh_status st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, &u[0], &ctx->err)) != GH_OK) return st;
    if ((st = proof_current(ctx, p, &u[0], &op->method)) != GH_OK) {
        op->refused = true;
        return st;
    }
    if (strcmp(u[0].status, "active") != 0) {
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "account_locked", "this account is locked; ask an administrator");
    }
    if ((st = gh_store_esign_enabled(ctx->db, ctx->actor.org_id, u[0].id, &enabled, &ctx->err)) != GH_OK) return st;
    if (!enabled) {
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "esign_not_enabled",
                       "your account is not enabled for electronic signatures");
    }
    if (req->on_behalf_of) {
        if ((st = gh_guard_require_perm(ctx, "qc.inspections.manage")) != GH_OK) return st;
        if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, req->on_behalf_of, &u[1], &ctx->err)) != GH_OK) {
            if (st == GH_E_NOT_FOUND) {
                gh_err_clear(&ctx->err);
                st = gh_fail_field(&ctx->err, GH_E_INVALID, "user_not_found", "on_behalf_of", "no such person");
            }
            return st;
        }
        if (strcmp(u[1].id, u[0].id) == 0) {
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "on_behalf_of",
                                 "leave on_behalf_of out to sign for yourself");
        }
        if ((st = gh_store_esign_enabled(ctx->db, ctx->actor.org_id, u[1].id, &enabled, &ctx->err)) != GH_OK) return st;
        if (!enabled) {
            return gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "esign_not_enabled", "on_behalf_of",
                                 "that person's account is not enabled for electronic signatures");
        }
    }
    if ((st = gh_store_sig_head(ctx->db, ctx->actor.org_id, &s->seq, s->prev_hash, &ctx->err)) != GH_OK) return st;
    s->seq++;
    gh_id_new("sig", s->id);
    gh_strlcpy(s->org_id, ctx->actor.org_id, sizeof s->org_id);
    gh_strlcpy(s->signer_id, u[0].id, sizeof s->signer_id);
    gh_strlcpy(s->signer_name, u[0].name, sizeof s->signer_name);
    gh_strlcpy(s->signer_email, u[0].email, sizeof s->signer_email);
    if (req->on_behalf_of) {
        gh_strlcpy(s->on_behalf_id, u[1].id, sizeof s->on_behalf_id);
        gh_strlcpy(s->on_behalf_name, u[1].name, sizeof s->on_behalf_name);
    }
    gh_strlcpy(s->record_type, req->record_type, sizeof s->record_type);
    gh_strlcpy(s->record_ref, req->record_ref, sizeof s->record_ref);
    gh_strlcpy(s->content_hash, req->content_hash ? req->content_hash : "", sizeof s->content_hash);
    gh_strlcpy(s->meaning, req->meaning, sizeof s->meaning);
    gh_strlcpy(s->method, op->method, sizeof s->method);
    s->signed_at = gh_now();
    gh_esign_link_hash(s, s->hash);
    if ((st = gh_store_sig_append(ctx->db, s, &ctx->err)) != GH_OK) return st;
    json_t *detail = json_pack("{s:s, s:s, s:s, s:I, s:s}", "record_ref", s->record_ref, "meaning", s->meaning,
                               "on_behalf_of", s->on_behalf_id, "seq", (json_int_t)s->seq, "method", s->method);
    if (detail && p->device_id && p->device_id[0]) json_object_set_new(detail, "device_id", json_string(p->device_id));
    gh_tx_event(tx, "signature.created", "signature", s->id, detail);
    return GH_OK;
}

gh_status gh_esign_sign(gh_ctx *ctx, const gh_esign_proof *p, const gh_esign_req *req, json_t **out)
{
    esign_sign_op *op = calloc(1, sizeof *op);
    gh_status st;
    *out = NULL;
    if (!op) return gh_ctx_oom(ctx);
    op->p = p;
    op->req = req;
    op->method = p->method;
    if ((st = gh_tx_run(ctx, esign_sign_change, op)) == GH_OK) {
        if (!(*out = sig_json(&op->s))) st = gh_ctx_oom(ctx);
    } else if (op->refused) {
        audit_refusal(ctx, ctx->err.code, p->method);
    }
    free(op);
    return st;
}

static bool add_json(const gh_signature *s, void *arg)
{
    return json_array_append_new(arg, sig_json(s)) == 0;
}

gh_status gh_esign_list(gh_ctx *ctx, const char *record_ref, json_t **out)
{
    json_t *items = json_array();
    if (!items) return gh_ctx_oom(ctx);
    gh_status st = gh_store_sig_each(ctx->db, ctx->actor.org_id, record_ref, add_json, items, &ctx->err);
    if (st != GH_OK) { json_decref(items); return st; }
    *out = items;
    return GH_OK;
}

gh_status gh_esign_head(gh_ctx *ctx, json_t **out)
{
    gh_esign_verdict v;
    gh_status st = gh_esign_verify(ctx->db, ctx->actor.org_id, &v, &ctx->err);
    if (st != GH_OK) return st;
    *out = json_pack("{s:I, s:s, s:I, s:b}", "seq", (json_int_t)v.head_seq, "hash", v.head_hash, "count",
                     (json_int_t)v.count, "intact", v.ok);
    if (*out && !v.ok)
        json_object_set_new(*out, "broken", json_pack("{s:I, s:s}", "seq", (json_int_t)v.broken_seq, "reason", v.reason));
    return *out ? GH_OK : gh_ctx_oom(ctx);
}

typedef struct {
    gh_esign_verdict *v;
    char prev[GH_SIG_HASH_HEX];
} walk;

static bool check_one(const gh_signature *s, void *arg)
{
    walk *w = arg;
    gh_esign_verdict *v = w->v;
    char h[GH_SIG_HASH_HEX];
    v->count++;
    const char *why = NULL;
    if (s->seq != v->count) why = "gap";
    else if (strcmp(s->prev_hash, w->prev) != 0) why = "link";
    else {
        gh_esign_link_hash(s, h);
        if (strcmp(h, s->hash) != 0) why = "hash";
    }
    if (why) {
        v->ok = false;
        v->reason = why;
        v->broken_seq = v->count;
        gh_strlcpy(v->broken_id, s->id, sizeof v->broken_id);
        return false;
    }
    gh_strlcpy(w->prev, s->hash, sizeof w->prev);
    return true;
}

gh_status gh_esign_verify(gh_db *db, const char *org_id, gh_esign_verdict *v, gh_err *err)
{
    walk w = {.v = v};
    memset(v, 0, sizeof *v);
    v->ok = true;
    v->reason = "";
    gh_status st = gh_store_sig_head(db, org_id, &v->head_seq, v->head_hash, err);
    if (st != GH_OK) return st;
    if ((st = gh_store_sig_each(db, org_id, NULL, check_one, &w, err)) != GH_OK) return st;
    /* The rows end where the head says: the newest were not removed. */
    if (v->ok && (v->count != v->head_seq || strcmp(w.prev, v->head_hash) != 0)) {
        v->ok = false;
        v->reason = "head";
        v->broken_seq = v->count + 1 > v->head_seq ? v->count : v->count + 1;
    }
    return GH_OK;
}

/* Someone's signing being enabled or disabled, and their row. */
typedef struct {
    const char *user_id;
    bool enabled;
    gh_user u;
} esign_set_op;

/* Commits even when nothing changed (no event then), as it always did. */
static gh_status esign_set_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    esign_set_op *op = arg;
    gh_user *u = &op->u;
    gh_org o;
    bool changed = false;
    gh_status st;
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, op->user_id, u, &ctx->err)) != GH_OK) return st;
    if ((st = gh_guard_target(ctx, &o, u)) != GH_OK) return st;
    if ((st = gh_store_esign_set(ctx->db, o.id, u->id, op->enabled, ctx->actor.id, gh_now(), &changed, &ctx->err)) !=
        GH_OK)
        return st;
    if (changed) gh_tx_event(tx, op->enabled ? "user.esign_enabled" : "user.esign_disabled", "user", u->id, NULL);
    return GH_OK;
}

gh_status gh_esign_set(gh_ctx *ctx, const char *user_id, bool enabled, json_t **out)
{
    esign_set_op *op = calloc(1, sizeof *op);
    gh_status st;
    *out = NULL;
    if (!op) return gh_ctx_oom(ctx);
    op->user_id = user_id;
    op->enabled = enabled;
    if ((st = gh_tx_run(ctx, esign_set_change, op)) == GH_OK &&
        !(*out = json_pack("{s:s, s:b}", "user_id", op->u.id, "enabled", enabled)))
        st = gh_ctx_oom(ctx);
    free(op);
    return st;
}

gh_status gh_esign_get(gh_ctx *ctx, const char *user_id, json_t **out)
{
    gh_user *u = calloc(1, sizeof *u);
    gh_status st;
    bool enabled = false;
    *out = NULL;
    if (!u) return gh_ctx_oom(ctx);
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, user_id, u, &ctx->err)) != GH_OK) goto out;
    if ((st = gh_store_esign_enabled(ctx->db, ctx->actor.org_id, u->id, &enabled, &ctx->err)) != GH_OK) goto out;
    if (!(*out = json_pack("{s:s, s:b}", "user_id", u->id, "enabled", enabled))) st = gh_ctx_oom(ctx);
out:
    free(u);
    return st;
}
