/* /v1/audit: the organization's audit trail, newest first (users.view). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/audit.h"
#include "core/auditexport.h"

static bool time_param(gh_req *r, const char *name, int64_t *out)
{
    const char *s = gh_req_query(r, name);
    *out = 0;
    if (!s) return true;
    if (gh_time_parse(s, out)) return true;
    gh_ctx *ctx = gh_req_ctx(r);
    gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_time", name, "'%s' must be an RFC 3339 time", name);
    gh_reply_ctx_err(r);
    return false;
}

static void list_audit(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    gh_audit_filter f = {.actor_id = gh_req_query(r, "actor"), .action = gh_req_query(r, "action"),
                         .target_id = gh_req_query(r, "target"), .q = gh_req_query(r, "q")};
    if (!gh_api_limit_or_reply(r, 500, &f.limit) || !gh_api_q_or_reply(r, f.q)) return;
    if (!f.limit) f.limit = 100;
    if (!time_param(r, "from", &f.from) || !time_param(r, "to", &f.to)) return;
    const char *cursor = gh_req_query(r, "cursor");
    if (cursor && !gh_parse_i64(cursor, 1, INT64_MAX, &f.before_seq)) {
        gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_cursor", "cursor", "the cursor is not valid");
        gh_reply_ctx_err(r);
        return;
    }
    json_t *items = json_array();
    int64_t next = 0;
    if (!items) { gh_api_failed(r, GH_E_INTERNAL); return; }
    if (gh_api_failed(r, gh_audit_list(ctx, &f, items, &next))) {
        json_decref(items);
        return;
    }
    char c[24];
    snprintf(c, sizeof c, "%lld", (long long)next);
    gh_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next ? json_string(c) : json_null()));
}

static long export_read(void *arg, char *buf, size_t max) { return gh_audit_export_read(arg, buf, max); }
static void export_done(void *arg) { gh_audit_export_close(arg); }

/* GET /v1/audit/export: the whole trail (or the filtered part), streamed
 * (core/auditexport.h). */
static void export_audit(gh_req *r)
{
    gh_ctx *ctx = gh_req_ctx(r);
    gh_audit_filter f = {.actor_id = gh_req_query(r, "actor"), .action = gh_req_query(r, "action"),
                         .target_id = gh_req_query(r, "target")};
    if (!time_param(r, "from", &f.from) || !time_param(r, "to", &f.to)) return;
    const char *format = gh_req_query(r, "format");
    gh_audit_export *x = NULL;
    if (gh_api_failed(r, gh_audit_export_open(ctx, format ? format : "csv", &f, &x))) return;
    bool csv = !format || strcmp(format, "csv") == 0;
    char cd[96];
    snprintf(cd, sizeof cd, "attachment; filename=\"audit.%s\"", csv ? "csv" : "ndjson");
    gh_reply_header(r, "Content-Disposition", cd);
    gh_reply_header(r, "Cache-Control", "no-store");
    gh_reply_callback(r, 200, csv ? "text/csv; charset=utf-8" : "application/x-ndjson", export_read, x, export_done);
}

const gh_route gh_api_routes_audit[] = {
    {"GET", "/v1/audit", list_audit, GH_AUTH_ANY, 0, "users.view"},
    {"GET", "/v1/audit/export", export_audit, GH_AUTH_ANY, 0, "users.view"},
    {NULL, NULL, NULL, 0, 0, NULL},
};
