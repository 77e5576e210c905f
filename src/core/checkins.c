/* Check-ins with the single-task limit, and timesheets. See shopfloor.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "util/json.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/shopfloor.h"
#include "core/guard.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200
#define OPEN_SCAN_MAX 100
#define DAY 86400

json_t *gh_checkin_json(const gh_checkin *c)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id", c->id, "user_id",
                     c->user_id, "task", "id", c->task_id, "ref", c->task_ref, "title", c->task_title, "status",
                     c->status, "started_at", gh_json_time(c->started_at), "ended_at", gh_json_time(c->ended_at),
                     "duration_s", c->ended_at ? json_integer(c->ended_at - c->started_at) : json_null(), "note",
                     gh_json_str_or_null(c->note), "created_by", gh_json_str_or_null(c->created_by), "ended_by",
                     gh_json_str_or_null(c->ended_by));
}

/* Is `user_id` someone else than the acting user? */
static bool other_user(gh_ctx *ctx, const char *user_id)
{
    return user_id && (ctx->actor.type != GH_ACTOR_USER || strcmp(user_id, ctx->actor.id) != 0);
}

/* ---- check in ------------------------------------------------------------------------ */
typedef struct { gh_checkin *items; size_t n, cap; } checkin_vec;
static void vec_push(const gh_checkin *c, void *arg)
{
    checkin_vec *v = arg;
    if (v->n == v->cap) return; /* bounded by the query's limit */
    v->items[v->n++] = *c;
}

static gh_status refuse_with_open(gh_ctx *ctx, const char *code, const char *detail, const gh_checkin *open)
{
    gh_fail(&ctx->err, GH_E_CONFLICT, code, "%s", detail);
    gh_err_extra(&ctx->err, "open_checkin", gh_checkin_json(open));
    return GH_E_CONFLICT;
}

/* A check-in being opened: what is asked, and the buffers the change fills
 * (the caller's allocations). */
typedef struct {
    const char *task_id, *uid;
    bool for_other;
    gh_user *u;
    checkin_vec open;
    gh_checkin *c;
} checkin_open_op;

/* gh_tx_begin's BEGIN IMMEDIATE: concurrent check-ins of one worker run one
 * after the other, so the second sees the first's row. */
