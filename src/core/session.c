/* Session and API key authentication; session creation; the queue of
 * "last used" writes that authentication leaves to a background writer. */
#include "core/ipallow.h"
#include "core/session.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/mfa.h"
#include "store/store.h"
#include "util/log.h"

#define TOUCH_EVERY_S 15  /* last_seen_at is written at most this often */

/* ---- writes that authentication does not wait for --------------------------
 * Authenticating never writes: a session's last_seen_at, an API key's
 * last_used_at and the removal of an expired session are queued here and
 * written in batches by the background loop (gh_session_touches_flush), which
 * skips a round when another connection holds the write lock. Until written,
 * a queued touch counts for the idle timeout (touch_pending_at), so a
 * session in use never expires because its touch is still queued. */
#define TOUCH_QUEUE_MAX 4096
typedef enum { TOUCH_SESSION, TOUCH_KEY, TOUCH_SESSION_DELETE } touch_kind;
typedef struct {
    touch_kind kind;
    char id[GH_ID_MAX], org_id[GH_ID_MAX], user_id[GH_ID_MAX];
    int64_t at;
} touch;
static touch touch_queue[TOUCH_QUEUE_MAX];
static size_t touch_n;
static bool touch_full_logged;
static pthread_mutex_t touch_mu = PTHREAD_MUTEX_INITIALIZER;

static void touch_enqueue(touch_kind kind, const char *id, const char *org_id, const char *user_id, int64_t at)
{
    pthread_mutex_lock(&touch_mu);
    for (size_t i = 0; i < touch_n; i++) {
        touch *t = &touch_queue[i];
        if (t->kind != kind || strcmp(t->id, id) != 0) continue;
        if (at > t->at) t->at = at;
        goto out;
    }
    if (touch_n == TOUCH_QUEUE_MAX) {
        /* Dropped: the next request of that session queues it again. */
        if (!touch_full_logged) gh_logf(GH_LOG_WARN, "last-used queue full; touches dropped until it drains");
        touch_full_logged = true;
        goto out;
    }
    touch *t = &touch_queue[touch_n++];
    t->kind = kind;
    t->at = at;
    gh_strlcpy(t->id, id, sizeof t->id);
    gh_strlcpy(t->org_id, org_id ? org_id : "", sizeof t->org_id);
    gh_strlcpy(t->user_id, user_id ? user_id : "", sizeof t->user_id);
out:
    pthread_mutex_unlock(&touch_mu);
}

/* The newest queued, unwritten touch of a session (0 if none); -1 if its
 * removal is queued (it is gone, as if already deleted). */
static int64_t touch_pending_at(const char *session_id)
{
    int64_t at = 0;
    pthread_mutex_lock(&touch_mu);
    for (size_t i = 0; i < touch_n; i++) {
        if (strcmp(touch_queue[i].id, session_id) != 0) continue;
        if (touch_queue[i].kind == TOUCH_SESSION_DELETE) { at = -1; break; }
        if (touch_queue[i].kind == TOUCH_SESSION) at = touch_queue[i].at;
    }
    pthread_mutex_unlock(&touch_mu);
    return at;
}

int gh_session_touches_flush(gh_db *db)
{
    static touch batch[TOUCH_QUEUE_MAX]; /* only the one background loop flushes */
    static pthread_mutex_t flush_mu = PTHREAD_MUTEX_INITIALIZER;
    int rc = 0;
    gh_err err = {0};
    pthread_mutex_lock(&flush_mu);
    pthread_mutex_lock(&touch_mu);
    size_t n = touch_n;
    memcpy(batch, touch_queue, n * sizeof batch[0]);
    pthread_mutex_unlock(&touch_mu);
    if (n == 0) goto out;
    gh_status st = gh_db_begin_nowait(db, &err);
    if (st == GH_E_BUSY) { rc = 1; goto out; } /* kept for the next round */
    if (st != GH_OK) { rc = -1; goto out; }
    int64_t deleted;
    for (size_t i = 0; i < n && st == GH_OK; i++) {
        const touch *t = &batch[i];
        if (t->kind == TOUCH_SESSION) st = gh_store_session_touch(db, t->id, t->at, &err);
        else if (t->kind == TOUCH_KEY) st = gh_store_apikey_touch(db, t->id, t->at, &err);
        else st = gh_store_session_delete(db, t->org_id, t->user_id, t->id, &deleted, &err);
    }
    if (st != GH_OK) {
        gh_db_rollback(db);
        rc = -1;
        goto out;
    }
    if ((st = gh_db_commit(db, &err)) != GH_OK) { rc = st == GH_E_BUSY ? 1 : -1; goto out; }
    /* Forget what was written; touches queued meanwhile (or newer ones for
     * the same id) stay. */
    pthread_mutex_lock(&touch_mu);
    size_t keep = 0;
    for (size_t i = 0; i < touch_n; i++) {
        bool written = false;
        for (size_t j = 0; j < n && !written; j++)
            written = batch[j].kind == touch_queue[i].kind && batch[j].at >= touch_queue[i].at &&
                      strcmp(batch[j].id, touch_queue[i].id) == 0;
        if (!written) touch_queue[keep++] = touch_queue[i];
    }
    touch_n = keep;
    touch_full_logged = false;
    pthread_mutex_unlock(&touch_mu);
out:
    if (rc < 0) gh_logf(GH_LOG_ERROR, "cannot write last-used times: %s", err.detail[0] ? err.detail : "database error");
    pthread_mutex_unlock(&flush_mu);
    gh_err_clear(&err);
    return rc;
}

