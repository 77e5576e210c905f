/* Webhooks: endpoints, events from the audit trail, secrets and signatures
 * (see webhooks.h). Delivery: webhookdelivery.c. */
#include "core/webhooks.h"
#include "core/webhooks_int.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/accounts.h"
#include "core/audit.h"
#include "core/guard.h"
#include "core/outbound.h"
#include "core/secretbox.h"
#include "core/sso.h"
#include "store/store.h"
#include "util/json.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/util.h"

#define SECRET_BYTES 32
#define SECRET_PREFIX "whsec_"

const char *const gh_webhook_events[] = {
    "user.created", "user.updated", "user.locked", "user.unlocked", "user.deleted", "user.role_changed",
    "user.access_changed", "group.created", "group.updated", "group.deleted", "group.member_added",
    "group.member_removed", "role.created", "role.updated", "role.deleted", "session.revoked",
    "checkin.opened", "checkin.closed", NULL,
};

static const char *const patterns[] = {"*", "user.*", "group.*", "role.*", "session.*", "checkin.*", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0) return true;
    return false;
}

/* Whether the space-separated filter selects event. */
static bool filter_matches(const char *filter, const char *event)
{
    const char *p = filter;
    size_t el = strlen(event);
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n == 1 && p[0] == '*') return true;
        if (n >= 2 && p[n - 1] == '*' && p[n - 2] == '.' && el > n - 1 && strncmp(p, event, n - 1) == 0) return true;
        if (n == el && strncmp(p, event, n) == 0) return true;
        p += n;
        while (*p == ' ') p++;
    }
    return false;
}

/* ---- events from the audit trail ------------------------------------------------ */
static const char *const access_keys[] = {"modules", "grants", "office_access", "factory_access", "checkin_exempt",
                                          NULL};

/* The webhook events an audit action stands for (at most 3). */
static int events_of(const char *action, const json_t *detail, const char *out[3])
{
    static const char *const same[] = {"user.created", "user.locked", "user.unlocked", "user.deleted",
                                       "group.created", "group.updated", "group.deleted", "group.member_added",
                                       "group.member_removed", "role.created", "role.updated", "role.deleted",
                                       "checkin.opened", "checkin.closed", NULL};
    int n = 0;
    if (in_list(same, action)) {
        out[n++] = action;
    } else if (strcmp(action, "user.expired") == 0) {
        out[n++] = "user.locked"; /* the sweep locked an account past its expiry date */
    } else if (strcmp(action, "user.sessions_revoked") == 0 || strcmp(action, "session.ended") == 0) {
        out[n++] = "session.revoked";
    } else if (strcmp(action, "user.updated") == 0) {
        out[n++] = "user.updated";
        const json_t *d = detail;
        if (d && json_object_get(d, "role")) out[n++] = "user.role_changed";
        for (size_t i = 0; d && access_keys[i]; i++)
            if (json_object_get(d, access_keys[i])) {
                out[n++] = "user.access_changed";
                break;
            }
    }
    return n;
}

typedef struct enqueue_arg {
    gh_ctx *ctx;
    const char *event;
    const char *payload;
    int64_t at;
    gh_status st;
} enqueue_arg;

static bool enqueue_one(const gh_webhook *w, void *arg)
{
    enqueue_arg *a = arg;
    if (!filter_matches(w->events, a->event)) return true;
    char id[GH_ID_MAX];
    gh_id_new("msg", id);
    a->st = gh_store_whdelivery_insert(a->ctx->db, id, w->org_id, w->id, a->event, a->payload, a->at, &a->ctx->err);
    return a->st == GH_OK;
}

static char *payload_of(const char *event, int64_t at, json_t *data)
{
    json_t *p = json_pack("{s:s, s:o, s:o}", "type", event, "timestamp", gh_json_time(at), "data", data);
    char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    return text;
}

gh_status gh_webhooks_on_audit(gh_ctx *ctx, const char *org_id, const char *audit_id, const char *action,
                               const char *actor_type, const char *actor_id, const char *target_type,
                               const char *target_id, json_t *detail, int64_t at)
{
    const char *evs[3];
    if (!org_id || !*org_id) return GH_OK;
    int n = events_of(action, detail, evs);
    if (n == 0) return GH_OK;
    json_t *empty = detail ? NULL : json_object();
    if (!detail && !empty) return gh_ctx_oom(ctx);
    gh_status st = GH_OK;
    for (int i = 0; i < n && st == GH_OK; i++) {
        json_t *data = json_pack("{s:s, s:s, s:s, s:{s:s, s:s?}, s:{s:s?, s:s?}, s:O}", "event_id", audit_id,
                                 "org_id", org_id, "action", action, "actor", "type", actor_type, "id", actor_id,
                                 "target", "type", target_type, "id", target_id, "detail",
                                 detail ? detail : empty);
        char *payload = data ? payload_of(evs[i], at, data) : NULL;
        if (!payload) {
            st = gh_ctx_oom(ctx);
            break;
        }
        enqueue_arg a = {.ctx = ctx, .event = evs[i], .payload = payload, .at = at, .st = GH_OK};
        st = gh_store_webhook_each(ctx->db, org_id, true, enqueue_one, &a, &ctx->err);
        free(payload);
        if (st == GH_OK) st = a.st;
    }
    json_decref(empty);
    return st;
}

