/*
 * Webhooks (issue 19 item 2): per-organization endpoints that receive signed
 * events about people, groups, roles, sessions and check-ins.
 *
 * Events come from the audit trail: gh_audit() hands every event it writes to
 * gh_webhooks_on_audit(), which maps the audit action to webhook events
 * (user.updated with a role change is also user.role_changed, ...) and
 * queues one delivery per subscribed endpoint, in the same transaction. So
 * no change can forget its event, and a change that rolls back (a refused
 * escalation, a seat limit) leaves no event either.
 *
 * Deliveries are a second kind of row in the delivery outbox
 * (core/delivery.h): the same dispatcher claims them with a lease and hands
 * the POST to the outbound workers; at least once, with exponential backoff
 * (5 s doubling to 1 h, jitter) for 24 h. Each request is signed in the
 * Standard Webhooks format: webhook-id (the message id, the same on every
 * attempt), webhook-timestamp (unix seconds of the attempt) and
 * webhook-signature "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>",
 * where the secret is "whsec_<base64 of 32 random bytes>", shown once at
 * creation and rotation and kept sealed in the secret box. Redirects are not
 * followed; at most 256 bytes of a reply are kept.
 */
#ifndef GH_WEBHOOKS_H
#define GH_WEBHOOKS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"

#define GH_WEBHOOKS_PER_ORG_MAX 20
#define GH_WEBHOOK_EXCERPT_MAX 256

/* The event names an endpoint may subscribe to, NULL-terminated. */
extern const char *const gh_webhook_events[];

/* Called by gh_audit inside the caller's transaction. */
gh_status gh_webhooks_on_audit(gh_ctx *ctx, const char *org_id, const char *audit_id, const char *action,
                               const char *actor_type, const char *actor_id, const char *target_type,
                               const char *target_id, json_t *detail, int64_t at);

/* The API (it.operations; org-scoped to ctx's actor). body fields: url,
 * events (array of names or "group.*"-style patterns, "*" for all),
 * description, enabled; PATCH also rotate_secret (true: a new secret,
 * answered once). */
gh_status gh_webhook_create(gh_ctx *ctx, const json_t *body, json_t **out);
gh_status gh_webhook_update(gh_ctx *ctx, const char *id, const json_t *body, json_t **out);
gh_status gh_webhook_delete(gh_ctx *ctx, const char *id);
gh_status gh_webhook_get(gh_ctx *ctx, const char *id, json_t **out);
gh_status gh_webhook_list(gh_ctx *ctx, json_t **items);
gh_status gh_webhook_deliveries(gh_ctx *ctx, const char *id, int limit, json_t **items);
/* Queues a "webhook.test" event for the endpoint; *out is the delivery. */
gh_status gh_webhook_send_test(gh_ctx *ctx, const char *id, json_t **out);

/* For the delivery dispatcher (core/delivery.c): claims one due delivery and
 * hands it to the outbound workers; false when nothing was due or there is
 * no room. */
bool gh_webhooks_dispatch_one(void *db);
/* Deliveries in flight (waits for none; for shutdown and tests). */
void gh_webhooks_abort(bool on);
void gh_webhooks_register_metrics(void);

/* Signs per Standard Webhooks: out gets "v1,<base64>" (cap >= 64). 0 on
 * success, -1 when the secret is not "whsec_<base64>". */
int gh_webhook_sign(const char *secret, const char *msg_id, int64_t ts, const char *body, size_t body_len,
                    char *out, size_t cap);

#endif
