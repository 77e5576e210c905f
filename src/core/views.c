/* Saved views and their sharing with groups; the rules are in views.h. */
#include "core/views.h"
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
#define SHARE_GROUPS_MAX 100

/* ---- who may do what ------------------------------------------------------------ */
/* The actor's standing, from the in-memory permission snapshot. */
typedef struct caps {
    bool manage;      /* dashboards.manage */
    bool manage_any;  /* dashboards.manage_any */
    bool read_only;   /* device account or kiosk session: never edits */
} caps;

static caps actor_caps(gh_ctx *ctx)
{
    caps c = {0};
    if (ctx->actor.type != GH_ACTOR_USER) { c.read_only = true; return c; }
    c.manage = gh_access_allowed(ctx, "dashboards.manage");
    c.manage_any = gh_access_allowed(ctx, "dashboards.manage_any");
    c.read_only = ctx->actor.kiosk || gh_access_is_device(ctx);
    return c;
}

/* The same inside a write's transaction, from the rows (core/guard.h): a
 * demotion committed while the write waited for the lock wins. */
static caps actor_caps_tx(gh_ctx *ctx)
{
    caps c = actor_caps(ctx);
    if (c.read_only) return c;
    c.manage = gh_guard_actor_holds(ctx, "dashboards.manage");
    c.manage_any = gh_guard_actor_holds(ctx, "dashboards.manage_any");
    return c;
}

/* How the actor has one view. */
typedef struct access {
    bool owner, shared, visible, editable, deletable;
    json_t *via;          /* ids of the actor's groups the view is shared with */
    json_t *shared_with;  /* every group it is shared with: [{id, name}] */
} access;

static void access_release(access *a)
{
    json_decref(a->via);
    json_decref(a->shared_with);
    a->via = a->shared_with = NULL;
}

static void share_visit(const char *group_id, const char *group_name, bool member, void *arg)
{
    access *a = arg;
    json_array_append_new(a->shared_with, json_pack("{s:s, s:s}", "id", group_id, "name", group_name));
    if (member) json_array_append_new(a->via, json_string(group_id));
}

static gh_status access_load(gh_ctx *ctx, const caps *c, const gh_view *v, access *a)
{
    memset(a, 0, sizeof *a);
    a->via = json_array();
    a->shared_with = json_array();
    if (!a->via || !a->shared_with) { access_release(a); return gh_ctx_oom(ctx); }
    gh_status st = gh_store_view_shares(ctx->db, ctx->actor.org_id, v->id, ctx->actor.id, share_visit, a, &ctx->err);
    if (st != GH_OK) { access_release(a); return st; }
    a->owner = v->owner_id[0] && strcmp(v->owner_id, ctx->actor.id) == 0;
    a->shared = json_array_size(a->via) > 0;
    a->visible = a->owner || a->shared || c->manage_any;
    /* 004: creating, editing and deleting dashboards and view templates is
     * for holders of dashboards.manage (Admin, Manager); an owner who lost
     * it keeps reading their views. */
    a->editable = !c->read_only && (c->manage_any || (c->manage && (a->owner || a->shared)));
    a->deletable = !c->read_only && (c->manage_any || (c->manage && a->owner));
    return GH_OK;
}

/* Loads a view the actor may see (404 otherwise, whether or not it exists). */
static gh_status view_load(gh_ctx *ctx, const caps *c, const char *id, gh_view *v, access *a)
{
    gh_status st = gh_store_view_get(ctx->db, ctx->actor.org_id, id, v, &ctx->err);
    if (st != GH_OK) return st;
    if ((st = access_load(ctx, c, v, a)) != GH_OK) { gh_view_release(v); return st; }
    if (a->visible) return GH_OK;
    access_release(a);
    gh_view_release(v);
    return gh_fail(&ctx->err, GH_E_NOT_FOUND, "view_not_found", "no such view");
}

static json_t *view_json(const gh_view *v, const access *a)
{
    json_t *owner = v->owner_id[0] ? json_pack("{s:s, s:s}", "id", v->owner_id, "name", v->owner_name) : json_null();
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:O, s:{s:b, s:b, s:b, s:b, s:O}}", "id", v->id, "kind",
                          v->kind, "name", v->name, "owner", owner, "created_at", gh_json_time(v->created_at),
                          "updated_at", gh_json_time(v->updated_at), "shared_with", a->shared_with, "access", "owner",
                          a->owner, "shared", a->shared, "editable", a->editable, "deletable", a->deletable,
                          "via_groups", a->via);
    if (o && v->config) {
        json_t *cfg = json_loads(v->config, 0, NULL);
        json_object_set_new(o, "config", cfg ? cfg : json_null());
    }
    return o;
}

