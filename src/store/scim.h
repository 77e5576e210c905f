/*
 * The attributes a provisioning client (SCIM, issue 19) keeps on a person
 * beyond gatehouse's own columns: externalId, title, given and family
 * name, and the enterprise extension's employeeNumber, department and
 * manager. One row per user in table scim_users, removed with the user.
 */
#ifndef GH_STORE_SCIM_H
#define GH_STORE_SCIM_H
#include "store/store.h"

#define GH_SCIM_TEXT_MAX 200

typedef struct gh_user_scim {
    char external_id[GH_SCIM_TEXT_MAX + 1];
    char title[GH_SCIM_TEXT_MAX + 1];
    char given_name[GH_SCIM_TEXT_MAX + 1];
    char family_name[GH_SCIM_TEXT_MAX + 1];
    char employee_number[GH_SCIM_TEXT_MAX + 1];
    char department[GH_SCIM_TEXT_MAX + 1];
    char manager_id[GH_ID_MAX];
} gh_user_scim;

/* The row of user_id, or all empty (GH_OK) when it has none. */
gh_status gh_store_user_scim_get(gh_db *db, const char *org_id, const char *user_id, gh_user_scim *out, gh_err *err);
/* Writes (inserts or replaces) the row; an all-empty one is deleted. */
gh_status gh_store_user_scim_put(gh_db *db, const char *org_id, const char *user_id, const gh_user_scim *s,
                                 gh_err *err);
/* Every row of an org: fn(user_id, row, arg). */
gh_status gh_store_user_scim_each(gh_db *db, const char *org_id,
                                  void (*fn)(const char *user_id, const gh_user_scim *s, void *arg), void *arg,
                                  gh_err *err);
#endif
