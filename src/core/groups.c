/* User groups and their membership; see groups.h. */
#include "core/groups.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/guard.h"
#include "util/cursor.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 200

static const char *viewer(gh_ctx *ctx) { return ctx->actor.type == GH_ACTOR_USER ? ctx->actor.id : NULL; }

static json_t *group_json(const gh_group *g)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:b, s:o, s:o}", "id", g->id, "name", g->name, "description",
                     g->description, "member_count", (json_int_t)g->member_count, "is_member", g->is_member,
                     "created_at", gh_json_time(g->created_at), "updated_at", gh_json_time(g->updated_at));
}

static gh_status check_name(gh_ctx *ctx, const char *name)
{
    if (gh_check_text(&ctx->err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    if (name[0] == ' ' || name[strlen(name) - 1] == ' ')
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_name", "name",
                             "a name cannot start or end with a space");
    return GH_OK;
}

static gh_status check_description(gh_ctx *ctx, const char *d)
{
    if (gh_check_text(&ctx->err, "invalid_description", "description", d, 0, GH_GROUP_DESC_MAX) != GH_OK)
        return GH_E_INVALID;
    return GH_OK;
}

/* ---- list ------------------------------------------------------------------------ */
typedef struct { json_t *items; gh_group last; int n; } list_acc;

static void list_visit(const gh_group *g, void *arg)
{
    list_acc *a = arg;
    json_array_append_new(a->items, group_json(g));
    a->last = *g;
    a->n++;
}

gh_status gh_group_list(gh_ctx *ctx, const char *q, const char *cursor, int limit, json_t **items, char **next_cursor)
{
    char name[GH_NAME_MAX + 1], id[GH_ID_MAX];
    gh_status st;
    *next_cursor = NULL;
    if (q && strlen(q) > GH_NAME_MAX)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_filter", "q", "q is at most %d characters", GH_NAME_MAX);
    if (limit <= 0) limit = PAGE_DEFAULT;
    if (limit > PAGE_MAX) limit = PAGE_MAX;
    if (cursor && !gh_cursor_decode(cursor, name, sizeof name, id, sizeof id))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
    list_acc *a = calloc(1, sizeof *a);
    if (!a || !(a->items = json_array())) { free(a); return gh_ctx_oom(ctx); }
    st = gh_store_group_list(ctx->db, ctx->actor.org_id, viewer(ctx), q, cursor ? name : NULL, cursor ? id : NULL,
                             limit, list_visit, a, &ctx->err);
    if (st == GH_OK && a->n == limit) {
        char *c = malloc(GH_CURSOR_MAX);
        if (c && gh_cursor_encode(a->last.name, a->last.id, c)) *next_cursor = c;
        else free(c);
    }
    if (st == GH_OK) *items = a->items;
    else json_decref(a->items);
    free(a);
    return st;
}

/* ---- get ------------------------------------------------------------------------- */
static void member_visit(const gh_group_member *m, void *arg)
{
    json_array_append_new(arg, json_pack("{s:s, s:s, s:o, s:o}", "id", m->user_id, "name", m->name, "email",
                                         m->email[0] ? json_string(m->email) : json_null(), "added_at",
                                         gh_json_time(m->added_at)));
}

/* Member lists name people and their emails: they are for those who manage
 * groups or may see the user directory. */
static bool may_see_members(gh_ctx *ctx)
{
    return gh_access_allowed(ctx, "groups.manage") || gh_access_allowed(ctx, "users.view");
}

static gh_status group_out(gh_ctx *ctx, const char *id, json_t **out)
{
    gh_group g;
    gh_status st = gh_store_group_get(ctx->db, ctx->actor.org_id, id, viewer(ctx), &g, &ctx->err);
    if (st != GH_OK) return st;
    json_t *o = group_json(&g);
    if (!o) return gh_ctx_oom(ctx);
    if (may_see_members(ctx)) {
        json_t *members = json_array();
        if (!members) { json_decref(o); return gh_ctx_oom(ctx); }
        st = gh_store_group_members(ctx->db, ctx->actor.org_id, g.id, member_visit, members, &ctx->err);
        if (st != GH_OK) { json_decref(members); json_decref(o); return st; }
        json_object_set_new(o, "members", members);
    }
    *out = o;
    return GH_OK;
}

gh_status gh_group_get(gh_ctx *ctx, const char *id, json_t **out) { return group_out(ctx, id, out); }

/* ---- changes ----------------------------------------------------------------------- */
static gh_status group_create_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const gh_group *g = arg;
    gh_status st = gh_store_group_insert(ctx->db, g, &ctx->err);
    if (st != GH_OK) return st;
    gh_tx_event(tx, "group.created", "group", g->id,
                json_pack("{s:s, s:s}", "name", g->name, "description", g->description));
    return GH_OK;
}

gh_status gh_group_create(gh_ctx *ctx, const char *name, const char *description, json_t **out)
{
    gh_group g = {0};
    gh_status st;
    if (check_name(ctx, name) != GH_OK) return ctx->err.status;
    if (description && check_description(ctx, description) != GH_OK) return ctx->err.status;
    gh_id_new("grp", g.id);
    gh_strlcpy(g.org_id, ctx->actor.org_id, sizeof g.org_id);
    gh_strlcpy(g.name, name, sizeof g.name);
    gh_strlcpy(g.description, description ? description : "", sizeof g.description);
    g.created_at = g.updated_at = gh_now();
    if ((st = gh_tx_run(ctx, group_create_change, &g)) != GH_OK) return st;
    return group_out(ctx, g.id, out);
}

