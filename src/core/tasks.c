/* Tasks, their assignees, agenda screens and a worker's agenda. See
 * shopfloor.h for the rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "util/cursor.h"
#include "util/json.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/shopfloor.h"
#include "core/guard.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200
#define AGENDA_ROWS_MAX 2000
#define OPEN_CHECKINS_MAX 100

gh_status gh_require_any(gh_ctx *ctx, const char *a, const char *b)
{
    if (gh_access_allowed(ctx, a) || (b && gh_access_allowed(ctx, b))) return GH_OK;
    gh_fail(&ctx->err, GH_E_FORBIDDEN, "permission_denied", "this needs the '%s'%s%s%s permission", a,
            b ? " or the '" : "", b ? b : "", b ? "'" : "");
    gh_err_extra(&ctx->err, "permission", json_string(a));
    return GH_E_FORBIDDEN;
}

static json_t *task_json(const gh_task *t)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "id", t->id, "ref", t->ref, "title",
                     t->title, "order_ref", gh_json_str_or_null(t->order_ref), "due", gh_json_time(t->due_at), "status",
                     t->status, "created_at", gh_json_time(t->created_at), "created_by", gh_json_str_or_null(t->created_by),
                     "completed_at", gh_json_time(t->completed_at), "completed_by", gh_json_str_or_null(t->completed_by));
}

/* ---- tasks -------------------------------------------------------------------------- */
/* Tasks, screens and orders are not in the authorization snapshot: their
 * changes commit without refreshing it (gh_tx_run_no_refresh). */

/* The audit detail naming a task (created, deleted). */
static json_t *task_detail(const gh_task *t)
{
    return json_pack("{s:s, s:s, s:s?}", "ref", t->ref, "title", t->title, "order_ref",
                     t->order_ref[0] ? t->order_ref : NULL);
}

static gh_status task_create_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    gh_task *t = arg;
    gh_status st = gh_store_task_insert(ctx->db, t, &ctx->err);
    if (st == GH_OK) gh_tx_event(tx, "task.created", "task", t->id, task_detail(t));
    return st;
}

