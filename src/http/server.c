/*
 * libmicrohttpd glue: the access handler matches the route and, on the
 * headers alone (before any body byte is read), refuses an over-limit
 * Content-Length, authenticates and checks the route's permission; then it
 * collects the body, dispatches to the handler, suspends the connection
 * while slow work runs on the hashing pool, and queues the answer. One arena
 * per request, freed when the request completes.
 *
 * Connections are tracked from accept to close (conn_slot) so that a reaper
 * can close those still sending headers or body after an absolute deadline
 * (libmicrohttpd's own timeout restarts with every byte), and so that a
 * SIGTERM can let the requests in flight finish before the daemon stops.
 *
 * Over 600 lines: the libmicrohttpd life cycle of one request (first call,
 * body, dispatch, answer, completion) is one state machine, and its
 * static helpers share the request struct; the next split is the JSON body
 * checker and the problem+json renderer into files of their own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/access.h"
#include "core/apikeys.h"
#include "core/denials.h"
#include "core/scim.h"
#include "core/session.h"
#include "core/testhooks.h"
#include "http/http.h"
#include "http/idpcall.h"
#include "http/pool.h"
#include "http/router.h"
#include "http/tls.h"

#include <systemd/sd-daemon.h>
#include "api/api.h"
#include "util/json.h"
#include "util/log.h"
#include "util/metrics.h"

#define BODY_MAX (1u << 20)        /* 1 MiB for JSON bodies */
#define BIG_BODY_MAX (16u << 20)   /* 16 MiB for imports */
/* Body bytes that requests nobody has authenticated (public routes: sign-in,
 * setup, links) may hold at once, over all connections. */
#define UNAUTH_BODY_BUDGET (32u << 20)
#define CONN_MEMORY_LIMIT (32u << 10) /* per connection: headers and buffers */
#define CONN_LIMIT 4096u
static double drain_max_ms; /* SIGTERM: how long requests in flight may take */

typedef enum { ST_BODY, ST_DEFERRED, ST_DONE } req_state;

/* A connection from accept to close. phase says whether it is still sending
 * (headers or body: subject to the absolute deadline) or being answered. */
typedef enum { PH_RECEIVING, PH_ANSWERING } conn_phase;
typedef struct conn_slot {
    struct conn_slot *prev, *next;
    int fd;
    double since_ms;   /* start of the current request (or of the connection) */
    conn_phase phase;
    bool reaped;
} conn_slot;

struct gh_req {
    struct MHD_Connection *conn;
    gh_arena *arena;
    gh_ctx ctx;
    char method[16];
    char *path;
    gh_match match;
    req_state state;
    gh_buf body;
    bool too_large;
    bool authed;          /* authenticated and authorized on the headers */
    bool over_budget;     /* a body without Content-Length outgrew the budget */
    size_t reserved;      /* bytes of UNAUTH_BODY_BUDGET this request holds */
    json_t *json;
    /* answer */
    struct MHD_Response *resp;
    unsigned status;
    struct reply_header *headers, **headers_end; /* in the arena, in order */
    bool headers_lost;    /* one could not be kept: the answer becomes a 500 */
    /* deferral */
    gh_work_fn work;
    void *work_arg;
    gh_handler cont;
    void *state_ptr;
    gh_work_fn on_done;
    void *on_done_arg;
    gh_pool_tag tag;    /* who the deferred work is for (fair share) */
    bool idp_call;      /* the deferred work calls an IdP: http/idpcall.h, not the hashing pool */
    double started_ms;
    char request_id[GH_ID_MAX];
    char ip[INET6_ADDRSTRLEN];
    /* the last 403 answer's code and permission, for gh_denial_note */
    char denied_code[48];
    char denied_perm[128];
};

struct reply_header {
    struct reply_header *next;
    char *name, *value;
};

static struct MHD_Daemon *daemon_handle;
static _Atomic size_t unauth_bytes;      /* reserved from UNAUTH_BODY_BUDGET */
static _Atomic unsigned requests_alive;  /* gh_req objects not yet completed */
static atomic_bool draining;
static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static conn_slot *conns;                 /* every open connection */
static char request_prefix[16];
static void request_prefix_init(void)
{
    char id[GH_ID_MAX];
    gh_id_new("", id);
    snprintf(request_prefix, sizeof request_prefix, "%.10s", id + 1);
}
static unsigned bound_port;

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

static void reply_fail(gh_req *r, gh_status st, const char *code, const char *detail)
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