gh_status gh_session_authenticate(gh_ctx *ctx, const char *token, char csrf_hash[GH_HASH_HEX_LEN + 1])
{
    char h[GH_HASH_HEX_LEN + 1];
    gh_session s;
    gh_err ignored = {0};
    if (strlen(token) != GH_TOKEN_LEN) goto unauth;
    gh_token_hash(token, h);
    gh_status st = gh_store_session_get_by_hash(ctx->db, h, &s, &ignored);
    if (st != GH_OK && st != GH_E_NOT_FOUND && ignored.code[0]) {
        /* The store's own answer (database_busy, storage_error...). */
        gh_err_clear(&ctx->err);
        ctx->err = ignored;
        return st;
    }
    gh_err_clear(&ignored);
    if (st == GH_E_NOT_FOUND) goto unauth;
    if (st != GH_OK) return gh_fail(&ctx->err, st, "internal", "cannot check the session");
    int64_t now = gh_now();
    int64_t pending = touch_pending_at(s.id);
    if (pending < 0) goto unauth; /* expired, its removal queued */
    if (pending > s.last_seen_at) s.last_seen_at = pending;
    if (now >= s.expires_at || (s.idle_s > 0 && now - s.last_seen_at > s.idle_s)) {
        touch_enqueue(TOUCH_SESSION_DELETE, s.id, s.org_id, s.user_id, now);
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "session_expired", "the session has expired; sign in again");
    }
    if (!gh_access_user_active(s.org_id, s.user_id)) goto unauth;
    /* The org's IP allowlist holds for sessions opened before it was set and
     * for a session carried to another network. */
    if (!gh_access_ip_allowed(s.org_id, ctx->ip)) return gh_ip_refused(ctx);
    if (now - s.last_seen_at >= TOUCH_EVERY_S) touch_enqueue(TOUCH_SESSION, s.id, NULL, NULL, now);
    ctx->actor.type = GH_ACTOR_USER;
    gh_strlcpy(ctx->actor.org_id, s.org_id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, s.user_id, sizeof ctx->actor.id);
    gh_strlcpy(ctx->actor.session_id, s.id, sizeof ctx->actor.session_id);
    ctx->actor.kiosk = strcmp(s.kind, "kiosk") == 0;
    ctx->actor.pin_change_required = s.pin_change_required;
    gh_strlcpy(ctx->actor.mfa_pending, s.mfa_pending, sizeof ctx->actor.mfa_pending);
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
/* Bumped by every clear. A key read from the database is cached only if no
 * clear happened since the read began: a read that started before a
 * revocation committed must not refill the cache with the revoked key. */
static uint64_t key_cache_epoch; /* under key_cache_mu */

void gh_apikey_cache_clear(void)
{
    pthread_mutex_lock(&key_cache_mu);
    memset(key_cache, 0, sizeof key_cache);
    key_cache_epoch++;
    pthread_mutex_unlock(&key_cache_mu);
}

static size_t key_slot(const char *hash)
{
    size_t v = 0;
    for (int i = 0; i < 8; i++) v = v * 16 + (size_t)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
    return v % KEY_CACHE_SLOTS;
}

/* A fresh cached key for hash h. *epoch gets the cache's epoch, to be
 * passed to key_cache_store after a database read. */
static bool key_cache_lookup(const char *h, double now_ms, gh_apikey *k, uint64_t *epoch)
{
    size_t slot = key_slot(h);
    bool hit = false;
    pthread_mutex_lock(&key_cache_mu);
    if (gh_secret_eq(key_cache[slot].hash, h) && now_ms - key_cache[slot].fetched_ms < KEY_CACHE_MS) {
        *k = key_cache[slot].key;
        hit = true;
    }
    *epoch = key_cache_epoch;
    pthread_mutex_unlock(&key_cache_mu);
    return hit;
}

