/* Passkeys and security keys (core/webauthn.h). */
#include "core/webauthn.h"

#include <cbor.h>
#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <fido/rs256.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/guard.h"
#include "util/json.h"
#include "util/util.h"

#define CLIENT_DATA_MAX 4096
#define ATT_OBJ_MAX 16384
#define AUTH_DATA_MAX 4096
#define SIG_MAX 1024
#define CHALLENGE_LEN 32

/* A credential's name: 1..100 bytes, no control characters (the JSON
 * parser has checked UTF-8). */
static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 100) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

static gh_status invalid(gh_ctx *ctx, const char *field, const char *detail)
{
    return gh_fail_field(&ctx->err, GH_E_INVALID, "webauthn_invalid", field, "%s", detail);
}

bool gh_webauthn_rp(const char *base_url, char *rpid, size_t rpcap, char *origin, size_t ocap)
{
    const char *p = strstr(base_url ? base_url : "", "://");
    if (!p) return false;
    const char *host = p + 3, *end = host + strcspn(host, "/?#");
    size_t olen = (size_t)(end - base_url);
    if (end == host || olen + 1 > ocap) return false;
    memcpy(origin, base_url, olen);
    origin[olen] = '\0';
    const char *colon = host;
    if (*host == '[') return false; /* an IP literal is never an rpId */
    while (colon < end && *colon != ':') colon++;
    size_t hlen = (size_t)(colon - host);
    if (hlen == 0 || hlen + 1 > rpcap) return false;
    memcpy(rpid, host, hlen);
    rpid[hlen] = '\0';
    bool numeric = true;
    for (char *c = rpid; *c; c++) {
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
        if (!((*c >= '0' && *c <= '9') || *c == '.')) numeric = false;
    }
    return !numeric; /* an IPv4 address is not a relying-party id either */
}

static gh_status rp_of(gh_ctx *ctx, char rpid[256], char origin[512])
{
    if (!gh_webauthn_rp(gh_cfg()->base_url, rpid, 256, origin, 512))
        return gh_fail(&ctx->err, GH_E_CONFLICT, "webauthn_unavailable",
                       "passkeys need the server's base URL (--base-url) with a host name");
    return GH_OK;
}

static bool b64url_decode(const char *in, unsigned char *out, size_t cap, size_t *n)
{
    if (!in) return false;
    return sodium_base642bin(out, cap, in, strlen(in), "=", n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0;
}

static void b64url_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, p, n);
    sodium_bin2hex(out, 65, d, sizeof d);
}

typedef struct {
    const char *hash;
    const char *purpose;
} challenge_op;

static gh_status challenge_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    (void)tx;
    const challenge_op *op = arg;
    return gh_store_wa_challenge_insert(ctx->db, op->hash, ctx->actor.org_id, ctx->actor.id, op->purpose,
                                        gh_now() + GH_WA_CHALLENGE_S, &ctx->err);
}

/* A new challenge for the actor and purpose: stored hashed, in its own transaction. */
static gh_status new_challenge(gh_ctx *ctx, const char *purpose, char out[64])
{
    unsigned char raw[CHALLENGE_LEN];
    char hash[65];
    randombytes_buf(raw, sizeof raw);
    b64url_encode(raw, sizeof raw, out, 64);
    sha256_hex(out, strlen(out), hash);
    challenge_op op = {.hash = hash, .purpose = purpose};
    return gh_tx_run(ctx, challenge_change, &op);
}

/* Checks clientDataJSON (decoded into cd) inside the open transaction: type,
 * origin, and takes its challenge. */
static gh_status check_client_data(gh_ctx *ctx, const unsigned char *cd, size_t n, const char *type, const char *purpose,
                                   const char *origin)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)cd, n, 0, &je);
    gh_status st = GH_OK;
    const char *t = json_string_value(json_object_get(j, "type"));
    const char *ch = json_string_value(json_object_get(j, "challenge"));
    const char *org = json_string_value(json_object_get(j, "origin"));
    if (!j || !t || !ch || !org) { st = invalid(ctx, "client_data", "clientDataJSON is not valid"); goto out; }
    if (strcmp(t, type) != 0) { st = invalid(ctx, "client_data", "clientDataJSON has the wrong type"); goto out; }
    if (strcmp(org, origin) != 0) {
        st = invalid(ctx, "client_data", "the origin is not this server's base URL");
        goto out;
    }
    char hash[65];
    bool ok = false;
    sha256_hex(ch, strlen(ch), hash);
    if ((st = gh_store_wa_challenge_take(ctx->db, hash, ctx->actor.org_id, ctx->actor.id, purpose, gh_now(), &ok,
                                         &ctx->err)) != GH_OK)
        goto out;
    if (!ok) st = invalid(ctx, "client_data", "the challenge is unknown, used or expired; start again");
