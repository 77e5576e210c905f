/*
 * Saved views (000, 003, 004): view templates and dashboards that the
 * products embedding gatehouse store here. A view has an owner, a kind
 * (template | dashboard), a name and a configuration: a JSON object stored as
 * given (at most GH_VIEW_CONFIG_MAX bytes of compact JSON).
 *
 * Who sees a view: its owner; every member of a group it is shared with; a
 * holder of dashboards.manage_any (any view of the org). Anybody else gets
 * 404, so the existence of a view does not leak.
 *
 * Who changes a view (004: creating, editing and deleting dashboards and
 * view templates is for Admin and Manager, i.e. dashboards.manage):
 *  - create: holders of dashboards.manage (403 permission_denied otherwise).
 *  - edit (name, config): the owner holding dashboards.manage; a holder of
 *    dashboards.manage who is a member of a group the view is shared with
 *    (000: "can be edited by any admin that has access via a User Group");
 *    a holder of dashboards.manage_any (003's IT Admin). Someone holding
 *    neither permission gets 403 permission_denied (naming
 *    dashboards.manage), others 403 view_read_only; an owner who lost
 *    dashboards.manage still sees their views.
 *  - delete: the owner holding dashboards.manage, or a holder of
 *    dashboards.manage_any only; an editor
 *    through a group gets 403 view_not_owner (a group editor should not be
 *    able to make a colleague's dashboard disappear).
 *  - share (PUT shares, route needs dashboards.manage): whoever may edit. A
 *    group can be added to the share set only by a member of that group
 *    (403 not_group_member); keeping or removing an existing share needs no
 *    membership.
 * Device accounts and kiosk sessions only read: editable is always false.
 *
 * Nothing is cached: views, shares and group membership are read from the
 * database on every request, so every change is seen on the next request.
 *
 * Audited: view.created, view.updated, view.deleted, view.shared.
 */
#ifndef GH_VIEWS_H
#define GH_VIEWS_H
#include <jansson.h>

#include "core/ctx.h"
#include "store/groups.h"

typedef struct gh_view_query {
    const char *kind;     /* NULL = both kinds */
    const char *cursor;   /* NULL = first page */
    int limit;            /* 0 = default */
    bool all;             /* every view of the org (needs dashboards.manage_any) */
    bool with_config;     /* include each view's config */
} gh_view_query;

/* The views the actor may see: own ones plus those shared with any of the
 * actor's groups (or all of the org), each with its `access`. */
gh_status gh_view_list(gh_ctx *ctx, const gh_view_query *q, json_t **items, char **next_cursor);
gh_status gh_view_get(gh_ctx *ctx, const char *id, json_t **out);
gh_status gh_view_create(gh_ctx *ctx, const char *name, const char *kind, const json_t *config, json_t **out);
/* NULL members are left alone; config, when given, must be an object. */
gh_status gh_view_update(gh_ctx *ctx, const char *id, const char *name, const json_t *config, json_t **out);
gh_status gh_view_delete(gh_ctx *ctx, const char *id);
/* Replaces the set of groups the view is shared with (an array of group ids). */
gh_status gh_view_share(gh_ctx *ctx, const char *id, const json_t *group_ids, json_t **out);

#endif