static gh_status checkin_open_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    checkin_open_op *op = arg;
    const char *task_id = op->task_id, *uid = op->uid;
    bool for_other = op->for_other;
    gh_user *u = op->u;
    checkin_vec open = op->open;
    gh_checkin *c = op->c;
    gh_org o;
    gh_task t;
    gh_status st = GH_OK;
    /* The snapshot answered in gh_checkin_open; the rows decide. */
    if (for_other && !gh_guard_actor_holds(ctx, "tasks.assign")) {
        st = gh_guard_require_perm(ctx, "tasks.assign");
        gh_strlcpy(ctx->err.field, "user_id", sizeof ctx->err.field);
        return st;
    }
    if ((st = gh_store_org_get(ctx->db, ctx->actor.org_id, &o, &ctx->err)) != GH_OK) return st;
    if ((st = gh_store_task_get(ctx->db, o.id, task_id, &t, &ctx->err)) != GH_OK) {
        if (st == GH_E_NOT_FOUND) gh_strlcpy(ctx->err.field, "task_id", sizeof ctx->err.field);
        return st;
    }
    if ((st = gh_store_user_get(ctx->db, o.id, uid, u, &ctx->err)) != GH_OK) {
        if (st == GH_E_NOT_FOUND) gh_strlcpy(ctx->err.field, "user_id", sizeof ctx->err.field);
        return st;
    }
    if (strcmp(u->status, "active") != 0) {
        return gh_fail_field(&ctx->err, GH_E_CONFLICT, "user_locked", "user_id", "this user is locked");
    }
    if (gh_user_expired(u, gh_now())) {
        return gh_fail_field(&ctx->err, GH_E_CONFLICT, "user_expired", "user_id", "This account has expired.");
    }
    bool works = true; /* the worker's permission from the row, not the snapshot */
    if (for_other && (st = gh_guard_user_holds(ctx, &o, u, "tasks.work", &works)) != GH_OK) return st;
    if (!works) {
        st = gh_fail_field(&ctx->err, GH_E_CONFLICT, "worker_not_permitted", "user_id",
                           "this user does not have the 'tasks.work' permission");
        gh_err_extra(&ctx->err, "permission", json_string("tasks.work"));
        return st;
    }
    bool assigned = false, on_screen = false;
    if ((st = gh_store_task_visibility(ctx->db, o.id, t.id, u->id, &assigned, &on_screen, &ctx->err)) != GH_OK)
        return st;
    if (!assigned && !on_screen) {
        return gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "task_not_visible", "task_id",
                             "the worker is not assigned to this task and does not see it on an agenda screen");
    }
    if (strcmp(t.status, "open") != 0) {
        return gh_fail_field(&ctx->err, GH_E_CONFLICT, "task_done", "task_id", "this task is already complete");
    }
    gh_checkin_filter f = {.user_id = u->id, .open_only = true, .limit = OPEN_SCAN_MAX};
    if ((st = gh_store_checkin_list(ctx->db, o.id, &f, vec_push, &open, &ctx->err)) != GH_OK) return st;
    for (size_t i = 0; i < open.n; i++) {
        if (strcmp(open.items[i].task_id, t.id) == 0) {
            return refuse_with_open(ctx, "already_checked_in", "the worker is already checked in to this task",
                                    &open.items[i]);
        }
    }
    bool limited = o.single_task_checkin && !u->checkin_exempt;
    if (limited && open.n > 0) {
        return refuse_with_open(ctx, "checkin_limit",
                                "the worker is checked in to another task: check out of it (paused, complete or"
                                " error) first",
                                &open.items[0]);
    }
    gh_id_new("chk", c->id);
    gh_strlcpy(c->org_id, o.id, sizeof c->org_id);
    gh_strlcpy(c->user_id, u->id, sizeof c->user_id);
    gh_strlcpy(c->task_id, t.id, sizeof c->task_id);
    gh_strlcpy(c->status, "open", sizeof c->status);
    gh_strlcpy(c->created_by, ctx->actor.id, sizeof c->created_by);
    gh_strlcpy(c->task_ref, t.ref, sizeof c->task_ref);
    gh_strlcpy(c->task_title, t.title, sizeof c->task_title);
    c->started_at = gh_now();
    c->single = limited;
    if ((st = gh_store_checkin_insert(ctx->db, c, &ctx->err)) != GH_OK) return st;
    if ((st = gh_activity_add(ctx, u->id, "checkin", t.ref,
                              json_pack("{s:s, s:s, s:s}", "event", "checkin", "checkin_id", c->id, "task_id",
                                        t.id))) != GH_OK)
        return st;
    gh_tx_event(tx, "checkin.opened", "checkin", c->id,
                json_pack("{s:s, s:s, s:s, s:b}", "user_id", u->id, "task_id", t.id, "ref", t.ref,
                          "single_task_limit", limited));
    return GH_OK;
}

gh_status gh_checkin_open(gh_ctx *ctx, const char *task_id, const char *user_id, json_t **out)
{
    bool for_other = other_user(ctx, user_id);
    if (for_other && !gh_access_allowed(ctx, "tasks.assign")) {
        gh_fail_field(&ctx->err, GH_E_FORBIDDEN, "permission_denied", "user_id",
                      "checking in someone else needs the 'tasks.assign' permission");
        gh_err_extra(&ctx->err, "permission", json_string("tasks.assign"));
        return GH_E_FORBIDDEN;
    }
    const char *uid = user_id ? user_id : ctx->actor.id;
    gh_user *u = calloc(1, sizeof *u);
    checkin_vec open = {calloc(OPEN_SCAN_MAX, sizeof(gh_checkin)), 0, OPEN_SCAN_MAX};
    gh_checkin *c = calloc(1, sizeof *c);
    gh_status st;
    if (!u || !open.items || !c) { st = gh_ctx_oom(ctx); goto out; }
    checkin_open_op op = {task_id, uid, for_other, u, open, c};
    if ((st = gh_tx_run_no_refresh(ctx, checkin_open_change, &op)) != GH_OK) goto out;
    *out = gh_checkin_json(c);
out:
    free(u);
    free(open.items);
    free(c);
    return st;
}