out:
    json_decref(j);
    return st;
}

static json_t *rp_user_json(gh_ctx *ctx, const char *rpid, json_t *exclude)
{
    gh_user *u = calloc(1, sizeof *u);
    gh_org o;
    json_t *r = NULL;
    if (!u) return NULL;
    if (gh_store_user_get(ctx->db, ctx->actor.org_id, ctx->actor.id, u, &ctx->err) == GH_OK &&
        gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err) == GH_OK) {
        char uid[GH_ID_MAX * 2];
        b64url_encode((const unsigned char *)u->id, strlen(u->id), uid, sizeof uid);
        r = json_pack("{s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}], s:i, s:s, s:O,"
                      " s:{s:s, s:s}}",
                      "rp", "id", rpid, "name", o.name, "user", "id", uid, "name", u->email, "displayName", u->name,
                      "pubKeyCredParams", "type", "public-key", "alg", COSE_ES256, "type", "public-key", "alg",
                      COSE_EDDSA, "type", "public-key", "alg", COSE_RS256, "timeout", GH_WA_CHALLENGE_S * 1000,
                      "attestation", "none", "excludeCredentials", exclude, "authenticatorSelection",
                      "residentKey", "preferred", "userVerification", "preferred");
    }
    free(u);
    return r;
}

static json_t *descriptors(json_t *creds)
{
    json_t *a = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(creds, i, v)
        json_array_append_new(a, json_pack("{s:s, s:O}", "type", "public-key", "id", json_object_get(v, "cred_id")));
    return a;
}

/* A pending "verify" session gives its factor first; "enrol" may register. */
static gh_status not_while_verifying(gh_ctx *ctx)
{
    if (strcmp(ctx->actor.mfa_pending, "verify") == 0)
        return gh_fail(&ctx->err, GH_E_PRECONDITION, "mfa_required", "give your second factor first");
    return GH_OK;
}

gh_status gh_webauthn_register_begin(gh_ctx *ctx, json_t **out)
{
    char rpid[256], origin[512], ch[64];
    gh_status st;
    json_t *creds = NULL, *ex = NULL;
    *out = NULL;
    if ((st = not_while_verifying(ctx)) != GH_OK) return st;
    if ((st = rp_of(ctx, rpid, origin)) != GH_OK) return st;
    if (!(creds = gh_store_wa_cred_list(ctx->db, ctx->actor.org_id, ctx->actor.id, true, &ctx->err))) return GH_E_INTERNAL;
    ex = descriptors(creds);
    json_decref(creds);
    if ((st = new_challenge(ctx, "register", ch)) != GH_OK) goto out;
    if (!(*out = rp_user_json(ctx, rpid, ex))) { st = ctx->err.status ? ctx->err.status : gh_ctx_oom(ctx); goto out; }
    json_object_set_new(*out, "challenge", json_string(ch));
out:
    json_decref(ex);
    return st;
}

/* The pieces of an attestation object (pointers into the loaded item). */
typedef struct {
    const char *fmt;
    size_t fmt_len;
    const unsigned char *auth, *sig, *x5c;
    size_t auth_len, sig_len, x5c_len;
    int64_t alg;
    bool has_alg;
} att_parts;

static bool key_is(const cbor_item_t *k, const char *s)
{
    return cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == strlen(s) &&
           memcmp(cbor_string_handle(k), s, strlen(s)) == 0;
}

