/*
 * The SCIM Group resource over gatehouse's groups: to and from SCIM, the
 * member list synchronised with the group's members, PUT, PATCH and DELETE
 * under the If-Match guard.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/groups.h"
#include "core/scim_int.h"
#include "util/json.h"

/* ---- groups ------------------------------------------------------------------------- */
static json_t *group_to_scim(const json_t *g)
{
    const char *id = json_string_value(json_object_get(g, "id"));
    json_t *o = json_pack("{s:[s], s:s, s:O}", "schemas", GH_SCIM_GROUP_URN, "id", id ? id : "", "displayName",
                          json_object_get(g, "name"));
    json_t *members = json_array();
    if (!o || !members) { json_decref(o); json_decref(members); return NULL; }
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(g, "members"), i, m) {
        char loc[700];
        const char *uid = json_string_value(json_object_get(m, "id"));
        gh_scim_location(loc, sizeof loc, "Users", uid ? uid : "");
        json_array_append_new(members, json_pack("{s:s, s:O, s:s, s:s}", "value", uid ? uid : "", "display",
                                                 json_object_get(m, "name"), "$ref", loc, "type", "User"));
    }
    json_object_set_new(o, "members", members);
    /* The group's times are in its JSON as text; meta carries them on. */
    json_t *tag_src = json_incref(o);
    char tag[40];
    gh_scim_etag_of(tag_src, tag);
    json_decref(tag_src);
    char loc[700];
    gh_scim_location(loc, sizeof loc, "Groups", id ? id : "");
    json_object_set_new(o, "meta", json_pack("{s:s, s:O, s:O, s:s, s:s}", "resourceType", "Group", "created",
                                             json_object_get(g, "created_at"), "lastModified",
                                             json_object_get(g, "updated_at"), "location", loc, "version", tag));
    return o;
}

static gh_status group_load(gh_ctx *ctx, const char *id, json_t **out)
{
    json_t *g = NULL;
    *out = NULL;
    gh_status st = gh_group_get(ctx, id, &g);
    if (st == GH_E_NOT_FOUND) {
        gh_err_clear(&ctx->err);
        return gh_fail(&ctx->err, GH_E_NOT_FOUND, "group_not_found", "no such group");
    }
    if (st != GH_OK) return st;
    if (!(*out = group_to_scim(g))) st = gh_ctx_oom(ctx);
    json_decref(g);
    return st;
}

gh_status gh_scim_group_get(gh_ctx *ctx, const char *id, json_t **out) { return group_load(ctx, id, out); }

gh_status gh_scim_groups_list(gh_ctx *ctx, const gh_scim_query *q, json_t **out)
{
    json_t *all = json_array();
    char *cursor = NULL;
    gh_status st = GH_OK;
    *out = NULL;
    if (!all) return gh_ctx_oom(ctx);
    for (;;) {
        json_t *items = NULL;
        char *next = NULL;
        st = gh_group_list(ctx, NULL, cursor, 200, &items, &next);
        free(cursor);
        cursor = next;
        if (st != GH_OK) break;
        size_t i;
        json_t *g;
        json_array_foreach(items, i, g) {
            json_t *r = NULL;
            if ((st = group_load(ctx, json_string_value(json_object_get(g, "id")), &r)) != GH_OK) break;
            json_array_append_new(all, r);
        }
        json_decref(items);
        if (st != GH_OK || !cursor) break;
    }
    free(cursor);
    if (st != GH_OK) { json_decref(all); return st; }
    return gh_scim_list_answer(ctx, all, q, out);
}

/* The member ids a Group representation names; NULL with ctx->err set. */
static json_t *member_ids(gh_ctx *ctx, const json_t *in)
{
    json_t *ids = json_array();
    json_t *ms = gh_scim_get_ci(in, "members");
    if (!ids) { gh_ctx_oom(ctx); return NULL; }
    if (ms && !json_is_null(ms) && !json_is_array(ms)) {
        json_decref(ids);
        gh_scim_bad_value(ctx, "members", "must be an array");
        return NULL;
    }
    size_t i;
    json_t *m;
    json_array_foreach(ms, i, m) {
        json_t *v = json_is_object(m) ? gh_scim_get_ci(m, "value") : NULL;
        if (!json_is_string(v)) {
            json_decref(ids);
            gh_scim_bad_value(ctx, "members", "entries need a string 'value' (a user id)");
            return NULL;
        }
        json_array_append(ids, v);
    }
    return ids;
}

static bool has_id(const json_t *arr, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) && strcmp(json_string_value(v), id) == 0) return true;
    return false;
}