/* ---- input -------------------------------------------------------------------- */
static gh_status check_name(gh_ctx *ctx, const char *name)
{
    if (gh_check_text(&ctx->err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    return GH_OK;
}

static bool kind_valid(const char *k) { return k && (strcmp(k, "template") == 0 || strcmp(k, "dashboard") == 0); }

/* The configuration as compact JSON text (malloc). Reals are written with the
 * fewest digits that read back to the same values (gh_json_dump), so a config
 * is stored as given and its size is what the client sent, not an expansion. */
static gh_status config_text(gh_ctx *ctx, const json_t *config, char **out)
{
    char *text = NULL;
    *out = NULL;
    if (!json_is_object(config))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_config", "config", "config must be a JSON object");
    text = gh_json_dump(config, JSON_COMPACT);
    if (!text) return gh_ctx_oom(ctx);
    if (strlen(text) > GH_VIEW_CONFIG_MAX) {
        free(text);
        gh_fail_field(&ctx->err, GH_E_INVALID, "config_too_large", "config",
                      "config is larger than %d bytes of compact JSON", GH_VIEW_CONFIG_MAX);
        gh_err_extra(&ctx->err, "max_bytes", json_integer(GH_VIEW_CONFIG_MAX));
        return GH_E_INVALID;
    }
    *out = text;
    return GH_OK;
}

static gh_status need_user(gh_ctx *ctx)
{
    if (ctx->actor.type == GH_ACTOR_USER) return GH_OK;
    return gh_fail(&ctx->err, GH_E_FORBIDDEN, "user_session_required", "views belong to users: sign in as a user");
}

/* 403 permission_denied unless the actor holds dashboards.manage (004:
 * creating dashboards and view templates is for Admin and Manager). */
static gh_status need_manage(gh_ctx *ctx)
{
    if (gh_access_allowed(ctx, "dashboards.manage")) return GH_OK;
    gh_fail(&ctx->err, GH_E_FORBIDDEN, "permission_denied",
            "creating dashboards and view templates needs the 'dashboards.manage' permission");
    gh_err_extra(&ctx->err, "permission", json_string("dashboards.manage"));
    return GH_E_FORBIDDEN;
}

/* A refusal to change a view the actor can see: permission_denied naming
 * dashboards.manage when that is what is missing, view_read_only otherwise. */
static gh_status refuse_change(gh_ctx *ctx, const caps *c)
{
    if (!c->read_only && !c->manage && !c->manage_any) {
        gh_fail(&ctx->err, GH_E_FORBIDDEN, "permission_denied",
                "changing dashboards and view templates needs the 'dashboards.manage' permission");
        gh_err_extra(&ctx->err, "permission", json_string("dashboards.manage"));
        return GH_E_FORBIDDEN;
    }
    return gh_fail(&ctx->err, GH_E_FORBIDDEN, "view_read_only", "this view is read-only for you");
}

/* ---- list ------------------------------------------------------------------------- */
typedef struct {
    gh_ctx *ctx;
    caps c;
    json_t *items;
    char last_name[GH_NAME_MAX + 1], last_id[GH_ID_MAX];
    int n;
    gh_status st;
} list_acc;

static void list_visit(const gh_view *v, void *arg)
{
    list_acc *a = arg;
    access ac;
    a->n++;
    gh_strlcpy(a->last_name, v->name, sizeof a->last_name);
    gh_strlcpy(a->last_id, v->id, sizeof a->last_id);
    if (a->st != GH_OK) return;
    if ((a->st = access_load(a->ctx, &a->c, v, &ac)) != GH_OK) return;
    json_t *o = view_json(v, &ac);
    access_release(&ac);
    if (!o || json_array_append_new(a->items, o) != 0) a->st = gh_ctx_oom(a->ctx);
}

gh_status gh_view_list(gh_ctx *ctx, const gh_view_query *q, json_t **items, char **next_cursor)
{
    char name[GH_NAME_MAX + 1], id[GH_ID_MAX];
    gh_status st;
    *next_cursor = NULL;
    if ((st = need_user(ctx)) != GH_OK) return st;
    list_acc *a = calloc(1, sizeof *a);
    if (!a) return gh_ctx_oom(ctx);
    a->ctx = ctx;
    a->c = actor_caps(ctx);
    gh_view_filter f = {.user_id = ctx->actor.id, .all = q->all, .kind = q->kind, .limit = q->limit,
                        .with_config = q->with_config};
    if (f.limit <= 0) f.limit = PAGE_DEFAULT;
    if (f.limit > PAGE_MAX) f.limit = PAGE_MAX;
    if (q->all && !a->c.manage_any) {
        st = gh_fail(&ctx->err, GH_E_FORBIDDEN, "permission_denied",
                     "listing every view of the organization needs the 'dashboards.manage_any' permission");
        gh_err_extra(&ctx->err, "permission", json_string("dashboards.manage_any"));
        goto out;
    }
    if (q->kind && !kind_valid(q->kind)) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_filter", "kind", "kind is template or dashboard");
        goto out;
    }
    if (q->cursor) {
        if (!gh_cursor_decode(q->cursor, name, sizeof name, id, sizeof id)) {
            st = gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
            goto out;
        }
        f.after_name = name;
        f.after_id = id;
    }
    if (!(a->items = json_array())) { st = gh_ctx_oom(ctx); goto out; }
    st = gh_store_view_list(ctx->db, ctx->actor.org_id, &f, list_visit, a, &ctx->err);
    if (st == GH_OK) st = a->st;
    if (st != GH_OK) goto out;
    if (a->n == f.limit) {
        char *c = malloc(GH_CURSOR_MAX);
        if (c && gh_cursor_encode(a->last_name, a->last_id, c)) *next_cursor = c;
        else free(c);
    }
    *items = a->items;
    a->items = NULL;
out:
    json_decref(a->items);
    free(a);
    return st;
}

/* ---- one view ----------------------------------------------------------------------- */
gh_status gh_view_get(gh_ctx *ctx, const char *id, json_t **out)
{
    gh_view v;
    access a;
    gh_status st;
    if ((st = need_user(ctx)) != GH_OK) return st;
    caps c = actor_caps(ctx);
    if ((st = view_load(ctx, &c, id, &v, &a)) != GH_OK) return st;
    *out = view_json(&v, &a);
    access_release(&a);
    gh_view_release(&v);
    return *out ? GH_OK : gh_ctx_oom(ctx);
}

/* ---- writes ------------------------------------------------------------------------- */
/* The authorization snapshot holds no views: their changes commit without
 * refreshing it (gh_tx_run_no_refresh). */

static gh_status view_create_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    gh_view *v = arg;
    gh_status st = gh_store_view_insert(ctx->db, v, &ctx->err);
    if (st == GH_OK)
        gh_tx_event(tx, "view.created", "view", v->id,
                    json_pack("{s:s, s:s, s:I}", "name", v->name, "kind", v->kind, "config_bytes",
                              (json_int_t)strlen(v->config)));
    return st;
}

