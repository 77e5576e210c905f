/*
 * Shop-floor work (000, 002): tasks, agenda screens, check-ins, time
 * records and per-user activity.
 *
 * - Tasks are the embedding product's work items (an external ref unique in
 *   the org, a title, an optional order ref and due time). Holders of
 *   tasks.assign (or an API key) create them and assign people, to a task
 *   or to an order (every task with that order ref, also later ones);
 *   agenda screens group tasks, and a screen's members see its tasks.
 * - A worker checks in to a task they are assigned to or see on one of
 *   their screens. With the org setting single_task_checkin on (000
 *   recommends it) and the worker not exempt (users.checkin_exempt, for
 *   batch operations), a second open check-in is refused with 409
 *   checkin_limit naming the open one. The check runs inside a BEGIN
 *   IMMEDIATE transaction, and a partial unique index backs it, so
 *   concurrent attempts by one worker cannot both succeed.
 * - Checking out closes the check-in as paused, complete or error. A task
 *   is done as soon as any worker checks out of it as complete (one task,
 *   one completion: the product's work item is finished); other workers'
 *   open check-ins on it stay open until they check out.
 * - Closed check-ins are the time records: timesheets total them per UTC
 *   day and task, splitting a check-in that spans midnight.
 * - Activity: form submissions, order events and asset events posted by
 *   the embedding product, plus a `checkin` event at every check-in and
 *   check-out, listed per user with per-day counts by type.
 */
#ifndef GH_SHOPFLOOR_H
#define GH_SHOPFLOOR_H
#include <jansson.h>

#include "core/ctx.h"
#include "store/shopfloor.h"

#define GH_RANGE_MAX_DAYS 366   /* longest timesheet / activity range */
#define GH_ACTIVITY_DETAIL_MAX 16384

/* ---- tasks ------------------------------------------------------------------------ */
typedef struct gh_task_new {
    const char *ref, *title, *order_ref;
    int64_t due_at;                   /* 0 = none */
} gh_task_new;
gh_status gh_task_create(gh_ctx *ctx, const gh_task_new *n, json_t **out);
/* Needs tasks.assign or users.view. cursor: from a previous next_cursor. */
gh_status gh_task_list(gh_ctx *ctx, const char *status, const char *order_ref, const char *q, const char *cursor, int limit,
                       json_t **items, char **next_cursor);
/* A change to a task; absent fields are left alone. The ref is the
 * embedding product's key and does not change. */
typedef struct gh_task_patch {
    const char *title;                /* NULL: unchanged */
    bool order_ref_set;               /* order_ref NULL or "": none */
    const char *order_ref;
    bool due_set;                     /* due_at 0: none */
    int64_t due_at;
    const char *status;               /* NULL, "open" (reopen) or "done" */
} gh_task_patch;
/* The caller checked tasks.assign. Audited as task.updated with what changed. */
gh_status gh_task_update(gh_ctx *ctx, const char *id, const gh_task_patch *p, json_t **out);
/* Deletes a task nobody has checked in to (its check-ins are time records:
 * 409 task_has_checkins; mark it done instead). The caller checked tasks.assign. */
gh_status gh_task_delete(gh_ctx *ctx, const char *id);
/* The task with its assignees: for tasks.assign / users.view holders, and
 * for workers who see the task (404 otherwise, nothing leaks). */
gh_status gh_task_get(gh_ctx *ctx, const char *id, json_t **out);
gh_status gh_task_assign(gh_ctx *ctx, const char *task_id, const char *user_id, bool add);

/* ---- orders --------------------------------------------------------------------------- */
/* Assigns user_id to every task with this order ref, present and future
 * (000: "assigning users to orders and tasks"); idempotent add, 404
 * not_assigned on removing a non-assignee. The caller checked tasks.assign. */