static bool att_parse(const cbor_item_t *m, att_parts *p)
{
    memset(p, 0, sizeof *p);
    if (!cbor_isa_map(m)) return false;
    struct cbor_pair *pairs = cbor_map_handle(m);
    for (size_t i = 0; i < cbor_map_size(m); i++) {
        const cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
        if (key_is(k, "fmt") && cbor_isa_string(v) && cbor_string_is_definite(v)) {
            p->fmt = (const char *)cbor_string_handle(v);
            p->fmt_len = cbor_string_length(v);
        } else if (key_is(k, "authData") && cbor_isa_bytestring(v) && cbor_bytestring_is_definite(v)) {
            p->auth = cbor_bytestring_handle(v);
            p->auth_len = cbor_bytestring_length(v);
        } else if (key_is(k, "attStmt") && cbor_isa_map(v)) {
            struct cbor_pair *sp = cbor_map_handle(v);
            for (size_t j = 0; j < cbor_map_size(v); j++) {
                const cbor_item_t *sk = sp[j].key, *sv = sp[j].value;
                if (key_is(sk, "sig") && cbor_isa_bytestring(sv) && cbor_bytestring_is_definite(sv)) {
                    p->sig = cbor_bytestring_handle(sv);
                    p->sig_len = cbor_bytestring_length(sv);
                } else if (key_is(sk, "alg") && cbor_is_int(sv)) {
                    uint64_t a = cbor_get_int(sv);
                    if (a > INT32_MAX) return false;
                    p->alg = cbor_isa_negint(sv) ? -1 - (int64_t)a : (int64_t)a;
                    p->has_alg = true;
                } else if (key_is(sk, "x5c") && cbor_isa_array(sv) && cbor_array_size(sv) > 0) {
                    cbor_item_t *c0 = cbor_array_get(sv, 0);
                    if (c0 && cbor_isa_bytestring(c0) && cbor_bytestring_is_definite(c0)) {
                        p->x5c = cbor_bytestring_handle(c0);
                        p->x5c_len = cbor_bytestring_length(c0);
                    }
                    if (c0) cbor_decref(&c0);
                }
            }
        }
    }
    return p->fmt && p->auth;
}

static bool fmt_is(const att_parts *p, const char *s)
{
    return p->fmt_len == strlen(s) && memcmp(p->fmt, s, p->fmt_len) == 0;
}