gh_status gh_view_create(gh_ctx *ctx, const char *name, const char *kind, const json_t *config, json_t **out)
{
    gh_view v = {0};
    gh_status st;
    if ((st = need_user(ctx)) != GH_OK) return st;
    if ((st = need_manage(ctx)) != GH_OK) return st;
    if (check_name(ctx, name) != GH_OK) return ctx->err.status;
    if (!kind_valid(kind))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_kind", "kind", "kind is template or dashboard");
    if ((st = config_text(ctx, config, &v.config)) != GH_OK) return st;
    gh_id_new("view", v.id);
    gh_strlcpy(v.org_id, ctx->actor.org_id, sizeof v.org_id);
    gh_strlcpy(v.owner_id, ctx->actor.id, sizeof v.owner_id);
    gh_strlcpy(v.kind, kind, sizeof v.kind);
    gh_strlcpy(v.name, name, sizeof v.name);
    v.created_at = v.updated_at = gh_now();
    if ((st = gh_tx_run_no_refresh(ctx, view_create_change, &v)) == GH_OK) st = gh_view_get(ctx, v.id, out);
    gh_view_release(&v);
    return st;
}

/* One view being changed: what is asked, and what the change read and
 * holds (released by the caller, whatever happened). */
typedef struct view_op {
    const char *id, *name;
    char *text;                 /* the new configuration (moved into v when it changes) */
    const json_t *wanted;       /* sharing: the groups asked for */
    json_t *current, *added, *removed; /* sharing: what it was, what was added and removed */
    gh_view v;
    access a;
} view_op;

static void view_op_release(view_op *op)
{
    free(op->text);
    json_decref(op->current);
    json_decref(op->added);
    json_decref(op->removed);
    access_release(&op->a);
    gh_view_release(&op->v);
}

/* Loads the view inside the transaction and refuses when the actor may not
 * change it. */