/* ---- secrets and signatures ------------------------------------------------------- */
void gh_webhook_seal_context(const gh_webhook *w, char *out, size_t cap)
{
    snprintf(out, cap, "webhook:%s:%s:secret", w->org_id, w->id);
}

/* A new secret: its text in secret (wiped by the caller), sealed into w. */
static gh_status new_secret(gh_ctx *ctx, gh_webhook *w, char secret[SECRET_TEXT_MAX])
{
    unsigned char raw[SECRET_BYTES];
    randombytes_buf(raw, sizeof raw);
    memcpy(secret, SECRET_PREFIX, sizeof SECRET_PREFIX);
    sodium_bin2base64(secret + strlen(SECRET_PREFIX), SECRET_TEXT_MAX - strlen(SECRET_PREFIX), raw, sizeof raw,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(raw, sizeof raw);
    char context[160];
    gh_webhook_seal_context(w, context, sizeof context);
    return gh_secretbox_seal(context, secret, strlen(secret), w->secret, sizeof w->secret, &ctx->err);
}

int gh_webhook_sign(const char *secret, const char *msg_id, int64_t ts, const char *body, size_t body_len,
                    char *out, size_t cap)
{
    unsigned char key[128], mac[crypto_auth_hmacsha256_BYTES];
    size_t key_len = 0;
    int rc = -1;
    crypto_auth_hmacsha256_state s;
    char tsbuf[24];
    size_t pl = strlen(SECRET_PREFIX);
    if (cap < 64 || strncmp(secret, SECRET_PREFIX, pl) != 0) goto done;
    if (sodium_base642bin(key, sizeof key, secret + pl, strlen(secret + pl), NULL, &key_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || key_len == 0)
        goto done;
    int tl = snprintf(tsbuf, sizeof tsbuf, "%lld", (long long)ts);
    crypto_auth_hmacsha256_init(&s, key, key_len);
    crypto_auth_hmacsha256_update(&s, (const unsigned char *)msg_id, strlen(msg_id));
    crypto_auth_hmacsha256_update(&s, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&s, (const unsigned char *)tsbuf, (unsigned long long)tl);
    crypto_auth_hmacsha256_update(&s, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&s, (const unsigned char *)body, body_len);
    crypto_auth_hmacsha256_final(&s, mac);
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, cap - 3, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    rc = 0;
done:
    sodium_memzero(key, sizeof key);
    sodium_memzero(&s, sizeof s);
    return rc;
}

/* ---- the API ------------------------------------------------------------------------ */
static json_t *hook_json(const gh_webhook *w)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:b, s:o, s:o, s:o}", "id", w->id, "url", w->url, "description",
                     w->description, "events", gh_json_keylist(w->events), "enabled", w->enabled, "created_by",
                     gh_json_str_or_null(w->created_by), "created_at", gh_json_time(w->created_at), "updated_at",
                     gh_json_time(w->updated_at));
}

static gh_status invalid(gh_ctx *ctx, const char *code, const char *field, const char *why)
{
    return gh_fail_field(&ctx->err, GH_E_INVALID, code, field, "%s", why);
}

