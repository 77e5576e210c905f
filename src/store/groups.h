/*
 * Storage for user groups, group membership, saved views (view templates and
 * dashboards) and the sharing of views with groups. Same conventions as
 * store.h: plain structs in, callbacks out, GH_E_NOT_FOUND for missing rows,
 * every query scoped by org_id. Nothing here is cached: every read goes to
 * the database, which is what makes membership and view changes visible on
 * the very next request.
 */
#ifndef GH_STORE_GROUPS_H
#define GH_STORE_GROUPS_H
#include "store/store.h"

#define GH_GROUP_DESC_MAX 1000
#define GH_VIEW_CONFIG_MAX (256 * 1024)  /* bytes of compact JSON */

/* ---- groups ------------------------------------------------------------------ */
typedef struct gh_group {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char name[GH_NAME_MAX + 1];
    char description[GH_GROUP_DESC_MAX + 1];
    int64_t created_at, updated_at;
    int64_t member_count;   /* filled by get and list */
    bool is_member;         /* is the viewer (get/list argument) a member? */
} gh_group;

/* Insert/update answer GH_E_CONFLICT "group_name_taken" when another group of
 * the org has the same name ignoring ASCII case. */
gh_status gh_store_group_insert(gh_db *db, const gh_group *g, gh_err *err);
gh_status gh_store_group_update(gh_db *db, const gh_group *g, gh_err *err);
/* viewer_id (may be NULL) decides is_member. */
gh_status gh_store_group_get(gh_db *db, const char *org_id, const char *id, const char *viewer_id,
                             gh_group *g, gh_err *err);
/* Deleting a group drops its memberships and shares (cascade). */
gh_status gh_store_group_delete(gh_db *db, const char *org_id, const char *id, gh_err *err);
/* Groups of an org in (name, id) order after the keyset cursor (after_name
 * NULL = from the start), at most limit; q (NULL = all): text in the name,
 * any case and accents. */
gh_status gh_store_group_list(gh_db *db, const char *org_id, const char *viewer_id, const char *q,
                              const char *after_name, const char *after_id, int limit,
                              void (*fn)(const gh_group *, void *), void *arg, gh_err *err);
/* The query plan (EXPLAIN QUERY PLAN detail lines, one per line) of that
 * list, for tests that refuse a full scan or a sort of the whole org. */
gh_status gh_store_group_list_plan(gh_db *db, const char *org_id, const char *q, const char *after_name,
                                   const char *after_id, char *out, size_t cap, gh_err *err);
/* How many views the group is shared with. */
int64_t gh_store_group_share_count(gh_db *db, const char *org_id, const char *group_id);

/* ---- membership -------------------------------------------------------------- */
typedef struct gh_group_member {
    char user_id[GH_ID_MAX];
    char name[GH_NAME_MAX + 1];
    char email[GH_EMAIL_MAX + 1];   /* "" when none */
    int64_t added_at;
} gh_group_member;

/* Idempotent: *changed tells whether a row was added / removed. */
gh_status gh_store_group_member_add(gh_db *db, const char *org_id, const char *group_id, const char *user_id,
                                    const char *added_by, int64_t at, bool *changed, gh_err *err);
gh_status gh_store_group_member_remove(gh_db *db, const char *org_id, const char *group_id, const char *user_id,
                                       bool *changed, gh_err *err);
gh_status gh_store_group_is_member(gh_db *db, const char *org_id, const char *group_id, const char *user_id,
                                   bool *member, gh_err *err);
/* Members of a group in (name, id) order. */
gh_status gh_store_group_members(gh_db *db, const char *org_id, const char *group_id,
                                 void (*fn)(const gh_group_member *, void *), void *arg, gh_err *err);
/* Groups a user belongs to, in (name, id) order (only id and name are set). */
gh_status gh_store_groups_of_user(gh_db *db, const char *org_id, const char *user_id,
                                  void (*fn)(const gh_group *, void *), void *arg, gh_err *err);

/* ---- views ------------------------------------------------------------------- */
typedef struct gh_view {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char owner_id[GH_ID_MAX];        /* "" when the owner's account was deleted */
    char owner_name[GH_NAME_MAX + 1];
    char kind[16];                   /* template | dashboard */
    char name[GH_NAME_MAX + 1];
    char *config;                    /* compact JSON text, owned (gh_view_release); NULL if not loaded */
    int64_t created_at, updated_at;
} gh_view;

/* Frees the contents of v (its config). */
void gh_view_release(gh_view *v);

gh_status gh_store_view_insert(gh_db *db, const gh_view *v, gh_err *err);
/* Writes name, config and updated_at. */
gh_status gh_store_view_update(gh_db *db, const gh_view *v, gh_err *err);
gh_status gh_store_view_delete(gh_db *db, const char *org_id, const char *id, gh_err *err);
/* Loads a view with its config (release it with gh_view_release). */
gh_status gh_store_view_get(gh_db *db, const char *org_id, const char *id, gh_view *v, gh_err *err);

typedef struct gh_view_filter {
    const char *user_id;     /* views owned by or shared with this user */
    bool all;                /* every view of the org instead */
    const char *kind;        /* NULL = any */
    const char *after_name;  /* keyset cursor (name, id); NULL = start */
    const char *after_id;
    int limit;
    bool with_config;        /* load config too */
} gh_view_filter;
/* fn gets each view (borrowed: the callback must not keep v->config). */
gh_status gh_store_view_list(gh_db *db, const char *org_id, const gh_view_filter *f,
                             void (*fn)(const gh_view *, void *), void *arg, gh_err *err);

/* ---- shares ------------------------------------------------------------------ */
/* The groups a view is shared with, in (name, id) order, each with whether
 * user_id (may be NULL) is a member of it. */
gh_status gh_store_view_shares(gh_db *db, const char *org_id, const char *view_id, const char *user_id,
                               void (*fn)(const char *group_id, const char *group_name, bool member, void *),
                               void *arg, gh_err *err);
gh_status gh_store_view_share_add(gh_db *db, const char *org_id, const char *view_id, const char *group_id,
                                  const char *shared_by, int64_t at, gh_err *err);
gh_status gh_store_view_share_remove(gh_db *db, const char *org_id, const char *view_id, const char *group_id,
                                     gh_err *err);

#endif