static gh_status view_load_editable(gh_ctx *ctx, view_op *op)
{
    caps c = actor_caps_tx(ctx);
    gh_status st = view_load(ctx, &c, op->id, &op->v, &op->a);
    if (st != GH_OK) return st;
    if (!op->a.editable) return refuse_change(ctx, &c);
    return GH_OK;
}

static gh_status view_update_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    view_op *op = arg;
    gh_view *v = &op->v;
    gh_status st = view_load_editable(ctx, op);
    if (st != GH_OK) return st;
    json_t *changes = json_object();
    if (!changes) return gh_ctx_oom(ctx);
    if (op->name && strcmp(op->name, v->name) != 0) {
        json_object_set_new(changes, "name", json_pack("{s:s, s:s}", "from", v->name, "to", op->name));
        gh_strlcpy(v->name, op->name, sizeof v->name);
    }
    if (op->text && strcmp(op->text, v->config) != 0) {
        json_object_set_new(changes, "config_bytes", json_pack("{s:I, s:I}", "from", (json_int_t)strlen(v->config),
                                                               "to", (json_int_t)strlen(op->text)));
        free(v->config);
        v->config = op->text;
        op->text = NULL;
    }
    if (json_object_size(changes) == 0) { /* nothing to write or record */
        json_decref(changes);
        tx->unchanged = true;
        return GH_OK;
    }
    json_object_set_new(changes, "owner_id", v->owner_id[0] ? json_string(v->owner_id) : json_null());
    v->updated_at = gh_now();
    gh_tx_event(tx, "view.updated", "view", v->id, changes);
    return gh_store_view_update(ctx->db, v, &ctx->err);
}

gh_status gh_view_update(gh_ctx *ctx, const char *id, const char *name, const json_t *config, json_t **out)
{
    view_op op = {.id = id, .name = name};
    gh_status st;
    if ((st = need_user(ctx)) != GH_OK) return st;
    if (name && check_name(ctx, name) != GH_OK) return ctx->err.status;
    if (config && (st = config_text(ctx, config, &op.text)) != GH_OK) return st;
    if ((st = gh_tx_run_no_refresh(ctx, view_update_change, &op)) == GH_OK) st = gh_view_get(ctx, id, out);
    view_op_release(&op);
    return st;
}

static gh_status view_delete_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    view_op *op = arg;
    gh_view *v = &op->v;
    gh_status st = view_load_editable(ctx, op);
    if (st != GH_OK) return st;
    if (!op->a.deletable)
        return gh_fail(&ctx->err, GH_E_FORBIDDEN, "view_not_owner",
                       "only the owner or a holder of 'dashboards.manage_any' can delete this view");
    if ((st = gh_store_view_delete(ctx->db, ctx->actor.org_id, v->id, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "view.deleted", "view", v->id,
                json_pack("{s:s, s:s, s:o, s:O}", "name", v->name, "kind", v->kind, "owner_id",
                          v->owner_id[0] ? json_string(v->owner_id) : json_null(), "shared_with", op->a.shared_with));
    return GH_OK;
}

gh_status gh_view_delete(gh_ctx *ctx, const char *id)
{
    view_op op = {.id = id};
    gh_status st = need_user(ctx);
    if (st != GH_OK) return st;
    st = gh_tx_run_no_refresh(ctx, view_delete_change, &op);
    view_op_release(&op);
    return st;
}

/* ---- sharing ----------------------------------------------------------------------- */
static bool in_array(const json_t *arr, const char *s)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) if (strcmp(json_string_value(x), s) == 0) return true;
    return false;
}

/* Checks group_ids (strings, at most SHARE_GROUPS_MAX) and returns them
 * without duplicates, in the given order. */
static gh_status wanted_groups(gh_ctx *ctx, const json_t *group_ids, json_t **out)
{
    size_t i;
    json_t *x;
    *out = NULL;
    if (!json_is_array(group_ids))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_type", "group_ids", "'group_ids' must be an array");
    if (json_array_size(group_ids) > SHARE_GROUPS_MAX)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "too_many_groups", "group_ids",
                             "a view can be shared with at most %d groups", SHARE_GROUPS_MAX);
    json_t *w = json_array();
    if (!w) return gh_ctx_oom(ctx);
    json_array_foreach(group_ids, i, x) {
        if (!json_is_string(x) || json_string_length(x) == 0) {
            json_decref(w);
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_type", "group_ids",
                                 "'group_ids' must be an array of group ids");
        }
        if (!in_array(w, json_string_value(x))) json_array_append(w, x);
    }
    *out = w;
    return GH_OK;
}