/* Reads the body's fields into w (only those present). */
static gh_status apply_body(gh_ctx *ctx, const json_t *b, gh_webhook *w)
{
    const json_t *v;
    if ((v = json_object_get(b, "url"))) {
        const char *url = json_string_value(v);
        char why[200];
        if (!url || !gh_sso_url_allowed(url, why, sizeof why)) return invalid(ctx, "invalid_url", "url", url ? why : "url is a string");
        if (strlen(url) > GH_WEBHOOK_URL_MAX) return invalid(ctx, "invalid_url", "url", "the URL is too long");
        gh_strlcpy(w->url, url, sizeof w->url);
    }
    if ((v = json_object_get(b, "description"))) {
        const char *d = json_string_value(v);
        if (d && *d && gh_check_text(&ctx->err, "invalid_description", "description", d, 1, GH_NAME_MAX) != GH_OK)
            return ctx->err.status;
        gh_strlcpy(w->description, d ? d : "", sizeof w->description);
    }
    if ((v = json_object_get(b, "enabled"))) w->enabled = json_is_true(v);
    if ((v = json_object_get(b, "events"))) {
        size_t i, used = 0;
        json_t *e;
        if (!json_is_array(v) || json_array_size(v) == 0)
            return invalid(ctx, "invalid_events", "events", "events is a non-empty list of event names");
        json_t *unknown = json_array();
        if (!unknown) return gh_ctx_oom(ctx);
        w->events[0] = '\0';
        json_array_foreach(v, i, e) {
            const char *s = json_string_value(e);
            if (!s || (!in_list(gh_webhook_events, s) && !in_list(patterns, s))) {
                if (json_array_size(unknown) < 20)
                    json_array_append_new(unknown, s && strlen(s) <= 80 ? json_string(s) : json_string("(not a name)"));
                continue;
            }
            if (gh_keylist_has(w->events, s)) continue;
            size_t n = strlen(s);
            if (used + n + 2 > sizeof w->events) break; /* cannot happen: the names are few and short */
            if (used) w->events[used++] = ' ';
            memcpy(w->events + used, s, n + 1);
            used += n;
        }
        if (json_array_size(unknown) > 0) {
            gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_events", "events",
                          "not an event name: see the list in the API documentation");
            gh_err_extra(&ctx->err, "unknown", unknown);
            return ctx->err.status;
        }
        json_decref(unknown);
    }
    return GH_OK;
}

typedef struct count_arg { int n; } count_arg;
static bool count_one(const gh_webhook *w, void *arg)
{
    (void)w;
    ((count_arg *)arg)->n++;
    return true;
}

/* An endpoint being written: the row, the new secret's text (wiped by the
 * caller), and the request body of an update. */
typedef struct webhook_op {
    const char *id; /* an update's endpoint */
    gh_webhook *w;
    char *secret;
    const json_t *body;
    bool rotate;
} webhook_op;

static gh_status webhook_create_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const webhook_op *op = arg;
    gh_webhook *w = op->w;
    count_arg c = {0};
    gh_status st = gh_store_webhook_each(ctx->db, w->org_id, false, count_one, &c, &ctx->err);
    if (st != GH_OK) return st;
    if (c.n >= GH_WEBHOOKS_PER_ORG_MAX)
        return gh_fail(&ctx->err, GH_E_CONFLICT, "too_many_webhooks", "an organization has at most %d webhooks",
                       GH_WEBHOOKS_PER_ORG_MAX);
    if ((st = new_secret(ctx, w, op->secret)) != GH_OK) return st;
    if ((st = gh_store_webhook_insert(ctx->db, w, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "webhook.created", "webhook", w->id,
                json_pack("{s:s, s:o}", "url", w->url, "events", gh_json_keylist(w->events)));
    return GH_OK;
}

gh_status gh_webhook_create(gh_ctx *ctx, const json_t *body, json_t **out)
{
    char secret[SECRET_TEXT_MAX] = "";
    gh_webhook *w = calloc(1, sizeof *w);
    gh_status st;
    if (!w) return gh_ctx_oom(ctx);
    w->enabled = true;
    if (!json_object_get(body, "url")) { st = invalid(ctx, "missing_field", "url", "url is required"); goto out; }
    if (!json_object_get(body, "events")) { st = invalid(ctx, "missing_field", "events", "events is required"); goto out; }
    if ((st = apply_body(ctx, body, w)) != GH_OK) goto out;
    gh_id_new("whk", w->id);
    gh_strlcpy(w->org_id, ctx->actor.org_id, sizeof w->org_id);
    if (ctx->actor.type == GH_ACTOR_USER) gh_strlcpy(w->created_by, ctx->actor.id, sizeof w->created_by);
    w->created_at = w->updated_at = gh_now();
    /* Webhooks are not in the authorization snapshot. */
    if ((st = gh_tx_run_no_refresh(ctx, webhook_create_change, &(webhook_op){.w = w, .secret = secret})) != GH_OK)
        goto out;
    *out = hook_json(w);
    if (*out) json_object_set_new(*out, "secret", json_string(secret));
out:
    sodium_memzero(secret, sizeof secret);
    free(w);
    return st;
}

static gh_status webhook_update_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const webhook_op *op = arg;
    gh_webhook *w = op->w;
    gh_status st = gh_store_webhook_get(ctx->db, ctx->actor.org_id, op->id, w, &ctx->err);
    if (st != GH_OK) return st;
    if ((st = apply_body(ctx, op->body, w)) != GH_OK) return st;
    if (op->rotate && (st = new_secret(ctx, w, op->secret)) != GH_OK) return st;
    w->updated_at = gh_now();
    if ((st = gh_store_webhook_update(ctx->db, w, &ctx->err)) != GH_OK) return st;
    json_t *changes = json_object();
    if (!changes) return gh_ctx_oom(ctx);
    static const char *const keys[] = {"url", "events", "description", "enabled", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (json_object_get(op->body, keys[i])) json_object_set(changes, keys[i], json_object_get(op->body, keys[i]));
    if (op->rotate) json_object_set_new(changes, "secret_rotated", json_true());
    gh_tx_event(tx, "webhook.updated", "webhook", w->id, changes);
    return GH_OK;
}

gh_status gh_webhook_update(gh_ctx *ctx, const char *id, const json_t *body, json_t **out)
{
    char secret[SECRET_TEXT_MAX] = "";
    gh_webhook *w = calloc(1, sizeof *w);
    gh_status st;
    bool rotate = json_is_true(json_object_get(body, "rotate_secret"));
    if (!w) return gh_ctx_oom(ctx);
    webhook_op op = {.id = id, .w = w, .secret = secret, .body = body, .rotate = rotate};
    if ((st = gh_tx_run_no_refresh(ctx, webhook_update_change, &op)) == GH_OK) {
        *out = hook_json(w);
        if (*out && rotate) json_object_set_new(*out, "secret", json_string(secret));
    }
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(w->secret, sizeof w->secret);
    free(w);
    return st;
}

typedef struct { const char *id; } webhook_delete_op;

static gh_status webhook_delete_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const char *id = ((const webhook_delete_op *)arg)->id;
    gh_status st = gh_store_webhook_delete(ctx->db, ctx->actor.org_id, id, &ctx->err);
    if (st != GH_OK) return st;
    gh_tx_event(tx, "webhook.deleted", "webhook", id, NULL);
    return GH_OK;
}

