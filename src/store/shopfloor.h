/*
 * Storage for the shop floor (issue 6): kiosk devices and kiosk sessions,
 * tasks with their assignees, agenda screens, check-ins (time records) and
 * per-user activity. Same conventions as store.h: plain structs, GH_OK /
 * GH_E_NOT_FOUND / a database error in err, every query scoped by org_id.
 */
#ifndef GH_STORE_SHOPFLOOR_H
#define GH_STORE_SHOPFLOOR_H
#include "store/store.h"

#define GH_REF_MAX 128        /* task, order and activity references */
#define GH_NOTE_MAX 2000      /* check-out note */
#define GH_BADGE_MAX 64

/* ---- kiosk devices -------------------------------------------------------------- */
typedef struct gh_kiosk_device {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char name[GH_NAME_MAX + 1];
    char token_hash[GH_HASH_HEX_LEN + 1];
    char created_by[GH_ID_MAX];      /* "" when not a user */
    int64_t created_at, last_used_at; /* last_used_at 0 = never */
    char language[GH_LANG_MAX + 1];   /* "" when not set: the browser's */
} gh_kiosk_device;

gh_status gh_store_device_insert(gh_db *db, const gh_kiosk_device *d, gh_err *err);
gh_status gh_store_device_get_by_hash(gh_db *db, const char *org_id, const char *token_hash,
                                      gh_kiosk_device *d, gh_err *err);
/* GH_E_NOT_FOUND "device_not_found" when id is no device of org_id. */
gh_status gh_store_device_get(gh_db *db, const char *org_id, const char *id, gh_kiosk_device *d, gh_err *err);
/* Sets the device's language ("" clears). GH_E_NOT_FOUND "device_not_found". */
gh_status gh_store_device_set_language(gh_db *db, const char *org_id, const char *id, const char *language,
                                       gh_err *err);
gh_status gh_store_device_touch(gh_db *db, const char *id, int64_t at, gh_err *err);
/* GH_E_NOT_FOUND "device_not_found" when there is no such device. */
gh_status gh_store_device_delete(gh_db *db, const char *org_id, const char *id, gh_err *err);
gh_status gh_store_device_list(gh_db *db, const char *org_id, void (*fn)(const gh_kiosk_device *, void *),
                               void *arg, gh_err *err);

/* ---- kiosk sessions --------------------------------------------------------------- */
gh_status gh_store_session_set_device(gh_db *db, const char *session_id, const char *device_id, gh_err *err);
/* Deletes kiosk sessions of the org matching user_id and/or device_id (at
 * least one must be given), except keep_id (may be NULL). */
gh_status gh_store_session_delete_kiosk(gh_db *db, const char *org_id, const char *user_id,
                                        const char *device_id, const char *keep_id, int64_t *deleted,
                                        gh_err *err);

/* ---- tasks -------------------------------------------------------------------------- */
typedef struct gh_task {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char ref[GH_REF_MAX + 1];
    char title[GH_NAME_MAX + 1];
    char order_ref[GH_REF_MAX + 1];   /* "" when none */
    char status[8];                   /* open | done */
    char created_by[GH_ID_MAX];
    char completed_by[GH_ID_MAX];
    int64_t due_at, created_at, completed_at; /* 0 = none */
} gh_task;

/* GH_E_CONFLICT "task_ref_taken" when the org already has a task with ref. */
gh_status gh_store_task_insert(gh_db *db, const gh_task *t, gh_err *err);
gh_status gh_store_task_get(gh_db *db, const char *org_id, const char *id, gh_task *t, gh_err *err);
/* Writes title, order_ref, due_at, status, completed_at and completed_by. */
gh_status gh_store_task_update(gh_db *db, const gh_task *t, gh_err *err);
/* Number of check-ins (open or closed) on the task. */
gh_status gh_store_task_checkin_count(gh_db *db, const char *org_id, const char *id, int64_t *n, gh_err *err);
/* Deletes the task with its assignments and screen links; GH_E_NOT_FOUND
 * task_not_found when there is none. */