/* Names the unknown ids of `wanted` (400), or else a group the actor would
 * newly share with without being a member of it (403). */
static gh_status check_share_targets(gh_ctx *ctx, const json_t *wanted, const json_t *current)
{
    size_t i;
    json_t *x;
    gh_group g;
    json_t *unknown = json_array();
    gh_buf names;
    gh_status st = GH_OK;
    if (!unknown) return gh_ctx_oom(ctx);
    gh_buf_init(&names, 200);
    json_array_foreach(wanted, i, x) {
        const char *gid = json_string_value(x);
        st = gh_store_group_get(ctx->db, ctx->actor.org_id, gid, ctx->actor.id, &g, &ctx->err);
        if (st == GH_E_NOT_FOUND) {
            gh_err_clear(&ctx->err);
            json_array_append(unknown, x);
            gh_buf_printf(&names, "%s%s", names.len ? ", " : "", gid);
            st = GH_OK;
        } else if (st != GH_OK) {
            goto out;
        }
    }
    if (json_array_size(unknown) > 0) {
        st = gh_fail_field(&ctx->err, GH_E_INVALID, "unknown_group", "group_ids", "no such group: %s%s",
                           names.data ? names.data : "", gh_buf_ok(&names) ? "" : ", ...");
        gh_err_extra(&ctx->err, "group_ids", json_incref(unknown));
        goto out;
    }
    json_array_foreach(wanted, i, x) {
        const char *gid = json_string_value(x);
        if (in_array(current, gid)) continue;  /* kept, not newly shared */
        if ((st = gh_store_group_get(ctx->db, ctx->actor.org_id, gid, ctx->actor.id, &g, &ctx->err)) != GH_OK)
            goto out;
        if (!g.is_member) {
            st = gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "not_group_member", "group_ids",
                               "you can share only with groups you are a member of; you are not in '%s'", g.name);
            gh_err_extra(&ctx->err, "group_id", json_string(g.id));
            gh_err_extra(&ctx->err, "group_name", json_string(g.name));
            goto out;
        }
    }
out:
    gh_buf_release(&names);
    json_decref(unknown);
    return st;
}

static gh_status view_share_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    view_op *op = arg;
    gh_view *v = &op->v;
    size_t i;
    json_t *x;
    gh_status st = view_load_editable(ctx, op);
    if (st != GH_OK) return st;
    json_array_foreach(op->a.shared_with, i, x) json_array_append_new(op->current, json_incref(json_object_get(x, "id")));
    if ((st = check_share_targets(ctx, op->wanted, op->current)) != GH_OK) return st;
    int64_t now = gh_now();
    json_array_foreach(op->current, i, x) {
        if (in_array(op->wanted, json_string_value(x))) continue;
        if ((st = gh_store_view_share_remove(ctx->db, ctx->actor.org_id, v->id, json_string_value(x), &ctx->err)))
            return st;
        json_array_append(op->removed, x);
    }
    json_array_foreach(op->wanted, i, x) {
        if (in_array(op->current, json_string_value(x))) continue;
        if ((st = gh_store_view_share_add(ctx->db, ctx->actor.org_id, v->id, json_string_value(x), ctx->actor.id,
                                          now, &ctx->err)))
            return st;
        json_array_append(op->added, x);
    }
    if (json_array_size(op->added) == 0 && json_array_size(op->removed) == 0) {
        tx->unchanged = true;
        return GH_OK;
    }
    gh_tx_event(tx, "view.shared", "view", v->id,
                json_pack("{s:s, s:O, s:O, s:O}", "name", v->name, "group_ids", op->wanted, "added", op->added,
                          "removed", op->removed));
    return GH_OK;
}

gh_status gh_view_share(gh_ctx *ctx, const char *id, const json_t *group_ids, json_t **out)
{
    view_op op = {.id = id};
    json_t *wanted = NULL;
    gh_status st;
    if ((st = need_user(ctx)) != GH_OK) return st;
    if ((st = wanted_groups(ctx, group_ids, &wanted)) != GH_OK) return st;
    op.wanted = wanted;
    op.current = json_array();
    op.added = json_array();
    op.removed = json_array();
    if (!op.current || !op.added || !op.removed) st = gh_ctx_oom(ctx);
    else if ((st = gh_tx_run_no_refresh(ctx, view_share_change, &op)) == GH_OK) st = gh_view_get(ctx, id, out);
    json_decref(wanted);
    view_op_release(&op);
    return st;
}
