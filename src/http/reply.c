/*
 * The answer side of a request: the accessors handlers read it through, the
 * gh_reply_* calls that set its one answer, the one table from gh_status to
 * HTTP with the problem+json (or SCIM Error) renderer, the deferral setters
 * and the JSON field checks' reply. The life cycle that queues the answer is
 * http/server.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/scim.h"
#include "http/server_int.h"
#include "util/json.h"

/* ---- request accessors ------------------------------------------------------ */
gh_ctx *gh_req_ctx(gh_req *r) { return &r->ctx; }
const char *gh_req_method(gh_req *r) { return r->method; }
const char *gh_req_path(gh_req *r) { return r->path; }
gh_arena *gh_req_arena(gh_req *r) { return r->arena; }
json_t *gh_req_json(gh_req *r) { return r->json; }
void gh_req_set_state(gh_req *r, void *s) { r->state_ptr = s; }
void *gh_req_state(gh_req *r) { return r->state_ptr; }
void gh_req_defer_for(gh_req *r, const gh_pool_tag *tag) { r->tag = *tag; }
void gh_req_on_done(gh_req *r, gh_work_fn fn, void *arg)
{
    r->on_done = fn;
    r->on_done_arg = arg;
}

const char *gh_req_body(gh_req *r, size_t *len)
{
    if (len) *len = r->body.len;
    return r->body.data ? r->body.data : "";
}

const char *gh_req_param(gh_req *r, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < r->match.nparams; i++)
        if (r->match.params[i].name_len == n && memcmp(r->match.params[i].name, name, n) == 0)
            return r->match.params[i].value;
    return NULL;
}

const char *gh_req_query(gh_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *gh_req_header(gh_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* ---- answers ---------------------------------------------------------------- */
void gh_reply_header(gh_req *r, const char *name, const char *value)
{
    /* As many as the handler sets; one that cannot be kept is not dropped
     * silently: queue_answer answers 500 instead of a partial answer. */
    struct reply_header *h = gh_arena_alloc(r->arena, sizeof *h);
    if (h) {
        h->next = NULL;
        h->name = gh_arena_strdup(r->arena, name);
        h->value = gh_arena_strdup(r->arena, value);
    }
    if (!h || !h->name || !h->value) {
        r->headers_lost = true;
        return;
    }
    if (!r->headers_end) r->headers_end = &r->headers;
    *r->headers_end = h;
    r->headers_end = &h->next;
}

void gh_reply_bytes(gh_req *r, unsigned status, const char *content_type, const void *data,
                    size_t len, bool copy)
{
    if (r->resp) MHD_destroy_response(r->resp);
    r->resp = MHD_create_response_from_buffer(len, (void *)data,
                                              copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    r->status = status;
    if (r->resp && content_type) MHD_add_response_header(r->resp, "Content-Type", content_type);
}

/* Streams the rest of a file: the callback reads it chunk by chunk while
 * libmicrohttpd sends, so the answer is never held in memory whole. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    FILE *f = cls;
    size_t n = fread(buf, 1, max, f);
    if (n > 0) return (ssize_t)n;
    return ferror(f) ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls) { fclose(cls); }

void gh_reply_stream(gh_req *r, unsigned status, const char *content_type, FILE *f)
{
    if (r->resp) MHD_destroy_response(r->resp);
    r->resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, f, stream_free);
    if (!r->resp) {
        fclose(f); /* no answer: the dispatcher answers 500 */
        return;
    }
    r->status = status;
    if (content_type) MHD_add_response_header(r->resp, "Content-Type", content_type);
}

typedef struct cb_stream {
    gh_stream_fn fn;
    void *arg;
    void (*done)(void *arg);
} cb_stream;

static ssize_t cb_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    cb_stream *s = cls;
    long n = s->fn(s->arg, buf, max);
    if (n > 0) return (ssize_t)n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void cb_free(void *cls)
{
    cb_stream *s = cls;
    if (s->done) s->done(s->arg);
    free(s);
}

void gh_reply_callback(gh_req *r, unsigned status, const char *content_type, gh_stream_fn fn, void *arg,
                       void (*done)(void *arg))
{
    if (r->resp) MHD_destroy_response(r->resp);
    r->resp = NULL;
    cb_stream *s = malloc(sizeof *s);
    if (!s) {
        if (done) done(arg);
        return; /* no answer: the dispatcher answers 500 */
    }
    *s = (cb_stream){fn, arg, done};
    r->resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, cb_read, s, cb_free);
    if (!r->resp) {
        cb_free(s);
        return;
    }
    r->status = status;
    if (content_type) MHD_add_response_header(r->resp, "Content-Type", content_type);
}

