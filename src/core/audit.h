/*
 * The audit trail, written inside the caller's transaction, so an event
 * exists exactly when the change that caused it committed. The outbox
 * writer is core/outbox.h (included here for the callers that queue mails
 * with their events).
 */
#ifndef GH_AUDIT_H
#define GH_AUDIT_H
#include <jansson.h>

#include "core/ctx.h"
#include "core/mail.h"
#include "core/outbox.h"
#include "store/store.h"

/* Records `action` by ctx's actor on (target_type, target_id) in org_id
 * (NULL: the actor's org). detail (stolen, may be NULL) must hold no secrets. */
gh_status gh_audit(gh_ctx *ctx, const char *org_id, const char *action, const char *target_type,
                   const char *target_id, json_t *detail);
/* The same in a write transaction of its own, for an attempt that was
 * refused (whose own transaction, if any, was rolled back): a failed
 * sign-in, PIN or code, an expired link. It cannot fail the caller: the
 * refusal stands whether or not the row is written, and ctx->err is left
 * alone. detail is stolen. */
void gh_audit_alone(gh_ctx *ctx, const char *org_id, const char *action, const char *target_type,
                    const char *target_id, json_t *detail);

/* The actor's organization's audit trail, newest first, filtered by f,
 * appended to items; *next_seq is the cursor of the next page (0: none). */
gh_status gh_audit_list(gh_ctx *ctx, const gh_audit_filter *f, json_t *items, int64_t *next_seq);

#endif