gh_status gh_task_create(gh_ctx *ctx, const gh_task_new *n, json_t **out)
{
    if (gh_check_text(&ctx->err, "invalid_ref", "ref", n->ref, 1, GH_REF_MAX) != GH_OK) return GH_E_INVALID;
    if (gh_check_text(&ctx->err, "invalid_title", "title", n->title, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    if (n->order_ref && gh_check_text(&ctx->err, "invalid_ref", "order_ref", n->order_ref, 1, GH_REF_MAX) != GH_OK)
        return GH_E_INVALID;
    if (n->due_at < 0)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", "due", "due must be after 1970");
    gh_task t = {0};
    gh_id_new("tsk", t.id);
    gh_strlcpy(t.org_id, ctx->actor.org_id, sizeof t.org_id);
    gh_strlcpy(t.ref, n->ref, sizeof t.ref);
    gh_strlcpy(t.title, n->title, sizeof t.title);
    gh_strlcpy(t.order_ref, n->order_ref ? n->order_ref : "", sizeof t.order_ref);
    gh_strlcpy(t.status, "open", sizeof t.status);
    gh_strlcpy(t.created_by, ctx->actor.id, sizeof t.created_by);
    t.due_at = n->due_at;
    t.created_at = gh_now();
    gh_status st = gh_tx_run_no_refresh(ctx, task_create_change, &t);
    if (st != GH_OK) return st;
    *out = task_json(&t);
    return GH_OK;
}

typedef struct {
    const char *id;
    const gh_task_patch *p;
    gh_task t; /* read inside the transaction */
} task_update_op;

/* Applies the patch to the task read now; unchanged when it changes nothing. */
static gh_status task_update_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    task_update_op *op = arg;
    const gh_task_patch *p = op->p;
    gh_task *t = &op->t;
    gh_status st = gh_store_task_get(ctx->db, ctx->actor.org_id, op->id, t, &ctx->err);
    if (st != GH_OK) return st;
    json_t *changes = json_object();
    if (!changes) return gh_ctx_oom(ctx);
    if (p->title && strcmp(p->title, t->title) != 0) {
        json_object_set_new(changes, "title", json_pack("{s:s, s:s}", "from", t->title, "to", p->title));
        gh_strlcpy(t->title, p->title, sizeof t->title);
    }
    const char *new_order = p->order_ref ? p->order_ref : "";
    if (p->order_ref_set && strcmp(new_order, t->order_ref) != 0) {
        json_object_set_new(changes, "order_ref", json_pack("{s:o, s:o}", "from", gh_json_str_or_null(t->order_ref),
                                                            "to", gh_json_str_or_null(new_order)));
        gh_strlcpy(t->order_ref, new_order, sizeof t->order_ref);
    }
    if (p->due_set && p->due_at != t->due_at) {
        json_object_set_new(changes, "due", json_pack("{s:o, s:o}", "from", gh_json_time(t->due_at), "to",
                                                      gh_json_time(p->due_at)));
        t->due_at = p->due_at;
    }
    if (p->status && strcmp(p->status, t->status) != 0) {
        json_object_set_new(changes, "status", json_pack("{s:s, s:s}", "from", t->status, "to", p->status));
        gh_strlcpy(t->status, p->status, sizeof t->status);
        bool done = strcmp(p->status, "done") == 0;
        t->completed_at = done ? gh_now() : 0;
        gh_strlcpy(t->completed_by, done ? ctx->actor.id : "", sizeof t->completed_by);
    }
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        tx->unchanged = true;
        return GH_OK;
    }
    json_object_set_new(changes, "ref", json_string(t->ref));
    gh_tx_event(tx, "task.updated", "task", t->id, changes);
    return gh_store_task_update(ctx->db, t, &ctx->err);
}

gh_status gh_task_update(gh_ctx *ctx, const char *id, const gh_task_patch *p, json_t **out)
{
    if (p->title && gh_check_text(&ctx->err, "invalid_title", "title", p->title, 1, GH_NAME_MAX) != GH_OK)
        return GH_E_INVALID;
    if (p->order_ref_set && p->order_ref && *p->order_ref &&
        gh_check_text(&ctx->err, "invalid_ref", "order_ref", p->order_ref, 1, GH_REF_MAX) != GH_OK)
        return GH_E_INVALID;
    if (p->due_set && p->due_at < 0)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", "due", "due must be after 1970");
    if (p->status && strcmp(p->status, "open") != 0 && strcmp(p->status, "done") != 0)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_status", "status", "status is open or done");
    gh_status st = gh_tx_run_no_refresh(ctx, task_update_change, &(task_update_op){.id = id, .p = p});
    if (st != GH_OK) return st;
    return gh_task_get(ctx, id, out);
}

/* A task and what the change read of it (id: the one asked for). */
typedef struct {
    const char *id;
    gh_task t;
} task_op;