static void deferred_done(void *arg)
{
    gh_req *r = arg;
    MHD_resume_connection(r->conn);
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

/* ---- dispatch ----------------------------------------------------------------- */
static bool unsafe_method(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* Finds the session token (bearer or cookie) or API key and authenticates. */
static bool authenticate_or_reply(gh_req *r, const gh_route *rt)
{
    gh_ctx *ctx = &r->ctx;
    /* Public routes act for nobody: a session cookie the browser sends along
     * (say, to sign in as someone else) is neither used nor CSRF-checked. */
    if (rt->auth == GH_AUTH_NONE) return true;
    const char *authz = gh_req_header(r, "Authorization");
    const char *token = NULL;
    bool from_cookie = false;
    if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
        token = authz + 7;
    } else if (!authz) {
        /* Over https only the __Host- cookie counts (api/auth.c set_cookies). */
        token = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
                                            gh_cfg()->secure_cookies ? "__Host-gh_session" : "gh_session");
        from_cookie = token != NULL;
    }
    if (!token || !*token) {
        reply_fail(r, GH_E_UNAUTHENTICATED, "unauthenticated", "sign in first");
        return false;
    }
    gh_status st;
    char csrf_hash[GH_HASH_HEX_LEN + 1] = "";
    /* An API key is the prefix and a token; a session token is a bare token,
     * which may itself start with "ghk_" (1 in 16.7 million): the length
     * tells them apart. */
    if (!from_cookie && strncmp(token, GH_APIKEY_PREFIX, strlen(GH_APIKEY_PREFIX)) == 0 &&
        strlen(token) != GH_TOKEN_LEN) {
        st = gh_apikey_authenticate(ctx, token);
    } else {
        st = gh_session_authenticate(ctx, token, csrf_hash);
    }
    if (st != GH_OK) {
        gh_reply_ctx_err(r);
        return false;
    }
    ctx->actor.cookie_auth = from_cookie;
    if (from_cookie && unsafe_method(r->method)) {
        const char *hdr = gh_req_header(r, "X-CSRF-Token");
        char h[GH_HASH_HEX_LEN + 1];
        if (!hdr) { reply_fail(r, GH_E_FORBIDDEN, "csrf_failed", "missing X-CSRF-Token header"); return false; }
        gh_token_hash(hdr, h);
        if (!gh_secret_eq(h, csrf_hash)) {
            reply_fail(r, GH_E_FORBIDDEN, "csrf_failed", "X-CSRF-Token does not match the session");
            return false;
        }
    }
    return true;
}

const char *gh_route_perm_alt(const gh_route *rt)
{
    static const struct { const char *view, *manage; } pairs[] = {{"users.view", "users.manage"}};
    if (!rt->perm || !(rt->flags & GH_R_OR_MANAGE)) return NULL;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (strcmp(rt->perm, pairs[i].view) == 0) return pairs[i].manage;
    return NULL;
}

static bool authorize_or_reply(gh_req *r, const gh_route *rt)
{
    gh_ctx *ctx = &r->ctx;
    gh_actor *a = &ctx->actor;
    if (rt->auth == GH_AUTH_NONE) return true;
    /* Checked here against the snapshot, and again from the rows when the
     * handler's write takes the write lock (gh_tx_begin, core/guard.h). */
    ctx->required_perm = rt->perm;
    ctx->required_alt = gh_route_perm_alt(rt);
    if (a->type == GH_ACTOR_API_KEY) {
        if (!(rt->auth & GH_AUTH_KEY)) {
            reply_fail(r, GH_E_FORBIDDEN, "user_session_required", "this endpoint needs a user session, not an API key");
            return false;
        }
        /* A key acts for its organization's integration, within its scopes. */
        const char *need = gh_route_key_scope(rt);
        if (!gh_access_key_holds(a, need)) {
            gh_err e = {0};
            gh_fail(&e, GH_E_FORBIDDEN, "scope_missing", "this API key lacks the '%s' scope",
                    need ? need : "(none)");
            if (need) gh_err_extra(&e, "scope", json_string(need));
            gh_reply_err(r, &e);
            gh_err_clear(&e);
            return false;
        }
        return true;
    }
    if (a->type != GH_ACTOR_USER || !(rt->auth & GH_AUTH_USER)) {
        reply_fail(r, GH_E_FORBIDDEN, "api_key_required", "this endpoint needs an API key");
        return false;
    }
    unsigned fl = rt->flags;
    if (a->kiosk && !(fl & GH_R_KIOSK)) {
        reply_fail(r, GH_E_FORBIDDEN, "kiosk_scope", "a kiosk session cannot do this");
        return false;
    }
    if (!a->kiosk && (fl & GH_R_KIOSK) && !(fl & GH_R_OFFICE)) {
        reply_fail(r, GH_E_FORBIDDEN, "kiosk_only", "this needs a kiosk session");
        return false;
    }
    if (a->mfa_pending[0] && !(fl & GH_R_MFA_STEP)) {
        reply_fail(r, GH_E_PRECONDITION, "mfa_required",
                   strcmp(a->mfa_pending, "enrol") == 0 ? "set up a second factor first" : "give your second factor first");
        return false;
    }
    if (a->pin_change_required && !(fl & GH_R_PIN_CHANGE)) {
        reply_fail(r, GH_E_PRECONDITION, "pin_change_required", "set a new PIN first");
        return false;
    }
    if (unsafe_method(r->method) && !(fl & GH_R_DEVICE_OK) && gh_access_is_device(ctx)) {
        reply_fail(r, GH_E_FORBIDDEN, "device_read_only", "a shared display account can only read");
        return false;
    }
    const char *alt = gh_route_perm_alt(rt);
    if (rt->perm && !gh_access_allowed(ctx, rt->perm) && !(alt && gh_access_allowed(ctx, alt))) {
        gh_err e = {0};
        if (alt)
            gh_fail(&e, GH_E_FORBIDDEN, "permission_denied", "this needs the '%s' or the '%s' permission", rt->perm, alt);
        else
            gh_fail(&e, GH_E_FORBIDDEN, "permission_denied", "this needs the '%s' permission", rt->perm);
        gh_err_extra(&e, "permission", json_string(rt->perm));
        gh_reply_err(r, &e);
        gh_err_clear(&e);
        return false;
    }
    return true;
}