gh_status gh_webhook_delete(gh_ctx *ctx, const char *id)
{
    return gh_tx_run_no_refresh(ctx, webhook_delete_change, &(webhook_delete_op){id});
}

gh_status gh_webhook_get(gh_ctx *ctx, const char *id, json_t **out)
{
    gh_webhook *w = calloc(1, sizeof *w);
    if (!w) return gh_ctx_oom(ctx);
    gh_status st = gh_store_webhook_get(ctx->db, ctx->actor.org_id, id, w, &ctx->err);
    if (st == GH_OK && !(*out = hook_json(w))) st = gh_ctx_oom(ctx);
    free(w);
    return st;
}

static bool list_one(const gh_webhook *w, void *arg)
{
    return json_array_append_new(arg, hook_json(w)) == 0;
}

gh_status gh_webhook_list(gh_ctx *ctx, json_t **items)
{
    if (!(*items = json_array())) return gh_ctx_oom(ctx);
    gh_status st = gh_store_webhook_each(ctx->db, ctx->actor.org_id, false, list_one, *items, &ctx->err);
    if (st != GH_OK) {
        json_decref(*items);
        *items = NULL;
    }
    return st;
}

gh_status gh_webhook_deliveries(gh_ctx *ctx, const char *id, int limit, json_t **items)
{
    gh_webhook *w = calloc(1, sizeof *w);
    if (!w) return gh_ctx_oom(ctx);
    gh_status st = gh_store_webhook_get(ctx->db, ctx->actor.org_id, id, w, &ctx->err);
    free(w);
    if (st != GH_OK) return st;
    *items = gh_store_whdelivery_list(ctx->db, ctx->actor.org_id, id, limit, &ctx->err);
    return *items ? GH_OK : ctx->err.status;
}

gh_status gh_webhook_send_test(gh_ctx *ctx, const char *id, json_t **out)
{
    gh_webhook *w = calloc(1, sizeof *w);
    char *payload = NULL, mid[GH_ID_MAX];
    gh_status st;
    if (!w) return gh_ctx_oom(ctx);
    if ((st = gh_tx_begin(ctx)) != GH_OK) goto out;
    if ((st = gh_store_webhook_get(ctx->db, ctx->actor.org_id, id, w, &ctx->err)) != GH_OK) goto fail;
    int64_t now = gh_now();
    gh_id_new("msg", mid);
    json_t *data = json_pack("{s:s, s:s, s:s}", "org_id", w->org_id, "webhook_id", w->id, "message",
                             "a test event from gatehouse");
    if (!data || !(payload = payload_of("webhook.test", now, data))) { st = gh_ctx_oom(ctx); goto fail; }
    if ((st = gh_store_whdelivery_insert(ctx->db, mid, w->org_id, w->id, "webhook.test", payload, now, &ctx->err))
            != GH_OK)
        goto fail;
    if ((st = gh_audit(ctx, NULL, "webhook.tested", "webhook", w->id, json_pack("{s:s}", "delivery_id", mid))) != GH_OK)
        goto fail;
    if ((st = gh_db_commit(ctx->db, &ctx->err)) != GH_OK) goto out;
    *out = json_pack("{s:s, s:s, s:s}", "id", mid, "event", "webhook.test", "status", "queued");
    goto out;
fail:
    gh_ctx_rollback(ctx, st);
out:
    free(payload);
    free(w);
    return st;
}