/* ---- check out -------------------------------------------------------------------------- */
/* A note: up to GH_NOTE_MAX bytes of text; line breaks and tabs allowed,
 * other control characters and bidirectional controls not (the one text
 * check, so the detail names the problem). */
static gh_status check_note(gh_ctx *ctx, const char *note)
{
    size_t n = gh_strnlen_max(note, GH_NOTE_MAX);
    char buf[GH_NOTE_MAX + 2];
    memcpy(buf, note, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t') buf[i] = ' ';
    return gh_check_text(&ctx->err, "invalid_note", "note", buf, 0, GH_NOTE_MAX);
}

/* A check-in being closed: what is asked, the row the change read and
 * closed, and whether that completed its task. */
typedef struct {
    const char *id, *status, *note;
    bool completed;
    gh_checkin c;
} checkin_close_op;

/* Writes checkin.closed itself and names task.completed, when the task is
 * completed, as the event that follows it. */
static gh_status checkin_close_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    checkin_close_op *op = arg;
    gh_checkin *c = &op->c;
    gh_status st;
    if ((st = gh_store_checkin_get(ctx->db, ctx->actor.org_id, op->id, c, &ctx->err)) != GH_OK) return st;
    /* Someone else's check-in only for tasks.assign holders; others do not
     * learn that it exists. */
    if (other_user(ctx, c->user_id) && !gh_guard_actor_holds(ctx, "tasks.assign")) {
        return gh_fail(&ctx->err, GH_E_NOT_FOUND, "checkin_not_found", "no such check-in");
    }
    if (c->ended_at) {
        st = gh_fail(&ctx->err, GH_E_CONFLICT, "checkin_closed", "this check-in is already closed (%s)", c->status);
        gh_err_extra(&ctx->err, "checkin", gh_checkin_json(c));
        return st;
    }
    gh_strlcpy(c->status, op->status, sizeof c->status);
    gh_strlcpy(c->note, op->note ? op->note : "", sizeof c->note);
    gh_strlcpy(c->ended_by, ctx->actor.id, sizeof c->ended_by);
    c->ended_at = gh_now();
    if (c->ended_at <= c->started_at) c->ended_at = c->started_at; /* a clock step back never gives negative time */
    if ((st = gh_store_checkin_close(ctx->db, c, &ctx->err)) != GH_OK) return st;
    if (strcmp(op->status, "complete") == 0 &&
        (st = gh_store_task_complete(ctx->db, c->org_id, c->task_id, c->ended_at, c->user_id, &op->completed,
                                     &ctx->err)) != GH_OK)
        return st;
    if ((st = gh_activity_add(ctx, c->user_id, "checkin", c->task_ref,
                              json_pack("{s:s, s:s, s:s, s:s, s:I}", "event", "checkout", "checkin_id", c->id,
                                        "task_id", c->task_id, "status", op->status, "duration_s",
                                        (json_int_t)(c->ended_at - c->started_at)))) != GH_OK)
        return st;
    if ((st = gh_audit(ctx, NULL, "checkin.closed", "checkin", c->id,
                       json_pack("{s:s, s:s, s:s, s:I}", "user_id", c->user_id, "task_id", c->task_id, "status",
                                 op->status, "duration_s", (json_int_t)(c->ended_at - c->started_at)))) != GH_OK)
        return st;
    if (op->completed)
        gh_tx_event(tx, "task.completed", "task", c->task_id,
                    json_pack("{s:s, s:s}", "by", c->user_id, "checkin_id", c->id));
    return GH_OK;
}

gh_status gh_checkin_close(gh_ctx *ctx, const char *id, const char *status, const char *note, json_t **out)
{
    if (!status || (strcmp(status, "paused") != 0 && strcmp(status, "complete") != 0 && strcmp(status, "error") != 0))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_status", "status", "status is paused, complete or error");
    if (note && check_note(ctx, note) != GH_OK) return GH_E_INVALID;
    checkin_close_op *op = calloc(1, sizeof *op);
    gh_status st;
    if (!op) return gh_ctx_oom(ctx);
    op->id = id;
    op->status = status;
    op->note = note;
    if ((st = gh_tx_run_no_refresh(ctx, checkin_close_change, op)) == GH_OK) {
        *out = gh_checkin_json(&op->c);
        json_object_set_new(*out, "task_completed", json_boolean(op->completed));
    }
    free(op);
    return st;
}

