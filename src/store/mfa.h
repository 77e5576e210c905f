/*
 * Storage of second factors (core/mfa.h): factors, recovery-code hashes, the
 * org's MFA policy and the pending mark of a session. Same conventions as
 * store/store.h; every query is scoped by org_id.
 */
#ifndef GH_STORE_MFA_H
#define GH_STORE_MFA_H
#include "store/store.h"

#define GH_MFA_SEALED_MAX 256  /* a sealed TOTP secret */

typedef struct gh_mfa_factor {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char user_id[GH_ID_MAX];
    char kind[16];                  /* totp | webauthn */
    char label[GH_NAME_MAX + 1];
    char secret[GH_MFA_SEALED_MAX]; /* sealed (core/secretbox.h) */
    char secret_kid[24];
    bool confirmed;
    int64_t last_step;              /* TOTP: the newest accepted step */
    int64_t created_at, last_used_at;
} gh_mfa_factor;

gh_status gh_store_mfa_factor_insert(gh_db *db, const gh_mfa_factor *f, gh_err *err);
/* The user's factor of `kind` (confirmed or not): GH_E_NOT_FOUND when none. */
gh_status gh_store_mfa_factor_get(gh_db *db, const char *org_id, const char *user_id, const char *kind,
                                  gh_mfa_factor *f, gh_err *err);
gh_status gh_store_mfa_factor_confirm(gh_db *db, const char *org_id, const char *id, int64_t step, int64_t at,
                                      gh_err *err);
/* Accepts `step` only if it is newer than the stored one: *won false when
 * another request already used it (or a newer one). */
gh_status gh_store_mfa_factor_use_step(gh_db *db, const char *org_id, const char *id, int64_t step, int64_t at,
                                       bool *won, gh_err *err);
/* Replaces a factor's sealed secret (sealed again under the current key). */
gh_status gh_store_mfa_factor_reseal(gh_db *db, const char *org_id, const char *id, const char *secret, const char *kid,
                                     gh_err *err);
/* Deletes the user's factors of kind (NULL: all kinds); *n gets how many. */
gh_status gh_store_mfa_factor_delete(gh_db *db, const char *org_id, const char *user_id, const char *kind,
                                     bool unconfirmed_only, int64_t *n, gh_err *err);
/* Confirmed factors of the user, as a JSON array of {id, kind, label,
 * created_at, last_used_at} (never a secret). */
json_t *gh_store_mfa_factor_list(gh_db *db, const char *org_id, const char *user_id, gh_err *err);

gh_status gh_store_mfa_recovery_insert(gh_db *db, const char *org_id, const char *user_id, const char *hash,
                                       int64_t at, gh_err *err);
/* Marks the unused code with that hash used: *won false when there is none
 * (wrong, or used before, or by a concurrent request). */
gh_status gh_store_mfa_recovery_use(gh_db *db, const char *org_id, const char *user_id, const char *hash,
                                    int64_t at, bool *won, gh_err *err);
gh_status gh_store_mfa_recovery_delete(gh_db *db, const char *org_id, const char *user_id, gh_err *err);
/* Unused recovery codes of the user. */
int64_t gh_store_mfa_recovery_left(gh_db *db, const char *org_id, const char *user_id);

typedef struct gh_mfa_policy {
    char policy[16];   /* optional | privileged | all */
    bool sso_counts;   /* an IdP's MFA assertion counts as the second factor */
    char sso_acr[256]; /* an acr value that counts too ("" = amr "mfa" only) */
    int64_t updated_at;
} gh_mfa_policy;
/* The org's policy; "optional" and nothing counted when never set. */
gh_status gh_store_mfa_policy_get(gh_db *db, const char *org_id, gh_mfa_policy *p, gh_err *err);
gh_status gh_store_mfa_policy_put(gh_db *db, const char *org_id, const gh_mfa_policy *p, gh_err *err);

#endif