typedef struct { const gh_route *rt; const char *unknown; } query_scan;

static enum MHD_Result scan_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    query_scan *q = cls;
    if (!gh_route_takes_query(q->rt, key ? key : "")) {
        q->unknown = key ? key : "";
        return MHD_NO;
    }
    return MHD_YES;
}

/* Unknown query parameters are refused the same way on every route (issue
 * 11), from the one table in router.c, before the handler runs. */
static bool query_known_or_reply(gh_req *r, const gh_route *rt)
{
    query_scan q = {rt, NULL};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, scan_query, &q);
    if (!q.unknown) return true;
    const char *takes = gh_route_query_params(rt);
    gh_err e = {0};
    char name[64];
    gh_strlcpy(name, q.unknown, sizeof name);
    if (takes && *takes)
        gh_fail_field(&e, GH_E_INVALID, "unknown_parameter", name, "unknown query parameter '%s'; this takes: %s",
                      name, takes);
    else
        gh_fail_field(&e, GH_E_INVALID, "unknown_parameter", name, "unknown query parameter '%s'; this takes none",
                      name);
    gh_reply_err(r, &e);
    gh_err_clear(&e);
    return false;
}

/* Takes n bytes from the budget for unauthenticated bodies; false when it
 * is spent (the request is refused, nothing is buffered). */
static bool unauth_reserve(gh_req *r, size_t n)
{
    size_t cur = atomic_load(&unauth_bytes);
    do {
        if (n > UNAUTH_BODY_BUDGET - cur) return false;
    } while (!atomic_compare_exchange_weak(&unauth_bytes, &cur, cur + n));
    r->reserved += n;
    return true;
}

static void reply_budget_spent(gh_req *r)
{
    gh_err e = {.retry_after = 1};
    gh_fail(&e, GH_E_BUSY, "server_busy", "too many unauthenticated uploads in progress; retry shortly");
    gh_reply_err(r, &e);
}

/* Everything decided on the request line and headers, before any body byte
 * is read: the route, the declared size, authentication, permission, and a
 * share of the unauthenticated body budget. Answers and returns false to
 * refuse. */
static bool admit_or_reply(gh_req *r, uint64_t declared)
{
    const gh_route *rt = r->match.route;
    if (!rt) {
        if (r->match.path_known) {
            gh_reply_header(r, "Allow", r->match.allow);
            reply_fail(r, GH_E_METHOD, "method_not_allowed", "method not allowed on this resource");
        } else {
            reply_fail(r, GH_E_NOT_FOUND, "not_found", "no such resource");
        }
        return false;
    }
    if (r->too_large) {
        reply_fail(r, GH_E_TOO_LARGE, "body_too_large", "the request body is too large");
        return false;
    }
    r->ctx.db = gh_db_thread();
    if (!r->ctx.db && !(rt->flags & GH_R_NO_DB)) {
        reply_fail(r, GH_E_BUSY, "database_unavailable", "the database is unavailable");
        return false;
    }
    if (!authenticate_or_reply(r, rt) || !authorize_or_reply(r, rt) || !query_known_or_reply(r, rt)) return false;
    if (rt->auth == GH_AUTH_NONE && declared > 0 && !unauth_reserve(r, (size_t)declared)) {
        reply_budget_spent(r);
        return false;
    }
    r->authed = true;
    return true;
}

/* The body is complete: parse it and run the handler. */
static void dispatch(gh_req *r)
{
    const gh_route *rt = r->match.route;
    if (r->too_large) {
        reply_fail(r, GH_E_TOO_LARGE, "body_too_large", "the request body is too large");
        return;
    }
    if (r->over_budget) {
        reply_budget_spent(r);
        return;
    }
    if (!gh_buf_ok(&r->body)) {
        reply_fail(r, GH_E_INTERNAL, "internal", "out of memory");
        return;
    }
    r->ctx.db = gh_db_thread();
    if (!r->ctx.db && !(rt->flags & GH_R_NO_DB)) {
        reply_fail(r, GH_E_BUSY, "database_unavailable", "the database is unavailable");
        return;
    }
    if (r->body.len > 0 && !(rt->flags & GH_R_RAW_BODY)) {
        if (!gh_body_content_type_ok(gh_req_header(r, "Content-Type"))) {
            reply_fail(r, GH_E_UNSUPPORTED_TYPE, "unsupported_media_type",
                       "send the body as Content-Type: application/json");
            return;
        }
        gh_err e = {0};
        if (gh_body_parse(r->body.data, r->body.len, &r->json, &e) != GH_OK) {
            gh_reply_err(r, &e);
            gh_err_clear(&e);
            return;
        }
    }
    rt->handler(r);
}

