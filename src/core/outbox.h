/*
 * The outbox writer: mails are queued inside the caller's transaction, so a
 * mail exists exactly when the change that caused it committed; the
 * delivery loop (core/delivery.c) sends them.
 */
#ifndef GH_OUTBOX_H
#define GH_OUTBOX_H
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/mail.h"

/* Queues a mail rendered from the template mail/<kind>.txt with vars (see
 * core/mail.h; {NULL, NULL}-terminated) into the delivery outbox
 * (core/delivery.h). link, when given, is the URL the reader should open and
 * holds a live token until the mail is sent or link_expires_at passes. */
gh_status gh_mail(gh_ctx *ctx, const char *org_id, const char *kind, const char *to,
                  const gh_mail_var *vars, const char *link, int64_t link_expires_at);

/* gh_mail in the recipient's language (core/mail.h gh_mail_render_lang;
 * NULL or "" is English). */
gh_status gh_mail_lang(gh_ctx *ctx, const char *org_id, const char *kind, const char *to, const char *lang,
                       const gh_mail_var *vars, const char *link, int64_t link_expires_at);

/* Builds "{base_url}{path}?token={token}" into out. */
void gh_link(char *out, size_t cap, const char *path, const char *token);

#endif
