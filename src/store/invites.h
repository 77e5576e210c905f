/*
 * Storage of invitations (issue 4). An invitation is an email address, a role
 * and a single-use link whose token is stored only as a hash (replaced when
 * the invitation is resent). Its status moves pending -> accepted (it became
 * the user user_id) or pending -> cancelled; a pending invitation whose
 * expires_at has passed is "expired" (computed, not stored). At most one
 * pending invitation per email and org (unique index).
 *
 * Same conventions as store.h: GH_OK, GH_E_NOT_FOUND for gets, database
 * errors into err; every query is scoped by org_id except the lookup by
 * token hash, which is how an anonymous invitee finds their invitation.
 */
#ifndef GH_STORE_INVITES_H
#define GH_STORE_INVITES_H
#include "store/store.h"

typedef struct gh_invite {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char email[GH_EMAIL_MAX + 1];
    char role_key[65];
    char invited_by[GH_ID_MAX];             /* user id, "" when unknown or deleted */
    char invited_by_name[GH_NAME_MAX + 1];  /* read only: the inviter's current name */
    char token_hash[GH_HASH_HEX_LEN + 1];
    char status[16];                        /* pending | accepted | cancelled */
    int64_t created_at, sent_at, expires_at;
    int64_t accepted_at, cancelled_at;      /* 0 = not */
    char user_id[GH_ID_MAX];                /* the user it became, "" before */
} gh_invite;

/* GH_E_CONFLICT "already_invited" when a pending one exists for the email. */
gh_status gh_store_invite_insert(gh_db *db, const gh_invite *v, gh_err *err);
/* Writes role_key, invited_by, token_hash, status, sent_at, expires_at,
 * accepted_at, cancelled_at and user_id. */
gh_status gh_store_invite_update(gh_db *db, const gh_invite *v, gh_err *err);
/* Cancels the pending invitations user_id sent (at `at`); *n how many. */
gh_status gh_store_invite_cancel_by_inviter(gh_db *db, const char *org_id, const char *user_id, int64_t at, int64_t *n,
                                            gh_err *err);
gh_status gh_store_invite_get(gh_db *db, const char *org_id, const char *id, gh_invite *v, gh_err *err);
/* Any org: the token is the invitee's only credential. */
gh_status gh_store_invite_get_by_token(gh_db *db, const char *token_hash, gh_invite *v, gh_err *err);
/* The pending invitation (expired or not) for an email, case-insensitively. */
gh_status gh_store_invite_get_pending(gh_db *db, const char *org_id, const char *email, gh_invite *v, gh_err *err);

typedef struct gh_invite_filter {
    int64_t after_created;   /* keyset cursor (created_at, id); after_id NULL = start */
    const char *after_id;
    const char *q;           /* a substring of the address, any case and accents; NULL = any */
    int limit;
} gh_invite_filter;
/* Pending invitations (expired ones included) in (created_at, id) order. */
gh_status gh_store_invite_list_pending(gh_db *db, const char *org_id, const gh_invite_filter *f,
                                       void (*fn)(const gh_invite *, void *), void *arg, gh_err *err);
/* The query plan of that list (EXPLAIN QUERY PLAN lines), for tests. */
gh_status gh_store_invite_list_plan(gh_db *db, const char *org_id, const gh_invite_filter *f, char *out, size_t cap,
                                    gh_err *err);

#endif