static gh_metric *m_requests, *m_duration, *m_throttled;
static bool serving_tls; /* set before the daemon starts */

static void register_metrics(void)
{
    m_requests = gh_metric_counter("gatehouse_http_requests_total", "HTTP requests answered, by route, method and status",
                                   "route,method,status");
    m_duration = gh_metric_histogram("gatehouse_http_request_duration_seconds",
                                     "time from the first byte of a request to its answer, by route and method",
                                     "route,method", NULL, 0);
    m_throttled = gh_metric_counter("gatehouse_throttled_total", "requests refused with 429 (throttled), by route",
                                    "route");
    gh_api_metrics_register();
}

/* Counted under the route's pattern (bounded), never the raw path. */
static void count_request(gh_req *r)
{
    const char *route = r->match.route ? r->match.route->pattern : r->match.path_known ? "(method)" : "(unmatched)";
    char status[8];
    snprintf(status, sizeof status, "%u", r->status);
    const char *method = r->match.route ? r->method : "other"; /* a route matched: its method or HEAD */
    gh_metric_inc(m_requests, (const char *[]){route, method, status});
    gh_metric_observe(m_duration, (const char *[]){route, method}, (gh_mono_ms() - r->started_ms) / 1000.0);
    if (r->status == 429) gh_metric_inc(m_throttled, (const char *[]){route});
}

static void finish_log(gh_req *r)
{
    if (gh_log_is_quiet()) return;
    json_t *f = json_pack("{s:s, s:s, s:i, s:f, s:s}", "method", r->method, "path", r->path,
                          "status", (int)r->status, "ms", gh_mono_ms() - r->started_ms, "ip", r->ip);
    gh_log(GH_LOG_INFO, r->request_id, "request", f);
}

/* Every 403 leaves through here, whoever raised it (dispatcher or core):
 * logged, and recorded in the audit trail at a bounded rate per actor. */
static void note_denial(gh_req *r)
{
    const gh_actor *a = &r->ctx.actor;
    const gh_route *rt = r->match.route;
    gh_denial d = {
        .org_id = a->org_id, .actor_type = a->type, .actor_id = a->id, .method = r->method,
        .route = rt ? rt->pattern : r->path, .path = r->path,
        .permission = r->denied_perm[0] ? r->denied_perm : (rt ? rt->perm : NULL),
        .code = r->denied_code, .ip = r->ip, .request_id = r->request_id,
    };
    gh_denial_note(&d);
}

/* Adds the handler's headers; false when one could not be added. */
static bool add_reply_headers(gh_req *r)
{
    if (r->headers_lost) return false;
    for (const struct reply_header *h = r->headers; h; h = h->next)
        if (MHD_add_response_header(r->resp, h->name, h->value) != MHD_YES) return false;
    return true;
}

static enum MHD_Result queue_answer(gh_req *r)
{
    if (!r->resp) reply_fail(r, GH_E_INTERNAL, "internal", "no answer was produced");
    if (r->resp && !add_reply_headers(r)) {
        /* A partial answer (a lost Set-Cookie, Retry-After or Location)
         * would mislead the client: a clean 500 without them instead. */
        r->headers = NULL;
        r->headers_end = NULL;
        r->headers_lost = false;
        reply_fail(r, GH_E_INTERNAL, "internal", "out of memory");
        if (r->resp && !add_reply_headers(r)) {
            MHD_destroy_response(r->resp);
            r->resp = NULL;
        }
    }
    if (!r->resp) return MHD_NO;
    if (r->status == 403) note_denial(r);
    MHD_add_response_header(r->resp, "X-Request-Id", r->request_id);
    MHD_add_response_header(r->resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r->resp, "Referrer-Policy", "no-referrer");
    if (serving_tls) MHD_add_response_header(r->resp, "Strict-Transport-Security", "max-age=31536000");
    if (strncmp(r->path, "/v1/", 4) == 0 || strcmp(r->path, "/healthz") == 0 || strcmp(r->path, "/readyz") == 0)
        MHD_add_response_header(r->resp, "Cache-Control", "no-store");
    /* Draining: the client should not send another request on this one. */
    if (atomic_load(&draining)) MHD_add_response_header(r->resp, "Connection", "close");
    r->state = ST_DONE;
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->resp);
    count_request(r);
    finish_log(r);
    return ret;
}

/* Request ids need to be unique, not secret: a random per-process prefix and
 * a counter (no system call per request). */
