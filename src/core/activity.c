/* Per-user activity data (000): what the embedding product reports (form
 * submissions, order events, asset events) and the check-ins recorded here.
 * Activity rows are data, not administration: they are not copied into the
 * audit trail (the check-ins that produce `checkin` events are). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/accounts.h"
#include "util/json.h"
#include "core/shopfloor.h"
#include "core/guard.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 500
#define FUTURE_SLACK_S 300   /* clocks of reporting systems drift a little */
#define DAY 86400

static const char *const product_types[] = {"form_submission", "order_event", "asset_event"};
static const char *const all_types[] = {"form_submission", "order_event", "asset_event", "checkin"};

static bool type_in(const char *t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t, list[i]) == 0) return true;
    return false;
}

static json_t *activity_json(const gh_activity *a)
{
    json_t *detail = json_loads(a->detail_json ? a->detail_json : "{}", 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", a->id, "user_id", a->user_id, "type", a->type, "ref",
                     a->ref, "at", gh_json_time(a->at), "detail", detail ? detail : json_object());
}

/* Writes one event in the caller's transaction. detail is stolen. */
static gh_status add(gh_ctx *ctx, const char *user_id, const char *type, const char *ref, int64_t at, json_t *detail,
                     gh_activity *out)
{
    if (!detail) detail = json_object();
    char *text = detail ? gh_json_dump(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    if (!text) return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory");
    gh_activity a = {.at = at, .detail_json = text};
    gh_id_new("act", a.id);
    gh_strlcpy(a.org_id, ctx->actor.org_id, sizeof a.org_id);
    gh_strlcpy(a.user_id, user_id, sizeof a.user_id);
    gh_strlcpy(a.type, type, sizeof a.type);
    gh_strlcpy(a.ref, ref, sizeof a.ref);
    gh_status st = gh_store_activity_insert(ctx->db, &a, &ctx->err);
    if (st == GH_OK && out) {
        *out = a;
        out->detail_json = NULL;
    }
    free(text);
    return st;
}

gh_status gh_activity_add(gh_ctx *ctx, const char *user_id, const char *type, const char *ref, json_t *detail)
{
    return add(ctx, user_id, type, ref, gh_now(), detail, NULL);
}

/* A product event being recorded for someone: what is asked, the person
 * read inside the transaction and the row written. */
typedef struct {
    const char *user_id, *type, *ref;
    int64_t at;
    json_t *d; /* the detail: the caller's reference */
    gh_user u;
    gh_activity a;
} activity_op;

/* Activity is not in the authorization snapshot and has no audit event of
 * its own (it is a record itself): committed without a refresh. */
static gh_status record_change(gh_ctx *ctx, gh_tx *tx, void *arg)
{
    activity_op *op = arg;
    gh_status st = gh_store_user_get(ctx->db, ctx->actor.org_id, op->user_id ? op->user_id : "", &op->u, &ctx->err);
    if (st != GH_OK) {
        if (st == GH_E_NOT_FOUND) gh_strlcpy(ctx->err.field, "user_id", sizeof ctx->err.field);
        return st;
    }
    return add(ctx, op->u.id, op->type, op->ref, op->at, json_incref(op->d), &op->a);
}

gh_status gh_activity_record(gh_ctx *ctx, const char *user_id, const char *type, const char *ref, int64_t at,
                             const json_t *detail, json_t **out)
{
    if (!type || !type_in(type, product_types, sizeof product_types / sizeof product_types[0]))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_activity_type", "type",
                             "type is form_submission, order_event or asset_event (check-ins are recorded by"
                             " POST /v1/checkins)");
    if (gh_check_text(&ctx->err, "invalid_ref", "ref", ref, 1, GH_REF_MAX) != GH_OK) return GH_E_INVALID;
    int64_t now = gh_now();
    if (at == 0) at = now;
    if (at < 0 || at > now + FUTURE_SLACK_S)
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", "at", "'at' must not be in the future");
    if (detail && !json_is_object(detail))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_type", "detail", "'detail' must be an object");
    json_t *d = detail ? json_deep_copy(detail) : json_object();
    char *text = d ? gh_json_dump(d, JSON_COMPACT) : NULL;
    size_t len = text ? strlen(text) : 0;
    free(text);
    if (!d || len == 0) { json_decref(d); return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory"); }
    if (len > GH_ACTIVITY_DETAIL_MAX) {
        json_decref(d);
        gh_fail_field(&ctx->err, GH_E_INVALID, "detail_too_large", "detail", "'detail' is at most %d bytes of JSON",
                      GH_ACTIVITY_DETAIL_MAX);
        gh_err_extra(&ctx->err, "max_bytes", json_integer(GH_ACTIVITY_DETAIL_MAX));
        return GH_E_INVALID;
    }
    activity_op *op = calloc(1, sizeof *op);
    gh_status st;
    if (!op) { json_decref(d); return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory"); }
    *op = (activity_op){.user_id = user_id, .type = type, .ref = ref, .at = at, .d = d};
    if ((st = gh_tx_run_no_refresh(ctx, record_change, op)) == GH_OK) {
        const gh_activity *a = &op->a;
        *out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", a->id, "user_id", a->user_id, "type", a->type, "ref",
                         a->ref, "at", gh_json_time(a->at), "detail", d);
    } else {
        json_decref(d);
    }
    free(op);
    return st;
}

typedef struct { json_t *items; int64_t last_at, last_seq; int n; } list_acc;
static void list_visit(const gh_activity *a, void *arg)
{
    list_acc *l = arg;
    json_array_append_new(l->items, activity_json(a));
    l->last_at = a->at;
    l->last_seq = a->seq;
    l->n++;
}

typedef struct { json_t *days; } count_acc;
static void count_visit(int64_t day, const char *type, int64_t n, void *arg)
{
    count_acc *c = arg;
    char date[32];
    gh_time_fmt(day * DAY, date);
    date[10] = '\0';
    json_t *last = json_array_get(c->days, json_array_size(c->days) - 1);
    if (!last || strcmp(json_string_value(json_object_get(last, "date")), date) != 0) {
        json_t *counts = json_object();
        for (size_t i = 0; i < sizeof all_types / sizeof all_types[0]; i++)
            json_object_set_new(counts, all_types[i], json_integer(0));
        last = json_pack("{s:s, s:o, s:I}", "date", date, "counts", counts, "total", (json_int_t)0);
        if (!last) return;
        json_array_append_new(c->days, last);
    }
    json_object_set_new(json_object_get(last, "counts"), type, json_integer(n));
    json_t *total = json_object_get(last, "total");
    json_integer_set(total, json_integer_value(total) + n);
}

gh_status gh_activity_user(gh_ctx *ctx, const char *user_id, const char *type, int64_t from, int64_t to,
                           const char *cursor, int limit, json_t **out)
{
    gh_status st = gh_require_any(ctx, "analytics.view", "users.view");
    if (st != GH_OK) return st;
    if ((st = gh_range_check(ctx, from, to)) != GH_OK) return st;
    if (type && !type_in(type, all_types, sizeof all_types / sizeof all_types[0]))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_filter", "type",
                             "type is form_submission, order_event, asset_event or checkin");
    gh_activity_filter f = {.user_id = user_id, .type = type, .from = from, .to = to, .limit = limit};
    if (f.limit <= 0) f.limit = PAGE_DEFAULT;
    if (f.limit > PAGE_MAX) f.limit = PAGE_MAX;
    if (cursor) {
        /* "<at>.<seq>" */
        const char *dot = strchr(cursor, '.');
        char num[24];
        if (!dot || (size_t)(dot - cursor) >= sizeof num ||
            !gh_parse_i64(dot + 1, 1, INT64_MAX, &f.before_seq))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
        memcpy(num, cursor, (size_t)(dot - cursor));
        num[dot - cursor] = '\0';
        if (!gh_parse_i64(num, 0, INT64_MAX, &f.before_at))
            return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
    }
    /* A deleted person's activity stays readable (issue 11 item 6). */
    gh_tombstone t;
    bool deleted = false;
    if ((st = gh_person_check(ctx, user_id, &t, &deleted)) != GH_OK) return st;
    list_acc l = {.items = json_array()};
    count_acc c = {.days = json_array()};
    if (!l.items || !c.days) { st = gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory"); goto fail; }
    if ((st = gh_store_activity_list(ctx->db, ctx->actor.org_id, &f, list_visit, &l, &ctx->err)) != GH_OK) goto fail;
    if ((st = gh_store_activity_day_counts(ctx->db, ctx->actor.org_id, &f, count_visit, &c, &ctx->err)) != GH_OK)
        goto fail;
    char next[48] = "";
    if (l.n == f.limit) snprintf(next, sizeof next, "%lld.%lld", (long long)l.last_at, (long long)l.last_seq);
    *out = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "user_id", user_id, "from", gh_json_time(from), "to",
                     gh_json_time(to), "items", l.items, "next_cursor", next[0] ? json_string(next) : json_null(),
                     "days", c.days);
    if (!*out) return gh_fail(&ctx->err, GH_E_INTERNAL, "internal", "out of memory");
    if (deleted) json_object_set_new(*out, "deleted_user", gh_tombstone_json(&t));
    return GH_OK;
fail:
    json_decref(l.items);
    json_decref(c.days);
    return st;
}
