/*
 * Storage of passkeys and security keys (core/webauthn.h): registered
 * credentials (public key, COSE type, sign counter) and single-use
 * challenges, stored hashed. Same conventions as store/store.h; every query
 * is scoped by org_id.
 */
#ifndef GH_STORE_WEBAUTHN_H
#define GH_STORE_WEBAUTHN_H
#include <jansson.h>

#include "store/store.h"

#define GH_WA_CRED_ID_MAX 1400   /* base64url of a credential id (up to 1023 bytes) */
#define GH_WA_PK_MAX 800         /* base64url of a raw public key (RS256: 259 bytes) */

typedef struct gh_wa_cred {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char user_id[GH_ID_MAX];
    char cred_id[GH_WA_CRED_ID_MAX];
    int cose_type;                   /* COSE_ES256, COSE_RS256, COSE_EDDSA */
    char public_key[GH_WA_PK_MAX];
    int64_t sign_count;
    char name[GH_NAME_MAX + 1];
    int64_t created_at, last_used_at;
} gh_wa_cred;

gh_status gh_store_wa_cred_insert(gh_db *db, const gh_wa_cred *c, gh_err *err);
/* The person's credential with this credential id (GH_E_NOT_FOUND). */
gh_status gh_store_wa_cred_get(gh_db *db, const char *org_id, const char *user_id, const char *cred_id, gh_wa_cred *c,
                               gh_err *err);
/* [{id, name, created_at, last_used_at}] and, with ids, the credential ids. */
json_t *gh_store_wa_cred_list(gh_db *db, const char *org_id, const char *user_id, bool cred_ids, gh_err *err);
int64_t gh_store_wa_cred_count(gh_db *db, const char *org_id, const char *user_id);
/* Moves the counter from `old` to `count` (and last_used_at): *won false
 * when another assertion moved it first. */
gh_status gh_store_wa_cred_use(gh_db *db, const char *org_id, const char *id, int64_t old, int64_t count, int64_t at,
                               bool *won, gh_err *err);
gh_status gh_store_wa_cred_rename(gh_db *db, const char *org_id, const char *user_id, const char *id, const char *name,
                                  gh_err *err);
/* Deletes one credential (id) or all of the person's (id NULL); *n how many. */
gh_status gh_store_wa_cred_delete(gh_db *db, const char *org_id, const char *user_id, const char *id, int64_t *n,
                                  gh_err *err);

gh_status gh_store_wa_challenge_insert(gh_db *db, const char *hash, const char *org_id, const char *user_id,
                                       const char *purpose, int64_t expires_at, gh_err *err);
/* Takes (deletes) the challenge if it is the person's, for purpose and not
 * expired: *ok. Expired challenges are swept on the way. */
gh_status gh_store_wa_challenge_take(gh_db *db, const char *hash, const char *org_id, const char *user_id,
                                     const char *purpose, int64_t now, bool *ok, gh_err *err);

#endif