gh_status gh_webauthn_register_finish(gh_ctx *ctx, const char *name, const char *client_data, const char *att_obj,
                                      json_t **out, gh_mfa_result *enrolled)
{
    char rpid[256], origin[512];
    unsigned char *cd = malloc(CLIENT_DATA_MAX), *att = malloc(ATT_OBJ_MAX);
    unsigned char cdh[crypto_hash_sha256_BYTES], rph[crypto_hash_sha256_BYTES];
    size_t cdn = 0, attn = 0;
    cbor_item_t *item = NULL;
    fido_cred_t *cred = NULL;
    gh_wa_cred *c = calloc(1, sizeof *c);
    gh_status st;
    bool tx = false;
    *out = NULL;
    if (!cd || !att || !c) { st = gh_ctx_oom(ctx); goto out; }
    if ((st = not_while_verifying(ctx)) != GH_OK) goto out;
    if (!name || !*name) name = "Passkey";
    if (!name_ok(name)) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "name", "a name of 1 to 100 characters");
        goto out;
    }
    if ((st = rp_of(ctx, rpid, origin)) != GH_OK) goto out;
    if (!b64url_decode(client_data, cd, CLIENT_DATA_MAX, &cdn)) { st = invalid(ctx, "client_data", "not base64url"); goto out; }
    if (!b64url_decode(att_obj, att, ATT_OBJ_MAX, &attn)) { st = invalid(ctx, "attestation_object", "not base64url"); goto out; }
    /* Not gh_tx_run: a refused answer commits the used-up challenge (below). */
    if ((st = gh_tx_begin(ctx)) != GH_OK) goto out;
    tx = true;
    /* The challenge is taken first: a wrong answer still uses it up. */
    if ((st = check_client_data(ctx, cd, cdn, "webauthn.create", "register", origin)) != GH_OK) goto fail;
    struct cbor_load_result res;
    item = cbor_load(att, attn, &res);
    att_parts p;
    if (!item || res.error.code != CBOR_ERR_NONE || !att_parse(item, &p)) {
        st = invalid(ctx, "attestation_object", "the attestation object is not valid CBOR");
        goto fail;
    }
    crypto_hash_sha256(cdh, cd, cdn);
    crypto_hash_sha256(rph, (const unsigned char *)rpid, strlen(rpid));
    /* rpIdHash(32) flags(1) counter(4) attested credential data */
    if (p.auth_len < 37 || memcmp(p.auth, rph, sizeof rph) != 0) {
        st = invalid(ctx, "attestation_object", "the credential is not for this server (rpId)");
        goto fail;
    }
    if (!(p.auth[32] & 0x01) || !(p.auth[32] & 0x40)) {
        st = invalid(ctx, "attestation_object", "no user presence or no attested credential");
        goto fail;
    }
    /* libfido2 parses the attested credential for a given key type: try the
     * three accepted ones. */
    static const int types[] = {COSE_ES256, COSE_EDDSA, COSE_RS256};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        fido_cred_free(&cred);
        if (!(cred = fido_cred_new())) { st = gh_ctx_oom(ctx); goto fail; }
        if (fido_cred_set_type(cred, types[i]) == FIDO_OK && fido_cred_set_rp(cred, rpid, NULL) == FIDO_OK &&
            fido_cred_set_clientdata_hash(cred, cdh, sizeof cdh) == FIDO_OK &&
            fido_cred_set_authdata_raw(cred, p.auth, p.auth_len) == FIDO_OK)
            break;
        fido_cred_free(&cred);
    }
    if (!cred) {
        st = invalid(ctx, "attestation_object", "the authenticator data is not valid or its key type is not supported");
        goto fail;
    }
    int type = fido_cred_type(cred);
    if (type != COSE_ES256 && type != COSE_RS256 && type != COSE_EDDSA) {
        st = invalid(ctx, "attestation_object", "the key type is not supported (ES256, RS256, EdDSA)");
        goto fail;
    }
    if (fmt_is(&p, "packed")) {
        int rc = fido_cred_set_fmt(cred, "packed");
        if (rc == FIDO_OK && p.sig) rc = fido_cred_set_sig(cred, p.sig, p.sig_len);
        if (rc == FIDO_OK && p.x5c) rc = fido_cred_set_x509(cred, p.x5c, p.x5c_len);
        if (rc == FIDO_OK && (!p.sig || !p.has_alg || (!p.x5c && p.alg != type))) rc = FIDO_ERR_INVALID_ARGUMENT;
        if (rc == FIDO_OK) rc = p.x5c ? fido_cred_verify(cred) : fido_cred_verify_self(cred);
        if (rc != FIDO_OK) {
            st = invalid(ctx, "attestation_object", "the attestation signature does not verify");
            goto fail;
        }
    } else if (!fmt_is(&p, "none")) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "webauthn_unsupported_attestation", "attestation_object",
                           "only the attestation formats none and packed are accepted");
        goto fail;
    }
    if (fido_cred_id_len(cred) == 0 || fido_cred_id_len(cred) > 1023 || fido_cred_pubkey_len(cred) == 0 ||
        fido_cred_pubkey_len(cred) * 4 / 3 + 4 > sizeof c->public_key) {
        st = invalid(ctx, "attestation_object", "the credential is not valid");
        goto fail;
    }
    gh_id_new("pk", c->id);
    gh_strlcpy(c->org_id, ctx->actor.org_id, sizeof c->org_id);
    gh_strlcpy(c->user_id, ctx->actor.id, sizeof c->user_id);
    b64url_encode(fido_cred_id_ptr(cred), fido_cred_id_len(cred), c->cred_id, sizeof c->cred_id);
    b64url_encode(fido_cred_pubkey_ptr(cred), fido_cred_pubkey_len(cred), c->public_key, sizeof c->public_key);
    c->cose_type = type;
    c->sign_count = ((int64_t)p.auth[33] << 24) | ((int64_t)p.auth[34] << 16) | ((int64_t)p.auth[35] << 8) | p.auth[36];
    gh_strlcpy(c->name, name, sizeof c->name);
    c->created_at = gh_now();
    if ((st = gh_store_wa_cred_insert(ctx->db, c, &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_audit(ctx, NULL, "mfa.webauthn_added", "user", ctx->actor.id,
                       json_pack("{s:s, s:s, s:i}", "credential", c->id, "name", c->name, "cose_type", type))) != GH_OK)
        goto fail;
    if ((st = gh_mfa_enrolment_complete(ctx, "webauthn", enrolled)) != GH_OK) goto fail;
    tx = false;
    if ((st = gh_tx_commit_and_refresh(ctx)) != GH_OK) goto out;
    *out = json_pack("{s:s, s:s}", "id", c->id, "name", c->name);
    if (!*out) st = gh_ctx_oom(ctx);
    goto out;
fail:
    if (tx) {
        /* A refused answer still uses up its challenge: keep that, drop the rest. */
        if (st == GH_E_INVALID) {
            gh_err keep = ctx->err;
            ctx->err = (gh_err){0};
            if (gh_db_commit(ctx->db, &ctx->err) != GH_OK) gh_db_rollback(ctx->db);
            gh_err_clear(&ctx->err);
            ctx->err = keep;
        } else {
            gh_ctx_rollback(ctx, st);
        }
    }
out:
    if (item) cbor_decref(&item);
    fido_cred_free(&cred);
    free(cd);
    free(att);
    free(c);
    return st;
}

