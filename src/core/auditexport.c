/* The audit export (see auditexport.h). */
#include "core/auditexport.h"

#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/log.h"

#define PAGE_ROWS 500
#define PAGE_BYTES_MAX (64u * 1024 * 1024) /* 500 rows of at most a few KiB each */

struct gh_audit_export {
    char org_id[GH_ID_MAX];
    char *actor, *action, *target;
    gh_audit_filter f;
    bool csv, header_done, end;
    int64_t after, upto;
    gh_buf page;
    size_t pos;
};

void gh_csv_cell(gh_buf *b, const char *s)
{
    if (!s) s = "";
    gh_buf_puts(b, "\"");
    if (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r') gh_buf_puts(b, "'");
    for (const char *p = s; *p;) {
        const char *q = strchr(p, '"');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        gh_buf_append(b, p, n);
        if (!q) break;
        gh_buf_puts(b, "\"\"");
        p = q + 1;
    }
    gh_buf_puts(b, "\"");
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

gh_status gh_audit_export_open(gh_ctx *ctx, const char *format, const gh_audit_filter *f, gh_audit_export **out)
{
    bool csv = format && strcmp(format, "csv") == 0;
    if (!csv && !(format && strcmp(format, "ndjson") == 0))
        return gh_fail_field(&ctx->err, GH_E_INVALID, "invalid_format", "format", "format is csv or ndjson");
    gh_audit_export *x = calloc(1, sizeof *x);
    if (!x) return gh_ctx_oom(ctx);
    gh_strlcpy(x->org_id, ctx->actor.org_id, sizeof x->org_id);
    x->csv = csv;
    x->f = *f;
    x->actor = dup_or_null(f->actor_id);
    x->action = dup_or_null(f->action);
    x->target = dup_or_null(f->target_id);
    if ((f->actor_id && !x->actor) || (f->action && !x->action) || (f->target_id && !x->target)) {
        gh_audit_export_close(x);
        return gh_ctx_oom(ctx);
    }
    x->f.actor_id = x->actor;
    x->f.action = x->action;
    x->f.target_id = x->target;
    gh_buf_init(&x->page, PAGE_BYTES_MAX);
    gh_status st = gh_store_audit_last_seq(ctx->db, &x->upto, &ctx->err);
    if (st != GH_OK) {
        gh_audit_export_close(x);
        return st;
    }
    *out = x;
    return GH_OK;
}

void gh_audit_export_close(gh_audit_export *x)
{
    if (!x) return;
    free(x->actor);
    free(x->action);
    free(x->target);
    gh_buf_release(&x->page);
    free(x);
}

static void str_or_null(json_t *o, const char *k, const char *v) { json_object_set_new(o, k, v ? json_string(v) : json_null()); }

static bool add_row(const gh_audit_export_row *r, void *arg)
{
    gh_audit_export *x = arg;
    char at[32];
    gh_time_fmt(r->at, at);
    if (x->csv) {
        const char *cells[] = {r->id, at, r->actor_type, r->actor_id, r->actor_name, r->action, r->target_type,
                               r->target_id, r->target_name, r->ip, r->request_id, r->detail};
        for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
            if (i) gh_buf_puts(&x->page, ",");
            gh_csv_cell(&x->page, cells[i]);
        }
        gh_buf_puts(&x->page, "\r\n");
    } else {
        json_t *o = json_object();
        if (!o) { x->page.failed = true; return false; }
        str_or_null(o, "id", r->id);
        json_object_set_new(o, "at", json_string(at));
        str_or_null(o, "actor_type", r->actor_type);
        str_or_null(o, "actor_id", r->actor_id);
        str_or_null(o, "actor_name", r->actor_name);
        str_or_null(o, "action", r->action);
        str_or_null(o, "target_type", r->target_type);
        str_or_null(o, "target_id", r->target_id);
        str_or_null(o, "target_name", r->target_name);
        str_or_null(o, "ip", r->ip);
        str_or_null(o, "request_id", r->request_id);
        json_t *d = r->detail ? json_loads(r->detail, 0, NULL) : NULL;
        json_object_set_new(o, "detail", d ? d : json_object());
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text) { x->page.failed = true; return false; }
        gh_buf_puts(&x->page, text);
        gh_buf_puts(&x->page, "\n");
        free(text);
    }
    return gh_buf_ok(&x->page);
}

long gh_audit_export_read(gh_audit_export *x, char *buf, size_t max)
{
    if (x->pos >= x->page.len) {
        if (x->end) return 0;
        x->page.len = 0;
        x->pos = 0;
        if (x->page.data) x->page.data[0] = '\0';
        if (!x->header_done) {
            x->header_done = true;
            if (x->csv)
                gh_buf_puts(&x->page, "id,at,actor_type,actor_id,actor_name,action,target_type,target_id,"
                                      "target_name,ip,request_id,detail\r\n");
        }
        gh_db *db = gh_db_thread();
        gh_err err = {0};
        int64_t last = x->after;
        if (!db || gh_store_audit_export_page(db, x->org_id, &x->f, x->after, x->upto, PAGE_ROWS, add_row, x,
                                              &last, &err) != GH_OK || !gh_buf_ok(&x->page)) {
            gh_log(GH_LOG_ERROR, NULL, "audit export stopped",
                   json_pack("{s:s, s:s}", "org_id", x->org_id, "error", err.detail[0] ? err.detail : "memory"));
            gh_err_clear(&err);
            return -1;
        }
        if (last == x->after) x->end = true;
        x->after = last;
        if (x->page.len == 0) return 0;
    }
    size_t n = x->page.len - x->pos;
    if (n > max) n = max;
    memcpy(buf, x->page.data + x->pos, n);
    x->pos += n;
    return (long)n;
}
