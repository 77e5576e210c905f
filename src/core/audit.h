/*
 * The audit trail and the outbox. Both are written inside the caller's
 * transaction, so an event or a mail exists exactly when the change that
 * caused it committed.
 */
#ifndef GH_AUDIT_H
#define GH_AUDIT_H
#include <jansson.h>

#include "core/ctx.h"
#include "core/mail.h"
#include "store/store.h"

/* Records `action` by ctx's actor on (target_type, target_id) in org_id
 * (NULL: the actor's org). detail (stolen, may be NULL) must hold no secrets. */
gh_status gh_audit(gh_ctx *ctx, const char *org_id, const char *action, const char *target_type,
                   const char *target_id, json_t *detail);

/* Queues a mail rendered from the template mail/<kind>.txt with vars (see
 * core/mail.h; {NULL, NULL}-terminated) into the delivery outbox
 * (core/delivery.h). link, when given, is the URL the reader should open and
 * holds a live token until the mail is sent or link_expires_at passes. */
gh_status gh_mail(gh_ctx *ctx, const char *org_id, const char *kind, const char *to,
                  const gh_mail_var *vars, const char *link, int64_t link_expires_at);

/* The actor's organization's audit trail, newest first, filtered by f,
 * appended to items; *next_seq is the cursor of the next page (0: none). */
gh_status gh_audit_list(gh_ctx *ctx, const gh_audit_filter *f, json_t *items, int64_t *next_seq);

/* Builds "{base_url}{path}?token={token}" into out. */
void gh_link(char *out, size_t cap, const char *path, const char *token);


#endif