/* Caches a key read from the database, unless the cache was cleared since
 * the lookup that preceded the read (false: the read may predate a
 * revocation and must not be trusted). */
static bool key_cache_store(const char *h, const gh_apikey *k, uint64_t epoch, double now_ms)
{
    size_t slot = key_slot(h);
    pthread_mutex_lock(&key_cache_mu);
    bool fresh = key_cache_epoch == epoch;
    if (fresh) {
        gh_strlcpy(key_cache[slot].hash, h, sizeof key_cache[slot].hash);
        key_cache[slot].key = *k;
        key_cache[slot].fetched_ms = now_ms;
    }
    pthread_mutex_unlock(&key_cache_mu);
    return fresh;
}

static gh_status key_read(gh_ctx *ctx, const char *h, gh_apikey *k)
{
    gh_err ignored = {0};
    gh_status st = gh_store_apikey_get_by_hash(ctx->db, h, k, &ignored);
    gh_err_clear(&ignored);
    if (st == GH_E_NOT_FOUND) return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "unauthenticated", "unknown API key");
    if (st != GH_OK) return gh_fail(&ctx->err, st, "internal", "cannot check the API key");
    return GH_OK;
}

gh_status gh_apikey_authenticate(gh_ctx *ctx, const char *key)
{
    char h[GH_HASH_HEX_LEN + 1];
    gh_apikey k;
    uint64_t epoch;
    gh_token_hash(key, h);
    double now_ms = gh_mono_ms();
    bool cached = key_cache_lookup(h, now_ms, &k, &epoch);
    if (!cached) {
        gh_status st = key_read(ctx, h, &k);
        if (st != GH_OK) return st;
        /* A revocation committed while the key was being read: read again,
         * now after that commit, rather than trust the older read. */
        if (!key_cache_store(h, &k, epoch, now_ms) && (st = key_read(ctx, h, &k)) != GH_OK) return st;
    }
    int64_t now = gh_now();
    if (k.expires_at && now >= k.expires_at)
        return gh_fail(&ctx->err, GH_E_UNAUTHENTICATED, "api_key_expired", "the API key has expired");
    if (!cached && now - k.last_used_at >= 60) touch_enqueue(TOUCH_KEY, k.id, NULL, NULL, now);
    ctx->actor.type = GH_ACTOR_API_KEY;
    gh_strlcpy(ctx->actor.org_id, k.org_id, sizeof ctx->actor.org_id);
    gh_strlcpy(ctx->actor.id, k.id, sizeof ctx->actor.id);
    gh_access_key_scopes(k.scopes, &ctx->actor);
    return GH_OK;
}

static gh_status session_open(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *kind, const char *pending,
                              char token[GH_TOKEN_LEN + 1], char csrf[GH_TOKEN_LEN + 1], gh_session *out);

gh_status gh_session_open(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *kind,
                          char token[GH_TOKEN_LEN + 1], char csrf[GH_TOKEN_LEN + 1], gh_session *out)
{
    return session_open(ctx, o, u, kind, "", token, csrf, out);
}

gh_status gh_session_open_pending(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *pending,
                                  char token[GH_TOKEN_LEN + 1], char csrf[GH_TOKEN_LEN + 1], gh_session *out)
{
    return session_open(ctx, o, u, "office", pending, token, csrf, out);
}

static gh_status session_open(gh_ctx *ctx, const gh_org *o, const gh_user *u, const char *kind, const char *pending,
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
    /* A display (device) account's session follows the device policy: by
     * default no idle timeout (idle_s 0) and a lifetime in days. */
    if (!kiosk) {
        gh_role r;
        gh_err ignored = {0};
        if (gh_store_role_get(ctx->db, o->id, u->role_key, &r, &ignored) == GH_OK && r.device) {
            s.device = true;
            s.idle_s = o->device_idle_s;
            s.expires_at = now + o->device_session_s;
        }
        gh_err_clear(&ignored);
    }
    gh_strlcpy(s.ip, ctx->ip ? ctx->ip : "", sizeof s.ip);
    gh_strlcpy(s.user_agent, ctx->user_agent ? ctx->user_agent : "", sizeof s.user_agent);
    s.pin_change_required = kiosk && u->pin_temporary;
    if (pending && *pending) {
        /* Only the second step: short-lived (core/mfa.h). */
        gh_strlcpy(s.mfa_pending, pending, sizeof s.mfa_pending);
        if (s.idle_s > GH_MFA_PENDING_S) s.idle_s = GH_MFA_PENDING_S;
        s.expires_at = now + GH_MFA_PENDING_S;
    }
    gh_status st = gh_store_session_insert(ctx->db, &s, &ctx->err);
    if (st == GH_OK && out) *out = s;
    return st;
}