static void reply_json_typed(gh_req *r, unsigned status, json_t *body, const char *type)
{
    char *text = body ? gh_json_dump(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (r->resp) MHD_destroy_response(r->resp);
    r->resp = NULL;
    if (!text) {
        static const char oom[] = "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500,\"code\":\"internal\"}";
        r->resp = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        r->status = 500;
        type = "application/problem+json";
    } else {
        r->resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        if (!r->resp) free(text);
        r->status = status;
    }
    if (r->resp) MHD_add_response_header(r->resp, "Content-Type", type);
}

void gh_reply_json(gh_req *r, unsigned status, json_t *body)
{
    reply_json_typed(r, status, body, "application/json");
}

void gh_reply_empty(gh_req *r)
{
    if (r->resp) MHD_destroy_response(r->resp);
    r->resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    r->status = 204;
}

/* The one table from gh_status to HTTP. */
static const struct { unsigned http; const char *title; } status_table[GH_STATUS_COUNT] = {
    [GH_OK] = {200, "OK"},
    [GH_E_INVALID] = {400, "Bad Request"},
    [GH_E_UNAUTHENTICATED] = {401, "Unauthorized"},
    [GH_E_FORBIDDEN] = {403, "Forbidden"},
    [GH_E_NOT_FOUND] = {404, "Not Found"},
    [GH_E_METHOD] = {405, "Method Not Allowed"},
    [GH_E_CONFLICT] = {409, "Conflict"},
    [GH_E_GONE] = {410, "Gone"},
    [GH_E_TOO_LARGE] = {413, "Content Too Large"},
    [GH_E_UNSUPPORTED_TYPE] = {415, "Unsupported Media Type"},
    [GH_E_PRECONDITION] = {428, "Precondition Required"},
    [GH_E_THROTTLED] = {429, "Too Many Requests"},
    [GH_E_INTERNAL] = {500, "Internal Server Error"},
    [GH_E_BUSY] = {503, "Service Unavailable"},
    [GH_E_STALE] = {412, "Precondition Failed"},
};

void gh_reply_scim(gh_req *r, unsigned status, json_t *body)
{
    reply_json_typed(r, status, body, "application/scim+json");
}

/* Under /scim/ every refusal, the dispatcher's too, is a SCIM Error
 * message (RFC 7644 §3.12) that keeps gatehouse's stable code. */
static bool scim_path(const gh_req *r) { return strncmp(r->path, "/scim/", 6) == 0; }

/* The `errors` list of a problem whose fields were checked together, or a
 * one-item list for a problem about one field, with every detail
 * sentence-cased. */
static json_t *problem_errors(const gh_err *err)
{
    json_t *given = err->extra ? json_object_get(err->extra, "errors") : NULL;
    json_t *list = json_array();
    if (!list) return NULL;
    char d[sizeof err->detail + 2];
    if (json_is_array(given)) {
        size_t i;
        json_t *it;
        json_array_foreach(given, i, it) {
            const char *detail = json_string_value(json_object_get(it, "detail"));
            gh_err_sentence(detail ? detail : "", d, sizeof d);
            json_array_append_new(list, json_pack("{s:O, s:O, s:s}", "field", json_object_get(it, "field"), "code",
                                                  json_object_get(it, "code"), "detail", d));
        }
    } else if (err->field[0]) {
        gh_err_sentence(err->detail, d, sizeof d);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "field", err->field, "code",
                                              err->code[0] ? err->code : "error", "detail", d));
    }
    if (json_array_size(list) == 0) { json_decref(list); return NULL; }
    return list;
}

