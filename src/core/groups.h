/*
 * User groups (000): named sets of users of one organization. A user may
 * belong to any number of groups. Groups carry no permissions of their own;
 * they decide who sees which shared views (core/views.h).
 *
 * Membership is read from the database on every request, so adding or
 * removing a member takes effect on that user's next request (000's product
 * needed a new sign-in; gatehouse does not).
 *
 * Every signed-in user of the org may list and read groups; the member list
 * of a group is shown only to holders of groups.manage or users.view (it
 * names people and their email addresses). Changes need groups.manage (the
 * route table checks it) and are audited: group.created, group.updated,
 * group.deleted, group.member_added, group.member_removed.
 */
#ifndef GH_GROUPS_H
#define GH_GROUPS_H
#include <jansson.h>

#include "core/ctx.h"
#include "store/groups.h"

/* Lists groups in (name, id) order with member_count and is_member (of the
 * acting user). cursor may be NULL; *next_cursor (malloc, may be NULL) is
 * set when more may follow. */
gh_status gh_group_list(gh_ctx *ctx, const char *q, const char *cursor, int limit, json_t **items, char **next_cursor);
/* One group; with its members when the actor may see them. */
gh_status gh_group_get(gh_ctx *ctx, const char *id, json_t **out);
gh_status gh_group_create(gh_ctx *ctx, const char *name, const char *description, json_t **out);
/* NULL members are left alone. */
gh_status gh_group_update(gh_ctx *ctx, const char *id, const char *name, const char *description, json_t **out);
/* Also removes the group's memberships and its view shares. */
gh_status gh_group_delete(gh_ctx *ctx, const char *id);
/* Adds (member true) or removes a user; idempotent. The group and the user
 * must exist in the actor's org (GH_E_NOT_FOUND otherwise). */
gh_status gh_group_member_set(gh_ctx *ctx, const char *group_id, const char *user_id, bool member);

/* The groups user_id belongs to, as [{id, name}] in name order (for
 * GET /v1/users/{id} and GET /v1/me). NULL with ctx->err set on failure. */
json_t *gh_groups_of_user(gh_ctx *ctx, const char *user_id);

#endif