/* Makes the group's members exactly `want` (ids); unknown users are 400. */
static gh_status members_sync(gh_ctx *ctx, const char *gid, const json_t *have, const json_t *want)
{
    size_t i;
    json_t *v;
    json_array_foreach(want, i, v) {
        const char *uid = json_string_value(v);
        if (has_id(have, uid)) continue;
        gh_status st = gh_group_member_set(ctx, gid, uid, true);
        if (st == GH_E_NOT_FOUND) return gh_scim_bad_value(ctx, "members", "names a user that does not exist");
        if (st != GH_OK) return st;
    }
    json_array_foreach(have, i, v) {
        const char *uid = json_string_value(v);
        if (has_id(want, uid)) continue;
        gh_status st = gh_group_member_set(ctx, gid, uid, false);
        if (st != GH_OK && st != GH_E_NOT_FOUND) return st;
        gh_err_clear(&ctx->err);
    }
    return GH_OK;
}

static gh_status display_name(gh_ctx *ctx, const json_t *in, const char **out)
{
    gh_status st = gh_scim_opt_str(ctx, in, "displayName", "displayName", GH_NAME_MAX, out);
    if (st == GH_OK && (!*out || !**out)) {
        st = gh_scim_fail(ctx, GH_E_INVALID, "missing_field", "invalidValue", "'displayName' is required");
        gh_strlcpy(ctx->err.field, "displayName", sizeof ctx->err.field);
    }
    return st;
}

gh_status gh_scim_group_create(gh_ctx *ctx, const json_t *in, json_t **out)
{
    const char *name;
    json_t *want = NULL, *g = NULL, *none = NULL;
    gh_status st;
    *out = NULL;
    if (!json_is_object(in)) return gh_scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "the body must be a Group");
    if ((st = display_name(ctx, in, &name)) != GH_OK) return st;
    if (!(want = member_ids(ctx, in))) return ctx->err.status ? ctx->err.status : GH_E_INTERNAL;
    /* Unknown members are refused before the group is made. */
    size_t i;
    json_t *v;
    json_array_foreach(want, i, v) {
        gh_user *u = calloc(1, sizeof *u);
        if (!u) { st = gh_ctx_oom(ctx); goto done; }
        st = gh_store_user_get(ctx->db, ctx->actor.org_id, json_string_value(v), u, &ctx->err);
        free(u);
        if (st == GH_E_NOT_FOUND) { st = gh_scim_bad_value(ctx, "members", "names a user that does not exist"); goto done; }
        if (st != GH_OK) goto done;
    }
    if ((st = gh_group_create(ctx, name, "", &g)) != GH_OK) goto done;
    const char *gid = json_string_value(json_object_get(g, "id"));
    if (!(none = json_array())) { st = gh_ctx_oom(ctx); goto done; }
    if ((st = members_sync(ctx, gid, none, want)) != GH_OK) goto done;
    st = group_load(ctx, gid, out);
done:
    json_decref(none);
    json_decref(g);
    json_decref(want);
    return st;
}

static gh_status group_apply(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    json_t *now = NULL, *want = NULL, *have = NULL;
    const char *name;
    gh_status st;
    *out = NULL;
    if ((st = group_load(ctx, id, &now)) != GH_OK) return st;
    if ((st = gh_scim_check_match(ctx, now, if_match)) != GH_OK) goto done;
    if (!json_is_object(in)) { st = gh_scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "the body must be a Group"); goto done; }
    if ((st = display_name(ctx, in, &name)) != GH_OK) goto done;
    if (!(want = member_ids(ctx, in))) { st = ctx->err.status ? ctx->err.status : GH_E_INTERNAL; goto done; }
    if (!(have = member_ids(ctx, now))) { st = ctx->err.status ? ctx->err.status : GH_E_INTERNAL; goto done; }
    const char *cur = json_string_value(json_object_get(now, "displayName"));
    /* The first write of the two (name, then members) checks If-Match. */
    gh_scim_match_guard mg = {.id = id, .if_match = if_match, .load = group_load};
    gh_scim_match_arm(ctx, &mg);
    if (!cur || strcmp(cur, name) != 0) {
        json_t *g = NULL;
        if ((st = gh_group_update(ctx, id, name, NULL, &g)) != GH_OK) goto done;
        json_decref(g);
    }
    if ((st = members_sync(ctx, id, have, want)) != GH_OK) goto done;
    st = group_load(ctx, id, out);
done:
    gh_scim_match_disarm(ctx);
    json_decref(have);
    json_decref(want);
    json_decref(now);
    return st;
}

gh_status gh_scim_group_put(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    return group_apply(ctx, id, in, if_match, out);
}

gh_status gh_scim_group_patch(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out)
{
    return gh_scim_patch_common(ctx, id, in, if_match, out, group_load, group_apply);
}

gh_status gh_scim_group_delete(gh_ctx *ctx, const char *id, const char *if_match)
{
    return gh_scim_delete_common(ctx, id, if_match, group_load, gh_group_delete);
}

