/*
 * The audit trail and the outbox. Both are written inside the caller's
 * transaction, so an event or a mail exists exactly when the change that
 * caused it committed.
 */
#ifndef GH_AUDIT_H
#define GH_AUDIT_H
#include <jansson.h>

#include "core/ctx.h"

/* Records `action` by ctx's actor on (target_type, target_id) in org_id
 * (NULL: the actor's org). detail (stolen, may be NULL) must hold no secrets. */
gh_status gh_audit(gh_ctx *ctx, const char *org_id, const char *action, const char *target_type,
                   const char *target_id, json_t *detail);

/* Queues a mail. link, when given, is the URL the reader should open. */
gh_status gh_mail(gh_ctx *ctx, const char *org_id, const char *kind, const char *to,
                  const char *subject, const char *body, const char *link);

/* Builds "{base_url}{path}?token={token}" into out. */
void gh_link(char *out, size_t cap, const char *path, const char *token);

/* Delivers pending mails: logs them (SMTP is a later issue) and marks them
 * sent. Called by the background loop. */
void gh_outbox_deliver(gh_db *db);

#endif
