/* Outbox mails (core/outbox.h), in the caller's transaction. */
#include "core/outbox.h"

#include <stdio.h>

#include "store/store.h"

gh_status gh_mail(gh_ctx *ctx, const char *org_id, const char *kind, const char *to,
                  const gh_mail_var *vars, const char *link, int64_t link_expires_at)
{
    return gh_mail_lang(ctx, org_id, kind, to, NULL, vars, link, link_expires_at);
}

gh_status gh_mail_lang(gh_ctx *ctx, const char *org_id, const char *kind, const char *to, const char *lang,
                       const gh_mail_var *vars, const char *link, int64_t link_expires_at)
{
    gh_mail_text t = {0};
    if (gh_mail_render_lang(kind, lang, vars, &t) != 0)
        return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "cannot render the mail");
    gh_mail_row m = {.org_id = org_id, .kind = kind, .to = to, .subject = t.subject, .body = t.text,
                     .html = t.html, .link = link, .link_expires_at = link ? link_expires_at : 0};
    gh_status st = gh_store_outbox_insert(ctx->db, &m, gh_now(), &ctx->err);
    gh_mail_text_free(&t);
    return st;
}

void gh_link(char *out, size_t cap, const char *path, const char *token)
{
    snprintf(out, cap, "%s%s?token=%s", gh_cfg()->base_url, path, token);
}