/* ---- listing ------------------------------------------------------------------------------- */
/* Others' check-ins and time need users.view or tasks.assign. */
static gh_status may_see_user(gh_ctx *ctx, const char *user_id)
{
    if (!other_user(ctx, user_id)) return GH_OK;
    return gh_require_any(ctx, "users.view", "tasks.assign");
}

/* t->id is "" unless the subject is a deleted person. */
static gh_status resolve_subject(gh_ctx *ctx, const char *user_id, const char **uid, gh_tombstone *t)
{
    if (!user_id && ctx->actor.type != GH_ACTOR_USER)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "missing_field", "user_id", "name the user (user_id)");
    gh_status st = may_see_user(ctx, user_id);
    if (st != GH_OK) return st;
    *uid = user_id ? user_id : ctx->actor.id;
    /* A deleted person's time records stay readable (issue 11 item 6). */
    bool deleted = false;
    st = gh_person_check(ctx, *uid, t, &deleted);
    if (st == GH_E_NOT_FOUND) gh_strlcpy(ctx->err.field, "user_id", sizeof ctx->err.field);
    if (st == GH_OK && !deleted) t->id[0] = '\0';
    return st;
}

typedef struct { json_t *items; int64_t last_started; char last_id[GH_ID_MAX]; int n; } list_acc;
static void list_visit(const gh_checkin *c, void *arg)
{
    list_acc *a = arg;
    json_array_append_new(a->items, gh_checkin_json(c));
    a->last_started = c->started_at;
    gh_strlcpy(a->last_id, c->id, sizeof a->last_id);
    a->n++;
}

gh_status gh_checkin_list(gh_ctx *ctx, const char *user_id, bool open_only, const char *cursor, int limit,
                          json_t **items, char **next_cursor)
{
    const char *uid = NULL;
    gh_tombstone t;
    gh_status st = resolve_subject(ctx, user_id, &uid, &t);
    if (st != GH_OK) return st;
    gh_checkin_filter f = {.user_id = uid, .open_only = open_only, .limit = limit};
    if (f.limit <= 0) f.limit = PAGE_DEFAULT;
    if (f.limit > PAGE_MAX) f.limit = PAGE_MAX;
    char cid[GH_ID_MAX];
    if (cursor) {
        /* "<started_at>.<id>" */
        const char *dot = strchr(cursor, '.');
        char num[24];
        if (!dot || (size_t)(dot - cursor) >= sizeof num || !gh_strlcpy(cid, dot + 1, sizeof cid) || !cid[0])
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
        memcpy(num, cursor, (size_t)(dot - cursor));
        num[dot - cursor] = '\0';
        if (!gh_parse_i64(num, 1, INT64_MAX, &f.before_started))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
        f.before_id = cid;
    }
    list_acc a = {.items = json_array()};
    if (!a.items) return gh_ctx_oom(ctx);
    if ((st = gh_store_checkin_list(ctx->db, ctx->actor.org_id, &f, list_visit, &a, &ctx->err)) != GH_OK) {
        json_decref(a.items);
        return st;
    }
    *next_cursor = NULL;
    if (a.n == f.limit) {
        char *c = malloc(24 + GH_ID_MAX);
        if (c) snprintf(c, 24 + GH_ID_MAX, "%lld.%s", (long long)a.last_started, a.last_id);
        *next_cursor = c;
    }
    *items = a.items;
    return GH_OK;
}

/* ---- timesheets -------------------------------------------------------------------------------- */
static int64_t floor_day(int64_t t) { return t >= 0 ? t - t % DAY : t - ((t % DAY) + DAY) % DAY; }

void gh_split_days(int64_t start, int64_t end, int64_t from, int64_t to,
                   void (*fn)(int64_t day_start, int64_t seconds, void *), void *arg)
{
    int64_t a = start > from ? start : from;
    int64_t b = end < to ? end : to;
    while (a < b) {
        int64_t day = floor_day(a);
        int64_t stop = day + DAY < b ? day + DAY : b;
        fn(day, stop - a, arg);
        a = stop;
    }
}