static void request_id_new(char out[GH_ID_MAX])
{
    static _Atomic uint64_t counter;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, request_prefix_init);
    snprintf(out, GH_ID_MAX, "req_%s%llx", request_prefix, (unsigned long long)atomic_fetch_add(&counter, 1));
}

/* An IPv6 peer as text; an IPv4-mapped one (::ffff:a.b.c.d, how a
 * dual-stack socket shows IPv4 clients) as plain IPv4, so the allowlist,
 * the throttles and the audit trail see one address per client. */
static void gh_ip6_text(const struct in6_addr *a, char *out, size_t cap)
{
    if (IN6_IS_ADDR_V4MAPPED(a)) inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)cap);
    else inet_ntop(AF_INET6, a, out, (socklen_t)cap);
}

static gh_req *req_new(struct MHD_Connection *c, const char *url, const char *method, uint64_t *declared)
{
    gh_req *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->arena = gh_arena_new();
    r->path = r->arena ? gh_arena_strdup(r->arena, url) : NULL;
    if (!r->path) { gh_arena_free(r->arena); free(r); return NULL; }
    r->conn = c;
    r->started_ms = gh_mono_ms();
    gh_strlcpy(r->method, method, sizeof r->method);
    request_id_new(r->request_id);
    r->ctx.request_id = r->request_id;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->ip, sizeof r->ip);
        else if (sa->sa_family == AF_INET6)
            gh_ip6_text(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->ip, sizeof r->ip);
    }
    r->ctx.ip = r->ip;
    r->ctx.user_agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
    if (!r->ctx.user_agent) r->ctx.user_agent = "";
    gh_router_match(r->method, r->path, &r->match);
    size_t max = r->match.route && (r->match.route->flags & GH_R_BIG_BODY) ? BIG_BODY_MAX : BODY_MAX;
    gh_buf_init(&r->body, max);
    r->body.wipe = r->match.route && (r->match.route->flags & GH_R_SECRET);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    int64_t n;
    *declared = 0;
    if (cl && gh_parse_i64(cl, 0, INT64_MAX, &n)) {
        if ((uint64_t)n > max) r->too_large = true;
        else *declared = (uint64_t)n;
    }
    atomic_fetch_add(&requests_alive, 1);
    return r;
}

static conn_slot *conn_slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void conn_phase_set(struct MHD_Connection *c, conn_phase ph, bool restart)
{
    conn_slot *s = conn_slot_of(c);
    if (!s) return;
    pthread_mutex_lock(&conns_mu);
    s->phase = ph;
    if (restart) s->since_ms = gh_mono_ms();
    pthread_mutex_unlock(&conns_mu);
}

/* Appends a piece of the body; false if it cannot be kept. */
static void body_append(gh_req *r, const char *data, size_t n)
{
    if (r->too_large || r->over_budget) return;
    if (r->match.route->auth == GH_AUTH_NONE && r->body.len + n > r->reserved) {
        /* No (or a wrong) Content-Length: take the budget as bytes come. */
        if (r->body.len + n > r->body.max) {
            r->too_large = true;
            gh_buf_release(&r->body);
            return;
        }
        if (!unauth_reserve(r, r->body.len + n - r->reserved)) {
            r->over_budget = true;
            gh_buf_release(&r->body);
            return;
        }
    }
    gh_buf_append(&r->body, data, n);
    if (!gh_buf_ok(&r->body) && r->body.len + n > r->body.max) {
        r->too_large = true;
        gh_buf_release(&r->body);
    }
}

/* No memory for the request itself: a fixed 500 problem rather than a
 * dropped connection, and the connection closes after it. */
