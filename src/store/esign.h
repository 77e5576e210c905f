/*
 * Storage of electronic signatures (core/esign.h): which accounts may sign,
 * the signatures of an organization (an append-only hash chain) and the
 * chain's head. Same conventions as store/store.h; every query is scoped by
 * org_id.
 */
#ifndef GH_STORE_ESIGN_H
#define GH_STORE_ESIGN_H
#include "store/store.h"

#define GH_SIG_TEXT_MAX 256   /* record_type, record_ref, meaning, content_hash */
#define GH_SIG_HASH_HEX 65    /* SHA-256 in hex and its NUL */

typedef struct gh_signature {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    int64_t seq;                       /* 1, 2, 3 ... per organization */
    char signer_id[GH_ID_MAX];
    char signer_name[GH_NAME_MAX + 1];
    char signer_email[GH_EMAIL_MAX + 1];
    char on_behalf_id[GH_ID_MAX];      /* "" when signed for oneself */
    char on_behalf_name[GH_NAME_MAX + 1];
    char record_type[GH_SIG_TEXT_MAX];
    char record_ref[GH_SIG_TEXT_MAX];
    char content_hash[GH_SIG_TEXT_MAX];
    char meaning[GH_SIG_TEXT_MAX];
    char method[24];                   /* password | password+otp */
    int64_t signed_at;
    char prev_hash[GH_SIG_HASH_HEX];
    char hash[GH_SIG_HASH_HEX];
} gh_signature;

/* Whether the person may sign electronically. */
gh_status gh_store_esign_enabled(gh_db *db, const char *org_id, const char *user_id, bool *enabled, gh_err *err);
/* Enables (a row) or disables (no row) the person's e-signature; *changed
 * false when it already was so. */
gh_status gh_store_esign_set(gh_db *db, const char *org_id, const char *user_id, bool enabled, const char *by,
                             int64_t at, bool *changed, gh_err *err);

/* The chain's head as recorded beside the rows (seq 0 and "" when none). */
gh_status gh_store_sig_head(gh_db *db, const char *org_id, int64_t *seq, char hash[GH_SIG_HASH_HEX], gh_err *err);
/* Appends s (its seq and hashes computed by the caller inside the same
 * transaction) and moves the head to it. */
gh_status gh_store_sig_append(gh_db *db, const gh_signature *s, gh_err *err);
/* Calls fn for the org's signatures in seq order (record_ref NULL: all);
 * fn returning false stops. */
gh_status gh_store_sig_each(gh_db *db, const char *org_id, const char *record_ref,
                            bool (*fn)(const gh_signature *s, void *arg), void *arg, gh_err *err);

#endif