static gh_status task_delete_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    task_op *op = arg;
    gh_task *t = &op->t;
    int64_t n = 0;
    gh_status st = gh_store_task_get(ctx->db, ctx->actor.org_id, op->id, t, &ctx->err);
    if (st != GH_OK) return st;
    if ((st = gh_store_task_checkin_count(ctx->db, t->org_id, t->id, &n, &ctx->err)) != GH_OK) return st;
    if (n > 0) {
        gh_fail(&ctx->err, GH_E_CONFLICT, "task_has_checkins",
                "people have checked in to this task and their check-ins are time records: mark it done instead");
        gh_err_extra(&ctx->err, "checkins", json_integer((json_int_t)n));
        return GH_E_CONFLICT;
    }
    if ((st = gh_store_task_delete(ctx->db, t->org_id, t->id, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "task.deleted", "task", t->id, task_detail(t));
    return GH_OK;
}

gh_status gh_task_delete(gh_ctx *ctx, const char *id)
{
    return gh_tx_run_no_refresh(ctx, task_delete_change, &(task_op){.id = id});
}

typedef struct { json_t *items; char last_ref[GH_REF_MAX + 1]; int n; } task_acc;
static void task_visit(const gh_task *t, void *arg)
{
    task_acc *a = arg;
    json_array_append_new(a->items, task_json(t));
    gh_strlcpy(a->last_ref, t->ref, sizeof a->last_ref);
    a->n++;
}

gh_status gh_task_list(gh_ctx *ctx, const char *status, const char *order_ref, const char *q, const char *cursor, int limit,
                       json_t **items, char **next_cursor)
{
    gh_status st = gh_require_any(ctx, "tasks.assign", "users.view");
    if (st != GH_OK) return st;
    if (status && strcmp(status, "open") != 0 && strcmp(status, "done") != 0)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_filter", "status", "status is open or done");
    char after[GH_REF_MAX + 1];
    gh_task_filter f = {.status = status, .order_ref = order_ref, .limit = limit};
    /* Searching by ref or title (pickers search on the server, never in a
     * downloaded list): case- and accent-insensitive, served by the store's
     * trigram index (store/tasks.c). */
    char ql[GH_NAME_MAX + 1];
    if (q && *q) {
        if (!gh_ascii_lower(ql, q, sizeof ql))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_filter", "q", "q is at most %d characters", GH_NAME_MAX);
        f.q = ql;
    }
    if (f.limit <= 0) f.limit = PAGE_DEFAULT;
    if (f.limit > PAGE_MAX) f.limit = PAGE_MAX;
    if (cursor) {
        if (!gh_cursor_decode_key(cursor, after, sizeof after))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
        f.after_ref = after;
    }
    task_acc a = {.items = json_array()};
    if (!a.items) return gh_ctx_oom(ctx);
    if ((st = gh_store_task_list(ctx->db, ctx->actor.org_id, &f, task_visit, &a, &ctx->err)) != GH_OK) {
        json_decref(a.items);
        return st;
    }
    *next_cursor = NULL;
    if (a.n == f.limit) {
        size_t len = strlen(a.last_ref);
        char *c = malloc(len * 2 + 1);
        if (c) gh_cursor_encode_key(a.last_ref, c, len * 2 + 1);
        *next_cursor = c;
    }
    *items = a.items;
    return GH_OK;
}

static void pair_visit(const char *id, const char *label, void *arg)
{
    json_array_append_new(arg, json_pack("{s:s, s:s}", "id", id, "name", label));
}

gh_status gh_task_get(gh_ctx *ctx, const char *id, json_t **out)
{
    gh_task t;
    gh_status st = gh_store_task_get(ctx->db, ctx->actor.org_id, id, &t, &ctx->err);
    if (st != GH_OK) return st;
    if (!gh_access_allowed(ctx, "tasks.assign") && !gh_access_allowed(ctx, "users.view")) {
        bool assigned = false, on_screen = false;
        st = gh_store_task_visibility(ctx->db, ctx->actor.org_id, id, ctx->actor.id, &assigned, &on_screen, &ctx->err);
        if (st != GH_OK) return st;
        if (!assigned && !on_screen) return gh_fail(&ctx->err, GH_E_NOT_FOUND, "task_not_found", "no such task");
    }
    json_t *assignees = json_array();
    if (!assignees) return gh_ctx_oom(ctx);
    if ((st = gh_store_task_assignees(ctx->db, ctx->actor.org_id, id, pair_visit, assignees, &ctx->err)) != GH_OK) {
        json_decref(assignees);
        return st;
    }
    json_t *order_assignees = json_array();
    if (!order_assignees) { json_decref(assignees); return gh_ctx_oom(ctx); }
    if (t.order_ref[0] && (st = gh_store_order_assignees(ctx->db, ctx->actor.org_id, t.order_ref, pair_visit,
                                                         order_assignees, &ctx->err)) != GH_OK) {
        json_decref(assignees);
        json_decref(order_assignees);
        return st;
    }
    *out = task_json(&t);
    json_object_set_new(*out, "assignees", assignees);
    json_object_set_new(*out, "order_assignees", order_assignees);
    return GH_OK;
}

static gh_status user_in_org(gh_ctx *ctx, const char *user_id)
{
    gh_user *u = calloc(1, sizeof *u);
    if (!u) return gh_ctx_oom(ctx);
    gh_status st = gh_store_user_get(ctx->db, ctx->actor.org_id, user_id, u, &ctx->err);
    if (st == GH_E_NOT_FOUND) gh_strlcpy(ctx->err.field, "user_id", sizeof ctx->err.field);
    free(u);
    return st;
}

/* Assigning or unassigning someone (to a task or an order, on a screen):
 * what is asked, and the rows the change read. */
typedef struct {
    const char *id, *other_id; /* the task, order or screen; the person or task */
    bool add;
    gh_task t;
    gh_screen s;
} assign_op;

static gh_status task_assign_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    assign_op *op = arg;
    gh_task *t = &op->t;
    bool changed = false;
    gh_status st = gh_store_task_get(ctx->db, ctx->actor.org_id, op->id, t, &ctx->err);
    if (st != GH_OK) return st;
    if ((st = user_in_org(ctx, op->other_id)) != GH_OK) return st;
    if ((st = gh_store_task_assign(ctx->db, t->id, op->other_id, op->add, gh_now(), &changed, &ctx->err)) != GH_OK)
        return st;
    if (!changed) {
        tx->unchanged = op->add; /* already assigned: PUT is idempotent */
        if (op->add) return GH_OK;
        return gh_fail_field(&ctx->err, GH_E_NOT_FOUND, "not_assigned", "user_id", "this user is not assigned to the task");
    }
    gh_tx_event(tx, op->add ? "task.assigned" : "task.unassigned", "task", t->id,
                json_pack("{s:s, s:s}", "user_id", op->other_id, "ref", t->ref));
    return GH_OK;
}