gh_status gh_store_task_delete(gh_db *db, const char *org_id, const char *id, gh_err *err);
/* Marks an open task done; *changed tells whether it was open. */
gh_status gh_store_task_complete(gh_db *db, const char *org_id, const char *id, int64_t at, const char *by,
                                 bool *changed, gh_err *err);

typedef struct gh_task_filter {
    const char *status;      /* NULL = any */
    const char *order_ref;   /* NULL = any */
    const char *after_ref;   /* keyset cursor: refs > after_ref; NULL = start */
    const char *q;           /* text in the ref or title, any case and accents; NULL = any */
    int limit;
} gh_task_filter;
/* Tasks in ref order. */
gh_status gh_store_task_list(gh_db *db, const char *org_id, const gh_task_filter *f,
                             void (*fn)(const gh_task *, void *), void *arg, gh_err *err);
/* The query plan (EXPLAIN QUERY PLAN detail lines, one per line) of the
 * list above with these filters, for tests that refuse a full scan. */
gh_status gh_store_task_list_plan(gh_db *db, const char *org_id, const gh_task_filter *f, char *out, size_t cap,
                                  gh_err *err);

/* Adds (add) or removes a task assignee; *changed tells whether a row was
 * written. The caller has checked that task and user belong to the org. */
gh_status gh_store_task_assign(gh_db *db, const char *task_id, const char *user_id, bool add, int64_t at,
                               bool *changed, gh_err *err);
/* Assignees of a task: fn(user_id, name). */
gh_status gh_store_task_assignees(gh_db *db, const char *org_id, const char *task_id,
                                  void (*fn)(const char *, const char *, void *), void *arg, gh_err *err);
/* Whether user sees the task: assigned to it (directly or through its
 * order), and/or on a screen they belong to. */
gh_status gh_store_task_visibility(gh_db *db, const char *org_id, const char *task_id, const char *user_id,
                                   bool *assigned, bool *on_screen, gh_err *err);

/* Adds (add) or removes a person assigned to an order; *changed tells
 * whether a row was written. The caller has checked the user's org. */
gh_status gh_store_order_assign(gh_db *db, const char *org_id, const char *order_ref, const char *user_id, bool add,
                                int64_t at, bool *changed, gh_err *err);
/* People assigned to an order: fn(user_id, name). */
gh_status gh_store_order_assignees(gh_db *db, const char *org_id, const char *order_ref,
                                   void (*fn)(const char *, const char *, void *), void *arg, gh_err *err);

/* How an agenda row reaches the worker. */
typedef enum { GH_AGENDA_SCREEN = 0, GH_AGENDA_ASSIGNED = 1, GH_AGENDA_ORDER = 2 } gh_agenda_via;

/* One row of a worker's agenda: the task and why they see it (assigned to
 * it, assigned to its order, or through screen_id). Rows of one task are
 * adjacent, the order row first, then the assigned one, then screens. */
typedef struct gh_agenda_row {
    gh_task task;
    gh_agenda_via via;
    char screen_id[GH_ID_MAX];
    char screen_name[GH_NAME_MAX + 1];
} gh_agenda_row;
gh_status gh_store_agenda(gh_db *db, const char *org_id, const char *user_id, bool open_only, int max_rows,
                          void (*fn)(const gh_agenda_row *, void *), void *arg, gh_err *err);

/* ---- agenda screens --------------------------------------------------------------------- */
typedef struct gh_screen {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char name[GH_NAME_MAX + 1];
    int64_t created_at;
} gh_screen;

gh_status gh_store_screen_insert(gh_db *db, const gh_screen *s, gh_err *err);
gh_status gh_store_screen_get(gh_db *db, const char *org_id, const char *id, gh_screen *s, gh_err *err);
gh_status gh_store_screen_rename(gh_db *db, const char *org_id, const char *id, const char *name, gh_err *err);
/* Deletes the screen and its task and member links; GH_E_NOT_FOUND
 * screen_not_found when there is none. */
gh_status gh_store_screen_delete(gh_db *db, const char *org_id, const char *id, gh_err *err);
gh_status gh_store_screen_list(gh_db *db, const char *org_id, void (*fn)(const gh_screen *, void *), void *arg,
                               gh_err *err);