gh_status gh_range_check(gh_ctx *ctx, int64_t from, int64_t to)
{
    if (from < 0 || to <= from)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_range", "to", "'to' must be after 'from'");
    if (to - from > (int64_t)GH_RANGE_MAX_DAYS * DAY)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_range", "to", "a range spans at most %d days",
                             GH_RANGE_MAX_DAYS);
    return GH_OK;
}

typedef struct {
    json_t *days;        /* [{date, total_s, tasks: [{task_id, ref, title, seconds}]}], in day order */
    json_t *tasks;       /* totals per task over the range */
    int64_t total;
    const gh_checkin *cur;
} sheet_acc;

/* Adds seconds to the entry of `arr` whose `key` equals `val`, creating it
 * with `init` (stolen) when absent; returns the entry. */
static json_t *bump(json_t *arr, const char *key, const char *val, json_t *init, const char *counter, int64_t seconds)
{
    size_t i;
    json_t *e, *found = NULL;
    json_array_foreach(arr, i, e) {
        if (strcmp(json_string_value(json_object_get(e, key)), val) == 0) { found = e; break; }
    }
    if (!found) {
        if (!init) return NULL;
        json_object_set_new(init, counter, json_integer(0));
        json_array_append_new(arr, init);
        found = init;
    } else {
        json_decref(init);
    }
    json_t *n = json_object_get(found, counter);
    json_integer_set(n, json_integer_value(n) + seconds);
    return found;
}

static json_t *task_entry(const gh_checkin *c)
{
    return json_pack("{s:s, s:s, s:s}", "task_id", c->task_id, "ref", c->task_ref, "title", c->task_title);
}

static void sheet_span(int64_t day, int64_t seconds, void *arg)
{
    sheet_acc *a = arg;
    char date[32];
    gh_time_fmt(day, date);
    date[10] = '\0';
    json_t *d = bump(a->days, "date", date, json_pack("{s:s, s:[]}", "date", date, "tasks"), "total_s", seconds);
    if (d) bump(json_object_get(d, "tasks"), "task_id", a->cur->task_id, task_entry(a->cur), "seconds", seconds);
    bump(a->tasks, "task_id", a->cur->task_id, task_entry(a->cur), "seconds", seconds);
    a->total += seconds;
}

typedef struct { sheet_acc *acc; int64_t from, to; } sheet_ctx;
static void sheet_visit(const gh_checkin *c, void *arg)
{
    sheet_ctx *s = arg;
    s->acc->cur = c;
    gh_split_days(c->started_at, c->ended_at, s->from, s->to, sheet_span, s->acc);
}

gh_status gh_timesheet(gh_ctx *ctx, const char *user_id, int64_t from, int64_t to, json_t **out)
{
    gh_status st = gh_range_check(ctx, from, to);
    if (st != GH_OK) return st;
    const char *uid = NULL;
    gh_tombstone t;
    if ((st = resolve_subject(ctx, user_id, &uid, &t)) != GH_OK) return st;
    sheet_acc a = {.days = json_array(), .tasks = json_array()};
    sheet_ctx s = {&a, from, to};
    if (!a.days || !a.tasks) { st = gh_ctx_oom(ctx); goto fail; }
    if ((st = gh_store_checkin_closed_between(ctx->db, ctx->actor.org_id, uid, from, to, sheet_visit, &s,
                                              &ctx->err)) != GH_OK)
        goto fail;
    *out = json_pack("{s:s, s:o, s:o, s:I, s:o, s:o}", "user_id", uid, "from", gh_json_time(from), "to", gh_json_time(to),
                     "total_s", (json_int_t)a.total, "days", a.days, "tasks", a.tasks);
    if (!*out) return gh_ctx_oom(ctx);
    if (t.id[0]) json_object_set_new(*out, "deleted_user", gh_tombstone_json(&t));
    return GH_OK;
fail:
    json_decref(a.days);
    json_decref(a.tasks);
    return st;
}