gh_status gh_order_assign(gh_ctx *ctx, const char *order_ref, const char *user_id, bool add);
/* The order's assignees and (up to 200) tasks. Needs tasks.assign or users.view. */
gh_status gh_order_get(gh_ctx *ctx, const char *order_ref, json_t **out);

/* ---- agenda screens ----------------------------------------------------------------- */
gh_status gh_screen_create(gh_ctx *ctx, const char *name, json_t **out);
gh_status gh_screen_list(gh_ctx *ctx, json_t **items);
/* One screen with its tasks and members. */
gh_status gh_screen_get(gh_ctx *ctx, const char *id, json_t **out);
/* Renames (screen.renamed) or deletes (screen.deleted) a screen; deleting
 * takes its tasks off its members' agendas, the tasks themselves stay. */
gh_status gh_screen_rename(gh_ctx *ctx, const char *id, const char *name, json_t **out);
gh_status gh_screen_delete(gh_ctx *ctx, const char *id);
gh_status gh_screen_link(gh_ctx *ctx, const char *screen_id, gh_screen_link_kind kind, const char *other_id,
                         bool add);

/* The acting user's agenda: tasks assigned to them and tasks on their
 * screens (each with `assigned` and `screens`), and their open check-ins. */
gh_status gh_agenda(gh_ctx *ctx, bool open_only, json_t **out);

/* ---- check-ins ------------------------------------------------------------------------ */
json_t *gh_checkin_json(const gh_checkin *c);
/* Checks user_id (NULL: the actor) in to task_id. */
gh_status gh_checkin_open(gh_ctx *ctx, const char *task_id, const char *user_id, json_t **out);
/* status: paused | complete | error; note may be NULL. */
gh_status gh_checkin_close(gh_ctx *ctx, const char *id, const char *status, const char *note, json_t **out);
/* Check-ins of user_id (NULL: the actor), newest first. */
gh_status gh_checkin_list(gh_ctx *ctx, const char *user_id, bool open_only, const char *cursor, int limit,
                          json_t **items, char **next_cursor);

/* ---- time records ------------------------------------------------------------------------ */
/* Calls fn(day_start, seconds) for each UTC day that [start, end) ∩ [from, to)
 * touches, in order. Pure; exposed for the unit tests. */
void gh_split_days(int64_t start, int64_t end, int64_t from, int64_t to,
                   void (*fn)(int64_t day_start, int64_t seconds, void *), void *arg);
/* Totals of closed check-ins of user_id (NULL: the actor) in [from, to)
 * per UTC day and task. Others' time needs users.view or tasks.assign. */
gh_status gh_timesheet(gh_ctx *ctx, const char *user_id, int64_t from, int64_t to, json_t **out);

/* ---- activity ------------------------------------------------------------------------------- */
/* Records an event of the embedding product (not `checkin`). at 0 = now;
 * detail (borrowed, may be NULL) is a small JSON object. */
gh_status gh_activity_record(gh_ctx *ctx, const char *user_id, const char *type, const char *ref, int64_t at,
                             const json_t *detail, json_t **out);
/* Inside the caller's transaction (check-ins): detail is stolen. */
gh_status gh_activity_add(gh_ctx *ctx, const char *user_id, const char *type, const char *ref, json_t *detail);
/* Events of a user in [from, to), newest first and paged, with per-day
 * counts by type over the whole range. Needs analytics.view or users.view. */
gh_status gh_activity_user(gh_ctx *ctx, const char *user_id, const char *type, int64_t from, int64_t to,
                           const char *cursor, int limit, json_t **out);

/* ---- shared helpers ---------------------------------------------------------------------------- */
/* GH_E_FORBIDDEN permission_denied unless the actor holds one of a / b. */
gh_status gh_require_any(gh_ctx *ctx, const char *a, const char *b);
/* Validates a [from, to) range: to > from, at most GH_RANGE_MAX_DAYS. */
gh_status gh_range_check(gh_ctx *ctx, int64_t from, int64_t to);

#endif