gh_status gh_task_assign(gh_ctx *ctx, const char *task_id, const char *user_id, bool add)
{
    return gh_tx_run_no_refresh(ctx, task_assign_change, &(assign_op){.id = task_id, .other_id = user_id, .add = add});
}

/* ---- orders ------------------------------------------------------------------------------ */
static gh_status check_order_ref(gh_ctx *ctx, const char *order_ref)
{
    if (gh_check_text(&ctx->err, "invalid_ref", "order_ref", order_ref, 1, GH_REF_MAX) != GH_OK) return GH_E_INVALID;
    return GH_OK;
}

static gh_status order_assign_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    assign_op *op = arg;
    bool changed = false;
    gh_status st = user_in_org(ctx, op->other_id);
    if (st != GH_OK) return st;
    if ((st = gh_store_order_assign(ctx->db, ctx->actor.org_id, op->id, op->other_id, op->add, gh_now(), &changed,
                                    &ctx->err)) != GH_OK)
        return st;
    if (!changed) {
        tx->unchanged = op->add; /* already assigned: PUT is idempotent */
        if (op->add) return GH_OK;
        return gh_fail_field(&ctx->err, GH_E_NOT_FOUND, "not_assigned", "user_id",
                             "this user is not assigned to the order");
    }
    gh_tx_event(tx, op->add ? "order.assigned" : "order.unassigned", "order", op->id,
                json_pack("{s:s}", "user_id", op->other_id));
    return GH_OK;
}

gh_status gh_order_assign(gh_ctx *ctx, const char *order_ref, const char *user_id, bool add)
{
    gh_status st = check_order_ref(ctx, order_ref);
    if (st != GH_OK) return st;
    return gh_tx_run_no_refresh(ctx, order_assign_change, &(assign_op){.id = order_ref, .other_id = user_id, .add = add});
}