static enum MHD_Result answer_no_memory(struct MHD_Connection *c)
{
    static const char body[] = "{\"type\":\"https://gatehouse.dev/problems/internal\",\"title\":\"Internal Server Error\",\"status\":500,"
                               "\"code\":\"internal\",\"detail\":\"out of memory\"}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    enum MHD_Result ret = MHD_NO;
    if (MHD_add_response_header(resp, "Content-Type", "application/problem+json") == MHD_YES &&
        MHD_add_response_header(resp, "Connection", "close") == MHD_YES)
        ret = MHD_queue_response(c, 500, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result access_step(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    gh_req *r = *con_cls;
    if (!r) {
        /* The headers are complete; no body byte has been read. */
        uint64_t declared;
        r = req_new(c, url, method, &declared);
        if (!r) return answer_no_memory(c);
        *con_cls = r;
        if (!admit_or_reply(r, declared)) {
            conn_phase_set(c, PH_ANSWERING, false);
            return queue_answer(r);
        }
        return MHD_YES;
    }
    if (r->state == ST_BODY) {
        if (*upload_size) {
            body_append(r, upload_data, *upload_size);
            *upload_size = 0;
            return MHD_YES;
        }
        conn_phase_set(c, PH_ANSWERING, false);
        dispatch(r);
    } else if (r->state == ST_DEFERRED) {
        r->ctx.db = gh_db_thread();
        gh_handler cont = r->cont;
        r->cont = NULL;
        cont(r);
    } else {
        return MHD_YES;
    }
    if (r->work) {
        gh_work_fn work = r->work;
        r->work = NULL;
        r->state = ST_DEFERRED;
        MHD_suspend_connection(c);
        bool idp = r->idp_call;
        r->idp_call = false;
        if (idp ? !gh_idpcall_submit(work, r->work_arg, deferred_done, r)
                : gh_pool_submit_tagged(work, r->work_arg, deferred_done, r, &r->tag) != GH_POOL_OK) {
            MHD_resume_connection(c);
            r->state = ST_BODY; /* not re-entered: answer now */
            gh_err e = {.retry_after = 1};
            gh_fail(&e, GH_E_BUSY, "busy", "too many sign-ins in progress; retry shortly");
            gh_reply_err(r, &e);
            r->cont = NULL;
            return queue_answer(r);
        }
        return MHD_YES;
    }
    return queue_answer(r);
}

/* One step of a request (access_step). Under --test-io-faults, a request
 * that carries GH_TEST_IOFAULT_HEADER marks its thread for the step, so
 * that faults armed for marked requests only hit what it does itself. */
static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_size, void **con_cls)
{
    bool mark = gh_test_iofault_enabled() &&
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, GH_TEST_IOFAULT_HEADER) != NULL;
    if (mark) gh_test_iofault_mark(true);
    enum MHD_Result ret = access_step(cls, c, url, method, version, upload_data, upload_size, con_cls);
    if (mark) gh_test_iofault_mark(false);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    gh_req *r = *con_cls;
    if (!r) return;
    if (r->on_done) r->on_done(r->on_done_arg);
    if (r->resp) MHD_destroy_response(r->resp);
    if (r->body.wipe) gh_json_wipe_strings(r->json); /* the raw body is wiped by gh_buf_release */
    json_decref(r->json);
    gh_err_clear(&r->ctx.err);
    gh_buf_release(&r->body);
    gh_arena_free(r->arena);
    if (r->reserved) atomic_fetch_sub(&unauth_bytes, r->reserved);
    free(r);
    *con_cls = NULL;
    /* A kept-alive connection starts its next request's deadline now. */
    conn_phase_set(c, PH_RECEIVING, true);
    atomic_fetch_sub(&requests_alive, 1);
}

/* Registers connections from accept to close (libmicrohttpd calls CLOSED
 * before it closes the socket, so a slot's fd is open while listed). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_slot *s = calloc(1, sizeof *s);
        if (!s) return; /* untracked: only MHD's idle timeout applies */
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        s->fd = ci ? ci->connect_fd : -1;
        s->since_ms = gh_mono_ms();
        s->phase = PH_RECEIVING;
        pthread_mutex_lock(&conns_mu);
        s->next = conns;
        if (conns) conns->prev = s;
        conns = s;
        pthread_mutex_unlock(&conns_mu);
        *socket_context = s;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_slot *s = *socket_context;
        if (!s) return;
        pthread_mutex_lock(&conns_mu);
        if (s->prev) s->prev->next = s->next;
        else conns = s->next;
        if (s->next) s->next->prev = s->prev;
        pthread_mutex_unlock(&conns_mu);
        free(s);
        *socket_context = NULL;
    }
}

/* ---- the reaper: an absolute deadline for headers and body ------------------- */
static pthread_t reaper;
static bool reaper_running;
static pthread_mutex_t reaper_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_cv = PTHREAD_COND_INITIALIZER;
static bool reaper_stop;
static unsigned deadline_s;

/* Shuts down (does not close: libmicrohttpd owns the descriptor) every
 * connection that has been sending one request's headers or body for longer
 * than the deadline; libmicrohttpd then sees the end of the stream and
 * closes it. */
static unsigned reap_once(void)
{
    unsigned n = 0;
    double now = gh_mono_ms(), limit = (double)deadline_s * 1000.0;
    pthread_mutex_lock(&conns_mu);
    for (conn_slot *s = conns; s; s = s->next) {
        if (s->reaped || s->fd < 0 || s->phase != PH_RECEIVING || now - s->since_ms < limit) continue;
        shutdown(s->fd, SHUT_RDWR);
        s->reaped = true;
        n++;
    }
    pthread_mutex_unlock(&conns_mu);
    return n;
}

static void *reaper_loop(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&reaper_mu);
    while (!reaper_stop) {
        pthread_mutex_unlock(&reaper_mu);
        unsigned n = reap_once();
        if (n) gh_log(GH_LOG_WARN, NULL, "closed connections past the request deadline",
                      json_pack("{s:i, s:i}", "connections", (int)n, "deadline_s", (int)deadline_s));
        pthread_mutex_lock(&reaper_mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        if (!reaper_stop) pthread_cond_timedwait(&reaper_cv, &reaper_mu, &ts);
    }
    pthread_mutex_unlock(&reaper_mu);
    return NULL;
}