typedef struct { const char *id, *name, *description; } group_update_op;

static gh_status group_update_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const group_update_op *op = arg;
    gh_group g;
    gh_status st = gh_store_group_get(ctx->db, ctx->actor.org_id, op->id, NULL, &g, &ctx->err);
    if (st != GH_OK) return st;
    json_t *changes = json_object();
    if (!changes) return gh_ctx_oom(ctx);
    tx->detail = changes; /* the tx's from here on */
    if (op->name && strcmp(op->name, g.name) != 0) {
        json_object_set_new(changes, "name", json_pack("{s:s, s:s}", "from", g.name, "to", op->name));
        gh_strlcpy(g.name, op->name, sizeof g.name);
    }
    if (op->description && strcmp(op->description, g.description) != 0) {
        json_object_set_new(changes, "description",
                            json_pack("{s:s, s:s}", "from", g.description, "to", op->description));
        gh_strlcpy(g.description, op->description, sizeof g.description);
    }
    if (json_object_size(changes) == 0) {
        tx->unchanged = true;
        return GH_OK;
    }
    g.updated_at = gh_now();
    if ((st = gh_store_group_update(ctx->db, &g, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "group.updated", "group", op->id, changes);
    return GH_OK;
}

gh_status gh_group_update(gh_ctx *ctx, const char *id, const char *name, const char *description, json_t **out)
{
    gh_status st;
    if (name && check_name(ctx, name) != GH_OK) return ctx->err.status;
    if (description && check_description(ctx, description) != GH_OK) return ctx->err.status;
    if ((st = gh_tx_run(ctx, group_update_change, &(group_update_op){id, name, description})) != GH_OK) return st;
    return group_out(ctx, id, out);
}

typedef struct { const char *id; } group_delete_op;

static gh_status group_delete_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const char *id = ((const group_delete_op *)arg)->id;
    gh_group g;
    gh_status st = gh_store_group_get(ctx->db, ctx->actor.org_id, id, NULL, &g, &ctx->err);
    if (st != GH_OK) return st;
    int64_t shares = gh_store_group_share_count(ctx->db, ctx->actor.org_id, g.id);
    if ((st = gh_store_group_delete(ctx->db, ctx->actor.org_id, g.id, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "group.deleted", "group", id,
                json_pack("{s:s, s:I, s:I}", "name", g.name, "member_count", (json_int_t)g.member_count,
                          "views_unshared", (json_int_t)(shares < 0 ? 0 : shares)));
    return GH_OK;
}

gh_status gh_group_delete(gh_ctx *ctx, const char *id)
{
    return gh_tx_run(ctx, group_delete_change, &(group_delete_op){id});
}

typedef struct { const char *group_id, *user_id; bool member; gh_user *u; } member_op;

static gh_status member_set_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    const member_op *op = arg;
    gh_user *u = op->u;
    gh_group g;
    bool changed = false;
    gh_status st = gh_store_group_get(ctx->db, ctx->actor.org_id, op->group_id, NULL, &g, &ctx->err);
    if (st != GH_OK) return st;
    /* A user of another org reads as unknown: nothing leaks across orgs. */
    if ((st = gh_store_user_get(ctx->db, ctx->actor.org_id, op->user_id, u, &ctx->err)) != GH_OK) return st;
    if (op->member)
        st = gh_store_group_member_add(ctx->db, ctx->actor.org_id, g.id, u->id,
                                       ctx->actor.type == GH_ACTOR_NONE ? NULL : ctx->actor.id, gh_now(), &changed,
                                       &ctx->err);
    else
        st = gh_store_group_member_remove(ctx->db, ctx->actor.org_id, g.id, u->id, &changed, &ctx->err);
    if (st != GH_OK) return st;
    if (!changed) { /* idempotent: nothing to record */
        tx->unchanged = true;
        return GH_OK;
    }
    gh_tx_event(tx, op->member ? "group.member_added" : "group.member_removed", "group", op->group_id,
                json_pack("{s:s, s:s, s:s}", "group_name", g.name, "user_id", u->id, "user_name", u->name));
    return GH_OK;
}

gh_status gh_group_member_set(gh_ctx *ctx, const char *group_id, const char *user_id, bool member)
{
    gh_user *u = calloc(1, sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    gh_status st = gh_tx_run(ctx, member_set_change, &(member_op){group_id, user_id, member, u});
    free(u);
    return st;
}

/* ---- a user's groups ----------------------------------------------------------------- */
static void of_user_visit(const gh_group *g, void *arg)
{
    json_array_append_new(arg, json_pack("{s:s, s:s}", "id", g->id, "name", g->name));
}

json_t *gh_groups_of_user(gh_ctx *ctx, const char *user_id)
{
    json_t *a = json_array();
    if (!a) { gh_ctx_oom(ctx); return NULL; }
    if (gh_store_groups_of_user(ctx->db, ctx->actor.org_id, user_id, of_user_visit, a, &ctx->err) != GH_OK) {
        json_decref(a);
        return NULL;
    }
    return a;
}