void gh_reply_err(gh_req *r, const gh_err *err)
{
    gh_status st = err->status > GH_OK && err->status < GH_STATUS_COUNT ? err->status : GH_E_INTERNAL;
    bool scim = scim_path(r);
    json_t *p = scim ? gh_scim_error_json(err, status_table[st].http) : json_object();
    if (p && scim) json_object_set_new(p, "request_id", json_string(r->request_id));
    if (p && !scim) {
        char type[128];
        snprintf(type, sizeof type, "https://gatehouse.dev/problems/%s", err->code[0] ? err->code : "error");
        json_object_set_new(p, "type", json_string(type));
        json_object_set_new(p, "title", json_string(status_table[st].title));
        json_object_set_new(p, "status", json_integer(status_table[st].http));
        json_object_set_new(p, "code", json_string(err->code[0] ? err->code : "error"));
        if (err->detail[0]) {
            char d[sizeof err->detail + 2];
            gh_err_sentence(err->detail, d, sizeof d);
            json_object_set_new(p, "detail", json_string(d));
        }
        if (err->field[0]) json_object_set_new(p, "field", json_string(err->field));
        json_object_set_new(p, "instance", json_string(r->path));
        json_object_set_new(p, "request_id", json_string(r->request_id));
        if (err->extra) json_object_update(p, err->extra);
        json_t *errors = problem_errors(err);
        if (errors) json_object_set_new(p, "errors", errors);
    }
    if (st == GH_E_FORBIDDEN) {
        gh_strlcpy(r->denied_code, err->code[0] ? err->code : "error", sizeof r->denied_code);
        const char *perm = err->extra ? json_string_value(json_object_get(err->extra, "permission")) : NULL;
        gh_strlcpy(r->denied_perm, perm ? perm : "", sizeof r->denied_perm);
    }
    reply_json_typed(r, status_table[st].http, p, scim ? "application/scim+json" : "application/problem+json");
    if (err->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", err->retry_after);
        gh_reply_header(r, "Retry-After", ra);
    }
}

void gh_reply_ctx_err(gh_req *r) { gh_reply_err(r, &r->ctx.err); }

void gh_reply_fail(gh_req *r, gh_status st, const char *code, const char *detail)
{
    gh_err e = {0};
    gh_fail(&e, st, code, "%s", detail);
    gh_reply_err(r, &e);
}

/* ---- deferral ------------------------------------------------------------------ */
void gh_req_defer(gh_req *r, gh_work_fn work, void *arg, gh_handler cont)
{
    r->work = work;
    r->work_arg = arg;
    r->cont = cont;
}

void gh_req_defer_idp(gh_req *r, gh_work_fn work, void *arg, gh_handler cont)
{
    gh_req_defer(r, work, arg, cont);
    r->idp_call = true;
}

/* ---- JSON input (the checks: http/bodycheck.c) ----------------------------- */
bool gh_json_check_or_reply(gh_req *r, json_t *obj, const gh_jfield *fields)
{
    return gh_json_check_in_or_reply(r, obj, fields, NULL);
}

/* Every unknown, mistyped and missing field is reported at once (the
 * problem's `errors`); the first one is the problem's code and field. */
bool gh_json_check_in_or_reply(gh_req *r, json_t *obj, const gh_jfield *fields, const char *in)
{
    gh_err e = {0};
    if (gh_body_check_fields(obj, fields, in, &e)) return true;
    gh_reply_err(r, &e);
    gh_err_clear(&e);
    return false;
}

const char *gh_jstr(json_t *obj, const char *name) { return json_string_value(json_object_get(obj, name)); }
bool gh_jhas(json_t *obj, const char *name) { return obj && json_object_get(obj, name) != NULL; }
bool gh_jbool(json_t *obj, const char *name, bool dflt)
{
    json_t *v = json_object_get(obj, name);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}