static void reaper_end(void)
{
    if (!reaper_running) return;
    pthread_mutex_lock(&reaper_mu);
    reaper_stop = true;
    pthread_cond_signal(&reaper_cv);
    pthread_mutex_unlock(&reaper_mu);
    pthread_join(reaper, NULL);
    reaper_running = false;
}

/* libmicrohttpd's messages are printf formats of its own. */
__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n')) msg[--n] = '\0';
    gh_log(GH_LOG_WARN, NULL, msg, json_pack("{s:s}", "source", "libmicrohttpd"));
}

unsigned gh_server_port(void) { return bound_port; }
bool gh_server_draining(void) { return atomic_load(&draining); }

void gh_server_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGHUP); /* taken by sigwait: reloads the TLS pair */
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads created later inherit the mask */
}

/* "127.0.0.1", "::", "[::1]" into a socket address with port. */
static bool listen_addr(const char *host, unsigned port, struct sockaddr_storage *ss, bool *v6)
{
    char h[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        if (n - 2 >= sizeof h) return false;
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else if (!gh_strlcpy(h, host, sizeof h)) {
        return false;
    }
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)ss;
    if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *v6 = true;
        return true;
    }
    return false;
}

/* ---- the metrics address (--metrics-listen) ---------------------------------- */
static struct MHD_Daemon *metrics_daemon;
static atomic_bool metrics_separate;
static unsigned metrics_bound_port;

bool gh_server_metrics_separate(void) { return atomic_load(&metrics_separate); }
unsigned gh_server_metrics_port(void) { return metrics_bound_port; }