typedef enum { GH_SCREEN_TASKS, GH_SCREEN_MEMBERS } gh_screen_link_kind;
/* Adds or removes a task or member of a screen; *changed as above. */
gh_status gh_store_screen_link(gh_db *db, gh_screen_link_kind kind, const char *screen_id, const char *other_id,
                               bool add, bool *changed, gh_err *err);
/* Tasks (fn(id, ref)) or members (fn(id, name)) of a screen. */
gh_status gh_store_screen_links(gh_db *db, gh_screen_link_kind kind, const char *screen_id,
                                void (*fn)(const char *, const char *, void *), void *arg, gh_err *err);

/* ---- check-ins ------------------------------------------------------------------------------ */
typedef struct gh_checkin {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char user_id[GH_ID_MAX];
    char task_id[GH_ID_MAX];
    char status[12];                 /* open | paused | complete | error */
    char note[GH_NOTE_MAX + 1];
    char created_by[GH_ID_MAX];
    char ended_by[GH_ID_MAX];
    int64_t started_at, ended_at;    /* ended_at 0 = open */
    bool single;                     /* opened under the single-task limit */
    /* read only, joined from tasks */
    char task_ref[GH_REF_MAX + 1];
    char task_title[GH_NAME_MAX + 1];
} gh_checkin;

/* GH_E_CONFLICT "checkin_limit" or "already_checked_in" when a unique
 * open-check-in index refuses the row. */
gh_status gh_store_checkin_insert(gh_db *db, const gh_checkin *c, gh_err *err);
gh_status gh_store_checkin_get(gh_db *db, const char *org_id, const char *id, gh_checkin *c, gh_err *err);
/* Closes an open check-in with c->status, c->note, c->ended_at, c->ended_by;
 * GH_E_CONFLICT "checkin_closed" if it was closed already. */
gh_status gh_store_checkin_close(gh_db *db, const gh_checkin *c, gh_err *err);

typedef struct gh_checkin_filter {
    const char *user_id;
    bool open_only;
    int64_t before_started;          /* keyset cursor (started_at, id), newest first; 0 = start */
    const char *before_id;
    int limit;
} gh_checkin_filter;
gh_status gh_store_checkin_list(gh_db *db, const char *org_id, const gh_checkin_filter *f,
                                void (*fn)(const gh_checkin *, void *), void *arg, gh_err *err);
/* Closed check-ins of user that overlap [from, to), oldest first. */
gh_status gh_store_checkin_closed_between(gh_db *db, const char *org_id, const char *user_id, int64_t from,
                                          int64_t to, void (*fn)(const gh_checkin *, void *), void *arg,
                                          gh_err *err);

/* ---- activity ----------------------------------------------------------------------------------- */
typedef struct gh_activity {
    char id[GH_ID_MAX];
    char org_id[GH_ID_MAX];
    char user_id[GH_ID_MAX];
    char type[20];                   /* form_submission | order_event | asset_event | checkin */
    char ref[GH_REF_MAX + 1];
    int64_t at, seq;
    const char *detail_json;         /* compact JSON object */
} gh_activity;

gh_status gh_store_activity_insert(gh_db *db, const gh_activity *a, gh_err *err);

typedef struct gh_activity_filter {
    const char *user_id;
    const char *type;                /* NULL = any */
    int64_t from, to;                /* [from, to) */
    int64_t before_at, before_seq;   /* keyset cursor, newest first; before_seq 0 = start */
    int limit;
} gh_activity_filter;
gh_status gh_store_activity_list(gh_db *db, const char *org_id, const gh_activity_filter *f,
                                 void (*fn)(const gh_activity *, void *), void *arg, gh_err *err);
/* Counts per UTC day (unix day number) and type in [from, to). */
gh_status gh_store_activity_day_counts(gh_db *db, const char *org_id, const gh_activity_filter *f,
                                       void (*fn)(int64_t day, const char *type, int64_t n, void *), void *arg,
                                       gh_err *err);

#endif
