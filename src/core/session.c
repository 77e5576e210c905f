/* Session and API key authentication; session creation. */
#include "core/session.h"

#include <pthread.h>
#include <string.h>

#include "core/access.h"
#include "core/accounts.h"
#include "store/store.h"

#define TOUCH_EVERY_S 15  /* last_seen_at is written at most this often */

gh_status gh_session_authenticate(gh_ctx *ctx, const char *token, char csrf_hash[GH_HASH_HEX_LEN + 1])
{
    char h[GH_HASH_HEX_LEN + 1];
    gh_session s;
    gh_err ignored = {0};
    if (strlen(token) != GH_TOKEN_LEN) goto unauth;
    gh_token_hash(token, h);
    gh_status st = gh_store_session_get_by_hash(ctx->db, h, &s, &ignored);
    gh_err_clear(&ignored);
    if (st == GH_E_NOT_FOUND) goto unauth;
    if (st != GH_OK) return gh_fail(&ctx->err, st, "internal", "cannot check the session");
    int64_t now = gh_now();
    if (now >= s.expires_at || now - s.last_seen_at > s.idle_s) {
        int64_t n;
        gh_store_session_delete(ctx->db, s.org_id, s.user_id, s.id, &n, &ignored);
        gh_err_clear(&ignored);
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "session_expired", "the session has expired; sign in again");
    }
    if (!gh_access_user_active(s.org_id, s.user_id)) goto unauth;
    /* The org's IP allowlist holds for sessions opened before it was set and
     * for a session carried to another network. */
    if (!gh_access_ip_allowed(s.org_id, ctx->ip)) return gh_ip_refused(ctx);
    if (now - s.last_seen_at >= TOUCH_EVERY_S) {
        gh_store_session_touch(ctx->db, s.id, now, &ignored);
        gh_err_clear(&ignored);
    }
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.org_id, s.org_id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, s.user_id, sizeof ctx->actor.id);
    gh_strlcpy(ctx->actor.session_id, s.id, sizeof ctx->actor.session_id);
    ctx->actor.kiosk = strcmp(s.kind, "kiosk") == 0;
    ctx->actor.pin_change_required = s.pin_change_required;
    gh_strlcpy(csrf_hash, s.csrf_hash, GH_HASH_HEX_LEN + 1);
    return GH_OK;
unauth:
    return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "unauthenticated", "sign in first");
}

/* API keys authenticate every request of a calling service, so verified keys
 * are kept for up to a second: at most one database read per key per second.
 * Revoking a key clears the cache in this process at once; other processes
 * sharing the database stop accepting it within the second. */
#define KEY_CACHE_SLOTS 64
#define KEY_CACHE_MS 1000.0
static struct { char hash[GH_HASH_HEX_LEN + 1]; gh_apikey key; double fetched_ms; } key_cache[KEY_CACHE_SLOTS];
static pthread_mutex_t key_cache_mu = PTHREAD_MUTEX_INITIALIZER;

void gh_apikey_cache_clear(void)
{
    pthread_mutex_lock(&key_cache_mu);
    memset(key_cache, 0, sizeof key_cache);
    pthread_mutex_unlock(&key_cache_mu);
}

static size_t key_slot(const char *hash)
{
    size_t v = 0;
    for (int i = 0; i < 8; i++) v = v * 16 + (size_t)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
    return v % KEY_CACHE_SLOTS;
}

gh_status gh_apikey_authenticate(gh_ctx *ctx, const char *key)
{
    char h[GH_HASH_HEX_LEN + 1];
    gh_apikey k;
    gh_err ignored = {0};
    gh_token_hash(key, h);
    size_t slot = key_slot(h);
    double now_ms = gh_mono_ms();
    bool cached = false;
    pthread_mutex_lock(&key_cache_mu);
    if (gh_secret_eq(key_cache[slot].hash, h) && now_ms - key_cache[slot].fetched_ms < KEY_CACHE_MS) {
        k = key_cache[slot].key;
        cached = true;
    }
    pthread_mutex_unlock(&key_cache_mu);
    if (!cached) {
        gh_status st = gh_store_apikey_get_by_hash(ctx->db, h, &k, &ignored);
        gh_err_clear(&ignored);
        if (st == GH_E_NOT_FOUND) return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "unauthenticated", "unknown API key");
        if (st != GH_OK) return gh_fail(&ctx->err, st, "internal", "cannot check the API key");
        pthread_mutex_lock(&key_cache_mu);
        gh_strlcpy(key_cache[slot].hash, h, sizeof key_cache[slot].hash);
        key_cache[slot].key = k;
        key_cache[slot].fetched_ms = now_ms;
        pthread_mutex_unlock(&key_cache_mu);
    }
    int64_t now = gh_now();
    if (k.expires_at && now >= k.expires_at)
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "api_key_expired", "the API key has expired");
    if (!cached && now - k.last_used_at >= 60) {
        gh_store_apikey_touch(ctx->db, k.id, now, &ignored);
        gh_err_clear(&ignored);
    }
    ctx->actor.type = GH_ACTOR_API_KEY;
    gh_strlcpy(ctx->actor.org_id, k.org_id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, k.id, sizeof ctx->actor.id);
    gh_access_key_scopes(k.scopes, &ctx->actor);
    return GH_OK;
}

gh_status gh_session_open(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *kind,
                          char token[GH_TOKEN_LEN + 1], char csrf[GH_TOKEN_LEN + 1], gh_session *out)
{
    gh_session s = {0};
    int64_t now = gh_now();
    bool kiosk = strcmp(kind, "kiosk") == 0;
    gh_id_new("ses", s.id);
    gh_strlcpy(s.org_id, o->id, sizeof s.org_id);
    gh_strlcpy(s.user_id, u->id, sizeof s.user_id);
    gh_strlcpy(s.kind, kind, sizeof s.kind);
    gh_token_new(token);
    gh_token_new(csrf);
    gh_token_hash(token, s.token_hash);
    gh_token_hash(csrf, s.csrf_hash);
    s.created_at = s.last_seen_at = now;
    s.idle_s = kiosk ? o->kiosk_idle_s : o->session_idle_s;
    s.expires_at = now + (kiosk ? o->kiosk_session_s : o->session_max_s);
    gh_strlcpy(s.ip, ctx->ip ? ctx->ip : "", sizeof s.ip);
    gh_strlcpy(s.user_agent, ctx->user_agent ? ctx->user_agent : "", sizeof s.user_agent);
    s.pin_change_required = kiosk && u->pin_temporary;
    gh_status st = gh_store_session_insert(ctx->db, &s, &ctx->err);
    if (st == GH_OK && out) *out = s;
    return st;
}