/* GET|HEAD /metrics and /healthz; everything else 404, no body read. */
static enum MHD_Result on_metrics_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                         const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload;
    if (*con_cls == NULL) { *con_cls = c; return MHD_YES; } /* headers only, first call */
    if (*upload_size) { *upload_size = 0; return MHD_YES; } /* discard any body */
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    unsigned status = 404;
    const char *type = "text/plain; charset=utf-8";
    gh_buf b;
    gh_buf_init(&b, 8u << 20);
    if (get && strcmp(url, "/metrics") == 0) {
        gh_metrics_render(&b);
        status = gh_buf_ok(&b) ? 200 : 500;
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (get && strcmp(url, "/healthz") == 0) {
        gh_buf_puts(&b, "ok\n");
        status = 200;
    } else {
        gh_buf_puts(&b, "not found: this address serves /metrics and /healthz\n");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(gh_buf_ok(&b) ? b.len : 0, b.data ? b.data : (void *)"", MHD_RESPMEM_MUST_COPY);
    gh_buf_release(&b);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static bool metrics_start(const gh_server_opts *o)
{
    struct sockaddr_storage addr;
    bool v6 = false;
    if (!listen_addr(o->metrics_host, o->metrics_port, &addr, &v6)) {
        gh_logf(GH_LOG_ERROR, "cannot listen on %s for metrics: not an IPv4 or IPv6 address", o->metrics_host);
        return false;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_DUAL_STACK : 0);
    metrics_daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_metrics_access, NULL,
                                      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                      MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                      MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)0,
                                      MHD_OPTION_END);
    if (!metrics_daemon) {
        gh_logf(GH_LOG_ERROR, "cannot listen on %s:%u for metrics: the address is in use or not available",
                o->metrics_host, o->metrics_port);
        return false;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(metrics_daemon, MHD_DAEMON_INFO_BIND_PORT);
    metrics_bound_port = di ? di->port : o->metrics_port;
    gh_log(GH_LOG_INFO, NULL, "metrics listening",
           json_pack("{s:s, s:i}", "host", o->metrics_host, "port", (int)metrics_bound_port));
    return true;
}

static void metrics_stop(void)
{
    if (!metrics_daemon) return;
    MHD_stop_daemon(metrics_daemon);
    metrics_daemon = NULL;
}

/* SIGTERM: no new connections; requests already accepted finish (at most
 * --drain-timeout, default 30 s), answered with Connection: close. Past
 * it the server stops anyway: a service manager's stop timeout is the
 * outer bound. */
static void drain(void)
{
    MHD_socket lfd = MHD_quiesce_daemon(daemon_handle);
    if (lfd != MHD_INVALID_SOCKET) close(lfd);
    double until = gh_mono_ms() + drain_max_ms;
    unsigned left;
    while ((left = atomic_load(&requests_alive)) > 0 && gh_mono_ms() < until) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (left) gh_log(GH_LOG_WARN, NULL, "stopping with requests still in flight", json_pack("{s:i}", "requests", (int)left));
}

int gh_server_run(const gh_server_opts *o)
{
    int rc = 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    unsigned threads = o->threads ? o->threads : (unsigned)cores;
    unsigned hash_threads = o->hash_threads ? o->hash_threads : (unsigned)cores;
    unsigned per_ip = o->per_ip_connections ? o->per_ip_connections : GH_PER_IP_CONNECTIONS_DEFAULT;
    deadline_s = o->request_deadline_s ? o->request_deadline_s : GH_REQUEST_DEADLINE_DEFAULT_S;
    drain_max_ms = 1000.0 * (o->drain_timeout_s ? o->drain_timeout_s : GH_DRAIN_TIMEOUT_DEFAULT_S);
    struct sockaddr_storage addr;
    bool v6 = false;
    if (!listen_addr(o->host, o->port, &addr, &v6)) {
        gh_logf(GH_LOG_ERROR, "cannot listen on %s: not an IPv4 or IPv6 address (IPv6 in brackets: [::]:8080)", o->host);
        return 1;
    }
    atomic_store(&draining, false);
    register_metrics();
    atomic_store(&metrics_separate, o->metrics_host != NULL);
    gh_server_block_signals();
    if (gh_pool_start(hash_threads, hash_threads * 16) != 0) {
        gh_logf(GH_LOG_ERROR, "cannot start the hashing pool");
        return 1;
    }
    if (gh_idpcall_start() != 0) {
        gh_logf(GH_LOG_ERROR, "cannot start the IdP-call threads");
        gh_idpcall_stop();
        gh_pool_stop();
        return 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    /* An IPv6 address listens dual-stack: IPv4 clients arrive as ::ffff:a.b.c.d
     * and are shown as IPv4 (gh_ip6_text). */
    if (v6) flags |= MHD_USE_DUAL_STACK;
    if (o->tls_cert) {
        char err[600];
        if (gh_tls_load(o->tls_cert, o->tls_key, err, sizeof err) != 0) {
            gh_logf(GH_LOG_ERROR, "cannot serve HTTPS: %s", err);
            goto out;
        }
        flags |= MHD_USE_TLS;
        serving_tls = true;
    }
    daemon_handle = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
        /* 0: SO_REUSEADDR only (a restart binds past TIME_WAIT) and never
         * SO_REUSEPORT, so a second server on the same port fails to start
         * instead of silently taking half of the connections. */
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)0,
        /* Ignored without MHD_USE_TLS. */
        o->tls_cert ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, gh_tls_retrieve,
        MHD_OPTION_END);
    if (!daemon_handle) {
        gh_logf(GH_LOG_ERROR, "cannot listen on %s:%u: the address is in use or not available", o->host, o->port);
        goto out;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
    bound_port = di ? di->port : o->port;
    if (o->metrics_host && !metrics_start(o)) {
        MHD_stop_daemon(daemon_handle);
        daemon_handle = NULL;
        goto out;
    }
    reaper_stop = false;
    if (pthread_create(&reaper, NULL, reaper_loop, NULL) == 0) reaper_running = true;
    else gh_logf(GH_LOG_WARN, "cannot start the connection reaper; only the idle timeout applies");
    gh_log(GH_LOG_INFO, NULL, "listening",
           json_pack("{s:s, s:i, s:i, s:i, s:i}", "host", o->host, "port", (int)bound_port, "threads", (int)threads,
                     "per_ip_connections", (int)per_ip, "request_deadline_s", (int)deadline_s));
    int sig = 0;
    sigset_t wait_set;
    sigemptyset(&wait_set);
    sigaddset(&wait_set, SIGINT);
    sigaddset(&wait_set, SIGTERM);
    sigaddset(&wait_set, SIGHUP);
    /* systemd Type=notify: ready once listening (a no-op outside systemd). */
    sd_notifyf(0, "READY=1\nSTATUS=listening on %s:%u", o->host, bound_port);
    for (;;) {
        sigwait(&wait_set, &sig);
        if (sig != SIGHUP) break;
        sd_notify(0, "RELOADING=1");
        /* New handshakes take the new pair; open connections keep theirs. */
        char err[600];
        if (!o->tls_cert) gh_logf(GH_LOG_INFO, "SIGHUP: nothing to reload (no --tls-cert)");
        else if (gh_tls_load(o->tls_cert, o->tls_key, err, sizeof err) == 0)
            gh_logf(GH_LOG_INFO, "SIGHUP: TLS certificate and key reloaded from %s", o->tls_cert);
        else gh_logf(GH_LOG_ERROR, "SIGHUP: TLS reload refused, the previous certificate stays: %s", err);
        sd_notify(0, "READY=1");
    }
    sd_notify(0, "STOPPING=1");
    atomic_store(&draining, true); /* /readyz answers 503 from here on */
    gh_log(GH_LOG_INFO, NULL, "shutting down", json_pack("{s:i}", "signal", sig));
    drain();
    reaper_end();
    gh_pool_stop(); /* finishes queued hashes, which resume their connections */
    gh_idpcall_stop(); /* likewise for IdP calls (each bounded by its timeouts) */
    MHD_stop_daemon(daemon_handle);
    daemon_handle = NULL;
    rc = 0;
out:
    metrics_stop();
    gh_tls_shutdown();
    reaper_end();
    gh_pool_stop();
    gh_idpcall_stop();
    return rc;
}