gh_status gh_order_get(gh_ctx *ctx, const char *order_ref, json_t **out)
{
    gh_status st = gh_require_any(ctx, "tasks.assign", "users.view");
    if (st != GH_OK) return st;
    if ((st = check_order_ref(ctx, order_ref)) != GH_OK) return st;
    json_t *assignees = json_array();
    task_acc a = {.items = json_array()};
    gh_task_filter f = {.order_ref = order_ref, .limit = PAGE_MAX};
    if (!assignees || !a.items) { st = gh_ctx_oom(ctx); goto fail; }
    if ((st = gh_store_order_assignees(ctx->db, ctx->actor.org_id, order_ref, pair_visit, assignees, &ctx->err)) !=
        GH_OK)
        goto fail;
    if ((st = gh_store_task_list(ctx->db, ctx->actor.org_id, &f, task_visit, &a, &ctx->err)) != GH_OK) goto fail;
    *out = json_pack("{s:s, s:o, s:o, s:b}", "order_ref", order_ref, "assignees", assignees, "tasks", a.items,
                     "tasks_truncated", a.n == f.limit);
    if (!*out) return gh_ctx_oom(ctx);
    return GH_OK;
fail:
    json_decref(assignees);
    json_decref(a.items);
    return st;
}

/* ---- screens ----------------------------------------------------------------------------- */
static json_t *screen_json(const gh_screen *s)
{
    return json_pack("{s:s, s:s, s:o}", "id", s->id, "name", s->name, "created_at", gh_json_time(s->created_at));
}

static gh_status screen_create_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    gh_screen *s = arg;
    gh_status st = gh_store_screen_insert(ctx->db, s, &ctx->err);
    if (st == GH_OK) gh_tx_event(tx, "screen.created", "screen", s->id, json_pack("{s:s}", "name", s->name));
    return st;
}

