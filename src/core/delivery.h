/*
 * The delivery outbox (DESIGN.md, "Mechanisms for the second stage"): rows
 * written by gh_mail() in the transaction of the change that caused them, and
 * delivered afterwards by one dispatcher thread per process.
 *
 * The dispatcher claims a due row with a lease (store: UPDATE ... SET
 * status = 'sending', lease_until = now + lease ... RETURNING), so exactly
 * one process sends it, and hands the send to the outbound workers
 * (core/outbound.h); a slow or dead SMTP server only ever holds those. The
 * worker records the outcome: 'sent'; 'deferred' for temporary failures
 * (connection refused, timeouts, 4xx) with exponential backoff and jitter
 * (1 min doubling to 1 h) until 24 h after the mail was queued; 'failed' for
 * permanent ones (5xx) or after 24 h. A process killed mid-send leaves the row
 * 'sending'; once its lease expires any process claims it again: every mail
 * is delivered at least once, and at most twice when the kill fell between
 * the server's "250 OK" and the row's update.
 *
 * Without SMTP configured, mails are marked 'logged' and stay readable with
 * `gatehouse outbox` (development). Once a mail is sent or failed, or its
 * link expired, the token is scrubbed from the stored body, HTML and link.
 * Webhook deliveries (core/webhooks.h) are a second kind of row, claimed
 * the same way by the same dispatcher and sent by their own sender.
 */
#ifndef GH_DELIVERY_H
#define GH_DELIVERY_H
#include <stdbool.h>
#include <stddef.h>

typedef struct gh_smtp_settings {
    const char *url;      /* smtp://host:587 (STARTTLS required) or smtps://host:465 */
    bool plain;           /* smtp:// without TLS: explicit opt-out for a local relay */
    const char *user, *password; /* NULL: no AUTH */
    const char *from;     /* "Name <addr>" */
    const char *ca_file;  /* NULL: the system's CAs */
    long timeout_s;       /* per send; 0 = 60 */
} gh_smtp_settings;

/* Validates and keeps a copy of the settings (the password is wiped at
 * exit). s->url NULL or "": mail not configured. 0, or -1 with err. */
int gh_delivery_configure(const gh_smtp_settings *s, char *err, size_t errlen);
bool gh_delivery_configured(void);
/* Starts / stops the dispatcher thread (after gh_outbound_start). */
int gh_delivery_start(void);
void gh_delivery_stop(void);
/* Wakes the dispatcher now (after a commit that queued mail). */
void gh_delivery_kick(void);
/* Wipes the kept settings. */
void gh_delivery_forget(void);

/* Sends a test message to `to` now, synchronously, with the configured
 * settings. 0 when the server accepted it; reply gets the server's last
 * answer or libcurl's error. */
int gh_delivery_send_test(const char *to, const char *org_name, char *reply, size_t cap);

/* ---- for the API (org-scoped to ctx's actor) ---- */
#include <jansson.h>
#include "core/ctx.h"
/* The org's newest `limit` mails, oldest first, metadata only (no body, no
 * link): {id, kind, to, subject, status, attempts, last_error,
 * next_attempt_at, created_at, sent_at}. NULL with ctx->err on failure. */
json_t *gh_delivery_list(gh_ctx *ctx, int limit);
/* Adds "mail": {status, attempts, last_error, sent_at} (or null when no mail
 * of `kind` went to it) to each object of items whose `email_key` is a
 * string and whose `skip_key` (may be NULL) is not true. */
void gh_delivery_annotate(gh_ctx *ctx, json_t *items, const char *kind, const char *email_key, const char *skip_key);

#endif