gh_status gh_webauthn_assert_begin(gh_ctx *ctx, json_t **out)
{
    char rpid[256], origin[512], ch[64];
    gh_status st;
    *out = NULL;
    if ((st = rp_of(ctx, rpid, origin)) != GH_OK) return st;
    json_t *creds = gh_store_wa_cred_list(ctx->db, ctx->actor.org_id, ctx->actor.id, true, &ctx->err);
    if (!creds) return GH_E_INTERNAL;
    if (json_array_size(creds) == 0) {
        json_decref(creds);
        return gh_fail(&ctx->err, GH_E_CONFLICT, "mfa_not_enrolled", "you have no passkey or security key");
    }
    json_t *allow = descriptors(creds);
    json_decref(creds);
    if ((st = new_challenge(ctx, "assert", ch)) != GH_OK) { json_decref(allow); return st; }
    *out = json_pack("{s:s, s:s, s:o, s:i, s:s}", "challenge", ch, "rpId", rpid, "allowCredentials", allow, "timeout",
                     GH_WA_CHALLENGE_S * 1000, "userVerification", "preferred");
    return *out ? GH_OK : gh_ctx_oom(ctx);
}

gh_status gh_webauthn_assert_check(gh_ctx *ctx, const char *cred_id, const char *client_data, const char *auth_data,
                                   const char *sig)
{
    char rpid[256], origin[512];
    unsigned char *cd = malloc(CLIENT_DATA_MAX), *ad = malloc(AUTH_DATA_MAX), *sg = malloc(SIG_MAX), *pkraw = malloc(GH_WA_PK_MAX);
    unsigned char cdh[crypto_hash_sha256_BYTES];
    size_t cdn = 0, adn = 0, sgn = 0, pkn = 0;
    gh_wa_cred *c = calloc(1, sizeof *c);
    fido_assert_t *a = NULL;
    void *pk = NULL;
    gh_status st;
    if (!cd || !ad || !sg || !pkraw || !c) { st = gh_ctx_oom(ctx); goto out; }
    if ((st = rp_of(ctx, rpid, origin)) != GH_OK) goto out;
    if (!cred_id || strlen(cred_id) >= sizeof c->cred_id) { st = invalid(ctx, "id", "not a credential id"); goto out; }
    if (!b64url_decode(client_data, cd, CLIENT_DATA_MAX, &cdn)) { st = invalid(ctx, "client_data", "not base64url"); goto out; }
    if (!b64url_decode(auth_data, ad, AUTH_DATA_MAX, &adn)) { st = invalid(ctx, "authenticator_data", "not base64url"); goto out; }
    if (!b64url_decode(sig, sg, SIG_MAX, &sgn)) { st = invalid(ctx, "signature", "not base64url"); goto out; }
    if ((st = check_client_data(ctx, cd, cdn, "webauthn.get", "assert", origin)) != GH_OK) goto out;
    if ((st = gh_store_wa_cred_get(ctx->db, ctx->actor.org_id, ctx->actor.id, cred_id, c, &ctx->err)) != GH_OK) {
        if (st == GH_E_NOT_FOUND) {
            gh_err_clear(&ctx->err);
            st = invalid(ctx, "id", "this passkey is not registered for you");
        }
        goto out;
    }
    if (!b64url_decode(c->public_key, pkraw, GH_WA_PK_MAX, &pkn)) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "stored key"); goto out; }
    crypto_hash_sha256(cdh, cd, cdn);
    int rc = FIDO_ERR_INTERNAL;
    if ((a = fido_assert_new()) && fido_assert_set_rp(a, rpid) == FIDO_OK &&
        fido_assert_set_clientdata_hash(a, cdh, sizeof cdh) == FIDO_OK && fido_assert_set_count(a, 1) == FIDO_OK &&
        fido_assert_set_authdata_raw(a, 0, ad, adn) == FIDO_OK && fido_assert_set_sig(a, 0, sg, sgn) == FIDO_OK &&
        fido_assert_set_up(a, FIDO_OPT_TRUE) == FIDO_OK) {
        if (c->cose_type == COSE_ES256 && (pk = es256_pk_new()) && es256_pk_from_ptr(pk, pkraw, pkn) == FIDO_OK)
            rc = fido_assert_verify(a, 0, COSE_ES256, pk);
        else if (c->cose_type == COSE_RS256 && (pk = rs256_pk_new()) && rs256_pk_from_ptr(pk, pkraw, pkn) == FIDO_OK)
            rc = fido_assert_verify(a, 0, COSE_RS256, pk);
        else if (c->cose_type == COSE_EDDSA && (pk = eddsa_pk_new()) && eddsa_pk_from_ptr(pk, pkraw, pkn) == FIDO_OK)
            rc = fido_assert_verify(a, 0, COSE_EDDSA, pk);
    }
    if (rc != FIDO_OK) { st = invalid(ctx, "signature", "the signature does not verify"); goto out; }
    int64_t count = fido_assert_sigcount(a, 0);
    if ((count != 0 || c->sign_count != 0) && count <= c->sign_count) {
        st = gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "webauthn_counter_regression", "authenticator_data",
                           "this key's signature counter went backwards: it may have been copied; use another factor");
        goto out;
    }
    bool won = false;
    if ((st = gh_store_wa_cred_use(ctx->db, c->org_id, c->id, c->sign_count, count, gh_now(), &won, &ctx->err)) != GH_OK)
        goto out;
    if (!won)
        st = gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "webauthn_counter_regression", "authenticator_data",
                           "this key was used by another request at the same moment");
