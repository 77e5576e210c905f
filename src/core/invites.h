/*
 * Invitations (003, 002): how office users join. A holder of users.manage
 * invites one or more email addresses with one role; each invitee gets a
 * mail with a single-use link that expires after the org's invite_ttl_s.
 * Until the invitee accepts (choosing a name and a password) no user row
 * exists, so the invitee can do nothing. Accepting creates the active,
 * email-verified office user with the invited role and signs them in.
 *
 * Invitations never grant factory access: factory workers are created as
 * staff members (the shop-floor API, or the bulk import). A pending
 * invitation that has not expired holds an office seat; accepting turns it
 * into the user's seat in the same transaction.
 *
 * Every event is audited: invite.sent, invite.resent, invite.cancelled,
 * invite.accepted and invite.expired_use (an attempt to accept an expired
 * link).
 */
#ifndef GH_INVITES_H
#define GH_INVITES_H
#include <jansson.h>

#include "core/ctx.h"
#include "store/invites.h"
#include "store/store.h"

#define GH_INVITE_EMAILS_MAX 100   /* addresses in one POST /v1/invites */

/* {id, email, role, invited_by {id, name} | null, status, created_at,
 *  sent_at, expires_at, expired, accepted_at, user_id} */
json_t *gh_invite_json(const gh_invite *v);

/* Invites every address of `emails` (a JSON array of strings) with `role`.
 * *results gets one entry per address, in order:
 *   {email, status: "invited", invite_id, expires_at[, renewed: true]} or
 *   {email, status: "skipped", code: malformed|duplicate|already_member|
 *    already_invited, detail[, invite_id | user_id]}.
 * An expired pending invitation of an address is renewed (fresh link, new
 * role). Seats are all-or-nothing: when the new invitations would exceed
 * the office seats, nothing is created (409 seat_limit_reached). */
gh_status gh_invite_create(gh_ctx *ctx, const json_t *emails, const char *role, json_t **results);
/* Pending invitations (expired ones included, flagged), oldest first.
 * limit 0 = default; cursor from the previous page or NULL. */
gh_status gh_invite_list(gh_ctx *ctx, int limit, const char *cursor, const char *q, json_t **items, char **next_cursor);
gh_status gh_invite_get(gh_ctx *ctx, const char *id, gh_invite *out);
/* Mails a fresh link (the old one stops working) and restarts the expiry.
 * Without mail configured (gh_delivery_configured), the acceptance link is
 * copied into shown_link (GH_INVITE_LINK_MAX bytes, may be NULL) for the
 * inviter to pass on, and the audit event says link_shown; "" otherwise.
 * gh_invite_create puts it in each invited result as "link" likewise. */
#define GH_INVITE_LINK_MAX 1024
gh_status gh_invite_resend(gh_ctx *ctx, const char *id, gh_invite *out, char *shown_link);
gh_status gh_invite_cancel(gh_ctx *ctx, const char *id);

/* ---- the invitee's side (no authentication: the link is the credential) ---- */
typedef struct gh_invite_link {
    gh_invite invite;
    gh_org org;
    char role_name[GH_NAME_MAX + 1];
    bool expired;
} gh_invite_link;
/* The invitation of a link: 404 token_invalid (unknown or replaced by a
 * resend), 410 invite_cancelled, 410 invite_used. An expired one is
 * returned with expired = true. */
gh_status gh_invite_lookup(gh_ctx *ctx, const char *token, gh_invite_link *out);
/* Checks an acceptance before the password is hashed: the link as
 * gh_invite_lookup, but expired is 410 invite_expired (and audited as
 * invite.expired_use); then the name (400 invalid_name); then the password
 * (core/secret.h, against the invitee's e-mail, name and org). */
gh_status gh_invite_check(gh_ctx *ctx, const char *token, const char *name, const char *password);

typedef struct gh_invite_accepted {
    gh_user user;
    gh_session session;
    char token[GH_TOKEN_LEN + 1];   /* the new session's secrets */
    char csrf[GH_TOKEN_LEN + 1];
} gh_invite_accepted;
/* Accepts: creates the user (password_hash is argon2id), marks the
 * invitation accepted and opens an office session, in one transaction.
 * Same link errors as gh_invite_check; 409 already_member when the address
 * became a user meanwhile, 409 invite_role_missing when the role was
 * deleted. */
gh_status gh_invite_accept(gh_ctx *ctx, const char *token, const char *name, const char *password_hash,
                           gh_invite_accepted *out);

/* Company sign-in (issue 16, core/ssosignin.c): the IdP vouched for email
 * and nobody in o has it: accepts the pending invitation of that address
 * (the e-mail is the match) by creating the user with the invited role, no
 * password and name; audited invite.accepted (method sso) and
 * user.created. 404 invite_not_found when no invitation is pending for
 * the address, 410 invite_expired, and the conflicts of gh_invite_accept.
 * The caller links the identity and opens the session. */
gh_status gh_invite_accept_sso(gh_ctx *ctx, const gh_org *o, const char *email, const char *name, gh_user *out);

/* ---- for the bulk import ---------------------------------------------------------- */
/* Inside the caller's open transaction: invites `email` with role r, or
 * renews `expired` (the address's expired pending invitation) when not
 * NULL; mails the link and audits invite.sent with detail.source = source.
 * The caller checks seats. out may be NULL. */
gh_status gh_invite_issue(gh_ctx *ctx, const gh_org *o, const gh_role *r, const char *email,
                          const gh_invite *expired, const char *inviter_name, const char *source,
                          gh_invite *out, char *shown_link);
/* The acting user's name for invitation mails (the org's name for others). */
void gh_invite_inviter_name(gh_ctx *ctx, const gh_org *o, char out[GH_NAME_MAX + 1]);

#endif