gh_status gh_screen_create(gh_ctx *ctx, const char *name, json_t **out)
{
    if (gh_check_text(&ctx->err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    gh_screen s = {0};
    gh_id_new("scr", s.id);
    gh_strlcpy(s.org_id, ctx->actor.org_id, sizeof s.org_id);
    gh_strlcpy(s.name, name, sizeof s.name);
    s.created_at = gh_now();
    gh_status st = gh_tx_run_no_refresh(ctx, screen_create_change, &s);
    if (st != GH_OK) return st;
    *out = screen_json(&s);
    json_object_set_new(*out, "tasks", json_array());
    json_object_set_new(*out, "members", json_array());
    return GH_OK;
}

static void ref_visit(const char *id, const char *ref, void *arg)
{
    json_array_append_new(arg, json_pack("{s:s, s:s}", "id", id, "ref", ref));
}

typedef struct { json_t *items; } screen_acc;
static void screen_visit(const gh_screen *s, void *arg) { json_array_append_new(((screen_acc *)arg)->items, screen_json(s)); }

/* Adds the screen's tasks and members to its JSON object o. */
static gh_status screen_links(gh_ctx *ctx, json_t *o)
{
    const char *sid = json_string_value(json_object_get(o, "id"));
    json_t *tasks = json_array();
    if (!sid || json_object_set_new(o, "tasks", tasks)) return gh_ctx_oom(ctx);
    json_t *members = json_array();
    if (json_object_set_new(o, "members", members)) return gh_ctx_oom(ctx);
    gh_status st = gh_store_screen_links(ctx->db, GH_SCREEN_TASKS, sid, ref_visit, tasks, &ctx->err);
    if (st == GH_OK) st = gh_store_screen_links(ctx->db, GH_SCREEN_MEMBERS, sid, pair_visit, members, &ctx->err);
    return st;
}

gh_status gh_screen_list(gh_ctx *ctx, json_t **items)
{
    screen_acc a = {json_array()};
    if (!a.items) return gh_ctx_oom(ctx);
    gh_status st = gh_store_screen_list(ctx->db, ctx->actor.org_id, screen_visit, &a, &ctx->err);
    size_t i;
    json_t *o;
    json_array_foreach(a.items, i, o) {
        if (st != GH_OK) break;
        st = screen_links(ctx, o);
    }
    if (st != GH_OK) { json_decref(a.items); return st; }
    *items = a.items;
    return GH_OK;
}

gh_status gh_screen_get(gh_ctx *ctx, const char *id, json_t **out)
{
    gh_screen s;
    gh_status st = gh_store_screen_get(ctx->db, ctx->actor.org_id, id, &s, &ctx->err);
    if (st != GH_OK) return st;
    json_t *o = screen_json(&s);
    if (!o) return gh_ctx_oom(ctx);
    if ((st = screen_links(ctx, o)) != GH_OK) { json_decref(o); return st; }
    *out = o;
    return GH_OK;
}

/* A screen: its id, the new name (rename), and the row the change read. */
typedef struct {
    const char *id, *name;
    gh_screen s;
} screen_op;

static gh_status screen_rename_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    screen_op *op = arg;
    gh_screen *s = &op->s;
    gh_status st = gh_store_screen_get(ctx->db, ctx->actor.org_id, op->id, s, &ctx->err);
    if (st != GH_OK) return st;
    if (strcmp(s->name, op->name) == 0) {
        tx->unchanged = true;
        return GH_OK;
    }
    if ((st = gh_store_screen_rename(ctx->db, s->org_id, s->id, op->name, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "screen.renamed", "screen", s->id, json_pack("{s:s, s:s}", "from", s->name, "to", op->name));
    return GH_OK;
}

gh_status gh_screen_rename(gh_ctx *ctx, const char *id, const char *name, json_t **out)
{
    if (gh_check_text(&ctx->err, "invalid_name", "name", name, 1, GH_NAME_MAX) != GH_OK) return GH_E_INVALID;
    gh_status st = gh_tx_run_no_refresh(ctx, screen_rename_change, &(screen_op){.id = id, .name = name});
    if (st != GH_OK) return st;
    return gh_screen_get(ctx, id, out);
}

static gh_status screen_delete_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    screen_op *op = arg;
    gh_screen *s = &op->s;
    gh_status st = gh_store_screen_get(ctx->db, ctx->actor.org_id, op->id, s, &ctx->err);
    if (st != GH_OK) return st;
    if ((st = gh_store_screen_delete(ctx->db, s->org_id, s->id, &ctx->err)) != GH_OK) return st;
    gh_tx_event(tx, "screen.deleted", "screen", s->id, json_pack("{s:s}", "name", s->name));
    return GH_OK;
}

gh_status gh_screen_delete(gh_ctx *ctx, const char *id)
{
    return gh_tx_run_no_refresh(ctx, screen_delete_change, &(screen_op){.id = id});
}

/* A screen's tasks or members: kind says which. */
typedef struct {
    assign_op a; /* id: the screen; other_id: the task or person */
    gh_screen_link_kind kind;
} screen_link_op;

static gh_status screen_link_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    screen_link_op *op = arg;
    gh_screen *s = &op->a.s;
    const char *other_id = op->a.other_id;
    bool add = op->a.add, changed = false, tasks = op->kind == GH_SCREEN_TASKS;
    gh_status st = gh_store_screen_get(ctx->db, ctx->actor.org_id, op->a.id, s, &ctx->err);
    if (st != GH_OK) return st;
    if (tasks) st = gh_store_task_get(ctx->db, ctx->actor.org_id, other_id, &op->a.t, &ctx->err);
    else st = user_in_org(ctx, other_id);
    if (st != GH_OK) return st;
    if ((st = gh_store_screen_link(ctx->db, op->kind, s->id, other_id, add, &changed, &ctx->err)) != GH_OK) return st;
    if (!changed) {
        tx->unchanged = add;
        if (add) return GH_OK;
        return tasks ? gh_fail_field(&ctx->err, GH_E_NOT_FOUND, "not_on_screen", "task_id", "the task is not on this screen")
                     : gh_fail_field(&ctx->err, GH_E_NOT_FOUND, "not_a_member", "user_id",
                                     "the user is not a member of this screen");
    }
    const char *action = tasks ? (add ? "screen.task_added" : "screen.task_removed")
                               : (add ? "screen.member_added" : "screen.member_removed");
    gh_tx_event(tx, action, "screen", s->id, json_pack("{s:s}", tasks ? "task_id" : "user_id", other_id));
    return GH_OK;
}

gh_status gh_screen_link(gh_ctx *ctx, const char *screen_id, gh_screen_link_kind kind, const char *other_id, bool add)
{
    screen_link_op op = {.a = {.id = screen_id, .other_id = other_id, .add = add}, .kind = kind};
    return gh_tx_run_no_refresh(ctx, screen_link_change, &op);
}

/* ---- agenda ------------------------------------------------------------------------------------- */
typedef struct {
    json_t *items;
    json_t *cur;            /* the item of the current task */
    json_t *open;           /* my open check-ins */
    int rows;
} agenda_acc;

static void open_visit(const gh_checkin *c, void *arg) { json_array_append_new(arg, gh_checkin_json(c)); }

static json_t *open_checkin_on(json_t *open, const char *task_id)
{
    size_t i;
    json_t *c;
    json_array_foreach(open, i, c) {
        if (strcmp(json_string_value(json_object_get(json_object_get(c, "task"), "id")), task_id) == 0)
            return json_string(json_string_value(json_object_get(c, "id")));
    }
    return json_null();
}

static void agenda_visit(const gh_agenda_row *r, void *arg)
{
    agenda_acc *a = arg;
    a->rows++;
    const char *cur_id = a->cur ? json_string_value(json_object_get(a->cur, "id")) : NULL;
    if (!cur_id || strcmp(cur_id, r->task.id) != 0) {
        a->cur = task_json(&r->task);
        if (!a->cur) return;
        json_object_set_new(a->cur, "assigned", json_false());
        json_object_set_new(a->cur, "order_assigned", json_false());
        json_object_set_new(a->cur, "screens", json_array());
        json_object_set_new(a->cur, "open_checkin_id", open_checkin_on(a->open, r->task.id));
        json_array_append_new(a->items, a->cur);
    }
    if (r->via == GH_AGENDA_ORDER) {
        json_object_set_new(a->cur, "assigned", json_true());
        json_object_set_new(a->cur, "order_assigned", json_true());
    } else if (r->via == GH_AGENDA_ASSIGNED) {
        json_object_set_new(a->cur, "assigned", json_true());
    } else {
        json_array_append_new(json_object_get(a->cur, "screens"),
                              json_pack("{s:s, s:s}", "id", r->screen_id, "name", r->screen_name));
    }
}

gh_status gh_agenda(gh_ctx *ctx, bool open_only, json_t **out)
{
    agenda_acc a = {.items = json_array(), .open = json_array()};
    gh_status st = GH_OK;
    if (!a.items || !a.open) { st = gh_ctx_oom(ctx); goto fail; }
    gh_checkin_filter f = {.user_id = ctx->actor.id, .open_only = true, .limit = OPEN_CHECKINS_MAX};
    if ((st = gh_store_checkin_list(ctx->db, ctx->actor.org_id, &f, open_visit, a.open, &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_store_agenda(ctx->db, ctx->actor.org_id, ctx->actor.id, open_only, AGENDA_ROWS_MAX, agenda_visit, &a,
                              &ctx->err)) != GH_OK)
        goto fail;
    json_t *first = json_array_get(a.open, 0);
    *out = json_pack("{s:o, s:O, s:o, s:b}", "items", a.items, "open_checkin", first ? first : json_null(),
                     "open_checkins", a.open, "truncated", a.rows >= AGENDA_ROWS_MAX);
    if (!*out) return gh_ctx_oom(ctx);
    return GH_OK;
fail:
    json_decref(a.items);
    json_decref(a.open);
    return st;
}