out:
    if (pk) {
        if (c && c->cose_type == COSE_ES256) es256_pk_free((es256_pk_t **)&pk);
        else if (c && c->cose_type == COSE_RS256) rs256_pk_free((rs256_pk_t **)&pk);
        else eddsa_pk_free((eddsa_pk_t **)&pk);
    }
    fido_assert_free(&a);
    free(cd);
    free(ad);
    free(sg);
    free(pkraw);
    free(c);
    return st;
}

gh_status gh_webauthn_list(gh_ctx *ctx, json_t **out)
{
    *out = gh_store_wa_cred_list(ctx->db, ctx->actor.org_id, ctx->actor.id, false, &ctx->err);
    return *out ? GH_OK : GH_E_INTERNAL;
}

typedef struct {
    const char *id;
    const char *name;
} rename_op;

static gh_status rename_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const rename_op *op = arg;
    gh_status st = gh_store_wa_cred_rename(ctx->db, ctx->actor.org_id, ctx->actor.id, op->id, op->name, &ctx->err);
    if (st != GH_OK) return st;
    gh_tx_event(tx, "mfa.webauthn_renamed", "user", ctx->actor.id,
                json_pack("{s:s, s:s}", "credential", op->id, "name", op->name));
    return GH_OK;
}

gh_status gh_webauthn_rename(gh_ctx *ctx, const char *id, const char *name)
{
    if (!name_ok(name))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_value", "name", "a name of 1 to 100 characters");
    rename_op op = {.id = id, .name = name};
    return gh_tx_run(ctx, rename_change, &op);
}

static gh_status remove_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const char *id = arg;
    int64_t n = 0;
    gh_status st = gh_store_wa_cred_delete(ctx->db, ctx->actor.org_id, ctx->actor.id, id, &n, &ctx->err);
    if (st != GH_OK) return st;
    if (n == 0) return gh_fail(&ctx->err, GH_E_NOT_FOUND, "webauthn_unknown_credential", "no such passkey");
    gh_tx_event(tx, "mfa.webauthn_removed", "user", ctx->actor.id, json_pack("{s:s}", "credential", id));
    return GH_OK;
}

gh_status gh_webauthn_remove(gh_ctx *ctx, const char *id)
{
    return gh_tx_run(ctx, remove_change, (void *)id);
}
